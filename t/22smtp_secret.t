# The SMTP AUTH secret is held by no process of httpd but the delivery
# process that uses it: not by the parent once the configuration is read,
# not by any child that serves requests, not by the notifier (which keeps
# only a descriptor of the root-only file, opened before it dropped root).
# A private httpd delivers a notice through the rig's exim with AUTH (so
# the secret was really read and used), then every process's memory is
# read through /proc/PID/mem, region by region, and searched for it; the
# same after a graceful restart. A control string that is in the
# configuration (the secret file's path) must be found, so a scan that
# reads nothing cannot pass.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use WrPrivateHttpd;
use WrSmtpRig qw(rig_dir notices);

plan skip_all => 'reading another process\'s memory needs root' if $> != 0;

my $RUN = rig_dir();
my $SMTP = $ENV{WR_SMTP_PORT} || 12525;
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
-r "$RUN/cert.pem" && system("timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$SMTP'"
                             . " 2>/dev/null") == 0
    or BAIL_OUT("the test SMTP server does not answer: sh t/rig/smtp.sh start");

# the rig's password (exim checks it): a delivery proves it was read
my $SECRET = 's3cret';
# bounds of one scan: bytes read per process, and time
my $SCAN_MAX = 2 * 1024 * 1024 * 1024;
my $SCAN_SECS = 60;
my $CHUNK = 1024 * 1024;

# holds PID NEEDLE - (1 if NEEDLE is in the process's memory, 0 if not,
# undef if it could not be read; bytes read). Reads the writable and the
# anonymous regions (heap, stacks, pools, libraries' data), where a string
# a process holds lives; skips [vvar] and [vsyscall], which cannot be read.
sub holds {
    my ($pid, $needle) = @_;
    no warnings 'portable';    # 64-bit addresses
    open my $maps, '<', "/proc/$pid/maps" or return (undef, 0);
    open my $mem, '<:raw', "/proc/$pid/mem" or return (undef, 0);
    my ($bytes, $t0) = (0, time);
    while (my $l = <$maps>) {
        my ($lo, $hi, $perm, $name) =
            $l =~ /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/
            or next;
        next unless $perm =~ /^r/;
        next if $name =~ /^\[(?:vvar|vsyscall|vdso)/;
        next unless $perm =~ /^rw/ || $name eq '' || $name =~ /^\[/;
        my ($from, $to) = (hex $lo, hex $hi);
        my $tail = '';
        for (my $off = $from; $off < $to; $off += $CHUNK) {
            my $len = $to - $off < $CHUNK ? $to - $off : $CHUNK;
            sysseek($mem, $off, 0) or last;
            my $got = sysread($mem, my $buf, $len);
            last unless $got;
            $bytes += $got;
            return (1, $bytes) if index($tail . $buf, $needle) >= 0;
            $tail = substr($buf, -length($needle));
            return (undef, $bytes)
                if $bytes > $SCAN_MAX || time - $t0 > $SCAN_SECS;
        }
    }
    return (0, $bytes);
}

sub children_of { return WrPrivateHttpd::children_of(@_) }

# scan_all WHEN - every process of the server: none holds the secret
sub scan_all {
    my ($h, $secret_path, $when) = @_;
    my $notifier = $h->notifier_pid;
    my @workers = grep { !$notifier || $_ != $notifier }
                  children_of($h->pid);
    ok @workers >= 1, "$when: httpd has children serving requests";
    for my $p (['parent', $h->pid], ['notifier', $notifier],
               map { ["child $_", $_] } @workers) {
        my ($what, $pid) = @$p;
        my ($found, $bytes) = holds($pid, $SECRET);
        # a child of the old generation may end while it is looked at
        if (!defined $found && $what =~ /^child/ && !kill 0, $pid) {
            note "$when: the $what ended before it could be read";
            next;
        }
        is $found, 0, "$when: the $what (pid $pid) does not hold the secret "
                      . "($bytes bytes read)";
    }
    # the control: the path of the secret file is in the configuration
    my ($found, $bytes) = holds($workers[0], $secret_path);
    is $found, 1, "$when: the scan finds the configured secret file's "
                  . "path in a child ($bytes bytes read)";
}

my $from = "wr-secret-$$\@wr-notices.test";
my $h = WrPrivateHttpd->new(port => 18127);
my $d = $h->dir;
my $secret_path = "$d/smtp-secret-$$";
open my $fh, '>', $secret_path or die "$secret_path: $!";
print $fh "$SECRET\n";
close $fh;
chmod 0600, $secret_path;
$h->write_conf(join '', map { "$_\n" }
    'WormReply On',
    'WormReplyNotify On',
    "WormReplySpool $d/spool",
    "WormReplyOutbox $d/outbox",
    "WormReplyResolver 127.0.0.1:$DNSPORT",
    'WormReplyNotifyAllow 192.0.2.0/24',
    'WormReplyDigestDelay 1s',
    "WormReplyFrom $from",
    "WormReplySmarthost localhost:$SMTP",
    "WormReplySMTPCACertificate $RUN/cert.pem",
    "WormReplySMTPAuth wormtest $secret_path",
    'WormReplyRetryInterval 2s');
ok $h->start, 'httpd started' or diag $h->error_log;
ok $h->wait_for(sub { $h->notifier_pid }, 10), 'notifier started';

# a probe from a host with confirmed reverse DNS: one notice, delivered
# with AUTH by a delivery process
$h->probe('192.0.2.10', '/scripts/root.exe?/c+dir') for 1 .. 3;
ok $h->wait_for(sub { scalar(notices($from)) >= 1 }, 30),
    'the notice was delivered, so the secret was read and used'
    or diag $h->error_log;
open my $log, '<', "$RUN/log/mainlog" or die $!;
my $ml = do { local $/; <$log> };
like $ml, qr/<= \Q$from\E .*A=\w+:wormtest/, 'exim logged the AUTH';

scan_all($h, $secret_path, 'after a delivery');

# a graceful restart: a new generation of children and a new notifier
my $old = $h->notifier_pid;
$h->signal_server('graceful');
ok $h->wait_for(sub { ($h->notifier_pid // 0) != $old }, 20),
    'graceful: a new notifier started' or diag $h->error_log;
sleep 1;
$h->probe('192.0.2.10', '/scripts/root.exe?/c+dir');
scan_all($h, $secret_path, 'after a graceful restart');

$h->stop;
done_testing();
