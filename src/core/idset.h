/* idset.h — a set of positive 64-bit ids in memory: open addressing with linear probing,
 * grown at half full, removal by shifting the run back (no tombstones). For a writer that
 * remembers which of millions of rows it treated specially (the contacts import's early-closed
 * conversations). Not thread-safe. */
#ifndef SANAD_CORE_IDSET_H
#define SANAD_CORE_IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct idset {
    int64_t *slots; /* 0: empty */
    size_t cap;     /* a power of two, or 0 */
    size_t n;
} idset;

/* 1 when added, 0 when it was there, -1 when out of memory (id must be > 0). */
int idset_add(idset *s, int64_t id);
/* 1 when removed, 0 when it was not there. */
int idset_remove(idset *s, int64_t id);
int idset_has(const idset *s, int64_t id);
void idset_fini(idset *s);

#endif
