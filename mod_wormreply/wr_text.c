/* wr_text.c - UTF-8, sanitising, host names, a growing buffer (see
 * wr_text.h) */
#include <stdarg.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "wr_text.h"

const char wr_text_digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/* ---- UTF-8 ---------------------------------------------------------- */

apr_size_t wr_text_utf8_decode(const unsigned char *s, apr_size_t n,
                               apr_uint32_t *cp)
{
    apr_uint32_t v;
    apr_size_t len, k;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        v = s[0] & 0x1fu;
    }
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        v = s[0] & 0x0fu;
    }
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        v = s[0] & 0x07u;
    }
    else {
        return 0;       /* a continuation byte, C0/C1 (overlong) or F5+ */
    }
    if (len > n) {
        return 0;
    }
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[k] & 0x3fu);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff))
        || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }
    *cp = v;
    return len;
}

apr_size_t wr_text_utf8_encode(apr_uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

int wr_text_displayable(apr_uint32_t cp)
{
    return !(cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)
             || (cp >= 0x202a && cp <= 0x202e)
             || (cp >= 0x2066 && cp <= 0x2069)
             || cp == 0x200e || cp == 0x200f || cp == 0x061c
             || cp == 0x2028 || cp == 0x2029);
}

apr_size_t wr_text_utf8_shown(const unsigned char *s, apr_size_t n)
{
    apr_uint32_t cp;
    apr_size_t u;

    if (s[0] < 0x80 || (u = wr_text_utf8_decode(s, n, &cp)) == 0
        || !wr_text_displayable(cp)) {
        return 0;
    }
    return u;
}

const char *wr_text_sanitize(const char *str, apr_size_t max_in,
                             apr_size_t max_out, int ascii, apr_pool_t *p)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    apr_size_t n = strlen((const char *)s), i = 0, o = 0, u;
    int cut = 0;
    char *out;

    if (max_in > 0 && n > max_in) {
        n = max_in;
        cut = 1;
    }
    if (max_out > 0 && max_out < 4) {
        max_out = 4;
    }
    out = apr_palloc(p, n * 4 + 4);
    while (i < n) {
        apr_size_t need;
        int last;

        if (s[i] >= 0x20 && s[i] < 0x7f) {
            u = 1;
            need = 1;
        }
        else if (!ascii && (u = wr_text_utf8_shown(s + i, n - i)) > 0) {
            need = u;
        }
        else {
            u = 0;
            need = 4;
        }
        /* Room for this piece and, unless it ends the text, a "..." */
        last = i + (u > 0 ? u : 1) >= n && !cut;
        if (max_out > 0 && o + need + (last ? 0 : 3) > max_out) {
            cut = 1;
            break;
        }
        if (u > 0) {
            memcpy(out + o, s + i, u);
            o += u;
            i += u;
        }
        else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[s[i] >> 4];
            out[o++] = hex[s[i] & 15];
            i++;
        }
    }
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* ---- host names ------------------------------------------------------- */

int wr_text_host_ok(const char *name, unsigned flags)
{
    apr_size_t len, i, label = 0, labels = 0, top = 0;
    int top_digits = 1;

    if (name == NULL) {
        return 0;
    }
    len = strlen(name);
    if ((flags & WR_TEXT_HOST_DOT) && len > 0 && name[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > 253) {
        return 0;
    }
    /* a '.' past the end closes the last label */
    for (i = 0; i <= len; i++) {
        char c = i < len ? name[i] : '.';

        if (c == '.') {
            if (label == 0 || name[i - 1] == '-') {
                return 0;
            }
            labels++;
            label = 0;
            continue;
        }
        if (label == 0) {
            if (c == '-') {
                return 0;
            }
            top = i;
        }
        if (!(apr_isalnum(c) && (unsigned char)c < 0x80) && c != '-') {
            return 0;
        }
        if (++label > 63) {
            return 0;
        }
    }
    if (!(flags & WR_TEXT_HOST_DOMAIN)) {
        return 1;
    }
    for (i = top; i < len; i++) {
        if (!apr_isdigit(name[i])) {
            top_digits = 0;
        }
    }
    return labels >= 2 && !top_digits;
}

/* ---- a growing buffer -------------------------------------------------- */

void wr_buf_init(wr_buf_t *b, apr_pool_t *p)
{
    b->p = p;
    b->cap = 1024;
    b->len = 0;
    b->s = apr_palloc(p, b->cap);
    b->s[0] = '\0';
}

void wr_buf_add(wr_buf_t *b, const char *s, apr_size_t n)
{
    if (b->len + n + 1 > b->cap) {
        char *ns;
        while (b->len + n + 1 > b->cap) {
            b->cap *= 2;
        }
        ns = apr_palloc(b->p, b->cap);
        memcpy(ns, b->s, b->len);
        b->s = ns;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void wr_buf_str(wr_buf_t *b, const char *s)
{
    wr_buf_add(b, s, strlen(s));
}

void wr_buf_printf(wr_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = apr_pvsprintf(b->p, fmt, ap);
    va_end(ap);
    wr_buf_str(b, s);
}
