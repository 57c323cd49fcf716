/* session.c — login with brute-force limits, session lookup and end. */
#include "session.h"

#include "audit.h"
#include "../core/clock.h"
#include "../core/crypto.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Verifying against this hash when the account does not exist keeps the timing alike. */
static char dummy_hash[256];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_hash_init(void)
{
    crypto_password_hash("not a real password", dummy_hash, sizeof dummy_hash);
}

static int count_failures(store *db, const char *sql, const char *key, int64_t since,
                          int64_t *count, int64_t *oldest)
{
    store_stmt *st;
    int rc = store_prepare(db, sql, &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, key);
    store_bind_int(st, 2, since);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        *count = store_col_int(st, 0);
        *oldest = store_col_int(st, 1);
    }
    store_finish(st);
    return rc == STORE_ROW ? 0 : SN_EDB;
}

/* SN_ERATE when the account or the address is over its limit. */
static int check_limits(store *db, const char *email, const char *ip, sn_err *e)
{
    int64_t now = clock_now_ms(), n = 0, oldest = 0;
    if (count_failures(db, "SELECT COUNT(*), COALESCE(MIN(at), 0) FROM login_failures "
                           "WHERE email = ? AND at > ?",
                       email, now - LOGIN_ACCOUNT_WINDOW_MS, &n, &oldest) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot check login limits");
    int64_t wait_ms = 0;
    if (n >= LOGIN_ACCOUNT_MAX) wait_ms = oldest + LOGIN_ACCOUNT_WINDOW_MS - now;
    if (count_failures(db, "SELECT COUNT(*), COALESCE(MIN(at), 0) FROM login_failures "
                           "WHERE ip = ? AND at > ?",
                       ip, now - LOGIN_ADDRESS_WINDOW_MS, &n, &oldest) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot check login limits");
    if (n >= LOGIN_ADDRESS_MAX && oldest + LOGIN_ADDRESS_WINDOW_MS - now > wait_ms)
        wait_ms = oldest + LOGIN_ADDRESS_WINDOW_MS - now;
    if (wait_ms <= 0) return 0;
    sn_fail_slug(e, SN_ERATE, "too_many_attempts", NULL,
                 "too many failed sign-in attempts; try again later");
    if (e) e->retry_after = (int)(wait_ms / 1000) + 1;
    return SN_ERATE;
}

static int record_failure(store *db, const char *email, const actor *from)
{
    int rc = store_begin_write(db);
    if (rc < 0) return rc;
    store_stmt *st;
    if ((rc = store_prepare(db, "INSERT INTO login_failures (email, ip, at) VALUES (?, ?, ?)",
                            &st)) == 0) {
        store_bind_text(st, 1, email);
        store_bind_text(st, 2, from->ip);
        store_bind_int(st, 3, clock_now_ms());
        rc = store_step(st) == STORE_DONE ? 0 : SN_EDB;
        store_finish(st);
    }
    json_t *detail = json_pack("{s:s}", "email", email);
    char *text = json_dumps(detail, JSON_COMPACT);
    if (rc == 0) rc = audit_append(db, from, "auth.login_failed", "user", "", text);
    free(text);
    json_decref(detail);
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) store_rollback(db);
    return rc;
}

static int insert_session(store *db, const user *u, const actor *from, session_new *out)
{
    char hash[65];
    crypto_token(out->token, sizeof out->token, 32);
    crypto_token(out->csrf, sizeof out->csrf, 32);
    crypto_sha256_hex(out->token, strlen(out->token), hash);
    int64_t now = clock_now_ms();
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, "
                               "last_seen_at, ip) VALUES (?, ?, ?, ?, ?, ?) RETURNING id", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, hash);
    store_bind_int(st, 2, u->id);
    store_bind_text(st, 3, out->csrf);
    store_bind_int(st, 4, now);
    store_bind_int(st, 5, now);
    store_bind_text(st, 6, from->ip);
    rc = store_step(st);
    int64_t sid = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc != STORE_ROW) return SN_EDB;

    /* A success clears the account's failure count. */
    if ((rc = store_prepare(db, "DELETE FROM login_failures WHERE email = ?", &st)) < 0) return rc;
    store_bind_text(st, 1, u->email);
    rc = store_step(st);
    store_finish(st);
    if (rc < 0) return rc;

    actor who = *from;
    who.user_id = u->id;
    who.email = u->email;
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, sid);
    return audit_append(db, &who, "auth.login", "session", oid, NULL);
}

int session_login(store *db, const char *email_in, const char *password, const actor *from,
                  session_new *out, sn_err *e)
{
    char email[256], hash[256] = "";
    size_t i = 0;
    for (; email_in[i] && i + 1 < sizeof email; i++)
        email[i] = (char)tolower((unsigned char)email_in[i]);
    email[i] = '\0';

    int rc = check_limits(db, email, from->ip, e);
    if (rc < 0) return rc;
    sn_err lookup;
    rc = user_find_by_email(db, email, &out->who, hash, sizeof hash, &lookup);
    if (rc < 0 && rc != SN_ENOTFOUND) return sn_fail(e, rc, NULL, "cannot sign in now");
    pthread_once(&dummy_once, dummy_hash_init);
    int ok = crypto_password_verify(rc == 0 ? hash : dummy_hash, password) && rc == 0 &&
             !out->who.disabled;
    if (!ok) {
        record_failure(db, email, from);
        return sn_fail_slug(e, SN_EUNAUTH, "invalid_credentials", NULL,
                            "the email or password is not correct");
    }
    if ((rc = store_begin_write(db)) < 0) return sn_fail(e, SN_EDB, NULL, "cannot sign in now");
    if ((rc = insert_session(db, &out->who, from, out)) < 0 || (rc = store_commit(db)) < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot sign in now");
    }
    return 0;
}

/* Touching last_seen_at on every request would make every read a write; once a minute is
 * precise enough for a 30-minute idle timeout. */
#define SESSION_TOUCH_MS 60000

static void session_touch(store *db, int64_t id, int64_t now)
{
    store_stmt *st;
    if (store_prepare(db, "UPDATE sessions SET last_seen_at = ? WHERE id = ?", &st) < 0) return;
    store_bind_int(st, 1, now);
    store_bind_int(st, 2, id);
    store_step(st);
    store_finish(st);
}

int session_lookup(store *db, const char *token, const session_policy *policy, principal *out)
{
    char hash[65];
    crypto_sha256_hex(token, strlen(token), hash);
    store_stmt *st;
    /* The roles come with the session, a row each: one round trip per request, not two. */
    if (store_prepare(db, "SELECT s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, "
                          "u.email, u.name, u.disabled, r.role FROM sessions s JOIN users u "
                          "ON u.id = s.user_id LEFT JOIN user_roles r ON r.user_id = s.user_id "
                          "WHERE s.token_hash = ?", &st) < 0)
        return SN_EDB;
    store_bind_text(st, 1, hash);
    int rc = store_step(st);
    if (rc != STORE_ROW) {
        store_finish(st);
        return rc < 0 ? rc : SN_EUNAUTH;
    }
    int64_t now = clock_now_ms(), created = store_col_int(st, 3), seen = store_col_int(st, 4);
    int disabled = (int)store_col_int(st, 7);
    out->session_id = store_col_int(st, 0);
    out->user_id = store_col_int(st, 1);
    out->token_id = 0;
    snprintf(out->csrf, sizeof out->csrf, "%s", store_col_text(st, 2));
    snprintf(out->email, sizeof out->email, "%s", store_col_text(st, 5));
    snprintf(out->name, sizeof out->name, "%s", store_col_text(st, 6));
    if ((rc = user_roles_of_rows(st, 8, &out->roles)) < 0) return rc;
    if (disabled || now - created > policy->absolute_ms || now - seen > policy->idle_ms)
        return SN_EUNAUTH;
    if (now - seen > SESSION_TOUCH_MS) session_touch(db, out->session_id, now);
    return 0;
}

int session_end(store *db, const actor *who, int64_t session_id)
{
    int rc = store_begin_write(db);
    if (rc < 0) return rc;
    store_stmt *st;
    if ((rc = store_prepare(db, "DELETE FROM sessions WHERE id = ?", &st)) == 0) {
        store_bind_int(st, 1, session_id);
        rc = store_step(st) == STORE_DONE ? 0 : SN_EDB;
        store_finish(st);
    }
    char oid[24];
    snprintf(oid, sizeof oid, "%" PRId64, session_id);
    if (rc == 0) rc = audit_append(db, who, "auth.logout", "session", oid, NULL);
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) store_rollback(db);
    return rc;
}

int session_end_user(store *db, int64_t user_id)
{
    store_stmt *st;
    int rc = store_prepare(db, "DELETE FROM sessions WHERE user_id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, user_id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}
