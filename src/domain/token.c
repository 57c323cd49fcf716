/* token.c — API tokens for integrations: created once, stored as a hash, revocable. */
#include "session.h"

#include "audit.h"
#include "../core/clock.h"
#include "../core/crypto.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX "snd_"
#define TOKEN_TOUCH_MS 60000

int token_create(store *db, const actor *who, const char *name, api_token *out, char *secret,
                 size_t secret_size, sn_err *e)
{
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof out->name)
        return sn_fail(e, SN_EUNPROCESSABLE, "name", "name must have 1 to 127 characters");
    char raw[64], hash[65];
    crypto_token(raw, sizeof raw, 32);
    snprintf(secret, secret_size, TOKEN_PREFIX "%s", raw);
    crypto_sha256_hex(secret, strlen(secret), hash);

    int rc = store_begin_write(db);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot create token");
    store_stmt *st;
    int64_t now = clock_now_ms();
    if ((rc = store_prepare(db, "INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
                                "VALUES (?, ?, ?, ?) RETURNING id", &st)) < 0)
        goto fail;
    store_bind_int(st, 1, who->user_id);
    store_bind_text(st, 2, name);
    store_bind_text(st, 3, hash);
    store_bind_int(st, 4, now);
    rc = store_step(st);
    out->id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc != STORE_ROW) goto fail;
    out->user_id = who->user_id;
    out->created_at = now;
    out->last_used_at = 0;
    snprintf(out->name, sizeof out->name, "%s", name);

    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, out->id);
    json_t *detail = json_pack("{s:s}", "name", name);
    char *text = json_dumps(detail, JSON_COMPACT);
    rc = audit_append(db, who, "token.create", "api_token", oid, text);
    free(text);
    json_decref(detail);
    if (rc < 0 || store_commit(db) < 0) goto fail;
    return 0;
fail:
    store_rollback(db);
    return sn_fail(e, SN_EDB, NULL, "cannot create token");
}

int token_revoke(store *db, const actor *who, int64_t id, sn_err *e)
{
    int rc = store_begin_write(db);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot revoke token");
    store_stmt *st;
    if ((rc = store_prepare(db, "SELECT user_id FROM api_tokens WHERE id = ? AND revoked_at IS NULL",
                            &st)) < 0)
        goto fail;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    int64_t owner = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc < 0) goto fail;
    /* Someone else's token is "not found" to anyone but an admin: ids are not an oracle. */
    if (rc != STORE_ROW || (owner != who->user_id && !(who->roles & ROLE_ADMIN))) {
        store_rollback(db);
        return sn_fail(e, SN_ENOTFOUND, NULL, "no such token");
    }
    if ((rc = store_prepare(db, "UPDATE api_tokens SET revoked_at = ? WHERE id = ?", &st)) < 0)
        goto fail;
    store_bind_int(st, 1, clock_now_ms());
    store_bind_int(st, 2, id);
    rc = store_step(st);
    store_finish(st);
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    if (rc < 0 || audit_append(db, who, "token.revoke", "api_token", oid, NULL) < 0 ||
        store_commit(db) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(db);
    return sn_fail(e, SN_EDB, NULL, "cannot revoke token");
}

int token_list(store *db, int64_t user_id, api_token **out, int *n, sn_err *e)
{
    store_stmt *st;
    *out = NULL;
    *n = 0;
    if (store_prepare(db, "SELECT id, user_id, name, created_at, COALESCE(last_used_at, 0) "
                          "FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL ORDER BY id",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list tokens");
    store_bind_int(st, 1, user_id);
    int cap = 0, count = 0, rc;
    api_token *list = NULL;
    while ((rc = store_step(st)) == STORE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            api_token *grown = realloc(list, (size_t)cap * sizeof *list);
            if (!grown) {
                rc = SN_EINTERNAL;
                break;
            }
            list = grown;
        }
        api_token *t = &list[count++];
        t->id = store_col_int(st, 0);
        t->user_id = store_col_int(st, 1);
        snprintf(t->name, sizeof t->name, "%s", store_col_text(st, 2));
        t->created_at = store_col_int(st, 3);
        t->last_used_at = store_col_int(st, 4);
    }
    store_finish(st);
    if (rc < 0) {
        free(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list tokens");
    }
    *out = list;
    *n = count;
    return 0;
}

int token_lookup(store *db, const char *secret, principal *out)
{
    if (strncmp(secret, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0) return SN_EUNAUTH;
    char hash[65];
    crypto_sha256_hex(secret, strlen(secret), hash);
    store_stmt *st;
    /* The roles come with the token, a row each: one round trip per request, not two. */
    if (store_prepare(db, "SELECT t.id, t.user_id, COALESCE(t.last_used_at, 0), u.email, u.name, "
                          "r.role FROM api_tokens t JOIN users u ON u.id = t.user_id "
                          "LEFT JOIN user_roles r ON r.user_id = t.user_id "
                          "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0",
                      &st) < 0)
        return SN_EDB;
    store_bind_text(st, 1, hash);
    int rc = store_step(st);
    if (rc != STORE_ROW) {
        store_finish(st);
        return rc < 0 ? rc : SN_EUNAUTH;
    }
    out->token_id = store_col_int(st, 0);
    out->user_id = store_col_int(st, 1);
    int64_t used = store_col_int(st, 2), now = clock_now_ms();
    out->session_id = 0;
    out->csrf[0] = '\0';
    snprintf(out->email, sizeof out->email, "%s", store_col_text(st, 3));
    snprintf(out->name, sizeof out->name, "%s", store_col_text(st, 4));
    if ((rc = user_roles_of_rows(st, 5, &out->roles)) < 0) return rc;
    if (now - used > TOKEN_TOUCH_MS && store_prepare(db, "UPDATE api_tokens SET last_used_at = ? "
                                                         "WHERE id = ?", &st) == 0) {
        store_bind_int(st, 1, now);
        store_bind_int(st, 2, out->token_id);
        store_step(st);
        store_finish(st);
    }
    return 0;
}
