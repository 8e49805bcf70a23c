/* wr_sendmail.h - the sendmail transport: each message handed to the
 * local MTA's sendmail program (Postfix's, Exim's ...), for servers that
 * run one (WormReplyTransport sendmail [PATH])
 *
 * One run per message: PATH -i -f SENDER -- RCPT ..., the message on its
 * standard input (no shell, no PATH search; every descriptor but 0-2
 * closed: wr_proc). The envelope is the queue's, given on the command
 * line, not read from the headers (-t): the queue leaves suppressed
 * recipients out of it, carries Bcc recipients that are in no header, and
 * queues a copy for some recipients only, none of which -t could say
 * (and Exim's -t would even drop the command line's recipients). -f gives
 * each message its own envelope sender ("<>" for the null one), so that
 * per-recipient return paths (VERP) need nothing else; the MTA must let
 * httpd's User set it (Exim: trusted_users or untrusted_set_sender;
 * Postfix allows it unless restricted).
 *
 * Outcome by exit status (sysexits.h):
 *   0                                  sent: the MTA has queued it
 *   65 EX_DATAERR, 67 EX_NOUSER,       failed: the message or its
 *   68 EX_NOHOST                       addresses are refused, for good
 *   anything else (75 EX_TEMPFAIL,     deferred: tried again with
 *   71 EX_OSERR, 74 EX_IOERR, a        backoff until the queue's
 *   signal, the program missing, a     lifetime is over (a local MTA
 *   run over the timeout ...)          that is down or misconfigured is
 *                                      no fault of the message)
 * The reason names the status and the program's first line of output.
 * Recipients are not told apart (rcpts[i].code is 250 for a message sent,
 * 0 otherwise): nothing is suppressed from an exit status.
 *
 * Signals: SIGPIPE is ignored while a message is written (a program that
 * exits early must not kill the deliverer); the previous disposition is
 * restored. */
#ifndef WR_SENDMAIL_H
#define WR_SENDMAIL_H

#include <apr_pools.h>
#include <apr_time.h>

#include "wr_transport.h"

#define WR_SENDMAIL_DEFAULT_PATH "/usr/sbin/sendmail"
#define WR_SENDMAIL_DEFAULT_TIMEOUT apr_time_from_sec(120)

typedef struct {
    const char *path;                  /* NULL: the default above */
    apr_interval_time_t timeout;       /* per message; 0: the default */
} wr_sendmail_conf_t;

/* wr_sendmail_conf_check - an absolute path to a regular file that is
 * executable. @return APR_EINVAL with *err (in `p`) */
apr_status_t wr_sendmail_conf_check(const wr_sendmail_conf_t *conf,
                                    const char **err, apr_pool_t *p);

/* wr_sendmail_send - run the program once for each of the `n` messages
 * (see above); the transport's send() */
apr_status_t wr_sendmail_send(const wr_sendmail_conf_t *conf,
                              wr_transport_msg_t *msgs, int n,
                              const wr_transport_hooks_t *hooks,
                              wr_transport_batch_t *batch, apr_pool_t *p);

#endif
