/* wr_delivery.c - the outbox queue manager (see wr_delivery.h): opening
 * and the passes (scheduling, backoff, the transport sessions: the seam of
 * wr_transport.h). Enqueueing is in wr_delivery_enqueue.c, the .state and
 * .env records and the queue's figures in wr_delivery_record.c, the
 * suppression list in wr_delivery_supp.c, the envelope read from headers
 * in wr_delivery_envelope.c, the handle they share in wr_delivery_int.h. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_delivery.h"
#include "wr_delivery_int.h"
#include "wr_file.h"
#include "wr_log.h"
#include "wr_proc.h"
#include "wr_proctitle.h"
#include "wr_ratelimit.h"
#include "wr_transport.h"

/* A temporary file older than this belongs to a writer that died. */
#define TMP_AGE apr_time_from_sec(120)
/* An .env or .state without its .eml older than this is left over. */
#define ORPHAN_AGE apr_time_from_sec(3600)
/* How often the suppression list and sent/ are swept. */
#define SWEEP_EVERY apr_time_from_sec(3600)
/* sent/sent.log is renamed to sent.log.old past this size. */
#define SENT_LOG_MAX (4 * 1024 * 1024)
/* A pass opens a session of its own for every this many messages, up to
 * conf.sessions: below it, a connection, STARTTLS and AUTH cost more
 * than the messages it would take over. */
#define SESSION_MIN_MESSAGES 10

typedef struct run_s run_t;

/* item_t - one message of a pass */
typedef struct {
    run_t *run;
    const char *id;
    wr_delivery_state_t st;
    int has_state;
    wr_transport_msg_t *m;
    int moved;                  /* renamed into sent/ */
} item_t;

struct run_s {
    wr_delivery_t *d;
    apr_pool_t *p;
    apr_time_t now;
    wr_delivery_stats_t *stats;
    int any_moved;
    const char *inflight;       /* .inflight[.<session>], in DIR */
};

/* session_report_t - what a session run in a child process sends back
 * through its pipe (no pointers: it crosses a process boundary) */
typedef struct {
    int done;                   /* 1: the child got to the end */
    int sent, deferred, failed, suppressed, requeued;
    int n_sent, n_deferred, n_failed;
    char error[512];            /* the session's problem, or "" */
} session_report_t;

void wr_delivery_conf_default(wr_delivery_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    c->retry_interval = WR_DELIVERY_DEFAULT_RETRY_INTERVAL;
    c->retry_max = WR_DELIVERY_DEFAULT_RETRY_MAX;
    c->max_queue_time = WR_DELIVERY_DEFAULT_MAX_QUEUE_TIME;
    c->suppress_time = WR_DELIVERY_DEFAULT_SUPPRESS_TIME;
    c->sent_keep = WR_DELIVERY_DEFAULT_SENT_KEEP;
    c->batch_max = WR_DELIVERY_DEFAULT_BATCH;
    c->sessions = WR_DELIVERY_DEFAULT_SESSIONS;
}

/* gap - the wait before try number k+1 after k failures in a row */
static apr_interval_time_t gap(const wr_delivery_conf_t *c, int k)
{
    return wr_backoff(0, c->retry_interval, c->retry_max, k)
           - wr_backoff(0, c->retry_interval, c->retry_max, k - 1);
}

/* ---- opening --------------------------------------------------------- */

apr_status_t wr_delivery_open(wr_delivery_t **pd, const char *dir,
                              const wr_delivery_conf_t *conf,
                              const char **err, apr_pool_t *p)
{
    wr_delivery_t *d = apr_pcalloc(p, sizeof(*d));
    const char *e = NULL;
    apr_status_t rv;

    if (err) {
        *err = NULL;
    }
    d->pool = p;
    d->conf = *conf;
    if (d->conf.batch_max <= 0) {
        d->conf.batch_max = WR_DELIVERY_DEFAULT_BATCH;
    }
    if (d->conf.sessions <= 0) {
        d->conf.sessions = 1;
    }
    if (d->conf.sessions > WR_DELIVERY_SESSIONS_MAX) {
        d->conf.sessions = WR_DELIVERY_SESSIONS_MAX;
    }
    if (d->conf.retry_interval <= 0) {
        d->conf.retry_interval = WR_DELIVERY_DEFAULT_RETRY_INTERVAL;
    }
    if (d->conf.retry_max < d->conf.retry_interval) {
        d->conf.retry_max = d->conf.retry_interval;
    }
    /* the transport: the one given, else SMTP when there is a smarthost */
    d->transport = conf->transport ? conf->transport
                   : conf->smtp.host ? &wr_transport_smtp : NULL;
    d->tconf = conf->transport_conf ? conf->transport_conf : &d->conf.smtp;
    if (d->transport
        && d->transport->check(d->tconf, &e, p) != APR_SUCCESS) {
        if (err) {
            *err = e;
        }
        return APR_EINVAL;
    }
    d->dir = apr_pstrdup(p, dir);
    d->sent_dir = apr_pstrcat(p, dir, "/sent", NULL);
    d->failed_dir = apr_pstrcat(p, dir, "/failed", NULL);
    d->supp_path = apr_pstrcat(p, dir, "/suppressed", NULL);
    if (d->transport) {
        char *key, *c;

        /* the destination's state file: "host_port" for SMTP, as before */
        d->where = d->transport->where(d->tconf, p);
        key = apr_pstrdup(p, d->where);
        for (c = key; *c; c++) {
            if (!apr_isalnum(*c) && *c != '.' && *c != '-') {
                *c = '_';
            }
        }
        d->dest_key = key;
    }
    /* run as root (httpd's parent), the subdirectories made are given to
     * the owner of DIR */
    if ((rv = wr_file_dir_open(&d->q, dir, WR_FILE_MKDIR, p)) != APR_SUCCESS
        || (rv = wr_file_dir_sub(&d->sent, d->q, "sent", WR_FILE_MKDIR, p))
           != APR_SUCCESS
        || (rv = wr_file_dir_sub(&d->failed, d->q, "failed", WR_FILE_MKDIR,
                                 p)) != APR_SUCCESS
        || (rv = wr_file_dir_sub(&d->dest, d->q, "dest", WR_FILE_MKDIR, p))
           != APR_SUCCESS) {
        return rv;
    }
    *pd = d;
    return APR_SUCCESS;
}

wr_file_dir_t *wr_delivery_dir(wr_delivery_t *d)
{
    return d->q;
}

/* ---- one pass -------------------------------------------------------- */

/* move - DIR/<id><ext> to the same name in `to` */
static apr_status_t move(wr_delivery_t *d, const char *id, const char *ext,
                         wr_file_dir_t *to, apr_pool_t *p)
{
    const char *name = wr_delivery_name(id, ext, p);

    return wr_file_rename(d->q, name, to, name, 0);
}

/* move_to_failed - the message leaves the queue for failed/, with why */
static void move_to_failed(run_t *r, const char *id, wr_delivery_state_t *st,
                           const char *why)
{
    wr_delivery_t *d = r->d;
    apr_pool_t *p = r->p;
    apr_status_t rv;

    st->failure = why;
    if ((rv = wr_delivery_state_save(d->failed, id, st, p)) != APR_SUCCESS
        || (rv = move(d, id, ".eml", d->failed, p)) != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00306)
                      "delivery: cannot move %s to %s", id, d->failed_dir);
        return;
    }
    move(d, id, ".env", d->failed, p);
    wr_file_remove(d->q, wr_delivery_name(id, ".state", p));
    wr_file_dir_sync(d->failed);
    wr_file_dir_sync(d->q);
}

/* suppress_refused - every recipient of `m` refused for good on the list */
static void suppress_refused(run_t *r, const wr_transport_msg_t *m)
{
    int k;

    for (k = 0; k < m->rcpt->nelts; k++) {
        const wr_transport_rcpt_t *rc = &m->rcpts[k];
        wr_suppression_t sp;

        if (!wr_transport_rcpt_refused(rc)) {
            continue;
        }
        memset(&sp, 0, sizeof(sp));
        sp.address = rc->address;
        sp.until = r->now + r->d->conf.suppress_time;
        sp.code = rc->code;
        sp.reason = "refused";
        sp.status = rc->text;
        if (wr_delivery_suppress_why(r->d, &sp) == APR_SUCCESS) {
            r->stats->suppressed++;
            wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00304)
                          "delivery: <%s> refused (%s): not written to for "
                          "%" APR_TIME_T_FMT " days", rc->address,
                          rc->text ? rc->text : "5xx",
                          apr_time_sec(r->d->conf.suppress_time) / 86400);
        }
    }
}

/* requeue_deferred - a copy of a sent message for its 4xx recipients:
 * DIR/<id>-r<n>.env, then a copy of its text as its .eml (a copy, not a
 * hard link: an entry with two links is refused as planted, wr_file.h) */
static void requeue_deferred(item_t *it)
{
    run_t *r = it->run;
    wr_delivery_t *d = r->d;
    apr_pool_t *p = r->p;
    apr_array_header_t *rest = apr_array_make(p, 2, sizeof(const char *));
    const wr_transport_msg_t *m = it->m;
    const char *nid = NULL;
    apr_status_t rv;
    wr_delivery_state_t st;
    int k, n;

    for (k = 0; k < m->rcpt->nelts; k++) {
        if (m->rcpts[k].code / 100 != 2
            && !wr_transport_rcpt_refused(&m->rcpts[k])) {
            APR_ARRAY_PUSH(rest, const char *) = m->rcpts[k].address;
        }
    }
    if (rest->nelts == 0) {
        return;
    }
    for (n = (int)it->st.attempts + 1; n < (int)it->st.attempts + 20; n++) {
        nid = apr_psprintf(p, "%s-r%d", it->id, n);
        if (wr_delivery_env_write(d->q, wr_delivery_name(nid, ".env", p),
                                  m->sender, rest, m->eightbit, WR_FILE_EXCL,
                                  p) == APR_SUCCESS) {
            break;
        }
        nid = NULL;
    }
    memset(&st, 0, sizeof(st));
    st.queued = it->st.queued;
    st.attempts = it->st.attempts + 1;
    st.last_try = r->now;
    st.next_try = r->now + gap(&d->conf, (int)st.attempts);
    st.last_error = m->reason;
    rv = nid == NULL ? APR_EEXIST : wr_delivery_state_save(d->q, nid, &st, p);
    if (rv == APR_SUCCESS) {
        rv = wr_file_write(d->q, wr_delivery_name(nid, ".eml", p), m->data,
                           m->len, WR_FILE_EXCL, p);
    }
    if (rv != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv,
                      WRLOGNO(00308) "delivery: cannot queue %s again for "
                      "its %d deferred recipient%s", it->id, rest->nelts,
                      rest->nelts == 1 ? "" : "s");
        return;
    }
    r->stats->requeued++;
    wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00309)
                  "delivery: %s queued again as %s for %d deferred "
                  "recipient%s", it->id, nid, rest->nelts,
                  rest->nelts == 1 ? "" : "s");
}

/* on_started - MAIL FROM accepted: name the open transaction */
static void on_started(wr_transport_msg_t *m, void *baton)
{
    item_t *it = m->baton;
    run_t *r = baton;
    apr_file_t *f;
    apr_size_t n;
    apr_status_t rv;

    /* no fsync: it only has to outlive the process, not the machine */
    rv = wr_file_open(&f, r->d->q, r->inflight, WR_FILE_CREATE
                      | WR_FILE_TRUNC, r->p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, it->id, strlen(it->id), &n);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_DEBUG, rv, WRLOGNO(00310)
                      "delivery: cannot write %s/%s", r->d->dir,
                      r->inflight);
    }
}

/* on_accepted - the server said 2xx: record "sent" before anything else */
static void on_accepted(wr_transport_msg_t *m, void *baton)
{
    item_t *it = m->baton;
    run_t *r = baton;
    apr_status_t rv;

    rv = move(r->d, it->id, ".eml", r->d->sent, r->p);
    if (rv == APR_SUCCESS) {
        it->moved = 1;
        r->any_moved = 1;
        if (m->n_deferred > 0) {
            requeue_deferred(it);
        }
    }
}

/* sent_log - one line in sent/sent.log */
static void sent_log(run_t *r, const item_t *it)
{
    wr_delivery_t *d = r->d;
    apr_file_t *f;
    int k, n = 0;

    for (k = 0; k < it->m->rcpt->nelts; k++) {
        n += it->m->rcpts[k].code / 100 == 2;
    }
    if (wr_file_open(&f, d->sent, "sent.log", WR_FILE_CREATE
                     | WR_FILE_APPEND, r->p) == APR_SUCCESS) {
        apr_file_printf(f, "%" APR_TIME_T_FMT " %s %s queue-id=%s rcpt=%d "
                        "attempts=%u\n", r->now, it->id, d->where,
                        it->m->queue_id ? it->m->queue_id : "-", n,
                        (unsigned)it->st.attempts + 1);
        apr_file_close(f);
    }
}

/* inflight_check - a session's .inflight file, left by a session that
 * did not end normally: its message may have reached the server */
static void inflight_check(run_t *r, const char *name)
{
    wr_delivery_t *d = r->d;
    apr_pool_t *p = r->p;
    wr_file_info_t fi;
    char *id;

    if (wr_file_read(d->q, name, 256, &id, NULL, NULL, p) == APR_SUCCESS) {
        if (wr_file_id_ok(id, strlen(id))
            && wr_file_stat(d->q, wr_delivery_name(id, ".eml", p), &fi)
               == APR_SUCCESS) {
            r->stats->recovered++;
            wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00307)
                          "delivery: %s was being handed on (an open "
                          "transaction) when delivery stopped; it is sent "
                          "again and may arrive twice", id);
        }
        wr_file_remove(d->q, name);
    }
}

/* recover - after a crash: the transactions that were open, left-over
 * temporary files and sidecars */
static void recover(run_t *r)
{
    wr_delivery_t *d = r->d;
    apr_pool_t *p = r->p;
    apr_array_header_t *names;
    int k;

    if (wr_file_dir_names(d->q, &names, p) != APR_SUCCESS) {
        return;
    }
    for (k = 0; k < names->nelts; k++) {
        const char *name = APR_ARRAY_IDX(names, k, const char *);
        apr_size_t n = strlen(name);
        wr_file_info_t fi, e;

        if (wr_file_stat(d->q, name, &fi) != APR_SUCCESS) {
            continue;           /* gone, or not a regular file */
        }
        if (!strncmp(name, ".inflight", 9)) {
            inflight_check(r, name);
        }
        else if (name[0] == '.' && n > 4 && !strcmp(name + n - 4, ".tmp")) {
            if (r->now - fi.mtime > TMP_AGE) {
                wr_file_remove(d->q, name);
            }
        }
        else if ((n > 4 && !strcmp(name + n - 4, ".env"))
                 || (n > 6 && !strcmp(name + n - 6, ".state"))) {
            const char *mid = apr_pstrmemdup(p, name,
                                             n - (name[n - 1] == 'v'
                                                  ? 4 : 6));
            if (wr_file_stat(d->q, wr_delivery_name(mid, ".eml", p), &e)
                == APR_SUCCESS) {
                continue;
            }
            if (wr_file_stat(d->sent, wr_delivery_name(mid, ".eml", p), &e)
                == APR_SUCCESS
                || r->now - fi.mtime > ORPHAN_AGE) {
                wr_file_remove(d->q, name);
            }
        }
    }
}

/* sweep - now and then: expired suppressions, old sent/ texts */
static void sweep(run_t *r)
{
    wr_delivery_t *d = r->d;
    apr_array_header_t *ids;
    int k;

    wr_delivery_supp_sweep(d, r->now, r->p);
    if (wr_file_dir_list(d->sent, ".eml", &ids, r->p) != APR_SUCCESS) {
        return;
    }
    for (k = 0; k < ids->nelts; k++) {
        const char *name = wr_delivery_name(APR_ARRAY_IDX(ids, k,
                                                          const char *),
                                            ".eml", r->p);
        wr_file_info_t fi;

        if (wr_file_stat(d->sent, name, &fi) == APR_SUCCESS
            && r->now - fi.ctime > d->conf.sent_keep) {
            wr_file_remove(d->sent, name);
        }
    }
}

/* sweep_due - whether `sweep` is due at `now`. Each delivery process is
 * new (the notifier forks one per burst), so the time of the last sweep
 * is kept in the modification time of DIR/.swept, not only in memory. */
static int sweep_due(wr_delivery_t *d, apr_time_t now, apr_pool_t *p)
{
    apr_file_t *f;
    wr_file_info_t fi;

    if (now - d->last_sweep <= SWEEP_EVERY && now >= d->last_sweep) {
        return 0;
    }
    if (wr_file_stat(d->q, ".swept", &fi) == APR_SUCCESS
        && now - fi.mtime <= SWEEP_EVERY && now >= fi.mtime) {
        d->last_sweep = fi.mtime;
        return 0;
    }
    d->last_sweep = now;
    if (wr_file_open(&f, d->q, ".swept", WR_FILE_CREATE, p) == APR_SUCCESS) {
        apr_file_close(f);
        wr_file_touch(d->q, ".swept", now);
    }
    return 1;
}

/* prepare - an item's text and envelope into its wr_transport_msg_t; on a
 * message that cannot be sent, *why says why */
static apr_status_t prepare(run_t *r, item_t *it, const char **why)
{
    wr_delivery_t *d = r->d;
    apr_pool_t *p = r->p;
    wr_transport_msg_t *m = apr_pcalloc(p, sizeof(*m));
    apr_array_header_t *rcpt;
    char *data;
    apr_size_t len;
    apr_status_t rv;
    int eightbit = 0;

    rv = wr_file_read(d->q, wr_delivery_name(it->id, ".eml", p),
                      WR_DELIVERY_MESSAGE_MAX, &data, &len, NULL, p);
    if (rv == APR_FROM_OS_ERROR(EFBIG)) {
        *why = "the message is larger than 10 MB";
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = wr_delivery_env_load(d->q, it->id, &m->sender, &rcpt, &eightbit, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        apr_size_t i;

        rv = wr_delivery_envelope(data, len, &m->sender, &rcpt, why, p);
        for (i = 0; i < len && !eightbit; i++) {
            eightbit = (unsigned char)data[i] >= 0x80;
        }
    }
    else if (rv != APR_SUCCESS) {
        *why = "its envelope (.env) is malformed";
    }
    if (rv != APR_SUCCESS) {
        return APR_EINVAL;
    }
    m->rcpt = rcpt;
    m->data = data;
    m->len = len;
    m->eightbit = eightbit;
    m->baton = it;
    it->m = m;
    return APR_SUCCESS;
}

/* finish - book one message's outcome after the session */
static void finish(run_t *r, item_t *it, int dest_failed)
{
    wr_delivery_t *d = r->d;
    wr_transport_msg_t *m = it->m;
    apr_pool_t *p = r->p;
    apr_status_t rv;

    suppress_refused(r, m);
    switch (m->outcome) {
    case WR_TRANSPORT_SENT:
        if (!it->moved) {
            /* the rename in the hook failed: try once more, and drop the
             * text rather than send it again */
            rv = move(d, it->id, ".eml", d->sent, p);
            if (rv != APR_SUCCESS) {
                wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00311)
                              "delivery: %s was sent but cannot be moved to "
                              "sent/: removed from the queue", it->id);
                wr_file_remove(d->q, wr_delivery_name(it->id, ".eml", p));
            }
            r->any_moved = 1;
            if (m->n_deferred > 0) {
                requeue_deferred(it);
            }
        }
        wr_file_remove(d->q, wr_delivery_name(it->id, ".env", p));
        wr_file_remove(d->q, wr_delivery_name(it->id, ".state", p));
        sent_log(r, it);
        r->stats->sent++;
        wr_log_perror(WR_LOG_MARK, WR_LOG_NOTICE, 0, WRLOGNO(00300)
                      "delivery: %s sent to %s, queue id %s (%s)", it->id,
                      d->where, m->queue_id ? m->queue_id : "unknown",
                      m->reason);
        break;
    case WR_TRANSPORT_FAIL:
        it->st.attempts++;
        it->st.last_try = r->now;
        it->st.last_error = m->reason;
        move_to_failed(r, it->id, &it->st, m->reason);
        r->stats->failed++;
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, 0, WRLOGNO(00303)
                      "delivery: %s failed, moved to failed/: %s", it->id,
                      m->reason);
        break;
    case WR_TRANSPORT_DEFER:
        it->st.attempts++;
        it->st.last_try = r->now;
        it->st.last_error = m->reason;
        it->st.next_try = r->now + gap(&d->conf, (int)it->st.attempts);
        if (m->n_refused > 0) {
            /* the refused ones are not tried again */
            apr_array_header_t *rest = apr_array_make(p, 2,
                                                      sizeof(const char *));
            int k;
            for (k = 0; k < m->rcpt->nelts; k++) {
                if (!wr_transport_rcpt_refused(&m->rcpts[k])) {
                    APR_ARRAY_PUSH(rest, const char *) = m->rcpts[k].address;
                }
            }
            wr_delivery_env_write(d->q, wr_delivery_name(it->id, ".env", p),
                                  m->sender, rest, m->eightbit, 0, p);
        }
        if ((rv = wr_delivery_state_save(d->q, it->id, &it->st, p))
            != APR_SUCCESS) {
            wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00312)
                          "delivery: cannot write the state of %s", it->id);
        }
        r->stats->deferred++;
        if (!dest_failed) {
            wr_log_perror(WR_LOG_MARK, WR_LOG_INFO, 0, WRLOGNO(00301)
                          "delivery: %s deferred (attempt %u, next in %"
                          APR_TIME_T_FMT " s): %s", it->id,
                          (unsigned)it->st.attempts,
                          apr_time_sec(it->st.next_try - r->now), m->reason);
        }
        break;
    }
}

/* expire - a message queued for too long */
static void expire(run_t *r, item_t *it)
{
    const char *why = apr_psprintf(r->p, "expired: queued for %"
                                   APR_TIME_T_FMT " hours, %u attempt%s; "
                                   "last error: %s",
                                   apr_time_sec(r->now - it->st.queued)
                                   / 3600, (unsigned)it->st.attempts,
                                   it->st.attempts == 1 ? "" : "s",
                                   it->st.last_error ? it->st.last_error
                                                     : "none (never tried)");

    move_to_failed(r, it->id, &it->st, why);
    r->stats->expired++;
    wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, 0, WRLOGNO(00305)
                  "delivery: %s %s", it->id, why);
}

/* lock - the runner's flock on DIR/.lock */
static apr_status_t lock(wr_delivery_t *d, apr_file_t **f, apr_pool_t *p)
{
    apr_status_t rv;

    rv = wr_file_open(f, d->q, ".lock", WR_FILE_CREATE, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_lock(*f, APR_FLOCK_EXCLUSIVE | APR_FLOCK_NONBLOCK);
    if (rv != APR_SUCCESS) {
        apr_file_close(*f);
        return APR_STATUS_IS_EAGAIN(rv) || rv == APR_FROM_OS_ERROR(EWOULDBLOCK)
               ? APR_EAGAIN : rv;
    }
    return APR_SUCCESS;
}

/* collect - the queue's messages: expire the old, count the waiting,
 * return the due ones, oldest first */
static apr_array_header_t *collect(run_t *r, const apr_array_header_t *ids)
{
    wr_delivery_t *d = r->d;
    apr_array_header_t *due = apr_array_make(r->p, 16, sizeof(item_t *));
    int k;

    for (k = 0; k < ids->nelts; k++) {
        item_t *it = apr_pcalloc(r->p, sizeof(*it));
        wr_file_info_t fi;

        it->run = r;
        it->id = APR_ARRAY_IDX(ids, k, const char *);
        if (wr_file_stat(d->q, wr_delivery_name(it->id, ".eml", r->p), &fi)
            != APR_SUCCESS) {
            /* gone meanwhile, or not a regular file with one link: a
             * planted entry is never sent */
            continue;
        }
        if (wr_delivery_state_load(d->q, it->id, &it->st, r->p)
            == APR_SUCCESS) {
            it->has_state = 1;
        }
        if (it->st.queued == 0) {
            it->st.queued = fi.mtime;
        }
        if (d->conf.max_queue_time > 0
            && r->now - it->st.queued >= d->conf.max_queue_time) {
            expire(r, it);
            continue;
        }
        if (it->st.next_try > r->now) {
            r->stats->waiting++;
            continue;
        }
        APR_ARRAY_PUSH(due, item_t *) = it;
    }
    return due;
}

/* session - one transport session for `n` prepared items, each booked after
 * it; `rep` gets the outcome (also when run in the caller's process) */
static void session(run_t *r, item_t **items, int n, session_report_t *rep)
{
    wr_delivery_t *d = r->d;
    wr_transport_msg_t *msgs = apr_pcalloc(r->p, sizeof(*msgs) * (apr_size_t)n);
    wr_transport_hooks_t hooks;
    wr_transport_batch_t info;
    int k, dest_failed;

    for (k = 0; k < n; k++) {
        msgs[k] = *items[k]->m;
        items[k]->m = &msgs[k];
    }
    hooks.started = on_started;
    hooks.accepted = on_accepted;
    hooks.baton = r;
    d->transport->send(d->tconf, msgs, n, &hooks, &info, r->p);
    if (r->any_moved) {
        /* the renames of this session, durable against a power loss */
        wr_file_dir_sync(d->sent);
        wr_file_dir_sync(d->q);
    }
    dest_failed = info.n_sent == 0 && info.n_failed == 0
                  && info.n_deferred > 0;
    for (k = 0; k < n; k++) {
        finish(r, items[k], dest_failed);
    }
    wr_file_remove(d->q, r->inflight);
    if (info.note) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00313)
                      "delivery: %s with %s: %s", d->transport->name,
                      d->where, info.note);
    }
    memset(rep, 0, sizeof(*rep));
    rep->n_sent = info.n_sent;
    rep->n_deferred = info.n_deferred;
    rep->n_failed = info.n_failed;
    if (dest_failed) {
        apr_cpystrn(rep->error, info.error ? info.error : msgs[0].reason,
                    sizeof(rep->error));
    }
    rep->done = 1;
}

/* session_child - run `session` in a child process, which reports through
 * a pipe (wr_proc.h); *pid is -1 when no child could be made. The child
 * shares the runner's flock on .lock (an inherited descriptor), so no
 * second runner can start while it lives, even if this process is killed.
 * Asked to stop, it finishes its batch: every message's outcome is booked
 * before it ends. */
static void session_child(run_t *r, item_t **items, int n, int no,
                          pid_t *pid, int *fd)
{
    apr_status_t rv;

    *fd = -1;
    if ((rv = wr_proc_fork(pid, fd)) != APR_SUCCESS) {
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv,
                      WRLOGNO(00315) "delivery: cannot start session "
                      "%d in a process of its own; its messages wait for "
                      "the next pass", no);
        *pid = -1;
        return;
    }
    if (*pid == 0) {
        /* this process's own counts (r is its copy of the runner's) */
        wr_delivery_stats_t *st = apr_pcalloc(r->p, sizeof(*st));
        session_report_t rep;

        wr_proctitle_set(apr_pstrcat(r->p, "wormreply ",
                                      r->d->transport->name, " session",
                                      NULL));
        r->stats = st;
        r->any_moved = 0;
        r->inflight = apr_psprintf(r->p, ".inflight.%d", no);
        session(r, items, n, &rep);
        rep.sent = st->sent;
        rep.deferred = st->deferred;
        rep.failed = st->failed;
        rep.suppressed = st->suppressed;
        rep.requeued = st->requeued;
        wr_proc_report(*fd, &rep, sizeof(rep));
        wr_proc_exit(0);
    }
}

/* session_wait - the report of a child session; a child that died
 * before reporting leaves its messages queued, untouched */
static void session_wait(run_t *r, int no, pid_t pid, int fd,
                         session_report_t *rep)
{
    apr_size_t got;
    int status = 0;

    memset(rep, 0, sizeof(*rep));
    got = wr_proc_collect(fd, rep, sizeof(*rep));
    wr_proc_reap(pid, 1, &status);
    if (got != sizeof(*rep) || !rep->done) {
        memset(rep, 0, sizeof(*rep));
        wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, 0, WRLOGNO(00316)
                      "delivery: session %d (pid %ld) ended abnormally "
                      "(%s %d); its unsent messages stay queued", no,
                      (long)pid, WIFSIGNALED(status) ? "signal" : "status",
                      WIFSIGNALED(status) ? WTERMSIG(status)
                                          : WEXITSTATUS(status));
        inflight_check(r, apr_psprintf(r->p, ".inflight.%d", no));
    }
}

/* rotate_sent_log - sent/sent.log to sent.log.old past SENT_LOG_MAX */
static void rotate_sent_log(run_t *r)
{
    wr_file_info_t fi;

    if (wr_file_stat(r->d->sent, "sent.log", &fi) == APR_SUCCESS
        && fi.size > SENT_LOG_MAX) {
        wr_file_rename(r->d->sent, "sent.log", r->d->sent, "sent.log.old",
                       0);
    }
}

apr_status_t wr_delivery_run(wr_delivery_t *d, apr_time_t now,
                             wr_delivery_stats_t *stats, apr_pool_t *pool)
{
    wr_delivery_stats_t dummy;
    apr_array_header_t *ids, *due;
    item_t **items;
    wr_delivery_state_t dest;
    run_t r;
    apr_file_t *lock_file = NULL;
    apr_pool_t *p;
    apr_status_t rv;
    int k, n = 0, nsess, per, limit, s, dest_failed;
    int n_sent = 0, n_failed = 0, n_deferred = 0;
    const char *error = NULL;

    if (stats == NULL) {
        stats = &dummy;
    }
    memset(stats, 0, sizeof(*stats));
    if (d->transport == NULL) {
        return APR_EINVAL;
    }
    apr_pool_create(&p, pool);
    apr_pool_tag(p, "wr_delivery_run");
    memset(&r, 0, sizeof(r));
    r.d = d;
    r.p = p;
    r.now = now;
    r.stats = stats;
    r.inflight = ".inflight";
    if ((rv = lock(d, &lock_file, p)) != APR_SUCCESS) {
        lock_file = NULL;
        goto leave;
    }
    if (!d->recovered) {
        d->recovered = 1;
        recover(&r);
    }
    if (sweep_due(d, now, p)) {
        sweep(&r);
    }
    if ((rv = wr_file_dir_list(d->q, ".eml", &ids, p)) != APR_SUCCESS) {
        goto leave;
    }
    due = collect(&r, ids);
    if (wr_delivery_state_load(d->dest, d->dest_key, &dest, p)
        != APR_SUCCESS) {
        memset(&dest, 0, sizeof(dest));
    }
    if (due->nelts == 0 || dest.next_try > now) {
        /* the destination is backing off: every due message waits */
        stats->waiting += due->nelts;
        goto leave;
    }
    limit = d->conf.batch_max * d->conf.sessions;
    items = apr_pcalloc(p, sizeof(item_t *) * (apr_size_t)limit);
    for (k = 0; k < due->nelts && n < limit; k++) {
        item_t *it = APR_ARRAY_IDX(due, k, item_t *);
        const char *why = NULL;

        if (prepare(&r, it, &why) != APR_SUCCESS) {
            if (why) {
                wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, 0, WRLOGNO(00302)
                              "delivery: %s cannot be sent (%s), moved to "
                              "failed/", it->id, why);
                move_to_failed(&r, it->id, &it->st, why);
                stats->failed++;
            }
            continue;
        }
        items[n++] = it;
    }
    stats->waiting += due->nelts - k;
    stats->left = due->nelts - k;
    rv = APR_SUCCESS;
    if (n == 0) {
        goto leave;
    }
    rotate_sent_log(&r);
    stats->session = 1;
    stats->attempted = n;
    /* sessions of about equal size, the oldest messages first in each */
    nsess = (n + SESSION_MIN_MESSAGES - 1) / SESSION_MIN_MESSAGES;
    if (nsess > d->conf.sessions) {
        nsess = d->conf.sessions;
    }
    if (d->transport->sessions > 0 && nsess > d->transport->sessions) {
        nsess = d->transport->sessions;
    }
    per = (n + nsess - 1) / nsess;
    nsess = (n + per - 1) / per;
    {
        pid_t *pids = apr_pcalloc(p, sizeof(pid_t) * (apr_size_t)nsess);
        int *fds = apr_pcalloc(p, sizeof(int) * (apr_size_t)nsess);
        session_report_t rep;

        for (s = 1; s < nsess; s++) {
            int m = s == nsess - 1 ? n - s * per : per;

            session_child(&r, items + s * per, m, s, &pids[s], &fds[s]);
            if (pids[s] < 0) {
                /* untouched: they wait for the next pass */
                stats->attempted -= m;
                stats->waiting += m;
                stats->left += m;
            }
        }
        session(&r, items, per, &rep);
        n_sent += rep.n_sent;
        n_deferred += rep.n_deferred;
        n_failed += rep.n_failed;
        if (rep.error[0]) {
            error = apr_pstrdup(p, rep.error);
        }
        for (s = 1; s < nsess; s++) {
            if (pids[s] < 0) {
                continue;
            }
            session_wait(&r, s, pids[s], fds[s], &rep);
            n_sent += rep.n_sent;
            n_deferred += rep.n_deferred;
            n_failed += rep.n_failed;
            stats->sent += rep.sent;
            stats->deferred += rep.deferred;
            stats->failed += rep.failed;
            stats->suppressed += rep.suppressed;
            stats->requeued += rep.requeued;
            if (rep.error[0] && error == NULL) {
                error = apr_pstrdup(p, rep.error);
            }
        }
    }
    stats->sessions = nsess;
    dest_failed = n_sent == 0 && n_failed == 0 && n_deferred > 0;
    if (dest_failed) {
        const char *why = error ? error : "every message deferred";
        dest.attempts++;
        dest.last_try = now;
        dest.next_try = now + gap(&d->conf, (int)dest.attempts);
        dest.last_error = why;
        stats->error = apr_pstrdup(pool, why);
        wr_log_perror(WR_LOG_MARK, WR_LOG_WARNING, 0, WRLOGNO(00314)
                      "delivery: nothing delivered to %s (%s); %d message%s "
                      "wait, next try in %" APR_TIME_T_FMT " s", d->where,
                      why, n, n == 1 ? "" : "s",
                      apr_time_sec(dest.next_try - now));
        wr_delivery_state_save(d->dest, d->dest_key, &dest, p);
    }
    else if (dest.attempts > 0 || dest.next_try > 0) {
        dest.attempts = 0;
        dest.next_try = 0;
        dest.last_try = now;
        wr_delivery_state_save(d->dest, d->dest_key, &dest, p);
    }
leave:
    if (lock_file) {
        apr_file_unlock(lock_file);
        apr_file_close(lock_file);
    }
    apr_pool_destroy(p);
    return rv;
}
