/* wr_smtp_secret.h - the AUTH secret of WormReplySMTPAuth, kept in a
 * root-only file: its checks, reading it for one session, wiping it
 *
 * The contract of the file: a regular file, owned by root (or by the
 * caller's uid), with no permission for group or others; the secret is its
 * first line, without the line end (LF or CRLF), 1 to WR_SMTP_SECRET_MAX
 * bytes. A secret read is held in memory that is wiped when its pool is
 * cleared; an error message never contains it.
 */
#ifndef WR_SMTP_SECRET_H
#define WR_SMTP_SECRET_H

#include <apr_pools.h>

/* Longest secret accepted from a file. */
#define WR_SMTP_SECRET_MAX 1024

/* wr_smtp_secret_t - where the AUTH secret is read from: a root-only file,
 * opened once (while still root) and read for each session */
typedef struct wr_smtp_secret_t wr_smtp_secret_t;

/* wr_smtp_secret_load - the first line of the file at `path`, without its
 * line end, for AUTH. The contract of WormReplySMTPAuth is "a root-only
 * file": a file that is not a regular file, not owned by root or by the
 * caller's uid, or that grants any permission to group or others is
 * refused. The secret is wiped from memory when `p` is cleared.
 * @return APR_SUCCESS; the I/O error; APR_EINVAL with *err for a file that
 *         breaks the contract or whose first line is empty or too long.
 *         *err never contains the secret. */
apr_status_t wr_smtp_secret_load(const char *path, const char **secret,
                                 const char **err, apr_pool_t *p);

/* wr_smtp_secret_check - the checks of wr_smtp_secret_load, for the
 * directive: the secret is read into a scratch pool and wiped before this
 * returns, so that configuring leaves no copy in memory.
 * @return as wr_smtp_secret_load */
apr_status_t wr_smtp_secret_check(const char *path, const char **err,
                                  apr_pool_t *p);

/* wr_smtp_secret_new - a secret file not opened yet (no I/O): the handle
 * can be put in a configuration before the process that is allowed to
 * open it exists */
wr_smtp_secret_t *wr_smtp_secret_new(const char *path, apr_pool_t *p);

/* wr_smtp_secret_open - open the file of `s` (the same contract as
 * wr_smtp_secret_load) and keep the descriptor (close-on-exec) in `s`
 * until `p` is cleared; nothing is read. Meant for a process that is
 * still root and is about to drop its privileges: what it forks later can
 * read the secret for a session without the file being readable by them.
 * @return APR_SUCCESS (also if open already); as wr_smtp_secret_load */
apr_status_t wr_smtp_secret_open(wr_smtp_secret_t *s, const char **err,
                                 apr_pool_t *p);

/* wr_smtp_secret_read - the first line of the open file of `s` (from its
 * start, whatever was read before), wiped from memory when `p` is
 * cleared.
 * @return APR_SUCCESS; APR_EBADF if `s` was never opened; the read error;
 *         APR_EINVAL for an empty or too long first line. *err never
 *         contains the secret. */
apr_status_t wr_smtp_secret_read(const wr_smtp_secret_t *s,
                                 const char **secret, const char **err,
                                 apr_pool_t *p);

#endif
