/* auth.c — sign in and out, the current user, and the caller's API tokens. */
#include "api.h"

#include "../domain/membership.h"
#include "../domain/user.h"

#include <stdio.h>
#include <stdlib.h>

const field_spec login_fields[] = {
    {"email", FT_STRING, 1, 1, 254, "The user's email address"},
    {"password", FT_STRING, 1, 1, 1024, "The password"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec token_create_fields[] = {
    {"name", FT_STRING, 1, 1, 127, "What the token is for, e.g. the integration's name"},
    {NULL, 0, 0, 0, 0, NULL},
};

static json_t *session_json(int64_t id, const char *email, const char *name, unsigned roles,
                            const char *csrf)
{
    json_t *u = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)id, "email", email, "name",
                             name, "roles", api_roles_json(roles));
    json_t *out = json_pack("{s:o}", "user", u);
    json_object_set_new(out, "csrf_token", csrf && *csrf ? json_string(csrf) : json_null());
    return out;
}

static void set_session_cookie(api_ctx *c, const char *value, long max_age)
{
    char cookie[256];
    snprintf(cookie, sizeof cookie, "sanad_session=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%ld%s",
             value, max_age, c->cfg->secure_cookies ? "; Secure" : "");
    http_set_header(c->req, "Set-Cookie", cookie);
}

int api_auth_login(api_ctx *c, sn_err *e)
{
    session_new s;
    int rc = session_login(c->db, api_body_str(c, "email"), api_body_str(c, "password"), &c->act,
                           &s, e);
    if (rc < 0) return rc;
    c->req->user_id = s.who.id;
    set_session_cookie(c, s.token, (long)c->cfg->session_absolute_hours * 3600);
    http_respond_json(c->req, 200, session_json(s.who.id, s.who.email, s.who.name, s.who.roles,
                                                s.csrf));
    return 0;
}

int api_auth_logout(api_ctx *c, sn_err *e)
{
    if (c->who.session_id && session_end(c->db, &c->act, c->who.session_id) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot sign out");
    set_session_cookie(c, "", 0);
    http_respond_empty(c->req, 204);
    return 0;
}

/* The signed-in user with what the workspace needs: departments, skills, capacity,
 * availability and the interface language. */
int api_me_get(api_ctx *c, sn_err *e)
{
    user u;
    int rc = user_get(c->db, c->who.user_id, &u, e);
    if (rc < 0) return rc;
    json_t *o = session_json(c->who.user_id, c->who.email, c->who.name, c->who.roles, c->who.csrf);
    json_t *me = json_object_get(o, "user");
    json_object_set_new(me, "locale", json_string(u.locale));
    if (membership_add_json(c->db, c->who.user_id, me) < 0) {
        json_decref(o);
        return sn_fail(e, SN_EDB, NULL, "cannot read the user");
    }
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_staff_list(api_ctx *c, sn_err *e)
{
    json_t *items;
    int rc = membership_directory_json(c->db, &items, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

static json_t *token_json(const api_token *t)
{
    json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)t->id, "name", t->name);
    api_iso_time(o, "created_at", t->created_at);
    api_iso_time(o, "last_used_at", t->last_used_at);
    return o;
}

int api_tokens_create(api_ctx *c, sn_err *e)
{
    api_token t;
    char secret[96];
    int rc = token_create(c->db, &c->act, api_body_str(c, "name"), &t, secret, sizeof secret, e);
    if (rc < 0) return rc;
    json_t *o = token_json(&t);
    json_object_set_new(o, "token", json_string(secret));
    http_respond_json(c->req, 201, o);
    return 0;
}

int api_tokens_list(api_ctx *c, sn_err *e)
{
    api_token *list;
    int n, rc = token_list(c->db, c->who.user_id, &list, &n, e);
    if (rc < 0) return rc;
    json_t *items = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(items, token_json(&list[i]));
    free(list);
    http_respond_json(c->req, 200, json_pack("{s:o}", "items", items));
    return 0;
}

int api_tokens_revoke(api_ctx *c, sn_err *e)
{
    int64_t id;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = token_revoke(c->db, &c->act, id, e);
    if (rc < 0) return rc;
    http_respond_empty(c->req, 204);
    return 0;
}
