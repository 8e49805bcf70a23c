/* cli_args.c - argument order and times for the CLI's verbs (see
 * cli_args.h) */
#include <string.h>

#include <apr_strings.h>

#include "cli_args.h"

const char *const *wr_cli_options_first(apr_pool_t *p, int argc,
                                        const char *const *argv,
                                        const char *const *with_arg,
                                        int *nargc)
{
    const char **v = apr_pcalloc(p, sizeof(*v) * (size_t)(argc + 2));
    const char **pos = apr_pcalloc(p, sizeof(*pos) * (size_t)(argc + 1));
    int i, j, n = 0, np = 0;

    v[n++] = argv[0];
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (++i < argc) {
                pos[np++] = argv[i];
            }
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            pos[np++] = a;
            continue;
        }
        v[n++] = a;
        for (j = 0; with_arg[j]; j++) {
            if (!strcmp(a, with_arg[j]) && i + 1 < argc) {
                v[n++] = argv[++i];
                break;
            }
        }
    }
    v[n++] = "--";
    for (i = 0; i < np; i++) {
        v[n++] = pos[i];
    }
    *nargc = n;
    return v;
}

const char *wr_cli_rfc3339(apr_time_t t, apr_pool_t *p)
{
    apr_time_exp_t x;

    if (t == 0) {
        return "-";
    }
    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min,
                        x.tm_sec);
}
