/* wr_proc.c - running a program in a child process (see wr_proc.h) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wr_proc.h"

/* Between two looks at a child that has not ended yet. */
#define POLL_STEP apr_time_from_msec(5)

/* child_exec - in the child: the descriptors, the signals, exec; on
 * failure errno goes up the report pipe */
static void child_exec(const char *const *argv, int in_fd, int out_fd,
                       int report)
{
    sigset_t all;
    int sig, e;

    if (dup2(in_fd, 0) < 0
        || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) {
        goto fail;
    }
    /* the report pipe is close-on-exec: keep it above 2 through closefrom */
    if (report <= 2 || dup2(report, 3) < 0) {
        goto fail;
    }
    report = 3;
    fcntl(report, F_SETFD, FD_CLOEXEC);
    closefrom(4);
    for (sig = 1; sig < NSIG; sig++) {
        signal(sig, SIG_DFL);
    }
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    execv(argv[0], (char *const *)argv);
fail:
    e = errno;
    if (write(report, &e, sizeof(e)) < 0) {
        /* nothing else can be told */
    }
    _exit(127);
}

apr_status_t wr_proc_spawn(const char *const *argv, int out_fd, int *in,
                           pid_t *pid)
{
    int pin[2], rep[2], null_fd = -1, e = 0;

    if (pipe2(pin, O_CLOEXEC) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if (pipe2(rep, O_CLOEXEC) != 0) {
        e = errno;
        close(pin[0]);
        close(pin[1]);
        return APR_FROM_OS_ERROR(e);
    }
    if (out_fd < 0) {
        out_fd = null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    }
    if ((*pid = fork()) < 0) {
        e = errno;
    }
    else if (*pid == 0) {
        close(pin[1]);
        close(rep[0]);
        child_exec(argv, pin[0], out_fd, rep[1]);
    }
    close(pin[0]);
    close(rep[1]);
    if (null_fd >= 0) {
        close(null_fd);
    }
    if (e == 0) {
        ssize_t got;

        /* EOF: exec succeeded (the pipe closed on exec) */
        while ((got = read(rep[0], &e, sizeof(e))) < 0 && errno == EINTR) {
        }
        if (got != (ssize_t)sizeof(e)) {
            e = 0;
        }
    }
    close(rep[0]);
    if (e != 0) {
        close(pin[1]);
        if (*pid > 0) {
            while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR) {
            }
        }
        return APR_FROM_OS_ERROR(e);
    }
    fcntl(pin[1], F_SETFL, fcntl(pin[1], F_GETFL) | O_NONBLOCK);
    *in = pin[1];
    return APR_SUCCESS;
}

/* reap_until - waitpid WNOHANG until the child ended or `deadline`;
 * 1 if reaped */
static int reap_until(pid_t pid, apr_time_t deadline, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            return 1;
        }
        if (apr_time_now() >= deadline) {
            return 0;
        }
        apr_sleep(POLL_STEP);
    }
}

void wr_proc_stop(pid_t pid, int *status)
{
    int st = 0;

    kill(pid, SIGTERM);
    if (!reap_until(pid, apr_time_now() + WR_PROC_STOP_GRACE, &st)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
    }
    if (status) {
        *status = st;
    }
}

apr_status_t wr_proc_wait(pid_t pid, apr_time_t deadline, int *status)
{
    int st = 0;

    if (reap_until(pid, deadline, &st)) {
        *status = st;
        return APR_SUCCESS;
    }
    wr_proc_stop(pid, status);
    return APR_TIMEUP;
}
