/* postgres.c — the PostgreSQL driver (libpq): named prepared statements, text parameters,
 * `?` placeholders rewritten to $n. One connection per store. */
#include "driver.h"

#include "../core/buf.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_MAX_PARAMS 64

typedef struct pg_store {
    store base;
    PGconn *h;
    unsigned next_stmt;
    char err[512];
} pg_store;

typedef struct pg_stmt {
    store_stmt base;
    char name[24];
    int nparams;
    char *params[PG_MAX_PARAMS];
    PGresult *res;
    int row;       /* next row to return; -1 before execution */
    int64_t changes;
} pg_stmt;

#define PG(db) ((pg_store *)(db))
#define PS(st) ((pg_stmt *)(st))

static void pg_close(store *db)
{
    PQfinish(PG(db)->h);
    free(db);
}

static const char *pg_errmsg(const store *db)
{
    const pg_store *p = (const pg_store *)db;
    return p->err[0] ? p->err : PQerrorMessage(p->h);
}

/* Map a failed result to an error code and remember the message. */
static int pg_fail(pg_store *db, PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(db->err, sizeof db->err, "%s",
             res ? PQresultErrorMessage(res) : PQerrorMessage(db->h));
    if (state && !strncmp(state, "23", 2)) return SN_ECONFLICT;
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01"))) return SN_EUNAVAILABLE;
    return SN_EDB;
}

static int pg_exec(store *db, const char *sql)
{
    PGresult *res = PQexec(PG(db)->h, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) ? 0 : pg_fail(PG(db), res);
    PQclear(res);
    return rc;
}

/* Rewrite `?` to `$n`, leaving quoted strings and identifiers alone. */
static int pg_rewrite(const char *sql, buf *out, int *nparams)
{
    int n = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote) quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '?') {
            if (buf_printf(out, "$%d", ++n) < 0) return -1;
            continue;
        }
        if (buf_append(out, p, 1) < 0) return -1;
    }
    *nparams = n;
    return n <= PG_MAX_PARAMS ? 0 : -1;
}

static int pg_prepare(store *db, const char *sql, store_stmt **out)
{
    pg_store *pdb = PG(db);
    buf text;
    buf_init(&text, 1 << 20);
    int nparams;
    if (pg_rewrite(sql, &text, &nparams) < 0) {
        buf_fini(&text);
        snprintf(pdb->err, sizeof pdb->err, "statement too large or too many parameters");
        return SN_EDB;
    }
    pg_stmt *st = calloc(1, sizeof *st);
    if (!st) {
        buf_fini(&text);
        return SN_EINTERNAL;
    }
    snprintf(st->name, sizeof st->name, "s%u", ++pdb->next_stmt);
    PGresult *res = PQprepare(pdb->h, st->name, text.data, nparams, NULL);
    buf_fini(&text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        int rc = pg_fail(pdb, res);
        PQclear(res);
        free(st);
        return rc;
    }
    PQclear(res);
    st->nparams = nparams;
    st->row = -1;
    *out = &st->base;
    return 0;
}

static void pg_reset(store_stmt *s)
{
    pg_stmt *st = PS(s);
    for (int i = 0; i < st->nparams; i++) {
        free(st->params[i]);
        st->params[i] = NULL;
    }
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
}

static void pg_destroy(store_stmt *s)
{
    pg_stmt *st = PS(s);
    pg_reset(s);
    char sql[64];
    snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
    PQclear(PQexec(PG(s->db)->h, sql));
    free(st);
}

static int pg_bind_text(store_stmt *s, int idx, const char *v)
{
    pg_stmt *st = PS(s);
    if (idx < 1 || idx > st->nparams) return SN_EINTERNAL;
    char *copy = strdup(v);
    if (!copy) return SN_EINTERNAL;
    free(st->params[idx - 1]);
    st->params[idx - 1] = copy;
    return 0;
}

static int pg_bind_int(store_stmt *s, int idx, int64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, v);
    return pg_bind_text(s, idx, num);
}

static int pg_bind_null(store_stmt *s, int idx)
{
    pg_stmt *st = PS(s);
    if (idx < 1 || idx > st->nparams) return SN_EINTERNAL;
    free(st->params[idx - 1]);
    st->params[idx - 1] = NULL;
    return 0;
}

static int pg_step(store_stmt *s)
{
    pg_stmt *st = PS(s);
    if (st->row < 0) {
        st->res = PQexecPrepared(PG(s->db)->h, st->name, st->nparams,
                                 (const char *const *)st->params, NULL, NULL, 0);
        ExecStatusType status = PQresultStatus(st->res);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return pg_fail(PG(s->db), st->res);
        const char *n = PQcmdTuples(st->res);
        st->changes = n && *n ? strtoll(n, NULL, 10) : 0;
        st->row = 0;
    }
    if (st->row < PQntuples(st->res)) {
        st->row++;
        return STORE_ROW;
    }
    return STORE_DONE;
}

static int pg_column_count(store_stmt *s)
{
    return PS(s)->res ? PQnfields(PS(s)->res) : 0;
}

static int pg_col_is_null(store_stmt *s, int col)
{
    return PQgetisnull(PS(s)->res, PS(s)->row - 1, col);
}

static const char *pg_col_text(store_stmt *s, int col)
{
    return PQgetvalue(PS(s)->res, PS(s)->row - 1, col);
}

static int64_t pg_col_int(store_stmt *s, int col)
{
    const char *v = pg_col_text(s, col);
    if (v[0] == 't' && v[1] == '\0') return 1; /* boolean results of expressions */
    return strtoll(v, NULL, 10);
}

static const char *pg_col_name(store_stmt *s, int col)
{
    return PQfname(PS(s)->res, col);
}

static int64_t pg_changes(store_stmt *s)
{
    return PS(s)->changes;
}

static const struct store_ops pg_ops = {
    pg_close,     pg_errmsg,   pg_exec,        pg_prepare,     pg_destroy,  pg_reset,
    pg_bind_int,  pg_bind_text, pg_bind_null,  pg_step,        pg_column_count,
    pg_col_is_null, pg_col_int, pg_col_text,   pg_col_name,    pg_changes,
};

static void pg_notice_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int postgres_store_open(const char *conninfo, store **out, sn_err *e)
{
    pg_store *db = calloc(1, sizeof *db);
    if (!db) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    db->base.ops = &pg_ops;
    db->base.kind = STORE_POSTGRES;
    db->h = PQconnectdb(conninfo);
    if (PQstatus(db->h) != CONNECTION_OK) {
        sn_fail(e, SN_EUNAVAILABLE, "db", "cannot connect to PostgreSQL: %s", PQerrorMessage(db->h));
        PQfinish(db->h);
        free(db);
        return SN_EUNAVAILABLE;
    }
    PQsetNoticeProcessor(db->h, pg_notice_quiet, NULL);
    PQclear(PQexec(db->h, "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'"));
    *out = &db->base;
    return 0;
}
