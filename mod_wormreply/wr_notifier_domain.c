/* wr_notifier_domain.c - what the notifier holds between turns: the
 * tables that forget, the claimed events, the domains waiting for a
 * digest and why they wait, the never-mail list */
#include <string.h>

#include <apr_strings.h>

#include "wr_file.h"
#include "wr_log.h"
#include "wr_notifier_int.h"

/* The next-try times of events gone from new/ are forgotten at least
 * this often (see wr_notifier_not_before_prune). */
#define PRUNE_EVERY apr_time_from_sec(60)

/* Compaction copies the live entries once more than half of those ever
 * made are gone, and never for fewer than this many. */
#define TABLE_SLACK 256

typedef void *table_copy_fn(const void *val, apr_pool_t *p);

void wr_notifier_table_init(table_t *t, apr_pool_t *parent, const char *tag)
{
    memset(t, 0, sizeof(*t));
    t->parent = parent;
    t->tag = tag;
    apr_pool_create(&t->pool, parent);
    apr_pool_tag(t->pool, tag);
    t->hash = apr_hash_make(t->pool);
}

/* table_compact - when most of what the pool holds is forgotten, copy the
 * live entries (each value through `copy`) into a new pool */
static void table_compact(table_t *t, table_copy_fn *copy)
{
    unsigned long live = apr_hash_count(t->hash);
    apr_hash_index_t *hi;
    apr_pool_t *np;
    apr_hash_t *nh;

    if (t->made < TABLE_SLACK || t->made < 2 * live) {
        return;
    }
    apr_pool_create(&np, t->parent);
    apr_pool_tag(np, t->tag);
    nh = apr_hash_make(np);
    for (hi = apr_hash_first(NULL, t->hash); hi; hi = apr_hash_next(hi)) {
        const void *key;
        apr_ssize_t klen;
        void *val;

        apr_hash_this(hi, &key, &klen, &val);
        apr_hash_set(nh, apr_pmemdup(np, key, (apr_size_t)klen + 1), klen,
                     copy(val, np));
    }
    apr_pool_destroy(t->pool);
    t->pool = np;
    t->hash = nh;
    t->made = live;
    t->compactions++;
}

/* time_copy - a not_before value in another pool */
static void *time_copy(const void *val, apr_pool_t *p)
{
    return apr_pmemdup(p, val, sizeof(apr_time_t));
}

void wr_notifier_not_before_set(notifier_t *n, const char *id, apr_time_t t)
{
    table_t *nb = &n->not_before;
    apr_time_t *v = apr_hash_get(nb->hash, id, APR_HASH_KEY_STRING);

    if (t == 0) {
        if (v != NULL) {
            apr_hash_set(nb->hash, id, APR_HASH_KEY_STRING, NULL);
            table_compact(nb, time_copy);
        }
        return;
    }
    if (v == NULL) {
        v = apr_palloc(nb->pool, sizeof(*v));
        apr_hash_set(nb->hash, apr_pstrdup(nb->pool, id),
                     APR_HASH_KEY_STRING, v);
        nb->made++;
    }
    *v = t;
}

void wr_notifier_item_done(item_t *it)
{
    notifier_t *n = it->n;
    apr_status_t rv;

    wr_history_record(n->hist, WR_HISTORY_SEEN, it->ev->address,
                      it->ev->last_seen);
    rv = wr_spool_done(n->spool, it->id, n->scratch);
    if (rv != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00040)
                      "spool: cannot remove event %s", it->id);
    }
    apr_hash_set(n->claimed, it->id, APR_HASH_KEY_STRING, NULL);
    apr_pool_destroy(it->pool);
}

/* hold_reason - a hold in words, for the event's record */
static const char *hold_reason(notifier_t *n, const domain_t *d)
{
    const char *what;

    switch (d->hold) {
    case HOLD_DELAY:
        what = "gathering the digest for %s (WormReplyDigestDelay)";
        break;
    case HOLD_WINDOW:
        what = "the domain window of %s: a digest went out "
               "(WormReplyDomainWindow)";
        break;
    case HOLD_CAP:
        what = "WormReplyMaxPerHour reached; the digest for %s waits";
        break;
    case HOLD_WRITE:
        what = "the notice for %s could not be written to the outbox "
               "(error log); tried again";
        break;
    case HOLD_FARM_WINDOW:
        what = "the farm's domain window of %s: a digest went out from "
               "the farm";
        break;
    case HOLD_FARM_HELD:
        what = "another server of the farm is sending the digest for %s";
        break;
    case HOLD_FARM_CAP:
        what = "the farm's WormReplyMaxPerHour reached; the digest for %s "
               "waits";
        break;
    default:
        return NULL;
    }
    return apr_psprintf(n->scratch, what, d->domain);
}

void wr_notifier_domain_note(notifier_t *n, domain_t *d)
{
    const char *reason = NULL;
    int k;

    for (k = 0; d->hold != HOLD_NONE && k < d->items->nelts; k++) {
        item_t *it = APR_ARRAY_IDX(d->items, k, item_t *);
        wr_event_t upd;
        apr_status_t rv;

        if (it->held == (int)d->hold && it->held_due == d->hold_due) {
            continue;
        }
        if (reason == NULL) {
            reason = hold_reason(n, d);
        }
        upd = *it->ev;
        upd.decision = "held";
        upd.reason = reason;
        upd.due = d->hold_due;
        rv = wr_spool_note(n->spool, it->id, &upd, n->scratch);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
            char ebuf[128];

            wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING,
                          WR_FILE_IS_REFUSED(rv) ? 0 : rv, WRLOGNO(00602)
                          "spool: cannot note why event %s waits%s%s",
                          it->id, WR_FILE_IS_REFUSED(rv) ? ": " : "",
                          WR_FILE_IS_REFUSED(rv)
                          ? wr_file_strerror(rv, ebuf, sizeof(ebuf)) : "");
        }
        /* said (or not sayable): not tried again every turn */
        it->held = (int)d->hold;
        it->held_due = d->hold_due;
    }
}

int wr_notifier_in_list(const apr_array_header_t *a, const char *s)
{
    int k;

    for (k = 0; a && k < a->nelts; k++) {
        if (!strcasecmp(APR_ARRAY_IDX(a, k, const char *), s)) {
            return 1;
        }
    }
    return 0;
}

/* The built-in never-mail domains (README, WormReplyNeverMail): services
 * whose names carry any IP address (1-2-3-4.nip.io is 1.2.3.4), so that
 * whoever writes a PTR record can forward-confirm a name under them and
 * point our notices at their operators. WormReplyNeverMail DOMAIN adds to
 * the list, WormReplyNeverMail -DOMAIN takes a domain out of it. */
const char *const wr_never_mail_builtin[] = {
    "nip.io", "sslip.io", "xip.io", "traefik.me", NULL
};

apr_array_header_t *wr_notifier_never_mail_list(const apr_array_header_t *conf,
                                                apr_pool_t *p)
{
    apr_array_header_t *l = apr_array_make(p, 8, sizeof(const char *));
    int k, j;

    for (k = 0; wr_never_mail_builtin[k]; k++) {
        APR_ARRAY_PUSH(l, const char *) = wr_never_mail_builtin[k];
    }
    for (k = 0; conf && k < conf->nelts; k++) {
        const char *e = APR_ARRAY_IDX(conf, k, const char *);
        if (*e != '-') {
            APR_ARRAY_PUSH(l, const char *) = e;
            continue;
        }
        for (j = 0; j < l->nelts; j++) {
            if (!strcasecmp(APR_ARRAY_IDX(l, j, const char *), e + 1)) {
                APR_ARRAY_IDX(l, j, const char *) = "";
            }
        }
    }
    return l;
}

/* under_listed - `name` is, or is under, a domain of the list (entries
 * with an '@' are addresses and do not count) */
static const char *under_listed(const apr_array_header_t *a,
                                const char *name)
{
    apr_size_t nl = name ? strlen(name) : 0;
    int k;

    while (nl > 0 && name[nl - 1] == '.') {
        nl--;
    }
    for (k = 0; a && k < a->nelts; k++) {
        const char *e = APR_ARRAY_IDX(a, k, const char *);
        apr_size_t el = strlen(e);
        if (el == 0 || strchr(e, '@') || el > nl
            || strncasecmp(name + nl - el, e, el) != 0) {
            continue;
        }
        if (el == nl || name[nl - el - 1] == '.') {
            return e;
        }
    }
    return NULL;
}

const char *wr_notifier_never_mailed(const notifier_t *n, const char *domain,
                                     const char *name)
{
    const wr_notifier_conf_t *c = n->conf;
    const char *e;
    int k, all = 1;

    if (wr_notifier_in_list(c->own_domains, domain)) {
        return "one of our own domains";
    }
    if ((e = under_listed(n->never_mail, domain)) != NULL
        || (e = under_listed(n->never_mail, name)) != NULL) {
        return apr_pstrcat(n->scratch, "under ", e, ", on the never-mail "
                           "list", NULL);
    }
    for (k = 0; k < c->mailboxes->nelts; k++) {
        const char *a = apr_pstrcat(n->scratch,
                                    APR_ARRAY_IDX(c->mailboxes, k,
                                                  const char *),
                                    "@", domain, NULL);
        if (!wr_notifier_in_list(n->never_mail, a)) {
            all = 0;
        }
    }
    return all ? "every mailbox on the never-mail list" : NULL;
}

domain_t *wr_notifier_domain_get(notifier_t *n, const char *domain,
                                 const char *contact, int test)
{
    const char *key = apr_pstrcat(n->scratch, test ? "test:" : "",
                                  contact ? "contact:" : "",
                                  contact ? contact : domain, NULL);
    table_t *t = &n->domains;
    domain_t *d = apr_hash_get(t->hash, key, APR_HASH_KEY_STRING);
    apr_time_t last;

    if (d == NULL) {
        d = apr_pcalloc(t->pool, sizeof(*d));
        d->domain = apr_pstrdup(t->pool, domain);
        d->contact = contact ? apr_pstrdup(t->pool, contact) : NULL;
        d->test = test;
        d->items = apr_array_make(t->pool, 4, sizeof(item_t *));
        if (!test && wr_history_last(n->hist, WR_HISTORY_DOMAIN, domain,
                                     &last) == APR_SUCCESS) {
            d->rate.last_sent = last;
        }
        apr_hash_set(t->hash, apr_pstrdup(t->pool, key),
                     APR_HASH_KEY_STRING, d);
        t->made++;
    }
    return d;
}

/* domain_copy - a domain in another pool (its items stay where they are) */
static void *domain_copy(const void *val, apr_pool_t *p)
{
    const domain_t *d = val;
    domain_t *c = apr_pmemdup(p, d, sizeof(*d));

    c->domain = apr_pstrdup(p, d->domain);
    c->contact = d->contact ? apr_pstrdup(p, d->contact) : NULL;
    c->items = apr_array_copy(p, d->items);
    return c;
}

void wr_notifier_domains_forget(notifier_t *n, apr_time_t now)
{
    table_t *t = &n->domains;
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(n->scratch, t->hash); hi;
         hi = apr_hash_next(hi)) {
        const void *key;
        void *val;
        domain_t *d;

        apr_hash_this(hi, &key, NULL, &val);
        d = val;
        if (d->items->nelts == 0
            && now - d->rate.last_sent >= n->pol.domain_window) {
            apr_hash_set(t->hash, key, APR_HASH_KEY_STRING, NULL);
        }
    }
    table_compact(t, domain_copy);
}

void wr_notifier_not_before_prune(notifier_t *n, const apr_array_header_t *ids,
                                  apr_time_t now)
{
    table_t *nb = &n->not_before;
    apr_hash_index_t *hi;
    apr_hash_t *listed;
    int k;

    if (apr_hash_count(nb->hash) == 0
        || ((int)apr_hash_count(nb->hash) <= ids->nelts
            && now - n->last_prune < PRUNE_EVERY)) {
        return;
    }
    n->last_prune = now;
    listed = apr_hash_make(n->scratch);
    for (k = 0; k < ids->nelts; k++) {
        apr_hash_set(listed, APR_ARRAY_IDX(ids, k, const char *),
                     APR_HASH_KEY_STRING, "");
    }
    for (hi = apr_hash_first(n->scratch, nb->hash); hi;
         hi = apr_hash_next(hi)) {
        const void *key;
        apr_ssize_t klen;

        apr_hash_this(hi, &key, &klen, NULL);
        if (apr_hash_get(listed, key, klen) == NULL) {
            apr_hash_set(nb->hash, key, klen, NULL);
        }
    }
    table_compact(nb, time_copy);
}
