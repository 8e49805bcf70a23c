/* wr_seen.c - per-source window state in shared memory, lock-free (see
 * wr_seen.h)
 */
#include <string.h>

#include <apr_atomic.h>
#include <apr_general.h>

#include "wr_seen.h"

/* "wrseen03": the layout below, version 3 */
#define SEEN_MAGIC APR_UINT64_C(0x77727365656e3033)

/* Turns of wr_seen_probe before it settles for "first" (see wr_seen.h):
 * each failed CAS means another process changed the set meanwhile. */
#define WR_SEEN_TRIES 16

typedef struct {
    apr_uint64_t magic;
    apr_uint64_t nsets;
    apr_uint64_t k0, k1;          /* SipHash key */
    volatile apr_uint32_t claims; /* numbers the claims (see CLAIM) */
    apr_uint32_t unused;
    apr_uint64_t pad[3];          /* the sets start on a cache line */
} header_t;

/* A slot: (window id << 32) | SLOT_NOTIF | 31-bit address hash. The
 * window id is derived from the head, so a slot written in an earlier
 * window of the entry (another key's, or an expired one) is told apart
 * from the current window's without ever being cleared: there is nothing
 * to initialise when a window opens, and so nothing a process that finds
 * the window still being opened can read too early. */
#define SLOT_NOTIF 0x80000000u
#define SLOT_WID(s) ((apr_uint32_t)((s) >> 32))
#define SLOT_AH(s) ((apr_uint32_t)(s) & 0x7fffffffu)
#define SLOT(wid, ah, notif)                                              \
    (((apr_uint64_t)(wid) << 32) | ((notif) ? SLOT_NOTIF : 0) | (ah))

/* The probe count and the last probe's second are kept the same way:
 * (window id << 32) | the figure, so that they too need no reset when a
 * window opens. A reset by the process that claimed the way, as before,
 * could land after the window's first probes were counted (its claim was
 * decided by another prober meanwhile: a count short by those), or after
 * the window was evicted (another source's window lost its figures), or
 * never (the claimer was killed: the new window kept the figures of the
 * evicted one, another source's count in its notice). */
#define FIG(wid, n) (((apr_uint64_t)(wid) << 32) | (apr_uint32_t)(n))

typedef struct {
    volatile apr_uint64_t count;     /* FIG(window id, probes) */
    volatile apr_uint64_t last_seen; /* FIG(window id, second) */
    /* the addresses that had their event in the window, in order */
    volatile apr_uint64_t slot[WR_SEEN_MAX_ADDRESSES];
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

/* A head: PENDING, a 31-bit tag (never 0), and in a decided head the
 * window start in seconds; in a pending one (a claim) the claim's number,
 * so that no two claims look alike: a process that looked at the set for
 * one claim can never decide or remove another that took its place (an
 * equal head put back on the way after the first was removed: the ABA
 * case, which gave a key two decided windows). Numbers wrap after 2^32
 * claims, far longer than a process is ever descheduled between its look
 * and its CAS. 0 is an empty way. */
#define HEAD_PENDING (APR_UINT64_C(1) << 63)
#define HEAD_TAG(h) ((apr_uint32_t)((h) >> 32) & 0x7fffffffu)
#define HEAD_START(h) ((apr_uint32_t)(h))
#define HEAD(tag, low) (((apr_uint64_t)(tag) << 32) | (apr_uint32_t)(low))

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

/* live - whether head `hd` is a decided window of `tag`, open at `now_s` */
static int live(apr_uint64_t hd, apr_uint32_t tag, apr_uint32_t now_s,
                apr_uint32_t win_s)
{
    return hd != 0 && !(hd & HEAD_PENDING) && HEAD_TAG(hd) == tag
           && !expired(HEAD_START(hd), now_s, win_s);
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

/* window_id - the id a window's slots carry: a mix of its head's tag and
 * start (never 0, the id of a slot never used). Two windows of one entry
 * share an id with odds of about 2^-32 (a renewal too: only the high half
 * of the product is kept); the slots of the older one then count as the
 * newer one's, which can cost an address its event in that window. */
static apr_uint32_t window_id(apr_uint64_t hd)
{
    apr_uint64_t x = (hd & ~HEAD_PENDING) * APR_UINT64_C(0x9e3779b97f4a7c15);
    apr_uint32_t id = (apr_uint32_t)(x >> 32);

    return id ? id : 1;
}

/* figure - store into `*fig` (FIG(window id, n)) the window `wid`'s
 * figure after one more probe at second `now_s`: its count plus one
 * (`add`), or the later of its second and `now_s`. A figure of another
 * window is replaced only after looking at the head again, as for a slot
 * (see account): a probe of a window evicted meanwhile leaves the newer
 * window's figures alone. One try per failed CAS, WR_SEEN_TRIES at most:
 * a failure costs a figure a probe, never anything else. */
static void figure(set_t *set, int w, apr_uint64_t hd, apr_uint32_t wid,
                   volatile apr_uint64_t *fig, int add, apr_uint32_t now_s)
{
    int turn;

    for (turn = 0; turn < WR_SEEN_TRIES; turn++) {
        apr_uint64_t f = apr_atomic_read64(fig), n;

        if (SLOT_WID(f) == wid) {
            if (add) {
                if ((apr_uint32_t)f == APR_UINT32_MAX) {
                    return;
                }
                n = f + 1;
            }
            else if ((apr_uint32_t)f >= now_s) {
                return;
            }
            else {
                n = FIG(wid, now_s);
            }
        }
        else if (apr_atomic_read64(&set->head[w]) != hd) {
            return;
        }
        else {
            n = FIG(wid, add ? 1 : now_s);
        }
        if (apr_atomic_cas64(fig, n, f) == f) {
            return;
        }
    }
}

/* account - one probe in the decided window `hd` of way `w`: counted; an
 * event for an address that has none yet while the quota lasts, taking
 * the first slot not yet the window's (slots fill in order, so processes
 * with one new address race for one slot and one of them wins it); an
 * event for the first probe that notifies of an address whose event was
 * for one that does not (WR_SEEN_NOTIFYING: one CAS sets the slot's
 * flag). A slot of another window is taken only after looking at the
 * head again once the slot was read: the window may have been evicted
 * meanwhile, and its slots may now be a newer window's, which the CAS
 * would overwrite (a probe preempted between its look at the set and its
 * CAS gave a new source two events that way). @return 0 when the window
 * is gone: look at the set again. */
static wr_seen_e account(set_t *set, int w, apr_uint64_t hd,
                         apr_uint32_t now_s, apr_uint32_t ah,
                         unsigned int quota, int notifies)
{
    entry_t *e = &set->entry[w];
    apr_uint32_t wid = window_id(hd);
    wr_seen_e answer = WR_SEEN_ADDRESS;
    unsigned int i = 0;
    int turn;

    for (turn = 0; turn < WR_SEEN_TRIES && i < quota; turn++) {
        apr_uint64_t sl = apr_atomic_read64(&e->slot[i]);

        if (SLOT_WID(sl) == wid) {
            if (SLOT_AH(sl) != ah) {
                i++;          /* another address's: not a failed turn */
                turn--;
                continue;
            }
            if (!notifies || (sl & SLOT_NOTIF)) {
                answer = WR_SEEN_COUNTED;
                break;
            }
            if (apr_atomic_cas64(&e->slot[i], sl | SLOT_NOTIF, sl) == sl) {
                answer = WR_SEEN_NOTIFYING;
                break;
            }
            continue;         /* the flag was set meanwhile: look again */
        }
        if (apr_atomic_read64(&set->head[w]) != hd) {
            return 0;
        }
        /* a slot of an earlier window, or never used: ours if the CAS
         * lands; else someone filled it meanwhile: look at it again */
        if (apr_atomic_cas64(&e->slot[i], SLOT(wid, ah, notifies), sl)
            == sl) {
            answer = i == 0 ? WR_SEEN_FIRST : WR_SEEN_ADDRESS;
            break;
        }
    }
    if (i >= quota) {
        answer = WR_SEEN_HELD;
    }
    /* else if the slot kept changing under us: WR_SEEN_ADDRESS, better a
     * duplicate than a loss */
    figure(set, w, hd, wid, &e->count, 1, now_s);
    figure(set, w, hd, wid, &e->last_seen, 0, now_s);
    return answer;
}

/* resolve - way `w` holds `hd`, a pending claim of `tag`: this process's
 * own, or another's that it found (any prober finishes a claim as its
 * owner would, so that nobody waits for an owner that is descheduled and
 * no probe ever counts into a window that is not decided). Look at every
 * other way once: a decided live window of the tag, or a claim of it at
 * a lower way, wins: give way `w` up (and finish that lower claim in
 * turn); a claim at a higher way is taken away. Then decide way `w` by
 * one CAS, the window starting at `now_s`. @return the way of the key's
 * decided window, its head in *decided; -1 when the claim was taken away
 * meanwhile (start over). */
static int resolve(set_t *set, int w, apr_uint64_t hd, apr_uint32_t tag,
                   apr_uint32_t now_s, apr_uint32_t win_s,
                   apr_uint64_t *decided)
{
    int hop, i, look;

    /* each hop moves to a lower way: at most WR_SEEN_WAYS of them */
    for (hop = 0; hop < WR_SEEN_WAYS; hop++) {
        apr_uint64_t other = 0, was;
        int winner = -1;

        for (i = 0; i < WR_SEEN_WAYS && winner < 0; i++) {
            if (i == w) {
                continue;
            }
            for (look = 0; look < WR_SEEN_TRIES; look++) {
                apr_uint64_t h = apr_atomic_read64(&set->head[i]);

                if (h == 0 || HEAD_TAG(h) != tag
                    || (!(h & HEAD_PENDING) && !live(h, tag, now_s, win_s))) {
                    break;
                }
                if (!(h & HEAD_PENDING) || i < w) {
                    winner = i;
                    other = h;
                    break;
                }
                if (apr_atomic_cas64(&set->head[i], 0, h) == h) {
                    break;
                }
                /* decided or taken meanwhile: look again */
            }
            if (look == WR_SEEN_TRIES) {
                /* the way kept changing: deciding now could make a
                 * second window of the key; start over instead */
                return -1;
            }
        }
        if (winner < 0) {
            /* fails if another prober decided the claim first (its
             * window all the same) or it was taken away */
            was = apr_atomic_cas64(&set->head[w], HEAD(tag, now_s), hd);
            if (was == hd) {
                *decided = HEAD(tag, now_s);
                return w;
            }
            if (live(was, tag, now_s, win_s)) {
                *decided = was;
                return w;
            }
            return -1;
        }
        was = apr_atomic_cas64(&set->head[w], 0, hd);
        if (was != hd && live(was, tag, now_s, win_s)) {
            /* decided meanwhile by a prober that looked at `winner`
             * before it was claimed: then `winner` yields to it */
            *decided = was;
            return w;
        }
        if (!(other & HEAD_PENDING)) {
            *decided = other;
            return winner;
        }
        w = winner;
        hd = other;
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
    set_t *set = locate(seen, key, klen, &tag);
    int turn, i;

    ah = (apr_uint32_t)siphash(seen->hdr->k1, seen->hdr->k0,
                               (const unsigned char *)address,
                               strlen(address));
    ah &= 0x7fffffffu;
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

    for (turn = 0; turn < WR_SEEN_TRIES; turn++) {
        apr_uint64_t victim_head = 0, found = 0, renew_head = 0;
        apr_uint64_t decided = 0, mine;
        int live_way = -1, pending = -1, renew = -1, victim = -1, w;
        wr_seen_e answer;

        for (i = 0; i < WR_SEEN_WAYS; i++) {
            apr_uint64_t hd = apr_atomic_read64(&set->head[i]);

            if (hd != 0 && HEAD_TAG(hd) == tag) {
                if (live(hd, tag, now_s, win_s)) {
                    live_way = i;
                    found = hd;
                    break;
                }
                if (hd & HEAD_PENDING) {
                    if (pending < 0) {
                        pending = i;
                        found = hd;
                    }
                }
                else if (renew < 0) {
                    renew = i;          /* the key's expired window */
                    renew_head = hd;
                }
                continue;
            }
            if (victim < 0 || rank(hd) < rank(victim_head)) {
                victim = i;
                victim_head = hd;
            }
        }
        if (live_way >= 0) {
            /* the address's event is whoever takes its slot */
            if ((answer = account(set, live_way, found, now_s, ah, quota,
                                  notifies)) != 0) {
                return answer;
            }
            continue;
        }
        if (pending >= 0) {
            /* being opened by another process: finish it for it */
            if ((w = resolve(set, pending, found, tag, now_s, win_s,
                             &decided)) >= 0
                && (answer = account(set, w, decided, now_s, ah, quota,
                                     notifies)) != 0) {
                return answer;
            }
            continue;
        }
        if (renew >= 0) {
            victim = renew;
            victim_head = renew_head;
        }
        mine = HEAD_PENDING
               | HEAD(tag, apr_atomic_inc32(&seen->hdr->claims));
        if (victim < 0
            || apr_atomic_cas64(&set->head[victim], mine, victim_head)
               != victim_head) {
            continue;
        }
        /* FIRST, unless another probe of the address took its slot
         * first (and answered FIRST itself) */
        if ((w = resolve(set, victim, mine, tag, now_s, win_s, &decided))
            >= 0
            && (answer = account(set, w, decided, now_s, ah, quota, notifies))
               != 0) {
            return answer;
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

    /* the latest decided window (a claim has no start nor events yet) */
    for (i = 0; i < WR_SEEN_WAYS; i++) {
        apr_uint64_t h = apr_atomic_read64(&set->head[i]);
        if (h != 0 && HEAD_TAG(h) == tag && !(h & HEAD_PENDING)
            && (way < 0 || HEAD_START(h) > HEAD_START(hd))) {
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
        apr_uint32_t wid = window_id(hd);
        apr_uint64_t f;
        int k;
        /* figures of another window: none counted in this one yet */
        f = apr_atomic_read64((volatile apr_uint64_t *)&e->last_seen);
        rec->last_seen = SLOT_WID(f) == wid
                             ? apr_time_from_sec((apr_uint32_t)f)
                             : rec->window_start;
        f = apr_atomic_read64((volatile apr_uint64_t *)&e->count);
        rec->count = SLOT_WID(f) == wid ? (apr_uint32_t)f : 0;
        rec->events = 0;
        rec->notifying = 0;
        for (k = 0; k < WR_SEEN_MAX_ADDRESSES; k++) {
            apr_uint64_t sl = apr_atomic_read64(
                                  (volatile apr_uint64_t *)&e->slot[k]);
            if (SLOT_WID(sl) != wid) {
                break;
            }
            rec->events++;
            rec->notifying |= (sl & SLOT_NOTIF) != 0;
        }
    }
    return 1;
}
