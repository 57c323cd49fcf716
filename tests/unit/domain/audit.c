/* audit.c — unit tests of domain/audit on a migrated temporary SQLite database: the hash chain
 * verifies, tampering (edit, delete last, delete middle) is named by seq, and listing filters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "domain/audit.h"
#include "store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    char dir[64];
    store *db;
} fixture;

static const actor amal = {42, "amal@example.org", ROLE_ADMIN, "10.0.0.7", "req-abc"};

static void remove_db_files(const fixture *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/audit.db%s", f->dir, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
}

static int setup(void **state)
{
    if (crypto_init() != 0) return -1;
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/sanad_audit_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    char url[96];
    snprintf(url, sizeof url, "sqlite:%s/audit.db", f->dir);
    sn_err e = {0};
    if (store_open(url, NULL, &f->db, &e) != 0 || migrate_run(f->db, NULL, &e) != 0) {
        print_error("setup: %s\n", e.message);
        if (f->db) store_close(f->db);
        remove_db_files(f);
        free(f);
        return -1;
    }
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

/* Rows 1–3: system, amal, amal. */
static void record_three(store *db)
{
    assert_int_equal(audit_record(db, &actor_system, "system.start", NULL, NULL, NULL), 0);
    assert_int_equal(audit_record(db, &amal, "user.create", "user", "5", "{\"email\":\"n@x.sa\"}"),
                     0);
    assert_int_equal(audit_record(db, &amal, "user.update", "user", "5", "{\"name\":\"نورة\"}"), 0);
}

static void exec_ok(store *db, const char *sql)
{
    assert_int_equal(store_exec(db, sql), 0);
}

#define verify_broken_at(db, want_seq, want_rows)                                                  \
    do {                                                                                           \
        int64_t rows_ = -1, bad_ = -1;                                                             \
        sn_err e_ = {0};                                                                           \
        assert_int_equal(audit_verify((db), &rows_, &bad_, &e_), SN_ECONFLICT);                    \
        assert_int_equal(e_.code, SN_ECONFLICT);                                                   \
        assert_int_equal(bad_, (want_seq));                                                        \
        assert_int_equal(rows_, (want_rows));                                                      \
        char want_msg_[48];                                                                        \
        snprintf(want_msg_, sizeof want_msg_, "broken at row %d", (int)(want_seq));                \
        assert_non_null(strstr(e_.message, want_msg_));                                            \
    } while (0)

static void test_empty_log_verifies(void **state)
{
    fixture *f = *state;
    int64_t rows = -1, bad = -1;
    sn_err e = {0};
    assert_int_equal(audit_verify(f->db, &rows, &bad, &e), 0);
    assert_int_equal(rows, 0);
}

static void test_record_and_verify(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    int64_t rows = -1, bad = -1;
    sn_err e = {0};
    assert_int_equal(audit_verify(f->db, &rows, &bad, &e), 0);
    assert_int_equal(rows, 3);

    assert_int_equal(audit_record(f->db, &amal, "auth.logout", NULL, NULL, NULL), 0);
    assert_int_equal(audit_verify(f->db, &rows, &bad, &e), 0);
    assert_int_equal(rows, 4);
}

static void test_rows_are_stored_as_given(void **state)
{
    fixture *f = *state;
    int64_t before = clock_now_ms();
    record_three(f->db);
    int64_t after = clock_now_ms();

    audit_filter all = {0, "", "", "", 0, 10};
    audit_row *rows;
    int n = -1;
    sn_err e = {0};
    assert_int_equal(audit_list(f->db, &all, &rows, &n, &e), 0);
    assert_int_equal(n, 3);
    /* Newest first. */
    assert_int_equal(rows[0].seq, 3);
    assert_int_equal(rows[1].seq, 2);
    assert_int_equal(rows[2].seq, 1);

    assert_int_equal(rows[2].actor_id, 0);
    assert_string_equal(rows[2].actor, "system");
    assert_string_equal(rows[2].action, "system.start");
    assert_string_equal(rows[2].object_type, "");
    assert_string_equal(rows[2].object_id, "");
    assert_string_equal(rows[2].ip, "");
    assert_string_equal(rows[2].request_id, "");
    assert_string_equal(rows[2].detail, "{}");

    assert_int_equal(rows[0].actor_id, 42);
    assert_string_equal(rows[0].actor, "amal@example.org");
    assert_string_equal(rows[0].action, "user.update");
    assert_string_equal(rows[0].object_type, "user");
    assert_string_equal(rows[0].object_id, "5");
    assert_string_equal(rows[0].ip, "10.0.0.7");
    assert_string_equal(rows[0].request_id, "req-abc");
    assert_string_equal(rows[0].detail, "{\"name\":\"نورة\"}");
    for (int i = 0; i < n; i++) {
        assert_true(rows[i].at >= before && rows[i].at <= after);
        assert_true(rows[i].id > 0);
    }
    audit_rows_free(rows, n);
}

/* The chain is linked: each prev_hash is the hash before it, and the head holds the last. */
static void test_chain_links(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    store_stmt *st;
    assert_int_equal(store_prepare(f->db,
                                   "SELECT COUNT(*) FROM audit_log a JOIN audit_log b "
                                   "ON b.seq = a.seq + 1 AND b.prev_hash = a.hash",
                                   &st),
                     0);
    assert_int_equal(store_step(st), STORE_ROW);
    assert_int_equal(store_col_int(st, 0), 2);
    store_finish(st);
    assert_int_equal(store_prepare(f->db,
                                   "SELECT h.seq, length(l.hash) FROM audit_head h "
                                   "JOIN audit_log l ON l.hash = h.hash",
                                   &st),
                     0);
    assert_int_equal(store_step(st), STORE_ROW);
    assert_int_equal(store_col_int(st, 0), 3);
    assert_int_equal(store_col_int(st, 1), 64);
    store_finish(st);
}

static void test_edited_detail_detected(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    exec_ok(f->db, "UPDATE audit_log SET detail = '{\"email\":\"evil@x.sa\"}' WHERE seq = 2");
    verify_broken_at(f->db, 2, 1);
}

static void test_edited_first_row_detected(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    exec_ok(f->db, "UPDATE audit_log SET at = at + 1 WHERE seq = 1");
    verify_broken_at(f->db, 1, 0);
}

static void test_edited_actor_detected(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    exec_ok(f->db, "UPDATE audit_log SET actor_id = 7 WHERE seq = 3");
    verify_broken_at(f->db, 3, 2);
}

/* Re-hashing a row is not enough: the next row's prev_hash no longer matches. */
static void test_replaced_hash_detected(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    exec_ok(f->db, "UPDATE audit_log SET hash = "
                   "'1111111111111111111111111111111111111111111111111111111111111111' "
                   "WHERE seq = 1");
    verify_broken_at(f->db, 1, 0);
}

static void test_deleted_last_row_detected(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    exec_ok(f->db, "DELETE FROM audit_log WHERE seq = 3");
    verify_broken_at(f->db, 3, 2);
}

static void test_deleted_middle_row_detected(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    exec_ok(f->db, "DELETE FROM audit_log WHERE seq = 2");
    verify_broken_at(f->db, 2, 1);
}

static void test_deleted_all_rows_detected(void **state)
{
    fixture *f = *state;
    record_three(f->db);
    exec_ok(f->db, "DELETE FROM audit_log");
    verify_broken_at(f->db, 1, 0);
}

/* audit_append inside a transaction that rolls back leaves neither a row nor a moved head. */
static void test_append_rolls_back_with_transaction(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_begin_write(f->db), 0);
    assert_int_equal(audit_append(f->db, &amal, "user.create", "user", "9", NULL), 0);
    assert_int_equal(store_rollback(f->db), 0);
    int64_t rows = -1, bad = -1;
    sn_err e = {0};
    assert_int_equal(audit_verify(f->db, &rows, &bad, &e), 0);
    assert_int_equal(rows, 0);

    assert_int_equal(audit_record(f->db, &amal, "user.create", "user", "9", NULL), 0);
    audit_filter all = {0, "", "", "", 0, 10};
    audit_row *list;
    int n;
    assert_int_equal(audit_list(f->db, &all, &list, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].seq, 1);
    audit_rows_free(list, n);
}

/* The seqs of a listing, newest first; returns how many. */
static int list_seqs(store *db, const audit_filter *filter, int64_t *seqs, int max)
{
    audit_row *rows;
    int n = -1;
    sn_err e = {0};
    assert_int_equal(audit_list(db, filter, &rows, &n, &e), 0);
    assert_true(n <= max);
    for (int i = 0; i < n; i++)
        seqs[i] = rows[i].seq;
    audit_rows_free(rows, n);
    return n;
}

/* Rows 1–3 from record_three, then 4: other user login, 5: amal token.create on token 5. */
static void record_five(store *db)
{
    static const actor other = {43, "omar@example.org", ROLE_AGENT, "10.0.0.8", "req-def"};
    record_three(db);
    assert_int_equal(audit_record(db, &other, "auth.login", "user", "43", NULL), 0);
    assert_int_equal(audit_record(db, &amal, "token.create", "token", "5", NULL), 0);
}

static void test_list_filters(void **state)
{
    fixture *f = *state;
    record_five(f->db);
    int64_t s[8];

    audit_filter by_actor = {42, "", "", "", 0, 50};
    assert_int_equal(list_seqs(f->db, &by_actor, s, 8), 3);
    assert_int_equal(s[0], 5);
    assert_int_equal(s[1], 3);
    assert_int_equal(s[2], 2);

    audit_filter by_action = {0, "auth.login", "", "", 0, 50};
    assert_int_equal(list_seqs(f->db, &by_action, s, 8), 1);
    assert_int_equal(s[0], 4);

    audit_filter by_type = {0, "", "user", "", 0, 50};
    assert_int_equal(list_seqs(f->db, &by_type, s, 8), 3);
    assert_int_equal(s[0], 4);
    assert_int_equal(s[1], 3);
    assert_int_equal(s[2], 2);

    /* object_id alone matches across types; with the type it narrows. */
    audit_filter by_id = {0, "", "", "5", 0, 50};
    assert_int_equal(list_seqs(f->db, &by_id, s, 8), 3);
    assert_int_equal(s[0], 5);
    audit_filter by_type_id = {0, "", "user", "5", 0, 50};
    assert_int_equal(list_seqs(f->db, &by_type_id, s, 8), 2);
    assert_int_equal(s[0], 3);
    assert_int_equal(s[1], 2);

    audit_filter combined = {42, "user.create", "user", "5", 0, 50};
    assert_int_equal(list_seqs(f->db, &combined, s, 8), 1);
    assert_int_equal(s[0], 2);

    audit_filter none = {99, "", "", "", 0, 50};
    assert_int_equal(list_seqs(f->db, &none, s, 8), 0);
    audit_filter no_action = {0, "nothing.happened", "", "", 0, 50};
    assert_int_equal(list_seqs(f->db, &no_action, s, 8), 0);
}

static void test_list_before_seq_cursor(void **state)
{
    fixture *f = *state;
    record_five(f->db);
    int64_t s[8];

    audit_filter page = {0, "", "", "", 0, 2};
    assert_int_equal(list_seqs(f->db, &page, s, 8), 2);
    assert_int_equal(s[0], 5);
    assert_int_equal(s[1], 4);

    page.before_seq = 4;
    assert_int_equal(list_seqs(f->db, &page, s, 8), 2);
    assert_int_equal(s[0], 3);
    assert_int_equal(s[1], 2);

    page.before_seq = 2;
    assert_int_equal(list_seqs(f->db, &page, s, 8), 1);
    assert_int_equal(s[0], 1);

    page.before_seq = 1;
    assert_int_equal(list_seqs(f->db, &page, s, 8), 0);

    /* The cursor combines with a filter. */
    audit_filter mine = {42, "", "", "", 5, 50};
    assert_int_equal(list_seqs(f->db, &mine, s, 8), 2);
    assert_int_equal(s[0], 3);
    assert_int_equal(s[1], 2);
}

int main(void)
{
    log_set_quiet(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_log_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_are_stored_as_given, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_detail_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_first_row_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edited_actor_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaced_hash_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_last_row_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_middle_row_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_all_rows_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_rolls_back_with_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_before_seq_cursor, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
