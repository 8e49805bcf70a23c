#!/bin/sh
# load-repeat.sh - run the load test (or any test files) N times and count
# the runs that failed, with each run's figures and failing assertions
#
#   sh bench/load-repeat.sh 20                  t/20load.t x20
#   sh bench/load-repeat.sh 5 t/22graceful_load.t
#
# t/20load.t sends 10,000 distinct sources one at a time, then 10,000 more
# from 100 connections, with as many nice-0 CPU hogs as CPUs running (so
# does t/22graceful_load.t, with three graceful restarts); each prints
# its figures as TAP notes ("load pass 1: spooled 10000 of 10000 sources,
# cache_busy 0"), which this script shows per run. A first sighting lost
# under contention shows up as a run in which "one event per ... source"
# failed. Each run starts the rig and httpd afresh (t/run-tests.sh) and is
# ended after 1,800 s; the whole loop stops starting runs after MAXTIME
# seconds (default 14,400). Outputs are kept in OUT (default
# /tmp/wormreply-load-repeat). Needs "make -f apxs.mk all" first. Prints
# one line per run, then "load-repeat: F of R runs failed" and exits 1 if
# F > 0 or fewer than N runs were made.
set -u
cd "$(dirname "$0")/.."
n=${1:-20}
shift 2>/dev/null || true
[ $# -gt 0 ] || set -- t/20load.t
out=${OUT:-/tmp/wormreply-load-repeat}
maxtime=${MAXTIME:-14400}
mkdir -p "$out"
case $n in
    ''|*[!0-9]*) echo "load-repeat: N must be a number, not '$n'" >&2; exit 2;;
esac
[ "$n" -ge 1 ] && [ "$n" -le 1000 ] || {
    echo "load-repeat: N from 1 to 1000" >&2; exit 2; }
case $maxtime in
    ''|*[!0-9]*) echo "load-repeat: MAXTIME must be seconds" >&2; exit 2;;
esac

failed=0
runs=0
began=$(date +%s)
i=1
while [ "$i" -le "$n" ]; do
    if [ $(($(date +%s) - began)) -ge "$maxtime" ]; then
        echo "load-repeat: MAXTIME ($maxtime s) reached before run $i"
        break
    fi
    log="$out/run-$i.log"
    start=$(date +%s)
    if PROVE_FLAGS=-v timeout 1800 sh t/run-tests.sh "$@" >"$log" 2>&1
    then
        result=ok
    else
        result=FAILED
        failed=$((failed + 1))
    fi
    runs=$i
    echo "run $i: $result ($(($(date +%s) - start)) s)"
    # the tests' figures, then what failed
    sed -n 's/^# \(load pass [12]: .*\|graceful load: .*\)$/    \1/p' "$log"
    grep -E '^not ok' "$log" | sed 's/^/    /'
    i=$((i + 1))
done
echo "load-repeat: $failed of $runs runs failed ($*; logs in $out)"
[ "$failed" -eq 0 ] && [ "$runs" -eq "$n" ]
