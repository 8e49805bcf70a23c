/* wr_proc.c - running a program in a child process (see wr_proc.h) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_signal.h>

#include "wr_proc.h"

/* Between two looks at a child that has not ended yet. */
#define POLL_STEP apr_time_from_msec(5)

/* This process's stop flag (the stop protocol, wr_proc.h): set from a
 * signal handler, which can reach nothing else; each process has its own
 * copy after fork. */
static volatile sig_atomic_t stop_asked;

/* on_stop_signal - SIGTERM, SIGHUP: finish the work in hand, then end */
static void on_stop_signal(int sig)
{
    (void)sig;
    stop_asked = 1;
}

const volatile sig_atomic_t *wr_proc_on_stop(void)
{
    stop_asked = 0;
    apr_signal(SIGTERM, on_stop_signal);
    apr_signal(SIGHUP, on_stop_signal);
    return &stop_asked;
}

void wr_proc_ask(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
    }
}

apr_status_t wr_proc_fork(pid_t *pid, int *report)
{
    int pfd[2] = { -1, -1 };

    *pid = -1;
    if (report && pipe2(pfd, O_CLOEXEC) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    if ((*pid = fork()) < 0) {
        int e = errno;

        if (report) {
            close(pfd[0]);
            close(pfd[1]);
        }
        return APR_FROM_OS_ERROR(e);
    }
    if (report) {
        close(*pid == 0 ? pfd[0] : pfd[1]);
        *report = *pid == 0 ? pfd[1] : pfd[0];
    }
    return APR_SUCCESS;
}

apr_status_t wr_proc_report(int report, const void *buf, apr_size_t len)
{
    const char *c = buf;
    apr_status_t rv = APR_SUCCESS;

    while (len > 0) {
        ssize_t w = write(report, c, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            rv = w < 0 ? APR_FROM_OS_ERROR(errno) : APR_EOF;
            break;
        }
        c += w;
        len -= (apr_size_t)w;
    }
    close(report);
    return rv;
}

apr_size_t wr_proc_collect(int report, void *buf, apr_size_t len)
{
    char *c = buf;
    apr_size_t got = 0;

    while (got < len) {
        ssize_t n = read(report, c + got, len - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (apr_size_t)n;
    }
    close(report);
    return got;
}

int wr_proc_reap(pid_t pid, int block, int *status)
{
    int st = 0;
    pid_t r;

    while ((r = waitpid(pid, &st, block ? 0 : WNOHANG)) < 0
           && errno == EINTR) {
    }
    if (r == 0) {
        return 0;
    }
    if (status) {
        *status = r == pid ? st : 0;
    }
    return 1;
}

void wr_proc_exit(int code)
{
    _exit(code);
}

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

    wr_proc_ask(pid);
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
