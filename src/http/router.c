/* router.c — match a method and path against the route table; collect {param} values. */
#include "http.h"

#include <stdlib.h>
#include <string.h>

/* Match one pattern; on success the {…} segment values are stored in req->params. */
static int pattern_match(const char *pattern, const char *path, http_req *req)
{
    const char *p = pattern, *s = path;
    char *vals[HTTP_MAX_PARAMS];
    int n = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *pend = strchr(p, '}');
            const char *send = strchr(s, '/');
            size_t len = send ? (size_t)(send - s) : strlen(s);
            if (!pend || len == 0 || n == HTTP_MAX_PARAMS) goto fail;
            vals[n] = strndup(s, len);
            if (!vals[n]) goto fail;
            n++;
            p = pend + 1;
            s += len;
            continue;
        }
        if (*p != *s) goto fail;
        p++;
        s++;
    }
    if (*p || *s) goto fail;
    for (int i = 0; i < n; i++) req->params[i] = vals[i];
    req->nparams = n;
    return 1;
fail:
    for (int i = 0; i < n; i++) free(vals[i]);
    return 0;
}

int router_match(http_req *req, const http_route_key *routes, int n, char *allow, size_t allow_size)
{
    int path_known = 0;
    size_t used = 0;
    allow[0] = '\0';
    for (int i = 0; i < n; i++) {
        http_req probe = {0};
        if (!pattern_match(routes[i].pattern, req->path, &probe)) continue;
        if (!strcmp(routes[i].method, req->method) ||
            (!strcmp(req->method, "HEAD") && !strcmp(routes[i].method, "GET"))) {
            for (int k = 0; k < probe.nparams; k++) req->params[k] = probe.params[k];
            req->nparams = probe.nparams;
            req->route = i;
            req->route_pattern = routes[i].pattern;
            return ROUTER_MATCH;
        }
        for (int k = 0; k < probe.nparams; k++) free(probe.params[k]);
        if (!strstr(allow, routes[i].method)) {
            size_t len = strlen(routes[i].method);
            if (used + len + 3 < allow_size) {
                if (used) {
                    memcpy(allow + used, ", ", 2);
                    used += 2;
                }
                memcpy(allow + used, routes[i].method, len + 1);
                used += len;
            }
        }
        path_known = 1;
    }
    return path_known ? ROUTER_METHOD : ROUTER_NOT_FOUND;
}
