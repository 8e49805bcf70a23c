/* wr_time.h - times and durations as the project writes and reads them
 *
 * Every time is UTC. The written forms, one place each:
 *   WR_TIME_RFC3339       2024-05-01T12:00:00Z         status, CLI, report
 *   WR_TIME_RFC3339_USEC  2024-05-01T12:00:00.000000Z  spool records
 *   WR_TIME_RFC5322       Wed, 01 May 2024 12:00:00 +0000   Date: fields
 *   WR_TIME_HUMAN         2024-05-01 12:00:00 UTC      notice text
 *   WR_TIME_MINUTE        2024-05-01 12:00             report tables
 *   WR_TIME_COMPACT       20240501T120000Z             report ids
 *   WR_TIME_RBLDNSD       2024:05:01:12:00:00          rbldnsd $TIMESTAMP
 * A year past 9999 is written with more digits; the readers take 1970
 * through 9999 only.
 *
 * Durations, one grammar for directives and every CLI option:
 *   one or more <digits><unit> components, units in strictly decreasing
 *   order and each used at most once:
 *     w (7 d), d (86400 s), h (3600 s), m or min (60 s), s, ms
 *   A bare number with no unit ("30") means seconds and must be the
 *   whole string. The seconds, bare or with "s", may carry a fraction of
 *   up to 6 digits ("0.5", "1m2.25s"), and are then the last component.
 *   No sign, no spaces, no other fractions: "-5m", " 5m", "1.5h", "5m "
 *   and "1m30" are refused, as are "" and a value that does not fit in
 *   an apr_interval_time_t (microseconds, signed 64 bits). "0" and "0s"
 *   mean zero; whether zero (or a fraction) makes sense is the caller's
 *   call.
 */
#ifndef WR_TIME_H
#define WR_TIME_H

#include <apr_pools.h>
#include <apr_time.h>

typedef enum {
    WR_TIME_RFC3339,
    WR_TIME_RFC3339_USEC,
    WR_TIME_RFC5322,
    WR_TIME_HUMAN,
    WR_TIME_MINUTE,
    WR_TIME_COMPACT,
    WR_TIME_RBLDNSD
} wr_time_form_e;

/* Room for every form, whatever the year. */
#define WR_TIME_SIZE 48

/* wr_time_format - t written in `form` into buf (`size` bytes, cut to
 * fit; WR_TIME_SIZE always does); returns buf */
const char *wr_time_format(char *buf, apr_size_t size, wr_time_form_e form,
                           apr_time_t t);

/* wr_time_pformat - wr_time_format into a copy from pool p */
const char *wr_time_pformat(wr_time_form_e form, apr_time_t t,
                            apr_pool_t *p);

/* wr_time_parse - a time written in `form`, read back:
 * - WR_TIME_RFC3339 takes any RFC 3339 date-time: "T" or "t", an
 *   optional fraction (".5", digits past the sixth ignored), and "Z",
 *   "z" or a "+hh:mm"/"-hh:mm" offset; a leap second (":60") is the
 *   next second;
 * - WR_TIME_RFC3339_USEC takes exactly what wr_time_format writes.
 * @return APR_SUCCESS; APR_EINVAL for anything else (an impossible date
 *         included), a time before 1970 or after 9999, or another form;
 *         *t untouched then */
apr_status_t wr_time_parse(const char *s, wr_time_form_e form,
                           apr_time_t *t);

/* wr_time_from_civil - seconds since 1970 of a UTC date and time, each
 * field checked (month 1-12, the month's days with 29 February only in
 * leap years, hours 0-23, minutes 0-59, seconds 0-60; the year from
 * 1970 through 9999). @return 0, or -1 with *secs untouched */
int wr_time_from_civil(int year, int mon, int day, int hh, int mm, int ss,
                       long long *secs);

/* wr_time_month - 1 to 12 for the English abbreviation ("Jan") in the
 * first three bytes at s, as RFC 5322 and the Common Log Format write it
 * (case counts); 0 for anything else */
int wr_time_month(const char *s);

/* wr_duration_parse - parse `s` (the grammar above) into microseconds.
 * @return APR_SUCCESS, or APR_EINVAL (syntax, unknown unit, overflow) with
 *         *out left untouched. */
apr_status_t wr_duration_parse(const char *s, apr_interval_time_t *out);

/* wr_duration_format - "1d2h3m4s", "5m", "0s", "1s250ms" for logs and
 * status pages (days the largest unit); a sub-millisecond rest is written
 * as "us" and a negative value gets a leading '-'. Every output without
 * "us" or '-' parses back to the same value. */
const char *wr_duration_format(apr_interval_time_t d, apr_pool_t *p);

#endif
