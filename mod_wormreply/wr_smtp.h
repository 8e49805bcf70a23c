/* wr_smtp.h - one SMTP session with libesmtp: several messages to one
 * smarthost, STARTTLS, SMTP AUTH, and an outcome per message decided from
 * the server's real replies
 *
 * What the session does:
 * - connects to conf->host:conf->port (a host name or an IPv4 literal;
 *   libesmtp cannot take an IPv6 literal), bounded by connect_timeout;
 *   every later wait for the server is bounded by command_timeout;
 * - STARTTLS, by conf->tls:
 *     REQUIRED       STARTTLS or nothing: when the server does not offer
 *                    it, when the handshake fails, or when the certificate
 *                    is not trusted (conf->ca_file, else the system store)
 *                    or does not name conf->host (libesmtp matches the
 *                    host name, after getaddrinfo's canonical name, against
 *                    the certificate's DNS SANs, else its CN; IP SANs are
 *                    ignored), the session ends before MAIL, with every
 *                    message deferred. Nothing is ever sent in clear.
 *     OPPORTUNISTIC  STARTTLS when offered; a certificate that fails the
 *                    checks is accepted (encrypted beats clear) and said
 *                    in wr_smtp_session_t.tls_note; plain SMTP otherwise.
 *     OFF            never STARTTLS.
 *     DEFAULT        REQUIRED when conf->user is set, else OPPORTUNISTIC.
 * - AUTH when conf->user is set, and only with REQUIRED (wr_smtp_conf_check
 *   refuses AUTH with OPPORTUNISTIC or OFF): the server's first mechanism
 *   among PLAIN, LOGIN and CRAM-MD5 (libesmtp's SASL plugins). No
 *   mechanism at all, CRAM-MD5 included, is usable before STARTTLS has
 *   completed with a verified chain and name: libesmtp is given the
 *   callback that supplies the user and the secret only then, so a
 *   stripped STARTTLS or a forged certificate never sees an AUTH command.
 *   A refused AUTH, or a server that offers no usable mechanism, defers
 *   every message (libesmtp itself would go on without AUTH; the server's
 *   reply to MAIL then says what it thinks of that).
 * - The secret: conf->secret as given, or read from conf->secret_file
 *   (an fd opened earlier, by root: wr_smtp_secret_open, wr_smtp_secret.h)
 *   at the start of the session into memory that is wiped when the
 *   session ends; so it is held in memory only while a session runs, and
 *   only by the process that runs it.
 * - one transaction per message: MAIL FROM, RCPT TO per recipient, the
 *   message as given (CRLF line ends; libesmtp leaves headers that are
 *   present alone), with BODY=8BITMIME when msg->eightbit.
 *
 * Outcome per message (decided in this order):
 *   reply to the data 2xx          WR_SMTP_SENT; queue_id parsed from the
 *                                  reply ("id=X", "queued as X") if any
 *   reply to the data 5xx          WR_SMTP_FAIL
 *   reply to the data 4xx          WR_SMTP_DEFER
 *   MAIL FROM 4xx or 5xx           WR_SMTP_DEFER: a refusal of *our*
 *                                  sender or of our (missing) AUTH, the
 *                                  same for every message and no fault
 *                                  of the recipients; retried until the
 *                                  caller gives up (max queue time)
 *   every RCPT 5xx                 WR_SMTP_FAIL
 *   some RCPT 4xx, none accepted   WR_SMTP_DEFER
 *   (a RCPT 5xx with enhanced status 5.7.x, "relay access denied",
 *   "authentication required", counts as a 4xx: a smarthost that will not
 *   relay for us says nothing about the address; it is retried, and never
 *   suppressed)
 *   anything else (no connection, TLS or AUTH failure, timeout, dropped
 *   connection, 8BITMIME needed but not offered)  WR_SMTP_DEFER
 * Per recipient, rcpts[i].code is the reply to its RCPT (0 if never
 * asked): a SENT message may have refused (5xx) or deferred (4xx)
 * recipients, a FAIL or DEFER one may have refused recipients; the caller
 * suppresses the refused ones and may queue the deferred ones again.
 * `reason` is one line of printable ASCII for logs and queue files: what
 * happened and the server's words (sanitised); it never holds the secret.
 *
 * Durability hooks: `started` is called when the server has accepted MAIL
 * FROM for a message (a transaction is open: from here until the reply to
 * the data, a crash leaves the outcome unknown), `accepted` the moment the
 * reply to its data is a 2xx, inside the session and before the next
 * message begins: the caller records "sent" there (a rename), so that a
 * crash later in the session cannot make it send the message again.
 *
 * Signals: while connecting, wr_smtp_send() arms ITIMER_REAL with a no-op
 * SIGALRM handler (no SA_RESTART) so that a blocking connect(2) inside
 * libesmtp is interrupted after connect_timeout; the previous handler,
 * timer and signal mask are restored before it returns. Call it from one
 * thread of a process that does not use SIGALRM itself (the notifier).
 */
#ifndef WR_SMTP_H
#define WR_SMTP_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <apr_network_io.h>

#include "wr_smtp_secret.h"
#include "wr_transport.h"

#define WR_SMTP_DEFAULT_PORT 25
#define WR_SMTP_DEFAULT_CONNECT_TIMEOUT apr_time_from_sec(30)
#define WR_SMTP_DEFAULT_COMMAND_TIMEOUT apr_time_from_sec(120)

typedef enum {
    WR_SMTP_TLS_DEFAULT = 0,     /* the policy: REQUIRED with AUTH (user),
                                  * else OPPORTUNISTIC */
    WR_SMTP_TLS_REQUIRED,
    WR_SMTP_TLS_OPPORTUNISTIC,
    WR_SMTP_TLS_OFF
} wr_smtp_tls_e;

typedef struct {
    const char *host;            /* smarthost name, or IPv4 literal */
    apr_port_t port;             /* 0: 25 */
    wr_smtp_tls_e tls;
    const char *ca_file;         /* PEM CAs; NULL: the system store */
    const char *user;            /* NULL: no AUTH */
    const char *secret;          /* with user: the secret itself, or */
    wr_smtp_secret_t *secret_file;   /* where to read it for a session */
    const char *helo;            /* NULL: the system's host name */
    apr_interval_time_t connect_timeout;   /* 0: the default above */
    apr_interval_time_t command_timeout;   /* 0: the default above;
                                            * libesmtp's floor is 1 s */
} wr_smtp_conf_t;

/* The message, its recipients and the hooks are the transports' own
 * (wr_transport.h); these names stay for the SMTP code and its tests. */
typedef wr_transport_outcome_e wr_smtp_outcome_e;
#define WR_SMTP_SENT WR_TRANSPORT_SENT
#define WR_SMTP_DEFER WR_TRANSPORT_DEFER
#define WR_SMTP_FAIL WR_TRANSPORT_FAIL
typedef wr_transport_rcpt_t wr_smtp_rcpt_t;
#define wr_smtp_rcpt_refused(r) wr_transport_rcpt_refused(r)
typedef wr_transport_msg_t wr_smtp_msg_t;

typedef struct {
    int connected;               /* a server answered */
    int tls;                     /* STARTTLS completed */
    const char *tls_cipher;      /* e.g. "TLS_AES_256_GCM_SHA384" */
    const char *tls_note;        /* OPPORTUNISTIC: a certificate problem
                                  * that was let pass; NULL if none */
    int auth;                    /* 1 accepted, 0 not tried, -1 refused or
                                  * impossible */
    const char *auth_mechanism;  /* what was used or tried, or NULL */
    const char *error;           /* session-level problem, or NULL */
    int n_sent, n_deferred, n_failed;
    apr_interval_time_t elapsed;
} wr_smtp_session_t;

typedef wr_transport_hook_fn wr_smtp_hook_fn;
typedef wr_transport_hooks_t wr_smtp_hooks_t;

/* wr_smtp_conf_check - validate a configuration before use (for the
 * directives): a host that is a host name or IPv4 literal, a user with a
 * secret (or a secret file), a secret only with a user, AUTH only with
 * TLS REQUIRED (or DEFAULT), a CA file that can be read.
 * @return APR_EINVAL with *err (allocated in `p`) saying what is wrong */
apr_status_t wr_smtp_conf_check(const wr_smtp_conf_t *conf, const char **err,
                                apr_pool_t *p);

/* wr_smtp_parse_hostport - "host[:port]" (WormReplySmarthost) into its
 * parts; *port is 0 when none is given. IPv6 literals are refused (libesmtp
 * splits at the first ':').
 * @return APR_EINVAL with *err naming the problem */
apr_status_t wr_smtp_parse_hostport(const char *s, const char **host,
                                    apr_port_t *port, const char **err,
                                    apr_pool_t *p);

/* wr_smtp_tls_parse - "required", "opportunistic" or "off" (any case).
 * @return APR_EINVAL for anything else */
apr_status_t wr_smtp_tls_parse(const char *s, wr_smtp_tls_e *tls);

/* wr_smtp_send - deliver `n` messages in one session (see above). Every
 * message gets an outcome and a reason, whatever happens. `hooks` and
 * `info` may be NULL. Allocates in `p`.
 * @return APR_SUCCESS when the session was attempted (the outcomes say how
 *         it went); APR_EINVAL for a bad configuration or a message without
 *         recipients or data (nothing is attempted; every outcome is
 *         DEFER with the reason); APR_ENOMEM when libesmtp cannot set up. */
apr_status_t wr_smtp_send(const wr_smtp_conf_t *conf, wr_smtp_msg_t *msgs,
                          int n, const wr_smtp_hooks_t *hooks,
                          wr_smtp_session_t *info, apr_pool_t *p);

/* wr_smtp_outcome_name - "sent", "deferred", "failed" */
#define wr_smtp_outcome_name(o) wr_transport_outcome_name(o)

#endif
