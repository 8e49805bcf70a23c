/* wr_logfmt.h - access-log lines read through an httpd LogFormat
 *
 * A format is compiled once from a name ("common", "combined",
 * "vhost_combined", "worm", "auto") or from any httpd LogFormat string such as
 * '%h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"'. The parser
 * then takes one line at a time and returns the fields the report needs:
 *   client   %h or %a (the first of them in the format)
 *   time     %t  "[21/Apr/2004:10:56:07 -0400]", converted to UTC seconds
 *   request  %r  unescaped as Apache escapes it (\" \\ \xNN), through
 *                wr_log_unescape (wr_logparse.h)
 *   status   %s, %>s, %<s
 *   bytes    %b, %B, %O ("-" is 0; the first of them in the format)
 *   vhost    %v, %V
 * Every other directive is skipped: its text runs up to the literal that
 * follows it in the format.
 *
 * Matching a line is a left-to-right walk: a field ends at the first
 * occurrence of the literal after it. A quoted field ("%r", between '"'
 * literals) may backtrack: if the rest of the line then fails (a status
 * that is not a number, say), the next unescaped '"' followed by that
 * literal is tried. This reads Apache 1.3 logs, which did not escape '"'
 * inside %r ("GET" /x?a=' HTTP/1.0"), without guessing. The tries per
 * line are capped (WR_LOGFMT_MAX_TRIES), so a hostile line costs at most
 * that many scans of itself.
 *
 * "worm" is the probes-only log of the README and conf/wormreply.conf:
 *   %h %l %u %t "%r" %>s %O "%{WORM_PROBE}e"
 * "auto" tries combined, common, vhost_combined and worm, starting with
 * the one that read the previous line.
 *
 * Contract: the parser never reads past `len`, never allocates and never
 * writes past `reqsize`; a line it cannot read is classified (malformed,
 * truncated, binary, too long, bad time), never fatal. Not thread-safe
 * for "auto" (it remembers the last format that matched).
 */
#ifndef WR_LOGFMT_H
#define WR_LOGFMT_H

#include <stddef.h>

#include <apr_pools.h>

/* A line of this many bytes or more (without its newline) is bad. httpd's
 * default LimitRequestLine (8190) escaped four times (\xNN) stays under
 * it, so only lines no default httpd writes are refused. */
#define WR_LOGFMT_LINE_MAX 32768

/* Cap on the field-end candidates tried per line (see above). */
#define WR_LOGFMT_MAX_TRIES 64

typedef enum {
    WR_LOGLINE_OK = 0,
    WR_LOGLINE_MALFORMED,   /* does not follow the format */
    WR_LOGLINE_TRUNCATED,   /* ends before the format does (a cut line) */
    WR_LOGLINE_BINARY,      /* NUL or control bytes where text belongs */
    WR_LOGLINE_TOO_LONG,    /* WR_LOGFMT_LINE_MAX bytes or more */
    WR_LOGLINE_BAD_TIME,    /* %t present but not a valid date */
    WR_LOGLINE_NSTATUS
} wr_logline_status_t;

typedef struct wr_logfmt_t wr_logfmt_t;

/* One parsed line. Pointers point into the line, except `request`, which
 * points into the caller's buffer. Absent fields: NULL / 0 / -1. */
typedef struct {
    const char *client;
    size_t client_len;
    const char *vhost;          /* NULL when the format has no %v/%V */
    size_t vhost_len;
    long long time;             /* seconds since the epoch, UTC */
    int has_time;
    int status;                 /* -1 for "-" or no status field */
    unsigned long long bytes;   /* 0 for "-" or no bytes field */
    const char *request;        /* unescaped %r, NUL-terminated */
    size_t request_len;
    int has_request;
} wr_logrec_t;

/* wr_logfmt_compile - compile a format name or LogFormat string into
 * `p`. @return APR_EINVAL with *err set for a format that cannot be read
 * (unterminated %{, two directives with nothing between them). */
apr_status_t wr_logfmt_compile(wr_logfmt_t **pfmt, const char *spec,
                               apr_pool_t *p, const char **err);

/* wr_logfmt_spec - the LogFormat string (or "auto") a format stands for */
const char *wr_logfmt_spec(const wr_logfmt_t *fmt);

/* wr_logfmt_parse - read one line (without its newline) into *rec.
 * `reqbuf` receives the unescaped request line; with reqsize > len it is
 * never cut. @return WR_LOGLINE_OK, or why the line is bad (then *rec is
 * unspecified). */
wr_logline_status_t wr_logfmt_parse(wr_logfmt_t *fmt, const char *line,
                                    size_t len, char *reqbuf,
                                    size_t reqsize, wr_logrec_t *rec);

/* wr_logline_status_name - "ok", "malformed", "truncated", "binary",
 * "too_long", "bad_time" */
const char *wr_logline_status_name(wr_logline_status_t st);

/* wr_logfmt_parse_time - "[dd/Mon/yyyy:HH:MM:SS +hhmm]" (brackets
 * included) to UTC seconds. @return 0 on success, -1 if invalid. */
int wr_logfmt_parse_time(const char *s, size_t len, long long *t);

#endif
