/* cmd_report.h - "wormreply report": probe load from access logs */
#ifndef WR_CMD_REPORT_H
#define WR_CMD_REPORT_H

#include <apr_pools.h>

#include "wr_match.h"

/* wr_cli_report - run the verb; argv[0] is "report", the common options
 * (signatures, families) are already applied to set/mask.
 * @return the exit status: 0 done, 1 an input or the output failed (the
 * report of what could be read is still written), 2 usage error. */
int wr_cli_report(apr_pool_t *pool, const wr_sigset_t *set,
                  wr_family_mask_t mask, int argc, const char *const *argv);

#endif
