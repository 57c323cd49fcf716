/* analyzer.c — unit tests of search/analyzer (every normalisation the index sees, every light
 * stemming rule and its length guard, English Snowball, digits, mixed text, the stop list),
 * search/query (clauses, stop words, prefixes, synonyms, edit distance) and search/rank (title
 * weight, proximity, idf). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "search/analyzer.h"
#include "search/query.h"
#include "search/rank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The index form of `in` must be `want`. */
static void index_is_at(const char *in, const char *want, const char *file, int line)
{
    buf b;
    buf_init(&b, 1 << 20);
    if (analyzer_index_text(in, strlen(in), &b) != 0) {
        print_error("analyzer_index_text failed on \"%s\"\n", in);
        _fail(file, line);
    }
    _assert_string_equal(b.data ? b.data : "", want, file, line);
    buf_fini(&b);
}
#define index_is(in, want) index_is_at((in), (want), __FILE__, __LINE__)

static void stem_is_at(const char *word, const char *want, const char *file, int line)
{
    char out[ANALYZER_MAX_WORD + 1];
    analyzer_stem(word, strlen(word), out, sizeof out);
    _assert_string_equal(out, want, file, line);
}
#define stem_is(w, want) stem_is_at((w), (want), __FILE__, __LINE__)

/* ---- normalisation as the index sees it ------------------------------------------------------ */

static void test_normalisation(void **state)
{
    (void)state;
    index_is("مَدْرَسَةٌ", "مدرس");              /* harakat, ة → ه, then the suffix ه */
    index_is("أحمد إبراهيم آمال ٱلله", "احمد ابراهيم امال له"); /* alef forms → ا; ال of الله */
    index_is("مستشفى", "مستشف");                /* ى → ي, then the suffix ي */
    index_is("مســـتشفى", "مستشف");             /* tatweel */
    index_is("على", "علي");                     /* ى → ي, kept: a 2-letter stem would remain */
    index_is("ﻣﺪﺭﺳﺔ", "مدرس");                  /* presentation forms (NFKC) */
    index_is("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹", "0123456789 0123456789"); /* Arabic-Indic, Persian */
    index_is("رقم: ١٢٣، السداد؟ نعم!", "رقم 123 سداد نعم");      /* punctuation is a separator */
    index_is("", "");
    index_is("  ؟؟  ", "");
}

/* ---- Arabic light stemming, rule by rule ------------------------------------------------------ */

static void test_arabic_prefixes(void **state)
{
    (void)state;
    stem_is("والكتاب", "كتاب");  /* و + ال */
    stem_is("وكتاب", "كتاب");    /* و alone */
    stem_is("ولد", "ولد");       /* و kept: fewer than 3 letters would remain */
    stem_is("بالقلم", "قلم");
    stem_is("كالبرق", "برق");
    stem_is("فالعمل", "عمل");
    stem_is("للطلاب", "طلاب");
    stem_is("الكتاب", "كتاب");
    stem_is("الي", "الي");       /* ال kept: one letter would remain */
    stem_is("والد", "الد");      /* و goes (3 letters remain); ال stays (one would remain) */
}

static void test_arabic_suffixes(void **state)
{
    (void)state;
    stem_is("كتابها", "كتاب");
    stem_is("موظفان", "موظف");
    stem_is("سيارات", "سيار");
    stem_is("معلمون", "معلم");
    stem_is("مهندسين", "مهندس");
    stem_is("عربيه", "عرب");      /* يه (ية after normalisation) */
    stem_is("كتابه", "كتاب");     /* ه (ة after normalisation, or the pronoun) */
    stem_is("بريدي", "بريد");
    stem_is("والمدرساتها", "مدرس"); /* prefixes, then ها, ات in order */
    stem_is("بين", "بين");        /* ين kept: one letter would remain */
    stem_is("اله", "اله");        /* ه kept: only 2 letters would remain */
    stem_is("سنه", "سنه");
}

static void test_snowball_switch(void **state)
{
    (void)state;
    analyzer_set_arabic(AN_ARABIC_NONE);
    stem_is("والكتاب", "والكتاب");
    analyzer_set_arabic(AN_ARABIC_SNOWBALL);
    char out[ANALYZER_MAX_WORD + 1];
    analyzer_stem("المكتبات", strlen("المكتبات"), out, sizeof out);
    assert_true(strlen(out) < strlen("المكتبات"));
    analyzer_set_arabic(AN_ARABIC_LIGHT);
    assert_int_equal(analyzer_arabic_in_use(), AN_ARABIC_LIGHT);
    stem_is("والكتاب", "كتاب");
}

/* ---- English, digits, mixed text ------------------------------------------------------------ */

static void test_english(void **state)
{
    (void)state;
    stem_is("refunds", "refund");
    stem_is("running", "run");
    stem_is("payments", "payment");
    index_is("Refunds of PAYMENTS", "refund of payment");
    index_is("Ｒｅｆｕｎｄ", "refund"); /* full-width Latin (NFKC) */
}

static void test_digits_and_mixed(void **state)
{
    (void)state;
    index_is("رسوم Visa لعام ٢٠٢٤م", "رسوم visa لعام 2024م"); /* a lone ل is not a rule */
    index_is("ipv6 و 3.5", "ipv6 و 3 5");
    assert_int_equal(analyzer_script_of("2024", 4), AN_SCRIPT_DIGIT);
    assert_int_equal(analyzer_script_of("abc", 3), AN_SCRIPT_LATIN);
    assert_int_equal(analyzer_script_of("ab1", 3), AN_SCRIPT_DIGIT);
    assert_int_equal(analyzer_script_of("كتاب", strlen("كتاب")), AN_SCRIPT_ARABIC);
    assert_int_equal(analyzer_script_of("знак", strlen("знак")), AN_SCRIPT_OTHER);
    stem_is("2024", "2024");
}

static void test_long_words_and_invalid(void **state)
{
    (void)state;
    char w[300];
    memset(w, 'x', sizeof w - 1);
    w[sizeof w - 1] = '\0';
    buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(analyzer_index_text(w, strlen(w), &b), 0);
    assert_true(b.len <= ANALYZER_MAX_WORD);
    buf_reset(&b);
    assert_int_equal(analyzer_index_text("\xff\xfe", 2, &b), -1);
    buf_fini(&b);
}

/* ---- the stop list, terms with positions ------------------------------------------------------ */

static void test_stop_words(void **state)
{
    (void)state;
    const char *stops[] = {"في", "من", "متي", "ماذا", "وفي", "the", "what", "هل"};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        assert_true(analyzer_is_stop(stops[i], strlen(stops[i])));
    const char *keep[] = {"علي", "رسوم", "refund", "و"};
    for (size_t i = 0; i < 3; i++) assert_false(analyzer_is_stop(keep[i], strlen(keep[i])));
    assert_true(analyzer_is_stop(keep[3], strlen(keep[3])));
}

static void test_run_terms(void **state)
{
    (void)state;
    analyzer_terms t;
    analyzer_terms_init(&t);
    const char *text = "متى يُصرف التعويض؟";
    assert_int_equal(analyzer_run(text, strlen(text), &t), 0);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.v[0].word, "متي");
    assert_true(t.v[0].stop);
    assert_string_equal(t.v[1].word, "يصرف");
    assert_string_equal(t.v[2].word, "التعويض");
    assert_string_equal(t.v[2].term, "تعويض");
    assert_int_equal(t.v[2].pos, 2);
    assert_false(t.v[2].stop);
    /* A second call appends, positions go on. */
    assert_int_equal(analyzer_run("refunds", 7, &t), 0);
    assert_int_equal(t.n, 4);
    assert_string_equal(t.v[3].term, "refund");
    assert_int_equal(t.v[3].pos, 3);
    assert_string_equal(t.v[2].term, "تعويض"); /* earlier pointers stay valid */
    analyzer_terms_fini(&t);
}

static void test_strip_prefixes(void **state)
{
    (void)state;
    char out[64];
    analyzer_strip_prefixes("والاستر", strlen("والاستر"), out, sizeof out);
    assert_string_equal(out, "استر");
    analyzer_strip_prefixes("مدرسه", strlen("مدرسه"), out, sizeof out);
    assert_string_equal(out, "مدرسه"); /* suffixes are left: the word may be unfinished */
}

/* ---- queries ------------------------------------------------------------------------------- */

static void test_query_clauses(void **state)
{
    (void)state;
    search_query *q = calloc(1, sizeof *q);
    assert_int_equal(search_query_build("متى يصرف التعويض؟", 0, NULL, q), 0);
    assert_int_equal(q->n, 2); /* the stop word is dropped */
    assert_string_equal(q->c[1].alt[0].term, "تعويض");
    assert_int_equal(q->c[1].alt[0].kind, ALT_TERM);
    /* Only stop words: they are kept. */
    assert_int_equal(search_query_build("من هو", 0, NULL, q), 0);
    assert_int_equal(q->n, 2);
    /* Type-ahead: the last word is also a prefix, even when a stop word. */
    assert_int_equal(search_query_build("منصة اعتم", 1, NULL, q), 0);
    assert_int_equal(q->n, 2);
    assert_int_equal(q->c[1].nalt, 2);
    assert_int_equal(q->c[1].alt[1].kind, ALT_PREFIX);
    assert_string_equal(q->c[1].alt[1].term, "اعتم");
    assert_int_equal(search_query_build("خدمة من", 1, NULL, q), 0);
    assert_int_equal(q->n, 2);
    /* A one-letter prefix is not used. */
    assert_int_equal(search_query_build("ا", 1, NULL, q), 0);
    assert_int_equal(q->c[0].nalt, 1);
    assert_int_equal(search_query_build("", 0, NULL, q), 0);
    assert_int_equal(q->n, 0);
    free(q);
}

static void test_query_synonyms(void **state)
{
    (void)state;
    search_synonyms s;
    search_synonyms_init(&s);
    const char *g1[] = {"فلوس", "المبالغ المدفوعة"};
    const char *g2[] = {"حساب المواطن", "الضمان"};
    assert_int_equal(search_synonyms_add(&s, g1, 2), 0);
    assert_int_equal(search_synonyms_add(&s, g2, 2), 0);
    search_query *q = calloc(1, sizeof *q);
    assert_int_equal(search_query_build("ارجاع الفلوس", 0, &s, q), 0);
    assert_int_equal(q->n, 2);
    assert_int_equal(q->c[1].nalt, 2);
    assert_int_equal(q->c[1].alt[1].kind, ALT_PHRASE);
    assert_string_equal(q->c[1].alt[1].term, "مبالغ مدفوع");
    /* A multi-word member matched in the query becomes one clause. */
    assert_int_equal(search_query_build("دعم حساب المواطن", 0, &s, q), 0);
    assert_int_equal(q->n, 2);
    assert_int_equal(q->c[1].alt[0].kind, ALT_PHRASE);
    assert_string_equal(q->c[1].alt[0].term, "حساب مواطن");
    assert_string_equal(q->c[1].alt[1].term, "ضمان");
    free(q);
    search_synonyms_fini(&s);
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(search_edit_distance("استرداد", "استرداد", 1), 0);
    assert_int_equal(search_edit_distance("استرداد", "استردد", 1), 1);  /* deletion */
    assert_int_equal(search_edit_distance("استرداد", "استرداذ", 1), 1); /* substitution */
    assert_int_equal(search_edit_distance("استرداد", "استردااد", 1), 1); /* insertion */
    assert_int_equal(search_edit_distance("refund", "rfeund", 1), 1);   /* transposition */
    assert_int_equal(search_edit_distance("refund", "rfnd", 1), 2);     /* capped at max + 1 */
    assert_int_equal(search_edit_distance("abc", "abcdef", 1), 2);
}

/* ---- ranking ------------------------------------------------------------------------------- */

static void test_rank(void **state)
{
    (void)state;
    search_query *q = calloc(1, sizeof *q);
    assert_int_equal(search_query_build("رسوم التسجيل", 0, NULL, q), 0);
    for (int i = 0; i < q->n; i++) q->c[i].alt[0].df = 2;
    rank_stats s = {10, 3, 20};
    rank_prepare(q, &s);
    assert_true(q->c[0].idf > 0);
    int matched;
    double in_title = rank_score(q, &s, &rank_defaults, "رسوم", "نص تسجيل طويل", &matched);
    assert_int_equal(matched, 2);
    double in_body = rank_score(q, &s, &rank_defaults, "نص", "رسوم نص تسجيل طويل", &matched);
    assert_true(in_title > in_body);
    /* Proximity: the two words next to each other beat the same words far apart. */
    double near = rank_score(q, &s, &rank_defaults, "", "رسوم تسجيل ا ب ج د ه و ز ح", NULL);
    double far = rank_score(q, &s, &rank_defaults, "", "رسوم ا ب ج د ه و ز ح تسجيل", NULL);
    assert_true(near > far);
    /* A rarer word weighs more. */
    q->c[0].alt[0].df = 9;
    rank_prepare(q, &s);
    double common = rank_score(q, &s, &rank_defaults, "", "رسوم", NULL);
    double rare = rank_score(q, &s, &rank_defaults, "", "تسجيل", NULL);
    assert_true(rare > common);
    assert_true(rank_score(q, &s, &rank_defaults, "", "شيء اخر", &matched) == 0 && matched == 0);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalisation),  cmocka_unit_test(test_arabic_prefixes),
        cmocka_unit_test(test_arabic_suffixes), cmocka_unit_test(test_snowball_switch),
        cmocka_unit_test(test_english),        cmocka_unit_test(test_digits_and_mixed),
        cmocka_unit_test(test_long_words_and_invalid), cmocka_unit_test(test_stop_words),
        cmocka_unit_test(test_run_terms),      cmocka_unit_test(test_strip_prefixes),
        cmocka_unit_test(test_query_clauses),  cmocka_unit_test(test_query_synonyms),
        cmocka_unit_test(test_edit_distance),  cmocka_unit_test(test_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
