# Graceful restarts under load: probes from 2,000 distinct sources at 100
# connections while "apachectl graceful" runs three times, notices on and
# delivered through the rig's smarthost. No request error (each request on
# a connection of its own, so that no keep-alive race of the core counts),
# every source spooled exactly once across the four generations (the
# per-source table and the counters outlive a graceful restart), and every
# notice sent exactly once although each generation's notifier takes over
# from the last. As many nice-0 CPU hogs as CPUs run throughout the load
# and the restarts.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use IO::Socket::INET ();
use Time::HiRes qw(sleep time);
use WrPrivateHttpd;
use WrHogs;

my $top = $ENV{WORMREPLY_TOP} || "$FindBin::Bin/..";
my $RUN = ($ENV{WR_RIG_DIR} || "$top/t/rig/run") . '/smtp';
my $SMTP = $ENV{WR_SMTP_PORT} || 12525;
my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
-r "$RUN/cert.pem"
    or BAIL_OUT("the test SMTP server is not set up: sh t/rig/smtp.sh start");
my ($wrk) = grep { -x } map { "$_/wrk" } split /:/, $ENV{PATH};
$wrk or BAIL_OUT('wrk is not installed (scripts/install-deps.sh)');

my $N = 2000;
my $GOOD = 200;    # 2001:db8:b::1 .. ::c8 confirm as host-N.bulk.test
my $from = "wr-graceful-$$\@wr-notices.test";
my @src = ((map { sprintf '2001:db8:b::%x', $_ } 1 .. $GOOD),
           (map { sprintf '2001:db8:e::%x', $_ } 1 .. $N - $GOOD));

my $h = WrPrivateHttpd->new(port => 18146, mpm => 'worker', servers => 2);
my $d = $h->dir;
open my $fh, '>', "$d/secret" or die $!;
print $fh "s3cret\n";
close $fh;
chmod 0600, "$d/secret";
$h->write_conf(<<"EOF");
ThreadsPerChild 50
MaxRequestWorkers 200
MinSpareThreads 100
MaxSpareThreads 200
WormReply On
WormReplyNotify On
# the probes go out as HTTP/1.1, so they are iis (likely): mail them
WormReplyNotifyFamilies all
WormReplySourcePrefix 32 128
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 2001:db8::/32
WormReplyDigestDelay 2s
WormReplyDomainWindow 1s
WormReplyMaxPerHour 50
WormReplyFrom $from
WormReplySmarthost localhost:$SMTP
WormReplySMTPCACertificate $RUN/cert.pem
WormReplySMTPAuth wormtest $d/secret
WormReplyRetryInterval 1s
EOF
ok $h->start, 'httpd started' or diag $h->error_log;
my $pid;
$h->wait_for(sub { $pid = $h->pid }, 10);

my $lua = File::Temp->new(SUFFIX => '.lua');
print $lua "local src = {\n", (map { "'$_',\n" } @src), "}\n";
print $lua <<'LUA';
local tid = 0
setup = function(thread) thread:set("tid", tid); tid = tid + 1 end
local n
init = function(args) n = tonumber(tid or 0) * 1000 end
request = function()
  n = n + 1
  return wrk.format("GET", "/scripts/root.exe?/c+dir",
                    { ["Host"] = "www", ["Connection"] = "close",
                      ["X-Forwarded-For"] = src[(n % #src) + 1] })
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK requests=%d connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, e.connect, e.read, e.write, e.timeout, e.status))
end
LUA
close $lua;

# wrk for 20 s in the background; three graceful restarts meanwhile;
# every CPU busy
WrHogs::start();
my $out = File::Temp->new;
my $wpid = fork;
die "fork: $!" unless defined $wpid;
if ($wpid == 0) {
    open STDOUT, '>', $out->filename or exit 127;
    open STDERR, '>&', \*STDOUT;
    exec 'timeout', '120', $wrk, '-t2', '-c100', '-d20s', '--timeout', '10s',
         '-s', $lua->filename, 'http://127.0.0.1:18146/';
    exit 127;
}
for my $n (1 .. 3) {
    sleep 4;
    ok $h->signal_server('graceful'), "graceful restart $n under load";
}
waitpid $wpid, 0;
my $text = do { local $/; open my $o, '<', $out->filename; <$o> } // '';
my %w = $text =~ /(\w+)=(\d+)/g;
ok(($w{requests} // 0) > 0, "wrk sent $w{requests} probes") or diag $text;
is $w{connect} + $w{read} + $w{write} + $w{timeout}, 0,
    'no request error across three graceful restarts' or diag $text;
is $w{status}, $w{requests}, 'every request answered (404)';
my @gen = $h->error_log =~ /WR00018: notifier started/g;
is scalar(@gen), 4, 'four generations, each with its notifier';
ok kill(0, $pid), 'the same parent throughout';

# every source at least once more, in order: the ones wrk did not reach
# get their event now, the others are only counted
my ($s, $sent, $end) = (undef, 0, time + 120);
for my $ip (@src) {
    last if time > $end;
    $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:18146', Timeout => 10)
        or last;
    print $s "GET /scripts/root.exe?/c+dir HTTP/1.0\r\nHost: www\r\n"
        . "X-Forwarded-For: $ip\r\n\r\n";
    my $r = '';
    while (sysread($s, my $buf, 4096)) { $r .= $buf }
    $sent++ if $r =~ m{^HTTP/1\.1 404 };
}
is $sent, $N, "every one of the $N sources probed once more";
WrHogs::stop();
my %c = $h->status =~ /"(\w+)": (\d+)/g;
{
    no warnings 'uninitialized';
    note "graceful load: wrk requests $w{requests}, errors "
        . ($w{connect} + $w{read} + $w{write} + $w{timeout})
        . ", spooled $c{spooled} of $N sources, probes $c{probes}";
}
is $c{spooled}, $N, "every source spooled exactly once ($N)";
is $c{spooled} + $c{host_counted} + $c{prefix_held}, $c{probes},
    'every other probe counted';

ok $h->wait_for(sub {
        my %s = $h->status =~ /"(\w+)": (\d+)/g;
        ($s{unresolvable} // 0) + ($s{notice_events} // 0) >= $N }, 180),
    'the notifiers accounted for every event' or diag $h->status;
ok $h->wait_for(sub {
        my %s = $h->status =~ /"(\w+)": (\d+)/g;
        ($s{smtp_sent} // 0) >= ($s{notices} // 1) && ($s{notices} // 0) > 0 },
    60), 'every notice composed was delivered' or diag $h->status;
%c = $h->status =~ /"(\w+)": (\d+)/g;
is $c{unresolvable} + $c{notice_events}, $N, 'no event handled twice';
sleep 2;
my (%named, %copies);
for my $f (glob "$RUN/Maildir/new/*") {
    open my $m, '<', $f or next;
    local $/;
    my $t = <$m>;
    next unless $t =~ /^Return-path: <\Q$from\E>/mi;
    my ($id) = $t =~ /^Message-ID: (\S+)/mi;
    next if $copies{$id}++;    # one copy per mailbox
    $named{$_}++ for $t =~ /^Source:\s+(2001:db8:b::\S+)/mg;
}
is scalar(keys %named), $GOOD, "all $GOOD confirmed hosts reported";
ok !(grep { $_ != 1 } values %named), 'each in exactly one notice';
ok !(grep { $_ != 2 } values %copies),
    'each notice delivered exactly once (a copy per mailbox)';
$h->stop;
done_testing;
