/* membership.h — what a user belongs to beyond roles: departments (for department staff and
 * escalations), skills (service lines an agent may be routed), capacity (most open
 * conversations at once) and availability (online | away | offline). */
#ifndef SANAD_MEMBERSHIP_H
#define SANAD_MEMBERSHIP_H

#include "domain.h"

#include <jansson.h>

/* Check the codes of "departments" / "skills" (arrays of codes, each may be NULL) and the
 * capacity (1..500) before anything is written: 422 naming the field. */
int membership_check(store *db, json_t *departments, json_t *skills, json_t *capacity, sn_err *e);
/* Replace the given parts inside the caller's write transaction. */
int membership_write(store *db, int64_t user_id, json_t *departments, json_t *skills,
                     json_t *capacity);
/* The staff directory: every enabled user as {"id","name","roles","availability","departments"}
 * (no email or other personal data), by name. */
int membership_directory_json(store *db, json_t **out, sn_err *e);
/* Add "departments", "skills", "capacity", "availability" to a user's JSON object. */
int membership_add_json(store *db, int64_t user_id, json_t *obj);

#endif
