/* wr_spoolsize.c - the spool's size in shared memory (see wr_spoolsize.h)
 */
#include <string.h>

#include <apr_atomic.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "wr_spoolsize.h"

#define WARN_INTERVAL apr_time_from_sec(60)

int wr_spoolsize_reserve(wr_spoolsize_t *sz, apr_size_t len,
                         apr_uint64_t max_entries, apr_uint64_t max_bytes,
                         wr_held_e *why)
{
    /* add first, then look: of two processes racing for the last room,
     * at most one keeps it */
    apr_uint64_t n = apr_atomic_add64(&sz->entries, 1) + 1;
    apr_uint64_t b = apr_atomic_add64(&sz->bytes, len + WR_SPOOLSIZE_MARGIN)
                     + len + WR_SPOOLSIZE_MARGIN;
    wr_held_e w = WR_HELD_NONE;

    if (max_entries > 0 && n > max_entries) {
        w = WR_HELD_RECORDS;
    }
    else if (max_bytes > 0 && b > max_bytes) {
        w = WR_HELD_BYTES;
    }
    if (why != NULL) {
        *why = w;
    }
    if (w != WR_HELD_NONE) {
        wr_spoolsize_release(sz, len);
        return 0;
    }
    return 1;
}

void wr_spoolsize_release(wr_spoolsize_t *sz, apr_size_t len)
{
    /* two's complement: adding -x subtracts */
    apr_atomic_add64(&sz->entries, (apr_uint64_t)-1);
    apr_atomic_add64(&sz->bytes, (apr_uint64_t)0
                                 - (apr_uint64_t)(len + WR_SPOOLSIZE_MARGIN));
}

void wr_spoolsize_put(wr_spoolsize_t *sz)
{
    apr_atomic_inc64(&sz->puts);
}

apr_uint64_t wr_spoolsize_puts(wr_spoolsize_t *sz)
{
    return apr_atomic_read64(&sz->puts);
}

void wr_spoolsize_set(wr_spoolsize_t *sz, apr_uint64_t entries,
                      apr_uint64_t bytes, apr_time_t now)
{
    apr_atomic_set64(&sz->entries, entries);
    apr_atomic_set64(&sz->bytes, bytes + entries * WR_SPOOLSIZE_MARGIN);
    apr_atomic_set64(&sz->counted_at, (apr_uint64_t)now);
}

int wr_spoolsize_hold(wr_spoolsize_t *sz, const char *prefix, wr_held_e why,
                      apr_time_t now)
{
    apr_uint32_t seq = apr_atomic_read32(&sz->held_seq);
    apr_uint64_t warned;

    /* the text: written by whoever makes the sequence odd; the others
     * leave it (it names a prefix held back this very moment anyway) */
    if (!(seq & 1) && apr_atomic_cas32(&sz->held_seq, seq + 1, seq) == seq) {
        apr_cpystrn(sz->held_prefix, prefix, sizeof(sz->held_prefix));
        apr_atomic_set32(&sz->held_reason, (apr_uint32_t)why);
        apr_atomic_set64(&sz->held_at, (apr_uint64_t)now);
        apr_atomic_set32(&sz->held_seq, seq + 2);
    }
    warned = apr_atomic_read64(&sz->warned_at);
    return (apr_time_t)warned + WARN_INTERVAL <= now
           && apr_atomic_cas64(&sz->warned_at, (apr_uint64_t)now, warned)
              == warned;
}

void wr_spoolsize_held(const wr_spoolsize_t *sz, char *buf, wr_held_e *why,
                       apr_time_t *at)
{
    wr_spoolsize_t *m = (wr_spoolsize_t *)sz;
    int turn;

    buf[0] = '\0';
    for (turn = 0; turn < 8; turn++) {
        apr_uint32_t seq = apr_atomic_read32(&m->held_seq);
        wr_held_e w = (wr_held_e)apr_atomic_read32(&m->held_reason);
        apr_time_t t = (apr_time_t)apr_atomic_read64(&m->held_at);
        if (seq & 1) {
            continue;
        }
        memcpy(buf, m->held_prefix, WR_PREFIX_TEXT_MAX);
        buf[WR_PREFIX_TEXT_MAX - 1] = '\0';
        if (apr_atomic_read32(&m->held_seq) == seq) {
            if (why != NULL) {
                *why = w;
            }
            if (at != NULL) {
                *at = t;
            }
            return;
        }
    }
    buf[0] = '\0';
    if (why != NULL) {
        *why = WR_HELD_NONE;
    }
    if (at != NULL) {
        *at = 0;
    }
}

const char *wr_held_name(wr_held_e why)
{
    switch (why) {
    case WR_HELD_QUOTA:
        return "quota";
    case WR_HELD_RECORDS:
        return "records";
    case WR_HELD_BYTES:
        return "bytes";
    default:
        return "";
    }
}

apr_status_t wr_bytes_parse(const char *s, apr_uint64_t *n)
{
    apr_uint64_t v = 0, unit = 1;
    const char *p = s;

    if (s == NULL || !apr_isdigit(*s)) {
        return APR_EINVAL;
    }
    for (; apr_isdigit(*p); p++) {
        if (v > (APR_UINT64_MAX - 9) / 10) {
            return APR_EINVAL;
        }
        v = v * 10 + (apr_uint64_t)(*p - '0');
    }
    switch (apr_toupper(*p)) {
    case '\0':
        break;
    case 'K':
        unit = 1024;
        break;
    case 'M':
        unit = 1024 * 1024;
        break;
    case 'G':
        unit = 1024 * 1024 * 1024;
        break;
    default:
        return APR_EINVAL;
    }
    if (*p != '\0' && p[1] != '\0') {
        return APR_EINVAL;
    }
    if (v == 0 || v > APR_UINT64_MAX / unit) {
        return APR_EINVAL;
    }
    *n = v * unit;
    return APR_SUCCESS;
}
