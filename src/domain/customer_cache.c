/* customer_cache.c — see customer_cache.h. Identities: open addressing with linear probing on
 * a 64-bit hash of (kind, value), keys copied into a bump arena, grown at half full (no
 * removal: the owner clears the whole cache). Named customers: a core/idset. */
#include "customer_cache.h"

#include "../core/idset.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    uint64_t hash; /* 0: empty */
    const char *value;
    int64_t customer;
    int kind;
} entry;

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    char data[];
} arena_block;

struct customer_cache {
    entry *slots;
    size_t cap, n;
    arena_block *arena;
    idset named;
};

#define ARENA_BLOCK (1 << 20)

static uint64_t hash_of(const customer_identity *id)
{
    uint64_t h = customer_identity_hash(id);
    return h ? h : 1;
}

static const char *arena_copy(customer_cache *c, const char *s)
{
    size_t len = strlen(s) + 1;
    arena_block *b = c->arena;
    if (!b || b->size - b->used < len) {
        size_t size = len > ARENA_BLOCK ? len : ARENA_BLOCK;
        if (!(b = malloc(sizeof *b + size))) return NULL;
        *b = (arena_block){c->arena, 0, size};
        c->arena = b;
    }
    char *out = b->data + b->used;
    memcpy(out, s, len);
    b->used += len;
    return out;
}

customer_cache *customer_cache_new(void)
{
    return calloc(1, sizeof(customer_cache));
}

void customer_cache_clear(customer_cache *c)
{
    if (!c) return;
    free(c->slots);
    while (c->arena) {
        arena_block *next = c->arena->next;
        free(c->arena);
        c->arena = next;
    }
    idset_fini(&c->named);
    *c = (customer_cache){0};
}

void customer_cache_free(customer_cache *c)
{
    customer_cache_clear(c);
    free(c);
}

static entry *find(const customer_cache *c, const customer_identity *id, uint64_t h)
{
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        entry *e = &c->slots[i];
        if (!e->hash || (e->hash == h && e->kind == (int)id->kind && !strcmp(e->value, id->value)))
            return e;
    }
}

int64_t customer_cache_owner(const customer_cache *c, const customer_identity *id)
{
    if (!c || !c->cap) return 0;
    const entry *e = find(c, id, hash_of(id));
    return e->hash ? e->customer : 0;
}

static int grow(customer_cache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 4096;
    entry *old = c->slots, *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < c->cap; i++) {
        if (!old[i].hash) continue;
        size_t j = old[i].hash & (cap - 1);
        while (slots[j].hash)
            j = (j + 1) & (cap - 1);
        slots[j] = old[i];
    }
    free(old);
    c->slots = slots;
    c->cap = cap;
    return 0;
}

int customer_cache_set_owner(customer_cache *c, const customer_identity *id, int64_t customer_id)
{
    if ((c->n + 1) * 2 > c->cap && grow(c) < 0) return -1;
    uint64_t h = hash_of(id);
    entry *e = find(c, id, h);
    if (e->hash) {
        e->customer = customer_id;
        return 0;
    }
    const char *value = arena_copy(c, id->value);
    if (!value) return -1;
    *e = (entry){h, value, customer_id, (int)id->kind};
    c->n++;
    return 0;
}

int customer_cache_named(const customer_cache *c, int64_t customer_id)
{
    return c && idset_has(&c->named, customer_id);
}

int customer_cache_set_named(customer_cache *c, int64_t customer_id)
{
    return idset_add(&c->named, customer_id) < 0 ? -1 : 0;
}
