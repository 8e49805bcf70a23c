/* test_corpus.c - the builtin signatures against the labelled real corpus
 *
 * t/data/labelled.tsv and t/data/labelled-binary.tsv hold real request and
 * log lines (label<TAB>line<TAB>source, a header first). Every Code Red
 * and Nimda row must be found as such, at least 97% of the other IIS-era
 * probes as "iis", and no legitimate request may be flagged. What the
 * builtin set makes of later scanners ("modern-*") is only reported.
 * t/data/labelled-lookalikes.tsv (issue 13) holds the requests of real
 * Office, IE and FrontPage clients, labelled legit, and real worm-era
 * probes through the query string, labelled iis-other: every one of its
 * rows must come out exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "test-lib.h"
#include "wr_logparse.h"
#include "wr_match.h"

/* the corpus files are small; anything bigger is not the corpus */
#define CORPUS_MAX (16 * 1024 * 1024)
#define MAX_MODERN 64

typedef struct {
    unsigned long rows;
    unsigned long codered, codered_hit;
    unsigned long nimda, nimda_hit;
    unsigned long iis, iis_hit;
    unsigned long legit, legit_flagged;
    unsigned long modern, modern_flagged;
    unsigned long high_bytes_rows, longest;
    unsigned long malformed;
} stats_t;

static wr_sigset_t *set;
static wr_family_mask_t mask;

/* per-label tally of the modern-* rows, for the report only */
static struct {
    char label[64];
    unsigned long rows, flagged;
} modern[MAX_MODERN];
static int nmodern;

/* modern_count - count one modern-* row under its label */
static void modern_count(const char *label, int flagged)
{
    int i;

    for (i = 0; i < nmodern; i++) {
        if (!strcmp(modern[i].label, label)) {
            break;
        }
    }
    if (i == nmodern) {
        if (nmodern == MAX_MODERN) {
            return;
        }
        snprintf(modern[i].label, sizeof(modern[i].label), "%s", label);
        nmodern++;
    }
    modern[i].rows++;
    modern[i].flagged += (unsigned long)flagged;
}

/* read_file - the whole file as bytes; NULL (with a diagnostic) on error */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;

    if (f == NULL) {
        printf("# cannot open %s\n", path);
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || size > CORPUS_MAX || fseek(f, 0, SEEK_SET) != 0) {
        printf("# cannot size %s\n", path);
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        printf("# cannot read %s\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

/* classify - the family a corpus line gets: its quoted request field if
 * it is a log line, else the line itself as a request line */
static const char *classify(const char *line, size_t len, char *req,
                            size_t reqsize)
{
    size_t rlen;
    int truncated;
    wr_match_t m;
    int hit;

    if (wr_logline_request(line, len, req, reqsize, &rlen, &truncated)) {
        hit = wr_match_line(set, mask, req, rlen, &m);
    }
    else {
        hit = wr_match_line(set, mask, line, len, &m);
    }
    return hit ? m.name : "-";
}

/* show - print a line as a diagnostic, high and control bytes escaped */
static void show(const char *what, const char *label, const char *got,
                 const char *line, size_t len)
{
    size_t i;

    printf("# %s: %s -> %s: ", what, label, got);
    for (i = 0; i < len && i < 160; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c >= 0x20 && c < 0x7f) {
            putchar(c);
        }
        else {
            printf("\\x%02x", c);
        }
    }
    printf("%s\n", len > 160 ? "..." : "");
}

/* run_file - classify every row of one corpus file into st */
static void run_file(const char *path, stats_t *st)
{
    size_t len = 0, off;
    char *buf = read_file(path, &len), *req;
    int first = 1;

    if (!check(buf != NULL, "read %s", path)) {
        return;
    }
    req = malloc(len + 1);
    if (req == NULL) {
        check(0, "allocate for %s", path);
        free(buf);
        return;
    }
    for (off = 0; off < len;) {
        char *eol = memchr(buf + off, '\n', len - off);
        size_t end = eol ? (size_t)(eol - buf) : len;
        char *row = buf + off, *tab1, *tab2;
        size_t rowlen = end - off, llen, i;
        const char *label, *got;
        int high = 0;

        off = end + 1;
        if (first) {
            char header[32];
            first = 0;
            snprintf(header, sizeof(header), "%.*s",
                     (int)(rowlen < 31 ? rowlen : 31), row);
            check_str(header, "label\tline\tsource", "%s: header line", path);
            continue;
        }
        if (rowlen == 0) {
            continue;
        }
        tab1 = memchr(row, '\t', rowlen);
        tab2 = NULL;
        for (i = rowlen; i > 0; i--) {
            if (row[i - 1] == '\t') {
                tab2 = row + i - 1;
                break;
            }
        }
        if (tab1 == NULL || tab2 == NULL || tab2 == tab1) {
            st->malformed++;
            show("malformed row", path, "?", row, rowlen);
            continue;
        }
        *tab1 = '\0';
        label = row;
        row = tab1 + 1;
        llen = (size_t)(tab2 - row);
        for (i = 0; i < llen; i++) {
            high |= (unsigned char)row[i] >= 0x80;
        }
        st->rows++;
        st->high_bytes_rows += (unsigned long)high;
        if (llen > st->longest) {
            st->longest = llen;
        }
        got = classify(row, llen, req, len + 1);
        if (!strcmp(label, "codered")) {
            st->codered++;
            if (!strcmp(got, "codered")) {
                st->codered_hit++;
            }
            else {
                show("missed", label, got, row, llen);
            }
        }
        else if (!strcmp(label, "nimda")) {
            st->nimda++;
            if (!strcmp(got, "nimda")) {
                st->nimda_hit++;
            }
            else {
                show("missed", label, got, row, llen);
            }
        }
        else if (!strcmp(label, "iis-other")) {
            st->iis++;
            if (!strcmp(got, "iis")) {
                st->iis_hit++;
            }
            else {
                show("missed", label, got, row, llen);
            }
        }
        else if (!strcmp(label, "legit")) {
            st->legit++;
            if (strcmp(got, "-")) {
                st->legit_flagged++;
                show("FLAGGED legit", label, got, row, llen);
            }
        }
        else if (!strncmp(label, "modern-", 7)) {
            st->modern++;
            if (strcmp(got, "-")) {
                st->modern_flagged++;
                show("modern row flagged", label, got, row, llen);
            }
            modern_count(label, strcmp(got, "-") != 0);
        }
        else {
            st->malformed++;
            show("unknown label", label, got, row, llen);
        }
    }
    free(req);
    free(buf);
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool;
    const char *err = NULL, *top = getenv("WORMREPLY_TOP");
    char path[4096];
    stats_t st, bin, look;
    double iis_pct;

    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    wr_sigset_create(&set, pool);
    if (!check_int(wr_sigset_load_builtin(set, &err), APR_SUCCESS,
                   "builtin set loads")) {
        return done_testing();
    }
    mask = wr_sigset_default_mask(set);
    if (top == NULL || *top == '\0') {
        top = ".";
    }

    memset(&st, 0, sizeof(st));
    snprintf(path, sizeof(path), "%s/t/data/labelled.tsv", top);
    run_file(path, &st);
    memset(&bin, 0, sizeof(bin));
    snprintf(path, sizeof(path), "%s/t/data/labelled-binary.tsv", top);
    run_file(path, &bin);

    memset(&look, 0, sizeof(look));
    snprintf(path, sizeof(path), "%s/t/data/labelled-lookalikes.tsv", top);
    run_file(path, &look);
    check_int(look.malformed, 0, "lookalikes: every row well-formed");
    check(look.legit >= 9 && look.iis >= 8, "lookalikes: %lu clients, %lu "
          "query-string probes", look.legit, look.iis);
    check_int(look.legit_flagged, 0, "lookalikes: no client request flagged");
    check_int(look.iis_hit, look.iis, "lookalikes: every query-string probe "
              "is iis (%lu/%lu)", look.iis_hit, look.iis);

    /* the binary file: one 8 KB row of raw high bytes, read as bytes */
    check_int(bin.rows, 1, "labelled-binary.tsv: one row");
    check_int(bin.high_bytes_rows, 1, "its row holds raw high bytes");
    check(bin.longest >= 8192, "its row is %lu bytes", bin.longest);
    check_int(bin.iis_hit, bin.iis, "the binary SEARCH overflow is iis");

    st.rows += bin.rows;
    st.codered += bin.codered;
    st.codered_hit += bin.codered_hit;
    st.nimda += bin.nimda;
    st.nimda_hit += bin.nimda_hit;
    st.iis += bin.iis;
    st.iis_hit += bin.iis_hit;
    st.legit += bin.legit;
    st.legit_flagged += bin.legit_flagged;
    st.modern += bin.modern;
    st.modern_flagged += bin.modern_flagged;
    st.malformed += bin.malformed;

    check_int(st.malformed, 0, "every row has a known label and 3 fields");
    /* guard against an empty or truncated corpus passing vacuously */
    check(st.codered >= 4 && st.nimda >= 32 && st.iis >= 80
          && st.legit >= 150, "corpus size: codered %lu, nimda %lu, "
          "iis-other %lu, legit %lu", st.codered, st.nimda, st.iis, st.legit);
    check_int(st.codered_hit, st.codered, "every codered row is codered "
              "(%lu/%lu)", st.codered_hit, st.codered);
    check_int(st.nimda_hit, st.nimda, "every nimda row is nimda (%lu/%lu)",
              st.nimda_hit, st.nimda);
    iis_pct = st.iis ? 100.0 * (double)st.iis_hit / (double)st.iis : 0.0;
    printf("# recall: codered %lu/%lu, nimda %lu/%lu, iis-other %lu/%lu "
           "(%.1f%%)\n", st.codered_hit, st.codered, st.nimda_hit, st.nimda,
           st.iis_hit, st.iis, iis_pct);
    check(st.iis > 0 && st.iis_hit * 100 >= st.iis * 97,
          "at least 97%% of iis-other rows are iis (%.1f%%)", iis_pct);
    printf("# precision: legit flagged %lu/%lu\n", st.legit_flagged,
           st.legit);
    check_int(st.legit_flagged, 0, "no legit row flagged");
    printf("# modern-* rows (not IIS-era, reported only): %lu of %lu "
           "flagged\n", st.modern_flagged, st.modern);
    {
        int i;
        for (i = 0; i < nmodern; i++) {
            printf("#   %s: %lu of %lu flagged\n", modern[i].label,
                   modern[i].flagged, modern[i].rows);
        }
    }

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
