/* wr_match.c - signature sets, literal prefilter and matching (the
 * signature-file reader is wr_sigfile.c) */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "wr_match_int.h"
#include "wr_normalize.h"

/* window_hash - bit index of a 4-byte, lower-cased window, its bytes
 * taken as a little-endian word (window_at, window_word) */
static inline unsigned window_hash(uint32_t w)
{
    return (unsigned)((w * 0x9E3779B1u) >> (32 - FILTER_BITS));
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* window_word - the word window_hash takes for the (lower-case) bytes
 * w[0..4) of a signature's window */
static uint32_t window_word(const unsigned char *w)
{
    return (uint32_t)w[0] | (uint32_t)w[1] << 8 | (uint32_t)w[2] << 16
           | (uint32_t)w[3] << 24;
}

/* window_at - the 4 bytes at p, lower-cased as lower() does it, as
 * window_word makes them: one load, the case folded in the register
 * (a byte of 'A'..'Z' gains 0x20, one of 0x80 and above is left alone) */
static inline uint32_t window_at(const unsigned char *p)
{
    uint32_t w, x, upper;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&w, p, sizeof(w));
#else
    w = window_word(p);
#endif
    x = w & 0x7f7f7f7fu;
    /* the top bit of each byte: >= 'A', and not > 'Z', and below 0x80 */
    upper = (x + 0x3f3f3f3fu) & ~(x + 0x25252525u) & ~w & 0x80808080u;
    return w | upper >> 2;
}

/* Whether the byte is one the normaliser would decode, for the last odd
 * byte of a subject */
#define ENC1(n) ((n) == '%' || (n) == '\\' || (n) >= 0x80)
#define ENC4(n) ENC1(n), ENC1((n) + 1), ENC1((n) + 2), ENC1((n) + 3)
#define ENC16(n) ENC4(n), ENC4((n) + 4), ENC4((n) + 8), ENC4((n) + 12)
#define ENC64(n) ENC16(n), ENC16((n) + 16), ENC16((n) + 32), ENC16((n) + 48)
static const unsigned char encoded_tab[256] = {
    ENC64(0), ENC64(64), ENC64(128), ENC64(192)
};

/* The windows of the filter that a subject holds, as a set of bits
 * (wr_sigset_t.widx), so that each signature runs only when its own
 * window was seen: one test per signature. */
typedef uint64_t hits_t;

/* seen - whether the window of `sig` (a filtered one) is in `hits` */
static inline int seen(hits_t hits, const wr_sig_t *sig)
{
    return (hits & sig->wbit) != 0;
}

/* candidates - which of the 4-byte windows around the marked aligned
 * pair p[j..j+1] may be keys of the filter: bit 0 the one that starts at
 * j - 2, bit 1 the one at j - 1. All three byte pairs of a key are
 * marked, so a pair lookup or two rule most windows out before any is
 * hashed. The window that starts at j is the one at (j + 2) - 2 of the
 * next aligned pair, which has to be marked too: each window is looked
 * at once, for the last aligned pair it holds. */
static inline unsigned candidates(const unsigned char *pair,
                                  const unsigned char *p, size_t n, size_t j)
{
    unsigned c = 0;

    if (j >= 1 && (pair[PAIR(p[j - 1], p[j])] & PAIR_WINDOW)) {
        if (j >= 2 && (pair[PAIR(p[j - 2], p[j - 1])] & PAIR_WINDOW)) {
            c |= 1;
        }
        if (j + 3 <= n && (pair[PAIR(p[j + 1], p[j + 2])] & PAIR_WINDOW)) {
            c |= 2;
        }
    }
    return c;
}

/* add_window - add the window at p to *hits if it is a key */
static inline void add_window(const wr_sigset_t *set, const unsigned char *p,
                              hits_t *hits)
{
    unsigned x = set->widx[window_hash(window_at(p))];

    if (x) {
        *hits |= (hits_t)1 << (x - 1);
    }
}

/* confirm - the aligned pair at p[j..j+1] is marked: add to *hits the
 * filter's windows that end with it */
static inline __attribute__((always_inline)) void
confirm(const wr_sigset_t *set, const unsigned char *p, size_t n, size_t j,
        hits_t *hits)
{
    unsigned c = candidates(set->pair, p, n, j);

    if (c & 1) {
        add_window(set, p + j - 2, hits);
    }
    if (c & 2) {
        add_window(set, p + j - 1, hits);
    }
}

/* A scan of one subject, which can stop at the first window wanted and
 * go on later from where it stopped: a probe whose first family's window
 * comes early (Code Red's, in its first 16 bytes, then 360 more) is
 * matched without looking at the rest. */
typedef struct {
    const unsigned char *p;
    size_t n;
    size_t i;                   /* the bytes before i are looked at */
    unsigned enc;               /* the flags of their pairs, or'ed */
    hits_t hits;                /* the filter's windows found in them */
    int done;                   /* all of the subject is looked at */
    int encoded;                /* it holds a byte to decode (once done) */
} scan_t;

static inline void scan_start(scan_t *s, const char *subj, size_t n)
{
    s->p = (const unsigned char *)subj;
    s->n = n;
    s->i = 0;
    s->enc = 0;
    s->hits = 0;
    s->done = n == 0;
    s->encoded = 0;
}

/* scan_to - look at more of the subject, until one of the windows of
 * `want` is among the hits, or to its end (want 0: to the end). It looks
 * at aligned byte pairs only, eight bytes (four pairs) a step: every
 * 4-byte window contains an aligned pair, and every pair of every window
 * is marked in the table. A step whose pairs are all unmarked, as nearly
 * all are, costs one load and four table lookups. */
static inline __attribute__((always_inline)) void
scan_to(const wr_sigset_t *set, scan_t *s, hits_t want)
{
    const unsigned char *p = s->p, *pair = set->pair;
    size_t n = s->n, i = s->i;
    unsigned enc = s->enc;
    hits_t hits = s->hits;

    if (hits & want) {
        return;
    }
    /* whether to stop is asked only when a step has found windows */
    for (; i + 8 <= n; i += 8) {
        uint64_t w = wr_load8(p + i);
        unsigned a = pair[w & 0xffff], b = pair[(w >> 16) & 0xffff],
                 c = pair[(w >> 32) & 0xffff], d = pair[w >> 48];
        enc |= a | b | c | d;
        if ((a | b | c | d) & PAIR_WINDOW) {
            if (a & PAIR_WINDOW) {
                confirm(set, p, n, i, &hits);
            }
            if (b & PAIR_WINDOW) {
                confirm(set, p, n, i + 2, &hits);
            }
            if (c & PAIR_WINDOW) {
                confirm(set, p, n, i + 4, &hits);
            }
            if (d & PAIR_WINDOW) {
                confirm(set, p, n, i + 6, &hits);
            }
            if (hits & want) {
                i += 8;
                goto out;
            }
        }
    }
    for (; i + 1 < n; i += 2) {
        unsigned v = pair[PAIR(p[i], p[i + 1])];
        enc |= v;
        if (v & PAIR_WINDOW) {
            confirm(set, p, n, i, &hits);
            if (hits & want) {
                i += 2;
                goto out;
            }
        }
    }
    if (i + 1 == n) {
        enc |= encoded_tab[p[i]] ? PAIR_ENCODED : 0;
        i = n;
    }
out:
    s->i = i;
    s->enc = enc;
    s->hits = hits;
    s->done = i >= n;
    s->encoded = (enc & PAIR_ENCODED) != 0;
}

/* scan - record the filter's windows found in s[0..n) in *hits; return
 * whether s holds anything the normaliser would decode ('%', '\\',
 * bytes >= 0x80) */
static int scan(const wr_sigset_t *set, const char *subj, size_t n,
                hits_t *hits)
{
    scan_t s;

    scan_start(&s, subj, n);
    scan_to(set, &s, 0);
    *hits |= s.hits;
    return s.encoded;
}

/* window_in - whether a window of the filter ends with the marked
 * aligned pair at p[i..i+1] */
static int window_in(const wr_sigset_t *set, const unsigned char *p,
                     size_t n, size_t i)
{
    unsigned c = candidates(set->pair, p, n, i), h;

    if (c & 1) {
        h = window_hash(window_at(p + i - 2));
        if (set->filter[h >> 6] & ((uint64_t)1 << (h & 63))) {
            return 1;
        }
    }
    if (c & 2) {
        h = window_hash(window_at(p + i - 1));
        if (set->filter[h >> 6] & ((uint64_t)1 << (h & 63))) {
            return 1;
        }
    }
    return 0;
}

/* suspect8 - whether the four aligned pairs at p[i..i+8) hold a byte
 * the normaliser decodes, or a window of the filter */
static inline __attribute__((always_inline)) int
suspect8(const wr_sigset_t *set, const unsigned char *p, size_t n, size_t i)
{
    unsigned v = wr_pairs4(set->pair, wr_load8(p + i));

    if (v & PAIR_ENCODED) {
        return 1;
    }
    if (v) {
        size_t j;
        for (j = i; j < i + 8; j += 2) {
            if (set->pair[PAIR(p[j], p[j + 1])] && window_in(set, p, n, j)) {
                return 1;
            }
        }
    }
    return 0;
}

/* suspect - the cheap rejection that is all an ordinary request pays:
 * whether s[0..n) holds a window of the filter or a byte the normaliser
 * decodes. Eight bytes a step; the last step overlaps the one before
 * (at an even offset, so that the pairs stay aligned) instead of going
 * on pair by pair. */
static inline __attribute__((always_inline)) int
suspect(const wr_sigset_t *set, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            if (suspect8(set, p, n, i)) {
                return 1;
            }
        }
        if (i + 1 < n && suspect8(set, p, n, (n - 8) & ~(size_t)1)) {
            return 1;
        }
        i = n & ~(size_t)1;
    }
    else {
        for (; i + 1 < n; i += 2) {
            unsigned v = set->pair[PAIR(p[i], p[i + 1])];
            if ((v & PAIR_ENCODED) || (v && window_in(set, p, n, i))) {
                return 1;
            }
        }
    }
    return i < n && encoded_tab[p[i]];
}

/* skip_class - index just past the character class starting at p[i]=='[' */
static size_t skip_class(const char *p, size_t i)
{
    i++;
    if (p[i] == '^') {
        i++;
    }
    if (p[i] == ']') {
        i++;
    }
    while (p[i] && p[i] != ']') {
        if (p[i] == '\\' && p[i + 1]) {
            i += 2;
        }
        else if (p[i] == '[' && p[i + 1] == ':') {
            const char *e = strstr(p + i + 2, ":]");
            i = e ? (size_t)(e - p) + 2 : i + 1;
        }
        else {
            i++;
        }
    }
    return p[i] ? i + 1 : i;
}

/* quantifier_len - length of a {n}, {n,} or {n,m} at p[i], 0 if none;
 * *min_zero is set when n is 0 */
static size_t quantifier_len(const char *p, size_t i, int *min_zero)
{
    size_t j = i + 1, k;

    if (p[i] != '{' || !(p[j] >= '0' && p[j] <= '9')) {
        return 0;
    }
    k = j;
    while (p[j] >= '0' && p[j] <= '9') {
        j++;
    }
    *min_zero = (j - k == 1 && p[k] == '0');
    if (p[j] == ',') {
        j++;
        while (p[j] >= '0' && p[j] <= '9') {
            j++;
        }
    }
    return p[j] == '}' ? j - i + 1 : 0;
}

/* byte_weight - how common a (lower-case) byte is in ordinary request
 * targets: the prefilter keys each signature on its rarest window, so
 * that ordinary traffic hits as few windows as possible */
static int byte_weight(unsigned char c)
{
    if (c == '/' || c == '.' || c == 'e' || c == 't' || c == 'a'
        || c == 'o' || c == 'i' || c == 'n' || c == 's' || c == 'r') {
        return 8;
    }
    if (c == 'h' || c == 'p' || c == 'l' || c == 'c' || c == 'm'
        || c == 'd' || c == 'g' || c == '-' || (c >= '0' && c <= '9')) {
        return 6;
    }
    if (c >= 'a' && c <= 'z') {
        return c == 'x' || c == 'q' || c == 'z' || c == 'j' ? 2 : 4;
    }
    return 3;
}

/* consider_run - offer the windows of one required literal run: keep the
 * rarest. A window with a blank could span two fields of a request line,
 * and for line patterns one made only of protocol bytes ("/1.0") could lie
 * in the protocol, which is not scanned: both are passed over. */
static void consider_run(const char *run, size_t len, int line,
                         unsigned char *win, int *best)
{
    size_t i, k;

    for (i = 0; i + 4 <= len; i++) {
        int score = 0, protocol_only = 1, blank = 0;
        for (k = 0; k < 4; k++) {
            unsigned char c = lower((unsigned char)run[i + k]);
            score += byte_weight(c);
            /* a doubled byte ("nn") marks a pair that fillers such as
             * Code Red's NNNN... repeat on every step of the scan */
            if (k > 0 && c == lower((unsigned char)run[i + k - 1])) {
                score += 32;
            }
            blank |= (c == ' ');
            if (!strchr("htp/0123456789.", c)) {
                protocol_only = 0;
            }
        }
        if (blank || (line && protocol_only) || score >= *best) {
            continue;
        }
        *best = score;
        for (k = 0; k < 4; k++) {
            win[k] = lower((unsigned char)run[i + k]);
        }
    }
}

/* best_window - the rarest 4-byte window of the literal runs that every
 * match of pattern `p` must contain. @return 1 and fills win[4], or 0 if
 * there is none. Conservative: anything it does not understand ends a
 * run, and a top-level alternation or a syntax that changes what bytes
 * mean gives no window at all. */
static int best_window(const char *p, int line, unsigned char *win)
{
    char cur[256];
    size_t i = 0, curlen = 0;
    int depth = 0, best = 1 << 30;

#define END_RUN() do { \
        consider_run(cur, curlen, line, win, &best); curlen = 0; } while (0)

    if (strstr(p, "(?x") || strstr(p, "\\Q") || strstr(p, "(*")) {
        return 0;
    }
    while (p[i]) {
        char c = p[i];
        int min_zero = 0;
        size_t q;

        if (depth > 0) {
            if (c == '\\' && p[i + 1]) {
                i += 2;
            }
            else if (c == '[') {
                i = skip_class(p, i);
            }
            else {
                depth += (c == '(') - (c == ')');
                i++;
            }
            continue;
        }
        switch (c) {
        case '|':
            return 0;
        case '(':
            END_RUN();
            depth = 1;
            i++;
            continue;
        case '[':
            END_RUN();
            i = skip_class(p, i);
            continue;
        case '.': case '^': case '$': case ')':
            END_RUN();
            i++;
            continue;
        case '?': case '*':
            if (curlen > 0) {
                curlen--;
            }
            END_RUN();
            i++;
            if (p[i] == '?' || p[i] == '+') {
                i++;
            }
            continue;
        case '+':
            END_RUN();
            i++;
            if (p[i] == '?' || p[i] == '+') {
                i++;
            }
            continue;
        case '{':
            if ((q = quantifier_len(p, i, &min_zero)) > 0) {
                if (min_zero && curlen > 0) {
                    curlen--;
                }
                END_RUN();
                i += q;
                if (p[i] == '?' || p[i] == '+') {
                    i++;
                }
                continue;
            }
            break;
        case '\\': {
            char e = p[i + 1];
            if (e == '\0') {
                END_RUN();
                i++;
                continue;
            }
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')
                || (e >= '0' && e <= '9')) {
                /* an escape with a meaning: skip it and its argument */
                END_RUN();
                i += 2;
                if (e == 'x' || e == 'o' || e == 'p' || e == 'P' || e == 'g'
                    || e == 'k' || e == 'N') {
                    if (p[i] == '{' || p[i] == '<' || p[i] == '\'') {
                        char close = p[i] == '{' ? '}' : p[i] == '<' ? '>' : '\'';
                        while (p[i] && p[i] != close) {
                            i++;
                        }
                        if (p[i]) {
                            i++;
                        }
                    }
                    else if (e == 'x') {
                        while (p[i] && strchr("0123456789abcdefABCDEF", p[i])) {
                            i++;
                        }
                    }
                    else if (p[i]) {
                        i++;
                    }
                }
                else if (e == 'c' && p[i]) {
                    i++;
                }
                else if (e >= '0' && e <= '9') {
                    while (p[i] >= '0' && p[i] <= '9') {
                        i++;
                    }
                }
                continue;
            }
            if (curlen < sizeof(cur)) {
                cur[curlen++] = e;
            }
            else {
                END_RUN();
            }
            i += 2;
            continue;
        }
        default:
            break;
        }
        if (curlen < sizeof(cur)) {
            cur[curlen++] = c;
        }
        else {
            END_RUN();
        }
        i++;
    }
    END_RUN();
#undef END_RUN
    return best < (1 << 30);
}

/* mark_pair - two adjacent window bytes, in every combination of case */
static void mark_pair(wr_sigset_t *set, unsigned char a, unsigned char b)
{
    unsigned char ua = (a >= 'a' && a <= 'z') ? (unsigned char)(a - 32) : a;
    unsigned char ub = (b >= 'a' && b <= 'z') ? (unsigned char)(b - 32) : b;

    set->pair[PAIR(a, b)] |= PAIR_WINDOW;
    set->pair[PAIR(ua, b)] |= PAIR_WINDOW;
    set->pair[PAIR(a, ub)] |= PAIR_WINDOW;
    set->pair[PAIR(ua, ub)] |= PAIR_WINDOW;
}

static apr_status_t sig_cleanup(void *data)
{
    wr_sigset_t *set = data;
    int f, k;

    for (f = 0; f < set->nfamilies; f++) {
        apr_array_header_t *a = set->families[f].sigs;
        for (k = 0; k < a->nelts; k++) {
            pcre2_code_free(APR_ARRAY_IDX(a, k, wr_sig_t).code);
        }
    }
    return APR_SUCCESS;
}

apr_status_t wr_sigset_create(wr_sigset_t **pset, apr_pool_t *p)
{
    wr_sigset_t *set = apr_pcalloc(p, sizeof(*set));
    unsigned a, b;

    set->pool = p;
    for (a = 0; a < 256; a++) {
        for (b = 0; b < 256; b++) {
            if (encoded_tab[a] || encoded_tab[b]) {
                set->pair[PAIR(a, b)] |= PAIR_ENCODED;
            }
        }
    }
    apr_pool_cleanup_register(p, set, sig_cleanup, apr_pool_cleanup_null);
    *pset = set;
    return APR_SUCCESS;
}

static int valid_family_name(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n > WR_FAMILY_NAME_MAX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '-' || c == '_')) {
            return 0;
        }
    }
    return 1;
}

int wr_sigset_family_index(const wr_sigset_t *set, const char *name)
{
    int f;

    for (f = 0; f < set->nfamilies; f++) {
        if (!strcmp(set->families[f].name, name)) {
            return f;
        }
    }
    return -1;
}

apr_status_t wr_sigset_declare_family(wr_sigset_t *set, const char *name,
                                      int default_on, const char *desc,
                                      const char **err)
{
    int f = wr_sigset_family_index(set, name);
    wr_family_t *fam;

    if (f < 0) {
        if (!valid_family_name(name)) {
            *err = apr_psprintf(set->pool, "invalid family name '%s' (1 to %d "
                                "characters of a-z, 0-9, '-' and '_')",
                                name, WR_FAMILY_NAME_MAX);
            return APR_EINVAL;
        }
        if (set->nfamilies >= WR_MAX_FAMILIES) {
            *err = apr_psprintf(set->pool, "too many families (at most %d): "
                                "'%s'", WR_MAX_FAMILIES, name);
            return APR_ENOSPC;
        }
        f = set->nfamilies++;
        set->all |= (wr_family_mask_t)1 << f;
        fam = &set->families[f];
        apr_cpystrn(fam->name, name, sizeof(fam->name));
        fam->sigs = apr_array_make(set->pool, 8, sizeof(wr_sig_t));
        fam->filtered = 1;
        wr_confidence_parse(wr_family_key_default(wr_family_key_index(
                                "confidence")), &fam->confidence);
    }
    fam = &set->families[f];
    fam->default_on = default_on;
    if (desc && *desc) {
        fam->desc = apr_pstrdup(set->pool, desc);
    }
    return APR_SUCCESS;
}

apr_status_t wr_sigset_add(wr_sigset_t *set, const char *family,
                           wr_subject_t subj, const char *pattern,
                           const char *origin, const char **err)
{
    int f, errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code;
    wr_sig_t *sig;
    unsigned char win[4];

    if ((f = wr_sigset_family_index(set, family)) < 0) {
        apr_status_t rv;
        if ((rv = wr_sigset_declare_family(set, family, 1, NULL, err))
            != APR_SUCCESS) {
            return rv;
        }
        f = wr_sigset_family_index(set, family);
    }
    code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                         (subj == WR_SUBJ_NORM ? PCRE2_CASELESS : 0)
                         | PCRE2_DOLLAR_ENDONLY,
                         &errcode, &erroff, NULL);
    if (code == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        *err = apr_psprintf(set->pool, "%s: %s at offset %lu in '%s'",
                            origin, (const char *)msg,
                            (unsigned long)erroff, pattern);
        return APR_EINVAL;
    }
    sig = apr_array_push(set->families[f].sigs);
    sig->family = f;
    sig->subj = subj;
    sig->code = code;
    /* JIT is an optimisation: without it (no JIT support on this CPU)
     * pcre2_match interprets the same code. */
    sig->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    sig->pattern = apr_pstrdup(set->pool, pattern);
    sig->origin = apr_pstrdup(set->pool, origin);
    set->npatterns++;

    if (best_window(pattern, subj == WR_SUBJ_LINE, win)) {
        unsigned h = window_hash(window_word(win));
        int k;
        if (set->widx[h] == 0) {
            set->widx[h] = (unsigned char)(set->nwindows++ % 64 + 1);
            set->filter[h >> 6] |= (uint64_t)1 << (h & 63);
        }
        sig->filtered = 1;
        sig->wbit = (hits_t)1 << (set->widx[h] - 1);
        set->families[f].wbits |= sig->wbit;
        for (k = 0; k < 3; k++) {
            mark_pair(set, win[k], win[k + 1]);
        }
    }
    else {
        sig->filtered = 0;
        sig->wbit = 0;
        set->families[f].filtered = 0;
        set->unfiltered |= (wr_family_mask_t)1 << f;
    }
    return APR_SUCCESS;
}

int wr_sigset_family_count(const wr_sigset_t *set)
{
    return set->nfamilies;
}

const char *wr_sigset_family_name(const wr_sigset_t *set, int idx)
{
    return idx >= 0 && idx < set->nfamilies ? set->families[idx].name : NULL;
}

const char *wr_sigset_family_title(const wr_sigset_t *set, int idx)
{
    return idx >= 0 && idx < set->nfamilies ? set->families[idx].title : NULL;
}

const char *wr_sigset_family_about(const wr_sigset_t *set, int idx)
{
    return idx >= 0 && idx < set->nfamilies ? set->families[idx].about : NULL;
}

const char *wr_sigset_family_desc(const wr_sigset_t *set, int idx)
{
    return idx >= 0 && idx < set->nfamilies ? set->families[idx].desc : NULL;
}

apr_status_t wr_sigset_family_set_attr(wr_sigset_t *set, int idx,
                                       const char *key, const char *value,
                                       const char **err)
{
    wr_family_t *fam;
    int k;
    apr_status_t rv;

    if (idx < 0 || idx >= set->nfamilies) {
        *err = "no such family";
        return APR_ENOENT;
    }
    if ((rv = wr_family_attr_check(key, value, &k, err, set->pool))
        != APR_SUCCESS) {
        return rv;
    }
    fam = &set->families[idx];
    fam->attrs[k] = apr_pstrdup(set->pool, value);
    if (!strcmp(key, "confidence")) {
        wr_confidence_parse(value, &fam->confidence);
    }
    return APR_SUCCESS;
}

const char *wr_sigset_family_attr(const wr_sigset_t *set, int idx,
                                  const char *key)
{
    int k = wr_family_key_index(key);

    if (idx < 0 || idx >= set->nfamilies || k < 0) {
        return NULL;
    }
    return set->families[idx].attrs[k] ? set->families[idx].attrs[k]
                                       : wr_family_key_default(k);
}

wr_confidence_t wr_sigset_family_confidence(const wr_sigset_t *set, int idx)
{
    return idx >= 0 && idx < set->nfamilies ? set->families[idx].confidence
                                            : WR_CONFIDENCE_CERTAIN;
}

int wr_sigset_pattern_count(const wr_sigset_t *set)
{
    return set->npatterns;
}

const char *wr_sigset_unfiltered(const wr_sigset_t *set, int idx)
{
    const apr_array_header_t *a;
    int k;

    if (idx < 0 || idx >= set->nfamilies) {
        return NULL;
    }
    a = set->families[idx].sigs;
    for (k = 0; k < a->nelts; k++) {
        if (!APR_ARRAY_IDX(a, k, wr_sig_t).filtered) {
            return APR_ARRAY_IDX(a, k, wr_sig_t).origin;
        }
    }
    return NULL;
}

wr_family_mask_t wr_sigset_default_mask(const wr_sigset_t *set)
{
    wr_family_mask_t m = 0;
    int f;

    for (f = 0; f < set->nfamilies; f++) {
        if (set->families[f].default_on) {
            m |= (wr_family_mask_t)1 << f;
        }
    }
    return m;
}

wr_family_mask_t wr_sigset_all_mask(const wr_sigset_t *set)
{
    return set->all;
}

/* A match needs a small pcre2_match_data (one ovector pair: only whether
 * the pattern matched is used). Made for one match, it is carved out of a
 * buffer on the matching thread's stack rather than malloc'ed and freed
 * for every suspect request; anything larger (the interpreter's frames
 * when there is no JIT) falls back to malloc. */
typedef struct {
    size_t used;
    _Alignas(max_align_t) char buf[512];
} md_arena_t;

static void *arena_malloc(PCRE2_SIZE size, void *data)
{
    md_arena_t *a = data;
    size_t need = (size + 15) & ~(size_t)15;

    if (need <= sizeof(a->buf) - a->used) {
        void *p = a->buf + a->used;
        a->used += need;
        return p;
    }
    return malloc(size);
}

static void arena_free(void *p, void *data)
{
    md_arena_t *a = data;

    if (p != NULL && ((char *)p < a->buf
                      || (char *)p >= a->buf + sizeof(a->buf))) {
        free(p);
    }
}

/* A JIT-compiled pattern keeps nothing in the match data but its result,
 * so each thread makes one match data for pcre2_jit_match, once, and a
 * probe pays for none. Thread-local storage holds only its address (a
 * module's TLS must stay small: past the few hundred bytes that glibc
 * keeps for dlopen'ed objects, every access, the counters' on every
 * request included, takes the slow path). It is made with PCRE2's
 * default memory functions, one malloc'ed block with nothing hanging
 * from it once pcre2_jit_match is all that runs it, so libc's own free
 * releases it when the thread ends, through a key whose destructor is
 * free: nothing refers to this code, which httpd unloads and reloads
 * between configuration passes. A thread that cannot have one (no key,
 * no memory) makes a match data per match, as the interpreter does. */
static __thread pcre2_match_data *thread_md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static pthread_key_t md_key;
static int md_key_ok;

static void md_key_create(void)
{
    md_key_ok = pthread_key_create(&md_key, free) == 0;
}

/* jit_md - the calling thread's match data for pcre2_jit_match, made on
 * its first call; NULL if it cannot have one */
static __attribute__((noinline)) pcre2_match_data *jit_md(void)
{
    pcre2_match_data *md;

    if (pthread_once(&md_once, md_key_create) != 0 || !md_key_ok
        || (md = pcre2_match_data_create(1, NULL)) == NULL) {
        return NULL;
    }
    if (pthread_setspecific(md_key, md) != 0) {
        pcre2_match_data_free(md);
        return NULL;
    }
    thread_md = md;
    return md;
}

/* match_suspect - the full match of a request the prefilter could not
 * rule out: which windows occur where, the normalised form if a pattern
 * needs it, and the patterns whose window was seen. Kept out of line so
 * that the rejection in wr_match_request stays small. */
static __attribute__((noinline)) int
match_suspect(const wr_sigset_t *set, wr_family_mask_t mask,
              const wr_request_t *req, wr_match_t *m)
{
    char norm[WR_NORM_MAX + 1];
    size_t normlen = 0, linelen = req->line_len;
    int norm_state = 0, f, k, found = 0;
    hits_t norm_hits = 0;
    scan_t raw;
    md_arena_t arena;
    pcre2_general_context *gc = NULL;
    pcre2_match_data *md = NULL, *jmd = NULL;

    /* The raw target is looked at as far as a window of the first active
     * family, whose patterns run first: the rest only when a signature
     * asks for a window not seen yet, or for all of it (a "norm" one:
     * whether anything is encoded). */
    scan_start(&raw, req->target, req->target_len);
    if (req->method && req->method_len >= 4) {
        scan(set, req->method, req->method_len, &raw.hits);
    }
    for (f = 0; f < set->nfamilies && !(mask & ((wr_family_mask_t)1 << f));
         f++) {
    }
    scan_to(set, &raw, f < set->nfamilies ? set->families[f].wbits : 0);
    /* Without encodings the normalised target is the lower-cased one,
     * whose windows the caseless scan has seen already. (No window at
     * all: the scan has run to the end.) */
    if (raw.hits == 0 && !(mask & set->unfiltered)) {
        if (!raw.encoded) {
            return 0;
        }
        normlen = wr_normalize(req->target, req->target_len, norm,
                               sizeof(norm));
        norm_state = 1;
        scan(set, norm, normlen, &norm_hits);
        if (norm_hits == 0) {
            return 0;
        }
    }
    for (f = 0; f < set->nfamilies && !found; f++) {
        const apr_array_header_t *a;
        if (!(mask & ((wr_family_mask_t)1 << f))) {
            continue;
        }
        a = set->families[f].sigs;
        for (k = 0; k < a->nelts; k++) {
            const wr_sig_t *sig = &APR_ARRAY_IDX(a, k, wr_sig_t);
            const char *subj;
            size_t slen;
            int rc;

            if (sig->subj == WR_SUBJ_LINE && !req->line) {
                continue;
            }
            /* A pattern runs when its window was seen in the target (or,
             * for a norm one, in the normalised target when anything was
             * encoded); one without a window always runs. The normalised
             * form is made only when a signature needs it: a Code Red
             * request is matched raw before any decoding. */
            if (!sig->filtered) {
                if (sig->subj == WR_SUBJ_NORM && norm_state == 0) {
                    scan_to(set, &raw, 0);
                    normlen = wr_normalize(req->target, req->target_len,
                                           norm, sizeof(norm));
                    norm_state = 1;
                    if (raw.encoded) {
                        scan(set, norm, normlen, &norm_hits);
                    }
                }
            }
            else if (!seen(raw.hits, sig)) {
                if (!raw.done) {
                    scan_to(set, &raw,
                            sig->subj == WR_SUBJ_NORM ? 0 : sig->wbit);
                }
                if (!seen(raw.hits, sig)) {
                    /* the scan has run to the end */
                    if (sig->subj != WR_SUBJ_NORM || !raw.encoded) {
                        continue;
                    }
                    if (norm_state == 0) {
                        normlen = wr_normalize(req->target, req->target_len,
                                               norm, sizeof(norm));
                        norm_state = 1;
                        scan(set, norm, normlen, &norm_hits);
                    }
                    if (!seen(norm_hits, sig)) {
                        continue;
                    }
                }
            }
            switch (sig->subj) {
            case WR_SUBJ_RAW:
                subj = req->target;
                slen = req->target_len;
                break;
            case WR_SUBJ_LINE:
                if (linelen == WR_LEN_UNKNOWN) {
                    linelen = strlen(req->line);
                }
                subj = req->line;
                slen = linelen;
                break;
            default:
                /* made here for a pattern whose window the raw target
                 * has: scanned too, or a later norm pattern whose window
                 * only decoding reveals would be passed over */
                if (norm_state == 0) {
                    scan_to(set, &raw, 0);
                    normlen = wr_normalize(req->target, req->target_len, norm,
                                           sizeof(norm));
                    norm_state = 1;
                    if (raw.encoded) {
                        scan(set, norm, normlen, &norm_hits);
                    }
                }
                subj = norm;
                slen = normlen;
                break;
            }
            /* pcre2_jit_match: what pcre2_match does with JIT code, without
             * the checks of options and context that it makes first */
            if (sig->jit && (jmd != NULL || (jmd = thread_md) != NULL
                             || (jmd = jit_md()) != NULL)) {
                rc = pcre2_jit_match(sig->code, (PCRE2_SPTR)subj, slen, 0, 0,
                                     jmd, NULL);
            }
            else {
                if (md == NULL) {
                    arena.used = 0;
                    gc = pcre2_general_context_create(arena_malloc,
                                                      arena_free, &arena);
                    if (gc == NULL
                        || (md = pcre2_match_data_create(1, gc)) == NULL) {
                        break;
                    }
                }
                rc = pcre2_match(sig->code, (PCRE2_SPTR)subj, slen, 0, 0, md,
                                 NULL);
            }
            if (rc >= 0) {
                m->family = f;
                m->name = set->families[f].name;
                m->origin = sig->origin;
                found = 1;
                break;
            }
        }
    }
    if (md) {
        pcre2_match_data_free(md);
    }
    if (gc) {
        pcre2_general_context_free(gc);
    }
    return found;
}

/* suspect_slow - a marked pair was seen: whether it really starts one of
 * the filter's windows (or an encoding) */
static __attribute__((noinline)) int
suspect_slow(const wr_sigset_t *set, const char *target, size_t target_len,
             const char *method, size_t method_len)
{
    return suspect(set, target, target_len)
           || (method != NULL && method_len >= 4
               && suspect(set, method, method_len));
}

int wr_match_suspect(const wr_sigset_t *set, wr_family_mask_t mask,
                     const char *target, size_t target_len,
                     const char *method, size_t method_len)
{
    mask &= set->all;
    if (mask == 0) {
        return 0;
    }
    if ((mask & set->unfiltered)
        || !wr_pairs_clear(set->pair, target, target_len)
        || (method != NULL && method_len >= 4
            && !wr_pairs_clear(set->pair, method, method_len))) {
        return (mask & set->unfiltered)
               || suspect_slow(set, target, target_len, method, method_len);
    }
    return 0;
}

const unsigned char *wr_sigset_pairs(const wr_sigset_t *set,
                                     wr_family_mask_t mask)
{
    mask &= set->all;
    return mask == 0 || (mask & set->unfiltered) ? NULL : set->pair;
}

int wr_match_request(const wr_sigset_t *set, wr_family_mask_t mask,
                     const wr_request_t *req, wr_match_t *m)
{
    m->family = -1;
    m->name = NULL;
    m->origin = NULL;
    /* The cheap rejection: an ordinary request ends here, with no
     * allocation, no copy and no regex run. */
    if (!wr_match_suspect(set, mask, req->target, req->target_len,
                          req->method, req->method_len)) {
        return 0;
    }
    return match_suspect(set, mask & set->all, req, m);
}

int wr_match_suspected(const wr_sigset_t *set, wr_family_mask_t mask,
                       const wr_request_t *req, wr_match_t *m)
{
    m->family = -1;
    m->name = NULL;
    m->origin = NULL;
    mask &= set->all;
    return mask != 0 && match_suspect(set, mask, req, m);
}

void wr_requestline_target(const char *line, size_t len,
                           const char **target, size_t *tlen)
{
    const char *b = line, *end = line + len, *e;

    while (end > b && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'
                       || end[-1] == '\n')) {
        end--;
    }
    if (b < end && *b != '/') {
        const char *sp = memchr(b, ' ', (size_t)(end - b));
        b = sp ? sp : end;
    }
    while (b < end && *b == ' ') {
        b++;
    }
    e = end;
    /* a trailing protocol token is not part of the target */
    {
        const char *p = e;
        while (p > b && p[-1] != ' ') {
            p--;
        }
        if (p > b && (size_t)(e - p) >= 5 && !memcmp(p, "HTTP/", 5)) {
            e = p;
            while (e > b && e[-1] == ' ') {
                e--;
            }
        }
    }
    *target = b;
    *tlen = (size_t)(e - b);
}

void wr_request_from_line(const char *line, size_t len, wr_request_t *req)
{
    const char *sp;

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n')) {
        len--;
    }
    wr_requestline_target(line, len, &req->target, &req->target_len);
    req->line = line;
    req->line_len = len;
    req->method = NULL;
    req->method_len = 0;
    if (len > 0 && line[0] != '/'
        && (sp = memchr(line, ' ', len)) != NULL) {
        req->method = line;
        req->method_len = (size_t)(sp - line);
    }
}

int wr_match_line(const wr_sigset_t *set, wr_family_mask_t mask,
                  const char *line, size_t len, wr_match_t *m)
{
    wr_request_t req;

    wr_request_from_line(line, len, &req);
    return wr_match_request(set, mask, &req, m);
}
