/* wr_record.h - the outbox's files, shared by the queue manager
 * (wr_delivery.c) and the administrator's view of it (wr_outbox.c): ids,
 * durable writes, and the "key: value" records (.env, .state) whose format
 * wr_delivery.h describes
 *
 * An id is [A-Za-z0-9._+-], 1 to WR_RECORD_ID_MAX bytes, not starting
 * with '.', so that a name built from it never leaves its directory.
 */
#ifndef WR_RECORD_H
#define WR_RECORD_H

#include <sys/types.h>

#include <apr_file_io.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* Version of the records written; others are refused. */
#define WR_RECORD_VERSION 1

/* Longest id. */
#define WR_RECORD_ID_MAX 200

/* Largest record (.env, .state) read. */
#define WR_RECORD_MAX 65536

/* wr_record_owner_t - who a file written as root is given to (the queue
 * manager runs as httpd's User and must read and replace it) */
typedef struct {
    uid_t uid;
    gid_t gid;
} wr_record_owner_t;

/* wr_record_give - an open file to `owner` (fchown; run as root); NULL:
 * nothing to do */
apr_status_t wr_record_give(apr_file_t *f, const wr_record_owner_t *owner);

/* wr_record_id_ok - 1 if the `len` bytes at `id` are an id */
int wr_record_id_ok(const char *id, apr_size_t len);

/* wr_record_path - DIR/<id><ext> */
const char *wr_record_path(const char *dir, const char *id, const char *ext,
                           apr_pool_t *p);

/* wr_record_sync_dir - fsync a directory, so that the names made or
 * removed in it are durable */
apr_status_t wr_record_sync_dir(const char *dir, apr_pool_t *p);

/* wr_record_write - DIR/<name> holding `text`, durably: a temporary file
 * DIR/.<name>.<pid>.tmp (swept by the queue manager when a crash leaves
 * one), fsync, rename (or, with `exclusive`, link(2), which refuses an
 * existing name), fsync of DIR. With `owner`, the file is given to it
 * first. Nothing is left behind on failure.
 * @return APR_EEXIST (exclusive) or the I/O error */
apr_status_t wr_record_write(const char *dir, const char *name,
                             const char *text, int exclusive,
                             const wr_record_owner_t *owner, apr_pool_t *p);

/* wr_record_read - at most `max` bytes of a file, NUL-terminated; *len
 * (may be NULL) gets the length; *truncated (may be NULL) says whether
 * there was more, else a longer file is an error.
 * @return APR_ENOENT, EFBIG, the I/O error */
apr_status_t wr_record_read(const char *path, apr_size_t max, char **buf,
                            apr_size_t *len, int *truncated, apr_pool_t *p);

/* wr_record_parse - "key: value" lines after "version: 1" into a table, in
 * order (repeated keys kept); `buf` is cut up.
 * @return APR_EINVAL for anything else */
apr_status_t wr_record_parse(char *buf, apr_table_t **t, apr_pool_t *p);

/* wr_record_time - a decimal apr_time_t field of a record; 0 if missing */
apr_time_t wr_record_time(const apr_table_t *t, const char *key);

/* wr_record_list - the ids of the files DIR/<id><ext>, sorted.
 * @return the error opening (APR_ENOENT: no DIR) or reading DIR */
apr_status_t wr_record_list(const char *dir, const char *ext,
                            apr_array_header_t **ids, apr_pool_t *p);

#endif
