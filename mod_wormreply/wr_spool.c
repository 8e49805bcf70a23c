/* wr_spool.c - maildir-style durable spool of probe events (see wr_spool.h)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "wr_file.h"
#include "wr_spool.h"
#include "wr_text.h"
#include "wr_time.h"

/* How long a cached size count stays trusted before wr_spool_put reads
 * the directories again: the notifier drains the spool meanwhile, and
 * reading two directories on every put would put a readdir on the probe
 * path. */
#define WR_SPOOL_RECOUNT (apr_time_from_sec(1))

/* How often wr_spool_put retries a name collision (O_EXCL said EEXIST):
 * with 64 random bits in a name this only happens to a broken RNG. */
#define WR_SPOOL_NAME_TRIES 3

struct wr_spool_t {
    const char *dirs[4];           /* tmp new cur failed: paths */
    wr_file_dir_t *root;
    wr_file_dir_t *d[4];           /* their handles (wr_file.h) */
    apr_size_t max_entries;
    apr_off_t max_bytes;
    int put_flags;                 /* wr_file_put's: WR_FILE_SYNC or 0 */
    /* The size cache, shared by the threads of a child: atomics only. */
    volatile apr_uint64_t counted_at;  /* apr_time_t, 0 = never */
    volatile apr_uint64_t n_entries;
    volatile apr_uint64_t n_bytes;
};

static const char *const dir_names[4] = { "tmp", "new", "cur", "failed" };

static volatile apr_uint32_t name_counter;

/* keeps "../x", "/etc/passwd" and dot files out of every path we build */
int wr_spool_id_ok(const char *id)
{
    const char *s;

    if (id == NULL || id[0] == '\0' || id[0] == '.'
        || strlen(id) > WR_SPOOL_ID_MAX) {
        return 0;
    }
    for (s = id; *s; s++) {
        if (!apr_isalnum(*s) && *s != '.') {
            return 0;
        }
    }
    return 1;
}

apr_time_t wr_id_time(const char *id)
{
    char *end;
    apr_int64_t sec, usec;

    if (!wr_spool_id_ok(id) || !apr_isdigit(id[0])) {
        return 0;
    }
    sec = apr_strtoi64(id, &end, 10);
    if (*end != '.' || !apr_isdigit(end[1])) {
        return 0;
    }
    usec = apr_strtoi64(end + 1, &end, 10);
    /* A crafted name must not overflow the product (issue 11 part 5:
     * found by UBSan on "99999999999999999999.999999.x"). */
    if (*end != '.' || sec < 0 || usec < 0 || usec >= APR_USEC_PER_SEC
        || sec > (APR_INT64_MAX - usec) / APR_USEC_PER_SEC) {
        return 0;
    }
    return apr_time_from_sec(sec) + usec;
}

/* open_dirs - the root and its four subdirectories; *what (may be NULL)
 * names the one that failed */
static apr_status_t open_dirs(wr_spool_t *spool, const char *dir, int flags,
                              const char **what, apr_pool_t *p)
{
    apr_status_t rv;
    int i;

    if (what) {
        *what = dir;
    }
    if ((rv = wr_file_dir_open(&spool->root, dir, flags, p)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < 4; i++) {
        spool->dirs[i] = apr_pstrcat(p, wr_file_dir_path(spool->root), "/",
                                     dir_names[i], NULL);
        if (what) {
            *what = spool->dirs[i];
        }
        if ((rv = wr_file_dir_sub(&spool->d[i], spool->root, dir_names[i],
                                  flags, p)) != APR_SUCCESS) {
            return rv;
        }
    }
    if (what) {
        *what = NULL;
    }
    return APR_SUCCESS;
}

apr_status_t wr_spool_open(wr_spool_t **pspool, const char *dir,
                           apr_size_t max_entries, apr_off_t max_bytes,
                           apr_pool_t *p)
{
    wr_spool_t *spool = apr_pcalloc(p, sizeof(*spool));
    apr_status_t rv;

    spool->max_entries = max_entries;
    spool->max_bytes = max_bytes;
    spool->put_flags = WR_FILE_SYNC;
    if ((rv = open_dirs(spool, dir, WR_FILE_MKDIR, NULL, p)) == APR_SUCCESS) {
        *pspool = spool;
    }
    return rv;
}

apr_status_t wr_spool_attach(wr_spool_t **pspool, const char *dir,
                             const char **what, apr_pool_t *p)
{
    wr_spool_t *spool = apr_pcalloc(p, sizeof(*spool));
    apr_status_t rv;

    spool->put_flags = WR_FILE_SYNC;
    if ((rv = open_dirs(spool, dir, 0, what, p)) == APR_SUCCESS) {
        *pspool = spool;
    }
    return rv;
}

void wr_spool_set_sync(wr_spool_t *spool, int sync)
{
    spool->put_flags = sync ? WR_FILE_SYNC : 0;
}

/* commit_dir - the fallback group commit of one directory: each record,
 * then the directory (what is gone or refused is not ours to sync) */
static apr_status_t commit_dir(wr_spool_t *spool, wr_spool_dir_e which,
                               apr_pool_t *p)
{
    apr_array_header_t *ids;
    apr_status_t rv;
    int k;

    if ((rv = wr_spool_list(spool, which, &ids, p)) != APR_SUCCESS) {
        return rv;
    }
    for (k = 0; k < ids->nelts; k++) {
        rv = wr_file_sync(spool->d[which], APR_ARRAY_IDX(ids, k,
                                                         const char *));
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)
            && !WR_FILE_IS_REFUSED(rv)) {
            return rv;
        }
    }
    return wr_file_dir_sync(spool->d[which]);
}

apr_status_t wr_spool_commit(wr_spool_t *spool, apr_pool_t *p)
{
    apr_status_t rv = wr_file_fs_sync(spool->root);

    if (rv != APR_ENOTIMPL) {
        return rv;
    }
    if ((rv = commit_dir(spool, WR_SPOOL_NEW, p)) != APR_SUCCESS) {
        return rv;
    }
    return commit_dir(spool, WR_SPOOL_CUR, p);
}

const char *wr_spool_dir(const wr_spool_t *spool, wr_spool_dir_e which)
{
    return spool->dirs[which];
}

void wr_spool_owner(const wr_spool_t *spool, uid_t *uid, gid_t *gid)
{
    wr_file_dir_owner(spool->root, uid, gid);
}

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

/* put_dec - `v` in decimal, zero-padded to at least `width` digits (at
 * most 20), at `b` (room for 20); @return the digits written. By hand,
 * two digits a step: apr_snprintf costs about a thousand instructions a
 * call, in the request path. */
static apr_size_t put_dec(char *b, apr_uint64_t v, int width)
{
    char t[20], *e = t + sizeof(t), *q = e;
    apr_size_t n;

    while (v >= 100) {
        q -= 2;
        wr_text_put2(q, (unsigned)(v % 100));
        v /= 100;
    }
    if (v >= 10) {
        q -= 2;
        wr_text_put2(q, (unsigned)v);
    }
    else {
        *--q = (char)('0' + v);
    }
    while (e - q < width && q > t) {
        *--q = '0';
    }
    n = (apr_size_t)(e - q);
    memcpy(b, q, n);
    return n;
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

/* make_id - a fresh unique record id */
static apr_status_t make_id(const char **id, apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[8];
    char *b, *o;
    int i;
    apr_time_t now = apr_time_now();
    apr_status_t rv;

    if ((rv = apr_generate_random_bytes(rnd, sizeof(rnd))) != APR_SUCCESS) {
        return rv;
    }
    /* "%011sec.%06usec.P<pid>.Q<counter>.R<16 hex>", by hand (see
     * put_dec) */
    b = o = apr_palloc(p, 11 + 20 + 1 + 6 + 2 + 20 + 2 + 20 + 2 + 16 + 1);
    o += put_dec(o, (apr_uint64_t)(now < 0 ? 0 : apr_time_sec(now)), 11);
    *o++ = '.';
    o += put_dec(o, (apr_uint64_t)apr_time_usec(now), 6);
    *o++ = '.';
    *o++ = 'P';
    o += put_dec(o, (apr_uint64_t)getpid(), 1);
    *o++ = '.';
    *o++ = 'Q';
    o += put_dec(o, apr_atomic_inc32(&name_counter), 1);
    *o++ = '.';
    *o++ = 'R';
    for (i = 0; i < (int)sizeof(rnd); i++) {
        *o++ = hex[rnd[i] >> 4];
        *o++ = hex[rnd[i] & 15];
    }
    *o = '\0';
    *id = b;
    return APR_SUCCESS;
}

/* write_tmp - `text` in a new file of tmp/, fsynced; *pid is its name */
static apr_status_t write_tmp(wr_spool_t *spool, const char *text,
                              apr_size_t len, const char **pid, apr_pool_t *p)
{
    apr_status_t rv = APR_EEXIST;
    const char *id = NULL;
    int tries;

    for (tries = 0; tries < WR_SPOOL_NAME_TRIES
         && APR_STATUS_IS_EEXIST(rv); tries++) {
        if ((rv = make_id(&id, p)) != APR_SUCCESS) {
            return rv;
        }
        rv = wr_file_create(spool->d[WR_SPOOL_TMP], id, text, len,
                            WR_FILE_SYNC);
    }
    if (rv == APR_SUCCESS) {
        *pid = id;
    }
    return rv;
}

/* count_dir - entries and bytes of one directory's records (what is not
 * a regular file with one link is not a record: not counted) */
static apr_status_t count_dir(wr_file_dir_t *d, int *n, apr_off_t *bytes,
                              apr_time_t *oldest, apr_pool_t *p)
{
    apr_array_header_t *names;
    apr_status_t rv;
    int k;

    if ((rv = wr_file_dir_list(d, "", &names, p)) != APR_SUCCESS) {
        return rv;
    }
    for (k = 0; k < names->nelts; k++) {
        const char *name = APR_ARRAY_IDX(names, k, const char *);
        wr_file_info_t fi;
        apr_time_t t;

        if (!wr_spool_id_ok(name)
            || wr_file_stat(d, name, &fi) != APR_SUCCESS) {
            continue;
        }
        (*n)++;
        *bytes += fi.size;
        t = wr_id_time(name);
        if (oldest != NULL && t > 0 && (*oldest == 0 || t < *oldest)) {
            *oldest = t;
        }
    }
    return APR_SUCCESS;
}

apr_status_t wr_spool_stat(wr_spool_t *spool, wr_spool_stat_t *st,
                           apr_pool_t *p)
{
    apr_status_t rv;

    memset(st, 0, sizeof(*st));
    if ((rv = count_dir(spool->d[WR_SPOOL_NEW], &st->n_new, &st->bytes,
                        &st->oldest, p)) != APR_SUCCESS
        || (rv = count_dir(spool->d[WR_SPOOL_CUR], &st->n_cur, &st->bytes,
                           &st->oldest, p)) != APR_SUCCESS
        || (rv = count_dir(spool->d[WR_SPOOL_FAILED], &st->n_failed,
                           &st->bytes_failed, NULL, p)) != APR_SUCCESS) {
        return rv;
    }
    return APR_SUCCESS;
}

/* over_limit - whether one more record of `len` bytes would exceed the
 * limits, using (and refreshing once a second) the size cache */
static int over_limit(wr_spool_t *spool, apr_size_t len, apr_pool_t *p)
{
    apr_time_t now;
    apr_uint64_t n, bytes;

    if (spool->max_entries == 0 && spool->max_bytes == 0) {
        return 0;
    }
    now = apr_time_now();
    if ((apr_time_t)apr_atomic_read64(&spool->counted_at) + WR_SPOOL_RECOUNT
        <= now) {
        wr_spool_stat_t st;
        if (wr_spool_stat(spool, &st, p) == APR_SUCCESS) {
            apr_atomic_set64(&spool->n_entries,
                             (apr_uint64_t)(st.n_new + st.n_cur));
            apr_atomic_set64(&spool->n_bytes, (apr_uint64_t)st.bytes);
            apr_atomic_set64(&spool->counted_at, (apr_uint64_t)now);
        }
    }
    n = apr_atomic_read64(&spool->n_entries);
    bytes = apr_atomic_read64(&spool->n_bytes);
    if (spool->max_entries > 0 && n + 1 > spool->max_entries) {
        return 1;
    }
    if (spool->max_bytes > 0
        && bytes + len > (apr_uint64_t)spool->max_bytes) {
        return 1;
    }
    return 0;
}

apr_status_t wr_spool_put(wr_spool_t *spool, const wr_event_t *ev,
                          const char **pid, apr_pool_t *p)
{
    const char *text;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = wr_event_dump(ev, &text, &len, p)) != APR_SUCCESS) {
        return rv;
    }
    return wr_spool_put_text(spool, text, len, pid, p);
}

apr_status_t wr_spool_put_text(wr_spool_t *spool, const char *text,
                               apr_size_t len, const char **pid,
                               apr_pool_t *p)
{
    const char *id = NULL;
    apr_status_t rv;
    int tries;

    if (over_limit(spool, len, p)) {
        rv = APR_ENOSPC;
        goto leave;
    }
    /* tmp/ -> new/ through the descriptors opened at wr_spool_open: no
     * path is walked here. The record is complete before its name
     * appears; a failed directory fsync is reported, but the record
     * stays: taking it back could lose an event that is in fact on
     * disk. Without sync (the request path) neither fsync happens: the
     * notifier's wr_spool_commit makes the record durable. */
    rv = APR_EEXIST;
    for (tries = 0; tries < WR_SPOOL_NAME_TRIES
         && APR_STATUS_IS_EEXIST(rv); tries++) {
        if ((rv = make_id(&id, p)) != APR_SUCCESS) {
            goto leave;
        }
        rv = wr_file_put(spool->d[WR_SPOOL_TMP], spool->d[WR_SPOOL_NEW], id,
                         text, len, spool->put_flags, p);
    }
    if (rv == APR_SUCCESS) {
        apr_atomic_add64(&spool->n_entries, 1);
        apr_atomic_add64(&spool->n_bytes, len);
    }
leave:
    if (rv == APR_SUCCESS && pid != NULL) {
        *pid = id;
    }
    return rv;
}

apr_status_t wr_spool_list(wr_spool_t *spool, wr_spool_dir_e which,
                           apr_array_header_t **ids, apr_pool_t *p)
{
    apr_array_header_t *names, *a;
    apr_status_t rv;
    int k;

    if ((rv = wr_file_dir_list(spool->d[which], "", &names, p))
        != APR_SUCCESS) {
        return rv;
    }
    a = apr_array_make(p, names->nelts > 0 ? names->nelts : 1,
                       sizeof(const char *));
    for (k = 0; k < names->nelts; k++) {
        const char *name = APR_ARRAY_IDX(names, k, const char *);
        if (wr_spool_id_ok(name)) {
            APR_ARRAY_PUSH(a, const char *) = name;
        }
    }
    *ids = a;
    return APR_SUCCESS;
}

apr_status_t wr_spool_raw(wr_spool_t *spool, wr_spool_dir_e which,
                          const char *id, char **buf, apr_size_t *len,
                          apr_pool_t *p)
{
    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    return wr_file_read(spool->d[which], id, WR_SPOOL_RECORD_MAX, buf, len,
                        NULL, p);
}

apr_status_t wr_spool_load(wr_spool_t *spool, wr_spool_dir_e which,
                           const char *id, wr_event_t **ev, apr_pool_t *p)
{
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = wr_spool_raw(spool, which, id, &buf, &len, p))
        != APR_SUCCESS) {
        return rv;
    }
    return wr_event_parse(buf, len, ev, NULL, p);
}

apr_status_t wr_spool_take(wr_spool_t *spool, const char *id,
                           wr_event_t **ev, apr_pool_t *p)
{
    apr_status_t rv;

    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    /* The rename is the claim: only one of any number of takers wins. */
    rv = wr_file_rename(spool->d[WR_SPOOL_NEW], id, spool->d[WR_SPOOL_CUR],
                        id, 0);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    rv = wr_spool_load(spool, WR_SPOOL_CUR, id, ev, p);
    if (rv == APR_EINVAL || rv == APR_FROM_OS_ERROR(EFBIG)) {
        /* A record we cannot read would be taken again forever. */
        wr_file_rename(spool->d[WR_SPOOL_CUR], id, spool->d[WR_SPOOL_FAILED],
                       id, 0);
        rv = APR_EINVAL;
    }
    return rv;
}

apr_status_t wr_spool_done(wr_spool_t *spool, const char *id, apr_pool_t *p)
{
    return wr_spool_remove(spool, WR_SPOOL_CUR, id, p);
}

apr_status_t wr_spool_remove(wr_spool_t *spool, wr_spool_dir_e which,
                             const char *id, apr_pool_t *p)
{
    apr_status_t rv;

    (void)p;
    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    rv = wr_file_remove(spool->d[which], id);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return wr_file_dir_sync(spool->d[which]);
}

/* replace_in - write `ev` to tmp/ and rename it over <which>/<id>, so that
 * the record changes content in one atomic step */
static apr_status_t replace_in(wr_spool_t *spool, wr_spool_dir_e which,
                               const char *id, const wr_event_t *ev,
                               apr_pool_t *p)
{
    const char *text, *tmp_id;
    apr_size_t len;
    apr_status_t rv;

    if ((rv = wr_event_dump(ev, &text, &len, p)) != APR_SUCCESS
        || (rv = write_tmp(spool, text, len, &tmp_id, p)) != APR_SUCCESS) {
        return rv;
    }
    rv = wr_file_rename(spool->d[WR_SPOOL_TMP], tmp_id, spool->d[which], id,
                        0);
    if (rv != APR_SUCCESS) {
        wr_file_remove(spool->d[WR_SPOOL_TMP], tmp_id);
    }
    return rv;
}

/* move - rename id from one directory to another and sync the target */
static apr_status_t move(wr_spool_t *spool, const char *id,
                         wr_spool_dir_e from, wr_spool_dir_e to)
{
    apr_status_t rv;

    rv = wr_file_rename(spool->d[from], id, spool->d[to], id, 0);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return wr_file_dir_sync(spool->d[to]);
}

apr_status_t wr_spool_fail(wr_spool_t *spool, const char *id,
                           const char *reason, apr_pool_t *p)
{
    wr_event_t *ev;
    apr_status_t rv;

    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    rv = wr_spool_load(spool, WR_SPOOL_CUR, id, &ev, p);
    if (rv == APR_SUCCESS) {
        ev->failure = reason ? reason : "";
        ev->decision = NULL;
        ev->reason = NULL;
        ev->due = 0;
        if ((rv = replace_in(spool, WR_SPOOL_CUR, id, ev, p))
            != APR_SUCCESS) {
            return rv;
        }
    }
    else if (rv != APR_EINVAL) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return move(spool, id, WR_SPOOL_CUR, WR_SPOOL_FAILED);
}

apr_status_t wr_spool_release(wr_spool_t *spool, const char *id,
                              const wr_event_t *updated, apr_pool_t *p)
{
    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    if (updated != NULL) {
        wr_file_info_t fi;
        apr_status_t rv;

        /* Check first: replace_in would create cur/<id> from nothing. */
        rv = wr_file_stat(spool->d[WR_SPOOL_CUR], id, &fi);
        if (rv != APR_SUCCESS) {
            return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
        }
        if ((rv = replace_in(spool, WR_SPOOL_CUR, id, updated, p))
            != APR_SUCCESS) {
            return rv;
        }
    }
    return move(spool, id, WR_SPOOL_CUR, WR_SPOOL_NEW);
}

apr_status_t wr_spool_note(wr_spool_t *spool, const char *id,
                           const wr_event_t *ev, apr_pool_t *p)
{
    wr_file_info_t fi;
    apr_status_t rv;

    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    /* replace_in would create cur/<id> from nothing: a record the CLI
     * dropped or the notifier finished stays gone */
    rv = wr_file_stat(spool->d[WR_SPOOL_CUR], id, &fi);
    if (rv != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return replace_in(spool, WR_SPOOL_CUR, id, ev, p);
}

apr_status_t wr_spool_retry(wr_spool_t *spool, const char *id, apr_pool_t *p)
{
    wr_event_t *ev;
    apr_status_t rv;

    if (!wr_spool_id_ok(id)) {
        return APR_EINVAL;
    }
    if ((rv = wr_spool_load(spool, WR_SPOOL_FAILED, id, &ev, p))
        != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    ev->attempts = 0;
    ev->next_try = 0;
    ev->failure = NULL;
    ev->decision = NULL;
    ev->reason = NULL;
    ev->due = 0;
    /* failed/ is the notifier's to write, never to read: rewriting the
     * record there and moving it on are each atomic, so a crash leaves it
     * in failed/ (old or new text) or in new/, never in both */
    if ((rv = replace_in(spool, WR_SPOOL_FAILED, id, ev, p)) != APR_SUCCESS
        || (rv = move(spool, id, WR_SPOOL_FAILED, WR_SPOOL_NEW))
           != APR_SUCCESS) {
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    return wr_file_dir_sync(spool->d[WR_SPOOL_FAILED]);
}

apr_status_t wr_spool_recover(wr_spool_t *spool, apr_time_t now,
                              apr_interval_time_t tmp_age,
                              int *tmp_removed, int *cur_returned,
                              apr_pool_t *p)
{
    apr_status_t rv;
    apr_array_header_t *ids;
    int i, nt = 0, nc = 0;

    if ((rv = wr_spool_list(spool, WR_SPOOL_TMP, &ids, p)) != APR_SUCCESS) {
        goto leave;
    }
    for (i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        wr_file_info_t fi;

        if (wr_file_stat(spool->d[WR_SPOOL_TMP], id, &fi) == APR_SUCCESS
            && fi.mtime + tmp_age < now
            && wr_file_remove(spool->d[WR_SPOOL_TMP], id) == APR_SUCCESS) {
            nt++;
        }
    }
    if ((rv = wr_spool_list(spool, WR_SPOOL_CUR, &ids, p)) != APR_SUCCESS) {
        goto leave;
    }
    for (i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);

        rv = wr_file_rename(spool->d[WR_SPOOL_CUR], id,
                            spool->d[WR_SPOOL_NEW], id, 0);
        if (WR_FILE_IS_REFUSED(rv)) {
            continue;           /* not a record: not ours to move */
        }
        if (rv != APR_SUCCESS) {
            goto leave;
        }
        nc++;
    }
    rv = APR_SUCCESS;
    if (nc > 0) {
        rv = wr_file_dir_sync(spool->d[WR_SPOOL_NEW]);
    }
leave:
    if (tmp_removed != NULL) {
        *tmp_removed = nt;
    }
    if (cur_returned != NULL) {
        *cur_returned = nc;
    }
    return rv;
}
