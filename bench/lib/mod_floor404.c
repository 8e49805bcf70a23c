/* mod_floor404.c - bench/run.sh's floor (cases K, L, M): a quick handler
 * that answers every request with the module's own 14-byte 404 and does
 * nothing else - no match, no counter, no note. What it costs is what
 * httpd itself charges for any answer given at the quick-handler stage
 * (reading and parsing the request, the response headers, the access log):
 * no module answering from that hook can cost less. Built by bench/run.sh
 * with apxs; never installed. */
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "http_request.h"
static int floor_quick(request_rec *r, int lookup)
{
    static const char body[] = "404 Not Found\n";
    if (lookup || r->main != NULL || r->prev != NULL)
        return DECLINED;
    r->status = HTTP_NOT_FOUND;
    ap_set_content_type(r, "text/plain");
    ap_set_content_length(r, sizeof(body) - 1);
    ap_rwrite(body, sizeof(body) - 1, r);
    return OK;
}
static void floor_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_quick_handler(floor_quick, NULL, NULL, APR_HOOK_REALLY_FIRST);
}
module AP_MODULE_DECLARE_DATA floor404_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, floor_hooks
};
