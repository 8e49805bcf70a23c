/* test_notice.c - the notice composer: headers, body, hostile input, ARF
 * and templates (storing notices is wr_delivery_store, test_file.c tests
 * its atomicity) */
#include <signal.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_base64.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_file.h"
#include "wr_notice.h"

#define T0 (apr_time_from_sec(1714564800))   /* Wed 2024-05-01 12:00 UTC */

static apr_pool_t *pool;

/* the built-in signatures: what the notices say of each family comes from
 * conf/signatures.conf */
static wr_sigset_t *builtin;

static const char *nimda_lines[] = {
    "GET /scripts/root.exe?/c+dir HTTP/1.0",
    "GET /MSADC/root.exe?/c+dir HTTP/1.0",
    "GET /c/winnt/system32/cmd.exe?/c+dir HTTP/1.0",
};

/* host - one ordinary offender */
/* template_load - what WormReplyTemplate does: read the file, parse it */
static apr_status_t template_load(const char *path, const char **tmpl,
                                  const char **err, apr_pool_t *p)
{
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    rv = wr_file_slurp(path, WR_NOTICE_TEMPLATE_MAX, &buf, &len, p);
    return rv != APR_SUCCESS ? rv
           : wr_notice_template_parse(buf, len, tmpl, err, p);
}

static wr_notice_host_t host(const char *addr, const char *name)
{
    wr_notice_host_t h;

    memset(&h, 0, sizeof(h));
    h.address = addr;
    h.name = name;
    h.family = "nimda";
    h.vhost = "www.wormreply.test";
    h.first_seen = T0;
    h.last_seen = T0 + apr_time_from_sec(247);
    h.count = 17;
    h.nlines = 3;
    h.lines = nimda_lines;
    wr_notice_host_family(&h, builtin);
    return h;
}

/* input - the usual input around `hosts` */
static wr_notice_input_t input(const wr_notice_host_t *hosts, int n)
{
    wr_notice_input_t in;
    apr_array_header_t *to = apr_array_make(pool, 2, sizeof(char *));
    apr_array_header_t *bcc = apr_array_make(pool, 1, sizeof(char *));

    APR_ARRAY_PUSH(to, const char *) = "postmaster@wormreply.test";
    APR_ARRAY_PUSH(to, const char *) = "abuse@wormreply.test";
    APR_ARRAY_PUSH(bcc, const char *) = "admin@example.org";
    memset(&in, 0, sizeof(in));
    in.from = "wormreply@www.example.org";
    in.from_name = "wormreply at www.example.org";
    in.to = to;
    in.bcc = bcc;
    in.domain = "wormreply.test";
    in.server_name = "www.example.org";
    in.hosts = hosts;
    in.nhosts = n;
    in.now = T0 + apr_time_from_sec(600);
    return in;
}

/* well_formed - CRLF only, no line over 998 octets, no control bytes but
 * CR LF (and TAB), a header section of fields and continuations. On
 * failure *why says what. */
static int well_formed(const char *m, apr_size_t len, const char **why)
{
    apr_size_t i, col = 0;
    int in_header = 1, line_start = 1;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)m[i];
        if (c == '\r') {
            if (i + 1 >= len || m[i + 1] != '\n') {
                *why = apr_psprintf(pool, "bare CR at %lu", (unsigned long)i);
                return 0;
            }
            if (line_start && in_header) {
                in_header = 0;
            }
            i++;
            col = 0;
            line_start = 1;
            continue;
        }
        if (c == '\n') {
            *why = apr_psprintf(pool, "bare LF at %lu", (unsigned long)i);
            return 0;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            *why = apr_psprintf(pool, "control byte 0x%02x at %lu", c,
                                (unsigned long)i);
            return 0;
        }
        if (line_start && in_header) {
            /* A field name up to ':' or a continuation. */
            if (c != ' ' && c != '\t') {
                const char *colon = memchr(m + i, ':', len - i);
                const char *eol = memchr(m + i, '\r', len - i);
                apr_size_t k;
                if (colon == NULL || (eol && eol < colon)) {
                    *why = apr_psprintf(pool, "header line without a "
                                        "colon at %lu", (unsigned long)i);
                    return 0;
                }
                for (k = i; m + k < colon; k++) {
                    if (!apr_isalnum(m[k]) && m[k] != '-') {
                        *why = "bad field name";
                        return 0;
                    }
                }
            }
        }
        line_start = 0;
        if (++col > 998) {
            *why = apr_psprintf(pool, "line over 998 octets at %lu",
                                (unsigned long)i);
            return 0;
        }
    }
    if (len < 2 || m[len - 2] != '\r' || m[len - 1] != '\n') {
        *why = "does not end with CRLF";
        return 0;
    }
    if (in_header) {
        *why = "no empty line after the header";
        return 0;
    }
    return 1;
}

/* header_block - the header section (up to the first empty line) */
static const char *header_block(const char *m)
{
    const char *e = strstr(m, "\r\n\r\n");

    return e ? apr_pstrmemdup(pool, m, (apr_size_t)(e - m) + 2) : "";
}

/* header - the unfolded value of a header field, NULL if absent; *n (may
 * be NULL) receives how many times it occurs */
static const char *header(const char *m, const char *name, int *n)
{
    const char *h = header_block(m), *s = h, *val = NULL;
    apr_size_t nl = strlen(name);
    int count = 0;

    while (*s) {
        const char *eol = strstr(s, "\r\n");
        if (strncasecmp(s, name, nl) == 0 && s[nl] == ':') {
            char *v;
            const char *e = eol;
            /* Take the continuation lines along. */
            while (e && (e[2] == ' ' || e[2] == '\t')) {
                e = strstr(e + 2, "\r\n");
            }
            if (e == NULL) {
                e = s + strlen(s);
            }
            v = apr_pstrmemdup(pool, s + nl + 2,
                               (apr_size_t)(e - s) - nl - 2);
            /* unfold */
            {
                char *r = v, *w = v;
                while (*r) {
                    if (r[0] == '\r' && r[1] == '\n') {
                        r += 2;
                        continue;
                    }
                    *w++ = *r++;
                }
                *w = '\0';
            }
            if (val == NULL) {
                val = v;
            }
            count++;
        }
        if (eol == NULL) {
            break;
        }
        s = eol + 2;
    }
    if (n != NULL) {
        *n = count;
    }
    return val;
}

/* body_of - the text after the header */
static const char *body_of(const char *m)
{
    const char *e = strstr(m, "\r\n\r\n");

    return e ? e + 4 : "";
}

/* max_body_line - longest line of the body */
static apr_size_t max_body_line(const char *b)
{
    apr_size_t best = 0;

    while (*b) {
        const char *e = strstr(b, "\r\n");
        apr_size_t n = e ? (apr_size_t)(e - b) : strlen(b);
        best = n > best ? n : best;
        if (!e) {
            break;
        }
        b = e + 2;
    }
    return best;
}

/* has_line_starting - some line of m starts with `prefix` */
static int has_line_starting(const char *m, const char *prefix)
{
    const char *s = m;
    apr_size_t n = strlen(prefix);

    while (s) {
        if (strncasecmp(s, prefix, n) == 0) {
            return 1;
        }
        s = strstr(s, "\r\n");
        if (s) {
            s += 2;
        }
    }
    return 0;
}

static void test_plain(void)
{
    wr_notice_host_t h = host("192.0.2.10", "host10.wormreply.test");
    wr_notice_input_t in = input(&h, 1);
    wr_notice_t *msg = NULL;
    const char *err = NULL, *why = "", *v, *b;
    int n;

    check_int(wr_notice_compose(&in, &msg, &err, pool), APR_SUCCESS,
              "compose a single-host notice");
    if (msg == NULL) {
        printf("# %s\n", err);
        return;
    }
    check(well_formed(msg->data, msg->len, &why), "well-formed: %s",
          why);
    check_int(strlen(msg->data), msg->len, "len is the length, no NUL");
    check_str(header(msg->data, "Date", &n),
              "Wed, 01 May 2024 12:10:00 +0000", "Date in RFC 5322 form");
    check_int(n, 1, "one Date");
    check_str(header(msg->data, "From", &n),
              "\"wormreply at www.example.org\" <wormreply@www.example.org>",
              "From with display name");
    check_str(header(msg->data, "To", &n),
              "postmaster@wormreply.test, abuse@wormreply.test",
              "To names both RFC 2142 mailboxes");
    check_int(n, 1, "one To");
    check_str(header(msg->data, "Subject", &n),
              "[wormreply] Nimda worm probes from 192.0.2.10 "
              "(host10.wormreply.test)", "Subject names family and source");
    check_str(msg->subject, "[wormreply] Nimda worm probes from 192.0.2.10 "
              "(host10.wormreply.test)", "msg->subject");
    v = header(msg->data, "Message-ID", &n);
    check(v && v[0] == '<' && strstr(v, "@www.example.org>")
          && strncmp(v + 1, "wr-20240501T121000Z-", 20) == 0,
          "Message-ID <wr-...@server>: %s", v ? v : "(none)");
    check_str(v, msg->message_id, "msg->message_id matches");
    v = header(msg->data, "X-Wormreply-Report-ID", &n);
    check_str(v, msg->report_id, "X-Wormreply-Report-ID is the report id");
    check(v && strlen(v) == strlen("wr-20240501T121000Z-") + 16,
          "report id: date and 16 hex digits");
    check_str(header(msg->data, "Auto-Submitted", NULL), "auto-generated",
              "Auto-Submitted: auto-generated");
    check_str(header(msg->data, "MIME-Version", NULL), "1.0", "MIME 1.0");
    check_str(header(msg->data, "Content-Type", NULL),
              "text/plain; charset=utf-8", "text/plain utf-8");
    check_str(header(msg->data, "Content-Transfer-Encoding", NULL), "7bit",
              "ASCII body: 7bit");
    check(!msg->eightbit, "eightbit not set");
    check(header(msg->data, "Bcc", NULL) == NULL, "no Bcc header");
    check(strstr(msg->data, "admin@example.org") == NULL,
          "the Bcc address appears nowhere in the message");
    check_int(msg->rcpt->nelts, 3, "envelope: two To + one Bcc");
    check_str(APR_ARRAY_IDX(msg->rcpt, 2, const char *), "admin@example.org",
              "envelope ends with the Bcc");
    check_str(msg->from, "wormreply@www.example.org", "envelope sender");

    b = body_of(msg->data);
    check(strstr(b, "Source:     192.0.2.10\r\n") != NULL, "body: address");
    check(strstr(b, "Host name:  host10.wormreply.test\r\n") != NULL,
          "body: confirmed name");
    check(strstr(b, "Family:     Nimda worm (nimda)\r\n") != NULL,
          "body: family");
    check(strstr(b, "First seen: 2024-05-01 12:00:00 UTC\r\n") != NULL,
          "body: first seen in UTC");
    check(strstr(b, "Last seen:  2024-05-01 12:04:07 UTC\r\n") != NULL,
          "body: last seen in UTC");
    check(strstr(b, "Probes:     17\r\n") != NULL, "body: count");
    check(strstr(b, "Sent to:    www.wormreply.test\r\n") != NULL,
          "body: the vhost");
    check(strstr(b, "    GET /scripts/root.exe?/c+dir HTTP/1.0\r\n")
          && strstr(b, "    GET /c/winnt/system32/cmd.exe?/c+dir HTTP/1.0"),
          "body: request lines, indented");
    check(strstr(b, "CA-2001-26") != NULL, "body: what Nimda is");
    check(strstr(b, "www.example.org") != NULL, "body: our server name");
    check(strstr(b, msg->report_id) != NULL, "body: the report id");
    check(strstr(b, "${") == NULL, "no placeholder left");
    check(max_body_line(b) <= 78, "body lines <= 78 octets (%lu)",
          (unsigned long)max_body_line(b));
}

/* test_family_texts - titles and texts come from conf/signatures.conf,
 * and a family it does not know is named as it is */
static void test_family_texts(void)
{
    wr_notice_host_t h = host("192.0.2.10", NULL);
    wr_sigset_t *mine = NULL;
    const char *err = NULL;
    static const char conf[] =
        "family worms on kind=worm confidence=certain Ours\n"
        "title worms The Worm\n"
        "about worms It is\n"
        "about worms a worm.\n"
        "worms raw ^/worm\\.exe\n";

    check_str(h.family_title, "Nimda worm", "nimda's title from the file");
    check(h.family_info && strstr(h.family_info, "CA-2001-26")
          && strstr(h.family_info, "online."),
          "nimda's text for the abuse desk, its lines joined");
    check_str(h.family_kind, "worm", "nimda is a worm");
    check_str(h.family_confidence, "certain", "nimda is certain");
    h.family = "iis";
    wr_notice_host_family(&h, builtin);
    check_str(h.family_kind, "scanner", "iis is a scanner");
    check_str(h.family_title, "IIS exploit", "iis's title");

    wr_sigset_create(&mine, pool);
    check_int(wr_sigset_load_buffer(mine, conf, sizeof(conf) - 1, "mine",
                                    &err), APR_SUCCESS, "an own family with "
              "a title and text: %s", err ? err : "");
    memset(&h, 0, sizeof(h));
    h.family = "worms";
    wr_notice_host_family(&h, mine);
    check_str(h.family_title, "The Worm", "own title");
    check_str(h.family_info, "It is a worm.", "own text, lines joined");
    memset(&h, 0, sizeof(h));
    h.family = "other";
    wr_notice_host_family(&h, mine);
    check(h.family_title == NULL && h.family_info == NULL
          && h.family_kind == NULL, "an unknown family: nothing set");
    check_int(wr_sigset_load_buffer(mine, "title nosuch X\n", 15, "mine",
                                    &err), APR_EINVAL,
              "a title for an undeclared family refused: %s", err);
}

static void test_digest(void)
{
    wr_notice_host_t h[3];
    wr_notice_input_t in;
    wr_notice_t *msg = NULL;
    const char *why = "", *b;
    int i;

    h[0] = host("192.0.2.10", "host10.wormreply.test");
    h[1] = host("192.0.2.11", "host11.wormreply.test");
    h[2] = host("2001:db8::12", "host12.wormreply.test");
    h[2].family = "codered";
    wr_notice_host_family(&h[2], builtin);
    h[1].first_seen = T0 - apr_time_from_sec(60);
    h[2].last_seen = T0 + apr_time_from_sec(3000);
    in = input(h, 3);
    check_int(wr_notice_compose(&in, &msg, NULL, pool), APR_SUCCESS,
              "compose a digest of 3 hosts");
    if (msg == NULL) {
        return;
    }
    check(well_formed(msg->data, msg->len, &why), "digest well-formed: %s",
          why);
    check_str(header(msg->data, "Subject", NULL),
              "[wormreply] Nimda worm, Code Red worm probes from 3 hosts in "
              "wormreply.test", "digest subject");
    b = body_of(msg->data);
    for (i = 0; i < 3; i++) {
        check(strstr(b, apr_psprintf(pool, "Source:     %s\r\n",
                                     h[i].address)) != NULL,
              "digest names %s", h[i].address);
        check(strstr(b, apr_psprintf(pool, "From %s (%s) (3 of 17 kept):",
                                     h[i].address, h[i].name)) != NULL,
              "digest has the requests of %s", h[i].address);
    }
    check(strstr(b, "CA-2001-26") && strstr(b, "CA-2001-19"),
          "both families explained");
    {
        const char *s = b;
        int n = 0;
        while ((s = strstr(s, "About Nimda worm:")) != NULL) {
            n++;
            s++;
        }
        check_int(n, 1, "a family shared by two hosts explained once");
    }
}

static void test_hostile(void)
{
    wr_notice_host_t h;
    wr_notice_input_t in;
    wr_notice_t *msg = NULL;
    const char *why = "", *lines[5], *b, *s;
    char *huge;
    int ok = 1;
    apr_size_t i;

    huge = apr_palloc(pool, 32 * 1024 + 1);
    memset(huge, 'N', 32 * 1024);
    memcpy(huge, "GET /default.ida?", 17);
    huge[32 * 1024] = '\0';
    lines[0] = "GET /x%0d%0aBcc:%20evil@x HTTP/1.0";
    lines[1] = "GET /x\r\nBcc: evil@x\r\n\r\nX-Injected: 1 HTTP/1.0";
    lines[2] = huge;
    lines[3] = "GET /\xc0\xaf\xe2\x80\xae\x01\x1b[2J\x7f\xc2\x85 HTTP/1.0";
    lines[4] = "GET /caf\xc3\xa9 HTTP/1.0";
    h = host("192.0.2.66", "evil\r\nBcc: evil@x host.wormreply.test");
    h.vhost = "www\r\nX-Vhost: injected";
    h.family = "nimda\r\nSubject: forged";
    h.nlines = 5;
    h.lines = lines;
    in = input(&h, 1);
    in.domain = "wormreply.test\r\nCc: evil@x";
    check_int(wr_notice_compose(&in, &msg, NULL, pool), APR_SUCCESS,
              "compose with hostile input");
    if (msg == NULL) {
        return;
    }
    check(well_formed(msg->data, msg->len, &why), "hostile: well-formed: %s",
          why);
    check(!has_line_starting(msg->data, "Bcc:"), "no line starts with Bcc:");
    check(!has_line_starting(msg->data, "Cc:"), "no line starts with Cc:");
    check(!has_line_starting(msg->data, "X-Injected:")
          && !has_line_starting(msg->data, "X-Vhost:"),
          "no injected field");
    {
        int n;
        header(msg->data, "Subject", &n);
        check_int(n, 1, "exactly one Subject");
    }
    check(strstr(header_block(msg->data), "evil@x") == NULL
          || strstr(header(msg->data, "Subject", NULL), "evil") != NULL,
          "evil@x appears in the header only inside the Subject text");
    check(strstr(msg->data, "evil\\x0d\\x0aBcc: evil@x host") != NULL,
          "the PTR name's CR LF are shown as \\x0d\\x0a");
    b = body_of(msg->data);
    check(strstr(b, "GET /x%0d%0aBcc:%20evil@x HTTP/1.0") != NULL,
          "percent-encoded CR LF stay as they came");
    check(strstr(b, "GET /\\xc0\\xaf\\xe2\\x80\\xae\\x01\\x1b[2J\\x7f"
                 "\\xc2\\x85 HTTP/1.0") != NULL,
          "overlong UTF-8, RLO, C0, DEL and C1 escaped");
    check(strstr(b, "GET /caf\xc3\xa9 HTTP/1.0") != NULL,
          "valid UTF-8 kept");
    check(msg->eightbit, "eightbit set");
    check_str(header(msg->data, "Content-Transfer-Encoding", NULL), "8bit",
              "8bit body declared");
    check(msg->len < 12000, "the 32 KB line was cut (%lu bytes)",
          (unsigned long)msg->len);
    check(max_body_line(b) <= 78, "body lines <= 78 octets");
    for (i = 0, s = header_block(msg->data); s[i]; i++) {
        ok &= (unsigned char)s[i] < 0x80;
    }
    check(ok, "header section is ASCII");

    /* The long line folds back to what was kept. */
    {
        const char *start = strstr(b, "    GET /default.ida?");
        char *joined = apr_pcalloc(pool, 4096);
        apr_size_t jl = 0;
        const char *p = start;
        int first = 1;
        while (p && (first || strncmp(p, "      ", 6) == 0)) {
            const char *e = strstr(p, "\r\n");
            const char *from = p + (first ? 4 : 6);
            apr_size_t n = (apr_size_t)(e - from);
            if (jl + n < 4096) {
                memcpy(joined + jl, from, n);
                jl += n;
            }
            first = 0;
            p = e + 2;
        }
        check_int(jl, WR_NOTICE_LINE_MAX + 3,
                  "long line: WR_NOTICE_LINE_MAX bytes and '...'");
        check(strncmp(joined, huge, WR_NOTICE_LINE_MAX) == 0
              && strcmp(joined + WR_NOTICE_LINE_MAX, "...") == 0,
              "folded pieces join back to the kept text");
    }

    /* ARF with the same input. */
    in.format = "arf";
    msg = NULL;
    check_int(wr_notice_compose(&in, &msg, NULL, pool), APR_SUCCESS,
              "hostile ARF");
    if (msg != NULL) {
        check(well_formed(msg->data, msg->len, &why),
              "hostile ARF well-formed: %s", why);
        check(!has_line_starting(msg->data, "Bcc:")
              && !has_line_starting(msg->data, "X-Injected:")
              && !has_line_starting(msg->data, "Subject: forged"),
              "hostile ARF: nothing injected in any part");
        check_str(header(msg->data, "Content-Transfer-Encoding", NULL),
                  "8bit", "multipart with an 8bit part declares 8bit");
    }
}

/* dump - with WR_NOTICE_DUMP set, write the message there as NAME.eml,
 * for t/22xarf_reports.t to check with validators that are not ours */
static void dump(const wr_notice_t *msg, const char *name)
{
    const char *dir = getenv("WR_NOTICE_DUMP");
    apr_file_t *f;
    apr_size_t n;

    if (dir == NULL || msg == NULL) {
        return;
    }
    if (apr_file_open(&f, apr_pstrcat(pool, dir, "/", name, ".eml", NULL),
                      APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                      APR_FPROT_OS_DEFAULT, pool) == APR_SUCCESS) {
        apr_file_write_full(f, msg->data, msg->len, &n);
        apr_file_close(f);
    }
}

/* json_of - the XARF v4 report of a message, decoded, or NULL */
static const char *json_of(const char *m)
{
    const char *s = strstr(m, "Content-Type: application/json; "
                              "name=\"xarf.json\"\r\n");
    const char *e;
    char *b64, *out;
    apr_size_t o = 0;

    if (s == NULL || (s = strstr(s, "\r\n\r\n")) == NULL
        || (e = strstr(s + 4, "\r\n\r\n--")) == NULL) {
        return NULL;
    }
    s += 4;
    b64 = apr_palloc(pool, (apr_size_t)(e - s) + 1);
    for (; s < e; s++) {
        if (*s != '\r' && *s != '\n') {
            b64[o++] = *s;
        }
    }
    b64[o] = '\0';
    out = apr_palloc(pool, (apr_size_t)apr_base64_decode_len(b64) + 1);
    out[apr_base64_decode(out, b64)] = '\0';
    return out;
}

/* test_xarf4 - XARF v4: one host a message, multipart/mixed with the text
 * and the report as application/json; the type follows the family's kind
 * and confidence; "arf" writes the same (and configtest warns) */
static void test_xarf4(void)
{
    static const struct {
        const char *name, *kind, *confidence, *type, *count;
    } fams[] = {
        { "nimda", "worm", "certain", "infected_host", "total_requests" },
        { "codered", "worm", "certain", "infected_host", "total_requests" },
        { "iis", "scanner", "likely", "vulnerability_scan",
          "total_requests" },
        { "recon", "scanner", "recon", "reconnaissance", "total_probes" },
        { "mine", NULL, NULL, "vulnerability_scan", "total_requests" },
    };
    wr_notice_host_t h = host("192.0.2.10", "host10.wormreply.test");
    wr_notice_host_t two[2];
    wr_notice_input_t in;
    wr_notice_t *msg = NULL;
    const char *why = "", *m, *json, *ct;
    apr_size_t f;

    for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
        h = host(f % 2 ? "2001:db8::10" : "192.0.2.10",
                 "host10.wormreply.test");
        h.family = fams[f].name;
        h.family_title = f == 0 ? "Nimda worm" : NULL;
        h.family_info = NULL;
        h.family_kind = fams[f].kind;
        h.family_confidence = fams[f].confidence;
        h.source_port = 40123;
        h.local_address = f % 2 ? "2001:db8::80" : "198.51.100.80";
        h.local_port = 8080;
        in = input(&h, 1);
        in.format = "xarf4";
        msg = NULL;
        check_int(wr_notice_compose(&in, &msg, &why, pool), APR_SUCCESS,
                  "xarf4 %s: compose", fams[f].name);
        if (msg == NULL) {
            continue;
        }
        dump(msg, apr_psprintf(pool, "xarf4-%s", fams[f].name));
        m = msg->data;
        check(well_formed(m, msg->len, &why), "xarf4 %s: well-formed: %s",
              fams[f].name, why);
        ct = header(m, "Content-Type", NULL);
        check(ct && strncmp(ct, "multipart/mixed;", 16) == 0,
              "xarf4 %s: multipart/mixed", fams[f].name);
        json = json_of(m);
        check(json != NULL, "xarf4 %s: an application/json part",
              fams[f].name);
        if (json == NULL) {
            continue;
        }
        check(strstr(json, apr_psprintf(pool, "\"type\": \"%s\"",
                                        fams[f].type)) != NULL,
              "xarf4 %s: type %s", fams[f].name, fams[f].type);
        check(strstr(json, apr_psprintf(pool, "\"%s\": 17",
                                        fams[f].count)) != NULL,
              "xarf4 %s: %s from the spool", fams[f].name, fams[f].count);
        check(strstr(json, "\"source_port\": 40123") != NULL
              && strstr(json, "\"destination_port\": 8080") != NULL,
              "xarf4 %s: ports of the connection", fams[f].name);
        check(strstr(json, "\"hash\": \"sha256:") != NULL,
              "xarf4 %s: evidence with a sha256", fams[f].name);
    }
    /* the hash is that of the payload: sha256("GET /scripts/root.exe?/c+dir
     * HTTP/1.0") */
    h = host("192.0.2.10", NULL);
    h.family_kind = "worm";
    h.family_confidence = "certain";
    h.family_title = "Nimda worm";
    in = input(&h, 1);
    in.format = "arf";
    msg = NULL;
    check_int(wr_notice_compose(&in, &msg, NULL, pool), APR_SUCCESS,
              "arf: compose");
    json = msg ? json_of(msg->data) : NULL;
    check(json != NULL && strstr(json, "\"bot_name\": \"Nimda worm\"")
          && strstr(json, "\"bot_type\": \"malicious\""),
          "arf writes the XARF v4 report: infected_host, malicious, Nimda");
    check(json && strstr(json, "\"confidence\": 0.95"),
          "confidence from the family's");
    check(json && strstr(json, "\"payload\": \"R0VUIC9zY3JpcHRzL3Jvb3QuZXhlP"
                         "y9jK2RpciBIVFRQLzEuMA==\""),
          "the request line is the payload, base64");
    check(msg && strstr(msg->data, "text/rfc822-headers") == NULL
          && strstr(msg->data, "X-HTTP-Request-Line") == NULL,
          "no pseudo email header part");
    dump(msg, "xarf4-arf");

    /* hostile, long request lines */
    {
        const char *lines[3];
        char *huge = apr_palloc(pool, 4001);
        memset(huge, 0x01, 4000);
        huge[4000] = '\0';
        lines[0] = huge;
        lines[1] = "GET /\"},{\"x\":\"\\\xc0\xaf\xe2\x80\xae HTTP/1.0";
        lines[2] = "GET /caf\xc3\xa9 HTTP/1.0";
        h = host("2001:db8::66", "evil\"host");
        h.lines = lines;
        h.nlines = 3;
        h.family = "nimda\"x";
        h.family_title = "Nimda \"worm\"";
        h.family_kind = "worm";
        h.family_confidence = "certain";
        in = input(&h, 1);
        in.format = "xarf4";
        in.from_name = "Web \"team\" \xc3\xa9";
        msg = NULL;
        check_int(wr_notice_compose(&in, &msg, NULL, pool), APR_SUCCESS,
                  "xarf4 with hostile lines");
        check(msg && well_formed(msg->data, msg->len, &why),
              "hostile xarf4 well-formed: %s", why);
        dump(msg, "xarf4-hostile");
    }

    two[0] = host("192.0.2.10", NULL);
    two[1] = host("192.0.2.11", NULL);
    in = input(two, 2);
    in.format = "xarf4";
    check_int(wr_notice_compose(&in, &msg, &why, pool), APR_EINVAL,
              "xarf4 with two hosts refused: %s", why);
    check(wr_notice_format_find("XARF4") != NULL
          && wr_notice_format_find("arf")->config_warning != NULL
          && wr_notice_format_find("xarf4")->config_warning == NULL
          && wr_notice_format_find("json") == NULL,
          "the format table: names in any case, arf warns");
    check_str(wr_notice_format_names(pool), "plain, arf, xarf or xarf4",
              "format names for messages");
}

/* yaml_line - the report's line for `key` ("Key: value"), NULL if none */
static const char *yaml_line(const char *m, const char *key)
{
    const char *r = strstr(m, "name=\"report.yaml\"");
    const char *s = r ? strstr(r, apr_pstrcat(pool, "\r\n", key, ": ",
                                              NULL)) : NULL;
    const char *e;

    if (s == NULL) {
        return NULL;
    }
    s += 2;
    e = strstr(s, "\r\n");
    return apr_pstrmemdup(pool, s, (apr_size_t)(e - s));
}

/* test_xarf - X-ARF 0.2 as its validators want it: every mandatory field
 * with Schema-URL, the port that was probed, quoted scalars, a Report-ID
 * with a domain, Malware only for a worm */
static void test_xarf(void)
{
    wr_notice_host_t h = host("2001:4:5:6:7:8:9:10", "host10.wormreply.test");
    wr_notice_input_t in;
    wr_notice_t *msg = NULL;
    const char *why = "", *m;

    h.local_address = "2001:db8::80";
    h.local_port = 8080;
    h.source_port = 40123;
    h.family_title = "Nimda worm";
    h.family_kind = "scanner";
    in = input(&h, 1);
    in.format = "xarf";
    check_int(wr_notice_compose(&in, &msg, NULL, pool), APR_SUCCESS,
              "compose X-ARF");
    if (msg == NULL) {
        return;
    }
    dump(msg, "xarf02-ipv6");
    m = msg->data;
    check(well_formed(m, msg->len, &why), "X-ARF well-formed: %s", why);
    check_str(header(m, "X-XARF", NULL), "PLAIN", "X-XARF: PLAIN");
    check_str(yaml_line(m, "Schema-URL"), "Schema-URL: 'http://www.x-arf.org"
              "/schema/abuse_malware-attack_0.1.4.json'", "Schema-URL");
    check_str(yaml_line(m, "Source"), "Source: '2001:4:5:6:7:8:9:10'",
              "IPv6 Source is a quoted scalar");
    check_str(yaml_line(m, "Port"), "Port: 8080", "the port probed");
    check_str(yaml_line(m, "Destination"), "Destination: '2001:db8::80'",
              "the address probed");
    check(yaml_line(m, "Report-ID")
          && strstr(yaml_line(m, "Report-ID"), "@www.example.org'"),
          "Report-ID with a domain: %s", yaml_line(m, "Report-ID"));
    check_str(yaml_line(m, "Date"), "Date: '2024-05-01T12:00:00Z'",
              "Date, RFC 3339, quoted");
    check(yaml_line(m, "Malware") == NULL,
          "no Malware for a family that is not a worm");

    h.family_kind = "worm";
    h.local_port = 0;
    in = input(&h, 1);
    in.format = "xarf";
    msg = NULL;
    check_int(wr_notice_compose(&in, &msg, NULL, pool), APR_SUCCESS,
              "compose X-ARF for a worm");
    dump(msg, "xarf02-worm");
    if (msg != NULL) {
        check_str(yaml_line(msg->data, "Malware"), "Malware: 'Nimda worm'",
                  "Malware names the worm");
        check(yaml_line(msg->data, "Port") == NULL,
              "no Port when the port is not known");
    }
    h.family_title = "O'Brien's worm";
    in = input(&h, 1);
    in.format = "xarf";
    msg = NULL;
    check_int(wr_notice_compose(&in, &msg, NULL, pool), APR_SUCCESS,
              "compose X-ARF with a quote in a value");
    check_str(msg ? yaml_line(msg->data, "Malware") : NULL,
              "Malware: 'O''Brien''s worm'", "a quote is doubled");
    dump(msg, "xarf02-quote");
}

static void test_unique(void)
{
    wr_notice_host_t h = host("192.0.2.10", NULL);
    wr_notice_input_t in = input(&h, 1);
    apr_hash_t *ids = apr_hash_make(pool);
    apr_pool_t *it;
    int i, dups = 0;

    apr_pool_create(&it, pool);
    for (i = 0; i < 1000; i++) {
        wr_notice_t *msg = NULL;
        wr_notice_compose(&in, &msg, NULL, it);
        if (msg == NULL) {
            dups++;
            continue;
        }
        if (apr_hash_get(ids, msg->message_id, APR_HASH_KEY_STRING)) {
            dups++;
        }
        apr_hash_set(ids, apr_pstrdup(pool, msg->message_id),
                     APR_HASH_KEY_STRING, "");
    }
    check_int(dups, 0, "1,000 notices at the same instant: 1,000 distinct "
              "Message-IDs");
    {
        wr_notice_t *msg = NULL;
        wr_notice_compose(&in, &msg, NULL, pool);
        check_str(msg ? header(msg->data, "Subject", NULL) : NULL,
                  "[wormreply] Nimda worm probes from 192.0.2.10",
                  "no confirmed name: subject has the address alone");
        check(msg && strstr(msg->data, "Host name:  (none confirmed)"),
              "body says no name was confirmed");
    }
}

static void test_bad_input(void)
{
    wr_notice_host_t h = host("192.0.2.10", NULL);
    wr_notice_input_t in;
    wr_notice_t *msg;
    const char *err;
    static const char *bad_to[] = {
        "abuse@wormreply.test\r\nBcc: evil@x", "Abuse <abuse@x.test>",
        "a@x.test, b@x.test", "", "abuse", "@x.test", "abuse@", "a b@x.test",
        "a..b@x.test", ".a@x.test", "a@x..test", "a@-x.test", "a@x-.test",
        "\"a\"@x.test", "a@x.test.",
    };
    apr_array_header_t *to;
    size_t i;

    for (i = 0; i < sizeof(bad_to) / sizeof(bad_to[0]); i++) {
        in = input(&h, 1);
        to = apr_array_make(pool, 1, sizeof(char *));
        APR_ARRAY_PUSH(to, const char *) = bad_to[i];
        in.to = to;
        err = NULL;
        check_int(wr_notice_compose(&in, &msg, &err, pool), APR_EINVAL,
                  "To #%d refused: %s", (int)i, err ? err : "(no reason)");
    }
    check(wr_notice_address_ok("postmaster@wormreply.test")
          && wr_notice_address_ok("abuse+wr@sub-1.wr--test.co.uk")
          && wr_notice_address_ok("o'brien@x.test"),
          "plain addresses accepted");

    in = input(&h, 1);
    in.to = apr_array_make(pool, 1, sizeof(char *));
    check_int(wr_notice_compose(&in, &msg, &err, pool), APR_EINVAL,
              "no To: %s", err);
    in = input(&h, 1);
    in.from = "wormreply@x.test\r\nBcc: e@x";
    check_int(wr_notice_compose(&in, &msg, &err, pool), APR_EINVAL,
              "bad From: %s", err);
    in = input(&h, 1);
    in.server_name = "www.example.org>\r\nX: y";
    check_int(wr_notice_compose(&in, &msg, &err, pool), APR_EINVAL,
              "bad server name: %s", err);
    in = input(&h, 0);
    check_int(wr_notice_compose(&in, &msg, &err, pool), APR_EINVAL,
              "no host: %s", err);
    in = input(&h, 1);
    in.tmpl = "Hello ${nobody}\n";
    err = NULL;
    check_int(wr_notice_compose(&in, &msg, &err, pool), APR_EINVAL,
              "template with an unknown placeholder");
    check(err && strstr(err, "${nobody}") && strstr(err, "line 1"),
          "error names it: %s", err ? err : "(none)");
}

static void test_templates(void)
{
    wr_notice_host_t h = host("192.0.2.10", "host10.wormreply.test");
    wr_notice_input_t in = input(&h, 1);
    wr_notice_t *msg = NULL;
    const char *err = NULL, *loaded = NULL, *why = "";

    check_int(wr_notice_template_check(wr_notice_default_template(), &err,
                                       pool), APR_SUCCESS,
              "the built-in template checks");
    check_int(template_load("conf/notice.tmpl", &loaded, &err, pool),
              APR_SUCCESS, "conf/notice.tmpl loads");
    check_str(loaded, wr_notice_default_template(),
              "conf/notice.tmpl is the built-in template");

    check_int(wr_notice_template_check("a ${domain\nb}", &err, pool),
              APR_EINVAL, "unterminated placeholder: %s", err);
    check_int(wr_notice_template_check("a\x01z", &err, pool), APR_EINVAL,
              "control character: %s", err);
    check_int(wr_notice_template_check("caf\xc3", &err, pool), APR_EINVAL,
              "truncated UTF-8: %s", err);
    check_int(wr_notice_template_check("$ and $x and {domain} and $ {x}",
                                       &err, pool), APR_SUCCESS,
              "lone dollars and braces are text");
    check_int(template_load("t/unit/no-such.tmpl", &loaded, &err, pool),
              APR_ENOENT, "missing template: APR_ENOENT");
    {
        char big[WR_NOTICE_TEMPLATE_MAX + 2];

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        check_int(wr_notice_template_parse(big, sizeof(big) - 1, &loaded,
                                           &err, pool), APR_EINVAL,
                  "a template over the limit: %s", err);
        check_int(wr_notice_template_parse("a\0b", 3, &loaded, &err, pool),
                  APR_EINVAL, "a NUL byte in a template: %s", err);
    }

    /* A non-ASCII subject from the administrator: RFC 2047. */
    in.tmpl = "Subject: Wurm-Meldung f\xc3\xbcr ${source} \xe2\x80\x94 "
              "bitte pr\xc3\xbc" "fen, ${family}, ${family_id}\n"
              "\n"
              "Gr\xc3\xbc\xc3\x9f" "e, ${domain}: ${count} probes\n"
              "${first_seen} .. ${last_seen}, ${host_count} host,\n"
              "${date}\n";
    check_int(wr_notice_compose(&in, &msg, &err, pool), APR_SUCCESS,
              "compose with a German template");
    if (msg != NULL) {
        const char *v;
        check(well_formed(msg->data, msg->len, &why), "well-formed: %s",
              why);
        v = header(msg->data, "Subject", NULL);
        check(v && strncmp(v, "=?UTF-8?B?", 10) == 0,
              "non-ASCII subject is RFC 2047 encoded: %s", v ? v : "");
        check(strstr(header_block(msg->data), "\xc3") == NULL,
              "header section stays ASCII");
        check(strstr(msg->data, "\r\n =?UTF-8?B?") != NULL,
              "long encoded subject folded into several words");
        check(strstr(body_of(msg->data), "Gr\xc3\xbc\xc3\x9f" "e, "
                     "wormreply.test: 17 probes\r\n2024-05-01 12:00:00 UTC "
                     ".. 2024-05-01 12:04:07 UTC, 1 host,\r\nWed, 01 May "
                     "2024 12:10:00 +0000\r\n") != NULL,
              "every placeholder expanded");
        check_str(header(msg->data, "Content-Transfer-Encoding", NULL),
                  "8bit", "UTF-8 body: 8bit");
    }
    /* No Subject line: the default subject, and the body starts at once. */
    in.tmpl = "Just ${source}.\n";
    check_int(wr_notice_compose(&in, &msg, &err, pool), APR_SUCCESS,
              "template without a subject line");
    check_str(msg ? header(msg->data, "Subject", NULL) : NULL,
              "[wormreply] Nimda worm probes from 192.0.2.10 "
              "(host10.wormreply.test)", "default subject");
    check_str(msg ? body_of(msg->data) : NULL,
              "Just 192.0.2.10 (host10.wormreply.test).\r\n",
              "body is the template, CRLF");
}

/* header_lines_max - the longest line of the message's header section
 * and of every MIME part's header section (after each delimiter line of
 * the boundary the top Content-Type names) */
static apr_size_t header_lines_max(const char *m)
{
    apr_size_t best = max_body_line(header_block(m)), n;
    const char *ct = header(m, "Content-Type", NULL), *b, *s;
    const char *delim;

    if (ct == NULL || (b = strstr(ct, "boundary=\"")) == NULL) {
        return best;
    }
    b += 10;
    delim = apr_pstrcat(pool, "\r\n--",
                        apr_pstrmemdup(pool, b, strcspn(b, "\"")), "\r\n",
                        NULL);
    for (s = strstr(m, delim); s != NULL; s = strstr(s, delim)) {
        s += strlen(delim);
        n = max_body_line(header_block(s));
        best = n > best ? n : best;
    }
    return best;
}

/* test_limits - the composer keeps RFC 5322's limits for any input: a
 * lone CR in a template is refused, no line of any format is over 998
 * octets even when every byte of a field needs a \xNN escape, and the
 * Subject folds within 78 octets */
static void test_limits(void)
{
    const wr_notice_format_t *fmt;
    wr_notice_host_t h = host("192.0.2.10", "host10.wormreply.test");
    wr_notice_input_t in;
    wr_notice_t *msg = NULL;
    const char *err = "", *why = "", *lines[2];
    char *ctl, *hi, *subj;
    apr_size_t i, worst = 0;
    int f, w, ok = 1;

    check_int(wr_notice_template_check("a\rb ${domain}\n", &err, pool),
              APR_EINVAL, "lone CR in a template refused: %s", err);
    check(err && strstr(err, "CR not followed by LF on line 1"),
          "the message names the lone CR and its line");
    check_int(wr_notice_template_check("a\r\n\rb\n", &err, pool),
              APR_EINVAL, "CR at the start of a line refused");
    check_int(wr_notice_template_check("a\r", &err, pool), APR_EINVAL,
              "CR at the very end refused");
    check_int(wr_notice_template_check("a\r\nb\r\n", &err, pool),
              APR_SUCCESS, "CRLF line ends accepted");

    /* Every byte escaped: 1,000 input bytes become 4,000 octets. */
    ctl = apr_palloc(pool, WR_NOTICE_LINE_MAX + 1);
    memset(ctl, 0x01, WR_NOTICE_LINE_MAX);
    ctl[WR_NOTICE_LINE_MAX] = '\0';
    hi = apr_palloc(pool, WR_NOTICE_NAME_MAX + 1);
    memset(hi, 0xff, WR_NOTICE_NAME_MAX);
    hi[WR_NOTICE_NAME_MAX] = '\0';
    lines[0] = ctl;
    lines[1] = apr_pstrcat(pool, "GET /", ctl, " HTTP/1.0", NULL);
    h.lines = lines;
    h.nlines = 2;
    h.name = hi;
    h.vhost = hi;
    for (f = 0; (fmt = wr_notice_format_at(f)) != NULL; f++) {
        in = input(&h, 1);
        in.format = fmt->name;
        msg = NULL;
        check_int(wr_notice_compose(&in, &msg, &err, pool), APR_SUCCESS,
                  "%s: compose all-escaped fields", fmt->name);
        if (msg == NULL) {
            continue;
        }
        check(well_formed(msg->data, msg->len, &why),
              "%s: no line over 998 octets: %s", fmt->name, why);
    }

    /* Every header line of every format (the MIME parts' too) within 78
     * octets, a long display name and IPv6 addresses too, where folding is
     * possible. */
    worst = 0;
    h = host("2001:db8:ffff:ffff:ffff:ffff:ffff:fff0",
             "a-rather-long-host-name-of-the-prober.dsl.wormreply.test");
    h.local_address = "2001:db8:ffff:ffff:ffff:ffff:ffff:80";
    h.local_port = 65535;
    h.source_port = 65535;
    for (f = 0; (fmt = wr_notice_format_at(f)) != NULL; f++) {
        in = input(&h, 1);
        in.format = fmt->name;
        in.from_name = "The web team of the example organisation at "
                       "www.example.org and friends";
        msg = NULL;
        if (wr_notice_compose(&in, &msg, NULL, pool) == APR_SUCCESS
            && header_lines_max(msg->data) > worst) {
            worst = header_lines_max(msg->data);
        }
        check(msg && strstr(msg->data, "From: \"The web team") != NULL,
              "%s: the display name is kept", fmt->name);
    }
    check(worst > 0 && worst <= 78, "header lines of every format <= 78 "
          "octets (longest %lu)", (unsigned long)worst);
    worst = 0;

    /* Subjects of every word length fold within 78 octets. */
    for (w = 1; w <= 40; w++) {
        subj = apr_palloc(pool, 300);
        for (i = 0; i < 240; i++) {
            subj[i] = (i + 1) % (apr_size_t)(w + 1) == 0 ? ' ' : 'x';
        }
        subj[240] = '\0';
        in = input(&h, 1);
        in.tmpl = apr_pstrcat(pool, "Subject: ", subj, "\n\nbody\n", NULL);
        msg = NULL;
        if (wr_notice_compose(&in, &msg, NULL, pool) != APR_SUCCESS) {
            ok = 0;
            continue;
        }
        if (header_lines_max(msg->data) > worst) {
            worst = header_lines_max(msg->data);
        }
    }
    check(ok && worst <= 78, "ASCII subjects: header lines <= 78 octets "
          "(longest %lu)", (unsigned long)worst);
    worst = 0;
    for (w = 1; w <= 60; w++) {
        subj = apr_palloc(pool, 4 * (apr_size_t)w + 1);
        for (i = 0; i < (apr_size_t)w; i++) {
            memcpy(subj + 2 * i, "\xc3\xa9", 2);
        }
        subj[2 * w] = '\0';
        in = input(&h, 1);
        in.tmpl = apr_pstrcat(pool, "Subject: ", subj, "\n\nbody\n", NULL);
        msg = NULL;
        if (wr_notice_compose(&in, &msg, NULL, pool) == APR_SUCCESS
            && header_lines_max(msg->data) > worst) {
            worst = header_lines_max(msg->data);
        }
    }
    check(worst > 0 && worst <= 78, "RFC 2047 subjects: header lines <= 78 "
          "octets (longest %lu)", (unsigned long)worst);
}

static void test_sanitize(void)
{
    check_str(wr_notice_sanitize("a\r\nb", 0, 0, pool), "a\\x0d\\x0ab",
              "CR LF escaped");
    check_str(wr_notice_sanitize("tab\there", 0, 0, pool), "tab\\x09here",
              "TAB escaped");
    check_str(wr_notice_sanitize("\xc3\xa9", 0, 0, pool), "\xc3\xa9",
              "valid UTF-8 kept");
    check_str(wr_notice_sanitize("\xc3\xa9", 0, 1, pool), "\\xc3\\xa9",
              "ASCII mode escapes it");
    check_str(wr_notice_sanitize("\xed\xa0\x80", 0, 0, pool),
              "\\xed\\xa0\\x80", "surrogate escaped");
    check_str(wr_notice_sanitize("\xf4\x90\x80\x80", 0, 0, pool),
              "\\xf4\\x90\\x80\\x80", "above U+10FFFF escaped");
    check_str(wr_notice_sanitize("\xe0\x80\xaf", 0, 0, pool),
              "\\xe0\\x80\\xaf", "overlong 3-byte escaped");
    check_str(wr_notice_sanitize("\xe2\x80\xa8", 0, 0, pool),
              "\\xe2\\x80\\xa8", "LINE SEPARATOR escaped");
    check_str(wr_notice_sanitize("abcdef", 3, 0, pool), "abc...",
              "cut with ...");
    check_str(wr_notice_sanitize(NULL, 0, 0, pool), "", "NULL gives \"\"");
    check_str(wr_notice_sanitize("\xc3", 0, 0, pool), "\\xc3",
              "truncated sequence escaped");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    alarm(120);
    if (wr_sigset_create(&builtin, pool) != APR_SUCCESS
        || wr_sigset_load_builtin(builtin, NULL) != APR_SUCCESS) {
        printf("Bail out! the built-in signatures do not load\n");
        return 1;
    }
    test_plain();
    test_family_texts();
    test_digest();
    test_hostile();
    test_xarf4();
    test_xarf();
    test_unique();
    test_bad_input();
    test_templates();
    test_limits();
    test_sanitize();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
