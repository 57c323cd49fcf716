/* conversation_view.c — conversations as JSON: one with its timeline, and the filtered list. */
#include "conversation.h"

#include "attachment.h"
#include "sla.h"
#include "../core/clock.h"
#include "../search/normalize.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_time(json_t *o, const char *key, int64_t ms)
{
    if (ms <= 0) {
        json_object_set_new(o, key, json_null());
        return;
    }
    char iso[32];
    clock_iso8601(ms, iso, sizeof iso);
    json_object_set_new(o, key, json_string(iso));
}

static void set_id(json_t *o, const char *key, int64_t id)
{
    json_object_set_new(o, key, id ? json_integer(id) : json_null());
}

#define VIEW_COLUMNS                                                                             \
    "v.id, v.number, v.customer_id, v.channel, COALESCE(s.code, ''), v.subject, v.status, "      \
    "v.priority, COALESCE(v.assignee_id, 0), v.tags, v.created_at, v.updated_at, "               \
    "COALESCE(v.first_response_at, 0), COALESCE(v.solved_at, 0), "                              \
    "COALESCE(v.first_response_due_at, 0), COALESCE(v.resolution_due_at, 0), "                  \
    "COALESCE(v.pending_since, 0), v.reopened, v.escalated, COALESCE(v.merged_into, 0), "        \
    "v.contacts_count, COALESCE(v.closed_at, 0)"

/* Breached when a clock ran past its due time: the first reply late (or missing and overdue),
 * the resolution late (or open and overdue). Pending conversations do not breach meanwhile. */
static int sla_breached(int64_t now, int64_t first_at, int64_t first_due, int64_t solved_at,
                        int64_t res_due, int64_t pending_since, const char *status)
{
    /* While pending the clocks stand still at pending_since: a breach before it stays. */
    int64_t clock = !strcmp(status, "pending") && pending_since ? pending_since : now;
    if (first_due && (first_at ? first_at > first_due : clock > first_due)) return 1;
    int done = !strcmp(status, "solved") || !strcmp(status, "closed");
    if (res_due && (done ? solved_at && solved_at > res_due : clock > res_due)) return 1;
    return 0;
}

/* One row of VIEW_COLUMNS as the API shape (customer filled in by the caller). */
static json_t *row_json(store_stmt *st, int64_t now)
{
    const char *status = store_col_text(st, 6);
    json_t *tags = json_loads(store_col_text(st, 9), 0, NULL);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:i}", "id",
                          (json_int_t)store_col_int(st, 0), "number", store_col_text(st, 1),
                          "channel", store_col_text(st, 3), "subject", store_col_text(st, 5),
                          "status", status, "priority", store_col_text(st, 7), "tags",
                          tags ? tags : json_array(), "contacts_count", (int)store_col_int(st, 20));
    json_object_set_new(o, "service_line", store_col_text(st, 4)[0] ? json_string(store_col_text(st, 4)) : json_null());
    set_id(o, "customer_id", store_col_int(st, 2));
    set_id(o, "assignee_id", store_col_int(st, 8));
    set_time(o, "created_at", store_col_int(st, 10));
    set_time(o, "updated_at", store_col_int(st, 11));
    set_time(o, "first_response_at", store_col_int(st, 12));
    set_time(o, "solved_at", store_col_int(st, 13));
    set_time(o, "first_response_due_at", store_col_int(st, 14));
    set_time(o, "resolution_due_at", store_col_int(st, 15));
    set_time(o, "closed_at", store_col_int(st, 21));
    json_object_set_new(o, "sla_breached",
                        json_boolean(sla_breached(now, store_col_int(st, 12), store_col_int(st, 14),
                                                  store_col_int(st, 13), store_col_int(st, 15),
                                                  store_col_int(st, 16), status)));
    int done = !strcmp(status, "solved") || !strcmp(status, "closed");
    json_object_set_new(o, "resolved_first_contact",
                        done ? json_boolean(!store_col_int(st, 17) && !store_col_int(st, 18) && !store_col_int(st, 19))
                             : json_null());
    json_object_set_new(o, "escalated", json_boolean(store_col_int(st, 18)));
    set_id(o, "merged_into", store_col_int(st, 19));
    return o;
}

/* department_staff (without an agent-side role) see only conversations escalated to one of
 * their departments. */
static int staff_only(const actor *who)
{
    return (who->roles & ROLE_DEPARTMENT_STAFF) &&
           !(who->roles & (ROLE_ADMIN | ROLE_SUPERVISOR | ROLE_AGENT));
}

static int staff_may_see(store *db, const actor *who, int64_t conv)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT 1 FROM escalations e JOIN user_departments d ON d.department_id "
                          "= e.department_id WHERE e.conversation_id = ? AND d.user_id = ?", &st) < 0)
        return 0;
    store_bind_int(st, 1, conv);
    store_bind_int(st, 2, who->user_id);
    int ok = store_step(st) == STORE_ROW;
    store_finish(st);
    return ok;
}

static json_t *entry(const char *type, int64_t id, int64_t at)
{
    json_t *o = json_pack("{s:s, s:I}", "type", type, "id", (json_int_t)id);
    set_time(o, "at", at);
    json_object_set_new(o, "_at", json_integer(at));
    return o;
}

/* An email message also carries body_text, the sanitised body_html, its attachments (staff
 * download URLs) and flags (what was repaired or noticed when it was received); a contact-form
 * message carries its attachments. */
static int email_fields(store *db, json_t *m)
{
    json_t *em = json_object_get(json_object_get(m, "meta"), "email");
    const char *channel = json_string_value(json_object_get(m, "channel")),
               *type = json_string_value(json_object_get(m, "type"));
    if (channel && !strcmp(channel, "form") && type && !strcmp(type, "message")) {
        /* the contact form's uploads, downloadable by staff like an email's */
        json_t *files;
        int rc = attachment_list_json(db, json_integer_value(json_object_get(m, "id")), &files);
        json_object_set_new(m, "attachments", files);
        return rc;
    }
    if (!channel || strcmp(channel, "email") != 0 || !type || strcmp(type, "message") != 0)
        return 0;
    json_object_set(m, "body_text", json_object_get(m, "body"));
    json_t *html = json_object_get(em, "body_html"), *flags = json_object_get(em, "flags");
    json_object_set(m, "body_html", html ? html : json_null());
    json_object_set_new(m, "flags", flags ? json_incref(flags) : json_array());
    if (html) json_object_del(em, "body_html");
    if (flags) json_object_del(em, "flags");
    json_t *files;
    int rc = attachment_list_json(db, json_integer_value(json_object_get(m, "id")), &files);
    json_object_set_new(m, "attachments", files);
    return rc;
}

static int timeline_messages(store *db, int64_t conv, json_t *out)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT m.id, m.kind, m.channel, COALESCE(m.author_id, 0), m.body, "
                               "COALESCE(m.template_code, ''), m.delivery, m.created_at, "
                               "COALESCE(m.contact_id, 0), m.meta FROM messages m "
                               "WHERE m.conversation_id = ? ORDER BY m.id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    size_t first = json_array_size(out);
    while ((rc = store_step(st)) == STORE_ROW) {
        const char *kind = store_col_text(st, 1);
        int64_t contact = store_col_int(st, 8);
        if (contact) {
            json_t *c = entry("contact", contact, store_col_int(st, 7));
            json_object_set_new(c, "channel", json_string(store_col_text(st, 2)));
            json_array_append_new(out, c);
        }
        json_t *m = entry(!strcmp(kind, "note") ? "note" : "message", store_col_int(st, 0),
                          store_col_int(st, 7));
        json_object_set_new(m, "kind", json_string(kind));
        json_object_set_new(m, "channel", json_string(store_col_text(st, 2)));
        json_object_set_new(m, "body", json_string(store_col_text(st, 4)));
        set_id(m, "author_id", store_col_int(st, 3));
        if (store_col_text(st, 5)[0]) json_object_set_new(m, "template", json_string(store_col_text(st, 5)));
        if (store_col_text(st, 6)[0]) json_object_set_new(m, "delivery", json_string(store_col_text(st, 6)));
        json_t *meta = json_loads(store_col_text(st, 9), 0, NULL);
        if (meta && json_object_size(meta)) json_object_set_new(m, "meta", meta);
        else json_decref(meta);
        json_array_append_new(out, m);
    }
    store_finish(st);
    for (size_t i = first; rc >= 0 && i < json_array_size(out); i++)
        if (email_fields(db, json_array_get(out, i)) < 0) rc = SN_EDB;
    return rc < 0 ? rc : 0;
}

static int timeline_events(store *db, int64_t conv, json_t *out)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, kind, at, COALESCE(actor_id, 0), detail FROM "
                               "conversation_events WHERE conversation_id = ? ORDER BY id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    while ((rc = store_step(st)) == STORE_ROW) {
        const char *kind = store_col_text(st, 1);
        json_t *ev = entry(!strcmp(kind, "status") ? "status_change" : kind, store_col_int(st, 0),
                           store_col_int(st, 2));
        set_id(ev, "actor_id", store_col_int(st, 3));
        json_t *detail = json_loads(store_col_text(st, 4), 0, NULL);
        if (detail) json_object_update(ev, detail);
        json_decref(detail);
        json_array_append_new(out, ev);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int timeline_escalations(store *db, int64_t conv, json_t *out)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT e.id, d.code, e.status, e.note, e.created_at, "
                               "COALESCE(e.created_by, 0), COALESCE(e.resolved_at, 0) FROM "
                               "escalations e JOIN departments d ON d.id = e.department_id "
                               "WHERE e.conversation_id = ? ORDER BY e.id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    while ((rc = store_step(st)) == STORE_ROW) {
        json_t *x = entry("escalation", store_col_int(st, 0), store_col_int(st, 4));
        json_object_set_new(x, "department", json_string(store_col_text(st, 1)));
        json_object_set_new(x, "status", json_string(store_col_text(st, 2)));
        json_object_set_new(x, "note", json_string(store_col_text(st, 3)));
        set_id(x, "actor_id", store_col_int(st, 5));
        json_array_append_new(out, x); /* resolution is an event row (escalation.c) */
    }
    store_finish(st);
    if (rc < 0) return rc;
    if ((rc = store_prepare(db, "SELECT r.id, r.escalation_id, COALESCE(r.author_id, 0), r.body, "
                                "r.created_at FROM escalation_replies r JOIN escalations e ON "
                                "e.id = r.escalation_id WHERE e.conversation_id = ? ORDER BY r.id", &st)) < 0)
        return rc;
    store_bind_int(st, 1, conv);
    while ((rc = store_step(st)) == STORE_ROW) {
        json_t *x = entry("escalation_reply", store_col_int(st, 0), store_col_int(st, 4));
        json_object_set_new(x, "escalation_id", json_integer(store_col_int(st, 1)));
        set_id(x, "author_id", store_col_int(st, 2));
        json_object_set_new(x, "body", json_string(store_col_text(st, 3)));
        json_array_append_new(out, x);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int by_time(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t tx = json_integer_value(json_object_get(x, "_at")),
               ty = json_integer_value(json_object_get(y, "_at"));
    return tx < ty ? -1 : tx > ty;
}

/* All entries in time order (stable for equal times: contacts, then their messages). */
static json_t *timeline(store *db, int64_t conv)
{
    json_t *all = json_array();
    if (timeline_messages(db, conv, all) < 0 || timeline_events(db, conv, all) < 0 ||
        timeline_escalations(db, conv, all) < 0) {
        json_decref(all);
        return NULL;
    }
    size_t n = json_array_size(all);
    json_t **items = malloc((n ? n : 1) * sizeof *items);
    if (!items) {
        json_decref(all);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) items[i] = json_incref(json_array_get(all, i));
    /* qsort is not stable; entries were appended in id order within each kind, so break ties
     * by that index. */
    for (size_t i = 0; i < n; i++) json_object_set_new(items[i], "_i", json_integer((json_int_t)i));
    qsort(items, n, sizeof *items, by_time);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_object_del(items[i], "_at");
        json_object_del(items[i], "_i");
        json_array_append_new(out, items[i]);
    }
    free(items);
    json_decref(all);
    return out;
}

int conv_get_json(store *db, const actor *who, int64_t id, int with_timeline, json_t **out,
                  sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " VIEW_COLUMNS " FROM conversations v LEFT JOIN service_lines s "
                          "ON s.id = v.service_line_id WHERE v.id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the conversation");
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    json_t *o = rc == STORE_ROW ? row_json(st, clock_now_ms()) : NULL;
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the conversation");
    if (!o || (staff_only(who) && !staff_may_see(db, who, id))) {
        json_decref(o);
        return sn_fail(e, SN_ENOTFOUND, NULL, "no such conversation");
    }
    customer c;
    if (customer_get(db, json_integer_value(json_object_get(o, "customer_id")), &c, e) == 0)
        json_object_set_new(o, "customer", customer_json(&c, 0));
    if (with_timeline) {
        json_t *t = timeline(db, id);
        if (!t) {
            json_decref(o);
            return sn_fail(e, SN_EDB, NULL, "cannot read the timeline");
        }
        json_object_set_new(o, "timeline", t);
    }
    *out = o;
    return 0;
}

int conv_list_json(store *db, const actor *who, const conv_filter *f, json_t **items, int *more,
                   sn_err *e)
{
    char *norm = f->q && *f->q ? text_normalize_dup(f->q) : NULL;
    char *pattern = NULL;
    if (norm) {
        size_t n = strlen(norm) + 3;
        pattern = malloc(n);
        if (pattern) snprintf(pattern, n, "%%%s%%", norm);
    }
    free(norm);
    store_stmt *st;
    int rc = store_prepare(
        db,
        "SELECT " VIEW_COLUMNS " FROM conversations v LEFT JOIN service_lines s ON s.id = "
        "v.service_line_id LEFT JOIN customers c ON c.id = v.customer_id WHERE v.merged_into IS NULL "
        "AND (? = '' OR v.status = ?) AND (? = '' OR v.channel = ?) AND (? = '' OR s.code = ?) "
        "AND (? = 0 OR v.assignee_id = ? OR (? = -1 AND v.assignee_id IS NULL)) "
        "AND (? = '' OR v.search_text LIKE ? OR c.search_text LIKE ?) "
        "AND (? = 0 OR EXISTS (SELECT 1 FROM escalations x JOIN user_departments d ON "
        "d.department_id = x.department_id WHERE x.conversation_id = v.id AND d.user_id = ?)) "
        "ORDER BY COALESCE(CASE WHEN v.first_response_at IS NULL THEN v.first_response_due_at END, "
        "v.resolution_due_at, 9223372036854775807), v.id LIMIT ? OFFSET ?",
        &st);
    if (rc < 0) {
        free(pattern);
        return sn_fail(e, SN_EDB, NULL, "cannot list conversations");
    }
    const char *status = f->status ? f->status : "", *channel = f->channel ? f->channel : "",
               *line = f->service_line ? f->service_line : "", *pat = pattern ? pattern : "";
    int staff = staff_only(who);
    store_bind_text(st, 1, status);
    store_bind_text(st, 2, status);
    store_bind_text(st, 3, channel);
    store_bind_text(st, 4, channel);
    store_bind_text(st, 5, line);
    store_bind_text(st, 6, line);
    store_bind_int(st, 7, f->assignee_id);
    store_bind_int(st, 8, f->assignee_id);
    store_bind_int(st, 9, f->assignee_id);
    store_bind_text(st, 10, pat);
    store_bind_text(st, 11, pat);
    store_bind_text(st, 12, pat);
    store_bind_int(st, 13, staff);
    store_bind_int(st, 14, who->user_id);
    store_bind_int(st, 15, f->limit + 1);
    store_bind_int(st, 16, f->offset);
    json_t *list = json_array();
    int64_t now = clock_now_ms();
    int count = 0;
    while ((rc = store_step(st)) == STORE_ROW)
        if (count++ < f->limit) json_array_append_new(list, row_json(st, now));
    store_finish(st);
    free(pattern);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list conversations");
    }
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        customer c;
        sn_err ignore;
        if (customer_get(db, json_integer_value(json_object_get(o, "customer_id")), &c, &ignore) == 0)
            json_object_set_new(o, "customer", customer_json(&c, 0));
    }
    *items = list;
    *more = count > f->limit;
    return 0;
}
