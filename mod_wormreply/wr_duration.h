/* wr_duration.h - durations in directives: "30", "30s", "5m", "1h30m", "5d"
 *
 * Syntax: one or more <digits><unit> components, units in strictly
 * decreasing order and each used at most once:
 *   d (86400 s), h (3600 s), m (60 s), s, ms
 * A bare number with no unit ("30") means seconds and must be the whole
 * string. No sign, no spaces, no fractions: "-5m", " 5m", "1.5h", "5m " and
 * "1m30" are all refused, as are "" and a value that does not fit in an
 * apr_interval_time_t (microseconds, signed 64 bits). "0" and "0s" are
 * accepted and mean zero; whether zero makes sense is the caller's call.
 */
#ifndef WR_DURATION_H
#define WR_DURATION_H

#include <apr_pools.h>
#include <apr_time.h>

/* wr_duration_parse - parse `s` into microseconds.
 * @return APR_SUCCESS, or APR_EINVAL (syntax, unknown unit, overflow) with
 *         *out left untouched. */
apr_status_t wr_duration_parse(const char *s, apr_interval_time_t *out);

/* wr_duration_format - "1d2h3m4s", "5m", "0s", "1s250ms" for logs and
 * status pages; a sub-millisecond rest is written as "us" and a negative
 * value gets a leading '-'. Every output without "us" or '-' parses back
 * to the same value. */
const char *wr_duration_format(apr_interval_time_t d, apr_pool_t *p);

#endif
