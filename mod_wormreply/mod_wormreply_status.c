/* mod_wormreply_status.c - the module's part of mod_status */
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include <httpd.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_status.h>

#include "mod_wormreply.h"

/* held_prefix - the last source prefix whose event a bound held back
 * ("" if none), with the bound and how long ago: kept beside the spool's
 * size (wr_spoolsize.h), not among the counters */
static const char *held_prefix(const wr_srv_conf_t *sc, apr_time_t now,
                               apr_pool_t *p)
{
    const wr_notify_conf_t *nc = sc->global ? &sc->global->notify : NULL;
    char buf[WR_PREFIX_TEXT_MAX];
    wr_held_e why;
    apr_time_t at;

    if (nc == NULL || nc->spool_size == NULL) {
        return "";
    }
    wr_spoolsize_held(nc->spool_size, buf, &why, &at);
    if (buf[0] == '\0') {
        return "";
    }
    return apr_psprintf(p, "%s (%s, %" APR_TIME_T_FMT " s ago)", buf,
                        wr_held_name(why), apr_time_sec(now - at));
}

/* html_groups - the per-family, per-confidence and per-action rows */
static void html_groups(request_rec *r, const wr_counters_t *c,
                        const wr_counter_slot_t *sum)
{
    apr_uint64_t conf[WR_CONFIDENCE_COUNT], notifying;
    int i, a;

    wr_counters_by_confidence(c, sum, conf, &notifying);
    for (i = 0; wr_counters_family_name(c, i); i++) {
        ap_rprintf(r, "<tr><td>&nbsp;&nbsp;%s</td><td>%" APR_UINT64_T_FMT
                   "</td></tr>\n",
                   ap_escape_html(r->pool, wr_counters_family_name(c, i)),
                   sum->family[i]);
    }
    ap_rprintf(r, "<tr><td>&nbsp;&nbsp;by confidence</td><td>%"
               APR_UINT64_T_FMT " certain, %" APR_UINT64_T_FMT " likely, %"
               APR_UINT64_T_FMT " recon; %" APR_UINT64_T_FMT " of families "
               "that notify</td></tr>\n", conf[WR_CONFIDENCE_CERTAIN],
               conf[WR_CONFIDENCE_LIKELY], conf[WR_CONFIDENCE_RECON],
               notifying);
    for (a = 0; a < WR_ACT_COUNT; a++) {
        ap_rprintf(r, "<tr><td>&nbsp;&nbsp;answered %s</td><td>%"
                   APR_UINT64_T_FMT "</td></tr>\n",
                   wr_action_name((wr_action_t)a), sum->action[a]);
    }
}

/* html_section - the table's fields of `section` (NULL: the head) as
 * rows of the HTML page, and the notes that belong there */
static void html_section(request_rec *r, const wr_counters_t *c,
                         const wr_counter_slot_t *sum, const char *section,
                         int farm, apr_time_t now)
{
    const wr_counter_field_t *f;
    const wr_counter_note_t *nt;
    int n = 0;

    for (f = wr_counter_fields; f->name; f++) {
        if ((section ? !f->section || strcmp(f->section, section)
                     : f->section != NULL)
            || (!farm && (f->flags & WR_CF_FARM))) {
            continue;
        }
        if (section && n++ == 0) {
            ap_rprintf(r, "<tr><th align=\"left\" colspan=\"2\">%s</th>"
                       "</tr>\n", section);
        }
        ap_rprintf(r, "<tr><%s>%s%s</%s><td>%s</td></tr>\n",
                   section ? "td" : "th align=\"left\"",
                   section ? "&nbsp;&nbsp;" : "", f->label,
                   section ? "td" : "th",
                   (f->flags & WR_CF_USEC)
                   ? apr_psprintf(r->pool, "%.6f",
                                  (double)wr_counter_value(f, sum, now) / 1e6)
                   : apr_psprintf(r->pool, "%" APR_UINT64_T_FMT,
                                  wr_counter_value(f, sum, now)));
        if (f->flags & WR_CF_GROUPS) {
            html_groups(r, c, sum);
        }
    }
    for (nt = wr_counter_notes; n && nt->name; nt++) {
        char buf[256];
        const char *e = !strcmp(nt->section, section)
                        ? nt->get(c, buf, sizeof(buf), NULL) : NULL;
        if (e) {
            ap_rprintf(r, "<tr><td>&nbsp;&nbsp;%s</td><td>%s</td></tr>\n",
                       nt->label, ap_escape_html(r->pool, e));
        }
    }
}

/* wr_status_hook - counters in server-status: "WormReply<Name>: value"
 * lines for ?auto, a table otherwise; both from the counter field table
 * (wr_counters.h). The spool and outbox gauges are the notifier's: the
 * page reads no directory. */
int wr_status_hook(request_rec *r, int flags)
{
    const wr_srv_conf_t *sc = WR_SRV_CONF(r->server);
    const wr_counters_t *c = sc->global ? sc->global->counters : NULL;
    wr_counter_slot_t sum;
    const wr_counter_field_t *f;
    char since[APR_RFC822_DATE_LEN];
    apr_time_t now = apr_time_now();
    const char *held;
    int farm;

    if (c == NULL) {
        return OK;
    }
    wr_counters_snapshot(c, &sum);
    farm = sc->global->notify.farm_set;
    held = held_prefix(sc, now, r->pool);
    if (flags & AP_STATUS_SHORT) {
        ap_rputs(wr_counters_auto(c, &sum, farm, now, r->pool), r);
        if (*held) {
            ap_rprintf(r, "WormReplyHeldPrefix: %s\n", held);
        }
        return OK;
    }
    apr_rfc822_date(since, wr_counters_since(c));
    ap_rputs("<hr />\n<h2>mod_wormreply</h2>\n", r);
    ap_rprintf(r, "<p>Counting since %s.</p>\n<table border=\"0\">\n", since);
    html_section(r, c, &sum, NULL, farm, now);
    for (f = wr_counter_fields; f->name; f++) {
        const wr_counter_field_t *g;
        if (f->section == NULL) {
            continue;
        }
        /* each section once, where it first appears */
        for (g = wr_counter_fields; g != f && (g->section == NULL
                                  || strcmp(g->section, f->section)); g++) {
            ;
        }
        if (g == f) {
            html_section(r, c, &sum, f->section, farm, now);
        }
    }
    if (*held) {
        ap_rprintf(r, "<tr><th align=\"left\">last prefix held back</th>"
                   "<td>%s</td></tr>\n", ap_escape_html(r->pool, held));
    }
    ap_rputs("</table>\n", r);
    return OK;
}

/* wr_status_handler - SetHandler wormreply-status: the counters as JSON
 * (default) or in the Prometheus text format, chosen by ?format=json|
 * prometheus or else by the Accept header */
static __attribute__((noinline)) int status_handler(request_rec *r);

int wr_status_handler(request_rec *r)
{
    if (r->handler == NULL || r->handler[0] != 'w'
        || strcmp(r->handler, "wormreply-status")) {
        return DECLINED;
    }
    return status_handler(r);
}

/* status_handler - the handler's work, out of the way of other requests */
static int status_handler(request_rec *r)
{
    const wr_srv_conf_t *sc;
    const wr_counters_t *c;
    wr_counter_slot_t sum;
    wr_counters_format_t fmt = WR_FORMAT_JSON;
    const char *accept, *q = r->args;

    r->allowed |= (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    sc = WR_SRV_CONF(r->server);
    c = sc->global ? sc->global->counters : NULL;
    if (c == NULL) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    accept = apr_table_get(r->headers_in, "Accept");
    if (q && ap_strstr_c(q, "format=prometheus")) {
        fmt = WR_FORMAT_PROMETHEUS;
    }
    else if (q && ap_strstr_c(q, "format=json")) {
        fmt = WR_FORMAT_JSON;
    }
    else if (accept && ap_strstr_c(accept, "text/plain")
             && !ap_strstr_c(accept, "application/json")) {
        fmt = WR_FORMAT_PROMETHEUS;
    }
    wr_counters_snapshot(c, &sum);
    ap_set_content_type(r, fmt == WR_FORMAT_JSON
                        ? "application/json"
                        : "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_mergen(r->headers_out, "Vary", "Accept");
    if (!r->header_only) {
        ap_rputs(wr_counters_format(c, &sum, fmt, apr_time_now(), r->pool),
                 r);
    }
    return OK;
}
