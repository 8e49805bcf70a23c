/* cmd_match.c - "wormreply match": classify request lines, bare targets
 * and access-log lines with exactly the module's matcher
 *
 * Input goes through the CLI's one log reader (cli_logread: plain or
 * gzip, '-' for standard input), the same as "report". Without
 * --log-format a line is a request line, a bare target, or a
 * common/combined log line whose quoted request field is found; with
 * --log-format every line is read through that LogFormat (wr_logfmt).
 */
#include <stdio.h>
#include <string.h>

#include <apr_getopt.h>
#include <apr_strings.h>

#include "cli_args.h"
#include "cli_logread.h"
#include "cmd_match.h"
#include "wr_logfmt.h"
#include "wr_logparse.h"

/* lines longer than this are classified on their first LINE_MAX bytes */
#define LINE_MAX_BYTES (64 * 1024)

enum {
    OPT_LOG_FORMAT = 'l'
};

typedef struct {
    const wr_sigset_t *set;
    wr_family_mask_t mask;
    wr_logfmt_t *fmt;           /* NULL: request lines or common/combined */
    int only;                   /* --only-probes */
    char *req;                  /* LINE_MAX_BYTES + 1 */
    unsigned long lines, probes, cut_lines, bad_lines;
    unsigned long per_family[WR_MAX_FAMILIES];
    int write_error;
} run_t;

/* usage - the verb's help */
static void usage(FILE *f)
{
    fprintf(f,
        "usage: wormreply match [options] [FILE...]\n"
        "\n"
        "Reads request lines (\"GET /x HTTP/1.0\"), bare targets (\"/x\") or\n"
        "access-log lines (common, combined, vhost_combined) from each FILE\n"
        "(plain or .gz), or standard input when none or '-' is given, and\n"
        "prints one line per input line:  FAMILY<TAB>input line  ('-' when\n"
        "nothing matched). A summary goes to standard error. Lines longer\n"
        "than %d bytes are classified on their first %d bytes.\n"
        "\n"
        "options:\n"
        "  -p, --only-probes     print only the lines that matched\n"
        "  -l, --log-format FMT  read every line through this httpd LogFormat\n"
        "                        (or common, combined, vhost_combined, worm,\n"
        "                        auto);\n"
        "                        a line not in the format is '-' and counted\n"
        "  -q, --quiet           no summary on standard error\n"
        "  -h, --help            this help\n"
        "plus the common options (wormreply --help).\n"
        "\n"
        "Exit status: 0 done; 1 an input could not be read or the output\n"
        "could not be written (the rest is still classified); 2 usage.\n",
        LINE_MAX_BYTES, LINE_MAX_BYTES);
}

/* classify - match one input line; 1 when it is a probe */
static int classify(run_t *r, const char *line, size_t n, wr_match_t *m)
{
    size_t rlen;
    int truncated;

    if (r->fmt != NULL) {
        wr_logrec_t rec;
        if (wr_logfmt_parse(r->fmt, line, n, r->req, LINE_MAX_BYTES + 1,
                            &rec) != WR_LOGLINE_OK || !rec.has_request) {
            r->bad_lines++;
            return 0;
        }
        return wr_match_line(r->set, r->mask, rec.request, rec.request_len,
                             m);
    }
    if (wr_logline_request(line, n, r->req, LINE_MAX_BYTES + 1, &rlen,
                           &truncated)) {
        return wr_match_line(r->set, r->mask, r->req, rlen, m);
    }
    return wr_match_line(r->set, r->mask, line, n, m);
}

/* on_line - the log reader's callback: classify, print */
static void on_line(void *baton, const char *name, unsigned long long lineno,
                    const char *line, size_t n, int cut)
{
    run_t *r = baton;
    wr_match_t m;
    int hit;

    (void)name;
    (void)lineno;
    if (n > 0 && line[n - 1] == '\r') {
        n--;
    }
    hit = classify(r, line, n, &m);
    r->lines++;
    r->cut_lines += (unsigned long)cut;
    if (hit) {
        r->probes++;
        r->per_family[m.family]++;
    }
    if (hit || !r->only) {
        fputs(hit ? m.name : "-", stdout);
        putchar('\t');
        fwrite(line, 1, n, stdout);
        if (putchar('\n') == EOF) {
            r->write_error = 1;
        }
    }
}

int wr_cli_match(apr_pool_t *pool, const wr_sigset_t *set,
                 wr_family_mask_t mask, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"only-probes", 'p', 0, "print only matching lines"},
        {"log-format", OPT_LOG_FORMAT, 1, "log format"},
        {"quiet", 'q', 0, "no summary"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_getopt_t *os;
    const char *arg, *logfmt = NULL, *err = NULL;
    int opt, quiet = 0, i, nfiles, status = 0;
    char *buf;
    run_t r;

    memset(&r, 0, sizeof(r));
    r.set = set;
    r.mask = mask;
    wr_cli_getopt_init(&os, pool, &argc, &argv, opts);
    while ((opt = wr_cli_getopt(os, opts, "match", usage, &arg, &status)) > 0) {
        switch (opt) {
        case 'p': r.only = 1; break;
        case OPT_LOG_FORMAT: logfmt = arg; break;
        case 'q': quiet = 1; break;
        default: break;
        }
    }
    if (opt < 0) {
        return status;
    }
    if (logfmt != NULL
        && wr_logfmt_compile(&r.fmt, logfmt, pool, &err) != APR_SUCCESS) {
        fprintf(stderr, "wormreply match: --log-format: %s\n", err);
        return 2;
    }
    buf = apr_palloc(pool, WR_CLI_LOGREAD_CHUNK + LINE_MAX_BYTES);
    r.req = apr_palloc(pool, LINE_MAX_BYTES + 1);
    nfiles = argc - os->ind;
    for (i = 0; i < (nfiles > 0 ? nfiles : 1); i++) {
        const char *name = nfiles > 0 ? argv[os->ind + i] : "-";
        if (wr_cli_logread("match", name, buf, LINE_MAX_BYTES, on_line,
                           NULL, &r) != 0) {
            status = 1;
        }
    }
    if (!quiet) {
        int f;
        fprintf(stderr, "wormreply match: %lu lines, %lu probes", r.lines,
                r.probes);
        for (f = 0; f < wr_sigset_family_count(set); f++) {
            if (mask & ((wr_family_mask_t)1 << f)) {
                fprintf(stderr, ", %s %lu", wr_sigset_family_name(set, f),
                        r.per_family[f]);
            }
        }
        if (r.cut_lines) {
            fprintf(stderr, ", %lu over-long lines cut", r.cut_lines);
        }
        if (r.bad_lines) {
            fprintf(stderr, ", %lu lines not in the log format",
                    r.bad_lines);
        }
        fputc('\n', stderr);
    }
    if (fflush(stdout) != 0 || r.write_error) {
        status = 1;
    }
    return status;
}
