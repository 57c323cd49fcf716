/* shard.c — one hub thread: an epoll loop over its share of the upgraded sockets, its own
 * replay ring (shared, refcounted frames: see hub_int.h), fan-out with one writev per
 * connection per pass, keepalive sweeps and closes. See hub.h for the contract.
 *
 * Adaptive batching: a pass over the connections writes everything that arrived since the
 * connection's cursor in one sendmsg, so the cost of a pass is about one system call per
 * connection however many events it carries, and the delay an event sees tracks the length of
 * a pass. Events committed during a pass join it every FAN_OUT_STRIDE connections; the
 * connections already passed get them in the next pass, which starts at once. */
#include "hub_int.h"

#include "../core/clock.h"
#include "../core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define WRITE_BYTES 262144  /* bytes per writev */
#define CLOSE_GRACE_MS 5000 /* a closing connection is released after this at the latest */
#define SWEEP_MS 500        /* keepalive and deadline sweep */
#define STOP_GRACE_MS 1000  /* time given to close handshakes when the server stops */
#define EPOLL_BATCH 512
#define FAN_OUT_STRIDE 512 /* connections written between looks at newly committed events */

void shard_wake(shard *s)
{
    uint64_t one = 1;
    ssize_t r = write(s->wakefd, &one, sizeof one);
    (void)r; /* a full eventfd is already awake */
}

/* ---- connections (hub thread) ---------------------------------------------------------------- */

/* Queue a connection for release at the end of this loop turn (epoll may still name it). */
static void kill_conn(shard *s, conn *c)
{
    if (c->dead) return;
    c->dead = 1;
    c->next_dead = s->dead;
    s->dead = c;
}

static void release_dead(shard *s)
{
    while (s->dead) {
        conn *c = s->dead;
        s->dead = c->next_dead;
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        ws_conn_free(c->ws);
        http_upgraded_close(c->up);
        conn *last = s->conns[--s->nconns];
        s->conns[c->index] = last;
        last->index = c->index;
        free(c);
        __atomic_sub_fetch(&s->n.connections, 1, __ATOMIC_RELAXED);
    }
}

/* Interest in EPOLLOUT is armed only while a connection waits for room: with it always on,
 * every ACK from the peer (edge-triggered) would be an event for this thread. */
static void watch(shard *s, conn *c, int out)
{
    if (c->out_armed == out) return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (out ? EPOLLOUT : 0),
                             .data.ptr = c};
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0) c->out_armed = out;
}

/* The socket is full (or wslay has output waiting): wait for EPOLLOUT. */
static void blocked(shard *s, conn *c)
{
    c->writable = 0;
    watch(s, c, 1);
}

static void start_close(shard *s, conn *c, uint16_t code, const char *reason)
{
    if (ws_conn_closing(c->ws)) return;
    ws_conn_close(c->ws, code, reason);
    c->deadline_ms = clock_now_ms() + CLOSE_GRACE_MS;
    (void)s;
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

static void batch_add(batch *b, int64_t id, const uint8_t *p, size_t len)
{
    struct iovec *last = b->niov ? &b->iov[b->niov - 1] : NULL;
    if (last && (const uint8_t *)last->iov_base + last->iov_len == p)
        last->iov_len += len; /* adjacent in its chunk: one run */
    else
        b->iov[b->niov++] = (struct iovec){(void *)p, len};
    b->segs[b->nseg++] = (seg){id, len};
    b->bytes += len;
}

/* Account `r` written bytes against the frames of the batch. */
static void consume(shard *s, conn *c, const batch *b, size_t r)
{
    if (r == b->bytes && b->nseg) { /* all of it: the usual case */
        int intro = !b->segs[0].id;
        if (intro) c->intro_off = c->intro_len;
        if (b->segs[b->nseg - 1].id) {
            c->cursor = b->segs[b->nseg - 1].id + 1;
            c->offset = 0;
        }
        __atomic_add_fetch(&s->n.delivered, b->nseg - intro, __ATOMIC_RELAXED);
        return;
    }
    int64_t done = 0;
    for (int k = 0; k < b->nseg && r > 0; k++) {
        size_t take = r < b->segs[k].len ? r : b->segs[k].len;
        r -= take;
        if (!b->segs[k].id) {
            c->intro_off = (uint8_t)(c->intro_off + take);
        } else if (take == b->segs[k].len) {
            c->cursor = b->segs[k].id + 1;
            c->offset = 0;
            done++;
        } else {
            c->cursor = b->segs[k].id;
            c->offset += take;
        }
    }
    if (done) __atomic_add_fetch(&s->n.delivered, done, __ATOMIC_RELAXED);
}

/* Fill the batch with the intro and the frames from the cursor that c may hear. Sets *end to
 * the id after the last event looked at. Returns the frame count; 0 means nothing is due, and
 * then the cursor may move past events it does not hear. */
static int gather(shard *s, conn *c, batch *b, int64_t *end)
{
    b->niov = b->nseg = 0;
    b->bytes = 0;
    if (c->intro_off < c->intro_len)
        batch_add(b, 0, c->intro + c->intro_off, (size_t)(c->intro_len - c->intro_off));
    const ring *rg = &s->ring;
    int64_t id = c->cursor;
    *end = id;
    if (id > rg->last || id < rg->first) return b->nseg; /* out of the ring: check_slow's */
    /* The hot loop of a pass (every event due, for every connection): walk the slots without
     * a division per event, and ask the audience only for filtered listeners. */
    int filtered = c->who.departments_only, slot = (int)(id % rg->size);
    size_t off = c->offset;
    for (;
         id <= rg->last && b->nseg < WRITE_FRAMES && b->niov < WRITE_IOV && b->bytes < WRITE_BYTES;
         id++, off = 0) {
        const ring_event *ev = rg->slots[slot];
        if (++slot == rg->size) slot = 0;
        if (!ev->frame || (filtered && !off && !audience_hears(&c->who, &ev->tag))) continue;
        batch_add(b, id, ev->frame + off, ev->len - off);
    }
    *end = id;
    return b->nseg;
}

/* Close a connection that has fallen too far behind or out of the ring. */
static int check_slow(shard *s, conn *c)
{
    if (ws_conn_closing(c->ws)) return 0;
    int64_t from = c->blocked_at > c->cursor - 1 ? c->blocked_at : c->cursor - 1;
    int out_of_ring = c->cursor < s->ring.first && s->ring.last >= s->ring.first;
    if (!out_of_ring && (!c->blocked_at || s->ring.last - from <= s->h->opt.queue_limit)) return 0;
    start_close(s, c, WS_CLOSE_POLICY, "slow consumer: too many events behind");
    __atomic_add_fetch(&s->n.slow_closed, 1, __ATOMIC_RELAXED);
    return 1;
}

/* While closing: finish a half-written frame, then let wslay send the close frame. */
static void write_closing(shard *s, conn *c)
{
    if (c->offset || (c->intro_off && c->intro_off < c->intro_len)) {
        batch b = {.niov = 0};
        const ring_event *ev = c->offset ? ring_get(&s->ring, c->cursor) : NULL;
        if (c->intro_off < c->intro_len) {
            batch_add(&b, 0, c->intro + c->intro_off, (size_t)(c->intro_len - c->intro_off));
        } else if (ev) {
            batch_add(&b, ev->id, ev->frame + c->offset, ev->len - c->offset);
        } else {
            kill_conn(s, c); /* the rest of the frame is gone: nothing sane to send */
            return;
        }
        ssize_t r = ws_conn_writev(c->ws, b.iov, b.niov);
        if (r < 0) {
            kill_conn(s, c);
            return;
        }
        consume(s, c, &b, (size_t)r);
        if ((size_t)r < b.bytes) {
            blocked(s, c);
            return;
        }
        ws_conn_set_mid_frame(c->ws, 0);
    }
    if (ws_conn_flush(c->ws) < 0 || ws_conn_done(c->ws))
        kill_conn(s, c);
    else if (ws_conn_want_write(c->ws))
        blocked(s, c);
}

/* Write what is due to one connection until its socket is full or it has caught up. */
static void write_conn(shard *s, conn *c)
{
    if (c->dead) return;
    if (ws_conn_closing(c->ws)) {
        write_closing(s, c);
        return;
    }
    if (check_slow(s, c)) {
        write_closing(s, c);
        return;
    }
    batch *b = &s->batch;
    for (;;) {
        int64_t end;
        if (!gather(s, c, b, &end)) {
            if (end > c->cursor) c->cursor = end, c->offset = 0;
            c->blocked_at = 0;
            break;
        }
        ssize_t r = ws_conn_writev(c->ws, b->iov, b->niov);
        if (r < 0) {
            kill_conn(s, c);
            return;
        }
        __atomic_add_fetch(&s->n.writes, 1, __ATOMIC_RELAXED);
        consume(s, c, b, (size_t)r);
        ws_conn_set_mid_frame(c->ws, c->offset || (c->intro_off && c->intro_off < c->intro_len));
        if ((size_t)r < b->bytes) {
            blocked(s, c);
            __atomic_add_fetch(&s->n.full, 1, __ATOMIC_RELAXED);
            if (!c->blocked_at) c->blocked_at = s->ring.last;
            check_slow(s, c);
            return;
        }
        if (c->cursor < end) c->cursor = end; /* past events it does not hear */
    }
    if (ws_conn_flush(c->ws) < 0)
        kill_conn(s, c);
    else if (ws_conn_want_write(c->ws))
        blocked(s, c);
}

static void on_socket(shard *s, conn *c, uint32_t events)
{
    if (c->dead) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        if (ws_conn_on_readable(c->ws) < 0) {
            kill_conn(s, c);
            return;
        }
        if (ws_conn_closing(c->ws) && !c->deadline_ms)
            c->deadline_ms = clock_now_ms() + CLOSE_GRACE_MS;
    }
    if (events & EPOLLOUT) {
        c->writable = 1;
        watch(s, c, 0);
    }
    if (c->writable) write_conn(s, c);
    if (!c->dead && ws_conn_done(c->ws)) kill_conn(s, c);
}

/* ---- attaches and events (hub thread) -------------------------------------------------------- */

static conn *new_conn(shard *s, attach *a)
{
    if (s->nconns == s->cap) {
        int cap = s->cap ? s->cap * 2 : 1024;
        conn **grown = realloc(s->conns, (size_t)cap * sizeof *grown);
        if (!grown) return NULL;
        s->conns = grown;
        s->cap = cap;
    }
    conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (!(c->ws = ws_conn_new(a->fd, a->extra, a->extra_len))) {
        free(c);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, a->fd, &ev) < 0) {
        ws_conn_free(c->ws);
        free(c);
        return NULL;
    }
    c->fd = a->fd;
    c->up = a->up;
    c->who = a->who;
    c->writable = 1;
    c->last_ping_ms = clock_now_ms();
    c->recheck_at_ms = c->last_ping_ms + s->h->opt.recheck_ms;
    c->index = s->nconns;
    s->conns[s->nconns++] = c; /* counted in n.connections by hub_attach */
    return c;
}

/* Where a new connection starts: right after `since` when the ring still holds what follows
 * it (or `since` was published but has not reached this shard yet), else a resync from the
 * newest event. */
static void place(shard *s, conn *c, int64_t since)
{
    int64_t last = s->ring.last;
    if (since >= s->ring.first - 1 && (since <= last || since <= hub_last_id(s->h))) {
        c->cursor = since + 1;
        set_intro(c, "ready", since);
    } else {
        c->cursor = last + 1;
        set_intro(c, "resync", last);
    }
}

static void take_attaches(shard *s)
{
    pthread_mutex_lock(&s->lock);
    attach *list = s->attaches;
    s->attaches = NULL;
    pthread_mutex_unlock(&s->lock);
    while (list) {
        attach *a = list;
        list = a->next;
        conn *c = new_conn(s, a);
        if (!c) {
            log_warn("stream: cannot take a connection: out of memory");
            http_upgraded_close(a->up);
            __atomic_sub_fetch(&s->n.connections, 1, __ATOMIC_RELAXED);
        } else if (s->nconns > s->h->opt.max_conns) {
            start_close(s, c, WS_CLOSE_TRY_LATER, "too many live connections");
        } else {
            place(s, c, a->since);
            write_conn(s, c); /* its intro (and what it missed) now, not at the next event */
        }
        free(a->extra);
        free(a);
    }
}

/* Move what the dispatcher handed over into the ring (shard 0 dispatches first). After lost
 * events, forget the ring (so resumes resync) and ask every client to reconnect. Returns how
 * many events were added. */
static int take_events(shard *s)
{
    if (s->index == 0) hub_dispatch(s->h, s->db);
    pthread_mutex_lock(&s->lock);
    ring_event **list = s->pending;
    int n = s->npending, reset = s->reset;
    int64_t reset_to = s->reset_to;
    s->pending = NULL;
    s->npending = s->pending_cap = 0;
    s->reset = 0;
    pthread_mutex_unlock(&s->lock);
    if (reset) {
        ring_reset(&s->ring, reset_to);
        for (int i = 0; i < s->nconns; i++)
            start_close(s, s->conns[i], WS_CLOSE_TRY_LATER, "events were lost: reconnect");
    }
    int added = 0;
    for (int i = 0; i < n; i++) {
        if (reset && list[i]->id < reset_to) {
            ring_event_unref(list[i]); /* from before the loss */
            continue;
        }
        ring_push(&s->ring, list[i]);
        added++;
    }
    free(list);
    return added;
}

/* Write to every connection that can take data; close those that fell too far behind. A pass
 * over many connections takes a while: events committed meanwhile join it every
 * FAN_OUT_STRIDE connections (so the rest of the pass carries them), and the connections
 * already passed get them in the next pass, which starts at once (fan_out_again). */
static void fan_out(shard *s)
{
    __atomic_add_fetch(&s->n.passes, 1, __ATOMIC_RELAXED);
    for (int i = s->nconns - 1; i >= 0; i--) {
        if (i && i % FAN_OUT_STRIDE == 0 && take_events(s)) s->fan_out_again = 1;
        conn *c = s->conns[i];
        if (c->writable)
            write_conn(s, c);
        else if (c->blocked_at)
            check_slow(s, c);
    }
}

/* Close a connection whose session or token no longer holds (checked every recheck_ms). */
static int recheck(shard *s, conn *c, int64_t now)
{
    if (now < c->recheck_at_ms) return 0;
    c->recheck_at_ms = now + s->h->opt.recheck_ms;
    int valid = audience_still_valid(s->db, &c->who, s->h->opt.session_idle_ms,
                                     s->h->opt.session_absolute_ms, now);
    if (valid != 0) return 0; /* valid, or a database error: ask again next time */
    start_close(s, c, WS_CLOSE_SIGN_IN, "sign in again");
    write_conn(s, c);
    return 1;
}

/* Pings, dead peers, credentials, close deadlines. */
static void sweep(shard *s, int64_t now)
{
    for (int i = s->nconns - 1; i >= 0; i--) {
        conn *c = s->conns[i];
        if (c->dead) continue;
        if (c->deadline_ms) {
            if (now >= c->deadline_ms) kill_conn(s, c);
            continue;
        }
        if (recheck(s, c, now)) continue;
        if (now - c->last_ping_ms < s->h->opt.ping_ms) continue;
        if (c->pinged && !ws_conn_heard(c->ws)) {
            __atomic_add_fetch(&s->n.dead_dropped, 1, __ATOMIC_RELAXED);
            kill_conn(s, c);
            continue;
        }
        ws_conn_heard(c->ws);
        c->pinged = 1;
        c->last_ping_ms = now;
        if (ws_conn_ping(c->ws) < 0)
            kill_conn(s, c);
        else if (c->writable)
            write_conn(s, c);
    }
}

/* ---- the thread ---------------------------------------------------------------------------- */

static int loop_turn(shard *s, int timeout_ms)
{
    struct epoll_event evs[EPOLL_BATCH];
    int n = epoll_wait(s->epfd, evs, EPOLL_BATCH, timeout_ms);
    if (n < 0 && errno != EINTR) {
        log_error("stream: epoll_wait failed: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (evs[i].data.ptr == NULL) {
            uint64_t v;
            ssize_t r = read(s->wakefd, &v, sizeof v);
            (void)r;
            continue;
        }
        on_socket(s, evs[i].data.ptr, evs[i].events);
    }
    take_attaches(s);
    if (take_events(s) || s->fan_out_again) {
        s->fan_out_again = 0;
        fan_out(s);
    }
    int64_t now = clock_now_ms();
    if (now >= s->next_sweep_ms) {
        sweep(s, now);
        s->next_sweep_ms = now + SWEEP_MS;
    }
    release_dead(s);
    return 0;
}

/* Server stop: close every connection with 1001, give the handshakes a moment, release all. */
static void drain_for_stop(shard *s)
{
    take_attaches(s);
    for (int i = 0; i < s->nconns; i++) {
        start_close(s, s->conns[i], WS_CLOSE_GOING_AWAY, "server stopping");
        write_conn(s, s->conns[i]);
    }
    int64_t until = clock_now_ms() + STOP_GRACE_MS;
    while (s->nconns && clock_now_ms() < until) {
        release_dead(s);
        if (loop_turn(s, 50) < 0) break;
    }
    for (int i = 0; i < s->nconns; i++)
        kill_conn(s, s->conns[i]);
    release_dead(s);
}

static void *shard_main(void *arg)
{
    shard *s = arg;
    char name[16];
    snprintf(name, sizeof name, "sanad-hub-%d", s->index);
    pthread_setname_np(pthread_self(), name);
    while (!hub_is_stopping(s->h)) {
        int64_t wait = s->fan_out_again ? 0 : s->next_sweep_ms - clock_now_ms();
        if (loop_turn(s, wait < 0 ? 0 : (int)wait) < 0) break;
    }
    drain_for_stop(s);
    return NULL;
}

int shard_init(shard *s, struct hub *h, int index, int64_t next_id, sn_err *e)
{
    s->h = h;
    s->index = index;
    s->epfd = s->wakefd = -1;
    pthread_mutex_init(&s->lock, NULL);
    store_options so = {"NORMAL", 10000};
    int rc = store_open(h->opt.db, &so, &s->db, e);
    if (rc < 0) return rc;
    if (ring_init(&s->ring, h->opt.ring_size, next_id) < 0 ||
        (s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot set up the live hub");
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wakefd, &ev) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot set up the live hub");
    return 0;
}

int shard_start(shard *s)
{
    if (pthread_create(&s->thread, NULL, shard_main, s) != 0) return -1;
    s->started = 1;
    return 0;
}

void shard_join(shard *s)
{
    if (!s->started) return;
    shard_wake(s);
    pthread_join(s->thread, NULL);
    s->started = 0;
}

/* Free what the thread left (after shard_join, or when it never started). */
void shard_fini(shard *s)
{
    if (!s->h) return;
    for (int i = 0; i < s->npending; i++)
        ring_event_unref(s->pending[i]);
    free(s->pending);
    while (s->attaches) {
        attach *a = s->attaches;
        s->attaches = a->next;
        http_upgraded_close(a->up);
        free(a->extra);
        free(a);
    }
    ring_fini(&s->ring);
    free(s->conns);
    store_close(s->db);
    if (s->epfd >= 0) close(s->epfd);
    if (s->wakefd >= 0) close(s->wakefd);
    pthread_mutex_destroy(&s->lock);
    s->h = NULL;
}
