/* conversations.c — the intake (POST /contacts), conversations, their messages, merge, and
 * escalating one to a department. */
#include "api.h"

#include "../core/clock.h"
#include "../domain/conversation.h"
#include "../domain/escalation.h"
#include "../domain/events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const field_spec contact_fields[] = {
    {"channel", FT_STRING, 1, 1, 16, "phone | email | x | form | chat"},
    {"customer", FT_OBJECT, 1, 0, 0,
     "{name, national_id, cr_number, phones[], emails[], x_handle}: who made contact"},
    {"service_line", FT_STRING, 0, 1, 63, "Service line code"},
    {"subject", FT_STRING, 0, 0, 500, "Subject or topic"},
    {"body", FT_STRING, 0, 0, 100000, "What the customer said"},
    {"received_at", FT_STRING, 0, 0, 40, "ISO 8601 time of the contact (default now)"},
    {"external_id", FT_STRING, 0, 1, 200, "Idempotency key from the source system"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec conversation_update_fields[] = {
    {"status", FT_STRING, 0, 0, 0, "open | pending | solved | closed"},
    {"assignee_id", FT_INTEGER, 0, 0, 0, "User id, or 0 to unassign"},
    {"priority", FT_STRING, 0, 0, 0, "low | normal | high | urgent"},
    {"service_line", FT_STRING, 0, 1, 63, "Service line code (recomputes the SLA)"},
    {"tags", FT_STRING_ARRAY, 0, 0, 0, "The full new set of tags"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec message_fields[] = {
    {"kind", FT_STRING, 1, 0, 0, "reply (to the customer) | note (internal)"},
    {"body", FT_STRING, 0, 0, 100000, "The text, unless a template is given"},
    {"template", FT_STRING, 0, 1, 64, "Code of an approved template"},
    {"lang", FT_STRING, 0, 2, 2, "ar | en: the template's language (default ar)"},
    {"channel", FT_STRING, 0, 0, 16, "Reply on another channel than the conversation's"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec escalation_create_fields[] = {
    {"department", FT_STRING, 1, 1, 63, "Department code"},
    {"note", FT_STRING, 0, 0, 10000, "What the department should look at"},
    {NULL, 0, 0, 0, 0, NULL},
};

const query_spec conversation_query[] = {
    {"status", FT_STRING, "open | pending | solved | closed"},
    {"channel", FT_STRING, "phone | email | x | form | chat"},
    {"service_line", FT_STRING, "Service line code"},
    {"assignee_id", FT_INTEGER, "User id; 0 or 'none' for unassigned"},
    {"q", FT_STRING, "Text in subject, messages or customer name (Arabic-normalised)"},
    {"limit", FT_INTEGER, "Page size, 1 to 200 (default 50)"},
    {"cursor", FT_STRING, "The next_cursor of the previous page"},
    {NULL, 0, NULL},
};

/* The body's contact fields into `in` (customer identities validated). */
static int contact_from_body(api_ctx *c, contact_input *in, sn_err *e)
{
    memset(in, 0, sizeof *in);
    in->channel = channel_parse(api_body_str(c, "channel"));
    if (in->channel < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "channel", "channel must be phone, email, x, form or chat");
    int rc = customer_input_parse(json_object_get(c->body, "customer"), &in->customer, e);
    if (rc < 0) return rc;
    in->service_line = api_body_str(c, "service_line");
    in->subject = api_body_str(c, "subject");
    in->body = api_body_str(c, "body");
    in->external_id = api_body_str(c, "external_id");
    const char *at = api_body_str(c, "received_at");
    if (at && clock_parse_iso8601(at, &in->received_at) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "received_at", "received_at must be an ISO 8601 time");
    if (in->received_at > clock_now_ms() + 300000)
        return sn_fail(e, SN_EUNPROCESSABLE, "received_at", "received_at is in the future");
    return 0;
}

static void respond_contact_req(http_req *req, const contact_result *r)
{
    json_t *o = json_pack("{s:I, s:I, s:s, s:b, s:I}", "contact_id", (json_int_t)r->contact_id,
                          "conversation_id", (json_int_t)r->conversation_id,
                          "conversation_number", r->number, "joined", r->joined, "customer_id",
                          (json_int_t)r->customer_id);
    if (r->duplicate) json_object_set_new(o, "duplicate", json_true());
    http_respond_json(req, r->duplicate ? 200 : 201, o);
}

static void respond_contact(api_ctx *c, const contact_result *r)
{
    respond_contact_req(c->req, r);
}

/* One POST /contacts between its request and its answer: owns copies of everything the intake
 * reads, since the request's api_ctx is gone by the time the group commits. */
struct intake_job {
    json_t *body; /* a reference: in's strings point into it */
    principal who;
    actor act;
    contact_input in;
    contact_result out;
};

static int intake_unit(store *db, void *arg, sn_err *e)
{
    struct intake_job *j = arg;
    return contact_receive_in_tx(db, &j->act, &j->in, clock_now_ms(), &j->out, e);
}

static void intake_job_free(struct intake_job *j)
{
    json_decref(j->body);
    free(j);
}

static void intake_finish(http_req *req, void *arg, int rc, const sn_err *e)
{
    struct intake_job *j = arg;
    if (rc < 0)
        http_respond_error(req, e);
    else
        respond_contact_req(req, &j->out);
    intake_job_free(j);
}

/* Which group committer a contact goes to when there are several (PostgreSQL): the same
 * person's always to the same one — by the customer an identity already names, else by its
 * first identity — so they do not race each other in parallel transactions, nor deadlock on
 * the customer's row (customer_lock). */
static int intake_key(api_ctx *c, const contact_input *in, uint64_t *key, sn_err *e)
{
    *key = 0;
    if (api_group_writers() < 2 || !in->customer.nids) return 0;
    int64_t owner;
    if (customer_owner(c->db, &in->customer, &owner) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot look the customer up");
    *key = owner ? (uint64_t)owner : customer_identity_hash(&in->customer.ids[0]);
    return 0;
}

/* The contact is durable (its group committed) before the 201 goes out; the request waits for
 * that without holding an HTTP worker thread. */
int api_contacts_create(api_ctx *c, sn_err *e)
{
    struct intake_job *j = calloc(1, sizeof *j);
    if (!j) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    uint64_t key = 0;
    j->body = json_incref(c->body);
    j->who = c->who;
    j->act = c->act;
    j->act.email = j->who.email;
    int rc = contact_from_body(c, &j->in, e);
    if (rc == 0) rc = intake_key(c, &j->in, &key, e);
    if (rc == 0) rc = api_group_defer(c, key, intake_unit, j, intake_finish, e);
    if (rc < 0) intake_job_free(j);
    return rc;
}

int api_conversations_create(api_ctx *c, sn_err *e)
{
    contact_input in;
    contact_result r;
    int rc = contact_from_body(c, &in, e);
    if (rc == 0) rc = conv_open(c->db, &c->act, &in, &r, e);
    if (rc < 0) {
        events_discard();
        return rc;
    }
    events_flush();
    respond_contact(c, &r);
    return 0;
}

static int respond_conversation(api_ctx *c, int64_t id, int status, sn_err *e)
{
    json_t *o;
    int rc = conv_get_json(c->db, &c->act, id, 1, &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, status, o);
    return 0;
}

int api_conversations_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    int rc = api_param_id(c, 0, &id, e);
    return rc < 0 ? rc : respond_conversation(c, id, 200, e);
}

static int parse_assignee(const char *v, int64_t *out, sn_err *e)
{
    *out = 0;
    if (!v || !*v) return 0;
    if (!strcmp(v, "none") || !strcmp(v, "0")) {
        *out = -1;
        return 0;
    }
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*end || n <= 0) return sn_fail(e, SN_EINVALID, "assignee_id", "assignee_id must be a user id or none");
    *out = n;
    return 0;
}

int api_conversations_list(api_ctx *c, sn_err *e)
{
    conv_filter f = {0};
    int more;
    json_t *items;
    int rc = api_page(c, &f.offset, &f.limit, e);
    if (rc == 0) rc = parse_assignee(http_query(c->req, "assignee_id"), &f.assignee_id, e);
    f.status = http_query(c->req, "status");
    f.channel = http_query(c->req, "channel");
    f.service_line = http_query(c->req, "service_line");
    f.q = http_query(c->req, "q");
    if (rc == 0) rc = conv_list_json(c->db, &c->act, &f, &items, &more, e);
    if (rc < 0) return rc;
    json_t *out = json_pack("{s:o}", "items", items);
    if (more) {
        char next[24];
        snprintf(next, sizeof next, "%" PRId64, f.offset + f.limit);
        json_object_set_new(out, "next_cursor", json_string(next));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    http_respond_json(c->req, 200, out);
    return 0;
}

int api_conversations_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    conv_patch p = {0};
    json_t *assignee = json_object_get(c->body, "assignee_id");
    p.status = api_body_str(c, "status");
    p.priority = api_body_str(c, "priority");
    p.service_line = api_body_str(c, "service_line");
    p.tags = json_object_get(c->body, "tags");
    if (assignee) {
        p.has_assignee = 1;
        p.assignee_id = json_integer_value(assignee);
    }
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = conv_update(c->db, &c->act, id, &p, e);
    if (rc < 0) {
        events_discard();
        return rc;
    }
    events_flush();
    return respond_conversation(c, id, 200, e);
}

int api_conversations_message(api_ctx *c, sn_err *e)
{
    int64_t id, mid = 0;
    message_input in = {api_body_str(c, "kind"), api_body_str(c, "body"),
                        api_body_str(c, "template"), api_body_str(c, "lang"),
                        api_body_str(c, "channel")};
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0 && in.lang && strcmp(in.lang, "ar") && strcmp(in.lang, "en"))
        rc = sn_fail(e, SN_EUNPROCESSABLE, "lang", "lang must be ar or en");
    if (rc == 0) rc = conv_add_message(c->db, &c->act, c->who.name, id, &in, &mid, e);
    if (rc < 0) {
        events_discard();
        return rc;
    }
    events_flush();
    json_t *o;
    if ((rc = conv_get_json(c->db, &c->act, id, 1, &o, e)) < 0) return rc;
    json_object_set_new(o, "message_id", json_integer(mid));
    http_respond_json(c->req, 201, o);
    return 0;
}

int api_conversations_merge(api_ctx *c, sn_err *e)
{
    int64_t id;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0)
        rc = conv_merge(c->db, &c->act, id, json_integer_value(json_object_get(c->body, "other_id")), e);
    return rc < 0 ? rc : respond_conversation(c, id, 200, e);
}

int api_conversations_escalate(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0)
        rc = escalation_create(c->db, &c->act, id, api_body_str(c, "department"),
                               api_body_str(c, "note"), &o, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, o);
    return 0;
}
