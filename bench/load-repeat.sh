#!/bin/sh
# load-repeat.sh - run the load test (or any test files) N times and count
# the runs that failed, with the failing assertions of each
#
#   sh bench/load-repeat.sh 20                  t/20load.t x20
#   sh bench/load-repeat.sh 5 t/22graceful_load.t
#
# A first sighting lost under contention shows up here as a run in which
# "one event per ... source" failed. Each run starts the rig and httpd
# afresh (t/run-tests.sh); the outputs are kept in OUT (default
# /tmp/wormreply-load-repeat). Needs "make -f apxs.mk all" first. Prints one
# line per run, then "load-repeat: F of N runs failed" and exits 1 if F > 0.
set -u
cd "$(dirname "$0")/.."
n=${1:-20}
shift 2>/dev/null || true
[ $# -gt 0 ] || set -- t/20load.t
out=${OUT:-/tmp/wormreply-load-repeat}
mkdir -p "$out"
case $n in
    ''|*[!0-9]*) echo "load-repeat: N must be a number, not '$n'" >&2; exit 2;;
esac
[ "$n" -ge 1 ] && [ "$n" -le 1000 ] || {
    echo "load-repeat: N from 1 to 1000" >&2; exit 2; }

failed=0
i=1
while [ "$i" -le "$n" ]; do
    log="$out/run-$i.log"
    start=$(date +%s)
    if timeout 1800 sh t/run-tests.sh "$@" >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        failed=$((failed + 1))
    fi
    echo "run $i: $result ($(($(date +%s) - start)) s)" \
         "$(grep -E 'Failed test|^not ok' "$log" | tr '\n' ' ')"
    i=$((i + 1))
done
echo "load-repeat: $failed of $n runs failed ($*; logs in $out)"
[ "$failed" -eq 0 ]
