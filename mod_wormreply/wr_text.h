/* wr_text.h - text as the project reads and writes it, in one place:
 * UTF-8 decoded and encoded, hostile text made safe to show, the LDH
 * host-name rule, and a growing buffer
 *
 * Everything here takes bytes from the network, a log or a spool record:
 * nothing assumes valid UTF-8, a NUL terminator within a length, or ASCII.
 */
#ifndef WR_TEXT_H
#define WR_TEXT_H

#include <apr.h>
#include <apr_pools.h>

/* ---- UTF-8 ---------------------------------------------------------- */

/* wr_text_utf8_decode - the UTF-8 sequence at s (n > 0 bytes there): its
 * length, 1 to 4, with the code point in *cp; 0 if the bytes are not a
 * well-formed sequence (RFC 3629: no overlong form, no surrogate, nothing
 * past U+10FFFF, no stray or missing continuation byte) */
apr_size_t wr_text_utf8_decode(const unsigned char *s, apr_size_t n,
                               apr_uint32_t *cp);

/* wr_text_utf8_encode - code point cp (at most U+10FFFF) written at o;
 * its length, 1 to 4 */
apr_size_t wr_text_utf8_encode(apr_uint32_t cp, unsigned char *o);

/* wr_text_displayable - 1 if code point cp may be shown as it is to a
 * reader: not a C0 or C1 control, DEL, a bidirectional control (which
 * can make text read other than it is) or a line or paragraph
 * separator */
int wr_text_displayable(apr_uint32_t cp);

/* wr_text_utf8_shown - the length (2 to 4) of the well-formed,
 * displayable non-ASCII UTF-8 sequence at s (n > 0 bytes there); 0 if
 * the bytes there are not one */
apr_size_t wr_text_utf8_shown(const unsigned char *s, apr_size_t n);

/* wr_text_sanitize - `str` made safe to show in a mail or a log: printable
 * ASCII and (unless `ascii`) displayable UTF-8 kept, every other byte
 * written "\xNN". At most `max_in` input bytes are taken (0: all) and at
 * most `max_out` octets written (0: no bound) including the "..." that
 * marks a cut; an escape or a UTF-8 sequence is never split. NULL reads
 * as "". The result is in pool p. */
const char *wr_text_sanitize(const char *str, apr_size_t max_in,
                             apr_size_t max_out, int ascii, apr_pool_t *p);

/* ---- digits --------------------------------------------------------- */

/* wr_text_hexval - the value of hex digit c, or -1. Inline: the request
 * path's decoders call it for every byte of an escape. */
static APR_INLINE int wr_text_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* wr_text_digits2 - "00" to "99" in a row, 200 bytes */
extern const char wr_text_digits2[];

/* wr_text_put2 - `v` (0-99) as two digits at `b`: the request path writes
 * its numbers by hand, as apr_snprintf costs about a thousand
 * instructions a call */
static APR_INLINE void wr_text_put2(char *b, unsigned v)
{
    b[0] = wr_text_digits2[2 * v];
    b[1] = wr_text_digits2[2 * v + 1];
}

/* ---- host names ------------------------------------------------------- */

/* Flags of wr_text_host_ok. */
#define WR_TEXT_HOST_DOT    0x1  /* a final "." (the root) is allowed */
#define WR_TEXT_HOST_DOMAIN 0x2  /* two labels at least and a top label
                                  * that is not all digits: a DNS name,
                                  * never an IPv4 address */

/* wr_text_host_ok - 1 if `name` follows the LDH rule of RFC 952/1123:
 * labels of ASCII letters, digits and inner hyphens, 1 to 63 octets,
 * separated by single dots, 253 octets at most (without a final dot);
 * `flags` as above. NULL is not a name. */
int wr_text_host_ok(const char *name, unsigned flags);

/* ---- a growing buffer -------------------------------------------------- */

/* Text built in a pool, always NUL-terminated: s[len] == '\0'. Growing
 * leaves the old copy in the pool (the pool's lifetime bounds it). */
typedef struct wr_buf_t {
    char *s;
    apr_size_t len, cap;
    apr_pool_t *p;
} wr_buf_t;

/* wr_buf_init - an empty buffer in pool p */
void wr_buf_init(wr_buf_t *b, apr_pool_t *p);

/* wr_buf_add - append n bytes */
void wr_buf_add(wr_buf_t *b, const char *s, apr_size_t n);

/* wr_buf_str - append a C string */
void wr_buf_str(wr_buf_t *b, const char *s);

/* wr_buf_printf - append formatted text */
void wr_buf_printf(wr_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
