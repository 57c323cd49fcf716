/* settings.h — rarely changing configuration read on hot paths (service line ids, SLA policies,
 * calendars, webhooks, numeric settings) is cached per thread for SETTINGS_CACHE_MS. A change
 * made through this process calls settings_changed(), which drops every thread's caches at
 * once; other nodes of a cluster see it within SETTINGS_CACHE_MS. */
#ifndef SANAD_SETTINGS_H
#define SANAD_SETTINGS_H

#include "domain.h"

#define SETTINGS_CACHE_MS 5000

void settings_changed(void);
int64_t settings_generation(void);
/* Whether an entry loaded at `loaded_at` under generation `gen` may still be used. */
int settings_fresh(int64_t loaded_at, int64_t gen, int64_t now);
/* An integer from the settings table (cached), or `def`. */
int64_t settings_int(store *db, const char *key, int64_t def);
/* Run fn when the calling thread exits, so per-thread caches free what they hold. Registering
 * the same fn twice on one thread runs it once. */
void settings_at_thread_exit(void (*fn)(void));
/* The id of a service line code (cached), 0 when unknown; negative on database errors. */
int settings_service_line_id(store *db, const char *code, int64_t *id);

#endif
