/* wr_notifier_deliver.c - after the outbox: the deliverer child and its
 * passes, the notices kept for pickup, the spool's and outbox's gauges */
#include <string.h>
#include <sys/wait.h>

#include <apr_strings.h>

#include "wr_file.h"
#include "wr_log.h"
#include "wr_notifier_int.h"
#include "wr_proc.h"
#include "wr_proctitle.h"

/* A deliverer is started at least this often, for the notices that come
 * due by their own clock (retries), not only when new ones are queued. */
#define DELIVER_EVERY apr_time_from_sec(2)
/* A deliverer starts no new pass after this; the next one goes on. */
#define DELIVERER_MAX_TIME apr_time_from_sec(60)

/* account - a delivery pass in the log and the counters */
static void account(notifier_t *n, const wr_delivery_stats_t *st)
{
    if (st->session) {
        wr_log_perror(WR_LOG_MARK,
                      st->error ? WR_LOG_WARNING : WR_LOG_NOTICE, 0,
                      WRLOGNO(00060)
                      "delivery: %d sent, %d deferred, %d failed, %d expired"
                      " in %d session%s%s%s", st->sent, st->deferred,
                      st->failed, st->expired, st->sessions,
                      st->sessions == 1 ? "" : "s", st->error ? "; " : "",
                      st->error ? st->error : "");
    }
    if (n->slot) {
        n->slot->smtp_sent += (apr_uint64_t)st->sent;
        n->slot->smtp_deferred += (apr_uint64_t)st->deferred;
        n->slot->smtp_failed += (apr_uint64_t)(st->failed + st->expired);
        n->slot->smtp_suppressed += (apr_uint64_t)st->suppressed;
        n->slot->smtp_retries += (apr_uint64_t)st->deferred;
    }
}

/* deliver - delivery passes until one finds nothing to send, `*stop`, or
 * `until`: each pass re-reads the outbox, so notices queued meanwhile go
 * in the next one */
static void deliver(notifier_t *n, apr_time_t until, apr_pool_t *p)
{
    apr_pool_t *pass;
    int k;

    apr_pool_create(&pass, p);
    for (k = 0; k < 100000 && !*n->stop && apr_time_now() < until; k++) {
        wr_delivery_stats_t st;
        apr_status_t rv;

        apr_pool_clear(pass);
        memset(&st, 0, sizeof(st));
        rv = wr_delivery_run(n->conf->delivery, apr_time_now(), &st, pass);
        if (rv != APR_SUCCESS) {
            if (!APR_STATUS_IS_EAGAIN(rv)) {
                wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00059)
                              "delivery: cannot read the outbox %s",
                              n->conf->outbox_dir);
            }
            break;
        }
        account(n, &st);
        if (st.attempted == 0) {
            break;
        }
    }
    apr_pool_destroy(pass);
}

int wr_notifier_deliver_reap(notifier_t *n)
{
    int status = 0;

    if (n->deliverer <= 0) {
        return 1;
    }
    if (!wr_proc_reap(n->deliverer, 0, &status)) {
        return 0;
    }
    if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, 0, WRLOGNO(00061)
                      "delivery process %ld ended abnormally (%s %d); what "
                      "it had not sent stays queued", (long)n->deliverer,
                      WIFSIGNALED(status) ? "signal" : "status",
                      WIFSIGNALED(status) ? WTERMSIG(status)
                                          : WEXITSTATUS(status));
    }
    n->deliverer = 0;
    return 1;
}

void wr_notifier_deliver_kick(notifier_t *n, apr_time_t now)
{
    pid_t pid;
    apr_status_t rv;

    if (!n->conf->smarthost || !n->conf->delivery
        || !wr_notifier_deliver_reap(n)) {
        return;
    }
    if (n->queued == 0 && now - n->deliverer_started < DELIVER_EVERY
        && now >= n->deliverer_started) {
        return;
    }
    n->deliverer_started = now;
    n->queued = 0;
    /* asked to stop (wr_proc.h), it ends after its current pass */
    if ((rv = wr_proc_fork(&pid, NULL)) == APR_SUCCESS && pid == 0) {
        apr_pool_t *p;

        apr_pool_create(&p, NULL);
        wr_proctitle_set("wormreply deliverer");
        deliver(n, now + DELIVERER_MAX_TIME, p);
        wr_proc_exit(0);
    }
    if (rv != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, rv,
                      WRLOGNO(00062) "cannot start a delivery process; "
                      "delivering from the notifier");
        deliver(n, now + apr_time_from_sec(1), n->scratch);
        return;
    }
    n->deliverer = pid;
}

/* span - a retention in the directives' words: 30d, 12h, 90m, 45s */
static const char *span(apr_interval_time_t t, apr_pool_t *p)
{
    apr_int64_t s = (apr_int64_t)apr_time_sec(t);

    return s % 86400 == 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT "d", s / 86400)
           : s % 3600 == 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT "h", s / 3600)
           : s % 60 == 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT "m", s / 60)
           : apr_psprintf(p, "%" APR_INT64_T_FMT "s", s);
}

void wr_notifier_pickup(notifier_t *n, apr_time_t now)
{
    const wr_notifier_conf_t *c = n->conf;
    wr_outbox_pickup_t st;
    apr_status_t rv;

    n->last_pickup = now;
    if (n->outbox == NULL) {
        return;
    }
    rv = wr_outbox_pickup(n->outbox, !c->smarthost, c->outbox_retention, now,
                          &st, n->scratch);
    if (rv != APR_SUCCESS) {
        char ebuf[128];

        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING,
                      WR_FILE_IS_REFUSED(rv) ? 0 : rv, WRLOGNO(00604)
                      "outbox: cannot keep notices for pickup in %s%s%s",
                      c->outbox_dir, WR_FILE_IS_REFUSED(rv) ? ": " : "",
                      WR_FILE_IS_REFUSED(rv)
                      ? wr_file_strerror(rv, ebuf, sizeof(ebuf)) : "");
        return;
    }
    if (n->slot) {
        n->slot->outbox_kept = c->smarthost ? 0 : (apr_uint64_t)st.kept;
    }
    if (st.pruned > 0 || st.errors > 0) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00603)
                      "outbox: %d notice%s kept for pickup longer than %s "
                      "removed (WormReplyOutboxRetention)%s", st.pruned,
                      st.pruned == 1 ? "" : "s",
                      span(c->outbox_retention, n->scratch),
                      st.errors ? "; some could not be removed" : "");
    }
}

void wr_notifier_spool_count(notifier_t *n, apr_time_t now)
{
    wr_spool_stat_t st;
    wr_delivery_queue_stat_t dq;

    n->last_count = now;
    if (wr_spool_stat(n->spool, &st, n->scratch) == APR_SUCCESS) {
        if (n->conf->spool_size) {
            wr_spoolsize_set(n->conf->spool_size,
                             (apr_uint64_t)(st.n_new + st.n_cur + st.n_failed),
                             (apr_uint64_t)(st.bytes + st.bytes_failed), now);
        }
        if (n->slot) {
            n->slot->queued = (apr_uint64_t)(st.n_new + st.n_cur);
            n->slot->queue_oldest_at = st.oldest
                ? (apr_uint64_t)apr_time_sec(st.oldest) : 0;
        }
    }
    if (n->slot && n->conf->smarthost && n->conf->delivery
        && wr_delivery_queue_stat(n->conf->delivery, &dq, n->scratch)
           == APR_SUCCESS) {
        n->slot->outbox_queued = (apr_uint64_t)dq.queued;
        n->slot->outbox_oldest_at = dq.oldest
            ? (apr_uint64_t)apr_time_sec(dq.oldest) : 0;
        wr_counters_set_smtp_error(n->conf->counters, dq.last_error,
                                   dq.last_error_at ? dq.last_error_at
                                                    : now);
    }
}
