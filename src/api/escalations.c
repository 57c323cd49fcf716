/* escalations.c — department tickets: list (department staff: their departments only), read,
 * reply to the agent, resolve. */
#include "api.h"

#include "../domain/escalation.h"

#include <inttypes.h>
#include <stdio.h>

const field_spec escalation_reply_fields[] = {
    {"body", FT_STRING, 1, 1, 100000, "The department's answer to the agent"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec escalation_update_fields[] = {
    {"status", FT_STRING, 1, 0, 0, "open | resolved"},
    {NULL, 0, 0, 0, 0, NULL},
};

const query_spec escalation_query[] = {
    {"status", FT_STRING, "open | resolved"},
    {"limit", FT_INTEGER, "Page size, 1 to 200 (default 50)"},
    {"cursor", FT_STRING, "The next_cursor of the previous page"},
    {NULL, 0, NULL},
};

int api_escalations_list(api_ctx *c, sn_err *e)
{
    int64_t cursor;
    int limit, more;
    json_t *items;
    const char *status = http_query(c->req, "status");
    int rc = api_page(c, &cursor, &limit, e);
    if (rc == 0)
        rc = escalation_list_json(c->db, &c->act, status ? status : "", cursor, limit, &items, &more, e);
    if (rc < 0) return rc;
    json_t *out = json_pack("{s:o}", "items", items);
    if (more) {
        char next[24];
        snprintf(next, sizeof next, "%" PRId64,
                 (int64_t)json_integer_value(json_object_get(json_array_get(items, json_array_size(items) - 1), "id")));
        json_object_set_new(out, "next_cursor", json_string(next));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    http_respond_json(c->req, 200, out);
    return 0;
}

int api_escalations_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = escalation_get_json(c->db, &c->act, id, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_escalations_reply(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = escalation_reply(c->db, &c->act, id, api_body_str(c, "body"), &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, o);
    return 0;
}

int api_escalations_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = escalation_set_status(c->db, &c->act, id, api_body_str(c, "status"), &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}
