/* customer_cache.c — unit tests of domain/customer_cache: owners by (kind, value), the same
 * value under two kinds kept apart, growth past many thousands, named customers, clear. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "domain/customer_cache.h"

#include <stdio.h>

static customer_identity ident(enum identity_kind kind, const char *value)
{
    customer_identity id = {.kind = kind};
    snprintf(id.value, sizeof id.value, "%s", value);
    return id;
}

static void test_owner_by_kind_and_value(void **state)
{
    customer_cache *c = customer_cache_new();
    assert_non_null(c);
    customer_identity phone = ident(ID_PHONE, "+966500000001"),
                      x = ident(ID_X_HANDLE, "+966500000001");
    assert_int_equal(customer_cache_owner(c, &phone), 0);
    assert_int_equal(customer_cache_set_owner(c, &phone, 7), 0);
    assert_int_equal(customer_cache_owner(c, &phone), 7);
    assert_int_equal(customer_cache_owner(c, &x), 0); /* another kind, same text */
    assert_int_equal(customer_cache_set_owner(c, &phone, 9), 0);
    assert_int_equal(customer_cache_owner(c, &phone), 9);
    assert_false(customer_cache_named(c, 9));
    assert_int_equal(customer_cache_set_named(c, 9), 0);
    assert_true(customer_cache_named(c, 9));
    customer_cache_clear(c);
    assert_int_equal(customer_cache_owner(c, &phone), 0);
    assert_false(customer_cache_named(c, 9));
    assert_int_equal(customer_cache_set_owner(c, &phone, 3), 0); /* usable after a clear */
    assert_int_equal(customer_cache_owner(c, &phone), 3);
    customer_cache_free(c);
    assert_int_equal(customer_cache_owner(NULL, &phone), 0);
    assert_false(customer_cache_named(NULL, 3));
}

static void test_many(void **state)
{
    customer_cache *c = customer_cache_new();
    char v[32];
    for (int i = 1; i <= 200000; i++) {
        snprintf(v, sizeof v, "user%d@example.com", i);
        customer_identity id = ident(ID_EMAIL, v);
        assert_int_equal(customer_cache_set_owner(c, &id, i), 0);
    }
    for (int i = 1; i <= 200000; i++) {
        snprintf(v, sizeof v, "user%d@example.com", i);
        customer_identity id = ident(ID_EMAIL, v);
        assert_int_equal(customer_cache_owner(c, &id), i);
    }
    customer_identity missing = ident(ID_EMAIL, "nobody@example.com");
    assert_int_equal(customer_cache_owner(c, &missing), 0);
    customer_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owner_by_kind_and_value),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
