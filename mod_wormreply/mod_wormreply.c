/* mod_wormreply.c - the module record and its hooks
 *
 * Thin glue: the matching, counting and parsing live in the core
 * (wr_*.c); this file decides where in httpd's request cycle each piece
 * runs. Directives and merge: mod_wormreply_config.c; checks of the
 * whole configuration (configtest): mod_wormreply_check.c; mod_status:
 * mod_wormreply_status.c.
 */
#include <string.h>

#include <apr_shm.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_connection.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_mpm.h>
#include <mod_status.h>
#include <scoreboard.h>

#include "mod_wormreply.h"
#include "wr_log.h"
#include "wr_version.h"


/* What post_read_request found, for the later hooks of the same request.
 * `checked` alone (no allocation) marks a request that was looked at and
 * is not a probe. */
typedef struct {
    const char *family;
    wr_action_t action;
} wr_note_t;

static const wr_note_t checked = {NULL, WR_ACT_PASS};

#define COUNTERS_KEY "mod_wormreply-counters"
#define LOG_LINE_MAX 256

/* core_log - the core's log printer: forward to the error log */
static void core_log(const char *file, int line, wr_log_level_t level,
                     apr_status_t rv, const char *msg, void *baton)
{
    server_rec *s = baton;
    ap_log_error(file, line, APLOG_MODULE_INDEX, (int)level, rv, s, "%s", msg);
}

/* counters_shm - the counters' segment, created once per process (in
 * s->process->pool) so that it and its counts survive graceful restarts */
static apr_status_t counters_shm(server_rec *s, apr_size_t size,
                                 apr_shm_t **pshm)
{
    apr_pool_t *proc = s->process->pool;
    apr_shm_t *shm = NULL;
    apr_status_t rv;

    apr_pool_userdata_get((void **)&shm, COUNTERS_KEY, proc);
    if (shm != NULL && apr_shm_size_get(shm) >= size) {
        *pshm = shm;
        return APR_SUCCESS;
    }
    rv = apr_shm_create(&shm, size, NULL, proc);
    if (APR_STATUS_IS_ENOTIMPL(rv)) {
        /* no anonymous shared memory here: fall back to a named segment */
        const char *fname = ap_runtime_dir_relative(proc, "wormreply-counters");
        apr_shm_remove(fname, proc);
        rv = apr_shm_create(&shm, size, fname, proc);
    }
    if (rv == APR_SUCCESS) {
        /* _set, not _setn: the key is copied into the process pool. A key
         * pointing into this module's image dangles once httpd unloads it
         * between configuration passes, and the next lookup reads it
         * (httpd crashed at start, nothing logged) */
        apr_pool_userdata_set(shm, COUNTERS_KEY, apr_pool_cleanup_null, proc);
        *pshm = shm;
    }
    return rv;
}

/* map_families - counter index of every family of `set`, with what the
 * outputs split the probes by (confidence, notifies by itself) */
static void map_families(wr_counters_t *c, const wr_sigset_t *set, int *map,
                         apr_hash_t *notifying)
{
    int f;

    for (f = 0; f < wr_sigset_family_count(set); f++) {
        const char *name = wr_sigset_family_name(set, f);
        map[f] = wr_counters_family(c, name);
        wr_counters_family_meta(c, map[f],
                                wr_sigset_family_confidence(set, f),
                                notifying == NULL
                                || apr_hash_get(notifying, name,
                                                APR_HASH_KEY_STRING) != NULL);
    }
}

/* set_look - how the quick handler looks at a request of this server,
 * decided once per configuration: not at all (WormReply Off), by the
 * prefilter's pair table inline (quick_pairs), or by a call to the
 * matcher's prefilter for every request (a vhost with signatures of its
 * own, or a family that the table alone cannot rule out) */
static void set_look(wr_srv_conf_t *vc)
{
    vc->look = 0;
    vc->quick_pairs = NULL;
    vc->counters = vc->global->counters;
    if (vc->enabled != 1 || vc->counters == NULL) {
        return;
    }
    vc->look = 1;
    if (vc->local == NULL) {
        vc->quick_pairs = wr_sigset_pairs(vc->global->sigset, vc->mask);
    }
}

static int wr_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    wr_srv_conf_t *sc = WR_SRV_CONF(s);
    wr_global_t *g = sc->global;
    int server_limit = 0, thread_limit = 0, nslots;
    apr_size_t size;
    apr_shm_t *shm;
    apr_status_t rv;
    server_rec *vs;
    int f;

    wr_log_set(core_log, WR_LOG_TRACE1, s);
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &server_limit);
    ap_mpm_query(AP_MPMQ_HARD_LIMIT_THREADS, &thread_limit);
    nslots = (server_limit > 0 ? server_limit : 1)
             * (thread_limit > 0 ? thread_limit : 1);
    size = wr_counters_size(nslots);
    if ((rv = counters_shm(s, size, &shm)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, WRLOGNO(00006)
                     "cannot create the counters' shared memory (%lu bytes)",
                     (unsigned long)size);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    wr_counters_attach(&g->counters, apr_shm_baseaddr_get(shm), size, nslots,
                       pconf);
    map_families(g->counters, g->sigset, g->counter_family,
                 g->notify.notifying);
    for (vs = s; vs; vs = vs->next) {
        wr_srv_conf_t *vc = WR_SRV_CONF(vs);
        if (vc->local) {
            map_families(g->counters, vc->local, vc->local_counter_family,
                         g->notify.notifying);
        }
        set_look(vc);
    }
    for (f = 0; f < wr_sigset_family_count(g->sigset); f++) {
        const char *u = wr_sigset_unfiltered(g->sigset, f);
        if (u && (sc->mask & ((wr_family_mask_t)1 << f))) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, WRLOGNO(00024)
                         "family %s: the pattern at %s has no literal of 4 "
                         "bytes, so every request runs the family's patterns",
                         wr_sigset_family_name(g->sigset, f), u);
        }
    }
    /* once per start or restart: the configuration dry run of the first
     * start logs nowhere but the console */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, WRLOGNO(00007)
                     "mod_wormreply " WR_VERSION ": %d signature families, "
                     "%d patterns; counters for %d workers",
                     wr_sigset_family_count(g->sigset),
                     wr_sigset_pattern_count(g->sigset), nslots);
    }
    return wr_notify_post_config(pconf, plog, ptemp, s);
}

/* The last slot this thread found, for the counters it was found in: a
 * worker thread keeps its scoreboard slot for life, so it looks it up
 * once instead of on every request. Per-thread, derived, never shared;
 * one variable, so that a request pays one TLS lookup. */
typedef struct {
    const wr_counters_t *counters;
    wr_counter_slot_t *slot;
} tls_slot_t;

static __thread tls_slot_t tls_slot;

/* find_slot - request_slot's first lookup for this thread (or the shared
 * slot: no worker of our own, as for HTTP/2 secondary connections) */
static __attribute__((noinline)) wr_counter_slot_t *
find_slot(wr_counters_t *c, conn_rec *conn, int *shared)
{
    wr_counter_slot_t *slot = NULL;

    if (conn->sbh != NULL && conn->master == NULL
        && ap_scoreboard_image != NULL) {
        /* The scoreboard's worker records are one contiguous array, so
         * the record's position is this worker's index. */
        worker_score *ws = ap_get_scoreboard_worker(conn->sbh);
        if (ws != NULL) {
            slot = wr_counters_slot(c, (int)(ws
                                    - ap_scoreboard_image->servers[0]));
        }
    }
    if (slot != NULL) {
        tls_slot.counters = c;
        tls_slot.slot = slot;
        *shared = 0;
        return slot;
    }
    *shared = 1;
    return wr_counters_shared(c);
}

/* request_slot - this worker's counter slot; *shared tells that it is the
 * shared one, to be added to atomically */
static inline wr_counter_slot_t *request_slot(wr_counters_t *c,
                                              conn_rec *conn, int *shared)
{
    const tls_slot_t *t = &tls_slot;

    if (t->counters == c && conn->master == NULL) {
        *shared = 0;
        return t->slot;
    }
    return find_slot(c, conn, shared);
}

/* count_request_slow - count_request's first time on this thread */
static __attribute__((noinline)) void count_request_slow(wr_counters_t *c,
                                                         conn_rec *conn)
{
    int shared;
    wr_counter_slot_t *slot = find_slot(c, conn, &shared);

    BUMP(slot, shared, requests, 1);
}

/* count_request - one more request seen (nothing on the stack: this runs
 * for every request) */
static inline void count_request(wr_counters_t *c, conn_rec *conn)
{
    const tls_slot_t *t = &tls_slot;

    if (t->counters == c && conn->master == NULL) {
        t->slot->requests++;
        return;
    }
    count_request_slow(c, conn);
}

/* is_exempt - whether the client is in WormReplyExempt */
static int is_exempt(const wr_srv_conf_t *sc, request_rec *r)
{
    int k;

    for (k = 0; sc->exempt && k < sc->exempt->nelts; k++) {
        if (apr_ipsubnet_test(APR_ARRAY_IDX(sc->exempt, k, apr_ipsubnet_t *),
                              r->useragent_addr)) {
            return 1;
        }
    }
    return 0;
}

/* match - classify with the server-wide set, then the vhost's own; the
 * counter index of the family goes to *ci */
static inline int match(const wr_srv_conf_t *sc, const wr_request_t *req,
                        wr_match_t *m, int *ci)
{
    const wr_global_t *g = sc->global;

    if (wr_match_request(g->sigset, sc->mask, req, m)) {
        *ci = g->counter_family[m->family];
        return 1;
    }
    if (sc->local && wr_match_request(sc->local, sc->local_mask, req, m)) {
        *ci = sc->local_counter_family[m->family];
        return 1;
    }
    return 0;
}

/* match_suspected - match for a request the prefilter called suspect:
 * `in` tells which sets (1 the server-wide, 2 the vhost's own) did, so
 * that the prefilter is not run again for them */
static inline int match_suspected(const wr_srv_conf_t *sc,
                                  const wr_request_t *req, wr_match_t *m,
                                  int *ci, int in)
{
    const wr_global_t *g = sc->global;

    if ((in & 1) && wr_match_suspected(g->sigset, sc->mask, req, m)) {
        *ci = g->counter_family[m->family];
        return 1;
    }
    if ((in & 2) && wr_match_suspected(sc->local, sc->local_mask, req, m)) {
        *ci = sc->local_counter_family[m->family];
        return 1;
    }
    return 0;
}

/* log_line - the request line, cut for the error log (which escapes
 * control and non-ASCII bytes itself: escaping here too would double it) */
static const char *log_line(request_rec *r)
{
    const char *l = r->the_request ? r->the_request : "";

    if (strlen(l) > LOG_LINE_MAX) {
        l = apr_pstrcat(r->pool, apr_pstrndup(r->pool, l, LOG_LINE_MAX),
                        "...", NULL);
    }
    return l;
}

/* tag - record a probe: note, WORM_PROBE, counters, one info line */
static __attribute__((noinline)) void tag(request_rec *r, const wr_srv_conf_t *sc, const char *family,
                int ci, int rejected)
{
    wr_counters_t *c = sc->global->counters;
    int shared;
    wr_counter_slot_t *slot = request_slot(c, r->connection, &shared);
    wr_note_t *note = apr_palloc(r->pool, sizeof(*note));

    note->family = family;
    note->action = rejected ? WR_ACT_PASS : wr_conf_action(sc);
    ap_set_module_config(r->request_config, &wormreply_module, note);
    apr_table_setn(r->subprocess_env, "WORM_PROBE", family);
    BUMP(slot, shared, probes, 1);
    BUMP(slot, shared, family[ci], 1);
    if (rejected) {
        BUMP(slot, shared, rejected, 1);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, WRLOGNO(00005)
                      "%s probe from %s, rejected by httpd (status %d): %s",
                      family, r->useragent_ip, r->status, log_line(r));
    }
    else {
        BUMP(slot, shared, action[note->action], 1);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, WRLOGNO(00004)
                      "%s probe from %s, answered %s: %s", family,
                      r->useragent_ip, wr_action_name(note->action),
                      log_line(r));
    }
    if (sc->notify > WR_NOTIFY_OFF) {
        wr_notify_probe(r, sc, family, slot, shared);
    }
}

/* exempted - count and let go a probe from an exempt client */
static __attribute__((noinline)) void exempted(request_rec *r, const wr_srv_conf_t *sc,
                     const char *family)
{
    int shared;
    wr_counter_slot_t *slot = request_slot(sc->global->counters,
                                           r->connection, &shared);

    BUMP(slot, shared, exempt, 1);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, WRLOGNO(00008)
                  "%s probe from exempt client %s not tagged", family,
                  r->useragent_ip);
}

/* classify - the full match of a request the prefilter could not rule
 * out, and what follows from it (out of line: most requests never come) */
static __attribute__((noinline)) void classify(request_rec *r,
                                               const wr_srv_conf_t *sc,
                                               size_t target_len,
                                               size_t method_len, int in)
{
    wr_request_t req;
    wr_match_t m;
    int ci;

    req.target = r->unparsed_uri;
    req.target_len = target_len;
    req.line = r->the_request;
    req.line_len = WR_LEN_UNKNOWN;
    req.method = r->method;
    req.method_len = method_len;
    if (!match_suspected(sc, &req, &m, &ci, in)) {
        return;
    }
    if (is_exempt(sc, r)) {
        exempted(r, sc, m.name);
        return;
    }
    tag(r, sc, m.name, ci, 0);
}

/* answer - the tiny fixed answer, or none at all (kept out of line, so
 * that the quick handler's test stays cheap for every other request) */
static __attribute__((noinline)) int answer(request_rec *r,
                                            const wr_note_t *note)
{
    static const char body404[] = "404 Not Found\n";
    static const char body403[] = "403 Forbidden\n";
    static const char body410[] = "410 Gone\n";
    const char *body = NULL;
    apr_size_t len = 0;
    int shared;
    wr_counter_slot_t *slot;

    /* A body we would have to read is not worth reading: close instead. */
    if (apr_table_get(r->headers_in, "Content-Length")
        || apr_table_get(r->headers_in, "Transfer-Encoding")) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    switch (note->action) {
    case WR_ACT_403:
        r->status = HTTP_FORBIDDEN;
        body = body403;
        len = sizeof(body403) - 1;
        break;
    case WR_ACT_410:
        r->status = HTTP_GONE;
        body = body410;
        len = sizeof(body410) - 1;
        break;
    case WR_ACT_CLOSE:
        /* Nothing is sent: the worm never reads an answer anyway. The
         * access log shows 444, as nginx logs its own "close". */
        r->status = 444;
        r->connection->keepalive = AP_CONN_CLOSE;
        r->connection->aborted = 1;
        break;
    default:
        r->status = HTTP_NOT_FOUND;
        body = body404;
        len = sizeof(body404) - 1;
        break;
    }
    if (body != NULL) {
        ap_set_content_type(r, "text/plain");
        ap_set_content_length(r, len);
        ap_rwrite(body, (int)len, r);
    }
    slot = request_slot(WR_SRV_CONF(r->server)->global->counters,
                        r->connection, &shared);
    BUMP(slot, shared, probe_usec,
         (apr_uint64_t)(apr_time_now() - r->request_time));
    return OK;
}

/* rejected - classify a request line httpd rejected before any request
 * hook ran (extra spaces, a bad method, an over-long line): tag r, and
 * also `env` (the request whose environment the access log will read),
 * count it, log it */
static __attribute__((noinline)) void rejected(request_rec *r,
                                               request_rec *env)
{
    const wr_srv_conf_t *sc = WR_SRV_CONF(r->server);
    wr_match_t m;
    wr_request_t req;
    int ci;

    if (sc->enabled != 1 || r->the_request == NULL
        || sc->global->counters == NULL) {
        return;
    }
    wr_request_from_line(r->the_request, strlen(r->the_request), &req);
    if (!match(sc, &req, &m, &ci)) {
        return;
    }
    if (is_exempt(sc, r)) {
        exempted(r, sc, m.name);
        return;
    }
    tag(r, sc, m.name, ci, 1);
    if (env != r) {
        apr_table_setn(env->subprocess_env, "WORM_PROBE", m.name);
    }
}

/* examine - a request the prefilter could not rule out: the full match,
 * and the answer if it is a probe (out of line: most requests never come).
 * `paired`: the quick handler's pair table found a marked pair in the
 * target of this GET, and the server-wide set is the only one. */
static __attribute__((noinline)) int examine(request_rec *r,
                                             const wr_srv_conf_t *sc,
                                             size_t target_len, int paired)
{
    const char *method = r->method;
    size_t method_len = 0;
    const wr_note_t *note;
    int in;

    /* only a method of 4 bytes or more can hold a window ("SEARCH"); a
     * GET's is never scanned (a HEAD has M_GET too, hence header_only) */
    if ((r->method_number != M_GET || r->header_only) && method
        && method[0] && method[1] && method[2] && method[3]) {
        method_len = strlen(method);
    }
    if (paired) {
        /* The match's own scan looks at the windows around the marked
         * pairs and turns the request away when none is a key and nothing
         * is encoded, which is all that wr_match_suspect would do first:
         * a probe pays for one look, not two. */
        in = 1;
    }
    else {
        /* the prefilter, once per request: its verdict goes to the match */
        in = wr_match_suspect(sc->global->sigset, sc->mask, r->unparsed_uri,
                              target_len, method, method_len)
             | (sc->local && wr_match_suspect(sc->local, sc->local_mask,
                                              r->unparsed_uri, target_len,
                                              method, method_len)) << 1;
        if (!in) {
            return DECLINED;
        }
    }
    classify(r, sc, target_len, method_len, in);
    note = ap_get_module_config(r->request_config, &wormreply_module);
    if (note->family == NULL || note->action == WR_ACT_PASS) {
        return DECLINED;
    }
    return answer(r, note);
}

/* revisit - the quick handler for a subrequest or an internal redirect
 * (out of line: an ordinary request is neither) */
static __attribute__((noinline)) int revisit(request_rec *r, int lookup_uri)
{
    /* An ErrorDocument with a local URL: httpd answers a line it rejected
     * by an internal redirect, which runs this hook but never sends an
     * error response (see wr_insert_error_filter). */
    if (r->prev != NULL && r->main == NULL && !lookup_uri
        && r->prev->prev == NULL
        && ap_get_module_config(r->request_config, &wormreply_module) == NULL
        && ap_get_module_config(r->prev->request_config, &wormreply_module)
           == NULL) {
        rejected(r->prev, r);
    }
    return DECLINED;
}

/* The match and the answer, in one hook. Quick handlers run once every
 * post_read_request hook has (mod_remoteip's too, so the client address
 * is the real one behind a proxy) and before translate_name,
 * map_to_storage, mod_rewrite and the access checkers: a probe is
 * answered without touching the disk or asking for a password. One hook
 * rather than a post_read_request hook that matches and a quick handler
 * that answers, since every hook registered is paid by every request.
 * This is all that an ordinary request pays: a counter, a pointer in
 * request_config and the inline prefilter; no allocation, no table, no
 * copy, no call but strlen. */
static int wr_quick_handler(request_rec *r, int lookup_uri)
{
    const wr_srv_conf_t *sc;
    size_t target_len;

    if (r->main != NULL || r->prev != NULL) {
        return revisit(r, lookup_uri);
    }
    sc = WR_SRV_CONF(r->server);
    if (!sc->look || r->unparsed_uri == NULL) {
        return DECLINED;
    }
    count_request(sc->counters, r->connection);
    ap_set_module_config(r->request_config, &wormreply_module,
                         (void *)&checked);
    target_len = strlen(r->unparsed_uri);
    /* a vhost with signatures of its own, a method other than GET, a
     * family the table cannot rule out: examine, which looks again */
    if (sc->quick_pairs != NULL && r->method_number == M_GET
        && !r->header_only) {
        if (wr_pairs_clear(sc->quick_pairs, r->unparsed_uri, target_len)) {
            return DECLINED;
        }
        return examine(r, sc, target_len, 1);
    }
    return examine(r, sc, target_len, 0);
}

/* Runs for error responses only, before any of them is sent and so
 * before mod_log_config reads WORM_PROBE: a request that post_read_request
 * never saw is one httpd rejected while reading it. Ordinary requests
 * never come here, so they pay nothing for this. */
static void wr_insert_error_filter(request_rec *r)
{
    if (r->main == NULL && r->prev == NULL
        && ap_get_module_config(r->request_config, &wormreply_module)
           == NULL) {
        rejected(r, r);
    }
}

static void wr_child_init(apr_pool_t *p, server_rec *s)
{
    wr_notify_child_init(p, s);
}

/* mentions - whether a directive of the tree below d has `word` in its
 * arguments (handler names are case-insensitive) */
static int mentions(const ap_directive_t *d, const char *word)
{
    for (; d != NULL; d = d->next) {
        if ((d->args && ap_strcasestr(d->args, word))
            || mentions(d->first_child, word)) {
            return 1;
        }
    }
    return 0;
}

/* Runs once the configuration is read into a tree and before its
 * directives run: the handler hook is registered only if the
 * configuration names the handler, since every handler hook runs for
 * every request that reaches the handler phase. */
static int wr_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp)
{
    if (mentions(ap_conftree, "wormreply-status")) {
        /* SetHandler wormreply-status: the counters as JSON or
         * Prometheus */
        ap_hook_handler(wr_status_handler, NULL, NULL, APR_HOOK_MIDDLE);
    }
    return wr_notify_pre_config(pconf, plog, ptemp);
}

void wr_register_request_hooks(wr_global_t *g)
{
    /* Called by the first "WormReply On" of a configuration cycle: with
     * the module off everywhere, no request pays for a hook of ours.
     * httpd sorts the hooks again once the directives have run. */
    if (g == NULL || g->request_hooks) {
        return;
    }
    g->request_hooks = 1;
    /* The match and the answer: quick handlers run after every
     * post_read_request hook (mod_remoteip's: the real client address) and
     * before translate_name, map_to_storage and the access checkers, so no
     * disk and no auth is touched. */
    ap_hook_quick_handler(wr_quick_handler, NULL, NULL, APR_HOOK_REALLY_FIRST);
    /* Rejected request lines: httpd answers them with an error response
     * (whose filters are inserted before anything is sent or logged), so
     * the ordinary request pays no hook of ours in the logging phase. */
    ap_hook_insert_error_filter(wr_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
}

static void wr_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* The cache mutex type, so that the Mutex directive applies to it;
     * the status handler if the configuration uses it. */
    ap_hook_pre_config(wr_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* WormReplyFamilies may name a family defined further down; names are
     * resolved once the whole configuration is read, in time for
     * configtest to fail. */
    ap_hook_check_config(wr_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* Shared counters: created once per process, attached every cycle;
     * then the cache, the spool and the notifier process. */
    ap_hook_post_config(wr_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(wr_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    /* The per-request hooks: wr_register_request_hooks, for WormReply On */
    APR_OPTIONAL_HOOK(ap, status_hook, wr_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(wormreply) = {
    STANDARD20_MODULE_STUFF,
    NULL,                       /* per-directory config: none */
    NULL,
    wr_create_srv_conf,
    wr_merge_srv_conf,
    wr_cmds,
    wr_register_hooks,
    AP_MODULE_FLAG_NONE
};
