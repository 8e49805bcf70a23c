/* wr_transport.h - how a finished notice leaves this server: the seam
 * between the queue manager (wr_delivery.c: scheduling, backoff, retries,
 * suppression, the exactly-once records) and what hands messages on
 *
 * A transport is a table {name, check, where, send}. The queue manager
 * gives send() a batch of messages, each with its own envelope (sender
 * and recipients), and books each one from the outcome send() sets:
 *   WR_TRANSPORT_SENT   the next hop took it: moved to sent/
 *   WR_TRANSPORT_DEFER  tried again later, with backoff, until the
 *                       queue's lifetime is over
 *   WR_TRANSPORT_FAIL   never tried again: moved to failed/
 * and per recipient from rcpts[i].code (an SMTP reply code, or 0 when the
 * transport cannot tell one recipient from another): a 5xx that is not a
 * policy refusal puts the address on the suppression list, and in a SENT
 * message a recipient whose code is 0 or 4xx is queued again in a copy.
 *
 * Exactly once: send() calls hooks->started when a message is handed on
 * and its outcome is not known yet (the queue manager notes it in
 * .inflight), and hooks->accepted the moment the next hop has taken it,
 * before the next message begins: the queue manager records "sent" there
 * (a rename), so a crash later in the batch cannot send it again.
 *
 * Envelope senders: every message carries its own (msg->sender), so a
 * queue that gives each recipient its own return path (VERP, one message
 * per recipient, as WormReplyBounceAddress does) needs nothing more from
 * a transport: SMTP sends one transaction per message, sendmail runs once
 * per message with -f.
 *
 * The transports:
 *   wr_transport_smtp      (wr_smtp.c) one libesmtp session per batch to
 *                          the smarthost, conf: wr_smtp_conf_t
 *   wr_transport_sendmail  (wr_sendmail.c) the local MTA's sendmail
 *                          program, once per message, conf:
 *                          wr_sendmail_conf_t
 */
#ifndef WR_TRANSPORT_H
#define WR_TRANSPORT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

typedef enum {
    WR_TRANSPORT_SENT = 1,
    WR_TRANSPORT_DEFER,
    WR_TRANSPORT_FAIL
} wr_transport_outcome_e;

typedef struct {
    const char *address;
    int code;                    /* SMTP reply to this recipient; 0: none
                                  * (never asked, or not told apart) */
    const char *text;            /* the reply, sanitised; NULL if none */
    int policy;                  /* a 5xx with enhanced status 5.7.x: the
                                  * next hop will not relay this for us
                                  * (authorization, policy), which is no
                                  * fault of the address: deferred */
} wr_transport_rcpt_t;

/* wr_transport_rcpt_refused - the recipient itself was refused for good (a
 * 5xx that is not a policy refusal): to be suppressed, not tried again */
#define wr_transport_rcpt_refused(r) ((r)->code / 100 == 5 && !(r)->policy)

typedef struct {
    /* given by the caller */
    const char *sender;          /* envelope sender, "" for <> */
    const apr_array_header_t *rcpt;  /* const char *, at least one */
    const char *data;            /* the RFC 5322 message, CRLF */
    apr_size_t len;
    int eightbit;                /* 8-bit body (SMTP: BODY=8BITMIME) */
    void *baton;                 /* the caller's, untouched */
    /* set by the transport */
    wr_transport_outcome_e outcome;
    int code;                    /* the reply that decided; 0: none */
    const char *reason;          /* one printable line, never a secret */
    const char *queue_id;        /* SENT: the next hop's id, or NULL */
    wr_transport_rcpt_t *rcpts;  /* rcpt->nelts entries, in order */
    int n_refused;               /* recipients refused for good */
    int n_deferred;              /* recipients with a 4xx or a policy 5xx,
                                  * or not asked, in a message that was
                                  * not FAIL */
} wr_transport_msg_t;

typedef void wr_transport_hook_fn(wr_transport_msg_t *msg, void *baton);

typedef struct {
    wr_transport_hook_fn *started;   /* handed on, outcome unknown; may
                                      * be NULL */
    wr_transport_hook_fn *accepted;  /* taken by the next hop; may be NULL */
    void *baton;
} wr_transport_hooks_t;

/* wr_transport_batch_t - what one send() did, for logs and counters */
typedef struct {
    const char *error;           /* the batch's problem, or NULL */
    const char *note;            /* a warning to log once (an accepted TLS
                                  * certificate problem ...), or NULL */
    int n_sent, n_deferred, n_failed;
} wr_transport_batch_t;

typedef struct {
    const char *name;            /* "smtp", "sendmail" */
    /* check - a configuration fit for send() (directives call it).
     * @return APR_EINVAL with *err (in `p`) saying what is wrong */
    apr_status_t (*check)(const void *conf, const char **err,
                          apr_pool_t *p);
    /* where - the destination for logs ("host:port", the program) */
    const char *(*where)(const void *conf, apr_pool_t *p);
    /* send - hand on `n` messages (see above); every message gets an
     * outcome and a reason, whatever happens. `hooks` may be NULL.
     * Allocates in `p`. @return APR_SUCCESS when it was attempted (the
     * outcomes say how it went); an error when nothing was attempted
     * (every outcome DEFER, with the reason) */
    apr_status_t (*send)(const void *conf, wr_transport_msg_t *msgs, int n,
                         const wr_transport_hooks_t *hooks,
                         wr_transport_batch_t *batch, apr_pool_t *p);
    /* sessions - batches run side by side, each in a process of its
     * own, at most: 0 as many as configured (SMTP: a smarthost serves
     * sessions in parallel and each mostly waits for replies); 1 for
     * sendmail (the local MTA queues a message in milliseconds) */
    int sessions;
} wr_transport_t;

/* wr_transport_outcome_name - "sent", "deferred", "failed" */
const char *wr_transport_outcome_name(wr_transport_outcome_e o);

extern const wr_transport_t wr_transport_smtp;
extern const wr_transport_t wr_transport_sendmail;

#endif
