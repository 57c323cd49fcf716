/* user.h — staff accounts: create, read, list, update; roles; password rules.
 * Passwords are argon2id hashes (never returned). Disabling a user or changing their password
 * ends all of their sessions. Every change is audited (user.create, user.update). */
#ifndef SANAD_USER_H
#define SANAD_USER_H

#include "domain.h"

#define USER_PASSWORD_MIN 10  /* characters (code points) */
#define USER_PASSWORD_MAX 1024 /* bytes */

typedef struct user {
    int64_t id;
    char email[256];
    char name[256];
    unsigned roles;
    int disabled;
    char locale[8];
    int64_t created_at, updated_at;
} user;

typedef struct user_input {
    const char *email;    /* create only */
    const char *name;     /* NULL: unchanged */
    const char *password; /* NULL: unchanged */
    unsigned roles;
    int has_roles;
    int disabled;
    int has_disabled;
} user_input;

int user_create(store *db, const actor *who, const user_input *in, user *out, sn_err *e);
int user_update(store *db, const actor *who, int64_t id, const user_input *in, user *out,
                sn_err *e);
int user_get(store *db, int64_t id, user *out, sn_err *e);
int user_find_by_email(store *db, const char *email, user *out, char *hash, size_t hash_size,
                       sn_err *e);
/* Users with id > after_id, ascending, at most limit. *out is allocated (free()). */
int user_list(store *db, int64_t after_id, int limit, user **out, int *n, sn_err *e);
/* Load the roles of a user into *roles. */
int user_load_roles(store *db, int64_t id, unsigned *roles);
/* The roles of a query that returns a user's row once per role (LEFT JOIN user_roles: NULL
 * when none) in column col, from the row st is on through the last; finishes st. */
int user_roles_of_rows(store_stmt *st, int col, unsigned *roles);

/* Set the interface language (ar | en). */
int user_set_locale(store *db, const actor *who, int64_t id, const char *locale, sn_err *e);

/* Validation shared with the command line. */
int user_check_password(const char *password, sn_err *e);
int user_check_email(const char *email, sn_err *e);

#endif
