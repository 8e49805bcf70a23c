/* fuzz_statusjson.c - libFuzzer target over the status JSON reader
 * (wr_statusjson_parse and its lookups), alone and against the writer it
 * reads (wr_counters_format)
 *
 * Every input is used twice:
 * 1. As a document, from a buffer of exactly its size (ASan sees a read
 *    past `len`). A refusal must say why. An accepted document has no
 *    duplicate key, every lookup finds what the arrays hold, and written
 *    back as JSON (strings escaped, exact numbers as integers, others
 *    with 17 digits) it parses to the same document.
 * 2. As counters: the bytes name up to 34 families ([a-z0-9_-], as
 *    signature sets allow, so the "(other)" slot is reached) and give
 *    every counter of the field table (wr_counter_fields) a value;
 *    wr_counters_format's JSON must parse, and every counter, family and
 *    action read back must be the value shown (ages at the time given;
 *    exactly; counters are below 2^63, which jansson's
 *    json_int_t holds: probe_seconds within rounding).
 * The reader is jansson (strict RFC 8259) for one shape: see
 * wr_statusjson.h.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include <apr_hash.h>

#include "fuzz-lib.h"
#include "wr_counters.h"
#include "wr_statusjson.h"


/* json_str - s as a JSON string */
static const char *json_str(const char *s)
{
    char *out = apr_palloc(fuzz_ipool, strlen(s) * 6 + 3), *o = out;

    *o++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        }
        else if (c < 0x20) {
            o += sprintf(o, "\\u%04x", c);
        }
        else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* json_num - a number as written back: exact integers as such */
static const char *json_num(const wr_statusjson_num_t *n)
{
    if (n->exact) {
        return apr_psprintf(fuzz_ipool, "%" APR_UINT64_T_FMT, n->u);
    }
    if (isinf(n->value)) {
        return n->value > 0 ? "1e999" : "-1e999";
    }
    /* libc's %g: APR's leaves a bare '.' ("5000000000.") */
    {
        char *b = apr_palloc(fuzz_ipool, 40);
        snprintf(b, 40, "%.17g", n->value);
        if (strspn(b, "-0123456789") == strlen(b)) {
            strcat(b, ".0");    /* "100.0" is not exact: keep it so */
        }
        return b;
    }
}

/* same_num - two numbers read alike */
static int same_num(const wr_statusjson_num_t *a,
                    const wr_statusjson_num_t *b)
{
    return a->exact == b->exact && (a->exact ? a->u == b->u
                                             : a->value == b->value);
}

/* check_doc - the invariants of an accepted document, and its rewrite */
static void check_doc(const wr_statusjson_t *d, size_t size)
{
    apr_hash_t *names = apr_hash_make(fuzz_ipool);
    const char *out = "{", *sep = "", *err = NULL;
    wr_statusjson_t *d2;
    int i, j;

#define UNIQUE(nm) do { \
        if (apr_hash_get(names, (nm), APR_HASH_KEY_STRING)) { \
            fuzz_broken("a duplicate key was accepted", size); \
        } \
        apr_hash_set(names, (nm), APR_HASH_KEY_STRING, ""); \
    } while (0)

    for (i = 0; i < d->numbers->nelts; i++) {
        const wr_statusjson_num_t *n = &APR_ARRAY_IDX(d->numbers, i,
                                                      wr_statusjson_num_t);
        UNIQUE(n->name);
        if (wr_statusjson_number(d, n->name) != n
            || (n->exact && (double)n->u != n->value)) {
            fuzz_broken("a number lookup or value disagrees", size);
        }
        out = apr_pstrcat(fuzz_ipool, out, sep, json_str(n->name), ": ",
                          json_num(n), NULL);
        sep = ", ";
    }
    for (i = 0; i < d->strings->nelts; i++) {
        const wr_statusjson_str_t *s = &APR_ARRAY_IDX(d->strings, i,
                                                      wr_statusjson_str_t);
        UNIQUE(s->name);
        if (wr_statusjson_string(d, s->name) != s->value) {
            fuzz_broken("a string lookup disagrees", size);
        }
        out = apr_pstrcat(fuzz_ipool, out, sep, json_str(s->name), ": ",
                          json_str(s->value), NULL);
        sep = ", ";
    }
    for (i = 0; i < d->groups->nelts; i++) {
        const wr_statusjson_group_t *g = &APR_ARRAY_IDX(
            d->groups, i, wr_statusjson_group_t);
        apr_hash_t *members = apr_hash_make(fuzz_ipool);
        const char *msep = "";

        UNIQUE(g->name);
        if (wr_statusjson_group(d, g->name) != g) {
            fuzz_broken("a group lookup disagrees", size);
        }
        out = apr_pstrcat(fuzz_ipool, out, sep, json_str(g->name), ": {",
                          NULL);
        for (j = 0; j < g->members->nelts; j++) {
            const wr_statusjson_num_t *n = &APR_ARRAY_IDX(
                g->members, j, wr_statusjson_num_t);
            if (apr_hash_get(members, n->name, APR_HASH_KEY_STRING)
                || wr_statusjson_member(g, n->name) != n) {
                fuzz_broken("a duplicate or unfindable group member", size);
            }
            apr_hash_set(members, n->name, APR_HASH_KEY_STRING, "");
            out = apr_pstrcat(fuzz_ipool, out, msep, json_str(n->name), ": ",
                              json_num(n), NULL);
            msep = ", ";
        }
        out = apr_pstrcat(fuzz_ipool, out, "}", NULL);
        sep = ", ";
    }
    out = apr_pstrcat(fuzz_ipool, out, "}", NULL);
#undef UNIQUE

    if (wr_statusjson_parse(out, strlen(out), &d2, &err, fuzz_ipool)
        != APR_SUCCESS) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "a document written back does "
                                 "not parse: %s", err ? err : "?"), size);
    }
    if (d2->numbers->nelts != d->numbers->nelts
        || d2->strings->nelts != d->strings->nelts
        || d2->groups->nelts != d->groups->nelts) {
        fuzz_broken("a document written back lost members", size);
    }
    for (i = 0; i < d->numbers->nelts; i++) {
        if (!same_num(&APR_ARRAY_IDX(d->numbers, i, wr_statusjson_num_t),
                      &APR_ARRAY_IDX(d2->numbers, i, wr_statusjson_num_t))) {
            fuzz_broken("a number changed when written back", size);
        }
    }
    for (i = 0; i < d->strings->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(d->strings, i, wr_statusjson_str_t).value,
                   APR_ARRAY_IDX(d2->strings, i, wr_statusjson_str_t).value)) {
            fuzz_broken("a string changed when written back", size);
        }
    }
    for (i = 0; i < d->groups->nelts; i++) {
        const wr_statusjson_group_t *g = &APR_ARRAY_IDX(
            d->groups, i, wr_statusjson_group_t);
        const wr_statusjson_group_t *g2 = &APR_ARRAY_IDX(
            d2->groups, i, wr_statusjson_group_t);
        if (g2->members->nelts != g->members->nelts) {
            fuzz_broken("a group written back lost members", size);
        }
        for (j = 0; j < g->members->nelts; j++) {
            if (!same_num(&APR_ARRAY_IDX(g->members, j, wr_statusjson_num_t),
                          &APR_ARRAY_IDX(g2->members, j,
                                         wr_statusjson_num_t))) {
                fuzz_broken("a group member changed when written back",
                            size);
            }
        }
    }
}

/* read_exact - a counter read back is the value written */
static void read_exact(const wr_statusjson_num_t *n, apr_uint64_t want,
                       const char *what, size_t size)
{
    if (n == NULL) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "%s missing", what), size);
    }
    if (!n->exact || n->u != want) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "%s read back wrong", what),
                    size);
    }
}

/* counter - a counter's value from the input: below 2^63 (a counter
 * counting a billion a second gets there in 292 years) */
static apr_uint64_t counter(fuzz_in_t *in)
{
    return fuzz_u64(in, 8) & APR_UINT64_C(0x7fffffffffffffff);
}

/* check_counters - wr_counters_format's JSON, read back */
static void check_counters(const uint8_t *data, size_t size)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    fuzz_in_t in;
    wr_counters_t *c;
    wr_counter_slot_t sum;
    wr_statusjson_t *d;
    const wr_statusjson_group_t *fam, *act;
    const wr_statusjson_num_t *ps;
    const char *json, *err = NULL;
    apr_size_t sz = wr_counters_size(1);
    void *base = apr_pcalloc(fuzz_ipool, sz);
    int nfam, i, idx;
    double want;
    const wr_counter_field_t *f;
    apr_time_t now = apr_time_from_sec(1700000000);

    if (wr_counters_attach(&c, base, sz, 1, fuzz_ipool) != APR_SUCCESS) {
        fuzz_broken("wr_counters_attach failed", size);
    }
    fuzz_in(&in, data, size);
    nfam = (int)(fuzz_byte(&in) % (WR_COUNTER_FAMILIES + 3));
    memset(&sum, 0, sizeof(sum));
    for (i = 0; i < nfam; i++) {
        char name[WR_FAMILY_NAME_MAX + 1];
        int n = 1 + (int)(fuzz_byte(&in) % WR_FAMILY_NAME_MAX), k;

        for (k = 0; k < n; k++) {
            name[k] = alphabet[fuzz_byte(&in) % (sizeof(alphabet) - 1)];
        }
        name[n] = '\0';
        idx = wr_counters_family(c, name);
        sum.family[idx] = counter(&in);
    }
    for (f = wr_counter_fields; f->name; f++) {
        *wr_counter_ptr(f, &sum) = counter(&in);
    }
    for (i = 0; i < WR_ACT_COUNT; i++) {
        sum.action[i] = counter(&in);
    }

    json = wr_counters_format(c, &sum, WR_FORMAT_JSON, now, fuzz_ipool);
    if (wr_statusjson_parse(json, strlen(json), &d, &err, fuzz_ipool)
        != APR_SUCCESS) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "the counters JSON does not "
                                 "parse: %s", err ? err : "?"), size);
    }
    check_doc(d, size);
    for (f = wr_counter_fields; f->name; f++) {
        if (!(f->flags & WR_CF_USEC)) {
            read_exact(wr_statusjson_number(d, f->name),
                       wr_counter_value(f, &sum, now), f->name, size);
        }
    }
    fam = wr_statusjson_group(d, "families");
    act = wr_statusjson_group(d, "actions");
    if (fam == NULL || act == NULL
        || wr_statusjson_string(d, "since") == NULL) {
        fuzz_broken("families, actions or since missing", size);
    }
    for (i = 0; wr_counters_family_name(c, i); i++) {
        read_exact(wr_statusjson_member(fam, wr_counters_family_name(c, i)),
                   sum.family[i], "a family", size);
    }
    if (fam->members->nelts != i) {
        fuzz_broken("more families read back than written", size);
    }
    for (i = 0; i < WR_ACT_COUNT; i++) {
        read_exact(wr_statusjson_member(act, wr_action_name((wr_action_t)i)),
                   sum.action[i], "an action", size);
    }
    ps = wr_statusjson_number(d, "probe_seconds");
    want = (double)sum.probe_usec / 1e6;
    if (ps == NULL || fabs(ps->value - want) > 1e-6 + want * 1e-15) {
        fuzz_broken("probe_seconds read back wrong", size);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init("fuzz_statusjson");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_copy(data, size);
    wr_statusjson_t *d = NULL;
    const char *err = NULL;
    apr_status_t rv;

    rv = wr_statusjson_parse(copy, size, &d, &err, fuzz_ipool);
    free(copy);
    if (rv == APR_SUCCESS) {
        check_doc(d, size);
    }
    else if (rv != APR_EINVAL || err == NULL) {
        fuzz_broken("refused without APR_EINVAL and a reason", size);
    }
    check_counters(data, size);
    apr_pool_clear(fuzz_ipool);
    return 0;
}
