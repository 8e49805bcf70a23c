#!/bin/sh
# fs_put.sh - the kernel's part of a first sighting on this machine's file
# system: one spool file per event as the request path writes it (create),
# the same without the inode allocation (reuse), and one append to an open
# file (append), each beside a consumer that unlinks and syncfs's as the
# notifier does (bench/fs_put.c). Prints the medians of REPS runs and the
# ratios against create, measured in the same run.
#
#   sh bench/fs_put.sh           (N=20000 REPS=3; files under $RUNDIR)
#
# RUNDIR is on the file system measured (the bench's spools are under
# /tmp too). Without a journal, ext4 skips every free inode of the group
# freed within the last 5 s (300 s more while its inode table block is
# dirty) when it allocates one (fs/ext4/ialloc.c, recently_deleted), so
# "create" then costs more the more files were deleted lately, by anyone:
# quote the figures with the load and the journal line this prints.
# PIN=1 runs the putting process on CPU 0, as bench/notices.sh runs httpd.
set -eu
cd "$(dirname "$0")/.."
N=${N:-20000}
REPS=${REPS:-3}
PIN=${PIN:-1}
RUNDIR=${RUNDIR:-/tmp/wormreply-bench-fsput}
case "$RUNDIR" in
/tmp/wormreply-bench*) ;;
*) echo "fs_put.sh: RUNDIR must be under /tmp/wormreply-bench*" >&2; exit 1;;
esac
case "$RUNDIR" in *[!A-Za-z0-9/._-]*)
    echo "fs_put.sh: RUNDIR: plain characters only" >&2; exit 1;;
esac
case "$N" in ''|*[!0-9]*) echo "fs_put.sh: N=$N" >&2; exit 1;; esac
case "$REPS" in ''|*[!0-9]*) echo "fs_put.sh: REPS=$REPS" >&2; exit 1;; esac

rm -rf "$RUNDIR"
mkdir -p "$RUNDIR/dirs"
cc -std=gnu11 -O2 -Wall -Wextra -Werror bench/fs_put.c -o "$RUNDIR/fs_put"

# the file system and whether it has a journal (ext4: /proc/fs/jbd2/DEV-8)
src=$(df --output=source "$RUNDIR" | tail -1)
fstype=$(findmnt -n -o FSTYPE --target "$RUNDIR" 2>/dev/null \
         || stat -f -c %T "$RUNDIR")
journal="no journal"
for j in /proc/fs/jbd2/"$(basename "$src")"-*; do
    if [ -e "$j" ]; then journal="journal"; fi
done
echo "== fs_put $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs, kernel $(uname -r);" \
     "$RUNDIR on $src ($fstype, $journal); load $(cut -d' ' -f1-3 /proc/loadavg)"

pin=""
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    pin="taskset -c 0"
fi
$pin "$RUNDIR/fs_put" "$RUNDIR/dirs" "$N" "$REPS" | tee "$RUNDIR/out.txt"
rm -rf "$RUNDIR/dirs"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^FSPUT' "$RUNDIR/out.txt" | awk '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    m = v["mode"]; sys[m] = v["sys_us"]; p50[m] = v["p50_us"]; p99[m] = v["p99_us"]
    n = v["n"]; reps = v["reps"]
} END {
    printf "\nper event, medians of %d reps of %d puts (kernel time of the putting process;\n", reps, n
    printf "wall time of one put):\n"
    split("create reuse append", ms, " ")
    for (k = 1; k <= 3; k++) {
        m = ms[k]
        printf "  %-7s sys %7.1f us (%.3fx create)   p50 %7.1f us   p99 %8.1f us\n",
               m, sys[m], sys[m] / sys["create"], p50[m], p99[m]
    }
    printf "  create: openat O_CREAT|O_EXCL + write + close + renameat (the request path now)\n"
    printf "  reuse:  the same on an existing empty file (no inode allocated)\n"
    printf "  append: one write(2) to a file held open with O_APPEND\n"
}'
