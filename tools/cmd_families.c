/* cmd_families.c - "wormreply families": the declared signature families,
 * whether each is active, their attributes and what they recognise, in
 * aligned columns (the free-text description last) */
#include <stdio.h>
#include <string.h>

#include <apr_getopt.h>
#include <apr_strings.h>

#include "cli_args.h"
#include "cmd_families.h"
#include "wr_family.h"

/* attrs - "key=value key=value" of family f ("-" when none) */
static const char *attrs(const wr_sigset_t *set, int f, apr_pool_t *p)
{
    const char *out = NULL;
    int k;

    for (k = 0; k < wr_family_key_count(); k++) {
        const char *key = wr_family_key_name(k);
        const char *v = wr_sigset_family_attr(set, f, key);
        if (v) {
            out = apr_pstrcat(p, out ? out : "", out ? " " : "", key, "=", v,
                              NULL);
        }
    }
    return out ? out : "-";
}

/* usage - the verb's help */
static void usage(FILE *f)
{
    fprintf(f,
        "usage: wormreply families [options]\n"
        "\n"
        "Lists the signature families (the built-in ones, those of every\n"
        "--signatures file), one per line: NAME, 'on' when the family is\n"
        "active (by default, or as chosen by --families), 'off' when not,\n"
        "its attributes (KEY=VALUE), and what it recognises. A family whose\n"
        "pattern has no literal of 4 bytes is named on standard error: the\n"
        "prefilter is off while it is active.\n"
        "\n"
        "options:\n"
        "  -h, --help          this help\n"
        "plus the common options (wormreply --help).\n"
        "\n"
        "Exit status: 0 done; 1 the output could not be written; 2 usage.\n");
}

int wr_cli_families(apr_pool_t *pool, const wr_sigset_t *set,
                    wr_family_mask_t mask, int argc,
                    const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_getopt_t *os;
    const char *arg;
    int opt, rc, f, width = 4, awidth = 10;

    wr_cli_getopt_init(&os, pool, &argc, &argv, opts);
    while ((opt = wr_cli_getopt(os, opts, "families", usage, &arg, &rc))
           > 0) {
        /* --help is the only option */
    }
    if (opt < 0) {
        return rc;
    }
    if (os->ind < argc) {
        fprintf(stderr, "wormreply families: unexpected argument '%s'\n",
                argv[os->ind]);
        usage(stderr);
        return 2;
    }
    for (f = 0; f < wr_sigset_family_count(set); f++) {
        int n = (int)strlen(wr_sigset_family_name(set, f));
        int a = (int)strlen(attrs(set, f, pool));
        width = n > width ? n : width;
        awidth = a > awidth ? a : awidth;
    }
    printf("%-*s %-6s %-*s %s\n", width, "NAME", "ACTIVE", awidth,
           "ATTRIBUTES", "DESCRIPTION");
    for (f = 0; f < wr_sigset_family_count(set); f++) {
        const char *d = wr_sigset_family_desc(set, f);
        const char *u = wr_sigset_unfiltered(set, f);
        printf("%-*s %-6s %-*s %s\n", width, wr_sigset_family_name(set, f),
               (mask & ((wr_family_mask_t)1 << f)) ? "on" : "off", awidth,
               attrs(set, f, pool), d ? d : "");
        if (u) {
            fprintf(stderr, "wormreply: family %s: the pattern at %s has no "
                    "literal of 4 bytes; the prefilter is off while the "
                    "family is active\n", wr_sigset_family_name(set, f), u);
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
