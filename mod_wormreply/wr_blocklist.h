/* wr_blocklist.h - the hosts that probed in a time window, as a DNSBL zone
 * or a firewall set whose entries expire by themselves
 *
 * A blocklist is built for one window, [now - window, now]. Sightings
 * (address, time) are added from any source (spool events, access-log
 * lines); a host is listed when its latest sighting falls in the window
 * and it is in no exempt network. Each entry expires one window after its
 * latest sighting: a host seen 20 minutes ago in a one-hour window is
 * listed for 40 more minutes. So a list that is regenerated now and then
 * (cron) lets hosts fall out on their own, and the formats that carry a
 * timeout (ipset, nftables) drop them even if it is never regenerated.
 *
 * Addresses: textual IPv4 or IPv6. An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) is the IPv4 address; every address is written in its
 * canonical form (inet_ntop), so "2001:DB8:0::1" and "2001:db8::1" are one
 * host. No name is ever resolved.
 *
 * Formats (wr_blocklist_write):
 *   plain     "ADDRESS<TAB>EXPIRES" per host, EXPIRES in UTC RFC 3339
 *             ("2004-05-01T12:00:00Z")
 *   rbldnsd   an ip4set dataset: a '#' comment, "$TIMESTAMP now expires"
 *             (the latest expiry: rbldnsd stops answering from the file
 *             once it is past, so a feed that stops does not list anyone
 *             for ever), "$TTL", the default ":127.0.0.2:Worm probe from $"
 *             line, then one IPv4 address per line with a TXT saying until
 *             when it is listed. ip4set holds IPv4 only: IPv6 hosts are
 *             left out and counted (wr_blocklist_stats_t.v6_left_out).
 *   ipset     "ipset restore" input: "create NAME hash:ip family inet
 *             timeout W -exist" (and NAME6, family inet6, when there are
 *             IPv6 hosts), then "add NAME ADDRESS timeout S -exist" with
 *             S the seconds left until the entry's expiry
 *   nftables  "nft -f" input: "add table FAMILY TABLE", "add set ... NAME
 *             { type ipv4_addr; flags timeout; }" (NAME6 / ipv6_addr for
 *             IPv6), then "add element FAMILY TABLE NAME { ADDRESS timeout
 *             Ss }" per host
 * Hosts are written in address order (IPv4 first), so two runs over the
 * same data give the same bytes.
 *
 * Memory: one small record per distinct host in the window, at most
 * max_hosts (WR_BLOCKLIST_MAX_HOSTS by default); sightings of further new
 * hosts are counted as dropped, never stored.
 */
#ifndef WR_BLOCKLIST_H
#define WR_BLOCKLIST_H

#include <stdio.h>

#include <apr_pools.h>
#include <apr_time.h>

#define WR_BLOCKLIST_MAX_HOSTS 1000000

typedef struct wr_blocklist_t wr_blocklist_t;

typedef enum {
    WR_BLOCKLIST_PLAIN = 0,
    WR_BLOCKLIST_RBLDNSD,
    WR_BLOCKLIST_IPSET,
    WR_BLOCKLIST_NFTABLES
} wr_blocklist_format_t;

/* What wr_blocklist_add did with a sighting. */
typedef enum {
    WR_BL_LISTED = 0,   /* in the window: listed (or its time updated) */
    WR_BL_OUTSIDE,      /* before the window, or after `now` */
    WR_BL_EXEMPT,       /* in an exempt network */
    WR_BL_BAD_ADDRESS,  /* not a textual IPv4/IPv6 address */
    WR_BL_DROPPED       /* a new host beyond max_hosts */
} wr_bl_result_t;

typedef struct {
    unsigned long long sightings[5];    /* by wr_bl_result_t */
    unsigned long hosts;                /* distinct hosts listed */
    unsigned long hosts_v6;             /* of which IPv6 */
    unsigned long v6_left_out;          /* by the last rbldnsd write */
} wr_blocklist_stats_t;

/* Names used in the ipset and nftables output. */
typedef struct {
    const char *set;        /* "wormreply"; IPv6 set: set + "6" */
    const char *nft_family; /* "inet" */
    const char *nft_table;  /* "filter" */
    const char *txt;        /* rbldnsd TXT, "$" is the address:
                             * "Worm probe from $" */
} wr_blocklist_names_t;

/* wr_blocklist_create - an empty list for the window ending at `now`,
 * `window` long (> 0), in `p`; max_hosts 0 means WR_BLOCKLIST_MAX_HOSTS.
 * @return APR_EINVAL for a window <= 0, or one so long that now - window
 *         or now + window (plus a second) is not an apr_time_t */
apr_status_t wr_blocklist_create(wr_blocklist_t **pbl, apr_time_t now,
                                 apr_interval_time_t window,
                                 unsigned long max_hosts, apr_pool_t *p);

/* wr_blocklist_exempt - never list hosts in `cidr` ("192.0.2.0/24",
 * "2001:db8::/32", or one address). @return APR_EINVAL if it is not one */
apr_status_t wr_blocklist_exempt(wr_blocklist_t *bl, const char *cidr);

/* wr_blocklist_add - one sighting of `address` (`len` bytes, need not be
 * NUL-terminated) at `seen` */
wr_bl_result_t wr_blocklist_add(wr_blocklist_t *bl, const char *address,
                                apr_size_t len, apr_time_t seen);

/* wr_blocklist_stats - counts so far */
void wr_blocklist_stats(const wr_blocklist_t *bl, wr_blocklist_stats_t *st);

/* wr_blocklist_names_init - the defaults above */
void wr_blocklist_names_init(wr_blocklist_names_t *names);

/* wr_blocklist_format_parse - "plain", "rbldnsd", "ipset", "nftables"
 * (also "nft"). @return APR_EINVAL for anything else */
apr_status_t wr_blocklist_format_parse(const char *s,
                                       wr_blocklist_format_t *f);

/* wr_blocklist_write - the list in format `f`. Names must be made of
 * [A-Za-z0-9_-] (and the TXT of printable ASCII): APR_EINVAL otherwise,
 * before anything is written. @return APR_EGENERAL if writing failed
 * (errno tells why) */
apr_status_t wr_blocklist_write(wr_blocklist_t *bl, wr_blocklist_format_t f,
                                const wr_blocklist_names_t *names,
                                FILE *out);

#endif
