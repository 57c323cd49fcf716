/* normalize.c — unit tests of search/normalize: every rule with its exact output, separators,
 * invalid UTF-8, the buffer maximum, long and expanding input, idempotence, threads. Every
 * expected output is also checked to normalise to itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "search/normalize.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct norm_case {
    const char *in;
    const char *want;
};

/* Normalise `in` (its strlen) and compare with `want`; then normalise `want` and expect it back. */
static void check_at(const char *in, const char *want, const char *file, int line)
{
    buf b;
    buf_init(&b, 1 << 20);
    if (text_normalize(in, strlen(in), &b) != 0) {
        print_error("text_normalize failed on \"%s\"\n", in);
        _fail(file, line);
    }
    _assert_string_equal(b.data, want, file, line);
    buf_reset(&b);
    assert_int_equal(text_normalize(want, strlen(want), &b), 0);
    _assert_string_equal(b.data, want, file, line);
    buf_fini(&b);
}
#define check(in, want) check_at((in), (want), __FILE__, __LINE__)

static void check_cases(const struct norm_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check(c[i].in, c[i].want);
}
#define CHECK_CASES(arr) check_cases((arr), sizeof(arr) / sizeof((arr)[0]))

/* UTF-8 of one code point into p (at least 5 bytes), NUL-terminated. */
static void utf8_of(unsigned cp, char *p)
{
    if (cp < 0x80) {
        *p++ = (char)cp;
    } else if (cp < 0x800) {
        *p++ = (char)(0xC0 | cp >> 6);
        *p++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *p++ = (char)(0xE0 | cp >> 12);
        *p++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *p++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *p++ = (char)(0xF0 | cp >> 18);
        *p++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *p++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *p++ = (char)(0x80 | (cp & 0x3F));
    }
    *p = '\0';
}

/* "<before><cp><after>" must normalise to `want`. */
static void check_between(const char *before, unsigned cp, const char *after, const char *want)
{
    char mid[8], in[64];
    utf8_of(cp, mid);
    snprintf(in, sizeof in, "%s%s%s", before, mid, after);
    check(in, want);
}

/* ---- NFKC: presentation forms, full width, ligatures ----------------------------------------- */

static void test_presentation_forms_fold(void **state)
{
    static const struct norm_case c[] = {
        {"\uFEFB", "لا"},                     /* ﻻ lam-alef isolated */
        {"\uFEFC", "لا"},                     /* ﻼ lam-alef final */
        {"\uFEF5", "لا"},                     /* ﻵ lam-alef-madda → لآ → لا */
        {"\uFE83\uFEA3\uFEE4\uFEAA", "احمد"}, /* ﺃﺣﻤﺪ */
        {"\uFE8D\uFEDF\uFEE4\uFEAA\uFEAE\uFeB4\uFE94", "المدرسه"}, /* ﺍﻟﻤﺪﺭﺴﺔ */
        {"\uFB50", "ا"},                                           /* ﭐ alef wasla isolated */
        {"\uFDF2", "الله"},                                        /* ﷲ */
        {"\uFDFA", "صلي الله عليه وسلم"},                          /* ﷺ, 18 letters from one */
        {"\uFEEF", "ي"},  /* ﻯ alef maksura isolated → ى → ي */
        {"ب\uFE71", "ب"}, /* ﹱ tatweel with fathatan */
        {"\uFE70", ""},   /* ﹰ fathatan isolated: space + mark */
    };
    CHECK_CASES(c);
}

static void test_full_width_latin_folds(void **state)
{
    check("ＨＥＬＬＯ　ＷＯＲＬＤ１２３", "hello world123");
    check("\uFB01le", "file"); /* ﬁ ligature */
    check("x²", "x2");
    check("Ⅻ", "xii");
}

/* ---- lower case ------------------------------------------------------------------------------ */

static void test_lower_case(void **state)
{
    static const struct norm_case c[] = {
        {"Hello, World!", "hello world"},
        {"HELLO", "hello"},
        {"ÀÉÎÕÜ Ç", "àéîõü ç"},
        {"ΣΟΦΙΑ", "σοφια"},
        {"Straße", "strasse"},
        {"МОСКВА", "москва"},
    };
    CHECK_CASES(c);
}

/* ---- removals -------------------------------------------------------------------------------- */

static void test_harakat_removed(void **state)
{
    static const struct norm_case c[] = {
        {"أَحْمَد", "احمد"},
        {"مُحَمَّدٌ", "محمد"},
        {"كِتَابًا", "كتابا"},
        {"السَّلَامُ عَلَيْكُمْ", "السلام عليكم"},
    };
    CHECK_CASES(c);
    for (unsigned cp = 0x064B; cp <= 0x065F; cp++)
        check_between("ب", cp, "ت", "بت");
}

static void test_superscript_alef_removed(void **state)
{
    check("هٰذا", "هذا");
    check("الرَّحْمٰنِ", "الرحمن");
    check_between("ب", 0x0670, "ت", "بت");
}

static void test_tatweel_removed(void **state)
{
    check("مـــدرسة", "مدرسه");
    check("ســـلام", "سلام");
    check("ـــ", "");
}

static void test_quranic_marks_removed(void **state)
{
    check("ٱلْحَمْدُ لِلَّهِ", "الحمد لله");
    check("ٱلۡحَمۡدُ", "الحمد"); /* U+06E1 small high dotless head of khah as sukun */
    static const unsigned marks[] = {0x0610, 0x0615, 0x061A, 0x06D6, 0x06DC, 0x06DF,
                                     0x06E4, 0x06E7, 0x06E8, 0x06EA, 0x06ED};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        check_between("ب", marks[i], "ت", "بت");
}

static void test_bidi_and_format_marks_removed(void **state)
{
    static const struct {
        unsigned lo, hi;
    } ranges[] = {
        {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2066, 0x2069}, {0xFEFF, 0xFEFF}, {0x061C, 0x061C},
    };
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
        for (unsigned cp = ranges[r].lo; cp <= ranges[r].hi; cp++) {
            check_between("a", cp, "b", "ab");
            check_between("", cp, "مرحبا", "مرحبا");
            check_between("مرحبا", cp, "", "مرحبا");
        }
    check("\u200Fمرحبا\u200E", "مرحبا");
    check("\u202Bطلب\u202C رقم \u2067١٢٣\u2069", "طلب رقم 123");
    check("\uFEFFhello", "hello");
    check("soft\u00ADhyphen", "softhyphen");
}

/* ---- mappings -------------------------------------------------------------------------------- */

static void test_alef_forms_map_to_bare_alef(void **state)
{
    static const struct norm_case c[] = {
        {"أحمد", "احمد"},   {"إسلام", "اسلام"}, {"آمنة", "امنه"},
        {"ٱلله", "الله"},   {"أإآٱا", "ااااا"}, {"ا\u0654حمد", "احمد"}, /* decomposed أ */
        {"مسؤول", "مسؤول"}, {"رئيس", "رئيس"}, /* hamza on waw and yeh stays */
    };
    CHECK_CASES(c);
}

static void test_alef_maksura_and_ta_marbuta(void **state)
{
    check("مستشفى", "مستشفي");
    check("على", "علي");
    check("مدرسة", "مدرسه");
    check("مدينة المعرفة", "مدينه المعرفه");
}

static void test_digits_to_ascii(void **state)
{
    static const struct norm_case c[] = {
        {"٠٥٥١٢٣٤٥٦٧", "0551234567"},
        {"٠١٢٣٤٥٦٧٨٩", "0123456789"},
        {"۰۱۲۳۴۵۶۷۸۹", "0123456789"},
        {"رقم۱۲", "رقم12"},
        {"١٢٫٥", "12 5"}, /* Arabic decimal separator is punctuation */
        {"٪٥٠", "50"},
    };
    CHECK_CASES(c);
}

static void test_mixed_arabic_latin_digits(void **state)
{
    check("طلب رقم ١٢٣ Refund", "طلب رقم 123 refund");
    check("Order #٤٥: تم الإلغاء.", "order 45 تم الالغاء");
}

/* ---- separators ------------------------------------------------------------------------------ */

static void test_separators_collapse(void **state)
{
    static const struct norm_case c[] = {
        {"مرحبا، كيف الحال؟", "مرحبا كيف الحال"},
        {"نعم؛ لا", "نعم لا"},
        {"  \t\n leading and trailing \r\n ", "leading and trailing"},
        {"a...b---c", "a b c"},
        {"!!!", ""},
        {"a\u00A0b\u3000c", "a b c"},
        {"شكرا 👍 جزيلا", "شكرا جزيلا"},
        {"«اقتباس»", "اقتباس"},
        {"e-mail: a@b.sa", "e mail a b sa"},
    };
    CHECK_CASES(c);
}

static void test_embedded_nul_is_a_separator(void **state)
{
    buf b;
    buf_init(&b, 64);
    assert_int_equal(text_normalize("a\0b", 3, &b), 0);
    assert_string_equal(b.data, "a b");
    buf_fini(&b);
}

static void test_combining_marks(void **state)
{
    check("cafe\u0301", "café"); /* composed by NFKC */
    check("हिन्दी", "हिन्दी");     /* Devanagari signs stay inside the word */
    check(" \u0301abc", "abc");  /* a mark with no letter before it goes */
    check("a, \u0301\u0302b", "a b");
    check("e\u0640\u0301", "\u00E9"); /* tatweel gone, then e + acute composes */
    check("a\u0654\u0301", "\u00E1"); /* hamza above blocked the acute until dropped */
}

/* ---- edges ----------------------------------------------------------------------------------- */

static void test_empty_input(void **state)
{
    buf b;
    buf_init(&b, 16);
    assert_int_equal(text_normalize("", 0, &b), 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(b.len, 0);
    assert_int_equal(text_normalize(NULL, 0, &b), 0);
    assert_int_equal(b.len, 0);
    buf_fini(&b);
}

static void test_invalid_utf8_rejected(void **state)
{
    static const char *bad[] = {
        "\xff",
        "\x80",
        "\xc0\x80", /* overlong NUL */
        "\xe0\x80\xaf",
        "\xed\xa0\x80",     /* UTF-16 surrogate */
        "\xf4\x90\x80\x80", /* > U+10FFFF */
        "\xd8",
        "\xd8\xa7\xd8", /* truncated Arabic */
        "ab\xe2\x80",
        "\xf8\x88\x80\x80\x80",
        "مرحبا\xfe",
    };
    buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_puts(&b, "keep"), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(text_normalize(bad[i], strlen(bad[i]), &b), -1);
        assert_int_equal(b.len, 4);
        assert_string_equal(b.data, "keep");
    }
    buf_fini(&b);
}

static void test_appends_to_existing_content(void **state)
{
    buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_puts(&b, "x:"), 0);
    assert_int_equal(text_normalize("Hello", 5, &b), 0);
    assert_string_equal(b.data, "x:hello");
    buf_fini(&b);
}

static void test_buffer_full_appends_nothing(void **state)
{
    buf b;
    buf_init(&b, 10);
    assert_int_equal(text_normalize("Hello World", 11, &b), -1); /* "hello world" is 11 */
    assert_int_equal(b.len, 0);
    buf_fini(&b);
    buf_init(&b, 11);
    assert_int_equal(text_normalize("Hello World", 11, &b), 0);
    assert_string_equal(b.data, "hello world");
    buf_fini(&b);
}

/* Inputs far past the stack scratch, and ones that expand 18-fold under NFKC. */
static void test_long_and_expanding_input(void **state)
{
    buf in, want, got;
    buf_init(&in, 1 << 20);
    buf_init(&want, 1 << 20);
    buf_init(&got, 1 << 20);
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(buf_puts(&in, "أَحْمَد، ﷺ "), 0);
        assert_int_equal(
            buf_puts(&want, i ? " احمد صلي الله عليه وسلم" : "احمد صلي الله عليه وسلم"), 0);
    }
    assert_int_equal(text_normalize(in.data, in.len, &got), 0);
    assert_int_equal(got.len, want.len);
    assert_string_equal(got.data, want.data);

    buf_reset(&in);
    buf_reset(&want);
    buf_reset(&got);
    for (int i = 0; i < 30; i++) { /* 90 bytes in, 540 units after NFKC */
        assert_int_equal(buf_puts(&in, "\uFDFA"), 0);
        assert_int_equal(buf_puts(&want, "صلي الله عليه وسلم"), 0);
    }
    assert_int_equal(text_normalize(in.data, in.len, &got), 0);
    assert_string_equal(got.data, want.data);
    buf_fini(&in);
    buf_fini(&want);
    buf_fini(&got);
}

static void test_idempotent(void **state)
{
    static const char *samples[] = {
        "أَحْمَد بن عَلِيّ، مدير مـــدرسة المستشفى — هاتف: ٠٥٥١٢٣٤٥٦٧",
        "\u202Bطلب رقم ١٢٣\u202C Refund REQUESTED!!! ﻻ ﷺ",
        "Ça va? ＦＵＬＬ ｗｉｄｔｈ ß ﬁ ½ e\u0640\u0301 a\u0654\u0301",
        "ٱلۡحَمۡدُ لِلَّهِ رَبِّ ٱلۡعَٰلَمِينَ",
        "  ،؛؟  ",
    };
    buf once, twice;
    buf_init(&once, 4096);
    buf_init(&twice, 4096);
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        buf_reset(&once);
        buf_reset(&twice);
        assert_int_equal(text_normalize(samples[i], strlen(samples[i]), &once), 0);
        assert_int_equal(text_normalize(once.data, once.len, &twice), 0);
        assert_string_equal(once.data, twice.data);
    }
    buf_fini(&once);
    buf_fini(&twice);
}

static void test_dup(void **state)
{
    char *s = text_normalize_dup("Hello, مستشفى!");
    assert_non_null(s);
    assert_string_equal(s, "hello مستشفي");
    free(s);
    s = text_normalize_dup("");
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    assert_null(text_normalize_dup("bad \xff"));
    assert_null(text_normalize_dup(NULL));
}

/* ---- threads --------------------------------------------------------------------------------- */

static const char thread_text[] = "أَحْمَد، مـــدرسة ١٢٣ ﻻ Hello \u200F";
static const char thread_want[] = "احمد مدرسه 123 لا hello";

static void *normalize_many(void *arg)
{
    long *failures = arg;
    buf b;
    buf_init(&b, 256);
    for (int i = 0; i < 2000; i++) {
        buf_reset(&b);
        if (text_normalize(thread_text, strlen(thread_text), &b) != 0 ||
            strcmp(b.data, thread_want) != 0)
            (*failures)++;
    }
    buf_fini(&b);
    return NULL;
}

static void test_concurrent_calls_agree(void **state)
{
    enum { THREADS = 8 };
    pthread_t t[THREADS];
    long failures[THREADS] = {0};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, normalize_many, &failures[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(failures[i], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presentation_forms_fold),
        cmocka_unit_test(test_full_width_latin_folds),
        cmocka_unit_test(test_lower_case),
        cmocka_unit_test(test_harakat_removed),
        cmocka_unit_test(test_superscript_alef_removed),
        cmocka_unit_test(test_tatweel_removed),
        cmocka_unit_test(test_quranic_marks_removed),
        cmocka_unit_test(test_bidi_and_format_marks_removed),
        cmocka_unit_test(test_alef_forms_map_to_bare_alef),
        cmocka_unit_test(test_alef_maksura_and_ta_marbuta),
        cmocka_unit_test(test_digits_to_ascii),
        cmocka_unit_test(test_mixed_arabic_latin_digits),
        cmocka_unit_test(test_separators_collapse),
        cmocka_unit_test(test_embedded_nul_is_a_separator),
        cmocka_unit_test(test_combining_marks),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_invalid_utf8_rejected),
        cmocka_unit_test(test_appends_to_existing_content),
        cmocka_unit_test(test_buffer_full_appends_nothing),
        cmocka_unit_test(test_long_and_expanding_input),
        cmocka_unit_test(test_idempotent),
        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_concurrent_calls_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
