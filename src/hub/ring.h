/* ring.h — the replay ring: the last N live events, each already encoded as one WebSocket text
 * frame (header + JSON), with the tag saying who may hear it. Ids are consecutive: the ring
 * holds [first, last]; pushing past capacity forgets the oldest. A ring is owned by one hub
 * thread (no locking); the events in it are shared between the rings of every hub thread
 * (encoded once, refcounted: ring_event_ref / ring_event_unref may be called from any thread).
 * A frame stays valid while a ring or a caller holds a reference. */
#ifndef SANAD_RING_H
#define SANAD_RING_H

#include "audience.h"

#include <stddef.h>
#include <stdint.h>

/* Frames are packed back to back into chunks, so the frames of consecutive events are
 * adjacent in memory and a connection that hears them all is sent one contiguous run (one
 * iovec, one copy in the kernel) whatever the number of events. A chunk lives while an event
 * in it does. */
typedef struct ring_chunk {
    int refs; /* atomic: the events in it, and the packer while it fills it */
    size_t cap, used;
    uint8_t data[];
} ring_chunk;

/* A new chunk of `cap` bytes with one reference, or NULL. */
ring_chunk *ring_chunk_new(size_t cap);
void ring_chunk_unref(ring_chunk *ch);

typedef struct ring_event {
    int refs; /* atomic */
    int64_t id;
    audience_tag tag;
    uint8_t *frame; /* NULL: a hole nobody is sent (encoding failed) */
    size_t len;
    ring_chunk *chunk; /* holds frame (a reference), or NULL when frame is its own malloc */
} ring_event;

/* A new event with one reference; takes `frame` (may be NULL) and the caller's reference to
 * `chunk` (may be NULL: then frame is its own allocation). NULL when out of memory (then both
 * are released). */
ring_event *ring_event_new(int64_t id, const audience_tag *tag, uint8_t *frame, size_t len,
                           ring_chunk *chunk);
void ring_event_ref(ring_event *ev);
/* Drop a reference; the last one frees the event. NULL is allowed. */
void ring_event_unref(ring_event *ev);

typedef struct ring {
    ring_event **slots;
    int size;
    int64_t first, last; /* ids held; empty when last < first */
} ring;

/* An empty ring of `size` slots whose next id is `next_id`. */
int ring_init(ring *r, int size, int64_t next_id);
void ring_fini(ring *r);
/* Append `ev` (its id must be last + 1, or anything when the ring is empty); takes the
 * caller's reference. */
void ring_push(ring *r, ring_event *ev);
/* The event with this id, or NULL when it is not (or no longer) held. */
const ring_event *ring_get(const ring *r, int64_t id);
/* Forget everything; the next id is `next_id`. */
void ring_reset(ring *r, int64_t next_id);

#endif
