/* wr_report.c - probe load of access-log records, and its writers
 *
 * Layout: bounded building blocks (distinct counter, keyed table,
 * space-saving top-K, series), the aggregation, then the four writers.
 * Everything large is calloc'ed (pages are only touched when used) and
 * freed by a cleanup on the report's pool.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_hash.h"
#include "wr_report.h"
#include "wr_text.h"
#include "wr_time.h"

#define HLL_BITS 14
#define HLL_REGS (1u << HLL_BITS)
#define NONE 0u

/* hash64 - the report's key hash: FNV-1a mixed, so the top bits
 * HyperLogLog uses are as good as the low ones */
static unsigned long long hash64(const char *s, size_t n)
{
    return wr_hash_mix64(wr_hash_fnv1a64(s, n));
}

/* ---- distinct counter: exact set, then HyperLogLog ------------------ */

typedef struct {
    unsigned long long *set;    /* open addressing; 0 = empty slot */
    unsigned size, used, cap;
    unsigned char *hll;         /* non-NULL once estimating */
} distinct_t;

/* dc_hll_add - one hash into the registers */
static void dc_hll_add(unsigned char *hll, unsigned long long h)
{
    unsigned idx = (unsigned)(h >> (64 - HLL_BITS));
    unsigned long long w = (h << HLL_BITS) | (1ULL << (HLL_BITS - 1));
    unsigned char rank = (unsigned char)(__builtin_clzll(w) + 1);

    if (hll[idx] < rank) {
        hll[idx] = rank;
    }
}

/* dc_set_put - insert into the exact set; 1 if it was new */
static int dc_set_put(unsigned long long *set, unsigned size,
                      unsigned long long h)
{
    unsigned i = (unsigned)h & (size - 1);

    while (set[i] != 0) {
        if (set[i] == h) {
            return 0;
        }
        i = (i + 1) & (size - 1);
    }
    set[i] = h;
    return 1;
}

/* dc_add - count one hash; memory stays under cap * 16 bytes or the
 * 16 KB of registers */
static void dc_add(distinct_t *d, unsigned long long h)
{
    h = h ? h : 1;
    if (d->hll) {
        dc_hll_add(d->hll, h);
        return;
    }
    if (d->set == NULL || (d->used + 1) * 2 > d->size) {
        unsigned nsize = d->set ? d->size * 2 : 64, i;
        unsigned long long *nset;

        if (d->used + 1 > d->cap
            && (d->hll = calloc(HLL_REGS, 1)) != NULL) {
            for (i = 0; i < d->size; i++) {
                if (d->set[i]) {
                    dc_hll_add(d->hll, d->set[i]);
                }
            }
            free(d->set);
            d->set = NULL;
            dc_hll_add(d->hll, h);
            return;
        }
        if ((nset = calloc(nsize, sizeof(*nset))) == NULL) {
            return;     /* out of memory: the count stays a lower bound */
        }
        for (i = 0; d->set && i < d->size; i++) {
            if (d->set[i]) {
                dc_set_put(nset, nsize, d->set[i]);
            }
        }
        free(d->set);
        d->set = nset;
        d->size = nsize;
    }
    d->used += (unsigned)dc_set_put(d->set, d->size, h);
}

/* dc_count - exact count, or the HyperLogLog estimate with the linear-
 * counting correction for small cardinalities (Flajolet et al. 2007) */
static unsigned long long dc_count(const distinct_t *d)
{
    double sum = 0, m = HLL_REGS, e;
    unsigned i, zeros = 0;

    if (d->hll == NULL) {
        return d->used;
    }
    for (i = 0; i < HLL_REGS; i++) {
        sum += 1.0 / (double)(1ULL << d->hll[i]);
        zeros += d->hll[i] == 0;
    }
    e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (e <= 2.5 * m && zeros > 0) {
        e = m * log(m / zeros);
    }
    return (unsigned long long)(e + 0.5);
}

static void dc_free(distinct_t *d)
{
    free(d->set);
    free(d->hll);
    d->set = NULL;
    d->hll = NULL;
}

/* ---- keyed table: fixed-size keys, hash chains ---------------------- */

typedef struct {
    unsigned cap, n, hmask;
    char *keys;                 /* cap * WR_REPORT_KEY_MAX */
    unsigned short *klen;
    unsigned *hashv;
    unsigned *next;             /* chain, index + 1; NONE ends */
    unsigned *heads;            /* index + 1 */
} keytab_t;

static int kt_init(keytab_t *kt, unsigned cap)
{
    unsigned hs = 16;

    while (hs < cap * 2) {
        hs <<= 1;
    }
    kt->cap = cap;
    kt->hmask = hs - 1;
    kt->keys = calloc(cap, WR_REPORT_KEY_MAX);
    kt->klen = calloc(cap, sizeof(*kt->klen));
    kt->hashv = calloc(cap, sizeof(*kt->hashv));
    kt->next = calloc(cap, sizeof(*kt->next));
    kt->heads = calloc(hs, sizeof(*kt->heads));
    return kt->keys && kt->klen && kt->hashv && kt->next && kt->heads;
}

static void kt_free(keytab_t *kt)
{
    free(kt->keys);
    free(kt->klen);
    free(kt->hashv);
    free(kt->next);
    free(kt->heads);
}

static const char *kt_key(const keytab_t *kt, unsigned i)
{
    return kt->keys + (size_t)i * WR_REPORT_KEY_MAX;
}

/* kt_find - index + 1 of key, NONE if absent */
static unsigned kt_find(const keytab_t *kt, const char *k, size_t n,
                        unsigned h)
{
    unsigned e = kt->heads[h & kt->hmask];

    while (e != NONE) {
        unsigned i = e - 1;
        if (kt->hashv[i] == h && kt->klen[i] == n
            && !memcmp(kt_key(kt, i), k, n)) {
            return e;
        }
        e = kt->next[i];
    }
    return NONE;
}

/* kt_link - store key in slot i and chain it */
static void kt_link(keytab_t *kt, unsigned i, const char *k, size_t n,
                    unsigned h)
{
    char *dst = kt->keys + (size_t)i * WR_REPORT_KEY_MAX;

    memcpy(dst, k, n);
    dst[n] = '\0';
    kt->klen[i] = (unsigned short)n;
    kt->hashv[i] = h;
    kt->next[i] = kt->heads[h & kt->hmask];
    kt->heads[h & kt->hmask] = i + 1;
}

/* kt_unlink - take slot i out of its chain */
static void kt_unlink(keytab_t *kt, unsigned i)
{
    unsigned *pp = &kt->heads[kt->hashv[i] & kt->hmask];

    while (*pp != NONE && *pp != i + 1) {
        pp = &kt->next[*pp - 1];
    }
    if (*pp == i + 1) {
        *pp = kt->next[i];
    }
}

/* ---- space-saving top-K --------------------------------------------- */

typedef struct {
    unsigned long long count, error, bytes;
    long long first, last;
    wr_family_mask_t families;
    unsigned heap;              /* position in the heap */
} ss_row_t;

typedef struct {
    keytab_t kt;
    ss_row_t *row;
    unsigned *heap;             /* row indices, fewest probes at 0 */
    unsigned long long evictions;
} topk_t;

static int ss_init(topk_t *ss, unsigned cap)
{
    ss->row = calloc(cap, sizeof(*ss->row));
    ss->heap = calloc(cap, sizeof(*ss->heap));
    return kt_init(&ss->kt, cap) && ss->row && ss->heap;
}

static void ss_free(topk_t *ss)
{
    kt_free(&ss->kt);
    free(ss->row);
    free(ss->heap);
}

static void ss_swap(topk_t *ss, unsigned a, unsigned b)
{
    unsigned ra = ss->heap[a], rb = ss->heap[b];

    ss->heap[a] = rb;
    ss->heap[b] = ra;
    ss->row[rb].heap = a;
    ss->row[ra].heap = b;
}

/* ss_down - restore the heap after row at position pos grew */
static void ss_down(topk_t *ss, unsigned pos)
{
    unsigned n = ss->kt.n;

    for (;;) {
        unsigned l = 2 * pos + 1, r = l + 1, m = pos;
        if (l < n && ss->row[ss->heap[l]].count < ss->row[ss->heap[m]].count) {
            m = l;
        }
        if (r < n && ss->row[ss->heap[r]].count < ss->row[ss->heap[m]].count) {
            m = r;
        }
        if (m == pos) {
            return;
        }
        ss_swap(ss, pos, m);
        pos = m;
    }
}

/* ss_up - restore the heap after a row was appended at pos */
static void ss_up(topk_t *ss, unsigned pos)
{
    while (pos > 0) {
        unsigned parent = (pos - 1) / 2;
        if (ss->row[ss->heap[parent]].count <= ss->row[ss->heap[pos]].count) {
            return;
        }
        ss_swap(ss, pos, parent);
        pos = parent;
    }
}

/* ss_hit - count one probe for key: O(1) lookup, O(log cap) heap */
static void ss_hit(topk_t *ss, const char *k, size_t n, int has_time,
                   long long t, int family, unsigned long long bytes)
{
    unsigned h, e, i;
    ss_row_t *r;

    if (n > WR_REPORT_KEY_MAX - 1) {
        n = WR_REPORT_KEY_MAX - 1;
    }
    h = (unsigned)hash64(k, n);
    e = kt_find(&ss->kt, k, n, h);
    if (e != NONE) {
        r = &ss->row[e - 1];
        r->count++;
    }
    else if (ss->kt.n < ss->kt.cap) {
        i = ss->kt.n++;
        kt_link(&ss->kt, i, k, n, h);
        r = &ss->row[i];
        memset(r, 0, sizeof(*r));
        r->count = 1;
        r->heap = i;
        ss->heap[i] = i;
        ss_up(ss, i);
        r = &ss->row[i];
    }
    else {
        /* full: the key with the fewest probes makes room, and the
         * newcomer inherits its count as the error bound */
        i = ss->heap[0];
        kt_unlink(&ss->kt, i);
        kt_link(&ss->kt, i, k, n, h);
        r = &ss->row[i];
        r->error = r->count;
        r->count++;
        r->bytes = 0;
        r->families = 0;
        r->first = r->last = 0;
        ss->evictions++;
    }
    r->bytes += bytes;
    if (family >= 0) {
        r->families |= (wr_family_mask_t)1 << family;
    }
    if (has_time) {
        if (r->first == 0 || t < r->first) {
            r->first = t;
        }
        if (r->last == 0 || t > r->last) {
            r->last = t;
        }
    }
    ss_down(ss, r->heap);
}

/* ---- series --------------------------------------------------------- */

enum { S_REQ, S_BYTES, S_PROBES, S_PBYTES, S_N };

typedef struct {
    long width, asked;
    unsigned cap, n, hmask, nfam;
    long long *start;
    unsigned long long *tot;    /* cap * S_N */
    unsigned long long *fam;    /* cap * nfam */
    unsigned *heads;            /* open addressing, index + 1 */
    unsigned *order;            /* time order, built on demand */
    unsigned last;              /* index + 1 of the last bucket hit */
} series_t;

static int se_alloc(series_t *se)
{
    unsigned hs = 16;

    while (hs < se->cap * 2) {
        hs <<= 1;
    }
    se->hmask = hs - 1;
    se->start = calloc(se->cap, sizeof(*se->start));
    se->tot = calloc((size_t)se->cap * S_N, sizeof(*se->tot));
    se->fam = calloc((size_t)se->cap * (se->nfam ? se->nfam : 1),
                     sizeof(*se->fam));
    se->heads = calloc(hs, sizeof(*se->heads));
    se->order = NULL;
    se->n = 0;
    se->last = NONE;
    return se->start && se->tot && se->fam && se->heads;
}

static void se_free(series_t *se)
{
    free(se->start);
    free(se->tot);
    free(se->fam);
    free(se->heads);
    free(se->order);
}

/* floor_to - t rounded down to a multiple of w (also for t < 0) */
static long long floor_to(long long t, long w)
{
    long long q = t / w;

    if (t % w != 0 && t < 0) {
        q--;
    }
    return q * w;
}

/* se_slot - index + 1 of the bucket starting at s; created if absent and
 * there is room, NONE when full */
static unsigned se_slot(series_t *se, long long s)
{
    unsigned i = (unsigned)hash64((const char *)&s, sizeof(s)) & se->hmask;

    while (se->heads[i] != NONE) {
        if (se->start[se->heads[i] - 1] == s) {
            return se->heads[i];
        }
        i = (i + 1) & se->hmask;
    }
    if (se->n == se->cap) {
        return NONE;
    }
    se->start[se->n] = s;
    se->heads[i] = ++se->n;
    free(se->order);
    se->order = NULL;
    return se->n;
}

/* se_coarsen - double the width and merge buckets pairwise; the table
 * then holds at most half the buckets, so adding can go on */
static int se_coarsen(series_t *se)
{
    series_t old = *se;
    unsigned i, j, f;

    se->width *= 2;
    if (!se_alloc(se)) {
        se_free(se);
        *se = old;
        se->width = old.width;
        return 0;
    }
    for (i = 0; i < old.n; i++) {
        unsigned e = se_slot(se, floor_to(old.start[i], se->width));
        for (j = 0; j < S_N; j++) {
            se->tot[(e - 1) * S_N + j] += old.tot[i * S_N + j];
        }
        for (f = 0; f < se->nfam; f++) {
            se->fam[(e - 1) * se->nfam + f] += old.fam[i * old.nfam + f];
        }
    }
    se_free(&old);
    return 1;
}

/* se_bucket - index of the bucket of time t, -1 if memory ran out */
static long se_bucket(series_t *se, long long t)
{
    long long s = floor_to(t, se->width);
    unsigned e;

    if (se->last != NONE && se->start[se->last - 1] == s) {
        return (long)se->last - 1;
    }
    while ((e = se_slot(se, s)) == NONE) {
        if (!se_coarsen(se)) {
            return -1;
        }
        s = floor_to(t, se->width);
    }
    se->last = e;
    return (long)e - 1;
}

/* ---- the report ----------------------------------------------------- */

typedef struct {
    unsigned long long requests, bytes;
    distinct_t sources;
} fam_t;

typedef struct {
    unsigned long long tot[S_N];
} vrow_t;

struct wr_report_t {
    apr_pool_t *pool;
    const wr_sigset_t *set;
    wr_family_mask_t mask;
    wr_report_opts_t opts;
    int nfam;
    wr_report_totals_t t;
    distinct_t clients;
    fam_t fam[WR_MAX_FAMILIES];
    topk_t sources, targets;
    keytab_t vhosts;            /* last slot is "(other)" */
    vrow_t *vrow;
    unsigned long long *vfam;   /* (vhost_cap + 1) * nfam */
    int any_vhost;
    series_t series;
    apr_array_header_t *inputs;
    wr_report_namer_t *namer;
    void *namer_baton;
};

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

    dc_free(&rep->clients);
    for (f = 0; f < WR_MAX_FAMILIES; f++) {
        dc_free(&rep->fam[f].sources);
    }
    ss_free(&rep->sources);
    ss_free(&rep->targets);
    kt_free(&rep->vhosts);
    free(rep->vrow);
    free(rep->vfam);
    se_free(&rep->series);
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
    ok = ss_init(&rep->sources, opts->source_cap)
         && ss_init(&rep->targets, opts->target_cap)
         && kt_init(&rep->vhosts, opts->vhost_cap + 1)
         && (rep->vrow = calloc(opts->vhost_cap + 1,
                                sizeof(*rep->vrow))) != NULL
         && (rep->vfam = calloc((size_t)(opts->vhost_cap + 1)
                                * (size_t)(rep->nfam ? rep->nfam : 1),
                                sizeof(*rep->vfam))) != NULL
         && se_alloc(&rep->series);
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
    keytab_t *kt = &rep->vhosts;
    unsigned h, e, other = rep->opts.vhost_cap;

    if (n > WR_REPORT_KEY_MAX - 1) {
        n = WR_REPORT_KEY_MAX - 1;
    }
    h = (unsigned)hash64(k, n);
    if ((e = kt_find(kt, k, n, h)) != NONE) {
        return e - 1;
    }
    if (kt->n < other) {
        kt_link(kt, kt->n, k, n, h);
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
    unsigned long long ch = hash64(client, clen);
    unsigned v = 0;

    rep->t.lines++;
    rep->t.requests++;
    rep->t.bytes += rec->bytes;
    dc_add(&rep->clients, ch);
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
        long b = se_bucket(&rep->series, rec->time);
        if (b >= 0) {
            unsigned long long *tot = rep->series.tot + (size_t)b * S_N;
            tot[S_REQ]++;
            tot[S_BYTES] += rec->bytes;
            if (f >= 0) {
                tot[S_PROBES]++;
                tot[S_PBYTES] += rec->bytes;
                rep->series.fam[(size_t)b * rep->series.nfam + (unsigned)f]++;
            }
        }
    }
    if (rec->vhost) {
        v = vhost_row(rep, rec->vhost, rec->vhost_len);
        rep->any_vhost = 1;
        rep->vrow[v].tot[S_REQ]++;
        rep->vrow[v].tot[S_BYTES] += rec->bytes;
    }
    if (f < 0) {
        return -1;
    }
    rep->t.probes++;
    rep->t.probe_bytes += rec->bytes;
    rep->fam[f].requests++;
    rep->fam[f].bytes += rec->bytes;
    dc_add(&rep->fam[f].sources, ch);
    if (rec->vhost) {
        rep->vrow[v].tot[S_PROBES]++;
        rep->vrow[v].tot[S_PBYTES] += rec->bytes;
        rep->vfam[(size_t)v * (size_t)rep->nfam + (size_t)f]++;
    }
    ss_hit(&rep->sources, client, clen, rec->has_time, rec->time, f,
           rec->bytes);
    {
        const char *tg;
        size_t tlen;
        const char *qm;

        wr_requestline_target(rec->request, rec->request_len, &tg, &tlen);
        if ((qm = memchr(tg, '?', tlen)) != NULL) {
            tlen = (size_t)(qm - tg);
        }
        ss_hit(&rep->targets, tg, tlen, rec->has_time, rec->time, f,
               rec->bytes);
    }
    return f;
}

void wr_report_totals(const wr_report_t *rep, wr_report_totals_t *t)
{
    *t = rep->t;
    t->clients = dc_count(&rep->clients);
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
    out->sources = dc_count(&rep->fam[family].sources);
    out->sources_estimated = rep->fam[family].sources.hll != NULL;
}

/* sort context for the top tables (qsort has no baton) */
typedef struct {
    const topk_t *ss;
    unsigned idx;
} rowref_t;

static int cmp_rows(const void *a, const void *b)
{
    const rowref_t *x = a, *y = b;
    const ss_row_t *rx = &x->ss->row[x->idx], *ry = &y->ss->row[y->idx];

    if (rx->count != ry->count) {
        return rx->count > ry->count ? -1 : 1;
    }
    return strcmp(kt_key(&x->ss->kt, x->idx), kt_key(&y->ss->kt, y->idx));
}

/* top_rows - the rows of a top-K table, most probes first */
static unsigned top_rows(const topk_t *ss, wr_report_top_t *rows,
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
        const ss_row_t *r = &ss->row[refs[i].idx];
        rows[i].key = kt_key(&ss->kt, refs[i].idx);
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

/* cmp_start - order series indices by bucket start */
static const series_t *sort_series;
static int cmp_start(const void *a, const void *b)
{
    long long x = sort_series->start[*(const unsigned *)a];
    long long y = sort_series->start[*(const unsigned *)b];

    return x < y ? -1 : x > y;
}

long wr_report_series(wr_report_t *rep, unsigned *nbuckets)
{
    series_t *se = &rep->series;

    *nbuckets = 0;
    if (se->order == NULL && se->n > 0) {
        unsigned i;
        if ((se->order = malloc(se->n * sizeof(*se->order))) == NULL) {
            return se->width;
        }
        for (i = 0; i < se->n; i++) {
            se->order[i] = i;
        }
        sort_series = se;
        qsort(se->order, se->n, sizeof(*se->order), cmp_start);
        sort_series = NULL;
    }
    *nbuckets = se->order ? se->n : 0;
    return se->width;
}

void wr_report_bucket(const wr_report_t *rep, unsigned i,
                      wr_report_bucket_t *b)
{
    const series_t *se = &rep->series;
    unsigned k = se->order[i];

    b->start = se->start[k];
    b->requests = se->tot[(size_t)k * S_N + S_REQ];
    b->bytes = se->tot[(size_t)k * S_N + S_BYTES];
    b->probes = se->tot[(size_t)k * S_N + S_PROBES];
    b->probe_bytes = se->tot[(size_t)k * S_N + S_PBYTES];
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

/* ---- output helpers ------------------------------------------------- */

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
} view_t;

/* fam_active - whether family f is reported */
static int fam_active(const wr_report_t *rep, int f)
{
    return (rep->mask & ((wr_family_mask_t)1 << f)) != 0;
}

/* iso_time - "2004-04-21T14:56:07Z" of a time in seconds */
static const char *iso_time(long long t, char *buf, size_t size)
{
    return wr_time_format(buf, size, WR_TIME_RFC3339, apr_time_from_sec(t));
}

/* put_json_str - a JSON string: valid UTF-8 passes, controls and
 * U+2028/9 are \u-escaped, each byte of invalid UTF-8 becomes U+FFFD;
 * '<', '>' and '&' too, so the JSON can sit inside HTML */
static void put_json_str(FILE *out, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, len;
    apr_uint32_t cp;

    putc('"', out);
    while (i < n) {
        unsigned char c = u[i];

        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                putc('\\', out);
                putc(c, out);
            }
            else if (c < 0x20 || c == 0x7f || c == '<' || c == '>'
                     || c == '&') {
                fprintf(out, "\\u%04x", c);
            }
            else {
                putc(c, out);
            }
            i++;
        }
        else if ((len = wr_text_utf8_decode(u + i, n - i, &cp)) == 0) {
            fputs("\\ufffd", out);
            i++;
        }
        else {
            if (cp == 0x2028 || cp == 0x2029) {
                fprintf(out, "\\u%04x", cp);
            }
            else {
                fwrite(s + i, 1, len, out);
            }
            i += len;
        }
    }
    putc('"', out);
}

static void put_json_cstr(FILE *out, const char *s)
{
    put_json_str(out, s, strlen(s));
}

/* esc_log - bytes as Apache logs them: printable ASCII as is, '\' as
 * "\\", anything else as \xNN. Writes at most size - 1 bytes. */
static const char *esc_log(const char *s, char *buf, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (; *s && o + 5 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\\') {
            buf[o++] = '\\';
            buf[o++] = '\\';
        }
        else if (c >= 0x20 && c < 0x7f) {
            buf[o++] = (char)c;
        }
        else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    buf[o] = '\0';
    return buf;
}

/* ESC_MAX - room for a key escaped by esc_log */
#define ESC_MAX (WR_REPORT_KEY_MAX * 4 + 8)

/* families_str - "nimda+iis" for a mask */
static const char *families_str(const wr_report_t *rep, wr_family_mask_t m,
                                char *buf, size_t size)
{
    int f;
    size_t o = 0;

    buf[0] = '\0';
    for (f = 0; f < rep->nfam; f++) {
        if (m & ((wr_family_mask_t)1 << f)) {
            o += (size_t)apr_snprintf(buf + o, size - o, "%s%s",
                                      o ? "+" : "",
                                      wr_sigset_family_name(rep->set, f));
        }
    }
    return buf;
}

/* share - part of whole as a fraction, 0 for an empty whole */
static double share(unsigned long long part, unsigned long long whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

/* view_init - fetch the tables once for a writer */
static void view_init(view_t *v, wr_report_t *rep, FILE *out,
                              apr_pool_t *p)
{
    unsigned cap, i;

    memset(v, 0, sizeof(*v));
    v->rep = rep;
    v->out = out;
    v->p = p;
    wr_report_totals(rep, &v->t);
    cap = rep->opts.top ? rep->opts.top : rep->opts.source_cap;
    v->src = apr_pcalloc(p, sizeof(*v->src) * cap);
    v->nsrc = wr_report_sources(rep, v->src, cap);
    cap = rep->opts.top ? rep->opts.top : rep->opts.target_cap;
    v->tgt = apr_pcalloc(p, sizeof(*v->tgt) * cap);
    v->ntgt = wr_report_targets(rep, v->tgt, cap);
    v->width = wr_report_series(rep, &v->nbuckets);
    /* the bound on any count's over-estimate: the largest error held */
    for (i = 0; i < rep->sources.kt.n; i++) {
        if (rep->sources.row[i].error > v->src_max_error) {
            v->src_max_error = rep->sources.row[i].error;
        }
    }
    for (i = 0; i < rep->targets.kt.n; i++) {
        if (rep->targets.row[i].error > v->tgt_max_error) {
            v->tgt_max_error = rep->targets.row[i].error;
        }
    }
}

/* vhost_order - vhost rows by requests, most first */
static const wr_report_t *sort_rep;
static int cmp_vhost(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    unsigned long long rx = sort_rep->vrow[x].tot[S_REQ];
    unsigned long long ry = sort_rep->vrow[y].tot[S_REQ];

    if (rx != ry) {
        return rx > ry ? -1 : 1;
    }
    return x < y ? -1 : x > y;
}

static unsigned vhost_order(const wr_report_t *rep, unsigned **order,
                            apr_pool_t *p)
{
    unsigned n = 0, i, cap = rep->opts.vhost_cap;

    *order = apr_palloc(p, sizeof(**order) * (cap + 1));
    for (i = 0; i < rep->vhosts.n; i++) {
        (*order)[n++] = i;
    }
    if (rep->vhosts.klen[cap] != 0) {
        (*order)[n++] = cap;
    }
    sort_rep = rep;
    qsort(*order, n, sizeof(**order), cmp_vhost);
    sort_rep = NULL;
    return n;
}

/* ---- JSON ----------------------------------------------------------- */

static void json_top(view_t *v, const char *name, const char *keyname,
                     const wr_report_top_t *rows, unsigned n, int sources)
{
    FILE *out = v->out;
    char tb[32];
    unsigned i;
    int f;

    fprintf(out, ",\n  \"%s\": [", name);
    for (i = 0; i < n; i++) {
        const wr_report_top_t *r = &rows[i];
        const char *sep = "";

        fprintf(out, "%s\n    {\"%s\": ", i ? "," : "", keyname);
        put_json_cstr(out, r->key);
        if (sources && v->rep->namer) {
            const char *nm = v->rep->namer(v->rep->namer_baton, r->key, v->p);
            fputs(", \"name\": ", out);
            if (nm) {
                put_json_cstr(out, nm);
            }
            else {
                fputs("null", out);
            }
        }
        fprintf(out, ", \"probes\": %llu, \"error\": %llu, "
                "\"probe_bytes\": %llu, \"families\": [",
                r->count, r->error, r->bytes);
        for (f = 0; f < v->rep->nfam; f++) {
            if (r->families & ((wr_family_mask_t)1 << f)) {
                fputs(sep, out);
                put_json_cstr(out, wr_sigset_family_name(v->rep->set, f));
                sep = ", ";
            }
        }
        fputs("], \"first_seen\": ", out);
        if (r->first) {
            fprintf(out, "\"%s\"", iso_time(r->first, tb, sizeof(tb)));
        }
        else {
            fputs("null", out);
        }
        fputs(", \"last_seen\": ", out);
        if (r->last) {
            fprintf(out, "\"%s\"", iso_time(r->last, tb, sizeof(tb)));
        }
        else {
            fputs("null", out);
        }
        fputs("}", out);
    }
    fputs(n ? "\n  ]" : "]", out);
}

static void json_tracking(view_t *v, const char *name, const topk_t *ss,
                          unsigned cap, unsigned long long max_error)
{
    fprintf(v->out, ",\n  \"%s\": {\"method\": \"space-saving\", "
            "\"cap\": %u, \"tracked\": %u, \"exact\": %s, "
            "\"max_error\": %llu, \"error_bound\": %llu}",
            name, cap, ss->kt.n, ss->evictions ? "false" : "true",
            max_error, ss->evictions ? v->t.probes / cap : 0ULL);
}

static void write_json(view_t *v)
{
    wr_report_t *rep = v->rep;
    FILE *out = v->out;
    char tb[32];
    unsigned i;
    int f, k;
    const char *sep = "";

    fputs("{\n  \"generator\": \"wormreply report\",\n  \"log_format\": ",
          out);
    put_json_cstr(out, rep->opts.log_format);
    fputs(",\n  \"inputs\": [", out);
    for (i = 0; i < (unsigned)rep->inputs->nelts; i++) {
        fputs(i ? ", " : "", out);
        put_json_cstr(out, APR_ARRAY_IDX(rep->inputs, i, const char *));
    }
    fprintf(out, "],\n  \"lines\": %llu,\n  \"requests\": %llu,\n"
            "  \"bytes\": %llu,\n  \"probes\": %llu,\n"
            "  \"probe_bytes\": %llu,\n"
            "  \"probe_share\": {\"requests\": %.6f, \"bytes\": %.6f},\n"
            "  \"bad_lines\": %llu,\n  \"bad\": {",
            v->t.lines, v->t.requests, v->t.bytes, v->t.probes,
            v->t.probe_bytes, share(v->t.probes, v->t.requests),
            share(v->t.probe_bytes, v->t.bytes), v->t.bad_lines);
    for (k = 1; k < WR_LOGLINE_NSTATUS; k++) {
        fprintf(out, "%s\"%s\": %llu", k > 1 ? ", " : "",
                wr_logline_status_name((wr_logline_status_t)k), v->t.bad[k]);
    }
    fprintf(out, "},\n  \"clients\": %llu,\n  \"clients_estimated\": %s,\n",
            v->t.clients, v->t.clients_estimated ? "true" : "false");
    fputs("  \"first\": ", out);
    if (v->t.first) {
        fprintf(out, "\"%s\"", iso_time(v->t.first, tb, sizeof(tb)));
    }
    else {
        fputs("null", out);
    }
    fputs(",\n  \"last\": ", out);
    if (v->t.last) {
        fprintf(out, "\"%s\"", iso_time(v->t.last, tb, sizeof(tb)));
    }
    else {
        fputs("null", out);
    }
    fputs(",\n  \"families\": {", out);
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        if (!fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        fprintf(out, "%s\n    ", sep);
        put_json_cstr(out, wr_sigset_family_name(rep->set, f));
        fprintf(out, ": {\"requests\": %llu, \"bytes\": %llu, "
                "\"sources\": %llu, \"sources_estimated\": %s}",
                fa.requests, fa.bytes, fa.sources,
                fa.sources_estimated ? "true" : "false");
        sep = ",";
    }
    fputs(*sep ? "\n  }" : "}", out);
    json_top(v, "sources", "address", v->src, v->nsrc, 1);
    json_tracking(v, "sources_tracking", &rep->sources,
                  rep->opts.source_cap, v->src_max_error);
    json_top(v, "targets", "target", v->tgt, v->ntgt, 0);
    json_tracking(v, "targets_tracking", &rep->targets,
                  rep->opts.target_cap, v->tgt_max_error);
    if (rep->any_vhost) {
        unsigned *vo, nv = vhost_order(rep, &vo, v->p);
        fputs(",\n  \"vhosts\": [", out);
        for (i = 0; i < nv; i++) {
            const vrow_t *r = &rep->vrow[vo[i]];
            fprintf(out, "%s\n    {\"vhost\": ", i ? "," : "");
            put_json_cstr(out, kt_key(&rep->vhosts, vo[i]));
            fprintf(out, ", \"requests\": %llu, \"bytes\": %llu, "
                    "\"probes\": %llu, \"probe_bytes\": %llu, "
                    "\"families\": {", r->tot[S_REQ], r->tot[S_BYTES],
                    r->tot[S_PROBES], r->tot[S_PBYTES]);
            sep = "";
            for (f = 0; f < rep->nfam; f++) {
                if (fam_active(rep, f)) {
                    fputs(sep, out);
                    put_json_cstr(out, wr_sigset_family_name(rep->set, f));
                    fprintf(out, ": %llu",
                            rep->vfam[(size_t)vo[i] * (size_t)rep->nfam
                                      + (size_t)f]);
                    sep = ", ";
                }
            }
            fputs("}}", out);
        }
        fputs(nv ? "\n  ]" : "]", out);
    }
    fprintf(out, ",\n  \"series\": {\"bucket_seconds\": %ld, "
            "\"requested_bucket_seconds\": %ld, \"cap\": %u, \"buckets\": [",
            v->width, rep->series.asked, rep->series.cap);
    for (i = 0; i < v->nbuckets; i++) {
        wr_report_bucket_t b;
        wr_report_bucket(rep, i, &b);
        fprintf(out, "%s\n    {\"start\": \"%s\", \"requests\": %llu, "
                "\"bytes\": %llu, \"probes\": %llu, \"probe_bytes\": %llu, "
                "\"families\": {", i ? "," : "",
                iso_time(b.start, tb, sizeof(tb)), b.requests, b.bytes,
                b.probes, b.probe_bytes);
        sep = "";
        for (f = 0; f < rep->nfam; f++) {
            if (fam_active(rep, f)) {
                fputs(sep, out);
                put_json_cstr(out, wr_sigset_family_name(rep->set, f));
                fprintf(out, ": %llu", b.family[f]);
                sep = ", ";
            }
        }
        fputs("}}", out);
    }
    fputs(v->nbuckets ? "\n  ]}\n}\n" : "]}\n}\n", out);
}

/* ---- CSV ------------------------------------------------------------ */

/* put_csv - one field: escaped as the log escapes it, then quoted if it
 * holds a comma or a quote (RFC 4180) */
static void put_csv(FILE *out, const char *s)
{
    char buf[ESC_MAX];
    const char *e = esc_log(s, buf, sizeof(buf));

    if (strpbrk(e, ",\"") == NULL) {
        fputs(e, out);
        return;
    }
    putc('"', out);
    for (; *e; e++) {
        if (*e == '"') {
            putc('"', out);
        }
        putc(*e, out);
    }
    putc('"', out);
}

static void csv_time(FILE *out, long long t)
{
    if (t) {
        char tb[32];
        fputs(iso_time(t, tb, sizeof(tb)), out);
    }
}

static void write_csv(view_t *v)
{
    wr_report_t *rep = v->rep;
    FILE *out = v->out;
    char fb[WR_MAX_FAMILIES * (WR_FAMILY_NAME_MAX + 1) + 1];
    unsigned i;
    int f;

    fputs("section,key,family,requests,bytes,probes,probe_bytes,sources,"
          "error,first_seen,last_seen\n", out);
    fprintf(out, "total,,,%llu,%llu,%llu,%llu,%llu,,", v->t.requests,
            v->t.bytes, v->t.probes, v->t.probe_bytes, v->t.clients);
    csv_time(out, v->t.first);
    putc(',', out);
    csv_time(out, v->t.last);
    fprintf(out, "\nbad_lines,,,%llu,,,,,,,\n", v->t.bad_lines);
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        if (!fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        fprintf(out, "family,%s,%s,,,%llu,%llu,%llu,,,\n",
                wr_sigset_family_name(rep->set, f),
                wr_sigset_family_name(rep->set, f), fa.requests, fa.bytes,
                fa.sources);
    }
    for (i = 0; i < v->nsrc; i++) {
        const wr_report_top_t *r = &v->src[i];
        fputs("source,", out);
        put_csv(out, r->key);
        fprintf(out, ",%s,,,%llu,%llu,,%llu,",
                families_str(rep, r->families, fb, sizeof(fb)), r->count,
                r->bytes, r->error);
        csv_time(out, r->first);
        putc(',', out);
        csv_time(out, r->last);
        putc('\n', out);
    }
    for (i = 0; i < v->ntgt; i++) {
        const wr_report_top_t *r = &v->tgt[i];
        fputs("target,", out);
        put_csv(out, r->key);
        fprintf(out, ",%s,,,%llu,%llu,,%llu,",
                families_str(rep, r->families, fb, sizeof(fb)), r->count,
                r->bytes, r->error);
        csv_time(out, r->first);
        putc(',', out);
        csv_time(out, r->last);
        putc('\n', out);
    }
    if (rep->any_vhost) {
        unsigned *vo, nv = vhost_order(rep, &vo, v->p);
        for (i = 0; i < nv; i++) {
            const vrow_t *r = &rep->vrow[vo[i]];
            fputs("vhost,", out);
            put_csv(out, kt_key(&rep->vhosts, vo[i]));
            fprintf(out, ",,%llu,%llu,%llu,%llu,,,,\n", r->tot[S_REQ],
                    r->tot[S_BYTES], r->tot[S_PROBES], r->tot[S_PBYTES]);
        }
    }
    for (i = 0; i < v->nbuckets; i++) {
        wr_report_bucket_t b;
        char tb[32];
        wr_report_bucket(rep, i, &b);
        iso_time(b.start, tb, sizeof(tb));
        fprintf(out, "bucket,%s,,%llu,%llu,%llu,%llu,,,,\n", tb,
                b.requests, b.bytes, b.probes, b.probe_bytes);
        for (f = 0; f < rep->nfam; f++) {
            if (fam_active(rep, f) && b.family[f]) {
                fprintf(out, "bucket,%s,%s,,,%llu,,,,,\n", tb,
                        wr_sigset_family_name(rep->set, f), b.family[f]);
            }
        }
    }
}

/* ---- text ----------------------------------------------------------- */

/* num - 1234567 as "1,234,567" */
static const char *num(unsigned long long n, char *buf, size_t size)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof(tmp), "%llu", n), i, o = 0;

    for (i = 0; i < len && (size_t)o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            buf[o++] = ',';
        }
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

/* short_time - "2004-04-21 14:56" of a time in seconds; "-" for 0 */
static const char *short_time(long long t, char *buf, size_t size)
{
    if (t == 0) {
        apr_cpystrn(buf, "-", size);
        return buf;
    }
    return wr_time_format(buf, size, WR_TIME_MINUTE, apr_time_from_sec(t));
}

/* cmp_busy - bucket positions by probes, most first, then by time */
static wr_report_t *sort_busy;
static int cmp_busy(const void *a, const void *b)
{
    wr_report_bucket_t x, y;

    wr_report_bucket(sort_busy, *(const unsigned *)a, &x);
    wr_report_bucket(sort_busy, *(const unsigned *)b, &y);
    if (x.probes != y.probes) {
        return x.probes > y.probes ? -1 : 1;
    }
    return x.start < y.start ? -1 : x.start > y.start;
}

static int cmp_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

static void write_text(view_t *v)
{
    wr_report_t *rep = v->rep;
    FILE *out = v->out;
    char n1[32], n2[32], n3[32], t1[32], t2[32], esc[ESC_MAX];
    char fb[WR_MAX_FAMILIES * (WR_FAMILY_NAME_MAX + 1) + 1];
    unsigned i, nprobe = 0, *busy, nshow;
    int f;

    fprintf(out, "wormreply report: %s lines", num(v->t.lines, n1,
                                                    sizeof(n1)));
    if (v->t.first) {
        fprintf(out, ", %s to %s UTC", short_time(v->t.first, t1, sizeof(t1)),
                short_time(v->t.last, t2, sizeof(t2)));
    }
    fputs("\n\n", out);
    fprintf(out, "  requests     %15s   bytes %19s\n",
            num(v->t.requests, n1, sizeof(n1)),
            num(v->t.bytes, n2, sizeof(n2)));
    fprintf(out, "  probes       %15s   bytes %19s   (%.2f %% of requests, "
            "%.2f %% of bytes)\n", num(v->t.probes, n1, sizeof(n1)),
            num(v->t.probe_bytes, n2, sizeof(n2)),
            100 * share(v->t.probes, v->t.requests),
            100 * share(v->t.probe_bytes, v->t.bytes));
    fprintf(out, "  clients      %15s%s\n", num(v->t.clients, n1, sizeof(n1)),
            v->t.clients_estimated ? " (estimated)" : "");
    fprintf(out, "  bad lines    %15s", num(v->t.bad_lines, n1, sizeof(n1)));
    for (f = 1; f < WR_LOGLINE_NSTATUS; f++) {
        if (v->t.bad[f]) {
            fprintf(out, "   %s %llu",
                    wr_logline_status_name((wr_logline_status_t)f),
                    v->t.bad[f]);
        }
    }
    fputs("\n\nfamilies\n", out);
    fprintf(out, "  %-16s %12s %8s %16s %8s %9s\n", "family", "requests",
            "%req", "bytes", "%bytes", "sources");
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        if (!fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        fprintf(out, "  %-16s %12s %8.2f %16s %8.2f %9s%s\n",
                wr_sigset_family_name(rep->set, f),
                num(fa.requests, n1, sizeof(n1)),
                100 * share(fa.requests, v->t.requests),
                num(fa.bytes, n2, sizeof(n2)),
                100 * share(fa.bytes, v->t.bytes),
                num(fa.sources, n3, sizeof(n3)),
                fa.sources_estimated ? "~" : "");
    }
    fprintf(out, "\ntop sources (%u tracked of at most %u; %s)\n",
            rep->sources.kt.n, rep->opts.source_cap,
            rep->sources.evictions ? "counts may over-count by 'error'"
                                   : "counts exact");
    fprintf(out, "  %-39s %10s %8s %-18s %-16s %-16s%s\n", "address",
            "probes", "error", "families", "first seen", "last seen",
            rep->namer ? " name (confirmed reverse DNS)" : "");
    for (i = 0; i < v->nsrc; i++) {
        const wr_report_top_t *r = &v->src[i];
        const char *nm = rep->namer ? rep->namer(rep->namer_baton, r->key,
                                                 v->p) : NULL;
        fprintf(out, "  %-39s %10s %8llu %-18s %-16s %-16s",
                esc_log(r->key, esc, sizeof(esc)),
                num(r->count, n1, sizeof(n1)), r->error,
                families_str(rep, r->families, fb, sizeof(fb)),
                short_time(r->first, t1, sizeof(t1)),
                short_time(r->last, t2, sizeof(t2)));
        if (rep->namer) {
            fprintf(out, " %s", nm ? esc_log(nm, esc, sizeof(esc)) : "-");
        }
        fputc('\n', out);
    }
    fputs("\ntop probe targets\n", out);
    fprintf(out, "  %10s %8s %-18s %s\n", "probes", "error", "families",
            "target");
    for (i = 0; i < v->ntgt; i++) {
        const wr_report_top_t *r = &v->tgt[i];
        esc_log(r->key, esc, sizeof(esc));
        fprintf(out, "  %10s %8llu %-18s %.100s%s\n",
                num(r->count, n1, sizeof(n1)), r->error,
                families_str(rep, r->families, fb, sizeof(fb)), esc,
                strlen(esc) > 100 ? "..." : "");
    }
    if (rep->any_vhost) {
        unsigned *vo, nv = vhost_order(rep, &vo, v->p);
        fputs("\nvirtual hosts\n", out);
        fprintf(out, "  %-32s %12s %16s %10s %16s\n", "vhost", "requests",
                "bytes", "probes", "probe bytes");
        for (i = 0; i < nv && (rep->opts.top == 0 || i < rep->opts.top);
             i++) {
            const vrow_t *r = &rep->vrow[vo[i]];
            char n4[32];
            fprintf(out, "  %-32s %12s %16s %10s %16s\n",
                    esc_log(kt_key(&rep->vhosts, vo[i]), esc, sizeof(esc)),
                    num(r->tot[S_REQ], n1, sizeof(n1)),
                    num(r->tot[S_BYTES], n2, sizeof(n2)),
                    num(r->tot[S_PROBES], n3, sizeof(n3)),
                    num(r->tot[S_PBYTES], n4, sizeof(n4)));
        }
    }
    /* the busiest buckets, in time order: the full series is for JSON,
     * CSV and HTML */
    busy = apr_palloc(v->p, sizeof(*busy) * (v->nbuckets + 1));
    for (i = 0; i < v->nbuckets; i++) {
        wr_report_bucket_t b;
        wr_report_bucket(rep, i, &b);
        if (b.probes) {
            busy[nprobe++] = i;
        }
    }
    sort_busy = rep;
    qsort(busy, nprobe, sizeof(*busy), cmp_busy);
    sort_busy = NULL;
    nshow = rep->opts.top && rep->opts.top < nprobe ? rep->opts.top : nprobe;
    qsort(busy, nshow, sizeof(*busy), cmp_uint);
    fprintf(out, "\nbusiest %s of %ld s by probes (%u of %u with probes)\n",
            v->width == 3600 ? "hours" : "buckets", v->width, nshow, nprobe);
    fprintf(out, "  %-16s %10s %10s", "start (UTC)", "requests", "probes");
    for (f = 0; f < rep->nfam; f++) {
        if (fam_active(rep, f)) {
            fprintf(out, " %10.10s", wr_sigset_family_name(rep->set, f));
        }
    }
    putc('\n', out);
    for (i = 0; i < nshow; i++) {
        wr_report_bucket_t b;
        wr_report_bucket(rep, busy[i], &b);
        fprintf(out, "  %-16s %10s %10s", short_time(b.start, t1, sizeof(t1)),
                num(b.requests, n1, sizeof(n1)),
                num(b.probes, n2, sizeof(n2)));
        for (f = 0; f < rep->nfam; f++) {
            if (fam_active(rep, f)) {
                fprintf(out, " %10s", num(b.family[f], n1, sizeof(n1)));
            }
        }
        putc('\n', out);
    }
}

/* ---- HTML ----------------------------------------------------------- */

static const char *const palette[] = {
    "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

/* put_html - text for HTML: log-escaped, then entity-escaped */
static void put_html(FILE *out, const char *s)
{
    char buf[ESC_MAX];
    const char *e = esc_log(s, buf, sizeof(buf));

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
static void html_chart(view_t *v)
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
            if (!fam_active(rep, f)) {
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
                        iso_time(b.start, tb, sizeof(tb)),
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
                short_time(b.start, tb, sizeof(tb)));
    }
    fputs("</svg>\n<p class=\"legend\">", out);
    for (f = 0, c = 0; f < rep->nfam; f++) {
        if (fam_active(rep, f)) {
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

static void html_top(view_t *v, const char *id, const char *title,
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
                families_str(v->rep, r->families, fb, sizeof(fb)),
                short_time(r->first, t1, sizeof(t1)),
                short_time(r->last, t2, sizeof(t2)));
    }
    fputs("</table>\n", out);
}

static void write_html(view_t *v)
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
            short_time(v->t.first, t1, sizeof(t1)),
            short_time(v->t.last, t2, sizeof(t2)));
    fprintf(out, "<table id=\"totals\">\n"
            "<tr><th></th><th>count</th><th>bytes</th></tr>\n"
            "<tr><td>requests</td><td class=\"n\" id=\"requests\">%llu</td>"
            "<td class=\"n\" id=\"bytes\">%llu</td></tr>\n"
            "<tr><td>probes</td><td class=\"n\" id=\"probes\">%llu</td>"
            "<td class=\"n\" id=\"probe_bytes\">%llu</td></tr>\n"
            "<tr><td>probe share</td><td class=\"n\">%.2f %%</td>"
            "<td class=\"n\">%.2f %%</td></tr>\n"
            "<tr><td>bad lines</td><td class=\"n\" id=\"bad_lines\">%llu</td>"
            "<td>", v->t.requests, v->t.bytes, v->t.probes, v->t.probe_bytes,
            100 * share(v->t.probes, v->t.requests),
            100 * share(v->t.probe_bytes, v->t.bytes), v->t.bad_lines);
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
          "<th>requests</th><th>bytes</th><th>sources</th></tr>\n", out);
    for (f = 0; f < rep->nfam; f++) {
        wr_report_family_t fa;
        if (!fam_active(rep, f)) {
            continue;
        }
        wr_report_family(rep, f, &fa);
        fprintf(out, "<tr><td>%s</td><td class=\"n\">%llu</td>"
                "<td class=\"n\">%llu</td><td class=\"n\">%llu%s</td></tr>\n",
                wr_sigset_family_name(rep->set, f), fa.requests, fa.bytes,
                fa.sources, fa.sources_estimated ? " (estimated)" : "");
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
        unsigned *vo, nv = vhost_order(rep, &vo, v->p);
        fputs("<h2>Virtual hosts</h2>\n<table id=\"vhosts\">\n<tr>"
              "<th>vhost</th><th>requests</th><th>bytes</th><th>probes</th>"
              "<th>probe bytes</th></tr>\n", out);
        for (i = 0; i < nv; i++) {
            const vrow_t *r = &rep->vrow[vo[i]];
            fputs("<tr><td class=\"key\">", out);
            put_html(out, kt_key(&rep->vhosts, vo[i]));
            fprintf(out, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu"
                    "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>"
                    "</tr>\n", r->tot[S_REQ], r->tot[S_BYTES],
                    r->tot[S_PROBES], r->tot[S_PBYTES]);
        }
        fputs("</table>\n", out);
    }
    fputs("<h2>Series</h2>\n<details><summary>buckets with probes</summary>"
          "\n<table id=\"series\">\n<tr><th>start (UTC)</th><th>requests</th>"
          "<th>probes</th>", out);
    for (f = 0; f < rep->nfam; f++) {
        if (fam_active(rep, f)) {
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
                iso_time(b.start, t1, sizeof(t1)), b.requests, b.probes);
        for (f = 0; f < rep->nfam; f++) {
            if (fam_active(rep, f)) {
                fprintf(out, "<td class=\"n\">%llu</td>", b.family[f]);
            }
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n</details>\n</body>\n</html>\n", out);
}

apr_status_t wr_report_write(wr_report_t *rep, wr_report_format_t f,
                             FILE *out)
{
    view_t v;
    apr_pool_t *p;

    if (apr_pool_create(&p, rep->pool) != APR_SUCCESS) {
        return APR_ENOMEM;
    }
    apr_pool_tag(p, "wr_report_write");
    view_init(&v, rep, out, p);
    switch (f) {
    case WR_REPORT_JSON: write_json(&v); break;
    case WR_REPORT_CSV: write_csv(&v); break;
    case WR_REPORT_HTML: write_html(&v); break;
    default: write_text(&v); break;
    }
    apr_pool_destroy(p);
    if (fflush(out) != 0 || ferror(out)) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}
