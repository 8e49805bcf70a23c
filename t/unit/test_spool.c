/* test_spool.c - the durable event spool: format, hostile values, claims
 * by concurrent processes, limits, failures and crash recovery */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "spool-test-lib.h"
#include "test-lib.h"
#include "wr_file.h"
#include "wr_spool.h"
#include "wr_time.h"

static apr_pool_t *pool;
static char topdir[] = "/tmp/wr-test-spool.XXXXXX";

/* count_files - regular files in a directory, dot files included */
static int count_files(const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    int n = 0;

    if (apr_dir_open(&d, dir, pool) != APR_SUCCESS) {
        return -1;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        n += fi.filetype == APR_REG;
    }
    apr_dir_close(d);
    return n;
}

/* write_file - put raw bytes at path */
static void write_file(const char *path, const char *buf, apr_size_t len)
{
    apr_file_t *f;
    apr_size_t n;

    apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                  | APR_FOPEN_TRUNCATE, APR_FPROT_OS_DEFAULT, pool);
    apr_file_write_full(f, buf, len, &n);
    apr_file_close(f);
}

/* count_lines - LF-terminated lines in a record */
static int count_lines(const char *s)
{
    int n = 0;

    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

static void test_open(void)
{
    wr_spool_t *sp;
    const char *dir = apr_pstrcat(pool, topdir, "/a/b/spool", NULL);
    apr_finfo_t fi;
    int i;

    check_int(wr_spool_open(&sp, dir, 0, 0, pool), APR_SUCCESS,
              "open creates a spool and its parents");
    for (i = WR_SPOOL_TMP; i <= WR_SPOOL_FAILED; i++) {
        struct stat sb;
        check_int(apr_stat(&fi, wr_spool_dir(sp, i), APR_FINFO_TYPE, pool),
                  APR_SUCCESS, "%s exists", wr_spool_dir(sp, i));
        check(stat(wr_spool_dir(sp, i), &sb) == 0 && S_ISDIR(sb.st_mode)
              && (sb.st_mode & 07777) == 0700,
              "%s is a directory, mode 0700", wr_spool_dir(sp, i));
    }
    check_int(wr_spool_open(&sp, dir, 0, 0, pool), APR_SUCCESS,
              "open of an existing spool");
}

static void test_round_trip(void)
{
    wr_spool_t *sp;
    wr_event_t ev, *got = NULL, *again = NULL;
    const char *id = NULL;
    apr_array_header_t *ids;

    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/rt", NULL), 0, 0, pool);
    sample(&ev, "192.0.2.10");
    check_int(wr_spool_put(sp, &ev, &id, pool), APR_SUCCESS, "put");
    check(id != NULL && wr_id_time(id) > 0, "put returns an id with a time");
    check(id && wr_id_time(id) <= apr_time_now()
          && wr_id_time(id) > apr_time_now() - apr_time_from_sec(60),
          "the id's time is now");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 0,
              "tmp/ is empty after put");
    wr_spool_list(sp, WR_SPOOL_NEW, &ids, pool);
    check_int(ids->nelts, 1, "one id in new/");
    check_str(ids->nelts ? APR_ARRAY_IDX(ids, 0, const char *) : NULL, id,
              "listed id is the one put");

    check_int(wr_spool_take(sp, id, &got, pool), APR_SUCCESS, "take");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_NEW)), 0,
              "take moved it out of new/");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_CUR)), 1,
              "take moved it into cur/");
    if (got != NULL) {
        check_str(got->address, "192.0.2.10", "address survives");
        check_str(got->family, "nimda", "family survives");
        check_str(got->vhost, "www.wormreply.test", "vhost survives");
        check_int(got->first_seen, ev.first_seen, "first-seen to the usec");
        check_int(got->last_seen, ev.last_seen, "last-seen to the usec");
        check_int(got->count, 3, "count survives");
        check_int(got->nlines, 2, "two request lines");
        check_str(got->lines[0], ev.lines[0], "request line 1");
        check_str(got->lines[1], ev.lines[1], "request line 2");
        check_int(got->attempts, 0, "no attempts");
        check_int(got->next_try, 0, "no next-try");
        check(got->failure == NULL, "no failure");
    }
    check_int(wr_spool_take(sp, id, &again, pool), APR_ENOENT,
              "second take of the same id: APR_ENOENT");
    check_int(wr_spool_done(sp, id, pool), APR_SUCCESS, "done");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_CUR)), 0,
              "done removed it from cur/");
    check_int(wr_spool_done(sp, id, pool), APR_ENOENT,
              "done again: APR_ENOENT");
}

/* test_id_time - the time in a record id, and crafted names (issue 11
 * part 5: a 20-digit <sec> overflowed the product, found by UBSan) */
static void test_id_time(void)
{
    check_int(wr_id_time("00000000001.000002.P1.Q1.R0123456789abcdef"),
              APR_USEC_PER_SEC + 2, "an id's time");
    check_int(wr_id_time("99999999999.999999.P1"),
              APR_INT64_C(99999999999) * APR_USEC_PER_SEC + 999999,
              "the largest time an 11-digit id holds");
    check_int(wr_id_time("99999999999999999999.999999.P1.Q1.Rabc"), 0,
              "a 20-digit second is no time (no overflow)");
    check_int(wr_id_time("9999999999999.999999.P1"), 0,
              "nor a 13-digit one past the range");
    check_int(wr_id_time("12.x.P1"), 0, "a name without usec is no id");
}

static void test_order_and_stat(void)
{
    wr_spool_t *sp;
    wr_event_t ev;
    const char *id[3];
    apr_array_header_t *ids;
    wr_spool_stat_t st;
    int i, ok = 1;

    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/order", NULL), 0, 0,
                  pool);
    sample(&ev, "192.0.2.11");
    for (i = 0; i < 3; i++) {
        wr_spool_put(sp, &ev, &id[i], pool);
        apr_sleep(1000);
    }
    wr_spool_list(sp, WR_SPOOL_NEW, &ids, pool);
    check_int(ids->nelts, 3, "three records");
    for (i = 0; i < 3 && i < ids->nelts; i++) {
        ok &= strcmp(APR_ARRAY_IDX(ids, i, const char *), id[i]) == 0;
    }
    check(ok, "list is oldest first");
    wr_event_t *e;
    wr_spool_take(sp, id[0], &e, pool);
    check_int(wr_spool_stat(sp, &st, pool), APR_SUCCESS, "stat");
    check_int(st.n_new, 2, "stat: 2 new");
    check_int(st.n_cur, 1, "stat: 1 cur");
    check_int(st.n_failed, 0, "stat: 0 failed");
    check_int(st.oldest, wr_id_time(id[0]), "stat: oldest is the first id");
    check(st.bytes > 3 * 100, "stat: bytes counted (%ld)", (long)st.bytes);
}

/* test_nosync - the request path's puts (no fsync: nothing of the disk
 * waited for) and the notifier's group commit */
static void test_nosync(void)
{
    wr_spool_t *sp, *nf;
    wr_event_t ev, *got = NULL;
    const char *id = NULL, *dir = apr_pstrcat(pool, topdir, "/nosync", NULL);
    apr_array_header_t *ids;
    int i;

    if (!check_int(wr_spool_open(&sp, dir, 0, 0, pool), APR_SUCCESS,
                   "nosync: open")) {
        return;
    }
    wr_spool_set_sync(sp, 0);
    sample(&ev, "192.0.2.12");
    for (i = 0; i < 20; i++) {
        if (wr_spool_put(sp, &ev, &id, pool) != APR_SUCCESS) {
            break;
        }
    }
    check_int(i, 20, "nosync: 20 records put without fsync");
    check_int(count_files(apr_pstrcat(pool, dir, "/tmp", NULL)), 0,
              "nosync: nothing left in tmp/");
    wr_spool_list(sp, WR_SPOOL_NEW, &ids, pool);
    check_int(ids->nelts, 20, "nosync: all 20 in new/");
    /* the notifier's own handle: sync by default */
    check_int(wr_spool_open(&nf, dir, 0, 0, pool), APR_SUCCESS,
              "nosync: the notifier's handle");
    check_int(wr_spool_commit(nf, pool), APR_SUCCESS,
              "nosync: one group commit");
    check_int(wr_spool_take(nf, id, &got, pool), APR_SUCCESS,
              "nosync: a record put without fsync is taken");
    check_str(got ? got->address : NULL, "192.0.2.12",
              "nosync: and reads back");
    check_int(wr_spool_release(nf, id, NULL, pool), APR_SUCCESS,
              "nosync: released");
    wr_spool_set_sync(sp, 1);
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_SUCCESS,
              "nosync: sync again on request");
    wr_spool_list(sp, WR_SPOOL_NEW, &ids, pool);
    check_int(ids->nelts, 21, "nosync: 21 in new/");
}

/* test_put_text - wr_spool_put_text writes the text it is given, under
 * an id of the documented form (the text's bytes: test_spool_record.c) */
static void test_put_text(void)
{
    wr_spool_t *sp;
    wr_event_t ev, *got = NULL;
    const char *text = "", *id = NULL, *s;
    apr_size_t len = 0;
    int k;

    sample(&ev, "2001:db8::7");
    if (wr_event_dump(&ev, &text, &len, pool) != APR_SUCCESS) {
        text = "";      /* put_text below refuses it and says so */
        len = 0;
    }
    if (!check_int(wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/exact",
                                                  NULL), 0, 0, pool),
                   APR_SUCCESS, "exact: open")) {
        return;
    }
    check_int(wr_spool_put_text(sp, text, len, &id, pool), APR_SUCCESS,
              "put_text");
    /* <11 digits>.<6 digits>.P<pid>.Q<n>.R<16 hex> */
    s = id ? id : "";
    for (k = 0; k < 11 && apr_isdigit(s[k]); k++) {
    }
    check(k == 11 && s[11] == '.' && apr_isdigit(s[12]) && s[18] == '.'
          && s[19] == 'P' && strstr(s, ".Q") && strstr(s, ".R")
          && strlen(strstr(s, ".R")) == 18 && wr_id_time(s) > 0,
          "put_text: an id of the documented form (%s)", s);
    check_int(id ? wr_spool_take(sp, id, &got, pool) : -1, APR_SUCCESS,
              "put_text: taken");
    check_int(got ? got->first_seen : 0, ev.first_seen,
              "put_text: the text as given");
}

/* test_foreign_record - a record wr_event_parse refuses, found in the
 * spool (the refusals themselves: test_spool_record.c) */
static void test_foreign_record(void)
{
    wr_spool_t *sp;
    const char *path;
    apr_array_header_t *ids;
    wr_event_t *ev = NULL;
    static const char v2[] = "version: 2\naddress: 192.0.2.1\n";

    /* A record of an unknown version in new/: refused on take, and moved
     * aside so that it is not taken again and again. */
    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/bad", NULL), 0, 0, pool);
    path = apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_NEW),
                       "/01714564800.000001.P1.Q1.R0000000000000001", NULL);
    write_file(path, v2, sizeof(v2) - 1);
    wr_spool_list(sp, WR_SPOOL_NEW, &ids, pool);
    check_int(ids->nelts, 1, "the foreign record is listed");
    ev = NULL;
    check_int(wr_spool_take(sp, "01714564800.000001.P1.Q1.R0000000000000001",
                            &ev, pool), APR_EINVAL,
              "take refuses an unknown version");
    check(ev == NULL, "no event from an unknown version");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_FAILED)), 1,
              "the refused record went to failed/");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_NEW))
              + count_files(wr_spool_dir(sp, WR_SPOOL_CUR)), 0,
              "and is neither in new/ nor in cur/");
    check_int(wr_spool_load(sp, WR_SPOOL_FAILED,
                            "01714564800.000001.P1.Q1.R0000000000000001",
                            &ev, pool), APR_EINVAL,
              "load of it says APR_EINVAL");
    /* A binary file. */
    path = apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_NEW),
                       "/01714564800.000002.P1.Q1.R0000000000000002", NULL);
    write_file(path, "\x7f" "ELF\0\0\0\n\xff\xfe", 10);
    check_int(wr_spool_take(sp, "01714564800.000002.P1.Q1.R0000000000000002",
                            &ev, pool), APR_EINVAL,
              "take refuses a binary file");
}

static void test_hostile(void)
{
    wr_spool_t *sp;
    wr_event_t ev, *got = NULL;
    const char *id = NULL, *text;
    char *huge, nul_line[] = "GET /a\0\nfamily: evil HTTP/1.0";
    apr_size_t len;
    int i, all_print = 1;

    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/hostile", NULL), 0, 0,
                  pool);
    sample(&ev, "2001:db8::10");
    ev.vhost = "www.x\r\nfamily: evil\r\nversion: 2";
    ev.family = "nimda\nrequest: forged";
    huge = apr_palloc(pool, 32 * 1024 + 1);
    memset(huge, 'A', 32 * 1024);
    huge[32 * 1024] = '\0';
    memcpy(huge, "GET /default.ida?", 17);
    huge[100] = '\n';
    ev.nlines = 5;
    ev.lines[0] = "GET /x%0d%0aBcc: evil@x HTTP/1.0\r\nBcc: evil@x";
    ev.lines[1] = "GET /\nfamily: x\ncount: 999\nrequest: forged HTTP/1.0";
    ev.lines[2] = huge;
    ev.lines[3] = "GET /\x01\x1b[31m\x7f\x80\xff HTTP/1.0";
    ev.lines[4] = nul_line;
    check_int(wr_spool_put(sp, &ev, &id, pool), APR_SUCCESS,
              "put of a hostile event");
    wr_event_dump(&ev, &text, &len, pool);
    check_int(count_lines(text), 12, "record has exactly 12 lines");
    for (i = 0; i < (int)len; i++) {
        unsigned char c = (unsigned char)text[i];
        all_print &= (c >= 0x20 && c < 0x7f) || c == '\n';
    }
    check(all_print, "record is printable ASCII and LF only");
    check(strstr(text, "\nfamily: evil") == NULL
          && strstr(text, "\nrequest: forged") == NULL
          && strstr(text, "\nversion: 2") == NULL
          && strstr(text, "\ncount: 999") == NULL,
          "no forged key at the start of any line");

    check_int(wr_spool_take(sp, id, &got, pool), APR_SUCCESS,
              "hostile record loads");
    if (got == NULL) {
        return;
    }
    check_str(got->family, "nimda\\x0arequest: forged",
              "family keeps its LF as \\x0a");
    check_str(got->vhost, "www.x\\x0d\\x0afamily: evil\\x0d\\x0aversion: 2",
              "vhost keeps CR LF as text");
    check_int(got->count, 3, "count not forged");
    check_int(got->nlines, 5, "five request lines, none forged");
    check_str(got->lines[1],
              "GET /\\x0afamily: x\\x0acount: 999\\x0arequest: forged "
              "HTTP/1.0", "forged keys stay inside the request line");
    check_int(strlen(got->lines[2]), WR_SPOOL_VALUE_MAX,
              "32 KB line cut to WR_SPOOL_VALUE_MAX");
    check(strncmp(got->lines[2], "GET /default.ida?AAA", 20) == 0
          && strcmp(got->lines[2] + WR_SPOOL_VALUE_MAX - 3, "...") == 0,
          "cut line keeps its start and ends in ...");
    check(strstr(got->lines[2], "\\x0a") != NULL, "LF inside it escaped");
    check_str(got->lines[3], "GET /\\x01\\x1b[31m\\x7f\\x80\\xff HTTP/1.0",
              "control and 8-bit bytes escaped");
    check_str(got->lines[4], "GET /a",
              "a C string ends at NUL: nothing after it is written");
    wr_event_dump(got, &text, &len, pool);
    {
        const char *text2;
        wr_event_t *got2;
        wr_event_parse(text, len, &got2, NULL, pool);
        wr_event_dump(got2, &text2, NULL, pool);
        check_str(text2, text, "sanitised record writes back unchanged");
    }
    ev.address = "192.0.2.1\nfamily: x";
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_EINVAL,
              "an address with LF is refused, not escaped");
    ev.address = "";
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_EINVAL,
              "empty address refused");
    ev.address = "192.0.2.1";
    ev.nlines = 6;
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_EINVAL,
              "six request lines refused");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 0,
              "refused puts leave nothing in tmp/");

    check_int(wr_spool_take(sp, "../../etc/passwd", &got, pool), APR_EINVAL,
              "take of a path: APR_EINVAL");
    check_int(wr_spool_remove(sp, WR_SPOOL_NEW, "a/b", pool), APR_EINVAL,
              "remove of a path: APR_EINVAL");
    check_int(wr_spool_take(sp, ".hidden", &got, pool), APR_EINVAL,
              "take of a dot file: APR_EINVAL");
    check_int(wr_spool_take(sp, "01714564800.000009.P1.Q1.R00", &got, pool),
              APR_ENOENT, "take of a valid but absent id: APR_ENOENT");
}

/* taker - child process: wait for the start signal (EOF on `go`), then
 * take everything it can and write each id it got to fd, one per line;
 * stops when new/ stays empty */
static int taker(const char *dir, int fd, int go)
{
    apr_pool_t *p, *it;
    wr_spool_t *sp;
    apr_array_header_t *ids;
    int rounds, i, empty = 0;
    char c;

    if (read(go, &c, 1) != 0) {
        return 4;
    }

    apr_pool_create(&p, NULL);
    apr_pool_create(&it, p);
    if (wr_spool_open(&sp, dir, 0, 0, p) != APR_SUCCESS) {
        return 2;
    }
    for (rounds = 0; rounds < 10000 && empty < 3; rounds++) {
        apr_pool_clear(it);
        wr_spool_list(sp, WR_SPOOL_NEW, &ids, it);
        empty = ids->nelts == 0 ? empty + 1 : 0;
        for (i = 0; i < ids->nelts; i++) {
            wr_event_t *ev;
            const char *id = APR_ARRAY_IDX(ids, i, const char *);
            if (wr_spool_take(sp, id, &ev, it) == APR_SUCCESS) {
                const char *l = apr_pstrcat(it, id, "\n", NULL);
                if (write(fd, l, strlen(l)) != (ssize_t)strlen(l)) {
                    return 3;
                }
            }
        }
    }
    return 0;
}

/* putter - child process: put n events */
static int putter(const char *dir, int n)
{
    apr_pool_t *p;
    wr_spool_t *sp;
    wr_event_t ev;
    int i;

    apr_pool_create(&p, NULL);
    if (wr_spool_open(&sp, dir, 0, 0, p) != APR_SUCCESS) {
        return 2;
    }
    sample(&ev, "192.0.2.20");
    for (i = 0; i < n; i++) {
        if (wr_spool_put(sp, &ev, NULL, p) != APR_SUCCESS) {
            return 3;
        }
    }
    return 0;
}

/* wait_child - reap pid within `secs`, killing it if it overstays;
 * returns its exit status or -1 */
static int wait_child(pid_t pid, int secs)
{
    int st, i;

    for (i = 0; i < secs * 100; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        }
        apr_sleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

#define N_CONC 1000
#define N_TAKERS 3

static void test_concurrent(void)
{
    wr_spool_t *sp;
    const char *dir = apr_pstrcat(pool, topdir, "/conc", NULL);
    pid_t pids[N_TAKERS];
    char *files[N_TAKERS];
    apr_array_header_t *ids;
    apr_hash_t *seen;
    int i, total = 0, dups = 0, bad_exit = 0, go[2];

    wr_spool_open(&sp, dir, 0, 0, pool);
    /* Two processes putting at once. */
    for (i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            _exit(putter(dir, N_CONC / 2));
        }
    }
    for (i = 0; i < 2; i++) {
        bad_exit += wait_child(pids[i], 60) != 0;
    }
    check_int(bad_exit, 0, "two concurrent putters finished cleanly");
    wr_spool_list(sp, WR_SPOOL_NEW, &ids, pool);
    check_int(ids->nelts, N_CONC, "%d records from two putters", N_CONC);
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 0,
              "tmp/ empty after concurrent puts");

    /* N_TAKERS processes taking at once: each id exactly once. They all
     * block on a pipe until the parent closes it, so that they start
     * together. */
    if (pipe(go) != 0) {
        printf("Bail out! pipe\n");
        exit(1);
    }
    for (i = 0; i < N_TAKERS; i++) {
        int fd;
        files[i] = apr_psprintf(pool, "%s/taken.%d", topdir, i);
        fd = open(files[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
        pids[i] = fork();
        if (pids[i] == 0) {
            close(go[1]);
            _exit(taker(dir, fd, go[0]));
        }
        close(fd);
    }
    close(go[0]);
    close(go[1]);
    bad_exit = 0;
    for (i = 0; i < N_TAKERS; i++) {
        bad_exit += wait_child(pids[i], 60) != 0;
    }
    check_int(bad_exit, 0, "%d concurrent takers finished cleanly",
              N_TAKERS);
    seen = apr_hash_make(pool);
    for (i = 0; i < N_TAKERS; i++) {
        char *buf = NULL, *line, *last;
        apr_file_t *f;
        apr_finfo_t fi;
        apr_size_t n = 0;
        int mine = 0;

        if (apr_file_open(&f, files[i], APR_FOPEN_READ, 0, pool)
            == APR_SUCCESS) {
            apr_file_info_get(&fi, APR_FINFO_SIZE, f);
            buf = apr_pcalloc(pool, (apr_size_t)fi.size + 1);
            apr_file_read_full(f, buf, (apr_size_t)fi.size, &n);
            apr_file_close(f);
        }
        for (line = apr_strtok(buf, "\n", &last); line;
             line = apr_strtok(NULL, "\n", &last)) {
            if (apr_hash_get(seen, line, APR_HASH_KEY_STRING)) {
                dups++;
            }
            apr_hash_set(seen, line, APR_HASH_KEY_STRING, "");
            total++;
            mine++;
        }
        printf("# taker %d took %d\n", i, mine);
    }
    check_int(total, N_CONC, "all %d records taken", N_CONC);
    check_int(dups, 0, "no record taken twice");
    check_int((int)apr_hash_count(seen), N_CONC, "%d distinct ids", N_CONC);
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_NEW)), 0, "new/ empty");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_CUR)), N_CONC,
              "all in cur/");
}

static void test_full(void)
{
    wr_spool_t *sp;
    wr_event_t ev, *e;
    const char *id[4];
    int i;

    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/full", NULL), 3, 0,
                  pool);
    sample(&ev, "192.0.2.30");
    for (i = 0; i < 3; i++) {
        check_int(wr_spool_put(sp, &ev, &id[i], pool), APR_SUCCESS,
                  "put %d of 3", i + 1);
    }
    check_int(wr_spool_put(sp, &ev, &id[3], pool), APR_ENOSPC,
              "fourth put: APR_ENOSPC");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_NEW)), 3,
              "still three records");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 0,
              "nothing left in tmp/");
    wr_spool_take(sp, id[0], &e, pool);
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_ENOSPC,
              "a claimed record still counts");
    wr_spool_done(sp, id[0], pool);
    apr_sleep(apr_time_from_msec(1100));
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_SUCCESS,
              "after done and the recount interval, put works again");

    /* By bytes: a record is about 250 bytes. */
    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/fullb", NULL), 0, 600,
                  pool);
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_SUCCESS, "put 1 (bytes)");
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_SUCCESS, "put 2 (bytes)");
    check_int(wr_spool_put(sp, &ev, NULL, pool), APR_ENOSPC,
              "third put over 600 bytes: APR_ENOSPC");
}

static void test_unwritable(void)
{
    wr_spool_t *sp;
    wr_event_t ev;
    const char *file = apr_pstrcat(pool, topdir, "/plainfile", NULL);
    const char *dir = apr_pstrcat(pool, topdir, "/ro", NULL);
    apr_status_t rv;

    write_file(file, "x", 1);
    rv = wr_spool_open(&sp, apr_pstrcat(pool, file, "/spool", NULL), 0, 0,
                       pool);
    check(rv != APR_SUCCESS, "open under a regular file fails (%d)", rv);
    check(APR_STATUS_IS_ENOTDIR(rv) || APR_STATUS_IS_EEXIST(rv),
          "... with ENOTDIR or EEXIST");

    /* A spool whose new/ became a file: put fails at the rename and must
     * remove what it wrote to tmp/. */
    sample(&ev, "192.0.2.40");
    wr_spool_open(&sp, dir, 0, 0, pool);
    apr_dir_remove(wr_spool_dir(sp, WR_SPOOL_NEW), pool);
    write_file(wr_spool_dir(sp, WR_SPOOL_NEW), "x", 1);
    rv = wr_spool_put(sp, &ev, NULL, pool);
    check(rv != APR_SUCCESS, "put with new/ not a directory fails (%d)", rv);
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 0,
              "the failed put left nothing in tmp/");
    apr_file_remove(wr_spool_dir(sp, WR_SPOOL_NEW), pool);
    /* tmp/ gone altogether: the open of the temporary file fails. */
    apr_dir_remove(wr_spool_dir(sp, WR_SPOOL_TMP), pool);
    check(wr_spool_put(sp, &ev, NULL, pool) != APR_SUCCESS,
          "put with tmp/ missing fails");

    if (geteuid() != 0) {
        wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/ro2", NULL), 0, 0,
                      pool);
        chmod(wr_spool_dir(sp, WR_SPOOL_TMP), 0500);
        check_int(wr_spool_put(sp, &ev, NULL, pool), APR_EACCES,
                  "put into a 0500 tmp/: APR_EACCES");
        chmod(wr_spool_dir(sp, WR_SPOOL_TMP), 0700);
    }
    else {
        printf("# running as root: permissions are not enforced, the "
               "0500 case is skipped (the cases above cover it)\n");
    }
}

static void test_fail_release(void)
{
    wr_spool_t *sp;
    wr_event_t ev, *e = NULL, upd;
    const char *id, *id2;

    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/fr", NULL), 0, 0, pool);
    sample(&ev, "192.0.2.50");
    wr_spool_put(sp, &ev, &id, pool);
    wr_spool_put(sp, &ev, &id2, pool);

    check_int(wr_spool_fail(sp, id, "no MX", pool), APR_ENOENT,
              "fail of an unclaimed record: APR_ENOENT");
    wr_spool_take(sp, id, &e, pool);
    check_int(wr_spool_fail(sp, id, "550 no such user\r\nX-Evil: 1", pool),
              APR_SUCCESS, "fail");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_CUR)), 0,
              "failed record left cur/");
    e = NULL;
    check_int(wr_spool_load(sp, WR_SPOOL_FAILED, id, &e, pool), APR_SUCCESS,
              "failed record loads");
    check_str(e ? e->failure : NULL, "550 no such user\\x0d\\x0aX-Evil: 1",
              "the reason is kept, sanitised");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 0,
              "tmp/ empty after fail");

    wr_spool_take(sp, id2, &e, pool);
    upd = *e;
    upd.attempts = e->attempts + 1;
    upd.next_try = T0 + apr_time_from_sec(300);
    check_int(wr_spool_release(sp, id2, &upd, pool), APR_SUCCESS,
              "release with an update");
    check_int(wr_spool_release(sp, id2, &upd, pool), APR_ENOENT,
              "release of a record not in cur/: APR_ENOENT");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_CUR)), 0,
              "cur/ empty after release (not recreated)");
    e = NULL;
    check_int(wr_spool_take(sp, id2, &e, pool), APR_SUCCESS,
              "the released record can be taken again");
    check_int(e ? e->attempts : 0, 1, "with attempts = 1");
    check_int(e ? e->next_try : 0, upd.next_try, "and its next-try");
    check_int(wr_spool_release(sp, id2, NULL, pool), APR_SUCCESS,
              "release without update");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_NEW)), 1,
              "back in new/");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 0,
              "tmp/ empty after release");
}

/* test_note - the notifier's decision about a claimed record, noted in
 * it for "wormreply queue": kept through a round trip, only in cur/,
 * never recreating a record, cleared by fail and retry */
static void test_note(void)
{
    wr_spool_t *sp;
    wr_event_t ev, *e = NULL, upd;
    const char *id, *text;

    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/note", NULL), 0, 0, pool);
    sample(&ev, "192.0.2.51");
    wr_spool_put(sp, &ev, &id, pool);
    upd = ev;
    upd.decision = "held";
    upd.reason = "the domain window of example.net\r\nX: 1";
    upd.due = T0 + apr_time_from_sec(3600);
    check_int(wr_spool_note(sp, id, &upd, pool), APR_ENOENT,
              "note of a record not in cur/: APR_ENOENT");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_CUR)), 0,
              "... nothing made in cur/");
    wr_spool_take(sp, id, &e, pool);
    check(e && e->decision == NULL && e->reason == NULL && e->due == 0,
          "a fresh record has no decision");
    check_int(wr_spool_note(sp, id, &upd, pool), APR_SUCCESS, "note");
    e = NULL;
    check_int(wr_spool_load(sp, WR_SPOOL_CUR, id, &e, pool), APR_SUCCESS,
              "the noted record loads");
    check_str(e ? e->decision : NULL, "held", "decision kept");
    check_str(e ? e->reason : NULL,
              "the domain window of example.net\\x0d\\x0aX: 1",
              "reason kept, sanitised");
    check_int(e ? e->due : 0, upd.due, "due kept");
    check_str(e ? e->address : NULL, "192.0.2.51", "the event unchanged");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 0,
              "tmp/ empty after a note");
    upd.decision = "Held";
    check_int(wr_spool_note(sp, id, &upd, pool), APR_EINVAL,
              "a decision that is not [a-z-]: APR_EINVAL");
    check_int(wr_spool_fail(sp, id, "given up", pool), APR_SUCCESS, "fail");
    e = NULL;
    wr_spool_load(sp, WR_SPOOL_FAILED, id, &e, pool);
    check(e && e->decision == NULL && e->reason == NULL && e->due == 0,
          "fail clears the decision");
    check_int(wr_spool_retry(sp, id, pool), APR_SUCCESS, "retry");
    e = NULL;
    wr_spool_load(sp, WR_SPOOL_NEW, id, &e, pool);
    check(e && e->decision == NULL && e->failure == NULL,
          "retry: no decision, no failure");
    upd.decision = "backoff";
    check_int(wr_event_dump(&upd, &text, NULL, pool), APR_SUCCESS, "dump");
    check(strstr(text, "\ndecision: backoff\nreason: the domain window")
          != NULL && strstr(text, "\ndue: ") != NULL,
          "dump: decision, reason, due");
}

static void test_recover(void)
{
    wr_spool_t *sp;
    wr_event_t ev, *e;
    apr_array_header_t *ids;
    const char *old_tmp, *young_tmp, *id[3];
    int nt = -1, nc = -1, i;
    static const char partial[] = "version: 1\naddress: 192.0.2.";

    wr_spool_open(&sp, apr_pstrcat(pool, topdir, "/crash", NULL), 0, 0,
                  pool);
    sample(&ev, "192.0.2.60");
    for (i = 0; i < 3; i++) {
        wr_spool_put(sp, &ev, &id[i], pool);
    }
    /* A writer that died after writing half a record, long ago, and one
     * that is writing right now. */
    old_tmp = apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_TMP),
                          "/01714564800.000001.P9.Q1.R0000000000000001",
                          NULL);
    young_tmp = apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_TMP),
                            "/01714564800.000002.P9.Q2.R0000000000000002",
                            NULL);
    write_file(old_tmp, partial, sizeof(partial) - 1);
    write_file(young_tmp, partial, sizeof(partial) - 1);
    apr_file_mtime_set(old_tmp, apr_time_now() - apr_time_from_sec(7200),
                       pool);
    wr_spool_list(sp, WR_SPOOL_NEW, &ids, pool);
    check_int(ids->nelts, 3, "files in tmp/ are not listed in new/");
    check_int(wr_spool_take(sp, "01714564800.000001.P9.Q1.R0000000000000001",
                            &e, pool), APR_ENOENT,
              "a file in tmp/ cannot be taken");

    /* A notifier that died mid-batch: two records claimed, not done. */
    wr_spool_take(sp, id[0], &e, pool);
    wr_spool_take(sp, id[1], &e, pool);
    check_int(wr_spool_recover(sp, apr_time_now(), apr_time_from_sec(3600),
                               &nt, &nc, pool), APR_SUCCESS, "recover");
    check_int(nt, 1, "recover removed the old tmp/ file");
    check_int(nc, 2, "recover returned the two claimed records");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_TMP)), 1,
              "the young tmp/ file is left for its writer");
    check_int(count_files(wr_spool_dir(sp, WR_SPOOL_CUR)), 0, "cur/ empty");
    wr_spool_list(sp, WR_SPOOL_NEW, &ids, pool);
    check_int(ids->nelts, 3, "all three records in new/ again");
    check_int(wr_spool_take(sp, id[0], &e, pool), APR_SUCCESS,
              "a returned record can be taken");
    check_str(e->address, "192.0.2.60", "and is intact");
}

/* test_id_edges - the time in an id, and crafted ids at the edge of an
 * apr_time_t (UBSan: signed overflow in apr_time_from_sec before the
 * fix; test_id_time has the first cases) */
static void test_id_edges(void)
{
    check(wr_id_time("01714564800.123456.P1.Q1.R0011223344556677")
          == apr_time_from_sec(1714564800) + 123456, "id time: decoded");
    check(wr_id_time("09223372036854.775807.P1.Q1.R00") == APR_INT64_MAX,
          "id time: the largest time that fits is kept");
    check_int(wr_id_time("09223372036854.775808.P1.Q1.R00"), 0,
              "id time: one microsecond more: 0");
    check_int(wr_id_time("09223372036855.000000.P1.Q1.R00"), 0,
              "id time: one second more: 0");
    check_int(wr_id_time("9223372036854775807.000000.P1.Q1.R00"), 0,
              "id time: INT64_MAX seconds: 0");
    check_int(wr_id_time("01714564800.99999999999999999999.P1"), 0,
              "id time: huge microseconds: 0");
    check_int(wr_id_time("x1714564800.000000.P1"), 0, "id time: not a time");
}

/* test_id_ok - the one check of a record id (the spool's and the CLI's) */
static void test_id_ok(void)
{
    char longid[WR_SPOOL_ID_MAX + 2];

    check(wr_spool_id_ok("01714564800.123456.P1.Q1.R0011223344556677"),
          "id ok: one made by the spool");
    check(!wr_spool_id_ok(NULL), "id refused: NULL");
    check(!wr_spool_id_ok(""), "id refused: empty");
    check(!wr_spool_id_ok(".hidden"), "id refused: a dot file");
    check(!wr_spool_id_ok("a/b"), "id refused: a path");
    check(!wr_spool_id_ok("a-b"), "id refused: a character not made");
    memset(longid, 'a', sizeof(longid) - 1);
    longid[WR_SPOOL_ID_MAX] = '\0';
    check(wr_spool_id_ok(longid), "id ok: %d bytes", WR_SPOOL_ID_MAX);
    longid[WR_SPOOL_ID_MAX] = 'a';
    longid[WR_SPOOL_ID_MAX + 1] = '\0';
    check(!wr_spool_id_ok(longid), "id refused: %d bytes",
          WR_SPOOL_ID_MAX + 1);
}

/* test_planted - what httpd's User can plant in the spool: the notifier
 * side (take, stat, recover) refuses it and never reaches outside */
static void test_planted(void)
{
    const char *dir = apr_pstrcat(pool, topdir, "/planted", NULL);
    const char *canary = apr_pstrcat(pool, topdir, "/canary", NULL);
    const char *passwd = apr_pstrcat(pool, canary, "/passwd", NULL);
    const char *id_sym = "01714564800.000001.P1.Q1.R0000000000000001";
    const char *id_hard = "01714564800.000002.P1.Q1.R0000000000000002";
    const char *id_fifo = "01714564800.000003.P1.Q1.R0000000000000003";
    const char *id_big = "01714564800.000004.P1.Q1.R0000000000000004";
    wr_spool_t *sp = NULL;
    wr_spool_stat_t st;
    wr_event_t *ev = NULL;
    const char *what = NULL;
    char buf[64];
    struct stat sb;
    int fd, nt = -1, nc = -1;

    apr_dir_make(canary, APR_FPROT_OS_DEFAULT, pool);
    write_file(passwd, "root:x:0:0\n", 11);
    if (!check_int(wr_spool_open(&sp, dir, 0, 0, pool), APR_SUCCESS,
                   "planted: a spool")) {
        return;
    }
    check(symlink(passwd, apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_NEW),
                                      "/", id_sym, NULL)) == 0
          && link(passwd, apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_NEW),
                                      "/", id_hard, NULL)) == 0
          && mkfifo(apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_NEW), "/",
                                id_fifo, NULL), 0600) == 0
          && symlink(passwd, apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_CUR),
                                         "/", id_sym, NULL)) == 0,
          "planted: symlinked, hard-linked and FIFO records");
    fd = open(apr_pstrcat(pool, wr_spool_dir(sp, WR_SPOOL_NEW), "/", id_big,
                          NULL), O_WRONLY | O_CREAT, 0600);
    check(fd >= 0 && ftruncate(fd, (off_t)1 << 30) == 0,
          "planted: a 1 GiB sparse record");
    if (fd >= 0) {
        close(fd);
    }
    check_int(wr_spool_take(sp, id_sym, &ev, pool), WR_FILE_ESYMLINK,
              "take: a symlink is refused");
    check_int(wr_spool_take(sp, id_hard, &ev, pool), WR_FILE_ELINKS,
              "take: a hard link is refused");
    alarm(10);
    check_int(wr_spool_take(sp, id_fifo, &ev, pool), WR_FILE_ENOTREG,
              "take: a FIFO is refused without blocking");
    alarm(120);
    check_int(wr_spool_take(sp, id_big, &ev, pool), APR_EINVAL,
              "take: 1 GiB is not read, moved to failed/");
    check_int(wr_spool_load(sp, WR_SPOOL_FAILED, id_big, &ev, pool),
              APR_FROM_OS_ERROR(EFBIG), "load: and refused there unread");
    check_int(wr_spool_load(sp, WR_SPOOL_NEW, id_hard, &ev, pool),
              WR_FILE_ELINKS, "load: a hard link is refused");
    check_int(wr_spool_remove(sp, WR_SPOOL_NEW, id_sym, pool),
              WR_FILE_ESYMLINK, "remove: a symlink is refused");
    check_int(wr_spool_retry(sp, id_big, pool), APR_FROM_OS_ERROR(EFBIG),
              "retry: 1 GiB is refused");
    check_int(wr_spool_stat(sp, &st, pool), APR_SUCCESS, "stat");
    check(st.n_new == 0 && st.n_cur == 0 && st.bytes == 0,
          "stat: planted entries are not counted as records");
    check_int(wr_spool_recover(sp, apr_time_now(), 0, &nt, &nc, pool),
              APR_SUCCESS, "recover");
    check_int(nc, 0, "recover: a symlink in cur/ is not moved");
    check(stat(passwd, &sb) == 0 && sb.st_nlink == 2 && sb.st_size == 11,
          "canary: still there, its size unchanged");

    /* the directories themselves */
    rename(wr_spool_dir(sp, WR_SPOOL_FAILED),
           apr_pstrcat(pool, dir, "/failed.old", NULL));
    check(symlink(canary, wr_spool_dir(sp, WR_SPOOL_FAILED)) == 0,
          "planted: failed/ -> the canary directory");
    check_int(wr_spool_open(&sp, dir, 0, 0, pool), WR_FILE_ESYMLINK,
              "open: a symlinked failed/ is refused");
    check_int(wr_spool_attach(&sp, dir, &what, pool), WR_FILE_ESYMLINK,
              "attach: refused too");
    check(what && strstr(what, "/failed") != NULL,
          "attach: names failed/ (%s)", what ? what : "");
    check(strstr(wr_file_strerror(WR_FILE_ESYMLINK, buf, sizeof(buf)),
                 "symbolic link") != NULL, "the refusal says why");
    check_int(count_files(canary), 1, "canary: nothing new in it");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    alarm(120);     /* the whole test, whatever happens */
    if (mkdtemp(topdir) == NULL) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }
    test_open();
    test_round_trip();
    test_id_time();
    test_order_and_stat();
    test_nosync();
    test_put_text();
    test_foreign_record();
    test_hostile();
    test_concurrent();
    test_full();
    test_unwritable();
    test_fail_release();
    test_note();
    test_recover();
    test_id_edges();
    test_id_ok();
    test_planted();

    if (getenv("WR_TEST_KEEP") == NULL) {
        char *cmd = apr_pstrcat(pool, "rm -rf '", topdir, "'", NULL);
        if (system(cmd) != 0) {
            printf("# could not remove %s\n", topdir);
        }
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
