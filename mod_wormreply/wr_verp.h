/* wr_verp.h - variable envelope return paths: each recipient of a notice
 * gets its own envelope sender, local+TOKEN@domain, whose TOKEN names the
 * notice and the recipient under a keyed MAC, so that a bounce (DSN) to
 * that address tells which mailbox failed, and mail from outside cannot
 * make us suppress an address it chooses.
 *
 * TOKEN, all lower case (MTAs may fold the case of local parts):
 *   <mac:16><day:4><notice:6>.<rcpt-local>=<rcpt-domain>
 *   mac     the first 80 bits of HMAC-SHA256(key, "wr-verp-1" NUL day NUL
 *           notice NUL rcpt), base32 (RFC 4648 alphabet, lower case)
 *   day     days since 1970 when the notice was queued, base32, 4 digits
 *   notice  the first 30 bits of SHA-256 of the notice's report id, base32:
 *           a tag for logs, not a secret
 *   rcpt    the recipient in lower case, its '@' written '='
 * A token older than WR_VERP_MAX_AGE (or dated in the future by more than
 * a day) is refused: a DSN comes within days (5 at most, by default, in
 * Exim and Postfix).
 *
 * The key is DIR/bounce.key: 32 random bytes as 64 hex digits, made once
 * by whoever needs it first (mode 0600, by link(2), so two makers agree on
 * one key) through wr_file, so given to the outbox's owner when made as
 * root. It is read through wr_file_read_private: refused unless it is a
 * regular file with one link, owned by the outbox's owner, with no group
 * or other permission bits.
 */
#ifndef WR_VERP_H
#define WR_VERP_H

#include <apr_pools.h>
#include <apr_time.h>

#include "wr_file.h"

#define WR_VERP_KEY_LEN 32
#define WR_VERP_KEY_FILE "bounce.key"
#define WR_VERP_MAX_AGE apr_time_from_sec(60 * 86400)

typedef struct {
    unsigned char k[WR_VERP_KEY_LEN];
} wr_verp_key_t;

/* What a valid token says. */
typedef struct {
    const char *rcpt;           /* the recipient, lower case */
    const char *notice;         /* the notice tag (6 base32 digits) */
    apr_time_t day;             /* start of the day the notice was queued */
} wr_verp_token_t;

/* wr_verp_key_load - the key of the outbox `dir` (DIR/bounce.key); with
 * `create`, made if missing.
 * @return APR_ENOENT if missing and not `create`; a wr_file refusal
 *         (WR_FILE_IS_REFUSED) for a key file that is not a regular
 *         single-link file of the outbox's owner with mode 0600 or less;
 *         EFBIG for one longer than 65 bytes, APR_EINVAL for one that
 *         does not hold 64 hex digits (and a newline); an I/O error */
apr_status_t wr_verp_key_load(wr_file_dir_t *dir, int create,
                              wr_verp_key_t *key, apr_pool_t *p);

/* wr_verp_sender - the envelope sender "local+TOKEN@domain" for recipient
 * `rcpt` of notice `notice_id`, queued at `now`; `bounce` is the plain
 * local@domain (WormReplyBounceAddress).
 * @return APR_EINVAL for an address that is not a plain local@domain */
apr_status_t wr_verp_sender(const wr_verp_key_t *key, const char *bounce,
                            const char *notice_id, const char *rcpt,
                            apr_time_t now, const char **sender,
                            apr_pool_t *p);

/* wr_verp_check - the token of `address` (local+TOKEN@domain, any case;
 * the part before '+' and the domain are not looked at) checked at `now`.
 * @return APR_SUCCESS with *tok filled; APR_ENOENT for an address without
 *         a token ('+'); APR_EINVAL for a token that is malformed;
 *         APR_EACCES for a MAC that does not match (forged or altered);
 *         APR_TIMEUP for a token too old or from the future */
apr_status_t wr_verp_check(const wr_verp_key_t *key, const char *address,
                           apr_time_t now, wr_verp_token_t *tok,
                           apr_pool_t *p);

#endif
