/* cmd_report.c - "wormreply report": probe load from access logs
 *
 * Streams each input once through the CLI's log reader (cli_logread: plain
 * or gzip, stdin too): a line is parsed (wr_logfmt), matched and counted
 * (wr_report), then forgotten, so memory does not depend on the length of
 * the logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_getopt.h>
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "cli_args.h"
#include "cli_logread.h"
#include "cmd_report.h"
#include "wr_logfmt.h"
#include "wr_report.h"
#include "wr_resolve.h"
#include "wr_time.h"

enum {
    OPT_FORMAT = 256,
    OPT_BUCKET,
    OPT_TOP,
    OPT_RESOLVE,
    OPT_RESOLVER
};

/* --resolve: at most this many sources are looked up, this many at once */
#define RESOLVE_MAX 1000
#define RESOLVE_INFLIGHT 16

typedef struct {
    wr_logfmt_t *fmt;
    wr_report_t *rep;
    int verbose;
    int progress;
    char *buf;                  /* WR_CLI_LOGREAD_CHUNK + WR_LOGFMT_LINE_MAX */
    char *req;                  /* WR_LOGFMT_LINE_MAX + 1 */
    apr_time_t last_draw;
    unsigned long long lines;   /* over all inputs, for the progress bar */
} run_t;

/* usage - the verb's help */
static void usage(FILE *f)
{
    wr_report_opts_t d;

    wr_report_opts_init(&d);
    fprintf(f,
        "usage: wormreply report [options] [FILE...]\n"
        "\n"
        "Reads access logs (plain or .gz; '-' or none for standard input;\n"
        "several files make one report) and reports the load worm probes put\n"
        "on the server: requests and bytes that are probes, per family, top\n"
        "sources, top probe targets, per virtual host when the log has one,\n"
        "and a series per hour (or --bucket). Each request line is matched\n"
        "exactly as mod_wormreply matches a request.\n"
        "\n"
        "options:\n"
        "      --format FMT      text (default), json, csv or html\n"
        "  -l, --log-format F    common, combined, vhost_combined, worm,\n"
        "                        auto (default: each line tried as\n"
        "                        combined, common, vhost_combined, worm:\n"
        "                        the README's probes-only log) or a\n"
        "                        LogFormat string, e.g.\n"
        "                        '%%h %%l %%u %%t \"%%r\" %%>s %%O'\n"
        "      --bucket DUR      series bucket: 3600, 30m, 1h, 1d, 1w (1h)\n"
        "      --top N           rows per table (10; 0 = all tracked)\n"
        "      --resolve         name the top sources by confirmed reverse\n"
        "                        DNS, as the notifier does (PTR, forward-\n"
        "                        confirmed); at most %d lookups, %d at once\n"
        "      --resolver IP[:PORT]  DNS server for --resolve (default: the\n"
        "                        system's)\n"
        "  -v, --verbose         bad lines' numbers and reasons on stderr\n"
        "  -q, --quiet           no progress bar, no summary on stderr\n"
        "  -h, --help            this help\n"
        "plus the common options (wormreply --help).\n"
        "\n"
        "Memory is bounded: at most %u sources and %u targets are tracked\n"
        "(space-saving top-K: a count is exact when its 'error' is 0, and\n"
        "over-counts by at most 'error' otherwise); lines of %d bytes or\n"
        "more, and lines that do not follow the format, are counted as bad.\n"
        "\n"
        "Exit status: 0 done; 1 an input could not be read or the output\n"
        "could not be written (the report of what could be read is still\n"
        "written); 2 usage.\n",
        RESOLVE_MAX, RESOLVE_INFLIGHT, d.source_cap, d.target_cap,
        WR_LOGFMT_LINE_MAX);
}

/* The names --resolve found, by address: filled before the report is
 * written, read by the namer while it is. */
typedef struct {
    apr_hash_t *names;
    apr_pool_t *pool;
    unsigned long confirmed, other;
} names_t;

/* named - one lookup done: keep the confirmed name (the same rules as the
 * notifier's: valid LDH, forward-confirmed) */
static void named(const wr_resolve_result_t *res, void *baton)
{
    names_t *nm = baton;

    if (res->name != NULL && res->status != WR_RESOLVE_NO_NAME
        && res->status != WR_RESOLVE_BAD_NAME
        && res->status != WR_RESOLVE_NOT_CONFIRMED
        && res->status != WR_RESOLVE_TEMPFAIL) {
        apr_hash_set(nm->names, apr_pstrdup(nm->pool, res->ip),
                     APR_HASH_KEY_STRING, apr_pstrdup(nm->pool, res->name));
        nm->confirmed++;
    }
    else {
        nm->other++;
    }
}

static const char *namer(void *baton, const char *address, apr_pool_t *p)
{
    names_t *nm = baton;

    (void)p;
    return apr_hash_get(nm->names, address, APR_HASH_KEY_STRING);
}

/* resolve_sources - look up the sources the report will show, a bounded
 * number at a bounded rate; @return 0, or -1 if the resolver cannot start */
static int resolve_sources(wr_report_t *rep, unsigned top,
                           const char *servers, names_t *nm, apr_pool_t *p)
{
    wr_resolver_t *res;
    wr_report_top_t *rows;
    unsigned n, k, want = top == 0 || top > RESOLVE_MAX ? RESOLVE_MAX : top;
    int rounds = 0;

    if (wr_resolver_create(&res, p, servers, 1000, 2, NULL) != APR_SUCCESS) {
        return -1;
    }
    wr_resolver_set_max_inflight(res, RESOLVE_INFLIGHT);
    rows = apr_palloc(p, sizeof(*rows) * want);
    n = wr_report_sources(rep, rows, want);
    for (k = 0; k < n; k++) {
        wr_resolver_submit(res, rows[k].key, named, nm);
    }
    /* each lookup ends by its own timeouts; the loop is bounded anyway */
    while (wr_resolver_run(res, apr_time_from_sec(1)) > 0 && rounds++ < 120) {
    }
    wr_report_set_namer(rep, namer, nm);
    return 0;
}

/* parse_duration - a series bucket: a duration (wr_time.h: "90",
 * "15m", "1h", "2d", "1w") of whole seconds, 1 s to 366 d, in seconds */
static int parse_duration(const char *s, long *secs)
{
    apr_interval_time_t d;

    if (wr_duration_parse(s, &d) != APR_SUCCESS || d < apr_time_from_sec(1)
        || d > apr_time_from_sec(366L * 86400) || d % APR_USEC_PER_SEC) {
        return -1;
    }
    *secs = (long)apr_time_sec(d);
    return 0;
}

/* draw_progress - one status line on stderr, at most ten times a second */
static void draw_progress(run_t *r, const char *name, long long off,
                          long long total, int final)
{
    apr_time_t now = apr_time_now();

    if (!final && now - r->last_draw < apr_time_from_msec(100)) {
        return;
    }
    r->last_draw = now;
    if (final) {
        fputs("\r\033[K", stderr);
        return;
    }
    if (total > 0) {
        char bar[31];
        int i, fill;
        double frac;

        frac = off > 0 ? (double)off / (double)total : 0;
        frac = frac > 1 ? 1 : frac;
        fill = (int)(frac * 30);
        for (i = 0; i < 30; i++) {
            bar[i] = i < fill ? '#' : '.';
        }
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3d%% %.40s %llu lines\033[K", bar,
                (int)(frac * 100), name, r->lines);
    }
    else {
        fprintf(stderr, "\r%.40s %llu lines\033[K", name, r->lines);
    }
}

/* one_line - parse, count, and say why a bad line is bad */
static void one_line(run_t *r, const char *name, unsigned long long lineno,
                     const char *line, size_t len, int too_long)
{
    wr_logline_status_t st;
    wr_logrec_t rec;

    r->lines++;
    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }
    st = too_long ? WR_LOGLINE_TOO_LONG
                  : wr_logfmt_parse(r->fmt, line, len, r->req,
                                    WR_LOGFMT_LINE_MAX + 1, &rec);
    if (st == WR_LOGLINE_OK) {
        wr_report_add(r->rep, &rec);
        return;
    }
    wr_report_add_bad(r->rep, st);
    if (r->verbose) {
        fprintf(stderr, "wormreply report: %s:%llu: bad line (%s)\n", name,
                lineno, wr_logline_status_name(st));
    }
}

/* on_line, on_progress - the log reader's callbacks */
static void on_line(void *baton, const char *name, unsigned long long lineno,
                    const char *line, size_t len, int too_long)
{
    one_line(baton, name, lineno, line, len, too_long);
}

static void on_progress(void *baton, const char *name, long long done,
                        long long total)
{
    run_t *r = baton;

    if (r->progress) {
        draw_progress(r, name, done, total, 0);
    }
}

/* read_input - every line of one input; a line of WR_LOGFMT_LINE_MAX bytes
 * or more is counted as too long. @return 0, or -1 after a read error
 * (already reported) */
static int read_input(run_t *r, const char *name)
{
    wr_report_add_input(r->rep, strcmp(name, "-") ? name : "(stdin)");
    return wr_cli_logread("report", name, r->buf, WR_LOGFMT_LINE_MAX - 1,
                          on_line, on_progress, r);
}

int wr_cli_report(apr_pool_t *pool, const wr_sigset_t *set,
                  wr_family_mask_t mask, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"format", OPT_FORMAT, 1, "output format"},
        {"log-format", 'l', 1, "log format"},
        {"bucket", OPT_BUCKET, 1, "series bucket"},
        {"top", OPT_TOP, 1, "rows per table"},
        {"resolve", OPT_RESOLVE, 0, "name the sources"},
        {"resolver", OPT_RESOLVER, 1, "DNS server for --resolve"},
        {"verbose", 'v', 0, "list bad lines"},
        {"quiet", 'q', 0, "no progress, no summary"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_getopt_t *os;
    const char *arg, *logfmt = "auto", *err = NULL;
    wr_report_format_t outfmt = WR_REPORT_TEXT;
    wr_report_opts_t ro;
    wr_report_totals_t t;
    run_t r;
    int opt, quiet = 0, i, nfiles, status = 0, resolve = 0;
    const char *resolver = NULL;
    names_t nm;
    char *end;
    long v;

    memset(&r, 0, sizeof(r));
    wr_report_opts_init(&ro);
    wr_cli_getopt_init(&os, pool, &argc, &argv, opts);
    while ((opt = wr_cli_getopt(os, opts, "report", usage, &arg, &status)) > 0) {
        switch (opt) {
        case OPT_FORMAT:
            if (wr_report_format_parse(arg, &outfmt) != APR_SUCCESS) {
                fprintf(stderr, "wormreply report: --format must be text, "
                        "json, csv or html, not '%s'\n", arg);
                return 2;
            }
            break;
        case 'l':
            logfmt = arg;
            break;
        case OPT_BUCKET:
            if (parse_duration(arg, &ro.bucket) != 0) {
                fprintf(stderr, "wormreply report: --bucket '%s' is not a "
                        "duration of 1 s to 366 d (3600, 30m, 1h, 1d)\n",
                        arg);
                return 2;
            }
            break;
        case OPT_TOP:
            errno = 0;
            v = strtol(arg, &end, 10);
            if (errno || *end || end == arg || v < 0 || v > 1000000) {
                fprintf(stderr, "wormreply report: --top '%s' is not a "
                        "number from 0 to 1000000\n", arg);
                return 2;
            }
            ro.top = (unsigned)v;
            break;
        case OPT_RESOLVE:
            resolve = 1;
            break;
        case OPT_RESOLVER:
            resolve = 1;
            resolver = arg;
            break;
        case 'v':
            r.verbose = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            break;
        }
    }
    if (opt < 0) {
        return status;
    }
    if (wr_logfmt_compile(&r.fmt, logfmt, pool, &err) != APR_SUCCESS) {
        fprintf(stderr, "wormreply report: --log-format: %s\n", err);
        return 2;
    }
    ro.log_format = wr_logfmt_spec(r.fmt);
    if (wr_report_create(&r.rep, set, mask, &ro, pool) != APR_SUCCESS) {
        fprintf(stderr, "wormreply report: out of memory\n");
        return 1;
    }
    r.buf = apr_palloc(pool, WR_CLI_LOGREAD_CHUNK + WR_LOGFMT_LINE_MAX);
    r.req = apr_palloc(pool, WR_LOGFMT_LINE_MAX + 1);
    r.progress = !quiet && isatty(STDERR_FILENO);

    nfiles = argc - os->ind;
    for (i = 0; i < (nfiles > 0 ? nfiles : 1); i++) {
        const char *name = nfiles > 0 ? argv[os->ind + i] : "-";
        if (read_input(&r, name) != 0) {
            status = 1;
        }
    }
    if (r.progress) {
        draw_progress(&r, "", 0, 0, 1);
    }
    if (resolve) {
        nm.names = apr_hash_make(pool);
        nm.pool = pool;
        nm.confirmed = nm.other = 0;
        if (resolve_sources(r.rep, ro.top, resolver, &nm, pool) != 0) {
            fprintf(stderr, "wormreply report: --resolve: cannot use the "
                    "resolver %s\n", resolver ? resolver : "of the system");
            return 2;
        }
        if (!quiet) {
            fprintf(stderr, "wormreply report: %lu sources named by "
                    "confirmed reverse DNS, %lu not\n", nm.confirmed,
                    nm.other);
        }
    }
    if (wr_report_write(r.rep, outfmt, stdout) != APR_SUCCESS) {
        fprintf(stderr, "wormreply report: cannot write the report: %s\n",
                strerror(errno));
        status = 1;
    }
    if (!quiet) {
        wr_report_totals(r.rep, &t);
        fprintf(stderr, "wormreply report: %llu lines, %llu requests, "
                "%llu probes, %llu bad lines%s\n", t.lines, t.requests,
                t.probes, t.bad_lines,
                t.bad_lines && !r.verbose ? " (--verbose lists them)" : "");
    }
    return status;
}
