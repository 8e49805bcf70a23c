/* spool-test-lib.h - what test_spool.c and test_spool_record.c share:
 * the time and the ordinary event their records are made of */
#ifndef WR_SPOOL_TEST_LIB_H
#define WR_SPOOL_TEST_LIB_H

#include <string.h>

#include <apr_time.h>

#include "wr_spool.h"

#define T0 (apr_time_from_sec(1714564800) + 123456)  /* 2024-05-01 12:00 */

/* sample - an ordinary event */
static void sample(wr_event_t *ev, const char *addr)
{
    memset(ev, 0, sizeof(*ev));
    ev->address = addr;
    ev->family = "nimda";
    ev->vhost = "www.wormreply.test";
    ev->first_seen = T0;
    ev->last_seen = T0 + apr_time_from_sec(7);
    ev->count = 3;
    ev->nlines = 2;
    ev->lines[0] = "GET /scripts/root.exe?/c+dir HTTP/1.0";
    ev->lines[1] = "GET /MSADC/root.exe?/c+dir HTTP/1.0";
}

#endif
