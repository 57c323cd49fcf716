/* org.c — service lines, departments and entities. */
#include "org.h"

#include "audit.h"
#include "settings.h"
#include "../core/clock.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *insert, *count, *object, *action, *table;
} org_sql[] = {
    [ORG_SERVICE_LINE] = {"INSERT INTO service_lines (code, name_ar, name_en, created_at) "
                          "VALUES (?, ?, ?, ?) RETURNING id",
                          "SELECT COUNT(*) FROM service_lines", "service_line",
                          "service_line.create", "service_lines"},
    [ORG_DEPARTMENT] = {"INSERT INTO departments (code, name_ar, name_en, created_at) "
                        "VALUES (?, ?, ?, ?) RETURNING id",
                        "SELECT COUNT(*) FROM departments", "department", "department.create",
                        "departments"},
    [ORG_ENTITY] = {"INSERT INTO entities (code, name_ar, name_en, created_at) "
                    "VALUES (?, ?, ?, ?) RETURNING id",
                    "SELECT COUNT(*) FROM entities", "entity", "entity.create", "entities"},
};

int org_create(store *db, const actor *who, enum org_kind kind, const char *code,
               const char *name_ar, const char *name_en, org_unit *out, sn_err *e)
{
    if (!*code || strlen(code) >= sizeof out->code)
        return sn_fail(e, SN_EUNPROCESSABLE, "code", "code must have 1 to 63 characters");
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    store_stmt *st;
    int rc = store_prepare(db, org_sql[kind].insert, &st);
    if (rc < 0) goto fail;
    store_bind_text(st, 1, code);
    store_bind_text(st, 2, name_ar);
    store_bind_text(st, 3, name_en);
    store_bind_int(st, 4, clock_now_ms());
    rc = store_step(st);
    out->id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc == SN_ECONFLICT) {
        store_rollback(db);
        return sn_fail_slug(e, SN_ECONFLICT, "duplicate", "code", "the code '%s' exists", code);
    }
    if (rc != STORE_ROW) goto fail;
    snprintf(out->code, sizeof out->code, "%s", code);
    snprintf(out->name_ar, sizeof out->name_ar, "%s", name_ar);
    snprintf(out->name_en, sizeof out->name_en, "%s", name_en);
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, out->id);
    json_t *detail = json_pack("{s:s}", "code", code);
    char *text = json_dumps(detail, JSON_COMPACT);
    rc = audit_append(db, who, org_sql[kind].action, org_sql[kind].object, oid, text);
    free(text);
    json_decref(detail);
    if (rc < 0 || store_commit(db) < 0) goto fail;
    settings_changed();
    return 0;
fail:
    store_rollback(db);
    return sn_fail(e, SN_EDB, NULL, "cannot save");
}

int org_count(store *db, enum org_kind kind, int64_t *n)
{
    store_stmt *st;
    int rc = store_prepare(db, org_sql[kind].count, &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    *n = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc == STORE_ROW ? 0 : SN_EDB;
}

/* Table names come from org_sql (a fixed table), never from input. */
static int org_prepare(store *db, enum org_kind kind, const char *fmt, store_stmt **st)
{
    char sql[256];
    snprintf(sql, sizeof sql, fmt, org_sql[kind].table);
    return store_prepare(db, sql, st);
}

static void read_unit(store_stmt *st, org_unit *u)
{
    u->id = store_col_int(st, 0);
    snprintf(u->code, sizeof u->code, "%s", store_col_text(st, 1));
    snprintf(u->name_ar, sizeof u->name_ar, "%s", store_col_text(st, 2));
    snprintf(u->name_en, sizeof u->name_en, "%s", store_col_text(st, 3));
}

json_t *org_json(const org_unit *u)
{
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)u->id, "code", u->code, "name_ar",
                     u->name_ar, "name_en", u->name_en);
}

int org_list_json(store *db, enum org_kind kind, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (org_prepare(db, kind, "SELECT id, code, name_ar, name_en FROM %s ORDER BY code", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list");
    json_t *list = json_array();
    int rc;
    org_unit u;
    while ((rc = store_step(st)) == STORE_ROW) {
        read_unit(st, &u);
        json_array_append_new(list, org_json(&u));
    }
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list");
    }
    *out = list;
    return 0;
}

int org_get(store *db, enum org_kind kind, const char *code, org_unit *out, sn_err *e)
{
    store_stmt *st;
    if (org_prepare(db, kind, "SELECT id, code, name_ar, name_en FROM %s WHERE code = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_text(st, 1, code);
    int rc = store_step(st);
    if (rc == STORE_ROW) read_unit(st, out);
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    return rc == STORE_ROW ? 0 : sn_fail(e, SN_ENOTFOUND, NULL, "no such %s", org_sql[kind].object);
}

int org_id_of(store *db, enum org_kind kind, const char *code, int64_t *id)
{
    org_unit u;
    sn_err e;
    int rc = org_get(db, kind, code, &u, &e);
    *id = rc == 0 ? u.id : 0;
    return rc == SN_ENOTFOUND ? 0 : rc;
}

int org_update(store *db, const actor *who, enum org_kind kind, const char *code,
               const char *name_ar, const char *name_en, org_unit *out, sn_err *e)
{
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    int rc = org_get(db, kind, code, out, e);
    store_stmt *st;
    if (rc == 0 && org_prepare(db, kind, "UPDATE %s SET name_ar = COALESCE(?, name_ar), "
                                         "name_en = COALESCE(?, name_en) WHERE code = ?", &st) == 0) {
        store_bind_text(st, 1, name_ar);
        store_bind_text(st, 2, name_en);
        store_bind_text(st, 3, code);
        if (store_step(st) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
        store_finish(st);
    }
    char action[64], oid[24];
    snprintf(action, sizeof action, "%s.update", org_sql[kind].object);
    snprintf(oid, sizeof oid, "%" PRId64, out->id);
    if (rc == 0 && audit_append(db, who, action, org_sql[kind].object, oid, NULL) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    if (rc < 0) {
        store_rollback(db);
        return rc;
    }
    return org_get(db, kind, code, out, e);
}

/* ---- service line owners ---------------------------------------------------------------------- */

json_t *org_owners_json(store *db, int64_t service_line_id)
{
    json_t *ids = json_array();
    store_stmt *st;
    if (store_prepare(db, "SELECT user_id FROM service_line_owners WHERE service_line_id = ? "
                          "ORDER BY user_id", &st) < 0)
        return ids;
    store_bind_int(st, 1, service_line_id);
    while (store_step(st) == STORE_ROW) json_array_append_new(ids, json_integer(store_col_int(st, 0)));
    store_finish(st);
    return ids;
}

static int user_exists(store *db, int64_t id)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT 1 FROM users WHERE id = ?", &st) < 0) return SN_EDB;
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    store_finish(st);
    return rc == STORE_ROW ? 1 : rc < 0 ? SN_EDB : 0;
}

static int owners_write(store *db, int64_t line, json_t *ids, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "DELETE FROM service_line_owners WHERE service_line_id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save");
    store_bind_int(st, 1, line);
    int rc = store_step(st) < 0 ? sn_fail(e, SN_EDB, NULL, "cannot save") : 0;
    store_finish(st);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        if (rc < 0) break;
        int exists = user_exists(db, json_integer_value(v));
        if (exists <= 0) {
            rc = exists < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read")
                            : sn_fail(e, SN_EUNPROCESSABLE, "owners", "no user with id %" JSON_INTEGER_FORMAT,
                                      json_integer_value(v));
            break;
        }
        if (store_prepare(db, "INSERT INTO service_line_owners (service_line_id, user_id) VALUES (?, ?) "
                              "ON CONFLICT DO NOTHING", &st) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot save");
        store_bind_int(st, 1, line);
        store_bind_int(st, 2, json_integer_value(v));
        if (store_step(st) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
        store_finish(st);
    }
    return rc;
}

int org_set_owners(store *db, const actor *who, const char *code, json_t *ids, sn_err *e)
{
    size_t i;
    json_t *v;
    if (json_array_size(ids) > 100) return sn_fail(e, SN_EUNPROCESSABLE, "owners", "at most 100 owners");
    json_array_foreach(ids, i, v) if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "owners", "owners must be user ids");
    org_unit u;
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    int rc = org_get(db, ORG_SERVICE_LINE, code, &u, e);
    if (rc == 0) rc = owners_write(db, u.id, ids, e);
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, u.id);
    json_t *d = json_pack("{s:O}", "owners", ids);
    char *detail = rc == 0 ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    if (rc == 0 && audit_append(db, who, "service_line.owners", "service_line", oid, detail) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    free(detail);
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    if (rc < 0) store_rollback(db);
    return rc;
}
