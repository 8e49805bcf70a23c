/* wr_resolve.c - confirmed reverse DNS, registrable domain and mail check
 * with c-ares; special-purpose address prefixes with apr_ipsubnet_t
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netdb.h>              /* before ares.h: 1.18 needs struct hostent */
#include <ares.h>
#include <arpa/nameser.h>

#include <apr_lib.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include "wr_resolve.h"
#include "wr_text.h"

typedef struct wr_lookup_t wr_lookup_t;

/* One socket c-ares wants watched (ARES_OPT_SOCK_STATE_CB). */
typedef struct {
    ares_socket_t fd;
    int readable;
    int writable;
} wr_sock_t;

struct wr_resolver_t {
    apr_pool_t *pool;
    ares_channel channel;
    int have_channel;
    const psl_ctx_t *psl;
    int max_inflight;
    int inflight;
    int pending;
    int destroying;
    wr_lookup_t *queue_head, *queue_tail;   /* submitted, not started */
    wr_lookup_t *done_head, *done_tail;     /* finished, callback not run */
    apr_array_header_t *socks;              /* wr_sock_t */
    const char *contact_zone;               /* WormReplyContactZone */
    struct pollfd *pfds;
    int npfds_alloc;
    wr_resolver_stats_t stats;
};

struct wr_lookup_t {
    wr_resolver_t *res;
    apr_pool_t *pool;
    wr_lookup_t *next;
    wr_resolve_cb *cb;
    void *baton;
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    const char *addr_text;      /* the address looked up, canonical */
    const char *names[WR_RESOLVE_MAX_PTR];
    int nnames;
    int cur;                    /* index into names being confirmed */
    int tempfails;              /* forward lookups that failed for now */
    const char *why_not;        /* first reason a name did not confirm */
    const char *why_temp;       /* first temporary failure of a name */
    int implicit_aaaa;          /* the implicit-MX check is at AAAA */
    apr_array_header_t *mx;
    apr_time_t start;
    wr_resolve_result_t result;
};

static const char *const status_names[] = {
    "ok", "no-name", "bad-name", "not-confirmed", "no-domain", "no-mail",
    "tempfail"
};

/* wr_resolve_status_name - short stable name of a status */
const char *wr_resolve_status_name(wr_resolve_status_t status)
{
    if ((unsigned)status < sizeof(status_names) / sizeof(status_names[0])) {
        return status_names[status];
    }
    return "unknown";
}

int wr_resolve_name_is_arpa(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len > 0 && name[len - 1] == '.') {
        len--;
    }
    return len >= 4 && strncasecmp(name + len - 4, "arpa", 4) == 0
           && (len == 4 || name[len - 5] == '.');
}

/* wr_resolve_name_is_ldh - the LDH host-name rule of RFC 952/1123, for a
 * DNS name (wr_text.h) */
int wr_resolve_name_is_ldh(const char *name)
{
    return wr_text_host_ok(name, WR_TEXT_HOST_DOT | WR_TEXT_HOST_DOMAIN);
}

/* wr_resolve_registrable - libpsl's registrable-domain walk, ICANN only */
const char *wr_resolve_registrable(apr_pool_t *pool, const psl_ctx_t *psl,
                                   const char *name)
{
    char *lower, *p, *regdom = NULL;
    size_t len;

    if (name == NULL || psl == NULL) {
        return NULL;
    }
    lower = apr_pstrdup(pool, name);
    len = strlen(lower);
    if (len > 0 && lower[len - 1] == '.') {
        lower[--len] = '\0';
    }
    for (p = lower; *p; p++) {
        *p = (char)apr_tolower(*p);
    }
    /* Left to right, as psl_registrable_domain() does, so that a listed
     * name under an unlisted parent ("forgot.his.name") is found. */
    p = lower;
    while (!psl_is_public_suffix2(psl, p, PSL_TYPE_ICANN)) {
        char *dot = strchr(p, '.');
        if (dot == NULL) {
            return NULL;
        }
        regdom = p;
        p = dot + 1;
    }
    return regdom;
}

/* safe_text - a printable, bounded copy of a DNS name for reasons */
static const char *safe_text(apr_pool_t *pool, const char *s)
{
    size_t i, n = s ? strlen(s) : 0;
    char *out;

    if (n > 253) {
        n = 253;
    }
    out = apr_palloc(pool, n + 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
    return out;
}

/* sock_state - c-ares tells which sockets to watch for what */
static void sock_state(void *data, ares_socket_t fd, int readable,
                       int writable)
{
    wr_resolver_t *res = data;
    wr_sock_t *socks = (wr_sock_t *)res->socks->elts;
    int i;

    for (i = 0; i < res->socks->nelts; i++) {
        if (socks[i].fd == fd) {
            break;
        }
    }
    if (!readable && !writable) {
        if (i < res->socks->nelts) {
            socks[i] = socks[res->socks->nelts - 1];
            res->socks->nelts--;
        }
        return;
    }
    if (i == res->socks->nelts) {
        wr_sock_t *s = apr_array_push(res->socks);
        s->fd = fd;
    }
    socks = (wr_sock_t *)res->socks->elts;
    socks[i].readable = readable;
    socks[i].writable = writable;
}

/* finish - record the outcome; the callback runs later from run() */
static void finish(wr_lookup_t *lk, wr_resolve_status_t status,
                   const char *reason)
{
    wr_resolver_t *res = lk->res;

    lk->result.status = status;
    lk->result.reason = reason;
    lk->result.mx = lk->mx;
    lk->result.elapsed = apr_time_now() - lk->start;
    res->inflight--;
    lk->next = NULL;
    if (res->done_tail) {
        res->done_tail->next = lk;
    }
    else {
        res->done_head = lk;
    }
    res->done_tail = lk;
}

/* query - one c-ares query on behalf of a lookup */
static void query(wr_lookup_t *lk, const char *name, int type,
                  ares_callback cb)
{
    lk->result.queries++;
    lk->res->stats.queries++;
    ares_query(lk->res->channel, name, C_IN, type, cb, lk);
}

/* is_tempfail - whether a c-ares status may change on a later try */
static int is_tempfail(int status)
{
    switch (status) {
    case ARES_ENODATA:
    case ARES_ENOTFOUND:
    case ARES_EBADRESP:
    case ARES_EBADNAME:
        return 0;
    default:
        return 1;
    }
}

static void mx_done(void *arg, int status, int timeouts,
                    unsigned char *abuf, int alen);
static void implicit_done(void *arg, int status, int timeouts,
                          unsigned char *abuf, int alen);
static void forward_done(void *arg, int status, int timeouts,
                         unsigned char *abuf, int alen);

/* confirmed - the name is ours: find its domain and whether it takes mail */
static void confirmed(wr_lookup_t *lk)
{
    const char *name = lk->names[lk->cur];
    const char *domain;

    lk->result.name = name;
    domain = wr_resolve_registrable(lk->pool, lk->res->psl, name);
    if (domain == NULL) {
        finish(lk, WR_RESOLVE_NO_DOMAIN,
               apr_psprintf(lk->pool, "%s has no registrable domain "
                            "(a public suffix)", name));
        return;
    }
    lk->result.domain = domain;
    query(lk, domain, T_MX, mx_done);
}

/* try_name - forward-confirm the current PTR name, or conclude */
static void try_name(wr_lookup_t *lk)
{
    if (lk->cur < lk->nnames) {
        query(lk, lk->names[lk->cur],
              lk->family == AF_INET ? T_A : T_AAAA, forward_done);
        return;
    }
    if (lk->tempfails > 0) {
        finish(lk, WR_RESOLVE_TEMPFAIL,
               apr_psprintf(lk->pool, "forward lookup failed for now: %s",
                            lk->why_temp));
    }
    else {
        finish(lk, WR_RESOLVE_NOT_CONFIRMED,
               apr_psprintf(lk->pool, "no PTR name of %s resolves back "
                            "to it: %s", lk->addr_text, lk->why_not));
    }
}

/* forward_done - A/AAAA of a PTR name: does it hold the source address? */
static void forward_done(void *arg, int status, int timeouts,
                         unsigned char *abuf, int alen)
{
    wr_lookup_t *lk = arg;
    const char *name;
    char first[INET6_ADDRSTRLEN] = "";
    int n = WR_RESOLVE_MAX_ADDRS, match = 0;

    (void)timeouts;
    if (lk->res->destroying) {
        return;
    }
    name = lk->names[lk->cur];
    if (status == ARES_SUCCESS) {
        if (lk->family == AF_INET) {
            struct ares_addrttl a[WR_RESOLVE_MAX_ADDRS];
            int i;
            status = ares_parse_a_reply(abuf, alen, NULL, a, &n);
            for (i = 0; status == ARES_SUCCESS && i < n && !match; i++) {
                match = !memcmp(&a[i].ipaddr, lk->addr, 4);
            }
            if (status == ARES_SUCCESS && n > 0) {
                inet_ntop(AF_INET, &a[0].ipaddr, first, sizeof(first));
            }
        }
        else {
            struct ares_addr6ttl a[WR_RESOLVE_MAX_ADDRS];
            int i;
            status = ares_parse_aaaa_reply(abuf, alen, NULL, a, &n);
            for (i = 0; status == ARES_SUCCESS && i < n && !match; i++) {
                match = !memcmp(&a[i].ip6addr, lk->addr, 16);
            }
            if (status == ARES_SUCCESS && n > 0) {
                inet_ntop(AF_INET6, &a[0].ip6addr, first, sizeof(first));
            }
        }
        if (status == ARES_SUCCESS && n == 0) {
            status = ARES_ENODATA;
        }
    }
    if (match) {
        confirmed(lk);
        return;
    }
    if (status == ARES_SUCCESS) {
        if (lk->why_not == NULL) {
            lk->why_not = apr_psprintf(lk->pool, "%s has %s %s", name,
                                       lk->family == AF_INET ? "A" : "AAAA",
                                       first);
        }
    }
    else {
        const char *why = apr_psprintf(lk->pool, "%s %s: %s", name,
                                       lk->family == AF_INET ? "A" : "AAAA",
                                       ares_strerror(status));
        if (is_tempfail(status)) {
            lk->tempfails++;
            if (lk->why_temp == NULL) {
                lk->why_temp = why;
            }
        }
        else if (lk->why_not == NULL) {
            lk->why_not = why;
        }
    }
    lk->cur++;
    try_name(lk);
}

/* ptr_done - the PTR names of the address: keep the valid ones */
static void ptr_done(void *arg, int status, int timeouts,
                     unsigned char *abuf, int alen)
{
    wr_lookup_t *lk = arg;
    struct hostent *he = NULL;
    const char *bad = NULL;
    int i, seen = 0;

    (void)timeouts;
    if (lk->res->destroying) {
        return;
    }
    if (status == ARES_SUCCESS) {
        /* the address goes into he->h_addr_list (malloc'ed even when
         * empty, where malloc(0) may fail) */
        status = ares_parse_ptr_reply(abuf, alen, lk->addr,
                                      lk->family == AF_INET ? 4 : 16,
                                      lk->family, &he);
    }
    switch (status) {
    case ARES_SUCCESS:
        break;
    case ARES_ENODATA:
    case ARES_ENOTFOUND:
        finish(lk, WR_RESOLVE_NO_NAME,
               apr_psprintf(lk->pool, "no PTR for %s: %s", lk->addr_text,
                            ares_strerror(status)));
        return;
    case ARES_EBADRESP:
    case ARES_EBADNAME:
        /* c-ares refuses names with control characters, spaces or
         * escaped dots in the whole reply */
        finish(lk, WR_RESOLVE_BAD_NAME,
               apr_psprintf(lk->pool, "PTR reply for %s refused: %s",
                            lk->addr_text, ares_strerror(status)));
        return;
    default:
        finish(lk, WR_RESOLVE_TEMPFAIL,
               apr_psprintf(lk->pool, "PTR lookup for %s: %s",
                            lk->addr_text, ares_strerror(status)));
        return;
    }
    /* h_name is the first PTR; h_aliases lists them all again */
    for (i = -1; seen < WR_RESOLVE_MAX_PTR; i++) {
        const char *n;
        int j, dup = 0;

        if (i >= 0 && (he->h_aliases == NULL || he->h_aliases[i] == NULL)) {
            break;
        }
        n = i < 0 ? he->h_name : he->h_aliases[i];
        if (n == NULL) {
            continue;
        }
        seen++;
        for (j = 0; j < lk->nnames && !dup; j++) {
            dup = !strcasecmp(lk->names[j], n);
        }
        if (dup) {
            continue;
        }
        if (!wr_resolve_name_is_ldh(n) || wr_resolve_name_is_arpa(n)) {
            if (bad == NULL) {
                bad = wr_resolve_name_is_ldh(n)
                      ? apr_pstrcat(lk->pool, n, " (under .arpa)", NULL)
                      : safe_text(lk->pool, n);
            }
            continue;
        }
        lk->names[lk->nnames++] = apr_pstrdup(lk->pool, n);
    }
    ares_free_hostent(he);
    if (lk->nnames == 0) {
        finish(lk, WR_RESOLVE_BAD_NAME,
               apr_psprintf(lk->pool, "PTR of %s is not a valid host "
                            "name: %s", lk->addr_text, bad ? bad : "(none)"));
        return;
    }
    lk->cur = 0;
    try_name(lk);
}

/* mx_done - the MX hosts of the domain, or the implicit MX check */
static void mx_done(void *arg, int status, int timeouts,
                    unsigned char *abuf, int alen)
{
    wr_lookup_t *lk = arg;
    struct ares_mx_reply *mx = NULL, *m;
    int prefs[WR_RESOLVE_MAX_MX];
    int nulls = 0;

    (void)timeouts;
    if (lk->res->destroying) {
        return;
    }
    if (status == ARES_SUCCESS) {
        status = ares_parse_mx_reply(abuf, alen, &mx);
    }
    if (status == ARES_ENODATA) {
        query(lk, lk->result.domain, T_A, implicit_done);
        return;
    }
    if (status == ARES_ENOTFOUND) {
        finish(lk, WR_RESOLVE_NO_MAIL,
               apr_psprintf(lk->pool, "domain %s does not exist",
                            lk->result.domain));
        return;
    }
    if (status != ARES_SUCCESS) {
        finish(lk, is_tempfail(status) ? WR_RESOLVE_TEMPFAIL
                                       : WR_RESOLVE_NO_MAIL,
               apr_psprintf(lk->pool, "MX lookup for %s: %s",
                            lk->result.domain, ares_strerror(status)));
        return;
    }
    /* keep the hosts sorted by preference (insertion sort, bounded) */
    for (m = mx; m != NULL; m = m->next) {
        const char **hosts = (const char **)lk->mx->elts;
        int at;

        if (m->host == NULL || m->host[0] == '\0'
            || strcmp(m->host, ".") == 0) {
            nulls++;
            continue;
        }
        if (!wr_resolve_name_is_ldh(m->host)
            || lk->mx->nelts >= WR_RESOLVE_MAX_MX) {
            continue;
        }
        apr_array_push(lk->mx);
        hosts = (const char **)lk->mx->elts;
        for (at = lk->mx->nelts - 1;
             at > 0 && prefs[at - 1] > m->priority; at--) {
            hosts[at] = hosts[at - 1];
            prefs[at] = prefs[at - 1];
        }
        hosts[at] = apr_pstrdup(lk->pool, m->host);
        prefs[at] = m->priority;
    }
    ares_free_data(mx);
    if (lk->mx->nelts > 0) {
        finish(lk, WR_RESOLVE_OK,
               apr_psprintf(lk->pool, "%s confirmed, %s has %d MX",
                            lk->result.name, lk->result.domain,
                            lk->mx->nelts));
        return;
    }
    finish(lk, WR_RESOLVE_NO_MAIL,
           nulls ? apr_psprintf(lk->pool, "%s publishes a null MX "
                                "(RFC 7505)", lk->result.domain)
                 : apr_psprintf(lk->pool, "no usable MX host for %s",
                                lk->result.domain));
}

/* implicit_done - A, then AAAA, of a domain without MX (RFC 5321 5.1) */
static void implicit_done(void *arg, int status, int timeouts,
                          unsigned char *abuf, int alen)
{
    wr_lookup_t *lk = arg;
    int n = WR_RESOLVE_MAX_ADDRS;
    int aaaa = lk->implicit_aaaa;

    (void)timeouts;
    if (lk->res->destroying) {
        return;
    }
    if (status == ARES_SUCCESS) {
        if (!aaaa) {
            struct ares_addrttl a[WR_RESOLVE_MAX_ADDRS];
            status = ares_parse_a_reply(abuf, alen, NULL, a, &n);
        }
        else {
            struct ares_addr6ttl a[WR_RESOLVE_MAX_ADDRS];
            status = ares_parse_aaaa_reply(abuf, alen, NULL, a, &n);
        }
        if (status == ARES_SUCCESS && n == 0) {
            status = ARES_ENODATA;
        }
    }
    if (status == ARES_SUCCESS) {
        *(const char **)apr_array_push(lk->mx) = lk->result.domain;
        lk->result.implicit_mx = 1;
        finish(lk, WR_RESOLVE_OK,
               apr_psprintf(lk->pool, "%s confirmed, %s has no MX but "
                            "an %s (implicit MX)", lk->result.name,
                            lk->result.domain, aaaa ? "AAAA" : "A"));
        return;
    }
    if (is_tempfail(status)) {
        finish(lk, WR_RESOLVE_TEMPFAIL,
               apr_psprintf(lk->pool, "%s lookup for %s: %s",
                            aaaa ? "AAAA" : "A", lk->result.domain,
                            ares_strerror(status)));
        return;
    }
    if (!aaaa) {
        lk->implicit_aaaa = 1;
        query(lk, lk->result.domain, T_AAAA, implicit_done);
        return;
    }
    finish(lk, WR_RESOLVE_NO_MAIL,
           apr_psprintf(lk->pool, "%s has neither MX nor A/AAAA",
                        lk->result.domain));
}

/* reversed - the address's labels, least significant first, without
 * the in-addr.arpa / ip6.arpa suffix ("10.2.0.192") */
static const char *reversed(wr_lookup_t *lk)
{
    char rev[80];
    char *p = rev;

    if (lk->family == AF_INET) {
        apr_snprintf(rev, sizeof(rev), "%u.%u.%u.%u", lk->addr[3],
                     lk->addr[2], lk->addr[1], lk->addr[0]);
    }
    else {
        static const char hex[] = "0123456789abcdef";
        int i;
        for (i = 15; i >= 0; i--) {
            *p++ = hex[lk->addr[i] & 0xf];
            *p++ = '.';
            *p++ = hex[lk->addr[i] >> 4];
            *p++ = i ? '.' : '\0';
        }
    }
    return apr_pstrdup(lk->pool, rev);
}

/* start_ptr - the confirmed-reverse-DNS path: the PTR query */
static void start_ptr(wr_lookup_t *lk)
{
    query(lk, apr_pstrcat(lk->pool, reversed(lk),
                          lk->family == AF_INET ? ".in-addr.arpa"
                                                : ".ip6.arpa", NULL),
          T_PTR, ptr_done);
}

/* contact_in - the first plain local@domain address in a TXT text */
static const char *contact_in(apr_pool_t *p, const unsigned char *txt,
                              size_t len)
{
    char *s = apr_pstrmemdup(p, (const char *)txt, len), *tok, *last;

    for (tok = apr_strtok(s, " \t,;<>\"", &last); tok;
         tok = apr_strtok(NULL, " \t,;<>\"", &last)) {
        char *at = strchr(tok, '@');
        const char *c;
        if (at == NULL || at == tok || strchr(at + 1, '@')
            || !wr_resolve_name_is_ldh(at + 1)
            || wr_resolve_name_is_arpa(at + 1) || strlen(tok) > 254) {
            continue;
        }
        for (c = tok; c < at; c++) {
            if (!apr_isalnum(*c) && !strchr("!#$%&'*+-/=?^_`{|}~.", *c)) {
                break;
            }
        }
        if (c == at && tok[0] != '.' && at[-1] != '.') {
            return tok;
        }
    }
    return NULL;
}

/* txt_done - the contact zone's answer: a contact, or the PTR path */
static void txt_done(void *arg, int status, int timeouts,
                     unsigned char *abuf, int alen)
{
    wr_lookup_t *lk = arg;
    struct ares_txt_reply *txt = NULL, *t;
    const char *contact = NULL;

    (void)timeouts;
    if (lk->res->destroying) {
        return;
    }
    if (status == ARES_SUCCESS
        && ares_parse_txt_reply(abuf, alen, &txt) == ARES_SUCCESS) {
        for (t = txt; t && !contact; t = t->next) {
            contact = contact_in(lk->pool, t->txt, t->length);
        }
        ares_free_data(txt);
    }
    if (contact) {
        const char *at = strchr(contact, '@');
        char *dom = apr_pstrdup(lk->pool, at + 1);
        {
            char *q;
            for (q = dom; *q; q++) {
                *q = (char)apr_tolower(*q);
            }
        }
        lk->result.contact = contact;
        lk->result.domain = dom;
        finish(lk, WR_RESOLVE_OK,
               apr_psprintf(lk->pool, "abuse contact %s from %s",
                            contact, lk->res->contact_zone));
        return;
    }
    start_ptr(lk);
}

/* start - the first query of a queued lookup */
static void start(wr_lookup_t *lk)
{
    wr_resolver_t *res = lk->res;

    res->inflight++;
    if (res->inflight > res->stats.max_inflight_seen) {
        res->stats.max_inflight_seen = res->inflight;
    }
    lk->start = apr_time_now();
    if (res->contact_zone) {
        query(lk, apr_pstrcat(lk->pool, reversed(lk), ".", res->contact_zone,
                              NULL), T_TXT, txt_done);
        return;
    }
    start_ptr(lk);
}

/* fill - start queued lookups while there is room */
static void fill(wr_resolver_t *res)
{
    while (res->queue_head && res->inflight < res->max_inflight) {
        wr_lookup_t *lk = res->queue_head;
        res->queue_head = lk->next;
        if (res->queue_head == NULL) {
            res->queue_tail = NULL;
        }
        start(lk);
    }
}

/* deliver - run the callbacks of finished lookups and free them */
static void deliver(wr_resolver_t *res)
{
    while (res->done_head) {
        wr_lookup_t *lk = res->done_head;
        res->done_head = lk->next;
        if (res->done_head == NULL) {
            res->done_tail = NULL;
        }
        res->pending--;
        res->stats.completed++;
        lk->cb(&lk->result, lk->baton);
        apr_pool_destroy(lk->pool);
    }
}

/* resolver_cleanup - cancel everything before the lookups' pools go */
static apr_status_t resolver_cleanup(void *data)
{
    wr_resolver_t *res = data;

    res->destroying = 1;
    if (res->have_channel) {
        ares_destroy(res->channel);
        res->have_channel = 0;
        ares_library_cleanup();
    }
    return APR_SUCCESS;
}

apr_status_t wr_resolver_create(wr_resolver_t **pres, apr_pool_t *pool,
                                const char *servers, int timeout_ms,
                                int tries, const psl_ctx_t *psl)
{
    wr_resolver_t *res;
    struct ares_options opts;
    int rc;

    *pres = NULL;
    if (timeout_ms <= 0 || tries <= 0) {
        return APR_EINVAL;
    }
    if (psl == NULL && (psl = psl_builtin()) == NULL) {
        return APR_ENOTIMPL;
    }
    res = apr_pcalloc(pool, sizeof(*res));
    res->pool = pool;
    res->psl = psl;
    res->max_inflight = WR_RESOLVE_MAX_INFLIGHT;
    res->socks = apr_array_make(pool, 4, sizeof(wr_sock_t));
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
        return APR_EGENERAL;
    }
    memset(&opts, 0, sizeof(opts));
    opts.timeout = timeout_ms;
    opts.tries = tries;
    opts.sock_state_cb = sock_state;
    opts.sock_state_cb_data = res;
    opts.lookups = (char *)"b";
    rc = ares_init_options(&res->channel, &opts,
                           ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES
                           | ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS);
    if (rc != ARES_SUCCESS) {
        ares_library_cleanup();
        return rc == ARES_ENOMEM ? APR_ENOMEM : APR_EGENERAL;
    }
    res->have_channel = 1;
    /* before any lookup pool exists, so it runs before they are freed */
    apr_pool_pre_cleanup_register(pool, res, resolver_cleanup);
    if (servers != NULL
        && (servers[0] == '\0'
            || ares_set_servers_ports_csv(res->channel, servers)
               != ARES_SUCCESS)) {
        return APR_EINVAL;
    }
    *pres = res;
    return APR_SUCCESS;
}

void wr_resolver_set_contact_zone(wr_resolver_t *res, const char *zone)
{
    res->contact_zone = zone && *zone ? apr_pstrdup(res->pool, zone) : NULL;
}

void wr_resolver_set_max_inflight(wr_resolver_t *res, int max_inflight)
{
    res->max_inflight = max_inflight > 0 ? max_inflight : 1;
}

apr_status_t wr_resolver_submit(wr_resolver_t *res, const char *ip,
                                wr_resolve_cb *cb, void *baton)
{
    unsigned char buf[16];
    char text[INET6_ADDRSTRLEN];
    wr_lookup_t *lk;
    apr_pool_t *pool;
    apr_status_t rv;
    int family;

    if (ip == NULL || cb == NULL || res->destroying) {
        return APR_EINVAL;
    }
    if (inet_pton(AF_INET, ip, buf) == 1) {
        family = AF_INET;
    }
    else if (inet_pton(AF_INET6, ip, buf) == 1) {
        family = AF_INET6;
        if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)buf)) {
            memmove(buf, buf + 12, 4);
            family = AF_INET;
        }
    }
    else {
        return APR_EINVAL;
    }
    if ((rv = apr_pool_create(&pool, res->pool)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_tag(pool, "wr_lookup");
    lk = apr_pcalloc(pool, sizeof(*lk));
    lk->res = res;
    lk->pool = pool;
    lk->cb = cb;
    lk->baton = baton;
    lk->family = family;
    memcpy(lk->addr, buf, family == AF_INET ? 4 : 16);
    inet_ntop(family, buf, text, sizeof(text));
    lk->addr_text = apr_pstrdup(pool, text);
    lk->mx = apr_array_make(pool, 2, sizeof(const char *));
    lk->result.ip = apr_pstrdup(pool, ip);
    res->pending++;
    res->stats.submitted++;
    if (res->queue_tail) {
        res->queue_tail->next = lk;
    }
    else {
        res->queue_head = lk;
    }
    res->queue_tail = lk;
    fill(res);
    return APR_SUCCESS;
}

/* wait_sockets - poll the c-ares sockets for at most `wait` and let c-ares
 * process what is ready and what has timed out */
static void wait_sockets(wr_resolver_t *res, apr_interval_time_t wait)
{
    wr_sock_t *socks = (wr_sock_t *)res->socks->elts;
    struct timeval tv, maxtv, *tvp;
    int i, n = res->socks->nelts, ready, ms;

    maxtv.tv_sec = (long)apr_time_sec(wait);
    maxtv.tv_usec = (long)apr_time_usec(wait);
    tvp = ares_timeout(res->channel, &maxtv, &tv);
    ms = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
    if (n > res->npfds_alloc) {
        res->npfds_alloc = n * 2;
        res->pfds = apr_palloc(res->pool,
                               sizeof(struct pollfd) * res->npfds_alloc);
    }
    for (i = 0; i < n; i++) {
        res->pfds[i].fd = socks[i].fd;
        res->pfds[i].events = (short)((socks[i].readable ? POLLIN : 0)
                                      | (socks[i].writable ? POLLOUT : 0));
        res->pfds[i].revents = 0;
    }
    ready = poll(res->pfds, (nfds_t)n, ms);
    if (ready <= 0) {
        /* timeouts (or EINTR): c-ares retries or fails what is due */
        ares_process_fd(res->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        return;
    }
    for (i = 0; i < n; i++) {
        short ev = res->pfds[i].revents;
        if (ev == 0) {
            continue;
        }
        ares_process_fd(res->channel,
                        (ev & (POLLIN | POLLERR | POLLHUP | POLLNVAL))
                            ? res->pfds[i].fd : ARES_SOCKET_BAD,
                        (ev & POLLOUT) ? res->pfds[i].fd : ARES_SOCKET_BAD);
    }
}

int wr_resolver_run(wr_resolver_t *res, apr_interval_time_t max_wait)
{
    apr_time_t deadline = apr_time_now() + (max_wait > 0 ? max_wait : 0);

    if (res->destroying) {
        return res->pending;
    }
    for (;;) {
        apr_interval_time_t left;

        deliver(res);
        fill(res);
        if (res->pending == 0) {
            return 0;
        }
        if (res->done_head) {
            continue;
        }
        left = max_wait < 0 ? apr_time_from_sec(60)
                            : deadline - apr_time_now();
        if (left < 0) {
            left = 0;
        }
        wait_sockets(res, left);
        if (res->done_head) {
            continue;
        }
        if (max_wait >= 0 && apr_time_now() >= deadline) {
            return res->pending;
        }
    }
}

int wr_resolver_pending(const wr_resolver_t *res)
{
    return res->pending;
}

void wr_resolver_stats(const wr_resolver_t *res, wr_resolver_stats_t *st)
{
    *st = res->stats;
    st->inflight = res->inflight;
}

/* ---- special-purpose address prefixes ---- */

typedef struct {
    const char *cidr;
    apr_ipsubnet_t *subnet;
} wr_prefix_t;

struct wr_ipset_t {
    apr_pool_t *pool;
    apr_array_header_t *prefixes;       /* wr_prefix_t */
};

/* The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890
 * and its updates), in full as of 2025, and multicast. Where prefixes
 * nest, the more specific comes first so that it is the one reported.
 * ::ffff:0:0/96 is absent on purpose: APR tests an IPv4-mapped address
 * against the IPv4 prefixes, so ::ffff:10.0.0.1 is special (10.0.0.0/8)
 * and ::ffff:8.8.8.8 is not. Some of these are globally reachable (AS112,
 * AMT, 6to4, NAT64, SRv6 SIDs): none is an address an abuse desk can be
 * found for by reverse DNS; WormReplyNotifyAllow lifts any of them. */
static const char *const special_prefixes[] = {
    /* IPv4 */
    "0.0.0.0/32",           /* "this host on this network" (RFC 1122) */
    "0.0.0.0/8",            /* "this network" */
    "10.0.0.0/8",           /* private use (RFC 1918) */
    "100.64.0.0/10",        /* shared address space (RFC 6598) */
    "127.0.0.0/8",          /* loopback */
    "169.254.0.0/16",       /* link local (RFC 3927) */
    "172.16.0.0/12",        /* private use */
    "192.0.0.0/29",         /* IPv4 service continuity (RFC 7335) */
    "192.0.0.8/32",         /* IPv4 dummy address (RFC 7600) */
    "192.0.0.9/32",         /* PCP anycast (RFC 7723) */
    "192.0.0.10/32",        /* TURN anycast (RFC 8155) */
    "192.0.0.170/32",       /* NAT64/DNS64 discovery (RFC 7050) */
    "192.0.0.171/32",
    "192.0.0.0/24",         /* IETF protocol assignments (RFC 6890) */
    "192.0.2.0/24",         /* documentation TEST-NET-1 (RFC 5737) */
    "192.31.196.0/24",      /* AS112-v4 (RFC 7535) */
    "192.52.193.0/24",      /* AMT (RFC 7450) */
    "192.88.99.2/32",       /* 6a44 relay anycast (RFC 6751) */
    "192.88.99.0/24",       /* deprecated 6to4 relay anycast (RFC 7526) */
    "192.168.0.0/16",       /* private use */
    "192.175.48.0/24",      /* AS112 direct delegation (RFC 7534) */
    "198.18.0.0/15",        /* benchmarking (RFC 2544) */
    "198.51.100.0/24",      /* documentation TEST-NET-2 */
    "203.0.113.0/24",       /* documentation TEST-NET-3 */
    "224.0.0.0/4",          /* multicast (not in the registry) */
    "255.255.255.255/32",   /* limited broadcast */
    "240.0.0.0/4",          /* reserved (RFC 1112) */
    /* IPv6 */
    "::/128",               /* unspecified */
    "::1/128",              /* loopback */
    "64:ff9b::/96",         /* IPv4-IPv6 translation (RFC 6052) */
    "64:ff9b:1::/48",       /* local-use IPv4/IPv6 translation (RFC 8215) */
    "100::/64",             /* discard-only (RFC 6666) */
    "100:0:0:1::/64",       /* dummy IPv6 prefix (RFC 9780) */
    "2001::/32",            /* TEREDO (RFC 4380) */
    "2001:1::1/128",        /* PCP anycast (RFC 7723) */
    "2001:1::2/128",        /* TURN anycast (RFC 8155) */
    "2001:1::3/128",        /* DNS-SD service registration (RFC 9665) */
    "2001:2::/48",          /* benchmarking (RFC 5180) */
    "2001:3::/32",          /* AMT (RFC 7450) */
    "2001:4:112::/48",      /* AS112-v6 (RFC 7535) */
    "2001:10::/28",         /* deprecated ORCHID (RFC 4843) */
    "2001:20::/28",         /* ORCHIDv2 (RFC 7343) */
    "2001:30::/28",         /* drone remote ID (RFC 9374) */
    "2001::/23",            /* IETF protocol assignments (RFC 2928) */
    "2001:db8::/32",        /* documentation (RFC 3849) */
    "2002::/16",            /* 6to4 (RFC 3056) */
    "2620:4f:8000::/48",    /* AS112 direct delegation (RFC 7534) */
    "3fff::/20",            /* documentation (RFC 9637) */
    "5f00::/16",            /* SRv6 SIDs (RFC 9602) */
    "fc00::/7",             /* unique local (RFC 4193) */
    "fe80::/10",            /* link-local unicast (RFC 4291) */
    "ff00::/8",             /* multicast (not in the registry) */
    NULL
};

apr_status_t wr_ipset_create(wr_ipset_t **pset, apr_pool_t *pool)
{
    wr_ipset_t *set = apr_pcalloc(pool, sizeof(*set));

    set->pool = pool;
    set->prefixes = apr_array_make(pool, 8, sizeof(wr_prefix_t));
    *pset = set;
    return APR_SUCCESS;
}

apr_status_t wr_ipset_add(wr_ipset_t *set, const char *cidr)
{
    char *addr, *bits;
    apr_ipsubnet_t *subnet;
    wr_prefix_t *p;
    unsigned char buf[16];
    apr_status_t rv;

    if (cidr == NULL) {
        return APR_EINVAL;
    }
    addr = apr_pstrdup(set->pool, cidr);
    bits = strchr(addr, '/');
    if (bits) {
        *bits++ = '\0';
        if (*bits == '\0' || strspn(bits, "0123456789") != strlen(bits)) {
            return APR_EINVAL;
        }
    }
    /* apr_ipsubnet_create also takes "192.168" (a partial address) and
     * host names; a configured prefix must be a whole numeric address */
    if (inet_pton(AF_INET, addr, buf) != 1
        && inet_pton(AF_INET6, addr, buf) != 1) {
        return APR_EINVAL;
    }
    rv = apr_ipsubnet_create(&subnet, addr, bits, set->pool);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    p = apr_array_push(set->prefixes);
    p->cidr = apr_pstrdup(set->pool, cidr);
    p->subnet = subnet;
    return APR_SUCCESS;
}

apr_status_t wr_ipset_add_special(wr_ipset_t *set)
{
    int i;

    for (i = 0; special_prefixes[i]; i++) {
        apr_status_t rv = wr_ipset_add(set, special_prefixes[i]);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

const char *wr_ipset_match(const wr_ipset_t *set, const char *ip,
                           apr_pool_t *scratch)
{
    const wr_prefix_t *p = (const wr_prefix_t *)set->prefixes->elts;
    apr_sockaddr_t *sa;
    unsigned char buf[16];
    int i, family;

    /* numeric only: apr_sockaddr_info_get would look a name up in DNS */
    if (ip == NULL) {
        return NULL;
    }
    if (inet_pton(AF_INET, ip, buf) == 1) {
        family = APR_INET;
    }
    else if (inet_pton(AF_INET6, ip, buf) == 1) {
        family = APR_INET6;
    }
    else {
        return NULL;
    }
    if (apr_sockaddr_info_get(&sa, ip, family, 0, 0, scratch)
        != APR_SUCCESS) {
        return NULL;
    }
    for (i = 0; i < set->prefixes->nelts; i++) {
        if (apr_ipsubnet_test(p[i].subnet, sa)) {
            return p[i].cidr;
        }
    }
    return NULL;
}

const char *wr_ip_is_special(const char *ip, apr_pool_t *scratch)
{
    apr_pool_t *pool;
    wr_ipset_t *set;
    const char *match = "invalid";
    unsigned char buf[16];

    if (ip == NULL || (inet_pton(AF_INET, ip, buf) != 1
                       && inet_pton(AF_INET6, ip, buf) != 1)) {
        return match;
    }
    if (apr_pool_create(&pool, scratch) != APR_SUCCESS) {
        return match;
    }
    if (wr_ipset_create(&set, pool) == APR_SUCCESS
        && wr_ipset_add_special(set) == APR_SUCCESS) {
        /* the prefix strings are static: they outlive the subpool */
        int i;
        const char *m = wr_ipset_match(set, ip, pool);
        match = NULL;
        for (i = 0; m && special_prefixes[i]; i++) {
            if (strcmp(m, special_prefixes[i]) == 0) {
                match = special_prefixes[i];
            }
        }
    }
    apr_pool_destroy(pool);
    return match;
}
