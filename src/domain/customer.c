/* customer.c — customers and their identities: resolve, create, update, merge, search, mask. */
#include "customer.h"
#include "customer_cache.h"

#include "audit.h"
#include "../core/clock.h"
#include "../search/normalize.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field names of the API shape, by kind; phones and emails are arrays. */
static const char *const id_fields[] = {
    [ID_NATIONAL_ID] = "national_id", [ID_CR_NUMBER] = "cr_number", [ID_PHONE] = "phones",
    [ID_EMAIL] = "emails",            [ID_X_HANDLE] = "x_handle",
};

static int kind_from_name(const char *name, enum identity_kind *k)
{
    for (int i = ID_NATIONAL_ID; i <= ID_X_HANDLE; i++) {
        if (!strcmp(identity_kind_name((enum identity_kind)i), name)) {
            *k = (enum identity_kind)i;
            return 0;
        }
    }
    return -1;
}

static int add_identity(customer_input *in, enum identity_kind k, const char *raw, sn_err *e)
{
    if (in->nids == CUSTOMER_MAX_IDS)
        return sn_fail(e, SN_EUNPROCESSABLE, id_fields[k], "too many identities");
    customer_identity *id = &in->ids[in->nids];
    int rc = identity_normalize(k, raw, id->value, sizeof id->value, e);
    if (rc < 0) {
        /* Name the request's field: "phones"/"emails" are arrays in the API shape. */
        if (e) snprintf(e->field, sizeof e->field, "%s", id_fields[k]);
        return rc;
    }
    for (int i = 0; i < in->nids; i++)
        if (in->ids[i].kind == k && !strcmp(in->ids[i].value, id->value)) return 0;
    id->kind = k;
    in->nids++;
    return 0;
}

int customer_input_parse(json_t *obj, customer_input *in, sn_err *e)
{
    memset(in, 0, sizeof *in);
    if (!obj) return 0;
    if (!json_is_object(obj)) return sn_fail(e, SN_EINVALID, "customer", "customer must be an object");
    json_t *name = json_object_get(obj, "name");
    if (json_is_string(name)) {
        if (strlen(json_string_value(name)) >= sizeof in->name)
            return sn_fail(e, SN_EUNPROCESSABLE, "name", "name is too long");
        snprintf(in->name, sizeof in->name, "%s", json_string_value(name));
        in->has_name = 1;
    }
    static const enum identity_kind singles[] = {ID_NATIONAL_ID, ID_CR_NUMBER, ID_X_HANDLE};
    for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
        json_t *v = json_object_get(obj, id_fields[singles[i]]);
        int rc;
        if (json_is_string(v) && *json_string_value(v) &&
            (rc = add_identity(in, singles[i], json_string_value(v), e)) < 0)
            return rc;
    }
    static const enum identity_kind lists[] = {ID_PHONE, ID_EMAIL};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        json_t *arr = json_object_get(obj, id_fields[lists[i]]), *v;
        size_t k;
        json_array_foreach(arr, k, v)
        {
            int rc = add_identity(in, lists[i], json_string_value(v), e);
            if (rc < 0) return rc;
        }
    }
    return 0;
}

uint64_t customer_identity_hash(const customer_identity *id)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)id->kind;
    for (const unsigned char *p = (const unsigned char *)id->value; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/* The customer an identity belongs to, following merges (0: nobody), and, unless nameless is
 * NULL, whether that customer has no name yet (1 or 0; -1 when the identity's customer was
 * merged into the owner: not known here). */
static int identity_owner(store *db, const customer_identity *id, int64_t *owner, int *nameless)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT COALESCE(c.merged_into, c.id), CASE WHEN c.merged_into IS "
                               "NOT NULL THEN -1 WHEN c.name = '' THEN 1 ELSE 0 END "
                               "FROM customer_identities i JOIN customers c ON c.id = i.customer_id "
                               "WHERE i.kind = ? AND i.value = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, identity_kind_name(id->kind));
    store_bind_text(st, 2, id->value);
    rc = store_step(st);
    *owner = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    if (nameless) *nameless = rc == STORE_ROW ? (int)store_col_int(st, 1) : 0;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* Whether customer id has no name yet. */
static int is_nameless(store *db, int64_t id, int *nameless)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT name FROM customers WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    *nameless = rc == STORE_ROW && !store_col_text(st, 0)[0];
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int insert_identity(store *db, int64_t customer_id, const customer_identity *id, int64_t now)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO customer_identities (customer_id, kind, value, "
                               "created_at) VALUES (?, ?, ?, ?)", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, customer_id);
    store_bind_text(st, 2, identity_kind_name(id->kind));
    store_bind_text(st, 3, id->value);
    store_bind_int(st, 4, now);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int insert_customer(store *db, const char *name, int64_t now, int64_t *id)
{
    char *norm = text_normalize_dup(name);
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO customers (name, search_text, created_at, updated_at) "
                               "VALUES (?, ?, ?, ?) RETURNING id", &st);
    if (rc == 0) {
        store_bind_text(st, 1, name);
        store_bind_text(st, 2, norm ? norm : "");
        store_bind_int(st, 3, now);
        store_bind_int(st, 4, now);
        rc = store_step(st);
        *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
        store_finish(st);
        rc = rc == STORE_ROW ? 0 : (rc < 0 ? rc : SN_EDB);
    }
    free(norm);
    return rc;
}

static int set_name(store *db, int64_t id, const char *name, int64_t now)
{
    char *norm = text_normalize_dup(name);
    store_stmt *st;
    int rc = store_prepare(db, "UPDATE customers SET name = ?, search_text = ?, updated_at = ? "
                               "WHERE id = ?", &st);
    if (rc == 0) {
        store_bind_text(st, 1, name);
        store_bind_text(st, 2, norm ? norm : "");
        store_bind_int(st, 3, now);
        store_bind_int(st, 4, id);
        rc = store_step(st);
        store_finish(st);
    }
    free(norm);
    return rc < 0 ? rc : 0;
}

int customer_resolve(store *db, const customer_input *in, int64_t now, customer_cache *cache,
                     int64_t *id, int *created)
{
    int64_t found = 0, owners[CUSTOMER_MAX_IDS] = {0};
    int rc, nameless = 0, owner_nameless;
    for (int i = 0; i < in->nids; i++) {
        owner_nameless = -1; /* not known from the cache */
        if (!(owners[i] = customer_cache_owner(cache, &in->ids[i])) &&
            (rc = identity_owner(db, &in->ids[i], &owners[i], &owner_nameless)) < 0)
            return rc;
        if (owners[i] && !found) {
            found = owners[i];
            nameless = owner_nameless;
        }
    }
    *created = !found;
    if (!found) {
        if ((rc = insert_customer(db, in->has_name ? in->name : "", now, &found)) < 0) return rc;
        nameless = !in->has_name || !in->name[0];
    } else if (in->has_name && in->name[0]) {
        if (nameless < 0 && customer_cache_named(cache, found)) nameless = 0;
        if (nameless < 0 && (rc = is_nameless(db, found, &nameless)) < 0) return rc;
        if (nameless && (rc = set_name(db, found, in->name, now)) < 0) return rc;
        nameless = 0;
    }
    /* New identities join the customer; one owned by someone else stays with them. */
    for (int i = 0; i < in->nids; i++)
        if (!owners[i] && (rc = insert_identity(db, found, &in->ids[i], now)) < 0) return rc;
    /* What the cache misses it asks the database again for: a failure to remember is harmless. */
    for (int i = 0; cache && i < in->nids; i++)
        customer_cache_set_owner(cache, &in->ids[i], owners[i] ? owners[i] : found);
    if (cache && nameless == 0) customer_cache_set_named(cache, found);
    *id = found;
    return 0;
}

int customer_owner(store *db, const customer_input *in, int64_t *id)
{
    *id = 0;
    for (int i = 0; i < in->nids && !*id; i++) {
        int rc = identity_owner(db, &in->ids[i], id, NULL);
        if (rc < 0) return rc;
    }
    return 0;
}

int customer_lock(store *db, int64_t *id)
{
    if (store_kind_of(db) != STORE_POSTGRES) return 0;
    /* A merge chain is short; a bound keeps a corrupt cycle from looping. */
    for (int hop = 0; hop < 8; hop++) {
        store_stmt *st;
        int rc = store_prepare(db, "SELECT COALESCE(merged_into, id) FROM customers WHERE id = ? "
                                   "FOR UPDATE", &st);
        if (rc < 0) return rc;
        store_bind_int(st, 1, *id);
        rc = store_step(st);
        int64_t owner = rc == STORE_ROW ? store_col_int(st, 0) : *id;
        store_finish(st);
        if (rc < 0) return rc;
        if (owner == *id) return 0;
        *id = owner;
    }
    return 0;
}

static int load_identities(store *db, customer *c)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT kind, value FROM customer_identities WHERE customer_id = ? "
                               "ORDER BY id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, c->id);
    c->nids = 0;
    while ((rc = store_step(st)) == STORE_ROW && c->nids < CUSTOMER_MAX_IDS) {
        customer_identity *id = &c->ids[c->nids];
        if (kind_from_name(store_col_text(st, 0), &id->kind) < 0) continue;
        snprintf(id->value, sizeof id->value, "%s", store_col_text(st, 1));
        c->nids++;
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int customer_get(store *db, int64_t id, customer *out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT id, name, verified, created_at, updated_at, merged_into "
                          "FROM customers WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read customer");
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    int64_t merged = 0;
    if (rc == STORE_ROW) {
        out->id = store_col_int(st, 0);
        snprintf(out->name, sizeof out->name, "%s", store_col_text(st, 1));
        out->verified = (int)store_col_int(st, 2);
        out->created_at = store_col_int(st, 3);
        out->updated_at = store_col_int(st, 4);
        merged = store_col_int(st, 5);
    }
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read customer");
    if (rc != STORE_ROW) return sn_fail(e, SN_ENOTFOUND, NULL, "no such customer");
    if (merged) return customer_get(db, merged, out, e);
    if (load_identities(db, out) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read customer");
    return 0;
}

static int audit_customer(store *db, const actor *who, const char *action, int64_t id,
                          json_t *detail)
{
    char oid[24], *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    snprintf(oid, sizeof oid, "%" PRId64, id);
    int rc = audit_append(db, who, action, "customer", oid, text);
    free(text);
    json_decref(detail);
    return rc;
}

/* Add identities to customer id; one owned by another customer → SN_ECONFLICT naming it. */
static int attach_identities(store *db, int64_t id, const customer_input *in, int64_t now,
                             sn_err *e)
{
    for (int i = 0; i < in->nids; i++) {
        int64_t owner;
        int rc = identity_owner(db, &in->ids[i], &owner, NULL);
        if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot save customer");
        if (owner == id) continue;
        if (owner)
            return sn_fail_slug(e, SN_ECONFLICT, "identity_taken", id_fields[in->ids[i].kind],
                                "this %s belongs to another customer",
                                identity_kind_name(in->ids[i].kind));
        if (insert_identity(db, id, &in->ids[i], now) < 0)
            return sn_fail(e, SN_EDB, NULL, "cannot save customer");
    }
    return 0;
}

int customer_create(store *db, const actor *who, const customer_input *in, customer *out,
                    sn_err *e)
{
    int64_t now = clock_now_ms(), id;
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save customer");
    int rc = insert_customer(db, in->has_name ? in->name : "", now, &id);
    if (rc < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save customer");
    if (rc == 0) rc = attach_identities(db, id, in, now, e);
    if (rc == 0 && audit_customer(db, who, "customer.create", id, NULL) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save customer");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save customer");
    if (rc < 0) {
        store_rollback(db);
        return rc;
    }
    return customer_get(db, id, out, e);
}

int customer_update(store *db, const actor *who, int64_t id, const customer_input *in,
                    customer *out, sn_err *e)
{
    int64_t now = clock_now_ms();
    customer old;
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot save customer");
    int rc = customer_get(db, id, &old, e);
    if (rc == 0 && old.id != id) rc = sn_fail(e, SN_ECONFLICT, NULL, "the customer was merged");
    if (rc == 0 && in->has_name && set_name(db, id, in->name, now) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save customer");
    if (rc == 0) rc = attach_identities(db, id, in, now, e);
    if (rc == 0 && audit_customer(db, who, "customer.update", id, NULL) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot save customer");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot save customer");
    if (rc < 0) {
        store_rollback(db);
        return rc;
    }
    return customer_get(db, id, out, e);
}

static int exec_ids(store *db, const char *sql, int64_t a, int64_t b)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, a);
    store_bind_int(st, 2, b);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int customer_merge(store *db, const actor *who, int64_t into, int64_t other, sn_err *e)
{
    customer a, b;
    if (into == other) return sn_fail(e, SN_EUNPROCESSABLE, "other_id", "cannot merge a customer into itself");
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot merge");
    int rc = customer_get(db, into, &a, e);
    if (rc == 0) rc = customer_get(db, other, &b, e);
    if (rc == SN_ENOTFOUND && a.id == into) e->field[0] = '\0';
    if (rc == 0 && (a.id != into || b.id != other))
        rc = sn_fail(e, SN_ECONFLICT, "other_id", "one of the customers was already merged");
    if (rc == 0 &&
        (exec_ids(db, "UPDATE customer_identities SET customer_id = ? WHERE customer_id = ?", into, other) < 0 ||
         exec_ids(db, "UPDATE conversations SET customer_id = ? WHERE customer_id = ?", into, other) < 0 ||
         exec_ids(db, "UPDATE contacts SET customer_id = ? WHERE customer_id = ?", into, other) < 0 ||
         exec_ids(db, "UPDATE customers SET merged_into = ? WHERE id = ?", into, other) < 0))
        rc = sn_fail(e, SN_EDB, NULL, "cannot merge");
    if (rc == 0 && !a.name[0] && b.name[0] && set_name(db, into, b.name, clock_now_ms()) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot merge");
    if (rc == 0 && audit_customer(db, who, "customer.merge", into,
                                  json_pack("{s:I}", "merged", (json_int_t)other)) < 0)
        rc = sn_fail(e, SN_EDB, NULL, "cannot merge");
    if (rc == 0 && store_commit(db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot merge");
    if (rc < 0) store_rollback(db);
    return rc;
}

/* Ids of customers whose identities match q exactly (after normalising q as each kind). */
static int search_identities(store *db, const char *q, int64_t *ids, int max, int *n)
{
    *n = 0;
    for (int k = ID_NATIONAL_ID; k <= ID_X_HANDLE && *n < max; k++) {
        customer_identity id = {.kind = (enum identity_kind)k};
        sn_err ignore;
        if (identity_normalize(id.kind, q, id.value, sizeof id.value, &ignore) < 0) continue;
        int64_t owner;
        if (identity_owner(db, &id, &owner, NULL) < 0) return SN_EDB;
        if (owner) ids[(*n)++] = owner;
    }
    return 0;
}

int customer_search(store *db, const char *q, int64_t after_id, int limit, customer **out, int *n,
                    sn_err *e)
{
    int64_t exact[8];
    int nexact = 0;
    *out = NULL;
    *n = 0;
    if (search_identities(db, q, exact, 8, &nexact) < 0) return sn_fail(e, SN_EDB, NULL, "cannot search");
    char *norm = text_normalize_dup(q);
    if (!norm) return sn_fail(e, SN_EINVALID, "q", "q is not valid text");
    size_t plen = strlen(norm) + 3;
    char *pattern = malloc(plen);
    if (!pattern) {
        free(norm);
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    }
    snprintf(pattern, plen, "%%%s%%", norm);
    free(norm);
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id FROM customers WHERE merged_into IS NULL AND id > ? AND "
                               "(search_text LIKE ? OR id = ? OR id = ? OR id = ?) ORDER BY id LIMIT ?",
                           &st);
    customer *list = calloc((size_t)limit + 1, sizeof *list);
    int count = 0;
    if (rc == 0 && list) {
        store_bind_int(st, 1, after_id);
        store_bind_text(st, 2, pattern);
        for (int i = 0; i < 3; i++) store_bind_int(st, 3 + i, i < nexact ? exact[i] : -1);
        store_bind_int(st, 6, limit);
        while ((rc = store_step(st)) == STORE_ROW && count < limit) list[count++].id = store_col_int(st, 0);
        store_finish(st);
    }
    free(pattern);
    for (int i = 0; rc >= 0 && list && i < count; i++) rc = customer_get(db, list[i].id, &list[i], e);
    if (!list || rc < 0) {
        free(list);
        return sn_fail(e, SN_EDB, NULL, "cannot search");
    }
    *out = list;
    *n = count;
    return 0;
}

int customer_audit_reveal(store *db, const actor *who, const customer *c, const char *reason,
                          sn_err *e)
{
    json_t *fields = json_array();
    for (int i = 0; i < c->nids; i++) {
        const char *f = id_fields[c->ids[i].kind];
        int seen = 0;
        size_t k;
        json_t *v;
        json_array_foreach(fields, k, v) if (!strcmp(json_string_value(v), f)) seen = 1;
        if (!seen) json_array_append_new(fields, json_string(f));
    }
    json_t *detail = json_pack("{s:o, s:s}", "fields", fields, "reason", reason);
    char oid[24], *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(oid, sizeof oid, "%" PRId64, c->id);
    int rc = text ? audit_record(db, who, "customer.reveal", "customer", oid, text) : SN_EINTERNAL;
    free(text);
    json_decref(detail);
    /* No audit row, no reveal. */
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot record the reveal") : 0;
}

json_t *customer_json(const customer *c, int reveal)
{
    json_t *o = json_pack("{s:I, s:s, s:b, s:n, s:n, s:[], s:[], s:n}", "id", (json_int_t)c->id,
                          "name", c->name, "verified", c->verified, "national_id", "cr_number",
                          "phones", "emails", "x_handle");
    for (int i = 0; i < c->nids; i++) {
        const customer_identity *id = &c->ids[i];
        char masked[160];
        const char *shown = id->value;
        if (!reveal) {
            identity_mask(id->kind, id->value, masked, sizeof masked);
            shown = masked;
        }
        json_t *arr = json_object_get(o, id_fields[id->kind]);
        if (json_is_array(arr))
            json_array_append_new(arr, json_string(shown));
        else
            json_object_set_new(o, id_fields[id->kind], json_string(shown));
    }
    json_object_set_new(o, "masked", json_boolean(!reveal));
    return o;
}
