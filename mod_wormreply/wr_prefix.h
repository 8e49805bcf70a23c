/* wr_prefix.h - the network prefix a source address is accounted under
 *
 * One attacker commonly holds a whole IPv6 /64 (and an IPv4 address is
 * all most hosts have): counting every address of a /64 as a new source
 * let 12,000 addresses of one /64 fill the spool. So the rate limits and
 * the spool quota key a source by its prefix: /32 for IPv4 and /64 for
 * IPv6 by default (WormReplySourcePrefix). An IPv4-mapped IPv6 address
 * (::ffff:192.0.2.1) is the IPv4 address it maps.
 */
#ifndef WR_PREFIX_H
#define WR_PREFIX_H

#include <apr_errno.h>

#define WR_PREFIX_DEFAULT_V4 32
#define WR_PREFIX_DEFAULT_V6 64

/* Events a prefix may cost per host window, each for another address of
 * it (WormReplyPrefixQuota): enough to name a few of a network's hosts,
 * too few to fill a spool. */
#define WR_PREFIX_DEFAULT_QUOTA 4

/* The shortest prefixes allowed: wider ones would make whole providers
 * one source. */
#define WR_PREFIX_MIN_V4 8
#define WR_PREFIX_MIN_V6 16

/* Longest text of a prefix: an IPv6 address, '/', three digits, NUL. */
#define WR_PREFIX_TEXT_MAX 50

typedef struct {
    unsigned char key[18];    /* family, length, masked address */
    unsigned int klen;
    int family;               /* 4 or 6 */
    int bits;
} wr_prefix_t;

/* wr_prefix_of - the prefix of the textual address `ip` (IPv4 or IPv6)
 * under `v4bits` (1..32) and `v6bits` (1..128); the key identifies it
 * (addresses of one prefix have equal keys, different prefixes different
 * keys). @return APR_EINVAL if `ip` is not an address */
apr_status_t wr_prefix_of(const char *ip, int v4bits, int v6bits,
                          wr_prefix_t *px);

/* wr_prefix_of_bytes - wr_prefix_of of an address already in binary:
 * `family` 4 (4 bytes at `addr`) or 6 (16 bytes, network order; an
 * IPv4-mapped one is taken as IPv4, as in wr_prefix_of). The request path
 * has the client's address parsed already (apr_sockaddr_t) and skips
 * inet_pton. @return APR_EINVAL for another family */
apr_status_t wr_prefix_of_bytes(int family, const unsigned char *addr,
                                int v4bits, int v6bits, wr_prefix_t *px);

/* wr_prefix_text - the prefix as text into `buf` (at least
 * WR_PREFIX_TEXT_MAX bytes): "192.0.2.0/24", "2001:db8:1::/64"; the
 * address alone for a /32 or /128. @return buf */
const char *wr_prefix_text(const wr_prefix_t *px, char *buf);

#endif
