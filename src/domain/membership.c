/* membership.c — user ↔ departments and skills, capacity, availability. */
#include "membership.h"

#include "org.h"
#include "user.h"

#include <string.h>

static int check_codes(store *db, enum org_kind kind, json_t *codes, const char *field, sn_err *e)
{
    size_t i;
    json_t *c;
    json_array_foreach(codes, i, c)
    {
        int64_t id;
        if (org_id_of(db, kind, json_string_value(c), &id) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
        if (!id) return sn_fail(e, SN_EUNPROCESSABLE, field, "unknown code '%s'", json_string_value(c));
    }
    return 0;
}

int membership_check(store *db, json_t *departments, json_t *skills, json_t *capacity, sn_err *e)
{
    int rc = check_codes(db, ORG_DEPARTMENT, departments, "departments", e);
    if (rc == 0) rc = check_codes(db, ORG_SERVICE_LINE, skills, "skills", e);
    if (rc == 0 && capacity && (json_integer_value(capacity) < 1 || json_integer_value(capacity) > 500))
        rc = sn_fail(e, SN_EUNPROCESSABLE, "capacity", "capacity must be 1 to 500");
    return rc;
}

static int replace_links(store *db, int64_t user_id, enum org_kind kind, json_t *codes,
                         const char *del_sql, const char *ins_sql)
{
    store_stmt *st;
    int rc = store_prepare(db, del_sql, &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, user_id);
    rc = store_step(st);
    store_finish(st);
    size_t i;
    json_t *c;
    json_array_foreach(codes, i, c)
    {
        int64_t id;
        if (rc < 0 || (rc = org_id_of(db, kind, json_string_value(c), &id)) < 0) break;
        if ((rc = store_prepare(db, ins_sql, &st)) < 0) break;
        store_bind_int(st, 1, user_id);
        store_bind_int(st, 2, id);
        rc = store_step(st);
        store_finish(st);
        if (rc == SN_ECONFLICT) rc = 0; /* a code listed twice */
    }
    return rc < 0 ? rc : 0;
}

int membership_write(store *db, int64_t user_id, json_t *departments, json_t *skills,
                     json_t *capacity)
{
    int rc = 0;
    if (departments)
        rc = replace_links(db, user_id, ORG_DEPARTMENT, departments,
                           "DELETE FROM user_departments WHERE user_id = ?",
                           "INSERT INTO user_departments (user_id, department_id) VALUES (?, ?)");
    if (rc == 0 && skills)
        rc = replace_links(db, user_id, ORG_SERVICE_LINE, skills,
                           "DELETE FROM user_skills WHERE user_id = ?",
                           "INSERT INTO user_skills (user_id, service_line_id) VALUES (?, ?)");
    if (rc == 0 && capacity) {
        store_stmt *st;
        if ((rc = store_prepare(db, "UPDATE users SET capacity = ? WHERE id = ?", &st)) < 0) return rc;
        store_bind_int(st, 1, json_integer_value(capacity));
        store_bind_int(st, 2, user_id);
        rc = store_step(st);
        store_finish(st);
    }
    return rc < 0 ? rc : 0;
}

static int add_codes(store *db, int64_t user_id, const char *sql, json_t *obj, const char *key)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, user_id);
    json_t *list = json_array();
    while ((rc = store_step(st)) == STORE_ROW) json_array_append_new(list, json_string(store_col_text(st, 0)));
    store_finish(st);
    json_object_set_new(obj, key, list);
    return rc < 0 ? rc : 0;
}

int membership_add_json(store *db, int64_t user_id, json_t *obj)
{
    int rc = add_codes(db, user_id, "SELECT d.code FROM user_departments u JOIN departments d ON "
                                    "d.id = u.department_id WHERE u.user_id = ? ORDER BY d.code",
                       obj, "departments");
    if (rc == 0)
        rc = add_codes(db, user_id, "SELECT s.code FROM user_skills u JOIN service_lines s ON "
                                    "s.id = u.service_line_id WHERE u.user_id = ? ORDER BY s.code",
                       obj, "skills");
    store_stmt *st;
    if (rc == 0 && (rc = store_prepare(db, "SELECT capacity, availability FROM users WHERE id = ?", &st)) == 0) {
        store_bind_int(st, 1, user_id);
        if (store_step(st) == STORE_ROW) {
            json_object_set_new(obj, "capacity", json_integer(store_col_int(st, 0)));
            json_object_set_new(obj, "availability", json_string(store_col_text(st, 1)));
        }
        store_finish(st);
    }
    return rc;
}

int membership_directory_json(store *db, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT id, name, availability FROM users WHERE disabled = 0 "
                          "ORDER BY name, id LIMIT 5000", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list staff");
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(st)) == STORE_ROW)
        json_array_append_new(list, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)store_col_int(st, 0),
                                              "name", store_col_text(st, 1), "availability",
                                              store_col_text(st, 2)));
    store_finish(st);
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        int64_t id = json_integer_value(json_object_get(o, "id"));
        unsigned roles = 0;
        json_t *roles_arr = json_array();
        if (rc >= 0 && (rc = user_load_roles(db, id, &roles)) >= 0)
            for (int k = 0; k < ROLE_COUNT; k++)
                if (roles & (1u << k)) json_array_append_new(roles_arr, json_string(role_name(1u << k)));
        json_object_set_new(o, "roles", roles_arr);
        if (rc >= 0)
            rc = add_codes(db, id, "SELECT d.code FROM user_departments u JOIN departments d ON "
                                   "d.id = u.department_id WHERE u.user_id = ? ORDER BY d.code",
                           o, "departments");
    }
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list staff");
    }
    *out = list;
    return 0;
}
