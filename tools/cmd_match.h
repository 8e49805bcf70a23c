/* cmd_match.h - "wormreply match": classify request and log lines */
#ifndef WR_CMD_MATCH_H
#define WR_CMD_MATCH_H

#include <apr_pools.h>

#include "wr_match.h"

/* wr_cli_match - run the verb; argv[0] is "match".
 * @return 0 done, 1 an input could not be read or the output written,
 * 2 usage error */
int wr_cli_match(apr_pool_t *pool, const wr_sigset_t *set,
                 wr_family_mask_t mask, int argc, const char *const *argv);

#endif
