# shellcheck shell=bash
# common.sh - helpers for bench/run.sh: messages, owned processes, ports,
# statistics. Sourced, not run. Expects RUNDIR to be set.
# Process handling follows ../shared/bench/run-anchors.sh: only a PID read
# from our own pid file (or $!) whose command line names $RUNDIR is ever
# signalled.

die() {
    echo "bench: $*" >&2
    exit 1
}

log() {
    echo "[$(date +%H:%M:%S)] $*" >&2
}

# need CMD PACKAGE - die with the install hint when CMD is missing
need() {
    command -v "$1" >/dev/null 2>&1 \
        || die "$1 not found (Debian package $2): run bench/install-deps.sh"
}

# ours PID - true if PID is alive and its command line names $RUNDIR
ours() {
    local pid=$1
    case "$pid" in ''|*[!0-9]*) return 1;; esac
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUNDIR/"
}

# stop_pid PID [SECONDS] - TERM an owned process, wait up to SECONDS
# (default 10), then KILL
stop_pid() {
    local pid=$1 n=$(( ${2:-10} * 10 ))
    ours "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 "$n"); do
        ours "$pid" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
}

# stop_pidfile FILE - stop the owned process named in FILE, remove FILE
stop_pidfile() {
    local pf=$1
    [ -f "$pf" ] || return 0
    stop_pid "$(cat "$pf" 2>/dev/null || true)"
    rm -f "$pf"
}

port_busy() {
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# port_free PORT - die unless PORT is free
port_free() {
    port_busy "$1" && die "port $1 is in use by a process that is not ours" \
        "(the test suite uses 18082-18095; is it running?)"
    return 0
}

# listens PORT PID - PID itself holds a listening socket on PORT
listens() {
    ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
}

# wait_port PORT SECONDS PID - until PID listens on PORT; fails early when
# PID dies (as it does when it cannot bind)
wait_port() {
    local n=$(( $2 * 10 ))
    for _ in $(seq 1 "$n"); do
        listens "$1" "$3" && return 0
        ours "$3" || return 1
        sleep 0.1
    done
    return 1
}

# wait_port_free PORT SECONDS
wait_port_free() {
    local n=$(( $2 * 10 ))
    for _ in $(seq 1 "$n"); do
        port_busy "$1" || return 0
        sleep 0.1
    done
    return 1
}

# cpu_ticks PID - user + system CPU time of PID, in clock ticks
cpu_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null
}

# wait_idle PID SECONDS - until PID has used no CPU for 0.6 s (blocked in
# accept or poll): a SIGTERM sent then always finds it at the same point
wait_idle() {
    local pid=$1 n=$(( $2 * 5 )) prev cur same=0
    prev=$(cpu_ticks "$pid")
    for _ in $(seq 1 "$n"); do
        sleep 0.2
        cur=$(cpu_ticks "$pid")
        [ -n "$cur" ] || return 1
        if [ "$cur" = "$prev" ]; then
            same=$((same + 1))
            [ "$same" -ge 3 ] && return 0
        else
            same=0
        fi
        prev=$cur
    done
    return 1
}

# median NUMBER... - the median (mean of the middle two for an even count)
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "n/a"; exit }
              if (NR % 2) printf "%.15g\n", v[(NR + 1) / 2]
              else printf "%.15g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# minmax NUMBER... - "min..max"
minmax() {
    printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
        END { printf "%s..%s\n", lo, hi }'
}

# ratio X Y [DIGITS] - X/Y
ratio() {
    awk -v x="$1" -v y="$2" -v d="${3:-3}" \
        'BEGIN { if (y + 0 > 0) printf("%." d "f\n", x / y); else print "n/a" }'
}

# pct X Y - (X-Y)/Y in percent, signed, two decimals
pct() {
    awk -v x="$1" -v y="$2" \
        'BEGIN { if (y + 0 > 0) printf "%+.2f\n", (x - y) * 100 / y;
                 else print "n/a" }'
}

# now_ns - wall clock in nanoseconds
now_ns() {
    date +%s%N
}

# codered_path - the Code Red I request target, as the worm sent it (the
# real worm also sends a 3379-byte body, which is left out here)
codered_path() {
    printf '/default.ida?%s%s' "$(head -c 224 /dev/zero | tr '\0' 'N')" \
        '%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a'
}
