/* hub.c — the hub's public face: the events listener (hub_publish), attaching upgraded sockets
 * to the least-loaded hub thread, the dispatcher that tags and encodes each event once and
 * hands it to every thread, the benchmark's ticker, start and stop. The threads themselves
 * live in shard.c. See hub.h for the contract and hub_int.h for the data flow. */
#include "hub_int.h"

#include "../core/clock.h"
#include "../core/log.h"
#include "../domain/events.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INBOUND_MAX 100000 /* events waiting for the dispatcher; past it they are dropped */
#define HUB_CHUNK 262144   /* frames are packed into chunks of this size (ring.h) */

static hub *running;

hub *hub_running(void)
{
    return __atomic_load_n(&running, __ATOMIC_ACQUIRE);
}

static void wake(hub *h)
{
    shard_wake(&h->shards[0]); /* the dispatcher */
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

/* The shard with the fewest connections takes the next one. */
static shard *least_loaded(hub *h)
{
    shard *best = &h->shards[0];
    int best_n = __atomic_load_n(&best->n.connections, __ATOMIC_RELAXED);
    for (int i = 1; i < h->nshards; i++) {
        int n = __atomic_load_n(&h->shards[i].n.connections, __ATOMIC_RELAXED);
        if (n < best_n) best = &h->shards[i], best_n = n;
    }
    return best;
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
    /* Under the hub's lock, so that a stopping hub (whose threads may be gone) refuses it. */
    pthread_mutex_lock(&h->lock);
    int stopping = h->stopping;
    shard *s = least_loaded(h);
    if (!stopping) {
        /* Counted at once, so a burst of attaches spreads over the shards; the shard's thread
         * gives the count back when it releases the connection or cannot take it. */
        __atomic_add_fetch(&s->n.connections, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&s->lock);
        a->next = s->attaches;
        s->attaches = a;
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&h->lock);
    if (stopping) {
        free(a->extra);
        free(a);
        return -1;
    }
    shard_wake(s);
    return 0;
}

void hub_get_stats(hub *h, hub_stats *out)
{
    memset(out, 0, sizeof *out);
    out->last_id = hub_last_id(h);
    out->dropped_events = __atomic_load_n(&h->dropped_events, __ATOMIC_RELAXED);
    for (int i = 0; i < h->nshards; i++) {
        const shard_counters *n = &h->shards[i].n;
        out->connections += __atomic_load_n(&n->connections, __ATOMIC_RELAXED);
        out->delivered += __atomic_load_n(&n->delivered, __ATOMIC_RELAXED);
        out->slow_closed += __atomic_load_n(&n->slow_closed, __ATOMIC_RELAXED);
        out->dead_dropped += __atomic_load_n(&n->dead_dropped, __ATOMIC_RELAXED);
        out->passes += __atomic_load_n(&n->passes, __ATOMIC_RELAXED);
        out->writes += __atomic_load_n(&n->writes, __ATOMIC_RELAXED);
        out->full += __atomic_load_n(&n->full, __ATOMIC_RELAXED);
    }
}

/* Room for `need` bytes in the chunk being filled (a new one when it is full), or NULL: then
 * the frame gets its own allocation (large frames, or out of memory). */
static ring_chunk *chunk_for(hub *h, size_t need)
{
    if (need > HUB_CHUNK / 4) return NULL;
    if (h->chunk && h->chunk->cap - h->chunk->used >= need) return h->chunk;
    ring_chunk_unref(h->chunk);
    h->chunk = ring_chunk_new(HUB_CHUNK);
    return h->chunk;
}

/* One event as a text frame: {"id":…,"type":…,"data":…,"at":…}, packed after the previous one
 * in the current chunk. Returns the frame and sets *len and *chunk (a reference, or NULL when
 * the frame is its own malloc); NULL when out of memory. */
static uint8_t *encode(hub *h, const inbound *ev, size_t *len, ring_chunk **chunk)
{
    char head[96], tail[48], iso[32];
    clock_iso8601(ev->at_ms, iso, sizeof iso);
    int hl = snprintf(head, sizeof head, "{\"id\":%" PRId64 ",\"type\":\"%s\",\"data\":", ev->id,
                      ev->type);
    int tl = snprintf(tail, sizeof tail, ",\"at\":\"%s\"}", iso);
    size_t dl = strlen(ev->data), payload = (size_t)hl + dl + (size_t)tl;
    uint8_t hdr[10];
    size_t fh = ws_text_header(hdr, payload);
    uint8_t *frame;
    if ((*chunk = chunk_for(h, fh + payload))) {
        frame = (*chunk)->data + (*chunk)->used;
        (*chunk)->used += fh + payload;
        __atomic_add_fetch(&(*chunk)->refs, 1, __ATOMIC_RELAXED);
    } else if (!(frame = malloc(fh + payload))) {
        return NULL;
    }
    memcpy(frame, hdr, fh);
    memcpy(frame + fh, head, (size_t)hl);
    memcpy(frame + fh + hl, ev->data, dl);
    memcpy(frame + fh + hl + dl, tail, (size_t)tl);
    *len = fh + payload;
    return frame;
}

/* Hand `ev` (one reference each) to every shard, in id order; wake the others. */
static void hand_out(hub *h, ring_event *ev)
{
    for (int i = 0; i < h->nshards; i++) {
        shard *s = &h->shards[i];
        pthread_mutex_lock(&s->lock);
        int grown = 1;
        if (s->npending == s->pending_cap) {
            int cap = s->pending_cap ? s->pending_cap * 2 : 64;
            ring_event **more = realloc(s->pending, (size_t)cap * sizeof *more);
            if (more)
                s->pending = more, s->pending_cap = cap;
            else
                grown = 0;
        }
        int was_empty = !s->npending;
        if (grown) {
            ring_event_ref(ev);
            s->pending[s->npending++] = ev;
        } else {
            s->reset = 1; /* out of memory: this shard lost the event; its clients resync */
            s->reset_to = ev->id + 1;
        }
        pthread_mutex_unlock(&s->lock);
        if (i && was_empty) shard_wake(s);
    }
}

/* Tell every shard to forget its ring: events from `next_id` on follow. */
static void reset_shards(hub *h, int64_t next_id)
{
    for (int i = 0; i < h->nshards; i++) {
        shard *s = &h->shards[i];
        pthread_mutex_lock(&s->lock);
        s->reset = 1;
        s->reset_to = next_id;
        pthread_mutex_unlock(&s->lock);
        if (i) shard_wake(s);
    }
}

int hub_dispatch(hub *h, store *db)
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
        /* Events were dropped: nobody can be served without a gap. */
        log_warn("stream: the hub fell behind and dropped events; clients will resync");
        reset_shards(h, list ? list->id : next);
    }
    int added = 0;
    while (list) {
        inbound *in = list;
        list = in->next;
        audience_tag tag;
        if (audience_tag_event(db, in->type, in->conversation_id, in->escalation_id, &tag) < 0) {
            log_warn("stream: cannot tag event %" PRId64 ": %s", in->id, store_errmsg(db));
            memset(&tag, 0, sizeof tag); /* agent-side only */
        }
        size_t len = 0;
        ring_chunk *chunk = NULL;
        uint8_t *frame = encode(h, in, &len, &chunk); /* NULL (out of memory): a hole */
        ring_event *ev = ring_event_new(in->id, &tag, frame, len, chunk);
        if (ev) {
            hand_out(h, ev);
            ring_event_unref(ev);
            added++;
        } else {
            reset_shards(h, in->id + 1); /* out of memory: a gap; clients resync */
        }
        free(in->data);
        free(in);
    }
    return added;
}

/* ---- the benchmark's ticker (stream-bench-rate: test only) -------------------------------- */

int hub_is_stopping(hub *h)
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
    while (!hub_is_stopping(h)) {
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

/* ---- start and stop ------------------------------------------------------------------------ */

int hub_start(const hub_options *opt, hub **out, sn_err *e)
{
    hub *h = calloc(1, sizeof *h);
    if (!h) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    h->opt = *opt;
    if (h->opt.queue_limit >= h->opt.ring_size) h->opt.queue_limit = h->opt.ring_size - 1;
    h->nshards = opt->threads < 1 ? 1 : opt->threads;
    if (h->nshards > HUB_MAX_SHARDS) h->nshards = HUB_MAX_SHARDS;
    pthread_mutex_init(&h->lock, NULL);
    h->next_id = clock_now_ms() * 1000;
    int rc = 0;
    for (int i = 0; rc == 0 && i < h->nshards; i++)
        rc = shard_init(&h->shards[i], h, i, h->next_id, e);
    for (int i = 0; rc == 0 && i < h->nshards; i++)
        if (shard_start(&h->shards[i]) < 0)
            rc = sn_fail(e, SN_EINTERNAL, NULL, "cannot start the live hub");
    if (rc < 0) {
        hub_stop(h);
        hub_free(h);
        return rc;
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
}

void hub_stop(hub *h)
{
    if (!h) return;
    if (__atomic_load_n(&running, __ATOMIC_ACQUIRE) == h) {
        events_set_listener(NULL, NULL);
        __atomic_store_n(&running, NULL, __ATOMIC_RELEASE);
    }
    pthread_mutex_lock(&h->lock);
    int was = h->stopping;
    h->stopping = 1;
    pthread_mutex_unlock(&h->lock);
    if (was) return;
    for (int i = 0; i < h->nshards; i++)
        shard_join(&h->shards[i]);
    if (h->ticking) pthread_join(h->ticker, NULL);
    hub_stats st;
    hub_get_stats(h, &st);
    if (st.passes)
        log_info("stream: %" PRId64 " frames delivered in %" PRId64 " writes over %" PRId64
                 " passes (%d threads); %" PRId64 " writes found the socket full; %" PRId64
                 " slow consumers closed, %" PRId64 " dead peers dropped, %" PRId64
                 " events dropped",
                 st.delivered, st.writes, st.passes, h->nshards, st.full, st.slow_closed,
                 st.dead_dropped, st.dropped_events);
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
    for (int i = 0; i < h->nshards; i++)
        shard_fini(&h->shards[i]);
    ring_chunk_unref(h->chunk);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
