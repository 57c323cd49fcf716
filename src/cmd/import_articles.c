/* import_articles.c — the "articles" kind of `sanad import`: knowledge base articles as JSON lines
 *
 *   {"title","body","lang","service_line","topic"?,"entity"?,"tags"?,"visibility"?,"slug"?,
 *    "status"?: "draft" (default) | "published"}
 *
 * A line with status "published" is created, approved and published at once (the importer
 * vouches for it, as for content moved from another system); a draft goes through review as
 * usual. Idempotence is by slug: a line whose slug exists is a duplicate and writes nothing (lines
 * without a slug always create an article, with a slug made from the title). */
#include "import.h"

#include "../core/clock.h"
#include "../domain/kb.h"
#include "../search/search_index.h"

#include <stdlib.h>
#include <string.h>

typedef struct article_line {
    kb_input in;
    int publish;
} article_line;

static const import_field article_fields[] = {
    {"title", JSON_STRING, 1, KB_MAX_TITLE, 0},
    {"body", JSON_STRING, 1, KB_MAX_BODY, 0},
    {"lang", JSON_STRING, 1, 2, 0},
    {"service_line", JSON_STRING, 1, 63, 0},
    {"topic", JSON_STRING, 0, 200, 0},
    {"entity", JSON_STRING, 0, 63, 0},
    {"tags", JSON_ARRAY, 0, 60, 20},
    {"visibility", JSON_STRING, 0, 10, 0},
    {"slug", JSON_STRING, 0, 100, 0},
    {"status", JSON_STRING, 0, 10, 0},
    {NULL, 0, 0, 0, 0},
};

/* The index's tables must exist before the first write transaction. */
static int articles_setup(store *db, void **ctx, sn_err *e)
{
    *ctx = NULL;
    return search_index_ensure(db, e);
}

static void articles_teardown(void *ctx)
{
    (void)ctx;
}

static int articles_parse(void *ctx, json_t *line, void *item, sn_err *e)
{
    article_line *a = item;
    int rc = import_check_fields(line, article_fields, e);
    if (rc < 0) return rc;
    const char *status = import_str(line, "status");
    if (status && strcmp(status, "draft") && strcmp(status, "published"))
        return sn_fail(e, SN_EUNPROCESSABLE, "status", "status must be draft or published");
    a->publish = status && !strcmp(status, "published");
    a->in.title = import_str(line, "title");
    a->in.body = import_str(line, "body");
    a->in.lang = import_str(line, "lang");
    a->in.service_line = import_str(line, "service_line");
    a->in.topic = import_str(line, "topic");
    a->in.entity = import_str(line, "entity");
    a->in.visibility = import_str(line, "visibility");
    a->in.slug = import_str(line, "slug");
    json_t *tags = json_object_get(line, "tags");
    a->in.tags = json_is_array(tags) ? tags : NULL;
    a->in.note = "imported";
    return 0;
}

static int articles_apply(void *ctx, store *db, const void *item, int *duplicate, sn_err *e)
{
    const article_line *a = item;
    return kb_import_article(db, &import_actor, &a->in, a->publish, clock_now_ms(), duplicate, e);
}

const import_kind import_kind_articles = {
    "articles",
    "knowledge base articles: title, body (Markdown), lang, service_line, topic,\n"
    "             entity, tags, visibility, slug, status (draft | published)",
    sizeof(article_line),
    articles_setup,
    articles_teardown,
    articles_parse,
    articles_apply,
    NULL,
    NULL,
    NULL,
    2000, /* articles are long: a batch of them is held in memory twice */
    0,
};
