/* wr_counters.h - probe counters in one shared-memory segment
 *
 * Layout: a header (magic, version, slot count, the family names the
 * per-family counters belong to) followed by `nslots` slots. Each slot is
 * written by exactly one thread (one httpd worker of the scoreboard), so
 * increments need no lock and no atomic; the last slot is shared by
 * callers that have no worker of their own and is updated atomically.
 * Readers sum all slots into a snapshot; a reader may see a sum that is a
 * few increments behind, never a torn 64-bit value (aligned stores).
 *
 * Family counters are keyed by name, not by a signature-set index, so a
 * graceful restart that reorders or adds families keeps every family's
 * count. At most WR_COUNTER_FAMILIES names; later names share the
 * "(other)" slot.
 */
#ifndef WR_COUNTERS_H
#define WR_COUNTERS_H

#include <apr.h>
#include <apr_errno.h>
#include <apr_time.h>

#include "wr_match.h"

#define WR_COUNTER_FAMILIES WR_MAX_FAMILIES

/* The slots after the workers': one shared (atomic updates), one for the
 * notifier process. */
#define WR_COUNTER_EXTRA_SLOTS 2

typedef enum {
    WR_ACT_404 = 0,
    WR_ACT_403,
    WR_ACT_410,
    WR_ACT_CLOSE,
    WR_ACT_PASS,
    WR_ACT_COUNT
} wr_action_t;

typedef struct {
    apr_uint64_t requests;       /* requests seen where WormReply is On */
    apr_uint64_t probes;         /* probes matched (exempt clients excluded) */
    apr_uint64_t exempt;         /* probes from WormReplyExempt clients */
    apr_uint64_t rejected;       /* probes found in lines httpd rejected */
    apr_uint64_t probe_usec;     /* time spent matching + answering probes */
    apr_uint64_t family[WR_COUNTER_FAMILIES];
    apr_uint64_t action[WR_ACT_COUNT];
    /* notices, request side */
    apr_uint64_t spooled;        /* events written to the spool */
    apr_uint64_t spool_dropped;  /* events lost to a full or broken spool */
    apr_uint64_t host_counted;   /* probes counted in an open host window */
    apr_uint64_t cache_busy;     /* probes not accounted: cache lock busy */
    apr_uint64_t prefix_held;    /* new addresses over their prefix's quota */
    /* notices, notifier side */
    apr_uint64_t notices;        /* notices composed into the outbox */
    apr_uint64_t notice_events;  /* events those notices carried */
    apr_uint64_t unresolvable;   /* no confirmed name, no domain, no mail */
    apr_uint64_t not_notified;   /* special, exempt, own domain, never-mail */
    apr_uint64_t host_suppressed;     /* host notified within its window */
    apr_uint64_t held_uncertain; /* events of a family that does not
                                  * notify, from a source that sent none
                                  * that does */
    apr_uint64_t cap_deferred;   /* digests held back by the hourly cap */
    apr_uint64_t dns_retries;    /* events given back after a DNS failure */
    apr_uint64_t notice_errors;  /* notices that could not be written */
    /* delivery to the smarthost */
    apr_uint64_t smtp_sent;      /* notices accepted (2xx) */
    apr_uint64_t smtp_deferred;  /* tries that ended in a 4xx or no session */
    apr_uint64_t smtp_failed;    /* notices given up on (5xx, too old) */
    apr_uint64_t smtp_suppressed;    /* recipients suppressed after a 5xx */
    apr_uint64_t smtp_retries;   /* notices queued again for a retry */
    /* bounces read by wormreply bounce (the outbox's bounces.stat, copied
     * into the notifier's slot) */
    apr_uint64_t bounces_received;   /* messages to the bounce address */
    apr_uint64_t bounces_hard;   /* hard bounces: a recipient suppressed */
    apr_uint64_t bounces_ignored;    /* no valid token: unknown, forged */
    /* the farm's shared state (WormReplyFarm), notifier side */
    apr_uint64_t farm_connected; /* gauge: 1 while the farm state is used */
    apr_uint64_t farm_errors;    /* Redis errors; each means a fallback */
    apr_uint64_t farm_digests;   /* digests sent under a farm claim */
    apr_uint64_t farm_local;     /* digests sent from this server's own
                                  * state while the farm was unreachable */
    apr_uint64_t farm_windows;   /* gauge: domains in their window, farm */
    apr_uint64_t farm_roundtrips;    /* commands sent to Redis */
    /* gauges of the spool and the outbox, written by the notifier into its
     * slot as it goes (zero in the others): no reader scans a directory */
    apr_uint64_t queued;         /* events waiting in the spool */
    apr_uint64_t queue_oldest_at;    /* their oldest's time (s), 0: none */
    apr_uint64_t outbox_queued;  /* notices waiting for the smarthost */
    apr_uint64_t outbox_oldest_at;   /* their oldest's time (s), 0: none */
    /* without a smarthost, the notices kept in the outbox for pickup
     * (counted at each pruning by WormReplyOutboxRetention, and one more
     * per notice written) */
    apr_uint64_t outbox_kept;
} wr_counter_slot_t;

/* The counter field table: every scalar counter of wr_counter_slot_t,
 * named once. The JSON handler, the Prometheus output, mod_status (?auto
 * and the HTML page) and `wormreply status` all read it; a new counter is
 * a field in the slot and a row here. (The per-family and per-action
 * groups are arrays, written by each output around the table.)
 * Flags: */
#define WR_CF_HEAD   0x01   /* before those groups, not in a section */
#define WR_CF_GAUGE  0x02   /* a level: a Prometheus gauge, no "_total" */
#define WR_CF_USEC   0x04   /* microseconds, shown as seconds but in ?auto */
#define WR_CF_AGE    0x08   /* a time in seconds, shown as its age (gauge) */
#define WR_CF_FARM   0x10   /* in ?auto and HTML only with WormReplyFarm */
#define WR_CF_NOPROM 0x20   /* no Prometheus line (a labelled metric has it) */
#define WR_CF_GROUPS 0x40   /* the HTML page shows the groups under it */

typedef struct {
    const char *name;       /* JSON key; Prometheus wormreply_NAME[_total] */
    const char *status;     /* mod_status ?auto: "WormReply" STATUS */
    const char *section;    /* the heading it is shown under; NULL: HEAD */
    const char *label;      /* a few words: the HTML page, the CLI's table */
    const char *help;       /* the Prometheus HELP text */
    apr_size_t off;         /* of its apr_uint64_t in wr_counter_slot_t */
    unsigned flags;         /* WR_CF_* */
} wr_counter_field_t;

/* wr_counter_fields - the table, ended by a row whose name is NULL */
extern const wr_counter_field_t wr_counter_fields[];

/* wr_counter_field_find - the row named `name` (JSON key), or NULL */
const wr_counter_field_t *wr_counter_field_find(const char *name);

/* wr_counter_value - field f of snapshot `sum` as shown: a WR_CF_AGE time
 * becomes its age at `now` in seconds (0 when there is none); others as
 * they are (WR_CF_USEC in microseconds) */
apr_uint64_t wr_counter_value(const wr_counter_field_t *f,
                              const wr_counter_slot_t *sum, apr_time_t now);

/* wr_counter_ptr - field f of a slot, to add to or to set */
apr_uint64_t *wr_counter_ptr(const wr_counter_field_t *f,
                             wr_counter_slot_t *slot);

typedef struct wr_counters_t wr_counters_t;

/* wr_counters_size - bytes of shared memory for `nslots` worker slots */
apr_size_t wr_counters_size(int nslots);

/* wr_counters_attach - use `base` (`size` bytes, from wr_counters_size)
 * as the counters; initialised when it holds no valid header, kept as it
 * is otherwise (a graceful restart). `mem` for the handle comes from p. */
apr_status_t wr_counters_attach(wr_counters_t **pc, void *base,
                                apr_size_t size, int nslots, apr_pool_t *p);

/* wr_counters_family - the counter index for family `name`, adding it to
 * the header when new. Call before children start (single-threaded). */
int wr_counters_family(wr_counters_t *c, const char *name);

/* wr_counters_family_name - the name at counter index i, NULL if unused */
const char *wr_counters_family_name(const wr_counters_t *c, int i);

/* wr_counters_family_meta - what the outputs split the probes of family
 * i by: its confidence, and whether it notifies by itself
 * (WormReplyNotifyFamilies). Set with the names, before children start. */
void wr_counters_family_meta(wr_counters_t *c, int i, wr_confidence_t conf,
                             int notifies);

/* wr_counters_family_confidence - the confidence of family i; -1 when
 * unknown (never set, or the "(other)" slot) */
int wr_counters_family_confidence(const wr_counters_t *c, int i);

/* wr_counters_family_notifies - 1 if family i notifies by itself */
int wr_counters_family_notifies(const wr_counters_t *c, int i);

/* wr_counters_by_confidence - the probes of a snapshot by their family's
 * confidence (conf[WR_CONFIDENCE_*]), and those of the families that
 * notify by themselves */
void wr_counters_by_confidence(const wr_counters_t *c,
                               const wr_counter_slot_t *sum,
                               apr_uint64_t conf[WR_CONFIDENCE_COUNT],
                               apr_uint64_t *notifying);

int wr_counters_nslots(const wr_counters_t *c);
apr_time_t wr_counters_since(const wr_counters_t *c);

/* wr_counters_slot - the slot of worker `i`, or NULL when out of range */
wr_counter_slot_t *wr_counters_slot(wr_counters_t *c, int i);

/* wr_counters_add_shared - add to the shared slot, atomically: for
 * callers without a worker slot. `field` is a pointer into a slot
 * returned by wr_counters_shared(). */
wr_counter_slot_t *wr_counters_shared(wr_counters_t *c);

/* wr_counters_notifier - the slot only the notifier process writes */
wr_counter_slot_t *wr_counters_notifier(wr_counters_t *c);
void wr_counters_add_atomic(apr_uint64_t *field, apr_uint64_t n);

/* wr_counters_set_farm_error - the farm's last error (NULL: none), from
 * the notifier, for status pages (a short text in the header) */
void wr_counters_set_farm_error(wr_counters_t *c, const char *err,
                                apr_time_t at);

/* wr_counters_farm_error - that text copied into buf, or NULL if none;
 * *at (may be NULL) its time */
const char *wr_counters_farm_error(const wr_counters_t *c, char *buf,
                                   apr_size_t len, apr_time_t *at);

/* wr_counters_set_smtp_error, wr_counters_smtp_error - the same for the
 * last delivery problem of the smarthost's destination, which the
 * notifier publishes with the outbox gauges */
void wr_counters_set_smtp_error(wr_counters_t *c, const char *err,
                                apr_time_t at);
const char *wr_counters_smtp_error(const wr_counters_t *c, char *buf,
                                   apr_size_t len, apr_time_t *at);

/* wr_counters_snapshot - the sum of every slot */
void wr_counters_snapshot(const wr_counters_t *c, wr_counter_slot_t *sum);

/* wr_action_name - "404", "403", "410", "close", "pass" */
const char *wr_action_name(wr_action_t a);

/* wr_action_parse - the inverse; APR_EINVAL for anything else */
apr_status_t wr_action_parse(const char *s, wr_action_t *a);

/* Output forms of wr_counters_format */
typedef enum {
    WR_FORMAT_JSON = 0,
    WR_FORMAT_PROMETHEUS
} wr_counters_format_t;

/* The status texts beside the counters (the last farm and SMTP errors),
 * shown when there is one: JSON string NAME, ?auto "WormReply" STATUS,
 * under SECTION on the HTML page. */
typedef struct {
    const char *name;
    const char *status;
    const char *section;
    const char *label;
    const char *(*get)(const wr_counters_t *c, char *buf, apr_size_t len,
                       apr_time_t *at);
    unsigned flags;         /* WR_CF_FARM */
} wr_counter_note_t;

/* wr_counter_notes - ended by a row whose name is NULL */
extern const wr_counter_note_t wr_counter_notes[];

/* The version of the status JSON (its first key, "schema"): it goes up
 * only when a key changes meaning or goes away, never for a new key. */
#define WR_COUNTERS_SCHEMA 1

/* wr_counters_format - a snapshot as JSON (keys: schema
 * (WR_COUNTERS_SCHEMA), since, the WR_CF_HEAD fields of the table
 * (requests, probes, exempt, rejected, probe_seconds), families{name:
 * n}, confidence{certain: n, likely: n, recon: n} (probes by their family's confidence), notifying_probes
 * (probes of families that notify by themselves), actions{name: n}, the
 * table's other fields (spooled, notices, ... queued,
 * queue_oldest_seconds ...), farm_last_error and smtp_last_error when
 * there is one) or in the Prometheus text exposition format (wormreply_*
 * metrics), in `p`. Ages are taken at `now`. */
const char *wr_counters_format(const wr_counters_t *c,
                               const wr_counter_slot_t *sum,
                               wr_counters_format_t fmt, apr_time_t now,
                               apr_pool_t *p);

/* wr_counters_auto - the "WormReply<Name>: value" lines of mod_status's
 * ?auto page; the farm's fields only when `farm` is set */
const char *wr_counters_auto(const wr_counters_t *c,
                             const wr_counter_slot_t *sum, int farm,
                             apr_time_t now, apr_pool_t *p);

#endif
