# The worms' own requests, sent raw exactly as they sent them, are tagged
# with the right family; real pages that merely contain the words are not;
# the env=WORM_PROBE log holds exactly the probes.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use WormreplyTest qw(:all);

my @nimda = nimda_scan();
my @precision = ('/scripts/jquery.min.js', '/blog/winnt-tips',
                 '/search?q=cmd.exe', '/admin.dll.html',
                 '/MSOffice/cltreq.asp', '/_vti_bin/owssvr.dll');

plan tests => 2 + 3 * @nimda + 2 * 4 + 3 * @precision + 4 + 3,
    need_module 'wormreply';

my $port = vhost_port('wr_on');
my $aoff = log_size('worm_access.log');
my $poff = log_size('probes_only.log');
my @expect_probes;    # [request line, family]

is scalar(@nimda), 16, 'Nimda sent 16 scan requests';
is scalar(keys %{{ map { $_ => 1 } @nimda }}), 16, 'all different';

# --- Nimda: one connection per request, HTTP/1.0, "Host: www",
# "Connnection: close"
for my $t (@nimda) {
    my $line = "GET $t HTTP/1.0";
    my $q = quotemeta $line;
    my $off = log_size('worm_access.log');
    my $r = send_raw('wr_on', nimda_request($t));
    my $p = parse_response($r->{data});
    ok is_tiny($p, 404), "nimda $t: answered by the module"
        or diag $r->{data};
    my @acc = log_wait('worm_access.log', $off, [qr/"$q" wp=\S+ p=$port$/]);
    my @mine = grep { /"$q" wp=\S+ p=$port$/ } @acc;
    is scalar(@mine), 1, "nimda $t: one access-log line";
    like $mine[0] // '', qr/^127\.0\.0\.1 404 "$q" wp=nimda p=$port$/,
        "nimda $t: tagged nimda";
    push @expect_probes, [$line, 'nimda'];
}

# --- Code Red I ('N') and II ('X'), each with its 3379-byte body
for my $fill (qw(N X)) {
    my $name = $fill eq 'N' ? 'Code Red I' : 'Code Red II';
    my $line = codered_line($fill);
    my $q = quotemeta $line;
    my $off = log_size('worm_access.log');
    my $eoff = log_size('error_log');
    my $r = send_raw('wr_on', codered_request($fill));
    my $p = parse_response($r->{data});
    ok is_tiny($p, 404), "$name: answered by the module";
    # the error log gets the line cut to 256 bytes, marked with "..."
    my($wr) = grep { /WR00004: codered / } log_lines_since('error_log', $eoff);
    is +(($wr // '') =~ /answered 404: (.*)$/)[0],
        substr($line, 0, 256) . '...',
        "$name: WR00004 has the request line cut to 256 bytes";
    my @acc = log_wait('worm_access.log', $off, [qr/"$q" wp=\S+ p=$port$/]);
    my @mine = grep { /"$q" wp=\S+ p=$port$/ } @acc;
    is scalar(@mine), 1, "$name: one access-log line";
    like $mine[0] // '', qr/^127\.0\.0\.1 404 "$q" wp=codered p=$port$/,
        "$name: tagged codered";
    push @expect_probes, [$line, 'codered'];
}

# --- precision: ordinary requests that merely contain the words
for my $t (@precision) {
    my $q = quotemeta "GET $t HTTP/1.1";
    my $off = log_size('worm_access.log');
    my $r = raw_get('wr_on', $t, proto => 'HTTP/1.1');
    ok is_httpd_404($r), "$t: not answered by the module (httpd's own 404)";
    my @acc = log_wait('worm_access.log', $off, [qr/"$q" wp=\S+ p=$port$/]);
    my @mine = grep { /"$q" wp=\S+ p=$port$/ } @acc;
    is scalar(@mine), 1, "$t: one access-log line";
    like $mine[0] // '', qr/ wp=- p=$port$/, "$t: not tagged";
}

# --- ordinary requests
{
    my $r = raw_get('wr_on', '/index.html', proto => 'HTTP/1.1');
    is $r->{code}, 200, 'an ordinary page is served';
    $r = raw_get('wr_on', '/scripts/', proto => 'HTTP/1.1');
    ok is_httpd_404($r), '/scripts/ alone is not a probe';
    $r = raw_get('wr_on', '/default.ida', proto => 'HTTP/1.1');
    ok is_tiny($r, 404), 'a bare /default.ida is still an IIS probe';
    my $q = quotemeta 'GET /default.ida HTTP/1.1';
    my @acc = log_wait('worm_access.log', $aoff, [qr/"$q" wp=iis /]);
    ok scalar(grep { /"$q" wp=iis p=$port$/ } @acc),
        'and it is tagged iis, not codered';
    push @expect_probes, ['GET /default.ida HTTP/1.1', 'iis'];
}

# --- the probes-only log (CustomLog env=WORM_PROBE) holds exactly the
# probes sent above: none of the ordinary requests, no probe missing
{
    my $last = quotemeta 'GET /default.ida HTTP/1.1';
    my @lines = grep { / p=$port$/ }
        log_wait('probes_only.log', $poff, [qr/"$last" /]);
    my @got = sort map { /^\S+ \d+ "(.*)" wp=(\S+) p=\d+$/ ? "$2 $1" : "? $_" }
        @lines;
    my @want = sort map { "$_->[1] $_->[0]" } @expect_probes;
    is scalar(@got), scalar(@want), 'the probes-only log has one line per probe';
    is_deeply \@got, \@want, 'the probes-only log holds exactly the probes';
    ok !grep({ /wp=-/ } @lines), 'no untagged line in the probes-only log';
}
