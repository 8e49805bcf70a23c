/* wr_report_html.c - the report as one self-contained HTML page */
#include <string.h>

#include <apr_strings.h>

#include "wr_report_int.h"

/* ---- HTML ----------------------------------------------------------- */

static const char *const palette[] = {
    "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

/* put_html - text for HTML: log-escaped, then entity-escaped */
static void put_html(FILE *out, const char *s)
{
    char buf[WR_REPORT_ESC_MAX];
    const char *e = wr_report_esc_log(s, buf, sizeof(buf));

    for (; *e; e++) {
        switch (*e) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: putc(*e, out); break;
        }
    }
}

/* html_chart - stacked bars of probes per bucket by family. One bar per
 * bucket that has probes, in time order; empty stretches are left out
 * (a log of years would otherwise be a flat line with a few spikes), and
 * the axis labels say when each part is. */
static void html_chart(wr_report_view_t *v)
{
    wr_report_t *rep = v->rep;
    FILE *out = v->out;
    unsigned i, n = 0, *idx, step, nlab = 0;
    unsigned long long maxp = 1;
    double W = 1000, H = 300, L = 60, B = 40, bw;
    char tb[32];
    int f, c;

    idx = apr_palloc(v->p, sizeof(*idx) * (v->nbuckets + 1));
    for (i = 0; i < v->nbuckets; i++) {
        wr_report_bucket_t b;
        wr_report_bucket(rep, i, &b);
        if (b.probes) {
            idx[n++] = i;
            maxp = b.probes > maxp ? b.probes : maxp;
        }
    }
    fprintf(out, "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
            "viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" "
            "aria-label=\"probes per bucket by family\">\n",
            W + L + 10, H + B + 10);
    fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" "
            "fill=\"#ffffff\"/>\n", W + L + 10, H + B + 10);
    fprintf(out, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
            "stroke=\"#333\"/>\n", L, H + 5, L + W, H + 5);
    fprintf(out, "<line x1=\"%.0f\" y1=\"5\" x2=\"%.0f\" y2=\"%.0f\" "
            "stroke=\"#333\"/>\n", L, L, H + 5);
    fprintf(out, "<text x=\"%.0f\" y=\"15\" text-anchor=\"end\" "
            "font-size=\"11\">%llu</text>\n", L - 4, maxp);
    fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" "
            "font-size=\"11\">0</text>\n", L - 4, H + 5);
    if (n == 0) {
        fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" "
                "font-size=\"14\">no probes</text>\n", L + W / 2, H / 2);
    }
    bw = n ? W / n : W;
    for (i = 0; i < n; i++) {
        wr_report_bucket_t b;
        double x = L + i * bw, y = H + 5, h;

        wr_report_bucket(rep, idx[i], &b);
        for (f = 0, c = 0; f < rep->nfam; f++) {
            if (!wr_report_fam_active(rep, f)) {
                continue;
            }
            if (b.family[f]) {
                h = H * (double)b.family[f] / (double)maxp;
                y -= h;
                fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                        "height=\"%.2f\" fill=\"%s\"><title>%s %s: %llu"
                        "</title></rect>\n", x, y,
                        bw > 1.5 ? bw * 0.85 : bw, h,
                        palette[c % NPALETTE],
                        wr_report_iso_time(b.start, tb, sizeof(tb)),
                        wr_sigset_family_name(rep->set, f), b.family[f]);
            }
            c++;
        }
    }
    /* about six date labels, the first and the last bars included */
    step = n > 6 ? (n - 1) / 5 : 1;
    for (i = 0; i < n && nlab < 6; i += step, nlab++) {
        unsigned k = (nlab == 5 || i + step >= n) ? n - 1 : i;
        wr_report_bucket_t b;
        wr_report_bucket(rep, idx[k], &b);
        /* the end labels stay inside the picture */
        fprintf(out, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\" "
                "font-size=\"11\">%s</text>\n", L + k * bw + bw / 2, H + 22,
                k == 0 ? "start" : k == n - 1 ? "end" : "middle",
                wr_report_short_time(b.start, tb, sizeof(tb)));
    }
    fputs("</svg>\n<p class=\"legend\">", out);
    for (f = 0, c = 0; f < rep->nfam; f++) {
        if (wr_report_fam_active(rep, f)) {
            fprintf(out, "<span><i style=\"background:%s\"></i>%s</span> ",
                    palette[c % NPALETTE],
                    wr_sigset_family_name(rep->set, f));
            c++;
        }
    }
    fprintf(out, "</p>\n<p class=\"note\">One bar per %ld-second bucket "
            "with probes (%u), in time order; stretches without probes are "
            "left out.</p>\n", v->width, n);
}

static void html_top(wr_report_view_t *v, const char *id, const char *title,
                     const char *keyname, const wr_report_top_t *rows,
                     unsigned n, int sources)
{
    FILE *out = v->out;
    char fb[WR_MAX_FAMILIES * (WR_FAMILY_NAME_MAX + 1) + 1], t1[32], t2[32];
    unsigned i;

    fprintf(out, "<h2>%s</h2>\n<table id=\"%s\">\n<tr><th>%s</th>%s"
            "<th>probes</th><th>error</th><th>probe bytes</th>"
            "<th>families</th><th>first seen</th><th>last seen</th></tr>\n",
            title, id, keyname,
            sources && v->rep->namer ? "<th>name</th>" : "");
    for (i = 0; i < n; i++) {
        const wr_report_top_t *r = &rows[i];
        fputs("<tr><td class=\"key\">", out);
        put_html(out, r->key);
        fputs("</td>", out);
        if (sources && v->rep->namer) {
            const char *nm = v->rep->namer(v->rep->namer_baton, r->key, v->p);
            fputs("<td>", out);
            put_html(out, nm ? nm : "");
            fputs("</td>", out);
        }
        fprintf(out, "<td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
                "<td class=\"n\">%llu</td><td>%s</td><td>%s</td><td>%s</td>"
                "</tr>\n", r->count, r->error, r->bytes,
                wr_report_families_str(v->rep, r->families, fb, sizeof(fb)),
                wr_report_short_time(r->first, t1, sizeof(t1)),
                wr_report_short_time(r->last, t2, sizeof(t2)));
    }
    fputs("</table>\n", out);
}

void wr_report_write_html(wr_report_view_t *v)
{
    wr_report_t *rep = v->rep;
    FILE *out = v->out;
    char t1[32], t2[32];
    unsigned i;
    int f, k;

    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" "
          "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
          "<title>wormreply report</title>\n<style>\n"
          "body{font-family:sans-serif;margin:1em 2em;color:#222}\n"
          "table{border-collapse:collapse;margin-bottom:1em}\n"
          "th,td{border:1px solid #ccc;padding:2px 6px;font-size:13px}\n"
          "th{background:#eee}\ntd.n{text-align:right}\n"
          "td.key{font-family:monospace;max-width:40em;"
          "overflow-wrap:anywhere}\n"
          ".legend span{margin-right:1em}\n"
          ".legend i{display:inline-block;width:10px;height:10px;"
          "margin-right:4px}\n.note{font-size:12px;color:#555}\n"
          "</style>\n</head>\n<body>\n<h1>wormreply report</h1>\n", out);
    fputs("<p>Inputs: ", out);
    for (i = 0; i < (unsigned)rep->inputs->nelts; i++) {
        fputs(i ? ", " : "", out);
        put_html(out, APR_ARRAY_IDX(rep->inputs, i, const char *));
    }
    fputs("; log format: <code>", out);
    put_html(out, rep->opts.log_format);
    fprintf(out, "</code>; %s to %s UTC.</p>\n",
            wr_report_short_time(v->t.first, t1, sizeof(t1)),
            wr_report_short_time(v->t.last, t2, sizeof(t2)));
    fprintf(out, "<table id=\"totals\">\n"
            "<tr><th></th><th>count</th><th>bytes</th></tr>\n"
            "<tr><td>requests</td><td class=\"n\" id=\"requests\">%llu</td>"
            "<td class=\"n\" id=\"bytes\">%llu</td></tr>\n"
            "<tr><td>probes</td><td class=\"n\" id=\"probes\">%llu</td>"
            "<td class=\"n\" id=\"probe_bytes\">%llu</td></tr>\n"
            "<tr><td>probe wr_report_share</td><td class=\"n\">%.2f %%</td>"
            "<td class=\"n\">%.2f %%</td></tr>\n"
            "<tr><td>bad lines</td><td class=\"n\" id=\"bad_lines\">%llu</td>"
            "<td>", v->t.requests, v->t.bytes, v->t.probes, v->t.probe_bytes,
            100 * wr_report_share(v->t.probes, v->t.requests),
            100 * wr_report_share(v->t.probe_bytes, v->t.bytes),
            v->t.bad_lines);
    for (k = 1; k < WR_LOGLINE_NSTATUS; k++) {
        if (v->t.bad[k]) {
            fprintf(out, "%s %llu ",
                    wr_logline_status_name((wr_logline_status_t)k),
                    v->t.bad[k]);
        }
    }
    fprintf(out, "</td></tr>\n<tr><td>clients</td><td class=\"n\" "
            "id=\"clients\">%llu</td><td>%s</td></tr>\n</table>\n",
            v->t.clients, v->t.clients_estimated ? "estimated" : "");
    fputs("<h2>Probes per bucket by family</h2>\n", out);
    html_chart(v);
    fputs("<h2>Families</h2>\n<table id=\"families\">\n<tr><th>family</th>"
          "<th>requests</th><th>bytes</th><th>sources</th>"
          "<th>confidence</th></tr>\n", out);
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        if (!wr_report_fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        fprintf(out, "<tr><td>%s</td><td class=\"n\">%llu</td>"
                "<td class=\"n\">%llu</td><td class=\"n\">%llu%s</td>"
                "<td>%s</td></tr>\n",
                wr_sigset_family_name(rep->set, f), fa.requests, fa.bytes,
                fa.sources, fa.sources_estimated ? " (estimated)" : "",
                wr_confidence_name(wr_sigset_family_confidence(rep->set, f)));
    }
    fputs("</table>\n", out);
    html_top(v, "sources", "Top sources", "address", v->src, v->nsrc, 1);
    fprintf(out, "<p class=\"note\">Space-saving top-K over at most %u "
            "addresses; %s.</p>\n", rep->opts.source_cap,
            rep->sources.evictions
            ? "a count may exceed the true one by its error"
            : "all counts are exact");
    html_top(v, "targets", "Top probe targets", "target", v->tgt, v->ntgt,
             0);
    if (rep->any_vhost) {
        unsigned *vo, nv = wr_report_vhost_order(rep, &vo, v->p);
        fputs("<h2>Virtual hosts</h2>\n<table id=\"vhosts\">\n<tr>"
              "<th>vhost</th><th>requests</th><th>bytes</th><th>probes</th>"
              "<th>probe bytes</th></tr>\n", out);
        for (i = 0; i < nv; i++) {
            const wr_report_vrow_t *r = &rep->vrow[vo[i]];
            fputs("<tr><td class=\"key\">", out);
            put_html(out, wr_keytab_key(&rep->vhosts, vo[i]));
            fprintf(out, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu"
                    "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
                    "</tr>\n", r->tot[WR_SERIES_REQ], r->tot[WR_SERIES_BYTES],
                    r->tot[WR_SERIES_PROBES], r->tot[WR_SERIES_PBYTES]);
        }
        fputs("</table>\n", out);
    }
    fputs("<h2>Series</h2>\n<details><summary>buckets with probes</summary>"
          "\n<table id=\"series\">\n<tr><th>start (UTC)</th><th>requests</th>"
          "<th>probes</th>", out);
    for (f = 0; f < rep->nfam; f++) {
        if (wr_report_fam_active(rep, f)) {
            fprintf(out, "<th>%s</th>", wr_sigset_family_name(rep->set, f));
        }
    }
    fputs("</tr>\n", out);
    for (i = 0; i < v->nbuckets; i++) {
        wr_report_bucket_t b;
        wr_report_bucket(rep, i, &b);
        if (!b.probes) {
            continue;
        }
        fprintf(out, "<tr><td>%s</td><td class=\"n\">%llu</td>"
                "<td class=\"n\">%llu</td>",
                wr_report_iso_time(b.start, t1, sizeof(t1)), b.requests,
                b.probes);
        for (f = 0; f < rep->nfam; f++) {
            if (wr_report_fam_active(rep, f)) {
                fprintf(out, "<td class=\"n\">%llu</td>", b.family[f]);
            }
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n</details>\n</body>\n</html>\n", out);
}
