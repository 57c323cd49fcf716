/* contact.c — the contact-us form at /contact (Arabic; English at /contact?lang=en or
 * /contact/en) and the module that also serves the tracking pages (track.c).
 *
 *   GET  /contact   the form: a CSRF token, a honeypot field (website), a kb_session key that ties
 *                   the knowledge base suggestions shown while the subject is typed (contact.js
 *                   over /api/v1/kb/suggest, source contact_form) to this visit; service lines
 *                   from the database
 *   POST /contact   multipart/form-data (or urlencoded without files): rate limit per address →
 *                   body → CSRF → honeypot → every field validated (messages beside each field,
 *                   every value kept; files must be chosen again, the page says so) → files
 *                   checked (size 413, type by content 415) → written durably → form_submit →
 *                   the receipt page (201) with the number and the tracking code. With
 *                   Accept: application/json: 201 {"conversation_number","tracking_code"} or the
 *                   JSON error envelope (422 with field, 403, 413, 415, 429).
 *
 * Deflection: a suggestion opened (the help article counts the click through its ?s=search_id)
 * and no form sent is deflected; sending the form marks its kb_session submitted. */
#include "contact.h"

#include "../core/crypto.h"
#include "../core/log.h"
#include "../domain/identity.h"
#include "../domain/kb.h"
#include "../domain/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTACT_PURPOSE "contact"
#define CONTACT_BURST 20        /* submissions one address may send at once… */
#define CONTACT_REFILL_MS 30000 /* …then one every 30 s */
#define NAME_MAX_CHARS 200
#define SUBJECT_MAX_CHARS 200
#define MESSAGE_MAX_CHARS 5000
#define SESSION_MAX 64

/* ---- shared helpers (contact.h) -------------------------------------------------------------- */

void contact_set_lang(portal_ctx *c)
{
    const char *l = http_query(c->req, "lang");
    if (l && !strcmp(l, "en"))
        c->lang = "en";
    else if (l && !strcmp(l, "ar"))
        c->lang = "ar";
}

void contact_href(portal_ctx *c, const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", path, strcmp(c->lang, "en") ? "" : "?lang=en");
}

int contact_body_read(portal_ctx *c, contact_body *b, sn_err *e)
{
    memset(b, 0, sizeof *b);
    if (portal_multipart_is(http_header_get(c->req, "Content-Type"))) {
        b->multipart = 1;
        int rc = portal_multipart_parse(c, (size_t)c->cfg->upload_request_limit,
                                        CONTACT_PARSE_FILES, &b->mp, e);
        b->fields = b->mp.fields;
        return rc;
    }
    return portal_form_parse(c, &b->fields, e);
}

void contact_body_fini(contact_body *b)
{
    if (b->multipart)
        portal_multipart_fini(&b->mp);
    else
        json_decref(b->fields);
    memset(b, 0, sizeof *b);
}

const char *contact_field(const contact_body *b, const char *name)
{
    const char *v = json_string_value(json_object_get(b->fields, name));
    return v ? v : "";
}

char *contact_text(const char *in, int multiline, size_t *chars)
{
    while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
        in++;
    size_t len = strlen(in), w = 0;
    char *out = malloc(len + 1);
    if (!out) return NULL;
    *chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == '\r') continue; /* CRLF → LF */
        if (ch < 0x20 && !(multiline && (ch == '\n' || ch == '\t'))) ch = ' ';
        if (ch == 0x7f) continue;
        out[w++] = (char)ch;
        if ((ch & 0xC0) != 0x80) (*chars)++;
    }
    while (w && (out[w - 1] == ' ' || out[w - 1] == '\t' || out[w - 1] == '\n')) {
        w--;
        (*chars)--;
    }
    out[w] = '\0';
    return out;
}

static attachment_policy policy_of(const config *cfg)
{
    attachment_policy p = {cfg->data, cfg->attachment_max_bytes, cfg->attachment_types, cfg->clamd,
                           0};
    return p;
}

int contact_files_check(portal_ctx *c, const contact_body *b, const char *name, form_file *out,
                        int *n, int *status, const char **msg, sn_err *e)
{
    attachment_policy pol = policy_of(c->cfg);
    *n = 0;
    for (int i = 0; b->multipart && i < b->mp.nfiles; i++) {
        const portal_upload *u = &b->mp.files[i];
        if (strcmp(u->field, name)) continue;
        if (*n == CONTACT_MAX_FILES) {
            *status = 422;
            *msg = "err_attachments_count";
            return sn_fail_slug(e, SN_EUNPROCESSABLE, "too_many_files", name,
                                "at most %d files may be attached", CONTACT_MAX_FILES);
        }
        form_file *f = &out[(*n)++];
        f->filename = u->filename;
        f->declared_type = u->declared_type;
        int rc = attachment_check(&pol, u->data, u->len, &f->blob, e);
        if (rc == 0) continue;
        snprintf(e->field, sizeof e->field, "%s", name);
        *status = sn_err_http_status(rc);
        *msg = rc == SN_ETOOLARGE      ? "err_attachment_too_large"
               : rc == SN_EMEDIA       ? "err_attachment_type"
               : rc == SN_EUNAVAILABLE ? "err_attachment_scan"
                                       : "err_attachment_infected";
        if (rc == SN_ETOOLARGE) snprintf(e->slug, sizeof e->slug, "file_too_large");
        if (rc == SN_EMEDIA) snprintf(e->slug, sizeof e->slug, "file_type_not_allowed");
        return rc;
    }
    return 0;
}

int contact_files_write(portal_ctx *c, const contact_body *b, const char *name, int n, sn_err *e)
{
    for (int i = 0, k = 0; b->multipart && i < b->mp.nfiles && k < n; i++) {
        const portal_upload *u = &b->mp.files[i];
        if (strcmp(u->field, name)) continue;
        char sha[65];
        int rc = attachment_write_file(c->cfg->data, u->data, u->len, 1, sha, e);
        if (rc < 0) return rc;
        k++;
    }
    return 0;
}

/* ---- the form -------------------------------------------------------------------------------- */

typedef struct form_state {
    json_t *values;         /* what to show in each field */
    json_t *errors;         /* field → message (in the page's language) */
    const char *form_error; /* a message above the form, or NULL */
    int files_dropped;      /* files had been chosen: say they must be chosen again */
} form_state;

/* Service lines for the select: [{code, name, selected}], by name in the page's language. */
static json_t *line_options(portal_ctx *c, const char *selected)
{
    json_t *out = json_array();
    store_stmt *st;
    if (store_prepare(c->db, "SELECT code, name_ar, name_en FROM service_lines ORDER BY code",
                      &st) < 0)
        return out;
    while (store_step(st) == STORE_ROW) {
        const char *code = store_col_text(st, 0), *ar = store_col_text(st, 1),
                   *en = store_col_text(st, 2);
        const char *name = !strcmp(c->lang, "en") && *en ? en : ar;
        json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "code", code, "name", name,
                                             "selected", selected && !strcmp(selected, code)));
    }
    store_finish(st);
    return out;
}

static int line_exists(portal_ctx *c, const char *code)
{
    int64_t id = 0;
    return settings_service_line_id(c->db, code, &id) == 0 && id != 0;
}

static int render_form(portal_ctx *c, const form_state *s, int status, sn_err *e)
{
    char token[PORTAL_TOKEN_SIZE], session[48], action[64], other[64];
    portal_form_token(c, CONTACT_PURPOSE, token, sizeof token);
    const char *sv = json_string_value(json_object_get(s->values, "kb_session"));
    if (sv && *sv)
        snprintf(session, sizeof session, "%s", sv);
    else
        crypto_token(session, sizeof session, 16);
    contact_href(c, "/contact", action, sizeof action);
    snprintf(other, sizeof other, "/contact%s", strcmp(c->lang, "en") ? "?lang=en" : "");
    json_t *errors = s->errors ? json_incref(s->errors) : json_object();
    json_t *data =
        json_pack("{s:s, s:O, s:o, s:o, s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "title",
                  portal_string(c, "contact_title"), "v", s->values, "errors", errors, "lines",
                  line_options(c, json_string_value(json_object_get(s->values, "service_line"))),
                  "token", token, "kb_session", session, "action", action, "switch_href", other,
                  "has_errors", json_object_size(errors) > 0 || s->form_error, "files_dropped",
                  s->files_dropped, "noindex", status != 200);
    if (s->form_error) json_object_set_new(data, "form_error", json_string(s->form_error));
    char track[64];
    contact_href(c, "/track", track, sizeof track);
    json_object_set_new(data, "track_href", json_string(track));
    portal_page p = {"contact", status, status == 200 ? PORTAL_CACHE_REVALIDATE : PORTAL_CACHE_NONE,
                     NULL};
    int rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

static int form_page(portal_ctx *c, sn_err *e)
{
    contact_set_lang(c);
    form_state s = {json_object(), NULL, NULL, 0};
    int rc = render_form(c, &s, 200, e);
    json_decref(s.values);
    return rc;
}

/* ---- validation ------------------------------------------------------------------------------ */

typedef struct submission {
    form_state st;
    int status;   /* of the first error */
    sn_err first; /* the first error, for JSON */
    char *name, *subject, *message;
    char national_id[IDENTITY_MAX], mobile[IDENTITY_MAX], email[IDENTITY_MAX];
    char line[128];
    form_file files[CONTACT_MAX_FILES];
    int nfiles;
} submission;

/* Record a field's error (the first one decides the JSON answer and the status); slug NULL:
 * the code's own. */
static void field_error_slug(portal_ctx *c, submission *s, const char *field, int code, int status,
                             const char *key, const char *slug, const char *message)
{
    if (!json_object_get(s->st.errors, field))
        json_object_set_new(s->st.errors, field, json_string(portal_string(c, key)));
    if (s->status) return;
    s->status = status;
    sn_fail_slug(&s->first, code, slug && *slug ? slug : NULL, field, "%s", message);
}

static void field_error(portal_ctx *c, submission *s, const char *field, int code, int status,
                        const char *key, const char *message)
{
    field_error_slug(c, s, field, code, status, key, NULL, message);
}

/* A required or optional text field, trimmed, at most max characters. */
static char *text_field(portal_ctx *c, submission *s, const contact_body *b, const char *field,
                        int required, size_t max, int multiline)
{
    size_t chars = 0;
    char *v = contact_text(contact_field(b, field), multiline, &chars);
    if (!v) return NULL;
    json_object_set_new(s->st.values, field, json_string(v));
    if (required && !*v)
        field_error(c, s, field, SN_EUNPROCESSABLE, 422, "err_required", "this field is required");
    else if (chars > max)
        field_error(c, s, field, SN_EUNPROCESSABLE, 422, "err_too_long", "this field is too long");
    return v;
}

/* An optional identity: normalised into out ("" when empty). */
static void identity_field(portal_ctx *c, submission *s, const contact_body *b, const char *field,
                           enum identity_kind kind, const char *key, char *out)
{
    size_t chars;
    char *v = contact_text(contact_field(b, field), 0, &chars);
    out[0] = '\0';
    if (!v) return;
    json_object_set_new(s->st.values, field, json_string(v));
    sn_err ie;
    if (*v && identity_normalize(kind, v, out, IDENTITY_MAX, &ie) < 0)
        field_error(c, s, field, SN_EUNPROCESSABLE, 422, key, ie.message);
    free(v);
}

static void validate(portal_ctx *c, submission *s, const contact_body *b)
{
    s->name = text_field(c, s, b, "name", 1, NAME_MAX_CHARS, 0);
    identity_field(c, s, b, "national_id", ID_NATIONAL_ID, "err_national_id", s->national_id);
    identity_field(c, s, b, "mobile", ID_PHONE, "err_mobile", s->mobile);
    identity_field(c, s, b, "email", ID_EMAIL, "err_email", s->email);
    if (!s->mobile[0] && !s->email[0] && !json_object_get(s->st.errors, "mobile") &&
        !json_object_get(s->st.errors, "email"))
        field_error(c, s, "mobile", SN_EUNPROCESSABLE, 422, "err_reach",
                    "give a mobile number or an email address");
    const char *line = contact_field(b, "service_line");
    snprintf(s->line, sizeof s->line, "%s", line);
    json_object_set_new(s->st.values, "service_line", json_string(s->line));
    if (*line && (strlen(line) >= sizeof s->line || !line_exists(c, line)))
        field_error(c, s, "service_line", SN_EUNPROCESSABLE, 422, "err_service_line",
                    "unknown service line");
    s->subject = text_field(c, s, b, "subject", 1, SUBJECT_MAX_CHARS, 0);
    s->message = text_field(c, s, b, "message", 1, MESSAGE_MAX_CHARS, 1);
    int status = 0;
    const char *msg = NULL;
    sn_err fe;
    sn_err_clear(&fe);
    if (contact_files_check(c, b, "attachments", s->files, &s->nfiles, &status, &msg, &fe) < 0)
        field_error_slug(c, s, "attachments", fe.code, status, msg, fe.slug, fe.message);
}

/* ---- POST /contact --------------------------------------------------------------------------- */

static int receipt_page(portal_ctx *c, const form_receipt *r, sn_err *e)
{
    char track[64], other[64];
    contact_href(c, "/track", track, sizeof track);
    snprintf(other, sizeof other, "/contact%s", strcmp(c->lang, "en") ? "?lang=en" : "");
    json_t *data =
        json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:b}", "title", portal_string(c, "done_title"),
                  "number", r->number, "code", r->code, "confirmation", r->confirmation,
                  "track_href", track, "switch_href", other, "noindex", 1);
    portal_page p = {"done", 201, PORTAL_CACHE_NONE, NULL};
    int rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

static void free_submission(submission *s)
{
    free(s->name);
    free(s->subject);
    free(s->message);
    json_decref(s->st.values);
    json_decref(s->st.errors);
}

/* The form again with what went wrong beside each field (status of the first error), or the
 * JSON envelope. */
static int refuse(portal_ctx *c, submission *s, const contact_body *b, sn_err *e)
{
    if (portal_wants_json(c)) {
        *e = s->first;
        return e->code;
    }
    s->st.files_dropped = b->multipart && b->mp.nfiles > 0;
    return render_form(c, &s->st, s->status, e);
}

static void note_submitted(portal_ctx *c, const char *session)
{
    size_t n = strlen(session);
    if (!n || n > SESSION_MAX ||
        strspn(session, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_") != n)
        return;
    sn_err ignored;
    if (kb_search_submitted(c->db, session, &ignored) < 0)
        log_warn("contact: cannot mark the suggestions of a form as followed by a submission");
}

static int submit(portal_ctx *c, sn_err *e)
{
    contact_set_lang(c);
    int rc = portal_rate_take("contact", c->req->ip, CONTACT_BURST, CONTACT_REFILL_MS, c->now, e);
    if (rc < 0) return rc;
    contact_body b;
    if ((rc = contact_body_read(c, &b, e)) < 0) {
        contact_body_fini(&b);
        return rc;
    }
    submission s;
    memset(&s, 0, sizeof s);
    s.st.values = json_object();
    s.st.errors = json_object();
    json_object_set_new(s.st.values, "kb_session", json_string(contact_field(&b, "kb_session")));
    rc = portal_form_check(c, CONTACT_PURPOSE, contact_field(&b, "csrf_token"), e);
    if (rc == 0 && *contact_field(&b, "website")) {
        /* The honeypot: people never see it, form-filling robots fill it in. */
        field_error(c, &s, "website", SN_EUNPROCESSABLE, 422, "err_honeypot",
                    "leave the website field empty");
        s.st.form_error = portal_string(c, "err_honeypot");
    }
    if (rc == 0) validate(c, &s, &b);
    if (rc < 0) { /* the token: the form again (fields kept) with a fresh one, or the envelope */
        if (!portal_wants_json(c)) {
            validate(c, &s, &b);
            json_object_clear(s.st.errors);
            s.status = 403;
            s.st.form_error = portal_string(c, "err_form_expired_text");
            s.first = *e;
            rc = refuse(c, &s, &b, e);
        }
    } else if (s.status) {
        rc = refuse(c, &s, &b, e);
    } else {
        char track_url[400], base[300], track[64];
        portal_base_url(c, base, sizeof base);
        contact_href(c, "/track", track, sizeof track);
        snprintf(track_url, sizeof track_url, "%s%s", base, track);
        form_submission in = {s.name,
                              s.national_id[0] ? s.national_id : NULL,
                              s.mobile[0] ? s.mobile : NULL,
                              s.email[0] ? s.email : NULL,
                              s.line[0] ? s.line : NULL,
                              s.subject,
                              s.message,
                              c->lang,
                              track_url,
                              s.files,
                              s.nfiles,
                              c->req->ip};
        form_receipt r;
        rc = contact_files_write(c, &b, "attachments", s.nfiles, e);
        if (rc == 0) rc = form_submit(c->db, &in, c->now, &r, e);
        if (rc == 0) note_submitted(c, contact_field(&b, "kb_session"));
        if (rc == 0 && portal_wants_json(c))
            http_respond_json(
                c->req, 201,
                json_pack("{s:s, s:s}", "conversation_number", r.number, "tracking_code", r.code));
        else if (rc == 0)
            rc = receipt_page(c, &r, e);
        if (rc == 0) http_set_header(c->req, "Cache-Control", "no-store");
    }
    free_submission(&s);
    contact_body_fini(&b);
    return rc;
}

/* ---- the module ------------------------------------------------------------------------------ */

static const portal_route routes[] = {
    {"GET", "/contact", form_page, "ar"},        {"GET", "/contact/en", form_page, "en"},
    {"POST", "/contact", submit, "ar"},          {"POST", "/contact/en", submit, "en"},
    {"GET", "/track", track_page, "ar"},         {"GET", "/track/en", track_page, "en"},
    {"POST", "/track", track_lookup, "ar"},      {"POST", "/track/en", track_lookup, "en"},
    {"POST", "/track/reply", track_reply, "ar"}, {"POST", "/track/en/reply", track_reply, "en"},
};

static const char *const prefixes[] = {"/contact", "/track", NULL};
static const char *const disallow[] = {"/track", NULL};

/* The form's two pages belong in the sitemap; tracking pages do not. */
static int contact_sitemap(portal_ctx *c, json_t *urls, sn_err *e)
{
    char base[300], loc[400];
    portal_base_url(c, base, sizeof base);
    snprintf(loc, sizeof loc, "%s/contact", base);
    json_array_append_new(urls, json_pack("{s:s}", "loc", loc));
    snprintf(loc, sizeof loc, "%s/contact/en", base);
    json_array_append_new(urls, json_pack("{s:s}", "loc", loc));
    return 0;
}

static int contact_init(const config *cfg, sn_err *e)
{
    kb_search_log_init(cfg->db);
    return 0;
}

const portal_module contact_module = {
    "contact",       prefixes, routes,       sizeof routes / sizeof routes[0],
    contact_sitemap, disallow, contact_init,
};
