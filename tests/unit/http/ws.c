/* ws.c — unit tests of http/ws's framing over a socket pair: frame headers, pre-encoded frames
 * written with ws_conn_writev, wslay's control frames (ping, pong, close) sent only between
 * them, and the states a hub reads (want_write, closing, heard, done). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http/ws.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct pair {
    int server, client;
    ws_conn *ws;
} pair;

static int setup(void **state)
{
    static pair p;
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return -1;
    p.server = fds[0];
    p.client = fds[1];
    p.ws = ws_conn_new(p.server, NULL, 0);
    *state = &p;
    return p.ws ? 0 : -1;
}

static int teardown(void **state)
{
    pair *p = *state;
    ws_conn_free(p->ws);
    close(p->server);
    close(p->client);
    return 0;
}

/* Read exactly n bytes the server sent (the client end is blocking). */
static void expect_bytes(pair *p, const uint8_t *want, size_t n)
{
    uint8_t got[256];
    size_t have = 0;
    assert_true(n <= sizeof got);
    while (have < n) {
        ssize_t r = recv(p->client, got + have, n - have, 0);
        assert_true(r > 0);
        have += (size_t)r;
    }
    assert_memory_equal(got, want, n);
}

static void expect_nothing(pair *p)
{
    uint8_t b;
    assert_int_equal(recv(p->client, &b, 1, MSG_DONTWAIT), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* A masked client frame (RFC 6455 5.3) with a payload under 126 bytes. */
static void client_send(pair *p, uint8_t opcode, const char *payload)
{
    uint8_t f[6 + 125];
    size_t n = strlen(payload);
    const uint8_t mask[4] = {0x11, 0x22, 0x33, 0x44};
    f[0] = (uint8_t)(0x80 | opcode);
    f[1] = (uint8_t)(0x80 | n);
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < n; i++)
        f[6 + i] = (uint8_t)payload[i] ^ mask[i % 4];
    assert_int_equal(send(p->client, f, 6 + n, 0), (ssize_t)(6 + n));
}

static void test_text_header_lengths(void **state)
{
    uint8_t h[10];
    assert_int_equal(ws_text_header(h, 0), 2);
    assert_int_equal(h[0], 0x81);
    assert_int_equal(h[1], 0);
    assert_int_equal(ws_text_header(h, 125), 2);
    assert_int_equal(h[1], 125);
    assert_int_equal(ws_text_header(h, 126), 4);
    assert_int_equal(h[1], 126);
    assert_int_equal((h[2] << 8) | h[3], 126);
    assert_int_equal(ws_text_header(h, 65535), 4);
    assert_int_equal(ws_text_header(h, 65536), 10);
    assert_int_equal(h[1], 127);
    assert_int_equal(h[7], 1); /* 65536 = 0x10000, big-endian in bytes 2..9 */
    assert_int_equal(h[8], 0);
    assert_int_equal(h[9], 0);
}

/* Two pre-encoded frames in one writev arrive as written; nothing else is sent. */
static void test_writev_sends_frames_as_they_are(void **state)
{
    pair *p = *state;
    const uint8_t f1[] = {0x81, 2, 'h', 'i'}, f2[] = {0x81, 1, '!'};
    struct iovec iov[2] = {{(void *)f1, sizeof f1}, {(void *)f2, sizeof f2}};
    assert_false(ws_conn_want_write(p->ws));
    assert_int_equal(ws_conn_writev(p->ws, iov, 2), (ssize_t)(sizeof f1 + sizeof f2));
    assert_int_equal(ws_conn_flush(p->ws), WS_OK);
    const uint8_t want[] = {0x81, 2, 'h', 'i', 0x81, 1, '!'};
    expect_bytes(p, want, sizeof want);
    expect_nothing(p);
}

/* A ping waits while our own frame is half-written and goes out between frames. */
static void test_ping_waits_for_the_end_of_a_frame(void **state)
{
    pair *p = *state;
    const uint8_t head[] = {0x81, 3, 'a'};
    struct iovec iov = {(void *)head, sizeof head};
    assert_int_equal(ws_conn_writev(p->ws, &iov, 1), (ssize_t)sizeof head);
    ws_conn_set_mid_frame(p->ws, 1);
    assert_int_equal(ws_conn_ping(p->ws), WS_OK);
    assert_true(ws_conn_want_write(p->ws));
    assert_int_equal(ws_conn_flush(p->ws), WS_OK); /* mid-frame: holds the ping */
    const uint8_t rest[] = {'b', 'c'};
    iov = (struct iovec){(void *)rest, sizeof rest};
    assert_int_equal(ws_conn_writev(p->ws, &iov, 1), (ssize_t)sizeof rest);
    ws_conn_set_mid_frame(p->ws, 0);
    assert_int_equal(ws_conn_flush(p->ws), WS_OK);
    assert_false(ws_conn_want_write(p->ws));
    const uint8_t want[] = {0x81, 3, 'a', 'b', 'c', 0x89, 0};
    expect_bytes(p, want, sizeof want);
    expect_nothing(p);
}

/* A client's ping is heard and answered with a pong before the next frame of ours. */
static void test_client_ping_is_answered_before_our_next_frame(void **state)
{
    pair *p = *state;
    client_send(p, 0x9, "yo");
    assert_int_equal(ws_conn_on_readable(p->ws), WS_OK);
    assert_true(ws_conn_heard(p->ws));
    assert_false(ws_conn_heard(p->ws)); /* reset by the call */
    const uint8_t f[] = {0x81, 1, 'x'};
    struct iovec iov = {(void *)f, sizeof f};
    assert_int_equal(ws_conn_writev(p->ws, &iov, 1), (ssize_t)sizeof f);
    const uint8_t want[] = {0x8A, 2, 'y', 'o', 0x81, 1, 'x'};
    expect_bytes(p, want, sizeof want);
    assert_false(ws_conn_want_write(p->ws));
}

/* After ws_conn_close no more frames go out; the close frame does, then the write side shuts;
 * the peer's close ends the connection. */
static void test_close_handshake(void **state)
{
    pair *p = *state;
    assert_false(ws_conn_closing(p->ws));
    assert_int_equal(ws_conn_close(p->ws, WS_CLOSE_POLICY, "slow"), WS_OK);
    assert_true(ws_conn_closing(p->ws));
    const uint8_t f[] = {0x81, 1, 'x'};
    struct iovec iov = {(void *)f, sizeof f};
    assert_int_equal(ws_conn_writev(p->ws, &iov, 1), 0);
    assert_int_equal(ws_conn_flush(p->ws), WS_OK);
    const uint8_t want[] = {0x88, 6, 0x03, 0xF0, 's', 'l', 'o', 'w'};
    expect_bytes(p, want, sizeof want);
    uint8_t b;
    assert_int_equal(recv(p->client, &b, 1, 0), 0); /* write side shut */
    assert_false(ws_conn_done(p->ws));
    client_send(p, 0x8, "");
    assert_int_equal(ws_conn_on_readable(p->ws), WS_OK);
    assert_true(ws_conn_done(p->ws));
}

/* An unmasked client frame breaks the protocol: wslay answers with a close (1002). */
static void test_unmasked_client_frame_closes(void **state)
{
    pair *p = *state;
    const uint8_t bad[] = {0x81, 1, 'x'};
    assert_int_equal(send(p->client, bad, sizeof bad, 0), (ssize_t)sizeof bad);
    ws_conn_on_readable(p->ws);
    assert_true(ws_conn_closing(p->ws));
    assert_int_equal(ws_conn_flush(p->ws), WS_OK);
    uint8_t got[4];
    assert_int_equal(recv(p->client, got, sizeof got, 0), 4);
    assert_int_equal(got[0], 0x88);
    assert_int_equal((got[2] << 8) | got[3], 1002);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_header_lengths),
        cmocka_unit_test_setup_teardown(test_writev_sends_frames_as_they_are, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ping_waits_for_the_end_of_a_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_ping_is_answered_before_our_next_frame, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_close_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unmasked_client_frame_closes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
