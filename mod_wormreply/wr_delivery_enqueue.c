/* wr_delivery_enqueue.c - putting messages in the outbox (see
 * wr_delivery.h): the envelope, then the text; one message per To
 * recipient with its VERP sender when there is a bounce address. The
 * passes that send them are in wr_delivery.c. */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_delivery_int.h"
#include "wr_file.h"
#include "wr_log.h"
#include "wr_verp.h"

/* queue_one - DIR/<id>.env (`sender`, `rcpt`), then DIR/<id>.eml with the
 * text of `msg` */
static apr_status_t queue_one(wr_delivery_t *d, const wr_notice_t *msg,
                              const char *id, const char *sender,
                              const apr_array_header_t *rcpt, apr_pool_t *p)
{
    wr_notice_t copy = *msg;
    apr_status_t rv;

    copy.report_id = id;
    /* the envelope first: a visible .eml always has its .env */
    if ((rv = wr_delivery_env_write(d->q, wr_delivery_name(id, ".env", p),
                                    sender, rcpt, msg->eightbit, WR_FILE_EXCL,
                                    p)) != APR_SUCCESS) {
        return rv;
    }
    rv = wr_delivery_store(d, &copy, p);
    if (rv != APR_SUCCESS) {
        wr_file_remove(d->q, wr_delivery_name(id, ".env", p));
    }
    return rv;
}

/* queue_verp - one message per To recipient with its VERP sender, one for
 * the Bcc recipients with the plain bounce address; an id queued already
 * (a retry after a partial failure) is passed over */
static apr_status_t queue_verp(wr_delivery_t *d, const wr_notice_t *msg,
                               const apr_array_header_t *rcpt,
                               const apr_array_header_t *bcc, apr_time_t now,
                               const char **first, apr_pool_t *p)
{
    apr_array_header_t *one = apr_array_make(p, 1, sizeof(const char *));
    apr_status_t rv;
    int k, existed = 0, total = rcpt->nelts + (bcc->nelts > 0);

    if (!d->have_key) {
        if ((rv = wr_verp_key_load(d->q, 1, &d->verp_key, p))
            != APR_SUCCESS) {
            wr_log_perror(WR_LOG_MARK, WR_LOG_ERR, rv, WRLOGNO(00700)
                          "delivery: cannot load or make the bounce key "
                          "%s/" WR_VERP_KEY_FILE, d->dir);
            return rv;
        }
        d->have_key = 1;
    }
    for (k = 0; k < rcpt->nelts; k++) {
        const char *a = APR_ARRAY_IDX(rcpt, k, const char *), *sender;
        const char *id = apr_psprintf(p, "%s-v%d", msg->report_id, k + 1);

        if (!wr_file_id_ok(id, strlen(id))) {
            return APR_EINVAL;
        }
        if ((rv = wr_verp_sender(&d->verp_key, d->conf.bounce_address,
                                 msg->report_id, a, now, &sender, p))
            != APR_SUCCESS) {
            return rv;
        }
        one->nelts = 0;
        APR_ARRAY_PUSH(one, const char *) = a;
        rv = queue_one(d, msg, id, sender, one, p);
        if (APR_STATUS_IS_EEXIST(rv)) {
            existed++;
        }
        else if (rv != APR_SUCCESS) {
            return rv;
        }
        if (first && *first == NULL) {
            *first = id;
        }
    }
    if (bcc->nelts > 0) {
        /* the operator's copy: bounces of it are the operator's own */
        rv = queue_one(d, msg, msg->report_id, d->conf.bounce_address, bcc,
                       p);
        if (APR_STATUS_IS_EEXIST(rv)) {
            existed++;
        }
        else if (rv != APR_SUCCESS) {
            return rv;
        }
        if (first && *first == NULL) {
            *first = msg->report_id;
        }
    }
    return existed == total ? APR_EEXIST : APR_SUCCESS;
}

apr_status_t wr_delivery_enqueue(wr_delivery_t *d, const wr_notice_t *msg,
                                 apr_time_t now, int *dropped,
                                 apr_pool_t *p)
{
    return wr_delivery_enqueue_first(d, msg, now, dropped, NULL, p);
}

apr_status_t wr_delivery_enqueue_first(wr_delivery_t *d,
                                       const wr_notice_t *msg,
                                       apr_time_t now, int *dropped,
                                       const char **first, apr_pool_t *p)
{
    apr_array_header_t *rcpt, *bcc;
    int k, drop = 0, nto;

    if (dropped) {
        *dropped = 0;
    }
    if (first) {
        *first = NULL;
    }
    if (msg->report_id == NULL
        || !wr_file_id_ok(msg->report_id, strlen(msg->report_id))
        || msg->from == NULL || msg->rcpt == NULL || msg->rcpt->nelts == 0) {
        return APR_EINVAL;
    }
    /* a message not made by wr_notice_compose: all of them are To */
    nto = msg->nto > 0 && msg->nto <= msg->rcpt->nelts ? msg->nto
                                                       : msg->rcpt->nelts;
    rcpt = apr_array_make(p, msg->rcpt->nelts, sizeof(const char *));
    bcc = apr_array_make(p, 1, sizeof(const char *));
    for (k = 0; k < msg->rcpt->nelts; k++) {
        const char *a = APR_ARRAY_IDX(msg->rcpt, k, const char *);
        if (!wr_notice_address_ok(a)) {
            return APR_EINVAL;
        }
        if (wr_delivery_suppressed(d, a, now)) {
            drop++;
            continue;
        }
        APR_ARRAY_PUSH(k < nto || !d->conf.bounce_address ? rcpt : bcc,
                       const char *) = a;
    }
    if (dropped) {
        *dropped = drop;
    }
    if (rcpt->nelts + bcc->nelts == 0) {
        return APR_ENOENT;
    }
    if (d->conf.bounce_address) {
        return queue_verp(d, msg, rcpt, bcc, now, first, p);
    }
    if (first) {
        *first = msg->report_id;
    }
    return queue_one(d, msg, msg->report_id, msg->from, rcpt, p);
}

apr_status_t wr_delivery_store(wr_delivery_t *d, const wr_notice_t *msg,
                               apr_pool_t *p)
{
    if (msg->report_id == NULL
        || !wr_file_id_ok(msg->report_id, strlen(msg->report_id))) {
        return APR_EINVAL;
    }
    /* link(2), not rename(2): it refuses to replace an existing message,
     * and either way the final name only ever names a complete file */
    return wr_file_write(d->q, wr_delivery_name(msg->report_id, ".eml", p),
                         msg->data, msg->len, WR_FILE_EXCL, p);
}
