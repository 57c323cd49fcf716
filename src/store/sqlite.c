/* sqlite.c — the SQLite driver: WAL, foreign keys on, busy timeout, configurable synchronous. */
#include "driver.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sqlite_store {
    store base;
    sqlite3 *h;
} sqlite_store;

typedef struct sqlite_stmt {
    store_stmt base;
    sqlite3_stmt *h;
    int64_t changes;
} sqlite_stmt;

#define SQ(db) (((sqlite_store *)(db))->h)
#define ST(st) (((sqlite_stmt *)(st))->h)

static int sqlite_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: return 0;
    case SQLITE_CONSTRAINT: return SN_ECONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return SN_EUNAVAILABLE;
    default: return SN_EDB;
    }
}

static void sqlite_close(store *db)
{
    sqlite3_close_v2(SQ(db));
    free(db);
}

static const char *sqlite_errmsg(const store *db)
{
    return sqlite3_errmsg(SQ(db));
}

static int sqlite_exec(store *db, const char *sql)
{
    return sqlite_code(sqlite3_exec(SQ(db), sql, NULL, NULL, NULL));
}

static int sqlite_prepare(store *db, const char *sql, store_stmt **out)
{
    sqlite_stmt *st = calloc(1, sizeof *st);
    if (!st) return SN_EINTERNAL;
    int rc = sqlite3_prepare_v3(SQ(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &st->h, NULL);
    if (rc != SQLITE_OK) {
        free(st);
        return SN_EDB;
    }
    *out = &st->base;
    return 0;
}

static void sqlite_destroy(store_stmt *st)
{
    sqlite3_finalize(ST(st));
    free(st);
}

static void sqlite_reset(store_stmt *st)
{
    sqlite3_reset(ST(st));
    sqlite3_clear_bindings(ST(st));
}

static int sqlite_bind_int(store_stmt *st, int idx, int64_t v)
{
    return sqlite_code(sqlite3_bind_int64(ST(st), idx, v));
}

static int sqlite_bind_text(store_stmt *st, int idx, const char *v)
{
    return sqlite_code(sqlite3_bind_text(ST(st), idx, v, -1, SQLITE_TRANSIENT));
}

static int sqlite_bind_null(store_stmt *st, int idx)
{
    return sqlite_code(sqlite3_bind_null(ST(st), idx));
}

static int sqlite_step(store_stmt *st)
{
    int rc = sqlite3_step(ST(st));
    if (rc == SQLITE_ROW) return STORE_ROW;
    if (rc == SQLITE_DONE) {
        ((sqlite_stmt *)st)->changes = sqlite3_changes64(SQ(st->db));
        return STORE_DONE;
    }
    return sqlite_code(rc);
}

static int sqlite_column_count(store_stmt *st)
{
    return sqlite3_column_count(ST(st));
}

static int sqlite_col_is_null(store_stmt *st, int col)
{
    return sqlite3_column_type(ST(st), col) == SQLITE_NULL;
}

static int64_t sqlite_col_int(store_stmt *st, int col)
{
    return sqlite3_column_int64(ST(st), col);
}

static const char *sqlite_col_text(store_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(ST(st), col);
    return t ? (const char *)t : "";
}

static const char *sqlite_col_name(store_stmt *st, int col)
{
    return sqlite3_column_name(ST(st), col);
}

static int64_t sqlite_changes(store_stmt *st)
{
    return ((sqlite_stmt *)st)->changes;
}

static const struct store_ops sqlite_ops = {
    sqlite_close,     sqlite_errmsg,       sqlite_exec,        sqlite_prepare,
    sqlite_destroy,   sqlite_reset,        sqlite_bind_int,    sqlite_bind_text,
    sqlite_bind_null, sqlite_step,         sqlite_column_count, sqlite_col_is_null,
    sqlite_col_int,   sqlite_col_text,     sqlite_col_name,    sqlite_changes,
};

int sqlite_wal_path(store *db, char *out, size_t size)
{
    const char *path = sqlite3_db_filename(SQ(db), "main");
    if (!path || !*path) return SN_EINVALID;
    int n = snprintf(out, size, "%s-wal", path);
    return n > 0 && (size_t)n < size ? 0 : SN_EINVALID;
}

static int valid_synchronous(const char *s)
{
    return !strcasecmp(s, "FULL") || !strcasecmp(s, "NORMAL") || !strcasecmp(s, "OFF") ||
           !strcasecmp(s, "EXTRA");
}

/* Process-wide settings, before SQLite initialises: no memory statistics, whose global mutex
 * every allocation would otherwise take (connections are per thread, SQLITE_OPEN_NOMUTEX). */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int sqlite_store_open(const char *path, const store_options *opt, store **out, sn_err *e)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    const char *sync = opt->sqlite_synchronous ? opt->sqlite_synchronous : "FULL";
    if (!valid_synchronous(sync))
        return sn_fail(e, SN_EINVALID, "sqlite-synchronous", "must be FULL, NORMAL or OFF");
    sqlite_store *db = calloc(1, sizeof *db);
    if (!db) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    db->base.ops = &sqlite_ops;
    db->base.kind = STORE_SQLITE;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
        sn_fail(e, SN_EUNAVAILABLE, "db", "cannot open SQLite database %s: %s", path,
                db->h ? sqlite3_errmsg(db->h) : "out of memory");
        sqlite3_close_v2(db->h);
        free(db);
        return e ? e->code : SN_EUNAVAILABLE;
    }
    sqlite3_busy_timeout(db->h, opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 10000);
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=%s;"
             "PRAGMA temp_store=MEMORY;",
             sync);
    if (sqlite3_exec(db->h, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        sn_fail(e, SN_EUNAVAILABLE, "db", "cannot set up SQLite database %s: %s", path,
                sqlite3_errmsg(db->h));
        sqlite3_close_v2(db->h);
        free(db);
        return SN_EUNAVAILABLE;
    }
    *out = &db->base;
    return 0;
}
