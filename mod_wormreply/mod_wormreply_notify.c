/* mod_wormreply_notify.c - notices on the request path: the shared cache
 * and the spool, and the configuration the notifier process is given (it
 * is started and supervised by mod_wormreply_proc.c)
 *
 * A probe from a host pays, at most once per host window, one spool file
 * write; every other probe of that host only updates a small record in
 * shared memory. Everything slow (DNS, composing, writing notices) happens
 * in the notifier process, which reads the spool.
 *
 * The per-source records: by default a table of our own (wr_seen.h) that
 * every child updates without a lock, so that no first sighting is lost
 * and no request waits for another process, whatever its priority. With
 * WormReplyCache, an ap_socache provider instead (memcache or redis for a
 * farm); a provider that needs a lock (shmcb, dbm) is then locked with a
 * blocking lock taken by request processes only: the notifier never takes
 * it (it reads no counts from such a cache), so a request can wait only
 * for another request's short update, never for the nice-10 notifier.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <ap_provider.h>
#include <unixd.h>
#include <util_mutex.h>

#include "mod_wormreply.h"
#include "wr_hash.h"
#include "wr_log.h"
#include "wr_resolve.h"

APLOG_USE_MODULE(wormreply);

#define MUTEX_TYPE "wormreply-cache"
#define CACHE_NAMESPACE "wormreply"
#define SEEN_KEY "mod_wormreply-seen"
#define SPOOL_WARN_INTERVAL apr_time_from_sec(60)
#define WR_CACHE_DEFAULT_SIZE 14680064
#ifndef WR_STATE_DIR
#define WR_STATE_DIR "/var/lib/apache2/wormreply"
#endif

void wr_notify_defaults(wr_notify_conf_t *nc, apr_pool_t *p)
{
    wr_rate_policy_default(&nc->policy);
    nc->spool_max = 10000;
    nc->spool_max_bytes = WR_SPOOL_DEFAULT_MAX_BYTES;
    nc->prefix_v4 = WR_PREFIX_DEFAULT_V4;
    nc->prefix_v6 = WR_PREFIX_DEFAULT_V6;
    nc->prefix_quota = WR_PREFIX_DEFAULT_QUOTA;
    nc->notifier_nice = 10;
    wr_notifier_conf_default(&nc->notifier, p);
    wr_delivery_conf_default(&nc->delivery);
}

int wr_notify_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    /* registered so that "Mutex ... wormreply-cache" applies */
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

static apr_status_t destroy_cache(void *data)
{
    server_rec *s = data;
    wr_notify_conf_t *nc = &WR_SRV_CONF(s)->global->notify;

    if (nc->cache) {
        nc->cache_provider->destroy(nc->cache, s);
        nc->cache = NULL;
    }
    return APR_SUCCESS;
}

/* state_path - a directive's path, or WR_STATE_DIR/<leaf>: a persistent
 * place (Debian keeps mod_md's state in /var/lib/apache2 too), never a
 * tmpfs such as /run, so queued events survive a reboot */
static const char *state_path(apr_pool_t *p, const char *configured,
                              const char *leaf)
{
    return configured ? configured
                      : apr_pstrcat(p, WR_STATE_DIR, "/", leaf, NULL);
}

/* own_dir - make `dir` (and its parents) and give it to the httpd User,
 * mode 0700: children write the spool, the notifier (as User) the rest.
 * Through a descriptor opened without following a final symlink: run as
 * root, a chown(2) by name would follow one */
static apr_status_t own_dir(const char *dir, apr_pool_t *p)
{
    apr_status_t rv = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT, p);
    int fd;

    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        return rv;
    }
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC))
        < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    rv = APR_SUCCESS;
    if ((geteuid() == 0
         && fchown(fd, ap_unixd_config.user_id, ap_unixd_config.group_id))
        || fchmod(fd, S_IRWXU) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
    }
    close(fd);
    return rv;
}

/* dir_check - whether `dir` can serve as a state directory as own_dir
 * would make it: an existing directory (owned by us unless we are root,
 * on a writable file system), or one that can be created in its nearest
 * existing ancestor. Looks only; creates nothing (configtest must not
 * change the machine). NULL when usable, else why not. */
static const char *dir_check(const char *dir, apr_pool_t *p)
{
    struct stat st;
    char *anc;

    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            return apr_psprintf(p, "'%s' is not a directory", dir);
        }
        if (geteuid() != 0 && st.st_uid != geteuid()) {
            return apr_psprintf(p, "'%s' belongs to uid %lu, not to the "
                                "user running httpd", dir,
                                (unsigned long)st.st_uid);
        }
        if (access(dir, W_OK | X_OK) != 0) {
            return apr_psprintf(p, "'%s' is not writable: %s", dir,
                                strerror(errno));
        }
        return NULL;
    }
    if (errno != ENOENT && errno != ENOTDIR) {
        return apr_psprintf(p, "cannot use '%s': %s", dir, strerror(errno));
    }
    /* the nearest existing ancestor must be a directory we can write */
    anc = apr_pstrdup(p, dir);
    for (;;) {
        char *slash = strrchr(anc, '/');
        if (slash == NULL) {
            return apr_psprintf(p, "'%s' is not an absolute path", dir);
        }
        *(slash == anc ? slash + 1 : slash) = '\0';
        if (stat(anc, &st) == 0) {
            break;
        }
        if (errno != ENOENT && errno != ENOTDIR) {
            return apr_psprintf(p, "cannot create '%s': %s: %s", dir, anc,
                                strerror(errno));
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        return apr_psprintf(p, "cannot create '%s': '%s' is not a directory",
                            dir, anc);
    }
    if (access(anc, W_OK | X_OK) != 0) {
        return apr_psprintf(p, "cannot create '%s' in '%s': %s", dir, anc,
                            strerror(errno));
    }
    return NULL;
}

/* fqdn - whether `name` is a fully qualified host name: dotted, not an
 * address literal, not localhost */
static int fqdn(const char *name)
{
    const char *c;
    int alpha = 0;

    if (name == NULL || strchr(name, '.') == NULL || strchr(name, ':')
        || name[0] == '.' || !strncasecmp(name, "localhost", 9)) {
        return 0;
    }
    for (c = name; *c; c++) {
        if (apr_isalpha(*c)) {
            alpha = 1;
        }
        else if (!apr_isdigit(*c) && *c != '-' && *c != '.') {
            return 0;
        }
    }
    return alpha;
}

/* machine_fqdn - this machine's fully qualified name (gethostname, then
 * its canonical name), or NULL */
static const char *machine_fqdn(apr_pool_t *p)
{
    char host[256];
    struct addrinfo hints, *ai = NULL;
    const char *name = NULL;

    if (gethostname(host, sizeof(host) - 1) != 0) {
        return NULL;
    }
    host[sizeof(host) - 1] = '\0';
    if (fqdn(host)) {
        return apr_pstrdup(p, host);
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_CANONNAME;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai != NULL
        && fqdn(ai->ai_canonname)) {
        name = apr_pstrdup(p, ai->ai_canonname);
    }
    if (ai != NULL) {
        freeaddrinfo(ai);
    }
    return name;
}

const char *wr_notify_server_name(apr_pool_t *p, server_rec *s)
{
    server_rec *vs;

    /* without a global ServerName (Debian's default) httpd makes do with
     * an address, such as 127.0.0.1: no name to sign a notice with */
    if (fqdn(s->server_hostname)) {
        return s->server_hostname;
    }
    for (vs = s->next; vs; vs = vs->next) {
        const wr_srv_conf_t *vc = WR_SRV_CONF(vs);
        if (vc->enabled == 1 && vc->notify > WR_NOTIFY_OFF
            && fqdn(vs->server_hostname)) {
            return vs->server_hostname;
        }
    }
    return machine_fqdn(p);
}

const char *wr_notify_check_config(apr_pool_t *p, server_rec *s)
{
    wr_notify_conf_t *nc = &WR_SRV_CONF(s)->global->notify;
    const char *origin = NULL, *why;
    int inherited_on = 0;
    server_rec *vs;

    for (vs = s->next; vs; vs = vs->next) {
        const wr_srv_conf_t *vc = WR_SRV_CONF(vs);
        if (!vc->notify_here && vc->enabled == 1
            && vc->notify > WR_NOTIFY_OFF) {
            inherited_on = 1;
        }
    }
    for (vs = s; vs; vs = vs->next) {
        const wr_srv_conf_t *vc = WR_SRV_CONF(vs);
        if (vc->notify <= WR_NOTIFY_OFF) {
            continue;
        }
        if (vc->enabled != 1 && vc->notify_here
            && (vs != s || !inherited_on)) {
            /* notices are about recognised probes: without WormReply On
             * there are none, and the setting would silently do nothing */
            return apr_psprintf(p, "WormReplyNotify %s at %s has no effect: "
                                "WormReply is Off in %s (set WormReply On "
                                "there, or remove WormReplyNotify)",
                                vc->notify == WR_NOTIFY_TEST ? "Test" : "On",
                                vc->notify_origin, vs == s
                                ? "the main server and in every virtual "
                                  "host that inherits it"
                                : "this virtual host");
        }
        if (vc->enabled == 1 && origin == NULL) {
            origin = vc->notify_origin;
        }
    }
    if (origin == NULL) {
        return NULL;
    }
    if (wr_notify_server_name(p, s) == NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, WRLOGNO(00601)
                     "WormReplyNotify at %s: no fully qualified name for "
                     "this server (ServerName is '%s', and neither a virtual "
                     "host with notices nor the machine has one): notices "
                     "will say they come from '%s' and their Message-IDs "
                     "end in it; set ServerName", origin,
                     s->server_hostname ? s->server_hostname : "",
                     s->server_hostname ? s->server_hostname : "localhost");
    }
    /* no socache provider is needed: without WormReplyCache the
     * per-source windows are the module's own table (wr_seen.h), and
     * WormReplyCache checks its provider where it is read */
    if ((why = dir_check(state_path(p, nc->spool_dir, "spool"), p)) != NULL) {
        return apr_psprintf(p, "WormReplySpool at %s: %s",
                            nc->spool_origin ? nc->spool_origin
                            : apr_pstrcat(p, "(default, for WormReplyNotify "
                                          "at ", origin, ")", NULL), why);
    }
    if ((why = dir_check(state_path(p, nc->outbox_dir, "outbox"), p))
        != NULL) {
        return apr_psprintf(p, "WormReplyOutbox at %s: %s",
                            nc->outbox_origin ? nc->outbox_origin
                            : apr_pstrcat(p, "(default, for WormReplyNotify "
                                          "at ", origin, ")", NULL), why);
    }
    return NULL;
}

/* own_domains - add the registrable domains of every ServerName and
 * ServerAlias: a probe from our own network is never reported to us */
static void own_domains(wr_notifier_conf_t *n, server_rec *s, apr_pool_t *p)
{
    server_rec *vs;
    const psl_ctx_t *psl = psl_builtin();
    int k;

    if (n->own_domains == NULL) {
        n->own_domains = apr_array_make(p, 4, sizeof(const char *));
    }
    for (vs = s; vs; vs = vs->next) {
        apr_array_header_t *names = apr_array_make(p, 4, sizeof(char *));
        if (vs->server_hostname) {
            APR_ARRAY_PUSH(names, char *) = vs->server_hostname;
        }
        if (vs->names) {
            apr_array_cat(names, vs->names);
        }
        for (k = 0; k < names->nelts; k++) {
            const char *d = wr_resolve_registrable(p, psl,
                                                   APR_ARRAY_IDX(names, k,
                                                                 char *));
            if (d) {
                APR_ARRAY_PUSH(n->own_domains, const char *) = d;
            }
        }
    }
}

/* host_key - the cache key of a source: a hash byte, then "h:" and the
 * address. mod_socache_shmcb picks its subcache by the key's first byte,
 * so a fixed prefix would crowd every source into one subcache (about a
 * hundred records); the hash spreads them over all. */
static unsigned int host_key(const char *ip, unsigned char *key,
                             apr_size_t size)
{
    apr_size_t n = strlen(ip);

    if (n + 3 > size) {
        n = size - 3;
    }
    key[0] = wr_hash_fold8(wr_hash_fnv1a32(ip, n));
    key[1] = 'h';
    key[2] = ':';
    memcpy(key + 3, ip, n);
    return (unsigned int)(n + 3);
}

/* host_lookup - the notifier's look at a source's running record: the
 * built-in table, or a cache that needs no lock; never a lock of the
 * request path (a descheduled notifier holding it would stall requests) */
static int host_lookup(void *baton, const char *ip, wr_rate_host_t *rec)
{
    server_rec *s = baton;
    wr_notify_conf_t *nc = &WR_SRV_CONF(s)->global->notify;
    unsigned char buf[WR_RATE_HOST_SIZE], key[80];
    unsigned int len = sizeof(buf), klen;
    apr_pool_t *p;
    apr_status_t rv;

    if (nc->seen != NULL) {
        wr_seen_rec_t sr;
        wr_prefix_t px;
        if (wr_prefix_of(ip, nc->prefix_v4, nc->prefix_v6, &px)
            != APR_SUCCESS
            || !wr_seen_lookup(nc->seen, px.key, px.klen, &sr)) {
            return 0;
        }
        memset(rec, 0, sizeof(*rec));
        rec->first_seen = sr.window_start;
        rec->last_seen = sr.last_seen;
        rec->count = sr.count;
        rec->flags = sr.notifying ? WR_RATE_HOST_NOTIFYING : 0;
        return 1;
    }
    if (nc->cache == NULL || nc->cache_mutex != NULL) {
        return 0;
    }
    {
        wr_prefix_t px;
        char text[WR_PREFIX_TEXT_MAX];
        if (wr_prefix_of(ip, nc->prefix_v4, nc->prefix_v6, &px)
            != APR_SUCCESS) {
            return 0;
        }
        klen = host_key(wr_prefix_text(&px, text), key, sizeof(key));
    }
    apr_pool_create(&p, NULL);
    rv = nc->cache_provider->retrieve(nc->cache, s, key, klen, buf, &len, p);
    apr_pool_destroy(p);
    return rv == APR_SUCCESS && wr_rate_host_decode(buf, len, rec)
                                == APR_SUCCESS;
}

/* The shared state segment: the spool's size first, then (without
 * WormReplyCache) the per-source table. */
#define SIZE_AREA APR_ALIGN(sizeof(wr_spoolsize_t), 64)

/* shared_state - the spool's size and the built-in per-source table:
 * created once per process (in s->process->pool, as the counters are), so
 * that they survive a graceful restart and the children of the old
 * generation, still finishing their requests, share them with the new
 * ones. `table` 0: no table (WormReplyCache). */
static apr_status_t shared_state(server_rec *s, apr_size_t table,
                                 wr_notify_conf_t *nc, apr_pool_t *pconf)
{
    apr_pool_t *proc = s->process->pool;
    apr_size_t size = SIZE_AREA + table;
    apr_shm_t *shm = NULL;
    char *base;

    apr_pool_userdata_get((void **)&shm, SEEN_KEY, proc);
    if (shm == NULL || apr_shm_size_get(shm) != size) {
        apr_status_t rv = apr_shm_create(&shm, size, NULL, proc);
        if (APR_STATUS_IS_ENOTIMPL(rv)) {
            const char *fname = ap_runtime_dir_relative(proc,
                                                        "wormreply-seen");
            apr_shm_remove(fname, proc);
            rv = apr_shm_create(&shm, size, fname, proc);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
        memset(apr_shm_baseaddr_get(shm), 0, SIZE_AREA);
        if (table > 0
            && (rv = wr_seen_format((char *)apr_shm_baseaddr_get(shm)
                                    + SIZE_AREA, table)) != APR_SUCCESS) {
            return rv;
        }
        /* apr_pool_userdata_set copies the key: nothing here points into
         * the module's image, which httpd unloads between passes */
        apr_pool_userdata_set(shm, SEEN_KEY, apr_pool_cleanup_null, proc);
    }
    base = apr_shm_baseaddr_get(shm);
    nc->spool_size = (wr_spoolsize_t *)base;
    return table > 0 ? wr_seen_attach(&nc->seen, base + SIZE_AREA, table,
                                      pconf)
                     : APR_SUCCESS;
}

/* notifier_conf - what the notifier process works with */
static apr_status_t notifier_conf(wr_global_t *g, server_rec *s,
                                  apr_pool_t *pconf)
{
    wr_notify_conf_t *nc = &g->notify;
    wr_notifier_conf_t *n = &nc->notifier;
    server_rec *vs;
    apr_status_t rv;

    n->spool_dir = nc->spool_dir;
    n->spool_max = nc->spool_max;
    n->outbox_dir = nc->outbox_dir;
    n->history_path = apr_pstrcat(pconf, nc->spool_dir, "/history", NULL);
    n->host_window = nc->policy.host_window;
    n->digest_delay = nc->policy.digest_delay;
    n->domain_window = nc->policy.domain_window;
    n->max_per_hour = (int)nc->policy.max_per_hour;
    /* n->server_name: set in wr_notify_post_config */
    if (n->from == NULL) {
        n->from = apr_pstrcat(pconf, "wormreply@", n->server_name, NULL);
    }
    if ((rv = wr_ipset_create(&n->special, pconf)) != APR_SUCCESS
        || (rv = wr_ipset_add_special(n->special)) != APR_SUCCESS) {
        return rv;
    }
    own_domains(n, s, pconf);
    n->test_vhosts = apr_array_make(pconf, 2, sizeof(const char *));
    for (vs = s; vs; vs = vs->next) {
        const wr_srv_conf_t *vc = WR_SRV_CONF(vs);
        if (vc->notify == WR_NOTIFY_TEST && vs->server_hostname) {
            APR_ARRAY_PUSH(n->test_vhosts, const char *) = vs->server_hostname;
        }
    }
    if (nc->farm_set) {
        if (nc->farm_lease > 0) {
            nc->farm.lease = nc->farm_lease;
        }
        n->farm = &nc->farm;
    }
    n->families = g->sigset;
    n->counters = g->counters;
    n->spool_size = nc->spool_size;
    n->notify_families = nc->notifying;
    n->host_lookup = host_lookup;
    n->host_lookup_baton = s;
    return APR_SUCCESS;
}

int wr_notify_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    wr_global_t *g = WR_SRV_CONF(s)->global;
    wr_notify_conf_t *nc = &g->notify;
    struct ap_socache_hints hints = {0};
    server_rec *vs;
    apr_status_t rv;

    (void)plog;
    nc->any_enabled = 0;
    for (vs = s; vs; vs = vs->next) {
        const wr_srv_conf_t *vc = WR_SRV_CONF(vs);
        if (vc->enabled == 1 && vc->notify > WR_NOTIFY_OFF) {
            nc->any_enabled = 1;
        }
    }
    if (!nc->any_enabled) {
        return OK;
    }

    /* without WormReplyCache: 14 MB keep about 122,000 sources; a full set
     * of the table forgets its oldest window first */
    rv = shared_state(s, nc->cache_provider ? 0 : WR_CACHE_DEFAULT_SIZE, nc,
                      pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, WRLOGNO(00450)
                     "cannot create the per-source table's shared "
                     "memory (%d bytes)", WR_CACHE_DEFAULT_SIZE);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (nc->cache_provider != NULL) {
        hints.avg_id_len = 24;
        hints.avg_obj_size = WR_RATE_HOST_SIZE;
        hints.expiry_interval = 60;
        rv = nc->cache_provider->init(nc->cache, CACHE_NAMESPACE, &hints, s,
                                      pconf);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, WRLOGNO(00011)
                         "cannot initialise the shared cache (%s)",
                         nc->cache_name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_pool_cleanup_register(pconf, s, destroy_cache,
                                  apr_pool_cleanup_null);
        if (nc->cache_provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
            rv = ap_global_mutex_create(&nc->cache_mutex, NULL, MUTEX_TYPE,
                                        NULL, s, pconf, 0);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, WRLOGNO(00012)
                             "cannot create the shared cache's mutex");
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    nc->spool_dir = state_path(pconf, nc->spool_dir, "spool");
    nc->outbox_dir = state_path(pconf, nc->outbox_dir, "outbox");
    if ((rv = own_dir(nc->spool_dir, ptemp)) != APR_SUCCESS
        /* no bounds here: requests keep them in the shared size
         * (spool_event), never by reading the directories */
        || (rv = wr_spool_open(&nc->spool, nc->spool_dir, 0, 0, pconf))
           != APR_SUCCESS) {
        /* requests are still answered; the events are dropped and counted */
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, WRLOGNO(00013)
                     "cannot use the spool directory %s: no notices will be "
                     "sent", nc->spool_dir);
        nc->spool = NULL;
    }
    else {
        /* no fsync in a request: the notifier commits the spool in
         * groups (wr_spool.h, wr_notifier.h) */
        wr_spool_set_sync(nc->spool, 0);
    }
    /* wr_spool_open made the subdirectories through the root's
     * descriptor and gave them to its owner (wr_file.h): nothing here
     * follows a link httpd's User may have planted in the spool */
    if ((rv = own_dir(nc->outbox_dir, ptemp)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, WRLOGNO(00014)
                     "cannot use the outbox directory %s", nc->outbox_dir);
    }
    wr_notifier_conf_finish(&nc->notifier, &nc->delivery);
    nc->notifier.server_name = wr_notify_server_name(pconf, s);
    if (nc->notifier.server_name == NULL) {
        /* said at configtest and start (WR00601) */
        nc->notifier.server_name = s->server_hostname ? s->server_hostname
                                                      : "localhost";
    }
    /* delivery: without WormReplySMTPTLS the core decides (wr_smtp.h:
     * required with AUTH, else opportunistic) */
    if (nc->delivery.smtp.host != NULL) {
        const char *derr = NULL;
        if (nc->delivery.smtp.helo == NULL) {
            nc->delivery.smtp.helo = nc->notifier.server_name;
        }
        if (wr_smtp_conf_check(&nc->delivery.smtp, &derr, ptemp)
            != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, WRLOGNO(00025)
                         "WormReplySmarthost: %s", derr ? derr : "invalid");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    {
        const char *derr = NULL;
        rv = wr_delivery_open(&nc->notifier.delivery, nc->outbox_dir,
                              &nc->delivery, &derr, pconf);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, WRLOGNO(00026)
                         "cannot use the outbox %s for delivery%s%s",
                         nc->outbox_dir, derr ? ": " : "", derr ? derr : "");
            nc->notifier.delivery = NULL;
        }
        /* a transport: SMTP to the smarthost, or sendmail */
        nc->notifier.smarthost = (nc->delivery.smtp.host != NULL
                                  || nc->delivery.transport != NULL)
                                 && nc->notifier.delivery != NULL;
    }
    if ((rv = notifier_conf(g, s, pconf)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, WRLOGNO(00015)
                     "cannot set up the notifier's configuration");
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the notifier (mod_wormreply_proc.c), when there is a spool to read */
    return nc->spool != NULL ? wr_supervise_notifier(pconf, s) : OK;
}

void wr_notify_child_init(apr_pool_t *p, server_rec *s)
{
    wr_notify_conf_t *nc = &WR_SRV_CONF(s)->global->notify;

    if (nc->cache_mutex) {
        apr_status_t rv = apr_global_mutex_child_init(&nc->cache_mutex,
                 apr_global_mutex_lockfile(nc->cache_mutex), p);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, WRLOGNO(00016)
                         "cannot reattach the shared cache's mutex");
        }
    }
}

/* held_back - an event of prefix `px` was not spooled (`why`): counted,
 * named on the status page, and one warning a minute among all processes
 * saying which prefix */
static void held_back(request_rec *r, wr_notify_conf_t *nc,
                      const wr_prefix_t *px, wr_held_e why, apr_time_t now)
{
    char text[WR_PREFIX_TEXT_MAX];

    wr_prefix_text(px, text);
    if (nc->spool_size != NULL
        && wr_spoolsize_hold(nc->spool_size, text, why, now)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, WRLOGNO(00451)
                      "events of %s held back: %s (more may follow; one "
                      "warning a minute)", text,
                      why == WR_HELD_QUOTA
                      ? "the prefix had its WormReplyPrefixQuota events "
                        "in its window"
                      : why == WR_HELD_RECORDS
                      ? "the spool holds WormReplySpoolMax records"
                      : "the spool holds WormReplySpoolMaxBytes");
    }
}

/* spool_event - a new window of a source prefix, or a new address of it
 * within its quota: one event, if the spool has room for it. The room is
 * reserved in the shared size first (no directory is read here), so the
 * bounds hold whatever the number of writers. */
static void spool_event(request_rec *r, wr_notify_conf_t *nc,
                        const char *family, const wr_prefix_t *px,
                        apr_time_t now, wr_counter_slot_t *slot, int shared)
{
    wr_event_t ev;
    /* the record, formatted in one pass on the stack (a long vhost or
     * request line that does not fit goes to the pool) */
    char rec[WR_EVENT_STACK_SIZE];
    const char *text = NULL;
    apr_size_t len = 0;
    wr_held_e why = WR_HELD_NONE;
    apr_status_t rv;

    memset(&ev, 0, sizeof(ev));
    ev.address = r->useragent_ip;
    ev.family = family;
    ev.vhost = r->server->server_hostname;
    /* The connection's ports and our address, for the machine-readable
     * formats; behind a proxy (mod_remoteip) the client's port is not
     * known, only the proxy's */
    if (r->useragent_addr == r->connection->client_addr
        && r->connection->client_addr) {
        ev.source_port = r->connection->client_addr->port;
    }
    if (r->connection->local_addr) {
        ev.local_address = r->connection->local_ip;
        ev.local_port = r->connection->local_addr->port;
    }
    ev.first_seen = now;
    ev.last_seen = now;
    ev.count = 1;
    if (r->the_request) {
        ev.lines[ev.nlines++] = r->the_request;
    }
    text = rec;
    rv = nc->spool == NULL ? APR_ENOENT
                           : wr_event_format(&ev, rec, sizeof(rec), &len);
    if (rv == APR_ENOSPC) {
        rv = wr_event_dump(&ev, &text, &len, r->pool);
    }
    /* an address the spool refuses (APR_EINVAL) is dropped below */
    if (rv == APR_SUCCESS) {
        if (nc->spool_size != NULL
            && !wr_spoolsize_reserve(nc->spool_size, len, nc->spool_max,
                                     nc->spool_max_bytes, &why)) {
            BUMP(slot, shared, spool_dropped, 1);
            held_back(r, nc, px, why, now);
            return;
        }
        /* the text reserved for is the text written: formatted once */
        rv = wr_spool_put_text(nc->spool, text, len, NULL, r->pool);
        if (rv != APR_SUCCESS && nc->spool_size != NULL) {
            wr_spoolsize_release(nc->spool_size, len);
        }
        else if (rv == APR_SUCCESS && nc->spool_size != NULL) {
            /* written without fsync: the notifier's group commit */
            wr_spoolsize_put(nc->spool_size);
        }
    }
    if (rv == APR_SUCCESS) {
        BUMP(slot, shared, spooled, 1);
        return;
    }
    BUMP(slot, shared, spool_dropped, 1);
    /* one warning a minute per process: a full disk must not flood */
    if (now - nc->last_spool_warning > SPOOL_WARN_INTERVAL) {
        nc->last_spool_warning = now;
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r, WRLOGNO(00017)
                      "event for %s dropped: the spool %s is %s",
                      r->useragent_ip, nc->spool_dir ? nc->spool_dir : "",
                      APR_STATUS_IS_ENOSPC(rv) ? "full" : "not writable");
    }
}

/* cache_probe - the source's record in a WormReplyCache provider: read,
 * decide, store back. A provider that needs a lock is locked here and
 * only here, by request processes (see the top of this file). */
static wr_rate_decision_e cache_probe(request_rec *r, wr_notify_conf_t *nc,
                                      const char *source, apr_time_t now,
                                      int notifies, wr_counter_slot_t *slot,
                                      int shared)
{
    unsigned char buf[WR_RATE_HOST_SIZE], key[80];
    unsigned int len = sizeof(buf), klen;
    wr_rate_host_t rec;
    wr_rate_decision_e d;
    apr_status_t rv;

    klen = host_key(source, key, sizeof(key));
    if (nc->cache_mutex
        && (rv = apr_global_mutex_lock(nc->cache_mutex)) != APR_SUCCESS) {
        /* a broken lock, not a busy one: better a duplicate than a loss */
        BUMP(slot, shared, cache_busy, 1);
        return WR_RATE_FIRST;
    }
    memset(&rec, 0, sizeof(rec));
    rv = nc->cache_provider->retrieve(nc->cache, r->server, key, klen, buf,
                                      &len, r->pool);
    if (rv == APR_SUCCESS
        && wr_rate_host_decode(buf, len, &rec) != APR_SUCCESS) {
        memset(&rec, 0, sizeof(rec));
    }
    d = wr_rate_host_probe_as(&rec, now, &nc->policy, notifies);
    wr_rate_host_encode(&rec, buf);
    nc->cache_provider->store(nc->cache, r->server, key, klen,
                              rec.first_seen + nc->policy.host_window,
                              buf, WR_RATE_HOST_SIZE, r->pool);
    if (nc->cache_mutex) {
        apr_global_mutex_unlock(nc->cache_mutex);
    }
    return d;
}

/* source_prefix - the client's prefix, from the address httpd (or
 * mod_remoteip) has already parsed: its text, r->useragent_ip, is the
 * same address, and parsing it again costs inet_pton */
static apr_status_t source_prefix(request_rec *r, const wr_notify_conf_t *nc,
                                  wr_prefix_t *px)
{
    const apr_sockaddr_t *sa = r->useragent_addr;

    if (sa != NULL && sa->ipaddr_ptr != NULL
        && (sa->family == APR_INET
#if APR_HAVE_IPV6
            || sa->family == APR_INET6
#endif
            )) {
        return wr_prefix_of_bytes(sa->family == APR_INET ? 4 : 6,
                                  sa->ipaddr_ptr, nc->prefix_v4,
                                  nc->prefix_v6, px);
    }
    return wr_prefix_of(r->useragent_ip, nc->prefix_v4, nc->prefix_v6, px);
}

void wr_notify_probe(request_rec *r, const wr_srv_conf_t *sc,
                     const char *family, wr_counter_slot_t *slot, int shared)
{
    wr_notify_conf_t *nc = &sc->global->notify;
    apr_time_t now = apr_time_now();
    const char *ip = r->useragent_ip;
    wr_prefix_t px;
    wr_seen_e d;
    /* a family that does not notify by itself opens the window; the first
     * probe of one that does gets an event of its own (wr_seen.h) */
    int notifies = nc->notifying == NULL
                   || apr_hash_get(nc->notifying, family,
                                   APR_HASH_KEY_STRING) != NULL;

    /* a source is its network prefix (/64 for IPv6 by default): one
     * attacker with a whole /64 is one source */
    if (source_prefix(r, nc, &px) != APR_SUCCESS) {
        return;
    }
    if (nc->seen != NULL) {
        d = wr_seen_probe_as(nc->seen, px.key, px.klen, ip, now,
                             nc->policy.host_window, nc->prefix_quota,
                             notifies);
    }
    else if (nc->cache != NULL) {
        char text[WR_PREFIX_TEXT_MAX];
        d = cache_probe(r, nc, wr_prefix_text(&px, text), now, notifies,
                        slot, shared) == WR_RATE_FIRST ? WR_SEEN_FIRST
                                                       : WR_SEEN_COUNTED;
    }
    else {
        return;
    }
    switch (d) {
    case WR_SEEN_FIRST:
    case WR_SEEN_ADDRESS:
    case WR_SEEN_NOTIFYING:
        spool_event(r, nc, family, &px, now, slot, shared);
        break;
    case WR_SEEN_HELD:
        BUMP(slot, shared, prefix_held, 1);
        held_back(r, nc, &px, WR_HELD_QUOTA, now);
        break;
    default:
        BUMP(slot, shared, host_counted, 1);
        break;
    }
}
