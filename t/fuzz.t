# fuzz.t - run the libFuzzer target over the normaliser and the matcher
#
# build/fuzz_match comes from "make -f apxs.mk fuzz" (clang with
# -fsanitize=fuzzer,address,undefined). The seeds in t/fuzz/corpus are
# copied to a temporary directory, which is also the working directory and
# the artifact prefix, so a run never writes into the repository.
# FUZZ_RUNS (default 100000) sets the number of inputs; -max_total_time
# bounds the run at 120 seconds whatever FUZZ_RUNS says.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Test::More;

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my $bin = "$top/build/fuzz_match";
my $seeds = "$top/t/fuzz/corpus";
my $runs = $ENV{FUZZ_RUNS} || 100000;
my $max_time = 120;

plan skip_all => "$bin not built (make -f apxs.mk fuzz needs clang)"
    unless -x $bin;

my $tmp = tempdir('wr-fuzz-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $corpus = "$tmp/corpus_copy";
mkdir $corpus or BAIL_OUT("mkdir $corpus: $!");

opendir(my $dh, $seeds) or BAIL_OUT("cannot read $seeds: $!");
my @seeds = grep { -f "$seeds/$_" } readdir $dh;
closedir $dh;
ok(@seeds >= 5, scalar(@seeds) . " seed inputs in t/fuzz/corpus");
for my $s (@seeds) {
    copy("$seeds/$s", "$corpus/$s") or BAIL_OUT("copy $s: $!");
}

my $log = "$tmp/fuzz.log";
my @args = ("-runs=$runs", '-max_len=40000', '-seed=1',
            "-max_total_time=$max_time", "-artifact_prefix=$tmp/",
            '-print_final_stats=1', $corpus);

my $pid = fork;
BAIL_OUT("fork: $!") unless defined $pid;
if ($pid == 0) {
    chdir $tmp or exit 127;
    open STDOUT, '>', $log or exit 127;
    open STDERR, '>&', \*STDOUT or exit 127;
    exec $bin, @args or exit 127;
}

# libFuzzer stops itself after $max_time; give it a minute more before
# deciding it hangs. Polled, so the wait is bounded.
my $deadline = time + $max_time + 60;
my $done = 0;
while (time < $deadline) {
    if (waitpid($pid, WNOHANG) == $pid) {
        $done = 1;
        last;
    }
    select(undef, undef, undef, 0.2);
}
unless ($done) {
    kill 'KILL', $pid;
    waitpid($pid, 0);
}
my $status = $?;

open my $fh, '<', $log or BAIL_OUT("no fuzz log: $!");
my @lines = <$fh>;
close $fh;

ok($done, "fuzz_match finished within " . ($max_time + 60) . " s");
is($status, 0, "fuzz_match exit status 0 (signal "
   . ($status & 127) . ", code " . ($status >> 8) . ")")
    or diag("last lines of the fuzz log:\n",
            join('', @lines[(@lines > 40 ? @lines - 40 : 0) .. $#lines]));
ok((grep { /\bINITED\b/ } @lines), 'the seed corpus was loaded');

my ($did) = map { /^Done (\d+) runs/ ? $1 : () } @lines;
ok(defined $did && $did > 0, 'inputs were run: ' . ($did // 'none'));
if (defined $did && $did < $runs) {
    diag("stopped by -max_total_time=$max_time after $did of $runs runs");
}
my ($eps) = map { /^stat::average_exec_per_sec:\s*(\d+)/ ? $1 : () } @lines;
note("fuzz_match: " . ($did // 0) . " runs, " . ($eps // '?') . " execs/s");

opendir(my $ah, $tmp) or BAIL_OUT("cannot read $tmp: $!");
my @artifacts = grep { /^(?:crash|leak|timeout|oom|slow-unit)-/ } readdir $ah;
closedir $ah;
is(scalar(@artifacts), 0, 'no crash, leak or timeout artifacts')
    or diag("artifacts: @artifacts");

done_testing();
