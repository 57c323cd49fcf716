/* hub.c — the hub thread: epoll loop over upgraded sockets, inbound events → ring, fan-out
 * with writev from the ring, keepalive sweeps, closes. See hub.h for the contract. */
#include "hub.h"

#include "ring.h"

#include "../core/clock.h"
#include "../core/log.h"
#include "../domain/events.h"
#include "../http/ws.h"
#include "../store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define INBOUND_MAX 100000  /* events waiting for the hub thread; past it they are dropped */
#define WRITE_IOV 256       /* frames per writev (more when a client is behind) */
#define WRITE_BYTES 262144  /* bytes per writev */
#define CLOSE_GRACE_MS 5000 /* a closing connection is released after this at the latest */
#define SWEEP_MS 500        /* keepalive and deadline sweep */
#define STOP_GRACE_MS 1000  /* time given to close handshakes when the server stops */
#define EPOLL_BATCH 512
#define FAN_OUT_STRIDE 512 /* connections written between looks at newly committed events */

/* A committed event on its way to the hub thread. */
typedef struct inbound {
    struct inbound *next;
    int64_t id, at_ms, conversation_id, escalation_id;
    char type[40];
    char *data; /* compact JSON */
} inbound;

/* An upgraded socket on its way to the hub thread. */
typedef struct attach {
    struct attach *next;
    int fd;
    http_upgraded *up;
    char *extra;
    size_t extra_len;
    audience who;
    int64_t since;
} attach;

typedef struct conn {
    ws_conn *ws;
    int fd;
    http_upgraded *up;
    audience who;
    int64_t cursor;     /* next event id to consider */
    size_t offset;      /* bytes of event `cursor` already written */
    int64_t blocked_at; /* ring.last when it last fell behind; 0 when caught up */
    uint8_t intro[72];  /* "ready"/"resync" frame, sent before any event */
    uint8_t intro_len, intro_off;
    int writable; /* no EAGAIN since the last EPOLLOUT */
    int pinged;   /* a ping is out since the last sweep */
    int dead;     /* queued for release */
    int64_t last_ping_ms, deadline_ms, recheck_at_ms;
    int index; /* in hub.conns */
    struct conn *next_dead;
} conn;

struct hub {
    hub_options opt;
    pthread_t thread, ticker;
    int ticking;
    int epfd, wakefd;

    pthread_mutex_t lock; /* guards the fields down to `stopping` */
    inbound *in_head, *in_tail;
    int in_count;
    int64_t next_id;
    int lost;
    attach *attaches;
    int stopping;

    /* The hub thread's own. */
    store *db;
    ring ring;
    conn **conns;
    int nconns, cap;
    conn *dead;
    int fan_out_again; /* events arrived during the last pass */
    int64_t next_sweep_ms;

    /* Counters (atomic). */
    int64_t delivered, slow_closed, dead_dropped, dropped_events;
    int connections;
};

static hub *running;

hub *hub_running(void)
{
    return __atomic_load_n(&running, __ATOMIC_ACQUIRE);
}

static void wake(hub *h)
{
    uint64_t one = 1;
    ssize_t r = write(h->wakefd, &one, sizeof one);
    (void)r; /* a full eventfd is already awake */
}

/* ---- the listener side (any thread) ------------------------------------------------------ */

static int valid_type(const char *type)
{
    size_t n = strlen(type);
    if (!n || n >= sizeof((inbound *)0)->type) return 0;
    for (const char *p = type; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '.' || *p == '_')) return 0;
    return 1;
}

void hub_publish(const char *type, json_t *data, void *hub_arg)
{
    hub *h = hub_arg;
    if (!h || !type || !valid_type(type)) return;
    inbound *ev = calloc(1, sizeof *ev);
    if (!ev ||
        !(ev->data = json_dumps(data ? data : json_null(), JSON_COMPACT | JSON_ENCODE_ANY))) {
        free(ev);
        __atomic_add_fetch(&h->dropped_events, 1, __ATOMIC_RELAXED);
        return;
    }
    snprintf(ev->type, sizeof ev->type, "%s", type);
    ev->conversation_id = json_integer_value(json_object_get(data, "conversation_id"));
    ev->escalation_id = json_integer_value(json_object_get(data, "escalation_id"));
    ev->at_ms = clock_now_ms();
    int was_empty = 0, dropped = 0;
    pthread_mutex_lock(&h->lock);
    if (h->stopping || h->in_count >= INBOUND_MAX) {
        dropped = 1;
        h->lost = !h->stopping;
    } else {
        ev->id = h->next_id++;
        was_empty = !h->in_head;
        if (h->in_tail)
            h->in_tail->next = ev;
        else
            h->in_head = ev;
        h->in_tail = ev;
        h->in_count++;
    }
    pthread_mutex_unlock(&h->lock);
    if (dropped) {
        free(ev->data);
        free(ev);
        __atomic_add_fetch(&h->dropped_events, 1, __ATOMIC_RELAXED);
        return;
    }
    if (was_empty) wake(h);
}

int64_t hub_last_id(hub *h)
{
    pthread_mutex_lock(&h->lock);
    int64_t id = h->next_id - 1;
    pthread_mutex_unlock(&h->lock);
    return id;
}

int hub_attach(hub *h, int fd, http_upgraded *up, const char *extra, size_t extra_len,
               const audience *who, int64_t since)
{
    attach *a = calloc(1, sizeof *a);
    if (!a) return -1;
    if (extra_len && !(a->extra = malloc(extra_len))) {
        free(a);
        return -1;
    }
    if (extra_len) memcpy(a->extra, extra, extra_len);
    a->fd = fd;
    a->up = up;
    a->extra_len = extra_len;
    a->who = *who;
    a->since = since;
    pthread_mutex_lock(&h->lock);
    int stopping = h->stopping;
    if (!stopping) {
        a->next = h->attaches;
        h->attaches = a;
    }
    pthread_mutex_unlock(&h->lock);
    if (stopping) {
        free(a->extra);
        free(a);
        return -1;
    }
    wake(h);
    return 0;
}

void hub_get_stats(hub *h, hub_stats *out)
{
    out->connections = __atomic_load_n(&h->connections, __ATOMIC_RELAXED);
    out->last_id = hub_last_id(h);
    out->delivered = __atomic_load_n(&h->delivered, __ATOMIC_RELAXED);
    out->slow_closed = __atomic_load_n(&h->slow_closed, __ATOMIC_RELAXED);
    out->dead_dropped = __atomic_load_n(&h->dead_dropped, __ATOMIC_RELAXED);
    out->dropped_events = __atomic_load_n(&h->dropped_events, __ATOMIC_RELAXED);
}

/* ---- connections (hub thread) ---------------------------------------------------------------- */

/* Queue a connection for release at the end of this loop turn (epoll may still name it). */
static void kill_conn(hub *h, conn *c)
{
    if (c->dead) return;
    c->dead = 1;
    c->next_dead = h->dead;
    h->dead = c;
}

static void release_dead(hub *h)
{
    while (h->dead) {
        conn *c = h->dead;
        h->dead = c->next_dead;
        epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        ws_conn_free(c->ws);
        http_upgraded_close(c->up);
        conn *last = h->conns[--h->nconns];
        h->conns[c->index] = last;
        last->index = c->index;
        free(c);
        __atomic_sub_fetch(&h->connections, 1, __ATOMIC_RELAXED);
    }
}

static void start_close(hub *h, conn *c, uint16_t code, const char *reason)
{
    if (ws_conn_closing(c->ws)) return;
    ws_conn_close(c->ws, code, reason);
    c->deadline_ms = clock_now_ms() + CLOSE_GRACE_MS;
    (void)h;
}

static void set_intro(conn *c, const char *type, int64_t id)
{
    char json[64];
    int n = snprintf(json, sizeof json, "{\"type\":\"%s\",\"id\":%" PRId64 "}", type, id);
    size_t hl = ws_text_header(c->intro, (uint64_t)n);
    memcpy(c->intro + hl, json, (size_t)n);
    c->intro_len = (uint8_t)(hl + (size_t)n);
    c->intro_off = 0;
}

/* Account `r` written bytes against the frames of iov (intro when ids[k] == 0). */
static void consume(hub *h, conn *c, const struct iovec *iov, const int64_t *ids, int n, size_t r)
{
    int64_t done = 0;
    for (int k = 0; k < n && r > 0; k++) {
        size_t take = r < iov[k].iov_len ? r : iov[k].iov_len;
        r -= take;
        if (!ids[k]) {
            c->intro_off = (uint8_t)(c->intro_off + take);
        } else if (take == iov[k].iov_len) {
            c->cursor = ids[k] + 1;
            c->offset = 0;
            done++;
        } else {
            c->cursor = ids[k];
            c->offset += take;
        }
    }
    if (done) __atomic_add_fetch(&h->delivered, done, __ATOMIC_RELAXED);
}

/* Fill iov with the intro and the frames from the cursor that c may hear. Sets *end to the id
 * after the last event looked at. Returns the iov count; 0 means nothing is due, and then the
 * cursor may move past events it does not hear. */
static int gather(hub *h, conn *c, struct iovec *iov, int64_t *ids, size_t *bytes, int64_t *end)
{
    int n = 0;
    *bytes = 0;
    if (c->intro_off < c->intro_len) {
        iov[n].iov_base = c->intro + c->intro_off;
        iov[n].iov_len = (size_t)(c->intro_len - c->intro_off);
        ids[n++] = 0;
        *bytes += iov[0].iov_len;
    }
    int64_t id = c->cursor;
    size_t off = c->offset;
    for (; id <= h->ring.last && n < WRITE_IOV && *bytes < WRITE_BYTES; id++, off = 0) {
        const ring_event *ev = ring_get(&h->ring, id);
        if (!ev) break; /* fell out of the ring: caught by check_slow */
        if (!ev->frame || (!off && !audience_hears(&c->who, &ev->tag))) continue;
        iov[n].iov_base = ev->frame + off;
        iov[n].iov_len = ev->len - off;
        ids[n++] = id;
        *bytes += ev->len - off;
    }
    *end = id;
    return n;
}

/* Close a connection that has fallen too far behind or out of the ring. */
static int check_slow(hub *h, conn *c)
{
    if (ws_conn_closing(c->ws)) return 0;
    int64_t from = c->blocked_at > c->cursor - 1 ? c->blocked_at : c->cursor - 1;
    int out_of_ring = c->cursor < h->ring.first && h->ring.last >= h->ring.first;
    if (!out_of_ring && (!c->blocked_at || h->ring.last - from <= h->opt.queue_limit)) return 0;
    start_close(h, c, WS_CLOSE_POLICY, "slow consumer: too many events behind");
    __atomic_add_fetch(&h->slow_closed, 1, __ATOMIC_RELAXED);
    return 1;
}

/* While closing: finish a half-written frame, then let wslay send the close frame. */
static void write_closing(hub *h, conn *c)
{
    if (c->offset || (c->intro_off && c->intro_off < c->intro_len)) {
        struct iovec iov[2];
        int64_t ids[2];
        int n = 0;
        const ring_event *ev = c->offset ? ring_get(&h->ring, c->cursor) : NULL;
        if (c->intro_off < c->intro_len) {
            iov[n] = (struct iovec){c->intro + c->intro_off, (size_t)(c->intro_len - c->intro_off)};
            ids[n++] = 0;
        } else if (ev) {
            iov[n] = (struct iovec){ev->frame + c->offset, ev->len - c->offset};
            ids[n++] = ev->id;
        } else {
            kill_conn(h, c); /* the rest of the frame is gone: nothing sane to send */
            return;
        }
        ssize_t r = ws_conn_writev(c->ws, iov, n);
        if (r < 0) {
            kill_conn(h, c);
            return;
        }
        consume(h, c, iov, ids, n, (size_t)r);
        if ((size_t)r < iov[0].iov_len) {
            c->writable = 0;
            return;
        }
        ws_conn_set_mid_frame(c->ws, 0);
    }
    if (ws_conn_flush(c->ws) < 0 || ws_conn_done(c->ws))
        kill_conn(h, c);
    else if (ws_conn_want_write(c->ws))
        c->writable = 0;
}

/* Write what is due to one connection until its socket is full or it has caught up. */
static void write_conn(hub *h, conn *c)
{
    if (c->dead) return;
    if (ws_conn_closing(c->ws)) {
        write_closing(h, c);
        return;
    }
    if (check_slow(h, c)) {
        write_closing(h, c);
        return;
    }
    struct iovec iov[WRITE_IOV + 1];
    int64_t ids[WRITE_IOV + 1];
    for (;;) {
        size_t bytes;
        int64_t end;
        int n = gather(h, c, iov, ids, &bytes, &end);
        if (!n) {
            if (end > c->cursor) c->cursor = end, c->offset = 0;
            c->blocked_at = 0;
            break;
        }
        ssize_t r = ws_conn_writev(c->ws, iov, n);
        if (r < 0) {
            kill_conn(h, c);
            return;
        }
        consume(h, c, iov, ids, n, (size_t)r);
        ws_conn_set_mid_frame(c->ws, c->offset || (c->intro_off && c->intro_off < c->intro_len));
        if ((size_t)r < bytes) {
            c->writable = 0;
            if (!c->blocked_at) c->blocked_at = h->ring.last;
            check_slow(h, c);
            return;
        }
        if (c->cursor < end) c->cursor = end; /* past events it does not hear */
    }
    if (ws_conn_flush(c->ws) < 0)
        kill_conn(h, c);
    else if (ws_conn_want_write(c->ws))
        c->writable = 0;
}

static void on_socket(hub *h, conn *c, uint32_t events)
{
    if (c->dead) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (ws_conn_on_readable(c->ws) < 0) {
            kill_conn(h, c);
            return;
        }
        if (ws_conn_closing(c->ws) && !c->deadline_ms)
            c->deadline_ms = clock_now_ms() + CLOSE_GRACE_MS;
    }
    if (events & EPOLLOUT) c->writable = 1;
    if (c->writable) write_conn(h, c);
    if (!c->dead && ws_conn_done(c->ws)) kill_conn(h, c);
}

/* ---- attaches and events (hub thread) -------------------------------------------------------- */

static conn *new_conn(hub *h, attach *a)
{
    if (h->nconns == h->cap) {
        int cap = h->cap ? h->cap * 2 : 1024;
        conn **grown = realloc(h->conns, (size_t)cap * sizeof *grown);
        if (!grown) return NULL;
        h->conns = grown;
        h->cap = cap;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (!(c->ws = ws_conn_new(a->fd, a->extra, a->extra_len))) {
        free(c);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, a->fd, &ev) < 0) {
        ws_conn_free(c->ws);
        free(c);
        return NULL;
    }
    c->fd = a->fd;
    c->up = a->up;
    c->who = a->who;
    c->writable = 1;
    c->last_ping_ms = clock_now_ms();
    c->recheck_at_ms = c->last_ping_ms + h->opt.recheck_ms;
    c->index = h->nconns;
    h->conns[h->nconns++] = c;
    __atomic_add_fetch(&h->connections, 1, __ATOMIC_RELAXED);
    return c;
}

/* Where a new connection starts: right after `since` when the ring still holds what follows
 * it, else a resync from the newest event. */
static void place(hub *h, conn *c, int64_t since)
{
    int64_t last = h->ring.last;
    if (since <= last && since >= h->ring.first - 1) {
        c->cursor = since + 1;
        set_intro(c, "ready", since);
    } else {
        c->cursor = last + 1;
        set_intro(c, "resync", last);
    }
}

static void take_attaches(hub *h)
{
    pthread_mutex_lock(&h->lock);
    attach *list = h->attaches;
    h->attaches = NULL;
    pthread_mutex_unlock(&h->lock);
    while (list) {
        attach *a = list;
        list = a->next;
        conn *c = new_conn(h, a);
        if (!c) {
            log_warn("stream: cannot take a connection: out of memory");
            http_upgraded_close(a->up);
        } else if (h->nconns > h->opt.max_conns) {
            start_close(h, c, WS_CLOSE_TRY_LATER, "too many live connections");
        } else {
            place(h, c, a->since);
        }
        free(a->extra);
        free(a);
    }
}

/* One event as a text frame: {"id":…,"type":…,"data":…,"at":…}. */
static uint8_t *encode(const inbound *ev, size_t *len)
{
    char head[96], tail[48], iso[32];
    clock_iso8601(ev->at_ms, iso, sizeof iso);
    int hl = snprintf(head, sizeof head, "{\"id\":%" PRId64 ",\"type\":\"%s\",\"data\":", ev->id,
                      ev->type);
    int tl = snprintf(tail, sizeof tail, ",\"at\":\"%s\"}", iso);
    size_t dl = strlen(ev->data), payload = (size_t)hl + dl + (size_t)tl;
    uint8_t *frame = malloc(10 + payload);
    if (!frame) return NULL;
    size_t fh = ws_text_header(frame, payload);
    memcpy(frame + fh, head, (size_t)hl);
    memcpy(frame + fh + hl, ev->data, dl);
    memcpy(frame + fh + hl + dl, tail, (size_t)tl);
    *len = fh + payload;
    return frame;
}

/* Move the inbound events into the ring. Returns how many were added. */
static int take_events(hub *h)
{
    pthread_mutex_lock(&h->lock);
    inbound *list = h->in_head;
    int lost = h->lost;
    int64_t next = h->next_id;
    h->in_head = h->in_tail = NULL;
    h->in_count = 0;
    h->lost = 0;
    pthread_mutex_unlock(&h->lock);
    if (lost) {
        /* Events were dropped: nobody can be served without a gap. Forget the ring (so resumes
         * resync) and ask every client to reconnect. */
        log_warn("stream: the hub fell behind and dropped events; clients will resync");
        ring_reset(&h->ring, list ? list->id : next);
        for (int i = 0; i < h->nconns; i++)
            start_close(h, h->conns[i], WS_CLOSE_TRY_LATER, "events were lost: reconnect");
    }
    int added = 0;
    while (list) {
        inbound *ev = list;
        list = ev->next;
        audience_tag tag;
        if (audience_tag_event(h->db, ev->type, ev->conversation_id, ev->escalation_id, &tag) < 0) {
            log_warn("stream: cannot tag event %" PRId64 ": %s", ev->id, store_errmsg(h->db));
            memset(&tag, 0, sizeof tag); /* agent-side only */
        }
        size_t len = 0;
        uint8_t *frame = encode(ev, &len); /* NULL (out of memory): a hole nobody is sent */
        ring_push(&h->ring, ev->id, &tag, frame, len);
        added++;
        free(ev->data);
        free(ev);
    }
    return added;
}

/* Write to every connection that can take data; close those that fell too far behind. A pass
 * over many connections takes a while: events committed meanwhile join it every
 * FAN_OUT_STRIDE connections (so the rest of the pass carries them), and the connections
 * already passed get them in the next pass, which starts at once (fan_out_again). */
static void fan_out(hub *h)
{
    for (int i = h->nconns - 1; i >= 0; i--) {
        if (i && i % FAN_OUT_STRIDE == 0 && take_events(h)) h->fan_out_again = 1;
        conn *c = h->conns[i];
        if (c->writable)
            write_conn(h, c);
        else if (c->blocked_at)
            check_slow(h, c);
    }
}

/* Close a connection whose session or token no longer holds (checked every recheck_ms). */
static int recheck(hub *h, conn *c, int64_t now)
{
    if (now < c->recheck_at_ms) return 0;
    c->recheck_at_ms = now + h->opt.recheck_ms;
    int valid = audience_still_valid(h->db, &c->who, h->opt.session_idle_ms,
                                     h->opt.session_absolute_ms, now);
    if (valid != 0) return 0; /* valid, or a database error: ask again next time */
    start_close(h, c, WS_CLOSE_SIGN_IN, "sign in again");
    write_conn(h, c);
    return 1;
}

/* Pings, dead peers, credentials, close deadlines. */
static void sweep(hub *h, int64_t now)
{
    for (int i = h->nconns - 1; i >= 0; i--) {
        conn *c = h->conns[i];
        if (c->dead) continue;
        if (c->deadline_ms) {
            if (now >= c->deadline_ms) kill_conn(h, c);
            continue;
        }
        if (recheck(h, c, now)) continue;
        if (now - c->last_ping_ms < h->opt.ping_ms) continue;
        if (c->pinged && !ws_conn_heard(c->ws)) {
            __atomic_add_fetch(&h->dead_dropped, 1, __ATOMIC_RELAXED);
            kill_conn(h, c);
            continue;
        }
        ws_conn_heard(c->ws);
        c->pinged = 1;
        c->last_ping_ms = now;
        if (ws_conn_ping(c->ws) < 0)
            kill_conn(h, c);
        else if (c->writable)
            write_conn(h, c);
    }
}

/* ---- the benchmark's ticker (stream-bench-rate: test only) -------------------------------- */

static int is_stopping(hub *h)
{
    pthread_mutex_lock(&h->lock);
    int stopping = h->stopping;
    pthread_mutex_unlock(&h->lock);
    return stopping;
}

/* Publishes bench.tick events at opt.bench_rate per second through hub_publish, like committed
 * events, so bench/ws-fanout can measure the fan-out without the cost of real writes. */
static void *ticker_main(void *arg)
{
    hub *h = arg;
    pthread_setname_np(pthread_self(), "sanad-hub-tick");
    int64_t start = clock_mono_us(), sent = 0;
    while (!is_stopping(h)) {
        int64_t due = (clock_mono_us() - start) * h->opt.bench_rate / 1000000;
        for (; sent < due; sent++) {
            json_t *data = json_pack("{s:I}", "seq", (json_int_t)sent);
            hub_publish("bench.tick", data, h);
            json_decref(data);
        }
        usleep(1000);
    }
    return NULL;
}

/* ---- the thread ---------------------------------------------------------------------------- */

static int loop_turn(hub *h, int timeout_ms)
{
    struct epoll_event evs[EPOLL_BATCH];
    int n = epoll_wait(h->epfd, evs, EPOLL_BATCH, timeout_ms);
    if (n < 0 && errno != EINTR) {
        log_error("stream: epoll_wait failed: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (evs[i].data.ptr == NULL) {
            uint64_t v;
            ssize_t r = read(h->wakefd, &v, sizeof v);
            (void)r;
            continue;
        }
        on_socket(h, evs[i].data.ptr, evs[i].events);
    }
    take_attaches(h);
    if (take_events(h) || h->fan_out_again) {
        h->fan_out_again = 0;
        fan_out(h);
    }
    int64_t now = clock_now_ms();
    if (now >= h->next_sweep_ms) {
        sweep(h, now);
        h->next_sweep_ms = now + SWEEP_MS;
    }
    release_dead(h);
    return 0;
}

/* Server stop: close every connection with 1001, give the handshakes a moment, release all. */
static void drain_for_stop(hub *h)
{
    take_attaches(h);
    for (int i = 0; i < h->nconns; i++) {
        start_close(h, h->conns[i], WS_CLOSE_GOING_AWAY, "server stopping");
        write_conn(h, h->conns[i]);
    }
    int64_t until = clock_now_ms() + STOP_GRACE_MS;
    while (h->nconns && clock_now_ms() < until) {
        release_dead(h);
        if (loop_turn(h, 50) < 0) break;
    }
    for (int i = 0; i < h->nconns; i++)
        kill_conn(h, h->conns[i]);
    release_dead(h);
}

static void *hub_main(void *arg)
{
    hub *h = arg;
    pthread_setname_np(pthread_self(), "sanad-hub");
    while (!is_stopping(h)) {
        int64_t wait = h->fan_out_again ? 0 : h->next_sweep_ms - clock_now_ms();
        if (loop_turn(h, wait < 0 ? 0 : (int)wait) < 0) break;
    }
    drain_for_stop(h);
    return NULL;
}

int hub_start(const hub_options *opt, hub **out, sn_err *e)
{
    hub *h = calloc(1, sizeof *h);
    if (!h) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    h->opt = *opt;
    if (h->opt.queue_limit >= h->opt.ring_size) h->opt.queue_limit = h->opt.ring_size - 1;
    h->epfd = h->wakefd = -1;
    pthread_mutex_init(&h->lock, NULL);
    h->next_id = clock_now_ms() * 1000;
    store_options so = {"NORMAL", 10000};
    int rc = store_open(opt->db, &so, &h->db, e);
    if (rc < 0) goto fail;
    if (ring_init(&h->ring, opt->ring_size, h->next_id) < 0 ||
        (h->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (h->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        rc = sn_fail(e, SN_EINTERNAL, NULL, "cannot set up the live hub");
        goto fail;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->wakefd, &ev) < 0 ||
        pthread_create(&h->thread, NULL, hub_main, h) != 0) {
        rc = sn_fail(e, SN_EINTERNAL, NULL, "cannot start the live hub");
        goto fail;
    }
    events_set_listener(hub_publish, h);
    __atomic_store_n(&running, h, __ATOMIC_RELEASE);
    if (opt->bench_rate > 0) {
        log_warn("stream: stream-bench-rate is on: %d synthetic bench.tick events a second",
                 opt->bench_rate);
        h->ticking = pthread_create(&h->ticker, NULL, ticker_main, h) == 0;
    }
    *out = h;
    return 0;
fail:
    hub_free(h);
    return rc;
}

void hub_stop(hub *h)
{
    if (!h) return;
    events_set_listener(NULL, NULL);
    __atomic_store_n(&running, NULL, __ATOMIC_RELEASE);
    pthread_mutex_lock(&h->lock);
    int was = h->stopping;
    h->stopping = 1;
    pthread_mutex_unlock(&h->lock);
    if (was) return;
    wake(h);
    pthread_join(h->thread, NULL);
    if (h->ticking) pthread_join(h->ticker, NULL);
}

void hub_free(hub *h)
{
    if (!h) return;
    while (h->in_head) {
        inbound *ev = h->in_head;
        h->in_head = ev->next;
        free(ev->data);
        free(ev);
    }
    while (h->attaches) {
        attach *a = h->attaches;
        h->attaches = a->next;
        http_upgraded_close(a->up);
        free(a->extra);
        free(a);
    }
    ring_fini(&h->ring);
    free(h->conns);
    store_close(h->db);
    if (h->epfd >= 0) close(h->epfd);
    if (h->wakefd >= 0) close(h->wakefd);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
