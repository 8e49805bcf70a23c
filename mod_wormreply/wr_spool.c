/* wr_spool.c - maildir-style durable spool of probe events (see wr_spool.h):
 * the directories and the queue; the record codec is in wr_spool_record.c
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "wr_file.h"
#include "wr_spool.h"
#include "wr_spool_int.h"

/* How long a cached size count stays trusted before wr_spool_put reads
 * the directories again: the notifier drains the spool meanwhile, and
 * reading two directories on every put would put a readdir on the probe
 * path. */
#define WR_SPOOL_RECOUNT (apr_time_from_sec(1))

/* How often wr_spool_put retries a name collision (O_EXCL said EEXIST):
 * with 64 random bits in a name this only happens to a broken RNG. */
#define WR_SPOOL_NAME_TRIES 3

struct wr_spool_t {
    const char *dirs[4];           /* tmp new cur failed: paths */
    wr_file_dir_t *root;
    wr_file_dir_t *d[4];           /* their handles (wr_file.h) */
    apr_size_t max_entries;
    apr_off_t max_bytes;
    int put_flags;                 /* wr_file_put's: WR_FILE_SYNC or 0 */
    /* The size cache, shared by the threads of a child: atomics only. */
    volatile apr_uint64_t counted_at;  /* apr_time_t, 0 = never */
    volatile apr_uint64_t n_entries;
    volatile apr_uint64_t n_bytes;
};

static const char *const dir_names[4] = { "tmp", "new", "cur", "failed" };

static volatile apr_uint32_t name_counter;

/* keeps "../x", "/etc/passwd" and dot files out of every path we build */
int wr_spool_id_ok(const char *id)
{
    const char *s;

    if (id == NULL || id[0] == '\0' || id[0] == '.'
        || strlen(id) > WR_SPOOL_ID_MAX) {
        return 0;
    }
    for (s = id; *s; s++) {
        if (!apr_isalnum(*s) && *s != '.') {
            return 0;
        }
    }
    return 1;
}

apr_time_t wr_id_time(const char *id)
{
    char *end;
    apr_int64_t sec, usec;

    if (!wr_spool_id_ok(id) || !apr_isdigit(id[0])) {
        return 0;
    }
    sec = apr_strtoi64(id, &end, 10);
    if (*end != '.' || !apr_isdigit(end[1])) {
        return 0;
    }
    usec = apr_strtoi64(end + 1, &end, 10);
    /* A crafted name must not overflow the product (issue 11 part 5:
     * found by UBSan on "99999999999999999999.999999.x"). */
    if (*end != '.' || sec < 0 || usec < 0 || usec >= APR_USEC_PER_SEC
        || sec > (APR_INT64_MAX - usec) / APR_USEC_PER_SEC) {
        return 0;
    }
    return apr_time_from_sec(sec) + usec;
}

/* open_dirs - the root and its four subdirectories; *what (may be NULL)
 * names the one that failed */
static apr_status_t open_dirs(wr_spool_t *spool, const char *dir, int flags,
                              const char **what, apr_pool_t *p)
{
    apr_status_t rv;
    int i;

    if (what) {
        *what = dir;
    }
    if ((rv = wr_file_dir_open(&spool->root, dir, flags, p)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < 4; i++) {
        spool->dirs[i] = apr_pstrcat(p, wr_file_dir_path(spool->root), "/",
                                     dir_names[i], NULL);
        if (what) {
            *what = spool->dirs[i];
        }
        if ((rv = wr_file_dir_sub(&spool->d[i], spool->root, dir_names[i],
                                  flags, p)) != APR_SUCCESS) {
            return rv;
        }
    }
    if (what) {
        *what = NULL;
    }
    return APR_SUCCESS;
}

apr_status_t wr_spool_open(wr_spool_t **pspool, const char *dir,
                           apr_size_t max_entries, apr_off_t max_bytes,
                           apr_pool_t *p)
{
    wr_spool_t *spool = apr_pcalloc(p, sizeof(*spool));
    apr_status_t rv;

    spool->max_entries = max_entries;
    spool->max_bytes = max_bytes;
    spool->put_flags = WR_FILE_SYNC;
    if ((rv = open_dirs(spool, dir, WR_FILE_MKDIR, NULL, p)) == APR_SUCCESS) {
        *pspool = spool;
    }
    return rv;
}

apr_status_t wr_spool_attach(wr_spool_t **pspool, const char *dir,
                             const char **what, apr_pool_t *p)
{
    wr_spool_t *spool = apr_pcalloc(p, sizeof(*spool));
    apr_status_t rv;

    spool->put_flags = WR_FILE_SYNC;
    if ((rv = open_dirs(spool, dir, 0, what, p)) == APR_SUCCESS) {
        *pspool = spool;
    }
    return rv;
}

void wr_spool_set_sync(wr_spool_t *spool, int sync)
{
    spool->put_flags = sync ? WR_FILE_SYNC : 0;
}

/* commit_dir - the fallback group commit of one directory: each record,
 * then the directory (what is gone or refused is not ours to sync) */
static apr_status_t commit_dir(wr_spool_t *spool, wr_spool_dir_e which,
                               apr_pool_t *p)
{
    apr_array_header_t *ids;
    apr_status_t rv;
    int k;

    if ((rv = wr_spool_list(spool, which, &ids, p)) != APR_SUCCESS) {
        return rv;
    }
    for (k = 0; k < ids->nelts; k++) {
        rv = wr_file_sync(spool->d[which], APR_ARRAY_IDX(ids, k,
                                                         const char *));
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)
            && !WR_FILE_IS_REFUSED(rv)) {
            return rv;
        }
    }
    return wr_file_dir_sync(spool->d[which]);
}

apr_status_t wr_spool_commit(wr_spool_t *spool, apr_pool_t *p)
{
    apr_status_t rv = wr_file_fs_sync(spool->root);

    if (rv != APR_ENOTIMPL) {
        return rv;
    }
    if ((rv = commit_dir(spool, WR_SPOOL_NEW, p)) != APR_SUCCESS) {
        return rv;
    }
    return commit_dir(spool, WR_SPOOL_CUR, p);
}

const char *wr_spool_dir(const wr_spool_t *spool, wr_spool_dir_e which)
{
    return spool->dirs[which];
}

void wr_spool_owner(const wr_spool_t *spool, uid_t *uid, gid_t *gid)
{
    wr_file_dir_owner(spool->root, uid, gid);
}

/* make_id - a fresh unique record id */
static apr_status_t make_id(const char **id, apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[8];
    char *b, *o;
    int i;
    apr_time_t now = apr_time_now();
    apr_status_t rv;

    if ((rv = apr_generate_random_bytes(rnd, sizeof(rnd))) != APR_SUCCESS) {
        return rv;
    }
    /* "%011sec.%06usec.P<pid>.Q<counter>.R<16 hex>", by hand (see
     * put_dec) */
    b = o = apr_palloc(p, 11 + 20 + 1 + 6 + 2 + 20 + 2 + 20 + 2 + 16 + 1);
    o += put_dec(o, (apr_uint64_t)(now < 0 ? 0 : apr_time_sec(now)), 11);
    *o++ = '.';
    o += put_dec(o, (apr_uint64_t)apr_time_usec(now), 6);
    *o++ = '.';
    *o++ = 'P';
    o += put_dec(o, (apr_uint64_t)getpid(), 1);
    *o++ = '.';
    *o++ = 'Q';
    o += put_dec(o, apr_atomic_inc32(&name_counter), 1);
    *o++ = '.';
    *o++ = 'R';
    for (i = 0; i < (int)sizeof(rnd); i++) {
        *o++ = hex[rnd[i] >> 4];
        *o++ = hex[rnd[i] & 15];
    }
    *o = '\0';
    *id = b;
    return APR_SUCCESS;
}

/* write_tmp - `text` in a new file of tmp/, fsynced; *pid is its name */
static apr_status_t write_tmp(wr_spool_t *spool, const char *text,
                              apr_size_t len, const char **pid, apr_pool_t *p)
{
    apr_status_t rv = APR_EEXIST;
    const char *id = NULL;
    int tries;

    for (tries = 0; tries < WR_SPOOL_NAME_TRIES
         && APR_STATUS_IS_EEXIST(rv); tries++) {
        if ((rv = make_id(&id, p)) != APR_SUCCESS) {
            return rv;
        }
        rv = wr_file_create(spool->d[WR_SPOOL_TMP], id, text, len,
                            WR_FILE_SYNC);
    }
    if (rv == APR_SUCCESS) {
        *pid = id;
    }
    return rv;
}

/* count_dir - entries and bytes of one directory's records (what is not
 * a regular file with one link is not a record: not counted) */
static apr_status_t count_dir(wr_file_dir_t *d, int *n, apr_off_t *bytes,
                              apr_time_t *oldest, apr_pool_t *p)
{
    apr_array_header_t *names;
    apr_status_t rv;
    int k;

    if ((rv = wr_file_dir_list(d, "", &names, p)) != APR_SUCCESS) {
        return rv;
    }
    for (k = 0; k < names->nelts; k++) {
        const char *name = APR_ARRAY_IDX(names, k, const char *);
        wr_file_info_t fi;
        apr_time_t t;

        if (!wr_spool_id_ok(name)
            || wr_file_stat(d, name, &fi) != APR_SUCCESS) {
            continue;
        }
        (*n)++;
        *bytes += fi.size;
        t = wr_id_time(name);
        if (oldest != NULL && t > 0 && (*oldest == 0 || t < *oldest)) {
            *oldest = t;
        }
    }
    return APR_SUCCESS;
}

apr_status_t wr_spool_stat(wr_spool_t *spool, wr_spool_stat_t *st,
                           apr_pool_t *p)
{
    apr_status_t rv;

    memset(st, 0, sizeof(*st));
    if ((rv = count_dir(spool->d[WR_SPOOL_NEW], &st->n_new, &st->bytes,
                        &st->oldest, p)) != APR_SUCCESS
        || (rv = count_dir(spool->d[WR_SPOOL_CUR], &st->n_cur, &st->bytes,
                           &st->oldest, p)) != APR_SUCCESS
        || (rv = count_dir(spool->d[WR_SPOOL_FAILED], &st->n_failed,
                           &st->bytes_failed, NULL, p)) != APR_SUCCESS) {
        return rv;
    }
    return APR_SUCCESS;
}

/* over_limit - whether one more record of `len` bytes would exceed the
 * limits, using (and refreshing once a second) the size cache */
static int over_limit(wr_spool_t *spool, apr_size_t len, apr_pool_t *p)
{
    apr_time_t now;
    apr_uint64_t n, bytes;

    if (spool->max_entries == 0 && spool->max_bytes == 0) {
        return 0;
    }
    now = apr_time_now();
    if ((apr_time_t)apr_atomic_read64(&spool->counted_at) + WR_SPOOL_RECOUNT
        <= now) {
        wr_spool_stat_t st;
        if (wr_spool_stat(spool, &st, p) == APR_SUCCESS) {
            apr_atomic_set64(&spool->n_entries,
                             (apr_uint64_t)(st.n_new + st.n_cur));
            apr_atomic_set64(&spool->n_bytes, (apr_uint64_t)st.bytes);
            apr_atomic_set64(&spool->counted_at, (apr_uint64_t)now);
        }
    }
    n = apr_atomic_read64(&spool->n_entries);
    bytes = apr_atomic_read64(&spool->n_bytes);
    if (spool->max_entries > 0 && n + 1 > spool->max_entries) {
        return 1;
    }
    if (spool->max_bytes > 0
        && bytes + len > (apr_uint64_t)spool->max_bytes) {
        return 1;
    }
    return 0;
}

apr_status_t wr_spool_put(wr_spool_t *spool, const wr_event_t *ev,
                          const char **pid, apr_pool_t *p)
{
    const char *text;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = wr_event_dump(ev, &text, &len, p)) != APR_SUCCESS) {
        return rv;
    }
    return wr_spool_put_text(spool, text, len, pid, p);
}

apr_status_t wr_spool_put_text(wr_spool_t *spool, const char *text,
                               apr_size_t len, const char **pid,
                               apr_pool_t *p)
{
    const char *id = NULL;
    apr_status_t rv;
    int tries;

    if (over_limit(spool, len, p)) {
        rv = APR_ENOSPC;
        goto leave;
    }
    /* tmp/ -> new/ through the descriptors opened at wr_spool_open: no
     * path is walked here. The record is complete before its name
     * appears; a failed directory fsync is reported, but the record
     * stays: taking it back could lose an event that is in fact on
     * disk. Without sync (the request path) neither fsync happens: the
     * notifier's wr_spool_commit makes the record durable. */
    rv = APR_EEXIST;
    for (tries = 0; tries < WR_SPOOL_NAME_TRIES
         && APR_STATUS_IS_EEXIST(rv); tries++) {
        if ((rv = make_id(&id, p)) != APR_SUCCESS) {
            goto leave;
        }
        rv = wr_file_put(spool->d[WR_SPOOL_TMP], spool->d[WR_SPOOL_NEW], id,
                         text, len, spool->put_flags, p);
    }
    if (rv == APR_SUCCESS) {
        apr_atomic_add64(&spool->n_entries, 1);
        apr_atomic_add64(&spool->n_bytes, len);
    }
leave:
    if (rv == APR_SUCCESS && pid != NULL) {
        *pid = id;
    }
    return rv;
}

apr_status_t wr_spool_list(wr_spool_t *spool, wr_spool_dir_e which,
                           apr_array_header_t **ids, apr_pool_t *p)
{
    apr_array_header_t *names, *a;
    apr_status_t rv;
    int k;

    if ((rv = wr_file_dir_list(spool->d[which], "", &names, p))
        != APR_SUCCESS) {
        return rv;
    }
    a = apr_array_make(p, names->nelts > 0 ? names->nelts : 1,
                       sizeof(const char *));
    for (k = 0; k < names->nelts; k++) {
        const char *name = APR_ARRAY_IDX(names, k, const char *);
        if (wr_spool_id_ok(name)) {
            APR_ARRAY_PUSH(a, const char *) = name;
        }
    }
    *ids = a;
    return APR_SUCCESS;
}

apr_status_t wr_spool_raw(wr_spool_t *spool, wr_spool_dir_e which,
                          const char *id, char **buf, apr_size_t *len,
                          apr_pool_t *p)
{
    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    return wr_file_read(spool->d[which], id, WR_SPOOL_RECORD_MAX, buf, len,
                        NULL, p);
}

apr_status_t wr_spool_load(wr_spool_t *spool, wr_spool_dir_e which,
                           const char *id, wr_event_t **ev, apr_pool_t *p)
{
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = wr_spool_raw(spool, which, id, &buf, &len, p))
        != APR_SUCCESS) {
        return rv;
    }
    return wr_event_parse(buf, len, ev, NULL, p);
}

apr_status_t wr_spool_take(wr_spool_t *spool, const char *id,
                           wr_event_t **ev, apr_pool_t *p)
{
    apr_status_t rv;

    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    /* The rename is the claim: only one of any number of takers wins. */
    rv = wr_file_rename(spool->d[WR_SPOOL_NEW], id, spool->d[WR_SPOOL_CUR],
                        id, 0);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    rv = wr_spool_load(spool, WR_SPOOL_CUR, id, ev, p);
    if (rv == APR_EINVAL || rv == APR_FROM_OS_ERROR(EFBIG)) {
        /* A record we cannot read would be taken again forever. */
        wr_file_rename(spool->d[WR_SPOOL_CUR], id, spool->d[WR_SPOOL_FAILED],
                       id, 0);
        rv = APR_EINVAL;
    }
    return rv;
}

apr_status_t wr_spool_done(wr_spool_t *spool, const char *id, apr_pool_t *p)
{
    return wr_spool_remove(spool, WR_SPOOL_CUR, id, p);
}

apr_status_t wr_spool_remove(wr_spool_t *spool, wr_spool_dir_e which,
                             const char *id, apr_pool_t *p)
{
    apr_status_t rv;

    (void)p;
    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    rv = wr_file_remove(spool->d[which], id);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return wr_file_dir_sync(spool->d[which]);
}

/* replace_in - write `ev` to tmp/ and rename it over <which>/<id>, so that
 * the record changes content in one atomic step */
static apr_status_t replace_in(wr_spool_t *spool, wr_spool_dir_e which,
                               const char *id, const wr_event_t *ev,
                               apr_pool_t *p)
{
    const char *text, *tmp_id;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = wr_event_dump(ev, &text, &len, p)) != APR_SUCCESS
        || (rv = write_tmp(spool, text, len, &tmp_id, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = wr_file_rename(spool->d[WR_SPOOL_TMP], tmp_id, spool->d[which], id,
                        0);
    if (rv != APR_SUCCESS) {
        wr_file_remove(spool->d[WR_SPOOL_TMP], tmp_id);
    }
    return rv;
}

/* move - rename id from one directory to another and sync the target */
static apr_status_t move(wr_spool_t *spool, const char *id,
                         wr_spool_dir_e from, wr_spool_dir_e to)
{
    apr_status_t rv;

    rv = wr_file_rename(spool->d[from], id, spool->d[to], id, 0);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return wr_file_dir_sync(spool->d[to]);
}

apr_status_t wr_spool_fail(wr_spool_t *spool, const char *id,
                           const char *reason, apr_pool_t *p)
{
    wr_event_t *ev;
    apr_status_t rv;

    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    rv = wr_spool_load(spool, WR_SPOOL_CUR, id, &ev, p);
    if (rv == APR_SUCCESS) {
        ev->failure = reason ? reason : "";
        ev->decision = NULL;
        ev->reason = NULL;
        ev->due = 0;
        if ((rv = replace_in(spool, WR_SPOOL_CUR, id, ev, p))
            != APR_SUCCESS) {
            return rv;
        }
    }
    else if (rv != APR_EINVAL) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return move(spool, id, WR_SPOOL_CUR, WR_SPOOL_FAILED);
}

apr_status_t wr_spool_release(wr_spool_t *spool, const char *id,
                              const wr_event_t *updated, apr_pool_t *p)
{
    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    if (updated != NULL) {
        wr_file_info_t fi;
        apr_status_t rv;

        /* Check first: replace_in would create cur/<id> from nothing. */
        rv = wr_file_stat(spool->d[WR_SPOOL_CUR], id, &fi);
        if (rv != APR_SUCCESS) {
            return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
        }
        if ((rv = replace_in(spool, WR_SPOOL_CUR, id, updated, p))
            != APR_SUCCESS) {
            return rv;
        }
    }
    return move(spool, id, WR_SPOOL_CUR, WR_SPOOL_NEW);
}

apr_status_t wr_spool_note(wr_spool_t *spool, const char *id,
                           const wr_event_t *ev, apr_pool_t *p)
{
    wr_file_info_t fi;
    apr_status_t rv;

    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    /* replace_in would create cur/<id> from nothing: a record the CLI
     * dropped or the notifier finished stays gone */
    rv = wr_file_stat(spool->d[WR_SPOOL_CUR], id, &fi);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return replace_in(spool, WR_SPOOL_CUR, id, ev, p);
}

apr_status_t wr_spool_retry(wr_spool_t *spool, const char *id, apr_pool_t *p)
{
    wr_event_t *ev;
    apr_status_t rv;

    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    if ((rv = wr_spool_load(spool, WR_SPOOL_FAILED, id, &ev, p))
        != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    ev->attempts = 0;
    ev->next_try = 0;
    ev->failure = NULL;
    ev->decision = NULL;
    ev->reason = NULL;
    ev->due = 0;
    /* failed/ is the notifier's to write, never to read: rewriting the
     * record there and moving it on are each atomic, so a crash leaves it
     * in failed/ (old or new text) or in new/, never in both */
    if ((rv = replace_in(spool, WR_SPOOL_FAILED, id, ev, p)) != APR_SUCCESS
        || (rv = move(spool, id, WR_SPOOL_FAILED, WR_SPOOL_NEW))
           != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return wr_file_dir_sync(spool->d[WR_SPOOL_FAILED]);
}

apr_status_t wr_spool_recover(wr_spool_t *spool, apr_time_t now,
                              apr_interval_time_t tmp_age,
                              int *tmp_removed, int *cur_returned,
                              apr_pool_t *p)
{
    apr_status_t rv;
    apr_array_header_t *ids;
    int i, nt = 0, nc = 0;

    if ((rv = wr_spool_list(spool, WR_SPOOL_TMP, &ids, p)) != APR_SUCCESS) {
        goto leave;
    }
    for (i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        wr_file_info_t fi;

        if (wr_file_stat(spool->d[WR_SPOOL_TMP], id, &fi) == APR_SUCCESS
            && fi.mtime + tmp_age < now
            && wr_file_remove(spool->d[WR_SPOOL_TMP], id) == APR_SUCCESS) {
            nt++;
        }
    }
    if ((rv = wr_spool_list(spool, WR_SPOOL_CUR, &ids, p)) != APR_SUCCESS) {
        goto leave;
    }
    for (i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);

        rv = wr_file_rename(spool->d[WR_SPOOL_CUR], id,
                            spool->d[WR_SPOOL_NEW], id, 0);
        if (WR_FILE_IS_REFUSED(rv)) {
            continue;           /* not a record: not ours to move */
        }
        if (rv != APR_SUCCESS) {
            goto leave;
        }
        nc++;
    }
    rv = APR_SUCCESS;
    if (nc > 0) {
        rv = wr_file_dir_sync(spool->d[WR_SPOOL_NEW]);
    }
leave:
    if (tmp_removed != NULL) {
        *tmp_removed = nt;
    }
    if (cur_returned != NULL) {
        *cur_returned = nc;
    }
    return rv;
}
