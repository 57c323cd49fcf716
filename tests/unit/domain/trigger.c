/* trigger.c — unit tests of domain/trigger on a migrated temporary SQLite database: the stored
 * definition is normalised, bad parts are named by their JSON path, a run never fires more than
 * TRIGGER_MAX_FIRINGS triggers, and a run started from inside a run does nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/crypto.h"
#include "core/log.h"
#include "domain/conversation.h"
#include "domain/org.h"
#include "domain/settings.h"
#include "domain/trigger.h"
#include "store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    char dir[64];
    store *db;
} fixture;

static const actor admin = {1, "admin@example.org", ROLE_ADMIN, "10.0.0.1", "req-1"};

static void remove_db_files(const fixture *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/trigger.db%s", f->dir, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
}

static int setup(void **state)
{
    if (crypto_init() != 0) return -1;
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/sanad_trigger_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    char url[96];
    snprintf(url, sizeof url, "sqlite:%s/trigger.db", f->dir);
    sn_err e = {0};
    org_unit u;
    if (store_open(url, NULL, &f->db, &e) != 0 || migrate_run(f->db, NULL, &e) != 0 ||
        org_create(f->db, &admin, ORG_SERVICE_LINE, "refunds", "الاسترداد", "Refunds", &u, &e) !=
            0) {
        print_error("setup: %s\n", e.message);
        if (f->db) store_close(f->db);
        remove_db_files(f);
        free(f);
        return -1;
    }
    settings_changed(); /* this thread's caches belong to the previous test's database */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->db);
    remove_db_files(f);
    free(f);
    return 0;
}

/* Create from JSON text; returns the code, the stored trigger in *out (may be NULL). */
static int create(store *db, const char *text, json_t **out, sn_err *e)
{
    json_error_t jerr;
    json_t *body = json_loads(text, 0, &jerr);
    assert_non_null(body);
    json_t *t = NULL;
    int rc = trigger_create(db, &admin, body, &t, e);
    json_decref(body);
    if (out)
        *out = t;
    else
        json_decref(t);
    return rc;
}

static int64_t count(store *db, const char *sql)
{
    store_stmt *st;
    assert_int_equal(store_prepare(db, sql, &st), 0);
    assert_int_equal(store_step(st), STORE_ROW);
    int64_t n = store_col_int(st, 0);
    store_finish(st);
    return n;
}

static void receive_contact(store *db, contact_result *r)
{
    json_t *who = json_pack("{s:s, s:[s]}", "name", "نورة", "phones", "0551234567");
    contact_input in = {0};
    sn_err e = {0};
    assert_int_equal(customer_input_parse(who, &in.customer, &e), 0);
    json_decref(who);
    in.channel = CH_PHONE;
    in.service_line = "refunds";
    in.subject = "طلب استرداد";
    in.body = "أرجو استرداد المبلغ";
    assert_int_equal(contact_receive(db, &actor_system, &in, r, &e), 0);
}

static void test_definition_is_normalised(void **state)
{
    fixture *f = *state;
    sn_err e = {0};
    json_t *a, *b;
    assert_int_equal(create(f->db,
                            "{\"name\":\"a\",\"event\":\"contact.created\",\"actions\":"
                            "[{\"type\":\"add_tag\",\"tag\":\"x\"}]}",
                            &a, &e),
                     0);
    assert_int_equal(
        create(f->db,
               "{\"name\":\"b\",\"event\":\"contact.created\",\"enabled\":false,"
               "\"conditions\":{\"any\":[{\"field\":\"channel\",\"op\":\"is\","
               "\"value\":\"x\"}]},\"actions\":[{\"type\":\"add_tag\",\"tag\":\"y\"}]}",
               &b, &e),
        0);
    assert_int_equal(json_integer_value(json_object_get(a, "position")), 0);
    assert_int_equal(json_integer_value(json_object_get(b, "position")), 1);
    assert_true(json_is_true(json_object_get(a, "enabled")));
    assert_true(json_is_false(json_object_get(b, "enabled")));
    json_t *conds = json_object_get(a, "conditions");
    assert_int_equal(json_array_size(json_object_get(conds, "all")), 0);
    assert_int_equal(json_array_size(json_object_get(conds, "any")), 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(b, "conditions"), "any")), 1);
    json_decref(a);
    json_decref(b);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM audit_log WHERE action = 'trigger.create'"),
                     2);
}

static void test_bad_parts_are_named(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *json, *field;
    } cases[] = {
        {"{\"name\":\"n\",\"event\":\"contact.created\",\"actions\":[{\"type\":\"add_tag\",\"tag\":"
         "\"x\"},"
         "{\"type\":\"assign_queue\",\"service_line\":\"nope\"}]}",
         "actions[1].service_line"},
        {"{\"name\":\"n\",\"event\":\"contact.created\",\"conditions\":{\"all\":[{\"field\":"
         "\"text\","
         "\"op\":\"contains\",\"value\":\"a\"},{\"field\":\"priority\",\"op\":\"in\",\"value\":"
         "[\"high\",\"extreme\"]}]},\"actions\":[{\"type\":\"add_tag\",\"tag\":\"x\"}]}",
         "conditions.all[1].value[1]"},
        {"{\"name\":\"n\",\"event\":\"contact.created\",\"colour\":1,\"actions\":[]}", "colour"},
        {"{\"name\":\"n\",\"actions\":[{\"type\":\"add_tag\",\"tag\":\"x\"}]}", "event"},
        {"{\"name\":\"\",\"event\":\"contact.created\",\"actions\":[]}", "name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sn_err e = {0};
        assert_int_equal(create(f->db, cases[i].json, NULL, &e), SN_EUNPROCESSABLE);
        assert_string_equal(e.field, cases[i].field);
    }
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM triggers"), 0);
}

static void test_run_is_capped(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < TRIGGER_MAX_FIRINGS + 5; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "{\"name\":\"t%d\",\"event\":\"contact.created\",\"actions\":"
                 "[{\"type\":\"add_tag\",\"tag\":\"t%d\"}]}",
                 i, i);
        sn_err e = {0};
        assert_int_equal(create(f->db, text, NULL, &e), 0);
    }
    contact_result r;
    receive_contact(f->db, &r);
    assert_int_equal(
        count(f->db, "SELECT COUNT(*) FROM conversation_events WHERE kind = 'trigger'"),
        TRIGGER_MAX_FIRINGS);
}

static void test_nested_run_does_nothing(void **state)
{
    fixture *f = *state;
    sn_err e = {0};
    assert_int_equal(create(f->db,
                            "{\"name\":\"u\",\"event\":\"conversation.updated\",\"actions\":"
                            "[{\"type\":\"set_priority\",\"priority\":\"high\"}]}",
                            NULL, &e),
                     0);
    contact_result r;
    receive_contact(f->db, &r);
    /* An update fires it once; its own change (an update too) does not fire it again. */
    conv_patch p = {0};
    p.priority = "low";
    assert_int_equal(conv_update(f->db, &actor_system, r.conversation_id, &p, &e), 0);
    assert_int_equal(
        count(f->db, "SELECT COUNT(*) FROM conversation_events WHERE kind = 'trigger'"), 1);
    assert_int_equal(count(f->db, "SELECT COUNT(*) FROM conversations WHERE priority = 'high'"), 1);
    /* Outside any run, trigger_run on its own runs the event's triggers. */
    assert_int_equal(store_begin_write(f->db), 0);
    assert_int_equal(trigger_run(f->db, "conversation.updated", r.conversation_id, 0), 0);
    assert_int_equal(store_commit(f->db), 0);
    assert_int_equal(
        count(f->db, "SELECT COUNT(*) FROM conversation_events WHERE kind = 'trigger'"), 2);
}

int main(void)
{
    log_set_quiet(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_definition_is_normalised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_parts_are_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_is_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_run_does_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
