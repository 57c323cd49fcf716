/* audit.c — GET /api/v1/audit: search the audit log (admin only). */
#include "api.h"

#include "../domain/audit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

const query_spec audit_query[] = {
    {"actor", FT_INTEGER, "Only rows by this user id"},
    {"action", FT_STRING, "Only this action, e.g. auth.login"},
    {"object_type", FT_STRING, "Only rows about this kind of object, e.g. user"},
    {"object_id", FT_STRING, "Only rows about this object id"},
    {"limit", FT_INTEGER, "Page size, 1 to 200 (default 50)"},
    {"cursor", FT_STRING, "The next_cursor of the previous page"},
    {NULL, 0, NULL},
};

static const char *query_or_empty(api_ctx *c, const char *name)
{
    const char *v = http_query(c->req, name);
    return v ? v : "";
}

static json_t *audit_json(const audit_row *r)
{
    json_error_t jerr;
    json_t *detail = json_loads(r->detail, 0, &jerr);
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)r->id,
                          "seq", (json_int_t)r->seq, "actor", r->actor, "action", r->action,
                          "object_type", r->object_type, "object_id", r->object_id, "ip", r->ip,
                          "request_id", r->request_id, "detail", detail ? detail : json_object());
    api_iso_time(o, "at", r->at);
    json_object_set_new(o, "actor_id", r->actor_id ? json_integer(r->actor_id) : json_null());
    return o;
}

int api_audit_list(api_ctx *c, sn_err *e)
{
    audit_filter f = {0};
    int rc = api_page(c, &f.before_seq, &f.limit, e);
    if (rc < 0) return rc;
    const char *actor_q = query_or_empty(c, "actor");
    if (*actor_q) {
        char *end;
        errno = 0;
        f.actor_id = strtoll(actor_q, &end, 10);
        if (errno || *end || f.actor_id <= 0)
            return sn_fail(e, SN_EINVALID, "actor", "actor must be a user id");
    }
    f.action = query_or_empty(c, "action");
    f.object_type = query_or_empty(c, "object_type");
    f.object_id = query_or_empty(c, "object_id");
    int limit = f.limit, n;
    f.limit = limit + 1;
    audit_row *rows;
    if ((rc = audit_list(c->db, &f, &rows, &n, e)) < 0) return rc;
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(items, audit_json(&rows[i]));
    json_t *out = json_pack("{s:o}", "items", items);
    if (n > limit) {
        char next[24];
        snprintf(next, sizeof next, "%" PRId64, rows[limit - 1].seq);
        json_object_set_new(out, "next_cursor", json_string(next));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    audit_rows_free(rows, n);
    http_respond_json(c->req, 200, out);
    return 0;
}
