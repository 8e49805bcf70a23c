#!/usr/bin/env bash
# delivery.sh - what delivering mod_wormreply's notices through a smarthost
# costs, in one run: the notifier's throughput to a local SMTP server with
# one and with several SMTP sessions at once, next to what that server
# takes from a plain SMTP client, and the request path's throughput while
# delivery runs against the same probes with notices off, measured side by
# side.
#
#   bash bench/delivery.sh       (as root, after bench/install-deps.sh)
#
# The run starts its own DNS and SMTP rigs (t/rig/dns.sh, t/rig/smtp.sh:
# unbound with the 512 bulk.test hosts, exim with STARTTLS and AUTH) with
# their state in $RUNDIR/rig and ports of their own, so that a test run in
# the checkout (t/rig/run, 15353, 12525, 12527) is not disturbed.
#
# 1. tput   notifier throughput, against the SMTP server's own ceiling in
#           the same run: for each N in TPUT_SESSIONS (default "1 4"), in
#           that order, two measurements, each with an empty Maildir:
#           notifier  a fresh private httpd (tputN: its own spool, history,
#                     outbox, cache) with WormReplyNotify On, WormReplyFormat
#                     arf (one notice per host), WormReplyDigestDelay 1s,
#                     WormReplyDomainWindow 1s, WormReplyMaxPerHour 0,
#                     WormReplySMTPSessions N and WormReplySmarthost the
#                     rig's exim (STARTTLS required, AUTH as wormtest). 512
#                     Code Red probes from the 512 bulk.test hosts
#                     (X-Forwarded-For through mod_remoteip; each a
#                     forward-confirmed host-N.bulk.test with an MX) give
#                     512 notices; timed from the first notice queued (the
#                     .eml's modification time, which the queue manager
#                     keeps when it moves it to sent/) to the last copy
#                     stored in the rig's Maildir (each notice goes to
#                     postmaster and abuse: 2 copies), every notice counted
#                     by Message-ID
#           plain     lib/smtp-client.pl: 512 copies of one notice the first
#                     notifier run delivered (its size, its two recipients;
#                     each copy with a Message-ID of its own and another
#                     bulk.test host's address), sent to the same exim by N
#                     processes at once, each its share in sessions of at
#                     most 50 (STARTTLS, AUTH PLAIN; MAIL, RCPTs and BDAT
#                     LAST pipelined, as libesmtp does with exim), nothing
#                     else to do, placed like the notifier (CPU 0 when
#                     pinned); timed from just before its first connection
#                     to the last copy stored, counted the same way
#           Printed: notices/s of each, the ratio of each N to the first
#           (the notifier's and the plain client's), notifier / plain for
#           each N (how near the notifier gets to what exim takes at all),
#           the same from the first copy stored to the last (the delivery
#           alone: the notifier composes a turn's notices before it sends);
#           and, from /proc/stat sampled every 0.05 s, the busy share of
#           each CPU between the first message and the last copy stored
#           (pinned: CPU 0 the notifier or the plain client, RIG_CPU exim
#           and unbound, so its share says whether exim was saturated; the
#           time of the short-lived processes exim forks per connection and
#           per message does not all reach its daemon's counters, so it is
#           not read per process), with the CPU time of the notifier (its
#           session processes included) or of the plain client, of unbound
#           and of every process not of this run (over FOREIGN_MAX % of a
#           CPU: the measurement is run once more, afresh, and flagged
#           DISTURBED if that one was disturbed too), and the SMTP
#           connections exim logged. The target is held against the last N
#           (by default 4, the module's default). Pinned, the script itself
#           (its polls, the Maildir counts) runs on CPU 0 during section 1.
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
#           runs against the same probes with notices off. Every server
#           runs with WormReplyNotifierNice NOTIFIER_NICE (0 by default):
#           with the module's default, 10, a notifier that shares httpd's
#           CPU yields to it, so that under wrk's full load it hardly
#           delivers at all until the load ends (the "both halves" check
#           then fails): the cost measured would not be that of delivery.
#           NOTIFIER_NICE=10 shows that trade. The machine may
#           be shared: the CPU time of every process not of this run is
#           read around each measured run, and a round in which they took
#           over FOREIGN_MAX % of a CPU is run again (at most ROUNDS times
#           in all; what remains is reported as DISTURBED).
# 3. unit   (UNIT=1 or ONLY=unit) build/unit/test_delivery's own "# throughput:"
#           line (wr_delivery alone, 500 notices in passes of up to 4
#           sessions of 50), against a third rig of its own on 12555 and
#           12557 (and 12558 for its "server down, then back" case, through
#           WR_TEST_SMTP_PORT and WR_TEST_SMTP_EXTRA_PORT), started only when
#           those ports are free.
#
# Environment (defaults in brackets):
#   ONLY="tput wrk"      sections to run [both; "unit" as UNIT=1]
#   DURATION=5 WARMUP=1 ROUNDS=3 THREADS=1 CONNECTIONS=50   wrk
#   STREAM=40 LEAD=4     the stream: probes a second, and seconds it runs
#                        before wrk's warm-up (so that the busy notifier is
#                        delivering when the measurement begins);
#                        STREAM x (LEAD + WARMUP + DURATION + 1) <= 512
#   DRAIN_MAX=300        seconds to wait for a busy server's queue
#   NOTIFIER_NICE=0      WormReplyNotifierNice of every server (0..19)
#   TPUT_TIMEOUT=180     seconds to wait for the 512 notices of a notifier
#                        run of section 1 (and the plain client's bound)
#   TPUT_SESSIONS="1 4"  WormReplySMTPSessions values of section 1 (1..32,
#                        one to six, no repeats); the first is the ratios'
#                        baseline, the last is held against the target
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
NOTIFIER_NICE=${NOTIFIER_NICE:-0}
TPUT_TIMEOUT=${TPUT_TIMEOUT:-180}
TPUT_SESSIONS=${TPUT_SESSIONS:-1 4}
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
SATURATED=90        # % busy from which section 1 calls a CPU saturated
BULK_N=512          # the bulk.test hosts of t/rig/dns.sh
PORT_TPUT=18160
PORT_TPUT_STATUS=18161
PORT_OFF=18162
PORT_IDLE=18163
PORT_IDLE_STATUS=18164
PORT_BUSY=18165
PORT_BUSY_STATUS=18166
# test_delivery's fixed ports: its rig (TLS, no TLS) and its extra daemon
UNIT_PORTS="12555 12557 12558"   # main, no-TLS, extra (up/down test)

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
bounded NOTIFIER_NICE 0 19
bounded TPUT_TIMEOUT 10 3600
bounded DNS_PORT 1024 65535
bounded SMTP_PORT 1024 65535
bounded SMTP_NOTLS_PORT 1024 65535
bounded RIG_CPU 0 1023
bounded UNIT 0 1
TP_N=()
for n in $TPUT_SESSIONS; do
    case "$n" in
    ''|0*|*[!0-9]*) die "TPUT_SESSIONS: '$n' is not a whole number from 1 to 32";;
    esac
    [ "$n" -le 32 ] || die "TPUT_SESSIONS: $n: allowed 1..32 (WormReplySMTPSessions)"
    case " ${TP_N[*]} " in *" $n "*) die "TPUT_SESSIONS: $n given twice";; esac
    TP_N+=("$n")
done
[ "${#TP_N[@]}" -ge 1 ] && [ "${#TP_N[@]}" -le 6 ] \
    || die "TPUT_SESSIONS: one to six values (got '$TPUT_SESSIONS')"
TP_BASE=${TP_N[0]}                     # the ratios' baseline
TP_MAIN=${TP_N[${#TP_N[@]} - 1]}       # the run held against TARGET
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
if want tput; then
    perl -MNet::SMTP -e 1 2>/dev/null \
        || die "perl's Net::SMTP missing (Debian package perl)"
    perl -MIO::Socket::SSL -e 1 2>/dev/null \
        || die "perl's IO::Socket::SSL missing (Debian package" \
               "libio-socket-ssl-perl): run bench/install-deps.sh"
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
# the CPUs section 1 reports: the server's and the rigs' when pinned, else
# each (the machine as one, beyond 4)
if [ "$PIN" = 1 ]; then
    CPU_SHOW=0
    [ "$RIG_CPU" = 0 ] || CPU_SHOW="0 $RIG_CPU"
elif [ "$(nproc)" -le 4 ]; then
    CPU_SHOW=$(seq -s ' ' 0 $(( $(nproc) - 1 )))
else
    CPU_SHOW=all
fi

# ---------------------------------------------------------------- processes
RIGDIR="$RUNDIR/rig"
UNIT_RIGDIR="$RUNDIR/unit-rig"
UNIT_RIG_STARTED=0
SAMPLER=""
STREAMER=""
CPUSAMPLER=""
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
        WR_RIG_DIR="$UNIT_RIGDIR" WR_SMTP_PORT=12555 WR_SMTP_NOTLS_PORT=12557 \
            sh "$TOP/t/rig/smtp.sh" stop >&2 || true
        UNIT_RIG_STARTED=0
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # our own background jobs, by the pids $! gave
    for j in "$SAMPLER" "$STREAMER" "$CPUSAMPLER"; do
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
WormReplyRetryInterval 1s
WormReplyNotifierNice $NOTIFIER_NICE"
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

# wait_drained PORT TAG SECONDS - until drained, polled every 0.25 s. The
# spool and outbox gauges are published by the notifier about once a
# second (not read at each request): drained must hold for 1.25 s, so that
# a gauge from before the last probes cannot end the wait.
wait_drained() {
    local n=$(( $3 * 4 )) held=0
    for _ in $(seq 1 "$n"); do
        if drained "$1" "$2"; then
            held=$(( held + 1 ))
            [ "$held" -ge 5 ] && return 0
        else
            held=0
        fi
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
# maildir_empty - remove the copies exim stored so far (each counted
# already): every measurement of section 1 starts with an empty Maildir
maildir_empty() {
    find "$RIGDIR/smtp/Maildir/new" -mindepth 1 -maxdepth 1 -type f -delete
}

# maildir_wait OUTBOX TAG - exim stores the copies after its 250: count
# them (mailcount into R[mc.TAG.*]) until all are there, at most 30 s
maildir_wait() {
    for _ in $(seq 1 60); do
        mailcount "$1" "$2"
        [ "${R[mc.$2.short]}" = 0 ] \
            && [ "${R[mc.$2.notices]}" -ge "${R[mc.$2.sent]}" ] && return 0
        sleep 0.5
    done
    return 0
}

# tput_poll PORT TAG - smtp_sent, smtp_failed, notice_errors and
# outbox_queued of a server into R[TAG.*]: one curl and one awk, so that
# polling four times a second costs next to nothing
tput_poll() {
    local f="$RUNDIR/out/poll-$2.json" line k
    curl -s --max-time 10 -o "$f" "http://127.0.0.1:$1/wormreply-status" \
        || die "no wormreply-status answer on port $1"
    line=$(awk '{ for (i = 1; i < NF; i++) {
                      k = $i; gsub(/[",:{]/, "", k)
                      if (k == "smtp_sent" || k == "smtp_failed" \
                          || k == "notice_errors" || k == "outbox_queued") {
                          v = $(i + 1); gsub(/[^0-9]/, "", v)
                          if (!(k in got)) { got[k] = v; out = out " " k "=" v } } } }
                END { print out }' "$f")
    for k in smtp_sent smtp_failed notice_errors outbox_queued; do
        case " $line " in
        *" $k="[0-9]*) R[$2.$k]=$(sed "s/.* $k=\([0-9]*\).*/\1/" <<<" $line ");;
        *) die "wormreply-status on port $1 has no $k ($f)";;
        esac
    done
}

# tput_begin TAG - before a measurement: the Maildir emptied, the exim
# log's length, unbound's and the other processes' CPU time noted, the
# /proc/stat sampler started
tput_begin() {
    maildir_empty
    R[tb.$1.log0]=$(smtp_log_lines)
    R[tb.$1.ub0]=$(unbound_ticks)
    foreign_snapshot "$RUNDIR/out/foreign-$1-a"
    "${CPU_SRV[@]}" perl -e "$CPU_SAMPLER_PL" $(( TPUT_TIMEOUT + 90 )) \
        "$RUNDIR/out/cpu-$1.txt" 9>&- &
    CPUSAMPLER=$!
    sleep 0.2
    R[tb.$1.t0]=$(now_ns)
}

# tput_end TAG A B - after it (its copies counted): the sampler stopped;
# into R[tb.TAG.*]: cpu (cpu_window of CPU_SHOW between the epoch times A
# and B), unbound_s, foreign (% of a CPU the other processes used since
# tput_begin), conns and conns_max (the SMTP connections exim logged, and
# the most open at once)
tput_end() {
    local tag=$1 el c cm last
    if [ -n "$CPUSAMPLER" ]; then
        # its last sample must be at or after B (at most 2 s more)
        for _ in $(seq 1 40); do
            last=$(tail -1 "$RUNDIR/out/cpu-$tag.txt" 2>/dev/null | cut -d' ' -f1 || true)
            awk -v l="${last:-0}" -v b="$3" 'BEGIN { exit !(l >= b) }' && break
            sleep 0.05
        done
        kill "$CPUSAMPLER" 2>/dev/null || true
        wait "$CPUSAMPLER" 2>/dev/null || true
        CPUSAMPLER=""
    fi
    el=$(secs "${R[tb.$tag.t0]}" "$(now_ns)")
    foreign_snapshot "$RUNDIR/out/foreign-$tag-b"
    R[tb.$tag.foreign]=$(pct_cpu "$(foreign_ticks "$RUNDIR/out/foreign-$tag-a" \
                                     "$RUNDIR/out/foreign-$tag-b")" "$el")
    foreign_top "$RUNDIR/out/foreign-$tag-a" "$RUNDIR/out/foreign-$tag-b" \
        >"$RUNDIR/out/foreign-$tag.txt"
    R[tb.$tag.unbound_s]=$(awk -v t=$(( $(unbound_ticks) - ${R[tb.$tag.ub0]} )) \
                               -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    # $CPU_SHOW: CPU numbers, split on purpose
    # shellcheck disable=SC2086
    R[tb.$tag.cpu]=$(cpu_window "$RUNDIR/out/cpu-$tag.txt" "$2" "$3" $CPU_SHOW)
    read -r c cm <<<"$(smtp_connections "${R[tb.$tag.log0]}")"
    R[tb.$tag.conns]=$c
    R[tb.$tag.conns_max]=$cm
}

# tput_notifier N - the notifier with WormReplySMTPSessions N: a fresh
# server tputN (its own spool, history, outbox, cache), 512 probes from the
# 512 bulk.test hosts, then wait for the 512 notices; results in R[tp.N.*],
# its notices' copies in R[mc.tputN.*]
tput_notifier() {
    local n=$1 name=tput$1 t0 t1 nt nt0 nt1 m
    WR_NOTIFY_EXTRA="$SMTP_CONF
WormReplySMTPSessions $n" \
        write_httpd_conf "$name" event "$PORT_TPUT" notify "$PORT_TPUT_STATUS"
    httpd_start "$name" "$PORT_TPUT"
    counters "$PORT_TPUT_STATUS" "$name.start"
    nt=$(notifier_of "$name")
    [ -n "$nt" ] || die "tput: no notifier process under httpd $name"
    log "tput: WormReplySMTPSessions $n: $BULK_N probes from the bulk.test" \
        "hosts; waiting (at most $TPUT_TIMEOUT s) for $BULK_N notices"
    tput_begin "$name"
    nt0=$(tree_ticks "$nt")
    t0=$(now_ns)
    client "$PORT_TPUT" "$BULK" "$name"
    t1=$(now_ns)
    R[tp.$n.done]=0
    for _ in $(seq 1 $(( TPUT_TIMEOUT * 4 ))); do
        tput_poll "$PORT_TPUT_STATUS" "$name.poll"
        if [ "${R[$name.poll.smtp_sent]}" -ge "$BULK_N" ] \
           && [ "${R[$name.poll.outbox_queued]}" = 0 ]; then
            R[tp.$n.done]=1
            break
        fi
        if [ $(( ${R[$name.poll.smtp_failed]} + ${R[$name.poll.notice_errors]} )) -gt 0 ]; then
            log "tput: failed ${R[$name.poll.smtp_failed]}, notice errors" \
                "${R[$name.poll.notice_errors]}: not waiting any longer"
            break
        fi
        sleep 0.25
    done
    nt1=$(tree_ticks "$nt")
    m=mc.$name
    maildir_wait "$RUNDIR/notices/$name/outbox" "$name"
    tput_end "$name" "${R[$m.first_queued]}" "${R[$m.last_stored]}"
    counters "$PORT_TPUT_STATUS" "$name.end"
    R[tp.$n.send_s]=$(secs "$t0" "$t1")
    R[tp.$n.span_s]=$(awk -v a="${R[$m.first_queued]}" -v b="${R[$m.last_stored]}" \
                          'BEGIN { printf "%.2f", b - a }')
    R[tp.$n.rate]=$(awk -v n="${R[$m.notices]}" -v s="${R[tp.$n.span_s]}" \
                        'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
    R[tp.$n.compose_s]=$(awk -v a="${R[$m.first_queued]}" -v b="${R[$m.last_queued]}" \
                             'BEGIN { printf "%.2f", b - a }')
    R[tp.$n.deliver_s]=$(awk -v a="${R[$m.first_stored]}" -v b="${R[$m.last_stored]}" \
                             'BEGIN { printf "%.2f", b - a }')
    R[tp.$n.deliver_rate]=$(awk -v n="${R[$m.notices]}" -v s="${R[tp.$n.deliver_s]}" \
                                'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
    R[tp.$n.first_queued_s]=$(awk -v a="$t0" -v b="${R[$m.first_queued]}" \
                                  'BEGIN { printf "%.2f", b - a / 1e9 }')
    R[tp.$n.end_s]=$(awk -v a="$t0" -v b="${R[$m.last_stored]}" \
                         'BEGIN { printf "%.2f", b - a / 1e9 }')
    R[tp.$n.notifier_cpu]=$(awk -v t=$(( nt1 - nt0 )) -v hz="$CLK_TCK" \
                                'BEGIN { printf "%.2f", t / hz }')
    R[tp.$n.exact]=$(( ${R[tp.$n.done]} == 1 && ${R[$m.notices]} == BULK_N
                       && ${R[$m.short]} == 0 && ${R[$m.twice]} == 0
                       && ${R[$m.missing]} == 0 && ${R[$m.hosts]} == BULK_N
                       && ${R[$m.hosts_twice]} == 0 ))
    log "tput: WormReplySMTPSessions $n: ${R[$m.notices]} notices in" \
        "${R[tp.$n.span_s]} s from the first queued to the last stored" \
        "= ${R[tp.$n.rate]}/s"
    stop_pidfile "$RUNDIR/run/$name/httpd.pid"
    stop_strays
    wait_port_free "$PORT_TPUT" 10 || die "port $PORT_TPUT still busy"
    wait_port_free "$PORT_TPUT_STATUS" 10 || die "port $PORT_TPUT_STATUS still busy"
}

# tput_plain N - the SMTP server's own ceiling: lib/smtp-client.pl sends
# BULK_N copies of a delivered notice (TPUT_TEMPLATE) in N parallel
# processes, sessions of at most 50, pinned like the notifier; timed from
# just before its first connection to the last copy stored; R[pc.N.*],
# the copies in R[mc.plainN.*]
tput_plain() {
    local n=$1 name=plain$1 od out line kv m
    od="$RUNDIR/notices/$name/outbox"
    out="$RUNDIR/out/smtp-client-$n.txt"
    m=mc.$name
    mkdir -p "$od"
    log "tput: plain SMTP client, $n session(s) at once: $BULK_N copies of a notice"
    tput_begin "$name"
    timeout $(( TPUT_TIMEOUT + 30 )) "${CPU_SRV[@]}" \
        perl "$TOP/bench/lib/smtp-client.pl" "$SMTP_PORT" "$RIGDIR/smtp/cert.pem" \
        wormtest "$RUNDIR/conf/smtp-secret" "$TPUT_TEMPLATE" "$od" "$BULK_N" \
        "$n" 50 "$TPUT_TIMEOUT" >"$out" 2>&1 \
        || die "smtp-client ($n sessions) failed: $(tail -2 "$out")"
    line=$(grep '^PLAINRESULT ' "$out" | tail -1)
    [ -n "$line" ] || die "no PLAINRESULT line in $out"
    for kv in ${line#PLAINRESULT }; do
        R[pc.$n.${kv%%=*}]=${kv#*=}
    done
    maildir_wait "$od" "$name"
    tput_end "$name" "${R[pc.$n.t0]}" "${R[$m.last_stored]}"
    R[pc.$n.span_s]=$(awk -v a="${R[pc.$n.t0]}" -v b="${R[$m.last_stored]}" \
                          'BEGIN { printf "%.2f", b - a }')
    R[pc.$n.rate]=$(awk -v n="${R[$m.notices]}" -v s="${R[pc.$n.span_s]}" \
                        'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
    R[pc.$n.deliver_s]=$(awk -v a="${R[$m.first_stored]}" -v b="${R[$m.last_stored]}" \
                             'BEGIN { printf "%.2f", b - a }')
    R[pc.$n.deliver_rate]=$(awk -v n="${R[$m.notices]}" -v s="${R[pc.$n.deliver_s]}" \
                                'BEGIN { if (s > 0) printf "%.0f", n / s; else print 0 }')
    R[pc.$n.exact]=$(( ${R[pc.$n.sent]} == BULK_N && ${R[$m.notices]} == BULK_N
                       && ${R[$m.short]} == 0 && ${R[$m.twice]} == 0
                       && ${R[$m.missing]} == 0 ))
    log "tput: plain SMTP client, $n session(s): ${R[$m.notices]} messages in" \
        "${R[pc.$n.span_s]} s = ${R[pc.$n.rate]}/s"
}

# tput_measure KIND N - tput_notifier N (KIND tput) or tput_plain N (KIND
# plain); run once more, afresh, when other processes took over FOREIGN_MAX
# % of a CPU meanwhile (the machine may be shared): the second run's
# figures are the ones kept, and still flagged if it was disturbed too
tput_measure() {
    local kind=$1 n=$2 name=$1$2 try
    for try in 1 2; do
        if [ "$try" = 2 ]; then
            log "tput: $name disturbed by other processes" \
                "(${R[tb.$name.foreign]} % of a CPU): running it again"
            R[tp.redone]="${R[tp.redone]}${R[tp.redone]:+, }$name:${R[tb.$name.foreign]}%"
            rm -rf "${RUNDIR:?}/notices/$name" "${RUNDIR:?}/run/$name"
        fi
        if [ "$kind" = tput ]; then
            tput_notifier "$n"
        else
            tput_plain "$n"
        fi
        [ "${R[tb.$name.foreign]}" -gt "$FOREIGN_MAX" ] || break
    done
}

if want tput; then
    R[tp.redone]=""
    # the script's own processes (polls, counts) run beside the notifier,
    # not on the rigs' CPU
    SELF_MASK=""
    if [ "$PIN" = 1 ]; then
        SELF_MASK=$(taskset -p $$ | awk '{ print $NF }')
        taskset -cp 0 $$ >/dev/null
    fi
    TPUT_TEMPLATE="$RUNDIR/wrk/notice.eml"
    for n in "${TP_N[@]}"; do
        tput_measure tput "$n"
        if [ ! -f "$TPUT_TEMPLATE" ]; then
            f=$(find "$RUNDIR/notices/tput$n/outbox/sent" -maxdepth 1 \
                     -name '*.eml' -print -quit)
            [ -n "$f" ] || die "tput: no delivered notice in" \
                               "notices/tput$n/outbox/sent to copy"
            cp "$f" "$TPUT_TEMPLATE"
            R[tp.template]=$(basename "$f")
            R[tp.template_bytes]=$(wc -c <"$TPUT_TEMPLATE")
            R[tp.template_to]=$(tr -d '\r' <"$TPUT_TEMPLATE" \
                                | sed -n 's/^To: *//p' | head -1)
        fi
        tput_measure plain "$n"
    done
    if [ -n "$SELF_MASK" ]; then
        taskset -p "$SELF_MASK" $$ >/dev/null
    fi
    R[tp.exact]=1; R[pc.exact]=1
    for n in "${TP_N[@]}"; do
        [ "${R[tp.$n.exact]}" = 1 ] || R[tp.exact]=0
        [ "${R[pc.$n.exact]}" = 1 ] || R[pc.exact]=0
        R[tp.$n.vs_base]=$(ratio "${R[tp.$n.rate]}" "${R[tp.$TP_BASE.rate]}" 2)
        R[pc.$n.vs_base]=$(ratio "${R[pc.$n.rate]}" "${R[pc.$TP_BASE.rate]}" 2)
        R[tp.$n.vs_plain]=$(ratio "${R[tp.$n.rate]}" "${R[pc.$n.rate]}" 2)
        R[tp.$n.vs_plain_stored]=$(ratio "${R[tp.$n.deliver_rate]}" \
                                         "${R[pc.$n.deliver_rate]}" 2)
    done
    R[tp.met]=$(( ${R[tp.$TP_MAIN.rate]} >= TARGET ))
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
    n0=$(tree_ticks "$nt"); c0=$(cpu_busy)
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
    n1=$(tree_ticks "$nt"); c1=$(cpu_busy)
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
    # httpd's own CPU per request: wrk and exim share CPU 1, so a busy exim
    # slows the client as well as the server
    for c in "${cases[@]}"; do
        R[wrk.$c.us]=$(awk -v b="${R[wrk.$c.cpu0]}" -v n="${R[wrk.$c.notifier_cpu]}" \
                           -v r="${R[wrk.$c]}" \
                           'BEGIN { u = b - n; if (u < 0) u = 0
                                    printf "%.1f", (r > 0 ? u * 1e4 / r : 0) }')
    done
    R[wrk.us_ratio]=$(awk -v a="${R[wrk.off.us]}" -v b="${R[wrk.busy.us]}" \
                          'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
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
        R[unit.line]="not run: port(s)$busy_ports in use"
    elif [ ! -x "$UNIT_TEST" ]; then
        R[unit.line]="not run: $UNIT_TEST not built (BUILD=1 builds it)"
    else
        log "unit: build/unit/test_delivery against a rig of its own on 12555/12557 (and 12558)"
        UNIT_RIG_STARTED=1
        mkdir -p "$UNIT_RIGDIR"
        chmod 755 "$UNIT_RIGDIR"
        WR_RIG_DIR="$UNIT_RIGDIR" WR_SMTP_PORT=12555 WR_SMTP_NOTLS_PORT=12557 \
            sh "$TOP/t/rig/smtp.sh" start >"$RUNDIR/out/unit-rig.txt" 2>&1 \
            || { cat "$RUNDIR/out/unit-rig.txt" >&2; die "the unit rig did not start"; }
        WR_RIG_DIR="$UNIT_RIGDIR" WORMREPLY_TOP="$TOP" WR_TEST_SMTP_PORT=12555 \
            WR_TEST_SMTP_EXTRA_PORT=12558 timeout 600 "$UNIT_TEST" \
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

# share SECONDS SPAN - SECONDS of CPU time as a % of one CPU over SPAN s
share() {
    awk -v c="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", c * 100 / s; else print "n/a" }'
}

# cpu_fmt TAG - a section 1 run's CPU shares (R[tb.TAG.cpu]) for the
# report: "cpu0 25 %, cpu1 97 %* (iowait 2 %)"; * marks a CPU at least
# SATURATED % busy
cpu_fmt() {
    local out="" cpu b w e
    for e in ${R[tb.$1.cpu]}; do
        IFS=: read -r cpu b w <<<"$e"
        [ "$cpu" = all ] && cpu="all CPUs" || cpu="cpu$cpu"
        case "$b" in
        ''|*[!0-9]*) out="$out${out:+, }$cpu n/a"; continue;;
        esac
        out="$out${out:+, }$cpu $b %"
        [ "$b" -ge "$SATURATED" ] && out="$out*"
        [ "$w" = 0 ] || out="$out (iowait $w %)"
    done
    echo "${out:-n/a}"
}

report() {
    local c what dnote n m w line sep fmax
    echo "== mod_wormreply delivery bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs," \
         "kernel $(uname -r); $HTTPD_VERSION; exim $EXIM_VERSION"
    if want tput || want wrk; then
        echo "   rigs: exim 127.0.0.1:$SMTP_PORT (STARTTLS required, AUTH as wormtest, Maildir)," \
             "unbound 127.0.0.1:$DNS_PORT; ${CPU_RIG[*]:-unpinned}"
    fi
    if want tput; then
        echo
        echo "1. Notifier throughput to the local SMTP server, and that server's own ceiling, for"
        echo "   WormReplySMTPSessions N in TPUT_SESSIONS=\"${TP_N[*]}\" (in this order; each run"
        echo "   with a fresh server and an empty Maildir; STARTTLS + AUTH, sessions of at most 50)"
        echo "   notifier  WormReplyFormat arf (one notice per host), DigestDelay 1s, DomainWindow"
        echo "             1s, MaxPerHour 0; $BULK_N Code Red probes from the $BULK_N bulk.test" \
             "hosts -> $BULK_N"
        echo "             notices; timed from the first notice queued to the last copy stored"
        echo "   plain     lib/smtp-client.pl: $BULK_N copies of one delivered notice" \
             "(${R[tp.template_bytes]} bytes,"
        echo "             to ${R[tp.template_to]}) in N processes, each its share in"
        echo "             sessions of 50 (STARTTLS, AUTH PLAIN; per message MAIL, the RCPTs and"
        echo "             BDAT LAST pipelined in one write, as the notifier's libesmtp sends them"
        echo "             to exim), nothing else to do; the same exim; placed like the notifier;"
        echo "             timed from just before its first connection to the last copy stored"
        echo "   (span: as timed; stored: from the first copy stored to the last, i.e. without"
        echo "   the notifier's composing, which mostly comes before its first session)"
        printf '   %2s  %-8s  %6s  %5s  %6s  %8s  |  %8s  %8s  %8s  |  %-5s  %s\n' N what \
            "span s" "per s" "x N=$TP_BASE" "notif/pl" "stored s" "per s" "notif/pl" \
            exact "SMTP connections (exim's highest count)"
        for n in "${TP_N[@]}"; do
            printf '   %2s  %-8s  %6s  %5s  %6s  %8s  |  %8s  %8s  %8s  |  %-5s  %s\n' \
                "$n" notifier "${R[tp.$n.span_s]}" "${R[tp.$n.rate]}" \
                "${R[tp.$n.vs_base]}" "${R[tp.$n.vs_plain]}" "${R[tp.$n.deliver_s]}" \
                "${R[tp.$n.deliver_rate]}" "${R[tp.$n.vs_plain_stored]}" \
                "$(ok "${R[tp.$n.exact]}")" \
                "${R[tb.tput$n.conns]} (${R[tb.tput$n.conns_max]})"
            printf '   %2s  %-8s  %6s  %5s  %6s  %8s  |  %8s  %8s  %8s  |  %-5s  %s\n' \
                "$n" plain "${R[pc.$n.span_s]}" "${R[pc.$n.rate]}" \
                "${R[pc.$n.vs_base]}" "" "${R[pc.$n.deliver_s]}" \
                "${R[pc.$n.deliver_rate]}" "" "$(ok "${R[pc.$n.exact]}")" \
                "${R[tb.plain$n.conns]} (${R[tb.plain$n.conns_max]})"
        done
        echo "   notifier with N=$TP_MAIN: ${R[tp.$TP_MAIN.rate]} notices/s (target >= $TARGET/s:" \
             "$(verdict "${R[tp.met]}"))"
        echo "   CPU from the first message to the last copy stored (/proc/stat sampled every"
        echo "   0.05 s; busy: user, system, irq, softirq, the loopback traffic's included;" \
             "iowait apart;"
        echo "   * = at least $SATURATED % busy); beside it, CPU time of the notifier (with its"
        echo "   session processes) or of the plain client, of unbound, and of every process not"
        echo "   of this run (as in section 2: the machine may be shared; short-lived processes"
        echo "   escape that scan: CPU 0 far busier than the notifier's or the client's own share"
        echo "   of the span, which its kernel work adds to, is the sign of them)"
        if [ "$PIN" = 1 ]; then
            echo "   pinned: CPU 0 httpd and its notifier, or the plain client; CPU $RIG_CPU exim" \
                 "and unbound (the"
            echo "   probe client, also there, is done before the first notice is queued)"
        else
            echo "   unpinned: every process on any CPU"
        fi
        for n in "${TP_N[@]}"; do
            for w in tput plain; do
                if [ "$w" = tput ]; then
                    what=notifier
                    line="notifier ${R[tp.$n.notifier_cpu]} s ($(share "${R[tp.$n.notifier_cpu]}" \
                          "${R[tp.$n.span_s]}") % of the span), unbound ${R[tb.tput$n.unbound_s]} s,"
                else
                    what=plain
                    line="client ${R[pc.$n.cpu_s]} s ($(share "${R[pc.$n.cpu_s]}" \
                          "${R[pc.$n.span_s]}") % of the span),"
                fi
                line="${line:+$line }others ${R[tb.$w$n.foreign]} % of a CPU"
                [ "${R[tb.$w$n.foreign]}" -le "$FOREIGN_MAX" ] || line="$line DISTURBED"
                printf '   %2s  %-8s  %s;  %s\n' "$n" "$what" "$(cpu_fmt "$w$n")" "$line"
            done
        done
        if [ -n "${R[tp.redone]}" ]; then
            echo "   run again, disturbed by other processes (run:share of a CPU):" \
                 "${R[tp.redone]}"
        fi
        for n in "${TP_N[@]}"; do
            m=mc.tput$n
            echo "   notifier, N=$n: probes sent in ${R[tp.$n.send_s]} s" \
                 "(${R[cl.tput$n.rps]} req/s); first notice queued ${R[tp.$n.first_queued_s]} s" \
                 "after the first probe, last queued ${R[tp.$n.compose_s]} s later; first stored" \
                 "-> last stored ${R[tp.$n.deliver_s]} s; first probe -> last stored ${R[tp.$n.end_s]} s"
            echo "     delivered: ${R[$m.notices]} notices (${R[$m.copies]} Maildir copies," \
                 "${R[$m.short]} short, ${R[$m.twice]} twice, ${R[$m.missing]} missing;" \
                 "${R[$m.hosts]} distinct hosts named, ${R[$m.hosts_twice]} twice); counters:" \
                 "notices ${R[tput$n.end.notices]}, smtp_sent ${R[tput$n.end.smtp_sent]}," \
                 "smtp_deferred ${R[tput$n.end.smtp_deferred]}, smtp_failed ${R[tput$n.end.smtp_failed]}"
            echo "     exim stored the copies in ${R[$m.bursts]} burst(s) (split where it stored" \
                 "nothing for 0.25 s: at most one per pass of the queue manager, whose sessions" \
                 "run side by side): median burst ${R[$m.burst_s]} s for ${R[$m.burst_copies]}" \
                 "copies ($(awk -v s="${R[$m.burst_s]}" -v n="${R[$m.burst_copies]}" \
                     'BEGIN { if (n > 0) printf "%.1f", s * 2000 / n; else print "n/a" }')" \
                 "ms a notice), median gap ${R[$m.gap_s]} s"
        done
        for n in "${TP_N[@]}"; do
            m=mc.plain$n
            echo "   plain, N=$n: ${R[pc.$n.sent]} of $BULK_N accepted in ${R[pc.$n.seconds]} s" \
                 "(${R[pc.$n.sessions]} sessions in ${R[pc.$n.workers]} processes, dialogue" \
                 "${R[pc.$n.dialogue]});" \
                 "${R[$m.notices]} in the Maildir (${R[$m.copies]} copies, ${R[$m.short]} short," \
                 "${R[$m.twice]} twice, ${R[$m.missing]} missing); last 250 -> last stored" \
                 "$(awk -v a="${R[pc.$n.t_end]}" -v b="${R[$m.last_stored]}" \
                     'BEGIN { printf "%.2f", b - a }') s"
        done
    fi
    if want wrk; then
        echo
        echo "2. The request path while delivery runs (wrk -t$THREADS -c$CONNECTIONS keep-alive," \
             "${DURATION} s runs after ${WARMUP} s warm-up,"
        where="unpinned"
        [ "$PIN" = 1 ] && where="httpd and its notifier on CPU 0, the clients on CPU 1"
        echo "   $ROUNDS interleaved rounds, median req/s; httpd mpm_event; $where;"
        echo "   WormReplyNotifierNice $NOTIFIER_NICE;"
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
            printf '     %-5s CPU 0 (httpd) %4s   CPU 1 (clients, rigs) %4s   the notifier and its delivery processes %4s\n' \
                "$c" "${R[wrk.$c.cpu0]}" "${R[wrk.$c.cpu1]}" "${R[wrk.$c.notifier_cpu]}"
        done
        echo "   httpd's CPU time per request (CPU 0's busy share less the notifier's,"
        echo "   over req/s; wrk shares CPU 1 with exim, so req/s also falls when exim"
        echo "   is busy): off ${R[wrk.off.us]} us, idle ${R[wrk.idle.us]} us, busy" \
             "${R[wrk.busy.us]} us; off / busy = ${R[wrk.us_ratio]}"
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
    echo "command: PIN=$PIN DURATION=$DURATION ROUNDS=$ROUNDS STREAM=$STREAM LEAD=$LEAD" \
         "$(want tput && echo "TPUT_SESSIONS=\"${TP_N[*]}\" ")${ONLY:+ONLY=\"$ONLY\" }$([ "$UNIT" = 1 ] && echo "UNIT=1 ")$CMD ($(( $(date +%s) - T_START )) s)"
    if want tput; then
        line="notifier -> local exim (STARTTLS + AUTH, arf, $BULK_N notices from $BULK_N"
        line="$line confirmed hosts, first queued -> last stored), WormReplySMTPSessions"
        sep=" "
        for n in "${TP_N[@]}"; do
            line="$line$sep$n: ${R[tp.$n.rate]}/s"
            [ "$n" = "$TP_BASE" ] || line="$line (${R[tp.$n.vs_base]}x $TP_BASE)"
            sep=", "
        done
        echo "$line; target >= $TARGET with $TP_MAIN: $(verdict "${R[tp.met]}"); every" \
             "notice delivered exactly once: $(ok "${R[tp.exact]}")"
        line="the same exim's own ceiling (lib/smtp-client.pl: $BULK_N copies of a notice,"
        line="$line same sessions, same timing to the last copy stored):"
        sep=" "
        for n in "${TP_N[@]}"; do
            line="$line$sep$n: ${R[pc.$n.rate]}/s"
            [ "$n" = "$TP_BASE" ] || line="$line (${R[pc.$n.vs_base]}x $TP_BASE)"
            sep=", "
        done
        line="$line; notifier / plain client:"
        sep=" "
        for n in "${TP_N[@]}"; do
            line="$line$sep$n: ${R[tp.$n.vs_plain]}"
            sep=", "
        done
        line="$line; from the first copy stored to the last (the notifier's composing"
        line="$line left out), notifier / plain:"
        sep=" "
        for n in "${TP_N[@]}"; do
            line="$line$sep$n: ${R[tp.$n.deliver_rate]}/${R[pc.$n.deliver_rate]}/s"
            line="$line = ${R[tp.$n.vs_plain_stored]}"
            sep=", "
        done
        echo "$line; each plain message stored exactly once: $(ok "${R[pc.exact]}")"
        line="CPU from the first message to the last copy stored ($([ "$PIN" = 1 ] \
              && echo "pinned: notifier or plain client on CPU 0, exim and unbound on CPU $RIG_CPU" \
              || echo unpinned); * = >= $SATURATED % busy):"
        sep=" "
        fmax=0
        for n in "${TP_N[@]}"; do
            line="$line${sep}notifier $n: $(cpu_fmt "tput$n"); plain $n: $(cpu_fmt "plain$n")"
            sep="; "
            for w in tput plain; do
                [ "${R[tb.$w$n.foreign]}" -gt "$fmax" ] && fmax=${R[tb.$w$n.foreign]}
            done
        done
        dnote="quiet"
        [ "$fmax" -le "$FOREIGN_MAX" ] || dnote="DISTURBED: the machine was not quiet, rerun"
        echo "$line; other processes at most $fmax % of a CPU during the runs kept" \
             "($dnote)${R[tp.redone]:+; run again after a disturbance: ${R[tp.redone]}}"
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
             "WormReplyNotifierNice $NOTIFIER_NICE, medians of $ROUNDS): notices off $(fmt_int "${R[wrk.off]}"), notices on and" \
             "delivering $(fmt_int "${R[wrk.busy]}") = ${R[wrk.ratio]}x" \
             "($(pct "${R[wrk.busy]}" "${R[wrk.off]}") %; ${R[wrk.busy.sent_rate]} notices/s" \
             "sent meanwhile; the notifier and its delivery processes used ${R[wrk.busy.notifier_cpu]} % of a CPU);" \
             "notices on, notifier idle $(fmt_int "${R[wrk.idle]}")" \
             "($(ratio "${R[wrk.idle]}" "${R[wrk.off]}")x)$dnote; httpd's CPU per request" \
             "off ${R[wrk.off.us]} us, busy ${R[wrk.busy.us]} us (off / busy" \
             "${R[wrk.us_ratio]})"
    fi
    return 0
}

report | tee "$RUNDIR/summary.txt"
log "summary kept in $RUNDIR/summary.txt; raw outputs in $RUNDIR/out"
if [ "$STRICT" = 1 ] && grep -qE 'MISSED|FAILED' "$RUNDIR/summary.txt"; then
    exit 3
fi
exit 0
