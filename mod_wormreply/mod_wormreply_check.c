/* mod_wormreply_check.c - the checks of the whole configuration
 * (check_config hook, so "apachectl configtest" runs them): what no single
 * directive can decide - the families each server ends up with, the
 * transport against the smarthost, AUTH against TLS, and the notices'
 * spool, outbox and names (wr_notify_check_config). The directives
 * themselves are read and checked in mod_wormreply_config.c. */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "mod_wormreply.h"
#include "wr_log.h"
#include "wr_sendmail.h"
#include "wr_smtp.h"

APLOG_USE_MODULE(wormreply);

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

/* check_transport - WormReplyTransport smtp needs a smarthost; sendmail
 * makes WormReplySmarthost pointless, which is said rather than ignored */
static const char *check_transport(apr_pool_t *p, const wr_notify_conf_t *nc)
{
    if (nc->delivery.transport == &wr_transport_smtp
        && nc->delivery.smtp.host == NULL) {
        return apr_psprintf(p, "WormReplyTransport smtp at %s needs "
                            "WormReplySmarthost", nc->transport_origin);
    }
    if (nc->delivery.transport == &wr_transport_sendmail
        && nc->delivery.smtp.host != NULL) {
        return apr_psprintf(p, "WormReplyTransport sendmail at %s hands "
                            "notices to the local MTA: remove "
                            "WormReplySmarthost (or use WormReplyTransport "
                            "smtp)", nc->transport_origin);
    }
    return NULL;
}

/* check_smtp_auth - AUTH only with TLS required: with opportunistic TLS
 * the secret would go to a server whose certificate was never verified,
 * and with none at all in clear (a stripping attacker sees it) */
static const char *check_smtp_auth(apr_pool_t *p, const wr_notify_conf_t *nc)
{
    if (nc->delivery.smtp.user == NULL || !nc->smtp_tls_set
        || nc->delivery.smtp.tls == WR_SMTP_TLS_REQUIRED) {
        return NULL;
    }
    return apr_psprintf(p, "WormReplySMTPAuth at %s needs WormReplySMTPTLS "
                        "required, not %s (at %s): the secret must only "
                        "reach a smarthost whose certificate chain and name "
                        "were verified", nc->smtp_auth_origin,
                        nc->delivery.smtp.tls == WR_SMTP_TLS_OFF
                        ? "off" : "opportunistic", nc->smtp_tls_origin);
}

/* notify_item_applies - whether WormReplyNotifyFamilies item `n` (without
 * its +/-) names family `name` of confidence `conf` */
static int notify_item_applies(const char *n, const char *name,
                               wr_confidence_t conf)
{
    wr_confidence_t c;

    if (!strcmp(n, "all")) {
        return 1;
    }
    if (wr_confidence_parse(n, &c) == APR_SUCCESS) {
        return c == conf;
    }
    return !strcmp(n, name);
}

/* notify_family - whether a family notifies by itself: the certain ones,
 * unless WormReplyNotifyFamilies says otherwise */
static int notify_family(const apr_array_header_t *items, const char *name,
                         wr_confidence_t conf)
{
    int on = conf == WR_CONFIDENCE_CERTAIN, k;

    for (k = 0; items && k < items->nelts; k++) {
        const wr_family_item_t *it =
            &APR_ARRAY_IDX(items, k, wr_family_item_t);
        const char *n = it->name;
        char op = (*n == '+' || *n == '-') ? *n++ : '=';

        if (it->reset) {
            on = 0;
        }
        if (notify_item_applies(n, name, conf)) {
            on = op != '-';
        }
    }
    return on;
}

/* notify_set - add the families of `set` that notify to `h` */
static void notify_set(apr_hash_t *h, const apr_array_header_t *items,
                       const wr_sigset_t *set, apr_pool_t *p)
{
    int f;

    for (f = 0; set && f < wr_sigset_family_count(set); f++) {
        const char *name = wr_sigset_family_name(set, f);
        if (notify_family(items, name, wr_sigset_family_confidence(set, f))) {
            apr_hash_set(h, apr_pstrdup(p, name), APR_HASH_KEY_STRING, "1");
        }
    }
}

/* resolve_notify - the names of the families that notify by themselves,
 * over the server-wide set and every vhost's own; an item that names no
 * family and no keyword is an error */
static const char *resolve_notify(apr_pool_t *pconf, apr_pool_t *ptemp,
                                  server_rec *s)
{
    wr_notify_conf_t *nc = &WR_SRV_CONF(s)->global->notify;
    const apr_array_header_t *items = nc->notify_items;
    apr_hash_t *h = apr_hash_make(pconf);
    server_rec *vs;
    int k;

    for (k = 0; items && k < items->nelts; k++) {
        const wr_family_item_t *it =
            &APR_ARRAY_IDX(items, k, wr_family_item_t);
        const char *n = it->name + (*it->name == '+' || *it->name == '-');
        wr_confidence_t c;
        int known = !strcmp(n, "all")
                    || wr_confidence_parse(n, &c) == APR_SUCCESS
                    || wr_sigset_family_index(WR_SRV_CONF(s)->global->sigset,
                                              n) >= 0;
        for (vs = s; !known && vs; vs = vs->next) {
            const wr_sigset_t *l = WR_SRV_CONF(vs)->local;
            known = l && wr_sigset_family_index(l, n) >= 0;
        }
        if (!known) {
            return apr_psprintf(ptemp, "WormReplyNotifyFamilies: unknown "
                                "family '%s' at %s (a family name, certain, "
                                "likely, recon or all)", n, it->origin);
        }
    }
    notify_set(h, items, WR_SRV_CONF(s)->global->sigset, pconf);
    for (vs = s; vs; vs = vs->next) {
        notify_set(h, items, WR_SRV_CONF(vs)->local, pconf);
    }
    nc->notifying = h;
    return NULL;
}

int wr_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                    server_rec *s)
{
    server_rec *vs;
    const char *err = NULL;
    wr_global_t *g;

    (void)plog;
    (void)ptemp;
    if ((g = wr_global_get(pconf, &err)) == NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, WRLOGNO(00002)
                     "built-in signatures: %s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((err = check_transport(ptemp, &g->notify)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, WRLOGNO(00652) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((err = check_smtp_auth(ptemp, &g->notify)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, WRLOGNO(00650) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (g->notify.delivery.smtp.host != NULL
        && g->notify.delivery.bounce_address == NULL) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, WRLOGNO(00701)
                     "WormReplySmarthost without WormReplyBounceAddress: "
                     "the bounces of notices go to WormReplyFrom and "
                     "nothing reads them, so a dead mailbox that the "
                     "smarthost accepted is written to again");
    }
    for (vs = s; vs; vs = vs->next) {
        wr_srv_conf_t *sc = WR_SRV_CONF(vs);
        if ((err = resolve_families(ptemp, sc)) != NULL) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, vs, WRLOGNO(00003) "%s",
                         err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if ((err = wr_notify_check_config(ptemp, s)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, WRLOGNO(00600) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((err = resolve_notify(pconf, ptemp, s)) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, WRLOGNO(00520) "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}
