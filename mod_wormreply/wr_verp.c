/* wr_verp.c - VERP envelope senders with keyed tokens (see wr_verp.h) */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "wr_notice.h"
#include "wr_file.h"
#include "wr_verp.h"

#define MAC_DIGITS 16           /* 80 bits */
#define DAY_DIGITS 4            /* 20 bits */
#define NOTICE_DIGITS 6         /* 30 bits */
#define HEAD (MAC_DIGITS + DAY_DIGITS + NOTICE_DIGITS)
#define DAY apr_time_from_sec(86400)

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* b32_bits - the first `digits` * 5 bits of `in` as base32 digits */
static void b32_bits(const unsigned char *in, int digits, char *out)
{
    int k;

    for (k = 0; k < digits; k++) {
        int bit = k * 5, v = 0, j;
        for (j = 0; j < 5; j++, bit++) {
            v = (v << 1) | ((in[bit / 8] >> (7 - bit % 8)) & 1);
        }
        out[k] = b32[v];
    }
    out[digits] = '\0';
}

/* b32_num - `n` as `digits` base32 digits, most significant first */
static void b32_num(apr_uint64_t n, int digits, char *out)
{
    int k;

    for (k = digits - 1; k >= 0; k--) {
        out[k] = b32[n & 31];
        n >>= 5;
    }
    out[digits] = '\0';
}

/* b32_parse - `digits` (at most 12) base32 digits as a number; -1 if
 * they are not */
static apr_int64_t b32_parse(const char *s, int digits)
{
    apr_int64_t n = 0;
    int k;

    for (k = 0; k < digits; k++) {
        const char *c = s[k] ? strchr(b32, s[k]) : NULL;
        if (c == NULL) {
            return -1;
        }
        n = (n << 5) | (c - b32);
    }
    return n;
}

/* b32_ok - whether `s` starts with `digits` base32 digits */
static int b32_ok(const char *s, int digits)
{
    int k;

    for (k = 0; k < digits; k++) {
        if (s[k] == '\0' || strchr(b32, s[k]) == NULL) {
            return 0;
        }
    }
    return 1;
}

/* lower - `s` in lower case */
static char *lower(const char *s, apr_pool_t *p)
{
    char *t = apr_pstrdup(p, s), *c;

    for (c = t; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return t;
}

/* mac - the token's MAC digits over day, notice and rcpt */
static apr_status_t mac(const wr_verp_key_t *key, const char *day,
                        const char *notice, const char *rcpt, char *out)
{
    static const char label[] = "wr-verp-1";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    apr_size_t lr = strlen(rcpt), n = 0;
    unsigned char buf[sizeof(label) + DAY_DIGITS + 1 + NOTICE_DIGITS + 1
                      + 256];

    if (lr > 255) {
        return APR_EINVAL;
    }
    memcpy(buf + n, label, sizeof(label));       /* with its NUL */
    n += sizeof(label);
    memcpy(buf + n, day, DAY_DIGITS + 1);
    n += DAY_DIGITS + 1;
    memcpy(buf + n, notice, NOTICE_DIGITS + 1);
    n += NOTICE_DIGITS + 1;
    memcpy(buf + n, rcpt, lr);
    n += lr;
    if (HMAC(EVP_sha256(), key->k, WR_VERP_KEY_LEN, buf, n, md, &mdlen)
        == NULL || mdlen < 10) {
        return APR_EGENERAL;
    }
    b32_bits(md, MAC_DIGITS, out);
    return APR_SUCCESS;
}

/* notice_tag - base32 of the first 30 bits of SHA-256(id) */
static apr_status_t notice_tag(const char *id, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!EVP_Digest(id, strlen(id), md, &mdlen, EVP_sha256(), NULL)
        || mdlen < 4) {
        return APR_EGENERAL;
    }
    b32_bits(md, NOTICE_DIGITS, out);
    return APR_SUCCESS;
}

apr_status_t wr_verp_sender(const wr_verp_key_t *key, const char *bounce,
                            const char *notice_id, const char *rcpt,
                            apr_time_t now, const char **sender,
                            apr_pool_t *p)
{
    char m[MAC_DIGITS + 1], day[DAY_DIGITS + 1], tag[NOTICE_DIGITS + 1];
    const char *at = bounce ? strrchr(bounce, '@') : NULL;
    char *r, *rat;
    apr_status_t rv;

    if (at == NULL || !wr_notice_address_ok(bounce) || rcpt == NULL
        || !wr_notice_address_ok(rcpt) || notice_id == NULL || now < 0) {
        return APR_EINVAL;
    }
    r = lower(rcpt, p);
    b32_num((apr_uint64_t)(now / DAY), DAY_DIGITS, day);
    if ((rv = notice_tag(notice_id, tag)) != APR_SUCCESS
        || (rv = mac(key, day, tag, r, m)) != APR_SUCCESS) {
        return rv;
    }
    rat = strrchr(r, '@');
    *rat = '=';
    *sender = apr_pstrcat(p, apr_pstrmemdup(p, bounce,
                                            (apr_size_t)(at - bounce)),
                          "+", m, day, tag, ".", r, at, NULL);
    return APR_SUCCESS;
}

apr_status_t wr_verp_check(const wr_verp_key_t *key, const char *address,
                           apr_time_t now, wr_verp_token_t *tok,
                           apr_pool_t *p)
{
    char m[MAC_DIGITS + 1], day[DAY_DIGITS + 1], tag[NOTICE_DIGITS + 1];
    const char *plus, *at;
    char *t, *eq;
    apr_int64_t d;
    apr_time_t when;

    memset(tok, 0, sizeof(*tok));
    if (address == NULL || (at = strrchr(address, '@')) == NULL
        || (plus = memchr(address, '+', (apr_size_t)(at - address)))
           == NULL) {
        return APR_ENOENT;
    }
    t = lower(apr_pstrmemdup(p, plus + 1, (apr_size_t)(at - plus - 1)), p);
    if (strlen(t) < HEAD + 4 || t[HEAD] != '.'
        || (eq = strrchr(t + HEAD + 1, '=')) == NULL) {
        return APR_EINVAL;
    }
    *eq = '@';
    if (!wr_notice_address_ok(t + HEAD + 1)
        || (d = b32_parse(t + MAC_DIGITS, DAY_DIGITS)) < 0
        || !b32_ok(t + MAC_DIGITS + DAY_DIGITS, NOTICE_DIGITS)
        || !b32_ok(t, MAC_DIGITS)) {
        return APR_EINVAL;
    }
    memcpy(day, t + MAC_DIGITS, DAY_DIGITS);
    day[DAY_DIGITS] = '\0';
    memcpy(tag, t + MAC_DIGITS + DAY_DIGITS, NOTICE_DIGITS);
    tag[NOTICE_DIGITS] = '\0';
    if (mac(key, day, tag, t + HEAD + 1, m) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    if (CRYPTO_memcmp(m, t, MAC_DIGITS) != 0) {
        return APR_EACCES;
    }
    when = (apr_time_t)d * DAY;
    if (when > now + DAY || now - when > WR_VERP_MAX_AGE + DAY) {
        return APR_TIMEUP;
    }
    tok->rcpt = t + HEAD + 1;
    tok->notice = apr_pstrdup(p, tag);
    tok->day = when;
    return APR_SUCCESS;
}

/* key_read - DIR/bounce.key, if it is a file we may trust */
static apr_status_t key_read(wr_file_dir_t *dir, wr_verp_key_t *key,
                             apr_pool_t *p)
{
    char *hex;
    apr_size_t n;
    apr_status_t rv;
    int k;

    if ((rv = wr_file_read_private(dir, WR_VERP_KEY_FILE,
                                   2 * WR_VERP_KEY_LEN + 1, &hex, &n, p))
        != APR_SUCCESS) {
        return rv;
    }
    if (n < 2 * WR_VERP_KEY_LEN
        || (n > 2 * WR_VERP_KEY_LEN && hex[2 * WR_VERP_KEY_LEN] != '\n')) {
        rv = APR_EINVAL;
    }
    for (k = 0; rv == APR_SUCCESS && k < WR_VERP_KEY_LEN; k++) {
        char b[3] = { hex[2 * k], hex[2 * k + 1], '\0' };
        if (!apr_isxdigit(b[0]) || !apr_isxdigit(b[1])) {
            rv = APR_EINVAL;
            break;
        }
        key->k[k] = (unsigned char)strtoul(b, NULL, 16);
    }
    OPENSSL_cleanse(hex, n);
    return rv;
}

apr_status_t wr_verp_key_load(wr_file_dir_t *dir, int create,
                              wr_verp_key_t *key, apr_pool_t *p)
{
    unsigned char raw[WR_VERP_KEY_LEN];
    char hex[2 * WR_VERP_KEY_LEN + 2];
    apr_status_t rv;
    int k;

    rv = key_read(dir, key, p);
    if (!APR_STATUS_IS_ENOENT(rv) || !create) {
        return rv;
    }
    if ((rv = apr_generate_random_bytes(raw, sizeof(raw))) != APR_SUCCESS) {
        return rv;
    }
    for (k = 0; k < WR_VERP_KEY_LEN; k++) {
        apr_snprintf(hex + 2 * k, 3, "%02x", raw[k]);
    }
    hex[2 * WR_VERP_KEY_LEN] = '\n';
    hex[2 * WR_VERP_KEY_LEN + 1] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    /* mode 0600, given to the outbox's owner when made as root; by link(2):
     * of two makers at once, the first one's key stays */
    rv = wr_file_write(dir, WR_VERP_KEY_FILE, hex, 2 * WR_VERP_KEY_LEN + 1,
                       WR_FILE_EXCL, p);
    OPENSSL_cleanse(hex, sizeof(hex));
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        return rv;
    }
    return key_read(dir, key, p);
}
