/* wormreply - command-line companion of mod_wormreply
 *
 * Built from the same core (libwr.a) as the module, so "wormreply match"
 * classifies a line exactly as the module classifies a request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "cmd_blocklist.h"
#include "cmd_outbox.h"
#include "cmd_queue.h"
#include "cmd_report.h"
#include "cmd_status.h"
#include "wr_log.h"
#include "wr_logparse.h"
#include "wr_match.h"

#define LINE_MAX_BYTES (64 * 1024)

typedef struct {
    apr_pool_t *pool;
    wr_sigset_t *set;
    wr_family_mask_t mask;
} cli_t;

static void usage_main(FILE *f)
{
    fprintf(f,
        "usage: wormreply VERB [options] [args]\n"
        "\n"
        "verbs:\n"
        "  match [FILE...]     classify request lines or access-log lines\n"
        "  families            list the signature families and their\n"
        "                      attributes\n"
        "  report [FILE...]    probe load from access logs (text, JSON,\n"
        "                      CSV, HTML)\n"
        "  blocklist [FILE...] hosts that probed lately, for rbldnsd,\n"
        "                      ipset or nftables, entries expiring\n"
        "  queue COMMAND       the notifier's spool: list, failed, show,\n"
        "                      retry, drop (like postqueue/postsuper)\n"
        "  outbox COMMAND      the notices for the smarthost: list, failed,\n"
        "                      show, retry, drop (like postqueue/postsuper)\n"
        "  status [URL]        the module's counters from its status\n"
        "                      handler; --watch for a live view\n"
        "\n"
        "common options (before or after the verb's own):\n"
        "  -s, --signatures FILE   add a signature file (same format as\n"
        "                          conf/signatures.conf); may be repeated\n"
        "  -f, --families LIST     comma-separated families to use\n"
        "                          (default: those on by default; 'all')\n"
        "      --no-builtin        do not load the built-in signatures\n"
        "  -h, --help              this help\n"
        "\n"
        "'wormreply VERB --help' describes a verb.\n");
}

static void usage_match(FILE *f)
{
    fprintf(f,
        "usage: wormreply match [options] [FILE...]\n"
        "\n"
        "Reads request lines (\"GET /x HTTP/1.0\"), bare targets (\"/x\") or\n"
        "access-log lines (common, combined, vhost_combined) from each FILE,\n"
        "or standard input when none or '-' is given, and prints one line per\n"
        "input line:  FAMILY<TAB>input line  ('-' when nothing matched).\n"
        "A summary goes to standard error. Lines longer than %d bytes are\n"
        "classified on their first %d bytes.\n"
        "\n"
        "options:\n"
        "  -p, --only-probes   print only the lines that matched\n"
        "  -q, --quiet         no summary on standard error\n"
        "plus the common options (wormreply --help).\n",
        LINE_MAX_BYTES, LINE_MAX_BYTES);
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

/* read_line - read one line of at most cap bytes into buf (the rest of a
 * longer line is read and dropped, so memory stays bounded). Returns the
 * kept length, or -1 at end of file. *cut tells whether bytes were
 * dropped. NUL bytes are kept: lengths, not strlen, are used. */
static long read_line(FILE *in, char *buf, size_t cap, int *cut)
{
    size_t n = 0;
    int c, any = 0;

    *cut = 0;
    while ((c = getc(in)) != EOF) {
        any = 1;
        if (c == '\n') {
            break;
        }
        if (n < cap) {
            buf[n++] = (char)c;
        }
        else {
            *cut = 1;
        }
    }
    if (!any) {
        return -1;
    }
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    return (long)n;
}

/* classify - match one input line, log line or request line */
static int classify(const cli_t *cli, const char *line, size_t n,
                    char *req, size_t reqsize, wr_match_t *m)
{
    size_t rlen;
    int truncated;

    if (wr_logline_request(line, n, req, reqsize, &rlen, &truncated)) {
        return wr_match_line(cli->set, cli->mask, req, rlen, m);
    }
    return wr_match_line(cli->set, cli->mask, line, n, m);
}

static int cmd_match(cli_t *cli, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"only-probes", 'p', 0, "print only matching lines"},
        {"quiet", 'q', 0, "no summary"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_getopt_t *os;
    const char *arg;
    int opt, only = 0, quiet = 0, i, nfiles, status = 0;
    unsigned long lines = 0, probes = 0, cut_lines = 0;
    unsigned long per_family[WR_MAX_FAMILIES] = {0};
    char *buf = malloc(LINE_MAX_BYTES + 1), *req = malloc(LINE_MAX_BYTES + 1);
    apr_status_t rv;

    if (buf == NULL || req == NULL) {
        fprintf(stderr, "wormreply: out of memory\n");
        return 2;
    }
    apr_getopt_init(&os, cli->pool, argc, argv);
    os->interleave = 1;
    while ((rv = apr_getopt_long(os, opts, &opt, &arg)) == APR_SUCCESS) {
        switch (opt) {
        case 'p': only = 1; break;
        case 'q': quiet = 1; break;
        case 'h': usage_match(stdout); return 0;
        default: break;
        }
    }
    if (rv != APR_EOF) {
        usage_match(stderr);
        return 2;
    }
    nfiles = argc - os->ind;
    for (i = 0; i < (nfiles > 0 ? nfiles : 1); i++) {
        const char *name = nfiles > 0 ? argv[os->ind + i] : "-";
        FILE *in = strcmp(name, "-") ? fopen(name, "rb") : stdin;
        long n;
        int cut;

        if (in == NULL) {
            fprintf(stderr, "wormreply: cannot open '%s': %s\n", name,
                    strerror(errno));
            status = 1;
            continue;
        }
        while ((n = read_line(in, buf, LINE_MAX_BYTES, &cut)) >= 0) {
            wr_match_t m;
            int hit = classify(cli, buf, (size_t)n, req, LINE_MAX_BYTES + 1, &m);
            lines++;
            cut_lines += (unsigned long)cut;
            if (hit) {
                probes++;
                per_family[m.family]++;
            }
            if (hit || !only) {
                fputs(hit ? m.name : "-", stdout);
                putchar('\t');
                fwrite(buf, 1, (size_t)n, stdout);
                putchar('\n');
            }
        }
        if (ferror(in)) {
            fprintf(stderr, "wormreply: error reading '%s': %s\n", name,
                    strerror(errno));
            status = 1;
        }
        if (in != stdin) {
            fclose(in);
        }
    }
    if (!quiet) {
        int f;
        fprintf(stderr, "wormreply match: %lu lines, %lu probes", lines, probes);
        for (f = 0; f < wr_sigset_family_count(cli->set); f++) {
            if (cli->mask & ((wr_family_mask_t)1 << f)) {
                fprintf(stderr, ", %s %lu", wr_sigset_family_name(cli->set, f),
                        per_family[f]);
            }
        }
        if (cut_lines) {
            fprintf(stderr, ", %lu over-long lines cut", cut_lines);
        }
        fputc('\n', stderr);
    }
    free(buf);
    free(req);
    if (fflush(stdout) != 0) {
        status = 1;
    }
    return status;
}

static int cmd_families(cli_t *cli)
{
    int f;

    for (f = 0; f < wr_sigset_family_count(cli->set); f++) {
        const char *d = wr_sigset_family_desc(cli->set, f);
        const char *u = wr_sigset_unfiltered(cli->set, f);
        int k;
        printf("%s\t%s\t%s\t", wr_sigset_family_name(cli->set, f),
               (cli->mask & ((wr_family_mask_t)1 << f)) ? "on" : "off",
               d ? d : "");
        /* the attributes last, so that the first three columns stay */
        for (k = 0; k < wr_family_key_count(); k++) {
            const char *key = wr_family_key_name(k);
            const char *v = wr_sigset_family_attr(cli->set, f, key);
            if (v) {
                printf("%s%s=%s", k ? " " : "", key, v);
            }
        }
        putchar('\n');
        if (u) {
            fprintf(stderr, "wormreply: family %s: the pattern at %s has no "
                    "literal of 4 bytes; the prefilter is off while the "
                    "family is active\n", wr_sigset_family_name(cli->set, f),
                    u);
        }
    }
    return 0;
}

/* parse_families - "a,b,c" or "all" into a mask */
static int parse_families(cli_t *cli, const char *list)
{
    char *copy = apr_pstrdup(cli->pool, list), *tok, *last;

    if (!strcmp(list, "all")) {
        cli->mask = wr_sigset_all_mask(cli->set);
        return 0;
    }
    cli->mask = 0;
    for (tok = apr_strtok(copy, ", ", &last); tok;
         tok = apr_strtok(NULL, ", ", &last)) {
        int f = wr_sigset_family_index(cli->set, tok);
        if (f < 0) {
            fprintf(stderr, "wormreply: unknown family '%s'\n", tok);
            return -1;
        }
        cli->mask |= (wr_family_mask_t)1 << f;
    }
    return 0;
}

int main(int argc, const char *const *argv)
{
    cli_t cli;
    const char *verb, *err = NULL, *families = NULL;
    const char **rest;
    int i, nrest = 0, builtin = 1, rc;
    apr_array_header_t *sigfiles;

    apr_app_initialize(&argc, &argv, NULL);
    atexit(apr_terminate);
    apr_pool_create(&cli.pool, NULL);
    wr_log_set(cli_log, WR_LOG_WARNING, NULL);

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage_main(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    verb = argv[1];
    /* take the common options out, leave the verb's own in place */
    sigfiles = apr_array_make(cli.pool, 4, sizeof(const char *));
    rest = apr_pcalloc(cli.pool, sizeof(*rest) * (size_t)(argc + 1));
    rest[nrest++] = verb;
    for (i = 2; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-s") || !strcmp(a, "--signatures")) && i + 1 < argc) {
            APR_ARRAY_PUSH(sigfiles, const char *) = argv[++i];
        }
        else if (!strncmp(a, "--signatures=", 13)) {
            APR_ARRAY_PUSH(sigfiles, const char *) = a + 13;
        }
        else if ((!strcmp(a, "-f") || !strcmp(a, "--families")) && i + 1 < argc) {
            families = argv[++i];
        }
        else if (!strncmp(a, "--families=", 11)) {
            families = a + 11;
        }
        else if (!strcmp(a, "--no-builtin")) {
            builtin = 0;
        }
        else {
            rest[nrest++] = a;
        }
    }

    wr_sigset_create(&cli.set, cli.pool);
    if (builtin && wr_sigset_load_builtin(cli.set, &err) != APR_SUCCESS) {
        fprintf(stderr, "wormreply: built-in signatures: %s\n", err);
        return 2;
    }
    for (i = 0; i < sigfiles->nelts; i++) {
        const char *path = APR_ARRAY_IDX(sigfiles, i, const char *);
        if (wr_sigset_load_file(cli.set, path, &err) != APR_SUCCESS) {
            fprintf(stderr, "wormreply: %s\n", err);
            return 2;
        }
    }
    cli.mask = wr_sigset_default_mask(cli.set);
    if (families && parse_families(&cli, families) != 0) {
        return 2;
    }

    if (!strcmp(verb, "match")) {
        rc = cmd_match(&cli, nrest, rest);
    }
    else if (!strcmp(verb, "report")) {
        rc = wr_cli_report(cli.pool, cli.set, cli.mask, nrest, rest);
    }
    else if (!strcmp(verb, "blocklist")) {
        rc = wr_cli_blocklist(cli.pool, cli.set, cli.mask, nrest, rest);
    }
    else if (!strcmp(verb, "queue")) {
        rc = wr_cli_queue(cli.pool, cli.set, cli.mask, nrest, rest);
    }
    else if (!strcmp(verb, "outbox")) {
        rc = wr_cli_outbox(cli.pool, cli.set, cli.mask, nrest, rest);
    }
    else if (!strcmp(verb, "status")) {
        rc = wr_cli_status(cli.pool, cli.set, cli.mask, nrest, rest);
    }
    else if (!strcmp(verb, "families")) {
        rc = cmd_families(&cli);
    }
    else {
        fprintf(stderr, "wormreply: unknown verb '%s'\n", verb);
        usage_main(stderr);
        rc = 2;
    }
    apr_pool_destroy(cli.pool);
    return rc;
}
