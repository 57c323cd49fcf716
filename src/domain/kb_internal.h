/* kb_internal.h — what the kb_*.c files share and nobody else uses. */
#ifndef SANAD_KB_INTERNAL_H
#define SANAD_KB_INTERNAL_H

#include "kb.h"

/* The working copy of an article (kb_articles row). */
typedef struct kb_art {
    int64_t id, translation_group, service_line_id, created_by, created_at, updated_at,
        approved_by, approved_at, helpful_yes, helpful_no;
    int version;
    char slug[128], lang[4], status[16], title[4 * KB_MAX_TITLE], topic[256], entity[64],
        tags[1400], visibility[12];
} kb_art;

int kb_art_load(store *db, int64_t id, kb_art *a, sn_err *e);
json_t *kb_art_json(store *db, const kb_art *a);
/* The body of one version, or NULL; caller frees. */
char *kb_version_body(store *db, int64_t id, int version);
/* 0 when who is an admin or owns the service line, else SN_EFORBIDDEN. */
int kb_may_own(store *db, const actor *who, int64_t service_line_id, sn_err *e);
/* ISO 8601 time under key, or null for 0. */
void kb_json_time(json_t *o, const char *key, int64_t ms);

/* In the caller's write transaction (the bulk import). */
int kb_article_create_in_tx(store *db, const actor *who, const kb_input *in, int64_t now,
                            int64_t *id, sn_err *e);
int kb_article_publish_in_tx(store *db, const actor *who, int64_t id, int64_t publish_at,
                             int64_t unpublish_at, int64_t now, int check_owner, sn_err *e);

#endif
