/* wr_ratelimit.h - rate-limit policy: pure functions of (record, now,
 * policy), no I/O, no locks, no clock
 *
 * Who calls what:
 * - httpd children, per probe: wr_rate_host_probe() on the host's record
 *   from ap_socache; FIRST means "write one spool event", COUNT_ONLY means
 *   "store the record back, nothing else".
 * - the notifier, per event: wr_rate_host_may_notify() (with the
 *   persistent history, wr_history.h, after a restart), then
 *   wr_rate_domain_add() on the recipient domain's record; per domain and
 *   loop turn: wr_rate_domain_due(), and when DUE and
 *   wr_rate_global_allow() agrees, compose one digest and call
 *   wr_rate_domain_sent() + wr_rate_global_count().
 * - wr_backoff() for retries (DNS timeouts, SMTP 4xx), per destination.
 *
 * Windows are half-open: a window opened at t covers [t, t + window). A
 * probe exactly at t + window starts a new one. All times are apr_time_t
 * (microseconds since the epoch); 0 means "never" in every record.
 *
 * Records are plain structs for the code and fixed-size byte strings for
 * storage (socache, memcached, Redis shared by a farm): the encodings
 * below are big-endian with a leading version byte and a kind byte, the
 * same on every platform; decode refuses a wrong size, version or kind
 * with APR_EINVAL (the caller treats that like "no record").
 */
#ifndef WR_RATELIMIT_H
#define WR_RATELIMIT_H

#include <apr_time.h>

/* Encoding version of every record below. */
#define WR_RATE_VERSION 1

typedef struct {
    apr_interval_time_t host_window;    /* WormReplyHostWindow */
    apr_interval_time_t digest_delay;   /* WormReplyDigestDelay */
    apr_interval_time_t domain_window;  /* WormReplyDomainWindow */
    apr_uint32_t max_per_hour;          /* WormReplyMaxPerHour, 0 = none */
} wr_rate_policy_t;

#define WR_RATE_DEFAULT_HOST_WINDOW   apr_time_from_sec(24 * 3600)
#define WR_RATE_DEFAULT_DIGEST_DELAY  apr_time_from_sec(5 * 60)
#define WR_RATE_DEFAULT_DOMAIN_WINDOW apr_time_from_sec(3600)
#define WR_RATE_DEFAULT_MAX_PER_HOUR  100

/* wr_rate_policy_default - fill in the defaults above */
void wr_rate_policy_default(wr_rate_policy_t *pol);

/* ---- per source host (hot path) ---------------------------------- */

typedef struct {
    apr_time_t first_seen;    /* opening of the current window; 0 = none */
    apr_time_t last_seen;
    apr_uint32_t count;       /* probes in the current window (saturates) */
    apr_time_t notified_at;   /* last notice about this host; 0 = never */
    unsigned char flags;      /* WR_RATE_HOST_* */
} wr_rate_host_t;

/* The window holds a probe of a family that notifies by itself
 * (WormReplyNotifyFamilies): the notifier mails a less certain family's
 * event only from a host with this flag. */
#define WR_RATE_HOST_NOTIFYING 0x01

typedef enum {
    WR_RATE_FIRST = 1,        /* first probe of a window: spool an event */
    WR_RATE_COUNT_ONLY        /* counted, nothing else to do */
} wr_rate_decision_e;

#define WR_RATE_HOST_SIZE 31

/* wr_rate_host_probe - account one probe at `now` in `rec` (updated in
 * place; an all-zero record is a host never seen) and decide.
 * FIRST when there is no open window or it has expired
 * (now >= first_seen + host_window), unless the host was notified less
 * than host_window ago: a new event then could only be suppressed by the
 * notifier, so the probe is counted and the new window opens on the first
 * probe after the notice's window. FIRST resets count to 1.
 * A clock that went back by more than a window also opens a new one, so
 * that a host is never silenced for longer than its window. */
wr_rate_decision_e wr_rate_host_probe(wr_rate_host_t *rec, apr_time_t now,
                                      const wr_rate_policy_t *pol);

/* wr_rate_host_probe_as - wr_rate_host_probe for a probe whose family
 * notifies by itself (`notifies` 1, what wr_rate_host_probe assumes) or
 * not. A FIRST sets WR_RATE_HOST_NOTIFYING as `notifies` says; in a
 * window opened by a probe that does not notify, the first probe that
 * does is FIRST too (count not reset) and sets the flag: at most two
 * events per host and window, and the notifier learns of every host that
 * sent a probe worth a notice. */
wr_rate_decision_e wr_rate_host_probe_as(wr_rate_host_t *rec, apr_time_t now,
                                         const wr_rate_policy_t *pol,
                                         int notifies);

/* wr_rate_host_may_notify - 1 if a host last notified at `notified_at`
 * (0 = never) may be notified again at `now` */
int wr_rate_host_may_notify(apr_time_t notified_at, apr_time_t now,
                            const wr_rate_policy_t *pol);

/* wr_rate_host_encode - rec into exactly WR_RATE_HOST_SIZE bytes */
void wr_rate_host_encode(const wr_rate_host_t *rec, unsigned char *buf);

/* wr_rate_host_decode - @return APR_EINVAL unless `len` is
 * WR_RATE_HOST_SIZE and version and kind match, or it is a record of the
 * previous layout (one byte shorter, no flags: read with flags 0);
 * *rec untouched then */
apr_status_t wr_rate_host_decode(const unsigned char *buf, apr_size_t len,
                                 wr_rate_host_t *rec);

/* ---- per recipient domain (notifier) ------------------------------ */

typedef struct {
    apr_time_t first_pending; /* when the oldest waiting event arrived */
    apr_time_t last_sent;     /* last digest to this domain; 0 = never */
    apr_uint32_t pending;     /* events waiting for the next digest */
} wr_rate_domain_t;

typedef enum {
    WR_DIGEST_NONE = 0,       /* nothing pending */
    WR_DIGEST_WAIT,           /* pending, due at *due_at */
    WR_DIGEST_DUE             /* send the digest now */
} wr_digest_e;

#define WR_RATE_DOMAIN_SIZE 22

/* wr_rate_domain_add - one more event for this domain, arrived at `at`
 * (the notifier uses the time it read the event, so a digest gathers for
 * digest_delay from the first event it saw, even after a backlog) */
void wr_rate_domain_add(wr_rate_domain_t *rec, apr_time_t at);

/* wr_rate_domain_due - whether the digest is due at `now`: something is
 * pending, the first pending event is at least digest_delay old, and the
 * last digest is at least domain_window old. For WAIT, *due_at (may be
 * NULL) receives the earliest time it can be DUE. */
wr_digest_e wr_rate_domain_due(const wr_rate_domain_t *rec, apr_time_t now,
                               const wr_rate_policy_t *pol,
                               apr_time_t *due_at);

/* wr_rate_domain_sent - a digest went out at `now`: nothing pending */
void wr_rate_domain_sent(wr_rate_domain_t *rec, apr_time_t now);

void wr_rate_domain_encode(const wr_rate_domain_t *rec, unsigned char *buf);
apr_status_t wr_rate_domain_decode(const unsigned char *buf, apr_size_t len,
                                   wr_rate_domain_t *rec);

/* ---- global cap (notifier) ---------------------------------------- */

/* A sliding hour in 60 one-minute buckets: the cap is checked against the
 * notices of the current minute and the 59 before it, so it never allows
 * more than max_per_hour in any 60 minutes aligned to a minute, and a
 * notice stops counting between 59 and 60 minutes after it was sent (no
 * burst of 2 x max at the turn of a fixed hour). */
#define WR_RATE_GLOBAL_BUCKETS 60

typedef struct {
    apr_int64_t minute;       /* minute number (now / 60 s) of bucket[head] */
    apr_uint32_t bucket[WR_RATE_GLOBAL_BUCKETS];   /* ring, by minute */
} wr_rate_global_t;

#define WR_RATE_GLOBAL_SIZE (2 + 8 + 4 * WR_RATE_GLOBAL_BUCKETS)

/* wr_rate_global_allow - 1 if one more notice may go out at `now`. With
 * max_per_hour 0 always 1. When 0, *next (may be NULL) receives the
 * earliest time at which one will be allowed. `rec` is advanced to `now`
 * (old buckets dropped), which changes no decision. */
int wr_rate_global_allow(wr_rate_global_t *rec, apr_time_t now,
                         const wr_rate_policy_t *pol, apr_time_t *next);

/* wr_rate_global_count - one notice went out at `now` */
void wr_rate_global_count(wr_rate_global_t *rec, apr_time_t now);

/* wr_rate_global_sum - notices counted in the hour ending at `now` */
apr_uint32_t wr_rate_global_sum(wr_rate_global_t *rec, apr_time_t now);

void wr_rate_global_encode(const wr_rate_global_t *rec, unsigned char *buf);
apr_status_t wr_rate_global_decode(const unsigned char *buf, apr_size_t len,
                                   wr_rate_global_t *rec);

/* ---- retries -------------------------------------------------------- */

/* wr_backoff - when to make retry number `attempt` (1 = the first retry)
 * of something first tried at `first_try`: the gaps between tries start
 * at `base` and double up to `max`. With base 5m and max 4h the retries
 * come at +5m, +15m, +35m, +75m, +155m, +315m, +555m (gap 240m), +795m
 * ... Attempt 0 (or less) gives first_try. Saturates instead of
 * overflowing. */
apr_time_t wr_backoff(apr_time_t first_try, apr_interval_time_t base,
                      apr_interval_time_t max, int attempt);

#endif
