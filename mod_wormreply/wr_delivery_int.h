/* wr_delivery_int.h - the queue manager's handle and records, shared by
 * its files (wr_delivery.c: opening, the passes; wr_delivery_enqueue.c:
 * putting messages in; wr_delivery_record.c: the .state and .env records
 * and the queue's figures; wr_delivery_supp.c: the suppression list;
 * wr_delivery_envelope.c: an envelope read from headers). Not for other
 * callers: they use wr_delivery.h. */
#ifndef WR_DELIVERY_INT_H
#define WR_DELIVERY_INT_H

#include "wr_delivery.h"
#include "wr_file.h"
#include "wr_transport.h"
#include "wr_verp.h"

struct wr_delivery_t {
    const char *dir;            /* paths, for messages */
    const char *sent_dir;
    const char *failed_dir;
    wr_file_dir_t *q;           /* DIR and its subdirectories, opened once
                                 * (wr_file.h): every file of the outbox
                                 * is reached through them */
    wr_file_dir_t *sent;
    wr_file_dir_t *failed;
    wr_file_dir_t *dest;
    const char *supp_path;
    const char *dest_key;       /* file name of the destination's state */
    const char *where;          /* "host:port", the program: for messages */
    wr_delivery_conf_t conf;
    const wr_transport_t *transport;    /* NULL: enqueue only */
    const void *tconf;          /* its configuration */
    apr_pool_t *pool;
    int recovered;              /* crash recovery done for this handle */
    apr_time_t last_sweep;
    int have_key;               /* verp_key loaded */
    wr_verp_key_t verp_key;     /* for conf.bounce_address */
};

/* wr_delivery_state_t - a message's .state, or the destination's (the
 * record's fields, wr_delivery.h) */
typedef struct {
    apr_time_t queued;
    apr_uint32_t attempts;
    apr_time_t last_try;
    apr_time_t next_try;
    const char *last_error;
    const char *failure;
} wr_delivery_state_t;

/* wr_delivery_name - the entry name <id><ext> */
const char *wr_delivery_name(const char *id, const char *ext, apr_pool_t *p);

/* wr_delivery_state_load - DIR/<id>.state into *st (zeroed first).
 * @return APR_ENOENT if there is none; as wr_file_record_load */
apr_status_t wr_delivery_state_load(wr_file_dir_t *dir, const char *id,
                                    wr_delivery_state_t *st, apr_pool_t *p);

/* wr_delivery_state_save - write DIR/<id>.state durably; its texts
 * (last-error, failure) are kept to one line */
apr_status_t wr_delivery_state_save(wr_file_dir_t *dir, const char *id,
                                    const wr_delivery_state_t *st,
                                    apr_pool_t *p);

/* wr_delivery_env_write - DIR/<name> holding an envelope, durably;
 * `flags` as wr_file_write's (WR_FILE_EXCL: never replace one) */
apr_status_t wr_delivery_env_write(wr_file_dir_t *dir, const char *name,
                                   const char *sender,
                                   const apr_array_header_t *rcpt,
                                   int eightbit, int flags, apr_pool_t *p);

/* wr_delivery_env_load - DIR/<id>.env: the sender ("" for a bounce),
 * the recipients (at least one) and the 8-bit flag.
 * @return APR_ENOENT if there is none, APR_EINVAL if it is malformed or
 *         an address in it is not one wr_notice_address_ok accepts */
apr_status_t wr_delivery_env_load(wr_file_dir_t *dir, const char *id,
                                  const char **sender,
                                  apr_array_header_t **rcpt, int *eightbit,
                                  apr_pool_t *p);

/* wr_delivery_supp_sweep - drop the expired suppressions */
void wr_delivery_supp_sweep(wr_delivery_t *d, apr_time_t now, apr_pool_t *p);

#endif
