/* wr_logparse.h - pieces of access-log lines
 *
 * Apache writes the request line ("%r") between double quotes and escapes
 * '"', '\' and non-printable bytes in it (\", \\, \xNN). The functions here
 * find that field and undo the escaping so that the matcher sees the bytes
 * the client sent. Bounded by the output size; never reads past `len`.
 */
#ifndef WR_LOGPARSE_H
#define WR_LOGPARSE_H

#include <stddef.h>

/* wr_logline_request - find the quoted request line of a Common/Combined
 * log line (the first '"' after "] ") and unescape it into out (NUL-
 * terminated, cut at outsize - 1). @return 1 if the line has such a field,
 * 0 if it does not (then out is untouched); *truncated is set when the
 * closing quote is missing (a cut line). */
int wr_logline_request(const char *line, size_t len, char *out,
                       size_t outsize, size_t *outlen, int *truncated);

/* wr_log_unescape - undo Apache's log escaping of [in, in+len) into out;
 * stops at an unescaped '"' (returned through *consumed). */
size_t wr_log_unescape(const char *in, size_t len, char *out, size_t outsize,
                       size_t *consumed);

#endif
