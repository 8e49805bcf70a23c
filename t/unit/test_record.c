/* test_record.c - the outbox's files (wr_record): ids, durable writes,
 * reads with a bound, records, listings */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_record.h"

static apr_pool_t *pool;
static const char *dir;

static void put(const char *name, const char *text)
{
    apr_file_t *f;
    apr_size_t n;

    if (apr_file_open(&f, apr_pstrcat(pool, dir, "/", name, NULL),
                      APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                      APR_FPROT_OS_DEFAULT, pool) == APR_SUCCESS) {
        apr_file_write_full(f, text, strlen(text), &n);
        apr_file_close(f);
    }
}

static void test_ids(void)
{
    char longid[WR_RECORD_ID_MAX + 2];

    check(wr_record_id_ok("wr-20261127T061236Z-0a1b.c_d+e", 30),
          "ids: letters, digits and ._+- are fine");
    check(!wr_record_id_ok(".hidden", 7), "ids: no leading dot");
    check(!wr_record_id_ok("a/b", 3), "ids: no slash");
    check(!wr_record_id_ok("../x", 4), "ids: no way out");
    check(!wr_record_id_ok("a b", 3), "ids: no space");
    check(!wr_record_id_ok("", 0), "ids: not empty");
    check(!wr_record_id_ok(NULL, 3), "ids: not NULL");
    memset(longid, 'a', sizeof(longid));
    check(wr_record_id_ok(longid, WR_RECORD_ID_MAX), "ids: %d bytes is fine",
          WR_RECORD_ID_MAX);
    check(!wr_record_id_ok(longid, WR_RECORD_ID_MAX + 1), "ids: %d is not",
          WR_RECORD_ID_MAX + 1);
    check(wr_record_id_ok("abc/", 3), "ids: only the given length counts");
    check_str(wr_record_path("/q", "id1", ".eml", pool), "/q/id1.eml",
              "path: DIR/<id><ext>");
}

static void test_write_read(void)
{
    char *buf = NULL;
    apr_size_t len = 0;
    int more = -1;
    struct stat st;

    check_int(wr_record_write(dir, "a.state", "version: 1\nqueued: 5\n", 0,
                              NULL, pool), APR_SUCCESS, "write: a record");
    check_int(wr_record_read(apr_pstrcat(pool, dir, "/a.state", NULL), 1000,
                             &buf, &len, NULL, pool), APR_SUCCESS,
              "read: it back");
    check_str(buf, "version: 1\nqueued: 5\n", "read: the same text");
    check_int(len, 21, "read: its length");
    check(stat(apr_pstrcat(pool, dir, "/a.state", NULL), &st) == 0
          && (st.st_mode & 077) == 0, "write: mode 0600");
    check_int(wr_record_write(dir, "a.state", "version: 1\nqueued: 6\n", 0,
                              NULL, pool), APR_SUCCESS,
              "write: replacing is fine");
    check(APR_STATUS_IS_EEXIST(wr_record_write(dir, "a.state", "x", 1, NULL,
                                               pool)),
          "write: exclusive refuses an existing name");
    wr_record_read(apr_pstrcat(pool, dir, "/a.state", NULL), 1000, &buf,
                   NULL, NULL, pool);
    check_str(buf, "version: 1\nqueued: 6\n",
              "write: the refused one changed nothing");
    check_int(wr_record_read(apr_pstrcat(pool, dir, "/a.state", NULL), 10,
                             &buf, &len, NULL, pool),
              APR_FROM_OS_ERROR(EFBIG), "read: too large is EFBIG");
    check_int(wr_record_read(apr_pstrcat(pool, dir, "/a.state", NULL), 10,
                             &buf, &len, &more, pool), APR_SUCCESS,
              "read: or, asked for, its head");
    check(more == 1 && len == 10 && !strcmp(buf, "version: 1"),
          "read: 10 bytes and 'there is more'");
    check(APR_STATUS_IS_ENOENT(wr_record_read(apr_pstrcat(pool, dir,
                                                          "/none", NULL),
                                              10, &buf, NULL, NULL, pool)),
          "read: a missing file is ENOENT");
    check(wr_record_write(apr_pstrcat(pool, dir, "/no/such", NULL), "x", "y",
                          0, NULL, pool) != APR_SUCCESS,
          "write: into a missing directory fails");
}

static void test_parse(void)
{
    apr_table_t *t = NULL;
    const apr_array_header_t *a;

    check_int(wr_record_parse(apr_pstrdup(pool, "version: 1\nrcpt: a@x\n"
                                          "rcpt: b@x\nqueued: 17\n"), &t,
                              pool), APR_SUCCESS, "parse: a record");
    a = apr_table_elts(t);
    check_int(a->nelts, 3, "parse: three fields, the repeated key kept");
    check_str(apr_table_get(t, "rcpt"), "a@x", "parse: in order");
    check(wr_record_time(t, "queued") == 17, "parse: a time field");
    check(wr_record_time(t, "next-try") == 0, "parse: a missing one is 0");
    check_int(wr_record_parse(apr_pstrdup(pool, "version: 2\nx: y\n"), &t,
                              pool), APR_EINVAL, "parse: another version");
    check_int(wr_record_parse(apr_pstrdup(pool, "x: y\nversion: 1\n"), &t,
                              pool), APR_EINVAL, "parse: version not first");
    check_int(wr_record_parse(apr_pstrdup(pool, "version: 1\nnocolon\n"), &t,
                              pool), APR_EINVAL, "parse: a line without ': '");
    check_int(wr_record_parse(apr_pstrdup(pool, ""), &t, pool), APR_EINVAL,
              "parse: nothing at all");
}

static void test_list(void)
{
    apr_array_header_t *ids = NULL;
    const char *sub = apr_pstrcat(pool, dir, "/list", NULL);

    apr_dir_make(sub, APR_FPROT_OS_DEFAULT, pool);
    dir = sub;
    put("b.eml", "");
    put("a.eml", "");
    put("c.env", "");
    put(".hidden.eml", "");
    put("bad name.eml", "");
    put(".a.eml.123.tmp", "");
    check_int(wr_record_list(sub, ".eml", &ids, pool), APR_SUCCESS,
              "list: the directory");
    check_int(ids->nelts, 2, "list: only ids with the extension");
    check(ids->nelts == 2 && !strcmp(APR_ARRAY_IDX(ids, 0, const char *), "a")
          && !strcmp(APR_ARRAY_IDX(ids, 1, const char *), "b"),
          "list: sorted, extension cut");
    check(APR_STATUS_IS_ENOENT(wr_record_list(apr_pstrcat(pool, sub, "/none",
                                                          NULL),
                                              ".eml", &ids, pool)),
          "list: a missing directory is ENOENT");
}

int main(void)
{
    char tmpl[] = "/tmp/wr-record-XXXXXX";

    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (mkdtemp(tmpl) == NULL) {
        check(0, "a temporary directory");
        return done_testing();
    }
    dir = apr_pstrdup(pool, tmpl);
    test_ids();
    test_write_read();
    test_parse();
    test_list();
    check_int(wr_record_sync_dir(tmpl, pool), APR_SUCCESS, "sync_dir");
    if (system(apr_psprintf(pool, "rm -rf '%s'", tmpl)) != 0) {
        printf("# could not remove %s\n", tmpl);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
