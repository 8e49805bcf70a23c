# One attacker, one prefix: 5,000 addresses of one IPv6 /64 cost a bounded
# handful of spool events (WormReplyPrefixQuota, each naming another
# address), and 50 sources of other prefixes that come after are every one
# spooled. The status page and one warning a minute name the prefix held
# back. A byte bound on the spool, failed/ included, holds whatever comes.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use WrPrivateHttpd;

# send - one keep-alive connection, the probes of @sources in order
# (bounded: 180 s); the number answered by the module's 404
sub send_all {
    my ($h, @sources) = @_;
    my ($s, $ok, $end) = (undef, 0, time + 180);
    for my $ip (@sources) {
        last if time > $end;
        $s ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $h->port,
                                     Timeout => 10) or last;
        print $s "GET /scripts/root.exe?/c+dir HTTP/1.1\r\nHost: www\r\n"
            . "X-Forwarded-For: $ip\r\n\r\n";
        my ($head, $buf) = ('', '');
        while ($head !~ /\r\n\r\n/) {
            my $r = sysread($s, $buf, 4096);
            last unless $r;
            $head .= $buf;
        }
        my ($len) = $head =~ /Content-Length: (\d+)/i;
        my ($body) = $head =~ /\r\n\r\n(.*)\z/s;
        $body //= '';
        while (defined $len && length($body) < $len) {
            my $r = sysread($s, $buf, 4096);
            last unless $r;
            $body .= $buf;
        }
        $ok++ if $head =~ m{^HTTP/1\.1 404 };
        undef $s if $head =~ /^Connection: close/mi || $head eq '';
    }
    return $ok;
}

sub counters { my %c = $_[0]->status =~ /"(\w+)": (\d+)/g; return \%c }

sub auto {
    my $h = shift;
    my $a = $h->raw("GET /server-status?auto HTTP/1.0\r\n\r\n");
    return $a;
}

# 1. the default prefixes and quota (/64, 4 events)
my $h = WrPrivateHttpd->new(port => 18145);
my $d = $h->dir;
$h->write_conf(<<"EOF");
MaxKeepAliveRequests 0
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:1
WormReplyNotifyAllow 2001:db8::/32 192.0.2.0/24
WormReplyDigestDelay 1h
EOF
ok $h->start, 'httpd started' or diag $h->error_log;
my @flood = map { sprintf '2001:db8:ff:1:%x:%x::1', $_ >> 8, $_ & 255 } 1 .. 5000;
is send_all($h, @flood), 5000, '5,000 addresses of 2001:db8:ff:1::/64 answered';
my $c = counters($h);
ok $c->{spooled} >= 1 && $c->{spooled} <= 4,
    "the /64 cost $c->{spooled} events (at most WormReplyPrefixQuota, 4)";
is $c->{spooled} + $c->{prefix_held} + $c->{host_counted}, 5000,
    'the rest held back or counted';
cmp_ok $c->{prefix_held}, '>=', 4996, 'every other new address held back';
like auto($h), qr{^WormReplyHeldPrefix: 2001:db8:ff:1::/64 \(quota}m,
    'server-status names the prefix held back';
my @warn = $h->error_log =~ /WR00451: events of (\S+) held back/g;
is_deeply \@warn, ['2001:db8:ff:1::/64'],
    'one warning (a minute) naming the prefix';

my @others = ((map { sprintf '2001:db8:ff:%x::1', 0x100 + $_ } 1 .. 40),
              (map { "192.0.2.$_" } 101 .. 110));
is send_all($h, @others), 50, '50 sources of other prefixes answered';
my $c2 = counters($h);
is $c2->{spooled} - $c->{spooled}, 50, 'every one of the 50 spooled';
is $c2->{spool_dropped}, 0, 'nothing dropped';
# an address of the flood that had its event: counted, not held
my ($first) = map { $_ } $flood[0];
send_all($h, $first);
is counters($h)->{host_counted}, $c2->{host_counted} + 1,
    'an address that had its event is only counted';
$h->stop;

# 2. per-address accounting when asked (WormReplySourcePrefix 32 128)
$h = WrPrivateHttpd->new(port => 18145);
$d = $h->dir;
$h->write_conf(<<"EOF");
MaxKeepAliveRequests 0
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:1
WormReplyNotifyAllow 2001:db8::/32
WormReplyDigestDelay 1h
WormReplySourcePrefix 32 128
WormReplyPrefixQuota 1
EOF
ok $h->start, '/128: httpd started' or diag $h->error_log;
is send_all($h, @flood[0 .. 99]), 100, '/128: 100 addresses of one /64';
is counters($h)->{spooled}, 100, '/128: one event each';
$h->stop;

# 3. the byte bound, failed/ included: a record of 3,000 bytes waits in
# failed/, the bound is 4K; the notifier cannot resolve anything, so the
# events stay (and grow: it adds attempts and next-try lines to each)
$h = WrPrivateHttpd->new(port => 18145);
$d = $h->dir;
mkdir "$d/spool";
mkdir "$d/spool/$_" for qw(tmp new cur failed);
{
    open my $f, '>', "$d/spool/failed/00000000001.000001.P1.Q1.R0123456789abcdef"
        or die $!;
    print $f 'x' x 3000;
    close $f;
}
system('chown', '-R', 'www-data:www-data', "$d/spool") if $> == 0;
$h->write_conf(<<"EOF");
MaxKeepAliveRequests 0
WormReply On
WormReplyNotify On
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:1
WormReplyNotifyAllow 2001:db8::/32
WormReplyDigestDelay 1h
WormReplySpoolMaxBytes 4K
# HTTP/1.1 probes are iis (likely): without this the notifier would drop
# their events at once (held_uncertain) instead of keeping them
WormReplyNotifyFamilies all
EOF
ok $h->start, 'bytes: httpd started' or diag $h->error_log;
# the notifier counts the spool at its start
sleep 2;
my @many = map { sprintf '2001:db8:fe:%x::1', $_ } 1 .. 30;
is send_all($h, @many), 30, 'bytes: 30 sources of 30 prefixes answered';
$c = counters($h);
ok $c->{spooled} >= 1 && $c->{spooled} < 10,
    "bytes: $c->{spooled} events fit in the 1,096 bytes left (each "
    . "accounted with room for the notifier's lines)";
is $c->{spooled} + $c->{spool_dropped}, 30, 'bytes: the rest dropped';
my $bytes = 0;
for my $sub (qw(new cur failed)) {
    $bytes += -s $_ for glob "$d/spool/$sub/*";
}
cmp_ok $bytes, '<=', 4096, "bytes: the spool holds $bytes bytes, failed/ included";
like auto($h), qr{^WormReplyHeldPrefix: 2001:db8:fe:\w+::/64 \(bytes}m,
    'bytes: server-status names a prefix held back by the byte bound';
like $h->error_log, qr{WR00451: events of 2001:db8:fe:\w+::/64 held back: the spool holds WormReplySpoolMaxBytes},
    'bytes: and the warning says which bound';
$h->stop;
done_testing;
