/* fuzz_bounce.c - libFuzzer target over the bounce reader (wr_bounce_read,
 * GMime) and the VERP token check (wr_verp_check) of what it finds
 *
 * Every input is one message, read from a buffer of exactly its size. The
 * contract (wr_bounce.h):
 * - a refusal is APR_EINVAL only;
 * - every string it returns is one line of printable ASCII of at most 300
 *   bytes, and the `to` list holds at most 32 of them;
 * - the verdict is consistent: a hard DSN has Action "failed" and a 5.x.x
 *   Status; a message that is not a DSN is either an auto-reply (with a
 *   why) or hard, never both; a DSN is never an auto-reply;
 * - every address found is checked as a token (wr_verp_check) under a
 *   fixed key: no crash, and no token of random bytes passes.
 * Seeds: t/fuzz/corpus/bounce/ (its README names where each came from).
 */
#include <stdint.h>

#include <apr_lib.h>

#include "fuzz-lib.h"
#include "wr_bounce.h"
#include "wr_verp.h"

static wr_verp_key_t key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init("fuzz_bounce");
    memset(key.k, 0x5a, sizeof(key.k));
    return 0;
}

/* line_ok - one line of printable ASCII, at most 300 bytes (NULL is ok) */
static int line_ok(const char *s)
{
    size_t n = 0;

    if (s == NULL) {
        return 1;
    }
    for (; *s; s++, n++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
            return 0;
        }
    }
    return n <= 300;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = apr_pmemdup(fuzz_ipool, data, size);
    wr_bounce_t b;
    apr_status_t rv;
    int k;

    rv = wr_bounce_read(buf, size, &b, fuzz_ipool);
    if (rv != APR_SUCCESS) {
        fuzz_check(rv == APR_EINVAL, "refusal", "a refusal other than "
                   "APR_EINVAL", size);
        apr_pool_clear(fuzz_ipool);
        return 0;
    }
    fuzz_check(line_ok(b.action) && line_ok(b.status)
               && line_ok(b.diagnostic) && line_ok(b.final_recipient)
               && line_ok(b.subject), "line", "a returned field is not one "
               "line of printable ASCII within 300 bytes", size);
    fuzz_check(b.why != NULL, "why", "no reason for the verdict", size);
    fuzz_check(b.to != NULL && b.to->nelts <= 32, "to", "the address list "
               "is missing or too long", size);
    if (b.is_dsn) {
        fuzz_check(!b.auto_reply, "verdict", "a DSN taken for an "
                   "auto-reply", size);
        fuzz_check(!b.hard || (b.action && b.status
                               && !strncasecmp(b.action, "failed", 6)
                               && b.status[0] == '5' && b.status[1] == '.'),
                   "verdict", "a hard DSN without Action failed and a "
                   "5.x.x Status", size);
    }
    else {
        fuzz_check(b.hard != b.auto_reply, "verdict", "a message that is "
                   "neither or both hard and an auto-reply", size);
    }
    for (k = 0; b.to && k < b.to->nelts; k++) {
        const char *a = APR_ARRAY_IDX(b.to, k, const char *);
        wr_verp_token_t tok;

        fuzz_check(line_ok(a), "line", "an address that is not one line",
                   size);
        rv = wr_verp_check(&key, a, apr_time_now(), &tok, fuzz_ipool);
        fuzz_check(rv != APR_SUCCESS, "token", "a token of random bytes "
                   "passed the MAC", size);
    }
    apr_pool_clear(fuzz_ipool);
    return 0;
}
