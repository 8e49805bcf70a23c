/* wr_prefix.c - source address to network prefix (see wr_prefix.h) */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "wr_prefix.h"

/* mask - keep the first `bits` (0 .. 8n) bits of `n` bytes at `a`: the
 * whole bytes, the one partly kept, zeros after (no loop a byte) */
static void mask(unsigned char *a, int n, int bits)
{
    int full = bits / 8;

    if (full < n) {
        a[full] &= (unsigned char)(0xff << (8 - bits % 8));
        memset(a + full + 1, 0, (size_t)(n - full - 1));
    }
}

apr_status_t wr_prefix_of(const char *ip, int v4bits, int v6bits,
                          wr_prefix_t *px)
{
    unsigned char a[16];

    if (inet_pton(AF_INET, ip, a) == 1) {
        return wr_prefix_of_bytes(4, a, v4bits, v6bits, px);
    }
    if (inet_pton(AF_INET6, ip, a) == 1) {
        return wr_prefix_of_bytes(6, a, v4bits, v6bits, px);
    }
    memset(px, 0, sizeof(*px));
    return APR_EINVAL;
}

apr_status_t wr_prefix_of_bytes(int family, const unsigned char *addr,
                                int v4bits, int v6bits, wr_prefix_t *px)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                             0xff, 0xff};
    unsigned char a[16];

    memset(px, 0, sizeof(*px));
    if (family == 4) {
        memcpy(a, addr, 4);
    }
    else if (family == 6) {
        memcpy(a, addr, 16);
        if (!memcmp(a, mapped, sizeof(mapped))) {
            memmove(a, a + 12, 4);
            family = 4;
        }
    }
    else {
        return APR_EINVAL;
    }
    px->family = family;
    if (px->family == 4) {
        px->bits = v4bits < 1 ? 1 : v4bits > 32 ? 32 : v4bits;
        mask(a, 4, px->bits);
        memcpy(px->key + 2, a, 4);
        px->klen = 6;
    }
    else {
        px->bits = v6bits < 1 ? 1 : v6bits > 128 ? 128 : v6bits;
        mask(a, 16, px->bits);
        memcpy(px->key + 2, a, 16);
        px->klen = 18;
    }
    px->key[0] = (unsigned char)px->family;
    px->key[1] = (unsigned char)px->bits;
    return APR_SUCCESS;
}

const char *wr_prefix_text(const wr_prefix_t *px, char *buf)
{
    char addr[INET6_ADDRSTRLEN];
    int full = px->family == 4 ? 32 : 128;

    if (inet_ntop(px->family == 4 ? AF_INET : AF_INET6, px->key + 2, addr,
                  sizeof(addr)) == NULL) {
        strcpy(buf, "?");
        return buf;
    }
    if (px->bits == full) {
        snprintf(buf, WR_PREFIX_TEXT_MAX, "%s", addr);
    }
    else {
        snprintf(buf, WR_PREFIX_TEXT_MAX, "%s/%d", addr, px->bits);
    }
    return buf;
}
