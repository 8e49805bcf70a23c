/* cli_json.h - what the CLI's verbs share in writing JSON (jansson): the
 * "--format text|json" option, times and optional strings as keys, and
 * the document on standard output */
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include <jansson.h>

#include <apr_pools.h>
#include <apr_time.h>

/* wr_cli_format_json - "--format ARG" of `verb` ("wormreply queue"):
 * *json set to 1 for "json", 0 for "text".
 * @return 0, or -1 (said on stderr) for any other ARG */
int wr_cli_format_json(const char *verb, const char *arg, int *json);

/* wr_cli_json_time - KEY: "2024-05-01T12:00:00Z" and KEY_unix: seconds
 * since the epoch, both null when t is 0 (never, not known) */
void wr_cli_json_time(json_t *obj, const char *key, apr_time_t t,
                      apr_pool_t *p);

/* wr_cli_json_str - KEY: s, or null when s is NULL; bytes that are not
 * UTF-8 as "\xNN" (wr_text_sanitize), in p */
void wr_cli_json_str(json_t *obj, const char *key, const char *s,
                     apr_pool_t *p);

/* wr_cli_json_print - `doc` on stdout, indented, ASCII only, with a final
 * LF; takes the reference.
 * @return 0, or -1 if it could not be written */
int wr_cli_json_print(json_t *doc);

#endif
