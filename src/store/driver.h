/* driver.h — what a database driver implements (private to src/store/). */
#ifndef SANAD_STORE_DRIVER_H
#define SANAD_STORE_DRIVER_H

#include "store.h"

struct store_ops {
    void (*close)(store *db);
    const char *(*errmsg)(const store *db);
    int (*exec)(store *db, const char *sql);
    /* A new statement, owned by the cache in store.c. */
    int (*prepare)(store *db, const char *sql, store_stmt **out);
    void (*destroy)(store_stmt *st);
    void (*reset)(store_stmt *st); /* clear bindings and results */
    int (*bind_int)(store_stmt *st, int idx, int64_t v);
    int (*bind_text)(store_stmt *st, int idx, const char *v);
    int (*bind_null)(store_stmt *st, int idx);
    int (*step)(store_stmt *st);
    int (*column_count)(store_stmt *st);
    int (*col_is_null)(store_stmt *st, int col);
    int64_t (*col_int)(store_stmt *st, int col);
    const char *(*col_text)(store_stmt *st, int col);
    const char *(*col_name)(store_stmt *st, int col);
    int64_t (*changes)(store_stmt *st);
};

#define STORE_CACHE_SLOTS 512

struct store_cache_slot {
    const char *sql; /* owned copy */
    store_stmt *st;
};

/* In front of the cache: the slot last found for a caller's SQL text, by its address (the
 * callers' SQL is almost always a string literal), so a hit skips hashing the text. */
#define STORE_RECENT 128

struct store_recent {
    const char *key; /* the caller's pointer, compared, never dereferenced */
    struct store_cache_slot *slot;
};

struct store {
    const struct store_ops *ops;
    enum store_kind kind;
    struct store_cache_slot cache[STORE_CACHE_SLOTS];
    struct store_recent recent[STORE_RECENT];
};

struct store_stmt {
    store *db;
    int in_use;
    int cached; /* 0: a one-off made because the cached one was busy; destroyed at finish */
};

int sqlite_store_open(const char *path, const store_options *opt, store **out, sn_err *e);
/* The path of the connection's write-ahead log file. */
int sqlite_wal_path(store *db, char *out, size_t size);
int postgres_store_open(const char *conninfo, store **out, sn_err *e);

#endif
