/* wr_dbm.h - the project's DBM files (SDBM, built into APR-util
 * everywhere): opened one way, walked one way
 *
 * The notice history (wr_history) and the outbox's suppression list are
 * SDBM files: PATH.dir and PATH.pag, mode 0600. SDBM locks them while
 * they are open, so each operation opens and closes them.
 *
 * Walking: apr_dbm_firstkey/nextkey give each key once as long as the
 * file does not change under the walk; deleting a key while walking can
 * make SDBM skip others, so wr_dbm_walk deletes only after the walk, the
 * keys its callback asked for. A damaged file whose chain of keys loops
 * would walk for ever: wr_dbm_walk stops after WR_DBM_WALK_MAX keys.
 */
#ifndef WR_DBM_H
#define WR_DBM_H

#include <apr_dbm.h>
#include <apr_pools.h>

/* WR_DBM_WALK_MAX - the most keys one wr_dbm_walk meets: far above any
 * history or suppression list the module keeps, low enough that a looping
 * chain of keys ends in moments */
#define WR_DBM_WALK_MAX 1000000

/* wr_dbm_open - the SDBM file at `path` (APR_DBM_READONLY, _READWRITE,
 * _RWCREATE: made with mode 0600), its handle in `p`.
 * @return the DBM error */
apr_status_t wr_dbm_open(apr_dbm_t **dbm, const char *path, apr_int32_t mode,
                         apr_pool_t *p);

/* wr_dbm_fn - one pair of wr_dbm_walk: `val` as apr_dbm_fetch gave it
 * (dptr NULL when SDBM has no value for the key); both are valid during
 * the call only.
 * @return nonzero to have the pair deleted after the walk */
typedef int wr_dbm_fn(void *baton, const apr_datum_t *key,
                      const apr_datum_t *val);

/* wr_dbm_walk - every pair of `dbm`, in no order (a key whose value
 * cannot be fetched is passed over), at most WR_DBM_WALK_MAX of them (a
 * walk stopped there ends well: the pairs met are handled); then, if the walk ended well, the
 * keys `fn` asked for deleted, in the order met, until one fails.
 * *deleted (may be NULL) gets how many were. `p` holds the keys to delete
 * until then.
 * @return APR_SUCCESS, the error that ended the walk, the first delete
 *         error */
apr_status_t wr_dbm_walk(apr_dbm_t *dbm, wr_dbm_fn *fn, void *baton,
                         int *deleted, apr_pool_t *p);

#endif
