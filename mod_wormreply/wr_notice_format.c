/* wr_notice_format.c - the table of notice formats (see wr_notice.h) */
#include <strings.h>

#include "wr_notice_int.h"

/* The writers, each in a file of its own */
wr_notice_parts_fn wr_notice_xarf_parts;    /* wr_notice_xarf.c */
wr_notice_parts_fn wr_notice_xarf4_parts;   /* wr_notice_xarf4.c */

/* One row per WormReplyFormat value. A new format is a row here and its
 * writer in wr_notice_<name>.c (and its README lines and tests). */
static const wr_notice_format_t formats[] = {
    /* name, hosts per message, what configtest says, parts writer */
    { "plain", 0, NULL, wr_notice_text_part },
    /* ARF (RFC 5965, RFC 6650) is feedback about email, and its third
     * part must be the message reported: a probe has none. The value stays
     * accepted, with a warning, and writes what fits (README). */
    { "arf", 1, "ARF is for feedback about email; xarf4 is the format for "
      "this report (arf writes XARF v4 reports)", wr_notice_xarf4_parts },
    { "xarf", 1, NULL, wr_notice_xarf_parts },
    { "xarf4", 1, NULL, wr_notice_xarf4_parts },
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

const wr_notice_format_t *wr_notice_format_find(const char *name)
{
    apr_size_t i;

    for (i = 0; name != NULL && i < NFORMATS; i++) {
        if (!strcasecmp(formats[i].name, name)) {
            return &formats[i];
        }
    }
    return NULL;
}

const wr_notice_format_t *wr_notice_format_at(int i)
{
    return i >= 0 && (apr_size_t)i < NFORMATS ? &formats[i] : NULL;
}

const char *wr_notice_format_names(apr_pool_t *p)
{
    const char *s = formats[0].name;
    apr_size_t i;

    for (i = 1; i < NFORMATS; i++) {
        s = apr_pstrcat(p, s, i + 1 == NFORMATS ? " or " : ", ",
                        formats[i].name, NULL);
    }
    return s;
}
