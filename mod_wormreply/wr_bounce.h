/* wr_bounce.h - what a message sent back to a bounce address says: a
 * delivery status notification (RFC 3464), an auto-reply (RFC 3834), or
 * an older MTA's plain-text bounce; read through GMime 3, never a MIME
 * parser of our own.
 *
 * This file links GMime: only the CLI (wormreply bounce), its unit test
 * and its fuzz target use it, never httpd's module.
 *
 * Verdict (wr_bounce_hard), for a message whose token (wr_verp.h) is
 * valid:
 *   - a multipart/report; report-type=delivery-status anywhere in the
 *     message (found before anything else: MTAs mark their own DSNs
 *     Auto-Submitted: auto-replied) is hard when one of its recipient
 *     blocks says Action: failed with a Status 5.x.x; delayed, relayed,
 *     delivered, expanded or a 4.x.x status change nothing;
 *   - any other message is hard unless it is an auto-reply: an
 *     Auto-Submitted other than "no", Precedence auto_reply, bulk, junk or
 *     list, the headers of vacation programs and ticket systems
 *     (X-Autoreply, X-Autorespond, X-Auto-Response-Suppress, RT-Ticket,
 *     X-OTRS-Loop...), a Subject of an out-of-office reply, or one that
 *     says the message is only delayed (older MTAs' warnings).
 */
#ifndef WR_BOUNCE_H
#define WR_BOUNCE_H

#include <apr_pools.h>
#include <apr_tables.h>

/* Largest message read; the rest is not looked at (a DSN that returns a
 * whole large message keeps its report up front). */
#define WR_BOUNCE_MAX (4 * 1024 * 1024)

/* At most this many recipient blocks of one report are looked at. */
#define WR_BOUNCE_BLOCKS_MAX 64

typedef struct {
    int is_dsn;                 /* a delivery-status report was found */
    int hard;                   /* see above */
    int auto_reply;             /* not a DSN and an auto-reply (why in
                                 * `why`) */
    const char *action;         /* of the block that decided, or NULL */
    const char *status;         /* e.g. "5.1.1", or NULL */
    const char *diagnostic;     /* Diagnostic-Code, one line, or NULL */
    const char *final_recipient;    /* Final-Recipient, or NULL */
    const char *subject;        /* one line, or NULL */
    const char *why;            /* one line: what made the verdict */
    apr_array_header_t *to;     /* const char *: the addresses the
                                 * message was delivered to, from
                                 * Delivered-To, X-Original-To,
                                 * Envelope-to, then To (where a token is
                                 * looked for) */
} wr_bounce_t;

/* wr_bounce_read - read `len` bytes of one message (at most
 * WR_BOUNCE_MAX are looked at; an mbox "From " line first is skipped).
 * Strings live in `p`; every string is one line of printable ASCII
 * (others bytes become '?'), at most 300 bytes.
 * @return APR_EINVAL if it is not a mail message at all (no header) */
apr_status_t wr_bounce_read(const char *data, apr_size_t len,
                            wr_bounce_t *b, apr_pool_t *p);

#endif
