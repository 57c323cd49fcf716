/* idset.c — unit tests of core/idset: add, has, remove (with the run shifted back), growth,
 * checked against a plain array over a long random sequence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/idset.h"

#include <stdlib.h>
#include <string.h>

static void test_add_has_remove(void **state)
{
    idset s = {0};
    assert_false(idset_has(&s, 7));
    assert_int_equal(idset_remove(&s, 7), 0);
    assert_int_equal(idset_add(&s, 7), 1);
    assert_int_equal(idset_add(&s, 7), 0);
    assert_true(idset_has(&s, 7));
    assert_false(idset_has(&s, 8));
    assert_int_equal(s.n, 1);
    assert_int_equal(idset_remove(&s, 7), 1);
    assert_false(idset_has(&s, 7));
    assert_int_equal(s.n, 0);
    assert_int_equal(idset_add(&s, 0), -1);
    assert_int_equal(idset_add(&s, -3), -1);
    idset_fini(&s);
}

/* Many ids in a small table collide: removing from the middle of runs must keep every other
 * member findable. */
static void test_random_against_reference(void **state)
{
    enum { RANGE = 5000, STEPS = 200000 };
    idset s = {0};
    char *ref = calloc(RANGE + 1, 1);
    assert_non_null(ref);
    srand(12345);
    size_t members = 0;
    for (int step = 0; step < STEPS; step++) {
        int64_t id = 1 + rand() % RANGE;
        if (rand() % 3) {
            assert_int_equal(idset_add(&s, id), !ref[id]);
            members += !ref[id];
            ref[id] = 1;
        } else {
            assert_int_equal(idset_remove(&s, id), ref[id]);
            members -= ref[id];
            ref[id] = 0;
        }
        assert_int_equal(s.n, members);
        if (step % 10000 == 0)
            for (int64_t k = 1; k <= RANGE; k++)
                assert_int_equal(idset_has(&s, k), ref[k]);
    }
    for (int64_t k = 1; k <= RANGE; k++)
        assert_int_equal(idset_has(&s, k), ref[k]);
    assert_true(s.cap >= 2 * s.n);
    free(ref);
    idset_fini(&s);
    assert_null(s.slots);
}

static void test_large_ids(void **state)
{
    idset s = {0};
    for (int64_t i = 1; i <= 100000; i++)
        assert_int_equal(idset_add(&s, i * 1000003), 1);
    for (int64_t i = 1; i <= 100000; i += 2)
        assert_int_equal(idset_remove(&s, i * 1000003), 1);
    for (int64_t i = 1; i <= 100000; i++)
        assert_int_equal(idset_has(&s, i * 1000003), i % 2 == 0);
    assert_int_equal(s.n, 50000);
    idset_fini(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_has_remove),
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_large_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
