#!/bin/sh
# notifier_mem.sh - the notifier's memory over 100,000 DNS retries with a
# DNS server that never answers (issue 11, part 5)
#
#   sh bench/notifier_mem.sh      (as root, after make -f apxs.mk all)
#
# Starts its own DNS rig (t/rig/dns.sh: unbound, whose 113.0.203.in-addr.arpa
# zone is "deny": the queries are dropped, never answered) on DNS_PORT with
# its state under $RUNDIR, then runs build/unit/test_notifier_mem with
# RETRIES retries of EVENTS events: the real notifier loop claims the
# events, every PTR lookup times out, every event is given back and claimed
# again. It prints the process's anonymous memory and RSS after the first
# tenth of the retries (the baseline, once every structure has reached its
# working size) and at the end, and the growth per 10,000 retries.
# Target: the anonymous memory grows by less than 512 KB from the baseline
# to the end (met/MISSED). Stops the DNS server it started, whatever
# happens.
#
#   RETRIES=100000 EVENTS=2000 DNS_PORT=15364 RUNDIR=/tmp/wormreply-bench-mem
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
RETRIES=${RETRIES:-100000}
EVENTS=${EVENTS:-2000}
DNS_PORT=${DNS_PORT:-15364}
RUNDIR=${RUNDIR:-/tmp/wormreply-bench-mem}
PROG=$TOP/build/unit/test_notifier_mem

[ -x "$PROG" ] || { echo "notifier_mem.sh: build first (make -f apxs.mk all)" >&2; exit 1; }
mkdir -p "$RUNDIR/rig"
stop_dns() {
    WR_RIG_DIR="$RUNDIR/rig" WR_DNS_PORT=$DNS_PORT sh "$TOP/t/rig/dns.sh" stop \
        >/dev/null 2>&1
}
trap stop_dns EXIT INT TERM
WR_RIG_DIR="$RUNDIR/rig" WR_DNS_PORT=$DNS_PORT sh "$TOP/t/rig/dns.sh" start \
    || exit 1

out=$RUNDIR/notifier_mem.out
WR_DNS_PORT=$DNS_PORT WR_MEM_RETRIES=$RETRIES WR_MEM_EVENTS=$EVENTS \
    timeout 1800 "$PROG" >"$out" 2>&1
rc=$?
grep '^#' "$out"
anon=$(sed -n 's/^# anonymous memory: \([0-9]*\) KB after \([0-9]*\) retries, \([0-9]*\) KB after \([0-9]*\).*/\1 \2 \3 \4/p' "$out")
rss=$(sed -n 's/^# RSS: \([0-9]*\) KB after [0-9]* retries, \([0-9]*\) KB.*/\1 \2/p' "$out")
# shellcheck disable=SC2086
set -- $anon
if [ $# -eq 4 ]; then
    growth=$(( $3 - $1 ))
    span=$(( $4 - $2 ))
    echo "anonymous memory: $1 KB at retry $2, $3 KB at retry $4:" \
         "${growth} KB over $span retries ($(( growth * 10000 / span )) KB per 10,000)"
    # shellcheck disable=SC2086
    set -- $rss
    echo "RSS: $1 KB at the baseline, $2 KB at the end ($(( $2 - $1 )) KB)"
    if [ $rc -eq 0 ] && [ $growth -lt 512 ]; then
        echo "target: anonymous memory growth < 512 KB over $span retries: met"
    else
        echo "target: anonymous memory growth < 512 KB over $span retries: MISSED"
    fi
else
    echo "notifier_mem.sh: no figures (exit $rc):" >&2
    cat "$out" >&2
    exit 1
fi
