/* audience.c — department tags of live events and the departments of a listener. */
#include "audience.h"

#include <string.h>

static int staff_only(unsigned roles)
{
    return (roles & ROLE_DEPARTMENT_STAFF) &&
           !(roles & (ROLE_ADMIN | ROLE_SUPERVISOR | ROLE_AGENT));
}

/* Append the first column of every row of `sql` (one int parameter) to ids. */
static int collect_ids(store *db, const char *sql, int64_t param, int64_t *ids, int *n)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, param);
    while ((rc = store_step(st)) == STORE_ROW)
        if (*n < AUDIENCE_MAX_DEPTS) ids[(*n)++] = store_col_int(st, 0);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int audience_of_user(store *db, int64_t user_id, unsigned roles, int64_t session_id,
                     int64_t token_id, audience *out)
{
    memset(out, 0, sizeof *out);
    out->user_id = user_id;
    out->session_id = session_id;
    out->token_id = token_id;
    if (!staff_only(roles)) return 0;
    out->departments_only = 1;
    return collect_ids(db,
                       "SELECT department_id FROM user_departments WHERE user_id = ? "
                       "ORDER BY department_id",
                       user_id, out->depts, &out->ndepts);
}

int audience_tag_event(store *db, const char *type, int64_t conversation_id, int64_t escalation_id,
                       audience_tag *out)
{
    memset(out, 0, sizeof *out);
    if (!strncmp(type, "escalation.", 11) && escalation_id)
        return collect_ids(db, "SELECT department_id FROM escalations WHERE id = ?", escalation_id,
                           out->depts, &out->ndepts);
    /* A conversation created in this transaction has no escalations yet: no query (one round
     * trip per contact on PostgreSQL). */
    if (!strcmp(type, "agent.availability") || !strcmp(type, "conversation.created") ||
        !conversation_id)
        return 0;
    return collect_ids(db,
                       "SELECT DISTINCT department_id FROM escalations WHERE "
                       "conversation_id = ?",
                       conversation_id, out->depts, &out->ndepts);
}

int audience_hears(const audience *who, const audience_tag *tag)
{
    if (!who->departments_only) return 1;
    for (int i = 0; i < tag->ndepts; i++)
        for (int k = 0; k < who->ndepts; k++)
            if (tag->depts[i] == who->depts[k]) return 1;
    return 0;
}

int audience_still_valid(store *db, const audience *who, int64_t idle_ms, int64_t absolute_ms,
                         int64_t now)
{
    store_stmt *st;
    int rc = who->session_id
                 ? store_prepare(db,
                                 "SELECT s.created_at, s.last_seen_at FROM sessions s JOIN "
                                 "users u ON u.id = s.user_id WHERE s.id = ? AND u.disabled = 0",
                                 &st)
                 : store_prepare(db,
                                 "SELECT 0, 0 FROM api_tokens t JOIN users u ON u.id = "
                                 "t.user_id WHERE t.id = ? AND t.revoked_at IS NULL AND "
                                 "u.disabled = 0",
                                 &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, who->session_id ? who->session_id : who->token_id);
    rc = store_step(st);
    int valid = rc == STORE_ROW;
    if (valid && who->session_id)
        valid = now - store_col_int(st, 0) <= absolute_ms && now - store_col_int(st, 1) <= idle_ms;
    store_finish(st);
    return rc < 0 ? rc : valid;
}
