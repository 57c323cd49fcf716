/* committer.c — the group-commit thread (see committer.h for the life cycle). */
#include "committer.h"

#include "../core/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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

static void run_group(committer *c, unit *batch)
{
    int ok = store_begin_write(c->db) == 0;
    for (unit *u = batch; ok && u; u = u->next) run_unit(c, u);
    if (ok && store_commit(c->db) == 0) {
        hook(c->hooks.group_commit);
        return;
    }
    if (ok) store_rollback(c->db);
    hook(c->hooks.group_abort);
    log_error("group commit failed: %s", store_errmsg(c->db));
    for (unit *u = batch; u; u = u->next)
        if (u->rc == 0) u->rc = sn_fail(u->e, SN_EDB, NULL, "cannot store now");
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
        run_group(c, batch);
        /* Split off the submitted units before waking the waiters of the others. */
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
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
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
    if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
        store_close(c->db);
        free(c);
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot start the committer thread");
    }
    *out = c;
    return 0;
}

void committer_stop(committer *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
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
