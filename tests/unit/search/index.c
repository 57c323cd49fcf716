/* index.c — unit tests of search/index_cache through search_run: a thread's view of the index
 * (document attributes, frequencies, posting lists, texts) must follow every change to the
 * index, including changes made by another process that leave the totals as they were, which
 * only the generation in search_stats reveals. The other process is a fork writing to the same
 * SQLite file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/log.h"
#include "search/analyzer.h"
#include "search/search.h"
#include "store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fixture {
    char dir[64], url[128];
    store *db;
    int64_t ids[3];
} fixture;

static const char *const TITLES[3] = {"نموذج الاسترداد", "دليل الاعتماد", "جدول الرسوم"};
static const char *const BODIES[3] = {"طلب الاسترداد خلال ثلاثين يوما", "خطوات التسجيل في المنصة",
                                      "الرسوم تدفع مرة واحدة عند الطلب"};

static int put(store *db, int64_t ref, const char *title, const char *body, int64_t *id)
{
    sn_err e;
    search_doc d = {ref, 1, "ar", 0, 1, 0, 0, title, body};
    if (store_begin_write(db) < 0) return -1;
    if (search_index_put(db, &d, id, &e) < 0) {
        store_rollback(db);
        return -1;
    }
    return store_commit(db);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sanad-index-test.XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->url, sizeof f->url, "sqlite:%s/t.db", f->dir);
    sn_err e;
    if (store_open(f->url, NULL, &f->db, &e) < 0 || migrate_run(f->db, NULL, &e) < 0 ||
        search_index_ensure(f->db, &e) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (put(f->db, i + 1, TITLES[i], BODIES[i], &f->ids[i]) < 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[160];
    store_close(f->db);
    const char *const files[] = {"t.db", "t.db-wal", "t.db-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* The ref_ids of the hits for text, in order, as "1,3"; "" for none. */
static void hits_of(store *db, const char *text, int prefix, char *out, size_t cap)
{
    search_request r = {0};
    r.text = text;
    r.prefix_last = prefix;
    r.filter.now = 1000;
    r.filter.public_only = 1;
    r.limit = 10;
    search_hit *h;
    int n;
    sn_err e;
    out[0] = '\0';
    assert_int_equal(search_run(db, &r, &h, &n, &e), 0);
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%lld", i ? "," : "", (long long)h[i].ref_id);
    search_hits_free(h, n);
}

/* Run fn(url) in another process and wait for it. */
static void in_other_process(const fixture *f, int (*fn)(const fixture *))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(fn(f) == 0 ? 0 : 1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int expire_first(const fixture *f)
{
    store *db;
    sn_err e;
    if (store_open(f->url, NULL, &db, &e) < 0 || store_begin_write(db) < 0) return -1;
    int rc = search_index_set_window(db, f->ids[0], 0, 500, &e);
    rc = rc == 0 ? store_commit(db) : -1;
    store_close(db);
    return rc;
}

/* A window changed elsewhere: same documents, same totals; only the generation tells. */
static void test_window_changed_by_another_process(void **state)
{
    fixture *f = *state;
    char got[64];
    hits_of(f->db, "الاسترداد", 0, got, sizeof got);
    assert_string_equal(got, "1");
    hits_of(f->db, "الاستر", 1, got, sizeof got);
    assert_string_equal(got, "1");
    in_other_process(f, expire_first);
    hits_of(f->db, "الاسترداد", 0, got, sizeof got);
    assert_string_equal(got, "");
    hits_of(f->db, "الاستر", 1, got, sizeof got);
    assert_string_equal(got, "");
    hits_of(f->db, "الرسوم", 0, got, sizeof got);
    assert_string_equal(got, "3");
}

/* The last document replaced elsewhere by one with as many title and body terms (SQLite may
 * even give it the same id): the old words must go, the new ones be found. */
static int replace_last(const fixture *f)
{
    store *db;
    sn_err e;
    int64_t id;
    if (store_open(f->url, NULL, &db, &e) < 0 || store_begin_write(db) < 0) return -1;
    int rc = search_index_delete(db, f->ids[2], &e);
    rc = rc == 0 ? store_commit(db) : -1;
    if (rc == 0) rc = put(db, 9, "جدول المواعيد", "المواعيد تحجز مرة واحدة عند الزيارة", &id);
    store_close(db);
    return rc;
}

static void test_text_replaced_by_another_process(void **state)
{
    fixture *f = *state;
    char got[64];
    hits_of(f->db, "الرسوم", 0, got, sizeof got);
    assert_string_equal(got, "3");
    hits_of(f->db, "جدول", 0, got, sizeof got);
    assert_string_equal(got, "3");
    in_other_process(f, replace_last);
    hits_of(f->db, "الرسوم", 0, got, sizeof got);
    assert_string_equal(got, "");
    hits_of(f->db, "المواعيد", 0, got, sizeof got);
    assert_string_equal(got, "9");
    hits_of(f->db, "جدول", 0, got, sizeof got);
    assert_string_equal(got, "9");
}

/* Writes on this connection show at once too, and a search asked twice answers alike. */
static void test_own_writes_and_repeats(void **state)
{
    fixture *f = *state;
    char first[64], again[64];
    int64_t id;
    hits_of(f->db, "الطلب", 0, first, sizeof first);
    hits_of(f->db, "الطلب", 0, again, sizeof again);
    assert_string_equal(first, again);
    assert_int_equal(put(f->db, 7, "الطلب الجديد", "كيف يقدم الطلب", &id), 0);
    hits_of(f->db, "الطلب", 0, again, sizeof again);
    assert_int_equal(strncmp(again, "7,", 2), 0); /* the new one, with the word in its title */
    assert_int_equal(strlen(again), strlen(first) + 2);
    sn_err e;
    assert_int_equal(store_begin_write(f->db), 0);
    assert_int_equal(search_index_delete(f->db, id, &e), 0);
    assert_int_equal(store_commit(f->db), 0);
    hits_of(f->db, "الطلب", 0, again, sizeof again);
    assert_string_equal(again, first);
}

/* The snippet marks a word when its analysed term (found by position) matches: positions must
 * skip what analysis drops, such as a lone right-to-left mark or tatweel, or every word after
 * one would be checked against its neighbour's term. */
static void test_snippet_positions_skip_dropped_words(void **state)
{
    (void)state;
    const char *body = "مقدمة \u200f ـ نص عن الاسترداد هنا & <b>";
    search_query *q = calloc(1, sizeof *q);
    buf terms, out;
    buf_init(&terms, 1 << 16);
    buf_init(&out, 1 << 16);
    assert_int_equal(search_query_build("الاسترداد", 0, NULL, q), 0);
    assert_int_equal(analyzer_index_text(body, strlen(body), &terms), 0);
    int n;
    rank_term *t = rank_split(terms.data, &n);
    rank_field f = {t, NULL, n};
    assert_int_equal(n, 6);
    assert_true(search_snippet_terms(body, q, &f, 0, &out) >= 0);
    assert_non_null(strstr(out.data, "<mark>الاسترداد</mark> هنا &amp; &lt;b"));
    assert_int_equal(search_best_window_terms(q, &f, 28), 0); /* the match (3) less 3 */
    buf_reset(&out);
    assert_true(search_snippet_terms(body, q, &f, 1, &out) >= 0);
    assert_non_null(strstr(out.data, "… ‏ ـ نص عن <mark>الاسترداد</mark>"));
    free(t);
    free(q);
    buf_fini(&terms);
    buf_fini(&out);
}

int main(void)
{
    log_set_quiet(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_window_changed_by_another_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_replaced_by_another_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_writes_and_repeats, setup, teardown),
        cmocka_unit_test(test_snippet_positions_skip_dropped_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
