/* test_normalize.c - the IIS-style normaliser: every spelling, every bound */
#include <stdlib.h>
#include <string.h>

#include "test-lib.h"
#include "wr_normalize.h"

#define BIG_INPUT (1024 * 1024)

/* norm - normalise a C string into a static buffer of `outsize` bytes */
static const char *norm(const char *in, size_t outsize, size_t *n)
{
    static char out[WR_NORM_MAX + 1];

    *n = wr_normalize(in, strlen(in), out, outsize);
    return out;
}

/* check_norm - normalise `in` (WR_NORM_MAX buffer) and compare */
static void check_norm(const char *in, const char *want, const char *what)
{
    size_t n;
    const char *got = norm(in, WR_NORM_MAX + 1, &n);

    check_str(got, want, "%s: '%s'", what, in);
    check_int(n, strlen(want), "%s: length", what);
}

/* test_nimda_spellings - each traversal Nimda sent decodes to "/../" */
static void test_nimda_spellings(void)
{
    static const char *const sep[] = {
        "%255c", "%c0%af", "%c1%1c", "%c1%9c", "%c0%2f", "%%35c",
        "%%35%63", "%25%35%63", "%252f", "%e0%80%af", "%u005c", "%u002f",
        "\\", "%5c", "%5C", "%C1%9C", "%25%35%43"
    };
    size_t i;

    for (i = 0; i < sizeof(sep) / sizeof(sep[0]); i++) {
        char in[256], want[] = "/scripts/../../winnt/system32/cmd.exe?/c+dir";
        snprintf(in, sizeof(in),
                 "/scripts/..%s../winnt/system32/cmd.exe?/c+dir", sep[i]);
        check_norm(in, want, "nimda spelling");
        check(wr_needs_decoding(in, strlen(in)),
              "needs decoding: '%s'", sep[i]);
    }
    /* the deepest Nimda form, three traversals of two kinds in one path */
    check_norm("/msadc/..%255c../..%255c../..%255c/..%c1%1c../..%c1%1c../"
               "..%c1%1c../winnt/system32/cmd.exe?/c+dir",
               "/msadc/../../../../..//../../../../../../winnt/system32/"
               "cmd.exe?/c+dir",
               "nimda msadc");
}

/* test_unicode - %uXXXX becomes UTF-8, never longer than its six bytes */
static void test_unicode(void)
{
    check_norm("/%u002e%u002e/x", "/../x", "%u ascii");
    check_norm("/caf%u00e9", "/caf\xc3\xa9", "%u two-byte");
    check_norm("/%uFFFF", "/\xef\xbf\xbf", "%u three-byte");
    check_norm("/%U0041", "/a", "%U upper u, then lower-cased");
    check_norm("/a%u0000b", "/a?b", "%u0000 is a NUL, shown as '?'");
    check_norm("/a%u00c0%u00afb", "/a\xc3\x80\xc2\xaf" "b",
               "%u of C0/AF is a real code point, not overlong");
}

/* test_case_and_slash - backslash to slash, ASCII lower-cased, high bytes
 * kept */
static void test_case_and_slash(void)
{
    check_norm("/WINNT\\System32\\CMD.EXE", "/winnt/system32/cmd.exe",
               "backslash and case");
    check_norm("/%41%42c", "/abc", "decoded letters are lower-cased too");
    check_norm("/\xc3\x89t\xc3\xa9", "/\xc3\x89t\xc3\xa9",
               "non-ASCII bytes untouched");
    check_norm("/Q?A=B\\C", "/q?a=b/c", "the query is folded too");
    check_norm("", "", "empty input");
}

/* test_query_split - path and query are decoded apart at the first raw
 * '?'; an encoded %3f is decoded but does not move the split */
static void test_query_split(void)
{
    size_t n;
    const char *got;

    check_norm("/a%3fb?c%3fd", "/a?b?c?d", "%3f decoded in path and query");
    /* A C0 lead byte folds with whatever follows it (IIS leniency). Were
     * the split not made on the raw '?', the C0 at the end of the path
     * would swallow the '?' and the query would vanish. */
    got = norm("/a%c0?x", WR_NORM_MAX + 1, &n);
    check_int(n, 5, "C0 at the end of the path stays: length");
    check(memcmp(got, "/a\xc0?x", 6) == 0,
          "C0 at the end of the path stays before the raw '?'");
    /* the path ends at the raw '?' even when an encoded one comes first:
     * "%3f%c0" is all path, so C0 meets the end of the path, not 'x' */
    got = norm("/a%3f%c0?x", WR_NORM_MAX + 1, &n);
    check_int(n, 6, "%%3f then C0 then raw '?': length");
    check(memcmp(got, "/a?\xc0?x", 7) == 0,
          "%%3f in the path does not start the query");
    /* and the query's own decoding does not reach back into the path */
    check_norm("/%2e%2e?%2e%2e%5c", "/..?../", "query decoded separately");
    check_norm("/x?", "/x?", "empty query kept");
    check_norm("?%41", "?a", "empty path");
}

/* test_invalid_escapes - anything that is not a complete escape stays */
static void test_invalid_escapes(void)
{
    check_norm("/%zz", "/%zz", "%zz");
    check_norm("/a%", "/a%", "trailing %");
    check_norm("/a%4", "/a%4", "trailing %4");
    check_norm("/a%u12", "/a%u12", "short %u12");
    check_norm("/a%u12zz", "/a%u12zz", "%u12zz");
    check_norm("/%%", "/%%", "%%");
    /* %c0 decodes, and IIS's C0 rule folds it with the '%' that follows
     * (0x25 & 0x3f is '%' again); the invalid %qf is left as it was */
    check_norm("/a%c0%qf", "/a%qf", "%c0%qf");
    check_norm("/a%qf%c0", "/a%qf\xc0", "lone C0 at the end kept");
}

/* test_nul - NUL bytes produced by decoding (or present) become '?' */
static void test_nul(void)
{
    char out[64];
    size_t n;

    check_norm("/a%00b", "/a?b", "%00");
    check_norm("/a%2500b", "/a?b", "%2500 (two rounds)");
    check_norm("/a%c0%80b", "/a?b", "overlong NUL");
    n = wr_normalize("/a\0b", 4, out, sizeof(out));
    check_int(n, 4, "raw NUL: length");
    check_str(out, "/a?b", "raw NUL becomes '?'");
    check_int(strlen(out), n, "no NUL inside the output");
}

/* test_needs_decoding - the fast path's test */
static void test_needs_decoding(void)
{
    check(!wr_needs_decoding("/Scripts/Root.EXE?/c+dir", 24),
          "plain ASCII, mixed case: no decoding needed");
    check(!wr_needs_decoding("", 0), "empty: no decoding needed");
    check(wr_needs_decoding("/a%20b", 6), "'%%' needs decoding");
    check(wr_needs_decoding("/a\\b", 4), "'\\' needs decoding");
    check(wr_needs_decoding("/a\x80", 3), "0x80 needs decoding");
    check(wr_needs_decoding("/a\xff", 3), "0xff needs decoding");
    check(!wr_needs_decoding("/a%", 2), "only inlen bytes are looked at");
    check(!wr_needs_decoding("/a\0b", 4), "NUL alone needs no decoding");
}

/* test_small_outsizes - the output is always cut at outsize - 1 and
 * NUL-terminated, and nothing past outsize is written */
static void test_small_outsizes(void)
{
    static const char *const ins[] = {
        "/scripts/..%255c../winnt/system32/cmd.exe?/c+dir",
        "%u00e9%uffff%c0%af", "?%41%42%43", "ABCDEFGH", "%%35%63%%35%63"
    };
    char buf[80];
    size_t i, outsize, bad = 0, checked = 0;

    memset(buf, 'Z', sizeof(buf));
    check_int(wr_normalize("/abc", 4, buf, 1), 0, "outsize 1: length 0");
    check_int(buf[0], '\0', "outsize 1: empty string");
    check_int(buf[1], 'Z', "outsize 1: nothing written past it");
    buf[0] = 'Z';
    check_int(wr_normalize("/abc", 4, buf, 0), 0, "outsize 0: length 0");
    check_int(buf[0], 'Z', "outsize 0: nothing written");

    for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
        size_t inlen = strlen(ins[i]);
        for (outsize = 1; outsize <= inlen + 2; outsize++) {
            size_t n, full;
            char ref[80];
            memset(buf, 'Z', sizeof(buf));
            n = wr_normalize(ins[i], inlen, buf, outsize);
            checked++;
            /* the same as normalising the input cut at outsize - 1 */
            full = wr_normalize(ins[i],
                                inlen < outsize - 1 ? inlen : outsize - 1,
                                ref, sizeof(ref));
            if (n > outsize - 1 || buf[n] != '\0' || buf[outsize] != 'Z'
                || n != full || memcmp(buf, ref, n) != 0) {
                bad++;
                printf("# outsize %zu on '%s': n=%zu\n", outsize, ins[i], n);
            }
        }
    }
    check(checked > 50, "small outsizes: %zu cases", checked);
    check_int(bad, 0, "small outsizes: cut at outsize-1, no overrun");
}

/* test_never_grows - for many generated inputs the output is never
 * longer than the input and is one C string of the returned length */
static void test_never_grows(void)
{
    static const char alpha[] = "%%%%uU0123456789abcdefACF5c2/\\?.\xc0\xc1"
                                "\xe0\x80\xaf\xf0zq";
    unsigned long x = 12345;
    char in[48], out[64];
    size_t i, j, bad = 0;

    /* bounded: 20,000 inputs of up to 47 bytes */
    for (i = 0; i < 20000; i++) {
        size_t len, n;
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        len = (size_t)(x >> 33) % sizeof(in);
        for (j = 0; j < len; j++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            in[j] = alpha[(x >> 33) % (sizeof(alpha) - 1)];
        }
        n = wr_normalize(in, len, out, sizeof(out));
        if (n > len || strlen(out) != n) {
            bad++;
            printf("# grew or holds a NUL: in %zu bytes, out %zu\n", len, n);
        }
    }
    check_int(bad, 0, "20000 generated inputs: output <= input, no NUL");
}

/* test_big_input - a 1 MiB input is cut at outsize - 1 */
static void test_big_input(void)
{
    char *in = malloc(BIG_INPUT), *out = malloc(WR_NORM_MAX + 2);
    size_t n, i, upper = 0;

    if (!check(in != NULL && out != NULL, "allocate 1 MiB")) {
        free(in);
        free(out);
        return;
    }
    memset(in, 'A', BIG_INPUT);
    out[WR_NORM_MAX + 1] = 'Z';
    n = wr_normalize(in, BIG_INPUT, out, WR_NORM_MAX + 1);
    check_int(n, WR_NORM_MAX, "1 MiB of 'A': cut at WR_NORM_MAX");
    for (i = 0; i < n; i++) {
        upper += out[i] != 'a';
    }
    check_int(upper, 0, "1 MiB of 'A': all lower-cased");
    check_int(out[n], '\0', "1 MiB: NUL-terminated");
    check_int(out[WR_NORM_MAX + 1], 'Z', "1 MiB: nothing past outsize");

    /* escapes cut mid-way: 4096 bytes of "%41" are 1365 escapes and a '%' */
    for (i = 0; i + 3 <= BIG_INPUT; i += 3) {
        memcpy(in + i, "%41", 3);
    }
    n = wr_normalize(in, i, out, WR_NORM_MAX + 1);
    check_int(n, WR_NORM_MAX / 3 + 1, "1 MiB of %%41: 1365 'a' and a '%%'");
    check_int(out[n - 1], '%', "the cut escape is left as a '%%'");
    check_int(out[n - 2], 'a', "the last whole escape decoded");

    /* a deep traversal repeated over the whole buffer decodes in bounds */
    for (i = 0; i + 7 <= BIG_INPUT; i += 7) {
        memcpy(in + i, "..%255c", 7);
    }
    n = wr_normalize(in, i, out, WR_NORM_MAX + 1);
    check(n > 0 && n <= WR_NORM_MAX, "1 MiB of ..%%255c: length %zu", n);
    check(strstr(out, "../../") != NULL, "1 MiB of ..%%255c: decoded");
    free(in);
    free(out);
}

/* test_rounds - decoding stops after WR_NORM_ROUNDS rounds */
static void test_rounds(void)
{
    char in[64], want[64];
    size_t n, k;
    const char *got;

    /* "%41" with the '%' encoded again k times: "%" "25" x k "41" */
    strcpy(in, "/%");
    for (k = 0; k < 10; k++) {
        strcat(in, "25");
    }
    strcat(in, "41");
    got = norm(in, WR_NORM_MAX + 1, &n);
    strcpy(want, "/%");
    for (k = 0; k < 10 - WR_NORM_ROUNDS; k++) {
        strcat(want, "25");
    }
    strcat(want, "41");
    check_str(got, want, "10-times-nested %%25: %d rounds peeled, no more",
              WR_NORM_ROUNDS);
    check(strchr(got, 'a') == NULL, "10-times-nested: not fully decoded");

    /* exactly WR_NORM_ROUNDS levels deep is still decoded completely */
    strcpy(in, "/%");
    for (k = 1; k < WR_NORM_ROUNDS; k++) {
        strcat(in, "25");
    }
    strcat(in, "41");
    check_norm(in, "/a", "WR_NORM_ROUNDS-deep encoding decoded");
}

int main(void)
{
    test_nimda_spellings();
    test_unicode();
    test_case_and_slash();
    test_query_split();
    test_invalid_escapes();
    test_nul();
    test_needs_decoding();
    test_small_outsizes();
    test_never_grows();
    test_big_input();
    test_rounds();
    return done_testing();
}
