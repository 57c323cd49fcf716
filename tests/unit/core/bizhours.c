/* bizhours.c — unit tests of core/bizhours: SLA arithmetic over nights, holidays, per-day
 * windows and DST, the JSON shape and its validation. Instants are written as ISO 8601 with
 * the local offset so each expectation reads as wall time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/bizhours.h"
#include "core/clock.h"

#include <pthread.h>
#include <string.h>

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

/* ------------------------------------------------------------------ helpers */

static int64_t at(const char *iso)
{
    int64_t ms = 0;
    if (clock_parse_iso8601(iso, &ms) != 0) fail_msg("bad ISO time in test: %s", iso);
    return ms;
}

/* A calendar parsed from JSON text (merge = 0); the test calls bh_fini. */
static void cal_from(bh_calendar *c, const char *text)
{
    json_error_t jerr;
    json_t *obj = json_loads(text, 0, &jerr);
    sn_err e;
    if (!obj) fail_msg("bad JSON in test: %s", jerr.text);
    bh_default(c);
    int rc = bh_from_json(c, obj, 0, &e);
    json_decref(obj);
    if (rc != 0) fail_msg("calendar rejected: %s (%s)", e.message, e.field);
}

/* Helpers report the caller's line. */
#define add_is(c, start, minutes, want) add_is_at((c), (start), (minutes), (want), __FILE__, __LINE__)

static void add_is_at(const bh_calendar *c, const char *start, int64_t minutes, const char *want,
                      const char *file, int line)
{
    int64_t due = -1;
    int rc = bh_add(c, at(start), minutes * MIN_MS, &due);
    if (rc == 0 && due == at(want)) return;
    char got[32];
    clock_iso8601(due, got, sizeof got);
    print_error("%s + %lld business min: rc %d, got %s, want %s\n", start, (long long)minutes, rc,
                got, want);
    _fail(file, line);
}

#define open_is(c, when, want) open_is_at((c), (when), (want), __FILE__, __LINE__)

static void open_is_at(const bh_calendar *c, const char *when, int want, const char *file,
                       int line)
{
    int got = bh_is_open(c, at(when));
    if (got == want) return;
    print_error("bh_is_open(%s) = %d, want %d\n", when, got, want);
    _fail(file, line);
}

static const char *const weekdays_8_20 =
    "[{\"day\":0,\"start\":\"08:00\",\"end\":\"20:00\"},"
    "{\"day\":1,\"start\":\"08:00\",\"end\":\"20:00\"},"
    "{\"day\":2,\"start\":\"08:00\",\"end\":\"20:00\"},"
    "{\"day\":3,\"start\":\"08:00\",\"end\":\"20:00\"},"
    "{\"day\":4,\"start\":\"08:00\",\"end\":\"20:00\"},"
    "{\"day\":5,\"start\":\"08:00\",\"end\":\"20:00\"},"
    "{\"day\":6,\"start\":\"08:00\",\"end\":\"20:00\"}]";

/* ------------------------------------------------------------------ bh_add (Riyadh) */

/* 2026-11-26 is a Thursday. */
static void test_add_evening_rolls_to_next_morning(void **state)
{
    bh_calendar c;
    bh_default(&c);
    add_is(&c, "2026-11-26T19:30:00+03:00", 60, "2026-11-27T08:30:00+03:00");
    add_is(&c, "2026-11-26T16:30:00Z", 60, "2026-11-27T08:30:00+03:00"); /* same instant */
    add_is(&c, "2026-11-26T10:00:00+03:00", 90, "2026-11-26T11:30:00+03:00");
    bh_fini(&c);
}

static void test_add_two_business_days_from_thursday(void **state)
{
    bh_calendar c;
    bh_default(&c);
    /* Thu 10:00–20:00 (10 h) + Fri 08:00–20:00 (12 h) + Sat 08:00–10:00 (2 h) = 24 h. */
    add_is(&c, "2026-11-26T10:00:00+03:00", 1440, "2026-11-28T10:00:00+03:00");
    /* A whole week of business time crosses seven nights. */
    add_is(&c, "2026-11-26T10:00:00+03:00", 7 * 12 * 60, "2026-12-03T10:00:00+03:00");
    bh_fini(&c);
}

static void test_contact_at_2am(void **state)
{
    bh_calendar c;
    bh_default(&c);
    int64_t open = 0;
    open_is(&c, "2026-11-26T02:00:00+03:00", 0);
    assert_int_equal(bh_next_open(&c, at("2026-11-26T02:00:00+03:00"), &open), 0);
    assert_true(open == at("2026-11-26T08:00:00+03:00"));
    add_is(&c, "2026-11-26T02:00:00+03:00", 30, "2026-11-26T08:30:00+03:00");
    /* 23:00 the night before is the same story. */
    add_is(&c, "2026-11-25T23:00:00+03:00", 30, "2026-11-26T08:30:00+03:00");
    bh_fini(&c);
}

static void test_add_zero_and_closing_instant(void **state)
{
    bh_calendar c;
    bh_default(&c);
    int64_t open = 0;
    add_is(&c, "2026-11-26T10:00:00+03:00", 0, "2026-11-26T10:00:00+03:00");
    add_is(&c, "2026-11-26T20:00:00+03:00", 0, "2026-11-27T08:00:00+03:00");
    /* Using a window up to its end is due at the closing instant, not the next opening. */
    add_is(&c, "2026-11-26T19:30:00+03:00", 30, "2026-11-26T20:00:00+03:00");
    assert_int_equal(bh_next_open(&c, at("2026-11-26T12:34:56+03:00"), &open), 0);
    assert_true(open == at("2026-11-26T12:34:56+03:00"));
    assert_int_equal(bh_add(&c, at("2026-11-26T10:00:00+03:00"), -1, &open), SN_EINVALID);
    bh_fini(&c);
}

static void test_holiday_skips_whole_day(void **state)
{
    bh_calendar c;
    char text[2048];
    snprintf(text, sizeof text,
             "{\"timezone\":\"Asia/Riyadh\",\"weekly\":%s,"
             "\"holidays\":[{\"date\":\"2026-11-26\",\"name\":\"Test day\"}]}",
             weekdays_8_20);
    cal_from(&c, text);
    /* Wed 19:00 + 2 h: 1 h on Wednesday, Thursday is a holiday, 1 h on Friday. */
    add_is(&c, "2026-11-25T19:00:00+03:00", 120, "2026-11-27T09:00:00+03:00");
    add_is(&c, "2026-11-26T10:00:00+03:00", 60, "2026-11-27T09:00:00+03:00");
    open_is(&c, "2026-11-26T10:00:00+03:00", 0);
    open_is(&c, "2026-11-27T10:00:00+03:00", 1);
    bh_fini(&c);
}

/* 2028-02-29 (a Tuesday) exists and is stepped over like any other date. */
static void test_leap_day_holiday(void **state)
{
    bh_calendar c;
    char text[2048];
    snprintf(text, sizeof text,
             "{\"timezone\":\"Asia/Riyadh\",\"weekly\":%s,\"holidays\":[{\"date\":\"2028-02-29\"}]}",
             weekdays_8_20);
    cal_from(&c, text);
    add_is(&c, "2028-02-28T19:00:00+03:00", 120, "2028-03-01T09:00:00+03:00");
    open_is(&c, "2028-02-29T12:00:00+03:00", 0);
    bh_fini(&c);
}

static void test_long_run_of_holidays(void **state)
{
    bh_calendar c;
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "{\"timezone\":\"Asia/Riyadh\",\"weekly\":%s,\"holidays\":[",
                                weekdays_8_20);
    for (int d = 1; d <= 30; d++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s{\"date\":\"2026-12-%02d\"}",
                              d > 1 ? "," : "", d);
    snprintf(text + n, sizeof text - n, "]}");
    cal_from(&c, text);
    assert_int_equal(c.nholidays, 30);
    add_is(&c, "2026-11-30T19:00:00+03:00", 120, "2026-12-31T09:00:00+03:00");
    bh_fini(&c);
}

static void test_windows_differ_per_day(void **state)
{
    bh_calendar c;
    /* Sun–Thu 08:00–12:00 and 13:00–17:00, Friday 16:00–20:00 only, Saturday closed. */
    cal_from(&c, "{\"timezone\":\"Asia/Riyadh\",\"weekly\":["
                 "{\"day\":5,\"start\":\"16:00\",\"end\":\"20:00\"},"
                 "{\"day\":0,\"start\":\"08:00\",\"end\":\"12:00\"},"
                 "{\"day\":0,\"start\":\"13:00\",\"end\":\"17:00\"},"
                 "{\"day\":1,\"start\":\"13:00\",\"end\":\"17:00\"},"
                 "{\"day\":1,\"start\":\"08:00\",\"end\":\"12:00\"},"
                 "{\"day\":2,\"start\":\"08:00\",\"end\":\"12:00\"},"
                 "{\"day\":2,\"start\":\"13:00\",\"end\":\"17:00\"},"
                 "{\"day\":3,\"start\":\"08:00\",\"end\":\"12:00\"},"
                 "{\"day\":3,\"start\":\"13:00\",\"end\":\"17:00\"},"
                 "{\"day\":4,\"start\":\"08:00\",\"end\":\"12:00\"},"
                 "{\"day\":4,\"start\":\"13:00\",\"end\":\"17:00\"}]}");
    add_is(&c, "2026-11-26T11:30:00+03:00", 60, "2026-11-26T13:30:00+03:00"); /* lunch */
    /* Thu 16:00 + 3 h: 1 h Thursday, Friday opens at 16:00, 2 h → 18:00. */
    add_is(&c, "2026-11-26T16:00:00+03:00", 180, "2026-11-27T18:00:00+03:00");
    /* Fri 18:00 + 4 h: 2 h Friday, Saturday closed, Sunday 08:00 + 2 h. */
    add_is(&c, "2026-11-27T18:00:00+03:00", 240, "2026-11-29T10:00:00+03:00");
    open_is(&c, "2026-11-27T10:00:00+03:00", 0);
    open_is(&c, "2026-11-27T16:00:00+03:00", 1);
    open_is(&c, "2026-11-28T12:00:00+03:00", 0);
    open_is(&c, "2026-11-26T12:30:00+03:00", 0);
    bh_fini(&c);
}

/* ------------------------------------------------------------------ bh_elapsed, bh_is_open */

static void test_elapsed_across_night_and_holiday(void **state)
{
    bh_calendar c;
    char text[2048];
    snprintf(text, sizeof text,
             "{\"timezone\":\"Asia/Riyadh\",\"weekly\":%s,"
             "\"holidays\":[{\"date\":\"2026-11-25\",\"name\":\"Wednesday off\"}]}",
             weekdays_8_20);
    cal_from(&c, text);
    /* Tue 18:00–20:00 (2 h), night, Wednesday holiday, night, Thu 08:00–10:00 (2 h). */
    assert_true(bh_elapsed(&c, at("2026-11-24T18:00:00+03:00"), at("2026-11-26T10:00:00+03:00")) ==
                4 * HOUR_MS);
    assert_true(bh_elapsed(&c, at("2026-11-26T02:00:00+03:00"), at("2026-11-26T09:00:00+03:00")) ==
                HOUR_MS);
    assert_true(bh_elapsed(&c, at("2026-11-26T10:00:00+03:00"), at("2026-11-26T10:00:00+03:00")) ==
                0);
    assert_true(bh_elapsed(&c, at("2026-11-26T10:00:00+03:00"), at("2026-11-24T10:00:00+03:00")) ==
                0);
    /* bh_elapsed undoes bh_add. */
    int64_t start = at("2026-11-24T19:17:00+03:00"), due = 0;
    assert_int_equal(bh_add(&c, start, 1000 * MIN_MS + 123, &due), 0);
    assert_true(bh_elapsed(&c, start, due) == 1000 * MIN_MS + 123);
    bh_fini(&c);
}

static void test_is_open_at_exact_boundaries(void **state)
{
    bh_calendar c;
    bh_default(&c);
    open_is(&c, "2026-11-26T07:59:59.999+03:00", 0);
    open_is(&c, "2026-11-26T08:00:00+03:00", 1);
    open_is(&c, "2026-11-26T19:59:59.999+03:00", 1);
    open_is(&c, "2026-11-26T20:00:00+03:00", 0);
    open_is(&c, "2026-11-26T00:00:00+03:00", 0);
    bh_fini(&c);
}

/* ------------------------------------------------------------------ DST */

static void test_dst_keeps_wall_clock_hours(void **state)
{
    bh_calendar c;
    char text[2048];
    snprintf(text, sizeof text, "{\"timezone\":\"Europe/Berlin\",\"weekly\":%s}", weekdays_8_20);
    cal_from(&c, text);
    /* 2026-03-29 02:00 CET → 03:00 CEST: Sunday opens at 08:00 CEST = 06:00Z, not 07:00Z. */
    add_is(&c, "2026-03-28T19:00:00+01:00", 120, "2026-03-29T09:00:00+02:00");
    open_is(&c, "2026-03-29T07:59:59+02:00", 0);
    open_is(&c, "2026-03-29T08:00:00+02:00", 1);
    open_is(&c, "2026-03-29T19:59:59+02:00", 1);
    open_is(&c, "2026-03-29T20:00:00+02:00", 0);
    /* 2026-10-25 03:00 CEST → 02:00 CET: Sunday opens at 08:00 CET = 07:00Z. */
    add_is(&c, "2026-10-24T19:00:00+02:00", 120, "2026-10-25T09:00:00+01:00");
    open_is(&c, "2026-10-25T07:30:00+01:00", 0);
    open_is(&c, "2026-10-25T08:00:00+01:00", 1);
    int64_t open = 0;
    assert_int_equal(bh_next_open(&c, at("2026-03-29T03:00:00+02:00"), &open), 0);
    assert_true(open == at("2026-03-29T08:00:00+02:00"));
    bh_fini(&c);
}

static void test_dst_day_length_and_skipped_hour(void **state)
{
    bh_calendar c;
    /* Open round the clock on the weekend around each change. */
    cal_from(&c, "{\"timezone\":\"Europe/Berlin\",\"weekly\":["
                 "{\"day\":0,\"start\":\"00:00\",\"end\":\"24:00\"},"
                 "{\"day\":1,\"start\":\"00:00\",\"end\":\"24:00\"},"
                 "{\"day\":6,\"start\":\"00:00\",\"end\":\"24:00\"}]}");
    assert_true(bh_elapsed(&c, at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00")) ==
                23 * HOUR_MS);
    assert_true(bh_elapsed(&c, at("2026-10-25T00:00:00+02:00"), at("2026-10-26T00:00:00+01:00")) ==
                25 * HOUR_MS);
    /* Saturday night runs straight into Sunday: 1 h before midnight, 1 h after. */
    add_is(&c, "2026-03-28T23:00:00+01:00", 120, "2026-03-29T01:00:00+01:00");
    bh_fini(&c);

    cal_from(&c, "{\"timezone\":\"Europe/Berlin\",\"weekly\":["
                 "{\"day\":0,\"start\":\"02:30\",\"end\":\"04:00\"}]}");
    /* 02:30 does not exist that Sunday: the window opens when the clock resumes, at 03:00 CEST,
     * and lasts one hour. */
    assert_true(bh_elapsed(&c, at("2026-03-28T00:00:00Z"), at("2026-03-30T00:00:00Z")) == HOUR_MS);
    open_is(&c, "2026-03-29T03:30:00+02:00", 1);
    add_is(&c, "2026-03-28T12:00:00+01:00", 0, "2026-03-29T03:00:00+02:00");
    bh_fini(&c);
}

/* ------------------------------------------------------------------ JSON */

static void test_json_round_trip(void **state)
{
    bh_calendar c, back;
    cal_from(&c, "{\"timezone\":\"Asia/Riyadh\",\"weekly\":["
                 "{\"day\":5,\"start\":\"16:00\",\"end\":\"20:00\"},"
                 "{\"day\":0,\"start\":\"13:00\",\"end\":\"24:00\"},"
                 "{\"day\":0,\"start\":\"08:00\",\"end\":\"12:30\"}],"
                 "\"holidays\":[{\"date\":\"2027-03-10\",\"name\":\"عيد الفطر\"},"
                 "{\"date\":\"2026-09-23\",\"name\":\"Saudi National Day\"},"
                 "{\"date\":\"2026-12-01\"}]}");
    json_t *want = json_loads("{\"timezone\":\"Asia/Riyadh\",\"weekly\":["
                              "{\"day\":0,\"start\":\"08:00\",\"end\":\"12:30\"},"
                              "{\"day\":0,\"start\":\"13:00\",\"end\":\"24:00\"},"
                              "{\"day\":5,\"start\":\"16:00\",\"end\":\"20:00\"}],"
                              "\"holidays\":[{\"date\":\"2026-09-23\",\"name\":\"Saudi National Day\"},"
                              "{\"date\":\"2026-12-01\",\"name\":\"\"},"
                              "{\"date\":\"2027-03-10\",\"name\":\"عيد الفطر\"}]}",
                              0, NULL);
    json_t *got = bh_to_json(&c);
    assert_non_null(want);
    assert_non_null(got);
    assert_true(json_equal(got, want));

    sn_err e;
    bh_default(&back);
    assert_int_equal(bh_from_json(&back, got, 0, &e), 0);
    json_t *again = bh_to_json(&back);
    assert_true(json_equal(again, want));

    json_decref(again);
    json_decref(got);
    json_decref(want);
    bh_fini(&back);
    bh_fini(&c);
}

static void test_json_default_shape(void **state)
{
    bh_calendar c;
    bh_default(&c);
    json_t *got = bh_to_json(&c);
    char text[2048];
    snprintf(text, sizeof text, "{\"timezone\":\"Asia/Riyadh\",\"weekly\":%s,\"holidays\":[]}",
             weekdays_8_20);
    json_t *want = json_loads(text, 0, NULL);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    bh_fini(&c);
}

struct bad_case {
    const char *json;
    int merge;
    int code;
    const char *field;
};

static const struct bad_case bad_cases[] = {
    {"[]", 1, SN_EINVALID, ""},
    {"{\"tz\":\"Asia/Riyadh\"}", 1, SN_EINVALID, "tz"},
    {"{\"timezone\":\"Mars/Olympus\"}", 1, SN_EUNPROCESSABLE, "timezone"},
    {"{\"timezone\":\"GMT+03:00\"}", 1, SN_EUNPROCESSABLE, "timezone"},
    {"{\"timezone\":\"\"}", 1, SN_EUNPROCESSABLE, "timezone"},
    {"{\"timezone\":\"Asia/Riyadh\\u0000x\"}", 1, SN_EUNPROCESSABLE, "timezone"},
    {"{\"timezone\":3}", 1, SN_EINVALID, "timezone"},
    {"{\"weekly\":{}}", 1, SN_EINVALID, "weekly"},
    {"{\"weekly\":[]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[7]}", 1, SN_EINVALID, "weekly"},
    {"{\"weekly\":[{\"day\":7,\"start\":\"08:00\",\"end\":\"20:00\"}]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":-1,\"start\":\"08:00\",\"end\":\"20:00\"}]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":\"1\",\"start\":\"08:00\",\"end\":\"20:00\"}]}", 1, SN_EINVALID, "weekly"},
    {"{\"weekly\":[{\"day\":1,\"start\":\"8:00\",\"end\":\"20:00\"}]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":1,\"start\":\"08:00\",\"end\":\"20:60\"}]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":1,\"start\":\"08:00\",\"end\":\"24:01\"}]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":1,\"start\":\"20:00\",\"end\":\"08:00\"}]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":1,\"start\":\"08:00\",\"end\":\"08:00\"}]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":1,\"start\":\"08:00\"}]}", 1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":1,\"start\":\"08:00\",\"end\":\"12:00\",\"open\":true}]}", 1, SN_EINVALID,
     "weekly.open"},
    {"{\"weekly\":[{\"day\":2,\"start\":\"08:00\",\"end\":\"12:00\"},"
     "{\"day\":2,\"start\":\"11:59\",\"end\":\"14:00\"}]}",
     1, SN_EUNPROCESSABLE, "weekly"},
    {"{\"holidays\":{}}", 1, SN_EINVALID, "holidays"},
    {"{\"holidays\":[{\"date\":\"2026-02-30\"}]}", 1, SN_EUNPROCESSABLE, "holidays"},
    {"{\"holidays\":[{\"date\":\"2026-13-01\"}]}", 1, SN_EUNPROCESSABLE, "holidays"},
    {"{\"holidays\":[{\"date\":\"26-11-26\"}]}", 1, SN_EUNPROCESSABLE, "holidays"},
    {"{\"holidays\":[{\"date\":\"2026-11-26T00:00\"}]}", 1, SN_EUNPROCESSABLE, "holidays"},
    {"{\"holidays\":[{\"name\":\"no date\"}]}", 1, SN_EUNPROCESSABLE, "holidays"},
    {"{\"holidays\":[{\"date\":20261126}]}", 1, SN_EINVALID, "holidays"},
    {"{\"holidays\":[{\"date\":\"2026-11-26\"},{\"date\":\"2026-11-26\"}]}", 1, SN_EUNPROCESSABLE,
     "holidays"},
    {"{\"holidays\":[{\"date\":\"2026-11-26\",\"when\":\"x\"}]}", 1, SN_EINVALID, "holidays.when"},
    {"{\"holidays\":[{\"date\":\"2026-11-26\",\"name\":7}]}", 1, SN_EINVALID, "holidays"},
    /* merge = 0 needs timezone and weekly. */
    {"{\"timezone\":\"Asia/Riyadh\"}", 0, SN_EUNPROCESSABLE, "weekly"},
    {"{\"weekly\":[{\"day\":1,\"start\":\"08:00\",\"end\":\"20:00\"}]}", 0, SN_EUNPROCESSABLE,
     "timezone"},
    /* A bad part rejects the whole update, even after a good one. */
    {"{\"timezone\":\"Europe/Berlin\",\"holidays\":[{\"date\":\"2026-02-29\"}]}", 1,
     SN_EUNPROCESSABLE, "holidays"},
};

static int bad_case_fails(const struct bad_case *bc, bh_calendar *c, const json_t *before)
{
    json_t *obj = json_loads(bc->json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    sn_err e;
    memset(&e, 0, sizeof e);
    if (!obj) {
        print_error("test JSON does not parse: %s\n", bc->json);
        return 1;
    }
    int rc = bh_from_json(c, obj, bc->merge, &e);
    json_decref(obj);
    json_t *after = bh_to_json(c);
    int changed = !json_equal(after, before);
    json_decref(after);
    if (rc == bc->code && strcmp(e.field, bc->field) == 0 && !changed) return 0;
    print_error("%s: rc %d field \"%s\" (%s)%s; want rc %d field \"%s\"\n", bc->json, rc, e.field,
                e.message, changed ? ", calendar changed" : "", bc->code, bc->field);
    return 1;
}

/* Checks every case before failing, so one run names all that misbehave. */
static void test_json_validation_errors(void **state)
{
    bh_calendar c;
    bh_default(&c);
    json_t *before = bh_to_json(&c);
    int bad = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
        bad += bad_case_fails(&bad_cases[i], &c, before);
    json_decref(before);
    bh_fini(&c);
    assert_int_equal(bad, 0);
}

static void test_json_limits(void **state)
{
    bh_calendar c;
    sn_err e;
    char name[200];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    bh_default(&c);
    json_t *obj = json_pack("{s:[{s:s, s:s}]}", "holidays", "date", "2026-11-26", "name", name);
    assert_int_equal(bh_from_json(&c, obj, 1, &e), SN_EUNPROCESSABLE);
    assert_string_equal(e.field, "holidays");
    json_decref(obj);

    json_t *weekly = json_array();
    for (int i = 0; i < BH_MAX_WINDOWS + 1; i++)
        json_array_append_new(weekly, json_pack("{s:i, s:s, s:s}", "day", i % 7, "start", "08:00",
                                                "end", "09:00"));
    obj = json_pack("{s:o}", "weekly", weekly);
    assert_int_equal(bh_from_json(&c, obj, 1, &e), SN_EUNPROCESSABLE);
    assert_string_equal(e.field, "weekly");
    json_decref(obj);
    assert_int_equal(c.nwindows, 7);
    bh_fini(&c);
}

static void test_json_merge_updates_only_given_parts(void **state)
{
    bh_calendar c;
    sn_err e;
    bh_default(&c);
    json_t *obj = json_loads("{\"holidays\":[{\"date\":\"2026-09-23\",\"name\":\"National Day\"}]}",
                             0, NULL);
    assert_int_equal(bh_from_json(&c, obj, 1, &e), 0);
    json_decref(obj);
    assert_string_equal(c.timezone, "Asia/Riyadh");
    assert_int_equal(c.nwindows, 7);
    assert_int_equal(c.nholidays, 1);
    assert_string_equal(c.holidays[0].name, "National Day");

    obj = json_loads("{\"timezone\":\"Europe/Berlin\"}", 0, NULL);
    assert_int_equal(bh_from_json(&c, obj, 1, &e), 0);
    json_decref(obj);
    assert_string_equal(c.timezone, "Europe/Berlin");
    assert_int_equal(c.nholidays, 1);

    /* Without merge, an absent "holidays" means none. */
    obj = json_loads("{\"timezone\":\"Asia/Riyadh\",\"weekly\":[{\"day\":3,\"start\":\"09:00\","
                     "\"end\":\"17:00\"}]}",
                     0, NULL);
    assert_int_equal(bh_from_json(&c, obj, 0, &e), 0);
    json_decref(obj);
    assert_int_equal(c.nholidays, 0);
    assert_null(c.holidays);
    assert_int_equal(c.nwindows, 1);
    bh_fini(&c);
}

/* ------------------------------------------------------------------ unusable calendars */

static void test_empty_calendar_is_an_error(void **state)
{
    bh_calendar c;
    bh_default(&c);
    c.nwindows = 0;
    int64_t due = 42, t = at("2026-11-26T10:00:00+03:00");
    assert_int_equal(bh_add(&c, t, HOUR_MS, &due), SN_EUNPROCESSABLE);
    assert_int_equal(bh_next_open(&c, t, &due), SN_EUNPROCESSABLE);
    assert_true(due == 42);
    assert_int_equal(bh_is_open(&c, t), 0);
    assert_true(bh_elapsed(&c, t, t + 24 * HOUR_MS) == 0);

    /* Windows that can never open count as none. */
    c.nwindows = 1;
    c.windows[0] = (bh_window){9, 480, 1200};
    assert_int_equal(bh_add(&c, t, HOUR_MS, &due), SN_EUNPROCESSABLE);
    bh_fini(&c);
}

static void test_unknown_zone_and_range(void **state)
{
    bh_calendar c;
    bh_default(&c);
    int64_t due = 42, t = at("2026-11-26T10:00:00+03:00");
    snprintf(c.timezone, sizeof c.timezone, "%s", "Mars/Olympus");
    assert_int_equal(bh_add(&c, t, HOUR_MS, &due), SN_EUNPROCESSABLE);
    assert_int_equal(bh_is_open(&c, t), 0);
    assert_true(bh_elapsed(&c, t, t + HOUR_MS) < 0);
    snprintf(c.timezone, sizeof c.timezone, "%s", "Asia/Riyadh");
    assert_int_equal(bh_add(&c, INT64_MAX, 0, &due), SN_EINVALID);
    assert_int_equal(bh_add(&c, t, INT64_MAX / 2, &due), SN_EUNPROCESSABLE);
    assert_true(due == 42);
    bh_fini(&c);
}

/* ------------------------------------------------------------------ threads */

struct thread_job {
    const char *zone;
    const char *start, *want;
    int ok;
};

static void *thread_run(void *arg)
{
    struct thread_job *job = arg;
    bh_calendar c;
    bh_default(&c);
    snprintf(c.timezone, sizeof c.timezone, "%s", job->zone);
    job->ok = 1;
    for (int i = 0; i < 2000; i++) {
        int64_t due = 0;
        if (bh_add(&c, at(job->start), 120 * MIN_MS, &due) != 0 || due != at(job->want)) job->ok = 0;
    }
    bh_fini(&c);
    return NULL;
}

/* Each thread keeps its own ICU calendar: different zones in parallel do not interfere. */
static void test_threads_with_different_zones(void **state)
{
    struct thread_job jobs[] = {
        {"Asia/Riyadh", "2026-11-26T19:00:00+03:00", "2026-11-27T09:00:00+03:00", 0},
        {"Europe/Berlin", "2026-03-28T19:00:00+01:00", "2026-03-29T09:00:00+02:00", 0},
        {"America/New_York", "2026-11-26T19:00:00-05:00", "2026-11-27T09:00:00-05:00", 0},
        {"Asia/Riyadh", "2026-11-26T02:00:00+03:00", "2026-11-26T10:00:00+03:00", 0},
    };
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&tid[i], NULL, thread_run, &jobs[i]), 0);
    for (int i = 0; i < 4; i++) pthread_join(tid[i], NULL);
    for (int i = 0; i < 4; i++) assert_int_equal(jobs[i].ok, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_evening_rolls_to_next_morning),
        cmocka_unit_test(test_add_two_business_days_from_thursday),
        cmocka_unit_test(test_contact_at_2am),
        cmocka_unit_test(test_add_zero_and_closing_instant),
        cmocka_unit_test(test_holiday_skips_whole_day),
        cmocka_unit_test(test_leap_day_holiday),
        cmocka_unit_test(test_long_run_of_holidays),
        cmocka_unit_test(test_windows_differ_per_day),
        cmocka_unit_test(test_elapsed_across_night_and_holiday),
        cmocka_unit_test(test_is_open_at_exact_boundaries),
        cmocka_unit_test(test_dst_keeps_wall_clock_hours),
        cmocka_unit_test(test_dst_day_length_and_skipped_hour),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_default_shape),
        cmocka_unit_test(test_json_validation_errors),
        cmocka_unit_test(test_json_limits),
        cmocka_unit_test(test_json_merge_updates_only_given_parts),
        cmocka_unit_test(test_empty_calendar_is_an_error),
        cmocka_unit_test(test_unknown_zone_and_range),
        cmocka_unit_test(test_threads_with_different_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
