/* idset.c — see idset.h. */
#include "idset.h"

#include <stdlib.h>

static size_t slot_of(const idset *s, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ULL; /* Fibonacci hashing */
    return (size_t)(h >> 32) & (s->cap - 1);
}

static int grow(idset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    int64_t *old = s->slots, *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    size_t old_cap = s->cap;
    s->slots = slots;
    s->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i]) continue;
        size_t j = slot_of(s, old[i]);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = old[i];
    }
    free(old);
    return 0;
}

int idset_has(const idset *s, int64_t id)
{
    if (!s->cap || id <= 0) return 0;
    for (size_t i = slot_of(s, id); s->slots[i]; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == id) return 1;
    return 0;
}

int idset_add(idset *s, int64_t id)
{
    if (id <= 0) return -1;
    if ((s->n + 1) * 2 > s->cap && grow(s) < 0) return -1;
    size_t i = slot_of(s, id);
    for (; s->slots[i]; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == id) return 0;
    s->slots[i] = id;
    s->n++;
    return 1;
}

int idset_remove(idset *s, int64_t id)
{
    if (!s->cap || id <= 0) return 0;
    size_t mask = s->cap - 1, i = slot_of(s, id);
    while (s->slots[i] != id) {
        if (!s->slots[i]) return 0;
        i = (i + 1) & mask;
    }
    /* Shift back every later member of the run that may sit in the hole: one whose home slot
     * is not cyclically within (hole, its slot]. */
    for (size_t j = (i + 1) & mask; s->slots[j]; j = (j + 1) & mask) {
        size_t home = slot_of(s, s->slots[j]);
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays) continue;
        s->slots[i] = s->slots[j];
        i = j;
    }
    s->slots[i] = 0;
    s->n--;
    return 1;
}

void idset_fini(idset *s)
{
    free(s->slots);
    *s = (idset){0};
}
