/* quality.c — retrieval quality of Sanad's search on ARCD (Arabic questions → their paragraph).
 *
 * Every paragraph of the data set becomes a document (title: its Wikipedia article's title,
 * body: the paragraph) and every question a query with exactly one right answer. For each
 * configuration the run prints hit@1, hit@5 and MRR@10, on all questions and on the authors'
 * test split (the constants of rank.c were tuned on the train split):
 *
 *   fts5-raw        SQLite FTS5, stock unicode61 tokenizer, raw text, bm25() — the baseline
 *   sanad           the real pipeline: analyzer → search_index (FTS5) → rank.c, as served
 *   and ablations   sanad with one piece changed (stemmer, no proximity, title weight …)
 *
 * usage: quality [--db URL] [--quick] [ARCD.json [TEST-SPLIT.json]]
 *   --db URL  also run the default configuration on that database (e.g. a PostgreSQL
 *             database, emptied of search documents first) to compare the backends.
 *   --quick   the baseline and the default configuration only. */
#include "search/analyzer.h"
#include "search/search.h"
#include "store/migrate.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct para {
    const char *title, *context;
    int64_t doc_id;
} para;

typedef struct question {
    const char *text, *id;
    int para;     /* index of its paragraph */
    int in_test;  /* in the test split */
} question;

static para *paras;
static int npara;
static question *qs;
static int nq;

static int load(const char *path, const char *test_path)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err), *test = test_path ? json_load_file(test_path, 0, &err) : NULL;
    if (!root) {
        fprintf(stderr, "quality: cannot read %s: %s\n", path, err.text);
        return -1;
    }
    json_t *ids = json_object(); /* question ids of the test split */
    size_t i, j, k;
    json_t *art, *p, *qa;
    json_array_foreach(json_object_get(test, "data"), i, art)
        json_array_foreach(json_object_get(art, "paragraphs"), j, p)
            json_array_foreach(json_object_get(p, "qas"), k, qa)
                json_object_set(ids, json_string_value(json_object_get(qa, "id")), json_true());
    paras = calloc(2000, sizeof *paras);
    qs = calloc(10000, sizeof *qs);
    json_array_foreach(json_object_get(root, "data"), i, art)
    {
        const char *title = json_string_value(json_object_get(art, "title"));
        json_array_foreach(json_object_get(art, "paragraphs"), j, p)
        {
            if (npara == 2000) break;
            paras[npara] = (para){title, json_string_value(json_object_get(p, "context")), 0};
            json_array_foreach(json_object_get(p, "qas"), k, qa)
            {
                if (nq == 10000) break;
                const char *id = json_string_value(json_object_get(qa, "id"));
                qs[nq++] = (question){json_string_value(json_object_get(qa, "question")), id, npara,
                                      json_object_get(ids, id) != NULL};
            }
            npara++;
        }
    }
    /* root and test stay loaded: the strings point into them. */
    json_decref(ids);
    return 0;
}

/* ---- scores ---------------------------------------------------------------------------------- */

typedef struct tally {
    int n, hit1, hit5;
    double rr;
} tally;

static void count(tally *t, int rank)
{
    t->n++;
    if (rank == 1) t->hit1++;
    if (rank >= 1 && rank <= 5) t->hit5++;
    if (rank >= 1 && rank <= 10) t->rr += 1.0 / rank;
}

static int show_train; /* QUALITY_SWEEP: show the train split instead of all */

static void report(const char *name, const tally *all, const tally *test, double secs)
{
    tally t = *all;
    if (show_train) {
        t.n -= test->n;
        t.hit1 -= test->hit1;
        t.hit5 -= test->hit5;
        t.rr -= test->rr;
    }
    printf("%-28s  %s: hit@1 %.3f  hit@5 %.3f  MRR@10 %.3f   test: hit@1 %.3f  hit@5 %.3f  "
           "MRR@10 %.3f   (%.0f µs/query)\n",
           name, show_train ? "train" : "all", (double)t.hit1 / t.n, (double)t.hit5 / t.n, t.rr / t.n,
           test->n ? (double)test->hit1 / test->n : 0, test->n ? (double)test->hit5 / test->n : 0,
           test->n ? test->rr / test->n : 0, secs * 1e6 / (all->n ? all->n : 1));
    fflush(stdout);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- (a) the baseline: stock FTS5 on raw text ------------------------------------------------ */

/* Each whitespace-separated chunk of the question quoted (FTS5 tokenises inside the quotes), OR'ed. */
static void raw_match(const char *text, char *out, size_t cap)
{
    size_t w = 0;
    int first = 1;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') p++;
        if (w + (size_t)(p - s) * 2 + 10 >= cap) break;
        if (!first) w += (size_t)snprintf(out + w, cap - w, " OR ");
        out[w++] = '"';
        for (const char *c = s; c < p; c++) {
            if (*c == '"') out[w++] = '"';
            out[w++] = *c;
        }
        out[w++] = '"';
        first = 0;
    }
    out[w] = '\0';
}

static void run_raw(void)
{
    sqlite3 *h;
    sqlite3_open(":memory:", &h);
    sqlite3_exec(h, "CREATE VIRTUAL TABLE raw USING fts5(title, body)", NULL, NULL, NULL);
    sqlite3_stmt *ins, *q;
    sqlite3_prepare_v2(h, "INSERT INTO raw (rowid, title, body) VALUES (?, ?, ?)", -1, &ins, NULL);
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    for (int i = 0; i < npara; i++) {
        sqlite3_bind_int(ins, 1, i + 1);
        sqlite3_bind_text(ins, 2, paras[i].title, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, paras[i].context, -1, SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    sqlite3_prepare_v2(h, "SELECT rowid FROM raw WHERE raw MATCH ? ORDER BY bm25(raw) LIMIT 10", -1, &q, NULL);
    tally all = {0}, test = {0};
    char m[8192];
    double t0 = now_s();
    for (int i = 0; i < nq; i++) {
        raw_match(qs[i].text, m, sizeof m);
        sqlite3_bind_text(q, 1, m, -1, SQLITE_STATIC);
        int rank = 0, r = 0;
        while (sqlite3_step(q) == SQLITE_ROW) {
            r++;
            if (sqlite3_column_int(q, 0) == qs[i].para + 1) rank = r;
        }
        sqlite3_reset(q);
        count(&all, rank);
        if (qs[i].in_test) count(&test, rank);
    }
    report("fts5-raw (unicode61, bm25)", &all, &test, now_s() - t0);
    sqlite3_finalize(ins);
    sqlite3_finalize(q);
    sqlite3_close(h);
}

/* ---- (b) Sanad's pipeline ------------------------------------------------------------------ */

static int index_all(store *db)
{
    sn_err e;
    if (search_index_ensure(db, &e) < 0 || store_begin_write(db) < 0) return -1;
    for (int i = 0; i < npara; i++) {
        search_doc d = {i + 1, 1, "ar", 0, 1, 0, 0, paras[i].title, paras[i].context};
        if (search_index_put(db, &d, &paras[i].doc_id, &e) < 0) {
            fprintf(stderr, "quality: indexing: %s\n", e.message);
            store_rollback(db);
            return -1;
        }
    }
    return store_commit(db);
}

static void run_sanad(store *db, const char *name, const rank_params *p, int no_typo)
{
    tally all = {0}, test = {0};
    double t0 = now_s();
    for (int i = 0; i < nq; i++) {
        search_request r = {0};
        r.text = qs[i].text;
        r.filter.now = INT64_MAX / 2;
        r.limit = 10;
        r.params = p;
        r.no_typo = no_typo;
        search_hit *h;
        int n, rank = 0;
        sn_err e;
        if (search_run(db, &r, &h, &n, &e) < 0) {
            fprintf(stderr, "quality: search: %s\n", e.message);
            return;
        }
        for (int k = 0; k < n; k++)
            if (h[k].doc_id == paras[qs[i].para].doc_id) rank = k + 1;
        search_hits_free(h, n);
        count(&all, rank);
        if (qs[i].in_test) count(&test, rank);
    }
    report(name, &all, &test, now_s() - t0);
}

static store *fresh_sqlite(void)
{
    store *db;
    sn_err e;
    store_options opt = {"OFF", 1000};
    if (store_open("sqlite::memory:", &opt, &db, &e) < 0 || migrate_run(db, NULL, &e) < 0) {
        fprintf(stderr, "quality: %s\n", e.message);
        exit(1);
    }
    return db;
}

static void variant(const char *name, enum analyzer_arabic stemmer, const rank_params *p, int no_typo)
{
    analyzer_set_arabic(stemmer);
    store *db = fresh_sqlite();
    if (index_all(db) == 0) run_sanad(db, name, p, no_typo);
    store_close(db);
    analyzer_set_arabic(AN_ARABIC_LIGHT);
}

/* Empty the index of another database, index ARCD there and run the default configuration. */
static void run_on(const char *url)
{
    store *db;
    sn_err e;
    if (store_open(url, NULL, &db, &e) < 0 || migrate_run(db, NULL, &e) < 0 ||
        search_index_ensure(db, &e) < 0) {
        fprintf(stderr, "quality: %s: %s\n", url, e.message);
        return;
    }
    store_exec(db, "BEGIN");
    store_exec(db, store_kind_of(db) == STORE_SQLITE
                       ? "INSERT INTO search_fts(search_fts) VALUES ('delete-all')"
                       : "DELETE FROM search_tsv");
    store_exec(db, "DELETE FROM search_doc_text; DELETE FROM search_docs; DELETE FROM search_terms; "
                   "UPDATE search_stats SET docs = 0, title_terms = 0, body_terms = 0");
    store_exec(db, "COMMIT");
    char name[64];
    snprintf(name, sizeof name, "sanad on %s", store_kind_name(db));
    if (index_all(db) == 0) run_sanad(db, name, NULL, 0);
    store_close(db);
}

int main(int argc, char **argv)
{
    const char *db_url = NULL, *path = NULL, *test = NULL;
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) db_url = argv[++i];
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!path) path = argv[i];
        else test = argv[i];
    }
    if (!path) path = "../shared/datasets/arcd/arcd.json";
    if (!test) test = "../shared/datasets/arcd/arcd-test.json";
    if (load(path, test) < 0) return 1;
    printf("ARCD: %d paragraphs (documents), %d questions (queries), one right paragraph each\n\n",
           npara, nq);
    run_raw();
    variant("sanad (default)", AN_ARABIC_LIGHT, NULL, 0);
    if (db_url) run_on(db_url);
    if (quick) return 0;
    printf("\nablations (one change each from the default):\n");
    variant("  stemmer: snowball arabic", AN_ARABIC_SNOWBALL, NULL, 0);
    variant("  stemmer: none", AN_ARABIC_NONE, NULL, 0);
    rank_params p = rank_defaults;
    p.prox_weight = 0;
    variant("  no proximity", AN_ARABIC_LIGHT, &p, 0);
    p = rank_defaults;
    p.title_weight = 1;
    variant("  title weight 1", AN_ARABIC_LIGHT, &p, 0);
    p = rank_defaults;
    p.title_weight = 0;
    variant("  no title field", AN_ARABIC_LIGHT, &p, 0);
    variant("  no typo tolerance", AN_ARABIC_LIGHT, NULL, 1);
    /* Parameter sweep on request: QUALITY_SWEEP=1 (for tuning on the train split). */
    if (getenv("QUALITY_SWEEP")) {
        show_train = 1;
        static const double tw[] = {1.5, 2, 3}, pw[] = {0.1, 0.3, 0.5, 1.0}, bb[] = {0.6, 0.75, 0.9};
        static const int win[] = {2, 4, 8};
        for (size_t a = 0; a < 3; a++)
            for (size_t b = 0; b < 4; b++)
                for (size_t c = 0; c < 3; c++)
                    for (size_t d = 0; d < 3; d++) {
                        p = rank_defaults;
                        p.title_weight = tw[a];
                        p.prox_weight = pw[b];
                        p.b_body = bb[c];
                        p.window = win[d];
                        char name[80];
                        snprintf(name, sizeof name, "  tw %.1f pw %.1f b %.2f win %d", tw[a], pw[b], bb[c], win[d]);
                        variant(name, AN_ARABIC_LIGHT, &p, 0);
                    }
    }
    return 0;
}
