/* wr_proctitle.h - the process title `ps` shows for the processes the
 * module starts: "apache2: wormreply notifier -k start", as other
 * supervised daemons name theirs ("postgres: checkpointer",
 * "nginx: worker process").
 *
 * The title is written over the memory the kernel shows as the command
 * line (argv, found through /proc/self/stat since httpd keeps a rewritten
 * argv of its own), extended over the environment strings (moved elsewhere
 * first), as nginx and PostgreSQL do on Linux. Per process: call
 * wr_proctitle_init in a child httpd forked (never in httpd itself), then
 * wr_proctitle_set in it and in its own children. Without init, set does
 * nothing (the CLI, unit tests, systems without /proc).
 */
#ifndef WR_PROCTITLE_H
#define WR_PROCTITLE_H

#include <apr_errno.h>

/* wr_proctitle_init - take over the argv (and environ) area of this
 * process; argv[0]'s base name becomes the prefix and the original
 * arguments the suffix of every title. @return APR_ENOTIMPL without
 * /proc or under valgrind (the area is valgrind's command line); APR_ENOMEM if the environment could not be copied (then titles
 * are cut to the argv area) */
apr_status_t wr_proctitle_init(void);

/* wr_proctitle_set - "PREFIX: role SUFFIX", cut to the area's size */
void wr_proctitle_set(const char *role);

#endif
