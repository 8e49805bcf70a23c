/* wr_history.c - persistent record of notices sent (see wr_history.h) */
#include <string.h>

#include <apr_dbm.h>
#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_dbm.h"
#include "wr_history.h"

struct wr_history_t {
    const char *path;
    apr_pool_t *pool;
};

static const char *const prefixes[] = { "host:", "domain:", "seen:" };

apr_status_t wr_history_open(wr_history_t **ph, const char *path,
                             apr_pool_t *p)
{
    wr_history_t *h;
    apr_status_t rv;

    apr_dbm_t *dbm;

    h = apr_pcalloc(p, sizeof(*h));
    h->pool = p;
    h->path = apr_pstrdup(p, path);
    /* Create the files now, so that a bad path shows at start-up. */
    rv = wr_dbm_open(&dbm, path, APR_DBM_RWCREATE, p);
    if (rv == APR_SUCCESS) {
        apr_dbm_close(dbm);
        *ph = h;
    }
    return rv;
}

apr_status_t wr_history_open_existing(wr_history_t **ph, const char *path,
                                      apr_pool_t *p)
{
    wr_history_t *h;
    apr_dbm_t *dbm;
    apr_finfo_t fi;
    apr_status_t rv;
    const char *pag = apr_pstrcat(p, path, ".pag", NULL);

    /* SDBM's read-only open would still make a missing pair of files */
    if ((rv = apr_stat(&fi, pag, APR_FINFO_TYPE, p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = wr_dbm_open(&dbm, path, APR_DBM_READONLY, p)) != APR_SUCCESS) {
        return rv;
    }
    apr_dbm_close(dbm);
    h = apr_pcalloc(p, sizeof(*h));
    h->pool = p;
    h->path = apr_pstrdup(p, path);
    *ph = h;
    return APR_SUCCESS;
}

void wr_history_close(wr_history_t *h)
{
    h->path = NULL;
}

/* hopen - open the file for one operation. SDBM locks the file for as
 * long as it is open, so holding it open would shut out every reader
 * (the CLI) for the notifier's lifetime. */
static apr_status_t hopen(wr_history_t *h, apr_int32_t mode, apr_dbm_t **dbm,
                          apr_pool_t **tmp)
{
    apr_status_t rv;

    if (h->path == NULL) {
        return APR_EBADF;
    }
    if ((rv = apr_pool_create(tmp, h->pool)) != APR_SUCCESS) {
        return rv;
    }
    rv = wr_dbm_open(dbm, h->path, mode, *tmp);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(*tmp);
    }
    return rv;
}

/* hclose - end of one operation */
static void hclose(apr_dbm_t *dbm, apr_pool_t *tmp)
{
    apr_dbm_close(dbm);
    apr_pool_destroy(tmp);
}

/* make_key - "<kind>:<name>" as a DBM datum; 0 if the name is unusable */
static int make_key(wr_history_kind_e kind, const char *name, char *buf,
                    apr_datum_t *key)
{
    apr_size_t plen, nlen;

    if (name == NULL || (kind != WR_HISTORY_HOST
                         && kind != WR_HISTORY_DOMAIN
                         && kind != WR_HISTORY_SEEN)) {
        return 0;
    }
    plen = strlen(prefixes[kind]);
    nlen = strlen(name);
    if (nlen == 0 || plen + nlen > WR_HISTORY_KEY_MAX) {
        return 0;
    }
    memcpy(buf, prefixes[kind], plen);
    memcpy(buf + plen, name, nlen);
    key->dptr = buf;
    key->dsize = plen + nlen;
    return 1;
}

/* parse_time - a stored value: decimal digits only */
static int parse_time(const apr_datum_t *val, apr_time_t *t)
{
    apr_int64_t r = 0;
    apr_size_t i;

    if (val->dptr == NULL || val->dsize == 0 || val->dsize > 19) {
        return 0;
    }
    for (i = 0; i < val->dsize; i++) {
        if (val->dptr[i] < '0' || val->dptr[i] > '9') {
            return 0;
        }
        r = r * 10 + (val->dptr[i] - '0');
    }
    *t = r;
    return 1;
}

apr_status_t wr_history_last(wr_history_t *h, wr_history_kind_e kind,
                             const char *name, apr_time_t *when)
{
    char buf[WR_HISTORY_KEY_MAX];
    apr_datum_t key, val;
    apr_dbm_t *dbm;
    apr_pool_t *tmp;
    apr_status_t rv;

    if (!make_key(kind, name, buf, &key)) {
        return APR_EINVAL;
    }
    if ((rv = hopen(h, APR_DBM_READONLY, &dbm, &tmp)) != APR_SUCCESS) {
        return rv;
    }
    memset(&val, 0, sizeof(val));
    rv = apr_dbm_fetch(dbm, key, &val);
    /* SDBM says "not there" with a NULL datum, not with an error. */
    if (rv == APR_SUCCESS && !parse_time(&val, when)) {
        rv = APR_ENOENT;
    }
    hclose(dbm, tmp);
    return rv;
}

int wr_history_recent(wr_history_t *h, wr_history_kind_e kind,
                      const char *name, apr_time_t now,
                      apr_interval_time_t window)
{
    apr_time_t last;

    if (wr_history_last(h, kind, name, &last) != APR_SUCCESS) {
        return 0;
    }
    return now - last < window && now - last >= -window;
}

apr_status_t wr_history_record(wr_history_t *h, wr_history_kind_e kind,
                               const char *name, apr_time_t when)
{
    char buf[WR_HISTORY_KEY_MAX], num[24];
    apr_datum_t key, val;
    apr_dbm_t *dbm;
    apr_pool_t *tmp;
    apr_status_t rv;

    if (!make_key(kind, name, buf, &key) || when < 0) {
        return APR_EINVAL;
    }
    val.dptr = num;
    val.dsize = (apr_size_t)apr_snprintf(num, sizeof(num),
                                         "%" APR_INT64_T_FMT, when);
    if ((rv = hopen(h, APR_DBM_READWRITE, &dbm, &tmp)) != APR_SUCCESS) {
        return rv;
    }
    if (kind == WR_HISTORY_SEEN) {
        /* events may be finished out of order (a retried lookup): the
         * last probe stays the last */
        apr_datum_t old;
        apr_time_t t;
        memset(&old, 0, sizeof(old));
        if (apr_dbm_fetch(dbm, key, &old) == APR_SUCCESS
            && parse_time(&old, &t) && t >= when) {
            hclose(dbm, tmp);
            return APR_SUCCESS;
        }
    }
    rv = apr_dbm_store(dbm, key, val);
    hclose(dbm, tmp);
    return rv;
}

/* each_t - a wr_history_each walk */
typedef struct {
    const char *prefix;
    apr_size_t plen;
    wr_history_fn *fn;
    void *baton;
} each_t;

/* each_one - a record of the kind walked, if its time is readable */
static int each_one(void *baton, const apr_datum_t *key,
                    const apr_datum_t *val)
{
    each_t *e = baton;
    apr_time_t t;

    if (key->dsize > e->plen && !memcmp(key->dptr, e->prefix, e->plen)
        && parse_time(val, &t)) {
        e->fn(e->baton, key->dptr + e->plen, key->dsize - e->plen, t);
    }
    return 0;
}

apr_status_t wr_history_each(wr_history_t *h, wr_history_kind_e kind,
                             wr_history_fn *fn, void *baton)
{
    apr_pool_t *tmp;
    apr_dbm_t *dbm;
    apr_status_t rv;
    each_t e;

    if (kind != WR_HISTORY_HOST && kind != WR_HISTORY_DOMAIN
        && kind != WR_HISTORY_SEEN) {
        return APR_EINVAL;
    }
    e.prefix = prefixes[kind];
    e.plen = strlen(e.prefix);
    e.fn = fn;
    e.baton = baton;
    if ((rv = hopen(h, APR_DBM_READONLY, &dbm, &tmp)) != APR_SUCCESS) {
        return rv;
    }
    rv = wr_dbm_walk(dbm, each_one, &e, NULL, tmp);
    hclose(dbm, tmp);
    return rv;
}

/* expire_t - a wr_history_expire walk */
typedef struct {
    apr_time_t now;
    apr_interval_time_t max_age;
} expire_t;

/* expire_one - whether a record is too old ("seen" ones kept at least
 * WR_HISTORY_SEEN_KEEP) or unreadable */
static int expire_one(void *baton, const apr_datum_t *key,
                      const apr_datum_t *val)
{
    const expire_t *x = baton;
    apr_interval_time_t keep = x->max_age;
    apr_size_t slen = strlen(prefixes[WR_HISTORY_SEEN]);
    apr_time_t t;

    if (key->dsize > slen
        && !memcmp(key->dptr, prefixes[WR_HISTORY_SEEN], slen)
        && keep < WR_HISTORY_SEEN_KEEP) {
        keep = WR_HISTORY_SEEN_KEEP;
    }
    return !parse_time(val, &t) || x->now - t > keep;
}

apr_status_t wr_history_expire(wr_history_t *h, apr_time_t now,
                               apr_interval_time_t max_age, int *removed)
{
    apr_pool_t *tmp;
    apr_dbm_t *dbm;
    apr_status_t rv;
    expire_t x;
    int n = 0;

    x.now = now;
    x.max_age = max_age;
    if ((rv = hopen(h, APR_DBM_READWRITE, &dbm, &tmp)) != APR_SUCCESS) {
        return rv;
    }
    rv = wr_dbm_walk(dbm, expire_one, &x, &n, tmp);
    hclose(dbm, tmp);
    if (removed != NULL) {
        *removed = n;
    }
    return rv;
}
