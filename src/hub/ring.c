/* ring.c — a fixed array of shared events indexed by id modulo its size. */
#include "ring.h"

#include <stdlib.h>

ring_chunk *ring_chunk_new(size_t cap)
{
    ring_chunk *ch = malloc(sizeof *ch + cap);
    if (!ch) return NULL;
    ch->refs = 1;
    ch->cap = cap;
    ch->used = 0;
    return ch;
}

void ring_chunk_unref(ring_chunk *ch)
{
    if (ch && __atomic_sub_fetch(&ch->refs, 1, __ATOMIC_ACQ_REL) == 0) free(ch);
}

static void release_frame(uint8_t *frame, ring_chunk *chunk)
{
    if (chunk)
        ring_chunk_unref(chunk);
    else
        free(frame);
}

ring_event *ring_event_new(int64_t id, const audience_tag *tag, uint8_t *frame, size_t len,
                           ring_chunk *chunk)
{
    ring_event *ev = malloc(sizeof *ev);
    if (!ev) {
        release_frame(frame, chunk);
        return NULL;
    }
    ev->refs = 1;
    ev->id = id;
    ev->tag = *tag;
    ev->frame = frame;
    ev->len = frame ? len : 0;
    ev->chunk = chunk;
    return ev;
}

void ring_event_ref(ring_event *ev)
{
    __atomic_add_fetch(&ev->refs, 1, __ATOMIC_RELAXED);
}

void ring_event_unref(ring_event *ev)
{
    if (!ev || __atomic_sub_fetch(&ev->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
    release_frame(ev->frame, ev->chunk);
    free(ev);
}

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
        ring_event_unref(r->slots[i]);
        r->slots[i] = NULL;
    }
}

void ring_fini(ring *r)
{
    if (!r->slots) return;
    clear(r);
    free(r->slots);
    r->slots = NULL;
}

void ring_push(ring *r, ring_event *ev)
{
    if (r->last < r->first) r->first = ev->id;
    ring_event **s = &r->slots[ev->id % r->size];
    ring_event_unref(*s);
    *s = ev;
    r->last = ev->id;
    if (r->last - r->first >= r->size) r->first = r->last - r->size + 1;
}

const ring_event *ring_get(const ring *r, int64_t id)
{
    if (id < r->first || id > r->last) return NULL;
    return r->slots[id % r->size];
}

void ring_reset(ring *r, int64_t next_id)
{
    clear(r);
    r->first = next_id;
    r->last = next_id - 1;
}
