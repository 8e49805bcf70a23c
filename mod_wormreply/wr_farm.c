/* wr_farm.c - the notifier state a farm shares through Redis (hiredis)
 *
 * Every operation that reads and writes more than one key is a Lua script,
 * which Redis runs whole with nothing else in between: that is what makes
 * a claim exclusive and a commit all-or-nothing (ap_socache offers no such
 * compare-and-set). The scripts are loaded once per connection and called
 * by their SHA1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include <hiredis/hiredis.h>

#include "wr_farm.h"

/* Keys are kept a week past their last use: longer than any window. */
#define KEY_TTL_MS "604800000"
/* The newest digests kept in the sent list. */
#define SENT_KEEP "999"

/* ADD: KEYS d:, h:; ARGV field, record, now, last_sent, ttl */
static const char lua_add[] =
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
    "if redis.call('HEXISTS', KEYS[1], 'first_pending') == 0 then\n"
    "  redis.call('HSET', KEYS[1], 'first_pending', ARGV[3])\n"
    "end\n"
    "local ls = tonumber(redis.call('HGET', KEYS[1], 'last_sent') or '0')\n"
    "if tonumber(ARGV[4]) > ls then\n"
    "  redis.call('HSET', KEYS[1], 'last_sent', ARGV[4])\n"
    "end\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[5])\n"
    "redis.call('PEXPIRE', KEYS[2], ARGV[5])\n"
    "return 1\n";

/* CLAIM: KEYS d:, h:, c:, cap, r:; ARGV now, delay, window, max, server,
 * lease, n-prefix. Returns {1, '', field, record, ...} when claimed,
 * {2} none, {3, due} wait, {4, holder} held, {5, next} cap. A claim
 * takes its digest's place under the cap at once (r: keeps the minute
 * counted, for RELEASE): checked here and counted at COMMIT, two servers
 * claiming two domains at once could both pass a cap with one left. */
static const char lua_claim[] =
    "local now = tonumber(ARGV[1])\n"
    "local fp = tonumber(redis.call('HGET', KEYS[1], 'first_pending')"
    " or '0')\n"
    "if fp == 0 or redis.call('HLEN', KEYS[2]) == 0 then return {2} end\n"
    "local ls = tonumber(redis.call('HGET', KEYS[1], 'last_sent') or '0')\n"
    "local due = fp + tonumber(ARGV[2])\n"
    "if ls > 0 and ls + tonumber(ARGV[3]) > due then\n"
    "  due = ls + tonumber(ARGV[3])\n"
    "end\n"
    "if now < due then return {3, string.format('%.0f', due)} end\n"
    "local holder = redis.call('GET', KEYS[3])\n"
    "if holder then return {4, holder} end\n"
    "local max = tonumber(ARGV[4])\n"
    "if max > 0 then\n"
    "  local minute = math.floor(now / 60000000)\n"
    "  local sum, oldest = 0, nil\n"
    "  local b = redis.call('HGETALL', KEYS[4])\n"
    "  for i = 1, #b, 2 do\n"
    "    local m = tonumber(b[i])\n"
    "    if m <= minute - 60 then redis.call('HDEL', KEYS[4], b[i])\n"
    "    else\n"
    "      sum = sum + tonumber(b[i + 1])\n"
    "      if oldest == nil or m < oldest then oldest = m end\n"
    "    end\n"
    "  end\n"
    "  if sum >= max then\n"
    "    return {5, string.format('%.0f', (oldest + 60) * 60000000)}\n"
    "  end\n"
    "end\n"
    "local h = redis.call('HGETALL', KEYS[2])\n"
    "local out = {1, ''}\n"
    "for i = 1, #h, 2 do\n"
    "  local a = string.match(h[i], '|(.*)$')\n"
    "  if a == nil or redis.call('EXISTS', ARGV[7] .. a) == 1 then\n"
    "    redis.call('HDEL', KEYS[2], h[i])\n"
    "  else\n"
    "    out[#out + 1] = h[i]\n"
    "    out[#out + 1] = h[i + 1]\n"
    "  end\n"
    "end\n"
    "if #out == 2 then\n"
    "  redis.call('HDEL', KEYS[1], 'first_pending')\n"
    "  return {2}\n"
    "end\n"
    "if max > 0 then\n"
    "  local m = string.format('%d', math.floor(now / 60000000))\n"
    "  redis.call('HINCRBY', KEYS[4], m, 1)\n"
    "  redis.call('PEXPIRE', KEYS[4], 7200000)\n"
    "  redis.call('SET', KEYS[5], m, 'PX', ARGV[6])\n"
    "end\n"
    "redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[6])\n"
    "return out\n";

/* COMMIT: KEYS d:, h:, c:, cap, windows, sent, gen, r:; ARGV server,
 * now, host window, max, n-prefix, domain, report id, ttl, fields...
 * Returns 1 when the claim had passed to another server. The cap counted
 * the digest at CLAIM already. */
static const char lua_commit[] =
    "local holder = redis.call('GET', KEYS[3])\n"
    "local lost = 0\n"
    "if holder and holder ~= ARGV[1] then lost = 1 end\n"
    "local n = 0\n"
    "for i = 9, #ARGV do\n"
    "  local a = string.match(ARGV[i], '|(.*)$')\n"
    "  redis.call('HDEL', KEYS[2], ARGV[i])\n"
    "  if a then\n"
    "    redis.call('SET', ARGV[5] .. a, ARGV[2], 'PX', ARGV[3])\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "if redis.call('HLEN', KEYS[2]) == 0 then\n"
    "  redis.call('HDEL', KEYS[1], 'first_pending')\n"
    "else\n"
    "  redis.call('HSET', KEYS[1], 'first_pending', ARGV[2])\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'last_sent', ARGV[2])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[8])\n"
    "redis.call('ZADD', KEYS[5], ARGV[2], ARGV[6])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf',"
    " string.format('%.0f', tonumber(ARGV[2]) - 604800000000))\n"
    "redis.call('LPUSH', KEYS[6], ARGV[2] .. ' ' .. ARGV[6] .. ' ' .."
    " ARGV[1] .. ' ' .. n .. ' ' .. ARGV[7])\n"
    "redis.call('LTRIM', KEYS[6], 0, " SENT_KEEP ")\n"
    "redis.call('INCR', KEYS[7])\n"
    "if lost == 0 then redis.call('DEL', KEYS[3], KEYS[8]) end\n"
    "return lost\n";

/* REPORTED: KEYS d:, h:, windows, gen; ARGV when, host window, n-prefix,
 * domain, ttl, addresses... */
static const char lua_reported[] =
    "for i = 6, #ARGV do\n"
    "  redis.call('SET', ARGV[3] .. ARGV[i], ARGV[1], 'PX', ARGV[2])\n"
    "end\n"
    "local gone = {}\n"
    "for i = 6, #ARGV do gone[ARGV[i]] = true end\n"
    "for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do\n"
    "  local a = string.match(f, '|(.*)$')\n"
    "  if a and gone[a] then redis.call('HDEL', KEYS[2], f) end\n"
    "end\n"
    "local ls = tonumber(redis.call('HGET', KEYS[1], 'last_sent') or '0')\n"
    "if tonumber(ARGV[1]) > ls then\n"
    "  redis.call('HSET', KEYS[1], 'last_sent', ARGV[1])\n"
    "  redis.call('ZADD', KEYS[3], ARGV[1], ARGV[4])\n"
    "end\n"
    "if redis.call('HLEN', KEYS[2]) == 0 then\n"
    "  redis.call('HDEL', KEYS[1], 'first_pending')\n"
    "end\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[5])\n"
    "redis.call('INCR', KEYS[4])\n"
    "return 1\n";

/* STATE: KEYS h:, n:ADDRESS, d:; ARGV field. A host reported within the
 * host window leaves the set: its entry was added after the claim of the
 * digest that named it (the commit removed only what was claimed), and
 * would otherwise wait for a digest that no server sends. */
static const char lua_state[] =
    "if redis.call('EXISTS', KEYS[2]) == 1 then\n"
    "  redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "  if redis.call('HLEN', KEYS[1]) == 0 then\n"
    "    redis.call('HDEL', KEYS[3], 'first_pending')\n"
    "  end\n"
    "  return {0, 1}\n"
    "end\n"
    "return {redis.call('HEXISTS', KEYS[1], ARGV[1]), 0}\n";

/* RELEASE: KEYS c:, cap, r:; ARGV server. Nothing was sent: the place
 * the claim took under the cap is given back. */
static const char lua_release[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  local m = redis.call('GET', KEYS[3])\n"
    "  if m and redis.call('HEXISTS', KEYS[2], m) == 1 then\n"
    "    redis.call('HINCRBY', KEYS[2], m, -1)\n"
    "  end\n"
    "  redis.call('DEL', KEYS[1], KEYS[3])\n"
    "end\n"
    "return 1\n";

enum { S_ADD, S_CLAIM, S_COMMIT, S_REPORTED, S_STATE, S_RELEASE, S_COUNT };

static const char *const scripts[S_COUNT] = {
    lua_add, lua_claim, lua_commit, lua_reported, lua_state, lua_release
};

struct wr_farm_t {
    wr_farm_conf_t conf;
    const char *server;
    apr_pool_t *pool;
    redisContext *rc;
    pid_t pid;                 /* the process that connected rc */
    char sha[S_COUNT][41];
    char epoch[40];            /* the farm data's id, as last seen */
    apr_time_t next_try;       /* no reconnection before this */
    char err[256];
    apr_time_t err_at;
    int failed;                /* an error since the last success */
    apr_uint64_t roundtrips;
};

apr_status_t wr_farm_parse_url(const char *url, wr_farm_conf_t *c,
                               const char **err, apr_pool_t *p)
{
    const char *s, *at, *slash, *colon;
    char *end;
    long v;

    memset(c, 0, sizeof(*c));
    c->port = WR_FARM_DEFAULT_PORT;
    c->prefix = WR_FARM_DEFAULT_PREFIX;
    c->timeout_ms = WR_FARM_DEFAULT_TIMEOUT_MS;
    c->retry = WR_FARM_DEFAULT_RETRY;
    c->lease = WR_FARM_LEASE;
    if (url == NULL || strncasecmp(url, "redis://", 8) != 0) {
        *err = "must start with redis:// (redis://[user@]host[:port][/db])";
        return APR_EINVAL;
    }
    s = url + 8;
    if ((at = strchr(s, '@')) != NULL) {
        if (at == s || memchr(s, ':', (apr_size_t)(at - s))) {
            *err = "user@ must name a user and no password (the password "
                   "comes from a file)";
            return APR_EINVAL;
        }
        c->user = apr_pstrmemdup(p, s, (apr_size_t)(at - s));
        s = at + 1;
    }
    slash = strchr(s, '/');
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || (slash && close > slash)) {
            *err = "an IPv6 address must be written in brackets: [::1]";
            return APR_EINVAL;
        }
        c->host = apr_pstrmemdup(p, s + 1, (apr_size_t)(close - s - 1));
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close[1] != '\0' && close[1] != '/') {
            *err = "unexpected text after the address";
            return APR_EINVAL;
        }
    }
    else {
        colon = strchr(s, ':');
        if (colon && slash && colon > slash) {
            colon = NULL;
        }
        c->host = apr_pstrmemdup(p, s, (apr_size_t)((colon ? colon
                                 : slash ? slash : s + strlen(s)) - s));
    }
    if (*c->host == '\0' || strpbrk(c->host, " \t@?#")) {
        *err = "no valid host";
        return APR_EINVAL;
    }
    if (colon) {
        v = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || v < 1 || v > 65535
            || (*end != '\0' && *end != '/')) {
            *err = "the port must be a number from 1 to 65535";
            return APR_EINVAL;
        }
        c->port = (int)v;
    }
    if (slash && slash[1] != '\0') {
        v = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end != '\0' || v < 0 || v > 65535) {
            *err = "the database after / must be a number";
            return APR_EINVAL;
        }
        c->db = (int)v;
    }
    return APR_SUCCESS;
}

/* drop - forget the connection (in a child of the process that made it,
 * only the file descriptor: the other process still uses the session) */
static void drop(wr_farm_t *f)
{
    if (f->rc) {
        redisFree(f->rc);
        f->rc = NULL;
    }
}

static apr_status_t farm_cleanup(void *data)
{
    drop(data);
    return APR_SUCCESS;
}

apr_status_t wr_farm_open(wr_farm_t **pf, const wr_farm_conf_t *c,
                          const char *server, apr_pool_t *p)
{
    wr_farm_t *f = apr_pcalloc(p, sizeof(*f));

    f->conf = *c;
    f->conf.host = apr_pstrdup(p, c->host);
    f->conf.user = c->user ? apr_pstrdup(p, c->user) : NULL;
    f->conf.password = c->password ? apr_pstrdup(p, c->password) : NULL;
    f->conf.password_file = c->password_file;
    f->conf.prefix = apr_pstrdup(p, c->prefix ? c->prefix
                                               : WR_FARM_DEFAULT_PREFIX);
    if (f->conf.lease <= 0) {
        f->conf.lease = WR_FARM_LEASE;
    }
    if (f->conf.timeout_ms <= 0) {
        f->conf.timeout_ms = WR_FARM_DEFAULT_TIMEOUT_MS;
    }
    f->server = apr_pstrdup(p, server);
    f->pool = p;
    apr_pool_cleanup_register(p, f, farm_cleanup, apr_pool_cleanup_null);
    *pf = f;
    return APR_SUCCESS;
}

void wr_farm_close(wr_farm_t *f)
{
    drop(f);
}

/* fail - note an error, drop the connection: the caller falls back */
static apr_status_t fail(wr_farm_t *f, const char *what, const char *detail)
{
    apr_snprintf(f->err, sizeof(f->err), "%s %s:%d: %s", what, f->conf.host,
                 f->conf.port, detail ? detail : "error");
    f->err_at = apr_time_now();
    f->failed = 1;
    drop(f);
    f->next_try = f->err_at + (f->conf.retry > 0 ? f->conf.retry
                                                 : WR_FARM_DEFAULT_RETRY);
    return APR_EGENERAL;
}

/* command - one command; the reply (to be freed) in *out. An error reply
 * is an error; the connection is then dropped. */
static apr_status_t command(wr_farm_t *f, const char *what, int argc,
                            const char **argv, redisReply **out)
{
    redisReply *r;

    *out = NULL;
    if (f->rc == NULL) {
        return fail(f, what, "not connected");
    }
    f->roundtrips++;
    r = redisCommandArgv(f->rc, argc, argv, NULL);
    if (r == NULL) {
        return fail(f, what, f->rc->errstr[0] ? f->rc->errstr
                                              : "no reply");
    }
    if (r->type == REDIS_REPLY_ERROR) {
        char msg[200];
        apr_cpystrn(msg, r->str ? r->str : "error", sizeof(msg));
        freeReplyObject(r);
        return fail(f, what, msg);
    }
    *out = r;
    return APR_SUCCESS;
}

/* simple - a command whose reply is only checked */
static apr_status_t simple(wr_farm_t *f, const char *what, int argc,
                           const char **argv)
{
    redisReply *r;
    apr_status_t rv = command(f, what, argc, argv, &r);

    if (r) {
        freeReplyObject(r);
    }
    return rv;
}

/* connect_now - connect, authenticate, select, load the scripts, read the
 * epoch (setting it when there is none) */
static apr_status_t connect_now(wr_farm_t *f, int *reset)
{
    struct timeval tv;
    redisReply *r;
    const char *argv[4];
    char epoch[33];
    unsigned char rnd[16];
    apr_status_t rv;
    int k;

    tv.tv_sec = f->conf.timeout_ms / 1000;
    tv.tv_usec = (f->conf.timeout_ms % 1000) * 1000;
    f->rc = redisConnectWithTimeout(f->conf.host, f->conf.port, tv);
    if (f->rc == NULL || f->rc->err) {
        return fail(f, "connect", f->rc ? f->rc->errstr : "out of memory");
    }
    redisSetTimeout(f->rc, tv);
    f->pid = getpid();
    if (f->conf.password || f->conf.password_file) {
        /* a password from the file lives only for this AUTH: read into a
         * pool of its own, wiped when it is destroyed */
        apr_pool_t *sp;
        const char *pw = f->conf.password, *err = NULL;

        apr_pool_create(&sp, f->pool);
        if (pw == NULL
            && wr_smtp_secret_read(f->conf.password_file, &pw, &err, sp)
               != APR_SUCCESS) {
            apr_pool_destroy(sp);
            return fail(f, "password file for", err ? err : "unreadable");
        }
        argv[0] = "AUTH";
        argv[1] = f->conf.user ? f->conf.user : pw;
        argv[2] = pw;
        rv = simple(f, "AUTH at", f->conf.user ? 3 : 2, argv);
        apr_pool_destroy(sp);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    if (f->conf.db) {
        char db[16];
        apr_snprintf(db, sizeof(db), "%d", f->conf.db);
        argv[0] = "SELECT";
        argv[1] = db;
        if ((rv = simple(f, "SELECT at", 2, argv)) != APR_SUCCESS) {
            return rv;
        }
    }
    for (k = 0; k < S_COUNT; k++) {
        argv[0] = "SCRIPT";
        argv[1] = "LOAD";
        argv[2] = scripts[k];
        if ((rv = command(f, "SCRIPT LOAD at", 3, argv, &r)) != APR_SUCCESS) {
            return rv;
        }
        if (r->type != REDIS_REPLY_STRING || r->len != 40) {
            freeReplyObject(r);
            return fail(f, "SCRIPT LOAD at", "unexpected reply");
        }
        memcpy(f->sha[k], r->str, 40);
        f->sha[k][40] = '\0';
        freeReplyObject(r);
    }
    /* a random id for this generation of the data: SET NX keeps the first */
    if (apr_generate_random_bytes(rnd, sizeof(rnd)) != APR_SUCCESS) {
        return fail(f, "connect", "no random bytes");
    }
    for (k = 0; k < 16; k++) {
        apr_snprintf(epoch + 2 * k, 3, "%02x", rnd[k]);
    }
    argv[0] = "SET";
    argv[1] = apr_pstrcat(f->pool, f->conf.prefix, "epoch", NULL);
    argv[2] = epoch;
    argv[3] = "NX";
    if ((rv = simple(f, "SET at", 4, argv)) != APR_SUCCESS) {
        return rv;
    }
    argv[0] = "GET";
    if ((rv = command(f, "GET at", 2, argv, &r)) != APR_SUCCESS) {
        return rv;
    }
    if (r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        return fail(f, "GET at", "no epoch");
    }
    if (reset) {
        *reset = strncmp(f->epoch, r->str, sizeof(f->epoch) - 1) != 0;
    }
    apr_cpystrn(f->epoch, r->str, sizeof(f->epoch));
    freeReplyObject(r);
    f->failed = 0;
    return APR_SUCCESS;
}

int wr_farm_ready(wr_farm_t *f, apr_time_t now, int *reset)
{
    if (reset) {
        *reset = 0;
    }
    if (f->rc && f->pid != getpid()) {
        /* a forked child: its own connection, never the parent's */
        drop(f);
        f->next_try = 0;
    }
    if (f->rc) {
        return 1;
    }
    if (now < f->next_try) {
        return 0;
    }
    return connect_now(f, reset) == APR_SUCCESS;
}

const char *wr_farm_error(const wr_farm_t *f, apr_time_t *at)
{
    if (at) {
        *at = f->err_at;
    }
    return f->failed ? f->err : NULL;
}

const char *wr_farm_server(const wr_farm_t *f)
{
    return f->server;
}

apr_uint64_t wr_farm_roundtrips(const wr_farm_t *f)
{
    return f->roundtrips;
}

/* key - PREFIX + kind + name */
static const char *key(wr_farm_t *f, const char *kind, const char *name,
                       apr_pool_t *p)
{
    return apr_pstrcat(p, f->conf.prefix, kind, name, NULL);
}

static const char *num(apr_int64_t v, apr_pool_t *p)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

static const char *ms(apr_interval_time_t t, apr_pool_t *p)
{
    return num(apr_time_as_msec(t) > 0 ? apr_time_as_msec(t) : 1, p);
}

/* claim_keys - KEYS[1..4] of CLAIM and COMMIT (COMMIT checks the claim
 * CLAIM made): the domain's record, its hosts, its claim, the cap */
static void claim_keys(wr_farm_t *f, const char *domain, const char **keys,
                       apr_pool_t *p)
{
    keys[0] = key(f, "d:", domain, p);
    keys[1] = key(f, "h:", domain, p);
    keys[2] = key(f, "c:", domain, p);
    keys[3] = key(f, "cap", "", p);
}

/* eval - EVALSHA of script `s` with the keys and args given; with `out`
 * NULL the reply is only checked (as by simple) */
static apr_status_t eval(wr_farm_t *f, int s, int nkeys, const char **keys,
                         int nargs, const char **args, redisReply **out,
                         apr_pool_t *p)
{
    const char **argv = apr_palloc(p, sizeof(char *)
                                      * (apr_size_t)(3 + nkeys + nargs));
    int k;

    argv[0] = "EVALSHA";
    argv[1] = f->sha[s];
    argv[2] = num(nkeys, p);
    for (k = 0; k < nkeys; k++) {
        argv[3 + k] = keys[k];
    }
    for (k = 0; k < nargs; k++) {
        argv[3 + nkeys + k] = args[k];
    }
    if (out == NULL) {
        return simple(f, "EVALSHA at", 3 + nkeys + nargs, argv);
    }
    return command(f, "EVALSHA at", 3 + nkeys + nargs, argv, out);
}

apr_status_t wr_farm_host_add(wr_farm_t *f, const char *domain,
                              const char *address, const char *record,
                              apr_time_t now, apr_time_t last_sent)
{
    apr_pool_t *p;
    const char *keys[2], *args[5];
    apr_status_t rv;

    apr_pool_create(&p, f->pool);
    keys[0] = key(f, "d:", domain, p);
    keys[1] = key(f, "h:", domain, p);
    args[0] = apr_pstrcat(p, f->server, "|", address, NULL);
    args[1] = record;
    args[2] = num(now, p);
    args[3] = num(last_sent, p);
    args[4] = KEY_TTL_MS;
    rv = eval(f, S_ADD, 2, keys, 5, args, NULL, p);
    apr_pool_destroy(p);
    return rv;
}

/* exists - *yes = 1 if the key exists */
static apr_status_t exists(wr_farm_t *f, const char *k, int *yes)
{
    const char *argv[2] = { "EXISTS", k };
    redisReply *r;
    apr_status_t rv = command(f, "EXISTS at", 2, argv, &r);

    *yes = rv == APR_SUCCESS && r->type == REDIS_REPLY_INTEGER
           && r->integer > 0;
    if (r) {
        freeReplyObject(r);
    }
    return rv;
}

apr_status_t wr_farm_host_recent(wr_farm_t *f, const char *address,
                                 int *recent)
{
    char k[300];

    apr_snprintf(k, sizeof(k), "%sn:%s", f->conf.prefix, address);
    return exists(f, k, recent);
}

/* time_of - a decimal time from a reply element */
static apr_time_t time_of(const redisReply *e)
{
    if (e->type == REDIS_REPLY_STRING) {
        return (apr_time_t)apr_atoi64(e->str);
    }
    return e->type == REDIS_REPLY_INTEGER ? (apr_time_t)e->integer : 0;
}

apr_status_t wr_farm_claim(wr_farm_t *f, const char *domain, apr_time_t now,
                           const wr_rate_policy_t *pol, wr_farm_claim_e *res,
                           apr_array_header_t **hosts, apr_time_t *due,
                           const char **holder, apr_pool_t *p)
{
    const char *keys[5], *args[7];
    redisReply *r;
    apr_status_t rv;
    apr_size_t k;

    *hosts = apr_array_make(p, 4, sizeof(wr_farm_host_t));
    *due = 0;
    *holder = NULL;
    claim_keys(f, domain, keys, p);
    keys[4] = key(f, "r:", domain, p);
    args[0] = num(now, p);
    args[1] = num(pol->digest_delay, p);
    args[2] = num(pol->domain_window, p);
    args[3] = num((apr_int64_t)pol->max_per_hour, p);
    args[4] = f->server;
    args[5] = ms(f->conf.lease, p);
    args[6] = key(f, "n:", "", p);
    if ((rv = eval(f, S_CLAIM, 5, keys, 7, args, &r, p)) != APR_SUCCESS) {
        return rv;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || r->element[0]->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        return fail(f, "claim at", "unexpected reply");
    }
    *res = (wr_farm_claim_e)r->element[0]->integer;
    switch (*res) {
    case WR_FARM_CLAIMED:
        for (k = 2; k + 1 < r->elements; k += 2) {
            wr_farm_host_t *h = apr_array_push(*hosts);
            const char *bar;
            h->field = apr_pstrmemdup(p, r->element[k]->str,
                                      r->element[k]->len);
            h->record = apr_pstrmemdup(p, r->element[k + 1]->str,
                                       r->element[k + 1]->len);
            bar = strchr(h->field, '|');
            h->address = bar ? bar + 1 : h->field;
        }
        break;
    case WR_FARM_WAIT:
    case WR_FARM_CAP:
        if (r->elements > 1) {
            *due = time_of(r->element[1]);
        }
        break;
    case WR_FARM_HELD:
        if (r->elements > 1 && r->element[1]->type == REDIS_REPLY_STRING) {
            *holder = apr_pstrdup(p, r->element[1]->str);
        }
        break;
    case WR_FARM_NONE:
        break;
    default:
        freeReplyObject(r);
        return fail(f, "claim at", "unknown answer");
    }
    freeReplyObject(r);
    return APR_SUCCESS;
}

apr_status_t wr_farm_commit(wr_farm_t *f, const char *domain, apr_time_t now,
                            const wr_rate_policy_t *pol,
                            const apr_array_header_t *hosts,
                            const char *report_id, int *lost)
{
    apr_pool_t *p;
    const char *keys[8], **args;
    redisReply *r;
    apr_status_t rv;
    int k;

    *lost = 0;
    apr_pool_create(&p, f->pool);
    claim_keys(f, domain, keys, p);
    keys[4] = key(f, "windows", "", p);
    keys[5] = key(f, "sent", "", p);
    keys[6] = key(f, "gen", "", p);
    keys[7] = key(f, "r:", domain, p);
    args = apr_palloc(p, sizeof(char *) * (apr_size_t)(8 + hosts->nelts));
    args[0] = f->server;
    args[1] = num(now, p);
    args[2] = ms(pol->host_window, p);
    args[3] = num((apr_int64_t)pol->max_per_hour, p);
    args[4] = key(f, "n:", "", p);
    args[5] = domain;
    args[6] = report_id ? report_id : "-";
    args[7] = KEY_TTL_MS;
    for (k = 0; k < hosts->nelts; k++) {
        args[8 + k] = APR_ARRAY_IDX(hosts, k, wr_farm_host_t).field;
    }
    rv = eval(f, S_COMMIT, 8, keys, 8 + hosts->nelts, args, &r, p);
    if (rv == APR_SUCCESS) {
        *lost = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
        freeReplyObject(r);
    }
    apr_pool_destroy(p);
    return rv;
}

apr_status_t wr_farm_release(wr_farm_t *f, const char *domain)
{
    apr_pool_t *p;
    const char *keys[3], *args[1];
    apr_status_t rv;

    apr_pool_create(&p, f->pool);
    keys[0] = key(f, "c:", domain, p);
    keys[1] = key(f, "cap", "", p);
    keys[2] = key(f, "r:", domain, p);
    args[0] = f->server;
    rv = eval(f, S_RELEASE, 3, keys, 1, args, NULL, p);
    apr_pool_destroy(p);
    return rv;
}

apr_status_t wr_farm_generation(wr_farm_t *f, apr_uint64_t *gen)
{
    char k[200];
    const char *argv[2] = { "GET", k };
    redisReply *r;
    apr_status_t rv;

    apr_snprintf(k, sizeof(k), "%sgen", f->conf.prefix);
    if ((rv = command(f, "GET at", 2, argv, &r)) != APR_SUCCESS) {
        return rv;
    }
    *gen = r->type == REDIS_REPLY_STRING ? (apr_uint64_t)apr_atoi64(r->str)
                                         : 0;
    freeReplyObject(r);
    return APR_SUCCESS;
}

apr_status_t wr_farm_host_state(wr_farm_t *f, const char *domain,
                                const char *address, int *pending,
                                int *reported)
{
    apr_pool_t *p;
    const char *keys[3], *args[1];
    redisReply *r;
    apr_status_t rv;

    *pending = *reported = 0;
    apr_pool_create(&p, f->pool);
    keys[0] = key(f, "h:", domain, p);
    keys[1] = key(f, "n:", address, p);
    keys[2] = key(f, "d:", domain, p);
    args[0] = apr_pstrcat(p, f->server, "|", address, NULL);
    rv = eval(f, S_STATE, 3, keys, 1, args, &r, p);
    if (rv == APR_SUCCESS) {
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            *pending = r->element[0]->integer > 0;
            *reported = r->element[1]->integer > 0;
        }
        freeReplyObject(r);
    }
    apr_pool_destroy(p);
    return rv;
}

apr_status_t wr_farm_reported(wr_farm_t *f, const char *domain,
                              const apr_array_header_t *addresses,
                              apr_time_t when, const wr_rate_policy_t *pol)
{
    apr_pool_t *p;
    const char *keys[4], **args;
    apr_status_t rv;
    int k;

    apr_pool_create(&p, f->pool);
    keys[0] = key(f, "d:", domain, p);
    keys[1] = key(f, "h:", domain, p);
    keys[2] = key(f, "windows", "", p);
    keys[3] = key(f, "gen", "", p);
    args = apr_palloc(p, sizeof(char *) * (apr_size_t)(5 + addresses->nelts));
    args[0] = num(when, p);
    args[1] = ms(pol->host_window, p);
    args[2] = key(f, "n:", "", p);
    args[3] = domain;
    args[4] = KEY_TTL_MS;
    for (k = 0; k < addresses->nelts; k++) {
        args[5 + k] = APR_ARRAY_IDX(addresses, k, const char *);
    }
    rv = eval(f, S_REPORTED, 4, keys, 5 + addresses->nelts, args, NULL,
              p);
    apr_pool_destroy(p);
    return rv;
}

apr_status_t wr_farm_suppress(wr_farm_t *f, const char *address,
                              apr_time_t until, apr_time_t now)
{
    apr_pool_t *p;
    const char *argv[5];
    apr_status_t rv;

    if (until <= now) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, f->pool);
    argv[0] = "SET";
    argv[1] = key(f, "s:", address, p);
    argv[2] = num(until, p);
    argv[3] = "PX";
    argv[4] = ms(until - now, p);
    rv = simple(f, "SET at", 5, argv);
    apr_pool_destroy(p);
    return rv;
}

apr_status_t wr_farm_suppressed(wr_farm_t *f, const char *address, int *yes)
{
    char k[300];

    apr_snprintf(k, sizeof(k), "%ss:%s", f->conf.prefix, address);
    return exists(f, k, yes);
}

apr_status_t wr_farm_windows(wr_farm_t *f, apr_time_t now,
                             const wr_rate_policy_t *pol, apr_uint64_t *n)
{
    apr_pool_t *p;
    const char *argv[4];
    redisReply *r;
    apr_status_t rv;

    *n = 0;
    apr_pool_create(&p, f->pool);
    argv[0] = "ZCOUNT";
    argv[1] = key(f, "windows", "", p);
    argv[2] = apr_psprintf(p, "(%" APR_INT64_T_FMT,
                           (apr_int64_t)(now - pol->domain_window));
    argv[3] = "+inf";
    rv = command(f, "ZCOUNT at", 4, argv, &r);
    if (rv == APR_SUCCESS) {
        *n = r->type == REDIS_REPLY_INTEGER ? (apr_uint64_t)r->integer : 0;
        freeReplyObject(r);
    }
    apr_pool_destroy(p);
    return rv;
}
