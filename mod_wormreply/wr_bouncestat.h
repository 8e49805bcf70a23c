/* wr_bouncestat.h - the counts of `wormreply bounce`, kept in the outbox
 * so that the module can show them
 *
 * `wormreply bounce` runs outside httpd, once per message an MTA hands it
 * (or once per Maildir pass). It adds to DIR/bounces.stat, a record
 * ("version: 1", then received, hard, ignored, ignored-logged: the time
 * an ignored bounce was last logged), written and read through wr_file
 * (`dir` is the outbox's handle), under an flock of DIR/.bounce-lock
 * so that bounces handled side by side all count; the notifier reads the
 * record after each delivery pass and shows it in its counter slot
 * (bounces_received, bounces_hard, bounces_ignored).
 */
#ifndef WR_BOUNCESTAT_H
#define WR_BOUNCESTAT_H

#include <apr_pools.h>
#include <apr_time.h>

#include "wr_file.h"

#define WR_BOUNCESTAT_FILE "bounces.stat"

/* An ignored bounce is logged at most once per this. */
#define WR_BOUNCESTAT_LOG_EVERY apr_time_from_sec(60)

typedef struct {
    apr_uint64_t received;      /* messages read */
    apr_uint64_t hard;          /* hard bounces: a recipient suppressed */
    apr_uint64_t ignored;       /* no valid token: unknown, forged,
                                 * altered or too old */
    apr_time_t ignored_logged;  /* when an ignored one was last logged */
} wr_bouncestat_t;

/* wr_bouncestat_read - DIR/bounces.stat; zeros when there is none.
 * @return APR_EINVAL for a record that cannot be read; the I/O error */
apr_status_t wr_bouncestat_read(wr_file_dir_t *dir, wr_bouncestat_t *st,
                                apr_pool_t *p);

/* wr_bouncestat_add - count one message read at `now`: hard or ignored
 * (or neither: a delay, an auto-reply). *log_it (may be NULL) says
 * whether an ignored one is to be logged (once per
 * WR_BOUNCESTAT_LOG_EVERY); *st (may be NULL) gets the new counts.
 * @return the error taking the lock or writing the record (nothing is
 *         counted then) */
apr_status_t wr_bouncestat_add(wr_file_dir_t *dir, int hard, int ignored,
                               apr_time_t now, int *log_it,
                               wr_bouncestat_t *st, apr_pool_t *p);

#endif
