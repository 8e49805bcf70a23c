#!/usr/bin/perl
# farm.pl - the farm's notifier throughput and Redis cost (bench/farm.sh)
#
# For 1, 2 and 3 servers sharing one redis-server (WormReplyFarm), and as
# the baseline one server without a farm, in the same run: EVENTS probes
# from as many confirmed sources (the farm zones of t/rig/dns.sh: 40
# domains farmN.test, 2001:db8:f::N:H), split over the servers and sent at
# once; timed from the first probe until every spool is empty and nothing
# waits in the farm. Prints events/s and notices/s farm-wide, the ratio to
# the baseline, and Redis round trips per event; medians of ROUNDS rounds.
#
# Environment: EVENTS=4000 ROUNDS=3 DNS_PORT=15353 REDIS_PORT=16394
#              PORT=18170 (PORT .. PORT+2)
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/../t/lib";
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(sleep time);
use WrPrivateHttpd;

my $EVENTS = $ENV{EVENTS} || 4000;
my $ROUNDS = $ENV{ROUNDS} || 3;
my $DNS = $ENV{DNS_PORT} || 15353;
my $RPORT = $ENV{REDIS_PORT} || 16394;
my $PORT = $ENV{PORT} || 18170;
my $PER = int(($EVENTS + 39) / 40);    # hosts per domain
$PER <= 250 or die "EVENTS at most 10000\n";

sub listening {
    return defined IO::Socket::INET->new(PeerAddr => "127.0.0.1:$_[0]",
                                         Timeout => 1);
}
my $redis;
sub redis_start {
    $redis = fork;
    if ($redis == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec qw(redis-server --bind 127.0.0.1 --port), $RPORT,
            qw(--save), '', qw(--appendonly no) or POSIX::_exit(127);
    }
    my $end = time + 10;
    sleep 0.05 until listening($RPORT) || time > $end;
    listening($RPORT) or die "redis-server did not start\n";
}
sub redis_stop {
    return unless $redis;
    kill 'KILL', $redis;
    waitpid $redis, 0;
    undef $redis;
    sleep 0.05 while listening($RPORT);
}
END { local $?; redis_stop() }

my @src;
for my $d (1 .. 40) {
    for my $h (1 .. $PER) {
        push @src, sprintf('2001:db8:f::%x:%x', $d, $h) if @src < $EVENTS;
    }
}

# send - each server's share of the sources over one keep-alive
# connection, all servers at once (a child each)
sub send_all {
    my @h = @_;
    my @kids;
    for my $k (0 .. $#h) {
        my $pid = fork;
        if ($pid == 0) {
            $SIG{PIPE} = 'IGNORE';
            my ($s, $bad) = (undef, 0);
            for (my $i = $k; $i < @src && $bad < 100; $i += @h) {
                $s ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1:'
                                             . $h[$k]->port, Timeout => 10);
                print $s "GET /scripts/root.exe?/c+dir HTTP/1.1\r\n"
                    . "Host: www\r\nX-Forwarded-For: $src[$i]\r\n\r\n";
                my ($r, $buf) = ('', '');
                while ($r !~ /\r\n\r\n404 Not Found\n\z/) {
                    sysread($s, $buf, 4096) or last;
                    $r .= $buf;
                }
                if ($r !~ /\r\n\r\n404 Not Found\n\z/) {
                    # closed: this source again on a new connection
                    undef $s;
                    $i -= @h;
                    $bad++;
                }
            }
            POSIX::_exit($bad < 100 ? 0 : 1);
        }
        push @kids, $pid;
    }
    waitpid $_, 0 for @kids;
}

sub counters {
    my %s;
    for my $h (@_) {
        my %c = $h->status =~ /"(\w+)": (\d+)/g;
        $s{$_} += $c{$_} for keys %c;
    }
    return \%s;
}

# one - one round with $n servers ($farm: through Redis); (seconds,
# digests, round trips)
sub one {
    my ($n, $farm) = @_;
    redis_start() if $farm;
    my @h;
    for my $k (0 .. $n - 1) {
        my $h = WrPrivateHttpd->new(port => $PORT + $k, mpm => 'event');
        my $d = $h->dir;
        $h->write_conf(<<"EOF" . ($farm ? "WormReplyFarm redis://127.0.0.1:$RPORT\n" : ''));
LogLevel warn
MaxKeepAliveRequests 0
WormReply On
WormReplyNotify On
# the probes go out as HTTP/1.1, so they are iis (likely): mail them
WormReplyNotifyFamilies all
WormReplySpool $d/spool
WormReplySpoolMax 40000
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNS
WormReplyNotifyAllow 2001:db8::/32
WormReplyDigestDelay 1s
WormReplyDomainWindow 1s
WormReplyMaxPerHour 0
WormReplyNotifierNice 0
WormReplyFrom wormreply\@wr-farm.test
# the rig's farm hosts share one /64: one source per address
WormReplySourcePrefix 32 128
EOF
        $h->start or die "httpd did not start:\n" . $h->error_log;
        push @h, $h;
    }
    if ($farm) {
        $h[0]->wait_for(sub { (counters(@h)->{farm_connected} // 0) == $n },
                        10) or die "not every notifier uses the farm\n";
    }
    my $t0 = time;
    send_all(@h);
    my $done = sub {
        for my $h (@h) {
            return 0 if $h->spool_count('new') + $h->spool_count('cur');
        }
        return 1 unless $farm;
        my $keys = qx{redis-cli -p $RPORT --scan --pattern 'wormreply:h:*'};
        return $keys !~ /\S/;
    };
    $h[0]->wait_for($done, 600) or die "not done within 600 s\n";
    my $secs = time - $t0;
    my $c = counters(@h);
    my $digests = 0;
    $digests += scalar($_->messages) for @h;
    $_->stop for @h;
    redis_stop() if $farm;
    return ($secs, $digests, $c->{farm_roundtrips} // 0, $c->{spooled} // 0);
}

sub median { my @v = sort { $a <=> $b } @_; $v[$#v / 2] }

my @cases = ([1, 0, 'one server, own state'], [1, 1, 'farm of 1'],
             [2, 1, 'farm of 2'], [3, 1, 'farm of 3']);
my %r;
for my $round (1 .. $ROUNDS) {
    for my $c (@cases) {
        my ($s, $dg, $rt, $ev) = one($c->[0], $c->[1]);
        push @{ $r{$c->[2]} }, [$s, $dg, $rt, $ev];
        printf "round %d %-22s %6.2f s %4d digests %7d round trips %6d "
            . "events\n", $round, $c->[2], $s, $dg, $rt, $ev;
    }
}
print "\nmedians of $ROUNDS rounds, $EVENTS confirmed sources over 40 domains\n";
printf "%-22s %10s %10s %8s %12s %8s\n", 'case', 'events/s', 'notices/s',
    'ratio', 'RTT/event', 'digests';
my (%eps, %rtt, %dg);
for my $c (@cases) {
    my @x = @{ $r{$c->[2]} };
    my $secs = median(map { $_->[0] } @x);
    $eps{$c->[2]} = $EVENTS / $secs;
    $rtt{$c->[2]} = median(map { $_->[3] ? $_->[2] / $_->[3] : 0 } @x);
    $dg{$c->[2]} = median(map { $_->[1] } @x);
    printf "%-22s %10.0f %10.1f %8.2f %12.2f %8d\n", $c->[2], $eps{$c->[2]},
        median(map { $_->[1] / $_->[0] } @x),
        $eps{$c->[2]} / $eps{$cases[0][2]}, $rtt{$c->[2]}, $dg{$c->[2]};
}

# targets: sharing the state through Redis costs a server little, more
# servers never slow the farm down (the claim serialises only the digest
# of one domain), and the round trips per event stay a small constant.
# How many digests go out depends on how the hosts spread over the
# windows, not on the farm: t/22farm_redis.t and t/23farm_load.t check
# that no domain gets two within one.
my ($own, $f1, $f3) = map { $cases[$_][2] } 0, 1, 3;
my @t = (
    ['farm of 1 events/s >= 0.8x one server with its own state',
     $eps{$f1} / $eps{$own}, $eps{$f1} >= 0.8 * $eps{$own}],
    ['farm of 3 events/s >= 1x farm of 1', $eps{$f3} / $eps{$f1},
     $eps{$f3} >= $eps{$f1}],
    ['Redis round trips per event <= 5, farm of 3', $rtt{$f3},
     $rtt{$f3} <= 5],
);
print "\n";
printf "%-58s %6.2f  %s\n", $_->[0], $_->[1], $_->[2] ? 'met' : 'MISSED'
    for @t;
