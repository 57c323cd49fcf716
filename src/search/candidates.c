/* candidates.c — which documents are worth ranking (search_index_candidates, see search_index.h).
 *
 *   query ─prune─▶ the rarer alternatives ─backend->postings─▶ ids of the documents holding each
 *         (in any field, and in the title) ─accumulate─▶ per document and clause, the best weight
 *         matched in the title and anywhere ─filter + first score─▶ the k best ─▶ their analysed
 *         text (kept split by the view, index_cache.h), for rank.c
 *
 * The backend only lists ids (no scoring, no join): listing a posting costs about a tenth of
 * what scoring it with FTS5's bm25() did, and the view (index_cache.h) remembers the lists
 * until the index changes. The filter and the first score use the document attributes the
 * view keeps too, so a match costs no database lookup at all. */
#include "search/index_cache.h"
#include "search/search_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Alternatives held by more than PRUNE_SHARE of all documents are not listed (they would make
 * the backend list most of the index), and of the rest the rarest are kept while their document
 * frequencies add up to at most MATCH_BUDGET, so no more than about that many postings are read.
 * Nothing left out is lost for ranking: rank.c scores the candidates with every alternative. At
 * least one alternative, the rarest, is always kept. */
#define PRUNE_SHARE 0.15
#define MATCH_BUDGET 2000

static int cmp_df(const void *a, const void *b)
{
    int64_t x = **(const int64_t *const *)a, y = **(const int64_t *const *)b;
    return x < y ? -1 : x > y;
}

static void prune(const search_query *q, int64_t docs, search_query *out)
{
    double cap = docs < 100 ? (double)docs : PRUNE_SHARE * (double)docs;
    const int64_t *dfs[SEARCH_MAX_CLAUSES * SEARCH_MAX_ALTS];
    int n = 0;
    for (int i = 0; i < q->n; i++)
        for (int a = 0; a < q->c[i].nalt; a++) dfs[n++] = &q->c[i].alt[a].df;
    qsort(dfs, (size_t)n, sizeof dfs[0], cmp_df);
    int64_t limit = -1, sum = 0; /* keep alternatives with df <= limit */
    for (int k = 0; k < n; k++) {
        int64_t df = *dfs[k];
        if (k > 0 && ((double)df > cap || sum + df > MATCH_BUDGET)) break;
        sum += df;
        limit = df;
    }
    *out = *q;
    for (int i = 0; i < out->n; i++) {
        search_clause *c = &out->c[i];
        int w = 0;
        for (int a = 0; a < c->nalt; a++)
            if (c->alt[a].df <= limit && c->alt[a].df > 0) c->alt[w++] = c->alt[a];
        c->nalt = w;
    }
}

/* ---- accumulating postings ------------------------------------------------------------------ */

typedef struct acc {
    const icache_doc *d;
    double score;
    uint32_t idx; /* the document's index in the view */
} acc;

/* One accumulator per matched document, found through the view's scratch array (mark[idx] is
 * its index + 1 during a search, 0 otherwise); its best weights per clause, in the title and
 * anywhere, are w[i * 2 * nq …]. */
typedef struct accs {
    acc *v;
    float *w;
    int n, cap, nq;
    int32_t *mark;
    /* the alternative being listed */
    int clause, title_only;
    float weight;
    const search_filter *f;
} accs;

static int visible(const icache_doc *d, const search_filter *f)
{
    return d->valid_from <= f->now && (d->valid_to == 0 || d->valid_to > f->now) &&
           (!f->public_only || d->is_public) && (f->group_id == 0 || d->group_id == f->group_id);
}

static int accs_grow(accs *a)
{
    int cap = a->cap ? a->cap * 2 : 512;
    acc *v = realloc(a->v, (size_t)cap * sizeof *v);
    if (!v) return -1;
    a->v = v;
    float *w = realloc(a->w, (size_t)cap * 2 * (size_t)a->nq * sizeof *w);
    if (!w) return -1;
    a->w = w;
    a->cap = cap;
    return 0;
}

static int add_posting(accs *a, const icache_doc *d, uint32_t idx)
{
    int32_t at = a->mark[idx];
    if (!at) {
        if (!visible(d, a->f)) return 0;
        if (a->n == a->cap && accs_grow(a) < 0) return -1;
        a->v[a->n] = (acc){d, 0, idx};
        memset(&a->w[(size_t)a->n * 2 * (size_t)a->nq], 0, 2 * (size_t)a->nq * sizeof *a->w);
        at = a->mark[idx] = ++a->n;
    }
    float *w = &a->w[(size_t)(at - 1) * 2 * (size_t)a->nq + (size_t)(a->title_only ? 0 : a->nq) + (size_t)a->clause];
    if (a->weight > *w) *w = a->weight;
    return 0;
}

/* ---- the first score ------------------------------------------------------------------------ */

/* BM25F of rank.h with each field counted once when it holds a clause (a posting list says
 * whether, not how often): a matched title counts for the title, anything else for the body. */
static void first_score(acc *x, const float *w, const search_query *q, const rank_params *p, const rank_stats *s)
{
    double norm_t = 1 - p->b_title + p->b_title * x->d->title_len / (s->avg_title > 0 ? s->avg_title : 1);
    double norm_b = 1 - p->b_body + p->b_body * x->d->body_len / (s->avg_body > 0 ? s->avg_body : 1);
    double score = 0;
    for (int c = 0; c < q->n; c++) {
        double t = w[c], b = w[c] > 0 ? 0 : w[q->n + c];
        double v = p->title_weight * t / norm_t + b / norm_b;
        if (v > 0) score += q->c[c].idf * v * (p->k1 + 1) / (v + p->k1);
    }
    x->score = score;
}

/* Whether x ranks before y: the higher first score, then the older document. */
static int better(const acc *x, const acc *y)
{
    return x->score != y->score ? x->score > y->score : x->d->id < y->d->id;
}

static void sift_down(acc **h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && better(h[m], h[l])) m = l;
        if (r < n && better(h[m], h[r])) m = r;
        if (m == i) return;
        acc *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* The k best of v[0..n) into top (a heap whose root is the worst kept); returns how many. */
static int best_k(acc *v, int n, int k, acc **top)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m < k) {
            top[m++] = &v[i];
            if (m == k)
                for (int j = k / 2 - 1; j >= 0; j--) sift_down(top, m, j);
        } else if (better(&v[i], top[0])) {
            top[0] = &v[i];
            sift_down(top, m, 0);
        }
    }
    return m;
}

/* ---- the candidates --------------------------------------------------------------------------- */

struct lister {
    store *db;
    const search_backend *be;
    const search_alt *alt;
    int title_only;
};

static int list_backend(void *arg, int (*fn)(void *, int64_t), void *fn_arg)
{
    struct lister *l = arg;
    return l->be->postings(l->db, l->alt, l->title_only, fn, fn_arg) < 0 ? SN_EDB : 0;
}

/* Accumulate every kept alternative's documents into a: from the view's posting lists, which
 * the backend fills on first use. */
static int list_postings(store *db, search_view *v, const search_query *pq, accs *a)
{
    const search_backend *be = store_kind_of(db) == STORE_SQLITE ? &search_backend_sqlite : &search_backend_pg;
    for (int i = 0; i < pq->n; i++) {
        for (int k = 0; k < pq->c[i].nalt; k++) {
            const search_alt *alt = &pq->c[i].alt[k];
            a->clause = i;
            a->weight = (float)alt->weight;
            for (int title = 0; title < 2; title++) {
                const uint32_t *idx;
                int n, rc;
                struct lister l = {db, be, alt, title};
                a->title_only = title;
                if (!icache_postings_get(v, alt->kind, alt->term, title, &idx, &n) &&
                    (rc = icache_postings_fill(v, alt->kind, alt->term, title, list_backend, &l, &idx, &n)) < 0)
                    return rc;
                for (int j = 0; j < n; j++)
                    if (add_posting(a, icache_doc_at(v, idx[j]), idx[j]) < 0) return SN_EINTERNAL;
            }
        }
    }
    return 0;
}

int search_index_candidates(store *db, search_view *v, const search_query *q, const search_filter *f,
                            const rank_params *p, const rank_stats *s, int k, search_cand **out,
                            int *n, sn_err *e)
{
    *out = NULL;
    *n = 0;
    search_query *pq = malloc(sizeof *pq);
    accs a = {0};
    a.f = f;
    a.nq = q->n > 0 ? q->n : 1;
    a.mark = icache_scratch(v);
    if (!pq || !a.mark) {
        free(pq);
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    }
    prune(q, s->docs, pq);
    int rc = list_postings(db, v, pq, &a);
    free(pq);
    for (int i = 0; i < a.n; i++) a.mark[a.v[i].idx] = 0; /* the scratch is all zero again */
    for (int i = 0; rc == 0 && i < a.n; i++) first_score(&a.v[i], &a.w[(size_t)i * 2 * (size_t)a.nq], q, p, s);
    acc **top = rc == 0 && a.n > 0 ? malloc((size_t)(a.n < k ? a.n : k) * sizeof *top) : NULL;
    int want = top ? best_k(a.v, a.n, k, top) : 0;
    if (rc == 0 && a.n > 0 && !top) rc = SN_EINTERNAL;
    if (rc == 0 && want > 0 && !(*out = calloc((size_t)want, sizeof **out))) rc = SN_EINTERNAL;
    for (int i = 0; rc == 0 && i < want; i++) {
        search_cand *c = &(*out)[*n];
        const icache_doc *d = top[i]->d;
        c->id = d->id;
        c->ref_id = d->ref_id;
        c->version = d->version;
        memcpy(c->lang, d->lang, sizeof c->lang);
        rc = icache_text(v, db, d, &c->title, &c->body);
        if (rc == SN_ENOTFOUND) rc = 0; /* removed since the view was taken (PostgreSQL) */
        else if (rc == 0) (*n)++;
    }
    free(top);
    for (int i = 0; i < *n; i++) /* the dictionary is where the last text read left it */
        (*out)[i].title.dict = (*out)[i].body.dict = icache_dict(v);
    free(a.v);
    free(a.w);
    if (rc == SN_EINTERNAL) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot search the index") : 0;
}

void search_cands_free(search_cand *c, int n)
{
    (void)n; /* the candidates' texts belong to the view */
    free(c);
}
