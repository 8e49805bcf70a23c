/* wr_statusjson.h - read back the counters JSON of the status handler
 *
 * Through jansson (Debian's libjansson, linked by the CLI and the tests
 * only: httpd writes this JSON, it never reads it), for the one shape
 * wr_counters_format() writes: a single object whose members are
 *   numbers              "requests": 12, "probe_seconds": 0.000123
 *   strings              "since": "Wed, 01 May 2024 12:00:00 GMT"
 *   true/false/null      kept as the numbers 1/0 and skipped (null)
 *   objects of numbers   "families": {"nimda": 3, "codered": 1}
 * Members the CLI does not know yet (notice counters, say) are kept in
 * document order, so a newer module still shows everything.
 *
 * Strict JSON (RFC 8259) as jansson reads it, and inside that shape:
 * arrays, deeper nesting, duplicate keys, \u0000 and integers beyond
 * 2^63 - 1 (jansson's json_int_t; no counter gets there) are refused.
 * The reader never reads past `len`; what it returns is allocated from
 * `p` (jansson's own memory is freed before it returns).
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
 * @return APR_SUCCESS, or APR_EINVAL with *err (may be NULL) saying what,
 * with the byte offset for a syntax error ("offset 17: ...") */
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
