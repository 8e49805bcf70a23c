/* cli_logread.h - the one way the CLI's verbs read their input files:
 * plain or gzip (zlib reads both), "-" for standard input, streamed
 * through a fixed buffer line by line, so memory does not depend on the
 * length of a file or of a line */
#ifndef CLI_LOGREAD_H
#define CLI_LOGREAD_H

#include <stddef.h>

#include <zlib.h>

/* what is read at once; the caller's buffer holds this plus the longest
 * line it takes whole */
#define WR_CLI_LOGREAD_CHUNK (256 * 1024)

/* wr_cli_line_fn - one line, without its newline (a trailing '\r' is
 * kept: a log parser decides). A line longer than `max` bytes is given
 * once, with too_long set, as its first `max` bytes (the rest is read and
 * dropped). A last line without a newline counts. */
typedef void wr_cli_line_fn(void *baton, const char *name,
                            unsigned long long lineno, const char *line,
                            size_t len, int too_long);

/* wr_cli_progress_fn - after every chunk: bytes of the file read so far
 * (compressed bytes for gzip) and its size (-1 when unknown: a pipe) */
typedef void wr_cli_progress_fn(void *baton, const char *name,
                                long long done, long long total);

/* wr_cli_logopen - open `name` ("-": a copy of standard input) for
 * wr_cli_logread_open, so that a verb can open its inputs before it
 * gives up privileges (cli_priv.h); *total gets a regular file's size,
 * else -1. @return NULL after an error (reported as "wormreply VERB: ...") */
gzFile wr_cli_logopen(const char *verb, const char *name, long long *total);

/* wr_cli_logread_open - as wr_cli_logread, over `gz` from wr_cli_logopen
 * (closed when done) */
int wr_cli_logread_open(const char *verb, const char *name, gzFile gz,
                        long long total, char *buf, size_t max,
                        wr_cli_line_fn *line, wr_cli_progress_fn *progress,
                        void *baton);

/* wr_cli_logread - every line of `name` ("-": standard input) to `line`;
 * `progress` may be NULL. `buf` holds WR_CLI_LOGREAD_CHUNK + max bytes.
 * Errors are reported on stderr as "wormreply VERB: ...".
 * @return 0, or -1 when the file could not be opened or read (the lines
 * read before a read error have been given) */
int wr_cli_logread(const char *verb, const char *name, char *buf,
                   size_t max, wr_cli_line_fn *line, wr_cli_progress_fn *progress,
                   void *baton);

#endif
