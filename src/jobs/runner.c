/* runner.c — the jobs runner thread: lease one due job, run its kind's handler, record the
 * outcome; sleep JOBS_IDLE_MS when nothing is due. The state machine is drawn in jobs.h. */
#include "jobs.h"

#include "../domain/conversation.h"

#include "../core/clock.h"
#include "../core/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* kind → handler. A new kind of job (email delivery, the auto-close sweep, …) is one row here. */
static const struct {
    const char *kind;
    job_handler run;
} job_kinds[] = {
    {"webhook", job_webhook_deliver},
    {"email", job_email_deliver}, /* queued by outbox_enqueue */
    {"email_notice", job_email_notice}, /* one-time codes (domain/doc_otp.c) */
    {"sms", job_sms_deliver},           /* one-time codes and document notices */
};

/* After this many consecutive storage errors the connection is opened afresh. */
enum { REOPEN_AFTER_ERRORS = 5, LAST_ERROR_MAX = 500 };

struct jobs_runner {
    const config *cfg;
    store *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_int stopping;
    int errors; /* consecutive storage errors */
};

static job_handler handler_of(const char *kind)
{
    for (size_t i = 0; i < sizeof job_kinds / sizeof job_kinds[0]; i++)
        if (!strcmp(job_kinds[i].kind, kind)) return job_kinds[i].run;
    return NULL;
}

int64_t jobs_backoff_ms(int64_t base_ms, int attempt)
{
    int64_t d = base_ms;
    for (int i = 1; i < attempt && d < JOBS_BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > JOBS_BACKOFF_MAX_MS) d = JOBS_BACKOFF_MAX_MS;
    if (d < 2) return d;
    return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 + 1));
}

/* ---------------------------------------------------------------------------------------------
 * Leasing. A due job is `queued` with run_at ≤ now, or `running` with an expired lease. */

#define DUE_WHERE "(state = 'queued' AND run_at <= ?) OR (state = 'running' AND leased_until < ?)"
#define LEASE_SELECT                                                                               \
    "SELECT id, kind, payload, attempts, max_attempts FROM jobs WHERE " DUE_WHERE                  \
    " ORDER BY run_at, id LIMIT 1"

/* A cheap read first, so an idle runner never takes the write lock. */
static int any_due(store *db, int64_t now)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id FROM jobs WHERE " DUE_WHERE " LIMIT 1", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, now);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : rc == STORE_ROW;
}

typedef struct leased {
    job j;
    char kind[64];
    int64_t lease; /* leased_until we wrote: proves the row is still ours when finishing */
    int expired;   /* a dead worker's lease with no attempt left */
} leased;

/* Inside the lease transaction: pick the row (locking it on PostgreSQL). 0 when none. */
static int pick(store *db, int64_t now, leased *out)
{
    store_stmt *st;
    const char *sql =
        store_kind_of(db) == STORE_POSTGRES ? LEASE_SELECT " FOR UPDATE SKIP LOCKED" : LEASE_SELECT;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, now);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        out->j.id = store_col_int(st, 0);
        snprintf(out->kind, sizeof out->kind, "%s", store_col_text(st, 1));
        out->j.kind = out->kind;
        out->j.payload = json_loads(store_col_text(st, 2), 0, NULL);
        out->j.attempt = (int)store_col_int(st, 3) + 1;
        out->j.max_attempts = (int)store_col_int(st, 4);
    }
    store_finish(st);
    return rc < 0 ? rc : rc == STORE_ROW;
}

static int mark_running(store *db, const leased *l, int64_t now)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                           "leased_until = ?, updated_at = ? WHERE id = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, l->lease);
    store_bind_int(st, 2, now);
    store_bind_int(st, 3, l->j.id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int mark_expired(store *db, int64_t id, int64_t now)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "UPDATE jobs SET state = 'failed', leased_until = NULL, "
                           "last_error = 'lease expired on the last attempt (worker lost)', "
                           "updated_at = ? WHERE id = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* queued|running(expired) → running, in one write transaction. 1 when a job was taken (and
 * maybe failed at once as expired), 0 when none was due. */
static int lease_next(store *db, leased *out)
{
    int64_t now = clock_now_ms();
    memset(out, 0, sizeof *out);
    int rc = store_begin_write(db);
    if (rc < 0) return rc;
    rc = pick(db, now, out);
    if (rc == 1) {
        out->expired = out->j.attempt > out->j.max_attempts;
        out->lease = now + JOBS_LEASE_MS;
        rc = out->expired ? mark_expired(db, out->j.id, now) : mark_running(db, out, now);
        if (rc == 0) rc = 1;
    }
    if (rc >= 0 && store_commit(db) < 0) rc = SN_EDB;
    if (rc < 0) {
        store_rollback(db);
        json_decref(out->j.payload);
        out->j.payload = NULL;
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Finishing: running → done | queued (retry) | failed, only while the lease is still ours. */

static int permanent(int code)
{
    return code == SN_EINVALID || code == SN_ENOTFOUND || code == SN_ECONFLICT ||
           code == SN_EUNPROCESSABLE;
}

static int finish(jobs_runner *r, const leased *l, int rc, const sn_err *e)
{
    int64_t now = clock_now_ms(), run_at = now;
    const char *state = "done", *error = "";
    char msg[LAST_ERROR_MAX + 1];
    if (rc < 0) {
        snprintf(msg, sizeof msg, "%s", e->message[0] ? e->message : "failed");
        error = msg;
        int last = permanent(rc) || l->j.attempt >= l->j.max_attempts;
        state = last ? "failed" : "queued";
        if (!last) run_at = now + jobs_backoff_ms(r->cfg->job_backoff_base_ms, l->j.attempt);
        log_warn("job %" PRId64 " (%s) attempt %d/%d: %s%s", l->j.id, l->j.kind, l->j.attempt,
                 l->j.max_attempts, error, last ? "; giving up" : "");
    }
    /* last_error keeps the latest failure, also once a later attempt succeeded. */
    store_stmt *st;
    int s = store_prepare(r->db,
                          "UPDATE jobs SET state = ?, run_at = ?, leased_until = NULL, "
                          "last_error = CASE WHEN ? = '' THEN last_error ELSE ? END, "
                          "updated_at = ? WHERE id = ? AND state = 'running' AND "
                          "leased_until = ?",
                          &st);
    if (s < 0) return s;
    store_bind_text(st, 1, state);
    store_bind_int(st, 2, run_at);
    store_bind_text(st, 3, error);
    store_bind_text(st, 4, error);
    store_bind_int(st, 5, now);
    store_bind_int(st, 6, l->j.id);
    store_bind_int(st, 7, l->lease);
    s = store_step(st);
    if (s == STORE_DONE && store_changes(st) == 0)
        log_warn("job %" PRId64 ": lease lost before it finished", l->j.id);
    store_finish(st);
    return s < 0 ? s : 0;
}

static int run_job(jobs_runner *r, const leased *l, sn_err *e)
{
    job_handler run = handler_of(l->j.kind);
    if (!run) return sn_fail(e, SN_EINVALID, NULL, "unknown job kind '%s'", l->j.kind);
    if (!json_is_object(l->j.payload))
        return sn_fail(e, SN_EINVALID, NULL, "the job's payload is not a JSON object");
    job_ctx ctx = {r->db, r->cfg, &r->stopping};
    return run(&ctx, &l->j, e);
}

/* Take and run one job: 1 when one was taken, 0 when none is due, < 0 on a storage error. */
static int run_one(jobs_runner *r)
{
    int rc = any_due(r->db, clock_now_ms());
    if (rc <= 0) return rc;
    leased l;
    if ((rc = lease_next(r->db, &l)) <= 0 || l.expired) {
        json_decref(l.j.payload);
        return rc;
    }
    sn_err e;
    sn_err_clear(&e);
    rc = run_job(r, &l, &e);
    json_decref(l.j.payload);
    return finish(r, &l, rc, &e) < 0 ? SN_EDB : 1;
}

/* ---------------------------------------------------------------------------------------------
 * The thread. */

static int open_db(jobs_runner *r, sn_err *e)
{
    store_options opt = {r->cfg->sqlite_synchronous, 10000};
    return store_open(r->cfg->db, &opt, &r->db, e);
}

/* After repeated storage errors, start over with a new connection (PostgreSQL restarted…). */
static void on_error(jobs_runner *r)
{
    if (++r->errors < REOPEN_AFTER_ERRORS) return;
    sn_err e;
    log_warn("jobs: %d storage errors in a row (%s); reconnecting", r->errors,
             r->db ? store_errmsg(r->db) : "no connection");
    if (r->db) store_close(r->db);
    r->db = NULL;
    if (open_db(r, &e) < 0) log_error("jobs: cannot reconnect: %s", e.message);
    r->errors = 0;
}

static void idle(jobs_runner *r, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += (long)ms * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&r->lock);
    while (!atomic_load(&r->stopping))
        if (pthread_cond_timedwait(&r->wake, &r->lock, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&r->lock);
}

/* Housekeeping the runner does between jobs, each at its own interval. */
static int sweep_solved(store *db)
{
    int closed = 0;
    int rc = conv_close_sweep(db, clock_now_ms(), &closed);
    if (rc == 0 && closed) log_info("closed %d solved conversations", closed);
    return rc;
}

static int (*const periodic[])(store *db) = {
    sweep_solved, /* solved → closed after close_after_days (settings) */
};

static void run_periodic(jobs_runner *r)
{
    static __thread int64_t last[sizeof periodic / sizeof periodic[0]];
    int64_t now = clock_now_ms(), every = (int64_t)r->cfg->housekeeping_seconds * 1000;
    for (size_t i = 0; r->db && i < sizeof periodic / sizeof periodic[0]; i++) {
        if (now - last[i] < every) continue;
        last[i] = now;
        if (periodic[i](r->db) < 0) log_warn("housekeeping task %zu failed", i);
    }
}

static void *runner_main(void *arg)
{
    jobs_runner *r = arg;
    while (!atomic_load(&r->stopping)) {
        run_periodic(r);
        int rc = r->db ? run_one(r) : SN_EUNAVAILABLE;
        if (rc == 1) {
            r->errors = 0;
            continue;
        }
        if (rc < 0) on_error(r);
        idle(r, JOBS_IDLE_MS);
    }
    return NULL;
}

int jobs_start(const config *cfg, jobs_runner **out, sn_err *e)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot initialise libcurl");
    jobs_runner *r = calloc(1, sizeof *r);
    if (!r) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    r->cfg = cfg;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &ca);
    pthread_condattr_destroy(&ca);
    int rc = open_db(r, e);
    if (rc == 0 && pthread_create(&r->thread, NULL, runner_main, r) != 0)
        rc = sn_fail(e, SN_EINTERNAL, NULL, "cannot start the jobs thread");
    if (rc < 0) {
        if (r->db) store_close(r->db);
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void jobs_stop(jobs_runner *r)
{
    if (!r) return;
    pthread_mutex_lock(&r->lock);
    atomic_store(&r->stopping, 1);
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    if (r->db) store_close(r->db);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
    curl_global_cleanup();
}
