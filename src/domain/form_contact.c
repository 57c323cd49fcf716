/* form_contact.c — contact-us form submissions, tracking codes and the citizen's view of their
 * case (the contract is in form_contact.h). */
#include "form_contact.h"

#include "conversation.h"
#include "customer.h"
#include "events.h"
#include "outbox.h"

#include "../core/clock.h"
#include "../core/crypto.h"
#include "../core/log.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_CHARS 12
#define CODE_GROUP 4
/* No 0/O, 1/I/L: a code read aloud or copied by hand survives. 31 symbols: ~59 bits. */
static const char code_alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/* ---- codes ----------------------------------------------------------------------------------- */

/* Arabic-Indic (U+0660–0669) and Persian (U+06F0–06F9) digits as ASCII; else -1. */
static int eastern_digit(const unsigned char *p)
{
    if (p[0] == 0xD9 && p[1] >= 0xA0 && p[1] <= 0xA9) return p[1] - 0xA0;
    if (p[0] == 0xDB && p[1] >= 0xB0 && p[1] <= 0xB9) return p[1] - 0xB0;
    return -1;
}

/* Upper-case ASCII, eastern digits made ASCII, spaces and dashes dropped when `drop_dashes`;
 * "" when anything else is outside [A-Z0-9-] or the result passes cap - 1. */
static void normalize_token(const char *in, int drop_dashes, char *out, size_t cap)
{
    size_t w = 0;
    out[0] = '\0';
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p;) {
        int d = p[1] ? eastern_digit(p) : -1;
        char ch;
        if (d >= 0) {
            ch = (char)('0' + d);
            p += 2;
        } else {
            ch = (char)*p++;
        }
        if (ch == ' ' || ch == '\t' || (drop_dashes && ch == '-')) continue;
        if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-') || w + 1 >= cap) {
            out[0] = '\0';
            return;
        }
        out[w++] = ch;
    }
    out[w] = '\0';
}

void form_code_normalize(const char *in, char *out, size_t cap)
{
    char tmp[40];
    normalize_token(in, 1, tmp, sizeof tmp);
    if (strlen(tmp) > 32) tmp[0] = '\0';
    snprintf(out, cap, "%s", tmp);
}

static void code_hash(const char *salt, const char *normalized, char out[65])
{
    char material[128];
    int n = snprintf(material, sizeof material, "%s:%s", salt, normalized);
    crypto_sha256_hex(material, (size_t)n, out);
}

/* A fresh code ("XXXX-XXXX-XXXX") for conversation conv: its salted hash is stored. */
static int issue_code(store *db, int64_t conv, const char *lang, int64_t now, char *code)
{
    size_t w = 0;
    for (int i = 0; i < CODE_CHARS; i++) {
        if (i && i % CODE_GROUP == 0) code[w++] = '-';
        code[w++] = code_alphabet[randombytes_uniform(sizeof code_alphabet - 1)];
    }
    code[w] = '\0';
    char salt[40], norm[40], hash[65];
    crypto_token(salt, sizeof salt, 16);
    form_code_normalize(code, norm, sizeof norm);
    code_hash(salt, norm, hash);
    store_stmt *st;
    int rc = store_prepare(db,
                           "INSERT INTO form_tracking (conversation_id, salt, code_hash, lang, "
                           "created_at) VALUES (?, ?, ?, ?, ?)",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    store_bind_text(st, 2, salt);
    store_bind_text(st, 3, hash);
    store_bind_text(st, 4, lang && !strcmp(lang, "en") ? "en" : "ar");
    store_bind_int(st, 5, now);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* ---- writing a contact ----------------------------------------------------------------------- */

static int attach_files(store *db, const form_file *files, int n, int64_t message_id, int64_t now)
{
    for (int i = 0; i < n; i++) {
        attachment_meta m = {files[i].filename, files[i].declared_type, NULL, 0, message_id};
        int64_t id;
        int rc = attachment_insert(db, &files[i].blob, &m, now, &id);
        if (rc < 0) return rc;
        if ((rc = attachment_link_message(db, id, message_id)) < 0) return rc;
    }
    return 0;
}

static char *meta_json(const char *via, const char *lang, int nfiles)
{
    json_t *o = json_pack("{s:{s:s, s:s, s:i}}", "form", "via", via, "lang",
                          lang && !strcmp(lang, "en") ? "en" : "ar", "files", nfiles);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

/* The confirmation: an automatic reply on the email channel, to this address, through the
 * outbound queue (its deliverer composes and sends it). It names the conversation's number and
 * where to follow it — never the tracking code, which is stored nowhere in clear. */
static int queue_confirmation(store *db, const form_submission *in, const form_receipt *r,
                              int64_t now)
{
    char body[2048];
    if (in->lang && !strcmp(in->lang, "en"))
        snprintf(body, sizeof body,
                 "Thank you for contacting us. We have received your request number %s and "
                 "will reply as soon as we can.\n\nFollow your request, or add to it, at %s "
                 "with the request number and the tracking code shown to you when you sent it.",
                 r->number, in->track_url ? in->track_url : "/track");
    else
        snprintf(body, sizeof body,
                 "شكرًا لتواصلك معنا. استلمنا طلبك رقم %s وسنرد عليك في أقرب وقت.\n\n"
                 "يمكنك متابعة طلبك أو الإضافة إليه من %s باستخدام رقم الطلب ورمز المتابعة "
                 "اللذين ظهرا لك عند الإرسال.",
                 r->number, in->track_url ? in->track_url : "/track");
    store_stmt *st;
    int rc = store_prepare(db,
                           "INSERT INTO messages (conversation_id, kind, channel, body, "
                           "template_code, delivery, meta, created_at) VALUES (?, "
                           "'auto_reply', 'email', ?, 'form_confirmation', 'queued', ?, ?) "
                           "RETURNING id",
                           &st);
    if (rc < 0) return rc;
    char *meta = meta_json("confirmation", in->lang, 0);
    store_bind_int(st, 1, r->conversation_id);
    store_bind_text(st, 2, body);
    store_bind_text(st, 3, meta ? meta : "{}");
    store_bind_int(st, 4, now);
    rc = store_step(st);
    int64_t mid = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    free(meta);
    if (!mid) return rc < 0 ? rc : SN_EDB;
    /* The address this submission gave, not whichever the customer had first. */
    return outbox_enqueue_to(db, mid, "email", in->email, now);
}

typedef struct unit {
    contact_input ci;
    const form_submission *sub;
    const form_file *files;
    int nfiles;
    const char *lang;
    int issue_always; /* a submission always gets a code; a reply only in a new conversation */
    form_receipt *out;
} unit;

static int run_unit(store *db, unit *u, int64_t now, sn_err *e)
{
    contact_result r;
    int rc = contact_receive_in_tx(db, &actor_system, &u->ci, now, &r, e);
    if (rc < 0) return rc;
    u->out->conversation_id = r.conversation_id;
    u->out->message_id = r.message_id;
    snprintf(u->out->number, sizeof u->out->number, "%s", r.number);
    u->out->code[0] = '\0';
    int fresh = !r.joined || (u->ci.conversation_id && r.conversation_id != u->ci.conversation_id);
    if ((rc = attach_files(db, u->files, u->nfiles, r.message_id, now)) < 0 ||
        ((u->issue_always || fresh) &&
         (rc = issue_code(db, r.conversation_id, u->lang, now, u->out->code)) < 0))
        return sn_fail(e, SN_EDB, NULL, "cannot store the form");
    u->out->confirmation = 0;
    if (u->sub && u->sub->email && *u->sub->email) {
        if (queue_confirmation(db, u->sub, u->out, now) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot queue the confirmation");
        u->out->confirmation = 1;
    }
    return 0;
}

/* One transaction; retried once on a unique-key race (a new identity arriving twice at once). */
static int run_tx(store *db, unit *u, int64_t now, sn_err *e)
{
    int rc = SN_EDB;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot store the form");
        rc = run_unit(db, u, now, e);
        if (rc == 0 && store_commit(db) == 0) {
            events_flush();
            return 0;
        }
        store_rollback(db);
        events_discard();
        if (rc != SN_ECONFLICT) break;
    }
    return rc < 0 ? rc : sn_fail(e, SN_EDB, NULL, "cannot store the form");
}

int form_submit(store *db, const form_submission *in, int64_t now, form_receipt *out, sn_err *e)
{
    memset(out, 0, sizeof *out);
    unit u;
    memset(&u, 0, sizeof u);
    json_t *cust = json_pack("{s:s}", "name", in->name ? in->name : "");
    if (in->national_id) json_object_set_new(cust, "national_id", json_string(in->national_id));
    if (in->mobile) json_object_set_new(cust, "phones", json_pack("[s]", in->mobile));
    if (in->email) json_object_set_new(cust, "emails", json_pack("[s]", in->email));
    int rc = customer_input_parse(cust, &u.ci.customer, e);
    json_decref(cust);
    if (rc < 0) return rc;
    char *meta = meta_json("contact", in->lang, in->nfiles);
    u.ci.channel = CH_FORM;
    u.ci.service_line = in->service_line && *in->service_line ? in->service_line : NULL;
    u.ci.subject = in->subject;
    u.ci.body = in->message;
    u.ci.received_at = now;
    u.ci.meta_json = meta;
    u.sub = in;
    u.files = in->files;
    u.nfiles = in->nfiles;
    u.lang = in->lang;
    u.issue_always = 1;
    u.out = out;
    rc = run_tx(db, &u, now, e);
    free(meta);
    return rc;
}

/* ---- tracking -------------------------------------------------------------------------------- */

/* Where a conversation ended up after merges. */
static int follow_merges(store *db, int64_t id, int64_t *out)
{
    for (int hops = 0; hops < 8; hops++) {
        store_stmt *st;
        if (store_prepare(db, "SELECT COALESCE(merged_into, 0) FROM conversations WHERE id = ?",
                          &st) < 0)
            return SN_EDB;
        store_bind_int(st, 1, id);
        int rc = store_step(st);
        int64_t next = rc == STORE_ROW ? store_col_int(st, 0) : 0;
        store_finish(st);
        if (rc < 0) return SN_EDB;
        if (!next) break;
        id = next;
    }
    *out = id;
    return 0;
}

int form_track_find(store *db, const char *number, const char *code, int64_t *conversation_id,
                    sn_err *e)
{
    char num[40], norm[40], hash[65];
    normalize_token(number, 0, num, sizeof num);
    form_code_normalize(code, norm, sizeof norm);
    store_stmt *st;
    if (store_prepare(db,
                      "SELECT t.conversation_id, t.salt, t.code_hash FROM form_tracking t "
                      "JOIN conversations v ON v.id = t.conversation_id WHERE v.number = ? "
                      "ORDER BY t.id",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the request");
    store_bind_text(st, 1, num);
    int64_t found = 0;
    int rc, rows = 0;
    while ((rc = store_step(st)) == STORE_ROW) {
        rows++;
        code_hash(store_col_text(st, 1), norm, hash);
        /* every row is compared, in constant time, whatever matched before */
        if (crypto_str_equal(hash, store_col_text(st, 2)) && *norm && !found)
            found = store_col_int(st, 0);
    }
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the request");
    if (!rows) { /* the same work as a number with a wrong code */
        char dummy[65];
        code_hash("0000000000000000000000", norm, hash);
        code_hash("1111111111111111111111", norm, dummy);
        (void)crypto_str_equal(hash, dummy);
    }
    if (!found) return sn_fail(e, SN_ENOTFOUND, NULL, "no request with this number and code");
    if (follow_merges(db, found, conversation_id) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the request");
    return 0;
}

static json_t *message_files(store *db, int64_t message_id)
{
    json_t *list = json_array();
    store_stmt *st;
    if (store_prepare(db, "SELECT filename, size FROM attachments WHERE message_id = ? ORDER BY id",
                      &st) < 0)
        return list;
    store_bind_int(st, 1, message_id);
    while (store_step(st) == STORE_ROW)
        json_array_append_new(list, json_pack("{s:s, s:I}", "filename", store_col_text(st, 0),
                                              "size", (json_int_t)store_col_int(st, 1)));
    store_finish(st);
    return list;
}

static int view_messages(store *db, int64_t conv, json_t *list)
{
    store_stmt *st;
    if (store_prepare(db,
                      "SELECT id, kind, body, created_at FROM messages WHERE conversation_id "
                      "= ? AND kind IN ('inbound', 'reply', 'auto_reply') ORDER BY id",
                      &st) < 0)
        return SN_EDB;
    store_bind_int(st, 1, conv);
    int rc;
    json_t *ids = json_array();
    while ((rc = store_step(st)) == STORE_ROW) {
        char at[40];
        clock_iso8601(store_col_int(st, 3), at, sizeof at);
        const char *kind = store_col_text(st, 1);
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s}", "body", store_col_text(st, 2), "from",
                                        strcmp(kind, "inbound") ? "center" : "citizen", "at", at));
        json_array_append_new(ids, json_integer(store_col_int(st, 0)));
    }
    store_finish(st);
    for (size_t i = 0; rc >= 0 && i < json_array_size(ids); i++)
        json_object_set_new(json_array_get(list, i), "attachments",
                            message_files(db, json_integer_value(json_array_get(ids, i))));
    json_decref(ids);
    return rc < 0 ? SN_EDB : 0;
}

int form_track_view_json(store *db, int64_t conversation_id, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db,
                      "SELECT number, status, subject, created_at FROM conversations WHERE "
                      "id = ?",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the request");
    store_bind_int(st, 1, conversation_id);
    int rc = store_step(st);
    json_t *o = NULL;
    if (rc == STORE_ROW) {
        char at[40];
        clock_iso8601(store_col_int(st, 3), at, sizeof at);
        o = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "number", store_col_text(st, 0), "status",
                      store_col_text(st, 1), "subject", store_col_text(st, 2), "created_at", at,
                      "messages");
    }
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the request");
    if (!o) return sn_fail(e, SN_ENOTFOUND, NULL, "no such request");
    if (view_messages(db, conversation_id, json_object_get(o, "messages")) < 0) {
        json_decref(o);
        return sn_fail(e, SN_EDB, NULL, "cannot read the request");
    }
    *out = o;
    return 0;
}

/* The customer and service line of a conversation, as a contact's input. */
static int conversation_owner(store *db, int64_t conv, contact_input *ci, char *line, size_t cap,
                              char *subject, size_t subject_cap, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db,
                      "SELECT v.customer_id, COALESCE(s.code, ''), v.subject FROM "
                      "conversations v LEFT "
                      "JOIN service_lines s ON s.id = v.service_line_id WHERE v.id = ?",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the request");
    store_bind_int(st, 1, conv);
    int rc = store_step(st);
    int64_t cust_id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    if (rc == STORE_ROW) {
        snprintf(line, cap, "%s", store_col_text(st, 1));
        snprintf(subject, subject_cap, "%s", store_col_text(st, 2));
    }
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the request");
    if (!cust_id) return sn_fail(e, SN_ENOTFOUND, NULL, "no such request");
    customer cust;
    if ((rc = customer_get(db, cust_id, &cust, e)) < 0) return rc;
    ci->customer.nids = cust.nids;
    memcpy(ci->customer.ids, cust.ids, sizeof cust.ids);
    return 0;
}

int form_track_reply(store *db, int64_t conversation_id, const form_reply *in, int64_t now,
                     form_receipt *out, sn_err *e)
{
    memset(out, 0, sizeof *out);
    unit u;
    memset(&u, 0, sizeof u);
    char line[128], subject[1024];
    int rc = conversation_owner(db, conversation_id, &u.ci, line, sizeof line, subject,
                                sizeof subject, e);
    if (rc < 0) return rc;
    char *meta = meta_json("track", in->lang, in->nfiles);
    u.ci.channel = CH_FORM;
    u.ci.service_line = line[0] ? line : NULL;
    u.ci.subject = subject; /* a new conversation (the old one was closed) keeps it */
    u.ci.body = in->message;
    u.ci.received_at = now;
    u.ci.meta_json = meta;
    u.ci.conversation_id = conversation_id;
    u.files = in->files;
    u.nfiles = in->nfiles;
    u.lang = in->lang;
    u.out = out;
    rc = run_tx(db, &u, now, e);
    free(meta);
    return rc;
}
