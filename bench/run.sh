#!/usr/bin/env bash
# run.sh - mod_wormreply's benchmark: one command, one run, ratios against
# baselines measured in the same run.
#
#   bash bench/run.sh            (as root, after bench/install-deps.sh)
#
# 1. ir     instructions per request (valgrind cachegrind, httpd -X,
#           N sequential keep-alive requests from ab, minus a zero-request
#           run of the same config; median of REPS runs), with mpm_prefork:
#           A static 1 KiB, no module      B static 1 KiB, WormReply On
#           C Code Red probe, core 404     D Code Red probe, module's answer
#           and the same with mpm_event:   E, F (static), G, H (Code Red)
#           and one Nimda scan request (a double-encoded one), prefork:
#           I core 404                     J the module's answer
#           and httpd's floor for any answer from a quick handler
#           (bench/lib/mod_floor404.c: the same 404, nothing else):
#           K Code Red, prefork  L Code Red, event  M Nimda scan, prefork
#           and static 1 KiB with WormReply On and WormReplyNotify On:
#           N prefork                      O event
#           Targets: B <= A + 0.5 %, F <= E + 0.5 %, N <= A + 0.5 %,
#           O <= E + 0.5 %, D <= 0.75 C, H <= 0.75 G, J <= 0.75 I
# 2. wrk    throughput (httpd + php-fpm pinned to CPU 0, wrk to CPU 1,
#           ROUNDS interleaved rounds of every case, medians)
# 3. match  tools/wormreply match -q over the real 88,253-line access log,
#           median of MATCH_RUNS, against "cat FILE > /dev/null"; and over
#           its ordinary lines only (those it does not flag, 79,493), in
#           instructions per line under cachegrind against the CLI of
#           MATCH_BASE (git revision, built in $RUNDIR/base; e1c6ae2 is
#           the matcher before issue 12), and in wall-clock time over ten
#           copies of them. Target: >= 3x MATCH_BASE's lines per
#           instruction
#
# Everything runs on 127.0.0.1, ports 18096-18099, files under $RUNDIR.
# The private-httpd/php-fpm/wrk method comes from
# ../shared/bench/run-anchors.sh (the project's anchor figures).
#
# Environment (defaults in brackets):
#   ONLY="ir wrk match"  sections or case names to run [all]; case names:
#                        A B C D E F G H I J K L M N O, static_plain
#                        static_mod
#                        cr_core cr_mod
#                        nimda_core nimda_mod cr_hist nimda_hist
#   N=5000 REPS=3        requests per valgrind run, runs per figure
#   DURATION=5 WARMUP=1 ROUNDS=3 THREADS=1 CONNECTIONS=50
#                        wrk: seconds measured / warm-up per run, rounds
#   FPM_CHILDREN=10      php-fpm static pool of the historic case
#   MATCH_RUNS=5         timed runs of the matcher (and of cat)
#   MATCH_BASE=e1c6ae2   the baseline CLI's git revision ("": none)
#   PIN=1                taskset pinning (needs 2 CPUs; 0 turns it off)
#   BUILD=1              make -f apxs.mk module cli first (0: use as built)
#   STRICT=0             1: exit 3 when an instruction target is missed
#   RUNDIR=/tmp/wormreply-bench-run
set -euo pipefail

cd "$(dirname "$0")/.."
TOP=$(pwd)
RUNDIR=${RUNDIR:-/tmp/wormreply-bench-run}
. "$TOP/bench/lib/common.sh"
. "$TOP/bench/lib/confs.sh"
. "$TOP/bench/lib/notices-lib.sh"   # stop_strays (the N, O notifiers)

ONLY=${ONLY:-}
N=${N:-5000}
REPS=${REPS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-50}
FPM_CHILDREN=${FPM_CHILDREN:-10}
MATCH_RUNS=${MATCH_RUNS:-5}
MATCH_BASE=${MATCH_BASE-e1c6ae2}
PIN=${PIN:-1}
BUILD=${BUILD:-1}
STRICT=${STRICT:-0}

# 18083-18095 are the Apache::Test suite's (t/conf/extra.conf)
PORT_IR=18096
PORT_PLAIN=18097
PORT_MODULE=18098
PORT_HISTORIC=18099

SO="$TOP/mod_wormreply/.libs/mod_wormreply.so"
CLI="$TOP/tools/wormreply"
LOGGZ="$TOP/t/data/access-sample.log.gz"
MAILLOG="$RUNDIR/php/mail.log"
HTTPD=/usr/sbin/apache2
MODDIR=/usr/lib/apache2/modules
CMD="bash bench/run.sh"

# ---------------------------------------------------------------- options
case "$RUNDIR" in
/tmp/wormreply-bench*) ;;
*) die "RUNDIR must be under /tmp/wormreply-bench* (got $RUNDIR)";;
esac
case "$RUNDIR" in *[!A-Za-z0-9/._-]*) die "RUNDIR: plain characters only";; esac

# bounded VAR MIN MAX - VAR must be an integer in [MIN, MAX]
bounded() {
    local v=${!1}
    case "$v" in ''|*[!0-9]*) die "$1=$v is not a whole number";; esac
    [ "$v" -ge "$2" ] && [ "$v" -le "$3" ] || die "$1=$v: allowed $2..$3"
}
bounded N 1 200000
bounded REPS 1 15
bounded DURATION 1 300
bounded WARMUP 0 60
bounded ROUNDS 1 15
bounded THREADS 1 16
bounded CONNECTIONS 1 1000
bounded FPM_CHILDREN 1 64
bounded MATCH_RUNS 1 25

IR_CASES="A B C D E F G H I J K L M N O"
WRK_CASES="static_plain static_mod cr_core cr_mod nimda_core nimda_mod
           cr_hist nimda_hist"
for w in $ONLY; do
    case " ir wrk match $IR_CASES $(echo $WRK_CASES) " in
    *" $w "*) ;;
    *) die "ONLY: unknown section or case '$w'";;
    esac
done

# want_case SECTION CASE - run CASE of SECTION?
want_case() {
    local sec=$1 c=$2
    [ -z "$ONLY" ] && return 0
    case " $ONLY " in *" $sec "*|*" $c "*) return 0;; esac
    return 1
}

# want_section SECTION CASES... - run any of it?
want_section() {
    local sec=$1 c
    shift
    for c in "$@"; do want_case "$sec" "$c" && return 0; done
    return 1
}

DO_IR=0; DO_WRK=0; DO_MATCH=0; DO_HIST=0
want_section ir $IR_CASES && DO_IR=1
want_section wrk $WRK_CASES && DO_WRK=1
want_section match match && DO_MATCH=1
{ want_case wrk cr_hist || want_case wrk nimda_hist; } && DO_HIST=1

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || die "run as root (httpd switches to User www-data)"
id www-data >/dev/null 2>&1 || die "user www-data missing (Debian package apache2)"
[ -x "$HTTPD" ] || die "$HTTPD not found (Debian package apache2): run bench/install-deps.sh"
need ss iproute2
need curl curl
for m in mpm_prefork mpm_event authz_core mime dir; do
    [ -f "$MODDIR/mod_$m.so" ] || die "$MODDIR/mod_$m.so missing (apache2)"
done
if [ "$DO_IR" = 1 ]; then
    need valgrind valgrind
    need cg_annotate valgrind
    need ab apache2-utils
fi
if [ "$DO_WRK" = 1 ]; then
    need wrk wrk
    need taskset util-linux
fi
FPM=""
if [ "$DO_HIST" = 1 ]; then
    FPM=$(command -v php-fpm8.2 || command -v php-fpm || true)
    [ -n "$FPM" ] || die "php-fpm not found (Debian package php8.2-fpm): run bench/install-deps.sh"
    for m in rewrite proxy proxy_fcgi; do
        [ -f "$MODDIR/mod_$m.so" ] || die "$MODDIR/mod_$m.so missing (apache2)"
    done
    # The script reverse-resolves 127.0.0.1: /etc/hosts must answer it so
    # that no DNS packet leaves the machine.
    grep -Eq '^[[:space:]]*127\.0\.0\.1[[:space:]]' /etc/hosts \
        || die "/etc/hosts has no 127.0.0.1 line (the historic case would query DNS)"
    grep -Eq '^hosts:[[:space:]]*files' /etc/nsswitch.conf \
        || die "/etc/nsswitch.conf does not look up hosts in files first"
fi
if [ "$DO_MATCH" = 1 ]; then
    [ -f "$LOGGZ" ] || die "$LOGGZ missing (a plain clone has it)"
    need zcat gzip
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
stop_all() {
    local pf
    stop_pid "$(cat "$RUNDIR/run/valgrind.pid" 2>/dev/null || true)" 60
    rm -f "$RUNDIR/run/valgrind.pid"
    for pf in "$RUNDIR"/run/*/httpd.pid; do
        if [ -f "$pf" ]; then stop_pidfile "$pf"; fi
    done
    stop_pidfile "$RUNDIR/php/php-fpm.pid"
    # a notifier (N, O) whose httpd -X was killed before it could stop it
    stop_strays
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all
    [ "$rc" = 0 ] || log "failed (exit $rc); logs in $RUNDIR/logs and $RUNDIR/out"
    exit "$rc"
}

# one run at a time per RUNDIR: a second one would stop the first's servers
need flock util-linux
exec 9>"$RUNDIR.lock"
flock -n 9 || die "another bench run is using $RUNDIR"

# leftovers of an interrupted run, then the ports must be free
stop_all
for p in $PORT_IR $PORT_PLAIN $PORT_MODULE $PORT_HISTORIC; do
    port_free "$p"
done
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build, files
umask 022
rm -rf "$RUNDIR"
mkdir -p "$RUNDIR"/{conf,run,logs,out,ir,wrk,htdocs,htdocs-historic,php,match,notices}
chmod 755 "$RUNDIR" "$RUNDIR/notices"
chown www-data:www-data "$RUNDIR/logs" "$RUNDIR/ir"

if [ "$BUILD" = 1 ]; then
    log "building: make -f apxs.mk module cli"
    make -f apxs.mk module cli >"$RUNDIR/out/build.txt" 2>&1 \
        || { tail -20 "$RUNDIR/out/build.txt" >&2
             die "build failed (build packages: scripts/install-deps.sh)"; }
fi
[ -f "$SO" ] || die "$SO missing: build with make -f apxs.mk"
[ -x "$CLI" ] || die "$CLI missing: build with make -f apxs.mk"

# static page, exactly 1024 bytes
{
    printf '<!DOCTYPE html>\n<html><head><title>static</title></head><body>\n<p>'
    head -c 938 /dev/zero | tr '\0' 'x'
    printf '</p>\n</body></html>\n'
} >"$RUNDIR/htdocs/static.html"
[ "$(stat -c %s "$RUNDIR/htdocs/static.html")" = 1024 ] \
    || die "static.html is not 1024 bytes"
cp "$RUNDIR/htdocs/static.html" "$RUNDIR/htdocs-historic/static.html"
cp "$TOP/bench/lib/historic.php" "$RUNDIR/htdocs-historic/historic.php"
chmod -R a+rX "$RUNDIR/htdocs" "$RUNDIR/htdocs-historic"

CODERED=$(codered_path)
echo /static.html >"$RUNDIR/wrk/static.txt"
echo "$CODERED" >"$RUNDIR/wrk/codered.txt"
# the Nimda scan's request for the ir cases: a double-encoded one, which
# the matcher has to decode
NIMDA_IR=$(sed -n 5p "$TOP/bench/lib/nimda-scan.txt")
case "$NIMDA_IR" in *%255c*) ;; *) die "bench/lib/nimda-scan.txt: line 5 is not the %255c request";; esac
cp "$TOP/bench/lib/nimda-scan.txt" "$RUNDIR/wrk/nimda.txt"

HTTPD_VERSION=$("$HTTPD" -v | sed -n 's/^Server version: //p')
declare -A R
T_START=$(date +%s)

# ================================================================ 1. ir
# ir_run CONF NREQ PATH TAG - one httpd -X under cachegrind; prints its Ir
ir_run() {
    local conf=$1 n=$2 path=$3 tag=$4 pid ir
    local cg="$RUNDIR/ir/cg.$tag"

    port_free "$PORT_IR"
    # a notices config (N, O): a fresh spool; its notifier is forked by
    # httpd and runs under valgrind too, into a file of its own (%p)
    rm -rf "$RUNDIR/notices/$conf" "$cg" "$cg".*

    valgrind --tool=cachegrind --cache-sim=no --vgdb=no \
        --cachegrind-out-file="$cg.%p" \
        "$HTTPD" -X -d "$RUNDIR" -f "$RUNDIR/conf/$conf.conf" \
        >"$RUNDIR/out/vg-$tag.txt" 2>&1 &
    pid=$!
    echo "$pid" >"$RUNDIR/run/valgrind.pid"
    wait_port "$PORT_IR" 60 "$pid" \
        || die "httpd -X under valgrind did not listen ($RUNDIR/out/vg-$tag.txt)"
    # httpd listens before it has finished starting: wait until it idles
    # in accept, before the requests and before the SIGTERM, so that every
    # run stops at the same point and the zero-request run subtracts
    # exactly the start-up and the shut-down
    wait_idle "$pid" 60 || die "httpd -X under valgrind never went idle"
    if [ "$n" -gt 0 ]; then
        timeout 600 ab -k -n "$n" -c 1 "http://127.0.0.1:$PORT_IR$path" \
            >"$RUNDIR/out/ab-$tag.txt" 2>&1 \
            || die "ab failed ($RUNDIR/out/ab-$tag.txt)"
        wait_idle "$pid" 60 || die "httpd -X under valgrind never went idle"
    fi
    stop_pid "$pid" 60
    wait "$pid" 2>/dev/null || true
    rm -f "$RUNDIR/run/valgrind.pid"
    wait_port_free "$PORT_IR" 10 || die "port $PORT_IR still busy"
    # httpd's own figures (valgrind's pid is httpd's: it runs in place)
    mv -f "$cg.$pid" "$cg" 2>/dev/null || true
    rm -f "$cg".*
    ir=$(awk '/^summary:/ { print $2 }' "$cg" 2>/dev/null)
    [ -n "$ir" ] || die "no Ir summary in $cg ($RUNDIR/out/vg-$tag.txt)"
    echo "$ir"
}

# ab_field TAG LABEL - a number from ab's report ("Complete requests:")
ab_field() {
    awk -F: -v l="$2" '$1 == l { gsub(/[^0-9]/, "", $2); print $2 + 0 }' \
        "$RUNDIR/out/ab-$1.txt"
}

# ir_check TAG KIND - the run did what it should: N requests on one
# keep-alive connection, all 200 (static) or all non-2xx (probe)
ir_check() {
    local tag=$1 kind=$2 ndone fail ka non2xx
    ndone=$(ab_field "$tag" "Complete requests")
    fail=$(ab_field "$tag" "Failed requests")
    ka=$(ab_field "$tag" "Keep-Alive requests")
    non2xx=$(ab_field "$tag" "Non-2xx responses")
    non2xx=${non2xx:-0}
    [ "$ndone" = "$N" ] && [ "$fail" = 0 ] && [ "$ka" = "$N" ] \
        || die "$tag: ab: complete=$ndone failed=$fail keep-alive=$ka (want $N/0/$N)"
    if [ "$kind" = static ]; then
        [ "$non2xx" = 0 ] || die "$tag: $non2xx non-2xx answers to /static.html"
    else
        [ "$non2xx" = "$N" ] || die "$tag: $non2xx of $N probes got a non-2xx answer"
    fi
}

# ir_functions TAG - "Ir<TAB>file:function" of one run, sorted by name
ir_functions() {
    cg_annotate --auto=no --threshold=0.001 "$RUNDIR/ir/cg.$1" \
        | sed -n '/file:function/,$p' \
        | sed -nE 's/^ *([0-9,]+) \( *[0-9.]+%\)  (.*)$/\1\t\2/p' | tr -d , \
        | sort -t"$(printf '\t')" -k2,2
}

# ir_per TAG ZERO - "file:function<TAB>Ir per request" of run TAG minus
# its zero-request run ZERO, sorted by name
ir_per() {
    local t
    t=$(printf '\t')
    join -t"$t" -1 2 -2 2 -a1 -a2 -e0 -o 0,1.1,2.1 \
        <(ir_functions "$1") <(ir_functions "$2") \
        | awk -F"$t" -v n="$N" '{ printf "%s\t%.1f\n", $1, ($2 - $3) / n }' \
        | sort -t"$t" -k1,1
}

# ir_diff BASE BASE_ZERO OTHER OTHER_ZERO - the functions whose Ir per
# request differ most between two cases (each minus its zero run)
ir_diff() {
    local t
    t=$(printf '\t')
    for f in "$@"; do [ -f "$RUNDIR/ir/cg.$f" ] || return 1; done
    join -t"$t" -a1 -a2 -e0 -o 0,1.2,2.2 <(ir_per "$1" "$2") <(ir_per "$3" "$4") \
        | awk -F"$t" '{ d = $3 - $2
              if (d >= 5 || d <= -5) printf "%+8.0f  %s\n", d, $1 }' \
        | sort -rn | head -12 | sed "s|$TOP/||"
}

# ir_conf CASE - the configuration of an ir case
ir_conf() {
    case $1 in
    A|C|I) echo ir-plain;;
    B|D|J) echo ir-module;;
    E|G) echo ir-plain-ev;;
    F|H) echo ir-module-ev;;
    K|M) echo ir-floor;;
    L) echo ir-floor-ev;;
    N) echo ir-module-notify;;
    O) echo ir-module-notify-ev;;
    esac
}

# ir_confs - the configurations the wanted ir cases use
ir_confs() {
    local c
    for c in $IR_CASES; do
        if want_case ir "$c"; then ir_conf "$c"; fi
    done | sort -u
}

# build_floor - bench/lib/mod_floor404.c, built by apxs into $RUNDIR/floor
build_floor() {
    mkdir -p "$RUNDIR/floor"
    cp "$TOP/bench/lib/mod_floor404.c" "$RUNDIR/floor/"
    (cd "$RUNDIR/floor" && apxs -c mod_floor404.c) \
        >"$RUNDIR/out/build-floor.txt" 2>&1 \
        || { tail -20 "$RUNDIR/out/build-floor.txt" >&2
             die "apxs could not build bench/lib/mod_floor404.c"; }
    FLOOR_SO="$RUNDIR/floor/.libs/mod_floor404.so"
}

if [ "$DO_IR" = 1 ]; then
    write_httpd_conf ir-plain prefork "$PORT_IR" plain
    write_httpd_conf ir-module prefork "$PORT_IR" module
    write_httpd_conf ir-plain-ev event "$PORT_IR" plain
    write_httpd_conf ir-module-ev event "$PORT_IR" module
    if want_section ir K L M; then
        build_floor
        write_httpd_conf ir-floor prefork "$PORT_IR" floor
        write_httpd_conf ir-floor-ev event "$PORT_IR" floor
    fi
    # N, O: notices on (no probe comes, so the resolver is never asked)
    if want_section ir N O; then
        WR_RESOLVER=127.0.0.1:15353 WR_CACHE="" WR_SPOOL_MAX=10000 \
            write_httpd_conf ir-module-notify prefork "$PORT_IR" module-notify
        WR_RESOLVER=127.0.0.1:15353 WR_CACHE="" WR_SPOOL_MAX=10000 \
            write_httpd_conf ir-module-notify-ev event "$PORT_IR" module-notify
    fi
    IR_CONFS=$(ir_confs)
    log "ir: cachegrind on httpd -X (prefork, event), $N keep-alive requests per run, $REPS reps"
    declare -A IR_RAW Z_RAW
    for rep in $(seq 1 "$REPS"); do
        for conf in $IR_CONFS; do
            Z_RAW[$conf.$rep]=$(ir_run "$conf" 0 / "zero-$conf-$rep")
        done
        for c in $IR_CASES; do
            want_case ir "$c" || continue
            conf=$(ir_conf "$c")
            case $c in
            A|B|E|F|N|O) path=/static.html; kind=static;;
            I|J|M)   path=$NIMDA_IR;    kind=probe;;
            *)       path=$CODERED;     kind=probe;;
            esac
            IR_RAW[$c.$rep]=$(ir_run "$conf" "$N" "$path" "$c-$rep")
            ir_check "$c-$rep" "$kind"
            R[ir.$c.doclen]=$(ab_field "$c-$rep" "Document Length")
            log "ir: $c rep $rep: Ir total ${IR_RAW[$c.$rep]}"
        done
    done
    for conf in $IR_CONFS; do
        z=()
        for rep in $(seq 1 "$REPS"); do z+=("${Z_RAW[$conf.$rep]}"); done
        R[ir.zero.$conf]=$(median "${z[@]}")
    done
    for c in $IR_CASES; do
        want_case ir "$c" || continue
        conf=$(ir_conf "$c")
        per=()
        for rep in $(seq 1 "$REPS"); do
            per+=("$(awk -v t="${IR_RAW[$c.$rep]}" -v z="${Z_RAW[$conf.$rep]}" \
                      -v n="$N" 'BEGIN { printf "%.1f", (t - z) / n }')")
        done
        R[ir.$c]=$(median "${per[@]}")
        R[ir.$c.range]=$(minmax "${per[@]}")
    done
    ir_diff A-1 zero-ir-plain-1 B-1 zero-ir-module-1 \
        >"$RUNDIR/out/ir-B-minus-A.txt" 2>/dev/null || true
    ir_diff E-1 zero-ir-plain-ev-1 F-1 zero-ir-module-ev-1 \
        >"$RUNDIR/out/ir-F-minus-E.txt" 2>/dev/null || true
    ir_diff A-1 zero-ir-plain-1 N-1 zero-ir-module-notify-1 \
        >"$RUNDIR/out/ir-N-minus-A.txt" 2>/dev/null || true
    ir_diff E-1 zero-ir-plain-ev-1 O-1 zero-ir-module-notify-ev-1 \
        >"$RUNDIR/out/ir-O-minus-E.txt" 2>/dev/null || true
    ir_diff C-1 zero-ir-plain-1 D-1 zero-ir-module-1 \
        >"$RUNDIR/out/ir-D-minus-C.txt" 2>/dev/null || true
    ir_diff I-1 zero-ir-plain-1 J-1 zero-ir-module-1 \
        >"$RUNDIR/out/ir-J-minus-I.txt" 2>/dev/null || true
    for pair in C:D G:H I:J; do
        c=${pair%:*}; d=${pair#*:}
        if [ -n "${R[ir.$c.doclen]:-}" ] && [ -n "${R[ir.$d.doclen]:-}" ] \
           && [ "${R[ir.$c.doclen]}" = "${R[ir.$d.doclen]}" ]; then
            die "ir: $c and $d got the same ${R[ir.$c.doclen]}-byte body: the module did not answer $d"
        fi
    done
fi

# ================================================================ 2. wrk
# start_httpd NAME PORT - a private httpd (event MPM) pinned like the server
start_httpd() {
    local name=$1 port=$2 pf="$RUNDIR/run/$1/httpd.pid" i
    port_free "$port"
    "${CPU_SRV[@]}" "$HTTPD" -d "$RUNDIR" -f "$RUNDIR/conf/$name.conf" -k start \
        >"$RUNDIR/out/start-$name.txt" 2>&1 \
        || { cat "$RUNDIR/out/start-$name.txt" >&2; die "httpd $name did not start"; }
    for i in $(seq 1 100); do
        [ -s "$pf" ] && break
        sleep 0.1
    done
    wait_port "$port" 10 "$(cat "$pf" 2>/dev/null)" \
        || die "httpd $name did not listen on $port ($RUNDIR/logs/error-$name.log)"
}

mails() {
    grep -c '^X-Bench-Notice:' "$MAILLOG" 2>/dev/null || true
}

# settle - wait (at most 10 s) until the mail count stops moving: probes
# still queued in php-fpm when wrk stopped are finished
settle() {
    local prev cur i
    prev=$(mails)
    for i in $(seq 1 40); do
        sleep 0.25
        cur=$(mails)
        [ "$cur" = "$prev" ] && break
        prev=$cur
    done
    echo "${cur:-$prev}"
}

# get PORT PATH OUTFILE - status code of one request, body to OUTFILE
get() {
    curl -s --max-time 10 --path-as-is -o "$3" -w '%{http_code}' \
        "http://127.0.0.1:$1$2"
}

# statuses PORT - "code:count ..." for one pass of the Nimda scan
statuses() {
    local p
    while IFS= read -r p; do
        get "$1" "$p" /dev/null
        echo
    done <"$RUNDIR/wrk/nimda.txt" | sort | uniq -c \
        | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }'
}

# smoke - each server answers as its case expects
smoke() {
    local s b1=$RUNDIR/out/body-core404 b2=$RUNDIR/out/body-module404
    s=$(get $PORT_PLAIN /static.html /dev/null)
    [ "$s" = 200 ] || die "plain: /static.html -> $s"
    s=$(get $PORT_MODULE /static.html /dev/null)
    [ "$s" = 200 ] || die "module: /static.html -> $s"
    s=$(get $PORT_PLAIN "$CODERED" "$b1")
    [ "$s" = 404 ] || die "plain: Code Red probe -> $s"
    s=$(get $PORT_MODULE "$CODERED" "$b2")
    [ "$s" = 404 ] || die "module: Code Red probe -> $s"
    cmp -s "$b1" "$b2" && die "module: the Code Red probe got the core's 404 body"
    R[wrk.body.core]=$(stat -c %s "$b1")
    R[wrk.body.module]=$(stat -c %s "$b2")
    R[wrk.nimda.plain]=$(statuses $PORT_PLAIN)
    R[wrk.nimda.module]=$(statuses $PORT_MODULE)
    if [ "$DO_HIST" = 1 ]; then
        local m0 m1
        m0=$(settle)
        s=$(get $PORT_HISTORIC "$CODERED" /dev/null)
        [ "$s" = 404 ] || die "historic: Code Red probe -> $s"
        R[wrk.nimda.historic]=$(statuses $PORT_HISTORIC)
        m1=$(settle)
        [ "$m1" -gt "$m0" ] \
            || die "historic: the probe produced no mail in $MAILLOG ($RUNDIR/logs)"
    fi
    log "wrk: Nimda scan answers (curl, one pass): plain ${R[wrk.nimda.plain]};" \
        "module ${R[wrk.nimda.module]}; historic ${R[wrk.nimda.historic]:-not run}"
}

# wrk_case CASE ROUND - one warm-up and one measured wrk run
wrk_case() {
    local c=$1 round=$2 port paths line kv m0=0 m1=0 out
    case $c in
    static_plain) port=$PORT_PLAIN;    paths=static.txt;;
    static_mod)   port=$PORT_MODULE;   paths=static.txt;;
    cr_core)      port=$PORT_PLAIN;    paths=codered.txt;;
    cr_mod)       port=$PORT_MODULE;   paths=codered.txt;;
    nimda_core)   port=$PORT_PLAIN;    paths=nimda.txt;;
    nimda_mod)    port=$PORT_MODULE;   paths=nimda.txt;;
    cr_hist)      port=$PORT_HISTORIC; paths=codered.txt;;
    nimda_hist)   port=$PORT_HISTORIC; paths=nimda.txt;;
    esac
    out="$RUNDIR/out/wrk-$c-$round.txt"
    if [ "$WARMUP" -gt 0 ]; then
        WRK_PATHS="$RUNDIR/wrk/$paths" timeout $((WARMUP + 30)) \
            "${CPU_CLI[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" \
            --timeout 5s -s "$TOP/bench/lib/report.lua" \
            "http://127.0.0.1:$port/" >/dev/null 2>&1 || true
    fi
    case $c in *_hist) m0=$(settle);; esac
    WRK_PATHS="$RUNDIR/wrk/$paths" timeout $((DURATION + 30)) \
        "${CPU_CLI[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" \
        --timeout 5s -s "$TOP/bench/lib/report.lua" \
        "http://127.0.0.1:$port/" >"$out" 2>&1 \
        || die "wrk failed for $c: $(tail -3 "$out")"
    case $c in *_hist) m1=$(settle);; esac
    line=$(grep '^WRKRESULT ' "$out" | tail -1)
    [ -n "$line" ] || die "no WRKRESULT line in $out"
    for kv in ${line#WRKRESULT }; do
        R[wrk.$c.$round.${kv%%=*}]=${kv#*=}
    done
    R[wrk.$c.$round.mails]=$((m1 - m0))
    log "wrk: round $round $c: ${R[wrk.$c.$round.rps]} req/s" \
        "(non-2xx/3xx ${R[wrk.$c.$round.non2xx3xx]}," \
        "errors $(( ${R[wrk.$c.$round.err_connect]} + ${R[wrk.$c.$round.err_read]}
                    + ${R[wrk.$c.$round.err_write]} + ${R[wrk.$c.$round.err_timeout]} )))"
    case $c in
    static_*) [ "${R[wrk.$c.$round.non2xx3xx]}" = 0 ] \
                  || die "$c: non-2xx answers to /static.html";;
    esac
}

if [ "$DO_WRK" = 1 ]; then
    write_httpd_conf plain event "$PORT_PLAIN" plain
    write_httpd_conf module event "$PORT_MODULE" module
    if [ "$DO_HIST" = 1 ]; then
        write_httpd_conf historic event "$PORT_HISTORIC" historic
        write_fpm_conf "$FPM_CHILDREN"
        : >"$MAILLOG"
        chown www-data:www-data "$MAILLOG"
        PHP_INI_SCAN_DIR="$RUNDIR/php/conf.d" "${CPU_SRV[@]}" "$FPM" \
            -c "$RUNDIR/php/php.ini" -y "$RUNDIR/php/php-fpm.conf" \
            >"$RUNDIR/out/start-php-fpm.txt" 2>&1 \
            || { cat "$RUNDIR/out/start-php-fpm.txt" >&2; die "php-fpm did not start"; }
        for i in $(seq 1 100); do
            [ -S "$RUNDIR/php/php-fpm.sock" ] && break
            sleep 0.1
        done
        [ -S "$RUNDIR/php/php-fpm.sock" ] || die "php-fpm made no socket"
        start_httpd historic $PORT_HISTORIC
    fi
    start_httpd plain $PORT_PLAIN
    start_httpd module $PORT_MODULE
    smoke
    cases=()
    for c in $WRK_CASES; do want_case wrk "$c" && cases+=("$c"); done
    log "wrk: ${#cases[@]} cases x $ROUNDS rounds x (${WARMUP}+${DURATION} s)," \
        "-t$THREADS -c$CONNECTIONS, pin=$PIN"
    for round in $(seq 1 "$ROUNDS"); do
        # rotate the order each round so that no case always runs first
        k=$(( (round - 1) % ${#cases[@]} ))
        for i in $(seq 0 $(( ${#cases[@]} - 1 ))); do
            wrk_case "${cases[$(( (i + k) % ${#cases[@]} ))]}" "$round"
        done
    done
    for c in "${cases[@]}"; do
        v=(); m=(); q=()
        for round in $(seq 1 "$ROUNDS"); do
            v+=("${R[wrk.$c.$round.rps]}")
            m+=("${R[wrk.$c.$round.mails]}")
            q+=("${R[wrk.$c.$round.requests]}")
        done
        R[wrk.$c]=$(median "${v[@]}")
        R[wrk.$c.range]=$(minmax "${v[@]}")
        R[wrk.$c.mails]=$(printf '%s\n' "${m[@]}" | awk '{ s += $1 } END { print s }')
        R[wrk.$c.requests]=$(printf '%s\n' "${q[@]}" | awk '{ s += $1 } END { print s }')
        e=0
        for round in $(seq 1 "$ROUNDS"); do
            e=$(( e + ${R[wrk.$c.$round.err_connect]} + ${R[wrk.$c.$round.err_read]}
                  + ${R[wrk.$c.$round.err_write]} + ${R[wrk.$c.$round.err_timeout]} ))
        done
        R[wrk.$c.errors]=$e
    done
    for pf in "$RUNDIR"/run/{plain,module,historic}/httpd.pid; do
        if [ -f "$pf" ]; then stop_pidfile "$pf"; fi
    done
    stop_pidfile "$RUNDIR/php/php-fpm.pid"
fi

# ================================================================ 3. match
if [ "$DO_MATCH" = 1 ]; then
    LOG="$RUNDIR/match/access.log"
    zcat "$LOGGZ" >"$LOG"
    R[match.lines]=$(wc -l <"$LOG")
    R[match.bytes]=$(stat -c %s "$LOG")
    # one untimed run: every line classified, families counted
    "$CLI" match -q "$LOG" >"$RUNDIR/match/classified.txt" \
        || die "wormreply match failed"
    got=$(wc -l <"$RUNDIR/match/classified.txt")
    [ "$got" = "${R[match.lines]}" ] \
        || die "wormreply match printed $got lines for ${R[match.lines]}"
    R[match.families]=$(cut -f1 "$RUNDIR/match/classified.txt" | sort | uniq -c \
        | sort -rn | awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1 }')
    cat "$LOG" >/dev/null
    t_cat=(); t_match=()
    for i in $(seq 1 "$MATCH_RUNS"); do
        t0=$(now_ns)
        "${CPU_CLI[@]}" cat "$LOG" >/dev/null
        t1=$(now_ns)
        timeout 120 "${CPU_CLI[@]}" "$CLI" match -q "$LOG" >/dev/null \
            || die "wormreply match failed or took over 120 s"
        t2=$(now_ns)
        t_cat+=($((t1 - t0)))
        t_match+=($((t2 - t1)))
    done
    R[match.ns]=$(median "${t_match[@]}")
    R[match.cat_ns]=$(median "${t_cat[@]}")
    log "match: wall ns per run: wormreply ${t_match[*]}; cat ${t_cat[*]}"

    # The ordinary lines alone (what a real log mostly is), against the
    # CLI of MATCH_BASE built from this repository's history
    ORD="$RUNDIR/match/ordinary.log"
    awk -F'\t' '$1 == "-"' "$RUNDIR/match/classified.txt" | cut -f2- >"$ORD"
    for i in 1 2 3 4 5 6 7 8 9 10; do cat "$ORD"; done >"$ORD.x10"
    R[match.ord_lines]=$(wc -l <"$ORD")
    BASE_CLI=""
    if [ -n "$MATCH_BASE" ] \
       && git -C "$TOP" cat-file -e "$MATCH_BASE^{commit}" 2>/dev/null; then
        log "match: building the CLI of $MATCH_BASE for the baseline"
        mkdir -p "$RUNDIR/base"
        git -C "$TOP" archive "$MATCH_BASE" | tar -x -C "$RUNDIR/base"
        if make -C "$RUNDIR/base" -f apxs.mk cli >"$RUNDIR/out/build-base.txt" 2>&1; then
            BASE_CLI="$RUNDIR/base/tools/wormreply"
        else
            log "match: the baseline CLI did not build ($RUNDIR/out/build-base.txt)"
        fi
    fi
    # match_ir CLI TAG - instructions per ordinary line (minus an empty run)
    match_ir() {
        local t z
        valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$RUNDIR/match/cg.$2" \
            "$1" match -q -p "$ORD" >/dev/null 2>"$RUNDIR/out/vg-match-$2.txt"
        valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file="$RUNDIR/match/cg.$2-0" \
            "$1" match -q -p /dev/null >/dev/null 2>>"$RUNDIR/out/vg-match-$2.txt"
        t=$(awk '/^summary:/ { print $2 }' "$RUNDIR/match/cg.$2")
        z=$(awk '/^summary:/ { print $2 }' "$RUNDIR/match/cg.$2-0")
        awk -v t="$t" -v z="$z" -v n="${R[match.ord_lines]}" 'BEGIN { printf "%.0f", (t - z) / n }'
    }
    # match_wall CLI - median user+system CPU ns per line over ten copies
    match_wall() {
        local i v=()
        for i in $(seq 1 "$MATCH_RUNS"); do
            /usr/bin/time -f '%U %S' -o "$RUNDIR/match/time" \
                "${CPU_CLI[@]}" "$1" match -q -p "$ORD.x10" >/dev/null
            v+=("$(awk -v n="${R[match.ord_lines]}" '{ printf "%.0f", ($1 + $2) * 1e9 / (n * 10) }' "$RUNDIR/match/time")")
        done
        median "${v[@]}"
    }
    if command -v valgrind >/dev/null 2>&1; then
        R[match.ord_ir]=$(match_ir "$CLI" now)
        [ -n "$BASE_CLI" ] && R[match.ord_ir_base]=$(match_ir "$BASE_CLI" base)
    fi
    if [ -x /usr/bin/time ]; then
        R[match.ord_cpu]=$(match_wall "$CLI")
        [ -n "$BASE_CLI" ] && R[match.ord_cpu_base]=$(match_wall "$BASE_CLI")
    fi
fi

# ================================================================ report
fmt_int() {
    printf "%'.0f" "$1" 2>/dev/null || printf '%s' "$1"
}

# floor_of CASE - the floor case measured with core-404 case CASE
floor_of() {
    case $1 in C) echo K;; G) echo L;; I) echo M;; esac
}

# verdict OK - "met" or "MISSED"
verdict() {
    if [ "$1" = 1 ]; then echo "met"; else echo "MISSED"; fi
}

report() {
    local c what f
    echo "== mod_wormreply bench $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs," \
         "kernel $(uname -r); $HTTPD_VERSION"
    if [ "$DO_IR" = 1 ]; then
        echo
        echo "1. Instructions per request (cachegrind --cache-sim=no, httpd -X, $N keep-alive"
        echo "   requests by ab -k -c1 minus a zero-request run of the same config; median of $REPS)"
        printf '   %-46s %12s  %s\n' case "Ir/request" "runs (min..max)"
        for c in $IR_CASES; do
            [ -n "${R[ir.$c]:-}" ] || continue
            case $c in
            A) what="A prefork static 1 KiB, module not loaded";;
            B) what="B prefork static 1 KiB, WormReply On";;
            C) what="C prefork Code Red probe, core 404";;
            D) what="D prefork Code Red probe, module's answer";;
            E) what="E event static 1 KiB, module not loaded";;
            F) what="F event static 1 KiB, WormReply On";;
            G) what="G event Code Red probe, core 404";;
            H) what="H event Code Red probe, module's answer";;
            I) what="I prefork Nimda scan request, core 404";;
            J) what="J prefork Nimda scan request, module's answer";;
            K) what="K prefork Code Red probe, floor module";;
            L) what="L event Code Red probe, floor module";;
            M) what="M prefork Nimda scan request, floor module";;
            N) what="N prefork static 1 KiB, WormReply+Notify On";;
            O) what="O event static 1 KiB, WormReply+Notify On";;
            esac
            printf '   %-46s %12s  %s (body %s B)\n' "$what" \
                "$(fmt_int "${R[ir.$c]}")" "${R[ir.$c.range]}" "${R[ir.$c.doclen]}"
        done
        echo "   (user-space instructions only: the kernel's share - stat, read, writev - is not"
        echo "    counted; the throughput below includes it)"
        echo "   zero-request runs (start-up + shutdown): $(for conf in $IR_CONFS; do printf '%s %s; ' "$conf" "$(fmt_int "${R[ir.zero.$conf]}")"; done)"
        for pair in A:B E:F A:N E:O; do
            a=${pair%:*}; b=${pair#*:}
            [ -n "${R[ir.$a]:-}" ] && [ -n "${R[ir.$b]:-}" ] || continue
            R[ir.$b$a]=$(pct "${R[ir.$b]}" "${R[ir.$a]}")
            echo "   ($b-$a)/$a = ${R[ir.$b$a]} %   target <= +0.5 %:" \
                 "$(verdict "$(awk -v p="${R[ir.$b$a]}" 'BEGIN { print (p <= 0.5) }')")"
            if [ -s "$RUNDIR/out/ir-$b-minus-$a.txt" ]; then
                echo "   where $b-$a goes (Ir/request by function, each minus its zero run, rep 1):"
                sed 's/^/     /' "$RUNDIR/out/ir-$b-minus-$a.txt"
            fi
        done
        for pair in C:D G:H I:J; do
            a=${pair%:*}; b=${pair#*:}
            [ -n "${R[ir.$a]:-}" ] && [ -n "${R[ir.$b]:-}" ] || continue
            R[ir.$b$a]=$(ratio "${R[ir.$b]}" "${R[ir.$a]}")
            echo "   $b/$a = ${R[ir.$b$a]}   target <= 0.75:" \
                 "$(verdict "$(awk -v r="${R[ir.$b$a]}" 'BEGIN { print (r <= 0.75) }')")"
            f=$(floor_of "$a")
            if [ -n "${R[ir.$f]:-}" ]; then
                R[ir.$f$a]=$(ratio "${R[ir.$f]}" "${R[ir.$a]}")
                echo "   $f/$a = ${R[ir.$f$a]}   httpd's floor: the same 404 from a quick handler" \
                     "that does nothing else; the module's own work $b-$f =" \
                     "$(fmt_int "$(awk -v b="${R[ir.$b]}" -v f="${R[ir.$f]}" 'BEGIN { printf "%.0f", b - f }')") Ir"
            fi
            if [ -s "$RUNDIR/out/ir-$b-minus-$a.txt" ]; then
                echo "   where $b-$a goes (Ir/request by function, each minus its zero run, rep 1):"
                sed 's/^/     /' "$RUNDIR/out/ir-$b-minus-$a.txt"
            fi
        done
    fi
    if [ "$DO_WRK" = 1 ]; then
        echo
        echo "2. Throughput (wrk -t$THREADS -c$CONNECTIONS keep-alive, ${DURATION} s runs after ${WARMUP} s warm-up,"
        where="unpinned"
        [ "$PIN" = 1 ] && where="on CPU 0, wrk on CPU 1"
        [ "$DO_HIST" = 1 ] && where="+ php-fpm $where"
        echo "   $ROUNDS interleaved rounds, median req/s; httpd mpm_event (Debian defaults) $where"
        printf '   %-12s %-44s %8s  %-17s %s\n' case what "req/s" "rounds (min..max)" \
            "socket errors"
        for c in $WRK_CASES; do
            [ -n "${R[wrk.$c]:-}" ] || continue
            case $c in
            static_plain) what="static 1 KiB, no module";;
            static_mod)   what="static 1 KiB, WormReply On";;
            cr_core)      what="Code Red probe, core 404";;
            cr_mod)       what="Code Red probe, module's answer";;
            nimda_core)   what="Nimda scan (16 URLs), core";;
            nimda_mod)    what="Nimda scan (16 URLs), module";;
            cr_hist)      what="Code Red probe, historic (rewrite+PHP+mail)";;
            nimda_hist)   what="Nimda scan, historic (rewrite+PHP+mail)";;
            esac
            printf '   %-12s %-44s %8s  %-17s %s\n' "$c" "$what" "$(fmt_int "${R[wrk.$c]}")" \
                "${R[wrk.$c.range]}" "${R[wrk.$c.errors]}"
        done
        [ -n "${R[wrk.cr_mod]:-}" ] && [ -n "${R[wrk.cr_core]:-}" ] \
            && echo "   module/core-404 (Code Red):      $(ratio "${R[wrk.cr_mod]}" "${R[wrk.cr_core]}")"
        [ -n "${R[wrk.nimda_mod]:-}" ] && [ -n "${R[wrk.nimda_core]:-}" ] \
            && echo "   module/core (Nimda scan):        $(ratio "${R[wrk.nimda_mod]}" "${R[wrk.nimda_core]}")"
        [ -n "${R[wrk.static_mod]:-}" ] && [ -n "${R[wrk.static_plain]:-}" ] \
            && echo "   module-static/plain-static:      $(ratio "${R[wrk.static_mod]}" "${R[wrk.static_plain]}")"
        [ -n "${R[wrk.cr_hist]:-}" ] && [ -n "${R[wrk.cr_core]:-}" ] \
            && echo "   historic/core-404 (Code Red):    $(ratio "${R[wrk.cr_hist]}" "${R[wrk.cr_core]}")" \
                    " (${R[wrk.cr_hist.mails]} mails for ${R[wrk.cr_hist.requests]} probes)"
        [ -n "${R[wrk.nimda_hist]:-}" ] && [ -n "${R[wrk.nimda_core]:-}" ] \
            && echo "   historic/core (Nimda scan):      $(ratio "${R[wrk.nimda_hist]}" "${R[wrk.nimda_core]}")" \
                    " (${R[wrk.nimda_hist.mails]} mails for ${R[wrk.nimda_hist.requests]} probes)"
        [ -n "${R[wrk.cr_mod]:-}" ] && [ -n "${R[wrk.cr_hist]:-}" ] \
            && echo "   module/historic (Code Red):      $(ratio "${R[wrk.cr_mod]}" "${R[wrk.cr_hist]}" 1)"
        echo "   answers to one Nimda scan: core ${R[wrk.nimda.plain]}; module ${R[wrk.nimda.module]}${R[wrk.nimda.historic]:+; historic ${R[wrk.nimda.historic]}}"
        [ "$DO_HIST" = 1 ] \
            && echo "   (mail counts include the <= $CONNECTIONS probes in flight when wrk stopped;" \
                    "the historic script mails on every hit, all from one client)"
        echo "   (socket errors: summed over the rounds; mostly read errors when httpd closes a"
        echo "    keep-alive connection after MaxKeepAliveRequests 100, Debian's default)"
        echo "   404 body: core ${R[wrk.body.core]} B, module ${R[wrk.body.module]} B"
    fi
    if [ "$DO_MATCH" = 1 ]; then
        local ns_line lps cat_ns_line mbs
        ns_line=$(awk -v t="${R[match.ns]}" -v n="${R[match.lines]}" 'BEGIN { printf "%.0f", t / n }')
        lps=$(awk -v t="${R[match.ns]}" -v n="${R[match.lines]}" 'BEGIN { printf "%.0f", n / (t / 1e9) }')
        mbs=$(awk -v t="${R[match.ns]}" -v b="${R[match.bytes]}" 'BEGIN { printf "%.1f", b / 1e6 / (t / 1e9) }')
        cat_ns_line=$(awk -v t="${R[match.cat_ns]}" -v n="${R[match.lines]}" 'BEGIN { printf "%.1f", t / n }')
        echo
        echo "3. Matcher alone: tools/wormreply match -q over t/data/access-sample.log.gz, decompressed"
        echo "   ($(fmt_int "${R[match.lines]}") lines, $(fmt_int "${R[match.bytes]}") bytes; median of $MATCH_RUNS wall-clock runs)"
        echo "   wormreply match: $(awk -v t="${R[match.ns]}" 'BEGIN { printf "%.1f", t / 1e6 }') ms," \
             "$ns_line ns/line, $(fmt_int "$lps") lines/s, $mbs MB/s"
        echo "   floor (cat > /dev/null): $(awk -v t="${R[match.cat_ns]}" 'BEGIN { printf "%.1f", t / 1e6 }') ms," \
             "$cat_ns_line ns/line; matcher/cat = $(ratio "${R[match.ns]}" "${R[match.cat_ns]}" 1)"
        echo "   families: ${R[match.families]}"
        echo "   ordinary lines only ($(fmt_int "${R[match.ord_lines]}"), wormreply match -q -p:"
        [ -n "${R[match.ord_ir]:-}" ] \
            && echo "     instructions per line (cachegrind): $(fmt_int "${R[match.ord_ir]}")" \
                    "${R[match.ord_ir_base]:+against $(fmt_int "${R[match.ord_ir_base]}") for the CLI of $MATCH_BASE}"
        [ -n "${R[match.ord_cpu]:-}" ] \
            && echo "     CPU time per line over 10 copies (user+system, median of $MATCH_RUNS): ${R[match.ord_cpu]} ns" \
                    "${R[match.ord_cpu_base]:+against ${R[match.ord_cpu_base]} ns for the CLI of $MATCH_BASE}"
        if [ -n "${R[match.ord_ir_base]:-}" ] && [ -n "${R[match.ord_ir]:-}" ]; then
            R[match.gain]=$(ratio "${R[match.ord_ir_base]}" "${R[match.ord_ir]}" 2)
            echo "   lines per instruction, now / $MATCH_BASE: ${R[match.gain]}x   target >= 3x:" \
                 "$(verdict "$(awk -v g="${R[match.gain]}" 'BEGIN { print (g >= 3) }')")"
        fi
    fi
    echo
    echo "== summary (for a closing note)"
    echo "command: N=$N REPS=$REPS DURATION=$DURATION ROUNDS=$ROUNDS ${ONLY:+ONLY=\"$ONLY\" }$CMD" \
         "   ($(( $(date +%s) - T_START )) s)"
    for pair in A:B E:F A:N E:O; do
        a=${pair%:*}; b=${pair#*:}
        [ -n "${R[ir.$b$a]:-}" ] || continue
        echo "Ir/request ($(case $a in A) echo prefork;; *) echo event;; esac)): static $a $(fmt_int "${R[ir.$a]}") ->" \
             "$b $(fmt_int "${R[ir.$b]}") with WormReply On$(case $b in N|O) echo " and WormReplyNotify On";; esac): ${R[ir.$b$a]} % (target <= +0.5 %:" \
             "$(verdict "$(awk -v p="${R[ir.$b$a]}" 'BEGIN { print (p <= 0.5) }')"))"
    done
    for pair in C:D G:H I:J; do
        a=${pair%:*}; b=${pair#*:}
        [ -n "${R[ir.$b$a]:-}" ] || continue
        echo "Ir/request ($(case $a in G) echo event;; *) echo prefork;; esac)): $(case $a in I) echo Nimda scan;; *) echo Code Red;; esac) core 404 $a $(fmt_int "${R[ir.$a]}") ->" \
             "module $b $(fmt_int "${R[ir.$b]}"): $b/$a ${R[ir.$b$a]} (target <= 0.75:" \
             "$(verdict "$(awk -v r="${R[ir.$b$a]}" 'BEGIN { print (r <= 0.75) }')"))"
        f=$(floor_of "$a")
        [ -n "${R[ir.$f$a]:-}" ] \
            && echo "   httpd's floor (quick handler, same 404, nothing else) $f $(fmt_int "${R[ir.$f]}"): $f/$a ${R[ir.$f$a]}"
    done
    if [ "$DO_WRK" = 1 ]; then
        local parts=()
        [ -n "${R[wrk.cr_mod]:-}" ] && [ -n "${R[wrk.cr_core]:-}" ] \
            && parts+=("Code Red module/core-404 $(ratio "${R[wrk.cr_mod]}" "${R[wrk.cr_core]}" 2)x ($(fmt_int "${R[wrk.cr_mod]}")/$(fmt_int "${R[wrk.cr_core]}"))")
        [ -n "${R[wrk.nimda_mod]:-}" ] && [ -n "${R[wrk.nimda_core]:-}" ] \
            && parts+=("Nimda module/core $(ratio "${R[wrk.nimda_mod]}" "${R[wrk.nimda_core]}" 2)x")
        [ -n "${R[wrk.static_mod]:-}" ] && [ -n "${R[wrk.static_plain]:-}" ] \
            && parts+=("static module/plain $(ratio "${R[wrk.static_mod]}" "${R[wrk.static_plain]}" 2)x")
        [ -n "${R[wrk.cr_hist]:-}" ] && [ -n "${R[wrk.cr_core]:-}" ] \
            && parts+=("historic/core-404 $(ratio "${R[wrk.cr_hist]}" "${R[wrk.cr_core]}" 3)x ($(fmt_int "${R[wrk.cr_hist]}") req/s, 1 mail/probe)")
        if [ "${#parts[@]}" -gt 0 ]; then
            printf 'req/s (wrk, medians of %s): ' "$ROUNDS"
            printf '%s; ' "${parts[@]}" | sed 's/; $//'
            echo
        fi
    fi
    [ "$DO_MATCH" = 1 ] \
        && echo "matcher: $(awk -v t="${R[match.ns]}" -v n="${R[match.lines]}" 'BEGIN { printf "%.0f ns/line, %.0f lines/s", t / n, n / (t / 1e9) }')" \
                "over $(fmt_int "${R[match.lines]}") real log lines (cat: $(awk -v t="${R[match.cat_ns]}" -v n="${R[match.lines]}" 'BEGIN { printf "%.1f", t / n }') ns/line)"
    [ -n "${R[match.gain]:-}" ] \
        && echo "matcher on ordinary lines: $(fmt_int "${R[match.ord_ir]}") Ir/line against $(fmt_int "${R[match.ord_ir_base]}") at $MATCH_BASE:" \
                "${R[match.gain]}x (target >= 3x: $(verdict "$(awk -v g="${R[match.gain]}" 'BEGIN { print (g >= 3) }')"));" \
                "CPU ${R[match.ord_cpu]:-?} ns/line against ${R[match.ord_cpu_base]:-?}"
    return 0
}

report | tee "$RUNDIR/summary.txt"
log "summary kept in $RUNDIR/summary.txt; raw outputs in $RUNDIR/out"
if [ "$STRICT" = 1 ] && grep -q 'MISSED' "$RUNDIR/summary.txt"; then
    exit 3
fi
exit 0
