/* static.c — the agent web app's built files (web/dist) served under /app/.
 *
 * Owns: mapping a request path below the mount to a file in the app's directory, the
 * Content-Type table, validators (ETag from size and modification time, If-None-Match → 304),
 * caching (hashed files under assets/ are immutable; everything else is revalidated), the
 * index.html fallback for the app's client-side routes, and the redirect of / to /app/.
 * Does not own: the security headers (server.c adds them to every response) or routing of the
 * API (api.c asks http_static_owns first and hands the request here).
 *
 * Path safety: the path is already percent-decoded by libmicrohttpd; every segment must be made
 * of [A-Za-z0-9._~-], must not start with '.', and the file must be a regular file opened
 * without following a symbolic link at its last component — so no "..", no hidden files, no
 * escape from the directory. */
#include "http.h"

#include "../core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATIC_MOUNT "/app/"
#define STATIC_MAX_FILE (16u * 1024 * 1024)
#define STATIC_MAX_PATH 256

static const struct {
    const char *ext, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
};

static char app_root[PATH_MAX];
static pthread_once_t root_once = PTHREAD_ONCE_INIT;

static int has_index(const char *dir)
{
    char p[PATH_MAX];
    struct stat st;
    if ((size_t)snprintf(p, sizeof p, "%s/index.html", dir) >= sizeof p) return 0;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The app's directory: web/dist beside the source tree the binary was built in (build/sanad,
 * build/asan/sanad), an installed share/sanad/web, or web/dist below the working directory. */
static void find_root(void)
{
    static const char *const rel[] = {"/../web/dist", "/../../web/dist", "/../share/sanad/web"};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char cand[PATH_MAX], real[PATH_MAX];
            if ((size_t)snprintf(cand, sizeof cand, "%s%s", exe, rel[i]) >= sizeof cand) continue;
            if (has_index(cand) && realpath(cand, real)) {
                snprintf(app_root, sizeof app_root, "%s", real);
                return;
            }
        }
    }
    char real[PATH_MAX];
    if (has_index("web/dist") && realpath("web/dist", real))
        snprintf(app_root, sizeof app_root, "%s", real);
}

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return "application/octet-stream";
    for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++)
        if (!strcasecmp(dot, content_types[i].ext)) return content_types[i].type;
    return "application/octet-stream";
}

/* 1 when every segment of rel (the part after the mount) is a plain file or folder name. */
static int safe_relative(const char *rel)
{
    if (strlen(rel) >= STATIC_MAX_PATH) return 0;
    const char *seg = rel;
    for (const char *p = rel;; p++) {
        if (*p == '/' || *p == '\0') {
            if (p == seg && *p == '/') return 0; /* empty segment: "//" */
            if (p > seg && *seg == '.') return 0; /* ".", "..", hidden files */
            if (*p == '\0') return 1;
            seg = p + 1;
            continue;
        }
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-' || ch == '~';
        if (!ok) return 0;
    }
}

/* A client-side route (no extension in its last segment) gets index.html, a missing file 404. */
static int looks_like_route(const char *rel)
{
    const char *last = strrchr(rel, '/');
    last = last ? last + 1 : rel;
    return strchr(last, '.') == NULL;
}

static void respond_not_found(http_req *req)
{
    sn_err e;
    sn_fail(&e, SN_ENOTFOUND, NULL, "no such resource");
    http_respond_error(req, &e);
}

static void respond_redirect(http_req *req, const char *to)
{
    http_set_header(req, "Location", to);
    http_respond(req, 302, "text/plain; charset=utf-8", "", 0);
}

/* Opens root/rel as a regular file; -1 when there is none (or it is not a plain file). */
static int open_file(const char *rel, struct stat *st)
{
    char p[PATH_MAX];
    if ((size_t)snprintf(p, sizeof p, "%s/%s", app_root, rel) >= sizeof p) return -1;
    int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size > STATIC_MAX_FILE) {
        close(fd);
        return -1;
    }
    return fd;
}

static int etag_matches(const char *header, const char *etag)
{
    if (!header) return 0;
    if (!strcmp(header, "*")) return 1;
    const char *p = strstr(header, etag);
    return p != NULL;
}

static void send_file(http_req *req, int fd, const struct stat *st, const char *rel)
{
    char etag[64];
    snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st->st_size,
             (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec);
    http_set_header(req, "ETag", etag);
    int immutable = !strncmp(rel, "assets/", 7);
    http_set_header(req, "Cache-Control",
                    immutable ? "public, max-age=31536000, immutable" : "no-cache");
    if (etag_matches(http_header_get(req, "If-None-Match"), etag)) {
        http_respond_empty(req, 304);
        return;
    }
    size_t size = (size_t)st->st_size, got = 0;
    char *data = malloc(size ? size : 1);
    while (data && got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (!data || got != size) {
        free(data);
        sn_err e;
        sn_fail(&e, SN_EINTERNAL, NULL, "cannot read %s", rel);
        log_warn("static: cannot read %s/%s", app_root, rel);
        http_respond_error(req, &e);
        return;
    }
    free(req->resp_body);
    req->resp_body = data;
    req->resp_len = size;
    req->status = 200;
    req->content_type = content_type(rel);
}

int http_static_owns(const char *path)
{
    return !strcmp(path, "/") || !strcmp(path, "/app") ||
           !strncmp(path, STATIC_MOUNT, sizeof STATIC_MOUNT - 1);
}

void http_static_serve(http_req *req)
{
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
        sn_err e;
        http_set_header(req, "Allow", "GET, HEAD");
        sn_fail(&e, SN_EMETHOD, NULL, "method not allowed; use GET, HEAD");
        http_respond_error(req, &e);
        return;
    }
    if (!strcmp(req->path, "/") || !strcmp(req->path, "/app")) {
        respond_redirect(req, STATIC_MOUNT);
        return;
    }
    pthread_once(&root_once, find_root);
    const char *rel = req->path + sizeof STATIC_MOUNT - 1;
    if (!app_root[0] || (*rel && !safe_relative(rel))) {
        respond_not_found(req);
        return;
    }
    char file[STATIC_MAX_PATH + 16];
    size_t len = strlen(rel);
    snprintf(file, sizeof file, "%s%s", rel, len == 0 || rel[len - 1] == '/' ? "index.html" : "");
    struct stat st;
    int fd = open_file(file, &st);
    if (fd < 0 && looks_like_route(rel)) {
        snprintf(file, sizeof file, "index.html");
        fd = open_file(file, &st);
    }
    if (fd < 0) {
        respond_not_found(req);
        return;
    }
    send_file(req, fd, &st, file);
    close(fd);
}
