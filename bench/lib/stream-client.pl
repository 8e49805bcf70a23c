#!/usr/bin/perl
# stream-client.pl - paced client for bench/delivery.sh: one request per
# source address (X-Forwarded-For, read from ADDRFILE, one a line), RATE
# requests a second, for at most SECONDS or until the list is used up, on
# keep-alive connections; each request only after the previous answer was
# read in full. Request k is due at start + k / RATE; a late one is sent at
# once and the next ones keep their own times (no catching up in bursts
# beyond what lateness forces). A keep-alive connection the server closes
# before any byte of the next answer (mpm_event does so to idle ones when
# its workers are busy) is replaced, and the request sent again on the
# new one, once; that is counted in "retried".
#
#   perl stream-client.pl PORT PATH ADDRFILE RATE SECONDS
#
# Prints one line:
#   STREAMRESULT requests=N status_404=.. status_other=.. connections=C
#                retried=T seconds=S rate=R max_late_ms=L
# and exits 0 only when every request got a complete answer. Bounded:
# SIGALRM ends it SECONDS + 30 s after the start whatever happens.
use strict;
use warnings FATAL => 'all';
use IO::Socket::INET ();
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time sleep);

my ($port, $path, $addrfile, $rate, $limit) = @ARGV;
die "usage: stream-client.pl PORT PATH ADDRFILE RATE SECONDS\n"
    unless defined $limit && $port =~ /^\d+$/;
die "RATE must be 1..10000\n" unless $rate =~ /^\d+$/ && $rate >= 1
                                     && $rate <= 10000;
die "SECONDS must be 1..3600\n" unless $limit =~ /^\d+$/ && $limit >= 1
                                      && $limit <= 3600;

open my $fh, '<', $addrfile or die "$addrfile: $!\n";
my @addr = grep { length } map { s/\s+\z//r } <$fh>;
close $fh;
die "$addrfile: no addresses\n" unless @addr;
die "$addrfile: over 1,000,000 addresses\n" if @addr > 1_000_000;

# a write to a connection the server closed fails instead of killing us
local $SIG{PIPE} = 'IGNORE';
local $SIG{ALRM} = sub { die "stream-client: over " . ($limit + 30) . " s\n" };
alarm $limit + 30;

my ($s, $conns, $buf, $done, $retried, %status) = (undef, 0, '', 0, 0);

# connect_server - a new connection; the buffer of the old one is empty
sub connect_server {
    $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                               Proto => 'tcp', Timeout => 10)
        or die "stream-client: connect 127.0.0.1:$port: $!\n";
    binmode $s;
    $s->setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    $conns++;
}

# read_more - append what the socket has to $buf; 0 on a close (or a
# reset) before anything of the answer arrived, die on any other
sub read_more {
    my $n = sysread($s, $buf, 65536, length $buf);
    return 0 if (!defined $n || $n == 0) && $buf eq '';
    die "stream-client: read: $!\n" unless defined $n;
    die "stream-client: connection closed after $done answers\n" if $n == 0;
    return 1;
}

# send_req - write a request on the connection (a new one if needed)
sub send_req {
    my $r = shift;
    connect_server() unless $s;
    my $off = 0;
    while ($off < length $r) {
        my $w = syswrite($s, $r, length($r) - $off, $off);
        return 0 unless defined $w;
        $off += $w;
    }
    return 1;
}

my $t0 = time;
my $late = 0;
for my $k (0 .. $#addr) {
    my $due = $t0 + $k / $rate;
    last if $due - $t0 >= $limit;
    my $now = time;
    if ($due > $now) {
        sleep($due - $now);
    }
    elsif ($now - $due > $late) {
        $late = $now - $due;
    }
    my $r = "GET $path HTTP/1.1\r\nHost: bench.localhost\r\n"
            . "User-Agent: wormreply-bench/1\r\nAccept: */*\r\n"
            . "X-Forwarded-For: $addr[$k]\r\n\r\n";
    my $end;
    for my $try (1, 2) {
        if (send_req($r)) {
            while (($end = index($buf, "\r\n\r\n")) < 0) {
                last unless read_more();
            }
            last if $end >= 0;
        }
        die "stream-client: connection lost after $done answers\n"
            if $try == 2;
        close $s;
        $s = undef;
        $retried++;
    }
    my $head = substr($buf, 0, $end + 4, '');
    my ($code) = $head =~ m{^HTTP/1\.[01] (\d{3}) }
        or die "stream-client: bad status line after $done answers\n";
    my ($len) = $head =~ /^Content-Length:\s*(\d+)\r$/mi;
    die "stream-client: no Content-Length in a $code answer\n"
        unless defined $len;
    while (length($buf) < $len) {
        read_more() or die "stream-client: connection closed in an answer\n";
    }
    substr($buf, 0, $len, '');
    $status{$code}++;
    $done++;
    if ($head =~ /^Connection:\s*close/mi) {
        close $s;
        $s = undef;
        $buf = '';
    }
}
close $s if $s;
my $el = time - $t0;
printf "STREAMRESULT requests=%d status_404=%d status_other=%d "
       . "connections=%d retried=%d seconds=%.2f rate=%.1f "
       . "max_late_ms=%.0f\n",
    $done, $status{404} // 0, $done - ($status{404} // 0), $conns, $retried,
    $el,
    $el > 0 ? $done / $el : 0, $late * 1000;
exit 0;
