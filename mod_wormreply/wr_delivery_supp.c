/* wr_delivery_supp.c - the suppression list: recipients refused for good,
 * not mailed again until their time is over (an SDBM file in the outbox,
 * see wr_delivery.h) */
#include <stdlib.h>
#include <string.h>

#include <apr_dbm.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_delivery_int.h"

/* supp_open - the suppression list (SDBM: DIR/suppressed.pag and .dir).
 * apr_dbm opens by path, so its two files are first checked through
 * wr_file: a symbolic link, a hard link or a FIFO planted in their place
 * is refused rather than followed. */
static apr_status_t supp_open(wr_delivery_t *d, apr_int32_t mode,
                              apr_dbm_t **dbm, apr_pool_t *p)
{
    static const char *const files[] = { "suppressed.pag", "suppressed.dir" };
    wr_file_info_t fi;
    int k;

    for (k = 0; k < 2; k++) {
        apr_status_t rv = wr_file_stat(d->q, files[k], &fi);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
            return rv;
        }
    }
    return apr_dbm_open_ex(dbm, "SDBM", d->supp_path, mode,
                           APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
}

/* supp_key - the address in lower case as a DBM key */
static apr_datum_t supp_key(const char *address, apr_pool_t *p)
{
    apr_datum_t k;
    char *s = apr_pstrdup(p, address), *c;

    for (c = s; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    k.dptr = s;
    k.dsize = strlen(s);
    return k;
}

/* supp_until - the time a DBM value (see wr_delivery.h) holds first */
static apr_time_t supp_until(apr_datum_t v, apr_pool_t *p)
{
    return (apr_time_t)apr_atoi64(apr_pstrmemdup(p, v.dptr, v.dsize));
}

/* supp_visit_fn - one entry of the list met by supp_walk */
typedef void supp_visit_fn(void *baton, apr_datum_t k, apr_datum_t v);

/* supp_walk - `fn` for every entry of an open list, in DBM order. At most
 * a million keys: a damaged file whose chain of keys loops cannot hold
 * the caller for ever. `fn` must not change the list (deleting while
 * walking SDBM can skip keys). */
static void supp_walk(apr_dbm_t *dbm, supp_visit_fn *fn, void *baton)
{
    apr_datum_t k, v;
    int n = 0;

    if (apr_dbm_firstkey(dbm, &k) != APR_SUCCESS) {
        return;
    }
    while (k.dptr != NULL && n++ < 1000000) {
        memset(&v, 0, sizeof(v));
        if (apr_dbm_fetch(dbm, k, &v) == APR_SUCCESS && v.dptr) {
            fn(baton, k, v);
        }
        if (apr_dbm_nextkey(dbm, &k) != APR_SUCCESS) {
            break;
        }
    }
}

apr_status_t wr_delivery_suppress(wr_delivery_t *d, const char *address,
                                  apr_time_t until, int code)
{
    wr_suppression_t s;

    memset(&s, 0, sizeof(s));
    s.address = address;
    s.until = until;
    s.code = code;
    s.reason = "refused";
    return wr_delivery_suppress_why(d, &s);
}

/* supp_text - `s` fit for a suppression value: one line without tabs, at
 * most WR_SUPPRESSION_TEXT_MAX bytes */
static const char *supp_text(const char *s, apr_pool_t *p)
{
    char *t = apr_pstrndup(p, s ? s : "", WR_SUPPRESSION_TEXT_MAX), *c;

    for (c = t; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
    return t;
}

apr_status_t wr_delivery_suppress_why(wr_delivery_t *d,
                                      const wr_suppression_t *s)
{
    apr_pool_t *p;
    apr_dbm_t *dbm;
    apr_status_t rv;

    if (s->address == NULL || *s->address == '\0'
        || strlen(s->address) > 254 || s->reason == NULL
        || *s->reason == '\0' || strlen(s->reason) > 32
        || strpbrk(s->reason, " \t\r\n")) {
        return APR_EINVAL;
    }
    apr_pool_create(&p, d->pool);
    rv = supp_open(d, APR_DBM_RWCREATE, &dbm, p);
    if (rv == APR_SUCCESS) {
        apr_datum_t k = supp_key(s->address, p), v;

        v.dptr = apr_psprintf(p, "%" APR_TIME_T_FMT " %d %s\t%s\t%s",
                              s->until, s->code, s->reason,
                              supp_text(s->status, p),
                              supp_text(s->diagnostic, p));
        v.dsize = strlen(v.dptr);
        rv = apr_dbm_store(dbm, k, v);
        apr_dbm_close(dbm);
    }
    apr_pool_destroy(p);
    return rv;
}

/* supp_parse - an entry from its DBM key and value */
static wr_suppression_t *supp_parse(apr_datum_t k, apr_datum_t v,
                                    apr_pool_t *p)
{
    wr_suppression_t *s = apr_pcalloc(p, sizeof(*s));
    char *val = apr_pstrmemdup(p, v.dptr, v.dsize), *c, *tab;

    s->address = apr_pstrmemdup(p, k.dptr, k.dsize);
    s->until = (apr_time_t)apr_atoi64(val);
    s->reason = "refused";
    s->status = "";
    s->diagnostic = "";
    if ((c = strchr(val, ' ')) != NULL) {
        s->code = atoi(c + 1);
        if ((c = strchr(c + 1, ' ')) != NULL) {
            s->reason = ++c;
            if ((tab = strchr(c, '\t')) != NULL) {
                *tab = '\0';
                s->status = ++tab;
                if ((tab = strchr(tab, '\t')) != NULL) {
                    *tab = '\0';
                    s->diagnostic = tab + 1;
                }
            }
        }
    }
    return s;
}

/* supp_cmp - by address */
static int supp_cmp(const void *a, const void *b)
{
    return strcmp((*(wr_suppression_t *const *)a)->address,
                  (*(wr_suppression_t *const *)b)->address);
}

/* walk_t - what a walk of the list collects or calls, in its pool */
typedef struct {
    apr_time_t now;
    apr_pool_t *p;
    apr_array_header_t *list;   /* wr_suppression_t *, or apr_datum_t */
    wr_suppressed_fn *fn;
    void *baton;
} walk_t;

/* supp_read - supp_walk over the list opened for reading; no list yet
 * (nobody was ever suppressed) is an empty one */
static apr_status_t supp_read(wr_delivery_t *d, supp_visit_fn *fn,
                              void *baton, apr_pool_t *p)
{
    apr_dbm_t *dbm;
    apr_status_t rv;

    rv = supp_open(d, APR_DBM_READONLY, &dbm, p);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_SUCCESS : rv;
    }
    supp_walk(dbm, fn, baton);
    apr_dbm_close(dbm);
    return APR_SUCCESS;
}

/* list_live - an entry still in force, parsed, onto w->list */
static void list_live(void *baton, apr_datum_t k, apr_datum_t v)
{
    walk_t *w = baton;
    wr_suppression_t *s = supp_parse(k, v, w->p);

    if (s->until > w->now) {
        APR_ARRAY_PUSH(w->list, wr_suppression_t *) = s;
    }
}

apr_status_t wr_delivery_suppressions(wr_delivery_t *d, apr_time_t now,
                                      apr_array_header_t **list,
                                      apr_pool_t *p)
{
    walk_t w = { now, p, NULL, NULL, NULL };
    apr_status_t rv;

    *list = w.list = apr_array_make(p, 8, sizeof(wr_suppression_t *));
    if ((rv = supp_read(d, list_live, &w, p)) != APR_SUCCESS) {
        return rv;
    }
    qsort((*list)->elts, (apr_size_t)(*list)->nelts,
          sizeof(wr_suppression_t *), supp_cmp);
    return APR_SUCCESS;
}

apr_status_t wr_delivery_unsuppress(wr_delivery_t *d, const char *address,
                                    apr_pool_t *p)
{
    apr_dbm_t *dbm;
    apr_datum_t k;
    apr_status_t rv;

    if (address == NULL || *address == '\0' || strlen(address) > 254) {
        return APR_ENOENT;
    }
    rv = supp_open(d, APR_DBM_READWRITE, &dbm, p);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    k = supp_key(address, p);
    rv = apr_dbm_exists(dbm, k) ? apr_dbm_delete(dbm, k) : APR_ENOENT;
    apr_dbm_close(dbm);
    return rv;
}

int wr_delivery_suppressed(wr_delivery_t *d, const char *address,
                           apr_time_t now)
{
    apr_pool_t *p;
    apr_dbm_t *dbm;
    int hit = 0;

    if (address == NULL || *address == '\0' || strlen(address) > 254) {
        return 0;
    }
    apr_pool_create(&p, d->pool);
    if (supp_open(d, APR_DBM_READONLY, &dbm, p) == APR_SUCCESS) {
        apr_datum_t k = supp_key(address, p), v;

        memset(&v, 0, sizeof(v));
        if (apr_dbm_fetch(dbm, k, &v) == APR_SUCCESS && v.dptr != NULL) {
            hit = supp_until(v, p) > now;
        }
        apr_dbm_close(dbm);
    }
    apr_pool_destroy(p);
    return hit;
}

/* call_live - the caller's function for an entry still in force */
static void call_live(void *baton, apr_datum_t k, apr_datum_t v)
{
    walk_t *w = baton;
    apr_time_t until = supp_until(v, w->p);

    if (until > w->now) {
        w->fn(w->baton, apr_pstrmemdup(w->p, k.dptr, k.dsize), until);
    }
}

apr_status_t wr_delivery_suppressed_each(wr_delivery_t *d, apr_time_t now,
                                         wr_suppressed_fn *fn, void *baton,
                                         apr_pool_t *p)
{
    walk_t w = { now, p, NULL, fn, baton };

    return supp_read(d, call_live, &w, p);
}

/* list_expired - the key of an entry whose time is over onto w->list */
static void list_expired(void *baton, apr_datum_t k, apr_datum_t v)
{
    walk_t *w = baton;

    if (supp_until(v, w->p) <= w->now) {
        apr_datum_t *o = apr_array_push(w->list);

        o->dptr = apr_pmemdup(w->p, k.dptr, k.dsize);
        o->dsize = k.dsize;
    }
}

void wr_delivery_supp_sweep(wr_delivery_t *d, apr_time_t now, apr_pool_t *p)
{
    walk_t w = { now, p, NULL, NULL, NULL };
    apr_dbm_t *dbm;
    int i;

    if (supp_open(d, APR_DBM_READWRITE, &dbm, p) != APR_SUCCESS) {
        return;
    }
    /* collect first: deleting while walking SDBM can skip keys */
    w.list = apr_array_make(p, 8, sizeof(apr_datum_t));
    supp_walk(dbm, list_expired, &w);
    for (i = 0; i < w.list->nelts; i++) {
        apr_dbm_delete(dbm, APR_ARRAY_IDX(w.list, i, apr_datum_t));
    }
    apr_dbm_close(dbm);
}
