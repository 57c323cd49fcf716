/* ws.c — the WebSocket handshake (SHA-1 from OpenSSL libcrypto, as RFC 6455 requires) and one
 * connection's framing with wslay's event API on a non-blocking socket. */
#include "ws.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <wslay/wslay.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_KEY_LEN 24 /* base64 of 16 bytes */

struct ws_conn {
    wslay_event_context_ptr ctx;
    int fd;
    char *extra; /* bytes read by MHD before the upgrade, served first */
    size_t extra_len, extra_off;
    int mid_frame;    /* the caller's pre-encoded output stops inside a frame */
    int heard;        /* a frame arrived since ws_conn_heard */
    int eof;          /* the peer closed its side */
    int write_shut;   /* our close frame is out and the write side is shut */
    int close_queued; /* ws_conn_close was called */
    int dirty; /* wslay may have output queued or have seen a close: ask it (set by reads, pings
                * and closes; cleared by a flush that finds it idle). Spares the hub's write
                * path a look into wslay's context per write. */
};

/* ---- handshake -------------------------------------------------------------------------- */

/* Whether the comma-separated header value `list` holds `token` (case-insensitive). */
static int has_token(const char *list, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t'))
            trimmed--;
        if (trimmed == n && !strncasecmp(p, token, n)) return 1;
        p += len;
    }
    return 0;
}

static int valid_key(const char *key)
{
    if (!key || strlen(key) != WS_KEY_LEN || strcmp(key + 22, "==") != 0) return 0;
    for (int i = 0; i < 22; i++) {
        char ch = key[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/'))
            return 0;
    }
    return 1;
}

int ws_handshake_check(http_req *req, sn_err *e)
{
    const char *upgrade = http_header_get(req, "Upgrade");
    const char *connection = http_header_get(req, "Connection");
    const char *version = http_header_get(req, "Sec-WebSocket-Version");
    if (strcmp(req->method, "GET") != 0)
        return sn_fail(e, SN_EINVALID, NULL, "a WebSocket opening handshake is a GET");
    if (!upgrade || !has_token(upgrade, "websocket") || !connection ||
        !has_token(connection, "upgrade"))
        return sn_fail_slug(e, SN_EINVALID, "websocket_required", NULL,
                            "this resource speaks WebSocket: send Upgrade: websocket");
    if (!version || strcmp(version, "13") != 0) {
        http_set_header(req, "Sec-WebSocket-Version", "13");
        return sn_fail_slug(e, SN_EINVALID, "websocket_version", NULL,
                            "Sec-WebSocket-Version must be 13");
    }
    if (!valid_key(http_header_get(req, "Sec-WebSocket-Key")))
        return sn_fail_slug(e, SN_EINVALID, "websocket_key", NULL,
                            "Sec-WebSocket-Key must be 16 bytes in base64");
    return 0;
}

/* Length of the origin part of `url` (scheme://host[:port]), without a trailing path. */
static size_t origin_len(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep) return strlen(url);
    return (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
}

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
    while (alen && a[alen - 1] == '/')
        alen--;
    while (blen && b[blen - 1] == '/')
        blen--;
    return alen && alen == blen && !strncasecmp(a, b, alen);
}

static int same_as_host(const http_req *req, const char *origin)
{
    const char *host = http_header_get(req, "Host");
    if (!host || !*host) return 0;
    size_t n = strlen(origin), hl = strlen(host);
    if (n > 7 && !strncasecmp(origin, "http://", 7)) return same(origin + 7, n - 7, host, hl);
    if (n > 8 && !strncasecmp(origin, "https://", 8)) return same(origin + 8, n - 8, host, hl);
    return 0;
}

int ws_origin_allowed(const http_req *req, const char *origin, const char *public_url,
                      const char *extra)
{
    size_t n = strlen(origin);
    if (public_url && *public_url) {
        if (same(origin, n, public_url, origin_len(public_url))) return 1;
    } else if (same_as_host(req, origin)) {
        return 1;
    }
    for (const char *p = extra; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed && p[trimmed - 1] == ' ')
            trimmed--;
        if (trimmed && same(origin, n, p, trimmed)) return 1;
        p += len;
    }
    return 0;
}

void ws_accept(http_req *req, http_upgrade_fn fn, void (*drop)(void *arg), void *arg)
{
    char input[WS_KEY_LEN + sizeof WS_GUID];
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    char accept[64];
    memcpy(input, http_header_get(req, "Sec-WebSocket-Key"), WS_KEY_LEN);
    memcpy(input + WS_KEY_LEN, WS_GUID, sizeof WS_GUID - 1);
    if (EVP_Digest(input, WS_KEY_LEN + sizeof WS_GUID - 1, digest, &dlen, EVP_sha1(), NULL) != 1 ||
        EVP_EncodeBlock((unsigned char *)accept, digest, (int)dlen) <= 0) {
        sn_err e;
        sn_fail(&e, SN_EINTERNAL, NULL, "cannot compute Sec-WebSocket-Accept");
        http_respond_error(req, &e);
        if (drop) drop(arg);
        return;
    }
    http_set_header(req, "Upgrade", "websocket");
    http_set_header(req, "Connection", "Upgrade");
    http_set_header(req, "Sec-WebSocket-Accept", accept);
    http_respond_upgrade(req, fn, drop, arg);
}

size_t ws_text_header(uint8_t out[10], uint64_t len)
{
    out[0] = 0x81; /* FIN + text */
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}

/* ---- wslay callbacks ----------------------------------------------------------------------- */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *out, size_t len, int flags, void *user)
{
    (void)flags;
    ws_conn *c = user;
    if (c->extra_off < c->extra_len) {
        size_t n = c->extra_len - c->extra_off;
        if (n > len) n = len;
        memcpy(out, c->extra + c->extra_off, n);
        c->extra_off += n;
        return (ssize_t)n;
    }
    ssize_t r;
    while ((r = recv(c->fd, out, len, 0)) < 0 && errno == EINTR) {
    }
    if (r > 0) return r;
    if (r == 0) {
        c->eof = 1;
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    } else {
        wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK
                                       ? WSLAY_ERR_WOULDBLOCK
                                       : WSLAY_ERR_CALLBACK_FAILURE);
    }
    return -1;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                       void *user)
{
    ws_conn *c = user;
    int sflags = MSG_NOSIGNAL | ((flags & WSLAY_MSG_MORE) ? MSG_MORE : 0);
    ssize_t r;
    while ((r = send(c->fd, data, len, sflags)) < 0 && errno == EINTR) {
    }
    if (r >= 0) return r;
    wslay_event_set_error(ctx, errno == EAGAIN || errno == EWOULDBLOCK
                                   ? WSLAY_ERR_WOULDBLOCK
                                   : WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                   void *user)
{
    (void)ctx;
    (void)arg; /* text from clients has no meaning yet; pings are answered by wslay */
    ((ws_conn *)user)->heard = 1;
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = on_recv,
    .send_callback = on_send,
    .on_msg_recv_callback = on_msg,
};

/* ---- connection ---------------------------------------------------------------------------- */

ws_conn *ws_conn_new(int fd, const char *extra, size_t extra_len)
{
    ws_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->fd = fd;
    if (extra_len) {
        if (!(c->extra = malloc(extra_len))) goto fail;
        memcpy(c->extra, extra, extra_len);
        c->extra_len = extra_len;
    }
    if (wslay_event_context_server_init(&c->ctx, &callbacks, c) != 0) goto fail;
    wslay_event_config_set_max_recv_msg_length(c->ctx, WS_MAX_CLIENT_MESSAGE);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) goto fail;
    int one = 1, sndbuf = WS_SNDBUF;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return c;
fail:
    ws_conn_free(c);
    return NULL;
}

void ws_conn_free(ws_conn *c)
{
    if (!c) return;
    if (c->ctx) wslay_event_context_free(c->ctx);
    free(c->extra);
    free(c);
}

int ws_conn_on_readable(ws_conn *c)
{
    c->dirty = 1; /* a read may queue a pong or a close, or end reading */
    if (!wslay_event_want_read(c->ctx)) {
        /* Reading is over (close received): drain and notice EOF so the socket is released. */
        char sink[512];
        ssize_t r;
        while ((r = recv(c->fd, sink, sizeof sink, 0)) > 0) {
        }
        if (r == 0)
            c->eof = 1;
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return WS_ERROR;
        return c->eof && !wslay_event_get_close_sent(c->ctx) ? WS_ERROR : WS_OK;
    }
    if (wslay_event_recv(c->ctx) != 0) return c->eof && ws_conn_done(c) ? WS_OK : WS_ERROR;
    return WS_OK;
}

/* Whether wslay has seen or sent a close, or stopped reading (see ws_conn_closing). */
static int wslay_closing(const ws_conn *c)
{
    return wslay_event_get_close_received(c->ctx) || wslay_event_get_close_sent(c->ctx) ||
           !wslay_event_get_read_enabled(c->ctx);
}

int ws_conn_flush(ws_conn *c)
{
    if (c->mid_frame || c->write_shut || !c->dirty) return WS_OK;
    if (wslay_event_want_write(c->ctx) && wslay_event_send(c->ctx) != 0) return WS_ERROR;
    int idle = !wslay_event_want_write(c->ctx);
    if (wslay_event_get_close_sent(c->ctx) && idle) {
        shutdown(c->fd, SHUT_WR);
        c->write_shut = 1;
    }
    if (idle && !c->close_queued && !wslay_closing(c)) c->dirty = 0;
    return WS_OK;
}

ssize_t ws_conn_writev(ws_conn *c, const struct iovec *iov, int n)
{
    if (ws_conn_closing(c) && !c->mid_frame) return 0;
    if (!c->mid_frame && c->dirty && wslay_event_want_write(c->ctx)) {
        if (ws_conn_flush(c) < 0) return WS_ERROR;
        if (wslay_event_want_write(c->ctx)) return 0;
    }
    struct msghdr msg = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n};
    ssize_t r;
    while ((r = sendmsg(c->fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    if (r >= 0) return r;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : WS_ERROR;
}

void ws_conn_set_mid_frame(ws_conn *c, int mid)
{
    c->mid_frame = mid;
}

int ws_conn_want_write(const ws_conn *c)
{
    return !c->write_shut && c->dirty && wslay_event_want_write(c->ctx);
}

int ws_conn_ping(ws_conn *c)
{
    struct wslay_event_msg msg = {WSLAY_PING, NULL, 0};
    c->dirty = 1;
    return wslay_event_queue_msg(c->ctx, &msg) == 0 ? WS_OK : WS_ERROR;
}

int ws_conn_close(ws_conn *c, uint16_t code, const char *reason)
{
    size_t len = reason ? strlen(reason) : 0;
    if (len > 123) len = 123;
    c->close_queued = 1;
    c->dirty = 1;
    return wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, len) == 0 ? WS_OK
                                                                                    : WS_ERROR;
}

int ws_conn_closing(const ws_conn *c)
{
    /* wslay reports a close only once sent or received; ours is tracked from when it is queued.
     * A protocol error makes wslay queue a close and stop reading. */
    return c->close_queued || (c->dirty && wslay_closing(c));
}

int ws_conn_done(const ws_conn *c)
{
    return c->write_shut && (wslay_event_get_close_received(c->ctx) || c->eof);
}

int ws_conn_heard(ws_conn *c)
{
    int h = c->heard;
    c->heard = 0;
    return h;
}
