/* cmd_families.h - "wormreply families": the signature families */
#ifndef WR_CMD_FAMILIES_H
#define WR_CMD_FAMILIES_H

#include <apr_pools.h>

#include "wr_match.h"

/* wr_cli_families - run the verb; argv[0] is "families".
 * @return 0 done, 1 the output could not be written, 2 usage error */
int wr_cli_families(apr_pool_t *pool, const wr_sigset_t *set,
                    wr_family_mask_t mask, int argc,
                    const char *const *argv);

#endif
