/* cmd_queue.c - "wormreply queue": the spool for an administrator, like
 * postqueue -p (list) and postsuper -r / -d (retry, drop)
 *
 * Safe while the notifier runs, because every change is one rename or one
 * unlink (wr_spool.h) and records only ever appear whole:
 *   - list/show read records that are complete by construction; a record
 *     that moves on while we look (new/ -> cur/ -> gone) is looked for in
 *     the next directory, never read half-written;
 *   - drop unlinks from new/ or failed/ only: a record in cur/ belongs to
 *     the notifier, which finishes it (a notifier that died hands cur/
 *     back to new/ when it starts, wr_spool_recover);
 *   - retry works on failed/ only, which the notifier never reads: the
 *     record is rewritten (attempts, next-try and failure cleared) in
 *     tmp/, renamed over failed/ID, then renamed into new/
 *     (wr_spool_retry). Each step is atomic, so after a crash the record
 *     is in failed/ (old or new text) or in new/, never in both, never
 *     lost.
 *
 * The spool belongs to httpd's User: everything in it is hostile to root.
 * It is reached only through wr_spool (wr_file.h: directories opened once
 * with O_NOFOLLOW and checked, *at() calls, entries refused unless they
 * are regular files with one link), and every refusal is said.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "cli_args.h"
#include "cli_json.h"
#include "cli_priv.h"
#include "cmd_queue.h"
#include "wr_file.h"
#include "wr_spool.h"

#define DEFAULT_SPOOL "/var/lib/apache2/wormreply/spool"

enum {
    OPT_SPOOL = 256,
    OPT_FORMAT
};

typedef struct {
    apr_pool_t *pool;
    wr_spool_t *spool;
    const char *dir;
    json_t *records;            /* --format json: list's records, else NULL */
} queue_t;

static const char *const state_names[4] = {
    "tmp", "queued", "active", "failed"
};

/* usage - the verb's help */
static void usage(FILE *f)
{
    fprintf(f,
        "usage: wormreply queue [--spool DIR] [--format text|json] COMMAND\n"
        "\n"
        "The notifier's spool of probe events (one record per prober and\n"
        "window), like postqueue -p and postsuper. Safe while the notifier\n"
        "runs: records change by atomic renames only.\n"
        "\n"
        "commands:\n"
        "  list          every record: queued (new/), active (cur/, being\n"
        "                worked on by the notifier) and failed (failed/),\n"
        "                each with why it waits and when it is due (held:\n"
        "                the domain window until T, waiting for DNS, retry\n"
        "                after backoff at T, ...)\n"
        "  failed        the failed records with the reason they failed\n"
        "  show ID       one record in full, with why and due\n"
        "  retry ID|ALL  put failed records back in the queue, with the\n"
        "                attempts, the next-try time and the failure cleared\n"
        "  drop ID|ALL   delete queued or failed records (ALL: every\n"
        "                queued and failed one); active records are left\n"
        "                to the notifier\n"
        "\n"
        "options:\n"
        "      --spool DIR   the spool (default %s;\n"
        "                    WormReplySpool in the httpd configuration)\n"
        "      --format text|json  list, failed: a table (default) or JSON\n"
        "                    (\"schema\": %d)\n"
        "  -h, --help        this help\n"
        "\n"
        "Exit status: 0 done; 1 an ID is unknown, active, not failed\n"
        "(retry) or unreadable, the others are still done; 2 usage;\n"
        "3 the spool is missing or cannot be read (run as root or as\n"
        "httpd's User).\n",
        DEFAULT_SPOOL, WR_QUEUE_JSON_SCHEMA);
}

/* spool_err - say why the spool cannot be used */
static int spool_err(const queue_t *q, const char *what, apr_status_t rv)
{
    wr_cli_cannot_read("queue", "spool", q->dir, what, rv);
    return WR_QUEUE_NO_SPOOL;
}

/* open_spool - an existing spool only (a mistyped --spool must not
 * create anything), each directory a real one owned by the spool's owner
 * (wr_file.h) */
static int open_spool(queue_t *q)
{
    const char *what = NULL;
    apr_status_t rv = wr_spool_attach(&q->spool, q->dir, &what, q->pool);

    if (rv == APR_SUCCESS) {
        return WR_QUEUE_OK;
    }
    if (APR_STATUS_IS_ENOENT(rv)) {
        return spool_err(q, "(not a spool: no tmp/ new/ cur/ failed/)", rv);
    }
    if (what != NULL && strcmp(what, q->dir) != 0) {
        /* a subdirectory: name it */
        const char *sub = strrchr(what, '/');
        return spool_err(q, apr_pstrcat(q->pool, "(", sub ? sub + 1 : what,
                                         "/)", NULL), rv);
    }
    return spool_err(q, NULL, rv);
}

/* refused - say what was refused in the spool, and why */
static void refused(const queue_t *q, wr_spool_dir_e d, const char *id,
                    apr_status_t rv)
{
    char buf[128];

    fprintf(stderr, "wormreply queue: %s/%s: %s (not a record of the "
            "notifier: nothing done; look at it and remove it by hand)\n",
            wr_spool_dir(q->spool, d), id,
            wr_file_strerror(rv, buf, sizeof(buf)));
}

/* find - load `id` from the first directory that has it, looking again
 * from new/ once, so a record that moves on meanwhile is still found.
 * @return APR_SUCCESS (*ev set, *which set), APR_EINVAL (unreadable
 * record or bad id; *which set if found), a refusal or EFBIG (*which
 * set), APR_ENOENT, or an I/O error */
static apr_status_t find(queue_t *q, const char *id, wr_spool_dir_e *which,
                         wr_event_t **ev, apr_pool_t *p)
{
    apr_status_t rv = APR_ENOENT;
    int round, d;

    for (round = 0; round < 2; round++) {
        for (d = WR_SPOOL_NEW; d <= WR_SPOOL_FAILED; d++) {
            rv = wr_spool_load(q->spool, (wr_spool_dir_e)d, id, ev, p);
            if (!APR_STATUS_IS_ENOENT(rv)) {
                *which = (wr_spool_dir_e)d;
                return rv;
            }
        }
    }
    return rv;
}

/* why_of - a record's state in words and when the notifier acts on it
 * next, from its directory and the decision the notifier noted in it
 * (wr_spool.h: decision, reason, due) */
static void why_of(wr_spool_dir_e d, const wr_event_t *ev, apr_time_t now,
                   const char **why, const char **due, apr_time_t *due_at,
                   apr_pool_t *p)
{
    *due_at = 0;                /* not a time: now, never, not known */
    switch (d) {
    case WR_SPOOL_FAILED:
        *why = apr_pstrcat(p, "failed: ", ev->failure && *ev->failure
                           ? ev->failure : "(no reason recorded)", NULL);
        *due = "never (wormreply queue retry ID)";
        return;
    case WR_SPOOL_NEW:
        if (ev->next_try > now) {
            /* the reason of the notifier's last backoff */
            const char *bo = ev->decision && !strcmp(ev->decision, "backoff")
                             ? ev->reason : NULL;
            *why = bo ? apr_pstrcat(p, "retry after backoff (", bo, ")",
                                    NULL)
                      : "retry after backoff";
            *due = wr_cli_rfc3339(ev->next_try, p);
            *due_at = ev->next_try;
        }
        else {
            *why = ev->next_try > 0
                   ? "waiting for the notifier (its backoff is over)"
                   : "waiting for the notifier to take it";
            *due = "now";
        }
        return;
    case WR_SPOOL_CUR:
        if (ev->decision && !strcmp(ev->decision, "held")) {
            *why = apr_pstrcat(p, "held: ", ev->reason ? ev->reason
                               : "(no reason recorded)", NULL);
            *due = ev->due > 0 ? wr_cli_rfc3339(ev->due, p) : "not known";
            *due_at = ev->due > 0 ? ev->due : 0;
        }
        else {
            *why = "waiting for DNS: the source's name, domain and mail "
                   "servers are looked up";
            *due = "now";
        }
        return;
    default:
        *why = "being written";
        *due = "now";
        return;
    }
}

/* record_json - one record as list's JSON: its id, state, what the text
 * row and lines say, with times as RFC 3339 and seconds */
static json_t *record_json(wr_spool_dir_e d, const char *id,
                           const wr_event_t *ev, apr_time_t now,
                           apr_pool_t *p)
{
    json_t *o = json_object();
    const char *why, *due;
    apr_time_t due_at;

    why_of(d, ev, now, &why, &due, &due_at, p);
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "state", json_string(state_names[d]));
    wr_cli_json_str(o, "address", ev->address, p);
    wr_cli_json_str(o, "family", ev->family, p);
    wr_cli_json_str(o, "vhost", ev->vhost && *ev->vhost ? ev->vhost : NULL,
                    p);
    json_object_set_new(o, "count", json_integer((json_int_t)ev->count));
    wr_cli_json_time(o, "first_seen", ev->first_seen, p);
    wr_cli_json_time(o, "last_seen", ev->last_seen, p);
    json_object_set_new(o, "attempts", json_integer(ev->attempts));
    wr_cli_json_time(o, "next_try", ev->next_try, p);
    wr_cli_json_str(o, "reason", why, p);
    json_object_set_new(o, "due", json_string(due));
    json_object_set_new(o, "due_unix", due_at > 0
                        ? json_integer((json_int_t)apr_time_sec(due_at))
                        : json_null());
    wr_cli_json_str(o, "failure", ev->failure, p);
    return o;
}

/* list_dir - one table section, or its records appended to q->records
 * (--format json); @return records, or -1 on an error */
static int list_dir(queue_t *q, wr_spool_dir_e d, int reasons)
{
    apr_array_header_t *ids;
    apr_time_t now = apr_time_now();
    const char *why, *due;
    apr_time_t due_at;
    apr_pool_t *p;
    apr_status_t rv;
    int i, n = 0;

    rv = wr_spool_list(q->spool, d, &ids, q->pool);
    if (rv != APR_SUCCESS) {
        spool_err(q, state_names[d], rv);
        return -1;
    }
    apr_pool_create(&p, q->pool);
    for (i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        wr_event_t *ev;

        apr_pool_clear(p);
        rv = wr_spool_load(q->spool, d, id, &ev, p);
        if (APR_STATUS_IS_ENOENT(rv)) {
            continue;           /* moved on since the listing */
        }
        n++;
        if (rv != APR_SUCCESS) {
            char buf[128];
            const char *why_not = rv == APR_EINVAL
                ? "malformed or unknown version"
                : wr_file_strerror(rv, buf, sizeof(buf));

            if (q->records) {
                json_array_append_new(q->records, json_pack(
                    "{s:s, s:s, s:s}", "id", id, "state", state_names[d],
                    "unreadable", why_not));
                continue;
            }
            printf("%-52s %-6s (unreadable: %s)\n", id, state_names[d],
                   why_not);
            continue;
        }
        if (q->records) {
            json_array_append_new(q->records,
                                  record_json(d, id, ev, now, p));
            continue;
        }
        printf("%-52s %-6s %6" APR_UINT64_T_FMT " %s %s %s\n", id,
               state_names[d], ev->count, wr_cli_rfc3339(ev->last_seen, p),
               ev->address, ev->family);
        if (ev->attempts > 0 || ev->next_try > 0) {
            printf("%8sattempts %u, next try %s\n", "",
                   (unsigned)ev->attempts, wr_cli_rfc3339(ev->next_try, p));
        }
        if (reasons && ev->failure != NULL) {
            printf("%8s(%s)\n", "", ev->failure);
        }
        why_of(d, ev, now, &why, &due, &due_at, p);
        printf("%8s%s; due %s\n", "", why, due);
    }
    apr_pool_destroy(p);
    return n;
}

/* cmd_list - postqueue -p: every record, or the failed ones; a table, or
 * with --format json one document:
 * {"schema", "generator", "spool", "records": [...], "totals": {...}} */
static int cmd_list(queue_t *q, int failed_only, int json)
{
    int n[4] = {0, 0, 0, 0}, d;

    if (json) {
        q->records = json_array();
    }
    else {
        printf("%-52s %-6s %6s %-20s %s\n", "ID", "STATE", "COUNT",
               "LAST SEEN", "ADDRESS FAMILY");
    }
    for (d = failed_only ? WR_SPOOL_FAILED : WR_SPOOL_NEW;
         d <= WR_SPOOL_FAILED; d++) {
        n[d] = list_dir(q, (wr_spool_dir_e)d, 1);
        if (n[d] < 0) {
            json_decref(q->records);
            q->records = NULL;
            return WR_QUEUE_NO_SPOOL;
        }
    }
    if (json) {
        json_t *doc = json_pack("{s:i, s:s, s:s, s:o, s:{s:i, s:i, s:i, "
                                "s:i}}",
            "schema", WR_QUEUE_JSON_SCHEMA,
            "generator", failed_only ? "wormreply queue failed"
                                     : "wormreply queue list",
            "spool", q->dir, "records", q->records,
            "totals", "records", n[WR_SPOOL_NEW] + n[WR_SPOOL_CUR]
                                 + n[WR_SPOOL_FAILED],
            "queued", n[WR_SPOOL_NEW], "active", n[WR_SPOOL_CUR],
            "failed", n[WR_SPOOL_FAILED]);

        q->records = NULL;
        return doc && wr_cli_json_print(doc) == 0 ? WR_QUEUE_OK
                                                  : WR_QUEUE_NOT_DONE;
    }
    if (failed_only) {
        printf("-- %d failed\n", n[WR_SPOOL_FAILED]);
    }
    else {
        printf("-- %d records: %d queued, %d active, %d failed\n",
               n[WR_SPOOL_NEW] + n[WR_SPOOL_CUR] + n[WR_SPOOL_FAILED],
               n[WR_SPOOL_NEW], n[WR_SPOOL_CUR], n[WR_SPOOL_FAILED]);
    }
    return WR_QUEUE_OK;
}

/* print_raw - a record that cannot be parsed, control bytes escaped */
static void print_raw(queue_t *q, wr_spool_dir_e d, const char *id)
{
    char *buf;
    apr_size_t n, i;

    if (wr_spool_raw(q->spool, d, id, &buf, &n, q->pool) != APR_SUCCESS) {
        return;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n' || (c >= 0x20 && c < 0x7f && c != '\\')) {
            putchar(c);
        }
        else {
            printf("\\x%02x", c);
        }
    }
    if (n > 0 && buf[n - 1] != '\n') {
        putchar('\n');
    }
}

/* cmd_show - one record in full (postcat -q); an unreadable one as its
 * bytes, escaped */
static int cmd_show(queue_t *q, const char *id)
{
    wr_spool_dir_e d = WR_SPOOL_NEW;
    wr_event_t *ev;
    const char *text;
    apr_status_t rv = find(q, id, &d, &ev, q->pool);

    if (APR_STATUS_IS_ENOENT(rv)) {
        fprintf(stderr, "wormreply queue: %s: no such record\n", id);
        return WR_QUEUE_NOT_DONE;
    }
    if (rv == APR_SUCCESS) {
        const char *why, *due;
        apr_time_t due_at;

        why_of(d, ev, apr_time_now(), &why, &due, &due_at, q->pool);
        /* the notifier's notes are said once, in words */
        ev->decision = NULL;
        ev->reason = NULL;
        ev->due = 0;
        if (wr_event_dump(ev, &text, NULL, q->pool) == APR_SUCCESS) {
            printf("id: %s\nstate: %s\nwhy: %s\ndue: %s\n%s", id,
                   state_names[d], why, due, text);
            return WR_QUEUE_OK;
        }
    }
    if (WR_FILE_IS_REFUSED(rv) || rv == APR_FROM_OS_ERROR(EFBIG)) {
        refused(q, d, id, rv);
        return WR_QUEUE_NOT_DONE;
    }
    if (rv != APR_SUCCESS && rv != APR_EINVAL) {
        return spool_err(q, id, rv);
    }
    printf("id: %s\nstate: %s\n", id, state_names[d]);
    print_raw(q, d, id);
    fprintf(stderr, "wormreply queue: %s: unreadable record (malformed or "
            "of an unknown version)\n", id);
    return WR_QUEUE_NOT_DONE;
}

/* Results of one_retry and one_drop besides WR_QUEUE_OK/NOT_DONE: the
 * record went away meanwhile (taken and finished by the notifier, or
 * dropped by someone else), which "ALL" passes over in silence. */
#define ONE_GONE (-1)

/* one_retry - retry one id */
static int one_retry(queue_t *q, const char *id, int all, apr_pool_t *p)
{
    wr_spool_dir_e d = WR_SPOOL_NEW;
    wr_event_t *ev;
    char buf[128];
    apr_status_t rv = find(q, id, &d, &ev, p);

    if (rv == APR_SUCCESS && d != WR_SPOOL_FAILED) {
        fprintf(stderr, "wormreply queue: %s: not failed (%s)\n", id,
                state_names[d]);
        return WR_QUEUE_NOT_DONE;
    }
    if (rv == APR_SUCCESS) {
        rv = wr_spool_retry(q->spool, id, p);
    }
    if (WR_FILE_IS_REFUSED(rv) || rv == APR_FROM_OS_ERROR(EFBIG)) {
        refused(q, d, id, rv);
        return WR_QUEUE_NOT_DONE;
    }
    if (rv == APR_SUCCESS) {
        printf("%s: requeued\n", id);
        return WR_QUEUE_OK;
    }
    if (APR_STATUS_IS_ENOENT(rv)) {
        if (all) {
            return ONE_GONE;
        }
        fprintf(stderr, "wormreply queue: %s: no such record\n", id);
    }
    else if (rv == APR_EINVAL) {
        fprintf(stderr, "wormreply queue: %s: unreadable record, not "
                "retried (show it, drop it)\n", id);
    }
    else {
        fprintf(stderr, "wormreply queue: %s: %s\n", id,
                wr_file_strerror(rv, buf, sizeof(buf)));
    }
    return WR_QUEUE_NOT_DONE;
}

/* one_drop - delete one id from new/ or failed/ */
static int one_drop(queue_t *q, const char *id, int all, apr_pool_t *p)
{
    wr_event_t *ev;
    char buf[128];
    apr_status_t rv;

    wr_spool_dir_e d = WR_SPOOL_NEW;

    rv = wr_spool_remove(q->spool, d, id, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        d = WR_SPOOL_FAILED;
        rv = wr_spool_remove(q->spool, d, id, p);
    }
    if (rv == APR_SUCCESS) {
        printf("%s: dropped\n", id);
        return WR_QUEUE_OK;
    }
    if (WR_FILE_IS_REFUSED(rv)) {
        refused(q, d, id, rv);
        return WR_QUEUE_NOT_DONE;
    }
    if (APR_STATUS_IS_ENOENT(rv)) {
        apr_status_t in_cur = wr_spool_load(q->spool, WR_SPOOL_CUR, id, &ev,
                                            p);
        if (!APR_STATUS_IS_ENOENT(in_cur)) {
            fprintf(stderr, "wormreply queue: %s: active (the notifier is "
                    "working on it), not dropped\n", id);
        }
        else if (all) {
            return ONE_GONE;
        }
        else {
            fprintf(stderr, "wormreply queue: %s: no such record\n", id);
        }
    }
    else if (rv == APR_EINVAL) {
        fprintf(stderr, "wormreply queue: '%s' is not a record id\n", id);
    }
    else {
        fprintf(stderr, "wormreply queue: %s: %s\n", id,
                wr_file_strerror(rv, buf, sizeof(buf)));
    }
    return WR_QUEUE_NOT_DONE;
}

/* for_ids - run `one` on `arg`, or with "ALL" on every id of `dirs` */
static int for_ids(queue_t *q, const char *arg, const wr_spool_dir_e *dirs,
                   int ndirs, int (*one)(queue_t *, const char *, int,
                                         apr_pool_t *))
{
    apr_pool_t *p;
    int rc = WR_QUEUE_OK, i, k, n = 0;

    apr_pool_create(&p, q->pool);
    if (strcmp(arg, "ALL") != 0) {
        rc = one(q, arg, 0, p);
        apr_pool_destroy(p);
        return rc == WR_QUEUE_OK ? WR_QUEUE_OK : WR_QUEUE_NOT_DONE;
    }
    for (k = 0; k < ndirs; k++) {
        apr_array_header_t *ids;
        apr_status_t rv = wr_spool_list(q->spool, dirs[k], &ids, q->pool);
        if (rv != APR_SUCCESS) {
            apr_pool_destroy(p);
            return spool_err(q, state_names[dirs[k]], rv);
        }
        for (i = 0; i < ids->nelts; i++) {
            int r;

            apr_pool_clear(p);
            r = one(q, APR_ARRAY_IDX(ids, i, const char *), 1, p);
            if (r == WR_QUEUE_OK) {
                n++;
            }
            else if (r == WR_QUEUE_NOT_DONE) {
                rc = WR_QUEUE_NOT_DONE;
            }
        }
    }
    printf("-- %d records\n", n);
    apr_pool_destroy(p);
    return rc;
}

int wr_cli_queue(apr_pool_t *pool, const wr_sigset_t *set,
                 wr_family_mask_t mask, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"spool", OPT_SPOOL, 1, "spool directory"},
        {"format", OPT_FORMAT, 1, "text or json"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    static const wr_spool_dir_e failed_only[] = { WR_SPOOL_FAILED };
    static const wr_spool_dir_e droppable[] = {
        WR_SPOOL_NEW, WR_SPOOL_FAILED
    };
    apr_getopt_t *os;
    const char *arg, *cmd, *id = NULL;
    queue_t q;
    apr_status_t rv;
    int opt, rc, nargs, json = 0;

    (void)set;
    (void)mask;
    memset(&q, 0, sizeof(q));
    q.pool = pool;
    q.dir = DEFAULT_SPOOL;
    wr_cli_getopt_init(&os, pool, &argc, &argv, opts);
    while ((opt = wr_cli_getopt(os, opts, "queue", usage, &arg, &rc)) > 0) {
        switch (opt) {
        case OPT_SPOOL:
            q.dir = arg;
            break;
        case OPT_FORMAT:
            if (wr_cli_format_json("wormreply queue", arg, &json) != 0) {
                return WR_QUEUE_USAGE;
            }
            break;
        default:
            break;
        }
    }
    if (opt < 0) {
        return rc;      /* WR_QUEUE_OK, WR_QUEUE_USAGE */
    }
    nargs = argc - os->ind;
    if (nargs < 1) {
        usage(stderr);
        return WR_QUEUE_USAGE;
    }
    cmd = argv[os->ind];
    if (nargs > 1) {
        id = argv[os->ind + 1];
    }
    if (!strcmp(cmd, "list") || !strcmp(cmd, "failed")) {
        if (nargs != 1) {
            usage(stderr);
            return WR_QUEUE_USAGE;
        }
    }
    else if (!strcmp(cmd, "show") || !strcmp(cmd, "retry")
             || !strcmp(cmd, "drop")) {
        if (nargs != 2) {
            fprintf(stderr, "wormreply queue: %s takes one ID%s\n", cmd,
                    strcmp(cmd, "show") ? " or ALL" : "");
            return WR_QUEUE_USAGE;
        }
    }
    else {
        fprintf(stderr, "wormreply queue: unknown command '%s'\n", cmd);
        usage(stderr);
        return WR_QUEUE_USAGE;
    }
    if (id != NULL && strcmp(id, "ALL") != 0 && !wr_spool_id_ok(id)) {
        fprintf(stderr, "wormreply queue: '%s' is not a record id\n", id);
        return WR_QUEUE_NOT_DONE;
    }
    /* never as root in a directory httpd's User can write (cli_priv.h) */
    rv = wr_cli_become_owner(q.dir, NULL, pool);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        return spool_err(&q, rv == APR_EGENERAL
                         ? "(cannot give up root for its owner)" : NULL, rv);
    }
    if ((rc = open_spool(&q)) != WR_QUEUE_OK) {
        return rc;
    }
    if (!strcmp(cmd, "list")) {
        rc = cmd_list(&q, 0, json);
    }
    else if (!strcmp(cmd, "failed")) {
        rc = cmd_list(&q, 1, json);
    }
    else if (!strcmp(cmd, "show")) {
        rc = cmd_show(&q, id);
    }
    else if (!strcmp(cmd, "retry")) {
        rc = for_ids(&q, id, failed_only, 1, one_retry);
    }
    else {
        rc = for_ids(&q, id, droppable, 2, one_drop);
    }
    if (fflush(stdout) != 0 && rc == WR_QUEUE_OK) {
        rc = WR_QUEUE_NOT_DONE;
    }
    return rc;
}
