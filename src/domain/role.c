/* role.c — role names ↔ bits. */
#include "domain.h"

#include <string.h>

static const char *const role_names[ROLE_COUNT] = {
    "admin", "supervisor", "agent", "department_staff", "service_owner", "qa_evaluator",
};

const actor actor_system = {0, "system", ROLES_ALL, "", ""};

const char *role_name(unsigned bit)
{
    for (int i = 0; i < ROLE_COUNT; i++)
        if (bit == 1u << i) return role_names[i];
    return NULL;
}

unsigned role_parse(const char *name)
{
    for (int i = 0; i < ROLE_COUNT; i++)
        if (!strcmp(name, role_names[i])) return 1u << i;
    return 0;
}
