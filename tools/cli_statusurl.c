/* cli_statusurl.c - the status handler's URL from Debian's apache2
 * configuration (see cli_statusurl.h) */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cli_statusurl.h"

#define CONF_LINE_MAX 4096

/* word - the next blank-separated word of *s (quotes removed), or NULL */
static char *word(char **s)
{
    char *w, *e;

    while (isspace((unsigned char)**s)) {
        (*s)++;
    }
    if (**s == '\0') {
        return NULL;
    }
    if (**s == '"') {
        w = ++*s;
        e = strchr(w, '"');
    }
    else {
        w = *s;
        for (e = w; *e && !isspace((unsigned char)*e) && *e != '>'; e++) {
        }
    }
    if (e == NULL) {
        e = w + strlen(w);
    }
    *s = *e ? e + 1 : e;
    *e = '\0';
    return w;
}

/* handler_path - the <Location> of `file` that sets the handler */
static const char *handler_path(FILE *f, apr_pool_t *p)
{
    char line[CONF_LINE_MAX];
    const char *loc = NULL;

    while (fgets(line, sizeof(line), f)) {
        char *s = line, *w = word(&s);
        if (w == NULL || *w == '#') {
            continue;
        }
        if (!strcasecmp(w, "<Location")) {
            const char *path = word(&s);
            loc = path ? apr_pstrdup(p, path) : NULL;
        }
        else if (!strcasecmp(w, "</Location>") || !strcasecmp(w, "</Location")) {
            loc = NULL;
        }
        else if (!strcasecmp(w, "SetHandler") && loc != NULL) {
            const char *h = word(&s);
            if (h && !strcasecmp(h, "wormreply-status")) {
                return loc;
            }
        }
    }
    return NULL;
}

/* listen_hostport - "ADDR:PORT" of the first plain-HTTP Listen */
static const char *listen_hostport(FILE *f, apr_pool_t *p)
{
    char line[CONF_LINE_MAX];

    while (f && fgets(line, sizeof(line), f)) {
        char *s = line, *w = word(&s), *arg, *proto, *colon;
        if (w == NULL || strcasecmp(w, "Listen") || !(arg = word(&s))) {
            continue;
        }
        proto = word(&s);
        if (proto && strcasecmp(proto, "http")) {
            continue;           /* https: not for a plain GET */
        }
        colon = strrchr(arg, ':');
        if (colon == NULL) {
            return apr_pstrcat(p, "127.0.0.1:", arg, NULL);
        }
        *colon = '\0';
        if (!strcmp(arg, "0.0.0.0") || !strcmp(arg, "[::]") || !*arg) {
            return apr_pstrcat(p, "127.0.0.1:", colon + 1, NULL);
        }
        return apr_pstrcat(p, arg, ":", colon + 1, NULL);
    }
    return "127.0.0.1:80";
}

const char *wr_cli_status_url(apr_pool_t *p, const char **why)
{
    const char *dir = getenv("APACHE_CONFDIR");
    const char *conf, *path, *hostport;
    FILE *f;

    if (dir == NULL || *dir == '\0') {
        dir = "/etc/apache2";
    }
    conf = apr_pstrcat(p, dir, "/conf-enabled/wormreply-status.conf", NULL);
    if ((f = fopen(conf, "r")) == NULL) {
        *why = apr_psprintf(p, "no URL given, and %s is missing: enable the "
                            "status handler with 'a2enconf wormreply-status' "
                            "and reload apache2, or give its URL", conf);
        return NULL;
    }
    path = handler_path(f, p);
    fclose(f);
    if (path == NULL) {
        *why = apr_psprintf(p, "no URL given, and %s has no <Location> with "
                            "'SetHandler wormreply-status': give the URL",
                            conf);
        return NULL;
    }
    f = fopen(apr_pstrcat(p, dir, "/ports.conf", NULL), "r");
    hostport = listen_hostport(f, p);
    if (f) {
        fclose(f);
    }
    return apr_pstrcat(p, "http://", hostport, path, NULL);
}
