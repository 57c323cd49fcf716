/* committer.h — group commit: concurrent writers share one transaction, so one fsync makes
 * many requests durable.
 *
 * A committer owns one connection and one thread. committer_run() queues a unit of work and
 * blocks until the group transaction holding it has committed (or failed). The thread takes
 * everything queued (up to a batch limit), opens one write transaction, runs each unit under
 * its own SAVEPOINT — a unit that fails is rolled back alone and reports its own error — then
 * commits once and wakes every waiter. A unit's answer is therefore sent only after its data
 * is on disk, as durable as a commit of its own.
 *
 *     queued ──(thread takes the batch)──> running under SAVEPOINT ──COMMIT──> done
 *                                                   └──ROLLBACK TO──> failed (alone)
 *
 * Units first run without savepoints (they rarely fail); when one fails the transaction is
 * rolled back and the batch runs again with a SAVEPOINT per unit, as above.
 *
 * Pipelining (SQLite asked for synchronous=FULL): the committer's connection commits at
 * synchronous=NORMAL, which writes the group to the write-ahead log without waiting for the
 * disk, and a second thread calls fdatasync() on the log — one call covers every group written
 * before it — and only then answers the group's units and publishes its events. The next group
 * runs while the previous one is being synced. A unit is still answered, and its events told,
 * only once its commit is on disk. What differs from a FULL commit: for the fraction of a
 * millisecond until the sync returns, another connection can already read the group; were the
 * machine to lose power in that window, rows someone read but that no client was told were
 * stored would be gone. Any other connection's FULL commit syncs the same log, so nothing it
 * stores can outlive a group it depends on. Checkpoints at NORMAL still sync
 * the log before and the database after, and the connection returns to FULL before it closes.
 *
 * The store knows no business: units are callbacks. `after_commit` (optional) runs on the
 * committer thread once per committed unit (e.g. to publish that unit's events). */
#ifndef SANAD_COMMITTER_H
#define SANAD_COMMITTER_H

#include "store.h"

typedef struct committer committer;

/* Runs inside the group transaction; returns 0 or a negative SN_E* code with e filled. */
typedef int (*committer_fn)(store *db, void *arg, sn_err *e);

typedef struct committer_hooks {
    /* Before each unit: remember where this unit's side effects start. */
    void (*unit_begin)(void);
    /* After a unit was rolled back: drop its side effects. */
    void (*unit_abort)(void);
    /* After the group committed / failed as a whole. */
    void (*group_commit)(void);
    void (*group_abort)(void);
    /* When the group is made durable on the sync thread (SQLite, pipelined): take the group's
     * side effects on the committer thread after COMMIT, and publish them on the sync thread
     * once durable. Both or neither; without them group_commit runs on the sync thread. */
    void *(*group_take)(void);
    void (*group_publish)(void *taken);
} committer_hooks;

int committer_start(const char *url, const store_options *opt, const committer_hooks *hooks,
                     int max_batch, committer **out, sn_err *e);
/* Finish what is queued, then stop the thread and close its connection. */
void committer_stop(committer *c);
/* Run fn(arg) in the next group; returns fn's result, or SN_EDB when the group failed. */
int committer_run(committer *c, committer_fn fn, void *arg, sn_err *e);

/* Called on the committer thread once the group holding a submitted unit is over: rc is what
 * committer_run would have returned (0: committed and durable). Must not block. */
typedef void (*committer_done_fn)(void *done_arg, int rc);
/* Queue fn(arg) for the next group and return at once (the caller's thread is free meanwhile);
 * done(done_arg, rc) follows. fn's arg and e must stay valid until then. Returns 0, or a
 * negative SN_E* code (shutting down, out of memory) when nothing was queued and done will
 * not be called. */
int committer_submit(committer *c, committer_fn fn, void *arg, sn_err *e, committer_done_fn done,
                     void *done_arg);

#endif
