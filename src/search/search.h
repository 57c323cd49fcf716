/* search.h — one search, start to end: the user's text in, ranked hits with snippets out.
 *
 *   text ─search_query_build─▶ clauses (stop words out, synonyms, prefix of the last word)
 *        ─search_index_fill_df─▶ df of each alternative
 *        ─typo tolerance─▶ an unknown word of ≥ SEARCH_TYPO_MIN_CHARS characters gets the
 *                          known terms one edit away (same first letter) as alternatives
 *        ─search_index_candidates─▶ up to SEARCH_CANDIDATES documents (backend's order)
 *        ─rank_score─▶ BM25F + proximity in C; the preferred language first, then score
 *        ─search_snippet─▶ for the hits returned: the best window of the body, escaped, with
 *                          matched words in <mark>…</mark>
 *
 * Knows nothing of articles: the knowledge base (domain/kb.h) maps documents to articles,
 * decides the filter and logs the search. */
#ifndef SANAD_SEARCH_SEARCH_H
#define SANAD_SEARCH_SEARCH_H

#include "search/search_index.h"

#define SEARCH_CANDIDATES 100
#define SEARCH_TYPO_MIN_CHARS 5
#define SEARCH_SNIPPET_WORDS 28

typedef struct search_request {
    const char *text;
    int prefix_last;             /* the last word may be unfinished (type-ahead) */
    const search_synonyms *syn;  /* may be NULL */
    search_filter filter;
    const char *prefer_lang;     /* hits in this language come first; NULL: none */
    int limit;                   /* hits wanted, 1..100 */
    int snippets;                /* build snippets */
    int no_typo;                 /* turn typo tolerance off (benchmarks) */
    const rank_params *params;   /* NULL: rank_defaults */
} search_request;

typedef struct search_hit {
    int64_t doc_id, ref_id;
    int version;
    char lang[8];
    double score;
    char *title;   /* plain text, owned */
    char *snippet; /* escaped HTML with <mark>, owned; NULL unless asked for */
} search_hit;

/* Run a search. *hits is allocated (search_hits_free), *n ≤ limit. A text with nothing to look
 * for gives no hits and no error. Errors: SN_EDB. */
int search_run(store *db, const search_request *r, search_hit **hits, int *n, sn_err *e);
void search_hits_free(search_hit *h, int n);

/* The escaped snippet of plain `body` around word `start` (SEARCH_SNIPPET_WORDS words), words
 * matching q in <mark>. Appends to out; -1 when out is full. */
int search_snippet(const char *body, const search_query *q, int start, buf *out);
/* The same, given the body's analysed terms: only words whose term matches are analysed again
 * (to confirm), instead of every word shown. */
int search_snippet_terms(const char *body, const search_query *q, const rank_field *terms, int start,
                         buf *out);

/* The start (word index) of the window of analysed `terms` richest in matches of q. */
int search_best_window(const search_query *q, const char *terms, int width);
/* The same over terms already split. */
int search_best_window_terms(const search_query *q, const rank_field *terms, int width);

#endif
