/* test_duration.c - wr_duration_parse / wr_duration_format: the one
 * duration grammar of directives and CLI options (wr_time.h) */
#include <apr_general.h>
#include <apr_pools.h>

#include "test-lib.h"
#include "wr_time.h"

#define SEC(n) ((apr_interval_time_t)(n) * APR_USEC_PER_SEC)

/* good - s parses to want */
static void good(const char *s, apr_interval_time_t want)
{
    apr_interval_time_t got = -12345;
    apr_status_t rv = wr_duration_parse(s, &got);
    check_int(rv, APR_SUCCESS, "'%s' accepted", s);
    check_int(got, want, "'%s' = %lld us", s, (long long)want);
}

/* bad - s is refused and *out untouched */
static void bad(const char *s)
{
    apr_interval_time_t got = -12345;
    apr_status_t rv = wr_duration_parse(s, &got);
    char name[64];
    size_t i, o = 0;

    /* Keep the TAP line on one line whatever `s` holds. */
    for (i = 0; s && s[i] && o + 5 < sizeof(name); i++) {
        if ((unsigned char)s[i] < 0x20) {
            o += snprintf(name + o, sizeof(name) - o, "\\x%02x", s[i]);
        }
        else {
            name[o++] = s[i];
        }
    }
    name[o] = '\0';
    check_int(rv, APR_EINVAL, "'%s' refused", s ? name : "(null)");
    check_int(got, -12345, "'%s' leaves the output alone", s ? name : "(null)");
}

int main(void)
{
    apr_pool_t *p;
    const char *big[] = { "1m", "0s", "90s", "1h30m", "1d2h3m4s", "5d",
                          "2s500ms", "106751991d" };
    int i;

    apr_initialize();
    apr_pool_create(&p, NULL);

    good("30", SEC(30));
    good("0", 0);
    good("0s", 0);
    good("30s", SEC(30));
    good("5m", SEC(300));
    good("1h", SEC(3600));
    good("24h", SEC(86400));
    good("5d", SEC(5 * 86400));
    good("1h30m", SEC(5400));
    good("1d2h3m4s", SEC(86400 + 7200 + 180 + 4));
    good("250ms", 250000);
    good("1s250ms", 1250000);
    good("90m", SEC(5400));
    good("0005m", SEC(300));
    /* weeks and "min", as `report --bucket` took them before the grammars
     * were one */
    good("1w", SEC(604800));
    good("2w3d", SEC(17 * 86400));
    good("1min", SEC(60));
    good("1h30min", SEC(5400));
    good("1min30s", SEC(90));
    /* a fraction of a second, as `status --watch` took one */
    good("0.5", 500000);
    good("0.01", 10000);
    good("2.25s", 2250000);
    good("1m0.5s", SEC(60) + 500000);
    good("0.000001", 1);
    good("1.000000", SEC(1));
    /* The largest whole number of days that fits in int64 microseconds. */
    good("106751991d", SEC(APR_INT64_C(106751991) * 86400));


    bad(NULL);
    bad("");
    bad("-5m");
    bad("+5m");
    bad(" 5m");
    bad("5m ");
    bad("5 m");
    bad("1.5h");
    bad("5x");
    bad("5M");
    bad("m");
    bad("5mm");
    bad("1m30");
    bad("30m1h");
    bad("1h1h");
    bad("5s1m");
    bad("1s1ms1s");
    bad("5m\n");
    bad("106751992d");
    bad("9223372036854775808");
    bad("9223372036854776ms");
    bad("9223372036854775807s");
    bad("99999999999999999999999999s");
    bad("106751991d23h59m59s1000ms");
    bad("1d1w");
    bad("1w1w");
    bad("1m1min");
    bad("1mi");
    bad("1mins");
    bad("1W");
    bad("1.5h");
    bad("1.5m");
    bad("0.5ms");
    bad("1.5s250ms");
    bad("1.5.5");
    bad("0.1234567");
    bad("1.");
    bad(".5");
    bad("1.s");
    bad("0.5 ");
    bad("1,5");
    good("15250284w", SEC(APR_INT64_C(15250284) * 604800));
    bad("15250285w");

    check_str(wr_duration_format(0, p), "0s", "format 0");
    check_str(wr_duration_format(SEC(300), p), "5m", "format 5m");
    check_str(wr_duration_format(SEC(5400), p), "1h30m", "format 1h30m");
    check_str(wr_duration_format(SEC(86400 + 7200 + 180 + 4), p), "1d2h3m4s",
              "format 1d2h3m4s");
    check_str(wr_duration_format(1250000, p), "1s250ms", "format 1s250ms");
    check_str(wr_duration_format(1250001, p), "1s250ms1us", "format us rest");
    check_str(wr_duration_format(-SEC(60), p), "-1m", "format negative");
    check(wr_duration_format(INT64_MIN, p)[0] == '-', "format INT64_MIN");
    check(strlen(wr_duration_format(INT64_MAX, p)) > 10, "format INT64_MAX");

    for (i = 0; i < (int)(sizeof(big) / sizeof(big[0])); i++) {
        apr_interval_time_t a, b;
        wr_duration_parse(big[i], &a);
        check_int(wr_duration_parse(wr_duration_format(a, p), &b),
                  APR_SUCCESS, "format('%s') parses", big[i]);
        check_int(b, a, "format('%s') round trips", big[i]);
    }

    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
