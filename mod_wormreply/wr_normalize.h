/* wr_normalize.h - undo what IIS undid to a request target
 *
 * Worm probes hide their traversals behind encodings that IIS decoded
 * before it looked at the path: repeated %-decoding (%255c -> %5c -> \),
 * %uXXXX, overlong UTF-8 (%c0%af, %c1%9c, %e0%80%af), backslash for slash.
 * The normaliser applies the same decodings so that one readable pattern
 * (".../winnt/system32/cmd.exe") catches every spelling.
 *
 * Contract:
 * - Bounded: at most WR_NORM_ROUNDS passes over at most `outsize - 1`
 *   input bytes; no allocation, no recursion. Input beyond that is cut.
 * - The output never grows: each decoding replaces a sequence by one
 *   byte or by a shorter UTF-8 sequence.
 * - The path (before the first raw '?') and the query are decoded
 *   separately, so an encoded "%3f" in the path never starts a query.
 * - Output is NUL-terminated; NUL bytes produced by decoding become '?'
 *   so that the result is a C string a regex can scan.
 */
#ifndef WR_NORMALIZE_H
#define WR_NORMALIZE_H

#include <stddef.h>

/* How many rounds of %-decoding: Nimda's deepest is two (%25%35%63). */
#define WR_NORM_ROUNDS 4

/* Largest normalised form the matcher keeps (bytes, without the NUL). */
#define WR_NORM_MAX 4096

/* wr_normalize - normalise `in` (length `inlen`) into `out` (`outsize`
 * bytes, at least 1). Returns the output length. */
size_t wr_normalize(const char *in, size_t inlen, char *out, size_t outsize);

/* wr_needs_decoding - true if `in` holds anything the normaliser would
 * change other than ASCII case ('%', '\\', bytes >= 0x80). */
int wr_needs_decoding(const char *in, size_t inlen);

#endif
