/* test_verp.c - VERP senders and their keyed tokens (wr_verp.h), and the
 * outbox queueing one message per recipient with them (wr_delivery.h):
 * the key made once with mode 0600 and refused when anyone else could read
 * or swap it; a token that names the recipient and the notice, survives
 * case folding, and is refused when forged, altered, under another key or
 * too old. The SMTP side (one transaction per recipient, the Return-path
 * each recipient sees) is in test_delivery.c against the real exim.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "test-rig.h"
#include "wr_delivery.h"
#include "wr_notice.h"
#include "wr_verp.h"

#define DAY apr_time_from_sec(86400)

static apr_pool_t *pool;
static const char *base;

/* upper - `s` in upper case */
static char *upper(const char *s)
{
    char *t = apr_pstrdup(pool, s), *c;

    for (c = t; *c; c++) {
        *c = (char)apr_toupper(*c);
    }
    return t;
}

/* handle - the wr_file handle of directory `dir` (made if missing) */
static wr_file_dir_t *handle(const char *dir)
{
    wr_file_dir_t *h = NULL;

    if (wr_file_dir_open(&h, dir, WR_FILE_MKDIR, pool) != APR_SUCCESS) {
        fprintf(stderr, "# cannot open %s\n", dir);
        exit(1);
    }
    return h;
}

/* spew - write `text` to `path` */
static void spew(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_key(void)
{
    const char *dir = apr_pstrcat(pool, base, "/key", NULL);
    const char *path = apr_pstrcat(pool, dir, "/" WR_VERP_KEY_FILE, NULL);
    wr_file_dir_t *h = handle(dir);
    wr_verp_key_t k1, k2;
    struct stat st;

    check_int(wr_verp_key_load(h, 0, &k1, pool), APR_ENOENT,
              "key: missing, not made without create");
    check_int(wr_verp_key_load(h, 1, &k1, pool), APR_SUCCESS,
              "key: made");
    check(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600
          && st.st_nlink == 1, "key: mode 0600, one link");
    check_int(wr_verp_key_load(h, 1, &k2, pool), APR_SUCCESS,
              "key: loaded again");
    check(!memcmp(k1.k, k2.k, sizeof(k1.k)), "key: made once, the same");
    chmod(path, 0640);
    check_int(wr_verp_key_load(h, 1, &k2, pool), WR_FILE_EMODE,
              "key: refused when the group may read it");
    chmod(path, 0600);
    check(link(path, apr_pstrcat(pool, dir, "/other", NULL)) == 0,
          "key: a second link made");
    check_int(wr_verp_key_load(h, 1, &k2, pool), WR_FILE_ELINKS,
              "key: refused with two links");
    unlink(apr_pstrcat(pool, dir, "/other", NULL));
    rename(path, apr_pstrcat(pool, dir, "/real", NULL));
    check(symlink("real", path) == 0, "key: replaced by a symlink");
    check_int(wr_verp_key_load(h, 1, &k2, pool), WR_FILE_ESYMLINK,
              "key: a symlink is refused, not followed or replaced");
    unlink(path);
    spew(path, "not hex\n");
    chmod(path, 0600);
    check_int(wr_verp_key_load(h, 1, &k2, pool), APR_EINVAL,
              "key: a file that is not 64 hex digits is refused");
    unlink(path);
    spew(path, "00112233445566778899aabbccddeeff"
               "00112233445566778899aabbccddeeff\ntrailing\n");
    chmod(path, 0600);
    check_int(wr_verp_key_load(h, 1, &k2, pool), APR_FROM_OS_ERROR(EFBIG),
              "key: a longer file is refused");
}

static void test_token(void)
{
    const char *dir = apr_pstrcat(pool, base, "/key", NULL);
    const char *other = apr_pstrcat(pool, base, "/other-key", NULL);
    apr_time_t now = apr_time_now();
    wr_verp_key_t k, k2;
    wr_verp_token_t tok;
    const char *s = NULL, *local;
    char *bad;
    apr_size_t n;

    unlink(apr_pstrcat(pool, dir, "/" WR_VERP_KEY_FILE, NULL));
    wr_verp_key_load(handle(dir), 1, &k, pool);
    wr_verp_key_load(handle(other), 1, &k2, pool);
    check(memcmp(k.k, k2.k, sizeof(k.k)) != 0, "token: two random keys");
    check_int(wr_verp_sender(&k, "bounces@wormreply.test", "20261207-1",
                             "PostMaster@Example.TEST", now, &s, pool),
              APR_SUCCESS, "token: sender made");
    check(s && !strncmp(s, "bounces+", 8)
          && strstr(s, ".postmaster=example.test@wormreply.test"),
          "token: bounces+TOKEN@wormreply.test naming the recipient: %s",
          s ? s : "(null)");
    check(s && wr_notice_address_ok(s), "token: a plain local@domain");
    local = s ? apr_pstrmemdup(pool, s, strcspn(s, "@")) : "";
    check(strlen(local) <= 64, "token: local part within 64 octets (%d)",
          (int)strlen(local));
    check_int(wr_verp_check(&k, s, now, &tok, pool), APR_SUCCESS,
              "token: checks");
    check_str(tok.rcpt, "postmaster@example.test", "token: the recipient");
    check_int(strlen(tok.notice), 6, "token: a notice tag");
    check_int(wr_verp_check(&k, upper(s), now, &tok, pool), APR_SUCCESS,
              "token: case folded by an MTA still checks");
    check_int(wr_verp_check(&k2, s, now, &tok, pool), APR_EACCES,
              "token: another key's is forged");
    /* the recipient changed: an outsider's choice of address */
    bad = apr_pstrdup(pool, s);
    memcpy(strstr(bad, ".postmaster=") + 1, "hostmaster", 10);
    check_int(wr_verp_check(&k, bad, now, &tok, pool), APR_EACCES,
              "token: another recipient under the same MAC is refused");
    bad = apr_pstrdup(pool, s);
    bad[8] = bad[8] == 'a' ? 'b' : 'a';
    check_int(wr_verp_check(&k, bad, now, &tok, pool), APR_EACCES,
              "token: one MAC digit changed is refused");
    bad = apr_pstrdup(pool, s);
    n = 8 + 16;   /* the first day digit */
    bad[n] = bad[n] == 'a' ? 'b' : 'a';
    check(wr_verp_check(&k, bad, now, &tok, pool) != APR_SUCCESS,
          "token: the day changed is refused");
    check_int(wr_verp_check(&k, s, now + 61 * DAY, &tok, pool), APR_TIMEUP,
              "token: refused 61 days later");
    check_int(wr_verp_check(&k, s, now - 2 * DAY, &tok, pool), APR_TIMEUP,
              "token: refused from the future");
    check_int(wr_verp_check(&k, "bounces@wormreply.test", now, &tok, pool),
              APR_ENOENT, "token: none in a plain address");
    check_int(wr_verp_check(&k, "bounces+short=x.test@wormreply.test", now,
                            &tok, pool), APR_EINVAL,
              "token: a short one is malformed");
    check_int(wr_verp_check(&k, "bounces+!!!!!!!!!!!!!!!!!!!!!!!!!!.a=b.test"
                            "@wormreply.test", now, &tok, pool), APR_EINVAL,
              "token: a bad digit is malformed");
    check_int(wr_verp_sender(&k, "bounces", "x", "a@b.test", now, &s, pool),
              APR_EINVAL, "token: a bounce address without a domain");
    check_int(wr_verp_sender(&k, "b@x.test", "x", "a b@b.test", now, &s,
                             pool), APR_EINVAL,
              "token: a recipient that is not plain");
}

/* env_sender - the "sender:" line of DIR/<id>.env */
static const char *env_sender(const char *dir, const char *id)
{
    char *t = tl_slurp(apr_pstrcat(pool, dir, "/", id, ".env", NULL), NULL,
                       pool), *s, *e;

    if (t == NULL || (s = strstr(t, "\nsender: ")) == NULL) {
        return NULL;
    }
    s += 9;
    e = strchr(s, '\n');
    return apr_pstrmemdup(pool, s, e ? (apr_size_t)(e - s) : strlen(s));
}

static void test_enqueue(void)
{
    const char *dir = apr_pstrcat(pool, base, "/outbox", NULL), *first = NULL;
    const char *to[] = { "postmaster@example.test", "abuse@example.test" };
    apr_array_header_t *rcpt = apr_array_make(pool, 3, sizeof(char *));
    wr_delivery_conf_t c;
    wr_delivery_t *d = NULL;
    wr_notice_t msg;
    wr_verp_key_t k;
    wr_verp_token_t tok;
    const char *s;
    char *env;
    int i;

    wr_delivery_conf_default(&c);
    c.bounce_address = "wrb@wormreply.test";
    check_int(wr_delivery_open(&d, dir, &c, NULL, pool), APR_SUCCESS,
              "enqueue: outbox opened");
    APR_ARRAY_PUSH(rcpt, const char *) = to[0];
    APR_ARRAY_PUSH(rcpt, const char *) = to[1];
    APR_ARRAY_PUSH(rcpt, const char *) = "admin@wormreply.test";
    memset(&msg, 0, sizeof(msg));
    msg.data = "From: a@wormreply.test\r\nTo: x@example.test\r\n\r\nhi\r\n";
    msg.len = strlen(msg.data);
    msg.report_id = "20261207T110000Z-1";
    msg.from = "wormreply@wormreply.test";
    msg.rcpt = rcpt;
    msg.nto = 2;
    check_int(wr_delivery_enqueue_first(d, &msg, apr_time_now(), NULL,
                                        &first, pool), APR_SUCCESS,
              "enqueue: queued");
    check_str(first, "20261207T110000Z-1-v1", "enqueue: the first id");
    check_int(wr_verp_key_load(handle(dir), 0, &k, pool), APR_SUCCESS,
              "enqueue: the key was made in the outbox");
    for (i = 0; i < 2; i++) {
        const char *id = apr_psprintf(pool, "20261207T110000Z-1-v%d", i + 1);
        s = env_sender(dir, id);
        check(s && !strncmp(s, "wrb+", 4), "enqueue: %s has a VERP sender "
              "(%s)", id, s ? s : "none");
        check_int(wr_verp_check(&k, s, apr_time_now(), &tok, pool),
                  APR_SUCCESS, "enqueue: %s's token checks", id);
        check_str(tok.rcpt, to[i], "enqueue: %s's token names its "
                  "recipient", id);
        env = tl_slurp(apr_pstrcat(pool, dir, "/", id, ".env", NULL), NULL,
                       pool);
        check(env && strstr(env, apr_pstrcat(pool, "\nrcpt: ", to[i], "\n",
                                             NULL))
              && !strstr(env, to[1 - i]) && !strstr(env, "admin@"),
              "enqueue: %s goes to %s alone", id, to[i]);
    }
    check_str(env_sender(dir, "20261207T110000Z-1"), "wrb@wormreply.test",
              "enqueue: the Bcc copy has the plain bounce address");
    env = tl_slurp(apr_pstrcat(pool, dir, "/20261207T110000Z-1.env", NULL),
                   NULL, pool);
    check(env && strstr(env, "rcpt: admin@wormreply.test")
          && !strstr(env, "example.test"), "enqueue: the Bcc copy to the "
          "operator alone");
    check_int(wr_delivery_enqueue(d, &msg, apr_time_now(), NULL, pool),
              APR_EEXIST, "enqueue: the same notice twice is refused");
    wr_delivery_suppress(d, to[0], apr_time_now() + DAY, 550);
    msg.report_id = "20261207T110000Z-2";
    check_int(wr_delivery_enqueue(d, &msg, apr_time_now(), NULL, pool),
              APR_SUCCESS, "enqueue: a second notice queued");
    check_str(env_sender(dir, "20261207T110000Z-2-v2"), NULL,
              "enqueue: a suppressed recipient takes no message");
    s = env_sender(dir, "20261207T110000Z-2-v1");
    check(s && wr_verp_check(&k, s, apr_time_now(), &tok, pool)
          == APR_SUCCESS && !strcmp(tok.rcpt, to[1]),
          "enqueue: the other recipient still does");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    umask(022);
    base = apr_psprintf(pool, "/tmp/wr-verp-%ld", (long)getpid());
    test_key();
    test_token();
    test_enqueue();
    if (system(apr_psprintf(pool, "rm -rf %s", base)) != 0) {
        printf("# could not remove %s\n", base);
    }
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
