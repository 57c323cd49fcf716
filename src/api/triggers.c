/* triggers.c — the HTTP of triggers (admin): create, list in order, read, change, delete.
 * The definition is validated by the domain (domain/trigger.h), which names the bad part in
 * the error's field. */
#include "api.h"

#include "../domain/trigger.h"

const field_spec trigger_create_fields[] = {
    {"name", FT_STRING, 1, 1, 200, "What the trigger is for"},
    {"position", FT_INTEGER, 0, 0, 0,
     "Order of evaluation, lowest first (default: after the last)"},
    {"enabled", FT_BOOLEAN, 0, 0, 0, "Disabled triggers are skipped (default true)"},
    {"event", FT_STRING, 1, 1, 40, "contact.created | conversation.created | conversation.updated"},
    {"conditions", FT_OBJECT, 0, 0, 0,
     "{all: [cond], any: [cond]}; cond = {field, op, value}, field channel | service_line | "
     "priority | status | text | customer_verified | business_hours, op is | is_not | in | "
     "contains"},
    {"actions", FT_ARRAY, 1, 0, 0,
     "[{type: assign_agent (user_id) | assign_queue (service_line) | set_priority (priority) | "
     "add_tag (tag) | send_template (template, lang?) | escalate (department, note?)}]"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec trigger_update_fields[] = {
    {"name", FT_STRING, 0, 1, 200, "What the trigger is for"},
    {"position", FT_INTEGER, 0, 0, 0, "Order of evaluation, lowest first"},
    {"enabled", FT_BOOLEAN, 0, 0, 0, "Disabled triggers are skipped"},
    {"event", FT_STRING, 0, 1, 40, "contact.created | conversation.created | conversation.updated"},
    {"conditions", FT_OBJECT, 0, 0, 0, "{all: [cond], any: [cond]} (replaces the old ones)"},
    {"actions", FT_ARRAY, 0, 0, 0, "[action] (replaces the old ones)"},
    {NULL, 0, 0, 0, 0, NULL},
};

int api_triggers_create(api_ctx *c, sn_err *e)
{
    json_t *o;
    int rc = trigger_create(c->db, &c->act, c->body, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, o);
    return 0;
}

int api_triggers_list(api_ctx *c, sn_err *e)
{
    json_t *items;
    int rc = trigger_list_json(c->db, &items, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

int api_triggers_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = trigger_get_json(c->db, id, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_triggers_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = trigger_update(c->db, &c->act, id, c->body, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_triggers_delete(api_ctx *c, sn_err *e)
{
    int64_t id;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = trigger_delete(c->db, &c->act, id, e);
    if (rc < 0) return rc;
    http_respond_empty(c->req, 204);
    return 0;
}
