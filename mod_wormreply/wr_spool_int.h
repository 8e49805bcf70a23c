/* wr_spool_int.h - what the spool's files share: wr_spool.c (the
 * directories and the queue: put, take, list, claim, commit) and
 * wr_spool_record.c (the record codec: wr_event_format, wr_event_dump,
 * wr_event_parse). Not for other callers: they use wr_spool.h. */
#ifndef WR_SPOOL_INT_H
#define WR_SPOOL_INT_H

#include <string.h>

#include <apr.h>

#include "wr_text.h"

/* put_dec - `v` in decimal, zero-padded to at least `width` digits (at
 * most 20), at `b` (room for 20); @return the digits written. By hand,
 * two digits a step: apr_snprintf costs about a thousand instructions a
 * call, in the request path. Here, as both files write numbers: a
 * record's name (make_id) and its fields (wr_event_format). */
static APR_INLINE apr_size_t put_dec(char *b, apr_uint64_t v, int width)
{
    char t[20], *e = t + sizeof(t), *q = e;
    apr_size_t n;

    while (v >= 100) {
        q -= 2;
        wr_text_put2(q, (unsigned)(v % 100));
        v /= 100;
    }
    if (v >= 10) {
        q -= 2;
        wr_text_put2(q, (unsigned)v);
    }
    else {
        *--q = (char)('0' + v);
    }
    while (e - q < width && q > t) {
        *--q = '0';
    }
    n = (apr_size_t)(e - q);
    memcpy(b, q, n);
    return n;
}

#endif /* WR_SPOOL_INT_H */
