/* org.c — service lines and departments (admin writes, every signed-in user reads). */
#include "api.h"

#include "../domain/org.h"

const field_spec org_create_fields[] = {
    {"code", FT_STRING, 1, 1, 63, "Short stable key, e.g. annual_returns"},
    {"name_ar", FT_STRING, 1, 1, 200, "Arabic name"},
    {"name_en", FT_STRING, 1, 1, 200, "English name"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec org_update_fields[] = {
    {"name_ar", FT_STRING, 0, 1, 200, "Arabic name"},
    {"name_en", FT_STRING, 0, 1, 200, "English name"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec service_line_update_fields[] = {
    {"name_ar", FT_STRING, 0, 1, 200, "Arabic name"},
    {"name_en", FT_STRING, 0, 1, 200, "English name"},
    {"owners", FT_ARRAY, 0, 0, 0,
     "User ids of the service owners who approve and publish this line's knowledge base articles "
     "(replaces the list)"},
    {NULL, 0, 0, 0, 0, NULL},
};

/* A unit as JSON; a service line also lists its owners. */
static json_t *unit_json(api_ctx *c, enum org_kind kind, const org_unit *u)
{
    json_t *o = org_json(u);
    if (kind == ORG_SERVICE_LINE) json_object_set_new(o, "owners", org_owners_json(c->db, u->id));
    return o;
}

static int create(api_ctx *c, enum org_kind kind, sn_err *e)
{
    org_unit u;
    int rc = org_create(c->db, &c->act, kind, api_body_str(c, "code"), api_body_str(c, "name_ar"),
                        api_body_str(c, "name_en"), &u, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, org_json(&u));
    return 0;
}

static int list(api_ctx *c, enum org_kind kind, sn_err *e)
{
    json_t *items;
    int rc = org_list_json(c->db, kind, &items, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

static int get(api_ctx *c, enum org_kind kind, sn_err *e)
{
    org_unit u;
    int rc = org_get(c->db, kind, c->req->params[0], &u, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, unit_json(c, kind, &u));
    return 0;
}

static int update(api_ctx *c, enum org_kind kind, sn_err *e)
{
    org_unit u;
    json_t *owners = json_object_get(c->body, "owners");
    int rc = org_update(c->db, &c->act, kind, c->req->params[0], api_body_str(c, "name_ar"),
                        api_body_str(c, "name_en"), &u, e);
    if (rc == 0 && owners) rc = org_set_owners(c->db, &c->act, c->req->params[0], owners, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, unit_json(c, kind, &u));
    return 0;
}

int api_service_lines_create(api_ctx *c, sn_err *e) { return create(c, ORG_SERVICE_LINE, e); }
int api_service_lines_list(api_ctx *c, sn_err *e) { return list(c, ORG_SERVICE_LINE, e); }
int api_service_lines_get(api_ctx *c, sn_err *e) { return get(c, ORG_SERVICE_LINE, e); }
int api_service_lines_update(api_ctx *c, sn_err *e) { return update(c, ORG_SERVICE_LINE, e); }
int api_departments_create(api_ctx *c, sn_err *e) { return create(c, ORG_DEPARTMENT, e); }
int api_departments_list(api_ctx *c, sn_err *e) { return list(c, ORG_DEPARTMENT, e); }
int api_departments_get(api_ctx *c, sn_err *e) { return get(c, ORG_DEPARTMENT, e); }
int api_departments_update(api_ctx *c, sn_err *e) { return update(c, ORG_DEPARTMENT, e); }
