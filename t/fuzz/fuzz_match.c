/* fuzz_match.c - libFuzzer target over the normaliser, the matcher and
 * the log-line parser
 *
 * Every input is fed, as bytes of its exact length, to wr_normalize (a
 * small and a WR_NORM_MAX output buffer), wr_needs_decoding,
 * wr_requestline_target, wr_match_line (and wr_match_suspected) and
 * wr_logline_request. Besides what ASan and UBSan catch, the target aborts
 * when a documented contract is broken: output longer than its bound, a
 * missing terminator, a NUL inside the output, a target outside its line,
 * an incoherent match, the match alone disagreeing with wr_match_line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "wr_logfmt.h"
#include "wr_logparse.h"
#include "wr_match.h"
#include "wr_normalize.h"

#define SMALL_OUT 16
#define REQ_MAX (64 * 1024)

static apr_pool_t *pool;
static wr_sigset_t *set;
static wr_family_mask_t all_mask;
static wr_logfmt_t *fmt_auto;      /* the report's parser, auto-detecting */
static wr_logfmt_t *fmt_vhost;     /* and one with %v and %O */
static char *reqbuf;

/* teardown - free the set at exit: APR may keep pools in memory that
 * LeakSanitizer does not scan, so the compiled patterns would look lost */
static void teardown(void)
{
    apr_pool_destroy(pool);
    apr_terminate();
    free(reqbuf);
}

/* broken - report a contract violation and stop the run */
static void broken(const char *what, size_t len)
{
    fprintf(stderr, "fuzz_match: contract broken: %s (input %zu bytes)\n",
            what, len);
    abort();
}

/* check_norm - normalise into outsize bytes and check the contract */
static void check_norm(const char *in, size_t len, char *out, size_t outsize)
{
    size_t n = wr_normalize(in, len, out, outsize);

    if (n > outsize - 1 || n > len) {
        broken("wr_normalize output too long", len);
    }
    if (out[n] != '\0' || strlen(out) != n) {
        broken("wr_normalize output not one C string", len);
    }
}

/* check_match - match a line and check the result is coherent, and the
 * same from the match alone (wr_match_suspected, as the request path runs
 * it once its pair table has found a marked pair) */
static void check_match(const char *line, size_t len)
{
    const char *t;
    size_t tlen;
    wr_match_t m, m2;
    wr_request_t req;
    int hit;

    wr_requestline_target(line, len, &t, &tlen);
    if (tlen > len || (tlen > 0 && (t < line || t + tlen > line + len))) {
        broken("wr_requestline_target outside the line", len);
    }
    hit = wr_match_line(set, all_mask, line, len, &m);
    if (hit ? (m.family < 0 || m.name == NULL || m.origin == NULL
               || strcmp(m.name, wr_sigset_family_name(set, m.family)))
            : (m.family != -1 || m.name != NULL)) {
        broken("wr_match_line result incoherent", len);
    }
    wr_request_from_line(line, len, &req);
    if (wr_match_suspected(set, all_mask, &req, &m2) != hit
        || m2.family != m.family) {
        broken("wr_match_suspected differs from wr_match_line", len);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerInitialize - build the builtin set once for all inputs */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *err = NULL;

    (void)argc;
    (void)argv;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&pool, NULL) != APR_SUCCESS
        || wr_sigset_create(&set, pool) != APR_SUCCESS
        || wr_sigset_load_builtin(set, &err) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_match: setup failed: %s\n", err ? err : "APR");
        abort();
    }
    all_mask = wr_sigset_all_mask(set);
    if (wr_logfmt_compile(&fmt_auto, "auto", pool, &err) != APR_SUCCESS
        || wr_logfmt_compile(&fmt_vhost, "vhost_combined", pool, &err)
           != APR_SUCCESS) {
        fprintf(stderr, "fuzz_match: log formats: %s\n", err ? err : "?");
        abort();
    }
    reqbuf = malloc(REQ_MAX + 1);
    if (reqbuf == NULL) {
        abort();
    }
    atexit(teardown);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    char small[SMALL_OUT], big[WR_NORM_MAX + 1];
    size_t rlen = 0;
    int truncated = 0, dec;

    check_norm(in, size, small, sizeof(small));
    check_norm(in, size, big, sizeof(big));
    check_norm(in, size, small, 1);
    dec = wr_needs_decoding(in, size);
    if (!dec && size < sizeof(big)) {
        /* nothing to decode: the normal form is the input lower-cased,
         * NUL bytes shown as '?' */
        size_t i;
        for (i = 0; i < size; i++) {
            unsigned char c = data[i];
            unsigned char want = c == 0 ? '?'
                               : (c >= 'A' && c <= 'Z') ? c + 32 : c;
            if ((unsigned char)big[i] != want) {
                broken("input needing no decoding was changed", size);
            }
        }
    }
    check_match(in, size);
    if (wr_logline_request(in, size, reqbuf, REQ_MAX + 1, &rlen,
                           &truncated)) {
        if (rlen > REQ_MAX || rlen > size || reqbuf[rlen] != '\0') {
            broken("wr_logline_request output out of bounds", size);
        }
        check_match(reqbuf, rlen);
    }
    /* the report's LogFormat parser: any line is parsed or refused */
    {
        wr_logfmt_t *fmts[2];
        int k;
        fmts[0] = fmt_auto;
        fmts[1] = fmt_vhost;
        for (k = 0; k < 2; k++) {
            wr_logrec_t rec;
            if (wr_logfmt_parse(fmts[k], in, size, reqbuf, REQ_MAX + 1, &rec)
                == WR_LOGLINE_OK && rec.has_request
                && (rec.request_len > REQ_MAX
                    || reqbuf[rec.request_len] != '\0')) {
                broken("wr_logfmt_parse request out of bounds", size);
            }
        }
    }
    /* a tiny output buffer for the log parser too */
    if (wr_logline_request(in, size, small, sizeof(small), &rlen,
                           &truncated) && rlen >= sizeof(small)) {
        broken("wr_logline_request ignored outsize", size);
    }
    return 0;
}
