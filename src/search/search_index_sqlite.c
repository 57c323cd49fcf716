/* search_index_sqlite.c — the SQLite backend of the index: FTS5 over search_docs' analysed text.
 *
 * search_fts is an external-content FTS5 table (the text lives once, in search_doc_text) with the
 * 'ascii' tokenizer: analysed text is terms separated by one ASCII space and contains no other
 * ASCII punctuation, so FTS5's terms are exactly the analyzer's. Queries are rendered from the
 * clauses as one OR of quoted strings: "term", "prefix" *, "a phrase". */
#include "search/search_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sq_exec_int(store *db, const char *sql, int64_t *v)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    *v = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int sq_ensure(store *db, sn_err *e)
{
    int64_t have, docs;
    if (sq_exec_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'search_fts'", &have) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the schema");
    if (have) return 0;
    if (store_exec(db, "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
                       "title_terms, body_terms, content='search_doc_text', content_rowid='id', "
                       "tokenize='ascii', prefix='2 3')") < 0 ||
        sq_exec_int(db, "SELECT COUNT(*) FROM search_doc_text", &docs) < 0 ||
        (docs > 0 && store_exec(db, "INSERT INTO search_fts(search_fts) VALUES ('rebuild')") < 0))
        return sn_fail(e, SN_EDB, NULL, "cannot create the full-text index");
    return 0;
}

static int sq_write(store *db, const char *sql, int64_t id, const char *tt, const char *bt)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    store_bind_text(st, 2, tt);
    store_bind_text(st, 3, bt);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int sq_put(store *db, int64_t id, const char *tt, const char *bt)
{
    return sq_write(db, "INSERT INTO search_fts (rowid, title_terms, body_terms) VALUES (?, ?, ?)",
                    id, tt, bt);
}

static int sq_del(store *db, int64_t id, const char *tt, const char *bt)
{
    return sq_write(db, "INSERT INTO search_fts (search_fts, rowid, title_terms, body_terms) "
                        "VALUES ('delete', ?, ?, ?)", id, tt, bt);
}

/* The FTS5 MATCH expression of q. Terms hold no '"' (normalisation made them letters and
 * digits), and each one is quoted, so no FTS5 operator can come from the user. */
static int render_match(const search_query *q, buf *out)
{
    int first = 1;
    for (int i = 0; i < q->n; i++) {
        for (int a = 0; a < q->c[i].nalt; a++) {
            const search_alt *alt = &q->c[i].alt[a];
            if (strchr(alt->term, '"')) continue;
            if (buf_printf(out, "%s\"%s\"%s", first ? "" : " OR ", alt->term,
                           alt->kind == ALT_PREFIX ? " *" : "") < 0)
                return -1;
            first = 0;
        }
    }
    return first ? -1 : 0;
}

/* Two ways to the same candidates. The fast one ranks matches by bm25 in FTS5 alone and cuts at
 * 4k before looking at search_docs, so the filter costs 4k lookups instead of one per match;
 * when that leaves fewer than k (a narrow filter, or few matches), the exact one filters every
 * match before the cut. */
#define SQ_FILTER "d.valid_from <= ? AND (d.valid_to IS NULL OR d.valid_to > ?) AND (? = 0 OR " \
                  "d.is_public = 1) AND (? = 0 OR d.group_id = ?) "
static const char *const sq_candidate_sql[2] = {
    "SELECT d.id, d.ref_id, d.version, d.lang FROM (SELECT rowid AS id, bm25(search_fts, 3.0, 1.0) "
    "AS r FROM search_fts WHERE search_fts MATCH ? ORDER BY r LIMIT ?) f JOIN search_docs d ON "
    "d.id = f.id WHERE " SQ_FILTER "ORDER BY f.r LIMIT ?",
    "SELECT d.id, d.ref_id, d.version, d.lang FROM search_fts JOIN search_docs d ON d.id = "
    "search_fts.rowid WHERE search_fts MATCH ? AND ? > 0 AND " SQ_FILTER
    "ORDER BY bm25(search_fts, 3.0, 1.0) LIMIT ?",
};

static int sq_run(store *db, int exact, const char *match, const search_filter *f, int k,
                  search_cand *v, int *n)
{
    store_stmt *st;
    int rc = store_prepare(db, sq_candidate_sql[exact], &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, match);
    store_bind_int(st, 2, 4 * k);
    store_bind_int(st, 3, f->now);
    store_bind_int(st, 4, f->now);
    store_bind_int(st, 5, f->public_only ? 1 : 0);
    store_bind_int(st, 6, f->group_id);
    store_bind_int(st, 7, f->group_id);
    store_bind_int(st, 8, k);
    *n = 0;
    while ((rc = store_step(st)) == STORE_ROW && *n < k) search_cand_read(st, &v[(*n)++]);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int sq_candidates(store *db, const search_query *q, const search_filter *f, int k,
                         search_cand **out, int *n)
{
    buf m;
    buf_init(&m, 64 << 10);
    if (render_match(q, &m) < 0) {
        buf_fini(&m);
        return 0;
    }
    /* At most this many documents match: when few, the exact way costs no more. */
    int64_t matches = 0;
    for (int i = 0; i < q->n; i++)
        for (int a = 0; a < q->c[i].nalt; a++) matches += q->c[i].alt[a].df;
    search_cand *v = calloc((size_t)k, sizeof *v);
    int rc = v ? 0 : SN_EINTERNAL;
    if (rc == 0 && matches > 4 * k) rc = sq_run(db, 0, m.data, f, k, v, n);
    if (rc == 0 && *n < k) rc = sq_run(db, 1, m.data, f, k, v, n);
    buf_fini(&m);
    *out = v;
    return rc;
}

static int sq_prefix_df(store *db, const char *prefix, int64_t *df)
{
    char hi[SEARCH_MAX_TERM + 1];
    *df = 0;
    if (search_prefix_upper(prefix, hi, sizeof hi) < 0) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT MAX(df) FROM search_terms WHERE term >= ? AND term < ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, prefix);
    store_bind_text(st, 2, hi);
    rc = store_step(st);
    if (rc == STORE_ROW) *df = store_col_int(st, 0);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int sq_vocab_scan(store *db, const char *first, int min_chars, int max_chars,
                         int (*fn)(void *, const char *, int64_t), void *arg)
{
    char hi[SEARCH_MAX_TERM + 1];
    if (search_prefix_upper(first, hi, sizeof hi) < 0) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT term, df FROM search_terms WHERE term >= ? AND term < ? "
                               "AND LENGTH(term) BETWEEN ? AND ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, first);
    store_bind_text(st, 2, hi);
    store_bind_int(st, 3, min_chars);
    store_bind_int(st, 4, max_chars);
    while ((rc = store_step(st)) == STORE_ROW)
        if (fn(arg, store_col_text(st, 0), store_col_int(st, 1))) break;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

const search_backend search_backend_sqlite = {
    sq_ensure, sq_put, sq_del, sq_candidates, sq_prefix_df, sq_vocab_scan,
};
