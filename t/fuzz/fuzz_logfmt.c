/* fuzz_logfmt.c - libFuzzer target over the access-log reader: the
 * LogFormat compiler (wr_logfmt_compile) and the line reader
 * (wr_logfmt_parse, wr_logfmt_parse_time)
 *
 * The input: byte 0 picks the format: 0-3 "auto", "common", "combined",
 * "vhost_combined"; anything else compiles the first NUL-terminated field
 * as a LogFormat string. The rest is log text, read line by line ('\n'
 * ends a line, as the report's reader cuts them). Byte 1 sets the size of
 * a second, small request buffer.
 *
 * Each line is parsed from a buffer of exactly its size (ASan sees a read
 * past `len`) into a request buffer that is never cut (reqsize = len + 1)
 * and into the small one (malloc'd to its exact size, so a write past
 * `reqsize` is caught). Besides what ASan and UBSan catch, the target
 * stops when the contract of wr_logfmt.h breaks:
 * - compiling fails without *err, or a compiled format has no spec;
 * - a status outside the enum; a NUL in a line not called binary; a line
 *   of WR_LOGFMT_LINE_MAX bytes not called too long;
 * - an accepted line's client or vhost outside the line, empty, or
 *   holding a blank or quote; a status other than -1 or 0..999; a time
 *   outside years 1970..9999 (give or take a day of offset); a request
 *   not NUL-terminated, longer than the line, or (in the small buffer)
 *   not a prefix of the whole one;
 * - the small buffer changing whether the line is read;
 * - a timestamp wr_logfmt_parse_time accepts not surviving being written
 *   back in UTC and read again.
 */
#include <stdint.h>

#include "fuzz-lib.h"
#include "wr_logfmt.h"

#define T_MIN (-86400LL)
#define T_MAX (253402300799LL + 86400LL)

static char *longline;  /* WR_LOGFMT_LINE_MAX bytes of 'a' */

/* within - [p, p+n) lies in [line, line+len) */
static int within(const char *p, size_t n, const char *line, size_t len)
{
    return p >= line && p <= line + len && n <= (size_t)(line + len - p);
}

/* check_time - a timestamp at the start of s, round-tripped in UTC */
static void check_time(const char *s, size_t n, size_t size)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    long long t, back;
    apr_time_exp_t x;
    char buf[32];

    if (n < 28 || wr_logfmt_parse_time(s, 28, &t) != 0) {
        return;
    }
    if (t < T_MIN || t > T_MAX) {
        fuzz_broken("wr_logfmt_parse_time: a time out of range", size);
    }
    apr_time_exp_gmt(&x, apr_time_from_sec(t));
    if (x.tm_year + 1900 < 1970 || x.tm_year + 1900 > 9999) {
        return;     /* a day of offset off the range: not writable */
    }
    apr_snprintf(buf, sizeof(buf), "[%02d/%.3s/%04d:%02d:%02d:%02d +0000]",
                 x.tm_mday, months + 3 * x.tm_mon, x.tm_year + 1900,
                 x.tm_hour, x.tm_min, x.tm_sec);
    if (wr_logfmt_parse_time(buf, 28, &back) != 0 || back != t) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "time %.28s read as %lld, "
                                 "written as %s, read back differently",
                                 s, t, buf), size);
    }
}

/* check_line - parse one line both ways and check the record */
static void check_line(wr_logfmt_t *fmt, const char *data, size_t len,
                       size_t small, size_t size)
{
    char *line = fuzz_copy(data, len);
    char *big = malloc(len + 1), *sm = malloc(small);
    wr_logrec_t rec, rec2;
    wr_logline_status_t st, st2;

    if (big == NULL || sm == NULL) {
        abort();
    }
    check_time(line, len, size);
    st = wr_logfmt_parse(fmt, line, len, big, len + 1, &rec);
    if ((unsigned)st >= WR_LOGLINE_NSTATUS) {
        fuzz_broken("a status outside the enum", size);
    }
    if (memchr(line, '\0', len) != NULL && st != WR_LOGLINE_BINARY) {
        fuzz_broken("a line with a NUL not called binary", size);
    }
    if (st == WR_LOGLINE_OK) {
        if (rec.client != NULL
            && (!within(rec.client, rec.client_len, line, len)
                || rec.client_len == 0
                || memchr(rec.client, ' ', rec.client_len)
                || memchr(rec.client, '"', rec.client_len))) {
            fuzz_broken("a client outside the line, empty or with a blank",
                        size);
        }
        if (rec.vhost != NULL
            && (!within(rec.vhost, rec.vhost_len, line, len)
                || rec.vhost_len == 0
                || memchr(rec.vhost, ' ', rec.vhost_len))) {
            fuzz_broken("a vhost outside the line, empty or with a blank",
                        size);
        }
        if (rec.status < -1 || rec.status > 999) {
            fuzz_broken("a status that is no HTTP status", size);
        }
        if (rec.has_time && (rec.time < T_MIN || rec.time > T_MAX)) {
            fuzz_broken("a time out of range", size);
        }
        if (rec.has_request
            && (rec.request != big || rec.request_len > len
                || big[rec.request_len] != '\0')) {
            fuzz_broken("a request not in the buffer, longer than the "
                        "line or not terminated", size);
        }
    }
    /* the same line into a small request buffer; "auto" remembers the
     * alternative that read the line, so it reads it the same way again */
    st2 = wr_logfmt_parse(fmt, line, len, sm, small, &rec2);
    if ((st == WR_LOGLINE_OK) != (st2 == WR_LOGLINE_OK)) {
        fuzz_broken("the request buffer's size changed whether a line is "
                    "read", size);
    }
    if (st2 == WR_LOGLINE_OK && rec2.has_request
        && (rec2.request_len >= small || sm[rec2.request_len] != '\0'
            || rec2.request_len > rec.request_len
            || memcmp(sm, big, rec2.request_len) != 0)) {
        fuzz_broken("a cut request is not a prefix of the whole one", size);
    }
    free(sm);
    free(big);
    free(line);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init("fuzz_logfmt");
    longline = malloc(WR_LOGFMT_LINE_MAX);
    if (longline == NULL) {
        abort();
    }
    memset(longline, 'a', WR_LOGFMT_LINE_MAX);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[4] = {
        "auto", "common", "combined", "vhost_combined"
    };
    fuzz_in_t in;
    wr_logfmt_t *fmt = NULL;
    const char *spec, *err = NULL, *s, *end;
    unsigned sel, small;
    apr_status_t rv;

    fuzz_in(&in, data, size);
    sel = fuzz_byte(&in);
    small = 1 + fuzz_byte(&in) % 64;
    spec = sel < 4 ? names[sel] : fuzz_field(&in);
    if (spec == NULL) {
        goto done;
    }
    rv = wr_logfmt_compile(&fmt, spec, fuzz_ipool, &err);
    if (rv != APR_SUCCESS) {
        if (rv != APR_EINVAL || err == NULL) {
            fuzz_broken("compile failed without APR_EINVAL and a reason",
                        size);
        }
        goto done;
    }
    if (wr_logfmt_spec(fmt) == NULL) {
        fuzz_broken("a compiled format without a spec", size);
    }
    s = in.s + in.pos;
    end = in.s + in.len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        check_line(fmt, s, n, small, size);
        s += n + 1;
    }
    if (sel & 0x80) {
        wr_logrec_t rec;
        char rb[8];
        if (wr_logfmt_parse(fmt, longline, WR_LOGFMT_LINE_MAX, rb,
                            sizeof(rb), &rec) != WR_LOGLINE_TOO_LONG) {
            fuzz_broken("a line of WR_LOGFMT_LINE_MAX bytes not too long",
                        size);
        }
    }
done:
    apr_pool_clear(fuzz_ipool);
    return 0;
}
