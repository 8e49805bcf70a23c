/* wr_notifier.c - the notifier's loop: spool -> resolver -> digests ->
 * outbox (see wr_notifier.h for the order of things and why) */
#include <string.h>
#include <unistd.h>

#include <apr_allocator.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include "wr_log.h"
#include "wr_notifier_int.h"
#include "wr_proc.h"

/* A temporary file in tmp/ older than this belongs to nobody. */
#define TMP_AGE apr_time_from_sec(120)
/* How often old history records are dropped. */
#define EXPIRE_EVERY apr_time_from_sec(3600)
/* How often the spool's size is counted for the requests' bounds (what
 * requests add in between is added by them, wr_spoolsize.h) and the spool
 * and outbox gauges are published for the status pages. */
#define COUNT_EVERY apr_time_from_sec(1)
/* Without a smarthost, the notices kept for pickup are counted (the
 * outbox_kept gauge) and pruned by WormReplyOutboxRetention this often. */
#define PICKUP_EVERY apr_time_from_sec(10)
/* Freed memory the notifier's allocator keeps for reuse, at most. */
#define NOTIFIER_MAX_FREE (1024 * 1024)

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
    wr_notifier_pickup(n, apr_time_now());
    wr_spool_recover(n->spool, apr_time_now(), TMP_AGE, &tmp_removed,
                     &cur_returned, n->scratch);
    wr_notifier_spool_count(n, apr_time_now());
    if (tmp_removed || cur_returned) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00055)
                      "spool recovered: %d unfinished writes removed, %d "
                      "claimed events given back", tmp_removed, cur_returned);
    }
    return APR_SUCCESS;
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
            wr_notifier_pickup(&n, now);
        }
        if (now - n.last_count >= COUNT_EVERY) {
            wr_notifier_spool_count(&n, now);
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
    if (!wr_notifier_deliver_reap(&n)) {
        /* it ends after its current pass; the outbox lock keeps the next
         * notifier's deliverer waiting until then */
        wr_proc_ask(n.deliverer);
    }
    apr_pool_destroy(work);
    return APR_SUCCESS;
}
