# cli_report_html.t - the HTML report of the corpus in a real browser:
# Debian's chromium renders it headless (no network: the page is one
# self-contained file) to a PNG, which must not be blank and must show the
# chart's coloured bars; the DOM chromium built must carry the same
# numbers as the JSON report.
use strict;
use warnings;

use Compress::Zlib qw(uncompress);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use JSON::PP;
use List::Util qw(max min);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use WrCli qw(run_sh shq slurp);

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = $ENV{WORMREPLY_CLI} || "$top/tools/wormreply";
my $gz = "$top/t/data/access-sample.log.gz";
my ($chromium) = grep { -x } '/usr/bin/chromium', '/usr/bin/chromium-browser';
plan skip_all => 'chromium is not installed (apt-get install -y chromium)'
    unless $chromium;
my $tmp = tempdir('wr-html-XXXXXX', TMPDIR => 1, CLEANUP => 1);

ok(-x $cli, "$cli is built") or BAIL_OUT('no CLI');

# ---- the reports ------------------------------------------------------------------
my $html = "$tmp/report.html";
my ($rc) = run_sh(join(' ', shq($cli), 'report', '--format', 'html', '-q',
                       shq($gz), '>', shq($html)));
is($rc, 0, 'HTML report written');
my ($jrc, $jout) = run_sh(join ' ', shq($cli), 'report', '--format', 'json',
                          '-q', shq($gz));
my $j = eval { decode_json($jout) } || {};
ok($j->{probes}, "JSON report: $j->{probes} probes");

# ---- render it -------------------------------------------------------------------------
my @flags = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
             '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync',
             '--window-size=1200,2000');
my $png = "$tmp/shot.png";
my ($crc, $cout, $cerr) = run_sh(join(' ', map { shq($_) } $chromium, @flags,
    "--user-data-dir=$tmp/profile1", "--screenshot=$png", "file://$html"),
    90);
ok(-s $png, 'chromium wrote a screenshot') or diag($cerr);

# png_pixels - decode an 8-bit RGB or RGBA, non-interlaced PNG into
# (width, height, channels, raw bytes): chunks, zlib, then the five
# scanline filters of the PNG spec
sub png_pixels {
    my ($data) = @_;
    return () unless substr($data, 0, 8) eq "\x89PNG\r\n\x1a\n";
    my ($pos, $idat, $w, $h, $ch) = (8, '');
    while ($pos + 8 <= length $data) {
        my ($len, $type) = unpack('NA4', substr($data, $pos, 8));
        my $body = substr($data, $pos + 8, $len);
        $pos += 12 + $len;
        if ($type eq 'IHDR') {
            my ($depth, $ctype, $inter);
            ($w, $h, $depth, $ctype, undef, undef, $inter) =
                unpack('NNCCCCC', $body);
            return () unless $depth == 8 && !$inter
                && ($ctype == 2 || $ctype == 6);
            $ch = $ctype == 2 ? 3 : 4;
        }
        $idat .= $body if $type eq 'IDAT';
        last if $type eq 'IEND';
    }
    my $raw = uncompress($idat);
    return () unless defined $raw && $w
        && length($raw) == $h * ($w * $ch + 1);
    my $stride = $w * $ch;
    my @prev = (0) x $stride;
    my $out = '';
    for my $y (0 .. $h - 1) {
        my $ft = ord substr($raw, $y * ($stride + 1), 1);
        my @cur = unpack('C*', substr($raw, $y * ($stride + 1) + 1, $stride));
        if ($ft == 1) {
            $cur[$_] = ($cur[$_] + $cur[$_ - $ch]) & 255 for $ch .. $stride - 1;
        }
        elsif ($ft == 2) {
            $cur[$_] = ($cur[$_] + $prev[$_]) & 255 for 0 .. $stride - 1;
        }
        elsif ($ft == 3) {
            for my $i (0 .. $stride - 1) {
                my $left = $i >= $ch ? $cur[$i - $ch] : 0;
                $cur[$i] = ($cur[$i] + (($left + $prev[$i]) >> 1)) & 255;
            }
        }
        elsif ($ft == 4) {
            for my $i (0 .. $stride - 1) {
                my ($left, $ul) = $i >= $ch
                    ? ($cur[$i - $ch], $prev[$i - $ch]) : (0, 0);
                my $up = $prev[$i];
                my $p = $left + $up - $ul;
                my ($pa, $pb, $pc) = (abs($p - $left), abs($p - $up),
                                      abs($p - $ul));
                my $pr = $pa <= $pb && $pa <= $pc ? $left
                       : $pb <= $pc ? $up : $ul;
                $cur[$i] = ($cur[$i] + $pr) & 255;
            }
        }
        $out .= pack('C*', @cur);
        @prev = @cur;
    }
    return ($w, $h, $ch, $out);
}

SKIP: {
    skip 'no screenshot', 4 unless -s $png;
    my ($w, $h, $ch, $px) = png_pixels(slurp($png));
    ok($w, "the screenshot decodes (${\ ($w // 0)} x ${\ ($h // 0)})");
    skip 'undecodable PNG', 3 unless $w;
    my ($nonwhite, $colour) = (0, 0);
    my %hue;
    for (my $i = 0; $i < length $px; $i += $ch) {
        my ($red, $green, $blue) = unpack('C3', substr($px, $i, 3));
        next if $red > 245 && $green > 245 && $blue > 245;
        $nonwhite++;
        my $hi = max($red, $green, $blue);
        next if $hi - min($red, $green, $blue) < 80;  # greys: text, grid
        $colour++;
        $hue{ $red == $hi ? 'red' : $green == $hi ? 'green' : 'blue' }++;
    }
    my $all = $w * $h;
    ok($nonwhite > $all / 100,
       "not blank: $nonwhite of $all pixels are not white");
    ok($colour > 500, "the chart's coloured bars are drawn ($colour pixels)");
    my @fam = sort keys %{ $j->{families} || {} };
    ok(keys(%hue) >= 2, 'bars in more than one colour ('
       . join(', ', map { "$_ $hue{$_}" } sort keys %hue) . ') for '
       . scalar(@fam) . ' families');
}

# ---- the numbers in the DOM the browser built ----------------------------------------------
my ($drc, $dom, $derr) = run_sh(join(' ', map { shq($_) } $chromium, @flags,
    "--user-data-dir=$tmp/profile2", '--dump-dom', "file://$html"), 90);
like($dom, qr/<table id="totals">/, 'chromium dumped the DOM') or diag($derr);
for my $k (qw(requests bytes probes probe_bytes bad_lines)) {
    my ($v) = $dom =~ /id="$k">(\d+)</;
    is($v, $j->{$k}, "DOM $k = JSON $k ($j->{$k})");
}
my ($ftab) = $dom =~ m{<table id="families">(.*?)</table>}s;
my %dfam;
while (($ftab // '') =~ m{<tr><td>([^<]+)</td><td class="n">(\d+)</td><td class="n">(\d+)</td><td class="n">(\d+)</td><td>(\w+)</td></tr>}g) {
    $dfam{$1} = { requests => $2, bytes => $3, sources => $4,
                  confidence => $5 };
}
is_deeply(\%dfam, { map { $_ => { requests => $j->{families}{$_}{requests},
                                  bytes => $j->{families}{$_}{bytes},
                                  sources => $j->{families}{$_}{sources},
                                  confidence => $j->{families}{$_}{confidence} } }
                    keys %{ $j->{families} } },
          'DOM families table = JSON families');
my ($stab) = $dom =~ m{<table id="sources">(.*?)</table>}s;
my @src = ($stab // '') =~ m{<tr><td class="key">([^<]+)</td><td class="n">(\d+)</td>}g;
is_deeply(\@src, [ map { ($_->{address}, $_->{probes}) } @{ $j->{sources} } ],
          'DOM top sources = JSON sources, in order');
my @bars = $dom =~ /<rect x=/g;
ok(@bars > 100, scalar(@bars) . ' bars in the SVG chart');
unlike($cerr . $derr, qr/net::ERR_|Failed to load resource/,
       'the page fetched nothing');

done_testing();
