/* sla.c — SLA policies (most specific wins) and calendars stored as their JSON. */
#include "sla.h"

#include "audit.h"
#include "settings.h"
#include "../core/clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const priorities[] = {"low", "normal", "high", "urgent"};

static int priority_valid(const char *p)
{
    for (size_t i = 0; i < sizeof priorities / sizeof priorities[0]; i++)
        if (!strcmp(p, priorities[i])) return 1;
    return 0;
}

int sla_calendar_load(store *db, const char *code, bh_calendar *out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT definition FROM calendars WHERE code = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read calendar");
    store_bind_text(st, 1, code);
    int rc = store_step(st);
    json_t *def = NULL;
    if (rc == STORE_ROW) def = json_loads(store_col_text(st, 0), 0, NULL);
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read calendar");
    if (rc != STORE_ROW) return sn_fail(e, SN_ENOTFOUND, NULL, "no such calendar");
    bh_default(out);
    rc = def ? bh_from_json(out, def, 0, e) : sn_fail(e, SN_EDB, NULL, "calendar is corrupt");
    json_decref(def);
    return rc;
}

int sla_calendar_save(store *db, const actor *who, const char *code, json_t *patch,
                      bh_calendar *out, sn_err *e)
{
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save calendar");
    int rc = sla_calendar_load(db, code, out, e);
    if (rc == 0) rc = bh_from_json(out, patch, 1, e);
    char *text = NULL;
    if (rc == 0) {
        json_t *def = bh_to_json(out);
        text = json_dumps(def, JSON_COMPACT);
        json_decref(def);
        store_stmt *st;
        if (!text || store_prepare(db, "UPDATE calendars SET definition = ?, updated_at = ? "
                                       "WHERE code = ?", &st) < 0)
            rc = sn_fail(e, SN_EDB, NULL, "cannot save calendar");
        else {
            store_bind_text(st, 1, text);
            store_bind_int(st, 2, clock_now_ms());
            store_bind_text(st, 3, code);
            if (store_step(st) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save calendar");
            store_finish(st);
        }
    }
    if (rc == 0 && audit_append(db, who, "calendar.update", "calendar", code, text) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save calendar");
    free(text);
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save calendar");
    if (rc < 0) store_rollback(db);
    else settings_changed();
    return rc;
}

static int cache_fresh(int64_t loaded_at, int64_t gen, int64_t now)
{
    return settings_fresh(loaded_at, gen, now);
}

#define CAL_CACHE 8
static __thread struct cal_entry {
    char code[64];
    bh_calendar cal;
    int64_t loaded_at, gen;
    int used;
} cal_cache[CAL_CACHE];

static void cal_cache_free(void)
{
    for (int i = 0; i < CAL_CACHE; i++)
        if (cal_cache[i].used) {
            bh_fini(&cal_cache[i].cal);
            cal_cache[i].used = 0;
        }
}

const bh_calendar *sla_calendar_cached(store *db, const char *code)
{
    int64_t now = clock_now_ms();
    struct cal_entry *slot = &cal_cache[0];
    for (int i = 0; i < CAL_CACHE; i++) {
        struct cal_entry *c = &cal_cache[i];
        if (c->used && !strcmp(c->code, code)) {
            if (cache_fresh(c->loaded_at, c->gen, now)) return &c->cal;
            slot = c;
            break;
        }
        if (!c->used || c->loaded_at < slot->loaded_at) slot = c;
    }
    if (slot->used) bh_fini(&slot->cal);
    settings_at_thread_exit(cal_cache_free);
    int64_t gen = settings_generation();
    sn_err e;
    if (sla_calendar_load(db, code, &slot->cal, &e) < 0) bh_default(&slot->cal);
    snprintf(slot->code, sizeof slot->code, "%s", code);
    slot->loaded_at = now;
    slot->gen = gen;
    slot->used = 1;
    return &slot->cal;
}

#define TERM_CACHE 32
static __thread struct term_entry {
    int64_t line;
    char priority[16];
    int64_t first_ms, resolution_ms;
    char calendar[64];
    int64_t loaded_at, gen;
    int used;
} term_cache[TERM_CACHE];

/* Most specific first: a policy naming both beats one naming either beats one naming none. */
static int load_terms(store *db, int64_t service_line_id, const char *priority, struct term_entry *t)
{
    store_stmt *st;
    t->first_ms = (int64_t)SLA_DEFAULT_FIRST_MIN * 60000;
    t->resolution_ms = (int64_t)SLA_DEFAULT_RESOLUTION_MIN * 60000;
    snprintf(t->calendar, sizeof t->calendar, "default");
    int rc = store_prepare(db,
                           "SELECT first_response_minutes, resolution_minutes, calendar_code FROM "
                           "sla_policies WHERE (service_line_id IS NULL OR service_line_id = ?) "
                           "AND (priority IS NULL OR priority = ?) ORDER BY "
                           "(CASE WHEN service_line_id IS NULL THEN 0 ELSE 2 END + "
                           "CASE WHEN priority IS NULL THEN 0 ELSE 1 END) DESC, id DESC LIMIT 1",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, service_line_id);
    store_bind_text(st, 2, priority);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        t->first_ms = store_col_int(st, 0) * 60000;
        t->resolution_ms = store_col_int(st, 1) * 60000;
        snprintf(t->calendar, sizeof t->calendar, "%s", store_col_text(st, 2));
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int sla_terms_for(store *db, int64_t service_line_id, const char *priority, sla_terms *out)
{
    int64_t now = clock_now_ms();
    if (!priority) priority = "normal";
    struct term_entry *slot = &term_cache[0], *hit = NULL;
    for (int i = 0; i < TERM_CACHE && !hit; i++) {
        struct term_entry *t = &term_cache[i];
        if (t->used && t->line == service_line_id && !strcmp(t->priority, priority))
            hit = t;
        else if (!t->used || t->loaded_at < slot->loaded_at)
            slot = t;
    }
    if (!hit || !cache_fresh(hit->loaded_at, hit->gen, now)) {
        if (hit) slot = hit;
        int64_t gen = settings_generation();
        int rc = load_terms(db, service_line_id, priority, slot);
        if (rc < 0) return rc;
        slot->line = service_line_id;
        snprintf(slot->priority, sizeof slot->priority, "%s", priority);
        slot->loaded_at = now;
        slot->gen = gen;
        slot->used = 1;
        hit = slot;
    }
    out->first_ms = hit->first_ms;
    out->resolution_ms = hit->resolution_ms;
    out->cal = sla_calendar_cached(db, hit->calendar);
    return 0;
}

static int lookup_service_line(store *db, const char *code, int64_t *id)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id FROM service_lines WHERE code = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* Read and check the policy fields of `body` over `p` (which holds the current values). */
static int policy_from_json(store *db, json_t *body, sla_policy *p, int64_t *line_id, sn_err *e)
{
    json_t *v;
    *line_id = 0;
    if ((v = json_object_get(body, "service_line")))
        snprintf(p->service_line, sizeof p->service_line, "%s", json_is_string(v) ? json_string_value(v) : "");
    if ((v = json_object_get(body, "priority")))
        snprintf(p->priority, sizeof p->priority, "%s", json_is_string(v) ? json_string_value(v) : "");
    if ((v = json_object_get(body, "first_response_minutes"))) p->first_response_minutes = (int)json_integer_value(v);
    if ((v = json_object_get(body, "resolution_minutes"))) p->resolution_minutes = (int)json_integer_value(v);
    if ((v = json_object_get(body, "calendar")))
        snprintf(p->calendar, sizeof p->calendar, "%s", json_string_value(v));
    if (p->service_line[0] && (lookup_service_line(db, p->service_line, line_id) < 0 || !*line_id))
        return sn_fail(e, SN_EUNPROCESSABLE, "service_line", "unknown service line");
    if (p->priority[0] && !priority_valid(p->priority))
        return sn_fail(e, SN_EUNPROCESSABLE, "priority", "priority must be low, normal, high or urgent");
    if (p->first_response_minutes < 1 || p->first_response_minutes > 525600)
        return sn_fail(e, SN_EUNPROCESSABLE, "first_response_minutes", "must be 1 to 525600");
    if (p->resolution_minutes < 1 || p->resolution_minutes > 5256000)
        return sn_fail(e, SN_EUNPROCESSABLE, "resolution_minutes", "must be 1 to 5256000");
    bh_calendar cal;
    sn_err ignore;
    if (sla_calendar_load(db, p->calendar, &cal, &ignore) < 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "calendar", "unknown calendar");
    bh_fini(&cal);
    return 0;
}

static int policy_get(store *db, int64_t id, sla_policy *p)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT p.id, COALESCE(s.code, ''), COALESCE(p.priority, ''), "
                               "p.first_response_minutes, p.resolution_minutes, p.calendar_code "
                               "FROM sla_policies p LEFT JOIN service_lines s ON s.id = "
                               "p.service_line_id WHERE p.id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        p->id = store_col_int(st, 0);
        snprintf(p->service_line, sizeof p->service_line, "%s", store_col_text(st, 1));
        snprintf(p->priority, sizeof p->priority, "%s", store_col_text(st, 2));
        p->first_response_minutes = (int)store_col_int(st, 3);
        p->resolution_minutes = (int)store_col_int(st, 4);
        snprintf(p->calendar, sizeof p->calendar, "%s", store_col_text(st, 5));
    }
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

static int policy_write(store *db, int64_t *id, const sla_policy *p, int64_t line_id)
{
    store_stmt *st;
    int64_t now = clock_now_ms();
    const char *sql = *id ? "UPDATE sla_policies SET service_line_id = ?, priority = ?, "
                            "first_response_minutes = ?, resolution_minutes = ?, calendar_code = ?, "
                            "updated_at = ? WHERE id = ? RETURNING id"
                          : "INSERT INTO sla_policies (service_line_id, priority, "
                            "first_response_minutes, resolution_minutes, calendar_code, updated_at, "
                            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    if (line_id)
        store_bind_int(st, 1, line_id);
    else
        store_bind_null(st, 1);
    store_bind_text(st, 2, p->priority[0] ? p->priority : NULL);
    store_bind_int(st, 3, p->first_response_minutes);
    store_bind_int(st, 4, p->resolution_minutes);
    store_bind_text(st, 5, p->calendar);
    store_bind_int(st, 6, now);
    store_bind_int(st, 7, *id ? *id : now);
    rc = store_step(st);
    if (rc == STORE_ROW) *id = store_col_int(st, 0);
    store_finish(st);
    return rc == STORE_ROW ? 0 : SN_EDB;
}

int sla_policy_save(store *db, const actor *who, int64_t id, json_t *body, sla_policy *out,
                    sn_err *e)
{
    sla_policy p = {.first_response_minutes = SLA_DEFAULT_FIRST_MIN,
                    .resolution_minutes = SLA_DEFAULT_RESOLUTION_MIN};
    snprintf(p.calendar, sizeof p.calendar, "default");
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save policy");
    int rc = 0;
    int64_t line_id;
    if (id && (rc = policy_get(db, id, &p)) < 0)
        rc = rc == SN_ENOTFOUND ? sn_fail(e, rc, NULL, "no such policy") : sn_fail(e, SN_EDB, NULL, "cannot read policy");
    if (rc == 0) rc = policy_from_json(db, body, &p, &line_id, e);
    if (rc == 0 && policy_write(db, &id, &p, line_id) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save policy");
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if (rc == 0 && audit_append(db, who, "sla_policy.save", "sla_policy", oid, NULL) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save policy");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save policy");
    if (rc < 0) {
        store_rollback(db);
        return rc;
    }
    settings_changed();
    p.id = id;
    *out = p;
    return 0;
}

int sla_policy_list(store *db, sla_policy **out, int *n, sn_err *e)
{
    store_stmt *st;
    *out = NULL;
    *n = 0;
    if (store_prepare(db, "SELECT id FROM sla_policies ORDER BY id LIMIT 500", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list policies");
    sla_policy *list = calloc(501, sizeof *list);
    int count = 0, rc = 0;
    while (list && (rc = store_step(st)) == STORE_ROW) list[count++].id = store_col_int(st, 0);
    store_finish(st);
    for (int i = 0; list && rc >= 0 && i < count; i++) rc = policy_get(db, list[i].id, &list[i]);
    if (!list || rc < 0) {
        free(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list policies");
    }
    *out = list;
    *n = count;
    return 0;
}

json_t *sla_policy_json(const sla_policy *p)
{
    json_t *o = json_pack("{s:I, s:i, s:i, s:s}", "id", (json_int_t)p->id,
                          "first_response_minutes", p->first_response_minutes,
                          "resolution_minutes", p->resolution_minutes, "calendar", p->calendar);
    json_object_set_new(o, "service_line", p->service_line[0] ? json_string(p->service_line) : json_null());
    json_object_set_new(o, "priority", p->priority[0] ? json_string(p->priority) : json_null());
    return o;
}
