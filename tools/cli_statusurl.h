/* cli_statusurl.h - where "wormreply status" finds the status handler when
 * it is given no URL: the shipped conf/wormreply-status.conf, enabled with
 * a2enconf, in Debian's layout */
#ifndef CLI_STATUSURL_H
#define CLI_STATUSURL_H

#include <apr_pools.h>

/* wr_cli_status_url - "http://ADDR:PORT/PATH" from
 * $APACHE_CONFDIR (default /etc/apache2)/conf-enabled/wormreply-status.conf
 * (the <Location> whose block sets "SetHandler wormreply-status") and the
 * first plain-HTTP "Listen [ADDR:]PORT" of ports.conf (80 if none; ADDR
 * 127.0.0.1 unless the Listen names a specific address).
 * @return the URL, or NULL with *why saying what is missing and how to
 * enable it */
const char *wr_cli_status_url(apr_pool_t *p, const char **why);

#endif
