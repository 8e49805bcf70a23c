/* cli_logread.c - input files of the CLI's verbs (see cli_logread.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cli_logread.h"

/* open_input - gzopen a file or a copy of standard input; *total gets a
 * regular file's size, else -1 */
static gzFile open_input(const char *name, long long *total)
{
    struct stat st;
    gzFile gz;

    *total = -1;
    if (!strcmp(name, "-")) {
        int fd = dup(STDIN_FILENO);
        gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
        if (gz == NULL && fd >= 0) {
            close(fd);
        }
        return gz;
    }
    gz = gzopen(name, "rb");
    if (gz != NULL && stat(name, &st) == 0 && S_ISREG(st.st_mode)) {
        *total = (long long)st.st_size;
    }
    return gz;
}

gzFile wr_cli_logopen(const char *verb, const char *name, long long *total)
{
    gzFile gz;

    errno = 0;
    if ((gz = open_input(name, total)) == NULL) {
        fprintf(stderr, "wormreply %s: cannot open '%s': %s\n", verb, name,
                errno ? strerror(errno) : "out of memory");
    }
    return gz;
}

int wr_cli_logread(const char *verb, const char *name, char *buf,
                   size_t max, wr_cli_line_fn *line,
                   wr_cli_progress_fn *progress,
                   void *baton)
{
    long long total;
    gzFile gz = wr_cli_logopen(verb, name, &total);

    if (gz == NULL) {
        return -1;
    }
    return wr_cli_logread_open(verb, name, gz, total, buf, max, line,
                               progress, baton);
}

int wr_cli_logread_open(const char *verb, const char *name, gzFile gz,
                        long long total, char *buf, size_t max,
                        wr_cli_line_fn *line, wr_cli_progress_fn *progress,
                        void *baton)
{
    size_t have = 0;
    unsigned long long lineno = 0;
    int skipping = 0, rc = 0;

    gzbuffer(gz, WR_CLI_LOGREAD_CHUNK);
    for (;;) {
        char *nl;
        size_t start = 0;
        int n = gzread(gz, buf + have, WR_CLI_LOGREAD_CHUNK);
        if (n < 0) {
            int err;
            const char *msg = gzerror(gz, &err);
            fprintf(stderr, "wormreply %s: error reading '%s': %s\n", verb,
                    name, err == Z_ERRNO ? strerror(errno) : msg);
            rc = -1;
            break;
        }
        if (n == 0) {
            break;
        }
        have += (size_t)n;
        while ((nl = memchr(buf + start, '\n', have - start)) != NULL) {
            size_t len = (size_t)(nl - (buf + start));
            if (!skipping) {
                line(baton, name, ++lineno, buf + start,
                     len > max ? max : len, len > max);
            }
            skipping = 0;
            start += len + 1;
        }
        /* keep the unfinished line; give it as too long once it is */
        have -= start;
        if (have > max && !skipping) {
            line(baton, name, ++lineno, buf + start, max, 1);
            skipping = 1;
            have = 0;
        }
        else if (skipping) {
            have = 0;
        }
        else if (have > 0 && start > 0) {
            memmove(buf, buf + start, have);
        }
        if (progress) {
            progress(baton, name, (long long)gzoffset(gz), total);
        }
    }
    if (have > 0 && !skipping) {
        /* a last line without its newline (at most max bytes: see above) */
        line(baton, name, ++lineno, buf, have, 0);
    }
    gzclose(gz);
    return rc;
}
