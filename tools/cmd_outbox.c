/* cmd_outbox.c - "wormreply outbox": the outbox for an administrator, like
 * postqueue -p (list), postcat (show), postsuper -r / -d (retry, drop)
 *
 * Everything that knows the outbox's layout is in the core (wr_outbox.h);
 * this file parses the command line and prints. list, failed and show
 * take no lock and change nothing; retry and drop take the queue
 * manager's lock (DIR/.lock) first, waiting for a pass in progress for
 * up to --wait seconds, so they never touch a notice in an open SMTP
 * transaction.
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
#include "cmd_outbox.h"
#include "wr_delivery.h"
#include "wr_file.h"
#include "wr_outbox.h"

/* The module's default WormReplyOutbox (WR_STATE_DIR/outbox, as in
 * mod_wormreply_notify.c, whose header needs httpd's). */
#ifndef WR_STATE_DIR
#define WR_STATE_DIR "/var/lib/apache2/wormreply"
#endif
#define DEFAULT_OUTBOX WR_STATE_DIR "/outbox"

/* How long retry and drop wait for a delivery pass to end, by default. */
#define DEFAULT_WAIT 5

enum {
    OPT_OUTBOX = 256,
    OPT_WAIT,
    OPT_FORMAT
};

typedef struct {
    apr_pool_t *pool;
    wr_outbox_t *ob;
    const char *dir;
    int wait;                   /* seconds */
    int json;                   /* --format json */
} outbox_t;

/* usage - the verb's help */
static void usage(FILE *f)
{
    fprintf(f,
        "usage: wormreply outbox [--outbox DIR] [--wait SECONDS]\n"
        "                      [--format text|json] COMMAND\n"
        "\n"
        "The outbox: finished abuse notices waiting for the smarthost\n"
        "(WormReplySmarthost) and those given up on (failed/), like\n"
        "postqueue -p, postcat and postsuper. list, failed and show change\n"
        "nothing; retry and drop take the queue manager's lock first, so a\n"
        "notice in an SMTP transaction is never touched.\n"
        "\n"
        "commands:\n"
        "  list          every notice: id, state (queued, failed; kept for\n"
        "                pickup when there is no smarthost, with when\n"
        "                WormReplyOutboxRetention prunes it), queued\n"
        "                time, size, attempts, next try, recipients, last\n"
        "                error or failure; whether the smarthost backs off;\n"
        "                how many are queued, failed and kept in sent/\n"
        "  failed        the failed notices with the reason they failed\n"
        "  show ID       one notice: its state and envelope records and the\n"
        "                message text (also a notice kept in sent/)\n"
        "  retry ID|ALL  put failed notices back in the queue (ALL: every\n"
        "                failed one) with the attempts, the next try and\n"
        "                the failure cleared and the queued time reset to\n"
        "                now, so that WormReplyMaxQueueTime counts again\n"
        "                from the retry; an ID that is queued and waiting\n"
        "                for its next try is made due now. The smarthost's\n"
        "                backoff is lifted as well: the notifier's next\n"
        "                delivery pass tries at once\n"
        "  drop ID|ALL   delete queued or failed notices with their\n"
        "                envelope and state (ALL: every queued and failed\n"
        "                one); sent/ is left alone\n"
        "  suppressed    every address that is not written to: refused\n"
        "                with a 5xx at RCPT (\"refused\") or bounced later\n"
        "                (\"bounced\", wormreply bounce), with the status,\n"
        "                the diagnostic and until when\n"
        "  unsuppress ADDRESS\n"
        "                take an address off that list: the next notice\n"
        "                for its domain is written to it again\n"
        "\n"
        "options:\n"
        "      --outbox DIR      the outbox (default %s;\n"
        "                        WormReplyOutbox in the httpd configuration)\n"
        "      --format text|json  list, failed, suppressed: a table\n"
        "                        (default) or JSON (list, failed:\n"
        "                        \"schema\": %d)\n"
        "      --wait SECONDS    retry, drop: how long to wait for a delivery\n"
        "                        pass to end (0 to 60, default %d)\n"
        "  -h, --help            this help\n"
        "\n"
        "Exit status: 0 done; 1 an ID is unknown, not a notice id, sent\n"
        "already, or could not be changed (with ALL, the others are still\n"
        "done); 2 usage; 3 the outbox is missing or cannot be read (run as\n"
        "root or as httpd's User); 4 the queue manager kept the outbox\n"
        "locked for the whole wait (a delivery pass in progress): nothing\n"
        "was changed, try again.\n",
        DEFAULT_OUTBOX, WR_OUTBOX_JSON_SCHEMA, DEFAULT_WAIT);
}

/* put_escaped - text for a terminal: CR before LF dropped, a missing
 * final LF added, other control bytes but TAB as \xNN (UTF-8 is left
 * alone) */
static void put_escaped(const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
            continue;
        }
        if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
            putchar(c);
        }
        else {
            printf("\\x%02x", c);
        }
    }
    if (n > 0 && s[n - 1] != '\n') {
        putchar('\n');
    }
}

/* outbox_err - say why the outbox cannot be used */
static int outbox_err(const outbox_t *o, const char *what, const char *why,
                      apr_status_t rv)
{
    wr_cli_cannot_read("outbox", "outbox", what ? what : o->dir, why, rv);
    return WR_OUTBOX_EXIT_NO_OUTBOX;
}

/* open_outbox - an existing outbox only: a mistyped --outbox must not
 * create anything */
static int open_outbox(outbox_t *o)
{
    const char *what = NULL;
    apr_status_t rv = wr_outbox_open(&o->ob, o->dir, &what, o->pool);

    if (rv == APR_SUCCESS) {
        return WR_OUTBOX_EXIT_OK;
    }
    return outbox_err(o, what, APR_STATUS_IS_ENOENT(rv)
                      && what && strcmp(what, o->dir) != 0
                      ? "(not an outbox: no failed/ or sent/)" : NULL, rv);
}

/* lock - the queue manager's lock, waiting up to o->wait seconds */
static int lock(outbox_t *o)
{
    apr_status_t rv = wr_outbox_lock(o->ob, apr_time_from_sec(o->wait));

    if (rv == APR_SUCCESS) {
        return WR_OUTBOX_EXIT_OK;
    }
    if (APR_STATUS_IS_EAGAIN(rv)) {
        fprintf(stderr, "wormreply outbox: the queue manager is delivering "
                "(%s/.lock held for %d s): nothing changed, try again\n",
                o->dir, o->wait);
        return WR_OUTBOX_EXIT_LOCKED;
    }
    return outbox_err(o, apr_pstrcat(o->pool, o->dir, "/.lock", NULL),
                      NULL, rv);
}

/* kept_until - when a notice kept for pickup is pruned, in words */
static const char *kept_until(const wr_outbox_item_t *it,
                              const wr_outbox_counts_t *c, apr_pool_t *p)
{
    if (c->retention <= 0) {
        return "kept for pickup (no smarthost), never pruned";
    }
    return apr_pstrcat(p, "kept for pickup (no smarthost), pruned after ",
                       wr_cli_rfc3339(it->queued + c->retention, p),
                       " (WormReplyOutboxRetention)", NULL);
}

/* print_item - one notice as list rows; without a smarthost (c->pickup)
 * the notices of DIR are kept for pickup, never tried */
static void print_item(const wr_outbox_item_t *it,
                       const wr_outbox_counts_t *c, apr_time_t now,
                       apr_pool_t *p)
{
    const char *next = "-", *state = "queued";
    int kept = it->where == WR_OUTBOX_QUEUED && c->pickup;

    if (kept) {
        state = "kept";
        next = "pickup";
    }
    else if (it->where == WR_OUTBOX_QUEUED) {
        next = it->next_try > now ? wr_cli_rfc3339(it->next_try, p) : "now";
    }
    else {
        state = "failed";
    }
    printf("%-40s %-6s %-20s %8" APR_OFF_T_FMT " %5u %s\n", it->id, state,
           wr_cli_rfc3339(it->queued, p), it->size, (unsigned)it->attempts, next);
    if (kept) {
        printf("%8s%s\n", "", kept_until(it, c, p));
    }
    if (it->rcpt->nelts > 0) {
        int k;

        printf("%8sto:", "");
        for (k = 0; k < it->rcpt->nelts; k++) {
            printf("%s %s", k ? "," : "",
                   APR_ARRAY_IDX(it->rcpt, k, const char *));
        }
        printf("%s\n", it->has_env ? "" : " (from the headers)");
    }
    if (it->where == WR_OUTBOX_FAILED) {
        printf("%8s(%s)\n", "", it->failure ? it->failure
                                            : "no reason recorded");
    }
    else if (it->last_error) {
        printf("%8slast error: %s\n", "", it->last_error);
    }
    if (it->problem) {
        printf("%8sproblem: %s\n", "", it->problem);
    }
}

/* item_json - one notice as list's JSON: what its rows say, with times
 * as RFC 3339 and seconds */
static json_t *item_json(const wr_outbox_item_t *it,
                         const wr_outbox_counts_t *c, apr_time_t now,
                         apr_pool_t *p)
{
    json_t *o = json_object(), *rcpt = json_array();
    int kept = it->where == WR_OUTBOX_QUEUED && c->pickup;
    int k;

    json_object_set_new(o, "id", json_string(it->id));
    json_object_set_new(o, "state", json_string(
        kept ? "kept" : it->where == WR_OUTBOX_QUEUED ? "queued" : "failed"));
    wr_cli_json_time(o, "queued", it->queued, p);
    json_object_set_new(o, "size", json_integer((json_int_t)it->size));
    json_object_set_new(o, "attempts", json_integer(it->attempts));
    wr_cli_json_time(o, "last_try", it->last_try, p);
    wr_cli_json_time(o, "next_try", it->next_try, p);
    /* the NEXT TRY column: now, a time, pickup (never tried), null */
    if (kept) {
        json_object_set_new(o, "due", json_string("pickup"));
    }
    else if (it->where == WR_OUTBOX_QUEUED) {
        json_object_set_new(o, "due", json_string(it->next_try > now
            ? wr_cli_rfc3339(it->next_try, p) : "now"));
    }
    else {
        json_object_set_new(o, "due", json_null());
    }
    wr_cli_json_time(o, "pruned_after", kept && c->retention > 0
                     ? it->queued + c->retention : 0, p);
    for (k = 0; k < it->rcpt->nelts; k++) {
        json_t *v = json_string(APR_ARRAY_IDX(it->rcpt, k, const char *));
        if (v) {
            json_array_append_new(rcpt, v);
        }
    }
    json_object_set_new(o, "recipients", rcpt);
    json_object_set_new(o, "recipients_from_headers",
                        json_boolean(it->rcpt->nelts > 0 && !it->has_env));
    wr_cli_json_str(o, "last_error", it->last_error, p);
    wr_cli_json_str(o, "failure", it->where == WR_OUTBOX_FAILED
                    ? (it->failure ? it->failure : "no reason recorded")
                    : NULL, p);
    wr_cli_json_str(o, "problem", it->problem, p);
    return o;
}

/* list_json - list and failed as one JSON document: {"schema",
 * "generator", "outbox", "pickup", "retention_seconds", "notices",
 * "smarthosts", "totals"} */
static int list_json(outbox_t *o, int failed_only,
                     const apr_array_header_t *items,
                     const wr_outbox_counts_t *c, apr_time_t now)
{
    json_t *notices = json_array(), *hosts = json_array(), *doc;
    int k;

    for (k = 0; k < items->nelts; k++) {
        json_array_append_new(notices, item_json(
            APR_ARRAY_IDX(items, k, wr_outbox_item_t *), c, now, o->pool));
    }
    for (k = 0; k < c->dests->nelts; k++) {
        const wr_outbox_dest_t *d = APR_ARRAY_IDX(c->dests, k,
                                                  wr_outbox_dest_t *);
        json_t *h = json_object();

        json_object_set_new(h, "key", json_string(d->key));
        json_object_set_new(h, "backs_off", json_boolean(d->next_try > now));
        json_object_set_new(h, "failures", json_integer(d->failures));
        wr_cli_json_time(h, "last_try", d->last_try, o->pool);
        wr_cli_json_time(h, "next_try", d->next_try, o->pool);
        wr_cli_json_str(h, "last_error", d->last_error, o->pool);
        json_array_append_new(hosts, h);
    }
    doc = json_pack("{s:i, s:s, s:s, s:b, s:o, s:o, s:o, "
                    "s:{s:i, s:i, s:i, s:i}}",
        "schema", WR_OUTBOX_JSON_SCHEMA,
        "generator", failed_only ? "wormreply outbox failed"
                                 : "wormreply outbox list",
        "outbox", o->dir, "pickup", c->pickup,
        "retention_seconds", c->pickup && c->retention > 0
            ? json_integer((json_int_t)apr_time_sec(c->retention))
            : json_null(),
        "notices", notices, "smarthosts", hosts,
        "totals", "queued", c->pickup ? 0 : c->queued,
        "kept", c->pickup ? c->queued : 0, "failed", c->failed,
        "sent", c->sent);
    return doc && wr_cli_json_print(doc) == 0 ? WR_OUTBOX_EXIT_OK
                                              : WR_OUTBOX_EXIT_NOT_DONE;
}

/* cmd_list - postqueue -p: every notice, or the failed ones; a table or
 * (--format json) list_json */
static int cmd_list(outbox_t *o, int failed_only)
{
    apr_array_header_t *items;
    wr_outbox_counts_t counts;
    apr_time_t now = apr_time_now();
    apr_status_t rv;
    int k;

    rv = wr_outbox_list(o->ob, failed_only ? WR_OUTBOX_FAILED
                        : WR_OUTBOX_QUEUED | WR_OUTBOX_FAILED, &items,
                        &counts, o->pool);
    if (rv != APR_SUCCESS) {
        return outbox_err(o, NULL, NULL, rv);
    }
    if (o->json) {
        return list_json(o, failed_only, items, &counts, now);
    }
    printf("%-40s %-6s %-20s %8s %5s %s\n", "ID", "STATE", "QUEUED", "SIZE",
           "TRIES", "NEXT TRY");
    for (k = 0; k < items->nelts; k++) {
        print_item(APR_ARRAY_IDX(items, k, wr_outbox_item_t *), &counts, now,
                   o->pool);
    }
    if (failed_only) {
        printf("-- %d failed\n", counts.failed);
        return WR_OUTBOX_EXIT_OK;
    }
    for (k = 0; k < counts.dests->nelts; k++) {
        const wr_outbox_dest_t *d = APR_ARRAY_IDX(counts.dests, k,
                                                  wr_outbox_dest_t *);
        if (d->next_try > now) {
            printf("-- the smarthost %s backs off until %s: %u session%s in "
                   "a row delivered nothing%s%s\n", d->key,
                   wr_cli_rfc3339(d->next_try, o->pool), (unsigned)d->failures,
                   d->failures == 1 ? "" : "s",
                   d->last_error ? "; last error: " : "",
                   d->last_error ? d->last_error : "");
        }
    }
    if (counts.pickup) {
        /* no smarthost (the notifier's mark): nothing here is ever sent */
        printf("-- 0 queued, %d kept for pickup, %d failed, %d sent kept\n",
               counts.queued, counts.failed, counts.sent);
        return WR_OUTBOX_EXIT_OK;
    }
    printf("-- %d queued, %d failed, %d sent kept\n", counts.queued,
           counts.failed, counts.sent);
    return WR_OUTBOX_EXIT_OK;
}

/* print_record - "-- NAME" and a record as it is on disk */
static void print_record(const char *id, const char *ext, const char *text)
{
    printf("-- %s%s\n", id, ext);
    if (text) {
        put_escaped(text, strlen(text));
    }
    else {
        printf("(none)\n");
    }
}

/* cmd_show - one notice (postcat -q) */
static int cmd_show(outbox_t *o, const char *id)
{
    static const char *const where_names[5] = {
        "?", "queued", "failed", "?", "sent"
    };
    wr_outbox_item_t *it;
    wr_outbox_counts_t counts;
    apr_array_header_t *items;
    char *data;
    apr_size_t len;
    int truncated;
    char buf[128];
    apr_status_t rv = wr_outbox_get(o->ob, id, &it, o->pool);

    memset(&counts, 0, sizeof(counts));

    if (APR_STATUS_IS_ENOENT(rv)) {
        fprintf(stderr, "wormreply outbox: %s: no such notice\n", id);
        return WR_OUTBOX_EXIT_NOT_DONE;
    }
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "wormreply outbox: %s: %s\n", id,
                wr_file_strerror(rv, buf, sizeof(buf)));
        return WR_OUTBOX_EXIT_NOT_DONE;
    }
    if (it->where == WR_OUTBOX_QUEUED
        && wr_outbox_list(o->ob, 0, &items, &counts, o->pool) == APR_SUCCESS
        && counts.pickup) {
        printf("id: %s\nstate: kept\nfile: %s\nwritten: %s\n%s\n", it->id,
               it->eml_path, wr_cli_rfc3339(it->queued, o->pool),
               kept_until(it, &counts, o->pool));
    }
    else {
        printf("id: %s\nstate: %s\nfile: %s\n", it->id,
               where_names[it->where], it->eml_path);
    }
    if (it->where != WR_OUTBOX_SENT && !counts.pickup) {
        printf("queued: %s\nattempts: %u\nlast try: %s\n",
               wr_cli_rfc3339(it->queued, o->pool), (unsigned)it->attempts,
               wr_cli_rfc3339(it->last_try, o->pool));
        if (it->where == WR_OUTBOX_QUEUED) {
            printf("next try: %s\n", it->next_try > apr_time_now()
                   ? wr_cli_rfc3339(it->next_try, o->pool) : "now");
        }
    }
    if (it->sender) {
        int k;

        printf("envelope: <%s> ->", it->sender);
        for (k = 0; k < it->rcpt->nelts; k++) {
            printf("%s <%s>", k ? "," : "",
                   APR_ARRAY_IDX(it->rcpt, k, const char *));
        }
        printf("%s\n", it->has_env ? "" : " (from the headers)");
    }
    if (it->last_error) {
        printf("last error: %s\n", it->last_error);
    }
    if (it->failure) {
        printf("failure: %s\n", it->failure);
    }
    if (it->problem) {
        printf("problem: %s\n", it->problem);
    }
    if (it->refused) {
        fprintf(stderr, "wormreply outbox: %s: %s: %s (not a notice: "
                "nothing read; look at it and remove it by hand)\n", id,
                it->eml_path, wr_file_strerror(it->refused, buf,
                                               sizeof(buf)));
        return WR_OUTBOX_EXIT_NOT_DONE;
    }
    if (it->where != WR_OUTBOX_SENT) {
        print_record(it->id, ".state", it->state_text);
        print_record(it->id, ".env", it->env_text);
    }
    rv = wr_outbox_message(o->ob, it, WR_DELIVERY_MESSAGE_MAX, &data, &len,
                           &truncated, o->pool);
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "wormreply outbox: %s: cannot read the message: %s\n",
                id, wr_file_strerror(rv, buf, sizeof(buf)));
        return WR_OUTBOX_EXIT_NOT_DONE;
    }
    printf("-- %s.eml (%" APR_OFF_T_FMT " bytes)\n", it->id, it->size);
    put_escaped(data, len);
    if (truncated) {
        printf("-- (cut after %lu bytes)\n", (unsigned long)len);
    }
    return WR_OUTBOX_EXIT_OK;
}

/* delivery - the queue manager's handle on the outbox, for its
 * suppression list; NULL with *rv the error */
static wr_delivery_t *delivery(outbox_t *o, apr_status_t *rv)
{
    wr_delivery_conf_t conf;
    wr_delivery_t *d = NULL;

    wr_delivery_conf_default(&conf);
    *rv = wr_delivery_open(&d, o->dir, &conf, NULL, o->pool);
    return *rv == APR_SUCCESS ? d : NULL;
}

/* cmd_suppressed - the suppression list, a table or JSON */
static int cmd_suppressed(outbox_t *o)
{
    apr_array_header_t *list;
    apr_status_t rv;
    wr_delivery_t *d = delivery(o, &rv);
    int k;

    if (d == NULL) {
        return outbox_err(o, NULL, NULL, rv);
    }
    if ((rv = wr_delivery_suppressions(d, apr_time_now(), &list, o->pool))
        != APR_SUCCESS) {
        return outbox_err(o, apr_pstrcat(o->pool, o->dir, "/suppressed",
                                         NULL), NULL, rv);
    }
    if (o->json) {
        json_t *arr = json_array();

        for (k = 0; k < list->nelts; k++) {
            const wr_suppression_t *s = APR_ARRAY_IDX(list, k,
                                                      wr_suppression_t *);
            json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s, s:s, "
                                                 "s:s, s:I}",
                "address", s->address, "reason", s->reason, "code", s->code,
                "status", s->status, "diagnostic", s->diagnostic,
                "until", wr_cli_rfc3339(s->until, o->pool),
                "until_unix", (json_int_t)apr_time_sec(s->until)));
        }
        if (wr_cli_json_print(arr) != 0) {
            return WR_OUTBOX_EXIT_NOT_DONE;
        }
        return WR_OUTBOX_EXIT_OK;
    }
    printf("%-40s %-8s %-20s %s\n", "ADDRESS", "REASON", "UNTIL",
           "STATUS / DIAGNOSTIC");
    for (k = 0; k < list->nelts; k++) {
        const wr_suppression_t *s = APR_ARRAY_IDX(list, k,
                                                  wr_suppression_t *);
        printf("%-40s %-8s %-20s ", s->address, s->reason,
               wr_cli_rfc3339(s->until, o->pool));
        if (s->code) {
            printf("%d ", s->code);
        }
        put_escaped(s->status, strlen(s->status));
        if (!*s->status) {
            putchar('\n');
        }
        if (*s->diagnostic) {
            printf("%8s", "");
            put_escaped(s->diagnostic, strlen(s->diagnostic));
        }
    }
    printf("-- %d suppressed\n", list->nelts);
    return WR_OUTBOX_EXIT_OK;
}

/* cmd_unsuppress - one address off the list */
static int cmd_unsuppress(outbox_t *o, const char *address)
{
    apr_status_t rv;
    wr_delivery_t *d = delivery(o, &rv);

    if (d == NULL) {
        return outbox_err(o, NULL, NULL, rv);
    }
    rv = wr_delivery_unsuppress(d, address, o->pool);
    if (APR_STATUS_IS_ENOENT(rv)) {
        fprintf(stderr, "wormreply outbox: %s is not suppressed\n", address);
        return WR_OUTBOX_EXIT_NOT_DONE;
    }
    if (rv != APR_SUCCESS) {
        char buf[128];
        fprintf(stderr, "wormreply outbox: cannot unsuppress %s: %s\n",
                address, wr_file_strerror(rv, buf, sizeof(buf)));
        return WR_OUTBOX_EXIT_NOT_DONE;
    }
    printf("%s: no longer suppressed\n", address);
    return WR_OUTBOX_EXIT_OK;
}

/* not_found - ENOENT for retry and drop: sent already, or unknown */
static void not_found(outbox_t *o, const char *id, apr_pool_t *p)
{
    wr_outbox_item_t *it;

    if (wr_outbox_get(o->ob, id, &it, p) == APR_SUCCESS
        && it->where == WR_OUTBOX_SENT) {
        fprintf(stderr, "wormreply outbox: %s: sent already (in sent/), "
                "nothing to do\n", id);
    }
    else {
        fprintf(stderr, "wormreply outbox: %s: no such notice\n", id);
    }
}

/* Result of one_retry and one_drop besides WR_OUTBOX_EXIT_OK/NOT_DONE:
 * the notice went away meanwhile, which "ALL" passes over in silence. */
#define ONE_GONE (-1)

/* one_retry - retry one id; *touched set when something became due */
static int one_retry(outbox_t *o, const char *id, int all, int *touched,
                     apr_pool_t *p)
{
    wr_outbox_retry_e what = WR_OUTBOX_ALREADY_DUE;
    apr_time_t was = 0;
    char buf[128];
    apr_status_t rv = wr_outbox_retry(o->ob, id, apr_time_now(), &what, &was,
                                      p);

    if (rv == APR_SUCCESS) {
        *touched = 1;
        if (what == WR_OUTBOX_REQUEUED) {
            printf("%s: requeued (queued time reset to now)\n", id);
        }
        else if (what == WR_OUTBOX_MADE_DUE) {
            printf("%s: due now (was waiting until %s)\n", id,
                   wr_cli_rfc3339(was, p));
        }
        else {
            printf("%s: queued and due already\n", id);
        }
        return WR_OUTBOX_EXIT_OK;
    }
    if (APR_STATUS_IS_ENOENT(rv)) {
        if (all) {
            return ONE_GONE;
        }
        not_found(o, id, p);
    }
    else if (APR_STATUS_IS_EEXIST(rv)) {
        fprintf(stderr, "wormreply outbox: %s: queued and in failed/ at "
                "once, not retried (drop it, or remove %s/failed/%s.eml)\n",
                id, o->dir, id);
    }
    else {
        fprintf(stderr, "wormreply outbox: %s: %s\n", id,
                wr_file_strerror(rv, buf, sizeof(buf)));
    }
    return WR_OUTBOX_EXIT_NOT_DONE;
}

/* one_drop - delete one id from the queue and failed/ */
static int one_drop(outbox_t *o, const char *id, int all, int *touched,
                    apr_pool_t *p)
{
    int where = 0;
    apr_status_t rv = wr_outbox_drop(o->ob, id, &where, p);

    (void)touched;
    if (rv == APR_SUCCESS) {
        printf("%s: dropped (%s)\n", id,
               where == (WR_OUTBOX_QUEUED | WR_OUTBOX_FAILED)
               ? "queued and failed"
               : where == WR_OUTBOX_FAILED ? "failed" : "queued");
        return WR_OUTBOX_EXIT_OK;
    }
    if (APR_STATUS_IS_ENOENT(rv)) {
        if (all) {
            return ONE_GONE;
        }
        not_found(o, id, p);
    }
    else {
        char buf[128];

        fprintf(stderr, "wormreply outbox: %s: %s\n", id,
                wr_file_strerror(rv, buf, sizeof(buf)));
    }
    return WR_OUTBOX_EXIT_NOT_DONE;
}

/* for_ids - under the lock, `one` on `arg`, or with "ALL" on every notice
 * of `which`; after a retry, the smarthost's backoff is lifted */
static int for_ids(outbox_t *o, const char *arg, int which, int retry,
                   int (*one)(outbox_t *, const char *, int, int *,
                              apr_pool_t *))
{
    apr_pool_t *p;
    int rc, touched = 0;

    if ((rc = lock(o)) != WR_OUTBOX_EXIT_OK) {
        return rc;
    }
    apr_pool_create(&p, o->pool);
    if (strcmp(arg, "ALL") != 0) {
        rc = one(o, arg, 0, &touched, p) == WR_OUTBOX_EXIT_OK
             ? WR_OUTBOX_EXIT_OK : WR_OUTBOX_EXIT_NOT_DONE;
    }
    else {
        apr_array_header_t *items;
        apr_status_t rv = wr_outbox_list(o->ob, which, &items, NULL, o->pool);
        int k, n = 0;

        if (rv != APR_SUCCESS) {
            apr_pool_destroy(p);
            wr_outbox_unlock(o->ob);
            return outbox_err(o, NULL, NULL, rv);
        }
        for (k = 0; k < items->nelts; k++) {
            const wr_outbox_item_t *it = APR_ARRAY_IDX(items, k,
                                                       wr_outbox_item_t *);
            int r;

            apr_pool_clear(p);
            r = one(o, it->id, 1, &touched, p);
            if (r == WR_OUTBOX_EXIT_OK) {
                n++;
            }
            else if (r == WR_OUTBOX_EXIT_NOT_DONE) {
                rc = WR_OUTBOX_EXIT_NOT_DONE;
            }
        }
        printf("-- %d notice%s\n", n, n == 1 ? "" : "s");
    }
    if (retry && touched) {
        int cleared = 0;
        apr_status_t rv = wr_outbox_resume(o->ob, apr_time_now(), &cleared,
                                           p);
        if (rv != APR_SUCCESS) {
            char buf[128];

            fprintf(stderr, "wormreply outbox: cannot lift the smarthost's "
                    "backoff (%s/dest): %s\n", o->dir,
                    wr_file_strerror(rv, buf, sizeof(buf)));
            rc = WR_OUTBOX_EXIT_NOT_DONE;
        }
        else if (cleared > 0) {
            printf("-- the smarthost's backoff is lifted: the next delivery "
                   "pass tries at once\n");
        }
    }
    apr_pool_destroy(p);
    wr_outbox_unlock(o->ob);
    return rc;
}

int wr_cli_outbox(apr_pool_t *pool, const wr_sigset_t *set,
                  wr_family_mask_t mask, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"outbox", OPT_OUTBOX, 1, "outbox directory"},
        {"wait", OPT_WAIT, 1, "seconds to wait for the lock"},
        {"format", OPT_FORMAT, 1, "text or json"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_getopt_t *os;
    const char *arg, *cmd, *id = NULL;
    outbox_t o;
    apr_status_t rv;
    int opt, rc, nargs;

    (void)set;
    (void)mask;
    memset(&o, 0, sizeof(o));
    o.pool = pool;
    o.dir = DEFAULT_OUTBOX;
    o.wait = DEFAULT_WAIT;
    wr_cli_getopt_init(&os, pool, &argc, &argv, opts);
    while ((opt = wr_cli_getopt(os, opts, "outbox", usage, &arg, &rc)) > 0) {
        switch (opt) {
        case OPT_OUTBOX:
            o.dir = arg;
            break;
        case OPT_WAIT: {
            char *end = NULL;
            apr_int64_t w = apr_strtoi64(arg, &end, 10);
            if (end == arg || *end != '\0' || w < 0
                || w > apr_time_sec(WR_OUTBOX_LOCK_WAIT_MAX)) {
                fprintf(stderr, "wormreply outbox: --wait takes 0 to %d "
                        "seconds, not '%s'\n",
                        (int)apr_time_sec(WR_OUTBOX_LOCK_WAIT_MAX), arg);
                return WR_OUTBOX_EXIT_USAGE;
            }
            o.wait = (int)w;
            break;
        }
        case OPT_FORMAT:
            if (wr_cli_format_json("wormreply outbox", arg, &o.json) != 0) {
                return WR_OUTBOX_EXIT_USAGE;
            }
            break;
        default:
            break;
        }
    }
    if (opt < 0) {
        return rc;      /* WR_OUTBOX_EXIT_OK, WR_OUTBOX_EXIT_USAGE */
    }
    nargs = argc - os->ind;
    if (nargs < 1) {
        usage(stderr);
        return WR_OUTBOX_EXIT_USAGE;
    }
    cmd = argv[os->ind];
    if (!strcmp(cmd, "list") || !strcmp(cmd, "failed")
        || !strcmp(cmd, "suppressed")) {
        if (nargs != 1) {
            usage(stderr);
            return WR_OUTBOX_EXIT_USAGE;
        }
    }
    else if (!strcmp(cmd, "show") || !strcmp(cmd, "retry")
             || !strcmp(cmd, "drop")) {
        if (nargs != 2) {
            fprintf(stderr, "wormreply outbox: %s takes one ID%s\n", cmd,
                    strcmp(cmd, "show") ? " or ALL" : "");
            return WR_OUTBOX_EXIT_USAGE;
        }
        id = argv[os->ind + 1];
    }
    else if (!strcmp(cmd, "unsuppress")) {
        if (nargs != 2) {
            fprintf(stderr, "wormreply outbox: unsuppress takes one "
                    "ADDRESS\n");
            return WR_OUTBOX_EXIT_USAGE;
        }
    }
    else {
        fprintf(stderr, "wormreply outbox: unknown command '%s'\n", cmd);
        usage(stderr);
        return WR_OUTBOX_EXIT_USAGE;
    }
    if (id != NULL && (strcmp(id, "ALL") != 0 || !strcmp(cmd, "show"))
        && !wr_outbox_id_ok(id)) {
        fprintf(stderr, "wormreply outbox: '%s' is not a notice id\n", id);
        return WR_OUTBOX_EXIT_NOT_DONE;
    }
    /* never as root in a directory httpd's User can write (cli_priv.h) */
    rv = wr_cli_become_owner(o.dir, NULL, pool);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        return outbox_err(&o, NULL, rv == APR_EGENERAL
                          ? "(cannot give up root for its owner)" : NULL,
                          rv);
    }
    if ((rc = open_outbox(&o)) != WR_OUTBOX_EXIT_OK) {
        return rc;
    }
    if (!strcmp(cmd, "list")) {
        rc = cmd_list(&o, 0);
    }
    else if (!strcmp(cmd, "suppressed")) {
        rc = cmd_suppressed(&o);
    }
    else if (!strcmp(cmd, "unsuppress")) {
        rc = cmd_unsuppress(&o, argv[os->ind + 1]);
    }
    else if (!strcmp(cmd, "failed")) {
        rc = cmd_list(&o, 1);
    }
    else if (id == NULL) {
        rc = WR_OUTBOX_EXIT_USAGE;      /* not reached: checked above */
    }
    else if (!strcmp(cmd, "show")) {
        rc = cmd_show(&o, id);
    }
    else if (!strcmp(cmd, "retry")) {
        rc = for_ids(&o, id, WR_OUTBOX_FAILED, 1, one_retry);
    }
    else {
        rc = for_ids(&o, id, WR_OUTBOX_QUEUED | WR_OUTBOX_FAILED, 0,
                     one_drop);
    }
    if (fflush(stdout) != 0 && rc == WR_OUTBOX_EXIT_OK) {
        rc = WR_OUTBOX_EXIT_NOT_DONE;
    }
    return rc;
}
