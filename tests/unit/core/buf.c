/* buf.c — unit tests of core/buf: appends, printf, the hard maximum, steal, NUL-termination. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

static void test_init_is_empty(void **state)
{
    buf b;
    buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 100);
    buf_fini(&b);
}

static void test_append_and_puts(void **state)
{
    buf b;
    buf_init(&b, 1024);
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    assert_int_equal(buf_puts(&b, "def"), 0);
    assert_int_equal(buf_append(&b, "ghij", 2), 0);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "abcdefgh");
    assert_int_equal(b.data[8], '\0');
    buf_fini(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 1024);
}

static void test_append_binary_keeps_nul_bytes(void **state)
{
    buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    buf_fini(&b);
}

static void test_append_empty_allocates_terminated_string(void **state)
{
    buf b;
    buf_init(&b, 16);
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    buf_fini(&b);
}

/* Growth beyond the first allocation keeps earlier content. */
static void test_append_grows(void **state)
{
    buf b;
    buf_init(&b, 1 << 20);
    char chunk[100];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 50; i++)
        assert_int_equal(buf_append(&b, chunk, sizeof chunk), 0);
    assert_int_equal(b.len, 5000);
    assert_true(b.cap > 5000);
    assert_int_equal(strlen(b.data), 5000);
    for (size_t i = 0; i < b.len; i++)
        assert_int_equal(b.data[i], 'x');
    buf_fini(&b);
}

static void test_printf_formats_and_appends(void **state)
{
    buf b;
    buf_init(&b, 256);
    assert_int_equal(buf_puts(&b, "n="), 0);
    assert_int_equal(buf_printf(&b, "%d, s=%s, x=%04x", 42, "سلام", 0xbeef), 0);
    assert_string_equal(b.data, "n=42, s=سلام, x=beef");
    assert_int_equal(b.len, strlen("n=42, s=سلام, x=beef"));
    assert_int_equal(buf_printf(&b, "%s", ""), 0);
    assert_int_equal(b.len, strlen("n=42, s=سلام, x=beef"));
    buf_fini(&b);
}

/* Exactly max bytes fit; one more does not. */
static void test_max_is_inclusive(void **state)
{
    buf b;
    buf_init(&b, 5);
    assert_int_equal(buf_append(&b, "12345", 5), 0);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    assert_int_equal(buf_append(&b, "6", 1), -1);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    assert_int_equal(buf_append(&b, "", 0), 0);
    assert_int_equal(b.len, 5);
    buf_fini(&b);
}

static void test_append_past_max_leaves_contents(void **state)
{
    buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "hello"), 0);
    assert_int_equal(buf_puts(&b, "world!"), -1);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "hello");
    assert_int_equal(buf_puts(&b, "world"), 0);
    assert_string_equal(b.data, "helloworld");
    buf_fini(&b);
}

static void test_append_past_max_on_empty_buffer(void **state)
{
    buf b;
    buf_init(&b, 3);
    assert_int_equal(buf_puts(&b, "abcd"), -1);
    assert_int_equal(b.len, 0);
    assert_true(b.data == NULL || b.data[0] == '\0');
    buf_fini(&b);
}

/* A huge length must not wrap around the max check. */
static void test_append_huge_length_rejected(void **state)
{
    buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_puts(&b, "ab"), 0);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), -1);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    buf_fini(&b);
}

static void test_printf_past_max_leaves_contents(void **state)
{
    buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_printf(&b, "%s", "123456"), -1);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    assert_int_equal(buf_printf(&b, "%d", 12345), 0);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "abc12345");
    buf_fini(&b);
}

static void test_reset_keeps_allocation(void **state)
{
    buf b;
    buf_init(&b, 64);
    buf_reset(&b); /* on a never-allocated buffer: no crash */
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_puts(&b, "something"), 0);
    char *before = b.data;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, before);
    assert_string_equal(b.data, "");
    assert_int_equal(buf_puts(&b, "new"), 0);
    assert_string_equal(b.data, "new");
    buf_fini(&b);
}

static void test_steal_detaches(void **state)
{
    buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_puts(&b, "owned"), 0);
    char *p = buf_steal(&b);
    assert_string_equal(p, "owned");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 64);
    /* The buffer is usable again and independent of the stolen data. */
    assert_int_equal(buf_puts(&b, "next"), 0);
    assert_string_equal(b.data, "next");
    assert_string_equal(p, "owned");
    free(p);
    buf_fini(&b);
}

static void test_steal_empty_gives_empty_string(void **state)
{
    buf b;
    buf_init(&b, 64);
    char *p = buf_steal(&b);
    assert_non_null(p);
    assert_string_equal(p, "");
    free(p);
    buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_is_empty),
        cmocka_unit_test(test_append_and_puts),
        cmocka_unit_test(test_append_binary_keeps_nul_bytes),
        cmocka_unit_test(test_append_empty_allocates_terminated_string),
        cmocka_unit_test(test_append_grows),
        cmocka_unit_test(test_printf_formats_and_appends),
        cmocka_unit_test(test_max_is_inclusive),
        cmocka_unit_test(test_append_past_max_leaves_contents),
        cmocka_unit_test(test_append_past_max_on_empty_buffer),
        cmocka_unit_test(test_append_huge_length_rejected),
        cmocka_unit_test(test_printf_past_max_leaves_contents),
        cmocka_unit_test(test_reset_keeps_allocation),
        cmocka_unit_test(test_steal_detaches),
        cmocka_unit_test(test_steal_empty_gives_empty_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
