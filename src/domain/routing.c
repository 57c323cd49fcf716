/* routing.c — queue policies, agent availability, assignment. */
#include "routing.h"

#include "audit.h"
#include "conversation.h"
#include "events.h"
#include "settings.h"
#include "../core/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const policies[] = {"manual", "round_robin", "least_open"};

/* More queues than the cache holds: the query that finds any. */
static int find_queue_sql(store *db, int64_t conv, int64_t *queue, int64_t *line, char *policy,
                      size_t size, int64_t *last_user)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT q.id, q.service_line_id, q.policy, COALESCE(q.last_user_id, 0) "
                               "FROM conversations v JOIN queues q ON q.service_line_id = "
                               "v.service_line_id AND (q.channel = v.channel OR q.channel = '') "
                               "WHERE v.id = ? AND v.assignee_id IS NULL "
                               "ORDER BY (CASE WHEN q.channel = '' THEN 1 ELSE 0 END) LIMIT 1", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    rc = store_step(st);
    *queue = 0;
    if (rc == STORE_ROW) {
        *queue = store_col_int(st, 0);
        *line = store_col_int(st, 1);
        snprintf(policy, size, "%s", store_col_text(st, 2));
        *last_user = store_col_int(st, 3);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The queues (id, service line, channel, policy), cached per thread like other settings
 * (settings.h): a new conversation looks its queue up here instead of joining and sorting in
 * the database; queue_save calls settings_changed(). */
#define QUEUE_CACHE 256
static __thread struct {
    int n, loaded, overflow;
    int64_t loaded_at, gen;
    struct cached_queue {
        int64_t id, line;
        char channel[16], policy[16];
    } q[QUEUE_CACHE];
} queues;

static int queues_load(store *db)
{
    int64_t now = clock_now_ms();
    if (queues.loaded && settings_fresh(queues.loaded_at, queues.gen, now)) return 0;
    int64_t gen = settings_generation();
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, service_line_id, channel, policy FROM queues", &st);
    if (rc < 0) return rc;
    queues.n = queues.overflow = 0;
    while ((rc = store_step(st)) == STORE_ROW) {
        if (queues.n == QUEUE_CACHE) {
            queues.overflow = 1;
            continue;
        }
        struct cached_queue *q = &queues.q[queues.n++];
        q->id = store_col_int(st, 0);
        q->line = store_col_int(st, 1);
        snprintf(q->channel, sizeof q->channel, "%s", store_col_text(st, 2));
        snprintf(q->policy, sizeof q->policy, "%s", store_col_text(st, 3));
    }
    store_finish(st);
    if (rc < 0) return rc;
    queues.loaded = 1;
    queues.loaded_at = now;
    queues.gen = gen;
    return 0;
}

/* The queue of a service line and channel: the channel's own, else the line's (channel ''). */
static const struct cached_queue *queue_of(int64_t line, const char *channel)
{
    const struct cached_queue *any = NULL;
    for (int i = 0; i < queues.n; i++) {
        if (queues.q[i].line != line) continue;
        if (!strcmp(queues.q[i].channel, channel)) return &queues.q[i];
        if (!queues.q[i].channel[0]) any = &queues.q[i];
    }
    return any;
}

/* The queue for a conversation still unassigned: its service line and channel, else its
 * service line alone. */
static int find_queue(store *db, int64_t conv, int64_t *queue, int64_t *line, char *policy,
                      size_t size, int64_t *last_user)
{
    store_stmt *st;
    *queue = 0;
    int rc = queues_load(db);
    if (rc < 0 || (queues.n == 0 && !queues.overflow)) return rc; /* no queues: nothing to do */
    if ((rc = store_prepare(db, "SELECT COALESCE(service_line_id, 0), channel FROM conversations "
                                "WHERE id = ? AND assignee_id IS NULL", &st)) < 0)
        return rc;
    store_bind_int(st, 1, conv);
    rc = store_step(st);
    const struct cached_queue *q = NULL;
    if (rc == STORE_ROW && !queues.overflow) q = queue_of(store_col_int(st, 0), store_col_text(st, 1));
    store_finish(st);
    if (rc < 0) return rc;
    if (rc == STORE_ROW && queues.overflow) return find_queue_sql(db, conv, queue, line, policy, size, last_user);
    if (!q) return 0;
    *queue = q->id;
    *line = q->line;
    snprintf(policy, size, "%s", q->policy);
    if (!strcmp(policy, "manual")) return 0;
    /* The round-robin position changes with every assignment: read it fresh. */
    if ((rc = store_prepare(db, "SELECT COALESCE(last_user_id, 0) FROM queues WHERE id = ?", &st)) < 0)
        return rc;
    store_bind_int(st, 1, q->id);
    rc = store_step(st);
    *last_user = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    if (rc != STORE_ROW) *queue = 0; /* deleted meanwhile */
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The eligible agent by policy: online, enabled, skilled, under capacity. */
static int pick_agent(store *db, int64_t line, const char *policy, int64_t last_user, int64_t *agent)
{
    store_stmt *st;
    int rr = !strcmp(policy, "round_robin");
    int rc = store_prepare(
        db,
        "SELECT u.id, (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = u.id AND "
        "c.status IN ('open', 'pending')) AS load FROM users u "
        "JOIN user_roles r ON r.user_id = u.id AND r.role = 'agent' "
        "JOIN user_skills s ON s.user_id = u.id AND s.service_line_id = ? "
        "WHERE u.disabled = 0 AND u.availability = 'online' AND (SELECT COUNT(*) FROM "
        "conversations c WHERE c.assignee_id = u.id AND c.status IN ('open', 'pending')) < u.capacity "
        "ORDER BY CASE WHEN ? = 1 THEN (CASE WHEN u.id > ? THEN 0 ELSE 1 END) ELSE 0 END, "
        "CASE WHEN ? = 1 THEN 0 ELSE (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = "
        "u.id AND c.status IN ('open', 'pending')) END, u.id LIMIT 1",
        &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, line);
    store_bind_int(st, 2, rr);
    store_bind_int(st, 3, last_user);
    store_bind_int(st, 4, rr);
    rc = store_step(st);
    *agent = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int assign(store *db, int64_t conv, int64_t queue, int64_t agent)
{
    store_stmt *st;
    int64_t now = clock_now_ms();
    int rc = store_prepare(db, "UPDATE conversations SET assignee_id = ?, updated_at = ? WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, agent);
    store_bind_int(st, 2, now);
    store_bind_int(st, 3, conv);
    rc = store_step(st);
    store_finish(st);
    if (rc < 0) return rc;
    if ((rc = store_prepare(db, "UPDATE queues SET last_user_id = ? WHERE id = ?", &st)) < 0) return rc;
    store_bind_int(st, 1, agent);
    store_bind_int(st, 2, queue);
    rc = store_step(st);
    store_finish(st);
    if (rc < 0) return rc;
    char detail[96];
    snprintf(detail, sizeof detail, "{\"from\":null,\"to\":%" PRId64 ",\"by\":\"routing\"}", agent);
    return conv_timeline_add(db, conv, NULL, "assignment", detail, now);
}

int routing_assign(store *db, int64_t conv)
{
    int64_t queue, line = 0, last = 0, agent;
    char policy[16] = "manual";
    int rc = find_queue(db, conv, &queue, &line, policy, sizeof policy, &last);
    if (rc < 0 || !queue || !strcmp(policy, "manual")) return rc;
    if ((rc = pick_agent(db, line, policy, last, &agent)) < 0 || !agent) return rc;
    return assign(db, conv, queue, agent);
}

/* Give waiting conversations of the agent's skills to whoever the policies pick. */
static int drain_waiting(store *db, int64_t user_id)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT v.id FROM conversations v JOIN user_skills s ON "
                               "s.service_line_id = v.service_line_id AND s.user_id = ? "
                               "WHERE v.assignee_id IS NULL AND v.status = 'open' AND "
                               "v.merged_into IS NULL ORDER BY v.created_at LIMIT 200", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, user_id);
    int64_t ids[200];
    int n = 0;
    while ((rc = store_step(st)) == STORE_ROW && n < 200) ids[n++] = store_col_int(st, 0);
    store_finish(st);
    for (int i = 0; rc >= 0 && i < n; i++) rc = routing_assign(db, ids[i]);
    return rc < 0 ? rc : 0;
}

int routing_set_availability(store *db, const actor *who, int64_t user_id, const char *availability,
                             sn_err *e)
{
    if (strcmp(availability, "online") && strcmp(availability, "away") && strcmp(availability, "offline"))
        return sn_fail(e, SN_EUNPROCESSABLE, "availability", "availability must be online, away or offline");
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save availability");
    store_stmt *st;
    int rc = store_prepare(db, "UPDATE users SET availability = ? WHERE id = ?", &st);
    if (rc == 0) {
        store_bind_text(st, 1, availability);
        store_bind_int(st, 2, user_id);
        rc = store_step(st);
        store_finish(st);
    }
    if (rc >= 0 && !strcmp(availability, "online")) rc = drain_waiting(db, user_id);
    json_t *data = json_pack("{s:I, s:s}", "user_id", (json_int_t)user_id, "availability", availability);
    if (rc >= 0) rc = events_emit(db, "agent.availability", data);
    else json_decref(data);
    if (rc < 0 || store_commit(db) < 0) {
        store_rollback(db);
        events_discard();
        return sn_fail(e, SN_EDB, NULL, "cannot save availability");
    }
    events_flush();
    return 0;
}

static json_t *queue_row(store_stmt *st)
{
    return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)store_col_int(st, 0), "service_line",
                     store_col_text(st, 1), "channel", store_col_text(st, 2), "policy",
                     store_col_text(st, 3));
}

static int queue_get(store *db, int64_t id, json_t **out)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT q.id, s.code, q.channel, q.policy FROM queues q JOIN "
                               "service_lines s ON s.id = q.service_line_id WHERE q.id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    *out = rc == STORE_ROW ? queue_row(st) : NULL;
    store_finish(st);
    return rc < 0 ? rc : (*out ? 0 : SN_ENOTFOUND);
}

int queue_list_json(store *db, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT q.id, s.code, q.channel, q.policy FROM queues q JOIN "
                          "service_lines s ON s.id = q.service_line_id ORDER BY q.id", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list queues");
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(st)) == STORE_ROW) json_array_append_new(list, queue_row(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list queues");
    }
    *out = list;
    return 0;
}

static int check_queue(store *db, json_t *body, int64_t *line, const char **channel,
                       const char **policy, sn_err *e)
{
    const char *code = json_string_value(json_object_get(body, "service_line"));
    *line = 0;
    if (code) {
        store_stmt *st;
        if (store_prepare(db, "SELECT id FROM service_lines WHERE code = ?", &st) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot read service line");
        store_bind_text(st, 1, code);
        if (store_step(st) == STORE_ROW) *line = store_col_int(st, 0);
        store_finish(st);
        if (!*line) return sn_fail(e, SN_EUNPROCESSABLE, "service_line", "unknown service line");
    }
    json_t *ch = json_object_get(body, "channel"), *pol = json_object_get(body, "policy");
    *channel = ch ? (json_is_string(ch) ? json_string_value(ch) : "") : NULL;
    *policy = pol ? json_string_value(pol) : NULL;
    static const char *const channels[] = {"", "phone", "email", "x", "form", "chat"};
    int ok = !*channel;
    for (size_t i = 0; !ok && i < 6; i++) ok = !strcmp(*channel, channels[i]);
    if (!ok) return sn_fail(e, SN_EUNPROCESSABLE, "channel", "unknown channel");
    ok = !*policy;
    for (size_t i = 0; !ok && i < 3; i++) ok = !strcmp(*policy, policies[i]);
    if (!ok) return sn_fail(e, SN_EUNPROCESSABLE, "policy", "policy must be manual, round_robin or least_open");
    return 0;
}

int queue_save(store *db, const actor *who, int64_t id, json_t *body, json_t **out, sn_err *e)
{
    int64_t line = 0;
    const char *channel = NULL, *policy = NULL;
    int rc = check_queue(db, body, &line, &channel, &policy, e);
    if (rc < 0) return rc;
    if (!id && !line) return sn_fail(e, SN_EUNPROCESSABLE, "service_line", "service_line is required");
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save queue");
    store_stmt *st;
    rc = store_prepare(db, id ? "UPDATE queues SET service_line_id = COALESCE(NULLIF(?, 0), "
                                "service_line_id), channel = COALESCE(?, channel), policy = "
                                "COALESCE(?, policy) WHERE id = ? RETURNING id"
                              : "INSERT INTO queues (service_line_id, channel, policy) VALUES "
                                "(?, COALESCE(?, ''), COALESCE(?, 'manual')) RETURNING id", &st);
    if (rc == 0) {
        store_bind_int(st, 1, line);
        store_bind_text(st, 2, channel);
        store_bind_text(st, 3, policy);
        if (id) store_bind_int(st, 4, id);
        rc = store_step(st);
        int64_t got = rc == STORE_ROW ? store_col_int(st, 0) : 0;
        store_finish(st);
        if (rc == STORE_ROW) id = got;
        else if (rc >= 0) rc = SN_ENOTFOUND;
    }
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if (rc >= 0 && audit_append(db, who, "queue.save", "queue", oid, NULL) < 0) rc = SN_EDB;
    if (rc >= 0 && store_commit(db) < 0) rc = SN_EDB;
    if (rc >= 0) settings_changed(); /* find_queue caches the queues */
    if (rc < 0) {
        store_rollback(db);
        if (rc == SN_ECONFLICT) return sn_fail(e, rc, "channel", "a queue for this service line and channel exists");
        if (rc == SN_ENOTFOUND) return sn_fail(e, rc, NULL, "no such queue");
        return sn_fail(e, SN_EDB, NULL, "cannot save queue");
    }
    return queue_get(db, id, out) < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read queue") : 0;
}
