/* test_text.c - wr_text: UTF-8 decoding and encoding, what may be shown,
 * sanitising, the LDH host-name rule with its flags, the growing buffer */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "test-lib.h"
#include "wr_text.h"

/* dec - wr_text_utf8_decode of a C string's bytes; *cp as given */
static apr_size_t dec(const char *s, apr_uint32_t *cp)
{
    return wr_text_utf8_decode((const unsigned char *)s, strlen(s), cp);
}

static void test_utf8(void)
{
    apr_uint32_t cp = 0;
    unsigned char o[4];
    apr_uint32_t cps[] = { 0, 0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xffff,
                           0x10000, 0x10ffff };
    unsigned i;

    check_int(dec("A", &cp), 1, "ASCII is one byte");
    check_int(cp, 0x41, "... its code point");
    check_int(dec("\xc3\xa9", &cp), 2, "e acute: two bytes");
    check_int(cp, 0xe9, "... U+00E9");
    check_int(dec("\xe2\x82\xac", &cp), 3, "euro sign: three bytes");
    check_int(cp, 0x20ac, "... U+20AC");
    check_int(dec("\xf0\x9f\x90\x9b", &cp), 4, "a bug: four bytes");
    check_int(cp, 0x1f41b, "... U+1F41B");
    check_int(dec("\xc0\xaf", &cp), 0, "overlong two-byte '/' refused");
    check_int(dec("\xe0\x80\xaf", &cp), 0, "overlong three-byte refused");
    check_int(dec("\xf0\x80\x80\xaf", &cp), 0, "overlong four-byte refused");
    check_int(dec("\xed\xa0\x80", &cp), 0, "a surrogate refused");
    check_int(dec("\xf4\x90\x80\x80", &cp), 0, "past U+10FFFF refused");
    check_int(dec("\xf5\x80\x80\x80", &cp), 0, "lead byte F5 refused");
    check_int(dec("\x80", &cp), 0, "a stray continuation refused");
    check_int(dec("\xc3", &cp), 0, "a truncated sequence refused");
    check_int(dec("\xc3(", &cp), 0, "a missing continuation refused");
    check_int(wr_text_utf8_decode((const unsigned char *)"\xe2\x82\xac", 2,
                                  &cp), 0, "a sequence cut by n refused");
    for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        apr_size_t n = wr_text_utf8_encode(cps[i], o);
        apr_uint32_t back = 0xffffffff;

        check(n >= 1 && n <= 4
              && wr_text_utf8_decode(o, n, &back) == n && back == cps[i],
              "U+%04X encodes in %u bytes and decodes back", cps[i],
              (unsigned)n);
    }
    check(wr_text_displayable(0xe9), "e acute may be shown");
    check(!wr_text_displayable(0x09), "a tab may not");
    check(!wr_text_displayable(0x7f), "DEL may not");
    check(!wr_text_displayable(0x85), "a C1 control may not");
    check(!wr_text_displayable(0x202e), "RIGHT-TO-LEFT OVERRIDE may not");
    check(!wr_text_displayable(0x2066), "LEFT-TO-RIGHT ISOLATE may not");
    check(!wr_text_displayable(0x2028), "LINE SEPARATOR may not");
    check_int(wr_text_utf8_shown((const unsigned char *)"\xc2\x85", 2), 0,
              "a well-formed C1 control is not shown");
    check_int(wr_text_utf8_shown((const unsigned char *)"A", 1), 0,
              "ASCII is not a non-ASCII sequence");
    check_int(wr_text_utf8_shown((const unsigned char *)"\xc3\xa9", 2), 2,
              "e acute is shown");
}

static void test_sanitize(apr_pool_t *p)
{
    check_str(wr_text_sanitize("a\r\nb", 0, 0, 0, p), "a\\x0d\\x0ab",
              "CR LF escaped");
    check_str(wr_text_sanitize("\xc3\xa9", 0, 0, 0, p), "\xc3\xa9",
              "UTF-8 kept");
    check_str(wr_text_sanitize("\xc3\xa9", 0, 0, 1, p), "\\xc3\\xa9",
              "UTF-8 escaped when ASCII only");
    check_str(wr_text_sanitize("\xe2\x80\xae" "abc", 0, 0, 0, p),
              "\\xe2\\x80\\xaeabc", "a bidi override escaped");
    check_str(wr_text_sanitize(NULL, 0, 0, 0, p), "", "NULL reads as \"\"");
    check_str(wr_text_sanitize("abcdef", 3, 0, 0, p), "abc...",
              "cut at max_in, marked");
    check_str(wr_text_sanitize("abcdef", 0, 9, 0, p), "abcdef",
              "within max_out: no cut");
    check_str(wr_text_sanitize("abcdef", 0, 6, 0, p), "abc...",
              "past it: cut, with room kept for the mark");
    check_str(wr_text_sanitize("ab\x01", 0, 6, 0, p), "ab\\x01",
              "an escape that ends the text fits exactly");
    check_str(wr_text_sanitize("ab\x01", 0, 5, 0, p), "ab...",
              "an escape is never split");
    check_str(wr_text_sanitize("a\xc3\xa9\xc3\xa9", 0, 5, 0, p), "a...",
              "a UTF-8 sequence is never split");
    check(strlen(wr_text_sanitize("\x01\x02\x03\x04\x05", 0, 10, 0, p))
          <= 10, "the output bound holds");
}

static void test_host(void)
{
    const char *ok0[] = { "a", "mail.example.net", "a-b.c", "1.2.3.4",
                          "x1.example", NULL };
    const char *bad0[] = { "", ".", "a..b", ".a", "a.", "-a", "a-", "a-.b",
                           "a.-b", "a_b", "a b", "a\xc3\xa9", "a/b", NULL };
    char longname[300], label[70];
    int i;

    for (i = 0; ok0[i]; i++) {
        check(wr_text_host_ok(ok0[i], 0), "host '%s' accepted", ok0[i]);
    }
    for (i = 0; bad0[i]; i++) {
        check(!wr_text_host_ok(bad0[i], 0), "host %d refused", i);
    }
    check(!wr_text_host_ok(NULL, 0), "NULL refused");
    check(wr_text_host_ok("mail.example.net.", WR_TEXT_HOST_DOT),
          "a final dot with WR_TEXT_HOST_DOT");
    check(!wr_text_host_ok("mail.example.net..", WR_TEXT_HOST_DOT),
          "... only one");
    check(!wr_text_host_ok(".", WR_TEXT_HOST_DOT), "... not alone");
    check(!wr_text_host_ok("localhost", WR_TEXT_HOST_DOMAIN),
          "one label is no domain");
    check(!wr_text_host_ok("1.2.3.4", WR_TEXT_HOST_DOMAIN),
          "an all-digit top label is no domain");
    check(wr_text_host_ok("4.3.2.1.in-addr.arpa", WR_TEXT_HOST_DOMAIN),
          "a reverse name is one");
    memset(label, 'a', 63);
    label[63] = '\0';
    check(wr_text_host_ok(label, 0), "a 63-octet label");
    label[63] = 'a';
    label[64] = '\0';
    check(!wr_text_host_ok(label, 0), "a 64-octet label refused");
    for (i = 0; i < 4; i++) {
        memcpy(longname + i * 64, label, 63);
        longname[i * 64 + 63] = '.';
    }
    longname[253] = '\0';       /* 3 labels of 63, one of 61 */
    check(wr_text_host_ok(longname, 0), "253 octets accepted");
    longname[253] = 'a';
    longname[254] = '\0';
    check(!wr_text_host_ok(longname, 0), "254 octets refused");
}

static void test_buf(apr_pool_t *p)
{
    wr_buf_t b;
    int i;

    wr_buf_init(&b, p);
    check_str(b.s, "", "a new buffer is empty");
    wr_buf_str(&b, "ab");
    wr_buf_add(&b, "cdef", 2);
    wr_buf_printf(&b, "-%d-", 42);
    check_str(b.s, "abcd-42-", "str, add, printf append");
    check_int(b.len, 8, "... and count");
    for (i = 0; i < 1000; i++) {
        wr_buf_str(&b, "0123456789");
    }
    check_int(b.len, 10008, "grown past its first size");
    check(b.s[b.len] == '\0' && !memcmp(b.s + 9998, "0123456789", 10),
          "... NUL-terminated, content kept");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_utf8();
    test_sanitize(p);
    test_host();
    test_buf(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
