/* test_statusjson.c - the strict reader of the counters JSON: what
 * wr_counters_format writes reads back exactly; hostile and malformed
 * documents are refused with an offset */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_counters.h"
#include "wr_statusjson.h"

/* parse - parse a C string */
static apr_status_t parse(const char *s, wr_statusjson_t **d,
                          const char **err, apr_pool_t *p)
{
    return wr_statusjson_parse(s, strlen(s), d, err, p);
}

static void test_roundtrip(apr_pool_t *p)
{
    apr_size_t size = wr_counters_size(2);
    void *mem = calloc(1, size);
    wr_counters_t *c;
    wr_counter_slot_t *s0, *s1, sum;
    wr_statusjson_t *d = NULL;
    const wr_statusjson_group_t *g;
    const wr_statusjson_num_t *n;
    const char *json, *err = NULL;
    int nimda, codered;

    check_int(wr_counters_attach(&c, mem, size, 2, p), APR_SUCCESS,
              "counters attached");
    nimda = wr_counters_family(c, "nimda");
    codered = wr_counters_family(c, "codered");
    s0 = wr_counters_slot(c, 0);
    s1 = wr_counters_slot(c, 1);
    s0->requests = 1000;
    s1->requests = 234;
    s0->probes = 17;
    s1->probes = 1;
    s0->family[nimda] = 16;
    s1->family[codered] = 2;
    s0->exempt = 3;
    s0->rejected = 1;
    s0->probe_usec = 1234567;
    s0->action[WR_ACT_404] = 15;
    s1->action[WR_ACT_CLOSE] = 3;
    /* beyond 2^53 a double loses units, the exact value must not */
    s0->requests += (apr_uint64_t)1 << 53;
    wr_counters_snapshot(c, &sum);
    json = wr_counters_format(c, &sum, WR_FORMAT_JSON, apr_time_now(), p);
    check_int(parse(json, &d, &err, p), APR_SUCCESS,
              "the handler's JSON parses");
    if (d == NULL) {
        free(mem);
        return;
    }
    n = wr_statusjson_number(d, "requests");
    check(n != NULL && n->exact, "requests: an exact integer");
    check(n != NULL && n->u == ((apr_uint64_t)1 << 53) + 1234,
          "requests: 2^53 + 1234 exactly");
    check_int(wr_statusjson_number(d, "probes")->u, 18, "probes");
    check_int(wr_statusjson_number(d, "exempt")->u, 3, "exempt");
    check_int(wr_statusjson_number(d, "rejected")->u, 1, "rejected");
    n = wr_statusjson_number(d, "probe_seconds");
    check(n != NULL && !n->exact && n->value > 1.234566 && n->value < 1.234568,
          "probe_seconds: 1.234567, not an integer");
    check(wr_statusjson_string(d, "since") != NULL
          && strstr(wr_statusjson_string(d, "since"), " GMT") != NULL,
          "since: an HTTP date");
    g = wr_statusjson_group(d, "families");
    check(g != NULL, "families");
    check_int(g ? g->members->nelts : 0, 2, "two families");
    check_int(g ? wr_statusjson_member(g, "nimda")->u : 0, 16, "nimda 16");
    check_int(g ? wr_statusjson_member(g, "codered")->u : 0, 2, "codered 2");
    check_str(g ? APR_ARRAY_IDX(g->members, 0, wr_statusjson_num_t).name : "",
              "nimda", "families in the order written");
    g = wr_statusjson_group(d, "actions");
    check_int(g ? g->members->nelts : 0, WR_ACT_COUNT, "every action");
    check_int(g ? wr_statusjson_member(g, "404")->u : 0, 15, "action 404");
    check_int(g ? wr_statusjson_member(g, "close")->u : 0, 3, "action close");
    check(g && wr_statusjson_member(g, "nope") == NULL, "absent member: NULL");
    check(wr_statusjson_number(d, "nope") == NULL, "absent number: NULL");
    check(wr_statusjson_group(d, "nope") == NULL, "absent group: NULL");
    free(mem);
}

static void test_forms(apr_pool_t *p)
{
    wr_statusjson_t *d = NULL;
    const char *err = NULL;
    const wr_statusjson_num_t *n;

    check_int(parse(" \r\n\t{ } \n", &d, &err, p), APR_SUCCESS,
              "an empty object with whitespace");
    check_int(parse("{\"s\": \"a\\\"\\\\\\/\\b\\f\\n\\r\\t"
                    "\\u00e9\\ud83d\\ude00\"}", &d, &err, p),
              APR_SUCCESS, "every escape");
    check_str(wr_statusjson_string(d, "s"),
              "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80",
              "... decoded, \\u to UTF-8, the pair joined");
    check_int(parse("{\"a\": -0.5e+2, \"b\": 0, \"c\": 1E3, \"t\": true, "
                    "\"f\": false, \"n\": null, \"x\": {}}", &d, &err, p),
              APR_SUCCESS, "numbers, literals, an empty group");
    n = wr_statusjson_number(d, "a");
    check(n && n->value == -50.0 && !n->exact, "-0.5e+2 is -50, inexact");
    n = wr_statusjson_number(d, "b");
    check(n && n->exact && n->u == 0, "0 is exact");
    check(wr_statusjson_number(d, "c")->value == 1000.0, "1E3");
    check_int(wr_statusjson_number(d, "t")->u, 1, "true reads as 1");
    check_int(wr_statusjson_number(d, "f")->u, 0, "false reads as 0");
    check(wr_statusjson_number(d, "n") == NULL, "null is skipped");
    check_int(wr_statusjson_group(d, "x")->members->nelts, 0, "empty group");
    check_int(parse("{\"big\": 9223372036854775807}", &d, &err, p),
              APR_SUCCESS, "2^63 - 1 parses");
    check(wr_statusjson_number(d, "big")->exact
          && wr_statusjson_number(d, "big")->u == 9223372036854775807ULL,
          "... exactly");
    check_int(parse("{\"big\": 18446744073709551615}", &d, &err, p),
              APR_EINVAL, "2^64 - 1 is refused (jansson's json_int_t)");
}

static void test_refused(apr_pool_t *p)
{
    static const struct {
        const char *doc;
        const char *why;
    } bad[] = {
        {"", "empty input"},
        {"[]", "an array at the top"},
        {"{\"a\": [1]}", "an array member"},
        {"{\"a\": {\"b\": {}}}", "nesting deeper than a group"},
        {"{\"a\": {\"b\": \"x\"}}", "a string in a group"},
        {"{\"a\": 1,}", "a trailing comma"},
        {"{\"a\": 1 \"b\": 2}", "a missing comma"},
        {"{\"a\" 1}", "a missing colon"},
        {"{\"a\": 01}", "a leading zero"},
        {"{\"a\": 1.}", "a bare decimal point"},
        {"{\"a\": .5}", "no digit before the point"},
        {"{\"a\": 1e}", "an empty exponent"},
        {"{\"a\": +1}", "a plus sign"},
        {"{\"a\": NaN}", "NaN"},
        {"{\"a\": tru}", "a cut literal"},
        {"{\"a\": 1, \"a\": 2}", "a duplicate key"},
        {"{\"g\": {\"x\": 1, \"x\": 2}}", "a duplicate key in a group"},
        {"{\"a\": \"x\ny\"}", "a raw newline in a string"},
        {"{\"a\": \"\\x41\"}", "an unknown escape"},
        {"{\"a\": \"\\u12\"}", "a short \\u escape"},
        {"{\"a\": \"\\ud83d\"}", "a lone high surrogate"},
        {"{\"a\": \"\\ude00\"}", "a lone low surrogate"},
        {"{\"a\": \"\\ud83d\\u0041\"}", "a high surrogate with a non-low one"},
        {"{\"a\": \"open", "an unterminated string"},
        {"{\"a\": 1", "an unterminated object"},
        {"{\"a\": 1} {}", "junk after the object"},
        {"{'a': 1}", "single quotes"},
        {"{a: 1}", "a bare key"},
        {"{\"a\": 1} // c", "a comment"},
        {"\xef\xbb\xbf{}", "a byte-order mark"},
        {NULL, NULL}
    };
    wr_statusjson_t *d;
    const char *err;
    int i;

    for (i = 0; bad[i].doc; i++) {
        err = NULL;
        check_int(parse(bad[i].doc, &d, &err, p), APR_EINVAL,
                  "refused: %s", bad[i].why);
        check(err != NULL && *err != '\0', "... saying why (%s)",
              err ? err : "no error");
    }
    /* embedded NUL and length bounds: only len bytes are read */
    err = NULL;
    check_int(wr_statusjson_parse("{\"a\": 1}", 7, &d, &err, p), APR_EINVAL,
              "the last byte outside len is not read");
    check_int(wr_statusjson_parse("{\"a\": \"\0\"}", 10, &d, &err, p),
              APR_EINVAL, "a NUL byte inside a string");
    check(err != NULL && strncmp(err, "offset ", 7) == 0,
          "... a syntax error with its offset (%s)", err ? err : "none");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_roundtrip(p);
    test_forms(p);
    test_refused(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
