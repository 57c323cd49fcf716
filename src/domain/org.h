/* org.h — the organisation's reference data: service lines, back-office departments and the
 * government entities the center refers cases to. Codes are short ASCII keys, names bilingual. */
#ifndef SANAD_ORG_H
#define SANAD_ORG_H

#include "domain.h"

#include <jansson.h>

enum org_kind { ORG_SERVICE_LINE, ORG_DEPARTMENT, ORG_ENTITY };

typedef struct org_unit {
    int64_t id;
    char code[64];
    char name_ar[256];
    char name_en[256];
} org_unit;

/* Create one; SN_ECONFLICT when the code exists. Audited as <kind>.create. */
int org_create(store *db, const actor *who, enum org_kind kind, const char *code,
               const char *name_ar, const char *name_en, org_unit *out, sn_err *e);
/* How many of a kind exist. */
int org_count(store *db, enum org_kind kind, int64_t *n);
/* All of a kind as a JSON array of {"id","code","name_ar","name_en"}, by code. */
int org_list_json(store *db, enum org_kind kind, json_t **out, sn_err *e);
/* One by code (SN_ENOTFOUND). */
int org_get(store *db, enum org_kind kind, const char *code, org_unit *out, sn_err *e);
/* Rename (NULL: unchanged). Audited as <kind>.update. */
int org_update(store *db, const actor *who, enum org_kind kind, const char *code,
               const char *name_ar, const char *name_en, org_unit *out, sn_err *e);
json_t *org_json(const org_unit *u);
/* The id of a code, 0 when unknown. */
int org_id_of(store *db, enum org_kind kind, const char *code, int64_t *id);

/* The owners of a service line (user ids, ascending) as a JSON array: the service owners who
 * may approve and publish its knowledge base articles. */
json_t *org_owners_json(store *db, int64_t service_line_id);
/* Replace the owners of the service line `code` with the user ids in `ids` (a JSON array of
 * integers; each must be an existing user). Audited as service_line.owners. */
int org_set_owners(store *db, const actor *who, const char *code, json_t *ids, sn_err *e);

#endif
