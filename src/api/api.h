/* api.h — the JSON API: the one route table and what every handler gets.
 *
 * Each request goes: router (http/) → api_dispatch: authenticate (session cookie or bearer
 * token), CSRF for cookie-authenticated unsafe methods, role check from the route's `roles`,
 * body parse + validation against the route's field table → the handler. A handler either
 * responds (http_respond_*) and returns 0, or returns a negative SN_E* code with `e` filled,
 * and the dispatcher renders the error envelope. The same table generates the OpenAPI
 * document (openapi.c). Handlers never write SQL: they call the domain. */
#ifndef SANAD_API_H
#define SANAD_API_H

#include "../core/config.h"
#include "../domain/attachment.h"
#include "../domain/domain.h"
#include "../domain/session.h"
#include "../http/http.h"

#include <jansson.h>

enum field_type { FT_STRING, FT_INTEGER, FT_BOOLEAN, FT_STRING_ARRAY, FT_OBJECT, FT_ARRAY };

/* One field of a JSON request body. A table of them ends with {NULL}. */
typedef struct field_spec {
    const char *name;
    enum field_type type;
    int required;
    int min, max;           /* string length in characters (0,0: no bound) */
    const char *description;
} field_spec;

/* One query parameter (documentation and validation of integers). */
typedef struct query_spec {
    const char *name;
    enum field_type type;
    const char *description;
} query_spec;

typedef struct api_ctx {
    http_req *req;
    store *db;
    const config *cfg;
    principal who;      /* valid when authenticated */
    int authenticated;
    actor act;          /* who + where, for the domain and the audit log */
    json_t *body;       /* the validated request body, or NULL */
} api_ctx;

typedef int (*api_handler)(api_ctx *c, sn_err *e);

#define ROLES_PUBLIC 0u

typedef struct api_route {
    const char *method;
    const char *pattern;
    api_handler handler;
    unsigned roles;             /* any of these may call; ROLES_PUBLIC: no sign-in */
    const field_spec *body;     /* request body fields, or NULL */
    const query_spec *query;    /* query parameters, or NULL */
    int status;                 /* success status */
    const char *response;       /* OpenAPI component name of the success body, or NULL */
    const char *tag;
    const char *summary;
} api_route;

extern const api_route api_routes[];
extern const int api_route_count;

/* Set up the per-thread database connections, the routing table and the group committer. */
int api_init(const config *cfg, sn_err *e);
/* Run fn inside a group-committed transaction (or a transaction of its own on this thread's
 * connection when group commit is off). */
int api_group_run(api_ctx *c, int (*fn)(store *db, void *arg, sn_err *e), void *arg, sn_err *e);
/* Sets the response of a deferred request once its unit is over (rc, e: the unit's outcome);
 * runs on an HTTP worker thread and owns arg from then on. */
typedef void (*api_finish_fn)(http_req *req, void *arg, int rc, const sn_err *e);
/* Like api_group_run, but the request waits for its group without holding a worker thread, so
 * every in-flight request can share one commit however few the threads. fn runs on the
 * committer with arg, which must outlive the api_ctx (heap); finish(req, arg, …) answers. Returns
 * 0 (the answer is finish's), or a negative SN_E* code with e set and finish never called.
 * With several committers (PostgreSQL), units of one non-zero key go to the same one, in order:
 * the same person's contacts then never race each other in parallel transactions. Key 0: any. */
int api_group_defer(api_ctx *c, uint64_t key, int (*fn)(store *db, void *arg, sn_err *e),
                    void *arg, api_finish_fn finish, sn_err *e);
/* How many group committers there are (0: group commit off). */
int api_group_writers(void);
void api_fini(void);
/* The http_app_fn of the server. */
void api_dispatch(http_req *req);
/* Route patterns indexed like the table, for metrics labels. */
const char *const *api_route_patterns(void);

/* Validate `body` against a field table (400 unknown field / wrong type, 422 missing, bounds). */
int api_validate_body(json_t *body, const field_spec *fields, sn_err *e);
/* Path parameter i as a positive id, else SN_ENOTFOUND. */
int api_param_id(api_ctx *c, int i, int64_t *out, sn_err *e);
/* Cursor pagination: ?limit= (1..200, default 50) and ?cursor= (opaque, an integer here). */
int api_page(api_ctx *c, int64_t *cursor, int *limit, sn_err *e);
/* Text of an optional body field, or NULL. */
const char *api_body_str(api_ctx *c, const char *name);
void api_iso_time(json_t *obj, const char *key, int64_t ms);
json_t *api_roles_json(unsigned roles);

/* The OpenAPI 3.1 document built from api_routes. */
json_t *openapi_document(void);

/* Handlers, one file per resource. */
int api_healthz(api_ctx *c, sn_err *e);
int api_metrics(api_ctx *c, sn_err *e);
int api_openapi(api_ctx *c, sn_err *e);
int api_auth_login(api_ctx *c, sn_err *e);
int api_auth_logout(api_ctx *c, sn_err *e);
int api_me_get(api_ctx *c, sn_err *e);
int api_users_create(api_ctx *c, sn_err *e);
int api_users_list(api_ctx *c, sn_err *e);
int api_users_get(api_ctx *c, sn_err *e);
int api_users_update(api_ctx *c, sn_err *e);
int api_tokens_create(api_ctx *c, sn_err *e);
int api_tokens_list(api_ctx *c, sn_err *e);
int api_tokens_revoke(api_ctx *c, sn_err *e);
int api_audit_list(api_ctx *c, sn_err *e);

int api_me_update(api_ctx *c, sn_err *e);
int api_staff_list(api_ctx *c, sn_err *e);
int api_service_lines_create(api_ctx *c, sn_err *e);
int api_service_lines_list(api_ctx *c, sn_err *e);
int api_service_lines_get(api_ctx *c, sn_err *e);
int api_service_lines_update(api_ctx *c, sn_err *e);
int api_departments_create(api_ctx *c, sn_err *e);
int api_departments_list(api_ctx *c, sn_err *e);
int api_departments_get(api_ctx *c, sn_err *e);
int api_departments_update(api_ctx *c, sn_err *e);
int api_customers_create(api_ctx *c, sn_err *e);
int api_customers_list(api_ctx *c, sn_err *e);
int api_customers_get(api_ctx *c, sn_err *e);
int api_customers_update(api_ctx *c, sn_err *e);
int api_customers_merge(api_ctx *c, sn_err *e);
int api_contacts_create(api_ctx *c, sn_err *e);
int api_conversations_create(api_ctx *c, sn_err *e);
int api_conversations_list(api_ctx *c, sn_err *e);
int api_conversations_get(api_ctx *c, sn_err *e);
int api_conversations_update(api_ctx *c, sn_err *e);
int api_conversations_message(api_ctx *c, sn_err *e);
int api_conversations_merge(api_ctx *c, sn_err *e);
int api_conversations_escalate(api_ctx *c, sn_err *e);
int api_escalations_list(api_ctx *c, sn_err *e);
int api_escalations_get(api_ctx *c, sn_err *e);
int api_escalations_reply(api_ctx *c, sn_err *e);
int api_escalations_update(api_ctx *c, sn_err *e);
int api_calendars_get(api_ctx *c, sn_err *e);
int api_calendars_update(api_ctx *c, sn_err *e);
int api_sla_policies_list(api_ctx *c, sn_err *e);
int api_sla_policies_create(api_ctx *c, sn_err *e);
int api_sla_policies_update(api_ctx *c, sn_err *e);
int api_queues_list(api_ctx *c, sn_err *e);
int api_queues_create(api_ctx *c, sn_err *e);
int api_queues_update(api_ctx *c, sn_err *e);
int api_templates_list(api_ctx *c, sn_err *e);
int api_templates_create(api_ctx *c, sn_err *e);
int api_templates_get(api_ctx *c, sn_err *e);
int api_templates_update(api_ctx *c, sn_err *e);
int api_templates_approve(api_ctx *c, sn_err *e);
int api_reports_summary(api_ctx *c, sn_err *e);

extern const field_spec login_fields[], user_create_fields[], user_update_fields[],
    token_create_fields[], me_update_fields[], org_create_fields[], org_update_fields[],
    customer_fields[], merge_fields[], contact_fields[], conversation_update_fields[],
    message_fields[], escalation_create_fields[], escalation_reply_fields[],
    escalation_update_fields[], calendar_fields[], sla_policy_fields[], queue_fields[],
    template_fields[];
extern const query_spec page_query[], audit_query[], customer_query[], reveal_query[],
    conversation_query[], escalation_query[], template_query[], report_query[];

/* Webhooks (webhooks.c). */
int api_webhooks_create(api_ctx *c, sn_err *e);
int api_webhooks_list(api_ctx *c, sn_err *e);
int api_webhooks_get(api_ctx *c, sn_err *e);
int api_webhooks_update(api_ctx *c, sn_err *e);
int api_webhooks_delete(api_ctx *c, sn_err *e);
int api_webhooks_deliveries(api_ctx *c, sn_err *e);
extern const field_spec webhook_create_fields[], webhook_update_fields[];

/* Triggers (triggers.c). */
int api_triggers_create(api_ctx *c, sn_err *e);
int api_triggers_list(api_ctx *c, sn_err *e);
int api_triggers_get(api_ctx *c, sn_err *e);
int api_triggers_update(api_ctx *c, sn_err *e);
int api_triggers_delete(api_ctx *c, sn_err *e);
extern const field_spec trigger_create_fields[], trigger_update_fields[];

/* The live stream (stream.c): a WebSocket handed to the hub (src/hub/hub.h). */
int api_stream(api_ctx *c, sn_err *e);
extern const query_spec stream_query[];

/* Knowledge base (kb.c). */
int api_kb_articles_create(api_ctx *c, sn_err *e);
int api_kb_articles_list(api_ctx *c, sn_err *e);
int api_kb_articles_get(api_ctx *c, sn_err *e);
int api_kb_articles_update(api_ctx *c, sn_err *e);
int api_kb_articles_submit(api_ctx *c, sn_err *e);
int api_kb_articles_approve(api_ctx *c, sn_err *e);
int api_kb_articles_publish(api_ctx *c, sn_err *e);
int api_kb_articles_archive(api_ctx *c, sn_err *e);
int api_kb_articles_versions(api_ctx *c, sn_err *e);
int api_kb_articles_diff(api_ctx *c, sn_err *e);
int api_kb_export(api_ctx *c, sn_err *e);
int api_kb_search(api_ctx *c, sn_err *e);
int api_kb_suggest(api_ctx *c, sn_err *e);
int api_kb_internal_search(api_ctx *c, sn_err *e);
int api_kb_clicks(api_ctx *c, sn_err *e);
int api_kb_submissions(api_ctx *c, sn_err *e);
int api_kb_public_list(api_ctx *c, sn_err *e);
int api_kb_public_get(api_ctx *c, sn_err *e);
int api_kb_feedback(api_ctx *c, sn_err *e);
int api_kb_synonyms_list(api_ctx *c, sn_err *e);
int api_kb_synonyms_create(api_ctx *c, sn_err *e);
int api_kb_synonyms_delete(api_ctx *c, sn_err *e);
int api_kb_analytics(api_ctx *c, sn_err *e);
extern const field_spec kb_article_create_fields[], kb_article_update_fields[], kb_publish_fields[],
    kb_click_fields[], kb_submission_fields[], kb_feedback_fields[], kb_synonym_fields[],
    service_line_update_fields[];
extern const query_spec kb_article_query[], kb_search_query[], kb_diff_query[], kb_export_query[],
    kb_public_query[], kb_analytics_query[];

/* Email channel (mail.c): mailboxes, the inbound mail log, attachment downloads. */
int api_mailboxes_create(api_ctx *c, sn_err *e);
int api_mailboxes_list(api_ctx *c, sn_err *e);
int api_mailboxes_get(api_ctx *c, sn_err *e);
int api_mailboxes_update(api_ctx *c, sn_err *e);
int api_mail_inbound(api_ctx *c, sn_err *e);
int api_mail_inbound_raw(api_ctx *c, sn_err *e);
int api_attachments_get(api_ctx *c, sn_err *e);
/* Answer with a stored file (attachment or document) as a staff-only download: the sniffed type
 * made safe to serve, Content-Disposition attachment (ASCII `fallback` name plus the UTF-8 one),
 * nosniff, a sandboxing CSP and no caching. */
int api_respond_stored_file(api_ctx *c, const attachment_row *a, const char *fallback, sn_err *e);
extern const field_spec mailbox_create_fields[], mailbox_update_fields[];
extern const query_spec mail_inbound_query[];

/* Required documents (documents.c): document types, a conversation's documents, review. */
int api_doctypes_create(api_ctx *c, sn_err *e);
int api_doctypes_list(api_ctx *c, sn_err *e);
int api_doctypes_update(api_ctx *c, sn_err *e);
int api_conversation_documents(api_ctx *c, sn_err *e);
int api_documents_review(api_ctx *c, sn_err *e);
int api_documents_file(api_ctx *c, sn_err *e);
extern const field_spec doctype_create_fields[], doctype_update_fields[], doc_review_fields[];
extern const query_spec doctype_query[];

#endif
