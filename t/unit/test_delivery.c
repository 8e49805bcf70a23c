/* test_delivery.c - the outbox queue manager against the real exim of
 * t/rig/smtp.sh: notices composed by wr_notice, queued with their
 * envelopes, delivered in sessions; 4xx then 2xx with the backoff times,
 * 5xx to failed/ and the suppression list, a recipient deferred alone,
 * the maximum queue time, the server down then up, kill -9 in the middle
 * of a pass (nothing lost, nothing twice), and the throughput.
 * Counts come from exim's own log ("<=" lines, written before its 250) and
 * from the Maildir.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <dirent.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "test-rig.h"
#include "wr_delivery.h"
#include "wr_notice.h"
#include "wr_ratelimit.h"
#include "wr_verp.h"

/* the rig's ports (t/rig/smtp.sh); a benchmark running its own rig sets
 * WR_TEST_SMTP_PORT and WR_TEST_SMTP_EXTRA_PORT */
#define PORT_TLS_DEFAULT 12525
/* this test's own extra daemon: the ASan build runs beside the plain one */
#if defined(__SANITIZE_ADDRESS__)
#define PORT_UPDOWN_DEFAULT 12538
#else
#define PORT_UPDOWN_DEFAULT 12532
#endif
#define MINUTE apr_time_from_sec(60)

static apr_pool_t *pool;
static int port_tls = PORT_TLS_DEFAULT;
static int port_updown = PORT_UPDOWN_DEFAULT;
static const char *run;          /* rig state: .../smtp */
static const char *top;
static const char *base;         /* this test's outboxes */
static char tag[32];

/* accepted - Message-ID (without <>) -> how many times exim took it in
 * from `sender` (its "<=" log lines) */
static apr_hash_t *accepted(const char *sender, apr_pool_t *p)
{
    char *log = tl_slurp(apr_pstrcat(p, run, "/log/mainlog", NULL), NULL, p);
    const char *who = apr_pstrcat(p, " <= ", sender, " ", NULL);
    apr_hash_t *h = apr_hash_make(p);
    char *line, *save = NULL;

    for (line = log ? apr_strtok(log, "\n", &save) : NULL; line;
         line = apr_strtok(NULL, "\n", &save)) {
        char *id = strstr(line, " id=");
        int *n;
        if (!strstr(line, who) || id == NULL) {
            continue;
        }
        id += 4;
        n = apr_hash_get(h, id, APR_HASH_KEY_STRING);
        if (n == NULL) {
            n = apr_pcalloc(p, sizeof(*n));
            apr_hash_set(h, id, APR_HASH_KEY_STRING, n);
        }
        (*n)++;
    }
    return h;
}

/* times_accepted - how often exim took in one message */
static int times_accepted(const char *sender, const char *msgid)
{
    apr_pool_t *p;
    int *n, r;

    apr_pool_create(&p, pool);
    n = apr_hash_get(accepted(sender, p), msgid, APR_HASH_KEY_STRING);
    r = n ? *n : 0;
    apr_pool_destroy(p);
    return r;
}

/* count_files - entries of a directory ending in `ext` */
static int count_files(const char *dir, const char *ext)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (dh && (e = readdir(dh)) != NULL) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] != '.' && l > strlen(ext)
            && !strcmp(e->d_name + l - strlen(ext), ext)) {
            n++;
        }
    }
    if (dh) {
        closedir(dh);
    }
    return n;
}

/* count_prefix - entries of a directory starting with `prefix` */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *dh = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (dh && (e = readdir(dh)) != NULL) {
        n += !strncmp(e->d_name, prefix, strlen(prefix));
    }
    if (dh) {
        closedir(dh);
    }
    return n;
}

/* arr - an array of strings, NULL-terminated arguments */
static apr_array_header_t *arr(const char *a, const char *b)
{
    apr_array_header_t *r = apr_array_make(pool, 2, sizeof(const char *));

    if (a) {
        APR_ARRAY_PUSH(r, const char *) = a;
    }
    if (b) {
        APR_ARRAY_PUSH(r, const char *) = b;
    }
    return r;
}

/* compose - a real notice from `from` to one or two addresses */
static wr_notice_t *compose(const char *from, const char *to1,
                            const char *to2, const char *bcc, apr_pool_t *p)
{
    static const char *const lines[] = {
        "GET /scripts/root.exe?/c+dir HTTP/1.0"
    };
    wr_notice_input_t in;
    wr_notice_host_t h;
    wr_notice_t *msg = NULL;
    const char *err = NULL;
    apr_time_t now = apr_time_now();

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
    in.to = arr(to1, to2);
    in.bcc = bcc ? arr(bcc, NULL) : NULL;
    in.domain = "example.test";
    in.server_name = "www.wormreply.test";
    in.format = "plain";
    in.hosts = &h;
    in.nhosts = 1;
    in.now = now;
    if (wr_notice_compose(&in, &msg, &err, p) != APR_SUCCESS) {
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

/* open_outbox - a fresh outbox for one case, on the rig's smarthost */
static wr_delivery_t *open_outbox(const char *name, int port,
                                  const char **dir)
{
    wr_delivery_conf_t c;
    wr_delivery_t *d = NULL;
    const char *err = NULL;

    wr_delivery_conf_default(&c);
    c.smtp.host = "localhost";
    c.smtp.port = (apr_port_t)port;
    c.smtp.ca_file = apr_pstrcat(pool, run, "/cert.pem", NULL);
    c.smtp.user = "wormtest";
    c.smtp.secret = "s3cret";
    c.smtp.connect_timeout = apr_time_from_sec(5);
    c.smtp.command_timeout = apr_time_from_sec(20);
    *dir = apr_pstrcat(pool, base, "/", name, NULL);
    if (wr_delivery_open(&d, *dir, &c, &err, pool) != APR_SUCCESS) {
        printf("# open %s: %s\n", *dir, err ? err : "");
    }
    return d;
}

/* extra - start or stop this test's extra exim */
static int extra(const char *verb, int port)
{
    return system(apr_psprintf(pool, "sh %s/t/rig/smtp.sh %s %d >/dev/null",
                               top, verb, port)) == 0;
}

/* touch - create an empty file */
static void touch(const char *path)
{
    apr_file_t *f;

    if (apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                      APR_FPROT_OS_DEFAULT, pool) == APR_SUCCESS) {
        apr_file_close(f);
    }
}

/* log_has_envelope_to - a Maildir copy of msgid was for `rcpt` */
static int log_has_envelope_to(const char *id, const char *rcpt)
{
    char *log = tl_slurp(apr_pstrcat(pool, run, "/log/mainlog", NULL), NULL,
                         pool);
    char *line, *save = NULL, *qid = NULL;

    /* the exim id of the message, then its delivery lines */
    for (line = log ? apr_strtok(log, "\n", &save) : NULL; line;
         line = apr_strtok(NULL, "\n", &save)) {
        if (strstr(line, " <= ") && strstr(line, apr_pstrcat(pool, " id=",
                                                             id, NULL))) {
            qid = apr_pstrmemdup(pool, line + 20, 16);
        }
        else if (qid && strstr(line, qid) && strstr(line, " => ")
                 && strstr(line, rcpt)) {
            return 1;
        }
    }
    return 0;
}

/* file_of_test - DIR/SUB/ID.EXT */
static const char *file_of_test(const char *dir, const char *sub,
                                const char *id, const char *ext)
{
    return apr_pstrcat(pool, dir, "/", sub, "/", id, ext, NULL);
}

/* test_envelope - From/To/Cc parsing for messages without .env */
static void test_envelope(void)
{
    const char *msg =
        "From: \"Worm, Reply\" <wr@example.org>\r\n"
        "To: a@example.test, \"B, with comma\" <b@example.test>,\r\n"
        "  c@example.test (a comment)\r\n"
        "Cc: Undisclosed:;\r\n"
        "Cc: d@example.test\r\n"
        "Subject: x\r\n"
        "\r\n"
        "To: not-a-header@example.test\r\n";
    const char *sender = NULL, *err = NULL;
    apr_array_header_t *rcpt = NULL;

    check_int(wr_delivery_envelope(msg, strlen(msg), &sender, &rcpt, &err,
                                   pool), APR_SUCCESS, "envelope: parsed");
    check_str(sender, "wr@example.org", "envelope: sender from From");
    check(rcpt && rcpt->nelts == 4, "envelope: 4 recipients (%d)",
          rcpt ? rcpt->nelts : -1);
    if (rcpt && rcpt->nelts == 4) {
        check_str(APR_ARRAY_IDX(rcpt, 1, const char *), "b@example.test",
                  "envelope: display name with a comma skipped");
        check_str(APR_ARRAY_IDX(rcpt, 2, const char *), "c@example.test",
                  "envelope: folded line, comment dropped");
        check_str(APR_ARRAY_IDX(rcpt, 3, const char *), "d@example.test",
                  "envelope: Cc, empty group skipped");
    }
    msg = "From: wr@example.org\r\nTo: bad address@x\r\n\r\n";
    check_int(wr_delivery_envelope(msg, strlen(msg), &sender, &rcpt, &err,
                                   pool), APR_EINVAL,
              "envelope: a bad address is refused");
    msg = "From: wr@example.org\r\nSubject: none\r\n\r\n";
    check_int(wr_delivery_envelope(msg, strlen(msg), &sender, &rcpt, &err,
                                   pool), APR_EINVAL,
              "envelope: no recipient is refused");
}

/* test_send - queued with envelopes (Bcc) and without, one session */
static void test_send(void)
{
    const char *dir, *from = apr_pstrcat(pool, tag, "@wormreply.test", NULL);
    wr_delivery_t *d = open_outbox("send", port_tls, &dir);
    wr_notice_t *m[3];
    wr_delivery_stats_t st;
    wr_delivery_queue_stat_t qs;
    char *text = NULL, *log;
    int k;

    if (!check(d != NULL, "send: outbox opened")) {
        return;
    }
    m[0] = compose(from, "postmaster@example.test", "abuse@example.test",
                   "admin@wormreply.test", pool);
    m[1] = compose(from, "postmaster@example.test", NULL,
                   "admin@wormreply.test", pool);
    m[2] = compose(from, "abuse@example.test", NULL, NULL, pool);
    check_int(wr_delivery_enqueue(d, m[0], apr_time_now(), NULL, pool),
              APR_SUCCESS, "send: queued with an envelope");
    check_int(wr_delivery_enqueue(d, m[1], apr_time_now(), NULL, pool),
              APR_SUCCESS, "send: second queued");
    check_int(wr_delivery_enqueue(d, m[1], apr_time_now(), NULL, pool),
              APR_EEXIST, "send: the same id twice is refused");
    check_int(wr_delivery_store(d, m[2], pool), APR_SUCCESS,
              "send: third written by the notifier's outbox writer");
    check_int(count_files(dir, ".env"), 2, "send: two envelopes");
    wr_delivery_queue_stat(d, &qs, pool);
    check_int(qs.queued, 3, "send: status says 3 queued");
    check(qs.oldest > 0, "send: oldest queued time known");
    check_int(wr_delivery_run(d, apr_time_now(), &st, pool), APR_SUCCESS,
              "send: pass ran");
    check_int(st.attempted, 3, "send: 3 in the session");
    check_int(st.sessions, 1, "send: a few messages take one session");
    check_int(st.left, 0, "send: none left for the next pass");
    check_int(st.sent, 3, "send: 3 sent");
    check_int(count_files(dir, ".eml"), 0, "send: queue empty");
    check_int(count_files(dir, ".env") + count_files(dir, ".state"), 0,
              "send: no sidecar left");
    check_int(count_files(apr_pstrcat(pool, dir, "/sent", NULL), ".eml"), 3,
              "send: 3 in sent/");
    log = tl_slurp(apr_pstrcat(pool, dir, "/sent/sent.log", NULL), NULL, pool);
    check(log && strstr(log, m[0]->report_id) && strstr(log, "queue-id=1"),
          "send: sent.log names the message and exim's queue id");
    for (k = 0; k < 3; k++) {
        int want = m[k]->rcpt->nelts;
        check_int(times_accepted(from, msgid(m[k])), 1,
                  "send: message %d taken in by exim once", k);
        check_int(tl_maildir_copies(run, msgid(m[k]), want, &text, pool), want,
                  "send: message %d delivered to its %d recipient%s", k,
                  want, want == 1 ? "" : "s");
    }
    check(text && !strstr(text, "\nBcc:"), "send: no Bcc header");
    tl_maildir_copies(run, msgid(m[1]), 2, NULL, pool);
    /* exim logs the delivery after it wrote the Maildir file: the line
     * may come a little after the copy (at most 5 s) */
    for (k = 0; k < 100 && !log_has_envelope_to(msgid(m[1]),
                                                 "admin@wormreply.test");
         k++) {
        apr_sleep(apr_time_from_msec(50));
    }
    check(log_has_envelope_to(msgid(m[1]), "admin@wormreply.test"),
          "send: the Bcc recipient got its copy (Envelope-to)");
    wr_delivery_queue_stat(d, &qs, pool);
    check_int(qs.queued, 0, "send: status says 0 queued");
    check_int(qs.sent, 3, "send: status says 3 kept in sent/");
}

/* return_paths - Envelope-to -> Return-path of every copy of Message-ID
 * <msgid> in the rig's Maildir (new/) */
static apr_hash_t *return_paths(const char *msgid, apr_pool_t *p)
{
    const char *dir = apr_pstrcat(p, run, "/Maildir/new", NULL);
    const char *hdr = apr_pstrcat(p, "\nMessage-ID: <", msgid, ">\n", NULL);
    apr_hash_t *h = apr_hash_make(p);
    DIR *dh = opendir(dir);
    struct dirent *e;

    while (dh && (e = readdir(dh)) != NULL) {
        char *t, *rp, *to;

        if (e->d_name[0] == '.'
            || (t = tl_slurp(apr_pstrcat(p, dir, "/", e->d_name, NULL), NULL,
                             p)) == NULL
            || !strstr(t, hdr)
            || (rp = strstr(t, "Return-path: <")) == NULL
            || (to = strstr(t, "Envelope-to: ")) == NULL) {
            continue;
        }
        rp += 14;
        to += 13;
        apr_hash_set(h, apr_pstrmemdup(p, to, strcspn(to, "\n")),
                     APR_HASH_KEY_STRING,
                     apr_pstrmemdup(p, rp, strcspn(rp, ">")));
    }
    if (dh) {
        closedir(dh);
    }
    return h;
}

/* test_verp - WormReplyBounceAddress: one SMTP transaction per recipient,
 * each with its own envelope sender (what the recipient's server bounces
 * to), the operator's Bcc copy with the plain bounce address */
static void test_verp(void)
{
    const char *dir, *from = apr_pstrcat(pool, tag, "@wormreply.test", NULL);
    const char *bounce = apr_pstrcat(pool, tag, "-b@wormreply.test", NULL);
    const char *to[] = { "postmaster@example.test", "abuse@example.test" };
    wr_delivery_t *d = open_outbox("verp", port_tls, &dir);
    wr_delivery_stats_t st;
    wr_verp_key_t k;
    wr_verp_token_t tok;
    wr_notice_t *m;
    apr_hash_t *rp;
    int i;

    if (!check(d != NULL, "verp: outbox opened")) {
        return;
    }
    /* the same outbox, now with a bounce address */
    {
        wr_delivery_conf_t c;
        wr_delivery_conf_default(&c);
        c.smtp.host = "localhost";
        c.smtp.port = (apr_port_t)port_tls;
        c.smtp.ca_file = apr_pstrcat(pool, run, "/cert.pem", NULL);
        c.smtp.user = "wormtest";
        c.smtp.secret = "s3cret";
        c.smtp.connect_timeout = apr_time_from_sec(5);
        c.smtp.command_timeout = apr_time_from_sec(20);
        c.bounce_address = bounce;
        check_int(wr_delivery_open(&d, dir, &c, NULL, pool), APR_SUCCESS,
                  "verp: opened with WormReplyBounceAddress");
    }
    m = compose(from, to[0], to[1], "admin@wormreply.test", pool);
    check_int(wr_delivery_enqueue(d, m, apr_time_now(), NULL, pool),
              APR_SUCCESS, "verp: queued");
    check_int(count_files(dir, ".eml"), 3, "verp: one message per "
              "recipient and one for the Bcc");
    check_int(wr_delivery_run(d, apr_time_now(), &st, pool), APR_SUCCESS,
              "verp: pass ran");
    check_int(st.sent, 3, "verp: 3 transactions sent");
    check_int(st.sessions, 1, "verp: in one session");
    check_int(tl_maildir_copies(run, msgid(m), 3, NULL, pool), 3,
              "verp: 3 copies arrived");
    rp = return_paths(msgid(m), pool);
    {
        wr_file_dir_t *h = NULL;
        wr_file_dir_open(&h, dir, 0, pool);
        check(h && wr_verp_key_load(h, 0, &k, pool) == APR_SUCCESS,
              "verp: the outbox's key read");
    }
    for (i = 0; i < 2; i++) {
        const char *s = apr_hash_get(rp, to[i], APR_HASH_KEY_STRING);
        check(s && wr_verp_check(&k, s, apr_time_now(), &tok, pool)
              == APR_SUCCESS && !strcmp(tok.rcpt, to[i]),
              "verp: %s saw a Return-path whose token names it (%s)", to[i],
              s ? s : "none");
    }
    check_str(apr_hash_get(rp, "admin@wormreply.test", APR_HASH_KEY_STRING),
              bounce, "verp: the operator's copy has the plain address");
}

/* test_relay_denied - a 5.7.x refusal of a recipient by the smarthost
 * (relay or authorization) is deferred, never suppressed or failed */
static void test_relay_denied(void)
{
    const char *from = apr_pstrcat(pool, tag, "x@wormreply.test", NULL);
    const char *denied = apr_pstrcat(pool, "relaydeny-", tag, "@example.test",
                                     NULL);
    const char *dir, *env, *nid;
    wr_delivery_t *d = open_outbox("relaydeny", port_tls, &dir);
    wr_delivery_stats_t st;
    wr_notice_t *m1, *m2;
    apr_time_t now = apr_time_now();

    if (!check(d != NULL, "relay denied: outbox")) {
        return;
    }
    m1 = compose(from, denied, NULL, NULL, pool);
    m2 = compose(from, "postmaster@example.test", denied, NULL, pool);
    wr_delivery_enqueue(d, m1, now, NULL, pool);
    wr_delivery_enqueue(d, m2, now, NULL, pool);
    wr_delivery_run(d, now, &st, pool);
    check_int(st.failed, 0, "relay denied: nothing failed");
    check_int(st.suppressed, 0, "relay denied: nobody suppressed");
    check_int(st.deferred, 1, "relay denied: the one with that recipient "
              "alone is deferred");
    check_int(st.sent, 1, "relay denied: the other sent to postmaster");
    check_int(st.requeued, 1, "relay denied: a copy queued for the denied "
              "recipient");
    check(!wr_delivery_suppressed(d, denied, now),
          "relay denied: the address is not suppressed");
    env = tl_slurp(apr_pstrcat(pool, dir, "/", m1->report_id, ".env", NULL),
                   NULL, pool);
    check(env && strstr(env, denied), "relay denied: the deferred one keeps "
          "its recipient");
    nid = apr_pstrcat(pool, m2->report_id, "-r1", NULL);
    env = tl_slurp(apr_pstrcat(pool, dir, "/", nid, ".env", NULL), NULL, pool);
    check(env && strstr(env, denied) && !strstr(env, "postmaster@"),
          "relay denied: the copy is for the denied recipient alone");
    check_int(count_files(apr_pstrcat(pool, dir, "/failed", NULL), ".eml"),
              0, "relay denied: failed/ is empty");
}

/* swept_at - the modification time of DIR/.swept, 0 if none */
static apr_time_t swept_at(const char *dir)
{
    apr_finfo_t fi;

    return apr_stat(&fi, apr_pstrcat(pool, dir, "/.swept", NULL),
                    APR_FINFO_MTIME, pool) == APR_SUCCESS ? fi.mtime : 0;
}

/* test_sweep - the hourly sweep is scheduled across handles (each
 * delivery process opens its own), through DIR/.swept */
static void test_sweep(void)
{
    const char *dir;
    wr_delivery_t *d = open_outbox("sweep", port_tls, &dir);
    wr_delivery_stats_t st;
    apr_time_t t0 = apr_time_from_sec(apr_time_sec(apr_time_now()));

    if (!check(d != NULL, "sweep: outbox")) {
        return;
    }
    wr_delivery_run(d, t0, &st, pool);
    check(swept_at(dir) == t0, "sweep: the first pass sweeps and says when");
    d = open_outbox("sweep", port_tls, &dir);
    wr_delivery_run(d, t0 + MINUTE, &st, pool);
    check(swept_at(dir) == t0, "sweep: a new handle a minute later does not "
          "sweep again");
    d = open_outbox("sweep", port_tls, &dir);
    wr_delivery_run(d, t0 + 61 * MINUTE, &st, pool);
    check(swept_at(dir) == t0 + 61 * MINUTE, "sweep: an hour later it does");
}

/* test_retry - 4xx, then 2xx: backoff per destination */
static void test_retry(void)
{
    const char *lp = apr_pstrcat(pool, tag, "r", NULL);
    const char *from = apr_pstrcat(pool, lp, "@wormreply.test", NULL);
    const char *flag = apr_pstrcat(pool, run, "/defer-", lp, NULL);
    const char *dir;
    wr_delivery_t *d = open_outbox("retry", port_tls, &dir);
    wr_delivery_stats_t st;
    wr_delivery_queue_stat_t qs;
    wr_notice_t *m = compose(from, "postmaster@example.test", NULL, NULL,
                             pool);
    apr_time_t t0 = apr_time_now(), t;
    char *log;

    if (!check(d && m, "retry: outbox and notice")) {
        return;
    }
    wr_delivery_enqueue(d, m, t0, NULL, pool);
    touch(flag);
    wr_delivery_run(d, t0, &st, pool);
    check_int(st.deferred, 1, "retry: 451 -> deferred");
    check(st.error && strstr(st.error, "451 4.3.0"), "retry: the session's "
          "error is the 451 (%s)", st.error ? st.error : "none");
    wr_delivery_queue_stat(d, &qs, pool);
    check_int(qs.next_try - t0, 5 * MINUTE, "retry: next try after 5m");
    check_int(qs.dest_failures, 1, "retry: destination failed once");
    check(qs.last_error && strstr(qs.last_error, "451"),
          "retry: status shows the last SMTP error");
    check_int(qs.retrying, 1, "retry: status counts it as retrying");
    wr_delivery_run(d, t0 + 5 * MINUTE - 1, &st, pool);
    check_int(st.session, 0, "retry: no session before 5m");
    check_int(st.waiting, 1, "retry: it waits");
    t = t0 + 5 * MINUTE;
    wr_delivery_run(d, t, &st, pool);
    check_int(st.deferred, 1, "retry: second 451 at 5m");
    wr_delivery_queue_stat(d, &qs, pool);
    check_int(qs.next_try - t, 10 * MINUTE, "retry: then after 10m more");
    t += 10 * MINUTE;
    wr_delivery_run(d, t, &st, pool);
    wr_delivery_queue_stat(d, &qs, pool);
    check_int(qs.next_try - t, 20 * MINUTE, "retry: then 20m (doubling)");
    check_int(wr_backoff(t0, 5 * MINUTE, 240 * MINUTE, 3), t + 20 * MINUTE,
              "retry: the times are wr_backoff's series");
    apr_file_remove(flag, pool);
    wr_delivery_run(d, t + 20 * MINUTE - 1, &st, pool);
    check_int(st.session, 0, "retry: flag removed, still waiting");
    t += 20 * MINUTE;
    wr_delivery_run(d, t, &st, pool);
    check_int(st.sent, 1, "retry: sent on the 4th try");
    check_int(times_accepted(from, msgid(m)), 1, "retry: exim took it in "
              "exactly once");
    check_int(tl_maildir_copies(run, msgid(m), 1, NULL, pool), 1,
              "retry: one copy delivered");
    wr_delivery_queue_stat(d, &qs, pool);
    check_int(qs.next_try, 0, "retry: destination no longer backing off");
    check_int(qs.dest_failures, 0, "retry: failures reset");
    log = tl_slurp(apr_pstrcat(pool, dir, "/sent/sent.log", NULL), NULL, pool);
    check(log && strstr(log, "attempts=4"), "retry: sent.log says 4 "
          "attempts");
}

/* test_refused - 5xx to failed/ and suppression; a 4xx recipient alone is
 * queued again; the maximum queue time */
static void test_refused(void)
{
    const char *from = apr_pstrcat(pool, tag, "@wormreply.test", NULL);
    const char *dir, *nid, *env, *fst;
    const char *refuse = apr_pstrcat(pool, "refuse-", tag, "@example.test",
                                     NULL);
    const char *refuse2 = apr_pstrcat(pool, "refuse2-", tag, "@example.test",
                                      NULL);
    const char *tmpf = apr_pstrcat(pool, "tempfail-", tag, "@example.test",
                                   NULL);
    wr_delivery_t *d = open_outbox("refused", port_tls, &dir);
    wr_delivery_stats_t st;
    wr_notice_t *m1, *m2, *m3, *m4;
    apr_time_t now = apr_time_now();
    int dropped = -1;

    if (!check(d != NULL, "refused: outbox")) {
        return;
    }
    m1 = compose(from, refuse, NULL, NULL, pool);
    m2 = compose(from, "postmaster@example.test", refuse2, NULL, pool);
    m3 = compose(from, "abuse@example.test", tmpf, NULL, pool);
    wr_delivery_enqueue(d, m1, now, NULL, pool);
    wr_delivery_enqueue(d, m2, now, NULL, pool);
    wr_delivery_enqueue(d, m3, now, NULL, pool);
    wr_delivery_run(d, now, &st, pool);
    check_int(st.failed, 1, "refused: the all-refused one failed");
    check_int(st.sent, 2, "refused: the others sent");
    check_int(st.suppressed, 2, "refused: two recipients suppressed");
    check_int(st.requeued, 1, "refused: a copy queued for the 4xx "
              "recipient");
    fst = tl_slurp(file_of_test(dir, "failed", m1->report_id, ".state"),
                   NULL, pool);
    check(fst && strstr(fst, "failure: every recipient refused")
          && strstr(fst, "5.1.1"), "refused: failed/ says why");
    check(tl_slurp(file_of_test(dir, "failed", m1->report_id, ".eml"), NULL,
                   pool) != NULL, "refused: the text is in failed/");
    check(wr_delivery_suppressed(d, refuse, now), "refused: suppressed");
    check(wr_delivery_suppressed(d, apr_pstrcat(pool, "REFUSE-", tag,
                                                "@Example.TEST", NULL), now),
          "refused: suppressed in any case");
    check(wr_delivery_suppressed(d, refuse2, now), "refused: the refused one "
          "of two suppressed too");
    check(!wr_delivery_suppressed(d, "postmaster@example.test", now),
          "refused: the accepted one is not");
    check(!wr_delivery_suppressed(d, refuse, now + 31 * 1440 * MINUTE),
          "refused: the suppression expires (30 days)");
    m4 = compose(from, refuse, NULL, NULL, pool);
    check_int(wr_delivery_enqueue(d, m4, now, &dropped, pool), APR_ENOENT,
              "refused: a new notice to a suppressed address is not queued");
    check_int(dropped, 1, "refused: and says so");
    check_int(times_accepted(from, msgid(m2)), 1, "refused: the partly "
              "refused one was taken in once");

    nid = apr_pstrcat(pool, m3->report_id, "-r1", NULL);
    env = tl_slurp(apr_pstrcat(pool, dir, "/", nid, ".env", NULL), NULL, pool);
    check(env && strstr(env, tmpf) && !strstr(env, "abuse@"),
          "refused: the copy's envelope holds the 4xx recipient alone");
    check(tl_slurp(apr_pstrcat(pool, dir, "/", nid, ".eml", NULL), NULL, pool)
          != NULL, "refused: the copy is queued");
    wr_delivery_run(d, now + 5 * MINUTE, &st, pool);
    check_int(st.deferred, 1, "refused: the copy is deferred again");
    check_int(count_files(dir, ".eml"), 1, "refused: only the copy queued");
    wr_delivery_run(d, now + 5 * 1440 * MINUTE + MINUTE, &st, pool);
    check_int(st.expired, 1, "refused: after 5 days it expires");
    fst = tl_slurp(file_of_test(dir, "failed", nid, ".state"), NULL, pool);
    check(fst && strstr(fst, "failure: expired") && strstr(fst, "4.2.1"),
          "refused: failed/ says expired, with the last error");
    check_int(count_files(dir, ".eml"), 0, "refused: queue empty");
}

/* test_down_up - the smarthost down, then up */
static void test_down_up(void)
{
    const char *from = apr_pstrcat(pool, tag, "@wormreply.test", NULL);
    const char *dir;
    wr_delivery_t *d = open_outbox("downup", port_updown, &dir);
    wr_delivery_stats_t st;
    wr_notice_t *m[2];
    apr_time_t now = apr_time_now();

    extra("extra-stop", port_updown);
    m[0] = compose(from, "postmaster@example.test", NULL, NULL, pool);
    m[1] = compose(from, "abuse@example.test", NULL, NULL, pool);
    wr_delivery_enqueue(d, m[0], now, NULL, pool);
    wr_delivery_run(d, now, &st, pool);
    check_int(st.deferred, 1, "down: deferred");
    check(st.error && strstr(st.error, "Connection refused"),
          "down: the reason (%s)", st.error ? st.error : "none");
    wr_delivery_enqueue(d, m[1], now + MINUTE, NULL, pool);
    wr_delivery_run(d, now + MINUTE, &st, pool);
    check_int(st.session, 0, "down: a new notice waits for the destination");
    check_int(st.waiting, 2, "down: both wait");
    if (!check(extra("extra-start", port_updown), "up: server started")) {
        return;
    }
    wr_delivery_run(d, now + 5 * MINUTE, &st, pool);
    check_int(st.sent, 2, "up: both sent in one session");
    check_int(times_accepted(from, msgid(m[0])) + times_accepted(from,
                                                              msgid(m[1])),
              2, "up: each taken in once");
    extra("extra-stop", port_updown);
}

/* enqueue_many - n notices from `from`, ids returned */
static apr_array_header_t *enqueue_many(wr_delivery_t *d, const char *from,
                                        int n)
{
    apr_array_header_t *ids = apr_array_make(pool, n, sizeof(const char *));
    int k;

    for (k = 0; k < n; k++) {
        apr_pool_t *p;
        wr_notice_t *m;

        apr_pool_create(&p, pool);
        m = compose(from, "postmaster@example.test", NULL, NULL, p);
        if (m && wr_delivery_enqueue(d, m, apr_time_now(), NULL, p)
                 == APR_SUCCESS) {
            APR_ARRAY_PUSH(ids, const char *) = msgid(m);
        }
        apr_pool_destroy(p);
    }
    return ids;
}

/* child_of - a child process of `parent` (from /proc), or -1 */
static pid_t child_of(pid_t parent)
{
    DIR *dh = opendir("/proc");
    struct dirent *e;
    pid_t found = -1;

    while (dh && found < 0 && (e = readdir(dh)) != NULL) {
        char path[300], buf[512], *c;
        FILE *f;
        int ppid;

        if (e->d_name[0] < '1' || e->d_name[0] > '9') {
            continue;
        }
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        if ((f = fopen(path, "r")) == NULL) {
            continue;
        }
        if (fgets(buf, sizeof(buf), f) && (c = strrchr(buf, ')')) != NULL
            && sscanf(c + 1, " %*c %d", &ppid) == 1 && ppid == parent) {
            found = (pid_t)atoi(e->d_name);
        }
        fclose(f);
    }
    if (dh) {
        closedir(dh);
    }
    return found;
}

typedef enum { KILL_RUNNER, KILL_SESSION } crash_kill_e;

/* test_crash - kill -9 in the middle of a pass of `sessions` sessions:
 * of the runner (its child sessions live on and finish), or of one child
 * session (the runner goes on) */
static void test_crash(const char *name, int sessions, crash_kill_e what)
{
    const char *lp = apr_pstrcat(pool, tag, "c", name, NULL);
    const char *from = apr_pstrcat(pool, lp, "@wormreply.test", NULL);
    const char *dir;
    wr_delivery_t *d = open_outbox(name, port_tls, &dir);
    wr_delivery_stats_t st;
    apr_array_header_t *ids;
    apr_hash_t *seen;
    pid_t pid, victim = -1;
    int k, lost = 0, twice = 0, recovered = 0, before = 0, status, passes;
    int busy = 0;
    apr_time_t t0;

    if (!check(d != NULL, "%s: outbox", name)) {
        return;
    }
    ids = enqueue_many(d, from, 200);
    check_int(ids->nelts, 200, "%s: 200 notices queued", name);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        /* the child: its own handle, one pass of everything */
        wr_delivery_conf_t c;
        wr_delivery_t *cd;
        wr_delivery_stats_t cst;
        wr_delivery_conf_default(&c);
        c.smtp.host = "localhost";
        c.smtp.port = (apr_port_t)port_tls;
        c.smtp.ca_file = apr_pstrcat(pool, run, "/cert.pem", NULL);
        c.smtp.user = "wormtest";
        c.smtp.secret = "s3cret";
        c.batch_max = 200 / sessions;
        c.sessions = sessions;
        if (wr_delivery_open(&cd, dir, &c, NULL, pool) == APR_SUCCESS) {
            wr_delivery_run(cd, apr_time_now(), &cst, pool);
            /* what the runner saw of the session that was killed */
            _exit(cst.recovered > 0 ? 3 : 0);
        }
        _exit(2);
    }
    /* kill once exim has taken in a good part, at most after 20 s */
    t0 = apr_time_now();
    while (apr_time_now() - t0 < apr_time_from_sec(20)) {
        apr_pool_t *p;
        apr_pool_create(&p, pool);
        before = (int)apr_hash_count(accepted(from, p));
        apr_pool_destroy(p);
        if (what == KILL_SESSION && victim < 0) {
            victim = child_of(pid);
        }
        if (before >= 40 && (what == KILL_RUNNER || victim > 0)) {
            break;
        }
        apr_sleep(apr_time_from_msec(5));
    }
    if (what == KILL_RUNNER) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
              "%s: the runner was killed mid-pass (%d of 200 accepted by "
              "then)", name, before);
    }
    else {
        check(victim > 0 && kill(victim, SIGKILL) == 0,
              "%s: a child session (pid %ld) was killed mid-pass (%d of 200 "
              "accepted by then)", name, (long)victim, before);
        waitpid(pid, &status, 0);
        check(WIFEXITED(status) && WEXITSTATUS(status) != 2,
              "%s: the runner went on to the end (status %d)", name,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        recovered += WIFEXITED(status) && WEXITSTATUS(status) == 3;
    }
    check(before > 0 && before < 200, "%s: the kill fell inside the pass",
          name);
    /* a new runner, as after a restart; sessions that outlived a killed
     * runner keep others out (APR_EAGAIN) until they end */
    d = open_outbox(name, port_tls, &dir);
    t0 = apr_time_now();
    for (passes = 0; passes < 400 && count_files(dir, ".eml") > 0
         && apr_time_now() - t0 < apr_time_from_sec(60); passes++) {
        apr_status_t rv = wr_delivery_run(d, apr_time_now(), &st, pool);
        if (APR_STATUS_IS_EAGAIN(rv)) {
            busy++;
            apr_sleep(apr_time_from_msec(50));
            continue;
        }
        recovered += st.recovered;
    }
    check_int(count_files(dir, ".eml"), 0, "%s: queue drained after the "
              "restart (%d passes, %d while the old sessions held the lock)",
              name, passes, busy);
    seen = accepted(from, pool);
    for (k = 0; k < ids->nelts; k++) {
        int *n = apr_hash_get(seen, APR_ARRAY_IDX(ids, k, const char *),
                              APR_HASH_KEY_STRING);
        if (n == NULL) {
            lost++;
        }
        else if (*n > 1) {
            twice++;
        }
    }
    check_int(lost, 0, "%s: no notice lost", name);
    check(twice <= recovered && recovered <= 1,
          "%s: none twice but the one named in .inflight (%d twice, %d "
          "in an open transaction at the kill)", name, twice, recovered);
    printf("# %s: killed after %d of 200 accepted; %d sent twice; %d "
           "found in an open transaction\n", name, before, twice,
           recovered);
    check_int(count_files(apr_pstrcat(pool, dir, "/sent", NULL), ".eml"),
              200, "%s: all 200 in sent/", name);
    check_int(count_prefix(dir, ".inflight"), 0, "%s: no .inflight left",
              name);
}

/* test_throughput - 500 notices in passes of 4 sessions of 50 */
static void test_throughput(void)
{
    const char *lp = apr_pstrcat(pool, tag, "t", NULL);
    const char *from = apr_pstrcat(pool, lp, "@wormreply.test", NULL);
    const char *dir;
    wr_delivery_t *d = open_outbox("throughput", port_tls, &dir);
    wr_delivery_stats_t st;
    apr_array_header_t *ids;
    apr_hash_t *seen;
    apr_time_t t0, el;
    int sent = 0, passes, k, once = 0, most = 0;

    if (!check(d != NULL, "throughput: outbox")) {
        return;
    }
    t0 = apr_time_now();
    ids = enqueue_many(d, from, 500);
    el = apr_time_now() - t0;
    printf("# enqueue: 500 notices composed and queued in %.2f s (%.0f/s)\n",
           (double)el / APR_USEC_PER_SEC,
           500.0 * APR_USEC_PER_SEC / (double)(el ? el : 1));
    t0 = apr_time_now();
    for (passes = 0; passes < 30 && sent < 500; passes++) {
        if (wr_delivery_run(d, apr_time_now(), &st, pool) != APR_SUCCESS) {
            break;
        }
        sent += st.sent;
        most = st.sessions > most ? st.sessions : most;
    }
    el = apr_time_now() - t0;
    check_int(sent, 500, "throughput: 500 sent");
    check_int(passes, 3, "throughput: in 3 passes (200, 200, 100)");
    check_int(most, WR_DELIVERY_DEFAULT_SESSIONS, "throughput: of up to %d "
              "sessions of 50 side by side", WR_DELIVERY_DEFAULT_SESSIONS);
    seen = accepted(from, pool);
    for (k = 0; k < ids->nelts; k++) {
        int *n = apr_hash_get(seen, APR_ARRAY_IDX(ids, k, const char *),
                              APR_HASH_KEY_STRING);
        once += n && *n == 1;
    }
    check_int(once, 500, "throughput: each taken in by exim exactly once");
    printf("# throughput: %.0f notices/s to the local exim (500 in %.2f s, "
           "up to 4 sessions of 50 at once, STARTTLS + AUTH PLAIN; target >= 100/s)\n",
           500.0 * APR_USEC_PER_SEC / (double)(el ? el : 1),
           (double)el / APR_USEC_PER_SEC);
}

int main(void)
{
    const char *rigdir;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    top = getenv("WORMREPLY_TOP") ? getenv("WORMREPLY_TOP") : ".";
    rigdir = getenv("WR_RIG_DIR") ? getenv("WR_RIG_DIR")
             : apr_pstrcat(pool, top, "/t/rig/run", NULL);
    run = apr_pstrcat(pool, rigdir, "/smtp", NULL);
    if (getenv("WR_TEST_SMTP_PORT")) {
        port_tls = atoi(getenv("WR_TEST_SMTP_PORT"));
    }
    if (getenv("WR_TEST_SMTP_EXTRA_PORT")) {
        port_updown = atoi(getenv("WR_TEST_SMTP_EXTRA_PORT"));
    }
    apr_snprintf(tag, sizeof(tag), "td%ld", (long)getpid());
    base = apr_psprintf(pool, "/tmp/wr-delivery-%ld", (long)getpid());
    test_envelope();
    if (!check(tl_smtp_greets(port_tls), "the SMTP rig answers on "
               "127.0.0.1:%d (start it with sh t/rig/smtp.sh start)",
               port_tls)) {
        return done_testing();
    }
    test_send();
    test_retry();
    test_refused();
    test_relay_denied();
    test_verp();
    test_sweep();
    test_down_up();
    test_crash("crash", 1, KILL_RUNNER);
    test_crash("crash-parallel", 4, KILL_RUNNER);
    test_crash("crash-session", 4, KILL_SESSION);
    test_throughput();
    if (system(apr_psprintf(pool, "rm -rf %s", base)) != 0) {
        printf("# could not remove %s\n", base);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
