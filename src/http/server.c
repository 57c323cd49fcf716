/* server.c — libmicrohttpd glue: body collection with a cap (body_limit; upload_limit for
 * multipart/form-data), one app callback per request,
 * security headers, access log, metrics, graceful stop. */
#include "http.h"

#include "../core/clock.h"
#include "../core/crypto.h"
#include "../core/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unicode/ustring.h>
#include <unistd.h>

struct http_server {
    struct MHD_Daemon *d;
    http_server_options opt;
    char trusted[512];
    int port;
};

/* Headers on every response: no sniffing, no framing, no referrer leaks, a strict CSP. */
static const char *const security_headers[][2] = {
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
     "frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "strict-origin-when-cross-origin"},
    {"X-Frame-Options", "DENY"},
    {"Cache-Control", "no-store"},
};

const char *http_header_get(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_cookie(const http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

void http_set_header(http_req *req, const char *name, const char *value)
{
    for (int i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0 && strcasecmp(name, "Set-Cookie") != 0) {
            free(req->headers[i].value);
            req->headers[i].value = strdup(value);
            return;
        }
    }
    if (req->nheaders == HTTP_MAX_HEADERS) return;
    req->headers[req->nheaders].name = strdup(name);
    req->headers[req->nheaders].value = strdup(value);
    req->nheaders++;
}

void http_respond(http_req *req, int status, const char *content_type, const char *body, size_t len)
{
    free(req->resp_body);
    req->resp_body = NULL;
    req->resp_len = 0;
    if (len) {
        req->resp_body = malloc(len);
        if (req->resp_body) {
            memcpy(req->resp_body, body, len);
            req->resp_len = len;
        }
    }
    req->status = status;
    req->content_type = content_type;
}

void http_respond_json(http_req *req, int status, json_t *json)
{
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (!text) {
        static const char oops[] =
            "{\"error\":{\"code\":\"internal_error\",\"message\":\"internal error\",\"field\":\"\"}}";
        http_respond(req, 500, "application/json", oops, sizeof oops - 1);
        return;
    }
    free(req->resp_body);
    req->resp_body = text;
    req->resp_len = strlen(text);
    req->status = status;
    req->content_type = "application/json";
}

void http_respond_error(http_req *req, const sn_err *e)
{
    int status = sn_err_http_status(e->code);
    const char *message = e->message;
    if (status >= 500) message = "the server could not complete the request";
    json_t *body = json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
                             e->slug[0] ? e->slug : sn_err_default_slug(e->code), "message",
                             message, "field", e->field);
    if (e->code == SN_ERATE && e->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", e->retry_after);
        http_set_header(req, "Retry-After", secs);
    }
    http_respond_json(req, status, body);
}

void http_respond_empty(http_req *req, int status)
{
    http_respond(req, status, NULL, NULL, 0);
}

void http_respond_upgrade(http_req *req, http_upgrade_fn fn, void (*drop)(void *arg), void *arg)
{
    http_respond(req, 101, NULL, NULL, 0);
    if (req->upgrade_arg && req->upgrade_drop) req->upgrade_drop(req->upgrade_arg);
    req->upgrade_fn = fn;
    req->upgrade_drop = drop;
    req->upgrade_arg = arg;
}

void http_upgraded_close(http_upgraded *up)
{
    MHD_upgrade_action((struct MHD_UpgradeResponseHandle *)up, MHD_UPGRADE_ACTION_CLOSE);
}

/* MHD's upgrade handler: the 101 is out; the socket goes to the request's upgrade_fn, with no
 * idle timeout (the new owner keeps its own keepalive). */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra,
                       size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)con_cls;
    http_req *req = cls;
    void *arg = req->upgrade_arg;
    req->upgrade_arg = NULL; /* the upgrade_fn owns it now */
    MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
    req->upgrade_fn(arg, sock, extra, extra_len, (http_upgraded *)urh);
}

static int is_trusted(const http_server *s, const char *ip)
{
    size_t n = strlen(ip);
    for (const char *p = s->trusted; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, ip, n)) return 1;
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

/* The peer address, or the last X-Forwarded-For hop when the peer is a trusted proxy. */
static void client_ip(const http_server *s, http_req *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    req->ip[0] = '\0';
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, req->ip, sizeof req->ip);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, req->ip, sizeof req->ip);
    }
    const char *xff = http_header_get(req, "X-Forwarded-For");
    if (!xff || !is_trusted(s, req->ip)) return;
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    while (*last == ' ') last++;
    size_t len = strcspn(last, " ");
    if (len > 0 && len < sizeof req->ip) {
        memcpy(req->ip, last, len);
        req->ip[len] = '\0';
    }
}

/* Requests between their first byte and their completion, for the graceful stop. */
static long inflight;
static char bad_uri_marker;

enum { BAD_URI_NUL = 1, BAD_URI_UTF8 = 2 }; /* http_req.bad_uri */

static void req_free(http_req *req)
{
    __atomic_sub_fetch(&inflight, 1, __ATOMIC_RELAXED);
    buf_fini(&req->body);
    if (req->upgrade_arg && req->upgrade_drop) req->upgrade_drop(req->upgrade_arg);
    for (int i = 0; i < req->nparams; i++) free(req->params[i]);
    for (int i = 0; i < req->nheaders; i++) {
        free(req->headers[i].name);
        free(req->headers[i].value);
    }
    free(req->resp_body);
    free(req);
}

static void access_log(const http_server *s, const http_req *req, int64_t dur_us)
{
    if (!s->opt.access_log) return;
    json_t *line = json_pack("{s:I, s:s, s:s, s:s, s:i, s:f, s:s, s:I}", "ts",
                             (json_int_t)clock_now_ms(), "type", "access", "method", req->method,
                             "path", req->path, "status", req->status, "ms",
                             (double)dur_us / 1000.0, "request_id", req->request_id, "user_id",
                             (json_int_t)req->user_id);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text) log_line(text, strlen(text));
    free(text);
    json_decref(line);
}

static enum MHD_Result send_response(http_server *s, http_req *req)
{
    int upgrade = req->status == 101 && req->upgrade_fn;
    struct MHD_Response *r = upgrade ? MHD_create_response_for_upgrade(on_upgrade, req)
                                     : MHD_create_response_from_buffer_with_free_callback(
                                           req->resp_len, req->resp_body, free);
    if (!r) return MHD_NO;
    if (upgrade) free(req->resp_body);
    req->resp_body = NULL; /* owned by the response now */
    if (req->content_type) MHD_add_response_header(r, "Content-Type", req->content_type);
    MHD_add_response_header(r, "X-Request-Id", req->request_id);
    for (size_t i = 0; i < sizeof security_headers / sizeof security_headers[0]; i++) {
        int overridden = 0;
        for (int k = 0; k < req->nheaders; k++)
            if (!strcasecmp(req->headers[k].name, security_headers[i][0])) overridden = 1;
        if (!overridden) MHD_add_response_header(r, security_headers[i][0], security_headers[i][1]);
    }
    for (int i = 0; i < req->nheaders; i++)
        MHD_add_response_header(r, req->headers[i].name, req->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned)req->status, r);
    MHD_destroy_response(r);
    int64_t dur = clock_mono_us() - req->start_us;
    metrics_observe(req->route, req->status, dur);
    access_log(s, req, dur);
    return ret;
}

void http_defer(http_req *req, void (*finish)(http_req *req, void *arg), void *arg)
{
    req->defer_fn = finish;
    req->defer_arg = arg;
    MHD_suspend_connection(req->conn);
}

void http_resume(http_req *req)
{
    __atomic_store_n(&req->resumed, 1, __ATOMIC_RELEASE);
    MHD_resume_connection(req->conn);
}

/* MHD calls the handler of a resumed connection again: produce the deferred answer. Only a
 * daemon being stopped resumes a connection early; wait for the app's http_resume then. */
static void finish_deferred(http_req *req)
{
    while (!__atomic_load_n(&req->resumed, __ATOMIC_ACQUIRE)) usleep(1000);
    void (*fn)(http_req *, void *) = req->defer_fn;
    req->defer_fn = NULL;
    fn(req, req->defer_arg);
}

static http_req *req_new(http_server *s, struct MHD_Connection *conn, const char *method,
                         const char *url)
{
    http_req *req = calloc(1, sizeof *req);
    if (!req) return NULL;
    __atomic_add_fetch(&inflight, 1, __ATOMIC_RELAXED);
    req->conn = conn;
    req->method = method;
    req->path = url;
    req->route = -1;
    req->start_us = clock_mono_us();
    /* File uploads (multipart/form-data) get their own, larger cap; every other body keeps
     * body_limit. Over the cap the rest is read and dropped and the app answers 413. */
    const char *ctype =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    while (ctype && *ctype == ' ')
        ctype++;
    int upload = ctype && !strncasecmp(ctype, "multipart/form-data", 19) && s->opt.upload_limit;
    buf_init(&req->body, upload ? s->opt.upload_limit : s->opt.body_limit);
    crypto_token(req->request_id, sizeof req->request_id, 12);
    client_ip(s, req);
    return req;
}

/* Sees the raw request URI before it is decoded: an encoded NUL (%00) would silently cut a
 * decoded path or query value short, so such a request is refused whole. The returned pointer
 * becomes the request's initial context. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    for (const char *p = uri; (p = strchr(p, '%')) != NULL; p++)
        if (p[1] == '0' && p[2] == '0') return (void *)&bad_uri_marker;
    return NULL;
}

/* Whether s is well-formed UTF-8 (ICU's conversion refuses anything else). */
static int is_utf8(const char *s)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8(NULL, 0, &n, s, -1, &st);
    return st == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(st);
}

static enum MHD_Result query_utf8(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    int *ok = cls;
    if (is_utf8(key) && (!value || is_utf8(value))) return MHD_YES;
    *ok = 0;
    return MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    http_server *s = cls;
    http_req *req = *con_cls;
    if (!req || *con_cls == (void *)&bad_uri_marker) {
        /* A path or query value that is not UTF-8 names nothing here, and would reach the
         * database as text it refuses (PostgreSQL): the request is refused whole. */
        int utf8 = is_utf8(url);
        if (utf8) MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_utf8, &utf8);
        int bad = *con_cls == (void *)&bad_uri_marker ? BAD_URI_NUL : !utf8 ? BAD_URI_UTF8 : 0;
        if (!(req = req_new(s, conn, method, url))) return MHD_NO;
        req->bad_uri = bad;
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!req->body_too_large && buf_append(&req->body, upload, *upload_size) < 0)
            req->body_too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->defer_fn) {
        finish_deferred(req);
    } else if (req->bad_uri) {
        sn_err e;
        sn_fail(&e, SN_EINVALID, NULL,
                req->bad_uri == BAD_URI_NUL ? "the request URI holds an encoded NUL byte"
                                            : "the request URI's path or query is not UTF-8");
        http_respond_error(req, &e);
    } else {
        s->opt.app(req);
        if (req->defer_fn) return MHD_YES; /* suspended until http_resume */
    }
    if (!req->status) {
        sn_err e;
        sn_fail(&e, SN_EINTERNAL, NULL, "no response");
        http_respond_error(req, &e);
    }
    return send_response(s, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    if (*con_cls && *con_cls != (void *)&bad_uri_marker) req_free(*con_cls);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)conn;
    (void)socket_context;
    metrics_connection(code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_warn("httpd: %s", msg);
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, sn_err *e)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof host)
        return sn_fail(e, SN_EINVALID, "listen", "listen must be HOST:PORT");
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) return sn_fail(e, SN_EINVALID, "listen", "bad port");
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return sn_fail(e, SN_EINVALID, "listen", "listen host must be an IPv4 address");
    return 0;
}

int http_server_start(const http_server_options *opt, http_server **out, sn_err *e)
{
    struct sockaddr_in sa;
    int rc = parse_listen(opt->listen, &sa, e);
    if (rc < 0) return rc;
    http_server *s = calloc(1, sizeof *s);
    if (!s) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    s->opt = *opt;
    snprintf(s->trusted, sizeof s->trusted, "%s", opt->trusted_proxies ? opt->trusted_proxies : "");
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_ALLOW_UPGRADE |
        MHD_ALLOW_SUSPEND_RESUME;
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opt->threads, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_CONNECTION_LIMIT, 20000u,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        /* Per-connection buffer (request headers, response headers). An upgraded WebSocket
         * keeps its connection's for life: 16 KB instead of MHD's 32 KB saves 160 MB at 10,000
         * live streams (bench/ws-fanout) and still takes ~14 KB of request headers. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384, MHD_OPTION_END);
    if (!s->d) {
        free(s);
        return sn_fail(e, SN_EUNAVAILABLE, "listen", "cannot listen on %s", opt->listen);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : ntohs(sa.sin_port);
    *out = s;
    return 0;
}

int http_server_port(const http_server *s)
{
    return s->port;
}

void http_server_stop(http_server *s, int grace_ms)
{
    if (!s) return;
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    for (int waited = 0; waited < grace_ms; waited += 20) {
        if (__atomic_load_n(&inflight, __ATOMIC_RELAXED) == 0) break;
        usleep(20000);
    }
    MHD_stop_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET) close(fd);
    free(s);
}
