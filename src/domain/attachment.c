/* attachment.c — content-addressed files, libmagic sniffing, clamd INSTREAM, attachment rows. */
#include "attachment.h"

#include "../core/crypto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <magic.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------
 * Sniffing: one libmagic cookie per thread (magic_t is not thread-safe). */

static pthread_key_t magic_key;
static pthread_once_t magic_once = PTHREAD_ONCE_INIT;

static void magic_free(void *cookie)
{
    if (cookie) magic_close(cookie);
}

static void magic_key_init(void)
{
    pthread_key_create(&magic_key, magic_free);
}

static magic_t thread_magic(void)
{
    pthread_once(&magic_once, magic_key_init);
    magic_t m = pthread_getspecific(magic_key);
    if (m) return m;
    m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
                   MAGIC_NO_CHECK_TAR | MAGIC_ERROR);
    if (m && magic_load(m, NULL) != 0) {
        magic_close(m);
        m = NULL;
    }
    if (m) pthread_setspecific(magic_key, m);
    return m;
}

void attachment_thread_fini(void)
{
    pthread_once(&magic_once, magic_key_init);
    magic_t m = pthread_getspecific(magic_key);
    if (m) magic_close(m);
    pthread_setspecific(magic_key, NULL);
}

void attachment_sniff(const void *data, size_t len, char *out, size_t size)
{
    magic_t m = thread_magic();
    const char *t = m && len ? magic_buffer(m, data, len) : NULL;
    snprintf(out, size, "%s", t && *t && !strchr(t, ' ') ? t : "application/octet-stream");
}

int attachment_type_allowed(const char *allowed, const char *type)
{
    if (!allowed || !*allowed) return 1;
    size_t n = strlen(type);
    for (const char *p = allowed; *p;) {
        while (*p == ' ' || *p == ',') p++;
        const char *end = p;
        while (*end && *end != ',') end++;
        const char *last = end;
        while (last > p && last[-1] == ' ') last--;
        if ((size_t)(last - p) == n && !strncasecmp(p, type, n)) return 1;
        p = end;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * clamd INSTREAM: "zINSTREAM\0", chunks of <4-byte big-endian length><bytes>, a zero length,
 * then one reply "stream: OK" or "stream: NAME FOUND". */

static int clamd_connect(const char *addr, int timeout_ms)
{
    int fd = -1;
    if (!strncmp(addr, "unix:", 5) || addr[0] == '/') {
        const char *path = addr[0] == '/' ? addr : addr + 5;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path) return -1;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            close(fd);
            fd = -1;
        }
    } else {
        char host[256];
        const char *colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof host) return -1;
        snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(host, colon + 1, &hints, &res) != 0) return -1;
        for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
            fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
            if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
                close(fd);
                fd = -1;
            }
        }
        freeaddrinfo(res);
    }
    if (fd < 0) return -1;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static int send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int attachment_scan_clamd(const char *addr, int timeout_ms, const void *data, size_t len,
                          char *detail, size_t detail_size)
{
    detail[0] = '\0';
    int fd = clamd_connect(addr, timeout_ms > 0 ? timeout_ms : 10000);
    if (fd < 0) return -1;
    int rc = send_all(fd, "zINSTREAM", 10);
    for (size_t off = 0; rc == 0 && off < len;) {
        size_t n = len - off > 65536 ? 65536 : len - off;
        uint32_t be = htonl((uint32_t)n);
        rc = send_all(fd, &be, 4) < 0 || send_all(fd, (const char *)data + off, n) < 0 ? -1 : 0;
        off += n;
    }
    uint32_t zero = 0;
    if (rc == 0) rc = send_all(fd, &zero, 4);
    char reply[512];
    size_t got = 0;
    while (rc == 0 && got < sizeof reply - 1) {
        ssize_t r = recv(fd, reply + got, sizeof reply - 1 - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
        if (memchr(reply, '\0', got) || memchr(reply, '\n', got)) break;
    }
    close(fd);
    reply[got] = '\0';
    reply[strcspn(reply, "\n")] = '\0';
    if (rc < 0 || got == 0) return -1;
    const char *v = strncmp(reply, "stream: ", 8) ? reply : reply + 8;
    if (!strcmp(v, "OK")) return 0;
    size_t vn = strlen(v);
    if (vn > 6 && !strcmp(v + vn - 6, " FOUND")) {
        snprintf(detail, detail_size, "%.*s", (int)(vn - 6), v);
        return 1;
    }
    return -1;
}

int attachment_check(const attachment_policy *p, const void *data, size_t len,
                     attachment_blob *out, sn_err *e)
{
    memset(out, 0, sizeof *out);
    out->size = (int64_t)len;
    crypto_sha256_hex(data, len, out->sha256);
    attachment_sniff(data, len, out->content_type, sizeof out->content_type);
    snprintf(out->scan, sizeof out->scan, "skipped");
    if (p->max_bytes > 0 && (int64_t)len > p->max_bytes)
        return sn_fail(e, SN_ETOOLARGE, "attachments", "the file is larger than %" PRId64 " bytes",
                       p->max_bytes);
    if (!attachment_type_allowed(p->allowed_types, out->content_type))
        return sn_fail(e, SN_EMEDIA, "attachments", "files of type %s are not accepted",
                       out->content_type);
    if (!p->clamd || !*p->clamd) return 0;
    int verdict = attachment_scan_clamd(p->clamd, p->clamd_timeout_ms, data, len,
                                        out->scan_detail, sizeof out->scan_detail);
    if (verdict < 0) return sn_fail(e, SN_EUNAVAILABLE, NULL, "the virus scanner is unavailable");
    snprintf(out->scan, sizeof out->scan, "%s", verdict ? "infected" : "clean");
    if (verdict)
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "infected", "attachments",
                            "the file carries malware (%s)", out->scan_detail);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Files. */

int attachment_path(const char *data_dir, const char *sha256, char *out, size_t size)
{
    if (strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64) return SN_EINVALID;
    size_t n = (size_t)snprintf(out, size, "%s/files/%.2s/%s", data_dir, sha256, sha256);
    return n < size ? 0 : SN_EINTERNAL;
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* DATA/files/ab: 256 folders, created on first use (one level keeps a batch from paying a
 * mkdir per file). */
static int make_dirs(const char *data_dir, const char *sha256, char *dir, size_t size)
{
    snprintf(dir, size, "%s/files/%.2s", data_dir, sha256);
    struct stat sb;
    if (stat(dir, &sb) == 0) return 0;
    char top[PATH_MAX];
    snprintf(top, sizeof top, "%s/files", data_dir);
    mkdir(data_dir, 0750);
    mkdir(top, 0750);
    if (mkdir(dir, 0750) < 0 && errno != EEXIST) return -1;
    return 0;
}

static int write_tmp(const char *tmp, const void *data, size_t len, int durable)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) return -1;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    int rc = durable ? fsync(fd) : 0;
    if (close(fd) < 0) rc = -1;
    if (rc < 0) unlink(tmp);
    return rc;
}

int attachment_write_file(const char *data_dir, const void *data, size_t len, int durable,
                          char sha256[65], sn_err *e)
{
    static _Atomic unsigned long seq;
    char path[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX];
    crypto_sha256_hex(data, len, sha256);
    if (attachment_path(data_dir, sha256, path, sizeof path) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "data directory path too long");
    struct stat sb;
    if (stat(path, &sb) == 0 && sb.st_size == (off_t)len) return 0; /* the same bytes are there */
    if (make_dirs(data_dir, sha256, dir, sizeof dir) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot create the files folder");
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%.64s.%d.%lu.tmp", dir, sha256, (int)getpid(),
                         ++seq) >= sizeof tmp)
        return sn_fail(e, SN_EINTERNAL, NULL, "data directory path too long");
    if (write_tmp(tmp, data, len, durable) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot write a file to the data directory");
    }
    if (durable && fsync_dir(dir) < 0)
        return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot sync the data directory");
    return 0;
}

int attachment_accept(const attachment_policy *p, const void *data, size_t len, int durable,
                      attachment_blob *out, sn_err *e)
{
    int rc = attachment_check(p, data, len, out, e);
    if (rc == 0) rc = attachment_write_file(p->data_dir, data, len, durable, out->sha256, e);
    return rc;
}

int attachment_sync(const char *data_dir)
{
    int fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = syncfs(fd);
    close(fd);
    return rc;
}

int attachment_read_file(const char *data_dir, const char *sha256, size_t max, char **out,
                         size_t *len, sn_err *e)
{
    char path[PATH_MAX];
    *out = NULL;
    if (attachment_path(data_dir, sha256, path, sizeof path) < 0)
        return sn_fail(e, SN_ENOTFOUND, NULL, "no such file");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0) {
        if (fd >= 0) close(fd);
        return sn_fail(e, SN_ENOTFOUND, NULL, "the stored file is missing");
    }
    if ((size_t)sb.st_size > max) {
        close(fd);
        return sn_fail(e, SN_ETOOLARGE, NULL, "the stored file is too large to read");
    }
    char *p = malloc((size_t)sb.st_size + 1);
    size_t got = 0;
    while (p && got < (size_t)sb.st_size) {
        ssize_t r = read(fd, p + got, (size_t)sb.st_size - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (!p || got != (size_t)sb.st_size) {
        free(p);
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot read the stored file");
    }
    p[got] = '\0';
    *out = p;
    *len = got;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Rows. */

int attachment_insert(store *db, const attachment_blob *b, const attachment_meta *m, int64_t now,
                      int64_t *id)
{
    store_stmt *st;
    int rc = store_prepare(db, "INSERT INTO attachments (sha256, size, content_type, declared_type, "
                               "filename, content_id, inline, scan, scan_detail, message_id, "
                               "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, b->sha256);
    store_bind_int(st, 2, b->size);
    store_bind_text(st, 3, b->content_type);
    store_bind_text(st, 4, m->declared_type ? m->declared_type : "");
    store_bind_text(st, 5, m->filename ? m->filename : "");
    store_bind_text(st, 6, m->content_id ? m->content_id : "");
    store_bind_int(st, 7, m->is_inline);
    store_bind_text(st, 8, b->scan[0] ? b->scan : "skipped");
    store_bind_text(st, 9, b->scan_detail);
    if (m->message_id)
        store_bind_int(st, 10, m->message_id);
    else
        store_bind_null(st, 10);
    store_bind_int(st, 11, now);
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc == STORE_ROW ? 0 : (rc < 0 ? rc : SN_EDB);
}

int attachment_link_message(store *db, int64_t id, int64_t message_id)
{
    store_stmt *st;
    int rc = store_prepare(db, "UPDATE attachments SET message_id = ? WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, message_id);
    store_bind_int(st, 2, id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int staff_only(const actor *who)
{
    return (who->roles & ROLE_DEPARTMENT_STAFF) &&
           !(who->roles & (ROLE_ADMIN | ROLE_SUPERVISOR | ROLE_AGENT | ROLE_QA_EVALUATOR));
}

int attachment_get(store *db, const actor *who, int64_t id, attachment_row *out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT a.id, a.size, COALESCE(a.message_id, 0), "
                          "COALESCE(m.conversation_id, 0), a.sha256, a.content_type, a.filename, "
                          "(? = 0 OR EXISTS (SELECT 1 FROM escalations x JOIN user_departments d "
                          "ON d.department_id = x.department_id WHERE x.conversation_id = "
                          "m.conversation_id AND d.user_id = ?)) FROM attachments a LEFT JOIN "
                          "messages m ON m.id = a.message_id WHERE a.id = ?", &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot read the attachment");
    store_bind_int(st, 1, staff_only(who));
    store_bind_int(st, 2, who->user_id);
    store_bind_int(st, 3, id);
    int rc = store_step(st), visible = 0;
    if (rc == STORE_ROW) {
        out->id = store_col_int(st, 0);
        out->size = store_col_int(st, 1);
        out->message_id = store_col_int(st, 2);
        out->conversation_id = store_col_int(st, 3);
        snprintf(out->sha256, sizeof out->sha256, "%s", store_col_text(st, 4));
        snprintf(out->content_type, sizeof out->content_type, "%s", store_col_text(st, 5));
        snprintf(out->filename, sizeof out->filename, "%s", store_col_text(st, 6));
        visible = store_col_int(st, 7) != 0 && (out->message_id || (who->roles & ROLE_ADMIN));
    }
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read the attachment");
    if (!visible) return sn_fail(e, SN_ENOTFOUND, NULL, "no such attachment");
    return 0;
}

const char *attachment_serve_type(const char *sniffed)
{
    static const char *const safe[] = {"application/pdf", "image/jpeg", "image/png", "image/gif",
                                       "image/webp",      "text/plain", "message/rfc822"};
    for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
        if (!strcmp(safe[i], sniffed)) return safe[i];
    return "application/octet-stream";
}

int attachment_list_json(store *db, int64_t message_id, json_t **out)
{
    store_stmt *st;
    *out = json_array();
    int rc = store_prepare(db, "SELECT id, filename, content_type, size, inline FROM attachments "
                               "WHERE message_id = ? ORDER BY id", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, message_id);
    while ((rc = store_step(st)) == STORE_ROW) {
        char url[64];
        snprintf(url, sizeof url, "/api/v1/attachments/%" PRId64, store_col_int(st, 0));
        json_array_append_new(*out, json_pack("{s:I, s:s, s:s, s:I, s:s, s:b}", "id",
                                              (json_int_t)store_col_int(st, 0), "filename",
                                              store_col_text(st, 1), "content_type",
                                              store_col_text(st, 2), "size",
                                              (json_int_t)store_col_int(st, 3), "url", url,
                                              "inline", (int)store_col_int(st, 4)));
    }
    store_finish(st);
    return rc < 0 ? rc : 0;
}
