/* wr_outbox.h - the outbox for an administrator: list the notices that
 * wait for the smarthost and those given up on, show one, put failed ones
 * back in the queue, delete them (like postqueue -p, postsuper -r, -d)
 *
 * The outbox DIR is laid out as wr_delivery.h describes:
 *   DIR/<id>.eml, <id>.env, <id>.state    a notice waiting, its envelope
 *                                         and its delivery state
 *   DIR/failed/<id>.eml, .env, .state     given up on; .state has
 *                                         "failure: ..."
 *   DIR/sent/<id>.eml                     sent, kept for a while
 *   DIR/dest/<key>.state                  the smarthost's backoff
 *   DIR/.lock                             flock()ed by the queue manager
 *                                         for a whole pass
 *   DIR/.pickup                           the notifier's mark: no
 *                                         smarthost, the notices in DIR
 *                                         are kept for pickup
 *                                         ("version: 1", "retention: N"
 *                                         in microseconds, 0 for ever)
 * A notice exists where its .eml is; the .env and .state beside it are its
 * sidecars. Ids are [A-Za-z0-9._+-], 1 to 200 bytes, not starting with
 * '.': every function given another id returns APR_EINVAL without
 * touching anything, so an id can never name a path outside DIR.
 *
 * Reading (wr_outbox_list, wr_outbox_get, wr_outbox_message) takes no
 * lock and changes nothing: a notice sent or failed meanwhile is missed
 * or seen in its new place, never read half-written (every file of the
 * outbox appears by rename). Changing (wr_outbox_retry, wr_outbox_drop)
 * happens under the queue manager's own lock, DIR/.lock, so it never
 * touches a notice in an open SMTP transaction: take it with
 * wr_outbox_lock (which waits a bounded time), or let each call take it
 * for itself without waiting. The notifier adds notices without the lock
 * (.env, then .eml), which neither call disturbs: they only act on the
 * notices they are named.
 *
 * retry of a failed notice, each step durable (file fsynced, renamed,
 * directory fsynced) before the next:
 *   1. DIR/<id>.env: a copy of failed/<id>.env, if there is one
 *   2. DIR/<id>.state: "queued" now, no attempts, no next try
 *   3. rename failed/<id>.eml -> DIR/<id>.eml: the notice is queued
 *   4. failed/<id>.env and failed/<id>.state removed
 * So a visible DIR/<id>.eml always has its envelope and its new state, and
 * a crash before step 3 leaves the notice whole in failed/ (the copies in
 * DIR are orphans that the queue manager removes, or that a new retry
 * overwrites). The queued time is reset to now: the queue manager fails
 * a notice queued for longer than WormReplyMaxQueueTime, and a notice
 * that expired would otherwise expire again at the next pass.
 * retry of a queued notice: its next-try is cleared (the other fields of
 * its .state are kept), so it is due at once.
 * While the smarthost backs off (dest/<key>.state has a next-try to come)
 * no notice is tried, due or not: wr_outbox_resume clears that next-try
 * (keeping the count of failed sessions, so a smarthost still down backs
 * off further). The CLI calls it after a retry: an administrator who
 * retries wants a try at the next pass.
 *
 * drop removes the .eml first (the notice is gone at that moment), then
 * its .env and .state, from DIR and from failed/.
 *
 * Files written (the .state, the .env copy, dest/ records, .lock) are
 * given the owner and group of DIR when the caller runs as root, so that
 * the queue manager, running as httpd's User, can still read and replace
 * them.
 *
 * Every access goes through wr_file.h: DIR, failed/, sent/ (and dest/ when
 * there is one) are opened once and refused unless they are real
 * directories owned by DIR's owner; an entry that is not a regular file
 * with one link is listed with its refusal as its problem and never read,
 * moved or removed (retry and drop return the refusal).
 *
 * Nothing here logs; every function says what went wrong.
 */
#ifndef WR_OUTBOX_H
#define WR_OUTBOX_H

#include <apr_file_io.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "wr_file.h"

/* Longest id accepted (the queue manager's limit). */
#define WR_OUTBOX_ID_MAX WR_FILE_ID_MAX

/* Longest wait wr_outbox_lock accepts. */
#define WR_OUTBOX_LOCK_WAIT_MAX apr_time_from_sec(60)

typedef struct wr_outbox_t wr_outbox_t;

/* Where a notice is. */
typedef enum {
    WR_OUTBOX_QUEUED = 1,       /* DIR: waiting for the smarthost */
    WR_OUTBOX_FAILED = 2,       /* failed/ */
    WR_OUTBOX_SENT = 4          /* sent/ (only wr_outbox_get looks there) */
} wr_outbox_where_e;

/* One notice. Strings and arrays live in the pool of the call. */
typedef struct {
    const char *id;
    wr_outbox_where_e where;
    const char *eml_path;       /* its .eml */
    apr_off_t size;             /* of the .eml */
    apr_time_t queued;          /* "queued" of its .state, else the .eml's
                                 * modification time (as the queue manager
                                 * counts) */
    int has_state;              /* a .state was read */
    apr_uint32_t attempts;
    apr_time_t last_try;        /* 0: never */
    apr_time_t next_try;        /* 0: due (as far as the notice goes) */
    const char *last_error;     /* NULL if none */
    const char *failure;        /* failed/ only: why; NULL if not known */
    int has_env;                /* the envelope came from its .env */
    const char *sender;         /* envelope sender; NULL if unknown */
    apr_array_header_t *rcpt;   /* const char *: the envelope recipients
                                 * (.env, else To and Cc of the headers,
                                 * wr_delivery_envelope); empty if unknown */
    apr_status_t refused;       /* the .eml is not a regular file with one
                                 * link (a refusal of wr_file.h): nothing
                                 * else was read; 0 otherwise */
    const char *problem;        /* a .state or .env that cannot be read,
                                 * headers without a usable envelope...;
                                 * NULL if none */
    const char *state_text;     /* the .state as it is on disk, or NULL */
    const char *env_text;       /* the .env as it is on disk, or NULL */
} wr_outbox_item_t;

/* The smarthost's backoff, from DIR/dest/<key>.state. */
typedef struct {
    const char *key;            /* "host_port" */
    apr_uint32_t failures;      /* sessions in a row that sent nothing */
    apr_time_t last_try;
    apr_time_t next_try;        /* no session before; 0 if none */
    const char *last_error;     /* NULL if none */
} wr_outbox_dest_t;

/* What wr_outbox_list found. */
typedef struct {
    int queued;                 /* notices in DIR */
    int failed;                 /* in failed/ */
    int sent;                   /* kept in sent/ */
    apr_array_header_t *dests;  /* wr_outbox_dest_t *, by key */
    int pickup;                 /* DIR/.pickup: no smarthost, the notices
                                 * in DIR are kept for pickup */
    apr_interval_time_t retention;  /* and pruned this long after they
                                 * were written; 0: kept for ever */
} wr_outbox_counts_t;

/* Default of WormReplyOutboxRetention. */
#define WR_OUTBOX_DEFAULT_RETENTION apr_time_from_sec(30 * 86400)

/* What wr_outbox_pickup found and did. */
typedef struct {
    int kept;                   /* notices in DIR, after pruning */
    apr_time_t oldest;          /* the oldest one's time; 0 if none */
    int pruned;                 /* notices removed */
    int errors;                 /* notices that could not be removed */
} wr_outbox_pickup_t;

/* What wr_outbox_retry did. */
typedef enum {
    WR_OUTBOX_REQUEUED = 1,     /* a failed notice is queued again */
    WR_OUTBOX_MADE_DUE,         /* a queued notice's next try cleared */
    WR_OUTBOX_ALREADY_DUE       /* a queued notice without a next try */
} wr_outbox_retry_e;

/* wr_outbox_id_ok - 1 if `id` is a notice id (see above) */
int wr_outbox_id_ok(const char *id);

/* wr_outbox_open - a handle on the existing outbox `dir`. Creates
 * nothing (a mistyped directory must not become an outbox).
 * @return APR_ENOENT if `dir` is missing; APR_ENOTDIR if it or its
 *         failed/ or sent/ is not a directory (APR_ENOENT for a missing
 *         failed/ or sent/: not an outbox, *what says which); the stat
 *         error (APR_EACCES...). *what (may be NULL) names the path that
 *         failed */
apr_status_t wr_outbox_open(wr_outbox_t **ob, const char *dir,
                            const char **what, apr_pool_t *p);

/* wr_outbox_dir - the directory of the handle */
const char *wr_outbox_dir(const wr_outbox_t *ob);

/* wr_outbox_list - the notices of `which` (WR_OUTBOX_QUEUED and/or
 * WR_OUTBOX_FAILED), queued ones first, each by id (report ids sort by
 * time), as wr_outbox_item_t *; the counts (may be NULL) of every place
 * and the smarthost's backoff. A notice that went away meanwhile is left
 * out.
 * @return the error reading DIR or failed/ */
apr_status_t wr_outbox_list(wr_outbox_t *ob, int which,
                            apr_array_header_t **items,
                            wr_outbox_counts_t *counts, apr_pool_t *p);

/* wr_outbox_get - one notice, looked for in DIR, failed/, then sent/ (a
 * notice that moves on meanwhile is found in its next place).
 * @return APR_EINVAL for a bad id; APR_ENOENT if it is nowhere; an I/O
 *         error */
apr_status_t wr_outbox_get(wr_outbox_t *ob, const char *id,
                           wr_outbox_item_t **item, apr_pool_t *p);

/* wr_outbox_message - the text of `item` (as on disk: CRLF), at most
 * `max` bytes, NUL-terminated; *truncated (may be NULL) says whether it
 * is longer.
 * @return APR_ENOENT if it went away meanwhile; the I/O error */
apr_status_t wr_outbox_message(wr_outbox_t *ob, const wr_outbox_item_t *item,
                               apr_size_t max, char **data, apr_size_t *len,
                               int *truncated, apr_pool_t *p);

/* wr_outbox_lock - the queue manager's lock on DIR/.lock (created if
 * missing), tried every 50 ms for up to `wait` (at most
 * WR_OUTBOX_LOCK_WAIT_MAX; 0: one try). Held until wr_outbox_unlock or
 * until the handle's pool is destroyed.
 * @return APR_EAGAIN if the queue manager still holds it; the error
 *         opening .lock (APR_EACCES...) */
apr_status_t wr_outbox_lock(wr_outbox_t *ob, apr_interval_time_t wait);

/* wr_outbox_unlock - give the lock back (nothing if not held) */
void wr_outbox_unlock(wr_outbox_t *ob);

/* wr_outbox_retry - put failed notice `id` back in the queue, or make
 * queued notice `id` due now (see above); *what (may be NULL) says which,
 * *was_next_try (may be NULL) the next try that was cleared (0 if none).
 * Without the lock held, takes it for the call, without waiting.
 * @return APR_EINVAL for a bad id; APR_ENOENT if `id` is neither queued
 *         nor failed; APR_EEXIST if it is queued and in failed/ at once
 *         (nothing done: drop one of them); APR_EAGAIN if the queue
 *         manager holds the lock; an I/O error (nothing changed) */
apr_status_t wr_outbox_retry(wr_outbox_t *ob, const char *id, apr_time_t now,
                             wr_outbox_retry_e *what,
                             apr_time_t *was_next_try, apr_pool_t *p);

/* wr_outbox_resume - clear the smarthost's backoff: the next-try of
 * every DIR/dest/<key>.state that has one after `now` (see above);
 * *cleared (may be NULL) counts them. Without the lock held, takes it for
 * the call, without waiting.
 * @return APR_EAGAIN if the queue manager holds the lock; an I/O error */
apr_status_t wr_outbox_resume(wr_outbox_t *ob, apr_time_t now, int *cleared,
                              apr_pool_t *p);

/* wr_outbox_drop - delete notice `id` with its sidecars, queued and/or
 * failed; *where (may be NULL) gets the WR_OUTBOX_QUEUED | _FAILED it was
 * in. Without the lock held, takes it for the call, without waiting.
 * @return APR_EINVAL for a bad id; APR_ENOENT if it is neither queued
 *         nor failed; APR_EAGAIN if the queue manager holds the lock; the
 *         error removing a file */
apr_status_t wr_outbox_drop(wr_outbox_t *ob, const char *id, int *where,
                            apr_pool_t *p);

/* wr_outbox_pickup - the notifier's side of an outbox without a
 * smarthost, called at its start and now and then. With `on`: DIR/.pickup
 * says so (written only when it changes), and every notice of DIR older
 * than `retention` (by its .eml's modification time; 0: none) is removed
 * with its sidecars, under the queue manager's lock (taken without
 * waiting: when someone holds it, nothing is pruned this time); `st` (may
 * be NULL) gets the counts. Without `on` (a smarthost): DIR/.pickup is
 * removed and nothing else is done.
 * @return the error writing the mark or reading DIR */
apr_status_t wr_outbox_pickup(wr_outbox_t *ob, int on,
                              apr_interval_time_t retention, apr_time_t now,
                              wr_outbox_pickup_t *st, apr_pool_t *p);

#endif
