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
    /* An "INSERT … RETURNING id" run as a plain INSERT (see rowid_insert): the row to give. */
    int rowid_insert;
    int rowid_given;
    int64_t rowid;
    char rowid_text[24];
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

/* SQLite answers RETURNING through a temporary b-tree built on every execution, which costs an
 * INSERT more than its own row does. For "INSERT INTO t (…) VALUES (…) RETURNING id" where id is
 * t's rowid (INTEGER PRIMARY KEY), the driver runs the plain INSERT and hands back the new rowid
 * as the one row instead — the same answer. Upserts and INSERT … SELECT keep RETURNING. Writes
 * the plain INSERT into plain; 0 when the statement does not qualify. */
static int rowid_insert(sqlite3 *h, const char *sql, char *plain, size_t size)
{
    static const char head[] = "INSERT INTO ", tail[] = " RETURNING id";
    size_t n = strlen(sql), t = sizeof tail - 1;
    if (strncmp(sql, head, sizeof head - 1) || n <= t || n >= size || strcmp(sql + n - t, tail) ||
        strstr(sql, "ON CONFLICT") || strstr(sql, "SELECT"))
        return 0;
    char table[64];
    const char *name = sql + sizeof head - 1;
    size_t len = strcspn(name, " (");
    if (len == 0 || len >= sizeof table) return 0;
    memcpy(table, name, len);
    table[len] = '\0';
    const char *type = NULL;
    int pk = 0;
    if (sqlite3_table_column_metadata(h, "main", table, "id", &type, NULL, NULL, &pk, NULL) != SQLITE_OK ||
        !pk || !type || strcasecmp(type, "INTEGER"))
        return 0;
    memcpy(plain, sql, n - t);
    plain[n - t] = '\0';
    return 1;
}

static int sqlite_prepare(store *db, const char *sql, store_stmt **out)
{
    sqlite_stmt *st = calloc(1, sizeof *st);
    if (!st) return SN_EINTERNAL;
    char plain[4096];
    st->rowid_insert = rowid_insert(SQ(db), sql, plain, sizeof plain);
    int rc = sqlite3_prepare_v3(SQ(db), st->rowid_insert ? plain : sql, -1,
                                SQLITE_PREPARE_PERSISTENT, &st->h, NULL);
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
    ((sqlite_stmt *)st)->rowid_given = 0;
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
    sqlite_stmt *s = (sqlite_stmt *)st;
    if (s->rowid_insert && s->rowid_given) return STORE_DONE;
    int rc = sqlite3_step(s->h);
    if (rc == SQLITE_ROW) return STORE_ROW;
    if (rc == SQLITE_DONE) {
        s->changes = sqlite3_changes64(SQ(st->db));
        if (s->rowid_insert && s->changes > 0) {
            s->rowid_given = 1;
            s->rowid = sqlite3_last_insert_rowid(SQ(st->db));
            snprintf(s->rowid_text, sizeof s->rowid_text, "%lld", (long long)s->rowid);
            return STORE_ROW;
        }
        return STORE_DONE;
    }
    return sqlite_code(rc);
}

#define ROWID_ROW(st) (((sqlite_stmt *)(st))->rowid_given)

static int sqlite_column_count(store_stmt *st)
{
    return ((sqlite_stmt *)st)->rowid_insert ? 1 : sqlite3_column_count(ST(st));
}

static int sqlite_col_is_null(store_stmt *st, int col)
{
    if (ROWID_ROW(st)) return col != 0;
    return sqlite3_column_type(ST(st), col) == SQLITE_NULL;
}

static int64_t sqlite_col_int(store_stmt *st, int col)
{
    if (ROWID_ROW(st)) return col == 0 ? ((sqlite_stmt *)st)->rowid : 0;
    return sqlite3_column_int64(ST(st), col);
}

static const char *sqlite_col_text(store_stmt *st, int col)
{
    if (ROWID_ROW(st)) return col == 0 ? ((sqlite_stmt *)st)->rowid_text : "";
    const unsigned char *t = sqlite3_column_text(ST(st), col);
    return t ? (const char *)t : "";
}

static const char *sqlite_col_name(store_stmt *st, int col)
{
    if (((sqlite_stmt *)st)->rowid_insert) return col == 0 ? "id" : "";
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
