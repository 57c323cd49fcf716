/* search_index_pg.c — the PostgreSQL backend of the index: a tsvector of the analysed terms.
 *
 * The tsvector is written as a literal ('term':1A,4A 'other':2 …) and cast, and queries as a
 * tsquery literal ('term' | 'pre':* | 'a' <-> 'b'), so PostgreSQL's text search parser and
 * dictionaries never touch the analyzer's terms: the lexemes are exactly the terms FTS5 sees on
 * SQLite. Title positions carry weight A, body positions weight D (the default), so that
 * 'term':A lists the documents holding a term in the title. Only ids are read; candidates are
 * picked and ranked in C (candidates.c, rank.h). */
#include "search/search_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TSV_MAX_POS 16383   /* PostgreSQL clamps positions here */
#define TSV_MAX_PER_LEXEME 255
#define PG_ENSURE_LOCK 727001 /* advisory lock key serialising first-time creation */

static int pg_exists(store *db, int *yes)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT to_regclass('search_tsv') IS NOT NULL", &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    *yes = rc == STORE_ROW && store_col_int(st, 0);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int pg_put(store *db, int64_t id, const char *tt, const char *bt);

/* Fill search_tsv for documents that have no row there (after the table was created late). */
static int pg_backfill(store *db)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT d.id, d.title_terms, d.body_terms FROM search_doc_text d "
                               "WHERE NOT EXISTS (SELECT 1 FROM search_tsv t WHERE t.id = d.id)", &st);
    if (rc < 0) return rc;
    int64_t *ids = NULL;
    char **texts = NULL;
    int n = 0, cap = 0;
    while ((rc = store_step(st)) == STORE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *i2 = realloc(ids, (size_t)cap * sizeof *i2);
            if (i2) ids = i2;
            char **t2 = realloc(texts, (size_t)cap * 2 * sizeof *t2);
            if (t2) texts = t2;
            if (!i2 || !t2) break;
        }
        ids[n] = store_col_int(st, 0);
        texts[2 * n] = strdup(store_col_text(st, 1));
        texts[2 * n + 1] = strdup(store_col_text(st, 2));
        n++;
    }
    store_finish(st);
    rc = rc < 0 ? rc : 0;
    for (int i = 0; i < n; i++) {
        if (rc == 0 && texts[2 * i] && texts[2 * i + 1]) rc = pg_put(db, ids[i], texts[2 * i], texts[2 * i + 1]);
        free(texts[2 * i]);
        free(texts[2 * i + 1]);
    }
    free(ids);
    free(texts);
    return rc;
}

static int pg_ensure(store *db, sn_err *e)
{
    int yes;
    if (pg_exists(db, &yes) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the schema");
    if (yes) return 0;
    int rc = store_begin_write(db);
    store_stmt *st;
    if (rc == 0 && (rc = store_prepare(db, "SELECT pg_advisory_xact_lock(?)", &st)) == 0) {
        store_bind_int(st, 1, PG_ENSURE_LOCK);
        rc = store_step(st) < 0 ? SN_EDB : 0;
        store_finish(st);
    }
    if (rc == 0)
        rc = store_exec(db, "CREATE TABLE IF NOT EXISTS search_tsv (id BIGINT PRIMARY KEY "
                            "REFERENCES search_docs(id) ON DELETE CASCADE, tsv tsvector NOT NULL);"
                            "CREATE INDEX IF NOT EXISTS search_tsv_gin ON search_tsv USING gin (tsv);"
                            "CREATE INDEX IF NOT EXISTS search_terms_c ON search_terms "
                            "(term COLLATE \"C\")");
    if (rc == 0) rc = pg_backfill(db);
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot create the full-text index");
    }
    return 0;
}

/* ---- the tsvector literal ----------------------------------------------------------------- */

typedef struct tpos {
    const char *term;
    int len, pos, title;
} tpos;

static int cmp_tpos(const void *a, const void *b)
{
    const tpos *x = a, *y = b;
    int l = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->term, y->term, (size_t)l);
    if (c) return c;
    if (x->len != y->len) return x->len - y->len;
    return x->pos - y->pos;
}

static int add_positions(tpos **v, int *n, int *cap, const char *s, int *pos, int title)
{
    for (const char *p = s, *start = s;; p++) {
        if (*p != ' ' && *p != '\0') continue;
        if (p > start) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                tpos *g = realloc(*v, (size_t)*cap * sizeof *g);
                if (!g) return -1;
                *v = g;
            }
            int at = ++*pos > TSV_MAX_POS ? TSV_MAX_POS : *pos;
            (*v)[(*n)++] = (tpos){start, (int)(p - start), at, title};
        }
        if (!*p) break;
        start = p + 1;
    }
    return 0;
}

/* Append a quoted lexeme, doubling quotes and backslashes. */
static int put_lexeme(buf *out, const char *s, size_t len)
{
    if (buf_append(out, "'", 1) < 0) return -1;
    for (size_t i = 0; i < len; i++) {
        if ((s[i] == '\'' || s[i] == '\\') && buf_append(out, &s[i], 1) < 0) return -1;
        if (buf_append(out, &s[i], 1) < 0) return -1;
    }
    return buf_append(out, "'", 1);
}

static int tsvector_literal(const char *tt, const char *bt, buf *out)
{
    tpos *v = NULL;
    int n = 0, cap = 0, pos = 0, rc = 0;
    if (add_positions(&v, &n, &cap, tt, &pos, 1) < 0 || add_positions(&v, &n, &cap, bt, &pos, 0) < 0) {
        free(v);
        return -1;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_tpos);
    for (int i = 0; i < n && rc == 0;) {
        int j = i, count = 0, last = -1;
        rc = buf_append(out, i ? " " : "", i ? 1 : 0);
        if (rc == 0) rc = put_lexeme(out, v[i].term, (size_t)v[i].len);
        if (rc == 0) rc = buf_append(out, ":", 1);
        for (; j < n && v[j].len == v[i].len && !memcmp(v[j].term, v[i].term, (size_t)v[i].len); j++) {
            if (rc < 0 || count == TSV_MAX_PER_LEXEME || v[j].pos == last) continue;
            rc = buf_printf(out, "%s%d%s", count ? "," : "", v[j].pos, v[j].title ? "A" : "");
            last = v[j].pos;
            count++;
        }
        i = j;
    }
    free(v);
    return rc;
}

static int pg_put(store *db, int64_t id, const char *tt, const char *bt)
{
    buf lit;
    buf_init(&lit, (size_t)64 << 20);
    int rc = tsvector_literal(tt, bt, &lit) < 0 ? SN_EINTERNAL : 0;
    store_stmt *st;
    if (rc == 0 && (rc = store_prepare(db, "INSERT INTO search_tsv (id, tsv) VALUES (?, ?::tsvector) "
                                           "ON CONFLICT (id) DO UPDATE SET tsv = EXCLUDED.tsv", &st)) == 0) {
        store_bind_int(st, 1, id);
        store_bind_text(st, 2, lit.data ? lit.data : "");
        rc = store_step(st) < 0 ? SN_EDB : 0;
        store_finish(st);
    }
    buf_fini(&lit);
    return rc;
}

static int pg_del(store *db, int64_t id, const char *tt, const char *bt)
{
    store_stmt *st;
    int rc = store_prepare(db, "DELETE FROM search_tsv WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* ---- queries ------------------------------------------------------------------------------ */

static int render_alt(const search_alt *a, buf *out)
{
    if (a->kind != ALT_PHRASE) {
        if (put_lexeme(out, a->term, strlen(a->term)) < 0) return -1;
        return a->kind == ALT_PREFIX ? buf_puts(out, ":*") : 0;
    }
    if (buf_puts(out, "(") < 0) return -1;
    for (const char *p = a->term; *p;) {
        const char *sp = strchr(p, ' ');
        size_t l = sp ? (size_t)(sp - p) : strlen(p);
        if ((p != a->term && buf_puts(out, " <-> ") < 0) || put_lexeme(out, p, l) < 0) return -1;
        p += l + (sp != NULL);
    }
    return buf_puts(out, ")");
}

/* One alternative as a tsquery, every lexeme restricted to weight A (the title) when
 * title_only. */
static int render_alt_in(const search_alt *a, int title_only, buf *out)
{
    if (!title_only) return render_alt(a, out);
    if (a->kind != ALT_PHRASE) {
        if (put_lexeme(out, a->term, strlen(a->term)) < 0) return -1;
        return buf_puts(out, a->kind == ALT_PREFIX ? ":*A" : ":A");
    }
    if (buf_puts(out, "(") < 0) return -1;
    for (const char *p = a->term; *p;) {
        const char *sp = strchr(p, ' ');
        size_t l = sp ? (size_t)(sp - p) : strlen(p);
        if ((p != a->term && buf_puts(out, " <-> ") < 0) || put_lexeme(out, p, l) < 0 ||
            buf_puts(out, ":A") < 0)
            return -1;
        p += l + (sp != NULL);
    }
    return buf_puts(out, ")");
}

/* The GIN index finds the rows; only ids are read (no ranking, no join). */
static int pg_postings(store *db, const search_alt *alt, int title_only,
                       int (*fn)(void *, int64_t), void *arg)
{
    buf tq;
    buf_init(&tq, 4 * SEARCH_MAX_TERM + 64);
    if (render_alt_in(alt, title_only, &tq) < 0) {
        buf_fini(&tq);
        return 0;
    }
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id FROM search_tsv WHERE tsv @@ CAST(? AS tsquery)", &st);
    if (rc == 0) {
        store_bind_text(st, 1, tq.data);
        while ((rc = store_step(st)) == STORE_ROW)
            if (fn(arg, store_col_int(st, 0))) break;
        store_finish(st);
    }
    buf_fini(&tq);
    return rc < 0 ? rc : 0;
}

/* A LIKE pattern matching strings that start with s. */
static int like_prefix(const char *s, char *pat, size_t cap)
{
    size_t w = 0;
    for (; *s; s++) {
        if (w + 3 >= cap) return -1;
        if (*s == '%' || *s == '_' || *s == '\\') pat[w++] = '\\';
        pat[w++] = *s;
    }
    pat[w++] = '%';
    pat[w] = '\0';
    return 0;
}

static int pg_prefix_df(store *db, const char *prefix, int64_t *df)
{
    char pat[2 * SEARCH_MAX_TERM + 2];
    *df = 0;
    if (like_prefix(prefix, pat, sizeof pat) < 0) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT MAX(df) FROM search_terms WHERE term COLLATE \"C\" LIKE ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, pat);
    rc = store_step(st);
    if (rc == STORE_ROW && !store_col_is_null(st, 0)) *df = store_col_int(st, 0);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int pg_vocab_scan(store *db, const char *first, int min_chars, int max_chars,
                         int (*fn)(void *, const char *, int64_t), void *arg)
{
    char pat[2 * SEARCH_MAX_TERM + 2];
    if (like_prefix(first, pat, sizeof pat) < 0) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT term, df FROM search_terms WHERE term COLLATE \"C\" LIKE ? "
                               "AND LENGTH(term) BETWEEN ? AND ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, pat);
    store_bind_int(st, 2, min_chars);
    store_bind_int(st, 3, max_chars);
    while ((rc = store_step(st)) == STORE_ROW)
        if (fn(arg, store_col_text(st, 0), store_col_int(st, 1))) break;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

const search_backend search_backend_pg = {
    pg_ensure, pg_put, pg_del, pg_postings, pg_prefix_df, pg_vocab_scan,
};
