/* wr_statusjson.c - strict reader of the counters JSON (see the header) */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "wr_statusjson.h"

typedef struct {
    const char *s;
    apr_size_t len;
    apr_size_t pos;
    const char *err;
    apr_pool_t *p;
} rd_t;

/* fail - note the first error with its offset; always returns -1 */
static int fail(rd_t *r, const char *what)
{
    if (r->err == NULL) {
        r->err = apr_psprintf(r->p, "offset %" APR_SIZE_T_FMT ": %s", r->pos,
                              what);
    }
    return -1;
}

/* skip_ws - the four whitespace bytes JSON allows */
static void skip_ws(rd_t *r)
{
    while (r->pos < r->len && (r->s[r->pos] == ' ' || r->s[r->pos] == '\t'
                               || r->s[r->pos] == '\n'
                               || r->s[r->pos] == '\r')) {
        r->pos++;
    }
}

/* peek - the next byte, or -1 at the end */
static int peek(const rd_t *r)
{
    return r->pos < r->len ? (unsigned char)r->s[r->pos] : -1;
}

/* expect - one given byte after optional whitespace */
static int expect(rd_t *r, char c)
{
    skip_ws(r);
    if (peek(r) != (unsigned char)c) {
        return fail(r, apr_psprintf(r->p, "expected '%c'", c));
    }
    r->pos++;
    return 0;
}

/* hex4 - four hex digits of a \u escape */
static long hex4(rd_t *r)
{
    long v = 0;
    int i;

    if (r->len - r->pos < 4) {
        return fail(r, "short \\u escape");
    }
    for (i = 0; i < 4; i++) {
        int c = (unsigned char)r->s[r->pos + (apr_size_t)i];
        if (!apr_isxdigit(c)) {
            return fail(r, "bad \\u escape");
        }
        v = v * 16 + (apr_isdigit(c) ? c - '0' : (apr_tolower(c) - 'a' + 10));
    }
    r->pos += 4;
    return v;
}

/* put_utf8 - code point `cp` as UTF-8 into out; @return bytes written */
static int put_utf8(char *out, long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* string - a JSON string, decoded; the output is never longer than the
 * input, so one allocation of the rest of the input bounds it */
static int string(rd_t *r, const char **out)
{
    char *buf, *o;

    skip_ws(r);
    if (peek(r) != '"') {
        return fail(r, "expected a string");
    }
    r->pos++;
    o = buf = apr_palloc(r->p, r->len - r->pos + 1);
    for (;;) {
        int c = peek(r);
        if (c < 0) {
            return fail(r, "unterminated string");
        }
        if (c == '"') {
            r->pos++;
            break;
        }
        if (c < 0x20) {
            return fail(r, "control byte in a string");
        }
        r->pos++;
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        c = peek(r);
        r->pos++;
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            long cp = hex4(r);
            if (cp < 0) {
                return -1;
            }
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                return fail(r, "lone low surrogate");
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                long lo;
                if (r->len - r->pos < 2 || r->s[r->pos] != '\\'
                    || r->s[r->pos + 1] != 'u') {
                    return fail(r, "lone high surrogate");
                }
                r->pos += 2;
                if ((lo = hex4(r)) < 0) {
                    return -1;
                }
                if (lo < 0xdc00 || lo > 0xdfff) {
                    return fail(r, "bad surrogate pair");
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            o += put_utf8(o, cp);
            break;
        }
        default:
            r->pos--;
            return fail(r, "bad escape");
        }
    }
    *o = '\0';
    *out = buf;
    return 0;
}

/* number - the JSON number grammar, exactly */
static int number(rd_t *r, wr_statusjson_num_t *n)
{
    apr_size_t start;
    int integral = 1, neg = 0;
    char *text;

    skip_ws(r);
    start = r->pos;
    if (peek(r) == '-') {
        neg = 1;
        r->pos++;
    }
    if (peek(r) == '0') {
        r->pos++;
        if (peek(r) >= 0 && apr_isdigit(peek(r))) {
            return fail(r, "leading zero");
        }
    }
    else if (peek(r) >= '1' && peek(r) <= '9') {
        while (peek(r) >= 0 && apr_isdigit(peek(r))) {
            r->pos++;
        }
    }
    else {
        return fail(r, "expected a value");
    }
    if (peek(r) == '.') {
        integral = 0;
        r->pos++;
        if (peek(r) < 0 || !apr_isdigit(peek(r))) {
            return fail(r, "digit expected after '.'");
        }
        while (peek(r) >= 0 && apr_isdigit(peek(r))) {
            r->pos++;
        }
    }
    if (peek(r) == 'e' || peek(r) == 'E') {
        integral = 0;
        r->pos++;
        if (peek(r) == '+' || peek(r) == '-') {
            r->pos++;
        }
        if (peek(r) < 0 || !apr_isdigit(peek(r))) {
            return fail(r, "digit expected in the exponent");
        }
        while (peek(r) >= 0 && apr_isdigit(peek(r))) {
            r->pos++;
        }
    }
    text = apr_pstrmemdup(r->p, r->s + start, r->pos - start);
    n->value = strtod(text, NULL);
    n->exact = 0;
    n->u = 0;
    if (integral && !neg && r->pos - start <= 19) {
        /* up to 19 digits always fit in 64 bits */
        apr_size_t i;

        n->exact = 1;
        for (i = 0; text[i]; i++) {
            n->u = n->u * 10 + (apr_uint64_t)(text[i] - '0');
        }
    }
    return 0;
}

/* literal - true, false or null */
static int literal(rd_t *r, const char *word)
{
    apr_size_t n = strlen(word);

    if (r->len - r->pos < n || memcmp(r->s + r->pos, word, n) != 0) {
        return fail(r, "expected a value");
    }
    r->pos += n;
    return 0;
}

/* seen - whether `name` is already a member of the top-level object */
static int seen(const wr_statusjson_t *d, const char *name)
{
    return wr_statusjson_number(d, name) || wr_statusjson_string(d, name)
           || wr_statusjson_group(d, name);
}

/* group - an object whose members are numbers */
static int group(rd_t *r, wr_statusjson_group_t *g)
{
    g->members = apr_array_make(r->p, 8, sizeof(wr_statusjson_num_t));
    r->pos++;                   /* '{' */
    skip_ws(r);
    if (peek(r) == '}') {
        r->pos++;
        return 0;
    }
    for (;;) {
        wr_statusjson_num_t n;
        const char *name;

        if (string(r, &name) != 0 || expect(r, ':') != 0) {
            return -1;
        }
        if (wr_statusjson_member(g, name) != NULL) {
            return fail(r, apr_psprintf(r->p, "duplicate key '%s'", name));
        }
        skip_ws(r);
        if (peek(r) == '{' || peek(r) == '[' || peek(r) == '"') {
            return fail(r, "only numbers are expected inside an object");
        }
        if (number(r, &n) != 0) {
            return -1;
        }
        n.name = name;
        APR_ARRAY_PUSH(g->members, wr_statusjson_num_t) = n;
        skip_ws(r);
        if (peek(r) == '}') {
            r->pos++;
            return 0;
        }
        if (expect(r, ',') != 0) {
            return -1;
        }
    }
}

/* member - one member of the top-level object */
static int member(rd_t *r, wr_statusjson_t *d)
{
    const char *name;
    int c;

    if (string(r, &name) != 0 || expect(r, ':') != 0) {
        return -1;
    }
    if (seen(d, name)) {
        return fail(r, apr_psprintf(r->p, "duplicate key '%s'", name));
    }
    skip_ws(r);
    c = peek(r);
    if (c == '"') {
        wr_statusjson_str_t s;
        s.name = name;
        if (string(r, &s.value) != 0) {
            return -1;
        }
        APR_ARRAY_PUSH(d->strings, wr_statusjson_str_t) = s;
    }
    else if (c == '{') {
        wr_statusjson_group_t g;
        g.name = name;
        if (group(r, &g) != 0) {
            return -1;
        }
        APR_ARRAY_PUSH(d->groups, wr_statusjson_group_t) = g;
    }
    else if (c == 't' || c == 'f') {
        wr_statusjson_num_t n;
        if (literal(r, c == 't' ? "true" : "false") != 0) {
            return -1;
        }
        n.name = name;
        n.value = c == 't';
        n.exact = 1;
        n.u = c == 't';
        APR_ARRAY_PUSH(d->numbers, wr_statusjson_num_t) = n;
    }
    else if (c == 'n') {
        return literal(r, "null");
    }
    else if (c == '[') {
        return fail(r, "arrays are not expected");
    }
    else {
        wr_statusjson_num_t n;
        if (number(r, &n) != 0) {
            return -1;
        }
        n.name = name;
        APR_ARRAY_PUSH(d->numbers, wr_statusjson_num_t) = n;
    }
    return 0;
}

apr_status_t wr_statusjson_parse(const char *buf, apr_size_t len,
                                 wr_statusjson_t **pdoc, const char **err,
                                 apr_pool_t *p)
{
    rd_t r;
    wr_statusjson_t *d;

    memset(&r, 0, sizeof(r));
    r.s = buf;
    r.len = len;
    r.p = p;
    d = apr_pcalloc(p, sizeof(*d));
    d->numbers = apr_array_make(p, 8, sizeof(wr_statusjson_num_t));
    d->strings = apr_array_make(p, 2, sizeof(wr_statusjson_str_t));
    d->groups = apr_array_make(p, 2, sizeof(wr_statusjson_group_t));
    if (len > WR_STATUSJSON_MAX) {
        fail(&r, "document too large");
        goto leave;
    }
    if (expect(&r, '{') != 0) {
        goto leave;
    }
    skip_ws(&r);
    if (peek(&r) == '}') {
        r.pos++;
    }
    else {
        for (;;) {
            if (member(&r, d) != 0) {
                goto leave;
            }
            skip_ws(&r);
            if (peek(&r) == '}') {
                r.pos++;
                break;
            }
            if (expect(&r, ',') != 0) {
                goto leave;
            }
        }
    }
    skip_ws(&r);
    if (r.pos != r.len) {
        fail(&r, "junk after the object");
    }
leave:
    if (err != NULL) {
        *err = r.err;
    }
    if (r.err != NULL) {
        return APR_EINVAL;
    }
    *pdoc = d;
    return APR_SUCCESS;
}

const wr_statusjson_num_t *wr_statusjson_number(const wr_statusjson_t *doc,
                                                const char *name)
{
    int i;

    for (i = 0; i < doc->numbers->nelts; i++) {
        const wr_statusjson_num_t *n = &APR_ARRAY_IDX(doc->numbers, i,
                                                      wr_statusjson_num_t);
        if (!strcmp(n->name, name)) {
            return n;
        }
    }
    return NULL;
}

const char *wr_statusjson_string(const wr_statusjson_t *doc,
                                 const char *name)
{
    int i;

    for (i = 0; i < doc->strings->nelts; i++) {
        const wr_statusjson_str_t *s = &APR_ARRAY_IDX(doc->strings, i,
                                                      wr_statusjson_str_t);
        if (!strcmp(s->name, name)) {
            return s->value;
        }
    }
    return NULL;
}

const wr_statusjson_group_t *wr_statusjson_group(const wr_statusjson_t *doc,
                                                 const char *name)
{
    int i;

    for (i = 0; i < doc->groups->nelts; i++) {
        const wr_statusjson_group_t *g = &APR_ARRAY_IDX(doc->groups, i,
                                                        wr_statusjson_group_t);
        if (!strcmp(g->name, name)) {
            return g;
        }
    }
    return NULL;
}

const wr_statusjson_num_t *wr_statusjson_member(
    const wr_statusjson_group_t *g, const char *name)
{
    int i;

    for (i = 0; i < g->members->nelts; i++) {
        const wr_statusjson_num_t *n = &APR_ARRAY_IDX(g->members, i,
                                                      wr_statusjson_num_t);
        if (!strcmp(n->name, name)) {
            return n;
        }
    }
    return NULL;
}
