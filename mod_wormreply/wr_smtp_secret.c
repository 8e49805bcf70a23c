/* wr_smtp_secret.c - the AUTH secret of WormReplySMTPAuth: a root-only
 * file, checked, read for a session into memory wiped afterwards (see
 * wr_smtp_secret.h) */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>

#include "wr_smtp_secret.h"

struct wr_smtp_secret_t {
    const char *path;
    int fd;                     /* -1 until wr_smtp_secret_open */
};

/* wipe_t - memory to wipe when its pool is cleared */
typedef struct {
    char *buf;
    apr_size_t size;
} wipe_t;

/* secret_wipe - pool cleanup: the secret does not outlive its pool (the
 * whole buffer: it also holds whatever followed the first line) */
static apr_status_t secret_wipe(void *data)
{
    wipe_t *w = data;

    explicit_bzero(w->buf, w->size);
    return APR_SUCCESS;
}

/* secret_fd_check - the contract of WormReplySMTPAuth on an open file: a
 * regular file, owned by root (or by us), no permission for anyone else */
static apr_status_t secret_fd_check(int fd, const char *path,
                                    const char **err, apr_pool_t *p)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        *err = apr_psprintf(p, "cannot stat %s", path);
        return APR_FROM_OS_ERROR(errno);
    }
    if (!S_ISREG(st.st_mode)) {
        *err = apr_psprintf(p, "%s is not a regular file", path);
        return APR_EINVAL;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        *err = apr_psprintf(p, "%s is accessible to group or others (mode "
                            "%04o): the secret must be in a root-only file "
                            "(chmod 600)", path,
                            (unsigned)(st.st_mode & 07777));
        return APR_EINVAL;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        *err = apr_psprintf(p, "%s is owned by uid %lu, not by root: the "
                            "secret must be in a root-only file", path,
                            (unsigned long)st.st_uid);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* secret_fd_open - open `path` and check the contract; *fd is -1 on
 * failure. O_NONBLOCK: a FIFO put there must not hang the caller (it is
 * refused as not a regular file). */
static apr_status_t secret_fd_open(const char *path, int *fd,
                                   const char **err, apr_pool_t *p)
{
    apr_status_t rv;

    *err = NULL;
    if ((*fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK))
        < 0) {
        rv = APR_FROM_OS_ERROR(errno);
        *err = apr_psprintf(p, "cannot open %s: %s", path, strerror(errno));
        return rv;
    }
    if ((rv = secret_fd_check(*fd, path, err, p)) != APR_SUCCESS) {
        close(*fd);
        *fd = -1;
    }
    return rv;
}

/* secret_fd_read - the first line of the file, read from its start, into
 * memory wiped when `p` is cleared */
static apr_status_t secret_fd_read(int fd, const char *path,
                                   const char **secret, const char **err,
                                   apr_pool_t *p)
{
    wipe_t *w = apr_palloc(p, sizeof(*w));
    char *buf, *nl;
    ssize_t got;
    apr_size_t len = 0;

    w->size = WR_SMTP_SECRET_MAX + 2;
    w->buf = buf = apr_pcalloc(p, w->size);
    apr_pool_cleanup_register(p, w, secret_wipe, apr_pool_cleanup_null);
    while (len < WR_SMTP_SECRET_MAX + 1
           && (got = pread(fd, buf + len, WR_SMTP_SECRET_MAX + 1 - len,
                           (off_t)len)) != 0) {
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            *err = apr_psprintf(p, "cannot read %s", path);
            return APR_FROM_OS_ERROR(errno);
        }
        len += (apr_size_t)got;
        if (memchr(buf, '\n', len) != NULL) {
            break;
        }
    }
    buf[len] = '\0';
    if ((nl = strchr(buf, '\n')) != NULL) {
        *nl = '\0';
    }
    else if (len > WR_SMTP_SECRET_MAX) {
        *err = apr_psprintf(p, "the first line of %s is longer than %d "
                            "bytes", path, WR_SMTP_SECRET_MAX);
        return APR_EINVAL;
    }
    len = strlen(buf);
    if (len > 0 && buf[len - 1] == '\r') {
        buf[--len] = '\0';
    }
    if (len == 0) {
        *err = apr_psprintf(p, "%s holds no secret on its first line", path);
        return APR_EINVAL;
    }
    *secret = buf;
    return APR_SUCCESS;
}

apr_status_t wr_smtp_secret_load(const char *path, const char **secret,
                                 const char **err, apr_pool_t *p)
{
    apr_status_t rv;
    int fd;

    if ((rv = secret_fd_open(path, &fd, err, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = secret_fd_read(fd, path, secret, err, p);
    close(fd);
    return rv;
}

apr_status_t wr_smtp_secret_check(const char *path, const char **err,
                                  apr_pool_t *p)
{
    apr_pool_t *scratch;
    const char *secret = NULL, *e = NULL;
    apr_status_t rv;

    *err = NULL;
    if ((rv = apr_pool_create(&scratch, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = wr_smtp_secret_load(path, &secret, &e, scratch);
    if (e) {
        *err = apr_pstrdup(p, e);
    }
    /* wipes the secret */
    apr_pool_destroy(scratch);
    return rv;
}

wr_smtp_secret_t *wr_smtp_secret_new(const char *path, apr_pool_t *p)
{
    wr_smtp_secret_t *s = apr_pcalloc(p, sizeof(*s));

    s->path = apr_pstrdup(p, path);
    s->fd = -1;
    return s;
}

/* secret_close - pool cleanup of an opened secret file */
static apr_status_t secret_close(void *data)
{
    wr_smtp_secret_t *s = data;

    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    return APR_SUCCESS;
}

apr_status_t wr_smtp_secret_open(wr_smtp_secret_t *s, const char **err,
                                 apr_pool_t *p)
{
    apr_status_t rv;

    *err = NULL;
    if (s->fd >= 0) {
        return APR_SUCCESS;
    }
    if ((rv = secret_fd_open(s->path, &s->fd, err, p)) == APR_SUCCESS) {
        apr_pool_cleanup_register(p, s, secret_close, apr_pool_cleanup_null);
    }
    return rv;
}

apr_status_t wr_smtp_secret_read(const wr_smtp_secret_t *s,
                                 const char **secret, const char **err,
                                 apr_pool_t *p)
{
    apr_status_t rv;

    *err = NULL;
    if (s == NULL || s->fd < 0) {
        *err = apr_psprintf(p, "the secret file %s was never opened",
                            s ? s->path : "(none)");
        return APR_EBADF;
    }
    /* the file may have been changed since it was opened */
    if ((rv = secret_fd_check(s->fd, s->path, err, p)) != APR_SUCCESS) {
        return rv;
    }
    return secret_fd_read(s->fd, s->path, secret, err, p);
}
