/* router.c — unit tests of http/router: exact paths, {param} capture, 404 vs 405 + Allow. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http/http.h"

#include <stdlib.h>
#include <string.h>

static const http_route_key routes[] = {
    {"GET", "/api/v1/users"},                       /* 0 */
    {"POST", "/api/v1/users"},                      /* 1 */
    {"GET", "/api/v1/users/{id}"},                  /* 2 */
    {"PATCH", "/api/v1/users/{id}"},                /* 3 */
    {"GET", "/api/v1/users/{id}/tokens"},           /* 4 */
    {"DELETE", "/api/v1/users/{uid}/tokens/{tid}"}, /* 5 */
    {"POST", "/api/v1/auth/login"},                 /* 6 */
    {"GET", "/healthz"},                            /* 7 */
};
#define NROUTES ((int)(sizeof routes / sizeof routes[0]))

typedef struct result {
    int rc;
    http_req req;
    char allow[64];
} result;

static result route(const char *method, const char *path)
{
    result r;
    memset(&r, 0, sizeof r);
    r.req.method = method;
    r.req.path = path;
    r.req.route = -1;
    memset(r.allow, 'x', sizeof r.allow);
    r.rc = router_match(&r.req, routes, NROUTES, r.allow, sizeof r.allow);
    return r;
}

static void free_params(http_req *req)
{
    for (int i = 0; i < req->nparams; i++)
        free(req->params[i]);
    req->nparams = 0;
}

#define not_found(method, path) not_found_at((method), (path), __FILE__, __LINE__)

static void not_found_at(const char *method, const char *path, const char *file, int line)
{
    result r = route(method, path);
    if (r.rc != ROUTER_NOT_FOUND) {
        free_params(&r.req);
        print_error("%s %s: got %d (allow '%s'), want ROUTER_NOT_FOUND\n", method, path, r.rc,
                    r.rc == ROUTER_METHOD ? r.allow : "");
        _fail(file, line);
    }
    assert_string_equal(r.allow, "");
    assert_int_equal(r.req.nparams, 0);
    assert_null(r.req.params[0]);
}

static void test_exact_paths(void **state)
{
    result r = route("GET", "/healthz");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 7);
    assert_string_equal(r.req.route_pattern, "/healthz");
    assert_int_equal(r.req.nparams, 0);

    r = route("GET", "/api/v1/users");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 0);

    r = route("POST", "/api/v1/users");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 1);
    assert_string_equal(r.req.route_pattern, "/api/v1/users");
}

static void test_param_capture(void **state)
{
    result r = route("GET", "/api/v1/users/42");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 2);
    assert_string_equal(r.req.route_pattern, "/api/v1/users/{id}");
    assert_int_equal(r.req.nparams, 1);
    assert_string_equal(r.req.params[0], "42");
    free_params(&r.req);

    r = route("PATCH", "/api/v1/users/abc-DEF_1");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 3);
    assert_int_equal(r.req.nparams, 1);
    assert_string_equal(r.req.params[0], "abc-DEF_1");
    free_params(&r.req);

    r = route("GET", "/api/v1/users/نورة");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_string_equal(r.req.params[0], "نورة");
    free_params(&r.req);
}

static void test_param_then_literal(void **state)
{
    result r = route("GET", "/api/v1/users/17/tokens");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 4);
    assert_int_equal(r.req.nparams, 1);
    assert_string_equal(r.req.params[0], "17");
    free_params(&r.req);
}

static void test_two_params(void **state)
{
    result r = route("DELETE", "/api/v1/users/7/tokens/tok99");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 5);
    assert_int_equal(r.req.nparams, 2);
    assert_string_equal(r.req.params[0], "7");
    assert_string_equal(r.req.params[1], "tok99");
    free_params(&r.req);
}

static void test_not_found(void **state)
{
    not_found("GET", "/nope");
    not_found("GET", "/");
    not_found("GET", "");
    not_found("GET", "/api/v1");
    not_found("GET", "/api/v1/user");
    not_found("GET", "/api/v1/userss");
    not_found("GET", "/healthzz");
    not_found("GET", "/api/v1/users/7/tokens/x/y");
    not_found("POST", "/api/v1/users/1/2");
}

static void test_method_not_allowed_lists_allow(void **state)
{
    result r = route("DELETE", "/api/v1/users");
    assert_int_equal(r.rc, ROUTER_METHOD);
    assert_string_equal(r.allow, "GET, POST");
    assert_int_equal(r.req.nparams, 0);
    assert_null(r.req.params[0]);

    r = route("PUT", "/api/v1/users/5");
    assert_int_equal(r.rc, ROUTER_METHOD);
    assert_string_equal(r.allow, "GET, PATCH");
    assert_int_equal(r.req.nparams, 0);

    r = route("GET", "/api/v1/auth/login");
    assert_int_equal(r.rc, ROUTER_METHOD);
    assert_string_equal(r.allow, "POST");

    r = route("POST", "/api/v1/users/5/tokens/6");
    assert_int_equal(r.rc, ROUTER_METHOD);
    assert_string_equal(r.allow, "DELETE");
}

static void test_head_matches_get(void **state)
{
    result r = route("HEAD", "/api/v1/users/9");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 2);
    assert_int_equal(r.req.nparams, 1);
    assert_string_equal(r.req.params[0], "9");
    free_params(&r.req);

    r = route("HEAD", "/healthz");
    assert_int_equal(r.rc, ROUTER_MATCH);
    assert_int_equal(r.req.route, 7);

    /* HEAD does not stand in for POST. */
    r = route("HEAD", "/api/v1/auth/login");
    assert_int_equal(r.rc, ROUTER_METHOD);
    assert_string_equal(r.allow, "POST");
}

static void test_method_is_case_sensitive(void **state)
{
    result r = route("get", "/healthz");
    assert_int_equal(r.rc, ROUTER_METHOD);
    assert_string_equal(r.allow, "GET");
}

static void test_trailing_slash_does_not_match(void **state)
{
    not_found("GET", "/healthz/");
    not_found("GET", "/api/v1/users/");
    not_found("GET", "/api/v1/users/42/");
    not_found("GET", "/api/v1/users/42/tokens/");
}

static void test_empty_segment_is_not_a_param(void **state)
{
    not_found("GET", "/api/v1/users//tokens");
    not_found("DELETE", "/api/v1/users//tokens/5");
    not_found("DELETE", "/api/v1/users/5/tokens/");
    not_found("DELETE", "/api/v1/users//tokens/");
}

/* The first matching route of the table wins, literal or not. */
static void test_first_route_wins(void **state)
{
    static const http_route_key t[] = {
        {"GET", "/api/v1/users/me"},
        {"GET", "/api/v1/users/{id}"},
        {"POST", "/api/v1/users/{id}"},
    };
    http_req req = {0};
    char allow[32];
    req.method = "GET";
    req.path = "/api/v1/users/me";
    assert_int_equal(router_match(&req, t, 3, allow, sizeof allow), ROUTER_MATCH);
    assert_int_equal(req.route, 0);
    assert_int_equal(req.nparams, 0);

    /* Both GET routes match the path; GET appears once in Allow. */
    req = (http_req){0};
    req.method = "DELETE";
    req.path = "/api/v1/users/me";
    assert_int_equal(router_match(&req, t, 3, allow, sizeof allow), ROUTER_METHOD);
    assert_string_equal(allow, "GET, POST");
}

static void test_allow_truncated_safely(void **state)
{
    static const http_route_key t[] = {
        {"GET", "/x"},
        {"POST", "/x"},
        {"PATCH", "/x"},
        {"DELETE", "/x"},
    };
    http_req req = {0};
    char allow[16];
    memset(allow, 'z', sizeof allow);
    req.method = "PUT";
    req.path = "/x";
    assert_int_equal(router_match(&req, t, 4, allow, sizeof allow), ROUTER_METHOD);
    assert_true(strlen(allow) < sizeof allow);
    assert_string_equal(allow, "GET, POST");
}

static void test_more_params_than_max_never_match(void **state)
{
    static const http_route_key t[] = {{"GET", "/{a}/{b}/{c}/{d}/{e}"}};
    http_req req = {0};
    char allow[16];
    req.method = "GET";
    req.path = "/1/2/3/4/5";
    assert_int_equal(router_match(&req, t, 1, allow, sizeof allow), ROUTER_NOT_FOUND);
    assert_int_equal(req.nparams, 0);

    static const http_route_key four[] = {{"GET", "/{a}/{b}/{c}/{d}"}};
    req = (http_req){0};
    req.method = "GET";
    req.path = "/1/2/3/4";
    assert_int_equal(router_match(&req, four, 1, allow, sizeof allow), ROUTER_MATCH);
    assert_int_equal(req.nparams, 4);
    assert_string_equal(req.params[3], "4");
    free_params(&req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_paths),
        cmocka_unit_test(test_param_capture),
        cmocka_unit_test(test_param_then_literal),
        cmocka_unit_test(test_two_params),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed_lists_allow),
        cmocka_unit_test(test_head_matches_get),
        cmocka_unit_test(test_method_is_case_sensitive),
        cmocka_unit_test(test_trailing_slash_does_not_match),
        cmocka_unit_test(test_empty_segment_is_not_a_param),
        cmocka_unit_test(test_first_route_wins),
        cmocka_unit_test(test_allow_truncated_safely),
        cmocka_unit_test(test_more_params_than_max_never_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
