# Notices delivered through a real smarthost (the rig's exim on 127.0.0.1,
# STARTTLS + AUTH): delivered once, 4xx then 2xx, 5xx to failed/ and
# suppressed, STARTTLS required but not offered, kill -9 of the notifier in
# the middle of an SMTP session. Each server instance uses its own envelope
# sender, so the rig's per-sender switches and the shared Maildir stay apart.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use WrPrivateHttpd;
use WrSmtpRig qw(rig_dir notices copies delivery_conf);

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $RUN = rig_dir();
my $SMTP = $ENV{WR_SMTP_PORT} || 12525;
my $NOTLS = $ENV{WR_SMTP_NOTLS_PORT} || 12527;
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
-r "$RUN/cert.pem" && system("timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$SMTP'"
                             . " 2>/dev/null") == 0
    or BAIL_OUT("the test SMTP server does not answer: sh t/rig/smtp.sh start");
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my $NIMDA = '/scripts/root.exe?/c+dir';
# senders unique to this run: the rig's Maildir and log outlive a run
my $RUNTAG = $$;

sub maildir { return notices(shift) }

sub server {
    my (%a) = @_;
    my $h = WrPrivateHttpd->new(port => $a{port});
    $h->write_conf(delivery_conf(dir => $h->dir, dns => $DNSPORT,
                                 from => $a{from}, retry => '2s',
                                 smarthost => $a{smarthost}
                                              || "localhost:$SMTP")
                   . ($a{extra} // ''));
    ok $h->start, "$a{from}: httpd started" or diag $h->error_log;
    ok $h->wait_for(sub { $h->notifier_pid }, 10), 'notifier started';
    return $h;
}

sub children_of { return WrPrivateHttpd::children_of(@_) }

sub counters {
    my $h = shift;
    my %c = $h->status =~ /"(\w+)": (\d+)/g;
    return \%c;
}

# ---- delivered once, over STARTTLS with AUTH ---------------------------
{
    my $from = "wr-deliv1-$RUNTAG\@wr-notices.test";
    my $h = server(port => 18120, from => $from);
    $h->probe('192.0.2.10', $NIMDA);
    ok $h->wait_for(sub { scalar(maildir($from)) >= 1 }, 30),
        'the notice arrived in the smarthost\'s Maildir' or diag $h->error_log;
    sleep 2;
    my @m = maildir($from);
    is scalar(@m), 1, 'exactly once';
    like $m[0] // '', qr/^To: postmaster\@wormreply\.test, abuse\@wormreply\.test\r?$/m,
        'to the RFC 2142 mailboxes';
    like $m[0] // '', qr/^Auto-Submitted: auto-generated\r?$/m, 'intact headers';
    like $m[0] // '', qr/192\.0\.2\.10/, 'intact body';
    open my $log, '<', "$RUN/log/mainlog" or die $!;
    my $ml = do { local $/; <$log> };
    like $ml, qr/<= \Q$from\E .*X=TLS.*A=(plain|login|cram_md5):wormtest|<= \Q$from\E .*A=\w+:wormtest.*X=TLS/,
        'sent over TLS, authenticated';
    my $c = counters($h);
    is $c->{smtp_sent}, 1, 'counter: smtp_sent 1';
    # field 19 of /proc/PID/stat: the nice value (after the comm field)
    my $nice = sub {
        open my $st, '<', "/proc/$_[0]/stat" or return undef;
        my ($rest) = <$st> =~ /\)\s+(.*)/;
        return (split ' ', $rest)[16];
    };
    is $nice->($h->notifier_pid) - $nice->($h->pid), 10,
        'the notifier runs at nice 10 relative to httpd (WormReplyNotifierNice)';
    like $h->raw("GET /server-status?auto HTTP/1.0\r\n\r\n"),
        qr/^WormReplySMTPSent: 1\r?$/m, 'mod_status shows it';
    $h->stop;
}

# ---- 4xx for a while, then 2xx ------------------------------------------
{
    my $from = "wr-deliv2-$RUNTAG\@wr-notices.test";
    open my $fh, '>', "$RUN/defer-wr-deliv2-$RUNTAG" or die $!;
    close $fh;
    my $h = server(port => 18121, from => $from);
    $h->probe('192.0.2.30', $NIMDA);
    ok $h->wait_for(sub { (counters($h)->{smtp_deferred} // 0) >= 1 }, 30),
        '451: deferred' or diag $h->error_log;
    is scalar(maildir($from)), 0, 'nothing delivered while deferred';
    unlink "$RUN/defer-wr-deliv2-$RUNTAG";
    ok $h->wait_for(sub { scalar(maildir($from)) >= 1 }, 40),
        'delivered after the server recovered' or diag $h->error_log;
    sleep 3;
    is scalar(maildir($from)), 1, 'exactly once';
    $h->stop;
}

# ---- 5xx: failed/ and the recipient suppressed ---------------------------
{
    my $from = "wr-deliv3-$RUNTAG\@wr-notices.test";
    my $h = server(port => 18122, from => $from,
                   extra => "WormReplyMailboxes refuse\n");
    $h->probe('192.0.2.20', $NIMDA);    # nomx.test
    ok $h->wait_for(sub { (counters($h)->{smtp_failed} // 0) >= 1 }, 30),
        '550: failed' or diag $h->error_log;
    my @failed = glob $h->outbox . '/failed/*.eml';
    is scalar(@failed), 1, 'the notice is in failed/';
    ok((counters($h)->{smtp_suppressed} // 0) >= 1, 'the recipient suppressed');
    $h->stop;
}

# ---- STARTTLS required but not offered: never sent in clear -------------
{
    my $from = "wr-deliv4-$RUNTAG\@wr-notices.test";
    my $h = server(port => 18123, from => $from,
                   smarthost => "localhost:$NOTLS");
    $h->probe('192.0.2.10', $NIMDA);
    ok $h->wait_for(sub { (counters($h)->{smtp_deferred} // 0) >= 1 }, 30),
        'deferred: the smarthost offers no STARTTLS' or diag $h->error_log;
    # the notifier publishes it with the outbox gauges, once a second
    ok $h->wait_for(sub { $h->raw("GET /server-status?auto HTTP/1.0\r\n\r\n")
                          =~ /^WormReplySMTPLastError: .*\S/m }, 10),
        'the last SMTP error in mod_status';
    sleep 1;
    is scalar(maildir($from)), 0, 'nothing sent in clear';
    $h->stop;
}

# ---- kill -9 of the notifier in the middle of an SMTP session ----------
{
    my $from = "wr-deliv5-$RUNTAG\@wr-notices.test";
    open my $fh, '>', "$RUN/slow-wr-deliv5-$RUNTAG" or die $!;
    close $fh;
    my $h = server(port => 18124, from => $from);
    $h->probe('192.0.2.10', $NIMDA);
    $h->probe('192.0.2.30', $NIMDA);
    ok $h->wait_for(sub { -e $h->outbox . '/.inflight' }, 30),
        'an SMTP transaction is open' or diag $h->error_log;
    my $np = $h->notifier_pid;
    # the session runs in the notifier's delivery process: kill both, as a
    # crash of the whole notifier would
    my @tree = ($np, children_of($np));
    cmp_ok scalar(@tree), '>=', 2, 'the notifier has a delivery process';
    is kill('KILL', @tree), scalar(@tree),
        "kill -9 of the notifier and its delivery process (@tree) mid-session";
    unlink "$RUN/slow-wr-deliv5-$RUNTAG";
    ok $h->wait_for(sub { ($h->notifier_pid // 0) != $np }, 15),
        'notifier restarted';
    ok $h->wait_for(sub { scalar(maildir($from)) >= 2 }, 60),
        'both notices delivered' or diag $h->error_log;
    sleep 3;
    my $ids = copies($from);
    is scalar(keys %$ids), 2, 'two distinct notices';
    # one copy per recipient (postmaster, abuse): a notice delivered twice
    # would show 4. The kill comes while MAIL FROM waits for its answer,
    # before any data (RFC 1047's duplicate window is after the data).
    ok !(grep { $_ != 2 } values %$ids), 'none delivered twice';
    $h->stop;
}

# ---- sessions side by side: 60 notices in one pass of 4 sessions --------
{
    my $from = "wr-deliv6-$RUNTAG\@wr-notices.test";
    my $h = server(port => 18125, from => $from,
                   extra => "WormReplyFormat arf\nWormReplyDomainWindow 1s\n"
                            . "WormReplyMaxPerHour 0\nWormReplySMTPSessions 4\n");
    # 60 forward-confirmed hosts of bulk.test: one ARF notice each
    $h->probe(sprintf('2001:db8:b::%x', $_), $NIMDA) for 1 .. 60;
    ok $h->wait_for(sub { scalar(keys %{ copies($from) }) >= 60 }, 60),
        'the 60 notices arrived' or diag $h->error_log;
    sleep 2;
    my $ids = copies($from);
    is scalar(keys %$ids), 60, '60 distinct notices';
    ok !(grep { $_ != 2 } values %$ids), 'each exactly once (2 copies: '
        . 'postmaster and abuse)';
    my %pids = map { $_ => 1 }
        $h->error_log =~ /\[pid (\d+)[^\]]*\] WR00300: delivery: /g;
    cmp_ok scalar(keys %pids), '>=', 2,
        'delivered by sessions in more than one process ('
        . scalar(keys %pids) . ')';
    is counters($h)->{smtp_sent}, 60, 'counter: smtp_sent 60 (every '
        . 'session counted)';
    unlike $h->error_log, qr/WR0031[567]/, 'no session ended abnormally';
    $h->stop;
}

done_testing;
