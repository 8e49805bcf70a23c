/* test_spool_record.c - the spool record codec: wr_event_dump to the
 * byte, wr_event_format against the writer it replaced, and what
 * wr_event_parse refuses (the spool itself: test_spool.c) */
#include <unistd.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "spool-test-lib.h"
#include "test-lib.h"
#include "wr_spool.h"
#include "wr_time.h"

static apr_pool_t *pool;

/* test_text_round_trip - an event's text: dumped, parsed and dumped
 * again to the same bytes, optional fields absent or present */
static void test_text_round_trip(void)
{
    wr_event_t ev, *got = NULL;
    const char *text, *text2;
    apr_size_t len, len2;

    sample(&ev, "192.0.2.10");
    /* The text itself. */
    wr_event_dump(&ev, &text, &len, pool);
    check(strncmp(text, "version: 1\n", 11) == 0, "version comes first");
    check(strstr(text, "\nfirst-seen: 2024-05-01T12:00:00.123456Z\n") != NULL,
          "times are UTC RFC 3339 with microseconds");
    check_int(wr_event_parse(text, len, &got, NULL, pool), APR_SUCCESS,
              "dump parses");
    wr_event_dump(got, &text2, &len2, pool);
    check_str(text2, text, "dump(parse(dump(ev))) == dump(ev)");

    ev.attempts = 4;
    ev.next_try = T0 + apr_time_from_sec(600);
    ev.vhost = NULL;
    ev.nlines = 0;
    wr_event_dump(&ev, &text, &len, pool);
    check_int(wr_event_parse(text, len, &got, NULL, pool), APR_SUCCESS,
              "event with attempts, next-try, no vhost, no lines");
    check_int(got->attempts, 4, "attempts survive");
    check_int(got->next_try, ev.next_try, "next-try survives");
    check_str(got->vhost, "", "missing vhost reads as empty");
    check_int(got->nlines, 0, "no request lines");
    check_int(got->source_port, 0, "no source port: 0");
    check(got->local_address == NULL && got->local_port == 0,
          "no local address and port");

    /* The connection, for the machine-readable notices. */
    ev.source_port = 40123;
    ev.local_address = "2001:db8::80";
    ev.local_port = 8080;
    wr_event_dump(&ev, &text, &len, pool);
    check(strstr(text, "\nsource-port: 40123\nlocal-address: 2001:db8::80"
                 "\nlocal-port: 8080\n") != NULL, "ports and local address "
          "written");
    got = NULL;
    check_int(wr_event_parse(text, len, &got, NULL, pool), APR_SUCCESS,
              "event with the connection parses");
    if (got != NULL) {
        check_int(got->source_port, 40123, "source port survives");
        check_str(got->local_address, "2001:db8::80", "local address "
                  "survives");
        check_int(got->local_port, 8080, "local port survives");
    }
    ev.local_address = "2001:db8::80\nfamily: x";
    check_int(wr_event_dump(&ev, &text, &len, pool), APR_EINVAL,
              "a local address that is not one is refused");
}

/* test_dump_exact - the record's text to the byte (numbers and times
 * are written by hand, not by apr_snprintf) */
static void test_dump_exact(void)
{
    wr_event_t ev;
    const char *text;
    apr_size_t len;

    memset(&ev, 0, sizeof(ev));
    ev.address = "2001:db8::7";
    ev.family = "codered";
    ev.vhost = "www";
    ev.source_port = 65535;
    ev.local_address = "127.0.0.1";
    ev.local_port = 8;
    /* 2024-02-29 23:59:59.000007 and 2000-03-01 00:00:00.999999 */
    ev.first_seen = apr_time_from_sec(APR_INT64_C(1709251199)) + 7;
    ev.last_seen = apr_time_from_sec(APR_INT64_C(951868800)) + 999999;
    ev.count = APR_UINT64_MAX;
    ev.attempts = 4294967295u;
    ev.next_try = apr_time_from_sec(APR_INT64_C(253402300799));
    ev.nlines = 1;
    ev.lines[0] = "GET /default.ida?NNNNNNNNNNNNNNNN%u9090=a HTTP/1.0";
    check_int(wr_event_dump(&ev, &text, &len, pool), APR_SUCCESS, "dump");
    check_str(text, "version: 1\naddress: 2001:db8::7\nfamily: codered\n"
              "vhost: www\nsource-port: 65535\nlocal-address: 127.0.0.1\n"
              "local-port: 8\nfirst-seen: 2024-02-29T23:59:59.000007Z\n"
              "last-seen: 2000-03-01T00:00:00.999999Z\n"
              "count: 18446744073709551615\nattempts: 4294967295\n"
              "next-try: 9999-12-31T23:59:59.000000Z\n"
              "request: GET /default.ida?NNNNNNNNNNNNNNNN%u9090=a HTTP/1.0\n",
              "dump: every field to the byte");
    ev.last_seen = ev.first_seen;
    ev.count = 1;
    ev.attempts = 0;
    ev.next_try = 0;
    check_int(wr_event_dump(&ev, &text, &len, pool), APR_SUCCESS,
              "dump: a fresh event");
    check(strstr(text, "first-seen: 2024-02-29T23:59:59.000007Z\nlast-seen: "
                       "2024-02-29T23:59:59.000007Z\ncount: 1\nrequest: ")
          != NULL, "dump: its two times the same, count 1");
}

/* ---- wr_event_format against the writer it replaced ------------------ */

/* The record writer as it was before wr_event_format (put_line, one
 * validated put per line into a worst-case buffer), kept here as the
 * reference: the one-pass writer must produce the same bytes, since the
 * notifier, "wormreply queue" and t/cli_planted.t read them. */
static void ref_value(char *b, apr_size_t *len, const char *val)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)val;
    apr_size_t o, full = 0, room;

    if (val == NULL) {
        return;
    }
    for (o = 0; s[o] && full <= WR_SPOOL_VALUE_MAX; o++) {
        full += (s[o] < 0x20 || s[o] >= 0x7f) ? 4 : 1;
    }
    room = full <= WR_SPOOL_VALUE_MAX ? WR_SPOOL_VALUE_MAX
                                      : WR_SPOOL_VALUE_MAX - 3;
    for (o = 0; *s; s++) {
        apr_size_t need = (*s < 0x20 || *s >= 0x7f) ? 4 : 1;
        if (o + need > room) {
            memcpy(b + *len + o, "...", 3);
            o += 3;
            break;
        }
        if (need == 4) {
            b[*len + o] = '\\';
            b[*len + o + 1] = 'x';
            b[*len + o + 2] = hex[*s >> 4];
            b[*len + o + 3] = hex[*s & 15];
        }
        else {
            b[*len + o] = (char)*s;
        }
        o += need;
    }
    *len += o;
}

static void ref_line(char *b, apr_size_t *len, const char *key,
                     const char *val)
{
    apr_size_t klen = strlen(key);

    memcpy(b + *len, key, klen);
    memcpy(b + *len + klen, ": ", 2);
    *len += klen + 2;
    ref_value(b, len, val);
    b[(*len)++] = '\n';
}

static int ref_address_ok(const char *s)
{
    for (; *s; s++) {
        if (!apr_isxdigit(*s) && *s != '.' && *s != ':') {
            return 0;
        }
    }
    return 1;
}

static int ref_decision_ok(const char *s)
{
    if (*s == '\0' || strlen(s) > 32) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_islower(*s) && *s != '-') {
            return 0;
        }
    }
    return 1;
}

/* ref_dump - the old wr_event_dump; NULL for an event it refused */
static const char *ref_dump(const wr_event_t *ev, apr_size_t *plen)
{
    char *b, tbuf[64], nbuf[32];
    apr_size_t len = 0;
    int i;

    if (ev->address == NULL || ev->address[0] == '\0'
        || !ref_address_ok(ev->address) || ev->family == NULL
        || ev->family[0] == '\0' || ev->nlines < 0
        || ev->nlines > WR_EVENT_MAX_LINES) {
        return NULL;
    }
    b = apr_palloc(pool, (18 + WR_EVENT_MAX_LINES)
                         * (16 + WR_SPOOL_VALUE_MAX));
    ref_line(b, &len, "version", "1");
    ref_line(b, &len, "address", ev->address);
    ref_line(b, &len, "family", ev->family);
    ref_line(b, &len, "vhost", ev->vhost);
    if (ev->source_port > 0) {
        apr_snprintf(nbuf, sizeof(nbuf), "%u", (unsigned)ev->source_port);
        ref_line(b, &len, "source-port", nbuf);
    }
    if (ev->local_address != NULL && ev->local_address[0] != '\0') {
        if (!ref_address_ok(ev->local_address)) {
            return NULL;
        }
        ref_line(b, &len, "local-address", ev->local_address);
    }
    if (ev->local_port > 0) {
        apr_snprintf(nbuf, sizeof(nbuf), "%u", (unsigned)ev->local_port);
        ref_line(b, &len, "local-port", nbuf);
    }
    ref_line(b, &len, "first-seen", wr_time_format(tbuf, sizeof(tbuf),
             WR_TIME_RFC3339_USEC, ev->first_seen));
    ref_line(b, &len, "last-seen", wr_time_format(tbuf, sizeof(tbuf),
             WR_TIME_RFC3339_USEC, ev->last_seen));
    apr_snprintf(nbuf, sizeof(nbuf), "%" APR_UINT64_T_FMT, ev->count);
    ref_line(b, &len, "count", nbuf);
    if (ev->attempts > 0) {
        apr_snprintf(nbuf, sizeof(nbuf), "%u", (unsigned)ev->attempts);
        ref_line(b, &len, "attempts", nbuf);
    }
    if (ev->next_try > 0) {
        ref_line(b, &len, "next-try", wr_time_format(tbuf, sizeof(tbuf),
                 WR_TIME_RFC3339_USEC, ev->next_try));
    }
    for (i = 0; i < ev->nlines; i++) {
        ref_line(b, &len, "request", ev->lines[i]);
    }
    if (ev->failure != NULL) {
        ref_line(b, &len, "failure", ev->failure);
    }
    if (ev->decision != NULL) {
        if (!ref_decision_ok(ev->decision)) {
            return NULL;
        }
        ref_line(b, &len, "decision", ev->decision);
    }
    if (ev->reason != NULL) {
        ref_line(b, &len, "reason", ev->reason);
    }
    if (ev->due > 0) {
        ref_line(b, &len, "due", wr_time_format(tbuf, sizeof(tbuf),
                 WR_TIME_RFC3339_USEC, ev->due));
    }
    b[len] = '\0';
    *plen = len;
    return b;
}

/* rnd - a small deterministic generator (xorshift64), so that a failure
 * can be replayed */
static apr_uint64_t rnd_state = 88172645463325252ULL;
static apr_uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* rnd_value - a value of a length around the interesting edges (0, 1,
 * 7-9, 15-17, 31-33, the cut at WR_SPOOL_VALUE_MAX), mostly printable,
 * sometimes with a control, DEL or high byte at a random place; NULL now
 * and then */
static const char *rnd_value(int nullable)
{
    static const apr_size_t edges[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 31,
                                       32, 33, 100, 401, 511, 512, 513,
                                       WR_SPOOL_VALUE_MAX / 4 - 1,
                                       WR_SPOOL_VALUE_MAX / 4,
                                       WR_SPOOL_VALUE_MAX / 4 + 1,
                                       WR_SPOOL_VALUE_MAX - 3,
                                       WR_SPOOL_VALUE_MAX - 1,
                                       WR_SPOOL_VALUE_MAX,
                                       WR_SPOOL_VALUE_MAX + 1,
                                       WR_SPOOL_VALUE_MAX + 2, 3000};
    apr_size_t n, i;
    char *v;

    if (nullable && rnd() % 8 == 0) {
        return NULL;
    }
    n = rnd() % 3 == 0 ? rnd() % 64
                       : edges[rnd() % (sizeof(edges) / sizeof(edges[0]))];
    v = apr_palloc(pool, n + 1);
    for (i = 0; i < n; i++) {
        v[i] = (char)(0x20 + rnd() % 95);
    }
    switch (rnd() % 6) {
    case 0:
        if (n > 0) {
            static const unsigned char odd[] = {0x01, 0x1f, 0x7f, 0x80,
                                                0xff, '\t', '\n', '\r'};
            v[rnd() % n] = (char)odd[rnd() % sizeof(odd)];
        }
        break;
    case 1:
        if (n > 0) {
            v[n - 1] = (char)0x7f;   /* the last byte, after a full step */
        }
        break;
    default:
        break;
    }
    v[n] = '\0';
    return v;
}

/* same_as_ref - wr_event_format and wr_event_dump give ref_dump's bytes,
 * or refuse what it refused; a buffer one byte short gives APR_ENOSPC
 * and nothing is written past any buffer's end */
static int same_as_ref(const wr_event_t *ev, const char *what)
{
    apr_size_t rlen = 0, len = 0, size;
    const char *want = ref_dump(ev, &rlen), *text = NULL;
    apr_status_t rv = wr_event_dump(ev, &text, &len, pool);
    char *buf;
    int ok = 1;

    if (want == NULL) {
        return check_int(rv, APR_EINVAL, "%s: refused as before", what)
               && check_int(wr_event_format(ev, NULL, 0, &len), APR_EINVAL,
                            "%s: format refuses it too", what);
    }
    ok &= rv == APR_SUCCESS && len == rlen && !memcmp(text, want, rlen + 1);
    /* the exact size, the stack buffer's, and sizes just short */
    for (size = rlen + 1 + 64; ok && size + 64 > rlen + 1; size--) {
        apr_size_t got = 0;
        buf = apr_palloc(pool, size + 16);
        memset(buf + size, 0x5a, 16);
        rv = wr_event_format(ev, buf, size, &got);
        if (size < rlen + 1) {
            ok &= rv == APR_ENOSPC;
        }
        else if (rv == APR_SUCCESS) {
            ok &= got == rlen && !memcmp(buf, want, rlen + 1);
        }
        else {
            /* an escaped value asks for room for the longest one */
            ok &= rv == APR_ENOSPC;
        }
        ok &= buf[size] == 0x5a && buf[size + 15] == 0x5a;
        if (size == 0) {
            break;
        }
    }
    return check(ok, "%s: the same %lu bytes as the old writer", what,
                 (unsigned long)rlen);
}

static void test_format_same(void)
{
    wr_event_t ev;
    char *buf;
    apr_size_t len = 0;
    int k, fails = 0;

    /* the request path's event: fits on the stack, the same bytes */
    memset(&ev, 0, sizeof(ev));
    ev.address = "2001:db8:1::7d0";
    ev.family = "codered";
    ev.vhost = "bench.localhost";
    ev.local_address = "127.0.0.1";
    ev.local_port = 18110;
    ev.first_seen = ev.last_seen = T0;
    ev.count = 1;
    ev.nlines = 1;
    ev.lines[0] = "GET /default.ida?NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN"
                  "%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801%u9090"
                  "%u9090%u8190%u00c3%u0003%u8b00%u531b%u53ff%u0078%u0000%u00"
                  "=a HTTP/1.0";
    same_as_ref(&ev, "a Code Red first sighting");
    buf = apr_palloc(pool, WR_EVENT_STACK_SIZE);
    check_int(wr_event_format(&ev, buf, WR_EVENT_STACK_SIZE, &len),
              APR_SUCCESS, "it fits in WR_EVENT_STACK_SIZE");
    /* the longest request line, family and vhost still fit */
    ev.family = rnd_value(0);
    ev.vhost = ev.lines[0] = apr_pstrcat(pool, "\x01", rnd_value(0), NULL);
    check(wr_event_format(&ev, buf, WR_EVENT_STACK_SIZE, &len)
          != APR_EINVAL, "long values: no refusal");
    /* a bad address, a bad local address, a bad decision: refused */
    ev.address = "2001:db8::1 ";
    same_as_ref(&ev, "a space in the address");
    ev.address = "192.0.2.1";
    ev.local_address = "127.0.0.1/8";
    same_as_ref(&ev, "a slash in the local address");
    ev.local_address = NULL;
    ev.decision = "Held";
    same_as_ref(&ev, "a decision in capitals");
    ev.decision = NULL;
    ev.nlines = WR_EVENT_MAX_LINES + 1;
    same_as_ref(&ev, "too many lines");

    /* random events: every field, every length edge */
    for (k = 0; k < 400; k++) {
        int i;
        memset(&ev, 0, sizeof(ev));
        ev.address = rnd() % 2 ? "192.0.2.1" : "2001:DB8::a:B:c";
        ev.family = rnd_value(0);
        if (ev.family[0] == '\0') {
            ev.family = "x";
        }
        ev.vhost = rnd_value(1);
        ev.source_port = (apr_uint16_t)(rnd() % 3 ? 0 : rnd());
        ev.local_address = rnd() % 2 ? NULL : rnd() % 2 ? "" : "::1";
        ev.local_port = (apr_uint16_t)(rnd() % 3 ? 0 : rnd());
        ev.first_seen = (apr_time_t)(rnd() % APR_INT64_C(253402300799000000));
        ev.last_seen = rnd() % 2 ? ev.first_seen
                                 : ev.first_seen + (apr_time_t)(rnd() % 1000);
        ev.count = rnd() % 2 ? 1 : rnd();
        ev.attempts = (apr_uint32_t)(rnd() % 2 ? 0 : rnd());
        ev.next_try = rnd() % 2 ? 0 : (apr_time_t)(rnd() % (APR_INT64_C(1) << 50));
        ev.nlines = (int)(rnd() % (WR_EVENT_MAX_LINES + 1));
        for (i = 0; i < ev.nlines; i++) {
            ev.lines[i] = rnd_value(1);
        }
        ev.failure = rnd() % 4 ? NULL : rnd_value(0);
        ev.decision = rnd() % 4 ? NULL : rnd() % 2 ? "held" : "backoff";
        ev.reason = rnd() % 4 ? NULL : rnd_value(0);
        ev.due = rnd() % 4 ? 0 : (apr_time_t)(rnd() % (APR_INT64_C(1) << 52));
        fails += !same_as_ref(&ev, apr_psprintf(pool, "random event %d", k));
        if (fails > 5) {
            break;
        }
    }
}

/* bad_record - wr_event_parse refuses `text` with an explanation */
static void bad_record(const char *text, apr_size_t len, const char *what)
{
    wr_event_t *ev = NULL;
    const char *err = NULL;

    check_int(wr_event_parse(text, len, &ev, &err, pool), APR_EINVAL,
              "refused: %s", what);
    check(err != NULL && *err != '\0' && ev == NULL,
          "error says why (%s): %s", what, err ? err : "(none)");
}

#define OKHEAD "version: 1\naddress: 192.0.2.1\nfamily: nimda\n" \
               "first-seen: 2024-05-01T12:00:00.000000Z\n" \
               "last-seen: 2024-05-01T12:00:00.000000Z\n"
#define BAD(s, what) bad_record(s, sizeof(s) - 1, what)

static void test_malformed(void)
{
    const char *err = NULL;
    wr_event_t *ev = NULL;
    char *big;
    static const char withnul[] = OKHEAD "count: 1\nvhost: a\0b\n";
    static const char seven[] = OKHEAD "count: 1\n"
        "request: 1\nrequest: 2\nrequest: 3\nrequest: 4\nrequest: 5\n"
        "request: 6\n";

    check_int(wr_event_parse(OKHEAD "count: 1\n", sizeof(OKHEAD) + 8, &ev,
                             &err, pool), APR_SUCCESS,
              "the minimal record parses");
    BAD("", "empty record");
    BAD("version: 2\naddress: 192.0.2.1\nfamily: x\n", "version 2");
    BAD("version: 10\n", "version 10");
    BAD(OKHEAD "count: 1\nsource-port: 0\n", "source port 0");
    BAD(OKHEAD "count: 1\nlocal-port: 65536\n", "local port 65536");
    BAD(OKHEAD "count: 1\nlocal-port: 80\nlocal-port: 81\n",
        "repeated local port");
    BAD(OKHEAD "count: 1\nlocal-address: example.org\n",
        "local address that is not an address");
    BAD("version:1\n", "no space after colon");
    BAD("version: 1", "no final LF");
    BAD("address: 192.0.2.1\nversion: 1\n", "version not first");
    BAD(OKHEAD, "missing count");
    BAD("version: 1\nfamily: x\nfirst-seen: 2024-05-01T12:00:00.000000Z\n"
        "last-seen: 2024-05-01T12:00:00.000000Z\ncount: 1\n",
        "missing address");
    BAD(OKHEAD "count: 1\ncount: 2\n", "repeated key");
    BAD(OKHEAD "count: 1\ncolour: blue\n", "unknown key");
    BAD(OKHEAD "count: x1\n", "count not a number");
    BAD(OKHEAD "count: 123456789012345678901\n", "count too long");
    BAD(OKHEAD "count: 18446744073709551616\n", "count over 64 bits");
    /* found by t/fuzz/fuzz_spool: a 20-digit count was written, then
     * refused on load */
    ev = NULL;
    check_int(wr_event_parse(OKHEAD "count: 18446744073709551615\n",
                             sizeof(OKHEAD) + 27, &ev, &err, pool),
              APR_SUCCESS, "the largest count loads");
    check(ev != NULL && ev->count == APR_UINT64_MAX, "... as itself");
    BAD(OKHEAD "count: 1\nattempts: 99999999999\n", "attempts over 32 bits");
    BAD(OKHEAD "count: -1\n", "negative count");
    BAD(OKHEAD "count: 1\nno colon here\n", "line without colon");
    BAD(OKHEAD "count: 1\n\n", "empty line");
    BAD(OKHEAD "count: 1\nvhost: caf\xc3\xa9\n", "8-bit byte in a value");
    BAD(OKHEAD "count: 1\nvhost: a\rb\n", "CR in a value");
    bad_record(withnul, sizeof(withnul) - 1, "NUL byte");
    bad_record(seven, sizeof(seven) - 1, "six request lines");
    BAD("version: 1\naddress: 192.0.2.1\nfamily: nimda\n"
        "first-seen: 2024-05-01 12:00:00\n"
        "last-seen: 2024-05-01T12:00:00.000000Z\ncount: 1\n", "bad time");
    BAD("version: 1\naddress: 192.0.2.1\nfamily: nimda\n"
        "first-seen: 2024-13-01T12:00:00.000000Z\n"
        "last-seen: 2024-05-01T12:00:00.000000Z\ncount: 1\n", "month 13");
    BAD("version: 1\naddress: 192.0.2.1\nfamily: nimda\n"
        "first-seen: 2024-05-01T12:00:01.000000Z\n"
        "last-seen: 2024-05-01T12:00:00.000000Z\ncount: 1\n",
        "last-seen before first-seen");
    BAD("version: 1\naddress: 192.0.2.1/../x\nfamily: nimda\n", "address");
    BAD("version: 1\naddress: \nfamily: nimda\n", "empty address");
    BAD(OKHEAD "count: 1\ndecision: held now\n", "a decision of two words");
    big = apr_palloc(pool, WR_SPOOL_RECORD_MAX + 100);
    memset(big, 'a', WR_SPOOL_RECORD_MAX + 99);
    memcpy(big, OKHEAD "count: 1\nvhost: ", sizeof(OKHEAD) + 15);
    big[WR_SPOOL_RECORD_MAX + 99] = '\n';
    bad_record(big, WR_SPOOL_RECORD_MAX + 100, "record over the maximum");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    alarm(120);     /* the whole test, whatever happens */
    test_text_round_trip();
    test_dump_exact();
    test_format_same();
    test_malformed();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
