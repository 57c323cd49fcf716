/* err.c — unit tests of core/err: code → status/slug table and the sn_fail helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/err.h"

#include <string.h>

static const struct {
    int code;
    int status;
    const char *slug;
} expected[] = {
    {SN_EINVALID, 400, "invalid_request"},
    {SN_EUNAUTH, 401, "unauthenticated"},
    {SN_EFORBIDDEN, 403, "forbidden"},
    {SN_ENOTFOUND, 404, "not_found"},
    {SN_EMETHOD, 405, "method_not_allowed"},
    {SN_ECONFLICT, 409, "conflict"},
    {SN_ETOOLARGE, 413, "payload_too_large"},
    {SN_EMEDIA, 415, "unsupported_media_type"},
    {SN_EUNPROCESSABLE, 422, "validation_failed"},
    {SN_ERATE, 429, "rate_limited"},
    {SN_EDB, 500, "internal_error"},
    {SN_EINTERNAL, 500, "internal_error"},
    {SN_EUNAVAILABLE, 503, "unavailable"},
};

static void test_every_code_maps(void **state)
{
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++) {
        assert_int_equal(sn_err_http_status(expected[i].code), expected[i].status);
        assert_string_equal(sn_err_default_slug(expected[i].code), expected[i].slug);
    }
}

/* The codes are -1 … -13 without a gap, so the table above covers them all. */
static void test_code_values(void **state)
{
    assert_int_equal(SN_OK, 0);
    assert_int_equal(SN_EINVALID, -1);
    assert_int_equal(SN_EUNAVAILABLE, -13);
    assert_int_equal(sizeof expected / sizeof expected[0], 13);
    for (size_t i = 0; i < 13; i++)
        assert_int_equal(expected[i].code, -(int)i - 1);
}

static void test_unknown_code_is_internal(void **state)
{
    assert_int_equal(sn_err_http_status(-99), 500);
    assert_string_equal(sn_err_default_slug(-99), "internal_error");
    assert_int_equal(sn_err_http_status(7), 500);
}

static void test_fail_fills_everything(void **state)
{
    sn_err e;
    memset(&e, 'x', sizeof e);
    e.retry_after = 30;
    int rc = sn_fail(&e, SN_EUNPROCESSABLE, "email", "'%s' must have %d characters", "email", 5);
    assert_int_equal(rc, SN_EUNPROCESSABLE);
    assert_int_equal(e.code, SN_EUNPROCESSABLE);
    assert_int_equal(e.retry_after, 0);
    assert_string_equal(e.slug, "validation_failed");
    assert_string_equal(e.field, "email");
    assert_string_equal(e.message, "'email' must have 5 characters");
}

static void test_fail_without_field(void **state)
{
    sn_err e;
    memset(&e, 'x', sizeof e);
    assert_int_equal(sn_fail(&e, SN_ENOTFOUND, NULL, "no such user"), SN_ENOTFOUND);
    assert_string_equal(e.field, "");
    assert_string_equal(e.slug, "not_found");
    assert_string_equal(e.message, "no such user");
}

static void test_fail_null_err_returns_code(void **state)
{
    assert_int_equal(sn_fail(NULL, SN_ECONFLICT, "x", "ignored %d", 1), SN_ECONFLICT);
    assert_int_equal(sn_fail_slug(NULL, SN_EINVALID, "s", "x", "ignored"), SN_EINVALID);
}

static void test_fail_slug(void **state)
{
    sn_err e = {0};
    int rc =
        sn_fail_slug(&e, SN_EINVALID, "unknown_field", "colour", "unknown field '%s'", "colour");
    assert_int_equal(rc, SN_EINVALID);
    assert_int_equal(e.code, SN_EINVALID);
    assert_string_equal(e.slug, "unknown_field");
    assert_string_equal(e.field, "colour");
    assert_string_equal(e.message, "unknown field 'colour'");

    /* A NULL slug falls back to the code's default. */
    assert_int_equal(sn_fail_slug(&e, SN_ERATE, NULL, NULL, "slow down"), SN_ERATE);
    assert_string_equal(e.slug, "rate_limited");
    assert_string_equal(e.field, "");
}

/* Over-long text is truncated, always NUL-terminated. */
static void test_fail_truncates(void **state)
{
    char longtext[400];
    memset(longtext, 'a', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    sn_err e;
    sn_fail_slug(&e, SN_EINVALID, longtext, longtext, "%s", longtext);
    assert_int_equal(strlen(e.slug), sizeof e.slug - 1);
    assert_int_equal(strlen(e.field), sizeof e.field - 1);
    assert_int_equal(strlen(e.message), sizeof e.message - 1);
    assert_int_equal(e.message[0], 'a');
}

/* Truncation never splits a UTF-8 character: the envelope must stay valid JSON text (an unknown
 * field with a long Arabic name gave a 500; found by fuzz/json_body.c). */
static void repeat(char *out, size_t cap, const char *prefix, const char *ch, int times)
{
    out[0] = '\0';
    strncat(out, prefix, cap - 1);
    for (int i = 0; i < times; i++)
        strncat(out, ch, cap - strlen(out) - 1);
}

static void test_fail_truncates_on_character_boundary(void **state)
{
    char ar[512], euro[512], emoji[512];
    repeat(ar, sizeof ar, "", "\xd8\xb9", 200);                /* ع: 2 bytes */
    repeat(euro, sizeof euro, "a", "\xe2\x82\xac", 30);        /* €: 3 bytes */
    repeat(emoji, sizeof emoji, "ab", "\xf0\x9f\x98\x80", 20); /* 😀: 4 bytes */
    sn_err e;

    sn_fail_slug(&e, SN_EINVALID, "unknown_field", ar, "unknown field '%s'", ar);
    assert_int_equal(strlen(e.field), 62); /* 63 would end inside the 32nd letter */
    assert_memory_equal(e.field, ar, 62);
    sn_fail(&e, SN_EINVALID, NULL, "%s", ar);
    assert_int_equal(strlen(e.message), 254); /* 255 would end inside the 128th letter */
    assert_memory_equal(e.message, ar, 254);

    sn_fail(&e, SN_EINVALID, euro, "%s", euro);
    assert_int_equal(strlen(e.field), 1 + 3 * 20); /* 63 bytes hold 20 whole € and 2 bytes */
    assert_memory_equal(e.field, euro, 61);

    sn_fail(&e, SN_EINVALID, emoji, "%s", emoji);
    assert_int_equal(strlen(e.field), 2 + 4 * 15); /* 63 bytes: 2 + 15 × 4 = 62, 1 byte left */
    assert_memory_equal(e.field, emoji, 62);

    /* Whole characters that fit exactly are kept. */
    char exact[64];
    repeat(exact, sizeof exact, "a", "\xe2\x82\xac", 20); /* 61 bytes */
    sn_fail(&e, SN_EINVALID, exact, "x");
    assert_string_equal(e.field, exact);
}

static void test_clear(void **state)
{
    sn_err e;
    sn_fail(&e, SN_EDB, "db", "boom");
    sn_err_clear(&e);
    assert_int_equal(e.code, SN_OK);
    assert_int_equal(e.retry_after, 0);
    assert_string_equal(e.slug, "");
    assert_string_equal(e.field, "");
    assert_string_equal(e.message, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_maps),
        cmocka_unit_test(test_code_values),
        cmocka_unit_test(test_unknown_code_is_internal),
        cmocka_unit_test(test_fail_fills_everything),
        cmocka_unit_test(test_fail_without_field),
        cmocka_unit_test(test_fail_null_err_returns_code),
        cmocka_unit_test(test_fail_slug),
        cmocka_unit_test(test_fail_truncates_on_character_boundary),
        cmocka_unit_test(test_fail_truncates),
        cmocka_unit_test(test_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
