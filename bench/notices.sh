#!/usr/bin/env bash
# notices.sh - what mod_wormreply's notices cost, in one run, with ratios
# against baselines measured in the same run.
#
#   bash bench/notices.sh        (as root, after bench/install-deps.sh)
#
# Every probe presents its own source address: mod_remoteip takes it from
# X-Forwarded-For (RemoteIPInternalProxy 127.0.0.1). The sources are
# 2001:db8:1::1 .. ::<hex N>, the documentation prefix, lifted by
# WormReplyNotifyAllow so that each one is looked up (no PTR: each ends
# as "unresolvable", which is what most scanning sources are).
#
# 1. ir      instructions per request (cachegrind, httpd -X mpm_prefork,
#            as bench/run.sh section 1; the client is lib/xff-client.pl,
#            N requests on one keep-alive connection, minus a zero-request
#            run; median of REPS):
#            C  Code Red probe, core 404 (mod_remoteip, no mod_wormreply)
#            M  the same, module's answer, notices off
#            D  the same, WormReplyNotify On, every request a new source
#               (one spool event each)
#            K  WormReplyNotify On, N requests from KNOWN sources only
#               (KNOWN spool events, the rest counted in the cache)
# 2. wrk     throughput, wrk + lib/report.lua with WRK_XFF rotating over
#            the N sources, httpd pinned to CPU 0, wrk to CPU 1, ROUNDS
#            interleaved rounds, medians: cr_core, cr_mod, cr_notify, and
#            cr_known (KNOWN sources); and latency: first_core and
#            first_notify, wrk + lib/xff-new.lua (every request a source
#            never seen before, at most FIRST_MAX requests a thread and
#            run) against the core 404 and a server of its own with
#            notices on: p99 of a first sighting against the core 404's
#            of the same URI, same run. Target: first_notify's p99 <=
#            first_core's (median of the rounds' p99)
# 3. check   a fresh server: N probes from N sources, then the same again;
#            spool events == distinct sources, the repeats only counted,
#            and every event accounted for once the notifier is done
# 4. dns     the resolver against the local DNS server: build/unit/
#            test_resolve's rate line, and the notifier end to end for the
#            512 bulk.test hosts of t/rig/dns.sh
#
# Everything runs on 127.0.0.1, ports 18110-18117, files under $RUNDIR;
# the DNS rig on 127.0.0.1:$DNS_PORT is used when it answers, otherwise
# started (sh t/rig/dns.sh start, its state in $RUNDIR/rig) and stopped.
#
# Environment (defaults in brackets):
#   ONLY="ir wrk check dns"  sections to run [all]
#   N=10000 KNOWN=50     distinct sources; sources of the "known" cases
#   REPS=3               valgrind runs per figure
#   DURATION=5 WARMUP=1 ROUNDS=3 THREADS=1 CONNECTIONS=50   wrk
#   SPOOL_MAX=100000     WormReplySpoolMax (the module's default: 10000)
#   FIRST_MAX=20000      requests per wrk thread and run of the first_*
#                        cases (their server's WormReplySpoolMax is sized
#                        so that none is dropped)
#   CACHE=""             WormReplyCache argument ("": the module's default,
#                        shmcb with its default size)
#   DNS_PORT=15353       the DNS rig's port
#   PIN=1 BUILD=1 STRICT=0 RUNDIR=/tmp/wormreply-bench-notices
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$(pwd)
RUNDIR=${RUNDIR:-/tmp/wormreply-bench-notices}
. "$TOP/bench/lib/common.sh"
. "$TOP/bench/lib/confs.sh"
. "$TOP/bench/lib/notices-lib.sh"

ONLY=${ONLY:-}
N=${N:-10000}
KNOWN=${KNOWN:-50}
REPS=${REPS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-50}
SPOOL_MAX=${SPOOL_MAX:-100000}
FIRST_MAX=${FIRST_MAX:-20000}
CACHE=${CACHE:-}
DNS_PORT=${DNS_PORT:-15353}
PIN=${PIN:-1}
BUILD=${BUILD:-1}
STRICT=${STRICT:-0}

PORT_IR=18110
PORT_IR_STATUS=18111
PORT_PLAIN=18112
PORT_MODULE=18113
PORT_NOTIFY=18114
PORT_NOTIFY_STATUS=18115
PORT_KNOWN=18116
PORT_KNOWN_STATUS=18117
# the first-sighting latency server (18118-18119 are t/'s, 18108 is free)
PORT_FIRST=18118
PORT_FIRST_STATUS=18108
# the check reuses the notify ports once the wrk servers are stopped
PORT_CHECK=$PORT_NOTIFY
PORT_CHECK_STATUS=$PORT_NOTIFY_STATUS

SO="$TOP/mod_wormreply/.libs/mod_wormreply.so"
HTTPD=/usr/sbin/apache2
MODDIR=/usr/lib/apache2/modules
CLIENT="$TOP/bench/lib/xff-client.pl"
RESOLVE_TEST="$TOP/build/unit/test_resolve"
CMD="bash bench/notices.sh"

# ---------------------------------------------------------------- options
case "$RUNDIR" in
/tmp/wormreply-bench-notices*) ;;
*) die "RUNDIR must be under /tmp/wormreply-bench-notices* (got $RUNDIR)";;
esac
case "$RUNDIR" in *[!A-Za-z0-9/._-]*) die "RUNDIR: plain characters only";; esac
case "$CACHE" in *[!A-Za-z0-9/._:\(\)-]*) die "CACHE: plain characters only";; esac

# bounded VAR MIN MAX - VAR must be an integer in [MIN, MAX]
bounded() {
    local v=${!1}
    case "$v" in ''|*[!0-9]*) die "$1=$v is not a whole number";; esac
    [ "$v" -ge "$2" ] && [ "$v" -le "$3" ] || die "$1=$v: allowed $2..$3"
}
bounded N 100 65535
bounded KNOWN 1 1000
bounded REPS 1 15
bounded DURATION 1 300
bounded WARMUP 0 60
bounded ROUNDS 1 15
bounded THREADS 1 16
bounded CONNECTIONS 1 1000
bounded SPOOL_MAX 0 100000000
bounded FIRST_MAX 100 200000
bounded DNS_PORT 1024 65535
[ "$KNOWN" -le "$N" ] || die "KNOWN=$KNOWN must not exceed N=$N"

SECTIONS="ir wrk check dns"
for w in $ONLY; do
    case " $SECTIONS " in
    *" $w "*) ;;
    *) die "ONLY: unknown section '$w' (sections: $SECTIONS)";;
    esac
done
want() {
    [ -z "$ONLY" ] && return 0
    case " $ONLY " in *" $1 "*) return 0;; esac
    return 1
}

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "run as root (httpd switches to User www-data)"
id www-data >/dev/null 2>&1 || die "user www-data missing (Debian package apache2)"
[ -x "$HTTPD" ] || die "$HTTPD not found (Debian package apache2)"
need ss iproute2
need curl curl
need perl perl-base
need dig dnsutils
need flock util-linux
for m in mpm_prefork mpm_event authz_core mime dir remoteip socache_shmcb; do
    [ -f "$MODDIR/mod_$m.so" ] || die "$MODDIR/mod_$m.so missing (apache2)"
done
if want ir; then
    need valgrind valgrind
fi
if want wrk; then
    need wrk wrk
fi
CPU_SRV=(); CPU_CLI=()
if [ "$PIN" = 1 ]; then
    if [ "$(nproc)" -ge 2 ]; then
        need taskset util-linux
        CPU_SRV=(taskset -c 0); CPU_CLI=(taskset -c 1)
    else
        log "one CPU only: running unpinned"
        PIN=0
    fi
fi

# ---------------------------------------------------------------- processes
DNS_STARTED=0
RIGDIR="$RUNDIR/rig"

stop_all() {
    local pf
    stop_pid "$(cat "$RUNDIR/run/valgrind.pid" 2>/dev/null || true)" 60
    rm -f "$RUNDIR/run/valgrind.pid"
    for pf in "$RUNDIR"/run/*/httpd.pid; do
        if [ -f "$pf" ]; then stop_pidfile "$pf"; fi
    done
    stop_strays
}

dns_stop() {
    if [ "$DNS_STARTED" = 1 ]; then
        WR_RIG_DIR="$RIGDIR" WR_DNS_PORT="$DNS_PORT" \
            sh "$TOP/t/rig/dns.sh" stop >&2 || true
        DNS_STARTED=0
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all
    dns_stop
    [ "$rc" = 0 ] || log "failed (exit $rc); logs in $RUNDIR/logs and $RUNDIR/out"
    exit "$rc"
}

# one run at a time per RUNDIR: a second one would stop the first's servers
exec 9>"$RUNDIR.lock"
flock -n 9 || die "another bench run is using $RUNDIR"

# leftovers of an interrupted run (an earlier run's own DNS rig included),
# then the ports must be free
stop_all
if [ -d "$RIGDIR/dns" ]; then
    WR_RIG_DIR="$RIGDIR" WR_DNS_PORT="$DNS_PORT" \
        sh "$TOP/t/rig/dns.sh" stop >&2 || true
fi
for p in $PORT_IR $PORT_IR_STATUS $PORT_PLAIN $PORT_MODULE $PORT_NOTIFY \
         $PORT_NOTIFY_STATUS $PORT_KNOWN $PORT_KNOWN_STATUS $PORT_FIRST \
         $PORT_FIRST_STATUS; do
    port_free "$p"
done
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build, files
umask 022
rm -rf "$RUNDIR"
mkdir -p "$RUNDIR"/{conf,run,logs,out,ir,wrk,htdocs,notices,rig}
chmod 755 "$RUNDIR" "$RUNDIR/notices"
chown www-data:www-data "$RUNDIR/logs" "$RUNDIR/ir"

if [ "$BUILD" = 1 ]; then
    log "building: make -f apxs.mk module build/unit/test_resolve"
    make -f apxs.mk module build/unit/test_resolve >"$RUNDIR/out/build.txt" 2>&1 \
        || { tail -20 "$RUNDIR/out/build.txt" >&2
             die "build failed (build packages: scripts/install-deps.sh)"; }
fi
[ -f "$SO" ] || die "$SO missing: build with make -f apxs.mk"

# the DNS rig: used as it is when it answers, else ours for this run
if dns_answers "$DNS_PORT"; then
    log "dns: using the DNS rig already answering on 127.0.0.1:$DNS_PORT"
else
    log "dns: starting t/rig/dns.sh on 127.0.0.1:$DNS_PORT (state in $RIGDIR)"
    DNS_STARTED=1
    WR_RIG_DIR="$RIGDIR" WR_DNS_PORT="$DNS_PORT" \
        sh "$TOP/t/rig/dns.sh" start >"$RUNDIR/out/dns-start.txt" 2>&1 \
        || { cat "$RUNDIR/out/dns-start.txt" >&2; die "the DNS rig did not start"; }
fi
# the bulk hosts must resolve, else the resolver figures mean nothing
[ "$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" \
      -x 2001:db8:b::1 2>/dev/null)" = "host-1.bulk.test." ] \
    || die "the DNS rig on $DNS_PORT does not serve the bulk.test hosts"

WR_RESOLVER="127.0.0.1:$DNS_PORT"
WR_SPOOL_MAX=$SPOOL_MAX
WR_CACHE=$CACHE
CODERED=$(codered_path)
echo "$CODERED" >"$RUNDIR/wrk/codered.txt"
ADDRS="$RUNDIR/wrk/sources.txt"      # N distinct sources
KADDRS="$RUNDIR/wrk/known.txt"       # KNOWN sources, repeated to N lines
BULK="$RUNDIR/wrk/bulk.txt"          # the 512 bulk.test hosts
addr_list "$ADDRS" 2001:db8:1:: "$N"
addr_list "$RUNDIR/wrk/known-once.txt" 2001:db8:2:: "$KNOWN"
awk -v n="$N" '{ a[NR] = $0 } END { for (i = 0; i < n; i++)
                                        print a[i % NR + 1] }' \
    "$RUNDIR/wrk/known-once.txt" >"$KADDRS"
addr_list "$BULK" 2001:db8:b:: 512
[ "$(sort -u "$ADDRS" | wc -l)" = "$N" ] || die "$ADDRS: not $N distinct sources"

HTTPD_VERSION=$("$HTTPD" -v | sed -n 's/^Server version: //p')
declare -A R
T_START=$(date +%s)

# client PORT ADDRFILE PASSES TAG - lib/xff-client.pl, one Code Red probe
# per line of ADDRFILE, PASSES times; its result line's fields into
# R[cl.TAG.*]
client() {
    local port=$1 file=$2 passes=$3 tag=$4 line kv
    local out="$RUNDIR/out/client-$tag.txt"
    timeout 3600 perl "$CLIENT" "$port" "$CODERED" "$file" "$passes" 3500 \
        >"$out" 2>&1 || die "client $tag failed: $(tail -2 "$out")"
    line=$(grep '^XFFRESULT ' "$out" | tail -1)
    [ -n "$line" ] || die "no XFFRESULT line in $out"
    for kv in ${line#XFFRESULT }; do
        R[cl.$tag.${kv%%=*}]=${kv#*=}
    done
}

# ================================================================ 1. ir
# ir_run CONF ADDRFILE TAG [STATUS] - one httpd -X under cachegrind: the
# requests of ADDRFILE (none when ADDRFILE is "-"), then, for a notify
# config, one status request (also in the zero-request run, so that it
# cancels out); the main process's Ir into R[ir.TAG], its cachegrind file
# into R[ir.TAG.cg]. The notifier is forked by httpd and, as any forked
# child, also runs under valgrind (--trace-children concerns exec only):
# the output file name carries the pid (%p), only the main one is read.
ir_run() {
    local conf=$1 file=$2 tag=$3 status=${4:-} pid ir cg n=0
    port_free "$PORT_IR"
    rm -rf "$RUNDIR/notices/$conf"
    valgrind --tool=cachegrind --cache-sim=no --vgdb=no --trace-children=no \
        --cachegrind-out-file="$RUNDIR/ir/cg.$tag.%p" \
        "$HTTPD" -X -d "$RUNDIR" -f "$RUNDIR/conf/$conf.conf" \
        >"$RUNDIR/out/vg-$tag.txt" 2>&1 &
    pid=$!
    echo "$pid" >"$RUNDIR/run/valgrind.pid"
    wait_port "$PORT_IR" 60 "$pid" \
        || die "httpd -X under valgrind did not listen ($RUNDIR/out/vg-$tag.txt)"
    wait_idle "$pid" 60 || die "httpd -X under valgrind never went idle"
    if [ "$file" != - ]; then
        client "$PORT_IR" "$file" 1 "$tag"
        n=${R[cl.$tag.requests]}
        [ "$n" = "$N" ] && [ "${R[cl.$tag.connections]}" = 1 ] \
            && [ "${R[cl.$tag.status_404]}" = "$N" ] \
            || die "$tag: $n requests, ${R[cl.$tag.connections]} connections," \
                   "${R[cl.$tag.status_404]} answered 404 (want $N, 1, $N)"
        R[ir.$tag.body]=${R[cl.$tag.body_bytes]}
        wait_idle "$pid" 60 || die "httpd -X under valgrind never went idle"
    fi
    if [ -n "$status" ]; then
        wr_status "$PORT_IR_STATUS" "$RUNDIR/out/status-$tag.json"
        wait_idle "$pid" 60 || die "httpd -X under valgrind never went idle"
    fi
    stop_pid "$pid" 60
    wait "$pid" 2>/dev/null || true
    rm -f "$RUNDIR/run/valgrind.pid"
    stop_strays
    wait_port_free "$PORT_IR" 10 || die "port $PORT_IR still busy"
    cg="$RUNDIR/ir/cg.$tag.$pid"
    ir=$(awk '/^summary:/ { print $2 }' "$cg" 2>/dev/null)
    [ -n "$ir" ] || die "no Ir summary in $cg ($RUNDIR/out/vg-$tag.txt)"
    R[ir.$tag]=$ir
    R[ir.$tag.cg]=$cg
}

# ir_functions TAG - "Ir<TAB>file:function" of one run, sorted by name
ir_functions() {
    cg_annotate --auto=no --threshold=0.001 "${R[ir.$1.cg]}" \
        | sed -n '/file:function/,$p' \
        | sed -nE 's/^ *([0-9,]+) \( *[0-9.]+%\)  (.*)$/\1\t\2/p' | tr -d , \
        | sort -t"$(printf '\t')" -k2,2
}

# ir_diff BASE OTHER - the functions whose Ir per request differ most
ir_diff() {
    local t
    t=$(printf '\t')
    join -t"$t" -1 2 -2 2 -a1 -a2 -e0 -o 0,1.1,2.1 \
        <(ir_functions "$1") <(ir_functions "$2") \
        | awk -F"$t" -v n="$N" '{ d = ($3 - $2) / n
              if (d >= 30 || d <= -30) printf "%+8.0f  %s\n", d, $1 }' \
        | sort -rn | head -10 | sed "s|$TOP/||"
}

IR_CASES="C M D K"
if want ir; then
    write_httpd_conf ir-xff prefork "$PORT_IR" xff
    write_httpd_conf ir-mod prefork "$PORT_IR" xff-module
    write_httpd_conf ir-notify prefork "$PORT_IR" notify "$PORT_IR_STATUS"
    log "ir: cachegrind on httpd -X (prefork), $N keep-alive requests per run," \
        "$REPS reps"
    declare -A IR_RAW
    ZX=(); ZM=(); ZN=()
    for rep in $(seq 1 "$REPS"); do
        ir_run ir-xff - "zero-xff-$rep"
        ZX+=("${R[ir.zero-xff-$rep]}")
        ir_run ir-mod - "zero-mod-$rep"
        ZM+=("${R[ir.zero-mod-$rep]}")
        ir_run ir-notify - "zero-notify-$rep" status
        ZN+=("${R[ir.zero-notify-$rep]}")
        for c in $IR_CASES; do
            case $c in
            C) ir_run ir-xff "$ADDRS" "$c-$rep";;
            M) ir_run ir-mod "$ADDRS" "$c-$rep";;
            D) ir_run ir-notify "$ADDRS" "$c-$rep" status;;
            K) ir_run ir-notify "$KADDRS" "$c-$rep" status;;
            esac
            IR_RAW[$c.$rep]=${R[ir.$c-$rep]}
            log "ir: $c rep $rep: Ir total ${IR_RAW[$c.$rep]}"
        done
    done
    R[ir.zero.xff]=$(median "${ZX[@]}")
    R[ir.zero.mod]=$(median "${ZM[@]}")
    R[ir.zero.notify]=$(median "${ZN[@]}")
    log "ir: zero-request runs: xff ${ZX[*]}; module ${ZM[*]}; notify ${ZN[*]}"
    for c in $IR_CASES; do
        case $c in
        C) z=${R[ir.zero.xff]};;
        M) z=${R[ir.zero.mod]};;
        *) z=${R[ir.zero.notify]};;
        esac
        per=()
        for rep in $(seq 1 "$REPS"); do
            per+=("$(awk -v t="${IR_RAW[$c.$rep]}" -v z="$z" -v n="$N" \
                      'BEGIN { printf "%.1f", (t - z) / n }')")
        done
        R[ir.$c]=$(median "${per[@]}")
        R[ir.$c.range]=$(minmax "${per[@]}")
    done
    # what each notify run did, from its counters (rep 1, the rest alike)
    for c in D K; do
        f="$RUNDIR/out/status-$c-1.json"
        for k in spooled spool_dropped host_counted cache_busy; do
            R[ir.$c.$k]=$(counter "$f" "$k")
        done
        for rep in $(seq 2 "$REPS"); do
            [ "$(counter "$RUNDIR/out/status-$c-$rep.json" spooled)" \
              = "${R[ir.$c.spooled]}" ] || R[ir.$c.varies]=1
        done
    done
    [ "${R[ir.C-1.body]:-x}" != "${R[ir.D-1.body]:-x}" ] \
        || die "ir: C and D got the same body: the module did not answer D"
    ir_diff C-1 D-1 >"$RUNDIR/out/ir-D-minus-C.txt" 2>/dev/null || true
    ir_diff M-1 D-1 >"$RUNDIR/out/ir-D-minus-M.txt" 2>/dev/null || true
    ir_diff M-1 K-1 >"$RUNDIR/out/ir-K-minus-M.txt" 2>/dev/null || true
fi

# ================================================================ 2. wrk
# notify_counters PORT TAG - the counters of a notify server into
# R[TAG.*]
notify_counters() {
    local f="$RUNDIR/out/status-$2.json" k
    wr_status "$1" "$f"
    for k in requests spooled spool_dropped host_counted cache_busy \
             notices notice_events unresolvable not_notified \
             host_suppressed dns_retries; do
        R[$2.$k]=$(counter "$f" "$k")
    done
}

# wrk_case CASE ROUND - one warm-up and one measured wrk run
# WRK_RUN - the number of the last first_* wrk run: each run (warm-ups
# included) presents sources of its own (lib/xff-new.lua)
WRK_RUN=0

wrk_case() {
    local c=$1 round=$2 port xff="" line kv out sp="" script=report.lua
    case $c in
    cr_core)   port=$PORT_PLAIN;  xff=$ADDRS;;
    cr_mod)    port=$PORT_MODULE; xff=$ADDRS;;
    cr_notify) port=$PORT_NOTIFY; xff=$ADDRS; sp=$PORT_NOTIFY_STATUS;;
    cr_known)  port=$PORT_KNOWN;  xff=$KADDRS; sp=$PORT_KNOWN_STATUS;;
    first_core)   port=$PORT_PLAIN; script=xff-new.lua;;
    first_notify) port=$PORT_FIRST; script=xff-new.lua
                  sp=$PORT_FIRST_STATUS;;
    esac
    out="$RUNDIR/out/wrk-$c-$round.txt"
    if [ "$WARMUP" -gt 0 ]; then
        WRK_RUN=$((WRK_RUN + 1))
        WRK_PATHS="$RUNDIR/wrk/codered.txt" WRK_XFF="$xff" \
            WRK_RUN=$WRK_RUN WRK_MAX=$FIRST_MAX \
            timeout $((WARMUP + 30)) "${CPU_CLI[@]}" wrk -t"$THREADS" \
            -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 5s \
            -s "$TOP/bench/lib/$script" "http://127.0.0.1:$port/" \
            >/dev/null 2>&1 || true
    fi
    [ -n "$sp" ] && notify_counters "$sp" "w0"
    WRK_RUN=$((WRK_RUN + 1))
    WRK_PATHS="$RUNDIR/wrk/codered.txt" WRK_XFF="$xff" \
        WRK_RUN=$WRK_RUN WRK_MAX=$FIRST_MAX \
        timeout $((DURATION + 30)) "${CPU_CLI[@]}" wrk -t"$THREADS" \
        -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s \
        -s "$TOP/bench/lib/$script" "http://127.0.0.1:$port/" >"$out" 2>&1 \
        || die "wrk failed for $c: $(tail -3 "$out")"
    line=$(grep '^WRKRESULT ' "$out" | tail -1)
    [ -n "$line" ] || die "no WRKRESULT line in $out"
    for kv in ${line#WRKRESULT }; do
        R[wrk.$c.$round.${kv%%=*}]=${kv#*=}
    done
    # what the measured run's probes did (spooled includes the <= c probes
    # still in flight when the warm-up stopped)
    if [ -n "$sp" ]; then
        notify_counters "$sp" "w1"
        R[wrk.$c.$round.spooled]=$(( ${R[w1.spooled]} - ${R[w0.spooled]} ))
        R[wrk.$c.$round.dropped]=$(( ${R[w1.spool_dropped]} - ${R[w0.spool_dropped]} ))
        R[wrk.$c.$round.counted]=$(( ${R[w1.host_counted]} - ${R[w0.host_counted]} ))
        R[wrk.$c.$round.busy]=$(( ${R[w1.cache_busy]} - ${R[w0.cache_busy]} ))
    fi
    [ "${R[wrk.$c.$round.non2xx3xx]}" = "${R[wrk.$c.$round.requests]}" ] \
        || log "wrk: $c: ${R[wrk.$c.$round.non2xx3xx]} of" \
               "${R[wrk.$c.$round.requests]} answers were 404s (all should be)"
    log "wrk: round $round $c: ${R[wrk.$c.$round.rps]} req/s," \
        "p99 ${R[wrk.$c.$round.p99_us]} us" \
        "${sp:+(spooled ${R[wrk.$c.$round.spooled]}, counted ${R[wrk.$c.$round.counted]}, busy ${R[wrk.$c.$round.busy]}, dropped ${R[wrk.$c.$round.dropped]})}"
}

WRK_CASES="cr_core cr_mod cr_notify cr_known first_core first_notify"
if want wrk; then
    write_httpd_conf xff event "$PORT_PLAIN" xff
    write_httpd_conf mod event "$PORT_MODULE" xff-module
    write_httpd_conf notify event "$PORT_NOTIFY" notify "$PORT_NOTIFY_STATUS"
    write_httpd_conf known event "$PORT_KNOWN" notify "$PORT_KNOWN_STATUS"
    # first_notify: room in its spool for every first sighting of every
    # run (FIRST_MAX a thread, warm-ups included), so that none is
    # dropped, which would be a cheaper path than the one measured
    WR_SPOOL_MAX=$(( (FIRST_MAX * THREADS + CONNECTIONS) * ROUNDS * 2
                     + SPOOL_MAX )) \
        write_httpd_conf first event "$PORT_FIRST" notify "$PORT_FIRST_STATUS"
    for s in xff:$PORT_PLAIN mod:$PORT_MODULE notify:$PORT_NOTIFY \
             known:$PORT_KNOWN first:$PORT_FIRST; do
        httpd_start "${s%%:*}" "${s#*:}"
    done
    # each answers the probe from a presented source as its case expects
    b1="$RUNDIR/out/body-core404"; b2="$RUNDIR/out/body-module404"
    for s in $PORT_PLAIN:$b1 $PORT_MODULE:$b2 $PORT_NOTIFY:/dev/null \
             $PORT_FIRST:/dev/null; do
        code=$(curl -s --max-time 10 --path-as-is -o "${s#*:}" -w '%{http_code}' \
               -H 'X-Forwarded-For: 2001:db8:3::1' \
               "http://127.0.0.1:${s%%:*}$CODERED")
        [ "$code" = 404 ] || die "port ${s%%:*}: Code Red probe -> $code"
    done
    cmp -s "$b1" "$b2" && die "module: the Code Red probe got the core's 404 body"
    read -r -a cases <<<"$WRK_CASES"
    log "wrk: ${#cases[@]} cases x $ROUNDS rounds x (${WARMUP}+${DURATION} s)," \
        "-t$THREADS -c$CONNECTIONS, pin=$PIN"
    for round in $(seq 1 "$ROUNDS"); do
        k=$(( (round - 1) % ${#cases[@]} ))
        for i in $(seq 0 $(( ${#cases[@]} - 1 ))); do
            wrk_case "${cases[$(( (i + k) % ${#cases[@]} ))]}" "$round"
        done
    done
    for c in "${cases[@]}"; do
        v=(); p99=(); p50=(); e=0; q=0; sp=0; dr=0; ct=0; bz=0
        for round in $(seq 1 "$ROUNDS"); do
            v+=("${R[wrk.$c.$round.rps]}")
            p99+=("${R[wrk.$c.$round.p99_us]}")
            p50+=("${R[wrk.$c.$round.p50_us]}")
            q=$(( q + ${R[wrk.$c.$round.requests]} ))
            e=$(( e + ${R[wrk.$c.$round.err_connect]} + ${R[wrk.$c.$round.err_read]}
                  + ${R[wrk.$c.$round.err_write]} + ${R[wrk.$c.$round.err_timeout]} ))
            sp=$(( sp + ${R[wrk.$c.$round.spooled]:-0} ))
            dr=$(( dr + ${R[wrk.$c.$round.dropped]:-0} ))
            ct=$(( ct + ${R[wrk.$c.$round.counted]:-0} ))
            bz=$(( bz + ${R[wrk.$c.$round.busy]:-0} ))
        done
        R[wrk.$c]=$(median "${v[@]}")
        R[wrk.$c.range]=$(minmax "${v[@]}")
        R[wrk.$c.p99]=$(median "${p99[@]}")
        R[wrk.$c.p99.range]=$(minmax "${p99[@]}")
        R[wrk.$c.p50]=$(median "${p50[@]}")
        R[wrk.$c.requests]=$q; R[wrk.$c.errors]=$e
        R[wrk.$c.spooled]=$sp; R[wrk.$c.dropped]=$dr
        R[wrk.$c.counted]=$ct; R[wrk.$c.busy]=$bz
    done
    R[wrk.body.core]=$(stat -c %s "$b1")
    R[wrk.body.module]=$(stat -c %s "$b2")
    for s in xff mod notify known first; do
        stop_pidfile "$RUNDIR/run/$s/httpd.pid"
    done
    stop_strays
fi

# ================================================================ 3. check
# wait_drained TAG SECONDS - until the notifier has an outcome for every
# spooled event (new/ and cur/ empty, the counters add up); R[TAG.*]
# holds the last counters, R[TAG.files] the spool's file counts
wait_drained() {
    local tag=$1 n=$(( $2 * 4 )) f sum
    for _ in $(seq 1 "$n"); do
        notify_counters "$PORT_CHECK_STATUS" "$tag"
        f=$(spool_files "$RUNDIR/notices/check/spool")
        R[$tag.files]=$f
        set -- $f
        sum=$(( $1 + $2 + $3 + $4 + ${R[$tag.notice_events]}
                + ${R[$tag.unresolvable]} + ${R[$tag.not_notified]}
                + ${R[$tag.host_suppressed]} ))
        R[$tag.accounted]=$sum
        if [ "$1" = 0 ] && [ "$2" = 0 ] && [ "$sum" = "${R[$tag.spooled]}" ]; then
            return 0
        fi
        sleep 0.25
    done
    return 1
}

# ok COND - "ok" or "FAILED"
ok() {
    if [ "$1" = 1 ]; then echo ok; else echo FAILED; fi
}

if want check || want dns; then
    # one digest per domain a second, no hourly cap: the 512 bulk.test
    # hosts are all notified within seconds instead of over hours
    WR_NOTIFY_EXTRA=$'WormReplyDomainWindow 1s\nWormReplyMaxPerHour 0' \
        write_httpd_conf check event "$PORT_CHECK" notify "$PORT_CHECK_STATUS"
    httpd_start check "$PORT_CHECK"
fi
if want check; then
    log "check: $N probes from $N sources, then the same again (one client," \
        "keep-alive, MaxKeepAliveRequests 100)"
    t0=$(now_ns)
    client "$PORT_CHECK" "$ADDRS" 1 pass1
    notify_counters "$PORT_CHECK_STATUS" p1
    t1=$(now_ns)
    client "$PORT_CHECK" "$ADDRS" 1 pass2
    notify_counters "$PORT_CHECK_STATUS" p2
    t2=$(now_ns)
    R[chk.send1_s]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    R[chk.send2_s]=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    log "check: waiting (at most 600 s) for the notifier to finish every event"
    wait_drained drained 600 && R[chk.drained]=1 || R[chk.drained]=0
    t3=$(now_ns)
    R[chk.total_s]=$(awk -v a="$t0" -v b="$t3" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    R[chk.after_s]=$(awk -v a="$t2" -v b="$t3" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    R[chk.first_ok]=$(( ${R[p1.spooled]} == N && ${R[p1.spool_dropped]} == 0 ))
    R[chk.repeat_ok]=$(( ${R[p2.spooled]} == ${R[p1.spooled]}
                         && ${R[p2.host_counted]} - ${R[p1.host_counted]} == N ))
    R[chk.files_ok]=$(( ${R[chk.drained]} == 1 ))
fi

# ================================================================ 4. dns
if want dns; then
    notify_counters "$PORT_CHECK_STATUS" b0
    n0=$(outbox_count "$RUNDIR/notices/check/outbox")
    log "dns: 512 probes from the bulk.test hosts; waiting (at most 60 s)" \
        "for the notices naming all of them"
    t0=$(now_ns)
    client "$PORT_CHECK" "$BULK" 1 bulk
    t1=$(now_ns)
    R[bulk.done]=0
    tf=""
    for _ in $(seq 1 240); do
        notify_counters "$PORT_CHECK_STATUS" b1
        if [ -z "$tf" ] && [ "${R[b1.notices]}" -gt "${R[b0.notices]}" ]; then
            tf=$(now_ns)
            R[bulk.first_events]=$(( ${R[b1.notice_events]} - ${R[b0.notice_events]} ))
        fi
        if [ $(( ${R[b1.notice_events]} - ${R[b0.notice_events]} )) -ge 512 ]; then
            R[bulk.done]=1
            break
        fi
        sleep 0.25
    done
    t2=$(now_ns)
    R[bulk.send_s]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    R[bulk.first_s]=$(awk -v a="$t0" -v b="${tf:-0}" 'BEGIN { if (b > 0) printf "%.2f", (b - a) / 1e9; else print "n/a" }')
    R[bulk.s]=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
    R[bulk.first_events]=${R[bulk.first_events]:-0}
    R[bulk.events]=$(( ${R[b1.notice_events]} - ${R[b0.notice_events]} ))
    R[bulk.notices]=$(( ${R[b1.notices]} - ${R[b0.notices]} ))
    R[bulk.files]=$(( $(outbox_count "$RUNDIR/notices/check/outbox") - n0 ))
    R[bulk.hosts]=$(cat "$RUNDIR"/notices/check/outbox/*.eml 2>/dev/null \
                    | grep -o 'host-[0-9]*\.bulk\.test' | sort -u | wc -l)
    if [ -x "$RESOLVE_TEST" ]; then
        WR_DNS_PORT=$DNS_PORT timeout 180 "$RESOLVE_TEST" \
            >"$RUNDIR/out/test_resolve.txt" 2>&1 || true
        R[dns.rate_line]=$(sed -n 's/^# resolver rate: //p' "$RUNDIR/out/test_resolve.txt" | tail -1)
        R[dns.notok]=$(grep -c '^not ok' "$RUNDIR/out/test_resolve.txt" || true)
        R[dns.rate]=$(sed -n 's/.* = \([0-9]*\)\/s .*/\1/p' <<<"${R[dns.rate_line]}")
    else
        R[dns.rate_line]="build/unit/test_resolve not built (BUILD=1 builds it)"
    fi
fi
if want check || want dns; then
    stop_pidfile "$RUNDIR/run/check/httpd.pid"
    stop_strays
fi

# ================================================================ report
fmt_int() {
    printf "%'.0f" "$1" 2>/dev/null || printf '%s' "$1"
}

report() {
    local c what
    echo "== mod_wormreply notices bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs," \
         "kernel $(uname -r); $HTTPD_VERSION"
    echo "   sources: $N distinct (2001:db8:1::1..::$(printf %x "$N"), X-Forwarded-For" \
         "through mod_remoteip); known-source cases: $KNOWN sources;" \
         "WormReplyCache ${CACHE:-default (shmcb)}, WormReplySpoolMax $SPOOL_MAX"
    if want ir; then
        echo
        echo "1. Instructions per request (cachegrind --cache-sim=no, httpd -X mpm_prefork,"
        echo "   $N requests on one keep-alive connection minus a zero-request run; median of $REPS)"
        printf '   %-56s %10s  %s\n' case "Ir/request" "runs (min..max)"
        for c in $IR_CASES; do
            case $c in
            C) what="C Code Red probe, core 404 (remoteip, no module)";;
            M) what="M module's answer, notices off";;
            D) what="D notices on, every request a new source";;
            K) what="K notices on, $KNOWN known sources x $(( N / KNOWN ))";;
            esac
            printf '   %-56s %10s  %s (body %s B)\n' "$what" "$(fmt_int "${R[ir.$c]}")" \
                "${R[ir.$c.range]}" "${R[ir.$c-1.body]}"
        done
        echo "   zero-request runs: xff $(fmt_int "${R[ir.zero.xff]}"), module" \
             "$(fmt_int "${R[ir.zero.mod]}"), notify $(fmt_int "${R[ir.zero.notify]}") Ir"
        for c in D K; do
            echo "   $c counters (rep 1): spooled ${R[ir.$c.spooled]}," \
                 "host_counted ${R[ir.$c.host_counted]}, cache_busy ${R[ir.$c.cache_busy]}," \
                 "spool_dropped ${R[ir.$c.spool_dropped]}${R[ir.$c.varies]:+ (spooled differs between reps)}"
        done
        R[ir.DC]=$(ratio "${R[ir.D]}" "${R[ir.C]}")
        R[ir.KC]=$(ratio "${R[ir.K]}" "${R[ir.C]}")
        R[ir.D.met]=$(awk -v d="${R[ir.D]}" -v c="${R[ir.C]}" 'BEGIN { print (d < c) }')
        echo "   D/C = ${R[ir.DC]} ($(pct "${R[ir.D]}" "${R[ir.C]}") %)   target D < C:" \
             "$(verdict "${R[ir.D.met]}")"
        echo "   K/C = ${R[ir.KC]} ($(pct "${R[ir.K]}" "${R[ir.C]}") %);" \
             "D-M (a new source's spool event, user space) = $(fmt_int "$(awk -v a="${R[ir.D]}" -v b="${R[ir.M]}" 'BEGIN { print a - b }')")," \
             "K-M = $(fmt_int "$(awk -v a="${R[ir.K]}" -v b="${R[ir.M]}" 'BEGIN { print a - b }')")"
        echo "   (user-space instructions only: a spool event's open, write and rename are"
        echo "    system calls (no fsync in the request: the notifier commits in groups); their"
        echo "    kernel time is not counted here - the throughput below includes it)"
        if [ -s "$RUNDIR/out/ir-D-minus-M.txt" ]; then
            echo "   where D-M goes (about, Ir/request by function, cg_annotate of rep 1):"
            sed 's/^/     /' "$RUNDIR/out/ir-D-minus-M.txt"
        fi
        if [ -s "$RUNDIR/out/ir-K-minus-M.txt" ]; then
            echo "   where K-M goes:"
            sed 's/^/     /' "$RUNDIR/out/ir-K-minus-M.txt"
        fi
    fi
    if want wrk; then
        echo
        echo "2. Throughput (wrk -t$THREADS -c$CONNECTIONS keep-alive, ${DURATION} s runs after ${WARMUP} s warm-up,"
        where="unpinned"
        [ "$PIN" = 1 ] && where="httpd on CPU 0, wrk on CPU 1"
        echo "   $ROUNDS interleaved rounds, median req/s; httpd mpm_event (Debian defaults), $where;"
        echo "   X-Forwarded-For rotating over the sources of each case)"
        printf '   %-10s %-44s %8s  %-17s %s\n' case what "req/s" "rounds (min..max)" \
            "socket errors"
        for c in $WRK_CASES; do
            case $c in
            cr_core)   what="core 404 (remoteip, no module), $N sources";;
            cr_mod)    what="module's answer, notices off, $N sources";;
            cr_notify) what="notices on, $N sources";;
            cr_known)  what="notices on, $KNOWN known sources";;
            first_core)   what="core 404, a new source every request";;
            first_notify) what="notices on, a new source every request";;
            esac
            printf '   %-12s %-42s %8s  %-17s %s\n' "$c" "$what" "$(fmt_int "${R[wrk.$c]}")" \
                "${R[wrk.$c.range]}" "${R[wrk.$c.errors]}"
        done
        echo "   notices on / core 404:         $(ratio "${R[wrk.cr_notify]}" "${R[wrk.cr_core]}")" \
             "($N sources)   $(ratio "${R[wrk.cr_known]}" "${R[wrk.cr_core]}") ($KNOWN known sources)"
        echo "   notices on / notices off:      $(ratio "${R[wrk.cr_notify]}" "${R[wrk.cr_mod]}")" \
             "($N sources)   $(ratio "${R[wrk.cr_known]}" "${R[wrk.cr_mod]}") ($KNOWN known sources)"
        echo "   module, notices off / core:    $(ratio "${R[wrk.cr_mod]}" "${R[wrk.cr_core]}")"
        R[wrk.p99.met]=$(awk -v a="${R[wrk.first_notify.p99]}" -v b="${R[wrk.first_core.p99]}" \
                             'BEGIN { print (a <= b) }')
        echo "   latency of a first sighting (lib/xff-new.lua: every request a source never seen;"
        echo "   at most $FIRST_MAX requests a thread and run), median of the rounds' percentiles:"
        for c in first_core first_notify; do
            echo "     $c: p50 ${R[wrk.$c.p50]} us, p99 ${R[wrk.$c.p99]} us" \
                 "(rounds ${R[wrk.$c.p99.range]} us)"
        done
        echo "   first sighting p99 ${R[wrk.first_notify.p99]} us against the core 404's" \
             "${R[wrk.first_core.p99]} us   target <=: $(verdict "${R[wrk.p99.met]}")"
        for c in cr_notify cr_known first_notify; do
            echo "   $c, measured runs: $(fmt_int "${R[wrk.$c.requests]}") probes:" \
                 "spooled ${R[wrk.$c.spooled]}, host_counted ${R[wrk.$c.counted]}," \
                 "cache_busy ${R[wrk.$c.busy]}, spool_dropped ${R[wrk.$c.dropped]}"
        done
        echo "   404 body: core ${R[wrk.body.core]} B, module ${R[wrk.body.module]} B"
    fi
    if want check; then
        local files
        read -r -a files <<<"${R[drained.files]}"
        echo
        echo "3. Spool events and distinct sources (a fresh server, event MPM)"
        echo "   pass 1: $N probes from $N new sources in ${R[chk.send1_s]} s" \
             "(${R[cl.pass1.rps]} req/s, one client, ${R[cl.pass1.connections]} connections):"
        echo "     spooled ${R[p1.spooled]}, spool_dropped ${R[p1.spool_dropped]}," \
             "cache_busy ${R[p1.cache_busy]}; events == distinct sources:" \
             "$(ok "${R[chk.first_ok]}")"
        echo "   pass 2: the same $N sources again in ${R[chk.send2_s]} s (${R[cl.pass2.rps]} req/s):"
        echo "     new spool events $(( ${R[p2.spooled]} - ${R[p1.spooled]} ))," \
             "host_counted $(( ${R[p2.host_counted]} - ${R[p1.host_counted]} ))," \
             "cache_busy $(( ${R[p2.cache_busy]} - ${R[p1.cache_busy]} ));" \
             "known sources only counted: $(ok "${R[chk.repeat_ok]}")"
        echo "   notifier done $(if [ "${R[chk.drained]}" = 1 ]; then echo "${R[chk.after_s]} s after the last probe"; else echo "NOT within 600 s"; fi)" \
             "(${R[chk.total_s]} s after the first):"
        echo "     spooled ${R[drained.spooled]} = files new ${files[0]} + cur ${files[1]} +" \
             "failed ${files[2]} + tmp ${files[3]} + notice_events ${R[drained.notice_events]} +" \
             "unresolvable ${R[drained.unresolvable]} + not_notified ${R[drained.not_notified]} +" \
             "host_suppressed ${R[drained.host_suppressed]} = ${R[drained.accounted]}:" \
             "$(ok "$(( ${R[drained.accounted]} == ${R[drained.spooled]} ))")"
        echo "     (dns_retries ${R[drained.dns_retries]}; notices ${R[drained.notices]})"
        R[chk.lookups]=$(awk -v n="$(( ${R[drained.unresolvable]} + ${R[drained.notice_events]} ))" \
                            -v t="${R[chk.total_s]}" 'BEGIN { printf "%.0f", n / t }')
        echo "     notifier: $(( ${R[drained.unresolvable]} + ${R[drained.notice_events]} )) lookups" \
             "(NXDOMAIN) finished within ${R[chk.total_s]} s of the first probe = ${R[chk.lookups]}/s" \
             "(bounded by the sending rate when the notifier keeps up)"
    fi
    if want dns; then
        echo
        echo "4. Resolver against the local DNS server (unbound, 127.0.0.1:$DNS_PORT)"
        echo "   build/unit/test_resolve: ${R[dns.rate_line]}${R[dns.notok]:+ ($([ "${R[dns.notok]}" = 0 ] && echo "all its tests ok" || echo "${R[dns.notok]} of its tests not ok"))}"
        echo "   notifier end to end: 512 probes from the bulk.test hosts (one client), spooled in" \
             "${R[bulk.send_s]} s;"
        echo "     first notice after ${R[bulk.first_s]} s (${R[bulk.first_events]} hosts);" \
             "${R[bulk.events]} hosts in ${R[bulk.notices]} notice(s) after ${R[bulk.s]} s" \
             "(${R[bulk.files]} .eml files, ${R[bulk.hosts]} distinct hosts named):" \
             "$(ok "${R[bulk.done]}")"
        echo "     = $(awk -v n="${R[bulk.events]}" -v t="${R[bulk.s]}" 'BEGIN { printf "%.0f", n / t }')" \
             "confirmed and notified hosts/s end to end; this includes the request path's spool"
        echo "     writes, the notifier's 0.5 s spool poll, WormReplyDigestDelay 1s and (this server"
        echo "     only) WormReplyDomainWindow 1s between the digests of one domain"
    fi
    echo
    echo "== summary (for a closing note)"
    echo "command: N=$N KNOWN=$KNOWN REPS=$REPS DURATION=$DURATION ROUNDS=$ROUNDS" \
         "${ONLY:+ONLY=\"$ONLY\" }${CACHE:+CACHE=$CACHE }$CMD ($(( $(date +%s) - T_START )) s)"
    if want ir; then
        echo "Ir/request, Code Red probe, a new source per request ($N): core 404 C" \
             "$(fmt_int "${R[ir.C]}") -> notices on D $(fmt_int "${R[ir.D]}"): D/C ${R[ir.DC]}" \
             "(target < 1: $(verdict "${R[ir.D.met]}"); user space only, the spool file's" \
             "write is kernel time); notices off M $(fmt_int "${R[ir.M]}"); known sources K" \
             "$(fmt_int "${R[ir.K]}") (K/C ${R[ir.KC]})"
    fi
    if want wrk; then
        echo "req/s (wrk, medians of $ROUNDS): core 404 $(fmt_int "${R[wrk.cr_core]}"), notices off" \
             "$(fmt_int "${R[wrk.cr_mod]}"), notices on $(fmt_int "${R[wrk.cr_notify]}")" \
             "($(ratio "${R[wrk.cr_notify]}" "${R[wrk.cr_core]}" 2)x core; ${R[wrk.cr_notify.spooled]}" \
             "of $(fmt_int "${R[wrk.cr_notify.requests]}") probes spooled), $KNOWN known sources" \
             "$(fmt_int "${R[wrk.cr_known]}") ($(ratio "${R[wrk.cr_known]}" "${R[wrk.cr_core]}" 2)x core)"
        echo "p99 (wrk, a new source every request, median of $ROUNDS): notices on" \
             "${R[wrk.first_notify.p99]} us, core 404 ${R[wrk.first_core.p99]} us" \
             "(target <=: $(verdict "${R[wrk.p99.met]}")); ${R[wrk.first_notify.spooled]} of" \
             "$(fmt_int "${R[wrk.first_notify.requests]}") probes spooled," \
             "${R[wrk.first_notify.dropped]} dropped"
    fi
    if want check; then
        echo "spool: $N sources -> ${R[p1.spooled]} events ($(ok "${R[chk.first_ok]}"));" \
             "repeat pass: $(( ${R[p2.host_counted]} - ${R[p1.host_counted]} )) counted," \
             "$(( ${R[p2.spooled]} - ${R[p1.spooled]} )) re-spooled ($(ok "${R[chk.repeat_ok]}"));" \
             "every event accounted for ($(ok "$(( ${R[drained.accounted]} == ${R[drained.spooled]} ))"))"
    fi
    if want dns; then
        echo "resolver: ${R[dns.rate]:-?} confirmed names/s (test_resolve, 512 names," \
             "local unbound); notifier end to end: ${R[bulk.events]} of 512 bulk hosts notified" \
             "${R[bulk.s]} s after the first probe (first digest at ${R[bulk.first_s]} s;" \
             "1 s digest delay and 1 s domain window included)"
    fi
    return 0
}

# verdict OK - "met" or "MISSED"
verdict() {
    if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi
}

report | tee "$RUNDIR/summary.txt"
log "summary kept in $RUNDIR/summary.txt; raw outputs in $RUNDIR/out"
if [ "$STRICT" = 1 ] && grep -qE 'MISSED|FAILED' "$RUNDIR/summary.txt"; then
    exit 3
fi
exit 0
