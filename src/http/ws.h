/* ws.h — WebSocket (RFC 6455) in the HTTP layer: the opening handshake over libmicrohttpd's
 * upgrade (ws_handshake_check, ws_origin_allowed, ws_accept) and the framing of one upgraded,
 * non-blocking socket with wslay (ws_conn). Knows nothing of events or users: src/hub/ decides
 * what is sent to whom, and drives each ws_conn from its epoll loop.
 *
 * Output of a ws_conn has two sources that never interleave inside a frame:
 *   - wslay's queue: control frames (pong answers, ws_conn_ping, ws_conn_close);
 *   - pre-encoded server frames written straight from the caller's buffers (ws_conn_writev),
 *     so one encoded event is shared by every connection without a copy per connection.
 * ws_conn_writev writes only when wslay has nothing queued; the caller reports with
 * ws_conn_set_mid_frame when its own output stops inside a frame, and wslay then waits.
 *
 * Connection states (each transition's function in brackets):
 *
 *   open ──[ws_conn_close, or a close frame read by ws_conn_on_readable]──> closing
 *   closing ──[ws_conn_flush sends our close frame: write side shut]──> close sent
 *   close sent ──[peer's close frame or EOF read]──> done (ws_conn_done: release the socket)
 *   any ──[read/write error, EOF without close]──> WS_ERROR returned: release the socket
 *
 * Client messages are capped at WS_MAX_CLIENT_MESSAGE bytes (larger: wslay closes with 1009);
 * their content is ignored for now (the stream is server → client). */
#ifndef SANAD_WS_H
#define SANAD_WS_H

#include "http.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define WS_MAX_CLIENT_MESSAGE 4096
/* The kernel's send buffer of a connection (it doubles it): what a client that stops reading
 * can hold in the kernel before writes block and the caller's own bound applies. */
#define WS_SNDBUF 131072

/* Close codes we send. */
enum {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001, /* server stopping */
    WS_CLOSE_POLICY = 1008,     /* slow consumer */
    WS_CLOSE_TRY_LATER = 1013,  /* hub full */
    WS_CLOSE_SIGN_IN = 4401,    /* application code: the session or token is no longer valid */
};

/* Results of the ws_conn I/O calls. */
enum { WS_OK = 0, WS_ERROR = -1 };

/* 0 when `req` is a WebSocket opening handshake (GET, Upgrade: websocket, Connection: upgrade,
 * Sec-WebSocket-Version: 13, a Sec-WebSocket-Key of 16 bytes in base64); otherwise SN_EINVALID
 * (400) with e filled. A missing or other version gets Sec-WebSocket-Version: 13 (RFC 6455
 * 4.4) set on the response. */
int ws_handshake_check(http_req *req, sn_err *e);

/* Whether `origin` (the request's Origin header, not NULL) may open a socket: it is our own
 * origin — that of `public_url` (scheme://host[:port]), or, when public_url is empty,
 * http(s)://Host of the request — or one listed in `extra` (comma-separated). Compared without
 * case; a trailing '/' is ignored. */
int ws_origin_allowed(const http_req *req, const char *origin, const char *public_url,
                      const char *extra);

/* Answer 101 with Upgrade, Connection and Sec-WebSocket-Accept after ws_handshake_check passed;
 * fn takes the socket once the answer is sent (http_respond_upgrade: drop frees arg if not). */
void ws_accept(http_req *req, http_upgrade_fn fn, void (*drop)(void *arg), void *arg);

/* Write the header of an unmasked, final server text frame of `len` payload bytes into out;
 * returns its length (2, 4 or 10). */
size_t ws_text_header(uint8_t out[10], uint64_t len);

typedef struct ws_conn ws_conn;

/* A connection over an upgraded socket `fd` (made non-blocking here; TCP_NODELAY and a send
 * buffer of WS_SNDBUF set).
 * `extra` (copied) holds bytes the client sent before the upgrade finished. NULL when out of
 * memory. The fd stays the caller's: ws_conn_free does not close it. */
ws_conn *ws_conn_new(int fd, const char *extra, size_t extra_len);
void ws_conn_free(ws_conn *c);

/* Read all the socket has, answering pings (pong queued) and a peer's close (close queued).
 * WS_ERROR when the peer broke the protocol, went away or the socket failed. */
int ws_conn_on_readable(ws_conn *c);
/* Send wslay's queued control frames unless a pre-encoded frame is half-written; shuts the
 * write side once our close frame is out. WS_ERROR when the socket failed. */
int ws_conn_flush(ws_conn *c);
/* Write pre-encoded frames (after flushing wslay's queue). Returns the bytes written (0 when
 * the socket is full or wslay still has output, or the connection is closing) or WS_ERROR. */
ssize_t ws_conn_writev(ws_conn *c, const struct iovec *iov, int n);
/* The caller's pre-encoded output currently stops inside a frame (1) or between frames (0). */
void ws_conn_set_mid_frame(ws_conn *c, int mid);
/* Whether wslay has queued output, i.e. the caller should wait for the socket to be writable. */
int ws_conn_want_write(const ws_conn *c);

/* Queue a ping (sent by the next ws_conn_flush). */
int ws_conn_ping(ws_conn *c);
/* Queue a close frame with `code` and a short `reason` (≤ 123 bytes); further writes stop. */
int ws_conn_close(ws_conn *c, uint16_t code, const char *reason);
/* A close frame has been queued or sent by us or received from the peer. */
int ws_conn_closing(const ws_conn *c);
/* Both sides' close frames are done, or ours is sent and the peer went away: release. */
int ws_conn_done(const ws_conn *c);
/* Whether any frame arrived since the last call (keepalive). */
int ws_conn_heard(ws_conn *c);

#endif
