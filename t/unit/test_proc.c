/* test_proc.c - wr_proc: a child with a report pipe, reaping, and the
 * stop protocol (asked: the flag, the work in hand finished; stopped:
 * SIGKILL after the grace period; always reaped).
 *
 * - a child's report arrives whole; a child that dies before it reports
 *   leaves a short read, never a hang;
 * - asked with SIGTERM or SIGHUP, a process that follows the protocol
 *   finishes its unit of work and ends with status 0;
 * - a child that ignores SIGTERM is killed after the grace period (and
 *   not much later), and reaped: no zombie is left;
 * - wr_proc_reap without waiting tells a running child from an ended one.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_time.h>

#include "test-lib.h"
#include "wr_proc.h"

typedef struct {
    int magic;
    char text[64];
} report_t;

/* test_report - the whole report, then the child reaped with status 0 */
static void test_report(void)
{
    report_t rep;
    pid_t pid;
    int fd = -1, status = -1;

    if (!check(wr_proc_fork(&pid, &fd) == APR_SUCCESS, "fork: a child")) {
        return;
    }
    if (pid == 0) {
        report_t r;

        memset(&r, 0, sizeof(r));
        r.magic = 0x5eed;
        strcpy(r.text, "done");
        wr_proc_report(fd, &r, sizeof(r));
        wr_proc_exit(0);
    }
    memset(&rep, 0, sizeof(rep));
    check_int(wr_proc_collect(fd, &rep, sizeof(rep)), sizeof(rep),
              "report: every byte read");
    check_int(rep.magic, 0x5eed, "report: intact");
    check_str(rep.text, "done", "report: intact text");
    check(wr_proc_reap(pid, 1, &status) == 1, "report: child reaped");
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "report: exit status 0");
}

/* test_died - a child killed before it reports: a short read */
static void test_died(void)
{
    report_t rep;
    pid_t pid;
    int fd = -1, status = 0;

    if (!check(wr_proc_fork(&pid, &fd) == APR_SUCCESS, "fork: a child")) {
        return;
    }
    if (pid == 0) {
        raise(SIGKILL);
        wr_proc_exit(3);
    }
    check_int(wr_proc_collect(fd, &rep, sizeof(rep)), 0,
              "died: nothing reported, and no hang");
    wr_proc_reap(pid, 1, &status);
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "died: by the signal");
}

/* asked - a child that follows the protocol: units of 10 ms until its
 * flag is set, then it ends with 0 after the unit in hand */
static void asked(int sig)
{
    pid_t pid;
    int fd = -1, status = -1, k;
    apr_time_t t0;

    if (!check(wr_proc_fork(&pid, &fd) == APR_SUCCESS, "fork: a child")) {
        return;
    }
    if (pid == 0) {
        const volatile sig_atomic_t *stop = wr_proc_on_stop();
        char ready = 'r';

        wr_proc_report(fd, &ready, 1);
        for (k = 0; k < 3000 && !*stop; k++) {
            apr_sleep(apr_time_from_msec(10));
        }
        wr_proc_exit(*stop ? 0 : 1);
    }
    {
        char ready = 0;
        wr_proc_collect(fd, &ready, 1);
        check(ready == 'r', "ask: the child has installed its handler");
    }
    check(wr_proc_reap(pid, 0, &status) == 0, "ask: still running");
    t0 = apr_time_now();
    kill(pid, sig);
    wr_proc_reap(pid, 1, &status);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "ask with signal %d: it finished its unit and ended (status 0)",
          sig);
    check(apr_time_now() - t0 < apr_time_from_sec(10),
          "ask with signal %d: ended long before its 30 s of work", sig);
}

/* test_stop - a child that ignores SIGTERM: SIGKILL after the grace */
static void test_stop(void)
{
    pid_t pid;
    int fd = -1, status = 0;
    apr_time_t t0, took;

    if (!check(wr_proc_fork(&pid, &fd) == APR_SUCCESS, "fork: a child")) {
        return;
    }
    if (pid == 0) {
        char ready = 'r';

        signal(SIGTERM, SIG_IGN);
        wr_proc_report(fd, &ready, 1);
        for (;;) {
            pause();
        }
    }
    {
        char ready = 0;
        wr_proc_collect(fd, &ready, 1);
    }
    t0 = apr_time_now();
    wr_proc_stop(pid, &status);
    took = apr_time_now() - t0;
    check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
          "stop: killed when it would not end");
    check(took >= WR_PROC_STOP_GRACE, "stop: after the grace period");
    check(wr_proc_reap(pid, 0, NULL) == 1 && kill(pid, 0) != 0,
          "stop: reaped, no zombie left");
}

int main(void)
{
    apr_initialize();
    alarm(120);
    test_report();
    test_died();
    asked(SIGTERM);
    asked(SIGHUP);
    test_stop();
    apr_terminate();
    return done_testing();
}
