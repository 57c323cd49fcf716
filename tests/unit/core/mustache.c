/* mustache.c — unit tests of core/mustache: every case of the official Mustache spec (core
 * modules, JSON data under <shared>/datasets/mustache-spec/), then Sanad's own cases: strict
 * mode, no-escape mode, syntax errors with positions, Arabic text, the partial depth limit, the
 * output cap and mustache_names.
 *
 * The shared directory is $SANAD_SHARED, or ../shared relative to the repo root (the cwd). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/mustache.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_MAX = 1 << 20 };

/* ---------------------------------------------------------------------------------------------
 * Spec cases. */

static const char *const spec_files[] = {
    "comments.json", "delimiters.json", "interpolation.json",
    "inverted.json", "partials.json",   "sections.json",
};
enum { SPEC_FILES = sizeof spec_files / sizeof spec_files[0] };

static int spec_passed, spec_total;

static void spec_dir(char *dst, size_t size)
{
    const char *shared = getenv("SANAD_SHARED");
    if (!shared || !*shared) shared = "../shared";
    snprintf(dst, size, "%s/datasets/mustache-spec", shared);
}

/* Run one spec case; 1 if the output is exactly the expected one, else print why and 0. */
static int spec_case(const char *file, json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *tmpl = json_string_value(json_object_get(c, "template"));
    const char *expected = json_string_value(json_object_get(c, "expected"));
    if (!name || !tmpl || !expected) {
        print_error("%s: malformed case %s\n", file, name ? name : "(no name)");
        return 0;
    }
    buf out;
    buf_init(&out, OUT_MAX);
    sn_err e = {0};
    int rc = mustache_render(tmpl, json_object_get(c, "data"), json_object_get(c, "partials"), 0,
                             &out, &e);
    const char *got = out.data ? out.data : "";
    int ok = rc == 0 && strcmp(got, expected) == 0;
    if (rc != 0)
        print_error("%s: \"%s\" failed: %d %s\n", file, name, rc, e.message);
    else if (!ok)
        print_error("%s: \"%s\"\n  template: [%s]\n  expected: [%s]\n  got:      [%s]\n", file,
                    name, tmpl, expected, got);
    buf_fini(&out);
    return ok;
}

/* Run every case of one spec file; fails the test naming each case that differs. */
static void spec_run_file(const char *file)
{
    char dir[512], path[768];
    spec_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) fail_msg("cannot load %s: %s (set SANAD_SHARED?)", path, jerr.text);
    json_t *cases = json_object_get(root, "tests");
    assert_true(json_is_array(cases) && json_array_size(cases) > 0);
    int passed = 0, total = (int)json_array_size(cases);
    for (size_t i = 0; i < json_array_size(cases); i++)
        passed += spec_case(file, json_array_get(cases, i));
    json_decref(root);
    spec_passed += passed;
    spec_total += total;
    print_message("mustache spec %s: %d/%d cases passed\n", file, passed, total);
    if (passed != total) fail_msg("%s: %d of %d spec cases failed", file, total - passed, total);
}

static void test_spec_comments(void **state) { spec_run_file("comments.json"); }
static void test_spec_delimiters(void **state) { spec_run_file("delimiters.json"); }
static void test_spec_interpolation(void **state) { spec_run_file("interpolation.json"); }
static void test_spec_inverted(void **state) { spec_run_file("inverted.json"); }
static void test_spec_partials(void **state) { spec_run_file("partials.json"); }
static void test_spec_sections(void **state) { spec_run_file("sections.json"); }

static int is_known_spec_file(const char *name)
{
    for (size_t i = 0; i < SPEC_FILES; i++)
        if (strcmp(name, spec_files[i]) == 0) return 1;
    return 0;
}

/* Every JSON file of the directory is run: the six above are present, any other is run here. */
static void test_spec_directory_complete(void **state)
{
    char dir[512];
    spec_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s (set SANAD_SHARED?)", dir);
    int known = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 5, ".json") != 0) continue;
        if (is_known_spec_file(de->d_name)) known++;
        else spec_run_file(de->d_name);
    }
    closedir(d);
    assert_int_equal(known, SPEC_FILES);
}

/* ---------------------------------------------------------------------------------------------
 * Helpers for Sanad's own cases. */

static json_t *js(const char *text)
{
    if (!text) return NULL;
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v) fail_msg("bad test JSON %s: %s", text, jerr.text);
    return v;
}

/* Render and expect success; returns the output (caller frees). */
static char *render_ok(const char *tmpl, const char *data, const char *partials, int flags)
{
    json_t *d = js(data), *p = js(partials);
    buf out;
    buf_init(&out, OUT_MAX);
    sn_err e = {0};
    int rc = mustache_render(tmpl, d, p, flags, &out, &e);
    if (rc != 0) print_error("render of [%s] failed: %s\n", tmpl, e.message);
    assert_int_equal(rc, 0);
    json_decref(d);
    json_decref(p);
    return buf_steal(&out);
}

static void expect(const char *tmpl, const char *data, const char *partials, int flags,
                   const char *expected)
{
    char *got = render_ok(tmpl, data, partials, flags);
    assert_string_equal(got, expected);
    free(got);
}

/* Render and expect failure with `code`; the output buffer must be left as it was. */
static void expect_fail(const char *tmpl, const char *data, const char *partials, int flags,
                        int code, sn_err *e)
{
    json_t *d = js(data), *p = js(partials);
    buf out;
    buf_init(&out, OUT_MAX);
    assert_int_equal(buf_puts(&out, "kept"), 0);
    memset(e, 0, sizeof *e);
    assert_int_equal(mustache_render(tmpl, d, p, flags, &out, e), code);
    assert_int_equal(e->code, code);
    assert_string_equal(out.data, "kept");
    buf_fini(&out);
    json_decref(d);
    json_decref(p);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ---------------------------------------------------------------------------------------------
 * MUSTACHE_STRICT. */

static void test_strict_missing_variable_names_it(void **state)
{
    sn_err e;
    expect_fail("Dear {{customer.name}},", "{\"customer\":{}}", NULL, MUSTACHE_STRICT,
                SN_EUNPROCESSABLE, &e);
    assert_string_equal(e.field, "customer.name");
    assert_contains(e.message, "customer.name");
    expect_fail("{{{missing}}}", "{}", NULL, MUSTACHE_STRICT, SN_EUNPROCESSABLE, &e);
    assert_string_equal(e.field, "missing");
    expect_fail("{{&gone}}", "{}", NULL, MUSTACHE_STRICT, SN_EUNPROCESSABLE, &e);
    assert_string_equal(e.field, "gone");
}

static void test_strict_null_is_missing(void **state)
{
    sn_err e;
    expect_fail("x={{x}}", "{\"x\":null}", NULL, MUSTACHE_STRICT, SN_EUNPROCESSABLE, &e);
    assert_string_equal(e.field, "x");
    expect_fail("{{#list}}{{.}}{{/list}}", "{\"list\":[1,null]}", NULL, MUSTACHE_STRICT,
                SN_EUNPROCESSABLE, &e);
    assert_string_equal(e.field, ".");
}

static void test_strict_present_values_render(void **state)
{
    expect("[{{x}}]", "{\"x\":\"\"}", NULL, MUSTACHE_STRICT, "[]");
    expect("{{n}} {{f}} {{a.b}}", "{\"n\":0,\"f\":false,\"a\":{\"b\":\"c\"}}", NULL,
           MUSTACHE_STRICT, "0 false c");
    /* Sections over missing names stay falsey, missing partials render empty. */
    expect("{{#nope}}x{{/nope}}{{^nope}}y{{/nope}}{{>none}}", "{}", NULL, MUSTACHE_STRICT, "y");
}

static void test_not_strict_missing_renders_empty(void **state)
{
    expect("a{{x}}b{{{y.z}}}c{{&w}}d", "{\"w\":null}", NULL, 0, "abcd");
    expect("a{{x}}b", NULL, NULL, 0, "ab");
}

/* ---------------------------------------------------------------------------------------------
 * Escaping. */

static void test_escapes_html_by_default(void **state)
{
    expect("{{x}}|{{{x}}}|{{&x}}", "{\"x\":\"<a href='u'>&\\\"</a>\"}", NULL, 0,
           "&lt;a href=&#39;u&#39;&gt;&amp;&quot;&lt;/a&gt;|<a href='u'>&\"</a>|"
           "<a href='u'>&\"</a>");
}

static void test_no_escape(void **state)
{
    expect("SMS: {{x}} {{{x}}}", "{\"x\":\"Tom & Jerry <3 'hi' \\\"yo\\\"\"}", NULL,
           MUSTACHE_NO_ESCAPE, "SMS: Tom & Jerry <3 'hi' \"yo\" Tom & Jerry <3 'hi' \"yo\"");
    expect("{{x}}", "{\"x\":\"<b>\"}", NULL, MUSTACHE_NO_ESCAPE | MUSTACHE_STRICT, "<b>");
}

/* ---------------------------------------------------------------------------------------------
 * Values and truthiness. */

static void test_number_and_value_formats(void **state)
{
    expect("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}}",
           "{\"a\":1.5,\"b\":42,\"c\":-7,\"d\":0.1,\"e\":1.0,\"f\":true,\"g\":123456789012}",
           NULL, 0, "1.5 42 -7 0.1 1 true 123456789012");
    expect("{{{o}}} {{{l}}}", "{\"o\":{\"k\":1},\"l\":[1,\"a\"]}", NULL, 0,
           "{\"k\":1} [1,\"a\"]");
}

static void test_empty_string_falsey_zero_truthy(void **state)
{
    const char *t = "{{#s}}yes{{/s}}{{^s}}no{{/s}}";
    expect(t, "{\"s\":\"\"}", NULL, 0, "no");
    expect(t, "{\"s\":0}", NULL, 0, "yes");
    expect(t, "{\"s\":{}}", NULL, 0, "yes");
    expect(t, "{\"s\":[]}", NULL, 0, "no");
}

/* ---------------------------------------------------------------------------------------------
 * Syntax errors. */

static const struct {
    const char *tmpl;
    const char *words; /* the message contains this */
} syntax_cases[] = {
    {"Hi {{name", "unclosed tag (no \"}}\") in template at line 1, column 4"},
    {"Hi {{{name}}", "unclosed tag"},
    {"{{#a}}x", "unclosed section \"a\" in template at line 1, column 1"},
    {"line one\n  {{#items}}\n{{/item}}", "section \"items\" closed by \"/item\" in template "
                                         "at line 3, column 1"},
    {"{{/a}}", "without an open section"},
    {"{{#a}}{{^b}}{{/a}}{{/b}}", "section \"b\" closed by \"/a\""},
    {"{{=<% =}}", "bad delimiter change"},
    {"{{=<%%>=}}", "bad delimiter change"},
    {"{{= a b c =}}", "bad delimiter change"},
    {"{{=<% %>=}} <%x}}", "unclosed tag"},
    {"{{}}", "empty tag name"},
    {"{{first name}}", "space inside tag name"},
};

static void test_syntax_errors(void **state)
{
    for (size_t i = 0; i < sizeof syntax_cases / sizeof syntax_cases[0]; i++) {
        sn_err e;
        expect_fail(syntax_cases[i].tmpl, "{\"a\":true,\"b\":true}", NULL, 0, SN_EINVALID, &e);
        assert_contains(e.message, syntax_cases[i].words);
    }
}

static void test_syntax_error_in_partial_names_it(void **state)
{
    sn_err e;
    expect_fail("ok {{>row}}", "{}", "{\"row\":\"\\n{{#x}}\"}", 0, SN_EINVALID, &e);
    assert_contains(e.message, "unclosed section \"x\" in partial \"row\" at line 2, column 1");
}

/* ---------------------------------------------------------------------------------------------
 * Arabic / UTF-8. */

static void test_arabic_passes_through(void **state)
{
    expect("مرحباً {{name}}، طلبك رقم {{order.id}} جاهز.{{#items}} • {{.}}{{/items}}",
           "{\"name\":\"فاطمة الزهراء\",\"order\":{\"id\":\"٤٢\"},"
           "\"items\":[\"قهوة\",\"شاي & حليب\"]}",
           NULL, 0,
           "مرحباً فاطمة الزهراء، طلبك رقم ٤٢ جاهز. • قهوة • شاي &amp; حليب");
    expect("{{>توقيع}}", "{\"اسم\":\"سند\"}", "{\"توقيع\":\"مع تحيات فريق {{اسم}}\"}",
           MUSTACHE_STRICT | MUSTACHE_NO_ESCAPE, "مع تحيات فريق سند");
}

static void test_arabic_error_column_counts_characters(void **state)
{
    sn_err e;
    expect_fail("مرحبا {{name", "{}", NULL, 0, SN_EINVALID, &e);
    assert_contains(e.message, "line 1, column 7");
    expect_fail("عزيزي {{العميل}}", "{}", NULL, MUSTACHE_STRICT, SN_EUNPROCESSABLE, &e);
    assert_string_equal(e.field, "العميل");
}

/* ---------------------------------------------------------------------------------------------
 * Partials. */

/* {"name":"L0","child":{"name":"L1",…{"name":"Ln","child":false}}} */
static json_t *nested_data(int levels)
{
    json_t *v = json_pack("{s:s, s:b}", "name", "leaf", "child", 0);
    for (int i = 0; i < levels; i++) v = json_pack("{s:s, s:o}", "name", "n", "child", v);
    return v;
}

static int render_nested(int levels, sn_err *e)
{
    json_t *d = nested_data(levels);
    json_t *p = json_pack("{s:s}", "node", "{{name}}{{#child}}({{>node}}){{/child}}");
    buf out;
    buf_init(&out, OUT_MAX);
    int rc = mustache_render("{{>node}}", d, p, 0, &out, e);
    buf_fini(&out);
    json_decref(d);
    json_decref(p);
    return rc;
}

static void test_partial_depth_limit(void **state)
{
    sn_err e = {0};
    /* levels + 1 partials nest inside one another. */
    assert_int_equal(render_nested(MUSTACHE_PARTIAL_DEPTH - 1, &e), 0);
    assert_int_equal(render_nested(MUSTACHE_PARTIAL_DEPTH, &e), SN_EINVALID);
    assert_contains(e.message, "partials nested deeper than 16");
    expect_fail("a{{>loop}}", "{}", "{\"loop\":\"x{{>loop}}\"}", 0, SN_EINVALID, &e);
    assert_contains(e.message, "\"loop\"");
}

static void test_partial_indentation_and_context(void **state)
{
    expect("<ul>\n  {{>item}}\n</ul>\n", "{\"v\":\"a\"}", "{\"item\":\"<li>\\n{{v}}\\n</li>\\n\"}",
           0, "<ul>\n  <li>\n  a\n  </li>\n</ul>\n");
}

/* ---------------------------------------------------------------------------------------------
 * Output cap. */

static void test_output_cap(void **state)
{
    buf out;
    buf_init(&out, 8);
    assert_int_equal(buf_puts(&out, "ab"), 0);
    sn_err e = {0};
    json_t *d = js("{\"x\":\"0123456789\"}");
    assert_int_equal(mustache_render("{{x}}", d, NULL, 0, &out, &e), SN_ETOOLARGE);
    assert_string_equal(out.data, "ab");
    assert_int_equal(out.len, 2);
    assert_int_equal(mustache_render("{{x}}", d, NULL, 0, &out, &e), SN_ETOOLARGE);
    buf_fini(&out);
    json_decref(d);
}

/* ---------------------------------------------------------------------------------------------
 * mustache_names. */

static void collect(const char *name, void *arg)
{
    buf *b = arg;
    assert_int_equal(buf_printf(b, "%s;", name), 0);
}

static void test_names_lists_each_once(void **state)
{
    buf b;
    buf_init(&b, 4096);
    sn_err e = {0};
    const char *t = "{{greeting}} {{customer.name}}\n{{#items}}{{title}}{{.}}{{/items}}"
                    "{{^items}}none{{/items}}{{! note }}{{>footer}}{{{greeting}}}"
                    "{{=<% %>=}}<%&raw%> <%title%>";
    assert_int_equal(mustache_names(t, collect, &b, &e), 0);
    assert_string_equal(b.data, "greeting;customer.name;items;title;raw;");
    buf_fini(&b);
}

static void test_names_syntax_error_calls_nothing(void **state)
{
    buf b;
    buf_init(&b, 4096);
    sn_err e = {0};
    assert_int_equal(mustache_names("{{a}}{{#b}}", collect, &b, &e), SN_EINVALID);
    assert_null(b.data);
    assert_contains(e.message, "unclosed section \"b\"");
    assert_int_equal(mustache_names("", collect, &b, &e), 0);
    assert_null(b.data);
    buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_comments),
        cmocka_unit_test(test_spec_delimiters),
        cmocka_unit_test(test_spec_interpolation),
        cmocka_unit_test(test_spec_inverted),
        cmocka_unit_test(test_spec_partials),
        cmocka_unit_test(test_spec_sections),
        cmocka_unit_test(test_spec_directory_complete),
        cmocka_unit_test(test_strict_missing_variable_names_it),
        cmocka_unit_test(test_strict_null_is_missing),
        cmocka_unit_test(test_strict_present_values_render),
        cmocka_unit_test(test_not_strict_missing_renders_empty),
        cmocka_unit_test(test_escapes_html_by_default),
        cmocka_unit_test(test_no_escape),
        cmocka_unit_test(test_number_and_value_formats),
        cmocka_unit_test(test_empty_string_falsey_zero_truthy),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_syntax_error_in_partial_names_it),
        cmocka_unit_test(test_arabic_passes_through),
        cmocka_unit_test(test_arabic_error_column_counts_characters),
        cmocka_unit_test(test_partial_depth_limit),
        cmocka_unit_test(test_partial_indentation_and_context),
        cmocka_unit_test(test_output_cap),
        cmocka_unit_test(test_names_lists_each_once),
        cmocka_unit_test(test_names_syntax_error_calls_nothing),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    printf("mustache spec: %d/%d cases passed\n", spec_passed, spec_total);
    return failed;
}
