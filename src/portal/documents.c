/* documents.c — /documents: citizens submit the documents a service requires, without a visit.
 * Arabic by default, English with ?lang=en (kept on every link and form action).
 *
 *   GET  /documents                 no session: the national ID form; with one: the services
 *                                   that need documents and the citizen's submissions
 *   POST /documents/identify        national ID → where the code may go (masked email / mobile)
 *   POST /documents/send            the choice → a one-time code is queued → the code form
 *   POST /documents/verify          the code → session cookie (30 min) → 303 /documents
 *   POST /documents/logout          ends the session
 *   GET  /documents/services/{code} the upload form of a service's document types
 *   POST /documents/services/{code} multipart upload → reference number (303 to the submission)
 *   GET  /documents/submissions/{ref}                 statuses, reasons, replacement forms
 *   POST /documents/submissions/{ref}/replace/{id}    a replacement for a rejected document
 *
 * Every POST carries the signed double-submit token (csrf_token) and is rate-limited per address;
 * codes are also limited per national ID, so whether an ID is on file is only learnt a few times
 * an hour. The session is a signed cookie (domain/doc_otp.c), HttpOnly, SameSite=Strict. Files are
 * judged by their bytes (libmagic), size and the optional clamd scan (domain/attachment.h), each
 * against its document type; problems are shown next to the field with the right status (413,
 * 415, 422, 503). */
#include "page.h"

#include "../core/clock.h"
#include "../domain/document.h"
#include "../domain/identity.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURPOSE "documents"
#define FILES_MAX 32
#define IDENTIFY_BURST 5, 120000 /* lookups per address: 5, then one per 2 min */
#define ID_BURST 10, 60000       /* lookups per national ID: 10, then one a minute */
#define ID_SEND_BURST 4, 120000  /* codes per national ID: 4, then one per 2 min */
#define SEND_BURST 4, 60000      /* codes per address */
#define VERIFY_BURST 20, 3000    /* tries per address (each code allows 5) */
#define UPLOAD_BURST 10, 30000   /* uploads per address */

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static int is_en(portal_ctx *c)
{
    return !strcmp(c->lang, "en");
}

/* The page's language from ?lang= (Arabic unless "en"). */
static void set_lang(portal_ctx *c)
{
    const char *l = http_query(c->req, "lang");
    c->lang = l && !strcmp(l, "en") ? "en" : "ar";
}

/* path with this page's language kept: path?lang=en (or &lang=en) in English. */
static void url(portal_ctx *c, const char *path, char *out, size_t cap)
{
    if (is_en(c))
        snprintf(out, cap, "%s%slang=en", path, strchr(path, '?') ? "&" : "?");
    else
        snprintf(out, cap, "%s", path);
}

static const char *cookie_name(portal_ctx *c)
{
    return c->cfg->secure_cookies ? "__Host-sanad_docs" : "sanad_docs";
}

static int session_of(portal_ctx *c, int64_t *customer, int64_t *otp)
{
    return doc_session_check(c->cfg->data, http_cookie(c->req, cookie_name(c)), c->now, customer,
                             otp);
}

static void set_session(portal_ctx *c, const char *value, int max_age)
{
    char header[400];
    snprintf(header, sizeof header, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
             cookie_name(c), value, max_age, c->cfg->secure_cookies ? "; Secure" : "");
    http_set_header(c->req, "Set-Cookie", header);
}

static void redirect(portal_ctx *c, const char *path)
{
    char to[1200];
    url(c, path, to, sizeof to);
    portal_redirect(c, 303, to);
}

/* Render template tpl with data (consumed): the form token, links in this language, noindex. */
static int page(portal_ctx *c, const char *tpl, int status, json_t *data, sn_err *e)
{
    char token[PORTAL_TOKEN_SIZE], self[1024], home[64], other[1100];
    portal_form_token(c, PURPOSE, token, sizeof token);
    json_object_set_new(data, "csrf_token", json_string(token));
    json_object_set_new(data, "noindex", json_true());
    json_object_set_new(data, "q", json_string(is_en(c) ? "?lang=en" : ""));
    url(c, "/documents", home, sizeof home);
    json_object_set_new(data, "docs_home", json_string(home));
    snprintf(self, sizeof self, "%s", c->req->path);
    if (strcmp(c->req->method, "GET")) snprintf(self, sizeof self, "/documents");
    snprintf(other, sizeof other, "%s%s", self, is_en(c) ? "" : "?lang=en");
    json_object_set_new(data, "switch_href", json_string(other));
    if (!json_object_get(data, "title"))
        json_object_set_new(data, "title", json_string(portal_string(c, "site_name")));
    portal_page p = {tpl, status, PORTAL_CACHE_NONE, NULL};
    int rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

/* A message (strings key) shown on the page. */
static json_t *with_error(json_t *data, portal_ctx *c, const char *key)
{
    json_object_set_new(data, "error", json_string(portal_string(c, key)));
    return data;
}

/* The form fields of an urlencoded POST after the rate limit and the token check. */
static int form_in(portal_ctx *c, const char *scope, int burst, int64_t interval, json_t **form,
                   sn_err *e)
{
    *form = NULL;
    int rc = portal_rate_take(scope, c->req->ip, burst, interval, c->now, e);
    if (rc == 0) rc = portal_form_parse(c, form, e);
    if (rc == 0) rc = portal_form_check(c, PURPOSE, str(*form, "csrf_token"), e);
    return rc;
}

/* ---- identification -------------------------------------------------------------------------- */

static int start_page(portal_ctx *c, int status, const char *error_key, const char *nid, sn_err *e)
{
    json_t *data = json_pack("{s:s, s:b}", "national_id", nid ? nid : "", "is_start", 1);
    if (error_key) with_error(data, c, error_key);
    return page(c, "start", status, data, e);
}

static json_t *contacts_json(portal_ctx *c, const doc_contact *list, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        char value[16];
        snprintf(value, sizeof value, "%d", i);
        json_array_append_new(
            a,
            json_pack("{s:s, s:s, s:s, s:b}", "value", value, "masked", list[i].masked, "via",
                      portal_string(c, !strcmp(list[i].channel, "sms") ? "via_sms" : "via_email"),
                      "first", i == 0));
    }
    return a;
}

/* The national ID of the form, normalised, and its contacts; a page answered when it fails. */
static int lookup(portal_ctx *c, json_t *form, char *nid, size_t cap, int64_t *customer,
                  doc_contact *list, int *n, int *answered, sn_err *e)
{
    sn_err ignored;
    *answered = 1;
    if (identity_normalize(ID_NATIONAL_ID, str(form, "national_id"), nid, cap, &ignored) < 0)
        return start_page(c, 422, "msg_national_id_invalid", str(form, "national_id"), e);
    int rc = portal_rate_take("documents-id", nid, ID_BURST, c->now, e);
    if (rc < 0) return rc;
    rc = docotp_contacts(c->db, nid, customer, list, n, e);
    if (rc == SN_ENOTFOUND) return start_page(c, 404, "msg_not_found", nid, e);
    if (rc < 0) return rc;
    *answered = 0;
    return 0;
}

static int identify(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    json_t *form;
    int rc = form_in(c, "documents-identify", IDENTIFY_BURST, &form, e);
    char nid[IDENTITY_MAX];
    int64_t customer;
    doc_contact list[DOC_CONTACTS_MAX];
    int n = 0, answered = 0;
    if (rc == 0) rc = lookup(c, form, nid, sizeof nid, &customer, list, &n, &answered, e);
    json_decref(form);
    if (rc < 0 || answered) return rc;
    return page(c, "choose", 200,
                json_pack("{s:s, s:o}", "national_id", nid, "contacts", contacts_json(c, list, n)),
                e);
}

static int code_page(portal_ctx *c, int status, const char *handle, const char *masked,
                     const char *error_key, int tries_left, sn_err *e)
{
    json_t *data = json_pack("{s:s, s:s}", "challenge", handle, "masked", masked);
    if (error_key) with_error(data, c, error_key);
    if (tries_left > 0) {
        char n[16];
        portal_number(tries_left, c->lang, n, sizeof n);
        json_object_set_new(data, "tries_left", json_string(n));
    }
    return page(c, "code", status, data, e);
}

static int send(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    json_t *form;
    int rc = form_in(c, "documents-send", SEND_BURST, &form, e);
    char nid[IDENTITY_MAX], handle[DOC_HANDLE_SIZE];
    int64_t customer;
    doc_contact list[DOC_CONTACTS_MAX];
    int n = 0, answered = 0;
    if (rc == 0) rc = lookup(c, form, nid, sizeof nid, &customer, list, &n, &answered, e);
    if (rc < 0 || answered) {
        json_decref(form);
        return rc;
    }
    const char *via = str(form, "via");
    char *end;
    long i = strtol(via, &end, 10);
    if (!*via || *end || i < 0 || i >= n) {
        json_decref(form);
        return page(c, "choose", 422,
                    with_error(json_pack("{s:s, s:o}", "national_id", nid, "contacts",
                                         contacts_json(c, list, n)),
                               c, "msg_choose"),
                    e);
    }
    json_decref(form);
    if ((rc = portal_rate_take("documents-send-id", nid, ID_SEND_BURST, c->now, e)) < 0) return rc;
    rc = docotp_issue(c->db, c->cfg->data, customer, &list[i], c->lang, c->now, handle, e);
    if (rc < 0) return rc;
    return code_page(c, 200, handle, list[i].masked, NULL, 0, e);
}

static int verify(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    json_t *form;
    int rc = form_in(c, "documents-verify", VERIFY_BURST, &form, e);
    if (rc < 0) {
        json_decref(form);
        return rc;
    }
    char code[16], handle[DOC_HANDLE_SIZE], masked[64];
    snprintf(code, sizeof code, "%s", str(form, "code"));
    snprintf(handle, sizeof handle, "%s", str(form, "challenge"));
    snprintf(masked, sizeof masked, "%s", str(form, "masked"));
    json_decref(form);
    docotp_result r;
    rc = docotp_verify(c->db, c->cfg->data, handle, code, c->now, &r, e);
    if (rc == SN_EUNPROCESSABLE && !strcmp(e->slug, "wrong_code"))
        return code_page(c, 422, handle, masked, "msg_wrong_code", r.tries_left, e);
    if (rc == SN_EUNPROCESSABLE || rc == SN_ENOTFOUND)
        return start_page(c, 422,
                          !strcmp(e->slug, "code_expired") ? "msg_code_expired" : "msg_code_void",
                          NULL, e);
    if (rc < 0) return rc;
    char value[DOC_SESSION_SIZE];
    if (doc_session_make(c->cfg->data, r.customer_id, r.otp_id, c->now + DOC_SESSION_MS, value,
                         sizeof value) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot sign the session");
    set_session(c, value, DOC_SESSION_MS / 1000);
    redirect(c, "/documents");
    return 0;
}

static int logout(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    json_t *form;
    int rc = form_in(c, "documents-verify", VERIFY_BURST, &form, e);
    json_decref(form);
    if (rc < 0) return rc;
    set_session(c, "", 0);
    redirect(c, "/documents");
    return 0;
}

/* ---- services and submissions ---------------------------------------------------------------- */

static const char *status_label(portal_ctx *c, const char *status)
{
    char key[40];
    snprintf(key, sizeof key, "status_%s", status);
    const char *s = portal_string(c, key);
    return *s ? s : status;
}

/* Citizen's submissions: labels, links and, for rejected documents, a replace form. */
static void decorate_submissions(portal_ctx *c, json_t *subs)
{
    size_t i, j;
    json_t *s, *d;
    json_array_foreach(subs, i, s)
    {
        char path[200], link[300];
        snprintf(path, sizeof path, "/documents/submissions/%s", str(s, "reference"));
        url(c, path, link, sizeof link);
        json_object_set_new(s, "url", json_string(link));
        json_array_foreach(json_object_get(s, "documents"), j, d)
        {
            const char *st = str(d, "status");
            json_object_set_new(d, "status_label", json_string(status_label(c, st)));
            json_object_set_new(d, "is_rejected", json_boolean(!strcmp(st, "rejected")));
            json_object_set_new(d, "is_history", json_boolean(!strcmp(st, "replaced")));
            char action[400];
            snprintf(path, sizeof path, "/documents/submissions/%s/replace/%" JSON_INTEGER_FORMAT,
                     str(s, "reference"), json_integer_value(json_object_get(d, "id")));
            url(c, path, action, sizeof action);
            json_object_set_new(d, "replace_action", json_string(action));
        }
    }
}

static int services_page(portal_ctx *c, int64_t customer, sn_err *e)
{
    json_t *lines, *subs;
    int rc = doctype_lines_json(c->db, &lines, e);
    if (rc < 0) return rc;
    if ((rc = docsub_citizen_json(c->db, customer, NULL, c->lang, &subs, e)) < 0) {
        json_decref(lines);
        return rc;
    }
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        char path[200], link[300];
        snprintf(path, sizeof path, "/documents/services/%s", str(l, "code"));
        url(c, path, link, sizeof link);
        json_object_set_new(l, "url", json_string(link));
        json_object_set_new(
            l, "name",
            json_string(is_en(c) && *str(l, "name_en") ? str(l, "name_en") : str(l, "name_ar")));
    }
    decorate_submissions(c, subs);
    return page(c, "services", 200,
                json_pack("{s:o, s:o, s:b, s:b}", "lines", lines, "submissions", subs,
                          "has_submissions", json_array_size(subs) > 0, "signed_in", 1),
                e);
}

static int home(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    int64_t customer, otp;
    if (session_of(c, &customer, &otp) == 0) return services_page(c, customer, e);
    return start_page(c, 200, NULL, NULL, e);
}

/* ---- uploads --------------------------------------------------------------------------------- */

static void short_types(const char *csv, char *out, size_t cap)
{
    static const struct {
        const char *mime, *label;
    } names[] = {{"application/pdf", "PDF"},
                 {"image/jpeg", "JPEG"},
                 {"image/png", "PNG"},
                 {"image/tiff", "TIFF"},
                 {"image/webp", "WEBP"}};
    size_t n = 0;
    out[0] = '\0';
    const char *p = csv;
    while (p && *p && n < cap) {
        const char *comma = strchr(p, ',');
        char one[128];
        snprintf(one, sizeof one, "%.*s", (int)(comma ? comma - p : (long)strlen(p)), p);
        const char *label = one;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(one, names[i].mime)) label = names[i].label;
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", label);
        p = comma ? comma + 1 : NULL;
    }
}

static void join_types(json_t *arr, char *out, size_t cap)
{
    size_t i, n = 0;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(arr, i, v) if (n < cap) n +=
        (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", json_string_value(v));
}

static void size_label(portal_ctx *c, int64_t bytes, char *out, size_t cap)
{
    char n[32];
    if (bytes >= 1048576) {
        portal_number(bytes / 1048576, c->lang, n, sizeof n);
        snprintf(out, cap, "%s %s", n, portal_string(c, "unit_mb"));
    } else {
        portal_number(bytes / 1024 ? bytes / 1024 : 1, c->lang, n, sizeof n);
        snprintf(out, cap, "%s %s", n, portal_string(c, "unit_kb"));
    }
}

/* The types of a line for the upload form, with their field names, accept lists and hints. */
static void decorate_types(portal_ctx *c, json_t *types, json_t *errors)
{
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t)
    {
        char field[32], csv[600], label[300], size[64];
        snprintf(field, sizeof field, "doc_%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(t, "id")));
        join_types(json_object_get(t, "allowed_types"), csv, sizeof csv);
        short_types(csv, label, sizeof label);
        size_label(c, json_integer_value(json_object_get(t, "max_bytes")), size, sizeof size);
        json_object_set_new(t, "field", json_string(field));
        json_object_set_new(t, "accept", json_string(csv));
        json_object_set_new(t, "types_label", json_string(label));
        json_object_set_new(t, "size_label", json_string(size));
        json_object_set_new(
            t, "name",
            json_string(is_en(c) && *str(t, "name_en") ? str(t, "name_en") : str(t, "name_ar")));
        const char *err = errors ? json_string_value(json_object_get(errors, field)) : NULL;
        if (err) json_object_set_new(t, "field_error", json_string(err));
    }
}

static int upload_page(portal_ctx *c, const char *code, json_t *types, json_t *errors, int status,
                       sn_err *e)
{
    decorate_types(c, types, errors);
    char path[200], action[300];
    snprintf(path, sizeof path, "/documents/services/%s", code);
    url(c, path, action, sizeof action);
    json_t *data = json_pack("{s:O, s:s, s:b}", "types", types, "action", action, "signed_in", 1);
    if (errors && json_object_size(errors)) with_error(data, c, "msg_fix_fields");
    return page(c, "upload", status, data, e);
}

/* The strings key and HTTP status of a refused file. */
static const char *file_error(const sn_err *fe, int *status)
{
    switch (fe->code) {
    case SN_ETOOLARGE:
        *status = 413;
        return "msg_file_too_large";
    case SN_EMEDIA:
        *status = 415;
        return "msg_file_type";
    case SN_EUNAVAILABLE:
        *status = 503;
        return "msg_scanner_down";
    case SN_EUNPROCESSABLE:
        *status = 422;
        return !strcmp(fe->slug, "infected") ? "msg_file_infected" : "msg_file_required";
    default:
        *status = 500;
        return "msg_file_failed";
    }
}

static json_t *type_by_field(json_t *types, const char *field)
{
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t)
    {
        char name[32];
        snprintf(name, sizeof name, "doc_%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(t, "id")));
        if (!strcmp(name, field)) return t;
    }
    return NULL;
}

/* Check and store one file against its type (content type by libmagic, size, scan). */
static int accept_file(portal_ctx *c, json_t *type, const portal_upload *f, doc_upload *out,
                       sn_err *fe)
{
    char csv[600];
    join_types(json_object_get(type, "allowed_types"), csv, sizeof csv);
    attachment_policy p = {c->cfg->data, json_integer_value(json_object_get(type, "max_bytes")),
                           csv, c->cfg->clamd, 0};
    memset(out, 0, sizeof *out);
    out->type_id = json_integer_value(json_object_get(type, "id"));
    out->filename = f->filename;
    out->declared_type = f->declared_type;
    return attachment_accept(&p, f->data, f->len, 1, &out->blob, fe);
}

static int64_t largest(json_t *types)
{
    int64_t max = 0;
    size_t i;
    json_t *t;
    json_array_foreach(types, i, t)
    {
        int64_t m = json_integer_value(json_object_get(t, "max_bytes"));
        if (m > max) max = m;
    }
    return max;
}

/* Parse the multipart body (after the rate limit), check the token. A file over the largest
 * limit is reported on its field: *errors gets it and *status the page's status. */
static int upload_in(portal_ctx *c, size_t max_file, int max_files, portal_multipart *mp,
                     json_t *errors, int *status, sn_err *e)
{
    int rc = portal_rate_take("documents-upload", c->req->ip, UPLOAD_BURST, c->now, e);
    if (rc < 0) return rc;
    rc = portal_multipart_parse(c, max_file, max_files, mp, e);
    if (rc == SN_ETOOLARGE && !strcmp(e->slug, "file_too_large") && e->field[0]) {
        json_object_set_new(errors, e->field, json_string(portal_string(c, "msg_file_too_large")));
        *status = 413;
        return 0;
    }
    if (rc < 0) return rc;
    return portal_form_check(c, PURPOSE, str(mp->fields, "csrf_token"), e);
}

static int store_files(portal_ctx *c, json_t *types, const portal_multipart *mp, doc_upload *ups,
                       int *n, json_t *errors, int *status)
{
    *n = 0;
    for (int i = 0; i < mp->nfiles && *n < FILES_MAX; i++) {
        json_t *t = type_by_field(types, mp->files[i].field);
        if (!t || json_object_get(errors, mp->files[i].field)) continue;
        sn_err fe;
        sn_err_clear(&fe);
        if (accept_file(c, t, &mp->files[i], &ups[*n], &fe) < 0) {
            int s = 0;
            const char *key = file_error(&fe, &s);
            json_object_set_new(errors, mp->files[i].field, json_string(portal_string(c, key)));
            if (!*status || s == 413) *status = s;
            continue;
        }
        (*n)++;
    }
    return 0;
}

static int require_session(portal_ctx *c, int64_t *customer, int64_t *otp)
{
    if (session_of(c, customer, otp) == 0) return 0;
    redirect(c, "/documents");
    return 1;
}

static int service_get(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    int64_t customer, otp;
    if (require_session(c, &customer, &otp)) return 0;
    json_t *types;
    int rc = doctype_list_json(c->db, c->req->params[0], 1, &types, e);
    if (rc < 0) return rc;
    if (!json_array_size(types)) {
        json_decref(types);
        return sn_fail(e, SN_ENOTFOUND, NULL, "this service needs no documents");
    }
    rc = upload_page(c, c->req->params[0], types, NULL, 200, e);
    json_decref(types);
    return rc;
}

static int submit(portal_ctx *c, int64_t customer, int64_t otp, json_t *types,
                  const portal_multipart *mp, json_t *errors, int *status, sn_err *e)
{
    doc_upload ups[FILES_MAX];
    int n = 0;
    store_files(c, types, mp, ups, &n, errors, status);
    if (json_object_size(errors)) return 0;
    char reference[32];
    int64_t conv;
    docsub_input in = {customer, otp, c->req->params[0], c->lang, ups, n, c->now};
    int rc = docsub_create(c->db, &in, reference, &conv, e);
    if (rc == SN_EUNPROCESSABLE && e->field[0]) {
        json_object_set_new(errors, e->field, json_string(portal_string(c, "msg_file_required")));
        *status = 422;
        return 0;
    }
    if (rc == SN_EUNPROCESSABLE) {
        json_object_set_new(errors, "_", json_string(""));
        *status = 422;
        return 0;
    }
    if (rc == SN_EUNAUTH) {
        set_session(c, "", 0);
        redirect(c, "/documents");
        return 0;
    }
    if (rc < 0) return rc;
    char path[200];
    snprintf(path, sizeof path, "/documents/submissions/%s?done=submitted", reference);
    redirect(c, path);
    return 0;
}

static int service_post(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    int64_t customer, otp;
    if (require_session(c, &customer, &otp)) return 0;
    json_t *types, *errors = json_object();
    int rc = doctype_list_json(c->db, c->req->params[0], 1, &types, e), status = 0;
    if (rc == 0 && !json_array_size(types)) rc = sn_fail(e, SN_ENOTFOUND, NULL, "no documents");
    portal_multipart mp;
    memset(&mp, 0, sizeof mp);
    if (rc == 0)
        rc = upload_in(c, (size_t)largest(types), (int)json_array_size(types), &mp, errors, &status,
                       e);
    if (rc == 0 && !json_object_size(errors))
        rc = submit(c, customer, otp, types, &mp, errors, &status, e);
    if (rc == 0 && json_object_size(errors))
        rc = upload_page(c, c->req->params[0], types, errors, status ? status : 422, e);
    portal_multipart_fini(&mp);
    json_decref(types);
    json_decref(errors);
    return rc;
}

static int submission_page(portal_ctx *c, int64_t customer, const char *notice_key, json_t *errors,
                           int status, sn_err *e)
{
    json_t *subs;
    int rc = docsub_citizen_json(c->db, customer, c->req->params[0], c->lang, &subs, e);
    if (rc < 0) return rc;
    decorate_submissions(c, subs);
    json_t *s = json_array_get(subs, 0);
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(s, "documents"), i, d)
    {
        char key[32];
        snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(d, "id")));
        const char *err = errors ? json_string_value(json_object_get(errors, key)) : NULL;
        if (err) json_object_set_new(d, "file_error", json_string(err));
    }
    json_t *data = json_pack("{s:O, s:b}", "submission", s, "signed_in", 1);
    json_decref(subs);
    if (notice_key) json_object_set_new(data, "notice", json_string(portal_string(c, notice_key)));
    if (errors && json_object_size(errors)) with_error(data, c, "msg_fix_fields");
    return page(c, "submission", status, data, e);
}

static int submission_get(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    int64_t customer, otp;
    if (require_session(c, &customer, &otp)) return 0;
    const char *done = http_query(c->req, "done");
    const char *notice = done && !strcmp(done, "submitted")  ? "notice_submitted"
                         : done && !strcmp(done, "replaced") ? "notice_replaced"
                                                             : NULL;
    return submission_page(c, customer, notice, NULL, 200, e);
}

/* The type of a document of the customer's submission (for its limits). */
static json_t *type_of_doc(portal_ctx *c, int64_t customer, int64_t doc_id, sn_err *e)
{
    json_t *subs, *found = NULL;
    if (docsub_citizen_json(c->db, customer, c->req->params[0], c->lang, &subs, e) < 0) return NULL;
    json_t *s = json_array_get(subs, 0), *types = NULL, *d;
    size_t i;
    int64_t type_id = 0;
    json_array_foreach(json_object_get(s, "documents"), i, d)
    {
        if (json_integer_value(json_object_get(d, "id")) == doc_id)
            type_id = json_integer_value(json_object_get(d, "type_id"));
    }
    if (type_id && doctype_list_json(c->db, str(s, "service_code"), 0, &types, e) == 0) {
        json_t *t;
        json_array_foreach(types, i, t)
        {
            if (json_integer_value(json_object_get(t, "id")) == type_id) found = json_incref(t);
        }
    }
    json_decref(types);
    json_decref(subs);
    if (!found) sn_fail(e, SN_ENOTFOUND, NULL, "no such document");
    return found;
}

static int replace(portal_ctx *c, sn_err *e)
{
    set_lang(c);
    int64_t customer, otp, doc_id = strtoll(c->req->params[1], NULL, 10);
    if (require_session(c, &customer, &otp)) return 0;
    json_t *type = type_of_doc(c, customer, doc_id, e);
    if (!type) return e->code;
    json_t *errors = json_object(), *field_errors = json_object();
    portal_multipart mp;
    memset(&mp, 0, sizeof mp);
    int status = 0;
    int rc = upload_in(c, (size_t)json_integer_value(json_object_get(type, "max_bytes")), 1, &mp,
                       field_errors, &status, e);
    doc_upload up;
    memset(&up, 0, sizeof up);
    if (rc == 0 && !json_object_size(field_errors)) {
        sn_err fe;
        sn_err_clear(&fe);
        if (mp.nfiles < 1) {
            status = 422;
            json_object_set_new(field_errors, "file",
                                json_string(portal_string(c, "msg_file_required")));
        } else if (accept_file(c, type, &mp.files[0], &up, &fe) < 0) {
            const char *key = file_error(&fe, &status);
            json_object_set_new(field_errors, "file", json_string(portal_string(c, key)));
        }
    }
    if (rc == 0 && !json_object_size(field_errors)) {
        rc = doc_replace(c->db, customer, doc_id, &up, c->now, e);
        if (rc == 0) {
            char path[200];
            snprintf(path, sizeof path, "/documents/submissions/%s?done=replaced",
                     c->req->params[0]);
            redirect(c, path);
        }
    }
    if (rc == 0 && json_object_size(field_errors)) {
        json_t *msg = json_object_get(field_errors, "file");
        if (!msg) msg = json_object_iter_value(json_object_iter(field_errors));
        char key[32];
        snprintf(key, sizeof key, "%" PRId64, doc_id);
        json_object_set(errors, key, msg);
        rc = submission_page(c, customer, NULL, errors, status ? status : 422, e);
    }
    portal_multipart_fini(&mp);
    json_decref(type);
    json_decref(errors);
    json_decref(field_errors);
    return rc;
}

/* ---- the module ------------------------------------------------------------------------------ */

static const portal_route routes[] = {
    {"GET", "/documents", home, "ar"},
    {"POST", "/documents/identify", identify, "ar"},
    {"POST", "/documents/send", send, "ar"},
    {"POST", "/documents/verify", verify, "ar"},
    {"POST", "/documents/logout", logout, "ar"},
    {"GET", "/documents/services/{code}", service_get, "ar"},
    {"POST", "/documents/services/{code}", service_post, "ar"},
    {"GET", "/documents/submissions/{ref}", submission_get, "ar"},
    {"POST", "/documents/submissions/{ref}/replace/{id}", replace, "ar"},
};

static const char *const prefixes[] = {"/documents", NULL};
static const char *const disallow[] = {"/documents", NULL};

const portal_module documents_module = {
    "documents", prefixes, routes, (int)(sizeof routes / sizeof routes[0]), NULL, disallow, NULL,
};
