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
#include "wr_text.h"
#include "wr_time.h"

/* Header values and machine-readable lines are bounded to this many
 * octets after escaping: far below RFC 5322's 998. */
#define WR_NOTICE_FIELD_MAX 900

/* What a parts writer works from. */
typedef struct wr_notice_parts_t {
    const wr_notice_input_t *in;
    const char *report_id;      /* the message's X-Wormreply-Report-ID */
    const char *text;           /* the human-readable text, CRLF lines */
    apr_size_t text_len;
    int eightbit;               /* the text has non-ASCII octets */
    apr_pool_t *p;
} wr_notice_parts_t;

/* wr_notice_random_hex - n random bytes (at most 32) as 2n hex digits */
apr_status_t wr_notice_random_hex(apr_size_t n, const char **hex,
                                  apr_pool_t *p);

/* wr_notice_text_part - the text alone: "Content-Type: text/plain" and
 * its transfer encoding, the empty line, the text (plain's writer) */
apr_status_t wr_notice_text_part(wr_buf_t *out, const wr_notice_parts_t *pt,
                                 const char **why);

/* wr_notice_multipart_open - start a multipart message: its
 * Content-Type (`ctype`, e.g. "multipart/mixed", with `params` such as
 * "report-type=feedback-report" or NULL) after `extra` header lines
 * (CRLF-terminated, or NULL), a fresh boundary (in *boundary), a preamble
 * naming `what`, and the text as the first part. The writer then adds
 * its parts, each "--boundary\r\n..." and ends with
 * wr_notice_multipart_close. */
apr_status_t wr_notice_multipart_open(wr_buf_t *out,
                                      const wr_notice_parts_t *pt,
                                      const char *extra, const char *ctype,
                                      const char *params, const char *what,
                                      const char **boundary,
                                      const char **why);

/* wr_notice_multipart_close - the closing delimiter */
void wr_notice_multipart_close(wr_buf_t *out, const char *boundary);

/* A format's parts writer (declared beside the table, wr_notice_format.c,
 * and defined in the format's own file). */
typedef apr_status_t wr_notice_parts_fn(wr_buf_t *out,
                                        const wr_notice_parts_t *pt,
                                        const char **why);

#endif
