/* wr_match.h - worm probe signatures and the matcher
 *
 * A signature set holds named families ("codered", "nimda", "iis", or an
 * administrator's own), each with PCRE2 patterns compiled once (JIT) at
 * configuration time. A pattern applies to one subject:
 *   norm  the normalised target (wr_normalize.h: decoded, '\' -> '/',
 *         lower case; compiled caseless)
 *   raw   the request target exactly as sent
 *   line  the request line as received ("GET /x HTTP/1.0")
 * Families are tried in the order they were declared; the first family
 * with a matching pattern wins, so specific families come before broad
 * ones.
 *
 * Cost: a request is first run through a literal prefilter. Every pattern
 * with a required literal of 4 or more bytes is keyed on the rarest 4-byte
 * window of its literals (by a table of how common each byte is in
 * request targets), and all keys form a 65,536-bit set; every byte pair
 * of every key is marked in a 64 KiB pair table. The rejection reads the
 * target (and a method of 4 or more bytes) eight bytes at a time and
 * looks up its four aligned byte pairs: a target none of whose pairs is
 * marked, and which has nothing to decode, is turned away there, with no
 * allocation, no copy and no regex run (wr_match_suspect). Only then are
 * the windows around the marked pairs checked, and a pattern runs only
 * when its own window was seen (in the target, or for "norm" patterns in
 * the normalised target, which is made only when some pattern needs it).
 * Families with a pattern that has no such literal disable the prefilter
 * while they are active.
 *
 * Signature file format (conf/signatures.conf), one item per line:
 *   # comment
 *   family NAME on|off [KEY=VALUE ...] [description]
 *                                        declare; on/off = active by
 *                                        default; attributes: wr_family.h
 *   title NAME TEXT                      what notices call the family
 *   about NAME TEXT                      for the abuse desk: what it is,
 *                                        how to clean up; lines are joined
 *   NAME SUBJECT PATTERN                 PATTERN is the rest of the line
 * ("family", "title" and "about" are therefore no family names.)
 * A family used before it is declared is declared "on", with every
 * attribute at its default. Re-declaring a family updates its default,
 * its description (when one is given) and the attributes it names.
 */
#ifndef WR_MATCH_H
#define WR_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <apr_pools.h>

#include "wr_family.h"

#define WR_MAX_FAMILIES 32
#define WR_FAMILY_NAME_MAX 31

typedef uint32_t wr_family_mask_t;

typedef enum {
    WR_SUBJ_NORM = 0,
    WR_SUBJ_RAW,
    WR_SUBJ_LINE
} wr_subject_t;

typedef struct wr_sigset_t wr_sigset_t;

/* What the matcher looks at. `line` may be NULL (then a raw target alone
 * is matched); `target` may not. `line_len` may be WR_LEN_UNKNOWN for a
 * NUL-terminated line: measured only if a line pattern has to run. `method` (may be NULL) is scanned by the
 * prefilter for line patterns keyed on it ("SEARCH"); the protocol is
 * not. Lengths exclude any NUL. */
#define WR_LEN_UNKNOWN ((size_t)-1)

typedef struct {
    const char *target;
    size_t target_len;
    const char *line;
    size_t line_len;
    const char *method;
    size_t method_len;
} wr_request_t;

typedef struct {
    int family;              /* index into the set, -1 for no match */
    const char *name;        /* family name, NULL for no match */
    const char *origin;      /* "file:line" of the pattern that matched */
} wr_match_t;

/* wr_sigset_create - an empty set living in pool `p`; compiled patterns
 * are freed by a cleanup on `p`. */
apr_status_t wr_sigset_create(wr_sigset_t **pset, apr_pool_t *p);

/* wr_sigset_declare_family - declare (or re-declare: updates default and
 * description) a family. @return APR_EINVAL with *err set for a bad name,
 * APR_ENOSPC when WR_MAX_FAMILIES are declared already. */
apr_status_t wr_sigset_declare_family(wr_sigset_t *set, const char *name,
                                      int default_on, const char *desc,
                                      const char **err);

/* wr_sigset_add - compile `pattern` for `family` (declared "on" if new).
 * `origin` names where it came from, for messages. @return APR_EINVAL with
 * *err = "<origin>: <PCRE2 message> at offset N in '<pattern>'". */
apr_status_t wr_sigset_add(wr_sigset_t *set, const char *family,
                           wr_subject_t subj, const char *pattern,
                           const char *origin, const char **err);

/* wr_sigset_load_buffer - parse signature-file text; `name` is used in
 * origins and messages ("name:line"). Stops at the first error. */
apr_status_t wr_sigset_load_buffer(wr_sigset_t *set, const char *text,
                                   size_t len, const char *name,
                                   const char **err);

/* wr_sigset_load_file - read and parse a signature file.
 * @return the read error (with *err naming the file) or a parse error. */
apr_status_t wr_sigset_load_file(wr_sigset_t *set, const char *path,
                                 const char **err);

/* wr_sigset_load_builtin - the set shipped in conf/signatures.conf, which
 * the build compiles into the binary (wr_builtin_sigs.c). */
apr_status_t wr_sigset_load_builtin(wr_sigset_t *set, const char **err);

/* wr_subject_parse - "norm", "raw" or "line". @return APR_EINVAL if none */
apr_status_t wr_subject_parse(const char *s, wr_subject_t *subj);

/* Family table. wr_sigset_family_index returns -1 for an unknown name. */
int wr_sigset_family_count(const wr_sigset_t *set);
int wr_sigset_family_index(const wr_sigset_t *set, const char *name);
const char *wr_sigset_family_name(const wr_sigset_t *set, int idx);
const char *wr_sigset_family_desc(const wr_sigset_t *set, int idx);
/* What the notices say of a family: its "title" and "about" lines, NULL
 * when it has none. */
const char *wr_sigset_family_title(const wr_sigset_t *set, int idx);
const char *wr_sigset_family_about(const wr_sigset_t *set, int idx);
int wr_sigset_pattern_count(const wr_sigset_t *set);

/* wr_sigset_family_set_attr - set attribute KEY=VALUE of family `idx`
 * (wr_family.h lists the keys). @return APR_SUCCESS; APR_ENOENT for an
 * unknown family or key, APR_EINVAL for a value the key does not allow,
 * with *err saying why (without an origin) */
apr_status_t wr_sigset_family_set_attr(wr_sigset_t *set, int idx,
                                       const char *key, const char *value,
                                       const char **err);

/* wr_sigset_family_attr - the value of attribute `key` of family `idx`:
 * what the family set, else the key's default (which may be NULL).
 * @return NULL for an unknown family or key. The string lives as long as
 * the set. */
const char *wr_sigset_family_attr(const wr_sigset_t *set, int idx,
                                  const char *key);

/* wr_sigset_family_confidence - the "confidence" attribute, parsed;
 * WR_CONFIDENCE_CERTAIN for an unknown family */
wr_confidence_t wr_sigset_family_confidence(const wr_sigset_t *set, int idx);

/* wr_sigset_unfiltered - the origin ("file:line") of the first pattern of
 * family `idx` that has no 4-byte literal, so that the prefilter cannot
 * rule a request out while the family is active; NULL if there is none */
const char *wr_sigset_unfiltered(const wr_sigset_t *set, int idx);
wr_family_mask_t wr_sigset_default_mask(const wr_sigset_t *set);
wr_family_mask_t wr_sigset_all_mask(const wr_sigset_t *set);

/* wr_match_request - match one request against the active families.
 * @return 1 and fills *m on a match; 0 (m->family = -1) otherwise.
 * Thread-safe on a set that is no longer being modified. */
int wr_match_request(const wr_sigset_t *set, wr_family_mask_t mask,
                     const wr_request_t *req, wr_match_t *m);

/* wr_match_suspected - wr_match_request without the prefilter in front:
 * the same answer for any request, since the match's own scan turns away
 * one with no window of the filter and nothing to decode. For a caller
 * that has looked already (wr_match_suspect called the request suspect,
 * or wr_pairs_clear found a marked pair), so that the request path runs
 * the prefilter at most once per request. */
int wr_match_suspected(const wr_sigset_t *set, wr_family_mask_t mask,
                       const wr_request_t *req, wr_match_t *m);

/* wr_match_suspect - the prefilter alone, for a caller that wants to turn
 * an ordinary request away before it builds a wr_request_t: 0 when no
 * request with this target and method can match an active family (the
 * request is not a probe), 1 when wr_match_request has to decide. Does
 * not allocate; `method` may be NULL. */
int wr_match_suspect(const wr_sigset_t *set, wr_family_mask_t mask,
                     const char *target, size_t target_len,
                     const char *method, size_t method_len);

/* wr_load8 - eight bytes as a little-endian word: byte k is bits
 * 8k..8k+7, so that (w >> 16 * j) & 0xffff indexes the pair table with
 * the j-th aligned pair (p[2j] | p[2j + 1] << 8) */
static inline uint64_t wr_load8(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
#else
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16
           | (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32
           | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48
           | (uint64_t)p[7] << 56;
#endif
}

/* wr_pairs4 - the pair table's flags of the four aligned pairs of w, or'ed */
static inline unsigned wr_pairs4(const unsigned char *pairs, uint64_t w)
{
    return pairs[w & 0xffff] | pairs[(w >> 16) & 0xffff]
           | pairs[(w >> 32) & 0xffff] | pairs[w >> 48];
}

/* wr_sigset_pairs - the prefilter's byte-pair table for `mask`, for a
 * caller that turns ordinary requests away inline (wr_pairs_clear) with
 * the table it looked up at configuration time; NULL when the table alone
 * cannot rule a request out (an active family has a pattern without a
 * 4-byte literal, or no family is active): then call wr_match_suspect.
 * The table lives as long as the set. */
const unsigned char *wr_sigset_pairs(const wr_sigset_t *set,
                                     wr_family_mask_t mask);

/* wr_pairs_clear - 1 when s[0..n) cannot match: none of its aligned byte
 * pairs is marked in `pairs` (a pair that may belong to a signature's
 * literal window, or holds a byte the normaliser decodes; a last odd byte
 * is looked up as the pair (byte, NUL), marked when the byte decodes).
 * 0 means "suspect": wr_match_suspect decides. Eight bytes a step, no
 * call: this is all an ordinary request pays. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int wr_pairs_clear(const unsigned char *pairs, const char *s,
                                 size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned v = 0;
    size_t i;

    if (n >= 8) {
        for (i = 0; i + 16 <= n; i += 8) {
            if ((v = wr_pairs4(pairs, wr_load8(p + i))) != 0) {
                return 0;
            }
        }
        /* the last 8 to 16 bytes: two loads that may overlap (at an even
         * offset, so that the pairs stay aligned) */
        v = wr_pairs4(pairs, wr_load8(p + i))
            | wr_pairs4(pairs, wr_load8(p + ((n - 8) & ~(size_t)1)));
    }
    else {
        for (i = 0; i + 1 < n; i += 2) {
            v |= pairs[(unsigned)p[i] | (unsigned)p[i + 1] << 8];
        }
    }
    return (v | ((n & 1) ? pairs[p[n - 1]] : 0)) == 0;
}

/* wr_match_line - split a request line ("METHOD TARGET [PROTOCOL]", or a
 * bare target) as httpd would see it and match it. Also used for lines
 * httpd rejected before any request hook ran. */
int wr_match_line(const wr_sigset_t *set, wr_family_mask_t mask,
                  const char *line, size_t len, wr_match_t *m);

/* wr_request_from_line - fill *req from a request line as wr_match_line
 * splits it (method, target, the line without a trailing CR/LF) */
void wr_request_from_line(const char *line, size_t len, wr_request_t *req);

/* wr_requestline_target - locate the target inside a request line:
 * the text after the method, without a trailing " HTTP/x.y". A line that
 * starts with '/' is taken as a bare target. */
void wr_requestline_target(const char *line, size_t len,
                           const char **target, size_t *tlen);

#endif
