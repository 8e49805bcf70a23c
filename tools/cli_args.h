/* cli_args.h - what the CLI's verbs share in reading their arguments and
 * writing times */
#ifndef CLI_ARGS_H
#define CLI_ARGS_H

#include <apr_getopt.h>
#include <apr_pools.h>
#include <apr_time.h>

/* wr_cli_getopt_init - apr_getopt over a verb's arguments, with its
 * options declared once, in `opts` (the table apr_getopt_long reads):
 * argv[0], then the options (an option that takes an argument, "--name"
 * or "-c", with the word after it), "--", then the operands. apr_getopt's
 * interleave mode loses an option's argument that follows an operand,
 * and takes "-" (stdin) for an option. Words after a "--" given by the
 * user stay operands. *argc and *argv get the new list; apr_getopt's
 * own messages are off (the verb says what was wrong). */
void wr_cli_getopt_init(apr_getopt_t **os, apr_pool_t *p, int *argc,
                        const char *const **argv,
                        const apr_getopt_option_t *opts);

/* wr_cli_bad_option - the word apr_getopt_long stopped at, for "bad
 * option 'X'" */
const char *wr_cli_bad_option(const apr_getopt_t *os);

/* wr_cli_rfc3339 - "2024-05-01T12:00:00Z" (UTC); "-" for 0 */
const char *wr_cli_rfc3339(apr_time_t t, apr_pool_t *p);

#endif
