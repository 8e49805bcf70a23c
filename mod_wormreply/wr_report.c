/* wr_report.c - probe load of access-log records: the aggregation
 *
 * The bounded structures are in wr_sketch.c, the writers in
 * wr_report_write.c and wr_report_html.c. Everything large is calloc'ed
 * (pages are only touched when used) and freed by a cleanup on the
 * report's pool.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_report_int.h"

void wr_report_opts_init(wr_report_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->bucket = 3600;
    o->source_cap = 10000;
    o->target_cap = 1000;
    o->vhost_cap = 1000;
    o->series_cap = 50000;
    o->distinct_exact = 32768;
    o->top = 10;
    o->log_format = "auto";
}

/* report_cleanup - free what was calloc'ed */
static apr_status_t report_cleanup(void *data)
{
    wr_report_t *rep = data;
    int f;

    wr_distinct_free(&rep->clients);
    for (f = 0; f < WR_MAX_FAMILIES; f++) {
        wr_distinct_free(&rep->fam[f].sources);
    }
    wr_topk_free(&rep->sources);
    wr_topk_free(&rep->targets);
    wr_keytab_free(&rep->vhosts);
    free(rep->vrow);
    free(rep->vfam);
    wr_series_free(&rep->series);
    return APR_SUCCESS;
}

apr_status_t wr_report_create(wr_report_t **prep, const wr_sigset_t *set,
                              wr_family_mask_t mask,
                              const wr_report_opts_t *opts, apr_pool_t *p)
{
    wr_report_t *rep;
    int f, ok;

    if (opts->bucket <= 0 || opts->source_cap == 0 || opts->target_cap == 0
        || opts->vhost_cap == 0 || opts->series_cap < 2
        || opts->distinct_exact == 0 || opts->source_cap > 0x3fffffff
        || opts->target_cap > 0x3fffffff || opts->vhost_cap > 0x3fffffff
        || opts->series_cap > 0x3fffffff) {
        return APR_EINVAL;
    }
    rep = apr_pcalloc(p, sizeof(*rep));
    rep->pool = p;
    rep->set = set;
    rep->mask = mask;
    rep->opts = *opts;
    rep->nfam = wr_sigset_family_count(set);
    rep->inputs = apr_array_make(p, 4, sizeof(const char *));
    rep->clients.cap = opts->distinct_exact;
    for (f = 0; f < WR_MAX_FAMILIES; f++) {
        rep->fam[f].sources.cap = opts->distinct_exact;
    }
    rep->series.width = rep->series.asked = opts->bucket;
    rep->series.cap = opts->series_cap;
    rep->series.nfam = (unsigned)rep->nfam;
    apr_pool_cleanup_register(p, rep, report_cleanup,
                              apr_pool_cleanup_null);
    ok = wr_topk_init(&rep->sources, opts->source_cap)
         && wr_topk_init(&rep->targets, opts->target_cap)
         && wr_keytab_init(&rep->vhosts, opts->vhost_cap + 1)
         && (rep->vrow = calloc(opts->vhost_cap + 1,
                                sizeof(*rep->vrow))) != NULL
         && (rep->vfam = calloc((size_t)(opts->vhost_cap + 1)
                                * (size_t)(rep->nfam ? rep->nfam : 1),
                                sizeof(*rep->vfam))) != NULL
         && wr_series_alloc(&rep->series);
    if (!ok) {
        return APR_ENOMEM;
    }
    *prep = rep;
    return APR_SUCCESS;
}

void wr_report_add_input(wr_report_t *rep, const char *name)
{
    APR_ARRAY_PUSH(rep->inputs, const char *) = apr_pstrdup(rep->pool, name);
}

void wr_report_set_namer(wr_report_t *rep, wr_report_namer_t *namer,
                         void *baton)
{
    rep->namer = namer;
    rep->namer_baton = baton;
}

void wr_report_add_bad(wr_report_t *rep, wr_logline_status_t why)
{
    rep->t.lines++;
    rep->t.bad_lines++;
    if ((unsigned)why < WR_LOGLINE_NSTATUS) {
        rep->t.bad[why]++;
    }
}

/* vhost_row - the row of a vhost, or "(other)" once vhost_cap are used */
static unsigned vhost_row(wr_report_t *rep, const char *k, size_t n)
{
    wr_keytab_t *kt = &rep->vhosts;
    unsigned h, e, other = rep->opts.vhost_cap;

    if (n > WR_REPORT_KEY_MAX - 1) {
        n = WR_REPORT_KEY_MAX - 1;
    }
    h = (unsigned)wr_sketch_hash(k, n);
    if ((e = wr_keytab_find(kt, k, n, h)) != WR_SKETCH_NONE) {
        return e - 1;
    }
    if (kt->n < other) {
        wr_keytab_link(kt, kt->n, k, n, h);
        return kt->n++;
    }
    if (kt->klen[other] == 0) {
        /* outside the chains: "(other)" is never looked up by name */
        memcpy(kt->keys + (size_t)other * WR_REPORT_KEY_MAX, "(other)", 8);
        kt->klen[other] = 7;
    }
    return other;
}

int wr_report_add(wr_report_t *rep, const wr_logrec_t *rec)
{
    wr_match_t m;
    int f = -1;
    const char *client = rec->client ? rec->client : "-";
    size_t clen = rec->client ? rec->client_len : 1;
    unsigned long long ch = wr_sketch_hash(client, clen);
    unsigned v = 0;

    rep->t.lines++;
    rep->t.requests++;
    rep->t.bytes += rec->bytes;
    wr_distinct_add(&rep->clients, ch);
    if (rec->has_request
        && wr_match_line(rep->set, rep->mask, rec->request, rec->request_len,
                         &m)) {
        f = m.family;
    }
    if (rec->has_time) {
        if (rep->t.first == 0 || rec->time < rep->t.first) {
            rep->t.first = rec->time;
        }
        if (rep->t.last == 0 || rec->time > rep->t.last) {
            rep->t.last = rec->time;
        }
        long b = wr_series_bucket(&rep->series, rec->time);
        if (b >= 0) {
            unsigned long long *tot = rep->series.tot
                                      + (size_t)b * WR_SERIES_N;
            tot[WR_SERIES_REQ]++;
            tot[WR_SERIES_BYTES] += rec->bytes;
            if (f >= 0) {
                tot[WR_SERIES_PROBES]++;
                tot[WR_SERIES_PBYTES] += rec->bytes;
                rep->series.fam[(size_t)b * rep->series.nfam + (unsigned)f]++;
            }
        }
    }
    if (rec->vhost) {
        v = vhost_row(rep, rec->vhost, rec->vhost_len);
        rep->any_vhost = 1;
        rep->vrow[v].tot[WR_SERIES_REQ]++;
        rep->vrow[v].tot[WR_SERIES_BYTES] += rec->bytes;
    }
    if (f < 0) {
        return -1;
    }
    rep->t.probes++;
    rep->t.probe_bytes += rec->bytes;
    rep->fam[f].requests++;
    rep->fam[f].bytes += rec->bytes;
    wr_distinct_add(&rep->fam[f].sources, ch);
    if (rec->vhost) {
        rep->vrow[v].tot[WR_SERIES_PROBES]++;
        rep->vrow[v].tot[WR_SERIES_PBYTES] += rec->bytes;
        rep->vfam[(size_t)v * (size_t)rep->nfam + (size_t)f]++;
    }
    wr_topk_hit(&rep->sources, client, clen, rec->has_time, rec->time, f,
                rec->bytes);
    {
        const char *tg;
        size_t tlen;
        const char *qm;

        wr_requestline_target(rec->request, rec->request_len, &tg, &tlen);
        if ((qm = memchr(tg, '?', tlen)) != NULL) {
            tlen = (size_t)(qm - tg);
        }
        wr_topk_hit(&rep->targets, tg, tlen, rec->has_time, rec->time, f,
                    rec->bytes);
    }
    return f;
}

void wr_report_totals(const wr_report_t *rep, wr_report_totals_t *t)
{
    *t = rep->t;
    t->clients = wr_distinct_count(&rep->clients);
    t->clients_estimated = rep->clients.hll != NULL;
}

void wr_report_family(const wr_report_t *rep, int family,
                      wr_report_family_t *out)
{
    memset(out, 0, sizeof(*out));
    if (family < 0 || family >= WR_MAX_FAMILIES) {
        return;
    }
    out->requests = rep->fam[family].requests;
    out->bytes = rep->fam[family].bytes;
    out->sources = wr_distinct_count(&rep->fam[family].sources);
    out->sources_estimated = rep->fam[family].sources.hll != NULL;
}

/* sort context for the top tables (qsort has no baton) */
typedef struct {
    const wr_topk_t *ss;
    unsigned idx;
} rowref_t;

static int cmp_rows(const void *a, const void *b)
{
    const rowref_t *x = a, *y = b;
    const wr_topk_row_t *rx = &x->ss->row[x->idx], *ry = &y->ss->row[y->idx];

    if (rx->count != ry->count) {
        return rx->count > ry->count ? -1 : 1;
    }
    return strcmp(wr_keytab_key(&x->ss->kt, x->idx),
                  wr_keytab_key(&y->ss->kt, y->idx));
}

/* top_rows - the rows of a top-K table, most probes first */
static unsigned top_rows(const wr_topk_t *ss, wr_report_top_t *rows,
                         unsigned max)
{
    rowref_t *refs;
    unsigned i, n = ss->kt.n;

    if (n == 0 || max == 0) {
        return 0;
    }
    if ((refs = malloc(n * sizeof(*refs))) == NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        refs[i].ss = ss;
        refs[i].idx = i;
    }
    qsort(refs, n, sizeof(*refs), cmp_rows);
    for (i = 0; i < n && i < max; i++) {
        const wr_topk_row_t *r = &ss->row[refs[i].idx];
        rows[i].key = wr_keytab_key(&ss->kt, refs[i].idx);
        rows[i].count = r->count;
        rows[i].error = r->error;
        rows[i].bytes = r->bytes;
        rows[i].first = r->first;
        rows[i].last = r->last;
        rows[i].families = r->families;
    }
    free(refs);
    return i;
}

unsigned wr_report_sources(const wr_report_t *rep, wr_report_top_t *rows,
                           unsigned max)
{
    return top_rows(&rep->sources, rows, max);
}

unsigned wr_report_targets(const wr_report_t *rep, wr_report_top_t *rows,
                           unsigned max)
{
    return top_rows(&rep->targets, rows, max);
}

/* cmp_start - order series indices by bucket start (qsort_r) */
static int cmp_start(const void *a, const void *b, void *baton)
{
    const wr_series_t *se = baton;
    long long x = se->start[*(const unsigned *)a];
    long long y = se->start[*(const unsigned *)b];

    return x < y ? -1 : x > y;
}

long wr_report_series(wr_report_t *rep, unsigned *nbuckets)
{
    wr_series_t *se = &rep->series;

    *nbuckets = 0;
    if (se->order == NULL && se->n > 0) {
        unsigned i;
        if ((se->order = malloc(se->n * sizeof(*se->order))) == NULL) {
            return se->width;
        }
        for (i = 0; i < se->n; i++) {
            se->order[i] = i;
        }
        qsort_r(se->order, se->n, sizeof(*se->order), cmp_start, se);
    }
    *nbuckets = se->order ? se->n : 0;
    return se->width;
}

void wr_report_bucket(const wr_report_t *rep, unsigned i,
                      wr_report_bucket_t *b)
{
    const wr_series_t *se = &rep->series;
    unsigned k = se->order[i];

    b->start = se->start[k];
    b->requests = se->tot[(size_t)k * WR_SERIES_N + WR_SERIES_REQ];
    b->bytes = se->tot[(size_t)k * WR_SERIES_N + WR_SERIES_BYTES];
    b->probes = se->tot[(size_t)k * WR_SERIES_N + WR_SERIES_PROBES];
    b->probe_bytes = se->tot[(size_t)k * WR_SERIES_N + WR_SERIES_PBYTES];
    b->family = se->fam + (size_t)k * se->nfam;
}

apr_status_t wr_report_format_parse(const char *s, wr_report_format_t *f)
{
    static const char *const names[] = {"text", "json", "csv", "html"};
    int i;

    for (i = 0; i < 4; i++) {
        if (!strcmp(s, names[i])) {
            *f = (wr_report_format_t)i;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}
