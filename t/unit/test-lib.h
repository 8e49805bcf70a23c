/* test-lib.h - tiny TAP producer for the C unit tests
 *
 * Each check prints "ok N - name" or "not ok N - name" with a file:line
 * diagnostic; done_testing() prints the plan and returns the exit status.
 * prove reads the output like any other TAP test.
 */
#ifndef WR_TEST_LIB_H
#define WR_TEST_LIB_H

#include <stdio.h>
#include <stdarg.h>
#include <string.h>

static int tl_count, tl_failed;

#define check(cond, ...) tl_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define check_int(got, want, ...) \
    tl_check_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define check_str(got, want, ...) \
    tl_check_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)



static void tl_name(const char *fmt, va_list ap)
{
    vprintf(fmt, ap);
    putchar('\n');
}

__attribute__((format(printf, 5, 6), unused))
static int tl_check(int ok, const char *file, int line, const char *expr,
                    const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - ", ok ? "ok" : "not ok", ++tl_count);
    va_start(ap, fmt);
    tl_name(fmt, ap);
    va_end(ap);
    if (!ok) {
        tl_failed++;
        printf("#   failed at %s:%d: %s\n", file, line, expr);
    }
    return ok;
}

__attribute__((format(printf, 5, 6), unused))
static int tl_check_int(long long got, long long want, const char *file,
                        int line, const char *fmt, ...)
{
    va_list ap;
    int ok = got == want;
    printf("%s %d - ", ok ? "ok" : "not ok", ++tl_count);
    va_start(ap, fmt);
    tl_name(fmt, ap);
    va_end(ap);
    if (!ok) {
        tl_failed++;
        printf("#   failed at %s:%d: got %lld, want %lld\n", file, line, got, want);
    }
    return ok;
}

__attribute__((format(printf, 5, 6), unused))
static int tl_check_str(const char *got, const char *want, const char *file,
                        int line, const char *fmt, ...)
{
    va_list ap;
    int ok = (got == NULL && want == NULL)
             || (got != NULL && want != NULL && strcmp(got, want) == 0);
    printf("%s %d - ", ok ? "ok" : "not ok", ++tl_count);
    va_start(ap, fmt);
    tl_name(fmt, ap);
    va_end(ap);
    if (!ok) {
        tl_failed++;
        printf("#   failed at %s:%d: got '%s', want '%s'\n", file, line,
               got ? got : "(null)", want ? want : "(null)");
    }
    return ok;
}

static int done_testing(void)
{
    printf("1..%d\n", tl_count);
    return tl_failed ? 1 : 0;
}

#endif
