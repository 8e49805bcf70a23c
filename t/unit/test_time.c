/* test_time.c - wr_time: every written form, the RFC 3339 readers (the
 * CLI's and the spool's exact one), civil dates and month names */
#include <apr_general.h>
#include <apr_pools.h>

#include "test-lib.h"
#include "wr_time.h"

#define SEC(n) apr_time_from_sec(APR_INT64_C(n))

/* 2024-05-01T12:00:00Z, a Wednesday */
#define T2024 SEC(1714564800)

static void test_format(apr_pool_t *p)
{
    char buf[WR_TIME_SIZE], small[8];
    apr_time_t t = T2024 + 250000;

    check_str(wr_time_format(buf, sizeof(buf), WR_TIME_RFC3339, t),
              "2024-05-01T12:00:00Z", "RFC 3339, whole seconds");
    check_str(wr_time_format(buf, sizeof(buf), WR_TIME_RFC3339_USEC, t),
              "2024-05-01T12:00:00.250000Z", "RFC 3339 with microseconds");
    check_str(wr_time_format(buf, sizeof(buf), WR_TIME_RFC5322, t),
              "Wed, 01 May 2024 12:00:00 +0000", "RFC 5322");
    check_str(wr_time_format(buf, sizeof(buf), WR_TIME_HUMAN, t),
              "2024-05-01 12:00:00 UTC", "human");
    check_str(wr_time_format(buf, sizeof(buf), WR_TIME_MINUTE, t),
              "2024-05-01 12:00", "to the minute");
    check_str(wr_time_format(buf, sizeof(buf), WR_TIME_COMPACT, t),
              "20240501T120000Z", "compact (report ids)");
    check_str(wr_time_format(buf, sizeof(buf), WR_TIME_RBLDNSD, t),
              "2024:05:01:12:00:00", "rbldnsd's $TIMESTAMP");
    check_str(wr_time_pformat(WR_TIME_RFC5322, SEC(1078012800), p),
              "Sun, 29 Feb 2004 00:00:00 +0000", "a leap day's weekday");
    check_str(wr_time_pformat(WR_TIME_RFC3339_USEC, 0, p),
              "1970-01-01T00:00:00.000000Z", "the epoch");
    check_str(wr_time_format(small, sizeof(small), WR_TIME_RFC3339, t),
              "2024-05", "a short buffer gets what fits");
    check_str(wr_time_pformat(WR_TIME_RFC3339, SEC(253402300800), p),
              "10000-01-01T00:00:00Z", "a year past 9999 gets more digits");
}

static void test_parse(void)
{
    apr_time_t t = 0, keep;

    check_int(wr_time_parse("2004-05-01T12:00:00Z", WR_TIME_RFC3339, &t),
              APR_SUCCESS, "RFC 3339 UTC parses");
    check_int(apr_time_sec(t), 1083412800, "... to the right second");
    check_int(wr_time_parse("2004-05-01T14:00:00.250+02:00", WR_TIME_RFC3339,
                            &t), APR_SUCCESS, "offset and fraction parse");
    check_int(t, SEC(1083412800) + 250000,
              "... the offset is taken off, the fraction kept");
    check_int(wr_time_parse("2004-05-01t07:00:00-05:00", WR_TIME_RFC3339,
                            &t), APR_SUCCESS,
              "lower-case t and a negative offset");
    check_int(apr_time_sec(t), 1083412800, "... same instant");
    check_int(wr_time_parse("2004-05-01T12:00:00.1234567Z", WR_TIME_RFC3339,
                            &t), APR_SUCCESS, "a seventh fraction digit");
    check_int(t, SEC(1083412800) + 123456, "... is dropped");
    check_int(wr_time_parse("2016-12-31T23:59:60Z", WR_TIME_RFC3339, &t),
              APR_SUCCESS, "a leap second");
    check_int(apr_time_sec(t), 1483228800, "... is the next second");
    check_int(wr_time_parse("2004-02-29T00:00:00Z", WR_TIME_RFC3339, &t),
              APR_SUCCESS, "29 February of a leap year");
    check_int(wr_time_parse("2000-02-29T00:00:00Z", WR_TIME_RFC3339, &t),
              APR_SUCCESS, "29 February 2000 (divisible by 400)");
    keep = t;
    check_int(wr_time_parse("2003-02-29T00:00:00Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "29 February of another year is refused");
    check_int(wr_time_parse("2100-02-29T00:00:00Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "29 February 2100 is refused");
    check_int(wr_time_parse("2004-04-31T00:00:00Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "31 April is refused");
    check_int(wr_time_parse("2004-05-01 12:00:00Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "a space for T is refused");
    check_int(wr_time_parse("2004-05-01T12:00:00", WR_TIME_RFC3339, &t),
              APR_EINVAL, "no zone is refused");
    check_int(wr_time_parse("2004-13-01T12:00:00Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "month 13 is refused");
    check_int(wr_time_parse("2004-05-01T24:00:00Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "hour 24 is refused");
    check_int(wr_time_parse("2004-05-01T12:00:00Zjunk", WR_TIME_RFC3339,
                            &t), APR_EINVAL, "trailing junk is refused");
    check_int(wr_time_parse("2004-05-01T12:00:00.Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "an empty fraction is refused");
    check_int(wr_time_parse("2004-05-01T12:00:00+24:00", WR_TIME_RFC3339,
                            &t), APR_EINVAL, "an offset of 24 h is refused");
    check_int(wr_time_parse("-004-05-01T12:00:00Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "a sign in the year is refused");
    /* found by t/fuzz/fuzz_blocklist: accepted, then written as 1969 */
    check_int(wr_time_parse("1970-01-01T00:00:00+23:59", WR_TIME_RFC3339,
                            &t), APR_EINVAL,
              "a time before the epoch is refused");
    check_int(wr_time_parse("1969-12-31T23:59:59Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "1969 is refused");
    check_int(t, keep, "a refusal leaves the time alone");
    check_int(wr_time_parse("1970-01-01T00:00:00-00:01", WR_TIME_RFC3339,
                            &t), APR_SUCCESS,
              "the epoch with an offset west is fine");
    check_int(wr_time_parse("9999-12-31T23:59:59Z", WR_TIME_RFC3339, &t),
              APR_SUCCESS, "the last second of 9999");
    check_int(wr_time_parse("9999-12-31T23:59:60Z", WR_TIME_RFC3339, &t),
              APR_EINVAL, "a leap second into 10000 is refused");
    check_int(wr_time_parse("9999-12-31T23:00:00-01:00", WR_TIME_RFC3339,
                            &t), APR_EINVAL,
              "an offset into 10000 is refused");
    check_int(wr_time_parse("2004-05-01T12:00:00Z", WR_TIME_RFC5322, &t),
              APR_EINVAL, "a form without a reader is refused");
    check_int(wr_time_parse(NULL, WR_TIME_RFC3339, &t), APR_EINVAL,
              "NULL is refused");
}

static void test_parse_usec(apr_pool_t *p)
{
    apr_time_t t = 0;
    apr_time_t last = SEC(253402300799) + 999999;

    check_int(wr_time_parse("2024-05-01T12:00:00.250000Z",
                            WR_TIME_RFC3339_USEC, &t), APR_SUCCESS,
              "the spool's form parses");
    check_int(t, T2024 + 250000, "... to the microsecond");
    check_int(wr_time_parse("2024-05-01T12:00:00Z", WR_TIME_RFC3339_USEC,
                            &t), APR_EINVAL,
              "the spool's reader wants the microseconds");
    check_int(wr_time_parse("2024-05-01T12:00:00.25000Z",
                            WR_TIME_RFC3339_USEC, &t), APR_EINVAL,
              "... all six digits");
    check_int(wr_time_parse("2024-05-01t12:00:00.250000Z",
                            WR_TIME_RFC3339_USEC, &t), APR_EINVAL,
              "... a capital T");
    check_int(wr_time_parse("2024-05-01T12:00:00.250000z",
                            WR_TIME_RFC3339_USEC, &t), APR_EINVAL,
              "... a capital Z");
    check_int(wr_time_parse("2024-05-01T12:00:00.2500x0Z",
                            WR_TIME_RFC3339_USEC, &t), APR_EINVAL,
              "... digits only");
    check_int(wr_time_parse("2024-02-30T12:00:00.000000Z",
                            WR_TIME_RFC3339_USEC, &t), APR_EINVAL,
              "... and a real date");
    check_int(wr_time_parse(wr_time_pformat(WR_TIME_RFC3339_USEC, last, p),
                            WR_TIME_RFC3339_USEC, &t), APR_SUCCESS,
              "the last microsecond of 9999 reads back");
    check_int(t, last, "... as itself");
}

static void test_civil(void)
{
    long long s = -1;

    check_int(wr_time_from_civil(1970, 1, 1, 0, 0, 0, &s), 0, "the epoch");
    check_int(s, 0, "... is 0");
    check_int(wr_time_from_civil(2004, 4, 21, 14, 56, 7, &s), 0,
              "a date in 2004");
    check_int(s, 1082559367, "... to the second");
    check_int(wr_time_from_civil(1969, 12, 31, 23, 59, 59, &s), -1,
              "1969 is refused");
    check_int(wr_time_from_civil(10000, 1, 1, 0, 0, 0, &s), -1,
              "10000 is refused");
    check_int(wr_time_from_civil(2004, 0, 1, 0, 0, 0, &s), -1,
              "month 0 is refused");
    check_int(wr_time_from_civil(2004, 6, 31, 0, 0, 0, &s), -1,
              "31 June is refused");
    check_int(wr_time_from_civil(2004, 6, 30, 0, 60, 0, &s), -1,
              "minute 60 is refused");
    check_int(wr_time_from_civil(2004, 6, 30, 0, 0, 61, &s), -1,
              "second 61 is refused");
    check_int(s, 1082559367, "a refusal leaves the result alone");
    check_int(wr_time_month("Jan"), 1, "Jan is 1");
    check_int(wr_time_month("Dec/2004"), 12, "Dec is 12 (three bytes read)");
    check_int(wr_time_month("dec"), 0, "case counts");
    check_int(wr_time_month("Ja"), 0, "a short name is no month");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_format(p);
    test_parse();
    test_parse_usec(p);
    test_civil();
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
