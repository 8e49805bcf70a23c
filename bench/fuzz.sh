#!/usr/bin/env bash
# fuzz.sh - run every libFuzzer target (or those named) for as long as
# asked, and print executions, time and findings per target
#
#   bash bench/fuzz.sh                       every target, 60 s each
#   SECONDS_EACH=600 bash bench/fuzz.sh      ten minutes each
#   bash bench/fuzz.sh notice spool          only these
#
# Targets are build/fuzz_<name> ("make -f apxs.mk fuzz", BUILD=0 skips the
# make). Each starts from its committed seeds (t/fuzz/corpus/<name>) plus
# what earlier runs found ($RUNDIR/corpus/<name>, kept between runs: a
# longer total run goes deeper), with every sanitizer finding fatal. A
# finding stops libFuzzer; the run is then restarted from the grown corpus
# until the target's time is used up or MAX_FINDINGS were found, so one
# bug does not hide the others. Findings (crash-*, leak-*, timeout-*,
# oom-*) stay in $RUNDIR/findings/<name>/ with their first report line;
# reproduce one with "build/fuzz_<name> FILE", keep it as a regression
# input in t/fuzz/regress/<name>/.
#
# KNOWN=1 passes the checks listed in t/fuzz/known for the target in
# WR_FUZZ_KNOWN (counted, not fatal), as t/fuzz.t does; the default (0)
# reports them as findings like any other.
#
# Environment (defaults in brackets):
#   SECONDS_EACH=60   seconds per target
#   MAX_FINDINGS=5    restarts after findings, per target
#   MAX_LEN=4096      largest input libFuzzer makes (match: 40000)
#   JOBS=1            targets run at once (the machine has 2 cores)
#   KNOWN=0           see above
#   BUILD=1           make -f apxs.mk fuzz first
#   RUNDIR=/tmp/wormreply-fuzz
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$(pwd)
SECONDS_EACH=${SECONDS_EACH:-60}
MAX_FINDINGS=${MAX_FINDINGS:-5}
MAX_LEN=${MAX_LEN:-4096}
JOBS=${JOBS:-1}
KNOWN=${KNOWN:-0}
BUILD=${BUILD:-1}
RUNDIR=${RUNDIR:-/tmp/wormreply-fuzz}

if [ "$BUILD" = 1 ]; then
    make -f apxs.mk fuzz >/dev/null
fi
if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for src in t/fuzz/fuzz_*.c; do
        n=${src#t/fuzz/fuzz_}
        names+=("${n%.c}")
    done
fi
for n in "${names[@]}"; do
    [ -x "build/fuzz_$n" ] || { echo "fuzz.sh: no build/fuzz_$n" >&2; exit 2; }
done
mkdir -p "$RUNDIR"

# the first line of a finding's report
REPORT_RE='contract broken|runtime error|ERROR: (Address|Leak)Sanitizer'
REPORT_RE="$REPORT_RE|ERROR: libFuzzer"

# known_of NAME - the checks of t/fuzz/known for NAME, comma separated
known_of() {
    [ "$KNOWN" = 1 ] && [ -f t/fuzz/known ] || return 0
    awk -v t="$1" '$1 == t { printf "%s%s", sep, $2; sep = "," }' \
        t/fuzz/known
}

# run_one NAME - fuzz one target for SECONDS_EACH; writes its summary line
# to $RUNDIR/NAME.summary
run_one() {
    local n=$1 bin="$TOP/build/fuzz_$1" corpus="$RUNDIR/corpus/$1"
    local found="$RUNDIR/findings/$1" work="$RUNDIR/work/$1"
    local maxlen=$MAX_LEN known start now left execs=0 runs=0 rc
    local findings=0 kind log line hits=0 h e

    known=$(known_of "$n")
    [ "$n" = match ] && [ "$MAX_LEN" = 4096 ] && maxlen=40000
    rm -rf "$work"
    mkdir -p "$corpus" "$found" "$work"
    cp -n "$TOP/t/fuzz/corpus/$n/"* "$corpus/" 2>/dev/null || true
    : >"$found/REPORT"
    start=$(date +%s)
    while :; do
        now=$(date +%s)
        left=$((start + SECONDS_EACH - now))
        [ "$left" -gt 0 ] || break
        runs=$((runs + 1))
        log="$work/run$runs.log"
        rc=0
        (cd "$work" && WR_FUZZ_KNOWN=$known "$bin" -max_total_time="$left" \
            -max_len="$maxlen" -timeout=20 -rss_limit_mb=2048 \
            -artifact_prefix="$work/" -print_final_stats=1 "$corpus") \
            >"$log" 2>&1 || rc=$?
        e=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        execs=$((execs + ${e:-0}))
        h=$(sed -n 's/.* \([0-9]*\) known-issue checks failed.*/\1/p' "$log")
        hits=$((hits + ${h:-0}))
        for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
                 "$work"/oom-*; do
            [ -e "$a" ] || continue
            kind=$(basename "$a")
            line=$(grep -m1 -E "$REPORT_RE" "$log" || true)
            mv "$a" "$found/$kind"
            printf '%s\t%s\n' "$kind" "${line:-?}" >>"$found/REPORT"
            findings=$((findings + 1))
        done
        if [ "$rc" -eq 0 ]; then
            break
        fi
        if [ "$findings" -ge "$MAX_FINDINGS" ]; then
            break
        fi
        if [ "${e:-0}" -eq 0 ] && ! grep -q INITED "$log"; then
            # it died before fuzzing: a seed crashes it; say so, stop
            line=$(grep -m1 -E "$REPORT_RE|ERROR" "$log" || true)
            printf 'seed\t%s\n' "${line:-exit $rc}" >>"$found/REPORT"
            findings=$((findings + 1))
            break
        fi
    done
    now=$(date +%s)
    printf '%-10s %12d %7d %9d %8d %6d %8d\n' "$n" "$execs" \
        "$((now - start))" "$((execs / (now - start > 0 ? now - start : 1)))" \
        "$(ls "$corpus" | wc -l)" "$findings" "$hits" >"$RUNDIR/$n.summary"
}

running=0
for n in "${names[@]}"; do
    run_one "$n" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait

echo "fuzz.sh: ${SECONDS_EACH} s per target, findings in $RUNDIR/findings"
printf '%-10s %12s %7s %9s %8s %6s %8s\n' target executions seconds \
    execs/s corpus finds known
total=0
for n in "${names[@]}"; do
    cat "$RUNDIR/$n.summary"
    f=$(awk '{print $6}' "$RUNDIR/$n.summary")
    total=$((total + f))
    if [ -s "$RUNDIR/findings/$n/REPORT" ]; then
        sed 's/^/    /' "$RUNDIR/findings/$n/REPORT" | tail -n "$MAX_FINDINGS"
    fi
done
[ "$total" -eq 0 ]
