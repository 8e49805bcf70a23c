/* test_resolve.c - wr_resolve against the real unbound of t/rig/dns.sh
 *
 * The suite runner starts the server; by hand: sh t/rig/dns.sh start.
 * Port: $WR_DNS_PORT (default 15353), always on 127.0.0.1. The zones are in
 * t/rig/dns/; each case below names the record it relies on.
 */
#include <stdlib.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "test-lib.h"
#include "wr_resolve.h"

#define MS(n) ((apr_interval_time_t)(n) * 1000)
#define TIMEOUT_MS 250
#define TRIES 2

static const char *servers;
static apr_pool_t *root;

/* What one callback saw, copied out of the short-lived result. */
typedef struct {
    int calls;
    wr_resolve_status_t status;
    char *name, *domain, *reason, *mx[4];
    int nmx, implicit_mx;
} seen_t;

/* record - callback: copy the result into the seen_t baton */
static void record(const wr_resolve_result_t *r, void *baton)
{
    seen_t *s = baton;
    const char **mx = (const char **)r->mx->elts;
    int i;

    s->calls++;
    s->status = r->status;
    s->name = r->name ? apr_pstrdup(root, r->name) : NULL;
    s->domain = r->domain ? apr_pstrdup(root, r->domain) : NULL;
    s->reason = apr_pstrdup(root, r->reason ? r->reason : "(null)");
    s->nmx = r->mx->nelts;
    s->implicit_mx = r->implicit_mx;
    for (i = 0; i < r->mx->nelts && i < 4; i++) {
        s->mx[i] = apr_pstrdup(root, mx[i]);
    }
}

typedef struct {
    const char *ip;
    wr_resolve_status_t status;
    const char *name;       /* NULL: must be NULL */
    const char *domain;     /* NULL: must be NULL */
    const char *mx0;        /* first mail host, NULL: none */
    int nmx;
    const char *what;
} rcase_t;

#define LONG63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static rcase_t cases[] = {
    { "192.0.2.10", WR_RESOLVE_OK, "host10.wormreply.test",
      "wormreply.test", "mx.wormreply.test", 1, "good IPv4" },
    { "2001:db8::10", WR_RESOLVE_OK, "host6.wormreply.test",
      "wormreply.test", "mx.wormreply.test", 1, "good IPv6" },
    { "::ffff:192.0.2.10", WR_RESOLVE_OK, "host10.wormreply.test",
      "wormreply.test", "mx.wormreply.test", 1, "IPv4-mapped IPv6" },
    { "198.51.100.20", WR_RESOLVE_OK, "host20.corp.example",
      "corp.example", "mx1.corp.example", 2, "two MX, by preference" },
    { "192.0.2.11", WR_RESOLVE_NOT_CONFIRMED, NULL, NULL, NULL, 0,
      "liar: A is 192.0.2.99" },
    { "2001:db8::11", WR_RESOLVE_NOT_CONFIRMED, NULL, NULL, NULL, 0,
      "IPv6 liar: AAAA is 2001:db8::99" },
    { "2001:db8::12", WR_RESOLVE_NOT_CONFIRMED, NULL, NULL, NULL, 0,
      "IPv6 source, name with an A only" },
    { "192.0.2.12", WR_RESOLVE_BAD_NAME, NULL, NULL, NULL, 0,
      "CR/LF and space in the PTR" },
    { "192.0.2.13", WR_RESOLVE_OK,
      "host13." LONG63 "." LONG63 "." LONG63 ".test",
      LONG63 ".test", "mx.wormreply.test", 1, "63-octet labels" },
    { "192.0.2.14", WR_RESOLVE_NOT_CONFIRMED, NULL, NULL, NULL, 0,
      "forward CNAME loop" },
    { "192.0.2.16", WR_RESOLVE_TEMPFAIL, NULL, NULL, NULL, 0,
      "forward lookup times out" },
    { "192.0.2.17", WR_RESOLVE_NOT_CONFIRMED, NULL, NULL, NULL, 0,
      "two PTRs, neither confirms" },
    { "192.0.2.18", WR_RESOLVE_NO_NAME, NULL, NULL, NULL, 0,
      "reverse CNAME loop" },
    { "192.0.2.19", WR_RESOLVE_OK, "host19.wormreply.test",
      "wormreply.test", "mx.wormreply.test", 1,
      "two PTRs, the second confirms" },
    { "192.0.2.20", WR_RESOLVE_OK, "host20.nomx.test", "nomx.test",
      "nomx.test", 1, "no MX, A fallback" },
    { "192.0.2.21", WR_RESOLVE_NO_MAIL, "host21.nomail.test",
      "nomail.test", NULL, 0, "neither MX nor A" },
    { "192.0.2.22", WR_RESOLVE_NO_MAIL, "host22.nullmx.test",
      "nullmx.test", NULL, 0, "null MX despite an A" },
    { "192.0.2.23", WR_RESOLVE_BAD_NAME, NULL, NULL, NULL, 0,
      "underscore in the PTR (its A matches)" },
    { "192.0.2.24", WR_RESOLVE_BAD_NAME, NULL, NULL, NULL, 0,
      "space in the PTR" },
    { "192.0.2.25", WR_RESOLVE_BAD_NAME, NULL, NULL, NULL, 0,
      "escaped dot in a PTR label" },
    { "192.0.2.26", WR_RESOLVE_BAD_NAME, NULL, NULL, NULL, 0,
      "PTR label starting with '-' (its A matches)" },
    { "192.0.2.27", WR_RESOLVE_BAD_NAME, NULL, NULL, NULL, 0,
      "single-label PTR" },
    { "192.0.2.28", WR_RESOLVE_BAD_NAME, NULL, NULL, NULL, 0,
      "PTR that is an IP address" },
    { "192.0.2.29", WR_RESOLVE_TEMPFAIL, "host29.slowmx.test",
      "slowmx.test", NULL, 0, "MX lookup times out" },
    { "192.0.2.30", WR_RESOLVE_OK, "host30.dsl.wr--test.co.uk",
      "wr--test.co.uk", "mx.wr--test.co.uk", 1,
      "registrable domain under co.uk" },
    { "192.0.2.31", WR_RESOLVE_OK, "host31.wormreply.test",
      "wormreply.test", "mx.wormreply.test", 1, "CNAME in the reverse zone" },
    { "192.0.2.33", WR_RESOLVE_OK, "host33.wormreply.test",
      "wormreply.test", "mx.wormreply.test", 1, "forward CNAME" },
    { "192.0.2.34", WR_RESOLVE_NOT_CONFIRMED, NULL, NULL, NULL, 0,
      "PTR name does not exist" },
    { "192.0.2.36", WR_RESOLVE_OK, "Host36.WormReply.TEST",
      "wormreply.test", "mx.wormreply.test", 1, "mixed case" },
    { "192.0.2.37", WR_RESOLVE_OK, "host37.v6only.test", "v6only.test",
      "v6only.test", 1, "no MX, AAAA fallback" },
    { "192.0.2.38", WR_RESOLVE_NO_DOMAIN, "ptr38.ck", NULL, NULL, 0,
      "confirmed name is a public suffix" },
    { "192.0.2.43", WR_RESOLVE_BAD_NAME, NULL, NULL, NULL, 0,
      "PTR under .arpa whose A confirms" },
    { "192.0.2.44", WR_RESOLVE_OK, "192-0-2-44.nip.io", "nip.io",
      "mx.wormreply.test", 1, "wildcard-IP service name (the notifier "
      "refuses its domain)" },
    { "3fff::1", WR_RESOLVE_OK, "host3fff.wormreply.test", "wormreply.test",
      "mx.wormreply.test", 1, "RFC 9637 documentation prefix (only the "
      "notifier's special-purpose veto stops it)" },
    { "192.0.2.99", WR_RESOLVE_NO_NAME, NULL, NULL, NULL, 0, "NXDOMAIN" },
    { "203.0.113.5", WR_RESOLVE_TEMPFAIL, NULL, NULL, NULL, 0,
      "PTR lookup times out" },
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))
static seen_t case_seen[NCASES];

/* new_resolver - a resolver on the rig's server in `pool` */
static wr_resolver_t *new_resolver(apr_pool_t *pool, const char *srv)
{
    wr_resolver_t *res = NULL;
    apr_status_t rv = wr_resolver_create(&res, pool, srv, TIMEOUT_MS, TRIES,
                                         NULL);
    check_int(rv, APR_SUCCESS, "resolver created for %s", srv);
    return res;
}

/* server_answers - the rig is up: 192.0.2.10 resolves */
static int server_answers(apr_pool_t *pool)
{
    wr_resolver_t *res = new_resolver(pool, servers);
    seen_t s = { 0 };

    if (res == NULL) {
        return 0;
    }
    wr_resolver_submit(res, "192.0.2.10", record, &s);
    wr_resolver_run(res, apr_time_from_sec(5));
    if (!check(s.calls == 1 && s.status == WR_RESOLVE_OK,
               "the test DNS server answers on %s", servers)) {
        printf("# got %s: %s\n", wr_resolve_status_name(s.status),
               s.reason ? s.reason : "no callback");
        printf("# start it with: sh t/rig/dns.sh start\n");
        return 0;
    }
    return 1;
}

/* test_cases - every zone case at once: 20+ lookups in flight together */
static void test_cases(apr_pool_t *pool)
{
    wr_resolver_t *res = new_resolver(pool, servers);
    wr_resolver_stats_t st;
    apr_time_t t0;
    int i, left;

    for (i = 0; i < NCASES; i++) {
        check_int(wr_resolver_submit(res, cases[i].ip, record,
                                     &case_seen[i]),
                  APR_SUCCESS, "submit %s", cases[i].ip);
    }
    wr_resolver_stats(res, &st);
    check_int(st.inflight, NCASES, "all %d lookups in flight at once",
              NCASES);
    check_int(wr_resolver_pending(res), NCASES, "all pending");
    for (i = 0; i < NCASES; i++) {
        check_int(case_seen[i].calls, 0,
                  "no callback before run (%s)", cases[i].ip);
    }
    t0 = apr_time_now();
    left = wr_resolver_run(res, apr_time_from_sec(10));
    check_int(left, 0, "every lookup finished in one run");
    printf("# %d lookups (3 time out at %d ms x %d tries) took %.2f s\n",
           NCASES, TIMEOUT_MS, TRIES, (apr_time_now() - t0) / 1e6);
    for (i = 0; i < NCASES; i++) {
        rcase_t *c = &cases[i];
        seen_t *s = &case_seen[i];

        check_int(s->calls, 1, "%s (%s): one callback", c->ip, c->what);
        if (s->calls != 1) {
            continue;
        }
        if (!check_str(wr_resolve_status_name(s->status),
                       wr_resolve_status_name(c->status),
                       "%s (%s): status", c->ip, c->what)) {
            printf("#   reason: %s\n", s->reason);
        }
        check_str(s->name, c->name, "%s: confirmed name", c->ip);
        check_str(s->domain, c->domain, "%s: domain", c->ip);
        check_int(s->nmx, c->nmx, "%s: mail hosts", c->ip);
        check_str(s->nmx ? s->mx[0] : NULL, c->mx0, "%s: first mail host",
                  c->ip);
        check(s->reason && s->reason[0], "%s: reason '%s'", c->ip,
              s->reason ? s->reason : "");
    }
    /* the cases that need more than the status */
    check_str(case_seen[3].nmx > 1 ? case_seen[3].mx[1] : NULL,
              "mx2.corp.example", "second MX host by preference");
    for (i = 0; i < NCASES; i++) {
        int want = cases[i].status == WR_RESOLVE_OK
                   && cases[i].mx0 && cases[i].domain
                   && !strcmp(cases[i].mx0, cases[i].domain);
        check_int(case_seen[i].implicit_mx, want, "%s: implicit_mx %d",
                  cases[i].ip, want);
    }
    wr_resolver_stats(res, &st);
    check_int(st.completed, NCASES + 0UL, "stats: completed");
    check_int(st.inflight, 0, "stats: nothing in flight");
    check(st.queries >= (unsigned long)NCASES * 2, "stats: %lu queries",
          st.queries);
}

/* test_queue - a small in-flight limit queues the rest in order */
static void test_queue(apr_pool_t *pool)
{
    wr_resolver_t *res = new_resolver(pool, servers);
    wr_resolver_stats_t st;
    seen_t s[20];
    int i, ok = 0;

    memset(s, 0, sizeof(s));
    wr_resolver_set_max_inflight(res, 4);
    for (i = 0; i < 20; i++) {
        wr_resolver_submit(res, i % 2 ? "192.0.2.10" : "2001:db8::10",
                           record, &s[i]);
    }
    wr_resolver_stats(res, &st);
    check_int(st.inflight, 4, "limit 4: 4 started");
    check_int(wr_resolver_pending(res), 20, "limit 4: 20 pending");
    check_int(wr_resolver_run(res, apr_time_from_sec(10)), 0,
              "limit 4: all done");
    for (i = 0; i < 20; i++) {
        ok += s[i].calls == 1 && s[i].status == WR_RESOLVE_OK;
    }
    check_int(ok, 20, "limit 4: 20 confirmed");
    wr_resolver_stats(res, &st);
    check_int(st.max_inflight_seen, 4, "limit 4: never more than 4");
}

/* chain - callback that submits a follow-up lookup from inside run() */
static seen_t chained;
static void chain(const wr_resolve_result_t *r, void *baton)
{
    wr_resolver_t *res = baton;

    check_str(wr_resolve_status_name(r->status), "ok", "first lookup ok");
    check_int(wr_resolver_submit(res, "198.51.100.20", record, &chained),
              APR_SUCCESS, "submit from a callback");
}

/* test_run_limits - max_wait, a callback submitting, bad input */
static void test_run_limits(apr_pool_t *pool)
{
    wr_resolver_t *res = new_resolver(pool, servers);
    seen_t s = { 0 };
    apr_time_t t0;
    int left;

    check_int(wr_resolver_submit(res, "not-an-ip", record, &s), APR_EINVAL,
              "a host name is not an address");
    check_int(wr_resolver_submit(res, "192.0.2.1/24", record, &s),
              APR_EINVAL, "a prefix is not an address");
    check_int(wr_resolver_pending(res), 0, "refused submissions not pending");
    check_int(wr_resolver_run(res, 0), 0, "run with nothing pending");

    wr_resolver_submit(res, "203.0.113.9", record, &s);
    t0 = apr_time_now();
    left = wr_resolver_run(res, MS(50));
    check_int(left, 1, "max_wait 50 ms: the slow lookup still pending");
    check(apr_time_now() - t0 < MS(500), "max_wait honoured (%lld us)",
          (long long)(apr_time_now() - t0));
    check_int(s.calls, 0, "no callback yet");
    check_int(wr_resolver_run(res, -1), 0, "run until done");
    check_int(s.calls, 1, "slow lookup called back once");
    check_str(wr_resolve_status_name(s.status), "tempfail",
              "slow lookup is a temporary failure");

    wr_resolver_submit(res, "192.0.2.10", chain, res);
    check_int(wr_resolver_run(res, apr_time_from_sec(5)), 0,
              "chained lookups done");
    check_int(chained.calls, 1, "chained lookup called back");
    check_str(chained.domain, "corp.example", "chained lookup result");
}

/* test_destroy - destroying the pool cancels pending lookups silently */
static void test_destroy(apr_pool_t *pool)
{
    apr_pool_t *sub;
    wr_resolver_t *res;
    seen_t s[3];
    int i;

    memset(s, 0, sizeof(s));
    apr_pool_create(&sub, pool);
    res = new_resolver(sub, servers);
    wr_resolver_set_max_inflight(res, 2);
    wr_resolver_submit(res, "203.0.113.10", record, &s[0]);
    wr_resolver_submit(res, "192.0.2.10", record, &s[1]);
    wr_resolver_submit(res, "192.0.2.11", record, &s[2]);
    /* two queries are out on the wire, one lookup is queued */
    apr_pool_destroy(sub);
    for (i = 0; i < 3; i++) {
        check_int(s[i].calls, 0, "destroyed: no callback for lookup %d", i);
    }
}

/* test_no_server - a closed port on loopback: temporary failure */
static void test_no_server(apr_pool_t *pool)
{
    wr_resolver_t *res = new_resolver(pool, "127.0.0.1:9");
    wr_resolver_t *bad = NULL;
    seen_t s = { 0 };

    wr_resolver_submit(res, "192.0.2.10", record, &s);
    check_int(wr_resolver_run(res, apr_time_from_sec(5)), 0,
              "closed port: done");
    check_str(wr_resolve_status_name(s.status), "tempfail",
              "closed port: tempfail (%s)", s.reason ? s.reason : "");
    check_int(wr_resolver_create(&bad, pool, "127.0.0.1:x", 100, 1, NULL),
              APR_EINVAL, "bad server list refused");
    check_int(wr_resolver_create(&bad, pool, "", 100, 1, NULL),
              APR_EINVAL, "empty server list refused");
    check_int(wr_resolver_create(&bad, pool, NULL, 0, 1, NULL),
              APR_EINVAL, "zero timeout refused");
    check(bad == NULL, "no resolver from a refused create");
}

/* test_rate - confirmed names per second for 512 good IPv6 hosts
 * (2001:db8:b::1..200 <-> host-N.bulk.test, generated by t/rig/dns.sh) */
static void test_rate(apr_pool_t *pool)
{
    enum { N = 512 };
    wr_resolver_t *res = new_resolver(pool, servers);
    seen_t *s = apr_pcalloc(pool, sizeof(seen_t) * N);
    apr_time_t t0, dt;
    int i, ok = 0, right = 0;

    t0 = apr_time_now();
    for (i = 0; i < N; i++) {
        wr_resolver_submit(res, apr_psprintf(pool, "2001:db8:b::%x", i + 1),
                           record, &s[i]);
    }
    check_int(wr_resolver_run(res, apr_time_from_sec(10)), 0,
              "rate: %d lookups done", N);
    dt = apr_time_now() - t0;
    for (i = 0; i < N; i++) {
        ok += s[i].calls == 1 && s[i].status == WR_RESOLVE_OK;
        right += s[i].name
                 && !strcmp(s[i].name, apr_psprintf(pool, "host-%d.bulk.test",
                                                     i + 1))
                 && s[i].domain && !strcmp(s[i].domain, "bulk.test");
    }
    check_int(ok, N, "rate: all %d confirmed", N);
    check_int(right, N, "rate: each got its own name and domain");
    printf("# resolver rate: %d confirmed names in %.3f s = %.0f/s "
           "(3 queries each, %d in flight, 127.0.0.1 unbound)\n",
           ok, dt / 1e6, dt > 0 ? ok / (dt / 1e6) : 0.0,
           WR_RESOLVE_MAX_INFLIGHT);
}

/* test_ldh - the host-name rule on its own */
static void test_ldh(void)
{
    static const char *good[] = {
        "a.b", "host10.wormreply.test", "host10.wormreply.test.",
        "x-1.example", "1host.example", "a.b2c", "xn--bcher-kva.example",
        LONG63 ".test", NULL
    };
    static const char *bad[] = {
        "", ".", "localhost", "localhost.", "a..b", ".a.b", "a.b..",
        "-a.b", "a-.b", "a.-b", "a_b.example", "a b.example", "a\r\nb.test",
        "a\\.b.test", "192.0.2.1", "host.123", "a.b/c", "h\xc3\xa9.example",
        LONG63 "a.test", NULL
    };
    char longname[300];
    int i;

    for (i = 0; good[i]; i++) {
        check(wr_resolve_name_is_ldh(good[i]), "LDH: '%s' accepted",
              good[i]);
    }
    for (i = 0; bad[i]; i++) {
        check(!wr_resolve_name_is_ldh(bad[i]), "LDH: bad name %d refused",
              i);
    }
    check(!wr_resolve_name_is_ldh(NULL), "LDH: NULL refused");
    /* 253 octets is the longest name DNS can carry; 254 is too long */
    memset(longname, 'a', sizeof(longname));
    for (i = 63; i < 253; i += 64) {
        longname[i] = '.';
    }
    longname[251] = '.';
    longname[253] = '\0';
    check(wr_resolve_name_is_ldh(longname), "LDH: 253 octets accepted");
    memcpy(longname + 253, "a", 2);
    check(!wr_resolve_name_is_ldh(longname), "LDH: 254 octets refused");

    /* names under .arpa are LDH, and refused all the same */
    check(wr_resolve_name_is_arpa("host43.2.0.192.in-addr.arpa"),
          "arpa: in-addr.arpa name");
    check(wr_resolve_name_is_arpa("X.IP6.ARPA."), "arpa: any case, dot");
    check(wr_resolve_name_is_arpa("arpa"), "arpa: arpa itself");
    check(!wr_resolve_name_is_arpa("host.notarpa"), "arpa: notarpa is not");
    check(!wr_resolve_name_is_arpa("arpa.example"), "arpa: arpa.example is "
          "not");
    check(!wr_resolve_name_is_arpa(NULL), "arpa: NULL is not");
}

/* test_registrable - libpsl, ICANN section, lower-cased */
static void test_registrable(apr_pool_t *pool)
{
    static const struct {
        const char *name, *want;
    } t[] = {
        { "host10.wormreply.test", "wormreply.test" },
        { "Host36.WormReply.TEST.", "wormreply.test" },
        { "host30.dsl.wr--test.co.uk", "wr--test.co.uk" },
        { "WWW.Example.CO.UK", "example.co.uk" },
        { "a.b.example.com", "example.com" },
        { "x.city.kawasaki.jp", "city.kawasaki.jp" },   /* "!" rule */
        { "a.b.kawasaki.jp", "a.b.kawasaki.jp" },       /* "*" rule */
        { "foo.blogspot.com", "blogspot.com" },         /* private: no */
        { "host.dyndns.org", "dyndns.org" },            /* private: no */
        { "co.uk", NULL }, { "test", NULL }, { "ptr38.ck", NULL },
        { "com", NULL },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        check_str(wr_resolve_registrable(pool, psl_builtin(), t[i].name),
                  t[i].want, "registrable domain of %s", t[i].name);
    }
    check_str(wr_resolve_registrable(pool, NULL, "a.example.com"), NULL,
              "no psl, no domain");
}

/* test_special - RFC 6890 prefixes through apr_ipsubnet_t */
static void test_special(apr_pool_t *pool)
{
    static const struct {
        const char *ip, *want;
    } t[] = {
        { "0.1.2.3", "0.0.0.0/8" }, { "10.20.30.40", "10.0.0.0/8" },
        { "100.64.0.1", "100.64.0.0/10" }, { "100.127.255.255",
                                             "100.64.0.0/10" },
        { "100.128.0.1", NULL }, { "127.0.0.1", "127.0.0.0/8" },
        { "169.254.1.1", "169.254.0.0/16" }, { "172.16.0.1",
                                               "172.16.0.0/12" },
        { "172.31.255.255", "172.16.0.0/12" }, { "172.32.0.1", NULL },
        { "192.0.0.8", "192.0.0.8/32" }, { "192.0.0.5", "192.0.0.0/29" },
        { "192.0.0.170", "192.0.0.170/32" }, { "192.0.0.99", "192.0.0.0/24" },
        { "192.0.2.10", "192.0.2.0/24" },
        { "192.31.196.1", "192.31.196.0/24" },
        { "192.52.193.1", "192.52.193.0/24" },
        { "192.175.48.6", "192.175.48.0/24" },
        { "192.88.99.1", "192.88.99.0/24" },
        { "192.88.99.2", "192.88.99.2/32" }, { "0.0.0.0", "0.0.0.0/32" },
        { "192.168.1.1", "192.168.0.0/16" }, { "198.18.0.1",
                                               "198.18.0.0/15" },
        { "198.19.255.1", "198.18.0.0/15" }, { "198.20.0.1", NULL },
        { "198.51.100.20", "198.51.100.0/24" },
        { "203.0.113.5", "203.0.113.0/24" }, { "224.0.0.1", "224.0.0.0/4" },
        { "239.255.255.255", "224.0.0.0/4" }, { "240.0.0.1", "240.0.0.0/4" },
        { "255.255.255.255", "255.255.255.255/32" },
        { "8.8.8.8", NULL }, { "1.1.1.1", NULL }, { "193.0.2.10", NULL },
        { "::", "::/128" }, { "::1", "::1/128" }, { "::2", NULL },
        { "::ffff:10.1.2.3", "10.0.0.0/8" },
        { "::ffff:192.0.2.10", "192.0.2.0/24" },
        { "::ffff:8.8.8.8", NULL },
        { "64:ff9b::192.0.2.1", "64:ff9b::/96" },
        { "64:ff9b:1::1", "64:ff9b:1::/48" }, { "64:ff9b:2::1", NULL },
        { "100::1", "100::/64" }, { "100:0:0:1::1", "100:0:0:1::/64" },
        { "100:0:0:2::1", NULL },
        { "2001::1", "2001::/32" }, { "2001:1ff::1", "2001::/23" },
        { "2001:1::3", "2001:1::3/128" }, { "2001:1::4", "2001::/23" },
        { "2001:2::1", "2001:2::/48" }, { "2001:3::1", "2001:3::/32" },
        { "2001:4:112::1", "2001:4:112::/48" },
        { "2001:20::1", "2001:20::/28" }, { "2001:30::1", "2001:30::/28" },
        { "2620:4f:8000::53", "2620:4f:8000::/48" },
        { "2620:4f:8001::53", NULL },
        { "3fff::1", "3fff::/20" }, { "3fff:fff:ffff::1", "3fff::/20" },
        { "3fff:1000::1", NULL }, { "5f00::1", "5f00::/16" },
        { "5f01::1", NULL },
        { "2001:200::1", NULL }, { "2001:db8::10", "2001:db8::/32" },
        { "2002:c000:0201::1", "2002::/16" }, { "fc00::1", "fc00::/7" },
        { "fd12:3456::1", "fc00::/7" }, { "fe80::1", "fe80::/10" },
        { "febf::1", "fe80::/10" }, { "fec0::1", NULL },
        { "ff02::1", "ff00::/8" }, { "2a00:1450:4001::1", NULL },
        { "2606:4700::1111", NULL },
        { "garbage", "invalid" }, { "", "invalid" },
        { "example.com", "invalid" }, { "fe80::1%eth0", "invalid" },
    };
    wr_ipset_t *set;
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        check_str(wr_ip_is_special(t[i].ip, pool), t[i].want,
                  "special: '%s'", t[i].ip);
    }
    check_str(wr_ip_is_special(NULL, pool), "invalid", "special: NULL");

    /* the set the notifier builds for WormReplyNotifyAllow */
    check_int(wr_ipset_create(&set, pool), APR_SUCCESS, "ipset created");
    check_int(wr_ipset_add(set, "192.0.2.0/24"), APR_SUCCESS, "add v4/24");
    check_int(wr_ipset_add(set, "2001:db8::/32"), APR_SUCCESS, "add v6/32");
    check_int(wr_ipset_add(set, "198.51.100.7"), APR_SUCCESS, "add host");
    check(wr_ipset_add(set, "192.168") != APR_SUCCESS, "partial refused");
    check(wr_ipset_add(set, "10.0.0.0/33") != APR_SUCCESS, "/33 refused");
    check(wr_ipset_add(set, "10.0.0.0/") != APR_SUCCESS, "empty bits");
    check(wr_ipset_add(set, "10.0.0.0/8x") != APR_SUCCESS, "bits 8x");
    check(wr_ipset_add(set, "localhost") != APR_SUCCESS, "name refused");
    check_str(wr_ipset_match(set, "192.0.2.77", pool), "192.0.2.0/24",
              "allow: v4 in set");
    check_str(wr_ipset_match(set, "::ffff:192.0.2.77", pool),
              "192.0.2.0/24", "allow: mapped v4 in set");
    check_str(wr_ipset_match(set, "2001:db8:1::5", pool), "2001:db8::/32",
              "allow: v6 in set");
    check_str(wr_ipset_match(set, "198.51.100.7", pool), "198.51.100.7",
              "allow: host in set");
    check_str(wr_ipset_match(set, "198.51.100.8", pool), NULL,
              "allow: neighbour of host not in set");
    check_str(wr_ipset_match(set, "10.0.0.1", pool), NULL,
              "allow: other not in set");
    check_str(wr_ipset_match(set, "nonsense", pool), NULL,
              "allow: garbage matches nothing");
}

int main(void)
{
    apr_pool_t *pool;
    const char *port = getenv("WR_DNS_PORT");

    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&root, NULL);
    apr_pool_create(&pool, root);
    servers = apr_psprintf(root, "127.0.0.1:%s", port && *port ? port
                                                               : "15353");
    test_ldh();
    test_registrable(pool);
    test_special(pool);
    if (server_answers(pool)) {
        test_cases(pool);
        test_queue(pool);
        test_run_limits(pool);
        test_destroy(pool);
        test_rate(pool);
    }
    test_no_server(pool);
    apr_pool_destroy(root);
    return done_testing();
}
