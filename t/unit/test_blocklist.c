/* test_blocklist.c - window, exemptions, canonical addresses and the four
 * output formats of wr_blocklist */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_blocklist.h"

/* render - the list in format f as a string (pool-allocated) */
static const char *render(wr_blocklist_t *bl, wr_blocklist_format_t f,
                          const wr_blocklist_names_t *names, apr_pool_t *p,
                          apr_status_t *rv)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    const char *s;

    *rv = wr_blocklist_write(bl, f, names, m);
    fclose(m);
    s = apr_pstrmemdup(p, buf, len);
    free(buf);
    return s;
}

static void test_window(apr_pool_t *p)
{
    wr_blocklist_t *bl;
    wr_blocklist_stats_t st;
    apr_time_t now = apr_time_from_sec(1083412800);  /* 2004-05-01T12:00Z */
    apr_interval_time_t hour = apr_time_from_sec(3600);

    check_int(wr_blocklist_create(&bl, now, 0, 0, p), APR_EINVAL,
              "a zero window is refused");
    /* found by t/fuzz/fuzz_blocklist: --since 106751991d overflowed
     * now + window (UBSan) */
    check_int(wr_blocklist_create(&bl, now, APR_INT64_C(106751991) * 86400
                                  * APR_USEC_PER_SEC, 0, p), APR_EINVAL,
              "a window whose end is past the apr_time_t range is refused");
    check_int(wr_blocklist_create(&bl, -now, APR_INT64_MAX - now, 0, p),
              APR_EINVAL, "so is one whose start is before it");
    check_int(wr_blocklist_create(&bl, now, APR_INT64_C(36500) * 86400
                                  * APR_USEC_PER_SEC, 0, p), APR_SUCCESS,
              "a window of a hundred years is fine");
    check_int(wr_blocklist_create(&bl, now, hour, 3, p), APR_SUCCESS,
              "create");
    check_int(wr_blocklist_add(bl, "192.0.2.1", 9, now - hour), WR_BL_LISTED,
              "the start of the window is in it");
    check_int(wr_blocklist_add(bl, "192.0.2.2", 9, now - hour - 1),
              WR_BL_OUTSIDE, "a microsecond before is not");
    check_int(wr_blocklist_add(bl, "192.0.2.3", 9, now + 1), WR_BL_OUTSIDE,
              "after now is not");
    check_int(wr_blocklist_add(bl, "192.0.2.3", 9, now), WR_BL_LISTED,
              "now is");
    check_int(wr_blocklist_add(bl, "192.0.2.300", 11, now), WR_BL_BAD_ADDRESS,
              "a bad address");
    check_int(wr_blocklist_add(bl, "host.example", 12, now),
              WR_BL_BAD_ADDRESS, "a name is not an address (nothing resolved)");
    check_int(wr_blocklist_add(bl, "192.0.2.1\0x", 11, now),
              WR_BL_BAD_ADDRESS, "a NUL inside is refused");
    check_int(wr_blocklist_add(bl, "192.0.2.1 ", 10, now), WR_BL_BAD_ADDRESS,
              "a trailing space is refused");
    check_int(wr_blocklist_add(bl, "192.0.2.1junk", 9, now), WR_BL_LISTED,
              "only len bytes are read");
    check_int(wr_blocklist_add(bl, "::ffff:192.0.2.3", 16, now), WR_BL_LISTED,
              "an IPv4-mapped address");
    wr_blocklist_stats(bl, &st);
    check_int(st.hosts, 2, "... is the IPv4 host: still two hosts");
    check_int(wr_blocklist_add(bl, "2001:DB8:0::1", 13, now), WR_BL_LISTED,
              "an IPv6 host");
    check_int(wr_blocklist_add(bl, "2001:db8::2", 11, now), WR_BL_DROPPED,
              "a fourth host over a cap of three is dropped");
    check_int(wr_blocklist_add(bl, "2001:db8::1", 11, now), WR_BL_LISTED,
              "a known host is still updated at the cap");
    wr_blocklist_stats(bl, &st);
    check_int(st.hosts, 3, "three hosts");
    check_int(st.hosts_v6, 1, "one of them IPv6");
    check_int(st.sightings[WR_BL_LISTED], 6, "six listed sightings");
    check_int(st.sightings[WR_BL_OUTSIDE], 2, "two outside");
    check_int(st.sightings[WR_BL_BAD_ADDRESS], 4, "four bad addresses");
    check_int(st.sightings[WR_BL_DROPPED], 1, "one dropped");
}

static void test_exempt(apr_pool_t *p)
{
    wr_blocklist_t *bl;
    apr_time_t now = apr_time_from_sec(1083412800);

    wr_blocklist_create(&bl, now, apr_time_from_sec(60), 0, p);
    check_int(wr_blocklist_exempt(bl, "198.51.100.77/24"), APR_SUCCESS,
              "an IPv4 network (host bits set)");
    check_int(wr_blocklist_exempt(bl, "2001:db8:8000::/33"), APR_SUCCESS,
              "an IPv6 network with an odd prefix");
    check_int(wr_blocklist_exempt(bl, "203.0.113.9"), APR_SUCCESS,
              "one address");
    check_int(wr_blocklist_exempt(bl, "10.0.0.0/33"), APR_EINVAL,
              "/33 on IPv4 is refused");
    check_int(wr_blocklist_exempt(bl, "10.0.0.0/"), APR_EINVAL,
              "an empty prefix is refused");
    check_int(wr_blocklist_exempt(bl, "10.0.0.0/-1"), APR_EINVAL,
              "a negative prefix is refused");
    check_int(wr_blocklist_exempt(bl, "example.com/8"), APR_EINVAL,
              "a name is refused");
    check_int(wr_blocklist_add(bl, "198.51.100.1", 12, now), WR_BL_EXEMPT,
              "in the /24");
    check_int(wr_blocklist_add(bl, "::ffff:198.51.100.255", 21, now),
              WR_BL_EXEMPT, "mapped, in the /24");
    check_int(wr_blocklist_add(bl, "198.51.101.1", 12, now), WR_BL_LISTED,
              "next /24 is not exempt");
    check_int(wr_blocklist_add(bl, "2001:db8:ffff::1", 16, now), WR_BL_EXEMPT,
              "in the /33");
    check_int(wr_blocklist_add(bl, "2001:db8:7fff::1", 16, now), WR_BL_LISTED,
              "the other half of the /32 is not");
    check_int(wr_blocklist_add(bl, "203.0.113.9", 11, now), WR_BL_EXEMPT,
              "the single address");
    check_int(wr_blocklist_add(bl, "203.0.113.10", 12, now), WR_BL_LISTED,
              "its neighbour is not");
}

static void test_formats(apr_pool_t *p)
{
    wr_blocklist_t *bl;
    wr_blocklist_names_t names;
    wr_blocklist_format_t f;
    wr_blocklist_stats_t st;
    apr_time_t now = apr_time_from_sec(1083412800);   /* 12:00:00Z */
    apr_status_t rv;
    const char *out;

    wr_blocklist_create(&bl, now, apr_time_from_sec(3600), 0, p);
    wr_blocklist_names_init(&names);
    /* 192.0.2.10 seen at 11:20 and 11:40: expires 12:40, 2400 s left */
    wr_blocklist_add(bl, "192.0.2.10", 10, now - apr_time_from_sec(2400));
    wr_blocklist_add(bl, "192.0.2.10", 10, now - apr_time_from_sec(1200));
    /* 10.1.2.3 seen at 11:00:00.5: expires 12:00:00.5, 1 s left (up) */
    wr_blocklist_add(bl, "10.1.2.3", 8, now - apr_time_from_sec(3600)
                     + 500000);
    wr_blocklist_add(bl, "2001:db8::7", 11, now);

    out = render(bl, WR_BLOCKLIST_PLAIN, &names, p, &rv);
    check_int(rv, APR_SUCCESS, "plain: written");
    check_str(out, "10.1.2.3\t2004-05-01T12:00:00Z\n"
              "192.0.2.10\t2004-05-01T12:40:00Z\n"
              "2001:db8::7\t2004-05-01T13:00:00Z\n",
              "plain: numeric order, IPv4 first, expiry = last seen + window");

    out = render(bl, WR_BLOCKLIST_IPSET, &names, p, &rv);
    check_int(rv, APR_SUCCESS, "ipset: written");
    check_str(out,
              "create wormreply hash:ip family inet timeout 3600 -exist\n"
              "create wormreply6 hash:ip family inet6 timeout 3600 -exist\n"
              "add wormreply 10.1.2.3 timeout 1 -exist\n"
              "add wormreply 192.0.2.10 timeout 2400 -exist\n"
              "add wormreply6 2001:db8::7 timeout 3600 -exist\n",
              "ipset: restore input with the seconds left per entry");

    names.set = "probers";
    names.nft_family = "ip6";
    names.nft_table = "fw";
    out = render(bl, WR_BLOCKLIST_NFTABLES, &names, p, &rv);
    check_int(rv, APR_SUCCESS, "nftables: written");
    check_str(out,
              "# wormreply: 3 hosts that probed from 2004-05-01T11:00:00Z to "
              "2004-05-01T12:00:00Z\n"
              "add table ip6 fw\n"
              "add set ip6 fw probers { type ipv4_addr; flags timeout; }\n"
              "add set ip6 fw probers6 { type ipv6_addr; flags timeout; }\n"
              "add element ip6 fw probers { 10.1.2.3 timeout 1s }\n"
              "add element ip6 fw probers { 192.0.2.10 timeout 2400s }\n"
              "add element ip6 fw probers6 { 2001:db8::7 timeout 3600s }\n",
              "nftables: sets and elements with timeouts, names as given");

    wr_blocklist_names_init(&names);
    out = render(bl, WR_BLOCKLIST_RBLDNSD, &names, p, &rv);
    check_int(rv, APR_SUCCESS, "rbldnsd: written");
    check_str(out,
              "# wormreply: 2 hosts that probed from 2004-05-01T11:00:00Z to "
              "2004-05-01T12:00:00Z\n"
              "$TIMESTAMP 2004:05:01:12:00:00 2004:05:01:13:00:00\n"
              "$TTL 300\n"
              ":127.0.0.2:Worm probe from $\n"
              "10.1.2.3 :127.0.0.2:Worm probe from $ (until "
              "2004-05-01T12:00:00Z)\n"
              "192.0.2.10 :127.0.0.2:Worm probe from $ (until "
              "2004-05-01T12:40:00Z)\n",
              "rbldnsd: ip4set with timestamp, expiry and per-entry TXT");
    wr_blocklist_stats(bl, &st);
    check_int(st.v6_left_out, 1, "rbldnsd: the IPv6 host is left out");

    names.set = "bad name";
    out = render(bl, WR_BLOCKLIST_IPSET, &names, p, &rv);
    check_int(rv, APR_EINVAL, "a set name with a space is refused");
    check_str(out, "", "... before anything is written");
    wr_blocklist_names_init(&names);
    names.txt = "line\nbreak";
    render(bl, WR_BLOCKLIST_RBLDNSD, &names, p, &rv);
    check_int(rv, APR_EINVAL, "a TXT with a newline is refused");

    check_int(wr_blocklist_format_parse("nft", &f), APR_SUCCESS, "'nft'");
    check_int(f, WR_BLOCKLIST_NFTABLES, "... is nftables");
    check_int(wr_blocklist_format_parse("csv", &f), APR_EINVAL,
              "'csv' is not a format");
}

static void test_empty(apr_pool_t *p)
{
    wr_blocklist_t *bl;
    wr_blocklist_names_t names;
    apr_status_t rv;
    const char *out;

    wr_blocklist_names_init(&names);
    wr_blocklist_create(&bl, apr_time_from_sec(1083412800),
                        apr_time_from_sec(60), 0, p);
    out = render(bl, WR_BLOCKLIST_PLAIN, &names, p, &rv);
    check_str(out, "", "an empty plain list is empty");
    out = render(bl, WR_BLOCKLIST_RBLDNSD, &names, p, &rv);
    check(strstr(out, "$TIMESTAMP 2004:05:01:12:00:00 2004:05:01:12:01:00\n"
                 "$TTL 60\n") != NULL,
          "an empty rbldnsd list still expires one window on; short TTL");
    out = render(bl, WR_BLOCKLIST_IPSET, &names, p, &rv);
    check_str(out, "create wormreply hash:ip family inet timeout 60 -exist\n",
              "an empty ipset list creates the IPv4 set only");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_window(p);
    test_exempt(p);
    test_formats(p);
    test_empty(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
