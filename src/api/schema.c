/* schema.c — validate a JSON body against a field table. */
#include "api.h"

#include <string.h>

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) n++;
    return n;
}

static const char *type_name(enum field_type t)
{
    switch (t) {
    case FT_STRING: return "a string";
    case FT_INTEGER: return "an integer";
    case FT_BOOLEAN: return "a boolean";
    case FT_STRING_ARRAY: return "an array of strings";
    case FT_OBJECT: return "an object";
    case FT_ARRAY: return "an array";
    }
    return "a value";
}

static int type_ok(json_t *v, enum field_type t)
{
    switch (t) {
    case FT_STRING: return json_is_string(v);
    case FT_INTEGER: return json_is_integer(v);
    case FT_BOOLEAN: return json_is_boolean(v);
    case FT_OBJECT: return json_is_object(v);
    case FT_ARRAY: return json_is_array(v);
    case FT_STRING_ARRAY: {
        if (!json_is_array(v)) return 0;
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) if (!json_is_string(item)) return 0;
        return 1;
    }
    }
    return 0;
}

static const field_spec *find_field(const field_spec *fields, const char *name)
{
    for (const field_spec *f = fields; f->name; f++)
        if (!strcmp(f->name, name)) return f;
    return NULL;
}

int api_validate_body(json_t *body, const field_spec *fields, sn_err *e)
{
    if (!json_is_object(body))
        return sn_fail_slug(e, SN_EINVALID, "invalid_json", NULL, "the body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        const field_spec *f = find_field(fields, key);
        if (!f) return sn_fail_slug(e, SN_EINVALID, "unknown_field", key, "unknown field '%s'", key);
        if (!type_ok(v, f->type))
            return sn_fail_slug(e, SN_EINVALID, "wrong_type", key, "'%s' must be %s", key,
                                type_name(f->type));
    }
    for (const field_spec *f = fields; f->name; f++) {
        v = json_object_get(body, f->name);
        if (!v) {
            if (f->required)
                return sn_fail_slug(e, SN_EUNPROCESSABLE, "missing_field", f->name,
                                    "'%s' is required", f->name);
            continue;
        }
        if (f->type == FT_STRING && (f->min || f->max)) {
            size_t n = utf8_len(json_string_value(v));
            if (n < (size_t)f->min)
                return sn_fail(e, SN_EUNPROCESSABLE, f->name,
                               "'%s' must have at least %d characters", f->name, f->min);
            if (f->max && n > (size_t)f->max)
                return sn_fail(e, SN_EUNPROCESSABLE, f->name,
                               "'%s' must have at most %d characters", f->name, f->max);
        }
    }
    return 0;
}
