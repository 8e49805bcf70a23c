#!/usr/bin/perl
# xff-client.pl - sequential keep-alive client for bench/notices.sh: sends
# one request per source address (X-Forwarded-For, read from ADDRFILE, one
# a line), PASSES times over the list, on keep-alive connections, each
# request only after the previous answer was read in full (as "ab -k -c 1"
# does; ab cannot vary a header from request to request). Every request is built
# before the connection is opened, so the client's own work between
# answers is a write and a read.
#
#   perl xff-client.pl PORT PATH ADDRFILE [PASSES] [SECONDS]
#
# Prints one line:
#   XFFRESULT requests=N status_200=.. status_404=.. status_other=..
#             connections=C body_bytes=LAST seconds=S rps=R
# and exits 0 only when every request got a complete answer within SECONDS
# (default 900) in all. When the server ends a connection with
# "Connection: close" (MaxKeepAliveRequests) the client opens the next one
# and counts it in C; any other close is an error.
use strict;
use warnings FATAL => 'all';
use IO::Socket::INET ();
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time);

my ($port, $path, $addrfile, $passes, $limit) = @ARGV;
die "usage: xff-client.pl PORT PATH ADDRFILE [PASSES] [SECONDS]\n"
    unless defined $addrfile && $port =~ /^\d+$/;
$passes //= 1;
$limit //= 900;
die "PASSES must be 1..100\n" unless $passes =~ /^\d+$/ && $passes >= 1
                                     && $passes <= 100;
die "SECONDS must be 1..7200\n" unless $limit =~ /^\d+$/ && $limit >= 1
                                      && $limit <= 7200;

open my $fh, '<', $addrfile or die "$addrfile: $!\n";
my @addr = grep { length } map { s/\s+\z//r } <$fh>;
close $fh;
die "$addrfile: no addresses\n" unless @addr;
die "$addrfile: over 1,000,000 addresses\n" if @addr > 1_000_000;

my @req = map {
    "GET $path HTTP/1.1\r\nHost: bench.localhost\r\n"
    . "User-Agent: wormreply-bench/1\r\nAccept: */*\r\n"
    . "X-Forwarded-For: $_\r\n\r\n"
} @addr;

# the whole run is bounded: SIGALRM ends it with a non-zero status
local $SIG{ALRM} = sub { die "xff-client: over $limit s\n" };
alarm $limit;

my ($s, $conns) = (undef, 0);

# connect - a new connection; the buffer of the old one must be empty
sub connect_server {
    $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                               Proto => 'tcp', Timeout => 10)
        or die "xff-client: connect 127.0.0.1:$port: $!\n";
    binmode $s;
    $s->setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    $conns++;
}

my $buf = '';
my %status;
my $done = 0;
my $body_len = 0;
my $t0 = time;

# read_more - append what the socket has to $buf; die on close
sub read_more {
    my $n = sysread($s, $buf, 65536, length $buf);
    die "xff-client: read: $!\n" unless defined $n;
    die "xff-client: connection closed after $done answers\n" if $n == 0;
}

for my $pass (1 .. $passes) {
    for my $r (@req) {
        connect_server() unless $s;
        my $off = 0;
        while ($off < length $r) {
            my $w = syswrite($s, $r, length($r) - $off, $off);
            die "xff-client: write: $!\n" unless defined $w;
            $off += $w;
        }
        my $end;
        read_more() while ($end = index($buf, "\r\n\r\n")) < 0;
        my $head = substr($buf, 0, $end + 4, '');
        my ($code) = $head =~ m{^HTTP/1\.[01] (\d{3}) }
            or die "xff-client: bad status line after $done answers\n";
        $head =~ /^Transfer-Encoding:\s*chunked/mi
            and die "xff-client: chunked answer (want Content-Length)\n";
        my ($len) = $head =~ /^Content-Length:\s*(\d+)\r$/mi;
        die "xff-client: no Content-Length in a $code answer\n"
            unless defined $len;
        read_more() while length($buf) < $len;
        substr($buf, 0, $len, '');
        $body_len = $len;
        $status{$code}++;
        $done++;
        if ($head =~ /^Connection:\s*close/mi) {
            die "xff-client: bytes after a closing answer\n" if length $buf;
            close $s;
            $s = undef;
        }
    }
}
my $dt = time - $t0;
alarm 0;
close $s if $s;

my $other = 0;
$other += $status{$_} for grep { $_ ne '200' && $_ ne '404' } keys %status;
printf "XFFRESULT requests=%d status_200=%d status_404=%d status_other=%d "
    . "connections=%d body_bytes=%d seconds=%.3f rps=%.1f\n",
    $done, $status{200} // 0, $status{404} // 0, $other, $conns, $body_len,
    $dt, $dt > 0 ? $done / $dt : 0;
exit 0;
