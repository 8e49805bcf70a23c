#!/usr/bin/env bash
# delivery.sh - what delivering mod_wormreply's notices through a smarthost
# costs, in one run: the notifier's throughput to a local SMTP server, and
# the request path's throughput while delivery runs against the same probes
# with notices off, measured side by side.
#
#   bash bench/delivery.sh       (as root, after bench/install-deps.sh)
#
# The run starts its own DNS and SMTP rigs (t/rig/dns.sh, t/rig/smtp.sh:
# unbound with the 512 bulk.test hosts, exim with STARTTLS and AUTH) with
# their state in $RUNDIR/rig and ports of their own, so that a test run in
# the checkout (t/rig/run, 15353, 12525, 12527) is not disturbed.
#
# 1. tput   notifier throughput: a private httpd with WormReplyNotify On,
#           WormReplyFormat arf (one notice per host), WormReplyDigestDelay
#           1s, WormReplyDomainWindow 1s, WormReplyMaxPerHour 0, and
#           WormReplySmarthost the rig's exim (STARTTLS required, AUTH as
#           wormtest). 512 Code Red probes from the 512 bulk.test hosts
#           (X-Forwarded-For through mod_remoteip; each a forward-confirmed
#           host-N.bulk.test with an MX) give 512 notices; timed from the
#           first notice queued (the .eml's modification time, which the
#           queue manager keeps when it moves it to sent/) to the last copy
#           stored in the rig's Maildir (each notice goes to postmaster and
#           abuse: 2 copies), every notice counted by Message-ID
# 2. wrk    the request path while delivery runs: wrk + lib/report.lua with
#           WRK_XFF rotating over 512 known sources (2001:db8:2::1..::200, no
#           PTR), and beside it lib/stream-client.pl sending STREAM probes a
#           second, each from another of the 512 bulk.test hosts; httpd
#           pinned to CPU 0 (its notifier with it), the clients to CPU 1;
#           ROUNDS interleaved rounds, medians; the same two loads against
#             off   the module, WormReplyNotify Off
#             idle  notices on, delivery set up, every source of both loads
#                   known and notified before the measurement: only counted
#             busy  notices on, a fresh server each round (its own spool,
#                   history, outbox and cache) that has learnt the known
#                   sources only: the stream brings STREAM new confirmed
#                   sources a second, so the notifier resolves, composes and
#                   delivers during the measured run (checked: notices sent
#                   in both halves of it), then delivers the rest and is
#                   checked against the Maildir before it is stopped
#           "busy / off" is the request path's throughput while delivery
#           runs against the same probes with notices off. The machine may
#           be shared: the CPU time of every process not of this run is
#           read around each measured run, and a round in which they took
#           over FOREIGN_MAX % of a CPU is run again (at most ROUNDS times
#           in all; what remains is reported as DISTURBED).
# 3. unit   (UNIT=1 or ONLY=unit) build/unit/test_delivery's own "# throughput:"
#           line (wr_delivery alone, 500 notices in sessions of 50). Its
#           ports are fixed (12525, 12527, 12532, the test suite's): it runs
#           against a third rig started on them only when all are free.
#
# Environment (defaults in brackets):
#   ONLY="tput wrk"      sections to run [both; "unit" as UNIT=1]
#   DURATION=5 WARMUP=1 ROUNDS=3 THREADS=1 CONNECTIONS=50   wrk
#   STREAM=40 LEAD=4     the stream: probes a second, and seconds it runs
#                        before wrk's warm-up (so that the busy notifier is
#                        delivering when the measurement begins);
#                        STREAM x (LEAD + WARMUP + DURATION + 1) <= 512
#   DRAIN_MAX=300        seconds to wait for a busy server's queue
#   TPUT_TIMEOUT=180     seconds to wait for the 512 notices of section 1
#   DNS_PORT=15363 SMTP_PORT=12545 SMTP_NOTLS_PORT=12547   the run's rigs
#   RIG_CPU=1            CPU of the rigs (exim, unbound) when pinned: the
#                        client's, as they stand for other machines
#   UNIT=0               1: also section 3
#   PIN=1 BUILD=1 STRICT=0 RUNDIR=/tmp/wormreply-bench-delivery
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$(pwd)
RUNDIR=${RUNDIR:-/tmp/wormreply-bench-delivery}
. "$TOP/bench/lib/common.sh"
. "$TOP/bench/lib/confs.sh"
. "$TOP/bench/lib/notices-lib.sh"
. "$TOP/bench/lib/delivery-lib.sh"

ONLY=${ONLY:-}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-50}
STREAM=${STREAM:-40}
LEAD=${LEAD:-4}
DRAIN_MAX=${DRAIN_MAX:-300}
TPUT_TIMEOUT=${TPUT_TIMEOUT:-180}
DNS_PORT=${DNS_PORT:-15363}
SMTP_PORT=${SMTP_PORT:-12545}
SMTP_NOTLS_PORT=${SMTP_NOTLS_PORT:-12547}
RIG_CPU=${RIG_CPU:-1}
UNIT=${UNIT:-0}
PIN=${PIN:-1}
BUILD=${BUILD:-1}
STRICT=${STRICT:-0}

TARGET=100          # notices/s to the local SMTP server (issue 5)
FOREIGN_MAX=10      # % of a CPU other processes may use in a measured run
                    # before the run is reported as disturbed
SPREAD_MAX=25       # % of the median the rounds of a case may differ by
                    # before the figures are reported as variable
BULK_N=512          # the bulk.test hosts of t/rig/dns.sh
PORT_TPUT=18160
PORT_TPUT_STATUS=18161
PORT_OFF=18162
PORT_IDLE=18163
PORT_IDLE_STATUS=18164
PORT_BUSY=18165
PORT_BUSY_STATUS=18166
# test_delivery's fixed ports: its rig (TLS, no TLS) and its extra daemon
UNIT_PORTS="12525 12527 12532"

SO="$TOP/mod_wormreply/.libs/mod_wormreply.so"
HTTPD=/usr/sbin/apache2
MODDIR=/usr/lib/apache2/modules
CLIENT="$TOP/bench/lib/xff-client.pl"
UNIT_TEST="$TOP/build/unit/test_delivery"
CMD="bash bench/delivery.sh"

# ---------------------------------------------------------------- options
case "$RUNDIR" in
/tmp/wormreply-bench-delivery*) ;;
*) die "RUNDIR must be under /tmp/wormreply-bench-delivery* (got $RUNDIR)";;
esac
case "$RUNDIR" in *[!A-Za-z0-9/._-]*) die "RUNDIR: plain characters only";; esac

# bounded VAR MIN MAX - VAR must be an integer in [MIN, MAX]
bounded() {
    local v=${!1}
    case "$v" in ''|*[!0-9]*) die "$1=$v is not a whole number";; esac
    [ "$v" -ge "$2" ] && [ "$v" -le "$3" ] || die "$1=$v: allowed $2..$3"
}
bounded DURATION 1 300
bounded WARMUP 0 60
bounded ROUNDS 1 15
bounded THREADS 1 16
bounded CONNECTIONS 1 1000
bounded STREAM 1 512
bounded LEAD 0 60
STREAM_S=$(( LEAD + WARMUP + DURATION + 1 ))
[ $(( STREAM * STREAM_S )) -le 512 ] \
    || die "STREAM x (LEAD + WARMUP + DURATION + 1) = $(( STREAM * STREAM_S )):" \
           "the stream has 512 new sources: lower STREAM, LEAD or DURATION"
bounded DRAIN_MAX 10 3600
bounded TPUT_TIMEOUT 10 3600
bounded DNS_PORT 1024 65535
bounded SMTP_PORT 1024 65535
bounded SMTP_NOTLS_PORT 1024 65535
bounded RIG_CPU 0 1023
bounded UNIT 0 1
for p in $DNS_PORT $SMTP_PORT $SMTP_NOTLS_PORT; do
    case $p in
    15353|1252[5-9]|1253[0-9])
        die "port $p belongs to the test suite's rigs: choose another";;
    181[6-9][0-9]) die "port $p is one of the benchmark's httpd ports";;
    esac
done
[ "$SMTP_PORT" != "$SMTP_NOTLS_PORT" ] || die "SMTP_PORT = SMTP_NOTLS_PORT"

SECTIONS="tput wrk unit"
for w in $ONLY; do
    case " $SECTIONS " in
    *" $w "*) ;;
    *) die "ONLY: unknown section '$w' (sections: $SECTIONS)";;
    esac
done
# want SECTION - run it? (unit: only when named in ONLY or with UNIT=1)
want() {
    if [ -z "$ONLY" ]; then
        [ "$1" != unit ] || [ "$UNIT" = 1 ]
        return
    fi
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
need unbound unbound
need exim exim4-daemon-light
need openssl openssl
for m in mpm_event authz_core mime dir remoteip socache_shmcb; do
    [ -f "$MODDIR/mod_$m.so" ] || die "$MODDIR/mod_$m.so missing (apache2)"
done
if want wrk; then
    need wrk wrk
fi
CPU_SRV=(); CPU_CLI=(); CPU_RIG=()
if [ "$PIN" = 1 ]; then
    if [ "$(nproc)" -ge 2 ]; then
        need taskset util-linux
        CPU_SRV=(taskset -c 0); CPU_CLI=(taskset -c 1)
        CPU_RIG=(taskset -c "$RIG_CPU")
    else
        log "one CPU only: running unpinned"
        PIN=0
    fi
fi
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- processes
RIGDIR="$RUNDIR/rig"
UNIT_RIGDIR="$RUNDIR/unit-rig"
UNIT_RIG_STARTED=0
SAMPLER=""
STREAMER=""
BUSY_SEQ=0          # busy servers started so far
BUSY_NAME=""        # the current one
BUSY_ALL=""         # all of them

stop_all() {
    local pf
    for pf in "$RUNDIR"/run/*/httpd.pid; do
        if [ -f "$pf" ]; then stop_pidfile "$pf"; fi
    done
    stop_strays
}

unit_rig_stop() {
    if [ "$UNIT_RIG_STARTED" = 1 ] || [ -d "$UNIT_RIGDIR/smtp" ]; then
        WR_RIG_DIR="$UNIT_RIGDIR" WR_SMTP_PORT=12525 WR_SMTP_NOTLS_PORT=12527 \
            sh "$TOP/t/rig/smtp.sh" stop >&2 || true
        UNIT_RIG_STARTED=0
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # our own background jobs, by the pids $! gave
    for j in "$SAMPLER" "$STREAMER"; do
        if [ -n "$j" ]; then
            kill "$j" 2>/dev/null || true
            wait "$j" 2>/dev/null || true
        fi
    done
    stop_all
    rigs_stop
    unit_rig_stop
    [ "$rc" = 0 ] || log "failed (exit $rc); logs in $RUNDIR/logs and $RUNDIR/out"
    exit "$rc"
}

# one run at a time per RUNDIR: a second one would stop the first's servers
exec 9>"$RUNDIR.lock"
flock -n 9 || die "another bench run is using $RUNDIR"

# leftovers of an interrupted run (its rigs included), then the ports must
# be free
mkdir -p "$RUNDIR/out"
stop_all
rigs_stop
unit_rig_stop
for p in $PORT_TPUT $PORT_TPUT_STATUS $PORT_OFF $PORT_IDLE $PORT_IDLE_STATUS \
         $PORT_BUSY $PORT_BUSY_STATUS $DNS_PORT $SMTP_PORT $SMTP_NOTLS_PORT; do
    port_free "$p"
done
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build, files
umask 022
rm -rf "$RUNDIR"
mkdir -p "$RUNDIR"/{conf,run,logs,out,wrk,htdocs,notices,rig}
chmod 755 "$RUNDIR" "$RUNDIR/notices" "$RUNDIR/rig"
chown www-data:www-data "$RUNDIR/logs"

if [ "$BUILD" = 1 ]; then
    targets="module"
    want unit && targets="module build/unit/test_delivery"
    log "building: make -f apxs.mk $targets"
    # $targets: make targets from the fixed list above, split on purpose
    # shellcheck disable=SC2086
    make -f apxs.mk $targets >"$RUNDIR/out/build.txt" 2>&1 \
        || { tail -20 "$RUNDIR/out/build.txt" >&2
             die "build failed (build packages: scripts/install-deps.sh)"; }
fi
[ -f "$SO" ] || die "$SO missing: build with make -f apxs.mk"

if want tput || want wrk; then
    log "rigs: unbound on 127.0.0.1:$DNS_PORT, exim on 127.0.0.1:$SMTP_PORT" \
        "(STARTTLS, AUTH) and :$SMTP_NOTLS_PORT, state in $RIGDIR" \
        "${CPU_RIG[*]:+(${CPU_RIG[*]})}"
    rig start dns || { cat "$RUNDIR/out/rig-dns-start.txt" >&2
                       die "the DNS rig did not start"; }
    rig start smtp || { cat "$RUNDIR/out/rig-smtp-start.txt" >&2
                        die "the SMTP rig did not start"; }
    [ "$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$DNS_PORT" \
          -x 2001:db8:b::200 2>/dev/null)" = "host-512.bulk.test." ] \
        || die "the DNS rig on $DNS_PORT does not serve the bulk.test hosts"
    [ -r "$RIGDIR/smtp/cert.pem" ] && [ -d "$RIGDIR/smtp/Maildir/new" ] \
        || die "the SMTP rig left no cert.pem or Maildir in $RIGDIR/smtp"
fi

# the AUTH secret: a root-only file, as WormReplySMTPAuth requires
printf 's3cret\n' >"$RUNDIR/conf/smtp-secret"
chmod 600 "$RUNDIR/conf/smtp-secret"

WR_RESOLVER="127.0.0.1:$DNS_PORT"
WR_SPOOL_MAX=100000
WR_CACHE=""
SMTP_CONF="WormReplyFormat arf
WormReplyDomainWindow 1s
WormReplyMaxPerHour 0
WormReplySmarthost localhost:$SMTP_PORT
WormReplySMTPCACertificate $RIGDIR/smtp/cert.pem
WormReplySMTPAuth wormtest $RUNDIR/conf/smtp-secret
WormReplyRetryInterval 1s"
CODERED=$(codered_path)
echo "$CODERED" >"$RUNDIR/wrk/codered.txt"
BULK="$RUNDIR/wrk/bulk.txt"          # the bulk.test hosts: confirmed
KNOWN="$RUNDIR/wrk/known.txt"        # the wrk load's sources: no PTR
addr_list "$BULK" 2001:db8:b:: "$BULK_N"
addr_list "$KNOWN" 2001:db8:2:: "$BULK_N"

HTTPD_VERSION=$("$HTTPD" -v | sed -n 's/^Server version: //p')
EXIM_VERSION=$(exim -bV 2>/dev/null | sed -n '1s/^Exim version \([^ ]*\).*/\1/p')
declare -A R
T_START=$(date +%s)

# client PORT ADDRFILE TAG - lib/xff-client.pl, one Code Red probe per
# line of ADDRFILE; its result line's fields into R[cl.TAG.*]
client() {
    local port=$1 file=$2 tag=$3 line kv
    local out="$RUNDIR/out/client-$tag.txt"
    timeout 600 "${CPU_CLI[@]}" perl "$CLIENT" "$port" "$CODERED" "$file" 1 500 \
        >"$out" 2>&1 || die "client $tag failed: $(tail -2 "$out")"
    line=$(grep '^XFFRESULT ' "$out" | tail -1)
    [ -n "$line" ] || die "no XFFRESULT line in $out"
    for kv in ${line#XFFRESULT }; do
        R[cl.$tag.${kv%%=*}]=${kv#*=}
    done
}

# counters PORT TAG - a notify server's counters into R[TAG.*]
counters() {
    local f="$RUNDIR/out/status-$2.json" k
    wr_status "$1" "$f"
    for k in requests spooled spool_dropped host_counted cache_busy notices \
             notice_events unresolvable queued outbox_queued smtp_sent \
             smtp_deferred smtp_failed smtp_suppressed notice_errors \
             host_suppressed; do
        R[$2.$k]=$(counter "$f" "$k")
    done
}

# drained PORT TAG - the server's notifier has nothing left: no event in
# the spool, no notice in the outbox, and the counters have caught up (a
# pass adds its count after its session, when the outbox is empty already)
drained() {
    counters "$1" "$2"
    [ "${R[$2.queued]}" = 0 ] && [ "${R[$2.outbox_queued]}" = 0 ] \
        && [ $(( ${R[$2.smtp_sent]} + ${R[$2.smtp_failed]} )) -ge "${R[$2.notices]}" ]
}

# wait_drained PORT TAG SECONDS - until drained, polled every 0.25 s
wait_drained() {
    local n=$(( $3 * 4 ))
    for _ in $(seq 1 "$n"); do
        drained "$1" "$2" && return 0
        sleep 0.25
    done
    return 1
}

# pct_cpu TICKS SECONDS - share of one CPU
pct_cpu() {
    awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" \
        'BEGIN { if (s > 0) printf "%.0f\n", t * 100 / hz / s; else print "n/a" }'
}

# ================================================================ 1. tput
if want tput; then
    WR_NOTIFY_EXTRA=$SMTP_CONF \
        write_httpd_conf tput event "$PORT_TPUT" notify "$PORT_TPUT_STATUS"
    httpd_start tput "$PORT_TPUT"
    counters "$PORT_TPUT_STATUS" tp0
    nt=$(notifier_of tput)
    [ -n "$nt" ] || die "tput: no notifier process under httpd"
    nt0=$(pid_ticks "$nt"); ex0=$(exim_ticks)
    log "tput: $BULK_N probes from the bulk.test hosts; waiting (at most" \
        "$TPUT_TIMEOUT s) for $BULK_N notices to be delivered"
    t0=$(now_ns)
    client "$PORT_TPUT" "$BULK" tput
    t1=$(now_ns)
    R[tp.done]=0
    for _ in $(seq 1 $(( TPUT_TIMEOUT * 4 ))); do
        counters "$PORT_TPUT_STATUS" tp1
        if [ "${R[tp1.smtp_sent]}" -ge "$BULK_N" ] \
           && [ "${R[tp1.outbox_queued]}" = 0 ]; then
            R[tp.done]=1
            break
        fi
        if [ $(( ${R[tp1.smtp_failed]} + ${R[tp1.notice_errors]} )) -gt 0 ]; then
            log "tput: failed ${R[tp1.smtp_failed]}, notice errors" \
                "${R[tp1.notice_errors]}: not waiting any longer"
            break
        fi
        sleep 0.25
    done
    t2=$(now_ns)
    nt1=$(pid_ticks "$nt"); ex1=$(exim_ticks)
    # exim stores the copies after its 250: wait (at most 30 s) for all
    for _ in $(seq 1 60); do
        mailcount "$RUNDIR/notices/tput/outbox" tput
        [ "${R[mc.tput.short]}" = 0 ] \
            && [ "${R[mc.tput.notices]}" -ge "${R[mc.tput.sent]}" ] && break
        sleep 0.5
    done
    counters "$PORT_TPUT_STATUS" tp1
    R[tp.send_s]=$(secs "$t0" "$t1")
    R[tp.wait_s]=$(secs "$t0" "$t2")
    R[tp.span_s]=$(awk -v a="${R[mc.tput.first_queued]}" \
                       -v b="${R[mc.tput.last_stored]}" \
                       'BEGIN { printf "%.2f", b - a }')
    R[tp.rate]=$(awk -v n="${R[mc.tput.notices]}" -v s="${R[tp.span_s]}" \
                     'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
    R[tp.compose_s]=$(awk -v a="${R[mc.tput.first_queued]}" \
                          -v b="${R[mc.tput.last_queued]}" \
                          'BEGIN { printf "%.2f", b - a }')
    R[tp.deliver_s]=$(awk -v a="${R[mc.tput.first_stored]}" \
                          -v b="${R[mc.tput.last_stored]}" \
                          'BEGIN { printf "%.2f", b - a }')
    R[tp.first_queued_s]=$(awk -v a="$t0" -v b="${R[mc.tput.first_queued]}" \
                               'BEGIN { printf "%.2f", b - a / 1e9 }')
    R[tp.end_s]=$(awk -v a="$t0" -v b="${R[mc.tput.last_stored]}" \
                      'BEGIN { printf "%.2f", b - a / 1e9 }')
    R[tp.notifier_cpu]=$(awk -v t=$(( nt1 - nt0 )) -v hz="$CLK_TCK" \
                             'BEGIN { printf "%.2f", t / hz }')
    R[tp.exim_cpu]=$(awk -v t=$(( ex1 - ex0 )) -v hz="$CLK_TCK" \
                         'BEGIN { printf "%.2f", t / hz }')
    R[tp.exact]=$(( ${R[tp.done]} == 1 && ${R[mc.tput.notices]} == BULK_N
                    && ${R[mc.tput.short]} == 0 && ${R[mc.tput.twice]} == 0
                    && ${R[mc.tput.missing]} == 0
                    && ${R[mc.tput.hosts]} == BULK_N
                    && ${R[mc.tput.hosts_twice]} == 0 ))
    R[tp.met]=$(( ${R[tp.rate]} >= TARGET ))
    log "tput: ${R[mc.tput.notices]} notices in ${R[tp.span_s]} s from the first" \
        "queued to the last stored = ${R[tp.rate]}/s"
    stop_pidfile "$RUNDIR/run/tput/httpd.pid"
    stop_strays
fi

# ================================================================ 2. wrk
# sent_count DIR - notices in DIR/sent/: each is moved there the moment
# the smarthost's 2xx for it is read
sent_count() {
    find "$1/sent" -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l
}

# sampler OUTBOX SECONDS OUT - four times a second for SECONDS, "time
# sent" of OUTBOX into OUT
sampler() {
    local dir=$1 n=$(( $2 * 4 )) out=$3
    for _ in $(seq 0 "$n"); do
        echo "$(now_ns) $(sent_count "$dir")" >>"$out"
        sleep 0.25
    done
}

# halves FILE - "A B": notices sent in the first and in the second half
# of a sampler's output
halves() {
    awk '{ t[NR] = $2 } END { m = int((NR + 1) / 2)
                              print t[m] - t[1], t[NR] - t[m] }' "$1"
}

# longest_pause FILE - the longest time, in seconds, that a sampler's
# output shows no notice sent (from its start, between two increases, or
# up to its end)
longest_pause() {
    awk 'NR == 1 { last = $1; prev = $2; next }
         $2 != prev { if ($1 - last > max) max = $1 - last; last = $1 }
         { prev = $2; end = $1 }
         END { if (end - last > max) max = end - last
               printf "%.2f\n", max / 1e9 }' "$1"
}

# cpu_busy - "cpu0 cpu1": jiffies of user, nice, system, irq and softirq
# time so far (idle, iowait and a hypervisor's steal left out)
cpu_busy() {
    awk '$1 == "cpu0" || $1 == "cpu1" {
             printf "%s%d", sep, $2 + $3 + $4 + $7 + $8; sep = " " }
         END { print "" }' /proc/stat
}

# busy_start - a fresh busy server, named busy<N> in BUSY_NAME (its own
# spool, history, outbox and cache: the bulk.test hosts are new sources to
# it), which then learns the known sources of the wrk load (looked up:
# unresolvable, no notice)
busy_start() {
    local name
    BUSY_SEQ=$(( BUSY_SEQ + 1 ))
    name=busy$BUSY_SEQ
    BUSY_NAME=$name
    BUSY_ALL="$BUSY_ALL${BUSY_ALL:+ }$name"
    WR_NOTIFY_EXTRA=$SMTP_CONF \
        write_httpd_conf "$name" event "$PORT_BUSY" notify "$PORT_BUSY_STATUS"
    httpd_start "$name" "$PORT_BUSY"
    [ -n "$(notifier_of "$name")" ] || die "wrk: no notifier under httpd $name"
    client "$PORT_BUSY" "$KNOWN" "$name-known"
    wait_drained "$PORT_BUSY_STATUS" "$name-prep" 60 \
        || die "wrk: $name did not finish the known sources' lookups in 60 s"
}

# busy_stop NAME - let the busy server deliver what it composed (at most
# DRAIN_MAX s), check its notices against the Maildir, stop it
busy_stop() {
    local name=$1 t0
    t0=$(now_ns)
    if wait_drained "$PORT_BUSY_STATUS" "$name-end" "$DRAIN_MAX"; then
        R[bs.$name.drained]=1
    else
        R[bs.$name.drained]=0
        log "wrk: $name still had ${R[$name-end.outbox_queued]} notices after $DRAIN_MAX s"
    fi
    R[bs.$name.drain_s]=$(secs "$t0" "$(now_ns)")
    R[bs.$name.composed]=${R[$name-end.notices]}
    mailcount "$RUNDIR/notices/$name/outbox" "$name"
    stop_pidfile "$RUNDIR/run/$name/httpd.pid"
    stop_strays_of "$name"
    wait_port_free "$PORT_BUSY" 10 || die "port $PORT_BUSY still busy"
}

# stream_start PORT TAG - lib/stream-client.pl in the background: STREAM
# probes a second from the bulk.test hosts, for LEAD seconds, the warm-up
# and the measured run; returns after the LEAD seconds
stream_start() {
    "${CPU_CLI[@]}" perl "$TOP/bench/lib/stream-client.pl" "$1" "$CODERED" \
        "$BULK" "$STREAM" "$STREAM_S" >"$RUNDIR/out/stream-$2.txt" 2>&1 &
    STREAMER=$!
    sleep "$LEAD"
}

# stream_end TAG - wait for the stream client; its fields into R[st.TAG.*]
stream_end() {
    local line kv rc=0
    wait "$STREAMER" || rc=$?
    STREAMER=""
    [ "$rc" = 0 ] || die "stream client $1 failed: $(tail -2 "$RUNDIR/out/stream-$1.txt")"
    line=$(grep '^STREAMRESULT ' "$RUNDIR/out/stream-$1.txt" | tail -1)
    [ -n "$line" ] || die "no STREAMRESULT line in out/stream-$1.txt"
    for kv in ${line#STREAMRESULT }; do
        R[st.$1.${kv%%=*}]=${kv#*=}
    done
}

# wrk_case CASE ROUND - one warm-up and one measured wrk run of the known
# sources, with the stream of bulk.test probes alongside, and counters
# and CPU times around the measured run
wrk_case() {
    local c=$1 round=$2 port name sp="" line kv out samp=""
    local n0 n1 c0 c1 k nt t0 el h1 h2
    case $c in
    off)  port=$PORT_OFF; name=off;;
    idle) port=$PORT_IDLE; name=idle; sp=$PORT_IDLE_STATUS;;
    busy) port=$PORT_BUSY; sp=$PORT_BUSY_STATUS
          busy_start
          name=$BUSY_NAME;;
    esac
    out="$RUNDIR/out/wrk-$c-$round.txt"
    stream_start "$port" "$c-$round"
    if [ "$WARMUP" -gt 0 ]; then
        WRK_PATHS="$RUNDIR/wrk/codered.txt" WRK_XFF="$KNOWN" \
            timeout $((WARMUP + 30)) "${CPU_CLI[@]}" wrk -t"$THREADS" \
            -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 5s \
            -s "$TOP/bench/lib/report.lua" "http://127.0.0.1:$port/" \
            >/dev/null 2>&1 || true
    fi
    [ -n "$sp" ] && counters "$sp" "w0"
    nt=$(notifier_of "$name")
    [ "$c" = busy ] \
        && R[wrk.$c.$round.sent_before]=$(sent_count "$RUNDIR/notices/$name/outbox")
    foreign_snapshot "$RUNDIR/out/foreign-a"
    t0=$(now_ns)
    n0=$(pid_ticks "$nt"); c0=$(cpu_busy)
    if [ "$c" = busy ]; then
        samp="$RUNDIR/out/sent-$c-$round.txt"
        : >"$samp"
        sampler "$RUNDIR/notices/$name/outbox" "$DURATION" "$samp" &
        SAMPLER=$!
    fi
    WRK_PATHS="$RUNDIR/wrk/codered.txt" WRK_XFF="$KNOWN" \
        timeout $((DURATION + 30)) "${CPU_CLI[@]}" wrk -t"$THREADS" \
        -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s \
        -s "$TOP/bench/lib/report.lua" "http://127.0.0.1:$port/" >"$out" 2>&1 \
        || die "wrk failed for $c: $(tail -3 "$out")"
    n1=$(pid_ticks "$nt"); c1=$(cpu_busy)
    el=$(secs "$t0" "$(now_ns)")
    foreign_snapshot "$RUNDIR/out/foreign-b"
    R[wrk.$c.$round.foreign]=$(pct_cpu "$(foreign_ticks "$RUNDIR/out/foreign-a" \
                                           "$RUNDIR/out/foreign-b")" "$el")
    foreign_top "$RUNDIR/out/foreign-a" "$RUNDIR/out/foreign-b" \
        >"$RUNDIR/out/foreign-$c-$round.txt"
    [ -n "$sp" ] && counters "$sp" "w1"
    if [ -n "$SAMPLER" ]; then
        wait "$SAMPLER" 2>/dev/null || true
        SAMPLER=""
    fi
    stream_end "$c-$round"
    line=$(grep '^WRKRESULT ' "$out" | tail -1)
    [ -n "$line" ] || die "no WRKRESULT line in $out"
    for kv in ${line#WRKRESULT }; do
        R[wrk.$c.$round.${kv%%=*}]=${kv#*=}
    done
    R[wrk.$c.$round.el]=$el
    R[wrk.$c.$round.notifier_ticks]=$(( n1 - n0 ))
    read -r a0 b0 <<<"$c0"
    read -r a1 b1 <<<"$c1"
    R[wrk.$c.$round.cpu0_ticks]=$(( a1 - a0 ))
    R[wrk.$c.$round.cpu1_ticks]=$(( b1 - b0 ))
    R[wrk.$c.$round.stream]=${R[st.$c-$round.requests]}
    R[wrk.$c.$round.stream_404]=${R[st.$c-$round.status_404]}
    if [ -n "$sp" ]; then
        for k in spooled notices smtp_sent host_counted cache_busy \
                 spool_dropped smtp_deferred smtp_failed host_suppressed \
                 unresolvable notice_events; do
            R[wrk.$c.$round.$k]=$(( ${R[w1.$k]} - ${R[w0.$k]} ))
        done
        R[wrk.$c.$round.backlog]=${R[w1.outbox_queued]}
    fi
    if [ "$c" = busy ]; then
        R[wrk.$c.$round.pause_s]=$(longest_pause "$samp")
        read -r h1 h2 <<<"$(halves "$samp")"
        R[wrk.$c.$round.halves]="$h1+$h2"
        # delivery overlapped the measured run: notices sent in both of
        # its halves, at least half the stream's rate in all
        R[wrk.$c.$round.overlap]=$(( h1 > 0 && h2 > 0
                                     && (h1 + h2) * 2 >= STREAM * DURATION ))
        busy_stop "$name"
    fi
    [ "${R[wrk.$c.$round.non2xx3xx]}" = "${R[wrk.$c.$round.requests]}" ] \
        || log "wrk: $c: ${R[wrk.$c.$round.non2xx3xx]} of" \
               "${R[wrk.$c.$round.requests]} answers were 404s (all should be)"
    log "wrk: round $round $c: ${R[wrk.$c.$round.rps]} req/s" \
        "(stream ${R[wrk.$c.$round.stream]} probes${sp:+; measured run: spooled ${R[wrk.$c.$round.spooled]}, notices ${R[wrk.$c.$round.notices]}, sent ${R[wrk.$c.$round.smtp_sent]}, outbox at the end ${R[wrk.$c.$round.backlog]}})"
}

WRK_CASES="off idle busy"
if want wrk; then
    write_httpd_conf off event "$PORT_OFF" xff-module
    WR_NOTIFY_EXTRA=$SMTP_CONF \
        write_httpd_conf idle event "$PORT_IDLE" notify "$PORT_IDLE_STATUS"
    for s in off:$PORT_OFF idle:$PORT_IDLE; do
        httpd_start "${s%%:*}" "${s#*:}"
    done
    [ -n "$(notifier_of idle)" ] || die "wrk: no notifier under httpd idle"
    # each answers the probe with the module's 404 (from a source in no
    # list, so that no server learns a source of the measurement here)
    for p in $PORT_OFF $PORT_IDLE; do
        code=$(curl -s --max-time 10 --path-as-is -o "$RUNDIR/out/body-$p" \
               -w '%{http_code}' -H 'X-Forwarded-For: 2001:db8:3::1' \
               "http://127.0.0.1:$p$CODERED")
        [ "$code" = 404 ] || die "port $p: Code Red probe -> $code"
    done
    cmp -s "$RUNDIR/out/body-$PORT_OFF" "$RUNDIR/out/body-$PORT_IDLE" \
        || die "the notices server's answer differs from the module's"
    # the idle server learns every source first and notifies the bulk.test
    # hosts: in its runs every source is known, only counted
    log "wrk: the idle server learns the sources and notifies the $BULK_N hosts first"
    client "$PORT_IDLE" "$KNOWN" idle-known
    client "$PORT_IDLE" "$BULK" idle-bulk
    wait_drained "$PORT_IDLE_STATUS" prep "$TPUT_TIMEOUT" \
        || die "wrk: the idle server did not deliver its notices in $TPUT_TIMEOUT s"
    [ "${R[prep.smtp_sent]}" -ge "$BULK_N" ] \
        || die "wrk: the idle server sent ${R[prep.smtp_sent]} notices, not $BULK_N"
    read -r -a cases <<<"$WRK_CASES"
    log "wrk: ${#cases[@]} cases x $ROUNDS rounds x (${WARMUP}+${DURATION} s)," \
        "-t$THREADS -c$CONNECTIONS, pin=$PIN; stream $STREAM new sources/s"
    # a round during which other processes took CPU is run again, at most
    # ROUNDS times in all (the machine may be shared)
    round=1; redone=0; R[wrk.redone]=""
    while [ "$round" -le "$ROUNDS" ]; do
        k=$(( (round - 1) % ${#cases[@]} ))
        for i in $(seq 0 $(( ${#cases[@]} - 1 ))); do
            wrk_case "${cases[$(( (i + k) % ${#cases[@]} ))]}" "$round"
        done
        dist=""
        for c in "${cases[@]}"; do
            f=${R[wrk.$c.$round.foreign]}
            [ "$f" -gt "$FOREIGN_MAX" ] && dist="$dist${dist:+ }$c:$f%"
        done
        if [ -n "$dist" ] && [ "$redone" -lt "$ROUNDS" ]; then
            redone=$(( redone + 1 ))
            R[wrk.redone]="${R[wrk.redone]}${R[wrk.redone]:+; }round $round ($dist)"
            log "wrk: round $round disturbed by other processes ($dist): running it again"
            continue
        fi
        round=$(( round + 1 ))
    done
    R[wrk.variable]=""
    for c in "${cases[@]}"; do
        v=(); e=0; q=0; nt=(); fo=(); u0=(); u1=(); st=(); sp=0; nn=0
        bl=(); ps=(); sq=0; s404=0; cb=0; df=0; hs=0; sb=0; ov=1; hv=""
        for round in $(seq 1 "$ROUNDS"); do
            v+=("${R[wrk.$c.$round.rps]}")
            q=$(( q + ${R[wrk.$c.$round.requests]} ))
            e=$(( e + ${R[wrk.$c.$round.err_connect]} + ${R[wrk.$c.$round.err_read]}
                  + ${R[wrk.$c.$round.err_write]} + ${R[wrk.$c.$round.err_timeout]} ))
            el=${R[wrk.$c.$round.el]}
            nt+=("$(pct_cpu "${R[wrk.$c.$round.notifier_ticks]}" "$el")")
            u0+=("$(pct_cpu "${R[wrk.$c.$round.cpu0_ticks]}" "$el")")
            u1+=("$(pct_cpu "${R[wrk.$c.$round.cpu1_ticks]}" "$el")")
            fo+=("${R[wrk.$c.$round.foreign]}")
            st+=("${R[wrk.$c.$round.smtp_sent]:-0}")
            sp=$(( sp + ${R[wrk.$c.$round.spooled]:-0} ))
            hs=$(( hs + ${R[wrk.$c.$round.host_suppressed]:-0} ))
            sb=$(( sb + ${R[wrk.$c.$round.sent_before]:-0} ))
            nn=$(( nn + ${R[wrk.$c.$round.notices]:-0} ))
            cb=$(( cb + ${R[wrk.$c.$round.cache_busy]:-0} ))
            df=$(( df + ${R[wrk.$c.$round.smtp_deferred]:-0}
                   + ${R[wrk.$c.$round.smtp_failed]:-0} ))
            bl+=("${R[wrk.$c.$round.backlog]:-0}")
            ps+=("${R[wrk.$c.$round.pause_s]:-0}")
            [ "${R[wrk.$c.$round.overlap]:-1}" = 1 ] || ov=0
            hv="$hv${hv:+, }${R[wrk.$c.$round.halves]:-}"
            sq=$(( sq + ${R[wrk.$c.$round.stream]} ))
            s404=$(( s404 + ${R[wrk.$c.$round.stream_404]} ))
        done
        R[wrk.$c]=$(median "${v[@]}")
        R[wrk.$c.range]=$(minmax "${v[@]}")
        R[wrk.$c.requests]=$q; R[wrk.$c.errors]=$e
        R[wrk.$c.notifier_cpu]=$(median "${nt[@]}")
        R[wrk.$c.cpu0]=$(median "${u0[@]}")
        R[wrk.$c.cpu1]=$(median "${u1[@]}")
        R[wrk.$c.sent]=$(median "${st[@]}")
        R[wrk.$c.sent.range]=$(minmax "${st[@]}")
        R[wrk.$c.spooled]=$sp; R[wrk.$c.notices]=$nn
        R[wrk.$c.host_suppressed]=$hs; R[wrk.$c.sent_before]=$sb
        R[wrk.$c.cache_busy]=$cb; R[wrk.$c.smtp_errors]=$df
        R[wrk.$c.backlog.range]=$(minmax "${bl[@]}")
        R[wrk.$c.pause.max]=$(printf '%s\n' "${ps[@]}" | sort -g | tail -1)
        R[wrk.$c.overlap]=$ov; R[wrk.$c.halves]=$hv
        R[wrk.$c.foreign.max]=$(printf '%s\n' "${fo[@]}" | sort -g | tail -1)
        # rounds far apart: a disturbance the process scan cannot see
        # (short-lived processes, other loopback traffic, the disk)
        R[wrk.$c.spread]=$(awk -v r="${R[wrk.$c.range]}" -v m="${R[wrk.$c]}" \
            'BEGIN { split(r, a, /\.\./); if (m > 0) printf "%.0f", (a[2] - a[1]) * 100 / m }')
        [ "${R[wrk.$c.spread]:-0}" -gt "$SPREAD_MAX" ] \
            && R[wrk.variable]="${R[wrk.variable]:-}${R[wrk.variable]:+ }$c:${R[wrk.$c.spread]}%"
        R[wrk.$c.stream]=$sq; R[wrk.$c.stream_404]=$s404
    done
    R[wrk.busy.sent_rate]=$(awk -v n="${R[wrk.busy.sent]}" -v d="$DURATION" \
                                'BEGIN { printf "%.0f", n / d }')
    R[wrk.busy.throughout]=${R[wrk.busy.overlap]}
    # other processes on the (shared) machine during the measured runs
    R[wrk.foreign.max]=0; R[wrk.disturbed]=""
    for c in "${cases[@]}"; do
        for round in $(seq 1 "$ROUNDS"); do
            f=${R[wrk.$c.$round.foreign]}
            [ "$f" -gt "${R[wrk.foreign.max]}" ] && R[wrk.foreign.max]=$f
            [ "$f" -gt "$FOREIGN_MAX" ] \
                && R[wrk.disturbed]="${R[wrk.disturbed]}${R[wrk.disturbed]:+ }$c/$round:$f%"
        done
    done
    R[wrk.ratio]=$(ratio "${R[wrk.busy]}" "${R[wrk.off]}")
    # every notice a busy server composed was delivered, exactly once (the
    # servers of rounds run again included)
    ex=1; dr=(); bsum=0; bsent=0
    for name in $BUSY_ALL; do
        m=mc.$name
        [ "${R[bs.$name.drained]}" = 1 ] \
            && [ "${R[$m.notices]}" = "${R[bs.$name.composed]}" ] \
            && [ "${R[$m.sent]}" = "${R[$m.notices]}" ] \
            && [ $(( ${R[$m.short]} + ${R[$m.twice]} + ${R[$m.missing]}
                     + ${R[$m.hosts_twice]} )) = 0 ] || ex=0
        dr+=("${R[bs.$name.drain_s]}")
        bsum=$(( bsum + ${R[bs.$name.composed]} ))
        bsent=$(( bsent + ${R[$m.notices]} ))
    done
    R[wrk.busy.exact]=$ex
    R[wrk.busy.composed]=$bsum
    R[wrk.busy.delivered]=$bsent
    R[wrk.busy.drain.range]=$(minmax "${dr[@]}")
    mailcount "$RUNDIR/notices/idle/outbox" idle
    for s in off idle; do
        stop_pidfile "$RUNDIR/run/$s/httpd.pid"
    done
    stop_strays
fi

# ================================================================ 3. unit
if want unit; then
    R[unit.line]=""
    busy_ports=""
    for p in $UNIT_PORTS; do
        port_busy "$p" && busy_ports="$busy_ports $p"
    done
    if [ -n "$busy_ports" ]; then
        R[unit.line]="not run: port(s)$busy_ports in use (test_delivery's ports are fixed)"
    elif [ ! -x "$UNIT_TEST" ]; then
        R[unit.line]="not run: $UNIT_TEST not built (BUILD=1 builds it)"
    else
        log "unit: build/unit/test_delivery against a rig of its own on 12525/12527"
        UNIT_RIG_STARTED=1
        mkdir -p "$UNIT_RIGDIR"
        chmod 755 "$UNIT_RIGDIR"
        WR_RIG_DIR="$UNIT_RIGDIR" WR_SMTP_PORT=12525 WR_SMTP_NOTLS_PORT=12527 \
            sh "$TOP/t/rig/smtp.sh" start >"$RUNDIR/out/unit-rig.txt" 2>&1 \
            || { cat "$RUNDIR/out/unit-rig.txt" >&2; die "the unit rig did not start"; }
        WR_RIG_DIR="$UNIT_RIGDIR" WORMREPLY_TOP="$TOP" timeout 600 "$UNIT_TEST" \
            >"$RUNDIR/out/test_delivery.txt" 2>&1 || true
        unit_rig_stop
        R[unit.line]=$(sed -n 's/^# throughput: //p' "$RUNDIR/out/test_delivery.txt" | tail -1)
        R[unit.notok]=$(grep -c '^not ok' "$RUNDIR/out/test_delivery.txt" || true)
        R[unit.rate]=$(sed -n 's/^\([0-9]*\) notices\/s.*/\1/p' <<<"${R[unit.line]}")
        [ -n "${R[unit.line]}" ] || R[unit.line]="no throughput line (see out/test_delivery.txt)"
    fi
fi

# ================================================================ report
fmt_int() {
    printf "%'.0f" "$1" 2>/dev/null || printf '%s' "$1"
}

# verdict OK - "met" or "MISSED"
verdict() {
    if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi
}

# ok COND - "ok" or "FAILED"
ok() {
    if [ "$1" = 1 ]; then echo ok; else echo FAILED; fi
}

report() {
    local c what dnote
    echo "== mod_wormreply delivery bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs," \
         "kernel $(uname -r); $HTTPD_VERSION; exim $EXIM_VERSION"
    if want tput || want wrk; then
        echo "   rigs: exim 127.0.0.1:$SMTP_PORT (STARTTLS required, AUTH as wormtest, Maildir)," \
             "unbound 127.0.0.1:$DNS_PORT; ${CPU_RIG[*]:-unpinned}"
    fi
    if want tput; then
        echo
        echo "1. Notifier throughput to the local SMTP server (WormReplyFormat arf: one notice per"
        echo "   host; DigestDelay 1s, DomainWindow 1s, MaxPerHour 0; sessions of 50, STARTTLS + AUTH)"
        echo "   $BULK_N probes from the bulk.test hosts sent in ${R[tp.send_s]} s" \
             "(${R[cl.tput.rps]} req/s, one client)"
        echo "   first notice queued ${R[tp.first_queued_s]} s after the first probe;" \
             "last queued ${R[tp.compose_s]} s later"
        echo "   delivered: ${R[mc.tput.notices]} notices (${R[mc.tput.copies]} Maildir copies," \
             "${R[mc.tput.short]} short, ${R[mc.tput.twice]} twice, ${R[mc.tput.missing]} missing;" \
             "${R[mc.tput.hosts]} distinct hosts named, ${R[mc.tput.hosts_twice]} twice):" \
             "$(ok "${R[tp.exact]}")"
        echo "   counters: notices ${R[tp1.notices]}, smtp_sent ${R[tp1.smtp_sent]}," \
             "smtp_deferred ${R[tp1.smtp_deferred]}, smtp_failed ${R[tp1.smtp_failed]}"
        echo "   first queued -> last stored: ${R[tp.span_s]} s = ${R[tp.rate]} notices/s" \
             "(target >= $TARGET/s: $(verdict "${R[tp.met]}"))"
        echo "   (first stored -> last stored: ${R[tp.deliver_s]} s; first probe -> last" \
             "stored: ${R[tp.end_s]} s)"
        echo "   where the time goes: exim stored the copies in ${R[mc.tput.bursts]} bursts" \
             "(one per SMTP session of the queue manager): median burst ${R[mc.tput.burst_s]} s" \
             "for ${R[mc.tput.burst_copies]} copies = $(( ${R[mc.tput.burst_copies]} / 2 ))" \
             "notices ($(awk -v s="${R[mc.tput.burst_s]}" -v n="${R[mc.tput.burst_copies]}" \
                         'BEGIN { if (n > 0) printf "%.1f", s * 2000 / n; else print "n/a" }')" \
             "ms a notice), median gap ${R[mc.tput.gap_s]} s between bursts (the notifier's" \
             "0.5 s poll interval between passes, then the next session's connection, STARTTLS" \
             "and AUTH)"
        echo "   CPU over the whole wait: notifier ${R[tp.notifier_cpu]} s, exim" \
             "${R[tp.exim_cpu]} s (daemon and reaped children)"
    fi
    if want wrk; then
        echo
        echo "2. The request path while delivery runs (wrk -t$THREADS -c$CONNECTIONS keep-alive," \
             "${DURATION} s runs after ${WARMUP} s warm-up,"
        where="unpinned"
        [ "$PIN" = 1 ] && where="httpd and its notifier on CPU 0, the clients on CPU 1"
        echo "   $ROUNDS interleaved rounds, median req/s; httpd mpm_event; $where;"
        echo "   load: the Code Red probe, X-Forwarded-For rotating over $BULK_N known sources (wrk),"
        echo "   plus a stream of $STREAM probes/s from the bulk.test hosts (confirmed, MX) alongside,"
        echo "   started $LEAD s before wrk)"
        printf '   %-5s %-50s %8s  %-17s %s\n' case what "req/s" "rounds (min..max)" \
            "socket errors"
        for c in $WRK_CASES; do
            case $c in
            off)  what="module, WormReplyNotify Off";;
            idle) what="notices on, every source notified: none to send";;
            busy) what="notices on, $STREAM new sources/s: delivering";;
            esac
            printf '   %-5s %-50s %8s  %-17s %s\n' "$c" "$what" "$(fmt_int "${R[wrk.$c]}")" \
                "${R[wrk.$c.range]}" "${R[wrk.$c.errors]}"
        done
        echo "   busy / off = ${R[wrk.ratio]} ($(pct "${R[wrk.busy]}" "${R[wrk.off]}") %);" \
             "idle / off = $(ratio "${R[wrk.idle]}" "${R[wrk.off]}");" \
             "busy / idle = $(ratio "${R[wrk.busy]}" "${R[wrk.idle]}")"
        echo "   stream probes answered 404: off ${R[wrk.off.stream_404]}/${R[wrk.off.stream]}," \
             "idle ${R[wrk.idle.stream_404]}/${R[wrk.idle.stream]}," \
             "busy ${R[wrk.busy.stream_404]}/${R[wrk.busy.stream]} (lead-in and warm-up included)"
        echo "   idle, measured runs: spooled ${R[wrk.idle.spooled]} (sources the shared cache had" \
             "dropped), host_suppressed ${R[wrk.idle.host_suppressed]} (the notifier's history:" \
             "notified already), notices ${R[wrk.idle.notices]}, sent ${R[wrk.idle.sent]}," \
             "cache_busy ${R[wrk.idle.cache_busy]}"
        echo "   busy: $(( ${R[wrk.busy.sent_before]} / ROUNDS )) notices sent (mean) in the" \
             "${LEAD} s lead-in and warm-up before a measured run"
        echo "   busy, measured runs: spooled ${R[wrk.busy.spooled]}, notices composed" \
             "${R[wrk.busy.notices]}, sent per run ${R[wrk.busy.sent.range]} (median" \
             "${R[wrk.busy.sent]} = ${R[wrk.busy.sent_rate]}/s), deferred or failed" \
             "${R[wrk.busy.smtp_errors]}, cache_busy ${R[wrk.busy.cache_busy]}"
        echo "     sent in the first + second half of each measured run: ${R[wrk.busy.halves]}:" \
             "delivery overlapped every measured run (both halves, >= $(( STREAM / 2 ))/s):" \
             "$(ok "${R[wrk.busy.throughout]}")"
        echo "     longest pause without a notice sent: ${R[wrk.busy.pause.max]} s (the notifier" \
             "is one thread: it composes a turn's notices, then delivers them); outbox at the" \
             "end of a run ${R[wrk.busy.backlog.range]}"
        echo "     afterwards: ${R[wrk.busy.delivered]} of ${R[wrk.busy.composed]} notices composed" \
             "by the $(wc -w <<<"$BUSY_ALL") busy servers in the Maildir, each exactly once" \
             "(drained in ${R[wrk.busy.drain.range]} s): $(ok "${R[wrk.busy.exact]}")"
        echo "   CPU in the measured runs (median, % of one CPU, /proc/stat: user, system and"
        echo "   interrupts, the loopback traffic's included; the rigs run on ${CPU_RIG[*]:-any CPU}):"
        for c in $WRK_CASES; do
            printf '     %-5s CPU 0 (httpd) %4s   CPU 1 (clients, rigs) %4s   the notifier %4s\n' \
                "$c" "${R[wrk.$c.cpu0]}" "${R[wrk.$c.cpu1]}" "${R[wrk.$c.notifier_cpu]}"
        done
        if [ -n "${R[wrk.redone]}" ]; then
            echo "   run again, disturbed by other processes (case:share of a CPU):" \
                 "${R[wrk.redone]}"
        fi
        if [ -n "${R[wrk.variable]:-}" ]; then
            echo "   VARIABLE: the rounds of a case differ by over $SPREAD_MAX % of its median" \
                 "(${R[wrk.variable]}): something the process scan cannot see (short-lived" \
                 "processes, other loopback traffic, the disk) disturbed the machine; rerun"
        fi
        if [ -n "${R[wrk.disturbed]}" ]; then
            echo "   DISTURBED: other processes used over $FOREIGN_MAX % of a CPU during measured" \
                 "runs (case/round:share) ${R[wrk.disturbed]}: the machine was not quiet, rerun"
        else
            echo "   other processes during the measured runs: at most ${R[wrk.foreign.max]} % of" \
                 "a CPU (quiet)"
        fi
        echo "   the idle server's notices: ${R[mc.idle.notices]} of ${R[mc.idle.sent]} sent in the" \
             "Maildir, ${R[mc.idle.twice]} twice"
    fi
    if want unit; then
        echo
        echo "3. build/unit/test_delivery (wr_delivery alone): ${R[unit.line]}${R[unit.notok]:+ ($([ "${R[unit.notok]}" = 0 ] && echo "all its tests ok" || echo "${R[unit.notok]} of its tests not ok"))}"
    fi
    echo
    echo "== summary (for a closing note)"
    echo "command: DURATION=$DURATION ROUNDS=$ROUNDS STREAM=$STREAM LEAD=$LEAD" \
         "${ONLY:+ONLY=\"$ONLY\" }$([ "$UNIT" = 1 ] && echo "UNIT=1 ")$CMD ($(( $(date +%s) - T_START )) s)"
    if want tput; then
        echo "notifier -> local exim (STARTTLS + AUTH, arf, sessions of 50):" \
             "${R[mc.tput.notices]} notices from $BULK_N confirmed hosts, first queued ->" \
             "last stored ${R[tp.span_s]} s = ${R[tp.rate]} notices/s (target >= $TARGET:" \
             "$(verdict "${R[tp.met]}")); each delivered exactly once ($(ok "${R[tp.exact]}"));" \
             "a session of ${R[mc.tput.burst_copies]} copies takes ${R[mc.tput.burst_s]} s at exim," \
             "then ${R[mc.tput.gap_s]} s pass until the next (poll interval 0.5 s)"
    fi
    if want unit; then
        echo "test_delivery (wr_delivery alone): ${R[unit.line]}"
    fi
    if want wrk; then
        dnote=""
        [ -n "${R[wrk.disturbed]}" ] \
            && dnote="; DISTURBED by other processes: ${R[wrk.disturbed]}"
        [ -n "${R[wrk.variable]:-}" ] \
            && dnote="$dnote; VARIABLE rounds: ${R[wrk.variable]}"
        echo "req/s while delivery runs (wrk + a stream of $STREAM new confirmed sources/s," \
             "medians of $ROUNDS): notices off $(fmt_int "${R[wrk.off]}"), notices on and" \
             "delivering $(fmt_int "${R[wrk.busy]}") = ${R[wrk.ratio]}x" \
             "($(pct "${R[wrk.busy]}" "${R[wrk.off]}") %; ${R[wrk.busy.sent_rate]} notices/s" \
             "sent meanwhile; the notifier used ${R[wrk.busy.notifier_cpu]} % of httpd's CPU);" \
             "notices on, notifier idle $(fmt_int "${R[wrk.idle]}")" \
             "($(ratio "${R[wrk.idle]}" "${R[wrk.off]}")x)$dnote"
    fi
    return 0
}

report | tee "$RUNDIR/summary.txt"
log "summary kept in $RUNDIR/summary.txt; raw outputs in $RUNDIR/out"
if [ "$STRICT" = 1 ] && grep -qE 'MISSED|FAILED' "$RUNDIR/summary.txt"; then
    exit 3
fi
exit 0
