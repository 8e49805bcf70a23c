# Each WormReplyAction, per-vhost On/Off, keep-alive, a probe with a body.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use IO::Socket::INET ();
use WormreplyTest qw(:all);

plan tests => 61, need_module 'wormreply';

my $probe = '/scripts/root.exe?/c+dir';      # Nimda's first scan request
my $line = "GET $probe HTTP/1.0";
my $qline = quotemeta $line;

# probe - send Nimda's request to a vhost; the response, the access-log
# lines and the error-log lines it caused
sub probe {
    my $vh = shift;
    my $aoff = log_size('worm_access.log');
    my $eoff = log_size('error_log');
    my $r = send_raw($vh, nimda_request($probe));
    my $p = parse_response($r->{data});
    my $port = vhost_port($vh);
    my @acc = log_wait('worm_access.log', $aoff,
                       [qr/"$qline" wp=\S+ p=$port$/]);
    my @err = log_lines_since('error_log', $eoff);
    return ({%$r, %$p}, [grep { /p=$port$/ } @acc], \@err);
}

# --- 404 (the default), 403, 410: tiny fixed bodies, code, tag, one line
for my $case (['wr_on', 404, '404'], ['wr_403', 403, '403'],
              ['wr_410', 410, '410']) {
    my($vh, $code, $act) = @$case;
    my($r, $acc, $err) = probe($vh);
    is $r->{code}, $code, "$vh: probe answered $code";
    is $r->{body}, tiny_body($code), "$vh: with the tiny fixed body";
    is $r->{headers}{'content-type'}, 'text/plain',
        "$vh: as text/plain";
    is $r->{headers}{'content-length'}, length tiny_body($code),
        "$vh: with a Content-Length";
    is scalar(@$acc), 1, "$vh: one access-log line";
    like $acc->[0] // '', qr/^127\.0\.0\.1 $code "$qline" wp=nimda /,
        "$vh: the access log shows the code and wp=nimda";
    my @wr = grep { /WR00004: / } @$err;
    is scalar(@wr), 1, "$vh: one WR00004 line in the error log";
    like $wr[0] // '', qr/\[wormreply:info\].* WR00004: nimda probe from 127\.0\.0\.1, answered $act: $qline$/,
        "$vh: at info, with family, source, action and request line";
}

# --- close: no byte comes back, the connection is dropped, logged as 444
{
    my($r, $acc, $err) = probe('wr_close');
    is length($r->{data}), 0, 'close: no byte is sent';
    ok $r->{eof}, 'close: the connection is closed';
    ok $r->{seconds} < 5, 'close: at once, not after a timeout';
    like $acc->[0] // '', qr/^127\.0\.0\.1 444 "$qline" wp=nimda /,
        'close: the access log shows 444 and wp=nimda';
    like join("\n", @$err),
        qr/WR00004: nimda probe from 127\.0\.0\.1, answered close: $qline$/m,
        'close: WR00004 says answered close';
}

# --- pass: tagged, counted and logged, then httpd answers as usual
{
    my($r, $acc, $err) = probe('wr_pass');
    ok is_httpd_404($r), "pass: httpd's own 404 page answers";
    unlike $r->{body} // '', qr/^404 Not Found\n\z/,
        'pass: not the module\'s tiny body';
    like $acc->[0] // '', qr/^127\.0\.0\.1 404 "$qline" wp=nimda /,
        'pass: the access log shows wp=nimda';
    like join("\n", @$err),
        qr/WR00004: nimda probe from 127\.0\.0\.1, answered pass: $qline$/m,
        'pass: WR00004 says answered pass';
    my $poff = log_size('probes_only.log');
    my $port = vhost_port('wr_pass');
    send_raw('wr_pass', nimda_request($probe));
    my @p = log_wait('probes_only.log', $poff, [qr/p=$port$/]);
    is scalar(grep { /^127\.0\.0\.1 404 "$qline" wp=nimda p=$port$/ } @p), 1,
        'pass: the env=WORM_PROBE CustomLog gets the probe';
}

# --- off: a vhost without WormReply (or with Off) treats a probe like any
# other request
for my $vh (qw(wr_off wr_off_explicit)) {
    my($r, $acc, $err) = probe($vh);
    ok is_httpd_404($r), "$vh: httpd's own 404 page answers the probe";
    like $acc->[0] // '', qr/^127\.0\.0\.1 404 "$qline" wp=- /,
        "$vh: not tagged in the access log";
    is scalar(grep { /WR0000[45]/ } @$err), 0, "$vh: no WR00004 line";
}

# --- ordinary requests on action vhosts are untouched
for my $vh (qw(wr_403 wr_410 wr_close wr_pass)) {
    my $r = raw_get($vh, '/index.html');
    is $r->{code}, 200, "$vh: an ordinary page is served";
}
{
    my $r = raw_get('wr_close', '/no-such-page');
    ok is_httpd_404($r), "wr_close: an ordinary 404 is httpd's own";
}

# --- keep-alive: two probes on one connection, both answered
{
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => vhost_port('wr_on'),
                                      Timeout => 10)
        or die "connect: $!";
    binmode $sock;
    my $req = "GET $probe HTTP/1.1\r\nHost: www\r\n\r\n";
    syswrite $sock, $req;
    my $r1 = WormreplyTest::read_response($sock);
    ok is_tiny($r1, 404), 'keep-alive: the first probe is answered';
    unlike $r1->{headers}{connection} // '', qr/close/i,
        'keep-alive: the connection is kept open';
    my $req2 = "GET /c/winnt/system32/cmd.exe?/c+dir HTTP/1.1\r\n"
        . "Host: www\r\nConnection: close\r\n\r\n";
    my $sent = syswrite $sock, $req2;
    is $sent, length $req2, 'keep-alive: the second request is sent';
    my $r2 = WormreplyTest::read_response($sock);
    ok is_tiny($r2, 404), 'keep-alive: the second probe is answered too';
    close $sock;
}

# --- HEAD: the headers of the answer, no body, the connection goes on
{
    my $r = send_raw('wr_on', "HEAD $probe HTTP/1.1\r\nHost: www\r\n\r\n"
                     . "GET /index.html HTTP/1.1\r\nHost: www\r\n"
                     . "Connection: close\r\n\r\n");
    my $p1 = parse_response($r->{data});
    is $p1->{code}, 404, 'HEAD probe: 404';
    is $p1->{headers}{'content-length'}, 14,
        'HEAD probe: the Content-Length of the tiny body';
    # parse_response took 14 bytes of what follows as the body: the next
    # response must start right after the head
    my $after = substr $r->{data}, length($p1->{head}) + 4;
    like $after, qr{\AHTTP/1\.1 200 OK\r\n},
        'HEAD probe: no body sent, the next request is answered';
}

# --- HTTP/0.9: the tiny body alone
{
    my $r = send_raw('wr_on', "GET $probe\r\n");
    is $r->{data}, tiny_body(404), 'HTTP/0.9 probe: the tiny body, no headers';
}

# --- a probe with a request body (Code Red sent 3379 bytes of its code)
{
    my $aoff = log_size('worm_access.log');
    my $r = send_raw('wr_on', codered_request('X'));
    my $p = parse_response($r->{data});
    ok is_tiny($p, 404), 'Code Red with its body: answered 404';
    ok $r->{eof}, 'Code Red with its body: the connection is closed';
    is length($p->{rest}), 0, 'Code Red with its body: nothing after the answer';
    my $cl = quotemeta codered_line('X');
    my @acc = log_wait('worm_access.log', $aoff, [qr/"$cl"/]);
    like join("\n", @acc), qr/^127\.0\.0\.1 404 "$cl" wp=codered /m,
        'Code Red with its body: logged as codered';

    # the same over a keep-alive HTTP/1.1 connection: the module does not
    # read the body, so it must close the connection
    my $body = 'B' x 3379;
    my $req = "GET /default.ida?" . ('N' x 224) . "%u9090=a HTTP/1.1\r\n"
        . "Host: www\r\nContent-type: text/xml\r\n"
        . "Content-length: 3379\r\n\r\n$body";
    $r = send_raw('wr_on', $req);
    $p = parse_response($r->{data});
    ok is_tiny($p, 404), 'HTTP/1.1 probe with a body: answered 404';
    like $p->{headers}{connection} // '', qr/^close$/i,
        'HTTP/1.1 probe with a body: Connection: close';
    ok $r->{eof} && $r->{seconds} < 5,
        'HTTP/1.1 probe with a body: the server closes the connection';
    unlike $r->{data}, qr/\A.*HTTP\/1\.\d 400/s,
        'HTTP/1.1 probe with a body: the body is not taken as a request';
}
