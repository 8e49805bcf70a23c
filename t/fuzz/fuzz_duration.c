/* fuzz_duration.c - libFuzzer target over wr_duration_parse and
 * wr_duration_format
 *
 * The input, as a C string (cut at its first NUL), goes to
 * wr_duration_parse; besides what ASan and UBSan catch, the target stops
 * when the documented contract breaks:
 * - a refused string leaves *out untouched; an accepted one is made of
 *   digits and units only, never negative;
 * - an accepted value, formatted, parses back to itself when the format
 *   has no "us" (wr_time.h), and the format is canonical: it is its
 *   own format after the round trip;
 * - the first 8 bytes, read as any signed 64-bit value, format without
 *   overflow (INT64_MIN included) into the documented shape.
 */
#include <stdint.h>

#include <apr_lib.h>

#include "fuzz-lib.h"
#include "wr_time.h"

#define SENTINEL ((apr_interval_time_t)-424242)

/* check_format - format d and check the shape; round trip when it can */
static void check_format(apr_interval_time_t d, size_t size)
{
    const char *f = wr_duration_format(d, fuzz_ipool), *s;
    apr_interval_time_t back = SENTINEL;
    int neg = d < 0;

    if (f == NULL || f[0] == '\0' || (neg != (f[0] == '-'))) {
        fuzz_broken("wr_duration_format: empty or wrong sign", size);
    }
    for (s = f + neg; *s; s++) {
        if (!apr_isdigit(*s) && !strchr("dhmsu", *s)) {
            fuzz_broken("wr_duration_format: unexpected character", size);
        }
    }
    if (neg || strstr(f, "us") != NULL) {
        return;
    }
    if (wr_duration_parse(f, &back) != APR_SUCCESS || back != d) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "format '%s' does not parse "
                                 "back to %" APR_INT64_T_FMT, f, d), size);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init("fuzz_duration");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in;
    const char *s, *c;
    apr_interval_time_t d = SENTINEL;
    apr_status_t rv;

    fuzz_in(&in, data, size);
    s = fuzz_field(&in);
    if (s == NULL) {
        s = "";
    }
    rv = wr_duration_parse(s, &d);
    if (rv != APR_SUCCESS) {
        if (rv != APR_EINVAL || d != SENTINEL) {
            fuzz_broken("refused, but not APR_EINVAL or *out changed", size);
        }
    }
    else {
        if (d < 0 || s[0] == '\0') {
            fuzz_broken("accepted an empty string or gave a negative value",
                        size);
        }
        for (c = s; *c; c++) {
            if (!apr_isdigit(*c) && !strchr("wdhmsin.", *c)) {
                fuzz_broken("accepted a character that is neither a digit, "
                            "a unit nor a seconds' fraction point", size);
            }
        }
        check_format(d, size);
    }
    /* any 64-bit value formats */
    fuzz_in(&in, data, size);
    check_format((apr_interval_time_t)fuzz_u64(&in, 8), size);
    apr_pool_clear(fuzz_ipool);
    return 0;
}
