/* outbox.c — a delivery row and a job for each outbound message of a channel with a deliverer. */
#include "outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum { EMAIL_MAX_ATTEMPTS = 8 };

static int insert_delivery(store *db, int64_t message_id, int64_t now)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "INSERT INTO mail_outbound (message_row, created_at, updated_at) "
                           "VALUES (?, ?, ?) ON CONFLICT (message_row) DO NOTHING",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, message_id);
    store_bind_int(st, 2, now);
    store_bind_int(st, 3, now);
    rc = store_step(st);
    int64_t added = rc == STORE_DONE ? store_changes(st) : 0;
    store_finish(st);
    return rc < 0 ? rc : (int)added;
}

int outbox_enqueue(store *db, int64_t message_id, const char *channel, int64_t now)
{
    if (!channel || strcmp(channel, "email") != 0) return 0;
    int rc = insert_delivery(db, message_id, now);
    if (rc <= 0) return rc; /* already handed over: one job per message */
    char payload[64];
    snprintf(payload, sizeof payload, "{\"message_id\":%" PRId64 "}", message_id);
    store_stmt *st;
    if ((rc = store_prepare(db,
                            "INSERT INTO jobs (kind, payload, run_at, max_attempts, created_at, "
                            "updated_at) VALUES ('email', ?, ?, ?, ?, ?)",
                            &st)) < 0)
        return rc;
    store_bind_text(st, 1, payload);
    store_bind_int(st, 2, now);
    store_bind_int(st, 3, EMAIL_MAX_ATTEMPTS);
    store_bind_int(st, 4, now);
    store_bind_int(st, 5, now);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int outbox_enqueue_to(store *db, int64_t message_id, const char *channel, const char *to_addr,
                      int64_t now)
{
    int rc = outbox_enqueue(db, message_id, channel, now);
    if (rc < 0 || !to_addr || !*to_addr || strcmp(channel, "email") != 0) return rc;
    store_stmt *st;
    if ((rc = store_prepare(db, "UPDATE mail_outbound SET to_addr = ? WHERE message_row = ?",
                            &st)) < 0)
        return rc;
    store_bind_text(st, 1, to_addr);
    store_bind_int(st, 2, message_id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}
