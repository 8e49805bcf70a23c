/* wr_sketch.c - the report's bounded counting structures (wr_sketch.h) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wr_sketch.h"

#define HLL_BITS 14
#define HLL_REGS (1u << HLL_BITS)

/* ---- distinct counter: exact set, then HyperLogLog ------------------ */

/* hll_add - one hash into the registers */
static void hll_add(unsigned char *hll, unsigned long long h)
{
    unsigned idx = (unsigned)(h >> (64 - HLL_BITS));
    unsigned long long w = (h << HLL_BITS) | (1ULL << (HLL_BITS - 1));
    unsigned char rank = (unsigned char)(__builtin_clzll(w) + 1);

    if (hll[idx] < rank) {
        hll[idx] = rank;
    }
}

/* set_put - insert into the exact set; 1 if it was new */
static int set_put(unsigned long long *set, unsigned size,
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

/* wr_distinct_add - count one hash; memory stays under cap * 16 bytes or the
 * 16 KB of registers */
void wr_distinct_add(wr_distinct_t *d, unsigned long long h)
{
    h = h ? h : 1;
    if (d->hll) {
        hll_add(d->hll, h);
        return;
    }
    if (d->set == NULL || (d->used + 1) * 2 > d->size) {
        unsigned nsize = d->set ? d->size * 2 : 64, i;
        unsigned long long *nset;

        if (d->used + 1 > d->cap
            && (d->hll = calloc(HLL_REGS, 1)) != NULL) {
            for (i = 0; i < d->size; i++) {
                if (d->set[i]) {
                    hll_add(d->hll, d->set[i]);
                }
            }
            free(d->set);
            d->set = NULL;
            hll_add(d->hll, h);
            return;
        }
        if ((nset = calloc(nsize, sizeof(*nset))) == NULL) {
            return;     /* out of memory: the count stays a lower bound */
        }
        for (i = 0; d->set && i < d->size; i++) {
            if (d->set[i]) {
                set_put(nset, nsize, d->set[i]);
            }
        }
        free(d->set);
        d->set = nset;
        d->size = nsize;
    }
    d->used += (unsigned)set_put(d->set, d->size, h);
}

/* wr_distinct_count - exact count, or the HyperLogLog estimate with the
 * linear-counting correction for small cardinalities (Flajolet et al.
 * 2007) */
unsigned long long wr_distinct_count(const wr_distinct_t *d)
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

void wr_distinct_free(wr_distinct_t *d)
{
    free(d->set);
    free(d->hll);
    d->set = NULL;
    d->hll = NULL;
}

/* ---- keyed table: fixed-size keys, hash chains ---------------------- */

int wr_keytab_init(wr_keytab_t *kt, unsigned cap)
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

void wr_keytab_free(wr_keytab_t *kt)
{
    free(kt->keys);
    free(kt->klen);
    free(kt->hashv);
    free(kt->next);
    free(kt->heads);
}

const char *wr_keytab_key(const wr_keytab_t *kt, unsigned i)
{
    return kt->keys + (size_t)i * WR_REPORT_KEY_MAX;
}

/* wr_keytab_find - index + 1 of key, WR_SKETCH_NONE if absent */
unsigned wr_keytab_find(const wr_keytab_t *kt, const char *k, size_t n,
                        unsigned h)
{
    unsigned e = kt->heads[h & kt->hmask];

    while (e != WR_SKETCH_NONE) {
        unsigned i = e - 1;
        if (kt->hashv[i] == h && kt->klen[i] == n
            && !memcmp(wr_keytab_key(kt, i), k, n)) {
            return e;
        }
        e = kt->next[i];
    }
    return WR_SKETCH_NONE;
}

/* wr_keytab_link - store key in slot i and chain it */
void wr_keytab_link(wr_keytab_t *kt, unsigned i, const char *k, size_t n,
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

/* wr_keytab_unlink - take slot i out of its chain */
void wr_keytab_unlink(wr_keytab_t *kt, unsigned i)
{
    unsigned *pp = &kt->heads[kt->hashv[i] & kt->hmask];

    while (*pp != WR_SKETCH_NONE && *pp != i + 1) {
        pp = &kt->next[*pp - 1];
    }
    if (*pp == i + 1) {
        *pp = kt->next[i];
    }
}

/* ---- space-saving top-K --------------------------------------------- */

int wr_topk_init(wr_topk_t *ss, unsigned cap)
{
    ss->row = calloc(cap, sizeof(*ss->row));
    ss->heap = calloc(cap, sizeof(*ss->heap));
    return wr_keytab_init(&ss->kt, cap) && ss->row && ss->heap;
}

void wr_topk_free(wr_topk_t *ss)
{
    wr_keytab_free(&ss->kt);
    free(ss->row);
    free(ss->heap);
}

static void topk_swap(wr_topk_t *ss, unsigned a, unsigned b)
{
    unsigned ra = ss->heap[a], rb = ss->heap[b];

    ss->heap[a] = rb;
    ss->heap[b] = ra;
    ss->row[rb].heap = a;
    ss->row[ra].heap = b;
}

/* topk_down - restore the heap after row at position pos grew */
static void topk_down(wr_topk_t *ss, unsigned pos)
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
        topk_swap(ss, pos, m);
        pos = m;
    }
}

/* topk_up - restore the heap after a row was appended at pos */
static void topk_up(wr_topk_t *ss, unsigned pos)
{
    while (pos > 0) {
        unsigned parent = (pos - 1) / 2;
        if (ss->row[ss->heap[parent]].count <= ss->row[ss->heap[pos]].count) {
            return;
        }
        topk_swap(ss, pos, parent);
        pos = parent;
    }
}

/* wr_topk_hit - count one probe for key: O(1) lookup, O(log cap) heap */
void wr_topk_hit(wr_topk_t *ss, const char *k, size_t n, int has_time,
                 long long t, int family, unsigned long long bytes)
{
    unsigned h, e, i;
    wr_topk_row_t *r;

    if (n > WR_REPORT_KEY_MAX - 1) {
        n = WR_REPORT_KEY_MAX - 1;
    }
    h = (unsigned)wr_sketch_hash(k, n);
    e = wr_keytab_find(&ss->kt, k, n, h);
    if (e != WR_SKETCH_NONE) {
        r = &ss->row[e - 1];
        r->count++;
    }
    else if (ss->kt.n < ss->kt.cap) {
        i = ss->kt.n++;
        wr_keytab_link(&ss->kt, i, k, n, h);
        r = &ss->row[i];
        memset(r, 0, sizeof(*r));
        r->count = 1;
        r->heap = i;
        ss->heap[i] = i;
        topk_up(ss, i);
        r = &ss->row[i];
    }
    else {
        /* full: the key with the fewest probes makes room, and the
         * newcomer inherits its count as the error bound */
        i = ss->heap[0];
        wr_keytab_unlink(&ss->kt, i);
        wr_keytab_link(&ss->kt, i, k, n, h);
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
    topk_down(ss, r->heap);
}

/* ---- series --------------------------------------------------------- */

int wr_series_alloc(wr_series_t *se)
{
    unsigned hs = 16;

    while (hs < se->cap * 2) {
        hs <<= 1;
    }
    se->hmask = hs - 1;
    se->start = calloc(se->cap, sizeof(*se->start));
    se->tot = calloc((size_t)se->cap * WR_SERIES_N, sizeof(*se->tot));
    se->fam = calloc((size_t)se->cap * (se->nfam ? se->nfam : 1),
                     sizeof(*se->fam));
    se->heads = calloc(hs, sizeof(*se->heads));
    se->order = NULL;
    se->n = 0;
    se->last = WR_SKETCH_NONE;
    return se->start && se->tot && se->fam && se->heads;
}

void wr_series_free(wr_series_t *se)
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

/* series_slot - index + 1 of the bucket starting at s; created if absent and
 * there is room, WR_SKETCH_NONE when full */
static unsigned series_slot(wr_series_t *se, long long s)
{
    unsigned i = (unsigned)wr_sketch_hash((const char *)&s, sizeof(s))
                 & se->hmask;

    while (se->heads[i] != WR_SKETCH_NONE) {
        if (se->start[se->heads[i] - 1] == s) {
            return se->heads[i];
        }
        i = (i + 1) & se->hmask;
    }
    if (se->n == se->cap) {
        return WR_SKETCH_NONE;
    }
    se->start[se->n] = s;
    se->heads[i] = ++se->n;
    free(se->order);
    se->order = NULL;
    return se->n;
}

/* series_coarsen - double the width and merge buckets pairwise; the table
 * then holds at most half the buckets, so adding can go on */
static int series_coarsen(wr_series_t *se)
{
    wr_series_t old = *se;
    unsigned i, j, f;

    se->width *= 2;
    if (!wr_series_alloc(se)) {
        wr_series_free(se);
        *se = old;
        se->width = old.width;
        return 0;
    }
    for (i = 0; i < old.n; i++) {
        unsigned e = series_slot(se, floor_to(old.start[i], se->width));
        for (j = 0; j < WR_SERIES_N; j++) {
            se->tot[(e - 1) * WR_SERIES_N + j] += old.tot[i * WR_SERIES_N + j];
        }
        for (f = 0; f < se->nfam; f++) {
            se->fam[(e - 1) * se->nfam + f] += old.fam[i * old.nfam + f];
        }
    }
    wr_series_free(&old);
    return 1;
}

/* wr_series_bucket - index of the bucket of time t, -1 if memory ran out */
long wr_series_bucket(wr_series_t *se, long long t)
{
    long long s = floor_to(t, se->width);
    unsigned e;

    if (se->last != WR_SKETCH_NONE && se->start[se->last - 1] == s) {
        return (long)se->last - 1;
    }
    while ((e = series_slot(se, s)) == WR_SKETCH_NONE) {
        if (!series_coarsen(se)) {
            return -1;
        }
        s = floor_to(t, se->width);
    }
    se->last = e;
    return (long)e - 1;
}
