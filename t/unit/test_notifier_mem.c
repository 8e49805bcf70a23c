/* test_notifier_mem.c - the notifier's memory stays flat while DNS never
 * answers.
 *
 * The real notifier loop (wr_notifier_run) works on a spool of EVENTS
 * events from 203.0.113.0/24, whose PTR queries the rig's unbound drops
 * (local-zone deny): every lookup times out, every event is given back
 * with a backoff (retry interval 1 ms) and claimed again, so the events
 * are retried over and over. The run ends after RETRIES DNS retries
 * (counted from the notifier's own WR00042 lines, not by time). The
 * process's anonymous memory (/proc/self/smaps_rollup: Debian's APR takes
 * its pools' blocks with mmap, not malloc, so mallinfo would not see them)
 * and the RSS are taken after the first tenth of the retries and at the
 * end: the anonymous memory may not grow by more than GROWTH_MAX. Before
 * the fix every retry kept its next-try time and a copy of the event's id
 * in the notifier's long-lived pool (about 110 bytes per retry: +10 MB
 * over 90,000 retries), and its allocator kept every freed block for
 * reuse, so that even what was freed never went back (another +2.6 MB,
 * slowing down, over the same run).
 *
 * WR_MEM_RETRIES and WR_MEM_EVENTS change the counts (bench/notifier_mem.sh
 * runs 100,000 retries), WR_DNS_PORT the rig's port; the spool lives in
 * /dev/shm when there is one (every give-back is fsynced), else in /tmp.
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
static long anon_warm, anon_end;
static long rss_warm, rss_end;

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
    if (strncmp(msg, "WR00042", 7) != 0) {
        return;
    }
    if (++retries == warmup) {
        anon_warm = anon_kb();
        rss_warm = rss_kb();
    }
    if (retries == target) {
        anon_end = anon_kb();
        rss_end = rss_kb();
        stop = 1;
    }
}

int main(void)
{
    const char *port = getenv("WR_DNS_PORT");
    int events = getenv("WR_MEM_EVENTS") ? atoi(getenv("WR_MEM_EVENTS"))
                 : 1000;
    wr_notifier_conf_t c;
    wr_spool_t *spool;
    apr_pool_t *pool, *np;
    apr_time_t t0;
    char *dir;
    int k, put = 0;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    target = getenv("WR_MEM_RETRIES") ? atol(getenv("WR_MEM_RETRIES"))
             : DEFAULT_RETRIES;
    warmup = target / WARMUP_SHARE;
    dir = apr_pstrdup(pool, access("/dev/shm", W_OK) == 0
                            ? "/dev/shm/wr-notifier-mem-XXXXXX"
                            : "/tmp/wr-notifier-mem-XXXXXX");
    if (!check(mkdtemp(dir) != NULL, "a spool directory %s", dir)) {
        return done_testing();
    }
    wr_spool_open(&spool, dir, 0, 0, pool);
    for (k = 0; k < events; k++) {
        wr_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.address = apr_psprintf(pool, "203.0.113.%d", k % 250 + 1);
        ev.family = "nimda";
        ev.vhost = "www.wr-notices.test";
        ev.first_seen = ev.last_seen = apr_time_now();
        ev.count = 1;
        put += wr_spool_put(spool, &ev, NULL, pool) == APR_SUCCESS;
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
    printf("# %ld DNS retries of %d events in %.1f s\n", retries, events,
           (apr_time_now() - t0) / 1e6);
    printf("# anonymous memory: %ld KB after %ld retries, %ld KB after "
           "%ld (%+ld KB)\n", anon_warm, warmup, anon_end, target,
           anon_end - anon_warm);
    printf("# RSS: %ld KB after %ld retries, %ld KB after %ld (%+ld KB)\n",
           rss_warm, warmup, rss_end, target, rss_end - rss_warm);
    check(retries >= target, "%ld DNS retries happened (every lookup timed "
          "out)", retries);
    if (SANITIZED) {
        printf("# ASan build: the memory is not judged (quarantine)\n");
    }
    check(SANITIZED
          || (anon_warm > 0 && anon_end - anon_warm < GROWTH_MAX_KB),
          "the anonymous memory grew by less than %d KB from retry %ld to "
          "%ld (%+ld KB)", GROWTH_MAX_KB, warmup, target,
          anon_end - anon_warm);
    apr_pool_destroy(np);
    if (system(apr_psprintf(pool, "rm -rf %s", dir)) != 0) {
        printf("# could not remove %s\n", dir);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
