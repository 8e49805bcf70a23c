# shellcheck shell=bash
# notices-lib.sh - helpers for bench/notices.sh: the private httpd, the
# module's counters, the spool, the DNS rig. Sourced after common.sh and
# confs.sh, not run. Expects RUNDIR, HTTPD, TOP and CPU_SRV (an array,
# possibly empty) to be set.

# httpd_start NAME PORT - a private httpd from $RUNDIR/conf/NAME.conf,
# pinned like the server; returns once its parent listens on PORT
httpd_start() {
    local name=$1 port=$2 pf="$RUNDIR/run/$1/httpd.pid"
    port_free "$port"
    "${CPU_SRV[@]}" "$HTTPD" -d "$RUNDIR" -f "$RUNDIR/conf/$name.conf" \
        -k start >"$RUNDIR/out/start-$name.txt" 2>&1 \
        || { cat "$RUNDIR/out/start-$name.txt" >&2
             die "httpd $name did not start"; }
    for _ in $(seq 1 100); do
        [ -s "$pf" ] && break
        sleep 0.1
    done
    wait_port "$port" 10 "$(cat "$pf" 2>/dev/null)" \
        || die "httpd $name did not listen on $port" \
               "($RUNDIR/logs/error-$name.log)"
}

# stop_strays - stop any process still running one of our httpd configs
# ($RUNDIR/conf/ on its command line): a notifier (forked by httpd, so it
# carries httpd's command line) whose parent was killed before it could
# stop it. Only our own processes match (see ours); each is signalled by
# its pid.
stop_strays() {
    local d pid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [ "$pid" = "$$" ] && continue
        ours "$pid" || continue
        tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF "$RUNDIR/conf/" \
            && stop_pid "$pid" 5
    done
    return 0
}

# wr_status PORT OUTFILE - the wormreply-status JSON of the server whose
# status vhost listens on PORT
wr_status() {
    curl -s --max-time 10 -o "$2" "http://127.0.0.1:$1/wormreply-status" \
        || die "no wormreply-status answer on port $1"
    grep -q '"spooled": [0-9]' "$2" \
        || die "wormreply-status on port $1 has no counters ($2)"
}

# counter FILE KEY - one number from a saved wormreply-status JSON
counter() {
    local v
    v=$(grep -o "\"$2\": [0-9]*" "$1" | head -1 | sed 's/.*: //')
    [ -n "$v" ] || die "counter $2 missing in $1"
    echo "$v"
}

# spool_files DIR - "new cur failed tmp" file counts of a spool
spool_files() {
    local sub n out=""
    for sub in new cur failed tmp; do
        n=$(find "$1/$sub" -mindepth 1 -maxdepth 1 ! -name '.*' 2>/dev/null \
            | wc -l)
        out="$out${out:+ }$n"
    done
    echo "$out"
}

# outbox_count DIR - notices (.eml files) in an outbox
outbox_count() {
    find "$1" -mindepth 1 -maxdepth 1 -name '*.eml' 2>/dev/null | wc -l
}

# addr_list FILE PREFIX COUNT - COUNT addresses PREFIX1 .. PREFIX<hex COUNT>
# one a line (PREFIX such as 2001:db8:1::), COUNT <= 65535
addr_list() {
    awk -v p="$2" -v n="$3" 'BEGIN { for (i = 1; i <= n; i++)
                                         printf "%s%x\n", p, i }' >"$1"
}

# dns_answers PORT - whether the DNS rig answers on 127.0.0.1:PORT
dns_answers() {
    dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" ns.test A 2>/dev/null \
        | grep -q '^127\.0\.0\.1$'
}
