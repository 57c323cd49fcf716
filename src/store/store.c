/* store.c — driver dispatch and the per-connection prepared-statement cache. */
#include "driver.h"

#include "../core/log.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int store_open(const char *url, const store_options *opt, store **out, sn_err *e)
{
    static const store_options defaults = {"FULL", 10000};
    if (!opt) opt = &defaults;
    if (!strncmp(url, "sqlite:", 7)) return sqlite_store_open(url + 7, opt, out, e);
    if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
        return postgres_store_open(url, out, e);
    return sn_fail(e, SN_EINVALID, "db", "database URL must start with sqlite:, postgres:// or "
                                         "postgresql://");
}

void store_close(store *db)
{
    if (!db) return;
    for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
        if (!db->cache[i].st) continue;
        db->ops->destroy(db->cache[i].st);
        free((char *)db->cache[i].sql);
    }
    db->ops->close(db);
}

enum store_kind store_kind_of(const store *db)
{
    return db->kind;
}

const char *store_kind_name(const store *db)
{
    return db->kind == STORE_SQLITE ? "sqlite" : "postgres";
}

const char *store_errmsg(const store *db)
{
    return db->ops->errmsg(db);
}

static unsigned long hash_sql(const char *s)
{
    unsigned long h = 5381;
    while (*s) h = h * 33 ^ (unsigned char)*s++;
    return h;
}

/* Find the statement for `sql` in the cache, or prepare and cache it. When the cached one is
 * in use (a query run inside another loop over the same SQL), a one-off statement is made. */
int store_prepare(store *db, const char *sql, store_stmt **out)
{
    /* The recent entry is a hint: the text is still compared, since the same address may hold
     * other SQL by now (a buffer the caller reused). */
    struct store_recent *r = &db->recent[((uintptr_t)sql >> 3) % STORE_RECENT];
    if (r->key == sql && r->slot->st && !r->slot->st->in_use && strcmp(r->slot->sql, sql) == 0) {
        r->slot->st->in_use = 1;
        *out = r->slot->st;
        return 0;
    }
    unsigned long h = hash_sql(sql);
    struct store_cache_slot *free_slot = NULL;
    for (int probe = 0; probe < STORE_CACHE_SLOTS; probe++) {
        struct store_cache_slot *s = &db->cache[(h + (unsigned long)probe) % STORE_CACHE_SLOTS];
        if (!s->st) {
            free_slot = s;
            break;
        }
        if (strcmp(s->sql, sql) != 0) continue;
        if (!s->st->in_use) {
            *r = (struct store_recent){sql, s};
            s->st->in_use = 1;
            *out = s->st;
            return 0;
        }
        break;
    }
    store_stmt *st;
    int rc = db->ops->prepare(db, sql, &st);
    if (rc < 0) {
        log_error("prepare failed: %s", db->ops->errmsg(db));
        return rc;
    }
    st->db = db;
    st->in_use = 1;
    st->cached = 0;
    if (free_slot && (free_slot->sql = strdup(sql)) != NULL) {
        free_slot->st = st;
        st->cached = 1;
        *r = (struct store_recent){sql, free_slot};
    }
    *out = st;
    return 0;
}

void store_finish(store_stmt *st)
{
    if (!st) return;
    if (!st->cached) {
        st->db->ops->destroy(st);
        return;
    }
    st->db->ops->reset(st);
    st->in_use = 0;
}

int store_bind_int(store_stmt *st, int idx, int64_t v)
{
    return st->db->ops->bind_int(st, idx, v);
}

int store_bind_text(store_stmt *st, int idx, const char *v)
{
    return v ? st->db->ops->bind_text(st, idx, v) : st->db->ops->bind_null(st, idx);
}

int store_bind_null(store_stmt *st, int idx)
{
    return st->db->ops->bind_null(st, idx);
}

int store_step(store_stmt *st)
{
    int rc = st->db->ops->step(st);
    if (rc < 0 && rc != SN_ECONFLICT) log_error("query failed: %s", st->db->ops->errmsg(st->db));
    return rc;
}

int store_column_count(store_stmt *st)
{
    return st->db->ops->column_count(st);
}

int store_col_is_null(store_stmt *st, int col)
{
    return st->db->ops->col_is_null(st, col);
}

int64_t store_col_int(store_stmt *st, int col)
{
    return st->db->ops->col_int(st, col);
}

const char *store_col_text(store_stmt *st, int col)
{
    return st->db->ops->col_text(st, col);
}

const char *store_col_name(store_stmt *st, int col)
{
    return st->db->ops->col_name(st, col);
}

int64_t store_changes(store_stmt *st)
{
    return st->db->ops->changes(st);
}

int store_prepare_ints(store *db, const char *sql, int n, const int64_t *args, store_stmt **out)
{
    int rc = store_prepare(db, sql, out);
    for (int i = 0; rc == 0 && i < n; i++)
        store_bind_int(*out, i + 1, args[i]);
    return rc;
}

int store_exec_ints(store *db, const char *sql, int n, const int64_t *args)
{
    store_stmt *st;
    int rc = store_prepare_ints(db, sql, n, args, &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int store_exec(store *db, const char *sql)
{
    if (db->kind == STORE_SQLITE && !strchr(sql, ';') && !strstr(sql, "--")) {
        /* One statement (BEGIN, COMMIT, SAVEPOINT …): from the statement cache, not parsed
         * again on every call as sqlite3_exec would. */
        store_stmt *st;
        int rc = store_prepare(db, sql, &st);
        if (rc < 0) return rc;
        while ((rc = db->ops->step(st)) == STORE_ROW) {
        }
        store_finish(st);
        if (rc < 0) log_error("exec failed: %s", db->ops->errmsg(db));
        return rc < 0 ? rc : 0;
    }
    int rc = db->ops->exec(db, sql);
    if (rc < 0) log_error("exec failed: %s", db->ops->errmsg(db));
    return rc;
}

int store_begin(store *db)
{
    return store_exec(db, "BEGIN");
}

int store_begin_write(store *db)
{
    return store_exec(db, db->kind == STORE_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

int store_commit(store *db)
{
    return store_exec(db, "COMMIT");
}

int store_rollback(store *db)
{
    return store_exec(db, "ROLLBACK");
}

int store_wal_open(store *db)
{
    char path[4096];
    if (db->kind != STORE_SQLITE || sqlite_wal_path(db, path, sizeof path) < 0) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    /* The log's name in its directory must be durable too (SQLite syncs the directory only
     * from the connection that created the file, and only at its first sync). */
    char *slash = strrchr(path, '/');
    if (slash) {
        *slash = '\0';
        int dir = open(slash == path ? "/" : path, O_RDONLY | O_CLOEXEC);
        if (dir < 0 || fsync(dir) < 0) {
            if (dir >= 0) close(dir);
            close(fd);
            return -1;
        }
        close(dir);
    }
    return fd; /* SQLite names its files with full paths */
}
