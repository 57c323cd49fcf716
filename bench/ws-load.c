/* ws-load.c — the load client of bench/ws-fanout: holds N WebSocket connections to
 * GET /api/v1/stream (one epoll thread), publishes events at a fixed rate by POSTing
 * /api/v1/contacts over keep-alive connections (a second thread), and prints the delivery
 * latency (receive time − the event's "at", which the server stamps when the change is
 * committed) as p50/p90/p99/max, the events delivered against those expected, and the server's
 * RSS read from /proc.
 *
 *   ws-load --port P --cookie 'sanad_session=…' --token snd_… [--conns 10000] [--rate 1000]
 *           [--duration 20] [--warmup 5] [--sources 4] [--publishers 32] [--line CODE]
 *           [--pid SERVER_PID] [--nap-us U] [--spin N] [--stall K]
 *
 * --nap-us U: once open, nap U µs after a poll that found few sockets ready instead of blocking
 * in epoll_wait (so the server's sends do not each wake this thread). --spin N: poll N times
 * without sleeping before blocking. --stall K: the first K connections
 * stop reading once open (slow consumers: the server must close them with 1008, not grow).
 *
 * Connections bind to 127.0.0.1 … 127.0.0.<sources> so that many of them do not run out of
 * ephemeral ports. Build: cc -O2 -pthread -o ws-load ws-load.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST_US 100                     /* histogram bucket width */
#define HIST_N (60 * 1000000 / HIST_US) /* up to 60 s */
#define MAX_CONNECTING 256
#define NAP_BELOW 64 /* a poll that found fewer ready sockets is followed by a nap (--nap-us) */

static struct {
    int port, conns, rate, duration, warmup, sources, publishers, pid, spin, stall, nap_us;
    const char *cookie, *token, *origin, *line;
} opt = {0, 10000, 1000, 20, 5, 4, 32, 0, 0, 0, 0, NULL, NULL, NULL, "bench_line"};

static volatile int phase; /* 0 connecting, 1 warm-up, 2 measuring, 3 draining, 4 done */
static int64_t published_ok, published_bad, published_measured;
static int64_t received, received_measured, lost_conns, pings_answered;
static uint32_t *hist;
static int64_t hist_n, hist_over;

static int num(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static long rss_kb(const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", opt.pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, strlen(field))) v = strtol(line + strlen(field) + 1, NULL, 10);
    fclose(f);
    return v;
}

/* ---- receivers --------------------------------------------------------------------------- */

typedef struct rconn {
    int fd, state; /* 0 connecting, 1 handshake sent, 2 open, 3 dead */
    uint8_t *rest; /* an incomplete frame or response kept between reads */
    size_t rest_len;
    int64_t events;
    int stalled; /* --stall: stopped reading once open (a slow consumer for the server) */
} rconn;

static rconn *rc;

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" → epoch ms; the date+hour+minute part is cached. */
static int64_t iso_ms(const char *s)
{
    static char prefix[17];
    static int64_t base;
    if (memcmp(prefix, s, 16) != 0) {
        struct tm tm = {0};
        tm.tm_year = num(s) - 1900;
        tm.tm_mon = num(s + 5) - 1;
        tm.tm_mday = num(s + 8);
        tm.tm_hour = num(s + 11);
        tm.tm_min = num(s + 14);
        base = (int64_t)timegm(&tm) * 1000;
        memcpy(prefix, s, 16);
    }
    return base + ((s[17] - '0') * 10 + (s[18] - '0')) * 1000 + (s[20] - '0') * 100 +
           (s[21] - '0') * 10 + (s[22] - '0');
}

/* An event's payload ends with ,"at":"YYYY-MM-DDTHH:MM:SS.mmmZ"} (hub.h): read the timestamp
 * from the end of the frame instead of searching it; anything else (ready, resync) is not an
 * event. Counters are this thread's own (no atomics per event). */
#define AT_TAIL 32 /* "at":"…24 chars…"} */
static void on_text(rconn *c, const uint8_t *p, size_t n, int64_t t)
{
    if (n < AT_TAIL || memcmp(p + n - AT_TAIL, "\"at\":\"", 6) != 0) return;
    c->events++;
    received++;
    if (phase != 2) return;
    received_measured++;
    int64_t lat = t - iso_ms((const char *)p + n - AT_TAIL + 6) * 1000;
    if (lat < 0) lat = 0;
    if (lat / HIST_US >= HIST_N)
        hist_over++;
    else
        hist[lat / HIST_US]++;
    hist_n++;
}

static void send_pong(rconn *c, const uint8_t *p, size_t n)
{
    uint8_t f[6 + 125];
    f[0] = 0x8A;
    f[1] = (uint8_t)(0x80 | n);
    memset(f + 2, 0, 4); /* a zero mask is a valid mask */
    memcpy(f + 6, p, n);
    if (send(c->fd, f, 6 + n, MSG_NOSIGNAL) > 0) pings_answered++;
}

/* Parse whole frames from buf; returns the bytes consumed. */
static size_t parse_frames(rconn *c, const uint8_t *buf, size_t len, int64_t t)
{
    size_t off = 0;
    while (len - off >= 2) {
        const uint8_t *f = buf + off;
        uint64_t plen = f[1] & 0x7f;
        size_t hl = 2;
        if (plen == 126) {
            if (len - off < 4) break;
            plen = ((uint64_t)f[2] << 8) | f[3];
            hl = 4;
        } else if (plen == 127) {
            if (len - off < 10) break;
            plen = 0;
            for (int i = 0; i < 8; i++)
                plen = (plen << 8) | f[2 + i];
            hl = 10;
        }
        if (len - off < hl + plen) break;
        int op = f[0] & 0x0f;
        if (op == 1)
            on_text(c, f + hl, plen, t);
        else if (op == 9 && plen <= 125)
            send_pong(c, f + hl, plen);
        else if (op == 8)
            c->state = 3;
        off += hl + plen;
    }
    return off;
}

static void keep_rest(rconn *c, const uint8_t *p, size_t n)
{
    free(c->rest);
    c->rest = NULL;
    c->rest_len = 0;
    if (!n) return;
    c->rest = malloc(n);
    memcpy(c->rest, p, n);
    c->rest_len = n;
}

static void on_readable(rconn *c, uint8_t *scratch, size_t cap)
{
    if (c->stalled) return;
    for (;;) {
        size_t have = c->rest_len;
        if (have) memcpy(scratch, c->rest, have);
        ssize_t r = recv(c->fd, scratch + have, cap - have, 0);
        if (r <= 0) {
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
            if (c->state != 3) lost_conns++;
            c->state = 3;
            close(c->fd);
            return;
        }
        size_t len = have + (size_t)r, used = 0;
        int64_t t = now_us();
        if (c->state == 1) {
            uint8_t *end = memmem(scratch, len, "\r\n\r\n", 4);
            if (!end) {
                keep_rest(c, scratch, len);
                continue;
            }
            if (memcmp(scratch, "HTTP/1.1 101", 12) != 0) {
                fprintf(stderr, "ws-load: handshake refused: %.*s\n", (int)(end - scratch),
                        (char *)scratch);
                exit(1);
            }
            c->state = 2;
            used = (size_t)(end - scratch) + 4;
        }
        used += parse_frames(c, scratch + used, len - used, t);
        keep_rest(c, scratch + used, len - used);
        /* Less than asked for: the socket is empty (edge-triggered: new data brings a new
         * event), so skip the recv that would only say EAGAIN. */
        if ((size_t)r < cap - have) return;
    }
}

static void start_connect(int epfd, int i)
{
    rconn *c = &rc[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) die("socket");
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000001 + (uint32_t)(i % opt.sources));
    if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) die("bind");
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    dst.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS)
        die("connect");
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u32 = (uint32_t)i};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
}

static void send_handshake(rconn *c)
{
    char req[1024];
    int n =
        snprintf(req, sizeof req,
                 "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: %s\r\nCookie: %s\r\n\r\n",
                 opt.port, opt.origin, opt.cookie);
    if (send(c->fd, req, (size_t)n, MSG_NOSIGNAL) != n) die("send handshake");
    c->state = 1;
}

static void *receivers(void *arg)
{
    (void)arg;
    int epfd = epoll_create1(0);
    size_t cap = 1 << 20;
    uint8_t *scratch = malloc(cap);
    int next = 0, connecting = 0, open_n = 0, idle = 0;
    struct epoll_event evs[1024];
    int64_t t0 = now_us();
    while (phase < 4) {
        while (next < opt.conns && connecting < MAX_CONNECTING) {
            start_connect(epfd, next++);
            connecting++;
        }
        /* A receiver blocked in epoll_wait is woken by every send of the server while it keeps
         * up (a wake-up and a context switch each: a quarter of the hub's CPU in a profile).
         * Once open, it naps opt.nap_us between polls that found little (data waits at most
         * that long: counted in the latency), or polls without sleeping (opt.spin). */
        int n;
        if (phase >= 1 && opt.nap_us && !opt.spin) {
            n = epoll_wait(epfd, evs, 1024, 0);
            if (n < NAP_BELOW) {
                struct timespec nap = {0, (long)opt.nap_us * 1000};
                nanosleep(&nap, NULL);
            }
        } else {
            n = epoll_wait(epfd, evs, 1024, idle < opt.spin ? 0 : 100);
        }
        idle = n > 0 ? 0 : idle + 1;
        for (int k = 0; k < n; k++) {
            rconn *c = &rc[evs[k].data.u32];
            if (c->state == 3) continue;
            if (c->state == 0 && (evs[k].events & EPOLLOUT)) {
                int err = 0;
                socklen_t l = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) {
                    errno = err;
                    die("connect");
                }
                send_handshake(c);
            }
            int was = c->state;
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c, scratch, cap);
            if (was == 1 && c->state == 2) {
                c->stalled = (int)evs[k].data.u32 < opt.stall;
                connecting--;
                if (++open_n == opt.conns) {
                    printf("connections:     %d open in %.1f s\n", open_n,
                           (double)(now_us() - t0) / 1e6);
                    fflush(stdout);
                    phase = 1;
                }
            }
        }
    }
    free(scratch);
    close(epfd);
    return NULL;
}

/* ---- publisher --------------------------------------------------------------------------- */

typedef struct pconn {
    int fd, busy;
    char in[8192];
    size_t in_len;
} pconn;

static int connect_blocking(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    dst.sin_addr.s_addr = htonl(0x7f000001);
    if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) die("publisher connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void post_contact(pconn *p, int64_t seq)
{
    char body[256], req[1024];
    int bl = snprintf(body, sizeof body,
                      "{\"channel\":\"phone\",\"customer\":{\"name\":\"Bench %lld\",\"phones\":"
                      "[\"05%08lld\"]},\"service_line\":\"%s\",\"subject\":\"s\",\"body\":\"b\"}",
                      (long long)seq, (long long)(seq % 100000000), opt.line);
    int n =
        snprintf(req, sizeof req,
                 "POST /api/v1/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                 opt.token, bl, body);
    if (send(p->fd, req, (size_t)n, MSG_NOSIGNAL) != n) die("publisher send");
    p->busy = 1;
}

/* A whole response in p->in? Count it and reset. */
static void on_response(pconn *p)
{
    for (;;) {
        ssize_t r = recv(p->fd, p->in + p->in_len, sizeof p->in - p->in_len - 1, 0);
        if (r <= 0) {
            if (r < 0 && errno == EAGAIN) break;
            die("publisher recv");
        }
        p->in_len += (size_t)r;
    }
    p->in[p->in_len] = '\0';
    char *end = strstr(p->in, "\r\n\r\n");
    if (!end) return;
    char *cl = strcasestr(p->in, "Content-Length:");
    size_t body = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
    if (p->in_len < (size_t)(end + 4 - p->in) + body) return;
    if (!strncmp(p->in + 9, "201", 3)) {
        published_ok++;
        if (phase == 2) published_measured++;
    } else {
        published_bad++;
        if (published_bad <= 3) fprintf(stderr, "ws-load: POST answered %.60s\n", p->in);
    }
    p->in_len = 0;
    p->busy = 0;
}

/* --publishers 0: the server publishes by itself (stream-bench-rate); only keep the clock. */
static void *clock_only(void)
{
    int64_t measure_at = now_us() + (int64_t)opt.warmup * 1000000;
    int64_t stop_at = measure_at + (int64_t)opt.duration * 1000000;
    while (now_us() < measure_at)
        usleep(1000);
    phase = 2;
    while (now_us() < stop_at)
        usleep(1000);
    phase = 3;
    return NULL;
}

static void *publisher(void *arg)
{
    (void)arg;
    while (phase == 0)
        usleep(10000);
    if (!opt.publishers) return clock_only();
    int epfd = epoll_create1(0);
    pconn *ps = calloc((size_t)opt.publishers, sizeof *ps);
    for (int i = 0; i < opt.publishers; i++) {
        ps[i].fd = connect_blocking();
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(epfd, EPOLL_CTL_ADD, ps[i].fd, &ev);
    }
    int64_t start = now_us(), seq = (int64_t)getpid() * 1000000;
    int64_t interval = 1000000 / opt.rate, due = start;
    int64_t measure_at = start + (int64_t)opt.warmup * 1000000;
    int64_t stop_at = measure_at + (int64_t)opt.duration * 1000000;
    struct epoll_event evs[256];
    while (now_us() < stop_at) {
        int64_t t = now_us();
        if (phase == 1 && t >= measure_at) phase = 2;
        for (int i = 0; i < opt.publishers && due <= t; i++)
            if (!ps[i].busy) {
                post_contact(&ps[i], seq++);
                due += interval;
            }
        if (due < t - 1000000) due = t - 1000000; /* fell behind by a second: do not burst */
        /* Behind schedule means every publisher is busy: sleep until a response comes (a
         * poll loop here would take a core from the server it measures). One reading of the
         * clock: with two, a thread preempted between them computed a negative timeout, and
         * epoll_wait blocks for good on one once no publisher is busy (the run stalled until
         * the server closed the idle connections, 120 s later). */
        int64_t now = now_us();
        int wait = due <= now ? 5 : (int)((due - now) / 1000);
        int n = epoll_wait(epfd, evs, 256, wait < 0 ? 0 : wait > 5 ? 5 : wait);
        for (int k = 0; k < n; k++)
            on_response(&ps[evs[k].data.u32]);
    }
    phase = 3;
    for (int i = 0; i < opt.publishers; i++)
        close(ps[i].fd);
    free(ps);
    close(epfd);
    return NULL;
}

/* ---- main -------------------------------------------------------------------------------- */

static double pct(double q)
{
    int64_t want = (int64_t)(q * (double)hist_n), seen = 0;
    for (int i = 0; i < HIST_N; i++) {
        seen += hist[i];
        if (seen > want) return (double)(i * HIST_US + HIST_US / 2) / 1000.0;
    }
    return -1;
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            opt.port = num(v);
        else if (!strcmp(k, "--conns"))
            opt.conns = num(v);
        else if (!strcmp(k, "--rate"))
            opt.rate = num(v);
        else if (!strcmp(k, "--duration"))
            opt.duration = num(v);
        else if (!strcmp(k, "--warmup"))
            opt.warmup = num(v);
        else if (!strcmp(k, "--sources"))
            opt.sources = num(v);
        else if (!strcmp(k, "--publishers"))
            opt.publishers = num(v);
        else if (!strcmp(k, "--pid"))
            opt.pid = num(v);
        else if (!strcmp(k, "--spin"))
            opt.spin = num(v);
        else if (!strcmp(k, "--stall"))
            opt.stall = num(v);
        else if (!strcmp(k, "--nap-us"))
            opt.nap_us = num(v);
        else if (!strcmp(k, "--cookie"))
            opt.cookie = v;
        else if (!strcmp(k, "--token"))
            opt.token = v;
        else if (!strcmp(k, "--origin"))
            opt.origin = v;
        else if (!strcmp(k, "--line"))
            opt.line = v;
        else {
            fprintf(stderr, "ws-load: unknown option %s\n", k);
            exit(2);
        }
    }
    if (!opt.port || !opt.cookie || !opt.token || opt.rate < 1 || opt.conns < 1 ||
        opt.sources < 1 || opt.publishers < 0) {
        fprintf(stderr, "usage: ws-load --port P --cookie C --token T [--conns N] [--rate R] "
                        "[--duration S] [--warmup S] [--sources K] [--publishers M] [--pid PID]\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    static char origin[64];
    if (!opt.origin) {
        snprintf(origin, sizeof origin, "http://127.0.0.1:%d", opt.port);
        opt.origin = origin;
    }
    hist = calloc(HIST_N, sizeof *hist);
    rc = calloc((size_t)opt.conns, sizeof *rc);
    if (!hist || !rc) die("calloc");
    pthread_t rt, pt;
    pthread_create(&rt, NULL, receivers, NULL);
    while (phase == 0)
        usleep(10000);
    long rss_idle = opt.pid ? rss_kb("VmRSS:") : -1;
    pthread_create(&pt, NULL, publisher, NULL);
    pthread_join(pt, NULL);
    long rss_load = opt.pid ? rss_kb("VmRSS:") : -1;
    sleep(2); /* let the last events arrive */
    phase = 4;
    pthread_join(rt, NULL);

    if (!opt.publishers) published_measured = (int64_t)opt.rate * opt.duration;
    int64_t expected = published_measured * (opt.conns - opt.stall);
    if (opt.publishers)
        printf("published:       %lld contacts in %d s measured (%.0f/s; %lld failed)\n",
               (long long)published_measured, opt.duration,
               (double)published_measured / opt.duration, (long long)published_bad);
    else
        printf("published:       by the server (stream-bench-rate %d/s): ~%lld events in %d s\n",
               opt.rate, (long long)published_measured, opt.duration);
    printf("delivered:       %lld events in the window, %.0f/s; %lld expected (%.2f%%)\n",
           (long long)received_measured, (double)received_measured / opt.duration,
           (long long)expected,
           expected ? 100.0 * (double)received_measured / (double)expected : 0);
    printf("latency:         p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  p99.9 %.1f ms  (%lld samples, "
           "commit → client; 'at' has ms precision)\n",
           pct(0.50), pct(0.90), pct(0.99), pct(0.999), (long long)hist_n);
    int64_t all = 0;
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = opt.stall; i < opt.conns; i++) {
        all += rc[i].events;
        if (rc[i].events < lo) lo = rc[i].events;
        if (rc[i].events > hi) hi = rc[i].events;
    }
    printf("per connection:  %lld..%lld events over the run; %lld dropped connections; %lld "
           "pings answered\n",
           (long long)lo, (long long)hi, (long long)lost_conns, (long long)pings_answered);
    if (opt.stall)
        printf("stalled:         %d connections stopped reading once open (not counted above)\n",
               opt.stall);
    if (opt.pid)
        printf("server RSS:      %.1f MB with the connections idle, %.1f MB under load, peak %.1f "
               "MB\n",
               rss_idle / 1024.0, rss_load / 1024.0, rss_kb("VmHWM:") / 1024.0);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("load client CPU: %.2f s user + %.2f s system over the whole run; %ld + %ld context "
           "switches\n",
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_nvcsw,
           ru.ru_nivcsw);
    (void)all;
    return 0;
}
