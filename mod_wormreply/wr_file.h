/* wr_file.h - the one way into the spool and the outbox: directory
 * handles opened once, *at() calls only, durable writes, bounded reads
 * and the "key: value" records
 *
 * The spool and the outbox belong to httpd's User, so whatever is in them
 * is hostile to a process running as root (the CLI, httpd's parent): a
 * subdirectory may have been replaced by a symbolic link, an entry may be
 * a symbolic link, a hard link to a file elsewhere, a FIFO or a sparse
 * file of a terabyte. Every access therefore goes through a directory
 * handle (wr_file_dir_t):
 * - the root is opened once, O_DIRECTORY|O_NOFOLLOW, and its owner taken
 *   from that descriptor; a subdirectory is opened from its parent's
 *   descriptor the same way and refused unless it is a real directory
 *   owned by the root's owner;
 * - entries are reached only through openat/renameat/linkat/unlinkat/
 *   fstatat(AT_SYMLINK_NOFOLLOW)/fdopendir on those descriptors, so no
 *   name given here can leave the verified directories;
 * - an entry is read, renamed or removed only if it is a regular file
 *   with exactly one link (checked on the open descriptor for a read, by
 *   fstatat before a rename or unlink, where the check is what makes the
 *   refusal visible: the *at() call could not leave the directory
 *   anyway), and a read is bounded by its size before a byte is read
 *   (opened O_NONBLOCK, so a FIFO cannot block it).
 * Refusals have codes of their own (WR_FILE_IS_REFUSED); wr_file_strerror
 * says what was refused. Files created by a process running as root are
 * given to the root's owner, so that httpd's User can still replace them.
 *
 * Handles keep their descriptor (close-on-exec) until their pool is
 * cleared: made before fork(), they serve every child without a path walk
 * per call. A handle may be used by several threads at once.
 *
 * Records (.env, .state of the outbox) are "key: value" lines, LF-ended,
 * "version: 1" first; unknown versions are refused. An id (a name without
 * its extension) is [A-Za-z0-9._+-], 1 to WR_FILE_ID_MAX bytes, not
 * starting with '.', so a name built from it never leaves its directory.
 *
 * Nothing here logs; every function says what went wrong.
 */
#ifndef WR_FILE_H
#define WR_FILE_H

#include <sys/types.h>

#include <apr_errno.h>
#include <apr_file_io.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* Version of the records written; others are refused. */
#define WR_FILE_RECORD_VERSION 1

/* Longest id. */
#define WR_FILE_ID_MAX 200

/* Largest record (.env, .state) read. */
#define WR_FILE_RECORD_MAX 65536

/* Refusals: what was found instead of a real directory or a regular file
 * with one link. */
#define WR_FILE_ESYMLINK (APR_OS_START_USERERR + 4101) /* a symbolic link */
#define WR_FILE_ENOTDIR  (APR_OS_START_USERERR + 4102) /* not a directory */
#define WR_FILE_ENOTREG  (APR_OS_START_USERERR + 4103) /* not a regular
                                                        * file (FIFO...) */
#define WR_FILE_ELINKS   (APR_OS_START_USERERR + 4104) /* other hard links */
#define WR_FILE_EOWNER   (APR_OS_START_USERERR + 4105) /* a directory not
                                                        * owned by the
                                                        * root's owner */
#define WR_FILE_EMODE    (APR_OS_START_USERERR + 4106) /* a private file
                                                        * that others may
                                                        * read or write */
#define WR_FILE_IS_REFUSED(rv) ((rv) >= WR_FILE_ESYMLINK \
                                && (rv) <= WR_FILE_EMODE)

/* Flags. */
#define WR_FILE_MKDIR 1     /* wr_file_dir_*: make a missing directory,
                             * mode 0700, owned by the root's owner */
#define WR_FILE_EXCL  2     /* write, put: never replace an existing name
                             * (link(2) instead of rename(2)) */
#define WR_FILE_SYNC  4     /* put: fsync the file before the rename and
                             * the directory after it; without it a put
                             * is the "no sync" write of the request path
                             * (O_EXCL file, rename, no fsync at all),
                             * made durable later by wr_file_fs_sync or
                             * wr_file_sync + wr_file_dir_sync */
#define WR_FILE_CREATE 8    /* open: create a missing file (mode 0600) */
#define WR_FILE_APPEND 16   /* open: append */
#define WR_FILE_TRUNC  32   /* open: truncate */

typedef struct wr_file_dir_t wr_file_dir_t;

/* What wr_file_stat tells about an entry. */
typedef struct {
    apr_off_t size;
    apr_time_t mtime;
    apr_time_t ctime;
} wr_file_info_t;

/* wr_file_strerror - what `rv` means, refusals included */
const char *wr_file_strerror(apr_status_t rv, char *buf, apr_size_t n);

/* wr_file_dir_open - the root `path` (WR_FILE_MKDIR: made with its
 * parents if missing). Its owner becomes the owner every subdirectory
 * must have.
 * @return WR_FILE_ESYMLINK, WR_FILE_ENOTDIR, APR_ENOENT, the open error */
apr_status_t wr_file_dir_open(wr_file_dir_t **d, const char *path, int flags,
                              apr_pool_t *p);

/* wr_file_dir_sub - the subdirectory `name` (one component) of `parent`
 * (WR_FILE_MKDIR: made if missing; run as root, a subdirectory root owns
 * is given to the root's owner).
 * @return WR_FILE_ESYMLINK, WR_FILE_ENOTDIR, WR_FILE_EOWNER, APR_ENOENT,
 *         APR_EINVAL for a name with '/' or "..", the open error */
apr_status_t wr_file_dir_sub(wr_file_dir_t **d, wr_file_dir_t *parent,
                             const char *name, int flags, apr_pool_t *p);

/* wr_file_dir_path - the path the handle was opened as (for messages) */
const char *wr_file_dir_path(const wr_file_dir_t *d);

/* wr_file_dir_owner - the root's owner and group */
void wr_file_dir_owner(const wr_file_dir_t *d, uid_t *uid, gid_t *gid);

/* wr_file_dir_sync - fsync the directory, so that the names made or
 * removed in it are durable */
apr_status_t wr_file_dir_sync(wr_file_dir_t *d);

/* wr_file_fs_sync - make durable everything written to the file system
 * the directory is on, in one call (syncfs(2)): the group commit of many
 * entries put without WR_FILE_SYNC. It flushes the rest of that file
 * system too, so its time depends on what else is being written there.
 * @return APR_ENOTIMPL where there is no syncfs (use wr_file_sync on each
 *         entry, then wr_file_dir_sync); the error */
apr_status_t wr_file_fs_sync(wr_file_dir_t *d);

/* wr_file_dir_list - the ids of the entries <id><ext> (ext "" for bare
 * ids), sorted. Entries are not checked here: the calls that use them
 * refuse what is not a regular file.
 * @return the error reading the directory */
apr_status_t wr_file_dir_list(wr_file_dir_t *d, const char *ext,
                              apr_array_header_t **ids, apr_pool_t *p);

/* wr_file_dir_names - every name in the directory but "." and "..",
 * unsorted (for sweeping temporary files) */
apr_status_t wr_file_dir_names(wr_file_dir_t *d, apr_array_header_t **names,
                               apr_pool_t *p);

/* wr_file_stat - size and times of entry `name`.
 * @return APR_ENOENT; a refusal; the stat error */
apr_status_t wr_file_stat(wr_file_dir_t *d, const char *name,
                          wr_file_info_t *fi);

/* wr_file_read - at most `max` bytes of entry `name`, NUL-terminated;
 * *len (may be NULL) gets the length; *truncated (may be NULL) says
 * whether there was more, else a longer file is APR EFBIG (nothing read).
 * @return APR_ENOENT, a refusal, EFBIG, the I/O error */
apr_status_t wr_file_read(wr_file_dir_t *d, const char *name, apr_size_t max,
                          char **buf, apr_size_t *len, int *truncated,
                          apr_pool_t *p);

/* wr_file_slurp - the whole file at `path`, NUL-terminated, for a
 * configuration file (a template, a signature file: root's, read at
 * start-up, not in a directory httpd's User can write); *len (may be
 * NULL) gets the length. @return the open or read error; EFBIG for a
 * file over `max` bytes (nothing read) */
apr_status_t wr_file_slurp(const char *path, apr_size_t max, char **buf,
                           apr_size_t *len, apr_pool_t *p);

/* wr_file_read_private - wr_file_read of a secret (a key): also refused
 * unless the file is owned by the root's owner (WR_FILE_EOWNER) and has
 * no group or other permission bits (WR_FILE_EMODE), both checked on the
 * open descriptor. A longer file than `max` is EFBIG.
 * @return APR_ENOENT, a refusal, EFBIG, the I/O error */
apr_status_t wr_file_read_private(wr_file_dir_t *d, const char *name,
                                  apr_size_t max, char **buf,
                                  apr_size_t *len, apr_pool_t *p);

/* wr_file_write - entry `name` holding `len` bytes of `data`, durably:
 * a temporary file .<name>.<pid>.tmp in the same directory (O_EXCL;
 * swept by its owner when a crash leaves one), fsync, rename (with
 * WR_FILE_EXCL link(2), which refuses an existing name), fsync of the
 * directory. Nothing is left behind on failure.
 * @return APR_EEXIST (WR_FILE_EXCL), the I/O error */
apr_status_t wr_file_write(wr_file_dir_t *d, const char *name,
                           const void *data, apr_size_t len, int flags,
                           apr_pool_t *p);

/* wr_file_create - a new entry `name` (O_EXCL) holding `data`, fsynced
 * with WR_FILE_SYNC, given to the root's owner when made as root; removed
 * again on failure. @return APR_EEXIST, the I/O error */
apr_status_t wr_file_create(wr_file_dir_t *d, const char *name,
                            const void *data, apr_size_t len, int flags);

/* wr_file_put - entry `name` made in `tmp` (O_EXCL) with `data`, then
 * renamed into `d` under the same name (maildir's tmp/ -> new/); with
 * WR_FILE_SYNC the file is fsynced before the rename and `d` after it;
 * without, the record survives any crash of the process but not a power
 * loss (see wr_file_sync, wr_file_dir_sync). On a failure before the
 * rename nothing is left behind; a failed directory fsync leaves the
 * entry in `d` (taking it back could lose what is on disk).
 * @return APR_EEXIST if tmp/<name> exists, the I/O error */
apr_status_t wr_file_put(wr_file_dir_t *tmp, wr_file_dir_t *d,
                         const char *name, const void *data, apr_size_t len,
                         int flags, apr_pool_t *p);

/* wr_file_sync - fsync entry `name` (group commit of entries written
 * without WR_FILE_SYNC). @return APR_ENOENT, a refusal, the error */
apr_status_t wr_file_sync(wr_file_dir_t *d, const char *name);

/* wr_file_rename - entry `name` of `from` to `to_name` in `to` (the same
 * file system), replacing what is there (WR_FILE_EXCL: refusing it with
 * APR_EEXIST).
 * @return APR_ENOENT if `name` is not in `from`; a refusal; the error */
apr_status_t wr_file_rename(wr_file_dir_t *from, const char *name,
                            wr_file_dir_t *to, const char *to_name,
                            int flags);

/* wr_file_remove - unlink entry `name`.
 * @return APR_ENOENT, a refusal, the error */
apr_status_t wr_file_remove(wr_file_dir_t *d, const char *name);

/* wr_file_open - entry `name` open for writing (WR_FILE_CREATE,
 * WR_FILE_APPEND, WR_FILE_TRUNC), refused unless it is a regular file
 * with one link; a file created as root is given to the root's owner.
 * Closed with its pool (or apr_file_close).
 * @return APR_ENOENT, a refusal, the error */
apr_status_t wr_file_open(apr_file_t **f, wr_file_dir_t *d, const char *name,
                          int flags, apr_pool_t *p);

/* wr_file_touch - set the modification time of entry `name` */
apr_status_t wr_file_touch(wr_file_dir_t *d, const char *name,
                           apr_time_t mtime);

/* wr_file_id_ok - 1 if the `len` bytes at `id` are an id */
int wr_file_id_ok(const char *id, apr_size_t len);

/* wr_file_record_parse - "key: value" lines after "version: 1" into a
 * table, in order (repeated keys kept); `buf` is cut up.
 * @return APR_EINVAL for anything else */
apr_status_t wr_file_record_parse(char *buf, apr_table_t **t, apr_pool_t *p);

/* wr_file_record_dump - a table back into record text, "version: 1"
 * first; control bytes in keys and values become spaces */
const char *wr_file_record_dump(const apr_table_t *t, apr_pool_t *p);

/* wr_file_record_load - entry `name` read (at most WR_FILE_RECORD_MAX
 * bytes) and parsed; *text (may be NULL) gets it as it is on disk.
 * @return APR_ENOENT, a refusal, EFBIG, APR_EINVAL, the I/O error */
apr_status_t wr_file_record_load(wr_file_dir_t *d, const char *name,
                                 const char **text, apr_table_t **t,
                                 apr_pool_t *p);

/* wr_file_record_time - a decimal apr_time_t field of a record; 0 if
 * missing */
apr_time_t wr_file_record_time(const apr_table_t *t, const char *key);

#endif
