/* wr_counters.c - lock-free probe counters in shared memory */
#include <stddef.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "wr_counters.h"

#define WR_COUNTERS_MAGIC 0x57524331u   /* "WRC1" */
#define WR_COUNTERS_VERSION 5u

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t version;
    apr_uint32_t nslots;
    apr_uint32_t nfamilies;
    apr_time_t since;
    char family[WR_COUNTER_FAMILIES][WR_FAMILY_NAME_MAX + 1];
    /* written only by the notifier; a reader may see a half-written text
     * while it changes, never past the buffer (always NUL-terminated) */
    apr_time_t farm_error_at;
    char farm_error[200];
} wr_counters_hdr_t;

struct wr_counters_t {
    wr_counters_hdr_t *hdr;
    wr_counter_slot_t *slots;    /* nslots + WR_COUNTER_EXTRA_SLOTS */
    int nslots;
};

/* Slots start on a cache line so that two workers never share one. */
#define HDR_SIZE APR_ALIGN(sizeof(wr_counters_hdr_t), 64)
#define SLOT_SIZE APR_ALIGN(sizeof(wr_counter_slot_t), 64)

apr_size_t wr_counters_size(int nslots)
{
    return HDR_SIZE + SLOT_SIZE * (apr_size_t)(nslots + WR_COUNTER_EXTRA_SLOTS);
}

apr_status_t wr_counters_attach(wr_counters_t **pc, void *base,
                                apr_size_t size, int nslots, apr_pool_t *p)
{
    wr_counters_t *c;

    if (nslots < 0 || size < wr_counters_size(nslots)) {
        return APR_EINVAL;
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->hdr = base;
    c->slots = (wr_counter_slot_t *)((char *)base + HDR_SIZE);
    c->nslots = nslots;
    if (c->hdr->magic != WR_COUNTERS_MAGIC
        || c->hdr->version != WR_COUNTERS_VERSION
        || c->hdr->nslots != (apr_uint32_t)nslots) {
        memset(base, 0, wr_counters_size(nslots));
        c->hdr->magic = WR_COUNTERS_MAGIC;
        c->hdr->version = WR_COUNTERS_VERSION;
        c->hdr->nslots = (apr_uint32_t)nslots;
        c->hdr->since = apr_time_now();
    }
    *pc = c;
    return APR_SUCCESS;
}

int wr_counters_family(wr_counters_t *c, const char *name)
{
    apr_uint32_t i;

    for (i = 0; i < c->hdr->nfamilies; i++) {
        if (!strcmp(c->hdr->family[i], name)) {
            return (int)i;
        }
    }
    if (c->hdr->nfamilies < WR_COUNTER_FAMILIES - 1) {
        apr_cpystrn(c->hdr->family[i], name, sizeof(c->hdr->family[i]));
        c->hdr->nfamilies++;
        return (int)i;
    }
    /* the table is full: the last entry counts everything else */
    apr_cpystrn(c->hdr->family[WR_COUNTER_FAMILIES - 1], "(other)",
                sizeof(c->hdr->family[0]));
    c->hdr->nfamilies = WR_COUNTER_FAMILIES;
    return WR_COUNTER_FAMILIES - 1;
}

const char *wr_counters_family_name(const wr_counters_t *c, int i)
{
    return i >= 0 && (apr_uint32_t)i < c->hdr->nfamilies ? c->hdr->family[i]
                                                          : NULL;
}

int wr_counters_nslots(const wr_counters_t *c)
{
    return c->nslots;
}

apr_time_t wr_counters_since(const wr_counters_t *c)
{
    return c->hdr->since;
}

static wr_counter_slot_t *slot_at(const wr_counters_t *c, int i)
{
    return (wr_counter_slot_t *)((char *)c->slots + SLOT_SIZE * (apr_size_t)i);
}

wr_counter_slot_t *wr_counters_slot(wr_counters_t *c, int i)
{
    return i >= 0 && i < c->nslots ? slot_at(c, i) : NULL;
}

wr_counter_slot_t *wr_counters_shared(wr_counters_t *c)
{
    return slot_at(c, c->nslots);
}

wr_counter_slot_t *wr_counters_notifier(wr_counters_t *c)
{
    return slot_at(c, c->nslots + 1);
}

void wr_counters_set_farm_error(wr_counters_t *c, const char *err,
                                apr_time_t at)
{
    char *d = c->hdr->farm_error;
    apr_size_t k, n = sizeof(c->hdr->farm_error) - 1;

    /* printable bytes only: the text goes into status pages as it is */
    for (k = 0; err && err[k] && k < n; k++) {
        d[k] = (err[k] >= 0x20 && err[k] < 0x7f) ? err[k] : '?';
    }
    d[k] = '\0';
    d[n] = '\0';
    c->hdr->farm_error_at = err ? at : 0;
}

const char *wr_counters_farm_error(const wr_counters_t *c, char *buf,
                                   apr_size_t len, apr_time_t *at)
{
    if (at) {
        *at = c->hdr->farm_error_at;
    }
    if (c->hdr->farm_error_at == 0 || c->hdr->farm_error[0] == '\0'
        || len == 0) {
        return NULL;
    }
    apr_cpystrn(buf, c->hdr->farm_error, len);
    return buf;
}

void wr_counters_add_atomic(apr_uint64_t *field, apr_uint64_t n)
{
    __atomic_fetch_add(field, n, __ATOMIC_RELAXED);
}

void wr_counters_snapshot(const wr_counters_t *c, wr_counter_slot_t *sum)
{
    int i;
    size_t k, nfields = sizeof(wr_counter_slot_t) / sizeof(apr_uint64_t);

    memset(sum, 0, sizeof(*sum));
    for (i = 0; i < c->nslots + WR_COUNTER_EXTRA_SLOTS; i++) {
        const apr_uint64_t *src = (const apr_uint64_t *)slot_at(c, i);
        apr_uint64_t *dst = (apr_uint64_t *)sum;
        for (k = 0; k < nfields; k++) {
            dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
        }
    }
}

static const char *const action_names[WR_ACT_COUNT] = {
    "404", "403", "410", "close", "pass"
};

const char *wr_action_name(wr_action_t a)
{
    return (unsigned)a < WR_ACT_COUNT ? action_names[a] : "?";
}

apr_status_t wr_action_parse(const char *s, wr_action_t *a)
{
    int i;

    for (i = 0; i < WR_ACT_COUNT; i++) {
        if (!strcasecmp(s, action_names[i])) {
            *a = (wr_action_t)i;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

/* The notice pipeline's counters, by their public names. */
static const struct {
    const char *name;
    apr_size_t off;
    const char *help;
    int gauge;
} notice_fields[] = {
    {"spooled", offsetof(wr_counter_slot_t, spooled),
     "Events written to the spool.", 0},
    {"spool_dropped", offsetof(wr_counter_slot_t, spool_dropped),
     "Events lost to a full or unwritable spool.", 0},
    {"host_counted", offsetof(wr_counter_slot_t, host_counted),
     "Probes counted in a source's open window.", 0},
    {"cache_busy", offsetof(wr_counter_slot_t, cache_busy),
     "Probes whose WormReplyCache lock failed (spooled anyway).", 0},
    {"prefix_held", offsetof(wr_counter_slot_t, prefix_held),
     "New addresses not spooled: their prefix had its events.", 0},
    {"notices", offsetof(wr_counter_slot_t, notices),
     "Notices composed into the outbox.", 0},
    {"notice_events", offsetof(wr_counter_slot_t, notice_events),
     "Events carried by those notices.", 0},
    {"unresolvable", offsetof(wr_counter_slot_t, unresolvable),
     "Sources without a confirmed name or a domain accepting mail.", 0},
    {"not_notified", offsetof(wr_counter_slot_t, not_notified),
     "Sources never notified: special, exempt, own or never-mail.", 0},
    {"host_suppressed", offsetof(wr_counter_slot_t, host_suppressed),
     "Sources notified within their host window already.", 0},
    {"cap_deferred", offsetof(wr_counter_slot_t, cap_deferred),
     "Digests held back by WormReplyMaxPerHour.", 0},
    {"dns_retries", offsetof(wr_counter_slot_t, dns_retries),
     "Events given back after a temporary DNS failure.", 0},
    {"notice_errors", offsetof(wr_counter_slot_t, notice_errors),
     "Notices that could not be composed or written.", 0},
    {"smtp_sent", offsetof(wr_counter_slot_t, smtp_sent),
     "Notices the smarthost accepted.", 0},
    {"smtp_deferred", offsetof(wr_counter_slot_t, smtp_deferred),
     "Deliveries deferred (4xx, no connection, TLS or AUTH failure).", 0},
    {"smtp_failed", offsetof(wr_counter_slot_t, smtp_failed),
     "Notices given up on (5xx, or queued too long).", 0},
    {"smtp_suppressed", offsetof(wr_counter_slot_t, smtp_suppressed),
     "Recipients suppressed after a permanent refusal.", 0},
    {"smtp_retries", offsetof(wr_counter_slot_t, smtp_retries),
     "Notices queued again for a later try.", 0},
    {"bounces_received", offsetof(wr_counter_slot_t, bounces_received),
     "Messages to the bounce address read by wormreply bounce.", 0},
    {"bounces_hard", offsetof(wr_counter_slot_t, bounces_hard),
     "Hard bounces: a recipient suppressed (reason bounced).", 0},
    {"bounces_ignored", offsetof(wr_counter_slot_t, bounces_ignored),
     "Bounces ignored: no valid token (unknown, forged, altered, old).", 0},
    {"farm_connected", offsetof(wr_counter_slot_t, farm_connected),
     "1 while the farm's shared state (WormReplyFarm) is in use.", 1},
    {"farm_errors", offsetof(wr_counter_slot_t, farm_errors),
     "Errors talking to the farm's Redis (each a fallback).", 0},
    {"farm_digests", offsetof(wr_counter_slot_t, farm_digests),
     "Digests sent under a farm-wide claim.", 0},
    {"farm_local", offsetof(wr_counter_slot_t, farm_local),
     "Digests sent from local state while the farm was unreachable.", 0},
    {"farm_windows", offsetof(wr_counter_slot_t, farm_windows),
     "Domains in their domain window, farm-wide.", 1},
    {"farm_roundtrips", offsetof(wr_counter_slot_t, farm_roundtrips),
     "Commands sent to the farm's Redis.", 0},
    {"queued", offsetof(wr_counter_slot_t, queued),
     "Events waiting in the spool.", 1},
    {"queue_oldest_seconds", offsetof(wr_counter_slot_t, queue_oldest),
     "Age of the oldest event in the spool.", 1},
    {"outbox_queued", offsetof(wr_counter_slot_t, outbox_queued),
     "Notices waiting for the smarthost.", 1},
    {"outbox_oldest_seconds", offsetof(wr_counter_slot_t, outbox_oldest),
     "Age of the oldest notice waiting for the smarthost.", 1},
    {"outbox_kept", offsetof(wr_counter_slot_t, outbox_kept),
     "Notices kept in the outbox for pickup (no smarthost).", 1},
    {NULL, 0, NULL, 0}
};

/* Family names are [a-z0-9_-] or "(other)": safe inside JSON strings and
 * Prometheus label values as they are. */
const char *wr_counters_format(const wr_counters_t *c,
                               const wr_counter_slot_t *sum,
                               wr_counters_format_t fmt, apr_pool_t *p)
{
    char since[APR_RFC822_DATE_LEN];
    const char *out;
    int i, a;

    if (fmt == WR_FORMAT_PROMETHEUS) {
        out = apr_psprintf(p,
            "# HELP wormreply_requests_total Requests seen where WormReply is On.\n"
            "# TYPE wormreply_requests_total counter\n"
            "wormreply_requests_total %" APR_UINT64_T_FMT "\n"
            "# HELP wormreply_probes_total Worm probes recognised, by family.\n"
            "# TYPE wormreply_probes_total counter\n",
            sum->requests);
        for (i = 0; wr_counters_family_name(c, i); i++) {
            out = apr_psprintf(p, "%swormreply_probes_total{family=\"%s\"} %"
                               APR_UINT64_T_FMT "\n", out,
                               wr_counters_family_name(c, i), sum->family[i]);
        }
        out = apr_psprintf(p, "%s"
            "# HELP wormreply_answers_total Probes answered, by action.\n"
            "# TYPE wormreply_answers_total counter\n", out);
        for (a = 0; a < WR_ACT_COUNT; a++) {
            out = apr_psprintf(p, "%swormreply_answers_total{action=\"%s\"} %"
                               APR_UINT64_T_FMT "\n", out,
                               wr_action_name((wr_action_t)a), sum->action[a]);
        }
        out = apr_psprintf(p, "%s"
            "# HELP wormreply_exempt_total Probes from exempt clients.\n"
            "# TYPE wormreply_exempt_total counter\n"
            "wormreply_exempt_total %" APR_UINT64_T_FMT "\n"
            "# HELP wormreply_rejected_total Probes in requests httpd rejected.\n"
            "# TYPE wormreply_rejected_total counter\n"
            "wormreply_rejected_total %" APR_UINT64_T_FMT "\n"
            "# HELP wormreply_probe_seconds_total Time spent answering probes.\n"
            "# TYPE wormreply_probe_seconds_total counter\n"
            "wormreply_probe_seconds_total %.6f\n"
            "# HELP wormreply_since_seconds When the counters started (Unix time).\n"
            "# TYPE wormreply_since_seconds gauge\n"
            "wormreply_since_seconds %" APR_INT64_T_FMT "\n",
            out, sum->exempt, sum->rejected, (double)sum->probe_usec / 1e6,
            (apr_int64_t)apr_time_sec(wr_counters_since(c)));
        for (i = 0; notice_fields[i].name; i++) {
            const char *sfx = notice_fields[i].gauge ? "" : "_total";
            out = apr_psprintf(p, "%s# HELP wormreply_%s%s %s\n"
                               "# TYPE wormreply_%s%s %s\n"
                               "wormreply_%s%s %" APR_UINT64_T_FMT "\n",
                               out, notice_fields[i].name, sfx,
                               notice_fields[i].help, notice_fields[i].name,
                               sfx, notice_fields[i].gauge ? "gauge"
                                                           : "counter",
                               notice_fields[i].name, sfx,
                               *(const apr_uint64_t *)((const char *)sum
                                                   + notice_fields[i].off));
        }
        return out;
    }
    apr_rfc822_date(since, wr_counters_since(c));
    out = apr_psprintf(p, "{\"since\": \"%s\", \"requests\": %" APR_UINT64_T_FMT
                       ", \"probes\": %" APR_UINT64_T_FMT ", \"exempt\": %"
                       APR_UINT64_T_FMT ", \"rejected\": %" APR_UINT64_T_FMT
                       ", \"probe_seconds\": %.6f, \"families\": {",
                       since, sum->requests, sum->probes, sum->exempt,
                       sum->rejected, (double)sum->probe_usec / 1e6);
    for (i = 0; wr_counters_family_name(c, i); i++) {
        out = apr_psprintf(p, "%s%s\"%s\": %" APR_UINT64_T_FMT, out,
                           i ? ", " : "", wr_counters_family_name(c, i),
                           sum->family[i]);
    }
    out = apr_pstrcat(p, out, "}, \"actions\": {", NULL);
    for (a = 0; a < WR_ACT_COUNT; a++) {
        out = apr_psprintf(p, "%s%s\"%s\": %" APR_UINT64_T_FMT, out,
                           a ? ", " : "", wr_action_name((wr_action_t)a),
                           sum->action[a]);
    }
    out = apr_pstrcat(p, out, "}", NULL);
    for (i = 0; notice_fields[i].name; i++) {
        out = apr_psprintf(p, "%s, \"%s\": %" APR_UINT64_T_FMT, out,
                           notice_fields[i].name,
                           *(const apr_uint64_t *)((const char *)sum
                                                   + notice_fields[i].off));
    }
    {
        char ebuf[sizeof(((wr_counters_hdr_t *)0)->farm_error)];
        const char *e = wr_counters_farm_error(c, ebuf, sizeof(ebuf), NULL);
        if (e) {
            /* printable ASCII only (wr_counters_set_farm_error) */
            char *q = apr_palloc(p, 2 * strlen(e) + 1), *o = q;
            for (; *e; e++) {
                if (*e == '"' || *e == '\\') {
                    *o++ = '\\';
                }
                *o++ = *e;
            }
            *o = '\0';
            out = apr_psprintf(p, "%s, \"farm_last_error\": \"%s\"", out, q);
        }
    }
    return apr_pstrcat(p, out, "}\n", NULL);
}
