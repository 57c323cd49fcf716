/* webhooks.c — outgoing webhooks (admin only): create, list, read, change, delete, and the
 * recent deliveries of one. The secret is accepted, never shown. */
#include "api.h"

#include "../domain/webhook.h"

#include <inttypes.h>
#include <stdio.h>

const field_spec webhook_create_fields[] = {
    {"url", FT_STRING, 1, 1, 2048,
     "http(s) URL that receives the POSTs; not private unless "
     "webhook-allow-private is set"},
    {"events", FT_STRING_ARRAY, 1, 0, 0,
     "Event names (conversation.created, conversation.updated, contact.joined, message.created, "
     "escalation.created, escalation.updated, agent.availability) or \"*\" for all"},
    {"secret", FT_STRING, 1, WEBHOOK_SECRET_MIN, 256,
     "HMAC-SHA256 key of X-Sanad-Signature; write-only"},
    {"enabled", FT_BOOLEAN, 0, 0, 0, "Deliver events (default true)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec webhook_update_fields[] = {
    {"url", FT_STRING, 0, 1, 2048, "http(s) URL that receives the POSTs"},
    {"events", FT_STRING_ARRAY, 0, 0, 0, "Event names or \"*\""},
    {"secret", FT_STRING, 0, WEBHOOK_SECRET_MIN, 256, "New HMAC-SHA256 key; write-only"},
    {"enabled", FT_BOOLEAN, 0, 0, 0, "false pauses deliveries (queued ones are dropped)"},
    {NULL, 0, 0, 0, 0, NULL},
};

static webhook_fields fields_of(api_ctx *c, int enabled_default)
{
    json_t *enabled = json_object_get(c->body, "enabled");
    webhook_fields in = {api_body_str(c, "url"), json_object_get(c->body, "events"),
                         api_body_str(c, "secret"),
                         enabled ? json_is_true(enabled) : enabled_default};
    return in;
}

int api_webhooks_create(api_ctx *c, sn_err *e)
{
    json_t *o;
    webhook_fields in = fields_of(c, 1);
    int rc = webhook_create(c->db, &c->act, &in, c->cfg->webhook_allow_private, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, o);
    return 0;
}

int api_webhooks_list(api_ctx *c, sn_err *e)
{
    json_t *items;
    int rc = webhook_list_json(c->db, &items, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

int api_webhooks_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = webhook_get_json(c->db, id, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_webhooks_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    webhook_fields in = fields_of(c, -1);
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = webhook_update(c->db, &c->act, id, &in, c->cfg->webhook_allow_private, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_webhooks_delete(api_ctx *c, sn_err *e)
{
    int64_t id;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = webhook_delete(c->db, &c->act, id, e);
    if (rc < 0) return rc;
    http_respond_empty(c->req, 204);
    return 0;
}

int api_webhooks_deliveries(api_ctx *c, sn_err *e)
{
    int64_t id, cursor;
    int limit, more;
    json_t *items;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = api_page(c, &cursor, &limit, e);
    if (rc == 0) rc = webhook_deliveries_json(c->db, id, cursor, limit, &items, &more, e);
    if (rc < 0) return rc;
    json_t *out = json_pack("{s:o}", "items", items);
    if (more) {
        char next[24];
        json_t *last = json_array_get(items, json_array_size(items) - 1);
        snprintf(next, sizeof next, "%" PRId64,
                 (int64_t)json_integer_value(json_object_get(last, "id")));
        json_object_set_new(out, "next_cursor", json_string(next));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    http_respond_json(c->req, 200, out);
    return 0;
}
