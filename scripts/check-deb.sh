#!/bin/sh
# check-deb.sh - the Debian packages, built and checked as an administrator
# meets them:
#
#   sh scripts/check-deb.sh build     dpkg-buildpackage -b -us -uc in a
#                                     scratch copy of the repository
#   sh scripts/check-deb.sh lintian   build, then lintian: no error
#   sh scripts/check-deb.sh cycle     build, then on this machine's apache2:
#                                     install, configtest, start, answer a
#                                     probe, status, stop, purge, check that
#                                     nothing is left; the machine restored
#   sh scripts/check-deb.sh           all three
#
# OUT=DIR keeps the packages there (default: a temporary directory, removed).
# DEBS=DIR checks the packages built before into DIR instead of building.
# The cycle needs root, the apache2 package, neither of our packages
# installed and the system apache2 not running; it exits 77 (skip) when it
# cannot restore the machine afterwards. For the cycle the system apache2
# listens on 127.0.0.1:$PORT only (default 18097, outside the suite's
# ports): ports.conf is replaced for the while and put back byte for byte.
# Whatever happens (a failed check, an interrupt), it stops the apache2 it
# started, purges the packages, puts ports.conf back, re-enables or
# disables what it changed in /etc/apache2, and cuts the logs in
# /var/log/apache2 back to their sizes. Every wait is bounded (apache2
# answering: WAIT seconds, default 60) and fails with a message.
# Exit status: 0 all good; 1 a check failed; 2 usage; 77 skipped.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
WHAT=${1:-all}
case "$WHAT" in
    build|lintian|cycle|all) ;;
    *) echo "usage: sh scripts/check-deb.sh [build|lintian|cycle|all]" >&2
       exit 2 ;;
esac
SCRATCH=$(mktemp -d /tmp/wr-check-deb.XXXXXX)
OUT=${OUT:-$SCRATCH/out}
mkdir -p "$OUT"
FAILED=0

say() { echo "check-deb: $*"; }
fail() { echo "check-deb: FAILED: $*" >&2; FAILED=1; }

# ---- build --------------------------------------------------------------
build() {
    if [ -n "${DEBS:-}" ]; then
        cp "$DEBS"/*.deb "$DEBS"/*.changes "$DEBS"/*.buildinfo "$OUT"/ \
            2>/dev/null || true
        check_built "$TOP"
        return
    fi
    mkdir -p "$SCRATCH/pkg/src"
    # the files of the repository (committed or not), never its build tree
    (cd "$TOP" && git ls-files -co --exclude-standard) \
        | (cd "$TOP" && tar -cf - -T -) | tar -xf - -C "$SCRATCH/pkg/src"
    say "dpkg-buildpackage -b -us -uc in $SCRATCH/pkg/src"
    if ! (cd "$SCRATCH/pkg/src" && dpkg-buildpackage -b -us -uc) \
            > "$SCRATCH/build.log" 2>&1; then
        tail -40 "$SCRATCH/build.log" >&2
        fail "dpkg-buildpackage"
        return 1
    fi
    cp "$SCRATCH"/pkg/*.deb "$SCRATCH"/pkg/*.changes "$SCRATCH"/pkg/*.buildinfo \
       "$OUT"/
    check_built "$SCRATCH/pkg/src"
}

# check_built SRC - the packages in $OUT: one version, the files they hold
check_built() {
    MOD_DEB=$(ls "$OUT"/libapache2-mod-wormreply_*.deb 2>/dev/null) \
        || { fail "no libapache2-mod-wormreply package in $OUT"; return 1; }
    CLI_DEB=$(ls "$OUT"/wormreply_*.deb 2>/dev/null) \
        || { fail "no wormreply package in $OUT"; return 1; }
    # one version: the changelog's is the module's and the CLI's
    v=$(cd "$1" && dpkg-parsechangelog -S Version)
    w=$(sed -n 's/^#define WR_VERSION "\(.*\)"/\1/p' \
        "$TOP/mod_wormreply/wr_version.h")
    [ "$v" = "$w" ] || fail "debian/changelog has $v, wr_version.h $w"
    say "built $(basename "$MOD_DEB") $(basename "$CLI_DEB") (version $v)"
    dpkg-deb -c "$MOD_DEB" > "$SCRATCH/mod.list"
    dpkg-deb -c "$CLI_DEB" > "$SCRATCH/cli.list"
    for f in ./usr/lib/apache2/modules/mod_wormreply.so \
             ./etc/apache2/mods-available/wormreply.load \
             ./etc/apache2/mods-available/wormreply.conf \
             ./etc/apache2/conf-available/wormreply-status.conf \
             ./usr/share/man/man8/mod_wormreply.8.gz; do
        grep -q " $f\$" "$SCRATCH/mod.list" \
            || fail "$f is not in $(basename "$MOD_DEB")"
    done
    for f in ./usr/bin/wormreply ./usr/share/man/man1/wormreply.1.gz; do
        grep -q " $f\$" "$SCRATCH/cli.list" \
            || fail "$f is not in $(basename "$CLI_DEB")"
    done
}

# ---- lintian ------------------------------------------------------------
run_lintian() {
    command -v lintian >/dev/null || { fail "lintian is not installed"; return 1; }
    say "lintian $(basename "$OUT"/*.changes)"
    lintian --allow-root "$OUT"/*.changes > "$SCRATCH/lintian.log" 2>&1 || true
    cat "$SCRATCH/lintian.log"
    if grep -q '^E: ' "$SCRATCH/lintian.log"; then
        fail "lintian reports errors"
    else
        say "lintian: no error ($(grep -c '^W: ' "$SCRATCH/lintian.log" || true) warnings)"
    fi
}

# ---- the install cycle ----------------------------------------------------
ETC=/etc/apache2
STATE=/var/lib/apache2/wormreply
CHECKCONF=$ETC/conf-available/wormreply-check.conf
PORT=${PORT:-18097}
WAIT=${WAIT:-60}

running() {
    pid=$(cat /var/run/apache2/apache2.pid 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# etc_state - what /etc/apache2 holds: every file's checksum, every link's
# target
etc_state() {
    find "$ETC" -type f -exec sha256sum {} + | sort
    find "$ETC" -type l -printf '%p -> %l\n' | sort
}

# wait_until SECONDS CMD... - run CMD every 0.2 s until it succeeds, for
# at most SECONDS; the status of the last run
wait_until() {
    n=$(($1 * 5)); shift
    i=0
    until "$@"; do
        i=$((i + 1))
        [ $i -lt $n ] || return 1
        sleep 0.2
    done
}

answers() {
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"
}

not_running() { ! running; }

# restore - put the machine back as it was, whatever happened
restore() {
    if running; then
        apache2ctl stop >/dev/null 2>&1 || true
        if ! wait_until 30 not_running; then
            pid=$(cat /var/run/apache2/apache2.pid 2>/dev/null || true)
            echo "check-deb: apache2 ($pid) did not stop in 30 s: killed" >&2
            [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    if [ -f "$SCRATCH/ports.conf" ]; then
        cp -p "$SCRATCH/ports.conf" "$ETC/ports.conf"
    fi
    rm -f "$ETC/conf-enabled/wormreply-check.conf" "$CHECKCONF"
    if dpkg -s libapache2-mod-wormreply >/dev/null 2>&1 \
       || dpkg -s wormreply >/dev/null 2>&1; then
        apt-get -o DPkg::Lock::Timeout=900 purge -y libapache2-mod-wormreply \
            wormreply >/dev/null 2>&1 || true
    fi
    # modules a2enmod enabled as dependencies, confs we enabled
    while read -r link; do
        [ -n "$link" ] || continue
        grep -qxF "$link" "$SCRATCH/links.before" || rm -f "$ETC/$link"
    done < "$SCRATCH/links.now" 2>/dev/null || true
    while read -r log size; do
        [ -f "$log" ] && truncate -s "$size" "$log"
    done < "$SCRATCH/logs.before" 2>/dev/null || true
    # a2enmod's and a2enconf's records of what was enabled
    find /var/lib/apache2 -mindepth 1 2>/dev/null | sort > "$SCRATCH/var.now"
    comm -13 "$SCRATCH/var.before" "$SCRATCH/var.now" 2>/dev/null \
        | sort -r | while read -r f; do
            if [ -d "$f" ]; then rmdir "$f" 2>/dev/null || true
            else rm -f "$f"; fi
        done
}

links() {
    (cd "$ETC" && find mods-enabled conf-enabled sites-enabled -type l | sort)
}

cycle() {
    if [ "$(id -u)" != 0 ]; then
        say "cycle skipped: not root"; return 77
    fi
    if ! dpkg -s apache2 >/dev/null 2>&1; then
        say "cycle skipped: apache2 is not installed"; return 77
    fi
    if dpkg -s libapache2-mod-wormreply >/dev/null 2>&1 \
       || dpkg -s wormreply >/dev/null 2>&1; then
        say "cycle skipped: our packages are installed already (purge them first)"
        return 77
    fi
    if running; then
        say "cycle skipped: the system apache2 is running"; return 77
    fi
    if [ -e "$STATE" ]; then
        say "cycle skipped: $STATE exists (not ours to remove)"; return 77
    fi
    # one cycle at a time on this machine
    exec 9>/run/lock/wormreply-check-deb.lock
    flock -w 900 9 || { say "cycle skipped: another cycle holds the lock"; return 77; }

    etc_state > "$SCRATCH/etc.before"
    find /var/lib/apache2 -mindepth 1 2>/dev/null | sort > "$SCRATCH/var.before"
    links > "$SCRATCH/links.before"
    for log in /var/log/apache2/*.log; do
        [ -f "$log" ] && echo "$log $(stat -c %s "$log")"
    done > "$SCRATCH/logs.before"
    # the system apache2 on loopback and a port of its own only, so that it
    # neither takes port 80 from anyone nor answers anything but this host
    cp -p "$ETC/ports.conf" "$SCRATCH/ports.conf"
    trap 'links > "$SCRATCH/links.now"; restore' EXIT
    trap 'exit 1' INT TERM

    say "install $(basename "$MOD_DEB") $(basename "$CLI_DEB")"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 \
        install -y "$MOD_DEB" "$CLI_DEB" > "$SCRATCH/install.log" 2>&1 \
        || { cat "$SCRATCH/install.log" >&2; fail "install"; return 1; }
    [ -L "$ETC/mods-enabled/wormreply.load" ] || fail "wormreply not enabled"
    if [ -L "$ETC/conf-enabled/wormreply-status.conf" ]; then
        fail "wormreply-status enabled without a2enconf"
    fi
    for d in spool outbox; do
        [ "$(stat -c '%U:%G %a' "$STATE/$d" 2>/dev/null)" = "www-data:www-data 700" ] \
            || fail "$STATE/$d: $(stat -c '%U:%G %a' "$STATE/$d" 2>&1)"
    done
    [ "$(stat -c '%U:%G %a' "$STATE")" = "root:root 755" ] \
        || fail "$STATE: $(stat -c '%U:%G %a' "$STATE")"

    say "configtest with the packages' defaults"
    apache2ctl configtest > "$SCRATCH/configtest.log" 2>&1 \
        || { cat "$SCRATCH/configtest.log" >&2; fail "configtest"; }

    # switch it on, with notices, and the status handler, as the README says
    cat > "$CHECKCONF" <<EOF
# check-deb.sh: removed when the check ends
WormReply On
WormReplyNotify On
EOF
    a2enconf -q wormreply-check wormreply-status >/dev/null
    printf '# check-deb.sh: put back when the check ends\nListen 127.0.0.1:%s\n' \
        "$PORT" > "$ETC/ports.conf"
    apache2ctl configtest > "$SCRATCH/configtest.log" 2>&1 \
        || { cat "$SCRATCH/configtest.log" >&2; fail "configtest, switched on"; }
    say "start apache2"
    apache2ctl start > "$SCRATCH/start.log" 2>&1 \
        || { cat "$SCRATCH/start.log" >&2; fail "apache2ctl start"; return 1; }
    if ! wait_until "$WAIT" answers; then
        tail -20 /var/log/apache2/error.log >&2 2>/dev/null || true
        fail "apache2 did not answer on 127.0.0.1:$PORT within $WAIT s"
        return 1
    fi
    say "apache2 answers on 127.0.0.1:$PORT"
    body=$(curl -s --max-time 10 -w ' %{http_code}' \
           "http://127.0.0.1:$PORT/scripts/root.exe?/c+dir")
    [ "$body" = "404 Not Found
 404" ] || fail "the probe's answer: '$body'"
    say "a Nimda probe answered: $(echo $body)"
    /usr/bin/wormreply status > "$SCRATCH/status.txt" 2>&1 \
        || { cat "$SCRATCH/status.txt" >&2; fail "wormreply status"; }
    grep -Eq '^probes +1 ' "$SCRATCH/status.txt" \
        || { cat "$SCRATCH/status.txt" >&2; fail "status: not 1 probe"; }
    say "wormreply status (found through conf-enabled): $(grep '^probes' "$SCRATCH/status.txt")"
    # the notifier, named in ps: a child of this apache2 (others' test
    # httpds may have notifiers of their own; bounded wait: it is forked at
    # the end of the start)
    ppid=$(cat /var/run/apache2/apache2.pid)
    notifier_up() {
        ps -o args= --ppid "$ppid" | grep -q '^apache2: wormreply notifier'
    }
    if ! wait_until 30 notifier_up; then
        tail -20 /var/log/apache2/error.log >&2
        fail "no 'apache2: wormreply notifier' process"
    else
        say "ps: $(ps -o args= --ppid "$ppid" | grep '^apache2: wormreply notifier')"
    fi
    apache2ctl stop >/dev/null 2>&1 || fail "apache2ctl stop"
    if ! wait_until 30 not_running; then
        fail "apache2 did not stop within 30 s"
    fi
    cp -p "$SCRATCH/ports.conf" "$ETC/ports.conf"
    a2disconf -q wormreply-check >/dev/null
    rm -f "$CHECKCONF"

    say "purge"
    apt-get -o DPkg::Lock::Timeout=900 purge -y libapache2-mod-wormreply \
        wormreply > "$SCRATCH/purge.log" 2>&1 \
        || { cat "$SCRATCH/purge.log" >&2; fail "purge"; }
    for p in libapache2-mod-wormreply wormreply; do
        if dpkg -s "$p" >/dev/null 2>&1; then
            fail "$p is still known to dpkg"
        fi
    done
    awk '$1 !~ /^d/ { print substr($6, 2) }' "$SCRATCH/mod.list" \
        "$SCRATCH/cli.list" | while read -r f; do
            if [ -e "$f" ]; then echo "$f"; fi
        done > "$SCRATCH/left"
    if [ -s "$SCRATCH/left" ]; then
        fail "left after purge: $(cat "$SCRATCH/left")"
    fi
    if [ -e "$STATE" ]; then fail "$STATE left after purge"; fi
    for l in mods-enabled/wormreply.load mods-enabled/wormreply.conf \
             conf-enabled/wormreply-status.conf; do
        if [ -e "$ETC/$l" ] || [ -L "$ETC/$l" ]; then
            fail "$ETC/$l left after purge"
        fi
    done
    # what is left that was not there before (the check's own conf aside)
    links > "$SCRATCH/links.now"
    find /var/lib/apache2 -mindepth 1 2>/dev/null | sort > "$SCRATCH/var.now"
    { comm -13 "$SCRATCH/links.before" "$SCRATCH/links.now"
      comm -13 "$SCRATCH/var.before" "$SCRATCH/var.now"; } \
        | grep -v -e 'wormreply-check' \
        | while read -r f; do
            # the empty record directories of the check's own a2enconf and
            # a2disconf (an administrator's, not the package's)
            case "$f" in
                /var/lib/apache2/conf/*_by_admin)
                    [ -z "$(ls -A "$f" 2>/dev/null | grep -v \
                           '^wormreply-check$')" ] && continue ;;
            esac
            echo "$f"
        done > "$SCRATCH/new" || true
    if [ -s "$SCRATCH/new" ]; then
        fail "left after purge: $(cat "$SCRATCH/new")"
    fi
    restore
    trap - EXIT INT TERM
    etc_state > "$SCRATCH/etc.after"
    if ! cmp -s "$SCRATCH/etc.before" "$SCRATCH/etc.after"; then
        diff "$SCRATCH/etc.before" "$SCRATCH/etc.after" >&2 || true
        fail "/etc/apache2 is not as it was"
    fi
    find /var/lib/apache2 -mindepth 1 2>/dev/null | sort > "$SCRATCH/var.after"
    if ! cmp -s "$SCRATCH/var.before" "$SCRATCH/var.after"; then
        diff "$SCRATCH/var.before" "$SCRATCH/var.after" >&2 || true
        fail "/var/lib/apache2 is not as it was"
    fi
    say "purged: nothing left; /etc/apache2 and /var/lib/apache2 as they were"
    return $FAILED
}

rc=0
build || rc=1
if [ $rc = 0 ] && { [ "$WHAT" = lintian ] || [ "$WHAT" = all ]; }; then
    run_lintian
fi
if [ $rc = 0 ] && { [ "$WHAT" = cycle ] || [ "$WHAT" = all ]; }; then
    set +e
    (set -e; cycle)
    c=$?
    set -e
    [ $c = 77 ] && [ "$WHAT" = cycle ] && { rm -rf "$SCRATCH"; exit 77; }
    [ $c != 0 ] && [ $c != 77 ] && FAILED=1
fi
[ -z "${KEEP:-}" ] && [ "$OUT" = "$SCRATCH/out" ] && rm -rf "$SCRATCH"
[ $FAILED = 0 ] && [ $rc = 0 ] && { say "ok"; exit 0; }
exit 1
