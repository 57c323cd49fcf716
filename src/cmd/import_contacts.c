/* import_contacts.c — the "contacts" kind of `sanad import`: one contact per line, as the
 * intake (POST /api/v1/contacts) takes it, with what an export from another system carries
 * besides:
 *   external_id        the idempotency key (a repeated one is a duplicate, nothing written);
 *   status             open | pending | solved | closed: the conversation after this contact;
 *   solved_at          when it was solved (status solved or closed; default received_at);
 *   first_response_at  when the center first answered (for the first-response SLA figures);
 *   escalated_to       a department code: the conversation was escalated there (an escalation
 *                      row, resolved when the conversation is solved).
 * Every code is checked against the database once, before the first line is read. Lines are
 * history: they go through the intake in its historical mode (no triggers, routing, automatic
 * replies or webhook events) and as of their own time.
 *
 * A conversation a line leaves solved before the closing cutoff (close_after_days before the
 * run started) is written closed at once, closed_at = solved_at + close_after_days, as the
 * closing sweep after the run would leave it: one write instead of an update of each of them
 * afterwards (18 s of a 1.4-million-line run). Until the run ends it still counts as solved for
 * later lines (conv_replay.closed_early): the data is the same as with the sweep alone. The
 * batch's conversation numbers are reserved in one update of the counter (SQLite). */
#include "import.h"

#include "../core/bizhours.h"
#include "../core/clock.h"
#include "../core/idset.h"
#include "../domain/conversation.h"
#include "../domain/customer_cache.h"
#include "../domain/joinable_cache.h"
#include "../domain/settings.h"
#include "../domain/sla.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bounds of POST /api/v1/contacts (api/conversations.c, api/customers.c). */
static const import_field contact_line_fields[] = {
    {"channel", JSON_STRING, 1, 16, 0},      {"customer", JSON_OBJECT, 1, 0, 0},
    {"service_line", JSON_STRING, 0, 63, 0}, {"subject", JSON_STRING, 0, 500, 0},
    {"body", JSON_STRING, 0, 100000, 0},     {"received_at", JSON_STRING, 0, 40, 0},
    {"external_id", JSON_STRING, 0, 200, 0}, {"status", JSON_STRING, 0, 16, 0},
    {"solved_at", JSON_STRING, 0, 40, 0},    {"first_response_at", JSON_STRING, 0, 40, 0},
    {"escalated_to", JSON_STRING, 0, 63, 0}, {NULL, 0, 0, 0, 0},
};

static const import_field customer_line_fields[] = {
    {"name", JSON_STRING, 0, 200, 0},
    {"national_id", JSON_STRING, 0, 32, 0},
    {"cr_number", JSON_STRING, 0, 32, 0},
    {"phones", JSON_ARRAY, 0, 64, CUSTOMER_MAX_IDS},
    {"emails", JSON_ARRAY, 0, 254, CUSTOMER_MAX_IDS},
    {"x_handle", JSON_STRING, 0, 32, 0},
    {NULL, 0, 0, 0, 0},
};

#define CODE_MAX 64
#define CODES_MAX 100000

/* A service line or department as validation and the escalation record need it. */
typedef struct org_code {
    char code[CODE_MAX];
    int64_t id, sla_minutes;
} org_code;

typedef struct code_list {
    int n;
    org_code *codes;
} code_list;

/* A change to the early-closed set in the open batch, undone if the batch rolls back. */
typedef struct early_change {
    int64_t id;
    int was;
} early_change;

typedef struct contacts_ctx {
    code_list service_lines, departments;
    /* The writer's (setup, apply, batch_begin/end); parse on the reader reads only the codes. */
    conv_replay replay;     /* handed to the intake with every line */
    int64_t close_before;   /* solved before this: written closed */
    int64_t close_after_ms; /* close_after_days */
    idset early;            /* conversations written closed and not reopened since */
    early_change *changes;  /* this batch's changes to `early` */
    size_t nchanges, cap_changes;
    int64_t data_version;   /* SQLite's, at the last batch's start: another writer changes it */
} contacts_ctx;

#define DAY_MS (24LL * 3600 * 1000)

static int closed_early(const conv_replay *r, int64_t id)
{
    const contacts_ctx *ctx =
        (const contacts_ctx *)(const void *)((const char *)r - offsetof(contacts_ctx, replay));
    return idset_has(&ctx->early, id);
}

/* Mark conversation id closed early (on) or not, remembering the change for a rollback. */
static int set_early(contacts_ctx *ctx, int64_t id, int on, sn_err *e)
{
    int was = idset_has(&ctx->early, id);
    if (was == on) return 0;
    if (ctx->nchanges == ctx->cap_changes) {
        size_t cap = ctx->cap_changes ? ctx->cap_changes * 2 : 1024;
        void *grown = realloc(ctx->changes, cap * sizeof *ctx->changes);
        if (!grown) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
        ctx->changes = grown;
        ctx->cap_changes = cap;
    }
    if (on ? idset_add(&ctx->early, id) < 0 : !idset_remove(&ctx->early, id))
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    ctx->changes[ctx->nchanges++] = (early_change){id, was};
    return 0;
}

enum { STATUS_KEEP, STATUS_OPEN, STATUS_PENDING, STATUS_SOLVED, STATUS_CLOSED };
static const char *const status_names[] = {"", "open", "pending", "solved", "closed"};

typedef struct contact_line {
    contact_input in;
    int64_t at; /* received_at, or when the line was read */
    int status;
    int64_t solved_at, first_response_at;
    int64_t line_id;              /* the service line's, or 0 */
    const org_code *escalated_to; /* the department, or NULL */
    char *texts;                  /* what in.subject, body and external_id point into */
} contact_line;

/* Rows of (code, id, sla_minutes). */
static int load_codes(store *db, const char *sql, code_list *out)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st), cap = 0;
    if (rc < 0) return rc;
    while ((rc = store_step(st)) == STORE_ROW && out->n < CODES_MAX) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            void *grown = realloc(out->codes, (size_t)cap * sizeof *out->codes);
            if (!grown) {
                rc = SN_EINTERNAL;
                break;
            }
            out->codes = grown;
        }
        org_code *o = &out->codes[out->n++];
        snprintf(o->code, sizeof o->code, "%s", store_col_text(st, 0));
        o->id = store_col_int(st, 1);
        o->sla_minutes = store_col_int(st, 2);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static const org_code *find_code(const code_list *l, const char *code)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->codes[i].code, code)) return &l->codes[i];
    return NULL;
}

static void contacts_teardown(void *vctx)
{
    contacts_ctx *ctx = vctx;
    if (!ctx) return;
    free(ctx->service_lines.codes);
    free(ctx->departments.codes);
    idset_fini(&ctx->early);
    free(ctx->changes);
    customer_cache_free(ctx->replay.customers);
    joinable_cache_free(ctx->replay.joinable);
    free(ctx);
}

static int contacts_setup(store *db, void **out, sn_err *e)
{
    contacts_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    if (load_codes(db, "SELECT code, id, 0 FROM service_lines", &ctx->service_lines) < 0 ||
        load_codes(db, "SELECT code, id, sla_minutes FROM departments", &ctx->departments) < 0) {
        contacts_teardown(ctx);
        return sn_fail(e, SN_EDB, NULL, "cannot read service lines and departments: %s",
                       store_errmsg(db));
    }
    ctx->replay.closed_early = closed_early;
    /* SQLite, this connection: foreign keys unchecked. Every reference a line writes is an id
     * read or written in the same write transaction, and nothing deletes the rows referred to
     * (customers, conversations, contacts, service lines, departments, users; merges only mark
     * merged_into; none of these tables cascades), so the ~9 parent look-ups per line — 6 s of
     * the 1.4-million-line seed's 63 — check what cannot fail. tests/api/import_reports runs
     * PRAGMA foreign_key_check over what the imports wrote. PostgreSQL checks them still. */
    if (store_kind_of(db) == STORE_SQLITE && store_exec(db, "PRAGMA foreign_keys = OFF") < 0) {
        contacts_teardown(ctx);
        return sn_fail(e, SN_EDB, NULL, "cannot set up the import: %s", store_errmsg(db));
    }
    /* SQLite tells when another connection wrote (batch_begin); PostgreSQL would not. */
    if (store_kind_of(db) == STORE_SQLITE && (!(ctx->replay.customers = customer_cache_new()) ||
                                              !(ctx->replay.joinable = joinable_cache_new()))) {
        contacts_teardown(ctx);
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    }
    ctx->close_after_ms = settings_int(db, "close_after_days", 4) * DAY_MS;
    ctx->close_before = clock_now_ms() - ctx->close_after_ms;
    *out = ctx;
    return 0;
}

/* What the caches remember (they are SQLite's only). */
static void forget_all(contacts_ctx *ctx)
{
    customer_cache_clear(ctx->replay.customers);
    joinable_cache_clear(ctx->replay.joinable);
}

/* SQLite: forget what the caches remember if another connection wrote since the last batch
 * (it may have merged customers or changed conversations), then reserve a conversation number for every line of the batch
 * (the batch holds the write lock, so the block is ours); batch_end gives back what was not
 * used. PostgreSQL numbers come from a sequence. */
static int contacts_batch_begin(void *vctx, store *db, int lines, sn_err *e)
{
    contacts_ctx *ctx = vctx;
    ctx->nchanges = 0;
    ctx->replay.number_next = ctx->replay.number_last = 0;
    if (store_kind_of(db) != STORE_SQLITE || lines < 1) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "PRAGMA data_version", &st);
    if (rc == 0 && (rc = store_step(st)) == STORE_ROW) {
        int64_t version = store_col_int(st, 0);
        if (version != ctx->data_version) forget_all(ctx);
        ctx->data_version = version;
    }
    store_finish(st);
    if (rc != STORE_ROW) return sn_fail(e, SN_EDB, NULL, "cannot read the data version");
    rc = store_prepare(db, "UPDATE counters SET value = value + ? WHERE name = "
                           "'conversation' RETURNING value", &st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot reserve numbers: %s", store_errmsg(db));
    store_bind_int(st, 1, lines);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        ctx->replay.number_last = store_col_int(st, 0);
        ctx->replay.number_next = ctx->replay.number_last - lines + 1;
    }
    store_finish(st);
    return rc == STORE_ROW ? 0 : sn_fail(e, SN_EDB, NULL, "cannot reserve numbers");
}

static int contacts_batch_end(void *vctx, store *db, int committing, sn_err *e)
{
    contacts_ctx *ctx = vctx;
    int64_t unused = ctx->replay.number_next ? ctx->replay.number_last - ctx->replay.number_next + 1 : 0;
    ctx->replay.number_next = ctx->replay.number_last = 0;
    if (!committing) {
        forget_all(ctx); /* the caches may name rows rolled back */
        while (ctx->nchanges > 0) {
            early_change *c = &ctx->changes[--ctx->nchanges];
            if (c->was)
                idset_add(&ctx->early, c->id); /* its slot was freed by the removal: no growth */
            else
                idset_remove(&ctx->early, c->id);
        }
        return 0;
    }
    ctx->nchanges = 0;
    if (unused > 0 &&
        store_exec_ints(db, "UPDATE counters SET value = value - ? WHERE name = 'conversation'", 1,
                  &unused) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot give back numbers: %s", store_errmsg(db));
    return 0;
}

/* An ISO 8601 field into *ms (left alone when absent). */
static int time_field(json_t *line, const char *name, int64_t *ms, sn_err *e)
{
    const char *v = import_str(line, name);
    if (v && clock_parse_iso8601(v, ms) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, name, "%s must be an ISO 8601 time", name);
    return 0;
}

/* status, solved_at, first_response_at, escalated_to: the conversation's outcome. */
static int parse_outcome(contacts_ctx *ctx, json_t *line, contact_line *c, sn_err *e)
{
    const char *status = import_str(line, "status");
    c->status = STATUS_KEEP;
    for (int i = STATUS_OPEN; status && i <= STATUS_CLOSED; i++)
        if (!strcmp(status, status_names[i])) c->status = i;
    if (status && c->status == STATUS_KEEP)
        return sn_fail(e, SN_EUNPROCESSABLE, "status",
                       "status must be open, pending, solved or closed");
    int rc;
    if ((rc = time_field(line, "solved_at", &c->solved_at, e)) < 0 ||
        (rc = time_field(line, "first_response_at", &c->first_response_at, e)) < 0)
        return rc;
    int done = c->status == STATUS_SOLVED || c->status == STATUS_CLOSED;
    if (c->solved_at && !done)
        return sn_fail(e, SN_EUNPROCESSABLE, "solved_at",
                       "solved_at needs status solved or closed");
    if (done && !c->solved_at) c->solved_at = c->at;
    if (done && c->solved_at < c->at)
        return sn_fail(e, SN_EUNPROCESSABLE, "solved_at", "solved_at is before received_at");
    if (c->first_response_at && c->first_response_at < c->at)
        return sn_fail(e, SN_EUNPROCESSABLE, "first_response_at",
                       "first_response_at is before received_at");
    const char *department = import_str(line, "escalated_to");
    if (department && !(c->escalated_to = find_code(&ctx->departments, department)))
        return sn_fail(e, SN_EUNPROCESSABLE, "escalated_to", "unknown department '%s'", department);
    return 0;
}

/* The line's texts copied into one block (the item outlives the parsed line), NULL kept. */
static int copy_texts(contact_line *c, const char *subject, const char *body,
                      const char *external_id, sn_err *e)
{
    const char *from[] = {subject, body, external_id};
    const char **to[] = {&c->in.subject, &c->in.body, &c->in.external_id};
    size_t len[3], total = 0;
    for (int i = 0; i < 3; i++)
        total += (len[i] = from[i] ? strlen(from[i]) + 1 : 0);
    if (!(c->texts = malloc(total ? total : 1)))
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    char *p = c->texts;
    for (int i = 0; i < 3; i++) {
        *to[i] = from[i] ? memcpy(p, from[i], len[i]) : NULL;
        p += len[i];
    }
    return 0;
}

static int contacts_parse(void *vctx, json_t *line, void *item, sn_err *e)
{
    contacts_ctx *ctx = vctx;
    contact_line *c = item;
    json_t *who = json_object_get(line, "customer");
    int rc;
    if ((rc = import_check_fields(line, contact_line_fields, e)) < 0 ||
        (rc = import_check_fields(who, customer_line_fields, e)) < 0)
        return rc;
    if ((c->in.channel = channel_parse(import_str(line, "channel"))) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "channel",
                       "channel must be phone, email, x, form or chat");
    if ((rc = customer_input_parse(who, &c->in.customer, e)) < 0) return rc;
    c->in.service_line = import_str(line, "service_line");
    const org_code *service_line =
        c->in.service_line ? find_code(&ctx->service_lines, c->in.service_line) : NULL;
    if (c->in.service_line && !service_line)
        return sn_fail(e, SN_EUNPROCESSABLE, "service_line", "unknown service line '%s'",
                       c->in.service_line);
    c->line_id = service_line ? service_line->id : 0;
    c->in.service_line = service_line ? service_line->code : NULL;
    const char *external_id = import_str(line, "external_id");
    if (external_id && !*external_id)
        return sn_fail(e, SN_EUNPROCESSABLE, "external_id", "external_id must not be empty");
    if ((rc = copy_texts(c, import_str(line, "subject"), import_str(line, "body"), external_id,
                         e)) < 0)
        return rc;
    if ((rc = time_field(line, "received_at", &c->in.received_at, e)) < 0) return rc;
    int64_t now = clock_now_ms();
    if (c->in.received_at > now + 300000)
        return sn_fail(e, SN_EUNPROCESSABLE, "received_at", "received_at is in the future");
    c->at = c->in.received_at ? c->in.received_at : now;
    c->in.received_at = c->at;
    c->in.historical = 1; /* the record only: no triggers, routing, auto-replies, webhooks */
    if ((rc = parse_outcome(ctx, line, c, e)) < 0) return rc;
    /* Normalised here, on the reader thread, rather than by the writer, which bounds the run
     * (NULL: the intake normalises it). */
    c->in.search_text = conv_search_text_dup(c->in.subject, c->in.body);
    return 0;
}

static void contacts_release(void *item)
{
    contact_line *c = item;
    free((char *)c->in.search_text);
    free(c->texts);
    c->in.search_text = c->texts = NULL;
}

/* The timeline row of the move from open to the line's status. */
static int status_event(store *db, const contact_line *c, int64_t conv, sn_err *e)
{
    int done = c->status != STATUS_PENDING;
    char detail[80];
    snprintf(detail, sizeof detail, "{\"from\":\"open\",\"imported\":true,\"to\":\"%s\"}",
             status_names[c->status]);
    if (conv_timeline_add(db, conv, NULL, "status", detail, done ? c->solved_at : c->at) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    return 0;
}

static int closes_early(const contacts_ctx *ctx, const contact_line *c)
{
    return c->status == STATUS_SOLVED && c->solved_at < ctx->close_before;
}

/* The status the line leaves its conversation in (pending, solved or closed; closed early
 * when the sweep would close it) and its closed_at (0: not closed). */
static const char *outcome_status(const contacts_ctx *ctx, const contact_line *c,
                                  int64_t *closed_at)
{
    int early = closes_early(ctx, c);
    *closed_at = early ? c->solved_at + ctx->close_after_ms
                       : c->status == STATUS_CLOSED ? c->solved_at : 0;
    return early ? "closed" : status_names[c->status];
}

/* The state the line leaves its conversation in, written by the intake: a new one inserted in
 * it (a new row instead of a new row and an update of four indexes), a joined one set to it by
 * the join's update (one update instead of three). */
static void initial_state(const contacts_ctx *ctx, const contact_line *c, conv_initial *init)
{
    int done = c->status == STATUS_SOLVED || c->status == STATUS_CLOSED;
    *init = (conv_initial){NULL, 0, 0, 0, c->first_response_at};
    if (c->status == STATUS_KEEP || c->status == STATUS_OPEN) return;
    init->status = outcome_status(ctx, c, &init->closed_at);
    if (done) init->solved_at = c->solved_at;
    if (!done) init->pending_since = c->at;
}

/* The line's move from open to its status, on the timeline. The intake has already left the
 * conversation in that state (initial_state: written so, or set by the join's update), which
 * needs none of conv_update_in_tx's checks: the moves open → pending | solved | solved →
 * closed are all allowed. */
static int apply_outcome(const contact_line *c, store *db, int64_t conv, sn_err *e)
{
    int moves =
        c->status == STATUS_PENDING || c->status == STATUS_SOLVED || c->status == STATUS_CLOSED;
    return moves ? status_event(db, c, conv, e) : 0;
}

/* The department ticket of an escalated line, as it was: raised at the contact with the
 * department's SLA on the default calendar, resolved when the conversation was solved. Written
 * here rather than by escalation_create_in_tx, which is for live escalations: like the intake's
 * historical mode, an imported one queues no webhook event and writes no audit row per line
 * (the import as a whole is audited). */
static int record_escalation(store *db, const contact_line *c, int64_t conv, sn_err *e)
{
    const org_code *d = c->escalated_to;
    int64_t due = c->at + d->sla_minutes * 60000, id = 0;
    bh_add(sla_calendar_cached(db, "default"), c->at, d->sla_minutes * 60000, &due);
    int resolved = c->status == STATUS_SOLVED || c->status == STATUS_CLOSED;
    store_stmt *st;
    int rc = store_prepare(db,
                           "INSERT INTO escalations (conversation_id, department_id, status, "
                           "note, created_at, due_at, resolved_at, updated_at) VALUES (?, ?, ?, "
                           "'imported', ?, ?, ?, ?) RETURNING id",
                           &st);
    if (rc == 0) {
        store_bind_int(st, 1, conv);
        store_bind_int(st, 2, d->id);
        store_bind_text(st, 3, resolved ? "resolved" : "open");
        store_bind_int(st, 4, c->at);
        store_bind_int(st, 5, due);
        if (resolved)
            store_bind_int(st, 6, c->solved_at);
        else
            store_bind_null(st, 6);
        store_bind_int(st, 7, resolved ? c->solved_at : c->at);
        rc = store_step(st);
        id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
        store_finish(st);
    }
    char detail[160];
    snprintf(detail, sizeof detail,
             "{\"department\":\"%s\",\"escalation_id\":%" PRId64 ",\"imported\":true}", d->code,
             id);
    int64_t flag[] = {conv};
    if (!id || store_exec_ints(db, "UPDATE conversations SET escalated = 1 WHERE id = ?", 1, flag) < 0 ||
        conv_timeline_add(db, conv, NULL, "escalated", detail, c->at) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot record the escalation");
    return 0;
}

/* The conversation the line ended in, as the customer's next contact on the line would find
 * it (joinable_cache.h): open (or pending), solved — closed early counts as solved until the
 * run ends — or closed for good; remembered only when no other could be joined. */
static void remember_joinable(contacts_ctx *ctx, const contact_line *c, const contact_result *r)
{
    joinable_cache *cache = ctx->replay.joinable;
    if (!cache) return;
    if (!r->alone) {
        joinable_cache_forget(cache, r->customer_id, c->line_id);
        return;
    }
    joinable_entry j = {r->conversation_id, 0, c->at, JOINABLE_OPEN};
    if (c->status == STATUS_SOLVED) {
        j.state = JOINABLE_SOLVED;
        j.solved_at = c->solved_at;
    } else if (c->status == STATUS_CLOSED) {
        j.state = JOINABLE_NEVER;
    }
    joinable_cache_put(cache, r->customer_id, c->line_id, &j); /* out of memory: forgotten */
}

static int contacts_apply(void *vctx, store *db, const void *item, int *duplicate, sn_err *e)
{
    contacts_ctx *ctx = vctx;
    const contact_line *c = item;
    contact_result r;
    /* History is replayed as of when it happened: a pending conversation the contact reopens
     * was paused until the contact came, not until today, and the timeline shows its time. */
    conv_initial init;
    initial_state(ctx, c, &init);
    contact_input in = c->in;
    in.initial = &init; /* the conversation is left in the line's state by the intake itself */
    in.replay = &ctx->replay;
    int rc = contact_receive_in_tx(db, &import_actor, &in, c->at, &r, e);
    if (rc < 0) return rc;
    *duplicate = r.duplicate;
    if (r.duplicate) return 0;
    /* Closed early by this line (new or joined), or not (any more). */
    if ((rc = set_early(ctx, r.conversation_id, closes_early(ctx, c), e)) < 0) return rc;
    if (c->escalated_to && (rc = record_escalation(db, c, r.conversation_id, e)) < 0) return rc;
    if ((rc = apply_outcome(c, db, r.conversation_id, e)) < 0) return rc;
    remember_joinable(ctx, c, &r);
    return 0;
}

#define CLOSE_BATCH 5000
#define VACUUM_AFTER 10000 /* new lines that make PostgreSQL's statistics worth refreshing */

/* After the replay, what the housekeeping sweep (conv_close_sweep) would do next: close the
 * conversations solved more than close_after_days ago, as of when they became due. Done here in
 * batches because a bulk import hands the sweep nearly every conversation at once, and one
 * UPDATE of a million rows holds SQLite's write lock for many seconds (sign-ins fail meanwhile).
 * Then, on PostgreSQL, refresh what a bulk load leaves stale until autovacuum comes — planner
 * statistics and the visibility map — so reports get index-only scans at once. */
int import_contacts_finish(store *db, int64_t imported, sn_err *e)
{
    if (imported == 0) return 0;
    int64_t days = settings_int(db, "close_after_days", 4), changed;
    int64_t args[] = {days * DAY_MS, clock_now_ms() - days * DAY_MS, CLOSE_BATCH};
    do {
        store_stmt *st;
        if (store_begin_write(db) < 0 ||
            store_prepare_ints(db,
                               "UPDATE conversations SET status = 'closed', closed_at = solved_at "
                               "+ ? WHERE id IN (SELECT id FROM conversations WHERE status = "
                               "'solved' AND solved_at < ? LIMIT ?)",
                               3, args, &st) < 0) {
            store_rollback(db);
            return sn_fail(e, SN_EDB, NULL, "cannot close old conversations: %s", store_errmsg(db));
        }
        int rc = store_step(st);
        changed = rc == STORE_DONE ? store_changes(st) : 0;
        store_finish(st);
        if (rc < 0 || store_commit(db) < 0) {
            store_rollback(db);
            return sn_fail(e, SN_EDB, NULL, "cannot close old conversations: %s", store_errmsg(db));
        }
    } while (changed > 0);
    if (store_kind_of(db) == STORE_POSTGRES && imported >= VACUUM_AFTER &&
        store_exec(db, "VACUUM (ANALYZE) contacts, conversations") < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot vacuum: %s", store_errmsg(db));
    return 0;
}

const import_kind import_kind_contacts = {
    "contacts",
    "contacts as in POST /api/v1/contacts, plus external_id, status,\n"
    "             solved_at, first_response_at, escalated_to",
    sizeof(contact_line),
    contacts_setup,
    contacts_teardown,
    contacts_parse,
    contacts_apply,
    contacts_release,
    contacts_batch_begin,
    contacts_batch_end,
    50000, /* fewer commits: pages a batch touches again are written once (the seed: 2,000 →
            * 25,000 cut a quarter of the time, 25,000 → 50,000 another 3–5 s; ~2 s a batch) */
    1,
};
