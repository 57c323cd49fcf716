/* migrate.h — numbered schema migrations, embedded in the binary from migrations/NNN_name.sql.
 * Each is applied in its own transaction and recorded in schema_migrations; a database whose
 * schema is newer than the binary is refused. */
#ifndef SANAD_MIGRATE_H
#define SANAD_MIGRATE_H

#include "store.h"

struct migration {
    int version;
    const char *name;
    const char *sql; /* {{ID}} stands for the dialect's auto-increment primary key */
};

extern const struct migration migrations[];
extern const int migrations_count;

/* Bring the schema up to date. *applied (may be NULL) receives how many were applied. */
int migrate_run(store *db, int *applied, sn_err *e);
/* The schema version recorded in the database (0 when none). */
int migrate_current(store *db, int *version, sn_err *e);
int migrate_latest(void);

#endif
