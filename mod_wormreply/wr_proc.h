/* wr_proc.h - the notifier's child processes: fork with a report pipe,
 * reap, and one stop protocol; running a program (spawn, with a pipe on
 * its standard input and exec's failure reported)
 *
 * The stop protocol, the same for every process of the notifier's family
 * (the notifier, its deliverer, the deliverer's transport sessions, a
 * transport's program):
 *   asked    SIGTERM or SIGHUP (wr_proc_ask; httpd asks the notifier with
 *            SIGHUP when its pool is cleared, SIGTERM when it stops). A
 *            process of ours only sets its stop flag (wr_proc_on_stop) and
 *            ends after the unit of work in hand: the notifier its turn,
 *            the deliverer its pass, a session its batch. Nothing is lost:
 *            what was not done is still queued on disk.
 *   stopped  a process that must end now and has not after a grace period
 *            (WR_PROC_STOP_GRACE) gets SIGKILL and is reaped (wr_proc_stop):
 *            a program over its timeout.
 *   reaped   by the one that forked it, never left a zombie: a child that
 *            died before it reported leaves its work queued.
 *
 * A program run with wr_proc_spawn gets no descriptor but its standard
 * input, output and error: every other one is closed before exec (the
 * delivery's .lock flock, the SMTP secret's descriptor, the spool's ... are
 * not the program's, and a program that leaves a process behind must not
 * hold them). Signal dispositions and the signal mask are reset to the
 * defaults. No shell and no PATH search: argv[0] is the absolute path run.
 */
#ifndef WR_PROC_H
#define WR_PROC_H

#include <signal.h>
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

/* wr_proc_on_stop - this process follows the stop protocol: SIGTERM and
 * SIGHUP set the flag returned (and do nothing else), which the process's
 * loop reads between units of work. Its children inherit the handler and
 * have flags of their own (a copy). */
const volatile sig_atomic_t *wr_proc_on_stop(void);

/* wr_proc_ask - ask `pid` to stop after the work in hand (SIGTERM) */
void wr_proc_ask(pid_t pid);

/* wr_proc_fork - fork a child that reports to its parent through a pipe
 * (report NULL: no pipe). In the child *pid is 0 and *report the write
 * end; in the parent *pid is the child's and *report the read end. The
 * child ends with wr_proc_exit, never returning into its parent's code.
 * @return APR_SUCCESS; the error of pipe or fork (nothing to close) */
apr_status_t wr_proc_fork(pid_t *pid, int *report);

/* wr_proc_report - in the child: `len` bytes up the report pipe, and the
 * pipe closed. @return APR_SUCCESS; the error of write */
apr_status_t wr_proc_report(int report, const void *buf, apr_size_t len);

/* wr_proc_collect - in the parent: the child's report, up to `len`
 * bytes until the pipe closes; the pipe closed. @return the bytes read
 * (fewer than `len`: the child died before it reported) */
apr_size_t wr_proc_collect(int report, void *buf, apr_size_t len);

/* wr_proc_reap - whether `pid` has ended, without waiting (block 0) or
 * waiting for it (block 1); *status is waitpid's. @return 1 reaped (or
 * not ours any more), 0 still running */
int wr_proc_reap(pid_t pid, int block, int *status);

/* wr_proc_exit - end a forked child: none of the parent's pool cleanups,
 * atexit handlers or stdio buffers are its to run */
void wr_proc_exit(int code) __attribute__((noreturn));

#endif
