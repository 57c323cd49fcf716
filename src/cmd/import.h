/* import.h — between the engine of `sanad import` (import.c: reading, batching, transactions,
 * the report) and its kinds (import_contacts.c, import_articles.c): what a kind provides, and the
 * line-checking helpers every kind shares. Internal to src/cmd.
 *
 * A kind sees one JSON object per line. parse() runs on the reader thread and must not touch
 * the database (it may read what setup() loaded); apply() runs on the writer thread inside the
 * batch's write transaction and may be replayed after a rollback, so it must write only through
 * that transaction. */
#ifndef SANAD_CMD_IMPORT_H
#define SANAD_CMD_IMPORT_H

#include "../domain/domain.h"

#include <jansson.h>
#include <stddef.h>

typedef struct import_kind {
    const char *name;
    const char *help;
    size_t item_size;
    /* Load what validation needs (reference codes) into *ctx; freed by teardown. */
    int (*setup)(store *db, void **ctx, sn_err *e);
    void (*teardown)(void *ctx);
    /* Validate one line (borrowed) into item (item_size bytes, zeroed); no database access.
     * item may keep references into line: the engine holds it until the item is released —
     * unless the kind sets copies_line. */
    int (*parse)(void *ctx, json_t *line, void *item, sn_err *e);
    /* Write one item inside the open transaction; *duplicate = 1 when it was already there. */
    int (*apply)(void *ctx, store *db, const void *item, int *duplicate, sn_err *e);
    /* Free what parse() allocated in an item (on the reader thread, after apply); or NULL. */
    void (*release)(void *item);
    /* Around each transaction of a batch (lines: how many it holds), or NULL: begin() right
     * after BEGIN; end(committing = 1) right before COMMIT, and may still write in it (a
     * failure rolls the batch back); end(committing = 0) after a ROLLBACK, and must undo what
     * begin() and apply() changed in ctx since begin(). */
    int (*batch_begin)(void *ctx, store *db, int lines, sn_err *e);
    int (*batch_end)(void *ctx, store *db, int committing, sn_err *e);
    /* Lines per transaction when --batch is not given. */
    int default_batch;
    /* parse() keeps no reference into the line: the engine frees it at once, on the reader
     * thread, and a batch holds only its items (a parsed line is several times its text). */
    int copies_line;
} import_kind;

extern const import_kind import_kind_contacts;
extern const import_kind import_kind_articles;

/* What a kind needs done once after a run that processed the whole file (imported: how many
 * lines were new), in transactions of its own. Paired with its kind in import.c's table. */
typedef int (*import_finish_fn)(store *db, int64_t imported, sn_err *e);
int import_contacts_finish(store *db, int64_t imported, sn_err *e);

/* Who imported changes are attributed to in the timeline and the audit log. */
extern const actor import_actor;

/* One field of a line: a table of them ends with {NULL}. */
typedef struct import_field {
    const char *name;
    json_type type; /* JSON_STRING, JSON_OBJECT, or JSON_ARRAY of strings */
    int required;
    size_t max_chars; /* of a string or of each array element; 0: no bound */
    size_t max_items; /* of an array */
} import_field;

/* Check obj against fields: an unknown key or a wrong type is SN_EINVALID, a missing required
 * field or a string too long SN_EUNPROCESSABLE, each naming the field. JSON null counts as
 * absent (source systems write it for empty columns). */
int import_check_fields(json_t *obj, const import_field *fields, sn_err *e);
/* A string field of obj, or NULL when absent or null (type already checked). */
const char *import_str(json_t *obj, const char *name);

#endif
