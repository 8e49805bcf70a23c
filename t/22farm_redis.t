# WormReplyFarm: three httpd servers (own ServerRoot, spool and outbox) share
# the per-domain windows, the hourly cap and the host windows through one
# real redis-server, with the real DNS server of t/rig/dns.sh. Hosts of
# farmN.test are 2001:db8:f::N:H (hH.farmN.test, forward-confirmed).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(sleep time);
use WrPrivateHttpd;

my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
system("dig +short +time=1 +tries=2 \@127.0.0.1 -p $DNSPORT h1.farm1.test "
       . "AAAA >/dev/null 2>&1") == 0
    or BAIL_OUT("the test DNS server does not answer: sh t/rig/dns.sh start");
for my $bin (qw(redis-server redis-cli gdb)) {
    grep { -x "$_/$bin" } split /:/, $ENV{PATH}
        or BAIL_OUT("$bin is not installed (scripts/install-deps.sh)");
}

my $RPORT = 16392;
my $CAP = 2;
my $NIMDA = '/scripts/root.exe?/c+dir';

sub listening {
    my $port = shift;
    return defined IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                         Timeout => 1);
}

my $redis;
sub redis_start {
    $redis = fork;
    if (defined $redis && $redis == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec qw(redis-server --bind 127.0.0.1 --port), $RPORT,
            qw(--save), '', qw(--appendonly no) or POSIX::_exit(127);
    }
    my $end = time + 10;
    sleep 0.05 until listening($RPORT) || time > $end;
    return listening($RPORT);
}
sub redis_stop {
    return unless $redis;
    kill 'KILL', $redis;
    waitpid $redis, 0;
    undef $redis;
    my $end = time + 10;
    sleep 0.05 while listening($RPORT) && time < $end;
}
sub rcli { my $o = qx{redis-cli -p $RPORT @_ 2>/dev/null}; chomp $o; $o }
END { local $?; redis_stop() }

# configtest refuses a bad farm setting, naming the file and the line
{
    my $h = WrPrivateHttpd->new(port => 18163);
    my $d = $h->dir;
    open my $fh, '>', "$d/pw-open" or die $!;
    print $fh "secret\n";
    close $fh;
    chmod 0644, "$d/pw-open";
    my @bad = (
        ["WormReplyFarm http://127.0.0.1:6379\n",
         qr/WormReplyFarm: 'http:\/\/127\.0\.0\.1:6379': must start with redis:\/\//],
        ["WormReplyFarm redis://u:pw\@127.0.0.1\n",
         qr/user\@ must name a user and no password \(the password comes from a file\)/],
        ["WormReplyFarm redis://127.0.0.1:99999\n",
         qr/the port must be a number from 1 to 65535/],
        ["WormReplyFarm redis://127.0.0.1 $d/pw-open\n",
         qr/WormReplyFarm: \Q$d\E\/pw-open: .*accessible to group or others/],
        ["WormReplyFarmLease 0s\n",
         qr/WormReplyFarmLease: '0s' is not a duration from 1s to 1h/],
        ["<VirtualHost *:1>\nWormReplyFarm redis://127.0.0.1\n</VirtualHost>\n",
         qr/WormReplyFarm cannot occur within <VirtualHost> section/],
    );
    for my $b (@bad) {
        $h->write_conf($b->[0]);
        my ($rc, $out) = $h->configtest;
        my ($dir) = $b->[0] =~ /^(WormReplyFarm\w*)/m;
        my $line = 0;
        open my $cf, '<', $h->conf_file or die $!;
        while (<$cf>) { if (/^\Q$dir\E /) { $line = $.; last } }
        (my $what = $b->[0]) =~ s/\n/ /g;
        isnt $rc, 0, "configtest refuses: $what";
        like $out, qr/on line $line of \Q@{[$h->conf_file]}\E/,
            "... naming the file and line $line" or diag $out;
        like $out, $b->[1], '... and why' or diag $out;
    }
}

ok !listening($RPORT), "port $RPORT is free";
ok redis_start(), "a real redis-server on 127.0.0.1:$RPORT";

my @h;
my $port = 18160;
for my $name (qw(A B C)) {
    my $h = WrPrivateHttpd->new(port => $port++);
    my $d = $h->dir;
    $h->write_conf(<<"EOF");
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 2001:db8::/32
# the rig's farmN.test hosts share one /64: here each address is a source
WormReplySourcePrefix 32 128
WormReplyDigestDelay 5s
WormReplyDomainWindow 1h
WormReplyMaxPerHour 20
WormReplyFrom wormreply\@wr-farm.test
WormReplyFarm redis://127.0.0.1:$RPORT
WormReplyFarmLease 3s
EOF
    my ($rc, $out) = $h->configtest;
    is $rc, 0, "$name: configtest passes" or diag $out;
    ok $h->start, "$name: httpd on 127.0.0.1:" . $h->port
        or diag $h->error_log;
    ok $h->wait_for(sub { $h->notifier_pid }, 10), "$name: notifier started";
    push @h, $h;
}

sub host { my ($d, $n) = @_; sprintf '2001:db8:f::%x:%x', $d, $n }

# digests - {domain => [[server, hosts...], ...]} over the three outboxes
sub digests {
    my %d;
    for my $k (0 .. $#h) {
        for my $m ($h[$k]->messages) {
            my ($dom) = $m->[1] =~ /^To: .*?\@(farm\d+\.test)/mi or next;
            push @{ $d{$dom} },
                [$k, sort($m->[1] =~ /^Source:\s+(\S+)/mg)];
        }
    }
    return \%d;
}
sub counters {
    my %s;
    for my $h (@h) {
        my %c = $h->status =~ /"(\w+)": (\d+)/g;
        $s{$_} += $c{$_} for keys %c;
    }
    return \%s;
}
sub spools_empty {
    for my $h (@h) {
        return 0 if $h->spool_count('new') + $h->spool_count('cur');
    }
    return 1;
}
sub probe_spread {
    my ($dom, $n) = @_;
    $h[$_ % 3]->probe(host($dom, $_), $NIMDA) for 1 .. $n;
}

ok $h[0]->wait_for(sub { (counters()->{farm_connected} // 0) == 3 }, 10),
    'every notifier uses the farm state';

# 1. 30 hosts of one domain over the three servers, a second domain in
# the same window: one digest each, naming every host
probe_spread(1, 30);
probe_spread(2, 6);
ok $h[0]->wait_for(sub { my $d = digests();
                         $d->{'farm1.test'} && $d->{'farm2.test'} }, 30),
    'the digests of both domains are written';
sleep 2;    # anything sent twice would come now
ok spools_empty(), 'every event dealt with';
my $d = digests();
is scalar(@{ $d->{'farm1.test'} }), 1, 'farm1.test: one digest for the farm';
my ($srv, @named) = @{ $d->{'farm1.test'}[0] };
is_deeply [sort @named], [sort map { host(1, $_) } 1 .. 30],
    'farm1.test: the digest names all 30 hosts of the three servers';
is scalar(@{ $d->{'farm2.test'} }), 1, 'farm2.test: its own single digest';
is scalar(@{ $d->{'farm2.test'}[0] }) - 1, 6, 'farm2.test: all 6 hosts';
is rcli('LLEN', 'wormreply:sent'), 2, 'the farm history holds both';

# a host reported by one server is not reported again by another: probed
# on a server that neither saw it nor sent the digest
for my $k (grep { $_ % 3 != $srv } 1 .. 30) {
    my ($other) = grep { $_ != $srv && $_ != $k % 3 } 0 .. 2;
    $h[$other]->probe(host(1, $k), $NIMDA);
    last;
}
sleep 7;
is scalar(@{ digests()->{'farm1.test'} }), 1,
    'a reported host probing the other servers makes no new digest';
ok counters()->{host_suppressed} >= 1, 'suppressed by the farm host window';

# a less certain family alone (iis: WormReplyNotifyFamilies keeps its
# default, certain) is held before any DNS: nothing of it stays in the
# spool or waits in the farm's sets
like $h[1]->probe(host(6, 1), '/scripts/..%c0%af../winnt/system32/cmd.exe'),
    qr{^HTTP/1\.1 404 }, 'an iis probe from ' . host(6, 1) . ' answered';
ok $h[1]->wait_for(sub { $h[1]->error_log =~ /WR00521: \Q@{[host(6, 1)]}\E: not notified/ },
                   20), 'B holds its event: its family does not notify by itself'
    or diag $h[1]->error_log;
ok spools_empty() && $h[1]->spool_count('failed') == 0,
    'the held event left the spool';
is rcli('--scan', '--pattern', "'wormreply:h:*'"), '',
    'nothing waits in the farm for a held event';

# 2. the notifier holding a domain's claim is killed before it sends: the
# claim's lease ends and the digest goes out once
probe_spread(3, 9);
ok $h[0]->wait_for(sub { rcli('HLEN', 'wormreply:h:farm3.test') == 9 }, 20),
    'farm3.test: the 9 hosts are in the farm set';
my @np = map { $_->notifier_pid } @h;
kill 'STOP', $np[1], $np[2];
my $gdb = qx{timeout 30 gdb -p $np[0] -batch -ex 'break wr_notice_compose' -ex continue -ex 'kill' 2>&1};
my $holder = rcli('GET', 'wormreply:c:farm3.test');
like $holder, qr/:\Q$np[0]\E$/, 'A holds the claim of farm3.test'
    or diag $gdb;
# dead (a zombie until httpd reaps it)
sub alive {
    open my $fh, '<', "/proc/$_[0]/stat" or return 0;
    my $s = <$fh> // '';
    return $s !~ /^\d+ \(.*\) Z/;
}
like $gdb, qr/Breakpoint 1, wr_notice_compose/, 'A stopped in composing';
ok !alive($np[0]), "A's notifier was killed inside the claim" or diag $gdb;
ok !digests()->{'farm3.test'}, 'nothing was sent for farm3.test';
kill 'CONT', $np[1], $np[2];
ok $h[0]->wait_for(sub { digests()->{'farm3.test'} }, 30),
    'after the lease, the digest of farm3.test is sent';
sleep 7;
$d = digests();
is scalar(@{ $d->{'farm3.test'} }), 1, 'farm3.test: exactly once';
is_deeply [sort @{ $d->{'farm3.test'}[0] }[1 .. 9]],
    [sort map { host(3, $_) } 1 .. 9], 'naming all 9 hosts';
ok $h[0]->wait_for(sub { $h[0]->notifier_pid
                         && $h[0]->notifier_pid != $np[0] }, 20),
    "A's notifier was restarted by httpd";

# 3. Redis stopped during probes, then started: every host reported, none
# twice. farm4: sent by each server from its own state while Redis is
# down; farm5: Redis is back before its digest is due.
redis_stop();
probe_spread(4, 6);
ok $h[0]->wait_for(sub { (counters()->{farm_local} // 0) >= 3 }, 40),
    'without Redis each server sends its own digest of farm4.test'
    or diag explain counters();
ok counters()->{farm_errors} > 0, 'the errors are counted';
like $h[0]->error_log, qr/WR00063: farm state unreachable/,
    'the fallback is logged';
like $h[0]->status, qr/"farm_connected": 0/, 'the status says so';
my $cli = qx{$FindBin::Bin/../tools/wormreply status http://127.0.0.1:18160/wormreply-status 2>&1};
like $cli, qr/^farm_connected\s+0(?:\s|$)/m, 'wormreply status: not connected';
like $cli, qr/^farm_last_error\s+connect 127\.0\.0\.1:$RPORT: \S/m,
    'wormreply status: the last error' or diag $cli;
like $h[0]->raw("GET /server-status?auto HTTP/1.0\r\n\r\n"),
    qr/^WormReplyFarmLastError: connect 127\.0\.0\.1:$RPORT/m,
    'mod_status: the last error';
probe_spread(5, 6);
sleep 0.5;
ok redis_start(), 'redis-server started again (empty)';
ok $h[0]->wait_for(sub { counters()->{farm_connected} == 3 }, 20),
    'every server is back on the farm state';
ok $h[0]->wait_for(sub { digests()->{'farm5.test'} }, 30),
    'farm5.test sent';
# the farm4 hosts probe again, each on another server than before
$h[($_ + 1) % 3]->probe(host(4, $_), $NIMDA) for 1 .. 6;
sleep 7;
ok spools_empty(), 'every event dealt with';
$d = digests();
my %seen;
$seen{$_}++ for map { @{$_}[1 .. $#$_] } @{ $d->{'farm4.test'} };
is_deeply [sort keys %seen], [sort map { host(4, $_) } 1 .. 6],
    'farm4.test: every host reported';
ok !(grep { $_ != 1 } values %seen), 'farm4.test: none twice'
    or diag explain \%seen;
is scalar(@{ $d->{'farm5.test'} }), 1, 'farm5.test: one digest';
is scalar(@{ $d->{'farm5.test'}[0] }) - 1, 6, 'farm5.test: all 6 hosts';
like $h[1]->error_log, qr/WR00064: farm state in use again/,
    'the return to the farm state is logged';

# 4. the hourly cap holds farm-wide: a fresh farm state, every server at
# WormReplyMaxPerHour $CAP, four domains over the three servers
rcli('FLUSHALL');
for my $h (@h) {
    my $c = do { local (@ARGV, $/) = $h->conf_file; <> };
    $c =~ s/^WormReplyMaxPerHour \d+/WormReplyMaxPerHour $CAP/m;
    open my $fh, '>', $h->conf_file or die $!;
    print $fh $c;
    close $fh;
    my $old = $h->notifier_pid;
    ok $h->signal_server('graceful'), 'graceful restart with a cap of ' . $CAP;
    ok $h->wait_for(sub { ($h->notifier_pid // 0) != $old }, 20),
        'a new notifier';
}
probe_spread($_, 3) for 6 .. 9;
ok $h[0]->wait_for(sub { (counters()->{cap_deferred} // 0) >= 1 }, 30),
    'digests over the cap are held back';
sleep 3;
$d = digests();
my $more = grep { $d->{"farm$_.test"} } 6 .. 9;
is $more, $CAP, "the farm's cap of $CAP an hour holds for the three servers";
like rcli('HGETALL', 'wormreply:cap'), qr/^\d+\n$CAP$/,
    'the cap is counted in Redis';

$_->stop for @h;

# 5. a Redis that wants a password: read from a root-only file by the
# notifier; a wrong one is an error like any other (the server falls back)
{
    my $pport = 16395;
    my $pid = fork;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', '/dev/null';
        exec qw(redis-server --bind 127.0.0.1 --port), $pport,
            qw(--save), '', qw(--appendonly no --requirepass), 'farm-s3cret'
            or POSIX::_exit(127);
    }
    my $end = time + 10;
    sleep 0.05 until listening($pport) || time > $end;
    for my $case (['farm-s3cret', 1], ['wrong', 0]) {
        my $h = WrPrivateHttpd->new(port => 18163);
        my $d = $h->dir;
        open my $fh, '>', "$d/redis-pw" or die $!;
        print $fh "$case->[0]\n";
        close $fh;
        chmod 0600, "$d/redis-pw";
        $h->write_conf(<<"EOF");
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyFarm redis://127.0.0.1:$pport $d/redis-pw
EOF
        ok $h->start, "password '$case->[0]': httpd started"
            or diag $h->error_log;
        if ($case->[1]) {
            ok $h->wait_for(sub { $h->status =~ /"farm_connected": 1/ }, 10),
                'the right password: the farm state is used';
        }
        else {
            ok $h->wait_for(sub { $h->status =~ /"farm_last_error": "[^"]*(?:WRONGPASS|invalid)/i }, 10),
                'a wrong password: refused, and said so' or diag $h->status;
            unlike $h->status, qr/"farm_connected": 1/, '... not connected';
        }
        $h->stop;
    }
    kill 'KILL', $pid;
    waitpid $pid, 0;
}
done_testing;
