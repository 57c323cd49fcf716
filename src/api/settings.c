/* settings.c — business hours (calendars), SLA policies, routing queues, approved templates,
 * and the caller's availability (PATCH /api/v1/me). */
#include "api.h"

#include "../domain/routing.h"
#include "../domain/sla.h"
#include "../domain/template.h"
#include "../domain/user.h"

#include <stdlib.h>

const field_spec calendar_fields[] = {
    {"timezone", FT_STRING, 0, 1, 63, "IANA time zone, e.g. Asia/Riyadh"},
    {"weekly", FT_ARRAY, 0, 0, 0, "[{day 0-6 (0 = Sunday), start HH:MM, end HH:MM}]"},
    {"holidays", FT_ARRAY, 0, 0, 0, "[{date YYYY-MM-DD, name}]"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec sla_policy_fields[] = {
    {"service_line", FT_STRING, 0, 0, 63, "Service line code, or absent for any"},
    {"priority", FT_STRING, 0, 0, 16, "low | normal | high | urgent, or absent for any"},
    {"first_response_minutes", FT_INTEGER, 0, 0, 0, "Business minutes to the first reply"},
    {"resolution_minutes", FT_INTEGER, 0, 0, 0, "Business minutes to resolution"},
    {"calendar", FT_STRING, 0, 1, 63, "Calendar id (default: default)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec queue_fields[] = {
    {"service_line", FT_STRING, 0, 1, 63, "Service line code (required on create)"},
    {"channel", FT_STRING, 0, 0, 16, "Only this channel; empty for all"},
    {"policy", FT_STRING, 0, 0, 16, "manual | round_robin | least_open"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec template_fields[] = {
    {"code", FT_STRING, 0, 1, 64, "Stable key (required on create; a-z 0-9 _ -)"},
    {"title", FT_STRING, 0, 1, 200, "What the template is for"},
    {"bodies", FT_OBJECT, 0, 0, 0, "{ar, en}: the text in each language, with {{placeholders}}"},
    {"variants", FT_OBJECT, 0, 0, 0, "{x?, sms?}: shorter texts for those channels"},
    {"state", FT_STRING, 0, 0, 16, "draft | retired (approve with POST …/approve)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec me_update_fields[] = {
    {"availability", FT_STRING, 0, 0, 16, "online | away | offline"},
    {"locale", FT_STRING, 0, 2, 2, "ar | en: the interface language, remembered per user"},
    {NULL, 0, 0, 0, 0, NULL},
};

const query_spec template_query[] = {
    {"state", FT_STRING, "draft | approved | retired"},
    {NULL, 0, NULL},
};

int api_calendars_get(api_ctx *c, sn_err *e)
{
    bh_calendar cal;
    int rc = sla_calendar_load(c->db, c->req->params[0], &cal, e);
    if (rc < 0) return rc;
    json_t *o = bh_to_json(&cal);
    json_object_set_new(o, "id", json_string(c->req->params[0]));
    bh_fini(&cal);
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_calendars_update(api_ctx *c, sn_err *e)
{
    bh_calendar cal;
    int rc = sla_calendar_save(c->db, &c->act, c->req->params[0], c->body, &cal, e);
    if (rc < 0) return rc;
    json_t *o = bh_to_json(&cal);
    json_object_set_new(o, "id", json_string(c->req->params[0]));
    bh_fini(&cal);
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_sla_policies_list(api_ctx *c, sn_err *e)
{
    sla_policy *list;
    int n, rc = sla_policy_list(c->db, &list, &n, e);
    if (rc < 0) return rc;
    json_t *items = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(items, sla_policy_json(&list[i]));
    free(list);
    json_t *def = json_pack("{s:i, s:i, s:s}", "first_response_minutes", SLA_DEFAULT_FIRST_MIN,
                            "resolution_minutes", SLA_DEFAULT_RESOLUTION_MIN, "calendar", "default");
    http_respond_json(c->req, 200, json_pack("{s:o, s:o, s:n}", "items", items, "default", def, "next_cursor"));
    return 0;
}

int api_sla_policies_create(api_ctx *c, sn_err *e)
{
    sla_policy p;
    int rc = sla_policy_save(c->db, &c->act, 0, c->body, &p, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, sla_policy_json(&p));
    return 0;
}

int api_sla_policies_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    sla_policy p;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = sla_policy_save(c->db, &c->act, id, c->body, &p, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, sla_policy_json(&p));
    return 0;
}

int api_queues_list(api_ctx *c, sn_err *e)
{
    json_t *items;
    int rc = queue_list_json(c->db, &items, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

int api_queues_create(api_ctx *c, sn_err *e)
{
    json_t *o;
    int rc = queue_save(c->db, &c->act, 0, c->body, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, o);
    return 0;
}

int api_queues_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = queue_save(c->db, &c->act, id, c->body, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_templates_list(api_ctx *c, sn_err *e)
{
    json_t *items;
    const char *state = http_query(c->req, "state");
    int rc = template_list_json(c->db, state ? state : "", &items, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

int api_templates_create(api_ctx *c, sn_err *e)
{
    json_t *o;
    if (!api_body_str(c, "code")) return sn_fail_slug(e, SN_EUNPROCESSABLE, "missing_field", "code", "'code' is required");
    int rc = template_save(c->db, &c->act, NULL, c->body, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, o);
    return 0;
}

int api_templates_get(api_ctx *c, sn_err *e)
{
    json_t *o;
    int rc = template_get_json(c->db, c->req->params[0], &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_templates_update(api_ctx *c, sn_err *e)
{
    json_t *o;
    if (json_object_get(c->body, "code"))
        return sn_fail(e, SN_EUNPROCESSABLE, "code", "a template's code cannot change");
    int rc = template_save(c->db, &c->act, c->req->params[0], c->body, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_templates_approve(api_ctx *c, sn_err *e)
{
    json_t *o;
    int rc = template_approve(c->db, &c->act, c->req->params[0], &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_me_update(api_ctx *c, sn_err *e)
{
    const char *availability = api_body_str(c, "availability"), *locale = api_body_str(c, "locale");
    int rc = locale ? user_set_locale(c->db, &c->act, c->who.user_id, locale, e) : 0;
    if (rc == 0 && availability)
        rc = routing_set_availability(c->db, &c->act, c->who.user_id, availability, e);
    if (rc < 0) return rc;
    return api_me_get(c, e);
}
