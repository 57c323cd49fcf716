/* org.h — the organisation's reference data: service lines, back-office departments and the
 * government entities the center refers cases to. Codes are short ASCII keys, names bilingual. */
#ifndef SANAD_ORG_H
#define SANAD_ORG_H

#include "domain.h"

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

#endif
