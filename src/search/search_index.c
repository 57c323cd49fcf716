/* search_index.c — the dialect-neutral half of the index: search_docs, the vocabulary with its
 * document frequencies, the totals, and dispatch to the backend (see search_index.h). */
#include "search/search_index.h"

#include "search/analyzer.h"
#include "search/index_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDEX_MAX_TEXT ((size_t)4 << 20) /* bytes of analysed text per field */

static const search_backend *backend(store *db)
{
    return store_kind_of(db) == STORE_SQLITE ? &search_backend_sqlite : &search_backend_pg;
}

/* The PostgreSQL connection whose backend objects are known to exist (one per thread: the API
 * keeps one connection per worker thread, commands have one). SQLite asks its catalogue each
 * time instead, which costs microseconds and is right even when a closed connection's memory is
 * reused by a new one (benchmarks and tests open many). */
static __thread store *ensured;

int search_index_ensure(store *db, sn_err *e)
{
    int cache = store_kind_of(db) == STORE_POSTGRES;
    if (cache && ensured == db) return 0;
    int rc = backend(db)->ensure(db, e);
    if (rc == 0 && cache) ensured = db;
    return rc;
}

/* ---- writing --------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The distinct terms of two analysed texts: a sorted array of pointers into `copy` (a
 * NUL-separated copy the caller frees). *n gets the count; -1 when out of memory. */
static int distinct_terms(const char *a, const char *b, char **copy, char ***terms, int *n)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s) return -1;
    memcpy(s, a, la);
    s[la] = ' ';
    memcpy(s + la + 1, b, lb + 1);
    int cap = 1;
    for (char *p = s; *p; p++) cap += *p == ' ';
    char **v = malloc((size_t)cap * sizeof *v);
    if (!v) {
        free(s);
        return -1;
    }
    int count = 0;
    for (char *p = s, *start = s;; p++) {
        if (*p == ' ' || *p == '\0') {
            int end = *p == '\0';
            *p = '\0';
            if (*start) v[count++] = start;
            if (end) break;
            start = p + 1;
        }
    }
    qsort(v, (size_t)count, sizeof *v, cmp_str);
    int w = 0;
    for (int i = 0; i < count; i++)
        if (w == 0 || strcmp(v[w - 1], v[i])) v[w++] = v[i];
    *copy = s;
    *terms = v;
    *n = w;
    return 0;
}

/* df += delta for each distinct term of the two texts. */
static int vocab_add(store *db, const char *title_terms, const char *body_terms, int delta)
{
    char *copy, **terms;
    int n;
    if (distinct_terms(title_terms, body_terms, &copy, &terms, &n) < 0) return SN_EINTERNAL;
    const char *sql = delta > 0
        ? "INSERT INTO search_terms (term, df) VALUES (?, 1) "
          "ON CONFLICT (term) DO UPDATE SET df = search_terms.df + 1"
        : "UPDATE search_terms SET df = df - 1 WHERE term = ?";
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        store_stmt *st;
        if ((rc = store_prepare(db, sql, &st)) < 0) break;
        store_bind_text(st, 1, terms[i]);
        rc = store_step(st) < 0 ? SN_EDB : 0;
        store_finish(st);
        if (rc < 0 || delta > 0) continue;
        if ((rc = store_prepare(db, "DELETE FROM search_terms WHERE term = ? AND df <= 0", &st)) < 0)
            break;
        store_bind_text(st, 1, terms[i]);
        rc = store_step(st) < 0 ? SN_EDB : 0;
        store_finish(st);
    }
    free(terms);
    free(copy);
    return rc;
}

static int count_terms(const char *s)
{
    if (!*s) return 0;
    int n = 1;
    for (; *s; s++) n += *s == ' ';
    return n;
}

static int stats_add(store *db, int docs, int title_len, int body_len)
{
    store_stmt *st;
    icache_invalidate();
    int rc = store_prepare(db, "UPDATE search_stats SET docs = docs + ?, title_terms = title_terms + ?, "
                               "body_terms = body_terms + ?, gen = gen + 1 WHERE id = 1", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, docs);
    store_bind_int(st, 2, title_len);
    store_bind_int(st, 3, body_len);
    rc = store_step(st) < 0 ? SN_EDB : 0;
    store_finish(st);
    return rc;
}

static int insert_doc(store *db, const search_doc *d, const char *tt, const char *bt, int tl,
                      int bl, int64_t *id)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO search_docs (ref_id, version, lang, group_id, is_public, "
                               "valid_from, valid_to, title_len, body_len) VALUES (?, ?, ?, ?, ?, ?, "
                               "?, ?, ?) RETURNING id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, d->ref_id);
    store_bind_int(st, 2, d->version);
    store_bind_text(st, 3, d->lang);
    store_bind_int(st, 4, d->group_id);
    store_bind_int(st, 5, d->is_public ? 1 : 0);
    store_bind_int(st, 6, d->valid_from);
    if (d->valid_to > 0) store_bind_int(st, 7, d->valid_to); else store_bind_null(st, 7);
    store_bind_int(st, 8, tl);
    store_bind_int(st, 9, bl);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc != STORE_ROW) return SN_EDB;
    if ((rc = store_prepare(db, "INSERT INTO search_doc_text (id, title, body_text, title_terms, "
                                "body_terms) VALUES (?, ?, ?, ?, ?)", &st)) < 0)
        return rc;
    store_bind_int(st, 1, *id);
    store_bind_text(st, 2, d->title);
    store_bind_text(st, 3, d->body);
    store_bind_text(st, 4, tt);
    store_bind_text(st, 5, bt);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int search_index_put(store *db, const search_doc *d, int64_t *id, sn_err *e)
{
    buf tt, bt;
    buf_init(&tt, INDEX_MAX_TEXT);
    buf_init(&bt, INDEX_MAX_TEXT);
    int rc = 0;
    if (analyzer_index_text(d->title, strlen(d->title), &tt) < 0 ||
        analyzer_index_text(d->body, strlen(d->body), &bt) < 0) {
        rc = sn_fail(e, SN_EUNPROCESSABLE, NULL, "the text is not valid UTF-8 or too long to index");
        goto out;
    }
    const char *t = tt.data ? tt.data : "", *b = bt.data ? bt.data : "";
    int tl = count_terms(t), bl = count_terms(b);
    if (insert_doc(db, d, t, b, tl, bl, id) < 0 || backend(db)->put(db, *id, t, b) < 0 ||
        vocab_add(db, t, b, +1) < 0 || stats_add(db, 1, tl, bl) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot index the document");
out:
    buf_fini(&tt);
    buf_fini(&bt);
    return rc;
}

int search_index_delete(store *db, int64_t id, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT t.title_terms, t.body_terms, d.title_len, d.body_len FROM "
                          "search_docs d JOIN search_doc_text t ON t.id = d.id WHERE d.id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the index");
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    char *tt = NULL, *bt = NULL;
    int tl = 0, bl = 0;
    if (rc == STORE_ROW) {
        tt = strdup(store_col_text(st, 0));
        bt = strdup(store_col_text(st, 1));
        tl = (int)store_col_int(st, 2);
        bl = (int)store_col_int(st, 3);
    }
    store_finish(st);
    if (rc == STORE_DONE) return 0;
    rc = rc == STORE_ROW && tt && bt ? 0 : SN_EDB;
    if (rc == 0) rc = backend(db)->del(db, id, tt, bt);
    if (rc == 0) rc = vocab_add(db, tt, bt, -1);
    if (rc == 0) rc = stats_add(db, -1, -tl, -bl);
    int64_t args[] = {id};
    if (rc == 0) rc = store_exec_ints(db, "DELETE FROM search_doc_text WHERE id = ?", 1, args);
    if (rc == 0) rc = store_exec_ints(db, "DELETE FROM search_docs WHERE id = ?", 1, args);
    free(tt);
    free(bt);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot update the index") : 0;
}

/* Tell readers of the index that it changed (index_cache.h). */
static int bump_generation(store *db)
{
    icache_invalidate();
    return store_exec(db, "UPDATE search_stats SET gen = gen + 1 WHERE id = 1") < 0 ? SN_EDB : 0;
}

int search_index_set_window(store *db, int64_t id, int64_t valid_from, int64_t valid_to, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "UPDATE search_docs SET valid_from = ?, valid_to = ? WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot update the index");
    store_bind_int(st, 1, valid_from);
    if (valid_to > 0) store_bind_int(st, 2, valid_to); else store_bind_null(st, 2);
    store_bind_int(st, 3, id);
    int rc = store_step(st);
    store_finish(st);
    if (rc >= 0) rc = bump_generation(db);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot update the index") : 0;
}

int search_index_set_group(store *db, int64_t ref_id, int64_t group_id, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "UPDATE search_docs SET group_id = ? WHERE ref_id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot update the index");
    store_bind_int(st, 1, group_id);
    store_bind_int(st, 2, ref_id);
    int rc = store_step(st);
    store_finish(st);
    if (rc >= 0) rc = bump_generation(db);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot update the index") : 0;
}

/* ---- reading --------------------------------------------------------------------------------- */

int search_index_view(store *db, rank_stats *s, search_view **v, sn_err *e)
{
    return icache_get(db, s, v) < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read the index") : 0;
}

static int term_df(store *db, const char *term, int64_t *df)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT df FROM search_terms WHERE term = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, term);
    rc = store_step(st);
    *df = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* A phrase is in at most as many documents as its rarest term. */
static int phrase_df(store *db, const char *phrase, int64_t *df)
{
    char term[SEARCH_MAX_TERM];
    *df = -1;
    for (const char *p = phrase; *p;) {
        const char *sp = strchr(p, ' ');
        size_t l = sp ? (size_t)(sp - p) : strlen(p);
        snprintf(term, sizeof term, "%.*s", (int)l, p);
        int64_t d;
        int rc = term_df(db, term, &d);
        if (rc < 0) return rc;
        if (*df < 0 || d < *df) *df = d;
        p += l + (sp != NULL);
    }
    if (*df < 0) *df = 0;
    return 0;
}

int search_index_fill_df(store *db, search_view *v, search_query *q, sn_err *e)
{
    for (int i = 0; i < q->n; i++) {
        for (int a = 0; a < q->c[i].nalt; a++) {
            search_alt *alt = &q->c[i].alt[a];
            if (icache_df_get(v, alt->kind, alt->term, &alt->df)) continue;
            int rc = alt->kind == ALT_TERM     ? term_df(db, alt->term, &alt->df)
                     : alt->kind == ALT_PHRASE ? phrase_df(db, alt->term, &alt->df)
                                               : backend(db)->prefix_df(db, alt->term, &alt->df);
            if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the index");
            icache_df_put(v, alt->kind, alt->term, alt->df);
        }
    }
    return 0;
}

int search_index_vocab_scan(store *db, const char *first, int min_chars, int max_chars,
                            int (*fn)(void *arg, const char *term, int64_t df), void *arg,
                            sn_err *e)
{
    int rc = backend(db)->vocab_scan(db, first, min_chars, max_chars, fn, arg);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read the index") : 0;
}

int search_prefix_upper(const char *prefix, char *hi, size_t cap)
{
    size_t n = strlen(prefix);
    if (n == 0 || n >= cap) return -1;
    memcpy(hi, prefix, n + 1);
    while (n > 0 && (unsigned char)hi[n - 1] == 0xFF) hi[--n] = '\0';
    if (n == 0) return -1;
    hi[n - 1] = (char)((unsigned char)hi[n - 1] + 1);
    return 0;
}

int search_index_doc_text(store *db, int64_t id, char **title, char **body, sn_err *e)
{
    store_stmt *st;
    *title = *body = NULL;
    if (store_prepare(db, "SELECT title, body_text FROM search_doc_text WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the index");
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    if (rc == STORE_ROW) {
        *title = strdup(store_col_text(st, 0));
        *body = strdup(store_col_text(st, 1));
    }
    store_finish(st);
    if (rc == STORE_DONE) return sn_fail(e, SN_ENOTFOUND, NULL, "no such document");
    if (rc < 0 || !*title || !*body) {
        free(*title);
        free(*body);
        *title = *body = NULL;
        return sn_fail(e, SN_EDB, NULL, "cannot read the index");
    }
    return 0;
}
