/* wr_resolve.h - who is behind a source address: confirmed reverse DNS
 *
 * For each submitted address the resolver finds the name an abuse notice
 * may be sent to, or says why there is none:
 *   1. PTR of the address (in-addr.arpa / ip6.arpa); an IPv4-mapped IPv6
 *      address is looked up as the IPv4 address it carries.
 *   2. Every PTR name must be a valid LDH host name (wr_resolve_name_is_ldh)
 *      and not under .arpa (wr_resolve_name_is_arpa).
 *      Reverse DNS belongs to whoever holds the address block, so a hostile
 *      name (CR/LF, spaces, '_', escaped dots, over-long) is refused, never
 *      repaired.
 *   3. Forward confirmation (FCrDNS): the A (IPv4) or AAAA (IPv6) records of
 *      the name must contain the source address. With several PTR names the
 *      first one, in answer order, that confirms is taken.
 *   4. The registrable domain of the confirmed name under the ICANN section
 *      of the public suffix list (wr_resolve_registrable).
 *   5. The domain must accept mail: MX hosts (an RFC 7505 null MX means
 *      no), else an A or AAAA of the domain itself (RFC 5321 implicit MX).
 *
 * Everything is bounded: at most WR_RESOLVE_MAX_PTR PTR names are looked
 * at, at most WR_RESOLVE_MAX_ADDRS addresses per name compared, at most
 * WR_RESOLVE_MAX_MX MX hosts kept, and each query ends after the c-ares
 * timeout and tries given at creation (a CNAME loop ends as NO_NAME or
 * NOT_CONFIRMED, never hangs).
 *
 * The resolver is single-threaded and asynchronous: submit any number of
 * addresses, then call wr_resolver_run() until it returns 0. Up to
 * max_inflight lookups run at once (c-ares keeps all their queries in
 * flight), the rest wait in submission order. Callbacks are only ever
 * called from inside wr_resolver_run(), never from submit or destroy.
 */
#ifndef WR_RESOLVE_H
#define WR_RESOLVE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <libpsl.h>

#define WR_RESOLVE_MAX_PTR      8
#define WR_RESOLVE_MAX_ADDRS    16
#define WR_RESOLVE_MAX_MX       16
#define WR_RESOLVE_MAX_INFLIGHT 64

typedef enum {
    WR_RESOLVE_OK = 0,        /* confirmed name, domain accepts mail */
    WR_RESOLVE_NO_NAME,       /* no PTR (NXDOMAIN, no data, reverse loop) */
    WR_RESOLVE_BAD_NAME,      /* PTR names exist but none is a valid LDH
                               * host name (or c-ares refused the reply) */
    WR_RESOLVE_NOT_CONFIRMED, /* no PTR name resolves back to the address */
    WR_RESOLVE_NO_DOMAIN,     /* the confirmed name has no registrable
                               * domain (it is a public suffix itself) */
    WR_RESOLVE_NO_MAIL,       /* neither MX nor A/AAAA, null MX, NXDOMAIN */
    WR_RESOLVE_TEMPFAIL       /* timeout, SERVFAIL, REFUSED, no server:
                               * retry later, never count as unresolvable */
} wr_resolve_status_t;

/* What one lookup found. All strings are printable ASCII. The result and
 * everything it points to live only until the callback returns: copy what
 * you keep. */
typedef struct wr_resolve_result_t {
    wr_resolve_status_t status;
    const char *ip;       /* the address as submitted */
    const char *name;     /* the confirmed PTR name, as DNS spelled it; set
                           * from NO_DOMAIN on (also NO_MAIL, and TEMPFAIL
                           * at the mail stage), else NULL */
    const char *domain;   /* lower-case registrable domain; set with OK,
                           * NO_MAIL and a TEMPFAIL at the mail stage */
    /* OK: the mail hosts (const char *), best MX preference first; with
     * implicit_mx set it holds the domain itself. Empty otherwise. */
    const apr_array_header_t *mx;
    int implicit_mx;      /* no MX, the domain's A/AAAA accepts mail */
    const char *contact;  /* OK through the contact zone: the abuse
                           * address it published (then `domain` is the
                           * address's domain, `name` and `mx` unset) */
    const char *reason;   /* one line for logs and counters */
    int queries;          /* DNS queries this lookup made */
    apr_interval_time_t elapsed;
} wr_resolve_result_t;

typedef void wr_resolve_cb(const wr_resolve_result_t *result, void *baton);

typedef struct wr_resolver_t wr_resolver_t;

/* wr_resolver_create - a resolver living as long as `pool`
 * @param servers "ip:port,ip:port" ("[v6]:port" for IPv6; the port may be
 *        left out), or NULL for the system's (/etc/resolv.conf)
 * @param timeout_ms first try's timeout; c-ares doubles it on each retry
 * @param tries attempts per query and server
 * @param psl public suffix list, or NULL for libpsl's built-in one
 * @return APR_EINVAL for a bad argument or server list, APR_ENOTIMPL if
 *         libpsl has no built-in list, APR_EGENERAL if c-ares cannot start.
 * Destroying `pool` cancels pending lookups without calling their
 * callbacks; do not destroy it from inside a callback. */
apr_status_t wr_resolver_create(wr_resolver_t **pres, apr_pool_t *pool,
                                const char *servers, int timeout_ms,
                                int tries, const psl_ctx_t *psl);

/* wr_resolver_set_max_inflight - how many lookups may run at once (>= 1;
 * default WR_RESOLVE_MAX_INFLIGHT); the others queue */
void wr_resolver_set_max_inflight(wr_resolver_t *res, int max_inflight);

/* wr_resolver_set_contact_zone - ask a DNS-published abuse-contact
 * database first (WormReplyContactZone): a TXT record at the reversed
 * address under `zone` (4.3.2.1.ZONE, or the nibbles for IPv6) whose
 * text holds a plain local@domain address makes the lookup OK with that
 * contact; no such record, or a failure to ask, falls back to confirmed
 * reverse DNS. NULL switches it off. */
void wr_resolver_set_contact_zone(wr_resolver_t *res, const char *zone);

/* wr_resolver_submit - queue the lookup of `ip` (textual IPv4 or IPv6);
 * `cb` is called exactly once, from a later wr_resolver_run().
 * @return APR_EINVAL if ip is not a numeric address (no callback then). */
apr_status_t wr_resolver_submit(wr_resolver_t *res, const char *ip,
                                wr_resolve_cb *cb, void *baton);

/* wr_resolver_run - drive the lookups: wait on the c-ares sockets and call
 * the callbacks of finished lookups, until none is pending or `max_wait`
 * has passed (0: one pass without waiting; negative: until all are done,
 * which the query timeouts bound). Callbacks may submit new lookups.
 * @return how many lookups are still pending */
int wr_resolver_run(wr_resolver_t *res, apr_interval_time_t max_wait);

/* wr_resolver_pending - lookups submitted whose callback has not run */
int wr_resolver_pending(const wr_resolver_t *res);

/* Counters since creation, for status pages and tests. */
typedef struct wr_resolver_stats_t {
    unsigned long submitted;
    unsigned long completed;
    unsigned long queries;
    int inflight;           /* lookups started and not finished now */
    int max_inflight_seen;  /* highest value of inflight so far */
} wr_resolver_stats_t;

/* wr_resolver_stats - copy the counters */
void wr_resolver_stats(const wr_resolver_t *res, wr_resolver_stats_t *st);

/* wr_resolve_status_name - "ok", "no-name", ... for logs and counters */
const char *wr_resolve_status_name(wr_resolve_status_t status);

/* wr_resolve_name_is_ldh - whether `name` is a host name we accept from
 * reverse DNS: one optional trailing dot, 2..127 labels of 1-63 octets of
 * [A-Za-z0-9-] not starting or ending with '-', at most 253 octets, and a
 * top-level label that is not all digits (so "192.0.2.1." is refused). */
int wr_resolve_name_is_ldh(const char *name);

/* wr_resolve_name_is_arpa - whether `name` is "arpa" or under it
 * (in-addr.arpa, ip6.arpa ...), any case, with or without the trailing
 * dot: the infrastructure domain (RFC 3172) holds no host an abuse notice
 * could be about, yet an attacker who controls a reverse zone can give a
 * name there an A record that forward-confirms. Refused as a PTR name and
 * as the domain of a contact address. */
int wr_resolve_name_is_arpa(const char *name);

/* wr_resolve_registrable - the lower-case registrable domain of `name`
 * under the ICANN section of the public suffix list, in `pool`; NULL if
 * `name` is a public suffix itself or has no dot. Private-section entries
 * (dyndns.org, cloud provider zones) are deliberately ignored: the abuse
 * desk of a dynamic-DNS or cloud customer's host is the operator's. */
const char *wr_resolve_registrable(apr_pool_t *pool, const psl_ctx_t *psl,
                                   const char *name);

/* A set of address prefixes (apr_ipsubnet_t), read-only once built: the
 * special-purpose registry, WormReplyNotifyExempt, WormReplyNotifyAllow.
 * An IPv4-mapped IPv6 address matches the IPv4 prefixes (APR's rule). */
typedef struct wr_ipset_t wr_ipset_t;

/* wr_ipset_create - an empty set in `pool` */
apr_status_t wr_ipset_create(wr_ipset_t **pset, apr_pool_t *pool);

/* wr_ipset_add - add "addr/bits" or a bare address (a host prefix)
 * @return APR_EINVAL (or APR's parse error) for anything else */
apr_status_t wr_ipset_add(wr_ipset_t *set, const char *cidr);

/* wr_ipset_add_special - add the RFC 6890 special-purpose prefixes (see
 * wr_resolve.c for the list; ::ffff:0:0/96 is judged by the IPv4 inside) */
apr_status_t wr_ipset_add_special(wr_ipset_t *set);

/* wr_ipset_match - the prefix (as added) that contains `ip`, or NULL if
 * none does or `ip` is not a numeric address; `scratch` takes one
 * apr_sockaddr_t */
const char *wr_ipset_match(const wr_ipset_t *set, const char *ip,
                           apr_pool_t *scratch);

/* wr_ip_is_special - the RFC 6890 prefix containing `ip`, NULL for a
 * global address, "invalid" if `ip` is not a numeric address (so that a
 * caller refusing special addresses refuses garbage too). Builds the set
 * in a subpool of `scratch` on each call: long-running code keeps a set
 * from wr_ipset_add_special() instead. */
const char *wr_ip_is_special(const char *ip, apr_pool_t *scratch);

#endif
