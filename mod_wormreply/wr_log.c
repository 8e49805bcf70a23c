/* wr_log.c - the core's logging hook (see wr_log.h) */
#include <stdarg.h>
#include <stdio.h>

#include "wr_log.h"

/* Set once by the host at start-up, before any thread exists (the module
 * in its hooks' first run, the CLI in main): process-wide by nature. */
static wr_log_print_cb *log_print;
static wr_log_level_t log_max = WR_LOG_WARNING;
static void *log_baton;

void wr_log_set(wr_log_print_cb *print, wr_log_level_t max_level, void *baton)
{
    log_print = print;
    log_max = max_level;
    log_baton = baton;
}

int wr_log_is_level(wr_log_level_t level)
{
    return log_print != NULL && level <= log_max;
}

void wr_log_perror(const char *file, int line, wr_log_level_t level,
                   apr_status_t rv, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (!wr_log_is_level(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_print(file, line, level, rv, buf, log_baton);
}
