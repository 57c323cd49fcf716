/* kb.c — the HTTP face of the knowledge base: articles and their workflow (staff), search and
 * suggestions (public), clicks and contact-form submissions (public, for deflection), helpful
 * votes (public), synonyms (admin), analytics and export (leads, service owners). The rules live
 * in domain/kb.h; this file parses and renders. */
#include "api.h"

#include "../core/clock.h"
#include "../domain/kb.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const field_spec kb_article_create_fields[] = {
    {"title", FT_STRING, 1, 1, KB_MAX_TITLE, "Title"},
    {"body", FT_STRING, 1, 0, KB_MAX_BODY, "Markdown (raw HTML is not rendered)"},
    {"lang", FT_STRING, 1, 2, 2, "ar | en"},
    {"service_line", FT_STRING, 1, 1, 63, "Service line code"},
    {"topic", FT_STRING, 0, 0, 200, "Topic"},
    {"entity", FT_STRING, 0, 0, 63, "Government entity code (unified FAQ across entities)"},
    {"tags", FT_STRING_ARRAY, 0, 0, 0, "Tags"},
    {"visibility", FT_STRING, 0, 0, 10, "public (default) | internal"},
    {"translation_of", FT_INTEGER, 0, 0, 0, "Id of the article this one translates"},
    {"slug", FT_STRING, 0, 1, 100, "URL slug (default: made from the title)"},
    {"note", FT_STRING, 0, 0, 500, "What this version changes"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec kb_article_update_fields[] = {
    {"title", FT_STRING, 0, 1, KB_MAX_TITLE, "Title"},
    {"body", FT_STRING, 0, 0, KB_MAX_BODY, "Markdown"},
    {"lang", FT_STRING, 0, 2, 2, "Must stay the article's language"},
    {"service_line", FT_STRING, 0, 1, 63, "Service line code"},
    {"topic", FT_STRING, 0, 0, 200, "Topic"},
    {"entity", FT_STRING, 0, 0, 63, "Government entity code"},
    {"tags", FT_STRING_ARRAY, 0, 0, 0, "The full new set of tags"},
    {"visibility", FT_STRING, 0, 0, 10, "public | internal"},
    {"slug", FT_STRING, 0, 1, 100, "URL slug"},
    {"note", FT_STRING, 0, 0, 500, "What this version changes"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec kb_publish_fields[] = {
    {"publish_at", FT_STRING, 0, 0, 40, "ISO 8601 time it becomes visible (default now)"},
    {"unpublish_at", FT_STRING, 0, 0, 40, "ISO 8601 time it stops being visible (default never)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec kb_click_fields[] = {
    {"search_id", FT_STRING, 1, 1, 40, "The search_id of the search or suggestion"},
    {"article_id", FT_INTEGER, 1, 0, 0, "The article opened"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec kb_submission_fields[] = {
    {"session", FT_STRING, 1, 1, 64, "The session key sent with the suggestions"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec kb_feedback_fields[] = {
    {"helpful", FT_BOOLEAN, 1, 0, 0, "Was the article helpful?"},
    {"comment", FT_STRING, 0, 0, 1000, "Optional comment"},
    {NULL, 0, 0, 0, 0, NULL},
};

const field_spec kb_synonym_fields[] = {
    {"terms", FT_STRING_ARRAY, 1, 0, 0, "Words or phrases that mean the same (2 to 32)"},
    {NULL, 0, 0, 0, 0, NULL},
};

const query_spec kb_article_query[] = {
    {"status", FT_STRING, "draft | in_review | approved | published | archived"},
    {"service_line", FT_STRING, "Service line code"},
    {"lang", FT_STRING, "ar | en"},
    {"limit", FT_INTEGER, "Page size, 1 to 200 (default 50)"},
    {"cursor", FT_STRING, "The next_cursor of the previous page"},
    {NULL, 0, NULL},
};

const query_spec kb_search_query[] = {
    {"q", FT_STRING, "What to look for (Arabic or English)"},
    {"lang", FT_STRING, "ar | en: results in this language first"},
    {"service_line", FT_STRING, "Only this service line (code)"},
    {"limit", FT_INTEGER, "1 to 50 (default 10; suggest: at most 5)"},
    {"source", FT_STRING, "Who asks, for analytics: help | contact_form | chat | api"},
    {"session", FT_STRING, "Contact form or chat session key (ties suggestions to a submission)"},
    {NULL, 0, NULL},
};

const query_spec kb_diff_query[] = {
    {"from", FT_INTEGER, "Older version"},
    {"to", FT_INTEGER, "Newer version"},
    {NULL, 0, NULL},
};

const query_spec kb_export_query[] = {
    {"format", FT_STRING, "jsonl (default) | csv"},
    {NULL, 0, NULL},
};

const query_spec kb_public_query[] = {
    {"service_line", FT_STRING, "Service line code"},
    {"lang", FT_STRING, "ar | en"},
    {NULL, 0, NULL},
};

const query_spec kb_analytics_query[] = {
    {"from", FT_STRING, "ISO 8601 start (default 30 days ago)"},
    {"to", FT_STRING, "ISO 8601 end, exclusive (default now)"},
    {NULL, 0, NULL},
};

/* ---- helpers ------------------------------------------------------------------------------- */

static void respond(api_ctx *c, int status, json_t *o)
{
    http_respond_json(c->req, status, o);
}

static int query_int(api_ctx *c, const char *name, int64_t def, int64_t lo, int64_t hi, int64_t *out,
                     sn_err *e)
{
    const char *v = http_query(c->req, name);
    *out = def;
    if (!v || !*v) return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < lo || n > hi)
        return sn_fail(e, SN_EINVALID, name, "%s must be an integer from %lld to %lld", name,
                       (long long)lo, (long long)hi);
    *out = n;
    return 0;
}

static int body_time(api_ctx *c, const char *name, int64_t *out, sn_err *e)
{
    const char *v = api_body_str(c, name);
    *out = 0;
    if (!v || !*v) return 0;
    if (clock_parse_iso8601(v, out) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, name, "%s must be an ISO 8601 time", name);
    return 0;
}

static void input_from_body(api_ctx *c, kb_input *in)
{
    memset(in, 0, sizeof *in);
    in->title = api_body_str(c, "title");
    in->body = api_body_str(c, "body");
    in->lang = api_body_str(c, "lang");
    in->service_line = api_body_str(c, "service_line");
    in->topic = api_body_str(c, "topic");
    in->entity = api_body_str(c, "entity");
    in->visibility = api_body_str(c, "visibility");
    in->slug = api_body_str(c, "slug");
    in->note = api_body_str(c, "note");
    in->tags = json_object_get(c->body, "tags");
    in->translation_of = json_integer_value(json_object_get(c->body, "translation_of"));
}

static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static const char *log_url;

static void start_log(void)
{
    kb_search_log_init(log_url);
}

/* ---- articles -------------------------------------------------------------------------------- */

int api_kb_articles_create(api_ctx *c, sn_err *e)
{
    kb_input in;
    json_t *o;
    input_from_body(c, &in);
    int rc = kb_article_create(c->db, &c->act, &in, clock_now_ms(), &o, e);
    if (rc < 0) return rc;
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/kb/articles/%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(o, "id")));
    http_set_header(c->req, "Location", loc);
    respond(c, 201, o);
    return 0;
}

int api_kb_articles_list(api_ctx *c, sn_err *e)
{
    kb_list_filter f = {http_query(c->req, "status"), http_query(c->req, "service_line"),
                        http_query(c->req, "lang"), 0, 50};
    json_t *items;
    int more;
    int rc = api_page(c, &f.after_id, &f.limit, e);
    if (rc == 0) rc = kb_article_list_json(c->db, &f, &items, &more, e);
    if (rc < 0) return rc;
    json_t *out = json_pack("{s:o}", "items", items);
    size_t n = json_array_size(items);
    if (more && n) {
        char next[24];
        snprintf(next, sizeof next, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(json_array_get(items, n - 1), "id")));
        json_object_set_new(out, "next_cursor", json_string(next));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    respond(c, 200, out);
    return 0;
}

int api_kb_articles_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = kb_article_get_json(c->db, id, clock_now_ms(), &o, e);
    if (rc < 0) return rc;
    respond(c, 200, o);
    return 0;
}

int api_kb_articles_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    kb_input in;
    json_t *o;
    input_from_body(c, &in);
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = kb_article_update(c->db, &c->act, id, &in, clock_now_ms(), &o, e);
    if (rc < 0) return rc;
    respond(c, 200, o);
    return 0;
}

typedef int (*move_fn)(store *, const actor *, int64_t, int64_t, sn_err *);

static int move(api_ctx *c, move_fn fn, sn_err *e)
{
    int64_t id, now = clock_now_ms();
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = fn(c->db, &c->act, id, now, e);
    if (rc == 0) rc = kb_article_get_json(c->db, id, now, &o, e);
    if (rc < 0) return rc;
    respond(c, 200, o);
    return 0;
}

int api_kb_articles_submit(api_ctx *c, sn_err *e) { return move(c, kb_article_submit, e); }
int api_kb_articles_approve(api_ctx *c, sn_err *e) { return move(c, kb_article_approve, e); }
int api_kb_articles_archive(api_ctx *c, sn_err *e) { return move(c, kb_article_archive, e); }

int api_kb_articles_publish(api_ctx *c, sn_err *e)
{
    int64_t id, at, until, now = clock_now_ms();
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = body_time(c, "publish_at", &at, e);
    if (rc == 0) rc = body_time(c, "unpublish_at", &until, e);
    if (rc == 0) rc = kb_article_publish(c->db, &c->act, id, at, until, now, e);
    if (rc == 0) rc = kb_article_get_json(c->db, id, now, &o, e);
    if (rc < 0) return rc;
    respond(c, 200, o);
    return 0;
}

int api_kb_articles_versions(api_ctx *c, sn_err *e)
{
    int64_t id;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = kb_versions_json(c->db, id, &o, e);
    if (rc < 0) return rc;
    respond(c, 200, o);
    return 0;
}

int api_kb_articles_diff(api_ctx *c, sn_err *e)
{
    int64_t id, from, to;
    json_t *o;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = query_int(c, "from", 0, 1, 1000000, &from, e);
    if (rc == 0) rc = query_int(c, "to", 0, 1, 1000000, &to, e);
    if (rc == 0 && (!from || !to)) rc = sn_fail(e, SN_EINVALID, "from", "give the versions: ?from=&to=");
    if (rc == 0) rc = kb_diff_json(c->db, id, (int)from, (int)to, &o, e);
    if (rc < 0) return rc;
    respond(c, 200, o);
    return 0;
}

int api_kb_export(api_ctx *c, sn_err *e)
{
    const char *format = http_query(c->req, "format");
    int csv = format && !strcmp(format, "csv");
    buf out;
    buf_init(&out, (size_t)256 << 20);
    int rc = kb_export(c->db, format && *format ? format : "jsonl", &out, e);
    if (rc == 0) {
        http_set_header(c->req, "Content-Disposition",
                        csv ? "attachment; filename=\"articles.csv\"" : "attachment; filename=\"articles.jsonl\"");
        http_respond(c->req, 200, csv ? "text/csv; charset=utf-8" : "application/x-ndjson",
                     out.data ? out.data : "", out.len);
    }
    buf_fini(&out);
    return rc;
}

/* ---- search --------------------------------------------------------------------------------- */

static int search(api_ctx *c, int suggest, int internal, sn_err *e)
{
    int64_t limit;
    int rc = query_int(c, "limit", suggest ? KB_SUGGEST_MAX : 10, 1, suggest ? KB_SUGGEST_MAX : 50, &limit, e);
    if (rc < 0) return rc;
    const char *source = http_query(c->req, "source"), *session = http_query(c->req, "session");
    if (session && strlen(session) > 64) return sn_fail(e, SN_EINVALID, "session", "session is too long");
    static const char *const sources[] = {"api", "help", "contact_form", "chat"};
    int known = !source;
    for (size_t i = 0; source && i < sizeof sources / sizeof sources[0]; i++) known |= !strcmp(source, sources[i]);
    if (!known) return sn_fail(e, SN_EINVALID, "source", "source must be api, help, contact_form or chat");
    log_url = c->cfg->db;
    pthread_once(&log_once, start_log);
    kb_search_opts o = {http_query(c->req, "q"), http_query(c->req, "lang"),
                        http_query(c->req, "service_line"), (int)limit, internal, suggest,
                        internal ? "internal" : source ? source : suggest ? "suggest" : "api",
                        session, c->authenticated ? c->who.user_id : 0, clock_now_ms()};
    json_t *out;
    if ((rc = kb_search_json(c->db, &o, &out, e)) < 0) return rc;
    respond(c, 200, out);
    return 0;
}

int api_kb_search(api_ctx *c, sn_err *e) { return search(c, 0, 0, e); }
int api_kb_suggest(api_ctx *c, sn_err *e) { return search(c, 1, 0, e); }
int api_kb_internal_search(api_ctx *c, sn_err *e) { return search(c, 0, 1, e); }

int api_kb_clicks(api_ctx *c, sn_err *e)
{
    int rc = kb_search_click(c->db, api_body_str(c, "search_id"),
                             json_integer_value(json_object_get(c->body, "article_id")), clock_now_ms(), e);
    if (rc < 0) return rc;
    http_respond_empty(c->req, 204);
    return 0;
}

int api_kb_submissions(api_ctx *c, sn_err *e)
{
    int rc = kb_search_submitted(c->db, api_body_str(c, "session"), e);
    if (rc < 0) return rc;
    http_respond_empty(c->req, 204);
    return 0;
}

/* ---- public reads, votes -------------------------------------------------------------------- */

int api_kb_public_list(api_ctx *c, sn_err *e)
{
    json_t *items;
    int rc = kb_public_list_json(c->db, http_query(c->req, "service_line"), http_query(c->req, "lang"),
                                 clock_now_ms(), &items, e);
    if (rc < 0) return rc;
    respond(c, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
    return 0;
}

int api_kb_public_get(api_ctx *c, sn_err *e)
{
    json_t *o, *related;
    int64_t now = clock_now_ms();
    int rc = kb_public_get_json(c->db, c->req->params[0], now, &o, e);
    if (rc < 0) return rc;
    if (kb_related_json(c->db, json_integer_value(json_object_get(o, "id")), now, 5, &related, e) == 0)
        json_object_set_new(o, "related", related);
    respond(c, 200, o);
    return 0;
}

int api_kb_feedback(api_ctx *c, sn_err *e)
{
    int64_t id;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0)
        rc = kb_feedback_record(c->db, id, json_is_true(json_object_get(c->body, "helpful")),
                                api_body_str(c, "comment"), c->req->ip, clock_now_ms(), e);
    if (rc < 0) return rc;
    http_respond_empty(c->req, 204);
    return 0;
}

/* ---- synonyms, analytics ------------------------------------------------------------------- */

int api_kb_synonyms_list(api_ctx *c, sn_err *e)
{
    json_t *o;
    int rc = kb_synonyms_list_json(c->db, &o, e);
    if (rc < 0) return rc;
    json_object_set_new(o, "next_cursor", json_null());
    respond(c, 200, o);
    return 0;
}

int api_kb_synonyms_create(api_ctx *c, sn_err *e)
{
    json_t *o;
    int rc = kb_synonym_create(c->db, &c->act, json_object_get(c->body, "terms"), clock_now_ms(), &o, e);
    if (rc < 0) return rc;
    respond(c, 201, o);
    return 0;
}

int api_kb_synonyms_delete(api_ctx *c, sn_err *e)
{
    int64_t id;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = kb_synonym_delete(c->db, &c->act, id, e);
    if (rc < 0) return rc;
    http_respond_empty(c->req, 204);
    return 0;
}

static int query_time(api_ctx *c, const char *name, int64_t def, int64_t *out, sn_err *e)
{
    const char *v = http_query(c->req, name);
    *out = def;
    if (v && *v && clock_parse_iso8601(v, out) < 0)
        return sn_fail(e, SN_EINVALID, name, "%s must be an ISO 8601 time", name);
    return 0;
}

int api_kb_analytics(api_ctx *c, sn_err *e)
{
    int64_t now = clock_now_ms(), from, to;
    json_t *o;
    int rc = query_time(c, "from", now - 30LL * 86400000, &from, e);
    if (rc == 0) rc = query_time(c, "to", now + 1, &to, e);
    if (rc == 0) rc = kb_analytics_json(c->db, from, to, &o, e);
    if (rc < 0) return rc;
    respond(c, 200, o);
    return 0;
}
