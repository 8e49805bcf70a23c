/* test_seen.c - the lock-free per-source table: windows, quotas,
 * eviction, and no first sighting lost with several processes racing */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_general.h>
#include <apr_shm.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_seen.h"

#define SEC(n) apr_time_from_sec(n)
#define T0 (apr_time_from_sec(1714564800))   /* 2024-05-01 12:00:00 UTC */
#define WINDOW SEC(3600)

static apr_pool_t *pool;

/* table - a fresh table of `size` bytes in process memory */
static wr_seen_t *table(apr_size_t size)
{
    void *mem = apr_palloc(pool, size);
    wr_seen_t *seen = NULL;

    if (wr_seen_format(mem, size) != APR_SUCCESS
        || wr_seen_attach(&seen, mem, size, pool) != APR_SUCCESS) {
        return NULL;
    }
    return seen;
}

static wr_seen_e probe(wr_seen_t *seen, const char *key, const char *addr,
                       apr_time_t now, unsigned int quota)
{
    return wr_seen_probe(seen, key, strlen(key), addr, now, WINDOW, quota);
}

static void test_layout(void)
{
    char small[64], junk[4096];
    wr_seen_t *seen = NULL;

    check_int(wr_seen_format(small, sizeof(small)), APR_EINVAL,
              "format: a size below one set is refused");
    memset(junk, 'x', sizeof(junk));
    check_int(wr_seen_attach(&seen, junk, sizeof(junk), pool), APR_EINVAL,
              "attach: memory that holds no table is refused");
    seen = table(1 << 20);
    check(seen != NULL, "a 1 MB table");
    check(wr_seen_capacity(seen) >= (1 << 20) / wr_seen_bytes_per_entry()
                                    - WR_SEEN_WAYS
          && wr_seen_capacity(seen) <= (1 << 20) / wr_seen_bytes_per_entry(),
          "capacity: %lu entries of %lu bytes in 1 MB",
          (unsigned long)wr_seen_capacity(seen),
          (unsigned long)wr_seen_bytes_per_entry());
}

static void test_window(void)
{
    wr_seen_t *seen = table(1 << 20);
    wr_seen_rec_t rec;

    check_int(probe(seen, "192.0.2.1", "192.0.2.1", T0, 1), WR_SEEN_FIRST,
              "first probe of a source: first");
    check_int(probe(seen, "192.0.2.1", "192.0.2.1", T0 + SEC(1), 1),
              WR_SEEN_COUNTED, "second probe: counted");
    check_int(probe(seen, "192.0.2.2", "192.0.2.2", T0 + SEC(1), 1),
              WR_SEEN_FIRST, "another source: first");
    check_int(probe(seen, "192.0.2.1", "192.0.2.1", T0 + WINDOW - SEC(1), 1),
              WR_SEEN_COUNTED, "a second before the window ends: counted");
    check(wr_seen_lookup(seen, "192.0.2.1", 9, &rec), "lookup finds it");
    check_int(rec.count, 3, "three probes counted");
    check_int(rec.events, 1, "one event");
    check_int(rec.window_start, T0, "the window opened at the first probe");
    check_int(rec.last_seen, T0 + WINDOW - SEC(1), "last seen");
    check(!wr_seen_lookup(seen, "192.0.2.3", 9, &rec),
          "lookup of a source never seen: not found");
    check_int(probe(seen, "192.0.2.1", "192.0.2.1", T0 + WINDOW, 1),
              WR_SEEN_FIRST, "at first seen + window: a new window");
    wr_seen_lookup(seen, "192.0.2.1", 9, &rec);
    check_int(rec.count, 1, "the new window counts from one");
    check_int(probe(seen, "192.0.2.1", "192.0.2.1", T0 - SEC(2), 1),
              WR_SEEN_FIRST, "a clock gone back by more than a window: "
              "a new window rather than silence");
    check_int(wr_seen_probe(seen, "192.0.2.9", 9, "192.0.2.9", T0, 1, 1),
              WR_SEEN_FIRST, "a window below a second...");
    check_int(wr_seen_probe(seen, "192.0.2.9", 9, "192.0.2.9",
                            T0 + apr_time_from_msec(999), 1, 1),
              WR_SEEN_COUNTED, "...lasts one second");
}

static void test_quota(void)
{
    wr_seen_t *seen = table(1 << 20);
    const char *net = "2001:db8:1::/64";
    wr_seen_rec_t rec;
    int i, events = 0;

    check_int(probe(seen, net, "2001:db8:1::a", T0, 3), WR_SEEN_FIRST,
              "quota 3: first address of a prefix: first");
    check_int(probe(seen, net, "2001:db8:1::a", T0, 3), WR_SEEN_COUNTED,
              "the same address again: counted");
    check_int(probe(seen, net, "2001:db8:1::b", T0, 3), WR_SEEN_ADDRESS,
              "a second address: an event");
    check_int(probe(seen, net, "2001:db8:1::b", T0, 3), WR_SEEN_COUNTED,
              "the second address again: counted");
    check_int(probe(seen, net, "2001:db8:1::c", T0, 3), WR_SEEN_ADDRESS,
              "a third address: an event");
    for (i = 0; i < 5000; i++) {
        char a[64];
        apr_snprintf(a, sizeof(a), "2001:db8:1::%x", 0x1000 + i);
        events += probe(seen, net, a, T0 + SEC(1), 3) != WR_SEEN_HELD;
    }
    check_int(events, 0, "5,000 more addresses of the prefix: each held "
              "back, no event beyond the quota");
    check_int(probe(seen, net, "2001:db8:1::b", T0 + SEC(2), 3),
              WR_SEEN_COUNTED, "an address that had its event: counted");
    wr_seen_lookup(seen, net, strlen(net), &rec);
    check_int(rec.events, 3, "three events in the window");
    check_int(rec.count, 5006, "every probe counted");
    check_int(probe(seen, net, "2001:db8:1::d", T0 + WINDOW, 3),
              WR_SEEN_FIRST, "the next window starts the quota again");
    check_int(probe(seen, "x", "1", T0, 0), WR_SEEN_FIRST, "quota 0...");
    check_int(probe(seen, "x", "2", T0, 0), WR_SEEN_HELD,
              "...counts as 1");
    check_int(probe(seen, "y", "1", T0, 99), WR_SEEN_FIRST, "a quota over "
              "the addresses kept...");
    for (i = 2, events = 1; i < 40; i++) {
        events += probe(seen, "y", apr_itoa(pool, i), T0, 99)
                  == WR_SEEN_ADDRESS;
    }
    check_int(events, WR_SEEN_MAX_ADDRESSES, "...is cut to them");
}

/* the families that do not notify by themselves (WormReplyNotifyFamilies) */
static void test_notifying(void)
{
    wr_seen_t *seen = table(1 << 20);
    const char *net = "198.51.100.0/24";
    wr_seen_rec_t rec;

    check_int(wr_seen_probe_as(seen, net, strlen(net), "198.51.100.1", T0,
                               WINDOW, 2, 0),
              WR_SEEN_FIRST, "a probe that does not notify opens a window");
    wr_seen_lookup(seen, net, strlen(net), &rec);
    check(!rec.notifying, "the window has seen no probe that notifies");
    check_int(wr_seen_probe_as(seen, net, strlen(net), "198.51.100.1",
                               T0 + SEC(1), WINDOW, 2, 0),
              WR_SEEN_COUNTED, "another one: counted");
    check_int(wr_seen_probe_as(seen, net, strlen(net), "198.51.100.1",
                               T0 + SEC(2), WINDOW, 2, 1),
              WR_SEEN_NOTIFYING, "the first that notifies: an event");
    wr_seen_lookup(seen, net, strlen(net), &rec);
    check(rec.notifying, "the window remembers it");
    check_int(rec.events, 1, "the flag is not counted as an address");
    check_int(wr_seen_probe_as(seen, net, strlen(net), "198.51.100.1",
                               T0 + SEC(3), WINDOW, 2, 1),
              WR_SEEN_COUNTED, "the second that notifies: counted");
    check_int(wr_seen_probe_as(seen, net, strlen(net), "198.51.100.2",
                               T0 + SEC(3), WINDOW, 2, 0),
              WR_SEEN_ADDRESS, "a new address still has its event");
    check_int(wr_seen_probe_as(seen, net, strlen(net), "198.51.100.3",
                               T0 + SEC(3), WINDOW, 2, 1),
              WR_SEEN_HELD, "and the quota still holds");
    wr_seen_lookup(seen, net, strlen(net), &rec);
    check(rec.notifying && rec.events == 2, "two events, flag kept");
    check_int(wr_seen_probe_as(seen, "n", 1, "1", T0, WINDOW, 2, 1),
              WR_SEEN_FIRST, "a window opened by a probe that notifies...");
    check_int(wr_seen_probe_as(seen, "n", 1, "1", T0, WINDOW, 2, 1),
              WR_SEEN_COUNTED, "...has no second event for it");
    wr_seen_lookup(seen, "n", 1, &rec);
    check(rec.notifying && rec.events == 1, "flag set at the opening");
    check_int(wr_seen_probe_as(seen, net, strlen(net), "198.51.100.1",
                               T0 + WINDOW, WINDOW, 2, 0),
              WR_SEEN_FIRST, "the next window...");
    wr_seen_lookup(seen, net, strlen(net), &rec);
    check(!rec.notifying && rec.events == 1, "...starts without the flag");
}

static void test_eviction(void)
{
    /* one set: the ninth source evicts the oldest window */
    wr_seen_t *seen = table(64 + 8 * wr_seen_bytes_per_entry());
    char key[16];
    int i;

    check_int(wr_seen_capacity(seen), WR_SEEN_WAYS, "a table of one set");
    for (i = 0; i < WR_SEEN_WAYS; i++) {
        apr_snprintf(key, sizeof(key), "k%d", i);
        probe(seen, key, key, T0 + SEC(i), 1);
    }
    for (i = 0; i < WR_SEEN_WAYS; i++) {
        apr_snprintf(key, sizeof(key), "k%d", i);
        if (probe(seen, key, key, T0 + SEC(10), 1) != WR_SEEN_COUNTED) {
            break;
        }
    }
    check_int(i, WR_SEEN_WAYS, "a full set remembers all of its sources");
    check_int(probe(seen, "new", "new", T0 + SEC(11), 1), WR_SEEN_FIRST,
              "a ninth source is first");
    check_int(probe(seen, "k1", "k1", T0 + SEC(12), 1), WR_SEEN_COUNTED,
              "the second oldest is still known");
    check_int(probe(seen, "k0", "k0", T0 + SEC(12), 1), WR_SEEN_FIRST,
              "the oldest was forgotten: first again, never silenced");
}

static int barrier(volatile apr_uint32_t *arrived, apr_uint32_t want)
{
    long spin;

    apr_atomic_inc32(arrived);
    for (spin = 0; spin < 20000000L; spin++) {
        if (apr_atomic_read32(arrived) >= want) {
            return 1;
        }
        /* spin a little first, so that a process on the other CPU
         * leaves the barrier at the same moment as the last to arrive */
        if (spin > 200000) {
            sched_yield();
        }
    }
    return 0;
}

/* test_race - `nproc` processes probe the same `nkeys` sources at the
 * same moment, in step (a barrier per source): every source gets exactly
 * one "first" and each of its addresses exactly one event, none lost, no
 * duplicate while no set is full (a table of 16 MB for 20,000 sources),
 * and a NOTIFYING only where an address's event was for a family that
 * does not notify. Before the slots, a probe that found the window still
 * pending answered from the entry's old figures, with an event of its own
 * beside the opener's: 389 of 20,000 sources raced by 2 processes here. */
#define NPROC 4
#define NKEYS 20000
static void test_race(int nproc, int nkeys, int mixed)
{
    apr_size_t size = 16 << 20;
    apr_size_t words = (apr_size_t)nkeys * 8 + 2;
    apr_shm_t *shm;
    volatile apr_uint32_t *ev, *go, *arrived;
    wr_seen_t *seen;
    pid_t pids[NPROC];
    int k, i, lost = 0, dups = 0, firsts = 0, quiet = 0, extra = 0, ok = 1;
    int naddr = mixed ? 2 : 1;

    if (apr_shm_create(&shm, size + sizeof(apr_uint32_t) * words, NULL,
                       pool) != APR_SUCCESS) {
        check(0, "anonymous shared memory");
        return;
    }
    /* per source: events for address 0, for address 1, FIRSTs,
     * NOTIFYINGs, events of a family that notifies */
    ev = (volatile apr_uint32_t *)((char *)apr_shm_baseaddr_get(shm) + size);
    go = ev + (apr_size_t)nkeys * 8;
    arrived = go + 1;
    memset((void *)ev, 0, sizeof(apr_uint32_t) * words);
    wr_seen_format(apr_shm_baseaddr_get(shm), size);
    wr_seen_attach(&seen, apr_shm_baseaddr_get(shm), size, pool);
    for (k = 0; k < nproc; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            int spin = 0;
            /* start together (bounded: 10 s at most) */
            while (apr_atomic_read32(go) == 0 && spin++ < 10000) {
                usleep(1000);
            }
            /* all probe each source at once, in step. Mixed: processes
             * 0 and 2 from its address 0, 1 and 3 from its address 1,
             * quota 2, only process 0's family notifies; else one
             * address, quota 1, every family notifies */
            for (i = 0; i < nkeys; i++) {
                int n = i;
                volatile apr_uint32_t *e = ev + (apr_size_t)n * 8;
                char key[32], addr[40];
                wr_seen_e d;
                apr_snprintf(key, sizeof(key), "2001:db8:%x::/64", n);
                int a = mixed ? k % 2 : 0, notifies = !mixed || k == 0;
                apr_snprintf(addr, sizeof(addr), "2001:db8:%x::%d", n, a);
                d = wr_seen_probe_as(seen, key, strlen(key), addr,
                                     T0 + SEC(i / 1000), WINDOW, naddr,
                                     notifies);
                if (d == WR_SEEN_FIRST || d == WR_SEEN_ADDRESS) {
                    apr_atomic_inc32(&e[a]);
                    if (notifies) {
                        apr_atomic_inc32(&e[4]);
                    }
                }
                if (d == WR_SEEN_FIRST) {
                    apr_atomic_inc32(&e[2]);
                }
                if (d == WR_SEEN_NOTIFYING) {
                    apr_atomic_inc32(&e[3]);
                    apr_atomic_inc32(&e[4]);
                }
                if (!barrier(arrived, (apr_uint32_t)(nproc * (i + 1)))) {
                    _exit(1);
                }
            }
            _exit(0);
        }
        if (pids[k] < 0) {
            ok = 0;
        }
    }
    apr_atomic_set32(go, 1);
    for (k = 0; k < nproc; k++) {
        int st = 0;
        if (pids[k] > 0 && (waitpid(pids[k], &st, 0) != pids[k]
                            || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
            ok = 0;
        }
    }
    check(ok, "%d processes ran to the end", nproc);
    for (i = 0; i < nkeys; i++) {
        const volatile apr_uint32_t *e = ev + (apr_size_t)i * 8;
        for (k = 0; k < naddr; k++) {
            lost += e[k] == 0;
            dups += e[k] > 1 ? (int)e[k] - 1 : 0;
        }
        firsts += e[2] != 1;
        quiet += e[4] == 0;
        /* a NOTIFYING is owed only where an address's event was for a
         * family that does not notify: never when all do, at most once
         * in the mixed race (address 0's, taken by process 2) */
        extra += mixed ? e[3] > 1 : e[3] != 0;
    }
    check_int(lost, 0, "%d processes x %d sources x %d address(es): no "
              "address without its event", nproc, nkeys, naddr);
    check_int(dups, 0, "no address with two events");
    check_int(firsts, 0, "one FIRST per source");
    check_int(quiet, 0, "the probes that notify were heard at every source");
    check_int(extra, 0, "no NOTIFYING event beside one that notified");
}

/* test_contest - the race of one set: in each round CONTENDERS processes
 * probe the same new key while NOISE processes put other keys into the
 * same (only) set, with clocks older than the contested key's. The set
 * is full, so every insertion evicts; a process preempted between reading
 * the set and claiming a way acts on a stale view, and with entries of
 * older clocks arriving the contenders could claim two different ways and
 * both answer "first". The contested key is the newest entry of the set,
 * so it is never the one evicted in its round (with 8 ways, at most
 * CONTENDERS copies of it and the noise keys older): each round must have
 * exactly one "first" for it. (A noise probe descheduled between its
 * look at the set and its slot CAS, whose window was evicted meanwhile,
 * used to overwrite the contested window's slot 0 and give a second
 * contender FIRST: 1 round in 4,000 failed in about 1 run of 5 with the
 * CPUs busy.) Rounds are bounded; a round whose processes
 * do not all arrive within a bounded number of yields fails the test. */
#define CONTENDERS 3
#define NOISE 3
#define ROUNDS 4000
#define NOISE_KEYS 3
static void test_contest(void)
{
    apr_size_t size = 64 + WR_SEEN_WAYS * wr_seen_bytes_per_entry();
    apr_size_t words = 2 + ROUNDS;
    apr_shm_t *shm;
    volatile apr_uint32_t *firsts, *arrived, *failed;
    wr_seen_t *seen;
    pid_t pids[CONTENDERS + NOISE];
    int k, r, lost = 0, dups = 0, ok = 1, nproc = CONTENDERS + NOISE;
    apr_time_t win = apr_time_from_sec(1 << 30);

    if (apr_shm_create(&shm, 4096 + sizeof(apr_uint32_t) * words, NULL,
                       pool) != APR_SUCCESS) {
        check(0, "anonymous shared memory");
        return;
    }
    firsts = (volatile apr_uint32_t *)((char *)apr_shm_baseaddr_get(shm)
                                       + 4096);
    arrived = firsts + ROUNDS;
    failed = arrived + 1;
    memset((void *)firsts, 0, sizeof(apr_uint32_t) * words);
    wr_seen_format(apr_shm_baseaddr_get(shm), size);
    wr_seen_attach(&seen, apr_shm_baseaddr_get(shm), size, pool);
    check_int(wr_seen_capacity(seen), WR_SEEN_WAYS, "contest: one set");
    for (k = 0; k < nproc; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            unsigned int rnd = 2166136261u ^ (unsigned int)k;
            for (r = 0; r < ROUNDS; r++) {
                apr_time_t t = T0 + SEC(60 * (apr_time_t)r);
                char key[32];
                int i;
                if (k < CONTENDERS) {
                    /* one contender's clock 3 s ahead: whoever decides,
                     * the window must be one */
                    apr_snprintf(key, sizeof(key), "contested-%d", r);
                    wr_seen_e d = wr_seen_probe(seen, key, strlen(key), key,
                                                t + SEC(k == 0 ? 3 : 0),
                                                win, 1);
                    /* any answer that spools is the round's event */
                    if (d == WR_SEEN_FIRST || d == WR_SEEN_ADDRESS
                        || d == WR_SEEN_NOTIFYING) {
                        apr_atomic_inc32(&firsts[r]);
                    }
                }
                else {
                    for (i = 0; i < NOISE_KEYS; i++) {
                        rnd = rnd * 1103515245u + 12345u;
                        apr_snprintf(key, sizeof(key), "noise-%d-%d-%d", r,
                                     k, i);
                        /* older than the contested key, at times older
                         * than entries of earlier rounds */
                        wr_seen_probe(seen, key, strlen(key), key,
                                      t - SEC(1 + (rnd >> 8) % 150), win, 1);
                    }
                }
                if (!barrier(arrived, (apr_uint32_t)(nproc * (r + 1)))) {
                    apr_atomic_set32(failed, 1);
                    _exit(1);
                }
            }
            _exit(0);
        }
        if (pids[k] < 0) {
            ok = 0;
        }
    }
    for (k = 0; k < nproc; k++) {
        int st = 0;
        if (pids[k] > 0 && (waitpid(pids[k], &st, 0) != pids[k]
                            || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
            ok = 0;
        }
    }
    check(ok && !*failed, "contest: %d processes ran %d rounds", nproc,
          ROUNDS);
    for (r = 0; r < ROUNDS; r++) {
        lost += firsts[r] == 0;
        dups += firsts[r] > 1 ? (int)firsts[r] - 1 : 0;
    }
    check_int(lost, 0, "contest: %d rounds of %d processes on one new key "
              "and %d on others: no first sighting lost", ROUNDS,
              CONTENDERS, NOISE);
    check_int(dups, 0, "contest: no round had two");
}

int main(void)
{
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    test_layout();
    test_window();
    test_quota();
    test_notifying();
    test_eviction();
    test_race(2, NKEYS, 0);
    test_race(NPROC, NKEYS / 5, 1);
    test_contest();
    return done_testing();
}
