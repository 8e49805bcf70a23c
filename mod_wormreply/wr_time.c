/* wr_time.c - times and durations written and read (see wr_time.h) */
#include <stdint.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "wr_text.h"
#include "wr_time.h"

/* The latest time the readers take: 9999-12-31T23:59:59.999999Z. */
#define TIME_MAX (APR_INT64_C(253402300799) * APR_USEC_PER_SEC \
                  + APR_USEC_PER_SEC - 1)

static const char *const wdays[] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* rfc3339_usec - WR_TIME_RFC3339_USEC of a time in years 1970-9999 into
 * buf (28 bytes), by hand: a first sighting writes it in the request
 * path, where gmtime_r (the time-zone lock) and apr_snprintf cost about
 * two thousand instructions. The civil date is days_from_civil's inverse
 * (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
static void rfc3339_usec(char *buf, apr_time_t t)
{
    long long sec = (long long)apr_time_sec(t);
    long long days = sec / 86400 + 719468;   /* days since 0000-03-01 */
    unsigned rem = (unsigned)(sec % 86400), usec = apr_time_usec(t);
    unsigned doe = (unsigned)(days % 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    unsigned y = (unsigned)(days / 146097) * 400 + yoe + (m <= 2);

    wr_text_put2(buf, y / 100);
    wr_text_put2(buf + 2, y % 100);
    buf[4] = '-';
    wr_text_put2(buf + 5, m);
    buf[7] = '-';
    wr_text_put2(buf + 8, d);
    buf[10] = 'T';
    wr_text_put2(buf + 11, rem / 3600);
    buf[13] = ':';
    wr_text_put2(buf + 14, rem / 60 % 60);
    buf[16] = ':';
    wr_text_put2(buf + 17, rem % 60);
    buf[19] = '.';
    wr_text_put2(buf + 20, usec / 10000);
    wr_text_put2(buf + 22, usec / 100 % 100);
    wr_text_put2(buf + 24, usec % 100);
    buf[26] = 'Z';
    buf[27] = '\0';
}

const char *wr_time_format(char *buf, apr_size_t size, wr_time_form_e form,
                           apr_time_t t)
{
    apr_time_exp_t x;
    int y;

    if (form == WR_TIME_RFC3339_USEC && size >= 28 && t >= 0
        && t < apr_time_from_sec(APR_INT64_C(253402300800))) {
        rfc3339_usec(buf, t);
        return buf;
    }
    apr_time_exp_gmt(&x, t);
    y = x.tm_year + 1900;
    switch (form) {
    case WR_TIME_RFC3339:
        apr_snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", y,
                     x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
        break;
    case WR_TIME_RFC3339_USEC:
        apr_snprintf(buf, size,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, x.tm_mon + 1,
                     x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec, x.tm_usec);
        break;
    case WR_TIME_RFC5322:
        apr_snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d "
                     "+0000", wdays[x.tm_wday], x.tm_mday, months[x.tm_mon],
                     y, x.tm_hour, x.tm_min, x.tm_sec);
        break;
    case WR_TIME_HUMAN:
        apr_snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d UTC",
                     y, x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min,
                     x.tm_sec);
        break;
    case WR_TIME_MINUTE:
        apr_snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", y,
                     x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min);
        break;
    case WR_TIME_COMPACT:
        apr_snprintf(buf, size, "%04d%02d%02dT%02d%02d%02dZ", y,
                     x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
        break;
    case WR_TIME_RBLDNSD:
        apr_snprintf(buf, size, "%04d:%02d:%02d:%02d:%02d:%02d", y,
                     x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
        break;
    default:
        if (size > 0) {
            buf[0] = '\0';
        }
        break;
    }
    return buf;
}

const char *wr_time_pformat(wr_time_form_e form, apr_time_t t,
                            apr_pool_t *p)
{
    char buf[WR_TIME_SIZE];

    return apr_pstrdup(p, wr_time_format(buf, sizeof(buf), form, t));
}

int wr_time_month(const char *s)
{
    int m;

    for (m = 0; m < 12; m++) {
        if (!strncmp(s, months[m], 3)) {
            return m + 1;
        }
    }
    return 0;
}

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date
 * (H. Hinnant's algorithm; exact for every year) */
static long long days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int wr_time_from_civil(int year, int mon, int day, int hh, int mm, int ss,
                       long long *secs)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                  30, 31};
    int leap;

    if (year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1
        || day > mdays[mon - 1] || hh < 0 || hh > 23 || mm < 0 || mm > 59
        || ss < 0 || ss > 60) {
        return -1;
    }
    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (mon == 2 && day == 29 && !leap) {
        return -1;
    }
    *secs = days_from_civil(year, mon, day) * 86400LL + hh * 3600LL
            + mm * 60LL + ss;
    return 0;
}

/* digits - a fixed number of digits at s, -1 if any is not one */
static int digits(const char *s, int n)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

apr_status_t wr_time_parse(const char *s, wr_time_form_e form,
                           apr_time_t *t)
{
    const char *z;
    long long secs;
    long usec = 0, scale = 100000;
    int off = 0;
    apr_time_t r;

    if (s == NULL || (form != WR_TIME_RFC3339
                      && form != WR_TIME_RFC3339_USEC)) {
        return APR_EINVAL;
    }
    /* the spool's form exactly: capitals, six digits of fraction, "Z" */
    if (form == WR_TIME_RFC3339_USEC
        && (strlen(s) != 27 || s[10] != 'T' || s[19] != '.'
            || s[26] != 'Z')) {
        return APR_EINVAL;
    }
    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-'
        || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':'
        || wr_time_from_civil(digits(s, 4), digits(s + 5, 2),
                              digits(s + 8, 2), digits(s + 11, 2),
                              digits(s + 14, 2), digits(s + 17, 2),
                              &secs) != 0) {
        return APR_EINVAL;
    }
    z = s + 19;
    if (*z == '.') {
        if (!apr_isdigit(z[1])) {
            return APR_EINVAL;
        }
        for (z++; apr_isdigit(*z); z++) {
            usec += (*z - '0') * scale;
            scale /= 10;
        }
    }
    if ((z[0] == 'Z' || z[0] == 'z') && z[1] == '\0') {
        off = 0;
    }
    else if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':'
             && digits(z + 1, 2) >= 0 && digits(z + 1, 2) < 24
             && digits(z + 4, 2) >= 0 && digits(z + 4, 2) < 60) {
        off = (digits(z + 1, 2) * 60 + digits(z + 4, 2)) * 60;
        off = z[0] == '-' ? -off : off;
    }
    else {
        return APR_EINVAL;
    }
    /* An offset (or a leap second) may carry the time out of 1970-9999,
     * which the writers' readers do not take (found by
     * t/fuzz/fuzz_blocklist). */
    r = apr_time_from_sec(secs - off) + usec;
    if (r < 0 || r > TIME_MAX) {
        return APR_EINVAL;
    }
    *t = r;
    return APR_SUCCESS;
}

/* ---- durations --------------------------------------------------------- */

typedef struct {
    const char *name;
    apr_interval_time_t usec;
} wr_unit_t;

/* Largest first: the order in which components must appear. */
static const wr_unit_t units[] = {
    { "w",  APR_INT64_C(604800) * APR_USEC_PER_SEC },
    { "d",  APR_INT64_C(86400) * APR_USEC_PER_SEC },
    { "h",  APR_INT64_C(3600) * APR_USEC_PER_SEC },
    { "m",  APR_INT64_C(60) * APR_USEC_PER_SEC },
    { "s",  APR_USEC_PER_SEC },
    { "ms", 1000 },
};
#define N_UNITS ((int)(sizeof(units) / sizeof(units[0])))
#define UNIT_W 0
#define UNIT_S 4

/* unit_at - index of the unit spelled at `s` (longest match: "ms" and
 * "min" before "m"), -1 if none; *len receives its length */
static int unit_at(const char *s, int *len)
{
    if (s[0] == 'm' && s[1] == 's') {
        *len = 2;
        return 5;
    }
    if (s[0] == 'm' && s[1] == 'i' && s[2] == 'n') {
        *len = 3;
        return 3;
    }
    switch (s[0]) {
    case 'w': *len = 1; return 0;
    case 'd': *len = 1; return 1;
    case 'h': *len = 1; return 2;
    case 'm': *len = 1; return 3;
    case 's': *len = 1; return 4;
    default:  return -1;
    }
}

apr_status_t wr_duration_parse(const char *s, apr_interval_time_t *out)
{
    apr_interval_time_t total = 0;
    int last_unit = -1, fraction_seen = 0;
    const char *p = s;

    if (s == NULL || *s == '\0') {
        return APR_EINVAL;
    }
    while (*p) {
        apr_interval_time_t n = 0, part, frac = 0;
        int u, ulen = 0;

        if (*p < '0' || *p > '9' || fraction_seen) {
            return APR_EINVAL;
        }
        while (*p >= '0' && *p <= '9') {
            if (n > (INT64_MAX - (*p - '0')) / 10) {
                return APR_EINVAL;
            }
            n = n * 10 + (*p - '0');
            p++;
        }
        if (*p == '.') {
            int nfrac = 0;

            /* microseconds: up to six digits, then seconds alone */
            p++;
            if (*p < '0' || *p > '9') {
                return APR_EINVAL;
            }
            for (; *p >= '0' && *p <= '9'; p++, nfrac++) {
                if (nfrac == 6) {
                    return APR_EINVAL;
                }
                frac = frac * 10 + (*p - '0');
            }
            for (; nfrac < 6; nfrac++) {
                frac *= 10;
            }
            fraction_seen = 1;
        }
        if (*p == '\0') {
            /* A bare number is seconds, and only as the whole string:
             * "1m30" is more likely a typo than 90 seconds. */
            if (last_unit != -1) {
                return APR_EINVAL;
            }
            u = UNIT_S;
        }
        else if ((u = unit_at(p, &ulen)) < 0 || u <= last_unit
                 || (fraction_seen && u != UNIT_S)) {
            return APR_EINVAL;
        }
        p += ulen;
        last_unit = u;
        if (n > (INT64_MAX - frac) / units[u].usec) {
            return APR_EINVAL;
        }
        part = n * units[u].usec + frac;
        if (total > INT64_MAX - part) {
            return APR_EINVAL;
        }
        total += part;
    }
    *out = total;
    return APR_SUCCESS;
}

const char *wr_duration_format(apr_interval_time_t d, apr_pool_t *p)
{
    char buf[96];
    apr_size_t len = 0;
    apr_uint64_t rest;
    int i;

    if (d == 0) {
        return "0s";
    }
    if (d < 0) {
        buf[len++] = '-';
        /* Negate in unsigned arithmetic: -INT64_MIN overflows. */
        rest = (apr_uint64_t)0 - (apr_uint64_t)d;
    }
    else {
        rest = (apr_uint64_t)d;
    }
    /* days the largest: "14d" reads more plainly in a log than "2w" */
    for (i = UNIT_W + 1; i < N_UNITS; i++) {
        apr_uint64_t u = (apr_uint64_t)units[i].usec;
        if (rest >= u) {
            len += apr_snprintf(buf + len, sizeof(buf) - len,
                                "%" APR_UINT64_T_FMT "%s", rest / u,
                                units[i].name);
            rest %= u;
        }
    }
    if (rest > 0) {
        len += apr_snprintf(buf + len, sizeof(buf) - len,
                            "%" APR_UINT64_T_FMT "us", rest);
    }
    return apr_pstrmemdup(p, buf, len);
}
