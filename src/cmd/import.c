/* import.c — `sanad import KIND [--db URL] [--batch N] FILE`: bulk import of JSON lines.
 *
 * The engine is the same for every kind. A reader thread reads the file one line at a time
 * (never whole; a line longer than IMPORT_MAX_LINE is rejected) and validates each line without
 * touching the database; the main thread — the only one with the database — applies the valid
 * lines in write transactions of --batch lines. Two batches alternate between them, so parsing
 * one overlaps writing the other. A line that still fails inside the database is taken out: the
 * batch is rolled back and replayed without it. So a bad line never aborts the rest, and every
 * committed batch holds exactly the lines reported as imported or duplicate.
 *
 *   reader: read ──> parse (kind->parse) ──reject──> "line N: why" on stdout
 *                      │ ok
 *                      v
 *           batch full or end of file ──> hand over (two batches in flight at most)
 *   writer: BEGIN; kind->apply each line ──fails──> ROLLBACK, drop the line, replay the batch
 *             │ all ok
 *             v
 *           COMMIT, count imported / duplicates
 *
 * A kind (import.h: name, setup, parse, apply) is one row of `kinds`: contacts
 * (import_contacts.c) and articles (import_articles.c). Idempotence is the kind's: contacts are
 * keyed by external_id, a repeated one is a duplicate and writes nothing.
 *
 * Output: rejected lines on stdout as they are found, then one summary line; a progress bar on
 * stderr when stderr is a terminal. Exit 0 when the whole file was processed (rejected lines
 * included), 1 on an I/O or database failure (batches committed before it stay), 2 on usage. */
#include "cmd.h"
#include "import.h"

#include "../core/clock.h"
#include "../domain/audit.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMPORT_MAX_LINE (1 << 20) /* bytes; a 100,000-character Arabic body fits escaped */
#define IMPORT_MAX_BATCH 100000
#define IMPORT_MAX_DB_REJECTS 50 /* per batch: beyond this the database, not the data, fails */

const actor import_actor = {0, "import", ROLES_ALL, "", ""};

/* ------------------------------------------------------------------------------------------ */
/* Reading lines with a hard cap.                                                             */

typedef struct line_reader {
    FILE *f;
    char chunk[1 << 16];
    size_t pos, len;
    char *line; /* IMPORT_MAX_LINE + 1 bytes */
    size_t n;   /* bytes in line */
    int64_t consumed;
} line_reader;

/* The next line (without its newline or a trailing CR) in r->line[0..n), NUL-terminated.
 * Returns 1, 0 at end of file, -1 on a read error. *too_long: the line was longer than the cap
 * (its start is kept, the rest skipped). */
static int reader_next(line_reader *r, int *too_long)
{
    int any = 0;
    r->n = 0;
    *too_long = 0;
    for (;;) {
        if (r->pos == r->len) {
            /* read(2), not fread: from a pipe, a line is taken when it arrives, not when 64 KB
             * have (a batch of one line on a slow feed is committed at once). */
            ssize_t got = read(fileno(r->f), r->chunk, sizeof r->chunk);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return -1;
            r->pos = 0;
            r->len = (size_t)got;
            if (got == 0) break;
        }
        any = 1;
        const char *start = r->chunk + r->pos, *nl = memchr(start, '\n', r->len - r->pos);
        size_t take = nl ? (size_t)(nl - start) : r->len - r->pos, room = IMPORT_MAX_LINE - r->n;
        memcpy(r->line + r->n, start, take < room ? take : room);
        r->n += take < room ? take : room;
        if (take > room) *too_long = 1;
        r->pos += take + (nl != NULL);
        r->consumed += (int64_t)(take + (nl != NULL));
        if (nl) break;
    }
    if (r->n && r->line[r->n - 1] == '\r') r->n--;
    r->line[r->n] = '\0';
    return any;
}

/* ------------------------------------------------------------------------------------------ */
/* Progress and report.                                                                       */

/* Shared by the two threads; every field is read and written under `lock`. */
typedef struct import_stats {
    pthread_mutex_t lock;
    int64_t lines, imported, duplicates, rejected;
    int64_t started_us, drawn_us;
    int64_t file_size; /* 0 when unknown (a pipe) */
    int tty;
} import_stats;

/* Called with the lock held. */
static void progress_clear(import_stats *s)
{
    if (s->tty && s->drawn_us) fputs("\r\033[K", stderr);
}

/* At most five times a second unless forced. Called with the lock held. */
static void progress_draw(import_stats *s, int64_t consumed, int force)
{
    int64_t now = clock_mono_us();
    if (!s->tty || (!force && now - s->drawn_us < 200000)) return;
    s->drawn_us = now;
    double secs = (double)(now - s->started_us) / 1e6,
           rate = secs > 0 ? (double)s->lines / secs : 0;
    char bar[32] = "";
    if (s->file_size > 0) {
        int pct = (int)(consumed * 100 / s->file_size), fill = pct / 5;
        for (int i = 0; i < 20; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[20] = '\0';
        fprintf(stderr, "\r\033[K[%s] %3d%% ", bar, pct);
    } else {
        fputs("\r\033[K", stderr);
    }
    fprintf(stderr,
            "%" PRId64 " lines read, %.0f/s; %" PRId64 " imported, %" PRId64 " duplicates, %" PRId64
            " rejected",
            s->lines, rate, s->imported, s->duplicates, s->rejected);
    fflush(stderr);
}

static void report_reject(import_stats *s, int64_t line_no, const sn_err *e)
{
    pthread_mutex_lock(&s->lock);
    progress_clear(s);
    s->rejected++;
    if (e->field[0] && !strstr(e->message, e->field))
        printf("line %" PRId64 ": %s: %s\n", line_no, e->field, e->message);
    else
        printf("line %" PRId64 ": %s\n", line_no, e->message);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------------------------------ */
/* Batches.                                                                                   */

enum slot_state { SLOT_PENDING, SLOT_NEW, SLOT_DUPLICATE, SLOT_REJECTED };

typedef struct import_slot {
    int64_t line_no;
    json_t *json; /* the parsed line, which the item points into (NULL: kind->copies_line) */
    int state;
    int retried; /* a conflict gets one more try before the line is rejected */
} import_slot;

typedef struct import_batch {
    const import_kind *kind;
    void *ctx;
    store *db;
    int n, cap;
    import_slot *slots;
    char *items; /* cap × kind->item_size */
    import_stats *stats;
} import_batch;

static void *batch_item(import_batch *b, int i)
{
    return b->items + (size_t)i * b->kind->item_size;
}

static void batch_release(import_batch *b)
{
    for (int i = 0; i < b->n; i++) {
        if (b->kind->release) b->kind->release(batch_item(b, i));
        json_decref(b->slots[i].json);
    }
    memset(b->items, 0, (size_t)b->n * b->kind->item_size);
    b->n = 0;
}

/* Roll the batch's transaction back, and what the kind kept of it. */
static void batch_abort(import_batch *b)
{
    store_rollback(b->db);
    if (b->kind->batch_end) b->kind->batch_end(b->ctx, b->db, 0, NULL);
}

/* Apply every line still in the batch inside one transaction. Returns 0 with *failed = -1 when
 * committed, 0 with *failed = the index of the line that failed (its reason in e) after rolling
 * back, or a negative code (reason in e) when the database itself failed. */
static int batch_pass(import_batch *b, int *failed, sn_err *e)
{
    const import_kind *k = b->kind;
    *failed = -1;
    if (store_begin_write(b->db) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot start a transaction: %s", store_errmsg(b->db));
    int rc = k->batch_begin ? k->batch_begin(b->ctx, b->db, b->n, e) : 0;
    for (int i = 0; rc == 0 && i < b->n; i++) {
        import_slot *s = &b->slots[i];
        if (s->state == SLOT_REJECTED) continue;
        int dup = 0;
        if (k->apply(b->ctx, b->db, batch_item(b, i), &dup, e) < 0) {
            batch_abort(b);
            *failed = i;
            return 0;
        }
        s->state = dup ? SLOT_DUPLICATE : SLOT_NEW;
    }
    if (rc == 0 && k->batch_end) rc = k->batch_end(b->ctx, b->db, 1, e);
    if (rc < 0 || store_commit(b->db) < 0) {
        if (rc == 0) sn_fail(e, SN_EDB, NULL, "cannot commit: %s", store_errmsg(b->db));
        batch_abort(b);
        return SN_EDB;
    }
    return 0;
}

/* Commit the batch, taking out the lines that fail inside the database. */
static int batch_run(import_batch *b, sn_err *fatal)
{
    int db_rejects = 0;
    for (;;) {
        int failed;
        sn_err e;
        sn_err_clear(&e);
        int rc = batch_pass(b, &failed, &e);
        if (rc < 0) {
            *fatal = e;
            return rc;
        }
        if (failed < 0) break;
        import_slot *s = &b->slots[failed];
        if ((e.code == SN_ECONFLICT || e.code == SN_EUNAVAILABLE) && !s->retried) {
            s->retried = 1; /* a concurrent writer: replay once with the line still in */
            continue;
        }
        if (++db_rejects > IMPORT_MAX_DB_REJECTS)
            return sn_fail(fatal, SN_EDB, NULL,
                           "more than %d lines of one batch failed inside "
                           "the database; stopping",
                           IMPORT_MAX_DB_REJECTS);
        s->state = SLOT_REJECTED;
        if (e.code == SN_ECONFLICT) /* still after a replay: the data, not a race */
            snprintf(e.message, sizeof e.message,
                     "the database refused the line: a constraint failed");
        report_reject(b->stats, s->line_no, &e);
    }
    pthread_mutex_lock(&b->stats->lock);
    for (int i = 0; i < b->n; i++) {
        if (b->slots[i].state == SLOT_NEW) b->stats->imported++;
        if (b->slots[i].state == SLOT_DUPLICATE) b->stats->duplicates++;
    }
    pthread_mutex_unlock(&b->stats->lock);
    return 0; /* the reader releases the batch's lines when it takes the batch back */
}

/* ------------------------------------------------------------------------------------------ */
/* Checking a line's fields against a table.                                                  */

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static int check_string(const char *name, json_t *v, size_t max, sn_err *e)
{
    if (!json_is_string(v)) return sn_fail(e, SN_EINVALID, name, "%s must be a string", name);
    if (max && utf8_chars(json_string_value(v)) > max)
        return sn_fail(e, SN_EUNPROCESSABLE, name, "%s is longer than %zu characters", name, max);
    return 0;
}

static int check_value(const import_field *f, json_t *v, sn_err *e)
{
    if (f->type == JSON_STRING) return check_string(f->name, v, f->max_chars, e);
    if (f->type == JSON_OBJECT && !json_is_object(v))
        return sn_fail(e, SN_EINVALID, f->name, "%s must be an object", f->name);
    if (f->type != JSON_ARRAY) return 0;
    if (!json_is_array(v)) return sn_fail(e, SN_EINVALID, f->name, "%s must be an array", f->name);
    if (f->max_items && json_array_size(v) > f->max_items)
        return sn_fail(e, SN_EUNPROCESSABLE, f->name, "%s has more than %zu entries", f->name,
                       f->max_items);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        int rc = check_string(f->name, x, f->max_chars, e);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Unknown keys are refused: a misspelt field must not be dropped silently. */
int import_check_fields(json_t *obj, const import_field *fields, sn_err *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const import_field *f = fields;
        while (f->name && strcmp(f->name, key))
            f++;
        if (!f->name) return sn_fail(e, SN_EINVALID, key, "unknown field '%s'", key);
        int rc = json_is_null(v) ? 0 : check_value(f, v, e);
        if (rc < 0) return rc;
    }
    for (const import_field *f = fields; f->name; f++) {
        json_t *x = json_object_get(obj, f->name);
        if (f->required && (!x || json_is_null(x)))
            return sn_fail(e, SN_EUNPROCESSABLE, f->name, "%s is required", f->name);
    }
    return 0;
}

const char *import_str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* ------------------------------------------------------------------------------------------ */
/* The kinds and the command.                                                                 */

/* The kinds `sanad import KIND` knows, one row each, with what follows a run of it. */
static const struct {
    const import_kind *kind;
    import_finish_fn finish; /* or NULL */
} kinds[] = {
    {&import_kind_contacts, import_contacts_finish},
    {&import_kind_articles, NULL},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sanad import KIND [--db URL] [--batch N] FILE\n"
            "  Import JSON lines, one object per line (FILE - reads stdin), in write\n"
            "  transactions of --batch lines (by default as the kind gives). Rejected lines\n"
            "  are listed with their line numbers; the others are imported. Exit 0 when the\n"
            "  file was processed, 1 on an I/O or database failure. On SQLite a transaction\n"
            "  holds the write lock (~2 s for 50,000 contacts): beside a busy server, pass a\n"
            "  smaller --batch.\n\nkinds:\n");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        fprintf(out, "  %-10s %s\n             (--batch %d by default)\n", kinds[i].kind->name,
                kinds[i].kind->help, kinds[i].kind->default_batch);
}

/* Validate one line into the next free slot, or report why it is rejected. */
static void take_line(import_batch *b, line_reader *r, int64_t line_no, int too_long)
{
    sn_err e;
    sn_err_clear(&e);
    json_error_t jerr;
    json_t *j = NULL;
    void *item = batch_item(b, b->n);
    if (too_long)
        sn_fail(&e, SN_ETOOLARGE, NULL, "the line is longer than %d bytes", IMPORT_MAX_LINE);
    else if (!(j = json_loadb(r->line, r->n, JSON_REJECT_DUPLICATES, &jerr)))
        sn_fail(&e, SN_EINVALID, NULL, "not valid JSON: %s (column %d)", jerr.text, jerr.column);
    else if (!json_is_object(j))
        sn_fail(&e, SN_EINVALID, NULL, "a line must be a JSON object");
    else if (b->kind->parse(b->ctx, j, item, &e) == 0) {
        if (b->kind->copies_line) {
            json_decref(j);
            j = NULL;
        }
        b->slots[b->n] = (import_slot){line_no, j, SLOT_PENDING, 0};
        b->n++;
        return;
    }
    if (b->kind->release) b->kind->release(item); /* what parse() allocated before it failed */
    json_decref(j);
    memset(item, 0, b->kind->item_size);
    report_reject(b->stats, line_no, &e);
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

/* The hand-over between the reader thread and the writer (main) thread. Batch i is the
 * reader's while !ready[i], the writer's while ready[i]; each side takes them in turn 0, 1, 0… */
typedef struct import_pipe {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    import_batch batch[2];
    int ready[2];
    int done;       /* the reader has handed over its last batch */
    int stop;       /* the writer failed: the reader stops */
    int read_errno; /* a read error ended the file early */
    int64_t line_no;
    line_reader reader;
} import_pipe;

/* Fill b from the file. Returns 1 when full, 0 at end of file, -1 on a read error. */
static int fill_batch(import_pipe *p, import_batch *b)
{
    line_reader *r = &p->reader;
    while (b->n < b->cap) {
        int too_long, rc = reader_next(r, &too_long);
        if (rc <= 0) {
            if (rc < 0) p->read_errno = errno;
            return rc;
        }
        p->line_no++;
        if (!too_long && is_blank(r->line, r->n)) continue;
        pthread_mutex_lock(&b->stats->lock);
        b->stats->lines++;
        progress_draw(b->stats, r->consumed, 0);
        pthread_mutex_unlock(&b->stats->lock);
        take_line(b, r, p->line_no, too_long);
    }
    return 1;
}

static void *reader_main(void *arg)
{
    import_pipe *p = arg;
    for (int i = 0;; i ^= 1) {
        pthread_mutex_lock(&p->lock);
        while (p->ready[i] && !p->stop)
            pthread_cond_wait(&p->changed, &p->lock);
        int stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        /* Freeing the parsed lines the writer committed is the reader's work, off the writer's
         * thread, which bounds the import. */
        batch_release(&p->batch[i]);
        int more = stop ? 0 : fill_batch(p, &p->batch[i]);
        pthread_mutex_lock(&p->lock);
        p->ready[i] = !stop && p->batch[i].n > 0;
        p->done = more <= 0;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        if (more <= 0) return NULL;
    }
}

/* The writer: commit each batch the reader hands over, in order. */
static int write_batches(import_pipe *p, sn_err *fatal)
{
    for (int i = 0;; i ^= 1) {
        pthread_mutex_lock(&p->lock);
        while (!p->ready[i] && !p->done)
            pthread_cond_wait(&p->changed, &p->lock);
        int have = p->ready[i];
        pthread_mutex_unlock(&p->lock);
        if (!have) break;
        int rc = batch_run(&p->batch[i], fatal);
        pthread_mutex_lock(&p->lock);
        p->ready[i] = 0;
        p->stop = rc < 0;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        if (rc < 0) return rc;
    }
    if (p->read_errno)
        return sn_fail(fatal, SN_EINTERNAL, NULL, "cannot read the file: %s",
                       strerror(p->read_errno));
    return 0;
}

/* Read, validate and apply the whole file. Returns 0, or a negative code with `fatal` filled. */
static int import_stream(import_pipe *p, sn_err *fatal)
{
    pthread_t reader;
    if (pthread_create(&reader, NULL, reader_main, p) != 0)
        return sn_fail(fatal, SN_EINTERNAL, NULL, "cannot start the reader thread");
    int rc = write_batches(p, fatal);
    pthread_join(reader, NULL);
    return rc;
}

static int pipe_init(import_pipe *p, const import_kind *k, store *db, int cap, import_stats *st)
{
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    for (int i = 0; i < 2; i++)
        p->batch[i] = (import_batch){k,
                                     NULL,
                                     db,
                                     0,
                                     cap,
                                     calloc((size_t)cap, sizeof(import_slot)),
                                     calloc((size_t)cap, k->item_size),
                                     st};
    p->reader.line = malloc(IMPORT_MAX_LINE + 1);
    return p->batch[0].slots && p->batch[0].items && p->batch[1].slots && p->batch[1].items &&
                   p->reader.line
               ? 0
               : -1;
}

static void pipe_fini(import_pipe *p)
{
    for (int i = 0; i < 2; i++) {
        if (p->batch[i].slots) batch_release(&p->batch[i]);
        free(p->batch[i].slots);
        free(p->batch[i].items);
    }
    free(p->reader.line);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
}

static void report_summary(import_stats *s, const char *kind, int64_t consumed)
{
    pthread_mutex_lock(&s->lock);
    progress_draw(s, consumed, 1);
    progress_clear(s);
    double secs = (double)(clock_mono_us() - s->started_us) / 1e6;
    printf("import %s: %" PRId64 " imported, %" PRId64 " duplicates, %" PRId64 " rejected "
           "(%" PRId64 " lines) in %.2f s, %.0f lines/s\n",
           kind, s->imported, s->duplicates, s->rejected, s->lines, secs,
           secs > 0 ? (double)s->lines / secs : 0.0);
    pthread_mutex_unlock(&s->lock);
}

/* One audit row for the run (its lines carry none): what was imported from where, and how it
 * went. A failure here is reported, not fatal: the data is already committed. */
static void audit_run(store *db, const char *kind, const char *path, import_stats *st)
{
    char action[48];
    snprintf(action, sizeof action, "import.%s", kind);
    pthread_mutex_lock(&st->lock);
    json_t *d = json_pack("{s:s, s:I, s:I, s:I, s:I}", "file", path, "lines", (json_int_t)st->lines,
                          "imported", (json_int_t)st->imported, "duplicates",
                          (json_int_t)st->duplicates, "rejected", (json_int_t)st->rejected);
    pthread_mutex_unlock(&st->lock);
    char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(d);
    int rc = text ? store_begin_write(db) : SN_EINTERNAL;
    if (rc == 0 && (rc = audit_append(db, &import_actor, action, "import", kind, text)) == 0)
        rc = store_commit(db);
    if (rc < 0) {
        if (text) store_rollback(db);
        fprintf(stderr, "sanad: the import could not be written to the audit log\n");
    }
    free(text);
}

static int run_import(const import_kind *k, import_finish_fn finish, store *db, FILE *f,
                      const char *path, int batch, import_stats *st)
{
    sn_err fatal;
    sn_err_clear(&fatal);
    import_pipe *p = calloc(1, sizeof *p);
    void *ctx = NULL;
    int rc = SN_EINTERNAL;
    /* SQLite only, this connection only: a bulk load touches far more pages than the default
     * 2 MB cache holds, and checkpointing the WAL after every batch (every 1,000 pages by
     * default) writes the same hot index pages over and over. Measured on the 1.4-million-
     * contact seed: 20,000 pages between checkpoints beat 100,000 (every page missing from the
     * cache is looked up in the WAL's index, longer with a longer WAL) and no checkpoint until
     * the end (slower by 15 s); a 1 GB cache or a 64 MB one were both slower than 256 MB. */
    if (store_kind_of(db) == STORE_SQLITE)
        store_exec(db, "PRAGMA cache_size = -262144; PRAGMA wal_autocheckpoint = 20000");
    if (!p || pipe_init(p, k, db, batch, st) < 0)
        sn_fail(&fatal, SN_EINTERNAL, NULL, "out of memory");
    else if ((rc = k->setup(db, &ctx, &fatal)) == 0) {
        p->batch[0].ctx = p->batch[1].ctx = ctx;
        p->reader.f = f;
        rc = import_stream(p, &fatal);
        /* The reader thread has ended: the counts are this thread's to read. */
        if (rc == 0 && finish) rc = finish(db, st->imported, &fatal);
        audit_run(db, k->name, path, st);
    }
    report_summary(st, k->name, p ? p->reader.consumed : 0);
    if (rc < 0) fprintf(stderr, "sanad: import stopped: %s\n", fatal.message);
    if (p) pipe_fini(p);
    free(p);
    if (ctx) k->teardown(ctx);
    return rc < 0 ? 1 : 0;
}

/* FILE: the one argument that is neither an option nor an option's value. */
static const char *file_argument(int argc, char **argv)
{
    const char *file = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-") || strncmp(argv[i], "--", 2)) {
            if (file) return NULL;
            file = argv[i];
            continue;
        }
        if (strchr(argv[i], '=')) continue;
        const config_option *o = config_table;
        while (o->name && strcmp(o->name, argv[i] + 2))
            o++;
        int boolean = o->name && o->type == CONFIG_BOOL;
        if (!boolean || (i + 1 < argc && strncmp(argv[i + 1], "--", 2))) i++;
    }
    return file;
}

static int open_input(const char *path, FILE **f, int64_t *size)
{
    struct stat sb;
    *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!*f) {
        fprintf(stderr, "sanad: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    *size = fstat(fileno(*f), &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : 0;
    return 0;
}

static const char *const import_extra[] = {"batch", "help", NULL};

int cmd_import(int argc, char **argv)
{
    const import_kind *k = NULL;
    import_finish_fn finish = NULL;
    for (size_t i = 0; argc > 1 && i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(argv[1], kinds[i].kind->name)) {
            k = kinds[i].kind;
            finish = kinds[i].finish;
        }
    if (cmd_flag(argc, argv, "help") ||
        (argc > 1 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h")))) {
        usage(stdout);
        return 0;
    }
    const char *path = file_argument(argc, argv), *batch_arg = cmd_arg(argc, argv, "batch");
    char *end = NULL;
    long batch = batch_arg ? strtol(batch_arg, &end, 10) : k ? k->default_batch : 0;
    if (!k || !path || (batch_arg && (*end || batch < 1 || batch > IMPORT_MAX_BATCH))) {
        if (argc > 1 && !k) fprintf(stderr, "sanad: unknown import kind '%s'\n", argv[1]);
        if (batch_arg && (*end || batch < 1 || batch > IMPORT_MAX_BATCH))
            fprintf(stderr, "sanad: --batch must be 1 to %d\n", IMPORT_MAX_BATCH);
        usage(stderr);
        return 2;
    }
    FILE *f;
    import_stats st = {.lock = PTHREAD_MUTEX_INITIALIZER};
    if (open_input(path, &f, &st.file_size) < 0) return 1;
    config cfg;
    store *db;
    int rc = cmd_open(argc - 1, argv + 1, import_extra, &cfg, &db);
    if (rc == 0) {
        st.tty = isatty(STDERR_FILENO);
        st.started_us = clock_mono_us();
        rc = run_import(k, finish, db, f, path, (int)batch, &st);
        store_close(db);
    }
    if (f != stdin) fclose(f);
    return rc;
}
