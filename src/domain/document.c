/* document.c — document types of service lines, citizens' submissions and replacements, and the
 * staff review of each document (see document.h for the life cycles). One-time codes and the
 * /documents session are in doc_otp.c. */
#include "document.h"

#include "audit.h"
#include "conversation.h"
#include "outbox.h"
#include "settings.h"
#include "template.h"

#include "../core/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCTYPE_COLUMNS                                                                            \
    "t.id, l.code, t.name_ar, t.name_en, t.mandatory, t.allowed_types, t.max_bytes, t.position, "  \
    "t.active, t.created_at, t.updated_at"

/* ---- small helpers --------------------------------------------------------------------------- */

static json_t *split_types(const char *list)
{
    json_t *a = json_array();
    const char *p = list;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n) json_array_append_new(a, json_stringn(p, n));
        p = comma ? comma + 1 : NULL;
    }
    return a;
}

int doctype_types_valid(const char *list)
{
    if (!list || !*list || strlen(list) > 500) return 0;
    int slash = 0, len = 0;
    for (const char *p = list;; p++) {
        if (*p == ',' || !*p) {
            if (slash != 1 || len < 3) return 0;
            if (!*p) return 1;
            slash = len = 0;
            continue;
        }
        if (*p == '/')
            slash++;
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(".+-_", *p)))
            return 0;
        len++;
    }
}

/* ---- document types -------------------------------------------------------------------------- */

static json_t *doctype_row_json(store_stmt *st)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:b, s:o, s:I, s:i, s:b}", "id", (json_int_t)store_col_int(st, 0),
        "service_line", store_col_text(st, 1), "name_ar", store_col_text(st, 2), "name_en",
        store_col_text(st, 3), "mandatory", (int)store_col_int(st, 4), "allowed_types",
        split_types(store_col_text(st, 5)), "max_bytes", (json_int_t)store_col_int(st, 6),
        "position", (int)store_col_int(st, 7), "active", (int)store_col_int(st, 8));
    return o;
}

static int doctype_get_json(store *db, int64_t id, json_t **out)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT " DOCTYPE_COLUMNS " FROM document_types t JOIN "
                           "service_lines l ON l.id = t.service_line_id WHERE t.id = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    *out = rc == STORE_ROW ? doctype_row_json(st) : NULL;
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

static int check_fields(const doctype_fields *f, sn_err *e)
{
    if (f->allowed_types && !doctype_types_valid(f->allowed_types))
        return sn_fail(e, SN_EUNPROCESSABLE, "allowed_types",
                       "allowed_types must be MIME types such as application/pdf");
    if (f->has_max_bytes && (f->max_bytes < 1 || f->max_bytes > 1073741824))
        return sn_fail(e, SN_EUNPROCESSABLE, "max_bytes", "max_bytes must be 1..1073741824");
    return 0;
}

static int audit_doctype(store *db, const actor *who, const char *action, int64_t id)
{
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    return audit_append(db, who, action, "document_type", oid, NULL);
}

int doctype_create(store *db, const actor *who, const char *line_code, const doctype_fields *f,
                   json_t **out, sn_err *e)
{
    int rc = check_fields(f, e);
    if (rc < 0) return rc;
    int64_t line = 0, now = clock_now_ms(), id = 0;
    if (settings_service_line_id(db, line_code, &line) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    if (!line) return sn_fail(e, SN_ENOTFOUND, NULL, "no such service line");
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    store_stmt *st;
    rc = store_prepare(db,
                       "INSERT INTO document_types (service_line_id, name_ar, name_en, "
                       "mandatory, allowed_types, max_bytes, position, active, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       &st);
    if (rc == 0) {
        store_bind_int(st, 1, line);
        store_bind_text(st, 2, f->name_ar);
        store_bind_text(st, 3, f->name_en ? f->name_en : "");
        store_bind_int(st, 4, f->has_mandatory ? f->mandatory : 1);
        store_bind_text(st, 5, f->allowed_types);
        store_bind_int(st, 6, f->max_bytes);
        store_bind_int(st, 7, f->has_position ? f->position : 0);
        store_bind_int(st, 8, f->has_active ? f->active : 1);
        store_bind_int(st, 9, now);
        store_bind_int(st, 10, now);
        rc = store_step(st);
        id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
        store_finish(st);
        rc = id ? 0 : SN_EDB;
    }
    if (rc == 0) rc = audit_doctype(db, who, "document_type.create", id);
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot save the document type");
    }
    return doctype_get_json(db, id, out) < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read") : 0;
}

static int update_text(store *db, const char *column_sql, const char *v, int64_t id)
{
    store_stmt *st;
    int rc = store_prepare(db, column_sql, &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, v);
    store_bind_int(st, 2, id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int doctype_update(store *db, const actor *who, int64_t id, const doctype_fields *f, json_t **out,
                   sn_err *e)
{
    int rc = check_fields(f, e);
    if (rc < 0) return rc;
    json_t *cur = NULL;
    if ((rc = doctype_get_json(db, id, &cur)) < 0)
        return rc == SN_ENOTFOUND ? sn_fail(e, rc, NULL, "no such document type")
                                  : sn_fail(e, SN_EDB, NULL, "cannot read");
    json_decref(cur);
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    int64_t now = clock_now_ms();
    if (f->name_ar)
        rc = update_text(db, "UPDATE document_types SET name_ar = ? WHERE id = ?", f->name_ar, id);
    if (rc == 0 && f->name_en)
        rc = update_text(db, "UPDATE document_types SET name_en = ? WHERE id = ?", f->name_en, id);
    if (rc == 0 && f->allowed_types)
        rc = update_text(db, "UPDATE document_types SET allowed_types = ? WHERE id = ?",
                         f->allowed_types, id);
    int64_t v[2] = {0, id};
    if (rc == 0 && f->has_mandatory && (v[0] = f->mandatory, 1))
        rc = store_exec_ints(db, "UPDATE document_types SET mandatory = ? WHERE id = ?", 2, v);
    if (rc == 0 && f->has_max_bytes && (v[0] = f->max_bytes, 1))
        rc = store_exec_ints(db, "UPDATE document_types SET max_bytes = ? WHERE id = ?", 2, v);
    if (rc == 0 && f->has_position && (v[0] = f->position, 1))
        rc = store_exec_ints(db, "UPDATE document_types SET position = ? WHERE id = ?", 2, v);
    if (rc == 0 && f->has_active && (v[0] = f->active, 1))
        rc = store_exec_ints(db, "UPDATE document_types SET active = ? WHERE id = ?", 2, v);
    v[0] = now;
    if (rc == 0) rc = store_exec_ints(db, "UPDATE document_types SET updated_at = ? WHERE id = ?", 2, v);
    if (rc == 0) rc = audit_doctype(db, who, "document_type.update", id);
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot save the document type");
    }
    return doctype_get_json(db, id, out) < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read") : 0;
}

int doctype_list_json(store *db, const char *line_code, int active_only, json_t **out, sn_err *e)
{
    int64_t line = 0;
    if (settings_service_line_id(db, line_code, &line) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    if (!line) return sn_fail(e, SN_ENOTFOUND, NULL, "no such service line");
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT " DOCTYPE_COLUMNS " FROM document_types t JOIN "
                           "service_lines l ON l.id = t.service_line_id WHERE "
                           "t.service_line_id = ? AND (t.active = 1 OR ? = 0) ORDER BY "
                           "t.position, t.id",
                           &st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_int(st, 1, line);
    store_bind_int(st, 2, active_only ? 1 : 0);
    *out = json_array();
    while ((rc = store_step(st)) == STORE_ROW)
        json_array_append_new(*out, doctype_row_json(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    }
    return 0;
}

int doctype_lines_json(store *db, json_t **out, sn_err *e)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT l.code, l.name_ar, l.name_en FROM service_lines l WHERE "
                           "EXISTS (SELECT 1 FROM document_types t WHERE t.service_line_id = "
                           "l.id AND t.active = 1) ORDER BY l.name_ar",
                           &st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    *out = json_array();
    while ((rc = store_step(st)) == STORE_ROW)
        json_array_append_new(*out,
                              json_pack("{s:s, s:s, s:s}", "code", store_col_text(st, 0), "name_ar",
                                        store_col_text(st, 1), "name_en", store_col_text(st, 2)));
    store_finish(st);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    }
    return 0;
}

/* ---- submissions ----------------------------------------------------------------------------- */

static int next_reference(store *db, char *out, size_t size)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "UPDATE counters SET value = value + 1 WHERE name = "
                           "'document_submission' RETURNING value",
                           &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    int64_t n = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc != STORE_ROW) return SN_EDB;
    snprintf(out, size, "DOC-%06" PRId64, n);
    return 0;
}

typedef struct otp_row {
    char channel[8], destination[256];
} otp_row;

static int otp_load(store *db, int64_t otp_id, int64_t customer_id, otp_row *o)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT channel, destination FROM document_otps WHERE id = ? AND "
                           "customer_id = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, otp_id);
    store_bind_int(st, 2, customer_id);
    if ((rc = store_step(st)) == STORE_ROW) {
        snprintf(o->channel, sizeof o->channel, "%s", store_col_text(st, 0));
        snprintf(o->destination, sizeof o->destination, "%s", store_col_text(st, 1));
    }
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

/* The national ID of a customer (the identity contact_receive recognises them by). */
static int national_id_of(store *db, int64_t customer_id, char *out, size_t size)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT value FROM customer_identities WHERE customer_id = ? AND "
                           "kind = 'national_id' ORDER BY id LIMIT 1",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, customer_id);
    out[0] = '\0';
    if ((rc = store_step(st)) == STORE_ROW) snprintf(out, size, "%s", store_col_text(st, 0));
    store_finish(st);
    return rc < 0 ? rc : (out[0] ? 0 : SN_ENOTFOUND);
}

typedef struct type_row {
    int64_t id;
    int mandatory;
    char name_ar[256], name_en[256];
} type_row;

static int types_of_line(store *db, int64_t line, type_row *rows, int cap, int *n)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT id, mandatory, name_ar, name_en FROM document_types WHERE "
                           "service_line_id = ? AND active = 1 ORDER BY position, id",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, line);
    *n = 0;
    while ((rc = store_step(st)) == STORE_ROW && *n < cap) {
        type_row *t = &rows[(*n)++];
        t->id = store_col_int(st, 0);
        t->mandatory = (int)store_col_int(st, 1);
        snprintf(t->name_ar, sizeof t->name_ar, "%s", store_col_text(st, 2));
        snprintf(t->name_en, sizeof t->name_en, "%s", store_col_text(st, 3));
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

#define TYPES_MAX 32

/* Every file names an active type of the line; every mandatory type has a file. */
static int check_uploads(const type_row *types, int ntypes, const docsub_input *in, sn_err *e)
{
    char field[32];
    for (int i = 0; i < in->nfiles; i++) {
        int found = 0;
        for (int t = 0; t < ntypes; t++)
            found |= types[t].id == in->files[i].type_id;
        snprintf(field, sizeof field, "doc_%" PRId64, in->files[i].type_id);
        if (!found) return sn_fail(e, SN_EUNPROCESSABLE, field, "not a document of this service");
    }
    for (int t = 0; t < ntypes; t++) {
        int have = 0;
        for (int i = 0; i < in->nfiles; i++)
            have |= in->files[i].type_id == types[t].id;
        snprintf(field, sizeof field, "doc_%" PRId64, types[t].id);
        if (types[t].mandatory && !have)
            return sn_fail_slug(e, SN_EUNPROCESSABLE, "document_missing", field,
                                "this document is required");
    }
    if (in->nfiles == 0) return sn_fail(e, SN_EUNPROCESSABLE, NULL, "upload at least one document");
    return 0;
}

static const char *type_name(const type_row *types, int n, int64_t id, const char *lang)
{
    for (int t = 0; t < n; t++)
        if (types[t].id == id)
            return !strcmp(lang, "en") && types[t].name_en[0] ? types[t].name_en : types[t].name_ar;
    return "";
}

static int insert_document(store *db, int64_t submission, const doc_upload *up, int64_t message,
                           int64_t replaces, int64_t now, int64_t *doc_id, int64_t *att_id)
{
    attachment_meta meta = {up->filename, up->declared_type, NULL, 0, message};
    int rc = attachment_insert(db, &up->blob, &meta, now, att_id);
    store_stmt *st;
    if (rc == 0)
        rc = store_prepare(db,
                           "INSERT INTO documents (submission_id, document_type_id, "
                           "attachment_id, replaces_id, created_at) VALUES (?, ?, ?, ?, ?) "
                           "RETURNING id",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, submission);
    store_bind_int(st, 2, up->type_id);
    store_bind_int(st, 3, *att_id);
    if (replaces)
        store_bind_int(st, 4, replaces);
    else
        store_bind_null(st, 4);
    store_bind_int(st, 5, now);
    rc = store_step(st);
    *doc_id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return *doc_id ? 0 : SN_EDB;
}

/* The contact of a submission or a replacement: creates or joins the conversation. */
static int receive(store *db, int64_t customer_id, const char *line_code, const char *subject,
                   const char *body, int64_t conv, int64_t now, contact_result *res, sn_err *e)
{
    contact_input ci;
    memset(&ci, 0, sizeof ci);
    ci.channel = CH_FORM;
    ci.customer.nids = 1;
    ci.customer.ids[0].kind = ID_NATIONAL_ID;
    if (national_id_of(db, customer_id, ci.customer.ids[0].value, sizeof ci.customer.ids[0].value) <
        0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the customer");
    ci.service_line = line_code;
    ci.subject = subject;
    ci.body = body;
    ci.received_at = now;
    ci.meta_json = "{\"form\":\"documents\"}";
    ci.conversation_id = conv;
    return contact_receive_in_tx(db, &actor_system, &ci, now, res, e);
}

static int insert_submission(store *db, const docsub_input *in, int64_t line, int64_t conv,
                             const otp_row *o, const char *reference, int64_t *id)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "INSERT INTO document_submissions (reference, customer_id, "
                           "service_line_id, conversation_id, notify_channel, notify_to, lang, "
                           "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                           "RETURNING id",
                           &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, reference);
    store_bind_int(st, 2, in->customer_id);
    store_bind_int(st, 3, line);
    store_bind_int(st, 4, conv);
    store_bind_text(st, 5, o->channel);
    store_bind_text(st, 6, o->destination);
    store_bind_text(st, 7, in->lang);
    store_bind_int(st, 8, in->now);
    store_bind_int(st, 9, in->now);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return *id ? 0 : SN_EDB;
}

static int submission_write(store *db, const docsub_input *in, int64_t line, const type_row *types,
                            int ntypes, char *reference, int64_t *conversation_id, sn_err *e)
{
    otp_row o;
    if (otp_load(db, in->otp_id, in->customer_id, &o) < 0)
        return sn_fail(e, SN_EUNAUTH, NULL, "the session is not valid");
    if (next_reference(db, reference, 32) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    /* The message agents read: the reference and each document by its type (Arabic). */
    char body[4096];
    size_t n =
        (size_t)snprintf(body, sizeof body, "تقديم مستندات إلكترونيًا — المرجع %s\n", reference);
    for (int i = 0; i < in->nfiles && n < sizeof body; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "- %s: %s\n",
                              type_name(types, ntypes, in->files[i].type_id, "ar"),
                              in->files[i].filename ? in->files[i].filename : "");
    char subject[96];
    snprintf(subject, sizeof subject, "مستندات مطلوبة — %s", reference);
    contact_result res;
    int rc = receive(db, in->customer_id, in->service_line, subject, body, 0, in->now, &res, e);
    if (rc < 0) return rc;
    int64_t sub = 0;
    if (insert_submission(db, in, line, res.conversation_id, &o, reference, &sub) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save the submission");
    json_t *docs = json_array();
    for (int i = 0; rc == 0 && i < in->nfiles; i++) {
        int64_t doc = 0, att = 0;
        if (insert_document(db, sub, &in->files[i], res.message_id, 0, in->now, &doc, &att) < 0)
            rc = sn_fail(e, SN_EDB, NULL, "cannot save the document");
        else
            json_array_append_new(
                docs, json_pack("{s:I, s:I, s:s}", "document_id", (json_int_t)doc, "type_id",
                                (json_int_t)in->files[i].type_id, "document_type",
                                type_name(types, ntypes, in->files[i].type_id, "ar")));
    }
    if (rc == 0 && conv_timeline_add_json(db, res.conversation_id, NULL, "documents_submitted",
                            json_pack("{s:s, s:O, s:s}", "reference", reference, "documents", docs,
                                      "verified_by", o.channel),
                            in->now) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save the submission");
    json_decref(docs);
    *conversation_id = res.conversation_id;
    return rc;
}

int docsub_create(store *db, const docsub_input *in, char *reference, int64_t *conversation_id,
                  sn_err *e)
{
    int64_t line = 0;
    if (settings_service_line_id(db, in->service_line, &line) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    if (!line) return sn_fail(e, SN_ENOTFOUND, NULL, "no such service");
    type_row types[TYPES_MAX];
    int ntypes = 0;
    if (types_of_line(db, line, types, TYPES_MAX, &ntypes) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    if (ntypes == 0) return sn_fail(e, SN_ENOTFOUND, NULL, "this service needs no documents");
    int rc = check_uploads(types, ntypes, in, e);
    if (rc < 0) return rc;
    /* The bytes were written durably by attachment_accept; the rows commit here, before 201. */
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    rc = submission_write(db, in, line, types, ntypes, reference, conversation_id, e);
    if (rc == 0 && store_commit(db) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save the submission");
    if (rc < 0) store_rollback(db);
    return rc;
}

/* ---- what the citizen sees ------------------------------------------------------------------- */

static json_t *citizen_doc(store_stmt *st, const char *lang)
{
    const char *name_en = store_col_text(st, 3);
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "id",
                     (json_int_t)store_col_int(st, 0), "type_id", (json_int_t)store_col_int(st, 1),
                     "type", !strcmp(lang, "en") && *name_en ? name_en : store_col_text(st, 2),
                     "filename", store_col_text(st, 4), "status", store_col_text(st, 5), "reason",
                     store_col_text(st, 6), "replaces_id", (json_int_t)store_col_int(st, 7),
                     "created_at", (json_int_t)store_col_int(st, 8));
}

static int citizen_docs(store *db, int64_t submission, const char *lang, json_t *out)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT d.id, t.id, t.name_ar, t.name_en, a.filename, d.status, "
                           "d.reason_text, COALESCE(d.replaces_id, 0), d.created_at FROM "
                           "documents d JOIN document_types t ON t.id = d.document_type_id "
                           "JOIN attachments a ON a.id = d.attachment_id WHERE "
                           "d.submission_id = ? ORDER BY t.position, t.id, d.id",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, submission);
    while ((rc = store_step(st)) == STORE_ROW)
        json_array_append_new(out, citizen_doc(st, lang));
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int docsub_citizen_json(store *db, int64_t customer_id, const char *reference, const char *lang,
                        json_t **out, sn_err *e)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT s.id, s.reference, l.code, l.name_ar, l.name_en, "
                           "s.created_at FROM document_submissions s JOIN service_lines l ON "
                           "l.id = s.service_line_id WHERE s.customer_id = ? AND (? = '' OR "
                           "s.reference = ?) ORDER BY s.id DESC LIMIT 50",
                           &st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_int(st, 1, customer_id);
    store_bind_text(st, 2, reference ? reference : "");
    store_bind_text(st, 3, reference ? reference : "");
    *out = json_array();
    while ((rc = store_step(st)) == STORE_ROW) {
        const char *en = store_col_text(st, 4);
        json_array_append_new(
            *out,
            json_pack("{s:I, s:s, s:s, s:s, s:I, s:[]}", "id", (json_int_t)store_col_int(st, 0),
                      "reference", store_col_text(st, 1), "service_code", store_col_text(st, 2),
                      "service_line", !strcmp(lang, "en") && *en ? en : store_col_text(st, 3),
                      "created_at", (json_int_t)store_col_int(st, 5), "documents"));
    }
    store_finish(st);
    size_t i;
    json_t *s;
    json_array_foreach(*out, i, s)
    {
        if (rc >= 0 && citizen_docs(db, json_integer_value(json_object_get(s, "id")), lang,
                                    json_object_get(s, "documents")) < 0)
            rc = SN_EDB;
    }
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    }
    if (reference && json_array_size(*out) == 0) {
        json_decref(*out);
        *out = NULL;
        return sn_fail(e, SN_ENOTFOUND, NULL, "no such submission");
    }
    return 0;
}

/* ---- replacement ----------------------------------------------------------------------------- */

typedef struct doc_row {
    int64_t id, submission, type_id, conversation, customer;
    char status[16], reference[32], line_code[64], type_name[256], notify_channel[8],
        notify_to[256], lang[4];
} doc_row;

static int doc_load(store *db, int64_t id, doc_row *d)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT d.id, d.submission_id, d.document_type_id, "
                           "s.conversation_id, s.customer_id, d.status, s.reference, l.code, "
                           "t.name_ar, s.notify_channel, s.notify_to, s.lang FROM documents d "
                           "JOIN document_submissions s ON s.id = d.submission_id JOIN "
                           "service_lines l ON l.id = s.service_line_id JOIN document_types t "
                           "ON t.id = d.document_type_id WHERE d.id = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    if ((rc = store_step(st)) == STORE_ROW) {
        d->id = store_col_int(st, 0);
        d->submission = store_col_int(st, 1);
        d->type_id = store_col_int(st, 2);
        d->conversation = store_col_int(st, 3);
        d->customer = store_col_int(st, 4);
        snprintf(d->status, sizeof d->status, "%s", store_col_text(st, 5));
        snprintf(d->reference, sizeof d->reference, "%s", store_col_text(st, 6));
        snprintf(d->line_code, sizeof d->line_code, "%s", store_col_text(st, 7));
        snprintf(d->type_name, sizeof d->type_name, "%s", store_col_text(st, 8));
        snprintf(d->notify_channel, sizeof d->notify_channel, "%s", store_col_text(st, 9));
        snprintf(d->notify_to, sizeof d->notify_to, "%s", store_col_text(st, 10));
        snprintf(d->lang, sizeof d->lang, "%s", store_col_text(st, 11));
    }
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

static int replace_write(store *db, const doc_row *d, const doc_upload *up, int64_t now, sn_err *e)
{
    char body[1024], subject[96];
    snprintf(body, sizeof body, "مستند بديل — المرجع %s\n- %s: %s\n", d->reference, d->type_name,
             up->filename ? up->filename : "");
    snprintf(subject, sizeof subject, "مستندات مطلوبة — %s", d->reference);
    contact_result res;
    int rc = receive(db, d->customer, d->line_code, subject, body, d->conversation, now, &res, e);
    if (rc < 0) return rc;
    int64_t doc = 0, att = 0, v[2] = {d->id, 0};
    if (insert_document(db, d->submission, up, res.message_id, d->id, now, &doc, &att) < 0 ||
        store_exec_ints(db,
                  "UPDATE documents SET status = 'replaced' WHERE id = ? AND status = "
                  "'rejected'",
                  1, v) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save the document");
    v[0] = now;
    v[1] = d->submission;
    if (store_exec_ints(db, "UPDATE document_submissions SET updated_at = ? WHERE id = ?", 2, v) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save the document");
    return conv_timeline_add_json(db, res.conversation_id, NULL, "document_replaced",
                    json_pack("{s:s, s:I, s:I, s:s}", "reference", d->reference, "document_id",
                              (json_int_t)doc, "replaces_id", (json_int_t)d->id, "document_type",
                              d->type_name),
                    now) < 0
               ? sn_fail(e, SN_EDB, NULL, "cannot save the document")
               : 0;
}

int doc_replace(store *db, int64_t customer_id, int64_t doc_id, const doc_upload *up, int64_t now,
                sn_err *e)
{
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    doc_row d;
    int rc = doc_load(db, doc_id, &d);
    if (rc == SN_ENOTFOUND || (rc == 0 && d.customer != customer_id))
        rc = sn_fail(e, SN_ENOTFOUND, NULL, "no such document");
    else if (rc < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot read");
    else if (strcmp(d.status, "rejected") != 0)
        rc = sn_fail_slug(e, SN_ECONFLICT, "not_rejected", NULL,
                          "only a rejected document can be replaced");
    else if (up->type_id != d.type_id)
        rc = sn_fail(e, SN_EUNPROCESSABLE, NULL, "a replacement must be of the same type");
    if (rc == 0) rc = replace_write(db, &d, up, now, e);
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save the document");
    if (rc < 0) store_rollback(db);
    return rc;
}

/* ---- staff: list and review ------------------------------------------------------------------ */

static json_t *staff_doc(store_stmt *st)
{
    char url[64];
    snprintf(url, sizeof url, "/api/v1/documents/%" PRId64 "/file", store_col_int(st, 0));
    json_t *o = json_pack(
        "{s:I, s:s, s:{s:I, s:s, s:s, s:b}, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "id",
        (json_int_t)store_col_int(st, 0), "reference", store_col_text(st, 1), "type", "id",
        (json_int_t)store_col_int(st, 2), "name_ar", store_col_text(st, 3), "name_en",
        store_col_text(st, 4), "mandatory", (int)store_col_int(st, 5), "status",
        store_col_text(st, 6), "filename", store_col_text(st, 7), "content_type",
        store_col_text(st, 8), "size", (json_int_t)store_col_int(st, 9), "attachment_id",
        (json_int_t)store_col_int(st, 10), "url", url, "reason_template", store_col_text(st, 11),
        "reason_text", store_col_text(st, 12), "note", store_col_text(st, 13));
    json_object_set_new(o, "reviewed_by",
                        store_col_is_null(st, 14) ? json_null()
                                                  : json_integer(store_col_int(st, 14)));
    json_object_set_new(o, "reviewed_at",
                        store_col_is_null(st, 15) ? json_null()
                                                  : json_integer(store_col_int(st, 15)));
    json_object_set_new(o, "replaces_id",
                        store_col_is_null(st, 16) ? json_null()
                                                  : json_integer(store_col_int(st, 16)));
    json_object_set_new(o, "created_at", json_integer(store_col_int(st, 17)));
    json_object_set_new(o, "scan", json_string(store_col_text(st, 18)));
    return o;
}

#define STAFF_DOC_SELECT                                                                           \
    "SELECT d.id, s.reference, t.id, t.name_ar, t.name_en, t.mandatory, d.status, a.filename, "    \
    "a.content_type, a.size, a.id, d.reason_template, d.reason_text, d.note, d.reviewed_by, "      \
    "d.reviewed_at, d.replaces_id, d.created_at, a.scan FROM documents d JOIN "                    \
    "document_submissions s ON s.id = d.submission_id JOIN document_types t ON t.id = "            \
    "d.document_type_id JOIN attachments a ON a.id = d.attachment_id "

/* The caller may see the conversation (department staff only escalated ones). */
static int may_see(store *db, const actor *who, int64_t conversation_id, sn_err *e)
{
    json_t *c = NULL;
    int rc = conv_get_json(db, who, conversation_id, 0, &c, e);
    json_decref(c);
    return rc;
}

static int audit_read(store *db, const actor *who, const char *action, int64_t id, int64_t conv)
{
    char oid[24], detail[64];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    snprintf(detail, sizeof detail, "{\"conversation_id\":%" PRId64 "}", conv);
    return audit_record(db, who, action, "conversation", oid, detail);
}

int doc_list_json(store *db, const actor *who, int64_t conversation_id, json_t **out, sn_err *e)
{
    int rc = may_see(db, who, conversation_id, e);
    if (rc < 0) return rc;
    store_stmt *st;
    if (store_prepare(db,
                      STAFF_DOC_SELECT "WHERE s.conversation_id = ? ORDER BY s.id, t.position, "
                                       "t.id, d.id",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_int(st, 1, conversation_id);
    *out = json_array();
    while ((rc = store_step(st)) == STORE_ROW)
        json_array_append_new(*out, staff_doc(st));
    store_finish(st);
    if (rc >= 0 && audit_read(db, who, "documents.list", conversation_id, conversation_id) < 0)
        rc = SN_EDB;
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    }
    return 0;
}

/* The attachment of a document for download, audited. */
int doc_file_row(store *db, const actor *who, int64_t doc_id, attachment_row *out, sn_err *e)
{
    doc_row d;
    int rc = doc_load(db, doc_id, &d);
    if (rc == SN_ENOTFOUND) return sn_fail(e, rc, NULL, "no such document");
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    if ((rc = may_see(db, who, d.conversation, e)) < 0) return rc;
    store_stmt *st;
    if (store_prepare(db,
                      "SELECT a.id, a.size, COALESCE(a.message_id, 0), a.sha256, "
                      "a.content_type, a.filename FROM documents d JOIN attachments a ON a.id "
                      "= d.attachment_id WHERE d.id = ?",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_int(st, 1, doc_id);
    memset(out, 0, sizeof *out);
    if ((rc = store_step(st)) == STORE_ROW) {
        out->id = store_col_int(st, 0);
        out->size = store_col_int(st, 1);
        out->message_id = store_col_int(st, 2);
        out->conversation_id = d.conversation;
        snprintf(out->sha256, sizeof out->sha256, "%s", store_col_text(st, 3));
        snprintf(out->content_type, sizeof out->content_type, "%s", store_col_text(st, 4));
        snprintf(out->filename, sizeof out->filename, "%s", store_col_text(st, 5));
    }
    store_finish(st);
    if (rc != STORE_ROW)
        return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read")
                      : sn_fail(e, SN_ENOTFOUND, NULL, "no such document");
    if (audit_read(db, who, "document.download", doc_id, d.conversation) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot record the read");
    return 0;
}

/* The notice to the citizen, in the submission's language. */
static char *notice_text(store *db, const doc_row *d, const doc_review_input *in, int accept,
                         const char *reason)
{
    char *out = NULL;
    size_t cap = 2048 + strlen(reason);
    out = malloc(cap);
    if (!out) return NULL;
    int en = !strcmp(d->lang, "en");
    const char *url = in->portal_url ? in->portal_url : "/documents";
    if (accept)
        snprintf(out, cap,
                 en ? "Your document \"%s\" (reference %s) was accepted."
                    : "تم قبول مستندك «%s» (المرجع %s).",
                 d->type_name, d->reference);
    else
        snprintf(out, cap,
                 en ? "Your document \"%s\" (reference %s) was not accepted: %s\n"
                      "Please upload a replacement at %s"
                    : "لم يُقبل مستندك «%s» (المرجع %s): %s\nيرجى رفع مستند بديل عبر %s",
                 d->type_name, d->reference, reason, url);
    (void)db;
    return out;
}

static int insert_notice(store *db, const actor *who, const doc_row *d, const char *text,
                         int64_t now, int64_t *mid)
{
    const char *channel = !strcmp(d->notify_channel, "sms") ? "sms" : "email";
    store_stmt *st;
    int rc = store_prepare(db,
                           "INSERT INTO messages (conversation_id, kind, channel, author_id, "
                           "body, delivery, meta, created_at) VALUES (?, 'reply', ?, ?, ?, "
                           "'queued', ?, ?) RETURNING id",
                           &st);
    if (rc < 0) return rc;
    json_t *meta = json_pack("{s:{s:s, s:I}}", "document_notice", "to", d->notify_to, "document_id",
                             (json_int_t)d->id);
    char *m = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    store_bind_int(st, 1, d->conversation);
    store_bind_text(st, 2, channel);
    if (who->user_id)
        store_bind_int(st, 3, who->user_id);
    else
        store_bind_null(st, 3);
    store_bind_text(st, 4, text);
    store_bind_text(st, 5, m ? m : "{}");
    store_bind_int(st, 6, now);
    rc = store_step(st);
    *mid = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    free(m);
    if (!*mid) return SN_EDB;
    if (!strcmp(channel, "email")) return outbox_enqueue_to(db, *mid, "email", d->notify_to, now);
    return docotp_queue_sms(db, d->notify_to, NULL, *mid, now);
}

static int review_write(store *db, const actor *who, const doc_row *d, const doc_review_input *in,
                        int accept, const char *reason, int64_t now, sn_err *e)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "UPDATE documents SET status = ?, reason_template = ?, reason_text "
                           "= ?, note = ?, reviewed_by = ?, reviewed_at = ? WHERE id = ? AND "
                           "status = 'pending'",
                           &st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    store_bind_text(st, 1, accept ? "accepted" : "rejected");
    store_bind_text(st, 2, accept ? "" : in->reason_template);
    store_bind_text(st, 3, reason);
    store_bind_text(st, 4, in->note ? in->note : "");
    store_bind_int(st, 5, who->user_id);
    store_bind_int(st, 6, now);
    store_bind_int(st, 7, d->id);
    rc = store_step(st);
    int64_t changed = rc == STORE_DONE ? store_changes(st) : 0;
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot save");
    if (!changed)
        return sn_fail_slug(e, SN_ECONFLICT, "not_pending", NULL,
                            "the document is not pending review");
    rc = 0;
    char *text = notice_text(db, d, in, accept, reason);
    int64_t mid = 0;
    if (!text || insert_notice(db, who, d, text, now, &mid) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot queue the notice");
    free(text);
    json_t *detail =
        json_pack("{s:s, s:I, s:s, s:I, s:s}", "reference", d->reference, "document_id",
                  (json_int_t)d->id, "document_type", d->type_name, "notice_message_id",
                  (json_int_t)mid, "notified_by", d->notify_channel);
    if (!accept) json_object_set_new(detail, "reason_template", json_string(in->reason_template));
    if (rc == 0 && conv_timeline_add_json(db, d->conversation, who,
                            accept ? "document_accepted" : "document_rejected", detail, now) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    else if (rc < 0)
        json_decref(detail);
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, d->id);
    if (rc == 0 && audit_append(db, who, accept ? "document.accept" : "document.reject", "document",
                                oid, NULL) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    return rc;
}

/* The reason a citizen reads: the approved template rendered in the submission's language. */
static int reason_text(store *db, const doc_row *d, const char *code, char **out, sn_err *e)
{
    json_t *ctx = json_pack("{s:{s:s}}", "conversation", "number", d->reference);
    int rc = template_render(db, code, d->lang, !strcmp(d->notify_channel, "sms") ? "sms" : "email",
                             ctx, out, e);
    json_decref(ctx);
    if (rc == SN_EUNPROCESSABLE && !strcmp(e->slug, "missing_placeholder")) {
        snprintf(e->field, sizeof e->field, "reason_template");
        return rc;
    }
    if (rc == SN_EUNPROCESSABLE || rc == SN_ECONFLICT)
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "reason_not_approved", "reason_template",
                            "reason_template must name an approved template");
    return rc;
}

int doc_review(store *db, const actor *who, int64_t doc_id, const doc_review_input *in,
               json_t **out, sn_err *e)
{
    int accept = !strcmp(in->decision, "accept");
    if (!accept && strcmp(in->decision, "reject"))
        return sn_fail(e, SN_EUNPROCESSABLE, "decision", "decision must be accept or reject");
    if (!accept && (!in->reason_template || !*in->reason_template))
        return sn_fail(e, SN_EUNPROCESSABLE, "reason_template",
                       "a rejection needs a reason template");
    doc_row d;
    int rc = doc_load(db, doc_id, &d);
    if (rc == SN_ENOTFOUND) return sn_fail(e, rc, NULL, "no such document");
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    if ((rc = may_see(db, who, d.conversation, e)) < 0) return rc;
    char *reason = NULL;
    if (!accept && (rc = reason_text(db, &d, in->reason_template, &reason, e)) < 0) return rc;
    int64_t now = clock_now_ms();
    if (store_begin_write(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    if (rc == 0) rc = review_write(db, who, &d, in, accept, reason ? reason : "", now, e);
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save");
    if (rc < 0) store_rollback(db);
    free(reason);
    if (rc < 0) return rc;
    store_stmt *st;
    if (store_prepare(db, STAFF_DOC_SELECT "WHERE d.id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_int(st, 1, doc_id);
    *out = store_step(st) == STORE_ROW ? staff_doc(st) : NULL;
    store_finish(st);
    return *out ? 0 : sn_fail(e, SN_EDB, NULL, "cannot read");
}
