/* wr_notice_xarf4.c - XARF v4 reports, one host each: multipart/mixed of
 * the text and the report as an application/json part (xarf.json, base64
 * so that no line of it can pass 78 octets), valid against the XARF v4
 * schemas of the xarf-spec project (see wr_notice.h, README)
 *
 * What a family is, is said in conf/signatures.conf (its "kind" and
 * "confidence" attributes, wr_family.h); the table below says what each
 * combination is in XARF's terms. */
#include <openssl/evp.h>

#include <apr_base64.h>
#include <apr_lib.h>

#include "wr_notice_int.h"

/* The version of the XARF v4 schemas the reports are written for. */
#define XARF4_VERSION "4.2.0"

typedef enum {
    COUNT_REQUESTS,             /* "total_requests" */
    COUNT_PROBES                /* "total_probes" */
} count_key_e;

/* kind and confidence of a family -> XARF category/type and the fields
 * the type requires. NULL matches anything; the first matching row wins. */
typedef struct {
    const char *kind;
    const char *confidence;
    const char *type;           /* category "connection" */
    const char *fields;         /* written as they are, JSON members */
    count_key_e count;
} xarf4_map_t;

static const xarf4_map_t type_map[] = {
    /* a worm's own requests: the host is infected */
    { "worm", "certain", "infected_host",
      "\"bot_type\": \"malicious\", "
      "\"behavior_pattern\": \"vulnerability_probing\"", COUNT_REQUESTS },
    /* looking for a target only */
    { NULL, "recon", "reconnaissance", NULL, COUNT_PROBES },
    /* exploit probes from a scanner, a bot, or a worm we are not sure of */
    { NULL, NULL, "vulnerability_scan",
      "\"scan_type\": \"web_vuln_scan\", "
      "\"targeted_services\": [\"http\"]", COUNT_REQUESTS },
};

/* How sure a report is, by the family's confidence (wr_family.h); a
 * family without one is taken as "likely". */
static const struct {
    const char *confidence;
    const char *value;
} confidence_map[] = {
    { "certain", "0.95" },
    { "likely", "0.7" },
    { "recon", "0.5" },
};

/* json_str - `s` sanitised to ASCII (bounded to `max_out`) as a JSON
 * string, with its quotes */
static const char *json_str(const char *s, apr_size_t max_out, apr_pool_t *p)
{
    const char *v = wr_text_sanitize(s, 0, max_out, 1, p);
    wr_buf_t b;

    wr_buf_init(&b, p);
    wr_buf_add(&b, "\"", 1);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') {
            wr_buf_add(&b, "\\", 1);
        }
        wr_buf_add(&b, v, 1);
    }
    wr_buf_add(&b, "\"", 1);
    return b.s;
}

/* uuid4 - a random (version 4) UUID, as XARF's report_id wants */
static apr_status_t uuid4(const char **out, apr_pool_t *p)
{
    unsigned char r[16];
    apr_status_t rv;

    if ((rv = apr_generate_random_bytes(r, sizeof(r))) != APR_SUCCESS) {
        return rv;
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    *out = apr_psprintf(p, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                        "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
                        r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                        r[12], r[13], r[14], r[15]);
    return APR_SUCCESS;
}

/* sha256_hex - "sha256:<hex>" of n bytes, NULL if OpenSSL fails */
static const char *sha256_hex(const char *s, apr_size_t n, apr_pool_t *p)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    char *hex;

    if (!EVP_Digest(s, n, md, &len, EVP_sha256(), NULL)) {
        return NULL;
    }
    hex = apr_palloc(p, 2 * len + 8);
    memcpy(hex, "sha256:", 7);
    for (i = 0; i < len; i++) {
        apr_snprintf(hex + 7 + 2 * i, 3, "%02x", md[i]);
    }
    return hex;
}

/* tag_ok - XARF's tag grammar for the predicate: [a-z0-9][a-z0-9_+-]* */
static int tag_ok(const char *s)
{
    if (!apr_islower(*s) && !apr_isdigit(*s)) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_islower(*s) && !apr_isdigit(*s) && !strchr("_+-", *s)) {
            return 0;
        }
    }
    return 1;
}

/* match_map - the first row of type_map for this family */
static const xarf4_map_t *match_map(const wr_notice_host_t *h)
{
    apr_size_t i;

    for (i = 0; i < sizeof(type_map) / sizeof(type_map[0]); i++) {
        const xarf4_map_t *m = &type_map[i];
        if ((m->kind == NULL || (h->family_kind
                                 && !strcmp(m->kind, h->family_kind)))
            && (m->confidence == NULL
                || (h->family_confidence
                    && !strcmp(m->confidence, h->family_confidence)))) {
            return m;
        }
    }
    return &type_map[sizeof(type_map) / sizeof(type_map[0]) - 1];
}

/* confidence_of - the report's confidence for the family */
static const char *confidence_of(const wr_notice_host_t *h)
{
    apr_size_t i;

    for (i = 0; i < sizeof(confidence_map) / sizeof(confidence_map[0]);
         i++) {
        if (h->family_confidence
            && !strcmp(confidence_map[i].confidence, h->family_confidence)) {
            return confidence_map[i].value;
        }
    }
    return "0.7";
}

/* request_target - the target of a request line ("GET /x HTTP/1.0" ->
 * "/x"), for reconnaissance's probed_resources */
static const char *request_target(const char *line, apr_pool_t *p)
{
    const char *sp = strchr(line, ' '), *end;

    if (sp == NULL) {
        return line;
    }
    sp++;
    end = strrchr(sp, ' ');
    if (end == NULL || strncmp(end, " HTTP/", 6) != 0) {
        return sp;
    }
    return apr_pstrmemdup(p, sp, (apr_size_t)(end - sp));
}

/* report_json - the XARF v4 report for the one host of the input */
static apr_status_t report_json(const wr_notice_parts_t *pt,
                                const char **json, const char **why)
{
    const wr_notice_input_t *in = pt->in;
    const wr_notice_host_t *h = &in->hosts[0];
    const xarf4_map_t *m = match_map(h);
    const char *id, *title, *org, *contact, *at;
    apr_pool_t *p = pt->p;
    apr_status_t rv;
    wr_buf_t b;
    int j;

    if ((rv = uuid4(&id, p)) != APR_SUCCESS) {
        *why = "no random bytes";
        return rv;
    }
    title = h->family_title ? h->family_title : h->family;
    contact = json_str(in->from, 254, p);
    at = strrchr(in->from, '@');
    org = json_str(in->from_name && in->from_name[0] ? in->from_name
                   : in->server_name, 200, p);
    wr_buf_init(&b, p);
    wr_buf_printf(&b, "{\n"
                  "  \"xarf_version\": \"" XARF4_VERSION "\",\n"
                  "  \"report_id\": \"%s\",\n"
                  "  \"timestamp\": \"%s\",\n"
                  "  \"reporter\": {\"org\": %s, \"contact\": %s, "
                  "\"domain\": %s},\n"
                  "  \"sender\": {\"org\": %s, \"contact\": %s, "
                  "\"domain\": %s},\n"
                  "  \"source_identifier\": %s,\n",
                  id, wr_time_pformat(WR_TIME_RFC3339, h->first_seen, p),
                  org, contact, json_str(at + 1, 253, p),
                  org, contact, json_str(at + 1, 253, p),
                  json_str(h->address, 64, p));
    if (h->source_port > 0) {
        wr_buf_printf(&b, "  \"source_port\": %u,\n",
                      (unsigned)h->source_port);
    }
    wr_buf_printf(&b, "  \"category\": \"connection\",\n"
                  "  \"type\": \"%s\",\n"
                  "  \"protocol\": \"tcp\",\n"
                  "  \"evidence_source\": \"ids_detection\",\n"
                  "  \"confidence\": %s,\n"
                  "  \"description\": %s,\n",
                  m->type, confidence_of(h),
                  json_str(apr_psprintf(p, "%s probes received by the web "
                                        "server %s", title, in->server_name),
                           1000, p));
    if (tag_ok(h->family)) {
        wr_buf_printf(&b, "  \"tags\": [\"family:%s\"],\n", h->family);
    }
    if (h->local_address != NULL && h->local_address[0] != '\0') {
        wr_buf_printf(&b, "  \"destination_ip\": %s,\n",
                      json_str(h->local_address, 64, p));
    }
    if (h->local_port > 0) {
        wr_buf_printf(&b, "  \"destination_port\": %u,\n",
                      (unsigned)h->local_port);
        if (!strcmp(m->type, "vulnerability_scan")) {
            wr_buf_printf(&b, "  \"targeted_ports\": [%u],\n",
                          (unsigned)h->local_port);
        }
    }
    if (!strcmp(m->type, "infected_host")) {
        wr_buf_printf(&b, "  \"bot_name\": %s,\n", json_str(title, 200, p));
    }
    if (m->fields != NULL) {
        wr_buf_printf(&b, "  %s,\n", m->fields);
    }
    if (!strcmp(m->type, "reconnaissance")) {
        wr_buf_str(&b, "  \"probed_resources\": [");
        for (j = 0; j < h->nlines; j++) {
            wr_buf_printf(&b, "%s%s", j ? ", " : "",
                          json_str(request_target(h->lines[j], p),
                                   WR_NOTICE_FIELD_MAX, p));
        }
        wr_buf_str(&b, "],\n");
    }
    wr_buf_printf(&b, "  \"first_seen\": \"%s\",\n"
                  "  \"last_seen\": \"%s\",\n"
                  "  \"%s\": %" APR_UINT64_T_FMT ",\n"
                  "  \"evidence\": [",
                  wr_time_pformat(WR_TIME_RFC3339, h->first_seen, p),
                  wr_time_pformat(WR_TIME_RFC3339, h->last_seen, p),
                  m->count == COUNT_PROBES ? "total_probes" : "total_requests",
                  h->count > 0 ? h->count : 1);
    for (j = 0; j < h->nlines; j++) {
        /* the request line as kept: control bytes and non-UTF-8 as \xNN */
        const char *line = wr_notice_sanitize(h->lines[j], WR_NOTICE_LINE_MAX,
                                              0, p);
        apr_size_t n = strlen(line);
        char *b64 = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)n));
        const char *hash = sha256_hex(line, n, p);

        if (hash == NULL) {
            *why = "SHA-256 failed";
            return APR_EGENERAL;
        }
        apr_base64_encode(b64, line, (int)n);
        wr_buf_printf(&b, "%s\n    {\"content_type\": \"text/plain\", "
                      "\"description\": \"HTTP request line as received "
                      "(bytes that are not printable UTF-8 as \\\\xNN)\", "
                      "\"payload\": \"%s\", \"hash\": \"%s\", "
                      "\"size\": %lu}", j ? "," : "", b64, hash,
                      (unsigned long)n);
    }
    wr_buf_str(&b, h->nlines ? "\n  ]\n}\n" : "]\n}\n");
    *json = b.s;
    return APR_SUCCESS;
}

apr_status_t wr_notice_xarf4_parts(wr_buf_t *out,
                                   const wr_notice_parts_t *pt,
                                   const char **why)
{
    const char *json, *boundary;
    apr_size_t n, i;
    char *b64;
    apr_status_t rv;

    if ((rv = report_json(pt, &json, why)) != APR_SUCCESS
        || (rv = wr_notice_multipart_open(out, pt, NULL, "multipart/mixed",
                                          NULL, "XARF v4 format (JSON)",
                                          &boundary, why)) != APR_SUCCESS) {
        return rv;
    }
    wr_buf_printf(out, "--%s\r\n"
                  "Content-Type: application/json; name=\"xarf.json\"\r\n"
                  "Content-Disposition: attachment; filename=\"xarf.json\"\r\n"
                  "Content-Transfer-Encoding: base64\r\n"
                  "\r\n", boundary);
    n = strlen(json);
    b64 = apr_palloc(pt->p, (apr_size_t)apr_base64_encode_len((int)n));
    n = (apr_size_t)apr_base64_encode(b64, json, (int)n) - 1;
    /* lines of 76 characters (RFC 2045 6.8) */
    for (i = 0; i < n; i += 76) {
        wr_buf_add(out, b64 + i, n - i < 76 ? n - i : 76);
        wr_buf_str(out, "\r\n");
    }
    wr_notice_multipart_close(out, boundary);
    return APR_SUCCESS;
}
