/* import.c — `sanad import KIND [--db URL] [--batch N] FILE`: bulk import of JSON lines.
 *
 * The engine is the same for every kind. A reader thread reads the file one line at a time
 * (never whole; a line longer than IMPORT_MAX_LINE is rejected) and validates each line without
 * touching the database; the main thread — the only one with the database — applies the valid
 * lines in write transactions of --batch lines. Two batches alternate between them, so parsing
 * one overlaps writing the other. A line that still fails inside the database is taken out: the
 * batch is rolled back and replayed without it. So a bad line never aborts the rest, and every
 * committed batch holds exactly the lines reported as imported or duplicate.
 *
 *   reader: read ──> parse (kind->parse) ──reject──> "line N: why" on stdout
 *                      │ ok
 *                      v
 *           batch full or end of file ──> hand over (two batches in flight at most)
 *   writer: BEGIN; kind->apply each line ──fails──> ROLLBACK, drop the line, replay the batch
 *             │ all ok
 *             v
 *           COMMIT, count imported / duplicates
 *
 * Kinds are rows of `kinds` (name, setup, parse, apply): contacts today; articles will be
 * another row. Idempotence is the kind's: contacts are keyed by external_id, a repeated one is a
 * duplicate and writes nothing.
 *
 * Output: rejected lines on stdout as they are found, then one summary line; a progress bar on
 * stderr when stderr is a terminal. Exit 0 when the whole file was processed (rejected lines
 * included), 1 on an I/O or database failure (batches committed before it stay), 2 on usage. */
#include "cmd.h"

#include "../core/bizhours.h"
#include "../core/clock.h"
#include "../domain/conversation.h"
#include "../domain/escalation.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMPORT_MAX_LINE (1 << 20)   /* bytes; a 100,000-character Arabic body fits escaped */
#define IMPORT_DEFAULT_BATCH 2000
#define IMPORT_MAX_BATCH 100000
#define IMPORT_MAX_DB_REJECTS 50    /* per batch: beyond this the database, not the data, fails */

/* Who the imported changes are attributed to in the timeline and the audit log. */
static const actor import_actor = {0, "import", ROLES_ALL, "", ""};

/* ------------------------------------------------------------------------------------------ */
/* Kinds.                                                                                     */

struct import_kind {
    const char *name;
    const char *help;
    size_t item_size;
    /* Load what validation needs (reference codes) into *ctx; freed by teardown. */
    int (*setup)(store *db, void **ctx, sn_err *e);
    void (*teardown)(void *ctx);
    /* Validate one line (borrowed) into item (item_size bytes, zeroed); no database access.
     * item may keep references into line: the engine holds it until the item is released. */
    int (*parse)(void *ctx, json_t *line, void *item, sn_err *e);
    /* Write one item inside the open transaction; *duplicate = 1 when it was already there. */
    int (*apply)(void *ctx, store *db, const void *item, int *duplicate, sn_err *e);
};

/* ------------------------------------------------------------------------------------------ */
/* Reading lines with a hard cap.                                                             */

typedef struct line_reader {
    FILE *f;
    char chunk[1 << 16];
    size_t pos, len;
    char *line; /* IMPORT_MAX_LINE + 1 bytes */
    size_t n;   /* bytes in line */
    int64_t consumed;
} line_reader;

/* The next line (without its newline or a trailing CR) in r->line[0..n), NUL-terminated.
 * Returns 1, 0 at end of file, -1 on a read error. *too_long: the line was longer than the cap
 * (its start is kept, the rest skipped). */
static int reader_next(line_reader *r, int *too_long)
{
    int any = 0;
    r->n = 0;
    *too_long = 0;
    for (;;) {
        if (r->pos == r->len) {
            r->pos = 0;
            r->len = fread(r->chunk, 1, sizeof r->chunk, r->f);
            if (r->len == 0) {
                if (ferror(r->f)) return -1;
                break;
            }
        }
        any = 1;
        const char *start = r->chunk + r->pos, *nl = memchr(start, '\n', r->len - r->pos);
        size_t take = nl ? (size_t)(nl - start) : r->len - r->pos, room = IMPORT_MAX_LINE - r->n;
        memcpy(r->line + r->n, start, take < room ? take : room);
        r->n += take < room ? take : room;
        if (take > room) *too_long = 1;
        r->pos += take + (nl != NULL);
        r->consumed += (int64_t)(take + (nl != NULL));
        if (nl) break;
    }
    if (r->n && r->line[r->n - 1] == '\r') r->n--;
    r->line[r->n] = '\0';
    return any;
}

/* ------------------------------------------------------------------------------------------ */
/* Progress and report.                                                                       */

/* Shared by the two threads; every field is read and written under `lock`. */
typedef struct import_stats {
    pthread_mutex_t lock;
    int64_t lines, imported, duplicates, rejected;
    int64_t started_us, drawn_us;
    int64_t file_size; /* 0 when unknown (a pipe) */
    int tty;
} import_stats;

/* Called with the lock held. */
static void progress_clear(import_stats *s)
{
    if (s->tty && s->drawn_us) fputs("\r\033[K", stderr);
}

/* At most five times a second unless forced. Called with the lock held. */
static void progress_draw(import_stats *s, int64_t consumed, int force)
{
    int64_t now = clock_mono_us();
    if (!s->tty || (!force && now - s->drawn_us < 200000)) return;
    s->drawn_us = now;
    double secs = (double)(now - s->started_us) / 1e6, rate = secs > 0 ? (double)s->lines / secs : 0;
    char bar[32] = "";
    if (s->file_size > 0) {
        int pct = (int)(consumed * 100 / s->file_size), fill = pct / 5;
        for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '-';
        bar[20] = '\0';
        fprintf(stderr, "\r\033[K[%s] %3d%% ", bar, pct);
    } else {
        fputs("\r\033[K", stderr);
    }
    fprintf(stderr, "%" PRId64 " lines, %.0f lines/s, %" PRId64 " rejected", s->lines, rate,
            s->rejected);
    fflush(stderr);
}

static void report_reject(import_stats *s, int64_t line_no, const sn_err *e)
{
    pthread_mutex_lock(&s->lock);
    progress_clear(s);
    s->rejected++;
    if (e->field[0] && !strstr(e->message, e->field))
        printf("line %" PRId64 ": %s: %s\n", line_no, e->field, e->message);
    else
        printf("line %" PRId64 ": %s\n", line_no, e->message);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------------------------------ */
/* Batches.                                                                                   */

enum slot_state { SLOT_PENDING, SLOT_NEW, SLOT_DUPLICATE, SLOT_REJECTED };

typedef struct import_slot {
    int64_t line_no;
    json_t *json; /* the parsed line, which the item points into */
    int state;
    int retried;  /* a conflict gets one more try before the line is rejected */
} import_slot;

typedef struct import_batch {
    const struct import_kind *kind;
    void *ctx;
    store *db;
    int n, cap;
    import_slot *slots;
    char *items; /* cap × kind->item_size */
    import_stats *stats;
} import_batch;

static void *batch_item(import_batch *b, int i)
{
    return b->items + (size_t)i * b->kind->item_size;
}

static void batch_release(import_batch *b)
{
    for (int i = 0; i < b->n; i++) json_decref(b->slots[i].json);
    memset(b->items, 0, (size_t)b->n * b->kind->item_size);
    b->n = 0;
}

/* Apply every line still in the batch inside one transaction. Returns 0 with *failed = -1 when
 * committed, 0 with *failed = the index of the line that failed (its reason in e) after rolling
 * back, or a negative code (reason in e) when the database itself failed. */
static int batch_pass(import_batch *b, int *failed, sn_err *e)
{
    *failed = -1;
    if (store_begin_write(b->db) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot start a transaction: %s", store_errmsg(b->db));
    for (int i = 0; i < b->n; i++) {
        import_slot *s = &b->slots[i];
        if (s->state == SLOT_REJECTED) continue;
        int dup = 0;
        if (b->kind->apply(b->ctx, b->db, batch_item(b, i), &dup, e) < 0) {
            store_rollback(b->db);
            *failed = i;
            return 0;
        }
        s->state = dup ? SLOT_DUPLICATE : SLOT_NEW;
    }
    if (store_commit(b->db) < 0) {
        sn_fail(e, SN_EDB, NULL, "cannot commit: %s", store_errmsg(b->db));
        store_rollback(b->db);
        return SN_EDB;
    }
    return 0;
}

/* Commit the batch, taking out the lines that fail inside the database. */
static int batch_run(import_batch *b, sn_err *fatal)
{
    int db_rejects = 0;
    for (;;) {
        int failed;
        sn_err e;
        sn_err_clear(&e);
        int rc = batch_pass(b, &failed, &e);
        if (rc < 0) {
            *fatal = e;
            return rc;
        }
        if (failed < 0) break;
        import_slot *s = &b->slots[failed];
        if ((e.code == SN_ECONFLICT || e.code == SN_EUNAVAILABLE) && !s->retried) {
            s->retried = 1; /* a concurrent writer: replay once with the line still in */
            continue;
        }
        if (++db_rejects > IMPORT_MAX_DB_REJECTS)
            return sn_fail(fatal, SN_EDB, NULL, "more than %d lines of one batch failed inside "
                           "the database; stopping", IMPORT_MAX_DB_REJECTS);
        s->state = SLOT_REJECTED;
        report_reject(b->stats, s->line_no, &e);
    }
    pthread_mutex_lock(&b->stats->lock);
    for (int i = 0; i < b->n; i++) {
        if (b->slots[i].state == SLOT_NEW) b->stats->imported++;
        if (b->slots[i].state == SLOT_DUPLICATE) b->stats->duplicates++;
    }
    pthread_mutex_unlock(&b->stats->lock);
    batch_release(b);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Checking a line's fields against a table.                                                  */

typedef struct line_field {
    const char *name;
    json_type type; /* JSON_STRING, JSON_OBJECT, or JSON_ARRAY of strings */
    int required;
    size_t max_chars; /* of a string or of each array element; 0: no bound */
} line_field;

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int check_string(const char *name, json_t *v, size_t max, sn_err *e)
{
    if (!json_is_string(v)) return sn_fail(e, SN_EINVALID, name, "%s must be a string", name);
    if (max && utf8_chars(json_string_value(v)) > max)
        return sn_fail(e, SN_EUNPROCESSABLE, name, "%s is longer than %zu characters", name, max);
    return 0;
}

static int check_value(const line_field *f, json_t *v, sn_err *e)
{
    if (f->type == JSON_STRING) return check_string(f->name, v, f->max_chars, e);
    if (f->type == JSON_OBJECT && !json_is_object(v))
        return sn_fail(e, SN_EINVALID, f->name, "%s must be an object", f->name);
    if (f->type != JSON_ARRAY) return 0;
    if (!json_is_array(v)) return sn_fail(e, SN_EINVALID, f->name, "%s must be an array", f->name);
    if (json_array_size(v) > CUSTOMER_MAX_IDS)
        return sn_fail(e, SN_EUNPROCESSABLE, f->name, "%s has more than %d entries", f->name,
                       CUSTOMER_MAX_IDS);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        int rc = check_string(f->name, x, f->max_chars, e);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Unknown keys are refused (a misspelt field must not be dropped silently); null counts as
 * absent, as source systems write it for empty columns. */
static int check_fields(json_t *obj, const line_field *fields, sn_err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const line_field *f = fields;
        while (f->name && strcmp(f->name, key)) f++;
        if (!f->name) return sn_fail(e, SN_EINVALID, key, "unknown field '%s'", key);
        int rc = json_is_null(v) ? 0 : check_value(f, v, e);
        if (rc < 0) return rc;
    }
    for (const line_field *f = fields; f->name; f++) {
        json_t *x = json_object_get(obj, f->name);
        if (f->required && (!x || json_is_null(x)))
            return sn_fail(e, SN_EUNPROCESSABLE, f->name, "%s is required", f->name);
    }
    return 0;
}

/* A string field, or NULL when absent or null (type already checked). */
static const char *str_field(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* ------------------------------------------------------------------------------------------ */
/* Kind "contacts": one contact per line, as the intake (POST /api/v1/contacts) takes it, with
 * what an export from another system carries besides:
 *   external_id        the idempotency key (a repeated one is a duplicate, nothing written);
 *   status             open | pending | solved | closed: the conversation after this contact;
 *   solved_at          when it was solved (status solved or closed; default received_at);
 *   first_response_at  when the center first answered (for the first-response SLA figures);
 *   escalated_to       a department code: the conversation was escalated there (an escalation
 *                      row, resolved when the conversation is solved).
 * Every code is checked against the database once, before the first line is read. */

static const line_field contact_line_fields[] = {
    {"channel", JSON_STRING, 1, 16},          {"customer", JSON_OBJECT, 1, 0},
    {"service_line", JSON_STRING, 0, 63},     {"subject", JSON_STRING, 0, 500},
    {"body", JSON_STRING, 0, 100000},         {"received_at", JSON_STRING, 0, 40},
    {"external_id", JSON_STRING, 0, 200},     {"status", JSON_STRING, 0, 16},
    {"solved_at", JSON_STRING, 0, 40},        {"first_response_at", JSON_STRING, 0, 40},
    {"escalated_to", JSON_STRING, 0, 63},     {NULL, 0, 0, 0},
};

static const line_field customer_line_fields[] = {
    {"name", JSON_STRING, 0, 200},     {"national_id", JSON_STRING, 0, 32},
    {"cr_number", JSON_STRING, 0, 32}, {"phones", JSON_ARRAY, 0, 64},
    {"emails", JSON_ARRAY, 0, 254},    {"x_handle", JSON_STRING, 0, 32},
    {NULL, 0, 0, 0},
};

enum { STATUS_KEEP, STATUS_OPEN, STATUS_PENDING, STATUS_SOLVED, STATUS_CLOSED };
static const char *const status_names[] = {"", "open", "pending", "solved", "closed"};

typedef struct contact_line {
    contact_input in;
    int64_t at; /* received_at, or when the line was read */
    int status;
    int64_t solved_at, first_response_at;
    const char *escalated_to;
} contact_line;

#define CODE_MAX 64
#define CODES_MAX 100000

typedef struct code_list {
    int n;
    char (*codes)[CODE_MAX];
} code_list;

typedef struct contacts_ctx {
    code_list service_lines, departments;
} contacts_ctx;

static int load_codes(store *db, const char *sql, code_list *out)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st), cap = 0;
    if (rc < 0) return rc;
    while ((rc = store_step(st)) == STORE_ROW && out->n < CODES_MAX) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            void *grown = realloc(out->codes, (size_t)cap * CODE_MAX);
            if (!grown) {
                rc = SN_EINTERNAL;
                break;
            }
            out->codes = grown;
        }
        snprintf(out->codes[out->n++], CODE_MAX, "%s", store_col_text(st, 0));
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int has_code(const code_list *l, const char *code)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->codes[i], code)) return 1;
    return 0;
}

static void contacts_teardown(void *vctx)
{
    contacts_ctx *ctx = vctx;
    if (!ctx) return;
    free(ctx->service_lines.codes);
    free(ctx->departments.codes);
    free(ctx);
}

static int contacts_setup(store *db, void **out, sn_err *e)
{
    contacts_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    if (load_codes(db, "SELECT code FROM service_lines", &ctx->service_lines) < 0 ||
        load_codes(db, "SELECT code FROM departments", &ctx->departments) < 0) {
        contacts_teardown(ctx);
        return sn_fail(e, SN_EDB, NULL, "cannot read service lines and departments: %s",
                       store_errmsg(db));
    }
    *out = ctx;
    return 0;
}

/* An ISO 8601 field into *ms (left alone when absent). */
static int time_field(json_t *line, const char *name, int64_t *ms, sn_err *e)
{
    const char *v = str_field(line, name);
    if (v && clock_parse_iso8601(v, ms) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, name, "%s must be an ISO 8601 time", name);
    return 0;
}

/* status, solved_at, first_response_at, escalated_to: the conversation's outcome. */
static int parse_outcome(contacts_ctx *ctx, json_t *line, contact_line *c, sn_err *e)
{
    const char *status = str_field(line, "status");
    c->status = STATUS_KEEP;
    for (int i = STATUS_OPEN; status && i <= STATUS_CLOSED; i++)
        if (!strcmp(status, status_names[i])) c->status = i;
    if (status && c->status == STATUS_KEEP)
        return sn_fail(e, SN_EUNPROCESSABLE, "status", "status must be open, pending, solved or closed");
    int rc;
    if ((rc = time_field(line, "solved_at", &c->solved_at, e)) < 0 ||
        (rc = time_field(line, "first_response_at", &c->first_response_at, e)) < 0)
        return rc;
    int done = c->status == STATUS_SOLVED || c->status == STATUS_CLOSED;
    if (c->solved_at && !done)
        return sn_fail(e, SN_EUNPROCESSABLE, "solved_at", "solved_at needs status solved or closed");
    if (done && !c->solved_at) c->solved_at = c->at;
    if (done && c->solved_at < c->at)
        return sn_fail(e, SN_EUNPROCESSABLE, "solved_at", "solved_at is before received_at");
    if (c->first_response_at && c->first_response_at < c->at)
        return sn_fail(e, SN_EUNPROCESSABLE, "first_response_at", "first_response_at is before received_at");
    c->escalated_to = str_field(line, "escalated_to");
    if (c->escalated_to && !has_code(&ctx->departments, c->escalated_to))
        return sn_fail(e, SN_EUNPROCESSABLE, "escalated_to", "unknown department '%s'", c->escalated_to);
    return 0;
}

static int contacts_parse(void *vctx, json_t *line, void *item, sn_err *e)
{
    contacts_ctx *ctx = vctx;
    contact_line *c = item;
    json_t *who = json_object_get(line, "customer");
    int rc;
    if ((rc = check_fields(line, contact_line_fields, e)) < 0 ||
        (rc = check_fields(who, customer_line_fields, e)) < 0)
        return rc;
    if ((c->in.channel = channel_parse(str_field(line, "channel"))) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "channel", "channel must be phone, email, x, form or chat");
    if ((rc = customer_input_parse(who, &c->in.customer, e)) < 0) return rc;
    c->in.service_line = str_field(line, "service_line");
    if (c->in.service_line && !has_code(&ctx->service_lines, c->in.service_line))
        return sn_fail(e, SN_EUNPROCESSABLE, "service_line", "unknown service line '%s'", c->in.service_line);
    c->in.subject = str_field(line, "subject");
    c->in.body = str_field(line, "body");
    c->in.external_id = str_field(line, "external_id");
    if (c->in.external_id && !*c->in.external_id)
        return sn_fail(e, SN_EUNPROCESSABLE, "external_id", "external_id must not be empty");
    if ((rc = time_field(line, "received_at", &c->in.received_at, e)) < 0) return rc;
    int64_t now = clock_now_ms();
    if (c->in.received_at > now + 300000)
        return sn_fail(e, SN_EUNPROCESSABLE, "received_at", "received_at is in the future");
    c->at = c->in.received_at ? c->in.received_at : now;
    c->in.received_at = c->at;
    return parse_outcome(ctx, line, c, e);
}

static int exec_ints(store *db, const char *sql, int n, const int64_t *args)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    for (int i = 0; i < n; i++) store_bind_int(st, i + 1, args[i]);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The conversation's timeline row for an imported status. */
static int status_event(store *db, int64_t conv, const char *to, int64_t at)
{
    char detail[80];
    snprintf(detail, sizeof detail, "{\"from\":\"open\",\"imported\":true,\"to\":\"%s\"}", to);
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO conversation_events (conversation_id, at, kind, detail) "
                               "VALUES (?, ?, 'status', ?)", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    store_bind_int(st, 2, at);
    store_bind_text(st, 3, detail);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* Move the conversation to the line's status as of when it happened — pending since the
 * contact, solved (and closed) at solved_at — and record the first response. One UPDATE
 * instead of conv_update_in_tx: the intake leaves the conversation open, not pending, with no
 * solved_at, so the moves open → pending | solved | solved → closed need none of its checks,
 * and the bulk path saves a read and two writes per line. */
static int apply_outcome(store *db, const contact_line *c, int64_t conv, sn_err *e)
{
    int moves = c->status == STATUS_PENDING || c->status == STATUS_SOLVED || c->status == STATUS_CLOSED;
    int64_t first[] = {c->first_response_at, conv};
    if (!moves) {
        if (c->first_response_at &&
            exec_ints(db, "UPDATE conversations SET first_response_at = ? WHERE id = ? AND "
                          "first_response_at IS NULL", 2, first) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot store the first response");
        return 0;
    }
    int done = c->status != STATUS_PENDING;
    store_stmt *st;
    if (store_prepare(db, "UPDATE conversations SET status = ?, solved_at = ?, closed_at = ?, "
                          "pending_since = ?, first_response_at = COALESCE(first_response_at, ?) "
                          "WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    store_bind_text(st, 1, status_names[c->status]);
    if (done) store_bind_int(st, 2, c->solved_at); else store_bind_null(st, 2);
    if (c->status == STATUS_CLOSED) store_bind_int(st, 3, c->solved_at); else store_bind_null(st, 3);
    if (!done) store_bind_int(st, 4, c->at); else store_bind_null(st, 4);
    if (c->first_response_at) store_bind_int(st, 5, c->first_response_at); else store_bind_null(st, 5);
    store_bind_int(st, 6, conv);
    int rc = store_step(st);
    store_finish(st);
    if (rc < 0 || status_event(db, conv, status_names[c->status], done ? c->solved_at : c->at) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot update the conversation");
    return 0;
}

static int contacts_apply(void *vctx, store *db, const void *item, int *duplicate, sn_err *e)
{
    const contact_line *c = item;
    contact_result r;
    int rc = contact_receive_in_tx(db, &import_actor, &c->in, clock_now_ms(), &r, e);
    if (rc < 0) return rc;
    *duplicate = r.duplicate;
    if (r.duplicate) return 0;
    int64_t escalation = 0;
    if (c->escalated_to &&
        (rc = escalation_create_in_tx(db, &import_actor, r.conversation_id, c->escalated_to,
                                      "imported", c->at, &escalation, e)) < 0)
        return rc;
    if ((rc = apply_outcome(db, c, r.conversation_id, e)) < 0) return rc;
    /* The department's ticket ends with the conversation it was raised from. */
    int64_t resolve[] = {c->solved_at, c->solved_at, escalation};
    if (escalation && c->status >= STATUS_SOLVED &&
        exec_ints(db, "UPDATE escalations SET status = 'resolved', resolved_at = ?, updated_at = ? "
                      "WHERE id = ?", 3, resolve) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot resolve the escalation");
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* The kinds and the command.                                                                 */

static const struct import_kind kinds[] = {
    {"contacts", "contacts as in POST /api/v1/contacts, plus external_id, status, solved_at, "
                 "first_response_at, escalated_to", sizeof(contact_line), contacts_setup,
     contacts_teardown, contacts_parse, contacts_apply},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sanad import KIND [--db URL] [--batch N] FILE\n"
                 "  Import JSON lines (one object per line; FILE - reads stdin), %d lines per\n"
                 "  transaction (--batch, default %d). Rejected lines are listed with their line\n"
                 "  numbers; the others are imported. Exit 0 when the file was processed, 1 on\n"
                 "  an I/O or database failure.\n\nkinds:\n",
            IMPORT_DEFAULT_BATCH, IMPORT_DEFAULT_BATCH);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        fprintf(out, "  %-10s %s\n", kinds[i].name, kinds[i].help);
}

/* Validate one line into the next free slot, or report why it is rejected. */
static void take_line(import_batch *b, line_reader *r, int64_t line_no, int too_long)
{
    sn_err e;
    sn_err_clear(&e);
    json_error_t jerr;
    json_t *j = NULL;
    void *item = batch_item(b, b->n);
    if (too_long)
        sn_fail(&e, SN_ETOOLARGE, NULL, "the line is longer than %d bytes", IMPORT_MAX_LINE);
    else if (!(j = json_loadb(r->line, r->n, JSON_REJECT_DUPLICATES, &jerr)))
        sn_fail(&e, SN_EINVALID, NULL, "not valid JSON: %s (column %d)", jerr.text, jerr.column);
    else if (!json_is_object(j))
        sn_fail(&e, SN_EINVALID, NULL, "a line must be a JSON object");
    else if (b->kind->parse(b->ctx, j, item, &e) == 0) {
        b->slots[b->n] = (import_slot){line_no, j, SLOT_PENDING, 0};
        b->n++;
        return;
    }
    json_decref(j);
    memset(item, 0, b->kind->item_size);
    report_reject(b->stats, line_no, &e);
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

/* The hand-over between the reader thread and the writer (main) thread. Batch i is the
 * reader's while !ready[i], the writer's while ready[i]; each side takes them in turn 0, 1, 0… */
typedef struct import_pipe {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    import_batch batch[2];
    int ready[2];
    int done;       /* the reader has handed over its last batch */
    int stop;       /* the writer failed: the reader stops */
    int read_errno; /* a read error ended the file early */
    int64_t line_no;
    line_reader reader;
} import_pipe;

/* Fill b from the file. Returns 1 when full, 0 at end of file, -1 on a read error. */
static int fill_batch(import_pipe *p, import_batch *b)
{
    line_reader *r = &p->reader;
    while (b->n < b->cap) {
        int too_long, rc = reader_next(r, &too_long);
        if (rc <= 0) {
            if (rc < 0) p->read_errno = errno;
            return rc;
        }
        p->line_no++;
        if (!too_long && is_blank(r->line, r->n)) continue;
        pthread_mutex_lock(&b->stats->lock);
        b->stats->lines++;
        progress_draw(b->stats, r->consumed, 0);
        pthread_mutex_unlock(&b->stats->lock);
        take_line(b, r, p->line_no, too_long);
    }
    return 1;
}

static void *reader_main(void *arg)
{
    import_pipe *p = arg;
    for (int i = 0;; i ^= 1) {
        pthread_mutex_lock(&p->lock);
        while (p->ready[i] && !p->stop) pthread_cond_wait(&p->changed, &p->lock);
        int stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        int more = stop ? 0 : fill_batch(p, &p->batch[i]);
        pthread_mutex_lock(&p->lock);
        p->ready[i] = !stop && p->batch[i].n > 0;
        p->done = more <= 0;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        if (more <= 0) return NULL;
    }
}

/* The writer: commit each batch the reader hands over, in order. */
static int write_batches(import_pipe *p, sn_err *fatal)
{
    for (int i = 0;; i ^= 1) {
        pthread_mutex_lock(&p->lock);
        while (!p->ready[i] && !p->done) pthread_cond_wait(&p->changed, &p->lock);
        int have = p->ready[i];
        pthread_mutex_unlock(&p->lock);
        if (!have) break;
        int rc = batch_run(&p->batch[i], fatal);
        pthread_mutex_lock(&p->lock);
        p->ready[i] = 0;
        p->stop = rc < 0;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        if (rc < 0) return rc;
    }
    if (p->read_errno)
        return sn_fail(fatal, SN_EINTERNAL, NULL, "cannot read the file: %s", strerror(p->read_errno));
    return 0;
}

/* Read, validate and apply the whole file. Returns 0, or a negative code with `fatal` filled. */
static int import_stream(import_pipe *p, sn_err *fatal)
{
    pthread_t reader;
    if (pthread_create(&reader, NULL, reader_main, p) != 0)
        return sn_fail(fatal, SN_EINTERNAL, NULL, "cannot start the reader thread");
    int rc = write_batches(p, fatal);
    pthread_join(reader, NULL);
    return rc;
}

static int pipe_init(import_pipe *p, const struct import_kind *k, store *db, int cap,
                     import_stats *st)
{
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    for (int i = 0; i < 2; i++)
        p->batch[i] = (import_batch){k, NULL, db, 0, cap, calloc((size_t)cap, sizeof(import_slot)),
                                     calloc((size_t)cap, k->item_size), st};
    p->reader.line = malloc(IMPORT_MAX_LINE + 1);
    return p->batch[0].slots && p->batch[0].items && p->batch[1].slots && p->batch[1].items &&
                   p->reader.line ? 0 : -1;
}

static void pipe_fini(import_pipe *p)
{
    for (int i = 0; i < 2; i++) {
        if (p->batch[i].slots) batch_release(&p->batch[i]);
        free(p->batch[i].slots);
        free(p->batch[i].items);
    }
    free(p->reader.line);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
}

static void report_summary(import_stats *s, const char *kind, int64_t consumed)
{
    pthread_mutex_lock(&s->lock);
    progress_draw(s, consumed, 1);
    progress_clear(s);
    double secs = (double)(clock_mono_us() - s->started_us) / 1e6;
    printf("import %s: %" PRId64 " imported, %" PRId64 " duplicates, %" PRId64 " rejected "
           "(%" PRId64 " lines) in %.2f s, %.0f lines/s\n",
           kind, s->imported, s->duplicates, s->rejected, s->lines, secs,
           secs > 0 ? (double)s->lines / secs : 0.0);
    pthread_mutex_unlock(&s->lock);
}

static int run_import(const struct import_kind *k, store *db, FILE *f, int batch, import_stats *st)
{
    sn_err fatal;
    sn_err_clear(&fatal);
    import_pipe *p = calloc(1, sizeof *p);
    void *ctx = NULL;
    int rc = SN_EINTERNAL;
    /* A bulk load touches far more pages than the default 2 MB cache holds (SQLite only). */
    if (store_kind_of(db) == STORE_SQLITE) store_exec(db, "PRAGMA cache_size = -262144");
    if (!p || pipe_init(p, k, db, batch, st) < 0)
        sn_fail(&fatal, SN_EINTERNAL, NULL, "out of memory");
    else if ((rc = k->setup(db, &ctx, &fatal)) == 0) {
        p->batch[0].ctx = p->batch[1].ctx = ctx;
        p->reader.f = f;
        rc = import_stream(p, &fatal);
    }
    report_summary(st, k->name, p ? p->reader.consumed : 0);
    if (rc < 0) fprintf(stderr, "sanad: import stopped: %s\n", fatal.message);
    if (p) pipe_fini(p);
    free(p);
    if (ctx) k->teardown(ctx);
    return rc < 0 ? 1 : 0;
}

/* FILE: the one argument that is neither an option nor an option's value. */
static const char *file_argument(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-") || strncmp(argv[i], "--", 2)) {
            if (file) return NULL;
            file = argv[i];
            continue;
        }
        if (strchr(argv[i], '=')) continue;
        const config_option *o = config_table;
        while (o->name && strcmp(o->name, argv[i] + 2)) o++;
        int boolean = o->name && o->type == CONFIG_BOOL;
        if (!boolean || (i + 1 < argc && strncmp(argv[i + 1], "--", 2))) i++;
    }
    return file;
}

static int open_input(const char *path, FILE **f, int64_t *size)
{
    struct stat sb;
    *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!*f) {
        fprintf(stderr, "sanad: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    *size = fstat(fileno(*f), &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : 0;
    return 0;
}

static const char *const import_extra[] = {"batch", "help", NULL};

int cmd_import(int argc, char **argv)
{
    const struct import_kind *k = NULL;
    for (size_t i = 0; argc > 1 && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(argv[1], kinds[i].name)) k = &kinds[i];
    if (cmd_flag(argc, argv, "help") || (argc > 1 && !strcmp(argv[1], "help"))) {
        usage(stdout);
        return 0;
    }
    const char *path = file_argument(argc, argv), *batch_arg = cmd_arg(argc, argv, "batch");
    char *end = NULL;
    long batch = batch_arg ? strtol(batch_arg, &end, 10) : IMPORT_DEFAULT_BATCH;
    if (!k || !path || (batch_arg && (*end || batch < 1 || batch > IMPORT_MAX_BATCH))) {
        if (argc > 1 && !k) fprintf(stderr, "sanad: unknown import kind '%s'\n", argv[1]);
        if (batch_arg && (*end || batch < 1 || batch > IMPORT_MAX_BATCH))
            fprintf(stderr, "sanad: --batch must be 1 to %d\n", IMPORT_MAX_BATCH);
        usage(stderr);
        return 2;
    }
    FILE *f;
    import_stats st = {.lock = PTHREAD_MUTEX_INITIALIZER};
    if (open_input(path, &f, &st.file_size) < 0) return 1;
    config cfg;
    store *db;
    int rc = cmd_open(argc - 1, argv + 1, import_extra, &cfg, &db);
    if (rc == 0) {
        st.tty = isatty(STDERR_FILENO);
        st.started_us = clock_mono_us();
        rc = run_import(k, db, f, (int)batch, &st);
        store_close(db);
    }
    if (f != stdin) fclose(f);
    return rc;
}
