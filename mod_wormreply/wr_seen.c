/* wr_seen.c - per-source window state in shared memory, lock-free (see
 * wr_seen.h)
 */
#include <string.h>

#include <apr_atomic.h>
#include <apr_general.h>

#include "wr_seen.h"

/* "wrseen01": the layout below, version 1 */
#define SEEN_MAGIC APR_UINT64_C(0x77727365656e3031)

/* Turns of wr_seen_probe before it settles for "first" (see wr_seen.h):
 * each failed CAS means another process changed the set meanwhile. */
#define WR_SEEN_TRIES 16

typedef struct {
    apr_uint64_t magic;
    apr_uint64_t nsets;
    apr_uint64_t k0, k1;          /* SipHash key */
    apr_uint64_t pad[4];          /* the sets start on a cache line */
} header_t;

/* The top bit of an entry's events word: the window saw a probe of a
 * family that notifies by itself. In the same word as the count of events
 * so that opening a window sets both at once. */
#define EV_NOTIFYING 0x80000000u
#define EV_COUNT(ev) ((ev) & ~EV_NOTIFYING)

typedef struct {
    volatile apr_uint64_t last_seen;
    volatile apr_uint32_t count;
    volatile apr_uint32_t events;     /* EV_COUNT | EV_NOTIFYING */
    volatile apr_uint32_t addr[WR_SEEN_MAX_ADDRESSES];
} entry_t;

/* A set: the heads on one cache line, looked at first; then the entries. */
typedef struct {
    volatile apr_uint64_t head[WR_SEEN_WAYS];
    entry_t entry[WR_SEEN_WAYS];
} set_t;

struct wr_seen_t {
    header_t *hdr;
    set_t *sets;
    apr_uint64_t nsets;
};

/* ---- SipHash-2-4 (Aumasson, Bernstein), on a secret per-table key ---- */

#define ROTL(x, b) (apr_uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                          \
    do {                                                                  \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);        \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                           \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                           \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);        \
    } while (0)

/* siphash - the 64-bit SipHash-2-4 of `len` bytes under (k0, k1) */
static apr_uint64_t siphash(apr_uint64_t k0, apr_uint64_t k1,
                            const unsigned char *in, apr_size_t len)
{
    apr_uint64_t v0 = k0 ^ APR_UINT64_C(0x736f6d6570736575);
    apr_uint64_t v1 = k1 ^ APR_UINT64_C(0x646f72616e646f6d);
    apr_uint64_t v2 = k0 ^ APR_UINT64_C(0x6c7967656e657261);
    apr_uint64_t v3 = k1 ^ APR_UINT64_C(0x7465646279746573);
    apr_uint64_t b = (apr_uint64_t)len << 56;
    apr_size_t i, full = len & ~(apr_size_t)7;
    int k;

    for (i = 0; i < full; i += 8) {
        apr_uint64_t m = 0;
        for (k = 7; k >= 0; k--) {
            m = (m << 8) | in[i + (apr_size_t)k];
        }
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    for (k = 0; i + (apr_size_t)k < len; k++) {
        b |= (apr_uint64_t)in[i + (apr_size_t)k] << (8 * k);
    }
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

apr_size_t wr_seen_bytes_per_entry(void)
{
    return sizeof(set_t) / WR_SEEN_WAYS;
}

apr_status_t wr_seen_format(void *base, apr_size_t size)
{
    header_t *hdr = base;
    unsigned char key[16];
    apr_status_t rv;
    int k;

    if (size < sizeof(header_t) + sizeof(set_t)) {
        return APR_EINVAL;
    }
    if ((rv = apr_generate_random_bytes(key, sizeof(key))) != APR_SUCCESS) {
        return rv;
    }
    memset(base, 0, size);
    for (k = 0; k < 8; k++) {
        hdr->k0 = (hdr->k0 << 8) | key[k];
        hdr->k1 = (hdr->k1 << 8) | key[8 + k];
    }
    hdr->nsets = (size - sizeof(header_t)) / sizeof(set_t);
    hdr->magic = SEEN_MAGIC;
    return APR_SUCCESS;
}

apr_status_t wr_seen_attach(wr_seen_t **pseen, void *base, apr_size_t size,
                            apr_pool_t *p)
{
    header_t *hdr = base;
    wr_seen_t *seen;

    if (size < sizeof(header_t) || hdr->magic != SEEN_MAGIC
        || hdr->nsets == 0
        || hdr->nsets > (size - sizeof(header_t)) / sizeof(set_t)) {
        return APR_EINVAL;
    }
    seen = apr_pcalloc(p, sizeof(*seen));
    seen->hdr = hdr;
    seen->sets = (set_t *)(hdr + 1);
    seen->nsets = hdr->nsets;
    *pseen = seen;
    return APR_SUCCESS;
}

apr_size_t wr_seen_capacity(const wr_seen_t *seen)
{
    return (apr_size_t)seen->nsets * WR_SEEN_WAYS;
}

/* A head: PENDING, a 31-bit tag (never 0), the window start in seconds.
 * 0 is an empty way. */
#define HEAD_PENDING (APR_UINT64_C(1) << 63)
#define HEAD_TAG(h) ((apr_uint32_t)((h) >> 32) & 0x7fffffffu)
#define HEAD_START(h) ((apr_uint32_t)(h))

/* A pending head this many seconds older than the prober's clock belongs
 * to a process that stopped between claiming a way and deciding (killed,
 * or descheduled that long): anyone may take it over. */
#define WR_SEEN_STALE 2

/* locate - the set and the tag (never 0, so that a head is never 0) */
static set_t *locate(wr_seen_t *seen, const void *key, apr_size_t klen,
                     apr_uint32_t *tag)
{
    apr_uint64_t h;

    if (klen > WR_SEEN_KEY_MAX) {
        klen = WR_SEEN_KEY_MAX;
    }
    h = siphash(seen->hdr->k0, seen->hdr->k1, key, klen);
    *tag = (apr_uint32_t)(h >> 33) ? (apr_uint32_t)(h >> 33) : 1;
    return &seen->sets[(apr_uint32_t)h % seen->nsets];
}

/* expired - whether a window opened at second `start` is over at `now`
 * (differences only, as in wr_ratelimit.c; a start more than a window in
 * the future is a clock that went back) */
static int expired(apr_uint32_t start, apr_uint32_t now, apr_uint32_t win)
{
    apr_int64_t elapsed = (apr_int64_t)now - (apr_int64_t)start;

    return elapsed >= (apr_int64_t)win || elapsed < -(apr_int64_t)win;
}

/* stale - whether a pending head was left by a process stopped for long */
static int stale(apr_uint64_t hd, apr_uint32_t now)
{
    return (apr_int64_t)now - (apr_int64_t)HEAD_START(hd) >= WR_SEEN_STALE;
}

/* rank - which way a new key takes: an empty one, else the oldest
 * decided window; a way another process is deciding on only if every
 * way is one */
static apr_uint64_t rank(apr_uint64_t hd)
{
    if (hd == 0) {
        return 0;
    }
    if (hd & HEAD_PENDING) {
        return APR_UINT64_C(1) << 40;
    }
    return 1 + (apr_uint64_t)HEAD_START(hd);
}

/* open_window - the entry's window was just claimed by this process */
static void open_window(entry_t *e, apr_time_t now, apr_uint32_t ah,
                        int notifies)
{
    apr_atomic_set32(&e->addr[0], ah);
    apr_atomic_set32(&e->events, notifies ? 1 | EV_NOTIFYING : 1);
    apr_atomic_set32(&e->count, 1);
    apr_atomic_set64(&e->last_seen, (apr_uint64_t)now);
}

/* count - one more probe in an open window; an event for a new address
 * while the quota lasts */
static wr_seen_e count(entry_t *e, apr_time_t now, apr_uint32_t ah,
                       unsigned int quota, int notifies)
{
    apr_uint64_t last = apr_atomic_read64(&e->last_seen);
    int turn;

    apr_atomic_inc32(&e->count);
    if ((apr_uint64_t)now > last) {
        /* one try: a failure means someone stored a time as recent */
        apr_atomic_cas64(&e->last_seen, (apr_uint64_t)now, last);
    }
    for (turn = 0; turn < WR_SEEN_TRIES; turn++) {
        apr_uint32_t ev = apr_atomic_read32(&e->events), i;
        apr_uint32_t n = EV_COUNT(ev);

        if (notifies && !(ev & EV_NOTIFYING)) {
            /* of the racing processes one sets the flag and spools */
            if (apr_atomic_cas32(&e->events, ev | EV_NOTIFYING, ev) == ev) {
                return WR_SEEN_NOTIFYING;
            }
            continue;
        }
        for (i = 0; i < n && i < WR_SEEN_MAX_ADDRESSES; i++) {
            if (apr_atomic_read32(&e->addr[i]) == ah) {
                return WR_SEEN_COUNTED;
            }
        }
        if (n >= quota) {
            return WR_SEEN_HELD;
        }
        if (apr_atomic_cas32(&e->events, ev + 1, ev) == ev) {
            apr_atomic_set32(&e->addr[n], ah);
            return WR_SEEN_ADDRESS;
        }
    }
    return WR_SEEN_COUNTED;
}

/* settle - this process holds way `w` pending for `tag` (head `mine`):
 * look at every other way once more. A decided live window of the tag, or
 * a pending one at a lower way, is the tag's window: give way `w` up and
 * return that way. A pending one at a higher way (or a stale one) is
 * taken away from its owner, whose decision then fails. @return -1 when
 * no other way holds the tag: way `w` may be decided. */
static int settle(set_t *set, int w, apr_uint64_t mine, apr_uint32_t tag,
                  apr_uint32_t now_s, apr_uint32_t win_s)
{
    int i, look;

    for (i = 0; i < WR_SEEN_WAYS; i++) {
        if (i == w) {
            continue;
        }
        for (look = 0; look < WR_SEEN_TRIES; look++) {
            apr_uint64_t hd = apr_atomic_read64(&set->head[i]);

            if (hd == 0 || HEAD_TAG(hd) != tag) {
                break;
            }
            if (!(hd & HEAD_PENDING)) {
                if (expired(HEAD_START(hd), now_s, win_s)) {
                    break;
                }
            }
            else if (i > w || stale(hd, now_s)) {
                if (apr_atomic_cas64(&set->head[i], 0, hd) == hd) {
                    break;
                }
                continue;   /* decided or taken meanwhile: look again */
            }
            apr_atomic_cas64(&set->head[w], 0, mine);
            return i;
        }
    }
    return -1;
}

wr_seen_e wr_seen_probe(wr_seen_t *seen, const void *key, apr_size_t klen,
                        const char *address, apr_time_t now,
                        apr_interval_time_t window, unsigned int quota)
{
    return wr_seen_probe_as(seen, key, klen, address, now, window, quota, 1);
}

wr_seen_e wr_seen_probe_as(wr_seen_t *seen, const void *key, apr_size_t klen,
                           const char *address, apr_time_t now,
                           apr_interval_time_t window, unsigned int quota,
                           int notifies)
{
    apr_uint32_t tag, ah, now_s, win_s;
    apr_uint64_t mine;
    set_t *set = locate(seen, key, klen, &tag);
    int turn, i;

    ah = (apr_uint32_t)siphash(seen->hdr->k1, seen->hdr->k0,
                               (const unsigned char *)address,
                               strlen(address));
    ah = ah ? ah : 1;
    now_s = (apr_uint32_t)apr_time_sec(now);
    win_s = (apr_uint32_t)((window + APR_USEC_PER_SEC - 1)
                           / APR_USEC_PER_SEC);
    if (window > apr_time_from_sec(APR_UINT32_MAX / 2)) {
        win_s = APR_UINT32_MAX / 2;
    }
    win_s = win_s ? win_s : 1;
    if (quota > WR_SEEN_MAX_ADDRESSES) {
        quota = WR_SEEN_MAX_ADDRESSES;
    }
    quota = quota ? quota : 1;
    mine = HEAD_PENDING | ((apr_uint64_t)tag << 32) | now_s;

    for (turn = 0; turn < WR_SEEN_TRIES; turn++) {
        apr_uint64_t victim_head = 0, renew_head = 0;
        int live = -1, pending = -1, renew = -1, victim = -1, w;

        for (i = 0; i < WR_SEEN_WAYS; i++) {
            apr_uint64_t hd = apr_atomic_read64(&set->head[i]);

            if (hd != 0 && HEAD_TAG(hd) == tag) {
                if (!(hd & HEAD_PENDING)
                    && !expired(HEAD_START(hd), now_s, win_s)) {
                    live = i;
                    break;
                }
                if ((hd & HEAD_PENDING) && !stale(hd, now_s)) {
                    pending = pending < 0 ? i : pending;
                }
                else if (renew < 0) {
                    /* an expired window, or one left pending */
                    renew = i;
                    renew_head = hd;
                }
                continue;
            }
            if (victim < 0 || rank(hd) < rank(victim_head)) {
                victim = i;
                victim_head = hd;
            }
        }
        if (live >= 0) {
            return count(&set->entry[live], now, ah, quota, notifies);
        }
        if (pending >= 0) {
            /* another process is opening this window: it answers first */
            return count(&set->entry[pending], now, ah, quota, notifies);
        }
        if (renew >= 0) {
            victim = renew;
            victim_head = renew_head;
        }
        if (victim < 0
            || apr_atomic_cas64(&set->head[victim], mine, victim_head)
               != victim_head) {
            continue;
        }
        open_window(&set->entry[victim], now, ah, notifies);
        if ((w = settle(set, victim, mine, tag, now_s, win_s)) >= 0) {
            return count(&set->entry[w], now, ah, quota, notifies);
        }
        /* decide: fails only if another process took the way meanwhile */
        if (apr_atomic_cas64(&set->head[victim], mine & ~HEAD_PENDING, mine)
            == mine) {
            return WR_SEEN_FIRST;
        }
    }
    /* the set kept changing under us: better a duplicate than a loss */
    return WR_SEEN_FIRST;
}

int wr_seen_lookup(wr_seen_t *seen, const void *key, apr_size_t klen,
                   wr_seen_rec_t *rec)
{
    apr_uint32_t tag;
    set_t *set = locate(seen, key, klen, &tag);
    apr_uint64_t hd = 0;
    int i, way = -1;

    /* a decided window first; else one being opened */
    for (i = 0; i < WR_SEEN_WAYS; i++) {
        apr_uint64_t h = apr_atomic_read64(&set->head[i]);
        if (h != 0 && HEAD_TAG(h) == tag
            && (way < 0 || ((hd & HEAD_PENDING) && !(h & HEAD_PENDING)))) {
            way = i;
            hd = h;
        }
    }
    if (way < 0) {
        return 0;
    }
    {
        const entry_t *e = &set->entry[way];
        rec->window_start = apr_time_from_sec(HEAD_START(hd));
        rec->last_seen = (apr_time_t)apr_atomic_read64(
                             (volatile apr_uint64_t *)&e->last_seen);
        rec->count = apr_atomic_read32((volatile apr_uint32_t *)&e->count);
        apr_uint32_t ev = apr_atomic_read32(
                              (volatile apr_uint32_t *)&e->events);
        rec->events = EV_COUNT(ev);
        rec->notifying = (ev & EV_NOTIFYING) != 0;
    }
    return 1;
}
