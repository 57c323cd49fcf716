/* audit.h — the append-only, hash-chained audit log.
 *
 * Every row's hash is SHA-256 over the previous row's hash and this row's fields, so altering,
 * removing or reordering any row breaks the chain from that row on; audit_verify names the
 * first broken row. Rows get a gap-free `seq` under the audit_head row lock. */
#ifndef SANAD_AUDIT_H
#define SANAD_AUDIT_H

#include "domain.h"

/* Append one row. Must run inside a write transaction (store_begin_write) so the row commits
 * with the change it records. detail_json is a JSON object text or NULL for "{}". */
int audit_append(store *db, const actor *who, const char *action, const char *object_type,
                 const char *object_id, const char *detail_json);
/* The same in a transaction of its own (for events that change nothing else). */
int audit_record(store *db, const actor *who, const char *action, const char *object_type,
                 const char *object_id, const char *detail_json);

/* Check the whole chain. Returns 0 when intact (*rows = rows checked); SN_ECONFLICT when a
 * row is broken, with *bad_seq its seq. */
int audit_verify(store *db, int64_t *rows, int64_t *bad_seq, sn_err *e);

typedef struct audit_row {
    int64_t id, seq, at, actor_id;
    char *actor, *action, *object_type, *object_id, *ip, *request_id, *detail;
} audit_row;

typedef struct audit_filter {
    int64_t actor_id;         /* 0: any */
    const char *action;       /* "" : any */
    const char *object_type;
    const char *object_id;
    int64_t before_seq;       /* cursor: rows with seq below this; 0: from the newest */
    int limit;
} audit_filter;

/* Newest first. *rows is allocated; free with audit_rows_free. */
int audit_list(store *db, const audit_filter *f, audit_row **rows, int *n, sn_err *e);
void audit_rows_free(audit_row *rows, int n);

#endif
