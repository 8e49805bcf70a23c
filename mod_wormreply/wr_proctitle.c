/* wr_proctitle.c - process titles (see wr_proctitle.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wr_proctitle.h"

/* Under valgrind the area the kernel shows is valgrind's own command line
 * (its options among it), which valgrind reads again later: a title
 * written there became the name of a forked child's cachegrind output
 * file, and bench/run.sh failed in 2 of 4 runs. Its header is optional. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

extern char **environ;

/* This process's argv+environ area and what every title carries: process
 * state by nature (there is one command line per process), set once by
 * wr_proctitle_init in the process that owns it. */
static char *area;
static size_t area_size;
static char prefix[64];
static char suffix[256];

/* stat_area - the kernel's arg_start, arg_end, env_start, env_end of this
 * process (/proc/self/stat fields 48 to 51, Linux 3.5 and later).
 * @return 0, or -1 */
static int stat_area(unsigned long *v)
{
    char buf[2048], *s;
    size_t n;
    int field;
    FILE *f = fopen("/proc/self/stat", "r");

    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name (field 2) may hold spaces: count from its ')', to
     * the blank before field 48 */
    if ((s = strrchr(buf, ')')) == NULL) {
        return -1;
    }
    for (field = 2; field < 48 && s; field++) {
        s = strchr(s + 1, ' ');
    }
    if (s == NULL
        || sscanf(s, " %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3]) != 4
        || v[0] == 0 || v[1] <= v[0] || v[3] < v[2]) {
        return -1;
    }
    return 0;
}

apr_status_t wr_proctitle_init(void)
{
    unsigned long v[4];
    char *p, *end, **env;
    size_t used = 0;
    int i, n;

    if (UNDER_VALGRIND() || stat_area(v) != 0) {
        return APR_ENOTIMPL;
    }
    p = (char *)v[0];
    end = (char *)v[1];
    /* argv[0]'s base name and the rest of the original command line */
    {
        const char *base = strrchr(p, '/');
        base = base ? base + 1 : p;
        strncpy(prefix, base, sizeof(prefix) - 1);
    }
    for (p += strlen(p) + 1; p < end && *p; p += strlen(p) + 1) {
        size_t len = strlen(p);
        if (used + len + 2 > sizeof(suffix)) {
            break;
        }
        suffix[used++] = ' ';
        memcpy(suffix + used, p, len + 1);
        used += len;
    }
    area = (char *)v[0];
    area_size = v[1] - v[0];
    /* the environment that follows: copied away, then used for the title
     * too (the kernel reads on into it when the argv area's last byte is
     * not a NUL) */
    if (v[2] != v[1] && v[2] != v[1] + 1) {
        return APR_SUCCESS;
    }
    for (n = 0; environ[n]; n++) {
    }
    if ((env = calloc((size_t)n + 1, sizeof(*env))) == NULL) {
        return APR_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        if ((env[i] = strdup(environ[i])) == NULL) {
            return APR_ENOMEM;
        }
    }
    environ = env;
    area_size = v[3] - v[0];
    return APR_SUCCESS;
}

void wr_proctitle_set(const char *role)
{
    if (area == NULL || area_size < 2) {
        return;
    }
    memset(area, 0, area_size);
    snprintf(area, area_size - 1, "%s: %s%s", prefix, role, suffix);
}
