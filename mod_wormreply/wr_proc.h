/* wr_proc.h - running a program in a child process: spawn with a pipe on
 * its standard input and a report pipe for exec's failure, reap, and one
 * stop protocol (SIGTERM, a grace period, SIGKILL, reaped)
 *
 * The child gets no descriptor but its standard input, output and error:
 * every other one is closed before exec (the delivery's .lock flock, the
 * SMTP secret's descriptor, the spool's ... are not the program's, and a
 * program that leaves a process behind must not hold them). Signal
 * dispositions and the signal mask are reset to the defaults. No shell
 * and no PATH search: argv[0] is the absolute path run. */
#ifndef WR_PROC_H
#define WR_PROC_H

#include <sys/types.h>

#include <apr_errno.h>
#include <apr_time.h>

/* Between SIGTERM and SIGKILL when a child is stopped. */
#define WR_PROC_STOP_GRACE apr_time_from_sec(1)

/* wr_proc_spawn - run argv[0] with `argv` (NULL-terminated); its standard
 * input is a pipe whose write end is *in (non-blocking, close-on-exec;
 * the caller closes it), its standard output and error go to `out_fd`
 * (-1: /dev/null).
 * @return APR_SUCCESS with *pid; the error of pipe or fork; the error of
 *         exec (APR_ENOENT, APR_EACCES ...) read from the report pipe,
 *         the child reaped */
apr_status_t wr_proc_spawn(const char *const *argv, int out_fd, int *in,
                           pid_t *pid);

/* wr_proc_wait - reap `pid`, waiting until `deadline` at most; past it
 * the child is stopped (wr_proc_stop). *status is waitpid's.
 * @return APR_SUCCESS; APR_TIMEUP if it had to be stopped */
apr_status_t wr_proc_wait(pid_t pid, apr_time_t deadline, int *status);

/* wr_proc_stop - SIGTERM, up to WR_PROC_STOP_GRACE for it to end, then
 * SIGKILL; reaped in any case. *status (may be NULL) is waitpid's. */
void wr_proc_stop(pid_t pid, int *status);

#endif
