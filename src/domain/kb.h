/* kb.h — the knowledge base: articles, their review workflow, versions and publications; the
 * public reads the help center is built from; search, suggestions and their analytics; helpful
 * votes; synonyms.
 *
 * Files: kb_article.c (articles, workflow, versions, diff, export), kb_public.c (what the public
 * may read, helpful votes), kb_search.c (search, suggest, synonyms, the search log, analytics),
 * kb_render.c (Markdown → safe HTML and plain text, slugs, URLs).
 *
 * Workflow of an article's latest version (kb_articles.status), each move made by one function:
 *
 *     create/update ──▶ draft ──kb_article_submit──▶ in_review ──kb_article_approve──▶ approved
 *        ▲  (an edit in any state makes a new version and returns it to draft)              │
 *        │                                                            kb_article_publish  │
 *        └──────────────── archived ◀──kb_article_archive── published ◀───────────────────┘
 *
 *   - draft and submit: admin, supervisor, agent, service owner;
 *   - approve, publish, archive: an admin, or a service owner who owns the article's service line
 *     (service_line_owners, set with PATCH /service-lines/{code} {"owners"}); anyone else
 *     SN_EFORBIDDEN. A move from the wrong state is SN_ECONFLICT.
 *
 * Visibility is a function of time, never of a job having run: publishing adds a publication
 * (version, valid_from = publish_at or now, valid_to = unpublish_at or open) and closes the
 * previous one at valid_from. At time t the public sees the publication with valid_from ≤ t <
 * valid_to, if the version it shows was public. Editing a published article leaves the live
 * version visible until the new one is published. Archiving closes every publication now.
 *
 * All times are epoch milliseconds; `now` is passed in so tests and pages agree on one instant. */
#ifndef SANAD_KB_H
#define SANAD_KB_H

#include "domain.h"

#include "../core/buf.h"

#include <jansson.h>

#define KB_MAX_TITLE 300
#define KB_MAX_BODY 100000
#define KB_SUGGEST_MAX 5

/* Fields of a create or an edit; NULL / has_* = 0: not given (an edit keeps the old value). */
typedef struct kb_input {
    const char *title, *body, *lang, *service_line, *topic, *entity, *visibility, *slug, *note;
    json_t *tags;             /* array of strings, or NULL */
    int64_t translation_of;   /* an article id, 0: none */
} kb_input;

/* ---- articles (kb_article.c) ------------------------------------------------------------------ */

/* Create an article (version 1, draft). *out: the article as kb_article_get_json gives it. */
int kb_article_create(store *db, const actor *who, const kb_input *in, int64_t now, json_t **out,
                      sn_err *e);
/* Edit: a new version with the given fields changed; status back to draft. */
int kb_article_update(store *db, const actor *who, int64_t id, const kb_input *in, int64_t now,
                      json_t **out, sn_err *e);
/* The workflow moves (see the diagram). publish: publish_at 0 = now; unpublish_at 0 = never;
 * on an article already published they reschedule the live version's window. */
int kb_article_submit(store *db, const actor *who, int64_t id, int64_t now, sn_err *e);
int kb_article_approve(store *db, const actor *who, int64_t id, int64_t now, sn_err *e);
int kb_article_publish(store *db, const actor *who, int64_t id, int64_t publish_at,
                       int64_t unpublish_at, int64_t now, sn_err *e);
int kb_article_archive(store *db, const actor *who, int64_t id, int64_t now, sn_err *e);

/* One article for staff: the working copy with body and body_html, status, the live and the
 * scheduled publication at `now`, and its translations. SN_ENOTFOUND. */
int kb_article_get_json(store *db, int64_t id, int64_t now, json_t **out, sn_err *e);

typedef struct kb_list_filter {
    const char *status, *service_line, *lang;
    int64_t after_id; /* cursor */
    int limit;
} kb_list_filter;
/* Articles (without bodies), by id; *more when another page follows. */
int kb_article_list_json(store *db, const kb_list_filter *f, json_t **items, int *more, sn_err *e);
/* The versions, newest first: version, title, author_id, note, created_at. */
int kb_versions_json(store *db, int64_t id, json_t **out, sn_err *e);
/* The line diff of two versions: {"from","to","title":{"from","to"}|null,"changes":[{"op":"="|
 * "-"|"+","text"}]}. */
int kb_diff_json(store *db, int64_t id, int from, int to, json_t **out, sn_err *e);
/* Every article's working copy as JSON lines or CSV (formula-injection guarded) into out. */
int kb_export(store *db, const char *format, buf *out, sn_err *e);
/* One article of a bulk import, inside the caller's write transaction: created, and when
 * `publish`, approved and published at once (the importer vouches for it). An article whose
 * slug exists is a duplicate and nothing is written. Call search_index_ensure before the
 * transaction. */
int kb_import_article(store *db, const actor *who, const kb_input *in, int publish, int64_t now,
                      int *duplicate, sn_err *e);

/* ---- what the public reads (kb_public.c) ------------------------------------------------------ */

/* Published public articles visible at now, newest first, optionally of one service line code
 * and one language: [{id, slug, lang, title, url, service_line, topic, updated_at}]. */
int kb_public_list_json(store *db, const char *service_line, const char *lang, int64_t now,
                        json_t **out, sn_err *e);
/* The visible version of the article with this slug: {id, slug, lang, title, body_html, url,
 * service_line:{code,name_ar,name_en}, topic, tags, entity, published_at, translations:[{lang,
 * slug, url}]}. SN_ENOTFOUND when there is none, or it is internal, a draft, not yet or no
 * longer published. */
int kb_public_get_json(store *db, const char *slug, int64_t now, json_t **out, sn_err *e);
/* Up to limit other visible public articles like this one (its title searched among them). */
int kb_related_json(store *db, int64_t article_id, int64_t now, int limit, json_t **out, sn_err *e);
/* A "was this helpful?" vote on a visible public article. voter: the client address (hashed
 * here); one vote per voter and article per day, else SN_ERATE. */
int kb_feedback_record(store *db, int64_t article_id, int helpful, const char *comment,
                       const char *voter, int64_t now, sn_err *e);
/* The public URL path of an article (/help/articles/SLUG or /help/en/articles/SLUG, the slug
 * percent-encoded) into out. */
void kb_public_url(const char *lang, const char *slug, char *out, size_t cap);

/* ---- search (kb_search.c) ------------------------------------------------------------------- */

typedef struct kb_search_opts {
    const char *q;
    const char *lang;          /* results in this language first; NULL: none */
    const char *service_line;  /* a code; NULL: all */
    int limit;
    int internal;              /* staff: internal articles too */
    int suggest;               /* type-ahead: the last word may be unfinished, ≤ 5 results */
    const char *source;        /* for the log: api, internal, suggest, help, contact_form, chat */
    const char *session;       /* opaque key of a contact form or chat session, or NULL */
    int64_t user_id;
    int64_t now;
} kb_search_opts;

/* {"search_id","results":[{"id","title","snippet","score","url","lang"}]}; every search is
 * logged (normalised query, result count). */
int kb_search_json(store *db, const kb_search_opts *o, json_t **out, sn_err *e);
/* A result of search search_id was opened. SN_ENOTFOUND for an unknown search. */
int kb_search_click(store *db, const char *search_id, int64_t article_id, int64_t now, sn_err *e);
/* The contact form or chat of this session was submitted after all (so not deflected). */
int kb_search_submitted(store *db, const char *session, sn_err *e);
/* Top queries, zero-result queries, articles' helpful ratio and deflection per week over
 * [from, to). */
int kb_analytics_json(store *db, int64_t from, int64_t to, json_t **out, sn_err *e);
/* Write queued search log rows now (the log is written in batches off the request path). */
int kb_search_log_flush(store *db);
/* Where the background writer of the search log connects (call once at start; idempotent). */
void kb_search_log_init(const char *db_url);

/* Synonym groups (admin). */
int kb_synonyms_list_json(store *db, json_t **out, sn_err *e);
int kb_synonym_create(store *db, const actor *who, json_t *terms, int64_t now, json_t **out, sn_err *e);
int kb_synonym_delete(store *db, const actor *who, int64_t id, sn_err *e);

/* ---- rendering (kb_render.c) ----------------------------------------------------------------- */

/* Markdown → HTML with raw HTML off and link targets limited to http(s), mailto, tel and
 * relative ones. Appends to out; -1 when out is full. */
int kb_markdown_html(const char *md, buf *out);
/* Markdown → the plain text that is indexed. */
int kb_markdown_text(const char *md, buf *out);
/* A URL slug from a title (normalised words joined by '-', at most 80 bytes), into out. */
void kb_slugify(const char *title, char *out, size_t cap);

#endif
