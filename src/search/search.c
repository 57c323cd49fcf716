/* search.c — one search from text to hits (see search.h for the pipeline). */
#include "search/search.h"

#include "search/index_cache.h"

#include <stdlib.h>
#include <string.h>

#define TYPO_WEIGHT 0.7
#define TYPO_MAX_VARIANTS 3

/* ---- typo tolerance ------------------------------------------------------------------------- */

struct typo_ctx {
    const char *term;
    search_alt best[TYPO_MAX_VARIANTS];
    int n;
};

/* Keep the (up to three) most frequent terms one edit away. */
static int typo_visit(void *arg, const char *term, int64_t df)
{
    struct typo_ctx *t = arg;
    if (!strcmp(term, t->term) || search_edit_distance(term, t->term, 1) > 1) return 0;
    int at = t->n < TYPO_MAX_VARIANTS ? t->n++ : TYPO_MAX_VARIANTS - 1;
    if (at == TYPO_MAX_VARIANTS - 1 && t->n == TYPO_MAX_VARIANTS && t->best[at].df >= df &&
        t->best[at].term[0])
        return 0;
    search_alt *a = &t->best[at];
    a->kind = ALT_TERM;
    strncpy(a->term, term, sizeof a->term - 1);
    a->term[sizeof a->term - 1] = '\0';
    a->df = df;
    for (int i = at; i > 0 && t->best[i].df > t->best[i - 1].df; i--) {
        search_alt tmp = t->best[i];
        t->best[i] = t->best[i - 1];
        t->best[i - 1] = tmp;
    }
    return 0;
}

static int utf8_chars(const char *s)
{
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* The (up to three) most frequent known terms one edit away from term, which has `chars`
 * characters: remembered by the view, else from a scan of the vocabulary. */
static int typos_of(store *db, search_view *v, const char *term, int chars, struct typo_ctx *t, sn_err *e)
{
    const void *data;
    size_t len;
    if (icache_memo_get(v, 'y', term, &data, &len) && len == sizeof *t) {
        memcpy(t, data, sizeof *t);
        t->term = term;
        return 0;
    }
    char first[8];
    size_t fl = 1;
    while (term[fl] && ((unsigned char)term[fl] & 0xC0) == 0x80) fl++;
    memcpy(first, term, fl);
    first[fl] = '\0';
    int rc = search_index_vocab_scan(db, first, chars - 1, chars + 1, typo_visit, t, e);
    if (rc == 0) icache_memo_put(v, 'y', term, t, sizeof *t);
    return rc;
}

/* For each clause whose own term is unknown, the known terms one edit away. */
static int add_typos(store *db, search_view *v, search_query *q, sn_err *e)
{
    for (int i = 0; i < q->n; i++) {
        search_clause *c = &q->c[i];
        if (c->nalt == 0 || c->alt[0].kind != ALT_TERM || c->alt[0].df > 0) continue;
        int known = 0;
        for (int a = 1; a < c->nalt; a++) known |= c->alt[a].df > 0;
        const char *term = c->alt[0].term;
        int chars = utf8_chars(term);
        if (known || utf8_chars(c->word) < SEARCH_TYPO_MIN_CHARS || chars < 3) continue;
        struct typo_ctx t = {term, {{0}}, 0};
        int rc = typos_of(db, v, term, chars, &t, e);
        if (rc < 0) return rc;
        for (int k = 0; k < t.n; k++) {
            int before = c->nalt;
            search_clause_add(c, ALT_TERM, t.best[k].term, TYPO_WEIGHT);
            if (c->nalt > before) c->alt[c->nalt - 1].df = t.best[k].df;
        }
    }
    return 0;
}

/* ---- ranking -------------------------------------------------------------------------------- */

/* The preferred language first, then the higher score, then the older document. */
static int cmp_cand(const void *a, const void *b, void *lang_arg)
{
    const search_cand *x = a, *y = b;
    const char *lang = lang_arg;
    if (lang) {
        int px = !strcmp(x->lang, lang), py = !strcmp(y->lang, lang);
        if (px != py) return py - px;
    }
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void rank_all(const search_query *q, const rank_stats *s, const search_request *r,
                     search_cand *c, int n)
{
    const rank_params *p = r->params ? r->params : &rank_defaults;
    rank_table *t = rank_table_new(q);
    for (int i = 0; i < n; i++)
        c[i].score = t ? rank_score_with(t, q, s, p, &c[i].title, &c[i].body, &c[i].matched) : 0;
    rank_table_free(t);
    if (n > 1) qsort_r(c, (size_t)n, sizeof *c, cmp_cand, (void *)r->prefer_lang);
}

static int fill_hit(store *db, const search_request *r, const search_query *q, const search_cand *c,
                    search_hit *h, sn_err *e)
{
    char *body = NULL;
    memset(h, 0, sizeof *h);
    h->doc_id = c->id;
    h->ref_id = c->ref_id;
    h->version = c->version;
    memcpy(h->lang, c->lang, sizeof h->lang);
    h->score = c->score;
    int rc = search_index_doc_text(db, c->id, &h->title, &body, e);
    if (rc < 0) return rc;
    if (r->snippets) {
        buf s;
        buf_init(&s, 8192);
        int start = search_best_window_terms(q, &c->body, SEARCH_SNIPPET_WORDS);
        search_snippet_terms(body, q, &c->body, start, &s);
        h->snippet = s.data ? buf_steal(&s) : strdup("");
        buf_fini(&s);
    }
    free(body);
    return 0;
}

int search_run(store *db, const search_request *r, search_hit **hits, int *n, sn_err *e)
{
    search_query *q = calloc(1, sizeof *q);
    search_cand *c = NULL;
    int nc = 0, rc = 0, limit = r->limit < 1 ? 1 : r->limit > 100 ? 100 : r->limit;
    rank_stats s;
    *hits = NULL;
    *n = 0;
    if (!q) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    if (search_query_build(r->text ? r->text : "", r->prefix_last, r->syn, q) < 0 || q->n == 0)
        goto out;
    search_view *v;
    const rank_params *p = r->params ? r->params : &rank_defaults;
    if ((rc = search_index_ensure(db, e)) < 0 || (rc = search_index_view(db, &s, &v, e)) < 0 ||
        (rc = search_index_fill_df(db, v, q, e)) < 0 || (!r->no_typo && (rc = add_typos(db, v, q, e)) < 0))
        goto out;
    rank_prepare(q, &s);
    if ((rc = search_index_candidates(db, v, q, &r->filter, p, &s, SEARCH_CANDIDATES, &c, &nc, e)) < 0)
        goto out;
    rank_all(q, &s, r, c, nc);
    int want = nc < limit ? nc : limit;
    if (want > 0 && !(*hits = calloc((size_t)want, sizeof **hits))) {
        rc = sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < want && rc == 0; i++) {
        if (c[i].score <= 0) break;
        if ((rc = fill_hit(db, r, q, &c[i], &(*hits)[i], e)) == 0) (*n)++;
    }
out:
    search_cands_free(c, nc);
    free(q);
    if (rc < 0) {
        search_hits_free(*hits, *n);
        *hits = NULL;
        *n = 0;
    }
    return rc;
}

void search_hits_free(search_hit *h, int n)
{
    for (int i = 0; h && i < n; i++) {
        free(h[i].title);
        free(h[i].snippet);
    }
    free(h);
}
