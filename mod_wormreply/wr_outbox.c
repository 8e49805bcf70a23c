/* wr_outbox.c - the outbox for an administrator (see wr_outbox.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_delivery.h"
#include "wr_file.h"
#include "wr_notice.h"
#include "wr_outbox.h"

/* Head of a message read for its envelope when it has no .env. */
#define HEAD_MAX 65536
/* Pause between two tries of the lock. */
#define LOCK_POLL apr_time_from_msec(50)

struct wr_outbox_t {
    wr_file_dir_t *dir;         /* DIR and its subdirectories (wr_file.h) */
    wr_file_dir_t *failed;
    wr_file_dir_t *sent;
    wr_file_dir_t *dest;        /* NULL until the queue manager made it */
    apr_pool_t *pool;
    apr_pool_t *lock_pool;      /* holds the open .lock while locked */
    apr_file_t *lock;           /* NULL when not locked */
};

/* write_record - a record written durably (given to DIR's owner when
 * run as root, by wr_file) */
static apr_status_t write_record(wr_file_dir_t *dir, const char *name,
                                 const char *text, apr_pool_t *p)
{
    return wr_file_write(dir, name, text, strlen(text), 0, p);
}

int wr_outbox_id_ok(const char *id)
{
    return id != NULL && wr_file_id_ok(id, strlen(id));
}

/* place_dir - the directory of a place */
static wr_file_dir_t *place_dir(const wr_outbox_t *ob, wr_outbox_where_e w)
{
    return w == WR_OUTBOX_QUEUED ? ob->dir
           : w == WR_OUTBOX_FAILED ? ob->failed : ob->sent;
}

/* name - <id><ext> */
static const char *name_of(const char *id, const char *ext, apr_pool_t *p)
{
    return apr_pstrcat(p, id, ext, NULL);
}

/* exists - whether entry `name` is there. @return APR_SUCCESS (*yes
 * set), a refusal, or the stat error other than ENOENT */
static apr_status_t exists(wr_file_dir_t *d, const char *name, int *yes)
{
    wr_file_info_t fi;
    apr_status_t rv = wr_file_stat(d, name, &fi);

    *yes = rv == APR_SUCCESS;
    return rv == APR_SUCCESS || APR_STATUS_IS_ENOENT(rv) ? APR_SUCCESS : rv;
}

/* remove_file - unlink; a missing file is fine */
static apr_status_t remove_file(wr_file_dir_t *d, const char *name)
{
    apr_status_t rv = wr_file_remove(d, name);

    return APR_STATUS_IS_ENOENT(rv) ? APR_SUCCESS : rv;
}

/* ---- opening, listing, reading ---------------------------------------- */

apr_status_t wr_outbox_open(wr_outbox_t **pob, const char *dir,
                            const char **what, apr_pool_t *p)
{
    wr_outbox_t *ob = apr_pcalloc(p, sizeof(*ob));
    apr_status_t rv;

    ob->pool = p;
    if (what) {
        *what = dir;
    }
    if ((rv = wr_file_dir_open(&ob->dir, dir, 0, p)) != APR_SUCCESS) {
        return rv;
    }
    if (what) {
        *what = apr_pstrcat(p, wr_file_dir_path(ob->dir), "/failed", NULL);
    }
    if ((rv = wr_file_dir_sub(&ob->failed, ob->dir, "failed", 0, p))
        != APR_SUCCESS) {
        return rv;
    }
    if (what) {
        *what = apr_pstrcat(p, wr_file_dir_path(ob->dir), "/sent", NULL);
    }
    if ((rv = wr_file_dir_sub(&ob->sent, ob->dir, "sent", 0, p))
        != APR_SUCCESS) {
        return rv;
    }
    if (what) {
        *what = apr_pstrcat(p, wr_file_dir_path(ob->dir), "/dest", NULL);
    }
    rv = wr_file_dir_sub(&ob->dest, ob->dir, "dest", 0, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        ob->dest = NULL;        /* no session tried yet */
    }
    else if (rv != APR_SUCCESS) {
        return rv;
    }
    if (what) {
        *what = wr_file_dir_path(ob->dir);
    }
    *pob = ob;
    return APR_SUCCESS;
}

const char *wr_outbox_dir(const wr_outbox_t *ob)
{
    return wr_file_dir_path(ob->dir);
}

/* add_problem - one more thing wrong with a notice */
static void add_problem(wr_outbox_item_t *it, const char *what,
                        apr_pool_t *p)
{
    it->problem = it->problem ? apr_pstrcat(p, it->problem, "; ", what, NULL)
                              : what;
}

/* record_error - "its .state is malformed" and the like */
static const char *record_error(const char *name, apr_status_t rv,
                                apr_pool_t *p)
{
    char buf[128];

    if (rv == APR_EINVAL) {
        return apr_psprintf(p, "its %s is malformed or of an unknown version",
                            name);
    }
    if (rv == APR_FROM_OS_ERROR(EFBIG)) {
        return apr_psprintf(p, "its %s is too large", name);
    }
    return apr_psprintf(p, "its %s cannot be read: %s", name,
                        wr_file_strerror(rv, buf, sizeof(buf)));
}

/* load_env - the envelope from the .env beside the .eml, else from the
 * headers of the message */
static void load_env(wr_outbox_item_t *it, wr_file_dir_t *dir, apr_pool_t *p)
{
    apr_table_t *t;
    apr_status_t rv;

    rv = wr_file_record_load(dir, name_of(it->id, ".env", p), &it->env_text,
                             &t, p);
    if (rv == APR_SUCCESS) {
        const apr_array_header_t *arr = apr_table_elts(t);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int k, bad = 0;

        it->has_env = 1;
        it->sender = apr_table_get(t, "sender");
        for (k = 0; k < arr->nelts; k++) {
            if (!strcmp(e[k].key, "rcpt")) {
                bad |= !wr_notice_address_ok(e[k].val);
                APR_ARRAY_PUSH(it->rcpt, const char *) = e[k].val;
            }
        }
        if (bad || it->sender == NULL || it->rcpt->nelts == 0
            || (*it->sender && !wr_notice_address_ok(it->sender))) {
            add_problem(it, "its .env is malformed", p);
        }
        return;
    }
    if (!APR_STATUS_IS_ENOENT(rv)) {
        it->env_text = NULL;
        add_problem(it, record_error(".env", rv, p), p);
        return;
    }
    {
        apr_array_header_t *rcpt = NULL;
        const char *sender = NULL, *err = NULL;
        char *head;
        apr_size_t len;
        int more;

        /* the headers are at the start; a cut last line is harmless */
        rv = wr_file_read(dir, name_of(it->id, ".eml", p), HEAD_MAX, &head,
                          &len, &more, p);
        if (rv != APR_SUCCESS) {
            return;             /* went away meanwhile */
        }
        if (wr_delivery_envelope(head, len, &sender, &rcpt, &err, p)
            != APR_SUCCESS) {
            add_problem(it, apr_pstrcat(p, "no envelope: ", err ? err : "?",
                                        NULL), p);
            return;
        }
        it->sender = sender;
        it->rcpt = rcpt;
    }
}

/* load_item - notice `id` in place `w`. @return APR_ENOENT if it is not
 * there; the stat error */
static apr_status_t load_item(wr_outbox_t *ob, wr_outbox_where_e w,
                              const char *id, wr_outbox_item_t **pit,
                              apr_pool_t *p)
{
    wr_file_dir_t *dir = place_dir(ob, w);
    wr_outbox_item_t *it;
    wr_file_info_t fi;
    apr_table_t *t;
    apr_status_t rv;

    memset(&fi, 0, sizeof(fi));
    rv = wr_file_stat(dir, name_of(id, ".eml", p), &fi);
    if (rv != APR_SUCCESS && !WR_FILE_IS_REFUSED(rv)) {
        return rv;
    }
    it = apr_pcalloc(p, sizeof(*it));
    it->id = apr_pstrdup(p, id);
    it->where = w;
    it->eml_path = apr_pstrcat(p, wr_file_dir_path(dir), "/", id, ".eml",
                               NULL);
    it->rcpt = apr_array_make(p, 4, sizeof(const char *));
    if (rv != APR_SUCCESS) {
        /* planted: shown as such, never read */
        char buf[128];

        it->refused = rv;
        add_problem(it, apr_pstrcat(p, "its .eml: ",
                                    wr_file_strerror(rv, buf, sizeof(buf)),
                                    NULL), p);
        *pit = it;
        return APR_SUCCESS;
    }
    it->size = fi.size;
    it->queued = fi.mtime;
    if (w != WR_OUTBOX_SENT) {
        rv = wr_file_record_load(dir, name_of(id, ".state", p),
                                 &it->state_text, &t, p);
        if (rv == APR_SUCCESS) {
            const char *a = apr_table_get(t, "attempts");

            it->has_state = 1;
            if (wr_file_record_time(t, "queued") != 0) {
                it->queued = wr_file_record_time(t, "queued");
            }
            it->attempts = (apr_uint32_t)apr_atoi64(a ? a : "0");
            it->last_try = wr_file_record_time(t, "last-try");
            it->next_try = wr_file_record_time(t, "next-try");
            it->last_error = apr_table_get(t, "last-error");
            it->failure = apr_table_get(t, "failure");
        }
        else if (!APR_STATUS_IS_ENOENT(rv)) {
            add_problem(it, record_error(".state", rv, p), p);
        }
    }
    load_env(it, dir, p);
    *pit = it;
    return APR_SUCCESS;
}

/* load_dests - the smarthost's backoff records */
static apr_array_header_t *load_dests(wr_outbox_t *ob, apr_pool_t *p)
{
    apr_array_header_t *ids, *out = apr_array_make(p, 1,
                                                   sizeof(wr_outbox_dest_t *));
    int k;

    if (ob->dest == NULL
        || wr_file_dir_list(ob->dest, ".state", &ids, p) != APR_SUCCESS) {
        return out;
    }
    for (k = 0; k < ids->nelts; k++) {
        const char *key = APR_ARRAY_IDX(ids, k, const char *);
        wr_outbox_dest_t *d;
        apr_table_t *t;
        const char *a;

        if (wr_file_record_load(ob->dest, name_of(key, ".state", p), NULL,
                                &t, p) != APR_SUCCESS) {
            continue;
        }
        d = apr_pcalloc(p, sizeof(*d));
        d->key = key;
        a = apr_table_get(t, "attempts");
        d->failures = (apr_uint32_t)apr_atoi64(a ? a : "0");
        d->last_try = wr_file_record_time(t, "last-try");
        d->next_try = wr_file_record_time(t, "next-try");
        d->last_error = apr_table_get(t, "last-error");
        APR_ARRAY_PUSH(out, wr_outbox_dest_t *) = d;
    }
    return out;
}

/* PICKUP - the notifier's mark of an outbox without a smarthost */
#define PICKUP ".pickup"

/* pickup_load - the mark, into the counts */
static void pickup_load(wr_outbox_t *ob, wr_outbox_counts_t *counts,
                        apr_pool_t *p)
{
    apr_table_t *t;

    if (wr_file_record_load(ob->dir, PICKUP, NULL, &t, p) == APR_SUCCESS) {
        counts->pickup = 1;
        counts->retention = wr_file_record_time(t, "retention");
    }
}

apr_status_t wr_outbox_list(wr_outbox_t *ob, int which,
                            apr_array_header_t **items,
                            wr_outbox_counts_t *counts, apr_pool_t *p)
{
    static const wr_outbox_where_e places[2] = {
        WR_OUTBOX_QUEUED, WR_OUTBOX_FAILED
    };
    wr_outbox_counts_t dummy;
    apr_array_header_t *ids[2], *sent;
    apr_status_t rv;
    int w, k;

    if (counts == NULL) {
        counts = &dummy;
    }
    memset(counts, 0, sizeof(*counts));
    *items = apr_array_make(p, 16, sizeof(wr_outbox_item_t *));
    for (w = 0; w < 2; w++) {
        if ((rv = wr_file_dir_list(place_dir(ob, places[w]), ".eml", &ids[w],
                                   p)) != APR_SUCCESS) {
            return rv;
        }
    }
    counts->sent = wr_file_dir_list(ob->sent, ".eml", &sent, p)
                   == APR_SUCCESS ? sent->nelts : 0;
    for (w = 0; w < 2; w++) {
        int *n = places[w] == WR_OUTBOX_QUEUED ? &counts->queued
                                               : &counts->failed;

        if (!(which & places[w])) {
            *n = ids[w]->nelts;     /* counted, not loaded */
            continue;
        }
        for (k = 0; k < ids[w]->nelts; k++) {
            wr_outbox_item_t *it;

            rv = load_item(ob, places[w], APR_ARRAY_IDX(ids[w], k,
                                                        const char *),
                           &it, p);
            if (rv != APR_SUCCESS) {
                continue;       /* sent, failed or dropped meanwhile */
            }
            (*n)++;
            APR_ARRAY_PUSH(*items, wr_outbox_item_t *) = it;
        }
    }
    counts->dests = load_dests(ob, p);
    pickup_load(ob, counts, p);
    return APR_SUCCESS;
}

apr_status_t wr_outbox_get(wr_outbox_t *ob, const char *id,
                           wr_outbox_item_t **item, apr_pool_t *p)
{
    static const wr_outbox_where_e order[3] = {
        WR_OUTBOX_QUEUED, WR_OUTBOX_FAILED, WR_OUTBOX_SENT
    };
    apr_status_t rv = APR_ENOENT;
    int round, k;

    if (!wr_outbox_id_ok(id)) {
        return APR_EINVAL;
    }
    /* twice: queued -> failed -> queued (retry), queued -> sent */
    for (round = 0; round < 2; round++) {
        for (k = 0; k < 3; k++) {
            rv = load_item(ob, order[k], id, item, p);
            if (!APR_STATUS_IS_ENOENT(rv)) {
                return rv;
            }
        }
    }
    return rv;
}

apr_status_t wr_outbox_message(wr_outbox_t *ob, const wr_outbox_item_t *item,
                               apr_size_t max, char **data, apr_size_t *len,
                               int *truncated, apr_pool_t *p)
{
    int more = 0;
    apr_status_t rv;

    if (item->refused) {
        return item->refused;
    }
    rv = wr_file_read(place_dir(ob, item->where), name_of(item->id, ".eml", p),
                      max, data, len, &more, p);
    if (truncated) {
        *truncated = rv == APR_SUCCESS && more;
    }
    return rv;
}

/* ---- the lock --------------------------------------------------------- */

apr_status_t wr_outbox_lock(wr_outbox_t *ob, apr_interval_time_t wait)
{
    apr_time_t deadline;
    apr_status_t rv;
    apr_file_t *f;

    if (ob->lock) {
        return APR_SUCCESS;
    }
    if (wait < 0) {
        wait = 0;
    }
    if (wait > WR_OUTBOX_LOCK_WAIT_MAX) {
        wait = WR_OUTBOX_LOCK_WAIT_MAX;
    }
    deadline = apr_time_now() + wait;
    apr_pool_create(&ob->lock_pool, ob->pool);
    /* made as root, it is given to DIR's owner: the queue manager opens
     * it for writing and it must stay its own */
    rv = wr_file_open(&f, ob->dir, ".lock", WR_FILE_CREATE, ob->lock_pool);
    while (rv == APR_SUCCESS) {
        rv = apr_file_lock(f, APR_FLOCK_EXCLUSIVE | APR_FLOCK_NONBLOCK);
        if (rv == APR_SUCCESS) {
            ob->lock = f;
            return APR_SUCCESS;
        }
        if (APR_STATUS_IS_EAGAIN(rv)
            || rv == APR_FROM_OS_ERROR(EWOULDBLOCK)) {
            apr_time_t now = apr_time_now();

            rv = APR_EAGAIN;
            if (now >= deadline) {
                break;
            }
            apr_sleep(deadline - now < LOCK_POLL ? deadline - now
                                                 : LOCK_POLL);
            rv = APR_SUCCESS;
        }
    }
    apr_pool_destroy(ob->lock_pool);
    ob->lock_pool = NULL;
    return rv;
}

void wr_outbox_unlock(wr_outbox_t *ob)
{
    if (ob->lock) {
        apr_file_unlock(ob->lock);
        apr_file_close(ob->lock);
        ob->lock = NULL;
    }
    if (ob->lock_pool) {
        apr_pool_destroy(ob->lock_pool);
        ob->lock_pool = NULL;
    }
}

/* lock_for_call - take the lock for one call if the caller does not hold
 * it; *own says whether to give it back */
static apr_status_t lock_for_call(wr_outbox_t *ob, int *own)
{
    *own = ob->lock == NULL;
    return *own ? wr_outbox_lock(ob, 0) : APR_SUCCESS;
}

/* ---- retry, resume, drop --------------------------------------------- */

/* requeue - failed/<id> back into DIR (wr_outbox.h: the four steps) */
static apr_status_t requeue(wr_outbox_t *ob, const char *id, apr_time_t now,
                            apr_pool_t *p)
{
    const char *env_name = name_of(id, ".env", p);
    const char *state_name = name_of(id, ".state", p);
    const char *eml_name = name_of(id, ".eml", p);
    const char *text;
    char *env;
    apr_status_t rv;
    int wrote_env = 0;

    /* 1. the envelope. Without failed/<id>.env, a DIR/<id>.env is the one
     * the queue manager left behind when it crashed in the middle of
     * moving the notice to failed/: it stays. */
    rv = wr_file_read(ob->failed, env_name, WR_FILE_RECORD_MAX, &env, NULL,
                      NULL, p);
    if (rv == APR_SUCCESS) {
        if ((rv = write_record(ob->dir, env_name, env, p)) != APR_SUCCESS) {
            return rv;
        }
        wrote_env = 1;
    }
    else if (!APR_STATUS_IS_ENOENT(rv)) {
        return rv;
    }
    /* 2. a fresh state: queued now, so that it does not expire at once */
    text = apr_psprintf(p, "version: %d\nqueued: %" APR_TIME_T_FMT "\n"
                        "attempts: 0\nlast-try: 0\nnext-try: 0\n",
                        WR_FILE_RECORD_VERSION, now);
    if ((rv = write_record(ob->dir, state_name, text, p)) != APR_SUCCESS) {
        goto undo;
    }
    /* 3. the notice itself: from here on it is queued */
    if ((rv = wr_file_rename(ob->failed, eml_name, ob->dir, eml_name, 0))
        != APR_SUCCESS) {
        wr_file_remove(ob->dir, state_name);
        goto undo;
    }
    wr_file_dir_sync(ob->dir);
    /* 4. what failed/ kept about it */
    wr_file_remove(ob->failed, env_name);
    wr_file_remove(ob->failed, state_name);
    wr_file_dir_sync(ob->failed);
    return APR_SUCCESS;
undo:
    if (wrote_env) {
        wr_file_remove(ob->dir, env_name);
    }
    return rv;
}

/* clear_next_try - the .state `name` in `dir` (a notice's or the
 * smarthost's) made due: its next-try cleared if it lies after `now`, the
 * rest of the record kept as it is. *was gets the next-try it had (0 if
 * the record could not be read); *done says whether it was rewritten.
 * @return the error of wr_file_record_load (nothing written, *was 0),
 *         or of the write (*was > now) */
static apr_status_t clear_next_try(wr_file_dir_t *dir, const char *name,
                                   apr_time_t now, apr_time_t *was,
                                   int *done, apr_pool_t *p)
{
    apr_table_t *t;
    apr_status_t rv;

    *was = 0;
    *done = 0;
    if ((rv = wr_file_record_load(dir, name, NULL, &t, p)) != APR_SUCCESS) {
        return rv;
    }
    *was = wr_file_record_time(t, "next-try");
    if (*was <= now) {
        return APR_SUCCESS;
    }
    apr_table_set(t, "next-try", "0");
    if ((rv = write_record(dir, name, wr_file_record_dump(t, p), p))
        == APR_SUCCESS) {
        *done = 1;
    }
    return rv;
}

/* make_due - a queued notice's next-try cleared, the rest of its state
 * kept. *was gets the next-try it had. @return APR_SUCCESS with *done 0
 * when it was due already */
static apr_status_t make_due(wr_outbox_t *ob, const char *id, apr_time_t now,
                             apr_time_t *was, int *done, apr_pool_t *p)
{
    apr_status_t rv = clear_next_try(ob->dir, name_of(id, ".state", p), now,
                                     was, done, p);

    if (APR_STATUS_IS_ENOENT(rv) || rv == APR_EINVAL) {
        /* no state, or one the queue manager ignores too: due */
        return APR_SUCCESS;
    }
    return rv;
}

apr_status_t wr_outbox_retry(wr_outbox_t *ob, const char *id, apr_time_t now,
                             wr_outbox_retry_e *what,
                             apr_time_t *was_next_try, apr_pool_t *pool)
{
    apr_pool_t *p;
    apr_status_t rv;
    apr_time_t was = 0;
    int own, queued = 0, failed = 0, done = 0;

    if (!wr_outbox_id_ok(id)) {
        return APR_EINVAL;
    }
    if ((rv = lock_for_call(ob, &own)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_create(&p, pool);
    if ((rv = exists(ob->dir, name_of(id, ".eml", p), &queued))
        != APR_SUCCESS
        || (rv = exists(ob->failed, name_of(id, ".eml", p), &failed))
           != APR_SUCCESS) {
        goto leave;
    }
    if (queued && failed) {
        rv = APR_EEXIST;
    }
    else if (failed) {
        if ((rv = requeue(ob, id, now, p)) == APR_SUCCESS && what) {
            *what = WR_OUTBOX_REQUEUED;
        }
    }
    else if (queued) {
        if ((rv = make_due(ob, id, now, &was, &done, p)) == APR_SUCCESS
            && what) {
            *what = done ? WR_OUTBOX_MADE_DUE : WR_OUTBOX_ALREADY_DUE;
        }
    }
    else {
        rv = APR_ENOENT;
    }
leave:
    if (was_next_try) {
        *was_next_try = rv == APR_SUCCESS ? was : 0;
    }
    apr_pool_destroy(p);
    if (own) {
        wr_outbox_unlock(ob);
    }
    return rv;
}

apr_status_t wr_outbox_resume(wr_outbox_t *ob, apr_time_t now, int *cleared,
                              apr_pool_t *pool)
{
    apr_array_header_t *keys;
    apr_pool_t *p;
    apr_status_t rv;
    int own, k, n = 0;

    if (cleared) {
        *cleared = 0;
    }
    if ((rv = lock_for_call(ob, &own)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_create(&p, pool);
    if (ob->dest == NULL) {
        keys = apr_array_make(p, 1, sizeof(const char *));
        rv = APR_SUCCESS;       /* never tried: nothing to lift */
    }
    else {
        rv = wr_file_dir_list(ob->dest, ".state", &keys, p);
    }
    for (k = 0; rv == APR_SUCCESS && k < keys->nelts; k++) {
        const char *key = APR_ARRAY_IDX(keys, k, const char *);
        apr_time_t was;
        int done;

        rv = clear_next_try(ob->dest, name_of(key, ".state", p), now, &was,
                            &done, p);
        if (rv != APR_SUCCESS && was <= now) {
            rv = APR_SUCCESS;   /* unreadable: nothing to lift */
        }
        n += done;
    }
    if (cleared) {
        *cleared = n;
    }
    apr_pool_destroy(p);
    if (own) {
        wr_outbox_unlock(ob);
    }
    return rv;
}

/* drop_in - the notice and its sidecars out of one directory: the .eml
 * first. *had says whether there was a notice. */
static apr_status_t drop_in(wr_file_dir_t *dir, const char *id, int *had,
                            apr_pool_t *p)
{
    apr_status_t rv = wr_file_remove(dir, name_of(id, ".eml", p));
    int any = rv == APR_SUCCESS;

    *had = any;
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        return rv;
    }
    /* the sidecars also when there is no .eml: left over by a crash */
    if ((rv = remove_file(dir, name_of(id, ".env", p))) != APR_SUCCESS
        || (rv = remove_file(dir, name_of(id, ".state", p)))
           != APR_SUCCESS) {
        return rv;
    }
    return any ? wr_file_dir_sync(dir) : APR_SUCCESS;
}

apr_status_t wr_outbox_drop(wr_outbox_t *ob, const char *id, int *where,
                            apr_pool_t *pool)
{
    apr_pool_t *p;
    apr_status_t rv;
    int own, in_q = 0, in_f = 0, found = 0;

    if (where) {
        *where = 0;
    }
    if (!wr_outbox_id_ok(id)) {
        return APR_EINVAL;
    }
    if ((rv = lock_for_call(ob, &own)) != APR_SUCCESS) {
        return rv;
    }
    apr_pool_create(&p, pool);
    /* only sidecars of a notice that exists somewhere are removed: an
     * .env alone in DIR may be the notifier's, about to add its .eml */
    if ((rv = exists(ob->dir, name_of(id, ".eml", p), &in_q))
        == APR_SUCCESS
        && (rv = exists(ob->failed, name_of(id, ".eml", p), &in_f))
           == APR_SUCCESS) {
        if (!in_q && !in_f) {
            rv = APR_ENOENT;
        }
    }
    if (rv == APR_SUCCESS
        && (rv = drop_in(ob->dir, id, &found, p)) == APR_SUCCESS) {
        int was = found ? WR_OUTBOX_QUEUED : 0;

        rv = drop_in(ob->failed, id, &found, p);
        was |= found ? WR_OUTBOX_FAILED : 0;
        if (rv == APR_SUCCESS && was == 0) {
            rv = APR_ENOENT;    /* dropped by someone else meanwhile */
        }
        if (where) {
            *where = was;
        }
    }
    apr_pool_destroy(p);
    if (own) {
        wr_outbox_unlock(ob);
    }
    return rv;
}

/* ---- without a smarthost: kept for pickup --------------------------- */

apr_status_t wr_outbox_pickup(wr_outbox_t *ob, int on,
                              apr_interval_time_t retention, apr_time_t now,
                              wr_outbox_pickup_t *st, apr_pool_t *pool)
{
    wr_outbox_pickup_t dummy;
    apr_array_header_t *ids;
    const char *text;
    char *old;
    apr_pool_t *p;
    apr_status_t rv;
    int own = 0, k;

    if (st == NULL) {
        st = &dummy;
    }
    memset(st, 0, sizeof(*st));
    if (!on) {
        return remove_file(ob->dir, PICKUP);
    }
    apr_pool_create(&p, pool);
    text = apr_psprintf(p, "version: 1\nretention: %" APR_TIME_T_FMT "\n",
                        retention > 0 ? retention : 0);
    if (wr_file_read(ob->dir, PICKUP, 256, &old, NULL, NULL, p)
        != APR_SUCCESS || strcmp(old, text) != 0) {
        if ((rv = write_record(ob->dir, PICKUP, text, p)) != APR_SUCCESS) {
            goto leave;
        }
    }
    if ((rv = wr_file_dir_list(ob->dir, ".eml", &ids, p)) != APR_SUCCESS) {
        goto leave;
    }
    /* a CLI retry or drop holds the lock: prune at the next call */
    if (retention > 0 && lock_for_call(ob, &own) != APR_SUCCESS) {
        retention = 0;
    }
    for (k = 0; k < ids->nelts; k++) {
        const char *id = APR_ARRAY_IDX(ids, k, const char *);
        wr_file_info_t fi;
        int had;

        if (wr_file_stat(ob->dir, name_of(id, ".eml", p), &fi)
            != APR_SUCCESS) {
            continue;           /* picked up meanwhile, or not a notice */
        }
        if (retention > 0 && now - fi.mtime > retention) {
            if (drop_in(ob->dir, id, &had, p) == APR_SUCCESS) {
                st->pruned += had;
                continue;
            }
            st->errors++;
        }
        st->kept++;
        if (st->oldest == 0 || fi.mtime < st->oldest) {
            st->oldest = fi.mtime;
        }
    }
    rv = APR_SUCCESS;
leave:
    if (own) {
        wr_outbox_unlock(ob);
    }
    apr_pool_destroy(p);
    return rv;
}
