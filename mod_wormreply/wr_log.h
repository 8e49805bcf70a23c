/* wr_log.h - logging from the core through a callback the host installs
 *
 * The core knows nothing of httpd: the module forwards these calls to
 * ap_log_error, the CLI to stderr, unit tests to a capture buffer. Levels
 * mirror APLOG_* so that the module can pass them straight through.
 * Message tags follow httpd's APLOGNO rules with our own prefix: one tag
 * per call site, never reused; the next free number is in wr_log.h.
 * Next free tags: WR00028 (glue), WR00070 (notifier), WR00318 (delivery)
 */
#ifndef WR_LOG_H
#define WR_LOG_H

#include <apr_errno.h>

#define WRLOGNO(n) "WR" #n ": "

typedef enum {
    WR_LOG_EMERG, WR_LOG_ALERT, WR_LOG_CRIT, WR_LOG_ERR, WR_LOG_WARNING,
    WR_LOG_NOTICE, WR_LOG_INFO, WR_LOG_DEBUG, WR_LOG_TRACE1
} wr_log_level_t;

typedef void wr_log_print_cb(const char *file, int line, wr_log_level_t level,
                             apr_status_t rv, const char *msg, void *baton);

/* wr_log_set - install the printer and the most verbose level wanted */
void wr_log_set(wr_log_print_cb *print, wr_log_level_t max_level, void *baton);

/* wr_log_is_level - whether a message at `level` would be printed */
int wr_log_is_level(wr_log_level_t level);

#define WR_LOG_MARK __FILE__, __LINE__

/* wr_log_perror - printf-style message with a status code */
void wr_log_perror(const char *file, int line, wr_log_level_t level,
                   apr_status_t rv, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
