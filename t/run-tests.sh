#!/bin/sh
# run-tests.sh - the whole suite under prove, after "make -f apxs.mk all unit-san fuzz"
#
# Starts the helper servers (t/rig/*.sh start: DNS, SMTP ... each on its own
# loopback port with its own config and pid file) and the Apache::Test httpd,
# runs every TAP producer (t/*.t, the C unit tests and their sanitizer
# builds), then stops everything it started, whatever the outcome.
#
#   sh t/run-tests.sh                        the whole suite
#   sh t/run-tests.sh t/10notices.t build/unit/test_spool   only these
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
rc=0

rigs=$(ls t/rig/*.sh 2>/dev/null || true)
stop_all() {
    perl t/TEST -stop-httpd >/dev/null 2>&1 || true
    for r in $rigs; do sh "$r" stop >/dev/null 2>&1 || true; done
}
trap stop_all EXIT INT TERM

for r in $rigs; do
    sh "$r" start || { echo "run-tests: $r start failed" >&2; exit 1; }
done

perl t/TEST -clean >/dev/null 2>&1 || true
if ! perl t/TEST -start-httpd; then
    echo "run-tests: httpd did not start; t/logs/error_log:" >&2
    tail -n 30 t/logs/error_log >&2 2>/dev/null
    exit 1
fi

# UBSan/ASan stop at the first error and say where.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS
WORMREPLY_TOP=$top
export WORMREPLY_TOP

if [ $# -gt 0 ]; then
    prove ${PROVE_FLAGS:-} "$@" || rc=$?
else
    prove ${PROVE_FLAGS:-} t/*.t build/unit/test_* build/unit-san/test_* || rc=$?
fi
exit $rc
