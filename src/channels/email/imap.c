/* imap.c — the IMAP poller: one thread that, every mail-poll-seconds, takes each enabled
 * mailbox with an imap_url through UNSEEN → stored → seen.
 *
 * libcurl opens the connection (TLS, STARTTLS, SASL login) with CURLOPT_CONNECT_ONLY; the
 * commands are ours, because libcurl's own FETCH uses BODY[], which sets \Seen at once — a crash
 * right after it would lose the message. Per mailbox:
 *
 *   SELECT folder → UIDVALIDITY;  UID SEARCH UNSEEN → uids;  for each uid:
 *     taken in before (mailbox, uidvalidity, uid)?  → UID STORE \Seen only
 *     UID FETCH uid (BODY.PEEK[])  → raw   [mail-fault=after-fetch]
 *     raw written durably          →       [mail-fault=after-raw]
 *     email_ingest commits         →       [mail-fault=after-commit]
 *     UID STORE uid +FLAGS.SILENT (\Seen)
 *
 * The mail-fault points are a test-only setting that kill the process there (tests/api). */
#include "email.h"

#include "../../core/buf.h"
#include "../../core/clock.h"
#include "../../core/keyring.h"
#include "../../core/log.h"
#include "../../domain/attachment.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { IO_TIMEOUT_MS = 30000, LINE_MAX_BYTES = 1 << 20, UIDS_MAX = 500 };

typedef struct imap {
    CURL *h;
    curl_socket_t sock;
    char in[16384];
    size_t len, off;
    int tag;
    const atomic_int *stopping;
} imap;

static void fault(const config *cfg, const char *point)
{
    if (cfg->mail_fault[0] && !strcmp(cfg->mail_fault, point)) {
        log_warn("mail-fault %s: killing the process (test only)", point);
        raise(SIGKILL);
    }
}

static int wait_io(imap *s, short events)
{
    struct pollfd p = {(int)s->sock, events, 0};
    int rc = poll(&p, 1, IO_TIMEOUT_MS);
    if (atomic_load(s->stopping)) return -1;
    return rc > 0 ? 0 : -1;
}

static int fill(imap *s)
{
    if (s->off) {
        memmove(s->in, s->in + s->off, s->len - s->off);
        s->len -= s->off;
        s->off = 0;
    }
    for (;;) {
        size_t n = 0;
        CURLcode rc = curl_easy_recv(s->h, s->in + s->len, sizeof s->in - s->len, &n);
        if (rc == CURLE_OK) {
            if (n == 0) return -1; /* closed */
            s->len += n;
            return 0;
        }
        if (rc != CURLE_AGAIN || wait_io(s, POLLIN) < 0) return -1;
    }
}

/* One response line without its CRLF into line (capped). */
static int read_line(imap *s, buf *line)
{
    buf_reset(line);
    for (;;) {
        char *nl = memchr(s->in + s->off, '\n', s->len - s->off);
        size_t take = nl ? (size_t)(nl - (s->in + s->off)) + 1 : s->len - s->off;
        if (buf_append(line, s->in + s->off, take) < 0) return -1;
        s->off += take;
        if (nl) break;
        if (fill(s) < 0) return -1;
    }
    while (line->len && (line->data[line->len - 1] == '\n' || line->data[line->len - 1] == '\r'))
        line->data[--line->len] = '\0';
    return 0;
}

/* Exactly n bytes; the first `keep` of them go to out (the rest are read and dropped). */
static int read_bytes(imap *s, size_t n, buf *out, size_t keep)
{
    while (n) {
        if (s->off == s->len && fill(s) < 0) return -1;
        size_t take = s->len - s->off < n ? s->len - s->off : n;
        size_t k = out->len < keep ? (keep - out->len < take ? keep - out->len : take) : 0;
        if (k && buf_append(out, s->in + s->off, k) < 0) return -1;
        s->off += take;
        n -= take;
    }
    return 0;
}

static int send_all(imap *s, const char *p, size_t n)
{
    while (n) {
        size_t sent = 0;
        CURLcode rc = curl_easy_send(s->h, p, n, &sent);
        if (rc == CURLE_AGAIN) {
            if (wait_io(s, POLLOUT) < 0) return -1;
            continue;
        }
        if (rc != CURLE_OK) return -1;
        p += sent;
        n -= sent;
    }
    return 0;
}

/* What an untagged response gave: its text and its literal (if any). */
typedef void (*untagged_fn)(void *arg, const char *line, const buf *literal);

/* Send "TAG command", read to the tagged answer. 0 on OK; -1 on NO/BAD/IO (why in err). */
static int command(imap *s, const char *cmd, untagged_fn fn, void *arg, size_t literal_cap,
                   char *err, size_t errsize)
{
    char tag[16], out[1024];
    snprintf(tag, sizeof tag, "S%d", ++s->tag);
    int n = snprintf(out, sizeof out, "%s %s\r\n", tag, cmd);
    if (n < 0 || (size_t)n >= sizeof out || send_all(s, out, (size_t)n) < 0) {
        snprintf(err, errsize, "cannot send to the IMAP server");
        return -1;
    }
    buf line, lit;
    buf_init(&line, LINE_MAX_BYTES);
    buf_init(&lit, literal_cap + 1);
    int rc = -1;
    size_t tn = strlen(tag);
    while (read_line(s, &line) == 0) {
        if (!strncmp(line.data, tag, tn) && line.data[tn] == ' ') {
            rc = !strncmp(line.data + tn + 1, "OK", 2) ? 0 : -1;
            if (rc < 0) snprintf(err, errsize, "IMAP: %.200s", line.data + tn + 1);
            break;
        }
        if (line.data[0] != '*') continue;
        /* A literal "{N}" at the end: N bytes follow, then the rest of the response. */
        buf_reset(&lit);
        char *brace = line.len > 2 && line.data[line.len - 1] == '}' ? strrchr(line.data, '{') : NULL;
        char *text = strdup(line.data);
        if (brace && text) {
            size_t size = strtoull(brace + 1, NULL, 10);
            if (read_bytes(s, size, &lit, literal_cap + 1) < 0 || read_line(s, &line) < 0) {
                free(text);
                snprintf(err, errsize, "the IMAP connection broke");
                break;
            }
        }
        if (fn && text) fn(arg, text, &lit);
        free(text);
    }
    if (rc < 0 && !err[0]) snprintf(err, errsize, "the IMAP connection broke");
    buf_fini(&line);
    buf_fini(&lit);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Connecting: imap[s]://host[:port][/folder]. */

static void split_url(const char *url, char *base, size_t bsize, char *folder, size_t fsize)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    const char *slash = strchr(host, '/');
    snprintf(base, bsize, "%.*s/", (int)((slash ? slash : host + strlen(host)) - url), url);
    const char *f = slash ? slash + 1 : "";
    snprintf(folder, fsize, "%.*s", (int)strcspn(f, "?;#"), *f ? f : "INBOX");
    if (!folder[0]) snprintf(folder, fsize, "INBOX");
}

static int imap_open(imap *s, const mailbox *mb, const char *password, char *err, size_t errsize)
{
    char base[600], folder[200];
    split_url(mb->imap_url, base, sizeof base, folder, sizeof folder);
    s->h = curl_easy_init();
    if (!s->h) return -1;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(s->h, CURLOPT_URL, base);
    curl_easy_setopt(s->h, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    curl_easy_setopt(s->h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(s->h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT_MS, (long)IO_TIMEOUT_MS);
    curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, (long)IO_TIMEOUT_MS);
    curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->h, CURLOPT_PROXY, "");
    curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, errbuf);
    if (mb->username[0]) curl_easy_setopt(s->h, CURLOPT_USERNAME, mb->username);
    if (password) curl_easy_setopt(s->h, CURLOPT_PASSWORD, password);
    CURLcode rc = curl_easy_perform(s->h);
    if (rc != CURLE_OK ||
        curl_easy_getinfo(s->h, CURLINFO_ACTIVESOCKET, &s->sock) != CURLE_OK ||
        s->sock == CURL_SOCKET_BAD) {
        snprintf(err, errsize, "IMAP connect: %s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

static void imap_close(imap *s)
{
    if (s->h) {
        char err[64] = "";
        if (s->sock != CURL_SOCKET_BAD && s->sock != 0) command(s, "LOGOUT", NULL, NULL, 0, err, sizeof err);
        curl_easy_cleanup(s->h);
    }
    s->h = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * One mailbox. */

static void on_select(void *arg, const char *line, const buf *lit)
{
    const char *p = strstr(line, "[UIDVALIDITY ");
    if (p) *(int64_t *)arg = strtoll(p + 13, NULL, 10);
}

typedef struct uid_list {
    int64_t uids[UIDS_MAX];
    int n;
} uid_list;

static void on_search(void *arg, const char *line, const buf *lit)
{
    uid_list *l = arg;
    if (strncmp(line, "* SEARCH", 8) != 0) return;
    for (const char *p = line + 8; *p && l->n < UIDS_MAX;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p) break;
        if (v > 0) l->uids[l->n++] = v;
        p = end;
    }
}

typedef struct fetched {
    buf *raw;
    int64_t size; /* the literal's size as announced */
    int got;
} fetched;

static void on_fetch(void *arg, const char *line, const buf *lit)
{
    fetched *f = arg;
    const char *brace = strrchr(line, '{');
    if (!strstr(line, "FETCH") || !brace || f->got) return;
    f->size = strtoll(brace + 1, NULL, 10);
    buf_reset(f->raw);
    buf_append(f->raw, lit->data, lit->len);
    f->got = 1;
}

typedef struct poller_ctx {
    const config *cfg;
    store *db;
    const atomic_int *stopping;
} poller_ctx;

static int mark_seen(imap *s, int64_t uid, char *err, size_t errsize)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "UID STORE %" PRId64 " +FLAGS.SILENT (\\Seen)", uid);
    return command(s, cmd, NULL, NULL, 0, err, errsize);
}

/* One message: fetch, store raw, take in, mark seen. < 0 stops this mailbox for this round. */
static int take_one(poller_ctx *pc, imap *s, const mailbox *mb, int64_t uidvalidity, int64_t uid,
                    buf *raw, char *err, size_t errsize)
{
    int seen = mail_log_has_uid(pc->db, mb->id, uidvalidity, uid);
    if (seen < 0) return snprintf(err, errsize, "database unavailable"), -1;
    if (seen) return mark_seen(s, uid, err, errsize);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "UID FETCH %" PRId64 " (BODY.PEEK[])", uid);
    fetched f = {raw, 0, 0};
    size_t cap = (size_t)pc->cfg->mail_max_bytes;
    if (command(s, cmd, on_fetch, &f, cap, err, errsize) < 0) return -1;
    if (!f.got) return 0; /* expunged meanwhile */
    fault(pc->cfg, "after-fetch");
    email_source src = {mb, uidvalidity, uid, 1};
    email_outcome out;
    sn_err e;
    sn_err_clear(&e);
    if (f.size > (int64_t)cap) {
        log_warn("mailbox %s: uid %" PRId64 " is %" PRId64 " bytes, over mail-max-bytes; left "
                 "on the server", mb->name, uid, f.size);
        return 0;
    }
    char sha[65];
    if (attachment_write_file(pc->cfg->data, raw->data, raw->len, 1, sha, &e) < 0)
        return snprintf(err, errsize, "%s", e.message), -1;
    fault(pc->cfg, "after-raw");
    if (email_ingest(pc->db, pc->cfg, &src, raw->data, raw->len, &out, &e) < 0)
        return snprintf(err, errsize, "%s", e.message), -1;
    fault(pc->cfg, "after-commit");
    return mark_seen(s, uid, err, errsize);
}

static int poll_mailbox(poller_ctx *pc, const mailbox *mb, char *err, size_t errsize)
{
    char *password = NULL;
    sn_err e;
    if (mb->password_enc[0] && keyring_open(pc->cfg->data, mb->password_enc, &password, &e) < 0)
        return snprintf(err, errsize, "%s", e.message), -1;
    imap s = {0};
    s.stopping = pc->stopping;
    int rc = imap_open(&s, mb, password, err, errsize);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    char base[600], folder[200], cmd[300];
    split_url(mb->imap_url, base, sizeof base, folder, sizeof folder);
    int64_t uidvalidity = 0;
    snprintf(cmd, sizeof cmd, "SELECT \"%s\"", folder);
    if (rc == 0) rc = command(&s, cmd, on_select, &uidvalidity, 0, err, errsize);
    uid_list *uids = calloc(1, sizeof *uids);
    if (rc == 0 && uids) rc = command(&s, "UID SEARCH UNSEEN", on_search, uids, 0, err, errsize);
    buf raw;
    buf_init(&raw, (size_t)pc->cfg->mail_max_bytes + 1);
    for (int i = 0; rc == 0 && uids && i < uids->n && !atomic_load(pc->stopping); i++)
        rc = take_one(pc, &s, mb, uidvalidity, uids->uids[i], &raw, err, errsize);
    buf_fini(&raw);
    free(uids);
    imap_close(&s);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * The thread. */

struct email_poller {
    const config *cfg;
    store *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_int stopping;
};

static void poll_all(email_poller *p)
{
    if (!p->db) {
        sn_err e;
        store_options opt = {p->cfg->sqlite_synchronous, 10000};
        if (store_open(p->cfg->db, &opt, &p->db, &e) < 0) {
            log_error("mail poller: cannot open the database: %s", e.message);
            p->db = NULL;
            return;
        }
    }
    mailbox *list;
    int n;
    if (mailbox_pollable(p->db, &list, &n) < 0) {
        log_warn("mail poller: cannot list mailboxes: %s", store_errmsg(p->db));
        store_close(p->db);
        p->db = NULL;
        return;
    }
    poller_ctx pc = {p->cfg, p->db, &p->stopping};
    for (int i = 0; i < n && !atomic_load(&p->stopping); i++) {
        char err[300] = "";
        if (poll_mailbox(&pc, &list[i], err, sizeof err) < 0)
            log_warn("mailbox %s: %s", list[i].name, err);
        mailbox_poll_status(p->db, list[i].id, clock_now_ms(), err);
    }
    free(list);
}

static void idle(email_poller *p, int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&p->lock);
    while (!atomic_load(&p->stopping))
        if (pthread_cond_timedwait(&p->wake, &p->lock, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&p->lock);
}

static void *poller_main(void *arg)
{
    email_poller *p = arg;
    while (!atomic_load(&p->stopping)) {
        poll_all(p);
        idle(p, (int64_t)p->cfg->mail_poll_seconds * 1000);
    }
    attachment_thread_fini();
    if (p->db) store_close(p->db);
    p->db = NULL;
    return NULL;
}

int email_poller_start(const config *cfg, email_poller **out, sn_err *e)
{
    email_poller *p = calloc(1, sizeof *p);
    if (!p) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    p->cfg = cfg;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot start the mail poller");
    }
    *out = p;
    return 0;
}

void email_poller_stop(email_poller *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stopping, 1);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
