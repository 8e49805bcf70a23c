/* wr_seen.h - the per-source window state every httpd child shares,
 * updated without a lock
 *
 * Why no lock: the first probe of a source in its window must reach the
 * spool whatever the other processes are doing. Under a cross-process
 * lock a holder that is descheduled -- the notifier runs at nice 10, and
 * with every CPU busy any process can be preempted -- makes a request
 * either wait for it or give up and lose the sighting (both happened with
 * ap_socache shmcb behind a trylock: 1 to 6 of 10,000 first sightings
 * lost). So the table is changed by single-word compare-and-swap only.
 *
 * Layout: one shared memory segment, a header, then sets of WR_SEEN_WAYS
 * entries. A source's key (bytes: an address or a network prefix) is
 * hashed with SipHash-2-4 under a random key made when the table is
 * formatted (an attacker cannot aim many keys at one set); the hash picks
 * the set and gives a non-zero 32-bit tag.
 *
 * Each entry's head word packs (pending bit, 31-bit tag, and the window
 * start in whole seconds -- or, while pending, the claim's number from a
 * counter in the table's header, so that no two claims are equal).
 * Opening a window -- taking an empty entry, evicting the set's oldest
 * decided one, or renewing an expired window -- is two steps, because
 * the choice of a way is made on a view of the set that can be out of
 * date when the CAS lands: two processes probing one new key while a
 * third puts another key into the set could claim two different ways and
 * both answer "first". So:
 *  1. claim: one CAS puts a pending head for the key on the chosen way
 *     (of processes racing for one way exactly one wins);
 *  2. resolve: look at every other way once more. A decided live window
 *     of the key, or a claim of it at a lower way, wins: give the claim
 *     up (CAS it to empty) and go on with the winner (a lower claim is
 *     resolved in turn). A claim of it at a higher way is taken away;
 *  3. decide: one CAS puts the decided head (the window starting now) in
 *     place of the claim; it fails if the claim was taken away, and then
 *     the probe starts over.
 * Any prober does 2 and 3 for a claim it finds, not only its owner: so
 * nobody waits for an owner that was descheduled or killed between its
 * claim and its decision, and no probe ever counts into a window that is
 * not decided. Why this gives one decided window: of two claims of a key,
 * the later one is resolved (by anyone) after the earlier one was
 * claimed, so it is seen (unless it was evicted meanwhile). If the
 * earlier is decided, or at a lower way, the later yields; if it is at a
 * higher way, the later takes it away, and deciding the earlier then
 * fails. Every order of these CASes on the two head words ends with one
 * decided claim. Claims are numbered because a prober compares heads by
 * value: with a claim that looked like an earlier one (same key, same
 * second), a prober that resolved the first, which was then taken away,
 * could decide the second without having looked at the set for it -- a
 * key with two decided windows. Why no "first" is lost: a probe answers
 * "not first" only after seeing a decided window of the key (whose slot
 * 0 some probe took) -- it never gives up its answer on a claim.
 * Events are decided by slots, not by whoever opened the window: an
 * entry has one slot per address that had its event (up to the quota),
 * filled in order, each a single word (window id, address hash, a
 * "notifies" flag). The window id comes from the decided head (tag and
 * start), so a slot left by an earlier window of the entry reads as free
 * without ever being cleared, and opening a window initialises nothing.
 * A probe of a decided window looks for its address among the window's
 * slots: found, it is counted; not found, it takes the first free slot by
 * CAS -- of processes with one new address racing for one slot exactly
 * one wins, the others find it there on their next look -- and the
 * winner of slot 0 answers WR_SEEN_FIRST, of a later slot
 * WR_SEEN_ADDRESS. Before taking a slot it reads the head again: a probe
 * descheduled after its look at the set may find its window evicted, and
 * the free-looking slot a newer window's, which it must not overwrite
 * (it looks at the set again instead). The process that decided the
 * window takes its slot the same way, so when a prober that finished the
 * claim beat it to slot 0, that probe answered FIRST and the opener is
 * counted.
 * The probe count and the last probe's second are single words carrying
 * the window id too (a figure of another window reads as none), each
 * changed by CAS, and replaced, like a slot, only while the window holds
 * the way: nobody resets them when a window opens, so no late reset can
 * wipe a window's first probes or another source's figures, and a window
 * never shows an evicted one's. A reader may see them a moment stale.
 *
 * Guarantees:
 * - wr_seen_probe never waits and never fails: it ends in a bounded
 *   number of steps wherever other processes stop (preempted, killed);
 * - a key not in the table, or whose window expired, gets WR_SEEN_FIRST:
 *   no first sighting is lost to contention. If CASes keep failing
 *   (others keep changing the set) it answers WR_SEEN_FIRST after
 *   WR_SEEN_TRIES turns: a possible duplicate event, which the notifier's
 *   history keeps from becoming a second notice, rather than a lost one;
 * - one event (WR_SEEN_FIRST or WR_SEEN_ADDRESS) per address and window,
 *   one WR_SEEN_FIRST per key and window, whatever the interleaving of
 *   the processes and however long one of them stops between steps,
 *   except after the key's entry was evicted (a full set gives up its
 *   oldest decided window first), when processes' clocks disagree about
 *   whether the window is over, when two keys of one set share a tag
 *   (2^-31 per pair, with a secret hash key) or two windows of one entry
 *   a window id (2^-32);
 * - within an open window, WR_SEEN_ADDRESS for each new address until the
 *   window has had `quota` events in all (so a prefix costs at most
 *   `quota` events per window), WR_SEEN_HELD for a new address after
 *   that;
 * - with wr_seen_probe_as, when an address's event was for a probe of a
 *   family that does not notify by itself (WormReplyNotifyFamilies), the
 *   first probe of one that does from that address gets
 *   WR_SEEN_NOTIFYING (one CAS sets the slot's flag), so that the
 *   notifier hears of it: at most one event more per address and window
 *   (a new address's own event carries its family);
 * - a claim left by a process killed between claiming and deciding is
 *   finished by the next probe of its key; until then (a key never seen
 *   again) its way is taken for another key only when every way of the
 *   set looks claimed;
 * - the notifier only reads (wr_seen_lookup), also without a lock; it
 *   sees decided windows only.
 * Windows have a resolution of one second; a window of less than a second
 * counts as one second. A clock that went back by more than a window
 * opens a new one, so that a source is never silenced for longer.
 */
#ifndef WR_SEEN_H
#define WR_SEEN_H

#include <apr_pools.h>
#include <apr_time.h>

/* Entries per set: a full set forgets its oldest window first. */
#define WR_SEEN_WAYS 8

/* Addresses remembered per window (a quota above this is cut to it). */
#define WR_SEEN_MAX_ADDRESSES 12

/* Longest key taken. */
#define WR_SEEN_KEY_MAX 64

typedef struct wr_seen_t wr_seen_t;

typedef enum {
    WR_SEEN_FIRST = 1,      /* a new window: spool an event */
    WR_SEEN_ADDRESS,        /* a new address in an open window: spool one */
    WR_SEEN_COUNTED,        /* counted, nothing else to do */
    WR_SEEN_HELD,           /* counted; a new address over the quota */
    WR_SEEN_NOTIFYING       /* the window's first probe that notifies, in
                             * a window opened by one that does not: spool
                             * an event (wr_seen_probe_as) */
} wr_seen_e;

/* A snapshot of one key's entry. */
typedef struct {
    apr_time_t window_start;  /* whole seconds */
    apr_time_t last_seen;     /* whole seconds; window_start before
                               * any probe was counted */
    apr_uint32_t count;       /* probes in the window */
    apr_uint32_t events;      /* addresses that had their event */
    int notifying;            /* the window saw a probe of a family that
                               * notifies by itself (wr_seen_probe_as) */
} wr_seen_rec_t;

/* wr_seen_bytes_per_entry - the memory one entry takes, header aside */
apr_size_t wr_seen_bytes_per_entry(void);

/* wr_seen_format - lay out an empty table in the `size` bytes at `base`
 * (shared memory, before any process attaches) with a fresh hash key.
 * @return APR_EINVAL when `size` holds less than one set. */
apr_status_t wr_seen_format(void *base, apr_size_t size);

/* wr_seen_attach - a handle (in `p`) on a table that wr_seen_format laid
 * out at `base`. @return APR_EINVAL if `base` holds no such table or one
 * larger than `size`. */
apr_status_t wr_seen_attach(wr_seen_t **seen, void *base, apr_size_t size,
                            apr_pool_t *p);

/* wr_seen_capacity - how many keys the table holds at once */
apr_size_t wr_seen_capacity(const wr_seen_t *seen);

/* wr_seen_probe - account one probe at `now` from `address` (any text:
 * only its hash is kept), whose source is `key` (at most WR_SEEN_KEY_MAX
 * bytes; longer keys are cut), and decide what it costs: see the
 * guarantees above. `window` is the host window; `quota` (1 ..
 * WR_SEEN_MAX_ADDRESSES; 0 counts as 1) the events a key may have per
 * window. */
wr_seen_e wr_seen_probe(wr_seen_t *seen, const void *key, apr_size_t klen,
                        const char *address, apr_time_t now,
                        apr_interval_time_t window, unsigned int quota);

/* wr_seen_probe_as - wr_seen_probe for a probe whose family notifies by
 * itself (`notifies` 1, what wr_seen_probe assumes) or not (0). The
 * window remembers whether it saw one that does; see WR_SEEN_NOTIFYING. */
wr_seen_e wr_seen_probe_as(wr_seen_t *seen, const void *key, apr_size_t klen,
                           const char *address, apr_time_t now,
                           apr_interval_time_t window, unsigned int quota,
                           int notifies);

/* wr_seen_lookup - the current entry of `key` into *rec.
 * @return 1 if found, 0 if the key is not in the table */
int wr_seen_lookup(wr_seen_t *seen, const void *key, apr_size_t klen,
                   wr_seen_rec_t *rec);

#endif
