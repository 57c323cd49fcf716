/* trigger.h — admin-defined rules that act on a conversation when something happens to it.
 *
 * Owns: the trigger definition (its JSON shape, validated on save), storing it (table
 * `triggers`, audited), and running the enabled triggers of an event inside the caller's
 * transaction. Does not own: the changes themselves — actions go through the conversation,
 * escalation and template modules' in-transaction functions, so each leaves the same timeline
 * rows as when an agent does it.
 *
 * Definition (API shape; name, position and enabled are columns, the rest is `definition`):
 *   {"name", "position"?: int (default: after the last), "enabled"?: bool (default true),
 *    "event": "contact.created" | "conversation.created" | "conversation.updated",
 *    "conditions"?: {"all"?: [cond…], "any"?: [cond…]},
 *    "actions": [action…] (1 to 20)}
 *   cond   = {"field", "op", "value"}:
 *     channel | priority | status | service_line   is | is_not (string), in ([string…])
 *     text                                          contains (string; Arabic-normalised
 *                                                   subject + the customer's message)
 *     customer_verified | business_hours            is | is_not (boolean)
 *   action = {"type":"assign_agent","user_id"} | {"type":"assign_queue","service_line"} |
 *            {"type":"set_priority","priority"} | {"type":"add_tag","tag"} |
 *            {"type":"send_template","template","lang"?} | {"type":"escalate","department","note"?}
 * A trigger matches when every "all" condition holds and, if "any" is not empty, one of "any"
 * does. Anything unknown or missing in the definition, and codes that do not exist (service
 * line, template, department, active user), are SN_EUNPROCESSABLE with `field` naming the part
 * (e.g. "conditions.all[1].op", "actions[0].template").
 *
 * Events: the intake of a contact (conversation.c) runs "conversation.created" when it opened
 * a conversation, then "contact.created" for every contact, before routing; conv_update runs
 * "conversation.updated" after an agent's change, before it commits. Conditions see the
 * contact's channel and message (conversation.updated: the conversation's channel and latest
 * inbound message), and business hours at the contact's time on calendar "default".
 *
 * Running (trigger_run): the enabled triggers of the event, in (position, id) order, are
 * evaluated against the conversation as it is now; a match applies its actions at once and
 * writes a conversation_events row (kind "trigger", detail {"trigger_id","name","event",
 * "actions"}). Passes repeat while something fired, so a trigger whose conditions an earlier
 * one made true still fires — but each trigger fires at most once per run and a run fires at
 * most TRIGGER_MAX_FIRINGS times. Actions never start another run (a per-thread guard), so a
 * trigger's change is not a "conversation.updated" event. An action that cannot apply (a
 * template not approved any more, a disabled user, a closed conversation) is skipped and named
 * in the row's detail ("skipped": reason); it never fails the caller. The enabled triggers are
 * cached per thread like the other settings (settings.h): a change made through this process
 * applies to the next contact, one made through another node within SETTINGS_CACHE_MS. */
#ifndef SANAD_TRIGGER_H
#define SANAD_TRIGGER_H

#include "domain.h"

#include <jansson.h>

#define TRIGGER_MAX_FIRINGS 50
#define TRIGGER_MAX_ACTIONS 20
#define TRIGGER_MAX_CONDITIONS 50

/* Create from the API shape; *out is the stored trigger as JSON (caller decrefs). Audited as
 * trigger.create. */
int trigger_create(store *db, const actor *who, json_t *body, json_t **out, sn_err *e);
/* Change the fields present in `patch` (the rest is kept), re-validating the whole definition.
 * Audited as trigger.update. SN_ENOTFOUND when there is no such trigger. */
int trigger_update(store *db, const actor *who, int64_t id, json_t *patch, json_t **out, sn_err *e);
/* Audited as trigger.delete. SN_ENOTFOUND when there is no such trigger. */
int trigger_delete(store *db, const actor *who, int64_t id, sn_err *e);
int trigger_get_json(store *db, int64_t id, json_t **out, sn_err *e);
/* All triggers as a JSON array, by position then id. */
int trigger_list_json(store *db, json_t **out, sn_err *e);

/* Run the enabled triggers of `event` on a conversation (contact_id 0 when the event has no
 * contact), inside the caller's write transaction. Returns 0, or a negative SN_E* code on a
 * storage failure (the caller rolls back). Returns 0 at once when called from a trigger's own
 * action. */
int trigger_run(store *db, const char *event, int64_t conversation_id, int64_t contact_id);

#endif
