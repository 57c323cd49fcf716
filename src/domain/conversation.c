/* conversation.c — intake of contacts, conversation state, SLA clocks, messages, merge. */
#include "conversation.h"

#include "audit.h"
#include "events.h"
#include "outbox.h"
#include "routing.h"
#include "settings.h"
#include "sla.h"
#include "template.h"
#include "trigger.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../search/normalize.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)

static const char *const channel_names[CH_COUNT] = {"phone", "email", "x", "form", "chat"};

const char *channel_name(int ch)
{
    return ch >= 0 && ch < CH_COUNT ? channel_names[ch] : "";
}

int channel_parse(const char *name)
{
    for (int i = 0; name && i < CH_COUNT; i++)
        if (!strcmp(name, channel_names[i])) return i;
    return -1;
}

/* The state a rule needs, read in one query. */
typedef struct conv_row {
    int64_t id, customer_id, service_line_id, assignee_id, created_at, first_response_at,
        solved_at, pending_since, paused_ms, merged_into;
    int reopened, escalated;
    char number[32], status[16], priority[16], channel[16];
} conv_row;

#define CONV_COLUMNS                                                                              \
    "id, customer_id, COALESCE(service_line_id, 0), COALESCE(assignee_id, 0), created_at, "      \
    "COALESCE(first_response_at, 0), COALESCE(solved_at, 0), COALESCE(pending_since, 0), "       \
    "paused_ms, COALESCE(merged_into, 0), reopened, escalated, number, status, priority, channel"

static void read_conv(store_stmt *st, conv_row *c)
{
    int64_t *ints[] = {&c->id, &c->customer_id, &c->service_line_id, &c->assignee_id,
                       &c->created_at, &c->first_response_at, &c->solved_at, &c->pending_since,
                       &c->paused_ms, &c->merged_into};
    for (int i = 0; i < 10; i++) *ints[i] = store_col_int(st, i);
    c->reopened = (int)store_col_int(st, 10);
    c->escalated = (int)store_col_int(st, 11);
    snprintf(c->number, sizeof c->number, "%s", store_col_text(st, 12));
    snprintf(c->status, sizeof c->status, "%s", store_col_text(st, 13));
    snprintf(c->priority, sizeof c->priority, "%s", store_col_text(st, 14));
    snprintf(c->channel, sizeof c->channel, "%s", store_col_text(st, 15));
}

static int conv_load(store *db, int64_t id, conv_row *c)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT " CONV_COLUMNS " FROM conversations WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    if (rc == STORE_ROW) read_conv(st, c);
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

int conv_timeline_add(store *db, int64_t conv, const actor *who, const char *kind,
                      const char *detail, int64_t at)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO conversation_events (conversation_id, at, actor_id, "
                               "kind, detail) VALUES (?, ?, ?, ?, ?)", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    store_bind_int(st, 2, at);
    if (who && who->user_id)
        store_bind_int(st, 3, who->user_id);
    else
        store_bind_null(st, 3);
    store_bind_text(st, 4, kind);
    store_bind_text(st, 5, detail);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int conv_timeline_add_json(store *db, int64_t conv, const actor *who, const char *kind,
                           json_t *detail, int64_t at)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    int rc = text ? conv_timeline_add(db, conv, who, kind, text, at) : SN_EINTERNAL;
    free(text);
    return rc;
}

/* The SLA due times of a conversation from its start, policy and time spent pending. */
static int sla_due(store *db, int64_t line, const char *priority, int64_t start, int64_t paused,
                   int64_t *first_due, int64_t *res_due)
{
    sla_terms t;
    int rc = sla_terms_for(db, line, priority, &t);
    if (rc < 0) return rc;
    if (bh_add(t.cal, start, t.first_ms + paused, first_due) < 0 ||
        bh_add(t.cal, start, t.resolution_ms + paused, res_due) < 0) {
        *first_due = start + t.first_ms;
        *res_due = start + t.resolution_ms;
    }
    return 0;
}

/* Recompute the SLA due times of c (after a pause, a new priority or service line). */
static int conv_sla_refresh(store *db, const conv_row *c)
{
    int64_t first_due, res_due;
    int rc = sla_due(db, c->service_line_id, c->priority, c->created_at, c->paused_ms, &first_due,
                     &res_due);
    if (rc < 0) return rc;
    int64_t args[] = {first_due, res_due, c->id};
    return store_exec_ints(db, "UPDATE conversations SET first_response_due_at = ?, "
                         "resolution_due_at = ? WHERE id = ?", 3, args);
}

/* Leaving "pending": add the business time spent pending to the pause budget. */
static int conv_resume(store *db, conv_row *c, int64_t now)
{
    if (!c->pending_since) return 0;
    sla_terms t;
    int rc = sla_terms_for(db, c->service_line_id, c->priority, &t);
    if (rc < 0) return rc;
    c->paused_ms += bh_elapsed(t.cal, c->pending_since, now);
    c->pending_since = 0;
    int64_t args[] = {c->paused_ms, c->id};
    if ((rc = store_exec_ints(db, "UPDATE conversations SET paused_ms = ?, pending_since = NULL "
                            "WHERE id = ?", 2, args)) < 0)
        return rc;
    return conv_sla_refresh(db, c);
}

/* The next conversation number: the counters row on SQLite (one writer; a rolled-back
 * conversation gives its number back), a sequence on PostgreSQL, where a row lock held to the
 * end of every intake transaction would queue parallel group committers (migration 008). */
static int next_number(store *db, conv_replay *replay, char *out, size_t size)
{
    if (replay && replay->number_next && replay->number_next <= replay->number_last) {
        snprintf(out, size, "SND-%06" PRId64, replay->number_next++);
        return 0;
    }
    store_stmt *st;
    int rc = store_prepare(db, store_kind_of(db) == STORE_POSTGRES
                                   ? "SELECT nextval('conversation_number')"
                                   : "UPDATE counters SET value = value + 1 WHERE name = "
                                     "'conversation' RETURNING value",
                           &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    int64_t n = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc != STORE_ROW) return SN_EDB;
    snprintf(out, size, "SND-%06" PRId64, n);
    return 0;
}

static int service_line_id_of(store *db, const char *code, int64_t *id, sn_err *e)
{
    *id = 0;
    if (!code || !*code) return 0;
    if (settings_service_line_id(db, code, id) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read service line");
    if (!*id) return sn_fail(e, SN_EUNPROCESSABLE, "service_line", "unknown service line '%s'", code);
    return 0;
}

/* [closed early counts][service line given]: the line compared by equality, so the index on
 * (customer_id, service_line_id, status) narrows to the customer's conversations on that line. */
#define JOINABLE_SQL(line_match, solved)                                                         \
    "SELECT id, status FROM conversations WHERE customer_id = ? AND " line_match                 \
    " AND merged_into IS NULL AND (status IN ('open', 'pending') OR (status IN (" solved         \
    ") AND solved_at >= ?))"
static const char *const joinable_sql[2][2] = {
    {JOINABLE_SQL("service_line_id IS NULL", "'solved'"),
     JOINABLE_SQL("service_line_id = ?", "'solved'")},
    {JOINABLE_SQL("service_line_id IS NULL", "'solved', 'closed'"),
     JOINABLE_SQL("service_line_id = ?", "'solved', 'closed'")},
};

/* A replaying import's answer (joinable_cache.h): 1 when it has one. */
static int joinable_remembered(const conv_replay *replay, int64_t customer_id, int64_t line,
                               int64_t at, int64_t since, int64_t *id, int *reopen)
{
    const joinable_entry *j =
        replay && replay->joinable ? joinable_cache_get(replay->joinable, customer_id, line) : NULL;
    if (!j || at < j->since) return 0;
    if (j->state == JOINABLE_OPEN || (j->state == JOINABLE_SOLVED && j->solved_at >= since)) {
        *id = j->conversation_id;
        *reopen = j->state == JOINABLE_SOLVED;
    }
    return 1;
}

/* The conversation a new contact joins: an open/pending one of the customer on the service
 * line, else one solved within reopen_days of `at` (reopened) — which, replaying an import,
 * includes one the import closed early (conv_replay). 0 when none. The preference (open or
 * pending first, then the newest) is applied here rather than by an ORDER BY, which costs
 * SQLite a sorter per contact. *alone: at most one could be joined. */
static int find_joinable(store *db, int64_t customer_id, int64_t line, int64_t at,
                         const conv_replay *replay, int64_t *id, int *reopen, int *alone)
{
    store_stmt *st;
    *id = 0;
    *reopen = 0;
    *alone = 1;
    int64_t since = at - settings_int(db, "reopen_days", 7) * DAY_MS;
    if (joinable_remembered(replay, customer_id, line, at, since, id, reopen)) return 0;
    int early = replay && replay->closed_early;
    int rc = store_prepare(db, joinable_sql[early][line != 0], &st);
    if (rc < 0) return rc;
    int arg = 1, best_done = 0, found_count = 0;
    store_bind_int(st, arg++, customer_id);
    if (line) store_bind_int(st, arg++, line);
    store_bind_int(st, arg, since);
    while ((rc = store_step(st)) == STORE_ROW) {
        int64_t found = store_col_int(st, 0);
        const char *status = store_col_text(st, 1);
        int closed = !strcmp(status, "closed"), done = closed || !strcmp(status, "solved");
        if (closed && !replay->closed_early(replay, found)) continue;
        found_count++;
        if (*id && (done > best_done || (done == best_done && found < *id))) continue;
        *id = found;
        *reopen = best_done = done;
    }
    store_finish(st);
    *alone = found_count <= 1;
    return rc < 0 ? rc : 0;
}

/* The row insert_conversation wrote, as read_conv would read it back (the table's defaults
 * for what the INSERT leaves out; number set by the caller): RETURNING of the whole row costs
 * SQLite a temporary b-tree per conversation. */
static void new_conv_row(conv_row *c, int64_t id, int64_t customer_id, int64_t line, int64_t at,
                         int channel)
{
    char number[sizeof c->number];
    memcpy(number, c->number, sizeof number);
    memset(c, 0, sizeof *c);
    memcpy(c->number, number, sizeof number);
    c->id = id;
    c->customer_id = customer_id;
    c->service_line_id = line;
    c->created_at = at;
    snprintf(c->status, sizeof c->status, "open");
    snprintf(c->priority, sizeof c->priority, "normal");
    snprintf(c->channel, sizeof c->channel, "%s", channel_name(channel));
}

char *conv_search_text_dup(const char *subject, const char *body)
{
    buf text;
    buf_init(&text, 1 << 20);
    buf_puts(&text, subject ? subject : "");
    buf_puts(&text, " ");
    buf_puts(&text, body ? body : "");
    char *norm = text_normalize_dup(text.data);
    buf_fini(&text);
    return norm;
}

/* A time in milliseconds, or NULL for 0 (none). */
static void bind_time_or_null(store_stmt *st, int idx, int64_t ms)
{
    if (ms)
        store_bind_int(st, idx, ms);
    else
        store_bind_null(st, idx);
}

/* A new conversation with its first contact counted, its search text and SLA due times, in
 * one statement. */
static int insert_conversation(store *db, const contact_input *in, int64_t customer_id, int64_t line,
                               int64_t at, int64_t now, conv_row *c)
{
    int64_t first_due, res_due;
    int rc = next_number(db, in->replay, c->number, sizeof c->number);
    if (rc == 0) rc = sla_due(db, line, "normal", at, 0, &first_due, &res_due);
    if (rc < 0) return rc;
    char *norm = in->search_text ? NULL : conv_search_text_dup(in->subject, in->body);
    store_stmt *st;
    rc = store_prepare(db, "INSERT INTO conversations (number, customer_id, channel, "
                           "service_line_id, subject, search_text, created_at, updated_at, "
                           "first_response_due_at, resolution_due_at, contacts_count, status, "
                           "solved_at, closed_at, pending_since, first_response_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?) RETURNING id", &st);
    if (rc == 0) {
        store_bind_text(st, 1, c->number);
        store_bind_int(st, 2, customer_id);
        store_bind_text(st, 3, channel_name(in->channel));
        if (line)
            store_bind_int(st, 4, line);
        else
            store_bind_null(st, 4);
        store_bind_text(st, 5, in->subject ? in->subject : "");
        store_bind_text(st, 6, in->search_text ? in->search_text : norm ? norm : "");
        store_bind_int(st, 7, at);
        store_bind_int(st, 8, now);
        store_bind_int(st, 9, first_due);
        store_bind_int(st, 10, res_due);
        const conv_initial *init = in->initial;
        store_bind_text(st, 11, init && init->status ? init->status : "open");
        int64_t times[] = {init ? init->solved_at : 0, init ? init->closed_at : 0,
                           init ? init->pending_since : 0, init ? init->first_response_at : 0};
        for (int i = 0; i < 4; i++)
            bind_time_or_null(st, 12 + i, times[i]);
        rc = store_step(st);
        if (rc == STORE_ROW) {
            new_conv_row(c, store_col_int(st, 0), customer_id, line, at, in->channel);
            if (init && init->status) snprintf(c->status, sizeof c->status, "%s", init->status);
        }
        store_finish(st);
        rc = rc == STORE_ROW ? 0 : (rc < 0 ? rc : SN_EDB);
    }
    free(norm);
    return rc;
}

/* Append normalised text to the conversation's search text. */
static int add_search_text(store *db, int64_t conv, const char *text, int64_t now)
{
    char *norm = text_normalize_dup(text ? text : "");
    if (!norm) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "UPDATE conversations SET search_text = search_text || ' ' || ?, "
                               "updated_at = ? WHERE id = ?", &st);
    if (rc == 0) {
        store_bind_text(st, 1, norm);
        store_bind_int(st, 2, now);
        store_bind_int(st, 3, conv);
        rc = store_step(st);
        store_finish(st);
    }
    free(norm);
    return rc < 0 ? rc : 0;
}

static int insert_message(store *db, int64_t conv, int64_t contact, const char *kind,
                          const char *channel, int64_t author, const char *body,
                          const char *template_code, const char *delivery, const char *meta,
                          int64_t at, int64_t *id)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO messages (conversation_id, contact_id, kind, channel, "
                               "author_id, body, template_code, delivery, meta, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    if (contact)
        store_bind_int(st, 2, contact);
    else
        store_bind_null(st, 2);
    store_bind_text(st, 3, kind);
    store_bind_text(st, 4, channel);
    if (author)
        store_bind_int(st, 5, author);
    else
        store_bind_null(st, 5);
    store_bind_text(st, 6, body);
    store_bind_text(st, 7, template_code);
    store_bind_text(st, 8, delivery);
    store_bind_text(st, 9, meta ? meta : "{}");
    store_bind_int(st, 10, at);
    rc = store_step(st);
    int64_t mid = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (id) *id = mid;
    return rc == STORE_ROW ? 0 : (rc < 0 ? rc : SN_EDB);
}

static int insert_contact(store *db, const contact_input *in, int64_t conv, int64_t customer_id,
                          int64_t line, int64_t at, int64_t now, int64_t *id)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO contacts (conversation_id, customer_id, channel, "
                               "service_line_id, received_at, created_at, external_id) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    store_bind_int(st, 2, customer_id);
    store_bind_text(st, 3, channel_name(in->channel));
    if (line)
        store_bind_int(st, 4, line);
    else
        store_bind_null(st, 4);
    store_bind_int(st, 5, at);
    store_bind_int(st, 6, now);
    store_bind_text(st, 7, in->external_id);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc == STORE_ROW ? 0 : (rc < 0 ? rc : SN_EDB);
}

/* A contact joins conversation id: pending → open (the customer answered), solved → reopened;
 * counted, its text added to the search text and — an import's line — left in the line's
 * outcome (contact_input.initial), all in one UPDATE of the row. */
static int join_conversation(store *db, const actor *who, const contact_input *in, int64_t id,
                             int reopen, int64_t now, conv_row *c)
{
    int rc = conv_load(db, id, c);
    if (rc < 0) return rc;
    /* Closed early by an import replaying history (find_joinable): solved until it ends. */
    if (reopen && !strcmp(c->status, "closed")) snprintf(c->status, sizeof c->status, "solved");
    int to_open = reopen || !strcmp(c->status, "pending");
    if (!strcmp(c->status, "pending") && (rc = conv_resume(db, c, now)) < 0) return rc;
    const conv_initial *outcome = in->initial && in->initial->status ? in->initial : NULL;
    char *norm = text_normalize_dup(in->body ? in->body : "");
    store_stmt *st;
    rc = store_prepare(db, "UPDATE conversations SET status = COALESCE(?, status), "
                           "reopened = reopened + ?, "
                           "solved_at = CASE WHEN ? THEN ? ELSE solved_at END, "
                           "closed_at = CASE WHEN ? THEN ? ELSE closed_at END, "
                           "pending_since = CASE WHEN ? THEN ? ELSE pending_since END, "
                           "first_response_at = COALESCE(first_response_at, ?), "
                           "contacts_count = contacts_count + 1, "
                           "search_text = search_text || ' ' || ?, updated_at = ? WHERE id = ?",
                       &st);
    if (rc == 0) {
        store_bind_text(st, 1, outcome ? outcome->status : to_open ? "open" : NULL);
        store_bind_int(st, 2, reopen);
        /* solved_at and closed_at: the outcome's, or cleared by a move to open */
        store_bind_int(st, 3, outcome || to_open);
        bind_time_or_null(st, 4, outcome ? outcome->solved_at : 0);
        store_bind_int(st, 5, outcome || to_open);
        bind_time_or_null(st, 6, outcome ? outcome->closed_at : 0);
        store_bind_int(st, 7, outcome != NULL);
        bind_time_or_null(st, 8, outcome ? outcome->pending_since : 0);
        bind_time_or_null(st, 9, in->initial ? in->initial->first_response_at : 0);
        store_bind_text(st, 10, norm ? norm : "");
        store_bind_int(st, 11, now);
        store_bind_int(st, 12, id);
        rc = store_step(st);
        store_finish(st);
    }
    free(norm);
    if (rc >= 0 && to_open)
        rc = conv_timeline_add_json(db, id, who, "status",
                                    json_pack("{s:s, s:s, s:b}", "from", c->status, "to", "open",
                                              "by_contact", 1),
                                    now);
    snprintf(c->status, sizeof c->status, "%s", outcome ? outcome->status : "open");
    return rc < 0 ? rc : 0;
}

/* The conversation a threaded contact (an email reply) joins: the named one, or the one it was
 * merged into; solved ones reopen; a closed one is final (0: the contact starts a new one). */
static int find_thread(store *db, int64_t target, int64_t *id, int *reopen)
{
    *id = 0;
    *reopen = 0;
    for (int hops = 0; target && hops < 8; hops++) {
        conv_row c;
        int rc = conv_load(db, target, &c);
        if (rc == SN_ENOTFOUND) return 0;
        if (rc < 0) return rc;
        if (c.merged_into) {
            target = c.merged_into;
            continue;
        }
        if (strcmp(c.status, "closed") != 0) {
            *id = c.id;
            *reopen = !strcmp(c.status, "solved");
        }
        return 0;
    }
    return 0;
}

/* An external id already imported: report the existing contact, write nothing. */
static int find_external(store *db, const char *external_id, contact_result *out)
{
    if (!external_id) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT c.id, c.conversation_id, c.customer_id, v.number FROM "
                               "contacts c JOIN conversations v ON v.id = c.conversation_id "
                               "WHERE c.external_id = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, external_id);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        out->contact_id = store_col_int(st, 0);
        out->conversation_id = store_col_int(st, 1);
        out->customer_id = store_col_int(st, 2);
        snprintf(out->number, sizeof out->number, "%s", store_col_text(st, 3));
        out->duplicate = 1;
        out->joined = 1;
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int intake(store *db, const actor *who, const contact_input *in, int64_t now, int may_join,
                  contact_result *out, sn_err *e)
{
    int64_t at = in->received_at ? in->received_at : now, line, cust_id, contact;
    int created, rc, reopen = 0;
    memset(out, 0, sizeof *out);
    if (in->channel < 0 || in->channel >= CH_COUNT)
        return sn_fail(e, SN_EUNPROCESSABLE, "channel", "channel must be phone, email, x, form or chat");
    if ((rc = service_line_id_of(db, in->service_line, &line, e)) < 0) return rc;
    if ((rc = find_external(db, in->external_id, out)) < 0) goto db_fail;
    if (out->duplicate) return 0;
    if ((rc = customer_resolve(db, &in->customer, now, in->replay ? in->replay->customers : NULL,
                                 &cust_id, &created)) < 0) goto db_fail;
    int64_t conv_id = 0;
    out->alone = created || (may_join && !in->conversation_id);
    if (in->conversation_id) {
        if ((rc = find_thread(db, in->conversation_id, &conv_id, &reopen)) < 0) goto db_fail;
    } else if (may_join && !created &&
               ((rc = customer_lock(db, &cust_id)) < 0 ||
                (rc = find_joinable(db, cust_id, line, at, in->replay, &conv_id, &reopen,
                                    &out->alone)) < 0)) {
        goto db_fail;
    }
    conv_row c;
    if (conv_id)
        rc = join_conversation(db, who, in, conv_id, reopen, now, &c);
    else
        rc = insert_conversation(db, in, cust_id, line, at, now, &c);
    if (rc < 0) goto db_fail;
    if ((rc = insert_contact(db, in, c.id, cust_id, line, at, now, &contact)) < 0) goto db_fail;
    if ((rc = insert_message(db, c.id, contact, "inbound", channel_name(in->channel), 0,
                             in->body ? in->body : "", NULL, "received", in->meta_json, at,
                             &out->message_id)) < 0)
        goto db_fail;
    out->contact_id = contact;
    out->conversation_id = c.id;
    out->customer_id = cust_id;
    out->joined = conv_id != 0;
    snprintf(out->number, sizeof out->number, "%s", c.number);
    if (in->historical) return 0;
    /* Triggers act before routing, so an assignment or queue they set is the one that counts. */
    if ((!conv_id && (rc = trigger_run(db, "conversation.created", c.id, contact)) < 0) ||
        (rc = trigger_run(db, "contact.created", c.id, contact)) < 0)
        goto db_fail;
    if ((rc = events_emit_conversation(db, out->joined ? "contact.joined" : "conversation.created",
                                       c.id, contact)) < 0)
        goto db_fail;
    if (!out->joined && (rc = routing_assign(db, c.id)) < 0) goto db_fail;
    if ((rc = template_after_hours(db, c.id, in->channel, at)) < 0) goto db_fail;
    return 0;
db_fail:
    if (rc == SN_ECONFLICT) return sn_fail(e, SN_ECONFLICT, NULL, "a concurrent change conflicted; retry");
    if (rc == SN_EUNAVAILABLE) /* a deadlock or serialization failure: nothing was stored */
        return sn_fail(e, SN_EUNAVAILABLE, NULL, "the database is busy; retry");
    return sn_fail(e, SN_EDB, NULL, "cannot store the contact");
}

int contact_receive_in_tx(store *db, const actor *who, const contact_input *in, int64_t now,
                          contact_result *out, sn_err *e)
{
    return intake(db, who, in, now, 1, out, e);
}

/* Run the intake in its own transaction, retrying once on a unique-key race (two contacts
 * bringing the same new identity at once on PostgreSQL). */
static int intake_tx(store *db, const actor *who, const contact_input *in, int may_join,
                     contact_result *out, sn_err *e)
{
    int rc = SN_EDB;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot store the contact");
        rc = intake(db, who, in, clock_now_ms(), may_join, out, e);
        if (rc == 0 && store_commit(db) == 0) return 0;
        store_rollback(db);
        if (rc != SN_ECONFLICT) break;
    }
    return rc < 0 ? rc : sn_fail(e, SN_EDB, NULL, "cannot store the contact");
}

int contact_receive(store *db, const actor *who, const contact_input *in, contact_result *out,
                    sn_err *e)
{
    return intake_tx(db, who, in, 1, out, e);
}

int conv_open(store *db, const actor *who, const contact_input *in, contact_result *out, sn_err *e)
{
    return intake_tx(db, who, in, 0, out, e);
}

static const char *const statuses[] = {"open", "pending", "solved", "closed"};
static const char *const priority_names[] = {"low", "normal", "high", "urgent"};

static int in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v, list[i])) return 1;
    return 0;
}

/* Allowed moves of the status machine in this file's header. */
static int status_move_ok(const char *from, const char *to)
{
    if (!strcmp(from, to)) return 1;
    if (!strcmp(from, "closed")) return 0;
    if (!strcmp(to, "closed")) return !strcmp(from, "solved");
    return 1;
}

static int apply_status(store *db, const actor *who, conv_row *c, const char *to, int64_t now,
                        sn_err *e)
{
    if (!in_list(to, statuses, 4))
        return sn_fail(e, SN_EUNPROCESSABLE, "status", "status must be open, pending, solved or closed");
    if (!status_move_ok(c->status, to))
        return sn_fail_slug(e, SN_ECONFLICT, "invalid_transition", "status",
                            "a %s conversation cannot become %s", c->status, to);
    if (!strcmp(c->status, to)) return 0;
    int rc = 0;
    if (!strcmp(c->status, "pending")) rc = conv_resume(db, c, now);
    int64_t args[] = {now, c->id};
    if (rc == 0 && !strcmp(to, "pending"))
        rc = store_exec_ints(db, "UPDATE conversations SET status = 'pending', pending_since = ? WHERE id = ?", 2, args);
    else if (rc == 0 && !strcmp(to, "solved"))
        rc = store_exec_ints(db, "UPDATE conversations SET status = 'solved', solved_at = ? WHERE id = ?", 2, args);
    else if (rc == 0 && !strcmp(to, "closed"))
        rc = store_exec_ints(db, "UPDATE conversations SET status = 'closed', closed_at = ? WHERE id = ?", 2, args);
    else if (rc == 0) {
        /* An agent reopening a solved conversation: it was not resolved at first contact. */
        int64_t reopen_args[] = {!strcmp(c->status, "solved"), c->id};
        rc = store_exec_ints(db, "UPDATE conversations SET status = 'open', solved_at = NULL, "
                           "reopened = reopened + ? WHERE id = ?", 2, reopen_args);
    }
    if (rc == 0)
        rc = conv_timeline_add_json(db, c->id, who, "status", json_pack("{s:s, s:s}", "from", c->status, "to", to), now);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    snprintf(c->status, sizeof c->status, "%s", to);
    return 0;
}

static int apply_assignee(store *db, const actor *who, conv_row *c, int64_t assignee, int64_t now,
                          sn_err *e)
{
    if (assignee == c->assignee_id) return 0;
    if (assignee) {
        store_stmt *st;
        if (store_prepare(db, "SELECT disabled FROM users WHERE id = ?", &st) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot read user");
        store_bind_int(st, 1, assignee);
        int rc = store_step(st);
        int ok = rc == STORE_ROW && store_col_int(st, 0) == 0;
        store_finish(st);
        if (!ok) return sn_fail(e, SN_EUNPROCESSABLE, "assignee_id", "no such active user");
    }
    store_stmt *st;
    if (store_prepare(db, "UPDATE conversations SET assignee_id = ?, updated_at = ? WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    if (assignee)
        store_bind_int(st, 1, assignee);
    else
        store_bind_null(st, 1);
    store_bind_int(st, 2, now);
    store_bind_int(st, 3, c->id);
    int rc = store_step(st);
    store_finish(st);
    json_t *d = json_object();
    json_object_set_new(d, "from", c->assignee_id ? json_integer(c->assignee_id) : json_null());
    json_object_set_new(d, "to", assignee ? json_integer(assignee) : json_null());
    if (rc < 0 || conv_timeline_add_json(db, c->id, who, "assignment", d, now) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    c->assignee_id = assignee;
    return 0;
}

/* Priority or service line changes re-derive the SLA due times. */
static int apply_sla_fields(store *db, const actor *who, conv_row *c, const conv_patch *p,
                            int64_t now, sn_err *e)
{
    int changed = 0, rc;
    if (p->priority && strcmp(p->priority, c->priority)) {
        if (!in_list(p->priority, priority_names, 4))
            return sn_fail(e, SN_EUNPROCESSABLE, "priority", "priority must be low, normal, high or urgent");
        store_stmt *st;
        if (store_prepare(db, "UPDATE conversations SET priority = ? WHERE id = ?", &st) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
        store_bind_text(st, 1, p->priority);
        store_bind_int(st, 2, c->id);
        rc = store_step(st);
        store_finish(st);
        if (rc < 0 || conv_timeline_add_json(db, c->id, who, "priority", json_pack("{s:s, s:s}", "from",
                                 c->priority, "to", p->priority), now) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
        snprintf(c->priority, sizeof c->priority, "%s", p->priority);
        changed = 1;
    }
    if (p->service_line) {
        int64_t line;
        if ((rc = service_line_id_of(db, p->service_line, &line, e)) < 0) return rc;
        if (line != c->service_line_id) {
            int64_t args[] = {line, c->id};
            if (store_exec_ints(db, "UPDATE conversations SET service_line_id = ? WHERE id = ?", 2, args) < 0 ||
                conv_timeline_add_json(db, c->id, who, "service_line", json_pack("{s:s}", "to", p->service_line), now) < 0)
                return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
            c->service_line_id = line;
            changed = 1;
        }
    }
    if (changed && conv_sla_refresh(db, c) < 0) return sn_fail(e, SN_EDB, NULL, "cannot update the SLA");
    return 0;
}

static int apply_tags(store *db, const actor *who, conv_row *c, json_t *tags, int64_t now, sn_err *e)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        size_t n = strlen(json_string_value(t));
        if (n == 0 || n > 64) return sn_fail(e, SN_EUNPROCESSABLE, "tags", "a tag has 1 to 64 characters");
    }
    char *text = json_dumps(tags, JSON_COMPACT);
    store_stmt *st;
    int rc = text ? store_prepare(db, "UPDATE conversations SET tags = ? WHERE id = ?", &st) : SN_EINTERNAL;
    if (rc == 0) {
        store_bind_text(st, 1, text);
        store_bind_int(st, 2, c->id);
        rc = store_step(st);
        store_finish(st);
    }
    free(text);
    if (rc < 0 || conv_timeline_add_json(db, c->id, who, "tags", json_pack("{s:O}", "to", tags), now) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    return 0;
}

int conv_update_in_tx(store *db, const actor *who, int64_t id, const conv_patch *p, int64_t now,
                      sn_err *e)
{
    conv_row c;
    int rc = conv_load(db, id, &c);
    if (rc < 0) rc = rc == SN_ENOTFOUND ? sn_fail(e, rc, NULL, "no such conversation") : sn_fail(e, SN_EDB, NULL, "cannot read the conversation");
    if (rc == 0 && c.merged_into) rc = sn_fail(e, SN_ECONFLICT, NULL, "the conversation was merged");
    if (rc == 0) rc = apply_sla_fields(db, who, &c, p, now, e);
    if (rc == 0 && p->has_assignee) rc = apply_assignee(db, who, &c, p->assignee_id, now, e);
    if (rc == 0 && p->tags) rc = apply_tags(db, who, &c, p->tags, now, e);
    if (rc == 0 && p->status) rc = apply_status(db, who, &c, p->status, now, e);
    return rc;
}

int conv_update(store *db, const actor *who, int64_t id, const conv_patch *p, sn_err *e)
{
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    int rc = conv_update_in_tx(db, who, id, p, clock_now_ms(), e);
    if (rc == 0 && trigger_run(db, "conversation.updated", id, 0) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    if (rc == 0 && events_emit_conversation(db, "conversation.updated", id, 0) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    if (rc < 0) store_rollback(db);
    return rc;
}

/* The text of a reply: the body, or the approved template rendered for this conversation. */
static int reply_text(store *db, const conv_row *c, const char *agent_name, const message_input *in,
                      char **text, sn_err *e)
{
    if (!in->template_code) {
        if (!in->body || !*in->body) return sn_fail(e, SN_EUNPROCESSABLE, "body", "give a body or a template");
        *text = strdup(in->body);
        return *text ? 0 : sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    }
    customer cust;
    int rc = customer_get(db, c->customer_id, &cust, e);
    if (rc < 0) return rc;
    /* An empty value is no value: a template that needs it fails instead of leaving a hole. */
    json_t *ctx = json_pack("{s:{}, s:{s:s}, s:{}}", "customer", "conversation", "number",
                            c->number, "agent");
    if (cust.name[0]) json_object_set_new(json_object_get(ctx, "customer"), "name", json_string(cust.name));
    if (agent_name && *agent_name)
        json_object_set_new(json_object_get(ctx, "agent"), "name", json_string(agent_name));
    rc = template_render(db, in->template_code, in->lang ? in->lang : "ar", c->channel, ctx, text, e);
    json_decref(ctx);
    return rc;
}

int conv_add_message(store *db, const actor *who, const char *agent_name, int64_t id,
                     const message_input *in, int64_t *message_id, sn_err *e)
{
    int note = !strcmp(in->kind, "note");
    if (!note && strcmp(in->kind, "reply"))
        return sn_fail(e, SN_EUNPROCESSABLE, "kind", "kind must be reply or note");
    if (in->channel && channel_parse(in->channel) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "channel", "unknown channel");
    int64_t now = clock_now_ms();
    conv_row c;
    char *text = NULL;
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot add the message");
    int rc = conv_load(db, id, &c);
    if (rc < 0) rc = rc == SN_ENOTFOUND ? sn_fail(e, rc, NULL, "no such conversation") : sn_fail(e, SN_EDB, NULL, "cannot read the conversation");
    if (rc == 0 && (c.merged_into || !strcmp(c.status, "closed")) && !note)
        rc = sn_fail_slug(e, SN_ECONFLICT, "conversation_closed", NULL, "the conversation is closed");
    if (rc == 0) rc = reply_text(db, &c, agent_name, in, &text, e);
    const char *channel = in->channel ? in->channel : c.channel;
    int64_t mid = 0;
    if (rc == 0 && insert_message(db, id, 0, note ? "note" : "reply", note ? "" : channel, who->user_id,
                                  text, in->template_code, note ? "" : "queued", NULL, now, &mid) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot add the message");
    if (message_id) *message_id = mid;
    if (rc == 0 && !note && outbox_enqueue(db, mid, channel, now) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot add the message");
    if (rc == 0 && !note && !c.first_response_at) {
        int64_t args[] = {now, id};
        if (store_exec_ints(db, "UPDATE conversations SET first_response_at = ? WHERE id = ?", 2, args) < 0)
            rc = sn_fail(e, SN_EDB, NULL, "cannot add the message");
    }
    if (rc == 0 && !note && add_search_text(db, id, text, now) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot add the message");
    if (rc == 0 && events_emit_conversation(db, "message.created", id, 0) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot add the message");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot add the message");
    if (rc < 0) store_rollback(db);
    free(text);
    return rc;
}

int conv_merge(store *db, const actor *who, int64_t into, int64_t other, sn_err *e)
{
    if (into == other) return sn_fail(e, SN_EUNPROCESSABLE, "other_id", "cannot merge a conversation into itself");
    int64_t now = clock_now_ms();
    conv_row a, b;
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot merge");
    int rc = conv_load(db, into, &a);
    if (rc == SN_ENOTFOUND) rc = sn_fail(e, rc, NULL, "no such conversation");
    if (rc == 0 && (rc = conv_load(db, other, &b)) == SN_ENOTFOUND)
        rc = sn_fail(e, SN_EUNPROCESSABLE, "other_id", "no such conversation");
    if (rc == 0 && (a.merged_into || b.merged_into))
        rc = sn_fail(e, SN_ECONFLICT, "other_id", "already merged");
    int64_t ids[] = {into, other};
    if (rc == 0 &&
        (store_exec_ints(db, "UPDATE contacts SET conversation_id = ? WHERE conversation_id = ?", 2, ids) < 0 ||
         store_exec_ints(db, "UPDATE messages SET conversation_id = ? WHERE conversation_id = ?", 2, ids) < 0 ||
         store_exec_ints(db, "UPDATE escalations SET conversation_id = ? WHERE conversation_id = ?", 2, ids) < 0 ||
         store_exec_ints(db, "UPDATE conversations SET merged_into = ?, status = 'closed' WHERE id = ?", 2, ids) < 0 ||
         store_exec_ints(db, "UPDATE conversations SET contacts_count = (SELECT COUNT(*) FROM contacts "
                       "WHERE conversation_id = ?) WHERE id = ?", 2, (int64_t[]){into, into}) < 0 ||
         conv_timeline_add_json(db, into, who, "merge", json_pack("{s:I, s:s}", "merged", (json_int_t)other, "number", b.number), now) < 0 ||
         conv_timeline_add_json(db, other, who, "merged_into", json_pack("{s:I, s:s}", "into", (json_int_t)into, "number", a.number), now) < 0))
        rc = sn_fail(e, SN_EDB, NULL, "cannot merge");
    if (rc == 0 && b.escalated) {
        int64_t args[] = {into};
        if (store_exec_ints(db, "UPDATE conversations SET escalated = 1 WHERE id = ?", 1, args) < 0)
            rc = sn_fail(e, SN_EDB, NULL, "cannot merge");
    }
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot merge");
    if (rc < 0) {
        if (e->code == 0) sn_fail(e, SN_EDB, NULL, "cannot merge");
        store_rollback(db);
    }
    return rc;
}

/* Closing runs in batches of CLOSE_BATCH, one short transaction each, so a backlog of
 * thousands (after an import) never holds the write lock long enough to stall sign-ins. */
#define CLOSE_BATCH 1000

static int close_batch(store *db, int64_t now, int64_t before, int *n)
{
    store_stmt *st;
    int rc = store_begin_write(db);
    if (rc < 0) return rc;
    rc = store_prepare(db, "UPDATE conversations SET status = 'closed', closed_at = ? WHERE id IN "
                           "(SELECT id FROM conversations WHERE status = 'solved' AND solved_at < ? "
                           "ORDER BY solved_at LIMIT ?)", &st);
    if (rc == 0) {
        store_bind_int(st, 1, now);
        store_bind_int(st, 2, before);
        store_bind_int(st, 3, CLOSE_BATCH);
        rc = store_step(st);
        *n = rc == STORE_DONE ? (int)store_changes(st) : 0;
        store_finish(st);
    }
    if (rc >= 0 && store_commit(db) == 0) return 0;
    store_rollback(db);
    return SN_EDB;
}

int conv_close_sweep(store *db, int64_t now, int *closed)
{
    int64_t before = now - settings_int(db, "close_after_days", 4) * DAY_MS;
    int n = 0, rc;
    *closed = 0;
    do {
        if ((rc = close_batch(db, now, before, &n)) < 0) return rc;
        *closed += n;
    } while (n == CLOSE_BATCH);
    return 0;
}
