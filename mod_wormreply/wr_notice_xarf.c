/* wr_notice_xarf.c - X-ARF 0.2 ("X-XARF: PLAIN") reports, one host each:
 * multipart/mixed of the text, a YAML report after X-ARF's malware-attack
 * schema and the request lines as evidence (see wr_notice.h, README) */
#include "wr_notice_int.h"

/* yaml_quoted - `s` sanitised (ASCII, bounded) as a YAML single-quoted
 * scalar: a quote is doubled, nothing else is special inside, so an IPv6
 * address or a date stays a string for every YAML reader */
static const char *yaml_quoted(const char *s, apr_size_t max_out,
                               apr_pool_t *p)
{
    const char *v = wr_text_sanitize(s, 0, max_out, 1, p);
    apr_size_t n = 0;
    char *out, *o;

    for (s = v; *s; s++) {
        n += *s == '\'' ? 2 : 1;
    }
    o = out = apr_palloc(p, n + 3);
    *o++ = '\'';
    for (s = v; *s; s++) {
        if (*s == '\'') {
            *o++ = '\'';
        }
        *o++ = *s;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* Where the X-ARF 0.2 malware-attack schema lives; X-ARF parsers
 * (validatexarf, pyxarf) refuse a report without it. */
#define XARF_SCHEMA_URL \
    "http://www.x-arf.org/schema/abuse_malware-attack_0.1.4.json"

/* wr_notice_xarf_parts - the YAML report and the evidence of an X-ARF 0.2
 * message after the human-readable text.
 * Every string is a quoted scalar; the port is the one that was probed
 * (left out when not known); "Malware" is written only for a family of
 * kind "worm". */
apr_status_t wr_notice_xarf_parts(wr_buf_t *out, const wr_notice_parts_t *pt,
                                  const char **why)
{
    const wr_notice_input_t *in = pt->in;
    const wr_notice_host_t *h = &in->hosts[0];
    const char *boundary;
    apr_pool_t *p = pt->p;
    apr_status_t rv;
    int j;

    if ((rv = wr_notice_multipart_open(out, pt, "X-XARF: PLAIN\r\n",
                                       "multipart/mixed", NULL,
                                       "X-ARF format", &boundary, why))
        != APR_SUCCESS) {
        return rv;
    }
    wr_buf_printf(out, "--%s\r\n"
                  "Content-Type: text/plain; charset=utf-8;"
                  " name=\"report.yaml\"\r\n"
                  "Content-Transfer-Encoding: 7bit\r\n"
                  "\r\n"
                  "---\r\n"
                  "Reported-From: %s\r\n"
                  "Category: 'abuse'\r\n"
                  "Report-Type: 'malware-attack'\r\n"
                  "Report-ID: '%s@%s'\r\n"
                  "User-Agent: 'mod_wormreply'\r\n"
                  "Date: '%s'\r\n"
                  "Source: %s\r\n"
                  "Source-Type: 'ip-address'\r\n",
                  boundary, yaml_quoted(in->from, 300, p), pt->report_id,
                  in->server_name,
                  wr_time_pformat(WR_TIME_RFC3339, h->first_seen, p),
                  yaml_quoted(h->address, 64, p));
    if (h->local_address != NULL && h->local_address[0] != '\0') {
        wr_buf_printf(out, "Destination: %s\r\n"
                      "Destination-Type: 'ip-address'\r\n",
                      yaml_quoted(h->local_address, 64, p));
    }
    wr_buf_str(out, "Service: 'http'\r\n");
    if (h->local_port > 0) {
        wr_buf_printf(out, "Port: %u\r\n", (unsigned)h->local_port);
    }
    if (h->family_kind != NULL && !strcmp(h->family_kind, "worm")) {
        wr_buf_printf(out, "Malware: %s\r\n",
                      yaml_quoted(h->family_title ? h->family_title
                                  : h->family, 200, p));
    }
    wr_buf_printf(out, "Occurrences: %" APR_UINT64_T_FMT "\r\n"
                  "Attachment: 'text/plain'\r\n"
                  "Schema-URL: '" XARF_SCHEMA_URL "'\r\n"
                  "\r\n", h->count);
    wr_buf_printf(out, "--%s\r\n"
                  "Content-Type: text/plain; charset=utf-8;"
                  " name=\"evidence.txt\"\r\n"
                  "Content-Disposition: attachment; filename=\"evidence.txt\""
                  "\r\n"
                  "Content-Transfer-Encoding: 7bit\r\n"
                  "\r\n", boundary);
    for (j = 0; j < h->nlines; j++) {
        wr_buf_printf(out, "%s\r\n",
                      wr_text_sanitize(h->lines[j], WR_NOTICE_LINE_MAX,
                              WR_NOTICE_FIELD_MAX, 1, p));
    }
    wr_notice_multipart_close(out, boundary);
    return APR_SUCCESS;
}

