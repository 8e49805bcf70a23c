/* fuzz_notice.c - libFuzzer target over the notice composer
 * (wr_notice_compose in the first four formats of the table,
 * wr_notice_template_check,
 * wr_notice_sanitize, wr_notice_address_ok) with hostile fields and
 * templates
 *
 * The input: a header of bytes, then NUL-separated fields (fuzz-lib.h).
 *   byte 0   format (& 3: the table's row, wr_notice_format_at: plain,
 *            arf, xarf, xarf4); 0x04 built-in template;
 *            0x08 the fuzzed From/To/Bcc/server name instead of fixed
 *            valid ones; 0x10 a Bcc; 0x20 a display name
 *   byte 1   hosts (a digest: 1 + b % 4; else the format's hosts per
 *            message)
 *   8 bytes  now
 *   fields   template, from, from name, To (comma separated), Bcc,
 *            domain, server name; then per host: address, name, family,
 *            family info, vhost, a byte for the number of request lines
 *            (% 6) and as many lines; times and counts follow a host's
 *            fields as 8-byte values when bytes are left
 * Times stay within the years the spool can hold (0 .. 9999-12-31).
 *
 * Besides what ASan and UBSan catch, the target stops when the message
 * breaks RFC 5322 or the documented contract (wr_notice.h), whatever the
 * input; the [tag] of each check is what t/fuzz/known can name:
 *   [lone-cr]   a CR not followed by LF (a lone CR in a template)
 *   [bare-lf]   an LF not preceded by CR
 *   [line-998]  a line longer than 998 octets before its CRLF
 *   [nul]       a NUL byte in the message, or len disagreeing
 *   [header]    a header line that is neither "Name: value" nor a
 *               continuation, non-ASCII or a control byte in a header,
 *               a Bcc header, a missing required field
 *   [2047]      an encoded word longer than 75 characters or not whole
 *               UTF-8 on its own
 *   [8bit]      8-bit bytes without msg->eightbit
 *   [mime]      a multipart without its boundary lines
 *   [rcpt]      envelope recipients other than To then Bcc
 *   [template]  a template wr_notice_template_check accepts makes compose
 *               fail, or compose fails without saying why
 *   [sanitize]  wr_notice_sanitize output with a control byte, 8-bit
 *               bytes in ASCII mode, invalid UTF-8, or over its bound
 */
#include <stdint.h>

#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_tables.h>

#include "fuzz-lib.h"
#include "wr_notice.h"

#define MAX_HOSTS 4
#define MAX_LINES 5
#define TIME_MAX (APR_INT64_C(253402300799) * APR_USEC_PER_SEC)

/* utf8_ok - whether [s, s+n) is valid UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF) */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i], len, k;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c < 0xc2 || c > 0xf4) {
            return 0;
        }
        len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (i + len > n) {
            return 0;
        }
        cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)
            || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        i += len;
    }
    return 1;
}

/* ascii_only - no byte >= 0x80 */
static int ascii_only(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* field_len - the length of a header field's value at v: up to the CRLF
 * before the next line that does not start with WSP */
static size_t field_len(const char *v)
{
    const char *e = v;

    for (;;) {
        e = strstr(e, "\r\n");
        if (e == NULL) {
            return strlen(v);
        }
        if (e[2] != ' ' && e[2] != '\t') {
            return (size_t)(e - v);
        }
        e += 2;
    }
}

/* check_sanitize - the contract of wr_notice_sanitize for one value */
static void check_sanitize(const char *s, size_t max, int ascii,
                           size_t size)
{
    const char *o = wr_notice_sanitize(s, max, ascii, fuzz_ipool);
    size_t n = strlen(o), i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)o[i];
        fuzz_check(c >= 0x20 && c != 0x7f && (!ascii || c < 0x80),
                   "sanitize", "a control or 8-bit byte survived "
                   "wr_notice_sanitize", size);
    }
    fuzz_check(utf8_ok((const unsigned char *)o, n), "sanitize",
               "wr_notice_sanitize output is not UTF-8", size);
    fuzz_check(max == 0 || n <= 4 * max + 3, "sanitize",
               "wr_notice_sanitize output over 4 * max + 3", size);
}

/* check_2047 - one header's encoded words: "=?UTF-8?B?...?=", at most 75
 * characters, each whole UTF-8 */
static void check_2047(const char *v, size_t n, size_t size)
{
    const char *s = v, *end = v + n;

    while (s < end) {
        const char *q;
        char *b64, *dec;
        int dlen;

        while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'
                           || *s == '\n')) {
            s++;
        }
        if (s == end) {
            break;
        }
        if (end - s < 12 || memcmp(s, "=?UTF-8?B?", 10) != 0
            || (q = memchr(s + 10, '?', (size_t)(end - s - 10))) == NULL
            || q + 1 >= end || q[1] != '=') {
            fuzz_check(0, "2047", "a non-ASCII Subject not in encoded words",
                       size);
            return;
        }
        fuzz_check(q + 2 - s <= 75, "2047", "an encoded word over 75 "
                   "characters", size);
        b64 = apr_pstrmemdup(fuzz_ipool, s + 10, (size_t)(q - s - 10));
        dec = apr_palloc(fuzz_ipool, (apr_size_t)apr_base64_decode_len(b64)
                         + 1);
        dlen = apr_base64_decode(dec, b64);
        fuzz_check(dlen >= 0 && utf8_ok((unsigned char *)dec, (size_t)dlen),
                   "2047", "an encoded word that is not whole UTF-8", size);
        s = q + 2;
    }
}

/* check_message - the composed message against RFC 5322 and wr_notice.h */
static void check_message(const wr_notice_t *msg,
                          const wr_notice_input_t *in, size_t size)
{
    const char *m = msg->data, *hend, *line, *subj = NULL, *ctype = NULL;
    size_t len = msg->len, i, col = 0;
    int eight = 0, have[7] = {0}, k;
    static const char *const required[7] = {
        "Date:", "From:", "To:", "Subject:", "Message-ID:", "MIME-Version:",
        "Content-Type:"
    };

    fuzz_check(m != NULL && strlen(m) == len, "nul",
               "a NUL in the message, or len is wrong", size);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)m[i];
        if (c == '\r') {
            fuzz_check(i + 1 < len && m[i + 1] == '\n', "lone-cr",
                       "a CR not followed by LF", size);
        }
        else if (c == '\n') {
            fuzz_check(i > 0 && m[i - 1] == '\r', "bare-lf",
                       "an LF not preceded by CR", size);
        }
        if (c == '\n' || (c == '\r' && i + 1 < len && m[i + 1] == '\n')) {
            if (col > 998) {
                fuzz_check(0, "line-998", apr_psprintf(fuzz_ipool,
                           "a line of %" APR_SIZE_T_FMT " octets", col), size);
            }
            col = 0;
            if (c == '\r') {
                i++;
            }
            continue;
        }
        col++;
        eight |= c >= 0x80;
    }
    fuzz_check(col <= 998, "line-998", "a last line over 998 octets", size);
    fuzz_check(!eight || msg->eightbit, "8bit",
               "8-bit bytes without msg->eightbit", size);

    /* the header section */
    hend = strstr(m, "\r\n\r\n");
    fuzz_check(hend != NULL, "header", "no end of the header section",
               size);
    if (hend == NULL) {
        return;
    }
    for (line = m; line < hend + 2;) {
        const char *eol = strstr(line, "\r\n");
        size_t n = (size_t)(eol - line);
        const char *c;

        for (c = line; c < eol; c++) {
            fuzz_check((*c >= 0x20 && *c < 0x7f) || *c == '\t', "header",
                       "a control or 8-bit byte in a header", size);
        }
        if (line[0] == ' ' || line[0] == '\t') {
            fuzz_check(line != m, "header", "a continuation first", size);
        }
        else {
            const char *colon = memchr(line, ':', n);
            fuzz_check(colon != NULL && colon > line, "header",
                       "a header line that is no field", size);
            for (c = line; colon && c < colon; c++) {
                fuzz_check(*c > 0x20 && *c < 0x7f, "header",
                           "a bad field name", size);
            }
            fuzz_check(strncasecmp(line, "Bcc:", 4) != 0, "header",
                       "a Bcc header was written", size);
            for (k = 0; k < 7; k++) {
                if (strncmp(line, required[k], strlen(required[k])) == 0) {
                    have[k]++;
                }
            }
            if (strncmp(line, "Subject:", 8) == 0) {
                subj = line + 8;
            }
            if (strncmp(line, "Content-Type:", 13) == 0) {
                ctype = line + 13;
            }
        }
        line = eol + 2;
    }
    for (k = 0; k < 7; k++) {
        if (have[k] != 1) {
            fuzz_check(0, "header", apr_psprintf(fuzz_ipool, "%d %s fields",
                                                 have[k], required[k]), size);
        }
    }
    /* a non-ASCII subject is written as encoded words */
    if (subj != NULL && msg->subject != NULL && !ascii_only(msg->subject)) {
        check_2047(subj, field_len(subj), size);
    }

    /* a multipart's boundary lines */
    while (ctype != NULL && (*ctype == ' ' || *ctype == '\t')) {
        ctype++;
    }
    if (ctype != NULL && !strncasecmp(ctype, "multipart/", 10)) {
        const char *ct = apr_pstrmemdup(fuzz_ipool, ctype, field_len(ctype));
        const char *b = strstr(ct, "boundary=\""), *q;
        char *delim, *close;
        fuzz_check(b != NULL, "mime", "no boundary parameter", size);
        if (b != NULL && (q = strchr(b + 10, '"')) != NULL) {
            const char *name = apr_pstrmemdup(fuzz_ipool, b + 10,
                                              (size_t)(q - b - 10));
            delim = apr_pstrcat(fuzz_ipool, "\r\n--", name, "\r\n", NULL);
            close = apr_pstrcat(fuzz_ipool, "\r\n--", name, "--\r\n", NULL);
            fuzz_check(strstr(hend, delim) != NULL
                       && len >= strlen(close)
                       && strcmp(m + len - strlen(close), close) == 0,
                       "mime", "a multipart without its delimiter or "
                       "close-delimiter", size);
        }
    }

    /* the envelope */
    k = in->to->nelts + (in->bcc ? in->bcc->nelts : 0);
    fuzz_check(msg->rcpt != NULL && msg->rcpt->nelts == k, "rcpt",
               "envelope recipients are not To and Bcc", size);
    for (k = 0; msg->rcpt && k < msg->rcpt->nelts; k++) {
        const char *want = k < in->to->nelts
            ? APR_ARRAY_IDX(in->to, k, const char *)
            : APR_ARRAY_IDX(in->bcc, k - in->to->nelts, const char *);
        fuzz_check(strcmp(APR_ARRAY_IDX(msg->rcpt, k, const char *), want)
                   == 0, "rcpt", "envelope recipients out of order", size);
    }
}

/* list - a comma separated field as an array of addresses */
static apr_array_header_t *list(const char *s)
{
    apr_array_header_t *a = apr_array_make(fuzz_ipool, 2, sizeof(char *));
    char *copy = apr_pstrdup(fuzz_ipool, s ? s : ""), *tok, *save = NULL;

    for (tok = apr_strtok(copy, ",", &save); tok;
         tok = apr_strtok(NULL, ",", &save)) {
        APR_ARRAY_PUSH(a, const char *) = tok;
    }
    return a;
}

/* or_empty - a field, "" when the input ran out */
static const char *or_empty(const char *s)
{
    return s ? s : "";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init("fuzz_notice");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in;
    wr_notice_input_t ni;
    wr_notice_host_t hosts[MAX_HOSTS];
    const char *lines[MAX_HOSTS][MAX_LINES];
    const char *from, *from_name, *to, *bcc, *server, *err = NULL, *terr;
    wr_notice_t *msg = NULL;
    const wr_notice_format_t *fmt;
    unsigned flags, nh;
    apr_status_t rv, tv;
    int i, j, addresses_ok;

    fuzz_in(&in, data, size);
    flags = fuzz_byte(&in);
    nh = fuzz_byte(&in);
    memset(&ni, 0, sizeof(ni));
    memset(hosts, 0, sizeof(hosts));
    fmt = wr_notice_format_at((int)(flags & 0x03));
    if (fmt == NULL) {
        fmt = wr_notice_format_at(0);
    }
    ni.format = fmt->name;
    ni.nhosts = fmt->hosts_per_message == 0
                || fmt->hosts_per_message > MAX_HOSTS
                ? 1 + (int)(nh % MAX_HOSTS) : fmt->hosts_per_message;
    ni.now = (apr_time_t)(fuzz_u64(&in, 8) % (TIME_MAX + 1));
    ni.tmpl = fuzz_field(&in);
    if (flags & 0x04) {
        ni.tmpl = NULL;
    }
    from = fuzz_field(&in);
    from_name = fuzz_field(&in);
    to = fuzz_field(&in);
    bcc = fuzz_field(&in);
    ni.domain = or_empty(fuzz_field(&in));
    server = fuzz_field(&in);
    if (flags & 0x08) {
        ni.from = from;
        ni.to = list(to);
        ni.bcc = (flags & 0x10) ? list(bcc) : NULL;
        ni.server_name = server;
    }
    else {
        ni.from = "wormreply@www.example.org";
        ni.to = list("abuse@example.com,postmaster@example.com");
        ni.bcc = (flags & 0x10) ? list("admin@example.org") : NULL;
        ni.server_name = "www.example.org";
    }
    ni.from_name = (flags & 0x20) ? from_name : NULL;
    for (i = 0; i < ni.nhosts; i++) {
        wr_notice_host_t *h = &hosts[i];
        apr_uint64_t t1, t2;

        h->address = or_empty(fuzz_field(&in));
        h->name = fuzz_field(&in);
        h->family = or_empty(fuzz_field(&in));
        h->family_info = fuzz_field(&in);
        h->vhost = fuzz_field(&in);
        h->nlines = (int)(fuzz_byte(&in) % (MAX_LINES + 1));
        for (j = 0; j < h->nlines; j++) {
            lines[i][j] = or_empty(fuzz_field(&in));
        }
        h->lines = lines[i];
        t1 = fuzz_u64(&in, 8) % (TIME_MAX + 1);
        t2 = fuzz_u64(&in, 8) % (TIME_MAX + 1);
        h->first_seen = (apr_time_t)(t1 < t2 ? t1 : t2);
        h->last_seen = (apr_time_t)(t1 < t2 ? t2 : t1);
        h->count = fuzz_u64(&in, 8);
    }
    ni.hosts = hosts;

    /* the values on their own */
    for (i = 0; i < ni.nhosts; i++) {
        check_sanitize(hosts[i].name, WR_NOTICE_NAME_MAX, 0, size);
        check_sanitize(hosts[i].vhost, WR_NOTICE_NAME_MAX, 1, size);
        for (j = 0; j < hosts[i].nlines; j++) {
            check_sanitize(hosts[i].lines[j], WR_NOTICE_LINE_MAX, 0, size);
            check_sanitize(hosts[i].lines[j], 0, 1, size);
        }
    }
    addresses_ok = wr_notice_address_ok(ni.from) && ni.to->nelts > 0;
    for (i = 0; i < ni.to->nelts; i++) {
        addresses_ok &= wr_notice_address_ok(APR_ARRAY_IDX(ni.to, i,
                                                           const char *));
    }
    for (i = 0; ni.bcc != NULL && i < ni.bcc->nelts; i++) {
        addresses_ok &= wr_notice_address_ok(APR_ARRAY_IDX(ni.bcc, i,
                                                           const char *));
    }
    tv = ni.tmpl ? wr_notice_template_check(ni.tmpl, &terr, fuzz_ipool)
                 : APR_SUCCESS;

    rv = wr_notice_compose(&ni, &msg, &err, fuzz_ipool);
    if (rv == APR_SUCCESS) {
        fuzz_check(tv == APR_SUCCESS && addresses_ok, "template",
                   "composed despite a refused template or address", size);
        check_message(msg, &ni, size);
    }
    else {
        fuzz_check(err != NULL && *err != '\0', "template",
                   "compose failed without saying why", size);
        /* With valid addresses, names and a template the check accepts,
         * only the server name or the domain can be refused. */
        if (tv == APR_SUCCESS && addresses_ok && !(flags & 0x08)
            && ni.domain[0] != '\0') {
            fuzz_check(0, "template", apr_psprintf(fuzz_ipool, "compose "
                       "refused valid input: %s", err ? err : "?"), size);
        }
    }
    apr_pool_clear(fuzz_ipool);
    return 0;
}
