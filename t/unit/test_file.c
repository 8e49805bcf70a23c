/* test_file.c - wr_file: directory handles, refusals of planted layouts
 * (run as root, as CI does, for the ownership cases), durable and
 * maildir writes, bounded reads, records, listings */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_file.h"

/* httpd's User in the ownership cases (run as root) */
#define USER_UID 65534
#define USER_GID 65534

static apr_pool_t *pool;
static const char *top;         /* the test's temporary directory */

/* at - TOP/<rel> */
static const char *at(const char *rel)
{
    return apr_pstrcat(pool, top, "/", rel, NULL);
}

/* put - a file with `text` (made the ordinary way: the test plants) */
static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* slurp - a small file's text, "" if none */
static const char *slurp(const char *path)
{
    char buf[256];
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f) {
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return apr_pstrdup(pool, buf);
}

static void test_ids(void)
{
    char longid[WR_FILE_ID_MAX + 2];

    check(wr_file_id_ok("wr-20261127T061236Z-0a1b.c_d+e", 30),
          "ids: letters, digits and ._+- are fine");
    check(!wr_file_id_ok(".hidden", 7), "ids: no leading dot");
    check(!wr_file_id_ok("a/b", 3), "ids: no slash");
    check(!wr_file_id_ok("../x", 4), "ids: no way out");
    check(!wr_file_id_ok("a b", 3), "ids: no space");
    check(!wr_file_id_ok("", 0), "ids: not empty");
    check(!wr_file_id_ok(NULL, 3), "ids: not NULL");
    memset(longid, 'a', sizeof(longid));
    check(wr_file_id_ok(longid, WR_FILE_ID_MAX), "ids: %d bytes is fine",
          WR_FILE_ID_MAX);
    check(!wr_file_id_ok(longid, WR_FILE_ID_MAX + 1), "ids: %d is not",
          WR_FILE_ID_MAX + 1);
    check(wr_file_id_ok("abc/", 3), "ids: only the given length counts");
}

static void test_write_read(void)
{
    wr_file_dir_t *d = NULL, *sub = NULL;
    char *buf = NULL;
    apr_size_t len = 0;
    int more = -1;
    struct stat st;

    apr_dir_make(at("wr"), APR_FPROT_OS_DEFAULT, pool);
    if (!check_int(wr_file_dir_open(&d, at("wr"), 0, pool), APR_SUCCESS,
                   "open: a directory")) {
        return;
    }
    check_int(wr_file_write(d, "a.state", "version: 1\nqueued: 5\n", 21, 0,
                            pool), APR_SUCCESS, "write: a record");
    check_int(wr_file_read(d, "a.state", 1000, &buf, &len, NULL, pool),
              APR_SUCCESS, "read: it back");
    check_str(buf, "version: 1\nqueued: 5\n", "read: the same text");
    check_int(len, 21, "read: its length");
    check(stat(at("wr/a.state"), &st) == 0 && (st.st_mode & 077) == 0,
          "write: mode 0600");
    check_int(wr_file_write(d, "a.state", "version: 1\nqueued: 6\n", 21, 0,
                            pool), APR_SUCCESS, "write: replacing is fine");
    check(APR_STATUS_IS_EEXIST(wr_file_write(d, "a.state", "x", 1,
                                             WR_FILE_EXCL, pool)),
          "write: exclusive refuses an existing name");
    wr_file_read(d, "a.state", 1000, &buf, NULL, NULL, pool);
    check_str(buf, "version: 1\nqueued: 6\n",
              "write: the refused one changed nothing");
    check_int(wr_file_read(d, "a.state", 10, &buf, &len, NULL, pool),
              APR_FROM_OS_ERROR(EFBIG), "read: too large is EFBIG");
    check_int(wr_file_read(d, "a.state", 10, &buf, &len, &more, pool),
              APR_SUCCESS, "read: or, asked for, its head");
    check(more == 1 && len == 10 && !strcmp(buf, "version: 1"),
          "read: 10 bytes and 'there is more'");
    check(APR_STATUS_IS_ENOENT(wr_file_read(d, "none", 10, &buf, NULL, NULL,
                                            pool)),
          "read: a missing file is ENOENT");
    check_int(wr_file_read(d, "../wr/a.state", 10, &buf, NULL, NULL, pool),
              APR_EINVAL, "read: a name with a slash is refused");
    check_int(wr_file_write(d, "..", "x", 1, 0, pool), APR_EINVAL,
              "write: '..' is refused");
    check(APR_STATUS_IS_ENOENT(wr_file_dir_sub(&sub, d, "no", 0, pool)),
          "sub: a missing directory is ENOENT");
    check_int(wr_file_dir_sub(&sub, d, "made", WR_FILE_MKDIR, pool),
              APR_SUCCESS, "sub: made when asked");
    check(stat(at("wr/made"), &st) == 0 && (st.st_mode & 0777) == 0700,
          "sub: mode 0700");
    check_int(wr_file_dir_sync(d), APR_SUCCESS, "dir sync");

    /* the maildir primitive: tmp/ -> made/, durable or not */
    check_int(wr_file_put(d, sub, "m1", "one", 3, 0, pool), APR_SUCCESS,
              "put: without sync");
    check_int(wr_file_put(d, sub, "m2", "two", 3, WR_FILE_SYNC, pool),
              APR_SUCCESS, "put: with sync");
    check_str(slurp(at("wr/made/m1")), "one", "put: the record in place");
    check(access(at("wr/m1"), F_OK) != 0 && access(at("wr/m2"), F_OK) != 0,
          "put: nothing left in tmp");
    check_int(wr_file_sync(sub, "m1"), APR_SUCCESS,
              "sync: a record written without");
    check(APR_STATUS_IS_ENOENT(wr_file_sync(sub, "m9")),
          "sync: a missing one is ENOENT");
    check_int(wr_file_fs_sync(sub), APR_SUCCESS,
              "fs sync: the group commit of the file system");
    check_int(wr_file_put(d, sub, "m1", "again", 5, WR_FILE_EXCL, pool),
              APR_EEXIST, "put: exclusive refuses an existing name");
    check(access(at("wr/m1"), F_OK) != 0, "put: and leaves nothing in tmp");
    check_int(wr_file_rename(sub, "m1", d, "m1", 0), APR_SUCCESS,
              "rename: back up");
    check_int(wr_file_rename(sub, "m2", d, "m1", WR_FILE_EXCL), APR_EEXIST,
              "rename: exclusive refuses an existing name");
    check(APR_STATUS_IS_ENOENT(wr_file_rename(sub, "m1", d, "m3", 0)),
          "rename: a missing one is ENOENT");
    check_int(wr_file_remove(d, "m1"), APR_SUCCESS, "remove");
    check(APR_STATUS_IS_ENOENT(wr_file_remove(d, "m1")),
          "remove: again is ENOENT");
}

static void test_records(void)
{
    apr_table_t *t = NULL;
    const apr_array_header_t *a;
    const char *text;
    wr_file_dir_t *d = NULL;

    check_int(wr_file_record_parse(apr_pstrdup(pool, "version: 1\nrcpt: a@x\n"
                                               "rcpt: b@x\nqueued: 17\n"),
                                   &t, pool), APR_SUCCESS,
              "parse: a record");
    a = apr_table_elts(t);
    check_int(a->nelts, 3, "parse: three fields, the repeated key kept");
    check_str(apr_table_get(t, "rcpt"), "a@x", "parse: in order");
    check(wr_file_record_time(t, "queued") == 17, "parse: a time field");
    check(wr_file_record_time(t, "next-try") == 0,
          "parse: a missing one is 0");
    check_str(wr_file_record_dump(t, pool),
              "version: 1\nrcpt: a@x\nrcpt: b@x\nqueued: 17\n",
              "dump: the same text back");
    apr_table_set(t, "last-error", "a\nversion: 2\r");
    text = wr_file_record_dump(t, pool);
    check(strstr(text, "last-error: a version: 2 \n") != NULL,
          "dump: a control byte cannot start a line");
    check_int(wr_file_record_parse(apr_pstrdup(pool, "version: 2\nx: y\n"),
                                   &t, pool), APR_EINVAL,
              "parse: another version");
    check_int(wr_file_record_parse(apr_pstrdup(pool, "x: y\nversion: 1\n"),
                                   &t, pool), APR_EINVAL,
              "parse: version not first");
    check_int(wr_file_record_parse(apr_pstrdup(pool, "version: 1\nnocolon\n"),
                                   &t, pool), APR_EINVAL,
              "parse: a line without ': '");
    check_int(wr_file_record_parse(apr_pstrdup(pool, ""), &t, pool),
              APR_EINVAL, "parse: nothing at all");
    if (wr_file_dir_open(&d, at("wr"), 0, pool) == APR_SUCCESS) {
        check_int(wr_file_record_load(d, "a.state", &text, &t, pool),
                  APR_SUCCESS, "load: read and parsed");
        check(wr_file_record_time(t, "queued") == 6 && text
              && !strcmp(text, "version: 1\nqueued: 6\n"),
              "load: the fields and the text");
    }
}

static void test_list(void)
{
    apr_array_header_t *ids = NULL;
    wr_file_dir_t *d = NULL;

    apr_dir_make(at("list"), APR_FPROT_OS_DEFAULT, pool);
    put(at("list/b.eml"), "");
    put(at("list/a.eml"), "");
    put(at("list/c.env"), "");
    put(at("list/.hidden.eml"), "");
    put(at("list/bad name.eml"), "");
    put(at("list/.a.eml.123.tmp"), "");
    if (wr_file_dir_open(&d, at("list"), 0, pool) != APR_SUCCESS) {
        check(0, "list: open");
        return;
    }
    check_int(wr_file_dir_list(d, ".eml", &ids, pool), APR_SUCCESS,
              "list: the directory");
    check_int(ids->nelts, 2, "list: only ids with the extension");
    check(ids->nelts == 2 && !strcmp(APR_ARRAY_IDX(ids, 0, const char *), "a")
          && !strcmp(APR_ARRAY_IDX(ids, 1, const char *), "b"),
          "list: sorted, extension cut");
    check_int(wr_file_dir_names(d, &ids, pool), APR_SUCCESS, "names");
    check_int(ids->nelts, 6, "names: every entry");
    check(APR_STATUS_IS_ENOENT(wr_file_dir_open(&d, at("list/none"), 0,
                                                pool)),
          "open: a missing directory is ENOENT");
}

/* test_planted - every layout httpd's User can plant: each is refused,
 * and the canary outside is untouched */
static void test_planted(void)
{
    int root = geteuid() == 0;
    wr_file_dir_t *d = NULL, *sub = NULL;
    wr_file_info_t fi;
    apr_file_t *f = NULL;
    char *buf = NULL;
    struct stat st, before;
    int fd;

    apr_dir_make(at("canary"), APR_FPROT_OS_DEFAULT, pool);
    put(at("canary/passwd"), "root:x:0:0\n");
    stat(at("canary/passwd"), &before);
    apr_dir_make(at("spool"), 0700, pool);
    apr_dir_make(at("spool/new"), 0700, pool);
    apr_dir_make(at("spool/other"), 0700, pool);
    if (root) {
        /* the spool is httpd's User's; "other" someone else's */
        check(chown(at("spool"), USER_UID, USER_GID) == 0
              && chown(at("spool/new"), USER_UID, USER_GID) == 0
              && chown(at("spool/other"), 4242, 4242) == 0,
              "planted: ownership set up");
    }
    check(symlink(at("canary"), at("spool/cur")) == 0,
          "planted: cur -> the canary directory");
    put(at("spool/failed"), "");
    check(symlink(at("canary"), at("link")) == 0,
          "planted: a symlink to a directory");
    check(symlink(at("canary/passwd"), at("spool/new/sym")) == 0
          && link(at("canary/passwd"), at("spool/new/hard")) == 0
          && mkfifo(at("spool/new/fifo"), 0600) == 0,
          "planted: symlinked, hard-linked and FIFO entries");
    fd = open(at("spool/new/sparse"), O_WRONLY | O_CREAT, 0600);
    check(fd >= 0 && ftruncate(fd, (off_t)1 << 30) == 0,
          "planted: a 1 GiB sparse file");
    if (fd >= 0) {
        close(fd);
    }

    check_int(wr_file_dir_open(&d, at("link"), 0, pool), WR_FILE_ESYMLINK,
              "root: a symlink is refused");
    check_int(wr_file_dir_open(&d, apr_pstrcat(pool, at("link"), "/", NULL),
                               0, pool), WR_FILE_ESYMLINK,
              "root: with a trailing slash too");
    check_int(wr_file_dir_open(&d, at("canary/passwd"), 0, pool),
              WR_FILE_ENOTDIR, "root: a file is refused");
    if (!check_int(wr_file_dir_open(&d, at("spool"), 0, pool), APR_SUCCESS,
                   "root: the spool")) {
        return;
    }
    if (root) {
        uid_t u;
        gid_t g;
        wr_file_dir_owner(d, &u, &g);
        check(u == USER_UID && g == USER_GID, "root: its owner taken");
    }
    check_int(wr_file_dir_sub(&sub, d, "cur", 0, pool), WR_FILE_ESYMLINK,
              "sub: a symlinked directory is refused");
    check_int(wr_file_dir_sub(&sub, d, "cur", WR_FILE_MKDIR, pool),
              WR_FILE_ESYMLINK, "sub: also when asked to make it");
    check_int(wr_file_dir_sub(&sub, d, "failed", 0, pool), WR_FILE_ENOTDIR,
              "sub: a file is refused");
    if (root) {
        check_int(wr_file_dir_sub(&sub, d, "other", 0, pool), WR_FILE_EOWNER,
                  "sub: someone else's directory is refused");
        check_int(wr_file_dir_sub(&sub, d, "made", WR_FILE_MKDIR, pool),
                  APR_SUCCESS, "sub: made as root");
        check(stat(at("spool/made"), &st) == 0 && st.st_uid == USER_UID
              && st.st_gid == USER_GID, "sub: given to the spool's owner");
    }
    if (!check_int(wr_file_dir_sub(&sub, d, "new", 0, pool), APR_SUCCESS,
                   "sub: new/")) {
        return;
    }
    check_int(wr_file_read(sub, "sym", 100, &buf, NULL, NULL, pool),
              WR_FILE_ESYMLINK, "read: a symlinked entry is refused");
    check_int(wr_file_read(sub, "hard", 100, &buf, NULL, NULL, pool),
              WR_FILE_ELINKS, "read: a hard-linked entry is refused");
    alarm(10);      /* a read that blocks on the FIFO fails the test */
    check_int(wr_file_read(sub, "fifo", 100, &buf, NULL, NULL, pool),
              WR_FILE_ENOTREG, "read: a FIFO is refused, without blocking");
    check_int(wr_file_sync(sub, "fifo"), WR_FILE_ENOTREG,
              "sync: a FIFO is refused");
    alarm(120);
    check_int(wr_file_read(sub, "sparse", 65536, &buf, NULL, NULL, pool),
              APR_FROM_OS_ERROR(EFBIG), "read: 1 GiB is refused unread");
    check_int(wr_file_stat(sub, "sym", &fi), WR_FILE_ESYMLINK,
              "stat: a symlinked entry is refused");
    check_int(wr_file_stat(sub, "hard", &fi), WR_FILE_ELINKS,
              "stat: a hard-linked entry is refused");
    check_int(wr_file_remove(sub, "sym"), WR_FILE_ESYMLINK,
              "remove: a symlinked entry is refused");
    check_int(wr_file_remove(sub, "hard"), WR_FILE_ELINKS,
              "remove: a hard-linked entry is refused");
    check_int(wr_file_rename(sub, "hard", d, "x", 0), WR_FILE_ELINKS,
              "rename: a hard-linked entry is refused");
    check_int(wr_file_rename(sub, "sym", d, "x", 0), WR_FILE_ESYMLINK,
              "rename: a symlinked entry is refused");
    check_int(wr_file_open(&f, sub, "hard", WR_FILE_CREATE | WR_FILE_TRUNC,
                           pool), WR_FILE_ELINKS,
              "open: a hard-linked lock file is refused, not truncated");
    check_int(wr_file_open(&f, sub, "sym", WR_FILE_CREATE | WR_FILE_APPEND,
                           pool), WR_FILE_ESYMLINK,
              "open: a symlinked log is refused");
    check_int(wr_file_touch(sub, "hard", apr_time_now()), WR_FILE_ELINKS,
              "touch: a hard-linked entry is refused");
    check_int(wr_file_write(sub, "sym", "x", 1, 0, pool), APR_SUCCESS,
              "write: over a planted symlink");
    check(lstat(at("spool/new/sym"), &st) == 0 && S_ISREG(st.st_mode),
          "write: the link is replaced, never written through");
    check_str(slurp(at("canary/passwd")), "root:x:0:0\n",
              "canary: its text unchanged");
    check(stat(at("canary/passwd"), &st) == 0
          && st.st_nlink == 2 && st.st_mtime == before.st_mtime
          && st.st_uid == before.st_uid && st.st_mode == before.st_mode,
          "canary: its owner, mode and time unchanged");
    check(access(at("canary/x"), F_OK) != 0,
          "canary: nothing new in the canary directory");
    if (root) {
        check_int(wr_file_open(&f, sub, "lock", WR_FILE_CREATE, pool),
                  APR_SUCCESS, "open: a lock file made as root");
        check(stat(at("spool/new/lock"), &st) == 0 && st.st_uid == USER_UID,
              "open: given to the spool's owner");
        check_int(wr_file_write(sub, "rec", "r", 1, 0, pool), APR_SUCCESS,
                  "write: a record as root");
        check(stat(at("spool/new/rec"), &st) == 0 && st.st_uid == USER_UID,
              "write: given to the spool's owner");
        if (f) {
            apr_file_close(f);
        }
    }
    check(strstr(wr_file_strerror(WR_FILE_ESYMLINK, NULL, 0), "symbolic")
          && strstr(wr_file_strerror(WR_FILE_ELINKS, NULL, 0), "hard link")
          && strstr(wr_file_strerror(WR_FILE_ENOTREG, NULL, 0), "regular"),
          "strerror: says what was refused");
}

/* test_atomic - a watcher process polls the directory while 200 messages
 * of 256 KB are written exclusively; every .eml it ever sees must be
 * complete, and no temporary file may be left */
static void test_atomic(void)
{
    wr_file_dir_t *d = NULL;
    const char *dir = at("atomic");
    apr_size_t big = 256 * 1024;
    char *data = apr_palloc(pool, big);
    apr_array_header_t *names;
    int go[2], i, bad = 0, st = 0, tmp = 0;
    pid_t pid;

    apr_dir_make(dir, APR_FPROT_OS_DEFAULT, pool);
    if (wr_file_dir_open(&d, dir, 0, pool) != APR_SUCCESS || pipe(go) != 0) {
        check(0, "atomic: set up");
        return;
    }
    memset(data, 'x', big);
    fflush(stdout);     /* or the child prints our buffer again */
    pid = fork();
    if (pid == 0) {
        int partial = 0, seen = 0, rounds;
        char c;

        close(go[1]);
        for (rounds = 0; rounds < 200000; rounds++) {
            apr_pool_t *cp;
            apr_array_header_t *ids;
            fd_set rs;
            struct timeval tv = { 0, 0 };
            int k;

            apr_pool_create(&cp, NULL);
            if (wr_file_dir_list(d, ".eml", &ids, cp) != APR_SUCCESS) {
                _exit(3);
            }
            for (k = 0; k < ids->nelts; k++) {
                wr_file_info_t fi;
                const char *nm = apr_pstrcat(cp, APR_ARRAY_IDX(ids, k,
                                                               const char *),
                                             ".eml", NULL);
                seen++;
                if (wr_file_stat(d, nm, &fi) == APR_SUCCESS
                    && fi.size != (apr_off_t)big) {
                    partial++;
                }
            }
            apr_pool_destroy(cp);
            FD_ZERO(&rs);
            FD_SET(go[0], &rs);
            if (select(go[0] + 1, &rs, NULL, NULL, &tv) > 0
                && read(go[0], &c, 1) == 0) {
                break;
            }
        }
        printf("# watcher: %d rounds, %d sightings of .eml files\n",
               rounds, seen);
        fflush(stdout);
        _exit(partial ? 1 : seen > 0 ? 0 : 2);
    }
    close(go[0]);
    for (i = 0; i < 200; i++) {
        if (wr_file_write(d, apr_psprintf(pool, "big-%03d.eml", i), data, big,
                          WR_FILE_EXCL, pool) != APR_SUCCESS) {
            bad++;
        }
    }
    close(go[1]);
    check_int(bad, 0, "atomic: 200 large messages written");
    for (i = 0; i < 3000 && waitpid(pid, &st, WNOHANG) != pid; i++) {
        apr_sleep(10000);
    }
    if (i == 3000) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "atomic: the watcher never saw a partial .eml (status %d)",
          WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    if (wr_file_dir_names(d, &names, pool) == APR_SUCCESS) {
        for (i = 0; i < names->nelts; i++) {
            tmp += APR_ARRAY_IDX(names, i, const char *)[0] == '.';
        }
    }
    check_int(tmp, 0, "atomic: no temporary file left behind");
}

int main(void)
{
    char tmpl[] = "/tmp/wr-file-XXXXXX";

    apr_initialize();
    apr_pool_create(&pool, NULL);
    alarm(120);
    if (mkdtemp(tmpl) == NULL) {
        check(0, "a temporary directory");
        return done_testing();
    }
    top = apr_pstrdup(pool, tmpl);
    if (geteuid() != 0) {
        printf("# not root: the ownership cases are skipped\n");
    }
    test_ids();
    test_write_read();
    test_records();
    test_list();
    test_planted();
    test_atomic();
    if (getenv("WR_TEST_KEEP") == NULL
        && system(apr_psprintf(pool, "rm -rf '%s'", tmpl)) != 0) {
        printf("# could not remove %s\n", tmpl);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
