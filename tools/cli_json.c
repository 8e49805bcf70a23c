/* cli_json.c - JSON output shared by the CLI's verbs (see cli_json.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cli_args.h"
#include "cli_json.h"
#include "wr_text.h"

int wr_cli_format_json(const char *verb, const char *arg, int *json)
{
    if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0) {
        fprintf(stderr, "%s: --format takes text or json, not '%s'\n", verb,
                arg);
        return -1;
    }
    *json = !strcmp(arg, "json");
    return 0;
}

void wr_cli_json_time(json_t *obj, const char *key, apr_time_t t,
                      apr_pool_t *p)
{
    const char *ukey = apr_pstrcat(p, key, "_unix", NULL);

    if (t == 0) {
        json_object_set_new(obj, key, json_null());
        json_object_set_new(obj, ukey, json_null());
        return;
    }
    json_object_set_new(obj, key, json_string(wr_cli_rfc3339(t, p)));
    json_object_set_new(obj, ukey, json_integer((json_int_t)apr_time_sec(t)));
}

void wr_cli_json_str(json_t *obj, const char *key, const char *s,
                     apr_pool_t *p)
{
    json_t *v = s ? json_string(s) : json_null();

    if (v == NULL) {
        /* not UTF-8 (a record's text comes from the network): its bytes
         * as the text output shows them, "\xNN" */
        v = json_string(wr_text_sanitize(s, 0, 0, 0, p));
    }
    json_object_set_new(obj, key, v ? v : json_null());
}

int wr_cli_json_print(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII
                                 | JSON_PRESERVE_ORDER);
    int rc = -1;

    json_decref(doc);
    if (text != NULL) {
        rc = printf("%s\n", text) < 0 ? -1 : 0;
        free(text);
    }
    return rc;
}
