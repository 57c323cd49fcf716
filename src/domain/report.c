/* report.c — the KPI summary: contacts by channel and month, outcomes of solved conversations,
 * the open backlog. Every figure is a COUNT over an index range (migrations/003_reports.sql):
 * SQLite groups by sorting, which on a million rows costs more than the whole budget, so the
 * grouping is done here instead — months are cut in C and each (channel, month) cell is one
 * range count. The same SQL runs on both engines. */
#include "report.h"

#include "../core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)

/* Must match the expression of the conversations_report index word for word. */
#define SLA_MET "(CASE WHEN first_response_at <= first_response_due_at THEN 1 ELSE 0 END)"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's civil calendar algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The year and month of a day number (inverse of days_from_civil). */
static void civil_from_days(int64_t z, int *year, int *month)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = m;
}

int64_t report_local_midnight(int year, int month, int day)
{
    return days_from_civil(year, month, day) * DAY_MS - REPORT_TZ_OFFSET_MS;
}

/* The Riyadh calendar month an instant falls in. */
static void local_month_of(int64_t ms, int *year, int *month)
{
    int64_t local = ms + REPORT_TZ_OFFSET_MS;
    int64_t day = local >= 0 ? local / DAY_MS : -((-local + DAY_MS - 1) / DAY_MS);
    civil_from_days(day, year, month);
}

static void next_month(int *year, int *month)
{
    if (++*month > 12) {
        *month = 1;
        ++*year;
    }
}

/* Run a query whose parameters are all integers and read one row of up to two integers. */
static int count_query(store *db, const char *sql, int n, const int64_t *args, int64_t *a,
                       int64_t *b)
{
    store_stmt *st;
    int rc = store_prepare_ints(db, sql, n, args, &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    if (rc == STORE_ROW) {
        *a = store_col_int(st, 0);
        if (b) *b = store_col_int(st, 1);
    }
    store_finish(st);
    return rc == STORE_ROW ? 0 : (rc < 0 ? rc : SN_EDB);
}

/* The first and last received_at inside [from, to); *found = 0 when the period is empty. */
static int contact_span(store *db, int64_t from, int64_t to, int64_t *first, int64_t *last,
                        int *found)
{
    static const char *const sql[] = {
        "SELECT received_at FROM contacts WHERE received_at >= ? AND received_at < ? "
        "ORDER BY received_at LIMIT 1",
        "SELECT received_at FROM contacts WHERE received_at >= ? AND received_at < ? "
        "ORDER BY received_at DESC LIMIT 1",
    };
    int64_t *out[] = {first, last};
    *found = 0;
    for (int i = 0; i < 2; i++) {
        store_stmt *st;
        int rc = store_prepare(db, sql[i], &st);
        if (rc < 0) return rc;
        store_bind_int(st, 1, from);
        store_bind_int(st, 2, to);
        rc = store_step(st);
        if (rc == STORE_ROW) *out[i] = store_col_int(st, 0);
        store_finish(st);
        if (rc < 0) return rc;
        if (rc != STORE_ROW) return 0;
    }
    *found = 1;
    return 0;
}

/* One range count per (month, channel) over [lo, hi), which holds every contact of the period. */
static int count_contacts(store *db, int64_t lo, int64_t hi, report_summary *s, sn_err *e)
{
    int y, m, ly, lm;
    local_month_of(lo, &y, &m);
    local_month_of(hi - 1, &ly, &lm);
    int n = (ly - y) * 12 + (lm - m) + 1;
    if (n > REPORT_MAX_MONTHS)
        return sn_fail(e, SN_EUNPROCESSABLE, "from",
                       "the period holds contacts over more than %d "
                       "months; ask for a shorter one",
                       REPORT_MAX_MONTHS);
    if (!(s->months = calloc((size_t)n, sizeof *s->months)))
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    for (int i = 0; i < n; i++, next_month(&y, &m)) {
        report_month *rm = &s->months[s->nmonths++];
        rm->year = y;
        rm->month = m;
        int ny = y, nm = m;
        next_month(&ny, &nm);
        int64_t start = report_local_midnight(y, m, 1), end = report_local_midnight(ny, nm, 1);
        int64_t cell_from = start > lo ? start : lo, cell_to = end < hi ? end : hi;
        for (int ch = 0; ch < CH_COUNT; ch++) {
            store_stmt *st;
            if (store_prepare(db,
                              "SELECT COUNT(*) FROM contacts WHERE channel = ? AND "
                              "received_at >= ? AND received_at < ?",
                              &st) < 0)
                return sn_fail(e, SN_EDB, NULL, "cannot count contacts");
            store_bind_text(st, 1, channel_name(ch));
            store_bind_int(st, 2, cell_from);
            store_bind_int(st, 3, cell_to);
            int rc = store_step(st);
            int64_t count = rc == STORE_ROW ? store_col_int(st, 0) : 0;
            store_finish(st);
            if (rc != STORE_ROW) return sn_fail(e, SN_EDB, NULL, "cannot count contacts");
            rm->total += count;
            s->by_channel[ch] += count;
            s->contacts_total += count;
        }
    }
    return 0;
}

/* Solved conversations by outcome. The big groups (never escalated nor reopened, first
 * response met or not) are two seeks and range counts; the small ones (reopened, escalated)
 * are walked with their SLA outcome summed. */
static int count_solved(store *db, int64_t from, int64_t to, report_summary *s)
{
    int64_t fcr_met = 0, fcr_missed = 0, reopened = 0, reopened_met = 0, escalated = 0,
            escalated_met = 0;
    int64_t met_args[] = {1, from, to}, missed_args[] = {0, from, to}, range[] = {from, to};
    int rc;
    static const char *const first_contact =
        "SELECT COUNT(*) FROM conversations WHERE escalated = 0 AND reopened = 0 AND " SLA_MET
        " = ? AND solved_at >= ? AND solved_at < ? AND merged_into IS NULL";
    if ((rc = count_query(db, first_contact, 3, met_args, &fcr_met, NULL)) < 0 ||
        (rc = count_query(db, first_contact, 3, missed_args, &fcr_missed, NULL)) < 0)
        return rc;
    if ((rc = count_query(db,
                          "SELECT COUNT(*), COALESCE(SUM(" SLA_MET "), 0) FROM conversations "
                          "WHERE escalated = 0 AND reopened > 0 AND solved_at >= ? AND "
                          "solved_at < ? AND merged_into IS NULL",
                          2, range, &reopened, &reopened_met)) < 0 ||
        (rc = count_query(db,
                          "SELECT COUNT(*), COALESCE(SUM(" SLA_MET "), 0) FROM conversations "
                          "WHERE escalated = 1 AND solved_at >= ? AND solved_at < ? AND "
                          "merged_into IS NULL",
                          2, range, &escalated, &escalated_met)) < 0)
        return rc;
    s->solved_first_contact = fcr_met + fcr_missed;
    s->solved_escalated = escalated;
    s->solved = s->solved_first_contact + reopened + escalated;
    s->solved_sla_met = fcr_met + reopened_met + escalated_met;
    return 0;
}

int report_summary_get(store *db, int64_t from, int64_t to, report_summary *out, sn_err *e)
{
    memset(out, 0, sizeof *out);
    out->from = from;
    out->to = to;
    int64_t first = 0, last = 0;
    int found, rc;
    /* One read transaction, so every figure comes from the same snapshot. */
    if (store_begin(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the summary");
    if ((rc = contact_span(db, from, to, &first, &last, &found)) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot count contacts");
    else if (found)
        rc = count_contacts(db, first, last + 1, out, e);
    if (rc == 0 && count_solved(db, from, to, out) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot count conversations");
    /* Merged conversations are closed (conv_merge), so open|pending never counts one twice. */
    if (rc == 0 && count_query(db,
                               "SELECT COUNT(*) FROM conversations WHERE status IN "
                               "('open', 'pending')",
                               0, NULL, &out->open_backlog, NULL) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot count the backlog");
    store_rollback(db);
    if (rc < 0) report_summary_fini(out);
    return rc;
}

void report_summary_fini(report_summary *s)
{
    free(s->months);
    s->months = NULL;
    s->nmonths = 0;
}

static double rate(int64_t part, int64_t whole)
{
    return whole > 0 ? (double)part / (double)whole : 0.0;
}

static json_t *period_end(int64_t ms, int64_t open)
{
    if (ms == open) return json_null();
    char iso[32];
    clock_iso8601(ms, iso, sizeof iso);
    return json_string(iso);
}

json_t *report_summary_json(const report_summary *s)
{
    json_t *channels = json_object(), *months = json_array();
    for (int ch = 0; ch < CH_COUNT; ch++)
        json_object_set_new(channels, channel_name(ch), json_integer(s->by_channel[ch]));
    for (int i = 0; i < s->nmonths; i++) {
        char name[16];
        snprintf(name, sizeof name, "%04d-%02d", s->months[i].year, s->months[i].month);
        json_array_append_new(months, json_pack("{s:s, s:I}", "month", name, "total",
                                                (json_int_t)s->months[i].total));
    }
    return json_pack("{s:I, s:o, s:o, s:I, s:f, s:f, s:f, s:I, s:o, s:o}", "contacts_total",
                     (json_int_t)s->contacts_total, "by_channel", channels, "by_month", months,
                     "conversations_solved", (json_int_t)s->solved, "resolved_first_contact_rate",
                     rate(s->solved_first_contact, s->solved), "escalation_rate",
                     rate(s->solved_escalated, s->solved), "first_response_sla_met_rate",
                     rate(s->solved_sla_met, s->solved), "open_backlog",
                     (json_int_t)s->open_backlog, "from", period_end(s->from, REPORT_NO_FROM), "to",
                     period_end(s->to, REPORT_NO_TO));
}
