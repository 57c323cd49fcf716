/* trigger.c — trigger definitions (validate, store, audit) and running them on a conversation.
 * The definition format, the matching rule and the loop guard are described in trigger.h. */
#include "trigger.h"

#include "audit.h"
#include "outbox.h"
#include "conversation.h"
#include "escalation.h"
#include "events.h"
#include "org.h"
#include "routing.h"
#include "settings.h"
#include "sla.h"
#include "template.h"
#include "user.h"
#include "../core/clock.h"
#include "../search/normalize.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Who the audit log and the timeline name for what a trigger does. */
static const actor trigger_actor = {0, "trigger", 0, "", ""};

/* Set while this thread runs triggers: actions never start another run. */
static __thread int trigger_running;

/* What a run knows about the conversation; `conv` is reloaded after every applied action. */
typedef struct run_ctx {
    store *db;
    const char *event;
    int64_t id, now;
    int64_t at;       /* when the contact arrived (now when there is none) */
    char channel[16]; /* the contact's channel, else the conversation's */
    json_t *conv;     /* see load_conversation */
    char *message;    /* the customer's message: this contact's, else the latest */
    char *text;       /* normalised subject + message, computed on first use */
    int open;         /* within business hours at `at`: 1/0, -1 not computed yet */
} run_ctx;

/* ------------------------------------------------------------------------------------------ */
/* The vocabulary: events, condition fields and operators, actions.                           */

static const char *const events[] = {"contact.created", "conversation.created",
                                     "conversation.updated"};
static const char *const priorities[] = {"low", "normal", "high", "urgent"};
static const char *const statuses[] = {"open", "pending", "solved", "closed"};

#define COUNT(a) (sizeof(a) / sizeof(a)[0])

static int in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (!strcmp(v, list[i])) return 1;
    return 0;
}

enum op { OP_IS, OP_IS_NOT, OP_CONTAINS, OP_IN };
static const char *const op_names[] = {"is", "is_not", "contains", "in"};
#define BIT(op) (1u << (op))
#define EQ_OPS (BIT(OP_IS) | BIT(OP_IS_NOT))

/* Is a value known? 1 yes, 0 no, < 0 storage failure. */
typedef int (*known_fn)(store *db, const char *v);

static int known_channel(store *db, const char *v)
{
    return channel_parse(v) >= 0;
}

static int known_priority(store *db, const char *v)
{
    return in_list(v, priorities, 4);
}

static int known_status(store *db, const char *v)
{
    return in_list(v, statuses, 4);
}

static int known_service_line(store *db, const char *v)
{
    int64_t id;
    int rc = org_id_of(db, ORG_SERVICE_LINE, v, &id);
    return rc < 0 ? rc : id != 0;
}

static const char *field_channel(run_ctx *r)
{
    return r->channel;
}

static const char *field_priority(run_ctx *r)
{
    return json_string_value(json_object_get(r->conv, "priority"));
}

static const char *field_status(run_ctx *r)
{
    return json_string_value(json_object_get(r->conv, "status"));
}

static const char *field_service_line(run_ctx *r)
{
    return json_string_value(json_object_get(r->conv, "service_line"));
}

static int flag_verified(run_ctx *r)
{
    return json_is_true(json_object_get(r->conv, "verified"));
}

static int flag_business_hours(run_ctx *r)
{
    if (r->open < 0) r->open = bh_is_open(sla_calendar_cached(r->db, "default"), r->at) ? 1 : 0;
    return r->open;
}

/* One condition field: which operators it takes and how its value is read. A field has either
 * a string value (known values checked by `known`), a boolean (`flag`), or is the text. */
static const struct field_rule {
    const char *name;
    unsigned ops;
    known_fn known;
    const char *(*value)(run_ctx *r);
    int (*flag)(run_ctx *r);
} field_rules[] = {
    {"channel", EQ_OPS | BIT(OP_IN), known_channel, field_channel, NULL},
    {"service_line", EQ_OPS | BIT(OP_IN), known_service_line, field_service_line, NULL},
    {"priority", EQ_OPS | BIT(OP_IN), known_priority, field_priority, NULL},
    {"status", EQ_OPS | BIT(OP_IN), known_status, field_status, NULL},
    {"text", BIT(OP_CONTAINS), NULL, NULL, NULL},
    {"customer_verified", EQ_OPS, NULL, NULL, flag_verified},
    {"business_hours", EQ_OPS, NULL, NULL, flag_business_hours},
};

static const struct field_rule *find_field(const char *name)
{
    for (size_t i = 0; name && i < COUNT(field_rules); i++)
        if (!strcmp(name, field_rules[i].name)) return &field_rules[i];
    return NULL;
}

static int find_op(const char *name)
{
    for (size_t i = 0; name && i < COUNT(op_names); i++)
        if (!strcmp(name, op_names[i])) return (int)i;
    return -1;
}

typedef int (*check_fn)(store *db, json_t *action, const char *path, sn_err *e);
typedef int (*apply_fn)(run_ctx *r, json_t *action, sn_err *e);

static int check_assign_agent(store *db, json_t *a, const char *path, sn_err *e);
static int check_assign_queue(store *db, json_t *a, const char *path, sn_err *e);
static int check_set_priority(store *db, json_t *a, const char *path, sn_err *e);
static int check_add_tag(store *db, json_t *a, const char *path, sn_err *e);
static int check_send_template(store *db, json_t *a, const char *path, sn_err *e);
static int check_escalate(store *db, json_t *a, const char *path, sn_err *e);
static int apply_assign_agent(run_ctx *r, json_t *a, sn_err *e);
static int apply_assign_queue(run_ctx *r, json_t *a, sn_err *e);
static int apply_set_priority(run_ctx *r, json_t *a, sn_err *e);
static int apply_add_tag(run_ctx *r, json_t *a, sn_err *e);
static int apply_send_template(run_ctx *r, json_t *a, sn_err *e);
static int apply_escalate(run_ctx *r, json_t *a, sn_err *e);

/* One action type: its required parameter, an optional one, and how it is checked on save and
 * applied on a run. */
static const struct action_rule {
    const char *type, *param, *optional;
    check_fn check;
    apply_fn apply;
} action_rules[] = {
    {"assign_agent", "user_id", NULL, check_assign_agent, apply_assign_agent},
    {"assign_queue", "service_line", NULL, check_assign_queue, apply_assign_queue},
    {"set_priority", "priority", NULL, check_set_priority, apply_set_priority},
    {"add_tag", "tag", NULL, check_add_tag, apply_add_tag},
    {"send_template", "template", "lang", check_send_template, apply_send_template},
    {"escalate", "department", "note", check_escalate, apply_escalate},
};

static const struct action_rule *find_action(const char *type)
{
    for (size_t i = 0; type && i < COUNT(action_rules); i++)
        if (!strcmp(type, action_rules[i].type)) return &action_rules[i];
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Validation of a definition. Every failure is 422 with `field` the JSON path of the part.   */

/* The JSON path of a part, e.g. "conditions.all[2].op"; a path too long for the buffer is cut,
 * which only shortens the error's field. */
static void __attribute__((format(printf, 3, 4)))
path_of(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

static int bad(sn_err *e, const char *path, const char *key, const char *msg, const char *arg)
{
    char field[64];
    path_of(field, sizeof field, "%s%s%s", path, *path && *key ? "." : "", key);
    return sn_fail(e, SN_EUNPROCESSABLE, field, msg, arg ? arg : "");
}

/* Only `allowed` keys (NULL-terminated, NULL entries skipped up to `n`) in an object. */
static int check_keys(json_t *obj, const char *const *allowed, size_t n, const char *path,
                      sn_err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i = 0;
        while (i < n && (!allowed[i] || strcmp(allowed[i], key)))
            i++;
        if (i == n) return bad(e, path, key, "unknown key '%s'", key);
    }
    return 0;
}

static int check_scalar(store *db, const struct field_rule *f, json_t *v, const char *path,
                        sn_err *e)
{
    if (f->flag)
        return json_is_boolean(v) ? 0 : bad(e, path, "", "%s must be true or false", f->name);
    if (!json_is_string(v) || !*json_string_value(v))
        return bad(e, path, "", "%s needs a non-empty string", f->name);
    if (!f->known) return 0;
    int rc = f->known(db, json_string_value(v));
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot check the trigger");
    return rc ? 0 : bad(e, path, "", "unknown value '%s'", json_string_value(v));
}

static int check_text_value(json_t *v, const char *path, sn_err *e)
{
    if (!json_is_string(v) || json_string_length(v) > 500)
        return bad(e, path, "", "text contains needs a string of at most 500 bytes", NULL);
    char *norm = text_normalize_dup(json_string_value(v));
    int empty = !norm || !*norm;
    free(norm);
    return empty ? bad(e, path, "", "the text has no letters or digits to look for", NULL) : 0;
}

static int check_value(store *db, const struct field_rule *f, int op, json_t *v, const char *path,
                       sn_err *e)
{
    if (op == OP_CONTAINS) return check_text_value(v, path, e);
    if (op != OP_IN) return check_scalar(db, f, v, path, e);
    if (!json_is_array(v) || !json_array_size(v) || json_array_size(v) > 50)
        return bad(e, path, "", "'in' needs an array of 1 to 50 values", NULL);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char at[64];
        path_of(at, sizeof at, "%s[%zu]", path, i);
        int rc = check_scalar(db, f, item, at, e);
        if (rc < 0) return rc;
    }
    return 0;
}

static int check_condition(store *db, json_t *c, const char *path, sn_err *e)
{
    static const char *const keys[] = {"field", "op", "value"};
    if (!json_is_object(c))
        return bad(e, path, "", "a condition is an object {field, op, value}", NULL);
    int rc = check_keys(c, keys, COUNT(keys), path, e);
    if (rc < 0) return rc;
    const char *name = json_string_value(json_object_get(c, "field"));
    const char *opname = json_string_value(json_object_get(c, "op"));
    const struct field_rule *f = find_field(name);
    if (!name) return bad(e, path, "field", "a condition needs a field", NULL);
    if (!f) return bad(e, path, "field", "unknown field '%s'", name);
    int op = find_op(opname);
    if (!opname) return bad(e, path, "op", "a condition needs an op", NULL);
    if (op < 0) return bad(e, path, "op", "unknown op '%s'", opname);
    if (!(f->ops & BIT(op))) return bad(e, path, "op", "this op does not apply to the field", NULL);
    json_t *v = json_object_get(c, "value");
    if (!v) return bad(e, path, "value", "a condition needs a value", NULL);
    char at[64];
    path_of(at, sizeof at, "%s.value", path);
    return check_value(db, f, op, v, at, e);
}

/* conditions: {"all"?: [...], "any"?: [...]} → *out always with both lists. */
static int check_conditions(store *db, json_t *conds, json_t **out, sn_err *e)
{
    static const char *const keys[] = {"all", "any"};
    *out = NULL;
    if (conds && !json_is_object(conds))
        return bad(e, "conditions", "", "conditions is an object {all, any}", NULL);
    int rc = conds ? check_keys(conds, keys, 2, "conditions", e) : 0;
    json_t *norm = json_object();
    for (int k = 0; rc == 0 && k < 2; k++) {
        json_t *list = json_object_get(conds, keys[k]);
        char path[64];
        path_of(path, sizeof path, "conditions.%s", keys[k]);
        if (list && (!json_is_array(list) || json_array_size(list) > TRIGGER_MAX_CONDITIONS)) {
            rc = bad(e, path, "", "an array of at most 50 conditions", NULL);
            break;
        }
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
            char at[64];
            path_of(at, sizeof at, "%s[%zu]", path, i);
            if ((rc = check_condition(db, c, at, e)) < 0) break;
        }
        json_object_set_new(norm, keys[k], list ? json_deep_copy(list) : json_array());
    }
    if (rc < 0)
        json_decref(norm);
    else
        *out = norm;
    return rc;
}

static int check_action(store *db, json_t *a, const char *path, sn_err *e)
{
    if (!json_is_object(a)) return bad(e, path, "", "an action is an object {type, …}", NULL);
    const char *type = json_string_value(json_object_get(a, "type"));
    const struct action_rule *r = find_action(type);
    if (!type) return bad(e, path, "type", "an action needs a type", NULL);
    if (!r) return bad(e, path, "type", "unknown action type '%s'", type);
    const char *keys[] = {"type", r->param, r->optional};
    int rc = check_keys(a, keys, COUNT(keys), path, e);
    if (rc < 0) return rc;
    if (!json_object_get(a, r->param))
        return bad(e, path, r->param, "this action needs %s", r->param);
    return r->check(db, a, path, e);
}

static int check_actions(store *db, json_t *actions, sn_err *e)
{
    if (!json_is_array(actions) || !json_array_size(actions) ||
        json_array_size(actions) > TRIGGER_MAX_ACTIONS)
        return bad(e, "actions", "", "actions is an array of 1 to 20 actions", NULL);
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a)
    {
        char at[64];
        path_of(at, sizeof at, "actions[%zu]", i);
        int rc = check_action(db, a, at, e);
        if (rc < 0) return rc;
    }
    return 0;
}

/* A non-empty string parameter of an action. */
static const char *param_str(json_t *a, const char *key, const char *path, sn_err *e)
{
    const char *v = json_string_value(json_object_get(a, key));
    if (!v || !*v) bad(e, path, key, "%s must be a non-empty string", key);
    return v && *v ? v : NULL;
}

static int check_assign_agent(store *db, json_t *a, const char *path, sn_err *e)
{
    json_t *v = json_object_get(a, "user_id");
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return bad(e, path, "user_id", "user_id must be a user id", NULL);
    user u;
    sn_err ignore;
    int rc = user_get(db, json_integer_value(v), &u, &ignore);
    if (rc < 0 && rc != SN_ENOTFOUND) return sn_fail(e, SN_EDB, NULL, "cannot check the trigger");
    if (rc < 0 || u.disabled) return bad(e, path, "user_id", "no such active user", NULL);
    return 0;
}

static int check_org_code(store *db, enum org_kind kind, json_t *a, const char *key,
                          const char *path, sn_err *e)
{
    const char *code = param_str(a, key, path, e);
    if (!code) return e->code;
    int64_t id;
    if (org_id_of(db, kind, code, &id) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot check the trigger");
    return id ? 0 : bad(e, path, key, "unknown code '%s'", code);
}

static int check_assign_queue(store *db, json_t *a, const char *path, sn_err *e)
{
    return check_org_code(db, ORG_SERVICE_LINE, a, "service_line", path, e);
}

static int check_set_priority(store *db, json_t *a, const char *path, sn_err *e)
{
    const char *p = json_string_value(json_object_get(a, "priority"));
    return in_list(p, priorities, 4)
               ? 0
               : bad(e, path, "priority", "priority must be low, normal, high or urgent", NULL);
}

static int check_add_tag(store *db, json_t *a, const char *path, sn_err *e)
{
    /* The conversation's own rule on tags: 1 to 64 bytes. */
    const char *tag = param_str(a, "tag", path, e);
    if (!tag) return e->code;
    return strlen(tag) <= 64 ? 0 : bad(e, path, "tag", "a tag has at most 64 bytes", NULL);
}

static int check_send_template(store *db, json_t *a, const char *path, sn_err *e)
{
    const char *code = param_str(a, "template", path, e);
    if (!code) return e->code;
    json_t *lang = json_object_get(a, "lang");
    if (lang && !in_list(json_string_value(lang), (const char *const[]){"ar", "en"}, 2))
        return bad(e, path, "lang", "lang must be ar or en", NULL);
    json_t *t;
    sn_err ignore;
    int rc = template_get_json(db, code, &t, &ignore);
    if (rc == SN_ENOTFOUND) return bad(e, path, "template", "no such template '%s'", code);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot check the trigger");
    json_decref(t);
    return 0;
}

static int check_escalate(store *db, json_t *a, const char *path, sn_err *e)
{
    json_t *note = json_object_get(a, "note");
    if (note && (!json_is_string(note) || json_string_length(note) > 10000))
        return bad(e, path, "note", "note must be a string of at most 10000 bytes", NULL);
    return check_org_code(db, ORG_DEPARTMENT, a, "department", path, e);
}

/* The parts of a trigger, checked. `definition` is owned: {"event","conditions","actions"}. */
typedef struct trigger_def {
    const char *name;
    int64_t position;
    int has_position, enabled;
    json_t *definition;
} trigger_def;

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int check_definition(store *db, json_t *in, trigger_def *d, sn_err *e)
{
    static const char *const keys[] = {"name",  "position",   "enabled",
                                       "event", "conditions", "actions"};
    memset(d, 0, sizeof *d);
    int rc = check_keys(in, keys, COUNT(keys), "", e);
    if (rc < 0) return rc;
    json_t *v;
    d->name = json_string_value(json_object_get(in, "name"));
    if (!d->name || !*d->name || utf8_chars(d->name) > 200)
        return bad(e, "name", "", "name is required (at most 200 characters)", NULL);
    if ((v = json_object_get(in, "position"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
            return bad(e, "position", "", "position is an integer from 0 to 1000000", NULL);
        d->position = json_integer_value(v);
        d->has_position = 1;
    }
    v = json_object_get(in, "enabled");
    if (v && !json_is_boolean(v)) return bad(e, "enabled", "", "enabled is true or false", NULL);
    d->enabled = !v || json_is_true(v);
    const char *event = json_string_value(json_object_get(in, "event"));
    if (!event) return bad(e, "event", "", "event is required", NULL);
    if (!in_list(event, events, COUNT(events)))
        return bad(e, "event", "", "unknown event '%s'", event);
    json_t *conds, *actions = json_object_get(in, "actions");
    if (!actions) return bad(e, "actions", "", "actions is required", NULL);
    if ((rc = check_conditions(db, json_object_get(in, "conditions"), &conds, e)) < 0) return rc;
    if ((rc = check_actions(db, actions, e)) < 0) {
        json_decref(conds);
        return rc;
    }
    d->definition =
        json_pack("{s:s, s:o, s:O}", "event", event, "conditions", conds, "actions", actions);
    return d->definition ? 0 : sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
}

/* ------------------------------------------------------------------------------------------ */
/* Storage.                                                                                   */

#define TRIGGER_COLUMNS "id, name, position, enabled, definition, created_at, updated_at"

static json_t *row_json(store_stmt *st)
{
    json_t *def = json_loads(store_col_text(st, 4), 0, NULL);
    json_t *o = json_pack("{s:I, s:s, s:I, s:b}", "id", (json_int_t)store_col_int(st, 0), "name",
                          store_col_text(st, 1), "position", (json_int_t)store_col_int(st, 2),
                          "enabled", (int)store_col_int(st, 3));
    static const char *const parts[] = {"event", "conditions", "actions"};
    for (size_t i = 0; i < COUNT(parts); i++) {
        json_t *p = json_object_get(def, parts[i]);
        json_object_set(o, parts[i], p ? p : json_null());
    }
    json_decref(def);
    char iso[32];
    clock_iso8601(store_col_int(st, 5), iso, sizeof iso);
    json_object_set_new(o, "created_at", json_string(iso));
    clock_iso8601(store_col_int(st, 6), iso, sizeof iso);
    json_object_set_new(o, "updated_at", json_string(iso));
    return o;
}

int trigger_get_json(store *db, int64_t id, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " TRIGGER_COLUMNS " FROM triggers WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read trigger");
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    *out = rc == STORE_ROW ? row_json(st) : NULL;
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read trigger");
    return *out ? 0 : sn_fail(e, SN_ENOTFOUND, NULL, "no such trigger");
}

int trigger_list_json(store *db, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " TRIGGER_COLUMNS " FROM triggers ORDER BY position, id", &st) <
        0)
        return sn_fail(e, SN_EDB, NULL, "cannot list triggers");
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(st)) == STORE_ROW)
        json_array_append_new(list, row_json(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list triggers");
    }
    *out = list;
    return 0;
}

/* Without a position a new trigger goes after the last one. */
static int next_position(store *db, int64_t *pos)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT COALESCE(MAX(position), -1) + 1 FROM triggers", &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    *pos = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* Insert (id 0) or update one row; *id is the row's. */
static int write_trigger(store *db, const trigger_def *d, int64_t *id)
{
    char *text = json_dumps(d->definition, JSON_COMPACT);
    if (!text) return SN_EINTERNAL;
    int64_t now = clock_now_ms();
    store_stmt *st;
    int rc = store_prepare(db,
                           *id ? "UPDATE triggers SET name = ?, position = ?, enabled = ?, "
                                 "definition = ?, updated_at = ? WHERE id = ? RETURNING id"
                               : "INSERT INTO triggers (name, position, enabled, definition, "
                                 "updated_at, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                           &st);
    if (rc == 0) {
        store_bind_text(st, 1, d->name);
        store_bind_int(st, 2, d->position);
        store_bind_int(st, 3, d->enabled);
        store_bind_text(st, 4, text);
        store_bind_int(st, 5, now);
        store_bind_int(st, 6, *id ? *id : now);
        rc = store_step(st);
        if (rc == STORE_ROW) *id = store_col_int(st, 0);
        store_finish(st);
        rc = rc == STORE_ROW ? 0 : (rc < 0 ? rc : SN_ENOTFOUND);
    }
    free(text);
    return rc;
}

static int audit_trigger(store *db, const actor *who, const char *action, int64_t id,
                         const char *name)
{
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    json_t *d = json_pack("{s:s}", "name", name);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    int rc = text ? audit_append(db, who, action, "trigger", oid, text) : SN_EINTERNAL;
    free(text);
    return rc;
}

/* Write a checked definition in one transaction with its audit row. */
static int save(store *db, const actor *who, trigger_def *d, int64_t *id, sn_err *e)
{
    const char *action = *id ? "trigger.update" : "trigger.create";
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save trigger");
    int rc = d->has_position ? 0 : next_position(db, &d->position);
    if (rc == 0) rc = write_trigger(db, d, id);
    if (rc == 0) rc = audit_trigger(db, who, action, *id, d->name);
    if (rc == 0 && (rc = store_commit(db)) == 0) {
        settings_changed();
        return 0;
    }
    store_rollback(db);
    return rc == SN_ENOTFOUND ? sn_fail(e, rc, NULL, "no such trigger")
                              : sn_fail(e, SN_EDB, NULL, "cannot save trigger");
}

int trigger_create(store *db, const actor *who, json_t *body, json_t **out, sn_err *e)
{
    trigger_def d;
    int64_t id = 0;
    int rc = check_definition(db, body, &d, e);
    if (rc == 0) rc = save(db, who, &d, &id, e);
    json_decref(d.definition);
    return rc < 0 ? rc : trigger_get_json(db, id, out, e);
}

int trigger_update(store *db, const actor *who, int64_t id, json_t *patch, json_t **out, sn_err *e)
{
    static const char *const kept[] = {"name",  "position",   "enabled",
                                       "event", "conditions", "actions"};
    json_t *cur;
    int rc = trigger_get_json(db, id, &cur, e);
    if (rc < 0) return rc;
    json_t *merged = json_object();
    for (size_t i = 0; i < COUNT(kept); i++)
        json_object_set(merged, kept[i], json_object_get(cur, kept[i]));
    json_decref(cur);
    json_object_update(merged, patch);
    trigger_def d;
    rc = check_definition(db, merged, &d, e);
    if (rc == 0) rc = save(db, who, &d, &id, e);
    json_decref(d.definition);
    json_decref(merged);
    return rc < 0 ? rc : trigger_get_json(db, id, out, e);
}

int trigger_delete(store *db, const actor *who, int64_t id, sn_err *e)
{
    json_t *cur;
    int rc = trigger_get_json(db, id, &cur, e);
    if (rc < 0) return rc;
    if (store_begin_write(db) < 0) {
        json_decref(cur);
        return sn_fail(e, SN_EDB, NULL, "cannot delete trigger");
    }
    store_stmt *st;
    rc = store_prepare(db, "DELETE FROM triggers WHERE id = ?", &st);
    if (rc == 0) {
        store_bind_int(st, 1, id);
        rc = store_step(st);
        rc = rc < 0 ? rc : (store_changes(st) ? 0 : SN_ENOTFOUND);
        store_finish(st);
    }
    if (rc == 0)
        rc = audit_trigger(db, who, "trigger.delete", id,
                           json_string_value(json_object_get(cur, "name")));
    json_decref(cur);
    if (rc == 0 && (rc = store_commit(db)) == 0) {
        settings_changed();
        return 0;
    }
    store_rollback(db);
    return rc == SN_ENOTFOUND ? sn_fail(e, rc, NULL, "no such trigger")
                              : sn_fail(e, SN_EDB, NULL, "cannot delete trigger");
}

/* ------------------------------------------------------------------------------------------ */
/* Running.                                                                                   */

/* The conversation's current state as a JSON object (NULL when merged away or missing). */
static int load_conversation(run_ctx *r)
{
    store_stmt *st;
    int rc = store_prepare(r->db,
                           "SELECT v.channel, COALESCE(s.code, ''), v.priority, v.status, "
                           "c.verified, v.subject, v.number, c.name, COALESCE(v.assignee_id, 0), "
                           "COALESCE(u.name, ''), COALESCE(s.name_ar, ''), "
                           "COALESCE(s.name_en, ''), v.tags FROM conversations v "
                           "JOIN customers c ON c.id = v.customer_id "
                           "LEFT JOIN service_lines s ON s.id = v.service_line_id "
                           "LEFT JOIN users u ON u.id = v.assignee_id "
                           "WHERE v.id = ? AND v.merged_into IS NULL",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, r->id);
    rc = store_step(st);
    json_decref(r->conv);
    r->conv = NULL;
    if (rc == STORE_ROW) {
        json_t *tags = json_loads(store_col_text(st, 12), 0, NULL);
        r->conv = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:o}",
                            "channel", store_col_text(st, 0), "service_line", store_col_text(st, 1),
                            "priority", store_col_text(st, 2), "status", store_col_text(st, 3),
                            "verified", (int)store_col_int(st, 4), "subject", store_col_text(st, 5),
                            "number", store_col_text(st, 6), "customer_name", store_col_text(st, 7),
                            "assignee_id", (json_int_t)store_col_int(st, 8), "agent_name",
                            store_col_text(st, 9), "service_line_ar", store_col_text(st, 10),
                            "service_line_en", store_col_text(st, 11), "tags",
                            json_is_array(tags) ? tags : json_array());
        if (!json_is_array(tags)) json_decref(tags);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The contact's channel, time and message; without a contact the latest inbound message. */
static int load_contact(run_ctx *r, int64_t contact)
{
    store_stmt *st;
    int rc = store_prepare(r->db,
                           contact ? "SELECT c.channel, c.received_at, COALESCE(m.body, '') "
                                     "FROM contacts c LEFT JOIN messages m ON m.contact_id = "
                                     "c.id AND m.kind = 'inbound' WHERE c.id = ? "
                                     "ORDER BY m.id LIMIT 1"
                                   : "SELECT '', 0, body FROM messages WHERE "
                                     "conversation_id = ? AND kind = 'inbound' "
                                     "ORDER BY id DESC LIMIT 1",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, contact ? contact : r->id);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        snprintf(r->channel, sizeof r->channel, "%s", store_col_text(st, 0));
        if (store_col_int(st, 1)) r->at = store_col_int(st, 1);
        r->message = strdup(store_col_text(st, 2));
    }
    store_finish(st);
    if (!r->channel[0])
        snprintf(r->channel, sizeof r->channel, "%s",
                 json_string_value(json_object_get(r->conv, "channel")));
    return rc < 0 ? rc : 0;
}

/* Does the normalised subject + message contain the normalised value? */
static int text_contains(run_ctx *r, const char *value)
{
    if (!r->text) {
        const char *subject = json_string_value(json_object_get(r->conv, "subject"));
        size_t n = strlen(subject) + (r->message ? strlen(r->message) : 0) + 2;
        char *raw = malloc(n);
        if (!raw) return 0;
        snprintf(raw, n, "%s\n%s", subject, r->message ? r->message : "");
        r->text = text_normalize_dup(raw);
        free(raw);
        if (!r->text) return 0;
    }
    char *needle = text_normalize_dup(value);
    int found = needle && *needle && strstr(r->text, needle) != NULL;
    free(needle);
    return found;
}

static int condition_holds(run_ctx *r, json_t *c)
{
    const struct field_rule *f = find_field(json_string_value(json_object_get(c, "field")));
    int op = find_op(json_string_value(json_object_get(c, "op")));
    json_t *want = json_object_get(c, "value");
    if (!f || op < 0) return 0;
    if (op == OP_CONTAINS) return text_contains(r, json_string_value(want));
    if (f->flag) return (f->flag(r) == json_is_true(want)) == (op == OP_IS);
    const char *have = f->value(r);
    if (!have) return 0;
    if (op == OP_IN) {
        size_t i;
        json_t *v;
        json_array_foreach(want, i, v) if (!strcmp(have, json_string_value(v))) return 1;
        return 0;
    }
    return !strcmp(have, json_string_value(want)) == (op == OP_IS);
}

/* Every "all" holds, and one "any" when there are some. */
static int trigger_matches(run_ctx *r, json_t *conditions)
{
    size_t i;
    json_t *c, *all = json_object_get(conditions, "all"), *any = json_object_get(conditions, "any");
    json_array_foreach(all, i, c) if (!condition_holds(r, c)) return 0;
    json_array_foreach(any, i, c) if (condition_holds(r, c)) return 1;
    return json_array_size(any) == 0;
}

static int apply_patch(run_ctx *r, const conv_patch *p, sn_err *e)
{
    return conv_update_in_tx(r->db, &trigger_actor, r->id, p, r->now, e);
}

static int apply_assign_agent(run_ctx *r, json_t *a, sn_err *e)
{
    conv_patch p = {0};
    p.has_assignee = 1;
    p.assignee_id = json_integer_value(json_object_get(a, "user_id"));
    return apply_patch(r, &p, e);
}

/* Move to the service line's queue and let its policy pick an agent if none is assigned. */
static int apply_assign_queue(run_ctx *r, json_t *a, sn_err *e)
{
    conv_patch p = {0};
    p.service_line = json_string_value(json_object_get(a, "service_line"));
    int rc = apply_patch(r, &p, e);
    if (rc == 0 && routing_assign(r->db, r->id) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot route");
    return rc;
}

static int apply_set_priority(run_ctx *r, json_t *a, sn_err *e)
{
    conv_patch p = {0};
    p.priority = json_string_value(json_object_get(a, "priority"));
    return apply_patch(r, &p, e);
}

static int apply_add_tag(run_ctx *r, json_t *a, sn_err *e)
{
    json_t *tag = json_object_get(a, "tag"), *tags = json_object_get(r->conv, "tags"), *t;
    size_t i;
    json_array_foreach(tags, i, t) if (json_equal(t, tag)) return 0;
    conv_patch p = {0};
    p.tags = json_copy(tags);
    json_array_append(p.tags, tag);
    int rc = apply_patch(r, &p, e);
    json_decref(p.tags);
    return rc;
}

/* The placeholders a trigger can fill: customer, conversation, assigned agent, service line. */
static json_t *template_context(run_ctx *r, const char *lang)
{
    json_t *c = r->conv;
#define S(k) json_string_value(json_object_get(c, k))
    json_t *ctx = json_pack("{s:{s:s}, s:{s:s, s:s}}", "customer", "name", S("customer_name"),
                            "conversation", "number", S("number"), "subject", S("subject"));
    if (json_integer_value(json_object_get(c, "assignee_id")))
        json_object_set_new(ctx, "agent", json_pack("{s:s}", "name", S("agent_name")));
    if (*S("service_line"))
        json_object_set_new(
            ctx, "service_line",
            json_pack("{s:s}", "name",
                      S(!strcmp(lang, "en") ? "service_line_en" : "service_line_ar")));
#undef S
    return ctx;
}

/* An automatic reply on the contact's channel, queued for delivery like the after-hours one. */
static int apply_send_template(run_ctx *r, json_t *a, sn_err *e)
{
    const char *code = json_string_value(json_object_get(a, "template"));
    const char *lang = json_string_value(json_object_get(a, "lang"));
    if (!lang) lang = "ar";
    if (!strcmp(json_string_value(json_object_get(r->conv, "status")), "closed"))
        return sn_fail_slug(e, SN_ECONFLICT, "conversation_closed", NULL,
                            "the conversation is closed");
    json_t *ctx = template_context(r, lang);
    char *text = NULL;
    int rc = template_render(r->db, code, lang, r->channel, ctx, &text, e);
    json_decref(ctx);
    if (rc < 0) return rc;
    store_stmt *st;
    rc = store_prepare(r->db,
                       "INSERT INTO messages (conversation_id, kind, channel, body, "
                       "template_code, delivery, created_at) VALUES (?, 'auto_reply', ?, "
                       "?, ?, 'queued', ?) RETURNING id",
                       &st);
    if (rc == 0) {
        store_bind_int(st, 1, r->id);
        store_bind_text(st, 2, r->channel);
        store_bind_text(st, 3, text);
        store_bind_text(st, 4, code);
        store_bind_int(st, 5, r->now);
        rc = store_step(st);
        int64_t mid = rc == STORE_ROW ? store_col_int(st, 0) : 0;
        store_finish(st);
        if (rc == STORE_ROW) rc = outbox_enqueue(r->db, mid, r->channel, r->now);
    }
    free(text);
    if (rc >= 0) rc = events_emit_conversation(r->db, "message.created", r->id, 0);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot send the template") : 0;
}

static int apply_escalate(run_ctx *r, json_t *a, sn_err *e)
{
    const char *note = json_string_value(json_object_get(a, "note"));
    int64_t id;
    return escalation_create_in_tx(r->db, &trigger_actor, r->id,
                                   json_string_value(json_object_get(a, "department")),
                                   note ? note : "", r->now, &id, e);
}

/* Apply one action; what was done goes to `done`. An action that cannot apply is skipped with
 * the reason; a storage failure stops the run. */
static int apply_action(run_ctx *r, json_t *a, json_t *done)
{
    const struct action_rule *rule = find_action(json_string_value(json_object_get(a, "type")));
    sn_err e;
    sn_err_clear(&e);
    int rc =
        rule ? rule->apply(r, a, &e) : sn_fail(&e, SN_EUNPROCESSABLE, "type", "unknown action");
    if (rc == SN_EDB || rc == SN_EINTERNAL) return rc;
    json_t *entry = json_deep_copy(a);
    if (rc < 0) json_object_set_new(entry, "skipped", json_string(e.message));
    json_array_append_new(done, entry);
    return rc < 0 ? 0 : load_conversation(r);
}

static int record_firing(run_ctx *r, json_t *trigger, json_t *done)
{
    json_t *detail =
        json_pack("{s:O, s:O, s:s, s:O}", "trigger_id", json_object_get(trigger, "id"), "name",
                  json_object_get(trigger, "name"), "event", r->event, "actions", done);
    return conv_timeline_add_json(r->db, r->id, NULL, "trigger", detail, r->now);
}

static int fire(run_ctx *r, json_t *trigger)
{
    json_t *done = json_array(), *a;
    size_t i;
    int rc = 0;
    json_array_foreach(json_object_get(trigger, "actions"), i, a)
    {
        if ((rc = apply_action(r, a, done)) < 0) break;
        if (!r->conv) break; /* merged away meanwhile: nothing more to act on */
    }
    if (rc == 0) rc = record_firing(r, trigger, done);
    json_decref(done);
    return rc;
}

/* The enabled triggers in order: [{"id","name","event","conditions","actions"}]. */
static int load_triggers(store *db, json_t **out)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT id, name, definition FROM triggers WHERE enabled = 1 "
                           "ORDER BY position, id",
                           &st);
    *out = json_array();
    if (rc < 0) return rc;
    while ((rc = store_step(st)) == STORE_ROW) {
        json_t *def = json_loads(store_col_text(st, 2), 0, NULL);
        json_t *t = json_pack("{s:I, s:s}", "id", (json_int_t)store_col_int(st, 0), "name",
                              store_col_text(st, 1));
        if (def && t) {
            json_object_update(t, def);
            json_array_append(*out, t);
        }
        json_decref(t);
        json_decref(def);
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The enabled triggers are read on every contact, so they are cached per thread like the other
 * settings (settings.h): a change through this process is seen at once, through another node
 * within SETTINGS_CACHE_MS. The cache is freed when its thread ends. */
typedef struct trigger_cache {
    json_t *all;
    int64_t loaded_at, gen;
} trigger_cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p)
{
    trigger_cache *c = p;
    json_decref(c->all);
    free(c);
}

static void cache_init(void)
{
    pthread_key_create(&cache_key, cache_free);
}

/* *out: a new reference to the cached list. */
static int enabled_triggers(store *db, json_t **out)
{
    pthread_once(&cache_once, cache_init);
    trigger_cache *c = pthread_getspecific(cache_key);
    int64_t now = clock_now_ms();
    if (!c && (!(c = calloc(1, sizeof *c)) || pthread_setspecific(cache_key, c) != 0)) {
        free(c);
        return SN_EINTERNAL;
    }
    if (!c->all || !settings_fresh(c->loaded_at, c->gen, now)) {
        int64_t gen = settings_generation();
        json_t *all;
        int rc = load_triggers(db, &all);
        if (rc < 0) {
            json_decref(all);
            return rc;
        }
        json_decref(c->all);
        c->all = all;
        c->loaded_at = now;
        c->gen = gen;
    }
    *out = json_incref(c->all);
    return 0;
}

static int for_event(json_t *trigger, const char *event)
{
    const char *ev = json_string_value(json_object_get(trigger, "event"));
    return ev && !strcmp(ev, event);
}

/* Passes over the event's triggers until one fires nothing; each fires at most once. */
static int run_passes(run_ctx *r, json_t *triggers)
{
    size_t n = json_array_size(triggers), i;
    int firings = 0, progress = 1, rc = 0;
    char *fired = calloc(n, 1);
    if (!fired) return SN_EINTERNAL;
    while (rc == 0 && progress && r->conv && firings < TRIGGER_MAX_FIRINGS) {
        progress = 0;
        for (i = 0; i < n && r->conv && firings < TRIGGER_MAX_FIRINGS; i++) {
            json_t *t = json_array_get(triggers, i);
            if (fired[i] || !for_event(t, r->event) ||
                !trigger_matches(r, json_object_get(t, "conditions")))
                continue;
            fired[i] = 1;
            firings++;
            progress = 1;
            if ((rc = fire(r, t)) < 0) break;
        }
    }
    free(fired);
    return rc;
}

int trigger_run(store *db, const char *event, int64_t conversation_id, int64_t contact_id)
{
    if (trigger_running) return 0;
    json_t *triggers, *t;
    size_t i, mine = 0;
    int rc = enabled_triggers(db, &triggers);
    if (rc < 0) return rc;
    json_array_foreach(triggers, i, t) mine += for_event(t, event);
    if (!mine) {
        json_decref(triggers);
        return 0;
    }
    trigger_running = 1;
    run_ctx r = {db, event, conversation_id, clock_now_ms(), 0, "", NULL, NULL, NULL, -1};
    r.at = r.now;
    rc = load_conversation(&r);
    if (rc == 0 && r.conv) rc = load_contact(&r, contact_id);
    if (rc == 0 && r.conv) rc = run_passes(&r, triggers);
    trigger_running = 0;
    json_decref(r.conv);
    json_decref(triggers);
    free(r.message);
    free(r.text);
    return rc < 0 ? rc : 0;
}
