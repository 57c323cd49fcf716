/* joinable_cache.h — what a bulk writer replaying history (the contacts import) remembers
 * between lines about each customer's conversations on each service line: the one a later
 * contact could join, and its state, when it is the only one that could be. find_joinable
 * answers from it instead of searching the customer's conversations (1.1 million searches in
 * the seed import, each an index search and a row read per conversation found).
 *
 * An entry is true from `since` on: the other conversations of the customer on the line were
 * not joinable at that time — solved longer than reopen_days before it, closed for good or
 * merged — and stay so for any later contact, since a conversation only becomes joinable
 * again by being joined. A contact received before `since` (a file out of order) is answered
 * by the database. Like customer_cache, it is only as true as the database it was learnt
 * from: its owner clears it whenever another connection may have written and after a
 * rollback. Not thread-safe. */
#ifndef SANAD_JOINABLE_CACHE_H
#define SANAD_JOINABLE_CACHE_H

#include <stdint.h>

typedef struct joinable_cache joinable_cache;

enum joinable_state {
    JOINABLE_OPEN = 1, /* open or pending: a contact joins it */
    JOINABLE_SOLVED,   /* solved (or closed early by the import): reopened within reopen_days */
    JOINABLE_NEVER,    /* closed for good: a contact starts a new conversation */
};

typedef struct joinable_entry {
    int64_t conversation_id;
    int64_t solved_at; /* JOINABLE_SOLVED */
    int64_t since;     /* the entry holds for contacts received at or after this */
    enum joinable_state state;
} joinable_entry;

joinable_cache *joinable_cache_new(void);
void joinable_cache_free(joinable_cache *c);
void joinable_cache_clear(joinable_cache *c);

/* What is remembered of customer's conversations on line (0: none given), or NULL. */
const joinable_entry *joinable_cache_get(const joinable_cache *c, int64_t customer, int64_t line);
/* Remember e for (customer, line), replacing what was; -1 when out of memory (then the pair
 * is forgotten). */
int joinable_cache_put(joinable_cache *c, int64_t customer, int64_t line, const joinable_entry *e);
/* Forget (customer, line): the database answers its next contact. */
void joinable_cache_forget(joinable_cache *c, int64_t customer, int64_t line);

#endif
