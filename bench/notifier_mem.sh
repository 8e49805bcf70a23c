#!/bin/sh
# notifier_mem.sh - the notifier's memory with a DNS server that never
# answers (issue 11, part 5): 100,000 distinct events, then 100,000
# retries of the same 2,000 events
#
#   sh bench/notifier_mem.sh      (as root, inside nsrun, after
#                                  make -f apxs.mk all)
#
# Starts its own DNS rig (t/rig/dns.sh: unbound, whose 113.0.203.in-addr.arpa
# zone is "deny": the queries are dropped, never answered) on DNS_PORT with
# its state under $RUNDIR, then runs build/unit/test_notifier_mem twice,
# the real notifier loop each time, every PTR lookup timing out:
#   events:  COUNT distinct events, each given back once and then dropped
#            from new/ (as "wormreply queue drop" does) and replaced by a
#            new one, the spool holding EVENTS throughout;
#   retries: the same EVENTS events given back and claimed again COUNT
#            times in all.
# Each prints the process's anonymous memory and RSS at every tenth of the
# run. Target, per run: the peak of the anonymous memory over the second
# half is less than 512 KB above its peak over the first half (after the
# first tenth) (met/MISSED). Stops the DNS server it started, whatever
# happens.
#
#   COUNT=100000 EVENTS=2000 DNS_PORT=15364 RUNDIR=/tmp/wormreply-bench-mem
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${COUNT:-100000}
EVENTS=${EVENTS:-2000}
DNS_PORT=${DNS_PORT:-15364}
RUNDIR=${RUNDIR:-/tmp/wormreply-bench-mem}
PROG=${PROG:-$TOP/build/unit/test_notifier_mem}

[ -x "$PROG" ] || { echo "notifier_mem.sh: build first (make -f apxs.mk all)" >&2; exit 1; }
mkdir -p "$RUNDIR/rig"
stop_dns() {
    WR_RIG_DIR="$RUNDIR/rig" WR_DNS_PORT=$DNS_PORT sh "$TOP/t/rig/dns.sh" stop \
        >/dev/null 2>&1
}
trap stop_dns EXIT INT TERM
WR_RIG_DIR="$RUNDIR/rig" WR_DNS_PORT=$DNS_PORT sh "$TOP/t/rig/dns.sh" start \
    || exit 1

# run_mode NAME CHURN - one run; prints its figures and met/MISSED
run_mode() {
    out=$RUNDIR/notifier_mem.$1.out
    echo "== $1: COUNT=$COUNT EVENTS=$EVENTS"
    WR_DNS_PORT=$DNS_PORT WR_MEM_RETRIES=$COUNT WR_MEM_EVENTS=$EVENTS \
        WR_MEM_CHURN=$2 timeout 3600 "$PROG" >"$out" 2>&1
    rc=$?
    grep '^#' "$out"
    peaks=$(sed -n 's/^# anonymous memory: .*; peaks \([0-9]*\) KB and \([0-9]*\) KB.*/\1 \2/p' "$out")
    # shellcheck disable=SC2086
    set -- $peaks
    if [ $# -ne 2 ]; then
        echo "notifier_mem.sh: no figures (exit $rc):" >&2
        cat "$out" >&2
        status=1
        return
    fi
    if [ $rc -eq 0 ] && [ $(( $2 - $1 )) -lt 512 ]; then
        verdict=met
    else
        verdict=MISSED
        status=1
    fi
    echo "target: anonymous memory peak, second half vs first:" \
         "$1 KB -> $2 KB ($(( $2 - $1 )) KB) < 512 KB: $verdict"
}

status=0
run_mode events 1
run_mode retries 0
exit $status
