/* wr_spool_record.c - the spool's record codec: a wr_event_t to its
 * record text and back (see wr_spool.h for the format). The request path
 * formats a first sighting's record here (wr_event_format), in one pass
 * on its stack; wr_spool.c keeps the directories and the queue.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "wr_spool.h"
#include "wr_spool_int.h"
#include "wr_time.h"

/* copy_printable - copy the `n` bytes at `s` to `d` if every one is
 * printable ASCII (0x20-0x7e): 1 if so, 0 (d partly written) if not. The
 * check and the copy are one pass, sixteen bytes a step with SSE2 (every
 * x86-64 has it), else eight (the word tests of "Bit Twiddling Hacks":
 * has a byte less than, more than); the last step overlaps the one before
 * it instead of going byte by byte. Never reads or writes past `n`. A
 * first sighting's request line is hundreds of bytes, in the request
 * path. */
static int copy_printable(char *d, const unsigned char *s, apr_size_t n)
{
#define WR_ONES (~(apr_uint64_t)0 / 255)
#define WR_BAD8(w) ((((w) - WR_ONES * 0x20) & ~(w)) \
                    | (((w) + WR_ONES * (127 - 0x7e)) | (w)))
    apr_size_t o;

#if defined(__SSE2__)
    if (n >= 16) {
        /* x + 1 as a signed byte is below 0x21 exactly when x is below
         * 0x20, 0x7f or 0x80 and up: one add, one compare */
        const __m128i one = _mm_set1_epi8(1), lim = _mm_set1_epi8(0x21);
        __m128i v;

        for (o = 0; o + 16 <= n; o += 16) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s + o));
            if (_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(v, one),
                                                 lim))) {
                return 0;
            }
            _mm_storeu_si128((__m128i *)(void *)(d + o), v);
        }
        if (o < n) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
            if (_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(v, one),
                                                 lim))) {
                return 0;
            }
            _mm_storeu_si128((__m128i *)(void *)(d + n - 16), v);
        }
        return 1;
    }
#endif
    if (n >= 8) {
        apr_uint64_t w;

        for (o = 0; o + 8 <= n; o += 8) {
            memcpy(&w, s + o, 8);
            if (WR_BAD8(w) & (WR_ONES * 0x80)) {
                return 0;
            }
            memcpy(d + o, &w, 8);
        }
        if (o < n) {
            memcpy(&w, s + n - 8, 8);
            if (WR_BAD8(w) & (WR_ONES * 0x80)) {
                return 0;
            }
            memcpy(d + n - 8, &w, 8);
        }
        return 1;
    }
    for (o = 0; o < n; o++) {
        if (s[o] < 0x20 || s[o] >= 0x7f) {
            return 0;
        }
        d[o] = (char)s[o];
    }
    return 1;
#undef WR_BAD8
#undef WR_ONES
}

/* escape_value - `n` bytes of `s` escaped and cut as wr_spool.h says, at
 * `d` (room for WR_SPOOL_VALUE_MAX); @return the bytes written */
static apr_size_t escape_value(char *d, const unsigned char *s)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t o, full = 0, room;

    for (o = 0; s[o] && full <= WR_SPOOL_VALUE_MAX; o++) {
        full += (s[o] < 0x20 || s[o] >= 0x7f) ? 4 : 1;
    }
    room = full <= WR_SPOOL_VALUE_MAX ? WR_SPOOL_VALUE_MAX
                                      : WR_SPOOL_VALUE_MAX - 3;
    for (o = 0; *s; s++) {
        apr_size_t need = (*s < 0x20 || *s >= 0x7f) ? 4 : 1;
        if (o + need > room) {
            memcpy(d + o, "...", 3);
            o += 3;
            break;
        }
        if (need == 4) {
            d[o] = '\\';
            d[o + 1] = 'x';
            d[o + 2] = hex[*s >> 4];
            d[o + 3] = hex[*s & 15];
        }
        else {
            d[o] = (char)*s;
        }
        o += need;
    }
    return o;
}

/* The record being written: wr_event_format's buffer, filled line by
 * line in one pass. Each line is checked for room before it is written
 * (its key, ": ", its value, LF, and the final NUL). */
typedef struct {
    char *b;
    apr_size_t len, size;
} rec_t;

/* Inlined into wr_event_format, whose keys are constants: their copies
 * become a move or two instead of a call to memcpy. */
#if defined(__GNUC__)
#define WR_INLINE static inline __attribute__((always_inline))
#else
#define WR_INLINE static inline
#endif

/* fits - whether `n` more bytes and the final NUL fit */
WR_INLINE int fits(const rec_t *r, apr_size_t n)
{
    return r->size - r->len > n;
}

/* put_key - "key: " (klen bytes of key), if `vmax` value bytes and the LF
 * fit after it */
WR_INLINE int put_key(rec_t *r, const char *key, apr_size_t klen,
                   apr_size_t vmax)
{
    if (!fits(r, klen + 2 + vmax + 1)) {
        return 0;
    }
    memcpy(r->b + r->len, key, klen);
    r->b[r->len + klen] = ':';
    r->b[r->len + klen + 1] = ' ';
    r->len += klen + 2;
    return 1;
}

/* put_raw - `n` bytes as they are (a whole constant line) */
WR_INLINE int put_raw(rec_t *r, const char *line, apr_size_t n)
{
    if (!fits(r, n)) {
        return 0;
    }
    memcpy(r->b + r->len, line, n);
    r->len += n;
    return 1;
}

/* put_text - "key: value\n" with the value escaped and cut as wr_spool.h
 * says; a value that fits is written whole, so that writing a loaded
 * record again changes nothing. The usual value is printable ASCII and
 * short: checked and copied in one pass. */
WR_INLINE int put_text(rec_t *r, const char *key, apr_size_t klen,
                    const char *val)
{
    apr_size_t n = val ? strnlen(val, WR_SPOOL_VALUE_MAX + 1) : 0;

    if (n <= WR_SPOOL_VALUE_MAX) {
        if (!put_key(r, key, klen, n)) {
            return 0;
        }
        if (copy_printable(r->b + r->len, (const unsigned char *)val, n)) {
            r->len += n;
            r->b[r->len++] = '\n';
            return 1;
        }
        r->len -= klen + 2;
    }
    if (!put_key(r, key, klen, WR_SPOOL_VALUE_MAX)) {
        return 0;
    }
    r->len += escape_value(r->b + r->len, (const unsigned char *)val);
    r->b[r->len++] = '\n';
    return 1;
}

/* put_num - "key: <decimal>\n" */
WR_INLINE int put_num(rec_t *r, const char *key, apr_size_t klen,
                   apr_uint64_t v)
{
    if (!put_key(r, key, klen, 20)) {
        return 0;
    }
    r->len += put_dec(r->b + r->len, v, 1);
    r->b[r->len++] = '\n';
    return 1;
}

/* put_time - "key: <RFC 3339 with microseconds>\n", formatted in place
 * (printable ASCII and short: nothing to escape or cut); a time equal to
 * `prev` (formatted at prev_at, prev_len bytes) is copied from there, as
 * a fresh event's last-seen is its first-seen. *at and *tlen (may be NULL)
 * get where this one's text is. */
WR_INLINE int put_time(rec_t *r, const char *key, apr_size_t klen,
                    apr_time_t t, apr_time_t prev, apr_size_t prev_at,
                    apr_size_t prev_len, apr_size_t *at, apr_size_t *tlen)
{
    apr_size_t n;

    if (!put_key(r, key, klen, WR_TIME_SIZE)) {
        return 0;
    }
    if (prev_len > 0 && t == prev) {
        memmove(r->b + r->len, r->b + prev_at, prev_len);
        n = prev_len;
    }
    else {
        wr_time_format(r->b + r->len, WR_TIME_SIZE, WR_TIME_RFC3339_USEC,
                       t);
        n = strlen(r->b + r->len);
    }
    if (at != NULL) {
        *at = r->len;
        *tlen = n;
    }
    r->len += n;
    r->b[r->len++] = '\n';
    return 1;
}

/* address_ok - characters of a textual IPv4/IPv6 address (hex digits,
 * "." and ":"; no locale, no call a byte) */
static int address_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s, l = c | 0x20;
        if (!((c >= '0' && c <= ':') || c == '.' || (l >= 'a' && l <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* decision_ok - one word of [a-z-], as the notifier writes */
static int decision_ok(const char *s)
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

/* KEY - a key and its length, known at compile time */
#define KEY(k) k, sizeof(k) - 1

apr_status_t wr_event_format(const wr_event_t *ev, char *buf,
                             apr_size_t size, apr_size_t *plen)
{
    rec_t r;
    apr_size_t t_at = 0, t_len = 0;
    int i, ok;

    if (ev->address == NULL || ev->address[0] == '\0'
        || !address_ok(ev->address) || ev->family == NULL
        || ev->family[0] == '\0' || ev->nlines < 0
        || ev->nlines > WR_EVENT_MAX_LINES
        || (ev->local_address != NULL && ev->local_address[0] != '\0'
            && !address_ok(ev->local_address))
        || (ev->decision != NULL && !decision_ok(ev->decision))) {
        return APR_EINVAL;
    }
    r.b = buf;
    r.len = 0;
    r.size = size;
    ok = put_raw(&r, KEY("version: 1\n"))
         && put_text(&r, KEY("address"), ev->address)
         && put_text(&r, KEY("family"), ev->family)
         && put_text(&r, KEY("vhost"), ev->vhost)
         && (ev->source_port == 0
             || put_num(&r, KEY("source-port"), ev->source_port))
         && (ev->local_address == NULL || ev->local_address[0] == '\0'
             || put_text(&r, KEY("local-address"), ev->local_address))
         && (ev->local_port == 0
             || put_num(&r, KEY("local-port"), ev->local_port))
         && put_time(&r, KEY("first-seen"), ev->first_seen, 0, 0, 0, &t_at,
                     &t_len)
         && put_time(&r, KEY("last-seen"), ev->last_seen, ev->first_seen,
                     t_at, t_len, NULL, NULL)
         && put_num(&r, KEY("count"), ev->count)
         && (ev->attempts == 0
             || put_num(&r, KEY("attempts"), ev->attempts))
         && (ev->next_try <= 0
             || put_time(&r, KEY("next-try"), ev->next_try, 0, 0, 0, NULL,
                         NULL));
    for (i = 0; ok && i < ev->nlines; i++) {
        ok = put_text(&r, KEY("request"), ev->lines[i]);
    }
    ok = ok
         && (ev->failure == NULL
             || put_text(&r, KEY("failure"), ev->failure))
         && (ev->decision == NULL
             || put_text(&r, KEY("decision"), ev->decision))
         && (ev->reason == NULL
             || put_text(&r, KEY("reason"), ev->reason))
         && (ev->due <= 0
             || put_time(&r, KEY("due"), ev->due, 0, 0, 0, NULL, NULL));
    if (!ok) {
        return APR_ENOSPC;
    }
    r.b[r.len] = '\0';
    if (plen != NULL) {
        *plen = r.len;
    }
    return APR_SUCCESS;
}

apr_status_t wr_event_dump(const wr_event_t *ev, const char **text,
                           apr_size_t *plen, apr_pool_t *p)
{
    /* Every line is at most key + ": " + value + LF: sized for the worst
     * case rather than grown */
    apr_size_t size = (18 + WR_EVENT_MAX_LINES) * (16 + WR_SPOOL_VALUE_MAX);
    char *b = apr_palloc(p, size);
    apr_status_t rv = wr_event_format(ev, b, size, plen);

    if (rv == APR_SUCCESS) {
        *text = b;
    }
    return rv;
}

/* parse_u64 - a decimal number, nothing else, up to APR_UINT64_MAX (the
 * writer's range: a 20-digit count used to be written and then refused,
 * found by t/fuzz/fuzz_spool) */
static apr_status_t parse_u64(const char *s, apr_uint64_t *v)
{
    apr_uint64_t r = 0;

    if (*s == '\0' || strlen(s) > 20) {
        return APR_EINVAL;
    }
    for (; *s; s++) {
        if (!apr_isdigit(*s)
            || r > (APR_UINT64_MAX - (apr_uint64_t)(*s - '0')) / 10) {
            return APR_EINVAL;
        }
        r = r * 10 + (apr_uint64_t)(*s - '0');
    }
    *v = r;
    return APR_SUCCESS;
}

/* value_ok - printable ASCII only, as put_text writes */
static int value_ok(const char *s, apr_size_t len)
{
    apr_size_t i;

    if (len > WR_SPOOL_VALUE_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

enum { K_VERSION, K_ADDRESS, K_FAMILY, K_VHOST, K_FIRST, K_LAST, K_COUNT,
       K_ATTEMPTS, K_NEXT, K_REQUEST, K_FAILURE, K_SPORT, K_LADDR, K_LPORT,
       K_DECISION, K_REASON, K_DUE, K_MAX };

static const char *const keys[K_MAX] = {
    "version", "address", "family", "vhost", "first-seen", "last-seen",
    "count", "attempts", "next-try", "request", "failure", "source-port",
    "local-address", "local-port", "decision", "reason", "due"
};

apr_status_t wr_event_parse(const char *buf, apr_size_t len,
                            wr_event_t **pev, const char **err,
                            apr_pool_t *p)
{
    wr_event_t *ev;
    int seen[K_MAX] = { 0 };
    int lineno = 0, k;
    apr_size_t pos = 0;
    const char *why = NULL;
    apr_uint64_t n;

    ev = apr_pcalloc(p, sizeof(*ev));
    if (len > WR_SPOOL_RECORD_MAX) {
        why = "record too large";
        goto leave;
    }
    if (len == 0 || buf[len - 1] != '\n') {
        why = "record does not end with a complete line";
        goto leave;
    }
    if (memchr(buf, '\0', len) != NULL) {
        why = "NUL byte in record";
        goto leave;
    }
    while (pos < len) {
        const char *line = buf + pos, *eol, *colon;
        char *key, *val;
        apr_size_t llen;

        eol = memchr(line, '\n', len - pos);
        llen = (apr_size_t)(eol - line);
        pos += llen + 1;
        lineno++;
        colon = memchr(line, ':', llen);
        if (colon == NULL || colon + 1 >= eol || colon[1] != ' ') {
            why = apr_psprintf(p, "line %d: not 'key: value'", lineno);
            goto leave;
        }
        key = apr_pstrmemdup(p, line, (apr_size_t)(colon - line));
        val = apr_pstrmemdup(p, colon + 2, (apr_size_t)(eol - colon - 2));
        if (!value_ok(val, (apr_size_t)(eol - colon - 2))) {
            why = apr_psprintf(p, "line %d: bad bytes or length in value",
                               lineno);
            goto leave;
        }
        k = 0;
        while (k < K_MAX && strcmp(key, keys[k]) != 0) {
            k++;
        }
        if (k == K_MAX) {
            why = apr_psprintf(p, "line %d: unknown key '%.40s'", lineno,
                               value_ok(key, strlen(key)) ? key : "?");
            goto leave;
        }
        if (lineno == 1 && k != K_VERSION) {
            why = "line 1: 'version' must come first";
            goto leave;
        }
        if (seen[k] && k != K_REQUEST) {
            why = apr_psprintf(p, "line %d: repeated key '%s'", lineno,
                               keys[k]);
            goto leave;
        }
        seen[k]++;
        switch (k) {
        case K_VERSION:
            if (strcmp(val, "1") != 0) {
                why = apr_psprintf(p, "unknown record version '%.20s'", val);
                goto leave;
            }
            break;
        case K_ADDRESS:
            if (*val == '\0' || !address_ok(val)) {
                why = apr_psprintf(p, "line %d: bad address", lineno);
                goto leave;
            }
            ev->address = val;
            break;
        case K_FAMILY:
            if (*val == '\0') {
                why = apr_psprintf(p, "line %d: empty family", lineno);
                goto leave;
            }
            ev->family = val;
            break;
        case K_VHOST:
            ev->vhost = val;
            break;
        case K_FIRST:
        case K_LAST:
        case K_NEXT:
        case K_DUE:
            if (wr_time_parse(val, WR_TIME_RFC3339_USEC,
                              k == K_FIRST ? &ev->first_seen
                              : k == K_LAST ? &ev->last_seen
                              : k == K_NEXT ? &ev->next_try
                              : &ev->due) != APR_SUCCESS) {
                why = apr_psprintf(p, "line %d: bad time '%.40s'", lineno,
                                   val);
                goto leave;
            }
            break;
        case K_COUNT:
        case K_ATTEMPTS:
            if (parse_u64(val, &n) != APR_SUCCESS
                || (k == K_ATTEMPTS && n > APR_UINT32_MAX)) {
                why = apr_psprintf(p, "line %d: bad number '%.40s'", lineno,
                                   val);
                goto leave;
            }
            if (k == K_COUNT) {
                ev->count = n;
            }
            else {
                ev->attempts = (apr_uint32_t)n;
            }
            break;
        case K_SPORT:
        case K_LPORT:
            if (parse_u64(val, &n) != APR_SUCCESS || n == 0 || n > 65535) {
                why = apr_psprintf(p, "line %d: bad port '%.40s'", lineno,
                                   val);
                goto leave;
            }
            if (k == K_SPORT) {
                ev->source_port = (apr_uint16_t)n;
            }
            else {
                ev->local_port = (apr_uint16_t)n;
            }
            break;
        case K_LADDR:
            if (*val == '\0' || !address_ok(val)) {
                why = apr_psprintf(p, "line %d: bad local address", lineno);
                goto leave;
            }
            ev->local_address = val;
            break;
        case K_REQUEST:
            if (ev->nlines == WR_EVENT_MAX_LINES) {
                why = apr_psprintf(p, "line %d: more than %d request lines",
                                   lineno, WR_EVENT_MAX_LINES);
                goto leave;
            }
            ev->lines[ev->nlines++] = val;
            break;
        case K_FAILURE:
            ev->failure = val;
            break;
        case K_DECISION:
            if (!decision_ok(val)) {
                why = apr_psprintf(p, "line %d: bad decision", lineno);
                goto leave;
            }
            ev->decision = val;
            break;
        case K_REASON:
            ev->reason = val;
            break;
        default:
            break;
        }
    }
    for (k = K_VERSION; k <= K_COUNT; k++) {
        if (!seen[k] && k != K_VHOST) {
            why = apr_psprintf(p, "missing key '%s'", keys[k]);
            goto leave;
        }
    }
    if (ev->last_seen < ev->first_seen) {
        why = "last-seen before first-seen";
        goto leave;
    }
    if (ev->vhost == NULL) {
        ev->vhost = "";
    }
leave:
    if (why != NULL) {
        if (err != NULL) {
            *err = why;
        }
        return APR_EINVAL;
    }
    *pev = ev;
    return APR_SUCCESS;
}
