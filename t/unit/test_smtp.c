/* test_smtp.c - wr_smtp against the real exim of t/rig/smtp.sh on loopback:
 * AUTH PLAIN/LOGIN/CRAM-MD5 over STARTTLS, refused AUTH, untrusted and
 * misnamed certificates, STARTTLS required but not offered, no AUTH, 4xx
 * and 5xx on demand, a server that is down, silent or slow, and the secret
 * file's contract. Every check of "nothing was sent" reads exim's own log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <dirent.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "test-rig.h"
#include "wr_smtp.h"

/* the rig's ports (t/rig/smtp.sh); WR_TEST_SMTP_PORT and
 * WR_TEST_SMTP_NOTLS_PORT name those of another rig */
#define PORT_TLS_DEFAULT 12525
#define PORT_NOTLS_DEFAULT 12527
/* extra daemons of this test: the ASan build runs beside the plain one */
#if defined(__SANITIZE_ADDRESS__)
#define EXTRA 12534
#else
#define EXTRA 12528
#endif
#define PORT_LOGIN (EXTRA + 0)
#define PORT_CRAM (EXTRA + 1)
#define PORT_ATTACK (EXTRA + 2)
/* nothing listens there (the other build's down/up port is never used) */
#define PORT_DOWN 12539

static apr_pool_t *pool;
static int port_tls = PORT_TLS_DEFAULT;
static int port_notls = PORT_NOTLS_DEFAULT;
static const char *run;          /* rig state: .../smtp */
static const char *top;          /* repository top */
static char tag[32];             /* this run's sender local part */
static int seq;

/* log_lines - exim's mainlog, one string per line */
static apr_array_header_t *log_lines(void)
{
    char *log = tl_slurp(apr_pstrcat(pool, run, "/log/mainlog", NULL), NULL,
                         pool);
    apr_array_header_t *a = apr_array_make(pool, 64, sizeof(char *));
    char *line, *save = NULL;

    for (line = log ? apr_strtok(log, "\n", &save) : NULL; line;
         line = apr_strtok(NULL, "\n", &save)) {
        APR_ARRAY_PUSH(a, char *) = line;
    }
    return a;
}

#define LINE(a, k) APR_ARRAY_IDX((a), (k), const char *)

/* log_count - lines of exim's mainlog holding every one of the strings */
static int log_count(const char *a, const char *b)
{
    apr_array_header_t *lines = log_lines();
    int k, n = 0;

    for (k = 0; k < lines->nelts; k++) {
        n += strstr(LINE(lines, k), a)
             && (b == NULL || strstr(LINE(lines, k), b));
    }
    return n;
}

/* accepted_count - how many times exim took the message in ("<=" lines,
 * written before it answers 250) */
static int accepted_count(const char *msgid)
{
    return log_count(" <= ", apr_pstrcat(pool, " id=", msgid, NULL));
}

/* lf - CRLF to LF, as exim stores messages in the Maildir */
static char *lf(const char *s)
{
    char *t = apr_palloc(pool, strlen(s) + 1), *o = t;

    for (; *s; s++) {
        if (!(s[0] == '\r' && s[1] == '\n')) {
            *o++ = *s;
        }
    }
    *o = '\0';
    return t;
}

/* new_msg - a message with a fresh Message-ID: a line starting with a dot,
 * one of 990 octets, and with `eightbit` UTF-8 text */
static wr_smtp_msg_t new_msg(const char *rcpt1, const char *rcpt2,
                             int eightbit, const char **msgid)
{
    wr_smtp_msg_t m;
    apr_array_header_t *r = apr_array_make(pool, 2, sizeof(const char *));
    char *longline = apr_palloc(pool, 991);
    const char *id = apr_psprintf(pool, "%s-%d@wormreply.test", tag, ++seq);

    memset(longline, 'x', 990);
    longline[990] = '\0';
    APR_ARRAY_PUSH(r, const char *) = rcpt1;
    if (rcpt2) {
        APR_ARRAY_PUSH(r, const char *) = rcpt2;
    }
    memset(&m, 0, sizeof(m));
    m.sender = apr_pstrcat(pool, tag, "@wormreply.test", NULL);
    m.rcpt = r;
    m.data = apr_pstrcat(pool,
        "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
        "From: Wormreply <", m.sender, ">\r\n"
        "To: ", rcpt1, rcpt2 ? ", " : "", rcpt2 ? rcpt2 : "", "\r\n"
        "Subject: test ", id, "\r\n"
        "Message-ID: <", id, ">\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: ", eightbit ? "8bit" : "7bit", "\r\n"
        "\r\n"
        "First line.\r\n"
        ".a line that starts with a dot\r\n"
        ".\r\n"
        "..two dots\r\n",
        eightbit ? "Gr\xc3\xbc\xc3\x9f""e aus K\xc3\xb6ln\r\n" : "",
        longline, "\r\n"
        "Last line.\r\n", NULL);
    m.len = strlen(m.data);
    m.eightbit = eightbit;
    *msgid = id;
    return m;
}

/* conf_for - the rig's smarthost with AUTH and the rig's CA */
static wr_smtp_conf_t conf_for(int port, const char *helo)
{
    wr_smtp_conf_t c;

    memset(&c, 0, sizeof(c));
    c.host = "localhost";
    c.port = (apr_port_t)port;
    c.ca_file = apr_pstrcat(pool, run, "/cert.pem", NULL);
    c.user = "wormtest";
    c.secret = "s3cret";
    c.helo = apr_psprintf(pool, "%s-%s.wormreply.test", tag, helo);
    c.connect_timeout = apr_time_from_sec(5);
    c.command_timeout = apr_time_from_sec(10);
    return c;
}

/* no_mail_line - exim's "no MAIL in SMTP connection from (HELO)" line of
 * a session (the commands it got, in C=...); NULL if none */
static const char *no_mail_line(const wr_smtp_conf_t *c)
{
    apr_array_header_t *lines = log_lines();
    const char *want = apr_pstrcat(pool, "no MAIL in SMTP connection from (",
                                   c->helo, ")", NULL), *found = NULL;
    int k;

    for (k = 0; k < lines->nelts; k++) {
        if (strstr(LINE(lines, k), want)) {
            found = LINE(lines, k);
        }
    }
    return found;
}

/* no_mail_line_wait - the same, waiting up to 5 s for exim to write it */
static const char *no_mail_line_wait(const wr_smtp_conf_t *c)
{
    const char *line = NULL;
    int tries;

    for (tries = 0; tries < 100 && line == NULL; tries++) {
        if ((line = no_mail_line(c)) == NULL) {
            apr_sleep(apr_time_from_msec(50));
        }
    }
    return line;
}

/* tls_quits - sessions that ended right after STARTTLS: exim forgets the
 * HELO name with STARTTLS, so these are counted, not named */
static int tls_quits(void)
{
    return log_count("no MAIL in SMTP connection from [127.0.0.1]",
                     "C=EHLO,STARTTLS,QUIT");
}

/* tls_quit_seen - whether such a session was logged after `before` of them
 * (exim logs it when the connection closes: wait up to 5 s) */
static int tls_quit_seen(int before)
{
    int tries;

    for (tries = 0; tries < 100; tries++) {
        if (tls_quits() > before) {
            return 1;
        }
        apr_sleep(apr_time_from_msec(50));
    }
    return 0;
}

static int started_calls, accepted_calls;

static void on_started(wr_smtp_msg_t *m, void *b)
{
    (void)m;
    (void)b;
    started_calls++;
}

static void on_accepted(wr_smtp_msg_t *m, void *b)
{
    (void)b;
    /* the hook sees the outcome already decided */
    if (m->outcome == WR_SMTP_SENT) {
        accepted_calls++;
    }
}

static const wr_smtp_hooks_t hooks = { on_started, on_accepted, NULL };

/* one - send one message, return it with its outcome */
static wr_smtp_msg_t one(const wr_smtp_conf_t *c, const char *rcpt1,
                         const char *rcpt2, const char **msgid,
                         wr_smtp_session_t *info)
{
    wr_smtp_msg_t m = new_msg(rcpt1, rcpt2, 0, msgid);
    apr_status_t rv = wr_smtp_send(c, &m, 1, &hooks, info, pool);

    if (rv != APR_SUCCESS) {
        printf("# wr_smtp_send: %d\n", rv);
    }
    printf("# %s: %s\n", wr_smtp_outcome_name(m.outcome), m.reason);
    return m;
}

/* extra - start or stop an extra exim of the rig */
static int extra(const char *verb, int port, const char *opts)
{
    const char *cmd = apr_psprintf(pool, "sh %s/t/rig/smtp.sh %s %d %s "
                                   ">/dev/null", top, verb, port,
                                   opts ? opts : "");
    return system(cmd) == 0;
}

/* test_auth - PLAIN, LOGIN and CRAM-MD5 over STARTTLS, 2 messages in one
 * session, delivered intact and exactly once */
static void test_auth(void)
{
    wr_smtp_conf_t c = conf_for(port_tls, "plain");
    wr_smtp_msg_t m[2];
    wr_smtp_session_t info;
    const char *id[2];
    char *body = NULL;
    int k;

    m[0] = new_msg("postmaster@example.test", "abuse@example.test", 0,
                   &id[0]);
    m[1] = new_msg("postmaster@example.test", NULL, 1, &id[1]);
    started_calls = accepted_calls = 0;
    check_int(wr_smtp_send(&c, m, 2, &hooks, &info, pool), APR_SUCCESS,
              "PLAIN: session ran");
    printf("# %s / %s\n", m[0].reason, m[1].reason);
    for (k = 0; k < 2; k++) {
        check_int(m[k].outcome, WR_SMTP_SENT, "PLAIN: message %d sent", k);
        check_int(m[k].code / 100, 2, "PLAIN: message %d got a 2xx", k);
        check(m[k].queue_id && strlen(m[k].queue_id) >= 6,
              "PLAIN: message %d has exim's queue id (%s)", k,
              m[k].queue_id ? m[k].queue_id : "none");
        /* exim delivers one copy per recipient */
        check_int(tl_maildir_copies(run, id[k], 2 - k, &body, pool), 2 - k,
                  "PLAIN: message %d in the Maildir once per recipient", k);
        check(body && strlen(body) >= strlen(lf(m[k].data))
              && !strcmp(body + strlen(body) - strlen(lf(m[k].data)),
                         lf(m[k].data)),
              "PLAIN: message %d arrived byte for byte (dots, 990-octet "
              "line%s)", k, k ? ", UTF-8" : "");
        check_int(accepted_count(id[k]), 1, "PLAIN: exim took %d in once",
                  k);
        check_int(log_count(apr_pstrcat(pool, "id=", id[k], NULL),
                            "A=plain:wormtest"), 1,
                  "PLAIN: exim logged AUTH PLAIN as wormtest for %d", k);
        check(log_count(apr_pstrcat(pool, "id=", id[k], NULL), " X=TLS"),
              "PLAIN: exim logged TLS for %d", k);
    }
    check(m[0].queue_id && log_count(apr_pstrcat(pool, m[0].queue_id,
                                                 " <= ", NULL), NULL) == 1,
          "PLAIN: the queue id is exim's id of the message");
    check_int(started_calls, 2, "PLAIN: started hook per message");
    check_int(accepted_calls, 2, "PLAIN: accepted hook per message, with "
              "the outcome set");
    check(info.tls && info.tls_cipher, "PLAIN: TLS (%s)",
          info.tls_cipher ? info.tls_cipher : "none");
    check_int(info.auth, 1, "PLAIN: AUTH accepted");
    check_str(info.auth_mechanism, "PLAIN", "PLAIN: the server's first "
              "mechanism was used");
    check(info.error == NULL, "PLAIN: no session error");
    check_int(info.n_sent, 2, "PLAIN: two sent in the session");
    check_int(log_count(apr_pstrcat(pool, "(", c.helo, ")", NULL),
                        "closed by QUIT"), 1,
              "PLAIN: one connection for both messages");

    if (!check(extra("extra-start", PORT_LOGIN, "login"),
               "LOGIN: extra exim offering LOGIN alone started")) {
        return;
    }
    c = conf_for(PORT_LOGIN, "login");
    m[0] = one(&c, "postmaster@example.test", NULL, &id[0], &info);
    check_int(m[0].outcome, WR_SMTP_SENT, "LOGIN: sent");
    check_str(info.auth_mechanism, "LOGIN", "LOGIN: mechanism");
    check_int(tl_maildir_copies(run, id[0], 1, NULL, pool), 1,
              "LOGIN: in the Maildir once");
    check_int(log_count(apr_pstrcat(pool, "id=", id[0], NULL),
                        "A=login:wormtest"), 1, "LOGIN: exim logged AUTH "
              "LOGIN over TLS");
    extra("extra-stop", PORT_LOGIN, NULL);

    if (!check(extra("extra-start", PORT_CRAM, "cram"),
               "CRAM-MD5: extra exim offering CRAM-MD5 alone started")) {
        return;
    }
    c = conf_for(PORT_CRAM, "cram");
    m[0] = one(&c, "postmaster@example.test", NULL, &id[0], &info);
    check_int(m[0].outcome, WR_SMTP_SENT, "CRAM-MD5: sent");
    check_str(info.auth_mechanism, "CRAM-MD5", "CRAM-MD5: mechanism");
    check_int(tl_maildir_copies(run, id[0], 1, NULL, pool), 1,
              "CRAM-MD5: in the Maildir");
    check_int(log_count(apr_pstrcat(pool, "id=", id[0], NULL),
                        "A=cram:wormtest"), 1, "CRAM-MD5: exim logged it");
    extra("extra-stop", PORT_CRAM, NULL);
}

/* test_refusals - wrong password, no AUTH, certificates, no STARTTLS */
static void test_refusals(void)
{
    wr_smtp_conf_t c;
    wr_smtp_msg_t m;
    wr_smtp_session_t info;
    const char *id, *line;
    int quits;

    c = conf_for(port_tls, "wrongpw");
    c.secret = "not-the-s3cret-XYZZY";
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "wrong password: deferred");
    check(strstr(m.reason, "refused AUTH PLAIN") != NULL
          && strstr(m.reason, "as wormtest: 535 Incorrect") != NULL,
          "wrong password: the reason names AUTH and the 535");
    check(strstr(m.reason, "XYZZY") == NULL
          && (info.error == NULL || strstr(info.error, "XYZZY") == NULL),
          "wrong password: the secret is in no reason");
    check_int(info.auth, -1, "wrong password: AUTH refused");
    check_int(accepted_count(id), 0, "wrong password: exim took nothing");

    c = conf_for(port_tls, "noauth");
    c.user = c.secret = NULL;
    c.tls = WR_SMTP_TLS_REQUIRED;
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "no AUTH: deferred (a 5xx to MAIL "
              "is about us, not the recipient)");
    check_int(m.code, 550, "no AUTH: the real status, 550 to MAIL FROM");
    check(strstr(m.reason, "authentication required") != NULL,
          "no AUTH: the server's words in the reason");
    check_int(accepted_count(id), 0, "no AUTH: exim took nothing");

    c = conf_for(port_tls, "sysca");
    c.ca_file = NULL;
    quits = tls_quits();
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "untrusted (system store): "
              "deferred");
    check(strstr(m.reason, "is not trusted") != NULL,
          "untrusted (system store): the reason says so");
    check_int(accepted_count(id), 0, "untrusted: exim took nothing");
    check(tls_quit_seen(quits), "untrusted: exim saw EHLO, STARTTLS, QUIT: "
          "no AUTH, no MAIL");

    c = conf_for(port_tls, "otherca");
    c.ca_file = apr_pstrcat(pool, run, "/other-ca.pem", NULL);
    quits = tls_quits();
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "untrusted (another CA): deferred");
    check(strstr(m.reason, "is not trusted") != NULL,
          "untrusted (another CA): the reason says so");
    check(tls_quit_seen(quits), "another CA: EHLO, STARTTLS, QUIT only");
    check_int(accepted_count(id), 0, "another CA: exim took nothing");

    c = conf_for(port_tls, "byip");
    c.host = "127.0.0.1";
    quits = tls_quits();
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "wrong name (127.0.0.1): deferred");
    check(strstr(m.reason, "does not name 127.0.0.1") != NULL,
          "wrong name: the reason says so");
    check_int(accepted_count(id), 0, "wrong name: exim took nothing");
    check(tls_quit_seen(quits), "wrong name: EHLO, STARTTLS, QUIT only");

    c = conf_for(port_notls, "notls");
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "STARTTLS not offered: deferred");
    check(strstr(m.reason, "does not offer STARTTLS") != NULL,
          "STARTTLS not offered: the reason says so");
    check_int(info.tls, 0, "STARTTLS not offered: no TLS");
    check_int(accepted_count(id), 0, "STARTTLS not offered: nothing "
              "accepted");
    line = no_mail_line_wait(&c);
    check(line && strstr(line, "C=EHLO,QUIT"),
          "STARTTLS not offered: exim saw EHLO and QUIT only (%s)",
          line ? strstr(line, "C=") : "no log line");

    /* opportunistic without AUTH: an untrusted certificate still beats
     * clear text (and exim then refuses MAIL: no AUTH was given) */
    c = conf_for(port_tls, "oppsys");
    c.ca_file = NULL;
    c.user = c.secret = NULL;
    c.tls = WR_SMTP_TLS_OPPORTUNISTIC;
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check(info.tls && info.tls_note && strstr(info.tls_note, "not trusted"),
          "opportunistic: TLS with the certificate problem noted (%s)",
          info.tls_note ? info.tls_note : "none");
    check_int(info.auth, 0, "opportunistic: no AUTH configured, none tried");
    check_int(m.code, 550, "opportunistic: exim refused MAIL without AUTH");
}

/* port_line - whether a line of exim's log is about a connection to our
 * port 127.0.0.1:`port` (log_selector +incoming_interface) */
static int port_line(const char *line, int port)
{
    char want[40];
    const char *at;

    apr_snprintf(want, sizeof(want), "I=[127.0.0.1]:%d", port);
    at = strstr(line, want);
    return at && !apr_isdigit(at[strlen(want)]);
}

/* port_count - lines about connections to `port` holding `what` */
static int port_count(int port, const char *what)
{
    apr_array_header_t *lines = log_lines();
    int k, n = 0;

    for (k = 0; k < lines->nelts; k++) {
        n += port_line(LINE(lines, k), port) && strstr(LINE(lines, k), what);
    }
    return n;
}

/* auth_lines - exim's log lines that show an AUTH on `port`: accepted
 * (" A=mech:user" on the message's line), refused ("authenticator
 * failed"), or sent in a session without MAIL (AUTH among its commands,
 * "C=EHLO,AUTH,QUIT") */
static int auth_lines(int port)
{
    apr_array_header_t *lines = log_lines();
    int k, n = 0;

    for (k = 0; k < lines->nelts; k++) {
        const char *l = LINE(lines, k), *cmds = strstr(l, " C=");
        n += port_line(l, port)
             && (strstr(l, " A=") || strstr(l, "authenticator failed")
                 || (cmds && strstr(cmds, "AUTH")));
    }
    return n;
}

/* ended_without_mail - wait (5 s at most) for exim to log the end of one
 * more session without MAIL on `port` than `before`; its commands
 * ("C=EHLO,QUIT"), or NULL */
static const char *ended_without_mail(int port, int before)
{
    const char *want = "no MAIL in SMTP connection", *last = NULL;
    apr_array_header_t *lines;
    int tries, k;

    for (tries = 0; tries < 100 && port_count(port, want) <= before;
         tries++) {
        apr_sleep(apr_time_from_msec(50));
    }
    if (port_count(port, want) <= before) {
        return NULL;
    }
    lines = log_lines();
    for (k = 0; k < lines->nelts; k++) {
        const char *l = LINE(lines, k);
        if (port_line(l, port) && strstr(l, want)) {
            last = strstr(l, " C=") ? strstr(l, " C=") + 1 : "C=(none)";
        }
    }
    return last;
}

/* reply_done - whether buf ends with the last line of a reply that
 * starts with `code` followed by a space ("250 ...\r\n") */
static int reply_done(const char *buf, const char *code)
{
    const char *at = strstr(buf, code);

    while (at && strstr(at + 1, code)) {
        at = strstr(at + 1, code);
    }
    return at && (at == buf || at[-1] == '\n') && strchr(at, '\n');
}

/* ehlo_offers - what the server on `port` answers to EHLO, in clear
 * (bounded: 5 s per read) */
static char *ehlo_offers(int port)
{
    static const char ehlo[] = "EHLO probe.wormreply.test\r\n";
    struct sockaddr_in sa;
    struct timeval tv = { 5, 0 };
    char buf[4096];
    apr_size_t len = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), k;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    buf[0] = '\0';
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        /* the banner (220), then the reply to EHLO (250) */
        for (k = 0; k < 2; k++) {
            const char *code = k ? "250 " : "220 ";
            if (k == 1 && write(fd, ehlo, sizeof(ehlo) - 1)
                          != (ssize_t)sizeof(ehlo) - 1) {
                break;
            }
            while (len < sizeof(buf) - 1 && !reply_done(buf, code)) {
                ssize_t got = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (got <= 0) {
                    break;
                }
                len += (apr_size_t)got;
                buf[len] = '\0';
            }
        }
        if (write(fd, "QUIT\r\n", 6) != 6) {
            /* closing is enough */
        }
    }
    close(fd);
    return apr_pstrdup(pool, buf);
}

/* test_attacks - the secret reaches only a verified server: a forged
 * (self-signed) certificate, a certificate for another name, and a
 * server that does not offer STARTTLS but offers AUTH in clear (a
 * stripping attacker); and AUTH configured with opportunistic TLS or
 * without TLS is refused before any connection. Each case runs against a
 * daemon of its own port, whose log lines are told apart by exim's
 * I=[127.0.0.1]:PORT, so "no AUTH line" is read from exim's own log. */
static void test_attacks(void)
{
    const int port = PORT_ATTACK;
    wr_smtp_conf_t c;
    wr_smtp_msg_t m;
    wr_smtp_session_t info;
    const char *id, *cmds;
    char *offers;
    int before, nomail;
    apr_status_t rv;

    if (!check(extra("extra-start", port, NULL), "attacks: an extra exim "
               "with STARTTLS started on %d", port)) {
        return;
    }
    /* the control: this daemon and this way of reading its log do show
     * an AUTH when one happens */
    before = auth_lines(port);
    c = conf_for(port, "control");
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_SENT, "control: verified TLS, AUTH, sent");
    check_int(auth_lines(port) - before, 1, "control: exim logged the AUTH "
              "on port %d", port);

    /* a self-signed certificate (not in the system store) */
    before = auth_lines(port);
    nomail = port_count(port, "no MAIL in SMTP connection");
    c = conf_for(port, "selfsigned");
    c.ca_file = NULL;
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "self-signed: deferred");
    cmds = ended_without_mail(port, nomail);
    check(cmds && !strcmp(cmds, "C=EHLO,STARTTLS,QUIT"), "self-signed: "
          "exim saw EHLO, STARTTLS, QUIT (%s)", cmds ? cmds : "no line");
    check_int(auth_lines(port) - before, 0, "self-signed: no AUTH line in "
              "exim's log");
    check_int(info.auth, 0, "self-signed: AUTH never tried");

    /* a certificate from another CA */
    before = auth_lines(port);
    nomail = port_count(port, "no MAIL in SMTP connection");
    c = conf_for(port, "otherca2");
    c.ca_file = apr_pstrcat(pool, run, "/other-ca.pem", NULL);
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "another CA: deferred");
    cmds = ended_without_mail(port, nomail);
    check(cmds && !strcmp(cmds, "C=EHLO,STARTTLS,QUIT"), "another CA: "
          "EHLO, STARTTLS, QUIT (%s)", cmds ? cmds : "no line");
    check_int(auth_lines(port) - before, 0, "another CA: no AUTH line");

    /* a trusted certificate for another name */
    before = auth_lines(port);
    nomail = port_count(port, "no MAIL in SMTP connection");
    c = conf_for(port, "wrongname");
    c.host = "127.0.0.1";
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "wrong name: deferred");
    cmds = ended_without_mail(port, nomail);
    check(cmds && !strcmp(cmds, "C=EHLO,STARTTLS,QUIT"), "wrong name: "
          "EHLO, STARTTLS, QUIT (%s)", cmds ? cmds : "no line");
    check_int(auth_lines(port) - before, 0, "wrong name: no AUTH line");

    /* AUTH with opportunistic TLS: refused before any connection */
    before = port_count(port, "SMTP connection from");
    c = conf_for(port, "opportunistic");
    c.ca_file = NULL;
    c.tls = WR_SMTP_TLS_OPPORTUNISTIC;
    m = new_msg("postmaster@example.test", NULL, 0, &id);
    rv = wr_smtp_send(&c, &m, 1, NULL, &info, pool);
    check_int(rv, APR_EINVAL, "AUTH with opportunistic TLS: refused");
    check(strstr(m.reason, "AUTH needs TLS required") != NULL,
          "opportunistic: the reason says why (%s)", m.reason);
    apr_sleep(apr_time_from_msec(200));
    check_int(port_count(port, "SMTP connection from") - before, 0,
              "opportunistic: no connection at all");
    extra("extra-stop", port, NULL);

    /* the stripping attacker: no STARTTLS, every mechanism in clear */
    if (!check(extra("extra-start", port, "notls clearauth"),
               "attacks: an extra exim without STARTTLS, offering AUTH in "
               "clear, started on %d", port)) {
        return;
    }
    offers = ehlo_offers(port);
    check(strstr(offers, "AUTH") && strstr(offers, "CRAM-MD5")
          && !strstr(offers, "STARTTLS"), "stripped: the server offers "
          "AUTH CRAM-MD5 in clear and no STARTTLS");
    before = auth_lines(port);
    nomail = port_count(port, "no MAIL in SMTP connection");
    c = conf_for(port, "stripped");
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "stripped: deferred");
    check(strstr(m.reason, "does not offer STARTTLS") != NULL,
          "stripped: the reason says so");
    cmds = ended_without_mail(port, nomail);
    check(cmds && !strcmp(cmds, "C=EHLO,QUIT"), "stripped: exim saw EHLO "
          "and QUIT only (%s)", cmds ? cmds : "no line");
    check_int(auth_lines(port) - before, 0, "stripped: no AUTH line (no "
              "CRAM-MD5 either)");

    /* AUTH without TLS: refused before any connection */
    before = port_count(port, "SMTP connection from");
    c = conf_for(port, "tlsoff");
    c.tls = WR_SMTP_TLS_OFF;
    m = new_msg("postmaster@example.test", NULL, 0, &id);
    rv = wr_smtp_send(&c, &m, 1, NULL, &info, pool);
    check_int(rv, APR_EINVAL, "AUTH with TLS off: refused");
    apr_sleep(apr_time_from_msec(200));
    check_int(port_count(port, "SMTP connection from") - before, 0,
              "TLS off: no connection at all");
    extra("extra-stop", port, NULL);
}

/* test_statuses - 4xx and 5xx on demand, per message and per recipient */
static void test_statuses(void)
{
    const char *flag = apr_pstrcat(pool, run, "/defer-", tag, NULL);
    const char *slow = apr_pstrcat(pool, run, "/slow-", tag, NULL);
    wr_smtp_conf_t c = conf_for(port_tls, "status");
    wr_smtp_msg_t m;
    wr_smtp_session_t info;
    apr_file_t *f;
    const char *id;
    apr_time_t t0;

    apr_file_open(&f, flag, APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                  APR_FPROT_OS_DEFAULT, pool);
    apr_file_close(f);
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "451 on demand: deferred");
    check_int(m.code, 451, "451 on demand: the code");
    check(strstr(m.reason, "4.3.0 test-induced temporary failure") != NULL,
          "451 on demand: the server's words");
    apr_file_remove(flag, pool);
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_SENT, "flag removed: sent");

    m = one(&c, "refuse-1@example.test", "postmaster@example.test", &id,
            &info);
    check_int(m.outcome, WR_SMTP_SENT, "one of two refused: sent to the "
              "other");
    check_int(m.n_refused, 1, "one of two refused: counted");
    check_int(m.rcpts[0].code, 550, "one of two refused: its code");
    check_int(m.rcpts[1].code, 250, "one of two refused: the other's code");
    check_int(tl_maildir_copies(run, id, 1, NULL, pool), 1,
              "one of two refused: delivered once");

    m = one(&c, "refuse-1@example.test", "refuse@example.test", &id, &info);
    check_int(m.outcome, WR_SMTP_FAIL, "all recipients refused: failed");
    check_int(m.code, 550, "all refused: 550");
    check_int(m.n_refused, 2, "all refused: both reported");
    check(strstr(m.reason, "5.1.1") != NULL, "all refused: the reason "
          "quotes the server");
    check_int(accepted_count(id), 0, "all refused: nothing accepted");

    m = one(&c, "tempfail@example.test", "refuse@example.test", &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "4xx and 5xx recipients: deferred");
    check_int(m.n_refused, 1, "4xx and 5xx recipients: one refused");
    check_int(m.n_deferred, 1, "4xx and 5xx recipients: one deferred");

    m = one(&c, "tempfail-2@example.test", "postmaster@example.test", &id,
            &info);
    check_int(m.outcome, WR_SMTP_SENT, "one recipient 451: sent");
    check_int(m.n_deferred, 1, "one recipient 451: it is to be retried");
    check_int(m.rcpts[0].code, 451, "one recipient 451: its code");

    /* a slow smarthost: MAIL answered after 3 s, we wait 1 s */
    apr_file_open(&f, slow, APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                  APR_FPROT_OS_DEFAULT, pool);
    apr_file_close(f);
    c.command_timeout = apr_time_from_sec(1);
    t0 = apr_time_now();
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    apr_file_remove(slow, pool);
    check_int(m.outcome, WR_SMTP_DEFER, "slow server: deferred");
    check(strstr(m.reason, "no answer from") != NULL,
          "slow server: the reason is the timeout");
    check(apr_time_now() - t0 < apr_time_from_msec(2900),
          "slow server: gave up before the server answered (%" APR_TIME_T_FMT
          " ms)", apr_time_as_msec(apr_time_now() - t0));
}

/* test_connect - down, a full backlog, a silent peer */
static void test_connect(void)
{
    wr_smtp_conf_t c = conf_for(PORT_DOWN, "down");
    wr_smtp_msg_t m;
    wr_smtp_session_t info;
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    const char *id;
    apr_time_t t0;
    int lfd, filler, port;

    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "server down: deferred");
    check(strstr(m.reason, "Connection refused") != NULL,
          "server down: connection refused");
    check_int(info.connected, 0, "server down: not connected");

    /* a listener with a full backlog never completes a handshake */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
    listen(lfd, 0);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    port = ntohs(sa.sin_port);
    filler = socket(AF_INET, SOCK_STREAM, 0);
    connect(filler, (struct sockaddr *)&sa, sizeof(sa));
    c = conf_for(port, "backlog");
    c.host = "127.0.0.1";
    c.connect_timeout = apr_time_from_sec(1);
    t0 = apr_time_now();
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "connect timeout: deferred");
    check(strstr(m.reason, "no connection to 127.0.0.1") != NULL,
          "connect timeout: the reason says so");
    check(apr_time_now() - t0 < apr_time_from_sec(3),
          "connect timeout: bounded (%" APR_TIME_T_FMT " ms)",
          apr_time_as_msec(apr_time_now() - t0));
    close(filler);
    close(lfd);

    /* a peer that accepts and says nothing */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_port = 0;
    bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
    listen(lfd, 8);
    sl = sizeof(sa);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    c = conf_for(ntohs(sa.sin_port), "silent");
    c.host = "127.0.0.1";
    c.command_timeout = apr_time_from_sec(1);
    t0 = apr_time_now();
    m = one(&c, "postmaster@example.test", NULL, &id, &info);
    check_int(m.outcome, WR_SMTP_DEFER, "silent server: deferred");
    check(strstr(m.reason, "no answer from 127.0.0.1") != NULL,
          "silent server: the reason is the timeout");
    check(apr_time_now() - t0 < apr_time_from_sec(3),
          "silent server: bounded (%" APR_TIME_T_FMT " ms)",
          apr_time_as_msec(apr_time_now() - t0));
    close(lfd);
}

/* write_file - a file with `mode` holding `text` */
static const char *write_file(const char *name, const char *text, int mode)
{
    const char *path = apr_psprintf(pool, "/tmp/wr-smtp-%ld-%s",
                                    (long)getpid(), name);
    apr_file_t *f;

    apr_file_remove(path, pool);
    apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                  APR_FPROT_UREAD | APR_FPROT_UWRITE, pool);
    apr_file_puts(text, f);
    apr_file_close(f);
    chmod(path, (mode_t)mode);
    return path;
}

/* test_config - the secret file's contract and the parsers */
static void test_config(void)
{
    const char *secret = NULL, *err = NULL, *host = NULL, *path;
    apr_port_t port = 1;
    wr_smtp_tls_e tls;
    wr_smtp_conf_t c;

    path = write_file("ok", "s3cret\nsecond line\n", 0600);
    check_int(wr_smtp_secret_load(path, &secret, &err, pool), APR_SUCCESS,
              "secret: mode 0600 accepted");
    check_str(secret, "s3cret", "secret: the first line, without LF");
    apr_file_remove(path, pool);
    path = write_file("crlf", "s3cret\r\n", 0400);
    wr_smtp_secret_load(path, &secret, &err, pool);
    check_str(secret, "s3cret", "secret: CRLF stripped, mode 0400 fine");
    apr_file_remove(path, pool);
    path = write_file("open", "TOPSECRET\n", 0644);
    check_int(wr_smtp_secret_load(path, &secret, &err, pool), APR_EINVAL,
              "secret: a world-readable file is refused");
    if (err == NULL) {
        err = "";
    }
    check(strstr(err, "root-only") && strstr(err, "0644")
          && !strstr(err, "TOPSECRET"), "secret: the error says why, not "
          "what (%s)", err);
    apr_file_remove(path, pool);
    path = write_file("group", "x\n", 0640);
    check_int(wr_smtp_secret_load(path, &secret, &err, pool), APR_EINVAL,
              "secret: a group-readable file is refused");
    apr_file_remove(path, pool);
    path = write_file("empty", "\n", 0600);
    check_int(wr_smtp_secret_load(path, &secret, &err, pool), APR_EINVAL,
              "secret: an empty first line is refused");
    apr_file_remove(path, pool);
    check(wr_smtp_secret_load("/nonexistent/x", &secret, &err, pool)
          != APR_SUCCESS && err, "secret: a missing file is an error");

    check_int(wr_smtp_parse_hostport("smtp.example.org:587", &host, &port,
                                     &err, pool), APR_SUCCESS,
              "hostport: name and port");
    check_str(host, "smtp.example.org", "hostport: host");
    check_int(port, 587, "hostport: port");
    wr_smtp_parse_hostport("192.0.2.1", &host, &port, &err, pool);
    check_int(port, 0, "hostport: no port is 0 (default 25)");
    check_int(wr_smtp_parse_hostport("[::1]:25", &host, &port, &err, pool),
              APR_EINVAL, "hostport: IPv6 literal refused");
    check_int(wr_smtp_parse_hostport("host:99999", &host, &port, &err, pool),
              APR_EINVAL, "hostport: bad port refused");
    check_int(wr_smtp_parse_hostport("bad_host", &host, &port, &err, pool),
              APR_EINVAL, "hostport: underscore refused");
    check_int(wr_smtp_tls_parse("Required", &tls), APR_SUCCESS,
              "tls: required");
    check_int(tls, WR_SMTP_TLS_REQUIRED, "tls: value");
    check_int(wr_smtp_tls_parse("maybe", &tls), APR_EINVAL, "tls: bad");
    c = conf_for(port_tls, "x");
    c.secret = NULL;
    check_int(wr_smtp_conf_check(&c, &err, pool), APR_EINVAL,
              "conf: a user without a secret is refused");
    c = conf_for(port_tls, "x");
    c.tls = WR_SMTP_TLS_OPPORTUNISTIC;
    check_int(wr_smtp_conf_check(&c, &err, pool), APR_EINVAL,
              "conf: AUTH with opportunistic TLS is refused");
    check(err && strstr(err, "AUTH needs TLS required, not opportunistic"),
          "conf: ... saying why (%s)", err ? err : "");
    c.tls = WR_SMTP_TLS_OFF;
    check_int(wr_smtp_conf_check(&c, &err, pool), APR_EINVAL,
              "conf: AUTH without TLS is refused");
    c.tls = WR_SMTP_TLS_REQUIRED;
    check_int(wr_smtp_conf_check(&c, &err, pool), APR_SUCCESS,
              "conf: AUTH with TLS required is fine");
    c.user = c.secret = NULL;
    c.tls = WR_SMTP_TLS_OFF;
    check_int(wr_smtp_conf_check(&c, &err, pool), APR_SUCCESS,
              "conf: TLS off without AUTH is fine");
}

/* test_secret_file - the secret read from a descriptor opened once, for
 * each session, and wiped after */
static void test_secret_file(void)
{
    const char *path = write_file("fd", "s3cret\nsecond line\n", 0600);
    const char *secret = NULL, *err = NULL;
    wr_smtp_secret_t *s = wr_smtp_secret_new(path, pool);
    apr_pool_t *sp;
    apr_file_t *f;
    const char *kept;
    apr_size_t k;
    int dirty = 0;

    check_int(wr_smtp_secret_read(s, &secret, &err, pool), APR_EBADF,
              "secret file: not readable before it is opened");
    check_int(wr_smtp_secret_check(path, &err, pool), APR_SUCCESS,
              "secret file: the check passes");
    check_int(wr_smtp_secret_open(s, &err, pool), APR_SUCCESS,
              "secret file: opened");
    apr_pool_create(&sp, pool);
    check_int(wr_smtp_secret_read(s, &secret, &err, sp), APR_SUCCESS,
              "secret file: read");
    check_str(secret, "s3cret", "secret file: the first line");
    kept = secret;
    apr_pool_clear(sp);
    /* the pool keeps its memory block: what was there is now zeroes,
     * the line after the secret too */
    for (k = 0; k < WR_SMTP_SECRET_MAX + 2; k++) {
        dirty |= kept[k];
    }
    check_int(dirty, 0, "secret file: wiped, whole buffer, when its pool is "
              "cleared");
    /* an edit in place is seen by the next session */
    apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_TRUNCATE,
                  APR_FPROT_OS_DEFAULT, pool);
    apr_file_puts("n3w-s3cret\n", f);
    apr_file_close(f);
    check_int(wr_smtp_secret_read(s, &secret, &err, sp), APR_SUCCESS,
              "secret file: read again");
    check_str(secret, "n3w-s3cret", "secret file: read from the start, the "
              "new text");
    /* the file made readable by others since it was opened: refused */
    chmod(path, 0644);
    check_int(wr_smtp_secret_read(s, &secret, &err, sp), APR_EINVAL,
              "secret file: refused once readable by others");
    apr_pool_destroy(sp);
    apr_file_remove(path, pool);
    check_int(wr_smtp_secret_open(wr_smtp_secret_new(path, pool), &err,
                                  pool) != APR_SUCCESS, 1,
              "secret file: a missing file cannot be opened");
}

int main(void)
{
    const char *rigdir;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    top = getenv("WORMREPLY_TOP") ? getenv("WORMREPLY_TOP") : ".";
    if (getenv("WR_TEST_SMTP_PORT")) {
        port_tls = atoi(getenv("WR_TEST_SMTP_PORT"));
    }
    if (getenv("WR_TEST_SMTP_NOTLS_PORT")) {
        port_notls = atoi(getenv("WR_TEST_SMTP_NOTLS_PORT"));
    }
    rigdir = getenv("WR_RIG_DIR") ? getenv("WR_RIG_DIR")
             : apr_pstrcat(pool, top, "/t/rig/run", NULL);
    run = apr_pstrcat(pool, rigdir, "/smtp", NULL);
    apr_snprintf(tag, sizeof(tag), "ts%ld", (long)getpid());
    test_config();
    test_secret_file();
    if (!check(tl_smtp_greets(port_tls) && tl_smtp_greets(port_notls),
               "the SMTP rig answers on 127.0.0.1:%d and :%d (start it with "
               "sh t/rig/smtp.sh start)", port_tls, port_notls)) {
        return done_testing();
    }
    test_auth();
    test_refusals();
    test_attacks();
    test_statuses();
    test_connect();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
