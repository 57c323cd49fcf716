/* mail_ingest.c — `sanad mail-ingest --db URL --data DIR --mailbox NAME`: take in one RFC 5322
 * message from standard input (an MTA's pipe transport), or with --maildir DIR every message in
 * DIR/new (moved to DIR/cur with the S flag once committed; a plain folder's files are read and
 * left in place), in batches of --batch N sharing one transaction and one sync.
 *
 * Exit status for MTAs (sysexits): 0 taken in (also a duplicate or an unreadable message, which
 * is kept raw); 65 larger than mail-max-bytes; 67 no such mailbox; 75 temporary failure (the
 * database or the disk): the MTA keeps the message and tries again. */
#include "cmd.h"

#include "../channels/email/email.h"
#include "../core/clock.h"
#include "../domain/attachment.h"
#include "../domain/events.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EX_OK_ = 0, EX_DATAERR_ = 65, EX_NOUSER_ = 67, EX_TEMPFAIL_ = 75 };

static int read_stream(FILE *f, size_t max, char **out, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *p = malloc(cap);
    while (p) {
        size_t r = fread(p + n, 1, cap - n, f);
        n += r;
        if (n > max) break;
        if (r == 0) break;
        if (n == cap) {
            char *grown = realloc(p, cap * 2);
            if (!grown) {
                free(p);
                p = NULL;
                break;
            }
            p = grown;
            cap *= 2;
        }
    }
    *out = p;
    *len = n;
    return p ? 0 : -1;
}

static int one_from_stdin(store *db, const config *cfg, const mailbox *mb)
{
    char *raw;
    size_t len;
    if (read_stream(stdin, (size_t)cfg->mail_max_bytes, &raw, &len) < 0) {
        fprintf(stderr, "sanad: out of memory\n");
        return EX_TEMPFAIL_;
    }
    if (len > (size_t)cfg->mail_max_bytes) {
        free(raw);
        fprintf(stderr, "sanad: the message is larger than mail-max-bytes\n");
        return EX_DATAERR_;
    }
    email_source src = {mb, 0, 0, 1};
    email_outcome out;
    sn_err e;
    int rc = email_ingest(db, cfg, &src, raw, len, &out, &e);
    free(raw);
    if (rc < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        return EX_TEMPFAIL_;
    }
    printf("mail-ingest: %s, conversation %lld\n", out.kind ? out.kind : "already",
           (long long)out.conversation_id);
    return EX_OK_;
}

/* ---------------------------------------------------------------------------------------------
 * --maildir. */

typedef struct batch_file {
    char path[PATH_MAX], done[PATH_MAX]; /* done: where it goes once committed ("" stays) */
    char *raw;
    size_t len;
} batch_file;

static int list_dir(const char *dir, int maildir, batch_file **out, int *n)
{
    char from[PATH_MAX];
    snprintf(from, sizeof from, maildir ? "%s/new" : "%s", dir);
    DIR *d = opendir(from);
    if (!d) return -1;
    int cap = 0;
    struct dirent *ent;
    *out = NULL;
    *n = 0;
    while ((ent = readdir(d))) {
        if (ent->d_name[0] == '.') continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            batch_file *grown = realloc(*out, (size_t)cap * sizeof *grown);
            if (!grown) break;
            *out = grown;
        }
        batch_file *f = &(*out)[*n];
        memset(f, 0, sizeof *f);
        if ((size_t)snprintf(f->path, sizeof f->path, "%s/%s", from, ent->d_name) >= sizeof f->path)
            continue;
        struct stat sb;
        if (stat(f->path, &sb) < 0 || !S_ISREG(sb.st_mode)) continue;
        if (maildir && (size_t)snprintf(f->done, sizeof f->done, "%s/cur/%s:2,S", dir,
                                        ent->d_name) >= sizeof f->done)
            continue;
        (*n)++;
    }
    closedir(d);
    return 0;
}

static int read_file(batch_file *f, size_t max)
{
    FILE *fp = fopen(f->path, "rb");
    if (!fp) return -1;
    int rc = read_stream(fp, max, &f->raw, &f->len);
    fclose(fp);
    return rc;
}

typedef struct tally {
    int done, failed, kinds[6];
} tally;

static const char *const kind_names[6] = {"message", "auto_reply", "bounce", "bulk", "duplicate",
                                          "unparseable"};

static void count(tally *t, const email_outcome *o)
{
    t->done++;
    for (int i = 0; i < 6; i++)
        if (o->kind && !strcmp(o->kind, kind_names[i])) t->kinds[i]++;
}

/* One batch in one transaction; on any failure the batch is rolled back and its messages are
 * taken one by one (each in its own transaction). */
static void run_batch(store *db, const config *cfg, const mailbox *mb, batch_file *files, int n,
                      tally *t)
{
    email_source src = {mb, 0, 0, 0};
    email_outcome *outs = calloc((size_t)n, sizeof *outs);
    sn_err e;
    int rc = outs ? store_begin_write(db) : -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        sn_err_clear(&e);
        if (files[i].len > (size_t)cfg->mail_max_bytes) continue;
        rc = email_ingest_in_tx(db, cfg, &src, files[i].raw, files[i].len, &outs[i], &e);
    }
    if (rc == 0 && attachment_sync(cfg->data) < 0) rc = -1; /* raw files durable first */
    if (rc == 0 && store_commit(db) == 0) {
        events_flush();
        for (int i = 0; i < n; i++) count(t, &outs[i]);
    } else {
        store_rollback(db);
        events_discard();
        src.durable = 1;
        for (int i = 0; i < n; i++) {
            if (email_ingest(db, cfg, &src, files[i].raw, files[i].len, &outs[i], &e) < 0) {
                fprintf(stderr, "sanad: %s: %s\n", files[i].path, e.message);
                files[i].done[0] = '\0'; /* stays in new/ for the next run */
                t->failed++;
            } else {
                count(t, &outs[i]);
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (files[i].done[0] && rename(files[i].path, files[i].done) < 0)
            fprintf(stderr, "sanad: cannot move %s: %s\n", files[i].path, strerror(errno));
    free(outs);
}

static int from_maildir(store *db, const config *cfg, const mailbox *mb, const char *dir, int size)
{
    char probe[PATH_MAX];
    struct stat sb;
    snprintf(probe, sizeof probe, "%s/new", dir);
    int maildir = stat(probe, &sb) == 0 && S_ISDIR(sb.st_mode);
    batch_file *files;
    int n;
    if (list_dir(dir, maildir, &files, &n) < 0) {
        fprintf(stderr, "sanad: cannot read %s\n", dir);
        return EX_TEMPFAIL_;
    }
    if (maildir) {
        snprintf(probe, sizeof probe, "%s/cur", dir);
        mkdir(probe, 0750);
    }
    tally t = {0};
    int64_t start = clock_now_ms();
    for (int off = 0; off < n; off += size) {
        int m = n - off < size ? n - off : size;
        for (int i = 0; i < m; i++)
            if (read_file(&files[off + i], (size_t)cfg->mail_max_bytes) < 0) files[off + i].len = 0;
        run_batch(db, cfg, mb, files + off, m, &t);
        for (int i = 0; i < m; i++) free(files[off + i].raw);
    }
    double secs = (double)(clock_now_ms() - start) / 1000.0;
    printf("mail-ingest: %d messages in %.2f s (%.0f messages/s):", t.done, secs,
           secs > 0 ? t.done / secs : 0.0);
    for (int i = 0; i < 6; i++) printf(" %s %d", kind_names[i], t.kinds[i]);
    printf("; %d failed\n", t.failed);
    free(files);
    return t.failed ? EX_TEMPFAIL_ : EX_OK_;
}

int cmd_mail_ingest(int argc, char **argv)
{
    static const char *const extra[] = {"mailbox", "maildir", "batch", NULL};
    config cfg;
    store *db;
    const char *name = cmd_arg(argc, argv, "mailbox"), *dir = cmd_arg(argc, argv, "maildir"),
               *batch = cmd_arg(argc, argv, "batch");
    if (!name) {
        fprintf(stderr, "usage: sanad mail-ingest --db URL --data DIR --mailbox NAME "
                        "[--maildir DIR [--batch N]]  (one message on stdin without --maildir)\n");
        return 2;
    }
    int rc = cmd_open(argc, argv, extra, &cfg, &db);
    if (rc) return rc == 1 ? EX_TEMPFAIL_ : rc;
    email_init();
    mailbox mb;
    rc = mailbox_by_name(db, name, &mb);
    if (rc < 0) {
        fprintf(stderr, "sanad: %s\n", rc == SN_ENOTFOUND ? "no such mailbox" : "cannot read mailboxes");
        rc = rc == SN_ENOTFOUND ? EX_NOUSER_ : EX_TEMPFAIL_;
    } else if (dir) {
        int size = batch ? (int)strtol(batch, NULL, 10) : 200;
        rc = from_maildir(db, &cfg, &mb, dir, size > 0 && size <= 10000 ? size : 200);
    } else {
        rc = one_from_stdin(db, &cfg, &mb);
    }
    attachment_thread_fini();
    store_close(db);
    email_fini();
    return rc;
}
