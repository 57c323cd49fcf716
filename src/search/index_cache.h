/* index_cache.h — what one thread remembers of the index between searches (internal to search/).
 *
 * A search needs, for every document that matches a rare query term, its filter attributes and
 * field lengths, and for every query term its document frequency. Reading them row by row was
 * most of a search's cost, so each thread keeps them:
 *
 *   documents   every row of search_docs (narrow: about 64 bytes each), by id
 *   df          document frequencies of the terms, prefixes and phrases asked for so far
 *   postings    for the rarer of them, the documents holding them (in any field, and in the
 *               title), as indexes into the documents (4 bytes each), listed by the backend
 *               on first use
 *   texts       the analysed title and body of the documents ranked so far, as arrays of
 *               32-bit term ids into a dictionary of the terms seen (about 4 bytes a word,
 *               against 10 for the text), so a document's text is read and split once
 *
 * Both are valid for one state of the index, named by search_stats.gen, which every write to the
 * index increments in its own transaction (migrations/009_search.sql). icache_get reads that row
 * (it holds the ranking totals, read by every search anyway); when it shows another state than
 * the cache's, the cache is emptied and the documents are read again, all at once. Writes made
 * by this process also empty it (icache_invalidate), which covers another database opened at the
 * address of a closed one with the same totals (benchmarks and tests open many).
 *
 * Memory: one copy per thread that searches (the HTTP worker threads), freed when the thread
 * ends; the texts are dropped (at the start of a search) once they pass ICACHE_TEXT_MAX bytes.
 * About 0.5 MB of attributes and 4 MB of texts per 10,000 documents. A thread uses its cache
 * only from its own searches, so there is no locking. */
#ifndef SANAD_SEARCH_INDEX_CACHE_H
#define SANAD_SEARCH_INDEX_CACHE_H

#include "search/rank.h"
#include "store/store.h"

#include <stdint.h>

#define ICACHE_TEXT_MAX ((size_t)64 << 20) /* bytes of cached texts (and of postings) per thread */

typedef struct icache_doc {
    int64_t id, ref_id, group_id;
    int64_t valid_from, valid_to; /* valid_to 0: no end */
    int version, title_len, body_len;
    int is_public;
    char lang[8];
} icache_doc;

typedef struct icache icache;

/* This thread's cache for db, brought up to date with the index; s gets the ranking totals.
 * The cache stays valid until the next icache_get on this thread. Negative on database errors
 * (the cache is then empty). */
int icache_get(store *db, rank_stats *s, icache **out);

/* The document with this id, or NULL (not in the index at the cache's generation). */
const icache_doc *icache_doc_find(const icache *c, int64_t id);

/* The cached df of (kind, term): 1 and *df when known, 0 when not. */
int icache_df_get(const icache *c, int kind, const char *term, int64_t *df);
/* Remember the df of (kind, term). Out of memory only means it is not remembered. */
void icache_df_put(icache *c, int kind, const char *term, int64_t df);

/* Other answers worth keeping while the index stays the same (what: a letter of the caller's,
 * not 'd', 'a' or 't'), as bytes: 1 and *data (valid until the next icache_get on this thread),
 * *len when known, 0 when not. Put copies data; out of memory only means it is not kept. */
int icache_memo_get(const icache *c, int what, const char *key, const void **data, size_t *len);
void icache_memo_put(icache *c, int what, const char *key, const void *data, size_t len);

/* One int32 per document of the view, all zero: the caller may use it during a search and must
 * leave it all zero again. NULL when out of memory. */
int32_t *icache_scratch(icache *c);

/* The document at index i of the view (what posting lists hold), or NULL. */
const icache_doc *icache_doc_at(const icache *c, uint32_t i);
/* The remembered documents holding (kind, term), in its title only when title_only: 1 and
 * *idx, *n when known (valid until the next icache_get on this thread), 0 when not. */
int icache_postings_get(const icache *c, int kind, const char *term, int title_only, const uint32_t **idx,
                        int *n);
/* Ask list(arg, fn, fn_arg) for them — it calls fn with each document id — and remember them.
 * Ids not in the view are left out. Negative on errors (list's, or SN_EINTERNAL). */
int icache_postings_fill(icache *c, int kind, const char *term, int title_only,
                         int (*list)(void *arg, int (*fn)(void *, int64_t), void *fn_arg), void *arg,
                         const uint32_t **idx, int *n);

/* The analysed title and body of document d as term ids into the view's dictionary, read from
 * search_doc_text on first use. The ids stay valid until the next icache_get on this thread;
 * the dictionary may move when another document's text is read: take it (icache_dict, or set
 * the fields' dict) after the last icache_text of a search. Negative on errors (SN_ENOTFOUND:
 * no such document any more). */
int icache_text(icache *c, store *db, const icache_doc *d, rank_field *title, rank_field *body);
const rank_term *icache_dict(const icache *c);

/* Empty every thread's cache (call after writing to the index). */
void icache_invalidate(void);

#endif
