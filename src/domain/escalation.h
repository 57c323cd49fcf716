/* escalation.h — what the front line cannot answer goes to a back-office department.
 *
 *   escalation_create ──> open ──escalation_reply (department answers the agent)──> open
 *   open ──escalation_update(resolved)──> resolved
 *
 * Each escalation has its own SLA (the department's sla_minutes of business time on the default
 * calendar). Department staff see only their departments' escalations: another department's is
 * "not found". An escalated conversation is never resolved at first contact. */
#ifndef SANAD_ESCALATION_H
#define SANAD_ESCALATION_H

#include "domain.h"

#include <jansson.h>

int escalation_create(store *db, const actor *who, int64_t conversation_id, const char *department,
                      const char *note, json_t **out, sn_err *e);
/* The same inside the caller's transaction (audited, event queued); *id is the new one's. */
int escalation_create_in_tx(store *db, const actor *who, int64_t conversation_id,
                            const char *department, const char *note, int64_t now, int64_t *id,
                            sn_err *e);
int escalation_get_json(store *db, const actor *who, int64_t id, json_t **out, sn_err *e);
/* status: "" for all. */
int escalation_list_json(store *db, const actor *who, const char *status, int64_t after_id,
                         int limit, json_t **out, int *more, sn_err *e);
int escalation_reply(store *db, const actor *who, int64_t id, const char *body, json_t **out,
                     sn_err *e);
int escalation_set_status(store *db, const actor *who, int64_t id, const char *status,
                          json_t **out, sn_err *e);

#endif
