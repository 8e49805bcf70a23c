/* wormreply - command-line companion of mod_wormreply
 *
 * Built from the same core (libwr.a) as the module, so "wormreply match"
 * classifies a line exactly as the module classifies a request. The verbs
 * are one table (name, synopsis, summary, function), as a2md keeps its
 * commands; the help and the checks of the manual page are made from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "cmd_blocklist.h"
#include "cmd_bounce.h"
#include "cmd_families.h"
#include "cmd_match.h"
#include "cmd_outbox.h"
#include "cmd_queue.h"
#include "cmd_report.h"
#include "cmd_status.h"
#include "wr_log.h"
#include "wr_match.h"
#include "wr_version.h"

/* wr_cli_verb_fn - a verb: argv[0] is its name, the common options are
 * applied to set/mask already; returns the exit status */
typedef int wr_cli_verb_fn(apr_pool_t *pool, const wr_sigset_t *set,
                           wr_family_mask_t mask, int argc,
                           const char *const *argv);

typedef struct {
    const char *name;
    const char *synopsis;       /* after the name, for the help */
    const char *summary;
    wr_cli_verb_fn *run;
} wr_cli_verb_t;

static const wr_cli_verb_t verbs[] = {
    {"match", "[FILE...]", "classify request lines or access-log lines",
     wr_cli_match},
    {"families", "", "list the signature families and their attributes",
     wr_cli_families},
    {"report", "[FILE...]", "probe load from access logs (text, JSON, CSV, "
     "HTML)", wr_cli_report},
    {"blocklist", "[FILE...]", "hosts that probed lately, for rbldnsd, "
     "ipset or nftables, entries expiring", wr_cli_blocklist},
    {"queue", "COMMAND", "the notifier's spool: list, failed, show, retry, "
     "drop (like postqueue/postsuper)", wr_cli_queue},
    {"outbox", "COMMAND", "the notices for the smarthost: list, failed, "
     "show, retry, drop (like postqueue/postsuper); the suppression list",
     wr_cli_outbox},
    {"status", "[URL]", "the module's counters from its status handler; "
     "--watch for a live view", wr_cli_status},
    {"bounce", "", "read a bounce of a notice (an MTA's pipe, or --maildir "
     "DIR) and suppress the mailbox that bounced", wr_cli_bounce},
    {NULL, NULL, NULL, NULL}
};

enum {
    OPT_NO_BUILTIN = 256
};

/* The common options, taken out wherever they stand (before or after the
 * verb's own) before the verb sees its arguments. */
static const apr_getopt_option_t common_opts[] = {
    {"signatures", 's', 1, "FILE  add a signature file (same format as "
     "conf/signatures.conf); may be repeated"},
    {"families", 'f', 1, "LIST  comma-separated families to use (default: "
     "those on by default; 'all')"},
    {"no-builtin", OPT_NO_BUILTIN, 0, "do not load the built-in signatures"},
    {NULL, 0, 0, NULL}
};

/* put_wrapped - `text` after a column of `indent`, wrapped at 76 */
static void put_wrapped(FILE *f, const char *text, int col, int indent)
{
    const char *w = text;

    while (*w) {
        const char *end = w;
        int len;
        while (*end && *end != ' ') {
            end++;
        }
        len = (int)(end - w);
        if (col > indent && col + 1 + len > 76) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        }
        else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fwrite(w, 1, (size_t)len, f);
        col += len;
        w = *end ? end + 1 : end;
    }
    fputc('\n', f);
}

/* usage_main - made from the verb and common option tables */
static void usage_main(FILE *f)
{
    int k;

    fprintf(f, "usage: wormreply VERB [options] [args]\n"
               "       wormreply --version | --help\n\nverbs:\n");
    for (k = 0; verbs[k].name; k++) {
        int col = fprintf(f, "  %s %s", verbs[k].name, verbs[k].synopsis);
        if (col < 22) {
            col += fprintf(f, "%*s", 22 - col, "");
        }
        else {
            fprintf(f, "\n%22s", "");
            col = 22;
        }
        put_wrapped(f, verbs[k].summary, col, 22);
    }
    fprintf(f, "\ncommon options (before or after the verb's own):\n");
    for (k = 0; common_opts[k].name; k++) {
        const char *d = common_opts[k].description, *sp = strchr(d, ' ');
        int col, arg = common_opts[k].has_arg;
        if (common_opts[k].optch < 256) {
            col = fprintf(f, "  -%c, --%s", common_opts[k].optch,
                          common_opts[k].name);
        }
        else {
            col = fprintf(f, "      --%s", common_opts[k].name);
        }
        if (arg && sp) {
            col += fprintf(f, " %.*s", (int)(sp - d), d);
            d = sp + 2;
        }
        col += fprintf(f, "%*s", col < 26 ? 26 - col : 1, "");
        put_wrapped(f, d, col, 26);
    }
    fprintf(f, "  -h, --help              this help\n"
               "      --version           the version of wormreply and "
               "mod_wormreply\n\n"
               "'wormreply VERB --help' describes a verb; man wormreply.\n");
}

static void cli_log(const char *file, int line, wr_log_level_t level,
                    apr_status_t rv, const char *msg, void *baton)
{
    (void)file;
    (void)line;
    (void)level;
    (void)baton;
    if (rv != APR_SUCCESS) {
        char buf[128];
        fprintf(stderr, "wormreply: %s: %s\n", msg,
                apr_strerror(rv, buf, sizeof(buf)));
    }
    else {
        fprintf(stderr, "wormreply: %s\n", msg);
    }
}

/* parse_families - "a,b,c" or "all" into a mask */
static int parse_families(const wr_sigset_t *set, const char *list,
                          wr_family_mask_t *mask, apr_pool_t *p)
{
    char *copy = apr_pstrdup(p, list), *tok, *last;

    if (!strcmp(list, "all")) {
        *mask = wr_sigset_all_mask(set);
        return 0;
    }
    *mask = 0;
    for (tok = apr_strtok(copy, ", ", &last); tok;
         tok = apr_strtok(NULL, ", ", &last)) {
        int f = wr_sigset_family_index(set, tok);
        if (f < 0) {
            fprintf(stderr, "wormreply: unknown family '%s'\n", tok);
            return -1;
        }
        *mask |= (wr_family_mask_t)1 << f;
    }
    return 0;
}

/* common_opt - which common option the word `a` is (its optch), with its
 * argument (inline after '=', or the next word: *used_next) */
static int common_opt(const char *a, const char *next, const char **val,
                      int *used_next)
{
    int k;

    *used_next = 0;
    *val = NULL;
    for (k = 0; common_opts[k].name; k++) {
        const apr_getopt_option_t *o = &common_opts[k];
        size_t n = strlen(o->name);
        int is_long = a[0] == '-' && a[1] == '-' && !strncmp(a + 2, o->name, n);
        if (is_long && a[2 + n] == '=' && o->has_arg) {
            *val = a + 3 + n;
            return o->optch;
        }
        if ((is_long && a[2 + n] == '\0')
            || (o->optch < 256 && a[0] == '-' && a[1] == o->optch
                && a[2] == '\0')) {
            if (!o->has_arg) {
                return o->optch;
            }
            if (next != NULL) {
                *val = next;
                *used_next = 1;
                return o->optch;
            }
        }
    }
    return 0;
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool;
    wr_sigset_t *set;
    wr_family_mask_t mask;
    const char *verb, *err = NULL, *families = NULL;
    const char **rest;
    const wr_cli_verb_t *v;
    int i, nrest = 0, builtin = 1, rc;
    apr_array_header_t *sigfiles;

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    wr_log_set(cli_log, WR_LOG_WARNING, NULL);

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage_main(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("wormreply %s (mod_wormreply %s)\n", WR_VERSION, WR_VERSION);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    verb = argv[1];
    for (v = verbs; v->name && strcmp(v->name, verb); v++) {
    }
    if (v->name == NULL) {
        fprintf(stderr, "wormreply: unknown verb '%s'\n", verb);
        usage_main(stderr);
        return 2;
    }
    /* take the common options out, leave the verb's own in place */
    sigfiles = apr_array_make(pool, 4, sizeof(const char *));
    rest = apr_pcalloc(pool, sizeof(*rest) * (size_t)(argc + 1));
    rest[nrest++] = verb;
    for (i = 2; i < argc; i++) {
        const char *val;
        int used_next;
        if (!strcmp(argv[i], "--")) {
            while (i < argc) {
                rest[nrest++] = argv[i++];
            }
            break;
        }
        switch (common_opt(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &val,
                           &used_next)) {
        case 's':
            APR_ARRAY_PUSH(sigfiles, const char *) = val;
            break;
        case 'f':
            families = val;
            break;
        case OPT_NO_BUILTIN:
            builtin = 0;
            break;
        default:
            rest[nrest++] = argv[i];
            break;
        }
        i += used_next;
    }

    wr_sigset_create(&set, pool);
    if (builtin && wr_sigset_load_builtin(set, &err) != APR_SUCCESS) {
        fprintf(stderr, "wormreply: built-in signatures: %s\n", err);
        return 2;
    }
    for (i = 0; i < sigfiles->nelts; i++) {
        const char *path = APR_ARRAY_IDX(sigfiles, i, const char *);
        if (wr_sigset_load_file(set, path, &err) != APR_SUCCESS) {
            fprintf(stderr, "wormreply: %s\n", err);
            return 2;
        }
    }
    mask = wr_sigset_default_mask(set);
    if (families && parse_families(set, families, &mask, pool) != 0) {
        return 2;
    }
    rc = v->run(pool, set, mask, nrest, rest);
    apr_pool_destroy(pool);
    return rc;
}
