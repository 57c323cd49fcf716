/* routing.h — who answers a new conversation.
 *
 * A queue is a service line (× channel where configured) with a policy: manual (agents pick),
 * round_robin (next online agent with the skill and spare capacity, in turn) or least_open (the
 * one with the fewest open conversations). Without an eligible agent the conversation waits
 * unassigned; an agent coming online takes waiting conversations up to their capacity. */
#ifndef SANAD_ROUTING_H
#define SANAD_ROUTING_H

#include "domain.h"

#include <jansson.h>

/* Assign an unassigned conversation by its queue's policy (inside the caller's transaction). */
int routing_assign(store *db, int64_t conversation_id);
/* Set an agent's availability (online | away | offline); online pulls waiting work. */
int routing_set_availability(store *db, const actor *who, int64_t user_id, const char *availability,
                             sn_err *e);

/* Queues: {"id","service_line","channel","policy"}. */
int queue_save(store *db, const actor *who, int64_t id, json_t *body, json_t **out, sn_err *e);
int queue_list_json(store *db, json_t **out, sn_err *e);

#endif
