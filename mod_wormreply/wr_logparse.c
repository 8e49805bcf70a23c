/* wr_logparse.c - request line out of an access-log line */
#include <string.h>

#include "wr_logparse.h"
#include "wr_text.h"

size_t wr_log_unescape(const char *in, size_t len, char *out, size_t outsize,
                       size_t *consumed)
{
    size_t i = 0, o = 0;

    while (i < len && in[i] != '"') {
        unsigned char c = (unsigned char)in[i];
        if (c == '\\' && i + 1 < len) {
            unsigned char e = (unsigned char)in[i + 1];
            int hi = i + 3 < len ? wr_text_hexval((unsigned char)in[i + 2])
                                 : -1;
            int lo = i + 3 < len ? wr_text_hexval((unsigned char)in[i + 3])
                                 : -1;
            if (e == 'x' && hi >= 0 && lo >= 0) {
                c = (unsigned char)(hi * 16 + lo);
                i += 4;
            }
            else if (e == '"' || e == '\\') {
                c = e;
                i += 2;
            }
            else if (e == 'n' || e == 'r' || e == 't') {
                c = e == 'n' ? '\n' : e == 'r' ? '\r' : '\t';
                i += 2;
            }
            else {
                i++;
            }
        }
        else {
            i++;
        }
        if (o + 1 < outsize) {
            out[o++] = (char)c;
        }
    }
    if (outsize > 0) {
        out[o] = '\0';
    }
    *consumed = i;
    return o;
}

int wr_logline_request(const char *line, size_t len, char *out,
                       size_t outsize, size_t *outlen, int *truncated)
{
    const char *p = line, *end = line + len, *q;
    size_t consumed;

    /* "] \"" closes the timestamp and opens the request in every format
     * that logs %t before %r (common, combined, vhost_combined). */
    for (;;) {
        q = memchr(p, ']', (size_t)(end - p));
        if (q == NULL || q + 2 >= end) {
            return 0;
        }
        if (q[1] == ' ' && q[2] == '"') {
            break;
        }
        p = q + 1;
    }
    q += 3;
    /* Most request lines have nothing escaped: copy them as they are. */
    {
        const char *close = memchr(q, '"', (size_t)(end - q));
        const char *lim = close ? close : end;
        if (outsize > 0 && memchr(q, '\\', (size_t)(lim - q)) == NULL) {
            size_t n = (size_t)(lim - q);
            if (n > outsize - 1) {
                n = outsize - 1;
            }
            memcpy(out, q, n);
            out[n] = '\0';
            *outlen = n;
            *truncated = (close == NULL);
            return 1;
        }
    }
    *outlen = wr_log_unescape(q, (size_t)(end - q), out, outsize, &consumed);
    *truncated = (q + consumed >= end);
    return 1;
}
