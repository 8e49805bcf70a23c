/* cli_priv.h - the CLI never acts as root in the spool or the outbox
 *
 * The spool and the outbox belong to httpd's User, who can plant anything
 * in them. Run as root, "wormreply queue" and "wormreply outbox" first
 * become the owner of the directory they are given (group first, with
 * its supplementary groups, then user), the way Postfix's queue tools
 * never act as root in the queue: whatever was planted, the tool can then
 * do no more than httpd's User could do anyway. wr_file.h's checks come
 * on top of that.
 */
#ifndef CLI_PRIV_H
#define CLI_PRIV_H

#include <apr_errno.h>
#include <apr_pools.h>

/* wr_cli_become_owner - run as root, switch for good to the owner and
 * group of directory `dir` (opened without following a final symlink);
 * not root, or `dir` owned by root: nothing to do. *who (may be NULL)
 * gets "user:group" switched to, or NULL.
 * @return APR_SUCCESS; the error opening `dir` (the caller says it and
 *         stops: it is still root); the error of setgroups, setgid or
 *         setuid, or APR_EGENERAL if root could be regained (the caller
 *         must stop) */
apr_status_t wr_cli_become_owner(const char *dir, const char **who,
                                 apr_pool_t *p);

/* wr_cli_cannot_read - on stderr, "wormreply VERB: cannot read the KIND
 * PATH[ WHY]: <rv>", and who can read it when `rv` is a permission
 * refused (httpd's User, or root, who becomes it) */
void wr_cli_cannot_read(const char *verb, const char *kind, const char *path,
                        const char *why, apr_status_t rv);

#endif
