/* wr_notifier.c - the notifier's loop: spool -> resolver -> digests ->
 * outbox (see wr_notifier.h for the order of things and why) */
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_allocator.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include "wr_bouncestat.h"
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
/* While composing, a deliverer is looked for after every this many
 * notices queued, so that delivery begins before the last is written. */
#define KICK_EVERY 50

static void deliver_kick(notifier_t *n, apr_time_t now);

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
            deliver_kick(n, now);
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
            /* kept for pickup: counted at once, recounted by pickup() */
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

/* digests - send every digest that is due and that the cap allows */
static void digests(notifier_t *n, apr_time_t now)
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

/* deliver_kick - start a deliverer (a child process running `deliver`)
 * unless one runs, when notices were queued since the last one started or
 * DELIVER_EVERY has passed. SMTP never holds up this process's DNS and
 * composing, and the two overlap. Without fork, the passes run here, for
 * at most a second. */
static void deliver_kick(notifier_t *n, apr_time_t now)
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
        digests(&n, now);
        deliver_kick(&n, now);
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
