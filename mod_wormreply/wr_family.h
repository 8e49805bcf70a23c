/* wr_family.h - the attributes a signature family may carry
 *
 * A family is declared in a signature file as
 *   family NAME on|off [KEY=VALUE ...] [description]
 * Every KEY=VALUE word between on|off and the description is an
 * attribute; the first word that is not KEY=VALUE (KEY made of a-z, 0-9
 * and '-', starting with a letter) starts the description. Keys are
 * known in advance: an unknown key or a value the key does not allow is
 * refused, and the signature file fails to load with FILE:LINE.
 *
 * Keys (the table lives in wr_family.c, one row per key):
 *   confidence   certain|likely|recon, default certain. How sure a match
 *                of the family is that the source runs a worm or an
 *                exploit scanner: "certain" for the worms' own requests
 *                (no client ever sends them), "likely" for exploit shapes
 *                a broken client could conceivably produce, "recon" for
 *                requests that only look for a target. Only the
 *                families that notify (WormReplyNotifyFamilies, by
 *                default the certain ones) make a notice by themselves.
 *   kind         worm|scanner, default scanner. What sends such requests:
 *                a worm spreading by itself (the host is infected, X-ARF
 *                names the malware, XARF v4 reports an infected_host) or
 *                a scanner or bot looking for holes.
 *
 * Besides attributes, a family may carry text for the abuse desk, on lines
 * of their own (see wr_match.h): "title NAME TEXT" (what the notices call
 * it) and "about NAME TEXT" (what it is and how to clean it up; several
 * lines are joined).
 *
 * To add a key: one row in family_keys[] (wr_family.c), a line in the
 * header of conf/signatures.conf and in the README's Signatures section.
 * Readers get a family's value through wr_sigset_family_attr() (wr_match.h),
 * which gives the key's default when the family does not set it.
 */
#ifndef WR_FAMILY_H
#define WR_FAMILY_H

#include <apr_pools.h>

/* Most keys the table may hold (the per-family storage is this wide). */
#define WR_FAMILY_KEYS_MAX 16

typedef enum {
    WR_CONFIDENCE_CERTAIN = 0,
    WR_CONFIDENCE_LIKELY,
    WR_CONFIDENCE_RECON
} wr_confidence_t;

#define WR_CONFIDENCE_COUNT 3

/* wr_family_key_count - how many keys are known */
int wr_family_key_count(void);

/* wr_family_key_name - the name of key number `k`, NULL out of range */
const char *wr_family_key_name(int k);

/* wr_family_key_index - the number of key `key`, -1 if it is unknown */
int wr_family_key_index(const char *key);

/* wr_family_key_default - the value of key `k` for a family that does not
 * set it (NULL: none), NULL out of range */
const char *wr_family_key_default(int k);

/* wr_family_attr_check - whether KEY=VALUE is a valid attribute.
 * @return APR_SUCCESS with *k the key's number; APR_ENOENT for an unknown
 *         key and APR_EINVAL for a value the key does not allow, with
 *         *err (allocated in `p`) saying which keys or values are valid */
apr_status_t wr_family_attr_check(const char *key, const char *value,
                                  int *k, const char **err, apr_pool_t *p);

/* wr_family_attr_split - whether `word` has the form KEY=VALUE (KEY of
 * a-z, 0-9 and '-', starting with a letter; VALUE may be empty). On 1,
 * *key and *value are copies in `p`. */
int wr_family_attr_split(const char *word, const char **key,
                         const char **value, apr_pool_t *p);

/* wr_confidence_parse - "certain", "likely" or "recon".
 * @return APR_EINVAL for anything else */
apr_status_t wr_confidence_parse(const char *s, wr_confidence_t *c);

/* wr_confidence_name - the name of `c`, "certain" for a value out of
 * range */
const char *wr_confidence_name(wr_confidence_t c);

#endif
