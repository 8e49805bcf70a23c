/* cmd_bounce.h - "wormreply bounce": read the bounces of notices (DSNs to
 * a WormReplyBounceAddress VERP address) from an MTA's pipe or a Maildir,
 * and suppress the mailboxes that bounced for good */
#ifndef WR_CMD_BOUNCE_H
#define WR_CMD_BOUNCE_H

#include <apr_pools.h>

#include "wr_match.h"

/* Exit statuses, those of sysexits.h that an MTA's pipe understands. */
#define WR_BOUNCE_EXIT_OK       0    /* handled or ignored */
#define WR_BOUNCE_EXIT_USAGE    64   /* EX_USAGE: bad command line */
#define WR_BOUNCE_EXIT_TEMPFAIL 75   /* EX_TEMPFAIL: cannot record now; the
                                      * MTA keeps the message, tries again */

/* wr_cli_bounce - run the verb; argv[0] is "bounce". set and mask are
 * unused. @return one of WR_BOUNCE_EXIT_* */
int wr_cli_bounce(apr_pool_t *pool, const wr_sigset_t *set,
                  wr_family_mask_t mask, int argc, const char *const *argv);

#endif
