/* test_hash.c - wr_hash.h against the published FNV-1a test vectors and
 * splitmix64's reference output */
#include <string.h>

#include "test-lib.h"
#include "wr_hash.h"

int main(void)
{
    /* FNV-1a vectors from the FNV reference (draft-eastlake-fnv,
     * test_fnv.c): "", "a", "foobar" */
    check_int(wr_hash_fnv1a32("", 0), 0x811c9dc5u, "fnv1a32 of nothing is "
              "the offset basis");
    check_int(wr_hash_fnv1a32("a", 1), 0xe40c292cu, "fnv1a32(\"a\")");
    check_int(wr_hash_fnv1a32("foobar", 6), 0xbf9cf968u,
              "fnv1a32(\"foobar\")");
    check(wr_hash_fnv1a64("", 0) == APR_UINT64_C(0xcbf29ce484222325),
          "fnv1a64 of nothing is the offset basis");
    check(wr_hash_fnv1a64("a", 1) == APR_UINT64_C(0xaf63dc4c8601ec8c),
          "fnv1a64(\"a\")");
    check(wr_hash_fnv1a64("foobar", 6) == APR_UINT64_C(0x85944171f73967e8),
          "fnv1a64(\"foobar\")");
    /* bytes above 0x7f are taken unsigned */
    check_int(wr_hash_fnv1a32("\xff", 1),
              (0x811c9dc5u ^ 0xffu) * 16777619u, "fnv1a32 of 0xff");

    /* splitmix64 seeded with 0: its first two outputs are the mix of
     * the golden-ratio increment and of twice it (Vigna's splitmix64.c) */
    check(wr_hash_mix64(APR_UINT64_C(0x9e3779b97f4a7c15))
          == APR_UINT64_C(0xe220a8397b1dcdaf), "mix64: splitmix64's first "
          "output from seed 0");
    check(wr_hash_mix64(APR_UINT64_C(0x3c6ef372fe94f82a))
          == APR_UINT64_C(0x6e789e6aa1b965f4), "mix64: its second");
    check(wr_hash_mix64(0) == 0, "mix64 keeps 0 (a bijection with a fixed "
          "point)");

    check_int(wr_hash_fold8(0x11223344u), 0x11 ^ 0x22 ^ 0x33 ^ 0x44,
              "fold8 xors the four bytes");
    return done_testing();
}
