/* demo.h — the demo organisation: a ministry's unified service center with its service lines,
 * back-office departments, the government entities it refers to, and one user per role. */
#ifndef SANAD_DEMO_H
#define SANAD_DEMO_H

#include "domain.h"

/* Called once per created user with its password (printed once by the caller). */
typedef void (*demo_user_fn)(const char *email, const char *role, const char *password, void *arg);

/* Load the demo organisation. SN_ECONFLICT when one is already loaded. */
int demo_load(store *db, demo_user_fn on_user, void *arg, sn_err *e);

#endif
