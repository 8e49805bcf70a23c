/* fs_put.c - what handing one event to the notifier costs the kernel, on
 * the file system of DIR, for three ways of doing it; built and run by
 * bench/fs_put.sh.
 *
 *   fs_put DIR N REPS
 *
 * Modes (each rep runs all three, N events each, in a directory of its
 * own with tmp/ and new/):
 *   create  what the request path does today (wr_file_put without sync):
 *           openat(tmp/, O_CREAT|O_EXCL), write, close, renameat to new/;
 *           a consumer (nice 10, as the notifier) unlinks what reaches
 *           new/ every 100 ms, as the notifier does once an event is done
 *   reuse   the same without the inode allocation: tmp/ holds N empty
 *           files made beforehand (not timed); openat without O_CREAT,
 *           write, close, renameat to new/
 *   append  one write(2) of the record to a file held open with O_APPEND
 * In every mode the consumer also calls syncfs every 500 ms (the
 * notifier's group commit). Each put is timed on the monotonic clock; the
 * kernel and user time of the putting process come from getrusage.
 * Prints one line per mode and rep, then the medians:
 *   FSPUT mode=create sys_us=.. user_us=.. p50_us=.. p99_us=..
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPS_MAX 15
#define N_MAX 1000000
/* about the size of a spool record (wr_event_format) */
#define RECORD_LEN 400

enum { M_CREATE, M_REUSE, M_APPEND, M_COUNT };
static const char *const mode_name[M_COUNT] = { "create", "reuse", "append" };

typedef struct {
    double sys_us, user_us, p50_us, p99_us;
} result_t;

/* now_us - the monotonic clock in microseconds */
static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* cmp_dbl - qsort order */
static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* median - of `n` values (sorted in place) */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* tv_us - a struct timeval in microseconds */
static double tv_us(const struct timeval *tv)
{
    return (double)tv->tv_sec * 1e6 + (double)tv->tv_usec;
}

/* die - a failed system call: the figures would mean nothing */
static void die(const char *what)
{
    fprintf(stderr, "fs_put: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* consume - the notifier's part until killed: every 100 ms unlink what
 * reached new/ (if `unlink_new`), every 500 ms syncfs */
static void consume(int newfd, int unlink_new)
{
    double last_sync = now_us();

    if (setpriority(PRIO_PROCESS, 0, 10) != 0) {
        die("setpriority");
    }
    for (;;) {
        if (unlink_new) {
            int fd = dup(newfd);
            DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
            const struct dirent *e;

            if (d == NULL) {
                die("fdopendir");
            }
            rewinddir(d);
            while ((e = readdir(d)) != NULL) {
                if (e->d_name[0] != '.') {
                    unlinkat(newfd, e->d_name, 0);
                }
            }
            closedir(d);
        }
        if (now_us() - last_sync >= 500000) {
            syncfs(newfd);
            last_sync = now_us();
        }
        usleep(100000);
    }
}

/* run - N puts of one mode in DIR/<mode>-<rep> */
static void run(const char *dir, int mode, int rep, int n, double *lat,
                result_t *res)
{
    char path[4096], name[64], rec[RECORD_LEN];
    struct rusage r0, r1;
    int root, tmp, nw, logfd = -1, i;
    pid_t kid;

    memset(rec, 'x', sizeof(rec));
    rec[sizeof(rec) - 1] = '\n';
    snprintf(path, sizeof(path), "%s/%s-%d", dir, mode_name[mode], rep);
    if (mkdir(path, 0700) != 0
        || (root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0
        || mkdirat(root, "tmp", 0700) != 0 || mkdirat(root, "new", 0700) != 0
        || (tmp = openat(root, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0
        || (nw = openat(root, "new", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        die(path);
    }
    if (mode == M_REUSE) {
        for (i = 0; i < n; i++) {
            int fd;

            snprintf(name, sizeof(name), "%d.ev", i);
            fd = openat(tmp, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                        0600);
            if (fd < 0 || close(fd) != 0) {
                die("reuse: creating the pool");
            }
        }
    }
    if (mode == M_APPEND
        && (logfd = openat(root, "log", O_WRONLY | O_CREAT | O_APPEND
                           | O_CLOEXEC, 0600)) < 0) {
        die("append: log");
    }
    if ((kid = fork()) < 0) {
        die("fork");
    }
    if (kid == 0) {
        consume(nw, mode == M_CREATE);
        _exit(0);
    }
    getrusage(RUSAGE_SELF, &r0);
    for (i = 0; i < n; i++) {
        double t0;

        snprintf(name, sizeof(name), "%d.ev", i);
        t0 = now_us();
        if (mode == M_APPEND) {
            if (write(logfd, rec, sizeof(rec)) != (ssize_t)sizeof(rec)) {
                die("append: write");
            }
        }
        else {
            int fl = mode == M_CREATE
                     ? O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
                     : O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
            int fd = openat(tmp, name, fl, 0600);

            if (fd < 0 || write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec)
                || close(fd) != 0 || renameat(tmp, name, nw, name) != 0) {
                die(mode_name[mode]);
            }
        }
        lat[i] = now_us() - t0;
    }
    getrusage(RUSAGE_SELF, &r1);
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    if (logfd >= 0) {
        close(logfd);
    }
    close(tmp);
    close(nw);
    close(root);
    res->sys_us = (tv_us(&r1.ru_stime) - tv_us(&r0.ru_stime)) / n;
    res->user_us = (tv_us(&r1.ru_utime) - tv_us(&r0.ru_utime)) / n;
    qsort(lat, (size_t)n, sizeof(*lat), cmp_dbl);
    res->p50_us = lat[n / 2];
    res->p99_us = lat[(int)((long)n * 99 / 100)];
}

int main(int argc, char **argv)
{
    double *lat, v[REPS_MAX];
    result_t res[M_COUNT][REPS_MAX];
    int n, reps, rep, m, k;

    if (argc != 4 || (n = atoi(argv[2])) < 100 || n > N_MAX
        || (reps = atoi(argv[3])) < 1 || reps > REPS_MAX) {
        fprintf(stderr, "usage: fs_put DIR N(100-%d) REPS(1-%d)\n", N_MAX,
                REPS_MAX);
        return 2;
    }
    if ((lat = malloc(sizeof(*lat) * (size_t)n)) == NULL) {
        die("malloc");
    }
    /* the modes interleaved within each rep: the machine's load changes */
    for (rep = 0; rep < reps; rep++) {
        for (m = 0; m < M_COUNT; m++) {
            run(argv[1], m, rep, n, lat, &res[m][rep]);
            printf("rep %d %-6s sys %7.1f us user %5.1f us p50 %7.1f us "
                   "p99 %8.1f us per put\n", rep + 1, mode_name[m],
                   res[m][rep].sys_us, res[m][rep].user_us,
                   res[m][rep].p50_us, res[m][rep].p99_us);
            fflush(stdout);
        }
    }
    for (m = 0; m < M_COUNT; m++) {
        double med[4];

        for (k = 0; k < 4; k++) {
            for (rep = 0; rep < reps; rep++) {
                const result_t *r = &res[m][rep];

                v[rep] = k == 0 ? r->sys_us : k == 1 ? r->user_us
                       : k == 2 ? r->p50_us : r->p99_us;
            }
            med[k] = median(v, reps);
        }
        printf("FSPUT mode=%s n=%d reps=%d sys_us=%.1f user_us=%.1f "
               "p50_us=%.1f p99_us=%.1f\n", mode_name[m], n, reps, med[0],
               med[1], med[2], med[3]);
    }
    free(lat);
    return 0;
}
