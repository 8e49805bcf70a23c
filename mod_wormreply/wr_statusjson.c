/* wr_statusjson.c - read back the counters JSON of the status handler,
 * through jansson (the CLI's JSON library; httpd never links it) */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "wr_statusjson.h"

/* number - a JSON number (or true/false) as a wr_statusjson_num_t;
 * 0 if `v` is not one */
static int number(json_t *v, const char *name, wr_statusjson_num_t *n)
{
    n->name = name;
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        n->value = (double)i;
        n->exact = i >= 0;
        n->u = i >= 0 ? (apr_uint64_t)i : 0;
        return 1;
    }
    if (json_is_real(v)) {
        n->value = json_real_value(v);
        n->exact = 0;
        n->u = 0;
        return 1;
    }
    if (json_is_boolean(v)) {
        n->value = json_is_true(v);
        n->exact = 1;
        n->u = json_is_true(v);
        return 1;
    }
    return 0;
}

/* member - one member of the top-level object into `d`; NULL, or why
 * it is refused */
static const char *member(wr_statusjson_t *d, const char *key, json_t *v,
                          apr_pool_t *p)
{
    const char *name = apr_pstrdup(p, key);
    wr_statusjson_num_t n;

    if (json_is_string(v)) {
        wr_statusjson_str_t *s = apr_array_push(d->strings);
        s->name = name;
        s->value = apr_pstrmemdup(p, json_string_value(v),
                                  json_string_length(v));
    }
    else if (json_is_object(v)) {
        wr_statusjson_group_t *g = apr_array_push(d->groups);
        const char *k;
        json_t *m;

        g->name = name;
        g->members = apr_array_make(p, (int)json_object_size(v) + 1,
                                    sizeof(wr_statusjson_num_t));
        json_object_foreach(v, k, m) {
            if (!json_is_number(m) || !number(m, apr_pstrdup(p, k), &n)) {
                return apr_psprintf(p, "'%s' in '%s': only numbers are "
                                    "expected inside an object", k, key);
            }
            APR_ARRAY_PUSH(g->members, wr_statusjson_num_t) = n;
        }
    }
    else if (number(v, name, &n)) {
        APR_ARRAY_PUSH(d->numbers, wr_statusjson_num_t) = n;
    }
    else if (json_is_array(v)) {
        return apr_psprintf(p, "'%s': arrays are not expected", key);
    }
    /* null: skipped */
    return NULL;
}

apr_status_t wr_statusjson_parse(const char *buf, apr_size_t len,
                                 wr_statusjson_t **pdoc, const char **err,
                                 apr_pool_t *p)
{
    wr_statusjson_t *d;
    json_error_t e;
    json_t *root = NULL, *v;
    const char *key, *why = NULL;

    if (err != NULL) {
        *err = NULL;
    }
    if (len > WR_STATUSJSON_MAX) {
        why = "document too large";
        goto leave;
    }
    /* jansson keeps an object's members in document order, refuses
     * duplicate keys with the flag, \u0000 without JSON_ALLOW_NUL, lone
     * surrogates, and anything after the value */
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
    if (root == NULL) {
        why = apr_psprintf(p, "offset %d: %s", e.position, e.text);
        goto leave;
    }
    if (!json_is_object(root)) {
        why = "expected an object";
        goto leave;
    }
    d = apr_pcalloc(p, sizeof(*d));
    d->numbers = apr_array_make(p, 8, sizeof(wr_statusjson_num_t));
    d->strings = apr_array_make(p, 2, sizeof(wr_statusjson_str_t));
    d->groups = apr_array_make(p, 2, sizeof(wr_statusjson_group_t));
    json_object_foreach(root, key, v) {
        why = member(d, key, v, p);
        if (why != NULL) {
            goto leave;
        }
    }
    *pdoc = d;
leave:
    if (root != NULL) {
        json_decref(root);
    }
    if (why != NULL && err != NULL) {
        *err = why;
    }
    return why != NULL ? APR_EINVAL : APR_SUCCESS;
}

const wr_statusjson_num_t *wr_statusjson_number(const wr_statusjson_t *doc,
                                                const char *name)
{
    int i;

    for (i = 0; i < doc->numbers->nelts; i++) {
        const wr_statusjson_num_t *n = &APR_ARRAY_IDX(doc->numbers, i,
                                                      wr_statusjson_num_t);
        if (!strcmp(n->name, name)) {
            return n;
        }
    }
    return NULL;
}

const char *wr_statusjson_string(const wr_statusjson_t *doc,
                                 const char *name)
{
    int i;

    for (i = 0; i < doc->strings->nelts; i++) {
        const wr_statusjson_str_t *s = &APR_ARRAY_IDX(doc->strings, i,
                                                      wr_statusjson_str_t);
        if (!strcmp(s->name, name)) {
            return s->value;
        }
    }
    return NULL;
}

const wr_statusjson_group_t *wr_statusjson_group(const wr_statusjson_t *doc,
                                                 const char *name)
{
    int i;

    for (i = 0; i < doc->groups->nelts; i++) {
        const wr_statusjson_group_t *g = &APR_ARRAY_IDX(doc->groups, i,
                                                        wr_statusjson_group_t);
        if (!strcmp(g->name, name)) {
            return g;
        }
    }
    return NULL;
}

const wr_statusjson_num_t *wr_statusjson_member(
    const wr_statusjson_group_t *g, const char *name)
{
    int i;

    for (i = 0; i < g->members->nelts; i++) {
        const wr_statusjson_num_t *n = &APR_ARRAY_IDX(g->members, i,
                                                      wr_statusjson_num_t);
        if (!strcmp(n->name, name)) {
            return n;
        }
    }
    return NULL;
}
