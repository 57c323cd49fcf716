/* reports.c — GET /api/v1/reports/summary: the KPI summary of a period (supervisors, admins).
 * Parses and checks the period; the figures and their meaning are domain/report.h's. */
#include "api.h"

#include "../core/clock.h"
#include "../domain/report.h"

#include <string.h>

const query_spec report_query[] = {
    {"from", FT_STRING,
     "Start of the period, inclusive: an ISO 8601 time, or a date meaning its "
     "midnight in Asia/Riyadh (default: the beginning)"},
    {"to", FT_STRING,
     "End of the period, exclusive: an ISO 8601 time, or a date meaning its "
     "midnight in Asia/Riyadh (default: now and beyond)"},
    {NULL, 0, NULL},
};

/* A period end: absent → `open`; YYYY-MM-DD → that date's midnight in Asia/Riyadh (the center's
 * day, not UTC's); any other ISO 8601 time as written (UTC unless it carries an offset). */
static int period_end_or_fail(api_ctx *c, const char *name, int64_t open, int64_t *out, sn_err *e)
{
    const char *v = http_query(c->req, name);
    *out = open;
    if (!v || !*v) return 0;
    int64_t ms;
    if (clock_parse_iso8601(v, &ms) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, name, "%s must be an ISO 8601 date or time", name);
    if (strlen(v) == 10) ms -= REPORT_TZ_OFFSET_MS; /* a bare date: Riyadh midnight, not UTC's */
    *out = ms;
    return 0;
}

int api_reports_summary(api_ctx *c, sn_err *e)
{
    int64_t from, to;
    int rc = period_end_or_fail(c, "from", REPORT_NO_FROM, &from, e);
    if (rc == 0) rc = period_end_or_fail(c, "to", REPORT_NO_TO, &to, e);
    if (rc < 0) return rc;
    if (from > to) return sn_fail(e, SN_EUNPROCESSABLE, "from", "from must not be after to");
    report_summary s;
    if ((rc = report_summary_get(c->db, from, to, &s, e)) < 0) return rc;
    json_t *out = report_summary_json(&s);
    report_summary_fini(&s);
    if (!out) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    http_respond_json(c->req, 200, out);
    return 0;
}
