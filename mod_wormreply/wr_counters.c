/* wr_counters.c - lock-free probe counters in shared memory */
#include <stddef.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "wr_counters.h"

#define WR_COUNTERS_MAGIC 0x57524331u   /* "WRC1" */
#define WR_COUNTERS_VERSION 7u

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
    apr_time_t smtp_error_at;
    char smtp_error[200];
    /* per family: its confidence + 1 (0: unknown), and 1 if it notifies */
    unsigned char confidence[WR_COUNTER_FAMILIES];
    unsigned char notifies[WR_COUNTER_FAMILIES];
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

void wr_counters_family_meta(wr_counters_t *c, int i, wr_confidence_t conf,
                             int notifies)
{
    /* the shared "(other)" slot has no one confidence */
    if (i >= 0 && i < WR_COUNTER_FAMILIES - 1) {
        c->hdr->confidence[i] = (unsigned char)(conf + 1);
        c->hdr->notifies[i] = notifies != 0;
    }
}

int wr_counters_family_confidence(const wr_counters_t *c, int i)
{
    return i >= 0 && (apr_uint32_t)i < c->hdr->nfamilies
           ? (int)c->hdr->confidence[i] - 1 : -1;
}

int wr_counters_family_notifies(const wr_counters_t *c, int i)
{
    return i >= 0 && (apr_uint32_t)i < c->hdr->nfamilies
           && c->hdr->notifies[i];
}

void wr_counters_by_confidence(const wr_counters_t *c,
                               const wr_counter_slot_t *sum,
                               apr_uint64_t conf[WR_CONFIDENCE_COUNT],
                               apr_uint64_t *notifying)
{
    int i;

    memset(conf, 0, sizeof(apr_uint64_t) * WR_CONFIDENCE_COUNT);
    *notifying = 0;
    for (i = 0; wr_counters_family_name(c, i); i++) {
        int k = wr_counters_family_confidence(c, i);
        if (k >= 0 && k < WR_CONFIDENCE_COUNT) {
            conf[k] += sum->family[i];
        }
        if (wr_counters_family_notifies(c, i)) {
            *notifying += sum->family[i];
        }
    }
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

/* note_set - a status text in the header: printable bytes only, since it
 * goes into status pages as it is */
static void note_set(char *d, apr_size_t size, apr_time_t *d_at,
                     const char *err, apr_time_t at)
{
    apr_size_t k, n = size - 1;

    for (k = 0; err && err[k] && k < n; k++) {
        d[k] = (err[k] >= 0x20 && err[k] < 0x7f) ? err[k] : '?';
    }
    d[k] = '\0';
    d[n] = '\0';
    *d_at = err ? at : 0;
}

/* note_get - such a text copied into buf, or NULL if none */
static const char *note_get(const char *src, apr_time_t src_at, char *buf,
                            apr_size_t len, apr_time_t *at)
{
    if (at) {
        *at = src_at;
    }
    if (src_at == 0 || src[0] == '\0' || len == 0) {
        return NULL;
    }
    apr_cpystrn(buf, src, len);
    return buf;
}

void wr_counters_set_farm_error(wr_counters_t *c, const char *err,
                                apr_time_t at)
{
    note_set(c->hdr->farm_error, sizeof(c->hdr->farm_error),
             &c->hdr->farm_error_at, err, at);
}

const char *wr_counters_farm_error(const wr_counters_t *c, char *buf,
                                   apr_size_t len, apr_time_t *at)
{
    return note_get(c->hdr->farm_error, c->hdr->farm_error_at, buf, len, at);
}

void wr_counters_set_smtp_error(wr_counters_t *c, const char *err,
                                apr_time_t at)
{
    note_set(c->hdr->smtp_error, sizeof(c->hdr->smtp_error),
             &c->hdr->smtp_error_at, err, at);
}

const char *wr_counters_smtp_error(const wr_counters_t *c, char *buf,
                                   apr_size_t len, apr_time_t *at)
{
    return note_get(c->hdr->smtp_error, c->hdr->smtp_error_at, buf, len, at);
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

/* The counter field table: every scalar counter, named here and nowhere
 * else. To add one (bounces_* say): a field in wr_counter_slot_t
 * (wr_counters.h) and one row below; JSON, Prometheus, ?auto, the HTML
 * page, `wormreply status` and build/unit/test_counters pick it up. Names
 * are public: the JSON key is also the Prometheus name (wormreply_NAME,
 * "_total" unless a gauge), STATUS the ?auto name (WormReplySTATUS). */
#define F(field) offsetof(wr_counter_slot_t, field)

const wr_counter_field_t wr_counter_fields[] = {
    {"requests", "Requests", NULL, "requests seen",
     "Requests seen where WormReply is On.", F(requests), WR_CF_HEAD},
    {"probes", "Probes", NULL, "probes",
     "Worm probes recognised.", F(probes),
     WR_CF_HEAD | WR_CF_NOPROM | WR_CF_GROUPS},
    {"exempt", "Exempt", NULL, "probes from exempt clients",
     "Probes from exempt clients.", F(exempt), WR_CF_HEAD},
    {"rejected", "Rejected", NULL, "probes in lines httpd rejected",
     "Probes in requests httpd rejected.", F(rejected), WR_CF_HEAD},
    {"probe_seconds", "ProbeTimeUsec", NULL, "seconds answering probes",
     "Time spent answering probes.", F(probe_usec), WR_CF_HEAD | WR_CF_USEC},
    {"spooled", "Spooled", "notices", "events spooled",
     "Events written to the spool.", F(spooled), 0},
    {"spool_dropped", "SpoolDropped", "notices",
     "events dropped: spool full or unwritable",
     "Events lost to a full or unwritable spool.", F(spool_dropped), 0},
    {"host_counted", "HostCounted", "notices",
     "probes counted in an open source window",
     "Probes counted in a source's open window.", F(host_counted), 0},
    {"cache_busy", "CacheBusy", "notices",
     "probes whose cache lock failed (spooled anyway)",
     "Probes whose WormReplyCache lock failed (spooled anyway).",
     F(cache_busy), 0},
    {"prefix_held", "PrefixHeld", "notices",
     "new addresses held back: their prefix had its events",
     "New addresses not spooled: their prefix had its events.",
     F(prefix_held), 0},
    {"notices", "Notices", "notices", "notices composed",
     "Notices composed into the outbox.", F(notices), 0},
    {"notice_events", "NoticeEvents", "notices", "events in those notices",
     "Events carried by those notices.", F(notice_events), 0},
    {"unresolvable", "Unresolvable", "notices",
     "sources without a confirmed name or mail domain",
     "Sources without a confirmed name or a domain accepting mail.",
     F(unresolvable), 0},
    {"not_notified", "NotNotified", "notices",
     "sources never notified: special, exempt, own, never-mail",
     "Sources never notified: special, exempt, own or never-mail.",
     F(not_notified), 0},
    {"host_suppressed", "HostSuppressed", "notices",
     "sources notified within their host window already",
     "Sources notified within their host window already.",
     F(host_suppressed), 0},
    {"held_uncertain", "HeldUncertain", "notices",
     "events held: a less certain family alone",
     "Events not mailed: a family that does not notify by itself, from a "
     "source that sent none that does.", F(held_uncertain), 0},
    {"cap_deferred", "CapDeferred", "notices",
     "digests held back by the hourly cap",
     "Digests held back by WormReplyMaxPerHour.", F(cap_deferred), 0},
    {"dns_retries", "DnsRetries", "notices",
     "events given back after a DNS failure",
     "Events given back after a temporary DNS failure.", F(dns_retries), 0},
    {"notice_errors", "NoticeErrors", "notices",
     "notices that could not be written",
     "Notices that could not be composed or written.", F(notice_errors), 0},
    {"smtp_sent", "SMTPSent", "delivery", "notices sent",
     "Notices the smarthost accepted.", F(smtp_sent), 0},
    {"smtp_deferred", "SMTPDeferred", "delivery", "deliveries deferred",
     "Deliveries deferred (4xx, no connection, TLS or AUTH failure).",
     F(smtp_deferred), 0},
    {"smtp_failed", "SMTPFailed", "delivery", "notices given up on",
     "Notices given up on (5xx, or queued too long).", F(smtp_failed), 0},
    {"smtp_suppressed", "SMTPSuppressed", "delivery",
     "recipients suppressed after a 5xx",
     "Recipients suppressed after a permanent refusal.",
     F(smtp_suppressed), 0},
    {"smtp_retries", "SMTPRetries", "delivery", "notices queued again",
     "Notices queued again for a later try.", F(smtp_retries), 0},
    {"bounces_received", "BouncesReceived", "bounces",
     "messages to the bounce address",
     "Messages to the bounce address read by wormreply bounce.",
     F(bounces_received), 0},
    {"bounces_hard", "BouncesHard", "bounces",
     "hard bounces: a recipient suppressed",
     "Hard bounces: a recipient suppressed (reason bounced).",
     F(bounces_hard), 0},
    {"bounces_ignored", "BouncesIgnored", "bounces",
     "bounces ignored: no valid token",
     "Bounces ignored: no valid token (unknown, forged, altered, old).",
     F(bounces_ignored), 0},
    {"farm_connected", "FarmConnected", "farm",
     "connected: 1 while the farm's state is in use",
     "1 while the farm's shared state (WormReplyFarm) is in use.",
     F(farm_connected), WR_CF_GAUGE | WR_CF_FARM},
    {"farm_errors", "FarmErrors", "farm", "errors, each a fallback",
     "Errors talking to the farm's Redis (each a fallback).",
     F(farm_errors), WR_CF_FARM},
    {"farm_digests", "FarmDigests", "farm", "digests under a farm claim",
     "Digests sent under a farm-wide claim.", F(farm_digests), WR_CF_FARM},
    {"farm_local", "FarmLocalDigests", "farm",
     "digests from local state, farm unreachable",
     "Digests sent from local state while the farm was unreachable.",
     F(farm_local), WR_CF_FARM},
    {"farm_windows", "FarmWindows", "farm", "domains in their window",
     "Domains in their domain window, farm-wide.", F(farm_windows),
     WR_CF_GAUGE | WR_CF_FARM},
    {"farm_roundtrips", "FarmRoundtrips", "farm", "commands sent to Redis",
     "Commands sent to the farm's Redis.", F(farm_roundtrips), WR_CF_FARM},
    {"queued", "Queue", "notices", "events waiting in the spool",
     "Events waiting in the spool.", F(queued), WR_CF_GAUGE},
    {"queue_oldest_seconds", "QueueOldestSeconds", "notices",
     "seconds the oldest has waited",
     "Age of the oldest event in the spool.", F(queue_oldest_at),
     WR_CF_AGE},
    {"outbox_queued", "OutboxQueue", "delivery",
     "notices waiting for the smarthost",
     "Notices waiting for the smarthost.", F(outbox_queued), WR_CF_GAUGE},
    {"outbox_oldest_seconds", "OutboxOldestSeconds", "delivery",
     "seconds the oldest has waited",
     "Age of the oldest notice waiting for the smarthost.",
     F(outbox_oldest_at), WR_CF_AGE},
    {"outbox_kept", "OutboxKept", "delivery",
     "notices kept for pickup (no smarthost)",
     "Notices kept in the outbox for pickup (no smarthost).",
     F(outbox_kept), WR_CF_GAUGE},
    {NULL, NULL, NULL, NULL, NULL, 0, 0}
};

#undef F

const wr_counter_note_t wr_counter_notes[] = {
    {"farm_last_error", "FarmLastError", "farm", "last error",
     wr_counters_farm_error, WR_CF_FARM},
    {"smtp_last_error", "SMTPLastError", "delivery", "last error",
     wr_counters_smtp_error, 0},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const wr_counter_field_t *wr_counter_field_find(const char *name)
{
    const wr_counter_field_t *f;

    for (f = wr_counter_fields; f->name; f++) {
        if (!strcmp(f->name, name)) {
            return f;
        }
    }
    return NULL;
}

apr_uint64_t *wr_counter_ptr(const wr_counter_field_t *f,
                             wr_counter_slot_t *slot)
{
    return (apr_uint64_t *)((char *)slot + f->off);
}

apr_uint64_t wr_counter_value(const wr_counter_field_t *f,
                              const wr_counter_slot_t *sum, apr_time_t now)
{
    apr_uint64_t v = *(const apr_uint64_t *)((const char *)sum + f->off);
    apr_uint64_t t = (apr_uint64_t)apr_time_sec(now);

    if (f->flags & WR_CF_AGE) {
        return v != 0 && v < t ? t - v : 0;
    }
    return v;
}

/* field_text - the value of f as JSON and Prometheus show it */
static const char *field_text(const wr_counter_field_t *f,
                              const wr_counter_slot_t *sum, apr_time_t now,
                              apr_pool_t *p)
{
    apr_uint64_t v = wr_counter_value(f, sum, now);

    if (f->flags & WR_CF_USEC) {
        return apr_psprintf(p, "%.6f", (double)v / 1e6);
    }
    return apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
}

/* json_escape - a note (printable ASCII, note_set) as JSON string text */
static const char *json_escape(const char *e, apr_pool_t *p)
{
    char *q = apr_palloc(p, 2 * strlen(e) + 1), *o = q;

    for (; *e; e++) {
        if (*e == '"' || *e == '\\') {
            *o++ = '\\';
        }
        *o++ = *e;
    }
    *o = '\0';
    return q;
}

/* prom_fields - the table's Prometheus lines */
static const char *prom_fields(const char *out, int head,
                               const wr_counter_slot_t *sum, apr_time_t now,
                               apr_pool_t *p)
{
    const wr_counter_field_t *f;

    for (f = wr_counter_fields; f->name; f++) {
        int gauge = (f->flags & (WR_CF_GAUGE | WR_CF_AGE)) != 0;
        const char *sfx = gauge ? "" : "_total";

        if (!(f->flags & WR_CF_HEAD) != !head || (f->flags & WR_CF_NOPROM)) {
            continue;
        }
        out = apr_psprintf(p, "%s# HELP wormreply_%s%s %s\n"
                           "# TYPE wormreply_%s%s %s\n"
                           "wormreply_%s%s %s\n", out, f->name, sfx, f->help,
                           f->name, sfx, gauge ? "gauge" : "counter",
                           f->name, sfx, field_text(f, sum, now, p));
    }
    return out;
}

/* json_fields - the table's JSON members, each after ", " */
static const char *json_fields(const char *out, int head,
                               const wr_counter_slot_t *sum, apr_time_t now,
                               apr_pool_t *p)
{
    const wr_counter_field_t *f;

    for (f = wr_counter_fields; f->name; f++) {
        if (!(f->flags & WR_CF_HEAD) == !head) {
            out = apr_psprintf(p, "%s, \"%s\": %s", out, f->name,
                               field_text(f, sum, now, p));
        }
    }
    return out;
}

/* Family names are [a-z0-9_-] or "(other)": safe inside JSON strings and
 * Prometheus label values as they are. */
const char *wr_counters_format(const wr_counters_t *c,
                               const wr_counter_slot_t *sum,
                               wr_counters_format_t fmt, apr_time_t now,
                               apr_pool_t *p)
{
    char since[APR_RFC822_DATE_LEN];
    const char *out;
    const wr_counter_note_t *nt;
    apr_uint64_t conf[WR_CONFIDENCE_COUNT], notifying;
    int i, a;

    wr_counters_by_confidence(c, sum, conf, &notifying);
    if (fmt == WR_FORMAT_PROMETHEUS) {
        out = prom_fields("", 1, sum, now, p);
        out = apr_psprintf(p, "%s"
            "# HELP wormreply_probes_total Worm probes recognised, by family.\n"
            "# TYPE wormreply_probes_total counter\n", out);
        for (i = 0; wr_counters_family_name(c, i); i++) {
            out = apr_psprintf(p, "%swormreply_probes_total{family=\"%s\"} %"
                               APR_UINT64_T_FMT "\n", out,
                               wr_counters_family_name(c, i), sum->family[i]);
        }
        out = apr_psprintf(p, "%s"
            "# HELP wormreply_probes_by_confidence_total Worm probes, by "
            "their family's confidence.\n"
            "# TYPE wormreply_probes_by_confidence_total counter\n", out);
        for (a = 0; a < WR_CONFIDENCE_COUNT; a++) {
            out = apr_psprintf(p, "%swormreply_probes_by_confidence_total"
                               "{confidence=\"%s\"} %" APR_UINT64_T_FMT "\n",
                               out, wr_confidence_name((wr_confidence_t)a),
                               conf[a]);
        }
        out = apr_psprintf(p, "%s"
            "# HELP wormreply_notifying_probes_total Probes of families that "
            "notify by themselves.\n"
            "# TYPE wormreply_notifying_probes_total counter\n"
            "wormreply_notifying_probes_total %" APR_UINT64_T_FMT "\n"
            "# HELP wormreply_family_notifies Whether a family notifies by "
            "itself (1) or not (0).\n"
            "# TYPE wormreply_family_notifies gauge\n", out, notifying);
        for (i = 0; wr_counters_family_name(c, i); i++) {
            out = apr_psprintf(p, "%swormreply_family_notifies{family=\"%s\"}"
                               " %d\n", out, wr_counters_family_name(c, i),
                               wr_counters_family_notifies(c, i));
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
            "# HELP wormreply_since_seconds When the counters started (Unix time).\n"
            "# TYPE wormreply_since_seconds gauge\n"
            "wormreply_since_seconds %" APR_INT64_T_FMT "\n",
            out, (apr_int64_t)apr_time_sec(wr_counters_since(c)));
        return prom_fields(out, 0, sum, now, p);
    }
    apr_rfc822_date(since, wr_counters_since(c));
    out = apr_psprintf(p, "{\"schema\": %d, \"since\": \"%s\"",
                       WR_COUNTERS_SCHEMA, since);
    out = apr_pstrcat(p, json_fields(out, 1, sum, now, p), ", \"families\": {",
                      NULL);
    for (i = 0; wr_counters_family_name(c, i); i++) {
        out = apr_psprintf(p, "%s%s\"%s\": %" APR_UINT64_T_FMT, out,
                           i ? ", " : "", wr_counters_family_name(c, i),
                           sum->family[i]);
    }
    out = apr_pstrcat(p, out, "}, \"confidence\": {", NULL);
    for (a = 0; a < WR_CONFIDENCE_COUNT; a++) {
        out = apr_psprintf(p, "%s%s\"%s\": %" APR_UINT64_T_FMT, out,
                           a ? ", " : "", wr_confidence_name((wr_confidence_t)a),
                           conf[a]);
    }
    /* which families notify is in the Prometheus output only: a JSON
     * group keyed by family names would repeat the "families" names in
     * wormreply status's table */
    out = apr_psprintf(p, "%s}, \"notifying_probes\": %" APR_UINT64_T_FMT
                       ", \"actions\": {", out, notifying);
    for (a = 0; a < WR_ACT_COUNT; a++) {
        out = apr_psprintf(p, "%s%s\"%s\": %" APR_UINT64_T_FMT, out,
                           a ? ", " : "", wr_action_name((wr_action_t)a),
                           sum->action[a]);
    }
    out = json_fields(apr_pstrcat(p, out, "}", NULL), 0, sum, now, p);
    for (nt = wr_counter_notes; nt->name; nt++) {
        char buf[256];
        const char *e = nt->get(c, buf, sizeof(buf), NULL);
        if (e) {
            out = apr_psprintf(p, "%s, \"%s\": \"%s\"", out, nt->name,
                               json_escape(e, p));
        }
    }
    return apr_pstrcat(p, out, "}\n", NULL);
}

/* auto_fields - the table's ?auto lines */
static const char *auto_fields(const char *out, int head, int farm,
                               const wr_counter_slot_t *sum, apr_time_t now,
                               apr_pool_t *p)
{
    const wr_counter_field_t *f;

    for (f = wr_counter_fields; f->name; f++) {
        if (!(f->flags & WR_CF_HEAD) == !head
            && (farm || !(f->flags & WR_CF_FARM))) {
            out = apr_psprintf(p, "%sWormReply%s: %" APR_UINT64_T_FMT "\n",
                               out, f->status, wr_counter_value(f, sum, now));
        }
    }
    return out;
}

const char *wr_counters_auto(const wr_counters_t *c,
                             const wr_counter_slot_t *sum, int farm,
                             apr_time_t now, apr_pool_t *p)
{
    const char *out = auto_fields("", 1, farm, sum, now, p);
    const wr_counter_note_t *nt;
    apr_uint64_t conf[WR_CONFIDENCE_COUNT], notifying;
    int i, a;

    wr_counters_by_confidence(c, sum, conf, &notifying);
    for (i = 0; wr_counters_family_name(c, i); i++) {
        out = apr_psprintf(p, "%sWormReplyProbes-%s: %" APR_UINT64_T_FMT "\n",
                           out, wr_counters_family_name(c, i),
                           sum->family[i]);
    }
    for (a = 0; a < WR_CONFIDENCE_COUNT; a++) {
        out = apr_psprintf(p, "%sWormReplyProbesConfidence-%s: %"
                           APR_UINT64_T_FMT "\n", out,
                           wr_confidence_name((wr_confidence_t)a), conf[a]);
    }
    out = apr_psprintf(p, "%sWormReplyNotifyingProbes: %" APR_UINT64_T_FMT
                       "\n", out, notifying);
    for (a = 0; a < WR_ACT_COUNT; a++) {
        out = apr_psprintf(p, "%sWormReplyAction-%s: %" APR_UINT64_T_FMT "\n",
                           out, wr_action_name((wr_action_t)a),
                           sum->action[a]);
    }
    out = auto_fields(out, 0, farm, sum, now, p);
    for (nt = wr_counter_notes; nt->name; nt++) {
        char buf[256];
        const char *e = (farm || !(nt->flags & WR_CF_FARM))
                        ? nt->get(c, buf, sizeof(buf), NULL) : NULL;
        if (e) {
            /* printable ASCII already (note_set) */
            out = apr_psprintf(p, "%sWormReply%s: %s\n", out, nt->status, e);
        }
    }
    return out;
}
