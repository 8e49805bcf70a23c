/* wr_delivery.h - the queue manager: finished notices from the outbox
 * through a transport (wr_transport.h: SMTP to a smarthost through
 * wr_smtp, or the local MTA's sendmail through wr_sendmail), with
 * retries, bounces, suppression and a durable record of what was sent.
 * Below, "session" is one send() of the transport (one SMTP session, or
 * one sendmail run per message), and "the smarthost" is the transport's
 * destination, whichever it is.
 *
 * Layout of the outbox DIR (the notifier writes *.eml and *.env; the rest
 * belongs to this file). An id is what wr_delivery_store names a
 * message: [A-Za-z0-9._+-], not starting with '.'.
 *   DIR/<id>.eml          a message waiting (RFC 5322, CRLF)
 *   DIR/<id>.env          its envelope, optional (wr_delivery_enqueue);
 *                         without it the envelope is From -> To + Cc of the
 *                         headers (Bcc recipients need the .env)
 *   DIR/<id>.state        delivery state, once tried or given back
 *   DIR/.<name>.tmp       a file being written
 *   DIR/sent/<id>.eml     sent: moved there the moment the server said 2xx
 *   DIR/sent/sent.log     one line per message sent: time, id, queue id
 *   DIR/failed/<id>.eml   given up on; <id>.state holds "failure: ..."
 *   DIR/dest/<key>.state  backoff of a destination (the smarthost)
 *   DIR/suppressed.dir/.pag  SDBM: refused recipient -> until when
 *   DIR/.lock             flock()ed by wr_delivery_run: one runner at a time
 *   DIR/.swept            its modification time: when the suppression list
 *                         and sent/ were last swept (hourly)
 *   DIR/.inflight[.<n>]   id of the message whose SMTP transaction is open
 *                         in the pass's first session [its n-th]
 *
 * Records (.env, .state) are "key: value" lines, "version: 1" first,
 * written to a temporary file, fsynced, renamed, and the directory fsynced;
 * unknown versions are refused. Times are decimal microseconds since the
 * epoch (apr_time_t).
 *   .env   version, sender, rcpt (repeated), eightbit (0|1)
 *   .state version, queued, attempts, last-try, next-try, last-error,
 *          failure (failed/ only)
 *
 * Scheduling. Every message has one destination, the smarthost (direct
 * delivery to the recipients' MX is not done: without WormReplySmarthost
 * the outbox is the end of the line). A pass (wr_delivery_run) sends the
 * due messages, oldest first, at most batch_max per session, in up to
 * conf.sessions SMTP sessions at once: one for every 10 messages or so,
 * the first in the caller's process and each other one in a child process
 * of its own (fork: one session mostly waits for the server's replies,
 * and a smarthost serves sessions side by side). The pass returns
 * when every session has ended; stats->left says how many due messages
 * it did not take.
 * - A pass whose sessions send nothing and defer at least one message (server
 *   down, TLS or AUTH refused, 4xx to every message...) backs the
 *   *destination* off: no new session before now + the k-th gap of
 *   wr_backoff(retry_interval, retry_max), k the number of such sessions
 *   in a row (5m, 10m, 20m ... 4h with the defaults); every message waits
 *   for it, including new ones. A session that sends or fails anything
 *   resets the destination; its deferred messages back off one by one the
 *   same way, counted by their own attempts.
 * - A message queued for longer than max_queue_time (from the .eml's
 *   modification time, kept in its .state as "queued") goes to failed/
 *   with the last error, whether or not the destination is backing off.
 * - 5xx for the message, or for every recipient: failed/ at once. Every
 *   recipient refused with a 5xx is added to the suppression list for
 *   suppress_time (also when the message went to others), and dropped
 *   from the message's envelope if it is deferred.
 * - A message sent to some recipients while others got a 4xx: sent/, and
 *   a copy for the deferred ones is queued as <id>-r<n> (.env + a copy
 *   of the text).
 *
 * Exactly once. The record of "sent" is the rename DIR/<id>.eml ->
 *   DIR/sent/<id>.eml, made in wr_smtp's `accepted` hook: inside the
 *   session, as soon as the server's 2xx for that message has been read,
 *   before the next message begins. The directories are fsynced once per
 *   session, after it.
 * - A crash of the process (kill -9, segfault) at any later point cannot
 *   send that message again: the rename is in the kernel.
 * - Remaining windows, both inherent to SMTP (RFC 1047): a crash between
 *   the server writing its 2xx and our rename (microseconds: reading the
 *   reply, one rename) leaves the message queued and it is sent again;
 *   a connection lost after the data but before the reply does the same.
 *   The message concerned is named in its session's DIR/.inflight[.<n>]
 *   (written, without fsync, when its MAIL FROM is accepted); the next
 *   pass logs that it may arrive twice. At most one message per session
 *   and crash is in this state.
 * - A power loss or kernel crash before the per-session fsync may undo
 *   the renames of that session: those messages are sent again.
 *
 * Concurrency: wr_delivery_run takes an exclusive flock on DIR/.lock (a
 * second runner gets APR_EAGAIN at once); its child sessions share that
 * lock, so a runner killed mid-pass keeps others out until they have
 * ended; wr_delivery_enqueue,
 * wr_delivery_suppressed and wr_delivery_queue_stat need no lock.
 */
#ifndef WR_DELIVERY_H
#define WR_DELIVERY_H

#include <apr_pools.h>
#include <apr_time.h>

#include "wr_file.h"
#include "wr_notice.h"
#include "wr_smtp.h"
#include "wr_transport.h"

#define WR_DELIVERY_VERSION WR_FILE_RECORD_VERSION

#define WR_DELIVERY_DEFAULT_RETRY_INTERVAL apr_time_from_sec(5 * 60)
#define WR_DELIVERY_DEFAULT_RETRY_MAX      apr_time_from_sec(4 * 3600)
#define WR_DELIVERY_DEFAULT_MAX_QUEUE_TIME apr_time_from_sec(5 * 86400)
#define WR_DELIVERY_DEFAULT_SUPPRESS_TIME  apr_time_from_sec(30 * 86400)
#define WR_DELIVERY_DEFAULT_SENT_KEEP      apr_time_from_sec(7 * 86400)
#define WR_DELIVERY_DEFAULT_BATCH          50
#define WR_DELIVERY_DEFAULT_SESSIONS       4
#define WR_DELIVERY_SESSIONS_MAX           32

/* Largest message sent; a larger .eml goes to failed/. */
#define WR_DELIVERY_MESSAGE_MAX (10 * 1024 * 1024)

typedef struct wr_delivery_t wr_delivery_t;

typedef struct {
    /* How messages leave (wr_transport.h): NULL is SMTP to smtp.host when
     * that is set, else nothing (a handle that only enqueues). */
    const wr_transport_t *transport;
    const void *transport_conf;           /* its configuration (living as
                                           * long as the handle); NULL:
                                           * &smtp below */
    wr_smtp_conf_t smtp;                  /* the smarthost and how */
    apr_interval_time_t retry_interval;   /* WormReplyRetryInterval */
    apr_interval_time_t retry_max;        /* longest gap between tries */
    apr_interval_time_t max_queue_time;   /* WormReplyMaxQueueTime */
    apr_interval_time_t suppress_time;    /* how long a 5xx recipient is
                                           * not written to */
    apr_interval_time_t sent_keep;        /* how long sent/ keeps texts */
    int batch_max;                        /* messages per session */
    int sessions;                         /* sessions at once, at most
                                           * (WormReplySMTPSessions) */
    const char *bounce_address;           /* WormReplyBounceAddress: VERP
                                           * senders (wr_verp.h), or NULL */
} wr_delivery_conf_t;

typedef struct {
    int attempted;        /* messages handed to the SMTP session */
    int sent;
    int deferred;
    int failed;           /* 5xx, malformed (expired not included) */
    int expired;          /* over max_queue_time */
    int suppressed;       /* recipients added to the suppression list */
    int requeued;         /* copies queued for 4xx recipients */
    int waiting;          /* queued, not due yet */
    int recovered;        /* messages found in an open transaction after
                           * a crash (may arrive twice) */
    int session;          /* 1 if a session was attempted */
    int sessions;         /* how many, in parallel */
    int left;             /* due messages left for the next pass */
    const char *error;    /* the session's problem, or NULL */
} wr_delivery_stats_t;

typedef struct {
    int queued;           /* messages in DIR */
    int retrying;         /* of those, tried at least once */
    int failed;           /* messages in failed/ */
    int sent;             /* messages still kept in sent/ */
    apr_time_t oldest;    /* queued time of the oldest waiting; 0 if none */
    apr_time_t next_try;  /* destination's next try; 0 if not backing off */
    int dest_failures;    /* sessions in a row that delivered nothing */
    const char *last_error;   /* the last session's problem, or NULL */
    apr_time_t last_error_at;
} wr_delivery_queue_stat_t;

/* wr_delivery_conf_default - the defaults above, no transport */
void wr_delivery_conf_default(wr_delivery_conf_t *conf);

/* wr_delivery_open - a handle on the outbox `dir` (created with sent/,
 * failed/ and dest/, mode 0700, if missing). `conf` is copied (its
 * strings must live as long as `p`); conf->smtp.host may be NULL for a
 * handle that only enqueues, checks suppression or reads the status.
 * Keeps DIR's and its subdirectories' descriptors (wr_file.h; close-on-
 * exec) until `p` is cleared; the handle may be made before fork(). Run
 * as root, the subdirectories it makes are given to DIR's owner.
 * @return the mkdir error; APR_EINVAL with *err (may be NULL) for a bad
 *         SMTP configuration */
apr_status_t wr_delivery_open(wr_delivery_t **d, const char *dir,
                              const wr_delivery_conf_t *conf,
                              const char **err, apr_pool_t *p);

/* wr_delivery_dir - the outbox's own directory handle (wr_file.h), for
 * the other files kept in it (bounce.key, bounces.stat) */
wr_file_dir_t *wr_delivery_dir(wr_delivery_t *d);

/* wr_delivery_enqueue - queue `msg` with its whole envelope (msg->from,
 * msg->rcpt including Bcc, msg->eightbit): DIR/<report_id>.env first, then
 * DIR/<report_id>.eml (wr_delivery_store), each durable, so a visible
 * .eml always has its envelope. Recipients on the suppression list at
 * `now` are left out of the envelope; *dropped (may be NULL) counts them.
 * With conf.bounce_address, each To recipient is queued on its own, as
 * DIR/<report_id>-v<k>.env/.eml (k from 1), with the VERP sender of
 * wr_verp_sender (one SMTP transaction each), and the Bcc recipients
 * together as DIR/<report_id>.env/.eml with the plain bounce address as
 * sender; the key (DIR/bounce.key) is made at the first call.
 * @return APR_EEXIST if the id is queued already; APR_EINVAL for a message
 *         without report id, sender or recipients; APR_ENOENT (nothing
 *         written) when every recipient is suppressed; the I/O error (the
 *         key's too: then nothing is written) */
apr_status_t wr_delivery_enqueue(wr_delivery_t *d, const wr_notice_t *msg,
                                 apr_time_t now, int *dropped,
                                 apr_pool_t *p);

/* wr_delivery_store - `msg` as DIR/<report_id>.eml, without an envelope
 * (the outbox as the end of the line, when there is no smarthost):
 * written to a temporary file (O_EXCL, mode 0600), fsynced, linked to its
 * name, DIR fsynced (wr_file_write); a reader never sees a partial .eml.
 * @return APR_EEXIST if that .eml exists already; APR_EINVAL for a
 *         message without a valid report id; the I/O error */
apr_status_t wr_delivery_store(wr_delivery_t *d, const wr_notice_t *msg,
                               apr_pool_t *p);

/* wr_delivery_enqueue_first - wr_delivery_enqueue, and the id of the
 * first message queued in *first (may be NULL) */
apr_status_t wr_delivery_enqueue_first(wr_delivery_t *d,
                                       const wr_notice_t *msg,
                                       apr_time_t now, int *dropped,
                                       const char **first, apr_pool_t *p);

/* wr_delivery_run - one pass at `now` (see above). `stats` may be NULL.
 * Allocates only in a subpool of `p` that it destroys.
 * @return APR_SUCCESS (whatever the SMTP outcomes); APR_EAGAIN if another
 *         runner holds the lock; APR_EINVAL without a transport; an I/O
 *         error reading the outbox */
apr_status_t wr_delivery_run(wr_delivery_t *d, apr_time_t now,
                             wr_delivery_stats_t *stats, apr_pool_t *p);

/* wr_delivery_suppressed - 1 if `address` (any case) was refused with a
 * 5xx less than suppress_time before `now`; 0 otherwise and on error.
 * The notifier calls it before composing. */
int wr_delivery_suppressed(wr_delivery_t *d, const char *address,
                           apr_time_t now);

/* wr_suppressed_fn - one address on the suppression list, and until when */
typedef void wr_suppressed_fn(void *baton, const char *address,
                              apr_time_t until);

/* wr_delivery_suppressed_each - call `fn` for every address suppressed at
 * `now` (lower case). @return APR_SUCCESS also when there is no list */
apr_status_t wr_delivery_suppressed_each(wr_delivery_t *d, apr_time_t now,
                                         wr_suppressed_fn *fn, void *baton,
                                         apr_pool_t *p);

/* wr_delivery_suppress - put `address` on the list until `until` (also
 * used by the runner itself), reason "refused" */
apr_status_t wr_delivery_suppress(wr_delivery_t *d, const char *address,
                                  apr_time_t until, int code);

/* One entry of the suppression list. Its DBM value is
 * "<until> <code> <reason>\t<status>\t<diagnostic>"; entries written
 * before the reason existed ("<until> <code>") read as "refused". */
typedef struct {
    const char *address;        /* lower case */
    apr_time_t until;
    int code;                   /* the SMTP reply code; 0 for a bounce */
    const char *reason;         /* "refused": a 5xx at RCPT; "bounced": a
                                 * DSN after the smarthost accepted it */
    const char *status;         /* the reply text or the DSN's Status;
                                 * "" if none */
    const char *diagnostic;     /* the DSN's Diagnostic-Code; "" if none */
} wr_suppression_t;

/* Longest status and diagnostic kept (an SDBM pair holds ~1000 bytes). */
#define WR_SUPPRESSION_TEXT_MAX 300

/* wr_delivery_suppress_why - put s->address on the list until s->until
 * with its reason (texts cut to one line of WR_SUPPRESSION_TEXT_MAX)
 * @return APR_EINVAL for an empty or over-long address or reason */
apr_status_t wr_delivery_suppress_why(wr_delivery_t *d,
                                      const wr_suppression_t *s);

/* wr_delivery_suppressions - every entry suppressed at `now`, by address,
 * as wr_suppression_t * in `p`. @return APR_SUCCESS also when there is no
 * list; the DBM's error */
apr_status_t wr_delivery_suppressions(wr_delivery_t *d, apr_time_t now,
                                      apr_array_header_t **list,
                                      apr_pool_t *p);

/* wr_delivery_unsuppress - take `address` (any case) off the list.
 * @return APR_ENOENT if it is not on it; the DBM's error */
apr_status_t wr_delivery_unsuppress(wr_delivery_t *d, const char *address,
                                    apr_pool_t *p);

/* wr_delivery_queue_stat - counts for status pages (reads the directories
 * and the destination's state) */
apr_status_t wr_delivery_queue_stat(wr_delivery_t *d,
                                    wr_delivery_queue_stat_t *st,
                                    apr_pool_t *p);

/* wr_delivery_envelope - the envelope of a message without .env: sender
 * from From, recipients from To and Cc (display names, comments and
 * groups are skipped; every address must be a plain local@domain).
 * @return APR_EINVAL with *err if there is no usable sender or recipient */
apr_status_t wr_delivery_envelope(const char *data, apr_size_t len,
                                  const char **sender,
                                  apr_array_header_t **rcpt,
                                  const char **err, apr_pool_t *p);

#endif
