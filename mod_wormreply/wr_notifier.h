/* wr_notifier.h - the notifier's work: from spooled events to notices
 *
 * The notifier is one process (spawned and supervised by the httpd
 * parent, see mod_wormreply_notify.c) running wr_notifier_run(). Each turn
 * it:
 *   0. makes the records httpd's children put since its last commit
 *      durable (they write without fsync, so that no request waits on the
 *      disk): one group commit, wr_spool_commit, after listing new/ and
 *      before claiming anything listed, and again between claims whenever
 *      records were put and 0.5 s have passed (also while composing, and
 *      once more when it stops). So nothing is claimed, reported or
 *      removed before it is durable, and the power-loss window (what a
 *      power loss or a kernel crash can take: records put since the last
 *      commit) is about a second while the notifier gets the CPU: its
 *      turn is one poll interval (0.5 s) of DNS waiting plus composing;
 *      a commit itself takes as long as the file system needs to write
 *      what is dirty on it (syncfs), and a notifier starved of the CPU by
 *      work of higher priority (it runs at WormReplyNotifierNice) commits
 *      late as it does all its work late. A crash of any process loses
 *      nothing: the rename into new/ is all that needs. A commit that
 *      fails is logged (WR00452) and nothing is claimed until one works;
 *   1. claims the events in the spool's new/ whose next-try has come
 *      (wr_spool_take) and submits their source addresses to the
 *      resolver, a bounded number at a time;
 *   2. refuses, before any DNS, sources that must never be mailed:
 *      RFC 6890 special-purpose addresses (unless lifted by an allow
 *      prefix) and the exempt prefixes;
 *   3. files each confirmed source under its registrable domain, unless
 *      the domain is one of ours or on the never-mail list, or the host
 *      was notified within the host window (persistent history);
 *   4. when a domain's first pending event is older than the digest
 *      delay, and the domain window and the hourly cap allow, composes
 *      one digest for the domain, writes it to the outbox, records host
 *      and domain in the history, and only then removes the events;
 *   5. gives a temporarily unresolvable event back with a backoff.
 * Events are removed from the spool only once their outcome is durable
 * (notice written or decision made), so a notifier killed at any point
 * finds them again in cur/ and wr_spool_recover puts them back: nothing
 * is lost, and the history keeps a host from being mailed twice.
 *
 * With a farm (WormReplyFarm), step 3 also adds the host to the domain's
 * set in Redis, and step 4 becomes: whoever claims the domain's window in
 * Redis sends the digest naming every server's hosts, and each server
 * drops the events a farm digest reported. While Redis is unreachable,
 * each server works from its own state as above (one warning a minute),
 * and tells the farm what it sent once Redis is back.
 *
 * With a smarthost, delivery (wr_delivery_run) happens in a child process
 * of the notifier, the deliverer, so that a slow or stalled smarthost
 * never holds up DNS and composing, and composing overlaps delivery. One
 * deliverer at a time: it is started at the end of a turn, and while
 * notices are being queued (every 50), when notices were queued since the
 * last one started or 2 s have passed (retries come due by their own
 * clock); it runs passes while a pass finds something due, for at most a
 * minute, then exits. A notifier that stops sends it SIGTERM: it ends
 * after its current pass. Each pass re-reads the outbox, takes the outbox
 * lock, and updates the notifier's counter slot (only the deliverer writes
 * its smtp_* fields).
 */
#ifndef WR_NOTIFIER_H
#define WR_NOTIFIER_H

#include <signal.h>

#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "wr_counters.h"
#include "wr_delivery.h"
#include "wr_farm.h"
#include "wr_notice.h"
#include "wr_ratelimit.h"
#include "wr_resolve.h"
#include "wr_spoolsize.h"

/* wr_host_lookup_fn - the running record of a source from the shared
 * cache (how many probes so far, the latest): 1 if found */
typedef int wr_host_lookup_fn(void *baton, const char *ip,
                              wr_rate_host_t *rec);

typedef struct {
    const char *spool_dir;
    apr_size_t spool_max;
    const char *outbox_dir;
    const char *history_path;          /* DBM of what was sent */
    const char *resolvers;             /* "ip:port,..." or NULL */
    const char *contact_zone;          /* WormReplyContactZone, or NULL */
    int dns_timeout_ms;
    int dns_tries;
    wr_ipset_t *special;               /* RFC 6890, built by the caller */
    wr_ipset_t *allow;                 /* special prefixes lifted */
    wr_ipset_t *exempt;                /* never notified */
    apr_array_header_t *own_domains;   /* const char *, lower case */
    apr_array_header_t *never_mail;    /* addresses or domains, added to
                                        * wr_never_mail_builtin; "-domain"
                                        * takes a built-in one out */
    apr_array_header_t *mailboxes;     /* local parts: postmaster, abuse */
    const char *from;
    const char *bcc;                   /* NULL: none */
    apr_array_header_t *test_vhosts;   /* vhosts in WormReplyNotify Test */
    const char *template_text;         /* NULL: the built-in template */
    const wr_sigset_t *families;       /* what notices say of a family
                                        * (title, about, kind ...); NULL:
                                        * its name only */
    const char *format;                /* WormReplyFormat: a name in the
                                        * notice format table */
    const char *server_name;
    apr_interval_time_t host_window;
    apr_interval_time_t digest_delay;
    apr_interval_time_t domain_window;
    apr_interval_time_t retry_base;    /* first DNS retry */
    apr_interval_time_t retry_max;
    apr_interval_time_t poll_interval; /* how often the spool is read */
    int max_per_hour;
    wr_counters_t *counters;           /* NULL: not counted */
    wr_spoolsize_t *spool_size;        /* NULL: no shared size to keep */
    wr_host_lookup_fn *host_lookup;    /* NULL: counts from the events */
    void *host_lookup_baton;
    /* Family names that notify by themselves (WormReplyNotifyFamilies),
     * NULL: every family does. An event of another family is mailed only
     * when the shared cache says its source sent a probe of one that does
     * in the same window (WR_RATE_HOST_NOTIFYING); otherwise it is
     * dropped before any DNS and counted as held_uncertain. */
    apr_hash_t *notify_families;
    /* With a smarthost: notices are queued through the delivery manager
     * (with their whole envelope) and delivered by a delivery process
     * (see below); without one the
     * outbox is the end of the line. */
    wr_delivery_t *delivery;
    int smarthost;
    /* Without one: how long the notices are kept in the outbox for
     * pickup (WormReplyOutboxRetention; 0: for ever). The notifier prunes
     * older ones and marks the outbox (wr_outbox_pickup). */
    apr_interval_time_t outbox_retention;
    /* With WormReplyFarm: the Redis the farm's notifiers share (see
     * wr_farm.h); NULL: this server's own state only. */
    const wr_farm_conf_t *farm;
} wr_notifier_conf_t;

/* wr_never_mail_builtin - domains never mailed unless taken out by
 * "-domain" in never_mail: services whose names embed any IP address
 * (nip.io, sslip.io ...), where whoever controls a PTR record can
 * forward-confirm a name. A domain matches itself and every name under it
 * (the registrable domain and the confirmed name are both checked).
 * NULL-terminated. */
extern const char *const wr_never_mail_builtin[];

/* wr_notifier_conf_default - the defaults of the notifier's policy: the
 * mailboxes postmaster and abuse, DNS 1 s timeout and 2 tries, its first
 * DNS retry after WR_DELIVERY_DEFAULT_RETRY_INTERVAL (5 min) backing off
 * to 4 h, the spool read every 0.5 s, the format "plain", notices kept
 * for pickup WR_OUTBOX_DEFAULT_RETENTION (30 days) */
void wr_notifier_conf_default(wr_notifier_conf_t *conf, apr_pool_t *p);

/* wr_notifier_conf_finish - what the notifier takes from the delivery's
 * configuration once every directive is read: WormReplyRetryInterval
 * paces DNS retries as well as deliveries */
void wr_notifier_conf_finish(wr_notifier_conf_t *conf,
                             const wr_delivery_conf_t *delivery);

/* wr_notifier_run - work until *stop becomes non-zero.
 * @return APR_SUCCESS when stopped; an error when the spool, the outbox,
 *         the history or the resolver cannot be set up (the caller exits
 *         with a "could not start" code so that it is not respawned). */
apr_status_t wr_notifier_run(const wr_notifier_conf_t *conf,
                             const volatile sig_atomic_t *stop, apr_pool_t *p);

#endif
