/* wr_notice.h - compose an abuse notice as an RFC 5322 message
 *
 * The format (WormReplyFormat) is a row of the format table
 * (wr_notice_format.c): "plain" is one message per recipient domain, a
 * digest naming every offending host of the domain; "xarf4" is one XARF
 * v4 report per host (wr_notice_xarf4.c: multipart/mixed of the text and
 * the report as application/json, valid against the xarf-spec schemas);
 * "xarf" one X-ARF 0.2 report per host (wr_notice_xarf.c: "X-XARF:
 * PLAIN", multipart/mixed of the text, a YAML report.yaml and the request
 * lines as evidence.txt); "arf" writes what xarf4 writes, ARF being
 * feedback about email (README). The notifier composes the reports of a
 * digest's hosts in the same turn.
 *
 * The message:
 *   Date                   RFC 5322 date of `now`, "+0000"
 *   From                   in->from, with in->from_name as display name
 *   To                     in->to, comma separated (Bcc is never written;
 *                          it is returned in msg->rcpt for the envelope)
 *   Subject                from the template's "Subject:" line, or
 *                          "[wormreply] ${family} probes from ${source}"
 *   Message-ID             <REPORT-ID@server_name>
 *   X-Wormreply-Report-ID  REPORT-ID: "wr-YYYYMMDDTHHMMSSZ-" + 16 random
 *                          hex digits; unique, also the outbox file name
 *   Auto-Submitted         auto-generated (RFC 3834)
 *   MIME-Version           1.0
 *   Content-Type           text/plain; charset=utf-8 (plain), or
 *                          multipart/mixed (the reports)
 *   Content-Transfer-Encoding  7bit, or 8bit when the body has non-ASCII
 *                          (msg->eightbit is then set: ask for 8BITMIME)
 * Lines end in CRLF, no line is longer than 998 octets, whatever the
 * input (values are bounded after escaping, and a composed message that
 * broke the rule would be refused rather than returned); body lines longer
 * than 78 octets are folded (at a space when there is one) and the
 * continuation is indented by two more spaces than the line. The Subject
 * folds within 78 octets wherever it has a space (RFC 2047 encoded words
 * always fit).
 *
 * Sanitising: every string that came from the network (request lines,
 * host names, vhost, domain, family names, addresses) goes through
 * wr_notice_sanitize(): bytes below 0x20, 0x7f, invalid UTF-8, C1 controls
 * and Unicode bidirectional controls become "\xNN" per byte, so no value
 * can start a header, end a line or hide text; each value is cut to a
 * length limit. In headers (Subject, ARF fields) non-ASCII is escaped the
 * same way, and a non-ASCII Subject from the administrator's template is
 * written as RFC 2047 encoded words. Mail addresses are not sanitised but
 * checked: anything but a plain dot-atom local@domain is refused.
 *
 * The template (conf/notice.tmpl, WormReplyTemplate) is UTF-8 text. An
 * optional first line "Subject: ..." followed by an empty line gives the
 * subject; the rest is the body. Placeholders, anything else "${...}" is
 * an error:
 *   ${domain}        recipient domain         ${server_name}  our name
 *   ${family}        family titles ("Nimda worm"), comma separated
 *   ${family_id}     family names ("nimda")
 *   ${family_info}   a paragraph per family: what it is, how to clean it
 *   ${source}        "192.0.2.10 (host.example.com)" or "3 hosts in
 *                    example.com"
 *   ${host_count}    number of hosts          ${count}     total probes
 *   ${first_seen}    earliest, "2024-05-01 12:00:00 UTC"
 *   ${last_seen}     latest, same form
 *   ${hosts_table}   a block per host: address, confirmed name, family,
 *                    first/last seen, probes, server name it was sent to
 *   ${request_lines} per host, the request lines kept (indented)
 *   ${report_id}     ${date}  (RFC 5322)      ${from}      our address
 */
#ifndef WR_NOTICE_H
#define WR_NOTICE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "wr_match.h"

/* Longest request line shown, in bytes before escaping. */
#define WR_NOTICE_LINE_MAX 1000

/* Longest host name, vhost or domain shown. */
#define WR_NOTICE_NAME_MAX 255

/* Largest template accepted. */
#define WR_NOTICE_TEMPLATE_MAX 65536

/* A notice format: a value of WormReplyFormat and how to write it. The
 * table of formats (wr_notice_format.c) is the one place that lists them;
 * each format's writer lives in a file of its own (wr_notice_arf.c ...),
 * so a new format touches the table and its own file. */
struct wr_buf_t;
struct wr_notice_parts_t;
typedef struct {
    const char *name;           /* the value of WormReplyFormat */
    int hosts_per_message;      /* 0: a digest of every host; else at most */
    const char *config_warning; /* what configtest says of it, or NULL */
    /* the rest of the message after the common header fields */
    apr_status_t (*parts)(struct wr_buf_t *out,
                          const struct wr_notice_parts_t *pt,
                          const char **why);
} wr_notice_format_t;

/* wr_notice_format_find - the format named `name` (any case), NULL if
 * there is none */
const wr_notice_format_t *wr_notice_format_find(const char *name);

/* wr_notice_format_at - the i-th format of the table (0: "plain"), NULL
 * past the last one: for tests and fuzzers that try every format */
const wr_notice_format_t *wr_notice_format_at(int i);

/* wr_notice_format_names - "plain, arf, xarf or xarf4", for messages */
const char *wr_notice_format_names(apr_pool_t *p);

/* One offending host. */
typedef struct {
    const char *address;        /* "192.0.2.10" (required) */
    const char *name;           /* confirmed name, NULL if none */
    const char *family;         /* "nimda" (required) */
    const char *family_title;   /* "Nimda worm"; NULL: the family name */
    const char *family_info;    /* for the abuse desk; NULL: none */
    const char *family_kind;    /* "worm", "scanner"...; NULL: not known */
    const char *family_confidence;  /* "certain"...; NULL: not known */
    const char *vhost;          /* server name probed; may be NULL */
    apr_uint16_t source_port;   /* the client's port; 0 = not known */
    const char *local_address;  /* our address probed; NULL = not known */
    apr_uint16_t local_port;    /* our port probed; 0 = not known */
    apr_time_t first_seen;
    apr_time_t last_seen;
    apr_uint64_t count;
    int nlines;
    const char *const *lines;   /* nlines request lines */
} wr_notice_host_t;

typedef struct {
    const char *tmpl;           /* template text; NULL = built-in default */
    const char *from;           /* "wormreply@www.example.org" (required) */
    const char *from_name;      /* display name, may be NULL */
    const apr_array_header_t *to;   /* const char *, at least one */
    const apr_array_header_t *bcc;  /* const char *, may be NULL */
    const char *domain;         /* recipient domain (required) */
    const char *server_name;    /* our host name (required, LDH) */
    const char *format;         /* a format's name; NULL: "plain" */
    const wr_notice_host_t *hosts;
    int nhosts;                 /* >= 1; at most the format's
                                 * hosts_per_message (1 for ARF, X-ARF) */
    apr_time_t now;
} wr_notice_input_t;

typedef struct {
    const char *data;           /* the whole message, CRLF line ends */
    apr_size_t len;
    const char *report_id;
    const char *message_id;     /* with the angle brackets */
    const char *subject;        /* unfolded, as written (before RFC 2047) */
    const char *from;           /* envelope sender */
    apr_array_header_t *rcpt;   /* envelope recipients: To, then Bcc */
    int nto;                    /* how many of rcpt are To (the rest Bcc) */
    int eightbit;
} wr_notice_t;

/* wr_notice_host_family - fill h's family_title, family_info,
 * family_kind and family_confidence from the family's declaration in
 * `set` (conf/signatures.conf: its title, about, kind and confidence);
 * a family `set` does not know is left as it is */
void wr_notice_host_family(wr_notice_host_t *h, const wr_sigset_t *set);

/* wr_notice_compose - build the message, allocated in `p`.
 * @return APR_SUCCESS, or APR_EINVAL with *err (may be NULL) saying what
 *         is wrong with the input: no host, ARF with several hosts, an
 *         address that is not a plain local@domain, no To, a server name
 *         that is not a host name, a bad template; APR_EGENERAL if the
 *         composed message broke the line rules above (a bug, never
 *         returned as a message). */
apr_status_t wr_notice_compose(const wr_notice_input_t *in,
                               wr_notice_t **msg, const char **err,
                               apr_pool_t *p);

/* wr_notice_template_check - validate a template: UTF-8 text with no
 * control characters but TAB and LF, CR only right before LF (a lone CR
 * is refused), known placeholders only.
 * @return APR_EINVAL with *err naming the problem ("unknown placeholder
 *         ${x} on line 3") */
apr_status_t wr_notice_template_check(const char *tmpl, const char **err,
                                      apr_pool_t *p);

/* wr_notice_template_parse - check the `len` bytes at buf (NUL-terminated
 * there: what wr_file_slurp reads for the WormReplyTemplate directive)
 * as a template; *tmpl = buf when it passes. No I/O: the composer never
 * touches the disk. @return APR_EINVAL with *err for a template that is
 * too large, holds a NUL byte or fails wr_notice_template_check */
apr_status_t wr_notice_template_parse(const char *buf, apr_size_t len,
                                      const char **tmpl, const char **err,
                                      apr_pool_t *p);

/* wr_notice_default_template - the built-in template; conf/notice.tmpl
 * holds the same text for administrators to copy and change */
const char *wr_notice_default_template(void);

/* wr_notice_sanitize - `s` made safe for a message body: see above.
 * Cut to `max` bytes of input (0 = no limit), "..." appended when cut.
 * With `ascii` set, every byte >= 0x80 is escaped too (header use).
 * NULL gives "". */
const char *wr_notice_sanitize(const char *s, apr_size_t max, int ascii,
                               apr_pool_t *p);

/* wr_notice_address_ok - 1 if `addr` is a plain dot-atom local@domain
 * (no display name, no quotes, no comments, at most 254 octets) */
int wr_notice_address_ok(const char *addr);

#endif
