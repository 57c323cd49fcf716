/* joinable_cache.c — unit tests of domain/joinable_cache: entries by (customer, line), the
 * same customer on two lines kept apart, replace, forget and put again, growth past many
 * thousands against a reference array, clear, and NULL-safety. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "domain/joinable_cache.h"

#include <stdlib.h>

static joinable_entry entry(int64_t conv, enum joinable_state state, int64_t solved_at,
                            int64_t since)
{
    return (joinable_entry){conv, solved_at, since, state};
}

static void test_put_get_forget(void **state)
{
    (void)state;
    joinable_cache *c = joinable_cache_new();
    assert_non_null(c);
    assert_null(joinable_cache_get(c, 7, 1));
    joinable_entry open = entry(100, JOINABLE_OPEN, 0, 5000);
    assert_int_equal(joinable_cache_put(c, 7, 1, &open), 0);
    const joinable_entry *got = joinable_cache_get(c, 7, 1);
    assert_non_null(got);
    assert_int_equal(got->conversation_id, 100);
    assert_int_equal(got->since, 5000);
    assert_int_equal(got->state, JOINABLE_OPEN);
    assert_null(joinable_cache_get(c, 7, 2)); /* another line of the same customer */
    assert_null(joinable_cache_get(c, 8, 1)); /* another customer on the line */
    joinable_entry none = entry(101, JOINABLE_NEVER, 0, 6000),
                   solved = entry(102, JOINABLE_SOLVED, 9, 7000);
    assert_int_equal(joinable_cache_put(c, 7, 0, &none), 0); /* no service line: line 0 */
    assert_int_equal(joinable_cache_put(c, 7, 1, &solved), 0); /* replaces */
    assert_int_equal(joinable_cache_get(c, 7, 1)->conversation_id, 102);
    assert_int_equal(joinable_cache_get(c, 7, 1)->solved_at, 9);
    assert_int_equal(joinable_cache_get(c, 7, 0)->state, JOINABLE_NEVER);
    joinable_cache_forget(c, 7, 1);
    assert_null(joinable_cache_get(c, 7, 1));
    assert_non_null(joinable_cache_get(c, 7, 0)); /* the neighbour stays */
    joinable_cache_forget(c, 9, 9); /* never put: nothing happens */
    assert_int_equal(joinable_cache_put(c, 7, 1, &open), 0); /* put again after forgetting */
    assert_int_equal(joinable_cache_get(c, 7, 1)->conversation_id, 100);
    joinable_cache_clear(c);
    assert_null(joinable_cache_get(c, 7, 0));
    assert_int_equal(joinable_cache_put(c, 7, 0, &none), 0); /* usable after a clear */
    assert_int_equal(joinable_cache_get(c, 7, 0)->conversation_id, 101);
    assert_int_equal(joinable_cache_put(c, 0, 1, &none), -1); /* no customer */
    joinable_cache_free(c);
    assert_null(joinable_cache_get(NULL, 7, 0));
    joinable_cache_forget(NULL, 7, 0);
    joinable_cache_free(NULL);
}

/* Many customers on a few lines, random puts and forgets, checked against a plain array. */
static void test_many_against_reference(void **state)
{
    (void)state;
    enum { CUSTOMERS = 60000, LINES = 4, STEPS = 400000 };
    int64_t *ref = calloc((size_t)CUSTOMERS * LINES, sizeof *ref); /* conversation, 0: none */
    joinable_cache *c = joinable_cache_new();
    assert_non_null(ref);
    srand(7);
    for (int i = 0; i < STEPS; i++) {
        int64_t customer = 1 + rand() % CUSTOMERS, line = rand() % LINES;
        int64_t *want = &ref[(customer - 1) * LINES + line];
        if (rand() % 5 == 0) {
            joinable_cache_forget(c, customer, line);
            *want = 0;
        } else {
            joinable_entry e = entry(i + 1, JOINABLE_OPEN, 0, i);
            assert_int_equal(joinable_cache_put(c, customer, line, &e), 0);
            *want = i + 1;
        }
    }
    for (int64_t customer = 1; customer <= CUSTOMERS; customer++)
        for (int64_t line = 0; line < LINES; line++) {
            const joinable_entry *got = joinable_cache_get(c, customer, line);
            int64_t want = ref[(customer - 1) * LINES + line];
            if (want)
                assert_true(got && got->conversation_id == want && got->since == want - 1);
            else
                assert_null(got);
        }
    joinable_cache_free(c);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_forget),
        cmocka_unit_test(test_many_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
