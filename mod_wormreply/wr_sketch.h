/* wr_sketch.h - the report's bounded counting structures
 *
 * Four building blocks whose memory is fixed when they are made (or, for
 * the distinct counter, capped), whatever the input: a distinct counter
 * (an exact set, then HyperLogLog), a keyed table of fixed-size keys, a
 * space-saving top-K over that table, and a time series of buckets that
 * coarsens when full. wr_report.c aggregates with them; nothing here
 * knows about log lines or output. Memory is calloc'ed (pages are
 * touched only when used); the owner frees it with the _free calls. Not
 * thread-safe: one owner at a time.
 */
#ifndef WR_SKETCH_H
#define WR_SKETCH_H

#include <stddef.h>

#include "wr_hash.h"
#include "wr_report.h"      /* WR_REPORT_KEY_MAX, wr_family_mask_t */

/* "No entry" in the tables' index + 1 links. */
#define WR_SKETCH_NONE 0u

/* wr_sketch_hash - the structures' key hash: FNV-1a mixed, so the top
 * bits HyperLogLog uses are as good as the low ones */
static inline unsigned long long wr_sketch_hash(const char *s, size_t n)
{
    return wr_hash_mix64(wr_hash_fnv1a64(s, n));
}

/* ---- distinct counter: exact set, then HyperLogLog ------------------ */

/* Zeroed, with cap set: the number of hashes kept exactly before the
 * counter turns to 2^14 HyperLogLog registers (standard error 0.8 %). */
typedef struct {
    unsigned long long *set;    /* open addressing; 0 = empty slot */
    unsigned size, used, cap;
    unsigned char *hll;         /* non-NULL once estimating */
} wr_distinct_t;

/* wr_distinct_add - count one hash; memory stays under cap * 16 bytes
 * or the 16 KB of registers (out of memory: the count stays a lower
 * bound) */
void wr_distinct_add(wr_distinct_t *d, unsigned long long h);

/* wr_distinct_count - the exact count, or the HyperLogLog estimate
 * (hll != NULL says which) */
unsigned long long wr_distinct_count(const wr_distinct_t *d);

/* wr_distinct_free - release the set or the registers */
void wr_distinct_free(wr_distinct_t *d);

/* ---- keyed table: fixed-size keys, hash chains ---------------------- */

/* At most cap keys of up to WR_REPORT_KEY_MAX - 1 bytes, slots 0..n-1
 * used in order; the caller picks the slot a new key goes to. */
typedef struct {
    unsigned cap, n, hmask;
    char *keys;                 /* cap * WR_REPORT_KEY_MAX */
    unsigned short *klen;
    unsigned *hashv;
    unsigned *next;             /* chain, index + 1; WR_SKETCH_NONE ends */
    unsigned *heads;            /* index + 1 */
} wr_keytab_t;

/* wr_keytab_init - room for cap keys; 0 if memory ran out (free it
 * anyway) */
int wr_keytab_init(wr_keytab_t *kt, unsigned cap);

/* wr_keytab_free - release the table */
void wr_keytab_free(wr_keytab_t *kt);

/* wr_keytab_key - the NUL-terminated key of slot i */
const char *wr_keytab_key(const wr_keytab_t *kt, unsigned i);

/* wr_keytab_find - slot + 1 of the key (n bytes, hash h), or
 * WR_SKETCH_NONE */
unsigned wr_keytab_find(const wr_keytab_t *kt, const char *k, size_t n,
                        unsigned h);

/* wr_keytab_link - store the key (n < WR_REPORT_KEY_MAX bytes, hash h)
 * in slot i and chain it */
void wr_keytab_link(wr_keytab_t *kt, unsigned i, const char *k, size_t n,
                    unsigned h);

/* wr_keytab_unlink - take slot i out of its chain */
void wr_keytab_unlink(wr_keytab_t *kt, unsigned i);

/* ---- space-saving top-K --------------------------------------------- */

/* Metwally, Agrawal and El Abbadi (2005): at most kt.cap keys; once full,
 * a new key replaces the one with the fewest probes and inherits its
 * count as `error` (the true count is in [count - error, count]). */
typedef struct {
    unsigned long long count, error, bytes;
    long long first, last;
    wr_family_mask_t families;
    unsigned heap;              /* position in the heap */
} wr_topk_row_t;

typedef struct {
    wr_keytab_t kt;
    wr_topk_row_t *row;
    unsigned *heap;             /* row indices, fewest probes at 0 */
    unsigned long long evictions;
} wr_topk_t;

/* wr_topk_init - room for cap keys; 0 if memory ran out (free it
 * anyway) */
int wr_topk_init(wr_topk_t *ss, unsigned cap);

/* wr_topk_free - release the table */
void wr_topk_free(wr_topk_t *ss);

/* wr_topk_hit - count one probe for the key (n bytes, cut to
 * WR_REPORT_KEY_MAX - 1) of family `family` (-1: none) with `bytes`, at
 * time t when has_time: O(1) lookup, O(log cap) heap */
void wr_topk_hit(wr_topk_t *ss, const char *k, size_t n, int has_time,
                 long long t, int family, unsigned long long bytes);

/* ---- series --------------------------------------------------------- */

/* The totals each bucket keeps, WR_SERIES_N of them per bucket in tot. */
enum {
    WR_SERIES_REQ,
    WR_SERIES_BYTES,
    WR_SERIES_PROBES,
    WR_SERIES_PBYTES,
    WR_SERIES_N
};

/* Set width (= asked, seconds), cap (buckets, at least 2) and nfam, then
 * wr_series_alloc. Buckets start at multiples of width (UTC-aligned);
 * one bucket more than cap doubles width and merges pairwise. */
typedef struct {
    long width, asked;
    unsigned cap, n, hmask, nfam;
    long long *start;
    unsigned long long *tot;    /* cap * WR_SERIES_N */
    unsigned long long *fam;    /* cap * nfam */
    unsigned *heads;            /* open addressing, index + 1 */
    unsigned *order;            /* time order, built on demand */
    unsigned last;              /* index + 1 of the last bucket hit */
} wr_series_t;

/* wr_series_alloc - the arrays for cap buckets, emptied; 0 if memory
 * ran out (free it anyway) */
int wr_series_alloc(wr_series_t *se);

/* wr_series_free - release the arrays */
void wr_series_free(wr_series_t *se);

/* wr_series_bucket - the index of the bucket of time t (seconds), made
 * if new; -1 if memory ran out */
long wr_series_bucket(wr_series_t *se, long long t);

#endif
