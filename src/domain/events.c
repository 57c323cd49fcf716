/* events.c — webhook jobs per event, and the per-thread list of committed events. */
#include "events.h"

#include "settings.h"

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

/* The enabled webhooks and their event lists, cached per thread (settings.h): webhook changes
 * call settings_changed(). */
#define HOOK_CACHE 1024
static __thread struct {
    int n;
    int64_t ids[HOOK_CACHE];
    json_t *events[HOOK_CACHE];
    int64_t loaded_at, gen;
    int loaded;
} hooks;

static void hooks_free(void)
{
    for (int i = 0; i < hooks.n; i++) json_decref(hooks.events[i]);
    hooks.n = 0;
    hooks.loaded = 0;
}

static void pending_free(void)
{
    json_decref(pending);
    pending = NULL;
}

static int load_hooks(store *db)
{
    int64_t now = clock_now_ms();
    if (hooks.loaded && settings_fresh(hooks.loaded_at, hooks.gen, now)) return 0;
    hooks_free();
    settings_at_thread_exit(hooks_free);
    int64_t gen = settings_generation();
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, events FROM webhooks WHERE enabled = 1 ORDER BY id", &st);
    if (rc < 0) return rc;
    while ((rc = store_step(st)) == STORE_ROW && hooks.n < HOOK_CACHE) {
        hooks.ids[hooks.n] = store_col_int(st, 0);
        hooks.events[hooks.n] = json_loads(store_col_text(st, 1), 0, NULL);
        hooks.n++;
    }
    store_finish(st);
    if (rc < 0) return rc;
    hooks.loaded_at = now;
    hooks.gen = gen;
    hooks.loaded = 1;
    return 0;
}

static int subscribed(json_t *events, const char *type)
{
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        const char *name = json_string_value(ev);
        if (name && (!strcmp(name, type) || !strcmp(name, "*"))) return 1;
    }
    return 0;
}

static int insert_job(store *db, int64_t webhook, json_t *body, int64_t now)
{
    char delivery[32];
    crypto_token(delivery, sizeof delivery, 16);
    json_t *payload = json_pack("{s:I, s:s, s:O}", "webhook_id", (json_int_t)webhook,
                                "delivery_id", delivery, "body", body);
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    if (!text) return SN_EINTERNAL;
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO jobs (kind, payload, run_at, created_at, updated_at) "
                               "VALUES ('webhook', ?, ?, ?, ?)", &st);
    if (rc == 0) {
        store_bind_text(st, 1, text);
        store_bind_int(st, 2, now);
        store_bind_int(st, 3, now);
        store_bind_int(st, 4, now);
        rc = store_step(st);
        store_finish(st);
    }
    free(text);
    return rc < 0 ? rc : 0;
}

/* One job per enabled webhook subscribed to `type`, in the caller's transaction. The delivery
 * id stays the same across the job's retries. */
static int queue_webhooks(store *db, const char *type, json_t *body)
{
    int rc = load_hooks(db);
    int64_t now = clock_now_ms();
    for (int i = 0; rc == 0 && i < hooks.n; i++)
        if (subscribed(hooks.events[i], type)) rc = insert_job(db, hooks.ids[i], body, now);
    return rc;
}

int events_emit(store *db, const char *type, json_t *data)
{
    char iso[32];
    clock_iso8601(clock_now_ms(), iso, sizeof iso);
    json_t *body = json_pack("{s:s, s:s, s:o}", "event", type, "occurred_at", iso, "data", data);
    int rc = body ? queue_webhooks(db, type, body) : SN_EINTERNAL;
    if (rc == 0 && listener) {
        if (!pending) {
            pending = json_array();
            settings_at_thread_exit(pending_free);
        }
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
    events_publish(events_take());
}

void *events_take(void)
{
    json_t *list = pending;
    pending = NULL;
    return list;
}

void events_publish(void *taken)
{
    json_t *list = taken;
    if (!list) return;
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
