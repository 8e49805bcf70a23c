/* wr_ratelimit.c - rate-limit policy (see wr_ratelimit.h) */
#include <string.h>

#include "wr_ratelimit.h"

#define KIND_HOST   'F'         /* with the flags byte */
#define KIND_HOST_1 'H'         /* before it: 1 byte shorter, no flags */
#define WR_RATE_HOST_SIZE_1 (WR_RATE_HOST_SIZE - 1)
#define KIND_DOMAIN 'D'
#define KIND_GLOBAL 'G'

#define MINUTE (apr_time_from_sec(60))

void wr_rate_policy_default(wr_rate_policy_t *pol)
{
    pol->host_window = WR_RATE_DEFAULT_HOST_WINDOW;
    pol->digest_delay = WR_RATE_DEFAULT_DIGEST_DELAY;
    pol->domain_window = WR_RATE_DEFAULT_DOMAIN_WINDOW;
    pol->max_per_hour = WR_RATE_DEFAULT_MAX_PER_HOUR;
}

/* put64, put32, get64, get32 - big-endian, so that a record means the
 * same on every member of a farm sharing one memcached */
static unsigned char *put64(unsigned char *b, apr_uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        *b++ = (unsigned char)(v >> (i * 8));
    }
    return b;
}

static unsigned char *put32(unsigned char *b, apr_uint32_t v)
{
    int i;

    for (i = 3; i >= 0; i--) {
        *b++ = (unsigned char)(v >> (i * 8));
    }
    return b;
}

static const unsigned char *get64(const unsigned char *b, apr_int64_t *v)
{
    apr_uint64_t r = 0;
    int i;

    for (i = 0; i < 8; i++) {
        r = (r << 8) | *b++;
    }
    *v = (apr_int64_t)r;
    return b;
}

static const unsigned char *get32(const unsigned char *b, apr_uint32_t *v)
{
    apr_uint32_t r = 0;
    int i;

    for (i = 0; i < 4; i++) {
        r = (r << 8) | *b++;
    }
    *v = r;
    return b;
}

/* header_ok - size, version and kind of an encoded record */
static int header_ok(const unsigned char *buf, apr_size_t len,
                     apr_size_t want, unsigned char kind)
{
    return buf != NULL && len == want && buf[0] == WR_RATE_VERSION
           && buf[1] == kind;
}

wr_rate_decision_e wr_rate_host_probe(wr_rate_host_t *rec, apr_time_t now,
                                      const wr_rate_policy_t *pol)
{
    return wr_rate_host_probe_as(rec, now, pol, 1);
}

wr_rate_decision_e wr_rate_host_probe_as(wr_rate_host_t *rec, apr_time_t now,
                                         const wr_rate_policy_t *pol,
                                         int notifies)
{
    apr_interval_time_t elapsed = now - rec->first_seen;
    int expired;

    /* Differences, not sums: a window of years must not overflow. */
    expired = rec->first_seen == 0 || elapsed >= pol->host_window
              || elapsed < -pol->host_window;
    if (expired && wr_rate_host_may_notify(rec->notified_at, now, pol)) {
        rec->first_seen = now;
        rec->last_seen = now;
        rec->count = 1;
        rec->flags = notifies ? WR_RATE_HOST_NOTIFYING : 0;
        return WR_RATE_FIRST;
    }
    if (now > rec->last_seen) {
        rec->last_seen = now;
    }
    if (rec->count < APR_UINT32_MAX) {
        rec->count++;
    }
    /* The window's first event came from a probe that does not notify by
     * itself: the first one that does gets an event of its own, so that
     * the notifier hears of it. */
    if (notifies && !(rec->flags & WR_RATE_HOST_NOTIFYING)
        && rec->first_seen != 0
        && wr_rate_host_may_notify(rec->notified_at, now, pol)) {
        rec->flags |= WR_RATE_HOST_NOTIFYING;
        return WR_RATE_FIRST;
    }
    return WR_RATE_COUNT_ONLY;
}

int wr_rate_host_may_notify(apr_time_t notified_at, apr_time_t now,
                            const wr_rate_policy_t *pol)
{
    /* A notice "from the future" (clock went back) more than a window
     * away is treated as stale rather than blocking for ever. */
    apr_interval_time_t since = now - notified_at;

    return notified_at == 0 || since >= pol->host_window
           || since < -pol->host_window;
}

void wr_rate_host_encode(const wr_rate_host_t *rec, unsigned char *buf)
{
    unsigned char *b = buf;

    *b++ = WR_RATE_VERSION;
    *b++ = KIND_HOST;
    b = put64(b, (apr_uint64_t)rec->first_seen);
    b = put64(b, (apr_uint64_t)rec->last_seen);
    b = put32(b, rec->count);
    b = put64(b, (apr_uint64_t)rec->notified_at);
    *b = rec->flags;
}

apr_status_t wr_rate_host_decode(const unsigned char *buf, apr_size_t len,
                                 wr_rate_host_t *rec)
{
    const unsigned char *b = buf + 2;
    wr_rate_host_t r;

    /* A record stored before the flags existed (a running farm member of
     * the previous version) reads as one without them: at worst one more
     * event for its host. */
    if (!header_ok(buf, len, WR_RATE_HOST_SIZE, KIND_HOST)
        && !header_ok(buf, len, WR_RATE_HOST_SIZE_1, KIND_HOST_1)) {
        return APR_EINVAL;
    }
    b = get64(b, &r.first_seen);
    b = get64(b, &r.last_seen);
    b = get32(b, &r.count);
    b = get64(b, &r.notified_at);
    r.flags = buf[1] == KIND_HOST ? *b : 0;
    *rec = r;
    return APR_SUCCESS;
}

void wr_rate_domain_add(wr_rate_domain_t *rec, apr_time_t at)
{
    if (rec->pending == 0 || at < rec->first_pending) {
        rec->first_pending = at;
    }
    if (rec->pending < APR_UINT32_MAX) {
        rec->pending++;
    }
}

wr_digest_e wr_rate_domain_due(const wr_rate_domain_t *rec, apr_time_t now,
                               const wr_rate_policy_t *pol,
                               apr_time_t *due_at)
{
    apr_time_t due;

    if (rec->pending == 0) {
        return WR_DIGEST_NONE;
    }
    due = rec->first_pending + pol->digest_delay;
    if (rec->last_sent != 0 && rec->last_sent <= now
        && rec->last_sent + pol->domain_window > due) {
        due = rec->last_sent + pol->domain_window;
    }
    if (now >= due) {
        return WR_DIGEST_DUE;
    }
    if (due_at != NULL) {
        *due_at = due;
    }
    return WR_DIGEST_WAIT;
}

void wr_rate_domain_sent(wr_rate_domain_t *rec, apr_time_t now)
{
    rec->last_sent = now;
    rec->first_pending = 0;
    rec->pending = 0;
}

void wr_rate_domain_encode(const wr_rate_domain_t *rec, unsigned char *buf)
{
    unsigned char *b = buf;

    *b++ = WR_RATE_VERSION;
    *b++ = KIND_DOMAIN;
    b = put64(b, (apr_uint64_t)rec->first_pending);
    b = put64(b, (apr_uint64_t)rec->last_sent);
    put32(b, rec->pending);
}

apr_status_t wr_rate_domain_decode(const unsigned char *buf, apr_size_t len,
                                   wr_rate_domain_t *rec)
{
    const unsigned char *b = buf + 2;
    wr_rate_domain_t r;

    if (!header_ok(buf, len, WR_RATE_DOMAIN_SIZE, KIND_DOMAIN)) {
        return APR_EINVAL;
    }
    b = get64(b, &r.first_pending);
    b = get64(b, &r.last_sent);
    get32(b, &r.pending);
    *rec = r;
    return APR_SUCCESS;
}

/* minute_of - the minute number of a time (floor, also before 1970) */
static apr_int64_t minute_of(apr_time_t t)
{
    return t >= 0 ? t / MINUTE : -((-t + MINUTE - 1) / MINUTE);
}

/* slot - ring index of a minute number (non-negative for any minute) */
static int slot(apr_int64_t minute)
{
    apr_int64_t s = minute % WR_RATE_GLOBAL_BUCKETS;

    return (int)(s < 0 ? s + WR_RATE_GLOBAL_BUCKETS : s);
}

/* global_advance - move the ring forward to the minute of `now`, zeroing
 * the buckets that fall out of the hour. A clock that went back leaves
 * the ring as it is: the counts are still the most recent we know. */
static void global_advance(wr_rate_global_t *rec, apr_time_t now)
{
    apr_int64_t m = minute_of(now), step;

    if (m <= rec->minute) {
        return;
    }
    step = m - rec->minute;
    if (step >= WR_RATE_GLOBAL_BUCKETS) {
        memset(rec->bucket, 0, sizeof(rec->bucket));
    }
    else {
        apr_int64_t i;
        for (i = 1; i <= step; i++) {
            rec->bucket[slot(rec->minute + i)] = 0;
        }
    }
    rec->minute = m;
}

apr_uint32_t wr_rate_global_sum(wr_rate_global_t *rec, apr_time_t now)
{
    apr_uint64_t sum = 0;
    int i;

    global_advance(rec, now);
    for (i = 0; i < WR_RATE_GLOBAL_BUCKETS; i++) {
        sum += rec->bucket[i];
    }
    return sum > APR_UINT32_MAX ? APR_UINT32_MAX : (apr_uint32_t)sum;
}

int wr_rate_global_allow(wr_rate_global_t *rec, apr_time_t now,
                         const wr_rate_policy_t *pol, apr_time_t *next)
{
    apr_uint64_t sum;

    if (pol->max_per_hour == 0) {
        return 1;
    }
    sum = wr_rate_global_sum(rec, now);
    if (sum < pol->max_per_hour) {
        return 1;
    }
    if (next != NULL) {
        int age;
        /* Drop buckets oldest first until the sum is under the cap: the
         * bucket `age` minutes old leaves the hour at the start of minute
         * rec->minute + (60 - age). */
        for (age = WR_RATE_GLOBAL_BUCKETS - 1; age > 0; age--) {
            sum -= rec->bucket[slot(rec->minute - age)];
            if (sum < pol->max_per_hour) {
                break;
            }
        }
        *next = (rec->minute + (WR_RATE_GLOBAL_BUCKETS - age)) * MINUTE;
    }
    return 0;
}

void wr_rate_global_count(wr_rate_global_t *rec, apr_time_t now)
{
    int s;

    global_advance(rec, now);
    /* A clock that went back counts into the newest bucket we have. */
    s = slot(minute_of(now) > rec->minute ? minute_of(now) : rec->minute);
    if (rec->bucket[s] < APR_UINT32_MAX) {
        rec->bucket[s]++;
    }
}

void wr_rate_global_encode(const wr_rate_global_t *rec, unsigned char *buf)
{
    unsigned char *b = buf;
    int i;

    *b++ = WR_RATE_VERSION;
    *b++ = KIND_GLOBAL;
    b = put64(b, (apr_uint64_t)rec->minute);
    for (i = 0; i < WR_RATE_GLOBAL_BUCKETS; i++) {
        b = put32(b, rec->bucket[i]);
    }
}

apr_status_t wr_rate_global_decode(const unsigned char *buf, apr_size_t len,
                                   wr_rate_global_t *rec)
{
    const unsigned char *b = buf + 2;
    wr_rate_global_t r;
    int i;

    if (!header_ok(buf, len, WR_RATE_GLOBAL_SIZE, KIND_GLOBAL)) {
        return APR_EINVAL;
    }
    b = get64(b, &r.minute);
    for (i = 0; i < WR_RATE_GLOBAL_BUCKETS; i++) {
        b = get32(b, &r.bucket[i]);
    }
    *rec = r;
    return APR_SUCCESS;
}

apr_time_t wr_backoff(apr_time_t first_try, apr_interval_time_t base,
                      apr_interval_time_t max, int attempt)
{
    apr_interval_time_t gap = base, total = 0;
    int i;

    if (attempt <= 0 || base <= 0) {
        return first_try;
    }
    if (max < base) {
        max = base;
    }
    /* Doubling reaches max within 63 steps; after that every gap is max,
     * so the loop is short whatever `attempt` is. */
    for (i = 1; i <= attempt; i++) {
        if (gap >= max) {
            apr_int64_t rest = attempt - i + 1;
            if (rest > (APR_INT64_MAX - total) / max) {
                return APR_INT64_MAX;
            }
            total += rest * max;
            break;
        }
        total += gap;
        gap = gap > max / 2 ? max : gap * 2;
    }
    if (first_try > APR_INT64_MAX - total) {
        return APR_INT64_MAX;
    }
    return first_try + total;
}
