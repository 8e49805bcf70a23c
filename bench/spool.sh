#!/bin/sh
# spool.sh - what one spool event costs through the spool API, before and
# after issue 12 part 3, in one run (bench/spool_put.c):
#   before  wr_spool_put as the request wrote it: the record fsynced, then
#           new/ (two fsyncs in the serving process)
#   after   wr_spool_put as the request writes it now: no fsync; plus the
#           notifier's group commit (one syncfs) after N puts, shared by
#           them
# Prints the medians of REPS runs and the ratios after/before for the
# request path alone and with the commit's share added.
#
#   sh bench/spool.sh            (N=1000 REPS=5; files under $RUNDIR)
#
# The fsyncs' and the syncfs's times depend on the disk and on whatever
# else writes to that file system: quote the ratio with the machine's
# load. No port is opened; nothing outside $RUNDIR is written.
set -eu
cd "$(dirname "$0")/.."
N=${N:-1000}
REPS=${REPS:-5}
RUNDIR=${RUNDIR:-/tmp/wormreply-bench-spool}
case "$RUNDIR" in
/tmp/wormreply-bench*) ;;
*) echo "spool.sh: RUNDIR must be under /tmp/wormreply-bench*" >&2; exit 1;;
esac
case "$N" in ''|*[!0-9]*) echo "spool.sh: N=$N" >&2; exit 1;; esac
case "$REPS" in ''|*[!0-9]*) echo "spool.sh: REPS=$REPS" >&2; exit 1;; esac

make -f apxs.mk build/libwr.a >/dev/null
rm -rf "$RUNDIR"
mkdir -p "$RUNDIR/spools"
# shellcheck disable=SC2046
cc -std=gnu11 -O2 -Wall -Wextra -Werror $(apr-1-config --cflags --cppflags \
    --includes) -Imod_wormreply bench/spool_put.c -o "$RUNDIR/spool_put" \
    build/libwr.a $(apr-1-config --link-ld --libs)
"$RUNDIR/spool_put" "$RUNDIR/spools" "$N" "$REPS" | tee "$RUNDIR/out.txt"
line=$(grep '^SPOOLPUT' "$RUNDIR/out.txt")
rm -rf "$RUNDIR/spools"
echo "$line" | awk '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "\nper event through the spool API (medians of %d reps of %d puts):\n", v["reps"], v["n"]
    printf "  before (fsync of the record and of new/, in the request): %8.1f us\n", v["sync_us"]
    printf "  after, in the request (no fsync):                          %8.1f us  = %.4fx before\n", v["nosync_us"], v["nosync_us"] / v["sync_us"]
    printf "  after, with its share of one group commit per %d:        %8.1f us  = %.4fx before\n", v["n"], v["per_event_after_us"], v["per_event_after_us"] / v["sync_us"]
    printf "  (the group commit, one syncfs: %.2f ms)\n", v["commit_ms"]
}'
