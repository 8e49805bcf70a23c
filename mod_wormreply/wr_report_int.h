/* wr_report_int.h - what the report's aggregation (wr_report.c) shares
 * with its writers (wr_report_write.c: JSON, CSV and text;
 * wr_report_html.c); not for use outside wr_report*.c
 */
#ifndef WR_REPORT_INT_H
#define WR_REPORT_INT_H

#include <stdio.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "wr_report.h"
#include "wr_sketch.h"

/* Per family. */
typedef struct {
    unsigned long long requests, bytes;
    wr_distinct_t sources;
} wr_report_fam_t;

typedef struct {
    unsigned long long tot[WR_SERIES_N];
} wr_report_vrow_t;

struct wr_report_t {
    apr_pool_t *pool;
    const wr_sigset_t *set;
    wr_family_mask_t mask;
    wr_report_opts_t opts;
    int nfam;
    wr_report_totals_t t;
    wr_distinct_t clients;
    wr_report_fam_t fam[WR_MAX_FAMILIES];
    wr_topk_t sources, targets;
    wr_keytab_t vhosts;         /* last slot is "(other)" */
    wr_report_vrow_t *vrow;
    unsigned long long *vfam;   /* (vhost_cap + 1) * nfam */
    int any_vhost;
    wr_series_t series;
    apr_array_header_t *inputs;
    wr_report_namer_t *namer;
    void *namer_baton;
};

/* The state the writers share: the sorted tables, fetched once. */
typedef struct {
    wr_report_t *rep;
    FILE *out;
    apr_pool_t *p;
    wr_report_totals_t t;
    wr_report_top_t *src, *tgt;
    unsigned nsrc, ntgt, nbuckets;
    long width;
    unsigned long long src_max_error, tgt_max_error;
} wr_report_view_t;

/* WR_REPORT_ESC_MAX - room for a key escaped by wr_report_esc_log */
#define WR_REPORT_ESC_MAX (WR_REPORT_KEY_MAX * 4 + 8)

/* wr_report_view_init - fetch the sorted tables once, from pool p */
void wr_report_view_init(wr_report_view_t *v, wr_report_t *rep, FILE *out,
                         apr_pool_t *p);

/* wr_report_fam_active - whether family f is reported */
int wr_report_fam_active(const wr_report_t *rep, int f);

/* wr_report_iso_time - "2004-04-21T14:56:07Z" of a time in seconds */
const char *wr_report_iso_time(long long t, char *buf, size_t size);

/* wr_report_short_time - "2004-04-21 14:56" of a time in seconds; "-"
 * for 0 */
const char *wr_report_short_time(long long t, char *buf, size_t size);

/* wr_report_esc_log - bytes as Apache logs them: printable ASCII as is,
 * '\' as "\\", anything else as \xNN; at most size - 1 bytes */
const char *wr_report_esc_log(const char *s, char *buf, size_t size);

/* wr_report_families_str - "nimda+iis" for a mask, into buf */
const char *wr_report_families_str(const wr_report_t *rep,
                                   wr_family_mask_t m, char *buf,
                                   size_t size);

/* wr_report_share - part / whole, 0 when whole is 0 */
double wr_report_share(unsigned long long part, unsigned long long whole);

/* wr_report_vhost_order - the vhost rows by requests, most first, in
 * *order (from pool p); their number */
unsigned wr_report_vhost_order(const wr_report_t *rep, unsigned **order,
                               apr_pool_t *p);

/* wr_report_write_html - the HTML writer */
void wr_report_write_html(wr_report_view_t *v);

#endif
