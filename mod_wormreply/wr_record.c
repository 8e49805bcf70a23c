/* wr_record.c - the outbox's files (see wr_record.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_portable.h>
#include <apr_strings.h>

#include "wr_record.h"

int wr_record_id_ok(const char *id, apr_size_t len)
{
    apr_size_t i;

    if (id == NULL || len == 0 || len > WR_RECORD_ID_MAX || id[0] == '.') {
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

const char *wr_record_path(const char *dir, const char *id, const char *ext,
                           apr_pool_t *p)
{
    return apr_pstrcat(p, dir, "/", id, ext, NULL);
}

apr_status_t wr_record_sync_dir(const char *dir, apr_pool_t *p)
{
    apr_file_t *f;
    apr_status_t rv;

    if ((rv = apr_file_open(&f, dir, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p))
        != APR_SUCCESS) {
        return rv;
    }
    rv = apr_file_sync(f);
    apr_file_close(f);
    return rv;
}

apr_status_t wr_record_give(apr_file_t *f, const wr_record_owner_t *owner)
{
    apr_os_file_t fd;

    if (owner == NULL) {
        return APR_SUCCESS;
    }
    if (apr_os_file_get(&fd, f) != APR_SUCCESS) {
        return APR_EBADF;
    }
    return fchown(fd, owner->uid, owner->gid) == 0 ? APR_SUCCESS
                                                   : APR_FROM_OS_ERROR(errno);
}

apr_status_t wr_record_write(const char *dir, const char *name,
                             const char *text, int exclusive,
                             const wr_record_owner_t *owner, apr_pool_t *p)
{
    const char *tmp = apr_psprintf(p, "%s/.%s.%ld.tmp", dir, name,
                                   (long)getpid());
    const char *final = apr_pstrcat(p, dir, "/", name, NULL);
    apr_file_t *f = NULL;
    apr_size_t n;
    apr_status_t rv;

    apr_file_remove(tmp, p);
    if ((rv = apr_file_open(&f, tmp, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                            | APR_FOPEN_EXCL,
                            APR_FPROT_UREAD | APR_FPROT_UWRITE, p))
        != APR_SUCCESS) {
        return rv;
    }
    if ((rv = apr_file_write_full(f, text, strlen(text), &n)) != APR_SUCCESS
        || (rv = wr_record_give(f, owner)) != APR_SUCCESS
        || (rv = apr_file_sync(f)) != APR_SUCCESS) {
        apr_file_close(f);
        apr_file_remove(tmp, p);
        return rv;
    }
    if ((rv = apr_file_close(f)) != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        return rv;
    }
    if (exclusive) {
        rv = link(tmp, final) == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
        apr_file_remove(tmp, p);
    }
    else {
        rv = apr_file_rename(tmp, final, p);
        if (rv != APR_SUCCESS) {
            apr_file_remove(tmp, p);
        }
    }
    if (rv == APR_SUCCESS) {
        rv = wr_record_sync_dir(dir, p);
    }
    return rv;
}

apr_status_t wr_record_read(const char *path, apr_size_t max, char **buf,
                            apr_size_t *len, int *truncated, apr_pool_t *p)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t n;

    if ((rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT,
                            p)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f)) != APR_SUCCESS) {
        apr_file_close(f);
        return rv;
    }
    n = fi.size < 0 ? 0 : (apr_size_t)fi.size;
    if (truncated) {
        *truncated = n > max;
    }
    if (n > max) {
        if (truncated == NULL) {
            apr_file_close(f);
            return APR_FROM_OS_ERROR(EFBIG);
        }
        n = max;
    }
    *buf = apr_palloc(p, n + 1);
    rv = apr_file_read_full(f, *buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        return rv;
    }
    (*buf)[n] = '\0';
    if (len) {
        *len = n;
    }
    return APR_SUCCESS;
}

apr_status_t wr_record_parse(char *buf, apr_table_t **t, apr_pool_t *p)
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
                || atoi(colon + 2) != WR_RECORD_VERSION) {
                return APR_EINVAL;
            }
            first = 0;
            continue;
        }
        apr_table_add(*t, line, colon + 2);
    }
    return first ? APR_EINVAL : APR_SUCCESS;
}

apr_time_t wr_record_time(const apr_table_t *t, const char *key)
{
    const char *v = apr_table_get(t, key);

    return v ? (apr_time_t)apr_atoi64(v) : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

apr_status_t wr_record_list(const char *dir, const char *ext,
                            apr_array_header_t **ids, apr_pool_t *p)
{
    apr_dir_t *dh;
    apr_finfo_t fi;
    apr_size_t el = strlen(ext);
    apr_status_t rv;

    *ids = apr_array_make(p, 16, sizeof(const char *));
    if ((rv = apr_dir_open(&dh, dir, p)) != APR_SUCCESS) {
        return rv;
    }
    while ((rv = apr_dir_read(&fi, APR_FINFO_NAME, dh)) == APR_SUCCESS
           || rv == APR_INCOMPLETE) {
        apr_size_t n = strlen(fi.name);
        if (n > el && !strcmp(fi.name + n - el, ext)
            && wr_record_id_ok(fi.name, n - el)) {
            APR_ARRAY_PUSH(*ids, const char *) = apr_pstrmemdup(p, fi.name,
                                                                n - el);
        }
    }
    apr_dir_close(dh);
    qsort((*ids)->elts, (size_t)(*ids)->nelts, sizeof(const char *),
          cmp_str);
    return APR_STATUS_IS_ENOENT(rv) ? APR_SUCCESS : rv;
}
