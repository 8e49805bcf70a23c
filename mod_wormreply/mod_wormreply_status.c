/* mod_wormreply_status.c - the module's part of mod_status */
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include <httpd.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_status.h>

#include "mod_wormreply.h"

/* queue_gauges - how many events wait in the spool, and the oldest's age */
static void queue_gauges(const wr_srv_conf_t *sc, wr_counter_slot_t *sum,
                         apr_pool_t *p)
{
    wr_spool_stat_t st;
    wr_spool_t *spool = sc->global ? sc->global->notify.spool : NULL;

    if (spool && wr_spool_stat(spool, &st, p) == APR_SUCCESS) {
        sum->queued = (apr_uint64_t)(st.n_new + st.n_cur);
        sum->queue_oldest = st.oldest
            ? (apr_uint64_t)apr_time_sec(apr_time_now() - st.oldest) : 0;
    }
}

/* wr_status_hook - counters in server-status: "WormReply<Name>: value"
 * lines for ?auto, a table otherwise */
int wr_status_hook(request_rec *r, int flags)
{
    const wr_srv_conf_t *sc = WR_SRV_CONF(r->server);
    const wr_counters_t *c = sc->global ? sc->global->counters : NULL;
    wr_counter_slot_t sum;
    int i, a;
    char since[APR_RFC822_DATE_LEN];

    if (c == NULL) {
        return OK;
    }
    wr_counters_snapshot(c, &sum);
    queue_gauges(sc, &sum, r->pool);
    if (flags & AP_STATUS_SHORT) {
        ap_rprintf(r, "WormReplyRequests: %" APR_UINT64_T_FMT "\n"
                   "WormReplyProbes: %" APR_UINT64_T_FMT "\n"
                   "WormReplyExempt: %" APR_UINT64_T_FMT "\n"
                   "WormReplyRejected: %" APR_UINT64_T_FMT "\n"
                   "WormReplyProbeTimeUsec: %" APR_UINT64_T_FMT "\n",
                   sum.requests, sum.probes, sum.exempt, sum.rejected,
                   sum.probe_usec);
        for (i = 0; wr_counters_family_name(c, i); i++) {
            ap_rprintf(r, "WormReplyProbes-%s: %" APR_UINT64_T_FMT "\n",
                       wr_counters_family_name(c, i), sum.family[i]);
        }
        for (a = 0; a < WR_ACT_COUNT; a++) {
            ap_rprintf(r, "WormReplyAction-%s: %" APR_UINT64_T_FMT "\n",
                       wr_action_name((wr_action_t)a), sum.action[a]);
        }
        ap_rprintf(r, "WormReplySpooled: %" APR_UINT64_T_FMT "\n"
                   "WormReplySpoolDropped: %" APR_UINT64_T_FMT "\n"
                   "WormReplyNotices: %" APR_UINT64_T_FMT "\n"
                   "WormReplyUnresolvable: %" APR_UINT64_T_FMT "\n"
                   "WormReplyNotNotified: %" APR_UINT64_T_FMT "\n"
                   "WormReplyHostSuppressed: %" APR_UINT64_T_FMT "\n"
                   "WormReplyCapDeferred: %" APR_UINT64_T_FMT "\n"
                   "WormReplyDnsRetries: %" APR_UINT64_T_FMT "\n"
                   "WormReplyQueue: %" APR_UINT64_T_FMT "\n"
                   "WormReplyQueueOldestSeconds: %" APR_UINT64_T_FMT "\n",
                   sum.spooled, sum.spool_dropped, sum.notices,
                   sum.unresolvable, sum.not_notified, sum.host_suppressed,
                   sum.cap_deferred, sum.dns_retries, sum.queued,
                   sum.queue_oldest);
        return OK;
    }
    apr_rfc822_date(since, wr_counters_since(c));
    ap_rputs("<hr />\n<h2>mod_wormreply</h2>\n", r);
    ap_rprintf(r, "<p>Counting since %s.</p>\n<table border=\"0\">\n", since);
    ap_rprintf(r, "<tr><th align=\"left\">requests seen</th><td>%"
               APR_UINT64_T_FMT "</td></tr>\n", sum.requests);
    ap_rprintf(r, "<tr><th align=\"left\">probes</th><td>%" APR_UINT64_T_FMT
               "</td></tr>\n", sum.probes);
    for (i = 0; wr_counters_family_name(c, i); i++) {
        ap_rprintf(r, "<tr><td>&nbsp;&nbsp;%s</td><td>%" APR_UINT64_T_FMT
                   "</td></tr>\n",
                   ap_escape_html(r->pool, wr_counters_family_name(c, i)),
                   sum.family[i]);
    }
    for (a = 0; a < WR_ACT_COUNT; a++) {
        ap_rprintf(r, "<tr><td>&nbsp;&nbsp;answered %s</td><td>%"
                   APR_UINT64_T_FMT "</td></tr>\n",
                   wr_action_name((wr_action_t)a), sum.action[a]);
    }
    ap_rprintf(r, "<tr><th align=\"left\">probes in rejected requests</th>"
               "<td>%" APR_UINT64_T_FMT "</td></tr>\n", sum.rejected);
    ap_rprintf(r, "<tr><th align=\"left\">probes from exempt clients</th>"
               "<td>%" APR_UINT64_T_FMT "</td></tr>\n", sum.exempt);
    ap_rprintf(r, "<tr><th align=\"left\">time answering probes</th>"
               "<td>%" APR_UINT64_T_FMT " &micro;s</td></tr>\n",
               sum.probe_usec);
    ap_rprintf(r, "<tr><th align=\"left\">notices</th><td>%" APR_UINT64_T_FMT
               " composed, %" APR_UINT64_T_FMT " events spooled (%"
               APR_UINT64_T_FMT " dropped), %" APR_UINT64_T_FMT
               " unresolvable, %" APR_UINT64_T_FMT " not notified, %"
               APR_UINT64_T_FMT " suppressed by the host window, %"
               APR_UINT64_T_FMT " held by the hourly cap; %" APR_UINT64_T_FMT
               " queued, oldest %" APR_UINT64_T_FMT " s</td></tr>\n",
               sum.notices, sum.spooled, sum.spool_dropped, sum.unresolvable,
               sum.not_notified, sum.host_suppressed, sum.cap_deferred,
               sum.queued, sum.queue_oldest);
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
    queue_gauges(sc, &sum, r->pool);
    ap_set_content_type(r, fmt == WR_FORMAT_JSON
                        ? "application/json"
                        : "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_mergen(r->headers_out, "Vary", "Accept");
    if (!r->header_only) {
        ap_rputs(wr_counters_format(c, &sum, fmt, r->pool), r);
    }
    return OK;
}
