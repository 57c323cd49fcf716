/* kb_public.c — what the public may read: published, public articles visible now, by service
 * line or slug, related articles, and "was this helpful?" votes. The help center pages are built
 * on these; they never show a draft, an internal article, or one outside its publication window. */
#include "kb.h"

#include "kb_internal.h"

#include "../core/clock.h"
#include "../core/crypto.h"
#include "../search/search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FEEDBACK_WINDOW_MS 86400000LL
#define PUBLIC_LIST_MAX 500

void kb_json_time(json_t *o, const char *key, int64_t ms)
{
    if (ms <= 0) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char iso[32];
    clock_iso8601(ms, iso, sizeof iso);
    json_object_set_new(o, key, json_string(iso));
}

/* The visible version of articles: a publication open at now, of a public version. */
#define VISIBLE_FROM                                                                              \
    "FROM kb_articles a JOIN kb_publications p ON p.article_id = a.id JOIN kb_article_versions v " \
    "ON v.article_id = a.id AND v.version = p.version JOIN service_lines s ON s.id = "              \
    "a.service_line_id WHERE p.valid_from <= ? AND (p.valid_to IS NULL OR p.valid_to > ?) AND "     \
    "v.visibility = 'public' "
#define VISIBLE_COLS                                                                               \
    "a.id, a.slug, a.lang, v.title, v.topic, v.tags, v.entity, p.valid_from, s.code, s.name_ar, "  \
    "s.name_en, COALESCE(a.translation_group, 0), v.body "

static json_t *visible_json(store_stmt *st, int with_body)
{
    char url[400];
    kb_public_url(store_col_text(st, 2), store_col_text(st, 1), url, sizeof url);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "id",
                          (json_int_t)store_col_int(st, 0), "slug", store_col_text(st, 1), "lang",
                          store_col_text(st, 2), "title", store_col_text(st, 3), "topic",
                          store_col_text(st, 4), "entity", store_col_text(st, 6), "url", url,
                          "service_line", "code", store_col_text(st, 8), "name_ar",
                          store_col_text(st, 9), "name_en", store_col_text(st, 10));
    json_t *tags = json_loads(store_col_text(st, 5), 0, NULL);
    json_object_set_new(o, "tags", tags ? tags : json_array());
    kb_json_time(o, "published_at", store_col_int(st, 7));
    if (with_body) {
        buf html;
        buf_init(&html, (size_t)8 << 20);
        kb_markdown_html(store_col_text(st, 12), &html);
        json_object_set_new(o, "body_html", json_string(html.data ? html.data : ""));
        buf_fini(&html);
    }
    return o;
}

int kb_public_list_json(store *db, const char *service_line, const char *lang, int64_t now,
                        json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " VISIBLE_COLS VISIBLE_FROM "AND (? = '' OR s.code = ?) AND "
                          "(? = '' OR a.lang = ?) ORDER BY p.valid_from DESC, a.id DESC LIMIT ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list");
    const char *l = service_line ? service_line : "", *g = lang ? lang : "";
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, now);
    store_bind_text(st, 3, l);
    store_bind_text(st, 4, l);
    store_bind_text(st, 5, g);
    store_bind_text(st, 6, g);
    store_bind_int(st, 7, PUBLIC_LIST_MAX);
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(st)) == STORE_ROW) json_array_append_new(list, visible_json(st, 0));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list");
    }
    *out = list;
    return 0;
}

/* The visible translations of a group, other than `self`. */
static json_t *visible_translations(store *db, int64_t group, int64_t self, int64_t now)
{
    json_t *list = json_array();
    store_stmt *st;
    if (!group || store_prepare(db, "SELECT " VISIBLE_COLS VISIBLE_FROM "AND a.translation_group = ? "
                                    "AND a.id <> ? ORDER BY a.id", &st) < 0)
        return list;
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, now);
    store_bind_int(st, 3, group);
    store_bind_int(st, 4, self);
    while (store_step(st) == STORE_ROW) {
        char url[400];
        kb_public_url(store_col_text(st, 2), store_col_text(st, 1), url, sizeof url);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "lang", store_col_text(st, 2),
                                              "slug", store_col_text(st, 1), "title",
                                              store_col_text(st, 3), "url", url));
    }
    store_finish(st);
    return list;
}

int kb_public_get_json(store *db, const char *slug, int64_t now, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " VISIBLE_COLS VISIBLE_FROM "AND a.slug = ? ORDER BY p.valid_from "
                          "DESC LIMIT 1", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, now);
    store_bind_text(st, 3, slug);
    int rc = store_step(st);
    json_t *o = rc == STORE_ROW ? visible_json(st, 1) : NULL;
    int64_t group = rc == STORE_ROW ? store_col_int(st, 11) : 0;
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    if (!o) return sn_fail(e, SN_ENOTFOUND, NULL, "no such article");
    int64_t id = json_integer_value(json_object_get(o, "id"));
    json_object_set_new(o, "translations", visible_translations(db, group, id, now));
    *out = o;
    return 0;
}

/* Whether article id is visible to the public at now; its title into title (may be NULL). */
static int visible_title(store *db, int64_t id, int64_t now, char *title, size_t cap, int64_t *line)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT v.title, a.service_line_id " VISIBLE_FROM "AND a.id = ?", &st) < 0) return SN_EDB;
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, now);
    store_bind_int(st, 3, id);
    int rc = store_step(st);
    if (rc == STORE_ROW && title) snprintf(title, cap, "%s", store_col_text(st, 0));
    if (rc == STORE_ROW && line) *line = store_col_int(st, 1);
    store_finish(st);
    return rc == STORE_ROW ? 1 : rc < 0 ? SN_EDB : 0;
}

int kb_related_json(store *db, int64_t article_id, int64_t now, int limit, json_t **out, sn_err *e)
{
    char title[4 * KB_MAX_TITLE];
    int64_t line = 0;
    int rc = visible_title(db, article_id, now, title, sizeof title, &line);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    if (rc == 0) return sn_fail(e, SN_ENOTFOUND, NULL, "no such article");
    search_request r = {0};
    r.text = title;
    r.filter = (search_filter){now, 1, line, NULL};
    r.limit = limit + 1;
    search_hit *h;
    int n;
    if ((rc = search_run(db, &r, &h, &n, e)) < 0) return rc;
    json_t *list = json_array();
    for (int i = 0; i < n && (int)json_array_size(list) < limit; i++) {
        if (h[i].ref_id == article_id) continue;
        kb_art a;
        sn_err ignore;
        if (kb_art_load(db, h[i].ref_id, &a, &ignore) < 0) continue;
        char url[400];
        kb_public_url(a.lang, a.slug, url, sizeof url);
        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)a.id,
                                              "slug", a.slug, "lang", a.lang, "title", h[i].title, "url", url));
    }
    search_hits_free(h, n);
    *out = list;
    return 0;
}

int kb_feedback_record(store *db, int64_t article_id, int helpful, const char *comment,
                       const char *voter, int64_t now, sn_err *e)
{
    if (comment && strlen(comment) > 4000)
        return sn_fail(e, SN_EUNPROCESSABLE, "comment", "the comment is too long");
    char key[128], hash[65];
    snprintf(key, sizeof key, "kb-vote:%s", voter ? voter : "");
    crypto_sha256_hex(key, strlen(key), hash);
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    int rc = visible_title(db, article_id, now, NULL, 0, NULL);
    if (rc == 0) rc = sn_fail(e, SN_ENOTFOUND, NULL, "no such article");
    else if (rc < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot read");
    else rc = 0;
    store_stmt *st;
    if (rc == 0 && store_prepare(db, "SELECT 1 FROM kb_feedback WHERE voter = ? AND article_id = ? "
                                     "AND at > ?", &st) == 0) {
        store_bind_text(st, 1, hash);
        store_bind_int(st, 2, article_id);
        store_bind_int(st, 3, now - FEEDBACK_WINDOW_MS);
        if (store_step(st) == STORE_ROW) {
            rc = sn_fail_slug(e, SN_ERATE, "already_voted", NULL, "one vote per article and day");
            e->retry_after = 86400;
        }
        store_finish(st);
    }
    if (rc == 0 && store_prepare(db, "INSERT INTO kb_feedback (article_id, helpful, comment, voter, at) "
                                     "VALUES (?, ?, ?, ?, ?)", &st) == 0) {
        store_bind_int(st, 1, article_id);
        store_bind_int(st, 2, helpful ? 1 : 0);
        store_bind_text(st, 3, comment ? comment : "");
        store_bind_text(st, 4, hash);
        store_bind_int(st, 5, now);
        if (store_step(st) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
        store_finish(st);
    }
    int64_t args[] = {article_id};
    if (rc == 0 && store_exec_ints(db, helpful ? "UPDATE kb_articles SET helpful_yes = helpful_yes + 1 WHERE id = ?"
                                       : "UPDATE kb_articles SET helpful_no = helpful_no + 1 WHERE id = ?",
                           1, args) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    if (rc < 0) store_rollback(db);
    return rc;
}
