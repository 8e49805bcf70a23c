/* test_bounce.c - the bounce reader (wr_bounce.h, GMime) on real DSNs
 * that exim generated here (t/data/bounces/, see its README), on RFC 3834
 * auto-replies and plain-text bounces; the suppression list's reasons and
 * its removal (wr_delivery.h); the counts of wormreply bounce
 * (wr_bouncestat.h)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "test-rig.h"
#include "wr_bounce.h"
#include "wr_bouncestat.h"
#include "wr_delivery.h"

static apr_pool_t *pool;
static const char *top;
static const char *base;

/* read_data - t/data/bounces/NAME */
static char *read_data(const char *name, apr_size_t *len)
{
    char *t = tl_slurp(apr_pstrcat(pool, top, "/t/data/bounces/", name,
                                   NULL), len, pool);

    check(t != NULL, "read t/data/bounces/%s", name);
    return t ? t : (*len = 0, "");
}

static void test_exim(void)
{
    wr_bounce_t b;
    apr_size_t len;
    char *t = read_data("exim-failed.eml", &len), *mbox;

    check_int(wr_bounce_read(t, len, &b, pool), APR_SUCCESS,
              "exim failed: read");
    check(b.is_dsn, "exim failed: a DSN (before its Auto-Submitted)");
    check(b.hard, "exim failed: hard");
    check_str(b.action, "failed", "exim failed: Action");
    check_str(b.status, "5.0.0", "exim failed: Status");
    check_str(b.final_recipient, "rfc822;deadbox@example.test",
              "exim failed: Final-Recipient");
    check(b.to->nelts >= 1
          && !strncmp(APR_ARRAY_IDX(b.to, 0, const char *), "wrb+", 4),
          "exim failed: delivered to the VERP address (Envelope-to)");
    /* as a pipe transport hands it over: an mbox From line first */
    mbox = apr_pstrcat(pool, "From MAILER-DAEMON Mon Dec  7 11:39:44 2026\n",
                       t, NULL);
    check_int(wr_bounce_read(mbox, strlen(mbox), &b, pool), APR_SUCCESS,
              "exim failed, mbox From line: read");
    check(b.is_dsn && b.hard, "exim failed, mbox From line: hard");

    t = read_data("exim-delayed.eml", &len);
    check_int(wr_bounce_read(t, len, &b, pool), APR_SUCCESS,
              "exim delayed: read");
    check(b.is_dsn && !b.hard, "exim delayed: a DSN, not hard");
    check_str(b.action, "delayed", "exim delayed: Action");
    check_str(b.status, "4.0.0", "exim delayed: Status");
}

static void test_others(void)
{
    static const char *const autos[] = {
        "Auto-Submitted: auto-replied\n",
        "Precedence: bulk\n",
        "X-Autoreply: yes\n",
        "RT-Ticket: helpdesk #1234\n",
        "Subject: Out of Office: until Monday\n",
        "Subject: Automatic reply: abuse report\n",
        NULL
    };
    const char *head = "From: someone@example.test\n"
                       "To: wrb+x@wormreply.test\n";
    const char *t;
    wr_bounce_t b;
    int k;

    for (k = 0; autos[k]; k++) {
        t = apr_pstrcat(pool, head, autos[k], "\nI am away.\n", NULL);
        check_int(wr_bounce_read(t, strlen(t), &b, pool), APR_SUCCESS,
                  "auto-reply %d: read", k);
        check(!b.is_dsn && b.auto_reply && !b.hard,
              "auto-reply %d is not a bounce (%s)", k, b.why);
    }
    t = apr_pstrcat(pool, "From: MAILER-DAEMON@mx.example.test\n"
                    "To: wrb+x@wormreply.test\nSubject: failure notice\n\n"
                    "Hi. This is the qmail-send program at mx.example.test.\n"
                    "<postmaster@example.test>:\nSorry, no mailbox here by "
                    "that name. (#5.1.1)\n", NULL);
    check_int(wr_bounce_read(t, strlen(t), &b, pool), APR_SUCCESS,
              "plain bounce: read");
    check(!b.is_dsn && !b.auto_reply && b.hard,
          "plain bounce (not an auto-reply) is hard");
    t = "From: MAILER-DAEMON@mx.example.test\nSubject: Warning: message "
        "delayed 4 hours\n\nStill trying.\n";
    check_int(wr_bounce_read(t, strlen(t), &b, pool), APR_SUCCESS,
              "plain delay warning: read");
    check(!b.hard, "plain delay warning is not hard");
    t = "Auto-Submitted: no\nFrom: a@example.test\n\nbounced\n";
    check_int(wr_bounce_read(t, strlen(t), &b, pool), APR_SUCCESS,
              "Auto-Submitted no: read");
    check(b.hard, "Auto-Submitted: no is no auto-reply");
    t = "\n\n";
    check_int(wr_bounce_read(t, strlen(t), &b, pool), APR_EINVAL,
              "no header: not a message");
    check_int(wr_bounce_read("", 0, &b, pool), APR_EINVAL,
              "empty: not a message");
}

static void test_list(void)
{
    const char *dir = apr_pstrcat(pool, base, "/outbox", NULL);
    apr_time_t now = apr_time_now();
    wr_delivery_conf_t c;
    wr_delivery_t *d = NULL;
    wr_suppression_t s, *e;
    apr_array_header_t *list;
    char *diag = apr_palloc(pool, 2000);

    wr_delivery_conf_default(&c);
    check_int(wr_delivery_open(&d, dir, &c, NULL, pool), APR_SUCCESS,
              "list: outbox");
    wr_delivery_suppress(d, "Refused@Example.test", now + 60000000, 550);
    memset(diag, 'x', 1999);
    diag[1999] = '\0';
    diag[10] = '\n';
    memset(&s, 0, sizeof(s));
    s.address = "abuse@example.test";
    s.until = now + 120000000;
    s.reason = "bounced";
    s.status = "5.1.1";
    s.diagnostic = diag;
    check_int(wr_delivery_suppress_why(d, &s), APR_SUCCESS,
              "list: bounced entry with a long diagnostic");
    s.reason = "two words";
    check_int(wr_delivery_suppress_why(d, &s), APR_EINVAL,
              "list: a reason with a blank is refused");
    s.address = "gone@example.test";
    s.reason = "bounced";
    s.until = now - 1;
    wr_delivery_suppress_why(d, &s);
    check_int(wr_delivery_suppressions(d, now, &list, pool), APR_SUCCESS,
              "list: read");
    check_int(list->nelts, 2, "list: the expired one is not listed");
    if (list->nelts == 2) {
        e = APR_ARRAY_IDX(list, 0, wr_suppression_t *);
        check_str(e->address, "abuse@example.test", "list: sorted");
        check_str(e->reason, "bounced", "list: reason");
        check_str(e->status, "5.1.1", "list: status");
        check_int(strlen(e->diagnostic), WR_SUPPRESSION_TEXT_MAX,
                  "list: the diagnostic is cut");
        check(!strchr(e->diagnostic, '\n'), "list: on one line");
        e = APR_ARRAY_IDX(list, 1, wr_suppression_t *);
        check_str(e->address, "refused@example.test", "list: lower case");
        check_str(e->reason, "refused", "list: a 5xx at RCPT");
        check_int(e->code, 550, "list: its code");
    }
    check(wr_delivery_suppressed(d, "ABUSE@example.test", now),
          "list: suppressed, any case");
    check_int(wr_delivery_unsuppress(d, "Abuse@Example.test", pool),
              APR_SUCCESS, "list: unsuppressed");
    check(!wr_delivery_suppressed(d, "abuse@example.test", now),
          "list: no longer suppressed");
    check_int(wr_delivery_unsuppress(d, "abuse@example.test", pool),
              APR_ENOENT, "list: unsuppress twice: not there");
}

static void test_stat(void)
{
    wr_file_dir_t *dir = NULL;
    apr_time_t now = apr_time_now();
    wr_bouncestat_t st;
    int log_it = 0;

    if (!check_int(wr_file_dir_open(&dir, apr_pstrcat(pool, base, "/outbox",
                                                      NULL), WR_FILE_MKDIR,
                                    pool), APR_SUCCESS, "stat: outbox")) {
        return;
    }

    check_int(wr_bouncestat_read(dir, &st, pool), APR_SUCCESS,
              "stat: none yet");
    check_int((int)st.received, 0, "stat: zero");
    wr_bouncestat_add(dir, 1, 0, now, &log_it, NULL, pool);
    check(!log_it, "stat: a hard one is not an ignored one to log");
    wr_bouncestat_add(dir, 0, 1, now, &log_it, NULL, pool);
    check(log_it, "stat: the first ignored one is logged");
    wr_bouncestat_add(dir, 0, 1, now + 1000000, &log_it, NULL, pool);
    check(!log_it, "stat: the next within a minute is not");
    wr_bouncestat_add(dir, 0, 1, now + 61000000, &log_it, &st, pool);
    check(log_it, "stat: a minute later it is");
    check_int((int)st.received, 4, "stat: 4 received");
    check_int((int)st.hard, 1, "stat: 1 hard");
    check_int((int)st.ignored, 3, "stat: 3 ignored");
    check_int(wr_bouncestat_read(dir, &st, pool), APR_SUCCESS,
              "stat: read back");
    check_int((int)st.received, 4, "stat: kept");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    top = getenv("WORMREPLY_TOP") ? getenv("WORMREPLY_TOP") : ".";
    base = apr_psprintf(pool, "/tmp/wr-bounce-%ld", (long)getpid());
    test_exim();
    test_others();
    test_list();
    test_stat();
    if (system(apr_psprintf(pool, "rm -rf %s", base)) != 0) {
        printf("# could not remove %s\n", base);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
