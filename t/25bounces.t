# Bounces close the loop, with a real exim as the smarthost that bounces
# itself: notices sent with WormReplyBounceAddress (one transaction per
# recipient, a VERP sender each), a mailbox that exim accepts at RCPT and
# then fails (a :fail: redirect: exim writes the RFC 3464 DSN), the DSN
# delivered to the bounce address through a pipe transport running
# "wormreply bounce" as the outbox's owner, and in a second server's case
# into a Maildir read by "wormreply bounce --maildir" (run as root, it
# becomes the outbox's owner). Asserted: the dead address suppressed with
# reason "bounced" (outbox suppressed, JSON too), the counters, the next
# window's notice not sent to it and still delivered to the live mailbox;
# a delayed DSN (4.x.x), an RFC 3834 auto-reply and bounces with a forged
# or altered token suppress nothing; a plain-text bounce is a hard one, and
# a domain whose every mailbox is suppressed is not notified (counted, its
# event kept in the spool's failed/ with the reason); exit 75 and 64;
# unsuppress.
#
# This test runs an exim of its own (t/rig/smtp.sh with WR_RIG_DIR,
# ports 12535/12536, -DBOUNCES: queue_only, so deliveries happen in
# "exim -DBOUNCES -qff" run here, as root).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use Test::More;
use Time::HiRes qw(sleep time);
use WrPrivateHttpd;

plan skip_all => 'needs root (exim delivers as the outbox owner)' if $>;

my $top = abs_path($ENV{WORMREPLY_TOP} || "$FindBin::Bin/..");
my $CLI = "$top/tools/wormreply";
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
my ($SMTP, $NOTLS) = (12535, 12536);
my $NIMDA = '/scripts/root.exe?/c+dir';
my $USER = 'www-data';          # WrPrivateHttpd's User: the outbox owner

system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my $rig = tempdir('wr-bounces-rig-XXXXXX', TMPDIR => 1,
                  CLEANUP => !$ENV{WR_KEEP});
chmod 0755, $rig;
my $RUN = "$rig/smtp";

# the two servers; the pipe names the first one's outbox
my $h1 = WrPrivateHttpd->new(port => 18144);
my $h2 = WrPrivateHttpd->new(port => 18145);
my $out1 = $h1->outbox;
my $out2 = $h2->outbox;

local $ENV{WR_RIG_DIR} = $rig;
local $ENV{WR_SMTP_PORT} = $SMTP;
local $ENV{WR_SMTP_NOTLS_PORT} = $NOTLS;
local $ENV{WR_SMTP_BOUNCE_CMD} = "$CLI bounce --outbox $out1";
local $ENV{WR_SMTP_BOUNCE_USER} = $USER;
is system("sh $top/t/rig/smtp.sh start >$rig/start.log 2>&1"), 0,
    'the bouncing exim started' or diag `cat $rig/start.log`;
# stop this exim only: END runs after the local %ENV above is undone, so
# the rig's own exim would be stopped without these
END {
    system("WR_RIG_DIR='$rig' WR_SMTP_PORT=$SMTP WR_SMTP_NOTLS_PORT=$NOTLS "
           . "sh $top/t/rig/smtp.sh stop >/dev/null 2>&1") if $rig;
}

sub touch { open my $fh, '>', $_[0] or die "$_[0]: $!"; close $fh }

# run_queue - deliver what waits, as root; $n passes (DSNs are queued too)
sub run_queue {
    my $n = shift || 1;
    for (1 .. $n) {
        system("exim -C $RUN/exim.conf -DBOUNCES -qff >/dev/null 2>&1");
    }
}

sub mainlog {
    open my $fh, '<', "$RUN/log/mainlog" or return '';
    local $/;
    return <$fh>;
}

# received - the messages in the rig's Maildir for $rcpt
sub received {
    my $rcpt = shift;
    my @r;
    for my $f (glob "$RUN/Maildir/new/*") {
        open my $fh, '<', $f or next;
        local $/;
        my $t = <$fh>;
        push @r, $t if $t =~ /^Envelope-to: \Q$rcpt\E$/mi;
    }
    return @r;
}

sub secret {
    my $d = shift;
    open my $fh, '>', "$d/secret" or die $!;
    print $fh "s3cret\n";
    close $fh;
    chmod 0600, "$d/secret";
    return "$d/secret";
}

sub conf {
    my ($h, $bounce) = @_;
    my $d = $h->dir;
    return join '', map { "$_\n" }
        'WormReply On',
        'WormReplyNotify On',
        "WormReplySpool $d/spool",
        "WormReplyOutbox $d/outbox",
        "WormReplyResolver 127.0.0.1:$DNSPORT",
        'WormReplyNotifyAllow 192.0.2.0/24 198.51.100.0/24 2001:db8::/32',
        'WormReplyDigestDelay 1s',
        'WormReplyDomainWindow 2s',
        'WormReplyFrom wormreply@wr-notices.test',
        "WormReplyBounceAddress $bounce\@wr-bounces.test",
        'WormReplyBcc admin@wr-notices.test',
        "WormReplySmarthost localhost:$SMTP",
        "WormReplySMTPCACertificate $RUN/cert.pem",
        'WormReplySMTPAuth wormtest ' . secret($d),
        'WormReplyRetryInterval 2s';
}

# stat_of - the outbox's bounces.stat, as wormreply bounce wrote it
sub stat_of {
    open my $fh, '<', "$_[0]/bounces.stat" or return {};
    local $/;
    my %s = <$fh> =~ /^([\w-]+): (\d+)$/mg;
    return \%s;
}

sub counters {
    my %c = $_[0]->status =~ /"(\w+)": (\d+)/g;
    return \%c;
}

# suppressed - address -> entry, from wormreply outbox suppressed --format json
sub suppressed {
    my $dir = shift;
    my $j = `$CLI outbox --outbox $dir suppressed --format json 2>&1`;
    my %s;
    while ($j =~ /\{(.*?)\}/sg) {
        my %e = $1 =~ /"(\w+)": "?([^",\n]*)"?/g;
        $s{ $e{address} } = \%e if $e{address};
    }
    return \%s;
}

# sender_of - the VERP envelope sender exim logged for a recipient
sub sender_of {
    my $rcpt = shift;
    (my $enc = $rcpt) =~ s/\@/=/;
    my ($s) = mainlog() =~ /<= (wrbounce\+\w+\.\Q$enc\E\@wr-bounces\.test) /i;
    return $s;
}

# ---- 1. the dead mailbox bounces through the pipe -------------------------
touch("$RUN/dead-abuse\@wormreply.test");
$h1->write_conf(conf($h1, 'wrbounce'));
ok $h1->start, 'server 1 started' or diag $h1->error_log;
$h1->probe('192.0.2.10', $NIMDA);    # host10.wormreply.test
ok $h1->wait_for(sub { (counters($h1)->{smtp_sent} // 0) >= 3 }, 40),
    'three transactions: postmaster, abuse, the operator\'s copy'
    or diag $h1->error_log;
my $log = mainlog();
my $tp = sender_of('postmaster@wormreply.test');
my $ta = sender_of('abuse@wormreply.test');
ok $tp && $ta && $tp ne $ta, "each recipient its own envelope sender"
    or diag $log;
like $log, qr/<= wrbounce\@wr-bounces\.test .*for admin\@wr-notices\.test|<= wrbounce\@wr-bounces\.test /,
    'the operator\'s copy has the plain bounce address';
run_queue(3);
ok scalar(received('postmaster@wormreply.test')) == 1,
    'the live mailbox got its notice';
like mainlog(), qr/\*\* abuse\@wormreply\.test .*mailbox unavailable/,
    'exim failed the dead one after accepting it';
like mainlog(), qr/=> \|\Q$CLI\E bounce .*T=bounce_pipe|T=bounce_pipe/,
    'exim piped its DSN to wormreply bounce';
my $s = suppressed($out1);
is $s->{'abuse@wormreply.test'}{reason}, 'bounced',
    'the dead address is suppressed, reason bounced';
is $s->{'abuse@wormreply.test'}{status}, '5.0.0', 'with the DSN\'s status';
ok !$s->{'postmaster@wormreply.test'}, 'the live mailbox is not';
my $table = `$CLI outbox --outbox $out1 suppressed`;
like $table, qr/^abuse\@wormreply\.test\s+bounced\s+\S+\s+5\.0\.0/m,
    'outbox suppressed lists it' or diag $table;
# the path as an administrator sees it (prove -v shows it)
note "exim's log, the notice and its DSN:\n",
     join "\n", grep { /<= wrbounce|\*\* |=> \||T=bounce_pipe/ }
                 split /\n/, mainlog();
note "\$ wormreply outbox suppressed\n$table";
ok $h1->wait_for(sub { (counters($h1)->{bounces_hard} // 0) >= 1 }, 15),
    'counter: bounces_hard' or diag $h1->status;
my $c = counters($h1);
is $c->{bounces_received}, 1, 'counter: bounces_received 1';
is $c->{bounces_ignored}, 0, 'counter: bounces_ignored 0';
like $h1->raw("GET /server-status?auto HTTP/1.0\r\n\r\n"),
    qr/^WormReplyBouncesHard: 1\r?$/m, 'mod_status shows it';
like $h1->raw("GET /wormreply-status?format=prometheus HTTP/1.0\r\n\r\n"),
    qr/bounces_hard\S* 1$/m, 'Prometheus shows it';

# ---- 2. the next window: only the live mailbox, which is late for now ----
touch("$RUN/late-postmaster\@wormreply.test");
my $sent = counters($h1)->{smtp_sent};
sleep 2.5;    # the domain window
$h1->probe('2001:db8::10', $NIMDA);    # host6.wormreply.test, same domain
ok $h1->wait_for(sub { (counters($h1)->{smtp_sent} // 0) >= $sent + 2 }, 40),
    'the next notice: two transactions' or diag $h1->error_log;
sleep 1;
is counters($h1)->{smtp_sent}, $sent + 2,
    'postmaster and the operator only: not the suppressed address';
note "exim's log, every notice so far:\n",
     join "\n", grep { /<= wrbounce/ } split /\n/, mainlog();
my @to_abuse = mainlog() =~ /<= wrbounce\+\w+\.abuse=wormreply\.test\@/gi;
is scalar(@to_abuse), 1, 'abuse@ was written to once, before it bounced';
run_queue(1);
sleep 1.5;    # older than delay_warning
run_queue(3);
like mainlog(), qr/postmaster\@wormreply\.test .*mailbox busy/,
    'exim deferred the live one';
$c = counters($h1);
ok $h1->wait_for(sub { (counters($h1)->{bounces_received} // 0) >= 2 }, 15),
    'the delay warning reached wormreply bounce' or diag mainlog();
$s = suppressed($out1);
ok !$s->{'postmaster@wormreply.test'}, 'a delayed DSN suppresses nothing';
is counters($h1)->{bounces_hard}, 1, 'still one hard bounce';
unlink "$RUN/late-postmaster\@wormreply.test";
run_queue(2);
is scalar(received('postmaster@wormreply.test')), 2,
    'the next notice reached the live mailbox';

# ---- 3. an auto-reply, a forged and an altered token ----------------------
$tp = sender_of('postmaster@wormreply.test');
# mail_to - a message to $rcpt through exim (local submission, <> sender)
sub mail_to {
    my ($rcpt, $text) = @_;
    open my $fh, '|-', "exim -C $RUN/exim.conf -DBOUNCES -f '<>' '$rcpt'"
        or die $!;
    print $fh $text;
    close $fh;
    run_queue(1);
}
my $before = stat_of($out1);
mail_to($tp, "From: postmaster\@wormreply.test\nTo: $tp\n"
        . "Subject: Re: probes\nAuto-Submitted: auto-replied\n\n"
        . "Thank you, your report has been received (ticket 123).\n");
my $after = stat_of($out1);
is $after->{received} - $before->{received}, 1, 'the auto-reply was read';
is $after->{ignored} - $before->{ignored}, 0, 'its token is valid';
is $after->{hard} - $before->{hard}, 0, 'an auto-reply is no bounce';
(my $forged = $tp) =~ s/\+(\w)/'+' . ($1 eq 'a' ? 'b' : 'a')/e;
(my $altered = $tp) =~ s/\.postmaster=/.hostmaster=/;
my $dsn = "From: MAILER-DAEMON\@mx.example.test\nTo: %s\n"
        . "Subject: failed\nMIME-Version: 1.0\nContent-Type: multipart/report;"
        . " report-type=delivery-status; boundary=b\n\n--b\n"
        . "Content-Type: text/plain\n\nfailed\n--b\n"
        . "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
        . "Final-Recipient: rfc822; postmaster\@wormreply.test\n"
        . "Action: failed\nStatus: 5.1.1\n\n--b--\n";
$before = $after;
mail_to($forged, sprintf $dsn, $forged);
mail_to($altered, sprintf $dsn, $altered);
$after = stat_of($out1);
is $after->{received} - $before->{received}, 2, 'two forged DSNs read';
is $after->{ignored} - $before->{ignored}, 2,
    'the forged and the altered token: ignored, counted';
is $after->{hard} - $before->{hard}, 0, 'no hard bounce more';
ok $h1->wait_for(sub { (counters($h1)->{bounces_ignored} // 0)
                       >= $after->{ignored} }, 15),
    'counter: bounces_ignored' or diag $h1->status;
$s = suppressed($out1);
ok !$s->{'postmaster@wormreply.test'} && !$s->{'hostmaster@wormreply.test'},
    'nothing suppressed by an auto-reply or a forged token';
is scalar(keys %$s), 1, 'only the dead address is suppressed';

# ---- 3b. every mailbox of the domain suppressed: not notified -------------
# postmaster@ bounces too, a plain-text bounce as older MTAs send it (not a
# DSN, not an auto-reply), handed over the way the MTA's pipe would; the
# next host of the domain is then not notified, counted, and its event
# kept in the spool's failed/ with the reason
my $plain = "From: MAILER-DAEMON\@mx.example.test\nTo: $tp\n"
          . "Subject: failure notice\n\nHi. This is the qmail-send program.\n"
          . "<postmaster\@wormreply.test>:\n"
          . "Sorry, no mailbox here by that name. (#5.1.1)\n";
open my $pipe, '|-', "$CLI bounce --outbox $out1 --recipient '$tp' "
                     . ">$rig/plain.out 2>&1" or die $!;
print $pipe $plain;
close $pipe;
is $? >> 8, 0, 'a plain-text bounce: exit 0' or diag `cat $rig/plain.out`;
$s = suppressed($out1);
is $s->{'postmaster@wormreply.test'}{reason}, 'bounced',
    'a plain-text bounce is a hard bounce';
my $nn = counters($h1)->{not_notified} // 0;
$sent = counters($h1)->{smtp_sent};
sleep 2.5;    # the domain window
$h1->probe('192.0.2.36', $NIMDA);    # Host36.WormReply.TEST, same domain
ok $h1->wait_for(sub { (counters($h1)->{not_notified} // 0) > $nn }, 40),
    'every mailbox suppressed: counted in not_notified'
    or diag $h1->error_log;
like $h1->error_log, qr/WR00713: digest for wormreply\.test \(1 host\) not notified: every mailbox of wormreply\.test is suppressed/,
    'the notifier says why (WR00713)';
is counters($h1)->{smtp_sent}, $sent, 'nothing sent';
my $failed = `$CLI queue --spool ${\ $h1->spool} failed 2>&1`;
like $failed, qr/192\.0\.2\.36 .*\n(?:\s+attempts.*\n)?\s+\(not notified: every mailbox of wormreply\.test is suppressed/,
    'wormreply queue failed shows the event with the reason' or diag $failed;
# sysexits: what cannot be recorded now is for the MTA to keep (75)
system("$CLI bounce --outbox $rig/no-such-outbox --recipient '$tp' "
       . "</dev/null >/dev/null 2>&1");
is $? >> 8, 75, 'bounce into an outbox that is not there: exit 75 (EX_TEMPFAIL)';
system("$CLI bounce --no-such-option </dev/null >/dev/null 2>&1");
is $? >> 8, 64, 'bounce with a bad option: exit 64 (EX_USAGE)';
$h1->stop;

# ---- 4. a second server's bounces into a Maildir ------------------------
touch("$RUN/dead-abuse\@corp.example");
$h2->write_conf(conf($h2, 'wrbouncemd'));
ok $h2->start, 'server 2 started' or diag $h2->error_log;
$h2->probe('198.51.100.20', $NIMDA);    # host20.corp.example
ok $h2->wait_for(sub { (counters($h2)->{smtp_sent} // 0) >= 3 }, 40),
    'server 2: three transactions' or diag $h2->error_log;
run_queue(3);
my @md = glob "$RUN/BounceMaildir/new/*";
is scalar(@md), 1, 'the DSN is in the bounce Maildir';
my $out = `$CLI bounce --outbox $out2 --maildir $RUN/BounceMaildir 2>&1`;
is $? >> 8, 0, 'bounce --maildir: exit 0' or diag $out;
like $out, qr/WR00703: <abuse\@corp\.example> bounced/, 'it says what it did';
my @left = glob "$RUN/BounceMaildir/new/*";
is scalar(@left), 0, 'new/ is empty';
ok scalar(grep { /:2,S$/ } glob "$RUN/BounceMaildir/cur/*") == 1,
    'the message is in cur/, marked seen';
$s = suppressed($out2);
is $s->{'abuse@corp.example'}{reason}, 'bounced',
    'server 2: the dead address suppressed';
ok !$s->{'postmaster@corp.example'}, 'server 2: the live one is not';
$out = `$CLI bounce --outbox $out2 --maildir $RUN/BounceMaildir 2>&1`;
like $out, qr/0 of 0 messages/, 'a second pass finds nothing new';
$out = `$CLI outbox --outbox $out2 unsuppress abuse\@corp.example 2>&1`;
is $? >> 8, 0, 'unsuppress: exit 0' or diag $out;
ok !suppressed($out2)->{'abuse@corp.example'}, 'unsuppressed';
$h2->stop;

done_testing();
