/* wr_blocklist.c - the hosts that probed in a window, as expiring lists
 *
 * See wr_blocklist.h for the contract. Addresses are kept as 16 bytes
 * (IPv4 as IPv4-mapped IPv6), which makes one hash key for both families
 * and one prefix test for exempt networks of either.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_blocklist.h"
#include "wr_time.h"

typedef struct {
    unsigned char addr[16];
    int v4;
    apr_time_t last;
} bl_host_t;

typedef struct {
    unsigned char addr[16];
    int bits;                   /* prefix length in the 128-bit space */
} bl_net_t;

struct wr_blocklist_t {
    apr_pool_t *pool;
    apr_time_t now;
    apr_interval_time_t window;
    unsigned long max_hosts;
    apr_hash_t *hosts;          /* 16-byte address -> bl_host_t */
    apr_array_header_t *exempt; /* bl_net_t */
    wr_blocklist_stats_t st;
};

static const unsigned char v4_mapped[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* parse_addr - a textual address into 16 bytes; *v4 tells the family */
static int parse_addr(const char *s, apr_size_t len, unsigned char out[16],
                      int *v4)
{
    char buf[64];

    if (len == 0 || len >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {
        return -1;
    }
    if (inet_pton(AF_INET, buf, out + 12) == 1) {
        memcpy(out, v4_mapped, 12);
        *v4 = 1;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
        *v4 = memcmp(out, v4_mapped, 12) == 0;
        return 0;
    }
    return -1;
}

apr_status_t wr_blocklist_create(wr_blocklist_t **pbl, apr_time_t now,
                                 apr_interval_time_t window,
                                 unsigned long max_hosts, apr_pool_t *p)
{
    wr_blocklist_t *bl;

    /* The window's start, the expiries (up to now + window) and their
     * rounding up to whole seconds must not overflow: "106751991d" is a
     * valid duration. -(now + 1) cannot overflow; the bound may go
     * negative, which refuses every window. */
    if (window <= 0
        || window > APR_INT64_MAX - APR_USEC_PER_SEC
                    - (now < 0 ? -(now + 1) : now)) {
        return APR_EINVAL;
    }
    bl = apr_pcalloc(p, sizeof(*bl));
    bl->pool = p;
    bl->now = now;
    bl->window = window;
    bl->max_hosts = max_hosts ? max_hosts : WR_BLOCKLIST_MAX_HOSTS;
    bl->hosts = apr_hash_make(p);
    bl->exempt = apr_array_make(p, 4, sizeof(bl_net_t));
    *pbl = bl;
    return APR_SUCCESS;
}

apr_status_t wr_blocklist_exempt(wr_blocklist_t *bl, const char *cidr)
{
    const char *slash = strchr(cidr, '/');
    apr_size_t alen = slash ? (apr_size_t)(slash - cidr) : strlen(cidr);
    bl_net_t net;
    int v4, bits, i;

    if (parse_addr(cidr, alen, net.addr, &v4) != 0) {
        return APR_EINVAL;
    }
    if (slash == NULL) {
        bits = 128;
    }
    else {
        char *end;
        long n;

        if (!apr_isdigit(slash[1])) {
            return APR_EINVAL;
        }
        n = strtol(slash + 1, &end, 10);
        if (*end != '\0' || n < 0 || n > (v4 ? 32 : 128)) {
            return APR_EINVAL;
        }
        bits = (int)n + (v4 ? 96 : 0);
    }
    /* clear the host bits, so "192.0.2.7/24" means 192.0.2.0/24 */
    for (i = 0; i < 16; i++) {
        int keep = bits - i * 8;
        if (keep <= 0) {
            net.addr[i] = 0;
        }
        else if (keep < 8) {
            net.addr[i] &= (unsigned char)(0xff << (8 - keep));
        }
    }
    net.bits = bits;
    APR_ARRAY_PUSH(bl->exempt, bl_net_t) = net;
    return APR_SUCCESS;
}

/* in_net - whether addr lies in net */
static int in_net(const unsigned char addr[16], const bl_net_t *net)
{
    int full = net->bits / 8, rest = net->bits % 8;

    if (memcmp(addr, net->addr, (size_t)full) != 0) {
        return 0;
    }
    if (rest == 0) {
        return 1;
    }
    return (addr[full] & (0xff << (8 - rest)) & 0xff) == net->addr[full];
}

wr_bl_result_t wr_blocklist_add(wr_blocklist_t *bl, const char *address,
                                apr_size_t len, apr_time_t seen)
{
    unsigned char a[16];
    bl_host_t *h;
    wr_bl_result_t res;
    int v4, i;

    if (parse_addr(address, len, a, &v4) != 0) {
        res = WR_BL_BAD_ADDRESS;
        goto leave;
    }
    if (seen < bl->now - bl->window || seen > bl->now) {
        res = WR_BL_OUTSIDE;
        goto leave;
    }
    for (i = 0; i < bl->exempt->nelts; i++) {
        if (in_net(a, &APR_ARRAY_IDX(bl->exempt, i, bl_net_t))) {
            res = WR_BL_EXEMPT;
            goto leave;
        }
    }
    h = apr_hash_get(bl->hosts, a, sizeof(a));
    if (h == NULL) {
        if (bl->st.hosts >= bl->max_hosts) {
            res = WR_BL_DROPPED;
            goto leave;
        }
        h = apr_pcalloc(bl->pool, sizeof(*h));
        memcpy(h->addr, a, sizeof(a));
        h->v4 = v4;
        h->last = seen;
        apr_hash_set(bl->hosts, h->addr, sizeof(h->addr), h);
        bl->st.hosts++;
        bl->st.hosts_v6 += !v4;
    }
    else if (seen > h->last) {
        h->last = seen;
    }
    res = WR_BL_LISTED;
leave:
    bl->st.sightings[res]++;
    return res;
}

void wr_blocklist_stats(const wr_blocklist_t *bl, wr_blocklist_stats_t *st)
{
    *st = bl->st;
}

void wr_blocklist_names_init(wr_blocklist_names_t *names)
{
    names->set = "wormreply";
    names->nft_family = "inet";
    names->nft_table = "filter";
    names->txt = "Worm probe from $";
}

apr_status_t wr_blocklist_format_parse(const char *s,
                                       wr_blocklist_format_t *f)
{
    if (!strcmp(s, "plain")) {
        *f = WR_BLOCKLIST_PLAIN;
    }
    else if (!strcmp(s, "rbldnsd")) {
        *f = WR_BLOCKLIST_RBLDNSD;
    }
    else if (!strcmp(s, "ipset")) {
        *f = WR_BLOCKLIST_IPSET;
    }
    else if (!strcmp(s, "nftables") || !strcmp(s, "nft")) {
        *f = WR_BLOCKLIST_NFTABLES;
    }
    else {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* cmp_hosts - IPv4 before IPv6, then by address */
static int cmp_hosts(const void *a, const void *b)
{
    const bl_host_t *x = *(const bl_host_t *const *)a;
    const bl_host_t *y = *(const bl_host_t *const *)b;

    if (x->v4 != y->v4) {
        return x->v4 ? -1 : 1;
    }
    return memcmp(x->addr, y->addr, 16);
}

/* name_ok - a set or table name nft and ipset take without quoting */
static int name_ok(const char *s, apr_size_t max)
{
    apr_size_t n = 0;

    if (s == NULL || *s == '\0') {
        return 0;
    }
    for (; *s; s++, n++) {
        if (!apr_isalnum(*s) && *s != '_' && *s != '-') {
            return 0;
        }
    }
    return n <= max;
}

/* txt_ok - printable ASCII of a sane length for a TXT template */
static int txt_ok(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++, n++) {
        if (*s < 0x20 || *s > 0x7e) {
            return 0;
        }
    }
    return n > 0 && n <= 200;
}

/* secs_up - whole seconds, rounded up, at least 1 */
static long long secs_up(apr_interval_time_t d)
{
    long long s = (long long)((d + APR_USEC_PER_SEC - 1) / APR_USEC_PER_SEC);

    return s < 1 ? 1 : s;
}

/* addr_text - canonical textual form */
static void addr_text(const bl_host_t *h, char *buf, apr_size_t size)
{
    if (h->v4) {
        inet_ntop(AF_INET, h->addr + 12, buf, (socklen_t)size);
    }
    else {
        inet_ntop(AF_INET6, h->addr, buf, (socklen_t)size);
    }
}

apr_status_t wr_blocklist_write(wr_blocklist_t *bl, wr_blocklist_format_t f,
                                const wr_blocklist_names_t *names,
                                FILE *out)
{
    apr_pool_t *p;
    apr_hash_index_t *hi;
    bl_host_t **v;
    apr_time_t latest = bl->now;
    char start[32], nowbuf[32], ts[32], te[32];
    const char *set6;
    unsigned long n = 0, i, n4 = 0;
    long long wsecs = secs_up(bl->window);
    apr_status_t rv = APR_SUCCESS;

    if (!name_ok(names->set, 30) || !name_ok(names->nft_family, 16)
        || !name_ok(names->nft_table, 64) || !txt_ok(names->txt)) {
        return APR_EINVAL;
    }
    if (apr_pool_create(&p, bl->pool) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    set6 = apr_pstrcat(p, names->set, "6", NULL);
    v = apr_palloc(p, sizeof(*v) * (bl->st.hosts + 1));
    for (hi = apr_hash_first(p, bl->hosts); hi; hi = apr_hash_next(hi)) {
        v[n] = apr_hash_this_val(hi);
        if (v[n]->last + bl->window > latest) {
            latest = v[n]->last + bl->window;
        }
        n4 += (unsigned long)v[n]->v4;
        n++;
    }
    if (n == 0) {
        /* an empty list stays valid for a window, like a fresh entry */
        latest = bl->now + bl->window;
    }
    qsort(v, n, sizeof(*v), cmp_hosts);
    wr_time_format(start, sizeof(start), WR_TIME_RFC3339,
                   bl->now - bl->window);
    wr_time_format(nowbuf, sizeof(nowbuf), WR_TIME_RFC3339, bl->now);
    bl->st.v6_left_out = 0;

    switch (f) {
    case WR_BLOCKLIST_RBLDNSD:
        wr_time_format(ts, sizeof(ts), WR_TIME_RBLDNSD, bl->now);
        wr_time_format(te, sizeof(te), WR_TIME_RBLDNSD, latest);
        fprintf(out, "# wormreply: %lu hosts that probed from %s to %s\n"
                "$TIMESTAMP %s %s\n$TTL %lld\n:127.0.0.2:%s\n",
                n4, start, nowbuf, ts, te, wsecs < 300 ? wsecs : 300,
                names->txt);
        break;
    case WR_BLOCKLIST_IPSET:
        fprintf(out, "create %s hash:ip family inet timeout %lld -exist\n",
                names->set, wsecs);
        if (n4 < n) {
            fprintf(out, "create %s hash:ip family inet6 timeout %lld "
                    "-exist\n", set6, wsecs);
        }
        break;
    case WR_BLOCKLIST_NFTABLES:
        fprintf(out, "# wormreply: %lu hosts that probed from %s to %s\n"
                "add table %s %s\n"
                "add set %s %s %s { type ipv4_addr; flags timeout; }\n",
                n, start, nowbuf, names->nft_family, names->nft_table,
                names->nft_family, names->nft_table, names->set);
        if (n4 < n) {
            fprintf(out, "add set %s %s %s { type ipv6_addr; "
                    "flags timeout; }\n", names->nft_family,
                    names->nft_table, set6);
        }
        break;
    default:
        break;
    }
    for (i = 0; i < n; i++) {
        char a[64], exp[32];
        apr_time_t expiry = v[i]->last + bl->window;
        long long left = secs_up(expiry - bl->now);
        const char *set = v[i]->v4 ? names->set : set6;

        addr_text(v[i], a, sizeof(a));
        wr_time_format(exp, sizeof(exp), WR_TIME_RFC3339, expiry);
        switch (f) {
        case WR_BLOCKLIST_PLAIN:
            fprintf(out, "%s\t%s\n", a, exp);
            break;
        case WR_BLOCKLIST_RBLDNSD:
            if (!v[i]->v4) {
                bl->st.v6_left_out++;
                break;
            }
            fprintf(out, "%s :127.0.0.2:%s (until %s)\n", a, names->txt,
                    exp);
            break;
        case WR_BLOCKLIST_IPSET:
            fprintf(out, "add %s %s timeout %lld -exist\n", set, a, left);
            break;
        case WR_BLOCKLIST_NFTABLES:
            fprintf(out, "add element %s %s %s { %s timeout %llds }\n",
                    names->nft_family, names->nft_table, set, a, left);
            break;
        }
    }
    if (fflush(out) != 0 || ferror(out)) {
        rv = APR_EGENERAL;
    }
    apr_pool_destroy(p);
    return rv;
}
