/* query.h — what a search asks for, backend-neutral: clauses of alternatives, built from the
 * user's text by the analyzer, widened by synonyms, typo tolerance and prefix matching.
 *
 * A query of n words is n clauses (stop words dropped unless nothing else is left). Each clause
 * is matched when any of its alternatives is:
 *
 *   clause "تجديد"  ─┬─ term   تجديد        weight 1     (the stemmed word)
 *                    ├─ term   تحديث        weight 0.9   (a synonym of it)
 *                    ├─ phrase "اصدار جديد"  weight 0.9   (a multi-word synonym)
 *                    ├─ term   تجدد         weight 0.6   (one edit away, when the word is unknown)
 *                    └─ prefix تجد*         weight 0.8   (last word while typing)
 *
 * The index backends render this into an FTS5 MATCH expression or a tsquery (search_index.h);
 * rank.h scores candidates against it in C, so both backends score alike. */
#ifndef SANAD_SEARCH_QUERY_H
#define SANAD_SEARCH_QUERY_H

#include "core/buf.h"
#include "search/analyzer.h"

#include <stdint.h>

#define SEARCH_MAX_CLAUSES 16
#define SEARCH_MAX_ALTS 8
#define SEARCH_MAX_TERM 192 /* bytes of an alternative (a phrase holds several terms) */
#define SEARCH_MAX_QUERY 1000 /* bytes of query text that are read */

enum search_alt_kind { ALT_TERM, ALT_PREFIX, ALT_PHRASE };

typedef struct search_alt {
    enum search_alt_kind kind;
    char term[SEARCH_MAX_TERM]; /* a term, a prefix, or terms separated by one space */
    int len;                    /* strlen(term) */
    unsigned hash;              /* rank_hash(term, len), to compare with analysed terms quickly */
    double weight;              /* how much a match counts next to the word itself (0..1] */
    int64_t df;                 /* documents holding it (filled by search_run) */
} search_alt;

typedef struct search_clause {
    search_alt alt[SEARCH_MAX_ALTS];
    int nalt;
    char word[SEARCH_MAX_TERM]; /* the normalised word the user typed */
    double idf;                 /* filled by search_run */
} search_clause;

typedef struct search_query {
    search_clause c[SEARCH_MAX_CLAUSES];
    int n;
} search_query;

/* Synonym groups: each member is stored analysed ("terms separated by one space"). A query word
 * (or run of words) equal to a member gets every other member of its group as an alternative. */
typedef struct search_synonyms {
    int n, cap;
    struct search_syn_group {
        int n;
        char **members;
    } *g;
} search_synonyms;

void search_synonyms_init(search_synonyms *s);
void search_synonyms_fini(search_synonyms *s);
/* Add one group of raw texts (analysed here); members that analyse to nothing are skipped.
 * 0, or -1 when out of memory. */
int search_synonyms_add(search_synonyms *s, const char *const *members, int n);

/* What the user's text asks for. prefix_last: the last word may be unfinished (type-ahead).
 * syn may be NULL. Returns 0 (q->n may be 0: nothing to look for) or -1 on invalid UTF-8. */
int search_query_build(const char *text, int prefix_last, const search_synonyms *syn,
                       search_query *q);

/* Add an alternative to a clause unless it is there already or the clause is full. */
void search_clause_add(search_clause *c, enum search_alt_kind kind, const char *term, double w);

/* Levenshtein distance of two UTF-8 strings (with transposition counted as 1), capped: returns
 * max + 1 as soon as it is certain to exceed max. */
int search_edit_distance(const char *a, const char *b, int max);

#endif
