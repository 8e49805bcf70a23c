/* wr_hash.h - the project's non-cryptographic hashes, in one place
 *
 * FNV-1a (Fowler/Noll/Vo, the "1a" order: xor the byte, then multiply) in
 * its 32- and 64-bit forms, and a 64-bit finaliser (splitmix64's, after
 * Stafford's "Mix13") that makes every output bit depend on every input
 * bit. FNV-1a alone spreads poorly into its top bits; callers that use
 * those (HyperLogLog's register index, a table's mask of high bits) mix.
 *
 * None of these resist an attacker who picks the input to collide: where
 * hostile keys fill a table that matters, use a keyed hash (SipHash).
 * Inline: the 32-bit form runs on the request path.
 */
#ifndef WR_HASH_H
#define WR_HASH_H

#include <apr.h>

#define WR_HASH_FNV32_BASIS 2166136261u
#define WR_HASH_FNV32_PRIME 16777619u
#define WR_HASH_FNV64_BASIS APR_UINT64_C(14695981039346656037)
#define WR_HASH_FNV64_PRIME APR_UINT64_C(1099511628211)

/* wr_hash_fnv1a32 - 32-bit FNV-1a of `len` bytes at `data` */
static inline apr_uint32_t wr_hash_fnv1a32(const void *data,
                                           apr_size_t len)
{
    const unsigned char *s = data;
    apr_uint32_t h = WR_HASH_FNV32_BASIS;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ s[i]) * WR_HASH_FNV32_PRIME;
    }
    return h;
}

/* wr_hash_fnv1a64 - 64-bit FNV-1a of `len` bytes at `data` */
static inline apr_uint64_t wr_hash_fnv1a64(const void *data,
                                           apr_size_t len)
{
    const unsigned char *s = data;
    apr_uint64_t h = WR_HASH_FNV64_BASIS;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ s[i]) * WR_HASH_FNV64_PRIME;
    }
    return h;
}

/* wr_hash_mix64 - splitmix64's finaliser: a bijection of 64 bits in
 * which each input bit flips each output bit with probability ~1/2 */
static inline apr_uint64_t wr_hash_mix64(apr_uint64_t h)
{
    h ^= h >> 30;
    h *= APR_UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h *= APR_UINT64_C(0x94d049bb133111eb);
    h ^= h >> 31;
    return h;
}

/* wr_hash_fold8 - the four bytes of a 32-bit hash xored into one, for a
 * key's first byte (mod_socache_shmcb picks its subcache by it) */
static inline unsigned char wr_hash_fold8(apr_uint32_t h)
{
    return (unsigned char)(h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24));
}

#endif
