/* search_index.h — the full-text index behind the knowledge base: documents in, candidates out.
 * The one place where search speaks a dialect.
 *
 * Tables (the plain ones are in migrations/004_kb.sql, the same text for both engines):
 *   search_docs   one narrow row per indexed document: filter attributes (lang, group, public
 *                 flag, validity window) and field lengths
 *   search_doc_text  its title and plain body, and their analysed text
 *   search_terms  vocabulary: term → number of documents holding it (df)
 *   search_stats  one row: documents, title and body terms in total (for BM25's averages)
 * and, per backend, created by search_index_ensure (numbered migrations are one text for both
 * engines, so dialect-only objects cannot live there):
 *   SQLite      search_fts: FTS5 over search_doc_text(title_terms, body_terms), external content,
 *               tokenizer 'ascii' (analysed text is terms separated by one space, so splitting at
 *               ASCII spaces is exact), prefix indexes of 2 and 3 characters;
 *   PostgreSQL  search_tsv(id, tsv): a tsvector written as a literal from the same terms (no text
 *               search parser or dictionary touches them; the 'simple' configuration is used for
 *               nothing), title positions weighted A, body D; a GIN index; and a "C"-collated
 *               index on search_terms for prefix ranges.
 *
 * Finding vs ranking: the backend only lists, per query alternative, the documents that hold it
 * (an FTS5 query returning rowids only; a tsquery match on PostgreSQL). Everything else happens
 * here, in C, on both engines alike: the filter and a first BM25F score from the cached document
 * attributes (index_cache.h) pick the k candidates; rank.h then scores them from their analysed
 * text (search_doc_text) with df from search_terms. Both engines list the same documents, so
 * the final order is the same on both.
 *
 * Writes must run inside the caller's write transaction. */
#ifndef SANAD_SEARCH_INDEX_H
#define SANAD_SEARCH_INDEX_H

#include "core/err.h"
#include "search/query.h"
#include "search/rank.h"
#include "store/store.h"

#include <stdint.h>

typedef struct search_doc {
    int64_t ref_id;       /* the owner's record (an article) */
    int version;          /* the owner's version of it */
    const char *lang;     /* "ar" | "en" */
    int64_t group_id;     /* e.g. the service line; 0 for none */
    int is_public;        /* visible without signing in */
    int64_t valid_from;   /* visible from (epoch ms) */
    int64_t valid_to;     /* visible until (exclusive); 0 = no end */
    const char *title;    /* plain text */
    const char *body;     /* plain text (Markdown already rendered to text) */
} search_doc;

typedef struct search_filter {
    int64_t now;          /* only documents valid at this time */
    int public_only;
    int64_t group_id;     /* 0: any */
    const char *lang;     /* NULL: any (a preference, not a filter, is applied by search.h) */
} search_filter;

/* A candidate: what ranking and the result need (search_cands_free frees the array). */
typedef struct search_cand {
    int64_t id, ref_id;
    int version;
    char lang[8];
    rank_field title, body; /* analysed fields; their terms live in the view (index_cache.h) */
    double score;
    int matched;
} search_cand;

/* Create the backend's objects when missing (and fill them from search_docs when they were
 * missing while documents exist). Cheap after the first call on a connection. Call it outside
 * any transaction. */
int search_index_ensure(store *db, sn_err *e);

/* Index a document; *id gets its id. Inside a write transaction. */
int search_index_put(store *db, const search_doc *d, int64_t *id, sn_err *e);
/* Remove a document (no-op when absent). Inside a write transaction. */
int search_index_delete(store *db, int64_t id, sn_err *e);
/* Change a document's window or group without re-indexing its text. valid_to 0: no end. */
int search_index_set_window(store *db, int64_t id, int64_t valid_from, int64_t valid_to, sn_err *e);
int search_index_set_group(store *db, int64_t ref_id, int64_t group_id, sn_err *e);

/* The index as this thread knows it: its cache of document attributes and frequencies, brought
 * up to date (see index_cache.h), and the totals for ranking in *s. The view stays valid until
 * the next search_index_view on this thread. */
typedef struct icache search_view;
int search_index_view(store *db, rank_stats *s, search_view **v, sn_err *e);
/* Fill alt->df for every alternative of q (prefixes: the largest df among terms with it). */
int search_index_fill_df(store *db, search_view *v, search_query *q, sn_err *e);
/* Call fn for each vocabulary term that starts with `first` (bytes) and has between min_chars
 * and max_chars characters, with its df; stops when fn returns non-zero. For typo tolerance. */
int search_index_vocab_scan(store *db, const char *first, int min_chars, int max_chars,
                            int (*fn)(void *arg, const char *term, int64_t df), void *arg,
                            sn_err *e);

/* Up to k candidates for q under f, with their analysed text, in no particular order. The
 * backend only lists the documents holding each of the query's rarer alternatives (terms in
 * more than 15% of the documents, and the commonest beyond a budget of postings, are left to
 * ranking); the documents are filtered and given a first score here, in C, from the view's
 * attributes (BM25F as in rank.h, counting each field a term occurs in once), and the k best
 * are kept. Both backends list the same documents, so they give the same candidates.
 * *out is allocated. */
int search_index_candidates(store *db, search_view *v, const search_query *q, const search_filter *f,
                            const rank_params *p, const rank_stats *s, int k, search_cand **out,
                            int *n, sn_err *e);
void search_cands_free(search_cand *c, int n);

/* The stored title and plain body of a document (caller frees both). */
int search_index_doc_text(store *db, int64_t id, char **title, char **body, sn_err *e);

/* ---- the backends (search_index_sqlite.c, search_index_pg.c) -------------------------------- */

typedef struct search_backend {
    int (*ensure)(store *db, sn_err *e);
    /* After the row of search_docs `id` was written / before it is deleted. */
    int (*put)(store *db, int64_t id, const char *title_terms, const char *body_terms);
    int (*del)(store *db, int64_t id, const char *title_terms, const char *body_terms);
    /* Call fn with the id of every document holding alt (in its title only, when title_only);
     * stop when fn returns non-zero. */
    int (*postings)(store *db, const search_alt *alt, int title_only,
                    int (*fn)(void *arg, int64_t id), void *arg);
    int (*prefix_df)(store *db, const char *prefix, int64_t *df);
    int (*vocab_scan)(store *db, const char *first, int min_chars, int max_chars,
                      int (*fn)(void *arg, const char *term, int64_t df), void *arg);
} search_backend;

extern const search_backend search_backend_sqlite, search_backend_pg;

/* The byte after which a prefix range ends: prefix with its last byte incremented, into hi. */
int search_prefix_upper(const char *prefix, char *hi, size_t cap);

#endif
