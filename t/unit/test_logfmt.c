/* test_logfmt.c - the LogFormat-driven access-log parser */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>

#include "test-lib.h"
#include "wr_logfmt.h"

static apr_pool_t *pool;
static char req[WR_LOGFMT_LINE_MAX + 1];

static wr_logfmt_t *fmt(const char *spec)
{
    wr_logfmt_t *f = NULL;
    const char *err = NULL;

    if (wr_logfmt_compile(&f, spec, pool, &err) != APR_SUCCESS) {
        printf("# compile '%s': %s\n", spec, err ? err : "?");
        return NULL;
    }
    return f;
}

static wr_logline_status_t parse(wr_logfmt_t *f, const char *line,
                                 wr_logrec_t *rec)
{
    return wr_logfmt_parse(f, line, strlen(line), req, sizeof(req), rec);
}

/* field - a span of the record as a C string, for check_str */
static const char *field(const char *s, size_t n)
{
    static char buf[4][256];
    static int k;

    k = (k + 1) % 4;
    if (s == NULL) {
        return NULL;
    }
    n = n < 255 ? n : 255;
    memcpy(buf[k], s, n);
    buf[k][n] = '\0';
    return buf[k];
}

static void test_compile(void)
{
    wr_logfmt_t *f;
    const char *err = NULL;

    check(fmt("common") != NULL, "common compiles");
    check(fmt("combined") != NULL, "combined compiles");
    check(fmt("vhost_combined") != NULL, "vhost_combined compiles");
    check(fmt("auto") != NULL, "auto compiles");
    f = fmt("\"%h %l %u %t \\\"%r\\\" %>s %b\"");
    check(f != NULL && !strcmp(wr_logfmt_spec(f),
                               "%h %l %u %t \\\"%r\\\" %>s %b"),
          "a format pasted with its config-file quotes is unquoted");
    check_int(wr_logfmt_compile(&f, "%h %{Referer i", pool, &err),
              APR_EINVAL, "unterminated %%{ is refused");
    check(err && strstr(err, "unterminated"), "... with a message: %s",
          err ? err : "(none)");
    check_int(wr_logfmt_compile(&f, "%h%l %t", pool, &err), APR_EINVAL,
              "two directives with nothing between them are refused");
    check_int(wr_logfmt_compile(&f, "%h %", pool, &err), APR_EINVAL,
              "a lone %% at the end is refused");
    check_int(wr_logfmt_compile(&f, "fancy", pool, &err), APR_EINVAL,
              "an unknown name is refused");
}

static void test_formats(void)
{
    wr_logrec_t r;
    wr_logfmt_t *f;

    f = fmt("common");
    check_int(parse(f, "66.110.168.111 - - [21/Apr/2004:10:56:07 -0400] "
                    "\"GET / HTTP/1.1\" 200 2890", &r), WR_LOGLINE_OK,
              "common line");
    check_str(field(r.client, r.client_len), "66.110.168.111", "client");
    check_int(r.time, 1082559367LL, "time converted to UTC");
    check_str(r.request, "GET / HTTP/1.1", "request");
    check_int(r.status, 200, "status");
    check_int(r.bytes, 2890, "bytes");
    check(r.vhost == NULL, "no vhost in common");

    f = fmt("combined");
    check_int(parse(f, "83.149.9.216 - frank [17/May/2015:10:05:03 +0000] "
                    "\"GET /a.png HTTP/1.1\" 304 - \"http://x/\" "
                    "\"Mozilla/5.0 (X11)\"", &r), WR_LOGLINE_OK,
              "combined line");
    check_int(r.bytes, 0, "'-' bytes are 0");
    check_int(r.status, 304, "status 304");
    check_str(r.request, "GET /a.png HTTP/1.1", "request");

    f = fmt("vhost_combined");
    check_int(parse(f, "www.example.org:443 2001:db8::7 - - "
                    "[25/Oct/2015:04:11:25 +0100] \"GET /x HTTP/1.1\" 200 "
                    "24323 \"-\" \"curl/7\"", &r), WR_LOGLINE_OK,
              "vhost_combined line");
    check_str(field(r.vhost, r.vhost_len), "www.example.org",
              "vhost without the port");
    check_str(field(r.client, r.client_len), "2001:db8::7", "IPv6 client");
    check_int(r.time, 1445742685LL, "+0100 converted to UTC");
    check_int(r.bytes, 24323, "%%O bytes");

    f = fmt("%a %V [%{X-Forwarded-For}i] %t \"%r\" %s %B %D "
            "\"%{User-Agent}i\"");
    check(f != NULL, "a custom LogFormat compiles");
    check_int(parse(f, "10.0.0.1 shop.example [1.2.3.4, 5.6.7.8] "
                    "[21/Apr/2004:10:56:07 -0400] \"GET /scripts/root.exe"
                    "?/c+dir HTTP/1.0\" 404 0 1234 \"a \\\"b\\\" c\"", &r),
              WR_LOGLINE_OK, "custom line");
    check_str(field(r.client, r.client_len), "10.0.0.1", "%%a client");
    check_str(field(r.vhost, r.vhost_len), "shop.example", "%%V vhost");
    check_str(r.request, "GET /scripts/root.exe?/c+dir HTTP/1.0", "request");
    check_int(r.status, 404, "%%s status");
    check_int(r.bytes, 0, "%%B bytes");

    f = fmt("%h %>s");
    check_int(parse(f, "1.2.3.4 -", &r), WR_LOGLINE_OK,
              "a format with no time or request");
    check_int(r.has_time, 0, "no time");
    check_int(r.has_request, 0, "no request");
    check_int(r.status, -1, "'-' status is -1");

    f = fmt("auto");
    check_int(parse(f, "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] \"GET / "
                    "HTTP/1.0\" 200 12", &r), WR_LOGLINE_OK, "auto: common");
    check_int(parse(f, "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] \"GET / "
                    "HTTP/1.0\" 200 12 \"-\" \"UA\"", &r), WR_LOGLINE_OK,
              "auto: combined");
    check_int(parse(f, "h.example:80 1.2.3.4 - - [21/Apr/2004:10:56:07 "
                    "-0400] \"GET / HTTP/1.0\" 200 12 \"-\" \"UA\"", &r),
              WR_LOGLINE_OK, "auto: vhost_combined");
    check_str(field(r.vhost, r.vhost_len), "h.example", "auto: vhost");
    /* the probes-only log of the README (LogFormat ... worm) */
    check_int(parse(f, "192.0.2.7 - - [21/Apr/2004:10:56:07 -0400] \"GET "
                    "/scripts/root.exe?/c+dir HTTP/1.0\" 404 215 \"nimda\"",
                    &r), WR_LOGLINE_OK, "auto: the README's worm log");
    check_str(field(r.client, r.client_len), "192.0.2.7", "worm: client");
    check_str(r.request, "GET /scripts/root.exe?/c+dir HTTP/1.0",
              "worm: request");
    check_int(r.status, 404, "worm: status");
    check(fmt("worm") != NULL, "worm compiles by name");
    check_int(parse(f, "1.2.3.4 - - [31/Feb/2004:10:56:07 -0400] \"GET / "
                    "HTTP/1.0\" 200 12", &r), WR_LOGLINE_BAD_TIME,
              "auto: a bad date is a bad date, whichever format reads it");
    check_int(parse(f, "no newline at the end", &r), WR_LOGLINE_MALFORMED,
              "auto: words are malformed, not a cut vhost_combined line");
    check_int(parse(f, "a b:80 1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] "
                    "\"GET / HTTP/1.0\" 200 12 \"-\" \"UA\"", &r) ==
              WR_LOGLINE_OK, 0, "a vhost with a blank is not read");
}

static void test_escapes(void)
{
    wr_logrec_t r;
    wr_logfmt_t *f = fmt("combined");

    check_int(parse(f, "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] \"GET "
                    "/a\\\"b\\\\c HTTP/1.0\" 200 1 \"-\" \"-\"", &r),
              WR_LOGLINE_OK, "escaped quote and backslash");
    check_str(r.request, "GET /a\"b\\c HTTP/1.0", "\\\" and \\\\ undone");

    check_int(parse(f, "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] \"SEARCH "
                    "/\\x90\\x02\\xb1 HTTP/1.1\" 414 341 \"-\" \"-\"", &r),
              WR_LOGLINE_OK, "\\xNN escapes");
    check_int(r.request_len, 20, "\\xNN is one byte each");
    check(!memcmp(r.request, "SEARCH /\x90\x02\xb1 HTTP/1.1", 20),
          "\\xNN decoded to the bytes");

    /* Apache 1.3 did not escape quotes inside %r */
    check_int(parse(f, "68.49.152.86 - - [22/Apr/2004:11:55:13 -0400] "
                    "\"GET\" /hostadmin/?page=' HTTP/1.0\" 501 345 \"-\" "
                    "\"Mozilla/4.75 (Nikto/1.32 )\"", &r), WR_LOGLINE_OK,
              "unescaped quote inside the request (Apache 1.3)");
    check_str(r.request, "GET\" /hostadmin/?page=' HTTP/1.0",
              "... the whole request is kept");
    check_int(r.status, 501, "... and the status found after it");

    check_int(parse(f, "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] \"SEARCH "
                    "/\x90\x02\xb1\x01 HTTP/1.1\" 414 341 \"-\" \"-\"", &r),
              WR_LOGLINE_OK, "raw high and control bytes inside quotes");
    check_int(r.request_len, 21, "... kept as they are");
}

static void test_bad(void)
{
    wr_logrec_t r;
    wr_logfmt_t *f = fmt("combined");
    static const char good[] = "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] "
                               "\"GET /x HTTP/1.0\" 200 12 \"-\" \"UA\"";
    static const char tail[] = " HTTP/1.1\" 414 341 \"-\" \"-\"";
    char line[512], *big;
    size_t n, i;
    int all_bad = 1, all_trunc = 1;
    unsigned seed = 12345;

    check_int(parse(f, good, &r), WR_LOGLINE_OK, "the reference line");
    for (n = 0; n < strlen(good); n++) {
        wr_logline_status_t st = wr_logfmt_parse(f, good, n, req, sizeof(req),
                                                 &r);
        all_bad &= st != WR_LOGLINE_OK;
        all_trunc &= n == 0 || st == WR_LOGLINE_TRUNCATED;
    }
    check(all_bad, "no proper prefix of a combined line is a good line");
    check(all_trunc, "every prefix is reported as truncated");
    check_int(parse(f, "83.149.9.216 - - [17/May/2015:10:05:03 +0000] "
                    "\"GET / HTTP/1.1\" 200 235 \"-\" \"Mozilla/5.0 "
                    "(compatible; Googlebot/2.1; +http://www.google.c", &r),
              WR_LOGLINE_TRUNCATED, "a line cut inside the user agent");
    check_int(parse(f, "hello world", &r), WR_LOGLINE_TRUNCATED,
              "two words: ran out of line");
    check_int(parse(f, "1.2.3.4 - - 21/Apr/2004 \"GET / HTTP/1.0\" 200 1 "
                    "\"-\" \"-\"", &r), WR_LOGLINE_MALFORMED,
              "no brackets around the time: malformed");
    check_int(parse(f, "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] \"GET / "
                    "HTTP/1.0\" OK 1 \"-\" \"-\"", &r), WR_LOGLINE_MALFORMED,
              "a word for a status: malformed");
    check_int(parse(f, "", &r), WR_LOGLINE_MALFORMED, "empty line");

    memcpy(line, good, sizeof(good));
    line[20] = '\0';
    check_int(wr_logfmt_parse(f, line, sizeof(good) - 1, req, sizeof(req),
                              &r), WR_LOGLINE_BINARY, "a NUL byte: binary");
    for (i = 0; i < 200; i++) {
        seed = seed * 1103515245u + 12345u;
        line[i] = (char)(seed >> 16);
    }
    line[0] = '\x01';
    check_int(wr_logfmt_parse(f, line, 200, req, sizeof(req), &r) ==
              WR_LOGLINE_OK, 0, "random bytes are not a good line");
    memset(line, 0, sizeof(line));
    memcpy(line, "\x01\x02\x7f garbage \x1b[31m", 16);
    check_int(wr_logfmt_parse(f, line, 16, req, sizeof(req), &r),
              WR_LOGLINE_BINARY, "control bytes that follow no format: binary");

    /* dates */
    check_int(parse(f, "1.2.3.4 - - [31/Feb/2004:10:56:07 -0400] \"GET / "
                    "HTTP/1.0\" 200 1 \"-\" \"-\"", &r), WR_LOGLINE_BAD_TIME,
              "31 February");
    check_int(parse(f, "1.2.3.4 - - [29/Feb/2005:10:56:07 -0400] \"GET / "
                    "HTTP/1.0\" 200 1 \"-\" \"-\"", &r), WR_LOGLINE_BAD_TIME,
              "29 February of a common year");
    check_int(parse(f, "1.2.3.4 - - [29/Feb/2004:00:00:00 +0000] \"GET / "
                    "HTTP/1.0\" 200 1 \"-\" \"-\"", &r), WR_LOGLINE_OK,
              "29 February of a leap year");
    check_int(r.time, 1078012800LL, "... at the right second");
    check_int(parse(f, "1.2.3.4 - - [21/Foo/2004:10:56:07 -0400] \"GET / "
                    "HTTP/1.0\" 200 1 \"-\" \"-\"", &r), WR_LOGLINE_BAD_TIME,
              "unknown month");
    check_int(parse(f, "1.2.3.4 - - [21/Apr/2004:24:00:00 -0400] \"GET / "
                    "HTTP/1.0\" 200 1 \"-\" \"-\"", &r), WR_LOGLINE_BAD_TIME,
              "hour 24");
    check_int(parse(f, "1.2.3.4 - - [21/Apr/2004:10:56:07] \"GET / "
                    "HTTP/1.0\" 200 1 \"-\" \"-\"", &r), WR_LOGLINE_BAD_TIME,
              "no zone");
    check_int(parse(f, "1.2.3.4 - - [1/Apr/2004:10:56:07 -0400] \"GET / "
                    "HTTP/1.0\" 200 1 \"-\" \"-\"", &r), WR_LOGLINE_BAD_TIME,
              "one-digit day");

    /* long lines: just under the cap is read, the cap is refused */
    big = malloc(WR_LOGFMT_LINE_MAX + 64);
    n = (size_t)snprintf(big, 64, "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] "
                         "\"SEARCH /");
    while (n < WR_LOGFMT_LINE_MAX - 40) {
        memcpy(big + n, "\\x90", 4);
        n += 4;
    }
    memcpy(big + n, tail, strlen(tail));
    n += strlen(tail);
    check(n < WR_LOGFMT_LINE_MAX, "a line of %zu bytes", n);
    check_int(wr_logfmt_parse(f, big, n, req, sizeof(req), &r), WR_LOGLINE_OK,
              "a line just under %d bytes is read", WR_LOGFMT_LINE_MAX);
    check_int(r.request_len, 8 + (n - strlen(tail) - 50) / 4 + 9,
              "... with its whole request");
    memset(big, 'a', WR_LOGFMT_LINE_MAX + 10);
    check_int(wr_logfmt_parse(f, big, WR_LOGFMT_LINE_MAX, req, sizeof(req),
                              &r), WR_LOGLINE_TOO_LONG,
              "a %d-byte line is too long", WR_LOGFMT_LINE_MAX);

    /* many quotes: backtracking stops at its cap and says no */
    n = (size_t)snprintf(big, 64, "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] "
                         "\"");
    while (n < 20000) {
        memcpy(big + n, "\" 1 ", 4);
        n += 4;
    }
    check(wr_logfmt_parse(f, big, n, req, sizeof(req), &r) != WR_LOGLINE_OK,
          "5,000 candidate quotes: refused within the try cap");
    free(big);
}

/* fuzz - bounded random mutations of real lines never crash (run it under
 * ASan/UBSan) and always give a known status */
static void test_mutations(void)
{
    static const char *const seeds[] = {
        "1.2.3.4 - - [21/Apr/2004:10:56:07 -0400] \"GET /scripts/..%255c.."
        "/winnt/system32/cmd.exe?/c+dir HTTP/1.0\" 404 1 \"-\" \"-\"",
        "h:80 ::1 - - [21/Apr/2004:10:56:07 -0400] \"SEARCH /\\x90\\x02 "
        "HTTP/1.1\" 414 341 \"-\" \"a\\\"b\"",
    };
    wr_logfmt_t *f = fmt("auto");
    char line[256];
    unsigned seed = 42, i, k, bad_status = 0;
    wr_logrec_t r;

    for (i = 0; i < 20000; i++) {
        const char *s = seeds[i % 2];
        size_t n = strlen(s);
        wr_logline_status_t st;

        memcpy(line, s, n);
        for (k = 0; k < 1 + i % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            line[(seed >> 8) % n] = "\"\\ []x-0\x90\n"[(seed >> 20) % 10];
        }
        seed = seed * 1103515245u + 12345u;
        if (i % 3 == 0) {
            n = (seed >> 8) % n;
        }
        st = wr_logfmt_parse(f, line, n, req, sizeof(req), &r);
        if ((unsigned)st >= WR_LOGLINE_NSTATUS
            || (st == WR_LOGLINE_OK && r.request_len > n)) {
            bad_status++;
        }
    }
    check_int(bad_status, 0, "20,000 mutated lines: known statuses only");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    test_compile();
    test_formats();
    test_escapes();
    test_bad();
    test_mutations();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
