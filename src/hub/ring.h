/* ring.h — the replay ring: the last N live events, each already encoded as one WebSocket text
 * frame (header + JSON), with the tag saying who may hear it. Ids are consecutive: the ring
 * holds [first, last]; pushing past capacity forgets the oldest. Owned by the hub thread (no
 * locking). A frame stays valid until RING_SIZE more events are pushed or ring_reset. */
#ifndef SANAD_RING_H
#define SANAD_RING_H

#include "audience.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ring_event {
    int64_t id;
    audience_tag tag;
    uint8_t *frame; /* owned by the ring */
    size_t len;
} ring_event;

typedef struct ring {
    ring_event *slots;
    int size;
    int64_t first, last; /* ids held; empty when last < first */
} ring;

/* An empty ring of `size` slots whose next id is `next_id`. */
int ring_init(ring *r, int size, int64_t next_id);
void ring_fini(ring *r);
/* Append event `id` (must be last + 1, or anything when the ring is empty); takes `frame`. */
void ring_push(ring *r, int64_t id, const audience_tag *tag, uint8_t *frame, size_t len);
/* The event with this id, or NULL when it is not (or no longer) held. */
const ring_event *ring_get(const ring *r, int64_t id);
/* Forget everything; the next id is `next_id`. */
void ring_reset(ring *r, int64_t next_id);

#endif
