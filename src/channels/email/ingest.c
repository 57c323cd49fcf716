/* ingest.c — one raw email into Sanad: kept raw (content-addressed), parsed, classified,
 * threaded, and committed with its mail-log row in one transaction.
 *
 * What each kind becomes:
 *   message      a contact (contact_receive_in_tx): the threaded conversation, else the intake's
 *                own rule; attachments that pass the upload policy are stored and linked
 *   auto_reply,  never answered, never a contact: kept on the conversation they thread to (no
 *   bulk         automation), else only in the mail log
 *   bounce       the outbound message it names (by our HMAC'd Message-ID) becomes failed
 *   duplicate    a Message-ID seen before (or one of our own): only the mail-log row
 *   unparseable  a conversation showing that an unreadable email came, with the raw attached
 *
 * Threading: In-Reply-To, then References newest first — our own Message-IDs count when their
 * MAC is valid (whoever replies), stored inbound ones when the sender is that conversation's
 * customer — then a [#NUMBER] token in the subject, again only from the conversation's customer.
 * Subject text alone never threads. The display name is never used to identify anyone, and a
 * message from a staff address is an inbound message like any other (flagged). */
#include "email.h"

#include "../../core/clock.h"
#include "../../domain/attachment.h"
#include "../../domain/conversation.h"
#include "../../domain/events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TEXT_MAX = 2 << 20 };

/* What is computed before the transaction. */
typedef struct prep {
    email_parsed p;
    char raw_sha[65];
    int64_t raw_size;
    attachment_blob *blobs; /* per file; blobs[i].sha256[0] == 0 when rejected */
    json_t *rejected;       /* [{filename, reason}] */
    int64_t *file_ids;      /* rows inserted in the transaction */
    const config *cfg;
} prep;

static void prep_fini(prep *x)
{
    email_parsed_fini(&x->p);
    free(x->blobs);
    free(x->file_ids);
    json_decref(x->rejected);
    memset(x, 0, sizeof *x);
}

static attachment_policy policy_of(const config *cfg)
{
    attachment_policy p = {cfg->data, cfg->attachment_max_bytes, cfg->attachment_types,
                           cfg->clamd, 10000};
    return p;
}

/* Store the raw bytes, parse, and pass each attachment through the upload policy. Errors here
 * are transient (disk, scanner): the message is offered again later. */
static int prepare(const config *cfg, const email_source *src, const char *raw, size_t len,
                   prep *x, sn_err *e)
{
    memset(x, 0, sizeof *x);
    x->cfg = cfg;
    x->raw_size = (int64_t)len;
    x->rejected = json_array();
    int rc = attachment_write_file(cfg->data, raw, len, src->durable, x->raw_sha, e);
    if (rc < 0) return rc;
    email_limits lim = {(size_t)cfg->attachment_max_bytes, TEXT_MAX};
    if ((rc = email_parse(raw, len, &lim, &x->p)) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory parsing an email");
    x->blobs = calloc((size_t)x->p.nfiles + 1, sizeof *x->blobs);
    x->file_ids = calloc((size_t)x->p.nfiles + 1, sizeof *x->file_ids);
    if (!x->blobs || !x->file_ids) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    attachment_policy pol = policy_of(cfg);
    for (int i = 0; i < x->p.nfiles; i++) {
        email_file *f = &x->p.files[i];
        sn_err fe;
        sn_err_clear(&fe);
        rc = f->data ? attachment_check(&pol, f->data, f->len, &x->blobs[i], &fe)
                     : sn_fail(&fe, SN_ETOOLARGE, NULL, "the file is larger than allowed");
        if (rc == SN_EUNAVAILABLE) return sn_fail(e, rc, NULL, "%s", fe.message);
        if (rc == 0) rc = attachment_write_file(cfg->data, f->data, f->len, src->durable,
                                                x->blobs[i].sha256, e);
        if (rc == SN_EUNAVAILABLE || rc == SN_EINTERNAL) return rc;
        if (rc < 0) {
            const char *why = rc == SN_ETOOLARGE ? "too_large"
                              : rc == SN_EMEDIA ? "type_not_allowed"
                                                 : "infected";
            email_flag(&x->p, rc == SN_ETOOLARGE ? "attachment_too_large"
                              : rc == SN_EMEDIA  ? "attachment_type_rejected"
                                                 : "attachment_infected");
            json_array_append_new(x->rejected, json_pack("{s:s, s:s, s:s, s:I}", "filename",
                                                         f->filename, "reason", why, "content_type",
                                                         x->blobs[i].content_type, "size",
                                                         (json_int_t)f->len));
            x->blobs[i].sha256[0] = '\0';
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Threading. */

static int conv_customer(store *db, int64_t conv, int64_t *owner)
{
    store_stmt *st;
    *owner = 0;
    int rc = store_prepare(db, "SELECT customer_id FROM conversations WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conv);
    if ((rc = store_step(st)) == STORE_ROW) *owner = store_col_int(st, 0);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int conv_of_message(store *db, int64_t row, int64_t *conv)
{
    store_stmt *st;
    *conv = 0;
    int rc = store_prepare(db, "SELECT conversation_id FROM messages WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, row);
    if ((rc = store_step(st)) == STORE_ROW) *conv = store_col_int(st, 0);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The conversation one referenced Message-ID leads to (0: none). */
static int by_reference(store *db, prep *x, const char *id, int64_t sender, int64_t *conv)
{
    *conv = 0;
    int64_t row = email_msgid_verify(x->cfg->data, id);
    if (row) return conv_of_message(db, row, conv);
    if (!strncmp(id, "sanad.", 6)) {
        email_flag(&x->p, "forged_reference");
        return 0;
    }
    char dir[8] = "";
    int64_t found, owner;
    int rc = mail_ids_find(db, id, &found, NULL, dir);
    if (rc < 0 || !found) return rc;
    if (!strcmp(dir, "in")) { /* someone else's inbound id: only the same customer threads */
        if ((rc = conv_customer(db, found, &owner)) < 0) return rc;
        if (!sender || owner != sender) {
            email_flag(&x->p, "reference_ignored");
            return 0;
        }
    }
    *conv = found;
    return 0;
}

static int by_token(store *db, prep *x, int64_t sender, int64_t *conv)
{
    char number[32];
    *conv = 0;
    email_subject_token(x->p.subject, number, sizeof number);
    if (!number[0]) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, customer_id FROM conversations WHERE number = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, number);
    int64_t id = 0, owner = 0;
    if ((rc = store_step(st)) == STORE_ROW) {
        id = store_col_int(st, 0);
        owner = store_col_int(st, 1);
    }
    store_finish(st);
    if (rc < 0) return rc;
    if (id && sender && owner == sender) *conv = id;
    else if (id) email_flag(&x->p, "token_ignored");
    return 0;
}

static int thread_of(store *db, prep *x, int64_t sender, int64_t *conv, const char **how)
{
    *conv = 0;
    *how = "none";
    int rc = 0;
    if (x->p.in_reply_to && (rc = by_reference(db, x, x->p.in_reply_to, sender, conv)) < 0) return rc;
    for (size_t i = json_array_size(x->p.references); !*conv && i-- > 0;)
        if ((rc = by_reference(db, x, json_string_value(json_array_get(x->p.references, i)),
                               sender, conv)) < 0)
            return rc;
    if (*conv) {
        *how = "reference";
        return 0;
    }
    if ((rc = by_token(db, x, sender, conv)) < 0) return rc;
    if (*conv) *how = "token";
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Writing. */

typedef struct cid_map {
    prep *x;
    char url[64];
} cid_map;

static const char *resolve_cid(void *arg, const char *cid)
{
    cid_map *m = arg;
    for (int i = 0; i < m->x->p.nfiles; i++) {
        const char *c = m->x->p.files[i].content_id;
        if (c && m->x->file_ids[i] && !strcmp(c, cid)) {
            snprintf(m->url, sizeof m->url, "/api/v1/attachments/%" PRId64, m->x->file_ids[i]);
            return m->url;
        }
    }
    return NULL;
}

static int insert_files(store *db, prep *x, int64_t now)
{
    for (int i = 0; i < x->p.nfiles; i++) {
        if (!x->blobs[i].sha256[0]) continue;
        email_file *f = &x->p.files[i];
        attachment_meta m = {f->filename, f->declared_type, f->content_id, f->is_inline, 0};
        int rc = attachment_insert(db, &x->blobs[i], &m, now, &x->file_ids[i]);
        if (rc < 0) return rc;
    }
    return 0;
}

static int link_files(store *db, prep *x, int64_t message_row)
{
    for (int i = 0; i < x->p.nfiles; i++)
        if (x->file_ids[i]) {
            int rc = attachment_link_message(db, x->file_ids[i], message_row);
            if (rc < 0) return rc;
        }
    return 0;
}

/* The message's meta JSON: {"email": {...}}; the sanitised HTML rides along. */
static char *meta_json(prep *x, const email_source *src, const char *html, const char *how)
{
    email_parsed *p = &x->p;
    json_t *em = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:s}", "message_id",
                           p->message_id ? p->message_id : "", "from",
                           p->from_addr ? p->from_addr : "", "from_name",
                           p->from_name ? p->from_name : "", "subject", p->subject, "flags",
                           p->flags, "rejected_attachments", x->rejected, "threaded_by", how);
    if (html) json_object_set_new(em, "body_html", json_string(html));
    if (src->mb) {
        json_object_set_new(em, "mailbox", json_string(src->mb->name));
        json_object_set_new(em, "mailbox_id", json_integer(src->mb->id));
    }
    if (p->in_reply_to) json_object_set_new(em, "in_reply_to", json_string(p->in_reply_to));
    json_t *meta = json_pack("{s:o}", "email", em);
    char *text = json_dumps(meta, JSON_COMPACT);
    json_decref(meta);
    return text;
}

static char *body_text(prep *x)
{
    if (x->p.text && *x->p.text) return strdup(x->p.text);
    char *t = NULL;
    if (x->p.html && email_html_to_text(x->p.html, TEXT_MAX, &t) == 0) return t;
    return strdup("");
}

static char *clean_html(prep *x)
{
    if (!x->p.html) return NULL;
    cid_map map = {x, ""};
    email_html_opts o = {x->cfg->remote_images, resolve_cid, &map, 4u << 20};
    char *out = NULL;
    email_html_sanitize(x->p.html, &o, x->p.flags, &out);
    return out;
}

typedef struct logctx {
    const email_source *src;
    prep *x;
    int64_t now;
    email_outcome *out;
} logctx;

static int write_log(store *db, const logctx *l, const char *kind, int64_t conv, int64_t row,
                     const char *detail)
{
    email_parsed *p = &l->x->p;
    char *flags = json_dumps(p->flags, JSON_COMPACT);
    mail_log_entry m = {l->src->mb ? l->src->mb->id : 0, l->src->uidvalidity, l->src->uid,
                        l->x->raw_sha, l->x->raw_size, p->message_id ? p->message_id : "",
                        p->from_addr ? p->from_addr : "", p->from_name ? p->from_name : "",
                        p->subject, kind, conv, row, flags, detail, l->now};
    int rc = mail_log_insert(db, &m);
    free(flags);
    l->out->kind = kind;
    l->out->conversation_id = conv;
    return rc;
}

/* An earlier copy of this Message-ID (or our own outbound id): its conversation, or -1 none. */
static int seen_before(store *db, const char *message_id, int64_t *conv, int *own)
{
    *conv = -1;
    *own = 0;
    if (!message_id) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT COALESCE(conversation_id, 0) FROM mail_inbound WHERE "
                               "message_id = ? AND kind <> 'duplicate' ORDER BY id LIMIT 1", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, message_id);
    if ((rc = store_step(st)) == STORE_ROW) *conv = store_col_int(st, 0);
    store_finish(st);
    if (rc < 0 || *conv >= 0) return rc < 0 ? rc : 0;
    char dir[8] = "";
    int64_t found;
    if ((rc = mail_ids_find(db, message_id, &found, NULL, dir)) < 0) return rc;
    if (found) {
        *conv = found;
        *own = !strcmp(dir, "out");
    }
    return 0;
}

static int take_bounce(store *db, const logctx *l)
{
    email_parsed *p = &l->x->p;
    int64_t row = p->bounce_ref ? email_msgid_verify(l->x->cfg->data, p->bounce_ref) : 0;
    int64_t conv = 0;
    char detail[512];
    snprintf(detail, sizeof detail, "%s%s%s%s%s", p->bounce_recipient ? p->bounce_recipient : "",
             p->bounce_status ? " " : "", p->bounce_status ? p->bounce_status : "",
             p->bounce_diagnostic ? " " : "", p->bounce_diagnostic ? p->bounce_diagnostic : "");
    int rc = 0;
    if (row && p->bounce_failed) {
        char reason[600];
        snprintf(reason, sizeof reason, "bounced: %s", detail[0] ? detail : "delivery failed");
        rc = mail_mark_bounced(db, row, reason, l->now, &conv);
    } else if (row) {
        rc = conv_of_message(db, row, &conv);
    } else if (p->bounce_ref) {
        email_flag(p, "bounce_reference_unknown");
    }
    if (rc < 0) return rc;
    return write_log(db, l, "bounce", conv, 0, detail);
}

/* Auto-replies and bulk mail: kept on the conversation they thread to, never answered. */
static int take_quiet(store *db, const logctx *l, int64_t sender)
{
    int64_t conv = 0, row = 0;
    const char *how;
    int rc = thread_of(db, l->x, sender, &conv, &how);
    if (rc == 0 && conv) {
        char *html = clean_html(l->x), *body = body_text(l->x), *meta = meta_json(l->x, l->src, html, how);
        rc = body && meta ? mail_record_message(db, conv, body, meta, l->now, &row) : SN_EINTERNAL;
        free(html);
        free(body);
        free(meta);
    }
    if (rc == 0 && conv && l->x->p.message_id)
        rc = mail_ids_add(db, l->x->p.message_id, conv, row, "in", l->now);
    if (rc == 0) rc = write_log(db, l, l->x->p.kind, conv, row, "");
    return rc;
}

static int take_contact(store *db, const logctx *l, int64_t sender, const char *kind, sn_err *e)
{
    prep *x = l->x;
    email_parsed *p = &x->p;
    contact_input in;
    memset(&in, 0, sizeof in);
    in.channel = CH_EMAIL;
    if (p->from_addr) {
        json_t *c = json_pack("{s:[s]}", "emails", p->from_addr);
        sn_err ce;
        if (customer_input_parse(c, &in.customer, &ce) < 0) {
            memset(&in.customer, 0, sizeof in.customer);
            email_flag(p, "bad_sender");
        }
        json_decref(c);
    }
    const char *how = "none";
    int rc = 0;
    if (!strcmp(kind, "message") && (rc = thread_of(db, x, sender, &in.conversation_id, &how)) < 0)
        return rc;
    char external[600];
    if (p->message_id) snprintf(external, sizeof external, "mail:%s", p->message_id);
    else snprintf(external, sizeof external, "mail-sha256:%s", x->raw_sha);
    if ((rc = insert_files(db, x, l->now)) < 0) return rc;
    char *html = clean_html(x), *body = body_text(x), *meta = meta_json(x, l->src, html, how);
    in.service_line = l->src->mb && l->src->mb->service_line[0] ? l->src->mb->service_line : NULL;
    in.subject = p->subject[0] ? p->subject : (!strcmp(kind, "unparseable") ? "(unreadable email)" : "");
    in.body = body;
    in.received_at = l->now;
    in.external_id = external;
    in.meta_json = meta;
    contact_result r;
    rc = body && meta ? contact_receive_in_tx(db, &actor_system, &in, l->now, &r, e) : SN_EINTERNAL;
    free(html);
    free(body);
    free(meta);
    if (rc < 0) return rc;
    if (r.duplicate) return write_log(db, l, "duplicate", r.conversation_id, 0, "");
    if ((rc = link_files(db, x, r.message_id)) < 0) return rc;
    if (p->message_id && (rc = mail_ids_add(db, p->message_id, r.conversation_id, r.message_id,
                                            "in", l->now)) < 0)
        return rc;
    return write_log(db, l, kind, r.conversation_id, r.message_id, "");
}

/* A message nothing could be read from: a conversation says so, with the raw bytes attached. */
static int take_unparseable(store *db, const logctx *l, sn_err *e)
{
    prep *x = l->x;
    free(x->p.text);
    x->p.text = strdup("An email arrived that could not be read. Its raw form is attached.\n"
                       "وصلت رسالة بريد إلكتروني تعذّرت قراءتها، ومرفق نصها الخام.");
    email_file *grown = realloc(x->p.files, (size_t)(x->p.nfiles + 1) * sizeof *grown);
    attachment_blob *blobs = realloc(x->blobs, (size_t)(x->p.nfiles + 1) * sizeof *blobs);
    int64_t *ids = realloc(x->file_ids, (size_t)(x->p.nfiles + 1) * sizeof *ids);
    if (grown) x->p.files = grown;
    if (blobs) x->blobs = blobs;
    if (ids) x->file_ids = ids;
    if (!grown || !blobs || !ids || !x->p.text) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    int i = x->p.nfiles++;
    memset(&x->p.files[i], 0, sizeof x->p.files[i]);
    x->p.files[i].filename = strdup("message.eml");
    x->p.files[i].declared_type = strdup("message/rfc822");
    memset(&x->blobs[i], 0, sizeof x->blobs[i]);
    snprintf(x->blobs[i].sha256, sizeof x->blobs[i].sha256, "%s", x->raw_sha);
    x->blobs[i].size = x->raw_size;
    snprintf(x->blobs[i].content_type, sizeof x->blobs[i].content_type, "message/rfc822");
    snprintf(x->blobs[i].scan, sizeof x->blobs[i].scan, "skipped");
    x->file_ids[i] = 0;
    return take_contact(db, l, 0, "unparseable", e);
}

static int commit_part(store *db, const email_source *src, prep *x, email_outcome *out, sn_err *e)
{
    memset(out, 0, sizeof *out);
    logctx l = {src, x, clock_now_ms(), out};
    email_parsed *p = &x->p;
    int rc;
    if (src->uid && (rc = mail_log_has_uid(db, src->mb ? src->mb->id : 0, src->uidvalidity, src->uid)) != 0) {
        out->already = rc > 0;
        return rc < 0 ? rc : 0;
    }
    int64_t prior, sender = 0;
    int own;
    if ((rc = seen_before(db, p->message_id, &prior, &own)) < 0) return rc;
    if (prior >= 0) {
        if (own) email_flag(p, "own_message");
        return write_log(db, &l, "duplicate", prior, 0, "");
    }
    if (p->from_addr && (rc = mail_customer_of(db, p->from_addr, &sender)) < 0) return rc;
    if (p->from_addr && mail_is_staff_address(db, p->from_addr)) email_flag(p, "from_staff_address");
    if (!p->parsed) rc = take_unparseable(db, &l, e);
    else if (!strcmp(p->kind, "bounce")) rc = take_bounce(db, &l);
    else if (strcmp(p->kind, "message") != 0) rc = take_quiet(db, &l, sender);
    else rc = take_contact(db, &l, sender, "message", e);
    return rc;
}

int email_ingest_in_tx(store *db, const config *cfg, const email_source *src, const char *raw,
                       size_t len, email_outcome *out, sn_err *e)
{
    prep x;
    int rc = prepare(cfg, src, raw, len, &x, e);
    if (rc == 0) rc = commit_part(db, src, &x, out, e);
    if (rc < 0 && !e->code) sn_fail(e, rc == SN_ECONFLICT ? SN_ECONFLICT : SN_EDB, NULL,
                                    "cannot store the email");
    prep_fini(&x);
    return rc;
}

int email_ingest(store *db, const config *cfg, const email_source *src, const char *raw,
                 size_t len, email_outcome *out, sn_err *e)
{
    prep x;
    sn_err_clear(e);
    int rc = prepare(cfg, src, raw, len, &x, e);
    for (int attempt = 0; rc == 0 && attempt < 3; attempt++) {
        if ((rc = store_begin_write(db)) < 0) break;
        rc = commit_part(db, src, &x, out, e);
        if (rc == 0 && (rc = store_commit(db)) == 0) {
            events_flush();
            break;
        }
        store_rollback(db);
        events_discard();
        if (rc != SN_ECONFLICT) break;
        sn_err_clear(e);
        if (attempt < 2) rc = 0;
        prep_fini(&x);
        if (rc == 0) rc = prepare(cfg, src, raw, len, &x, e);
    }
    if (rc < 0 && !e->code) sn_fail(e, SN_EDB, NULL, "cannot store the email");
    prep_fini(&x);
    return rc;
}
