/* kb_search.c — search and suggestions over the knowledge base, admin synonyms, the search log
 * (clicks, contact-form submissions) and its analytics.
 *
 * The search log is written off the request path: each search appends its row to an in-memory
 * queue (capped at LOG_QUEUE_MAX rows; beyond that rows are dropped and counted) and a
 * background thread with a connection of its own writes the queue every LOG_FLUSH_MS in one
 * transaction. The client's search_id is a random token, so no database round trip is needed
 * before answering. Readers of the log (clicks, submissions, analytics) flush the queue first on
 * their own connection, so they always see every search served before them by this process. */
#include "kb.h"

#include "audit.h"
#include "kb_internal.h"
#include "org.h"
#include "settings.h"

#include "../core/clock.h"
#include "../core/crypto.h"
#include "../core/log.h"
#include "../search/normalize.h"
#include "../search/search.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_QUEUE_MAX 20000
#define LOG_FLUSH_MS 1000
#define WEEK_MS 604800000LL
/* Weeks start on Sunday 00:00 in Asia/Riyadh (UTC+3): the epoch was a Thursday, 4 days after one. */
#define WEEK_SHIFT_MS (4LL * 86400000 + 3LL * 3600000)

/* ---- synonyms, cached per thread -------------------------------------------------------------- */

static __thread struct {
    search_synonyms syn;
    int64_t loaded_at, gen;
    int loaded;
} syn_cache;

static int load_synonyms(store *db, search_synonyms *syn)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT terms FROM kb_synonyms ORDER BY id", &st);
    if (rc < 0) return rc;
    while ((rc = store_step(st)) == STORE_ROW) {
        json_t *terms = json_loads(store_col_text(st, 0), 0, NULL);
        const char *members[32];
        int n = 0;
        size_t i;
        json_t *t;
        json_array_foreach(terms, i, t) if (n < 32 && json_is_string(t)) members[n++] = json_string_value(t);
        if (n > 1) search_synonyms_add(syn, members, n);
        json_decref(terms);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static void syn_cache_free(void)
{
    search_synonyms_fini(&syn_cache.syn);
    syn_cache.loaded = 0;
}

static const search_synonyms *synonyms(store *db)
{
    int64_t now = clock_now_ms();
    if (syn_cache.loaded && settings_fresh(syn_cache.loaded_at, syn_cache.gen, now)) return &syn_cache.syn;
    int64_t gen = settings_generation();
    search_synonyms_fini(&syn_cache.syn);
    settings_at_thread_exit(syn_cache_free);
    if (load_synonyms(db, &syn_cache.syn) < 0) {
        search_synonyms_fini(&syn_cache.syn);
        syn_cache.loaded = 0;
        return NULL;
    }
    syn_cache.loaded = 1;
    syn_cache.loaded_at = now;
    syn_cache.gen = gen;
    return &syn_cache.syn;
}

int kb_synonyms_list_json(store *db, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT id, terms, created_at FROM kb_synonyms ORDER BY id", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list");
    json_t *list = json_array();
    while (store_step(st) == STORE_ROW) {
        json_t *terms = json_loads(store_col_text(st, 1), 0, NULL);
        json_t *o = json_pack("{s:I, s:o}", "id", (json_int_t)store_col_int(st, 0), "terms",
                              terms ? terms : json_array());
        kb_json_time(o, "created_at", store_col_int(st, 2));
        json_array_append_new(list, o);
    }
    store_finish(st);
    *out = json_pack("{s:o}", "items", list);
    return 0;
}

int kb_synonym_create(store *db, const actor *who, json_t *terms, int64_t now, json_t **out, sn_err *e)
{
    size_t n = json_array_size(terms), i;
    json_t *t;
    if (n < 2 || n > 32) return sn_fail(e, SN_EUNPROCESSABLE, "terms", "give 2 to 32 words or phrases");
    json_array_foreach(terms, i, t)
    {
        const char *s = json_string_value(t);
        char *norm = s ? text_normalize_dup(s) : NULL;
        int ok = norm && *norm && strlen(s) <= 200;
        free(norm);
        if (!ok) return sn_fail(e, SN_EUNPROCESSABLE, "terms", "each term must hold a word (up to 200 bytes)");
    }
    char *text = json_dumps(terms, JSON_COMPACT);
    store_stmt *st;
    int64_t id = 0;
    int rc = store_begin_write(db) < 0 ? SN_EDB : 0;
    if (rc == 0 && (rc = store_prepare(db, "INSERT INTO kb_synonyms (terms, created_by, created_at) "
                                           "VALUES (?, ?, ?) RETURNING id", &st)) == 0) {
        store_bind_text(st, 1, text);
        if (who->user_id) store_bind_int(st, 2, who->user_id); else store_bind_null(st, 2);
        store_bind_int(st, 3, now);
        rc = store_step(st);
        id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
        store_finish(st);
        rc = rc == STORE_ROW ? 0 : SN_EDB;
    }
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if (rc == 0) rc = audit_append(db, who, "kb_synonym.create", "kb_synonym", oid, NULL);
    if (rc == 0) rc = store_commit(db);
    free(text);
    if (rc < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    }
    settings_changed();
    *out = json_pack("{s:I, s:O}", "id", (json_int_t)id, "terms", terms);
    kb_json_time(*out, "created_at", now);
    return 0;
}

int kb_synonym_delete(store *db, const actor *who, int64_t id, sn_err *e)
{
    store_stmt *st;
    int rc = store_begin_write(db) < 0 ? SN_EDB : 0;
    int64_t changed = 0;
    if (rc == 0 && (rc = store_prepare(db, "DELETE FROM kb_synonyms WHERE id = ?", &st)) == 0) {
        store_bind_int(st, 1, id);
        rc = store_step(st) < 0 ? SN_EDB : 0;
        changed = store_changes(st);
        store_finish(st);
    }
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if (rc == 0 && changed) rc = audit_append(db, who, "kb_synonym.delete", "kb_synonym", oid, NULL);
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    }
    if (!changed) return sn_fail(e, SN_ENOTFOUND, NULL, "no such synonym group");
    settings_changed();
    return 0;
}

/* ---- the search log queue ------------------------------------------------------------------ */

typedef struct log_row {
    char token[24];
    int64_t at, user_id;
    int results;
    char *query, *session;
    char lang[4], source[16];
} log_row;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    log_row *rows;
    int n, cap;
    int64_t dropped;
    char *url;
    pthread_t thread;
    int running, stopping;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, NULL, 0, 0, 0};

static void log_rows_free(log_row *rows, int n)
{
    for (int i = 0; i < n; i++) {
        free(rows[i].query);
        free(rows[i].session);
    }
    free(rows);
}

static void enqueue(const log_row *r)
{
    pthread_mutex_lock(&q.lock);
    if (q.n == q.cap && q.cap < LOG_QUEUE_MAX) {
        int cap = q.cap ? q.cap * 2 : 256;
        log_row *g = realloc(q.rows, (size_t)cap * sizeof *g);
        if (g) {
            q.rows = g;
            q.cap = cap;
        }
    }
    if (q.n < q.cap) {
        q.rows[q.n++] = *r;
    } else {
        q.dropped++;
        free(r->query);
        free(r->session);
    }
    pthread_mutex_unlock(&q.lock);
}

static int insert_rows(store *db, const log_row *rows, int n)
{
    int rc = store_begin_write(db) < 0 ? SN_EDB : 0;
    for (int i = 0; i < n && rc == 0; i++) {
        store_stmt *st;
        if ((rc = store_prepare(db, "INSERT INTO kb_search_log (token, at, query, lang, source, "
                                    "session, results, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st)) < 0)
            break;
        store_bind_text(st, 1, rows[i].token);
        store_bind_int(st, 2, rows[i].at);
        store_bind_text(st, 3, rows[i].query);
        store_bind_text(st, 4, rows[i].lang);
        store_bind_text(st, 5, rows[i].source);
        store_bind_text(st, 6, rows[i].session);
        store_bind_int(st, 7, rows[i].results);
        if (rows[i].user_id) store_bind_int(st, 8, rows[i].user_id); else store_bind_null(st, 8);
        rc = store_step(st) < 0 ? SN_EDB : 0;
        store_finish(st);
    }
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) store_rollback(db);
    return rc;
}

int kb_search_log_flush(store *db)
{
    pthread_mutex_lock(&q.lock);
    log_row *rows = q.rows;
    int n = q.n;
    q.rows = NULL;
    q.n = q.cap = 0;
    pthread_mutex_unlock(&q.lock);
    int rc = n ? insert_rows(db, rows, n) : 0;
    if (rc < 0) log_error("kb: %d search log rows could not be written", n);
    log_rows_free(rows, n);
    return rc;
}

static void *log_writer(void *arg)
{
    store *db = NULL;
    sn_err e;
    pthread_mutex_lock(&q.lock);
    while (!q.stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += LOG_FLUSH_MS / 1000;
        pthread_cond_timedwait(&q.wake, &q.lock, &ts);
        if (q.n == 0) continue;
        pthread_mutex_unlock(&q.lock);
        if (!db && store_open(q.url, NULL, &db, &e) < 0) {
            log_error("kb: search log writer cannot open the database: %s", e.message);
            db = NULL;
        }
        if (db) kb_search_log_flush(db);
        pthread_mutex_lock(&q.lock);
    }
    pthread_mutex_unlock(&q.lock);
    if (db) {
        kb_search_log_flush(db);
        store_close(db);
    }
    return NULL;
}

static void log_stop(void)
{
    pthread_mutex_lock(&q.lock);
    int running = q.running;
    q.stopping = 1;
    pthread_cond_signal(&q.wake);
    pthread_mutex_unlock(&q.lock);
    if (running) pthread_join(q.thread, NULL);
}

void kb_search_log_init(const char *db_url)
{
    pthread_mutex_lock(&q.lock);
    if (!q.running && !q.stopping && db_url && (q.url = strdup(db_url)) != NULL &&
        pthread_create(&q.thread, NULL, log_writer, NULL) == 0) {
        q.running = 1;
        atexit(log_stop);
    }
    pthread_mutex_unlock(&q.lock);
}

static void log_search(const kb_search_opts *o, const char *token, int results)
{
    log_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.token, sizeof r.token, "%s", token);
    r.at = o->now;
    r.user_id = o->user_id;
    r.results = results;
    char *norm = text_normalize_dup(o->q ? o->q : "");
    if (norm && strlen(norm) > 500) norm[500] = '\0'; /* may cut a character: only a log key */
    r.query = norm ? norm : strdup("");
    r.session = o->session && *o->session ? strdup(o->session) : NULL;
    snprintf(r.lang, sizeof r.lang, "%s", o->lang ? o->lang : "");
    snprintf(r.source, sizeof r.source, "%s", o->source ? o->source : "api");
    enqueue(&r);
}

/* ---- searching -------------------------------------------------------------------------------- */

/* A hit as JSON; NULL when its article is gone. Only what the URL needs is read of the article
 * (the title is the indexed one, which is the published version's). */
static json_t *hit_json(store *db, const search_hit *h, int with_snippet)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT id, slug, lang FROM kb_articles WHERE id = ?", &st) < 0) return NULL;
    store_bind_int(st, 1, h->ref_id);
    json_t *o = NULL;
    if (store_step(st) == STORE_ROW) {
        const char *slug = store_col_text(st, 1), *lang = store_col_text(st, 2);
        char url[400];
        kb_public_url(lang, slug, url, sizeof url);
        o = json_pack("{s:I, s:s, s:s, s:f, s:s, s:s}", "id", (json_int_t)store_col_int(st, 0), "title",
                      h->title, "url", url, "score", (double)(int64_t)(h->score * 10000) / 10000.0, "lang",
                      lang, "slug", slug);
    }
    store_finish(st);
    if (o && with_snippet) json_object_set_new(o, "snippet", json_string(h->snippet ? h->snippet : ""));
    return o;
}

int kb_search_json(store *db, const kb_search_opts *o, json_t **out, sn_err *e)
{
    int64_t line = 0;
    if (o->service_line && *o->service_line) {
        if (org_id_of(db, ORG_SERVICE_LINE, o->service_line, &line) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
        if (!line) line = -1; /* unknown: nothing matches */
    }
    search_request r = {0};
    r.text = o->q;
    r.prefix_last = o->suggest;
    r.syn = synonyms(db);
    r.filter = (search_filter){o->now, !o->internal, line, NULL};
    r.prefer_lang = o->lang && *o->lang ? o->lang : NULL;
    r.limit = o->suggest ? (o->limit > 0 && o->limit < KB_SUGGEST_MAX ? o->limit : KB_SUGGEST_MAX)
                         : (o->limit > 0 ? o->limit : 10);
    r.snippets = !o->suggest;
    search_hit *hits;
    int n;
    /* SQLite: one read transaction for the whole search, so one lock and one snapshot instead of
     * one per statement (a search runs a few dozen). */
    int txn = store_kind_of(db) == STORE_SQLITE && store_begin(db) == 0;
    int rc = search_run(db, &r, &hits, &n, e);
    if (rc < 0) {
        if (txn) store_rollback(db);
        return rc;
    }
    json_t *results = json_array();
    for (int i = 0; i < n; i++) {
        json_t *h = hit_json(db, &hits[i], r.snippets);
        if (h) json_array_append_new(results, h);
    }
    if (txn) store_commit(db);
    search_hits_free(hits, n);
    char token[24];
    crypto_token(token, sizeof token, 12);
    log_search(o, token, (int)json_array_size(results));
    *out = json_pack("{s:s, s:o}", "search_id", token, "results", results);
    return 0;
}

int kb_search_click(store *db, const char *search_id, int64_t article_id, int64_t now, sn_err *e)
{
    kb_search_log_flush(db);
    store_stmt *st;
    if (store_prepare(db, "UPDATE kb_search_log SET clicked_article_id = ?, clicked_at = ? WHERE token = ?",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    store_bind_int(st, 1, article_id);
    store_bind_int(st, 2, now);
    store_bind_text(st, 3, search_id);
    int rc = store_step(st);
    int64_t changed = store_changes(st);
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    return changed ? 0 : sn_fail(e, SN_ENOTFOUND, "search_id", "no such search");
}

int kb_search_submitted(store *db, const char *session, sn_err *e)
{
    kb_search_log_flush(db);
    store_stmt *st;
    if (store_prepare(db, "UPDATE kb_search_log SET submitted = 1 WHERE session = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    store_bind_text(st, 1, session);
    int rc = store_step(st);
    store_finish(st);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot save") : 0;
}

/* ---- analytics -------------------------------------------------------------------------------- */

static json_t *query_counts(store *db, const char *sql, int64_t from, int64_t to)
{
    json_t *list = json_array();
    store_stmt *st;
    if (store_prepare(db, sql, &st) < 0) return list;
    store_bind_int(st, 1, from);
    store_bind_int(st, 2, to);
    while (store_step(st) == STORE_ROW)
        json_array_append_new(list, json_pack("{s:s, s:I, s:I}", "query", store_col_text(st, 0), "count",
                                              (json_int_t)store_col_int(st, 1), "clicks",
                                              (json_int_t)store_col_int(st, 2)));
    store_finish(st);
    return list;
}

static json_t *helpful_json(store *db, int64_t from, int64_t to)
{
    json_t *list = json_array();
    store_stmt *st;
    if (store_prepare(db, "SELECT f.article_id, a.title, SUM(f.helpful), COUNT(*) FROM kb_feedback f "
                          "JOIN kb_articles a ON a.id = f.article_id WHERE f.at >= ? AND f.at < ? "
                          "GROUP BY f.article_id, a.title ORDER BY COUNT(*) DESC, f.article_id LIMIT 100",
                      &st) < 0)
        return list;
    store_bind_int(st, 1, from);
    store_bind_int(st, 2, to);
    while (store_step(st) == STORE_ROW) {
        int64_t yes = store_col_int(st, 2), all = store_col_int(st, 3);
        json_array_append_new(list, json_pack("{s:I, s:s, s:I, s:I, s:f}", "id", (json_int_t)store_col_int(st, 0),
                                              "title", store_col_text(st, 1), "helpful", (json_int_t)yes,
                                              "not_helpful", (json_int_t)(all - yes), "ratio",
                                              all ? (double)yes / (double)all : 0.0));
    }
    store_finish(st);
    return list;
}

static json_t *deflection_json(store *db, int64_t from, int64_t to)
{
    json_t *list = json_array();
    store_stmt *st;
    if (store_prepare(db, "SELECT wk, COUNT(*), SUM(clicked), SUM(CASE WHEN clicked = 1 AND sub = 0 "
                          "THEN 1 ELSE 0 END) FROM (SELECT MIN((at + ?) / ?) AS wk, MAX(CASE WHEN "
                          "clicked_article_id IS NOT NULL THEN 1 ELSE 0 END) AS clicked, MAX(submitted) "
                          "AS sub FROM kb_search_log WHERE source IN ('contact_form', 'chat') AND at >= ? "
                          "AND at < ? GROUP BY COALESCE(session, token)) x GROUP BY wk ORDER BY wk", &st) < 0)
        return list;
    store_bind_int(st, 1, WEEK_SHIFT_MS);
    store_bind_int(st, 2, WEEK_MS);
    store_bind_int(st, 3, from);
    store_bind_int(st, 4, to);
    while (store_step(st) == STORE_ROW) {
        int64_t wk = store_col_int(st, 0), sessions = store_col_int(st, 1), deflected = store_col_int(st, 3);
        char iso[32];
        clock_iso8601(wk * WEEK_MS - WEEK_SHIFT_MS + 3LL * 3600000, iso, sizeof iso);
        iso[10] = '\0';
        json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:I, s:f}", "week", iso, "sessions",
                                              (json_int_t)sessions, "clicked", (json_int_t)store_col_int(st, 2),
                                              "deflected", (json_int_t)deflected, "rate",
                                              sessions ? (double)deflected / (double)sessions : 0.0));
    }
    store_finish(st);
    return list;
}

int kb_analytics_json(store *db, int64_t from, int64_t to, json_t **out, sn_err *e)
{
    kb_search_log_flush(db);
    store_stmt *st;
    int64_t searches = 0, zero = 0;
    if (store_prepare(db, "SELECT COUNT(*), SUM(CASE WHEN results = 0 THEN 1 ELSE 0 END) FROM "
                          "kb_search_log WHERE at >= ? AND at < ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_int(st, 1, from);
    store_bind_int(st, 2, to);
    if (store_step(st) == STORE_ROW) {
        searches = store_col_int(st, 0);
        zero = store_col_int(st, 1);
    }
    store_finish(st);
    json_t *o = json_pack("{s:I, s:I}", "searches", (json_int_t)searches, "zero_result_searches", (json_int_t)zero);
    kb_json_time(o, "from", from);
    kb_json_time(o, "to", to);
    json_object_set_new(o, "top_queries", query_counts(db,
        "SELECT query, COUNT(*), SUM(CASE WHEN clicked_article_id IS NULL THEN 0 ELSE 1 END) FROM "
        "kb_search_log WHERE at >= ? AND at < ? AND query <> '' GROUP BY query ORDER BY COUNT(*) DESC, "
        "query LIMIT 20", from, to));
    json_object_set_new(o, "zero_result_queries", query_counts(db,
        "SELECT query, COUNT(*), 0 FROM kb_search_log WHERE at >= ? AND at < ? AND results = 0 AND "
        "query <> '' GROUP BY query ORDER BY COUNT(*) DESC, query LIMIT 20", from, to));
    json_object_set_new(o, "articles", helpful_json(db, from, to));
    json_object_set_new(o, "deflection", deflection_json(db, from, to));
    *out = o;
    return 0;
}
