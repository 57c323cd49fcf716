/* openapi.c — the OpenAPI 3.1 document, generated from the route table: every route with its
 * roles (x-roles), request body fields, query and path parameters, success schema and the
 * error envelope. Component schemas of response bodies are written out below. */
#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#ifndef SANAD_VERSION
#define SANAD_VERSION "dev"
#endif

/* Response schemas, one row each: name → JSON Schema text. */
#define T(x) "{\"type\":\"" x "\"}"
#define NT(x) "{\"type\":[\"" x "\",\"null\"]}"
#define TIME "{\"type\":\"string\",\"format\":\"date-time\"}"
#define NTIME "{\"type\":[\"string\",\"null\"],\"format\":\"date-time\"}"
#define REF(x) "{\"$ref\":\"#/components/schemas/" x "\"}"
#define LIST(x) "{\"type\":\"object\",\"properties\":{\"items\":{\"type\":\"array\",\"items\":" \
    REF(x) "},\"next_cursor\":" NT("string") "}}"
#define OBJ(props) "{\"type\":\"object\",\"properties\":{" props "}}"

static const struct {
    const char *name, *schema;
} components[] = {
    {"Error", "{\"type\":\"object\",\"required\":[\"error\"],\"properties\":{\"error\":{"
              "\"type\":\"object\",\"required\":[\"code\",\"message\",\"field\"],\"properties\":{"
              "\"code\":{\"type\":\"string\",\"description\":\"machine-readable slug\"},"
              "\"message\":{\"type\":\"string\"},"
              "\"field\":{\"type\":\"string\",\"description\":\"the offending field, or empty\"}}}}}"},
    {"Health", OBJ("\"status\":" T("string") ",\"db\":{\"type\":\"string\",\"enum\":[\"sqlite\","
                   "\"postgres\"]},\"version\":" T("string"))},
    {"Role", "{\"type\":\"string\",\"enum\":[\"admin\",\"supervisor\",\"agent\","
             "\"department_staff\",\"service_owner\",\"qa_evaluator\"]}"},
    {"User", OBJ("\"id\":" T("integer") ",\"email\":" T("string") ",\"name\":" T("string")
                 ",\"roles\":{\"type\":\"array\",\"items\":" REF("Role") "},\"disabled\":"
                 T("boolean") ",\"locale\":" T("string") ",\"departments\":{\"type\":\"array\","
                 "\"items\":" T("string") "},\"skills\":{\"type\":\"array\",\"items\":" T("string")
                 "},\"capacity\":" T("integer") ",\"availability\":" T("string") ",\"created_at\":"
                 TIME ",\"updated_at\":" TIME)},
    {"UserList", LIST("User")},
    {"StaffMember", OBJ("\"id\":" T("integer") ",\"name\":" T("string") ",\"roles\":{\"type\":"
                        "\"array\",\"items\":" REF("Role") "},\"availability\":" T("string")
                        ",\"departments\":{\"type\":\"array\",\"items\":" T("string") "}")},
    {"StaffList", LIST("StaffMember")},
    {"Session", OBJ("\"user\":" OBJ("\"id\":" T("integer") ",\"email\":" T("string") ",\"name\":"
                    T("string") ",\"roles\":{\"type\":\"array\",\"items\":" REF("Role") "}")
                    ",\"csrf_token\":" NT("string"))},
    {"Token", OBJ("\"id\":" T("integer") ",\"name\":" T("string") ",\"created_at\":" TIME
                  ",\"last_used_at\":" NTIME)},
    {"NewToken", "{\"allOf\":[" REF("Token") "," OBJ("\"token\":{\"type\":\"string\","
                 "\"description\":\"shown only once\"}") "]}"},
    {"TokenList", LIST("Token")},
    {"AuditRow", OBJ("\"id\":" T("integer") ",\"seq\":" T("integer") ",\"at\":" TIME
                     ",\"actor_id\":" NT("integer") ",\"actor\":" T("string") ",\"action\":"
                     T("string") ",\"object_type\":" T("string") ",\"object_id\":" T("string")
                     ",\"ip\":" T("string") ",\"request_id\":" T("string") ",\"detail\":"
                     T("object"))},
    {"AuditList", LIST("AuditRow")},
    {"OrgUnit", OBJ("\"id\":" T("integer") ",\"code\":" T("string") ",\"name_ar\":" T("string")
                    ",\"name_en\":" T("string"))},
    {"OrgUnitList", LIST("OrgUnit")},
    {"Customer", OBJ("\"id\":" T("integer") ",\"name\":" T("string") ",\"verified\":" T("boolean")
                     ",\"national_id\":" NT("string") ",\"cr_number\":" NT("string") ",\"phones\":"
                     "{\"type\":\"array\",\"items\":" T("string") "},\"emails\":{\"type\":\"array\","
                     "\"items\":" T("string") "},\"x_handle\":" NT("string") ",\"masked\":"
                     T("boolean"))},
    {"CustomerList", LIST("Customer")},
    {"ContactResult", OBJ("\"contact_id\":" T("integer") ",\"conversation_id\":" T("integer")
                          ",\"conversation_number\":" T("string") ",\"joined\":" T("boolean")
                          ",\"customer_id\":" T("integer"))},
    {"Conversation", OBJ("\"id\":" T("integer") ",\"number\":" T("string") ",\"status\":"
                         "{\"type\":\"string\",\"enum\":[\"open\",\"pending\",\"solved\",\"closed\"]}"
                         ",\"channel\":" T("string") ",\"customer\":" REF("Customer")
                         ",\"service_line\":" NT("string") ",\"subject\":" T("string")
                         ",\"assignee_id\":" NT("integer") ",\"priority\":" T("string") ",\"tags\":"
                         "{\"type\":\"array\",\"items\":" T("string") "},\"first_response_due_at\":"
                         NTIME ",\"resolution_due_at\":" NTIME ",\"sla_breached\":" T("boolean")
                         ",\"resolved_first_contact\":" NT("boolean") ",\"timeline\":{\"type\":"
                         "\"array\",\"items\":" T("object") "}")},
    {"ConversationList", LIST("Conversation")},
    {"Escalation", OBJ("\"id\":" T("integer") ",\"conversation_id\":" T("integer")
                       ",\"conversation_number\":" T("string") ",\"department\":" T("string")
                       ",\"status\":" T("string") ",\"note\":" T("string") ",\"due_at\":" NTIME
                       ",\"sla_breached\":" T("boolean") ",\"replies\":{\"type\":\"array\","
                       "\"items\":" T("object") "}")},
    {"EscalationList", LIST("Escalation")},
    {"Calendar", OBJ("\"id\":" T("string") ",\"timezone\":" T("string") ",\"weekly\":{\"type\":"
                     "\"array\",\"items\":" OBJ("\"day\":" T("integer") ",\"start\":" T("string")
                     ",\"end\":" T("string")) "},\"holidays\":{\"type\":\"array\",\"items\":"
                     OBJ("\"date\":" T("string") ",\"name\":" T("string")) "}")},
    {"SlaPolicy", OBJ("\"id\":" T("integer") ",\"service_line\":" NT("string") ",\"priority\":"
                      NT("string") ",\"first_response_minutes\":" T("integer")
                      ",\"resolution_minutes\":" T("integer") ",\"calendar\":" T("string"))},
    {"SlaPolicyList", LIST("SlaPolicy")},
    {"Queue", OBJ("\"id\":" T("integer") ",\"service_line\":" T("string") ",\"channel\":"
                  T("string") ",\"policy\":{\"type\":\"string\",\"enum\":[\"manual\","
                  "\"round_robin\",\"least_open\"]}")},
    {"QueueList", LIST("Queue")},
    {"Template", OBJ("\"code\":" T("string") ",\"title\":" T("string") ",\"bodies\":"
                     OBJ("\"ar\":" T("string") ",\"en\":" T("string")) ",\"variants\":"
                     T("object") ",\"state\":{\"type\":\"string\",\"enum\":[\"draft\","
                     "\"approved\",\"retired\"]},\"uses\":" T("integer"))},
    {"TemplateList", LIST("Template")},
    {"DocumentType", OBJ("\"id\":" T("integer") ",\"service_line\":" T("string") ",\"name_ar\":"
                         T("string") ",\"name_en\":" T("string") ",\"mandatory\":" T("boolean")
                         ",\"allowed_types\":{\"type\":\"array\",\"items\":" T("string")
                         "},\"max_bytes\":" T("integer") ",\"position\":" T("integer")
                         ",\"active\":" T("boolean"))},
    {"DocumentTypeList", LIST("DocumentType")},
    {"Document", OBJ("\"id\":" T("integer") ",\"reference\":" T("string") ",\"type\":"
                     OBJ("\"id\":" T("integer") ",\"name_ar\":" T("string") ",\"name_en\":"
                         T("string") ",\"mandatory\":" T("boolean"))
                     ",\"status\":{\"type\":\"string\",\"enum\":[\"pending\",\"accepted\","
                     "\"rejected\",\"replaced\"]},\"filename\":" T("string") ",\"content_type\":"
                     T("string") ",\"size\":" T("integer") ",\"attachment_id\":" T("integer")
                     ",\"url\":" T("string") ",\"reason_template\":" T("string")
                     ",\"reason_text\":" T("string") ",\"note\":" T("string") ",\"reviewed_by\":"
                     NT("integer") ",\"reviewed_at\":" NTIME ",\"replaces_id\":" NT("integer")
                     ",\"created_at\":" TIME ",\"scan\":" T("string"))},
    {"DocumentList", LIST("Document")},
};

static const struct {
    int status;
    const char *description;
} error_statuses[] = {
    {400, "Malformed request: invalid JSON, unknown field or wrong type"},
    {401, "Not signed in"},
    {403, "Role not allowed, or CSRF token missing"},
    {404, "Not found"},
    {409, "Conflict with existing data"},
    {413, "Body too large"},
    {415, "Body is not application/json"},
    {422, "Validation failed"},
    {429, "Too many attempts; see Retry-After"},
};

static json_t *field_schema(const field_spec *f)
{
    json_t *s;
    switch (f->type) {
    case FT_STRING: s = json_pack("{s:s}", "type", "string"); break;
    case FT_INTEGER: s = json_pack("{s:s}", "type", "integer"); break;
    case FT_BOOLEAN: s = json_pack("{s:s}", "type", "boolean"); break;
    case FT_OBJECT: s = json_pack("{s:s}", "type", "object"); break;
    case FT_ARRAY: s = json_pack("{s:s, s:{}}", "type", "array", "items"); break;
    default: s = json_pack("{s:s, s:{s:s}}", "type", "array", "items", "type", "string"); break;
    }
    if (f->type == FT_STRING && f->min) json_object_set_new(s, "minLength", json_integer(f->min));
    if (f->type == FT_STRING && f->max) json_object_set_new(s, "maxLength", json_integer(f->max));
    if (f->description) json_object_set_new(s, "description", json_string(f->description));
    return s;
}

static json_t *body_schema(const field_spec *fields)
{
    json_t *props = json_object(), *required = json_array();
    for (const field_spec *f = fields; f->name; f++) {
        json_object_set_new(props, f->name, field_schema(f));
        if (f->required) json_array_append_new(required, json_string(f->name));
    }
    json_t *s = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props,
                          "additionalProperties", 0);
    if (json_array_size(required))
        json_object_set_new(s, "required", required);
    else
        json_decref(required);
    return s;
}

static json_t *parameters(const api_route *r)
{
    json_t *params = json_array();
    for (const char *p = strchr(r->pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end) break;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:{s:s}}", "name", name, "in",
                                                "path", "required", 1, "schema", "type", "string"));
    }
    for (const query_spec *q = r->query; q && q->name; q++)
        json_array_append_new(params, json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "name", q->name,
                                                "in", "query", "required", 0, "description",
                                                q->description, "schema", "type",
                                                q->type == FT_INTEGER ? "integer" : "string"));
    return params;
}

static json_t *success_response(const api_route *r)
{
    json_t *resp = json_pack("{s:s}", "description", "Success");
    if (r->status == 204) return resp;
    json_t *schema;
    const char *ctype = "application/json";
    if (r->response) {
        char ref[96];
        snprintf(ref, sizeof ref, "#/components/schemas/%s", r->response);
        schema = json_pack("{s:s}", "$ref", ref);
    } else if (!strcmp(r->pattern, "/metrics")) {
        ctype = "text/plain";
        schema = json_pack("{s:s}", "type", "string");
    } else {
        schema = json_pack("{s:s}", "type", "object");
    }
    json_object_set_new(resp, "content", json_pack("{s:{s:o}}", ctype, "schema", schema));
    return resp;
}

/* operationId: method + path words, e.g. patch_api_v1_users_id. */
static void operation_id(const api_route *r, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = r->method; *p && n + 1 < size; p++) out[n++] = (char)tolower(*p);
    for (const char *p = r->pattern; *p && n + 1 < size; p++) {
        char ch = *p;
        if (ch == '{' || ch == '}') continue;
        out[n++] = isalnum((unsigned char)ch) ? ch : '_';
    }
    out[n] = '\0';
}

static json_t *operation(const api_route *r)
{
    char opid[128];
    operation_id(r, opid, sizeof opid);
    json_t *responses = json_object();
    char code[8];
    snprintf(code, sizeof code, "%d", r->status);
    json_object_set_new(responses, code, success_response(r));
    for (size_t i = 0; i < sizeof error_statuses / sizeof error_statuses[0]; i++) {
        int s = error_statuses[i].status;
        if ((s == 401 || s == 403) && r->roles == ROLES_PUBLIC) continue;
        if ((s == 413 || s == 415 || s == 400) && !r->body && !r->query) continue;
        if (s == 429 && strcmp(r->pattern, "/api/v1/auth/login") != 0) continue;
        snprintf(code, sizeof code, "%d", s);
        json_object_set_new(responses, code,
                            json_pack("{s:s, s:{s:{s:{s:s}}}}", "description",
                                      error_statuses[i].description, "content", "application/json",
                                      "schema", "$ref", "#/components/schemas/Error"));
    }
    json_t *op = json_pack("{s:s, s:s, s:[s], s:o}", "operationId", opid, "summary", r->summary,
                           "tags", r->tag, "responses", responses);
    json_t *params = parameters(r);
    if (json_array_size(params))
        json_object_set_new(op, "parameters", params);
    else
        json_decref(params);
    if (r->body)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:o}}}", "required", 1, "content",
                                      "application/json", "schema", body_schema(r->body)));
    json_object_set_new(op, "x-roles", r->roles == ROLES_PUBLIC ? json_array()
                                                                : api_roles_json(r->roles));
    if (r->roles == ROLES_PUBLIC) json_object_set_new(op, "security", json_array());
    return op;
}

json_t *openapi_document(void)
{
    json_t *schemas = json_object();
    for (size_t i = 0; i < sizeof components / sizeof components[0]; i++) {
        json_error_t jerr;
        json_t *schema = json_loads(components[i].schema, 0, &jerr);
        if (!schema) {
            json_decref(schemas);
            return NULL;
        }
        json_object_set_new(schemas, components[i].name, schema);
    }
    json_t *paths = json_object(), *tags = json_array();
    for (int i = 0; i < api_route_count; i++) {
        const api_route *r = &api_routes[i];
        json_t *item = json_object_get(paths, r->pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, r->pattern, item);
        }
        char method[8];
        size_t k = 0;
        for (; r->method[k] && k + 1 < sizeof method; k++) method[k] = (char)tolower(r->method[k]);
        method[k] = '\0';
        json_object_set_new(item, method, operation(r));
        int seen = 0;
        size_t t;
        json_t *tag;
        json_array_foreach(tags, t, tag) if (!strcmp(json_string_value(json_object_get(tag, "name")),
                                                     r->tag)) seen = 1;
        if (!seen)
            json_array_append_new(tags, json_pack("{s:s, s:s}", "name", r->tag, "description",
                                                  r->tag));
    }
    return json_pack(
        "{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}}, s:[{s:s}], s:o, s:o, s:{s:o, s:{s:{s:s, s:s, s:s},"
        " s:{s:s, s:s}}}, s:[{s:[]}, {s:[]}]}",
        "openapi", "3.1.0", "info", "title", "Sanad API", "version", SANAD_VERSION, "description",
        "Sanad — unified citizen-service platform. Every error is "
        "{\"error\":{\"code\",\"message\",\"field\"}}. Sign in with a session cookie (send the "
        "CSRF token as X-CSRF-Token on unsafe methods) or an API token (Authorization: Bearer).",
        "license", "name", "Proprietary", "identifier", "LicenseRef-Sanad", "servers", "url", "/",
        "tags", tags, "paths", paths, "components", "schemas", schemas, "securitySchemes",
        "cookieAuth", "type", "apiKey", "in", "cookie", "name", "sanad_session", "bearerAuth",
        "type", "http", "scheme", "bearer", "security", "cookieAuth", "bearerAuth");
}
