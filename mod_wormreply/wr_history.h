/* wr_history.h - what the notifier has sent, on disk, so that a full
 * restart (shared memory gone) does not notify anyone twice in a window;
 * and every host the notifier has dealt with, for "wormreply blocklist"
 *
 * An APR DBM file (type "SDBM", built into APR-util everywhere) mapping
 *   "host:<address>"   ("host:192.0.2.10", "host:2001:db8::10")
 *   "domain:<domain>"  ("domain:example.com", lower case as given)
 * to the time of the last notice, and
 *   "seen:<address>"   every source whose event the notifier finished,
 *                      notified or not (unresolvable, exempt, ...)
 * to the time of its last probe the notifier knew of, each as decimal
 * microseconds since the epoch. SDBM keeps two files, PATH.dir and
 * PATH.pag.
 *
 * Contract:
 * - One writer: the notifier process. Each record is written through to
 *   the file at once (no fsync: a restart of httpd loses nothing, a
 *   power cut may lose the last records, which only means one notice may
 *   be sent again).
 * - "Not found" is APR_ENOENT from wr_history_last and "not recent" from
 *   wr_history_recent. A value that is not a number reads as not found.
 * - Keys longer than WR_HISTORY_KEY_MAX are refused with APR_EINVAL
 *   (SDBM pairs must fit in one 1 KB page).
 */
#ifndef WR_HISTORY_H
#define WR_HISTORY_H

#include <apr_pools.h>
#include <apr_time.h>

#define WR_HISTORY_KEY_MAX 300

/* "seen" records are kept at least this long (wr_history_expire), so that
 * a blocklist can reach this far back whatever the notice windows are. */
#define WR_HISTORY_SEEN_KEEP apr_time_from_sec(7 * 86400)

typedef struct wr_history_t wr_history_t;

typedef enum {
    WR_HISTORY_HOST = 0,
    WR_HISTORY_DOMAIN,
    WR_HISTORY_SEEN
} wr_history_kind_e;

/* wr_history_open - open (creating, mode 0600) the history at `path`.
 * The handle lives in `p`. The files are opened for each operation and
 * closed after it: SDBM locks them while they are open, and a reader such
 * as the CLI must not wait for the notifier to exit.
 * @return the DBM error, e.g. APR_ENOENT when the directory is missing */
apr_status_t wr_history_open(wr_history_t **h, const char *path,
                             apr_pool_t *p);

/* wr_history_open_existing - open an existing history only, for reading
 * (the CLI): nothing is created.
 * @return APR_ENOENT when there is none, or the DBM error */
apr_status_t wr_history_open_existing(wr_history_t **h, const char *path,
                                      apr_pool_t *p);

/* wr_history_close - forget the handle; later calls return APR_EBADF */
void wr_history_close(wr_history_t *h);

/* wr_history_last - time of the last notice about `name`.
 * @return APR_SUCCESS, APR_ENOENT if there is none, APR_EINVAL for a
 *         name that is empty or too long */
apr_status_t wr_history_last(wr_history_t *h, wr_history_kind_e kind,
                             const char *name, apr_time_t *when);

/* wr_history_recent - 1 if `name` was notified less than `window` before
 * `now` (a record "from the future" by more than a window, after a clock
 * change, does not count); 0 otherwise, also on any error */
int wr_history_recent(wr_history_t *h, wr_history_kind_e kind,
                      const char *name, apr_time_t now,
                      apr_interval_time_t window);

/* wr_history_record - note a notice about `name` at `when` (for
 * WR_HISTORY_SEEN: a probe; an earlier time than the one recorded
 * changes nothing) */
apr_status_t wr_history_record(wr_history_t *h, wr_history_kind_e kind,
                               const char *name, apr_time_t when);

/* wr_history_fn - one record of wr_history_each: its name (not
 * NUL-terminated, `len` bytes) and time */
typedef void wr_history_fn(void *baton, const char *name, apr_size_t len,
                           apr_time_t when);

/* wr_history_each - every readable record of `kind`, in no order.
 * @return the DBM error */
apr_status_t wr_history_each(wr_history_t *h, wr_history_kind_e kind,
                             wr_history_fn *fn, void *baton);

/* wr_history_expire - delete records older than `max_age` before `now`
 * ("seen" records: older than WR_HISTORY_SEEN_KEEP, if that is longer),
 * and unreadable ones, so that the file does not grow for ever; call it
 * now and then with the longest window. *removed (may be NULL) receives
 * the count. */
apr_status_t wr_history_expire(wr_history_t *h, apr_time_t now,
                               apr_interval_time_t max_age, int *removed);

#endif
