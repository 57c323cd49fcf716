/* system.c — /healthz, /metrics and the OpenAPI document. */
#include "api.h"

#include "../core/buf.h"

#ifndef SANAD_VERSION
#define SANAD_VERSION "dev"
#endif

int api_healthz(api_ctx *c, sn_err *e)
{
    (void)e;
    http_respond_json(c->req, 200, json_pack("{s:s, s:s, s:s}", "status", "ok", "db",
                                             store_kind_name(c->db), "version", SANAD_VERSION));
    return 0;
}

int api_metrics(api_ctx *c, sn_err *e)
{
    buf out;
    buf_init(&out, 1 << 22);
    if (metrics_render(&out, api_route_patterns(), api_route_count) < 0) {
        buf_fini(&out);
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot render metrics");
    }
    http_respond(c->req, 200, "text/plain; version=0.0.4", out.data, out.len);
    buf_fini(&out);
    return 0;
}

int api_openapi(api_ctx *c, sn_err *e)
{
    json_t *doc = openapi_document();
    if (!doc) return sn_fail(e, SN_EINTERNAL, NULL, "cannot build the OpenAPI document");
    http_respond_json(c->req, 200, doc);
    return 0;
}
