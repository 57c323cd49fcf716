/* users.c — the HTTP face of staff accounts (admin only; roles checked by the route table). */
#include "api.h"

#include "../domain/membership.h"
#include "../domain/user.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

const field_spec user_create_fields[] = {
    {"email", FT_STRING, 1, 3, 254, "Sign-in email, unique (stored lower-case)"},
    {"name", FT_STRING, 1, 1, 200, "Display name"},
    {"password", FT_STRING, 1, 0, 0, "At least 10 characters"},
    {"roles", FT_STRING_ARRAY, 1, 0, 0,
     "Any of admin, supervisor, agent, department_staff, service_owner, qa_evaluator"},
    {"disabled", FT_BOOLEAN, 0, 0, 0, "A disabled user cannot sign in"},
    {"departments", FT_STRING_ARRAY, 0, 0, 0, "Department codes (department staff see their escalations)"},
    {"skills", FT_STRING_ARRAY, 0, 0, 0, "Service line codes the agent is routed"},
    {"capacity", FT_INTEGER, 0, 0, 0, "Most open conversations at once (1 to 500, default 20)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec user_update_fields[] = {
    {"name", FT_STRING, 0, 1, 200, "Display name"},
    {"password", FT_STRING, 0, 0, 0, "A new password; ends the user's sessions"},
    {"roles", FT_STRING_ARRAY, 0, 0, 0, "The full new set of roles"},
    {"disabled", FT_BOOLEAN, 0, 0, 0, "Disabling ends the user's sessions"},
    {"departments", FT_STRING_ARRAY, 0, 0, 0, "Department codes"},
    {"skills", FT_STRING_ARRAY, 0, 0, 0, "Service line codes"},
    {"capacity", FT_INTEGER, 0, 0, 0, "Most open conversations at once"},
    {NULL, 0, 0, 0, 0, NULL},
};

const query_spec page_query[] = {
    {"limit", FT_INTEGER, "Page size, 1 to 200 (default 50)"},
    {"cursor", FT_STRING, "The next_cursor of the previous page"},
    {NULL, 0, NULL},
};

static json_t *user_json(store *db, const user *u)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:b, s:s}", "id", (json_int_t)u->id, "email",
                          u->email, "name", u->name, "roles", api_roles_json(u->roles),
                          "disabled", u->disabled, "locale", u->locale);
    api_iso_time(o, "created_at", u->created_at);
    api_iso_time(o, "updated_at", u->updated_at);
    membership_add_json(db, u->id, o);
    return o;
}

/* Departments, skills and capacity of the body, in a transaction of their own. */
static int save_membership(api_ctx *c, int64_t id, sn_err *e)
{
    json_t *d = json_object_get(c->body, "departments"), *s = json_object_get(c->body, "skills"),
           *cap = json_object_get(c->body, "capacity");
    if (!d && !s && !cap) return 0;
    if (store_begin_write(c->db) < 0 || membership_write(c->db, id, d, s, cap) < 0 ||
        store_commit(c->db) < 0) {
        store_rollback(c->db);
        return sn_fail(e, SN_EDB, NULL, "cannot save departments and skills");
    }
    return 0;
}

static int check_membership(api_ctx *c, sn_err *e)
{
    return membership_check(c->db, json_object_get(c->body, "departments"),
                            json_object_get(c->body, "skills"), json_object_get(c->body, "capacity"), e);
}

/* Read the body into a user_input; roles must all be known and at least one. */
static int user_input_from(api_ctx *c, user_input *in, sn_err *e)
{
    json_t *roles = json_object_get(c->body, "roles"), *disabled = json_object_get(c->body, "disabled");
    in->email = api_body_str(c, "email");
    in->name = api_body_str(c, "name");
    in->password = api_body_str(c, "password");
    if (roles) {
        size_t i;
        json_t *r;
        in->has_roles = 1;
        in->roles = 0;
        json_array_foreach(roles, i, r)
        {
            unsigned bit = role_parse(json_string_value(r));
            if (!bit)
                return sn_fail(e, SN_EUNPROCESSABLE, "roles", "unknown role '%s'",
                               json_string_value(r));
            in->roles |= bit;
        }
        if (!in->roles) return sn_fail(e, SN_EUNPROCESSABLE, "roles", "give at least one role");
    }
    if (disabled) {
        in->has_disabled = 1;
        in->disabled = json_is_true(disabled);
    }
    return 0;
}

int api_users_create(api_ctx *c, sn_err *e)
{
    user_input in = {0};
    user u;
    int rc = user_input_from(c, &in, e);
    if (rc == 0) rc = check_membership(c, e);
    if (rc == 0) rc = user_create(c->db, &c->act, &in, &u, e);
    if (rc == 0) rc = save_membership(c, u.id, e);
    if (rc < 0) return rc;
    char location[64];
    snprintf(location, sizeof location, "/api/v1/users/%" PRId64, u.id);
    http_set_header(c->req, "Location", location);
    http_respond_json(c->req, 201, user_json(c->db, &u));
    return 0;
}

int api_users_list(api_ctx *c, sn_err *e)
{
    int64_t cursor;
    int limit, n;
    user *list;
    int rc = api_page(c, &cursor, &limit, e);
    if (rc == 0) rc = user_list(c->db, cursor, limit + 1, &list, &n, e);
    if (rc < 0) return rc;
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(items, user_json(c->db, &list[i]));
    json_t *out = json_pack("{s:o}", "items", items);
    if (n > limit) {
        char next[24];
        snprintf(next, sizeof next, "%" PRId64, list[limit - 1].id);
        json_object_set_new(out, "next_cursor", json_string(next));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    free(list);
    http_respond_json(c->req, 200, out);
    return 0;
}

int api_users_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    user u;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = user_get(c->db, id, &u, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, user_json(c->db, &u));
    return 0;
}

int api_users_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    user_input in = {0};
    user u;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = user_input_from(c, &in, e);
    if (rc == 0) rc = check_membership(c, e);
    if (rc == 0) rc = user_update(c->db, &c->act, id, &in, &u, e);
    if (rc == 0) rc = save_membership(c, id, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, user_json(c->db, &u));
    return 0;
}
