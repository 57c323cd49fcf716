/* report.h — the KPI summary of the center over a period.
 *
 * Owns: what the figures mean and the queries that count them. Does not own: parsing the
 * period (api/reports.c), storing contacts or conversations (conversation.c).
 *
 * Figures over the half-open period [from, to):
 *   contacts      contacts whose received_at lies in the period, by channel and by month;
 *                 months are calendar months in Asia/Riyadh time (see REPORT_TZ_OFFSET_MS);
 *   solved        conversations (not merged away) whose solved_at lies in the period; the
 *                 rates are fractions of these (0 when there are none):
 *                   resolved at first contact  never escalated and never reopened,
 *                   escalated                   escalated to a department,
 *                   first response SLA met      first_response_at ≤ first_response_due_at
 *                                               (no first response: not met);
 *   open_backlog  conversations open or pending now, whatever the period.
 *
 * Cost: every figure is an index-range count (migrations/003_reports.sql); the contacts are
 * walked once in total, the solved conversations once, whatever the length of the period. */
#ifndef SANAD_REPORT_H
#define SANAD_REPORT_H

#include "conversation.h"
#include "domain.h"

#include <jansson.h>

/* Asia/Riyadh has kept UTC+3 without daylight saving since 1950, so months are cut at a fixed
 * offset instead of through ICU: the same answer for every date the center can hold, and it
 * keeps the month arithmetic plain integers. */
#define REPORT_TZ_OFFSET_MS (3LL * 3600 * 1000)

/* More months than this in one summary (about a century) is refused as an unusable period. */
#define REPORT_MAX_MONTHS 1200

/* An open end of the period. */
#define REPORT_NO_FROM INT64_MIN
#define REPORT_NO_TO INT64_MAX

typedef struct report_month {
    int year, month; /* Asia/Riyadh calendar month, month 1–12 */
    int64_t total;
} report_month;

typedef struct report_summary {
    int64_t from, to; /* the period asked for (REPORT_NO_FROM / REPORT_NO_TO when open) */
    int64_t contacts_total;
    int64_t by_channel[CH_COUNT]; /* indexed by enum channel */
    int nmonths;
    report_month *months; /* oldest first, months without contacts inside the span included */
    int64_t solved, solved_first_contact, solved_escalated, solved_sla_met;
    int64_t open_backlog;
} report_summary;

/* Count the figures of [from, to) into *out (caller's memory; free with report_summary_fini).
 * from ≤ to is the caller's promise. Errors: SN_EUNPROCESSABLE (field "from") when the contacts
 * of the period span more than REPORT_MAX_MONTHS, SN_EDB, SN_EINTERNAL (out of memory). */
int report_summary_get(store *db, int64_t from, int64_t to, report_summary *out, sn_err *e);
void report_summary_fini(report_summary *s);

/* The API shape {"contacts_total","by_channel":{…},"by_month":[{"month":"YYYY-MM","total"}],
 * "conversations_solved","resolved_first_contact_rate","escalation_rate",
 * "first_response_sla_met_rate","open_backlog","from","to"}. New reference, NULL on no memory. */
json_t *report_summary_json(const report_summary *s);

/* The Asia/Riyadh midnight that starts a calendar date (month 1–12, day 1–31). */
int64_t report_local_midnight(int year, int month, int day);

#endif
