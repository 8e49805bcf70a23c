/* wr_notifier_farm.c - the notifier with a farm (wr_farm.h): Redis
 * lost and back, the hosts in the farm's sets, a domain's window
 * claimed and its digest sent for every server */
#include <stddef.h>
#include <string.h>

#include <apr_strings.h>

#include "wr_log.h"
#include "wr_notifier_int.h"

/* The farm: "unreachable" said at most this often; the suppression list
 * pushed, and the windows gauge read, this often; a claim another server
 * holds looked at again after this; events reported while Redis was away
 * remembered at most this many times, to tell it once it is back. */
#define FARM_WARN_EVERY apr_time_from_sec(60)
#define FARM_SYNC_EVERY apr_time_from_sec(60)
#define FARM_STAT_EVERY apr_time_from_sec(10)
#define FARM_HELD_RETRY apr_time_from_sec(1)
#define FARM_BACKLOG_MAX 10000

/* farm_key - the farm's name for a digest: the domain, or the contact
 * address the contact zone gave */
static const char *farm_key(notifier_t *n, const domain_t *d)
{
    return d->contact ? apr_pstrcat(n->scratch, "contact:", d->contact, NULL)
                      : d->domain;
}

void wr_notifier_farm_lost(notifier_t *n, apr_time_t now)
{
    apr_time_t at = 0;
    const char *err = wr_farm_error(n->farm, &at);

    if (at > n->farm_err_seen) {
        n->farm_err_seen = at;
        COUNT(n, farm_errors);
        if (n->conf->counters) {
            wr_counters_set_farm_error(n->conf->counters, err, at);
        }
    }
    if (n->farm_up || now - n->farm_warned >= FARM_WARN_EVERY) {
        n->farm_warned = now;
        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00063)
                      "farm state unreachable (%s): this server works from "
                      "its own windows, cap and history until it is back",
                      err ? err : "not connected");
    }
    n->farm_up = 0;
    if (n->slot) {
        n->slot->farm_connected = 0;
    }
}

/* farm_back - Redis answers again (or for the first time): after a reset
 * (Redis lost its data) every pending host is added again; digests sent
 * meanwhile start their windows in the farm too */
static void farm_back(notifier_t *n, int reset, apr_time_t now)
{
    int k;

    n->farm_up = 1;
    if (n->slot) {
        n->slot->farm_connected = 1;
    }
    if (n->conf->counters) {
        wr_counters_set_farm_error(n->conf->counters, NULL, 0);
    }
    wr_log_perror(WR_LOG_MARK, n->farm_warned ? WR_LOG_NOTICE : WR_LOG_INFO,
                  0, WRLOGNO(00064) "farm state in use%s (this notifier: "
                  "%s)%s", n->farm_warned ? " again" : "",
                  wr_farm_server(n->farm),
                  reset && n->farm_warned ? "; Redis had lost its data, "
                                            "pending hosts added again" : "");
    if (reset) {
        apr_hash_index_t *hi;

        for (hi = apr_hash_first(n->scratch, n->domains.hash); hi;
             hi = apr_hash_next(hi)) {
            domain_t *d = apr_hash_this_val(hi);
            d->farm_due = 0;
            for (k = 0; k < d->items->nelts; k++) {
                APR_ARRAY_IDX(d->items, k, item_t *)->farm = 0;
            }
        }
        n->farm_gen = 0;
    }
    for (k = 0; k < n->backlog->nelts && n->farm_up; k++) {
        const backlog_t *b = &APR_ARRAY_IDX(n->backlog, k, backlog_t);
        if (wr_farm_reported(n->farm, b->key, b->addresses, b->when, &n->pol)
            != APR_SUCCESS) {
            wr_notifier_farm_lost(n, now);
        }
    }
    if (n->farm_up) {
        apr_pool_clear(n->backlog_pool);
        n->backlog = apr_array_make(n->backlog_pool, 8, sizeof(backlog_t));
    }
    n->farm_synced = 0;
    n->farm_stat = 0;
}

int wr_notifier_farm_check(notifier_t *n, apr_time_t now)
{
    int reset = 0;

    if (n->farm == NULL) {
        return 0;
    }
    if (!wr_farm_ready(n->farm, now, &reset)) {
        apr_time_t at = 0;
        wr_farm_error(n->farm, &at);
        if (n->farm_up || at > n->farm_err_seen) {
            wr_notifier_farm_lost(n, now);
        }
        return 0;
    }
    if (!n->farm_up || reset) {
        farm_back(n, reset, now);
    }
    return n->farm_up;
}

int wr_notifier_farm_recent(notifier_t *n, const char *address, apr_time_t now)
{
    int recent = 0;

    if (n->farm_up
        && wr_farm_host_recent(n->farm, address, &recent) != APR_SUCCESS) {
        wr_notifier_farm_lost(n, now);
        return 0;
    }
    return recent;
}

void wr_notifier_farm_add(notifier_t *n, domain_t *d, item_t *it,
                          apr_time_t now)
{
    const char *text;
    apr_size_t len;

    if (!n->farm_up || d->test || it->farm
        || wr_event_dump(it->ev, &text, &len, n->scratch) != APR_SUCCESS) {
        return;
    }
    if (wr_farm_host_add(n->farm, farm_key(n, d), it->ev->address,
                         apr_pstrcat(n->scratch, "name: ",
                                     it->name ? it->name : "", "\n", text,
                                     NULL), now, d->rate.last_sent)
        == APR_SUCCESS) {
        it->farm = 1;
    }
    else {
        wr_notifier_farm_lost(n, now);
    }
}

/* farm_src - a host record of the farm's set as a src_t; 0 if it cannot
 * be read (it is dropped with the claim's others) */
static int farm_src(notifier_t *n, const wr_farm_host_t *h, src_t *src)
{
    const char *nl = strchr(h->record, '\n');
    const char *err = NULL;
    wr_event_t *ev;

    if (strncmp(h->record, "name: ", 6) != 0 || nl == NULL
        || wr_event_parse(nl + 1, strlen(nl + 1), &ev, &err, n->scratch)
           != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00065)
                      "farm: unreadable host record for %s (%s): dropped",
                      h->address, err ? err : "no name line");
        return 0;
    }
    src->ev = ev;
    src->name = nl > h->record + 6
                ? apr_pstrmemdup(n->scratch, h->record + 6,
                                 (apr_size_t)(nl - h->record - 6))
                : NULL;
    return 1;
}

void wr_notifier_backlog_add(notifier_t *n, const domain_t *d, apr_time_t now,
                             const void *elts, int nelts, apr_size_t size,
                             apr_size_t off)
{
    backlog_t *b;
    int k;

    if (n->backlog->nelts >= FARM_BACKLOG_MAX) {
        return;
    }
    b = apr_array_push(n->backlog);
    b->key = apr_pstrdup(n->backlog_pool, farm_key(n, d));
    b->when = now;
    b->addresses = apr_array_make(n->backlog_pool, nelts,
                                  sizeof(const char *));
    for (k = 0; k < nelts; k++) {
        const char *a = *(const char *const *)((const char *)elts
                                               + (apr_size_t)k * size + off);
        APR_ARRAY_PUSH(b->addresses, const char *) =
            apr_pstrdup(n->backlog_pool, a);
    }
}

int wr_notifier_farm_suppressed(notifier_t *n, const char *address)
{
    int yes = 0;

    if (n->farm_up
        && wr_farm_suppressed(n->farm, address, &yes) != APR_SUCCESS) {
        wr_notifier_farm_lost(n, apr_time_now());
        return 0;
    }
    return yes;
}

/* farm_suppress_one - one address of the local suppression list to the
 * farm (wr_delivery_suppressed_each) */
static void farm_suppress_one(void *baton, const char *address,
                              apr_time_t until)
{
    notifier_t *n = baton;
    apr_time_t now = apr_time_now();

    if (n->farm_up
        && wr_farm_suppress(n->farm, address, until, now) != APR_SUCCESS) {
        wr_notifier_farm_lost(n, now);
    }
}

void wr_notifier_farm_maintain(notifier_t *n, apr_time_t now)
{
    apr_uint64_t w;

    if (n->farm_up && n->conf->delivery
        && now - n->farm_synced >= FARM_SYNC_EVERY) {
        n->farm_synced = now;
        wr_delivery_suppressed_each(n->conf->delivery, now,
                                    farm_suppress_one, n, n->scratch);
    }
    if (n->farm_up && now - n->farm_stat >= FARM_STAT_EVERY) {
        n->farm_stat = now;
        if (wr_farm_windows(n->farm, now, &n->pol, &w) != APR_SUCCESS) {
            wr_notifier_farm_lost(n, now);
        }
        else if (n->slot) {
            n->slot->farm_windows = w;
        }
    }
    if (n->slot) {
        n->slot->farm_roundtrips = wr_farm_roundtrips(n->farm);
    }
}

/* farm_settle - this server's hosts of the domain that a farm digest
 * reported are done here too (and in the local history), and out of the
 * farm's set even when added after that digest's claim
 * (wr_farm_host_state); hosts the farm no longer knows (Redis lost them)
 * are added again */
static void farm_settle(notifier_t *n, domain_t *d, apr_time_t now)
{
    const char *key = farm_key(n, d);
    int k, j = 0;

    for (k = 0; k < d->items->nelts; k++) {
        item_t *it = APR_ARRAY_IDX(d->items, k, item_t *);
        int pending = 1, reported = 0;

        if (it->farm && n->farm_up) {
            if (wr_farm_host_state(n->farm, key, it->ev->address, &pending,
                                   &reported) != APR_SUCCESS) {
                wr_notifier_farm_lost(n, now);
                pending = 1;
                reported = 0;
            }
            else if (!pending && !reported) {
                it->farm = 0;
            }
        }
        if (reported) {
            wr_log_perror(WR_LOG_MARK, WR_LOG_DEBUG, 0, WRLOGNO(00066)
                          "%s: reported by a digest of the farm",
                          it->ev->address);
            wr_history_record(n->hist, WR_HISTORY_HOST, it->ev->address,
                              now);
            wr_notifier_item_done(it);
            continue;
        }
        APR_ARRAY_IDX(d->items, j++, item_t *) = it;
    }
    d->items->nelts = j;
}

/* farm_send - the domain's window is ours: the digest names every host the
 * farm's servers gathered; then the commit, and this server's events of
 * those hosts are done */
static void farm_send(notifier_t *n, domain_t *d,
                      const apr_array_header_t *claimed, apr_time_t now)
{
    apr_array_header_t *srcs = apr_array_make(n->scratch, claimed->nelts,
                                              sizeof(src_t));
    apr_array_header_t *hosts;
    const char *path = NULL;
    apr_status_t rv;
    int k, j, lost = 0;

    for (k = 0; k < claimed->nelts; k++) {
        src_t src;
        if (farm_src(n, &APR_ARRAY_IDX(claimed, k, wr_farm_host_t), &src)) {
            APR_ARRAY_PUSH(srcs, src_t) = src;
        }
    }
    hosts = wr_notifier_hosts_of(n, srcs);
    rv = hosts->nelts ? wr_notifier_send_hosts(n, d, hosts, srcs->nelts,
                                               now, &path, NULL)
                      : APR_ENOENT;
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        /* composing failed: another turn (or server) tries again */
        if (wr_farm_release(n->farm, farm_key(n, d)) != APR_SUCCESS) {
            wr_notifier_farm_lost(n, now);
        }
        return;
    }
    if (wr_farm_commit(n->farm, farm_key(n, d), now, &n->pol, claimed,
                       path ? path : "-", &lost) != APR_SUCCESS) {
        /* queued, but the farm does not know: tell it when it is back,
         * before its lease lets another server send the same hosts */
        wr_notifier_backlog_add(n, d, now, claimed->elts, claimed->nelts,
                                sizeof(wr_farm_host_t),
                                offsetof(wr_farm_host_t, address));
        wr_notifier_farm_lost(n, now);
    }
    else if (lost) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00067)
                      "farm: the claim on %s had passed to another server "
                      "before the digest was recorded; it may be sent twice",
                      d->domain);
    }
    if (rv == APR_SUCCESS) {
        COUNT(n, farm_digests);
    }
    wr_rate_domain_sent(&d->rate, now);
    d->farm_due = 0;
    /* this server's events of the hosts named are done; the others (added
     * after the claim) wait for the next window */
    for (k = 0, j = 0; k < d->items->nelts; k++) {
        item_t *it = APR_ARRAY_IDX(d->items, k, item_t *);
        int named = 0, h;
        for (h = 0; h < claimed->nelts && !named; h++) {
            named = !strcmp(APR_ARRAY_IDX(claimed, h, wr_farm_host_t).address,
                            it->ev->address);
        }
        if (named) {
            if (!d->test) {
                wr_history_record(n->hist, WR_HISTORY_HOST, it->ev->address,
                                  now);
            }
            wr_notifier_item_done(it);
            continue;
        }
        wr_rate_domain_add(&d->rate, now);
        APR_ARRAY_IDX(d->items, j++, item_t *) = it;
    }
    d->items->nelts = j;
}

void wr_notifier_farm_digest(notifier_t *n, domain_t *d, apr_time_t now,
                             int settle)
{
    wr_farm_claim_e res;
    apr_array_header_t *claimed;
    const char *holder;
    apr_time_t due;
    int k;

    for (k = 0; k < d->items->nelts && n->farm_up; k++) {
        wr_notifier_farm_add(n, d, APR_ARRAY_IDX(d->items, k, item_t *), now);
    }
    if (settle && n->farm_up) {
        farm_settle(n, d, now);
    }
    if (!n->farm_up || d->items->nelts == 0 || now < d->farm_due) {
        return;
    }
    if (wr_farm_claim(n->farm, farm_key(n, d), now, &n->pol, &res, &claimed,
                      &due, &holder, n->scratch) != APR_SUCCESS) {
        wr_notifier_farm_lost(n, now);
        return;
    }
    switch (res) {
    case WR_FARM_CLAIMED:
        farm_send(n, d, claimed, now);
        /* those added after the claim wait for the farm's next window */
        d->hold = HOLD_FARM_WINDOW;
        d->hold_due = now + n->pol.domain_window;
        break;
    case WR_FARM_WAIT:
        d->farm_due = due;
        d->hold = HOLD_FARM_WINDOW;
        d->hold_due = due;
        break;
    case WR_FARM_HELD:
        d->farm_due = now + FARM_HELD_RETRY;
        d->hold = HOLD_FARM_HELD;
        d->hold_due = 0;
        break;
    case WR_FARM_CAP:
        d->farm_due = due;
        d->hold = HOLD_FARM_CAP;
        d->hold_due = due;
        if (now - d->cap_logged > apr_time_from_sec(600)) {
            d->cap_logged = now;
            wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00068)
                          "digest for %s held back: the farm's "
                          "WormReplyMaxPerHour (%u) reached", d->domain,
                          (unsigned)n->pol.max_per_hour);
            COUNT(n, cap_deferred);
        }
        break;
    case WR_FARM_NONE:
        /* nothing of ours is waiting in the farm: reported, or lost */
        farm_settle(n, d, now);
        break;
    }
}
