/* config.c — unit tests of core/config: defaults, flags, environment, INI file, precedence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Each test starts from the defaults with no SANAD_* variable set. */
static void clear_sanad_env(void)
{
    char name[256];
    for (;;) {
        char **ev = environ;
        while (*ev && strncmp(*ev, "SANAD_", 6) != 0)
            ev++;
        if (!*ev) return;
        size_t n = strcspn(*ev, "=");
        assert_true(n < sizeof name);
        memcpy(name, *ev, n);
        name[n] = '\0';
        assert_int_equal(unsetenv(name), 0);
    }
}

static int setup(void **state)
{
    clear_sanad_env();
    return 0;
}

static int teardown(void **state)
{
    clear_sanad_env();
    return 0;
}

/* Write `text` to a fresh temporary file; the caller unlinks `path`. */
static void write_temp(char path[64], const char *text)
{
    snprintf(path, 64, "/tmp/sanad_config_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void test_defaults(void **state)
{
    config c;
    memset(&c, 0x5a, sizeof c);
    config_defaults(&c);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.db, "sqlite:var/sanad.db");
    assert_string_equal(c.data, "var");
    assert_string_equal(c.config_file, "");
    assert_int_equal(c.threads, 8);
    assert_int_equal(c.body_limit, 1048576);
    assert_int_equal(c.upload_request_limit, 33554432);
    assert_int_equal(c.secure_cookies, 0);
    assert_int_equal(c.session_idle_minutes, 30);
    assert_int_equal(c.session_absolute_hours, 12);
    assert_string_equal(c.sqlite_synchronous, "FULL");
    assert_int_equal(c.access_log, 1);
    assert_string_equal(c.public_url, "");
    assert_string_equal(c.trusted_proxies, "");
}

static void test_load_with_nothing_keeps_defaults(void **state)
{
    config c, d;
    config_defaults(&c);
    config_defaults(&d);
    char *argv[] = {"sanad", "serve"};
    sn_err e = {0};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), 0);
    assert_memory_equal(&c, &d, sizeof c);
}

static void test_flags_space_and_equals(void **state)
{
    config c;
    config_defaults(&c);
    char *argv[] = {"sanad",
                    "serve",
                    "--listen",
                    "0.0.0.0:9000",
                    "--threads=12",
                    "--body-limit",
                    "2048",
                    "--db=sqlite:/tmp/x.db",
                    "--trusted-proxies",
                    "10.0.0.1,10.0.0.2",
                    "--public-url=https://sanad.example"};
    sn_err e = {0};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), 0);
    assert_string_equal(c.listen, "0.0.0.0:9000");
    assert_int_equal(c.threads, 12);
    assert_int_equal(c.body_limit, 2048);
    assert_string_equal(c.db, "sqlite:/tmp/x.db");
    assert_string_equal(c.trusted_proxies, "10.0.0.1,10.0.0.2");
    assert_string_equal(c.public_url, "https://sanad.example");
    assert_string_equal(c.data, "var"); /* untouched */
}

/* A value after '=' may itself contain '='. */
static void test_flag_value_with_equals(void **state)
{
    config c;
    config_defaults(&c);
    char *argv[] = {"sanad", "--db=postgresql:///sanad?host=/run/pg"};
    sn_err e = {0};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), 0);
    assert_string_equal(c.db, "postgresql:///sanad?host=/run/pg");
}

static void test_bool_flags_without_value(void **state)
{
    config c;
    config_defaults(&c);
    sn_err e = {0};
    char *last[] = {"sanad", "--secure-cookies"};
    assert_int_equal(config_load(&c, ARGC(last), last, NULL, &e), 0);
    assert_int_equal(c.secure_cookies, 1);

    config_defaults(&c);
    char *before_flag[] = {"sanad", "--secure-cookies", "--threads", "2"};
    assert_int_equal(config_load(&c, ARGC(before_flag), before_flag, NULL, &e), 0);
    assert_int_equal(c.secure_cookies, 1);
    assert_int_equal(c.threads, 2);
}

static void test_bool_flags_with_value(void **state)
{
    config c;
    config_defaults(&c);
    sn_err e = {0};
    char *argv[] = {"sanad", "--access-log=false", "--secure-cookies", "yes"};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), 0);
    assert_int_equal(c.access_log, 0);
    assert_int_equal(c.secure_cookies, 1);

    const char *truthy[] = {"1", "true", "TRUE", "yes", "On"};
    const char *falsy[] = {"0", "false", "No", "off", "OFF"};
    for (size_t i = 0; i < 5; i++) {
        c.secure_cookies = 0;
        assert_int_equal(config_set(&c, "secure-cookies", truthy[i], &e), 0);
        assert_int_equal(c.secure_cookies, 1);
        assert_int_equal(config_set(&c, "secure-cookies", falsy[i], &e), 0);
        assert_int_equal(c.secure_cookies, 0);
    }
}

static void test_bool_bad_value_rejected(void **state)
{
    config c;
    config_defaults(&c);
    sn_err e = {0};
    char *argv[] = {"sanad", "--access-log=maybe"};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_int_equal(e.code, SN_EINVALID);
    assert_string_equal(e.field, "access-log");
    assert_int_equal(c.access_log, 1);
}

static void test_flag_missing_value(void **state)
{
    config c;
    config_defaults(&c);
    sn_err e = {0};
    char *argv[] = {"sanad", "--threads"};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "threads");
    assert_int_equal(c.threads, 8);
}

static void test_env(void **state)
{
    setenv("SANAD_LISTEN", "127.0.0.1:7000", 1);
    setenv("SANAD_BODY_LIMIT", "65536", 1);
    setenv("SANAD_SECURE_COOKIES", "yes", 1);
    setenv("SANAD_SQLITE_SYNCHRONOUS", "NORMAL", 1);
    setenv("SANAD_SESSION_IDLE_MINUTES", "90", 1);
    config c;
    config_defaults(&c);
    char *argv[] = {"sanad"};
    sn_err e = {0};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), 0);
    assert_string_equal(c.listen, "127.0.0.1:7000");
    assert_int_equal(c.body_limit, 65536);
    assert_int_equal(c.secure_cookies, 1);
    assert_string_equal(c.sqlite_synchronous, "NORMAL");
    assert_int_equal(c.session_idle_minutes, 90);
    assert_int_equal(c.threads, 8);
}

static void test_env_out_of_range_rejected(void **state)
{
    setenv("SANAD_THREADS", "0", 1);
    config c;
    config_defaults(&c);
    char *argv[] = {"sanad"};
    sn_err e = {0};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "threads");
    assert_int_equal(c.threads, 8);
}

static const char ini_text[] = "# Sanad test configuration\n"
                               "; another comment style\n"
                               "\n"
                               "[sanad]\n"
                               "listen = 10.1.1.1:8000\n"
                               "  threads=2  \n"
                               "data = /srv/sanad\n"
                               "body_limit = 4096\n"
                               "secure-cookies = true\n"
                               "db = sqlite:/srv/sanad/sanad.db\n"
                               "config = /ignored/elsewhere.ini\n";

static void test_ini_file(void **state)
{
    char path[64];
    write_temp(path, ini_text);
    config c;
    config_defaults(&c);
    char *argv[] = {"sanad", "--config", path};
    sn_err e = {0};
    int rc = config_load(&c, ARGC(argv), argv, NULL, &e);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_string_equal(c.listen, "10.1.1.1:8000");
    assert_int_equal(c.threads, 2);
    assert_string_equal(c.data, "/srv/sanad");
    assert_int_equal(c.body_limit, 4096);
    assert_int_equal(c.secure_cookies, 1);
    assert_string_equal(c.db, "sqlite:/srv/sanad/sanad.db");
    /* The file's own `config` key is ignored; the flag names the file. */
    assert_string_equal(c.config_file, path);
}

static void test_ini_named_by_env(void **state)
{
    char path[64];
    write_temp(path, "[sanad]\nthreads = 3\n");
    setenv("SANAD_CONFIG", path, 1);
    config c;
    config_defaults(&c);
    char *argv[] = {"sanad"};
    sn_err e = {0};
    int rc = config_load(&c, ARGC(argv), argv, NULL, &e);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_int_equal(c.threads, 3);
    assert_string_equal(c.config_file, path);
}

/* flags > environment > INI file > default, setting by setting. */
static void test_precedence(void **state)
{
    char path[64];
    write_temp(path, "[sanad]\n"
                     "threads = 2\n"
                     "listen = ini:1\n"
                     "data = ini-data\n"
                     "session_idle_minutes = 11\n");
    setenv("SANAD_THREADS", "3", 1);
    setenv("SANAD_LISTEN", "env:2", 1);
    setenv("SANAD_SESSION_IDLE_MINUTES", "22", 1);
    config c;
    config_defaults(&c);
    char cfg_flag[80];
    snprintf(cfg_flag, sizeof cfg_flag, "--config=%s", path);
    char *argv[] = {"sanad", cfg_flag, "--threads", "5"};
    sn_err e = {0};
    int rc = config_load(&c, ARGC(argv), argv, NULL, &e);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_int_equal(c.threads, 5);                 /* flag */
    assert_string_equal(c.listen, "env:2");         /* env over INI */
    assert_int_equal(c.session_idle_minutes, 22);   /* env over INI */
    assert_string_equal(c.data, "ini-data");        /* INI over default */
    assert_int_equal(c.session_absolute_hours, 12); /* default */
}

/* --config on the command line wins over SANAD_CONFIG. */
static void test_config_flag_beats_env_file(void **state)
{
    char flag_file[64], env_file[64];
    write_temp(flag_file, "threads = 6\n");
    write_temp(env_file, "threads = 7\ndata = from-env-file\n");
    setenv("SANAD_CONFIG", env_file, 1);
    config c;
    config_defaults(&c);
    char *argv[] = {"sanad", "--config", flag_file};
    sn_err e = {0};
    int rc = config_load(&c, ARGC(argv), argv, NULL, &e);
    unlink(flag_file);
    unlink(env_file);
    assert_int_equal(rc, 0);
    assert_int_equal(c.threads, 6);
    assert_string_equal(c.data, "var");
}

static void test_ini_errors(void **state)
{
    config c;
    sn_err e = {0};
    char path[64];

    write_temp(path, "[sanad]\nthreads = 2\nthis line has no equals sign\n");
    config_defaults(&c);
    char *argv[] = {"sanad", "--config", path};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "config");
    assert_non_null(strstr(e.message, ":3:"));
    unlink(path);

    write_temp(path, "colour = blue\n");
    config_defaults(&c);
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "colour");
    unlink(path);

    write_temp(path, "threads = 1000\n");
    config_defaults(&c);
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "threads");
    unlink(path);

    config_defaults(&c);
    char *missing[] = {"sanad", "--config", "/nonexistent/sanad_unit.ini"};
    assert_int_equal(config_load(&c, ARGC(missing), missing, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "config");
}

#define int_rejected(name, value) int_rejected_at((name), (value), __FILE__, __LINE__)

static void int_rejected_at(const char *name, const char *value, const char *file, int line)
{
    config c;
    config_defaults(&c);
    config before = c;
    sn_err e = {0};
    if (config_set(&c, name, value, &e) != SN_EINVALID) {
        print_error("%s = '%s' was accepted\n", name, value);
        _fail(file, line);
    }
    assert_int_equal(e.code, SN_EINVALID);
    assert_string_equal(e.field, name);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_out_of_range_ints_rejected(void **state)
{
    int_rejected("threads", "0");
    int_rejected("threads", "257");
    int_rejected("threads", "-1");
    int_rejected("threads", "abc");
    int_rejected("threads", "12x");
    int_rejected("threads", "");
    int_rejected("threads", "99999999999999999999");
    int_rejected("body-limit", "1023");
    int_rejected("body-limit", "1073741825");
    int_rejected("upload-request-limit", "1023");
    int_rejected("upload-request-limit", "4294967297");
    int_rejected("session-idle-minutes", "10081");
    int_rejected("session-absolute-hours", "721");
    int_rejected("session-absolute-hours", "0");

    config c;
    config_defaults(&c);
    sn_err e = {0};
    char *argv[] = {"sanad", "--threads=300"};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "threads");
    assert_int_equal(c.threads, 8);
}

static void test_int_bounds_accepted(void **state)
{
    config c;
    config_defaults(&c);
    sn_err e = {0};
    assert_int_equal(config_set(&c, "threads", "1", &e), 0);
    assert_int_equal(c.threads, 1);
    assert_int_equal(config_set(&c, "threads", "256", &e), 0);
    assert_int_equal(c.threads, 256);
    assert_int_equal(config_set(&c, "body-limit", "1073741824", &e), 0);
    assert_int_equal(c.body_limit, 1073741824);
    assert_int_equal(config_set(&c, "body-limit", "1024", &e), 0);
    assert_int_equal(c.body_limit, 1024);
}

static void test_string_too_long_rejected(void **state)
{
    config c;
    config_defaults(&c);
    sn_err e = {0};
    char longval[200];
    memset(longval, 'a', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';
    assert_int_equal(config_set(&c, "listen", longval, &e), SN_EINVALID);
    assert_string_equal(e.field, "listen");
    assert_string_equal(c.listen, "127.0.0.1:8080");
    longval[127] = '\0'; /* 127 characters + NUL fill listen[128] exactly */
    assert_int_equal(config_set(&c, "listen", longval, &e), 0);
    assert_string_equal(c.listen, longval);
}

static void test_unknown_options_rejected(void **state)
{
    config c;
    config_defaults(&c);
    sn_err e = {0};
    char *argv[] = {"sanad", "--threads", "2", "--nope", "1"};
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_int_equal(e.code, SN_EINVALID);
    assert_string_equal(e.field, "nope");

    char *eq[] = {"sanad", "--colour=blue"};
    assert_int_equal(config_load(&c, ARGC(eq), eq, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "colour");

    assert_int_equal(config_set(&c, "colour", "blue", &e), SN_EINVALID);
    assert_string_equal(e.field, "colour");
}

static void test_extra_names_skipped(void **state)
{
    static const char *const extra[] = {"demo", "seed", NULL};
    config c;
    config_defaults(&c);
    sn_err e = {0};
    char *argv[] = {"sanad", "serve", "--demo", "--seed=5", "--threads", "7", "--seed", "9"};
    assert_int_equal(config_load(&c, ARGC(argv), argv, extra, &e), 0);
    assert_int_equal(c.threads, 7);

    /* Without the extra list the same names are unknown. */
    config_defaults(&c);
    assert_int_equal(config_load(&c, ARGC(argv), argv, NULL, &e), SN_EINVALID);
    assert_string_equal(e.field, "demo");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_with_nothing_keeps_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags_space_and_equals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_value_with_equals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bool_flags_without_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bool_flags_with_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bool_bad_value_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flag_missing_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_out_of_range_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_named_by_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_flag_beats_env_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_ints_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int_bounds_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_string_too_long_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_options_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extra_names_skipped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
