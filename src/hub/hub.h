/* hub.h — the live-update hub: hub threads that own every live-stream WebSocket (GET
 * /api/v1/stream), hear committed domain events, number them, keep the last ones in a replay
 * ring and fan them out, each client seeing only what its audience allows (audience.h).
 *
 * Threads. hub_publish runs on whichever thread committed (the events listener) and
 * hub_attach on an HTTP worker; both only append to a locked list and wake a hub thread, which
 * does everything else. Connections are spread over `threads` hub threads (the least loaded
 * takes the next one); each runs an epoll loop over its own sockets (edge-triggered,
 * non-blocking, framed by ws_conn / wslay), with its own ring, writes, keepalive and closes.
 * Hub thread 0 is also the dispatcher: it tags each event (its own database connection) and
 * encodes it once into a frame packed after the previous one in a shared chunk, and hands a
 * reference to every thread's ring (hub_int.h draws the flow).
 *
 * Fan-out cost. On loopback each sendmsg costs ~5 µs of CPU with 10,000 sockets whatever it
 * carries (bench/ws-floor), so a hub thread writes each connection at most once per pass, all
 * that arrived since its cursor in one writev (adjacent frames merged into one iovec): a pass
 * over N connections costs about N sends however many events it carries, and an event waits
 * about one pass (adaptive batching: the busier, the more each send carries).
 *
 * Messages are JSON text frames:
 *   {"id":N,"type":"conversation.created","data":{…},"at":"2024-…Z"}   an event
 *   {"type":"ready","id":N}    first message: events after N follow
 *   {"type":"resync","id":N}   first message when ?since= is older than the ring or unknown:
 *                              reload state; events after N follow
 * Ids increase by one per event within a process and start at (boot time in ms) × 1000, so
 * they keep increasing across restarts and a `since` from before a restart asks for a resync.
 *
 * Each connection's queue is a cursor into its thread's ring (frames encoded once, written to
 * every socket with writev; no copy per connection). Bounds: a client whose socket stops taking
 * data and that falls `queue_limit` events behind is closed with 1008 "slow consumer"; one silent
 * for a ping interval after a ping is dropped; the inbound list is capped (past it events are
 * dropped and every client is told to resync). Every `recheck_ms` each connection's session or
 * API token is checked again: after a logout, a disabled user, an expired session or a revoked
 * token the stream closes with 4401 "sign in again". Per-connection lifecycle:
 *
 *   attached ──hub thread picks it up: "ready"/"resync" queued──> live
 *   live ──peer close / slow consumer (1008) / credential gone (4401) / server stop (1001):
 *          close queued──> closing
 *   closing ──close handshake done, or 5 s──> released (http_upgraded_close)
 *   any ──socket error, EOF, missed pong──> released */
#ifndef SANAD_HUB_H
#define SANAD_HUB_H

#include "audience.h"

#include "../core/err.h"
#include "../http/http.h"

#include <jansson.h>
#include <stdint.h>

typedef struct hub hub;

typedef struct hub_options {
    const char *db;  /* store URL: the hub's own connection for department tags */
    int ring_size;   /* events kept for ?since= */
    int queue_limit; /* events a blocked client may fall behind */
    int ping_ms;     /* keepalive interval */
    int max_conns;   /* more are closed at once with 1013 */
    int64_t session_idle_ms, session_absolute_ms; /* the session policy, for recheck_ms */
    int recheck_ms; /* how often a listener's session or token is checked again */
    int bench_rate; /* test only: a thread publishes this many bench.tick events a second */
    int threads;    /* hub threads sharing the connections (1 … 8) */
} hub_options;

/* Start the hub threads and register the hub as the events listener (events_set_listener). */
int hub_start(const hub_options *opt, hub **out, sn_err *e);
/* Close every connection (1001 "server stopping"), stop the threads and unregister the listener.
 * Connections still being upgraded are closed as they arrive. NULL is allowed. */
void hub_stop(hub *h);
/* Free what hub_stop left (call once no thread can publish any more). NULL is allowed. */
void hub_free(hub *h);
/* The running hub, or NULL (for the stream handler). */
hub *hub_running(void);

/* The id of the last event published so far: a client connecting now without ?since= starts
 * after it, so nothing committed after its request is missed. */
int64_t hub_last_id(hub *h);

/* Take over an upgraded socket (from an http_upgrade_fn): events after `since` that `who` may
 * hear follow a "ready" message, or a "resync" one when `since` is no longer in the ring.
 * Returns -1 when the hub is stopping (the caller then closes `up`). */
int hub_attach(hub *h, int fd, http_upgraded *up, const char *extra, size_t extra_len,
               const audience *who, int64_t since);

/* The events listener: queue a committed event (data is read, not kept). */
void hub_publish(const char *type, json_t *data, void *hub_arg);

/* Counters for /metrics and the benchmark. */
typedef struct hub_stats {
    int connections;
    int64_t last_id;
    int64_t delivered; /* frames fully written */
    int64_t slow_closed, dead_dropped, dropped_events;
    int64_t passes; /* fan-out passes over the connections */
    int64_t writes; /* sendmsg calls that carried event frames */
    int64_t full;   /* writes that found the socket full */
} hub_stats;
void hub_get_stats(hub *h, hub_stats *out);

#endif
