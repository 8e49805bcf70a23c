/* test_prefix.c - source prefixes and the shared spool size: keys, texts,
 * reservations under the bounds, held-back prefixes, byte sizes */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <apr_general.h>

#include "test-lib.h"
#include "wr_prefix.h"
#include "wr_spoolsize.h"

/* same - whether two addresses fall in one prefix */
static int same(const char *a, const char *b, int v4, int v6)
{
    wr_prefix_t x, y;

    return wr_prefix_of(a, v4, v6, &x) == APR_SUCCESS
           && wr_prefix_of(b, v4, v6, &y) == APR_SUCCESS
           && x.klen == y.klen && !memcmp(x.key, y.key, x.klen);
}

static const char *text(const char *ip, int v4, int v6)
{
    static char buf[WR_PREFIX_TEXT_MAX];
    wr_prefix_t px;

    if (wr_prefix_of(ip, v4, v6, &px) != APR_SUCCESS) {
        return "(invalid)";
    }
    return wr_prefix_text(&px, buf);
}

static void test_prefix(void)
{
    wr_prefix_t px;

    check(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 32, 64),
          "two addresses of one /64: one source");
    check(!same("2001:db8:1:2::1", "2001:db8:1:3::1", 32, 64),
          "neighbouring /64s: two sources");
    check(same("2001:db8:1:2::1", "2001:db8:1:3::1", 32, 48),
          "with /48 they are one");
    check(!same("2001:db8::1", "2001:db8::2", 32, 128),
          "/128: every address its own source");
    check(!same("192.0.2.1", "192.0.2.2", 32, 64),
          "IPv4 /32 by default: every address its own");
    check(same("192.0.2.1", "192.0.2.200", 24, 64), "IPv4 /24");
    check(same("192.0.2.1", "::ffff:192.0.2.1", 32, 64),
          "an IPv4-mapped address is the IPv4 address");
    check(!same("0.0.0.1", "::1", 32, 128),
          "IPv4 and IPv6 keys never meet");
    check_str(text("2001:db8:1:2:3:4:5:6", 32, 64), "2001:db8:1:2::/64",
              "text of a /64");
    check_str(text("192.0.2.77", 32, 64), "192.0.2.77", "a /32 is the address");
    check_str(text("192.0.2.77", 25, 64), "192.0.2.0/25", "text of a /25");
    check_str(text("2001:db8::7", 32, 61), "2001:db8::/61",
              "a length across a byte");
    check_int(wr_prefix_of("not-an-address", 32, 64, &px), APR_EINVAL,
              "a name is refused");
    check_int(wr_prefix_of("192.0.2.1/24", 32, 64, &px), APR_EINVAL,
              "a network is refused");
}

static void test_size(void)
{
    wr_spoolsize_t sz;
    wr_held_e why;
    char buf[WR_PREFIX_TEXT_MAX];
    apr_time_t at, t0 = apr_time_from_sec(1714564800);
    int i, ok = 0;

    memset(&sz, 0, sizeof(sz));
    for (i = 0; i < 20; i++) {
        ok += wr_spoolsize_reserve(&sz, 100, 10, 0, &why);
    }
    check_int(ok, 10, "a bound of 10 records admits 10");
    check_int(why, WR_HELD_RECORDS, "the 11th is held back for the records");
    check_int(sz.entries, 10, "ten reserved, the refused ones given back");
    check_int(sz.bytes, 10 * (100 + WR_SPOOLSIZE_MARGIN),
              "their bytes, each with the notifier's margin");
    wr_spoolsize_release(&sz, 100);
    check_int(sz.entries, 9, "a failed write gives its room back");
    check_int(sz.bytes, 9 * (100 + WR_SPOOLSIZE_MARGIN), "and its bytes");
    memset(&sz, 0, sizeof(sz));
    check(wr_spoolsize_reserve(&sz, 100, 0, 1000, &why), "a record that fits");
    check(!wr_spoolsize_reserve(&sz, 700, 0, 1000, &why)
          && why == WR_HELD_BYTES, "a byte bound holds back what passes it "
          "(the margin counted)");
    check_int(sz.bytes, 100 + WR_SPOOLSIZE_MARGIN, "only the first counted");
    wr_spoolsize_set(&sz, 3, 300, t0);
    check_int(sz.entries, 3, "the notifier's count replaces it");
    check_int(sz.bytes, 300 + 3 * WR_SPOOLSIZE_MARGIN, "with the margin");

    wr_spoolsize_held(&sz, buf, &why, &at);
    check_str(buf, "", "nothing held back yet");
    check_int(wr_spoolsize_hold(&sz, "2001:db8:1::/64", WR_HELD_QUOTA, t0),
              1, "the first hold warns");
    check_int(wr_spoolsize_hold(&sz, "2001:db8:2::/64", WR_HELD_BYTES,
                                t0 + apr_time_from_sec(59)), 0,
              "within the minute: no second warning");
    wr_spoolsize_held(&sz, buf, &why, &at);
    check_str(buf, "2001:db8:2::/64", "the status names the last prefix");
    check_str(wr_held_name(why), "bytes", "and why");
    check_int(at, t0 + apr_time_from_sec(59), "and when");
    check_int(wr_spoolsize_hold(&sz, "192.0.2.9", WR_HELD_QUOTA,
                                t0 + apr_time_from_sec(60)), 1,
              "a minute later: a warning again");
}

static void test_bytes(void)
{
    apr_uint64_t n = 0;

    check(wr_bytes_parse("4096", &n) == APR_SUCCESS && n == 4096, "4096");
    check(wr_bytes_parse("500K", &n) == APR_SUCCESS && n == 512000, "500K");
    check(wr_bytes_parse("32m", &n) == APR_SUCCESS && n == 33554432, "32m");
    check(wr_bytes_parse("1G", &n) == APR_SUCCESS && n == 1073741824, "1G");
    check_int(wr_bytes_parse("0", &n), APR_EINVAL, "0 refused");
    check_int(wr_bytes_parse("12X", &n), APR_EINVAL, "12X refused");
    check_int(wr_bytes_parse("1MB", &n), APR_EINVAL, "1MB refused");
    check_int(wr_bytes_parse("-1", &n), APR_EINVAL, "-1 refused");
    check_int(wr_bytes_parse("99999999999999999999", &n), APR_EINVAL,
              "an overflow refused");
    check_int(wr_bytes_parse("99999999999G", &n), APR_EINVAL,
              "an overflow by the unit refused");
}

/* ref_key - the key as the byte-by-byte mask of the first version made
 * it: family, length, the address with bits after `bits` cleared */
static int ref_same(const unsigned char *addr, int fam, int bits,
                    const wr_prefix_t *px)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                             0xff, 0xff};
    unsigned char a[16], key[18];
    int n, i;

    memcpy(a, addr, fam == 4 ? 4 : 16);
    if (fam == 6 && !memcmp(a, mapped, 12)) {
        memmove(a, a + 12, 4);
        fam = 4;
    }
    n = fam == 4 ? 4 : 16;
    bits = bits < 1 ? 1 : bits > 8 * n ? 8 * n : bits;
    for (i = 0; i < n; i++) {
        int keep = bits - 8 * i;
        if (keep <= 0) {
            a[i] = 0;
        }
        else if (keep < 8) {
            a[i] &= (unsigned char)(0xff << (8 - keep));
        }
    }
    key[0] = (unsigned char)fam;
    key[1] = (unsigned char)bits;
    memcpy(key + 2, a, (size_t)n);
    return px->klen == (unsigned)(n + 2) && px->family == fam
           && px->bits == bits && !memcmp(px->key, key, px->klen);
}

/* test_bytes_form - wr_prefix_of_bytes (the request path's, from the
 * address httpd parsed) gives wr_prefix_of's prefix for every address
 * form and every prefix length, and refuses another family */
static void test_bytes_form(void)
{
    static const char *const addrs[] = {
        "192.0.2.10", "0.0.0.0", "255.255.255.255", "10.1.2.3",
        "2001:db8:1:2:3:4:5:6", "::", "::1", "fe80::1:2",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "::ffff:192.0.2.77", "::ffff:0:0", "2001:db8::ffff:192.0.2.1"};
    wr_prefix_t want, got, junk;
    unsigned char a[16];
    int i, bits, bad = 0, n = 0;

    for (i = 0; i < (int)(sizeof(addrs) / sizeof(addrs[0])); i++) {
        int v4 = strchr(addrs[i], ':') == NULL;
        if (inet_pton(v4 ? AF_INET : AF_INET6, addrs[i], a) != 1) {
            bad++;
            continue;
        }
        for (bits = 0; bits <= 129; bits++) {
            memset(&got, 0x77, sizeof(got));
            if (wr_prefix_of(addrs[i], bits, bits, &want) != APR_SUCCESS
                || wr_prefix_of_bytes(v4 ? 4 : 6, a, bits, bits, &got)
                   != APR_SUCCESS
                || memcmp(&want, &got, sizeof(want)) != 0
                || !ref_same(a, v4 ? 4 : 6, bits, &got)) {
                bad++;
            }
            n++;
        }
    }
    check(bad == 0, "wr_prefix_of_bytes == wr_prefix_of: %d of %d cases "
          "differ, or differ from the byte-by-byte mask (IPv4, IPv6, "
          "IPv4-mapped; prefix lengths 0-129)", bad, n);
    check_int(wr_prefix_of_bytes(0, a, 32, 64, &junk), APR_EINVAL,
              "wr_prefix_of_bytes: another family refused");
}

int main(void)
{
    apr_initialize();
    atexit(apr_terminate);
    test_prefix();
    test_bytes_form();
    test_size();
    test_bytes();
    return done_testing();
}
