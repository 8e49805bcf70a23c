/* cli_args.h - what the CLI's verbs share in reading their arguments and
 * writing times */
#ifndef CLI_ARGS_H
#define CLI_ARGS_H

#include <stdio.h>

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

/* wr_cli_usage_fn - a verb's help, written to `f` */
typedef void wr_cli_usage_fn(FILE *f);

/* wr_cli_getopt - the next of a verb's options (apr_getopt_long over
 * `opts`, which declares -h/--help), answering here what every verb
 * answers alike: --help writes the verb's usage to stdout; a bad option
 * writes "wormreply VERB: bad option 'X'" and the usage to stderr.
 * @return the option (its optch, never 0) with *arg; 0 when the options
 *         are over (os->ind is the first operand); -1 when the verb is
 *         done, with *status its exit status: 0 after --help, 2 (usage)
 *         after a bad option */
int wr_cli_getopt(apr_getopt_t *os, const apr_getopt_option_t *opts,
                  const char *verb, wr_cli_usage_fn *usage,
                  const char **arg, int *status);

/* wr_cli_bad_option - the word apr_getopt_long stopped at, for "bad
 * option 'X'" */
const char *wr_cli_bad_option(const apr_getopt_t *os);

/* wr_cli_rfc3339 - "2024-05-01T12:00:00Z" (UTC); "-" for 0 */
const char *wr_cli_rfc3339(apr_time_t t, apr_pool_t *p);

#endif
