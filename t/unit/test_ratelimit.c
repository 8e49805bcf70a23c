/* test_ratelimit.c - rate-limit policy, record encodings, backoff and the
 * persistent sent history */
#include <stdlib.h>
#include <unistd.h>

#include <apr_dbm.h>
#include <apr_file_info.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_history.h"
#include "wr_ratelimit.h"

#define SEC(n) apr_time_from_sec(n)
#define MIN(n) apr_time_from_sec((apr_int64_t)(n) * 60)
#define T0 (apr_time_from_sec(1714564800))   /* 2024-05-01 12:00:00 UTC */

static apr_pool_t *pool;

static void test_defaults(void)
{
    wr_rate_policy_t pol;

    wr_rate_policy_default(&pol);
    check_int(pol.host_window, SEC(86400), "host window 24h");
    check_int(pol.digest_delay, MIN(5), "digest delay 5m");
    check_int(pol.domain_window, SEC(3600), "domain window 1h");
    check_int(pol.max_per_hour, 100, "max per hour 100");
}

static void test_host(void)
{
    wr_rate_policy_t pol;
    wr_rate_host_t rec;
    int i, firsts = 0;
    apr_time_t w;

    wr_rate_policy_default(&pol);
    w = pol.host_window;

    /* 1,000 probes from one host over ten hours: one FIRST. */
    memset(&rec, 0, sizeof(rec));
    for (i = 0; i < 1000; i++) {
        firsts += wr_rate_host_probe(&rec, T0 + SEC(i * 36), &pol)
                  == WR_RATE_FIRST;
    }
    check_int(firsts, 1, "1,000 probes in a window: exactly one FIRST");
    check_int(rec.count, 1000, "all 1,000 counted");
    check_int(rec.first_seen, T0, "first_seen is the first probe");
    check_int(rec.last_seen, T0 + SEC(999 * 36), "last_seen is the last");

    /* The edge of the window. */
    memset(&rec, 0, sizeof(rec));
    check_int(wr_rate_host_probe(&rec, T0, &pol), WR_RATE_FIRST,
              "unknown host: FIRST");
    check_int(rec.count, 1, "count 1");
    check_int(wr_rate_host_probe(&rec, T0 + w - 1, &pol), WR_RATE_COUNT_ONLY,
              "1 us before the window closes: COUNT_ONLY");
    check_int(rec.count, 2, "count 2");
    check_int(wr_rate_host_probe(&rec, T0 + w, &pol), WR_RATE_FIRST,
              "exactly at first_seen + window: FIRST");
    check_int(rec.count, 1, "FIRST resets the count");
    check_int(rec.first_seen, T0 + w, "and opens the window at now");

    /* Recently notified: the expired window does not yet make a FIRST. */
    memset(&rec, 0, sizeof(rec));
    wr_rate_host_probe(&rec, T0, &pol);
    rec.notified_at = T0 + MIN(10);
    check_int(wr_rate_host_probe(&rec, T0 + w, &pol), WR_RATE_COUNT_ONLY,
              "window over but notified 23h50m ago: COUNT_ONLY");
    check_int(wr_rate_host_probe(&rec, T0 + MIN(10) + w - 1, &pol),
              WR_RATE_COUNT_ONLY, "1 us before the notice's window ends");
    check_int(wr_rate_host_probe(&rec, T0 + MIN(10) + w, &pol),
              WR_RATE_FIRST, "at notified_at + window: FIRST");

    /* Clock going back. */
    memset(&rec, 0, sizeof(rec));
    wr_rate_host_probe(&rec, T0, &pol);
    check_int(wr_rate_host_probe(&rec, T0 - SEC(1), &pol),
              WR_RATE_COUNT_ONLY, "clock back 1 s: COUNT_ONLY");
    check_int(rec.last_seen, T0, "last_seen does not go back");
    check_int(wr_rate_host_probe(&rec, T0 - w - 1, &pol), WR_RATE_FIRST,
              "clock back by more than a window: FIRST");

    /* Count saturates instead of wrapping to 0. */
    rec.first_seen = T0;
    rec.count = APR_UINT32_MAX;
    wr_rate_host_probe(&rec, T0 + 1, &pol);
    check(rec.count == APR_UINT32_MAX, "count saturates");

    /* A window so long that first_seen + window would overflow. */
    pol.host_window = APR_INT64_MAX - SEC(1);
    memset(&rec, 0, sizeof(rec));
    wr_rate_host_probe(&rec, T0, &pol);
    check_int(wr_rate_host_probe(&rec, T0 + SEC(86400LL * 365 * 100), &pol),
              WR_RATE_COUNT_ONLY, "huge window: no overflow, still open");
    wr_rate_policy_default(&pol);

    check(wr_rate_host_may_notify(0, T0, &pol), "never notified: may");
    check(!wr_rate_host_may_notify(T0, T0 + w - 1, &pol),
          "notified 1 us less than a window ago: may not");
    check(wr_rate_host_may_notify(T0, T0 + w, &pol),
          "notified exactly a window ago: may");
    check(!wr_rate_host_may_notify(T0, T0 - SEC(10), &pol),
          "notice 10 s in the future: may not");
    check(wr_rate_host_may_notify(T0, T0 - w - 1, &pol),
          "notice over a window in the future: stale, may");
}

/* test_host_notifying - a window opened by a probe of a family that does
 * not notify by itself gets one more FIRST on its first probe that does */
static void test_host_notifying(void)
{
    wr_rate_policy_t pol;
    wr_rate_host_t rec;
    apr_time_t w;
    int i, firsts = 0;

    wr_rate_policy_default(&pol);
    w = pol.host_window;
    memset(&rec, 0, sizeof(rec));
    check_int(wr_rate_host_probe_as(&rec, T0, &pol, 0), WR_RATE_FIRST,
              "a likely probe opens the window: FIRST");
    check_int(rec.flags, 0, "without the notifying flag");
    check_int(wr_rate_host_probe_as(&rec, T0 + 1, &pol, 0),
              WR_RATE_COUNT_ONLY, "a second likely probe: COUNT_ONLY");
    check_int(wr_rate_host_probe_as(&rec, T0 + 2, &pol, 1), WR_RATE_FIRST,
              "the first certain probe of the window: FIRST");
    check_int(rec.flags, WR_RATE_HOST_NOTIFYING, "sets the flag");
    check_int(rec.count, 3, "and does not reset the count");
    check_int(rec.first_seen, T0, "nor the window");
    check_int(wr_rate_host_probe_as(&rec, T0 + 3, &pol, 1),
              WR_RATE_COUNT_ONLY, "a second certain probe: COUNT_ONLY");
    check_int(wr_rate_host_probe_as(&rec, T0 + 4, &pol, 0),
              WR_RATE_COUNT_ONLY, "a likely one after it: COUNT_ONLY");
    check_int(wr_rate_host_probe_as(&rec, T0 + w, &pol, 0), WR_RATE_FIRST,
              "the next window, opened by a likely probe: FIRST");
    check_int(rec.flags, 0, "the flag belongs to its window");

    /* at most two events per window, whatever the mix */
    memset(&rec, 0, sizeof(rec));
    for (i = 0; i < 1000; i++) {
        firsts += wr_rate_host_probe_as(&rec, T0 + SEC(i), &pol, i % 3 == 2)
                  == WR_RATE_FIRST;
    }
    check_int(firsts, 2, "1,000 mixed probes in a window: two FIRSTs");

    memset(&rec, 0, sizeof(rec));
    check_int(wr_rate_host_probe_as(&rec, T0, &pol, 1), WR_RATE_FIRST,
              "a certain probe first: FIRST");
    check_int(wr_rate_host_probe_as(&rec, T0 + 1, &pol, 0),
              WR_RATE_COUNT_ONLY, "a likely one after it: COUNT_ONLY");

    /* a host notified lately gets no new event from a certain probe */
    memset(&rec, 0, sizeof(rec));
    wr_rate_host_probe_as(&rec, T0, &pol, 0);
    rec.notified_at = T0 + 1;
    check_int(wr_rate_host_probe_as(&rec, T0 + 2, &pol, 1),
              WR_RATE_COUNT_ONLY, "notified lately: COUNT_ONLY");
}

static void test_encodings(void)
{
    wr_rate_host_t h = { T0, T0 + SEC(5), 42, T0 + SEC(9),
                         WR_RATE_HOST_NOTIFYING }, h2;
    wr_rate_domain_t d = { T0 + 1, T0 + 2, 7 }, d2;
    wr_rate_global_t g, g2;
    unsigned char hb[WR_RATE_HOST_SIZE], db[WR_RATE_DOMAIN_SIZE];
    unsigned char gb[WR_RATE_GLOBAL_SIZE];
    int i, same = 1;

    wr_rate_host_encode(&h, hb);
    check_int(hb[0], WR_RATE_VERSION, "host: version byte first");
    check_int(hb[1], 'F', "host: kind byte");
    check_int(hb[30], WR_RATE_HOST_NOTIFYING, "host: flags last");
    /* T0 = 1714564800000000 = 0x000617 76d4 ... big-endian */
    check(hb[2] == 0x00 && hb[3] == 0x06 && hb[9] == (T0 & 0xff),
          "host: first_seen big-endian");
    check(hb[18] == 0 && hb[21] == 42, "host: count big-endian");
    memset(&h2, 0, sizeof(h2));
    check_int(wr_rate_host_decode(hb, sizeof(hb), &h2), APR_SUCCESS,
              "host: decode");
    check(h2.first_seen == h.first_seen && h2.last_seen == h.last_seen
          && h2.count == h.count && h2.notified_at == h.notified_at
          && h2.flags == h.flags, "host: round trip");
    /* the layout before the flags: kind 'H', one byte shorter */
    hb[1] = 'H';
    check_int(wr_rate_host_decode(hb, sizeof(hb) - 1, &h2), APR_SUCCESS,
              "host: the previous layout decodes");
    check(h2.count == 42 && h2.notified_at == h.notified_at && h2.flags == 0,
          "host: previous layout, no flags");
    check_int(wr_rate_host_decode(hb, sizeof(hb), &h2), APR_EINVAL,
              "host: previous kind at the new size refused");
    hb[1] = 'F';
    memset(&h2, 0, sizeof(h2));
    check_int(wr_rate_host_decode(hb, sizeof(hb) - 1, &h2), APR_EINVAL,
              "host: short buffer refused");
    check_int(h2.count, 0, "host: refused decode leaves rec alone");
    hb[0] = 2;
    check_int(wr_rate_host_decode(hb, sizeof(hb), &h2), APR_EINVAL,
              "host: version 2 refused");
    hb[0] = WR_RATE_VERSION;
    hb[1] = 'D';
    check_int(wr_rate_host_decode(hb, sizeof(hb), &h2), APR_EINVAL,
              "host: wrong kind refused");
    check_int(wr_rate_host_decode(NULL, 0, &h2), APR_EINVAL,
              "host: NULL refused");

    wr_rate_domain_encode(&d, db);
    check_int(wr_rate_domain_decode(db, sizeof(db), &d2), APR_SUCCESS,
              "domain: decode");
    check(d2.first_pending == d.first_pending && d2.last_sent == d.last_sent
          && d2.pending == 7, "domain: round trip");
    check_int(wr_rate_domain_decode(hb, sizeof(hb), &d2), APR_EINVAL,
              "domain: a host record is refused");

    memset(&g, 0, sizeof(g));
    for (i = 0; i < 60; i++) {
        wr_rate_global_count(&g, T0 + MIN(i) + SEC(i % 50));
    }
    wr_rate_global_encode(&g, gb);
    check_int(wr_rate_global_decode(gb, sizeof(gb), &g2), APR_SUCCESS,
              "global: decode");
    for (i = 0; i < WR_RATE_GLOBAL_BUCKETS; i++) {
        same &= g.bucket[i] == g2.bucket[i];
    }
    check(same && g.minute == g2.minute, "global: round trip");
    check_int(wr_rate_global_decode(gb, sizeof(gb) + 1, &g2), APR_EINVAL,
              "global: long buffer refused");
}

static void test_digest(void)
{
    wr_rate_policy_t pol;
    wr_rate_domain_t dom;
    wr_rate_host_t hosts[50];
    apr_time_t due = 0, t;
    int i, digests = 0, named = 0, firsts = 0;

    wr_rate_policy_default(&pol);
    memset(&dom, 0, sizeof(dom));
    check_int(wr_rate_domain_due(&dom, T0, &pol, NULL), WR_DIGEST_NONE,
              "nothing pending: NONE");
    wr_rate_domain_add(&dom, T0);
    check_int(wr_rate_domain_due(&dom, T0 + MIN(5) - 1, &pol, &due),
              WR_DIGEST_WAIT, "1 us before the delay: WAIT");
    check_int(due, T0 + MIN(5), "due at first + delay");
    check_int(wr_rate_domain_due(&dom, T0 + MIN(5), &pol, NULL),
              WR_DIGEST_DUE, "exactly at first + delay: DUE");
    wr_rate_domain_sent(&dom, T0 + MIN(5));
    check_int(dom.pending, 0, "sent: nothing pending");
    check_int(wr_rate_domain_due(&dom, T0 + MIN(6), &pol, NULL),
              WR_DIGEST_NONE, "after sending: NONE");
    wr_rate_domain_add(&dom, T0 + MIN(6));
    check_int(wr_rate_domain_due(&dom, T0 + MIN(30), &pol, &due),
              WR_DIGEST_WAIT, "second digest inside the domain window: WAIT");
    check_int(due, T0 + MIN(65), "due at last_sent + domain window");
    check_int(wr_rate_domain_due(&dom, T0 + MIN(65) - 1, &pol, NULL),
              WR_DIGEST_WAIT, "1 us before: WAIT");
    check_int(wr_rate_domain_due(&dom, T0 + MIN(65), &pol, NULL),
              WR_DIGEST_DUE, "at last_sent + window: DUE");
    wr_rate_domain_add(&dom, T0 + MIN(1));
    check_int(dom.first_pending, T0 + MIN(1), "an older event moves "
              "first_pending back");

    /* 50 hosts of one domain, each probing 20 times over 40 minutes,
     * first probes within the first 4 minutes; the notifier looks every
     * 10 s for three hours. One digest, naming all 50. */
    memset(&dom, 0, sizeof(dom));
    memset(hosts, 0, sizeof(hosts));
    for (t = T0; t < T0 + SEC(3 * 3600); t += SEC(10)) {
        for (i = 0; i < 50; i++) {
            apr_time_t start = T0 + SEC(i * 5);
            apr_time_t step = MIN(2);
            if (t >= start && t < start + 20 * step
                && (t - start) % step < SEC(10)) {
                if (wr_rate_host_probe(&hosts[i], t, &pol)
                    == WR_RATE_FIRST) {
                    firsts++;
                    wr_rate_domain_add(&dom, t);
                }
            }
        }
        if (wr_rate_domain_due(&dom, t, &pol, NULL) == WR_DIGEST_DUE) {
            digests++;
            named += (int)dom.pending;
            wr_rate_domain_sent(&dom, t);
        }
    }
    check_int(firsts, 50, "50 hosts: 50 spool events");
    check_int(digests, 1, "50 hosts of one domain: one digest");
    check_int(named, 50, "the digest names all 50");
    for (i = 0, t = 0; i < 50; i++) {
        t += hosts[i].count;
    }
    check_int(t, 50 * 20, "every probe counted");
}

static void test_global(void)
{
    wr_rate_policy_t pol;
    wr_rate_global_t g;
    apr_time_t next = 0, t, sent[400] = { 0 };
    int i, j, n, nsent = 0, worst = 0;

    wr_rate_policy_default(&pol);
    pol.max_per_hour = 10;
    memset(&g, 0, sizeof(g));

    /* 25 notices wanted at once: 10 go. */
    for (i = 0, n = 0; i < 25; i++) {
        if (wr_rate_global_allow(&g, T0 + SEC(30), &pol, &next)) {
            wr_rate_global_count(&g, T0 + SEC(30));
            n++;
        }
    }
    check_int(n, 10, "a burst of 25: 10 allowed");
    check_int(wr_rate_global_sum(&g, T0 + SEC(31)), 10, "sum 10");
    check_int(next, T0 + MIN(60), "next allowed when the minute leaves");
    check(!wr_rate_global_allow(&g, T0 + MIN(60) - 1, &pol, NULL),
          "1 us before: still capped");
    check(wr_rate_global_allow(&g, T0 + MIN(60), &pol, NULL),
          "at the next time: allowed");

    /* Sliding, not fixed: 5 at minute 0, 5 at minute 30; at minute 45 the
     * cap holds, at minute 60 the first five leave. */
    memset(&g, 0, sizeof(g));
    for (i = 0; i < 10; i++) {
        wr_rate_global_count(&g, i < 5 ? T0 : T0 + MIN(30));
    }
    check(!wr_rate_global_allow(&g, T0 + MIN(45), &pol, &next),
          "10 in the last 45 minutes: capped");
    check_int(next, T0 + MIN(60), "free again at minute 60");
    check_int(wr_rate_global_sum(&g, T0 + MIN(60)), 5,
              "at minute 60 only the minute-30 notices count");
    check_int(wr_rate_global_sum(&g, T0 + MIN(90)), 0,
              "at minute 90 none");

    /* Greedy sender for 5 hours, one try per 20 s: no 60-minute stretch
     * ever holds more than the cap, and the cap is actually reached. */
    memset(&g, 0, sizeof(g));
    for (t = T0; t < T0 + SEC(5 * 3600) && nsent < 400; t += SEC(20)) {
        if (wr_rate_global_allow(&g, t, &pol, NULL)) {
            wr_rate_global_count(&g, t);
            sent[nsent++] = t;
        }
    }
    for (i = 0; i < nsent; i++) {
        for (j = i, n = 0; j < nsent && sent[j] < sent[i] + MIN(60); j++) {
            n++;
        }
        worst = n > worst ? n : worst;
    }
    check(worst <= 10, "never more than 10 in any 60 minutes (worst %d)",
          worst);
    check(nsent >= 45 && nsent <= 50, "5 hours at 10/h: %d sent", nsent);

    pol.max_per_hour = 0;
    check(wr_rate_global_allow(&g, t, &pol, NULL), "cap 0: unlimited");

    /* A jump of a day clears the ring. */
    pol.max_per_hour = 10;
    check_int(wr_rate_global_sum(&g, T0 + SEC(86400 * 2)), 0,
              "a day later nothing counts");
}

static void test_backoff(void)
{
    static const int want_min[] = { 0, 5, 15, 35, 75, 155, 315, 555, 795 };
    apr_time_t prev = 0;
    int i, mono = 1;

    for (i = 0; i < (int)(sizeof(want_min) / sizeof(want_min[0])); i++) {
        check_int(wr_backoff(T0, MIN(5), SEC(4 * 3600), i),
                  T0 + MIN(want_min[i]), "retry %d at +%dm", i, want_min[i]);
    }
    for (i = 0; i < 200; i++) {
        apr_time_t t = wr_backoff(T0, MIN(5), SEC(4 * 3600), i);
        mono &= t > prev || (i == 0 && t == T0);
        prev = t;
    }
    check(mono, "strictly later with every attempt");
    check_int(wr_backoff(T0, MIN(5), SEC(4 * 3600), -3), T0,
              "negative attempt: first_try");
    check_int(wr_backoff(T0, MIN(5), SEC(4 * 3600), 1000000),
              T0 + MIN(555) + (apr_int64_t)(1000000 - 7) * SEC(4 * 3600),
              "attempt 1,000,000: no overflow, arithmetic");
    check_int(wr_backoff(T0, APR_INT64_MAX / 4, APR_INT64_MAX / 2, 100),
              APR_INT64_MAX, "absurd values saturate");
    check_int(wr_backoff(T0, MIN(5), MIN(1), 3), T0 + MIN(15),
              "max below base: base is the gap");
}

static void test_history(void)
{
    wr_history_t *h;
    char dir[] = "/tmp/wr-test-hist.XXXXXX";
    const char *path;
    apr_time_t when = 0;
    int removed = -1;
    apr_status_t rv;

    if (mkdtemp(dir) == NULL) {
        check(0, "mkdtemp");
        return;
    }
    path = apr_pstrcat(pool, dir, "/history", NULL);
    check_int(wr_history_open(&h, path, pool), APR_SUCCESS, "history open");
    check_int(wr_history_last(h, WR_HISTORY_HOST, "192.0.2.10", &when),
              APR_ENOENT, "unknown host: APR_ENOENT");
    check(!wr_history_recent(h, WR_HISTORY_HOST, "192.0.2.10", T0,
                             SEC(86400)), "unknown host: not recent");
    check_int(wr_history_record(h, WR_HISTORY_HOST, "192.0.2.10", T0),
              APR_SUCCESS, "record host");
    check_int(wr_history_record(h, WR_HISTORY_HOST, "2001:db8::10",
                                T0 + 5), APR_SUCCESS, "record IPv6 host");
    check_int(wr_history_record(h, WR_HISTORY_DOMAIN, "example.com",
                                T0 + MIN(5)), APR_SUCCESS, "record domain");
    check_int(wr_history_last(h, WR_HISTORY_DOMAIN, "192.0.2.10", &when),
              APR_ENOENT, "kinds are apart: no domain '192.0.2.10'");
    wr_history_close(h);

    /* A full restart: a new pool, a new handle. */
    {
        apr_pool_t *p2;
        char longname[WR_HISTORY_KEY_MAX + 10];
        int i;
        apr_pool_create(&p2, NULL);
        check_int(wr_history_open(&h, path, p2), APR_SUCCESS, "reopen");
        check_int(wr_history_last(h, WR_HISTORY_HOST, "192.0.2.10", &when),
                  APR_SUCCESS, "host survives close/reopen");
        check_int(when, T0, "with its time");
        {
            /* The file format the header documents, read without us. */
            apr_dbm_t *raw;
            apr_datum_t k, v;
            k.dptr = "host:192.0.2.10";
            k.dsize = strlen(k.dptr);
            memset(&v, 0, sizeof(v));
            if (apr_dbm_open_ex(&raw, "SDBM", path, APR_DBM_READONLY,
                                APR_OS_DEFAULT, p2) == APR_SUCCESS) {
                apr_dbm_fetch(raw, k, &v);
                check_str(v.dptr ? apr_pstrmemdup(p2, v.dptr, v.dsize)
                          : NULL, "1714564800000000",
                          "SDBM value is decimal microseconds");
                apr_dbm_close(raw);
            }
            else {
                check(0, "raw SDBM open");
            }
        }
        check_int(wr_history_last(h, WR_HISTORY_HOST, "2001:db8::10", &when),
                  APR_SUCCESS, "IPv6 host survives");
        check_int(when, T0 + 5, "with its time");
        check(wr_history_recent(h, WR_HISTORY_DOMAIN, "example.com",
                                T0 + MIN(64), SEC(3600)),
              "domain notified 59 minutes ago: recent");
        check(!wr_history_recent(h, WR_HISTORY_DOMAIN, "example.com",
                                 T0 + MIN(65), SEC(3600)),
              "domain notified exactly an hour ago: not recent");
        check(wr_history_recent(h, WR_HISTORY_HOST, "192.0.2.10",
                                T0 + SEC(86400) - 1, SEC(86400)),
              "host 1 us inside 24h: recent");
        check(!wr_history_recent(h, WR_HISTORY_HOST, "192.0.2.10",
                                 T0 + SEC(86400), SEC(86400)),
              "host at 24h: not recent");

        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        check_int(wr_history_record(h, WR_HISTORY_DOMAIN, longname, T0),
                  APR_EINVAL, "over-long name refused");
        check_int(wr_history_record(h, WR_HISTORY_DOMAIN, "", T0),
                  APR_EINVAL, "empty name refused");
        check_int(wr_history_last(h, WR_HISTORY_DOMAIN, "", &when),
                  APR_EINVAL, "empty name refused on lookup");

        /* 500 hosts, half old: expire removes exactly the old half. */
        for (i = 0; i < 500; i++) {
            char name[32];
            apr_snprintf(name, sizeof(name), "198.51.100.%d/%d", i % 250,
                         i);
            wr_history_record(h, WR_HISTORY_HOST, name,
                              i % 2 ? T0 + SEC(86400 * 3) : T0);
        }
        rv = wr_history_expire(h, T0 + SEC(86400 * 3), SEC(86400 * 2),
                               &removed);
        check_int(rv, APR_SUCCESS, "expire");
        check_int(removed, 250 + 3, "expire removed 250 old hosts + 3 old");
        check_int(wr_history_last(h, WR_HISTORY_HOST, "198.51.100.1/1",
                                  &when), APR_SUCCESS, "young record kept");
        check_int(wr_history_last(h, WR_HISTORY_HOST, "198.51.100.0/0",
                                  &when), APR_ENOENT, "old record gone");
        check_int(wr_history_last(h, WR_HISTORY_DOMAIN, "example.com",
                                  &when), APR_ENOENT, "old domain gone");
        wr_history_close(h);
        check_int(wr_history_record(h, WR_HISTORY_HOST, "192.0.2.1", T0),
                  APR_EBADF, "record after close: APR_EBADF");
        apr_pool_destroy(p2);
    }

    rv = wr_history_open(&h, apr_pstrcat(pool, dir, "/no/such/dir/h", NULL),
                         pool);
    check(rv != APR_SUCCESS, "open in a missing directory fails (%d)", rv);
    if (getenv("WR_TEST_KEEP") == NULL) {
        char *cmd = apr_pstrcat(pool, "rm -rf '", dir, "'", NULL);
        if (system(cmd) != 0) {
            printf("# could not remove %s\n", dir);
        }
    }
}

/* seen_t - what wr_history_each gave */
typedef struct {
    int n;
    apr_time_t t10, t11;
    int other;
} seen_t;

static void seen_cb(void *baton, const char *name, apr_size_t len,
                    apr_time_t when)
{
    seen_t *s = baton;

    s->n++;
    if (len == 10 && !memcmp(name, "192.0.2.10", 10)) {
        s->t10 = when;
    }
    else if (len == 10 && !memcmp(name, "192.0.2.11", 10)) {
        s->t11 = when;
    }
    else {
        s->other++;
    }
}

/* test_history_seen - the hosts the notifier finished with, for
 * "wormreply blocklist": the last probe stays the last, each walks one
 * kind only, they outlive the notice windows, and a reader opens only an
 * existing history */
static void test_history_seen(void)
{
    wr_history_t *h, *r;
    char dir[] = "/tmp/wr-test-seen.XXXXXX";
    const char *path;
    seen_t s;
    int removed = -1;
    apr_finfo_t fi;

    if (mkdtemp(dir) == NULL) {
        check(0, "mkdtemp");
        return;
    }
    path = apr_pstrcat(pool, dir, "/history", NULL);
    check_int(wr_history_open_existing(&r, path, pool), APR_ENOENT,
              "open_existing: no history yet is APR_ENOENT");
    check(apr_stat(&fi, apr_pstrcat(pool, path, ".pag", NULL),
                   APR_FINFO_TYPE, pool) != APR_SUCCESS,
          "... and makes none");
    check_int(wr_history_open(&h, path, pool), APR_SUCCESS, "open");
    wr_history_record(h, WR_HISTORY_SEEN, "192.0.2.10", T0 + MIN(10));
    check_int(wr_history_record(h, WR_HISTORY_SEEN, "192.0.2.10", T0),
              APR_SUCCESS, "an earlier probe of a host seen later");
    wr_history_record(h, WR_HISTORY_SEEN, "192.0.2.11", T0);
    wr_history_record(h, WR_HISTORY_SEEN, "192.0.2.11", T0 + MIN(20));
    wr_history_record(h, WR_HISTORY_HOST, "192.0.2.12", T0);
    wr_history_record(h, WR_HISTORY_DOMAIN, "example.com", T0);
    check_int(wr_history_open_existing(&r, path, pool), APR_SUCCESS,
              "open_existing: the notifier's history");
    memset(&s, 0, sizeof(s));
    check_int(wr_history_each(r, WR_HISTORY_SEEN, seen_cb, &s), APR_SUCCESS,
              "each seen");
    check_int(s.n, 2, "two hosts seen (host: and domain: records apart)");
    check_int(s.other, 0, "no other name");
    check_int(s.t10, T0 + MIN(10), "the last probe stays the last");
    check_int(s.t11, T0 + MIN(20), "a later probe replaces an earlier");
    /* a week's blocklist, whatever the notice windows */
    check_int(wr_history_expire(h, T0 + SEC(86400 * 6), SEC(3600),
                                &removed), APR_SUCCESS, "expire at 6 days");
    check_int(removed, 2, "the host: and domain: records go");
    memset(&s, 0, sizeof(s));
    wr_history_each(r, WR_HISTORY_SEEN, seen_cb, &s);
    check_int(s.n, 2, "the seen records stay for WR_HISTORY_SEEN_KEEP");
    wr_history_expire(h, T0 + MIN(10) + WR_HISTORY_SEEN_KEEP + 1, SEC(3600),
                      &removed);
    memset(&s, 0, sizeof(s));
    wr_history_each(r, WR_HISTORY_SEEN, seen_cb, &s);
    check_int(s.n, 1, "... and then go (the older first)");
    check_int(s.t11, T0 + MIN(20), "... the younger stays");
    if (getenv("WR_TEST_KEEP") == NULL) {
        char *cmd = apr_pstrcat(pool, "rm -rf '", dir, "'", NULL);
        if (system(cmd) != 0) {
            printf("# could not remove %s\n", dir);
        }
    }
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    alarm(60);
    test_defaults();
    test_host();
    test_host_notifying();
    test_encodings();
    test_digest();
    test_global();
    test_backoff();
    test_history();
    test_history_seen();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
