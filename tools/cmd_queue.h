/* cmd_queue.h - "wormreply queue": list, show, retry and drop spool
 * records, like postqueue -p and postsuper */
#ifndef WR_CMD_QUEUE_H
#define WR_CMD_QUEUE_H

#include <apr_pools.h>

#include "wr_match.h"

/* Exit statuses of the verb. */
#define WR_QUEUE_OK         0   /* done */
#define WR_QUEUE_NOT_DONE   1   /* an id unknown, in progress, unreadable */
#define WR_QUEUE_USAGE      2   /* bad command line */
#define WR_QUEUE_NO_SPOOL   3   /* the spool is missing or unreadable */

/* The "schema" key of list's and failed's --format json: raised when a key
 * changes meaning or goes away (new keys do not raise it). */
#define WR_QUEUE_JSON_SCHEMA 1

/* wr_cli_queue - run the verb; argv[0] is "queue". set and mask are
 * unused (every verb has this signature).
 * @return one of WR_QUEUE_* */
int wr_cli_queue(apr_pool_t *pool, const wr_sigset_t *set,
                 wr_family_mask_t mask, int argc, const char *const *argv);

#endif
