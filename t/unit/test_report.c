/* test_report.c - probe-load aggregation and its writers */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "test-lib.h"
#include "wr_report.h"

static apr_pool_t *pool;
static wr_sigset_t *set;

#define PROBE "GET /scripts/..%255c../winnt/system32/cmd.exe?/c+dir HTTP/1.0"
static char codered[400];     /* GET /default.ida?NNN...N%u9090... */
#define CODERED codered
#define PLAIN "GET /index.html HTTP/1.1"
#define T0 1082592000LL     /* 2004-04-22T00:00:00Z, a multiple of 1 d */

static wr_report_t *report(wr_report_opts_t *o)
{
    wr_report_t *rep = NULL;

    if (wr_report_create(&rep, set, wr_sigset_default_mask(set), o, pool)
        != APR_SUCCESS) {
        printf("# wr_report_create failed\n");
        exit(1);
    }
    return rep;
}

/* add - one record; @return what wr_report_add says */
static int add(wr_report_t *rep, const char *client, long long t,
               const char *request, unsigned long long bytes,
               const char *vhost)
{
    wr_logrec_t r;

    memset(&r, 0, sizeof(r));
    r.client = client;
    r.client_len = strlen(client);
    r.time = t;
    r.has_time = t != 0;
    r.request = request;
    r.request_len = strlen(request);
    r.has_request = 1;
    r.status = 404;
    r.bytes = bytes;
    r.vhost = vhost;
    r.vhost_len = vhost ? strlen(vhost) : 0;
    return wr_report_add(rep, &r);
}

/* ---- a small strict JSON checker (RFC 8259 grammar) ---------------- */

typedef struct {
    const char *p, *end;
    int depth;
} js_t;

static int js_value(js_t *j);

static void js_ws(js_t *j)
{
    while (j->p < j->end && strchr(" \t\r\n", *j->p)) {
        j->p++;
    }
}

static int js_string(js_t *j)
{
    if (j->p >= j->end || *j->p != '"') {
        return 0;
    }
    j->p++;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20) {
            return 0;
        }
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end) {
                return 0;
            }
            if (*j->p == 'u') {
                int k;
                for (k = 1; k <= 4; k++) {
                    if (j->p + k >= j->end || !strchr("0123456789abcdefABCDEF",
                                                      j->p[k])) {
                        return 0;
                    }
                }
                j->p += 4;
            }
            else if (!strchr("\"\\/bfnrt", *j->p)) {
                return 0;
            }
        }
        j->p++;
    }
    if (j->p >= j->end) {
        return 0;
    }
    j->p++;
    return 1;
}

static int js_number(js_t *j)
{
    const char *s = j->p;

    if (j->p < j->end && *j->p == '-') {
        j->p++;
    }
    while (j->p < j->end && strchr("0123456789.eE+-", *j->p)) {
        j->p++;
    }
    return j->p > s;
}

static int js_list(js_t *j, char close, int object)
{
    j->p++;
    js_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return 1;
    }
    for (;;) {
        js_ws(j);
        if (object) {
            if (!js_string(j)) {
                return 0;
            }
            js_ws(j);
            if (j->p >= j->end || *j->p != ':') {
                return 0;
            }
            j->p++;
        }
        if (!js_value(j)) {
            return 0;
        }
        js_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 1;
        }
        return 0;
    }
}

static int js_value(js_t *j)
{
    int ok;

    js_ws(j);
    if (j->p >= j->end || ++j->depth > 64) {
        return 0;
    }
    switch (*j->p) {
    case '{': ok = js_list(j, '}', 1); break;
    case '[': ok = js_list(j, ']', 0); break;
    case '"': ok = js_string(j); break;
    case 't': ok = !strncmp(j->p, "true", 4) && (j->p += 4); break;
    case 'f': ok = !strncmp(j->p, "false", 5) && (j->p += 5); break;
    case 'n': ok = !strncmp(j->p, "null", 4) && (j->p += 4); break;
    default: ok = js_number(j); break;
    }
    j->depth--;
    return ok;
}

static int json_ok(const char *s, size_t n)
{
    js_t j = {s, s + n, 0};

    if (!js_value(&j)) {
        return 0;
    }
    js_ws(&j);
    return j.p == j.end;
}

/* render - a report as a string (static buffer from open_memstream) */
static char *render(wr_report_t *rep, wr_report_format_t f, size_t *len)
{
    static char *buf;
    FILE *m;

    free(buf);
    buf = NULL;
    m = open_memstream(&buf, len);
    check_int(wr_report_write(rep, f, m), APR_SUCCESS, "write format %d",
              (int)f);
    fclose(m);
    return buf;
}

/* ---- tests ----------------------------------------------------------- */

static void test_totals(void)
{
    wr_report_opts_t o;
    wr_report_t *rep;
    wr_report_totals_t t;
    wr_report_family_t fa;
    int f, f2;

    wr_report_opts_init(&o);
    rep = report(&o);
    check_int(add(rep, "3.3.3.3", T0, PLAIN, 100, NULL), -1, "plain request");
    add(rep, "4.4.4.4", T0 + 1, PLAIN, 100, NULL);
    add(rep, "3.3.3.3", T0 + 2, PLAIN, 100, NULL);
    f = add(rep, "1.1.1.1", T0 + 3, PROBE, 10, NULL);
    check(f >= 0, "the Nimda traversal is a probe (family %d)", f);
    check_str(wr_sigset_family_name(set, f), "nimda", "... of family nimda");
    add(rep, "1.1.1.1", T0 + 4, PROBE, 10, NULL);
    add(rep, "2.2.2.2", T0 + 5, PROBE, 10, NULL);
    f2 = add(rep, "2.2.2.2", T0 + 6, CODERED, 7, NULL);
    check_str(f2 >= 0 ? wr_sigset_family_name(set, f2) : NULL, "codered",
              "the .ida overflow is Code Red");
    wr_report_add_bad(rep, WR_LOGLINE_TRUNCATED);
    wr_report_totals(rep, &t);
    check_int(t.lines, 8, "lines include the bad one");
    check_int(t.requests, 7, "requests");
    check_int(t.bytes, 337, "bytes");
    check_int(t.probes, 4, "probes");
    check_int(t.probe_bytes, 37, "probe bytes");
    check_int(t.bad_lines, 1, "bad lines");
    check_int(t.bad[WR_LOGLINE_TRUNCATED], 1, "... by reason");
    check_int(t.clients, 4, "distinct clients");
    check_int(t.first, T0, "first");
    check_int(t.last, T0 + 6, "last");
    wr_report_family(rep, f, &fa);
    check_int(fa.requests, 3, "nimda requests");
    check_int(fa.bytes, 30, "nimda bytes");
    check_int(fa.sources, 2, "nimda distinct sources");
    check_int(fa.sources_estimated, 0, "... exact");
    wr_report_family(rep, f2, &fa);
    check_int(fa.requests, 1, "codered requests");
}

static void test_topk(void)
{
    /* true counts; more distinct keys than the cap of 4 */
    static const struct { const char *key; int n; } truth[] = {
        {"10.0.0.1", 30}, {"10.0.0.2", 20}, {"10.0.0.3", 15},
        {"10.0.0.4", 4}, {"10.1.0.1", 1}, {"10.1.0.2", 1}, {"10.1.0.3", 1},
        {"10.1.0.4", 1}, {"10.1.0.5", 1}, {"10.1.0.6", 1}, {"10.1.0.7", 1},
        {"10.1.0.8", 1}, {"10.1.0.9", 1}, {"10.1.0.10", 1}
    };
    enum { NT = sizeof(truth) / sizeof(truth[0]) };
    int left[NT], i, k, total = 0, bounds_ok = 1;
    unsigned long long sum = 0;
    wr_report_opts_t o;
    wr_report_t *rep;
    wr_report_top_t rows[8];
    unsigned n, seed = 7;
    char *json;
    size_t len;

    wr_report_opts_init(&o);
    o.source_cap = 4;
    o.top = 0;
    rep = report(&o);
    for (i = 0; i < NT; i++) {
        left[i] = truth[i].n;
        total += truth[i].n;
    }
    /* a fixed pseudo-random interleaving */
    for (k = 0; k < total;) {
        seed = seed * 1103515245u + 12345u;
        i = (int)((seed >> 16) % NT);
        if (left[i] > 0) {
            left[i]--;
            add(rep, truth[i].key, T0 + k, PROBE, 1, NULL);
            k++;
        }
    }
    n = wr_report_sources(rep, rows, 8);
    check_int(n, 4, "at most the cap (4) sources are tracked");
    for (k = 0; k < (int)n; k++) {
        int t = -1;
        sum += rows[k].count;
        for (i = 0; i < NT; i++) {
            if (!strcmp(truth[i].key, rows[k].key)) {
                t = truth[i].n;
            }
        }
        if (t < 0 || (unsigned long long)t > rows[k].count
            || rows[k].count - rows[k].error > (unsigned long long)t) {
            bounds_ok = 0;
            printf("# %s: count %llu error %llu true %d\n", rows[k].key,
                   rows[k].count, rows[k].error, t);
        }
    }
    check_int(sum, total, "the counters sum to the number of probes");
    check(bounds_ok, "count - error <= true count <= count for every row");
    check_str(n > 0 ? rows[0].key : NULL, "10.0.0.1",
              "the source with more than N/cap probes is first");
    check(rows[0].count >= 30 && rows[0].count - rows[0].error <= 30,
          "... with a count that brackets 30");
    for (k = 1; k < (int)n; k++) {
        check(rows[k - 1].count >= rows[k].count, "row %d sorted", k);
    }
    json = render(rep, WR_REPORT_JSON, &len);
    check(json_ok(json, len), "JSON parses");
    check(strstr(json, "\"sources_tracking\": {\"method\": \"space-saving\", "
                 "\"cap\": 4, \"tracked\": 4, \"exact\": false") != NULL,
          "JSON says the counts are not exact past the cap");

    /* under the cap everything is exact */
    rep = report(&o);
    for (k = 0; k < 5; k++) {
        add(rep, "a", T0, PROBE, 1, NULL);
    }
    add(rep, "b", T0, PROBE, 1, NULL);
    add(rep, "c", T0, PROBE, 1, NULL);
    n = wr_report_sources(rep, rows, 8);
    check_int(n, 3, "three sources under a cap of 4");
    check(n == 3 && rows[0].count == 5 && rows[0].error == 0
          && rows[1].count == 1 && rows[1].error == 0
          && !strcmp(rows[1].key, "b") && !strcmp(rows[2].key, "c"),
          "exact counts, ties ordered by key");
    check(rows[0].first == T0 && rows[0].last == T0, "first/last seen");
    json = render(rep, WR_REPORT_JSON, &len);
    check(strstr(json, "\"exact\": true, \"max_error\": 0") != NULL,
          "JSON says exact");
}

static void test_series(void)
{
    wr_report_opts_t o;
    wr_report_t *rep;
    wr_report_bucket_t b;
    unsigned n, i;
    long w;
    int f;
    unsigned long long sum = 0;

    wr_report_opts_init(&o);
    rep = report(&o);
    add(rep, "1.1.1.1", T0 + 10 * 3600 + 3599, PLAIN, 5, NULL);
    f = add(rep, "1.1.1.1", T0 + 10 * 3600, PROBE, 7, NULL);
    add(rep, "1.1.1.1", T0 + 11 * 3600, PROBE, 9, NULL);
    add(rep, "1.1.1.1", T0 - 1, PLAIN, 1, NULL);
    w = wr_report_series(rep, &n);
    check_int(w, 3600, "hourly by default");
    check_int(n, 3, "three non-empty hours");
    wr_report_bucket(rep, 0, &b);
    check_int(b.start, T0 - 3600, "bucket 0 is the hour before T0");
    wr_report_bucket(rep, 1, &b);
    check_int(b.start, T0 + 10 * 3600, "bucket 1 starts on the hour");
    check_int(b.requests, 2, "... holds :00:00 and :59:59");
    check_int(b.probes, 1, "... one probe");
    check_int(b.probe_bytes, 7, "... its bytes");
    check_int(b.bytes, 12, "... all bytes");
    check_int(b.family[f], 1, "... per family");
    wr_report_bucket(rep, 2, &b);
    check_int(b.start, T0 + 11 * 3600, "bucket 2: the next hour");

    o.bucket = 86400;
    rep = report(&o);
    add(rep, "1.1.1.1", T0 + 5, PLAIN, 1, NULL);
    add(rep, "1.1.1.1", T0 + 86399, PLAIN, 1, NULL);
    add(rep, "1.1.1.1", T0 + 86400, PLAIN, 1, NULL);
    w = wr_report_series(rep, &n);
    check(w == 86400 && n == 2, "daily buckets: %ld s, %u", w, n);

    /* past the cap the width doubles until the buckets fit */
    wr_report_opts_init(&o);
    o.series_cap = 4;
    rep = report(&o);
    for (i = 0; i < 10; i++) {
        add(rep, "1.1.1.1", T0 + i * 3600 + 60, PROBE, 1, NULL);
    }
    w = wr_report_series(rep, &n);
    check_int(w, 4 * 3600, "10 hours into 4 buckets: 4-hour buckets");
    check_int(n, 3, "... three of them");
    for (i = 0; i < n; i++) {
        wr_report_bucket(rep, i, &b);
        sum += b.requests;
        check_int(b.start % w, 0, "bucket %u aligned", i);
    }
    check_int(sum, 10, "no request lost by merging");
    wr_report_bucket(rep, 2, &b);
    check_int(b.requests, 2, "the last bucket holds hours 8 and 9");
}

static void test_distinct(void)
{
    wr_report_opts_t o;
    wr_report_t *rep;
    wr_report_family_t fa;
    wr_report_totals_t t;
    char addr[32];
    int i, f = -1;

    wr_report_opts_init(&o);
    o.distinct_exact = 100;
    o.source_cap = 50;
    rep = report(&o);
    for (i = 0; i < 5000; i++) {
        snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        f = add(rep, addr, T0 + i, PROBE, 1, NULL);
        add(rep, addr, T0 + i, PROBE, 1, NULL);
    }
    wr_report_family(rep, f, &fa);
    check_int(fa.sources_estimated, 1, "past 100 the count is estimated");
    check(fa.sources > 4850 && fa.sources < 5150,
          "estimate of 5,000 distinct sources within 3 %%: %llu", fa.sources);
    wr_report_totals(rep, &t);
    check(t.clients_estimated && t.clients > 4850 && t.clients < 5150,
          "distinct clients estimated: %llu", t.clients);
}

static void test_writers(void)
{
    wr_report_opts_t o;
    wr_report_t *rep;
    char *out;
    size_t len, i;
    int ctl = 0, lines = 0;
    static const char nasty[] = "1.2.3.4\x01\"</script>\xff\xc3\xa9\xe2\x80\xa8";

    wr_report_opts_init(&o);
    o.vhost_cap = 2;
    rep = report(&o);
    add(rep, nasty, T0, PROBE, 3, "a.example");
    add(rep, "5.5.5.5", T0, PROBE, 3, "b.example");
    add(rep, "5.5.5.5", T0, PLAIN, 3, "c.example");
    add(rep, "5.5.5.5", T0, "GET /\x90\x01<b>&amp; HTTP/1.0", 3, "d.example");
    wr_report_add_input(rep, "in\x1b[2J.log");

    out = render(rep, WR_REPORT_JSON, &len);
    check(json_ok(out, len), "JSON with hostile bytes parses");
    for (i = 0; i < len; i++) {
        ctl += (unsigned char)out[i] < 0x20 && out[i] != '\n';
    }
    check_int(ctl, 0, "no raw control bytes in the JSON");
    check(strstr(out, "1.2.3.4\\u0001\\\"\\u003c/script\\u003e\\ufffd\xc3\xa9"
                 "\\u2028\"") != NULL,
          "controls, quotes, '<', bad UTF-8, U+2028 escaped; good UTF-8 kept");
    check(strstr(out, "\"vhost\": \"(other)\"") != NULL,
          "vhosts past the cap are summed as (other)");
    check(strstr(out, "\"requests\": 4,") && strstr(out, "\"probes\": 2,")
          && strstr(out, "\"bad_lines\": 0,") && strstr(out, "\"series\": {"),
          "the public top-level keys");
    check(strncmp(out, "{\n  \"schema\": 1,\n", 15) == 0,
          "the JSON starts with its schema version, 1");

    out = render(rep, WR_REPORT_CSV, &len);
    for (i = 0; i < len; i++) {
        lines += out[i] == '\n';
        ctl += (unsigned char)out[i] < 0x20 && out[i] != '\n';
        ctl += (unsigned char)out[i] >= 0x7f;
    }
    check(!strncmp(out, "section,key,family,requests,bytes,probes,"
                   "probe_bytes,sources,error,first_seen,last_seen\n", 83),
          "CSV header");
    check_int(ctl, 0, "CSV is printable ASCII");
    check(strstr(out, "\nsource,\"1.2.3.4\\x01\"\"</script>\\xff\\xc3\\xa9"
                 "\\xe2\\x80\\xa8\",nimda,") != NULL,
          "CSV field escaped as the log escapes it, quoted per RFC 4180");
    check(lines > 8, "CSV rows: %d", lines);

    out = render(rep, WR_REPORT_HTML, &len);
    check(strstr(out, "<svg") != NULL && strstr(out, "<rect x=") != NULL,
          "HTML has an inline SVG chart with bars");
    check(strstr(out, "<script") == NULL && strstr(out, "src=") == NULL
          && strstr(out, "href=") == NULL && strstr(out, "url(") == NULL
          && strstr(out, "@import") == NULL,
          "HTML fetches nothing (no script, src, href, url(), @import)");
    check(strstr(out, "</script>") == NULL
          && strstr(out, "1.2.3.4\\x01&quot;&lt;/script&gt;\\xff") != NULL,
          "HTML escapes log bytes");
    check(strstr(out, "id=\"requests\">4<") != NULL, "HTML totals");

    out = render(rep, WR_REPORT_TEXT, &len);
    ctl = 0;
    for (i = 0; i < len; i++) {
        ctl += (unsigned char)out[i] < 0x20 && out[i] != '\n';
    }
    check_int(ctl, 0, "text has no control bytes (terminal-safe)");
    {
        const char *p = strstr(out, "\n  requests ");
        unsigned long long v = 0;
        check(p && sscanf(p, "\n  requests %llu", &v) == 1 && v == 4,
              "text totals: %llu requests", v);
    }
}

int main(int argc, const char *const *argv)
{
    const char *err = NULL;

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    if (wr_sigset_create(&set, pool) != APR_SUCCESS
        || wr_sigset_load_builtin(set, &err) != APR_SUCCESS) {
        printf("Bail out! signatures: %s\n", err ? err : "?");
        return 1;
    }
    memset(codered, 0, sizeof(codered));
    memcpy(codered, "GET /default.ida?", 17);
    memset(codered + 17, 'N', 224);
    strcat(codered, "%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801 "
           "HTTP/1.0");
    test_totals();
    test_topk();
    test_series();
    test_distinct();
    test_writers();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
