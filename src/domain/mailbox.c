/* mailbox.c — mailboxes, the inbound mail log, stored Message-IDs, outbound delivery rows. */
#include "mailbox.h"

#include "audit.h"
#include "identity.h"
#include "settings.h"
#include "../core/clock.h"
#include "../core/keyring.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MB_COLUMNS                                                                                \
    "m.id, m.name, m.address, COALESCE(s.code, ''), m.imap_url, m.username, m.password_enc, "    \
    "m.smtp_url, m.enabled, COALESCE(m.last_poll_at, 0), m.last_error, m.created_at, "           \
    "m.updated_at, COALESCE(m.service_line_id, 0)"
#define MB_FROM " FROM mailboxes m LEFT JOIN service_lines s ON s.id = m.service_line_id"

static void set_time(json_t *o, const char *key, int64_t ms)
{
    char iso[32];
    if (ms <= 0) {
        json_object_set_new(o, key, json_null());
        return;
    }
    clock_iso8601(ms, iso, sizeof iso);
    json_object_set_new(o, key, json_string(iso));
}

/* The API shape: never the password, only whether one is set. */
static json_t *row_json(store_stmt *st)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:s}", "id",
                          (json_int_t)store_col_int(st, 0), "name", store_col_text(st, 1),
                          "address", store_col_text(st, 2), "imap_url", store_col_text(st, 4),
                          "username", store_col_text(st, 5), "has_password",
                          store_col_text(st, 6)[0] != '\0', "smtp_url", store_col_text(st, 7),
                          "enabled", (int)store_col_int(st, 8), "last_error",
                          store_col_text(st, 10));
    const char *line = store_col_text(st, 3);
    json_object_set_new(o, "service_line", line[0] ? json_string(line) : json_null());
    set_time(o, "last_poll_at", store_col_int(st, 9));
    set_time(o, "created_at", store_col_int(st, 11));
    set_time(o, "updated_at", store_col_int(st, 12));
    return o;
}

static void read_row(store_stmt *st, mailbox *m)
{
    m->id = store_col_int(st, 0);
    snprintf(m->name, sizeof m->name, "%s", store_col_text(st, 1));
    snprintf(m->address, sizeof m->address, "%s", store_col_text(st, 2));
    snprintf(m->service_line, sizeof m->service_line, "%s", store_col_text(st, 3));
    snprintf(m->imap_url, sizeof m->imap_url, "%s", store_col_text(st, 4));
    snprintf(m->username, sizeof m->username, "%s", store_col_text(st, 5));
    snprintf(m->password_enc, sizeof m->password_enc, "%s", store_col_text(st, 6));
    snprintf(m->smtp_url, sizeof m->smtp_url, "%s", store_col_text(st, 7));
    m->enabled = (int)store_col_int(st, 8);
    m->service_line_id = store_col_int(st, 13);
}

static int read_one(store *db, const char *where, int64_t id, const char *name, mailbox *m,
                    json_t **json)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT " MB_COLUMNS MB_FROM " WHERE %s", where);
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    if (name)
        store_bind_text(st, 1, name);
    else
        store_bind_int(st, 1, id);
    rc = store_step(st);
    if (rc == STORE_ROW && m) read_row(st, m);
    if (rc == STORE_ROW && json) *json = row_json(st);
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

int mailbox_by_name(store *db, const char *name, mailbox *out)
{
    return read_one(db, "m.name = ?", 0, name, out, NULL);
}

int mailbox_by_id(store *db, int64_t id, mailbox *out)
{
    return read_one(db, "m.id = ?", id, NULL, out, NULL);
}

int mailbox_get_json(store *db, int64_t id, json_t **out, sn_err *e)
{
    int rc = read_one(db, "m.id = ?", id, NULL, NULL, out);
    if (rc == SN_ENOTFOUND) return sn_fail(e, rc, NULL, "no such mailbox");
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read the mailbox") : 0;
}

int mailbox_list_json(store *db, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " MB_COLUMNS MB_FROM " ORDER BY m.id", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list mailboxes");
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(st)) == STORE_ROW) json_array_append_new(list, row_json(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list mailboxes");
    }
    *out = list;
    return 0;
}

int mailbox_pollable(store *db, mailbox **out, int *n)
{
    store_stmt *st;
    *out = NULL;
    *n = 0;
    int rc = store_prepare(db, "SELECT " MB_COLUMNS MB_FROM " WHERE m.enabled = 1 AND "
                               "m.imap_url <> '' ORDER BY m.id", &st);
    if (rc < 0) return rc;
    int cap = 0;
    while ((rc = store_step(st)) == STORE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            mailbox *grown = realloc(*out, (size_t)cap * sizeof **out);
            if (!grown) {
                rc = SN_EINTERNAL;
                break;
            }
            *out = grown;
        }
        read_row(st, &(*out)[(*n)++]);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int mailbox_poll_status(store *db, int64_t id, int64_t now, const char *error)
{
    store_stmt *st;
    int rc = store_prepare(db, "UPDATE mailboxes SET last_poll_at = ?, last_error = ? WHERE id = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, now);
    store_bind_text(st, 2, error ? error : "");
    store_bind_int(st, 3, id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Validation of what an admin sends. */

static int check_url(const char *url, const char *field, const char *plain, const char *tls,
                     sn_err *e)
{
    if (!url || !*url) return 0;
    size_t pn = strlen(plain), tn = strlen(tls);
    const char *rest = !strncmp(url, plain, pn) ? url + pn : !strncmp(url, tls, tn) ? url + tn : NULL;
    if (!rest || !*rest)
        return sn_fail(e, SN_EUNPROCESSABLE, field, "%s must start with %s or %s", field, plain, tls);
    const char *end = rest + strcspn(rest, "/?#");
    if (memchr(rest, '@', (size_t)(end - rest)))
        return sn_fail(e, SN_EUNPROCESSABLE, field,
                       "%s must not carry credentials; use username and password", field);
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\')
            return sn_fail(e, SN_EUNPROCESSABLE, field, "%s has a forbidden character", field);
    return 0;
}

static int check_name(const char *name, sn_err *e)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-.") != n)
        return sn_fail(e, SN_EUNPROCESSABLE, "name",
                       "name has 1 to 64 characters from a-z, 0-9, '.', '_' and '-'");
    return 0;
}

static int check_text(const char *v, const char *field, sn_err *e)
{
    for (const char *p = v; v && *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return sn_fail(e, SN_EUNPROCESSABLE, field, "%s has a control character", field);
    return 0;
}

static int check_fields(store *db, const mailbox_fields *in, char *address, size_t asize,
                        int64_t *line, sn_err *e)
{
    int rc;
    if (in->name && (rc = check_name(in->name, e)) < 0) return rc;
    if (in->address && identity_normalize(ID_EMAIL, in->address, address, asize, e) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "address", "address must be an email address");
    if ((rc = check_url(in->imap_url, "imap_url", "imap://", "imaps://", e)) < 0 ||
        (rc = check_url(in->smtp_url, "smtp_url", "smtp://", "smtps://", e)) < 0 ||
        (rc = check_text(in->username, "username", e)) < 0 ||
        (rc = check_text(in->password, "password", e)) < 0)
        return rc;
    *line = 0;
    if (in->has_service_line && in->service_line && *in->service_line) {
        if (settings_service_line_id(db, in->service_line, line) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot read service lines");
        if (!*line)
            return sn_fail(e, SN_EUNPROCESSABLE, "service_line", "unknown service line '%s'",
                           in->service_line);
    }
    return 0;
}

static int audit_change(store *db, const actor *who, const char *action, int64_t id,
                        const mailbox_fields *in)
{
    json_t *d = json_object();
    const char *keys[] = {"name", "address", "service_line", "imap_url", "username", "smtp_url"};
    const char *vals[] = {in->name, in->address, in->service_line, in->imap_url, in->username,
                          in->smtp_url};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (vals[i]) json_object_set_new(d, keys[i], json_string(vals[i]));
    if (in->password) json_object_set_new(d, "password", json_string("(changed)"));
    if (in->enabled >= 0) json_object_set_new(d, "enabled", json_boolean(in->enabled));
    char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS), oid[24];
    json_decref(d);
    snprintf(oid, sizeof oid, "%" PRId64, id);
    int rc = audit_append(db, who, action, "mailbox", oid, text);
    free(text);
    return rc;
}

static int seal(const char *data_dir, const char *password, char **sealed, sn_err *e)
{
    *sealed = NULL;
    if (!password) return 0;
    if (!*password) return (*sealed = strdup("")) ? 0 : sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    return keyring_seal(data_dir, password, sealed, e);
}

static int save_fail(store *db, int rc, sn_err *e)
{
    store_rollback(db);
    if (rc == SN_ECONFLICT)
        return sn_fail_slug(e, SN_ECONFLICT, "duplicate", "name",
                            "a mailbox with this name or address exists");
    return e->code ? e->code : sn_fail(e, SN_EDB, NULL, "cannot save the mailbox");
}

int mailbox_create(store *db, const actor *who, const char *data_dir, const mailbox_fields *in,
                   json_t **out, sn_err *e)
{
    char address[256];
    int64_t line, id = 0, now = clock_now_ms();
    char *sealed = NULL;
    sn_err_clear(e);
    if (!in->name || !in->address)
        return sn_fail(e, SN_EUNPROCESSABLE, !in->name ? "name" : "address",
                       "name and address are required");
    int rc = check_fields(db, in, address, sizeof address, &line, e);
    if (rc == 0) rc = seal(data_dir, in->password, &sealed, e);
    if (rc < 0) return rc;
    store_stmt *st;
    if ((rc = store_begin_write(db)) < 0) goto out;
    if ((rc = store_prepare(db, "INSERT INTO mailboxes (name, address, service_line_id, imap_url, "
                                "username, password_enc, smtp_url, enabled, created_at, "
                                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                            &st)) < 0)
        goto fail;
    store_bind_text(st, 1, in->name);
    store_bind_text(st, 2, address);
    if (line)
        store_bind_int(st, 3, line);
    else
        store_bind_null(st, 3);
    store_bind_text(st, 4, in->imap_url ? in->imap_url : "");
    store_bind_text(st, 5, in->username ? in->username : "");
    store_bind_text(st, 6, sealed ? sealed : "");
    store_bind_text(st, 7, in->smtp_url ? in->smtp_url : "");
    store_bind_int(st, 8, in->enabled != 0);
    store_bind_int(st, 9, now);
    store_bind_int(st, 10, now);
    rc = store_step(st);
    id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc != STORE_ROW) goto fail;
    if ((rc = audit_change(db, who, "mailbox.create", id, in)) < 0 || (rc = store_commit(db)) < 0)
        goto fail;
    rc = mailbox_get_json(db, id, out, e);
    goto out;
fail:
    rc = save_fail(db, rc < 0 ? rc : SN_EDB, e);
out:
    free(sealed);
    return rc;
}

int mailbox_update(store *db, const actor *who, const char *data_dir, int64_t id,
                   const mailbox_fields *in, json_t **out, sn_err *e)
{
    char address[256];
    int64_t line, now = clock_now_ms();
    char *sealed = NULL;
    sn_err_clear(e);
    int rc = check_fields(db, in, address, sizeof address, &line, e);
    if (rc == 0) rc = seal(data_dir, in->password, &sealed, e);
    if (rc < 0) return rc;
    store_stmt *st;
    if ((rc = store_begin_write(db)) < 0) goto out;
    if ((rc = store_prepare(db, "UPDATE mailboxes SET name = COALESCE(?, name), address = "
                                "COALESCE(?, address), service_line_id = CASE WHEN ? = 1 THEN ? "
                                "ELSE service_line_id END, imap_url = COALESCE(?, imap_url), "
                                "username = COALESCE(?, username), password_enc = COALESCE(?, "
                                "password_enc), smtp_url = COALESCE(?, smtp_url), enabled = CASE "
                                "WHEN ? < 0 THEN enabled ELSE ? END, updated_at = ? WHERE id = ?",
                            &st)) < 0)
        goto fail;
    store_bind_text(st, 1, in->name);
    store_bind_text(st, 2, in->address ? address : NULL);
    store_bind_int(st, 3, in->has_service_line);
    if (line)
        store_bind_int(st, 4, line);
    else
        store_bind_null(st, 4);
    store_bind_text(st, 5, in->imap_url);
    store_bind_text(st, 6, in->username);
    store_bind_text(st, 7, sealed);
    store_bind_text(st, 8, in->smtp_url);
    store_bind_int(st, 9, in->enabled);
    store_bind_int(st, 10, in->enabled);
    store_bind_int(st, 11, now);
    store_bind_int(st, 12, id);
    rc = store_step(st);
    int64_t changed = rc == STORE_DONE ? store_changes(st) : 0;
    store_finish(st);
    if (rc < 0) goto fail;
    if (!changed) {
        store_rollback(db);
        rc = sn_fail(e, SN_ENOTFOUND, NULL, "no such mailbox");
        goto out;
    }
    if ((rc = audit_change(db, who, "mailbox.update", id, in)) < 0 || (rc = store_commit(db)) < 0)
        goto fail;
    rc = mailbox_get_json(db, id, out, e);
    goto out;
fail:
    rc = save_fail(db, rc < 0 ? rc : SN_EDB, e);
out:
    free(sealed);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * The mail log. */

int mail_log_insert(store *db, const mail_log_entry *m)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO mail_inbound (mailbox_id, uidvalidity, uid, raw_sha256, "
                               "raw_size, message_id, from_addr, from_name, subject, kind, "
                               "conversation_id, message_row, flags, detail, received_at) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st);
    if (rc < 0) return rc;
    int64_t ids[] = {m->mailbox_id, m->uidvalidity, m->uid};
    for (int i = 0; i < 3; i++) {
        if (ids[i] || (i > 0 && m->uid))
            store_bind_int(st, i + 1, ids[i]);
        else
            store_bind_null(st, i + 1);
    }
    store_bind_text(st, 4, m->raw_sha256);
    store_bind_int(st, 5, m->raw_size);
    store_bind_text(st, 6, m->message_id ? m->message_id : "");
    store_bind_text(st, 7, m->from_addr ? m->from_addr : "");
    store_bind_text(st, 8, m->from_name ? m->from_name : "");
    store_bind_text(st, 9, m->subject ? m->subject : "");
    store_bind_text(st, 10, m->kind);
    if (m->conversation_id)
        store_bind_int(st, 11, m->conversation_id);
    else
        store_bind_null(st, 11);
    if (m->message_row)
        store_bind_int(st, 12, m->message_row);
    else
        store_bind_null(st, 12);
    store_bind_text(st, 13, m->flags_json ? m->flags_json : "[]");
    store_bind_text(st, 14, m->detail ? m->detail : "");
    store_bind_int(st, 15, m->received_at);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int mail_log_has_uid(store *db, int64_t mailbox_id, int64_t uidvalidity, int64_t uid)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT 1 FROM mail_inbound WHERE mailbox_id = ? AND uidvalidity = "
                               "? AND uid = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, mailbox_id);
    store_bind_int(st, 2, uidvalidity);
    store_bind_int(st, 3, uid);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : rc == STORE_ROW;
}

static json_t *log_json(store_stmt *st)
{
    json_t *flags = json_loads(store_col_text(st, 8), 0, NULL);
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:I}", "id",
                          (json_int_t)store_col_int(st, 0), "message_id", store_col_text(st, 2),
                          "from", store_col_text(st, 3), "from_name", store_col_text(st, 4),
                          "subject", store_col_text(st, 5), "kind", store_col_text(st, 6),
                          "flags", flags ? flags : json_array(), "size",
                          (json_int_t)store_col_int(st, 11));
    const char *mb = store_col_text(st, 1);
    json_object_set_new(o, "mailbox", mb[0] ? json_string(mb) : json_null());
    int64_t conv = store_col_int(st, 7);
    json_object_set_new(o, "conversation_id", conv ? json_integer(conv) : json_null());
    json_object_set_new(o, "detail", json_string(store_col_text(st, 9)));
    set_time(o, "received_at", store_col_int(st, 10));
    return o;
}

int mail_log_list_json(store *db, const char *mailbox_name, int64_t cursor, int limit, json_t **items,
                       int *more, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT l.id, COALESCE(b.name, ''), l.message_id, l.from_addr, "
                          "l.from_name, l.subject, l.kind, COALESCE(l.conversation_id, 0), "
                          "l.flags, l.detail, l.received_at, l.raw_size FROM mail_inbound l LEFT "
                          "JOIN mailboxes b ON b.id = l.mailbox_id WHERE (? = '' OR b.name = ?) "
                          "AND (? = 0 OR l.id < ?) ORDER BY l.id DESC LIMIT ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the mail log");
    const char *mb = mailbox_name ? mailbox_name : "";
    store_bind_text(st, 1, mb);
    store_bind_text(st, 2, mb);
    store_bind_int(st, 3, cursor);
    store_bind_int(st, 4, cursor);
    store_bind_int(st, 5, limit + 1);
    json_t *list = json_array();
    int rc, count = 0;
    while ((rc = store_step(st)) == STORE_ROW)
        if (count++ < limit) json_array_append_new(list, log_json(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot read the mail log");
    }
    *items = list;
    *more = count > limit;
    return 0;
}

int mail_log_raw_sha(store *db, int64_t id, char sha256[65], sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT raw_sha256 FROM mail_inbound WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the mail log");
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    if (rc == STORE_ROW) snprintf(sha256, 65, "%s", store_col_text(st, 0));
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the mail log");
    return rc == STORE_ROW ? 0 : sn_fail(e, SN_ENOTFOUND, NULL, "no such email");
}

/* ---------------------------------------------------------------------------------------------
 * Message-IDs and outbound rows. */

int mail_ids_add(store *db, const char *message_id, int64_t conversation_id, int64_t message_row,
                 const char *direction, int64_t now)
{
    if (!message_id || !*message_id) return 0;
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO mail_message_ids (message_id, conversation_id, "
                               "message_row, direction, created_at) VALUES (?, ?, ?, ?, ?) "
                               "ON CONFLICT (message_id) DO NOTHING", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, message_id);
    store_bind_int(st, 2, conversation_id);
    if (message_row)
        store_bind_int(st, 3, message_row);
    else
        store_bind_null(st, 3);
    store_bind_text(st, 4, direction);
    store_bind_int(st, 5, now);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int mail_ids_find(store *db, const char *message_id, int64_t *conv, int64_t *message_row,
                  char direction[8])
{
    store_stmt *st;
    *conv = 0;
    int rc = store_prepare(db, "SELECT conversation_id, COALESCE(message_row, 0), direction FROM "
                               "mail_message_ids WHERE message_id = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, message_id);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        *conv = store_col_int(st, 0);
        if (message_row) *message_row = store_col_int(st, 1);
        if (direction) snprintf(direction, 8, "%s", store_col_text(st, 2));
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int mail_ids_of_conversation(store *db, int64_t conversation_id, int max, json_t **out)
{
    store_stmt *st;
    *out = json_array();
    int rc = store_prepare(db, "SELECT message_id FROM mail_message_ids WHERE conversation_id = ? "
                               "ORDER BY created_at, message_id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conversation_id);
    while ((rc = store_step(st)) == STORE_ROW) {
        json_array_append_new(*out, json_string(store_col_text(st, 0)));
        /* Keep the first and the latest max-1 (what threading needs: the root and the tail). */
        if ((int)json_array_size(*out) > max) json_array_remove(*out, 1);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int mail_outbound_mark(store *db, int64_t message_row, const char *state, const char *error,
                       int64_t now)
{
    store_stmt *st;
    int rc = store_prepare(db, "UPDATE mail_outbound SET state = ?, error = ?, updated_at = ?, "
                               "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE "
                               "message_row = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, state);
    store_bind_text(st, 2, error ? error : "");
    store_bind_int(st, 3, now);
    store_bind_text(st, 4, state);
    store_bind_int(st, 5, now);
    store_bind_int(st, 6, message_row);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int mail_record_message(store *db, int64_t conversation_id, const char *body, const char *meta,
                        int64_t at, int64_t *id)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO messages (conversation_id, kind, channel, body, "
                               "delivery, meta, created_at) VALUES (?, 'inbound', 'email', ?, "
                               "'received', ?, ?) RETURNING id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, conversation_id);
    store_bind_text(st, 2, body ? body : "");
    store_bind_text(st, 3, meta ? meta : "{}");
    store_bind_int(st, 4, at);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc == STORE_ROW ? 0 : (rc < 0 ? rc : SN_EDB);
}

/* meta.email.error = reason, keeping what meta held. */
static char *meta_with_error(const char *meta, const char *reason)
{
    json_t *m = json_loads(meta, 0, NULL);
    if (!json_is_object(m)) {
        json_decref(m);
        m = json_object();
    }
    json_t *em = json_object_get(m, "email");
    if (!json_is_object(em)) {
        em = json_object();
        json_object_set_new(m, "email", em);
    }
    json_object_set_new(em, "error", json_string(reason));
    char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    return text;
}

int mail_mark_bounced(store *db, int64_t message_row, const char *reason, int64_t now,
                      int64_t *conversation_id)
{
    store_stmt *st;
    *conversation_id = 0;
    int rc = store_prepare(db, "SELECT conversation_id, meta FROM messages WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, message_row);
    rc = store_step(st);
    char *meta = NULL;
    if (rc == STORE_ROW) {
        *conversation_id = store_col_int(st, 0);
        meta = meta_with_error(store_col_text(st, 1), reason);
    }
    store_finish(st);
    if (rc < 0) return rc;
    if (!meta) return 0;
    if ((rc = store_prepare(db, "UPDATE messages SET delivery = 'failed', meta = ? WHERE id = ?",
                            &st)) == 0) {
        store_bind_text(st, 1, meta);
        store_bind_int(st, 2, message_row);
        rc = store_step(st);
        store_finish(st);
    }
    free(meta);
    if (rc >= 0) rc = mail_outbound_mark(db, message_row, "failed", reason, now);
    return rc < 0 ? rc : 0;
}

int mail_customer_of(store *db, const char *address, int64_t *customer_id)
{
    store_stmt *st;
    *customer_id = 0;
    int rc = store_prepare(db, "SELECT customer_id FROM customer_identities WHERE kind = 'email' "
                               "AND value = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, address ? address : "");
    rc = store_step(st);
    if (rc == STORE_ROW) *customer_id = store_col_int(st, 0);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int mail_is_staff_address(store *db, const char *address)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT 1 FROM users WHERE lower(email) = ?", &st);
    if (rc < 0) return 0;
    store_bind_text(st, 1, address ? address : "");
    rc = store_step(st);
    store_finish(st);
    return rc == STORE_ROW;
}
