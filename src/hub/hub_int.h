/* hub_int.h — the hub's insides, shared by hub.c (the public face: publish, attach, the
 * dispatcher that tags and encodes each event once, start/stop) and shard.c (one hub thread:
 * its connections, epoll loop, fan-out writes, keepalive, closes). Not for use outside src/hub/.
 *
 * Threads and data flow:
 *
 *   committing thread ──hub_publish──> hub.inbound (locked list) ──wake shard 0──┐
 *   shard 0 (the dispatcher too): hub_dispatch tags + encodes each event once into a
 *     refcounted ring_event and hands a reference to every shard's `pending` (locked);
 *   every shard: pending → its own ring → writev to its own connections.
 *   HTTP worker ──hub_attach──> the least-loaded shard's `attaches` (locked) ──wake it.
 *
 * A shard's ring, connections, epoll set and database connection are touched by its thread
 * alone. */
#ifndef SANAD_HUB_INT_H
#define SANAD_HUB_INT_H

#include "hub.h"
#include "ring.h"

#include "../http/ws.h"
#include "../store/store.h"

#include <pthread.h>
#include <sys/uio.h>

#define HUB_MAX_SHARDS 8

/* A committed event on its way to the dispatcher. */
typedef struct inbound {
    struct inbound *next;
    int64_t id, at_ms, conversation_id, escalation_id;
    char type[40];
    char *data; /* compact JSON */
} inbound;

/* An upgraded socket on its way to a shard. */
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
    int writable;  /* no EAGAIN since the last EPOLLOUT */
    int out_armed; /* EPOLLOUT is in the epoll interest (only while not writable) */
    int pinged;    /* a ping is out since the last sweep */
    int dead;      /* queued for release */
    int64_t last_ping_ms, deadline_ms, recheck_at_ms;
    int index; /* in shard.conns */
    struct conn *next_dead;
} conn;

/* Counters of one shard (written by its thread, read by hub_get_stats). */
typedef struct shard_counters {
    int64_t delivered, slow_closed, dead_dropped;
    int64_t passes; /* fan-out passes over the connections */
    int64_t writes; /* sendmsg calls that carried event frames */
    int64_t full;   /* of which found the socket full (the rest waits for EPOLLOUT) */
    int connections;
} shard_counters;

#define WRITE_IOV 64      /* iovecs per writev: runs of adjacent frames, so usually one or two */
#define WRITE_FRAMES 1024 /* frames per writev at most */

/* One frame of a write: an event's (id) or the intro (id 0), and its bytes in the write. */
typedef struct seg {
    int64_t id;
    size_t len;
} seg;

/* What one sendmsg carries: frames (segs) and the iovecs they were merged into. */
typedef struct batch {
    struct iovec iov[WRITE_IOV];
    seg segs[WRITE_FRAMES + 1];
    int niov, nseg;
    size_t bytes;
} batch;

typedef struct shard {
    struct hub *h;
    int index;
    pthread_t thread;
    int started;
    int epfd, wakefd;

    pthread_mutex_t lock; /* guards pending, reset and attaches */
    ring_event **pending; /* from the dispatcher, in id order */
    int npending, pending_cap;
    int reset; /* events were lost: forget the ring, ids restart at reset_to */
    int64_t reset_to;
    attach *attaches;

    /* The thread's own. */
    store *db; /* credential rechecks (and, on shard 0, event tags) */
    ring ring;
    conn **conns;
    int nconns, cap;
    conn *dead;
    int fan_out_again; /* events arrived during the last pass */
    int64_t next_sweep_ms;
    shard_counters n; /* fields read atomically */
    batch batch;      /* scratch for write_conn */
} shard;

struct hub {
    hub_options opt;
    pthread_t ticker;
    int ticking;

    pthread_mutex_t lock; /* guards the fields down to `stopping` */
    inbound *in_head, *in_tail;
    int in_count;
    int64_t next_id;
    int lost;
    int stopping;

    ring_chunk *chunk; /* the dispatcher's: frames are packed into it */
    int nshards;
    int64_t dropped_events; /* atomic */
    shard shards[HUB_MAX_SHARDS];
};

/* shard.c */
int shard_init(shard *s, struct hub *h, int index, int64_t next_id, sn_err *e);
int shard_start(shard *s);
void shard_join(shard *s);
void shard_fini(shard *s);
void shard_wake(shard *s);

/* hub.c: the dispatcher (shard 0's thread): tag and encode what was published, hand it to every
 * shard. Returns how many events were handed out. */
int hub_dispatch(struct hub *h, store *db);
int hub_is_stopping(struct hub *h);

#endif
