/* domain.h — what every domain module shares: roles and the acting principal.
 * The domain never sees HTTP: callers hand it a store connection and an `actor`. */
#ifndef SANAD_DOMAIN_H
#define SANAD_DOMAIN_H

#include "../core/err.h"
#include "../store/store.h"

#include <stdint.h>

enum role {
    ROLE_ADMIN = 1u << 0,
    ROLE_SUPERVISOR = 1u << 1,
    ROLE_AGENT = 1u << 2,
    ROLE_DEPARTMENT_STAFF = 1u << 3,
    ROLE_SERVICE_OWNER = 1u << 4,
    ROLE_QA_EVALUATOR = 1u << 5,
};
#define ROLES_ALL 0x3fu
#define ROLE_COUNT 6

/* The role's name ("admin"…) for one bit, or NULL. */
const char *role_name(unsigned bit);
/* The bit of a role name, or 0 when unknown. */
unsigned role_parse(const char *name);

/* Who acts, from where: written into the audit log by every change. */
typedef struct actor {
    int64_t user_id;        /* 0 for the system or an anonymous caller */
    const char *email;      /* "" when none */
    unsigned roles;
    const char *ip;         /* client address, "" when none */
    const char *request_id; /* "" outside a request */
} actor;

/* The system actor, used by commands run from the shell. */
extern const actor actor_system;

#endif
