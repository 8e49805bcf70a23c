/* mod_wormreply_config.c - directives, defaults and config merge; the
 * checks of the whole configuration are in mod_wormreply_check.c */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_wormreply.h"
#include "wr_file.h"
#include "wr_log.h"
#include "wr_notice.h"
#include "wr_resolve.h"
#include "wr_sendmail.h"
#include "wr_smtp.h"
#include "wr_time.h"

APLOG_USE_MODULE(wormreply);

#define GLOBAL_KEY "mod_wormreply-global"

wr_global_t *wr_global_get(apr_pool_t *pconf, const char **err)
{
    wr_global_t *g = NULL;

    *err = NULL;
    apr_pool_userdata_get((void **)&g, GLOBAL_KEY, pconf);
    if (g == NULL) {
        g = apr_pcalloc(pconf, sizeof(*g));
        wr_sigset_create(&g->sigset, pconf);
        if (wr_sigset_load_builtin(g->sigset, err) != APR_SUCCESS) {
            return NULL;
        }
        wr_notify_defaults(&g->notify, pconf);
        /* the key copied, as every userdata key of the module: see
         * counters_shm() */
        apr_pool_userdata_set(g, GLOBAL_KEY, apr_pool_cleanup_null, pconf);
    }
    return g;
}

void *wr_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    wr_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));
    const char *err;

    sc->name = apr_psprintf(p, "srv[%s:%d]",
                            s->server_hostname ? s->server_hostname : "*",
                            (int)s->port);
    sc->global = wr_global_get(p, &err);
    sc->enabled = WR_UNSET;
    sc->action = WR_UNSET;
    sc->notify = WR_UNSET;
    return sc;
}

void *wr_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const wr_srv_conf_t *base = basev, *add = addv;
    wr_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    sc->name = apr_psprintf(p, "merged[%s, %s]", add->name, base->name);
    sc->global = add->global ? add->global : base->global;
    sc->enabled = add->enabled != WR_UNSET ? add->enabled : base->enabled;
    sc->action = add->action != WR_UNSET ? add->action : base->action;
    sc->exempt = add->exempt ? add->exempt : base->exempt;
    sc->notify = add->notify != WR_UNSET ? add->notify : base->notify;
    sc->notify_origin = add->notify != WR_UNSET ? add->notify_origin
                                                : base->notify_origin;
    sc->notify_here = add->notify != WR_UNSET;
    sc->local = add->local;
    /* An absolute list replaces what the server has; a list of only +x/-x
     * items applies on top of it. */
    if (add->family_items == NULL) {
        sc->family_items = base->family_items;
    }
    else if (base->family_items == NULL
             || APR_ARRAY_IDX(add->family_items, 0, wr_family_item_t).reset) {
        sc->family_items = add->family_items;
    }
    else {
        sc->family_items = apr_array_append(p, base->family_items,
                                            add->family_items);
    }
    return sc;
}

wr_action_t wr_conf_action(const wr_srv_conf_t *sc)
{
    return sc->action == WR_UNSET ? WR_ACT_404 : (wr_action_t)sc->action;
}

static const char *origin_of(cmd_parms *cmd)
{
    return cmd->directive
           ? apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename,
                          cmd->directive->line_num)
           : "(command line)";
}

static wr_srv_conf_t *cmd_conf(cmd_parms *cmd)
{
    return WR_SRV_CONF(cmd->server);
}

/* set_enabled - WormReply On|Off */
static const char *set_enabled(cmd_parms *cmd, void *dc, int flag)
{
    (void)dc;
    cmd_conf(cmd)->enabled = flag;
    if (flag) {
        wr_register_request_hooks(cmd_conf(cmd)->global);
    }
    return NULL;
}

/* set_action - WormReplyAction 404|403|410|close|pass */
static const char *set_action(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_action_t a;

    (void)dc;
    if (wr_action_parse(arg, &a) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplyAction: unknown action '%s' "
                            "(expected 404, 403, 410, close or pass)", arg);
    }
    cmd_conf(cmd)->action = a;
    return NULL;
}

/* add_family - WormReplyFamilies NAME|all|default|+NAME|-NAME ... */
static const char *add_family(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_srv_conf_t *sc = cmd_conf(cmd);
    wr_family_item_t *it;
    const char *bare = (*arg == '+' || *arg == '-') ? arg + 1 : arg;

    (void)dc;
    if (*bare == '\0') {
        return "WormReplyFamilies: empty family name";
    }
    if (sc->family_items == NULL) {
        sc->family_items = apr_array_make(cmd->pool, 4, sizeof(*it));
    }
    it = apr_array_push(sc->family_items);
    it->name = apr_pstrdup(cmd->pool, arg);
    it->origin = origin_of(cmd);
    it->reset = 0;
    /* The first absolute name of a directive line resets the list. */
    if (*arg != '+' && *arg != '-') {
        int k, first = 1;
        for (k = 0; k < sc->family_items->nelts - 1; k++) {
            const wr_family_item_t *o =
                &APR_ARRAY_IDX(sc->family_items, k, wr_family_item_t);
            if (!strcmp(o->origin, it->origin) && o->name[0] != '+'
                && o->name[0] != '-') {
                first = 0;
            }
        }
        it->reset = first;
    }
    return NULL;
}

/* target_set - where a signature directive adds: the server-wide set in
 * the main server, the vhost's own set (created on first use) in a
 * <VirtualHost>; NULL if the built-in set failed to load */
static wr_sigset_t *target_set(cmd_parms *cmd, wr_srv_conf_t *sc)
{
    if (sc->global == NULL) {
        return NULL;
    }
    if (!cmd->server->is_virtual) {
        return sc->global->sigset;
    }
    if (sc->local == NULL) {
        wr_sigset_create(&sc->local, cmd->pool);
    }
    return sc->local;
}

/* add_signature - WormReplySignature FAMILY "pattern" [norm|raw|line] */
static const char *add_signature(cmd_parms *cmd, void *dc, const char *family,
                                 const char *pattern, const char *subject)
{
    wr_srv_conf_t *sc = cmd_conf(cmd);
    wr_subject_t subj = WR_SUBJ_NORM;
    const char *err;
    wr_sigset_t *set;

    (void)dc;
    if (subject && wr_subject_parse(subject, &subj) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplySignature: unknown subject "
                            "'%s' (expected norm, raw or line)", subject);
    }
    if ((set = target_set(cmd, sc)) == NULL) {
        return "WormReplySignature: the built-in signatures failed to load";
    }
    if (wr_sigset_add(set, family, subj, pattern, origin_of(cmd), &err)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplySignature: %s", err);
    }
    return NULL;
}

/* add_signature_file - WormReplySignatureFile PATH */
static const char *add_signature_file(cmd_parms *cmd, void *dc,
                                      const char *arg)
{
    wr_srv_conf_t *sc = cmd_conf(cmd);
    const char *path = ap_server_root_relative(cmd->temp_pool, arg), *err;
    wr_sigset_t *set;

    (void)dc;
    if (path == NULL) {
        return apr_psprintf(cmd->pool, "WormReplySignatureFile: invalid path "
                            "'%s'", arg);
    }
    if ((set = target_set(cmd, sc)) == NULL) {
        return "WormReplySignatureFile: the built-in signatures failed to "
               "load";
    }
    if (wr_sigset_load_file(set, path, &err) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplySignatureFile: %s", err);
    }
    return NULL;
}

/* add_exempt - WormReplyExempt CIDR... (IPv4 and IPv6) */
static const char *add_exempt(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_srv_conf_t *sc = cmd_conf(cmd);
    char *ip = apr_pstrdup(cmd->temp_pool, arg), *mask;
    apr_ipsubnet_t *sub;
    apr_status_t rv;

    (void)dc;
    if ((mask = strchr(ip, '/')) != NULL) {
        *mask++ = '\0';
    }
    rv = apr_ipsubnet_create(&sub, ip, mask, cmd->pool);
    if (rv != APR_SUCCESS) {
        char buf[128];
        return apr_psprintf(cmd->pool, "WormReplyExempt: invalid address or "
                            "network '%s' (%s)", arg,
                            APR_STATUS_IS_EINVAL(rv)
                                ? "not an IP address or CIDR"
                                : apr_strerror(rv, buf, sizeof(buf)));
    }
    /* A vhost's list replaces the server's; its first item starts it. */
    if (sc->exempt == NULL) {
        sc->exempt = apr_array_make(cmd->pool, 4, sizeof(apr_ipsubnet_t *));
    }
    APR_ARRAY_PUSH(sc->exempt, apr_ipsubnet_t *) = sub;
    return NULL;
}

/* ---- notices --------------------------------------------------------- */

static wr_notify_conf_t *notify_conf(cmd_parms *cmd)
{
    return &cmd_conf(cmd)->global->notify;
}

/* global_only - the directive's context check, with the directive named */
static const char *global_only(cmd_parms *cmd)
{
    return ap_check_cmd_context(cmd, GLOBAL_ONLY);
}

/* set_notify - WormReplyNotify On|Off|Test */
static const char *set_notify(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_srv_conf_t *sc = cmd_conf(cmd);

    (void)dc;
    if (!strcasecmp(arg, "on")) {
        sc->notify = WR_NOTIFY_ON;
    }
    else if (!strcasecmp(arg, "off")) {
        sc->notify = WR_NOTIFY_OFF;
    }
    else if (!strcasecmp(arg, "test")) {
        sc->notify = WR_NOTIFY_TEST;
    }
    else {
        return apr_psprintf(cmd->pool, "WormReplyNotify: unknown value '%s' "
                            "(expected On, Off or Test)", arg);
    }
    sc->notify_origin = origin_of(cmd);
    sc->notify_here = 1;
    return NULL;
}

/* set_cache - WormReplyCache provider[:args] (an ap_socache provider) */
static const char *set_cache(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd), *sep;
    char *name;

    (void)dc;
    if (err) {
        return err;
    }
    sep = ap_strchr_c(arg, ':');
    name = sep ? apr_pstrmemdup(cmd->pool, arg, (apr_size_t)(sep - arg))
               : apr_pstrdup(cmd->pool, arg);
    ap_str_tolower(name);
    nc->cache_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                            AP_SOCACHE_PROVIDER_VERSION);
    if (nc->cache_provider == NULL) {
        return apr_psprintf(cmd->pool, "WormReplyCache: unknown socache "
                            "provider '%s' (is mod_socache_%s loaded?)",
                            name, name);
    }
    nc->cache_name = name;
    nc->cache_args = sep ? apr_pstrdup(cmd->pool, sep + 1) : NULL;
    nc->cache = NULL;
    err = nc->cache_provider->create(&nc->cache, nc->cache_args,
                                     cmd->temp_pool, cmd->pool);
    if (err) {
        return apr_psprintf(cmd->pool, "WormReplyCache: %s", err);
    }
    return NULL;
}

/* set_path - WormReplySpool, WormReplyOutbox, WormReplyTemplate */
static const char *set_path(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd), *path;
    const char **field;

    (void)dc;
    if (err) {
        return err;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid path '%s'",
                            cmd->cmd->name, arg);
    }
    field = (const char **)((char *)nc + (apr_size_t)cmd->info);
    *field = path;
    if (field == &nc->spool_dir) {
        nc->spool_origin = origin_of(cmd);
    }
    else if (field == &nc->outbox_dir) {
        nc->outbox_origin = origin_of(cmd);
    }
    return NULL;
}

/* set_template - WormReplyTemplate FILE: read and checked now, so that a
 * bad placeholder fails configtest */
static const char *set_template(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd), *path, *text;
    char *buf = NULL;
    apr_size_t len = 0;
    apr_status_t rv;

    (void)dc;
    if (err) {
        return err;
    }
    path = ap_server_root_relative(cmd->temp_pool, arg);
    if (path == NULL) {
        return apr_psprintf(cmd->pool, "WormReplyTemplate: invalid path '%s'",
                            arg);
    }
    err = NULL;
    rv = wr_file_slurp(path, WR_NOTICE_TEMPLATE_MAX, &buf, &len, cmd->pool);
    if (rv == APR_FROM_OS_ERROR(EFBIG)) {
        err = "template too large";
    }
    else if (rv == APR_SUCCESS) {
        rv = wr_notice_template_parse(buf, len, &text, &err, cmd->pool);
    }
    if (rv != APR_SUCCESS) {
        char ebuf[128];
        return apr_psprintf(cmd->pool, "WormReplyTemplate: %s: %s", path,
                            err ? err : apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    nc->notifier.template_text = text;
    return NULL;
}

/* whole_number - the directive's argument as a whole number from lo to
 * hi into *n; NULL, or the message for configtest */
static const char *whole_number(cmd_parms *cmd, const char *arg,
                                apr_int64_t lo, apr_int64_t hi,
                                apr_int64_t *n)
{
    char *end;

    *n = apr_strtoi64(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || *n < lo || *n > hi) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number from "
                            "%" APR_INT64_T_FMT " to %" APR_INT64_T_FMT,
                            cmd->cmd->name, arg, lo, hi);
    }
    return NULL;
}

/* positive_duration - the directive's argument as a duration over 0
 * (wr_duration_parse); the error names the directive and gives
 * `examples` */
static const char *positive_duration(cmd_parms *cmd, const char *arg,
                                     const char *examples,
                                     apr_interval_time_t *d)
{
    if (wr_duration_parse(arg, d) != APR_SUCCESS || *d <= 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a duration (such as "
                            "%s)", cmd->cmd->name, arg, examples);
    }
    return NULL;
}

/* set_count - WormReplySpoolMax, WormReplyMaxPerHour: a whole number */
static const char *set_count(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_int64_t n;

    (void)dc;
    if (err || (err = whole_number(cmd, arg, 0, 100000000, &n))) {
        return err;
    }
    if (!strcasecmp(cmd->cmd->name, "WormReplySpoolMax")) {
        nc->spool_max = (apr_size_t)n;
    }
    else {
        nc->policy.max_per_hour = (apr_uint32_t)n;
    }
    return NULL;
}

/* set_window - WormReplyHostWindow, WormReplyDigestDelay,
 * WormReplyDomainWindow: a duration such as 30s, 5m, 24h, 1h30m */
static const char *set_window(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_interval_time_t d;

    (void)dc;
    if (err || (err = positive_duration(cmd, arg, "30s, 5m, 24h or 1h30m",
                                        &d))) {
        return err;
    }
    *(apr_interval_time_t *)((char *)&nc->policy + (apr_size_t)cmd->info) = d;
    return NULL;
}

/* add_notify_family - WormReplyNotifyFamilies ITEM...: names, the
 * confidence levels certain|likely|recon, all, and +X/-X; checked against
 * the families once the whole configuration is read */
static const char *add_notify_family(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    const char *bare = (*arg == '+' || *arg == '-') ? arg + 1 : arg;
    wr_family_item_t *it;

    (void)dc;
    if (err) {
        return err;
    }
    if (*bare == '\0') {
        return "WormReplyNotifyFamilies: empty family name";
    }
    if (nc->notify_items == NULL) {
        nc->notify_items = apr_array_make(cmd->pool, 4, sizeof(*it));
    }
    it = apr_array_push(nc->notify_items);
    it->name = apr_pstrdup(cmd->pool, arg);
    it->origin = origin_of(cmd);
    it->reset = 0;
    /* the first absolute item of a directive line replaces the list */
    if (*arg != '+' && *arg != '-') {
        int k;
        it->reset = 1;
        for (k = 0; k < nc->notify_items->nelts - 1; k++) {
            const wr_family_item_t *o =
                &APR_ARRAY_IDX(nc->notify_items, k, wr_family_item_t);
            if (!strcmp(o->origin, it->origin) && o->name[0] != '+'
                && o->name[0] != '-') {
                it->reset = 0;
            }
        }
    }
    return NULL;
}

/* add_prefix - WormReplyNotifyExempt, WormReplyNotifyAllow: CIDR... */
static const char *add_prefix(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    wr_ipset_t **set;

    (void)dc;
    if (err) {
        return err;
    }
    set = (wr_ipset_t **)((char *)&nc->notifier + (apr_size_t)cmd->info);
    if (*set == NULL) {
        wr_ipset_create(set, cmd->pool);
    }
    if (wr_ipset_add(*set, arg) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: invalid address or network '%s'",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

/* valid_mail_word - no blanks, controls or characters that could end a
 * header: what goes into a mail address here comes from httpd.conf, but
 * is checked like any input */
static int valid_mail_word(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == ','
            || c == '"' || c == '(' || c == ')' || c == ';' || c == '\\') {
            return 0;
        }
    }
    return 1;
}

/* add_word - WormReplyOwnDomain, WormReplyNeverMail, WormReplyMailboxes */
static const char *add_word(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    const char *name = cmd->cmd->name;
    apr_array_header_t **list;
    char *w = apr_pstrdup(cmd->pool, arg);

    (void)dc;
    if (err) {
        return err;
    }
    ap_str_tolower(w);
    list = (apr_array_header_t **)((char *)&nc->notifier
                                   + (apr_size_t)cmd->info);
    if (!strcasecmp(name, "WormReplyMailboxes")) {
        if (*w == '\0' || !valid_mail_word(w) || ap_strchr_c(w, '@')) {
            return apr_psprintf(cmd->pool, "WormReplyMailboxes: '%s' is not "
                                "a mailbox name (such as abuse)", arg);
        }
    }
    else if (!strcasecmp(name, "WormReplyOwnDomain")) {
        if (!wr_resolve_name_is_ldh(w)) {
            return apr_psprintf(cmd->pool, "WormReplyOwnDomain: '%s' is not "
                                "a domain name", arg);
        }
    }
    else {
        /* "-DOMAIN" takes a domain out of the built-in list */
        const char *v = *w == '-' ? w + 1 : w;
        const char *dom = ap_strchr_c(v, '@');
        if (!valid_mail_word(v)
            || !wr_resolve_name_is_ldh(dom ? dom + 1 : v)
            || (*w == '-' && dom != NULL)) {
            return apr_psprintf(cmd->pool, "WormReplyNeverMail: '%s' is "
                                "neither a mail address nor a domain (nor "
                                "-DOMAIN)", arg);
        }
    }
    /* The first directive replaces a default list. */
    if (*list == NULL || (list == &nc->notifier.mailboxes
                          && !nc->notifier_mailboxes_set)) {
        *list = apr_array_make(cmd->pool, 4, sizeof(const char *));
        if (list == &nc->notifier.mailboxes) {
            nc->notifier_mailboxes_set = 1;
        }
    }
    APR_ARRAY_PUSH(*list, const char *) = w;
    return NULL;
}

/* set_address - WormReplyFrom, WormReplyBcc, WormReplyBounceAddress: one
 * mail address */
static const char *set_address(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd), *at = ap_strchr_c(arg, '@');

    (void)dc;
    if (err) {
        return err;
    }
    if (at == NULL || at == arg || !valid_mail_word(arg)
        || !wr_resolve_name_is_ldh(at + 1)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a mail address "
                            "(local@domain)", cmd->cmd->name, arg);
    }
    if (!strcasecmp(cmd->cmd->name, "WormReplyFrom")) {
        nc->notifier.from = apr_pstrdup(cmd->pool, arg);
    }
    else if (!strcasecmp(cmd->cmd->name, "WormReplyBounceAddress")) {
        /* '+' opens the token of each recipient's own address */
        if (memchr(arg, '+', (apr_size_t)(at - arg)) != NULL) {
            return apr_psprintf(cmd->pool, "WormReplyBounceAddress: '%s' "
                                "has a '+' in its local part, which is "
                                "where each notice's token goes "
                                "(local+TOKEN@domain)", arg);
        }
        nc->delivery.bounce_address = apr_pstrdup(cmd->pool, arg);
    }
    else {
        nc->notifier.bcc = apr_pstrdup(cmd->pool, arg);
    }
    return NULL;
}

/* set_resolver - WormReplyResolver IP[:PORT]... */
static const char *set_resolver(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    char *host = NULL, *scope = NULL;
    apr_port_t port = 0;
    apr_ipsubnet_t *ip;

    (void)dc;
    if (err) {
        return err;
    }
    /* a numeric address only: the resolver must not need a resolver */
    if (apr_parse_addr_port(&host, &scope, &port, arg, cmd->temp_pool)
        != APR_SUCCESS || host == NULL || scope != NULL
        || apr_ipsubnet_create(&ip, host, NULL, cmd->temp_pool)
           != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplyResolver: '%s' is not an "
                            "IP address with an optional :port", arg);
    }
    nc->notifier.resolvers = nc->notifier.resolvers
        ? apr_pstrcat(cmd->pool, nc->notifier.resolvers, ",", arg, NULL)
        : apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* set_contact_zone - WormReplyContactZone ZONE */
static const char *set_contact_zone(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if (!wr_resolve_name_is_ldh(arg)) {
        return apr_psprintf(cmd->pool, "WormReplyContactZone: '%s' is not "
                            "a DNS zone name", arg);
    }
    nc->notifier.contact_zone = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/* set_format - WormReplyFormat: a name in the notice format table */
static const char *set_format(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const wr_notice_format_t *fmt = wr_notice_format_find(arg);
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if (fmt == NULL) {
        return apr_psprintf(cmd->pool, "WormReplyFormat: unknown format '%s' "
                            "(expected %s)", arg,
                            wr_notice_format_names(cmd->temp_pool));
    }
    if (fmt->config_warning != NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     WRLOGNO(00550) "WormReplyFormat %s (%s:%d): %s",
                     fmt->name, cmd->directive->filename,
                     cmd->directive->line_num, fmt->config_warning);
    }
    /* the name, in the pool: nothing that outlives this pass points into
     * the module's image */
    nc->notifier.format = apr_pstrdup(cmd->pool, fmt->name);
    return NULL;
}

/* set_transport - WormReplyTransport smtp|sendmail [PATH] */
static const char *set_transport(cmd_parms *cmd, void *dc, const char *kind,
                                 const char *path)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    nc->transport_origin = origin_of(cmd);
    if (!strcasecmp(kind, "smtp")) {
        if (path) {
            return "WormReplyTransport smtp takes no PATH (the server is "
                   "WormReplySmarthost)";
        }
        nc->delivery.transport = &wr_transport_smtp;
        nc->delivery.transport_conf = NULL;
        return NULL;
    }
    if (!strcasecmp(kind, "sendmail")) {
        wr_sendmail_conf_t *sc = apr_pcalloc(cmd->pool, sizeof(*sc));
        sc->path = path ? path : WR_SENDMAIL_DEFAULT_PATH;
        if (wr_sendmail_conf_check(sc, &err, cmd->temp_pool)
            != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "WormReplyTransport: %s", err);
        }
        nc->delivery.transport = &wr_transport_sendmail;
        nc->delivery.transport_conf = sc;
        return NULL;
    }
    return apr_psprintf(cmd->pool, "WormReplyTransport: unknown transport "
                        "'%s' (expected smtp or sendmail)", kind);
}

/* set_smarthost - WormReplySmarthost host[:port] */
static const char *set_smarthost(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if (wr_smtp_parse_hostport(arg, &nc->delivery.smtp.host,
                               &nc->delivery.smtp.port, &err, cmd->pool)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplySmarthost: %s", err);
    }
    return NULL;
}

/* set_smtp_tls - WormReplySMTPTLS required|opportunistic|off */
static const char *set_smtp_tls(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if (wr_smtp_tls_parse(arg, &nc->delivery.smtp.tls) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplySMTPTLS: unknown value '%s' "
                            "(expected required, opportunistic or off)", arg);
    }
    nc->smtp_tls_set = 1;
    nc->smtp_tls_origin = origin_of(cmd);
    return NULL;
}

/* set_smtp_ca - WormReplySMTPCACertificate FILE */
static const char *set_smtp_ca(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd), *path;
    apr_finfo_t fi;

    (void)dc;
    if (err) {
        return err;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (path == NULL || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool)
                        != APR_SUCCESS || fi.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "WormReplySMTPCACertificate: cannot "
                            "read '%s'", arg);
    }
    nc->delivery.smtp.ca_file = path;
    return NULL;
}

/* set_smtp_auth - WormReplySMTPAuth USER FILE: the file is checked now
 * (its contract, a secret on its first line), and the secret wiped at
 * once: httpd and its children never keep it. The notifier opens the file
 * while still root and its delivery processes read the secret for each
 * SMTP session (wr_smtp_secret_open, wr_smtp_send). */
static const char *set_smtp_auth(cmd_parms *cmd, void *dc, const char *user,
                                 const char *file)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd), *path;
    apr_status_t rv;

    (void)dc;
    if (err) {
        return err;
    }
    path = ap_server_root_relative(cmd->pool, file);
    err = NULL;
    if (path == NULL
        || (rv = wr_smtp_secret_check(path, &err, cmd->temp_pool))
           != APR_SUCCESS) {
        char buf[128];
        return apr_psprintf(cmd->pool, "WormReplySMTPAuth: %s: %s", file,
                            err ? err : path ? apr_strerror(rv, buf,
                                                            sizeof(buf))
                                             : "invalid path");
    }
    nc->delivery.smtp.user = apr_pstrdup(cmd->pool, user);
    nc->delivery.smtp.secret = NULL;
    nc->delivery.smtp.secret_file = wr_smtp_secret_new(path, cmd->pool);
    nc->smtp_auth_origin = origin_of(cmd);
    return NULL;
}

/* set_farm - WormReplyFarm redis://[user@]host[:port][/db] [FILE]: the
 * password, if any, is the first line of a root-only FILE, checked now and
 * read by the notifier (which opens the file while still root) each time
 * it connects, as the SMTP AUTH secret is */
static const char *set_farm(cmd_parms *cmd, void *dc, const char *url,
                            const char *file)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if (wr_farm_parse_url(url, &nc->farm, &err, cmd->pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplyFarm: '%s': %s", url, err);
    }
    if (file) {
        const char *path = ap_server_root_relative(cmd->pool, file);
        apr_status_t rv;

        if (path == NULL) {
            return apr_psprintf(cmd->pool, "WormReplyFarm: %s: invalid "
                                "path", file);
        }
        err = NULL;
        if ((rv = wr_smtp_secret_check(path, &err, cmd->temp_pool))
            != APR_SUCCESS) {
            char buf[128];
            return apr_psprintf(cmd->pool, "WormReplyFarm: %s: %s", file,
                                err ? err : apr_strerror(rv, buf,
                                                         sizeof(buf)));
        }
        nc->farm.password_file = wr_smtp_secret_new(path, cmd->pool);
    }
    nc->farm_set = 1;
    return NULL;
}

/* set_farm_lease - WormReplyFarmLease DURATION */
static const char *set_farm_lease(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_interval_time_t d;

    (void)dc;
    if (err) {
        return err;
    }
    if (wr_duration_parse(arg, &d) != APR_SUCCESS || d < apr_time_from_sec(1)
        || d > apr_time_from_sec(3600)) {
        return apr_psprintf(cmd->pool, "WormReplyFarmLease: '%s' is not a "
                            "duration from 1s to 1h", arg);
    }
    nc->farm_lease = d;
    return NULL;
}

/* set_delivery_time - WormReplyRetryInterval, WormReplyMaxQueueTime */
static const char *set_delivery_time(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_interval_time_t d;

    (void)dc;
    if (err || (err = positive_duration(cmd, arg, "30s, 5m, 4h or 5d", &d))) {
        return err;
    }
    if (!strcasecmp(cmd->cmd->name, "WormReplyRetryInterval")) {
        nc->delivery.retry_interval = d;
    }
    else {
        nc->delivery.max_queue_time = d;
    }
    return NULL;
}

/* set_outbox_retention - WormReplyOutboxRetention DURATION|off: how
 * long notices kept for pickup (no smarthost) stay in the outbox */
static const char *set_outbox_retention(cmd_parms *cmd, void *dc,
                                        const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_interval_time_t d;

    (void)dc;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "off")) {
        nc->notifier.outbox_retention = 0;
        return NULL;
    }
    if (wr_duration_parse(arg, &d) != APR_SUCCESS || d <= 0) {
        return apr_psprintf(cmd->pool, "WormReplyOutboxRetention: '%s' is "
                            "not a duration (such as 12h, 30d) or off", arg);
    }
    nc->notifier.outbox_retention = d;
    return NULL;
}

/* set_smtp_sessions - WormReplySMTPSessions N */
static const char *set_smtp_sessions(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_int64_t n;

    (void)dc;
    if (err || (err = whole_number(cmd, arg, 1, WR_DELIVERY_SESSIONS_MAX,
                                   &n))) {
        return err;
    }
    nc->delivery.sessions = (int)n;
    return NULL;
}

/* set_notifier_nice - WormReplyNotifierNice N */
static const char *set_notifier_nice(cmd_parms *cmd, void *dc,
                                     const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_int64_t n;

    (void)dc;
    if (err || (err = whole_number(cmd, arg, 0, 19, &n))) {
        return err;
    }
    nc->notifier_nice = (int)n;
    return NULL;
}

/* set_source_prefix - WormReplySourcePrefix V4BITS V6BITS: the network
 * prefix a source is accounted under */
static const char *set_source_prefix(cmd_parms *cmd, void *dc,
                                     const char *v4, const char *v6)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_int64_t b4, b6;

    (void)dc;
    if (err || (err = whole_number(cmd, v4, WR_PREFIX_MIN_V4, 32, &b4))
        || (err = whole_number(cmd, v6, WR_PREFIX_MIN_V6, 128, &b6))) {
        return err;
    }
    nc->prefix_v4 = (int)b4;
    nc->prefix_v6 = (int)b6;
    return NULL;
}

/* set_prefix_quota - WormReplyPrefixQuota N: events per prefix and window,
 * each for another address of it */
static const char *set_prefix_quota(cmd_parms *cmd, void *dc,
                                    const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);
    apr_int64_t n;

    (void)dc;
    if (err || (err = whole_number(cmd, arg, 1, WR_SEEN_MAX_ADDRESSES, &n))) {
        return err;
    }
    nc->prefix_quota = (unsigned int)n;
    return NULL;
}

/* set_spool_bytes - WormReplySpoolMaxBytes SIZE */
static const char *set_spool_bytes(cmd_parms *cmd, void *dc, const char *arg)
{
    wr_notify_conf_t *nc = notify_conf(cmd);
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if (wr_bytes_parse(arg, &nc->spool_max_bytes) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "WormReplySpoolMaxBytes: '%s' is not "
                            "a size (bytes, or with K, M or G: 32M)", arg);
    }
    return NULL;
}

#define NC_OFF(f) ((void *)offsetof(wr_notify_conf_t, f))
#define NOTIFIER_OFF(f) ((void *)offsetof(wr_notifier_conf_t, f))
#define POLICY_OFF(f) ((void *)offsetof(wr_rate_policy_t, f))

const command_rec wr_cmds[] = {
    AP_INIT_FLAG("WormReply", set_enabled, NULL, RSRC_CONF,
                 "On|Off - recognise and answer worm probes here "
                 "(default Off)"),
    AP_INIT_TAKE1("WormReplyAction", set_action, NULL, RSRC_CONF,
                  "404|403|410|close|pass - how a probe is answered "
                  "(default 404)"),
    AP_INIT_ITERATE("WormReplyFamilies", add_family, NULL, RSRC_CONF,
                    "NAME|all|default|+NAME|-NAME ... - the active signature "
                    "families (default: those marked 'on')"),
    AP_INIT_TAKE23("WormReplySignature", add_signature, NULL, RSRC_CONF,
                   "FAMILY \"PCRE2 pattern\" [norm|raw|line] - add a "
                   "signature"),
    AP_INIT_TAKE1("WormReplySignatureFile", add_signature_file, NULL,
                  RSRC_CONF, "PATH - add the signatures of a file in the "
                  "format of conf/signatures.conf"),
    AP_INIT_ITERATE("WormReplyExempt", add_exempt, NULL, RSRC_CONF,
                    "CIDR ... - clients never treated as probers"),
    AP_INIT_TAKE1("WormReplyNotify", set_notify, NULL, RSRC_CONF,
                  "On|Off|Test - notify the probers' networks (default Off; "
                  "Test: only to WormReplyBcc)"),
    AP_INIT_TAKE1("WormReplyCache", set_cache, NULL, RSRC_CONF,
                  "provider[:args] - ap_socache provider of the shared "
                  "rate-limit state (default: the module's own table)"),
    AP_INIT_TAKE1("WormReplySpool", set_path, NC_OFF(spool_dir), RSRC_CONF,
                  "DIR - the event spool (default /var/lib/apache2/wormreply/"
                  "spool)"),
    AP_INIT_TAKE1("WormReplySpoolMax", set_count, NULL, RSRC_CONF,
                  "N - events the spool may hold (default 10000)"),
    AP_INIT_TAKE1("WormReplySpoolMaxBytes", set_spool_bytes, NULL, RSRC_CONF,
                  "SIZE - bytes the spool's records may take, failed/ "
                  "included (default 32M)"),
    AP_INIT_TAKE2("WormReplySourcePrefix", set_source_prefix, NULL,
                  RSRC_CONF, "V4BITS V6BITS - the network prefix a source "
                  "is counted under (default 32 64)"),
    AP_INIT_TAKE1("WormReplyPrefixQuota", set_prefix_quota, NULL, RSRC_CONF,
                  "N - events per source prefix and window, each for "
                  "another address (default 4)"),
    AP_INIT_TAKE1("WormReplyOutbox", set_path, NC_OFF(outbox_dir), RSRC_CONF,
                  "DIR - where finished notices are written (default "
                  "/var/lib/apache2/wormreply/outbox)"),
    AP_INIT_TAKE1("WormReplyTemplate", set_template, NULL, RSRC_CONF,
                  "FILE - the notice template (default: the built-in "
                  "conf/notice.tmpl)"),
    AP_INIT_ITERATE("WormReplyResolver", set_resolver, NULL, RSRC_CONF,
                    "IP[:PORT] ... - DNS servers (default: the system's)"),
    AP_INIT_TAKE1("WormReplyContactZone", set_contact_zone, NULL, RSRC_CONF,
                  "ZONE - ask this DNS abuse-contact database (TXT at the "
                  "reversed address) before reverse DNS"),
    AP_INIT_ITERATE("WormReplyNotifyFamilies", add_notify_family, NULL,
                    RSRC_CONF, "NAME|certain|likely|recon|all|+X|-X ... - "
                    "the families whose probes make a notice by themselves "
                    "(default: certain)"),
    AP_INIT_ITERATE("WormReplyNotifyExempt", add_prefix, NOTIFIER_OFF(exempt),
                    RSRC_CONF, "CIDR ... - sources never notified about"),
    AP_INIT_ITERATE("WormReplyNotifyAllow", add_prefix, NOTIFIER_OFF(allow),
                    RSRC_CONF, "CIDR ... - special-purpose prefixes "
                    "(RFC 6890) to notify about anyway (labs, tests)"),
    AP_INIT_ITERATE("WormReplyOwnDomain", add_word,
                    NOTIFIER_OFF(own_domains), RSRC_CONF,
                    "DOMAIN ... - our own domains, never notified (ServerName "
                    "and ServerAlias domains are added)"),
    AP_INIT_ITERATE("WormReplyNeverMail", add_word, NOTIFIER_OFF(never_mail),
                    RSRC_CONF, "ADDRESS|DOMAIN|-DOMAIN ... - never write to "
                    "these (added to the built-in nip.io, sslip.io ...; "
                    "-DOMAIN takes a built-in one out)"),
    AP_INIT_ITERATE("WormReplyMailboxes", add_word, NOTIFIER_OFF(mailboxes),
                    RSRC_CONF, "LOCAL ... - RFC 2142 mailboxes written to "
                    "(default postmaster abuse)"),
    AP_INIT_TAKE1("WormReplyFrom", set_address, NULL, RSRC_CONF,
                  "ADDRESS - sender of the notices (default wormreply@ the "
                  "main ServerName)"),
    AP_INIT_TAKE1("WormReplyBcc", set_address, NULL, RSRC_CONF,
                  "ADDRESS - the administrator's copy of every notice"),
    AP_INIT_TAKE1("WormReplyBounceAddress", set_address, NULL, RSRC_CONF,
                  "LOCAL@DOMAIN - envelope sender of the notices: each "
                  "recipient gets LOCAL+TOKEN@DOMAIN, read back by "
                  "'wormreply bounce' (default: none, WormReplyFrom)"),
    AP_INIT_TAKE1("WormReplyFormat", set_format, NULL, RSRC_CONF,
                  "plain|xarf4|xarf|arf - plain text digest, or a XARF v4 "
                  "or X-ARF 0.2 report per host (default plain)"),
    AP_INIT_TAKE1("WormReplyHostWindow", set_window, POLICY_OFF(host_window),
                  RSRC_CONF, "DURATION - one notice per source host per "
                  "window (default 24h)"),
    AP_INIT_TAKE1("WormReplyDigestDelay", set_window,
                  POLICY_OFF(digest_delay), RSRC_CONF, "DURATION - how long "
                  "a domain's events are gathered into one digest "
                  "(default 5m)"),
    AP_INIT_TAKE1("WormReplyDomainWindow", set_window,
                  POLICY_OFF(domain_window), RSRC_CONF, "DURATION - at most "
                  "one digest per domain per window (default 1h)"),
    AP_INIT_TAKE12("WormReplyTransport", set_transport, NULL, RSRC_CONF,
                   "smtp|sendmail [PATH] - how notices leave: SMTP to "
                   "WormReplySmarthost (the default), or the local MTA's "
                   "sendmail program (default " WR_SENDMAIL_DEFAULT_PATH ")"),
    AP_INIT_TAKE1("WormReplySmarthost", set_smarthost, NULL, RSRC_CONF,
                  "HOST[:PORT] - deliver notices through this SMTP server "
                  "(default: none, notices stay in the outbox)"),
    AP_INIT_TAKE1("WormReplySMTPTLS", set_smtp_tls, NULL, RSRC_CONF,
                  "required|opportunistic|off - STARTTLS to the smarthost "
                  "(default required with AUTH, else opportunistic)"),
    AP_INIT_TAKE1("WormReplySMTPCACertificate", set_smtp_ca, NULL, RSRC_CONF,
                  "FILE - CA certificates (PEM) the smarthost's certificate "
                  "is checked against (default: the system's)"),
    AP_INIT_TAKE2("WormReplySMTPAuth", set_smtp_auth, NULL, RSRC_CONF,
                  "USER FILE - SMTP AUTH (PLAIN, LOGIN, CRAM-MD5); the "
                  "secret is the first line of a root-only FILE"),
    AP_INIT_TAKE1("WormReplyRetryInterval", set_delivery_time, NULL,
                  RSRC_CONF, "DURATION - first retry of a deferred notice, "
                  "doubling up to 4h (default 5m)"),
    AP_INIT_TAKE1("WormReplyMaxQueueTime", set_delivery_time, NULL,
                  RSRC_CONF, "DURATION - give up on a notice after this "
                  "(default 5d)"),
    AP_INIT_TAKE1("WormReplyOutboxRetention", set_outbox_retention, NULL,
                  RSRC_CONF, "DURATION|off - without a smarthost, how long "
                  "notices are kept in the outbox for pickup (default 30d)"),
    AP_INIT_TAKE1("WormReplyNotifierNice", set_notifier_nice, NULL,
                  RSRC_CONF, "N - how much lower than httpd's the "
                  "notifier's CPU priority is (0 to 19, default 10)"),
    AP_INIT_TAKE1("WormReplySMTPSessions", set_smtp_sessions, NULL,
                  RSRC_CONF, "N - SMTP sessions to the smarthost at once, "
                  "at most (1 to 32, default 4)"),
    AP_INIT_TAKE12("WormReplyFarm", set_farm, NULL, RSRC_CONF,
                   "redis://[user@]host[:port][/db] [PASSWORD-FILE]: share "
                   "the domain windows, the hourly cap, the suppression list "
                   "and the sent history with the farm's other servers"),
    AP_INIT_TAKE1("WormReplyFarmLease", set_farm_lease, NULL, RSRC_CONF,
                  "how long a farm claim is held before another server may "
                  "take it over (default 60s)"),
    AP_INIT_TAKE1("WormReplyMaxPerHour", set_count, NULL, RSRC_CONF,
                  "N - notices per hour at most, all domains (default 100; "
                  "0 = no cap)"),
    {NULL}
};
