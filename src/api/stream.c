/* stream.c — GET /api/v1/stream: the live-update WebSocket. The dispatcher has already
 * authenticated the caller (session cookie or bearer token: 401 before any upgrade) and checked
 * the role; here come the handshake checks, the Origin check (403 before any upgrade), ?since=,
 * the caller's audience, and the 101 that hands the socket to the hub (src/hub/hub.h). */
#include "api.h"

#include "../hub/hub.h"
#include "../http/ws.h"

#include <errno.h>
#include <stdlib.h>

const query_spec stream_query[] = {
    {"since", FT_INTEGER,
     "resume after this event id (the last one received); without it, "
     "events from now on"},
    {NULL, 0, NULL},
};

/* What the upgrade callback needs once MHD has sent the 101. */
typedef struct stream_upgrade {
    hub *h;
    audience who;
    int64_t since;
} stream_upgrade;

static void on_upgraded(void *arg, int fd, const char *extra, size_t extra_len, http_upgraded *up)
{
    stream_upgrade *su = arg;
    if (hub_attach(su->h, fd, up, extra, extra_len, &su->who, su->since) < 0)
        http_upgraded_close(up);
    free(su);
}

/* Browsers always send Origin on a WebSocket handshake, so a cookie-authenticated one without
 * it is not from a page and is refused too; a bearer-token client may omit it. */
static int check_origin(api_ctx *c, sn_err *e)
{
    const char *origin = http_header_get(c->req, "Origin");
    if (!origin) {
        if (c->who.session_id)
            return sn_fail_slug(e, SN_EFORBIDDEN, "origin_required", NULL,
                                "an Origin header is required with a session cookie");
        return 0;
    }
    if (!ws_origin_allowed(c->req, origin, c->cfg->public_url, c->cfg->allowed_origins))
        return sn_fail_slug(e, SN_EFORBIDDEN, "origin_not_allowed", NULL,
                            "this Origin may not open the live stream");
    return 0;
}

static int parse_since(api_ctx *c, hub *h, int64_t *since, sn_err *e)
{
    const char *s = http_query(c->req, "since");
    if (!s || !*s) {
        *since = hub_last_id(h);
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0)
        return sn_fail(e, SN_EINVALID, "since", "since must be a non-negative event id");
    *since = v;
    return 0;
}

int api_stream(api_ctx *c, sn_err *e)
{
    hub *h = hub_running();
    if (!h) return sn_fail(e, SN_EUNAVAILABLE, NULL, "the live stream is not running");
    int rc = ws_handshake_check(c->req, e);
    if (rc == 0) rc = check_origin(c, e);
    stream_upgrade *su = NULL;
    if (rc == 0 && !(su = calloc(1, sizeof *su)))
        rc = sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    if (rc == 0) rc = parse_since(c, h, &su->since, e);
    if (rc == 0 && audience_of_user(c->db, c->who.user_id, c->who.roles, c->who.session_id,
                                    c->who.token_id, &su->who) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot read the caller's departments");
    if (rc < 0) {
        free(su);
        return rc;
    }
    su->h = h;
    ws_accept(c->req, on_upgraded, free, su);
    return 0;
}
