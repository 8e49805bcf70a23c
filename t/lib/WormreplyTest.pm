package WormreplyTest;
# Shared helpers for the Apache::Test suite (t/0*.t).
#
# - Requests go out on a raw socket, byte for byte as given: a worm's
#   request is sent exactly as the worm sent it, with no client library
#   normalising the target, the version or the headers.
# - Logs are read by offset: note the size before a request, then wait a
#   bounded time for the lines appended after it (the access log is written
#   at the end of the request, after the answer has gone out).
# - Every loop is bounded in count and time.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes qw(time sleep);
use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT_OK = qw(
    vhost_port send_raw raw_get parse_response read_response
    log_path log_size log_wait log_lines_since
    status_auto status_html counter_delta
    nimda_scan codered_line codered_request nimda_request
    tiny_body is_tiny is_httpd_404
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $IO_TIMEOUT = 10;     # seconds for any one socket exchange
my $LOG_TIMEOUT = 10;    # seconds to wait for a log line

# vhost_port - the port Apache::Test gave a <VirtualHost NAME>
# ('default' = the main server)
sub vhost_port {
    my $name = shift;
    my $cfg = Apache::Test::config();
    return $cfg->{vars}{port} if $name eq 'default';
    my $vh = $cfg->{vhosts}{$name} or die "no vhost '$name' in extra.conf\n";
    return $vh->{port};
}

sub connect_to {
    my $name = shift;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => vhost_port($name),
                                      Proto => 'tcp', Timeout => $IO_TIMEOUT)
        or die "connect to vhost $name: $!\n";
    binmode $sock;
    return $sock;
}

# read_some - what the peer sends within $timeout; undef on EOF, '' when
# nothing came in time
sub read_some {
    my($sock, $timeout) = @_;
    my $sel = IO::Select->new($sock);
    return '' unless $sel->can_read($timeout);
    my $n = sysread $sock, my $buf, 65536;
    return undef if !defined $n && $!{ECONNRESET};
    die "read: $!\n" unless defined $n;
    return $n == 0 ? undef : $buf;
}

# send_raw - connect to a vhost, send $bytes, read until the server closes
# the connection (bounded). Returns a hash: data (all bytes read), eof (the
# server closed the connection), reset (it was reset), seconds.
sub send_raw {
    my($name, $bytes, %opt) = @_;
    my $timeout = $opt{timeout} || $IO_TIMEOUT;
    my $sock = connect_to($name);
    my $t0 = time;
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite $sock, $bytes, length($bytes) - $off, $off;
        die "write to vhost $name: $!\n" unless defined $n;
        $off += $n;
    }
    shutdown $sock, 1 if $opt{half_close};
    my %res = (data => '', eof => 0, reset => 0);
    my $deadline = $t0 + $timeout;
    while (time < $deadline) {
        my $sel = IO::Select->new($sock);
        next unless $sel->can_read($deadline - time);
        my $n = sysread $sock, my $buf, 65536;
        if (!defined $n) {
            if ($!{ECONNRESET}) { $res{reset} = 1; $res{eof} = 1; last; }
            die "read from vhost $name: $!\n";
        }
        if ($n == 0) { $res{eof} = 1; last; }
        $res{data} .= $buf;
    }
    $res{seconds} = time - $t0;
    close $sock;
    return \%res;
}

# raw_get - "GET $target $proto" with the given extra header lines,
# sent raw; returns send_raw's hash plus the parsed response
sub raw_get {
    my($name, $target, %opt) = @_;
    my $proto = $opt{proto} || 'HTTP/1.0';
    my $req = "GET $target $proto\r\n";
    $req .= "$_\r\n" for @{ $opt{headers} || [] };
    if ($proto eq 'HTTP/1.1' && !grep { /^host:/i } @{ $opt{headers} || [] }) {
        $req .= "Host: 127.0.0.1\r\nConnection: close\r\n";
    }
    $req .= "\r\n";
    my $res = send_raw($name, $req, %opt);
    my $r = parse_response($res->{data});
    return { %$res, %$r };
}

# parse_response - split one HTTP response: code, headers (lower-cased
# names), body (by Content-Length when given), rest (bytes after it)
sub parse_response {
    my $data = shift;
    my %r = (code => undef, headers => {}, body => undef, rest => '',
             head => undef);
    my $end = index $data, "\r\n\r\n";
    return \%r if $end < 0;
    my $head = substr $data, 0, $end;
    my $body = substr $data, $end + 4;
    my($status, @lines) = split /\r\n/, $head;
    ($r{code}) = $status =~ m{^HTTP/\d\.\d (\d{3})};
    $r{head} = $head;
    for (@lines) {
        my($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $r{headers}{lc $k} = $v;
    }
    if (defined(my $len = $r{headers}{'content-length'})) {
        $r{rest} = substr $body, $len;
        $body = substr $body, 0, $len;
    }
    $r{body} = $body;
    return \%r;
}

# read_response - read exactly one response from an open socket (needs a
# Content-Length: enough for the module's answers and httpd's 404)
sub read_response {
    my($sock, $timeout) = @_;
    $timeout ||= $IO_TIMEOUT;
    my $deadline = time + $timeout;
    my $data = '';
    while (time < $deadline) {
        my $r = parse_response($data);
        if (defined $r->{code}) {
            my $len = $r->{headers}{'content-length'};
            return $r if defined $len && length($r->{body}) >= $len;
        }
        my $buf = read_some($sock, $deadline - time);
        return parse_response($data) unless defined $buf;
        $data .= $buf;
    }
    return parse_response($data);
}

# The module's fixed bodies; httpd's own 404 is an HTML page.
my %TINY = (404 => "404 Not Found\n", 403 => "403 Forbidden\n",
            410 => "410 Gone\n");
sub tiny_body { $TINY{ $_[0] } }

# is_tiny - the response is the module's own answer with code $code
sub is_tiny {
    my($r, $code) = @_;
    return defined $r->{code} && $r->{code} == $code
        && defined $r->{body} && $r->{body} eq $TINY{$code};
}

# is_httpd_404 - httpd's own 404 page (the request was not answered by
# the module)
sub is_httpd_404 {
    my $r = shift;
    return defined $r->{code} && $r->{code} == 404
        && defined $r->{body} && $r->{body} =~ /<title>404 Not Found/;
}

# --- logs ---

sub log_path {
    my $name = shift;
    return Apache::Test::vars('t_logs') . "/$name";
}

sub log_size {
    my $f = log_path(shift);
    return -e $f ? -s $f : 0;
}

# log_lines_since - complete lines appended to a log after $offset
sub log_lines_since {
    my($name, $offset) = @_;
    my $f = log_path($name);
    open my $fh, '<:raw', $f or return ();
    seek $fh, $offset, 0 or return ();
    local $/;
    my $text = <$fh> // '';
    close $fh;
    $text =~ s/[^\n]*\z//;      # a line still being written
    return split /\n/, $text;
}

# log_wait - wait (bounded) until the lines appended after $offset hold
# one matching each of @patterns (in any order); returns the appended
# lines. $opt{timeout} overrides the wait; with $opt{settle} it waits that
# long more and returns what came in meanwhile too.
sub log_wait {
    my($name, $offset, $patterns, %opt) = @_;
    my $deadline = time + ($opt{timeout} || $LOG_TIMEOUT);
    my @lines;
    while (1) {
        @lines = log_lines_since($name, $offset);
        my $all = 1;
        for my $p (@$patterns) {
            $all = 0, last unless grep { $_ =~ $p } @lines;
        }
        last if $all || time >= $deadline;
        sleep 0.05;
    }
    if ($opt{settle}) {
        sleep $opt{settle};
        @lines = log_lines_since($name, $offset);
    }
    return @lines;
}

# --- mod_status ---

# status_auto - the module's counters from the main server's
# /server-status?auto, as a hash
sub status_auto {
    my $r = raw_get('default', '/server-status?auto');
    die "server-status?auto: no answer\n" unless ($r->{code} // 0) == 200;
    my %c;
    for (split /\n/, $r->{body}) {
        $c{$1} = $2 if /^(WormReply[\w-]+): (\d+)$/;
    }
    return \%c;
}

sub status_html {
    return raw_get('default', '/server-status');
}

# counter_delta - after - before, per counter (0 for a counter absent from
# the snapshot before: a family first counted in between)
sub counter_delta {
    my($before, $after) = @_;
    my %d;
    $d{$_} = $after->{$_} - ($before->{$_} // 0) for keys %$after;
    return \%d;
}

# --- the worms' own requests ---

# nimda_scan - Nimda's 16 scan requests, in the order it sent them (CERT
# CA-2001-26 and the analyses of the time): the Code Red II / sadmind
# root.exe backdoors, then cmd.exe through each traversal.
sub nimda_scan {
    my $cmd = 'winnt/system32/cmd.exe?/c+dir';
    return (
        '/scripts/root.exe?/c+dir',
        '/MSADC/root.exe?/c+dir',
        "/c/$cmd",
        "/d/$cmd",
        "/scripts/..%255c../$cmd",
        "/_vti_bin/..%255c../..%255c../..%255c../$cmd",
        "/_mem_bin/..%255c../..%255c../..%255c../$cmd",
        "/msadc/..%255c../..%255c../..%255c/..%c1%1c../..%c1%1c../..%c1%1c../$cmd",
        "/scripts/..%c1%1c../$cmd",
        "/scripts/..%c0%2f../$cmd",
        "/scripts/..%c0%af../$cmd",
        "/scripts/..%c1%9c../$cmd",
        "/scripts/..%%35%63../$cmd",
        "/scripts/..%%35c../$cmd",
        "/scripts/..%25%35%63../$cmd",
        "/scripts/..%252f../$cmd",
    );
}

# nimda_request - one scan request as Nimda wrote it: HTTP/1.0, "Host: www"
# and its misspelt "Connnection: close"
sub nimda_request {
    my $target = shift;
    return "GET $target HTTP/1.0\r\nHost: www\r\nConnnection: close\r\n\r\n";
}

# codered_line - Code Red's request line: 224 filler characters ('N' for
# Code Red I, 'X' for II), then the %u-encoded jump into the shellcode
sub codered_line {
    my $fill = shift;
    return "GET /default.ida?" . ($fill x 224)
        . '%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858'
        . '%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff'
        . '%u0078%u0000%u00=a HTTP/1.0';
}

# codered_request - the whole request: line, headers and the 3379-byte
# body that carried the worm's code (here a stand-in of the same length)
sub codered_request {
    my $fill = shift;
    my $body = substr(("\x90" x 64) . join('', map { chr($_ % 256) } 0 .. 4095),
                      0, 3379);
    return codered_line($fill) . "\r\nContent-type: text/xml\r\n"
        . "Content-length: 3379\r\n\r\n" . $body;
}

1;
