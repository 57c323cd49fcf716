/* customer_cache.h — what a bulk writer (the contacts import) remembers between lines about
 * the customers it resolved: which customer each identity belongs to, and which customers have
 * a name. customer_resolve reads it before the database and fills it after; a hit saves the
 * three b-tree searches of an identity look-up (2 million of them in the seed import).
 *
 * It is only as true as the database it was filled from: its owner clears it whenever another
 * connection may have written (a merge moves identities) and after a rollback (it may name rows
 * that were never committed). Not thread-safe. */
#ifndef SANAD_CUSTOMER_CACHE_H
#define SANAD_CUSTOMER_CACHE_H

#include "customer.h"

customer_cache *customer_cache_new(void);
void customer_cache_free(customer_cache *c);
void customer_cache_clear(customer_cache *c);

/* The customer identity id belongs to, or 0 when not remembered. */
int64_t customer_cache_owner(const customer_cache *c, const customer_identity *id);
/* Remember that id belongs to customer (> 0); -1 when out of memory (then nothing changes). */
int customer_cache_set_owner(customer_cache *c, const customer_identity *id, int64_t customer_id);
/* Whether customer is remembered as having a name / remember that it has one. */
int customer_cache_named(const customer_cache *c, int64_t customer_id);
int customer_cache_set_named(customer_cache *c, int64_t customer_id);

#endif
