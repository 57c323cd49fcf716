/* json_body.c — libFuzzer driver of JSON request-body validation: the same steps as the API's
 * parse_body (src/api/api.c) — jansson's json_loadb with JSON_REJECT_DUPLICATES — then
 * api_validate_body (src/api/schema.c) against the field table of a real route of api_routes.
 *
 * Input: the first byte picks the route (among those that take a body); the rest is the body.
 * A body that validates must be an object holding only the table's fields, every one of its
 * type, every required one present; a refused one must give an error envelope that can be
 * built (its message and field UTF-8, as http_respond_error needs). */
#include "api/api.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const api_route *with_body[256];
static int nwith;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < api_route_count && nwith < 256; i++)
        if (api_routes[i].body) with_body[nwith++] = &api_routes[i];
    return 0;
}

static int has_type(json_t *v, enum field_type t)
{
    switch (t) {
    case FT_STRING:
        return json_is_string(v);
    case FT_INTEGER:
        return json_is_integer(v);
    case FT_BOOLEAN:
        return json_is_boolean(v);
    case FT_OBJECT:
        return json_is_object(v);
    case FT_ARRAY:
    case FT_STRING_ARRAY:
        return json_is_array(v);
    }
    return 0;
}

static void check(json_t *body, const field_spec *fields)
{
    if (!json_is_object(body)) abort();
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        const field_spec *f = fields;
        while (f->name && strcmp(f->name, k))
            f++;
        if (!f->name || !has_type(v, f->type)) abort();
    }
    for (const field_spec *f = fields; f->name; f++)
        if (f->required && !json_object_get(body, f->name)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || !nwith) return 0;
    const api_route *r = with_body[data[0] % nwith];
    json_error_t jerr;
    json_t *body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!body) return 0;
    sn_err e;
    sn_err_clear(&e);
    int rc = api_validate_body(body, r->body, &e);
    if (rc == 0)
        check(body, r->body);
    else if (rc != SN_EINVALID && rc != SN_EUNPROCESSABLE)
        abort();
    else if (!e.message[0])
        abort();
    else {
        /* The envelope http_respond_error builds from e must be buildable (UTF-8 strings):
         * otherwise the client gets a 500 instead of its 400/422. */
        json_t *env = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", e.slug, "message",
                                e.message, "field", e.field);
        if (!env) abort();
        json_decref(env);
    }
    json_decref(body);
    return 0;
}
