/* org.c — service lines, departments and entities. */
#include "org.h"

#include "audit.h"
#include "../core/clock.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *insert, *count, *object, *action;
} org_sql[] = {
    [ORG_SERVICE_LINE] = {"INSERT INTO service_lines (code, name_ar, name_en, created_at) "
                          "VALUES (?, ?, ?, ?) RETURNING id",
                          "SELECT COUNT(*) FROM service_lines", "service_line",
                          "service_line.create"},
    [ORG_DEPARTMENT] = {"INSERT INTO departments (code, name_ar, name_en, created_at) "
                        "VALUES (?, ?, ?, ?) RETURNING id",
                        "SELECT COUNT(*) FROM departments", "department", "department.create"},
    [ORG_ENTITY] = {"INSERT INTO entities (code, name_ar, name_en, created_at) "
                    "VALUES (?, ?, ?, ?) RETURNING id",
                    "SELECT COUNT(*) FROM entities", "entity", "entity.create"},
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
