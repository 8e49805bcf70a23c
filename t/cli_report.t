# cli_report.t - "wormreply report" on the real access-log sample: the
# JSON checked against independent counts, .gz/plain/stdin agreement, the
# CSV, text and HTML shapes, bad lines, and bounded memory (peak RSS on
# the corpus and on the corpus repeated 10 times within 10 %).
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use WrCli qw(run_sh shq slurp);
$WrCli::LIMIT = 120;

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = $ENV{WORMREPLY_CLI} || "$top/tools/wormreply";
my $gz = "$top/t/data/access-sample.log.gz";
my $tmp = tempdir('wr-report-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $plain = "$tmp/access-sample.log";
my $LINES = 88253;

unless (ok(-x $cli, "$cli is built")) {
    done_testing();
    exit 1;
}
gunzip($gz => $plain) or die "gunzip: $GunzipError";

# report(ARGS..., {stdin => FILE}) - run the report verb
sub report {
    my $opt = ref $_[-1] eq 'HASH' ? pop : {};
    my $cmd = join ' ', map { shq($_) } $cli, 'report', @_;
    $cmd .= ' < ' . shq($opt->{stdin}) if $opt->{stdin};
    return run_sh($cmd);
}

sub decode {
    my ($text, $what) = @_;
    my $d = eval { JSON::PP->new->utf8->decode($text) };
    ok($d, "$what: JSON parses") or diag($@);
    return $d || {};
}

# canon - a report without the input names, for comparing runs
sub canon {
    my %d = %{ $_[0] };
    delete $d{inputs};
    return JSON::PP->new->canonical->encode(\%d);
}

# ---- the report of the .gz, as JSON -------------------------------------
my ($rc, $out, $err) = report('--format', 'json', '-q', '--verbose', $gz);
is($rc, 0, 'report of the .gz exits 0');
my $j = decode($out, '.gz');
is($j->{schema}, 1, 'the JSON carries its schema version, 1');
for my $k (qw(requests bytes probes probe_bytes bad_lines families sources
              series)) {
    ok(exists $j->{$k}, "top-level key '$k'");
}
is($j->{lines}, $LINES, "all $LINES lines read");
is($j->{requests}, $LINES - $j->{bad_lines}, 'requests = lines - bad lines');
ok($j->{bad_lines} < 10, "few bad lines in real logs ($j->{bad_lines})");

# --verbose: one stderr line per bad line, with its number
my @bad = $err =~ /^wormreply report: \Q$gz\E:(\d+): bad line \((\w+)\)$/mg;
my %badno = @bad;
is(scalar(keys %badno), $j->{bad_lines}, '--verbose lists every bad line');

# ---- independent counts ---------------------------------------------------
# Requests and bytes by a Perl reading of the combined format (the greedy
# request field backtracks over Apache 1.3's unescaped quotes too).
my ($preq, $pbytes, %punparsed) = (0, 0);
my @bytes_of;
{
    open my $fh, '<:raw', $plain or die $!;
    while (my $l = <$fh>) {
        $l =~ s/\r?\n\z//;
        if ($l =~ /^\S+ \S+ \S+ \[[^\]]*\] "(.*)" (\d{3}|-) (\d+|-) "(.*)" "(.*)"$/s) {
            $preq++;
            my $b = $3 eq '-' ? 0 : $3;
            $pbytes += $b;
            $bytes_of[$.] = $b;
        }
        else {
            $punparsed{$.} = 1;
        }
    }
}
is($j->{requests}, $preq, 'requests equal a Perl count');
is($j->{bytes}, $pbytes, 'bytes equal a Perl sum');
is_deeply([sort { $a <=> $b } keys %badno],
          [sort { $a <=> $b } keys %punparsed],
          'the bad lines are the lines Perl cannot read either');

# Families by "wormreply match" (its own log-line reader), bad lines left
# out; probe bytes from the Perl sums above.
my ($mrc, $mout) = run_sh(join ' ', shq($cli), 'match', '-q', shq($plain));
is($mrc, 0, 'wormreply match runs');
my (%fam, %fbytes, %fsrc);
my ($probes, $probe_bytes) = (0, 0);
{
    my $n = 0;
    open my $fh, '<:raw', $plain or die $!;
    for my $ml (split /\n/, $mout) {
        my $line = <$fh>;
        $n++;
        my ($f) = $ml =~ /^([^\t]+)\t/;
        next if !defined $f || $f eq '-' || $badno{$n};
        my ($src) = $line =~ /^(\S+)/;
        $fam{$f}++;
        $fbytes{$f} += $bytes_of[$n] // 0;
        $fsrc{$f}{$src} = 1;
        $probes++;
        $probe_bytes += $bytes_of[$n] // 0;
    }
    is($n, $LINES, 'match printed one line per input line');
}
is($j->{probes}, $probes, "probes equal wormreply match's count ($probes)");
is($j->{probe_bytes}, $probe_bytes, 'probe bytes equal the Perl sum');
for my $f (sort keys %{ $j->{families} }) {
    my $jf = $j->{families}{$f};
    is($jf->{requests}, $fam{$f} // 0, "family $f: requests");
    is($jf->{bytes}, $fbytes{$f} // 0, "family $f: bytes");
    is($jf->{sources}, scalar(keys %{ $fsrc{$f} || {} }),
       "family $f: distinct sources");
}
# the split by confidence: each family under its own, the sums add up
{
    my %sum;
    for my $f (keys %{ $j->{families} }) {
        my $c = $j->{families}{$f}{confidence} // '';
        like($c, qr/^(?:certain|likely|recon)$/, "family $f: a confidence");
        $sum{$c} += $j->{families}{$f}{requests};
    }
    is($j->{families}{nimda}{confidence}, 'certain', 'nimda is certain');
    is($j->{families}{iis}{confidence}, 'likely', 'iis is likely');
    for my $c (qw(certain likely recon)) {
        is($j->{confidence}{$c}{requests}, $sum{$c} // 0,
           "confidence $c: the requests of its families");
    }
}
ok(($fam{nimda} // 0) > 6000 && ($fam{codered} // 0) > 100,
   'the corpus has its Nimda and Code Red lines');

# sources: largest first, with the documented fields
my $s = $j->{sources};
is(scalar(@$s), 10, 'ten sources by default');
ok(!grep({ $s->[$_ - 1]{probes} < $s->[$_]{probes} } 1 .. $#$s),
   'sources sorted, most probes first');
ok(!grep({ !defined $_->{address} || !defined $_->{first_seen}
           || !defined $_->{last_seen} || ref $_->{families} ne 'ARRAY' }
         @$s), 'each source has address, families, first and last seen');
{
    my %per;
    open my $fh, '<:raw', $plain or die $!;
    my $n = 0;
    for my $ml (split /\n/, $mout) {
        my $line = <$fh>;
        $n++;
        next if $ml =~ /^-\t/ || $badno{$n};
        $per{ ($line =~ /^(\S+)/)[0] }++;
    }
    is($s->[0]{probes}, (sort { $b <=> $a } values %per)[0],
       'the top source has the largest independent probe count');
    is($j->{sources_tracking}{exact}, JSON::PP::true,
       'fewer sources than the cap: counts exact');
}
my $sum = 0;
$sum += $_->{probes} for @{ $j->{series}{buckets} };
is($sum, $j->{probes}, 'the series adds up to the probes');
is($j->{series}{bucket_seconds}, 3600, 'hourly series');

# ---- --bucket takes the one duration grammar (wr_time.h) -----------------
for my $c (['1w', 604800], ['1d12h', 129600], ['90min', 5400],
           ['7200', 7200]) {
    my ($brc, $bout) = report('--format', 'json', '-q', '--bucket', $c->[0],
                              $gz);
    my $bj = $brc == 0 ? decode($bout, "--bucket $c->[0]") : {};
    is($bj->{series}{requested_bucket_seconds}, $c->[1],
       "--bucket $c->[0] is $c->[1] s");
}
for my $bad (qw(0 1500ms 367d 53w 1.5h 1h1h)) {
    my ($brc, undef, $berr) = report('-q', '--bucket', $bad, $gz);
    is($brc, 2, "--bucket $bad is refused (exit 2)");
    like($berr, qr/--bucket '\Q$bad\E' is not a duration/,
         "--bucket $bad: saying so");
}

# ---- .gz, plain, stdin give the same report -------------------------------
my ($rc2, $out2) = report('--format', 'json', '-q', $plain);
my ($rc3, $out3) = report('--format', 'json', '-q', { stdin => $plain });
my ($rc4, $out4) = report('--format', 'json', '-q', '-', { stdin => $gz });
is($rc2 + $rc3 + $rc4, 0, 'plain, stdin and gzip on stdin exit 0');
my $c = canon($j);
is(canon(decode($out2, 'plain')), $c, 'plain file: same report as .gz');
is(canon(decode($out3, 'stdin')), $c, 'stdin: same report');
is(canon(decode($out4, 'gzip on stdin')), $c, "'-' with gzip data: same");
my ($rc5, $out5) = report('--format', 'json', '-q', '--log-format',
    '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"', $gz);
my $lf = decode($out5, 'LogFormat string');
is($lf->{requests} . '/' . $lf->{probes}, "$j->{requests}/$j->{probes}",
   'the combined LogFormat string reads the same as auto');

# several files make one report
my ($rc6, $out6) = report('--format', 'json', '-q', $gz, $plain);
my $two = decode($out6, 'two files');
is($two->{requests}, 2 * $j->{requests}, 'two files: requests add up');
is($two->{families}{nimda}{requests}, 2 * $j->{families}{nimda}{requests},
   'two files: family counts add up');
is($two->{families}{nimda}{sources}, $j->{families}{nimda}{sources},
   'two files: the same sources are not counted twice');

# a missing file: exit 1, the rest is still reported
my ($rc7, $out7, $err7) = report('--format', 'json', '-q', $gz,
                                 "$tmp/nonexistent.log");
is($rc7, 1, 'a missing input: exit 1');
like($err7, qr/cannot open .*nonexistent/, '... named on stderr');
is(decode($out7, 'partial')->{requests}, $j->{requests},
   '... and the readable input is reported');

# ---- CSV and text shapes --------------------------------------------------
my ($crc, $csv) = report('--format', 'csv', '-q', $gz);
is($crc, 0, 'CSV exits 0');
my @rows = split /\n/, $csv;
is($rows[0], 'section,key,family,requests,bytes,probes,probe_bytes,sources,'
   . 'error,first_seen,last_seen', 'CSV header');
sub csv_fields {
    my ($l) = @_;
    my @f;
    while ($l =~ /\G(?:"((?:[^"]|"")*)"|([^,]*))(,|$)/g) {
        my $v = defined $1 ? $1 =~ s/""/"/gr : $2;
        push @f, $v;
        last if $3 eq '';
    }
    return @f;
}
ok(!grep({ scalar(csv_fields($_)) != 11 } @rows), 'every CSV row has 11 fields');
my %csv;
push @{ $csv{ (csv_fields($_))[0] } }, [csv_fields($_)] for @rows[1 .. $#rows];
is($csv{total}[0][3], $j->{requests}, 'CSV total requests');
is($csv{total}[0][5], $j->{probes}, 'CSV total probes');
is(scalar(@{ $csv{source} }), 10, 'CSV: ten source rows');
is(join(',', map { "$_->[1]=$_->[5]" } @{ $csv{family} }),
   join(',', map { "$_=$j->{families}{$_}{requests}" }
        map { $_->[1] } @{ $csv{family} }), 'CSV family rows match the JSON');
my $nb = grep { $_->[2] eq '' } @{ $csv{bucket} };
is($nb, scalar(@{ $j->{series}{buckets} }), 'CSV: one row per bucket');

my ($trc, $text, $terr) = report($gz);
is($trc, 0, 'text (the default) exits 0');
(my $lines_c = $LINES) =~ s/(\d)(?=(\d{3})+$)/$1,/g;
like($text, qr/^wormreply report: \Q$lines_c\E lines/, 'text: heading');
like($text, qr/^families$/m, 'text: families section');
like($text, qr/^top sources /m, 'text: sources section');
like($text, qr/^top probe targets$/m, 'text: targets section');
like($text, qr/^busiest hours /m, 'text: series section');
my ($nimda_txt) = $text =~ /^  nimda\s+([\d,]+)/m;
is(($nimda_txt // '') =~ s/,//gr, $j->{families}{nimda}{requests},
   'text: nimda count matches the JSON');
unlike($terr, qr/\r/, 'no progress bar when stderr is not a terminal');
like($terr, qr/^wormreply report: $LINES lines, /m, 'summary on stderr');

# a terminal gets a progress bar (script(1) gives the command a pty)
SKIP: {
    skip 'script(1) not installed', 1 unless -x '/usr/bin/script';
    my ($prc, $pout) = run_sh('/usr/bin/script -qec ' . shq(shq($cli) . ' report '
        . shq($gz) . ' --format json > /dev/null') . ' /dev/null');
    like($pout, qr/\r\[[#.]{30}\]\s+\d+%/, 'a progress bar on a terminal');
}

# ---- HTML -----------------------------------------------------------------
my ($hrc, $html) = report('--format', 'html', '-q', $gz);
is($hrc, 0, 'HTML exits 0');
like($html, qr/<svg id="chart"[^>]*>.*<rect x=/s, 'HTML: inline SVG with bars');
unlike($html, qr/<script|\ssrc=|\shref=|url\(|\@import/i,
       'HTML: nothing fetched');
like($html, qr/id="requests">$j->{requests}</, 'HTML: requests');
like($html, qr/id="probes">$j->{probes}</, 'HTML: probes');

# ---- hostile input --------------------------------------------------------
{
    my $ok = '1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] "GET /x HTTP/1.0" '
        . '200 5 "-" "-"';
    my $f = "$tmp/hostile.log";
    open my $fh, '>:raw', $f or die $!;
    print $fh "$ok\n";
    print $fh "\x01\x02\x03\xff\xfe binary junk\n";                # binary
    print $fh substr($ok, 0, 50), "\n";                             # cut
    print $fh '1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] "GET /'
        . ('A' x 40000) . " HTTP/1.0\" 200 5 \"-\" \"-\"\n";      # 40 KB
    print $fh "1.2.3.4 - - [31/Feb/2004:10:56:07 -0400] \"GET / HTTP/1.0\" "
        . "200 5 \"-\" \"-\"\n";                                    # date
    print $fh "\x01evil\xc3\x28</script> - - [21/Apr/2004:10:56:07 -0400] "
        . "\"GET /scripts/root.exe?/c+dir HTTP/1.0\" 404 7 \"-\" \"-\"\n";
    print $fh "$ok\n", "no newline at the end";
    close $fh;
    my ($xrc, $xout, $xerr) = report('--format', 'json', '-q', '-v', $f);
    is($xrc, 0, 'hostile input: exit 0');
    my $x = decode($xout, 'hostile input');
    is($x->{lines}, 8, 'hostile input: 8 lines');
    is($x->{requests}, 3, '... 3 good ones');
    is_deeply($x->{bad}, { malformed => 1, truncated => 1, binary => 1,
                           too_long => 1, bad_time => 1 },
              '... bad lines by reason');
    is($x->{probes}, 1, '... the probe from the odd client is counted');
    is($x->{sources}[0]{address}, "\x{1}evil\x{fffd}(</script>",
       '... its address escaped into valid JSON');
    my @n = $xerr =~ /:(\d+): bad line/g;
    is("@n", '2 3 4 5 8', '--verbose gives the bad line numbers');
}

# ---- bounded memory ---------------------------------------------------------
SKIP: {
    skip '/usr/bin/time not installed', 5 unless -x '/usr/bin/time';
    my %rss;
    my %res;
    for my $times (1, 10) {
        my $cat = join ' ', ('cat', (shq($plain)) x $times);
        # an ASan build keeps freed memory in quarantine, which would
        # measure the sanitizer; no effect on a normal build
        my ($mrc2, $mo, $me) = run_sh("$cat | ASAN_OPTIONS=quarantine_size_mb=0 "
            . "/usr/bin/time -v -o "
            . shq("$tmp/time.$times") . ' ' . shq($cli)
            . ' report --format json -q -');
        is($mrc2, 0, "corpus x$times through stdin: exit 0");
        ($rss{$times}) = slurp("$tmp/time.$times")
            =~ /Maximum resident set size \(kbytes\): (\d+)/;
        $res{$times} = eval { decode_json($mo) } || {};
    }
    is($res{10}{requests}, 10 * $j->{requests},
       'x10: ten times the requests');
    is($res{10}{sources}[0]{probes}, 10 * $s->[0]{probes},
       'x10: ten times the top source');
    ok($rss{1} && $rss{10} && $rss{10} <= $rss{1} * 1.10,
       "peak RSS x1 $rss{1} kB, x10 $rss{10} kB: within 10 %");
}

done_testing();
