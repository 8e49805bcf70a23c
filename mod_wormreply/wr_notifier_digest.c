/* wr_notifier_digest.c - the digests: which are due, their hosts and
 * recipients, the notices composed into the outbox */
#include <stddef.h>
#include <string.h>

#include <apr_strings.h>

#include "wr_bouncestat.h"
#include "wr_log.h"
#include "wr_notifier_int.h"

/* While composing, a deliverer is looked for after every this many
 * notices queued, so that delivery begins before the last is written. */
#define KICK_EVERY 50

apr_array_header_t *wr_notifier_hosts_of(notifier_t *n,
                                         const apr_array_header_t *srcs)
{
    apr_array_header_t *hosts = apr_array_make(n->scratch, srcs->nelts,
                                               sizeof(wr_notice_host_t));
    int k, h;

    for (k = 0; k < srcs->nelts; k++) {
        const src_t *it = &APR_ARRAY_IDX(srcs, k, src_t);
        const wr_event_t *ev = it->ev;
        wr_notice_host_t *nh = NULL;

        for (h = 0; h < hosts->nelts; h++) {
            wr_notice_host_t *o = &APR_ARRAY_IDX(hosts, h, wr_notice_host_t);
            if (!strcmp(o->address, ev->address)) {
                nh = o;
            }
        }
        if (nh == NULL) {
            nh = apr_array_push(hosts);
            memset(nh, 0, sizeof(*nh));
            nh->address = ev->address;
            nh->name = it->name;
            nh->family = ev->family;
            nh->vhost = ev->vhost;
            nh->source_port = ev->source_port;
            nh->local_address = ev->local_address;
            nh->local_port = ev->local_port;
            wr_notice_host_family(nh, n->conf->families);
            nh->first_seen = ev->first_seen;
            nh->last_seen = ev->last_seen;
            nh->lines = ev->lines;
            nh->nlines = ev->nlines;
        }
        nh->count += ev->count;
        if (ev->first_seen < nh->first_seen) {
            nh->first_seen = ev->first_seen;
        }
        if (ev->last_seen > nh->last_seen) {
            nh->last_seen = ev->last_seen;
        }
    }
    /* The events hold the first probe of each window; the shared cache
     * holds how many followed, and when the last one came. */
    for (h = 0; n->conf->host_lookup && h < hosts->nelts; h++) {
        wr_notice_host_t *nh = &APR_ARRAY_IDX(hosts, h, wr_notice_host_t);
        wr_rate_host_t rec;
        if (n->conf->host_lookup(n->conf->host_lookup_baton, nh->address,
                                 &rec)
            && rec.first_seen != 0 && rec.first_seen <= nh->first_seen) {
            if ((apr_uint64_t)rec.count > nh->count) {
                nh->count = rec.count;
            }
            if (rec.last_seen > nh->last_seen) {
                nh->last_seen = rec.last_seen;
            }
        }
    }
    return hosts;
}

/* recipients - RFC 2142 mailboxes of the domain, less the never-mail list
 * and the suppressed ones (*suppressed counts those); in Test mode only
 * the administrator */
static apr_array_header_t *recipients(notifier_t *n, const domain_t *d,
                                      int *suppressed)
{
    const wr_notifier_conf_t *c = n->conf;
    apr_array_header_t *to = apr_array_make(n->scratch, 2,
                                            sizeof(const char *));
    int k;

    *suppressed = 0;
    if (d->test) {
        if (c->bcc) {
            APR_ARRAY_PUSH(to, const char *) = c->bcc;
        }
        return to;
    }
    if (d->contact) {
        /* the network's own published abuse desk, not RFC 2142 guesses */
        if (!(c->delivery
              && wr_delivery_suppressed(c->delivery, d->contact,
                                        apr_time_now()))
            && !wr_notifier_farm_suppressed(n, d->contact)) {
            APR_ARRAY_PUSH(to, const char *) = d->contact;
        }
        else {
            (*suppressed)++;
        }
        return to;
    }
    for (k = 0; k < c->mailboxes->nelts; k++) {
        const char *a = apr_pstrcat(n->scratch,
                                    APR_ARRAY_IDX(c->mailboxes, k,
                                                  const char *),
                                    "@", d->domain, NULL);
        if (wr_notifier_in_list(n->never_mail, a)) {
            continue;
        }
        if ((c->delivery
             && wr_delivery_suppressed(c->delivery, a, apr_time_now()))
            || wr_notifier_farm_suppressed(n, a)) {
            (*suppressed)++;
            continue;
        }
        APR_ARRAY_PUSH(to, const char *) = a;
    }
    return to;
}

/* write_notice - compose one message for `nhosts` hosts and store it in
 * the outbox; *path receives where */
static apr_status_t write_notice(notifier_t *n, const domain_t *d,
                                 const apr_array_header_t *to,
                                 const wr_notice_host_t *hosts, int nhosts,
                                 apr_time_t now, const char **path)
{
    const wr_notifier_conf_t *c = n->conf;
    wr_notice_input_t in;
    wr_notice_t *msg;
    apr_array_header_t *bcc = NULL;
    const char *err = NULL;
    apr_status_t rv;

    memset(&in, 0, sizeof(in));
    if (c->bcc && !d->test) {
        bcc = apr_array_make(n->scratch, 1, sizeof(const char *));
        APR_ARRAY_PUSH(bcc, const char *) = c->bcc;
    }
    in.tmpl = c->template_text;
    in.from = c->from;
    in.to = to;
    in.bcc = bcc;
    in.domain = d->domain;
    in.server_name = c->server_name;
    in.format = c->format;
    in.hosts = hosts;
    in.nhosts = nhosts;
    in.now = now;
    rv = wr_notice_compose(&in, &msg, &err, n->scratch);
    if (rv != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00056)
                      "cannot compose the notice for %s: %s", d->domain,
                      err ? err : "");
        return rv;
    }
    if (c->smarthost && c->delivery) {
        int dropped = 0;
        const char *first = NULL;
        rv = wr_delivery_enqueue_first(c->delivery, msg, now, &dropped,
                                       &first, n->scratch);
        *path = apr_pstrcat(n->scratch, c->outbox_dir, "/",
                            first ? first : msg->report_id, ".eml", NULL);
        if (rv == APR_SUCCESS && ++n->queued % KICK_EVERY == 0) {
            wr_notifier_deliver_kick(n, now);
        }
        if (APR_STATUS_IS_ENOENT(rv)) {
            /* every recipient refused a notice before: none is written */
            wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00058)
                          "notice for %s not queued: every recipient is "
                          "suppressed after a permanent refusal", d->domain);
            return APR_SUCCESS;
        }
    }
    else {
        rv = c->delivery ? wr_delivery_store(c->delivery, msg, n->scratch)
                         : APR_ENOENT;
        *path = apr_pstrcat(n->scratch, c->outbox_dir, "/", msg->report_id,
                            ".eml", NULL);
        if (rv == APR_SUCCESS && n->slot) {
            /* kept for pickup: counted at once, recounted by
             * wr_notifier_pickup() */
            n->slot->outbox_kept++;
        }
    }
    if (rv != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00049)
                      "cannot write the notice for %s to %s", d->domain,
                      c->outbox_dir);
    }
    return rv;
}

apr_status_t wr_notifier_send_hosts(notifier_t *n, domain_t *d,
                                    const apr_array_header_t *hosts,
                                    int nevents, apr_time_t now,
                                    const char **path, const char **why)
{
    int suppressed = 0;
    apr_array_header_t *to = recipients(n, d, &suppressed);
    const wr_notice_host_t *h = (const wr_notice_host_t *)hosts->elts;
    const wr_notice_format_t *fmt = wr_notice_format_find(n->conf->format);
    int k, per = fmt == NULL || fmt->hosts_per_message == 0
                 || fmt->hosts_per_message > hosts->nelts
                 ? hosts->nelts : fmt->hosts_per_message;

    *path = NULL;
    if (why) {
        *why = NULL;
    }
    if (to->nelts == 0 && suppressed > 0) {
        /* a contact zone answer would have been used instead of these:
         * there is nobody else to write to */
        const char *w = apr_psprintf(n->scratch, "not notified: every "
                                     "mailbox of %s is suppressed (bounced "
                                     "or refused; wormreply outbox "
                                     "suppressed)", d->contact ? d->contact
                                                               : d->domain);
        wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00713)
                      "digest for %s (%d host%s) %s", d->domain,
                      hosts->nelts, hosts->nelts == 1 ? "" : "s", w);
        COUNT(n, not_notified);
        if (why) {
            *why = w;
        }
        return APR_ENOENT;
    }
    if (to->nelts == 0) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00048)
                      "digest for %s has no recipient (WormReplyNotify Test "
                      "needs WormReplyBcc): dropped", d->domain);
        COUNT(n, not_notified);
        return APR_ENOENT;
    }
    for (k = 0; k < hosts->nelts; k += per) {
        int cnt = hosts->nelts - k < per ? hosts->nelts - k : per;
        apr_status_t rv = write_notice(n, d, to, h + k, cnt, now, path);
        if (rv != APR_SUCCESS) {
            COUNT(n, notice_errors);
            return rv;
        }
        if (!d->test) {
            int j;
            for (j = k; j < k + cnt; j++) {
                wr_history_record(n->hist, WR_HISTORY_HOST, h[j].address, now);
            }
        }
        COUNT(n, notices);
    }
    if (!d->test) {
        wr_history_record(n->hist, WR_HISTORY_DOMAIN, d->domain, now);
    }
    wr_rate_global_count(&n->global, now);
    wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00050)
                  "notice for %s (%d host%s, %d event%s) written to %s",
                  d->domain, hosts->nelts, hosts->nelts == 1 ? "" : "s",
                  nevents, nevents == 1 ? "" : "s", *path);
    if (n->slot) {
        n->slot->notice_events += (apr_uint64_t)nevents;
    }
    return APR_SUCCESS;
}

/* send_digest - compose the domain's digest from this server's events
 * into the outbox; only then record it and remove its events. With a
 * farm configured this runs only while Redis is unreachable: what was
 * sent is told to the farm once it is back. */
static void send_digest(notifier_t *n, domain_t *d, apr_time_t now)
{
    apr_array_header_t *srcs = apr_array_make(n->scratch, d->items->nelts,
                                              sizeof(src_t));
    apr_array_header_t *hosts;
    const char *path, *why = NULL;
    apr_status_t rv;
    int k;

    for (k = 0; k < d->items->nelts; k++) {
        const item_t *it = APR_ARRAY_IDX(d->items, k, item_t *);
        src_t *src = apr_array_push(srcs);
        src->ev = it->ev;
        src->name = it->name;
    }
    hosts = wr_notifier_hosts_of(n, srcs);
    rv = wr_notifier_send_hosts(n, d, hosts, d->items->nelts, now, &path,
                                &why);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        /* kept: the events stay claimed and the digest is tried again
         * (for ARF, hosts already reported are in the history) */
        return;
    }
    if (rv == APR_SUCCESS && n->farm && !d->test) {
        wr_notifier_backlog_add(n, d, now, hosts->elts, hosts->nelts,
                                sizeof(wr_notice_host_t),
                                offsetof(wr_notice_host_t, address));
        COUNT(n, farm_local);
    }
    wr_rate_domain_sent(&d->rate, now);
    for (k = 0; k < d->items->nelts; k++) {
        item_t *it = APR_ARRAY_IDX(d->items, k, item_t *);
        if (why) {
            /* kept in failed/ with the reason: wormreply queue failed
             * shows it, and retry sends it once a mailbox is back */
            if (wr_spool_fail(n->spool, it->id, why, n->scratch)
                == APR_SUCCESS) {
                apr_hash_set(n->claimed, it->id, APR_HASH_KEY_STRING, NULL);
                apr_pool_destroy(it->pool);
                continue;
            }
        }
        wr_notifier_item_done(it);
    }
    apr_array_clear(d->items);
}

/* bounces - the counts of wormreply bounce (the outbox's bounces.stat)
 * into the notifier's slot, every few seconds */
static void bounces(notifier_t *n, apr_time_t now)
{
    wr_bouncestat_t st;

    if (n->slot == NULL || n->conf->delivery == NULL
        || (now - n->bounces_read < apr_time_from_sec(5)
            && now >= n->bounces_read)) {
        return;
    }
    n->bounces_read = now;
    if (wr_bouncestat_read(wr_delivery_dir(n->conf->delivery), &st,
                           n->scratch)
        == APR_SUCCESS) {
        n->slot->bounces_received = st.received;
        n->slot->bounces_hard = st.hard;
        n->slot->bounces_ignored = st.ignored;
    }
}

void wr_notifier_digests(notifier_t *n, apr_time_t now)
{
    apr_hash_index_t *hi;
    apr_uint64_t gen = 0;
    int settle = 0;

    if (wr_notifier_farm_check(n, now)) {
        /* a new generation: some digest was sent, maybe with our hosts */
        if (wr_farm_generation(n->farm, &gen) != APR_SUCCESS) {
            wr_notifier_farm_lost(n, now);
        }
        else if (gen != n->farm_gen) {
            n->farm_gen = gen;
            settle = 1;
        }
    }
    for (hi = apr_hash_first(n->scratch, n->domains.hash); hi;
         hi = apr_hash_next(hi)) {
        domain_t *d = apr_hash_this_val(hi);
        apr_time_t due = 0;
        wr_digest_e st;

        if (d->items->nelts > 0 && n->farm_up && !d->test) {
            wr_notifier_farm_digest(n, d, now, settle);
            wr_notifier_domain_note(n, d);
            continue;
        }
        if (d->items->nelts == 0) {
            continue;
        }
        st = wr_rate_domain_due(&d->rate, now, &n->pol, &due);
        if (st != WR_DIGEST_DUE) {
            /* the later of the two bounds is the one that holds it */
            d->hold = d->rate.last_sent != 0
                      && d->rate.last_sent + n->pol.domain_window >= due
                      ? HOLD_WINDOW : HOLD_DELAY;
            d->hold_due = due;
            wr_notifier_domain_note(n, d);
            continue;
        }
        if (!wr_rate_global_allow(&n->global, now, &n->pol, &due)) {
            d->hold = HOLD_CAP;
            d->hold_due = due;
            wr_notifier_domain_note(n, d);
            if (now - d->cap_logged > apr_time_from_sec(600)) {
                d->cap_logged = now;
                wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00051)
                              "digest for %s held back: WormReplyMaxPerHour "
                              "(%u) reached", d->domain,
                              (unsigned)n->pol.max_per_hour);
                COUNT(n, cap_deferred);
            }
            continue;
        }
        send_digest(n, d, now);
        if (d->items->nelts > 0) {
            /* kept: not written, tried again next turn */
            d->hold = HOLD_WRITE;
            d->hold_due = now;
            wr_notifier_domain_note(n, d);
        }
        /* composing many digests takes a while: the requests' records
         * keep their power-loss window meanwhile */
        wr_notifier_commit_due(n, apr_time_now());
    }
    if (n->farm) {
        wr_notifier_farm_maintain(n, now);
    }
    wr_notifier_domains_forget(n, now);
    bounces(n, now);
}
