/* routes.c — the one route table: method, path, handler, roles, body, response. The router,
 * the role checks and the OpenAPI document all come from here. */
#include "api.h"

#define ANY_USER ROLES_ALL

const api_route api_routes[] = {
    /* method, pattern, handler, roles, body, query, status, response, tag, summary */
    {"GET", "/healthz", api_healthz, ROLES_PUBLIC, NULL, NULL, 200, "Health", "system",
     "Liveness and database backend"},
    {"GET", "/metrics", api_metrics, ROLES_PUBLIC, NULL, NULL, 200, NULL, "system",
     "Prometheus metrics (text format)"},
    {"GET", "/api/v1/openapi.json", api_openapi, ROLES_PUBLIC, NULL, NULL, 200, NULL, "system",
     "This OpenAPI document"},

    {"POST", "/api/v1/auth/login", api_auth_login, ROLES_PUBLIC, login_fields, NULL, 200,
     "Session", "auth", "Sign in; sets the sanad_session cookie and returns the CSRF token"},
    {"POST", "/api/v1/auth/logout", api_auth_logout, ANY_USER, NULL, NULL, 204, NULL, "auth",
     "End the current session"},
    {"GET", "/api/v1/me", api_me_get, ANY_USER, NULL, NULL, 200, "Session", "auth",
     "The signed-in user (and the session's CSRF token)"},

    {"POST", "/api/v1/tokens", api_tokens_create, ANY_USER, token_create_fields, NULL, 201,
     "NewToken", "auth", "Create an API token for the caller; the secret is shown once"},
    {"GET", "/api/v1/tokens", api_tokens_list, ANY_USER, NULL, NULL, 200, "TokenList", "auth",
     "The caller's active API tokens"},
    {"DELETE", "/api/v1/tokens/{id}", api_tokens_revoke, ANY_USER, NULL, NULL, 204, NULL, "auth",
     "Revoke an API token (own, or any for an admin)"},

    {"POST", "/api/v1/users", api_users_create, ROLE_ADMIN, user_create_fields, NULL, 201, "User",
     "users", "Create a user"},
    {"GET", "/api/v1/users", api_users_list, ROLE_ADMIN, NULL, page_query, 200, "UserList",
     "users", "List users"},
    {"GET", "/api/v1/users/{id}", api_users_get, ROLE_ADMIN, NULL, NULL, 200, "User", "users",
     "One user"},
    {"PATCH", "/api/v1/users/{id}", api_users_update, ROLE_ADMIN, user_update_fields, NULL, 200,
     "User", "users", "Change name, roles, disabled or password"},

    {"GET", "/api/v1/audit", api_audit_list, ROLE_ADMIN, NULL, audit_query, 200, "AuditList",
     "audit", "Search the audit log, newest first"},
};

const int api_route_count = sizeof api_routes / sizeof api_routes[0];
