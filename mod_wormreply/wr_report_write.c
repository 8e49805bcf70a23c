/* wr_report_write.c - the report's writers: JSON, CSV and text, and the
 * helpers the HTML writer (wr_report_html.c) shares
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "wr_report_int.h"
#include "wr_text.h"
#include "wr_time.h"

/* ---- output helpers ------------------------------------------------- */

/* wr_report_fam_active - whether family f is reported */
int wr_report_fam_active(const wr_report_t *rep, int f)
{
    return (rep->mask & ((wr_family_mask_t)1 << f)) != 0;
}

/* by_confidence - probe requests and bytes of the reported families by
 * their confidence (the split between what may be mailed by itself and
 * what only shows the load) */
static void by_confidence(const wr_report_t *rep,
                          unsigned long long req[WR_CONFIDENCE_COUNT],
                          unsigned long long bytes[WR_CONFIDENCE_COUNT])
{
    int f;

    memset(req, 0, sizeof(req[0]) * WR_CONFIDENCE_COUNT);
    memset(bytes, 0, sizeof(bytes[0]) * WR_CONFIDENCE_COUNT);
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        wr_confidence_t c = wr_sigset_family_confidence(rep->set, f);
        if (!wr_report_fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        req[c] += fa.requests;
        bytes[c] += fa.bytes;
    }
}

/* wr_report_iso_time - "2004-04-21T14:56:07Z" of a time in seconds */
const char *wr_report_iso_time(long long t, char *buf, size_t size)
{
    return wr_time_format(buf, size, WR_TIME_RFC3339, apr_time_from_sec(t));
}

/* put_json_str - a JSON string: valid UTF-8 passes, controls and
 * U+2028/9 are \u-escaped, each byte of invalid UTF-8 becomes U+FFFD;
 * '<', '>' and '&' too, so the JSON can sit inside HTML */
static void put_json_str(FILE *out, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, len;
    apr_uint32_t cp;

    putc('"', out);
    while (i < n) {
        unsigned char c = u[i];

        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                putc('\\', out);
                putc(c, out);
            }
            else if (c < 0x20 || c == 0x7f || c == '<' || c == '>'
                     || c == '&') {
                fprintf(out, "\\u%04x", c);
            }
            else {
                putc(c, out);
            }
            i++;
        }
        else if ((len = wr_text_utf8_decode(u + i, n - i, &cp)) == 0) {
            fputs("\\ufffd", out);
            i++;
        }
        else {
            if (cp == 0x2028 || cp == 0x2029) {
                fprintf(out, "\\u%04x", cp);
            }
            else {
                fwrite(s + i, 1, len, out);
            }
            i += len;
        }
    }
    putc('"', out);
}

static void put_json_cstr(FILE *out, const char *s)
{
    put_json_str(out, s, strlen(s));
}

/* wr_report_esc_log - bytes as Apache logs them: printable ASCII as is, '\' as
 * "\\", anything else as \xNN. Writes at most size - 1 bytes. */
const char *wr_report_esc_log(const char *s, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (; *s && o + 5 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\') {
            buf[o++] = '\\';
            buf[o++] = '\\';
        }
        else if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char)c;
        }
        else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}

/* WR_REPORT_ESC_MAX - room for a key escaped by wr_report_esc_log */

/* wr_report_families_str - "nimda+iis" for a mask */
const char *wr_report_families_str(const wr_report_t *rep, wr_family_mask_t m,
                                   char *buf, size_t size)
{
    int f;
    size_t o = 0;

    buf[0] = '\0';
    for (f = 0; f < rep->nfam; f++) {
        if (m & ((wr_family_mask_t)1 << f)) {
            o += (size_t)apr_snprintf(buf + o, size - o, "%s%s",
                                      o ? "+" : "",
                                      wr_sigset_family_name(rep->set, f));
        }
    }
    return buf;
}

/* wr_report_share - part of whole as a fraction, 0 for an empty whole */
double wr_report_share(unsigned long long part, unsigned long long whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

/* wr_report_view_init - fetch the tables once for a writer */
void wr_report_view_init(wr_report_view_t *v, wr_report_t *rep, FILE *out,
                         apr_pool_t *p)
{
    unsigned cap, i;

    memset(v, 0, sizeof(*v));
    v->rep = rep;
    v->out = out;
    v->p = p;
    wr_report_totals(rep, &v->t);
    cap = rep->opts.top ? rep->opts.top : rep->opts.source_cap;
    v->src = apr_pcalloc(p, sizeof(*v->src) * cap);
    v->nsrc = wr_report_sources(rep, v->src, cap);
    cap = rep->opts.top ? rep->opts.top : rep->opts.target_cap;
    v->tgt = apr_pcalloc(p, sizeof(*v->tgt) * cap);
    v->ntgt = wr_report_targets(rep, v->tgt, cap);
    v->width = wr_report_series(rep, &v->nbuckets);
    /* the bound on any count's over-estimate: the largest error held */
    for (i = 0; i < rep->sources.kt.n; i++) {
        if (rep->sources.row[i].error > v->src_max_error) {
            v->src_max_error = rep->sources.row[i].error;
        }
    }
    for (i = 0; i < rep->targets.kt.n; i++) {
        if (rep->targets.row[i].error > v->tgt_max_error) {
            v->tgt_max_error = rep->targets.row[i].error;
        }
    }
}

/* cmp_vhost - vhost rows by requests, most first (qsort_r) */
static int cmp_vhost(const void *a, const void *b, void *baton)
{
    const wr_report_t *rep = baton;
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    unsigned long long rx = rep->vrow[x].tot[WR_SERIES_REQ];
    unsigned long long ry = rep->vrow[y].tot[WR_SERIES_REQ];

    if (rx != ry) {
        return rx > ry ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

unsigned wr_report_vhost_order(const wr_report_t *rep, unsigned **order,
                               apr_pool_t *p)
{
    unsigned n = 0, i, cap = rep->opts.vhost_cap;

    *order = apr_palloc(p, sizeof(**order) * (cap + 1));
    for (i = 0; i < rep->vhosts.n; i++) {
        (*order)[n++] = i;
    }
    if (rep->vhosts.klen[cap] != 0) {
        (*order)[n++] = cap;
    }
    qsort_r(*order, n, sizeof(**order), cmp_vhost, (void *)rep);
    return n;
}

/* wr_report_short_time - "2004-04-21 14:56" of a time in seconds; "-" for 0 */
const char *wr_report_short_time(long long t, char *buf, size_t size)
{
    if (t == 0) {
        apr_cpystrn(buf, "-", size);
        return buf;
    }
    return wr_time_format(buf, size, WR_TIME_MINUTE, apr_time_from_sec(t));
}

/* ---- JSON ----------------------------------------------------------- */

static void json_top(wr_report_view_t *v, const char *name,
                     const char *keyname,
                     const wr_report_top_t *rows, unsigned n, int sources)
{
    FILE *out = v->out;
    char tb[32];
    unsigned i;
    int f;

    fprintf(out, ",\n  \"%s\": [", name);
    for (i = 0; i < n; i++) {
        const wr_report_top_t *r = &rows[i];
        const char *sep = "";

        fprintf(out, "%s\n    {\"%s\": ", i ? "," : "", keyname);
        put_json_cstr(out, r->key);
        if (sources && v->rep->namer) {
            const char *nm = v->rep->namer(v->rep->namer_baton, r->key, v->p);
            fputs(", \"name\": ", out);
            if (nm) {
                put_json_cstr(out, nm);
            }
            else {
                fputs("null", out);
            }
        }
        fprintf(out, ", \"probes\": %llu, \"error\": %llu, "
                "\"probe_bytes\": %llu, \"families\": [",
                r->count, r->error, r->bytes);
        for (f = 0; f < v->rep->nfam; f++) {
            if (r->families & ((wr_family_mask_t)1 << f)) {
                fputs(sep, out);
                put_json_cstr(out, wr_sigset_family_name(v->rep->set, f));
                sep = ", ";
            }
        }
        fputs("], \"first_seen\": ", out);
        if (r->first) {
            fprintf(out, "\"%s\"", wr_report_iso_time(r->first, tb,
                                                      sizeof(tb)));
        }
        else {
            fputs("null", out);
        }
        fputs(", \"last_seen\": ", out);
        if (r->last) {
            fprintf(out, "\"%s\"", wr_report_iso_time(r->last, tb,
                                                      sizeof(tb)));
        }
        else {
            fputs("null", out);
        }
        fputs("}", out);
    }
    fputs(n ? "\n  ]" : "]", out);
}

static void json_tracking(wr_report_view_t *v, const char *name,
                          const wr_topk_t *ss,
                          unsigned cap, unsigned long long max_error)
{
    fprintf(v->out, ",\n  \"%s\": {\"method\": \"space-saving\", "
            "\"cap\": %u, \"tracked\": %u, \"exact\": %s, "
            "\"max_error\": %llu, \"error_bound\": %llu}",
            name, cap, ss->kt.n, ss->evictions ? "false" : "true",
            max_error, ss->evictions ? v->t.probes / cap : 0ULL);
}

static void write_json(wr_report_view_t *v)
{
    wr_report_t *rep = v->rep;
    FILE *out = v->out;
    char tb[32];
    unsigned i;
    int f, k;
    const char *sep = "";

    fprintf(out, "{\n  \"schema\": %d,\n  \"generator\": \"wormreply report\","
            "\n  \"log_format\": ", WR_REPORT_JSON_SCHEMA);
    put_json_cstr(out, rep->opts.log_format);
    fputs(",\n  \"inputs\": [", out);
    for (i = 0; i < (unsigned)rep->inputs->nelts; i++) {
        fputs(i ? ", " : "", out);
        put_json_cstr(out, APR_ARRAY_IDX(rep->inputs, i, const char *));
    }
    fprintf(out, "],\n  \"lines\": %llu,\n  \"requests\": %llu,\n"
            "  \"bytes\": %llu,\n  \"probes\": %llu,\n"
            "  \"probe_bytes\": %llu,\n"
            "  \"probe_share\": {\"requests\": %.6f, \"bytes\": %.6f},\n"
            "  \"bad_lines\": %llu,\n  \"bad\": {",
            v->t.lines, v->t.requests, v->t.bytes, v->t.probes,
            v->t.probe_bytes, wr_report_share(v->t.probes, v->t.requests),
            wr_report_share(v->t.probe_bytes, v->t.bytes), v->t.bad_lines);
    for (k = 1; k < WR_LOGLINE_NSTATUS; k++) {
        fprintf(out, "%s\"%s\": %llu", k > 1 ? ", " : "",
                wr_logline_status_name((wr_logline_status_t)k), v->t.bad[k]);
    }
    fprintf(out, "},\n  \"clients\": %llu,\n  \"clients_estimated\": %s,\n",
            v->t.clients, v->t.clients_estimated ? "true" : "false");
    fputs("  \"first\": ", out);
    if (v->t.first) {
        fprintf(out, "\"%s\"", wr_report_iso_time(v->t.first, tb, sizeof(tb)));
    }
    else {
        fputs("null", out);
    }
    fputs(",\n  \"last\": ", out);
    if (v->t.last) {
        fprintf(out, "\"%s\"", wr_report_iso_time(v->t.last, tb, sizeof(tb)));
    }
    else {
        fputs("null", out);
    }
    fputs(",\n  \"families\": {", out);
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        if (!wr_report_fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        fprintf(out, "%s\n    ", sep);
        put_json_cstr(out, wr_sigset_family_name(rep->set, f));
        fprintf(out, ": {\"requests\": %llu, \"bytes\": %llu, "
                "\"sources\": %llu, \"sources_estimated\": %s, "
                "\"confidence\": \"%s\"}",
                fa.requests, fa.bytes, fa.sources,
                fa.sources_estimated ? "true" : "false",
                wr_confidence_name(wr_sigset_family_confidence(rep->set, f)));
        sep = ",";
    }
    fputs(*sep ? "\n  }" : "}", out);
    {
        unsigned long long creq[WR_CONFIDENCE_COUNT], cbytes[WR_CONFIDENCE_COUNT];
        int lvl;
        by_confidence(rep, creq, cbytes);
        fputs(",\n  \"confidence\": {", out);
        for (lvl = 0; lvl < WR_CONFIDENCE_COUNT; lvl++) {
            fprintf(out, "%s\n    \"%s\": {\"requests\": %llu, "
                    "\"bytes\": %llu}", lvl ? "," : "",
                    wr_confidence_name((wr_confidence_t)lvl), creq[lvl],
                    cbytes[lvl]);
        }
        fputs("\n  }", out);
    }
    json_top(v, "sources", "address", v->src, v->nsrc, 1);
    json_tracking(v, "sources_tracking", &rep->sources,
                  rep->opts.source_cap, v->src_max_error);
    json_top(v, "targets", "target", v->tgt, v->ntgt, 0);
    json_tracking(v, "targets_tracking", &rep->targets,
                  rep->opts.target_cap, v->tgt_max_error);
    if (rep->any_vhost) {
        unsigned *vo, nv = wr_report_vhost_order(rep, &vo, v->p);
        fputs(",\n  \"vhosts\": [", out);
        for (i = 0; i < nv; i++) {
            const wr_report_vrow_t *r = &rep->vrow[vo[i]];
            fprintf(out, "%s\n    {\"vhost\": ", i ? "," : "");
            put_json_cstr(out, wr_keytab_key(&rep->vhosts, vo[i]));
            fprintf(out, ", \"requests\": %llu, \"bytes\": %llu, "
                    "\"probes\": %llu, \"probe_bytes\": %llu, "
                    "\"families\": {", r->tot[WR_SERIES_REQ],
                    r->tot[WR_SERIES_BYTES],
                    r->tot[WR_SERIES_PROBES], r->tot[WR_SERIES_PBYTES]);
            sep = "";
            for (f = 0; f < rep->nfam; f++) {
                if (wr_report_fam_active(rep, f)) {
                    fputs(sep, out);
                    put_json_cstr(out, wr_sigset_family_name(rep->set, f));
                    fprintf(out, ": %llu",
                            rep->vfam[(size_t)vo[i] * (size_t)rep->nfam
                            + (size_t)f]);
                    sep = ", ";
                }
            }
            fputs("}}", out);
        }
        fputs(nv ? "\n  ]" : "]", out);
    }
    fprintf(out, ",\n  \"series\": {\"bucket_seconds\": %ld, "
            "\"requested_bucket_seconds\": %ld, \"cap\": %u, \"buckets\": [",
            v->width, rep->series.asked, rep->series.cap);
    for (i = 0; i < v->nbuckets; i++) {
        wr_report_bucket_t b;
        wr_report_bucket(rep, i, &b);
        fprintf(out, "%s\n    {\"start\": \"%s\", \"requests\": %llu, "
                "\"bytes\": %llu, \"probes\": %llu, \"probe_bytes\": %llu, "
                "\"families\": {", i ? "," : "",
                wr_report_iso_time(b.start, tb, sizeof(tb)), b.requests,
                b.bytes, b.probes, b.probe_bytes);
        sep = "";
        for (f = 0; f < rep->nfam; f++) {
            if (wr_report_fam_active(rep, f)) {
                fputs(sep, out);
                put_json_cstr(out, wr_sigset_family_name(rep->set, f));
                fprintf(out, ": %llu", b.family[f]);
                sep = ", ";
            }
        }
        fputs("}}", out);
    }
    fputs(v->nbuckets ? "\n  ]}\n}\n" : "]}\n}\n", out);
}

/* ---- CSV ------------------------------------------------------------ */

/* put_csv - one field: escaped as the log escapes it, then quoted if it
 * holds a comma or a quote (RFC 4180) */
static void put_csv(FILE *out, const char *s)
{
    char buf[WR_REPORT_ESC_MAX];
    const char *e = wr_report_esc_log(s, buf, sizeof(buf));

    if (strpbrk(e, ",\"") == NULL) {
        fputs(e, out);
        return;
    }
    putc('"', out);
    for (; *e; e++) {
        if (*e == '"') {
            putc('"', out);
        }
        putc(*e, out);
    }
    putc('"', out);
}

static void csv_time(FILE *out, long long t)
{
    if (t) {
        char tb[32];
        fputs(wr_report_iso_time(t, tb, sizeof(tb)), out);
    }
}

/* csv_top - the rows of a top-K list (sources or targets) under
 * `section`: key, families, probes, probe bytes, error bound, first and
 * last seen */
static void csv_top(FILE *out, const wr_report_t *rep, const char *section,
                    const wr_report_top_t *rows, unsigned n)
{
    char fb[WR_MAX_FAMILIES * (WR_FAMILY_NAME_MAX + 1) + 1];
    unsigned i;

    for (i = 0; i < n; i++) {
        const wr_report_top_t *r = &rows[i];
        fprintf(out, "%s,", section);
        put_csv(out, r->key);
        fprintf(out, ",%s,,,%llu,%llu,,%llu,",
                wr_report_families_str(rep, r->families, fb, sizeof(fb)),
                r->count, r->bytes, r->error);
        csv_time(out, r->first);
        putc(',', out);
        csv_time(out, r->last);
        putc('\n', out);
    }
}

static void write_csv(wr_report_view_t *v)
{
    wr_report_t *rep = v->rep;
    FILE *out = v->out;
    unsigned i;
    int f;

    fputs("section,key,family,requests,bytes,probes,probe_bytes,sources,"
          "error,first_seen,last_seen\n", out);
    fprintf(out, "total,,,%llu,%llu,%llu,%llu,%llu,,", v->t.requests,
            v->t.bytes, v->t.probes, v->t.probe_bytes, v->t.clients);
    csv_time(out, v->t.first);
    putc(',', out);
    csv_time(out, v->t.last);
    fprintf(out, "\nbad_lines,,,%llu,,,,,,,\n", v->t.bad_lines);
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        if (!wr_report_fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        fprintf(out, "family,%s,%s,,,%llu,%llu,%llu,,,\n",
                wr_sigset_family_name(rep->set, f),
                wr_sigset_family_name(rep->set, f), fa.requests, fa.bytes,
                fa.sources);
    }
    {
        unsigned long long creq[WR_CONFIDENCE_COUNT];
        unsigned long long cbytes[WR_CONFIDENCE_COUNT];
        int lvl;
        by_confidence(rep, creq, cbytes);
        for (lvl = 0; lvl < WR_CONFIDENCE_COUNT; lvl++) {
            fprintf(out, "confidence,%s,,,,%llu,%llu,,,,\n",
                    wr_confidence_name((wr_confidence_t)lvl), creq[lvl],
                    cbytes[lvl]);
        }
    }
    csv_top(out, rep, "source", v->src, v->nsrc);
    csv_top(out, rep, "target", v->tgt, v->ntgt);
    if (rep->any_vhost) {
        unsigned *vo, nv = wr_report_vhost_order(rep, &vo, v->p);
        for (i = 0; i < nv; i++) {
            const wr_report_vrow_t *r = &rep->vrow[vo[i]];
            fputs("vhost,", out);
            put_csv(out, wr_keytab_key(&rep->vhosts, vo[i]));
            fprintf(out, ",,%llu,%llu,%llu,%llu,,,,\n", r->tot[WR_SERIES_REQ],
                    r->tot[WR_SERIES_BYTES], r->tot[WR_SERIES_PROBES],
                    r->tot[WR_SERIES_PBYTES]);
        }
    }
    for (i = 0; i < v->nbuckets; i++) {
        wr_report_bucket_t b;
        char tb[32];
        wr_report_bucket(rep, i, &b);
        wr_report_iso_time(b.start, tb, sizeof(tb));
        fprintf(out, "bucket,%s,,%llu,%llu,%llu,%llu,,,,\n", tb,
                b.requests, b.bytes, b.probes, b.probe_bytes);
        for (f = 0; f < rep->nfam; f++) {
            if (wr_report_fam_active(rep, f) && b.family[f]) {
                fprintf(out, "bucket,%s,%s,,,%llu,,,,,\n", tb,
                        wr_sigset_family_name(rep->set, f), b.family[f]);
            }
        }
    }
}

/* ---- text ----------------------------------------------------------- */

/* num - 1234567 as "1,234,567" */
static const char *num(unsigned long long n, char *buf, size_t size)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof(tmp), "%llu", n), i, o = 0;

    for (i = 0; i < len && (size_t)o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            buf[o++] = ',';
        }
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

/* cmp_busy - bucket positions by probes, most first, then by time
 * (qsort_r) */
static int cmp_busy(const void *a, const void *b, void *baton)
{
    wr_report_t *rep = baton;
    wr_report_bucket_t x, y;

    wr_report_bucket(rep, *(const unsigned *)a, &x);
    wr_report_bucket(rep, *(const unsigned *)b, &y);
    if (x.probes != y.probes) {
        return x.probes > y.probes ? -1 : 1;
    }
    return x.start < y.start ? -1 : x.start > y.start;
}

static int cmp_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

static void write_text(wr_report_view_t *v)
{
    wr_report_t *rep = v->rep;
    FILE *out = v->out;
    char n1[32], n2[32], n3[32], t1[32], t2[32], esc[WR_REPORT_ESC_MAX];
    char fb[WR_MAX_FAMILIES * (WR_FAMILY_NAME_MAX + 1) + 1];
    unsigned i, nprobe = 0, *busy, nshow;
    int f;

    fprintf(out, "wormreply report: %s lines", num(v->t.lines, n1,
                                                   sizeof(n1)));
    if (v->t.first) {
        fprintf(out, ", %s to %s UTC", wr_report_short_time(v->t.first, t1,
                                                            sizeof(t1)),
                wr_report_short_time(v->t.last, t2, sizeof(t2)));
    }
    fputs("\n\n", out);
    fprintf(out, "  requests     %15s   bytes %19s\n",
            num(v->t.requests, n1, sizeof(n1)),
            num(v->t.bytes, n2, sizeof(n2)));
    fprintf(out, "  probes       %15s   bytes %19s   (%.2f %% of requests, "
            "%.2f %% of bytes)\n", num(v->t.probes, n1, sizeof(n1)),
            num(v->t.probe_bytes, n2, sizeof(n2)),
            100 * wr_report_share(v->t.probes, v->t.requests),
            100 * wr_report_share(v->t.probe_bytes, v->t.bytes));
    fprintf(out, "  clients      %15s%s\n", num(v->t.clients, n1, sizeof(n1)),
            v->t.clients_estimated ? " (estimated)" : "");
    fprintf(out, "  bad lines    %15s", num(v->t.bad_lines, n1, sizeof(n1)));
    for (f = 1; f < WR_LOGLINE_NSTATUS; f++) {
        if (v->t.bad[f]) {
            fprintf(out, "   %s %llu",
                    wr_logline_status_name((wr_logline_status_t)f),
                    v->t.bad[f]);
        }
    }
    fputs("\n\nfamilies\n", out);
    fprintf(out, "  %-16s %12s %8s %16s %8s %9s  %s\n", "family",
            "requests", "%req", "bytes", "%bytes", "sources", "confidence");
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        if (!wr_report_fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        fprintf(out, "  %-16s %12s %8.2f %16s %8.2f %9s%s %s\n",
                wr_sigset_family_name(rep->set, f),
                num(fa.requests, n1, sizeof(n1)),
                100 * wr_report_share(fa.requests, v->t.requests),
                num(fa.bytes, n2, sizeof(n2)),
                100 * wr_report_share(fa.bytes, v->t.bytes),
                num(fa.sources, n3, sizeof(n3)),
                fa.sources_estimated ? "~" : " ",
                wr_confidence_name(wr_sigset_family_confidence(rep->set, f)));
    }
    {
        unsigned long long creq[WR_CONFIDENCE_COUNT], cbytes[WR_CONFIDENCE_COUNT];
        int lvl;
        by_confidence(rep, creq, cbytes);
        fputs("\nby confidence\n", out);
        for (lvl = 0; lvl < WR_CONFIDENCE_COUNT; lvl++) {
            fprintf(out, "  %-16s %12s %8.2f %16s %8.2f\n",
                    wr_confidence_name((wr_confidence_t)lvl),
                    num(creq[lvl], n1, sizeof(n1)),
                    100 * wr_report_share(creq[lvl], v->t.requests),
                    num(cbytes[lvl], n2, sizeof(n2)),
                    100 * wr_report_share(cbytes[lvl], v->t.bytes));
        }
    }
    fprintf(out, "\ntop sources (%u tracked of at most %u; %s)\n",
            rep->sources.kt.n, rep->opts.source_cap,
            rep->sources.evictions ? "counts may over-count by 'error'"
                                   : "counts exact");
    fprintf(out, "  %-39s %10s %8s %-18s %-16s %-16s%s\n", "address",
            "probes", "error", "families", "first seen", "last seen",
            rep->namer ? " name (confirmed reverse DNS)" : "");
    for (i = 0; i < v->nsrc; i++) {
        const wr_report_top_t *r = &v->src[i];
        const char *nm = rep->namer ? rep->namer(rep->namer_baton, r->key,
                                                 v->p) : NULL;
        fprintf(out, "  %-39s %10s %8llu %-18s %-16s %-16s",
                wr_report_esc_log(r->key, esc, sizeof(esc)),
                num(r->count, n1, sizeof(n1)), r->error,
                wr_report_families_str(rep, r->families, fb, sizeof(fb)),
                wr_report_short_time(r->first, t1, sizeof(t1)),
                wr_report_short_time(r->last, t2, sizeof(t2)));
        if (rep->namer) {
            fprintf(out, " %s", nm ? wr_report_esc_log(nm, esc,
                                                       sizeof(esc)) : "-");
        }
        fputc('\n', out);
    }
    fputs("\ntop probe targets\n", out);
    fprintf(out, "  %10s %8s %-18s %s\n", "probes", "error", "families",
            "target");
    for (i = 0; i < v->ntgt; i++) {
        const wr_report_top_t *r = &v->tgt[i];
        wr_report_esc_log(r->key, esc, sizeof(esc));
        fprintf(out, "  %10s %8llu %-18s %.100s%s\n",
                num(r->count, n1, sizeof(n1)), r->error,
                wr_report_families_str(rep, r->families, fb, sizeof(fb)), esc,
                strlen(esc) > 100 ? "..." : "");
    }
    if (rep->any_vhost) {
        unsigned *vo, nv = wr_report_vhost_order(rep, &vo, v->p);
        fputs("\nvirtual hosts\n", out);
        fprintf(out, "  %-32s %12s %16s %10s %16s\n", "vhost", "requests",
                "bytes", "probes", "probe bytes");
        for (i = 0; i < nv && (rep->opts.top == 0 || i < rep->opts.top);
             i++) {
            const wr_report_vrow_t *r = &rep->vrow[vo[i]];
            char n4[32];
            fprintf(out, "  %-32s %12s %16s %10s %16s\n",
                    wr_report_esc_log(wr_keytab_key(&rep->vhosts, vo[i]), esc,
                                      sizeof(esc)),
                    num(r->tot[WR_SERIES_REQ], n1, sizeof(n1)),
                    num(r->tot[WR_SERIES_BYTES], n2, sizeof(n2)),
                    num(r->tot[WR_SERIES_PROBES], n3, sizeof(n3)),
                    num(r->tot[WR_SERIES_PBYTES], n4, sizeof(n4)));
        }
    }
    /* the busiest buckets, in time order: the full series is for JSON,
     * CSV and HTML */
    busy = apr_palloc(v->p, sizeof(*busy) * (v->nbuckets + 1));
    for (i = 0; i < v->nbuckets; i++) {
        wr_report_bucket_t b;
        wr_report_bucket(rep, i, &b);
        if (b.probes) {
            busy[nprobe++] = i;
        }
    }
    qsort_r(busy, nprobe, sizeof(*busy), cmp_busy, rep);
    nshow = rep->opts.top && rep->opts.top < nprobe ? rep->opts.top : nprobe;
    qsort(busy, nshow, sizeof(*busy), cmp_uint);
    fprintf(out, "\nbusiest %s of %ld s by probes (%u of %u with probes)\n",
            v->width == 3600 ? "hours" : "buckets", v->width, nshow, nprobe);
    fprintf(out, "  %-16s %10s %10s", "start (UTC)", "requests", "probes");
    for (f = 0; f < rep->nfam; f++) {
        if (wr_report_fam_active(rep, f)) {
            fprintf(out, " %10.10s", wr_sigset_family_name(rep->set, f));
        }
    }
    putc('\n', out);
    for (i = 0; i < nshow; i++) {
        wr_report_bucket_t b;
        wr_report_bucket(rep, busy[i], &b);
        fprintf(out, "  %-16s %10s %10s", wr_report_short_time(b.start, t1,
                                                               sizeof(t1)),
                num(b.requests, n1, sizeof(n1)),
                num(b.probes, n2, sizeof(n2)));
        for (f = 0; f < rep->nfam; f++) {
            if (wr_report_fam_active(rep, f)) {
                fprintf(out, " %10s", num(b.family[f], n1, sizeof(n1)));
            }
        }
        putc('\n', out);
    }
}

apr_status_t wr_report_write(wr_report_t *rep, wr_report_format_t f,
                             FILE *out)
{
    wr_report_view_t v;
    apr_pool_t *p;

    if (apr_pool_create(&p, rep->pool) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    apr_pool_tag(p, "wr_report_write");
    wr_report_view_init(&v, rep, out, p);
    switch (f) {
    case WR_REPORT_JSON: write_json(&v); break;
    case WR_REPORT_CSV: write_csv(&v); break;
    case WR_REPORT_HTML: wr_report_write_html(&v); break;
    default: write_text(&v); break;
    }
    apr_pool_destroy(p);
    if (fflush(out) != 0 || ferror(out)) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}
