/* cmd_status.h - "wormreply status": the module's counters from its
 * status handler, once or as a live view */
#ifndef WR_CMD_STATUS_H
#define WR_CMD_STATUS_H

#include <apr_pools.h>

#include "wr_match.h"

/* wr_cli_status - run the verb; argv[0] is "status". set and mask are
 * unused (every verb has this signature).
 * @return 0 done, 1 the server could not be reached or its answer read,
 * 2 usage error */
int wr_cli_status(apr_pool_t *pool, const wr_sigset_t *set,
                  wr_family_mask_t mask, int argc, const char *const *argv);

#endif
