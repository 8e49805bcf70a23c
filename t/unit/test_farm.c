/* test_farm.c - wr_farm against a real redis-server of its own
 *
 * The test starts redis-server (no persistence) on 127.0.0.1 at
 * WR_TEST_REDIS_PORT (16391), runs two handles as two servers of a farm,
 * stops and restarts Redis for the fallback cases, and stops it at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include <hiredis.h>

#include "test-lib.h"
#include "wr_farm.h"

static int port;
static pid_t redis_pid;

/* listening - whether something accepts on 127.0.0.1:port */
static int listening(void)
{
    struct sockaddr_in sa;
    int s = socket(AF_INET, SOCK_STREAM, 0), ok;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(s);
    return ok;
}

/* redis_start - a fresh, empty redis-server; 1 when it answers (<= 10 s) */
static int redis_start(void)
{
    char p[16];
    int k;

    snprintf(p, sizeof(p), "%d", port);
    if ((redis_pid = fork()) == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("redis-server", "redis-server", "--bind", "127.0.0.1",
               "--port", p, "--save", "", "--appendonly", "no",
               (char *)NULL);
        _exit(127);
    }
    for (k = 0; k < 200 && !listening(); k++) {
        usleep(50000);
    }
    return listening();
}

/* redis_stop - stop it and wait until the port is closed (<= 10 s) */
static void redis_stop(void)
{
    int k;

    if (redis_pid > 0) {
        kill(redis_pid, SIGKILL);
        waitpid(redis_pid, NULL, 0);
        redis_pid = 0;
    }
    for (k = 0; k < 200 && listening(); k++) {
        usleep(50000);
    }
}

/* key_exists - 1 if Redis has the key, 0 if not, -1 on an error (a
 * connection of the test's own, to look past wr_farm's interface) */
static int key_exists(const char *k)
{
    redisContext *rc = redisConnect("127.0.0.1", port);
    redisReply *r;
    int yes = -1;

    if (rc == NULL || rc->err) {
        if (rc) {
            redisFree(rc);
        }
        return -1;
    }
    r = redisCommand(rc, "EXISTS %s", k);
    if (r && r->type == REDIS_REPLY_INTEGER) {
        yes = r->integer > 0;
    }
    if (r) {
        freeReplyObject(r);
    }
    redisFree(rc);
    return yes;
}

static void test_parse(apr_pool_t *p)
{
    wr_farm_conf_t c;
    const char *err = NULL;

    check_int(wr_farm_parse_url("redis://127.0.0.1", &c, &err, p),
              APR_SUCCESS, "parse: host only");
    check_str(c.host, "127.0.0.1", "parse: host");
    check_int(c.port, 6379, "parse: default port");
    check_int(c.db, 0, "parse: default db");
    check(c.user == NULL, "parse: no user");
    check_int(wr_farm_parse_url("redis://wr@redis.example:6380/3", &c, &err,
                                p), APR_SUCCESS, "parse: user, port, db");
    check_str(c.user, "wr", "parse: user");
    check_str(c.host, "redis.example", "parse: host with user");
    check_int(c.port, 6380, "parse: port");
    check_int(c.db, 3, "parse: db");
    check_int(wr_farm_parse_url("redis://[::1]:6390/1", &c, &err, p),
              APR_SUCCESS, "parse: IPv6");
    check_str(c.host, "::1", "parse: IPv6 host");
    check_int(c.port, 6390, "parse: IPv6 port");
    check_int(wr_farm_parse_url("http://x", &c, &err, p), APR_EINVAL,
              "parse: other scheme refused");
    check_int(wr_farm_parse_url("redis://u:pw@h", &c, &err, p), APR_EINVAL,
              "parse: password in the URL refused");
    check(err && strstr(err, "file"), "parse: says the password is in a "
          "file (%s)", err ? err : "");
    check_int(wr_farm_parse_url("redis://h:0", &c, &err, p), APR_EINVAL,
              "parse: port 0 refused");
    check_int(wr_farm_parse_url("redis://h:99999", &c, &err, p), APR_EINVAL,
              "parse: port too big refused");
    check_int(wr_farm_parse_url("redis://h/x", &c, &err, p), APR_EINVAL,
              "parse: db not a number refused");
    check_int(wr_farm_parse_url("redis://", &c, &err, p), APR_EINVAL,
              "parse: no host refused");
}

#define SEC(n) apr_time_from_sec(n)

static void test_farm(apr_pool_t *p)
{
    wr_farm_conf_t c;
    wr_farm_t *a, *b;
    wr_rate_policy_t pol;
    const char *err = NULL, *holder, *url;
    apr_array_header_t *hosts;
    wr_farm_claim_e res;
    apr_time_t t0 = apr_time_from_sec(1800000000), due, at;
    apr_uint64_t g1, g2, nwin;
    int reset = 0, lost = -1, pend, rep, recent, yes, k, seen_x = 0,
        seen_y = 0;

    url = apr_psprintf(p, "redis://127.0.0.1:%d", port);
    check_int(wr_farm_parse_url(url, &c, &err, p), APR_SUCCESS, "url");
    c.prefix = apr_psprintf(p, "wrtest%ld:", (long)getpid());
    c.retry = 1;               /* reconnect at once in this test */
    c.lease = apr_time_from_msec(300);
    wr_farm_open(&a, &c, "a", p);
    wr_farm_open(&b, &c, "b", p);
    wr_rate_policy_default(&pol);
    pol.digest_delay = SEC(300);
    pol.domain_window = SEC(3600);
    pol.host_window = SEC(86400);
    pol.max_per_hour = 2;

    check(wr_farm_ready(a, t0, &reset), "a connects");
    check_int(reset, 1, "a: first connection is a reset");
    check(wr_farm_ready(b, t0, &reset), "b connects");
    check_int(reset, 1, "b: first connection is a reset");
    check(wr_farm_ready(a, t0, &reset), "a still connected");
    check_int(reset, 0, "a: no reset while connected");
    check_int(wr_farm_generation(a, &g1), APR_SUCCESS, "generation");

    /* two servers, two hosts of one domain */
    check_int(wr_farm_host_add(a, "ex.test", "192.0.2.1", "rec-x", t0, 0),
              APR_SUCCESS, "a adds host x");
    check_int(wr_farm_host_add(b, "ex.test", "192.0.2.2", "rec-y",
                               t0 + SEC(10), 0), APR_SUCCESS,
              "b adds host y");
    check_int(wr_farm_claim(b, "ex.test", t0 + SEC(299), &pol, &res, &hosts,
                            &due, &holder, p), APR_SUCCESS, "early claim");
    check_int(res, WR_FARM_WAIT, "before the digest delay: wait");
    check_int(due, t0 + SEC(300), "due when the first host's delay ends");
    check_int(wr_farm_claim(a, "ex.test", t0 + SEC(300), &pol, &res, &hosts,
                            &due, &holder, p), APR_SUCCESS, "claim");
    check_int(res, WR_FARM_CLAIMED, "a claims the window");
    check_int(hosts->nelts, 2, "the claim names both servers' hosts");
    for (k = 0; k < hosts->nelts; k++) {
        const wr_farm_host_t *h = &APR_ARRAY_IDX(hosts, k, wr_farm_host_t);
        seen_x |= !strcmp(h->address, "192.0.2.1")
                  && !strcmp(h->record, "rec-x");
        seen_y |= !strcmp(h->address, "192.0.2.2")
                  && !strcmp(h->record, "rec-y");
    }
    check(seen_x && seen_y, "the hosts' records come back as stored");
    check_int(wr_farm_claim(b, "ex.test", t0 + SEC(301), &pol, &res, &hosts,
                            &due, &holder, p), APR_SUCCESS, "second claim");
    check_int(res, WR_FARM_HELD, "b cannot claim what a holds");
    check_str(holder, "a", "the holder is named");
    check_int(wr_farm_claim(a, "ex.test", t0 + SEC(300), &pol, &res, &hosts,
                            &due, &holder, p), APR_SUCCESS, "claim again");
    check_int(res, WR_FARM_HELD, "a's own claim is not claimed twice");
    /* the claim again by a returned no hosts; take them from a fresh one
     * after a release */
    check_int(wr_farm_release(a, "ex.test"), APR_SUCCESS, "release");
    check_int(wr_farm_claim(a, "ex.test", t0 + SEC(302), &pol, &res, &hosts,
                            &due, &holder, p), APR_SUCCESS, "reclaim");
    check_int(res, WR_FARM_CLAIMED, "claimable again after a release");
    check_int(wr_farm_commit(a, "ex.test", t0 + SEC(302), &pol, hosts,
                             "r1@test", &lost), APR_SUCCESS, "commit");
    check_int(lost, 0, "the claim was still a's");
    check_int(wr_farm_generation(b, &g2), APR_SUCCESS, "generation again");
    check(g2 > g1, "a commit changes the generation");
    check_int(wr_farm_host_state(b, "ex.test", "192.0.2.2", &pend, &rep),
              APR_SUCCESS, "b's host state");
    check(!pend && rep, "b's host was reported by a's digest");
    check_int(wr_farm_host_recent(b, "192.0.2.1", &recent), APR_SUCCESS,
              "recent");
    check_int(recent, 1, "a reported host is recent farm-wide");
    check_int(wr_farm_claim(b, "ex.test", t0 + SEC(303), &pol, &res, &hosts,
                            &due, &holder, p), APR_SUCCESS, "claim after");
    check_int(res, WR_FARM_NONE, "nothing pending after the commit");

    /* a host added between another server's claim and its commit: the
     * commit names the host (from a's entry) but leaves b's entry, which no
     * digest would ever send; b's state says reported and takes it out */
    wr_farm_host_add(a, "late.test", "192.0.2.9", "rec-a", t0, 0);
    check_int(wr_farm_claim(a, "late.test", t0 + SEC(300), &pol, &res,
                            &hosts, &due, &holder, p), APR_SUCCESS,
              "late: a claims");
    check_int(res, WR_FARM_CLAIMED, "late: claimed");
    check_int(hosts->nelts, 1, "late: only a's entry is claimed");
    wr_farm_host_add(b, "late.test", "192.0.2.9", "rec-b", t0 + SEC(300), 0);
    check_int(wr_farm_commit(a, "late.test", t0 + SEC(300), &pol, hosts,
                             "r-late@test", &lost), APR_SUCCESS,
              "late: a commits");
    check_int(wr_farm_host_state(b, "late.test", "192.0.2.9", &pend, &rep),
              APR_SUCCESS, "late: b's state");
    check(!pend && rep, "late: b's host was reported (pending %d, reported "
          "%d)", pend, rep);
    check_int(wr_farm_host_state(b, "late.test", "192.0.2.9", &pend, &rep),
              APR_SUCCESS, "late: b's state again");
    check(!pend && rep, "late: the entry is out of the set");
    check_int(key_exists(apr_pstrcat(p, c.prefix, "h:late.test", NULL)), 0,
              "late: the domain's set is gone");
    check_int(wr_farm_claim(b, "late.test", t0 + SEC(3900), &pol, &res,
                            &hosts, &due, &holder, p), APR_SUCCESS,
              "late: claim after the window");
    check_int(res, WR_FARM_NONE, "late: nothing is left waiting");

    /* the domain window holds farm-wide; a reported host is not named
     * again */
    wr_farm_host_add(b, "ex.test", "192.0.2.3", "rec-z", t0 + SEC(400), 0);
    wr_farm_host_add(b, "ex.test", "192.0.2.1", "rec-x2", t0 + SEC(400), 0);
    check_int(wr_farm_claim(a, "ex.test", t0 + SEC(1000), &pol, &res,
                            &hosts, &due, &holder, p), APR_SUCCESS,
              "claim in the window");
    check_int(res, WR_FARM_WAIT, "the domain window holds for the farm");
    check_int(due, t0 + SEC(302) + SEC(3600), "due when the window ends");
    check_int(wr_farm_claim(b, "ex.test", t0 + SEC(3902), &pol, &res,
                            &hosts, &due, &holder, p), APR_SUCCESS,
              "claim after the window");
    check_int(res, WR_FARM_CLAIMED, "b claims the next window");
    check_int(hosts->nelts, 1, "the host reported before is left out");
    check_str(hosts->nelts ? APR_ARRAY_IDX(hosts, 0, wr_farm_host_t).address
                           : NULL, "192.0.2.3", "only the new host");

    /* a claim whose holder dies: the lease ends, another takes it over */
    usleep(400000);
    check_int(wr_farm_claim(a, "ex.test", t0 + SEC(3903), &pol, &res,
                            &hosts, &due, &holder, p), APR_SUCCESS,
              "claim after the lease");
    check_int(res, WR_FARM_CLAIMED, "a takes over when b's lease ended");
    check_int(hosts->nelts, 1, "with the host b had claimed");
    check_int(wr_farm_commit(b, "ex.test", t0 + SEC(3903), &pol, hosts,
                             "r2@test", &lost), APR_SUCCESS, "late commit");
    check_int(lost, 1, "a commit after losing the claim says so");
    wr_farm_release(a, "ex.test");

    /* the hourly cap holds farm-wide: the last digest is within the hour */
    pol.max_per_hour = 1;
    wr_farm_host_add(a, "other.test", "198.51.100.1", "rec", t0, 0);
    check_int(wr_farm_claim(b, "other.test", t0 + SEC(3910), &pol, &res,
                            &hosts, &due, &holder, p), APR_SUCCESS,
              "claim at the cap");
    check_int(res, WR_FARM_CAP, "the farm's cap is reached");
    check(due > t0 + SEC(3910), "the cap says when");
    pol.max_per_hour = 0;
    check_int(wr_farm_claim(b, "other.test", t0 + SEC(3910), &pol, &res,
                            &hosts, &due, &holder, p), APR_SUCCESS,
              "claim without a cap");
    check_int(res, WR_FARM_CLAIMED, "no cap, claimed");
    check_int(wr_farm_commit(b, "other.test", t0 + SEC(3910), &pol, hosts,
                             "r3@test", &lost), APR_SUCCESS, "commit");
    check_int(wr_farm_windows(a, t0 + SEC(3911), &pol, &nwin), APR_SUCCESS,
              "windows");
    check_int(nwin, 2, "two domains in their window");

    /* two servers claiming two domains at once take one place each under
     * the cap: with one place left the second claim waits; a release
     * gives the place back (two hours on: the counts above are gone) */
    {
        apr_time_t t2 = t0 + SEC(3910 + 7300);
        apr_array_header_t *h2;

        pol.max_per_hour = 1;
        wr_farm_host_add(a, "c1.test", "198.51.100.21", "rec", t2, 0);
        wr_farm_host_add(b, "c2.test", "198.51.100.22", "rec", t2, 0);
        check_int(wr_farm_claim(a, "c1.test", t2 + SEC(301), &pol, &res,
                                &hosts, &due, &holder, p), APR_SUCCESS,
                  "a claims c1");
        check_int(res, WR_FARM_CLAIMED, "a holds c1, the last place");
        check_int(wr_farm_claim(b, "c2.test", t2 + SEC(301), &pol, &res, &h2,
                                &due, &holder, p), APR_SUCCESS,
                  "b claims c2 before a commits");
        check_int(res, WR_FARM_CAP, "c2 waits: the place is taken");
        check_int(wr_farm_release(a, "c1.test"), APR_SUCCESS, "a releases");
        check_int(wr_farm_claim(b, "c2.test", t2 + SEC(301), &pol, &res, &h2,
                                &due, &holder, p), APR_SUCCESS,
                  "b claims c2 again");
        check_int(res, WR_FARM_CLAIMED, "the released place is b's");
        check_int(wr_farm_commit(b, "c2.test", t2 + SEC(301), &pol, h2,
                                 "r4@test", &lost), APR_SUCCESS, "b commits");
        check_int(wr_farm_claim(a, "c1.test", t2 + SEC(302), &pol, &res,
                                &hosts, &due, &holder, p), APR_SUCCESS,
                  "a claims c1 again");
        check_int(res, WR_FARM_CAP, "the committed digest keeps its place");
        pol.max_per_hour = 0;
    }

    /* suppression */
    check_int(wr_farm_suppress(a, "abuse@ex.test", t0 + SEC(100), t0),
              APR_SUCCESS, "suppress");
    check_int(wr_farm_suppressed(b, "abuse@ex.test", &yes), APR_SUCCESS,
              "suppressed?");
    check_int(yes, 1, "suppressed by a, seen by b");
    check_int(wr_farm_suppressed(b, "postmaster@ex.test", &yes), APR_SUCCESS,
              "other address");
    check_int(yes, 0, "another address is not suppressed");

    /* reported while the farm was away */
    wr_farm_host_add(a, "third.test", "203.0.113.5", "rec", t0, 0);
    wr_farm_host_add(b, "third.test", "203.0.113.5", "rec", t0, 0);
    {
        apr_array_header_t *addrs = apr_array_make(p, 1, sizeof(char *));
        APR_ARRAY_PUSH(addrs, const char *) = "203.0.113.5";
        check_int(wr_farm_reported(a, "third.test", addrs, t0 + SEC(5), &pol),
                  APR_SUCCESS, "reported during an outage");
    }
    check_int(wr_farm_host_state(b, "third.test", "203.0.113.5", &pend,
                                 &rep), APR_SUCCESS, "state");
    check(!pend && rep, "another server's copy of the host is gone");
    check_int(wr_farm_claim(b, "third.test", t0 + SEC(10000), &pol, &res,
                            &hosts, &due, &holder, p), APR_SUCCESS, "claim");
    check_int(res, WR_FARM_NONE, "nothing left to send for it");

    /* Redis goes away, comes back empty */
    redis_stop();
    check_int(wr_farm_generation(a, &g1) != APR_SUCCESS, 1,
              "an error while Redis is down");
    check(wr_farm_error(a, &at) != NULL, "the error is kept: %s",
          wr_farm_error(a, &at) ? wr_farm_error(a, &at) : "");
    check(!wr_farm_ready(a, t0, &reset), "not ready while down");
    check(redis_start(), "redis-server back");
    usleep(2000);
    check(wr_farm_ready(a, t0, &reset), "ready again");
    check_int(reset, 1, "an empty Redis is a reset");
    check(wr_farm_error(a, NULL) == NULL, "no error after success");
    check(wr_farm_roundtrips(a) > 10, "round trips are counted (%lu)",
          (unsigned long)wr_farm_roundtrips(a));
}

int main(void)
{
    apr_pool_t *p;
    const char *e = getenv("WR_TEST_REDIS_PORT");

    apr_initialize();
    apr_pool_create(&p, NULL);
    port = e ? atoi(e) : 16391;
    signal(SIGPIPE, SIG_IGN);
    test_parse(p);
    if (listening()) {
        check(0, "port %d is free for the test's redis-server", port);
    }
    else if (!redis_start()) {
        check(0, "redis-server starts on 127.0.0.1:%d", port);
    }
    else {
        test_farm(p);
    }
    redis_stop();
    apr_pool_destroy(p);
    apr_terminate();
    return done_testing();
}
