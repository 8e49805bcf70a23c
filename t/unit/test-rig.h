/* test-rig.h - what the C unit tests that talk to the SMTP rig
 * (t/rig/smtp.sh) or read files share: a whole file, whether exim greets
 * on a port, and the Maildir copies of a message
 *
 * Included by one test file each (static functions, unused ones allowed).
 */
#ifndef WR_TEST_RIG_H
#define WR_TEST_RIG_H

#include <dirent.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_time.h>

/* tl_slurp - a whole file, NUL-terminated, in `p`; *len (may be NULL) gets
 * its length. @return NULL if it cannot be read */
__attribute__((unused))
static char *tl_slurp(const char *path, apr_size_t *len, apr_pool_t *p)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf;

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS) {
        return NULL;
    }
    apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    n = (apr_size_t)fi.size;
    buf = apr_palloc(p, n + 1);
    apr_file_read_full(f, buf, n, &n);
    buf[n] = '\0';
    apr_file_close(f);
    if (len) {
        *len = n;
    }
    return buf;
}

/* tl_smtp_greets - whether an SMTP server greets on 127.0.0.1:port (3 s) */
__attribute__((unused))
static int tl_smtp_greets(int port)
{
    struct sockaddr_in sa;
    struct timeval tv = { 3, 0 };
    char buf[4] = "";
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0
        && recv(fd, buf, 3, MSG_WAITALL) == 3 && !memcmp(buf, "220", 3)) {
        ok = 1;
    }
    close(fd);
    return ok;
}

/* tl_maildir_copies - the files of the rig's Maildir (RUN/Maildir, new/
 * and cur/) that hold Message-ID <msgid>, waiting up to 10 s for at least
 * `want` (exim delivers after its 250); *text (may be NULL) gets one of
 * them, in `p` */
__attribute__((unused))
static int tl_maildir_copies(const char *run, const char *msgid, int want,
                             char **text, apr_pool_t *p)
{
    static const char *const sub[] = { "/Maildir/new", "/Maildir/cur" };
    const char *hdr = apr_pstrcat(p, "\nMessage-ID: <", msgid, ">\n", NULL);
    int tries, n = 0;

    for (tries = 0; tries < 200; tries++) {
        int k;

        n = 0;
        for (k = 0; k < 2; k++) {
            const char *dir = apr_pstrcat(p, run, sub[k], NULL);
            DIR *dh = opendir(dir);
            struct dirent *e;

            while (dh && (e = readdir(dh)) != NULL) {
                apr_pool_t *fp;
                char *t;

                if (e->d_name[0] == '.') {
                    continue;
                }
                apr_pool_create(&fp, p);
                t = tl_slurp(apr_pstrcat(fp, dir, "/", e->d_name, NULL),
                             NULL, fp);
                if (t && strstr(t, hdr)) {
                    n++;
                    if (text) {
                        *text = apr_pstrdup(p, t);
                    }
                }
                apr_pool_destroy(fp);
            }
            if (dh) {
                closedir(dh);
            }
        }
        if (n >= want) {
            break;
        }
        apr_sleep(apr_time_from_msec(50));
    }
    return n;
}

#endif
