/* events.h — what happened, told to whoever listens: webhooks (a durable job per subscribed
 * webhook, written in the same transaction as the change) and in-process listeners (the live
 * hub), which hear of an event only after it is committed (events_flush).
 *
 * Event types: conversation.created, conversation.updated, contact.joined, message.created,
 * escalation.created, escalation.updated. */
#ifndef SANAD_EVENTS_H
#define SANAD_EVENTS_H

#include "domain.h"

#include <jansson.h>

/* Queue `type` about a conversation (contact_id 0 when none) inside the caller's transaction. */
int events_emit_conversation(store *db, const char *type, int64_t conversation_id,
                             int64_t contact_id);
/* Same with an arbitrary JSON payload (consumed). */
int events_emit(store *db, const char *type, json_t *data);

/* In-process listener (one), called from the thread that committed. */
typedef void (*events_listener_fn)(const char *type, json_t *data, void *arg);
void events_set_listener(events_listener_fn fn, void *arg);
/* Deliver this thread's events of the last committed transaction to the listener; drop them
 * after a rollback (events_discard). */
void events_flush(void);
void events_discard(void);
/* For group commit: mark where one unit's events start, and drop them if it rolls back. */
void events_unit_begin(void);
void events_unit_abort(void);
/* For a committer that makes a group durable on another thread: take this thread's events of
 * the committed group (NULL when none), and deliver them later, from any thread, once the group
 * is durable (events_publish consumes what events_take gave). */
void *events_take(void);
void events_publish(void *taken);

#endif
