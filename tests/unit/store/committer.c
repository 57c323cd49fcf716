/* committer.c — unit tests of the group committer (store/committer.h) on a temporary SQLite
 * file: units submitted without waiting share commits, each is answered once after its group
 * is durable, a failing unit is rolled back alone, and nothing is queued once stopping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store/committer.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNITS 400

static char dir[64], url[96];
static int groups_committed;

static void count_group(void)
{
    groups_committed++; /* the committer thread only */
}

static const committer_hooks hooks = {NULL, NULL, count_group, NULL, NULL, NULL};

typedef struct job {
    int n;       /* the value this unit inserts; a negative one fails */
    sn_err e;
    int rc;
    int calls;   /* times done was called */
    int visible; /* the row was visible to another connection when done was called */
} job;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static int finished;
static store *reader;

static int insert_unit(store *db, void *arg, sn_err *e)
{
    job *j = arg;
    store_stmt *st;
    if (store_prepare(db, "INSERT INTO t (n) VALUES (?)", &st) < 0) return sn_fail(e, SN_EDB, NULL, "prepare");
    store_bind_int(st, 1, j->n);
    int rc = store_step(st);
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "insert");
    if (j->n < 0) return sn_fail(e, SN_EUNPROCESSABLE, "n", "negative"); /* after writing */
    return 0;
}

static int row_visible(int n)
{
    store_stmt *st;
    if (store_prepare(reader, "SELECT COUNT(*) FROM t WHERE n = ?", &st) < 0) return -1;
    store_bind_int(st, 1, n);
    int found = store_step(st) == STORE_ROW ? (int)store_col_int(st, 0) : -1;
    store_finish(st);
    return found;
}

static void on_done(void *arg, int rc)
{
    job *j = arg;
    j->rc = rc;
    j->visible = row_visible(j->n); /* a separate connection sees only committed data */
    pthread_mutex_lock(&lock);
    j->calls++;
    finished++;
    pthread_cond_broadcast(&all_done);
    pthread_mutex_unlock(&lock);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sanad_committer_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(url, sizeof url, "sqlite:%s/test.db", dir);
    sn_err e = {0};
    if (store_open(url, NULL, &reader, &e) < 0) return -1;
    return store_exec(reader, "CREATE TABLE t (n INTEGER NOT NULL)") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    store_close(reader);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/test.db%s", dir, suffixes[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

static void submitted_units_share_commits(void **state)
{
    (void)state;
    committer *c;
    sn_err e = {0};
    assert_int_equal(committer_start(url, NULL, &hooks, 512, &c, &e), 0);
    job *jobs = calloc(UNITS, sizeof *jobs);
    assert_non_null(jobs);
    finished = 0;
    groups_committed = 0;
    for (int i = 0; i < UNITS; i++) {
        jobs[i].n = i % 50 == 7 ? -(i + 1) : i + 1;
        assert_int_equal(committer_submit(c, insert_unit, &jobs[i], &jobs[i].e, on_done, &jobs[i]), 0);
    }
    pthread_mutex_lock(&lock);
    while (finished < UNITS) pthread_cond_wait(&all_done, &lock);
    pthread_mutex_unlock(&lock);
    committer_stop(c);
    int failed = 0;
    for (int i = 0; i < UNITS; i++) {
        assert_int_equal(jobs[i].calls, 1);
        if (jobs[i].n < 0) {
            failed++;
            assert_int_equal(jobs[i].rc, SN_EUNPROCESSABLE); /* its own error, rolled back alone */
            assert_string_equal(jobs[i].e.field, "n");
            assert_int_equal(jobs[i].visible, 0);
        } else {
            assert_int_equal(jobs[i].rc, 0);
            assert_int_equal(jobs[i].visible, 1); /* durable before it was answered */
        }
    }
    assert_int_equal(failed, UNITS / 50);
    /* Queued without waiting, the units ran in far fewer transactions than there are units. */
    assert_true(groups_committed >= 1);
    assert_true(groups_committed <= UNITS / 4);
    free(jobs);
}

static void nothing_is_queued_once_stopping(void **state)
{
    (void)state;
    committer *c;
    sn_err e = {0};
    assert_int_equal(committer_start(url, NULL, NULL, 0, &c, &e), 0);
    job j = {.n = 9999};
    finished = 0;
    assert_int_equal(committer_submit(c, insert_unit, &j, &j.e, on_done, &j), 0);
    committer_stop(c); /* finishes what is queued */
    assert_int_equal(j.calls, 1);
    assert_int_equal(j.rc, 0);
    assert_int_equal(row_visible(9999), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(submitted_units_share_commits),
        cmocka_unit_test(nothing_is_queued_once_stopping),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
