/* wr_notice_int.h - what the notice composer shares with the writers of
 * its formats (wr_notice_<format>.c); not for use outside wr_notice*.c
 *
 * A format's parts writer is called once the header section is written
 * up to "MIME-Version: 1.0". It writes the rest of the message: its own
 * header fields (Content-Type and whatever the format adds), the empty
 * line and the body, every line ending in CRLF. The human-readable text
 * (the expanded template, folded) is handed to it ready to use.
 */
#ifndef WR_NOTICE_INT_H
#define WR_NOTICE_INT_H

#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>

#include "wr_notice.h"
#include "wr_time.h"

/* Header values and machine-readable lines are bounded to this many
 * octets after escaping: far below RFC 5322's 998. */
#define WR_NOTICE_FIELD_MAX 900

/* A growing buffer in a pool. */
typedef struct wr_nbuf_t {
    char *s;
    apr_size_t len, cap;
    apr_pool_t *p;
} wr_nbuf_t;

/* nbuf_init - an empty buffer in pool p */
static inline void nbuf_init(wr_nbuf_t *b, apr_pool_t *p)
{
    b->p = p;
    b->cap = 1024;
    b->len = 0;
    b->s = apr_palloc(p, b->cap);
    b->s[0] = '\0';
}

/* nbuf_add - append n bytes, keeping the buffer NUL-terminated */
static inline void nbuf_add(wr_nbuf_t *b, const char *s, apr_size_t n)
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

/* nbuf_str - append a C string */
static inline void nbuf_str(wr_nbuf_t *b, const char *s)
{
    nbuf_add(b, s, strlen(s));
}

/* nbuf_printf - append formatted text */
static inline void nbuf_printf(wr_nbuf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void nbuf_printf(wr_nbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = apr_pvsprintf(b->p, fmt, ap);
    va_end(ap);
    nbuf_str(b, s);
}

/* What a parts writer works from. */
typedef struct wr_notice_parts_t {
    const wr_notice_input_t *in;
    const char *report_id;      /* the message's X-Wormreply-Report-ID */
    const char *text;           /* the human-readable text, CRLF lines */
    apr_size_t text_len;
    int eightbit;               /* the text has non-ASCII octets */
    apr_pool_t *p;
} wr_notice_parts_t;

/* wr_notice_field - wr_notice_sanitize bounded in output as well: at most
 * `max_out` octets including the "..." of a cut (0 = no bound), never
 * splitting an escape or a UTF-8 sequence. What keeps a line within 998
 * octets whatever the input: escaping makes a byte four octets. */
const char *wr_notice_field(const char *s, apr_size_t max_in,
                            apr_size_t max_out, int ascii, apr_pool_t *p);

/* wr_notice_random_hex - n random bytes (at most 32) as 2n hex digits */
apr_status_t wr_notice_random_hex(apr_size_t n, const char **hex,
                                  apr_pool_t *p);

/* wr_notice_text_part - the text alone: "Content-Type: text/plain" and
 * its transfer encoding, the empty line, the text (plain's writer) */
apr_status_t wr_notice_text_part(wr_nbuf_t *out, const wr_notice_parts_t *pt,
                                 const char **why);

/* wr_notice_multipart_open - start a multipart message: its
 * Content-Type (`ctype`, e.g. "multipart/mixed", with `params` such as
 * "report-type=feedback-report" or NULL) after `extra` header lines
 * (CRLF-terminated, or NULL), a fresh boundary (in *boundary), a preamble
 * naming `what`, and the text as the first part. The writer then adds
 * its parts, each "--boundary\r\n..." and ends with
 * wr_notice_multipart_close. */
apr_status_t wr_notice_multipart_open(wr_nbuf_t *out,
                                      const wr_notice_parts_t *pt,
                                      const char *extra, const char *ctype,
                                      const char *params, const char *what,
                                      const char **boundary,
                                      const char **why);

/* wr_notice_multipart_close - the closing delimiter */
void wr_notice_multipart_close(wr_nbuf_t *out, const char *boundary);

/* A format's parts writer (declared beside the table, wr_notice_format.c,
 * and defined in the format's own file). */
typedef apr_status_t wr_notice_parts_fn(wr_nbuf_t *out,
                                        const wr_notice_parts_t *pt,
                                        const char **why);

#endif
