#!/bin/bash
# report.sh - what "wormreply report" costs on the shared corpus log, next
# to GoAccess (Debian's package) reporting on the same file, and next to a
# plain read of the file as the floor
#
#   bash bench/report.sh            # about a minute; RUNS=5 by default
#
# For the corpus (t/data/access-sample.log.gz, uncompressed first) and for
# the corpus repeated ten times, each command runs RUNS times under
# /usr/bin/time; the median wall time and the median peak RSS are kept.
# Printed: a table, lines per second, and the ratios the issue asks for
# (wormreply >= 5x GoAccess's lines/s; wormreply's peak RSS the same
# within 10 % on x1 and x10, and below GoAccess's). Every ratio compares
# figures of the same run. Files live in $RUNDIR; nothing else is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
RUNS=${RUNS:-5}
RUNDIR=${RUNDIR:-/tmp/wormreply-bench-report}
CLI=$top/tools/wormreply
GZ=$top/t/data/access-sample.log.gz

die() { echo "bench/report: $*" >&2; exit 1; }
need() {
    command -v "$1" >/dev/null 2>&1 \
        || die "$1 not found (Debian package $2): run bench/install-deps.sh"
}
need goaccess goaccess
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package time)"
case "$RUNDIR" in /tmp/?*) ;; *) die "RUNDIR must be under /tmp";; esac
case "$RUNS" in ''|*[!0-9]*|0) die "RUNS must be a positive number";; esac

make -f apxs.mk cli >/dev/null || die "the CLI does not build"
rm -rf "$RUNDIR"
mkdir -p "$RUNDIR/out"
trap 'rm -f "$RUNDIR/corpus-x10.log"' EXIT
gzip -dc "$GZ" > "$RUNDIR/corpus.log"
for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$RUNDIR/corpus.log"; done \
    > "$RUNDIR/corpus-x10.log"

# median - the middle of the numbers on stdin (the lower middle for an
# even count)
median() {
    sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# measure NAME INPUT CMD... - RUNS runs of CMD (INPUT substituted for
# @IN@), stdout to a file; sets WALL (s) and RSS (KB), the medians
measure() {
    local name=$1 input=$2 i t0 t1
    shift 2
    local args=()
    for a in "$@"; do args+=("${a//@IN@/$input}"); done
    : > "$RUNDIR/out/$name.times"
    for i in $(seq 1 "$RUNS"); do
        # wall time from the clock in ns (time(1) rounds to 10 ms, too
        # coarse for the floor), peak RSS from time(1)
        t0=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$RUNDIR/out/$name.t" \
            "${args[@]}" > "$RUNDIR/out/$name.stdout" 2> "$RUNDIR/out/$name.err" \
            || die "$name failed: $(tail -3 "$RUNDIR/out/$name.err")"
        t1=$(date +%s%N)
        echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }') $(cat "$RUNDIR/out/$name.t")" \
            >> "$RUNDIR/out/$name.times"
    done
    WALL=$(awk '{ print $1 }' "$RUNDIR/out/$name.times" | median)
    RSS=$(awk '{ print $2 }' "$RUNDIR/out/$name.times" | median)
}

declare -A wall rss lines
for x in 1 10; do
    in=$RUNDIR/corpus.log
    [ "$x" = 10 ] && in=$RUNDIR/corpus-x10.log
    lines[$x]=$(wc -l < "$in")
    echo "bench/report: x$x (${lines[$x]} lines, $(du -m "$in" | cut -f1) MB), $RUNS runs each" >&2
    measure "cat-x$x" "$in" cat @IN@
    wall[cat$x]=$WALL; rss[cat$x]=$RSS
    measure "wormreply-x$x" "$in" "$CLI" report --format html -q @IN@
    wall[wr$x]=$WALL; rss[wr$x]=$RSS
    measure "wormreply-json-x$x" "$in" "$CLI" report --format json -q @IN@
    wall[wrj$x]=$WALL; rss[wrj$x]=$RSS
    measure "goaccess-x$x" "$in" goaccess @IN@ --log-format=COMBINED \
        --no-global-config --no-progress -o "$RUNDIR/out/goaccess-x$x.html"
    wall[ga$x]=$WALL; rss[ga$x]=$RSS
done

# the reports must describe the same input: the probes of x10 are ten
# times those of x1
probes() { perl -MJSON::PP -0777 -ne 'print decode_json($_)->{probes}' "$1"; }
p1=$(probes "$RUNDIR/out/wormreply-json-x1.stdout")
p10=$(probes "$RUNDIR/out/wormreply-json-x10.stdout")
[ -n "$p1" ] && [ "$p10" = $((10 * p1)) ] \
    || die "x10 report has $p10 probes, not 10 x $p1"

# rate LINES SECONDS - lines per second
rate() { awk -v l="$1" -v s="$2" 'BEGIN { printf "%.0f", l / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }

printf '\n%-26s %6s %10s %14s %10s\n' "command" "input" "wall (s)" "lines/s" "peak RSS"
for x in 1 10; do
    for k in cat wr wrj ga; do
        case $k in
            cat) n="cat (the floor)";;
            wr) n="wormreply report --html";;
            wrj) n="wormreply report --json";;
            ga) n="goaccess -o html";;
        esac
        printf '%-26s %6s %10s %14s %7s MB\n' "$n" "x$x" "${wall[$k$x]}" \
            "$(rate "${lines[$x]}" "${wall[$k$x]}")" \
            "$(awk -v k="${rss[$k$x]}" 'BEGIN { printf "%.1f", k / 1024 }')"
    done
done

echo
echo "ratios (same run, medians of $RUNS):"
for x in 1 10; do
    echo "  x$x: wormreply lines/s / goaccess lines/s  = $(ratio "${wall[ga$x]}" "${wall[wr$x]}")  (target >= 5)"
    echo "  x$x: wormreply wall / cat wall (floor)     = $(ratio "${wall[wr$x]}" "${wall[cat$x]}")"
done
echo "  peak RSS wormreply x10 / x1                = $(ratio "${rss[wr10]}" "${rss[wr1]}")  (target <= 1.10)"
echo "  peak RSS wormreply x1 / goaccess x1        = $(ratio "${rss[wr1]}" "${rss[ga1]}")  (target < 1)"
echo "  peak RSS wormreply x10 / goaccess x10      = $(ratio "${rss[wr10]}" "${rss[ga10]}")"
echo
echo "raw times (wall s, peak RSS KB per run): $RUNDIR/out/*.times"
