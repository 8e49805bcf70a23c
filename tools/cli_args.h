/* cli_args.h - what the CLI's verbs share in reading their arguments and
 * writing times */
#ifndef CLI_ARGS_H
#define CLI_ARGS_H

#include <apr_pools.h>
#include <apr_time.h>

/* wr_cli_options_first - argv[0], the options (each of `with_arg`, a
 * NULL-terminated list, with the word after it), "--", then the operands:
 * apr_getopt's interleave mode loses an option's argument that follows an
 * operand, and takes "-" (stdin) for an option. Words after a "--" given
 * by the user stay operands. *nargc gets the new count. */
const char *const *wr_cli_options_first(apr_pool_t *p, int argc,
                                        const char *const *argv,
                                        const char *const *with_arg,
                                        int *nargc);

/* wr_cli_rfc3339 - "2024-05-01T12:00:00Z" (UTC); "-" for 0 */
const char *wr_cli_rfc3339(apr_time_t t, apr_pool_t *p);

#endif
