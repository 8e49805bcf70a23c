# shellcheck shell=bash
# delivery-lib.sh - helpers for bench/delivery.sh: the run's own DNS and
# SMTP rigs, the notifier's and unbound's CPU time, the other processes'
# CPU time, a /proc/stat sampler and the CPUs' busy share over a window,
# the SMTP connections in exim's log, the Maildir count. Sourced after
# common.sh, confs.sh and notices-lib.sh, not run. Expects RUNDIR, TOP,
# RIGDIR, DNS_PORT, SMTP_PORT, SMTP_NOTLS_PORT, CPU_SRV and CPU_RIG (arrays,
# possibly empty) to be set.

# rig VERB NAME - t/rig/NAME.sh VERB with this run's state directory and
# ports (never the checkout's t/rig/run); output to out/rig-NAME-VERB.txt
rig() {
    local verb=$1 name=$2
    WR_RIG_DIR="$RIGDIR" WR_DNS_PORT="$DNS_PORT" WR_SMTP_PORT="$SMTP_PORT" \
        WR_SMTP_NOTLS_PORT="$SMTP_NOTLS_PORT" \
        "${CPU_RIG[@]}" sh "$TOP/t/rig/$name.sh" "$verb" \
        >"$RUNDIR/out/rig-$name-$verb.txt" 2>&1
}

# rigs_stop - stop both rigs of this run, if their state is there (the
# scripts only signal the pids they recorded themselves)
rigs_stop() {
    if [ -d "$RIGDIR/smtp" ]; then
        rig stop smtp || log "smtp rig: $(tail -1 "$RUNDIR/out/rig-smtp-stop.txt")"
    fi
    if [ -d "$RIGDIR/dns" ]; then
        rig stop dns || log "dns rig: $(tail -1 "$RUNDIR/out/rig-dns-stop.txt")"
    fi
    return 0
}

# stop_strays_of NAME - like stop_strays, for the httpd config NAME only
# (the other servers of the run keep running): a process whose command
# line names $RUNDIR/conf/NAME.conf, such as a notifier left by its parent
stop_strays_of() {
    local d pid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [ "$pid" = "$$" ] && continue
        ours "$pid" || continue
        tr '\0' ' ' <"$d/cmdline" 2>/dev/null \
            | grep -qF "$RUNDIR/conf/$1.conf " && stop_pid "$pid" 5
    done
    return 0
}

# ppid_of PID - the parent of PID
ppid_of() {
    awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null
}

# threads_of PID - its number of threads
threads_of() {
    awk '$1 == "Threads:" { print $2 }' "/proc/$1/status" 2>/dev/null
}

# children PID - the pids whose parent is PID
children() {
    local d pid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [ "$(ppid_of "$pid")" = "$1" ] && echo "$pid"
    done
    return 0
}

# notifier_of NAME - the notifier of the private httpd NAME: the parent's
# one single-threaded child (the mpm_event workers run ThreadsPerChild + 2
# threads); empty when there is none
notifier_of() {
    local parent c
    parent=$(cat "$RUNDIR/run/$1/httpd.pid" 2>/dev/null) || return 0
    ours "$parent" || return 0
    for c in $(children "$parent"); do
        if [ "$(threads_of "$c")" = 1 ]; then
            echo "$c"
            return 0
        fi
    done
    return 0
}

# pid_ticks PID - cpu_ticks of PID; 0 when PID is empty or gone
pid_ticks() {
    local v=""
    case "$1" in
    ''|*[!0-9]*) ;;
    *) v=$(cpu_ticks "$1" || true);;
    esac
    echo "${v:-0}"
}

# all_ticks PID - user + system CPU of PID and of the children it reaped
# (the notifier's: its own and that of its session processes); 0 when PID
# is empty or gone
all_ticks() {
    local v=""
    case "$1" in
    ''|*[!0-9]*) ;;
    *) v=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' \
               "/proc/$1/stat" 2>/dev/null || true);;
    esac
    echo "${v:-0}"
}

# tree_ticks PID - user + system CPU of PID and of every live descendant,
# each with the children it reaped (the notifier's: itself, its delivery
# process and that one's session processes, running or ended); 0 when PID
# is empty or gone
tree_ticks() {
    case "$1" in
    ''|*[!0-9]*) echo 0; return 0;;
    esac
    # processes end while they are read: cat's complaint is no failure
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '
        { pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
          ppid[pid] = f[2]; t[pid] = f[12] + f[13] + f[14] + f[15] }
        END { s = 0
              for (p in t) {
                  q = p; n = 0
                  while (q != "" && q != root && q != 0 && q != 1 && n++ < 64) {
                      q = ppid[q]
                  }
                  if (q == root) { s += t[p] }
              }
              print s + 0 }'
}

# foreign_snapshot FILE - "pid ticks command" of every process that is not this
# run's: not a kernel thread, no $RUNDIR/ on its command line (our httpd,
# their notifiers, the rigs, the clients), not a descendant of this script
# (wrk, the samplers). Compared with foreign_ticks, it tells whether
# something else took CPU during a measurement (the machine is shared).
foreign_snapshot() {
    perl -e '
        my ($rundir, $me) = @ARGV;
        my (%ppid, %cmd, %ticks);
        for my $d (glob "/proc/[0-9]*") {
            my ($p) = $d =~ m{(\d+)$};
            open my $f, "<", "$d/stat" or next;
            my $s = <$f> // next;
            $s =~ s/^.*\) //;
            my @f = split " ", $s;
            $ppid{$p} = $f[1];
            $ticks{$p} = $f[11] + $f[12];
            open my $c, "<", "$d/cmdline" or next;
            local $/;
            $cmd{$p} = <$c> // "";
        }
        for my $p (sort { $a <=> $b } keys %ticks) {
            next if $p == 2 || $ppid{$p} == 2 || ($cmd{$p} // "") eq "";
            next if index($cmd{$p}, $rundir) >= 0;
            my ($q, $mine) = ($p, 0);
            for (1 .. 64) {
                if ($q == $me) { $mine = 1; last }
                $q = $ppid{$q} // 0;
                last if $q <= 1;
            }
            (my $c = $cmd{$p}) =~ tr/\0/ /;
            print "$p $ticks{$p} ", substr($c, 0, 120), "\n" unless $mine;
        }' "$RUNDIR/" "$$" >"$1" 2>/dev/null || : >"$1"
}

# foreign_ticks BEFORE AFTER - CPU ticks the foreign processes of AFTER
# used since BEFORE (a process new in AFTER counts in full)
foreign_ticks() {
    awk 'NR == FNR { t[$1] = $2; next }
         { d = $2 - ($1 in t ? t[$1] : 0); if (d > 0) s += d }
         END { print s + 0 }' "$1" "$2"
}

# foreign_top BEFORE AFTER - the foreign processes that used CPU since
# BEFORE, most first: "ticks pid command"
foreign_top() {
    awk 'NR == FNR { t[$1] = $2; next }
         { d = $2 - ($1 in t ? t[$1] : 0)
           if (d > 0) { $2 = ""; print d, $0 } }' "$1" "$2" | sort -rn | head -5
}

# mailcount OUTBOX TAG - lib/maildir-count.pl over the rig's Maildir for
# the notices of OUTBOX; its result line's fields into R[mc.TAG.*]
mailcount() {
    local out="$RUNDIR/out/maildir-$2.txt" line kv
    timeout 120 perl "$TOP/bench/lib/maildir-count.pl" \
        "$RIGDIR/smtp/Maildir" "$1" >"$out" 2>&1 \
        || die "maildir-count failed: $(tail -2 "$out")"
    line=$(grep '^MAILRESULT ' "$out" | tail -1)
    [ -n "$line" ] || die "no MAILRESULT line in $out"
    # R is the caller's associative array
    # shellcheck disable=SC2034,SC2154
    for kv in ${line#MAILRESULT }; do
        R[mc.$2.${kv%%=*}]=${kv#*=}
    done
}

# secs A_NS B_NS - (B - A) in seconds, two decimals
secs() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }'
}

# CPU_SAMPLER_PL - perl -e "$CPU_SAMPLER_PL" SECONDS OUT: /proc/stat every
# 0.05 s, for at most SECONDS and only while its parent lives, one line a
# sample into OUT:
#   TIME NAME:BUSY:IOWAIT:TOTAL ...   (NAME cpu, cpu0, cpu1, ...; jiffies)
# BUSY is user + nice + system + irq + softirq (idle, iowait and a
# hypervisor's steal left out), TOTAL all eight. Started in the background
# as a simple command (so that $! is the sampler itself, which the caller
# stops by that pid), with fd 9 (the run's lock) closed.
# shellcheck disable=SC2016,SC2034
CPU_SAMPLER_PL='
    use strict; use warnings; use Time::HiRes qw(time sleep);
    my ($secs, $out) = @ARGV;
    open my $o, ">", $out or die "$out: $!\n";
    select((select($o), $| = 1)[0]);
    my ($end, $parent) = (time + $secs, getppid);
    while (time < $end && getppid == $parent) {
        open my $f, "<", "/proc/stat" or die "/proc/stat: $!\n";
        my @s;
        while (<$f>) {
            last unless /^cpu/;
            my ($n, @v) = split;
            $v[$_] //= 0 for 0 .. 7;
            my $busy = $v[0] + $v[1] + $v[2] + $v[5] + $v[6];
            my $tot = 0;
            $tot += $v[$_] for 0 .. 7;
            push @s, "$n:$busy:$v[4]:$tot";
        }
        close $f;
        printf $o "%.6f %s\n", time, join " ", @s;
        sleep 0.05;
    }'

# cpu_window FILE A B CPU... - from the sampler's FILE (CPU_SAMPLER_PL),
# the share of each CPU (0, 1, ... or "all": the machine) that was busy
# and that was iowait between the epoch times A and B (from the last sample
# at or before A to the first at or after B), in percent:
# "CPU:BUSY:IOWAIT ..."; "n/a" when the samples do not cover the window
cpu_window() {
    local f=$1 a=$2 b=$3
    shift 3
    awk -v a="$a" -v b="$b" -v want="$*" '
        { t[NR] = $1; for (i = 2; i <= NF; i++) { split($i, x, ":")
              busy[NR, x[1]] = x[2]; iow[NR, x[1]] = x[3]; tot[NR, x[1]] = x[4] } }
        END {
            ia = 0; ib = 0
            for (i = 1; i <= NR; i++) {
                if (t[i] <= a) ia = i
                if (!ib && t[i] >= b) ib = i
            }
            n = split(want, w, " ")
            for (k = 1; k <= n; k++) {
                c = (w[k] == "all") ? "cpu" : "cpu" w[k]
                out = out sep w[k] ":"
                sep = " "
                if (!ia || !ib || ib <= ia || tot[ib, c] <= tot[ia, c]) {
                    out = out "n/a:n/a"; continue
                }
                d = tot[ib, c] - tot[ia, c]
                out = out sprintf("%.0f:%.0f", (busy[ib, c] - busy[ia, c]) * 100 / d,
                                  (iow[ib, c] - iow[ia, c]) * 100 / d)
            }
            print out
        }' "$f"
}

# smtp_log_lines - lines in the SMTP rig's exim mainlog so far
smtp_log_lines() {
    if [ -r "$RIGDIR/smtp/log/mainlog" ]; then
        wc -l <"$RIGDIR/smtp/log/mainlog"
    else
        echo 0
    fi
}

# smtp_connections FROM - "COUNT MAX": the SMTP connections exim logged
# after line FROM of its mainlog, and the highest "TCP/IP connection
# count" it logged with them (the connections it had at once, the new one
# included, and one whose process had not quite ended yet)
smtp_connections() {
    tail -n +"$(( $1 + 1 ))" "$RIGDIR/smtp/log/mainlog" 2>/dev/null \
        | awk 'match($0, /SMTP connection from .*connection count = [0-9]+/) {
                   n++
                   match($0, /connection count = [0-9]+/)
                   c = substr($0, RSTART + 19, RLENGTH - 19) + 0
                   if (c > m) m = c }
               END { print n + 0, m + 0 }'
}

# unbound_ticks - CPU ticks of the DNS rig's unbound (0 when not running)
unbound_ticks() {
    pid_ticks "$(cat "$RIGDIR/dns/dns.pid" 2>/dev/null || true)"
}
