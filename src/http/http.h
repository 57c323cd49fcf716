/* http.h — the HTTP core: a libmicrohttpd server that hands each complete request to one
 * application callback, plus request accessors, response builders, the router and metrics.
 *
 * Request life cycle (one http_req per request, freed in one go after the response):
 *     headers arrive ─> body read into req->body (capped at body_limit, or upload_limit for
 *     multipart/form-data: past the cap the rest is dropped and req->body_too_large set — the
 *     app must then answer 413, as JSON or as a page) ─> app(req) ─> the app sets exactly one
 *     response ─> access log + metrics.
 * Every response carries X-Request-Id and the security headers (http_security_headers).
 * Knows nothing of users or databases. */
#ifndef SANAD_HTTP_H
#define SANAD_HTTP_H

#include "../core/buf.h"
#include "../core/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS 12

struct MHD_Connection;

/* An upgraded connection (WebSocket). Its socket belongs to whoever http_respond_upgrade named
 * until they call http_upgraded_close, which closes it (never close() it directly). */
typedef struct http_upgraded http_upgraded;
/* Called on an HTTP worker thread once the 101 response has been handed to the OS; must not
 * block. `extra` holds bytes the client sent after its request (treat them as read from fd);
 * `arg` now belongs to the callee. */
typedef void (*http_upgrade_fn)(void *arg, int fd, const char *extra, size_t extra_len,
                                http_upgraded *up);

typedef struct http_header {
    char *name, *value;
} http_header;

typedef struct http_req http_req;
struct http_req {
    struct MHD_Connection *conn;
    const char *method;
    const char *path;            /* decoded path without the query */
    char request_id[24];
    char ip[64];                 /* client address (X-Forwarded-For when from a trusted proxy) */
    buf body;
    int body_too_large;          /* the body passed its cap: the app answers 413 */
    int bad_uri;                 /* refused whole: the raw URI held %00, or its path or a query
                                  * value is not UTF-8 (server.c) */
    int64_t start_us;

    /* Filled by the router. */
    int route;                   /* index into the route table, -1 when none matched */
    const char *route_pattern;
    char *params[HTTP_MAX_PARAMS]; /* values of {name} segments, in order */
    int nparams;

    /* For the access log: who asked. */
    int64_t user_id;

    /* The response. */
    int status;
    char *resp_body;
    size_t resp_len;
    const char *content_type;
    http_header headers[HTTP_MAX_HEADERS];
    int nheaders;
    /* A 101 answer (http_respond_upgrade): who takes the socket, and who frees `upgrade_arg`
     * when the upgrade never happens. */
    http_upgrade_fn upgrade_fn;
    void (*upgrade_drop)(void *arg);
    void *upgrade_arg;
    /* A deferred answer (http_defer): who sets the response once resumed. */
    void (*defer_fn)(http_req *req, void *arg);
    void *defer_arg;
    int resumed;
};

typedef void (*http_app_fn)(http_req *req);

typedef struct http_server_options {
    const char *listen;         /* HOST:PORT; port 0 picks a free one */
    int threads;
    size_t body_limit;
    size_t upload_limit;        /* cap of multipart/form-data bodies (0: body_limit) */
    int access_log;
    const char *trusted_proxies; /* comma-separated addresses whose X-Forwarded-For we believe */
    http_app_fn app;
    const char *const *route_patterns; /* for metrics labels, indexed by req->route */
    int nroutes;
} http_server_options;

typedef struct http_server http_server;

int http_server_start(const http_server_options *opt, http_server **out, sn_err *e);
int http_server_port(const http_server *s);
/* Stop accepting, let in-flight requests finish (up to grace_ms), then stop. */
void http_server_stop(http_server *s, int grace_ms);

/* Request accessors (valid during the app callback). */
const char *http_header_get(const http_req *req, const char *name);
const char *http_query(const http_req *req, const char *name);
const char *http_cookie(const http_req *req, const char *name);

/* Responses. Each replaces any response set before. */
void http_set_header(http_req *req, const char *name, const char *value);
void http_respond(http_req *req, int status, const char *content_type, const char *body, size_t len);
/* Steals the reference to `json`. */
void http_respond_json(http_req *req, int status, json_t *json);
void http_respond_error(http_req *req, const sn_err *e);
void http_respond_empty(http_req *req, int status);
/* Answer 101 Switching Protocols with the headers set by http_set_header; once it is sent,
 * fn(arg, socket…) takes the connection over. If it is never sent (the client went away), drop
 * (when not NULL) frees arg. */
void http_respond_upgrade(http_req *req, http_upgrade_fn fn, void (*drop)(void *arg), void *arg);
/* Close an upgraded connection and free what the HTTP layer kept for it; any thread. */
void http_upgraded_close(http_upgraded *up);

/* Answer later, without holding a worker thread (e.g. while a group commit makes the request's
 * data durable). Called from the app callback, it suspends the connection; the app must then
 * see to it that http_resume(req) is called exactly once, from any thread. After that,
 * finish(req, arg) runs on a worker thread and sets the response. req stays valid until then
 * (a suspended connection is not timed out or closed). */
void http_defer(http_req *req, void (*finish)(http_req *req, void *arg), void *arg);
void http_resume(http_req *req);

/* Router: patterns like "/api/v1/users/{id}". */
typedef struct http_route_key {
    const char *method;
    const char *pattern;
} http_route_key;
enum { ROUTER_MATCH = 0, ROUTER_NOT_FOUND = -1, ROUTER_METHOD = -2 };
/* Match req->method/path; on ROUTER_MATCH sets req->route and params; on ROUTER_METHOD writes
 * the allowed methods ("GET, PATCH") into allow. */
int router_match(http_req *req, const http_route_key *routes, int n, char *allow, size_t allow_size);

/* The agent web app's files (static.c): http_static_owns says whether a path is the app's
 * (/, /app, /app/…); http_static_serve answers it: / and /app redirect to /app/, files of
 * web/dist with Content-Type, ETag and Cache-Control, index.html for client-side routes. */
int http_static_owns(const char *path);
void http_static_serve(http_req *req);

/* Metrics, rendered as Prometheus text. */
void metrics_observe(int route, int status, int64_t duration_us);
void metrics_connection(int delta);
int metrics_render(buf *out, const char *const *route_patterns, int nroutes);

#endif
