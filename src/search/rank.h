/* rank.h — the score of a document for a query, computed in C from the document's analysed title
 * and body, so the SQLite and PostgreSQL backends (which only find candidates) rank alike.
 *
 * score = Σ_clauses BM25F(clause)  +  proximity  (+ nothing else: language preference and the
 *         like are orderings applied by the caller)
 *
 *   BM25F: per clause, tf = Σ matched alternatives' weights, per field; the fields are combined
 *          before saturation:  t = title_weight · tf_title / norm_title + tf_body / norm_body,
 *          norm_f = 1 − b + b · len_f / avglen_f;  clause score = idf · t · (k1 + 1) / (t + k1);
 *          idf = ln(1 + (N − df + 0.5) / (df + 0.5)).
 *   Proximity: two different clauses matched within `window` words of each other in one field
 *          add 1 / distance² to their pair's accumulator acc; each pair then adds
 *          prox_weight · min(idf_a, idf_b) · acc · (k1 + 1) / (acc + k1)   (term-pair BM25).
 *
 * The constants were tuned on the ARCD train split (bench/search-quality). */
#ifndef SANAD_SEARCH_RANK_H
#define SANAD_SEARCH_RANK_H

#include "search/query.h"

#include <stdint.h>

typedef struct rank_params {
    double k1, b_title, b_body, title_weight, prox_weight;
    int window;
} rank_params;

/* The defaults; the quality benchmark may override them to compare. */
extern rank_params rank_defaults;

typedef struct rank_stats {
    int64_t docs;
    double avg_title, avg_body; /* average terms per field, at least 1 */
} rank_stats;

/* Fill each clause's idf from its alternatives' df (the largest df among alternatives that carry
 * the full weight, else among all). */
void rank_prepare(search_query *q, const rank_stats *s);

/* One term of an analysed field: its bytes (not NUL-terminated) and rank_hash of them. */
typedef struct rank_term {
    const char *p;
    int len;
    unsigned hash;
} rank_term;

unsigned rank_hash(const char *s, size_t len);

/* An analysed field: its terms are dict[ids[0..n)], or dict[0..n) when ids is NULL. */
typedef struct rank_field {
    const rank_term *dict;
    const uint32_t *ids;
    int n;
} rank_field;

static inline const rank_term *rank_field_term(const rank_field *f, int i)
{
    return f->ids ? &f->dict[f->ids[i]] : &f->dict[i];
}

/* The score of one document whose fields are analysed text (terms separated by one space).
 * matched (may be NULL) gets the number of clauses matched. Never fails: a document it cannot
 * allocate for scores 0. */
double rank_score(const search_query *q, const rank_stats *s, const rank_params *p,
                  const char *title_terms, const char *body_terms, int *matched);
/* The same for fields already split into terms (the search keeps them split, index_cache.h). */
double rank_score_terms(const search_query *q, const rank_stats *s, const rank_params *p,
                        const rank_term *title, int nt, const rank_term *body, int nb, int *matched);
/* The query's terms in a table for rank_score_with (build it once per query, score many
 * documents). NULL when out of memory. */
typedef struct rank_table rank_table;
rank_table *rank_table_new(const search_query *q);
void rank_table_free(rank_table *t);
double rank_score_with(const rank_table *t, const search_query *q, const rank_stats *s, const rank_params *p,
                       const rank_field *title, const rank_field *body, int *matched);

/* Split analysed text into terms: *n gets the count; NULL (and *n = 0) when empty or out of
 * memory. Caller frees. The terms point into s. */
rank_term *rank_split(const char *s, int *n);

/* Whether an analysed term matches an alternative of a single-term kind (term or prefix). */
int rank_term_matches(const search_alt *a, const char *term, size_t len);

#endif
