/* sla.h — SLA policies and business-hours calendars.
 *
 * A policy gives first-response and resolution budgets in business minutes on a calendar; the
 * most specific policy wins (service line + priority, then service line, then priority, then
 * the built-in default of 60 / 1440 minutes on calendar "default"). */
#ifndef SANAD_SLA_H
#define SANAD_SLA_H

#include "domain.h"
#include "../core/bizhours.h"

#define SLA_DEFAULT_FIRST_MIN 60
#define SLA_DEFAULT_RESOLUTION_MIN 1440

typedef struct sla_terms {
    int64_t first_ms, resolution_ms;
    const bh_calendar *cal; /* from the per-thread cache: valid until the next sla_* call */
} sla_terms;

/* The terms for a service line (0: none) and priority. Policies and calendars are cached per
 * thread (settings.h), so the intake path reads no settings from the database in the common
 * case. */
int sla_terms_for(store *db, int64_t service_line_id, const char *priority, sla_terms *out);
/* A calendar from the cache (the default one when `code` is unknown); never NULL. */
const bh_calendar *sla_calendar_cached(store *db, const char *code);
/* Load a calendar by code (SN_ENOTFOUND when none). */
int sla_calendar_load(store *db, const char *code, bh_calendar *out, sn_err *e);
/* Replace or merge a calendar's definition; audited. */
int sla_calendar_save(store *db, const actor *who, const char *code, json_t *patch,
                      bh_calendar *out, sn_err *e);

typedef struct sla_policy {
    int64_t id;
    char service_line[64]; /* code, "" for any */
    char priority[16];     /* "" for any */
    int first_response_minutes, resolution_minutes;
    char calendar[64];
} sla_policy;

/* Create or update (id > 0) a policy from its JSON shape. */
int sla_policy_save(store *db, const actor *who, int64_t id, json_t *body, sla_policy *out,
                    sn_err *e);
int sla_policy_list(store *db, sla_policy **out, int *n, sn_err *e);
json_t *sla_policy_json(const sla_policy *p);

#endif
