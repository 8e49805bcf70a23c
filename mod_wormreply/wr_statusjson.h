/* wr_statusjson.h - read back the counters JSON of the status handler
 *
 * APR-util 1.6 has no JSON reader (apr_json.h came with APR-util 1.7 /
 * APR 2), so this is a small strict one for the one shape
 * wr_counters_format() writes: a single object whose members are
 *   numbers              "requests": 12, "probe_seconds": 0.000123
 *   strings              "since": "Wed, 01 May 2024 12:00:00 GMT"
 *   true/false/null      kept as the numbers 1/0 and skipped (null)
 *   objects of numbers   "families": {"nimda": 3, "codered": 1}
 * Members the CLI does not know yet (notice counters, say) are kept in
 * order, so a newer module still shows everything.
 *
 * Strict JSON (RFC 8259) inside that shape: no trailing commas, no
 * comments, no leading zeros, no control bytes in strings, \u
 * escapes decoded to UTF-8 (surrogate pairs joined, lone surrogates
 * refused), whitespace only where the grammar allows it, nothing after
 * the object. Arrays, deeper nesting and duplicate keys are refused.
 * The reader never reads past `len` and allocates only from `p`.
 */
#ifndef WR_STATUSJSON_H
#define WR_STATUSJSON_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Largest document accepted. */
#define WR_STATUSJSON_MAX (1024 * 1024)

typedef struct {
    const char *name;
    double value;
    int exact;              /* a non-negative integer: `u` is exact */
    apr_uint64_t u;
} wr_statusjson_num_t;

typedef struct {
    const char *name;
    const char *value;      /* decoded, NUL-terminated */
} wr_statusjson_str_t;

typedef struct {
    const char *name;
    apr_array_header_t *members;    /* wr_statusjson_num_t, in order */
} wr_statusjson_group_t;

typedef struct {
    apr_array_header_t *numbers;    /* wr_statusjson_num_t */
    apr_array_header_t *strings;    /* wr_statusjson_str_t */
    apr_array_header_t *groups;     /* wr_statusjson_group_t */
} wr_statusjson_t;

/* wr_statusjson_parse - parse `len` bytes (need not be NUL-terminated).
 * @return APR_SUCCESS, or APR_EINVAL with *err (may be NULL) saying what
 * and at which byte offset ("offset 17: expected ':'") */
apr_status_t wr_statusjson_parse(const char *buf, apr_size_t len,
                                 wr_statusjson_t **doc, const char **err,
                                 apr_pool_t *p);

/* Lookups by member name; NULL when absent. */
const wr_statusjson_num_t *wr_statusjson_number(const wr_statusjson_t *doc,
                                                const char *name);
const char *wr_statusjson_string(const wr_statusjson_t *doc,
                                 const char *name);
const wr_statusjson_group_t *wr_statusjson_group(const wr_statusjson_t *doc,
                                                 const char *name);
/* wr_statusjson_member - a number inside a group; NULL when absent */
const wr_statusjson_num_t *wr_statusjson_member(
    const wr_statusjson_group_t *g, const char *name);

#endif
