/* conversation.h — the case one or more contacts belong to, and its life cycle.
 *
 *   contact_receive ──> open ──conv_update(pending)──> pending ──(customer writes / agent)──> open
 *   open|pending ──conv_update(solved)──> solved ──(contact within reopen_days / agent)──> open
 *   solved ──conv_update(closed) or close sweep after close_after_days──> closed (final)
 *
 * SLA: due times are business time (core/bizhours.h) from the conversation's start on the
 * calendar of its SLA policy (sla.h); time spent pending is added back; a first reply stops the
 * first-response clock. Resolved at first contact: solved with no escalation, never reopened.
 * Every change writes a conversation_events row (the timeline) and queues webhook events. */
#ifndef SANAD_CONVERSATION_H
#define SANAD_CONVERSATION_H

#include "customer.h"
#include "joinable_cache.h"
#include "domain.h"

#include <jansson.h>

enum channel { CH_PHONE, CH_EMAIL, CH_X, CH_FORM, CH_CHAT, CH_COUNT };
const char *channel_name(int ch);
int channel_parse(const char *name); /* -1 when unknown */

/* Imports: the state the contact leaves its conversation in (its history replayed) — one it
 * starts is written in it at once, one it joins is set to it by the join's own update — instead
 * of open and then updated. status NULL: open as the intake leaves it (first_response_at still
 * recorded where none was); a time 0: none. */
typedef struct conv_initial {
    const char *status; /* open | pending | solved | closed */
    int64_t solved_at, closed_at, pending_since, first_response_at;
} conv_initial;

/* Imports replaying history in batches, written by the import and read by the intake:
 * - conversation numbers reserved for the batch (number_next..number_last; none when next is 0),
 *   taken before the counter row;
 * - the customers it resolved (customer_cache.h);
 * - conversations the import closed when it wrote them, solved long enough ago that the closing
 *   sweep after the run would close them anyway (one write instead of a write and an update of
 *   a million rows after a large import). Until the run ends such a one still counts as solved
 *   — a later line within reopen_days reopens it, as it would have before the sweep — and
 *   closed_early tells it from a conversation closed for good;
 * - the conversation each customer's next contact on a line would join (joinable_cache.h): the
 *   intake answers from it and says in contact_result.alone whether the import may remember
 *   the conversation the contact ended in. */
typedef struct conv_replay {
    int64_t number_next, number_last;
    int (*closed_early)(const struct conv_replay *r, int64_t conversation_id);
    customer_cache *customers; /* customer_resolve's cache (customer_cache.h), or NULL */
    joinable_cache *joinable;  /* find_joinable's cache (joinable_cache.h), or NULL */
} conv_replay;

typedef struct contact_input {
    int channel;
    customer_input customer;
    const char *service_line; /* code or NULL */
    const char *subject;
    const char *body;
    int64_t received_at;      /* 0: now */
    const char *external_id;  /* imports: idempotency key, or NULL */
    const char *meta_json;    /* channel metadata, or NULL */
    int historical;           /* an import of past contacts: no triggers, routing, automatic
                                 replies or webhook events — only the record */
    const conv_initial *initial; /* imports: the conversation's state after the contact, or
                                    NULL (open) */
    conv_replay *replay;      /* imports: see conv_replay, or NULL */
    const char *search_text;  /* text_normalize_dup of subject " " body when the caller made it
                                 already (imports, on their reader thread), or NULL */
    int64_t conversation_id;  /* join exactly this conversation (email threading; a merged one
                                 leads to where it was merged, a closed one starts anew), or 0 */
} contact_input;

typedef struct contact_result {
    int64_t contact_id, conversation_id, customer_id;
    char number[32];
    int joined;    /* joined an existing conversation (or reopened one) */
    int duplicate; /* external_id seen before: nothing was written */
    int64_t message_id; /* the inbound message written (0 for a duplicate) */
    int alone; /* no other conversation of the customer on the service line can be joined by a
                  contact received from now on (a new customer, or no other was joinable) */
} contact_result;

/* A new conversation's search text: subject and body normalised (malloc'd; NULL when out of
 * memory). */
char *conv_search_text_dup(const char *subject, const char *body);

/* One row of conversation conv's timeline: kind, detail (a JSON object's text), by who (NULL or
 * no user: the system), at. Every change to a conversation, whoever makes it, writes one. */
int conv_timeline_add(store *db, int64_t conv, const actor *who, const char *kind,
                      const char *detail, int64_t at);
/* The same with detail as JSON, consumed (NULL, as json_pack's failure: SN_EINTERNAL). */
int conv_timeline_add_json(store *db, int64_t conv, const actor *who, const char *kind,
                           json_t *detail, int64_t at);

/* The intake every channel uses. Runs in its own write transaction. */
int contact_receive(store *db, const actor *who, const contact_input *in, contact_result *out,
                    sn_err *e);
/* The same inside the caller's transaction (group commit, imports). */
int contact_receive_in_tx(store *db, const actor *who, const contact_input *in, int64_t now,
                          contact_result *out, sn_err *e);

/* An agent opens a conversation (e.g. an outbound call): like a contact, never joins. */
int conv_open(store *db, const actor *who, const contact_input *in, contact_result *out, sn_err *e);

typedef struct conv_patch {
    const char *status;       /* NULL: unchanged */
    int has_assignee;
    int64_t assignee_id;      /* 0: unassign */
    const char *priority;
    const char *service_line; /* code */
    json_t *tags;             /* array of strings, or NULL */
} conv_patch;

int conv_update(store *db, const actor *who, int64_t id, const conv_patch *p, sn_err *e);
/* The same changes inside the caller's transaction, each with its timeline row, but no
 * "conversation.updated" event and no trigger run (what triggers' own actions use). */
int conv_update_in_tx(store *db, const actor *who, int64_t id, const conv_patch *p, int64_t now,
                      sn_err *e);

typedef struct message_input {
    const char *kind;     /* reply | note */
    const char *body;     /* or NULL with template */
    const char *template_code;
    const char *lang;     /* ar | en; NULL: ar */
    const char *channel;  /* NULL: the conversation's channel */
} message_input;

int conv_add_message(store *db, const actor *who, const char *agent_name, int64_t id,
                     const message_input *in, int64_t *message_id, sn_err *e);
int conv_merge(store *db, const actor *who, int64_t into, int64_t other, sn_err *e);

/* The conversation as JSON with its timeline (customer masked). department_staff callers see
 * only conversations escalated to their departments (else SN_ENOTFOUND). */
int conv_get_json(store *db, const actor *who, int64_t id, int with_timeline, json_t **out,
                  sn_err *e);

typedef struct conv_filter {
    const char *status, *channel, *service_line, *q;
    int64_t assignee_id; /* 0: any; -1: unassigned */
    int64_t offset;
    int limit;
} conv_filter;

/* Sorted by SLA due time (soonest first). *items is a JSON array. */
int conv_list_json(store *db, const actor *who, const conv_filter *f, json_t **items, int *more,
                   sn_err *e);

/* Close solved conversations older than close_after_days; returns how many. */
int conv_close_sweep(store *db, int64_t now, int *closed);

#endif
