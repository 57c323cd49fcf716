/* sqlite.c — unit tests of store/ on a temporary SQLite file, and of migrate_run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/log.h"
#include "store/migrate.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture {
    char dir[64];
    char url[96];
    store *db;
} fixture;

static void remove_db_files(const fixture *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char path[128];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/test.db%s", f->dir, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/sanad_store_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->url, sizeof f->url, "sqlite:%s/test.db", f->dir);
    sn_err e = {0};
    if (store_open(f->url, NULL, &f->db, &e) != 0) {
        print_error("store_open: %s\n", e.message);
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

/* The fixture plus a small table t(id, name UNIQUE, n, note). */
static int setup_table(void **state)
{
    if (setup(state) != 0) return -1;
    fixture *f = *state;
    return store_exec(f->db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                             "n INTEGER NOT NULL DEFAULT 0, note TEXT)") == 0
               ? 0
               : -1;
}

static int64_t insert_row(store *db, const char *name, int64_t n)
{
    store_stmt *st;
    assert_int_equal(store_prepare(db, "INSERT INTO t (name, n) VALUES (?, ?) RETURNING id", &st),
                     0);
    assert_int_equal(store_bind_text(st, 1, name), 0);
    assert_int_equal(store_bind_int(st, 2, n), 0);
    assert_int_equal(store_step(st), STORE_ROW);
    int64_t id = store_col_int(st, 0);
    assert_int_equal(store_step(st), STORE_DONE);
    store_finish(st);
    return id;
}

static int64_t count_rows(store *db, const char *sql)
{
    store_stmt *st;
    assert_int_equal(store_prepare(db, sql, &st), 0);
    assert_int_equal(store_step(st), STORE_ROW);
    int64_t n = store_col_int(st, 0);
    store_finish(st);
    return n;
}

static void test_open_kind(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_kind_of(f->db), STORE_SQLITE);
    assert_string_equal(store_kind_name(f->db), "sqlite");
}

static void test_open_errors(void **state)
{
    store *db = NULL;
    sn_err e = {0};
    assert_int_equal(store_open("mysql://localhost/x", NULL, &db, &e), SN_EINVALID);
    assert_string_equal(e.field, "db");
    assert_null(db);

    store_options bad = {"SOMETIMES", 0};
    assert_int_equal(store_open("sqlite:/tmp/never_created.db", &bad, &db, &e), SN_EINVALID);
    assert_string_equal(e.field, "sqlite-synchronous");
    assert_int_equal(access("/tmp/never_created.db", F_OK), -1);

    assert_int_equal(store_open("sqlite:/nonexistent_dir_sanad/x.db", NULL, &db, &e),
                     SN_EUNAVAILABLE);
    assert_string_equal(e.field, "db");
    assert_null(db);
}

static void test_migrations_apply_once(void **state)
{
    fixture *f = *state;
    sn_err e = {0};
    int version = -1, applied = -1;
    assert_int_equal(migrate_current(f->db, &version, &e), 0);
    assert_int_equal(version, 0);

    assert_true(migrations_count >= 1);
    assert_int_equal(migrate_latest(), migrations[migrations_count - 1].version);
    assert_int_equal(migrate_run(f->db, &applied, &e), 0);
    assert_int_equal(applied, migrations_count);
    assert_int_equal(migrate_current(f->db, &version, &e), 0);
    assert_int_equal(version, migrate_latest());
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM schema_migrations"), migrations_count);
    /* The foundation's tables exist and audit_head is seeded. */
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM users"), 0);
    assert_int_equal(count_rows(f->db, "SELECT seq FROM audit_head WHERE id = 1"), 0);

    assert_int_equal(migrate_run(f->db, &applied, &e), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM schema_migrations"), migrations_count);
    assert_int_equal(migrate_run(f->db, NULL, &e), 0);
}

/* Versions are numbered and the embedded list is in ascending order. */
static void test_migration_list_is_ordered(void **state)
{
    for (int i = 0; i < migrations_count; i++) {
        assert_true(migrations[i].version >= 1);
        assert_non_null(migrations[i].name);
        assert_non_null(migrations[i].sql);
        if (i > 0) assert_true(migrations[i].version > migrations[i - 1].version);
    }
}

static void test_newer_schema_refused(void **state)
{
    fixture *f = *state;
    sn_err e = {0};
    int applied = -1;
    assert_int_equal(migrate_run(f->db, &applied, &e), 0);
    char sql[160];
    snprintf(sql, sizeof sql,
             "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'future', 0)",
             migrate_latest() + 100);
    assert_int_equal(store_exec(f->db, sql), 0);

    memset(&e, 0, sizeof e);
    assert_int_equal(migrate_run(f->db, &applied, &e), SN_ECONFLICT);
    assert_int_equal(e.code, SN_ECONFLICT);
    assert_string_equal(e.field, "db");
    char want[32];
    snprintf(want, sizeof want, "version %d", migrate_latest() + 100);
    assert_non_null(strstr(e.message, want));
}

/* A future schema is refused before anything is applied. */
static void test_newer_schema_refused_on_fresh_db(void **state)
{
    fixture *f = *state;
    sn_err e = {0};
    int version;
    assert_int_equal(migrate_current(f->db, &version, &e), 0);
    assert_int_equal(store_exec(f->db, "INSERT INTO schema_migrations (version, name, applied_at) "
                                       "VALUES (99999, 'future', 0)"),
                     0);
    assert_int_equal(migrate_run(f->db, NULL, &e), SN_ECONFLICT);
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'users'"),
                     0);
    assert_int_equal(migrate_current(f->db, &version, &e), 0);
    assert_int_equal(version, 99999);
}

static void test_returning_id_and_changes(void **state)
{
    fixture *f = *state;
    assert_int_equal(insert_row(f->db, "one", 1), 1);
    assert_int_equal(insert_row(f->db, "two", 2), 2);
    assert_int_equal(insert_row(f->db, "three", 3), 3);

    store_stmt *st;
    assert_int_equal(store_prepare(f->db, "INSERT INTO t (name) VALUES (?)", &st), 0);
    store_bind_text(st, 1, "four");
    assert_int_equal(store_step(st), STORE_DONE);
    assert_int_equal(store_changes(st), 1);
    store_finish(st);

    assert_int_equal(store_prepare(f->db, "UPDATE t SET n = n + 10 WHERE n < ?", &st), 0);
    store_bind_int(st, 1, 3);
    assert_int_equal(store_step(st), STORE_DONE);
    assert_int_equal(store_changes(st), 3); /* one, two and four (n = 0) */
    store_finish(st);

    assert_int_equal(store_prepare(f->db, "DELETE FROM t WHERE name = ?", &st), 0);
    store_bind_text(st, 1, "nobody");
    assert_int_equal(store_step(st), STORE_DONE);
    assert_int_equal(store_changes(st), 0);
    store_finish(st);

    assert_int_equal(store_prepare(f->db, "DELETE FROM t WHERE n >= ?", &st), 0);
    store_bind_int(st, 1, 11);
    assert_int_equal(store_step(st), STORE_DONE);
    assert_int_equal(store_changes(st), 2); /* one (11) and two (12) */
    store_finish(st);

    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM t"), 2);
    assert_int_equal(count_rows(f->db, "SELECT SUM(n) FROM t"), 3 + 10);
}

static void test_columns(void **state)
{
    fixture *f = *state;
    store_stmt *st;
    assert_int_equal(store_prepare(f->db, "INSERT INTO t (name, n, note) VALUES (?, ?, ?)", &st),
                     0);
    store_bind_text(st, 1, "مستخدم");
    store_bind_int(st, 2, INT64_C(1) << 40);
    store_bind_text(st, 3, NULL);
    assert_int_equal(store_step(st), STORE_DONE);
    store_finish(st);

    assert_int_equal(store_prepare(f->db, "SELECT id, name, n, note FROM t", &st), 0);
    assert_int_equal(store_column_count(st), 4);
    assert_int_equal(store_step(st), STORE_ROW);
    assert_string_equal(store_col_name(st, 1), "name");
    assert_string_equal(store_col_name(st, 3), "note");
    assert_int_equal(store_col_int(st, 0), 1);
    assert_string_equal(store_col_text(st, 1), "مستخدم");
    assert_int_equal(store_col_int(st, 2), INT64_C(1) << 40);
    assert_false(store_col_is_null(st, 2));
    assert_true(store_col_is_null(st, 3));
    assert_string_equal(store_col_text(st, 3), "");
    assert_int_equal(store_step(st), STORE_DONE);
    store_finish(st);
}

static void test_unique_violation_is_conflict(void **state)
{
    fixture *f = *state;
    insert_row(f->db, "dup", 1);
    store_stmt *st;
    const char *sql = "INSERT INTO t (name, n) VALUES (?, ?) RETURNING id";
    assert_int_equal(store_prepare(f->db, sql, &st), 0);
    store_bind_text(st, 1, "dup");
    store_bind_int(st, 2, 2);
    assert_int_equal(store_step(st), SN_ECONFLICT);
    store_finish(st);
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM t"), 1);

    /* The cached statement still works after the failure. */
    assert_int_equal(insert_row(f->db, "unique", 3), 2);
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM t"), 2);

    /* Through store_exec too. */
    assert_int_equal(store_exec(f->db, "INSERT INTO t (name) VALUES ('dup')"), SN_ECONFLICT);
}

/* The same SQL prepared again while the first is still stepping gives an independent statement. */
static void test_nested_same_sql(void **state)
{
    fixture *f = *state;
    for (int i = 1; i <= 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "r%d", i);
        insert_row(f->db, name, i * 10);
    }
    const char *sql = "SELECT id, n FROM t WHERE id >= ? ORDER BY id";
    store_stmt *outer, *inner;
    assert_int_equal(store_prepare(f->db, sql, &outer), 0);
    store_bind_int(outer, 1, 1);
    int64_t outer_ids[4] = {0}, inner_sum = 0;
    int n_outer = 0;
    int rc;
    while ((rc = store_step(outer)) == STORE_ROW) {
        int64_t id = store_col_int(outer, 0);
        assert_true(n_outer < 4);
        outer_ids[n_outer++] = id;
        assert_int_equal(store_prepare(f->db, sql, &inner), 0);
        assert_ptr_not_equal(inner, outer);
        store_bind_int(inner, 1, id + 1);
        while (store_step(inner) == STORE_ROW)
            inner_sum += store_col_int(inner, 1);
        store_finish(inner);
        /* The outer row is still readable after the inner query ran. */
        assert_int_equal(store_col_int(outer, 0), id);
        assert_int_equal(store_col_int(outer, 1), id * 10);
    }
    assert_int_equal(rc, STORE_DONE);
    store_finish(outer);
    assert_int_equal(n_outer, 3);
    assert_int_equal(outer_ids[0], 1);
    assert_int_equal(outer_ids[1], 2);
    assert_int_equal(outer_ids[2], 3);
    /* id 1: rows 2,3 (20+30); id 2: row 3 (30); id 3: none. */
    assert_int_equal(inner_sum, 80);

    /* Afterwards the cached statement is handed out again, reset and unbound. */
    store_stmt *again;
    assert_int_equal(store_prepare(f->db, sql, &again), 0);
    assert_ptr_equal(again, outer);
    store_bind_int(again, 1, 3);
    assert_int_equal(store_step(again), STORE_ROW);
    assert_int_equal(store_col_int(again, 0), 3);
    assert_int_equal(store_step(again), STORE_DONE);
    store_finish(again);
}

/* Three levels deep, each finished in reverse order. */
static void test_nested_three_levels(void **state)
{
    fixture *f = *state;
    insert_row(f->db, "a", 1);
    insert_row(f->db, "b", 2);
    const char *sql = "SELECT name FROM t WHERE n = ?";
    store_stmt *s1, *s2, *s3;
    assert_int_equal(store_prepare(f->db, sql, &s1), 0);
    assert_int_equal(store_prepare(f->db, sql, &s2), 0);
    assert_int_equal(store_prepare(f->db, sql, &s3), 0);
    assert_ptr_not_equal(s1, s2);
    assert_ptr_not_equal(s2, s3);
    assert_ptr_not_equal(s1, s3);
    store_bind_int(s1, 1, 1);
    store_bind_int(s2, 1, 2);
    store_bind_int(s3, 1, 3);
    assert_int_equal(store_step(s1), STORE_ROW);
    assert_int_equal(store_step(s2), STORE_ROW);
    assert_int_equal(store_step(s3), STORE_DONE);
    assert_string_equal(store_col_text(s1, 0), "a");
    assert_string_equal(store_col_text(s2, 0), "b");
    store_finish(s3);
    store_finish(s2);
    store_finish(s1);
}

/* A statement finished before it was stepped to the end starts over next time. */
static void test_finish_resets(void **state)
{
    fixture *f = *state;
    insert_row(f->db, "a", 1);
    insert_row(f->db, "b", 2);
    const char *sql = "SELECT name FROM t ORDER BY id";
    store_stmt *st;
    assert_int_equal(store_prepare(f->db, sql, &st), 0);
    assert_int_equal(store_step(st), STORE_ROW);
    assert_string_equal(store_col_text(st, 0), "a");
    store_finish(st);
    assert_int_equal(store_prepare(f->db, sql, &st), 0);
    assert_int_equal(store_step(st), STORE_ROW);
    assert_string_equal(store_col_text(st, 0), "a");
    store_finish(st);
}

static void test_transactions(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_begin_write(f->db), 0);
    insert_row(f->db, "rolled-back", 1);
    assert_int_equal(store_rollback(f->db), 0);
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM t"), 0);

    assert_int_equal(store_begin(f->db), 0);
    insert_row(f->db, "kept", 1);
    assert_int_equal(store_commit(f->db), 0);
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM t"), 1);

    /* Committed data is visible to a second connection. */
    store *other;
    sn_err e = {0};
    assert_int_equal(store_open(f->url, NULL, &other, &e), 0);
    assert_int_equal(count_rows(other, "SELECT COUNT(*) FROM t WHERE name = 'kept'"), 1);
    store_close(other);
}

static void test_exec_and_sql_errors(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_exec(f->db, "INSERT INTO t (name) VALUES ('x'); "
                                       "INSERT INTO t (name) VALUES ('y');"),
                     0);
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM t"), 2);
    assert_int_equal(store_exec(f->db, "THIS IS NOT SQL"), SN_EDB);
    store_stmt *st = NULL;
    assert_int_equal(store_prepare(f->db, "SELECT nope FROM missing_table", &st), SN_EDB);
    assert_non_null(store_errmsg(f->db));
    assert_true(strlen(store_errmsg(f->db)) > 0);
}

/* INSERT … RETURNING id answered from the rowid (no temporary b-tree): the same answer as
 * RETURNING, and RETURNING kept where the rowid would differ (a non-rowid id, an upsert). */
static void test_returning_id_from_rowid(void **state)
{
    fixture *f = *state;
    int64_t a = insert_row(f->db, "a", 1), b = insert_row(f->db, "b", 2);
    assert_true(a > 0);
    assert_int_equal(b, a + 1);
    assert_int_equal(count_rows(f->db, "SELECT MAX(id) FROM t"), b);

    /* A failing INSERT gives no row; the next one still gets its own id. */
    store_stmt *st;
    assert_int_equal(store_prepare(f->db, "INSERT INTO t (name, n) VALUES (?, ?) RETURNING id", &st), 0);
    store_bind_text(st, 1, "a");
    store_bind_int(st, 2, 3);
    assert_int_equal(store_step(st), SN_ECONFLICT);
    store_finish(st);
    assert_int_equal(insert_row(f->db, "c", 3), b + 1);

    /* id that is not the rowid: RETURNING must give the column, not the rowid. */
    assert_int_equal(store_exec(f->db, "CREATE TABLE u (id BIGINT PRIMARY KEY, v TEXT)"), 0);
    assert_int_equal(store_prepare(f->db, "INSERT INTO u (id, v) VALUES (?, ?) RETURNING id", &st), 0);
    store_bind_int(st, 1, 777);
    store_bind_text(st, 2, "x");
    assert_int_equal(store_step(st), STORE_ROW);
    assert_int_equal(store_col_int(st, 0), 777);
    store_finish(st);

    /* An upsert that does nothing returns no row. */
    assert_int_equal(store_prepare(f->db, "INSERT INTO t (name, n) VALUES (?, ?) ON CONFLICT (name) "
                                          "DO NOTHING RETURNING id", &st), 0);
    store_bind_text(st, 1, "a");
    store_bind_int(st, 2, 9);
    assert_int_equal(store_step(st), STORE_DONE);
    store_finish(st);
    assert_int_equal(count_rows(f->db, "SELECT COUNT(*) FROM t"), 3);
}

int main(void)
{
    log_set_quiet(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_kind, setup, teardown),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test_setup_teardown(test_migrations_apply_once, setup, teardown),
        cmocka_unit_test(test_migration_list_is_ordered),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused_on_fresh_db, setup, teardown),
        cmocka_unit_test_setup_teardown(test_returning_id_and_changes, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_columns, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_returning_id_from_rowid, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_unique_violation_is_conflict, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_nested_same_sql, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_nested_three_levels, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_finish_resets, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup_table, teardown),
        cmocka_unit_test_setup_teardown(test_exec_and_sql_errors, setup_table, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
