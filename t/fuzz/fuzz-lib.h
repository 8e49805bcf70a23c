/* fuzz-lib.h - what the libFuzzer targets in t/fuzz share
 *
 * One APR pool for the whole run (created in fuzz_init, destroyed at
 * exit so LeakSanitizer sees nothing of APR's), a per-input pool cleared
 * after every input, a way to stop the run on a broken contract, and the
 * known-issue switch:
 *
 * WR_FUZZ_KNOWN (environment, a comma separated list of names) turns the
 * named checks into counted warnings. t/fuzz.t sets it from t/fuzz/known
 * for issues that someone else owns and has not fixed yet, so that the
 * rest of a target's contract keeps being fuzzed in the suite; the
 * reproducers of those issues then run as TODO tests. An unset variable
 * means every check is fatal (bench/fuzz.sh reports every finding).
 *
 * Inputs are cut into fields with fuzz_field(): the bytes up to the next
 * NUL (or the end), as a C string in the per-input pool. A NUL can never
 * be part of a C string, so it is the natural separator and the seed
 * files stay readable with `tr '\0' '\n'`.
 */
#ifndef WR_FUZZ_LIB_H
#define WR_FUZZ_LIB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *fuzz_pool;       /* lives for the whole run */
static apr_pool_t *fuzz_ipool;      /* cleared after every input */
static const char *fuzz_name = "fuzz";
static const char *fuzz_known_list;
static unsigned long fuzz_known_hits;

/* fuzz_teardown - free APR at exit (see above) */
static inline void fuzz_teardown(void)
{
    if (fuzz_known_hits > 0) {
        fprintf(stderr, "%s: %lu known-issue checks failed (WR_FUZZ_KNOWN="
                "%s)\n", fuzz_name, fuzz_known_hits, fuzz_known_list);
    }
    apr_pool_destroy(fuzz_pool);
    apr_terminate();
}

/* fuzz_init - APR, the pools and the known list; call from
 * LLVMFuzzerInitialize */
static inline void fuzz_init(const char *name)
{
    fuzz_name = name;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&fuzz_pool, NULL) != APR_SUCCESS
        || apr_pool_create(&fuzz_ipool, fuzz_pool) != APR_SUCCESS) {
        fprintf(stderr, "%s: APR setup failed\n", name);
        abort();
    }
    fuzz_known_list = getenv("WR_FUZZ_KNOWN");
    atexit(fuzz_teardown);
}

/* fuzz_broken - a contract is broken: say which, and stop the run */
static inline void fuzz_broken(const char *what, size_t len)
{
    fprintf(stderr, "%s: contract broken: %s (input %zu bytes)\n",
            fuzz_name, what, len);
    abort();
}

/* fuzz_is_known - whether check `tag` is listed in WR_FUZZ_KNOWN */
static inline int fuzz_is_known(const char *tag)
{
    const char *s = fuzz_known_list;
    size_t n = strlen(tag);

    while (s != NULL && *s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len == n && memcmp(s, tag, n) == 0) {
            return 1;
        }
        s = comma ? comma + 1 : NULL;
    }
    return 0;
}

/* fuzz_check - stop the run when `ok` is false, unless `tag` names a
 * known issue (then the failure is only counted) */
static inline void fuzz_check(int ok, const char *tag, const char *what,
                       size_t len)
{
    if (ok) {
        return;
    }
    if (tag != NULL && fuzz_is_known(tag)) {
        fuzz_known_hits++;
        return;
    }
    fuzz_broken(apr_psprintf(fuzz_ipool, "[%s] %s", tag ? tag : "-", what),
                len);
}

/* A cursor over the input. */
typedef struct {
    const char *s;
    size_t len, pos;
} fuzz_in_t;

/* fuzz_in - a cursor over data */
static inline void fuzz_in(fuzz_in_t *in, const uint8_t *data, size_t size)
{
    in->s = (const char *)data;
    in->len = size;
    in->pos = 0;
}

/* fuzz_byte - the next byte, 0 once the input is used up */
static inline unsigned fuzz_byte(fuzz_in_t *in)
{
    return in->pos < in->len ? (unsigned char)in->s[in->pos++] : 0;
}

/* fuzz_u64 - the next n (<= 8) bytes, big-endian */
static inline uint64_t fuzz_u64(fuzz_in_t *in, int n)
{
    uint64_t v = 0;

    while (n-- > 0) {
        v = (v << 8) | fuzz_byte(in);
    }
    return v;
}

/* fuzz_field - the bytes up to the next NUL or the end, as a C string in
 * the per-input pool; NULL once the input is used up */
static inline const char *fuzz_field(fuzz_in_t *in)
{
    const char *start = in->s + in->pos, *nul;
    size_t n;

    if (in->pos >= in->len) {
        return NULL;
    }
    nul = memchr(start, '\0', in->len - in->pos);
    n = nul ? (size_t)(nul - start) : in->len - in->pos;
    in->pos += n + (nul != NULL);
    return apr_pstrmemdup(fuzz_ipool, start, n);
}

/* fuzz_copy - the bytes [data, data+size) in a buffer of exactly that size
 * (malloc, so that ASan sees a read one past the end); free() it */
static inline char *fuzz_copy(const void *data, size_t size)
{
    char *b = malloc(size ? size : 1);

    if (b == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(b, data, size);
    }
    return b;
}

#endif
