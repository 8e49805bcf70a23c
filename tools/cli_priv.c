/* cli_priv.c - the CLI never acts as root in the spool or the outbox
 * (see cli_priv.h) */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <stdio.h>
#include <unistd.h>

#include <apr_strings.h>

#include "cli_priv.h"
#include "wr_file.h"

apr_status_t wr_cli_become_owner(const char *dir, const char **who,
                                 apr_pool_t *p)
{
    wr_file_dir_t *d;
    struct passwd *pw;
    apr_status_t rv;
    uid_t uid;
    gid_t gid;

    if (who) {
        *who = NULL;
    }
    if (geteuid() != 0 && getuid() != 0) {
        return APR_SUCCESS;
    }
    if ((rv = wr_file_dir_open(&d, dir, 0, p)) != APR_SUCCESS) {
        return rv;
    }
    wr_file_dir_owner(d, &uid, &gid);
    if (uid == 0) {
        return APR_SUCCESS;     /* root's own: nobody else can plant */
    }
    /* group first: once the user is switched, the groups cannot be */
    pw = getpwuid(uid);
    if ((pw ? initgroups(pw->pw_name, gid) : setgroups(1, &gid)) != 0
        || setgid(gid) != 0 || setuid(uid) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if (setuid(0) == 0 || geteuid() == 0 || getegid() != gid) {
        return APR_EGENERAL;
    }
    if (who) {
        struct group *gr = getgrgid(gid);
        *who = apr_psprintf(p, "%s:%s",
                            pw ? pw->pw_name
                               : apr_psprintf(p, "%ld", (long)uid),
                            gr ? gr->gr_name
                               : apr_psprintf(p, "%ld", (long)gid));
    }
    return APR_SUCCESS;
}

void wr_cli_cannot_read(const char *verb, const char *kind, const char *path,
                        const char *why, apr_status_t rv)
{
    char buf[128];

    fprintf(stderr, "wormreply %s: cannot read the %s %s%s%s: %s\n", verb,
            kind, path, why ? " " : "", why ? why : "",
            wr_file_strerror(rv, buf, sizeof(buf)));
    if (APR_STATUS_IS_EACCES(rv)) {
        fprintf(stderr, "wormreply %s: run as root or as httpd's User\n",
                verb);
    }
}
