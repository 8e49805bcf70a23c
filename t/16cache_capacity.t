# The shared cache keeps the host window for many sources at once: 10,000
# sources (a worm scan's worth) probe twice, the second round is only counted (one spool event
# per source). A fixed key prefix once crowded shmcb into one subcache, and
# shmcb's own 512 KB forgot the oldest of about 9,000 sources.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET ();
use Time::HiRes qw(time);
use WrPrivateHttpd;

my $DNSPORT = $ENV{WR_DNS_PORT} || 15353;
my $h = WrPrivateHttpd->new(port => 18119);
my $d = $h->dir;
$h->write_conf(<<"EOF2");
WormReply On
WormReplyNotify On
WormReplySourcePrefix 32 128
WormReplySpool $d/spool
WormReplyOutbox $d/outbox
WormReplyResolver 127.0.0.1:$DNSPORT
WormReplyNotifyAllow 2001:db8::/32
MaxKeepAliveRequests 0
EOF2
ok $h->start, 'httpd started' or diag $h->error_log;

# one keep-alive connection, pre-built requests: bounded in count and time
sub round {
    my $n = shift;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $h->port,
                                  Timeout => 10) or return 0;
    my $ok = 0;
    my $end = time + 120;
    for my $i (1 .. $n) {
        last if time > $end;
        my $ip = sprintf '2001:db8:7::%x', $i;
        print $s "GET /scripts/root.exe?/c+dir HTTP/1.1\r\nHost: www\r\n"
            . "X-Forwarded-For: $ip\r\n\r\n";
        my ($head, $buf) = ('', '');
        while ($head !~ /\r\n\r\n/) {
            my $r = sysread($s, $buf, 4096);
            last unless $r;
            $head .= $buf;
        }
        my ($len) = $head =~ /Content-Length: (\d+)/;
        my ($body) = $head =~ /\r\n\r\n(.*)\z/s;
        $body //= '';
        while (defined $len && length($body) < $len) {
            my $r = sysread($s, $buf, 4096);
            last unless $r;
            $body .= $buf;
        }
        $ok++ if $head =~ m{^HTTP/1\.1 404 };
    }
    return $ok;
}

my $N = 10000;
is round($N), $N, "round 1: $N sources answered";
is round($N), $N, "round 2: the same $N answered again";
my %c = $h->status =~ /"(\w+)": (\d+)/g;
is $c{spooled}, $N, 'one spool event per source';
is $c{host_counted}, $N, 'the second round only counted: the cache holds them all';
$h->stop;
done_testing;
