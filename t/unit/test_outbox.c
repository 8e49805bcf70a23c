/* test_outbox.c - the outbox for an administrator (wr_outbox.h) on real
 * outboxes in a temporary directory: notices queued by wr_delivery_enqueue
 * (with envelope) and wr_delivery_store (without), failed ones made
 * by the queue manager itself (expired after WormReplyMaxQueueTime) and
 * written by hand in the documented format (a 5xx); list, get, message;
 * retry of a failed notice (and a delivery pass after it that must not
 * expire it again), of a queued one backing off; the smarthost's backoff
 * lifted; drop; the queue manager's lock held by another process; bad ids;
 * nothing outside the outbox touched. No network: the passes go to a
 * 127.0.0.1 port where nothing listens.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "test-rig.h"
#include "wr_delivery.h"
#include "wr_file.h"
#include "wr_notice.h"
#include "wr_outbox.h"

#define DAY apr_time_from_sec(86400)

static apr_pool_t *pool;
static char topdir[] = "/tmp/wr-test-outbox.XXXXXX";
static int closed_port;         /* a loopback port nobody listens on */

/* spew - write a file whole */
static int spew(const char *path, const char *text)
{
    apr_file_t *f;
    apr_size_t n;
    int ok;

    if (apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                      | APR_FOPEN_TRUNCATE, APR_FPROT_UREAD
                      | APR_FPROT_UWRITE, pool) != APR_SUCCESS) {
        return 0;
    }
    ok = apr_file_write_full(f, text, strlen(text), &n) == APR_SUCCESS;
    return apr_file_close(f) == APR_SUCCESS && ok;
}

/* there - whether a path exists */
static int there(const char *path)
{
    apr_finfo_t fi;

    return apr_stat(&fi, path, APR_FINFO_TYPE, pool) == APR_SUCCESS;
}

/* path - DIR/SUB/ID.EXT (SUB may be "") */
static const char *path(const char *dir, const char *sub, const char *id,
                        const char *ext)
{
    return apr_pstrcat(pool, dir, *sub ? "/" : "", sub, "/", id, ext, NULL);
}

/* count_names - names in `dir` ending in `ext`, dot files only with
 * `dots` */
static int count_names(const char *dir, const char *ext, int dots)
{
    apr_dir_t *dh;
    apr_finfo_t fi;
    int n = 0;

    if (apr_dir_open(&dh, dir, pool) != APR_SUCCESS) {
        return -1;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, dh) == APR_SUCCESS) {
        size_t l = strlen(fi.name);
        if ((dots || fi.name[0] != '.') && l > strlen(ext)
            && !strcmp(fi.name + l - strlen(ext), ext)) {
            n++;
        }
    }
    apr_dir_close(dh);
    return n;
}

/* count_ext - names in `dir` ending in `ext`, dot files left out */
static int count_ext(const char *dir, const char *ext)
{
    return count_names(dir, ext, 0);
}

/* find_closed_port - a port bound once and closed: connecting to it is
 * refused at once */
static int find_closed_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0
        && getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

/* compose - a real notice to `to` (and a Bcc) */
static wr_notice_t *compose(const char *to, const char *bcc)
{
    static const char *const lines[] = {
        "GET /scripts/root.exe?/c+dir HTTP/1.0"
    };
    apr_array_header_t *ta = apr_array_make(pool, 1, sizeof(const char *));
    apr_array_header_t *ba = apr_array_make(pool, 1, sizeof(const char *));
    wr_notice_input_t in;
    wr_notice_host_t h;
    wr_notice_t *msg = NULL;
    const char *err = NULL;
    apr_time_t now = apr_time_now();

    APR_ARRAY_PUSH(ta, const char *) = to;
    if (bcc) {
        APR_ARRAY_PUSH(ba, const char *) = bcc;
    }
    memset(&h, 0, sizeof(h));
    h.address = "192.0.2.10";
    h.family = "nimda";
    h.vhost = "www.wormreply.test";
    h.first_seen = now - apr_time_from_sec(600);
    h.last_seen = now;
    h.count = 3;
    h.nlines = 1;
    h.lines = lines;
    memset(&in, 0, sizeof(in));
    in.from = "wormreply@wormreply.test";
    in.to = ta;
    in.bcc = bcc ? ba : NULL;
    in.domain = "example.test";
    in.server_name = "www.wormreply.test";
    in.format = "plain";
    in.hosts = &h;
    in.nhosts = 1;
    in.now = now;
    if (wr_notice_compose(&in, &msg, &err, pool) != APR_SUCCESS) {
        printf("# compose: %s\n", err ? err : "?");
        return NULL;
    }
    return msg;
}

/* open_delivery - the queue manager's handle on `dir`, with a smarthost
 * on the closed port */
static wr_delivery_t *open_delivery(const char *dir)
{
    wr_delivery_conf_t c;
    wr_delivery_t *d = NULL;
    const char *err = NULL;

    wr_delivery_conf_default(&c);
    c.smtp.host = "127.0.0.1";
    c.smtp.port = (apr_port_t)closed_port;
    c.smtp.tls = WR_SMTP_TLS_OFF;
    c.smtp.connect_timeout = apr_time_from_sec(2);
    c.smtp.command_timeout = apr_time_from_sec(2);
    c.sessions = 1;
    if (wr_delivery_open(&d, dir, &c, &err, pool) != APR_SUCCESS) {
        printf("# wr_delivery_open %s: %s\n", dir, err ? err : "?");
        return NULL;
    }
    return d;
}

/* state_field - the value of `key` in a record file, or NULL */
static const char *state_field(const char *file, const char *key)
{
    char *text = tl_slurp(file, NULL, pool), *line, *save = NULL;
    size_t kl = strlen(key);

    for (line = text ? apr_strtok(text, "\n", &save) : NULL; line;
         line = apr_strtok(NULL, "\n", &save)) {
        if (!strncmp(line, key, kl) && !strncmp(line + kl, ": ", 2)) {
            return line + kl + 2;
        }
    }
    return NULL;
}

/* fail_by_hand - move queued notice `id` to failed/ as the queue manager
 * does on a 5xx (wr_delivery.h): failed/<id>.state with "failure: ...",
 * then the .eml and the .env, and the queue's .state removed */
static int fail_by_hand(const char *dir, const char *id, const char *why)
{
    const char *text = apr_psprintf(pool,
        "version: 1\nqueued: %" APR_TIME_T_FMT "\nattempts: 1\n"
        "last-try: %" APR_TIME_T_FMT "\nnext-try: 0\nlast-error: %s\n"
        "failure: %s\n", apr_time_now() - DAY, apr_time_now(), why, why);

    if (!spew(path(dir, "failed", id, ".state"), text)
        || apr_file_rename(path(dir, "", id, ".eml"),
                           path(dir, "failed", id, ".eml"), pool)
           != APR_SUCCESS) {
        return 0;
    }
    if (there(path(dir, "", id, ".env"))
        && apr_file_rename(path(dir, "", id, ".env"),
                           path(dir, "failed", id, ".env"), pool)
           != APR_SUCCESS) {
        return 0;
    }
    apr_file_remove(path(dir, "", id, ".state"), pool);
    return 1;
}

/* find - an item of a listing by id */
static wr_outbox_item_t *find(apr_array_header_t *items, const char *id)
{
    int k;

    for (k = 0; k < items->nelts; k++) {
        wr_outbox_item_t *it = APR_ARRAY_IDX(items, k, wr_outbox_item_t *);
        if (!strcmp(it->id, id)) {
            return it;
        }
    }
    return NULL;
}

/* test_ids - what an id may be */
static void test_ids(void)
{
    static const char *const good[] = {
        "wr-20240501T120000Z-0123456789abcdef", "a", "x.y_z+1-r2", "ALL"
    };
    static const char *const bad[] = {
        "", ".hidden", "..", "../x", "a/b", "/etc/passwd", "a b", "a\nb",
        "x;rm", "caf\xc3\xa9"
    };
    char longid[WR_OUTBOX_ID_MAX + 2];
    size_t k;

    for (k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
        check(wr_outbox_id_ok(good[k]), "id ok: '%s'", good[k]);
    }
    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        char shown[32], *c;

        /* the name on one line of TAP */
        apr_cpystrn(shown, bad[k], sizeof(shown));
        for (c = shown; *c; c++) {
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
                *c = '?';
            }
        }
        check(!wr_outbox_id_ok(bad[k]), "id refused: '%s'", shown);
    }
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    check(!wr_outbox_id_ok(longid), "id refused: %d bytes",
          WR_OUTBOX_ID_MAX + 1);
    longid[WR_OUTBOX_ID_MAX] = '\0';
    check(wr_outbox_id_ok(longid), "id ok: %d bytes", WR_OUTBOX_ID_MAX);
    check(!wr_outbox_id_ok(NULL), "id refused: NULL");
}

/* test_open - only an existing outbox, never created */
static void test_open(void)
{
    const char *missing = apr_pstrcat(pool, topdir, "/missing", NULL);
    const char *bare = apr_pstrcat(pool, topdir, "/bare", NULL);
    const char *file = apr_pstrcat(pool, topdir, "/file", NULL);
    const char *what = NULL;
    wr_outbox_t *ob;
    apr_status_t rv;

    rv = wr_outbox_open(&ob, missing, &what, pool);
    check(APR_STATUS_IS_ENOENT(rv), "open: a missing directory is ENOENT");
    check(!there(missing), "open: ... and is not created");
    apr_dir_make(bare, APR_FPROT_OS_DEFAULT, pool);
    rv = wr_outbox_open(&ob, bare, &what, pool);
    check(APR_STATUS_IS_ENOENT(rv) && what && strstr(what, "/failed"),
          "open: a directory without failed/ is not an outbox (%s)",
          what ? what : "?");
    check(!there(apr_pstrcat(pool, bare, "/failed", NULL)),
          "open: ... and failed/ is not created");
    spew(file, "x");
    rv = wr_outbox_open(&ob, file, &what, pool);
    check_int(rv, WR_FILE_ENOTDIR, "open: a file is refused: not a directory");
}

/* test_all - the life of notices in one outbox */
static void test_all(void)
{
    const char *dir = apr_pstrcat(pool, topdir, "/outbox", NULL);
    const char *outside = apr_pstrcat(pool, topdir, "/victim", NULL);
    wr_delivery_t *d = open_delivery(dir);
    wr_notice_t *m_env, *m_hdr, *m_5xx, *m_old;
    wr_delivery_stats_t st;
    wr_outbox_t *ob = NULL;
    wr_outbox_item_t *it;
    wr_outbox_counts_t counts;
    wr_outbox_retry_e what;
    apr_array_header_t *items;
    apr_time_t was, t0;
    const char *env_before, *a, *err = NULL;
    char *data;
    apr_size_t len;
    int truncated, where, cleared;
    apr_status_t rv;

    if (!check(d != NULL, "outbox made by wr_delivery_open")) {
        return;
    }
    /* files beside the outbox that a bad id would aim at */
    spew(apr_pstrcat(pool, outside, ".eml", NULL), "victim\n");
    spew(apr_pstrcat(pool, outside, ".env", NULL), "victim\n");
    spew(apr_pstrcat(pool, outside, ".state", NULL), "victim\n");

    m_env = compose("abuse@example.test", "admin@wormreply.test");
    m_hdr = compose("postmaster@example.test", NULL);
    m_5xx = compose("nobody@example.test", NULL);
    m_old = compose("old@example.test", "oldbcc@wormreply.test");
    if (m_env == NULL || m_hdr == NULL || m_5xx == NULL || m_old == NULL) {
        check(0, "four notices composed");
        return;
    }
    check(1, "four notices composed");
    check_int(wr_delivery_enqueue(d, m_env, apr_time_now(), NULL, pool),
              APR_SUCCESS, "queued with an envelope (Bcc)");
    check_int(wr_delivery_store(d, m_hdr, pool), APR_SUCCESS,
              "queued without an envelope (the notifier's own writer)");
    check_int(wr_delivery_enqueue(d, m_5xx, apr_time_now(), NULL, pool),
              APR_SUCCESS, "a third queued");
    check_int(wr_delivery_enqueue(d, m_old, apr_time_now(), NULL, pool),
              APR_SUCCESS, "a fourth queued");
    /* the fourth was queued six days ago: the queue manager expires it */
    apr_file_mtime_set(path(dir, "", m_old->report_id, ".eml"),
                       apr_time_now() - 6 * DAY, pool);
    env_before = tl_slurp(path(dir, "", m_old->report_id, ".env"), NULL, pool);
    check_int(wr_delivery_run(d, apr_time_now(), &st, pool), APR_SUCCESS,
              "a pass against a closed port");
    check_int(st.expired, 1, "... expired the old notice");
    check_int(st.deferred, 3, "... deferred the three others");
    check(there(path(dir, "failed", m_old->report_id, ".eml"))
          && there(path(dir, "failed", m_old->report_id, ".env"))
          && there(path(dir, "failed", m_old->report_id, ".state")),
          "the expired notice is in failed/ with its .env and .state");
    check(fail_by_hand(dir, m_5xx->report_id,
                       "550 5.1.1 <nobody@example.test>: no such user"),
          "a 5xx failure written by hand in the documented format");
    /* one kept in sent/ */
    spew(path(dir, "sent", "wr-19990101T000000Z-00000000000000ff", ".eml"),
         "From: a@b.test\r\nTo: c@d.test\r\n\r\nsent\r\n");

    rv = wr_outbox_open(&ob, dir, NULL, pool);
    if (!check_int(rv, APR_SUCCESS, "wr_outbox_open")) {
        return;
    }
    check_str(wr_outbox_dir(ob), dir, "wr_outbox_dir");

    /* ---- list ---------------------------------------------------------- */
    rv = wr_outbox_list(ob, WR_OUTBOX_QUEUED | WR_OUTBOX_FAILED, &items,
                        &counts, pool);
    check_int(rv, APR_SUCCESS, "list");
    check_int(counts.queued, 2, "list: 2 queued");
    check_int(counts.failed, 2, "list: 2 failed");
    check_int(counts.sent, 1, "list: 1 kept in sent/");
    check_int(items->nelts, 4, "list: 4 items");
    check(items->nelts == 4
          && APR_ARRAY_IDX(items, 0, wr_outbox_item_t *)->where
             == WR_OUTBOX_QUEUED
          && APR_ARRAY_IDX(items, 3, wr_outbox_item_t *)->where
             == WR_OUTBOX_FAILED, "list: queued first, then failed");
    it = find(items, m_env->report_id);
    check(it != NULL, "list: the notice with an envelope");
    if (it != NULL) {
        check_int(it->attempts, 1, "list: its attempts");
        check(it->next_try > apr_time_now(), "list: its next try to come");
        check(it->last_error != NULL, "list: its last error (%s)",
              it->last_error ? it->last_error : "none");
        check(it->has_env && it->rcpt->nelts == 2
              && !strcmp(APR_ARRAY_IDX(it->rcpt, 1, const char *),
                         "admin@wormreply.test"),
              "list: recipients from the .env, Bcc included");
        check_int(it->size, (long long)m_env->len, "list: its size");
        check(it->problem == NULL, "list: no problem");
    }
    it = find(items, m_hdr->report_id);
    check(it != NULL, "list: the notice without an envelope");
    if (it != NULL) {
        check(!it->has_env && it->rcpt->nelts == 1
              && !strcmp(APR_ARRAY_IDX(it->rcpt, 0, const char *),
                         "postmaster@example.test")
              && it->sender && !strcmp(it->sender,
                                       "wormreply@wormreply.test"),
              "list: envelope from the headers (wr_delivery_envelope)");
    }
    it = find(items, m_old->report_id);
    check(it != NULL, "list: the expired notice");
    if (it != NULL) {
        check(it->where == WR_OUTBOX_FAILED, "list: ... is failed");
        check(it->failure && !strncmp(it->failure, "expired: ", 9),
              "list: ... why (%s)", it->failure ? it->failure : "none");
        check(it->queued < apr_time_now() - 5 * DAY,
              "list: ... queued six days ago");
        check(it->has_env && it->rcpt->nelts == 2,
              "list: ... its envelope from failed/<id>.env");
    }
    it = find(items, m_5xx->report_id);
    check(it && it->failure && strstr(it->failure, "550 5.1.1"),
          "list: the 5xx failure");
    check(counts.dests->nelts == 1
          && APR_ARRAY_IDX(counts.dests, 0, wr_outbox_dest_t *)->next_try
             > apr_time_now()
          && APR_ARRAY_IDX(counts.dests, 0, wr_outbox_dest_t *)->failures
             == 1,
          "list: the smarthost backs off after one failed session");
    rv = wr_outbox_list(ob, WR_OUTBOX_FAILED, &items, &counts, pool);
    check(rv == APR_SUCCESS && items->nelts == 2 && counts.queued == 2
          && counts.failed == 2, "list of failed/ only, counts of all");

    /* ---- get and message ------------------------------------------------ */
    rv = wr_outbox_get(ob, m_5xx->report_id, &it, pool);
    check(rv == APR_SUCCESS && it->where == WR_OUTBOX_FAILED
          && it->state_text && strstr(it->state_text, "failure: 550")
          && it->env_text && strstr(it->env_text, "rcpt: nobody@"),
          "get: a failed notice with its records as on disk");
    rv = wr_outbox_message(ob, it, WR_DELIVERY_MESSAGE_MAX, &data, &len,
                           &truncated, pool);
    check(rv == APR_SUCCESS && len == m_5xx->len && !truncated
          && !memcmp(data, m_5xx->data, len), "message: the text as sent");
    rv = wr_outbox_message(ob, it, 10, &data, &len, &truncated, pool);
    check(rv == APR_SUCCESS && len == 10 && truncated,
          "message: cut at the maximum, and says so");
    rv = wr_outbox_get(ob, "wr-19990101T000000Z-00000000000000ff", &it,
                       pool);
    check(rv == APR_SUCCESS && it->where == WR_OUTBOX_SENT,
          "get: a notice kept in sent/");
    check_int(wr_outbox_get(ob, "wr-nothere", &it, pool), APR_ENOENT,
              "get: an unknown id");
    check_int(wr_outbox_get(ob, "../victim", &it, pool), APR_EINVAL,
              "get: '../victim' is not an id");

    /* ---- retry of an expired notice ------------------------------------ */
    t0 = apr_time_now();
    rv = wr_outbox_retry(ob, m_old->report_id, t0, &what, &was, pool);
    check_int(rv, APR_SUCCESS, "retry of the expired notice");
    check_int(what, WR_OUTBOX_REQUEUED, "... requeued");
    check(there(path(dir, "", m_old->report_id, ".eml")),
          "... its .eml is back in the queue");
    a = tl_slurp(path(dir, "", m_old->report_id, ".env"), NULL, pool);
    check(a && env_before && !strcmp(a, env_before),
          "... with the same .env (Bcc kept)");
    check_str(state_field(path(dir, "", m_old->report_id, ".state"),
                          "queued"),
              apr_psprintf(pool, "%" APR_TIME_T_FMT, t0),
              "... queued time reset to the retry");
    check_str(state_field(path(dir, "", m_old->report_id, ".state"),
                          "attempts"), "0", "... attempts cleared");
    check(state_field(path(dir, "", m_old->report_id, ".state"),
                      "failure") == NULL, "... no failure");
    check(!there(path(dir, "failed", m_old->report_id, ".eml"))
          && !there(path(dir, "failed", m_old->report_id, ".env"))
          && !there(path(dir, "failed", m_old->report_id, ".state")),
          "... nothing of it left in failed/");
    check_int(count_names(dir, ".tmp", 1)
              + count_names(apr_pstrcat(pool, dir, "/failed", NULL), ".tmp",
                            1), 0, "... no temporary file left");

    /* the smarthost's backoff holds every notice back: lift it */
    rv = wr_outbox_resume(ob, apr_time_now(), &cleared, pool);
    check(rv == APR_SUCCESS && cleared == 1,
          "resume: the smarthost's backoff lifted");
    rv = wr_outbox_list(ob, WR_OUTBOX_QUEUED, &items, &counts, pool);
    check(rv == APR_SUCCESS && counts.dests->nelts == 1
          && APR_ARRAY_IDX(counts.dests, 0, wr_outbox_dest_t *)->next_try
             == 0
          && APR_ARRAY_IDX(counts.dests, 0, wr_outbox_dest_t *)->failures
             == 1, "resume: ... its count of failed sessions kept");
    rv = wr_outbox_resume(ob, apr_time_now(), &cleared, pool);
    check(rv == APR_SUCCESS && cleared == 0, "resume: nothing more to lift");

    /* the next pass must not expire it again */
    check_int(wr_delivery_run(d, apr_time_now(), &st, pool), APR_SUCCESS,
              "a pass after the retry");
    check_int(st.expired, 0, "... expired nothing");
    check_int(st.deferred, 1, "... tried the retried notice (deferred)");
    check(there(path(dir, "", m_old->report_id, ".eml"))
          && there(path(dir, "", m_old->report_id, ".env")),
          "... which stays queued with its envelope");
    check_str(state_field(path(dir, "", m_old->report_id, ".state"),
                          "attempts"), "1", "... one attempt now");

    /* ---- retry of a queued notice that backs off -------------------------- */
    rv = wr_outbox_get(ob, m_env->report_id, &it, pool);
    check(rv == APR_SUCCESS && it->next_try > apr_time_now(),
          "a queued notice waits for its next try");
    {
        apr_time_t next = it->next_try, queued = it->queued;

        rv = wr_outbox_retry(ob, m_env->report_id, apr_time_now(), &what,
                             &was, pool);
        check(rv == APR_SUCCESS && what == WR_OUTBOX_MADE_DUE,
              "retry of it: made due");
        check_int(was, next, "... the next try it had is reported");
        rv = wr_outbox_get(ob, m_env->report_id, &it, pool);
        check(rv == APR_SUCCESS && it->next_try == 0 && it->attempts == 1
              && it->queued == queued && it->last_error != NULL,
              "... next try cleared, attempts, queued, last error kept");
        rv = wr_outbox_retry(ob, m_env->report_id, apr_time_now(), &what,
                             &was, pool);
        check(rv == APR_SUCCESS && what == WR_OUTBOX_ALREADY_DUE,
              "retry again: due already");
    }
    rv = wr_outbox_retry(ob, m_hdr->report_id, apr_time_now(), &what, &was,
                         pool);
    check(rv == APR_SUCCESS, "retry of the notice without an envelope");
    check(!there(path(dir, "", m_hdr->report_id, ".env")),
          "... gets no .env");

    /* ---- retry refusals ----------------------------------------------------- */
    check_int(wr_outbox_retry(ob, "wr-nothere", apr_time_now(), &what, &was,
                              pool), APR_ENOENT, "retry of an unknown id");
    check_int(wr_outbox_retry(ob, "../victim", apr_time_now(), &what, &was,
                              pool), APR_EINVAL, "retry of '../victim'");
    check_int(wr_outbox_retry(ob, "/etc/passwd", apr_time_now(), &what,
                              &was, pool), APR_EINVAL,
              "retry of '/etc/passwd'");
    check_int(wr_outbox_retry(ob, "wr-19990101T000000Z-00000000000000ff",
                              apr_time_now(), &what, &was, pool),
              APR_ENOENT, "retry of a sent notice: not queued, not failed");
    /* the same id queued and failed: nothing done */
    spew(path(dir, "failed", m_env->report_id, ".eml"), "a copy\r\n");
    a = tl_slurp(path(dir, "", m_env->report_id, ".state"), NULL, pool);
    check_int(wr_outbox_retry(ob, m_env->report_id, apr_time_now(), &what,
                              &was, pool), APR_EEXIST,
              "retry of an id both queued and failed: EEXIST");
    check(a && !strcmp(a, tl_slurp(path(dir, "", m_env->report_id, ".state"),
                                   NULL, pool))
          && there(path(dir, "failed", m_env->report_id, ".eml")),
          "... nothing changed");
    apr_file_remove(path(dir, "failed", m_env->report_id, ".eml"), pool);

    /* ---- the queue manager's lock held by another process ------------- */
    {
        int up[2], down[2];
        pid_t pid;
        char c = 0;

        if (pipe(up) != 0 || pipe(down) != 0) {
            check(0, "pipes");
            return;
        }
        pid = fork();
        if (pid == 0) {
            /* the holder: as wr_delivery_run does, for at most 20 s */
            apr_pool_t *cp;
            apr_file_t *lf;

            apr_pool_create(&cp, NULL);
            close(up[0]);
            close(down[1]);
            alarm(20);
            if (apr_file_open(&lf, apr_pstrcat(cp, dir, "/.lock", NULL),
                              APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                              APR_FPROT_UREAD | APR_FPROT_UWRITE, cp)
                != APR_SUCCESS
                || apr_file_lock(lf, APR_FLOCK_EXCLUSIVE) != APR_SUCCESS) {
                _exit(1);
            }
            c = 'L';
            if (write(up[1], &c, 1) != 1
                || read(down[0], &c, 1) < 0) {
                _exit(1);
            }
            _exit(0);
        }
        close(up[1]);
        close(down[0]);
        if (!check(pid > 0 && read(up[0], &c, 1) == 1 && c == 'L',
                   "another process holds the lock")) {
            return;
        }
        a = tl_slurp(path(dir, "", m_env->report_id, ".state"), NULL, pool);
        check_int(wr_outbox_retry(ob, m_5xx->report_id, apr_time_now(),
                                  &what, &was, pool), APR_EAGAIN,
                  "lock held: retry refused with APR_EAGAIN");
        check_int(wr_outbox_drop(ob, m_env->report_id, &where, pool),
                  APR_EAGAIN, "lock held: drop refused with APR_EAGAIN");
        check_int(wr_outbox_resume(ob, apr_time_now(), &cleared, pool),
                  APR_EAGAIN, "lock held: resume refused with APR_EAGAIN");
        t0 = apr_time_now();
        rv = wr_outbox_lock(ob, apr_time_from_msec(300));
        was = apr_time_now() - t0;
        check_int(rv, APR_EAGAIN, "lock held: wr_outbox_lock gives up");
        check(was >= apr_time_from_msec(250) && was < apr_time_from_sec(3),
              "... after its wait (%" APR_TIME_T_FMT " ms)",
              apr_time_as_msec(was));
        check(there(path(dir, "failed", m_5xx->report_id, ".eml"))
              && there(path(dir, "", m_env->report_id, ".eml"))
              && a && !strcmp(a, tl_slurp(path(dir, "", m_env->report_id,
                                            ".state"), NULL, pool)),
              "lock held: nothing changed");
        /* let it go, and take it */
        c = 'U';
        if (write(down[1], &c, 1) != 1) {
            check(0, "release the holder");
        }
        close(down[1]);
        close(up[0]);
        waitpid(pid, NULL, 0);
        check_int(wr_outbox_lock(ob, apr_time_from_sec(2)), APR_SUCCESS,
                  "the lock taken once the other process let it go");
        /* and while we hold it, the queue manager is kept out */
        pid = fork();
        if (pid == 0) {
            wr_delivery_stats_t cst;
            alarm(20);
            _exit(APR_STATUS_IS_EAGAIN(wr_delivery_run(d, apr_time_now(),
                                                       &cst, pool))
                  ? 0 : 1);
        }
        {
            int status = -1;
            waitpid(pid, &status, 0);
            check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "while we hold it, wr_delivery_run gets APR_EAGAIN");
        }
        rv = wr_outbox_retry(ob, m_5xx->report_id, apr_time_now(), &what,
                             &was, pool);
        check(rv == APR_SUCCESS && what == WR_OUTBOX_REQUEUED,
              "under our lock: retry of the 5xx notice");
        wr_outbox_unlock(ob);
        wr_outbox_unlock(ob);
        check_int(wr_outbox_lock(ob, 0), APR_SUCCESS,
                  "unlocked: the lock can be taken again");
        wr_outbox_unlock(ob);
    }

    /* ---- drop ---------------------------------------------------------------- */
    check(fail_by_hand(dir, m_hdr->report_id, "550 no"),
          "one more failed by hand");
    rv = wr_outbox_drop(ob, m_env->report_id, &where, pool);
    check(rv == APR_SUCCESS && where == WR_OUTBOX_QUEUED,
          "drop of a queued notice");
    check(!there(path(dir, "", m_env->report_id, ".eml"))
          && !there(path(dir, "", m_env->report_id, ".env"))
          && !there(path(dir, "", m_env->report_id, ".state")),
          "... its .eml, .env and .state are gone");
    rv = wr_outbox_drop(ob, m_hdr->report_id, &where, pool);
    check(rv == APR_SUCCESS && where == WR_OUTBOX_FAILED,
          "drop of a failed notice");
    check(!there(path(dir, "failed", m_hdr->report_id, ".eml"))
          && !there(path(dir, "failed", m_hdr->report_id, ".state")),
          "... gone from failed/ with its .state");
    check_int(wr_outbox_drop(ob, m_hdr->report_id, &where, pool), APR_ENOENT,
              "drop again: ENOENT");
    check_int(wr_outbox_drop(ob, "wr-19990101T000000Z-00000000000000ff",
                             &where, pool), APR_ENOENT,
              "drop of a sent notice: ENOENT, sent/ is left alone");
    check(there(path(dir, "sent", "wr-19990101T000000Z-00000000000000ff",
                     ".eml")), "... it is still in sent/");
    check_int(wr_outbox_drop(ob, "../victim", &where, pool), APR_EINVAL,
              "drop of '../victim': EINVAL");
    check_int(wr_outbox_drop(ob, "..", &where, pool), APR_EINVAL,
              "drop of '..': EINVAL");
    /* an .env alone is the notifier's, about to add its .eml */
    spew(path(dir, "", "wr-coming", ".env"), "version: 1\n");
    check_int(wr_outbox_drop(ob, "wr-coming", &where, pool), APR_ENOENT,
              "drop of an id with only an .env: ENOENT");
    check(there(path(dir, "", "wr-coming", ".env")),
          "... and the .env is left to its writer");
    rv = wr_outbox_list(ob, WR_OUTBOX_QUEUED | WR_OUTBOX_FAILED, &items,
                        &counts, pool);
    check(rv == APR_SUCCESS && counts.queued == 2 && counts.failed == 0
          && counts.sent == 1, "list agrees: 2 queued, 0 failed, 1 sent");

    /* ---- nothing outside the outbox ------------------------------------------ */
    check(there(apr_pstrcat(pool, outside, ".eml", NULL))
          && there(apr_pstrcat(pool, outside, ".env", NULL))
          && there(apr_pstrcat(pool, outside, ".state", NULL))
          && !strcmp(tl_slurp(apr_pstrcat(pool, outside, ".eml", NULL), NULL,
                              pool),
                     "victim\n"),
          "the files beside the outbox are untouched");
    check_int(count_ext(topdir, ".eml") + count_ext(topdir, ".state")
              + count_ext(topdir, ".env"), 3,
              "nothing new beside the outbox");
    (void)err;
}

/* test_owner - run as root, what is written gets the outbox's owner */
static void test_owner(void)
{
    const char *dir = apr_pstrcat(pool, topdir, "/owned", NULL);
    const char *id;
    wr_delivery_t *d;
    wr_notice_t *m;
    wr_outbox_t *ob;
    struct stat st;
    int ok;

    if (geteuid() != 0) {
        check(1, "owner: # SKIP not root");
        return;
    }
    d = open_delivery(dir);
    m = compose("abuse@example.test", "bcc@wormreply.test");
    check(d != NULL && m != NULL, "owner: an outbox");
    if (d == NULL || m == NULL) {
        return;
    }
    id = m->report_id;
    wr_delivery_enqueue(d, m, apr_time_now(), NULL, pool);
    fail_by_hand(dir, id, "550 no");
    /* as httpd's parent leaves it: the outbox and its subdirectories */
    ok = system(apr_psprintf(pool, "chown -R 65534:65534 '%s'", dir)) == 0;
    check(ok, "owner: the outbox belongs to uid 65534");
    if (!check_int(wr_outbox_open(&ob, dir, NULL, pool), APR_SUCCESS,
                   "owner: opened")) {
        return;
    }
    check_int(wr_outbox_retry(ob, id, apr_time_now(), NULL, NULL, pool),
              APR_SUCCESS, "owner: retried as root");
    check(stat(path(dir, "", id, ".state"), &st) == 0 && st.st_uid == 65534
          && st.st_gid == 65534, "owner: the new .state is the outbox's");
    check(stat(path(dir, "", id, ".env"), &st) == 0 && st.st_uid == 65534,
          "owner: the .env copy is the outbox's");
    check(stat(apr_pstrcat(pool, dir, "/.lock", NULL), &st) == 0
          && st.st_uid == 65534, "owner: .lock is the outbox's");
}

/* test_planted - what httpd's User can plant in the outbox: the readers
 * (list, get, message), the changers (retry, drop) and the queue manager
 * refuse it and never reach the canary outside */
static void test_planted(void)
{
    const char *dir = apr_pstrcat(pool, topdir, "/planted", NULL);
    const char *canary = apr_pstrcat(pool, topdir, "/canary", NULL);
    const char *id_sym = "wr-20240501T120000Z-0000000000000001";
    const char *id_hard = "wr-20240501T120000Z-0000000000000002";
    const char *id_fifo = "wr-20240501T120000Z-0000000000000003";
    wr_delivery_t *d = open_delivery(dir);
    wr_delivery_stats_t st;
    wr_outbox_t *ob = NULL;
    wr_outbox_item_t *it = NULL;
    apr_array_header_t *items = NULL;
    char *data;
    apr_size_t len;
    struct stat sb;
    int k, refused = 0;

    if (!check(d != NULL, "planted: an outbox")) {
        return;
    }
    apr_dir_make(canary, APR_FPROT_OS_DEFAULT, pool);
    spew(apr_pstrcat(pool, canary, "/secret", NULL), "To: <x@example.net>\r\n"
         "\r\nSECRET\r\n");
    check(symlink(apr_pstrcat(pool, canary, "/secret", NULL),
                  path(dir, "", id_sym, ".eml")) == 0
          && link(apr_pstrcat(pool, canary, "/secret", NULL),
                  path(dir, "failed/", id_hard, ".eml")) == 0
          && mkfifo(path(dir, "", id_fifo, ".eml"), 0600) == 0
          && symlink(apr_pstrcat(pool, canary, "/secret", NULL),
                     apr_pstrcat(pool, dir, "/.lock", NULL)) == 0,
          "planted: symlinked, hard-linked, FIFO notices and .lock");
    if (!check_int(wr_outbox_open(&ob, dir, NULL, pool), APR_SUCCESS,
                   "planted: opened")) {
        return;
    }
    alarm(10);
    check_int(wr_outbox_list(ob, WR_OUTBOX_QUEUED | WR_OUTBOX_FAILED, &items,
                             NULL, pool), APR_SUCCESS, "planted: listed");
    for (k = 0; items && k < items->nelts; k++) {
        it = APR_ARRAY_IDX(items, k, wr_outbox_item_t *);
        refused += it->refused != 0 && it->problem
                   && strstr(it->problem, "refused: ") != NULL;
    }
    check_int(refused, 3, "planted: each listed with its refusal");
    check_int(wr_outbox_get(ob, id_fifo, &it, pool), APR_SUCCESS,
              "planted: a FIFO notice found");
    check_int(wr_outbox_message(ob, it, 1000, &data, &len, NULL, pool),
              WR_FILE_ENOTREG, "planted: its text is refused, unread");
    alarm(120);
    check_int(wr_outbox_drop(ob, id_sym, NULL, pool), WR_FILE_ESYMLINK,
              "planted: drop refuses the symlinked .lock");
    unlink(apr_pstrcat(pool, dir, "/.lock", NULL));
    check_int(wr_outbox_drop(ob, id_sym, NULL, pool), WR_FILE_ESYMLINK,
              "planted: drop refuses a symlinked notice");
    check_int(wr_outbox_retry(ob, id_hard, apr_time_now(), NULL, NULL, pool),
              WR_FILE_ELINKS, "planted: retry refuses a hard-linked notice");
    check_int(wr_delivery_run(d, apr_time_now(), &st, pool), APR_SUCCESS,
              "planted: a delivery pass");
    check_int(st.attempted, 0, "planted: the queue manager sends none");
    check(stat(apr_pstrcat(pool, canary, "/secret", NULL), &sb) == 0
          && sb.st_nlink == 2 && sb.st_uid == geteuid(),
          "planted: the canary is untouched");
    check(lstat(path(dir, "", id_sym, ".eml"), &sb) == 0
          && S_ISLNK(sb.st_mode), "planted: left where it is");
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
    closed_port = find_closed_port();
    if (closed_port == 0) {
        printf("Bail out! no loopback port\n");
        return 1;
    }
    test_ids();
    test_open();
    test_all();
    test_owner();
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
