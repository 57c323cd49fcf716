/* documents.c — the HTTP of required documents: each service line's document types (admin
 * writes, any signed-in user reads), the documents citizens submitted to a conversation (staff who
 * may see it; audited), their download (audited; attachment, nosniff) and their review. The
 * citizens' side is the portal module src/portal/documents.c. */
#include "api.h"

#include "../domain/document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const field_spec doctype_create_fields[] = {
    {"name_ar", FT_STRING, 1, 1, 200, "Arabic name, e.g. صورة الهوية الوطنية"},
    {"name_en", FT_STRING, 0, 0, 200, "English name"},
    {"mandatory", FT_BOOLEAN, 0, 0, 0, "Must be uploaded (default true)"},
    {"allowed_types", FT_STRING_ARRAY, 0, 0, 0,
     "Content types decided by content (default: the attachment-types setting, "
     "application/pdf, image/jpeg, image/png)"},
    {"max_bytes", FT_INTEGER, 0, 0, 0, "Largest file (default: attachment-max-bytes, 10 MB)"},
    {"position", FT_INTEGER, 0, 0, 0, "Order on the upload page (ascending)"},
    {"active", FT_BOOLEAN, 0, 0, 0, "Asked for on the upload page (default true)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec doctype_update_fields[] = {
    {"name_ar", FT_STRING, 0, 1, 200, "Arabic name"},
    {"name_en", FT_STRING, 0, 0, 200, "English name"},
    {"mandatory", FT_BOOLEAN, 0, 0, 0, "Must be uploaded"},
    {"allowed_types", FT_STRING_ARRAY, 0, 0, 0, "Content types decided by content"},
    {"max_bytes", FT_INTEGER, 0, 0, 0, "Largest file in bytes"},
    {"position", FT_INTEGER, 0, 0, 0, "Order on the upload page"},
    {"active", FT_BOOLEAN, 0, 0, 0, "false: no longer asked for"},
    {NULL, 0, 0, 0, 0, NULL},
};

const query_spec doctype_query[] = {
    {"all", FT_STRING, "true: inactive types too"},
    {NULL, 0, NULL},
};

const field_spec doc_review_fields[] = {
    {"decision", FT_STRING, 1, 1, 16, "accept | reject"},
    {"reason_template", FT_STRING, 0, 0, 64,
     "Code of an approved template: the reason the citizen reads (required to reject)"},
    {"note", FT_STRING, 0, 0, 2000, "Internal note (never sent to the citizen)"},
    {NULL, 0, 0, 0, 0, NULL},
};

/* allowed_types as one comma-separated string (NULL when absent); 422 when not strings. */
static int types_of(api_ctx *c, char *out, size_t cap, const char **result, sn_err *e)
{
    json_t *a = json_object_get(c->body, "allowed_types");
    *result = NULL;
    if (!a) return 0;
    size_t i, n = 0;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(a, i, v)
    {
        const char *t = json_string_value(v);
        size_t len = strlen(t);
        if (n + len + 2 >= cap)
            return sn_fail(e, SN_EUNPROCESSABLE, "allowed_types", "too many types");
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", t);
    }
    if (!doctype_types_valid(out))
        return sn_fail(e, SN_EUNPROCESSABLE, "allowed_types",
                       "allowed_types must be MIME types such as application/pdf");
    *result = out;
    return 0;
}

static int fields_of(api_ctx *c, doctype_fields *f, char *types, size_t cap, sn_err *e)
{
    memset(f, 0, sizeof *f);
    f->name_ar = api_body_str(c, "name_ar");
    f->name_en = api_body_str(c, "name_en");
    json_t *v;
    if ((v = json_object_get(c->body, "mandatory")))
        f->has_mandatory = 1, f->mandatory = json_is_true(v);
    if ((v = json_object_get(c->body, "active"))) f->has_active = 1, f->active = json_is_true(v);
    if ((v = json_object_get(c->body, "position")))
        f->has_position = 1, f->position = (int)json_integer_value(v);
    if ((v = json_object_get(c->body, "max_bytes")))
        f->has_max_bytes = 1, f->max_bytes = json_integer_value(v);
    return types_of(c, types, cap, &f->allowed_types, e);
}

int api_doctypes_create(api_ctx *c, sn_err *e)
{
    doctype_fields f;
    char types[520];
    int rc = fields_of(c, &f, types, sizeof types, e);
    if (rc < 0) return rc;
    if (!f.allowed_types) f.allowed_types = c->cfg->attachment_types;
    if (!f.has_max_bytes) f.has_max_bytes = 1, f.max_bytes = c->cfg->attachment_max_bytes;
    json_t *out;
    if ((rc = doctype_create(c->db, &c->act, c->req->params[0], &f, &out, e)) < 0) return rc;
    http_respond_json(c->req, 201, out);
    return 0;
}

int api_doctypes_list(api_ctx *c, sn_err *e)
{
    json_t *items;
    const char *all = http_query(c->req, "all");
    int rc = doctype_list_json(c->db, c->req->params[0], !(all && !strcmp(all, "true")), &items, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

int api_doctypes_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    doctype_fields f;
    char types[520];
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = fields_of(c, &f, types, sizeof types, e);
    json_t *out;
    if (rc == 0) rc = doctype_update(c->db, &c->act, id, &f, &out, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, out);
    return 0;
}

static void iso_fields(json_t *o)
{
    static const char *const keys[] = {"reviewed_at", "created_at"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(o, keys[i]);
        if (json_is_integer(v)) api_iso_time(o, keys[i], json_integer_value(v));
    }
}

int api_conversation_documents(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *items;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = doc_list_json(c->db, &c->act, id, &items, e);
    if (rc < 0) return rc;
    size_t i;
    json_t *d;
    json_array_foreach(items, i, d) iso_fields(d);
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

/* The absolute URL of the citizens' documents page, for the notice. */
static void portal_url(api_ctx *c, char *out, size_t cap)
{
    const char *host = http_header_get(c->req, "Host");
    if (c->cfg->public_url[0])
        snprintf(out, cap, "%s/documents", c->cfg->public_url);
    else if (host && *host && strlen(host) < 200 && !strpbrk(host, " \r\n/\\@"))
        snprintf(out, cap, "http://%s/documents", host);
    else
        snprintf(out, cap, "http://%s/documents", c->cfg->listen);
}

int api_documents_review(api_ctx *c, sn_err *e)
{
    int64_t id;
    char url[600];
    portal_url(c, url, sizeof url);
    doc_review_input in = {api_body_str(c, "decision"), api_body_str(c, "reason_template"),
                           api_body_str(c, "note"), url};
    json_t *out;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = doc_review(c->db, &c->act, id, &in, &out, e);
    if (rc < 0) return rc;
    iso_fields(out);
    http_respond_json(c->req, 200, out);
    return 0;
}

int api_documents_file(api_ctx *c, sn_err *e)
{
    int64_t id;
    attachment_row a;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = doc_file_row(c->db, &c->act, id, &a, e);
    return rc < 0 ? rc : api_respond_stored_file(c, &a, "document", e);
}
