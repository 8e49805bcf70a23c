/* wr_spoolsize.h - the spool's size and the last prefix held back, kept
 * in shared memory by whoever changes the spool
 *
 * A request must not count the spool with a readdir (thousands of stat
 * calls once a second per process, in the path of a probe), and the
 * bounds must hold whatever number of processes write at once. So:
 * - a request reserves room for its record before writing it
 *   (wr_spoolsize_reserve: atomic adds, taken back when over a bound or
 *   when the write fails): the bounds on records and bytes are never
 *   exceeded, whatever the concurrency;
 * - the notifier, the only one that removes records, recounts new/ cur/
 *   and failed/ (it may read directories) and stores the result
 *   (wr_spoolsize_set) about once a second; a record written during its
 *   count may be missed until the next one, so the count can be low by
 *   the records of about a second;
 * - when a bound or a prefix's quota holds an event back, the prefix is
 *   noted for the status page (wr_spoolsize_hold) and one warning a minute
 *   goes to the error log, from whichever process gets there first.
 * No lock anywhere: single-word atomics, and a sequence number around the
 * prefix text so that a reader never shows a torn one.
 */
#ifndef WR_SPOOLSIZE_H
#define WR_SPOOLSIZE_H

#include <apr_time.h>

#include "wr_prefix.h"

/* Default of WormReplySpoolMaxBytes: the records' bytes in new/ cur/ and
 * failed/ together. */
#define WR_SPOOL_DEFAULT_MAX_BYTES (32 * 1024 * 1024)

/* What a record is accounted for beyond its bytes: room for the lines the
 * notifier may add to it later (attempts, next-try, a short failure
 * reason), so that a bound on bytes still holds after those rewrites. */
#define WR_SPOOLSIZE_MARGIN 256

typedef enum {
    WR_HELD_NONE = 0,
    WR_HELD_QUOTA,            /* the prefix used up its events per window */
    WR_HELD_RECORDS,          /* WormReplySpoolMax reached */
    WR_HELD_BYTES             /* WormReplySpoolMaxBytes reached */
} wr_held_e;

typedef struct {
    volatile apr_uint64_t entries;     /* records in new/ cur/ failed/ */
    volatile apr_uint64_t bytes;       /* their bytes */
    volatile apr_uint64_t counted_at;  /* the notifier's last count */
    volatile apr_uint64_t warned_at;   /* the last held-back warning */
    volatile apr_uint64_t held_at;     /* the last event held back */
    volatile apr_uint64_t puts;        /* records put without sync, ever:
                                        * the notifier commits when it
                                        * moves (wr_spoolsize_put) */
    volatile apr_uint32_t held_reason; /* wr_held_e */
    volatile apr_uint32_t held_seq;    /* odd while the text is written */
    char held_prefix[WR_PREFIX_TEXT_MAX];
} wr_spoolsize_t;

/* wr_spoolsize_reserve - room for one record of `len` bytes (accounted
 * as len + WR_SPOOLSIZE_MARGIN) under the bounds (0 = none); *why (may be
 * NULL) says which bound refused.
 * @return 1 if reserved (undo with wr_spoolsize_release if the write
 *         fails), 0 if a bound would be exceeded */
int wr_spoolsize_reserve(wr_spoolsize_t *sz, apr_size_t len,
                         apr_uint64_t max_entries, apr_uint64_t max_bytes,
                         wr_held_e *why);

/* wr_spoolsize_release - give back a reservation */
void wr_spoolsize_release(wr_spoolsize_t *sz, apr_size_t len);

/* wr_spoolsize_put - a record was put without sync (after its rename) */
void wr_spoolsize_put(wr_spoolsize_t *sz);

/* wr_spoolsize_puts - records put without sync so far: the notifier's
 * group commit is due when this moved since its last commit */
apr_uint64_t wr_spoolsize_puts(wr_spoolsize_t *sz);

/* wr_spoolsize_set - the notifier's count at `now`: `entries` records of
 * `bytes` bytes in all (the margin is added here) */
void wr_spoolsize_set(wr_spoolsize_t *sz, apr_uint64_t entries,
                      apr_uint64_t bytes, apr_time_t now);

/* wr_spoolsize_hold - an event of prefix `prefix` was held back at `now`
 * for `why`. @return 1 if this caller should log the warning (at most
 * one a minute among all processes) */
int wr_spoolsize_hold(wr_spoolsize_t *sz, const char *prefix, wr_held_e why,
                      apr_time_t now);

/* wr_spoolsize_held - the last prefix held back into `buf` (at least
 * WR_PREFIX_TEXT_MAX bytes), "" if none; *why and *at may be NULL */
void wr_spoolsize_held(const wr_spoolsize_t *sz, char *buf, wr_held_e *why,
                       apr_time_t *at);

/* wr_held_name - "quota", "records", "bytes" or "" */
const char *wr_held_name(wr_held_e why);

/* wr_bytes_parse - "32M", "500K", "1G", "4096" (binary units) into *n.
 * @return APR_EINVAL for anything else, zero or an overflow */
apr_status_t wr_bytes_parse(const char *s, apr_uint64_t *n);

#endif
