/* settings.c — the per-thread settings caches and their invalidation. */
#include "settings.h"

#include "../core/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t generation;

void settings_changed(void)
{
    __atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
}

int64_t settings_generation(void)
{
    return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

int settings_fresh(int64_t loaded_at, int64_t gen, int64_t now)
{
    return now - loaded_at < SETTINGS_CACHE_MS && gen == settings_generation();
}

#define EXIT_FNS 8
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static __thread void (*exit_fns[EXIT_FNS])(void);
static __thread int nexit_fns;

static void run_exit_fns(void *unused)
{
    (void)unused;
    for (int i = 0; i < nexit_fns; i++) exit_fns[i]();
    nexit_fns = 0;
}

static void exit_key_init(void)
{
    pthread_key_create(&exit_key, run_exit_fns);
}

void settings_at_thread_exit(void (*fn)(void))
{
    for (int i = 0; i < nexit_fns; i++)
        if (exit_fns[i] == fn) return;
    if (nexit_fns == EXIT_FNS) return;
    pthread_once(&exit_once, exit_key_init);
    exit_fns[nexit_fns++] = fn;
    pthread_setspecific(exit_key, (void *)1); /* a non-NULL value makes the destructor run */
}

#define KV_CACHE 16

struct kv_entry {
    char key[64];
    int64_t value, loaded_at, gen;
    int used;
};

/* Find or claim the entry of `key` in a small per-thread table; *fresh tells whether its value
 * may be used as it is. */
static struct kv_entry *kv_slot(struct kv_entry *table, const char *key, int64_t now, int *fresh)
{
    struct kv_entry *slot = &table[0];
    for (int i = 0; i < KV_CACHE; i++) {
        if (table[i].used && !strcmp(table[i].key, key)) {
            *fresh = settings_fresh(table[i].loaded_at, table[i].gen, now);
            return &table[i];
        }
        if (!table[i].used || table[i].loaded_at < slot->loaded_at) slot = &table[i];
    }
    *fresh = 0;
    return slot;
}

static void kv_store(struct kv_entry *e, const char *key, int64_t value, int64_t now, int64_t gen)
{
    snprintf(e->key, sizeof e->key, "%s", key);
    e->value = value;
    e->loaded_at = now;
    e->gen = gen;
    e->used = 1;
}

static __thread struct kv_entry int_cache[KV_CACHE];
static __thread struct kv_entry line_cache[KV_CACHE];

int64_t settings_int(store *db, const char *key, int64_t def)
{
    int64_t now = clock_now_ms(), gen = settings_generation(), value = def;
    int fresh;
    struct kv_entry *e = kv_slot(int_cache, key, now, &fresh);
    if (fresh) return e->value;
    store_stmt *st;
    if (store_prepare(db, "SELECT value FROM settings WHERE key = ?", &st) < 0) return def;
    store_bind_text(st, 1, key);
    if (store_step(st) == STORE_ROW) value = strtoll(store_col_text(st, 0), NULL, 10);
    store_finish(st);
    kv_store(e, key, value, now, gen);
    return value;
}

int settings_service_line_id(store *db, const char *code, int64_t *id)
{
    int64_t now = clock_now_ms(), gen = settings_generation();
    int fresh;
    struct kv_entry *e = kv_slot(line_cache, code, now, &fresh);
    if (fresh && e->value) {
        *id = e->value;
        return 0;
    }
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id FROM service_lines WHERE code = ?", &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, code);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    if (rc < 0) return rc;
    if (*id) kv_store(e, code, *id, now, gen); /* unknown codes are not cached: they may appear */
    return 0;
}
