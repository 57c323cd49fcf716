/* template.c — approved templates: save, approve, render (Mustache, strict), after-hours reply. */
#include "template.h"

#include "audit.h"
#include "outbox.h"
#include "conversation.h"
#include "sla.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/mustache.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The placeholders a template may use. */
static const char *const placeholders[] = {
    "customer.name", "conversation.number", "conversation.subject", "agent.name",
    "service_line.name", "center.name", "center.phone",
};

static int placeholder_known(const char *name)
{
    for (size_t i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
        if (!strcmp(name, placeholders[i])) return 1;
    return 0;
}

struct name_check {
    char bad[128];
};

static void check_name(const char *name, void *arg)
{
    struct name_check *c = arg;
    if (!c->bad[0] && !placeholder_known(name)) snprintf(c->bad, sizeof c->bad, "%s", name);
}

/* A text must parse and use only known placeholders. */
static int check_text(const char *text, const char *field, sn_err *e)
{
    struct name_check c = {""};
    sn_err perr;
    if (mustache_names(text, check_name, &c, &perr) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, field, "template syntax: %s", perr.message);
    if (c.bad[0])
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "unknown_placeholder", field,
                            "unknown placeholder {{%s}}", c.bad);
    return 0;
}

static int check_code(const char *code, sn_err *e)
{
    size_t n = strlen(code);
    if (n == 0 || n > 64) return sn_fail(e, SN_EUNPROCESSABLE, "code", "code must have 1 to 64 characters");
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)code[i]) && !isdigit((unsigned char)code[i]) && code[i] != '_' &&
            code[i] != '-')
            return sn_fail(e, SN_EUNPROCESSABLE, "code", "code may use a-z, 0-9, _ and -");
    return 0;
}

/* Check bodies {"ar","en"} (both required) and variants {"x"?,"sms"?}. */
static int check_texts(json_t *bodies, json_t *variants, sn_err *e)
{
    static const char *const langs[] = {"ar", "en"};
    const char *key;
    json_t *v;
    json_object_foreach(bodies, key, v)
    {
        if (strcmp(key, "ar") && strcmp(key, "en"))
            return sn_fail(e, SN_EINVALID, "bodies", "bodies has only ar and en");
        if (!json_is_string(v)) return sn_fail(e, SN_EINVALID, "bodies", "bodies.%s must be a string", key);
    }
    for (int i = 0; i < 2; i++) {
        char field[32];
        snprintf(field, sizeof field, "bodies.%s", langs[i]);
        v = json_object_get(bodies, langs[i]);
        if (!v || !*json_string_value(v))
            return sn_fail(e, SN_EUNPROCESSABLE, field, "the %s text is required", langs[i]);
        int rc = check_text(json_string_value(v), field, e);
        if (rc < 0) return rc;
    }
    json_object_foreach(variants, key, v)
    {
        char field[32];
        snprintf(field, sizeof field, "variants.%s", key);
        if (strcmp(key, "x") && strcmp(key, "sms"))
            return sn_fail(e, SN_EINVALID, "variants", "variants has only x and sms");
        if (!json_is_string(v)) return sn_fail(e, SN_EINVALID, field, "must be a string");
        int rc = check_text(json_string_value(v), field, e);
        if (rc < 0) return rc;
    }
    return 0;
}

#define TEMPLATE_COLUMNS "code, title, bodies, variants, state, uses, created_at, updated_at, " \
                         "COALESCE(approved_at, 0), COALESCE(approved_by, 0)"

static json_t *row_json(store_stmt *st)
{
    json_t *bodies = json_loads(store_col_text(st, 2), 0, NULL),
           *variants = json_loads(store_col_text(st, 3), 0, NULL);
    json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:I}", "code", store_col_text(st, 0), "title",
                          store_col_text(st, 1), "bodies", bodies ? bodies : json_object(),
                          "variants", variants ? variants : json_object(), "state",
                          store_col_text(st, 4), "uses", (json_int_t)store_col_int(st, 5));
    char iso[32];
    clock_iso8601(store_col_int(st, 6), iso, sizeof iso);
    json_object_set_new(o, "created_at", json_string(iso));
    clock_iso8601(store_col_int(st, 7), iso, sizeof iso);
    json_object_set_new(o, "updated_at", json_string(iso));
    if (store_col_int(st, 8)) {
        clock_iso8601(store_col_int(st, 8), iso, sizeof iso);
        json_object_set_new(o, "approved_at", json_string(iso));
        json_object_set_new(o, "approved_by", json_integer(store_col_int(st, 9)));
    } else {
        json_object_set_new(o, "approved_at", json_null());
        json_object_set_new(o, "approved_by", json_null());
    }
    return o;
}

int template_get_json(store *db, const char *code, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " TEMPLATE_COLUMNS " FROM templates WHERE code = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read template");
    store_bind_text(st, 1, code);
    int rc = store_step(st);
    *out = rc == STORE_ROW ? row_json(st) : NULL;
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read template");
    return *out ? 0 : sn_fail(e, SN_ENOTFOUND, NULL, "no such template");
}

int template_list_json(store *db, const char *state, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " TEMPLATE_COLUMNS " FROM templates WHERE (? = '' OR state = ?) "
                          "ORDER BY code", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list templates");
    store_bind_text(st, 1, state);
    store_bind_text(st, 2, state);
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(st)) == STORE_ROW) json_array_append_new(list, row_json(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list templates");
    }
    *out = list;
    return 0;
}

static int write_template(store *db, int create, const char *code, const char *title,
                          json_t *bodies, json_t *variants, const char *state)
{
    char *b = json_dumps(bodies, JSON_COMPACT | JSON_SORT_KEYS),
         *v = json_dumps(variants, JSON_COMPACT | JSON_SORT_KEYS);
    int64_t now = clock_now_ms();
    store_stmt *st;
    int rc = b && v ? 0 : SN_EINTERNAL;
    if (rc == 0)
        rc = store_prepare(db, create ? "INSERT INTO templates (title, bodies, variants, state, "
                                        "updated_at, created_at, code) VALUES (?, ?, ?, ?, ?, ?, ?)"
                                      : "UPDATE templates SET title = ?, bodies = ?, variants = ?, "
                                        "state = ?, updated_at = ?, approved_at = CASE WHEN ? = 0 "
                                        "THEN approved_at ELSE NULL END WHERE code = ?",
                           &st);
    if (rc == 0) {
        store_bind_text(st, 1, title);
        store_bind_text(st, 2, b);
        store_bind_text(st, 3, v);
        store_bind_text(st, 4, state);
        store_bind_int(st, 5, now);
        store_bind_int(st, 6, create ? now : strcmp(state, "approved") != 0);
        store_bind_text(st, 7, code);
        rc = store_step(st);
        store_finish(st);
    }
    free(b);
    free(v);
    return rc < 0 ? rc : 0;
}

/* The merged new state of a template from the body over the old one (old may be NULL). */
static int merge_fields(json_t *old, json_t *body, const char **title, json_t **bodies,
                        json_t **variants, const char **state, sn_err *e)
{
    json_t *v;
    *title = old ? json_string_value(json_object_get(old, "title")) : NULL;
    *bodies = old ? json_object_get(old, "bodies") : NULL;
    *variants = old ? json_object_get(old, "variants") : NULL;
    *state = old ? json_string_value(json_object_get(old, "state")) : "draft";
    if ((v = json_object_get(body, "title"))) *title = json_string_value(v);
    if ((v = json_object_get(body, "bodies"))) *bodies = v;
    if ((v = json_object_get(body, "variants"))) *variants = v;
    if (!*title || !**title) return sn_fail(e, SN_EUNPROCESSABLE, "title", "title is required");
    if (!*bodies) return sn_fail(e, SN_EUNPROCESSABLE, "bodies", "bodies is required");
    if (!*variants) *variants = json_object();
    v = json_object_get(body, "state");
    int retire = v && !strcmp(json_string_value(v), "retired");
    if (v && !retire && strcmp(json_string_value(v), "draft"))
        return sn_fail(e, SN_EUNPROCESSABLE, "state", "state may be set to draft or retired; "
                                                      "approve with POST …/approve");
    /* Any edit of the text needs approval again. */
    if (retire)
        *state = "retired";
    else if (old && (json_object_get(body, "bodies") || json_object_get(body, "variants") ||
                     json_object_get(body, "title") || v))
        *state = "draft";
    return check_texts(*bodies, *variants, e);
}

int template_save(store *db, const actor *who, const char *code_in_path, json_t *body,
                  json_t **out, sn_err *e)
{
    const char *code = code_in_path ? code_in_path : json_string_value(json_object_get(body, "code"));
    int rc = check_code(code ? code : "", e);
    if (rc < 0) return rc;
    json_t *old = NULL;
    if (code_in_path && (rc = template_get_json(db, code, &old, e)) < 0) return rc;
    const char *title, *state;
    json_t *bodies, *variants;
    if ((rc = merge_fields(old, body, &title, &bodies, &variants, &state, e)) < 0) goto out;
    if (store_begin_write(db) < 0) {
        rc = sn_fail(e, SN_EDB, NULL, "cannot save template");
        goto out;
    }
    rc = write_template(db, !code_in_path, code, title, bodies, variants, state);
    if (rc == SN_ECONFLICT)
        rc = sn_fail_slug(e, SN_ECONFLICT, "duplicate", "code", "a template with this code exists");
    else if (rc < 0 || audit_append(db, who, code_in_path ? "template.update" : "template.create",
                                    "template", code, NULL) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save template");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save template");
    if (rc < 0) store_rollback(db);
    if (rc == 0) rc = template_get_json(db, code, out, e);
out:
    if (!json_object_get(body, "variants") && !old) json_decref(variants);
    json_decref(old);
    return rc;
}

int template_approve(store *db, const actor *who, const char *code, json_t **out, sn_err *e)
{
    json_t *cur;
    int rc = template_get_json(db, code, &cur, e);
    if (rc < 0) return rc;
    const char *state = json_string_value(json_object_get(cur, "state"));
    if (!strcmp(state, "retired")) rc = sn_fail_slug(e, SN_ECONFLICT, "invalid_transition", "state",
                                                     "a retired template cannot be approved");
    json_decref(cur);
    if (rc < 0) return rc;
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot approve");
    store_stmt *st;
    rc = store_prepare(db, "UPDATE templates SET state = 'approved', approved_by = ?, "
                           "approved_at = ?, updated_at = ? WHERE code = ?", &st);
    if (rc == 0) {
        int64_t now = clock_now_ms();
        if (who->user_id)
            store_bind_int(st, 1, who->user_id);
        else
            store_bind_null(st, 1); /* the system (demo, imports) */
        store_bind_int(st, 2, now);
        store_bind_int(st, 3, now);
        store_bind_text(st, 4, code);
        rc = store_step(st);
        store_finish(st);
    }
    if (rc < 0 || audit_append(db, who, "template.approve", "template", code, NULL) < 0 ||
        store_commit(db) < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot approve");
    }
    return template_get_json(db, code, out, e);
}

int template_render(store *db, const char *code, const char *lang, const char *channel,
                    json_t *ctx, char **text, sn_err *e)
{
    json_t *t;
    int rc = template_get_json(db, code, &t, e);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_EUNPROCESSABLE, "template", "no such template");
    if (rc < 0) return rc;
    if (strcmp(json_string_value(json_object_get(t, "state")), "approved")) {
        json_decref(t);
        return sn_fail_slug(e, SN_ECONFLICT, "template_not_approved", "template",
                            "only approved templates can be sent");
    }
    json_t *src = json_object_get(json_object_get(t, "variants"), channel);
    if (!json_is_string(src)) src = json_object_get(json_object_get(t, "bodies"), lang);
    if (!json_is_string(src)) src = json_object_get(json_object_get(t, "bodies"), "ar");
    buf out;
    buf_init(&out, 1 << 20);
    sn_err merr;
    rc = mustache_render(json_string_value(src), ctx, NULL, MUSTACHE_STRICT | MUSTACHE_NO_ESCAPE,
                         &out, &merr);
    json_decref(t);
    if (rc < 0) {
        buf_fini(&out);
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "missing_placeholder", "template",
                            "the template needs {{%s}}, which has no value here", merr.field);
    }
    store_stmt *st;
    if (store_prepare(db, "UPDATE templates SET uses = uses + 1 WHERE code = ?", &st) == 0) {
        store_bind_text(st, 1, code);
        store_step(st);
        store_finish(st);
    }
    *text = buf_steal(&out);
    return 0;
}

int template_after_hours(store *db, int64_t conversation_id, int channel, int64_t at)
{
    sn_err e;
    if (bh_is_open(sla_calendar_cached(db, "default"), at)) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT v.number, c.name FROM conversations v JOIN customers c ON "
                               "c.id = v.customer_id WHERE v.id = ? AND EXISTS (SELECT 1 FROM "
                               "templates WHERE code = 'after_hours' AND state = 'approved')", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conversation_id);
    rc = store_step(st);
    json_t *ctx = rc == STORE_ROW ? json_pack("{s:{s:s}, s:{}}", "conversation", "number",
                                              store_col_text(st, 0), "customer")
                                  : NULL;
    if (ctx && store_col_text(st, 1)[0]) /* no name, no {{customer.name}}: never a hole */
        json_object_set_new(json_object_get(ctx, "customer"), "name",
                            json_string(store_col_text(st, 1)));
    store_finish(st);
    if (!ctx) return rc < 0 ? rc : 0;
    char *text = NULL;
    rc = template_render(db, TEMPLATE_AFTER_HOURS, "ar", channel_name(channel), ctx, &text, &e);
    json_decref(ctx);
    if (rc < 0) return 0; /* a template that cannot render here is skipped, never blocks intake */
    if ((rc = store_prepare(db, "INSERT INTO messages (conversation_id, kind, channel, body, "
                                "template_code, delivery, created_at) VALUES (?, 'auto_reply', ?, "
                                "?, 'after_hours', 'queued', ?) RETURNING id", &st)) == 0) {
        store_bind_int(st, 1, conversation_id);
        store_bind_text(st, 2, channel_name(channel));
        store_bind_text(st, 3, text);
        store_bind_int(st, 4, at);
        rc = store_step(st);
        int64_t mid = rc == STORE_ROW ? store_col_int(st, 0) : 0;
        store_finish(st);
        if (rc == STORE_ROW) rc = outbox_enqueue(db, mid, channel_name(channel), at);
    }
    free(text);
    return rc < 0 ? rc : 0;
}
