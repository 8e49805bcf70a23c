/* cmd_bounce.c - "wormreply bounce": one message on standard input (an
 * MTA's pipe: Postfix aliases or master.cf, an Exim pipe transport), or
 * every new message of a Maildir, read as a bounce of a notice
 *
 * The recipient that bounced is named by the token of the VERP address
 * the message was sent to (wr_verp.h): --recipient, else $RECIPIENT (set
 * by Postfix's local and pipe and by Exim's pipe transport), else the
 * Delivered-To, X-Original-To, Envelope-to and To headers. What the
 * message says is read by wr_bounce (GMime). A hard bounce puts that
 * recipient on the outbox's suppression list, reason "bounced", for as
 * long as a refusal at RCPT would; a message without a valid token is
 * ignored and counted, and logged at most once a minute (anyone can mail
 * the bounce address). Everything is counted in the outbox's
 * bounces.stat, which the module shows.
 *
 * Run as root, it first becomes the owner of the outbox (httpd's User):
 * the outbox is that user's, and everything in it is hostile to root.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "cli_args.h"
#include "cli_priv.h"
#include "cmd_bounce.h"
#include "wr_bounce.h"
#include "wr_bouncestat.h"
#include "wr_delivery.h"
#include "wr_file.h"
#include "wr_log.h"
#include "wr_outbox.h"
#include "wr_verp.h"

#ifndef WR_STATE_DIR
#define WR_STATE_DIR "/var/lib/apache2/wormreply"
#endif
#define DEFAULT_OUTBOX WR_STATE_DIR "/outbox"

/* Messages handled in one Maildir pass, at most. */
#define MAILDIR_MAX 10000

enum {
    OPT_OUTBOX = 256,
    OPT_MAILDIR,
    OPT_RECIPIENT
};

typedef struct {
    apr_pool_t *pool;
    const char *dir;            /* the outbox */
    const char *recipient;      /* --recipient or $RECIPIENT, or NULL */
    int quiet;
    wr_delivery_t *d;
    int have_key;
    wr_verp_key_t key;
} bounce_t;

/* usage - the verb's help */
static void usage(FILE *f)
{
    fprintf(f,
        "usage: wormreply bounce [--outbox DIR] [--recipient ADDRESS]\n"
        "                        [--maildir DIR] [-q]\n"
        "\n"
        "Reads one message on standard input, as an MTA's pipe hands it\n"
        "over, or with --maildir every message in DIR/new (each handled one\n"
        "is moved to DIR/cur, marked seen), as a bounce of a notice sent\n"
        "with WormReplyBounceAddress. A hard bounce (an RFC 3464 report\n"
        "with Action: failed and a 5.x.x Status, or a plain-text bounce\n"
        "that is not an auto-reply) puts the recipient named by the\n"
        "address's token on the outbox's suppression list, reason\n"
        "\"bounced\", for 30 days (wormreply outbox suppressed lists it).\n"
        "Delays (4.x.x) and auto-replies change nothing; a message without\n"
        "a valid token is ignored and counted.\n"
        "\n"
        "options:\n"
        "      --outbox DIR         the outbox (default %s;\n"
        "                           WormReplyOutbox)\n"
        "      --recipient ADDRESS  the address the message was delivered\n"
        "                           to (default: $RECIPIENT, else the\n"
        "                           Delivered-To, X-Original-To,\n"
        "                           Envelope-to and To headers)\n"
        "      --maildir DIR        read the new messages of a Maildir\n"
        "  -q, --quiet              log only errors\n"
        "  -h, --help               this help\n"
        "\n"
        "Run as root, it becomes the outbox's owner first.\n"
        "\n"
        "Exit status: 0 handled or ignored; 64 usage (EX_USAGE); 75 cannot\n"
        "record now (EX_TEMPFAIL: the outbox, its key or its suppression\n"
        "list cannot be used), the MTA keeps the message and tries again.\n",
        DEFAULT_OUTBOX);
}

/* say - one log line on standard error */
static void say(const bounce_t *b, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(const bounce_t *b, int error, const char *fmt, ...)
{
    va_list ap;

    if (b->quiet && !error) {
        return;
    }
    fputs("wormreply bounce: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* prepare - the outbox, its key and the suppression list.
 * @return 0, or WR_BOUNCE_EXIT_TEMPFAIL (said) */
static int prepare(bounce_t *b)
{
    wr_delivery_conf_t conf;
    wr_outbox_t *ob;
    const char *what = NULL;
    char buf[128];
    apr_status_t rv;

    if ((rv = wr_outbox_open(&ob, b->dir, &what, b->pool)) != APR_SUCCESS
        || (wr_delivery_conf_default(&conf),
            rv = wr_delivery_open(&b->d, b->dir, &conf, NULL, b->pool))
           != APR_SUCCESS) {
        say(b, 1, WRLOGNO(00707) "cannot use the outbox %s: %s", what
            ? what : b->dir, wr_file_strerror(rv, buf, sizeof(buf)));
        return WR_BOUNCE_EXIT_TEMPFAIL;
    }
    rv = wr_verp_key_load(wr_delivery_dir(b->d), 0, &b->key, b->pool);
    if (rv == APR_SUCCESS) {
        b->have_key = 1;
    }
    else if (!APR_STATUS_IS_ENOENT(rv)) {
        /* there, but not to be trusted or read: ask the MTA to wait */
        say(b, 1, WRLOGNO(00708) "cannot use the bounce key %s/"
            WR_VERP_KEY_FILE " (it must be a 0600 file of the outbox's "
            "owner): %s", b->dir, wr_file_strerror(rv, buf, sizeof(buf)));
        return WR_BOUNCE_EXIT_TEMPFAIL;
    }
    return 0;
}

/* token_error - what a token's check says, in words */
static const char *token_error(apr_status_t rv)
{
    if (rv == APR_EACCES) {
        return "a forged or altered token";
    }
    if (rv == APR_TIMEUP) {
        return "a token too old";
    }
    if (rv == APR_EINVAL) {
        return "a malformed token";
    }
    return "no token";
}

/* find_token - the first address of the message with a valid token */
static apr_status_t find_token(bounce_t *b, const wr_bounce_t *msg,
                               apr_time_t now, wr_verp_token_t *tok,
                               const char **addr, const char **why)
{
    apr_status_t best = APR_ENOENT;
    int k;

    *addr = NULL;
    for (k = -1; k < msg->to->nelts; k++) {
        const char *a = k < 0 ? b->recipient
                              : APR_ARRAY_IDX(msg->to, k, const char *);
        apr_status_t rv;

        if (a == NULL) {
            continue;
        }
        if (!b->have_key) {
            /* no key: no notice was ever sent with a token */
            rv = strchr(a, '+') ? APR_EACCES : APR_ENOENT;
        }
        else {
            rv = wr_verp_check(&b->key, a, now, tok, b->pool);
        }
        if (rv == APR_SUCCESS) {
            *addr = a;
            return APR_SUCCESS;
        }
        if (best == APR_ENOENT) {
            best = rv;
            *addr = a;
        }
    }
    *why = token_error(best);
    return best;
}

/* handle - one message. @return WR_BOUNCE_EXIT_OK or _TEMPFAIL */
static int handle(bounce_t *b, const char *data, apr_size_t len,
                  const char *name)
{
    apr_time_t now = apr_time_now();
    apr_pool_t *p;
    wr_bounce_t msg;
    wr_verp_token_t tok;
    const char *addr = NULL, *why = NULL;
    char buf[128];
    apr_status_t rv;
    int log_it = 0, rc = WR_BOUNCE_EXIT_OK;

    apr_pool_create(&p, b->pool);
    if (wr_bounce_read(data, len, &msg, p) != APR_SUCCESS) {
        why = "not a mail message";
        rv = APR_EINVAL;
    }
    else {
        rv = find_token(b, &msg, now, &tok, &addr, &why);
    }
    if (rv != APR_SUCCESS) {
        rv = wr_bouncestat_add(wr_delivery_dir(b->d), 0, 1, now, &log_it,
                               NULL, p);
        if (rv != APR_SUCCESS) {
            say(b, 1, WRLOGNO(00709) "cannot count in %s/"
                WR_BOUNCESTAT_FILE ": %s", b->dir,
                wr_file_strerror(rv, buf, sizeof(buf)));
        }
        if (log_it) {
            say(b, 0, WRLOGNO(00702) "%s%signored: %s%s%s (logged once a "
                "minute at most)", name ? name : "", name ? ": " : "", why,
                addr ? " in " : "", addr ? addr : "");
        }
        goto leave;
    }
    if (msg.hard) {
        wr_suppression_t s;

        memset(&s, 0, sizeof(s));
        s.address = tok.rcpt;
        s.until = now + WR_DELIVERY_DEFAULT_SUPPRESS_TIME;
        s.reason = "bounced";
        s.status = msg.status ? msg.status : "";
        s.diagnostic = msg.diagnostic ? msg.diagnostic : msg.why;
        if ((rv = wr_delivery_suppress_why(b->d, &s)) != APR_SUCCESS) {
            say(b, 1, WRLOGNO(00710) "cannot suppress <%s> in %s: %s",
                tok.rcpt, b->dir, wr_file_strerror(rv, buf, sizeof(buf)));
            rc = WR_BOUNCE_EXIT_TEMPFAIL;
            goto leave;
        }
        say(b, 0, WRLOGNO(00703) "<%s> bounced (notice %s; %s%s%s): not "
            "written to for %d days", tok.rcpt, tok.notice, msg.why,
            msg.diagnostic ? "; " : "",
            msg.diagnostic ? msg.diagnostic : "",
            (int)(apr_time_sec(WR_DELIVERY_DEFAULT_SUPPRESS_TIME) / 86400));
    }
    else {
        say(b, 0, WRLOGNO(00704) "<%s> (notice %s): nothing done, %s",
            tok.rcpt, tok.notice, msg.why);
    }
    if ((rv = wr_bouncestat_add(wr_delivery_dir(b->d), msg.hard, 0, now,
                                NULL, NULL, p)) != APR_SUCCESS) {
        say(b, 1, WRLOGNO(00714) "cannot count in %s/" WR_BOUNCESTAT_FILE
            ": %s", b->dir, wr_file_strerror(rv, buf, sizeof(buf)));
    }
leave:
    apr_pool_destroy(p);
    return rc;
}

/* read_all - at most `max` bytes of `f` (the rest is read and dropped, so
 * the MTA sees the whole message taken) */
static char *read_all(FILE *f, apr_size_t max, apr_size_t *len,
                      apr_pool_t *p)
{
    char *buf = apr_palloc(p, max + 1), tmp[8192];
    apr_size_t n = 0, r;

    while (n < max && (r = fread(buf + n, 1, max - n, f)) > 0) {
        n += r;
    }
    while (fread(tmp, 1, sizeof(tmp), f) > 0) {
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* name_cmp - for sorting file names */
static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* do_maildir - every message of DIR/new, each moved to DIR/cur with the
 * flag S once handled; one that cannot be recorded stays in new/. The
 * Maildir is read through wr_file like the outbox: a symbolic link, a
 * FIFO or a hard link planted in it is refused, not followed. */
static int do_maildir(bounce_t *b, const char *maildir)
{
    wr_file_dir_t *md, *newd, *curd;
    apr_array_header_t *names;
    char buf[128];
    apr_status_t rv;
    int k, rc = WR_BOUNCE_EXIT_OK, done = 0, seen = 0;

    if ((rv = wr_file_dir_open(&md, maildir, 0, b->pool)) != APR_SUCCESS
        || (rv = wr_file_dir_sub(&newd, md, "new", 0, b->pool))
           != APR_SUCCESS
        || (rv = wr_file_dir_sub(&curd, md, "cur", 0, b->pool))
           != APR_SUCCESS
        || (rv = wr_file_dir_names(newd, &names, b->pool)) != APR_SUCCESS) {
        say(b, 1, WRLOGNO(00711) "cannot read the Maildir %s: %s", maildir,
            wr_file_strerror(rv, buf, sizeof(buf)));
        return WR_BOUNCE_EXIT_TEMPFAIL;
    }
    qsort(names->elts, (apr_size_t)names->nelts, sizeof(char *), name_cmp);
    for (k = 0; k < names->nelts && seen < MAILDIR_MAX; k++) {
        const char *name = APR_ARRAY_IDX(names, k, const char *);
        apr_pool_t *p;
        apr_size_t len = 0;
        char *data;
        int one, cut;

        if (name[0] == '.') {
            continue;
        }
        seen++;
        apr_pool_create(&p, b->pool);
        /* a longer message is cut: its headers and report come first */
        rv = wr_file_read(newd, name, WR_BOUNCE_MAX, &data, &len, &cut, p);
        if (rv != APR_SUCCESS) {
            say(b, 1, WRLOGNO(00715) "cannot read %s/new/%s: %s", maildir,
                name, wr_file_strerror(rv, buf, sizeof(buf)));
            rc = WR_BOUNCE_EXIT_TEMPFAIL;
            apr_pool_destroy(p);
            continue;
        }
        one = handle(b, data, len, name);
        if (one == WR_BOUNCE_EXIT_OK) {
            rv = wr_file_rename(newd, name, curd,
                                apr_pstrcat(p, name, strchr(name, ':')
                                                     ? "" : ":2,S", NULL),
                                0);
            if (rv != APR_SUCCESS) {
                say(b, 1, WRLOGNO(00712) "cannot mark %s/new/%s as handled "
                    "(move it to cur/): %s", maildir, name,
                    wr_file_strerror(rv, buf, sizeof(buf)));
                rc = WR_BOUNCE_EXIT_TEMPFAIL;
            }
            else {
                done++;
            }
        }
        else {
            rc = one;
        }
        apr_pool_destroy(p);
    }
    if (!b->quiet) {
        fprintf(stderr, "wormreply bounce: %d of %d message%s in %s/new "
                "handled\n", done, seen, seen == 1 ? "" : "s", maildir);
    }
    return rc;
}

int wr_cli_bounce(apr_pool_t *pool, const wr_sigset_t *set,
                  wr_family_mask_t mask, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        {"outbox", OPT_OUTBOX, 1, "outbox directory"},
        {"maildir", OPT_MAILDIR, 1, "Maildir"},
        {"recipient", OPT_RECIPIENT, 1, "the address delivered to"},
        {"quiet", 'q', 0, "only errors"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_getopt_t *os;
    const char *arg, *maildir = NULL;
    bounce_t b;
    apr_status_t rv;
    int opt, rc;

    (void)set;
    (void)mask;
    memset(&b, 0, sizeof(b));
    b.pool = pool;
    b.dir = DEFAULT_OUTBOX;
    b.recipient = getenv("RECIPIENT");
    wr_cli_getopt_init(&os, pool, &argc, &argv, opts);
    while ((rv = apr_getopt_long(os, opts, &opt, &arg)) == APR_SUCCESS) {
        switch (opt) {
        case OPT_OUTBOX:
            b.dir = arg;
            break;
        case OPT_MAILDIR:
            maildir = arg;
            break;
        case OPT_RECIPIENT:
            b.recipient = arg;
            break;
        case 'q':
            b.quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return WR_BOUNCE_EXIT_OK;
        default:
            break;
        }
    }
    if (rv != APR_EOF || os->ind != argc) {
        fprintf(stderr, "wormreply bounce: bad option or argument '%s'\n",
                rv != APR_EOF ? wr_cli_bad_option(os) : argv[os->ind]);
        usage(stderr);
        return WR_BOUNCE_EXIT_USAGE;
    }
    /* never as root in a directory httpd's User can write (cli_priv.h) */
    rv = wr_cli_become_owner(b.dir, NULL, pool);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        char buf[128];
        say(&b, 1, WRLOGNO(00706) "cannot become the owner of the outbox "
            "%s: %s", b.dir, rv == APR_EGENERAL ? "root could be regained"
            : wr_file_strerror(rv, buf, sizeof(buf)));
        return WR_BOUNCE_EXIT_TEMPFAIL;
    }
    if ((rc = prepare(&b)) != 0) {
        return rc;
    }
    if (maildir) {
        return do_maildir(&b, maildir);
    }
    {
        apr_size_t len;
        char *data = read_all(stdin, WR_BOUNCE_MAX, &len, pool);
        return handle(&b, data, len, NULL);
    }
}
