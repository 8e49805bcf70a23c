/* wr_spool.h - the durable event spool between httpd children and the
 * notifier
 *
 * Layout, in the qmail/maildir manner, all directories mode 0700:
 *   DIR/tmp/     records being written; never read by anyone
 *   DIR/new/     complete records waiting for the notifier
 *   DIR/cur/     records claimed by the notifier (being worked on)
 *   DIR/failed/  records given up on, with the reason appended
 * A record's id is its file name, the same in every directory:
 *   <sec>.<usec>.P<pid>.Q<counter>.R<16 hex random>
 * with <sec> zero-padded to 11 digits, so that ids sort by creation time.
 * Ids are made only of [0-9A-Za-z.]; a function given any other id, or one
 * starting with '.', returns APR_EINVAL (so an id from the CLI can never
 * name a path outside the spool).
 *
 * Invariants:
 * - A file appears in new/ only complete: it is written in tmp/
 *   (O_CREAT|O_EXCL), fsynced, closed and renamed, then the new/
 *   directory is fsynced. Any failure unlinks the temporary file.
 * - Durability (issue 12 part 3): httpd's children put with
 *   wr_spool_set_sync(spool, 0), so that no request waits on the disk:
 *   both fsyncs are left out. A record renamed into new/ then survives
 *   any crash of a process, but not yet a power loss (or a kernel
 *   crash), which may lose it or leave it cut short (a record that does
 *   not parse goes to failed/ when taken). The notifier makes such
 *   records durable in groups with wr_spool_commit, and always after
 *   listing new/ and before it claims anything listed (a rename, a notice
 *   or a removal only ever follows a commit of the record); its turns
 *   bound the power-loss window (see wr_notifier.h).
 * - Claiming is a rename new/ -> cur/, atomic on one file system: of any
 *   number of processes taking the same id, exactly one gets it, the
 *   others get APR_ENOENT.
 * - Every change of state is a rename of one file or an unlink; a crash
 *   leaves each record in exactly one of tmp/ new/ cur/ failed/ (a file in
 *   tmp/ is garbage, see wr_spool_recover()).
 *
 * Record format (version 1): ASCII text, one "key: value" per line ending
 * in LF, "version: 1" first. Keys, each at most once unless said:
 *   version      1 (first line; any other version is refused on load)
 *   address      source address, textual IPv4 or IPv6 (required)
 *   family       signature family name (required)
 *   vhost        server name the probe was addressed to (may be empty)
 *   source-port  the client's TCP port, 1-65535 (optional)
 *   local-address  our address the probe came in on (optional)
 *   local-port   our TCP port the probe came in on, 1-65535 (optional)
 *   first-seen   UTC RFC 3339 with microseconds,
 *                "2024-05-01T12:00:00.000000Z" (required)
 *   last-seen    same format (required, not before first-seen)
 *   count        probes seen, decimal (required)
 *   attempts     times the notifier gave the record back, decimal
 *   next-try     RFC 3339 time before which it should not be tried again
 *   request      one request line; up to WR_EVENT_MAX_LINES times
 *   failure      why it was moved to failed/ (failed/ only)
 *   decision     the notifier's last decision about the record, one word
 *                of [a-z-]: "held" (in cur/, waiting for its digest) or
 *                "backoff" (given back to new/ until next-try)
 *   reason       that decision in words ("the domain window of
 *                example.net", "DNS: timeout")
 *   due          RFC 3339 time at which the notifier acts on it next
 * (decision, reason and due are written by the notifier only, as the
 * spool's owner, so that "wormreply queue" can say why a record waits and
 * until when; they mean nothing to the notifier itself.)
 * Unknown keys, repeated keys, missing required keys, lines without ": ",
 * a missing final LF, NUL bytes and records over WR_SPOOL_RECORD_MAX bytes
 * are refused with APR_EINVAL (a spool written by a newer version must not
 * be half-understood).
 *
 * Sanitising: values come from the network. On write every byte below
 * 0x20, 0x7f and every byte >= 0x80 is written as "\xNN", and a value is
 * cut to WR_SPOOL_VALUE_MAX bytes (ending in "..." when cut), so no value
 * can end a line or start a key. Loading does not undo the escaping: an
 * event read back holds the escaped, printable-ASCII form, and writing it
 * again changes nothing (escaping is idempotent on its own output except
 * that a literal backslash stays a backslash).
 *
 * Size limit: wr_spool_open() takes a maximum number of records and of
 * bytes in new/ + cur/ (0 = no limit). wr_spool_put() returns APR_ENOSPC
 * once either is reached; the count is taken by reading the directories at
 * most once a second per process, in between it is the last count plus
 * this process's puts. A full file system also gives APR_ENOSPC (from
 * write(2)); the caller drops the event and warns, rate-limited.
 *
 * Trust: the spool belongs to httpd's User and is hostile to root. Every
 * access goes through wr_file.h: the root and its four subdirectories are
 * opened once (O_NOFOLLOW, each subdirectory a real directory owned by the
 * root's owner) and records are reached only by *at() calls on those
 * descriptors; an entry that is not a regular file with one link is
 * refused (WR_FILE_IS_REFUSED) by every function that reads, moves or
 * removes it, and a read is bounded by WR_SPOOL_RECORD_MAX before a byte
 * is read.
 *
 * The spool logs nothing: every function returns what went wrong and the
 * caller, which knows the context (request, notifier), logs it.
 */
#ifndef WR_SPOOL_H
#define WR_SPOOL_H

#include <sys/types.h>

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* Request lines kept per event. */
#define WR_EVENT_MAX_LINES 5

/* Longest value written, in bytes after escaping (without the LF). */
#define WR_SPOOL_VALUE_MAX 2048

/* Largest record accepted on load. */
#define WR_SPOOL_RECORD_MAX 16384

/* Record format version written by this code. */
#define WR_SPOOL_VERSION 1

/* Longest record id accepted (the ids made are shorter). */
#define WR_SPOOL_ID_MAX 128

typedef struct wr_spool_t wr_spool_t;

typedef enum {
    WR_SPOOL_TMP = 0,
    WR_SPOOL_NEW,
    WR_SPOOL_CUR,
    WR_SPOOL_FAILED
} wr_spool_dir_e;

/* One event: the first probe of a host in its window, as the request saw
 * it. Strings may be NULL (written as empty; address and family may not
 * be empty). */
typedef struct {
    const char *address;      /* "192.0.2.10", "2001:db8::1" */
    const char *family;       /* "nimda" */
    const char *vhost;        /* "www.example.com" */
    apr_uint16_t source_port; /* the client's port; 0 = not known */
    const char *local_address;  /* the address probed; NULL = not known */
    apr_uint16_t local_port;  /* the port probed; 0 = not known */
    apr_time_t first_seen;
    apr_time_t last_seen;
    apr_uint64_t count;
    apr_uint32_t attempts;    /* 0 for a fresh event */
    apr_time_t next_try;      /* 0 = at once */
    int nlines;               /* 0 .. WR_EVENT_MAX_LINES */
    const char *lines[WR_EVENT_MAX_LINES];
    const char *failure;      /* set only for records in failed/ */
    const char *decision;     /* "held", "backoff"; NULL = none */
    const char *reason;       /* the decision in words; NULL = none */
    apr_time_t due;           /* when it is acted on next; 0 = not said */
} wr_event_t;

/* wr_spool_open - open the spool at `dir`, creating it and its four
 * subdirectories (mode 0700) if missing. `max_entries` and `max_bytes`
 * bound new/ + cur/ (0 = unlimited). The handle lives in `p`; it holds
 * the five directories' descriptors (close-on-exec) until `p` is cleared,
 * so it may be created before fork() and used in every child without a
 * path walk per record. Run as root, the subdirectories it makes are
 * given to the owner of `dir`.
 * @return APR_SUCCESS, or the error of mkdir (APR_EACCES, APR_ENOTDIR
 *         ...) or a refusal (wr_file.h) for the first directory that
 *         could not be made or used. */
apr_status_t wr_spool_open(wr_spool_t **spool, const char *dir,
                           apr_size_t max_entries, apr_off_t max_bytes,
                           apr_pool_t *p);

/* wr_spool_attach - an existing spool only, making nothing (for the CLI:
 * a mistyped path must not become a spool); *what (may be NULL) gets the
 * path that failed.
 * @return APR_ENOENT, a refusal (a symlinked subdirectory...), the open
 *         error */
apr_status_t wr_spool_attach(wr_spool_t **spool, const char *dir,
                             const char **what, apr_pool_t *p);

/* wr_spool_dir - the path of one of the subdirectories */
const char *wr_spool_dir(const wr_spool_t *spool, wr_spool_dir_e which);

/* wr_spool_owner - the owner and group of the spool's root */
void wr_spool_owner(const wr_spool_t *spool, uid_t *uid, gid_t *gid);

/* wr_spool_set_sync - whether wr_spool_put fsyncs each record and new/
 * (1, the default) or leaves that to wr_spool_commit (0: the request
 * path, which must never wait on the disk). Set before the handle is
 * shared. */
void wr_spool_set_sync(wr_spool_t *spool, int sync);

/* wr_spool_commit - the group commit: make durable every record put
 * without sync before this call, and every name made in the spool: one
 * syncfs(2) of the spool's file system where there is one (a single call
 * however many records; it flushes the rest of that file system too),
 * else an fsync of each record of new/ and cur/ and of both directories.
 * @return the error of the sync (or of the fallback's listing) */
apr_status_t wr_spool_commit(wr_spool_t *spool, apr_pool_t *p);

/* wr_spool_put - write `ev` into new/ (durably unless
 * wr_spool_set_sync(spool, 0): see the invariants). *id (may be NULL)
 * receives the new record's id, allocated in `p`. Safe to call from
 * several threads with one handle (each with its own pool).
 * @return APR_SUCCESS; APR_EINVAL for an event without family, with an
 *         address that is empty or has characters other than hex digits,
 *         '.' and ':', or with nlines out of range; APR_ENOSPC when over
 *         the limit or the disk is full; the I/O error otherwise. Nothing
 *         is left behind on failure. */
apr_status_t wr_spool_put(wr_spool_t *spool, const wr_event_t *ev,
                          const char **id, apr_pool_t *p);

/* wr_spool_put_text - wr_spool_put of a record already made by
 * wr_event_dump (`len` bytes at `text`): the request path dumps once, to
 * reserve its room in the shared size, and writes that text.
 * @return as wr_spool_put but for APR_EINVAL */
apr_status_t wr_spool_put_text(wr_spool_t *spool, const char *text,
                               apr_size_t len, const char **id,
                               apr_pool_t *p);

/* wr_spool_list - ids in one directory, oldest first, as an array of
 * const char * allocated in `p`. Names starting with '.' and names that
 * are not valid ids are skipped; the entries are not checked (the calls
 * that use one refuse what is not a regular file with one link). An empty
 * directory gives an empty array. */
apr_status_t wr_spool_list(wr_spool_t *spool, wr_spool_dir_e which,
                           apr_array_header_t **ids, apr_pool_t *p);

/* wr_spool_take - claim `id` (new/ -> cur/) and load it into *ev
 * (allocated in `p`).
 * @return APR_SUCCESS; APR_ENOENT if the id is not in new/ (another
 *         process took it, or it never was); APR_EINVAL if the record is
 *         malformed, of an unknown version or too large: it is then moved
 *         on to failed/ so that it is not taken again, and *ev is not set;
 *         a refusal (wr_file.h) for an entry that is not a regular file
 *         with one link, left where it is. */
apr_status_t wr_spool_take(wr_spool_t *spool, const char *id,
                           wr_event_t **ev, apr_pool_t *p);

/* wr_spool_load - read a record without claiming it (for the CLI).
 * @return APR_ENOENT if not in `which`, APR_EINVAL if malformed, EFBIG
 *         if over WR_SPOOL_RECORD_MAX, a refusal. */
apr_status_t wr_spool_load(wr_spool_t *spool, wr_spool_dir_e which,
                           const char *id, wr_event_t **ev, apr_pool_t *p);

/* wr_spool_raw - a record's bytes as they are (NUL-terminated), for
 * showing one that cannot be parsed. @return as wr_spool_load */
apr_status_t wr_spool_raw(wr_spool_t *spool, wr_spool_dir_e which,
                          const char *id, char **buf, apr_size_t *len,
                          apr_pool_t *p);

/* wr_spool_done - the notifier finished with a claimed record: remove it
 * from cur/. @return APR_ENOENT if it is not in cur/. */
apr_status_t wr_spool_done(wr_spool_t *spool, const char *id,
                           apr_pool_t *p);

/* wr_spool_fail - give up on a claimed record: rewrite it with
 * "failure: <reason>" (sanitised) into failed/ and remove it from cur/.
 * A record that cannot be parsed any more is moved as it is.
 * @return APR_ENOENT if it is not in cur/. */
apr_status_t wr_spool_fail(wr_spool_t *spool, const char *id,
                           const char *reason, apr_pool_t *p);

/* wr_spool_release - hand a claimed record back to new/ for a later try.
 * With `updated` non-NULL the record is first replaced by `updated`
 * (typically with attempts + 1 and next-try set), atomically: tmp/ ->
 * cur/id by rename, then cur/ -> new/. @return APR_ENOENT if `id` is not
 * in cur/. */
apr_status_t wr_spool_release(wr_spool_t *spool, const char *id,
                              const wr_event_t *updated, apr_pool_t *p);

/* wr_spool_note - the notifier's decision about a claimed record:
 * cur/<id> replaced by `ev` (typically the event as taken, with decision,
 * reason and due set), atomically (written and fsynced in tmp/, renamed
 * over cur/<id>), so that a reader sees the old text or the new one.
 * @return APR_ENOENT if `id` is not in cur/ (nothing is created), a
 *         refusal, APR_EINVAL for an event wr_spool_put would refuse, the
 *         I/O error */
apr_status_t wr_spool_note(wr_spool_t *spool, const char *id,
                           const wr_event_t *ev, apr_pool_t *p);

/* wr_spool_retry - put failed record `id` back into new/ with attempts,
 * next-try, failure and the notifier's decision cleared: rewritten in failed/ (tmp/ -> failed/ by
 * rename), then renamed into new/, each step atomic, so a crash leaves it
 * in failed/ (old or new text) or in new/, never in both. Safe while the
 * notifier runs: it never reads failed/.
 * @return APR_ENOENT if not in failed/; APR_EINVAL if unreadable; EFBIG,
 *         a refusal; the I/O error */
apr_status_t wr_spool_retry(wr_spool_t *spool, const char *id,
                            apr_pool_t *p);

/* wr_spool_remove - delete a record from any directory (CLI "drop").
 * @return APR_ENOENT if it is not there. */
apr_status_t wr_spool_remove(wr_spool_t *spool, wr_spool_dir_e which,
                             const char *id, apr_pool_t *p);

/* wr_spool_recover - tidy up after a crash; call it when no notifier is
 * working on the spool (at notifier start). Removes files in tmp/ whose
 * modification time is more than `tmp_age` before `now` (younger ones may
 * be httpd children writing right now) and moves everything in cur/ back
 * to new/ (work of a notifier that died mid-batch). Counts go to the
 * out-parameters, each may be NULL. */
apr_status_t wr_spool_recover(wr_spool_t *spool, apr_time_t now,
                              apr_interval_time_t tmp_age,
                              int *tmp_removed, int *cur_returned,
                              apr_pool_t *p);

typedef struct {
    int n_new;
    int n_cur;
    int n_failed;
    apr_off_t bytes;          /* in new/ + cur/ */
    apr_off_t bytes_failed;   /* in failed/ */
    apr_time_t oldest;        /* creation time of the oldest record in
                               * new/ or cur/ (from its id); 0 if none */
} wr_spool_stat_t;

/* wr_spool_stat - counts for status pages and the size limit */
apr_status_t wr_spool_stat(wr_spool_t *spool, wr_spool_stat_t *st,
                           apr_pool_t *p);

/* wr_event_dump - the record text for `ev`, sanitised, allocated in `p`.
 * @return APR_EINVAL for an event wr_spool_put would refuse. */
apr_status_t wr_event_dump(const wr_event_t *ev, const char **text,
                           apr_size_t *len, apr_pool_t *p);

/* wr_event_format - the same text (byte for byte) in the caller's `size`
 * bytes at `buf`, NUL-terminated, written in one pass with no allocation:
 * the request path formats a first sighting's record on its stack
 * (WR_EVENT_STACK_SIZE bytes hold every event whose address, family,
 * vhost and request line are not all near WR_SPOOL_VALUE_MAX).
 * @return APR_EINVAL as wr_event_dump, APR_ENOSPC if the record does not
 * fit (then wr_event_dump, which sizes for the worst case, does). */
apr_status_t wr_event_format(const wr_event_t *ev, char *buf,
                             apr_size_t size, apr_size_t *len);

/* A request-path buffer for wr_event_format. */
#define WR_EVENT_STACK_SIZE 8192

/* wr_event_parse - parse a record (`len` bytes, need not be
 * NUL-terminated) into *ev, allocated in `p`. On APR_EINVAL, *err (may be
 * NULL) names the problem ("line 3: unknown key 'x'"). */
apr_status_t wr_event_parse(const char *buf, apr_size_t len,
                            wr_event_t **ev, const char **err,
                            apr_pool_t *p);

/* wr_spool_id_ok - 1 if `id` could be a record id (see above): 1 to
 * WR_SPOOL_ID_MAX bytes of [0-9A-Za-z.], not starting with '.'; 0 for
 * NULL. The one check of an id from a file name or a command line. */
int wr_spool_id_ok(const char *id);

/* wr_id_time - creation time encoded in a record id; 0 if not an id or
 * if the time does not fit an apr_time_t */
apr_time_t wr_id_time(const char *id);

#endif
