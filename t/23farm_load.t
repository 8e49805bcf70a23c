# WormReplyFarm under load: three httpd servers on one real redis-server,
# probes from 10,000 confirmed sources (40 domains farmN.test of 250 hosts,
# 2001:db8:f::N:H) at 100 connections spread over the three servers, every
# source seen by several servers. Every host is reported exactly once
# farm-wide, and no domain gets two digests within its window.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(sleep time);
use WrPrivateHttpd;

my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT h250.farm40.test "
       . "AAAA >/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");
for my $bin (qw(redis-server redis-cli wrk)) {
    grep { -x "$_/$bin" } split /:/, $ENV{PATH}
        or BAIL_OUT("$bin is not installed (scripts/install-deps.sh)");
}

my $RPORT = 16393;
my ($DOMAINS, $HOSTS) = (40, 250);
my $N = $DOMAINS * $HOSTS;
my $WINDOW = 3;    # WormReplyDomainWindow, seconds

sub listening {
    return defined IO::Socket::INET->new(PeerAddr => "127.0.0.1:$_[0]",
                                         Timeout => 1);
}
ok !listening($RPORT), "port $RPORT is free";
my $redis = fork;
if (defined $redis && $redis == 0) {
    open STDOUT, '>', '/dev/null';
    open STDERR, '>', '/dev/null';
    exec qw(redis-server --bind 127.0.0.1 --port), $RPORT,
        qw(--save), '', qw(--appendonly no) or POSIX::_exit(127);
}
END { local $?; if ($redis) { kill 'KILL', $redis; waitpid $redis, 0 } }
{
    my $end = time + 10;
    sleep 0.05 until listening($RPORT) || time > $end;
}
ok listening($RPORT), "a real redis-server on 127.0.0.1:$RPORT";
sub rcli { my $o = qx{redis-cli -p $RPORT @_ 2>/dev/null}; chomp $o; $o }

my @h;
my $port = 18164;
for my $name (qw(A B C)) {
    # mpm_worker with every thread kept, as in t/20load.t: no keep-alive
    # connection closed early under load
    my $h = WrPrivateHttpd->new(port => $port++, mpm => 'worker',
                                servers => 2);
    my $d = $h->dir;
    $h->write_conf(<<"EOF");
MaxKeepAliveRequests 0
ThreadsPerChild 25
MaxRequestWorkers 50
MinSpareThreads 50
MaxSpareThreads 50
WormReply On
WormReplyNotify On
# the probes go out as HTTP/1.1, so they are iis (likely): mail them
WormReplyNotifyFamilies all
WormReplySpool $d/spool
WormReplySpoolMax 40000
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 2001:db8::/32
WormReplyDigestDelay 2s
WormReplyDomainWindow ${WINDOW}s
WormReplyMaxPerHour 0
WormReplyFrom wormreply\@wr-farm.test
WormReplyFarm redis://127.0.0.1:$RPORT
WormReplyFarmLease 10s
# the rig's farm hosts share one /64: one source per address
WormReplySourcePrefix 32 128
EOF
    ok $h->start, "$name: httpd on 127.0.0.1:" . $h->port
        or diag $h->error_log;
    push @h, $h;
}

sub host { sprintf '2001:db8:f::%x:%x', $_[0], $_[1] }
my @src = map { my $d = $_; map { host($d, $_) } 1 .. $HOSTS } 1 .. $DOMAINS;

# pass 1: every source once, in order, to the three servers in turn
my @s;
my ($sent, $end) = (0, time + 180);
for my $i (0 .. $#src) {
    last if time > $end;
    my $k = $i % 3;
    $s[$k] ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $h[$k]->port,
                                     Timeout => 10) or last;
    my $sock = $s[$k];
    print $sock "GET /scripts/root.exe?/c+dir HTTP/1.1\r\nHost: www\r\n"
        . "X-Forwarded-For: $src[$i]\r\n\r\n";
    my ($head, $buf) = ('', '');
    while ($head !~ /\r\n\r\n/) {
        my $r = sysread($sock, $buf, 4096);
        last unless $r;
        $head .= $buf;
    }
    my ($len) = $head =~ /Content-Length: (\d+)/i;
    my ($body) = $head =~ /\r\n\r\n(.*)\z/s;
    $body //= '';
    while (defined $len && length($body) < $len) {
        my $r = sysread($sock, $buf, 4096);
        last unless $r;
        $body .= $buf;
    }
    $sent++ if $head =~ m{^HTTP/1\.1 404 };
    undef $s[$k] if $head =~ /^Connection: close/mi || $head eq '';
}
is $sent, $N, "pass 1: $N sources, each answered";

# pass 2: 100 connections over the three servers for 3 s, each server
# cycling over every source from its own offset
my $lua = File::Temp->new(SUFFIX => '.lua');
print $lua "local src = {}\n";
print $lua "for d = 1, $DOMAINS do for h = 1, $HOSTS do "
    . "src[#src + 1] = string.format('2001:db8:f::%x:%x', d, h) end end\n";
print $lua <<'LUA';
local n = tonumber(os.getenv("WR_OFFSET") or "0")
request = function()
  n = n + 7
  return wrk.format("GET", "/scripts/root.exe?/c+dir",
                    { ["Host"] = "www", ["X-Forwarded-For"] = src[(n % #src) + 1] })
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK requests=%d errors=%d status=%d\n",
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status))
end
LUA
close $lua;
my @wrk;
for my $k (0 .. 2) {
    my $c = $k == 0 ? 34 : 33;
    my $off = $k * 3333;
    open my $fh, '-|', "WR_OFFSET=$off timeout 60 wrk -t1 -c$c -d3s "
        . "--timeout 5s -s $lua http://127.0.0.1:" . $h[$k]->port . "/ 2>&1"
        or die $!;
    push @wrk, $fh;
}
my ($req, $err, $status) = (0, 0, 0);
for my $fh (@wrk) {
    local $/;
    my $out = <$fh>;
    my %w = $out =~ /(\w+)=(\d+)/g;
    $req += $w{requests} // 0;
    $err += $w{errors} // 1;
    $status += $w{status} // 0;
}
ok $req > 0, "pass 2: $req probes from 100 connections";
is $err, 0, 'no socket error';
is $status, $req, 'every probe answered by the module (404)';

# the notifiers work through every event; the farm sends the digests
sub pending_sets { scalar grep { length } split /\n/,
                       rcli('--scan', '--pattern', "'wormreply:h:*'") }
sub spools_empty {
    for my $h (@h) {
        return 0 if $h->spool_count('new') + $h->spool_count('cur');
    }
    return 1;
}
ok $h[0]->wait_for(sub { spools_empty() && pending_sets() == 0 }, 300),
    'every event dealt with, nothing left waiting in the farm'
    or diag 'sets left: ' . pending_sets();
sleep $WINDOW + 3;    # a second digest of any domain would come now

my (%named, %dom);
my $messages = 0;
for my $h (@h) {
    for my $m ($h->messages) {
        $messages++;
        my ($d) = $m->[1] =~ /^To: .*?\@(farm\d+\.test)/mi or next;
        $dom{$d}++;
        $named{$_}++ for $m->[1] =~ /^Source:\s+(\S+)/mg;
    }
}
is scalar(keys %named), $N, "all $N hosts reported" or do {
    my @miss = grep { !$named{$_} } @src;
    diag scalar(@miss) . " missing, e.g. @miss[0 .. ($#miss > 4 ? 4 : $#miss)]";
    for my $h (@h) {
        my %x = $h->status =~ /"(\w+)": (\d+)/g;
        diag join ' ', map { "$_=$x{$_}" } grep { $x{$_} }
            qw(spooled cache_busy unresolvable not_notified host_suppressed notices
               notice_events dns_retries notice_errors farm_errors);
        my @l = grep { /\Q$miss[0]\E/ } split /\n/, $h->error_log;
        diag "  $_" for @l[0 .. ($#l > 5 ? 5 : $#l)];
    }
};
ok !(grep { $_ != 1 } values %named), 'each in exactly one notice, farm-wide'
    or diag scalar(grep { $_ != 1 } values %named) . ' hosts more than once';
is scalar(keys %dom), $DOMAINS, "all $DOMAINS domains notified";
my @sent = split /\n/, rcli('LRANGE', 'wormreply:sent', 0, -1);
is scalar(@sent), $messages, 'every notice is a farm digest in the history';
my (%times, $close) = ();
for (@sent) {
    my ($t, $d) = split / /;
    push @{ $times{$d} }, $t;
}
for my $d (keys %times) {
    my @t = sort { $a <=> $b } @{ $times{$d} };
    for my $i (1 .. $#t) {
        $close++ if $t[$i] - $t[$i - 1] < $WINDOW * 1e6;
    }
}
ok !$close, "no domain got two digests within its ${WINDOW}s window";
my %c;
for my $h (@h) {
    my %x = $h->status =~ /"(\w+)": (\d+)/g;
    $c{$_} += $x{$_} for keys %x;
}
is $c{farm_local}, 0, 'nothing was sent from local state';
is $c{farm_digests}, $messages, 'every digest went under a farm claim';
is $c{spool_dropped}, 0, 'no event dropped';
diag sprintf '%d digests, %d events, %d Redis round trips (%.1f per event)',
    $messages, $c{spooled}, $c{farm_roundtrips},
    $c{spooled} ? $c{farm_roundtrips} / $c{spooled} : 0;

$_->stop for @h;
done_testing;
