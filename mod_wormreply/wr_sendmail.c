/* wr_sendmail.c - the sendmail transport (see wr_sendmail.h) */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_strings.h>

#include "wr_proc.h"
#include "wr_sendmail.h"

/* The program's output kept for the reason, at most. */
#define OUTPUT_MAX 300

static const char *path_of(const wr_sendmail_conf_t *c)
{
    return c->path ? c->path : WR_SENDMAIL_DEFAULT_PATH;
}

apr_status_t wr_sendmail_conf_check(const wr_sendmail_conf_t *conf,
                                    const char **err, apr_pool_t *p)
{
    const char *path = path_of(conf);
    struct stat st;

    if (path[0] != '/') {
        *err = apr_psprintf(p, "sendmail: '%s' is not an absolute path",
                            path);
        return APR_EINVAL;
    }
    if (stat(path, &st) != 0) {
        *err = apr_psprintf(p, "sendmail: %s: %s", path, strerror(errno));
        return APR_EINVAL;
    }
    if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
        *err = apr_psprintf(p, "sendmail: %s is not an executable file",
                            path);
        return APR_EINVAL;
    }
    if (conf->timeout < 0) {
        *err = "sendmail: negative timeout";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* status_name - sysexits.h's name of an exit status, or NULL */
static const char *status_name(int code)
{
    static const char *const names[] = {
        "EX_USAGE", "EX_DATAERR", "EX_NOINPUT", "EX_NOUSER", "EX_NOHOST",
        "EX_UNAVAILABLE", "EX_SOFTWARE", "EX_OSERR", "EX_OSFILE",
        "EX_CANTCREAT", "EX_IOERR", "EX_TEMPFAIL", "EX_PROTOCOL",
        "EX_NOPERM", "EX_CONFIG"
    };
    return code >= 64 && code <= 78 ? names[code - 64] : NULL;
}

/* output_line - the first line of what the program wrote, printable */
static const char *output_line(int fd, apr_pool_t *p)
{
    char buf[OUTPUT_MAX + 1];
    ssize_t got = pread(fd, buf, OUTPUT_MAX, 0);
    ssize_t k;

    if (got <= 0) {
        return NULL;
    }
    buf[got] = '\0';
    for (k = 0; k < got; k++) {
        if (buf[k] == '\n' || buf[k] == '\r') {
            buf[k] = '\0';
            break;
        }
        if ((unsigned char)buf[k] < 0x20 || (unsigned char)buf[k] > 0x7e) {
            buf[k] = '?';
        }
    }
    return buf[0] ? apr_pstrdup(p, buf) : NULL;
}

/* write_all - the message to the program's standard input by `deadline`;
 * 0 on success, else errno (EPIPE: it stopped reading; ETIMEDOUT) */
static int write_all(int fd, const char *data, apr_size_t len,
                     apr_time_t deadline)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w > 0) {
            data += w;
            len -= (apr_size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd;
            apr_time_t left = deadline - apr_time_now();
            if (left <= 0) {
                return ETIMEDOUT;
            }
            pfd.fd = fd;
            pfd.events = POLLOUT;
            poll(&pfd, 1, (int)(apr_time_as_msec(left) + 1));
            continue;
        }
        return w < 0 ? errno : EIO;
    }
    return 0;
}

/* one - run the program for one message and set its outcome */
static void one(const wr_sendmail_conf_t *c, wr_transport_msg_t *m,
                const wr_transport_hooks_t *hooks, apr_pool_t *p)
{
    const char *path = path_of(c);
    apr_interval_time_t timeout = c->timeout > 0
                                  ? c->timeout : WR_SENDMAIL_DEFAULT_TIMEOUT;
    apr_time_t deadline = apr_time_now() + timeout;
    const char **argv;
    char tmpl[] = "/tmp/wr-sendmail-XXXXXX";
    const char *out, *sname;
    int k, a = 0, in = -1, out_fd, werr, status = 0, code;
    pid_t pid;
    apr_status_t rv;

    m->outcome = WR_TRANSPORT_DEFER;
    m->n_deferred = m->rcpt->nelts;
    argv = apr_pcalloc(p, sizeof(*argv) * (apr_size_t)(m->rcpt->nelts + 6));
    argv[a++] = path;
    argv[a++] = "-i";
    argv[a++] = "-f";
    argv[a++] = m->sender && *m->sender ? m->sender : "<>";
    argv[a++] = "--";
    for (k = 0; k < m->rcpt->nelts; k++) {
        argv[a++] = APR_ARRAY_IDX(m->rcpt, k, const char *);
    }
    argv[a] = NULL;
    /* the output in an unlinked file: a pipe could fill while we write */
    if ((out_fd = mkstemp(tmpl)) < 0) {
        m->reason = apr_psprintf(p, "sendmail: no file for its output: %s",
                                 strerror(errno));
        return;
    }
    unlink(tmpl);
    if ((rv = wr_proc_spawn(argv, out_fd, &in, &pid)) != APR_SUCCESS) {
        char e[120];
        m->reason = apr_psprintf(p, "cannot run %s: %s", path,
                                 apr_strerror(rv, e, sizeof(e)));
        close(out_fd);
        return;
    }
    if (hooks && hooks->started) {
        hooks->started(m, hooks->baton);
    }
    werr = write_all(in, m->data, m->len, deadline);
    close(in);
    rv = wr_proc_wait(pid, deadline, &status);
    out = output_line(out_fd, p);
    close(out_fd);
    if (rv == APR_TIMEUP) {
        m->reason = apr_psprintf(p, "%s did not finish within %" APR_TIME_T_FMT
                                 " s: stopped", path, apr_time_sec(timeout));
        return;
    }
    if (WIFSIGNALED(status)) {
        m->reason = apr_psprintf(p, "%s ended by signal %d%s%s", path,
                                 WTERMSIG(status), out ? ": " : "",
                                 out ? out : "");
        return;
    }
    code = WEXITSTATUS(status);
    if (code == 0 && werr == 0) {
        m->outcome = WR_TRANSPORT_SENT;
        m->n_deferred = 0;
        m->reason = apr_psprintf(p, "%s took it (exit 0)", path);
        for (k = 0; k < m->rcpt->nelts; k++) {
            m->rcpts[k].code = 250;
        }
        if (hooks && hooks->accepted) {
            hooks->accepted(m, hooks->baton);
        }
        return;
    }
    sname = status_name(code);
    m->reason = apr_psprintf(p, "%s exited with %d%s%s%s%s%s", path, code,
                             sname ? " (" : "", sname ? sname : "",
                             sname ? ")" : "", out ? ": " : "",
                             out ? out : (werr ? strerror(werr) : ""));
    if (code == 0) {
        /* exit 0 though it did not read the whole message: not trusted */
        m->reason = apr_psprintf(p, "%s exited 0 before reading the whole "
                                 "message (%s)", path, strerror(werr));
        return;
    }
    if (code == 65 || code == 67 || code == 68) {
        m->outcome = WR_TRANSPORT_FAIL;
        m->n_deferred = 0;
    }
}

apr_status_t wr_sendmail_send(const wr_sendmail_conf_t *conf,
                              wr_transport_msg_t *msgs, int n,
                              const wr_transport_hooks_t *hooks,
                              wr_transport_batch_t *batch, apr_pool_t *p)
{
    struct sigaction ign, old;
    int k, j;

    memset(batch, 0, sizeof(*batch));
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old);
    for (k = 0; k < n; k++) {
        wr_transport_msg_t *m = &msgs[k];

        m->code = 0;
        m->queue_id = NULL;
        m->n_refused = 0;
        m->rcpts = apr_pcalloc(p, sizeof(*m->rcpts)
                                  * (apr_size_t)(m->rcpt ? m->rcpt->nelts
                                                         : 0));
        for (j = 0; m->rcpt && j < m->rcpt->nelts; j++) {
            m->rcpts[j].address = APR_ARRAY_IDX(m->rcpt, j, const char *);
        }
        if (m->rcpt == NULL || m->rcpt->nelts == 0 || m->data == NULL) {
            m->outcome = WR_TRANSPORT_DEFER;
            m->n_deferred = 0;
            m->reason = "no recipients or no data";
        }
        else {
            one(conf, m, hooks, p);
        }
        switch (m->outcome) {
        case WR_TRANSPORT_SENT:
            batch->n_sent++;
            break;
        case WR_TRANSPORT_FAIL:
            batch->n_failed++;
            break;
        default:
            batch->n_deferred++;
            break;
        }
    }
    sigaction(SIGPIPE, &old, NULL);
    if (batch->n_sent == 0 && batch->n_failed == 0 && n > 0) {
        batch->error = msgs[0].reason;
    }
    return APR_SUCCESS;
}

/* ---- the transport (wr_transport.h) --------------------------------- */

static apr_status_t transport_check(const void *conf, const char **err,
                                    apr_pool_t *p)
{
    return wr_sendmail_conf_check(conf, err, p);
}

static const char *transport_where(const void *conf, apr_pool_t *p)
{
    return apr_pstrdup(p, path_of(conf));
}

static apr_status_t transport_send(const void *conf, wr_transport_msg_t *msgs,
                                   int n, const wr_transport_hooks_t *hooks,
                                   wr_transport_batch_t *batch, apr_pool_t *p)
{
    return wr_sendmail_send(conf, msgs, n, hooks, batch, p);
}

const wr_transport_t wr_transport_sendmail = {
    "sendmail", transport_check, transport_where, transport_send, 1
};
