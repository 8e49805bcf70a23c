/* wr_delivery_supp.c - the suppression list: recipients refused for good,
 * not mailed again until their time is over (an SDBM file in the outbox,
 * see wr_delivery.h) */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_dbm.h"
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
    return wr_dbm_open(dbm, d->supp_path, mode, p);
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

typedef struct walk_t walk_t;

/* supp_visit_fn - one entry of the list met by a walk, its value there.
 * @return nonzero to have the entry deleted after the walk */
typedef int supp_visit_fn(walk_t *w, apr_datum_t k, apr_datum_t v);

/* walk_t - what a walk of the list collects or calls, in its pool */
struct walk_t {
    apr_time_t now;
    apr_pool_t *p;
    apr_array_header_t *list;   /* wr_suppression_t * */
    wr_suppressed_fn *fn;
    void *baton;
    supp_visit_fn *visit;
};

/* supp_one - the wr_dbm_fn of every walk of the list: a key without a
 * value (never stored so by wr_delivery_suppress_why) is passed over */
static int supp_one(void *baton, const apr_datum_t *key,
                    const apr_datum_t *val)
{
    walk_t *w = baton;

    return val->dptr != NULL && w->visit(w, *key, *val);
}

/* supp_read - w->visit for every entry of the list opened for reading (a
 * walk ended by an error gives what it met); no list yet (nobody was ever
 * suppressed) is an empty one */
static apr_status_t supp_read(wr_delivery_t *d, walk_t *w)
{
    apr_dbm_t *dbm;
    apr_status_t rv;

    rv = supp_open(d, APR_DBM_READONLY, &dbm, w->p);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_SUCCESS : rv;
    }
    (void)wr_dbm_walk(dbm, supp_one, w, NULL, w->p);
    apr_dbm_close(dbm);
    return APR_SUCCESS;
}

/* list_live - an entry still in force, parsed, onto w->list */
static int list_live(walk_t *w, apr_datum_t k, apr_datum_t v)
{
    wr_suppression_t *s = supp_parse(k, v, w->p);

    if (s->until > w->now) {
        APR_ARRAY_PUSH(w->list, wr_suppression_t *) = s;
    }
    return 0;
}

apr_status_t wr_delivery_suppressions(wr_delivery_t *d, apr_time_t now,
                                      apr_array_header_t **list,
                                      apr_pool_t *p)
{
    walk_t w = { now, p, NULL, NULL, NULL, list_live };
    apr_status_t rv;

    *list = w.list = apr_array_make(p, 8, sizeof(wr_suppression_t *));
    if ((rv = supp_read(d, &w)) != APR_SUCCESS) {
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
static int call_live(walk_t *w, apr_datum_t k, apr_datum_t v)
{
    apr_time_t until = supp_until(v, w->p);

    if (until > w->now) {
        w->fn(w->baton, apr_pstrmemdup(w->p, k.dptr, k.dsize), until);
    }
    return 0;
}

apr_status_t wr_delivery_suppressed_each(wr_delivery_t *d, apr_time_t now,
                                         wr_suppressed_fn *fn, void *baton,
                                         apr_pool_t *p)
{
    walk_t w = { now, p, NULL, fn, baton, call_live };

    return supp_read(d, &w);
}

/* is_expired - whether an entry's time is over (wr_dbm_walk deletes it) */
static int is_expired(walk_t *w, apr_datum_t k, apr_datum_t v)
{
    (void)k;
    return supp_until(v, w->p) <= w->now;
}

void wr_delivery_supp_sweep(wr_delivery_t *d, apr_time_t now, apr_pool_t *p)
{
    walk_t w = { now, p, NULL, NULL, NULL, is_expired };
    apr_dbm_t *dbm;

    if (supp_open(d, APR_DBM_READWRITE, &dbm, p) != APR_SUCCESS) {
        return;
    }
    (void)wr_dbm_walk(dbm, supp_one, &w, NULL, p);
    apr_dbm_close(dbm);
}
