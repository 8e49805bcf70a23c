/* wr_dbm.c - opening and walking the project's SDBM files (see wr_dbm.h) */
#include <string.h>

#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_dbm.h"

apr_status_t wr_dbm_open(apr_dbm_t **dbm, const char *path, apr_int32_t mode,
                         apr_pool_t *p)
{
    return apr_dbm_open_ex(dbm, "SDBM", path, mode,
                           APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
}

apr_status_t wr_dbm_walk(apr_dbm_t *dbm, wr_dbm_fn *fn, void *baton,
                         int *deleted, apr_pool_t *p)
{
    apr_array_header_t *gone = NULL;
    apr_datum_t key, val;
    apr_status_t rv;
    int i, n = 0, met = 0;

    rv = apr_dbm_firstkey(dbm, &key);
    while (rv == APR_SUCCESS && key.dptr != NULL && met++ < WR_DBM_WALK_MAX) {
        memset(&val, 0, sizeof(val));
        if (apr_dbm_fetch(dbm, key, &val) == APR_SUCCESS) {
            if (fn(baton, &key, &val)) {
                apr_datum_t *k;

                if (gone == NULL) {
                    gone = apr_array_make(p, 16, sizeof(apr_datum_t));
                }
                k = apr_array_push(gone);
                k->dptr = apr_pmemdup(p, key.dptr, key.dsize);
                k->dsize = key.dsize;
            }
            if (val.dptr != NULL) {
                apr_dbm_freedatum(dbm, val);
            }
        }
        rv = apr_dbm_nextkey(dbm, &key);
    }
    for (i = 0; rv == APR_SUCCESS && gone != NULL && i < gone->nelts; i++) {
        if ((rv = apr_dbm_delete(dbm, APR_ARRAY_IDX(gone, i, apr_datum_t)))
            == APR_SUCCESS) {
            n++;
        }
    }
    if (deleted != NULL) {
        *deleted = n;
    }
    return rv;
}
