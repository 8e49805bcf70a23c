/* mod_wormreply.h - what the glue files share
 *
 * Two kinds of configuration, as mod_md keeps them:
 * - wr_global_t: process-wide, one per configuration cycle (userdata of
 *   pconf): the signature set, the counters. Every server config points
 *   to it.
 * - wr_srv_conf_t: per server / virtual host, merged with an "unset"
 *   sentinel so that a vhost inherits each setting it does not make.
 */
#ifndef MOD_WORMREPLY_H
#define MOD_WORMREPLY_H

#include <apr_global_mutex.h>
#include <apr_hash.h>

#include <httpd.h>
#include <http_config.h>
#include <ap_socache.h>

#include "wr_counters.h"
#include "wr_match.h"
#include "wr_notifier.h"
#include "wr_ratelimit.h"
#include "wr_prefix.h"
#include "wr_seen.h"
#include "wr_spoolsize.h"
#include "wr_spool.h"

#define WR_UNSET (-1)

extern module AP_MODULE_DECLARE_DATA wormreply_module;

typedef enum {
    WR_NOTIFY_OFF = 0,
    WR_NOTIFY_ON,
    WR_NOTIFY_TEST
} wr_notify_mode_e;

/* Process-wide notice settings: the directives are GLOBAL_ONLY, since one
 * notifier, one spool and one shared cache serve every virtual host. */
typedef struct {
    int any_enabled;              /* some server has WormReplyNotify On|Test */
    wr_seen_t *seen;              /* the built-in table (no WormReplyCache) */
    wr_spoolsize_t *spool_size;   /* the spool's size, in shared memory */
    int prefix_v4, prefix_v6;     /* WormReplySourcePrefix */
    unsigned int prefix_quota;    /* WormReplyPrefixQuota */
    apr_uint64_t spool_max_bytes; /* WormReplySpoolMaxBytes */
    const char *cache_name;       /* WormReplyCache provider */
    const char *cache_args;
    const ap_socache_provider_t *cache_provider;
    ap_socache_instance_t *cache;
    apr_global_mutex_t *cache_mutex;   /* only for NOTMPSAFE providers */
    const char *spool_dir;        /* NULL: WR_STATE_DIR/spool */
    apr_size_t spool_max;
    wr_spool_t *spool;
    const char *outbox_dir;       /* NULL: WR_STATE_DIR/outbox */
    const char *spool_origin;     /* "file:line" of WormReplySpool, or NULL */
    const char *outbox_origin;    /* "file:line" of WormReplyOutbox */
    wr_rate_policy_t policy;
    wr_notifier_conf_t notifier;  /* what the notifier process is given */
    int notifier_mailboxes_set;   /* WormReplyMailboxes replaced the default */
    wr_delivery_conf_t delivery;  /* WormReplySmarthost and friends */
    const char *transport_origin; /* "file:line" of WormReplyTransport */
    int smtp_tls_set;             /* WormReplySMTPTLS given */
    const char *smtp_tls_origin;  /* "file:line" of WormReplySMTPTLS */
    const char *smtp_auth_origin; /* "file:line" of WormReplySMTPAuth */
    int notifier_nice;            /* WormReplyNotifierNice */
    wr_farm_conf_t farm;          /* WormReplyFarm */
    int farm_set;                 /* WormReplyFarm given */
    apr_interval_time_t farm_lease;   /* WormReplyFarmLease; 0: default */
    apr_array_header_t *notify_items;  /* WormReplyNotifyFamilies, of
                                        * wr_family_item_t; NULL: unset */
    apr_hash_t *notifying;        /* names of the families that notify by
                                   * themselves, resolved in check_config */
    apr_time_t last_spool_warning;
} wr_notify_conf_t;

typedef struct {
    wr_sigset_t *sigset;          /* built-in + server-wide signatures */
    wr_counters_t *counters;      /* NULL until post_config */
    int counter_family[WR_MAX_FAMILIES];   /* sigset index -> counter index */
    wr_notify_conf_t notify;
    int request_hooks;            /* this cycle registered them (WormReply On) */
} wr_global_t;

/* One WormReplyFamilies (or WormReplyNotifyFamilies) item, kept with where it was written so that a
 * name that is still unknown can be reported with its file and line once
 * the whole configuration is read. */
typedef struct {
    const char *name;             /* "all", "default", "+x", "-x" or "x" */
    const char *origin;           /* "file:line" */
    int reset;                    /* first item of an absolute list */
} wr_family_item_t;

typedef struct {
    const char *name;             /* "srv[host:port]" or "merged[a, b]" */
    wr_global_t *global;
    int enabled;                  /* WormReply On|Off */
    int action;                   /* wr_action_t */
    apr_array_header_t *family_items;   /* of wr_family_item_t */
    wr_family_mask_t mask;        /* resolved in check_config */
    wr_sigset_t *local;           /* this vhost's own signatures, or NULL */
    wr_family_mask_t local_mask;
    int local_counter_family[WR_MAX_FAMILIES];   /* local index -> counter */
    apr_array_header_t *exempt;   /* of apr_ipsubnet_t *; NULL = unset */
    int notify;                   /* wr_notify_mode_e */
    const char *notify_origin;    /* "file:line" of WormReplyNotify */
    int notify_here;              /* WormReplyNotify written in this server
                                   * (not inherited) */
    /* Set in post_config for the quick handler (mod_wormreply.c) */
    int look;                     /* look at requests at all */
    wr_counters_t *counters;      /* global->counters */
    const unsigned char *quick_pairs;   /* wr_sigset_pairs, or NULL: call
                                         * the matcher's prefilter */
} wr_srv_conf_t;

/* BUMP - add to a counter of this worker's slot, or atomically to the
 * shared slot (see wr_counters.h) */
#define BUMP(slot, shared, field, n) do { \
        if (shared) { wr_counters_add_atomic(&(slot)->field, (n)); } \
        else { (slot)->field += (n); } } while (0)

#define WR_SRV_CONF(s) \
    ((wr_srv_conf_t *)ap_get_module_config((s)->module_config, &wormreply_module))

/* mod_wormreply.c */
void wr_register_request_hooks(wr_global_t *g);

/* mod_wormreply_config.c */
extern const command_rec wr_cmds[];
void *wr_create_srv_conf(apr_pool_t *p, server_rec *s);
void *wr_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
wr_action_t wr_conf_action(const wr_srv_conf_t *sc);
/* wr_global_get - the process-wide record of this configuration cycle
 * (userdata of pconf), created with the built-in signatures on first use;
 * NULL with *err set if those cannot be loaded */
wr_global_t *wr_global_get(apr_pool_t *pconf, const char **err);

/* mod_wormreply_check.c */
int wr_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                    server_rec *s);

/* mod_wormreply_notify.c */
void wr_notify_defaults(wr_notify_conf_t *nc, apr_pool_t *p);
int wr_notify_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp);
int wr_notify_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s);
void wr_notify_child_init(apr_pool_t *p, server_rec *s);
/* wr_notify_check_config - what start would refuse about notices, refused
 * at configtest already (httpd -t runs no post_config): the shared cache's
 * provider, the spool and outbox directories. Returns an error naming the
 * directive and its file:line, or NULL. */
const char *wr_notify_check_config(apr_pool_t *p, server_rec *s);
/* wr_notify_server_name - the name notices are signed with (text,
 * Message-ID, the default From, HELO): the main server's ServerName if it
 * is fully qualified, else the first such name of a virtual host with
 * notices on, else the machine's FQDN; NULL if none is (WR00601). */
const char *wr_notify_server_name(apr_pool_t *p, server_rec *s);
void wr_notify_probe(request_rec *r, const wr_srv_conf_t *sc,
                     const char *family, wr_counter_slot_t *slot, int shared);

/* mod_wormreply_proc.c */
/* wr_supervise_notifier - from post_config: start the notifier and
 * supervise it (not on the configuration dry run) */
int wr_supervise_notifier(apr_pool_t *pconf, server_rec *s);

/* mod_wormreply_status.c */
int wr_status_hook(request_rec *r, int flags);
int wr_status_handler(request_rec *r);

#endif
