/* escalation.c — department tickets raised from conversations. */
#include "escalation.h"

#include "audit.h"
#include "conversation.h"
#include "events.h"
#include "sla.h"
#include "../core/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* department_staff without a front-line role are limited to their departments. */
static int staff_only(const actor *who)
{
    return (who->roles & ROLE_DEPARTMENT_STAFF) &&
           !(who->roles & (ROLE_ADMIN | ROLE_SUPERVISOR | ROLE_AGENT));
}

static void set_time(json_t *o, const char *key, int64_t ms)
{
    char iso[32];
    if (ms <= 0) {
        json_object_set_new(o, key, json_null());
        return;
    }
    clock_iso8601(ms, iso, sizeof iso);
    json_object_set_new(o, key, json_string(iso));
}

#define ESC_COLUMNS                                                                              \
    "e.id, e.conversation_id, v.number, d.code, e.status, e.note, COALESCE(e.created_by, 0), "   \
    "e.created_at, COALESCE(e.due_at, 0), COALESCE(e.resolved_at, 0), e.updated_at, v.subject"

#define ESC_FROM                                                                                 \
    " FROM escalations e JOIN departments d ON d.id = e.department_id JOIN conversations v ON "   \
    "v.id = e.conversation_id "

static json_t *row_json(store_stmt *st)
{
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "id",
                          (json_int_t)store_col_int(st, 0), "conversation_id",
                          (json_int_t)store_col_int(st, 1), "conversation_number",
                          store_col_text(st, 2), "department", store_col_text(st, 3), "status",
                          store_col_text(st, 4), "note", store_col_text(st, 5), "subject",
                          store_col_text(st, 11));
    json_object_set_new(o, "created_by", store_col_int(st, 6) ? json_integer(store_col_int(st, 6)) : json_null());
    set_time(o, "created_at", store_col_int(st, 7));
    set_time(o, "due_at", store_col_int(st, 8));
    set_time(o, "resolved_at", store_col_int(st, 9));
    set_time(o, "updated_at", store_col_int(st, 10));
    int64_t due = store_col_int(st, 8), resolved = store_col_int(st, 9);
    json_object_set_new(o, "sla_breached",
                        json_boolean(due && (resolved ? resolved > due : clock_now_ms() > due)));
    return o;
}

static int add_replies(store *db, int64_t id, json_t *o)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, COALESCE(author_id, 0), body, created_at FROM "
                               "escalation_replies WHERE escalation_id = ? ORDER BY id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    json_t *list = json_array();
    while ((rc = store_step(st)) == STORE_ROW) {
        json_t *r = json_pack("{s:I, s:s}", "id", (json_int_t)store_col_int(st, 0), "body",
                              store_col_text(st, 2));
        json_object_set_new(r, "author_id", store_col_int(st, 1) ? json_integer(store_col_int(st, 1)) : json_null());
        set_time(r, "created_at", store_col_int(st, 3));
        json_array_append_new(list, r);
    }
    store_finish(st);
    json_object_set_new(o, "replies", list);
    return rc < 0 ? rc : 0;
}

int escalation_get_json(store *db, const actor *who, int64_t id, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " ESC_COLUMNS ESC_FROM "WHERE e.id = ? AND (? = 0 OR EXISTS "
                          "(SELECT 1 FROM user_departments u WHERE u.department_id = "
                          "e.department_id AND u.user_id = ?))", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read escalation");
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, staff_only(who));
    store_bind_int(st, 3, who->user_id);
    int rc = store_step(st);
    json_t *o = rc == STORE_ROW ? row_json(st) : NULL;
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read escalation");
    if (!o) return sn_fail(e, SN_ENOTFOUND, NULL, "no such escalation");
    if (add_replies(db, id, o) < 0) {
        json_decref(o);
        return sn_fail(e, SN_EDB, NULL, "cannot read escalation");
    }
    *out = o;
    return 0;
}

int escalation_list_json(store *db, const actor *who, const char *status, int64_t after_id,
                         int limit, json_t **out, int *more, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " ESC_COLUMNS ESC_FROM "WHERE (? = '' OR e.status = ?) AND "
                          "e.id > ? AND (? = 0 OR EXISTS (SELECT 1 FROM user_departments u WHERE "
                          "u.department_id = e.department_id AND u.user_id = ?)) ORDER BY e.id LIMIT ?",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list escalations");
    store_bind_text(st, 1, status);
    store_bind_text(st, 2, status);
    store_bind_int(st, 3, after_id);
    store_bind_int(st, 4, staff_only(who));
    store_bind_int(st, 5, who->user_id);
    store_bind_int(st, 6, limit + 1);
    json_t *list = json_array();
    int rc, n = 0;
    while ((rc = store_step(st)) == STORE_ROW)
        if (n++ < limit) json_array_append_new(list, row_json(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list escalations");
    }
    *out = list;
    *more = n > limit;
    return 0;
}

static int department_of(store *db, const char *code, int64_t *id, int64_t *sla_minutes)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, sla_minutes FROM departments WHERE code = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    *sla_minutes = rc == STORE_ROW ? store_col_int(st, 1) : 0;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int insert_escalation(store *db, const actor *who, int64_t conv, int64_t dept,
                             int64_t sla_minutes, const char *note, int64_t now, int64_t *id)
{
    int64_t due = now + sla_minutes * 60000;
    bh_add(sla_calendar_cached(db, "default"), now, sla_minutes * 60000, &due);
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO escalations (conversation_id, department_id, note, "
                               "created_by, created_at, due_at, updated_at) VALUES (?, ?, ?, ?, ?, "
                               "?, ?) RETURNING id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    store_bind_int(st, 2, dept);
    store_bind_text(st, 3, note);
    if (who->user_id) store_bind_int(st, 4, who->user_id);
    else store_bind_null(st, 4);
    store_bind_int(st, 5, now);
    store_bind_int(st, 6, due);
    store_bind_int(st, 7, now);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc != STORE_ROW) return rc < 0 ? rc : SN_EDB;
    if ((rc = store_prepare(db, "UPDATE conversations SET escalated = 1, updated_at = ? WHERE id = ?", &st)) < 0)
        return rc;
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, conv);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int escalation_create_in_tx(store *db, const actor *who, int64_t conv, const char *department,
                            const char *note, int64_t now, int64_t *out_id, sn_err *e)
{
    int64_t dept = 0, sla = 0, id = 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT status FROM conversations WHERE id = ? AND merged_into IS NULL", &st);
    if (rc == 0) {
        store_bind_int(st, 1, conv);
        rc = store_step(st);
        rc = rc == STORE_ROW ? (strcmp(store_col_text(st, 0), "closed") ? 0 : SN_ECONFLICT)
                             : (rc < 0 ? rc : SN_ENOTFOUND);
        store_finish(st);
    }
    if (rc == SN_ENOTFOUND) rc = sn_fail(e, rc, NULL, "no such conversation");
    else if (rc == SN_ECONFLICT) rc = sn_fail_slug(e, rc, "conversation_closed", NULL, "the conversation is closed");
    else if (rc < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot escalate");
    if (rc == 0 && (department_of(db, department, &dept, &sla) < 0 || !dept))
        rc = sn_fail(e, SN_EUNPROCESSABLE, "department", "unknown department '%s'", department);
    /* The timeline shows the escalation row itself; no separate "escalated" event. */
    if (rc == 0 && (insert_escalation(db, who, conv, dept, sla, note ? note : "", now, &id) < 0 ||
                    events_emit(db, "escalation.created", json_pack("{s:I, s:I, s:s}", "escalation_id",
                                (json_int_t)id, "conversation_id", (json_int_t)conv, "department",
                                department)) < 0))
        rc = sn_fail(e, SN_EDB, NULL, "cannot escalate");
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if (rc == 0 && audit_append(db, who, "escalation.create", "escalation", oid, NULL) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot escalate");
    *out_id = id;
    return rc;
}

int escalation_create(store *db, const actor *who, int64_t conv, const char *department,
                      const char *note, json_t **out, sn_err *e)
{
    int64_t id = 0;
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot escalate");
    int rc = escalation_create_in_tx(db, who, conv, department, note, clock_now_ms(), &id, e);
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot escalate");
    if (rc < 0) {
        store_rollback(db);
        events_discard();
        return rc;
    }
    events_flush();
    return escalation_get_json(db, who, id, out, e);
}

int escalation_reply(store *db, const actor *who, int64_t id, const char *body, json_t **out,
                     sn_err *e)
{
    json_t *cur;
    int rc = escalation_get_json(db, who, id, &cur, e);
    if (rc < 0) return rc;
    int64_t conv = json_integer_value(json_object_get(cur, "conversation_id")), now = clock_now_ms();
    json_decref(cur);
    if (!body || !*body) return sn_fail(e, SN_EUNPROCESSABLE, "body", "body is required");
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot reply");
    store_stmt *st;
    rc = store_prepare(db, "INSERT INTO escalation_replies (escalation_id, author_id, body, "
                           "created_at) VALUES (?, ?, ?, ?)", &st);
    if (rc == 0) {
        store_bind_int(st, 1, id);
        store_bind_int(st, 2, who->user_id);
        store_bind_text(st, 3, body);
        store_bind_int(st, 4, now);
        rc = store_step(st);
        store_finish(st);
    }
    if (rc >= 0 && (rc = store_prepare(db, "UPDATE escalations SET updated_at = ? WHERE id = ?", &st)) == 0) {
        store_bind_int(st, 1, now);
        store_bind_int(st, 2, id);
        rc = store_step(st);
        store_finish(st);
    }
    if (rc >= 0)
        rc = events_emit(db, "escalation.updated", json_pack("{s:I, s:I, s:s}", "escalation_id",
                         (json_int_t)id, "conversation_id", (json_int_t)conv, "change", "reply"));
    if (rc < 0 || store_commit(db) < 0) {
        store_rollback(db);
        events_discard();
        return sn_fail(e, SN_EDB, NULL, "cannot reply");
    }
    events_flush();
    return escalation_get_json(db, who, id, out, e);
}

int escalation_set_status(store *db, const actor *who, int64_t id, const char *status,
                          json_t **out, sn_err *e)
{
    if (strcmp(status, "resolved") && strcmp(status, "open"))
        return sn_fail(e, SN_EUNPROCESSABLE, "status", "status must be open or resolved");
    json_t *cur;
    int rc = escalation_get_json(db, who, id, &cur, e);
    if (rc < 0) return rc;
    int64_t conv = json_integer_value(json_object_get(cur, "conversation_id")), now = clock_now_ms();
    int same = !strcmp(json_string_value(json_object_get(cur, "status")), status);
    const char *dept = json_string_value(json_object_get(cur, "department"));
    char department[64];
    snprintf(department, sizeof department, "%s", dept ? dept : "");
    json_decref(cur);
    if (same) return escalation_get_json(db, who, id, out, e);
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot update escalation");
    store_stmt *st;
    int resolved = !strcmp(status, "resolved");
    rc = store_prepare(db, "UPDATE escalations SET status = ?, resolved_at = ?, updated_at = ? "
                           "WHERE id = ?", &st);
    if (rc == 0) {
        store_bind_text(st, 1, status);
        if (resolved) store_bind_int(st, 2, now);
        else store_bind_null(st, 2);
        store_bind_int(st, 3, now);
        store_bind_int(st, 4, id);
        rc = store_step(st);
        store_finish(st);
    }
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if (rc >= 0)
        rc = conv_timeline_add_json(db, conv, who, resolved ? "escalation_resolved" : "escalation_reopened",
                        json_pack("{s:I, s:s}", "escalation_id", (json_int_t)id, "department", department), now);
    if (rc >= 0)
        rc = events_emit(db, "escalation.updated", json_pack("{s:I, s:I, s:s}", "escalation_id",
                         (json_int_t)id, "conversation_id", (json_int_t)conv, "status", status));
    if (rc >= 0) rc = audit_append(db, who, "escalation.update", "escalation", oid, NULL);
    if (rc < 0 || store_commit(db) < 0) {
        store_rollback(db);
        events_discard();
        return sn_fail(e, SN_EDB, NULL, "cannot update escalation");
    }
    events_flush();
    return escalation_get_json(db, who, id, out, e);
}
