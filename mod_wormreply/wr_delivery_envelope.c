/* wr_delivery_envelope.c - the envelope of a queued message that has no
 * .env record (one queued by an older version): the sender and the
 * recipients read from its From, To and Cc headers (see wr_delivery.h) */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_delivery.h"
#include "wr_notice.h"

/* addresses - the addr-specs of an address-list header value, appended to
 * `out`. Display names, quoted strings, comments and group names are
 * skipped. @return 0 for an address that is not a plain local@domain */
static int addresses(const char *v, apr_array_header_t *out, apr_pool_t *p)
{
    const char *s = v, *tok = v, *angle = NULL;
    int quote = 0, comment = 0;

    for (;; s++) {
        char c = *s;

        if (quote) {
            if (c == '\\' && s[1]) {
                s++;
            }
            else if (c == '"') {
                quote = 0;
            }
            else if (c == '\0') {
                return 0;
            }
            continue;
        }
        if (comment) {
            if (c == ')') {
                comment--;
            }
            else if (c == '\0') {
                return 0;
            }
            continue;
        }
        if (c == '"') {
            quote = 1;
        }
        else if (c == '(') {
            comment++;
        }
        else if (c == '<') {
            angle = s + 1;
        }
        else if (c == ':' && angle == NULL) {
            /* "group-name:" */
            tok = s + 1;
        }
        else if (c == ',' || c == ';' || c == '\0') {
            const char *a, *e;
            char *addr;

            if (angle) {
                a = angle;
                e = strchr(angle, '>');
                if (e == NULL || e > s) {
                    return 0;
                }
            }
            else {
                for (a = tok; a < s && apr_isspace(*a); a++) {
                }
                for (e = s; e > a && apr_isspace(e[-1]); e--) {
                }
            }
            if (e > a) {
                addr = apr_pstrmemdup(p, a, (apr_size_t)(e - a));
                if (strchr(addr, '(')) {
                    /* a comment after a bare address */
                    *strchr(addr, '(') = '\0';
                    apr_collapse_spaces(addr, addr);
                }
                if (!wr_notice_address_ok(addr)) {
                    return 0;
                }
                APR_ARRAY_PUSH(out, const char *) = addr;
            }
            angle = NULL;
            tok = s + 1;
            if (c == '\0') {
                return 1;
            }
        }
    }
}

apr_status_t wr_delivery_envelope(const char *data, apr_size_t len,
                                  const char **sender,
                                  apr_array_header_t **rcpt,
                                  const char **err, apr_pool_t *p)
{
    apr_array_header_t *from = apr_array_make(p, 1, sizeof(const char *));
    const char *s = data, *end = data + len;

    *err = NULL;
    *sender = NULL;
    *rcpt = apr_array_make(p, 4, sizeof(const char *));
    while (s < end && *s != '\r' && *s != '\n') {
        /* one header with its continuation lines, unfolded */
        const char *h = s, *colon;
        char *value, *o;

        do {
            const char *nl = memchr(s, '\n', (apr_size_t)(end - s));
            s = nl ? nl + 1 : end;
        } while (s < end && (*s == ' ' || *s == '\t'));
        colon = memchr(h, ':', (apr_size_t)(s - h));
        if (colon == NULL) {
            *err = "a header line without a colon";
            return APR_EINVAL;
        }
        value = apr_pstrmemdup(p, colon + 1, (apr_size_t)(s - colon - 1));
        for (o = value; *o; o++) {
            if (*o == '\r' || *o == '\n') {
                *o = ' ';
            }
        }
        if ((colon - h == 4 && !strncasecmp(h, "From", 4))) {
            if (!addresses(value, from, p)) {
                *err = "a From address that is not a plain local@domain";
                return APR_EINVAL;
            }
        }
        else if ((colon - h == 2 && (!strncasecmp(h, "To", 2)
                                     || !strncasecmp(h, "Cc", 2)))) {
            if (!addresses(value, *rcpt, p)) {
                *err = apr_psprintf(p, "a %.2s address that is not a plain "
                                    "local@domain", h);
                return APR_EINVAL;
            }
        }
    }
    if (from->nelts == 0) {
        *err = "no From address";
        return APR_EINVAL;
    }
    if ((*rcpt)->nelts == 0) {
        *err = "no To or Cc address";
        return APR_EINVAL;
    }
    *sender = APR_ARRAY_IDX(from, 0, const char *);
    return APR_SUCCESS;
}
