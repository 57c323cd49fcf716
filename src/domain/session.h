/* session.h — signing in and out, session and API-token authentication, brute-force limits.
 *
 * A session is a random 256-bit token held by the browser in the `sanad_session` cookie; only
 * its SHA-256 is stored. Each session has its own CSRF token. A session ends on logout, after
 * `idle_ms` without use, `absolute_ms` after login, or when its user is disabled or changes
 * password. API tokens ("snd_…") are the same idea for integrations, without expiry, revocable.
 *
 * Login limits: LOGIN_ACCOUNT_MAX failures on one account within LOGIN_ACCOUNT_WINDOW_MS, or
 * LOGIN_ADDRESS_MAX failures from one address within LOGIN_ADDRESS_WINDOW_MS, refuse further
 * attempts with SN_ERATE and retry_after set. */
#ifndef SANAD_SESSION_H
#define SANAD_SESSION_H

#include "domain.h"
#include "user.h"

#define LOGIN_ACCOUNT_MAX 10
#define LOGIN_ACCOUNT_WINDOW_MS (15 * 60 * 1000)
#define LOGIN_ADDRESS_MAX 30
#define LOGIN_ADDRESS_WINDOW_MS (60 * 1000)

typedef struct session_policy {
    int64_t idle_ms;
    int64_t absolute_ms;
} session_policy;

/* The authenticated caller of a request. */
typedef struct principal {
    int64_t user_id;
    int64_t session_id; /* 0 when authenticated by an API token */
    int64_t token_id;   /* 0 when authenticated by a session */
    char email[256];
    char name[256];
    unsigned roles;
    char csrf[64];      /* the session's CSRF token, "" for API tokens */
} principal;

typedef struct session_new {
    char token[64]; /* the cookie value, shown once */
    char csrf[64];
    user who;
} session_new;

/* Check credentials and limits; on success create a session. `ip` and `request_id` go to the
 * audit log. Wrong credentials → SN_EUNAUTH with the same message for every cause. */
int session_login(store *db, const char *email, const char *password, const actor *from,
                  session_new *out, sn_err *e);
/* Resolve a cookie token. SN_EUNAUTH when unknown, expired or its user disabled. */
int session_lookup(store *db, const char *token, const session_policy *policy, principal *out);
/* End the session of a token (logout). */
int session_end(store *db, const actor *who, int64_t session_id);
/* End every session of a user (inside the caller's transaction). */
int session_end_user(store *db, int64_t user_id);

/* API tokens. */
typedef struct api_token {
    int64_t id, user_id, created_at, last_used_at;
    char name[128];
} api_token;

int token_create(store *db, const actor *who, const char *name, api_token *out, char *secret,
                 size_t secret_size, sn_err *e);
/* Revoke; only the owner or an admin. */
int token_revoke(store *db, const actor *who, int64_t id, sn_err *e);
int token_list(store *db, int64_t user_id, api_token **out, int *n, sn_err *e);
int token_lookup(store *db, const char *secret, principal *out);

#endif
