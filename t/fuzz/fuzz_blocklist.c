/* fuzz_blocklist.c - libFuzzer target over the blocklist's parsers and
 * writer: wr_time_parse (RFC 3339), wr_duration_parse (the window),
 * wr_blocklist_exempt, wr_blocklist_add, wr_blocklist_format_parse and
 * wr_blocklist_write, as `wormreply blocklist` strings them together
 *
 * The input is NUL-separated fields (fuzz-lib.h):
 *   1  --now, an RFC 3339 time (refused: 2024-05-01T12:00:00Z)
 *   2  --since, a duration (refused or not positive: 1h)
 *   3  --format (refused: the first byte picks one)
 *   4+ one of: "x<cidr>" an exempt network, "a<address>" a sighting at
 *      now, "a<address>@<time>" a sighting at that time, "s<set>",
 *      "f<nft family>", "t<nft table>", "T<txt>" a name, anything else a
 *      time for wr_time_parse alone
 * Besides what ASan and UBSan catch, the target stops when:
 * - an accepted time does not survive wr_time_format and back (to the
 *   second), or a plain "YYYY-MM-DDTHH:MM:SSZ" (not a leap second) is not
 *   written back as itself;
 * - wr_blocklist_add calls an address bad that inet_pton reads, or the
 *   reverse, or the counts disagree with the results;
 * - the written list is not whole lines, names an address in a form
 *   other than the canonical one, out of order, a count of hosts other
 *   than the stats say, or a timeout below one second; or something was
 *   written although the names were refused.
 */
#include <arpa/inet.h>
#include <stdint.h>

#include <apr_lib.h>

#include "fuzz-lib.h"
#include "wr_blocklist.h"
#include "wr_time.h"

#define MAX_OPS 64

/* pton - the 16-byte key wr_blocklist uses (IPv4 mapped), -1 if neither */
static int pton(const char *s, size_t len, unsigned char out[16], int *v4)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                             0xff, 0xff};
    char buf[64];

    if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len)) {
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, out + 12) == 1) {
        memcpy(out, mapped, 12);
        *v4 = 1;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
        *v4 = memcmp(out, mapped, 12) == 0;
        return 0;
    }
    return -1;
}

/* check_time - an accepted time round-trips through wr_time_format */
static void check_time(const char *s, size_t size)
{
    apr_time_t t, back;
    char buf[32];
    int plain;

    if (wr_time_parse(s, WR_TIME_RFC3339, &t) != APR_SUCCESS) {
        return;
    }
    wr_time_format(buf, sizeof(buf), WR_TIME_RFC3339, t);
    if (wr_time_parse(buf, WR_TIME_RFC3339, &back) != APR_SUCCESS
        || back != t - (t % APR_USEC_PER_SEC
                        + (t % APR_USEC_PER_SEC < 0 ? APR_USEC_PER_SEC
                                                     : 0))) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "time '%s' written as '%s' "
                                 "does not read back", s, buf), size);
    }
    /* a leap second (":60") is read as the next second */
    plain = strlen(s) == 20 && (s[19] == 'Z' || s[19] == 'z')
            && strncmp(s + 17, "60", 2) != 0;
    if (plain && strncasecmp(buf, s, 20) != 0) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "time '%s' written as '%s'",
                                 s, buf), size);
    }
}

/* check_output - the written list against the contract */
static void check_output(const char *out, size_t len,
                         wr_blocklist_format_t f,
                         const wr_blocklist_stats_t *st, size_t size)
{
    const char *line = out, *end = out + len;
    unsigned char prev[16], cur[16];
    int have_prev = 0, prev_v4 = 1, v4;
    unsigned long listed = 0;

    if (len > 0 && out[len - 1] != '\n') {
        fuzz_broken("output does not end in a newline", size);
    }
    if (memchr(out, '\0', len) != NULL) {
        fuzz_broken("NUL in the output", size);
    }
    while (line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        const char *a = NULL, *ae, *to;
        size_t n = (size_t)(eol - line);
        char canon[64];

        switch (f) {
        case WR_BLOCKLIST_PLAIN:
            a = line;
            break;
        case WR_BLOCKLIST_RBLDNSD:
            if (n > 0 && (apr_isdigit(line[0]) || line[0] == ':')
                && memchr(line, ' ', n) != NULL && line[0] != ':') {
                a = line;
            }
            break;
        case WR_BLOCKLIST_IPSET:
            if (n > 4 && memcmp(line, "add ", 4) == 0) {
                a = memchr(line + 4, ' ', n - 4);
                a = a ? a + 1 : NULL;
            }
            break;
        case WR_BLOCKLIST_NFTABLES:
            if (n > 12 && memcmp(line, "add element ", 12) == 0) {
                a = memchr(line, '{', n);
                a = a ? a + 2 : NULL;
            }
            break;
        }
        if (a != NULL) {
            for (ae = a; ae < eol && *ae != ' ' && *ae != '\t'; ae++) {
            }
            if (pton(a, (size_t)(ae - a), cur, &v4) != 0) {
                fuzz_broken("an entry that is not an address", size);
            }
            if (v4) {
                inet_ntop(AF_INET, cur + 12, canon, sizeof(canon));
            }
            else {
                inet_ntop(AF_INET6, cur, canon, sizeof(canon));
            }
            if (strlen(canon) != (size_t)(ae - a)
                || memcmp(canon, a, (size_t)(ae - a)) != 0) {
                fuzz_broken("an address not in canonical form", size);
            }
            if (have_prev && ((!prev_v4 && v4)
                              || (prev_v4 == v4
                                  && memcmp(prev, cur, 16) >= 0))) {
                fuzz_broken("entries out of order or repeated", size);
            }
            memcpy(prev, cur, 16);
            prev_v4 = v4;
            have_prev = 1;
            listed++;
            to = f == WR_BLOCKLIST_IPSET || f == WR_BLOCKLIST_NFTABLES
                 ? strstr(apr_pstrmemdup(fuzz_ipool, ae, (size_t)(eol - ae)),
                          " timeout ")
                 : NULL;
            if (f > WR_BLOCKLIST_RBLDNSD
                && (to == NULL || to[9] == '0' || !apr_isdigit(to[9]))) {
                fuzz_broken("a timeout below one second", size);
            }
        }
        line = eol + 1;
    }
    if (listed != (f == WR_BLOCKLIST_RBLDNSD ? st->hosts - st->hosts_v6
                                             : st->hosts)
        || (f == WR_BLOCKLIST_RBLDNSD && st->v6_left_out != st->hosts_v6)) {
        fuzz_broken(apr_psprintf(fuzz_ipool, "%lu entries written, stats "
                                 "say %lu hosts (%lu IPv6)", listed,
                                 st->hosts, st->hosts_v6), size);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init("fuzz_blocklist");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in;
    const char *s;
    apr_time_t now;
    apr_interval_time_t window;
    wr_blocklist_format_t f;
    wr_blocklist_names_t names;
    wr_blocklist_stats_t st;
    wr_blocklist_t *bl;
    unsigned long long results[5] = {0};
    unsigned long hosts_before;
    char *out = NULL;
    size_t outlen = 0;
    FILE *fp;
    apr_status_t rv;
    int ops = 0, k;

    fuzz_in(&in, data, size);
    s = fuzz_field(&in);
    if (s == NULL || wr_time_parse(s, WR_TIME_RFC3339, &now) != APR_SUCCESS) {
        wr_time_parse("2024-05-01T12:00:00Z", WR_TIME_RFC3339, &now);
    }
    if (s != NULL) {
        check_time(s, size);
    }
    s = fuzz_field(&in);
    if (s == NULL || wr_duration_parse(s, &window) != APR_SUCCESS
        || window <= 0) {
        window = apr_time_from_sec(3600);
    }
    s = fuzz_field(&in);
    if (s == NULL || wr_blocklist_format_parse(s, &f) != APR_SUCCESS) {
        f = (wr_blocklist_format_t)((s && *s ? (unsigned char)*s : 0) % 4);
    }
    if (wr_blocklist_create(&bl, now, window, 4 + size % 60, fuzz_ipool)
        != APR_SUCCESS) {
        /* a window the list cannot represent around `now` is refused */
        goto done;
    }
    wr_blocklist_names_init(&names);
    while ((s = fuzz_field(&in)) != NULL && ops++ < MAX_OPS) {
        switch (s[0]) {
        case 'x':
            wr_blocklist_exempt(bl, s + 1);
            break;
        case 'a': {
            const char *at = strchr(s + 1, '@');
            size_t alen = at ? (size_t)(at - s - 1) : strlen(s + 1);
            apr_time_t seen = now;
            unsigned char key[16];
            int v4, bad;
            wr_bl_result_t res;

            if (at != NULL
                && wr_time_parse(at + 1, WR_TIME_RFC3339, &seen)
                   != APR_SUCCESS) {
                seen = now;
            }
            wr_blocklist_stats(bl, &st);
            hosts_before = st.hosts;
            bad = pton(s + 1, alen, key, &v4) != 0;
            res = wr_blocklist_add(bl, s + 1, alen, seen);
            if ((res == WR_BL_BAD_ADDRESS) != bad) {
                fuzz_broken("wr_blocklist_add and inet_pton disagree on "
                            "an address", size);
            }
            if ((unsigned)res > WR_BL_DROPPED) {
                fuzz_broken("wr_blocklist_add result out of range", size);
            }
            results[res]++;
            wr_blocklist_stats(bl, &st);
            if (st.hosts != hosts_before
                && (res != WR_BL_LISTED || st.hosts != hosts_before + 1)) {
                fuzz_broken("host count moved by a sighting not listed",
                            size);
            }
            break;
        }
        case 's':
            names.set = s + 1;
            break;
        case 'f':
            names.nft_family = s + 1;
            break;
        case 't':
            names.nft_table = s + 1;
            break;
        case 'T':
            names.txt = s + 1;
            break;
        default:
            check_time(s, size);
            break;
        }
    }
    wr_blocklist_stats(bl, &st);
    for (k = 0; k < 5; k++) {
        if (st.sightings[k] != results[k]) {
            fuzz_broken("sighting counts disagree with the results", size);
        }
    }
    fp = open_memstream(&out, &outlen);
    if (fp == NULL) {
        abort();
    }
    rv = wr_blocklist_write(bl, f, &names, fp);
    fclose(fp);
    if (rv == APR_EINVAL) {
        if (outlen != 0) {
            fuzz_broken("names refused after output was written", size);
        }
    }
    else if (rv != APR_SUCCESS) {
        fuzz_broken("writing to memory failed", size);
    }
    else {
        wr_blocklist_stats(bl, &st);
        check_output(out, outlen, f, &st, size);
    }
    free(out);
done:
    apr_pool_clear(fuzz_ipool);
    return 0;
}
