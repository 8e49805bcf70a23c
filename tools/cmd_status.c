/* cmd_status.c - "wormreply status": the counters of a running module,
 * read from its status handler (SetHandler wormreply-status), as a table,
 * as the JSON itself, or as a live view with the machine's CPU load
 *
 * The handler is fetched with a plain HTTP/1.0 GET over an APR socket:
 * one request, the answer read to the end of the connection, bounded in
 * size and time. The JSON is read by the core's strict reader
 * (wr_statusjson), so an unexpected answer is an error, not a guess.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_getopt.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_uri.h>

#include "cli_args.h"
#include "cli_statusurl.h"
#include "cmd_status.h"
#include "wr_counters.h"
#include "wr_statusjson.h"
#include "wr_time.h"

#define DEFAULT_PATH "/wormreply-status"
/* the table's first column: the longest counter name and a space */
#define NAME_WIDTH 21
/* headers on top of the largest document the reader takes */
#define ANSWER_MAX (WR_STATUSJSON_MAX + 64 * 1024)

enum {
    OPT_JSON = 256,
    OPT_PROMETHEUS,
    OPT_WATCH,
    OPT_COUNT,
    OPT_TIMEOUT
};

typedef struct {
    apr_pool_t *pool;
    const char *url;
    const char *host;           /* for the Host header */
    const char *target;         /* path?query */
    apr_sockaddr_t *addrs;
    apr_interval_time_t timeout;
} fetch_t;

/* One poll of the live view. */
typedef struct {
    apr_time_t at;
    wr_statusjson_t *doc;
    int have_cpu;
    unsigned long long busy, total;     /* jiffies, all CPUs */
} sample_t;

/* usage - the verb's help */
static void usage(FILE *f)
{
    fprintf(f,
        "usage: wormreply status [options] [URL]\n"
        "\n"
        "Shows the counters of a running mod_wormreply, read from its status\n"
        "handler (<Location /wormreply-status> SetHandler wormreply-status).\n"
        "Without a URL the handler of the shipped wormreply-status.conf is\n"
        "used (a2enconf wormreply-status): its path from\n"
        "$APACHE_CONFDIR/conf-enabled/wormreply-status.conf, the port from\n"
        "the first Listen of $APACHE_CONFDIR/ports.conf, on 127.0.0.1\n"
        "(APACHE_CONFDIR: %s when unset).\n"
        "\n"
        "options:\n"
        "      --json            print the handler's JSON as it is\n"
        "      --prometheus      print the Prometheus text format as it is\n"
        "      --watch SECONDS   a live view: one line every SECONDS with the\n"
        "                        requests and probes per second (per family),\n"
        "                        the CPU load and the probes' share of it\n"
        "      --count N         with --watch: stop after N lines (and print\n"
        "                        the totals); default: until interrupted\n"
        "      --timeout SECONDS connect and read timeout (5)\n"
        "  -h, --help            this help\n"
        "\n"
        "The live view's CPU figures come from /proc/stat of the machine the\n"
        "command runs on, so watch a server on this machine:\n"
        "  CPU%%    busy time of all CPUs (user, nice, system, irq, softirq,\n"
        "          steal) over their total time, in the interval\n"
        "  SHARE%%  the time httpd spent recognising and answering probes\n"
        "          (the handler's probe_seconds, counted per request from\n"
        "          the first hook to the answer) over the busy CPU time of\n"
        "          the whole machine in the interval: the part of the work\n"
        "          the machine did that went to the worms. probe_seconds is\n"
        "          elapsed time, so a probe that waits (for a slow client,\n"
        "          say) counts in full and the share is an upper bound.\n"
        "\n"
        "Exit status: 0 done; 1 the server could not be reached, did not\n"
        "answer 200, or its answer could not be read, or no URL was given\n"
        "and the status handler is not enabled; 2 usage.\n",
        "/etc/apache2");
}

/* setup - parse the URL and resolve it once. @return NULL or an error */
static const char *setup(fetch_t *f, const char *url, const char *query)
{
    apr_uri_t u;
    apr_status_t rv;
    const char *path, *q;

    if (apr_uri_parse(f->pool, url, &u) != APR_SUCCESS || u.hostname == NULL
        || u.scheme == NULL) {
        return apr_psprintf(f->pool, "'%s' is not an http:// URL", url);
    }
    if (strcasecmp(u.scheme, "http") != 0) {
        return apr_psprintf(f->pool, "'%s': only http:// is supported", url);
    }
    if (u.port_str != NULL && u.port == 0) {
        return apr_psprintf(f->pool, "'%s': bad port", url);
    }
    if (u.port_str == NULL) {
        u.port = 80;
    }
    path = u.path && *u.path ? u.path : DEFAULT_PATH;
    q = u.query;
    if (query != NULL) {
        q = q && *q ? apr_pstrcat(f->pool, q, "&", query, NULL) : query;
    }
    f->target = q ? apr_pstrcat(f->pool, path, "?", q, NULL) : path;
    f->host = apr_psprintf(f->pool, strchr(u.hostname, ':') ? "[%s]:%u"
                           : "%s:%u", u.hostname, (unsigned)u.port);
    /* the URL as fetched, for messages and headings */
    f->url = apr_pstrcat(f->pool, "http://", f->host, f->target, NULL);
    rv = apr_sockaddr_info_get(&f->addrs, u.hostname, APR_UNSPEC, u.port, 0,
                               f->pool);
    if (rv != APR_SUCCESS) {
        char buf[128];
        return apr_psprintf(f->pool, "cannot resolve '%s': %s", u.hostname,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    return NULL;
}

/* fetch - GET the target; *body and *blen get the body of a 200 answer.
 * @return NULL, or what went wrong */
static const char *fetch(fetch_t *f, apr_pool_t *p, char **body,
                         apr_size_t *blen)
{
    apr_sockaddr_t *sa;
    apr_socket_t *s = NULL;
    apr_status_t rv = APR_EGENERAL;
    apr_time_t deadline = apr_time_now() + 2 * f->timeout;
    const char *req, *eoh;
    char *ans = apr_palloc(p, ANSWER_MAX + 1), buf[128];
    apr_size_t have = 0, n;
    int code;

    for (sa = f->addrs; sa; sa = sa->next) {
        rv = apr_socket_create(&s, sa->family, SOCK_STREAM, APR_PROTO_TCP, p);
        if (rv != APR_SUCCESS) {
            continue;
        }
        apr_socket_timeout_set(s, f->timeout);
        if ((rv = apr_socket_connect(s, sa)) == APR_SUCCESS) {
            break;
        }
        apr_socket_close(s);
        s = NULL;
    }
    if (s == NULL) {
        return apr_psprintf(p, "cannot connect to %s: %s", f->host,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    req = apr_psprintf(p, "GET %s HTTP/1.0\r\nHost: %s\r\n"
                       "Accept: application/json, text/plain;q=0.5\r\n"
                       "User-Agent: wormreply-status\r\n"
                       "Connection: close\r\n\r\n", f->target, f->host);
    n = strlen(req);
    rv = apr_socket_send(s, req, &n);
    if (rv == APR_SUCCESS && n != strlen(req)) {
        rv = APR_EGENERAL;
    }
    while (rv == APR_SUCCESS) {
        if (have >= ANSWER_MAX) {
            apr_socket_close(s);
            return apr_psprintf(p, "%s: answer larger than %d bytes", f->url,
                                ANSWER_MAX);
        }
        if (apr_time_now() > deadline) {
            rv = APR_TIMEUP;
            break;
        }
        n = ANSWER_MAX - have;
        rv = apr_socket_recv(s, ans + have, &n);
        have += n;
    }
    apr_socket_close(s);
    if (rv != APR_EOF) {
        return apr_psprintf(p, "%s: %s", f->url,
                            apr_strerror(rv, buf, sizeof(buf)));
    }
    ans[have] = '\0';
    if (have < 12 || strncmp(ans, "HTTP/1.", 7) != 0 || ans[8] != ' '
        || (code = atoi(ans + 9)) < 100) {
        return apr_psprintf(p, "%s: not an HTTP answer", f->url);
    }
    if (code != 200) {
        return apr_psprintf(p, "%s: the server answered %.*s", f->url,
                            (int)strcspn(ans + 9, "\r\n"), ans + 9);
    }
    if ((eoh = strstr(ans, "\r\n\r\n")) == NULL) {
        return apr_psprintf(p, "%s: the answer has no end of headers", f->url);
    }
    *body = (char *)eoh + 4;
    *blen = have - (apr_size_t)(eoh + 4 - ans);
    return NULL;
}

/* poll_doc - fetch and parse. @return NULL or an error */
static const char *poll_doc(fetch_t *f, apr_pool_t *p, wr_statusjson_t **doc)
{
    char *body;
    apr_size_t blen;
    const char *err = fetch(f, p, &body, &blen);

    if (err != NULL) {
        return err;
    }
    if (wr_statusjson_parse(body, blen, doc, &err, p) != APR_SUCCESS) {
        return apr_psprintf(p, "%s: not the counters JSON: %s", f->url, err);
    }
    if (wr_statusjson_number(*doc, "probes") == NULL
        || wr_statusjson_number(*doc, "requests") == NULL) {
        return apr_psprintf(p, "%s: not the counters JSON: no 'requests' or "
                            "'probes'", f->url);
    }
    return NULL;
}

/* num - a number of the document as a double, 0 when absent */
static double num(const wr_statusjson_t *d, const char *name)
{
    const wr_statusjson_num_t *n = wr_statusjson_number(d, name);

    return n ? n->value : 0;
}

/* unum - a counter, exact when the document has it exact */
static apr_uint64_t unum(const wr_statusjson_t *d, const char *name)
{
    const wr_statusjson_num_t *n = wr_statusjson_number(d, name);

    return n == NULL ? 0 : n->exact ? n->u : (apr_uint64_t)n->value;
}

/* gnum - a member of a group, exact when possible; 0 when absent */
static apr_uint64_t gnum(const wr_statusjson_t *d, const char *group,
                         const char *name)
{
    const wr_statusjson_group_t *g = wr_statusjson_group(d, group);
    const wr_statusjson_num_t *n = g ? wr_statusjson_member(g, name) : NULL;

    return n == NULL ? 0 : n->exact ? n->u : (apr_uint64_t)n->value;
}

/* print_num - one table row, with what it means when known */
static void print_num(const char *indent, const wr_statusjson_num_t *n,
                      const char *label)
{
    int w = NAME_WIDTH - (int)strlen(indent);

    if (n->exact) {
        printf("%s%-*s %14" APR_UINT64_T_FMT, indent, w, n->name, n->u);
    }
    else {
        printf("%s%-*s %14.6f", indent, w, n->name, n->value);
    }
    if (label) {
        printf("   %s", label);
    }
    putchar('\n');
}

/* show_table - the counters once, each known one (the module's counter
 * field table, wr_counters.h) with what it means; members this CLI does
 * not know are shown as they come */
static void show_table(const fetch_t *f, const wr_statusjson_t *d)
{
    apr_uint64_t req = unum(d, "requests"), pr = unum(d, "probes");
    double ps = num(d, "probe_seconds");
    const char *since = wr_statusjson_string(d, "since");
    const wr_counter_note_t *nt;
    int i, k;

    printf("wormreply status of %s\n", f->url);
    if (unum(d, "schema") > WR_COUNTERS_SCHEMA) {
        /* a newer module: its keys may mean something else */
        fprintf(stderr, "wormreply status: the server's counters are of "
                "schema %" APR_UINT64_T_FMT ", this wormreply knows %d: "
                "see --json\n", unum(d, "schema"), WR_COUNTERS_SCHEMA);
    }
    printf("%-*s %s\n", NAME_WIDTH, "since", since ? since : "-");
    for (i = 0; i < d->numbers->nelts; i++) {
        const wr_statusjson_num_t *n = &APR_ARRAY_IDX(d->numbers, i,
                                                      wr_statusjson_num_t);
        const wr_counter_field_t *cf = wr_counter_field_find(n->name);

        if (!strcmp(n->name, "schema")) {
            continue;           /* the document's version, not a counter */
        }
        if (!strcmp(n->name, "probes")) {
            printf("%-*s %14" APR_UINT64_T_FMT "   %.2f %% of requests\n",
                   NAME_WIDTH, "probes", pr,
                   req ? 100.0 * (double)pr / (double)req : 0.0);
        }
        else if (!strcmp(n->name, "probe_seconds")) {
            printf("%-*s %14.6f   %s", NAME_WIDTH, "probe_seconds", ps,
                   cf ? cf->label : "");
            if (pr > 0) {
                printf(", %.1f us per probe", ps * 1e6 / (double)pr);
            }
            putchar('\n');
        }
        else {
            print_num("", n, cf ? cf->label : NULL);
        }
    }
    for (nt = wr_counter_notes; nt->name; nt++) {
        if (wr_statusjson_string(d, nt->name)) {
            printf("%-*s %s\n", NAME_WIDTH, nt->name,
                   wr_statusjson_string(d, nt->name));
        }
    }
    for (i = 0; i < d->groups->nelts; i++) {
        const wr_statusjson_group_t *g = &APR_ARRAY_IDX(d->groups, i,
                                                        wr_statusjson_group_t);
        printf("%s\n", g->name);
        for (k = 0; k < g->members->nelts; k++) {
            print_num("  ", &APR_ARRAY_IDX(g->members, k,
                                           wr_statusjson_num_t), NULL);
        }
    }
}

/* read_cpu - busy and total jiffies of all CPUs from /proc/stat.
 * @return 0, or -1 where there is no /proc/stat */
static int read_cpu(unsigned long long *busy, unsigned long long *total)
{
    unsigned long long v[8] = {0};
    FILE *fp = fopen("/proc/stat", "r");
    int n, i;

    if (fp == NULL) {
        return -1;
    }
    n = fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
               &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(fp);
    if (n < 4) {
        return -1;
    }
    /* user nice system idle iowait irq softirq steal; guest time is
     * already in user and nice */
    *total = 0;
    for (i = 0; i < 8; i++) {
        *total += v[i];
    }
    *busy = *total - v[3] - v[4];
    return 0;
}

/* take - one sample. @return NULL or an error */
static const char *take(fetch_t *f, apr_pool_t *p, sample_t *s)
{
    const char *err = poll_doc(f, p, &s->doc);

    s->at = apr_time_now();
    s->have_cpu = read_cpu(&s->busy, &s->total) == 0;
    return err;
}

/* watch_header - the column heads; the families are those of the first
 * sample (a family added later shows in the totals at the end) */
static void watch_header(const wr_statusjson_group_t *fam)
{
    int i;

    printf("%-8s %9s %9s", "TIME", "REQ/S", "PROBES/S");
    for (i = 0; fam && i < fam->members->nelts; i++) {
        printf(" %10.10s/s", APR_ARRAY_IDX(fam->members, i,
                                          wr_statusjson_num_t).name);
    }
    printf(" %6s %8s\n", "CPU%", "SHARE%");
}

/* watch - the live view; @return the exit status */
static int watch(fetch_t *f, apr_interval_time_t every, long count)
{
    apr_pool_t *pa, *pb;
    sample_t first, prev, cur;
    const wr_statusjson_group_t *fam;
    const char *err;
    long line;
    int i;
    long tck = sysconf(_SC_CLK_TCK);
    const char *since;

    apr_pool_create(&pa, f->pool);
    apr_pool_create(&pb, f->pool);
    if ((err = take(f, f->pool, &first)) != NULL) {
        fprintf(stderr, "wormreply status: %s\n", err);
        return 1;
    }
    prev = first;
    fam = wr_statusjson_group(first.doc, "families");
    since = wr_statusjson_string(first.doc, "since");
    printf("wormreply status: %s every %s s%s\n", f->url,
           apr_psprintf(f->pool, "%.3g", (double)every / APR_USEC_PER_SEC),
           first.have_cpu ? "" : " (no /proc/stat: no CPU figures)");
    for (line = 0; count <= 0 || line < count; line++) {
        double dt, cpu = -1, share = -1;
        const char *cs;

        if (line % 20 == 0) {
            watch_header(fam);
        }
        fflush(stdout);
        apr_sleep(every);
        /* two pools in turn: the previous sample stays valid */
        apr_pool_clear(line % 2 ? pb : pa);
        if ((err = take(f, line % 2 ? pb : pa, &cur)) != NULL) {
            fprintf(stderr, "wormreply status: %s\n", err);
            return 1;
        }
        cs = wr_statusjson_string(cur.doc, "since");
        if (unum(cur.doc, "requests") < unum(prev.doc, "requests")
            || (since && cs && strcmp(since, cs) != 0)) {
            /* start over from a sample that lives as long as the watch */
            printf("-- the counters restarted (%s)\n", cs ? cs : "?");
            if ((err = take(f, f->pool, &first)) != NULL) {
                fprintf(stderr, "wormreply status: %s\n", err);
                return 1;
            }
            prev = first;
            since = wr_statusjson_string(first.doc, "since");
            continue;
        }
        dt = (double)(cur.at - prev.at) / APR_USEC_PER_SEC;
        dt = dt > 0 ? dt : 1e-6;
        if (cur.have_cpu && prev.have_cpu && cur.total > prev.total) {
            double busy_s = (double)(cur.busy - prev.busy) / (double)tck;
            cpu = 100.0 * (double)(cur.busy - prev.busy)
                  / (double)(cur.total - prev.total);
            if (busy_s > 0) {
                share = 100.0 * (num(cur.doc, "probe_seconds")
                                 - num(prev.doc, "probe_seconds")) / busy_s;
            }
        }
        {
            char tbuf[16];
            apr_time_exp_t x;
            apr_time_exp_lt(&x, cur.at);
            apr_snprintf(tbuf, sizeof(tbuf), "%02d:%02d:%02d", x.tm_hour,
                         x.tm_min, x.tm_sec);
            printf("%-8s %9.1f %9.1f", tbuf,
                   (double)(unum(cur.doc, "requests")
                            - unum(prev.doc, "requests")) / dt,
                   (double)(unum(cur.doc, "probes")
                            - unum(prev.doc, "probes")) / dt);
        }
        for (i = 0; fam && i < fam->members->nelts; i++) {
            const char *name = APR_ARRAY_IDX(fam->members, i,
                                             wr_statusjson_num_t).name;
            printf(" %12.1f", (double)(gnum(cur.doc, "families", name)
                                       - gnum(prev.doc, "families", name))
                              / dt);
        }
        if (cpu >= 0) {
            printf(" %6.1f", cpu);
        }
        else {
            printf(" %6s", "-");
        }
        if (share >= 0) {
            printf(" %8.3f\n", share);
        }
        else {
            printf(" %8s\n", "-");
        }
        prev = cur;
    }
    /* totals over the whole watch, exact counts */
    {
        double dt = (double)(prev.at - first.at) / APR_USEC_PER_SEC;
        const wr_statusjson_group_t *g = wr_statusjson_group(prev.doc,
                                                             "families");
        printf("-- %.1f s: %" APR_UINT64_T_FMT " requests, %" APR_UINT64_T_FMT
               " probes", dt,
               unum(prev.doc, "requests") - unum(first.doc, "requests"),
               unum(prev.doc, "probes") - unum(first.doc, "probes"));
        for (i = 0; g && i < g->members->nelts; i++) {
            const char *name = APR_ARRAY_IDX(g->members, i,
                                             wr_statusjson_num_t).name;
            printf(", %s %" APR_UINT64_T_FMT, name,
                   gnum(prev.doc, "families", name)
                   - gnum(first.doc, "families", name));
        }
        printf(", %.6f s answering probes\n", num(prev.doc, "probe_seconds")
               - num(first.doc, "probe_seconds"));
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/* seconds_arg - a duration (wr_time.h: "5", "0.5", "2s", "1m") from
 * 0.01 s to a day. @return 0, or -1 */
static int seconds_arg(const char *s, apr_interval_time_t *out)
{
    apr_interval_time_t d;

    if (wr_duration_parse(s, &d) != APR_SUCCESS
        || d < apr_time_from_msec(10) || d > apr_time_from_sec(86400)) {
        return -1;
    }
    *out = d;
    return 0;
}

int wr_cli_status(apr_pool_t *pool, const wr_sigset_t *set,
                  wr_family_mask_t mask, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"json", OPT_JSON, 0, "JSON as it is"},
        {"prometheus", OPT_PROMETHEUS, 0, "Prometheus text as it is"},
        {"watch", OPT_WATCH, 1, "live view"},
        {"count", OPT_COUNT, 1, "lines of the live view"},
        {"timeout", OPT_TIMEOUT, 1, "timeout"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_getopt_t *os;
    const char *arg, *err, *url;
    apr_interval_time_t every = 0;
    fetch_t f;
    int opt, rc, json = 0, prom = 0;
    long count = 0;
    char *end;

    (void)set;
    (void)mask;
    memset(&f, 0, sizeof(f));
    f.pool = pool;
    f.timeout = apr_time_from_sec(5);
    wr_cli_getopt_init(&os, pool, &argc, &argv, opts);
    while ((opt = wr_cli_getopt(os, opts, "status", usage, &arg, &rc)) > 0) {
        switch (opt) {
        case OPT_JSON:
            json = 1;
            break;
        case OPT_PROMETHEUS:
            prom = 1;
            break;
        case OPT_WATCH:
            if (seconds_arg(arg, &every) != 0) {
                fprintf(stderr, "wormreply status: --watch '%s' is not a "
                        "number of seconds from 0.01 to 86400\n", arg);
                return 2;
            }
            break;
        case OPT_COUNT:
            errno = 0;
            count = strtol(arg, &end, 10);
            if (errno || *end || end == arg || count < 1) {
                fprintf(stderr, "wormreply status: --count '%s' is not a "
                        "positive number\n", arg);
                return 2;
            }
            break;
        case OPT_TIMEOUT:
            if (seconds_arg(arg, &f.timeout) != 0) {
                fprintf(stderr, "wormreply status: --timeout '%s' is not a "
                        "number of seconds from 0.01 to 86400\n", arg);
                return 2;
            }
            break;
        default:
            break;
        }
    }
    if (opt < 0) {
        return rc;
    }
    if (argc - os->ind > 1 || json + prom + (every > 0) > 1
        || (count > 0 && every == 0)) {
        if (count > 0 && every == 0) {
            fprintf(stderr, "wormreply status: --count goes with --watch\n");
        }
        else if (argc - os->ind <= 1) {
            fprintf(stderr, "wormreply status: --json, --prometheus and "
                    "--watch exclude each other\n");
        }
        usage(stderr);
        return 2;
    }
    if (argc - os->ind == 1) {
        url = argv[os->ind];
    }
    else if ((url = wr_cli_status_url(pool, &err)) == NULL) {
        fprintf(stderr, "wormreply status: %s\n", err);
        return 1;
    }
    if ((err = setup(&f, url, prom ? "format=prometheus" : NULL)) != NULL) {
        fprintf(stderr, "wormreply status: %s\n", err);
        return 1;
    }
    if (every > 0) {
        return watch(&f, every, count);
    }
    if (json || prom) {
        char *body;
        apr_size_t blen;
        wr_statusjson_t *doc;

        if ((err = fetch(&f, pool, &body, &blen)) != NULL) {
            fprintf(stderr, "wormreply status: %s\n", err);
            return 1;
        }
        if (json && wr_statusjson_parse(body, blen, &doc, &err, pool)
            != APR_SUCCESS) {
            /* passed through only when it is what it claims to be */
            fprintf(stderr, "wormreply status: %s: not JSON: %s\n", url, err);
            return 1;
        }
        fwrite(body, 1, blen, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    {
        wr_statusjson_t *doc;
        if ((err = poll_doc(&f, pool, &doc)) != NULL) {
            fprintf(stderr, "wormreply status: %s\n", err);
            return 1;
        }
        show_table(&f, doc);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
