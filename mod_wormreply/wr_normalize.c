/* wr_normalize.c - bounded IIS-style decoding of request targets */
#include <string.h>

#include "wr_normalize.h"
#include "wr_text.h"

/* percent_round - one pass of %XX and %uXXXX decoding over s[0..n), in
 * place. Returns the new length; *changed is set when anything was
 * decoded, *high when a byte >= 0xC0 (a UTF-8 lead) came out of a
 * decoding. A '%' that starts no valid escape is kept as it is, which is
 * what makes "%%35c" decode to "%5c" and then to "\" on the next round.
 * The runs between two '%' are found with memchr and moved only once
 * something before them was decoded. */
static size_t percent_round(unsigned char *s, size_t n, int *changed,
                            int *high)
{
    size_t i = 0, o = 0;

    while (i < n) {
        unsigned char *pct = memchr(s + i, '%', n - i);
        size_t run = (pct ? (size_t)(pct - s) : n) - i;

        if (o != i) {
            memmove(s + o, s + i, run);
        }
        o += run;
        i += run;
        if (pct == NULL) {
            break;
        }
        if (i + 2 < n && wr_text_hexval(s[i + 1]) >= 0
            && wr_text_hexval(s[i + 2]) >= 0) {
            unsigned char c = (unsigned char)(wr_text_hexval(s[i + 1]) * 16
                                              + wr_text_hexval(s[i + 2]));
            s[o++] = c;
            *high |= (c >= 0xC0);
            i += 3;
            *changed = 1;
        }
        else if (i + 5 < n
                 && (s[i + 1] == 'u' || s[i + 1] == 'U')
                 && wr_text_hexval(s[i + 2]) >= 0
                 && wr_text_hexval(s[i + 3]) >= 0
                 && wr_text_hexval(s[i + 4]) >= 0
                 && wr_text_hexval(s[i + 5]) >= 0) {
            unsigned long cp = (unsigned long)(wr_text_hexval(s[i + 2]) << 12
                                               | wr_text_hexval(s[i + 3]) << 8
                                               | wr_text_hexval(s[i + 4]) << 4
                                               | wr_text_hexval(s[i + 5]));
            /* 6 input bytes become at most 3: the write never passes i */
            size_t k = wr_text_utf8_encode((apr_uint32_t)cp, s + o);
            *high |= (s[o] >= 0xC0);
            o += k;
            i += 6;
            *changed = 1;
        }
        else {
            s[o++] = s[i++];
        }
    }
    return o;
}

/* overlong_round - fold overlong and IIS-lenient UTF-8 forms of ASCII
 * characters into the character. IIS accepted a C0/C1 lead byte followed
 * by any byte and computed ((lead & 1) << 6) | (next & 0x3F), which is how
 * %c1%1c and %c1%9c both became a backslash; E0 80..9F xx and F0 80 8x xx
 * are the longer overlong forms. Only results below 0x80 are folded:
 * they are the ones that hide a '/', '\' or '.'. */
static size_t overlong_round(unsigned char *s, size_t n, int *changed)
{
    size_t i = 0, o = 0;

    while (i < n) {
        unsigned char c = s[i];
        if ((c == 0xC0 || c == 0xC1) && i + 1 < n) {
            s[o++] = (unsigned char)(((c & 1) << 6) | (s[i + 1] & 0x3F));
            i += 2;
            *changed = 1;
        }
        else if (c == 0xE0 && i + 2 < n && (s[i + 1] & 0xE0) == 0x80
                 && (s[i + 1] & 0x1F) <= 1 && (s[i + 2] & 0xC0) == 0x80) {
            s[o++] = (unsigned char)(((s[i + 1] & 1) << 6) | (s[i + 2] & 0x3F));
            i += 3;
            *changed = 1;
        }
        else if (c == 0xF0 && i + 3 < n && s[i + 1] == 0x80
                 && (s[i + 2] & 0xFE) == 0x80 && (s[i + 3] & 0xC0) == 0x80) {
            s[o++] = (unsigned char)(((s[i + 2] & 1) << 6) | (s[i + 3] & 0x3F));
            i += 4;
            *changed = 1;
        }
        else {
            s[o++] = s[i++];
        }
    }
    return o;
}

/* The last step of normalize_part, one table lookup a byte: '\\' to
 * '/', upper to lower case, NUL to '?' */
#define NRM1(n) ((n) == '\\' ? (unsigned char)'/' \
                 : (n) == 0 ? (unsigned char)'?' \
                 : ((n) >= 'A' && (n) <= 'Z') ? (unsigned char)((n) + 32) \
                 : (unsigned char)(n))
#define NRM4(n) NRM1(n), NRM1((n) + 1), NRM1((n) + 2), NRM1((n) + 3)
#define NRM16(n) NRM4(n), NRM4((n) + 4), NRM4((n) + 8), NRM4((n) + 12)
#define NRM64(n) NRM16(n), NRM16((n) + 16), NRM16((n) + 32), NRM16((n) + 48)
static const unsigned char final_tab[256] = {
    NRM64(0), NRM64(64), NRM64(128), NRM64(192)
};

/* normalize_part - decode one part (path or query) in place. The
 * overlong pass runs only while the part holds a UTF-8 lead byte, and
 * the rounds end as soon as one decodes nothing. */
static size_t normalize_part(unsigned char *s, size_t n)
{
    int round, high = 0;
    size_t i;

    for (i = 0; i < n && !high; i++) {
        high = (s[i] >= 0xC0);
    }
    for (round = 0; round < WR_NORM_ROUNDS; round++) {
        int changed = 0;
        n = percent_round(s, n, &changed, &high);
        if (high) {
            n = overlong_round(s, n, &changed);
        }
        if (!changed) {
            break;
        }
    }
    for (i = 0; i < n; i++) {
        s[i] = final_tab[s[i]];
    }
    return n;
}

size_t wr_normalize(const char *in, size_t inlen, char *out, size_t outsize)
{
    unsigned char *o = (unsigned char *)out;
    const char *q;
    size_t n, pathlen;

    if (outsize == 0) {
        return 0;
    }
    n = inlen < outsize - 1 ? inlen : outsize - 1;
    memcpy(o, in, n);
    q = memchr(in, '?', n);
    pathlen = q ? (size_t)(q - in) : n;
    pathlen = normalize_part(o, pathlen);
    if (q) {
        size_t qlen = n - (size_t)(q - in) - 1;
        o[pathlen] = '?';
        memmove(o + pathlen + 1, q + 1, qlen);
        qlen = normalize_part(o + pathlen + 1, qlen);
        n = pathlen + 1 + qlen;
    }
    else {
        n = pathlen;
    }
    o[n] = '\0';
    return n;
}

int wr_needs_decoding(const char *in, size_t inlen)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i;

    for (i = 0; i < inlen; i++) {
        if (s[i] == '%' || s[i] == '\\' || s[i] >= 0x80) {
            return 1;
        }
    }
    return 0;
}
