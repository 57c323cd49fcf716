/* kb_article.c — articles: create and edit (each edit a version), the review workflow, the
 * publications that decide what is visible when, versions and their diff, export.
 * The state diagram and who may make each move are in kb.h. */
#include "kb.h"

#include "audit.h"
#include "kb_internal.h"
#include "org.h"

#include "../search/search_index.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading the working copy ----------------------------------------------------------------- */

#define ART_COLS "id, slug, lang, translation_group, service_line_id, status, version, title, topic, " \
                 "entity, tags, visibility, created_by, created_at, updated_at, approved_by, "      \
                 "approved_at, helpful_yes, helpful_no"

static void read_art(store_stmt *st, kb_art *a)
{
    memset(a, 0, sizeof *a);
    a->id = store_col_int(st, 0);
    snprintf(a->slug, sizeof a->slug, "%s", store_col_text(st, 1));
    snprintf(a->lang, sizeof a->lang, "%s", store_col_text(st, 2));
    a->translation_group = store_col_int(st, 3);
    a->service_line_id = store_col_int(st, 4);
    snprintf(a->status, sizeof a->status, "%s", store_col_text(st, 5));
    a->version = (int)store_col_int(st, 6);
    snprintf(a->title, sizeof a->title, "%s", store_col_text(st, 7));
    snprintf(a->topic, sizeof a->topic, "%s", store_col_text(st, 8));
    snprintf(a->entity, sizeof a->entity, "%s", store_col_text(st, 9));
    snprintf(a->tags, sizeof a->tags, "%s", store_col_text(st, 10));
    snprintf(a->visibility, sizeof a->visibility, "%s", store_col_text(st, 11));
    a->created_by = store_col_int(st, 12);
    a->created_at = store_col_int(st, 13);
    a->updated_at = store_col_int(st, 14);
    a->approved_by = store_col_int(st, 15);
    a->approved_at = store_col_int(st, 16);
    a->helpful_yes = store_col_int(st, 17);
    a->helpful_no = store_col_int(st, 18);
}

int kb_art_load(store *db, int64_t id, kb_art *a, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " ART_COLS " FROM kb_articles WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the article");
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    if (rc == STORE_ROW) read_art(st, a);
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the article");
    return rc == STORE_ROW ? 0 : sn_fail(e, SN_ENOTFOUND, NULL, "no such article");
}

/* The body of one version (caller frees). */
char *kb_version_body(store *db, int64_t id, int version)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT body FROM kb_article_versions WHERE article_id = ? AND version = ?",
                      &st) < 0)
        return NULL;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, version);
    char *body = store_step(st) == STORE_ROW ? strdup(store_col_text(st, 0)) : NULL;
    store_finish(st);
    return body;
}

static int audit(store *db, const actor *who, const char *action, int64_t id, json_t *detail)
{
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    int rc = audit_append(db, who, action, "kb_article", oid, text);
    free(text);
    json_decref(detail);
    return rc;
}

/* ---- validation ------------------------------------------------------------------------------- */

static int tags_text(json_t *tags, char *out, size_t cap, sn_err *e)
{
    if (!tags) return snprintf(out, cap, "[]") < 0 ? -1 : 0;
    if (json_array_size(tags) > 20)
        return sn_fail(e, SN_EUNPROCESSABLE, "tags", "at most 20 tags");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
        if (!json_is_string(t) || !*json_string_value(t) || strlen(json_string_value(t)) > 60)
            return sn_fail(e, SN_EUNPROCESSABLE, "tags", "tags are non-empty strings of up to 60 bytes");
    char *s = json_dumps(tags, JSON_COMPACT);
    int ok = s && strlen(s) < cap;
    if (ok) snprintf(out, cap, "%s", s);
    free(s);
    return ok ? 0 : sn_fail(e, SN_EUNPROCESSABLE, "tags", "too many tags");
}

static int check_fields(const kb_input *in, int creating, sn_err *e)
{
    if (creating && (!in->title || !in->body || !in->lang || !in->service_line))
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "missing_field", NULL,
                            "title, body, lang and service_line are required");
    if (in->title && (!*in->title || strlen(in->title) > 3 * KB_MAX_TITLE))
        return sn_fail(e, SN_EUNPROCESSABLE, "title", "title must have 1 to %d characters", KB_MAX_TITLE);
    if (in->body && strlen(in->body) > 4 * KB_MAX_BODY)
        return sn_fail(e, SN_EUNPROCESSABLE, "body", "body is too long");
    if (in->lang && strcmp(in->lang, "ar") && strcmp(in->lang, "en"))
        return sn_fail(e, SN_EUNPROCESSABLE, "lang", "lang must be ar or en");
    if (in->visibility && strcmp(in->visibility, "public") && strcmp(in->visibility, "internal"))
        return sn_fail(e, SN_EUNPROCESSABLE, "visibility", "visibility must be public or internal");
    if (in->topic && strlen(in->topic) > 200)
        return sn_fail(e, SN_EUNPROCESSABLE, "topic", "topic is too long");
    if (in->entity && strlen(in->entity) > 63)
        return sn_fail(e, SN_EUNPROCESSABLE, "entity", "entity is too long");
    if (in->slug) {
        if (!*in->slug || strlen(in->slug) > 100) return sn_fail(e, SN_EUNPROCESSABLE, "slug", "slug must have 1 to 100 bytes");
        for (const char *p = in->slug; *p; p++)
            if (*p == '/' || *p == '?' || *p == '#' || *p == '%' || (unsigned char)*p <= ' ')
                return sn_fail(e, SN_EUNPROCESSABLE, "slug", "slug may not hold / ? # %% or spaces");
    }
    return 0;
}

static int slug_taken(store *db, const char *slug, int64_t except, int *taken)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id FROM kb_articles WHERE slug = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, slug);
    rc = store_step(st);
    *taken = rc == STORE_ROW && store_col_int(st, 0) != except;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The slug asked for (SN_ECONFLICT when taken) or one made from the title, made unique. */
static int pick_slug(store *db, const kb_input *in, char *out, size_t cap, sn_err *e)
{
    int taken;
    if (in->slug) {
        snprintf(out, cap, "%s", in->slug);
        if (slug_taken(db, out, 0, &taken) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
        return taken ? sn_fail_slug(e, SN_ECONFLICT, "duplicate", "slug", "the slug is in use") : 0;
    }
    char base[100];
    kb_slugify(in->title, base, sizeof base);
    snprintf(out, cap, "%s", base);
    for (int n = 2; n < 1000; n++) {
        if (slug_taken(db, out, 0, &taken) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
        if (!taken) return 0;
        snprintf(out, cap, "%s-%d", base, n);
    }
    return sn_fail(e, SN_ECONFLICT, "slug", "give a slug: too many articles have this title");
}

/* ---- create and edit ----------------------------------------------------------------------- */

static int insert_version(store *db, int64_t id, int version, const char *title, const char *body,
                          const kb_art *a, int64_t author, const char *note, int64_t now)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO kb_article_versions (article_id, version, title, body, "
                               "topic, entity, tags, visibility, author_id, note, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, version);
    store_bind_text(st, 3, title);
    store_bind_text(st, 4, body);
    store_bind_text(st, 5, a->topic);
    store_bind_text(st, 6, a->entity);
    store_bind_text(st, 7, a->tags);
    store_bind_text(st, 8, a->visibility);
    if (author) store_bind_int(st, 9, author); else store_bind_null(st, 9);
    store_bind_text(st, 10, note ? note : "");
    store_bind_int(st, 11, now);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The new article's row from `a` (slug, lang, group, line, title, topic, entity, tags,
 * visibility filled); a->id gets its id. */
static int insert_article(store *db, kb_art *a, int64_t author, int64_t now)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO kb_articles (slug, lang, translation_group, "
                               "service_line_id, status, version, title, topic, entity, tags, "
                               "visibility, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, "
                               "'draft', 1, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, a->slug);
    store_bind_text(st, 2, a->lang);
    if (a->translation_group) store_bind_int(st, 3, a->translation_group); else store_bind_null(st, 3);
    store_bind_int(st, 4, a->service_line_id);
    store_bind_text(st, 5, a->title);
    store_bind_text(st, 6, a->topic);
    store_bind_text(st, 7, a->entity);
    store_bind_text(st, 8, a->tags);
    store_bind_text(st, 9, a->visibility);
    if (author) store_bind_int(st, 10, author); else store_bind_null(st, 10);
    store_bind_int(st, 11, now);
    store_bind_int(st, 12, now);
    rc = store_step(st);
    a->id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc == STORE_ROW ? 0 : rc < 0 ? rc : SN_EDB;
}

static int resolve_line(store *db, const char *code, int64_t *id, sn_err *e)
{
    if (org_id_of(db, ORG_SERVICE_LINE, code, id) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    return *id ? 0 : sn_fail(e, SN_EUNPROCESSABLE, "service_line", "unknown service line '%s'", code);
}

int kb_article_create_in_tx(store *db, const actor *who, const kb_input *in, int64_t now,
                            int64_t *id, sn_err *e)
{
    kb_art a;
    memset(&a, 0, sizeof a);
    int rc = check_fields(in, 1, e);
    if (rc == 0) rc = resolve_line(db, in->service_line, &a.service_line_id, e);
    if (rc == 0) rc = tags_text(in->tags, a.tags, sizeof a.tags, e);
    if (rc == 0 && in->translation_of) {
        kb_art t;
        if ((rc = kb_art_load(db, in->translation_of, &t, e)) == SN_ENOTFOUND)
            rc = sn_fail(e, SN_EUNPROCESSABLE, "translation_of", "no such article");
        a.translation_group = t.translation_group ? t.translation_group : t.id;
        if (rc == 0 && !t.translation_group) {
            int64_t args[] = {t.id, t.id};
            if (store_exec_ints(db, "UPDATE kb_articles SET translation_group = ? WHERE id = ?", 2, args) < 0)
                rc = sn_fail(e, SN_EDB, NULL, "cannot save");
        }
    }
    if (rc == 0) rc = pick_slug(db, in, a.slug, sizeof a.slug, e);
    if (rc < 0) return rc;
    snprintf(a.lang, sizeof a.lang, "%s", in->lang);
    snprintf(a.title, sizeof a.title, "%s", in->title);
    snprintf(a.topic, sizeof a.topic, "%s", in->topic ? in->topic : "");
    snprintf(a.entity, sizeof a.entity, "%s", in->entity ? in->entity : "");
    snprintf(a.visibility, sizeof a.visibility, "%s", in->visibility ? in->visibility : "public");
    if (insert_article(db, &a, who->user_id, now) < 0 ||
        insert_version(db, a.id, 1, a.title, in->body, &a, who->user_id, in->note, now) < 0 ||
        audit(db, who, "kb_article.create", a.id, json_pack("{s:s, s:s}", "slug", a.slug, "lang", a.lang)) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save the article");
    *id = a.id;
    return 0;
}

/* Run fn in a write transaction of its own, then read the article back into *out. */
static int in_tx(store *db, int64_t *id, int64_t now, json_t **out, sn_err *e,
                 int (*fn)(store *, void *, sn_err *), void *arg)
{
    if (search_index_ensure(db, e) < 0) return e->code;
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    int rc = fn(db, arg, e);
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    if (rc < 0) {
        store_rollback(db);
        return rc;
    }
    return out ? kb_article_get_json(db, *id, now, out, e) : 0;
}

struct create_args {
    const actor *who;
    const kb_input *in;
    int64_t now, *id;
};

static int create_fn(store *db, void *arg, sn_err *e)
{
    struct create_args *c = arg;
    return kb_article_create_in_tx(db, c->who, c->in, c->now, c->id, e);
}

int kb_article_create(store *db, const actor *who, const kb_input *in, int64_t now, json_t **out,
                      sn_err *e)
{
    int64_t id = 0;
    struct create_args c = {who, in, now, &id};
    return in_tx(db, &id, now, out, e, create_fn, &c);
}

struct update_args {
    const actor *who;
    const kb_input *in;
    int64_t now, id;
};

static int update_fn(store *db, void *arg, sn_err *e)
{
    struct update_args *u = arg;
    const kb_input *in = u->in;
    kb_art a;
    int rc = check_fields(in, 0, e);
    if (rc == 0) rc = kb_art_load(db, u->id, &a, e);
    if (rc < 0) return rc;
    if (in->lang && strcmp(in->lang, a.lang))
        return sn_fail(e, SN_EUNPROCESSABLE, "lang", "the language of an article cannot change; "
                                                     "create a translation");
    int64_t old_line = a.service_line_id;
    if (in->service_line && (rc = resolve_line(db, in->service_line, &a.service_line_id, e)) < 0) return rc;
    if (in->tags && (rc = tags_text(in->tags, a.tags, sizeof a.tags, e)) < 0) return rc;
    if (in->slug) {
        int taken;
        if (slug_taken(db, in->slug, a.id, &taken) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
        if (taken) return sn_fail_slug(e, SN_ECONFLICT, "duplicate", "slug", "the slug is in use");
        snprintf(a.slug, sizeof a.slug, "%s", in->slug);
    }
    if (in->title) snprintf(a.title, sizeof a.title, "%s", in->title);
    if (in->topic) snprintf(a.topic, sizeof a.topic, "%s", in->topic);
    if (in->entity) snprintf(a.entity, sizeof a.entity, "%s", in->entity);
    if (in->visibility) snprintf(a.visibility, sizeof a.visibility, "%s", in->visibility);
    char *old_body = in->body ? NULL : kb_version_body(db, a.id, a.version);
    const char *body = in->body ? in->body : old_body;
    a.version++;
    store_stmt *st;
    rc = body ? insert_version(db, a.id, a.version, a.title, body, &a, u->who->user_id, in->note, u->now) : SN_EDB;
    free(old_body);
    if (rc == 0 && (rc = store_prepare(db, "UPDATE kb_articles SET slug = ?, service_line_id = ?, "
                                           "status = 'draft', version = ?, title = ?, topic = ?, "
                                           "entity = ?, tags = ?, visibility = ?, updated_at = ?, "
                                           "approved_by = NULL, approved_at = NULL WHERE id = ?", &st)) == 0) {
        store_bind_text(st, 1, a.slug);
        store_bind_int(st, 2, a.service_line_id);
        store_bind_int(st, 3, a.version);
        store_bind_text(st, 4, a.title);
        store_bind_text(st, 5, a.topic);
        store_bind_text(st, 6, a.entity);
        store_bind_text(st, 7, a.tags);
        store_bind_text(st, 8, a.visibility);
        store_bind_int(st, 9, u->now);
        store_bind_int(st, 10, a.id);
        rc = store_step(st) < 0 ? SN_EDB : 0;
        store_finish(st);
    }
    if (rc == 0 && old_line != a.service_line_id) rc = search_index_set_group(db, a.id, a.service_line_id, e);
    if (rc == 0) rc = audit(db, u->who, "kb_article.update", a.id, json_pack("{s:i}", "version", a.version));
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot save the article") : 0;
}

int kb_article_update(store *db, const actor *who, int64_t id, const kb_input *in, int64_t now,
                      json_t **out, sn_err *e)
{
    struct update_args u = {who, in, now, id};
    return in_tx(db, &id, now, out, e, update_fn, &u);
}

/* ---- the workflow ----------------------------------------------------------------------------- */

int kb_may_own(store *db, const actor *who, int64_t service_line_id, sn_err *e)
{
    if (who->roles & ROLE_ADMIN) return 0;
    if (who->roles & ROLE_SERVICE_OWNER) {
        store_stmt *st;
        if (store_prepare(db, "SELECT 1 FROM service_line_owners WHERE service_line_id = ? AND "
                              "user_id = ?", &st) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot read");
        store_bind_int(st, 1, service_line_id);
        store_bind_int(st, 2, who->user_id);
        int rc = store_step(st);
        store_finish(st);
        if (rc == STORE_ROW) return 0;
        if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    }
    return sn_fail_slug(e, SN_EFORBIDDEN, "not_owner", NULL,
                        "only an admin or an owner of the article's service line may do this");
}

static int set_status(store *db, int64_t id, const char *status, int64_t now, int64_t approver)
{
    store_stmt *st;
    int rc = store_prepare(db, approver ? "UPDATE kb_articles SET status = ?, updated_at = ?, "
                                          "approved_by = ?, approved_at = ? WHERE id = ?"
                                        : "UPDATE kb_articles SET status = ?, updated_at = ? WHERE id = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, status);
    store_bind_int(st, 2, now);
    if (approver) {
        store_bind_int(st, 3, approver);
        store_bind_int(st, 4, now);
        store_bind_int(st, 5, id);
    } else {
        store_bind_int(st, 3, id);
    }
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

struct move_args {
    const actor *who;
    int64_t id, now, publish_at, unpublish_at;
    const char *action;
};

static int submit_fn(store *db, void *arg, sn_err *e)
{
    struct move_args *m = arg;
    kb_art a;
    int rc = kb_art_load(db, m->id, &a, e);
    if (rc < 0) return rc;
    if (strcmp(a.status, "draft"))
        return sn_fail_slug(e, SN_ECONFLICT, "wrong_state", "status", "only a draft can be submitted (it is %s)", a.status);
    if (set_status(db, a.id, "in_review", m->now, 0) < 0 ||
        audit(db, m->who, "kb_article.submit", a.id, json_pack("{s:i}", "version", a.version)) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    return 0;
}

static int approve_fn(store *db, void *arg, sn_err *e)
{
    struct move_args *m = arg;
    kb_art a;
    int rc = kb_art_load(db, m->id, &a, e);
    if (rc == 0) rc = kb_may_own(db, m->who, a.service_line_id, e);
    if (rc < 0) return rc;
    if (strcmp(a.status, "in_review"))
        return sn_fail_slug(e, SN_ECONFLICT, "wrong_state", "status", "only an article in review can be approved (it is %s)", a.status);
    if (set_status(db, a.id, "approved", m->now, m->who->user_id ? m->who->user_id : -1) < 0 ||
        audit(db, m->who, "kb_article.approve", a.id, json_pack("{s:i}", "version", a.version)) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    return 0;
}

int kb_article_submit(store *db, const actor *who, int64_t id, int64_t now, sn_err *e)
{
    struct move_args m = {who, id, now, 0, 0, NULL};
    return in_tx(db, &id, now, NULL, e, submit_fn, &m);
}

int kb_article_approve(store *db, const actor *who, int64_t id, int64_t now, sn_err *e)
{
    struct move_args m = {who, id, now, 0, 0, NULL};
    return in_tx(db, &id, now, NULL, e, approve_fn, &m);
}

/* ---- publications ---------------------------------------------------------------------------- */

typedef struct pub {
    int64_t id, doc_id, valid_from, valid_to;
    int version;
} pub;

/* The publications of an article still open at `at` (valid_to NULL or after it). */
static int open_pubs(store *db, int64_t article, int64_t at, pub *out, int cap, int *n)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, COALESCE(doc_id, 0), valid_from, COALESCE(valid_to, 0), "
                               "version FROM kb_publications WHERE article_id = ? AND (valid_to IS "
                               "NULL OR valid_to > ?) ORDER BY valid_from", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, article);
    store_bind_int(st, 2, at);
    *n = 0;
    while ((rc = store_step(st)) == STORE_ROW && *n < cap)
        out[(*n)++] = (pub){store_col_int(st, 0), store_col_int(st, 1), store_col_int(st, 2),
                            store_col_int(st, 3), (int)store_col_int(st, 4)};
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* End publication p at `at`: gone entirely when it had not started by then. Its search document
 * goes when the window is over by `now` (it can never be visible again). */
static int close_pub(store *db, const pub *p, int64_t at, int64_t now, sn_err *e)
{
    int gone = p->valid_from >= at;
    int64_t args[] = {at, p->id};
    if (gone ? store_exec_ints(db, "DELETE FROM kb_publications WHERE id = ?", 1, &args[1]) < 0
             : store_exec_ints(db, "UPDATE kb_publications SET valid_to = ? WHERE id = ?", 2, args) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    if (!p->doc_id) return 0;
    if (gone || at <= now) {
        int64_t clear[] = {p->id};
        if (!gone && store_exec_ints(db, "UPDATE kb_publications SET doc_id = NULL WHERE id = ?", 1, clear) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot save");
        return search_index_delete(db, p->doc_id, e);
    }
    return search_index_set_window(db, p->doc_id, p->valid_from, at, e);
}

/* Index version `version` of a for the window [from, to) and record the publication. */
static int add_pub(store *db, const actor *who, const kb_art *a, int64_t from, int64_t to,
                   int64_t now, sn_err *e)
{
    char *body = kb_version_body(db, a->id, a->version);
    buf text;
    buf_init(&text, (size_t)4 << 20);
    int rc = body && kb_markdown_text(body, &text) == 0 ? 0 : sn_fail(e, SN_EDB, NULL, "cannot read the article");
    free(body);
    int64_t doc = 0;
    search_doc d = {a->id, a->version, a->lang, a->service_line_id, !strcmp(a->visibility, "public"),
                    from, to, a->title, text.data ? text.data : ""};
    if (rc == 0) rc = search_index_put(db, &d, &doc, e);
    buf_fini(&text);
    store_stmt *st;
    if (rc == 0 && (rc = store_prepare(db, "INSERT INTO kb_publications (article_id, version, "
                                           "valid_from, valid_to, doc_id, published_by, created_at) "
                                           "VALUES (?, ?, ?, ?, ?, ?, ?)", &st)) == 0) {
        store_bind_int(st, 1, a->id);
        store_bind_int(st, 2, a->version);
        store_bind_int(st, 3, from);
        if (to) store_bind_int(st, 4, to); else store_bind_null(st, 4);
        store_bind_int(st, 5, doc);
        if (who->user_id) store_bind_int(st, 6, who->user_id); else store_bind_null(st, 6);
        store_bind_int(st, 7, now);
        rc = store_step(st) < 0 ? sn_fail(e, SN_EDB, NULL, "cannot save") : 0;
        store_finish(st);
    }
    return rc;
}

#define MAX_OPEN_PUBS 16

int kb_article_publish_in_tx(store *db, const actor *who, int64_t id, int64_t publish_at,
                             int64_t unpublish_at, int64_t now, int check_owner, sn_err *e)
{
    kb_art a;
    int rc = kb_art_load(db, id, &a, e);
    if (rc == 0 && check_owner) rc = kb_may_own(db, who, a.service_line_id, e);
    if (rc < 0) return rc;
    int64_t from = publish_at > 0 ? publish_at : now;
    if (unpublish_at && unpublish_at <= from)
        return sn_fail(e, SN_EUNPROCESSABLE, "unpublish_at", "unpublish_at must come after publish_at");
    if (strcmp(a.status, "approved") && strcmp(a.status, "published"))
        return sn_fail_slug(e, SN_ECONFLICT, "wrong_state", "status",
                            "only an approved article can be published (it is %s)", a.status);
    pub open[MAX_OPEN_PUBS];
    int n;
    if (open_pubs(db, a.id, now < from ? now : from, open, MAX_OPEN_PUBS, &n) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    /* Every publication still open at the new start ends there (a republish of the same version
     * replaces its own window). */
    for (int i = 0; i < n && rc == 0; i++)
        if (open[i].version == a.version || !open[i].valid_to || open[i].valid_to > from)
            rc = close_pub(db, &open[i], open[i].version == a.version ? open[i].valid_from : from, now, e);
    if (rc == 0) rc = add_pub(db, who, &a, from, unpublish_at, now, e);
    if (rc == 0 && (set_status(db, a.id, "published", now, 0) < 0 ||
                    audit(db, who, "kb_article.publish", a.id,
                          json_pack("{s:i, s:I, s:I}", "version", a.version, "publish_at",
                                    (json_int_t)from, "unpublish_at", (json_int_t)unpublish_at)) < 0))
        rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    return rc;
}

static int publish_fn(store *db, void *arg, sn_err *e)
{
    struct move_args *m = arg;
    return kb_article_publish_in_tx(db, m->who, m->id, m->publish_at, m->unpublish_at, m->now, 1, e);
}

int kb_article_publish(store *db, const actor *who, int64_t id, int64_t publish_at,
                       int64_t unpublish_at, int64_t now, sn_err *e)
{
    struct move_args m = {who, id, now, publish_at, unpublish_at, NULL};
    return in_tx(db, &id, now, NULL, e, publish_fn, &m);
}

static int archive_fn(store *db, void *arg, sn_err *e)
{
    struct move_args *m = arg;
    kb_art a;
    int rc = kb_art_load(db, m->id, &a, e);
    if (rc == 0) rc = kb_may_own(db, m->who, a.service_line_id, e);
    if (rc < 0) return rc;
    if (!strcmp(a.status, "archived"))
        return sn_fail_slug(e, SN_ECONFLICT, "wrong_state", "status", "the article is archived already");
    pub open[MAX_OPEN_PUBS];
    int n;
    if (open_pubs(db, a.id, m->now, open, MAX_OPEN_PUBS, &n) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    for (int i = 0; i < n && rc == 0; i++) rc = close_pub(db, &open[i], m->now, m->now, e);
    if (rc == 0 && (set_status(db, a.id, "archived", m->now, 0) < 0 ||
                    audit(db, m->who, "kb_article.archive", a.id, NULL) < 0))
        rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    return rc;
}

int kb_article_archive(store *db, const actor *who, int64_t id, int64_t now, sn_err *e)
{
    struct move_args m = {who, id, now, 0, 0, NULL};
    return in_tx(db, &id, now, NULL, e, archive_fn, &m);
}

/* ---- reading for staff ----------------------------------------------------------------------- */

/* The publication visible at now ("live") and the next one to start ("scheduled"). */
static void add_publication_json(store *db, int64_t id, int64_t now, json_t *o)
{
    pub open[MAX_OPEN_PUBS];
    int n = 0;
    json_t *live = json_null(), *next = json_null();
    if (open_pubs(db, id, now, open, MAX_OPEN_PUBS, &n) == 0) {
        for (int i = 0; i < n; i++) {
            json_t *p = json_pack("{s:i}", "version", open[i].version);
            kb_json_time(p, "from", open[i].valid_from);
            kb_json_time(p, "until", open[i].valid_to);
            if (open[i].valid_from <= now && json_is_null(live)) live = p;
            else if (open[i].valid_from > now && json_is_null(next)) next = p;
            else json_decref(p);
        }
    }
    json_object_set_new(o, "live", live);
    json_object_set_new(o, "scheduled", next);
}

static json_t *translations_json(store *db, const kb_art *a)
{
    json_t *list = json_array();
    store_stmt *st;
    if (!a->translation_group ||
        store_prepare(db, "SELECT id, lang, slug, title FROM kb_articles WHERE translation_group = ? "
                          "AND id <> ? ORDER BY id", &st) < 0)
        return list;
    store_bind_int(st, 1, a->translation_group);
    store_bind_int(st, 2, a->id);
    while (store_step(st) == STORE_ROW)
        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)store_col_int(st, 0),
                                              "lang", store_col_text(st, 1), "slug", store_col_text(st, 2),
                                              "title", store_col_text(st, 3)));
    store_finish(st);
    return list;
}

json_t *kb_art_json(store *db, const kb_art *a)
{
    org_unit line;
    sn_err e;
    const char *code = "";
    store_stmt *st;
    if (store_prepare(db, "SELECT code FROM service_lines WHERE id = ?", &st) == 0) {
        store_bind_int(st, 1, a->service_line_id);
        if (store_step(st) == STORE_ROW) snprintf(line.code, sizeof line.code, "%s", store_col_text(st, 0));
        else line.code[0] = '\0';
        store_finish(st);
        code = line.code;
    }
    (void)e;
    char url[400];
    kb_public_url(a->lang, a->slug, url, sizeof url);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
                          "id", (json_int_t)a->id, "slug", a->slug, "lang", a->lang, "service_line", code,
                          "status", a->status, "version", a->version, "title", a->title, "topic",
                          a->topic, "entity", a->entity, "visibility", a->visibility, "url", url,
                          "helpful_yes", (json_int_t)a->helpful_yes, "helpful_no", (json_int_t)a->helpful_no);
    json_t *tags = json_loads(a->tags, 0, NULL);
    json_object_set_new(o, "tags", tags ? tags : json_array());
    json_object_set_new(o, "translation_group", a->translation_group ? json_integer(a->translation_group) : json_null());
    json_object_set_new(o, "created_by", a->created_by ? json_integer(a->created_by) : json_null());
    json_object_set_new(o, "approved_by", a->approved_by > 0 ? json_integer(a->approved_by) : json_null());
    kb_json_time(o, "created_at", a->created_at);
    kb_json_time(o, "updated_at", a->updated_at);
    kb_json_time(o, "approved_at", a->approved_at);
    return o;
}

int kb_article_get_json(store *db, int64_t id, int64_t now, json_t **out, sn_err *e)
{
    kb_art a;
    int rc = kb_art_load(db, id, &a, e);
    if (rc < 0) return rc;
    char *body = kb_version_body(db, id, a.version);
    if (!body) return sn_fail(e, SN_EDB, NULL, "cannot read the article");
    buf html;
    buf_init(&html, (size_t)8 << 20);
    kb_markdown_html(body, &html);
    json_t *o = kb_art_json(db, &a);
    json_object_set_new(o, "body", json_string(body));
    json_object_set_new(o, "body_html", json_string(html.data ? html.data : ""));
    add_publication_json(db, id, now, o);
    json_object_set_new(o, "translations", translations_json(db, &a));
    buf_fini(&html);
    free(body);
    *out = o;
    return 0;
}

int kb_article_list_json(store *db, const kb_list_filter *f, json_t **items, int *more, sn_err *e)
{
    int64_t line = 0;
    if (f->service_line && *f->service_line && org_id_of(db, ORG_SERVICE_LINE, f->service_line, &line) == 0 && !line)
        line = -1;
    store_stmt *st;
    if (store_prepare(db, "SELECT " ART_COLS " FROM kb_articles WHERE id > ? AND (? = '' OR status = ?) "
                          "AND (? = 0 OR service_line_id = ?) AND (? = '' OR lang = ?) ORDER BY id LIMIT ?",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list");
    const char *status = f->status ? f->status : "", *lang = f->lang ? f->lang : "";
    store_bind_int(st, 1, f->after_id);
    store_bind_text(st, 2, status);
    store_bind_text(st, 3, status);
    store_bind_int(st, 4, line);
    store_bind_int(st, 5, line);
    store_bind_text(st, 6, lang);
    store_bind_text(st, 7, lang);
    store_bind_int(st, 8, f->limit + 1);
    kb_art *rows = calloc((size_t)f->limit + 1, sizeof *rows);
    int n = 0, rc;
    while (rows && (rc = store_step(st)) == STORE_ROW && n <= f->limit) read_art(st, &rows[n++]);
    store_finish(st);
    if (!rows) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    *items = json_array();
    for (int i = 0; i < n && i < f->limit; i++) json_array_append_new(*items, kb_art_json(db, &rows[i]));
    *more = n > f->limit;
    free(rows);
    return 0;
}

int kb_versions_json(store *db, int64_t id, json_t **out, sn_err *e)
{
    kb_art a;
    int rc = kb_art_load(db, id, &a, e);
    if (rc < 0) return rc;
    store_stmt *st;
    if (store_prepare(db, "SELECT version, title, COALESCE(author_id, 0), note, created_at, visibility "
                          "FROM kb_article_versions WHERE article_id = ? ORDER BY version DESC", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list");
    store_bind_int(st, 1, id);
    json_t *list = json_array();
    while (store_step(st) == STORE_ROW) {
        json_t *v = json_pack("{s:i, s:s, s:s, s:s}", "version", (int)store_col_int(st, 0), "title",
                              store_col_text(st, 1), "note", store_col_text(st, 3), "visibility",
                              store_col_text(st, 5));
        int64_t author = store_col_int(st, 2);
        json_object_set_new(v, "author_id", author ? json_integer(author) : json_null());
        kb_json_time(v, "created_at", store_col_int(st, 4));
        json_array_append_new(list, v);
    }
    store_finish(st);
    *out = json_pack("{s:o}", "items", list);
    return 0;
}

/* ---- diff ------------------------------------------------------------------------------------- */

#define DIFF_MAX_LINES 3000

static int split_lines(char *s, char **v, int cap)
{
    int n = 0;
    for (char *p = s; n < cap;) {
        v[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

/* Longest common subsequence of lines, walked into "=", "-", "+" changes. */
static json_t *line_diff(char *a, char *b)
{
    char **x = malloc(DIFF_MAX_LINES * sizeof *x), **y = malloc(DIFF_MAX_LINES * sizeof *y);
    int n = x ? split_lines(a, x, DIFF_MAX_LINES) : 0, m = y ? split_lines(b, y, DIFF_MAX_LINES) : 0;
    unsigned short *L = x && y ? calloc((size_t)(n + 1) * (size_t)(m + 1), sizeof *L) : NULL;
    json_t *out = json_array();
    if (L) {
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                L[i * (m + 1) + j] = !strcmp(x[i], y[j]) ? L[(i + 1) * (m + 1) + j + 1] + 1
                                     : L[(i + 1) * (m + 1) + j] > L[i * (m + 1) + j + 1] ? L[(i + 1) * (m + 1) + j]
                                                                                       : L[i * (m + 1) + j + 1];
        int i = 0, j = 0;
        while (i < n || j < m) {
            const char *op, *text;
            if (i < n && j < m && !strcmp(x[i], y[j])) op = "=", text = x[i++], j++;
            else if (i < n && (j == m || L[(i + 1) * (m + 1) + j] >= L[i * (m + 1) + j + 1])) op = "-", text = x[i++];
            else op = "+", text = y[j++];
            json_array_append_new(out, json_pack("{s:s, s:s}", "op", op, "text", text));
        }
    }
    free(L);
    free(x);
    free(y);
    return out;
}

static int version_text(store *db, int64_t id, int v, char **title, char **body)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT title, body FROM kb_article_versions WHERE article_id = ? AND "
                          "version = ?", &st) < 0)
        return SN_EDB;
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, v);
    int rc = store_step(st);
    if (rc == STORE_ROW) {
        *title = strdup(store_col_text(st, 0));
        *body = strdup(store_col_text(st, 1));
    }
    store_finish(st);
    return rc == STORE_ROW ? 0 : rc == STORE_DONE ? SN_ENOTFOUND : SN_EDB;
}

int kb_diff_json(store *db, int64_t id, int from, int to, json_t **out, sn_err *e)
{
    char *t1 = NULL, *b1 = NULL, *t2 = NULL, *b2 = NULL;
    int rc = version_text(db, id, from, &t1, &b1);
    if (rc == 0) rc = version_text(db, id, to, &t2, &b2);
    if (rc == 0 && (!t1 || !b1 || !t2 || !b2)) rc = SN_EINTERNAL;
    if (rc == 0) {
        json_t *title = strcmp(t1, t2) ? json_pack("{s:s, s:s}", "from", t1, "to", t2) : json_null();
        *out = json_pack("{s:i, s:i, s:o, s:o}", "from", from, "to", to, "title", title, "changes",
                         line_diff(b1, b2));
    }
    free(t1);
    free(b1);
    free(t2);
    free(b2);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_ENOTFOUND, NULL, "no such article or version");
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read the versions") : 0;
}

/* ---- export ---------------------------------------------------------------------------------- */

/* A CSV field: quoted, quotes doubled, and a leading = + - @ tab or CR neutralised with ' so a
 * spreadsheet never runs it as a formula. */
static int csv_field(buf *out, const char *s, int last)
{
    int rc = buf_puts(out, "\"");
    if (rc == 0 && strchr("=+-@\t\r", *s) && *s) rc = buf_puts(out, "'");
    for (const char *p = s; rc == 0 && *p; p++) rc = *p == '"' ? buf_puts(out, "\"\"") : buf_append(out, p, 1);
    if (rc == 0) rc = buf_puts(out, last ? "\"\r\n" : "\",");
    return rc;
}

static const char *const export_cols[] = {"id", "slug", "lang", "service_line", "status", "version",
                                          "title", "topic", "entity", "visibility", "tags", "body"};

static int export_row(buf *out, json_t *o, int csv)
{
    if (!csv) {
        char *line = json_dumps(o, JSON_COMPACT);
        int rc = line ? buf_puts(out, line) : -1;
        free(line);
        return rc == 0 ? buf_puts(out, "\n") : -1;
    }
    int n = (int)(sizeof export_cols / sizeof export_cols[0]);
    for (int i = 0; i < n; i++) {
        json_t *v = json_object_get(o, export_cols[i]);
        char num[32], *dump = NULL;
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        if (json_is_integer(v)) snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), s = num;
        else if (!s && v) s = dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        int rc = csv_field(out, s ? s : "", i == n - 1);
        free(dump);
        if (rc < 0) return -1;
    }
    return 0;
}

int kb_export(store *db, const char *format, buf *out, sn_err *e)
{
    int csv = format && !strcmp(format, "csv");
    if (format && !csv && strcmp(format, "jsonl"))
        return sn_fail(e, SN_EINVALID, "format", "format must be jsonl or csv");
    if (csv) {
        int n = (int)(sizeof export_cols / sizeof export_cols[0]);
        for (int i = 0; i < n; i++)
            if (buf_printf(out, "%s%s", export_cols[i], i == n - 1 ? "\r\n" : ",") < 0) return sn_fail(e, SN_ETOOLARGE, NULL, "too large");
    }
    int64_t after = 0;
    for (;;) {
        kb_list_filter f = {NULL, NULL, NULL, after, 200};
        json_t *items;
        int more;
        int rc = kb_article_list_json(db, &f, &items, &more, e);
        if (rc < 0) return rc;
        size_t i;
        json_t *o;
        json_array_foreach(items, i, o)
        {
            after = json_integer_value(json_object_get(o, "id"));
            char *body = kb_version_body(db, after, (int)json_integer_value(json_object_get(o, "version")));
            json_object_set_new(o, "body", json_string(body ? body : ""));
            free(body);
            if (export_row(out, o, csv) < 0) {
                json_decref(items);
                return sn_fail(e, SN_ETOOLARGE, NULL, "the export is too large");
            }
        }
        json_decref(items);
        if (!more) return 0;
    }
}

/* ---- bulk import ------------------------------------------------------------------------------ */

int kb_import_article(store *db, const actor *who, const kb_input *in, int publish, int64_t now,
                      int *duplicate, sn_err *e)
{
    *duplicate = 0;
    if (in->slug) {
        int taken;
        if (slug_taken(db, in->slug, 0, &taken) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
        if (taken) {
            *duplicate = 1;
            return 0;
        }
    }
    int64_t id;
    int rc = kb_article_create_in_tx(db, who, in, now, &id, e);
    if (rc < 0 || !publish) return rc;
    if (set_status(db, id, "approved", now, who->user_id ? who->user_id : -1) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    return kb_article_publish_in_tx(db, who, id, 0, 0, now, 0, e);
}
