/* mod_wormreply_proc.c - the notifier process and its supervision, in the
 * manner of mod_cgid (httpd's modules/generators/mod_cgid.c: cgid_start,
 * cgid_maint, cgid_init)
 *
 * post_config starts the notifier on the real start only (not on the
 * configuration dry run). The notifier drops its listeners, opens what
 * only root may (the SMTP AUTH secret, the farm's password), drops
 * privileges and runs the core's loop (wr_notifier_run) until it is asked
 * to stop (the stop protocol of wr_proc.h). httpd's parent supervises it
 * as an "other child": restarted when it dies, unless httpd is stopping or
 * it could not start at all (a distinct exit status, logged crit instead
 * of respawned in a loop); asked to finish its turn and end when pconf is
 * cleared by a restart. What it had claimed goes back to new/ at the next
 * start: the spool loses nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <apr_signal.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_main.h>
#include <ap_listen.h>
#include <ap_mpm.h>
#include <mpm_common.h>

#include "mod_wormreply.h"
#include "wr_log.h"
#include "wr_proc.h"
#include "wr_proctitle.h"

APLOG_USE_MODULE(wormreply);

#define NOTIFIER_KEY "mod_wormreply-notifier"
/* exit code of a notifier that could not start: logged, not respawned */
#define NOTIFIER_STARTUP_ERROR 254

/* The pool and server the supervisor restarts a dead notifier with: the
 * "other child" callback gets no other way to them (as in mod_cgid). */
static apr_pool_t *notifier_pool;
static server_rec *notifier_server;

static int notifier_start(apr_pool_t *p, server_rec *s, apr_proc_t *proc);

/* notifier_log - the core's log lines from the notifier process */
static void notifier_log(const char *file, int line, wr_log_level_t level,
                         apr_status_t rv, const char *msg, void *baton)
{
    ap_log_error(file, line, APLOG_MODULE_INDEX, (int)level, rv,
                 (server_rec *)baton, "%s", msg);
}

/* notifier_main - the body of the forked notifier process */
static int notifier_main(apr_pool_t *p, server_rec *s)
{
    wr_global_t *g = WR_SRV_CONF(s)->global;
    apr_status_t rv;
    /* the stop protocol (wr_proc.h): its deliverer and sessions inherit
     * it; httpd asks with SIGHUP (pconf cleared) or SIGTERM (stopping) */
    const volatile sig_atomic_t *stop = wr_proc_on_stop();

    apr_signal(SIGUSR1, SIG_IGN);
    apr_signal(SIGPIPE, SIG_IGN);
    apr_signal(SIGCHLD, SIG_DFL);
    ap_close_listeners();
    /* "apache2: wormreply notifier -k start" in ps, not a worker's line */
    wr_proctitle_init();
    wr_proctitle_set("wormreply notifier");
    /* background work: answering requests comes first when the CPU is
     * short; the SMTP sessions it forks inherit this */
    errno = 0;
    if (g->notify.notifier_nice > 0 && nice(g->notify.notifier_nice) == -1
        && errno != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, errno, s, WRLOGNO(00027)
                     "notifier cannot lower its priority (nice %d)",
                     g->notify.notifier_nice);
    }
    /* The AUTH secret's file is root-only: open it now, while still root.
     * The descriptor (close-on-exec) is all this process keeps; its
     * delivery processes read the secret from it for each SMTP session and
     * wipe it after (wr_smtp_send). httpd's children never see either. */
    if (g->notify.delivery.smtp.secret_file != NULL) {
        const char *err = NULL;
        rv = wr_smtp_secret_open(g->notify.delivery.smtp.secret_file, &err,
                                 p);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, WRLOGNO(00651)
                         "notifier cannot open the SMTP AUTH secret (%s): "
                         "notices stay queued", err ? err : "");
        }
    }
    /* the same for the farm's Redis password */
    if (g->notify.farm_set && g->notify.farm.password_file != NULL) {
        const char *err = NULL;
        rv = wr_smtp_secret_open(g->notify.farm.password_file, &err, p);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, WRLOGNO(00069)
                         "notifier cannot open the farm's Redis password "
                         "file (%s): the farm state is not used", err ? err : "");
        }
    }
    if (ap_run_drop_privileges(p, s) != 0) {
        return NOTIFIER_STARTUP_ERROR;
    }
    /* httpd was started by root: HOME is still root's, which the User
     * cannot read, and libesmtp gives up on STARTTLS when it cannot even
     * look for a client certificate under $XDG_CONFIG_HOME or $HOME/.config.
     * Point both at the spool, which the User owns (there is no
     * certificate to find there). */
    setenv("HOME", g->notify.notifier.spool_dir, 1);
    setenv("XDG_CONFIG_HOME", apr_pstrcat(p, g->notify.notifier.spool_dir,
                                          "/.config", NULL), 1);
    /* the cache's mutex is not the notifier's to take: see the top */
    wr_log_set(notifier_log, WR_LOG_TRACE1, s);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, WRLOGNO(00018)
                 "notifier started (pid %" APR_PID_T_FMT "), spool %s, "
                 "outbox %s, notices from %s", getpid(),
                 g->notify.notifier.spool_dir, g->notify.notifier.outbox_dir,
                 g->notify.notifier.server_name);
    rv = wr_notifier_run(&g->notify.notifier, stop, p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, WRLOGNO(00019)
                     "notifier cannot start");
        return NOTIFIER_STARTUP_ERROR;
    }
    return 0;
}

/* notifier_maint - the parent's view of the notifier: restart it when it
 * dies, unless httpd is stopping or it could not start at all */
static void notifier_maint(int reason, void *data, apr_wait_t status)
{
    apr_proc_t *proc = data;
    int mpm_state, stopping;

    switch (reason) {
    case APR_OC_REASON_DEATH:
        apr_proc_other_child_unregister(data);
        stopping = !(ap_mpm_query(AP_MPMQ_MPM_STATE, &mpm_state) == APR_SUCCESS
                     && mpm_state != AP_MPMQ_STOPPING);
        if (stopping) {
            break;
        }
        if (status == NOTIFIER_STARTUP_ERROR) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, notifier_server,
                         WRLOGNO(00020) "notifier failed to start; notices "
                         "stay in the spool until httpd is restarted");
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, notifier_server,
                         WRLOGNO(00021) "notifier died (status %d), "
                         "restarting", status);
            notifier_start(notifier_pool, notifier_server, proc);
        }
        break;
    case APR_OC_REASON_RESTART:
        apr_proc_other_child_unregister(data);
        break;
    case APR_OC_REASON_LOST:
        apr_proc_other_child_unregister(data);
        notifier_start(notifier_pool, notifier_server, proc);
        break;
    case APR_OC_REASON_UNREGISTER:
        /* pconf is being cleared (restart or stop): let it finish its turn
         * and exit; what it had claimed goes back to new/ at the next start */
        wr_proc_ask(proc->pid);
        break;
    default:
        break;
    }
}

static int notifier_start(apr_pool_t *p, server_rec *s, apr_proc_t *proc)
{
    pid_t pid;

    if ((pid = fork()) < 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, WRLOGNO(00022)
                     "cannot fork the notifier");
        return DECLINED;
    }
    if (pid == 0) {
        apr_pool_t *np;
        apr_pool_create(&np, p);
        apr_pool_tag(np, "wormreply_notifier");
        exit(notifier_main(np, s));
    }
    proc->pid = pid;
    proc->in = proc->out = proc->err = NULL;
    apr_pool_note_subprocess(p, proc, APR_KILL_AFTER_TIMEOUT);
    apr_proc_other_child_register(proc, notifier_maint, proc, NULL, p);
    return OK;
}

int wr_supervise_notifier(apr_pool_t *pconf, server_rec *s)
{
    apr_proc_t *proc = NULL;

    /* one per server generation; the record outlives a restart */
    apr_pool_userdata_get((void **)&proc, NOTIFIER_KEY, s->process->pool);
    if (proc == NULL) {
        proc = apr_pcalloc(s->process->pool, sizeof(*proc));
        proc->pid = -1;
        apr_pool_userdata_set(proc, NOTIFIER_KEY, apr_pool_cleanup_null,
                              s->process->pool);
    }
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    notifier_pool = pconf;
    notifier_server = s;
    return notifier_start(pconf, s, proc);
}
