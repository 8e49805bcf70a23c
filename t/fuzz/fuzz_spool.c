/* fuzz_spool.c - libFuzzer target over the spool's and the outbox's
 * records: wr_event_parse / wr_event_dump (the spool record), wr_id_time
 * (the creation time in a spool file name), and the outbox's .env and
 * .state records and ids (wr_file_record_parse / _dump, wr_file_id_ok)
 *
 * Every input is used three ways:
 * 1. As a spool record (exactly its bytes, in a buffer of that size, so
 *    ASan sees a read past the end). When wr_event_parse accepts it, the
 *    event dumps, the dump parses to the same event, and dumping that
 *    gives the same bytes: loading never half-understands and writing a
 *    loaded record changes nothing (wr_spool.h).
 * 2. As the fields of an event (NUL-separated: address, family, vhost,
 *    request lines, failure; times and counts from the first bytes), as
 *    the request path and the notifier fill one: the address from
 *    inet_ntop (cut to 45 bytes), the family a signature family name (cut
 *    to WR_FAMILY_NAME_MAX), first-seen <= last-seen. wr_event_dump must
 *    accept it (or refuse it with APR_EINVAL exactly when wr_spool_put
 *    would), and what it writes must load again, value for value as
 *    escaped, and dump to the same bytes.
 * 3. The first field as a spool file name for wr_id_time (a crafted name
 *    made it overflow, issue 11 part 5) and as an outbox id; the whole
 *    input as an outbox record (.env, .state): parsed, written back and
 *    parsed again, the same table (values without control bytes), and
 *    the text written a fixed point.
 */
#include <stdint.h>

#include <apr_lib.h>
#include <apr_tables.h>

#include "fuzz-lib.h"
#include "wr_file.h"
#include "wr_match.h"
#include "wr_spool.h"

/* Latest time the spool's RFC 3339 form holds: 9999-12-31T23:59:59. */
#define TIME_MAX (APR_INT64_C(253402300799) * APR_USEC_PER_SEC \
                  + APR_USEC_PER_SEC - 1)

/* same_str - NULL-safe comparison; NULL and "" are the same (the record
 * writes both as empty) */
static int same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* same_event - every field of two events alike */
static int same_event(const wr_event_t *a, const wr_event_t *b)
{
    int i;

    if (!same_str(a->address, b->address) || !same_str(a->family, b->family)
        || !same_str(a->vhost, b->vhost) || a->first_seen != b->first_seen
        || a->last_seen != b->last_seen || a->count != b->count
        || a->attempts != b->attempts || a->next_try != b->next_try
        || a->nlines != b->nlines || (a->failure == NULL) != (b->failure
                                                              == NULL)
        || !same_str(a->failure, b->failure)) {
        return 0;
    }
    for (i = 0; i < a->nlines; i++) {
        if (!same_str(a->lines[i], b->lines[i])) {
            return 0;
        }
    }
    return 1;
}

/* round_trip - dump ev, parse it back, dump again: the second event
 * equals the first parse, the second dump equals the first. With
 * `loaded`, ev itself came from a parse and must equal its reload. */
static void round_trip(const wr_event_t *ev, int loaded, size_t size)
{
    const char *text, *text2, *err = NULL;
    apr_size_t len, len2;
    wr_event_t *back, *back2;
    char *copy;

    if (wr_event_dump(ev, &text, &len, fuzz_ipool) != APR_SUCCESS) {
        fuzz_broken("wr_event_dump refused an event", size);
    }
    if (strlen(text) != len) {
        fuzz_broken("wr_event_dump: length and text disagree", size);
    }
    copy = fuzz_copy(text, len);
    if (wr_event_parse(copy, len, &back, &err, fuzz_ipool) != APR_SUCCESS) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "a dumped record does not "
                                 "load: %s", err ? err : "?"), size);
    }
    free(copy);
    if (loaded && !same_event(ev, back)) {
        fuzz_broken("a loaded record changed on writing it again", size);
    }
    if (wr_event_dump(back, &text2, &len2, fuzz_ipool) != APR_SUCCESS
        || len2 != len || memcmp(text, text2, len) != 0) {
        fuzz_broken("dump(parse(dump(ev))) differs from dump(ev)", size);
    }
    copy = fuzz_copy(text2, len2);
    if (wr_event_parse(copy, len2, &back2, NULL, fuzz_ipool) != APR_SUCCESS
        || !same_event(back, back2)) {
        fuzz_broken("a record reloaded differently", size);
    }
    free(copy);
}

/* check_id_time - wr_id_time against its definition, without overflow */
static void check_id_time(const char *id, size_t size)
{
    apr_time_t t = wr_id_time(id);
    const char *dot;
    apr_int64_t want;

    if (t < 0) {
        fuzz_broken("wr_id_time gave a negative time", size);
    }
    if (t == 0) {
        return;
    }
    /* <sec>.<usec>. : both decimal, usec below a second */
    dot = strchr(id, '.');
    if (dot == NULL || !apr_isdigit(id[0]) || !apr_isdigit(dot[1])) {
        fuzz_broken("wr_id_time read a time from a name that has none",
                    size);
    }
    if (__builtin_mul_overflow(apr_atoi64(id), APR_USEC_PER_SEC, &want)
        || __builtin_add_overflow(want, apr_atoi64(dot + 1), &want)
        || want != t) {
        fuzz_broken("wr_id_time: wrong time", size);
    }
}

/* same_table - two record tables alike, in order */
static int same_table(const apr_table_t *x, const apr_table_t *y)
{
    const apr_array_header_t *a = apr_table_elts(x), *b = apr_table_elts(y);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    const apr_table_entry_t *f = (const apr_table_entry_t *)b->elts;
    int i;

    if (a->nelts != b->nelts) {
        return 0;
    }
    for (i = 0; i < a->nelts; i++) {
        if (strcmp(e[i].key, f[i].key) || strcmp(e[i].val, f[i].val)) {
            return 0;
        }
    }
    return 1;
}

/* check_outbox_record - parse, write back, parse: the text written is a
 * fixed point and, when no value holds a control byte (the writer turns
 * those into spaces), the table is the one read */
static void check_outbox_record(const uint8_t *data, size_t size)
{
    char *buf = apr_pstrmemdup(fuzz_ipool, (const char *)data, size);
    const char *text, *text2;
    apr_table_t *t, *t2, *t3;
    int control = 0;
    size_t i;

    if (wr_file_record_parse(buf, &t, fuzz_ipool) != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < size && data[i]; i++) {
        control |= (data[i] < 0x20 && data[i] != '\n') || data[i] == 0x7f;
    }
    text = wr_file_record_dump(t, fuzz_ipool);
    if (wr_file_record_parse(apr_pstrdup(fuzz_ipool, text), &t2,
                             fuzz_ipool) != APR_SUCCESS) {
        fuzz_broken("an outbox record written back does not parse", size);
    }
    if (!control && !same_table(t, t2)) {
        fuzz_broken("an outbox record written back changed", size);
    }
    text2 = wr_file_record_dump(t2, fuzz_ipool);
    if (strcmp(text, text2) != 0
        || wr_file_record_parse(apr_pstrdup(fuzz_ipool, text2), &t3,
                                fuzz_ipool) != APR_SUCCESS
        || !same_table(t2, t3)) {
        fuzz_broken("writing an outbox record is not a fixed point", size);
    }
    (void)wr_file_record_time(t, "queued");
}

/* cut - s cut to n bytes */
static const char *cut(const char *s, size_t n)
{
    return s && strlen(s) > n ? apr_pstrmemdup(fuzz_ipool, s, n) : s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init("fuzz_spool");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in;
    wr_event_t *ev, built;
    const char *s, *err = NULL;
    char *copy;
    apr_uint64_t t1, t2;
    apr_status_t rv;
    unsigned flags;

    /* 1. the input as a record */
    copy = fuzz_copy(data, size);
    rv = wr_event_parse(copy, size, &ev, &err, fuzz_ipool);
    free(copy);
    if (rv == APR_SUCCESS) {
        round_trip(ev, 1, size);
    }
    else if (rv != APR_EINVAL || err == NULL) {
        fuzz_broken("wr_event_parse refused without APR_EINVAL and a "
                    "reason", size);
    }

    /* 3. names and outbox records */
    fuzz_in(&in, data, size);
    s = fuzz_field(&in);
    if (s != NULL) {
        check_id_time(s, size);
        (void)wr_file_id_ok(s, strlen(s));
    }
    check_outbox_record(data, size);

    /* 2. the input as the fields of an event */
    fuzz_in(&in, data, size);
    memset(&built, 0, sizeof(built));
    flags = fuzz_byte(&in);
    t1 = fuzz_u64(&in, 8) % (TIME_MAX + 1);
    t2 = fuzz_u64(&in, 8) % (TIME_MAX + 1);
    built.first_seen = (apr_time_t)(t1 < t2 ? t1 : t2);
    built.last_seen = (apr_time_t)(t1 < t2 ? t2 : t1);
    built.count = fuzz_u64(&in, 8);
    built.attempts = (apr_uint32_t)fuzz_u64(&in, 4);
    built.next_try = (flags & 1) ? (apr_time_t)(fuzz_u64(&in, 8)
                                                % (TIME_MAX + 1)) : 0;
    built.address = cut(fuzz_field(&in), 45);
    built.family = cut(fuzz_field(&in), WR_FAMILY_NAME_MAX);
    built.vhost = fuzz_field(&in);
    while (built.nlines < (int)((flags >> 1) % (WR_EVENT_MAX_LINES + 1))
           && (s = fuzz_field(&in)) != NULL) {
        built.lines[built.nlines++] = s;
    }
    built.failure = (flags & 0x80) ? fuzz_field(&in) : NULL;
    {
        const char *a = built.address;
        int ok = a != NULL && *a != '\0' && built.family != NULL
                 && *built.family != '\0';
        const char *text;

        for (; ok && *a; a++) {
            ok = apr_isxdigit(*a) || *a == '.' || *a == ':';
        }
        rv = wr_event_dump(&built, &text, NULL, fuzz_ipool);
        if ((rv == APR_SUCCESS) != ok
            || (rv != APR_SUCCESS && rv != APR_EINVAL)) {
            fuzz_broken("wr_event_dump accepted or refused against its "
                        "contract", size);
        }
        if (ok) {
            round_trip(&built, 0, size);
        }
    }
    apr_pool_clear(fuzz_ipool);
    return 0;
}
