/* wr_delivery_record.c - the outbox's records (see wr_delivery.h): a
 * message's or the destination's .state, a message's .env, and the queue's
 * figures read from them (wr_delivery_queue_stat). The passes that write
 * them are in wr_delivery.c, the enqueueing in wr_delivery_enqueue.c. */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_delivery_int.h"
#include "wr_file.h"

const char *wr_delivery_name(const char *id, const char *ext, apr_pool_t *p)
{
    return apr_pstrcat(p, id, ext, NULL);
}

apr_status_t wr_delivery_state_load(wr_file_dir_t *dir, const char *id,
                                    wr_delivery_state_t *st, apr_pool_t *p)
{
    apr_table_t *t;
    apr_status_t rv;

    memset(st, 0, sizeof(*st));
    if ((rv = wr_file_record_load(dir, wr_delivery_name(id, ".state", p),
                                  NULL, &t, p)) != APR_SUCCESS) {
        return rv;
    }
    st->queued = wr_file_record_time(t, "queued");
    st->attempts = (apr_uint32_t)apr_atoi64(apr_table_get(t, "attempts")
                                            ? apr_table_get(t, "attempts")
                                            : "0");
    st->last_try = wr_file_record_time(t, "last-try");
    st->next_try = wr_file_record_time(t, "next-try");
    st->last_error = apr_table_get(t, "last-error");
    st->failure = apr_table_get(t, "failure");
    return APR_SUCCESS;
}

/* through wr_file_record_dump: the texts become one line each */
apr_status_t wr_delivery_state_save(wr_file_dir_t *dir, const char *id,
                                    const wr_delivery_state_t *st,
                                    apr_pool_t *p)
{
    apr_table_t *t = apr_table_make(p, 8);
    const char *text;

    apr_table_addn(t, "queued", apr_psprintf(p, "%" APR_TIME_T_FMT,
                                             st->queued));
    apr_table_addn(t, "attempts", apr_psprintf(p, "%u",
                                               (unsigned)st->attempts));
    apr_table_addn(t, "last-try", apr_psprintf(p, "%" APR_TIME_T_FMT,
                                               st->last_try));
    apr_table_addn(t, "next-try", apr_psprintf(p, "%" APR_TIME_T_FMT,
                                               st->next_try));
    if (st->last_error) {
        apr_table_addn(t, "last-error", st->last_error);
    }
    if (st->failure) {
        apr_table_addn(t, "failure", st->failure);
    }
    text = wr_file_record_dump(t, p);
    return wr_file_write(dir, wr_delivery_name(id, ".state", p), text,
                         strlen(text), 0, p);
}

/* env_dump - the .env text */
static const char *env_dump(const char *sender,
                            const apr_array_header_t *rcpt, int eightbit,
                            apr_pool_t *p)
{
    const char *text = apr_psprintf(p, "version: %d\nsender: %s\n",
                                    WR_DELIVERY_VERSION, sender);
    int k;

    for (k = 0; k < rcpt->nelts; k++) {
        text = apr_pstrcat(p, text, "rcpt: ",
                           APR_ARRAY_IDX(rcpt, k, const char *), "\n", NULL);
    }
    return apr_pstrcat(p, text, "eightbit: ", eightbit ? "1" : "0", "\n",
                       NULL);
}

apr_status_t wr_delivery_env_write(wr_file_dir_t *dir, const char *name,
                                   const char *sender,
                                   const apr_array_header_t *rcpt,
                                   int eightbit, int flags, apr_pool_t *p)
{
    const char *text = env_dump(sender, rcpt, eightbit, p);

    return wr_file_write(dir, name, text, strlen(text), flags, p);
}

apr_status_t wr_delivery_env_load(wr_file_dir_t *dir, const char *id,
                                  const char **sender,
                                  apr_array_header_t **rcpt, int *eightbit,
                                  apr_pool_t *p)
{
    const apr_array_header_t *arr;
    const apr_table_entry_t *e;
    apr_table_t *t;
    apr_status_t rv;
    int k;

    if ((rv = wr_file_record_load(dir, wr_delivery_name(id, ".env", p), NULL,
                                  &t, p)) != APR_SUCCESS) {
        return rv;
    }
    *sender = apr_table_get(t, "sender");
    *eightbit = apr_table_get(t, "eightbit")
                && !strcmp(apr_table_get(t, "eightbit"), "1");
    *rcpt = apr_array_make(p, 4, sizeof(const char *));
    arr = apr_table_elts(t);
    e = (const apr_table_entry_t *)arr->elts;
    for (k = 0; k < arr->nelts; k++) {
        if (!strcmp(e[k].key, "rcpt")) {
            if (!wr_notice_address_ok(e[k].val)) {
                return APR_EINVAL;
            }
            APR_ARRAY_PUSH(*rcpt, const char *) = e[k].val;
        }
    }
    if (*sender == NULL || (**sender && !wr_notice_address_ok(*sender))
        || (*rcpt)->nelts == 0) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* count_ext - files DIR/<id><ext> */
static int count_ext(wr_file_dir_t *dir, const char *ext, apr_pool_t *p)
{
    apr_array_header_t *ids;

    return wr_file_dir_list(dir, ext, &ids, p) == APR_SUCCESS ? ids->nelts
                                                                : 0;
}

apr_status_t wr_delivery_queue_stat(wr_delivery_t *d,
                                    wr_delivery_queue_stat_t *st,
                                    apr_pool_t *p)
{
    apr_array_header_t *ids;
    wr_delivery_state_t s, dest;
    wr_file_info_t fi;
    apr_status_t rv;
    int k;

    memset(st, 0, sizeof(*st));
    if ((rv = wr_file_dir_list(d->q, ".eml", &ids, p)) != APR_SUCCESS) {
        return rv;
    }
    st->queued = ids->nelts;
    for (k = 0; k < ids->nelts; k++) {
        const char *id = APR_ARRAY_IDX(ids, k, const char *);
        apr_time_t q = 0;

        if (wr_delivery_state_load(d->q, id, &s, p) == APR_SUCCESS) {
            q = s.queued;
            st->retrying += s.attempts > 0;
        }
        if (q == 0
            && wr_file_stat(d->q, wr_delivery_name(id, ".eml", p), &fi)
               == APR_SUCCESS) {
            q = fi.mtime;
        }
        if (q && (st->oldest == 0 || q < st->oldest)) {
            st->oldest = q;
        }
    }
    st->failed = count_ext(d->failed, ".eml", p);
    st->sent = count_ext(d->sent, ".eml", p);
    if (d->dest_key
        && wr_delivery_state_load(d->dest, d->dest_key, &dest, p)
           == APR_SUCCESS) {
        st->next_try = dest.next_try;
        st->dest_failures = (int)dest.attempts;
        st->last_error = dest.last_error;
        st->last_error_at = dest.last_error ? dest.last_try : 0;
    }
    return APR_SUCCESS;
}
