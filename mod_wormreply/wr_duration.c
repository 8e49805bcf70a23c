/* wr_duration.c - parse and format durations (see wr_duration.h) */
#include <stdint.h>

#include <apr_strings.h>

#include "wr_duration.h"

typedef struct {
    const char *name;
    apr_interval_time_t usec;
} wr_unit_t;

/* Largest first: the order in which components must appear. "ms" comes
 * before "m" in matching order only; see unit_at(). */
static const wr_unit_t units[] = {
    { "d",  APR_INT64_C(86400) * APR_USEC_PER_SEC },
    { "h",  APR_INT64_C(3600) * APR_USEC_PER_SEC },
    { "m",  APR_INT64_C(60) * APR_USEC_PER_SEC },
    { "s",  APR_USEC_PER_SEC },
    { "ms", 1000 },
};
#define N_UNITS ((int)(sizeof(units) / sizeof(units[0])))

/* unit_at - index of the unit spelled at `s` (longest match), -1 if none;
 * *len receives its length */
static int unit_at(const char *s, int *len)
{
    if (s[0] == 'm' && s[1] == 's') {
        *len = 2;
        return 4;
    }
    switch (s[0]) {
    case 'd': *len = 1; return 0;
    case 'h': *len = 1; return 1;
    case 'm': *len = 1; return 2;
    case 's': *len = 1; return 3;
    default:  return -1;
    }
}

apr_status_t wr_duration_parse(const char *s, apr_interval_time_t *out)
{
    apr_interval_time_t total = 0;
    int last_unit = -1;
    const char *p = s;

    if (s == NULL || *s == '\0') {
        return APR_EINVAL;
    }
    while (*p) {
        apr_interval_time_t n = 0, part;
        int u, ulen = 0;

        if (*p < '0' || *p > '9') {
            return APR_EINVAL;
        }
        while (*p >= '0' && *p <= '9') {
            if (n > (INT64_MAX - (*p - '0')) / 10) {
                return APR_EINVAL;
            }
            n = n * 10 + (*p - '0');
            p++;
        }
        if (*p == '\0') {
            /* A bare number is seconds, and only as the whole string:
             * "1m30" is more likely a typo than 90 seconds. */
            if (last_unit != -1) {
                return APR_EINVAL;
            }
            u = 3;
        }
        else if ((u = unit_at(p, &ulen)) < 0 || u <= last_unit) {
            return APR_EINVAL;
        }
        p += ulen;
        last_unit = u;
        if (n > INT64_MAX / units[u].usec) {
            return APR_EINVAL;
        }
        part = n * units[u].usec;
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
    for (i = 0; i < N_UNITS; i++) {
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
