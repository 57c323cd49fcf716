/* track.c — request tracking for citizens, part of the contact module (contact.h):
 *
 *   GET  /track                 the lookup form (number + tracking code)
 *   GET  /track?number=&code=   the case (HTML), or with Accept: application/json
 *                               {"status","number","messages":[{"body","from":"citizen|center",
 *                               "at"}]} — 404 for a wrong number or a wrong code alike
 *   POST /track                 the lookup form sent: the case page, or the form again (404)
 *   POST /track/reply           the citizen adds a message (and files) to the case: CSRF,
 *                               validation (message beside the field, text kept), files checked
 *                               like the contact form's; the case again with the reply (201)
 *
 * Every lookup is rate-limited per address. A successful one is written to the audit log
 * (tracking.lookup: which conversation, from which address — no code); a failed one is logged.
 * The case shows the citizen's own messages and the center's replies, never internal notes. */
#include "contact.h"

#include "../core/clock.h"
#include "../core/hijri.h"
#include "../core/log.h"
#include "../domain/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOKUP_BURST 20
#define LOOKUP_REFILL_MS 5000
#define REPLY_BURST 20
#define REPLY_REFILL_MS 30000
#define REPLY_PURPOSE "track-reply"
#define REPLY_MAX_CHARS 5000
#define NUMBER_MAX 40
#define CODE_MAX 40

/* ---- finding the case ------------------------------------------------------------------------ */

static void audit_lookup(portal_ctx *c, int64_t conv, const char *via)
{
    actor who = {0, "", 0, c->req->ip, c->req->request_id};
    char id[24], detail[64];
    snprintf(id, sizeof id, "%" PRId64, conv);
    snprintf(detail, sizeof detail, "{\"via\":\"%s\"}", via);
    if (audit_record(c->db, &who, "tracking.lookup", "conversation", id, detail) < 0)
        log_warn("track: cannot audit a tracking lookup");
}

/* The conversation of number + code; SN_ENOTFOUND (slug not_found) for any mismatch. */
static int find_case(portal_ctx *c, const char *number, const char *code, const char *via,
                     int64_t *conv, sn_err *e)
{
    int rc = SN_ENOTFOUND;
    if (*number && *code && strlen(number) < NUMBER_MAX && strlen(code) < CODE_MAX)
        rc = form_track_find(c->db, number, code, conv, e);
    if (rc == SN_ENOTFOUND) {
        log_info("track: no request matches a lookup from %s", c->req->ip);
        return sn_fail_slug(e, SN_ENOTFOUND, "request_not_found", "code",
                            "no request matches this number and tracking code");
    }
    if (rc == 0) audit_lookup(c, *conv, via);
    return rc;
}

/* ---- pages ----------------------------------------------------------------------------------- */

static void set_switch(portal_ctx *c, json_t *data)
{
    json_object_set_new(data, "switch_href",
                        json_string(strcmp(c->lang, "en") ? "/track?lang=en" : "/track"));
}

static int lookup_form(portal_ctx *c, const char *number, int status, sn_err *e)
{
    char action[64];
    contact_href(c, "/track", action, sizeof action);
    json_t *data =
        json_pack("{s:s, s:s, s:s, s:b, s:b}", "title", portal_string(c, "track_title"), "number",
                  number, "action", action, "not_found", status == 404, "noindex", 1);
    set_switch(c, data);
    portal_page p = {"track", status, status == 200 ? PORTAL_CACHE_REVALIDATE : PORTAL_CACHE_NONE,
                     NULL};
    int rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

/* The status's label and each message's sender and time, for the page. */
static void decorate(portal_ctx *c, json_t *view)
{
    char key[48];
    snprintf(key, sizeof key, "status_%s", json_string_value(json_object_get(view, "status")));
    const char *label = portal_string(c, key);
    json_object_set_new(
        view, "status_label",
        json_string(*label ? label : json_string_value(json_object_get(view, "status"))));
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(view, "messages"), i, m)
    {
        int citizen = !strcmp(json_string_value(json_object_get(m, "from")), "citizen");
        json_object_set_new(m, "citizen", json_boolean(citizen));
        json_object_set_new(
            m, "who", json_string(portal_string(c, citizen ? "from_citizen" : "from_center")));
        /* Shown on Riyadh's clock; the <time datetime> keeps the instant (UTC). */
        const char *at = json_string_value(json_object_get(m, "at"));
        int64_t ms;
        hijri_date d;
        char shown[32] = "";
        if (at && clock_parse_iso8601(at, &ms) == 0 && hijri_date_of(ms, HIJRI_ZONE, HIJRI_GREGORIAN, &d) == 0)
            snprintf(shown, sizeof shown, "%04d-%02d-%02d %02d:%02d", d.year, d.month, d.day, d.hour,
                     d.minute);
        json_object_set_new(m, "at_shown", json_string(shown));
        json_object_set_new(m, "has_files",
                            json_boolean(json_array_size(json_object_get(m, "attachments")) > 0));
    }
    json_object_set_new(view, "none",
                        json_boolean(json_array_size(json_object_get(view, "messages")) == 0));
}

typedef struct case_extra {
    const char *reply;       /* the reply text to keep after an error */
    const char *reply_error; /* its message */
    int files_dropped;
    const form_receipt *done; /* a reply was added */
    const char *code;         /* the code to carry in the reply form */
} case_extra;

static int case_page(portal_ctx *c, int64_t conv, const case_extra *x, int status, sn_err *e)
{
    json_t *view;
    int rc = form_track_view_json(c->db, conv, &view, e);
    if (rc < 0) return rc;
    decorate(c, view);
    char token[PORTAL_TOKEN_SIZE], action[64];
    portal_form_token(c, REPLY_PURPOSE, token, sizeof token);
    contact_href(c, "/track/reply", action, sizeof action);
    json_t *data = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:b, s:b}", "title",
                             portal_string(c, "case_title"), "case", view, "token", token, "action",
                             action, "code", x->code, "reply", x->reply ? x->reply : "",
                             "files_dropped", x->files_dropped, "noindex", 1);
    if (x->reply_error) json_object_set_new(data, "reply_error", json_string(x->reply_error));
    if (x->done) {
        json_object_set_new(data, "added", json_true());
        if (x->done->code[0])
            json_object_set_new(
                data, "new_case",
                json_pack("{s:s, s:s}", "number", x->done->number, "code", x->done->code));
    }
    set_switch(c, data);
    portal_page p = {"case", status, PORTAL_CACHE_NONE, NULL};
    rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static int case_json(portal_ctx *c, int64_t conv, sn_err *e)
{
    json_t *view;
    int rc = form_track_view_json(c->db, conv, &view, e);
    if (rc < 0) return rc;
    json_t *out = json_pack("{s:O, s:O, s:[]}", "status", json_object_get(view, "status"), "number",
                            json_object_get(view, "number"), "messages");
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(view, "messages"), i, m)
    {
        json_array_append_new(json_object_get(out, "messages"),
                              json_pack("{s:O, s:O, s:O}", "body", json_object_get(m, "body"),
                                        "from", json_object_get(m, "from"), "at",
                                        json_object_get(m, "at")));
    }
    json_decref(view);
    http_respond_json(c->req, 200, out);
    http_set_header(c->req, "Cache-Control", "no-store");
    return 0;
}

/* ---- handlers -------------------------------------------------------------------------------- */

int track_page(portal_ctx *c, sn_err *e)
{
    contact_set_lang(c);
    const char *number = http_query(c->req, "number"), *code = http_query(c->req, "code");
    if (!number && !code) {
        if (portal_wants_json(c))
            return sn_fail_slug(e, SN_ENOTFOUND, "request_not_found", "number",
                                "give the request number and tracking code");
        return lookup_form(c, "", 200, e);
    }
    int rc = portal_rate_take("track", c->req->ip, LOOKUP_BURST, LOOKUP_REFILL_MS, c->now, e);
    int64_t conv = 0;
    if (rc == 0)
        rc = find_case(c, number ? number : "", code ? code : "",
                       portal_wants_json(c) ? "json" : "page", &conv, e);
    if (rc == SN_ENOTFOUND && !portal_wants_json(c))
        return lookup_form(c, number ? number : "", 404, e);
    if (rc < 0) return rc;
    if (portal_wants_json(c)) return case_json(c, conv, e);
    case_extra x = {NULL, NULL, 0, NULL, code};
    return case_page(c, conv, &x, 200, e);
}

int track_lookup(portal_ctx *c, sn_err *e)
{
    contact_set_lang(c);
    int rc = portal_rate_take("track", c->req->ip, LOOKUP_BURST, LOOKUP_REFILL_MS, c->now, e);
    if (rc < 0) return rc;
    contact_body b;
    if ((rc = contact_body_read(c, &b, e)) < 0) {
        contact_body_fini(&b);
        return rc;
    }
    const char *number = contact_field(&b, "number"), *code = contact_field(&b, "code");
    int64_t conv = 0;
    rc = find_case(c, number, code, portal_wants_json(c) ? "json" : "page", &conv, e);
    if (rc == SN_ENOTFOUND && !portal_wants_json(c))
        rc = lookup_form(c, strlen(number) < NUMBER_MAX ? number : "", 404, e);
    else if (rc == 0 && portal_wants_json(c))
        rc = case_json(c, conv, e);
    else if (rc == 0) {
        case_extra x = {NULL, NULL, 0, NULL, code};
        rc = case_page(c, conv, &x, 200, e);
    }
    contact_body_fini(&b);
    return rc;
}

/* The reply's text and files; on a refusal the case again with the message (or the envelope). */
static int reply_checked(portal_ctx *c, contact_body *b, int64_t conv, const char *code, sn_err *e)
{
    size_t chars = 0;
    char *text = contact_text(contact_field(b, "message"), 1, &chars);
    if (!text) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    form_file files[CONTACT_MAX_FILES];
    int n = 0, status = 0, rc = 0;
    const char *msg = NULL;
    if (!*text) {
        status = 422;
        msg = "err_required";
        rc = sn_fail(e, SN_EUNPROCESSABLE, "message", "write a message");
    } else if (chars > REPLY_MAX_CHARS) {
        status = 422;
        msg = "err_too_long";
        rc = sn_fail(e, SN_EUNPROCESSABLE, "message", "the message is too long");
    } else {
        rc = contact_files_check(c, b, "attachments", files, &n, &status, &msg, e);
    }
    if (rc < 0 && !portal_wants_json(c)) {
        case_extra x = {text, portal_string(c, msg), b->multipart && b->mp.nfiles > 0, NULL, code};
        rc = case_page(c, conv, &x, status, e);
    } else if (rc == 0) {
        form_reply in = {text, c->lang, files, n, c->req->ip};
        form_receipt r;
        rc = contact_files_write(c, b, "attachments", n, e);
        if (rc == 0) rc = form_track_reply(c->db, conv, &in, c->now, &r, e);
        if (rc == 0 && portal_wants_json(c)) {
            http_respond_json(c->req, 201,
                              json_pack("{s:s, s:s}", "conversation_number", r.number,
                                        "tracking_code", r.code[0] ? r.code : code));
            http_set_header(c->req, "Cache-Control", "no-store");
        } else if (rc == 0) {
            case_extra x = {NULL, NULL, 0, &r, r.code[0] ? r.code : code};
            rc = case_page(c, r.conversation_id, &x, 201, e);
        }
    }
    free(text);
    return rc;
}

int track_reply(portal_ctx *c, sn_err *e)
{
    contact_set_lang(c);
    int rc = portal_rate_take("track-reply", c->req->ip, REPLY_BURST, REPLY_REFILL_MS, c->now, e);
    if (rc < 0) return rc;
    contact_body b;
    if ((rc = contact_body_read(c, &b, e)) < 0) {
        contact_body_fini(&b);
        return rc;
    }
    const char *number = contact_field(&b, "number"), *code = contact_field(&b, "code");
    rc = portal_form_check(c, REPLY_PURPOSE, contact_field(&b, "csrf_token"), e);
    int64_t conv = 0;
    if (rc == 0) rc = find_case(c, number, code, "reply", &conv, e);
    if (rc == 0) rc = reply_checked(c, &b, conv, code, e);
    contact_body_fini(&b);
    return rc;
}
