/* template.h — approved reply templates: the unified texts of every channel.
 *
 *   template_save (new or edited) ──> draft ──template_approve──> approved ──retire──> retired
 *   editing an approved template puts it back to draft (it needs approval again).
 *
 * Bodies exist in Arabic and English; variants (x, sms) are shorter texts for those channels.
 * Placeholders are Mustache variables from a fixed list (customer.name, conversation.number,
 * agent.name, …); a placeholder without a value is an error, never an empty hole. Only approved
 * templates render for sending (else SN_ECONFLICT); each render counts a use. */
#ifndef SANAD_TEMPLATE_H
#define SANAD_TEMPLATE_H

#include "domain.h"

#include <jansson.h>

#define TEMPLATE_AFTER_HOURS "after_hours"

/* Create (code new) or update (code given in `code_in_path`) from the API shape. */
int template_save(store *db, const actor *who, const char *code_in_path, json_t *body,
                  json_t **out, sn_err *e);
int template_approve(store *db, const actor *who, const char *code, json_t **out, sn_err *e);
int template_get_json(store *db, const char *code, json_t **out, sn_err *e);
/* state: "" for all. */
int template_list_json(store *db, const char *state, json_t **out, sn_err *e);
/* Render an approved template for a channel ("x" and "sms" use their variant when present)
 * and language; *text is malloc'd. Counts a use. */
int template_render(store *db, const char *code, const char *lang, const char *channel,
                    json_t *ctx, char **text, sn_err *e);
/* When `at` is outside the default calendar's hours and an approved after-hours template
 * exists, add it to the conversation as an automatic reply (queued for delivery). */
int template_after_hours(store *db, int64_t conversation_id, int channel, int64_t at);

#endif
