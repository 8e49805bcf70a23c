/* wr_match_int.h - the signature set's representation, shared by the
 * matcher (wr_match.c) and the signature-file reader (wr_sigfile.c);
 * not for other files: wr_match.h is the interface */
#ifndef WR_MATCH_INT_H
#define WR_MATCH_INT_H

#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <apr_tables.h>

#include "wr_family.h"
#include "wr_match.h"

#define FILTER_BITS 16
#define FILTER_WORDS ((1u << FILTER_BITS) / 64)

typedef struct {
    int family;
    wr_subject_t subj;
    pcre2_code *code;
    const char *pattern;
    const char *origin;
    int filtered;               /* has a window: runs only when it is seen */
    uint64_t wbit;              /* its window's bit in a scan's hit set */
    int jit;                    /* JIT-compiled: run by pcre2_jit_match */
} wr_sig_t;

typedef struct {
    char name[WR_FAMILY_NAME_MAX + 1];
    const char *desc;
    const char *title;          /* "title NAME TEXT", NULL: none */
    const char *about;          /* "about NAME TEXT" lines, joined */
    int default_on;
    wr_confidence_t confidence; /* the "confidence" attribute, parsed */
    const char *attrs[WR_FAMILY_KEYS_MAX];  /* by key number; NULL: unset */
    int filtered;               /* every pattern has a literal window */
    uint64_t wbits;             /* the windows of its patterns, or'ed */
    apr_array_header_t *sigs;   /* of wr_sig_t */
} wr_family_t;

struct wr_sigset_t {
    apr_pool_t *pool;
    int nfamilies;
    wr_family_t families[WR_MAX_FAMILIES];
    wr_family_mask_t unfiltered;   /* families the prefilter cannot rule out */
    wr_family_mask_t all;          /* every declared family */
    int npatterns;
    /* The windows, by window_hash: a bit each for the prefilter's yes or
     * no (8 KiB, which stays in cache), and for the matcher which window
     * it is: its number + 1 (0: none), numbered as first keyed, modulo
     * 64 (the bits of a hit set: windows that share a bit only make a
     * signature run for nothing, never miss it). */
    uint64_t filter[FILTER_WORDS];
    unsigned nwindows;
    unsigned char widx[1u << FILTER_BITS];
    /* Indexed by two adjacent bytes as they come (b0 | b1 << 8): PAIR_WINDOW
     * if they are, in any case, two adjacent bytes of some pattern's window;
     * PAIR_ENCODED if either is a byte the normaliser decodes. */
    unsigned char pair[65536];
};

#define PAIR_WINDOW 1
#define PAIR_ENCODED 2
#define PAIR(a, b) ((unsigned)(a) | (unsigned)(b) << 8)

#endif
