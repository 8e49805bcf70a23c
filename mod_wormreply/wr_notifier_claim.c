/* wr_notifier_claim.c - from the spool to the resolver: the group
 * commit, the due events claimed, the sources vetoed before any DNS,
 * the answers filed under their domain or given back */
#include <string.h>

#include <apr_strings.h>

#include "wr_file.h"
#include "wr_log.h"
#include "wr_notifier_int.h"

/* Events claimed at once: bounds memory and DNS load after a backlog. */
#define MAX_CLAIMED 512

/* The group commit of what requests put without fsync (wr_spool.h): at
 * most this long after the last one while records keep coming, and before
 * anything is claimed. With the 0.5 s poll interval, a record is durable
 * within about a second of its put while the notifier gets the CPU. */
#define COMMIT_EVERY apr_time_from_msec(500)
/* A failing group commit is said at most this often. */
#define COMMIT_WARN_EVERY apr_time_from_sec(60)

/* item_retry - give the event back for a later try, with backoff */
static void item_retry(item_t *it, apr_time_t now, const char *why)
{
    notifier_t *n = it->n;
    wr_event_t upd = *it->ev;
    apr_status_t rv;

    upd.attempts++;
    /* the gap before retry k is the k-th step of the backoff series */
    upd.next_try = now
        + (wr_backoff(0, n->conf->retry_base, n->conf->retry_max,
                      (int)upd.attempts)
           - wr_backoff(0, n->conf->retry_base, n->conf->retry_max,
                        (int)upd.attempts - 1));
    /* for "wormreply queue": why it waits in new/, and until when */
    upd.decision = "backoff";
    upd.reason = apr_pstrcat(n->scratch, "DNS: ", why, NULL);
    upd.due = upd.next_try;
    rv = wr_spool_release(n->spool, it->id, &upd, n->scratch);
    if (rv != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00041)
                      "spool: cannot give event %s back", it->id);
    }
    else {
        wr_notifier_not_before_set(n, it->id, upd.next_try);
    }
    wr_log_perror(WR_LOG_MARK, WR_LOG_INFO, 0, WRLOGNO(00042)
                  "%s: %s; try %u again later", it->ev->address, why,
                  (unsigned)upd.attempts + 1);
    COUNT(n, dns_retries);
    apr_hash_set(n->claimed, it->id, APR_HASH_KEY_STRING, NULL);
    apr_pool_destroy(it->pool);
}

/* resolved - the resolver's answer for one event */
static void resolved(const wr_resolve_result_t *r, void *baton)
{
    item_t *it = baton;
    notifier_t *n = it->n;
    apr_time_t now = apr_time_now();
    const char *why;
    domain_t *d;

    switch (r->status) {
    case WR_RESOLVE_OK:
        break;
    case WR_RESOLVE_TEMPFAIL:
        item_retry(it, now, r->reason);
        return;
    default:
        wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00043)
                      "%s: not notified, unresolvable (%s: %s)",
                      it->ev->address, wr_resolve_status_name(r->status),
                      r->reason);
        COUNT(n, unresolvable);
        wr_notifier_item_done(it);
        return;
    }
    why = wr_notifier_never_mailed(n, r->domain, r->name);
    if (why == NULL && r->contact
        && wr_notifier_in_list(n->never_mail, r->contact)) {
        why = "contact on the never-mail list";
    }
    if (why != NULL) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00044)
                      "%s (%s): not notified, %s", it->ev->address, r->name,
                      why);
        COUNT(n, not_notified);
        wr_notifier_item_done(it);
        return;
    }
    if (!it->test && (wr_history_recent(n->hist, WR_HISTORY_HOST,
                                        it->ev->address, now,
                                        n->pol.host_window)
                      || wr_notifier_farm_recent(n, it->ev->address, now))) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_DEBUG, 0, WRLOGNO(00045)
                      "%s: notified within the host window already",
                      it->ev->address);
        COUNT(n, host_suppressed);
        wr_notifier_item_done(it);
        return;
    }
    it->name = r->name ? apr_pstrdup(it->pool, r->name) : NULL;
    it->contact = r->contact ? apr_pstrdup(it->pool, r->contact) : NULL;
    d = wr_notifier_domain_get(n, r->domain, it->contact, it->test);
    APR_ARRAY_PUSH(d->items, item_t *) = it;
    wr_rate_domain_add(&d->rate, now);
    wr_notifier_farm_add(n, d, it, now);
}

/* vetoed - sources never looked up: special-purpose, exempt */
static const char *vetoed(notifier_t *n, const char *ip)
{
    const char *p;

    if (n->conf->exempt && (p = wr_ipset_match(n->conf->exempt, ip,
                                               n->scratch)) != NULL) {
        return apr_pstrcat(n->scratch, "exempt (", p, ")", NULL);
    }
    if ((p = wr_ipset_match(n->conf->special, ip, n->scratch)) != NULL
        && !(n->conf->allow && wr_ipset_match(n->conf->allow, ip,
                                              n->scratch))) {
        return apr_pstrcat(n->scratch, "special-purpose address (", p, ")",
                           NULL);
    }
    return NULL;
}

/* uncertain - why an event is not mailed although nothing vetoes its
 * source: its family does not notify by itself and the source's window
 * (host_lookup: the module's table or the shared cache) does not say that
 * it sent a probe of one that does; NULL when it may be mailed */
static const char *uncertain(notifier_t *n, const wr_event_t *ev)
{
    const wr_notifier_conf_t *c = n->conf;
    wr_rate_host_t rec;

    if (c->notify_families == NULL
        || apr_hash_get(c->notify_families, ev->family, APR_HASH_KEY_STRING)) {
        return NULL;
    }
    if (c->host_lookup && c->host_lookup(c->host_lookup_baton, ev->address,
                                         &rec)
        && (rec.flags & WR_RATE_HOST_NOTIFYING)) {
        apr_interval_time_t gap = rec.first_seen - ev->first_seen;
        if (gap < n->pol.host_window && gap > -n->pol.host_window) {
            return NULL;
        }
    }
    return apr_pstrcat(n->scratch, "family ", ev->family, " does not notify "
                       "by itself and the source sent no probe of one that "
                       "does", NULL);
}

int wr_notifier_puts_dirty(notifier_t *n)
{
    return n->conf->spool_size == NULL
           || wr_spoolsize_puts(n->conf->spool_size) != n->committed;
}

apr_status_t wr_notifier_commit(notifier_t *n, apr_time_t now)
{
    apr_uint64_t puts = n->conf->spool_size
                        ? wr_spoolsize_puts(n->conf->spool_size) : 0;
    apr_status_t rv = wr_spool_commit(n->spool, n->scratch);

    if (rv != APR_SUCCESS) {
        if (now - n->commit_warned >= COMMIT_WARN_EVERY) {
            n->commit_warned = now;
            wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00452)
                          "cannot make the spool %s durable (sync): no "
                          "event is claimed until it can (one message a "
                          "minute)", n->conf->spool_dir);
        }
        return rv;
    }
    n->committed = puts;
    n->last_commit = now;
    return APR_SUCCESS;
}

void wr_notifier_commit_due(notifier_t *n, apr_time_t now)
{
    if (n->conf->spool_size != NULL && wr_notifier_puts_dirty(n)
        && now - n->last_commit >= COMMIT_EVERY) {
        wr_notifier_commit(n, now);
    }
}

void wr_notifier_claim(notifier_t *n, apr_time_t now)
{
    apr_array_header_t *ids;
    int k, due = 0, room = MAX_CLAIMED - (int)apr_hash_count(n->claimed);

    if (room <= 0) {
        wr_notifier_commit_due(n, now);
        return;
    }
    if (wr_spool_list(n->spool, WR_SPOOL_NEW, &ids, n->scratch)
        != APR_SUCCESS) {
        return;
    }
    wr_notifier_not_before_prune(n, ids, now);
    for (k = 0; k < ids->nelts && !due; k++) {
        const apr_time_t *nb = apr_hash_get(n->not_before.hash,
                                            APR_ARRAY_IDX(ids, k,
                                                          const char *),
                                            APR_HASH_KEY_STRING);
        due = nb == NULL || *nb <= now;
    }
    if ((due || (n->conf->spool_size != NULL && wr_notifier_puts_dirty(n)))
        && wr_notifier_commit(n, now) != APR_SUCCESS) {
        return;
    }
    for (k = 0; k < ids->nelts && room > 0; k++) {
        const char *id = APR_ARRAY_IDX(ids, k, const char *);
        const apr_time_t *nb = apr_hash_get(n->not_before.hash, id,
                                            APR_HASH_KEY_STRING);
        apr_pool_t *ip;
        item_t *it;
        const char *why;
        apr_status_t rv;
        int v;

        if (nb && *nb > now) {
            continue;
        }
        wr_notifier_not_before_set(n, id, 0);
        apr_pool_create(&ip, n->pool);
        it = apr_pcalloc(ip, sizeof(*it));
        it->pool = ip;
        it->n = n;
        it->id = apr_pstrdup(ip, id);
        rv = wr_spool_take(n->spool, it->id, &it->ev, ip);
        if (rv != APR_SUCCESS) {
            /* taken by another notifier, or malformed (moved to failed/) */
            if (APR_STATUS_IS_EINVAL(rv)) {
                wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00046)
                              "spool: event %s is malformed, moved to "
                              "failed/", id);
            }
            else if (!APR_STATUS_IS_ENOENT(rv)) {
                /* unreadable (a file someone else owns): back to new/,
                 * and not looked at again for a while */
                char ebuf[128];

                /* a refusal (wr_file.h) is said in words: the status
                 * code is the project's own */
                wr_log_perror(WR_LOG_MARK, WR_LOG_ERR,
                              WR_FILE_IS_REFUSED(rv) ? 0 : rv,
                              WRLOGNO(00057) "spool: cannot read event %s"
                              "%s%s; left in new/", id,
                              WR_FILE_IS_REFUSED(rv) ? ": " : "",
                              WR_FILE_IS_REFUSED(rv)
                              ? wr_file_strerror(rv, ebuf, sizeof(ebuf))
                              : "");
                wr_spool_release(n->spool, it->id, NULL, n->scratch);
                wr_notifier_not_before_set(n, id, now + n->conf->retry_base);
            }
            apr_pool_destroy(ip);
            continue;
        }
        if (it->ev->next_try > now) {
            /* backing off (from an earlier notifier): not yet */
            wr_notifier_not_before_set(n, id, it->ev->next_try);
            wr_spool_release(n->spool, it->id, NULL, n->scratch);
            apr_pool_destroy(ip);
            continue;
        }
        room--;
        apr_hash_set(n->claimed, it->id, APR_HASH_KEY_STRING, it);
        it->test = 0;
        for (v = 0; n->conf->test_vhosts && it->ev->vhost
                    && v < n->conf->test_vhosts->nelts; v++) {
            if (!strcasecmp(APR_ARRAY_IDX(n->conf->test_vhosts, v,
                                          const char *), it->ev->vhost)) {
                it->test = 1;
            }
        }
        if ((why = vetoed(n, it->ev->address)) != NULL) {
            wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00047)
                          "%s: not notified, %s", it->ev->address, why);
            COUNT(n, not_notified);
            wr_notifier_item_done(it);
            continue;
        }
        /* before any DNS: a less certain family alone mails nobody */
        if ((why = uncertain(n, it->ev)) != NULL) {
            wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00521)
                          "%s: not notified, %s", it->ev->address, why);
            COUNT(n, held_uncertain);
            wr_notifier_item_done(it);
            continue;
        }
        if (wr_resolver_submit(n->res, it->ev->address, resolved, it)
            != APR_SUCCESS) {
            COUNT(n, unresolvable);
            wr_notifier_item_done(it);
        }
    }
}
