/* wr_sigfile.c - signature files: the text format of wr_match.h read
 * into a set (families, titles, attributes, patterns) */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "wr_match_int.h"

apr_status_t wr_subject_parse(const char *s, wr_subject_t *subj)
{
    if (!strcmp(s, "norm")) {
        *subj = WR_SUBJ_NORM;
    }
    else if (!strcmp(s, "raw")) {
        *subj = WR_SUBJ_RAW;
    }
    else if (!strcmp(s, "line")) {
        *subj = WR_SUBJ_LINE;
    }
    else {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* next_token - split off the next blank-separated word of [*s, end) */
static const char *next_token(apr_pool_t *p, const char **s, const char *end)
{
    const char *b = *s, *e;

    while (b < end && (*b == ' ' || *b == '\t')) {
        b++;
    }
    e = b;
    while (e < end && *e != ' ' && *e != '\t') {
        e++;
    }
    *s = e;
    return e > b ? apr_pstrmemdup(p, b, (apr_size_t)(e - b)) : NULL;
}

/* load_family - the rest of a "family NAME on|off [KEY=VALUE ...]
 * [description]" line: every attribute is checked before the family is
 * declared, so a refused line changes nothing */
/* load_text - a "title NAME TEXT" or "about NAME TEXT" line: the text
 * the notices give for a family declared before; "about" lines add up */
static apr_status_t load_text(wr_sigset_t *set, const char *what,
                              const char *fname, const char *text,
                              const char **err)
{
    int f = fname ? wr_sigset_family_index(set, fname) : -1;
    wr_family_t *fam;

    if (f < 0 || *text == '\0') {
        *err = apr_psprintf(set->pool, "expected '%s NAME TEXT' for a "
                            "family declared before", what);
        return APR_EINVAL;
    }
    fam = &set->families[f];
    if (!strcmp(what, "title")) {
        fam->title = apr_pstrdup(set->pool, text);
    }
    else {
        fam->about = fam->about ? apr_pstrcat(set->pool, fam->about, " ",
                                              text, NULL)
                                : apr_pstrdup(set->pool, text);
    }
    return APR_SUCCESS;
}

static apr_status_t load_family(wr_sigset_t *set, const char *fname,
                                const char *rest, const char **err)
{
    const char *r = rest, *end = rest + strlen(rest), *onoff;
    const char *keys[WR_FAMILY_KEYS_MAX], *values[WR_FAMILY_KEYS_MAX];
    int nattrs = 0, k, f;
    apr_status_t rv;

    onoff = next_token(set->pool, &r, end);
    if (fname == NULL || onoff == NULL
        || (strcmp(onoff, "on") && strcmp(onoff, "off"))) {
        *err = "expected 'family NAME on|off [KEY=VALUE ...] [description]'";
        return APR_EINVAL;
    }
    for (;;) {
        const char *key, *value, *at = r, *word;
        if ((word = next_token(set->pool, &r, end)) == NULL
            || !wr_family_attr_split(word, &key, &value, set->pool)) {
            r = at;
            break;
        }
        if ((rv = wr_family_attr_check(key, value, &k, err, set->pool))
            != APR_SUCCESS) {
            return rv;
        }
        if (nattrs == WR_FAMILY_KEYS_MAX) {
            *err = "too many family attributes";
            return APR_EINVAL;
        }
        keys[nattrs] = key;
        values[nattrs++] = value;
    }
    while (*r == ' ' || *r == '\t') {
        r++;
    }
    if ((rv = wr_sigset_declare_family(set, fname, !strcmp(onoff, "on"), r,
                                       err)) != APR_SUCCESS) {
        return rv;
    }
    f = wr_sigset_family_index(set, fname);
    for (k = 0; k < nattrs; k++) {
        if ((rv = wr_sigset_family_set_attr(set, f, keys[k], values[k], err))
            != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t wr_sigset_load_buffer(wr_sigset_t *set, const char *text,
                                   size_t len, const char *name,
                                   const char **err)
{
    const char *s = text, *end = text + len;
    int lineno = 0;
    apr_status_t rv;

    while (s < end) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        const char *le = eol ? eol : end, *cur = s;
        const char *first, *second, *rest;
        const char *origin;

        lineno++;
        s = eol ? eol + 1 : end;
        while (le > cur && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t')) {
            le--;
        }
        first = next_token(set->pool, &cur, le);
        if (first == NULL || first[0] == '#') {
            continue;
        }
        origin = apr_psprintf(set->pool, "%s:%d", name, lineno);
        second = next_token(set->pool, &cur, le);
        while (cur < le && (*cur == ' ' || *cur == '\t')) {
            cur++;
        }
        rest = apr_pstrmemdup(set->pool, cur, (apr_size_t)(le - cur));
        if (!strcmp(first, "family")) {
            if ((rv = load_family(set, second, rest, err)) != APR_SUCCESS) {
                *err = apr_psprintf(set->pool, "%s: %s", origin, *err);
                return rv;
            }
        }
        else if (!strcmp(first, "title") || !strcmp(first, "about")) {
            if ((rv = load_text(set, first, second, rest, err))
                != APR_SUCCESS) {
                *err = apr_psprintf(set->pool, "%s: %s", origin, *err);
                return rv;
            }
        }
        else {
            wr_subject_t subj;
            if (second == NULL || *rest == '\0'
                || wr_subject_parse(second, &subj) != APR_SUCCESS) {
                *err = apr_psprintf(set->pool, "%s: expected 'FAMILY norm|raw|"
                                    "line PATTERN'", origin);
                return APR_EINVAL;
            }
            if ((rv = wr_sigset_add(set, first, subj, rest, origin, err))
                != APR_SUCCESS) {
                if (strncmp(*err, origin, strlen(origin))) {
                    *err = apr_psprintf(set->pool, "%s: %s", origin, *err);
                }
                return rv;
            }
        }
    }
    return APR_SUCCESS;
}

apr_status_t wr_sigset_load_file(wr_sigset_t *set, const char *path,
                                 const char **err)
{
    apr_file_t *fd;
    apr_finfo_t fi;
    apr_pool_t *tmp;
    apr_size_t n;
    char *buf;
    apr_status_t rv;

    apr_pool_create(&tmp, set->pool);
    apr_pool_tag(tmp, "wr_sigset_load_file");
    if ((rv = apr_file_open(&fd, path, APR_FOPEN_READ, 0, tmp)) != APR_SUCCESS
        || (rv = apr_file_info_get(&fi, APR_FINFO_SIZE, fd)) != APR_SUCCESS) {
        char ebuf[128];
        *err = apr_psprintf(set->pool, "cannot read signature file '%s': %s",
                            path, apr_strerror(rv, ebuf, sizeof(ebuf)));
        goto leave;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(tmp, n + 1);
    if (n > 0 && (rv = apr_file_read_full(fd, buf, n, &n)) != APR_SUCCESS) {
        char ebuf[128];
        *err = apr_psprintf(set->pool, "cannot read signature file '%s': %s",
                            path, apr_strerror(rv, ebuf, sizeof(ebuf)));
        goto leave;
    }
    rv = wr_sigset_load_buffer(set, buf, n, path, err);
leave:
    apr_pool_destroy(tmp);
    return rv;
}
