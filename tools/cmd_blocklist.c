/* cmd_blocklist.c - "wormreply blocklist": the hosts that probed in the
 * last DURATION, from the spool and/or access logs, as a list whose
 * entries expire one window after each host's last probe
 *
 * The spool gives one event per host and window (address, last-seen) not
 * yet finished by the notifier, and the notifier's history (spool/history)
 * every host whose event it finished, notified or not; an access log gives
 * every probe line, matched exactly as the module matches a request. The list itself is built and written by the core
 * (wr_blocklist), so the formats are unit-tested there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include <apr_file_info.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "cli_args.h"
#include "cli_logread.h"
#include "cli_priv.h"
#include "cmd_blocklist.h"
#include "wr_blocklist.h"
#include "wr_history.h"
#include "wr_logfmt.h"
#include "wr_file.h"
#include "wr_spool.h"
#include "wr_time.h"

#define DEFAULT_SPOOL "/var/lib/apache2/wormreply/spool"

enum {
    OPT_SINCE = 256,
    OPT_FORMAT,
    OPT_SPOOL,
    OPT_EXEMPT,
    OPT_NOW,
    OPT_SET,
    OPT_TABLE,
    OPT_TXT,
    OPT_MAX_HOSTS
};

/* usage - the verb's help */
static void usage(FILE *f)
{
    fprintf(f,
        "usage: wormreply blocklist --since DURATION [options] [FILE...]\n"
        "\n"
        "Lists the hosts that sent worm probes in the last DURATION, for a\n"
        "DNSBL or a firewall set, each with an expiry one DURATION after\n"
        "its last probe, so entries fall out by themselves. Sources: the\n"
        "spool (WormReplyNotify On): its events (new/, cur/, failed/) and\n"
        "the notifier's history of every host whose event it finished,\n"
        "notified or not (kept 7 days); and access logs given as FILEs\n"
        "(plain or .gz, '-' for standard input; any format 'report'\n"
        "reads, the README's probes-only log included), whose request\n"
        "lines are matched as the module matches a request. With\n"
        "WormReplyNotify Off there is no spool: give the access log. With\n"
        "no FILE the default spool is read; with FILEs the spool is read\n"
        "only when --spool is given.\n"
        "\n"
        "options:\n"
        "      --since DURATION  the window (required): 30m, 1h, 1d, 1w,\n"
        "                        1h30m, 3600 (a number alone is seconds)\n"
        "      --format FMT      plain (default): ADDRESS<TAB>EXPIRES (UTC)\n"
        "                        rbldnsd: an ip4set dataset (IPv4 only;\n"
        "                          $TIMESTAMP makes rbldnsd stop using it\n"
        "                          after the last expiry)\n"
        "                        ipset: 'ipset restore' input with timeouts\n"
        "                        nftables: 'nft -f' input with timeouts\n"
        "      --spool DIR       read this spool (default %s)\n"
        "  -l, --log-format F    format of the FILEs, as for 'report' (auto)\n"
        "      --exempt CIDR     never list these hosts; repeatable, or a\n"
        "                        comma-separated list\n"
        "      --now TIME        end the window at TIME (RFC 3339, e.g.\n"
        "                        2004-05-01T12:00:00Z) instead of now: for\n"
        "                        old logs and tests\n"
        "      --set NAME        ipset/nftables set name (wormreply; IPv6\n"
        "                        goes to NAME6)\n"
        "      --table 'FAM TAB' nftables family and table ('inet filter')\n"
        "      --txt TEXT        rbldnsd TXT, '$' is the address\n"
        "                        ('Worm probe from $')\n"
        "      --max-hosts N     hosts kept at most (%d); more are counted\n"
        "                        as dropped\n"
        "  -q, --quiet           no summary on stderr\n"
        "  -h, --help            this help\n"
        "plus the common options (wormreply --help).\n"
        "\n"
        "Exit status: 0 written; 1 an input could not be read (the list of\n"
        "what could be read is still written) or writing failed; 2 usage.\n",
        DEFAULT_SPOOL, WR_BLOCKLIST_MAX_HOSTS);
}

/* hist_t - what read_history's callback needs */
typedef struct {
    wr_blocklist_t *bl;
    unsigned long hosts;
} hist_t;

/* read_spool - every event of the spool into the list. An event that
 * moves on between listing and reading (new/ -> cur/ -> gone) is looked
 * for in the later directories; one that is gone was handled already.
 * @return 0, or -1 when the spool cannot be read (reported) */
static int read_spool(wr_blocklist_t *bl, const char *dir,
                      unsigned long *events, unsigned long *unreadable,
                      apr_pool_t *pool)
{
    static const wr_spool_dir_e dirs[] = {
        WR_SPOOL_NEW, WR_SPOOL_CUR, WR_SPOOL_FAILED
    };
    wr_spool_t *spool;
    apr_pool_t *p;
    apr_status_t rv;
    const char *what = NULL;
    char ebuf[128];
    int d, i, k;

    /* an existing spool only, never made from a mistyped path; read as
     * root, through wr_file.h (every directory checked, every record a
     * regular file with one link, bounded) */
    rv = wr_spool_attach(&spool, dir, &what, pool);
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "wormreply blocklist: cannot read the spool '%s': "
                "%s\n", what ? what : dir,
                wr_file_strerror(rv, ebuf, sizeof(ebuf)));
        if (APR_STATUS_IS_ENOENT(rv)) {
            fprintf(stderr, "wormreply blocklist: without WormReplyNotify "
                    "there is no spool; give the access log with the "
                    "probes (FILE)\n");
        }
        return -1;
    }
    apr_pool_create(&p, pool);
    for (d = 0; d < 3; d++) {
        apr_array_header_t *ids;
        rv = wr_spool_list(spool, dirs[d], &ids, pool);
        if (rv != APR_SUCCESS) {
            fprintf(stderr, "wormreply blocklist: cannot list '%s': %s\n",
                    wr_spool_dir(spool, dirs[d]),
                    apr_strerror(rv, ebuf, sizeof(ebuf)));
            apr_pool_destroy(p);
            return -1;
        }
        for (i = 0; i < ids->nelts; i++) {
            const char *id = APR_ARRAY_IDX(ids, i, const char *);
            wr_event_t *ev = NULL;

            apr_pool_clear(p);
            rv = APR_ENOENT;
            for (k = d; k < 3 && APR_STATUS_IS_ENOENT(rv); k++) {
                rv = wr_spool_load(spool, dirs[k], id, &ev, p);
            }
            if (rv == APR_SUCCESS) {
                (*events)++;
                wr_blocklist_add(bl, ev->address, strlen(ev->address),
                                 ev->last_seen);
            }
            else if (!APR_STATUS_IS_ENOENT(rv)) {
                (*unreadable)++;
                if (WR_FILE_IS_REFUSED(rv)
                    || rv == APR_FROM_OS_ERROR(EFBIG)) {
                    fprintf(stderr, "wormreply blocklist: %s/%s: %s\n",
                            wr_spool_dir(spool, dirs[k - 1]), id,
                            wr_file_strerror(rv, ebuf, sizeof(ebuf)));
                }
            }
        }
    }
    apr_pool_destroy(p);
    return 0;
}

/* seen - one host of the history into the list */
static void seen(void *baton, const char *name, apr_size_t len,
                 apr_time_t when)
{
    hist_t *h = baton;

    h->hosts++;
    wr_blocklist_add(h->bl, name, len, when);
}

/* read_history - the hosts the notifier finished with (spool/history).
 * A spool without a history yet (no event finished) gives none.
 * @return 0, or -1 when it cannot be read (reported) */
static int read_history(wr_blocklist_t *bl, const char *dir,
                        unsigned long *hosts, apr_pool_t *pool)
{
    const char *path = apr_pstrcat(pool, dir, "/history", NULL);
    wr_history_t *hist;
    hist_t h;
    apr_status_t rv;

    rv = wr_history_open_existing(&hist, path, pool);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return 0;
    }
    h.bl = bl;
    h.hosts = 0;
    if (rv == APR_SUCCESS) {
        rv = wr_history_each(hist, WR_HISTORY_SEEN, seen, &h);
    }
    *hosts += h.hosts;
    if (rv != APR_SUCCESS) {
        char ebuf[128];
        fprintf(stderr, "wormreply blocklist: cannot read the history "
                "'%s': %s\n", path, apr_strerror(rv, ebuf, sizeof(ebuf)));
        return -1;
    }
    return 0;
}

/* log_run_t - what reading the access logs needs and counts */
typedef struct {
    wr_blocklist_t *bl;
    wr_logfmt_t *fmt;
    const wr_sigset_t *set;
    wr_family_mask_t mask;
    char *req;
    unsigned long probes, bad;
} log_run_t;

/* on_log_line - one access-log line (cli_logread): a probe line adds its
 * client; a line of WR_LOGFMT_LINE_MAX bytes or more, or one without a
 * time or client, is unreadable */
static void on_log_line(void *baton, const char *name,
                        unsigned long long lineno, const char *line,
                        size_t len, int too_long)
{
    log_run_t *r = baton;
    wr_logrec_t rec;
    wr_match_t m;

    (void)name;
    (void)lineno;
    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }
    if (too_long
        || wr_logfmt_parse(r->fmt, line, len, r->req, WR_LOGFMT_LINE_MAX + 1,
                           &rec) != WR_LOGLINE_OK
        || !rec.has_time || rec.client == NULL) {
        r->bad++;
        return;
    }
    if (rec.has_request
        && wr_match_line(r->set, r->mask, rec.request, rec.request_len, &m)) {
        r->probes++;
        wr_blocklist_add(r->bl, rec.client, rec.client_len,
                         apr_time_from_sec(rec.time));
    }
}

/* add_exempt - one --exempt argument, possibly a comma-separated list */
static int add_exempt(wr_blocklist_t *bl, const char *arg, apr_pool_t *p)
{
    char *copy = apr_pstrdup(p, arg), *tok, *last;

    for (tok = apr_strtok(copy, ", ", &last); tok;
         tok = apr_strtok(NULL, ", ", &last)) {
        if (wr_blocklist_exempt(bl, tok) != APR_SUCCESS) {
            fprintf(stderr, "wormreply blocklist: --exempt '%s' is not an "
                    "address or CIDR network\n", tok);
            return -1;
        }
    }
    return 0;
}

int wr_cli_blocklist(apr_pool_t *pool, const wr_sigset_t *set,
                     wr_family_mask_t mask, int argc,
                     const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"since", OPT_SINCE, 1, "window"},
        {"format", OPT_FORMAT, 1, "output format"},
        {"spool", OPT_SPOOL, 1, "spool directory"},
        {"log-format", 'l', 1, "log format"},
        {"exempt", OPT_EXEMPT, 1, "exempt networks"},
        {"now", OPT_NOW, 1, "end of the window"},
        {"set", OPT_SET, 1, "set name"},
        {"table", OPT_TABLE, 1, "nftables family and table"},
        {"txt", OPT_TXT, 1, "rbldnsd TXT"},
        {"max-hosts", OPT_MAX_HOSTS, 1, "host cap"},
        {"quiet", 'q', 0, "no summary"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_getopt_t *os;
    apr_array_header_t *exempt = apr_array_make(pool, 4, sizeof(char *));
    const char *arg, *since = NULL, *spool = NULL, *logfmt = "auto";
    const char *err = NULL;
    wr_blocklist_format_t outfmt = WR_BLOCKLIST_PLAIN;
    wr_blocklist_names_t names;
    wr_blocklist_stats_t st;
    wr_blocklist_t *bl;
    wr_logfmt_t *fmt;
    apr_interval_time_t window;
    apr_time_t now = apr_time_now();
    unsigned long max_hosts = 0, events = 0, unreadable = 0;
    unsigned long history = 0;
    log_run_t lr = {0};
    apr_status_t rv;
    int opt, quiet = 0, i, nfiles, status = 0;
    char *end, *buf;
    gzFile *logs;
    long long *totals;

    wr_blocklist_names_init(&names);
    wr_cli_getopt_init(&os, pool, &argc, &argv, opts);
    while ((opt = wr_cli_getopt(os, opts, "blocklist", usage, &arg, &status)) > 0) {
        switch (opt) {
        case OPT_SINCE:
            since = arg;
            break;
        case OPT_FORMAT:
            if (wr_blocklist_format_parse(arg, &outfmt) != APR_SUCCESS) {
                fprintf(stderr, "wormreply blocklist: --format must be "
                        "plain, rbldnsd, ipset or nftables, not '%s'\n", arg);
                return 2;
            }
            break;
        case OPT_SPOOL:
            spool = arg;
            break;
        case 'l':
            logfmt = arg;
            break;
        case OPT_EXEMPT:
            APR_ARRAY_PUSH(exempt, const char *) = arg;
            break;
        case OPT_NOW:
            if (wr_time_parse(arg, WR_TIME_RFC3339, &now) != APR_SUCCESS) {
                fprintf(stderr, "wormreply blocklist: --now '%s' is not an "
                        "RFC 3339 time (2004-05-01T12:00:00Z)\n", arg);
                return 2;
            }
            break;
        case OPT_SET:
            names.set = arg;
            break;
        case OPT_TABLE: {
            char *sp = apr_pstrdup(pool, arg), *tab = strchr(sp, ' ');
            if (tab == NULL) {
                fprintf(stderr, "wormreply blocklist: --table takes "
                        "'FAMILY TABLE', e.g. 'inet filter'\n");
                return 2;
            }
            *tab++ = '\0';
            names.nft_family = sp;
            names.nft_table = tab;
            break;
        }
        case OPT_TXT:
            names.txt = arg;
            break;
        case OPT_MAX_HOSTS:
            errno = 0;
            max_hosts = strtoul(arg, &end, 10);
            if (errno || *end || end == arg || arg[0] == '-'
                || max_hosts == 0) {
                fprintf(stderr, "wormreply blocklist: --max-hosts '%s' is "
                        "not a positive number\n", arg);
                return 2;
            }
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
    if (since == NULL) {
        fprintf(stderr, "wormreply blocklist: --since DURATION is required\n");
        usage(stderr);
        return 2;
    }
    if (wr_duration_parse(since, &window) != APR_SUCCESS || window <= 0) {
        fprintf(stderr, "wormreply blocklist: --since '%s' is not a "
                "positive duration (30m, 1h, 1d, 1w, 3600)\n", since);
        return 2;
    }
    if (wr_logfmt_compile(&fmt, logfmt, pool, &err) != APR_SUCCESS) {
        fprintf(stderr, "wormreply blocklist: --log-format: %s\n", err);
        return 2;
    }
    if (wr_blocklist_create(&bl, now, window, max_hosts, pool)
        != APR_SUCCESS) {
        fprintf(stderr, "wormreply blocklist: --since '%s' reaches outside "
                "the times this program can represent\n", since);
        return 2;
    }
    for (i = 0; i < exempt->nelts; i++) {
        if (add_exempt(bl, APR_ARRAY_IDX(exempt, i, const char *), pool)) {
            return 2;
        }
    }
    nfiles = argc - os->ind;
    if (spool == NULL && nfiles == 0) {
        spool = DEFAULT_SPOOL;
    }
    /* the logs are often root's: opened first; then, run as root, the
     * spool is read as its owner (cli_priv.h) */
    logs = apr_pcalloc(pool, sizeof(gzFile) * (apr_size_t)(nfiles + 1));
    totals = apr_pcalloc(pool, sizeof(long long) * (apr_size_t)(nfiles + 1));
    for (i = 0; i < nfiles; i++) {
        logs[i] = wr_cli_logopen("blocklist", argv[os->ind + i], &totals[i]);
        if (logs[i] == NULL) {
            status = 1;
        }
    }
    if (spool != NULL) {
        rv = wr_cli_become_owner(spool, NULL, pool);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
            char ebuf[128];

            fprintf(stderr, "wormreply blocklist: cannot read the spool "
                    "'%s' as its owner: %s\n", spool,
                    wr_file_strerror(rv, ebuf, sizeof(ebuf)));
            for (i = 0; i < nfiles; i++) {
                if (logs[i] != NULL) {
                    gzclose(logs[i]);
                }
            }
            return 1;
        }
        if (read_spool(bl, spool, &events, &unreadable, pool) != 0
            || read_history(bl, spool, &history, pool) != 0) {
            status = 1;
        }
    }
    lr.bl = bl;
    lr.fmt = fmt;
    lr.set = set;
    lr.mask = mask;
    lr.req = apr_palloc(pool, WR_LOGFMT_LINE_MAX + 1);
    buf = apr_palloc(pool, WR_CLI_LOGREAD_CHUNK + WR_LOGFMT_LINE_MAX);
    for (i = 0; i < nfiles; i++) {
        if (logs[i] != NULL
            && wr_cli_logread_open("blocklist", argv[os->ind + i], logs[i],
                                   totals[i], buf, WR_LOGFMT_LINE_MAX - 1,
                                   on_log_line, NULL, &lr) != 0) {
            status = 1;
        }
    }
    rv = wr_blocklist_write(bl, outfmt, &names, stdout);
    if (rv == APR_EINVAL) {
        fprintf(stderr, "wormreply blocklist: --set and --table take "
                "[A-Za-z0-9_-] names, --txt printable ASCII\n");
        return 2;
    }
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "wormreply blocklist: cannot write the list: %s\n",
                strerror(errno));
        status = 1;
    }
    if (!quiet) {
        wr_blocklist_stats(bl, &st);
        fprintf(stderr, "wormreply blocklist: %lu hosts (%lu IPv6) from "
                "%lu spool events, %lu history hosts and %lu log probes; "
                "sightings: %llu in the window, %llu outside, %llu exempt, "
                "%llu bad address, %llu dropped", st.hosts, st.hosts_v6,
                events, history, lr.probes,
                st.sightings[WR_BL_LISTED], st.sightings[WR_BL_OUTSIDE],
                st.sightings[WR_BL_EXEMPT], st.sightings[WR_BL_BAD_ADDRESS],
                st.sightings[WR_BL_DROPPED]);
        if (unreadable) {
            fprintf(stderr, "; %lu unreadable spool records", unreadable);
        }
        if (lr.bad) {
            fprintf(stderr, "; %lu unreadable log lines", lr.bad);
        }
        if (st.v6_left_out) {
            fprintf(stderr, "; %lu IPv6 hosts left out of the ip4set",
                    st.v6_left_out);
        }
        fputc('\n', stderr);
    }
    return status;
}
