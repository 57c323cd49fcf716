/* clock.c — unit tests of core/clock: ISO 8601 formatting and parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/clock.h"

#include <string.h>

static void format_is(int64_t ms, const char *want)
{
    char out[32];
    memset(out, '#', sizeof out);
    clock_iso8601(ms, out, sizeof out);
    assert_string_equal(out, want);
}

/* Helpers report the caller's line. */
#define parses_to(s, want) parses_to_at((s), (want), __FILE__, __LINE__)
#define rejected(s) rejected_at((s), __FILE__, __LINE__)
#define all_rejected(...)                                                                          \
    all_rejected_at((const char *const[]){__VA_ARGS__, NULL}, __FILE__, __LINE__)

static void parses_to_at(const char *s, int64_t want, const char *file, int line)
{
    int64_t ms = -123456789;
    int rc = clock_parse_iso8601(s, &ms);
    if (rc == 0 && ms == want) return;
    if (rc != 0)
        print_error("'%s' was rejected (rc %d)\n", s, rc);
    else
        print_error("'%s' gave %lld, want %lld\n", s, (long long)ms, (long long)want);
    _fail(file, line);
}

static int accepted(const char *s)
{
    int64_t ms = 0;
    if (clock_parse_iso8601(s, &ms) == -1) return 0;
    print_error("'%s' was accepted as %lld\n", s, (long long)ms);
    return 1;
}

static void rejected_at(const char *s, const char *file, int line)
{
    if (accepted(s)) _fail(file, line);
}

/* Checks every input before failing, so one run names all that were wrongly accepted. */
static void all_rejected_at(const char *const *inputs, const char *file, int line)
{
    int bad = 0;
    for (; *inputs; inputs++)
        bad += accepted(*inputs);
    if (bad) _fail(file, line);
}

static void test_format_epoch(void **state)
{
    format_is(0, "1970-01-01T00:00:00.000Z");
}

static void test_format_milliseconds(void **state)
{
    format_is(1, "1970-01-01T00:00:00.001Z");
    format_is(999, "1970-01-01T00:00:00.999Z");
    format_is(1000, "1970-01-01T00:00:01.000Z");
    format_is(1700000000123, "2023-11-14T22:13:20.123Z");
    format_is(951782400000, "2000-02-29T00:00:00.000Z");
}

/* Before 1970 the milliseconds still count up within the second. */
static void test_format_negative(void **state)
{
    format_is(-1, "1969-12-31T23:59:59.999Z");
    format_is(-999, "1969-12-31T23:59:59.001Z");
    format_is(-1000, "1969-12-31T23:59:59.000Z");
    format_is(-1001, "1969-12-31T23:59:58.999Z");
    format_is(-14182940000, "1969-07-20T20:17:40.000Z");
}

static void test_format_length(void **state)
{
    char out[32];
    clock_iso8601(1718454896789, out, sizeof out);
    assert_int_equal(strlen(out), 24);
    assert_string_equal(out, "2024-06-15T12:34:56.789Z");
    /* A buffer of exactly 25 bytes holds it. */
    char small[25];
    clock_iso8601(1718454896789, small, sizeof small);
    assert_string_equal(small, "2024-06-15T12:34:56.789Z");
}

static void test_parse_date_only(void **state)
{
    parses_to("1970-01-01", 0);
    parses_to("2024-06-15", 1718409600000);
    parses_to("2000-02-29", 951782400000);
}

static void test_parse_utc(void **state)
{
    parses_to("2024-06-15T12:34:56Z", 1718454896000);
    parses_to("2024-06-15T12:34:56", 1718454896000);
    parses_to("2024-06-15 12:34:56Z", 1718454896000);
    parses_to("2024-06-15T12:34Z", 1718454840000);
    parses_to("1969-07-20T20:17:40Z", -14182940000);
}

static void test_parse_fraction(void **state)
{
    parses_to("2024-06-15T12:34:56.789Z", 1718454896789);
    parses_to("2024-06-15T12:34:56.5Z", 1718454896500);
    parses_to("2024-06-15T12:34:56.05Z", 1718454896050);
    parses_to("2024-06-15T12:34:56.123456Z", 1718454896123); /* truncated to ms */
    parses_to("1969-12-31T23:59:59.999Z", -1);
}

static void test_parse_offsets(void **state)
{
    /* 00:00 in Riyadh (+03:00) is 21:00 UTC the day before. */
    parses_to("2024-01-01T00:00:00+03:00", 1704056400000);
    parses_to("2024-01-01T00:00:00.250+03:00", 1704056400250);
    parses_to("2023-12-31T16:00:00-05:00", 1704056400000);
    parses_to("2024-01-01T05:30:00+05:30", 1704067200000);
    parses_to("2024-01-01T00:00:00+00:00", 1704067200000);
    parses_to("2024-01-01T00:00:00-00:00", 1704067200000);
}

static void test_parse_rejects_bad_fields(void **state)
{
    rejected("2024-13-01");
    rejected("2024-00-10");
    rejected("2024-01-00");
    rejected("2024-01-32");
    rejected("2024-01-01T24:00:00Z");
    rejected("2024-01-01T12:60:00Z");
    rejected("2024-01-01T12:00:61Z");
}

static void test_parse_rejects_trailing_junk(void **state)
{
    rejected("2024-01-01x");
    rejected("2024-01-01Z");
    rejected("2024-01-01T12:00:00Zjunk");
    rejected("2024-01-01T12:00:00+03:00 ");
    rejected("2024-01-01T12:00:00z");
    rejected("2024-01-01T12:00:00.5.5Z");
}

static void test_parse_rejects_missing_parts(void **state)
{
    rejected("");
    rejected("2024");
    rejected("2024-01");
    rejected("2024-1-01");
    rejected("2024-01-1");
    rejected("24-01-01");
    rejected(" 2024-01-01");
    rejected("2024-01-01T");
    rejected("2024-01-01T12");
    rejected("2024-01-01T12:");
    rejected("2024-01-01T12:00:");
    rejected("2024-01-01T12:0");
    rejected("2024-01-01T12:00:00+03");
    rejected("2024-01-01T12:00:00+0300");
    rejected("2024-01-01T12:00:00+");
    rejected("2024/01/01");
}

/* Days that do not exist in their month must not roll over into the next one. */
static void test_parse_rejects_impossible_dates(void **state)
{
    all_rejected("2023-02-29", "2024-02-30", "2024-04-31", "2100-02-29");
    parses_to("2024-02-29", 1709164800000);
}

/* An offset's minutes are 00–59, and a fraction needs a digit. */
static void test_parse_rejects_malformed_offset_and_fraction(void **state)
{
    all_rejected("2024-01-01T12:00:00+03:60", "2024-01-01T12:00:00+03:99", "2024-01-01T12:00:00.Z");
}

static void test_round_trip(void **state)
{
    const int64_t values[] = {0,
                              1,
                              -1,
                              999,
                              -1001,
                              86399999,
                              951782400000,
                              1700000000123,
                              1718454896789,
                              -14182940000,
                              253402300799999};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char text[32];
        clock_iso8601(values[i], text, sizeof text);
        parses_to(text, values[i]);
    }
}

static void test_now_is_sane(void **state)
{
    int64_t a = clock_now_ms();
    assert_true(a > 1700000000000); /* after November 2023 */
    int64_t m1 = clock_mono_us(), m2 = clock_mono_us();
    assert_true(m2 >= m1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_epoch),
        cmocka_unit_test(test_format_milliseconds),
        cmocka_unit_test(test_format_negative),
        cmocka_unit_test(test_format_length),
        cmocka_unit_test(test_parse_date_only),
        cmocka_unit_test(test_parse_utc),
        cmocka_unit_test(test_parse_fraction),
        cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_rejects_bad_fields),
        cmocka_unit_test(test_parse_rejects_trailing_junk),
        cmocka_unit_test(test_parse_rejects_missing_parts),
        cmocka_unit_test(test_parse_rejects_impossible_dates),
        cmocka_unit_test(test_parse_rejects_malformed_offset_and_fraction),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_now_is_sane),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
