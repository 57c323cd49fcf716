/* audit.c — append, verify and list the hash-chained audit log. */
#include "audit.h"

#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/crypto.h"
#include "../core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hashed form of a row: every field length-prefixed, so no two rows share a form. */
static int audit_hash(const char *prev_hash, int64_t seq, int64_t at, int64_t actor_id,
                      const char *const fields[7], char out[65])
{
    buf b;
    buf_init(&b, 1 << 20);
    int rc = buf_printf(&b, "%s|%" PRId64 "|%" PRId64 "|%" PRId64, prev_hash, seq, at, actor_id);
    for (int i = 0; rc == 0 && i < 7; i++)
        rc = buf_printf(&b, "|%zu:%s", strlen(fields[i]), fields[i]);
    if (rc == 0) crypto_sha256_hex(b.data, b.len, out);
    buf_fini(&b);
    return rc;
}

int audit_append(store *db, const actor *who, const char *action, const char *object_type,
                 const char *object_id, const char *detail_json)
{
    store_stmt *st;
    int rc;
    if ((rc = store_prepare(db, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 "
                                "RETURNING seq, hash", &st)) < 0)
        return rc;
    if (store_step(st) != STORE_ROW) {
        store_finish(st);
        return SN_EDB;
    }
    int64_t seq = store_col_int(st, 0);
    char prev[65], hash[65];
    snprintf(prev, sizeof prev, "%s", store_col_text(st, 1));
    store_finish(st);

    int64_t at = clock_now_ms();
    const char *fields[7] = {who->email ? who->email : "", action, object_type ? object_type : "",
                             object_id ? object_id : "", who->ip ? who->ip : "",
                             who->request_id ? who->request_id : "",
                             detail_json ? detail_json : "{}"};
    if (audit_hash(prev, seq, at, who->user_id, fields, hash) < 0) return SN_EINTERNAL;

    if ((rc = store_prepare(db, "INSERT INTO audit_log (seq, at, actor_id, actor, action, "
                                "object_type, object_id, ip, request_id, detail, prev_hash, hash) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st)) < 0)
        return rc;
    store_bind_int(st, 1, seq);
    store_bind_int(st, 2, at);
    if (who->user_id)
        store_bind_int(st, 3, who->user_id);
    else
        store_bind_null(st, 3);
    for (int i = 0; i < 7; i++) store_bind_text(st, 4 + i, fields[i]);
    store_bind_text(st, 11, prev);
    store_bind_text(st, 12, hash);
    rc = store_step(st) == STORE_DONE ? 0 : SN_EDB;
    store_finish(st);
    if (rc < 0) return rc;

    if ((rc = store_prepare(db, "UPDATE audit_head SET hash = ? WHERE id = 1", &st)) < 0) return rc;
    store_bind_text(st, 1, hash);
    rc = store_step(st) == STORE_DONE ? 0 : SN_EDB;
    store_finish(st);
    return rc;
}

int audit_record(store *db, const actor *who, const char *action, const char *object_type,
                 const char *object_id, const char *detail_json)
{
    int rc = store_begin_write(db);
    if (rc < 0) return rc;
    rc = audit_append(db, who, action, object_type, object_id, detail_json);
    if (rc == 0) rc = store_commit(db);
    if (rc < 0) {
        log_error("audit %s not recorded", action);
        store_rollback(db);
    }
    return rc;
}

int audit_verify(store *db, int64_t *rows, int64_t *bad_seq, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT seq, at, COALESCE(actor_id, 0), actor, action, object_type, "
                          "object_id, ip, request_id, detail, prev_hash, hash FROM audit_log "
                          "ORDER BY seq", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the audit log: %s", store_errmsg(db));
    char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    int64_t expect = 1, n = 0;
    int rc, broken = 0;
    while ((rc = store_step(st)) == STORE_ROW) {
        int64_t seq = store_col_int(st, 0);
        const char *fields[7];
        for (int i = 0; i < 7; i++) fields[i] = store_col_text(st, 3 + i);
        char hash[65];
        audit_hash(prev, seq, store_col_int(st, 1), store_col_int(st, 2), fields, hash);
        if (seq != expect || strcmp(store_col_text(st, 10), prev) != 0 ||
            strcmp(store_col_text(st, 11), hash) != 0) {
            *bad_seq = seq != expect && seq > expect ? expect : seq;
            broken = 1;
            break;
        }
        memcpy(prev, hash, sizeof prev);
        expect++;
        n++;
    }
    store_finish(st);
    *rows = n;
    if (!broken && rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the audit log");
    if (broken) return sn_fail(e, SN_ECONFLICT, NULL, "audit chain broken at row %" PRId64, *bad_seq);
    /* The head must agree with the last row, or rows were cut from the end. */
    if (store_prepare(db, "SELECT seq, hash FROM audit_head WHERE id = 1", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the audit head");
    rc = store_step(st);
    if (rc == STORE_ROW && (store_col_int(st, 0) != n || strcmp(store_col_text(st, 1), prev))) {
        *bad_seq = n + 1;
        broken = 1;
    }
    store_finish(st);
    if (broken) return sn_fail(e, SN_ECONFLICT, NULL, "audit chain broken at row %" PRId64, *bad_seq);
    return 0;
}

static char *dup_col(store_stmt *st, int col)
{
    char *s = strdup(store_col_text(st, col));
    return s ? s : strdup("");
}

int audit_list(store *db, const audit_filter *f, audit_row **rows, int *n, sn_err *e)
{
    store_stmt *st;
    *rows = NULL;
    *n = 0;
    if (f->limit < 1) return sn_fail(e, SN_EINVALID, "limit", "limit must be positive");
    if (store_prepare(db,
                      "SELECT id, seq, at, COALESCE(actor_id, 0), actor, action, object_type, "
                      "object_id, ip, request_id, detail FROM audit_log "
                      "WHERE (? = 0 OR actor_id = ?) AND (? = '' OR action = ?) "
                      "AND (? = '' OR object_type = ?) AND (? = '' OR object_id = ?) "
                      "AND (? = 0 OR seq < ?) ORDER BY seq DESC LIMIT ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the audit log");
    store_bind_int(st, 1, f->actor_id);
    store_bind_int(st, 2, f->actor_id);
    store_bind_text(st, 3, f->action);
    store_bind_text(st, 4, f->action);
    store_bind_text(st, 5, f->object_type);
    store_bind_text(st, 6, f->object_type);
    store_bind_text(st, 7, f->object_id);
    store_bind_text(st, 8, f->object_id);
    store_bind_int(st, 9, f->before_seq);
    store_bind_int(st, 10, f->before_seq);
    store_bind_int(st, 11, f->limit);
    audit_row *out = calloc((size_t)f->limit + 1, sizeof *out);
    int count = 0, rc = 0;
    while (out && (rc = store_step(st)) == STORE_ROW) {
        audit_row *r = &out[count++];
        r->id = store_col_int(st, 0);
        r->seq = store_col_int(st, 1);
        r->at = store_col_int(st, 2);
        r->actor_id = store_col_int(st, 3);
        r->actor = dup_col(st, 4);
        r->action = dup_col(st, 5);
        r->object_type = dup_col(st, 6);
        r->object_id = dup_col(st, 7);
        r->ip = dup_col(st, 8);
        r->request_id = dup_col(st, 9);
        r->detail = dup_col(st, 10);
    }
    store_finish(st);
    if (!out || rc < 0) {
        audit_rows_free(out, count);
        return sn_fail(e, SN_EDB, NULL, "cannot read the audit log");
    }
    *rows = out;
    *n = count;
    return 0;
}

void audit_rows_free(audit_row *rows, int n)
{
    for (int i = 0; rows && i < n; i++) {
        free(rows[i].actor);
        free(rows[i].action);
        free(rows[i].object_type);
        free(rows[i].object_id);
        free(rows[i].ip);
        free(rows[i].request_id);
        free(rows[i].detail);
    }
    free(rows);
}
