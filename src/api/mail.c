/* mail.c — the email channel's HTTP resources: mailboxes (admin; the password is write-only),
 * the inbound mail log (admin, supervisor) with each message's raw form (admin), and the staff
 * download of stored attachments. */
#include "api.h"

#include "../domain/attachment.h"
#include "../domain/mailbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const field_spec mailbox_create_fields[] = {
    {"name", FT_STRING, 1, 1, 64, "Short name (a-z, 0-9, . _ -), used by mail-ingest --mailbox"},
    {"address", FT_STRING, 1, 3, 254, "The mailbox's email address (replies are sent from it)"},
    {"service_line", FT_STRING, 0, 0, 64, "Service line code its mail belongs to"},
    {"imap_url", FT_STRING, 0, 0, 500, "imap://HOST[:PORT][/FOLDER] or imaps://…; polled when set"},
    {"username", FT_STRING, 0, 0, 254, "IMAP/SMTP user name"},
    {"password", FT_STRING, 0, 0, 500, "IMAP/SMTP password; stored encrypted, never returned"},
    {"smtp_url", FT_STRING, 0, 0, 500, "smtp://HOST[:PORT] or smtps://…; replies are sent through it"},
    {"enabled", FT_BOOLEAN, 0, 0, 0, "Poll and send (default true)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec mailbox_update_fields[] = {
    {"name", FT_STRING, 0, 1, 64, "Short name"},
    {"address", FT_STRING, 0, 3, 254, "Email address"},
    {"service_line", FT_STRING, 0, 0, 64, "Service line code (\"\": none)"},
    {"imap_url", FT_STRING, 0, 0, 500, "IMAP URL (\"\": not polled)"},
    {"username", FT_STRING, 0, 0, 254, "User name"},
    {"password", FT_STRING, 0, 0, 500, "New password; write-only"},
    {"smtp_url", FT_STRING, 0, 0, 500, "SMTP URL"},
    {"enabled", FT_BOOLEAN, 0, 0, 0, "false stops polling and sending"},
    {NULL, 0, 0, 0, 0, NULL},
};

const query_spec mail_inbound_query[] = {
    {"mailbox", FT_STRING, "Only this mailbox (its name)"},
    {"cursor", FT_STRING, "next_cursor of the previous page"},
    {"limit", FT_INTEGER, "1..200, default 50"},
    {NULL, 0, NULL},
};

static mailbox_fields fields_of(api_ctx *c, int enabled_default)
{
    json_t *enabled = json_object_get(c->body, "enabled");
    mailbox_fields in = {api_body_str(c, "name"),     api_body_str(c, "address"),
                         api_body_str(c, "service_line"), api_body_str(c, "imap_url"),
                         api_body_str(c, "username"), api_body_str(c, "password"),
                         api_body_str(c, "smtp_url"),
                         json_object_get(c->body, "service_line") != NULL,
                         enabled ? json_is_true(enabled) : enabled_default};
    return in;
}

int api_mailboxes_create(api_ctx *c, sn_err *e)
{
    json_t *o;
    mailbox_fields in = fields_of(c, 1);
    int rc = mailbox_create(c->db, &c->act, c->cfg->data, &in, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, o);
    return 0;
}

int api_mailboxes_list(api_ctx *c, sn_err *e)
{
    json_t *items;
    int rc = mailbox_list_json(c->db, &items, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

int api_mailboxes_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = mailbox_get_json(c->db, id, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_mailboxes_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    mailbox_fields in = fields_of(c, -1);
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = mailbox_update(c->db, &c->act, c->cfg->data, id, &in, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, o);
    return 0;
}

int api_mail_inbound(api_ctx *c, sn_err *e)
{
    int64_t cursor;
    int limit, more;
    json_t *items;
    int rc = api_page(c, &cursor, &limit, e);
    if (rc == 0) rc = mail_log_list_json(c->db, http_query(c->req, "mailbox"), cursor, limit,
                                         &items, &more, e);
    if (rc < 0) return rc;
    json_t *out = json_pack("{s:o}", "items", items);
    if (more) {
        char next[24];
        json_t *last = json_array_get(items, json_array_size(items) - 1);
        snprintf(next, sizeof next, "%" PRId64, (int64_t)json_integer_value(json_object_get(last, "id")));
        json_object_set_new(out, "next_cursor", json_string(next));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    http_respond_json(c->req, 200, out);
    return 0;
}

/* Content-Disposition: attachment with an ASCII fallback and the UTF-8 name (RFC 6266/5987). */
static void set_download_headers(http_req *req, const char *fallback, const char *filename)
{
    char value[1200];
    size_t n = (size_t)snprintf(value, sizeof value, "attachment; filename=\"%s\"", fallback);
    if (filename && *filename) {
        n += (size_t)snprintf(value + n, sizeof value - n, "; filename*=UTF-8''");
        for (const unsigned char *p = (const unsigned char *)filename; *p && n + 4 < sizeof value; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("!#$&+-.^_`|~", *p))
                value[n++] = (char)*p;
            else
                n += (size_t)snprintf(value + n, sizeof value - n, "%%%02X", *p);
        }
        value[n] = '\0';
    }
    http_set_header(req, "Content-Disposition", value);
    http_set_header(req, "X-Content-Type-Options", "nosniff");
    http_set_header(req, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_set_header(req, "Cache-Control", "private, no-store");
}

int api_respond_stored_file(api_ctx *c, const attachment_row *a, const char *fallback, sn_err *e)
{
    char *data = NULL;
    size_t len = 0;
    int rc = attachment_read_file(c->cfg->data, a->sha256, (size_t)1 << 30, &data, &len, e);
    if (rc < 0) return rc;
    set_download_headers(c->req, fallback, a->filename);
    http_respond(c->req, 200, attachment_serve_type(a->content_type), data, len);
    free(data);
    return 0;
}

int api_attachments_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    attachment_row a;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = attachment_get(c->db, &c->act, id, &a, e);
    return rc < 0 ? rc : api_respond_stored_file(c, &a, "attachment", e);
}

int api_mail_inbound_raw(api_ctx *c, sn_err *e)
{
    int64_t id;
    char sha[65];
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = mail_log_raw_sha(c->db, id, sha, e);
    char *data = NULL;
    size_t len = 0;
    if (rc == 0) rc = attachment_read_file(c->cfg->data, sha, (size_t)1 << 30, &data, &len, e);
    if (rc < 0) return rc;
    set_download_headers(c->req, "attachment", "message.eml");
    http_respond(c->req, 200, "message/rfc822", data, len);
    free(data);
    return 0;
}
