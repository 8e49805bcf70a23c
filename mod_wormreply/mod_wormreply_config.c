/* mod_wormreply_config.c - directives, defaults and config merge */
#include <string.h>

#include <apr_strings.h>
#include <apr_network_io.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_wormreply.h"
#include "wr_log.h"

APLOG_USE_MODULE(wormreply);

#define GLOBAL_KEY "mod_wormreply-global"

/* global_get - the process-wide record of this configuration cycle,
 * created (with the built-in signatures) on first use */
static wr_global_t *global_get(apr_pool_t *pconf, const char **err)
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
        apr_pool_userdata_setn(g, GLOBAL_KEY, NULL, pconf);
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
    sc->global = global_get(p, &err);
    sc->enabled = WR_UNSET;
    sc->action = WR_UNSET;
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
    if (sc->global == NULL) {
        return "WormReplySignature: the built-in signatures failed to load";
    }
    if (cmd->server->is_virtual) {
        if (sc->local == NULL) {
            wr_sigset_create(&sc->local, cmd->pool);
        }
        set = sc->local;
    }
    else {
        set = sc->global->sigset;
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
    if (sc->global == NULL) {
        return "WormReplySignatureFile: the built-in signatures failed to load";
    }
    if (cmd->server->is_virtual) {
        if (sc->local == NULL) {
            wr_sigset_create(&sc->local, cmd->pool);
        }
        set = sc->local;
    }
    else {
        set = sc->global->sigset;
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
    {NULL}
};

/* resolve_families - apply a server's WormReplyFamilies items to the
 * default masks of the global and local sets */
static const char *resolve_families(apr_pool_t *p, wr_srv_conf_t *sc)
{
    const wr_sigset_t *g = sc->global->sigset, *l = sc->local;
    wr_family_mask_t gm = wr_sigset_default_mask(g);
    wr_family_mask_t lm = l ? wr_sigset_default_mask(l) : 0;
    int k;

    for (k = 0; sc->family_items && k < sc->family_items->nelts; k++) {
        const wr_family_item_t *it =
            &APR_ARRAY_IDX(sc->family_items, k, wr_family_item_t);
        const char *n = it->name;
        char op = (*n == '+' || *n == '-') ? *n++ : '=';
        int gi, li;
        wr_family_mask_t gbit = 0, lbit = 0;

        if (it->reset) {
            gm = 0;
            lm = 0;
        }
        if (!strcmp(n, "all")) {
            gbit = wr_sigset_all_mask(g);
            lbit = l ? wr_sigset_all_mask(l) : 0;
        }
        else if (!strcmp(n, "default")) {
            gbit = wr_sigset_default_mask(g);
            lbit = l ? wr_sigset_default_mask(l) : 0;
        }
        else {
            gi = wr_sigset_family_index(g, n);
            li = l ? wr_sigset_family_index(l, n) : -1;
            if (gi < 0 && li < 0) {
                return apr_psprintf(p, "WormReplyFamilies: unknown family "
                                    "'%s' at %s", n, it->origin);
            }
            gbit = gi >= 0 ? (wr_family_mask_t)1 << gi : 0;
            lbit = li >= 0 ? (wr_family_mask_t)1 << li : 0;
        }
        if (op == '-') {
            gm &= ~gbit;
            lm &= ~lbit;
        }
        else {
            gm |= gbit;
            lm |= lbit;
        }
    }
    sc->mask = gm;
    sc->local_mask = lm;
    return NULL;
}

int wr_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                    server_rec *s)
{
    server_rec *vs;
    const char *err = NULL;

    (void)plog;
    (void)ptemp;
    if (global_get(pconf, &err) == NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, WRLOGNO(00002)
                     "built-in signatures: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (vs = s; vs; vs = vs->next) {
        wr_srv_conf_t *sc = WR_SRV_CONF(vs);
        if ((err = resolve_families(ptemp, sc)) != NULL) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, vs, WRLOGNO(00003) "%s",
                         err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}
