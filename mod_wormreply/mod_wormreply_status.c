/* mod_wormreply_status.c - the module's part of mod_status */
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include <httpd.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_status.h>

#include "mod_wormreply.h"

/* queue_gauges - how many events wait in the spool and notices for the
 * smarthost, and the oldest's age; *smtp_error gets the last delivery
 * problem (NULL if none) */
static void queue_gauges(const wr_srv_conf_t *sc, wr_counter_slot_t *sum,
                         const char **smtp_error, apr_pool_t *p)
{
    wr_spool_stat_t st;
    wr_delivery_queue_stat_t dq;
    const wr_notify_conf_t *nc = sc->global ? &sc->global->notify : NULL;
    apr_time_t now = apr_time_now();

    *smtp_error = NULL;
    if (nc && nc->spool && wr_spool_stat(nc->spool, &st, p) == APR_SUCCESS) {
        sum->queued = (apr_uint64_t)(st.n_new + st.n_cur);
        sum->queue_oldest = st.oldest
            ? (apr_uint64_t)apr_time_sec(now - st.oldest) : 0;
    }
    if (nc && nc->notifier.smarthost
        && wr_delivery_queue_stat(nc->notifier.delivery, &dq, p)
           == APR_SUCCESS) {
        sum->outbox_queued = (apr_uint64_t)dq.queued;
        sum->outbox_oldest = dq.oldest
            ? (apr_uint64_t)apr_time_sec(now - dq.oldest) : 0;
        *smtp_error = dq.last_error;
    }
}

/* held_prefix - the last source prefix whose event a bound held back
 * ("" if none), with the bound and how long ago */
static const char *held_prefix(const wr_srv_conf_t *sc, apr_pool_t *p)
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
                        wr_held_name(why), apr_time_sec(apr_time_now() - at));
}

/* wr_status_hook - counters in server-status: "WormReply<Name>: value"
 * lines for ?auto, a table otherwise */
int wr_status_hook(request_rec *r, int flags)
{
    const wr_srv_conf_t *sc = WR_SRV_CONF(r->server);
    const wr_counters_t *c = sc->global ? sc->global->counters : NULL;
    wr_counter_slot_t sum;
    const char *smtp_error, *farm_error;
    char farm_buf[256];
    int i, a, farm;
    char since[APR_RFC822_DATE_LEN];

    if (c == NULL) {
        return OK;
    }
    wr_counters_snapshot(c, &sum);
    queue_gauges(sc, &sum, &smtp_error, r->pool);
    farm = sc->global->notify.farm_set;
    farm_error = farm ? wr_counters_farm_error(c, farm_buf, sizeof(farm_buf),
                                               NULL)
                      : NULL;
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
        ap_rprintf(r, "WormReplySMTPSent: %" APR_UINT64_T_FMT "\n"
                   "WormReplySMTPDeferred: %" APR_UINT64_T_FMT "\n"
                   "WormReplySMTPFailed: %" APR_UINT64_T_FMT "\n"
                   "WormReplySMTPSuppressed: %" APR_UINT64_T_FMT "\n"
                   "WormReplySMTPRetries: %" APR_UINT64_T_FMT "\n"
                   "WormReplyOutboxQueue: %" APR_UINT64_T_FMT "\n"
                   "WormReplyOutboxOldestSeconds: %" APR_UINT64_T_FMT "\n"
                   "WormReplyOutboxKept: %" APR_UINT64_T_FMT "\n",
                   sum.smtp_sent, sum.smtp_deferred, sum.smtp_failed,
                   sum.smtp_suppressed, sum.smtp_retries, sum.outbox_queued,
                   sum.outbox_oldest, sum.outbox_kept);
        ap_rprintf(r, "WormReplyBouncesReceived: %" APR_UINT64_T_FMT "\n"
                   "WormReplyBouncesHard: %" APR_UINT64_T_FMT "\n"
                   "WormReplyBouncesIgnored: %" APR_UINT64_T_FMT "\n",
                   sum.bounces_received, sum.bounces_hard,
                   sum.bounces_ignored);
        if (smtp_error) {
            ap_rprintf(r, "WormReplySMTPLastError: %s\n",
                       ap_escape_logitem(r->pool, smtp_error));
        }
        if (farm) {
            ap_rprintf(r, "WormReplyFarmConnected: %" APR_UINT64_T_FMT "\n"
                       "WormReplyFarmErrors: %" APR_UINT64_T_FMT "\n"
                       "WormReplyFarmDigests: %" APR_UINT64_T_FMT "\n"
                       "WormReplyFarmLocalDigests: %" APR_UINT64_T_FMT "\n"
                       "WormReplyFarmWindows: %" APR_UINT64_T_FMT "\n",
                       sum.farm_connected, sum.farm_errors, sum.farm_digests,
                       sum.farm_local, sum.farm_windows);
            if (farm_error) {
                ap_rprintf(r, "WormReplyFarmLastError: %s\n",
                           ap_escape_logitem(r->pool, farm_error));
            }
        }
        ap_rprintf(r, "WormReplyPrefixHeld: %" APR_UINT64_T_FMT "\n",
                   sum.prefix_held);
        if (*held_prefix(sc, r->pool)) {
            ap_rprintf(r, "WormReplyHeldPrefix: %s\n",
                       held_prefix(sc, r->pool));
        }
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
    ap_rprintf(r, "<tr><th align=\"left\">delivery</th><td>%" APR_UINT64_T_FMT
               " sent, %" APR_UINT64_T_FMT " deferred, %" APR_UINT64_T_FMT
               " failed, %" APR_UINT64_T_FMT " recipients suppressed; %"
               APR_UINT64_T_FMT " waiting, oldest %" APR_UINT64_T_FMT " s; %"
               APR_UINT64_T_FMT " kept for pickup%s%s"
               "</td></tr>\n", sum.smtp_sent, sum.smtp_deferred,
               sum.smtp_failed, sum.smtp_suppressed, sum.outbox_queued,
               sum.outbox_oldest, sum.outbox_kept,
               smtp_error ? "; last error: " : "",
               smtp_error ? ap_escape_html(r->pool, smtp_error) : "");
    ap_rprintf(r, "<tr><th align=\"left\">bounces</th><td>%"
               APR_UINT64_T_FMT " received, %" APR_UINT64_T_FMT " hard (a "
               "recipient suppressed), %" APR_UINT64_T_FMT " ignored (no "
               "valid token)</td></tr>\n", sum.bounces_received,
               sum.bounces_hard, sum.bounces_ignored);
    if (farm) {
        ap_rprintf(r, "<tr><th align=\"left\">farm</th><td>%s; %"
                   APR_UINT64_T_FMT " digests under a farm claim, %"
                   APR_UINT64_T_FMT " from local state, %" APR_UINT64_T_FMT
                   " errors, %" APR_UINT64_T_FMT " domains in their window%s%s"
                   "</td></tr>\n", sum.farm_connected ? "connected"
                                                      : "not connected",
                   sum.farm_digests, sum.farm_local, sum.farm_errors,
                   sum.farm_windows, farm_error ? "; last error: " : "",
                   farm_error ? ap_escape_html(r->pool, farm_error) : "");
    }
    ap_rprintf(r, "<tr><th align=\"left\">held back</th><td>%"
               APR_UINT64_T_FMT " new addresses over their prefix's quota%s%s"
               "</td></tr>\n", sum.prefix_held,
               *held_prefix(sc, r->pool) ? "; last: " : "",
               ap_escape_html(r->pool, held_prefix(sc, r->pool)));
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
    const char *smtp_error;
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
    queue_gauges(sc, &sum, &smtp_error, r->pool);
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
