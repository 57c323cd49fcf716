/* search_index_sqlite.c — the SQLite backend of the index: FTS5 over search_docs' analysed text.
 *
 * search_fts is an external-content FTS5 table (the text lives once, in search_doc_text) with the
 * 'ascii' tokenizer: analysed text is terms separated by one ASCII space and contains no other
 * ASCII punctuation, so FTS5's terms are exactly the analyzer's. Each query alternative is
 * rendered as one quoted string ("term", "prefix" *, "a phrase") and only its rowids are read. */
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

/* The FTS5 MATCH expression of one alternative: "term", "prefix" *, "a phrase", after
 * "title_terms : " for the title only. Terms hold no '"' (normalisation made them letters and
 * digits) and are quoted, so no FTS5 operator can come from the user. */
static int render_match(const search_alt *alt, int title_only, buf *out)
{
    if (strchr(alt->term, '"')) return -1;
    return buf_printf(out, "%s\"%s\"%s", title_only ? "title_terms : " : "", alt->term,
                      alt->kind == ALT_PREFIX ? " *" : "");
}

/* Rowids only: FTS5 walks the doclist and neither reads the document sizes nor ranks. */
static int sq_postings(store *db, const search_alt *alt, int title_only,
                       int (*fn)(void *, int64_t), void *arg)
{
    buf m;
    buf_init(&m, SEARCH_MAX_TERM + 32);
    if (render_match(alt, title_only, &m) < 0) {
        buf_fini(&m);
        return 0;
    }
    store_stmt *st;
    int rc = store_prepare(db, "SELECT rowid FROM search_fts WHERE search_fts MATCH ?", &st);
    if (rc == 0) {
        store_bind_text(st, 1, m.data);
        while ((rc = store_step(st)) == STORE_ROW)
            if (fn(arg, store_col_int(st, 0))) break;
        store_finish(st);
    }
    buf_fini(&m);
    return rc < 0 ? rc : 0;
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
    sq_ensure, sq_put, sq_del, sq_postings, sq_prefix_df, sq_vocab_scan,
};
