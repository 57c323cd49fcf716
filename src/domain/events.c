/* events.c — webhook jobs per event, and the per-thread list of committed events. */
#include "events.h"

#include "../core/clock.h"
#include "../core/crypto.h"

#include <stdlib.h>
#include <string.h>

static events_listener_fn listener;
static void *listener_arg;

/* Events of the current transaction of this thread, delivered by events_flush. */
static __thread json_t *pending;
static __thread size_t unit_mark;

void events_set_listener(events_listener_fn fn, void *arg)
{
    listener = fn;
    listener_arg = arg;
}

/* One job per enabled webhook subscribed to `type`. The delivery id stays the same across
 * the job's retries. */
static int queue_webhooks(store *db, const char *type, json_t *body)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, events FROM webhooks WHERE enabled = 1", &st);
    if (rc < 0) return rc;
    int64_t ids[64];
    int n = 0;
    while ((rc = store_step(st)) == STORE_ROW && n < 64) {
        json_t *events = json_loads(store_col_text(st, 1), 0, NULL);
        size_t i;
        json_t *ev;
        json_array_foreach(events, i, ev) if (!strcmp(json_string_value(ev), type) ||
                                              !strcmp(json_string_value(ev), "*")) {
            ids[n++] = store_col_int(st, 0);
            break;
        }
        json_decref(events);
    }
    store_finish(st);
    if (rc < 0) return rc;
    int64_t now = clock_now_ms();
    for (int i = 0; i < n; i++) {
        char delivery[32];
        crypto_token(delivery, sizeof delivery, 16);
        json_t *payload = json_pack("{s:I, s:s, s:O}", "webhook_id", (json_int_t)ids[i],
                                    "delivery_id", delivery, "body", body);
        char *text = json_dumps(payload, JSON_COMPACT);
        json_decref(payload);
        if (!text) return SN_EINTERNAL;
        if ((rc = store_prepare(db, "INSERT INTO jobs (kind, payload, run_at, created_at, "
                                    "updated_at) VALUES ('webhook', ?, ?, ?, ?)", &st)) == 0) {
            store_bind_text(st, 1, text);
            store_bind_int(st, 2, now);
            store_bind_int(st, 3, now);
            store_bind_int(st, 4, now);
            rc = store_step(st);
            store_finish(st);
        }
        free(text);
        if (rc < 0) return rc;
    }
    return 0;
}

int events_emit(store *db, const char *type, json_t *data)
{
    char iso[32];
    clock_iso8601(clock_now_ms(), iso, sizeof iso);
    json_t *body = json_pack("{s:s, s:s, s:o}", "event", type, "occurred_at", iso, "data", data);
    int rc = body ? queue_webhooks(db, type, body) : SN_EINTERNAL;
    if (rc == 0 && listener) {
        if (!pending) pending = json_array();
        json_array_append(pending, body);
    }
    json_decref(body);
    return rc;
}

int events_emit_conversation(store *db, const char *type, int64_t conversation_id,
                             int64_t contact_id)
{
    json_t *data = json_pack("{s:I}", "conversation_id", (json_int_t)conversation_id);
    if (contact_id) json_object_set_new(data, "contact_id", json_integer(contact_id));
    return events_emit(db, type, data);
}

void events_flush(void)
{
    if (!pending) return;
    json_t *list = pending;
    pending = NULL;
    size_t i;
    json_t *ev;
    json_array_foreach(list, i, ev) if (listener)
        listener(json_string_value(json_object_get(ev, "event")), json_object_get(ev, "data"),
                 listener_arg);
    json_decref(list);
}

void events_discard(void)
{
    json_decref(pending);
    pending = NULL;
}

void events_unit_begin(void)
{
    unit_mark = pending ? json_array_size(pending) : 0;
}

void events_unit_abort(void)
{
    while (pending && json_array_size(pending) > unit_mark)
        json_array_remove(pending, json_array_size(pending) - 1);
}
