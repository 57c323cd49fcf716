/* store.h — the one small database interface of Sanad. Knows no business rule.
 *
 * A `store` is one connection (SQLite or PostgreSQL), used by one thread at a time: the HTTP
 * layer keeps one per worker thread. SQL is written once, in the common subset of SQLite and
 * PostgreSQL, with `?` placeholders (the PostgreSQL driver rewrites them to $n). New rows give
 * their id with `INSERT … RETURNING id`, which both engines speak.
 *
 * Statement life cycle:
 *     store_prepare ──bind*──> store_step (STORE_ROW … STORE_DONE) ──> store_finish
 * Prepared statements are cached per connection by SQL text; store_finish resets the statement
 * and returns it to the cache (never free it yourself). Column text is valid until the next
 * store_step or store_finish on the same statement.
 *
 * Values cross the interface as int64 or UTF-8 text (NULL is a distinct state); booleans are
 * stored as integers 0/1, times as epoch milliseconds.
 *
 * Errors: functions return 0 / STORE_ROW / STORE_DONE or a negative SN_E* code; the driver's
 * message is in store_errmsg() and is for logs, never for clients. A unique-constraint
 * violation returns SN_ECONFLICT. */
#ifndef SANAD_STORE_H
#define SANAD_STORE_H

#include "../core/err.h"

#include <stddef.h>
#include <stdint.h>

enum { STORE_ROW = 1, STORE_DONE = 2 };

enum store_kind { STORE_SQLITE, STORE_POSTGRES };

typedef struct store store;
typedef struct store_stmt store_stmt;

typedef struct store_options {
    const char *sqlite_synchronous; /* "FULL" (default), "NORMAL", "OFF" */
    int busy_timeout_ms;            /* SQLite lock wait; default 10000 */
} store_options;

/* Open a connection from a URL: sqlite:PATH, postgres://…, postgresql://…. */
int store_open(const char *url, const store_options *opt, store **out, sn_err *e);
void store_close(store *db);
enum store_kind store_kind_of(const store *db);
const char *store_kind_name(const store *db); /* "sqlite" | "postgres" */
const char *store_errmsg(const store *db);

int store_prepare(store *db, const char *sql, store_stmt **out);
int store_bind_int(store_stmt *st, int idx, int64_t v); /* idx from 1 */
int store_bind_text(store_stmt *st, int idx, const char *v); /* NULL binds NULL */
int store_bind_null(store_stmt *st, int idx);
int store_step(store_stmt *st);
int store_column_count(store_stmt *st);
int store_col_is_null(store_stmt *st, int col); /* col from 0 */
int64_t store_col_int(store_stmt *st, int col);
const char *store_col_text(store_stmt *st, int col); /* "" for NULL */
const char *store_col_name(store_stmt *st, int col);
/* Number of rows the last INSERT/UPDATE/DELETE changed. */
int64_t store_changes(store_stmt *st);
void store_finish(store_stmt *st);

/* Run SQL that takes no parameters and returns no rows (may hold several statements). */
int store_exec(store *db, const char *sql);
/* Prepare sql and bind its n integer parameters (1..n); 0 or a negative code. */
int store_prepare_ints(store *db, const char *sql, int n, const int64_t *args, store_stmt **out);
/* Run one statement with n integer parameters, its rows (if any) ignored; 0 or a negative
 * code. */
int store_exec_ints(store *db, const char *sql, int n, const int64_t *args);

/* Transactions. store_begin_write takes the write lock at once (BEGIN IMMEDIATE in SQLite). */
int store_begin(store *db);
int store_begin_write(store *db);
int store_commit(store *db);
int store_rollback(store *db);

/* SQLite in WAL mode: a new descriptor on the connection's write-ahead log (it exists once the
 * database has been written), for a thread that makes commits durable with fdatasync() after
 * the connection committed them with synchronous=NORMAL (committer.c). -1 for PostgreSQL or
 * when it cannot be opened. The caller closes it. */
int store_wal_open(store *db);

/* The driver table: each backend fills one of these. */
typedef struct store_driver {
    const char *name;
    int (*open)(const char *url, const store_options *opt, store **out, sn_err *e);
} store_driver;

#endif
