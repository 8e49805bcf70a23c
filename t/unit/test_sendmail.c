/* test_sendmail.c - the sendmail transport under the queue manager: the
 * rig's real exim (t/rig/smtp.sh's config) run as the local MTA's
 * sendmail, and programs that exit with each kind of status.
 *
 * - exim as sendmail: three notices queued, one with a Bcc recipient that
 *   is in no header and one whose envelope sender is a per-recipient
 *   return path: each is in the Maildir once, with that Return-path and
 *   Envelope-to, moved to sent/; a second pass sends nothing again.
 * - exit 75 (EX_TEMPFAIL), a signal, a program over its timeout: deferred,
 *   still queued, the destination backs off; exit 67 (EX_NOUSER): failed/.
 * - the program holds no descriptor of the deliverer's (the outbox lock).
 * - a missing or relative program is refused by the configuration check.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "test-rig.h"
#include "wr_delivery.h"
#include "wr_notice.h"
#include "wr_sendmail.h"

static apr_pool_t *pool;
static const char *run;          /* rig state: .../smtp */
static const char *base;         /* this test's files */

/* script - an executable shell script BASE/NAME with `body` */
static const char *script(const char *name, const char *body)
{
    const char *path = apr_pstrcat(pool, base, "/", name, NULL);
    FILE *f = fopen(path, "w");

    if (f) {
        fprintf(f, "#!/bin/sh\n%s\n", body);
        fclose(f);
    }
    chmod(path, 0755);
    return path;
}

/* compose - a notice from `from` to `to`, with `bcc` (may be NULL) */
static wr_notice_t *compose(const char *from, const char *to,
                            const char *bcc)
{
    static const char *const lines[] = {
        "GET /scripts/root.exe?/c+dir HTTP/1.0"
    };
    wr_notice_input_t in;
    wr_notice_host_t h;
    wr_notice_t *msg = NULL;
    const char *err = NULL;
    apr_array_header_t *a = apr_array_make(pool, 1, sizeof(const char *));
    apr_time_t now = apr_time_now();

    APR_ARRAY_PUSH(a, const char *) = to;
    memset(&h, 0, sizeof(h));
    h.address = "192.0.2.10";
    h.name = "host.example.test";
    h.family = "nimda";
    h.vhost = "www.wormreply.test";
    h.first_seen = now - apr_time_from_sec(600);
    h.last_seen = now;
    h.count = 3;
    h.nlines = 1;
    h.lines = lines;
    memset(&in, 0, sizeof(in));
    in.from = from;
    in.to = a;
    if (bcc) {
        apr_array_header_t *b = apr_array_make(pool, 1, sizeof(const char *));
        APR_ARRAY_PUSH(b, const char *) = bcc;
        in.bcc = b;
    }
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

/* msgid - Message-ID without the angle brackets */
static const char *msgid(const wr_notice_t *m)
{
    return apr_pstrmemdup(pool, m->message_id + 1,
                          strlen(m->message_id) - 2);
}

/* open_outbox - an outbox BASE/NAME whose transport runs `program` */
static wr_delivery_t *open_outbox(const char *name, const char *program,
                                  apr_interval_time_t timeout,
                                  const char **dir, const char **err)
{
    wr_sendmail_conf_t *sc = apr_pcalloc(pool, sizeof(*sc));
    wr_delivery_conf_t c;
    wr_delivery_t *d = NULL;

    sc->path = program;
    sc->timeout = timeout;
    wr_delivery_conf_default(&c);
    c.transport = &wr_transport_sendmail;
    c.transport_conf = sc;
    *dir = apr_pstrcat(pool, base, "/", name, ".outbox", NULL);
    *err = NULL;
    if (wr_delivery_open(&d, *dir, &c, err, pool) != APR_SUCCESS) {
        return NULL;
    }
    return d;
}

/* count_files - the files of DIR whose names end in EXT */
static int count_files(const char *dir, const char *ext)
{
    apr_dir_t *dh;
    apr_finfo_t fi;
    int n = 0;

    if (apr_dir_open(&dh, dir, pool) != APR_SUCCESS) {
        return 0;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, dh) == APR_SUCCESS) {
        apr_size_t l = strlen(fi.name);
        if (l > strlen(ext) && !strcmp(fi.name + l - strlen(ext), ext)) {
            n++;
        }
    }
    apr_dir_close(dh);
    return n;
}

static void test_exim(void)
{
    const char *exim = script("exim-sendmail",
        apr_psprintf(pool, "exec /usr/sbin/exim -C %s/exim.conf \"$@\"",
                     run));
    const char *dir, *err;
    wr_delivery_t *d = open_outbox("exim", exim, 0, &dir, &err);
    wr_delivery_stats_t st;
    wr_notice_t *m[3];
    char *text = NULL;
    int k;

    if (!check(d != NULL, "an outbox on exim as sendmail (%s)",
               err ? err : "")) {
        return;
    }
    m[0] = compose("wormreply@wr-notices.test", "postmaster@example.test",
                   NULL);
    m[1] = compose("wormreply@wr-notices.test", "abuse@example.test",
                   "operator@wr-notices.test");
    m[2] = compose("wormreply@wr-notices.test", "abuse@example.test", NULL);
    /* a per-recipient return path, as WormReplyBounceAddress gives */
    m[2]->from = "bounces+tok3n@wr-notices.test";
    for (k = 0; k < 3; k++) {
        check_int(wr_delivery_enqueue(d, m[k], apr_time_now(), NULL, pool),
                  APR_SUCCESS, "notice %d queued", k + 1);
    }
    check_int(wr_delivery_run(d, apr_time_now(), &st, pool), APR_SUCCESS,
              "a pass through sendmail");
    check_int(st.sent, 3, "exim took the 3 notices (exit 0)");
    check_int(count_files(dir, ".eml"), 0, "none left queued");
    check_int(count_files(apr_pstrcat(pool, dir, "/sent", NULL), ".eml"), 3,
              "all 3 in sent/");
    check_int(tl_maildir_copies(run, msgid(m[0]), 1, &text, pool), 1,
              "notice 1 delivered once");
    check(text && strstr(text, "Return-path: <wormreply@wr-notices.test>")
          && strstr(text, "Envelope-to: postmaster@example.test"),
          "notice 1: the queue's envelope (Return-path, Envelope-to)");
    check_int(tl_maildir_copies(run, msgid(m[1]), 2, &text, pool), 2,
              "notice 2 delivered to its To and its Bcc recipient");
    check(text && !strstr(text, "\nBcc:"), "notice 2: no Bcc header");
    check_int(tl_maildir_copies(run, msgid(m[2]), 1, &text, pool), 1,
              "notice 3 delivered once");
    check(text && strstr(text, "Return-path: <bounces+tok3n@wr-notices"
                         ".test>"),
          "notice 3: its own envelope sender (-f)");
    check_int(wr_delivery_run(d, apr_time_now(), &st, pool), APR_SUCCESS,
              "a second pass");
    check_int(st.attempted, 0, "the second pass sends nothing again");
    apr_sleep(apr_time_from_msec(500));
    check_int(tl_maildir_copies(run, msgid(m[0]), 1, NULL, pool), 1,
              "notice 1 is still in the Maildir once");
}

/* one_case - a notice through `program`: its outcome in the stats */
static void one_case(const char *name, const char *body,
                     apr_interval_time_t timeout, int want_sent,
                     int want_deferred, int want_failed,
                     const char *want_reason)
{
    const char *prog = script(name, body), *dir, *err;
    wr_delivery_t *d = open_outbox(name, prog, timeout, &dir, &err);
    wr_delivery_stats_t st;
    wr_delivery_queue_stat_t qs;
    apr_time_t t0;

    if (!check(d != NULL, "%s: an outbox (%s)", name, err ? err : "")) {
        return;
    }
    wr_delivery_enqueue(d, compose("wormreply@wr-notices.test",
                                   "abuse@example.test", NULL),
                        apr_time_now(), NULL, pool);
    t0 = apr_time_now();
    wr_delivery_run(d, apr_time_now(), &st, pool);
    check(st.sent == want_sent && st.deferred == want_deferred
          && st.failed == want_failed, "%s: sent %d deferred %d failed %d "
          "(want %d %d %d)", name, st.sent, st.deferred, st.failed,
          want_sent, want_deferred, want_failed);
    check(st.error == NULL || strstr(st.error, want_reason) != NULL
          || want_failed, "%s: the reason says '%s' (%s)", name,
          want_reason, st.error ? st.error : "none");
    wr_delivery_queue_stat(d, &qs, pool);
    if (want_deferred) {
        check_int(qs.queued, 1, "%s: still queued", name);
        check(qs.next_try > apr_time_now(), "%s: the destination backs off",
              name);
        check(qs.last_error && strstr(qs.last_error, want_reason),
              "%s: last error '%s'", name, qs.last_error ? qs.last_error : "");
    }
    if (want_failed) {
        check_int(qs.failed, 1, "%s: in failed/", name);
    }
    check(apr_time_now() - t0 < apr_time_from_sec(10), "%s: bounded "
          "(%.1f s)", name, (apr_time_now() - t0) / 1e6);
}

static void test_statuses(void)
{
    one_case("tempfail", "cat >/dev/null; echo 'queue full' >&2; exit 75",
             0, 0, 1, 0, "exited with 75 (EX_TEMPFAIL): queue full");
    one_case("nouser", "cat >/dev/null; echo 'no such user' >&2; exit 67",
             0, 0, 0, 1, "EX_NOUSER");
    one_case("signal", "cat >/dev/null; kill -9 $$", 0, 0, 1, 0,
             "ended by signal 9");
    one_case("hang", "cat >/dev/null; exec sleep 30",
             apr_time_from_sec(1), 0, 1, 0, "did not finish within 1 s");
}

static void test_descriptors(void)
{
    const char *list = apr_pstrcat(pool, base, "/fds", NULL);
    const char *body = apr_psprintf(pool, "cat >/dev/null; "
                                    "ls -l /proc/$$/fd > %s; exit 0", list);
    const char *prog = script("fds", body), *dir, *err;
    wr_delivery_t *d = open_outbox("fds", prog, 0, &dir, &err);
    wr_delivery_stats_t st;
    char *fds;

    if (!check(d != NULL, "fds: an outbox (%s)", err ? err : "")) {
        return;
    }
    wr_delivery_enqueue(d, compose("wormreply@wr-notices.test",
                                   "abuse@example.test", NULL),
                        apr_time_now(), NULL, pool);
    wr_delivery_run(d, apr_time_now(), &st, pool);
    check_int(st.sent, 1, "fds: sent");
    fds = tl_slurp(list, NULL, pool);
    check(fds && !strstr(fds, ".lock"), "the program does not hold the "
          "outbox lock");
    check(fds && !strstr(fds, " 4 -> ") && !strstr(fds, " 5 -> "),
          "the program has no descriptor above 3 (%s)", fds ? fds : "");
}

static void test_check(void)
{
    wr_sendmail_conf_t c;
    const char *err = NULL;
    apr_status_t rv;

    memset(&c, 0, sizeof(c));
    c.path = "sendmail";
    rv = wr_sendmail_conf_check(&c, &err, pool);
    check_int(rv, APR_EINVAL, "a relative path is refused (%s)", err);
    c.path = apr_pstrcat(pool, base, "/no-such-sendmail", NULL);
    rv = wr_sendmail_conf_check(&c, &err, pool);
    check_int(rv, APR_EINVAL, "a missing program is refused (%s)", err);
    c.path = script("not-exec", "exit 0");
    chmod(c.path, 0644);
    rv = wr_sendmail_conf_check(&c, &err, pool);
    check_int(rv, APR_EINVAL, "a file that is not executable is refused "
              "(%s)", err);
}

int main(void)
{
    const char *top, *rigdir;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    top = getenv("WORMREPLY_TOP") ? getenv("WORMREPLY_TOP") : ".";
    rigdir = getenv("WR_RIG_DIR") ? getenv("WR_RIG_DIR")
             : apr_pstrcat(pool, top, "/t/rig/run", NULL);
    run = apr_pstrcat(pool, rigdir, "/smtp", NULL);
    base = apr_psprintf(pool, "/tmp/wr-sendmail-%ld", (long)getpid());
    apr_dir_make_recursive(base, APR_FPROT_OS_DEFAULT, pool);
    test_check();
    test_statuses();
    test_descriptors();
    if (check(access(apr_pstrcat(pool, run, "/exim.conf", NULL), R_OK) == 0,
              "the SMTP rig's exim config is there (sh t/rig/smtp.sh "
              "start)")) {
        test_exim();
    }
    if (system(apr_psprintf(pool, "rm -rf %s", base)) != 0) {
        printf("# could not remove %s\n", base);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
