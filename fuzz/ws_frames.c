/* ws_frames.c — libFuzzer driver of WebSocket frame reading: a server-side ws_conn
 * (src/http/ws.c over wslay) reading whatever a client sends — masked or not, fragmented,
 * control frames, close frames with any payload, oversized lengths — and answering (pongs,
 * close) as the hub would drive it (src/hub/hub.c: on_readable, then flush).
 *
 * Input: the client's bytes. The first byte splits them between the bytes MHD had already read
 * before the upgrade (ws_conn_new's `extra`) and bytes arriving on the socket afterwards, which
 * then reaches EOF. The socket is one end of a socketpair; what the server writes is drained. */
#include "http/ws.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_INPUT 65536 /* fits a socketpair's buffer, so writing it never blocks */

static void drain(int fd)
{
    char sink[4096];
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_INPUT) return 0;
    size_t split = (size_t)data[0] * (size - 1) / 255;
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
    int bufsize = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
    if (len > split && write(sv[1], in + split, len - split) != (ssize_t)(len - split)) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    shutdown(sv[1], SHUT_WR); /* the client has said everything */

    ws_conn *c = ws_conn_new(sv[0], (const char *)in, split);
    if (!c) abort();
    /* The hub's loop: read until the connection errs or is done, answering as it goes. The
     * socket has a bounded amount of input, so this ends; the bound guards against a loop. */
    for (int round = 0; round < 10000; round++) {
        int r = ws_conn_on_readable(c);
        drain(sv[1]);
        if (r < 0 || ws_conn_flush(c) < 0 || ws_conn_done(c)) break;
        drain(sv[1]);
        if (round == 0 && (data[0] & 1)) {
            ws_conn_ping(c);
            static const uint8_t hello[] = {0x81, 0x02, 'h', 'i'};
            struct iovec iov = {(void *)hello, sizeof hello};
            if (ws_conn_writev(c, &iov, 1) < 0) break;
        }
        if (round == 0 && (data[0] & 2)) ws_conn_close(c, WS_CLOSE_GOING_AWAY, "bye");
    }
    (void)ws_conn_heard(c);
    ws_conn_free(c);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
