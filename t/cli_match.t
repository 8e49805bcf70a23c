# cli_match.t - "wormreply match" on the real access-log sample and on
# hostile input (binary bytes, NUL bytes, very long and cut lines)
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Test::More;

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $cli = "$top/tools/wormreply";
my $sample = "$top/t/data/access-sample.log.gz";
my $tmp = tempdir('wr-cli-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $seq = 0;

unless (ok(-x $cli, "$cli is built")) {
    diag('build it with: make -f apxs.mk');
    done_testing();
    exit 1;
}

# run_cli(\@args, $stdin) - run wormreply with stdin from a file name or a
# filehandle; returns (wait status, stdout bytes, stderr text). Bounded to
# 60 seconds.
sub run_cli {
    my ($args, $stdin) = @_;
    my $n = ++$seq;
    my ($out, $err) = ("$tmp/out.$n", "$tmp/err.$n");
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        if (ref $stdin) {
            open STDIN, '<&', $stdin or exit 127;
        }
        else {
            open STDIN, '<', $stdin // '/dev/null' or exit 127;
        }
        open STDOUT, '>', $out or exit 127;
        open STDERR, '>', $err or exit 127;
        exec $cli, @$args or exit 127;
    }
    my $deadline = time + 60;
    my $done = 0;
    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            $done = 1;
            last;
        }
        select(undef, undef, undef, 0.05);
    }
    unless ($done) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
        diag("wormreply @$args: killed after 60 s");
    }
    my $status = $?;
    return ($status, slurp($out), slurp($err));
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s // '';
}

sub spew {
    my ($name, $bytes) = @_;
    my $path = "$tmp/$name";
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $bytes;
    close $fh or die "$path: $!";
    return $path;
}

# families(\$stdout) - the family column of every output line; undef for
# a line that is not "FAMILY<TAB>..."
sub families {
    my ($out) = @_;
    return map { /\A(codered|nimda|iis|-)\t/ ? $1 : undef }
           split /\n/, $out, -1;
}

# --- the real sample, decompressed through a pipe
{
    open my $gz, '-|', 'gzip', '-dc', $sample or die "gzip: $!";
    my ($status, $out, $err) = run_cli(['match'], $gz);
    close $gz;
    is($?, 0, 'gzip -dc of the sample succeeded');
    is($status, 0, 'sample: exit status 0');
    my $nl = ($out =~ tr/\n//);
    is($nl, 88253, 'sample: one output line per input line (88253)');
    my @fam = families($out);
    pop @fam if @fam && !defined $fam[-1] && $out =~ /\n\z/;
    my $bad = grep { !defined } @fam;
    is($bad, 0, 'sample: every line is FAMILY<TAB>line, FAMILY in '
       . '{codered,nimda,iis,-}');
    my %n;
    $n{$_ // 'bad'}++ for @fam;
    is($n{codered} // 0, 168, 'sample: 168 Code Red lines');
    is($n{nimda} // 0, 6473, 'sample: 6473 Nimda lines');
    cmp_ok($n{iis} // 0, '>=', 1991, 'sample: at least 1991 other IIS probes');
    note(sprintf('sample: codered %d, nimda %d, iis %d, - %d',
                 map { $n{$_} // 0 } qw(codered nimda iis -)));
    my $probes = ($n{codered} // 0) + ($n{nimda} // 0) + ($n{iis} // 0);
    like($err, qr/^wormreply match: 88253 lines, $probes probes, codered 168, nimda 6473, iis \d+\n\z/,
         'sample: summary line on stderr');
    my ($iis_sum) = $err =~ /iis (\d+)$/m;
    is($iis_sum, $n{iis}, 'sample: summary iis count equals the output');

    # --only-probes: the same classification, matched lines only
    open $gz, '-|', 'gzip', '-dc', $sample or die "gzip: $!";
    my ($st2, $out2) = run_cli(['match', '--only-probes', '-q'], $gz);
    close $gz;
    is($st2, 0, '--only-probes: exit status 0');
    my @fam2 = grep { defined } families($out2);
    is(scalar(@fam2), $probes, "--only-probes: $probes lines");
    is(scalar(grep { $_ eq "-" } @fam2), 0, '--only-probes: no unmatched line');
    is(($out2 =~ tr/\n//), $probes, '--only-probes: every line ends in LF');
}

# --- hostile input: each case alone, then all together
my $log = '192.0.2.9 - - [21/Apr/2004:21:38:48 -0400] ';
my %cases = (
    'binary'    => "GET /\x90\xff\xfe\x80\xc0\xaf\x01\x7f HTTP/1.0\n"
                 . "\xff\xfe\xfd\n",
    'nul'       => "GET /a\0b\0%00 HTTP/1.0\n\0\0\0\n"
                 . $log . "\"GET /scripts/root.exe\0?/c+dir HTTP/1.0\" 404 1\n",
    'long32k'   => 'SEARCH /' . ('A' x 32768) . " HTTP/1.1\n",
    'long80k'   => $log . '"SEARCH /' . ("\\x90\\x02" x 10240)
                 . "\" 414 1 \"-\" \"-\"\n",
    'truncated' => $log . "\"GET /scripts/root.exe?/c+dir HTTP/1.0\n",
    'crlf'      => "GET /scripts/root.exe?/c+dir HTTP/1.0\r\n\r\n\n",
    'no-lf'     => 'GET /index.html HTTP/1.0',
    'escapes'   => $log . "\"GET /\\\"\\\\\\x\\x4 HTTP/1.0\" 400 1\n"
                 . $log . "\"\" 400 1\n" . $log . "\"\n" . "] \"\n",
);
my %lines_in = (binary => 2, nul => 3, long32k => 1, long80k => 1,
                truncated => 1, crlf => 3, 'no-lf' => 1, escapes => 4);
my %want = (
    long32k   => ['iis'],
    truncated => ['nimda'],
    crlf      => ['nimda', '-', '-'],
    'no-lf'   => ['-'],
);

for my $name (sort keys %cases) {
    my $path = spew("$name.log", $cases{$name});
    my ($status, $out, $err) = run_cli(['match', $path]);
    is($status, 0, "$name: exit status 0");
    my @fam = families($out);
    pop @fam if $out =~ /\n\z/;
    is(scalar(@fam), $lines_in{$name}, "$name: one output line per input "
       . "line ($lines_in{$name})");
    is(scalar(grep { !defined } @fam), 0, "$name: every line is FAMILY<TAB>line");
    like($err, qr/^wormreply match: $lines_in{$name} lines, /,
         "$name: summary counts $lines_in{$name} lines");
    is_deeply(\@fam, $want{$name}, "$name: families") if $want{$name};
}

{
    my $path = "$tmp/long80k.log";
    my ($status, $out, $err) = run_cli(['match', $path]);
    like($err, qr/, 1 over-long lines cut$/m, 'long80k: the cut is counted');
    cmp_ok(length($cases{long80k}), '>', 80 * 1024, 'long80k: over 80 KB');
    my ($line) = split /\n/, $out;
    cmp_ok(length($line), '<=', 64 * 1024 + 4, 'long80k: output line cut');
    my ($s32, undef, $e32) = run_cli(['match', "$tmp/long32k.log"]);
    unlike($e32, qr/over-long/, 'long32k: not cut');
}

{
    my @paths = map { "$tmp/$_.log" } sort keys %cases;
    my $total = 0;
    $total += $lines_in{$_} for keys %lines_in;
    my ($status, $out, $err) = run_cli(['match', @paths]);
    is($status, 0, 'all hostile files at once: exit status 0');
    # a file without a final LF still ends its last line
    is(($out =~ tr/\n//), $total, "all at once: $total output lines");
    like($err, qr/^wormreply match: $total lines, /, 'all at once: summary');

    my $cat = join '', map { $cases{$_} =~ /\n\z/ ? $cases{$_}
                                                   : "$cases{$_}\n" }
              sort keys %cases;
    my ($st2, $out2) = run_cli(['match'], spew('all.log', $cat));
    is($st2, 0, 'all on stdin: exit status 0');
    is(($out2 =~ tr/\n//), $total, "all on stdin: $total output lines");
}

# --- empty input
{
    my $path = spew('empty.log', '');
    my ($status, $out, $err) = run_cli(['match', $path]);
    is($status, 0, 'empty file: exit status 0');
    is($out, '', 'empty file: no output');
    like($err, qr/^wormreply match: 0 lines, 0 probes/, 'empty file: summary');
    ($status, $out) = run_cli(['match', '-q']);
    is($status, 0, 'empty stdin: exit status 0');
    is($out, '', 'empty stdin: no output');
}

# --- errors and help
{
    my $missing = "$tmp/no-such-dir/access.log";
    my ($status, $out, $err) = run_cli(['match', $missing]);
    is($status >> 8, 1, 'missing file: exit status 1');
    like($err, qr/^wormreply match: cannot open '\Q$missing\E': No such file or directory$/m,
         'missing file: clear error naming the file');
    is($out, '', 'missing file: no output');

    my $good = spew('one.log', "GET /scripts/root.exe?/c+dir HTTP/1.0\n");
    ($status, $out, $err) = run_cli(['match', $missing, $good]);
    is($status >> 8, 1, 'missing and present file: exit status 1');
    is($out, "nimda\tGET /scripts/root.exe?/c+dir HTTP/1.0\n",
       'missing and present file: the present one is still read');

    ($status, $out, $err) = run_cli(['match', '--help']);
    is($status, 0, 'match --help: exit status 0');
    like($out, qr/^usage: wormreply match/, 'match --help: usage on stdout');
    ($status) = run_cli(['match', '--no-such-option']);
    is($status >> 8, 2, 'unknown option: exit status 2');
}

# --- '-' is standard input (its help says so), also between files
{
    my $one = spew('one-more.log', "GET /default.ida?NNNN HTTP/1.0\n");
    my $in = spew('stdin.log', "GET /scripts/root.exe?/c+dir HTTP/1.0\n");
    my ($status, $out, $err) = run_cli(['match', '-'], $in);
    is($status, 0, "match -: exit status 0") or diag $err;
    is($out, "nimda\tGET /scripts/root.exe?/c+dir HTTP/1.0\n",
       'match -: standard input is read');
    ($status, $out) = run_cli(['match', '-q', $one, '-'], $in);
    is($status, 0, 'match FILE -: exit status 0');
    is(scalar(() = $out =~ /\n/g), 2, 'match FILE -: both are read');
}

# --- the same log reader as report: .gz and --log-format
{
    my ($status, $out, $err) = run_cli(['match', '-p', '-q', $sample]);
    is($status, 0, 'match FILE.gz: exit status 0') or diag $err;
    my $n = () = $out =~ /\n/g;
    # 9 more than before issue 13: Nikto's traversals through the query
    is($n, 8769, 'match FILE.gz: the probes of the gzipped sample '
       . '(8769, as report counts)');
    my $fmt = '%a %>s "%r" %{WORM_PROBE}e';
    my $log = spew('custom.log',
                   qq{192.0.2.1 404 "GET /scripts/root.exe?/c+dir HTTP/1.0" nimda\n}
                   . qq{192.0.2.2 200 "GET /index.html HTTP/1.1" -\n}
                   . qq{not a line of that format\n});
    ($status, $out, $err) = run_cli(['match', '--log-format', $fmt, $log]);
    is($status, 0, '--log-format: exit status 0') or diag $err;
    my @fam = families($out);
    pop @fam if $out =~ /\n\z/;
    is(join(',', @fam), 'nimda,-,-',
       '--log-format: each line read through the format');
    like($err, qr/, 1 lines not in the log format$/m,
         '--log-format: a line not in the format is counted');
    ($status, undef, $err) = run_cli(['match', '-l', '%{x', $log]);
    is($status >> 8, 2, 'a bad --log-format: exit status 2');
    like($err, qr/^wormreply match: --log-format: /, '... and says so');
}

done_testing();
