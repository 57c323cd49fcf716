/* user.c — staff accounts and their roles. */
#include "user.h"

#include "audit.h"
#include "session.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/crypto.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) n++;
    return n;
}

int user_check_password(const char *password, sn_err *e)
{
    if (utf8_chars(password) < USER_PASSWORD_MIN)
        return sn_fail(e, SN_EUNPROCESSABLE, "password", "password must have at least %d characters",
                       USER_PASSWORD_MIN);
    if (strlen(password) > USER_PASSWORD_MAX)
        return sn_fail(e, SN_EUNPROCESSABLE, "password", "password is too long");
    return 0;
}

int user_check_email(const char *email, sn_err *e)
{
    const char *at = strchr(email, '@');
    size_t n = strlen(email);
    if (!at || at == email || !at[1] || strchr(at + 1, '@') || n > 254 || strchr(email, ' '))
        return sn_fail(e, SN_EUNPROCESSABLE, "email", "email address is not valid");
    return 0;
}

static int check_name(const char *name, sn_err *e)
{
    size_t n = utf8_chars(name);
    if (n == 0 || n > 200 || strlen(name) >= sizeof(((user *)0)->name))
        return sn_fail(e, SN_EUNPROCESSABLE, "name", "name must have 1 to 200 characters");
    return 0;
}

static void lower_copy(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++) dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

int user_roles_of_rows(store_stmt *st, int col, unsigned *roles)
{
    int rc = STORE_ROW;
    *roles = 0;
    for (; rc == STORE_ROW; rc = store_step(st))
        if (!store_col_is_null(st, col)) *roles |= role_parse(store_col_text(st, col));
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int user_load_roles(store *db, int64_t id, unsigned *roles)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT role FROM user_roles WHERE user_id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    *roles = 0;
    while ((rc = store_step(st)) == STORE_ROW) *roles |= role_parse(store_col_text(st, 0));
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int write_roles(store *db, int64_t id, unsigned roles)
{
    store_stmt *st;
    int rc = store_prepare(db, "DELETE FROM user_roles WHERE user_id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    store_finish(st);
    if (rc < 0) return rc;
    for (int i = 0; i < ROLE_COUNT; i++) {
        if (!(roles & (1u << i))) continue;
        if ((rc = store_prepare(db, "INSERT INTO user_roles (user_id, role) VALUES (?, ?)", &st)) < 0)
            return rc;
        store_bind_int(st, 1, id);
        store_bind_text(st, 2, role_name(1u << i));
        rc = store_step(st);
        store_finish(st);
        if (rc < 0) return rc;
    }
    return 0;
}

#define USER_COLUMNS "id, email, name, disabled, locale, created_at, updated_at, password_hash"

static void read_user(store_stmt *st, user *u)
{
    u->id = store_col_int(st, 0);
    snprintf(u->email, sizeof u->email, "%s", store_col_text(st, 1));
    snprintf(u->name, sizeof u->name, "%s", store_col_text(st, 2));
    u->disabled = (int)store_col_int(st, 3);
    snprintf(u->locale, sizeof u->locale, "%s", store_col_text(st, 4));
    u->created_at = store_col_int(st, 5);
    u->updated_at = store_col_int(st, 6);
    u->roles = 0;
}

int user_get(store *db, int64_t id, user *out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " USER_COLUMNS " FROM users WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read user");
    store_bind_int(st, 1, id);
    int rc = store_step(st);
    if (rc == STORE_ROW) read_user(st, out);
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read user");
    if (rc != STORE_ROW) return sn_fail(e, SN_ENOTFOUND, NULL, "no such user");
    if (user_load_roles(db, id, &out->roles) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read user");
    return 0;
}

int user_find_by_email(store *db, const char *email, user *out, char *hash, size_t hash_size,
                       sn_err *e)
{
    char lower[256];
    lower_copy(lower, sizeof lower, email);
    store_stmt *st;
    if (store_prepare(db, "SELECT " USER_COLUMNS " FROM users WHERE email = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read user");
    store_bind_text(st, 1, lower);
    int rc = store_step(st);
    if (rc == STORE_ROW) {
        read_user(st, out);
        if (hash) snprintf(hash, hash_size, "%s", store_col_text(st, 7));
    }
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read user");
    if (rc != STORE_ROW) return sn_fail(e, SN_ENOTFOUND, NULL, "no such user");
    if (user_load_roles(db, out->id, &out->roles) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read user");
    return 0;
}

int user_list(store *db, int64_t after_id, int limit, user **out, int *n, sn_err *e)
{
    store_stmt *st;
    *out = NULL;
    *n = 0;
    if (store_prepare(db, "SELECT " USER_COLUMNS " FROM users WHERE id > ? ORDER BY id LIMIT ?",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list users");
    store_bind_int(st, 1, after_id);
    store_bind_int(st, 2, limit);
    user *list = calloc((size_t)limit + 1, sizeof *list);
    int count = 0, rc = 0;
    while (list && (rc = store_step(st)) == STORE_ROW) read_user(st, &list[count++]);
    store_finish(st);
    for (int i = 0; rc >= 0 && i < count; i++) rc = user_load_roles(db, list[i].id, &list[i].roles);
    if (!list || rc < 0) {
        free(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list users");
    }
    *out = list;
    *n = count;
    return 0;
}

static json_t *roles_json(unsigned roles)
{
    json_t *a = json_array();
    for (int i = 0; i < ROLE_COUNT; i++)
        if (roles & (1u << i)) json_array_append_new(a, json_string(role_name(1u << i)));
    return a;
}

static int audit_user(store *db, const actor *who, const char *action, int64_t id, json_t *detail)
{
    char oid[24], *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(oid, sizeof oid, "%" PRId64, id);
    int rc = text ? audit_append(db, who, action, "user", oid, text) : SN_EINTERNAL;
    free(text);
    return rc;
}

int user_create(store *db, const actor *who, const user_input *in, user *out, sn_err *e)
{
    int rc;
    char email[256], hash[256];
    if ((rc = user_check_email(in->email ? in->email : "", e)) < 0) return rc;
    if ((rc = check_name(in->name ? in->name : "", e)) < 0) return rc;
    if ((rc = user_check_password(in->password ? in->password : "", e)) < 0) return rc;
    lower_copy(email, sizeof email, in->email);
    if (crypto_password_hash(in->password, hash, sizeof hash) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot hash password");

    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot create user");
    store_stmt *st;
    int64_t now = clock_now_ms(), id = 0;
    if ((rc = store_prepare(db, "INSERT INTO users (email, name, password_hash, disabled, "
                                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                            &st)) < 0)
        goto fail;
    store_bind_text(st, 1, email);
    store_bind_text(st, 2, in->name);
    store_bind_text(st, 3, hash);
    store_bind_int(st, 4, in->has_disabled && in->disabled);
    store_bind_int(st, 5, now);
    store_bind_int(st, 6, now);
    rc = store_step(st);
    if (rc == STORE_ROW) id = store_col_int(st, 0);
    store_finish(st);
    if (rc == SN_ECONFLICT) {
        store_rollback(db);
        return sn_fail_slug(e, SN_ECONFLICT, "duplicate", "email", "a user with this email exists");
    }
    if (rc != STORE_ROW) goto fail;
    if ((rc = write_roles(db, id, in->roles)) < 0) goto fail;
    json_t *detail = json_pack("{s:s, s:o, s:b}", "email", email, "roles", roles_json(in->roles),
                               "disabled", in->has_disabled && in->disabled);
    rc = audit_user(db, who, "user.create", id, detail);
    json_decref(detail);
    if (rc < 0 || (rc = store_commit(db)) < 0) goto fail;
    return user_get(db, id, out, e);
fail:
    store_rollback(db);
    return sn_fail(e, SN_EDB, NULL, "cannot create user");
}

static int exec_update(store *db, const char *sql, const char *text, int64_t num, int64_t id)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    if (text)
        store_bind_text(st, 1, text);
    else
        store_bind_int(st, 1, num);
    store_bind_int(st, 2, clock_now_ms());
    store_bind_int(st, 3, id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* Apply the changed fields of `in` to user `id`; record what changed in `detail`. Returns
 * 1 when the user's sessions must end (disabled, or a new password). */
static int apply_update(store *db, int64_t id, const user *old, const user_input *in,
                        const char *hash, json_t *changed, int *end_sessions)
{
    int rc = 0;
    *end_sessions = 0;
    if (in->name && strcmp(in->name, old->name) != 0) {
        rc = exec_update(db, "UPDATE users SET name = ?, updated_at = ? WHERE id = ?", in->name, 0, id);
        json_object_set_new(changed, "name", json_pack("{s:s, s:s}", "from", old->name, "to", in->name));
    }
    if (rc == 0 && in->has_roles && in->roles != old->roles) {
        rc = write_roles(db, id, in->roles);
        json_object_set_new(changed, "roles", json_pack("{s:o, s:o}", "from", roles_json(old->roles),
                                                        "to", roles_json(in->roles)));
    }
    if (rc == 0 && in->has_disabled && !!in->disabled != !!old->disabled) {
        rc = exec_update(db, "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", NULL,
                         !!in->disabled, id);
        json_object_set_new(changed, "disabled", json_boolean(in->disabled));
        if (in->disabled) *end_sessions = 1;
    }
    if (rc == 0 && hash) {
        rc = exec_update(db, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?", hash,
                         0, id);
        json_object_set_new(changed, "password", json_true());
        *end_sessions = 1;
    }
    return rc;
}

int user_update(store *db, const actor *who, int64_t id, const user_input *in, user *out,
                sn_err *e)
{
    int rc;
    user old;
    char hash[256];
    if (in->name && (rc = check_name(in->name, e)) < 0) return rc;
    if (in->password) {
        if ((rc = user_check_password(in->password, e)) < 0) return rc;
        if (crypto_password_hash(in->password, hash, sizeof hash) < 0)
            return sn_fail(e, SN_EINTERNAL, NULL, "cannot hash password");
    }
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot update user");
    if ((rc = user_get(db, id, &old, e)) < 0) {
        store_rollback(db);
        return rc;
    }
    json_t *changed = json_object();
    int end_sessions;
    rc = apply_update(db, id, &old, in, in->password ? hash : NULL, changed, &end_sessions);
    if (rc == 0 && end_sessions) rc = session_end_user(db, id);
    if (rc == 0 && json_object_size(changed) > 0) {
        json_t *detail = json_pack("{s:o}", "changed", changed);
        rc = audit_user(db, who, "user.update", id, detail);
        json_decref(detail);
    } else {
        json_decref(changed);
    }
    if (rc < 0 || store_commit(db) < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot update user");
    }
    return user_get(db, id, out, e);
}

int user_set_locale(store *db, const actor *who, int64_t id, const char *locale, sn_err *e)
{
    (void)who;
    if (strcmp(locale, "ar") && strcmp(locale, "en"))
        return sn_fail(e, SN_EUNPROCESSABLE, "locale", "locale must be ar or en");
    store_stmt *st;
    if (store_prepare(db, "UPDATE users SET locale = ? WHERE id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot save the language");
    store_bind_text(st, 1, locale);
    store_bind_int(st, 2, id);
    int rc = store_step(st);
    store_finish(st);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot save the language") : 0;
}
