/* committer.c — the group-commit thread, and on SQLite the sync thread (see committer.h for the
 * life cycle). */
#include "committer.h"

#include "../core/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct unit {
    committer_fn fn;
    void *arg;
    sn_err *e;
    int rc;
    int done;
    /* committer_submit: called once the group is over; the unit is then freed here. NULL for
     * committer_run, whose unit lives on the waiter's stack. */
    committer_done_fn on_done;
    void *done_arg;
    struct unit *next;
} unit;

/* A committed group waiting for the sync thread to make it durable. */
typedef struct group {
    unit *units;
    void *events; /* hooks.group_take's, published once durable */
    struct group *next;
} group;

struct committer {
    store *db;
    committer_hooks hooks;
    int max_batch;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* work queued, or stopping */
    pthread_cond_t done;  /* a group finished */
    unit *head, *tail;
    int stopping;

    /* Pipelining (SQLite at synchronous FULL): the connection commits with synchronous=NORMAL,
     * which writes the log without syncing it, and the sync thread fdatasync()s the log —
     * covering every group written before — before any unit of those groups is answered. The
     * next group runs meanwhile. */
    int pipelined;
    int wal_fd;
    pthread_t syncer;
    pthread_mutex_t sync_lock;
    pthread_cond_t sync_wake;
    group *sync_head, *sync_tail;
    int sync_stopping;
};

static void hook(void (*fn)(void))
{
    if (fn) fn();
}

/* Take up to max_batch queued units (in order). */
static unit *take_batch(committer *c)
{
    unit *first = c->head, *last = first;
    for (int n = 1; last && last->next && n < c->max_batch; n++) last = last->next;
    if (!first) return NULL;
    c->head = last->next;
    if (!c->head) c->tail = NULL;
    last->next = NULL;
    return first;
}

/* Run one unit under a savepoint; on failure roll back just that unit. */
static void run_unit(committer *c, unit *u)
{
    hook(c->hooks.unit_begin);
    if (store_exec(c->db, "SAVEPOINT unit") < 0) {
        u->rc = sn_fail(u->e, SN_EDB, NULL, "cannot store now");
        return;
    }
    u->rc = u->fn(c->db, u->arg, u->e);
    if (u->rc == SN_ECONFLICT) {
        /* A unique key another writer took meanwhile (several committers on PostgreSQL): once
         * its transaction is over the row is visible, so running the unit again finds it. */
        store_exec(c->db, "ROLLBACK TO SAVEPOINT unit");
        hook(c->hooks.unit_abort);
        hook(c->hooks.unit_begin);
        u->rc = u->fn(c->db, u->arg, u->e);
    }
    if (u->rc < 0) {
        store_exec(c->db, "ROLLBACK TO SAVEPOINT unit");
        hook(c->hooks.unit_abort);
    }
    store_exec(c->db, "RELEASE SAVEPOINT unit");
}

/* Run every unit of the batch without savepoints — units rarely fail, and two statements per
 * unit are saved. Returns 0, or -1 after rolling the whole transaction back when one failed
 * (the batch then runs again with a savepoint each). */
static int run_optimistic(committer *c, unit *batch)
{
    for (unit *u = batch; u; u = u->next) {
        hook(c->hooks.unit_begin);
        u->rc = u->fn(c->db, u->arg, u->e);
        if (u->rc < 0) {
            store_rollback(c->db);
            hook(c->hooks.group_abort);
            for (unit *v = batch; v; v = v->next) v->rc = 0;
            return -1;
        }
    }
    return 0;
}

/* One transaction for the batch; 0 when it committed. */
static int run_group(committer *c, unit *batch)
{
    int ok = store_begin_write(c->db) == 0;
    if (ok && run_optimistic(c, batch) < 0) {
        ok = store_begin_write(c->db) == 0;
        for (unit *u = batch; ok && u; u = u->next) run_unit(c, u);
    }
    if (ok && store_commit(c->db) == 0) return 0;
    if (ok) store_rollback(c->db);
    hook(c->hooks.group_abort);
    log_error("group commit failed: %s", store_errmsg(c->db));
    for (unit *u = batch; u; u = u->next)
        if (u->rc == 0) u->rc = sn_fail(u->e, SN_EDB, NULL, "cannot store now");
    return -1;
}

/* Answer every unit of a finished batch: wake the waiters of committer_run, call the
 * callbacks of committer_submit. */
static void finish_batch(committer *c, unit *batch)
{
    unit *async = NULL, **tail = &async;
    pthread_mutex_lock(&c->lock);
    for (unit *u = batch, *next; u; u = next) {
        next = u->next;
        if (u->on_done) {
            *tail = u;
            tail = &u->next;
            continue;
        }
        u->done = 1; /* u lives on its waiter's stack: do not touch it after this */
    }
    *tail = NULL;
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->lock);
    for (unit *u = async, *next; u; u = next) {
        next = u->next;
        u->on_done(u->done_arg, u->rc);
        free(u);
    }
}

/* Hand a committed group to the sync thread. */
static void sync_enqueue(committer *c, unit *batch)
{
    group *g = malloc(sizeof *g);
    if (!g) { /* no memory for the hand-over: sync here */
        int synced = fdatasync(c->wal_fd) == 0;
        if (!synced) log_error("group commit: fdatasync of the write-ahead log failed");
        for (unit *u = batch; !synced && u; u = u->next)
            if (u->rc == 0) u->rc = sn_fail(u->e, SN_EDB, NULL, "cannot store now");
        hook(c->hooks.group_commit);
        finish_batch(c, batch);
        return;
    }
    g->units = batch;
    g->events = c->hooks.group_take ? c->hooks.group_take() : NULL;
    g->next = NULL;
    pthread_mutex_lock(&c->sync_lock);
    if (c->sync_tail)
        c->sync_tail->next = g;
    else
        c->sync_head = g;
    c->sync_tail = g;
    pthread_cond_signal(&c->sync_wake);
    pthread_mutex_unlock(&c->sync_lock);
}

/* The sync thread: one fdatasync for every group committed since the last one, then answer
 * them. A failed sync leaves the groups' durability unknown: their units fail (503). */
static void *syncer_main(void *arg)
{
    committer *c = arg;
    pthread_mutex_lock(&c->sync_lock);
    for (;;) {
        while (!c->sync_head && !c->sync_stopping) pthread_cond_wait(&c->sync_wake, &c->sync_lock);
        if (!c->sync_head) break;
        group *list = c->sync_head;
        c->sync_head = c->sync_tail = NULL;
        pthread_mutex_unlock(&c->sync_lock);
        int ok = fdatasync(c->wal_fd) == 0;
        if (!ok) log_error("group commit: fdatasync of the write-ahead log failed");
        for (group *g = list, *next; g; g = next) {
            next = g->next;
            if (c->hooks.group_publish)
                c->hooks.group_publish(g->events);
            else
                hook(c->hooks.group_commit);
            for (unit *u = g->units; !ok && u; u = u->next)
                if (u->rc == 0) u->rc = sn_fail(u->e, SN_EDB, NULL, "cannot store now");
            finish_batch(c, g->units);
            free(g);
        }
        pthread_mutex_lock(&c->sync_lock);
    }
    pthread_mutex_unlock(&c->sync_lock);
    return NULL;
}

static void *committer_main(void *arg)
{
    committer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->head && !c->stopping) pthread_cond_wait(&c->wake, &c->lock);
        if (!c->head && c->stopping) break;
        unit *batch = take_batch(c);
        pthread_mutex_unlock(&c->lock);
        int committed = run_group(c, batch) == 0;
        if (committed && c->pipelined) {
            sync_enqueue(c, batch);
        } else {
            if (committed) hook(c->hooks.group_commit);
            finish_batch(c, batch);
        }
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Pipelining needs SQLite asked for synchronous FULL (or EXTRA) and a descriptor on its log:
 * the connection then commits at NORMAL and the sync thread supplies the sync. */
static void start_pipeline(committer *c, const store_options *opt)
{
    const char *sync = opt && opt->sqlite_synchronous ? opt->sqlite_synchronous : "FULL";
    c->wal_fd = -1;
    if (store_kind_of(c->db) != STORE_SQLITE || !c->hooks.group_take != !c->hooks.group_publish ||
        (strcasecmp(sync, "FULL") && strcasecmp(sync, "EXTRA")))
        return;
    if ((c->wal_fd = store_wal_open(c->db)) < 0) return;
    pthread_mutex_init(&c->sync_lock, NULL);
    pthread_cond_init(&c->sync_wake, NULL);
    if (store_exec(c->db, "PRAGMA synchronous=NORMAL") < 0 ||
        pthread_create(&c->syncer, NULL, syncer_main, c) != 0) {
        store_exec(c->db, "PRAGMA synchronous=FULL");
        close(c->wal_fd);
        c->wal_fd = -1;
        return;
    }
    c->pipelined = 1;
}

int committer_start(const char *url, const store_options *opt, const committer_hooks *hooks,
                    int max_batch, committer **out, sn_err *e)
{
    committer *c = calloc(1, sizeof *c);
    if (!c) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    int rc = store_open(url, opt, &c->db, e);
    if (rc < 0) {
        free(c);
        return rc;
    }
    if (hooks) c->hooks = *hooks;
    c->max_batch = max_batch > 0 ? max_batch : 256;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    pthread_cond_init(&c->done, NULL);
    start_pipeline(c, opt);
    if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
        c->stopping = 1;
        committer_stop(c);
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot start the committer thread");
    }
    *out = c;
    return 0;
}

void committer_stop(committer *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    int running = !c->stopping;
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    if (running) pthread_join(c->thread, NULL);
    if (c->pipelined) {
        pthread_mutex_lock(&c->sync_lock);
        c->sync_stopping = 1;
        pthread_cond_signal(&c->sync_wake);
        pthread_mutex_unlock(&c->sync_lock);
        pthread_join(c->syncer, NULL);
        /* Closing may checkpoint: at FULL again, as every other connection. */
        store_exec(c->db, "PRAGMA synchronous=FULL");
        pthread_mutex_destroy(&c->sync_lock);
        pthread_cond_destroy(&c->sync_wake);
    }
    if (c->wal_fd >= 0) close(c->wal_fd);
    store_close(c->db);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    pthread_cond_destroy(&c->done);
    free(c);
}

/* Append u to the queue (c->lock held); SN_EUNAVAILABLE once stopping. */
static int enqueue(committer *c, unit *u)
{
    if (c->stopping) return SN_EUNAVAILABLE;
    if (c->tail)
        c->tail->next = u;
    else
        c->head = u;
    c->tail = u;
    pthread_cond_signal(&c->wake);
    return 0;
}

int committer_run(committer *c, committer_fn fn, void *arg, sn_err *e)
{
    unit u = {fn, arg, e, 0, 0, NULL, NULL, NULL};
    pthread_mutex_lock(&c->lock);
    if (enqueue(c, &u) < 0) {
        pthread_mutex_unlock(&c->lock);
        return sn_fail(e, SN_EUNAVAILABLE, NULL, "shutting down");
    }
    while (!u.done) pthread_cond_wait(&c->done, &c->lock);
    pthread_mutex_unlock(&c->lock);
    return u.rc;
}

int committer_submit(committer *c, committer_fn fn, void *arg, sn_err *e, committer_done_fn done,
                     void *done_arg)
{
    unit *u = calloc(1, sizeof *u);
    if (!u) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    *u = (unit){fn, arg, e, 0, 0, done, done_arg, NULL};
    pthread_mutex_lock(&c->lock);
    int rc = enqueue(c, u);
    pthread_mutex_unlock(&c->lock);
    if (rc < 0) {
        free(u);
        return sn_fail(e, SN_EUNAVAILABLE, NULL, "shutting down");
    }
    return 0;
}
