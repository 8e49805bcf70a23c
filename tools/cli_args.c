/* cli_args.c - argument order and times for the CLI's verbs (see
 * cli_args.h) */
#include <string.h>

#include <apr_strings.h>

#include "cli_args.h"
#include "wr_time.h"

/* takes_arg - whether the word `a` is an option of `opts` that takes the
 * next word as its argument ("--name=value" and "-cvalue" do not) */
static int takes_arg(const char *a, const apr_getopt_option_t *opts)
{
    int k;

    for (k = 0; opts[k].name != NULL || opts[k].optch != 0; k++) {
        if (!opts[k].has_arg) {
            continue;
        }
        if (a[1] == '-' && opts[k].name != NULL
            && !strcmp(a + 2, opts[k].name)) {
            return 1;
        }
        if (a[1] != '-' && opts[k].optch < 256 && a[1] == opts[k].optch
            && a[2] == '\0') {
            return 1;
        }
    }
    return 0;
}

void wr_cli_getopt_init(apr_getopt_t **os, apr_pool_t *p, int *argc,
                        const char *const **argv,
                        const apr_getopt_option_t *opts)
{
    const char *const *in = *argv;
    int n0 = *argc;
    const char **v = apr_pcalloc(p, sizeof(*v) * (size_t)(n0 + 2));
    const char **pos = apr_pcalloc(p, sizeof(*pos) * (size_t)(n0 + 1));
    int i, n = 0, np = 0;

    v[n++] = in[0];
    for (i = 1; i < n0; i++) {
        const char *a = in[i];
        if (!strcmp(a, "--")) {
            while (++i < n0) {
                pos[np++] = in[i];
            }
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            pos[np++] = a;
            continue;
        }
        v[n++] = a;
        if (takes_arg(a, opts) && i + 1 < n0) {
            v[n++] = in[++i];
        }
    }
    v[n++] = "--";
    for (i = 0; i < np; i++) {
        v[n++] = pos[i];
    }
    *argc = n;
    *argv = v;
    apr_getopt_init(os, p, n, v);
    (*os)->errfn = NULL;
}

const char *wr_cli_bad_option(const apr_getopt_t *os)
{
    return os->ind > 0 && os->ind - 1 < os->argc ? os->argv[os->ind - 1]
                                                 : "?";
}

int wr_cli_getopt(apr_getopt_t *os, const apr_getopt_option_t *opts,
                  const char *verb, wr_cli_usage_fn *usage,
                  const char **arg, int *status)
{
    apr_status_t rv;
    int opt;

    if ((rv = apr_getopt_long(os, opts, &opt, arg)) == APR_EOF) {
        return 0;
    }
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "wormreply %s: bad option '%s'\n", verb,
                wr_cli_bad_option(os));
        usage(stderr);
        *status = 2;
        return -1;
    }
    if (opt == 'h') {
        usage(stdout);
        *status = 0;
        return -1;
    }
    return opt;
}

const char *wr_cli_rfc3339(apr_time_t t, apr_pool_t *p)
{
    return t == 0 ? "-" : wr_time_pformat(WR_TIME_RFC3339, t, p);
}
