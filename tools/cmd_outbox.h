/* cmd_outbox.h - "wormreply outbox": list, show, retry and drop the
 * notices of the outbox (WormReplySmarthost's queue), like postqueue -p
 * and postsuper -r / -d */
#ifndef WR_CMD_OUTBOX_H
#define WR_CMD_OUTBOX_H

#include <apr_pools.h>

#include "wr_match.h"

/* Exit statuses of the verb. */
#define WR_OUTBOX_EXIT_OK         0   /* done */
#define WR_OUTBOX_EXIT_NOT_DONE   1   /* an id unknown, bad, sent already,
                                       * or an I/O error on one notice */
#define WR_OUTBOX_EXIT_USAGE      2   /* bad command line */
#define WR_OUTBOX_EXIT_NO_OUTBOX  3   /* the outbox is missing or cannot be
                                       * read */
#define WR_OUTBOX_EXIT_LOCKED     4   /* the queue manager held the outbox's
                                       * lock for the whole wait */

/* The "schema" key of list's and failed's --format json: raised when a key
 * changes meaning or goes away (new keys do not raise it). */
#define WR_OUTBOX_JSON_SCHEMA 1

/* wr_cli_outbox - run the verb; argv[0] is "outbox". set and mask are
 * unused (every verb has this signature).
 * @return one of WR_OUTBOX_EXIT_* */
int wr_cli_outbox(apr_pool_t *pool, const wr_sigset_t *set,
                  wr_family_mask_t mask, int argc, const char *const *argv);

#endif
