/* ring.c — a fixed array indexed by id modulo its size. */
#include "ring.h"

#include <stdlib.h>

int ring_init(ring *r, int size, int64_t next_id)
{
    r->slots = calloc((size_t)size, sizeof *r->slots);
    if (!r->slots) return -1;
    r->size = size;
    r->first = next_id;
    r->last = next_id - 1;
    return 0;
}

static void clear(ring *r)
{
    for (int i = 0; i < r->size; i++) {
        free(r->slots[i].frame);
        r->slots[i].frame = NULL;
    }
}

void ring_fini(ring *r)
{
    if (!r->slots) return;
    clear(r);
    free(r->slots);
    r->slots = NULL;
}

void ring_push(ring *r, int64_t id, const audience_tag *tag, uint8_t *frame, size_t len)
{
    if (r->last < r->first) r->first = id;
    ring_event *s = &r->slots[id % r->size];
    free(s->frame);
    s->id = id;
    s->tag = *tag;
    s->frame = frame;
    s->len = len;
    r->last = id;
    if (r->last - r->first >= r->size) r->first = r->last - r->size + 1;
}

const ring_event *ring_get(const ring *r, int64_t id)
{
    if (id < r->first || id > r->last) return NULL;
    return &r->slots[id % r->size];
}

void ring_reset(ring *r, int64_t next_id)
{
    clear(r);
    r->first = next_id;
    r->last = next_id - 1;
}
