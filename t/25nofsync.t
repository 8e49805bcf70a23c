# No fsync in the request (issue 12 part 3): strace of the one process
# that serves 200 first sightings (each writes a spool record) sees no
# fsync, fdatasync, sync_file_range, syncfs, sync or msync; every one of
# the 200 is spooled and then reported, and the notifier, traced with its
# children, is the one that makes the spool durable: in groups (syncfs),
# fewer commits than records.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use IO::Socket::INET ();
use Time::HiRes qw(sleep time);
use WrPrivateHttpd;

my ($strace) = grep { -x } map { "$_/strace" } split /:/, $ENV{PATH};
$strace or BAIL_OUT('strace is not installed (scripts/install-deps.sh)');
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
my $SYNCS = 'fsync,fdatasync,sync_file_range,syncfs,sync,msync';
my $N = 200;    # 2001:db8:b::1 .. ::c8 confirm as host-N.bulk.test (rig)
my @src = map { sprintf '2001:db8:b::%x', $_ } 1 .. $N;

# prefork with one child: every request is served by that process
my $h = WrPrivateHttpd->new(port => 18147, mpm => 'prefork', servers => 1);
my $d = $h->dir;
$h->write_conf(<<"EOF");
MaxRequestWorkers 1
MaxSpareServers 1
MaxKeepAliveRequests 0
KeepAliveTimeout 30
WormReply On
WormReplyNotify On
WormReplySourcePrefix 32 128
# the probes go out as HTTP/1.1, so they are iis (likely): mail them
WormReplyNotifyFamilies all
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 2001:db8::/32
WormReplyDigestDelay 1s
WormReplyDomainWindow 1s
WormReplyMaxPerHour 1000
EOF
ok $h->start, 'httpd started' or diag $h->error_log;
my ($parent, $notifier, @kids);
ok $h->wait_for(sub {
        $parent = $h->pid;
        $notifier = $h->notifier_pid;
        return 0 unless $parent && $notifier;
        @kids = grep { $_ != $notifier }
                WrPrivateHttpd::children_of($parent);
        return @kids == 1 }, 20),
    'one serving process beside the notifier'
    or diag "parent ", $parent // '-', " notifier ", $notifier // '-',
            " children @kids";

# traced - whether `pid` has a tracer attached (from /proc)
sub traced {
    my $pid = shift;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    my ($t) = join('', <$fh>) =~ /^TracerPid:\s*(\d+)/m;
    return ($t // 0) != 0;
}

# strace - trace the sync calls of `pid` (with -f its children too) into a
# file, in the background, bounded in time
sub strace {
    my ($pid, @opt) = @_;
    my $out = File::Temp->new;
    my $tpid = fork;
    die "fork: $!" unless defined $tpid;
    if ($tpid == 0) {
        open STDERR, '>', '/dev/null';
        exec 'timeout', '600', $strace, '-q', @opt, '-e', "trace=$SYNCS",
             '-o', $out->filename, '-p', $pid;
        exit 127;
    }
    return { pid => $tpid, out => $out };
}

# finish - detach, and the sync calls seen
sub finish {
    my $t = shift;
    kill 'INT', $t->{pid};
    waitpid $t->{pid}, 0;
    open my $f, '<', $t->{out}->filename or return ();
    return grep { /^(?:\d+\s+)?\w+\(/ } <$f>;
}

my $tc = strace($kids[0] // 0);
my $tn = strace($notifier // 0, '-f');
ok $h->wait_for(sub { traced($kids[0] // 0) && traced($notifier // 0) }, 20),
    'strace attached to the serving process and the notifier';

# read_answer - one HTTP/1.1 answer off a keep-alive connection: its
# status, or undef
sub read_answer {
    my $s = shift;
    my ($buf, $end) = ('', time + 30);
    while ($buf !~ /\r\n\r\n/ && time < $end) {
        my $r = sysread($s, $buf, 4096, length $buf);
        return undef unless $r;
    }
    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    return undef unless defined $body;
    my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
    return undef unless defined $len;
    while (length($body) < $len && time < $end) {
        my $r = sysread($s, $body, $len - length $body, length $body);
        return undef unless $r;
    }
    return $head =~ m{^HTTP/1\.1 (\d+)} ? $1 : undef;
}

# 200 first sightings, one at a time, over one keep-alive connection
my ($s, $ok, $end) = (undef, 0, time + 180);
for my $ip (@src) {
    last if time > $end;
    $s ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1:18147',
                                 Timeout => 10) or last;
    print $s "GET /scripts/root.exe?/c+dir HTTP/1.1\r\nHost: www\r\n"
        . "X-Forwarded-For: $ip\r\n\r\n";
    my $st = read_answer($s);
    undef $s unless defined $st;
    $ok++ if ($st // 0) == 404;
}
is $ok, $N, "$N probes from $N sources answered";
my %c = $h->status =~ /"(\w+)": (\d+)/g;
is $c{spooled}, $N, "$N first sightings spooled";

# every one reported: the notifier claims them only after a group commit
ok $h->wait_for(sub {
        my %s = $h->status =~ /"(\w+)": (\d+)/g;
        ($s{notice_events} // 0) + ($s{unresolvable} // 0) >= $N }, 240),
    'the notifier accounted for every event' or diag $h->status;
%c = $h->status =~ /"(\w+)": (\d+)/g;
is $c{notice_events}, $N, "every event went into a notice ($N)"
    or diag $h->status;
my %named;
for my $m ($h->messages) {
    $named{$_}++ for $m->[1] =~ /^Source:\s+(2001:db8:b::[0-9a-f]+)/mg;
}
is scalar(keys %named), $N, "all $N hosts reported";
ok !(grep { $_ != 1 } values %named), 'each in exactly one notice';

my @child = finish($tc);
my @notif = finish($tn);
is scalar(@child), 0, 'no fsync, fdatasync, sync_file_range, syncfs, sync '
    . 'or msync in the serving process' or diag @child;
my @group = grep { /\bsyncfs\(/ } @notif;
ok @group >= 1, 'the notifier made the spool durable: ' . scalar(@group)
    . ' group commits (syncfs)' or diag @notif;
cmp_ok scalar(@group), '<', $N, 'in groups: fewer commits than records';
unlike $h->error_log, qr/WR00452/, 'no group commit failed';
$h->stop;
done_testing;
