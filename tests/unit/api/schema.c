/* schema.c — unit tests of api_validate_body against a field table defined here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api/api.h"

#include <string.h>

static const field_spec fields[] = {
    {"name", FT_STRING, 1, 2, 5, "2 to 5 characters"},
    {"bio", FT_STRING, 0, 0, 10, "at most 10 characters"},
    {"code", FT_STRING, 0, 3, 0, "at least 3 characters"},
    {"note", FT_STRING, 0, 0, 0, "unbounded"},
    {"age", FT_INTEGER, 0, 0, 0, NULL},
    {"active", FT_BOOLEAN, 0, 0, 0, NULL},
    {"roles", FT_STRING_ARRAY, 0, 0, 0, NULL},
    {"meta", FT_OBJECT, 0, 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Validate a JSON text (any JSON value) against `fields`. */
static int validate(const char *text, sn_err *e)
{
    json_error_t jerr;
    json_t *body = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!body) fail_msg("test JSON does not parse: %s: %s", text, jerr.text);
    memset(e, 0, sizeof *e);
    int rc = api_validate_body(body, fields, e);
    json_decref(body);
    return rc;
}

#define expect_ok(text)                                                                            \
    do {                                                                                           \
        sn_err e_;                                                                                 \
        int rc_ = validate((text), &e_);                                                           \
        if (rc_ != 0) fail_msg("%s: rc %d slug %s field %s", (text), rc_, e_.slug, e_.field);      \
    } while (0)

#define expect_err(text, want_code, want_slug, want_field)                                         \
    do {                                                                                           \
        sn_err e_;                                                                                 \
        int rc_ = validate((text), &e_);                                                           \
        if (rc_ != (want_code) || e_.code != (want_code) || strcmp(e_.slug, (want_slug)) ||        \
            strcmp(e_.field, (want_field)))                                                        \
            fail_msg("%s: got rc %d code %d slug '%s' field '%s'", (text), rc_, e_.code, e_.slug,  \
                     e_.field);                                                                    \
    } while (0)

static void test_valid_bodies(void **state)
{
    expect_ok("{\"name\":\"Amal\"}");
    expect_ok("{\"name\":\"Amal\",\"bio\":\"\",\"code\":\"abc\",\"note\":\"\",\"age\":30,"
              "\"active\":false,\"roles\":[\"agent\",\"admin\"],\"meta\":{\"k\":[1,2]}}");
    expect_ok("{\"name\":\"Amal\",\"roles\":[]}");
    expect_ok("{\"name\":\"Amal\",\"age\":-5}");
}

static void test_unknown_field(void **state)
{
    sn_err e;
    assert_int_equal(validate("{\"name\":\"Amal\",\"colour\":\"blue\"}", &e), SN_EINVALID);
    assert_int_equal(e.code, SN_EINVALID);
    assert_string_equal(e.slug, "unknown_field");
    assert_string_equal(e.field, "colour");
    assert_string_equal(e.message, "unknown field 'colour'");
    /* Names are matched exactly. */
    expect_err("{\"Name\":\"Amal\"}", SN_EINVALID, "unknown_field", "Name");
}

/* An unknown field is reported before a missing required one. */
static void test_unknown_before_missing(void **state)
{
    expect_err("{\"colour\":1}", SN_EINVALID, "unknown_field", "colour");
}

static void test_wrong_type(void **state)
{
    sn_err e;
    assert_int_equal(validate("{\"name\":5}", &e), SN_EINVALID);
    assert_string_equal(e.slug, "wrong_type");
    assert_string_equal(e.field, "name");
    assert_string_equal(e.message, "'name' must be a string");

    expect_err("{\"name\":\"Amal\",\"age\":\"30\"}", SN_EINVALID, "wrong_type", "age");
    expect_err("{\"name\":\"Amal\",\"age\":30.5}", SN_EINVALID, "wrong_type", "age");
    expect_err("{\"name\":\"Amal\",\"age\":true}", SN_EINVALID, "wrong_type", "age");
    expect_err("{\"name\":\"Amal\",\"active\":1}", SN_EINVALID, "wrong_type", "active");
    expect_err("{\"name\":\"Amal\",\"active\":\"true\"}", SN_EINVALID, "wrong_type", "active");
    expect_err("{\"name\":\"Amal\",\"roles\":\"agent\"}", SN_EINVALID, "wrong_type", "roles");
    expect_err("{\"name\":\"Amal\",\"roles\":{}}", SN_EINVALID, "wrong_type", "roles");
    expect_err("{\"name\":\"Amal\",\"meta\":[]}", SN_EINVALID, "wrong_type", "meta");
    expect_err("{\"name\":\"Amal\",\"meta\":\"{}\"}", SN_EINVALID, "wrong_type", "meta");
    /* null is not "absent": an optional field given as null has the wrong type. */
    expect_err("{\"name\":\"Amal\",\"bio\":null}", SN_EINVALID, "wrong_type", "bio");
    expect_err("{\"name\":null}", SN_EINVALID, "wrong_type", "name");
}

static void test_missing_required(void **state)
{
    sn_err e;
    assert_int_equal(validate("{}", &e), SN_EUNPROCESSABLE);
    assert_int_equal(e.code, SN_EUNPROCESSABLE);
    assert_string_equal(e.slug, "missing_field");
    assert_string_equal(e.field, "name");
    assert_string_equal(e.message, "'name' is required");
    expect_err("{\"age\":3}", SN_EUNPROCESSABLE, "missing_field", "name");
}

/* Lengths count characters, not bytes: Arabic letters are 2 bytes each in UTF-8. */
static void test_length_counts_utf8_characters(void **state)
{
    expect_ok("{\"name\":\"سلام\"}");  /* 4 characters, 8 bytes */
    expect_ok("{\"name\":\"مرحبا\"}"); /* 5 characters, 10 bytes: at the max */
    expect_ok("{\"name\":\"نو\"}");    /* 2 characters, 4 bytes: at the min */
    expect_ok("{\"name\":\"😀🌙\"}");    /* 2 characters, 8 bytes */
    expect_ok("{\"name\":\"\\u0633\\u0644\\u0627\\u0645\"}"); /* escaped سلام */

    sn_err e;
    assert_int_equal(validate("{\"name\":\"مرحبا!\"}", &e), SN_EUNPROCESSABLE); /* 6 */
    assert_string_equal(e.slug, "validation_failed");
    assert_string_equal(e.field, "name");
    assert_string_equal(e.message, "'name' must have at most 5 characters");

    expect_err("{\"name\":\"س\"}", SN_EUNPROCESSABLE, "validation_failed", "name"); /* 1 char */
    expect_err("{\"name\":\"\"}", SN_EUNPROCESSABLE, "validation_failed", "name");
    expect_err("{\"name\":\"abcdef\"}", SN_EUNPROCESSABLE, "validation_failed", "name");
}

static void test_one_sided_bounds(void **state)
{
    expect_ok("{\"name\":\"Amal\",\"bio\":\"\"}");
    expect_ok("{\"name\":\"Amal\",\"bio\":\"عشرة أحرف\"}");  /* 9 characters */
    expect_ok("{\"name\":\"Amal\",\"bio\":\"ابتثجحخدذر\"}"); /* 10 characters, 20 bytes */
    expect_err("{\"name\":\"Amal\",\"bio\":\"ابتثجحخدذرز\"}", SN_EUNPROCESSABLE,
               "validation_failed", "bio");

    expect_ok("{\"name\":\"Amal\",\"code\":\"ابت\"}");
    expect_err("{\"name\":\"Amal\",\"code\":\"اب\"}", SN_EUNPROCESSABLE, "validation_failed",
               "code");

    char big[2100] = "{\"name\":\"Amal\",\"note\":\"";
    size_t n = strlen(big);
    memset(big + n, 'x', 2000);
    memcpy(big + n + 2000, "\"}", 3);
    expect_ok(big);
}

static void test_string_array_items(void **state)
{
    expect_err("{\"name\":\"Amal\",\"roles\":[\"agent\",3]}", SN_EINVALID, "wrong_type", "roles");
    expect_err("{\"name\":\"Amal\",\"roles\":[null]}", SN_EINVALID, "wrong_type", "roles");
    expect_err("{\"name\":\"Amal\",\"roles\":[[\"agent\"]]}", SN_EINVALID, "wrong_type", "roles");
    expect_err("{\"name\":\"Amal\",\"roles\":[3,\"agent\"]}", SN_EINVALID, "wrong_type", "roles");
    sn_err e;
    validate("{\"name\":\"Amal\",\"roles\":[true]}", &e);
    assert_string_equal(e.message, "'roles' must be an array of strings");
}

static void test_non_object_body(void **state)
{
    const char *bodies[] = {"[]", "[{\"name\":\"Amal\"}]", "\"name\"", "42", "null", "true"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        expect_err(bodies[i], SN_EINVALID, "invalid_json", "");

    sn_err e;
    memset(&e, 0, sizeof e);
    assert_int_equal(api_validate_body(NULL, fields, &e), SN_EINVALID);
    assert_string_equal(e.slug, "invalid_json");
    assert_string_equal(e.field, "");
}

static void test_empty_table_accepts_only_empty_object(void **state)
{
    static const field_spec none[] = {{NULL, 0, 0, 0, 0, NULL}};
    json_t *empty = json_object();
    json_t *one = json_pack("{s:i}", "x", 1);
    sn_err e;
    assert_int_equal(api_validate_body(empty, none, &e), 0);
    assert_int_equal(api_validate_body(one, none, &e), SN_EINVALID);
    assert_string_equal(e.slug, "unknown_field");
    assert_string_equal(e.field, "x");
    json_decref(empty);
    json_decref(one);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_bodies),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_unknown_before_missing),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_length_counts_utf8_characters),
        cmocka_unit_test(test_one_sided_bounds),
        cmocka_unit_test(test_string_array_items),
        cmocka_unit_test(test_non_object_body),
        cmocka_unit_test(test_empty_table_accepts_only_empty_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
