# fuzz.t - run every libFuzzer target briefly, and its regression inputs
#
# build/fuzz_<name> comes from "make -f apxs.mk fuzz" (clang with
# -fsanitize=fuzzer,address,undefined), one per t/fuzz/fuzz_<name>.c. For
# each target:
# - every file of t/fuzz/regress/<name>/ (the reproducers of bugs found so
#   far) runs once and must pass;
# - the seeds of t/fuzz/corpus/<name>/ are copied to a temporary
#   directory, which is also the working directory and the artifact
#   prefix (a run never writes into the repository), and fuzzed with a
#   fixed seed for a bounded number of inputs and seconds.
# "match", the oldest target, runs FUZZ_RUNS inputs (default 100000, 120 s
# at most); every other one FUZZ_RUNS_EACH (default 10000) in at most
# FUZZ_SECONDS (default 2) seconds, so that together they stay well under
# a minute on a busy 2-core machine. bench/fuzz.sh runs them for as long
# as asked.
#
# t/fuzz/known lists issues found by a target that someone else owns and
# has not fixed yet ("<target> <check> <what, who>"). Their reproducers
# (regress files named "<check>-*") run as TODO tests, and the target's
# fuzz run is told through WR_FUZZ_KNOWN to count that check's failures
# instead of stopping, so that the rest of its contract is still fuzzed.
# Delete the line when the fix lands: the reproducers must then pass.
use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Copy qw(copy);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Test::More;

my $top = $ENV{WORMREPLY_TOP} || abs_path(dirname(__FILE__) . '/..');
my @names = map { /fuzz_(\w+)\.c$/ ? $1 : () } glob("$top/t/fuzz/fuzz_*.c");
my @built = grep { -x "$top/build/fuzz_$_" } @names;

plan skip_all => "no fuzz target built (make -f apxs.mk fuzz needs clang)"
    unless @built;
ok(@built == @names, scalar(@built) . " of " . scalar(@names)
   . " fuzz targets built: @built");

# known: target => { check => reason }
my %known;
if (open my $kh, '<', "$top/t/fuzz/known") {
    while (<$kh>) {
        next if /^\s*(?:#|$)/;
        my ($t, $check, $why) = /^(\w+)\s+([\w-]+)\s+(.*?)\s*$/
            or BAIL_OUT("t/fuzz/known: cannot read line $.: $_");
        $known{$t}{$check} = $why;
    }
    close $kh;
}

# run_bounded - run @cmd in $dir with its output in $log, $env added to
# the environment; killed after $limit seconds. Returns (finished, $?).
sub run_bounded {
    my ($dir, $log, $env, $limit, @cmd) = @_;
    my $pid = fork;
    BAIL_OUT("fork: $!") unless defined $pid;
    if ($pid == 0) {
        chdir $dir or exit 127;
        open STDOUT, '>', $log or exit 127;
        open STDERR, '>&', \*STDOUT or exit 127;
        $ENV{$_} = $env->{$_} for keys %$env;
        exec @cmd or exit 127;
    }
    my $deadline = time + $limit;
    while (time < $deadline) {
        return (1, $?) if waitpid($pid, WNOHANG) == $pid;
        select(undef, undef, undef, 0.1);
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
    return (0, $?);
}

# tail_of - the last lines of a log, for a diagnostic
sub tail_of {
    my ($log, $n) = @_;
    open my $fh, '<', $log or return "(no log: $!)";
    my @lines = <$fh>;
    close $fh;
    return join('', @lines[(@lines > $n ? @lines - $n : 0) .. $#lines]);
}

my $tmp = tempdir('wr-fuzz-XXXXXX', TMPDIR => 1, CLEANUP => 1);

for my $name (@built) {
    my $bin = "$top/build/fuzz_$name";
    my $work = "$tmp/$name";
    my $kn = $known{$name} || {};
    my %env = (WR_FUZZ_KNOWN => join(',', sort keys %$kn));
    mkdir $work or BAIL_OUT("mkdir $work: $!");

    # the reproducers, one run each
    for my $r (sort glob("$top/t/fuzz/regress/$name/*")) {
        my $file = basename($r);
        my ($check) = grep { index($file, "$_-") == 0 } keys %$kn;
        my ($done, $st) = run_bounded($work, "$work/regress.log",
                                      { WR_FUZZ_KNOWN => '' }, 60, $bin, $r);
        TODO: {
            local $TODO = $check ? "known: $kn->{$check}" : undef;
            ok($done && $st == 0, "$name: regression input $file passes")
                or diag(join('', grep { /contract broken|runtime error|ERROR:/ }
                                 split /^/, tail_of("$work/regress.log", 60)));
        }
    }

    # the seeds, fuzzed
    my $corpus = "$work/corpus";
    mkdir $corpus or BAIL_OUT("mkdir $corpus: $!");
    my @seeds = grep { -f } glob("$top/t/fuzz/corpus/$name/*");
    ok(@seeds >= 3, "$name: " . scalar(@seeds) . " seed inputs");
    copy($_, "$corpus/" . basename($_)) or BAIL_OUT("copy $_: $!")
        for @seeds;
    my ($runs, $secs) = $name eq 'match'
        ? ($ENV{FUZZ_RUNS} || 100000, 120)
        : ($ENV{FUZZ_RUNS_EACH} || 10000, $ENV{FUZZ_SECONDS} || 2);
    my $log = "$work/fuzz.log";
    my ($done, $status) = run_bounded(
        $work, $log, \%env, $secs + 60, $bin, "-runs=$runs", '-seed=1',
        "-max_total_time=$secs", '-timeout=20', "-artifact_prefix=$work/",
        '-print_final_stats=1', ($name eq 'match' ? '-max_len=40000' : ()),
        $corpus);
    ok($done, "$name: finished within " . ($secs + 60) . " s");
    is($status, 0, "$name: exit status 0 (signal " . ($status & 127)
       . ", code " . ($status >> 8) . ")")
        or diag("last lines of the $name fuzz log:\n", tail_of($log, 40));
    my $text = tail_of($log, 1e9);
    ok($text =~ /\bINITED\b/, "$name: the seed corpus was loaded");
    my ($did) = $text =~ /^Done (\d+) runs/m;
    ok(defined $did && $did > 0, "$name: inputs were run: "
       . ($did // 'none'));
    my ($eps) = $text =~ /^stat::average_exec_per_sec:\s*(\d+)/m;
    my ($hits) = $text =~ /(\d+) known-issue checks failed/;
    note("$name: " . ($did // 0) . " runs, " . ($eps // '?') . " execs/s"
         . ($hits ? ", $hits known-issue hits" : ''));
    opendir(my $ah, $work) or BAIL_OUT("cannot read $work: $!");
    my @artifacts = grep { /^(?:crash|leak|timeout|oom|slow-unit)-/ }
                    readdir $ah;
    closedir $ah;
    is(scalar(@artifacts), 0, "$name: no crash, leak or timeout artifacts")
        or diag("artifacts: @artifacts");
}

done_testing();
