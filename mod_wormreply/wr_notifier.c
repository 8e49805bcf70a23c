/* wr_notifier.c - the notifier's loop: spool -> resolver -> digests ->
 * outbox (see wr_notifier.h for the order of things and why) */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_allocator.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include "wr_file.h"
#include "wr_log.h"
#include "wr_notifier_int.h"
#include "wr_proc.h"
#include "wr_proctitle.h"

/* A temporary file in tmp/ older than this belongs to nobody. */
#define TMP_AGE apr_time_from_sec(120)
/* How often old history records are dropped. */
#define EXPIRE_EVERY apr_time_from_sec(3600)
/* How often the spool's size is counted for the requests' bounds (what
 * requests add in between is added by them, wr_spoolsize.h) and the spool
 * and outbox gauges are published for the status pages. */
#define COUNT_EVERY apr_time_from_sec(1)
/* A deliverer is started at least this often, for the notices that come
 * due by their own clock (retries), not only when new ones are queued. */
#define DELIVER_EVERY apr_time_from_sec(2)
/* A deliverer starts no new pass after this; the next one goes on. */
#define DELIVERER_MAX_TIME apr_time_from_sec(60)
/* Without a smarthost, the notices kept for pickup are counted (the
 * outbox_kept gauge) and pruned by WormReplyOutboxRetention this often. */
#define PICKUP_EVERY apr_time_from_sec(10)
/* Freed memory the notifier's allocator keeps for reuse, at most. */
#define NOTIFIER_MAX_FREE (1024 * 1024)

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

/* deliver_reap - the deliverer, if it has ended: 1 if none is running */
static int deliver_reap(notifier_t *n)
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

    if (!n->conf->smarthost || !n->conf->delivery || !deliver_reap(n)) {
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

static void spool_count(notifier_t *n, apr_time_t now);

/* span - a retention in the directives' words: 30d, 12h, 90m, 45s */
static const char *span(apr_interval_time_t t, apr_pool_t *p)
{
    apr_int64_t s = (apr_int64_t)apr_time_sec(t);

    return s % 86400 == 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT "d", s / 86400)
           : s % 3600 == 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT "h", s / 3600)
           : s % 60 == 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT "m", s / 60)
           : apr_psprintf(p, "%" APR_INT64_T_FMT "s", s);
}

/* pickup - without a smarthost, the outbox is the end of the line: mark
 * it so (wormreply outbox list says "kept for pickup"), count what it
 * keeps for the gauge, and prune what is older than
 * WormReplyOutboxRetention; with one, take the mark away */
static void pickup(notifier_t *n, apr_time_t now)
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

/* notifier_open - spool, history and resolver */
static apr_status_t notifier_open(notifier_t *n, const wr_notifier_conf_t *c,
                                  apr_pool_t *p)
{
    apr_status_t rv;
    int tmp_removed = 0, cur_returned = 0;

    memset(n, 0, sizeof(*n));
    n->conf = c;
    n->pool = p;
    apr_pool_create(&n->scratch, p);
    apr_pool_tag(n->scratch, "wr_notifier_turn");
    n->pol.host_window = c->host_window;
    n->pol.digest_delay = c->digest_delay;
    n->pol.domain_window = c->domain_window;
    n->pol.max_per_hour = (apr_uint32_t)c->max_per_hour;
    wr_notifier_table_init(&n->domains, p, "wr_notifier_domains");
    n->claimed = apr_hash_make(p);
    wr_notifier_table_init(&n->not_before, p, "wr_notifier_not_before");
    n->never_mail = wr_notifier_never_mail_list(c->never_mail, p);
    n->slot = c->counters ? wr_counters_notifier(c->counters) : NULL;
    if ((rv = wr_spool_open(&n->spool, c->spool_dir, c->spool_max, 0, p))
        != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_CRIT, rv, WRLOGNO(00052)
                      "cannot open the spool %s", c->spool_dir);
        return rv;
    }
    if ((rv = wr_history_open(&n->hist, c->history_path, p)) != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_CRIT, rv, WRLOGNO(00053)
                      "cannot open the history %s", c->history_path);
        return rv;
    }
    if ((rv = wr_resolver_create(&n->res, p, c->resolvers, c->dns_timeout_ms,
                                 c->dns_tries, NULL)) == APR_SUCCESS) {
        wr_resolver_set_contact_zone(n->res, c->contact_zone);
    }
    else {
        wr_log_perror(WR_LOG_MARK, WR_LOG_CRIT, rv, WRLOGNO(00054)
                      "cannot start the resolver (%s)",
                      c->resolvers ? c->resolvers : "system");
        return rv;
    }
    apr_pool_create(&n->backlog_pool, p);
    apr_pool_tag(n->backlog_pool, "wr_notifier_farm_backlog");
    n->backlog = apr_array_make(n->backlog_pool, 8, sizeof(backlog_t));
    if (c->farm) {
        char host[APRMAXHOSTLEN + 1];
        if (apr_gethostname(host, sizeof(host), p) != APR_SUCCESS) {
            apr_cpystrn(host, "localhost", sizeof(host));
        }
        /* unique among the farm's notifiers, and new at every start: a
         * claim of an earlier life of this notifier is not taken for ours */
        wr_farm_open(&n->farm, c->farm,
                     apr_psprintf(p, "%s:%ld", host, (long)getpid()), p);
    }
    if (c->outbox_dir
        && (rv = wr_outbox_open(&n->outbox, c->outbox_dir, NULL, p))
           != APR_SUCCESS) {
        /* the notices are still written; only the mark and pruning go */
        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, rv, WRLOGNO(00605)
                      "outbox: cannot open %s to keep notices for pickup",
                      c->outbox_dir);
        n->outbox = NULL;
    }
    pickup(n, apr_time_now());
    wr_spool_recover(n->spool, apr_time_now(), TMP_AGE, &tmp_removed,
                     &cur_returned, n->scratch);
    spool_count(n, apr_time_now());
    if (tmp_removed || cur_returned) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00055)
                      "spool recovered: %d unfinished writes removed, %d "
                      "claimed events given back", tmp_removed, cur_returned);
    }
    return APR_SUCCESS;
}

/* spool_count - the spool's size and oldest event, for the requests'
 * bounds (WormReplySpoolMaxBytes) and, with the outbox's and the
 * smarthost's last problem, for the status pages: the notifier is the one
 * that removes records, and may read directories; status pages read the
 * gauges in its counter slot instead of scanning them on every scrape.
 * Once per COUNT_EVERY. */
static void spool_count(notifier_t *n, apr_time_t now)
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

void wr_notifier_conf_default(wr_notifier_conf_t *c, apr_pool_t *p)
{
    c->mailboxes = apr_array_make(p, 2, sizeof(const char *));
    APR_ARRAY_PUSH(c->mailboxes, const char *) = "postmaster";
    APR_ARRAY_PUSH(c->mailboxes, const char *) = "abuse";
    c->dns_timeout_ms = 1000;
    c->dns_tries = 2;
    c->retry_base = WR_DELIVERY_DEFAULT_RETRY_INTERVAL;
    c->retry_max = apr_time_from_sec(4 * 3600);
    c->poll_interval = apr_time_from_msec(500);
    c->format = "plain";
    c->outbox_retention = WR_OUTBOX_DEFAULT_RETENTION;
}

void wr_notifier_conf_finish(wr_notifier_conf_t *c,
                             const wr_delivery_conf_t *delivery)
{
    c->retry_base = delivery->retry_interval;
}

apr_status_t wr_notifier_run(const wr_notifier_conf_t *conf,
                             const volatile sig_atomic_t *stop, apr_pool_t *p)
{
    notifier_t n;
    apr_allocator_t *al;
    apr_pool_t *work;
    apr_status_t rv;

    /* An allocator of its own that gives freed blocks back to the system
     * beyond NOTIFIER_MAX_FREE (as httpd's MaxMemFree does for its
     * children): the process's size then follows what it holds, not the
     * most it ever held in every block size */
    if ((rv = apr_allocator_create(&al)) != APR_SUCCESS) {
        return rv;
    }
    apr_allocator_max_free_set(al, NOTIFIER_MAX_FREE);
    if ((rv = apr_pool_create_ex(&work, p, NULL, al)) != APR_SUCCESS) {
        apr_allocator_destroy(al);
        return rv;
    }
    apr_allocator_owner_set(al, work);
    apr_pool_tag(work, "wr_notifier");
    if ((rv = notifier_open(&n, conf, work)) != APR_SUCCESS) {
        apr_pool_destroy(work);
        return rv;
    }
    n.stop = stop;
    while (!*stop) {
        apr_time_t now = apr_time_now();

        apr_pool_clear(n.scratch);
        wr_notifier_claim(&n, now);
        /* wait on the DNS sockets, or idle, for at most one poll interval */
        if (wr_resolver_pending(n.res) > 0) {
            wr_resolver_run(n.res, conf->poll_interval);
        }
        else {
            apr_sleep(conf->poll_interval);
        }
        now = apr_time_now();
        wr_notifier_commit_due(&n, now);
        wr_notifier_digests(&n, now);
        wr_notifier_deliver_kick(&n, now);
        if (!conf->smarthost && now - n.last_pickup >= PICKUP_EVERY) {
            pickup(&n, now);
        }
        if (now - n.last_count >= COUNT_EVERY) {
            spool_count(&n, now);
        }
        if (now - n.last_expire > EXPIRE_EVERY) {
            n.last_expire = now;
            wr_history_expire(n.hist, now, n.pol.host_window
                              > n.pol.domain_window ? n.pol.host_window
                                                    : n.pol.domain_window,
                              NULL);
        }
    }
    /* what requests put since the last commit, before a restart */
    if (n.conf->spool_size != NULL && wr_notifier_puts_dirty(&n)) {
        wr_notifier_commit(&n, apr_time_now());
    }
    if (!deliver_reap(&n)) {
        /* it ends after its current pass; the outbox lock keeps the next
         * notifier's deliverer waiting until then */
        wr_proc_ask(n.deliverer);
    }
    apr_pool_destroy(work);
    return APR_SUCCESS;
}
