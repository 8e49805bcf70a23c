/* wr_smtp.c - one SMTP session with libesmtp (see wr_smtp.h) */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
/* auth-client.h before libesmtp.h, or smtp_auth_set_context() is not
 * declared */
#include <auth-client.h>
#include <libesmtp.h>

#include <apr_file_info.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "wr_notice.h"
#include "wr_smtp.h"
#include "wr_text.h"

/* Longest server text kept in a reason, in bytes before escaping. */
#define TEXT_MAX 300

/* smsg_t - one message while the session runs */
typedef struct {
    wr_smtp_msg_t *m;
    smtp_message_t sm;
    smtp_recipient_t *r;
    int hooked;                 /* the accepted hook has run */
} smsg_t;

/* sess_t - what the callbacks learn about the session */
typedef struct {
    const wr_smtp_conf_t *conf;
    wr_smtp_tls_e tls;
    const wr_smtp_hooks_t *hooks;
    apr_pool_t *p;
    const char *where;          /* "host:port" for messages */
    auth_context_t auth;
    const char *secret;         /* for AUTH, while the session runs */
    smsg_t *msgs;
    int n;
    apr_time_t start;
    apr_time_t last_activity;
    /* events */
    int connected;
    int tls_ok;
    const char *cipher;
    const char *tls_problem;
    int extna_starttls;
    int extna_8bitmime;
    int unusable_ca;
    /* the protocol before the first MAIL, from the monitor callback */
    int mail_seen;
    int starttls_sent;
    int auth_pending;
    int auth_tried;
    int auth_ok;
    const char *auth_mech;
    int auth_code;
    const char *auth_text;
    int last_code;              /* last complete reply before MAIL */
    const char *last_text;
    char line[512];
    apr_size_t linelen;
    char text[TEXT_MAX + 1];    /* text of a multi-line reply so far */
    apr_size_t textlen;
} sess_t;

static volatile sig_atomic_t alarm_fired;

/* on_alarm - interrupts connect(2); the flag says it happened */
static void on_alarm(int sig)
{
    (void)sig;
    alarm_fired = 1;
}

/* timer_set - arm (or with 0, disarm) ITIMER_REAL, repeating, so that each
 * address libesmtp tries gets its own bound */
static void timer_set(apr_interval_time_t t, struct itimerval *old)
{
    struct itimerval it;

    memset(&it, 0, sizeof(it));
    it.it_value.tv_sec = (time_t)apr_time_sec(t);
    it.it_value.tv_usec = (suseconds_t)apr_time_usec(t);
    it.it_interval = it.it_value;
    setitimer(ITIMER_REAL, &it, old);
}

/* clean - server text made one printable ASCII line: line ends become
 * spaces, other controls and non-ASCII are escaped, cut to TEXT_MAX */
static const char *clean(const char *s, apr_pool_t *p)
{
    char *t;
    apr_size_t i, o = 0;

    if (s == NULL) {
        return NULL;
    }
    t = apr_palloc(p, strlen(s) + 1);
    for (i = 0; s[i]; i++) {
        if (s[i] == '\r' || s[i] == '\n') {
            if (o > 0 && t[o - 1] != ' ') {
                t[o++] = ' ';
            }
        }
        else {
            t[o++] = s[i];
        }
    }
    while (o > 0 && t[o - 1] == ' ') {
        o--;
    }
    t[o] = '\0';
    return wr_notice_sanitize(t, TEXT_MAX, 1, p);
}

/* status_str - "550 5.1.1 text" for a libesmtp status */
static const char *status_str(const smtp_status_t *st, apr_pool_t *p)
{
    const char *text = clean(st->text, p);

    if (st->code == 0) {
        return "no reply";
    }
    return apr_psprintf(p, "%d%s%s", st->code, text && *text ? " " : "",
                        text ? text : "");
}

/* parse_queue_id - the server's queue id in a 250 reply: exim
 * "OK id=1abc-0001-xy", postfix "Ok: queued as 4ABC"; NULL if none */
static const char *parse_queue_id(const char *text, apr_pool_t *p)
{
    static const char *const marks[] = { "id=", "queued as " };
    const char *s, *e;
    int k;

    if (text == NULL) {
        return NULL;
    }
    for (k = 0; k < 2; k++) {
        for (s = text; (s = strstr(s, marks[k])) != NULL; s++) {
            if (s != text && s[-1] != ' ' && s[-1] != '\n') {
                continue;
            }
            s += strlen(marks[k]);
            for (e = s; apr_isalnum(*e) || *e == '-' || *e == '.'
                        || *e == '_'; e++) {
            }
            if (e > s && e - s <= 64) {
                return apr_pstrmemdup(p, s, (apr_size_t)(e - s));
            }
        }
    }
    return NULL;
}

/* reply_line - one complete line the server sent before the first MAIL */
static void reply_line(sess_t *ss, const char *l, apr_size_t len)
{
    int code;
    apr_size_t room;

    if (len < 3 || !apr_isdigit(l[0]) || !apr_isdigit(l[1])
        || !apr_isdigit(l[2]) || (len > 3 && l[3] != ' ' && l[3] != '-')) {
        return;
    }
    code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    /* gather the text of every line of the reply */
    room = TEXT_MAX - ss->textlen;
    if (len > 4 && room > 1) {
        apr_size_t n = len - 4 < room - 1 ? len - 4 : room - 1;
        if (ss->textlen > 0) {
            ss->text[ss->textlen++] = ' ';
            n = n > room - 2 ? room - 2 : n;
        }
        memcpy(ss->text + ss->textlen, l + 4, n);
        ss->textlen += n;
    }
    if (len > 3 && l[3] == '-') {
        return;
    }
    ss->text[ss->textlen] = '\0';
    ss->last_code = code;
    ss->last_text = clean(ss->text, ss->p);
    ss->textlen = 0;
    if (ss->auth_pending && code != 334) {
        ss->auth_pending = 0;
        if (code / 100 == 2) {
            ss->auth_ok = 1;
        }
        else {
            ss->auth_code = code;
            ss->auth_text = ss->last_text;
        }
    }
}

/* command_line - one line we sent before the first MAIL. Only the verb
 * is looked at: AUTH lines carry credentials and are never kept. */
static void command_line(sess_t *ss, const char *l, apr_size_t len)
{
    if (len >= 10 && !strncasecmp(l, "MAIL FROM:", 10)) {
        ss->mail_seen = 1;
    }
    else if (len >= 5 && !strncasecmp(l, "AUTH ", 5)) {
        apr_size_t e = 5;
        while (e < len && e < 40 && l[e] != ' ' && l[e] != '\r') {
            e++;
        }
        ss->auth_pending = 1;
        ss->auth_tried = 1;
        /* libesmtp tries the next mechanism after a refusal */
        ss->auth_mech = ss->auth_mech
            ? apr_pstrcat(ss->p, ss->auth_mech, ", ",
                          apr_pstrmemdup(ss->p, l + 5, e - 5), NULL)
            : apr_pstrmemdup(ss->p, l + 5, e - 5);
    }
    else if (!ss->auth_tried && len >= 8 && !strncasecmp(l, "STARTTLS", 8)) {
        ss->starttls_sent = 1;
    }
}

/* on_monitor - libesmtp shows us the protocol (cleartext side of TLS);
 * it stops showing it during message data */
static void on_monitor(const char *buf, int buflen, int writing, void *arg)
{
    sess_t *ss = arg;
    apr_size_t i, n = buflen > 0 ? (apr_size_t)buflen : 0;

    ss->last_activity = apr_time_now();
    if (ss->mail_seen) {
        return;
    }
    if (writing == SMTP_CB_WRITING) {
        apr_size_t start = 0;

        for (i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                command_line(ss, buf + start, i + 1 - start);
                start = i + 1;
                if (ss->mail_seen) {
                    return;
                }
            }
        }
        return;
    }
    if (writing != SMTP_CB_READING) {
        return;
    }
    for (i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            apr_size_t l = ss->linelen;
            if (l > 0 && ss->line[l - 1] == '\r') {
                l--;
            }
            reply_line(ss, ss->line, l);
            ss->linelen = 0;
        }
        else if (ss->linelen < sizeof(ss->line) - 1) {
            ss->line[ss->linelen++] = buf[i];
        }
    }
}

/* policy_refusal - a 5xx whose enhanced status (RFC 3463) is 5.7.x,
 * from the EHLO extension or, as exim writes it without announcing
 * ENHANCEDSTATUSCODES, at the head of the text */
static int policy_refusal(const smtp_status_t *st)
{
    const char *t = st->text;

    if (st->code / 100 != 5) {
        return 0;
    }
    if (st->enh_class == 5 && st->enh_subject == 7) {
        return 1;
    }
    while (t && (*t == ' ' || *t == '-')) {
        t++;
    }
    return t && !strncmp(t, "5.7.", 4);
}

/* classify - the outcome of one message from its statuses (see the table
 * in wr_smtp.h); `why` is the session's problem for messages that never
 * got a reply */
static void classify(sess_t *ss, smsg_t *sm, const char *why)
{
    wr_smtp_msg_t *m = sm->m;
    const smtp_status_t *ms = smtp_message_transfer_status(sm->sm);
    const smtp_status_t *rp = smtp_reverse_path_status(sm->sm);
    apr_pool_t *p = ss->p;
    int k, accepted = 0, refused = 0, deferred = 0, unasked = 0;
    const char *first_bad = NULL;

    for (k = 0; k < m->rcpt->nelts; k++) {
        const smtp_status_t *rs = smtp_recipient_status(sm->r[k]);
        wr_smtp_rcpt_t *r = &m->rcpts[k];

        r->code = rs ? rs->code : 0;
        r->text = rs && rs->code ? clean(rs->text, p) : NULL;
        r->policy = rs ? policy_refusal(rs) : 0;
        if (r->code / 100 == 2) {
            accepted++;
        }
        else if (r->code / 100 == 5 && !r->policy) {
            refused++;
        }
        else if (r->code / 100 == 4 || r->policy) {
            deferred++;
        }
        else {
            unasked++;
        }
        if (first_bad == NULL && r->code / 100 >= 4) {
            first_bad = apr_psprintf(p, "<%s>: %s", r->address,
                                     status_str(rs, p));
        }
    }
    m->n_refused = refused;
    m->queue_id = NULL;
    if (ms && ms->code / 100 == 2) {
        m->outcome = WR_SMTP_SENT;
        m->code = ms->code;
        m->queue_id = parse_queue_id(ms->text, p);
        m->reason = apr_psprintf(p, "accepted by %s: %s", ss->where,
                                 status_str(ms, p));
        if (refused || deferred) {
            m->reason = apr_psprintf(p, "%s; %d recipient%s refused, %d "
                                     "deferred (%s)", m->reason, refused,
                                     refused == 1 ? "" : "s", deferred,
                                     first_bad);
        }
        m->n_deferred = deferred + unasked;
        return;
    }
    m->n_deferred = deferred + unasked;
    /* With no recipient accepted, the reply to the data (a pipelined BDAT
     * gets "503 valid RCPT command must precede BDAT") says nothing about
     * the message: the recipients' replies decide. */
    if (accepted > 0 && ms && ms->code / 100 == 5) {
        m->outcome = WR_SMTP_FAIL;
        m->code = ms->code;
        m->n_deferred = 0;
        m->reason = apr_psprintf(p, "message refused by %s: %s", ss->where,
                                 status_str(ms, p));
        return;
    }
    m->outcome = WR_SMTP_DEFER;
    if (accepted > 0 && ms && ms->code / 100 == 4) {
        m->code = ms->code;
        m->reason = apr_psprintf(p, "message deferred by %s: %s", ss->where,
                                 status_str(ms, p));
    }
    else if (rp && rp->code / 100 >= 4) {
        m->code = rp->code;
        m->reason = apr_psprintf(p, "%s%s%s refused the sender <%s>: %s",
                                 why ? why : "", why ? "; then " : "",
                                 ss->where, m->sender, status_str(rp, p));
    }
    else if (rp && rp->code / 100 == 2 && refused == m->rcpt->nelts) {
        m->outcome = WR_SMTP_FAIL;
        m->code = m->rcpts[0].code;
        m->n_deferred = 0;
        m->reason = apr_psprintf(p, "every recipient refused by %s (%s)",
                                 ss->where, first_bad);
    }
    else if (rp && rp->code / 100 == 2 && accepted == 0 && deferred > 0) {
        m->code = 0;
        m->reason = apr_psprintf(p, "no recipient accepted by %s: %d "
                                 "deferred, %d refused (%s)", ss->where,
                                 deferred, refused, first_bad);
    }
    else {
        m->code = 0;
        m->reason = apr_psprintf(p, "not sent: %s",
                                 why ? why : "the session ended early");
    }
}

static int on_interact(auth_client_request_t req, char **result, int fields,
                       void *arg);

/* on_event - libesmtp's progress and TLS checks */
static void on_event(smtp_session_t session, int ev, void *arg, ...)
{
    sess_t *ss = arg;
    int opp = ss->tls == WR_SMTP_TLS_OPPORTUNISTIC;
    smtp_message_t msg;
    smsg_t *sm;
    int *ok;
    va_list ap;

    (void)session;
    va_start(ap, arg);
    switch (ev) {
    case SMTP_EV_CONNECT:
        ss->connected = 1;
        ss->last_activity = apr_time_now();
        timer_set(0, NULL);
        break;
    case SMTP_EV_MAILSTATUS:
        (void)va_arg(ap, const char *);
        msg = va_arg(ap, smtp_message_t);
        sm = smtp_message_get_application_data(msg);
        if (sm && smtp_reverse_path_status(msg)->code / 100 == 2
            && ss->hooks && ss->hooks->started) {
            ss->hooks->started(sm->m, ss->hooks->baton);
        }
        break;
    case SMTP_EV_MESSAGESENT:
        msg = va_arg(ap, smtp_message_t);
        sm = smtp_message_get_application_data(msg);
        if (sm == NULL) {
            break;
        }
        classify(ss, sm, NULL);
        if (sm->m->outcome == WR_SMTP_SENT && !sm->hooked) {
            sm->hooked = 1;
            if (ss->hooks && ss->hooks->accepted) {
                ss->hooks->accepted(sm->m, ss->hooks->baton);
            }
        }
        break;
    case SMTP_EV_STARTTLS_OK:
        (void)va_arg(ap, SSL *);
        ss->cipher = apr_pstrdup(ss->p, va_arg(ap, const char *));
        ss->tls_ok = 1;
        /* now, and only now, with the chain and the name verified, AUTH
         * may begin: without the interaction callback libesmtp tries no
         * mechanism at all (CRAM-MD5 included) */
        if (ss->auth && ss->tls == WR_SMTP_TLS_REQUIRED
            && ss->tls_problem == NULL) {
            auth_set_mechanism_flags(ss->auth, AUTH_PLUGIN_PLAIN, 0);
            auth_set_interact_cb(ss->auth, on_interact, ss);
        }
        break;
    case SMTP_EV_INVALID_PEER_CERTIFICATE: {
        long vfy = va_arg(ap, long);
        ok = va_arg(ap, int *);
        ss->tls_problem = apr_psprintf(ss->p, "the certificate of %s is not "
                                       "trusted (%s)", ss->where,
                                       X509_verify_cert_error_string(vfy));
        *ok = opp;
        break;
    }
    case SMTP_EV_WRONG_PEER_CERTIFICATE: {
        const char *name;
        ok = va_arg(ap, int *);
        name = va_arg(ap, const char *);
        if (ss->tls_problem == NULL) {
            ss->tls_problem = apr_psprintf(ss->p, "the certificate of %s "
                                           "does not name %s (it names %s)",
                                           ss->where, ss->conf->host,
                                           clean(name, ss->p));
        }
        *ok = opp;
        break;
    }
    case SMTP_EV_NO_PEER_CERTIFICATE:
        ok = va_arg(ap, int *);
        ss->tls_problem = apr_psprintf(ss->p, "%s sent no certificate",
                                       ss->where);
        *ok = opp;
        break;
    case SMTP_EV_WEAK_CIPHER: {
        int bits = va_arg(ap, int);
        ok = va_arg(ap, int *);
        ss->tls_problem = apr_psprintf(ss->p, "the cipher of %s is weak "
                                       "(%d bits)", ss->where, bits);
        *ok = opp;
        break;
    }
    case SMTP_EV_EXTNA_STARTTLS:
        ss->extna_starttls = 1;
        break;
    case SMTP_EV_UNUSABLE_CA_LIST:
        ss->unusable_ca = 1;
        break;
    case SMTP_EV_EXTNA_8BITMIME:
        ss->extna_8bitmime = 1;
        break;
    case SMTP_EV_EXTNA_DSN:
    case SMTP_EV_EXTNA_CHUNKING:
        /* not asked for; go on */
        ok = va_arg(ap, int *);
        *ok = 0;
        break;
    default:
        break;
    }
    va_end(ap);
}

/* on_interact - the user name and the secret for the SASL plugin */
static int on_interact(auth_client_request_t req, char **result, int fields,
                       void *arg)
{
    const sess_t *ss = arg;
    int k;

    for (k = 0; k < fields; k++) {
        if (req[k].flags & AUTH_USER) {
            result[k] = (char *)ss->conf->user;
        }
        else if (req[k].flags & AUTH_PASS) {
            result[k] = (char *)ss->secret;
        }
        else {
            /* a realm: none */
            result[k] = (char *)"";
        }
    }
    return 1;
}

/* on_message - hand libesmtp the message text: all of it at once (the
 * BDAT chunk size is what we return) */
static const char *on_message(void **ctx, int *len, void *arg)
{
    const wr_smtp_msg_t *m = arg;
    apr_size_t *off;

    if (*ctx == NULL) {
        /* libesmtp frees the context with free() */
        if ((*ctx = malloc(sizeof(apr_size_t))) == NULL) {
            return NULL;
        }
        *(apr_size_t *)*ctx = 0;
    }
    off = *ctx;
    if (len == NULL) {
        *off = 0;
        return NULL;
    }
    if (*off >= m->len) {
        *len = 0;
        return NULL;
    }
    *len = (int)(m->len - *off);
    *off = m->len;
    return m->data;
}

/* session_problem - why messages without a reply were not sent */
static const char *session_problem(sess_t *ss, int started, int err)
{
    const wr_smtp_conf_t *c = ss->conf;
    apr_pool_t *p = ss->p;
    char buf[256];
    apr_interval_time_t ct = c->command_timeout
                             ? c->command_timeout
                             : WR_SMTP_DEFAULT_COMMAND_TIMEOUT;
    apr_interval_time_t kt = c->connect_timeout
                             ? c->connect_timeout
                             : WR_SMTP_DEFAULT_CONNECT_TIMEOUT;

    if (!ss->connected) {
        if (alarm_fired) {
            return apr_psprintf(p, "no connection to %s within %"
                                APR_TIME_T_FMT " s", ss->where,
                                apr_time_sec(kt));
        }
        if (err < 0) {
            return apr_psprintf(p, "cannot connect to %s: %s", ss->where,
                                strerror(-err));
        }
        return apr_psprintf(p, "cannot connect to %s: %s", ss->where,
                            err ? smtp_strerror(err, buf, sizeof(buf))
                                : "unknown error");
    }
    if (ss->extna_starttls) {
        return apr_psprintf(p, "%s does not offer STARTTLS, which is "
                            "required: nothing sent", ss->where);
    }
    if (ss->unusable_ca) {
        return apr_psprintf(p, "the CA list for %s cannot be used",
                            ss->where);
    }
    if (ss->tls_problem && ss->tls == WR_SMTP_TLS_REQUIRED) {
        return apr_psprintf(p, "%s: TLS required, nothing sent",
                            ss->tls_problem);
    }
    if (ss->starttls_sent && !ss->tls_ok) {
        if (ss->last_code / 100 >= 4) {
            return apr_psprintf(p, "%s refused STARTTLS: %d %s", ss->where,
                                ss->last_code, ss->last_text);
        }
        return apr_psprintf(p, "the TLS handshake with %s failed",
                            ss->where);
    }
    if (c->user && ss->auth_code) {
        return apr_psprintf(p, "%s refused AUTH %s as %s: %d %s", ss->where,
                            ss->auth_mech, c->user, ss->auth_code,
                            ss->auth_text);
    }
    if (c->user && !ss->auth_ok && ss->auth_tried) {
        return apr_psprintf(p, "AUTH %s with %s did not complete",
                            ss->auth_mech, ss->where);
    }
    if (c->user && !ss->auth_ok && ss->mail_seen) {
        return apr_psprintf(p, "%s offered no AUTH mechanism we can use "
                            "(AUTH only after STARTTLS with a verified "
                            "certificate)",
                            ss->where);
    }
    if (ss->extna_8bitmime) {
        return apr_psprintf(p, "%s does not offer 8BITMIME, needed for an "
                            "8-bit message", ss->where);
    }
    if (err == SMTP_ERR_DROPPED_CONNECTION
        && apr_time_now() - ss->last_activity >= ct - apr_time_from_msec(200)) {
        return apr_psprintf(p, "no answer from %s within %" APR_TIME_T_FMT
                            " s", ss->where, apr_time_sec(ct));
    }
    if (!ss->mail_seen && ss->last_code / 100 >= 4) {
        return apr_psprintf(p, "%s said %d %s", ss->where, ss->last_code,
                            ss->last_text);
    }
    if (err != 0) {
        return apr_psprintf(p, "session with %s: %s", ss->where,
                            smtp_strerror(err, buf, sizeof(buf)));
    }
    if (!started) {
        return apr_psprintf(p, "session with %s ended early", ss->where);
    }
    return NULL;
}

apr_status_t wr_smtp_parse_hostport(const char *s, const char **host,
                                    apr_port_t *port, const char **err,
                                    apr_pool_t *p)
{
    const char *colon;

    *err = NULL;
    if (s == NULL || *s == '\0') {
        *err = "empty smarthost";
        return APR_EINVAL;
    }
    if (*s == '[' || (strchr(s, ':') && strchr(s, ':') != strrchr(s, ':'))) {
        *err = apr_psprintf(p, "%s: IPv6 literals are not supported "
                            "(libesmtp); use a host name", s);
        return APR_EINVAL;
    }
    colon = strchr(s, ':');
    *host = colon ? apr_pstrmemdup(p, s, (apr_size_t)(colon - s))
                  : apr_pstrdup(p, s);
    *port = 0;
    if (!wr_text_host_ok(*host, 0)) {
        *err = apr_psprintf(p, "%s: not a host name or IPv4 address", s);
        return APR_EINVAL;
    }
    if (colon) {
        char *end;
        long n;

        errno = 0;
        n = strtol(colon + 1, &end, 10);
        if (colon[1] == '\0' || *end != '\0' || errno || n < 1
            || n > 65535) {
            *err = apr_psprintf(p, "%s: bad port", s);
            return APR_EINVAL;
        }
        *port = (apr_port_t)n;
    }
    return APR_SUCCESS;
}

apr_status_t wr_smtp_tls_parse(const char *s, wr_smtp_tls_e *tls)
{
    if (s && !strcasecmp(s, "required")) {
        *tls = WR_SMTP_TLS_REQUIRED;
    }
    else if (s && !strcasecmp(s, "opportunistic")) {
        *tls = WR_SMTP_TLS_OPPORTUNISTIC;
    }
    else if (s && !strcasecmp(s, "off")) {
        *tls = WR_SMTP_TLS_OFF;
    }
    else {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t wr_smtp_conf_check(const wr_smtp_conf_t *c, const char **err,
                                apr_pool_t *p)
{
    apr_finfo_t fi;
    const char *s;

    *err = NULL;
    if (!wr_text_host_ok(c->host, 0)) {
        *err = apr_psprintf(p, "smarthost '%s' is not a host name or IPv4 "
                            "address", c->host ? c->host : "");
        return APR_EINVAL;
    }
    if (c->tls < WR_SMTP_TLS_DEFAULT || c->tls > WR_SMTP_TLS_OFF) {
        *err = "bad TLS mode";
        return APR_EINVAL;
    }
    if ((c->user == NULL)
        != (c->secret == NULL && c->secret_file == NULL)
        || (c->user && (*c->user == '\0'
                        || (c->secret && *c->secret == '\0')))) {
        *err = "AUTH needs both a user name and a secret";
        return APR_EINVAL;
    }
    if (c->user && c->tls != WR_SMTP_TLS_DEFAULT
        && c->tls != WR_SMTP_TLS_REQUIRED) {
        *err = apr_psprintf(p, "AUTH needs TLS required, not %s: the "
                            "secret must only reach a server whose "
                            "certificate was verified",
                            c->tls == WR_SMTP_TLS_OFF ? "off"
                                                      : "opportunistic");
        return APR_EINVAL;
    }
    for (s = c->user; s && *s; s++) {
        if ((unsigned char)*s < 0x21 || *s == 0x7f) {
            *err = "the AUTH user name has spaces or control characters";
            return APR_EINVAL;
        }
    }
    if (c->helo && !wr_text_host_ok(c->helo, 0)) {
        *err = apr_psprintf(p, "HELO name '%s' is not a host name", c->helo);
        return APR_EINVAL;
    }
    if (c->ca_file && apr_stat(&fi, c->ca_file, APR_FINFO_TYPE, p)
                      != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot read the CA file %s", c->ca_file);
        return APR_EINVAL;
    }
    if (c->connect_timeout < 0 || c->command_timeout < 0) {
        *err = "negative timeout";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* tls_ctx - an SSL_CTX that trusts the CA file, or the system store */
static SSL_CTX *tls_ctx(const wr_smtp_conf_t *c)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL) {
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (c->ca_file ? SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL)
                   : SSL_CTX_set_default_verify_paths(ctx)) {
        return ctx;
    }
    SSL_CTX_free(ctx);
    return NULL;
}

/* once - process-wide set-up of OpenSSL and libesmtp's SASL client.
 * libesmtp 1.1 looks for the plugin of mechanism M as "sasl-<m>.so", so
 * for CRAM-MD5 it opens sasl-cram-md5.so, but the plugin is installed as
 * sasl-crammd5.so: asking once for "CRAMMD5" loads it, and from then on
 * libesmtp finds it by its own name, "CRAM-MD5", among the loaded ones. */
static void once(void)
{
    static int done;

    if (!done) {
        auth_context_t a;

        done = 1;
        OPENSSL_init_ssl(0, NULL);
        auth_client_init();
        if ((a = auth_create_context()) != NULL) {
            auth_set_mechanism(a, "CRAMMD5");
            auth_destroy_context(a);
        }
    }
}

/* all_defer - every message deferred for one reason */
static void all_defer(wr_smtp_msg_t *msgs, int n, const char *why)
{
    int k;

    for (k = 0; k < n; k++) {
        msgs[k].outcome = WR_SMTP_DEFER;
        msgs[k].code = 0;
        msgs[k].reason = why;
        msgs[k].queue_id = NULL;
        msgs[k].n_refused = 0;
        msgs[k].n_deferred = msgs[k].rcpt ? msgs[k].rcpt->nelts : 0;
    }
}

/* without_secret - a reason never carries the secret, whatever a server
 * may have echoed */
static const char *without_secret(const char *s, const char *secret,
                                  apr_pool_t *p)
{
    if (s && secret && *secret && strstr(s, secret)) {
        return apr_pstrcat(p, "(reason withheld: it quoted the AUTH secret)",
                           NULL);
    }
    return s;
}

apr_status_t wr_smtp_send(const wr_smtp_conf_t *conf, wr_smtp_msg_t *msgs,
                          int n, const wr_smtp_hooks_t *hooks,
                          wr_smtp_session_t *info, apr_pool_t *p)
{
    wr_smtp_session_t dummy;
    sess_t ss;
    apr_pool_t *sp = NULL;
    smtp_session_t session = NULL;
    SSL_CTX *ctx = NULL;
    struct sigaction sa, old_sa;
    struct itimerval old_it;
    sigset_t alrm, old_mask;
    const char *err = NULL, *why;
    apr_interval_time_t ct, kt;
    apr_status_t rv = APR_SUCCESS;
    int k, j, started, serr;

    if (info == NULL) {
        info = &dummy;
    }
    memset(info, 0, sizeof(*info));
    memset(&ss, 0, sizeof(ss));
    ss.conf = conf;
    ss.hooks = hooks;
    ss.p = p;
    ss.start = ss.last_activity = apr_time_now();
    if (wr_smtp_conf_check(conf, &err, p) != APR_SUCCESS) {
        all_defer(msgs, n, apr_pstrcat(p, "bad SMTP configuration: ", err,
                                       NULL));
        info->error = msgs && n ? msgs[0].reason : err;
        return APR_EINVAL;
    }
    for (k = 0; k < n; k++) {
        if (msgs[k].rcpt == NULL || msgs[k].rcpt->nelts == 0
            || msgs[k].data == NULL || msgs[k].sender == NULL
            || msgs[k].len > (apr_size_t)0x7fffffff) {
            all_defer(msgs, n, "a message without sender, recipients or "
                      "data");
            info->error = msgs[0].reason;
            return APR_EINVAL;
        }
    }
    ss.tls = conf->tls != WR_SMTP_TLS_DEFAULT ? conf->tls
             : conf->user ? WR_SMTP_TLS_REQUIRED : WR_SMTP_TLS_OPPORTUNISTIC;
    ss.where = apr_psprintf(p, "%s:%u", conf->host,
                            (unsigned)(conf->port ? conf->port
                                                  : WR_SMTP_DEFAULT_PORT));
    ct = conf->command_timeout ? conf->command_timeout
                               : WR_SMTP_DEFAULT_COMMAND_TIMEOUT;
    kt = conf->connect_timeout ? conf->connect_timeout
                               : WR_SMTP_DEFAULT_CONNECT_TIMEOUT;
    once();
    if ((session = smtp_create_session()) == NULL) {
        all_defer(msgs, n, "libesmtp cannot create a session");
        return APR_ENOMEM;
    }
    smtp_set_server(session, ss.where);
    if (conf->helo) {
        smtp_set_hostname(session, conf->helo);
    }
    for (j = Timeout_GREETING; j <= Timeout_DATA2; j++) {
        smtp_set_timeout(session, j | Timeout_OVERRIDE_RFC2822_MINIMUM,
                         (long)apr_time_as_msec(ct));
    }
    smtp_set_eventcb(session, on_event, &ss);
    smtp_set_monitorcb(session, on_monitor, &ss, 0);
    if (ss.tls != WR_SMTP_TLS_OFF) {
        if ((ctx = tls_ctx(conf)) == NULL) {
            why = apr_psprintf(p, "cannot load the CA %s for %s",
                               conf->ca_file ? conf->ca_file
                                             : "system store", ss.where);
            all_defer(msgs, n, why);
            info->error = why;
            smtp_destroy_session(session);
            return APR_SUCCESS;
        }
        smtp_starttls_set_ctx(session, ctx);
        /* libesmtp took its own reference */
        SSL_CTX_free(ctx);
        smtp_starttls_enable(session, ss.tls == WR_SMTP_TLS_REQUIRED
                                      ? Starttls_REQUIRED : Starttls_ENABLED);
    }
    else {
        smtp_starttls_enable(session, Starttls_DISABLED);
    }
    if (conf->user) {
        ss.auth = auth_create_context();
        /* No mechanism is usable until STARTTLS has succeeded with a
         * verified certificate (on_event sets the interaction callback,
         * without which libesmtp does no AUTH): nothing derived from the
         * secret goes to a server we have not authenticated */
        auth_set_mechanism_flags(ss.auth, 0, AUTH_PLUGIN_PLAIN);
        smtp_auth_set_context(session, ss.auth);
    }
    ss.msgs = apr_pcalloc(p, sizeof(smsg_t) * (apr_size_t)(n ? n : 1));
    ss.n = n;
    for (k = 0; k < n; k++) {
        smsg_t *sm = &ss.msgs[k];
        wr_smtp_msg_t *m = &msgs[k];

        sm->m = m;
        m->outcome = WR_SMTP_DEFER;
        m->reason = "not attempted";
        m->code = 0;
        m->queue_id = NULL;
        m->rcpts = apr_pcalloc(p, sizeof(wr_smtp_rcpt_t)
                                  * (apr_size_t)m->rcpt->nelts);
        sm->r = apr_pcalloc(p, sizeof(smtp_recipient_t)
                               * (apr_size_t)m->rcpt->nelts);
        if ((sm->sm = smtp_add_message(session)) == NULL) {
            rv = APR_ENOMEM;
            break;
        }
        smtp_message_set_application_data_release(sm->sm, sm, NULL);
        smtp_set_reverse_path(sm->sm, m->sender);
        smtp_set_messagecb(sm->sm, on_message, m);
        if (m->eightbit) {
            smtp_8bitmime_set_body(sm->sm, E8bitmime_8BITMIME);
        }
        for (j = 0; j < m->rcpt->nelts; j++) {
            m->rcpts[j].address = APR_ARRAY_IDX(m->rcpt, j, const char *);
            if ((sm->r[j] = smtp_add_recipient(sm->sm, m->rcpts[j].address))
                == NULL) {
                rv = APR_ENOMEM;
                break;
            }
        }
    }
    ss.secret = conf->secret;
    if (rv == APR_SUCCESS && conf->user && ss.secret == NULL) {
        /* read now, wiped with `sp` when the session has ended */
        if (apr_pool_create(&sp, p) != APR_SUCCESS
            || wr_smtp_secret_read(conf->secret_file, &ss.secret, &err, sp)
               != APR_SUCCESS) {
            why = apr_psprintf(p, "the AUTH secret for %s cannot be read: "
                               "%s", ss.where, err ? err : "no memory");
            all_defer(msgs, n, why);
            info->error = why;
            if (sp) {
                apr_pool_destroy(sp);
            }
            smtp_destroy_session(session);
            auth_destroy_context(ss.auth);
            return APR_SUCCESS;
        }
    }
    if (rv != APR_SUCCESS) {
        all_defer(msgs, n, "libesmtp cannot set up the messages");
        smtp_destroy_session(session);
        if (ss.auth) {
            auth_destroy_context(ss.auth);
        }
        return rv;
    }

    /* a bound on connect(2), which libesmtp makes blocking and untimed */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    alarm_fired = 0;
    sigaction(SIGALRM, &sa, &old_sa);
    sigprocmask(SIG_UNBLOCK, &alrm, &old_mask);
    timer_set(kt, &old_it);
    /* smtp_errno() keeps the last error of any earlier session and success
     * does not clear it: load a sentinel that means "no new error" */
    smtp_set_server(NULL, NULL);
    started = smtp_start_session(session);
    serr = smtp_errno();
    if (serr == SMTP_ERR_INVAL) {
        serr = 0;
    }
    timer_set(0, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGALRM, &old_sa, NULL);
    if (old_it.it_value.tv_sec || old_it.it_value.tv_usec) {
        setitimer(ITIMER_REAL, &old_it, NULL);
    }

    why = session_problem(&ss, started, serr);
    for (k = 0; k < n; k++) {
        smsg_t *sm = &ss.msgs[k];
        classify(&ss, sm, why);
        sm->m->reason = without_secret(sm->m->reason, ss.secret, p);
        if (sm->m->outcome == WR_SMTP_SENT) {
            info->n_sent++;
            if (!sm->hooked) {
                /* libesmtp told of no MESSAGESENT: cannot happen with a
                 * 2xx, but the caller must hear of every acceptance */
                sm->hooked = 1;
                if (hooks && hooks->accepted) {
                    hooks->accepted(sm->m, hooks->baton);
                }
            }
        }
        else if (sm->m->outcome == WR_SMTP_FAIL) {
            info->n_failed++;
        }
        else {
            info->n_deferred++;
        }
    }
    info->connected = ss.connected;
    info->tls = ss.tls_ok;
    info->tls_cipher = ss.cipher;
    info->tls_note = ss.tls == WR_SMTP_TLS_OPPORTUNISTIC ? ss.tls_problem
                                                          : NULL;
    info->auth = ss.auth_ok ? 1 : (conf->user ? -1 : 0);
    if (conf->user && !ss.auth_ok && !ss.auth_tried && !ss.mail_seen) {
        /* the session ended before AUTH could be tried */
        info->auth = 0;
    }
    info->auth_mechanism = ss.auth_mech;
    info->error = without_secret(why, ss.secret, p);
    info->elapsed = apr_time_now() - ss.start;
    smtp_destroy_session(session);
    if (ss.auth) {
        auth_destroy_context(ss.auth);
    }
    ss.secret = NULL;
    if (sp) {
        /* wipes the secret read for this session */
        apr_pool_destroy(sp);
    }
    return APR_SUCCESS;
}

/* ---- the transport (wr_transport.h) --------------------------------- */

/* transport_check - wr_smtp_conf_check, for the table */
static apr_status_t transport_check(const void *conf, const char **err,
                                    apr_pool_t *p)
{
    return wr_smtp_conf_check(conf, err, p);
}

/* transport_where - "host:port" */
static const char *transport_where(const void *conf, apr_pool_t *p)
{
    const wr_smtp_conf_t *c = conf;

    return apr_psprintf(p, "%s:%u", c->host ? c->host : "-",
                        (unsigned)(c->port ? c->port : WR_SMTP_DEFAULT_PORT));
}

/* transport_send - one session for the batch */
static apr_status_t transport_send(const void *conf, wr_transport_msg_t *msgs,
                                   int n, const wr_transport_hooks_t *hooks,
                                   wr_transport_batch_t *batch, apr_pool_t *p)
{
    wr_smtp_session_t info;
    apr_status_t rv = wr_smtp_send(conf, msgs, n, hooks, &info, p);

    memset(batch, 0, sizeof(*batch));
    batch->error = info.error;
    batch->note = info.tls_note
                  ? apr_pstrcat(p, "opportunistic TLS: ", info.tls_note, NULL)
                  : NULL;
    batch->n_sent = info.n_sent;
    batch->n_deferred = info.n_deferred;
    batch->n_failed = info.n_failed;
    return rv;
}

const wr_transport_t wr_transport_smtp = {
    "smtp", transport_check, transport_where, transport_send,
    0
};
