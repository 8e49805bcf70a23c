#!/bin/sh
# smtp.sh - the test suite's private SMTP server (exim) on 127.0.0.1
#
#   sh t/rig/smtp.sh start|stop|status
#   sh t/rig/smtp.sh extra-start PORT [notls] [clearauth] [plain|login|cram]
#   sh t/rig/smtp.sh extra-stop PORT
#
# Runs exim4 (exim4-daemon-light) with a private -C config rendered from
# t/rig/smtp/exim.conf.in (whose origin is ../shared/testing/smtp/, RIG.md
# section 4): two daemons sharing one spool and one Maildir,
#   127.0.0.1:${WR_SMTP_PORT:-12525}         STARTTLS, then AUTH PLAIN, LOGIN,
#                                            CRAM-MD5 as wormtest / s3cret
#   127.0.0.1:${WR_SMTP_NOTLS_PORT:-12527}   the same without STARTTLS (and so
#                                            without AUTH)
# and, on request, more of them on ports 12528-12539 (12548-12559 for a
# benchmark's rig of its own) that a test starts and
# stops on its own, to play "server down, then back" or to offer one AUTH
# mechanism alone (plain, login, cram), AUTH without TLS (clearauth), or no
# STARTTLS (notls), without disturbing the other tests.
#
# All state lives in ${WR_RIG_DIR:-t/rig/run}/smtp (RUN below), which must be
# inside the checkout or under /tmp:
#   RUN/exim.conf            the rendered config
#   RUN/cert.pem, key.pem    self-signed, CN localhost, SAN DNS:localhost and
#                            DNS:mx.wormreply.test (the CA file for clients)
#   RUN/other-ca.pem         an unrelated self-signed certificate: a CA file
#                            that does not vouch for the server
#   RUN/Maildir/new/         one file per message received
#   RUN/log/mainlog          exim's log (X=TLS..., A=plain:wormtest, and
#                            "no MAIL in SMTP connection ... C=..." lines)
#   RUN/defer                while it exists, MAIL FROM gets 451 4.3.0
#   RUN/defer-LOCALPART      the same for one envelope sender's local part
#   RUN/slow-LOCALPART       while it exists, MAIL FROM of that sender is
#                            answered 3 s late
# With WR_SMTP_BOUNCE_CMD (and WR_SMTP_BOUNCE_USER, default nobody) the
# daemons run with -DBOUNCES: mail is queued until "exim -C RUN/exim.conf
# -DBOUNCES -qff" (run as root) delivers it; RUN/dead-ADDRESS makes a
# recipient fail after RCPT (exim's own DSN), RUN/late-ADDRESS defer with a
# delay warning; wrbounce+TOKEN@ goes to that command through a pipe,
# wrbouncemd+TOKEN@ into RUN/BounceMaildir (exim.conf.in).
# Recipients whose local part starts with "refuse" get 550 5.1.1, with
# "tempfail" 451 4.2.1 (exim.conf.in). exim drops to Debian-exim with a -C
# config (RIG.md), so spool, log, Maildir and key belong to Debian-exim.
#
# "start" returns once both daemons answer 220 (at most ~10 s); "stop" kills
# only the processes "start" launched (their pids are recorded) and waits
# until the ports are closed. Needs exim4-daemon-light, openssl and bash.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
port=${WR_SMTP_PORT:-12525}
notls_port=${WR_SMTP_NOTLS_PORT:-12527}
rigdir=${WR_RIG_DIR:-$top/t/rig/run}
src=$top/t/rig/smtp
exim_user=Debian-exim

die() {
    echo "smtp.sh: $*" >&2
    exit 1
}

for p in "$port" "$notls_port"; do
    case $p in
        ''|*[!0-9]*) die "ports must be numbers, not '$p'" ;;
    esac
done
# Checked before anything is created: nothing is written elsewhere.
run=$(realpath -m "$rigdir/smtp") || die "bad state directory $rigdir/smtp"
case $run/ in
    "$(realpath "$top")"/*|/tmp/*) ;;
    *) die "state directory $run is neither inside $top nor under /tmp" ;;
esac
conf=$run/exim.conf

# answers PORT - whether an SMTP server on the port greets with 220
answers() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; head -c 3 <&3" \
        2>/dev/null | grep -q '^220'
}

# port_open PORT - whether anything listens on the tcp port
port_open() {
    hex=$(printf ':%04X ' "$1")
    awk -v p="$hex" '$2 ~ p && $4 == "0A" { f = 1 } END { exit !f }' \
        /proc/net/tcp 2>/dev/null
}

# our_pid NAME - the pid recorded in RUN/NAME.pid, if that process is still
# an exim running our config
our_pid() {
    f=$run/$1.pid
    [ -r "$f" ] || return 1
    pid=$(cat "$f")
    case $pid in
        ''|*[!0-9]*) return 1 ;;
    esac
    [ -r "/proc/$pid/cmdline" ] || return 1
    cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline")
    case $cmd in
        *exim*"$conf"*) echo "$pid"; return 0 ;;
    esac
    return 1
}

# stop_one NAME PORT - stop the daemon recorded as NAME, wait for its port
stop_one() {
    if pid=$(our_pid "$1"); then
        kill "$pid" 2>/dev/null
        i=0
        while [ -d "/proc/$pid" ] && [ $i -lt 100 ]; do
            sleep 0.05
            i=$((i + 1))
        done
        if [ -d "/proc/$pid" ]; then
            echo "smtp.sh: exim $pid ignored SIGTERM, sending SIGKILL" >&2
            kill -9 "$pid" 2>/dev/null
        fi
    fi
    rm -f "$run/$1.pid"
    i=0
    while port_open "$2" && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    if port_open "$2"; then
        echo "smtp.sh: port $2 still in use after stopping $1" >&2
        return 1
    fi
    return 0
}

# start_one NAME PORT [exim options] - launch a daemon, wait for its 220
start_one() {
    name=$1
    p=$2
    shift 2
    if port_open "$p"; then
        die "port $p is already in use by another process"
    fi
    exim -C "$conf" "$@" -oX "$p" -oP "$run/$name.exim-pid" -bdf \
        >"$run/$name.out" 2>&1 </dev/null &
    echo $! > "$run/$name.pid"
    pid=$!
    i=0
    while [ $i -lt 200 ]; do
        if answers "$p"; then
            echo "smtp.sh: exim $pid ($name) answering on 127.0.0.1:$p"
            return 0
        fi
        if [ ! -d "/proc/$pid" ]; then
            cat "$run/$name.out" >&2
            tail -n 20 "$run/log/paniclog" >&2 2>/dev/null
            rm -f "$run/$name.pid"
            die "exim ($name) exited at start"
        fi
        sleep 0.05
        i=$((i + 1))
    done
    cat "$run/$name.out" >&2
    stop_one "$name" "$p"
    die "exim ($name) did not answer on 127.0.0.1:$p within 10 s"
}

# make_certs - the server's certificate, and one that vouches for nothing
make_certs() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,DNS:mx.wormreply.test" \
        -keyout "$run/key.pem" -out "$run/cert.pem" 2>"$run/openssl.err" \
        || { cat "$run/openssl.err" >&2; die "openssl could not make a cert"; }
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
        -subj "/CN=Unrelated Test CA" -keyout "$run/other-key.pem" \
        -out "$run/other-ca.pem" 2>"$run/openssl.err" \
        || { cat "$run/openssl.err" >&2; die "openssl could not make a CA"; }
    rm -f "$run/other-key.pem" "$run/openssl.err"
    chmod 644 "$run/cert.pem" "$run/other-ca.pem"
    chmod 600 "$run/key.pem"
}

do_stop() {
    rc=0
    for e in "$run"/extra-*.pid; do
        [ -e "$e" ] || continue
        n=$(basename "$e" .pid)
        stop_one "$n" "${n#extra-}" || rc=1
    done
    stop_one notls "$notls_port" || rc=1
    stop_one main "$port" || rc=1
    [ $rc -eq 0 ] || die "could not stop every daemon"
}

do_start() {
    mkdir -p "$run" || die "cannot create $run"
    [ -w "$run" ] || die "state directory $run is not writable"
    do_stop
    command -v exim >/dev/null \
        || die "exim not installed (apt-get install exim4-daemon-light)"
    command -v openssl >/dev/null \
        || die "openssl not installed (apt-get install openssl)"
    command -v bash >/dev/null || die "bash is needed to probe the ports"
    id "$exim_user" >/dev/null 2>&1 || die "no user $exim_user"
    # a fresh spool and Maildir each run: tests count what arrived
    rm -rf "$run/spool" "$run/log" "$run/Maildir"
    rm -f "$run"/defer "$run"/defer-* "$run"/slow-*
    mkdir -p "$run/spool" "$run/log" "$run/Maildir/new" "$run/Maildir/cur" \
        "$run/Maildir/tmp" || die "cannot create the directories in $run"
    sed -e "s|@RIGDIR@|$(dirname "$run")|g" -e "s|@PORT@|$port|g" \
        -e "s|@BOUNCE_CMD@|${WR_SMTP_BOUNCE_CMD:-/bin/false}|g" \
        -e "s|@BOUNCE_USER@|${WR_SMTP_BOUNCE_USER:-nobody}|g" \
        "$src/exim.conf.in" > "$conf" || die "cannot write $conf"
    make_certs
    chown -R "$exim_user:$exim_user" "$run/spool" "$run/log" "$run/Maildir" \
        "$run/key.pem" || die "cannot give the state to $exim_user"
    exim -C "$conf" -bV >/dev/null 2>"$run/check.err" \
        || { cat "$run/check.err" >&2; die "exim rejected $conf"; }
    rm -f "$run/check.err"
    if [ -n "${WR_SMTP_BOUNCE_CMD:-}" ]; then
        mkdir -p "$run/BounceMaildir/new" "$run/BounceMaildir/cur" \
            "$run/BounceMaildir/tmp" \
            && chown -R "${WR_SMTP_BOUNCE_USER:-nobody}" \
                "$run/BounceMaildir" \
            || die "cannot make $run/BounceMaildir"
        start_one main "$port" -DBOUNCES
        start_one notls "$notls_port" -DNOTLS -DBOUNCES
    else
        start_one main "$port"
        start_one notls "$notls_port" -DNOTLS
    fi
}

case ${1:-} in
    start) do_start ;;
    stop) do_stop ;;
    status)
        if pid=$(our_pid main) && answers "$port" \
           && npid=$(our_pid notls) && answers "$notls_port"; then
            echo "smtp.sh: exim $pid on 127.0.0.1:$port, $npid on" \
                 "127.0.0.1:$notls_port"
        else
            echo "smtp.sh: not running on 127.0.0.1:$port and :$notls_port"
            exit 1
        fi
        ;;
    extra-start|extra-stop)
        p=${2:-}
        case $p in
            1252[89]|1253[0-9]|1254[89]|1255[0-9]) ;;
            *) die "$1 needs a port from 12528 to 12539 (the tests') or 12548 to 12559 (the benchmarks'), not '$p'" ;;
        esac
        [ -r "$conf" ] || die "not started (no $conf)"
        if [ "$1" = extra-start ]; then
            shift 2
            opts=
            for o in "$@"; do
                case $o in
                    notls) opts="$opts -DNOTLS" ;;
                    clearauth) opts="$opts -DAUTH_IN_CLEAR" ;;
                    plain) opts="$opts -DONLY_PLAIN" ;;
                    login) opts="$opts -DONLY_LOGIN" ;;
                    cram) opts="$opts -DONLY_CRAM" ;;
                    *) die "unknown extra-start option '$o'" ;;
                esac
            done
            stop_one "extra-$p" "$p" || exit 1
            # $opts: words from the fixed list above, split on purpose
            # shellcheck disable=SC2086
            start_one "extra-$p" "$p" $opts
        else
            stop_one "extra-$p" "$p" || exit 1
        fi
        ;;
    *) die "usage: smtp.sh start|stop|status|extra-start PORT [OPT...]|" \
           "extra-stop PORT" ;;
esac
