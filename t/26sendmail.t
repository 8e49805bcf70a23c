# WormReplyTransport sendmail through a real httpd: the notifier hands each
# notice to the real exim run as the local MTA's sendmail program (a private
# -C config of this test: its own spool and Maildir, owned by httpd's User,
# as a sendmail run by the delivery process after it dropped root). Shows
# the exactly-once records (one notice, one delivery, in sent/, nothing
# handed on twice in later passes) and the exit status mapped to
# done/retry/failed: 0 sent, 75 (EX_TEMPFAIL) kept and retried until it
# passes, 67 (EX_NOUSER) moved to failed/. With WormReplyBounceAddress,
# each recipient's message is handed on with its own VERP sender (-f),
# whose token wormreply bounce then takes.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use Time::HiRes qw(sleep);
use WrPrivateHttpd;
use WrSmtpRig qw(delivery_conf);

my $EXIM = '/usr/sbin/exim';
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
-x $EXIM or plan skip_all => "no $EXIM (exim4-daemon-light)";
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT ns.test A "
       . ">/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");

my $NIMDA = '/scripts/root.exe?/c+dir';
my (undef, undef, $uid, $gid) = getpwnam('www-data')
    or BAIL_OUT('no user www-data (httpd\'s User in WrPrivateHttpd)');

# mta - exim's private config, spool and Maildir under $dir/mta, and the
# sendmail program: exim as httpd's User, which exits 75 while $mta/tempfail
# exists and 67 while $mta/nouser does (the statuses a real MTA gives for
# a full queue and an unknown local user), else is exim -odi itself
sub mta {
    my $dir = shift;
    my $m = "$dir/mta";
    make_path("$m/spool", "$m/log", "$m/Maildir");
    open my $c, '>', "$m/exim.conf" or die $!;
    print $c <<"EOF";
primary_hostname = mta.wr-notices.test
exim_user = www-data
exim_group = www-data
spool_directory = $m/spool
log_file_path = $m/log/%slog
keep_environment =
host_lookup =
# -f from httpd's User: the envelope sender is the outbox's
trusted_users = www-data
untrusted_set_sender = *
begin routers
catchall:
  driver = accept
  transport = maildir
begin transports
maildir:
  driver = appendfile
  directory = $m/Maildir
  maildir_format
  envelope_to_add
  return_path_add
EOF
    close $c;
    open my $s, '>', "$m/sendmail" or die $!;
    print $s <<"EOF";
#!/bin/sh
[ -e $m/tempfail ] && { echo "queue full" >&2; exit 75; }
[ -e $m/nouser ] && { echo "user unknown" >&2; exit 67; }
exec $EXIM -C $m/exim.conf -odi "\$@"
EOF
    close $s;
    chmod 0755, "$m/sendmail";
    system('chown', '-R', "$uid:$gid", $m) == 0 or die "chown $m";
    return $m;
}

# delivered - [Return-path, Envelope-to, Message-ID] of each Maildir file
sub delivered {
    my $m = shift;
    my @r;
    for my $f (sort glob "$m/Maildir/new/*") {
        open my $fh, '<', $f or next;
        local $/;
        my $t = <$fh>;
        my ($rp) = $t =~ /^Return-path: <([^>]*)>/mi;
        my ($to) = $t =~ /^Envelope-to: (\S+)/mi;
        my ($id) = $t =~ /^Message-ID: (\S+)/mi;
        push @r, [$rp // '', $to // '', $id // $f];
    }
    return @r;
}

sub counters {
    my $h = shift;
    my %c = $h->status =~ /"(\w+)": (\d+)/g;
    return \%c;
}

sub files { my @f = glob shift; return scalar @f }

sub server {
    my (%a) = @_;
    my $h = WrPrivateHttpd->new(port => $a{port});
    my $m = mta($h->dir);
    if ($a{flag}) {
        open my $f, '>', "$m/$a{flag}" or die $!;
        close $f;
    }
    $h->write_conf(delivery_conf(dir => $h->dir, dns => $DNSPORT,
                                 from => $a{from}, retry => '2s',
                                 transport => "sendmail $m/sendmail")
                   . ($a{extra} // ''));
    ok $h->start, "$a{from}: httpd started" or diag $h->error_log;
    ok $h->wait_for(sub { $h->notifier_pid }, 10), 'notifier started';
    return ($h, $m);
}

# ---- exit 0: delivered once, in sent/, never handed on again ------------
{
    my $from = 'wr-sendmail1@wr-notices.test';
    my ($h, $m) = server(port => 18108, from => $from);
    $h->probe('192.0.2.10', $NIMDA);
    ok $h->wait_for(sub { delivered($m) >= 2 }, 30),
        'exim (as sendmail) delivered the notice' or diag $h->error_log;
    ok $h->wait_for(sub { files($h->outbox . '/sent/*.eml') == 1 }, 10),
        'the notice is in sent/';
    sleep 5;    # two more passes of the queue (retry 2s)
    my @d = delivered($m);
    my %ids = map { $_->[2] => 1 } @d;
    is scalar(keys %ids), 1, 'one notice';
    is_deeply [sort map { $_->[1] } @d],
        ['abuse@wormreply.test', 'postmaster@wormreply.test'],
        'once to each RFC 2142 mailbox (the outbox\'s envelope, not -t)';
    ok !(grep { $_->[0] ne $from } @d),
        'the envelope sender given with -f (Return-path)';
    is files($h->outbox . '/*.eml'), 0, 'nothing left queued';
    my $c = counters($h);
    is $c->{smtp_sent}, 1, 'counter: smtp_sent 1';
    is $c->{smtp_deferred} // 0, 0, 'nothing deferred';
    like $h->error_log, qr/WR00300: delivery: .*\Q$m\E\/sendmail/,
        'the log names the program';
    $h->stop;
}

# ---- exit 75 (EX_TEMPFAIL): kept, retried, then delivered once ----------
{
    my $from = 'wr-sendmail2@wr-notices.test';
    my ($h, $m) = server(port => 18109, from => $from, flag => 'tempfail');
    $h->probe('192.0.2.30', $NIMDA);
    ok $h->wait_for(sub { (counters($h)->{smtp_deferred} // 0) >= 1 }, 30),
        'exit 75: deferred' or diag $h->error_log;
    is scalar(delivered($m)), 0, 'nothing delivered';
    is files($h->outbox . '/*.eml'), 1, 'the notice stays queued';
    like $h->error_log, qr/exited with 75 \(EX_TEMPFAIL\): queue full/,
        'the exit status and the program\'s words logged';
    unlink "$m/tempfail";
    ok $h->wait_for(sub { delivered($m) >= 1 }, 40),
        'delivered once the program takes it' or diag $h->error_log;
    sleep 5;
    my %ids = map { $_->[2] => 1 } delivered($m);
    is scalar(keys %ids), 1, 'exactly once';
    is files($h->outbox . '/sent/*.eml'), 1, 'in sent/';
    is files($h->outbox . '/failed/*.eml'), 0, 'not in failed/';
    is counters($h)->{smtp_sent}, 1, 'counter: smtp_sent 1';
    $h->stop;
}

# ---- exit 67 (EX_NOUSER): failed/, never tried again --------------------
{
    my $from = 'wr-sendmail3@wr-notices.test';
    my ($h, $m) = server(port => 18110, from => $from, flag => 'nouser');
    $h->probe('192.0.2.10', $NIMDA);
    ok $h->wait_for(sub { (counters($h)->{smtp_failed} // 0) >= 1 }, 30),
        'exit 67: failed' or diag $h->error_log;
    is files($h->outbox . '/failed/*.eml'), 1, 'the notice is in failed/';
    unlink "$m/nouser";
    sleep 5;
    is scalar(delivered($m)), 0, 'never handed on again';
    is files($h->outbox . '/*.eml'), 0, 'nothing queued';
    is counters($h)->{smtp_failed}, 1, 'counter: smtp_failed 1';
    $h->stop;
}

# ---- WormReplyBounceAddress: one message per recipient, each its own -f --
{
    my $from = 'wr-sendmail4@wr-notices.test';
    my ($h, $m) = server(port => 18111, from => $from,
                         extra => "WormReplyBounceAddress "
                                  . "wrbounce\@wr-bounces.test\n");
    $h->probe('192.0.2.10', $NIMDA);
    ok $h->wait_for(sub { delivered($m) >= 2 }, 30),
        'VERP: delivered to both mailboxes' or diag $h->error_log;
    sleep 3;    # another pass of the queue (retry 2s)
    my @d = delivered($m);
    is scalar(@d), 2, 'VERP: two messages, one per recipient';
    is counters($h)->{smtp_sent}, 2, 'VERP: two messages handed on';
    for my $rcpt ('abuse@wormreply.test', 'postmaster@wormreply.test') {
        (my $enc = $rcpt) =~ s/\@/=/;
        my ($rp) = map { $_->[0] } grep { $_->[1] eq $rcpt } @d;
        like $rp // '', qr/^wrbounce\+[a-z2-7]{26}\.\Q$enc\E\@wr-bounces\.test$/,
            "VERP: $rcpt: sendmail -f gave it a return path of its own";
        # and its token is the outbox's: a bounce to it suppresses $rcpt
        open my $pipe, '|-', "$FindBin::Bin/../tools/wormreply bounce "
            . "--outbox " . $h->outbox . " --recipient '$rp' >"
            . $h->dir . "/bounce.out 2>&1" or die $!;
        print $pipe "From: MAILER-DAEMON\@mx.example.test\n"
            . "Subject: failure notice\n\nSorry, no mailbox here.\n";
        close $pipe;
        is $? >> 8, 0, "VERP: $rcpt: wormreply bounce took its bounce";
        open my $fh, '<', $h->dir . '/bounce.out' or die $!;
        like do { local $/; <$fh> }, qr/WR00703: <\Q$rcpt\E> bounced/,
            "VERP: $rcpt: suppressed by the bounce to its token";
    }
    $h->stop;
}

done_testing;
