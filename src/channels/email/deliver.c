/* deliver.c — the handler of 'email' jobs (queued by outbox_enqueue): compose the reply with
 * GMime and send it over SMTP with libcurl; record sent, or failed with the reason.
 *
 * Once per job, stable across attempts: the Message-ID (sanad.ROW.NONCE.MAC@domain) is chosen
 * before the first attempt and stored with the delivery row, so a retry after a crash sends the
 * same message (receivers drop duplicates by Message-ID) and replies thread even then.
 * Outcome: 2xx → sent; SMTP 5xx, no address or no SMTP mailbox → failed at once; anything else
 * → retried with the runner's backoff, failed after the last attempt.
 *
 * No header injection: every header value is built from stored data with control characters
 * replaced, addresses are validated, and GMime encodes and folds what it writes. */
#include "email.h"

#include "../../core/clock.h"
#include "../../core/keyring.h"
#include "../../domain/identity.h"
#include "../../jobs/jobs.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SMTP_TIMEOUT_MS = 30000, REFERENCES_MAX = 20 };

typedef struct outgoing {
    int64_t row, conv, customer;
    char kind[16], delivery[16], number[32];
    char *body, *subject, *msgid;
    char to[256];
    mailbox mb;
    json_t *refs;      /* the conversation's Message-IDs, oldest first */
    char *in_reply_to; /* the latest inbound one */
} outgoing;

static void outgoing_fini(outgoing *o)
{
    free(o->body);
    free(o->subject);
    free(o->msgid);
    free(o->in_reply_to);
    json_decref(o->refs);
}

/* Replace CR, LF and other controls by spaces: nothing a header value holds can start a line. */
static char *header_safe(const char *s)
{
    char *out = strdup(s ? s : "");
    for (char *p = out; p && *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f) *p = ' ';
    return out;
}

static int id_safe(const char *id)
{
    if (!id || !*id || strlen(id) > 250) return 0;
    for (const char *p = id; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == 0x7f) return 0;
    return 1;
}

static int load_message(store *db, outgoing *o)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT m.conversation_id, m.kind, m.delivery, m.body, v.number, "
                               "v.subject, v.customer_id, COALESCE(b.message_id, ''), "
                               "COALESCE(b.mailbox_id, 0), COALESCE(b.to_addr, '') FROM "
                               "messages m JOIN conversations v "
                               "ON v.id = m.conversation_id LEFT JOIN mail_outbound b ON "
                               "b.message_row = m.id WHERE m.id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, o->row);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        o->conv = store_col_int(st, 0);
        snprintf(o->kind, sizeof o->kind, "%s", store_col_text(st, 1));
        snprintf(o->delivery, sizeof o->delivery, "%s", store_col_text(st, 2));
        o->body = strdup(store_col_text(st, 3));
        snprintf(o->number, sizeof o->number, "%s", store_col_text(st, 4));
        o->subject = strdup(store_col_text(st, 5));
        o->customer = store_col_int(st, 6);
        o->msgid = store_col_text(st, 7)[0] ? strdup(store_col_text(st, 7)) : NULL;
        o->mb.id = store_col_int(st, 8);
        /* an address fixed when the message was queued (the contact form's confirmation) */
        snprintf(o->to, sizeof o->to, "%s", store_col_text(st, 9));
    }
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

/* The latest inbound email of the conversation that is not an automatic one: its sender, its
 * mailbox and its Message-ID. */
static int latest_inbound(store *db, outgoing *o, int64_t *mailbox_id)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT meta FROM messages WHERE conversation_id = ? AND kind = "
                               "'inbound' AND channel = 'email' ORDER BY id DESC LIMIT 20", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, o->conv);
    while ((rc = store_step(st)) == STORE_ROW) {
        json_t *m = json_loads(store_col_text(st, 0), 0, NULL), *em = json_object_get(m, "email");
        const char *from = json_string_value(json_object_get(em, "from"));
        const char *kind_flags = json_dumps(json_object_get(em, "flags"), JSON_COMPACT);
        int automatic = kind_flags && (strstr(kind_flags, "\"auto_reply\"") || strstr(kind_flags, "\"bulk\""));
        free((char *)kind_flags);
        if (from && *from && !automatic) {
            char norm[IDENTITY_MAX];
            sn_err e;
            if (identity_normalize(ID_EMAIL, from, norm, sizeof norm, &e) == 0 && !o->to[0])
                snprintf(o->to, sizeof o->to, "%s", norm);
            const char *mid = json_string_value(json_object_get(em, "message_id"));
            if (mid && id_safe(mid) && !o->in_reply_to) o->in_reply_to = strdup(mid);
            *mailbox_id = json_integer_value(json_object_get(em, "mailbox_id"));
            json_decref(m);
            break;
        }
        json_decref(m);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int customer_address(store *db, outgoing *o)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT value FROM customer_identities WHERE customer_id = ? AND "
                               "kind = 'email' ORDER BY id LIMIT 1", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, o->customer);
    if ((rc = store_step(st)) == STORE_ROW) snprintf(o->to, sizeof o->to, "%s", store_col_text(st, 0));
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The mailbox to send from: the delivery's, the one the customer wrote to, the conversation's
 * service line's, else the first one that can send. */
static int pick_mailbox(store *db, outgoing *o, int64_t inbound_mailbox)
{
    int64_t want = o->mb.id ? o->mb.id : inbound_mailbox;
    if (want && mailbox_by_id(db, want, &o->mb) == 0 && o->mb.smtp_url[0]) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "SELECT m.id FROM mailboxes m JOIN conversations v ON v.id = ? "
                               "WHERE m.enabled = 1 AND m.smtp_url <> '' ORDER BY (CASE WHEN "
                               "m.service_line_id = v.service_line_id THEN 0 ELSE 1 END), m.id "
                               "LIMIT 1", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, o->conv);
    int64_t id = 0;
    if ((rc = store_step(st)) == STORE_ROW) id = store_col_int(st, 0);
    store_finish(st);
    if (rc < 0) return rc;
    if (!id) return SN_ENOTFOUND;
    return mailbox_by_id(db, id, &o->mb);
}

/* Choose the Message-ID once and keep it (with where the message goes) before sending. */
static int fix_message_id(const job_ctx *ctx, outgoing *o)
{
    if (o->msgid) return 0;
    const char *at = strrchr(o->mb.address, '@');
    char id[320];
    if (email_msgid_make(ctx->cfg->data, o->row, at ? at + 1 : "sanad.local", id, sizeof id) < 0)
        return SN_EINTERNAL;
    int64_t now = clock_now_ms();
    store_stmt *st;
    int rc = store_begin_write(ctx->db);
    if (rc == 0 && (rc = store_prepare(ctx->db, "UPDATE mail_outbound SET message_id = ?, "
                                                "mailbox_id = ?, to_addr = ?, updated_at = ? "
                                                "WHERE message_row = ? AND message_id = ''", &st)) == 0) {
        store_bind_text(st, 1, id);
        store_bind_int(st, 2, o->mb.id);
        store_bind_text(st, 3, o->to);
        store_bind_int(st, 4, now);
        store_bind_int(st, 5, o->row);
        rc = store_step(st);
        store_finish(st);
    }
    if (rc >= 0) rc = mail_ids_add(ctx->db, id, o->conv, o->row, "out", now);
    if (rc >= 0) rc = store_commit(ctx->db);
    if (rc < 0) {
        store_rollback(ctx->db);
        return rc;
    }
    o->msgid = strdup(id);
    return o->msgid ? 0 : SN_EINTERNAL;
}

/* ---------------------------------------------------------------------------------------------
 * Composition. */

/* Right-to-left when Arabic letters outnumber Latin ones. */
static int is_rtl(const char *s)
{
    int arabic = 0, latin = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = *p;
        if (c < 0x80) {
            latin += (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
            p++;
            continue;
        }
        if ((c & 0xE0) == 0xC0 && p[1]) { /* two-byte: U+0600–U+07FF holds Arabic */
            unsigned cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
            arabic += cp >= 0x600 && cp <= 0x6FF;
            p += 2;
            continue;
        }
        p++;
    }
    return arabic > latin;
}

static void html_escape(GString *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': g_string_append(out, "&amp;"); break;
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        case '\n': g_string_append(out, "<br>\n"); break;
        case '\r': break;
        default: g_string_append_c(out, *s);
        }
    }
}

static char *html_body(const char *text, const char *number)
{
    int rtl = is_rtl(text);
    GString *h = g_string_new(NULL);
    g_string_append_printf(h, "<!DOCTYPE html>\n<html dir=\"%s\" lang=\"%s\"><head><meta "
                              "charset=\"utf-8\"></head>\n<body dir=\"%s\" style=\"direction: %s; "
                              "text-align: %s; font-family: Tahoma, Arial, sans-serif;\">\n<div>",
                           rtl ? "rtl" : "ltr", rtl ? "ar" : "en", rtl ? "rtl" : "ltr",
                           rtl ? "rtl" : "ltr", rtl ? "right" : "left");
    html_escape(h, text);
    g_string_append(h, "</div>\n<p style=\"color: #777777; font-size: small;\">");
    html_escape(h, number);
    g_string_append(h, "</p>\n</body></html>\n");
    return g_string_free(h, FALSE);
}

static char *subject_line(const outgoing *o)
{
    char *base = header_safe(o->subject);
    char token[48];
    snprintf(token, sizeof token, "[#%s]", o->number);
    GString *s = g_string_new(NULL);
    if (base && *base && strncasecmp(base, "re:", 3) != 0) g_string_append(s, "Re: ");
    if (base) g_string_append(s, base);
    if (!strstr(s->str, token)) g_string_append_printf(s, "%s%s", s->len ? " " : "", token);
    free(base);
    return g_string_free(s, FALSE);
}

static GMimeObject *text_part(const char *subtype, const char *text)
{
    GMimeTextPart *t = g_mime_text_part_new_with_subtype(subtype);
    g_mime_text_part_set_text(t, text);
    g_mime_text_part_set_charset(t, "utf-8");
    g_mime_part_set_content_encoding(GMIME_PART(t), GMIME_CONTENT_ENCODING_BASE64);
    return GMIME_OBJECT(t);
}

static void set_threading(GMimeMessage *m, const outgoing *o)
{
    GString *refs = g_string_new(NULL);
    size_t i;
    json_t *v;
    json_array_foreach(o->refs, i, v)
    {
        const char *id = json_string_value(v);
        if (!id_safe(id) || !strcmp(id, o->msgid)) continue;
        g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "", id);
    }
    if (o->in_reply_to) {
        char irt[260];
        snprintf(irt, sizeof irt, "<%s>", o->in_reply_to);
        g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", irt, NULL);
    }
    if (refs->len) g_mime_object_set_header(GMIME_OBJECT(m), "References", refs->str, NULL);
    g_string_free(refs, TRUE);
}

/* The whole message, CRLF line ends; *out malloc'd. */
static int compose(const outgoing *o, char **out, size_t *len)
{
    GMimeMessage *m = g_mime_message_new(TRUE);
    char *name = header_safe(o->mb.name), *subject = subject_line(o);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, name, o->mb.address);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, o->to);
    g_mime_message_set_subject(m, subject, "utf-8");
    g_mime_message_set_message_id(m, o->msgid);
    GDateTime *now = g_date_time_new_now_utc();
    g_mime_message_set_date(m, now);
    g_date_time_unref(now);
    set_threading(m, o);
    if (!strcmp(o->kind, "auto_reply"))
        g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-replied", NULL);
    g_mime_object_set_header(GMIME_OBJECT(m), "X-Sanad-Conversation", o->number, NULL);
    GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
    char ref[48];
    snprintf(ref, sizeof ref, "[#%s]", o->number);
    char *html = html_body(o->body, ref);
    GMimeObject *tp = text_part("plain", o->body), *hp = text_part("html", html);
    g_mime_multipart_add(alt, tp);
    g_mime_multipart_add(alt, hp);
    g_object_unref(tp);
    g_object_unref(hp);
    g_mime_message_set_mime_part(m, GMIME_OBJECT(alt));
    g_object_unref(alt);
    GMimeStream *mem = g_mime_stream_mem_new();
    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    g_mime_object_write_to_stream(GMIME_OBJECT(m), fo, mem);
    g_mime_format_options_free(fo);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    *out = malloc(ba->len + 1);
    if (*out) {
        memcpy(*out, ba->data, ba->len);
        (*out)[ba->len] = '\0';
        *len = ba->len;
    }
    g_object_unref(mem);
    g_object_unref(m);
    g_free(html);
    free(name);
    g_free(subject);
    return *out ? 0 : SN_EINTERNAL;
}

/* ---------------------------------------------------------------------------------------------
 * SMTP. */

typedef struct upload {
    const char *data;
    size_t len, off;
    const job_ctx *ctx;
} upload;

static size_t read_cb(char *dst, size_t size, size_t n, void *arg)
{
    upload *u = arg;
    size_t want = size * n, left = u->len - u->off;
    if (want > left) want = left;
    memcpy(dst, u->data + u->off, want);
    u->off += want;
    return want;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    return atomic_load(((upload *)arg)->ctx->stopping);
}

/* 0 sent; SN_EUNPROCESSABLE for a permanent refusal (5xx); SN_EUNAVAILABLE otherwise. */
static int smtp_send_to(const job_ctx *ctx, const mailbox *mb, const char *to, const char *msg,
                        size_t len, sn_err *e)
{
    char *password = NULL;
    if (mb->password_enc[0] && keyring_open(ctx->cfg->data, mb->password_enc, &password, e) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, NULL, "the mailbox password cannot be decrypted");
    char from[300], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof from, "<%s>", mb->address);
    char rcpt[300];
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    upload u = {msg, len, 0, ctx};
    CURL *h = curl_easy_init();
    int rc = 0;
    if (!h || !rcpts) {
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot start a transfer");
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, mb->smtp_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)SMTP_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &u);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (mb->username[0]) curl_easy_setopt(h, CURLOPT_USERNAME, mb->username);
    if (password && *password) curl_easy_setopt(h, CURLOPT_PASSWORD, password);
    CURLcode res = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (res != CURLE_OK) {
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(res);
        if (code >= 500 && code < 600)
            rc = sn_fail(e, SN_EUNPROCESSABLE, NULL, "SMTP %ld: %s", code, why);
        else
            rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "SMTP %ld: %s", code, why);
    }
out:
    if (h) curl_easy_cleanup(h);
    curl_slist_free_all(rcpts);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    return rc;
}

static int smtp_send(const job_ctx *ctx, const outgoing *o, const char *msg, size_t len, sn_err *e)
{
    return smtp_send_to(ctx, &o->mb, o->to, msg, len, e);
}

/* Final state of the message row and the delivery row, with meta.email updated. */
static int record(store *db, const outgoing *o, const char *state, const char *error)
{
    int64_t now = clock_now_ms();
    store_stmt *st;
    int rc = store_begin_write(db);
    char *meta = NULL;
    if (rc == 0 && (rc = store_prepare(db, "SELECT meta FROM messages WHERE id = ?", &st)) == 0) {
        store_bind_int(st, 1, o->row);
        if ((rc = store_step(st)) == STORE_ROW) {
            json_t *m = json_loads(store_col_text(st, 0), 0, NULL);
            if (!json_is_object(m)) {
                json_decref(m);
                m = json_object();
            }
            json_t *em = json_pack("{s:s, s:s, s:s}", "message_id", o->msgid ? o->msgid : "", "to",
                                   o->to, "mailbox", o->mb.name);
            if (error && *error) json_object_set_new(em, "error", json_string(error));
            json_object_set_new(m, "email", em);
            meta = json_dumps(m, JSON_COMPACT);
            json_decref(m);
        }
        store_finish(st);
    }
    if (rc >= 0 && (rc = store_prepare(db, "UPDATE messages SET delivery = ?, meta = COALESCE(?, "
                                           "meta) WHERE id = ?", &st)) == 0) {
        store_bind_text(st, 1, state);
        store_bind_text(st, 2, meta);
        store_bind_int(st, 3, o->row);
        rc = store_step(st);
        store_finish(st);
    }
    if (rc >= 0) rc = mail_outbound_mark(db, o->row, state, error, now);
    if (rc >= 0) rc = store_commit(db);
    if (rc < 0) store_rollback(db);
    free(meta);
    return rc < 0 ? rc : 0;
}

static int prepare_outgoing(const job_ctx *ctx, outgoing *o, sn_err *e)
{
    int rc = load_message(ctx->db, o);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_ENOTFOUND, NULL, "the message is gone");
    if (rc < 0) return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot read the message");
    if (strcmp(o->delivery, "queued") != 0) return 1; /* already sent or failed: nothing to do */
    int64_t inbound_mailbox = 0;
    if ((rc = latest_inbound(ctx->db, o, &inbound_mailbox)) < 0 ||
        (!o->to[0] && (rc = customer_address(ctx->db, o)) < 0))
        return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot read the conversation");
    if (!o->to[0]) return sn_fail(e, SN_EUNPROCESSABLE, NULL, "the customer has no email address");
    rc = pick_mailbox(ctx->db, o, inbound_mailbox);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_EUNPROCESSABLE, NULL, "no mailbox can send email");
    if (rc < 0) return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot read the mailbox");
    if (fix_message_id(ctx, o) < 0) return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot prepare the message");
    if (mail_ids_of_conversation(ctx->db, o->conv, REFERENCES_MAX, &o->refs) < 0)
        return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot read the thread");
    return 0;
}

int job_email_deliver(const job_ctx *ctx, const job *j, sn_err *e)
{
    outgoing o;
    memset(&o, 0, sizeof o);
    o.row = json_integer_value(json_object_get(j->payload, "message_id"));
    if (o.row <= 0) return sn_fail(e, SN_EINVALID, NULL, "malformed email job");
    int rc = prepare_outgoing(ctx, &o, e);
    char *msg = NULL;
    size_t len = 0;
    if (rc == 0 && compose(&o, &msg, &len) < 0) rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "out of memory");
    if (rc == 0) rc = smtp_send(ctx, &o, msg, len, e);
    int last = rc < 0 && (rc == SN_EUNPROCESSABLE || rc == SN_ENOTFOUND ||
                          j->attempt >= j->max_attempts);
    if (rc == 0) {
        if (record(ctx->db, &o, "sent", "") < 0)
            rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "sent, but the outcome could not be saved");
    } else if (rc < 0 && last && rc != SN_ENOTFOUND) {
        record(ctx->db, &o, "failed", e->message);
    } else if (rc < 0) {
        mail_outbound_mark(ctx->db, o.row, "queued", e->message, clock_now_ms());
    }
    free(msg);
    outgoing_fini(&o);
    return rc > 0 ? 0 : rc;
}

/* ---------------------------------------------------------------------------------------------
 * Notices that belong to no conversation (a one-time code for /documents): 'email_notice' jobs,
 * payload {"to", "subject", "text_sealed"} — the text sealed with the data directory's key, so
 * the jobs table never holds it in clear. Sent from the first mailbox that can send; an HTML part
 * (dir by script) and a plain-text part; failed at once without a mailbox or on SMTP 5xx. */

static int notice_mailbox(store *db, mailbox *mb)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id FROM mailboxes WHERE enabled = 1 AND smtp_url <> '' "
                               "ORDER BY id LIMIT 1", &st);
    if (rc < 0) return rc;
    int64_t id = (rc = store_step(st)) == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc < 0) return rc;
    return id ? mailbox_by_id(db, id, mb) : SN_ENOTFOUND;
}

static int compose_notice(const mailbox *mb, const char *to, const char *subject, const char *text,
                          const char *msgid, char **out, size_t *len)
{
    GMimeMessage *m = g_mime_message_new(TRUE);
    char *name = header_safe(mb->name), *subj = header_safe(subject);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, name, mb->address);
    g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, to);
    g_mime_message_set_subject(m, subj, "utf-8");
    g_mime_message_set_message_id(m, msgid);
    GDateTime *now = g_date_time_new_now_utc();
    g_mime_message_set_date(m, now);
    g_date_time_unref(now);
    g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
    GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
    char *html = html_body(text, "");
    GMimeObject *tp = text_part("plain", text), *hp = text_part("html", html);
    g_mime_multipart_add(alt, tp);
    g_mime_multipart_add(alt, hp);
    g_object_unref(tp);
    g_object_unref(hp);
    g_mime_message_set_mime_part(m, GMIME_OBJECT(alt));
    g_object_unref(alt);
    GMimeStream *mem = g_mime_stream_mem_new();
    GMimeFormatOptions *fo = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    g_mime_object_write_to_stream(GMIME_OBJECT(m), fo, mem);
    g_mime_format_options_free(fo);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    *out = malloc(ba->len + 1);
    if (*out) {
        memcpy(*out, ba->data, ba->len);
        (*out)[ba->len] = '\0';
        *len = ba->len;
    }
    g_object_unref(mem);
    g_object_unref(m);
    g_free(html);
    free(name);
    free(subj);
    return *out ? 0 : SN_EINTERNAL;
}

int job_email_notice(const job_ctx *ctx, const job *j, sn_err *e)
{
    const char *to = json_string_value(json_object_get(j->payload, "to"));
    const char *subject = json_string_value(json_object_get(j->payload, "subject"));
    const char *sealed = json_string_value(json_object_get(j->payload, "text_sealed"));
    char norm[IDENTITY_MAX];
    if (!to || !subject || !sealed || identity_normalize(ID_EMAIL, to, norm, sizeof norm, e) < 0)
        return sn_fail(e, SN_EINVALID, NULL, "malformed email notice job");
    mailbox mb;
    int rc = notice_mailbox(ctx->db, &mb);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_EUNPROCESSABLE, NULL, "no mailbox can send email");
    if (rc < 0) return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot read the mailbox");
    char *text = NULL, *msg = NULL, id[320];
    size_t len = 0;
    const char *at = strrchr(mb.address, '@');
    if (keyring_open(ctx->cfg->data, sealed, &text, e) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, NULL, "the text cannot be unsealed");
    /* Row 0: a Message-ID of ours that threads to no conversation. */
    rc = email_msgid_make(ctx->cfg->data, 0, at ? at + 1 : "sanad.local", id, sizeof id) < 0 ||
                 compose_notice(&mb, norm, subject, text, id, &msg, &len) < 0
             ? sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot compose the notice")
             : smtp_send_to(ctx, &mb, norm, msg, len, e);
    memset(text, 0, strlen(text));
    free(text);
    if (msg) {
        memset(msg, 0, len);
        free(msg);
    }
    return rc;
}
