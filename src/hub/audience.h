/* audience.h — who may hear a live event. Agents, supervisors, admins (and QA evaluators) hear
 * everything; department staff (department_staff without an agent-side role, the same rule as
 * conversation_view.c) hear only events tagged with one of their departments:
 *   - escalation.* : the escalation's own department;
 *   - conversation.*, contact.joined, message.created : every department the conversation has
 *     been escalated to (looked up when the event is published, so the tag is fixed then);
 *   - agent.availability and anything else : agent-side only.
 * Tags are read when the hub thread takes the event, shortly after its commit: an event about a
 * conversation escalated in between already carries the new department (whose staff may see
 * the conversation by then). Escalations are never removed, so a tag never narrows.
 * The SQL lives here, next to the hub that needs it; both queries are read-only. */
#ifndef SANAD_AUDIENCE_H
#define SANAD_AUDIENCE_H

#include "../domain/domain.h"

#include <stdint.h>

#define AUDIENCE_MAX_DEPTS 32

/* A listener: everything, or only the listed departments; and the credential it connected with,
 * checked again while it listens (audience_still_valid). */
typedef struct audience {
    int64_t user_id;
    int64_t session_id; /* or 0 */
    int64_t token_id;   /* or 0 */
    int departments_only;
    int ndepts;
    int64_t depts[AUDIENCE_MAX_DEPTS];
} audience;

/* An event's tag: agent-side only, or also staff of these departments. */
typedef struct audience_tag {
    int ndepts;
    int64_t depts[AUDIENCE_MAX_DEPTS];
} audience_tag;

/* Fill `out` for a signed-in user with `roles` (their departments when staff-only) who
 * authenticated with `session_id` or `token_id`. */
int audience_of_user(store *db, int64_t user_id, unsigned roles, int64_t session_id,
                     int64_t token_id, audience *out);
/* Whether the credential still holds, by the rules of session_lookup / token_lookup but without
 * touching the session: not logged out, user not disabled, the session neither idle for
 * `idle_ms` nor older than `absolute_ms`; the token not revoked. 1 yes, 0 no, < 0 database
 * error (the caller keeps the listener and asks again later). */
int audience_still_valid(store *db, const audience *who, int64_t idle_ms, int64_t absolute_ms,
                         int64_t now);
/* Tag an event of `type` about `conversation_id` / `escalation_id` (0 when absent). */
int audience_tag_event(store *db, const char *type, int64_t conversation_id, int64_t escalation_id,
                       audience_tag *out);
/* Whether `who` hears an event tagged `tag`. */
int audience_hears(const audience *who, const audience_tag *tag);

#endif
