/* spool_put.c - what one spool event costs through the spool API, the way
 * the request path wrote it before issue 12 part 3 (wr_spool_put with two
 * fsyncs: the record, then new/) and the way it writes it now (no fsync;
 * the notifier's group commit, wr_spool_commit, after the batch). Built
 * and run by bench/spool.sh.
 *
 *   spool_put DIR N REPS
 *
 * Each rep puts N events with sync into DIR/sync-R, then N without into
 * DIR/nosync-R followed by one group commit; prints one line per rep and
 * the medians:
 *   SPOOLPUT sync_us=.. nosync_us=.. commit_ms=.. per_event_after_us=..
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "wr_spool.h"

#define REPS_MAX 15

/* cmp_dbl - qsort order */
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* median - of `n` values (sorted in place) */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* puts - `n` events into a fresh spool at `dir`; the microseconds they
 * took, and (without sync) those of the group commit after them */
static int put_batch(const char *dir, int sync, int n, double *put_us,
                     double *commit_us, apr_pool_t *p)
{
    apr_pool_t *it;
    wr_spool_t *sp;
    wr_event_t ev;
    apr_time_t t0;
    int i;

    if (wr_spool_open(&sp, dir, 0, 0, p) != APR_SUCCESS) {
        fprintf(stderr, "spool_put: cannot open %s\n", dir);
        return 1;
    }
    wr_spool_set_sync(sp, sync);
    memset(&ev, 0, sizeof(ev));
    ev.address = "2001:db8:b::1";
    ev.family = "codered";
    ev.vhost = "www.wr-bench.test";
    ev.first_seen = ev.last_seen = apr_time_now();
    ev.count = 1;
    ev.nlines = 1;
    ev.lines[0] = "GET /default.ida?NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN"
                  "%u9090%u6858%ucbd3%u7801=a HTTP/1.0";
    apr_pool_create(&it, p);
    t0 = apr_time_now();
    for (i = 0; i < n; i++) {
        apr_pool_clear(it);
        if (wr_spool_put(sp, &ev, NULL, it) != APR_SUCCESS) {
            fprintf(stderr, "spool_put: put %d failed\n", i);
            return 1;
        }
    }
    *put_us = (double)(apr_time_now() - t0) / n;
    *commit_us = 0;
    if (!sync) {
        t0 = apr_time_now();
        if (wr_spool_commit(sp, p) != APR_SUCCESS) {
            fprintf(stderr, "spool_put: the group commit failed\n");
            return 1;
        }
        *commit_us = (double)(apr_time_now() - t0);
    }
    apr_pool_destroy(it);
    return 0;
}

int main(int argc, char **argv)
{
    double s[REPS_MAX], ns[REPS_MAX], c[REPS_MAX], after[REPS_MAX], dummy;
    apr_pool_t *p;
    int n, reps, r;

    if (argc != 4 || (n = atoi(argv[2])) < 1 || n > 100000
        || (reps = atoi(argv[3])) < 1 || reps > REPS_MAX) {
        fprintf(stderr, "usage: spool_put DIR N(1..100000) REPS(1..%d)\n",
                REPS_MAX);
        return 2;
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    for (r = 0; r < reps; r++) {
        if (put_batch(apr_psprintf(p, "%s/sync-%d", argv[1], r), 1, n,
                      &s[r], &dummy, p)
            || put_batch(apr_psprintf(p, "%s/nosync-%d", argv[1], r), 0, n,
                         &ns[r], &c[r], p)) {
            return 1;
        }
        after[r] = ns[r] + c[r] / n;
        printf("rep %d: %d puts: with fsyncs %.1f us each; without %.1f us "
               "each, then one group commit %.2f ms (%.2f us per event)\n",
               r + 1, n, s[r], ns[r], c[r] / 1000, c[r] / n);
    }
    printf("SPOOLPUT n=%d reps=%d sync_us=%.2f nosync_us=%.2f commit_ms=%.3f "
           "per_event_after_us=%.2f\n", n, reps, median(s, reps),
           median(ns, reps), median(c, reps) / 1000, median(after, reps));
    apr_terminate();
    return 0;
}
