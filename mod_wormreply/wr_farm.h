/* wr_farm.h - the notifier state a server farm shares through Redis
 *
 * Several web servers behind a balancer each run a notifier. With
 * WormReplyFarm they share, through one Redis server and its atomic
 * operations (Lua scripts run whole or not at all), what makes the rate
 * limits hold for the farm as a whole:
 *   - the per-domain window: one digest per domain per window, naming the
 *     hosts every server saw (each notifier adds its confirmed hosts to the
 *     domain's shared set; whoever claims the window sends the digest);
 *   - the hourly cap (WormReplyMaxPerHour), counted farm-wide;
 *   - the host window: a host reported by any server is not reported again
 *     by another within WormReplyHostWindow;
 *   - the suppression list (recipients refused with a 5xx);
 *   - the history of digests sent (the newest 1,000).
 * Nothing of this runs in a request: only the notifier and its delivery
 * process talk to Redis.
 *
 * Keys (PREFIX is "wormreply:" unless configured otherwise):
 *   PREFIX epoch            a random id set once: a new one means Redis
 *                           lost its data (restarted empty)
 *   PREFIX gen              incremented by every digest sent
 *   PREFIX d:DOMAIN         hash: first_pending, last_sent (usec)
 *   PREFIX h:DOMAIN         hash: SERVER|ADDRESS -> host record, the hosts
 *                           waiting for the domain's next digest
 *   PREFIX c:DOMAIN         the claim: SERVER, with a lease (PX)
 *   PREFIX n:ADDRESS        host reported at (usec), expires after the
 *                           host window
 *   PREFIX s:ADDRESS        suppressed recipient, expires when lifted
 *   PREFIX cap              hash: minute number -> digests claimed in it
 *   PREFIX r:DOMAIN         the minute the claim counted in cap (PX)
 *   PREFIX windows          sorted set: domain scored by its last digest
 *   PREFIX sent             list: "TIME DOMAIN SERVER HOSTS REPORT-ID"
 *
 * Exactly once: a claim is taken only when the domain is due (digest delay
 * over, domain window over, cap not reached) and nobody holds one; the
 * claim counts in the cap at once, so that servers claiming different
 * domains together cannot pass it. The holder composes and queues the
 * digest from the claimed hosts, then commits: the hosts it named leave
 * the set, the host and domain windows start, the claim is released (or,
 * with nothing to send, released and its place under the cap given
 * back). A holder that dies before it commits keeps its place counted
 * (fewer notices that hour, never more) and loses the claim when its
 * lease ends; the hosts are
 * still in the set and another server sends them. The one window left is
 * the one a single server has too: death between queueing the notice and
 * committing it sends that digest again.
 *
 * Times are the notifiers' clocks (microseconds since the epoch): the
 * servers of a farm must keep their clocks in step (NTP).
 *
 * Every call returns APR_SUCCESS or an error; on any error the handle is
 * marked down (wr_farm_ready says so) and the caller falls back to its own
 * state. Reconnection is tried at most once per retry interval.
 */
#ifndef WR_FARM_H
#define WR_FARM_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "wr_ratelimit.h"
#include "wr_smtp.h"

typedef struct {
    const char *host;          /* "127.0.0.1" or a name */
    int port;                  /* 6379 */
    int db;                    /* SELECT'ed after connecting; 0 */
    const char *user;          /* Redis 6 ACL user; NULL: none */
    const char *password;      /* the password itself, or */
    wr_smtp_secret_t *password_file;   /* a root-only file opened while
                                        * root, read at each connection;
                                        * neither: no AUTH */
    const char *prefix;        /* key prefix, "wormreply:" */
    int timeout_ms;            /* connect and reply timeout */
    apr_interval_time_t retry; /* least time between reconnections */
    apr_interval_time_t lease; /* a claim's lease: WR_FARM_LEASE */
} wr_farm_conf_t;

#define WR_FARM_DEFAULT_PORT 6379
#define WR_FARM_DEFAULT_PREFIX "wormreply:"
/* A farm's Redis is on a private network or a local tunnel: a second is
 * long; a notifier waits at most that long, every retry interval, while it
 * is unreachable. */
#define WR_FARM_DEFAULT_TIMEOUT_MS 1000
#define WR_FARM_DEFAULT_RETRY apr_time_from_sec(2)
/* How long a claim is held before another server may take it over: far
 * longer than composing and queueing one digest takes. */
#define WR_FARM_LEASE apr_time_from_sec(60)

/* wr_farm_parse_url - "redis://[user@]host[:port][/db]" into *c (the
 * other fields get their defaults; the password is not part of the URL).
 * @return APR_EINVAL with *err saying what is wrong */
apr_status_t wr_farm_parse_url(const char *url, wr_farm_conf_t *c,
                               const char **err, apr_pool_t *p);

typedef struct wr_farm_t wr_farm_t;

/* wr_farm_open - a handle for `server` (this notifier's name in the farm:
 * unique among the farm's notifiers). Does not connect yet. */
apr_status_t wr_farm_open(wr_farm_t **f, const wr_farm_conf_t *c,
                          const char *server, apr_pool_t *p);

/* wr_farm_close - drop the connection (also registered on the pool) */
void wr_farm_close(wr_farm_t *f);

/* wr_farm_ready - 1 when the farm state can be used now: connected, or
 * reconnected now (one attempt per retry interval). *reset (may be NULL)
 * is set to 1 when this call (re)connected and the farm's data is not the
 * data seen before: a first connection, or Redis restarted empty. The
 * caller then adds again everything it has pending. */
int wr_farm_ready(wr_farm_t *f, apr_time_t now, int *reset);

/* wr_farm_error - the last error ("connect 127.0.0.1:6379: Connection
 * refused"), NULL if none since the last success; *at its time */
const char *wr_farm_error(const wr_farm_t *f, apr_time_t *at);

/* wr_farm_server - this handle's server name */
const char *wr_farm_server(const wr_farm_t *f);

/* wr_farm_host_add - add a confirmed host to the domain's set for its
 * next digest. `record` is opaque text (the caller's encoding of the
 * host), stored under SERVER|ADDRESS. `last_sent` (0 = none) is this
 * server's own knowledge of the domain's last digest, kept when newer than
 * the farm's (a digest sent while Redis was unreachable). */
apr_status_t wr_farm_host_add(wr_farm_t *f, const char *domain,
                              const char *address, const char *record,
                              apr_time_t now, apr_time_t last_sent);

/* wr_farm_host_recent - *recent = 1 if `address` was reported by any
 * server of the farm within the host window */
apr_status_t wr_farm_host_recent(wr_farm_t *f, const char *address,
                                 int *recent);

typedef enum {
    WR_FARM_CLAIMED = 1,       /* ours: send the digest, then commit */
    WR_FARM_NONE,              /* nothing pending in the farm */
    WR_FARM_WAIT,              /* not due before *due */
    WR_FARM_HELD,              /* another server holds the claim */
    WR_FARM_CAP                /* the farm's hourly cap is reached */
} wr_farm_claim_e;

typedef struct {
    const char *field;         /* "SERVER|ADDRESS" */
    const char *address;
    const char *record;        /* as given to wr_farm_host_add */
} wr_farm_host_t;

/* wr_farm_claim - try to claim the domain's window at `now`.
 * On WR_FARM_CLAIMED, *hosts (wr_farm_host_t) holds every host waiting
 * in the farm for the domain, less those another digest reported within
 * the host window; on WR_FARM_WAIT, *due when it will be due; on
 * WR_FARM_HELD, *holder the server holding it. */
apr_status_t wr_farm_claim(wr_farm_t *f, const char *domain, apr_time_t now,
                           const wr_rate_policy_t *pol, wr_farm_claim_e *res,
                           apr_array_header_t **hosts, apr_time_t *due,
                           const char **holder, apr_pool_t *p);

/* wr_farm_commit - the claimed digest is queued: the given hosts
 * (wr_farm_host_t, as returned by wr_farm_claim) leave the set, the host
 * and domain windows start at `now`, the claim (counted in the cap when
 * it was taken) is released and the digest is added to the history. *lost = 1 when the
 * claim had passed to another server meanwhile (its lease ended): the
 * digest may then be sent twice, which the caller logs. */
apr_status_t wr_farm_commit(wr_farm_t *f, const char *domain, apr_time_t now,
                            const wr_rate_policy_t *pol,
                            const apr_array_header_t *hosts,
                            const char *report_id, int *lost);

/* wr_farm_release - give a claim back without sending (composing failed),
 * and its place under the hourly cap */
apr_status_t wr_farm_release(wr_farm_t *f, const char *domain);

/* wr_farm_generation - a number that changes whenever any server commits
 * a digest: when it has not changed, nothing pending was reported */
apr_status_t wr_farm_generation(wr_farm_t *f, apr_uint64_t *gen);

/* wr_farm_host_state - where this server's host stands: *reported = 1 if
 * a digest reported it (within the host window), and then its entry is no
 * longer in the domain's set (an entry added after that digest's claim is
 * taken out here); else *pending = 1 while it waits in the set; neither:
 * lost (Redis lost its data), add it again. Never both. */
apr_status_t wr_farm_host_state(wr_farm_t *f, const char *domain,
                                const char *address, int *pending,
                                int *reported);

/* wr_farm_reported - hosts and a domain reported by this server while the
 * farm was unreachable: start their windows in the farm too, and take the
 * hosts out of the domain's set, so that no other server reports them
 * again */
apr_status_t wr_farm_reported(wr_farm_t *f, const char *domain,
                              const apr_array_header_t *addresses,
                              apr_time_t when, const wr_rate_policy_t *pol);

/* wr_farm_suppress - `address` is suppressed farm-wide until `until` */
apr_status_t wr_farm_suppress(wr_farm_t *f, const char *address,
                              apr_time_t until, apr_time_t now);

/* wr_farm_suppressed - *yes = 1 if any server suppressed `address` */
apr_status_t wr_farm_suppressed(wr_farm_t *f, const char *address, int *yes);

/* wr_farm_windows - domains in their domain window farm-wide at `now` */
apr_status_t wr_farm_windows(wr_farm_t *f, apr_time_t now,
                             const wr_rate_policy_t *pol, apr_uint64_t *n);

/* wr_farm_roundtrips - commands sent to Redis so far (for benchmarks) */
apr_uint64_t wr_farm_roundtrips(const wr_farm_t *f);

#endif
