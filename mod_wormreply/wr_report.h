/* wr_report.h - probe load of access-log records, and its writers
 *
 * A report takes parsed log records (wr_logfmt.h) one at a time, matches
 * each request line with wr_match_line() - the module's classification -
 * and keeps:
 *   totals      requests, bytes, probes, probe bytes, bad lines by reason,
 *               distinct clients
 *   families    per active family: probe requests, bytes, distinct sources
 *   sources     the probing addresses with the most probes
 *   targets     the most probed targets (path without query, first
 *               WR_REPORT_KEY_MAX - 1 bytes)
 *   vhosts      per %v/%V when the log has it
 *   series      per time bucket (default one hour, UTC-aligned): requests,
 *               bytes, probes, probe bytes, probes per family
 *
 * Memory is bounded whatever the input; it never grows with the number of
 * lines, only (up to these caps) with what is distinct:
 *   - sources and targets: a space-saving top-K (Metwally, Agrawal, El
 *     Abbadi 2005) tracking at most source_cap (10,000) addresses and
 *     target_cap (1,000) targets. Once full, a new key replaces the key
 *     with the fewest probes and inherits that count as its `error`. A
 *     reported count c with error e means the true count is in
 *     [c - e, c]; every key with more than N/cap probes (N = all probes)
 *     is in the table. With no more distinct keys than the cap, counts
 *     are exact (error 0). first/last seen, bytes and families of a
 *     replaced key are those since it entered the table.
 *   - distinct sources/clients: exact up to distinct_exact (32,768)
 *     addresses per counter, then a HyperLogLog estimate (2^14 registers,
 *     standard error 0.8 %); the output says which.
 *   - vhosts: the first vhost_cap (1,000) names; later ones are summed
 *     into "(other)".
 *   - series: at most series_cap (50,000) non-empty buckets; one more
 *     doubles the bucket width and merges (the output gives the width
 *     used and the one asked for).
 * Keys longer than WR_REPORT_KEY_MAX - 1 bytes are cut. Worst case with
 * the defaults: 3.3 MB for sources, 0.5 MB for targets and vhosts, 1 MB
 * per distinct counter (clients, each active family), 2.7 MB for the
 * series of three families; memory is touched only as it is used.
 *
 * Output: text (default), JSON, CSV, HTML. JSON top-level keys schema
 * (WR_REPORT_JSON_SCHEMA), requests, bytes, probes, probe_bytes,
 * bad_lines, families, sources and series are a public interface. Every byte from the log is escaped for the output
 * it goes to (JSON \u escapes, invalid UTF-8 as U+FFFD; text, CSV and
 * HTML as Apache's \xNN), so a report of hostile input is safe to view.
 */
#ifndef WR_REPORT_H
#define WR_REPORT_H

#include <stdio.h>

#include <apr_pools.h>

#include "wr_logfmt.h"
#include "wr_match.h"

#define WR_REPORT_KEY_MAX 256

/* The JSON output's "schema" key: raised when a key changes meaning or
 * goes away (new keys do not raise it). */
#define WR_REPORT_JSON_SCHEMA 1

typedef enum {
    WR_REPORT_TEXT = 0,
    WR_REPORT_JSON,
    WR_REPORT_CSV,
    WR_REPORT_HTML
} wr_report_format_t;

typedef struct {
    long bucket;                /* series bucket in seconds (3600) */
    unsigned source_cap;        /* sources tracked (10,000) */
    unsigned target_cap;        /* targets tracked (1,000) */
    unsigned vhost_cap;         /* vhosts kept apart (1,000) */
    unsigned series_cap;        /* non-empty buckets (50,000) */
    unsigned distinct_exact;    /* exact distinct count up to (32,768) */
    unsigned top;               /* rows per output table; 0 = all (10) */
    const char *log_format;     /* shown in the output */
} wr_report_opts_t;

typedef struct wr_report_t wr_report_t;

/* A name for a source address, or NULL. The place where --resolve plugs
 * in a confirmed-reverse-DNS lookup; called only for the rows written. */
typedef const char *wr_report_namer_t(void *baton, const char *address,
                                      apr_pool_t *p);

/* One row of the sources or targets table. */
typedef struct {
    const char *key;                /* address or target, NUL-terminated */
    unsigned long long count;       /* probes (upper bound, see error) */
    unsigned long long error;       /* over-count bound; 0 = exact */
    unsigned long long bytes;       /* probe bytes while tracked */
    long long first, last;          /* seen, UTC seconds; 0 if no time */
    wr_family_mask_t families;      /* families seen while tracked */
} wr_report_top_t;

/* One non-empty series bucket. `family` has one count per family of the
 * set (index as in wr_sigset_family_name). */
typedef struct {
    long long start;                /* UTC seconds, a multiple of width */
    unsigned long long requests, bytes, probes, probe_bytes;
    const unsigned long long *family;
} wr_report_bucket_t;

typedef struct {
    unsigned long long lines, requests, bytes, probes, probe_bytes;
    unsigned long long bad_lines;
    unsigned long long bad[WR_LOGLINE_NSTATUS];
    unsigned long long clients;     /* distinct client addresses */
    int clients_estimated;
    long long first, last;          /* 0 when no line had a time */
} wr_report_totals_t;

typedef struct {
    unsigned long long requests, bytes, sources;
    int sources_estimated;
} wr_report_family_t;

/* wr_report_opts_init - the defaults above */
void wr_report_opts_init(wr_report_opts_t *opts);

/* wr_report_create - an empty report over `set`/`mask`; its memory is
 * freed with `p`. @return APR_EINVAL for a zero cap or bucket, APR_ENOMEM */
apr_status_t wr_report_create(wr_report_t **prep, const wr_sigset_t *set,
                              wr_family_mask_t mask,
                              const wr_report_opts_t *opts, apr_pool_t *p);

/* wr_report_add - count one good record. @return the family index of a
 * probe, -1 for any other request. */
int wr_report_add(wr_report_t *rep, const wr_logrec_t *rec);

/* wr_report_add_bad - count one bad line */
void wr_report_add_bad(wr_report_t *rep, wr_logline_status_t why);

/* wr_report_add_input - name an input file in the output */
void wr_report_add_input(wr_report_t *rep, const char *name);

/* wr_report_set_namer - install a source namer (see above) */
void wr_report_set_namer(wr_report_t *rep, wr_report_namer_t *namer,
                         void *baton);

/* Reading the state back (for the writers and for tests). */
void wr_report_totals(const wr_report_t *rep, wr_report_totals_t *t);
void wr_report_family(const wr_report_t *rep, int family,
                      wr_report_family_t *f);
/* wr_report_sources/targets - the tracked rows, most probes first (ties
 * by key). @return how many were written to `rows` (at most max). */
unsigned wr_report_sources(const wr_report_t *rep, wr_report_top_t *rows,
                           unsigned max);
unsigned wr_report_targets(const wr_report_t *rep, wr_report_top_t *rows,
                           unsigned max);
/* wr_report_series - the bucket width in use and the number of non-empty
 * buckets, and puts them in time order; wr_report_bucket then reads
 * bucket i of that order (valid until the next wr_report_add). */
long wr_report_series(wr_report_t *rep, unsigned *nbuckets);
void wr_report_bucket(const wr_report_t *rep, unsigned i,
                      wr_report_bucket_t *b);

/* wr_report_format_parse - "text", "json", "csv", "html" */
apr_status_t wr_report_format_parse(const char *s, wr_report_format_t *f);

/* wr_report_write - the report to `out` in format `f`. @return APR_EGENERAL
 * if writing failed (errno tells why). */
apr_status_t wr_report_write(wr_report_t *rep, wr_report_format_t f,
                             FILE *out);

#endif
