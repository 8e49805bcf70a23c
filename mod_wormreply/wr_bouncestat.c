/* wr_bouncestat.c - the counts of wormreply bounce (see wr_bouncestat.h) */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_bouncestat.h"

/* get_u64 - a decimal field, 0 if absent */
static apr_uint64_t get_u64(apr_table_t *t, const char *key)
{
    const char *v = apr_table_get(t, key);

    return v ? (apr_uint64_t)apr_atoi64(v) : 0;
}

apr_status_t wr_bouncestat_read(wr_file_dir_t *dir, wr_bouncestat_t *st,
                                apr_pool_t *p)
{
    apr_table_t *t;
    apr_status_t rv;

    memset(st, 0, sizeof(*st));
    rv = wr_file_record_load(dir, WR_BOUNCESTAT_FILE, NULL, &t, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    st->received = get_u64(t, "received");
    st->hard = get_u64(t, "hard");
    st->ignored = get_u64(t, "ignored");
    st->ignored_logged = wr_file_record_time(t, "ignored-logged");
    return APR_SUCCESS;
}

/* write_stat - `st` as DIR/bounces.stat, durably */
static apr_status_t write_stat(wr_file_dir_t *dir, const wr_bouncestat_t *st,
                               apr_pool_t *p)
{
    apr_table_t *t = apr_table_make(p, 4);
    const char *text;

    apr_table_set(t, "received",
                  apr_psprintf(p, "%" APR_UINT64_T_FMT, st->received));
    apr_table_set(t, "hard", apr_psprintf(p, "%" APR_UINT64_T_FMT, st->hard));
    apr_table_set(t, "ignored",
                  apr_psprintf(p, "%" APR_UINT64_T_FMT, st->ignored));
    apr_table_set(t, "ignored-logged",
                  apr_psprintf(p, "%" APR_TIME_T_FMT, st->ignored_logged));
    text = wr_file_record_dump(t, p);
    return wr_file_write(dir, WR_BOUNCESTAT_FILE, text, strlen(text), 0, p);
}

apr_status_t wr_bouncestat_add(wr_file_dir_t *dir, int hard, int ignored,
                               apr_time_t now, int *log_it,
                               wr_bouncestat_t *out, apr_pool_t *p)
{
    wr_bouncestat_t st;
    apr_file_t *lock;
    apr_status_t rv;
    int log_now = 0;

    if (log_it) {
        *log_it = 0;
    }
    rv = wr_file_open(&lock, dir, ".bounce-lock", WR_FILE_CREATE, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* blocking: another bounce holds it for one small write */
    if ((rv = apr_file_lock(lock, APR_FLOCK_EXCLUSIVE)) != APR_SUCCESS) {
        apr_file_close(lock);
        return rv;
    }
    if ((rv = wr_bouncestat_read(dir, &st, p)) == APR_SUCCESS) {
        st.received++;
        st.hard += hard != 0;
        st.ignored += ignored != 0;
        if (ignored && (now - st.ignored_logged >= WR_BOUNCESTAT_LOG_EVERY
                        || now < st.ignored_logged)) {
            st.ignored_logged = now;
            log_now = 1;
        }
        rv = write_stat(dir, &st, p);
    }
    apr_file_unlock(lock);
    apr_file_close(lock);
    if (rv == APR_SUCCESS) {
        if (log_it) {
            *log_it = log_now;
        }
        if (out) {
            *out = st;
        }
    }
    return rv;
}
