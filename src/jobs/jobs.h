/* jobs.h — the durable jobs runner: one background thread per `sanad serve` that takes due rows
 * of the `jobs` table one at a time and runs each through the handler of its kind.
 *
 * Owns the life cycle of a job row; does not own what a job does (the handlers do) nor who
 * queues it (the domain inserts rows inside its own transactions, so nothing accepted is lost).
 *
 * Job life cycle (the `state` column), each transition named after the function making it:
 *
 *     (insert by the domain)
 *            │
 *            v         lease_next                 finish (handler returned 0)
 *         queued ─────────────────> running ─────────────────────────────> done
 *            ^                       │   │
 *            │   finish (transient   │   │ finish (attempts = max_attempts, or a permanent error)
 *            │   error: run_at =     │   └──────────────────────────────────> failed
 *            └── now + backoff) ─────┘
 *
 *   A `running` row whose leased_until has passed belongs to a worker that died: lease_next takes
 *   it again like a due `queued` one (or fails it when it has no attempt left). attempts counts
 *   runs started, so a job that kills its worker cannot run forever.
 *
 * Several nodes may share one PostgreSQL: a row is leased with SELECT … FOR UPDATE SKIP LOCKED,
 * so exactly one node runs it; on SQLite (one process) BEGIN IMMEDIATE serialises the lease.
 * A handler may run again after a crash or an expired lease: it must be safe to repeat (webhooks
 * carry the same X-Sanad-Delivery id on every attempt so receivers can drop duplicates). */
#ifndef SANAD_JOBS_H
#define SANAD_JOBS_H

#include "../core/config.h"
#include "../store/store.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

/* How long a lease lasts: every handler must finish well within it. */
#define JOBS_LEASE_MS 60000
/* Idle poll interval. */
#define JOBS_IDLE_MS 200
/* The longest wait between two attempts, before jitter. */
#define JOBS_BACKOFF_MAX_MS 3600000

/* One leased job, as a handler sees it. Borrowed for the duration of the call. */
typedef struct job {
    int64_t id;
    const char *kind;
    json_t *payload;
    int attempt; /* 1 on the first run */
    int max_attempts;
} job;

/* What a handler may use. db is the runner's own connection, outside any transaction. */
typedef struct job_ctx {
    store *db;
    const config *cfg;
    const atomic_int *stopping; /* becomes 1 on shutdown: abandon long work */
} job_ctx;

/* A kind's handler. Returns 0 when the job is done; a negative SN_E* code with `e` filled
 * otherwise: SN_EINVALID, SN_ENOTFOUND, SN_ECONFLICT and SN_EUNPROCESSABLE mean it can never
 * succeed (the job fails at once); anything else is retried with backoff. */
typedef int (*job_handler)(const job_ctx *ctx, const job *j, sn_err *e);

/* The handlers, one file each. */
int job_webhook_deliver(const job_ctx *ctx, const job *j, sn_err *e);
/* Defined by the email channel (src/channels/email/deliver.c). */
int job_email_deliver(const job_ctx *ctx, const job *j, sn_err *e);
/* Notices outside any conversation (one-time codes), in deliver.c too. */
int job_email_notice(const job_ctx *ctx, const job *j, sn_err *e);
/* The SMS adapter (src/channels/sms/sms.c). */
int job_sms_deliver(const job_ctx *ctx, const job *j, sn_err *e);

typedef struct jobs_runner jobs_runner;

/* Open the runner's connection (cfg->db) and start its thread. cfg must outlive the runner.
 * Also initialises libcurl for the handlers, so call it before any other thread uses curl. */
int jobs_start(const config *cfg, jobs_runner **out, sn_err *e);
/* Ask the thread to stop, wait for it (an in-flight handler is told through ctx->stopping),
 * close its connection and free the runner. NULL is a no-op. */
void jobs_stop(jobs_runner *r);

/* The wait before the retry that follows `attempt` (1-based): base·2^(attempt-1) capped at
 * JOBS_BACKOFF_MAX_MS, then jittered into its upper half. */
int64_t jobs_backoff_ms(int64_t base_ms, int attempt);

#endif
