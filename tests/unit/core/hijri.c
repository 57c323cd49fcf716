/* hijri.c — unit tests of core/hijri: Umm al-Qura dates (checked against the published
 * calendar), the Riyadh day boundary, long formats in Arabic and English, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/hijri.h"

#include <pthread.h>
#include <string.h>

#define HOUR 3600000LL

/* 2024-03-11T00:00:00Z, and days after it. */
#define MAR11 1710115200000LL
#define DAY (24 * HOUR)

static void date_is(int64_t ms, hijri_calendar cal, int y, int m, int d)
{
    hijri_date h = {0};
    assert_int_equal(hijri_date_of(ms, HIJRI_ZONE, cal, &h), 0);
    assert_int_equal(h.year, y);
    assert_int_equal(h.month, m);
    assert_int_equal(h.day, d);
}

/* Month starts of the Umm al-Qura calendar as Saudi Arabia publishes them. */
static void test_umm_al_qura_month_starts(void **state)
{
    (void)state;
    date_is(MAR11 + 12 * HOUR, HIJRI_UMALQURA, 1445, 9, 1); /* 1 Ramadan 1445 = 11 Mar 2024 */
    date_is(1720353600000LL, HIJRI_UMALQURA, 1446, 1, 1);   /* 1 Muharram 1446 = 7 Jul 2024 */
    date_is(1689768000000LL, HIJRI_UMALQURA, 1445, 1, 1);   /* 1 Muharram 1445 = 19 Jul 2023 */
    date_is(1740787200000LL + 12 * HOUR, HIJRI_UMALQURA, 1446, 9,
            1); /* 1 Ramadan 1446 = 1 Mar 2025 */
}

/* The day changes at midnight in Riyadh (UTC+3), not at midnight UTC. */
static void test_riyadh_midnight(void **state)
{
    (void)state;
    date_is(MAR11 - 3 * HOUR - 1, HIJRI_UMALQURA, 1445, 8, 29); /* 23:59:59.999 Riyadh, 10 Mar */
    date_is(MAR11 - 3 * HOUR, HIJRI_UMALQURA, 1445, 9, 1);      /* 00:00 Riyadh, 11 Mar */
    date_is(MAR11 - 3 * HOUR - 1, HIJRI_GREGORIAN, 2024, 3, 10);
    date_is(MAR11 - 3 * HOUR, HIJRI_GREGORIAN, 2024, 3, 11);
    hijri_date h;
    assert_int_equal(hijri_date_of(MAR11 - 3 * HOUR, "UTC", HIJRI_GREGORIAN, &h), 0);
    assert_int_equal(h.day, 10);
}

/* The time of day on the zone's clock: Riyadh is three hours ahead of UTC. */
static void test_time_of_day(void **state)
{
    (void)state;
    hijri_date h;
    assert_int_equal(hijri_date_of(MAR11 + 21 * HOUR + 5 * 60000, HIJRI_ZONE, HIJRI_GREGORIAN, &h), 0);
    assert_int_equal(h.day, 12); /* 21:05 UTC on 11 Mar is 00:05 on 12 Mar in Riyadh */
    assert_int_equal(h.hour, 0);
    assert_int_equal(h.minute, 5);
    assert_int_equal(hijri_date_of(MAR11 + 20 * HOUR + 59 * 60000, HIJRI_ZONE, HIJRI_GREGORIAN, &h), 0);
    assert_int_equal(h.day, 11);
    assert_int_equal(h.hour, 23);
    assert_int_equal(h.minute, 59);
    assert_int_equal(hijri_date_of(MAR11 + 20 * HOUR + 59 * 60000, "UTC", HIJRI_GREGORIAN, &h), 0);
    assert_int_equal(h.hour, 20);
}

static void format_is(int64_t ms, const char *lang, hijri_calendar cal, const char *want)
{
    char out[128];
    int n = hijri_format(ms, HIJRI_ZONE, lang, cal, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_formats(void **state)
{
    (void)state;
    int64_t t = MAR11 + DAY + 21 * HOUR + 30 * 60000; /* 2024-03-12T21:30Z = 13 Mar 00:30 Riyadh */
    format_is(t, "ar", HIJRI_UMALQURA, "٣ رمضان ١٤٤٥ هـ");
    format_is(t, "ar", HIJRI_GREGORIAN, "١٣ مارس ٢٠٢٤");
    format_is(t, "en", HIJRI_UMALQURA, "3 Ramadan 1445 AH");
    format_is(t, "en", HIJRI_GREGORIAN, "13 March 2024");
    format_is(t, NULL, HIJRI_GREGORIAN, "13 March 2024"); /* not "ar": English */
}

static void test_errors(void **state)
{
    (void)state;
    char out[64] = "x";
    hijri_date h;
    assert_int_equal(hijri_date_of(MAR11, "Mars/Olympus_Mons", HIJRI_UMALQURA, &h), -1);
    assert_int_equal(hijri_date_of(MAR11, "", HIJRI_UMALQURA, &h), -1);
    assert_int_equal(hijri_date_of(MAR11, "Asia/Riyadh\"; x", HIJRI_UMALQURA, &h), -1);
    assert_int_equal(hijri_format(MAR11, "Nowhere/City", "ar", HIJRI_UMALQURA, out, sizeof out),
                     -1);
    assert_string_equal(out, "");
    /* Too small a buffer: nothing half-written. */
    char tiny[8] = "x";
    assert_int_equal(hijri_format(MAR11, HIJRI_ZONE, "ar", HIJRI_UMALQURA, tiny, sizeof tiny), -1);
    assert_string_equal(tiny, "");
    assert_int_equal(hijri_format(MAR11, HIJRI_ZONE, "ar", HIJRI_UMALQURA, tiny, 0), -1);
}

/* The cache holds a few formatters per thread; more combinations than slots still work. */
static void test_many_zones(void **state)
{
    (void)state;
    static const char *const zones[] = {
        "Asia/Riyadh",      "UTC",        "Europe/London",    "Asia/Dubai",   "Africa/Cairo",
        "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Asia/Karachi", "Asia/Riyadh"};
    char out[128];
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
            for (int cal = 0; cal < 2; cal++)
                assert_true(hijri_format(MAR11, zones[i], round ? "en" : "ar", (hijri_calendar)cal,
                                         out, sizeof out) > 0);
    format_is(MAR11 + 12 * HOUR, "en", HIJRI_UMALQURA, "1 Ramadan 1445 AH");
}

static void *thread_main(void *arg)
{
    char out[128];
    int *ok = arg;
    *ok = hijri_format(MAR11 + 12 * HOUR, HIJRI_ZONE, "en", HIJRI_UMALQURA, out, sizeof out) > 0 &&
          !strcmp(out, "1 Ramadan 1445 AH");
    return NULL;
}

/* Each thread has its own formatters (ICU's are not thread-safe); they are freed at exit. */
static void test_threads(void **state)
{
    (void)state;
    pthread_t th[4];
    int ok[4] = {0};
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &ok[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(ok[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_umm_al_qura_month_starts),
        cmocka_unit_test(test_riyadh_midnight),
        cmocka_unit_test(test_time_of_day),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_many_zones),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
