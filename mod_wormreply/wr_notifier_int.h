/* wr_notifier_int.h - the notifier's handle and its types, shared by its
 * files: wr_notifier.c (opening, the loop, the public API),
 * wr_notifier_domain.c (the tables that forget, the domains waiting for a
 * digest and why, the never-mail list), wr_notifier_claim.c (group
 * commit, claim, the resolver's answers), wr_notifier_digest.c (the
 * digests and their notices), wr_notifier_farm.c (the farm's Redis
 * state), wr_notifier_deliver.c (the deliverer, pickup, the gauges).
 * Not for other callers: they use wr_notifier.h. */
#ifndef WR_NOTIFIER_INT_H
#define WR_NOTIFIER_INT_H

#include <signal.h>
#include <sys/types.h>

#include <apr_hash.h>

#include "wr_history.h"
#include "wr_notifier.h"
#include "wr_outbox.h"
#include "wr_spool.h"

typedef struct domain_s domain_t;

/* item_t - one claimed event, from take to done */
typedef struct {
    const char *id;
    wr_event_t *ev;
    apr_pool_t *pool;          /* the item's own: freed when it is done */
    struct notifier_s *n;
    const char *name;          /* confirmed PTR name */
    const char *contact;       /* address from the contact zone, or NULL */
    int test;                  /* its vhost is in WormReplyNotify Test */
    int farm;                  /* in the farm's set for its domain */
    int held;                  /* hold_e last noted in the spool */
    apr_time_t held_due;       /* and its due time */
} item_t;

/* hold_e - why a domain's events wait in cur/ for their digest, noted in
 * each event's record (wr_spool_note) for "wormreply queue" */
typedef enum {
    HOLD_NONE = 0,
    HOLD_DELAY,                /* WormReplyDigestDelay gathering */
    HOLD_WINDOW,               /* WormReplyDomainWindow since the last */
    HOLD_CAP,                  /* WormReplyMaxPerHour */
    HOLD_WRITE,                /* the notice could not be written */
    HOLD_FARM_WINDOW,          /* the farm's domain window */
    HOLD_FARM_HELD,            /* another server of the farm sends it */
    HOLD_FARM_CAP              /* the farm's WormReplyMaxPerHour */
} hold_e;

/* src_t - a host's event and confirmed name, from this server's spool or
 * from the farm's set */
typedef struct {
    const wr_event_t *ev;
    const char *name;
} src_t;

/* backlog_t - a digest sent from local state while the farm was away */
typedef struct {
    const char *key;           /* the farm's name for the domain */
    apr_array_header_t *addresses;
    apr_time_t when;
} backlog_t;

struct domain_s {
    const char *domain;
    const char *contact;       /* the contact zone's address: the recipient */
    int test;
    wr_rate_domain_t rate;
    apr_array_header_t *items;  /* item_t * */
    hold_e hold;               /* why its items wait, this turn */
    apr_time_t hold_due;       /* until when */
    apr_time_t cap_logged;
    apr_time_t farm_due;       /* no farm claim is tried before this */
};

/* table_t - a hash whose keys and values live in a pool of its own, so
 * that what it forgets is freed: when more than half of what was ever put
 * in the pool has been forgotten, the live entries are copied into a fresh
 * pool and the old one is destroyed (a long-lived process may never keep
 * what it does not need: each DNS retry, each domain ever seen) */
typedef struct {
    apr_pool_t *parent;
    apr_pool_t *pool;
    apr_hash_t *hash;
    const char *tag;
    unsigned long made;        /* entries allocated in `pool` */
    unsigned long compactions;
} table_t;

typedef struct notifier_s {
    const wr_notifier_conf_t *conf;
    apr_pool_t *pool;
    apr_pool_t *scratch;       /* cleared every turn */
    wr_spool_t *spool;
    wr_history_t *hist;
    wr_outbox_t *outbox;       /* for the pickup mark and pruning; NULL if
                                * it could not be opened */
    apr_time_t last_pickup;
    wr_resolver_t *res;
    wr_rate_policy_t pol;
    wr_rate_global_t global;
    table_t domains;           /* "domain" or "test:domain" -> domain_t,
                                * while it has events or its window runs */
    apr_hash_t *claimed;       /* id -> item_t, while claimed */
    table_t not_before;        /* id -> apr_time_t, events backing off */
    apr_array_header_t *never_mail;    /* built-in and configured */
    wr_counter_slot_t *slot;
    apr_time_t last_expire;
    apr_time_t last_prune;     /* of not_before */
    apr_time_t last_count;        /* the spool's size, counted */
    apr_uint64_t committed;    /* requests' puts made durable (counter) */
    apr_time_t last_commit;    /* the last group commit */
    apr_time_t commit_warned;  /* the last failure said */
    const volatile sig_atomic_t *stop;
    wr_farm_t *farm;           /* NULL: no farm */
    int farm_up;               /* the farm state is in use */
    apr_time_t farm_warned;    /* last "unreachable" warning */
    apr_time_t farm_err_seen;  /* time of the last error counted */
    apr_uint64_t farm_gen;     /* the farm's generation last settled */
    apr_time_t farm_synced;    /* last push of the suppression list */
    apr_time_t farm_stat;      /* last read of the windows gauge */
    apr_time_t bounces_read;   /* last read of the outbox's bounces.stat */
    apr_pool_t *backlog_pool;  /* cleared once the backlog is told */
    apr_array_header_t *backlog;    /* backlog_t */
    pid_t deliverer;           /* the delivery process, or 0 */
    apr_time_t deliverer_started;
    int queued;                /* notices queued since it was started */
} notifier_t;

#define COUNT(n, field) do { if ((n)->slot) { (n)->slot->field++; } } while (0)

/* ---- wr_notifier_domain.c ---------------------------------------------- */

/* wr_notifier_table_init - an empty table whose pool is a child of `parent` */
void wr_notifier_table_init(table_t *t, apr_pool_t *parent, const char *tag);

/* wr_notifier_not_before_set - event `id` may not be claimed before `t` (0:
 * forget) */
void wr_notifier_not_before_set(notifier_t *n, const char *id, apr_time_t t);

/* wr_notifier_item_done - the event's outcome is durable: drop it from the
 * spool, keeping its source in the history of hosts seen (wormreply blocklist
 * lists every prober of a window, whatever became of its event) */
void wr_notifier_item_done(item_t *it);

/* wr_notifier_domain_note - say in each waiting event's record why it waits
 * and until when (wr_spool_note), when that changed since it was last said: a
 * record never shows "active" without its reason */
void wr_notifier_domain_note(notifier_t *n, domain_t *d);

/* wr_notifier_in_list - whether `s` is in an array of lower-case strings */
int wr_notifier_in_list(const apr_array_header_t *a, const char *s);

/* wr_notifier_never_mail_list - the built-in list with the configured entries
 * added and the configured "-entry" ones taken out (lower case) */
apr_array_header_t *wr_notifier_never_mail_list(const apr_array_header_t *conf,
                                                apr_pool_t *p);

/* wr_notifier_never_mailed - the domain is ours, it or the confirmed name is
 * under a domain of the never-mail list, or all its mailboxes are on it */
const char *wr_notifier_never_mailed(const notifier_t *n, const char *domain,
                                     const char *name);

/* wr_notifier_domain_get - the pending digest of a domain, created with what
 * the history knows of its last notice */
domain_t *wr_notifier_domain_get(notifier_t *n, const char *domain,
                                 const char *contact, int test);

/* wr_notifier_domains_forget - drop the domains that wait for nothing: no
 * event pending and their window over (what a domain that comes back needs,
 * the time of its last digest, is in the history, and older than the window
 * anyway) */
void wr_notifier_domains_forget(notifier_t *n, apr_time_t now);

/* wr_notifier_not_before_prune - forget the next-try times of events no longer
 * in new/ (`ids`, just listed): dropped by "wormreply queue drop" or by anyone
 * else. Done when the table holds more entries than new/ (some must be stale)
 * and at least once a minute, so the table never holds more than the spool. */
void wr_notifier_not_before_prune(notifier_t *n, const apr_array_header_t *ids,
                                  apr_time_t now);

/* ---- wr_notifier_farm.c ------------------------------------------------ */

/* wr_notifier_farm_lost - Redis failed: count it, say so at most once a
 * minute, and work from this server's own state until it is back */
void wr_notifier_farm_lost(notifier_t *n, apr_time_t now);

/* wr_notifier_farm_check - whether the farm state can be used this turn */
int wr_notifier_farm_check(notifier_t *n, apr_time_t now);

/* wr_notifier_farm_recent - whether any server of the farm reported the host
 * within its window */
int wr_notifier_farm_recent(notifier_t *n, const char *address,
                            apr_time_t now);

/* wr_notifier_farm_add - the host joins the domain's set in the farm */
void wr_notifier_farm_add(notifier_t *n, domain_t *d, item_t *it,
                          apr_time_t now);

/* wr_notifier_backlog_add - hosts of `d` this server reported without the farm
 * knowing (Redis unreachable): told to it once Redis is back (farm_back),
 * so that no other server reports them again. `elts` are `nelts` records
 * of `size` bytes, each with its address (const char *) at `off`. */
void wr_notifier_backlog_add(notifier_t *n, const domain_t *d, apr_time_t now,
                             const void *elts, int nelts, apr_size_t size,
                             apr_size_t off);

/* wr_notifier_farm_suppressed - whether another server suppressed the
 * address */
int wr_notifier_farm_suppressed(notifier_t *n, const char *address);

/* wr_notifier_farm_maintain - now and then: this server's suppression list to
 * the farm (the delivery process adds to it), the gauges */
void wr_notifier_farm_maintain(notifier_t *n, apr_time_t now);

/* wr_notifier_farm_digest - one domain's turn with the farm: its hosts in the
 * farm's set, settled when another server's digest may have reported them, and
 * its window claimed when due */
void wr_notifier_farm_digest(notifier_t *n, domain_t *d, apr_time_t now,
                             int settle);

/* ---- wr_notifier_claim.c ----------------------------------------------- */

/* wr_notifier_puts_dirty - whether requests put records since the last commit
 * (the counter in shared memory; without one, always) */
int wr_notifier_puts_dirty(notifier_t *n);

/* wr_notifier_commit - the group commit (wr_spool_commit): httpd's children
 * put their records without any fsync, so that no request waits on the disk,
 * and the notifier makes them durable here, many in one call. The counter is
 * read before the sync: every put it counts was renamed before, so the sync
 * covers it. @return the failure (said at most once a minute) */
apr_status_t wr_notifier_commit(notifier_t *n, apr_time_t now);

/* wr_notifier_commit_due - a group commit if records were put since the last
 * one and COMMIT_EVERY has passed (between the turn's claims) */
void wr_notifier_commit_due(notifier_t *n, apr_time_t now);

/* wr_notifier_claim - take the due events from new/ and start their lookups.
 * The group commit comes between the listing and the first take: every record
 * listed was renamed into new/ before, so the commit covers it, and no record
 * is claimed, reported or removed before it is durable. */
void wr_notifier_claim(notifier_t *n, apr_time_t now);

/* ---- wr_notifier_digest.c ---------------------------------------------- */

/* wr_notifier_hosts_of - the digest's hosts (src_t), one entry per address
 * (events of one host are merged: earliest first-seen, latest last-seen,
 * counts added) */
apr_array_header_t *wr_notifier_hosts_of(notifier_t *n,
                                         const apr_array_header_t *srcs);

/* wr_notifier_send_hosts - compose the notices for `hosts` of the domain (one
 * digest, or one message per host for ARF and X-ARF), queue them and record
 * them in the history. `nevents` is for the log.
 * @return APR_SUCCESS; APR_ENOENT when there is nobody to mail (dropped;
 *         *why, if `why` is not NULL, says so when every mailbox is
 *         suppressed);
 *         another error when a notice could not be written: the hosts
 *         already written are in the history, the rest is tried again */
apr_status_t wr_notifier_send_hosts(notifier_t *n, domain_t *d,
                                    const apr_array_header_t *hosts,
                                    int nevents, apr_time_t now,
                                    const char **path, const char **why);

/* wr_notifier_digests - send every digest that is due and that the cap
 * allows */
void wr_notifier_digests(notifier_t *n, apr_time_t now);

/* ---- wr_notifier_deliver.c --------------------------------------------- */

/* wr_notifier_deliver_reap - the deliverer, if it has ended: 1 if none is
 * running */
int wr_notifier_deliver_reap(notifier_t *n);

/* wr_notifier_deliver_kick - start a deliverer (a child process running
 * `deliver`) unless one runs, when notices were queued since the last one
 * started or DELIVER_EVERY has passed. SMTP never holds up this process's DNS
 * and composing, and the two overlap. Without fork, the passes run here, for
 * at most a second. */
void wr_notifier_deliver_kick(notifier_t *n, apr_time_t now);

/* wr_notifier_pickup - without a smarthost, the outbox is the end of the line:
 * mark it so (wormreply outbox list says "kept for pickup"), count what it
 * keeps for the gauge, and prune what is older than WormReplyOutboxRetention;
 * with one, take the mark away */
void wr_notifier_pickup(notifier_t *n, apr_time_t now);

/* wr_notifier_spool_count - the spool's size and oldest event, for the
 * requests' bounds (WormReplySpoolMaxBytes) and, with the outbox's and the
 * smarthost's last problem, for the status pages: the notifier is the one that
 * removes records, and may read directories; status pages read the gauges in
 * its counter slot instead of scanning them on every scrape. Once per
 * COUNT_EVERY. */
void wr_notifier_spool_count(notifier_t *n, apr_time_t now);

#endif
