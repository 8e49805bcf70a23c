/* test_counters.c - the counter field table (wr_counters.h) and the
 * outputs it drives: every scalar of wr_counter_slot_t has exactly one
 * row, names are unique, and the JSON, Prometheus and ?auto outputs each
 * show every row with its value (ages taken at the time given, the farm's
 * rows in ?auto only with a farm, the notes only when set).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_counters.h"

/* has_line - whether `text` holds `line` as a whole line */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    const char *s = text;

    while ((s = strstr(s, line)) != NULL) {
        if ((s == text || s[-1] == '\n') && s[n] == '\n') {
            return 1;
        }
        s += n;
    }
    return 0;
}

/* test_table - one row per scalar, unique names */
static void test_table(void)
{
    const size_t nwords = sizeof(wr_counter_slot_t) / sizeof(apr_uint64_t);
    const size_t fam0 = offsetof(wr_counter_slot_t, family)
                        / sizeof(apr_uint64_t);
    const size_t act0 = offsetof(wr_counter_slot_t, action)
                        / sizeof(apr_uint64_t);
    int *rows = calloc(nwords, sizeof(int));
    const wr_counter_field_t *f, *g;
    size_t k, bad = 0, dup = 0, nfields = 0;

    for (f = wr_counter_fields; f->name; f++, nfields++) {
        if (f->off % sizeof(apr_uint64_t) || f->off >= sizeof(wr_counter_slot_t)
            || f->status == NULL || f->label == NULL || f->help == NULL
            || (f->section == NULL) != !!(f->flags & WR_CF_HEAD)) {
            check(0, "row %s: offset, names and section well-formed",
                  f->name);
            continue;
        }
        rows[f->off / sizeof(apr_uint64_t)]++;
        for (g = wr_counter_fields; g != f; g++) {
            dup += !strcmp(g->name, f->name) || !strcmp(g->status, f->status);
        }
        check(wr_counter_field_find(f->name) == f, "found by name: %s",
              f->name);
    }
    for (k = 0; k < nwords; k++) {
        int grouped = (k >= fam0 && k < fam0 + WR_COUNTER_FAMILIES)
                      || (k >= act0 && k < act0 + WR_ACT_COUNT);
        if (rows[k] != (grouped ? 0 : 1)) {
            bad++;
            printf("# slot word %zu: %d rows\n", k, rows[k]);
        }
    }
    check_int(bad, 0, "every scalar of the slot has exactly one row "
              "(%zu rows)", nfields);
    check_int(dup, 0, "JSON and ?auto names are unique");
    check(wr_counter_field_find("nope") == NULL, "an unknown name: NULL");
    free(rows);
}

/* test_outputs - JSON, Prometheus and ?auto show every row */
static void test_outputs(apr_pool_t *p)
{
    apr_size_t size = wr_counters_size(1);
    void *mem = calloc(1, size);
    wr_counters_t *c;
    wr_counter_slot_t *s0, *sn, sum;
    const wr_counter_field_t *f;
    apr_time_t now = apr_time_from_sec(1700000000);
    const char *json, *prom, *aut, *aut_farm;
    apr_uint64_t v = 1000;
    int missing = 0;

    check_int(wr_counters_attach(&c, mem, size, 1, p), APR_SUCCESS,
              "counters attached");
    wr_counters_family(c, "nimda");
    s0 = wr_counters_slot(c, 0);
    sn = wr_counters_notifier(c);
    for (f = wr_counter_fields; f->name; f++) {
        /* the notifier's gauges in its slot, the others in a worker's */
        *wr_counter_ptr(f, (f->flags & (WR_CF_AGE | WR_CF_GAUGE)) ? sn : s0)
            = (f->flags & WR_CF_AGE) ? 1700000000 - 42 : v++;
    }
    wr_counters_set_smtp_error(c, "451 4.3.0 \"try\" later\x01", now);
    wr_counters_snapshot(c, &sum);
    json = wr_counters_format(c, &sum, WR_FORMAT_JSON, now, p);
    prom = wr_counters_format(c, &sum, WR_FORMAT_PROMETHEUS, now, p);
    aut = wr_counters_auto(c, &sum, 0, now, p);
    aut_farm = wr_counters_auto(c, &sum, 1, now, p);
    check(WR_COUNTERS_SCHEMA == 1
          && strstr(json, "{\"schema\": 1, \"since\": ") == json,
          "the JSON's first key is its schema version, 1");
    for (f = wr_counter_fields; f->name; f++) {
        apr_uint64_t want = wr_counter_value(f, &sum, now);
        const char *val = (f->flags & WR_CF_USEC)
            ? apr_psprintf(p, "%.6f", (double)want / 1e6)
            : apr_psprintf(p, "%" APR_UINT64_T_FMT, want);
        const char *sfx = (f->flags & (WR_CF_GAUGE | WR_CF_AGE)) ? ""
                                                                 : "_total";
        const char *a = apr_psprintf(p, "WormReply%s: %" APR_UINT64_T_FMT,
                                     f->status, want);

        if (!strstr(json, apr_psprintf(p, "\"%s\": %s,", f->name, val))
            && !strstr(json, apr_psprintf(p, "\"%s\": %s}", f->name, val))) {
            missing++;
            printf("# JSON lacks %s: %s\n", f->name, val);
        }
        if (!(f->flags & WR_CF_NOPROM)
            && !has_line(prom, apr_psprintf(p, "wormreply_%s%s %s", f->name,
                                            sfx, val))) {
            missing++;
            printf("# Prometheus lacks %s\n", f->name);
        }
        if (!has_line(aut_farm, a)
            || !has_line(aut, a) != !!(f->flags & WR_CF_FARM)) {
            missing++;
            printf("# ?auto wrong for %s\n", a);
        }
    }
    check_int(missing, 0, "every row in JSON, Prometheus and ?auto, with "
              "its value; the farm's in ?auto only with a farm");
    check(has_line(aut, "WormReplyQueueOldestSeconds: 42"),
          "an age: seconds since the time the notifier wrote");
    check(strstr(json, "\"queue_oldest_seconds\": 42,") != NULL,
          "... the same in JSON");
    check(has_line(prom, "# TYPE wormreply_queued gauge")
          && has_line(prom, "# TYPE wormreply_spooled_total counter"),
          "gauges and counters typed as such");
    check(!strstr(prom, "\nwormreply_probes_total ")
          && has_line(prom, "wormreply_probes_total{family=\"nimda\"} 0"),
          "probes: only the labelled metric in Prometheus");
    check(strstr(json, "\"smtp_last_error\": \"451 4.3.0 \\\"try\\\" "
                       "later?\"") != NULL,
          "a note in JSON, escaped, control bytes replaced");
    check(has_line(aut, "WormReplySMTPLastError: 451 4.3.0 \"try\" later?"),
          "... and in ?auto");
    check(strstr(json, "farm_last_error") == NULL
          && strstr(aut_farm, "FarmLastError") == NULL,
          "a note not set is not shown");
    wr_counters_set_farm_error(c, "connection refused", now);
    check(!strstr(wr_counters_auto(c, &sum, 0, now, p), "FarmLastError")
          && has_line(wr_counters_auto(c, &sum, 1, now, p),
                      "WormReplyFarmLastError: connection refused"),
          "the farm's note in ?auto only with a farm");
    check(strstr(json, "\"families\": {") != NULL
          && strstr(json, "\"probe_seconds\": ")
             < strstr(json, "\"families\": {")
          && strstr(json, "\"actions\": {") < strstr(json, "\"spooled\": ")
          && strstr(json, "{\"schema\": 1, \"since\": ") == json,
          "the groups between the head and the other rows");
    check(strstr(json, "\"confidence\": {\"certain\": ") != NULL
          && strstr(json, "\"families\": {")
             < strstr(json, "\"confidence\": {")
          && strstr(json, "\"notifying_probes\": 0, \"actions\": {")
             != NULL,
          "probes by confidence and of families that notify, before the "
          "actions");
    /* a time in the future (clock stepped back) is no age */
    *wr_counter_ptr(wr_counter_field_find("queue_oldest_seconds"), &sum)
        = 1700000000 + 5;
    check_int(wr_counter_value(wr_counter_field_find("queue_oldest_seconds"),
                               &sum, now), 0, "a future time: age 0");
    free(mem);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_table();
    test_outputs(p);
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
