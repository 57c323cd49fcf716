/* rank.c — BM25F with term-pair proximity, in C (see rank.h for the formula).
 *
 * One walk over each field: every term is looked up in a small hash table of the query's terms
 * (and compared with the few prefixes), which yields the list of matches (position, clause,
 * weight) in position order. Term frequencies and the proximity accumulators both come from
 * that list. */
#include "search/rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

rank_params rank_defaults = {
    .k1 = 1.2,
    .b_title = 0.5,
    .b_body = 0.9,
    .title_weight = 3.0,
    .prox_weight = 0.2,
    .window = 4,
};

void rank_prepare(search_query *q, const rank_stats *s)
{
    double n = (double)(s->docs > 0 ? s->docs : 1);
    for (int i = 0; i < q->n; i++) {
        search_clause *c = &q->c[i];
        int64_t df_full = -1, df_any = 0;
        for (int a = 0; a < c->nalt; a++) {
            if (c->alt[a].weight >= 0.999 && c->alt[a].df > df_full) df_full = c->alt[a].df;
            if (c->alt[a].df > df_any) df_any = c->alt[a].df;
        }
        double df = (double)(df_full > 0 ? df_full : df_any);
        if (df > n) df = n;
        c->idf = log(1.0 + (n - df + 0.5) / (df + 0.5));
    }
}

/* ---- the query's terms in a hash table --------------------------------------------------------- */

#define QT_SLOTS 256 /* > SEARCH_MAX_CLAUSES × SEARCH_MAX_ALTS, a power of two */

typedef struct qterm {
    const char *term; /* the term, or a phrase's first term (not NUL-terminated there) */
    size_t len;
    unsigned hash;
    int clause, alt;
    struct qterm *next; /* another alternative with the same first term */
} qterm;

typedef struct qtable {
    qterm *slot[QT_SLOTS];
    qterm pool[SEARCH_MAX_CLAUSES * SEARCH_MAX_ALTS];
    int used;
    const search_alt *prefixes[SEARCH_MAX_CLAUSES * SEARCH_MAX_ALTS];
    int prefix_clause[SEARCH_MAX_CLAUSES * SEARCH_MAX_ALTS];
    int nprefix;
} qtable;

unsigned rank_hash(const char *s, size_t len)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void qtable_build(qtable *t, const search_query *q)
{
    memset(t->slot, 0, sizeof t->slot);
    t->used = t->nprefix = 0;
    for (int c = 0; c < q->n; c++) {
        for (int a = 0; a < q->c[c].nalt; a++) {
            const search_alt *alt = &q->c[c].alt[a];
            if (alt->kind == ALT_PREFIX) {
                t->prefixes[t->nprefix] = alt;
                t->prefix_clause[t->nprefix++] = c;
                continue;
            }
            const char *sp = alt->kind == ALT_PHRASE ? strchr(alt->term, ' ') : NULL;
            size_t len = sp ? (size_t)(sp - alt->term) : strlen(alt->term);
            qterm *e = &t->pool[t->used++];
            *e = (qterm){alt->term, len, rank_hash(alt->term, len), c, a, NULL};
            unsigned h = e->hash & (QT_SLOTS - 1);
            e->next = t->slot[h];
            t->slot[h] = e;
        }
    }
}

int rank_term_matches(const search_alt *a, const char *term, size_t len)
{
    size_t al = (size_t)a->len;
    if (a->kind == ALT_PREFIX) return len >= al && !memcmp(term, a->term, al);
    return a->kind == ALT_TERM && len == al && !memcmp(term, a->term, al);
}

/* ---- fields ------------------------------------------------------------------------------------ */

rank_term *rank_split(const char *s, int *n)
{
    *n = 0;
    if (!s || !*s) return NULL;
    int count = 1;
    for (const char *p = s; *p; p++) count += *p == ' ';
    rank_term *v = malloc((size_t)count * sizeof *v);
    if (!v) return NULL;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == ' ' || *p == '\0') {
            if (p > start) v[(*n)++] = (rank_term){start, (int)(p - start), rank_hash(start, (size_t)(p - start))};
            if (!*p) break;
            start = p + 1;
        }
    }
    return v;
}

/* Whether the phrase alternative matches the terms starting at toks[i]. */
static int phrase_at(const char *phrase, const rank_field *f, int i)
{
    const char *p = phrase;
    for (; i < f->n; i++) {
        const rank_term *t = rank_field_term(f, i);
        size_t l = (size_t)t->len;
        if (strncmp(p, t->p, l) != 0 || (p[l] != ' ' && p[l] != '\0')) return 0;
        p += l;
        if (!*p) return 1;
        p++;
    }
    return 0;
}

typedef struct match {
    int pos, clause;
    double w;
} match;

/* The matches of one field, in position order, at most one per clause and position (the best
 * weight). Returns the count; *out is allocated (NULL when none). */
static int field_matches(const search_query *q, const qtable *t, const rank_field *f, match **out)
{
    int cap = 0, count = 0;
    match *m = NULL;
    double best[SEARCH_MAX_CLAUSES];
    for (int i = 0; i < f->n; i++) {
        const rank_term *tok = rank_field_term(f, i);
        const qterm *first = t->slot[tok->hash & (QT_SLOTS - 1)];
        if (!first && !t->nprefix) continue; /* most terms: no alternative can match */
        int any = 0;
        for (int c = 0; c < q->n; c++) best[c] = 0;
        for (const qterm *e = first; e; e = e->next) {
            if (e->hash != tok->hash || e->len != (size_t)tok->len || memcmp(e->term, tok->p, e->len)) continue;
            const search_alt *a = &q->c[e->clause].alt[e->alt];
            if (a->kind == ALT_PHRASE && !phrase_at(a->term, f, i)) continue;
            if (a->weight > best[e->clause]) best[e->clause] = a->weight;
            any = 1;
        }
        for (int k = 0; k < t->nprefix; k++) {
            const search_alt *a = t->prefixes[k];
            if (rank_term_matches(a, tok->p, (size_t)tok->len) && a->weight > best[t->prefix_clause[k]]) {
                best[t->prefix_clause[k]] = a->weight;
                any = 1;
            }
        }
        if (!any) continue;
        for (int c = 0; c < q->n; c++) {
            if (best[c] <= 0) continue;
            if (count == cap) {
                cap = cap ? cap * 2 : 32;
                match *g = realloc(m, (size_t)cap * sizeof *g);
                if (!g) {
                    *out = m;
                    return count;
                }
                m = g;
            }
            m[count++] = (match){i, c, best[c]};
        }
    }
    *out = m;
    return count;
}

/* Add 1/d² for pairs of different clauses within the window to acc[a][b] (a < b). */
static void proximity(const match *m, int n, int window, double acc[][SEARCH_MAX_CLAUSES])
{
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n && m[j].pos - m[i].pos <= window; j++) {
            int a = m[i].clause, b = m[j].clause;
            if (a == b) continue;
            int d = m[j].pos - m[i].pos;
            if (d < 1) d = 1;
            double v = 1.0 / ((double)d * d) * (m[i].w < m[j].w ? m[i].w : m[j].w);
            if (a < b) acc[a][b] += v;
            else acc[b][a] += v;
        }
    }
}

double rank_score(const search_query *q, const rank_stats *s, const rank_params *p,
                  const char *title_terms, const char *body_terms, int *matched)
{
    int nt, nb;
    rank_term *tt = rank_split(title_terms, &nt), *bt = rank_split(body_terms, &nb);
    double score = rank_score_terms(q, s, p, tt, nt, bt, nb, matched);
    free(tt);
    free(bt);
    return score;
}

rank_table *rank_table_new(const search_query *q)
{
    qtable *t = malloc(sizeof *t);
    if (t) qtable_build(t, q);
    return (rank_table *)t;
}

void rank_table_free(rank_table *t)
{
    free(t);
}

double rank_score_terms(const search_query *q, const rank_stats *s, const rank_params *p,
                        const rank_term *tt, int nt, const rank_term *bt, int nb, int *matched)
{
    rank_table *t = rank_table_new(q);
    rank_field title = {tt, NULL, nt}, body = {bt, NULL, nb};
    double score = t ? rank_score_with(t, q, s, p, &title, &body, matched) : 0;
    if (!t && matched) *matched = 0;
    rank_table_free(t);
    return score;
}

double rank_score_with(const rank_table *rt, const search_query *q, const rank_stats *s, const rank_params *p,
                       const rank_field *title, const rank_field *body, int *matched)
{
    int nt = title->n, nb = body->n;
    const qtable *t = (const qtable *)rt;
    match *mt = NULL, *mb = NULL;
    int nmt = 0, nmb = 0;
    double score = 0;
    if (matched) *matched = 0;
    nmt = field_matches(q, t, title, &mt);
    nmb = field_matches(q, t, body, &mb);

    double tf_t[SEARCH_MAX_CLAUSES] = {0}, tf_b[SEARCH_MAX_CLAUSES] = {0};
    for (int i = 0; i < nmt; i++) tf_t[mt[i].clause] += mt[i].w;
    for (int i = 0; i < nmb; i++) tf_b[mb[i].clause] += mb[i].w;
    double norm_t = 1 - p->b_title + p->b_title * nt / (s->avg_title > 0 ? s->avg_title : 1);
    double norm_b = 1 - p->b_body + p->b_body * nb / (s->avg_body > 0 ? s->avg_body : 1);
    for (int c = 0; c < q->n; c++) {
        double x = p->title_weight * tf_t[c] / norm_t + tf_b[c] / norm_b;
        if (x <= 0) continue;
        if (matched) (*matched)++;
        score += q->c[c].idf * x * (p->k1 + 1) / (x + p->k1);
    }
    if (p->prox_weight > 0 && q->n > 1) {
        static const double zero[SEARCH_MAX_CLAUSES][SEARCH_MAX_CLAUSES];
        double acc[SEARCH_MAX_CLAUSES][SEARCH_MAX_CLAUSES];
        memcpy(acc, zero, sizeof acc);
        proximity(mt, nmt, p->window, acc);
        proximity(mb, nmb, p->window, acc);
        for (int a = 0; a < q->n; a++)
            for (int b = a + 1; b < q->n; b++) {
                double x = acc[a][b];
                if (x <= 0) continue;
                double idf = q->c[a].idf < q->c[b].idf ? q->c[a].idf : q->c[b].idf;
                score += p->prox_weight * idf * x * (p->k1 + 1) / (x + p->k1);
            }
    }
    free(mt);
    free(mb);
    return score;
}
