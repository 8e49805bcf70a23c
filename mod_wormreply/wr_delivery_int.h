/* wr_delivery_int.h - the queue manager's handle, shared by its files
 * (wr_delivery.c: opening, enqueueing, the passes; wr_delivery_supp.c: the
 * suppression list). Not for other callers: they use wr_delivery.h. */
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

/* wr_delivery_supp_sweep - drop the expired suppressions */
void wr_delivery_supp_sweep(wr_delivery_t *d, apr_time_t now, apr_pool_t *p);

#endif
