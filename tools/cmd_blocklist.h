/* cmd_blocklist.h - "wormreply blocklist": the hosts that probed lately,
 * for rbldnsd, ipset, nftables or a plain list */
#ifndef WR_CMD_BLOCKLIST_H
#define WR_CMD_BLOCKLIST_H

#include <apr_pools.h>

#include "wr_match.h"

/* wr_cli_blocklist - run the verb; argv[0] is "blocklist".
 * @return 0 done, 1 an input could not be read (the list of what could be
 * read is still written) or the output failed, 2 usage error */
int wr_cli_blocklist(apr_pool_t *pool, const wr_sigset_t *set,
                     wr_family_mask_t mask, int argc,
                     const char *const *argv);

#endif
