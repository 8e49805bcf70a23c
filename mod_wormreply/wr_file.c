/* wr_file.c - the one way into the spool and the outbox (see wr_file.h) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_portable.h>
#include <apr_strings.h>

#include "wr_file.h"

struct wr_file_dir_t {
    int fd;                     /* O_DIRECTORY, close-on-exec */
    const char *path;           /* for messages only */
    uid_t uid;                  /* the root's owner */
    gid_t gid;
};

const char *wr_file_strerror(apr_status_t rv, char *buf, apr_size_t n)
{
    switch (rv) {
    case WR_FILE_ESYMLINK:
        return "refused: a symbolic link";
    case WR_FILE_ENOTDIR:
        return "refused: not a directory";
    case WR_FILE_ENOTREG:
        return "refused: not a regular file";
    case WR_FILE_ELINKS:
        return "refused: a file with other hard links";
    case WR_FILE_EOWNER:
        return "refused: not owned by the owner of the spool or outbox";
    case WR_FILE_EMODE:
        return "refused: a private file with group or other permissions";
    case APR_FROM_OS_ERROR(EFBIG):
        return "refused: too large";
    default:
        return apr_strerror(rv, buf, n);
    }
}

/* close_dir - pool cleanup of a handle */
static apr_status_t close_dir(void *data)
{
    wr_file_dir_t *d = data;

    if (d->fd >= 0) {
        close(d->fd);
        d->fd = -1;
    }
    return APR_SUCCESS;
}

/* name_ok - one component, never a way out of the directory */
static int name_ok(const char *name)
{
    return name != NULL && name[0] != '\0' && strchr(name, '/') == NULL
           && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* os_error - errno as a status */
static apr_status_t os_error(void)
{
    return errno == ENOENT ? APR_ENOENT : APR_FROM_OS_ERROR(errno);
}

/* entry_check - a regular file with one link, or the refusal. No link
 * at all is a file removed after we opened it -- a record the notifier
 * finished while the CLI read it -- so gone, not refused (a listing took
 * it for a planted hard link: t/cli_queue.t, once in a CI run). */
static apr_status_t entry_check(const struct stat *st)
{
    if (S_ISLNK(st->st_mode)) {
        return WR_FILE_ESYMLINK;
    }
    if (!S_ISREG(st->st_mode)) {
        return WR_FILE_ENOTREG;
    }
    if (st->st_nlink == 0) {
        return APR_ENOENT;
    }
    return st->st_nlink == 1 ? APR_SUCCESS : WR_FILE_ELINKS;
}

/* entry_stat - fstatat without following, then entry_check */
static apr_status_t entry_stat(const wr_file_dir_t *d, const char *name,
                               struct stat *st)
{
    if (!name_ok(name)) {
        return APR_EINVAL;
    }
    if (fstatat(d->fd, name, st, AT_SYMLINK_NOFOLLOW) != 0) {
        return os_error();
    }
    return entry_check(st);
}

/* why_not - after an open of `name` in `dfd` failed with `err`: the
 * refusal if the entry is not what it should be, else `err` */
static apr_status_t why_not(int dfd, const char *name, int want_dir,
                            apr_status_t err)
{
    struct stat st;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return err;
    }
    if (S_ISLNK(st.st_mode)) {
        return WR_FILE_ESYMLINK;
    }
    if (want_dir && !S_ISDIR(st.st_mode)) {
        return WR_FILE_ENOTDIR;
    }
    if (!want_dir && !S_ISREG(st.st_mode)) {
        return WR_FILE_ENOTREG;
    }
    return err;
}

/* give - a file or directory made as root goes to the root's owner, so
 * that httpd's User can still read and replace it */
static apr_status_t give(const wr_file_dir_t *d, int fd)
{
    if (geteuid() != 0 || d->uid == 0) {
        return APR_SUCCESS;
    }
    return fchown(fd, d->uid, d->gid) == 0 ? APR_SUCCESS
                                           : APR_FROM_OS_ERROR(errno);
}

/* new_handle - a handle on `fd`, closed with `p` */
static wr_file_dir_t *new_handle(int fd, const char *path, uid_t uid,
                                 gid_t gid, apr_pool_t *p)
{
    wr_file_dir_t *d = apr_pcalloc(p, sizeof(*d));

    d->fd = fd;
    d->path = path;
    d->uid = uid;
    d->gid = gid;
    apr_pool_cleanup_register(p, d, close_dir, apr_pool_cleanup_null);
    return d;
}

apr_status_t wr_file_dir_open(wr_file_dir_t **pd, const char *path,
                              int flags, apr_pool_t *p)
{
    char *clean = apr_pstrdup(p, path);
    apr_size_t n = strlen(clean);
    struct stat st;
    apr_status_t rv;
    int fd;

    /* a trailing slash would make open(2) follow a final symlink */
    while (n > 1 && clean[n - 1] == '/') {
        clean[--n] = '\0';
    }
    if (n == 0) {
        return APR_EINVAL;
    }
    if (flags & WR_FILE_MKDIR) {
        rv = apr_dir_make_recursive(clean, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                    | APR_FPROT_UEXECUTE, p);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
            return rv;
        }
    }
    fd = open(clean, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        rv = os_error();
        return why_not(AT_FDCWD, clean, 1, rv);
    }
    if (fstat(fd, &st) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        close(fd);
        return rv;
    }
    *pd = new_handle(fd, clean, st.st_uid, st.st_gid, p);
    return APR_SUCCESS;
}

apr_status_t wr_file_dir_sub(wr_file_dir_t **pd, wr_file_dir_t *parent,
                             const char *name, int flags, apr_pool_t *p)
{
    struct stat st;
    apr_status_t rv;
    int fd, made = 0;

    if (!name_ok(name)) {
        return APR_EINVAL;
    }
    if ((flags & WR_FILE_MKDIR) && mkdirat(parent->fd, name, 0700) == 0) {
        made = 1;
    }
    fd = openat(parent->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                | O_CLOEXEC);
    if (fd < 0) {
        rv = os_error();
        return why_not(parent->fd, name, 1, rv);
    }
    if (fstat(fd, &st) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        goto fail;
    }
    if (st.st_uid != parent->uid) {
        /* run as root, a directory root made (now or by an older version)
         * is given away; anybody else's is not ours to use */
        if (!((made || (flags & WR_FILE_MKDIR)) && st.st_uid == 0
              && geteuid() == 0)) {
            rv = WR_FILE_EOWNER;
            goto fail;
        }
        if ((rv = give(parent, fd)) != APR_SUCCESS) {
            goto fail;
        }
    }
    *pd = new_handle(fd, apr_pstrcat(p, parent->path, "/", name, NULL),
                     parent->uid, parent->gid, p);
    return APR_SUCCESS;
fail:
    close(fd);
    return rv;
}

const char *wr_file_dir_path(const wr_file_dir_t *d)
{
    return d->path;
}

void wr_file_dir_owner(const wr_file_dir_t *d, uid_t *uid, gid_t *gid)
{
    *uid = d->uid;
    *gid = d->gid;
}

apr_status_t wr_file_dir_sync(wr_file_dir_t *d)
{
    return fsync(d->fd) == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
}

apr_status_t wr_file_fs_sync(wr_file_dir_t *d)
{
#ifdef __linux__
    return syncfs(d->fd) == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
#else
    (void)d;
    return APR_ENOTIMPL;
#endif
}

/* read_names - every name of the directory; with `ext` non-NULL only the
 * ids of <id><ext>, with the extension cut */
static apr_status_t read_names(wr_file_dir_t *d, const char *ext,
                               apr_array_header_t **out, apr_pool_t *p)
{
    apr_size_t el = ext ? strlen(ext) : 0;
    struct dirent *de;
    DIR *dh;
    int fd;

    *out = apr_array_make(p, 16, sizeof(const char *));
    /* a descriptor of its own: readdir moves its offset */
    fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return os_error();
    }
    if ((dh = fdopendir(fd)) == NULL) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);
        close(fd);
        return rv;
    }
    errno = 0;
    while ((de = readdir(dh)) != NULL) {
        apr_size_t n = strlen(de->d_name);

        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) {
            continue;
        }
        if (ext == NULL) {
            APR_ARRAY_PUSH(*out, const char *) = apr_pstrdup(p, de->d_name);
        }
        else if (n > el && !strcmp(de->d_name + n - el, ext)
                 && wr_file_id_ok(de->d_name, n - el)) {
            APR_ARRAY_PUSH(*out, const char *) =
                apr_pstrmemdup(p, de->d_name, n - el);
        }
    }
    closedir(dh);
    return APR_SUCCESS;
}

/* cmp_str - qsort order of names */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

apr_status_t wr_file_dir_list(wr_file_dir_t *d, const char *ext,
                              apr_array_header_t **ids, apr_pool_t *p)
{
    apr_status_t rv = read_names(d, ext ? ext : "", ids, p);

    if (rv == APR_SUCCESS && (*ids)->nelts > 1) {
        qsort((*ids)->elts, (size_t)(*ids)->nelts, sizeof(const char *),
              cmp_str);
    }
    return rv;
}

apr_status_t wr_file_dir_names(wr_file_dir_t *d, apr_array_header_t **names,
                               apr_pool_t *p)
{
    return read_names(d, NULL, names, p);
}

apr_status_t wr_file_stat(wr_file_dir_t *d, const char *name,
                          wr_file_info_t *fi)
{
    struct stat st;
    apr_status_t rv = entry_stat(d, name, &st);

    if (rv == APR_SUCCESS) {
        fi->size = st.st_size;
        fi->mtime = apr_time_from_sec(st.st_mtim.tv_sec)
                    + st.st_mtim.tv_nsec / 1000;
        fi->ctime = apr_time_from_sec(st.st_ctim.tv_sec)
                    + st.st_ctim.tv_nsec / 1000;
    }
    return rv;
}

/* open_entry - an existing entry opened with `oflags` (never following,
 * never blocking on a FIFO), checked on its descriptor */
static apr_status_t open_entry(wr_file_dir_t *d, const char *name,
                               int oflags, int *pfd, struct stat *st)
{
    apr_status_t rv;
    int fd;

    if (!name_ok(name)) {
        return APR_EINVAL;
    }
    fd = openat(d->fd, name, oflags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY
                | O_CLOEXEC, 0600);
    if (fd < 0) {
        rv = os_error();
        return why_not(d->fd, name, 0, rv);
    }
    if (fstat(fd, st) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        close(fd);
        return rv;
    }
    if ((rv = entry_check(st)) != APR_SUCCESS) {
        close(fd);
        return rv;
    }
    *pfd = fd;
    return APR_SUCCESS;
}

/* read_full - up to `n` bytes; *got is what was there */
static apr_status_t read_full(int fd, char *buf, apr_size_t n,
                              apr_size_t *got)
{
    apr_size_t o = 0;

    while (o < n) {
        ssize_t r = read(fd, buf + o, n - o);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return APR_FROM_OS_ERROR(errno);
        }
        if (r == 0) {
            break;
        }
        o += (apr_size_t)r;
    }
    *got = o;
    return APR_SUCCESS;
}

/* write_full - all `n` bytes */
static apr_status_t write_full(int fd, const char *buf, apr_size_t n)
{
    apr_size_t o = 0;

    while (o < n) {
        ssize_t w = write(fd, buf + o, n - o);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            return APR_FROM_OS_ERROR(errno);
        }
        o += (apr_size_t)w;
    }
    return APR_SUCCESS;
}

apr_status_t wr_file_slurp(const char *path, apr_size_t max, char **buf,
                           apr_size_t *len, apr_pool_t *p)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t got = 0;
    apr_status_t rv;
    char *b;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if ((rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f)) != APR_SUCCESS) {
        goto leave;
    }
    if (fi.size < 0 || (apr_uint64_t)fi.size > max) {
        rv = APR_FROM_OS_ERROR(EFBIG);
        goto leave;
    }
    b = apr_palloc(p, (apr_size_t)fi.size + 1);
    if (fi.size > 0
        && (rv = apr_file_read_full(f, b, (apr_size_t)fi.size, &got))
           != APR_SUCCESS) {
        goto leave;
    }
    b[got] = '\0';
    *buf = b;
    if (len != NULL) {
        *len = got;
    }
leave:
    apr_file_close(f);
    return rv;
}

/* read_entry - wr_file_read, with `private` the owner and mode checks of
 * wr_file_read_private */
static apr_status_t read_entry(wr_file_dir_t *d, const char *name,
                               apr_size_t max, int private, char **buf,
                               apr_size_t *len, int *truncated,
                               apr_pool_t *p)
{
    struct stat st;
    apr_size_t n, got = 0;
    apr_status_t rv;
    int fd;

    if ((rv = open_entry(d, name, O_RDONLY, &fd, &st)) != APR_SUCCESS) {
        return rv;
    }
    if (private && (st.st_uid != d->uid || (st.st_mode & 077) != 0)) {
        close(fd);
        return st.st_uid != d->uid ? WR_FILE_EOWNER : WR_FILE_EMODE;
    }
    n = st.st_size < 0 ? 0 : (apr_size_t)st.st_size;
    if (truncated) {
        *truncated = n > max;
    }
    if (n > max) {
        if (truncated == NULL) {
            close(fd);
            return APR_FROM_OS_ERROR(EFBIG);
        }
        n = max;
    }
    *buf = apr_palloc(p, n + 1);
    rv = read_full(fd, *buf, n, &got);
    close(fd);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    (*buf)[got] = '\0';
    if (len) {
        *len = got;
    }
    return APR_SUCCESS;
}

apr_status_t wr_file_read(wr_file_dir_t *d, const char *name, apr_size_t max,
                          char **buf, apr_size_t *len, int *truncated,
                          apr_pool_t *p)
{
    return read_entry(d, name, max, 0, buf, len, truncated, p);
}

apr_status_t wr_file_read_private(wr_file_dir_t *d, const char *name,
                                  apr_size_t max, char **buf,
                                  apr_size_t *len, apr_pool_t *p)
{
    return read_entry(d, name, max, 1, buf, len, NULL, p);
}

/* create_tmp - `name` made in `dir` (O_EXCL) holding `data`, fsynced on
 * request, closed; removed again on failure */
static apr_status_t create_tmp(wr_file_dir_t *dir, const char *name,
                               const wr_file_dir_t *owner, const void *data,
                               apr_size_t len, int sync)
{
    apr_status_t rv;
    int fd;

    fd = openat(dir->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                | O_CLOEXEC, 0600);
    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if ((rv = write_full(fd, data, len)) != APR_SUCCESS
        || (rv = give(owner, fd)) != APR_SUCCESS
        || (sync && fsync(fd) != 0 && (rv = APR_FROM_OS_ERROR(errno)))) {
        close(fd);
        unlinkat(dir->fd, name, 0);
        return rv;
    }
    if (close(fd) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        unlinkat(dir->fd, name, 0);
        return rv;
    }
    return APR_SUCCESS;
}

/* place - tmp/<tmp_name> to d/<name> by rename or (excl) link */
static apr_status_t place(wr_file_dir_t *tmp, const char *tmp_name,
                          wr_file_dir_t *d, const char *name, int excl)
{
    apr_status_t rv = APR_SUCCESS;

    if (excl) {
        if (linkat(tmp->fd, tmp_name, d->fd, name, 0) != 0) {
            rv = APR_FROM_OS_ERROR(errno);
        }
        unlinkat(tmp->fd, tmp_name, 0);
    }
    else if (renameat(tmp->fd, tmp_name, d->fd, name) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        unlinkat(tmp->fd, tmp_name, 0);
    }
    return rv;
}

apr_status_t wr_file_create(wr_file_dir_t *d, const char *name,
                            const void *data, apr_size_t len, int flags)
{
    if (!name_ok(name)) {
        return APR_EINVAL;
    }
    return create_tmp(d, name, d, data, len, flags & WR_FILE_SYNC);
}

apr_status_t wr_file_write(wr_file_dir_t *d, const char *name,
                           const void *data, apr_size_t len, int flags,
                           apr_pool_t *p)
{
    const char *tmp;
    apr_status_t rv;

    if (!name_ok(name)) {
        return APR_EINVAL;
    }
    tmp = apr_psprintf(p, ".%s.%ld.tmp", name, (long)getpid());
    unlinkat(d->fd, tmp, 0);        /* left by a crash of this pid */
    if ((rv = create_tmp(d, tmp, d, data, len, 1)) != APR_SUCCESS
        || (rv = place(d, tmp, d, name, flags & WR_FILE_EXCL))
           != APR_SUCCESS) {
        return rv;
    }
    return wr_file_dir_sync(d);
}

apr_status_t wr_file_put(wr_file_dir_t *tmp, wr_file_dir_t *d,
                         const char *name, const void *data, apr_size_t len,
                         int flags, apr_pool_t *p)
{
    apr_status_t rv;

    (void)p;
    if (!name_ok(name)) {
        return APR_EINVAL;
    }
    if ((rv = create_tmp(tmp, name, d, data, len, flags & WR_FILE_SYNC))
        != APR_SUCCESS) {
        return APR_STATUS_IS_EEXIST(rv) ? APR_EEXIST : rv;
    }
    if ((rv = place(tmp, name, d, name, flags & WR_FILE_EXCL))
        != APR_SUCCESS) {
        return rv;
    }
    return (flags & WR_FILE_SYNC) ? wr_file_dir_sync(d) : APR_SUCCESS;
}

apr_status_t wr_file_sync(wr_file_dir_t *d, const char *name)
{
    struct stat st;
    apr_status_t rv;
    int fd;

    if ((rv = open_entry(d, name, O_RDONLY, &fd, &st)) != APR_SUCCESS) {
        return rv;
    }
    rv = fsync(fd) == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
    close(fd);
    return rv;
}

apr_status_t wr_file_rename(wr_file_dir_t *from, const char *name,
                            wr_file_dir_t *to, const char *to_name,
                            int flags)
{
    struct stat st;
    apr_status_t rv;

    if (!name_ok(to_name)) {
        return APR_EINVAL;
    }
    if ((rv = entry_stat(from, name, &st)) != APR_SUCCESS) {
        return rv;
    }
    if (flags & WR_FILE_EXCL) {
        if (linkat(from->fd, name, to->fd, to_name, 0) != 0) {
            return os_error();
        }
        return unlinkat(from->fd, name, 0) == 0 ? APR_SUCCESS : os_error();
    }
    return renameat(from->fd, name, to->fd, to_name) == 0 ? APR_SUCCESS
                                                          : os_error();
}

apr_status_t wr_file_remove(wr_file_dir_t *d, const char *name)
{
    struct stat st;
    apr_status_t rv;

    if ((rv = entry_stat(d, name, &st)) != APR_SUCCESS) {
        return rv;
    }
    return unlinkat(d->fd, name, 0) == 0 ? APR_SUCCESS : os_error();
}

/* close_file - pool cleanup of wr_file_open's file (apr_os_file_put
 * registers none); harmless after an apr_file_close */
static apr_status_t close_file(void *data)
{
    apr_file_t *f = data;
    apr_os_file_t fd = -1;

    apr_os_file_get(&fd, f);
    if (fd >= 0) {
        apr_file_close(f);
    }
    return APR_SUCCESS;
}

apr_status_t wr_file_open(apr_file_t **f, wr_file_dir_t *d, const char *name,
                          int flags, apr_pool_t *p)
{
    struct stat st;
    apr_status_t rv;
    apr_os_file_t fd;
    int oflags = O_WRONLY, made = 0;

    if (!name_ok(name)) {
        return APR_EINVAL;
    }
    if (flags & WR_FILE_APPEND) {
        oflags |= O_APPEND;
    }
    if (flags & WR_FILE_CREATE) {
        fd = openat(d->fd, name, oflags | O_CREAT | O_EXCL | O_NOFOLLOW
                    | O_CLOEXEC, 0600);
        if (fd >= 0) {
            made = 1;
            close(fd);
        }
    }
    /* O_TRUNC only once the file is known to be ours alone */
    if ((rv = open_entry(d, name, oflags, &fd, &st)) != APR_SUCCESS) {
        return rv;
    }
    if ((made && (rv = give(d, fd)) != APR_SUCCESS)
        || ((flags & WR_FILE_TRUNC) && ftruncate(fd, 0) != 0
            && (rv = APR_FROM_OS_ERROR(errno)))) {
        close(fd);
        return rv;
    }
    /* back to blocking writes */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    apr_os_file_put(f, &fd, APR_FOPEN_WRITE | ((flags & WR_FILE_APPEND)
                                               ? APR_FOPEN_APPEND : 0), p);
    apr_pool_cleanup_register(p, *f, close_file, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

apr_status_t wr_file_touch(wr_file_dir_t *d, const char *name,
                           apr_time_t mtime)
{
    struct timespec ts[2];
    struct stat st;
    apr_status_t rv;

    if ((rv = entry_stat(d, name, &st)) != APR_SUCCESS) {
        return rv;
    }
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = (time_t)apr_time_sec(mtime);
    ts[1].tv_nsec = (long)apr_time_usec(mtime) * 1000;
    return utimensat(d->fd, name, ts, AT_SYMLINK_NOFOLLOW) == 0
           ? APR_SUCCESS : os_error();
}

/* ---- records ---------------------------------------------------------- */

int wr_file_id_ok(const char *id, apr_size_t len)
{
    apr_size_t i;

    if (id == NULL || len == 0 || len > WR_FILE_ID_MAX || id[0] == '.') {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (!apr_isalnum(id[i]) && id[i] != '.' && id[i] != '_'
            && id[i] != '-' && id[i] != '+') {
            return 0;
        }
    }
    return 1;
}

apr_status_t wr_file_record_parse(char *buf, apr_table_t **t, apr_pool_t *p)
{
    char *line, *save = NULL;
    int first = 1;

    *t = apr_table_make(p, 8);
    for (line = apr_strtok(buf, "\n", &save); line;
         line = apr_strtok(NULL, "\n", &save)) {
        char *colon;

        if ((colon = strstr(line, ": ")) == NULL) {
            return APR_EINVAL;
        }
        *colon = '\0';
        if (first) {
            if (strcmp(line, "version") != 0
                || atoi(colon + 2) != WR_FILE_RECORD_VERSION) {
                return APR_EINVAL;
            }
            first = 0;
            continue;
        }
        apr_table_add(*t, line, colon + 2);
    }
    return first ? APR_EINVAL : APR_SUCCESS;
}

/* one_line - `s` with control bytes as spaces */
static char *one_line(const char *s, apr_pool_t *p)
{
    char *t = apr_pstrdup(p, s ? s : ""), *c;

    for (c = t; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
    return t;
}

const char *wr_file_record_dump(const apr_table_t *t, apr_pool_t *p)
{
    const apr_array_header_t *arr = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *text = apr_psprintf(p, "version: %d\n",
                                    WR_FILE_RECORD_VERSION);
    int k;

    for (k = 0; k < arr->nelts; k++) {
        text = apr_pstrcat(p, text, one_line(e[k].key, p), ": ",
                           one_line(e[k].val, p), "\n", NULL);
    }
    return text;
}

apr_status_t wr_file_record_load(wr_file_dir_t *d, const char *name,
                                 const char **text, apr_table_t **t,
                                 apr_pool_t *p)
{
    char *buf;
    apr_status_t rv;

    if ((rv = wr_file_read(d, name, WR_FILE_RECORD_MAX, &buf, NULL, NULL, p))
        != APR_SUCCESS) {
        return rv;
    }
    if (text) {
        *text = apr_pstrdup(p, buf);
    }
    return wr_file_record_parse(buf, t, p);
}

apr_time_t wr_file_record_time(const apr_table_t *t, const char *key)
{
    const char *v = apr_table_get(t, key);

    return v ? (apr_time_t)apr_atoi64(v) : 0;
}
