/* wr_logfmt.c - access-log lines read through an httpd LogFormat */
#include <string.h>

#include <apr_strings.h>

#include "wr_logfmt.h"
#include "wr_logparse.h"
#include "wr_time.h"

#define MAX_ITEMS 96
#define MAX_ALTS 4

typedef enum {
    F_LIT = 0,      /* literal text */
    F_SKIP,         /* a directive whose value is not needed */
    F_CLIENT,
    F_TIME,
    F_REQUEST,
    F_STATUS,
    F_BYTES,
    F_VHOST
} item_kind_t;

typedef struct {
    item_kind_t kind;
    int quoted;             /* between a '"' literal and a '"' literal */
    const char *lit;        /* F_LIT: the text */
    size_t lit_len;
} item_t;

typedef struct {
    const char *spec;
    int nitems;
    item_t items[MAX_ITEMS];
} alt_t;

struct wr_logfmt_t {
    const char *spec;
    int nalts;
    int last;               /* "auto": the alternative that read last */
    alt_t alts[MAX_ALTS];
};

static const char FMT_COMMON[] = "%h %l %u %t \"%r\" %>s %b";
static const char FMT_COMBINED[] =
    "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"";
static const char FMT_VHOST_COMBINED[] =
    "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"";
/* the probes-only log the README and conf/wormreply.conf recommend */
static const char FMT_WORM[] =
    "%h %l %u %t \"%r\" %>s %O \"%{WORM_PROBE}e\"";

/* What a walk over one line found; the spans are those of the path that
 * succeeded, because each level writes its span before descending. */
typedef struct {
    const char *line;
    size_t len;
    const alt_t *alt;
    int tries;
    size_t furthest;            /* the furthest position any reading got */
    int backtracked;            /* a field end other than the first tried */
    int saw_eof;                /* the first reading ran out of line */
    int saw_badtime;
    const char *span[F_VHOST + 1];
    size_t span_len[F_VHOST + 1];
    long long time;
} walk_t;

/* add_lit - append literal bytes, merging with a preceding literal */
static int add_lit(alt_t *a, apr_pool_t *p, const char *s, size_t n)
{
    item_t *it;

    if (a->nitems > 0 && a->items[a->nitems - 1].kind == F_LIT) {
        it = &a->items[a->nitems - 1];
        it->lit = apr_pstrcat(p, apr_pstrmemdup(p, it->lit, it->lit_len),
                              apr_pstrmemdup(p, s, n), NULL);
        it->lit_len += n;
        return 0;
    }
    if (a->nitems >= MAX_ITEMS) {
        return -1;
    }
    it = &a->items[a->nitems++];
    memset(it, 0, sizeof(*it));
    it->kind = F_LIT;
    it->lit = apr_pstrmemdup(p, s, n);
    it->lit_len = n;
    return 0;
}

/* compile_one - one LogFormat string into an alternative */
static apr_status_t compile_one(alt_t *a, const char *fmt, apr_pool_t *p,
                                const char **err)
{
    const char *s = fmt;
    int seen[F_VHOST + 1] = {0};
    int i;

    memset(a, 0, sizeof(*a));
    a->spec = fmt;
    while (*s) {
        item_kind_t kind = F_SKIP;
        const char *start = s, *arg = NULL;
        char c;

        if (*s == '\\' && s[1]) {
            /* the escapes mod_log_config and the config parser undo */
            char lit;
            switch (s[1]) {
            case 'n':
                lit = '\n';
                break;
            case 't':
                lit = '\t';
                break;
            default:
                lit = s[1];
                break;
            }
            if (add_lit(a, p, &lit, 1) < 0) {
                goto toolong;
            }
            s += 2;
            continue;
        }
        if (*s != '%') {
            if (add_lit(a, p, s, 1) < 0) {
                goto toolong;
            }
            s++;
            continue;
        }
        s++;
        if (*s == '%') {
            if (add_lit(a, p, "%", 1) < 0) {
                goto toolong;
            }
            s++;
            continue;
        }
        /* %!200,304r, %>s, %<s: modifiers before the letter */
        while (*s && strchr("!<>,0123456789", *s)) {
            s++;
        }
        if (*s == '{') {
            const char *close = strchr(s, '}');
            if (close == NULL) {
                *err = apr_psprintf(p, "unterminated %%{ in '%s'", fmt);
                return APR_EINVAL;
            }
            arg = s;
            s = close + 1;
        }
        c = *s;
        if (c == '\0') {
            *err = apr_psprintf(p, "'%%' at the end of '%s'", fmt);
            return APR_EINVAL;
        }
        if (c == '^') {
            /* %^ti, %^to: two letters */
            if (s[1] == '\0' || s[2] == '\0') {
                *err = apr_psprintf(p, "incomplete %%^ in '%s'", fmt);
                return APR_EINVAL;
            }
            s += 3;
        }
        else {
            s++;
            switch (c) {
            case 'h': case 'a': kind = F_CLIENT; break;
            case 't': kind = arg ? F_SKIP : F_TIME; break;
            case 'r': kind = F_REQUEST; break;
            case 's': kind = F_STATUS; break;
            case 'b': case 'B': case 'O': kind = F_BYTES; break;
            case 'v': case 'V': kind = F_VHOST; break;
            default: kind = F_SKIP; break;
            }
        }
        if (kind != F_SKIP) {
            if (seen[kind]) {
                kind = F_SKIP;      /* the first one counts */
            }
            seen[kind] = 1;
        }
        if (a->nitems > 0 && a->items[a->nitems - 1].kind != F_LIT
            && a->items[a->nitems - 1].kind != F_TIME) {
            *err = apr_psprintf(p, "'%.*s' follows another directive with "
                                "nothing between them in '%s'",
                                (int)(s - start), start, fmt);
            return APR_EINVAL;
        }
        if (a->nitems >= MAX_ITEMS) {
            goto toolong;
        }
        memset(&a->items[a->nitems], 0, sizeof(item_t));
        a->items[a->nitems++].kind = kind;
    }
    for (i = 0; i < a->nitems; i++) {
        item_t *it = &a->items[i];
        if (it->kind != F_LIT && i > 0 && i + 1 < a->nitems) {
            const item_t *prev = &a->items[i - 1], *next = &a->items[i + 1];
            it->quoted = prev->kind == F_LIT && next->kind == F_LIT
                         && prev->lit[prev->lit_len - 1] == '"'
                         && next->lit[0] == '"';
        }
    }
    return APR_SUCCESS;

toolong:
    *err = apr_psprintf(p, "more than %d items in '%s'", MAX_ITEMS, fmt);
    return APR_EINVAL;
}

apr_status_t wr_logfmt_compile(wr_logfmt_t **pfmt, const char *spec,
                               apr_pool_t *p, const char **err)
{
    wr_logfmt_t *f = apr_pcalloc(p, sizeof(*f));
    const char *one = NULL;
    apr_status_t rv = APR_SUCCESS;
    size_t n;

    *err = NULL;
    if (!strcmp(spec, "auto")) {
        f->spec = "auto";
        f->nalts = 4;
        if ((rv = compile_one(&f->alts[0], FMT_COMBINED, p, err))
            || (rv = compile_one(&f->alts[1], FMT_COMMON, p, err))
            || (rv = compile_one(&f->alts[2], FMT_VHOST_COMBINED, p, err))
            || (rv = compile_one(&f->alts[3], FMT_WORM, p, err))) {
            return rv;
        }
        *pfmt = f;
        return APR_SUCCESS;
    }
    if (!strcmp(spec, "common")) {
        one = FMT_COMMON;
    }
    else if (!strcmp(spec, "combined")) {
        one = FMT_COMBINED;
    }
    else if (!strcmp(spec, "vhost_combined")) {
        one = FMT_VHOST_COMBINED;
    }
    else if (!strcmp(spec, "worm")) {
        one = FMT_WORM;
    }
    else {
        one = spec;
        n = strlen(spec);
        /* pasted from a config file with its quotes: "…\"%r\"…" */
        if (n >= 2 && spec[0] == '"' && spec[n - 1] == '"') {
            one = apr_pstrmemdup(p, spec + 1, n - 2);
        }
    }
    if (strchr(one, '%') == NULL) {
        *err = apr_psprintf(p, "'%s' is neither a format name (common, "
                            "combined, vhost_combined, worm, auto) nor "
                            "a LogFormat string", spec);
        return APR_EINVAL;
    }
    f->nalts = 1;
    if ((rv = compile_one(&f->alts[0], one, p, err)) != APR_SUCCESS) {
        return rv;
    }
    f->spec = one;
    *pfmt = f;
    return APR_SUCCESS;
}

const char *wr_logfmt_spec(const wr_logfmt_t *fmt)
{
    return fmt->spec;
}

const char *wr_logline_status_name(wr_logline_status_t st)
{
    static const char *const names[WR_LOGLINE_NSTATUS] = {
        "ok", "malformed", "truncated", "binary", "too_long", "bad_time"
    };
    return (unsigned)st < WR_LOGLINE_NSTATUS ? names[st] : "unknown";
}

/* digits - value of n decimal digits, -1 if any is not a digit */
static int digits(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int wr_logfmt_parse_time(const char *s, size_t len, long long *t)
{
    int tzh, tzm;

    /* [21/Apr/2004:10:56:07 -0400] */
    if (len != 28 || s[0] != '[' || s[3] != '/' || s[7] != '/'
        || s[12] != ':' || s[15] != ':' || s[18] != ':' || s[21] != ' '
        || (s[22] != '+' && s[22] != '-') || s[27] != ']') {
        return -1;
    }
    tzh = digits(s + 23, 2);
    tzm = digits(s + 25, 2);
    if (tzh < 0 || tzh > 23 || tzm < 0 || tzm > 59
        || wr_time_from_civil(digits(s + 8, 4), wr_time_month(s + 4),
                              digits(s + 1, 2), digits(s + 13, 2),
                              digits(s + 16, 2), digits(s + 19, 2), t)
           != 0) {
        return -1;
    }
    /* local = UTC + offset, so UTC = local - offset */
    *t -= (s[22] == '-' ? -1 : 1) * (tzh * 3600LL + tzm * 60LL);
    return 0;
}

/* valid_number - "-" or 1..max_digits decimal digits */
static int valid_number(const char *s, size_t n, size_t max_digits)
{
    size_t i;

    if (n == 1 && s[0] == '-') {
        return 1;
    }
    if (n == 0 || n > max_digits) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

/* find_lit - next occurrence of lit at or after `from`, NULL if none */
static const char *find_lit(const char *from, const char *end,
                            const char *lit, size_t lit_len, int quoted)
{
    const char *q = from;

    while (q < end) {
        if (quoted) {
            /* an escaped quote (\") never closes a quoted field */
            while (q < end && *q != '"') {
                q += (*q == '\\' && q + 1 < end) ? 2 : 1;
            }
        }
        else {
            q = memchr(q, lit[0], (size_t)(end - q));
        }
        if (q == NULL || q >= end) {
            return NULL;
        }
        if ((size_t)(end - q) >= lit_len && !memcmp(q, lit, lit_len)) {
            return q;
        }
        q++;
    }
    return NULL;
}

/* field_ok - whether a field's text can be what its directive writes */
static int field_ok(item_kind_t kind, const char *s, size_t n)
{
    switch (kind) {
    case F_STATUS:
        return valid_number(s, n, 3);
    case F_BYTES:
        return valid_number(s, n, 19);
    case F_CLIENT:
    case F_VHOST:
        /* addresses and host names hold no blank and no quote; this
         * keeps "%v:%p" from swallowing half of another format's line */
        return n > 0 && memchr(s, ' ', n) == NULL
               && memchr(s, '"', n) == NULL;
    default:
        return 1;
    }
}

/* walk - match items [i..] against the line from `pos`; backtracks over
 * field ends. @return 1 if the rest of the line follows the format. */
static int walk(walk_t *w, int i, size_t pos)
{
    const alt_t *a = w->alt;
    const char *end = w->line + w->len;
    const item_t *it, *next;
    const char *s, *q;

    if (pos > w->furthest) {
        w->furthest = pos;
    }
    if (i == a->nitems) {
        return pos == w->len;
    }
    it = &a->items[i];
    s = w->line + pos;
    if (it->kind == F_LIT) {
        size_t avail = w->len - pos;
        if (avail < it->lit_len) {
            if (!memcmp(s, it->lit, avail) && !w->backtracked) {
                w->saw_eof = 1;
            }
            return 0;
        }
        return !memcmp(s, it->lit, it->lit_len)
               && walk(w, i + 1, pos + it->lit_len);
    }
    if (it->kind == F_TIME) {
        /* "[...]" delimits itself; dates hold no ']' */
        if (s >= end) {
            w->saw_eof |= !w->backtracked;
            return 0;
        }
        if (*s != '[') {
            return 0;
        }
        q = memchr(s, ']', (size_t)(end - s));
        if (q == NULL) {
            w->saw_eof |= !w->backtracked;
            return 0;
        }
        if (wr_logfmt_parse_time(s, (size_t)(q + 1 - s), &w->time) != 0) {
            w->saw_badtime = 1;
            return 0;
        }
        w->span[F_TIME] = s;
        w->span_len[F_TIME] = (size_t)(q + 1 - s);
        return walk(w, i + 1, (size_t)(q + 1 - w->line));
    }
    if (i + 1 == a->nitems) {
        /* the last item takes the rest of the line */
        if (!field_ok(it->kind, s, (size_t)(end - s))) {
            return 0;
        }
        w->span[it->kind] = s;
        w->span_len[it->kind] = (size_t)(end - s);
        return 1;
    }
    next = &a->items[i + 1];
    for (q = s;; q++) {
        const char *from = q;
        q = find_lit(q, end, next->lit, next->lit_len, it->quoted);
        if (q == NULL) {
            /* the line ended before the field did: a cut line, if this
             * is the first reading of it; after backtracking it is only
             * a reading that did not work */
            w->saw_eof |= from == s && !w->backtracked;
            return 0;
        }
        if (++w->tries > WR_LOGFMT_MAX_TRIES) {
            return 0;
        }
        if (field_ok(it->kind, s, (size_t)(q - s))) {
            w->span[it->kind] = s;
            w->span_len[it->kind] = (size_t)(q - s);
            if (walk(w, i + 1, (size_t)(q - w->line))) {
                return 1;
            }
        }
        /* only a quoted field gets a second reading: Apache 1.3 left '"'
         * unescaped there, while an unquoted field never holds its
         * separator (and retrying there would read "- -" as a user) */
        if (!it->quoted || w->tries > WR_LOGFMT_MAX_TRIES) {
            return 0;
        }
        w->backtracked = 1;
    }
}

/* unescape_request - undo Apache's escaping of %r; a raw '"' inside the
 * span (Apache 1.3 wrote them unescaped) is kept as it is */
static size_t unescape_request(const char *s, size_t n, char *out,
                               size_t outsize)
{
    size_t i = 0, o = 0, consumed;

    if (outsize == 0) {
        return 0;
    }
    out[0] = '\0';
    while (i < n && o + 1 < outsize) {
        o += wr_log_unescape(s + i, n - i, out + o, outsize - o, &consumed);
        i += consumed;
        if (i < n && o + 1 < outsize) {
            out[o++] = '"';
            out[o] = '\0';
            i++;
        }
    }
    return o;
}

/* has_control - control bytes (other than tab) anywhere in the line */
static int has_control(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* to_number - digits (or "-") to a value; checked by valid_number */
static unsigned long long to_number(const char *s, size_t n)
{
    unsigned long long v = 0;
    size_t i;

    for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (unsigned long long)(s[i] - '0');
    }
    return v;
}

wr_logline_status_t wr_logfmt_parse(wr_logfmt_t *fmt, const char *line,
                                    size_t len, char *reqbuf,
                                    size_t reqsize, wr_logrec_t *rec)
{
    walk_t w;
    int k, ok = 0, saw_eof = 0, saw_badtime = 0;
    size_t best = 0;

    if (len >= WR_LOGFMT_LINE_MAX) {
        return WR_LOGLINE_TOO_LONG;
    }
    if (len == 0) {
        return WR_LOGLINE_MALFORMED;
    }
    if (memchr(line, '\0', len) != NULL) {
        /* no httpd writes a NUL: a crashed or overwritten log */
        return WR_LOGLINE_BINARY;
    }
    for (k = 0; k < fmt->nalts && !ok; k++) {
        int a = (fmt->last + k) % fmt->nalts;
        memset(&w, 0, sizeof(w));
        w.line = line;
        w.len = len;
        w.alt = &fmt->alts[a];
        ok = walk(&w, 0, 0);
        if (ok) {
            fmt->last = a;
        }
        else if (k == 0 || w.furthest > best) {
            /* why a line is bad: as the format that read most of it says */
            best = w.furthest;
            saw_eof = w.saw_eof;
            saw_badtime = w.saw_badtime;
        }
    }
    if (!ok) {
        if (saw_badtime) {
            return WR_LOGLINE_BAD_TIME;
        }
        if (has_control(line, len)) {
            return WR_LOGLINE_BINARY;
        }
        return saw_eof ? WR_LOGLINE_TRUNCATED : WR_LOGLINE_MALFORMED;
    }
    memset(rec, 0, sizeof(*rec));
    rec->client = w.span[F_CLIENT];
    rec->client_len = w.span_len[F_CLIENT];
    rec->vhost = w.span[F_VHOST];
    rec->vhost_len = w.span_len[F_VHOST];
    rec->has_time = w.span[F_TIME] != NULL;
    rec->time = w.time;
    rec->status = -1;
    if (w.span[F_STATUS] && w.span[F_STATUS][0] != '-') {
        rec->status = (int)to_number(w.span[F_STATUS], w.span_len[F_STATUS]);
    }
    if (w.span[F_BYTES]) {
        rec->bytes = to_number(w.span[F_BYTES], w.span_len[F_BYTES]);
    }
    rec->has_request = w.span[F_REQUEST] != NULL;
    rec->request = reqbuf;
    rec->request_len = 0;
    if (reqsize > 0) {
        reqbuf[0] = '\0';
    }
    if (rec->has_request) {
        rec->request_len = unescape_request(w.span[F_REQUEST],
                                            w.span_len[F_REQUEST], reqbuf,
                                            reqsize);
    }
    return WR_LOGLINE_OK;
}
