/* joinable_cache.c — see joinable_cache.h. Open addressing with linear probing on (customer,
 * line), grown at half full; a forgotten pair keeps its slot with no state (state 0), so
 * probing needs no tombstones. */
#include "joinable_cache.h"

#include <stdlib.h>

typedef struct slot {
    int64_t customer; /* 0: empty */
    int64_t line;
    joinable_entry e; /* e.state 0: forgotten */
} slot;

struct joinable_cache {
    slot *slots;
    size_t cap, n;
};

static size_t home(const joinable_cache *c, int64_t customer, int64_t line)
{
    uint64_t h = ((uint64_t)customer * 0x9e3779b97f4a7c15ULL) ^
                 ((uint64_t)line * 0xc2b2ae3d27d4eb4fULL); /* Fibonacci hashing of each */
    return (size_t)(h >> 29) & (c->cap - 1);
}

static slot *find(const joinable_cache *c, int64_t customer, int64_t line)
{
    for (size_t i = home(c, customer, line);; i = (i + 1) & (c->cap - 1)) {
        slot *s = &c->slots[i];
        if (!s->customer || (s->customer == customer && s->line == line)) return s;
    }
}

joinable_cache *joinable_cache_new(void)
{
    return calloc(1, sizeof(joinable_cache));
}

void joinable_cache_clear(joinable_cache *c)
{
    if (!c) return;
    free(c->slots);
    *c = (joinable_cache){0};
}

void joinable_cache_free(joinable_cache *c)
{
    joinable_cache_clear(c);
    free(c);
}

const joinable_entry *joinable_cache_get(const joinable_cache *c, int64_t customer, int64_t line)
{
    if (!c || !c->cap || customer <= 0) return NULL;
    const slot *s = find(c, customer, line);
    return s->customer && s->e.state ? &s->e : NULL;
}

static int grow(joinable_cache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 4096;
    joinable_cache bigger = {calloc(cap, sizeof(slot)), cap, c->n};
    if (!bigger.slots) return -1;
    for (size_t i = 0; i < c->cap; i++) {
        const slot *s = &c->slots[i];
        if (s->customer) *find(&bigger, s->customer, s->line) = *s;
    }
    free(c->slots);
    *c = bigger;
    return 0;
}

int joinable_cache_put(joinable_cache *c, int64_t customer, int64_t line, const joinable_entry *e)
{
    if (customer <= 0) return -1;
    if ((c->n + 1) * 2 > c->cap && grow(c) < 0) {
        joinable_cache_forget(c, customer, line);
        return -1;
    }
    slot *s = find(c, customer, line);
    if (!s->customer) {
        s->customer = customer;
        s->line = line;
        c->n++;
    }
    s->e = *e;
    return 0;
}

void joinable_cache_forget(joinable_cache *c, int64_t customer, int64_t line)
{
    if (!c || !c->cap || customer <= 0) return;
    slot *s = find(c, customer, line);
    if (s->customer) s->e.state = 0;
}
