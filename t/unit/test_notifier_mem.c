/* test_notifier_mem.c - the notifier's memory stays flat while DNS never
 * answers.
 *
 * The real notifier loop (wr_notifier_run) works on a spool of EVENTS
 * events from 203.0.113.0/24, whose PTR queries the rig's unbound drops
 * (local-zone deny): every lookup times out and every event is given back
 * with a backoff (retry interval 1 ms). By default (WR_MEM_CHURN unset or
 * 1) each event given back is then dropped from new/ (as "wormreply queue
 * drop" does) and a new one from the same address spooled, so that
 * RETRIES distinct events pass through the notifier, one DNS timeout
 * each, while the spool holds EVENTS. With WR_MEM_CHURN=0 the same EVENTS
 * events are retried over and over. The run ends after RETRIES retries
 * (counted from the notifier's own WR00042 lines, not by time).
 *
 * The process's anonymous memory (/proc/self/smaps_rollup: Debian's APR
 * takes its pools' blocks with mmap, not malloc, so mallinfo would not
 * see them) and its RSS are taken at each tenth of the retries. Freed
 * memory goes back in steps (tables compacted, blocks beyond the
 * allocator's max_free returned), so the figures are a saw: the peak of
 * the second half of the run may not be GROWTH_MAX_KB above the peak of
 * the first. Before the fixes: every retry kept its next-try time and a
 * copy of the event's id in the notifier's long-lived pool (about 110
 * bytes per retry: +10 MB over 90,000 retries of 2,000 events); its
 * allocator kept every freed block for reuse (another +2.6 MB, slowing
 * down, over the same run); and the next-try times of events dropped
 * from the spool by someone else were never forgotten (+2.3 MB over
 * 18,000 events).
 *
 * WR_MEM_RETRIES and WR_MEM_EVENTS change the counts (bench/notifier_mem.sh
 * runs 100,000 of each kind), WR_DNS_PORT the rig's port; the spool lives
 * in /dev/shm when there is one (every give-back is fsynced), else in
 * /tmp.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_log.h"
#include "wr_notifier.h"
#include "wr_spool.h"

#define WARMUP_SHARE 10        /* the first tenth of the retries */
/* Under ASan freed memory waits in a quarantine of up to 256 MB, which
 * looks like growth: that build runs the loop (for ASan and UBSan to look
 * at it) with fewer retries and does not judge the memory. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#define DEFAULT_RETRIES 5000
#else
#define SANITIZED 0
#define DEFAULT_RETRIES 20000
#endif
#define GROWTH_MAX_KB 512

static volatile sig_atomic_t stop;
static long retries, target, warmup;
/* anonymous memory and RSS at each tenth of the retries (1..10) */
static long anon_at[WARMUP_SHARE + 1], rss_at[WARMUP_SHARE + 1];
/* churn mode: the test's own spool handle and one slot per live event
 * (event k comes from 203.0.113.(k % 250 + 1)); fixed memory, so that
 * what grows is the notifier's */
#define ID_MAX 64
static int churn;
static long churned;
static int nslots;
static char (*slot_id)[ID_MAX];
static wr_spool_t *feed;
static apr_pool_t *feed_pool;

/* slot_address - the source address of slot k */
static const char *slot_address(int k, char *buf, apr_size_t len)
{
    apr_snprintf(buf, len, "203.0.113.%d", k % 250 + 1);
    return buf;
}

/* spool_one - a new event into the spool for slot k */
static int spool_one(int k)
{
    char address[32];
    const char *id = NULL;
    apr_pool_t *tmp;
    wr_event_t ev;
    int ok;

    apr_pool_create(&tmp, feed_pool);
    memset(&ev, 0, sizeof(ev));
    ev.address = slot_address(k, address, sizeof(address));
    ev.family = "nimda";
    ev.vhost = "www.wr-notices.test";
    ev.first_seen = ev.last_seen = apr_time_now();
    ev.count = 1;
    ok = wr_spool_put(feed, &ev, &id, tmp) == APR_SUCCESS
         && strlen(id) < ID_MAX;
    if (ok) {
        strcpy(slot_id[k], id);
    }
    apr_pool_destroy(tmp);
    return ok;
}

/* replace_one - drop the event of `address` that was just given back
 * (in new/, tried before; the others of the address are claimed or not
 * tried yet) and spool a new one in its slot */
static void replace_one(const char *address)
{
    int a = atoi(address + sizeof("203.0.113.") - 1), k;

    if (strncmp(address, "203.0.113.", sizeof("203.0.113.") - 1) != 0
        || a < 1 || a > 250) {
        return;
    }
    for (k = a - 1; k < nslots; k += 250) {
        apr_pool_t *tmp;
        wr_event_t *ev;
        int gone = 0;

        apr_pool_create(&tmp, feed_pool);
        if (wr_spool_load(feed, WR_SPOOL_NEW, slot_id[k], &ev, tmp)
            == APR_SUCCESS && ev->attempts > 0) {
            gone = wr_spool_remove(feed, WR_SPOOL_NEW, slot_id[k], tmp)
                   == APR_SUCCESS;
        }
        apr_pool_destroy(tmp);
        if (gone) {
            churned += spool_one(k);
            return;
        }
    }
}

/* kb_of - a "Name:   N kB" line of a /proc/self file */
static long kb_of(const char *file, const char *name)
{
    FILE *f = fopen(file, "r");
    char line[256];
    long kb = -1;

    while (f && fgets(line, sizeof(line), f)) {
        if (!strncmp(line, name, strlen(name))) {
            kb = atol(line + strlen(name));
        }
    }
    if (f) {
        fclose(f);
    }
    return kb;
}

#define anon_kb() kb_of("/proc/self/smaps_rollup", "Anonymous:")
#define rss_kb() kb_of("/proc/self/status", "VmRSS:")

/* on_log - count the notifier's "try again later" lines; take the
 * figures at the warm-up point and stop at the target */
static void on_log(const char *file, int line, wr_log_level_t level,
                   apr_status_t rv, const char *msg, void *baton)
{
    (void)file;
    (void)line;
    (void)rv;
    (void)baton;
    if (level <= WR_LOG_ERR) {
        printf("# notifier: %s\n", msg);
    }
    if (strncmp(msg, "WR00042: ", 9) != 0) {
        return;
    }
    if (churn) {
        const char *colon = strchr(msg + 9, ':');
        if (colon) {
            char address[64];
            apr_size_t len = (apr_size_t)(colon - msg - 9);
            if (len < sizeof(address)) {
                memcpy(address, msg + 9, len);
                address[len] = '\0';
                replace_one(address);
            }
        }
    }
    if (++retries % warmup == 0 && retries / warmup <= WARMUP_SHARE) {
        long t = retries / warmup;
        anon_at[t] = anon_kb();
        rss_at[t] = rss_kb();
        printf("# retry %ld: anonymous memory %ld KB, RSS %ld KB\n",
               retries, anon_at[t], rss_at[t]);
        if (t == WARMUP_SHARE) {
            stop = 1;
        }
    }
}

int main(void)
{
    const char *port = getenv("WR_DNS_PORT");
    int events = getenv("WR_MEM_EVENTS") ? atoi(getenv("WR_MEM_EVENTS"))
                 : 1000;
    wr_notifier_conf_t c;
    apr_pool_t *pool, *np;
    apr_time_t t0;
    char *dir;
    long peak1 = 0, peak2 = 0;
    int k, put = 0;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    target = getenv("WR_MEM_RETRIES") ? atol(getenv("WR_MEM_RETRIES"))
             : DEFAULT_RETRIES;
    if (target < 10 * WARMUP_SHARE) {
        target = 10 * WARMUP_SHARE;
    }
    warmup = target / WARMUP_SHARE;
    dir = apr_pstrdup(pool, access("/dev/shm", W_OK) == 0
                            ? "/dev/shm/wr-notifier-mem-XXXXXX"
                            : "/tmp/wr-notifier-mem-XXXXXX");
    if (!check(mkdtemp(dir) != NULL, "a spool directory %s", dir)) {
        return done_testing();
    }
    churn = getenv("WR_MEM_CHURN") == NULL || atoi(getenv("WR_MEM_CHURN"));
    apr_pool_create(&feed_pool, pool);
    nslots = events;
    slot_id = apr_pcalloc(pool, (apr_size_t)events * ID_MAX);
    wr_spool_open(&feed, dir, 0, 0, pool);
    for (k = 0; k < events; k++) {
        put += spool_one(k);
    }
    check_int(put, events, "%d events spooled", events);

    memset(&c, 0, sizeof(c));
    c.spool_dir = dir;
    c.outbox_dir = dir;
    c.history_path = apr_pstrcat(pool, dir, "/history", NULL);
    c.resolvers = apr_psprintf(pool, "127.0.0.1:%s",
                               port && *port ? port : "15353");
    c.dns_timeout_ms = 20;
    c.dns_tries = 1;
    wr_ipset_create(&c.special, pool);
    c.mailboxes = apr_array_make(pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(c.mailboxes, const char *) = "abuse";
    c.from = "wormreply@wr-notices.test";
    c.server_name = "www.wr-notices.test";
    c.host_window = apr_time_from_sec(3600);
    c.digest_delay = apr_time_from_sec(60);
    c.domain_window = apr_time_from_sec(3600);
    c.retry_base = apr_time_from_msec(1);
    c.retry_max = apr_time_from_msec(1);
    c.poll_interval = apr_time_from_msec(50);
    c.max_per_hour = 100;

    wr_log_set(on_log, WR_LOG_INFO, NULL);
    apr_pool_create(&np, pool);
    t0 = apr_time_now();
    check_int(wr_notifier_run(&c, &stop, np), APR_SUCCESS,
              "the notifier ran until stopped");
    printf("# %ld DNS retries of %ld events in %.1f s%s\n", retries,
           events + churned, (apr_time_now() - t0) / 1e6,
           churn ? " (each event dropped after its retry, a new one spooled)"
                 : "");
    /* what is freed goes back in steps (pools compacted, blocks beyond
     * max_free returned), so the memory is a saw: a leak shows as a peak
     * of the second half of the run above the peak of the first */
    for (k = 1; k <= WARMUP_SHARE; k++) {
        long *peak = k <= WARMUP_SHARE / 2 ? &peak1 : &peak2;
        if (anon_at[k] > *peak) {
            *peak = anon_at[k];
        }
    }
    printf("# anonymous memory: %ld KB after %ld retries, %ld KB after "
           "%ld (%+ld KB); peaks %ld KB and %ld KB (%+ld KB)\n",
           anon_at[1], warmup, anon_at[WARMUP_SHARE], target,
           anon_at[WARMUP_SHARE] - anon_at[1], peak1, peak2, peak2 - peak1);
    printf("# RSS: %ld KB after %ld retries, %ld KB after %ld (%+ld KB)\n",
           rss_at[1], warmup, rss_at[WARMUP_SHARE], target,
           rss_at[WARMUP_SHARE] - rss_at[1]);
    check(retries >= target, "%ld DNS retries happened (every lookup timed "
          "out)", retries);
    if (churn) {
        check(churned >= target * 9 / 10, "%ld events replaced by new ones",
              churned);
    }
    if (SANITIZED) {
        printf("# ASan build: the memory is not judged (quarantine)\n");
    }
    check(SANITIZED || (peak1 > 0 && peak2 - peak1 < GROWTH_MAX_KB),
          "the anonymous memory's peak over retries %ld-%ld is less than "
          "%d KB above its peak over retries %ld-%ld (%+ld KB)",
          target / 2 + warmup, target, GROWTH_MAX_KB, warmup, target / 2,
          peak2 - peak1);
    apr_pool_destroy(np);
    if (system(apr_psprintf(pool, "rm -rf %s", dir)) != 0) {
        printf("# could not remove %s\n", dir);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
