/* form.c — public forms: parsing application/x-www-form-urlencoded bodies, and CSRF tokens that
 * need no login (a signed double-submit cookie; the contract is in page.h).
 *
 *   cookie  sanad_form = "1." TS "." NONCE "." SIG
 *           TS: issue time (Unix seconds); NONCE: 16 random bytes; SIG: the first 16 bytes of
 *           HMAC-SHA256(key, "cookie|1." TS "." NONCE) — all base64url, so only cookies we
 *           issued are accepted and tokens can only be had for those;
 *   field   form_token = the first 24 bytes of HMAC-SHA256(key, "form|" PURPOSE "|" COOKIE),
 *           base64url — bound to this browser's cookie and to one kind of form.
 *
 * Deterministic for one cookie, so a page that carries a token keeps its ETag (and its 304s)
 * for as long as the visitor keeps the cookie. */
#include "page.h"

#include "../core/crypto.h"
#include "../core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COOKIE_MAX_AGE (7 * 86400)   /* seconds a form cookie is good for */
#define COOKIE_RENEW_AGE (6 * 86400) /* pages issue a fresh one past this age */
#define CLOCK_SKEW 300               /* seconds a cookie may seem to come from the future */
#define FORM_FIELDS_MAX 32

static unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
static const config *site;

/* ---- the key --------------------------------------------------------------------------------- */

static int read_key(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, key, sizeof key);
    close(fd);
    return n == (ssize_t)sizeof key ? 0 : -2;
}

/* Create the key file (0600) unless another process just did; then read it back. */
static int create_key(const char *path)
{
    unsigned char fresh[sizeof key];
    randombytes_buf(fresh, sizeof fresh);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? read_key(path) : -1;
    ssize_t n = write(fd, fresh, sizeof fresh);
    int ok = n == (ssize_t)sizeof fresh && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        return -1;
    }
    memcpy(key, fresh, sizeof key);
    return 0;
}

int portal_form_init(const config *cfg, sn_err *e)
{
    site = cfg;
    char dir[600], path[640];
    snprintf(dir, sizeof dir, "%s/keys", cfg->data);
    snprintf(path, sizeof path, "%s/portal-form.key", dir);
    mkdir(cfg->data, 0750);
    mkdir(dir, 0700);
    int rc = read_key(path);
    if (rc == -2) return sn_fail(e, SN_EINVALID, "data", "%s is not a 32-byte key", path);
    if (rc < 0 && create_key(path) < 0) {
        /* A read-only data directory: forms still work until the next restart. */
        log_warn("portal: cannot keep a form key in %s; using one for this process only", path);
        randombytes_buf(key, sizeof key);
    }
    return 0;
}

/* ---- tokens ---------------------------------------------------------------------------------- */

static const char *cookie_name(void)
{
    return site && site->secure_cookies ? "__Host-sanad_form" : "sanad_form";
}

/* base64url of the first n bytes of HMAC(key, a | b | c). */
static void mac(const char *a, const char *b, const char *c, size_t n, char *out, size_t cap)
{
    unsigned char h[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, sizeof key);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)a, strlen(a));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"|", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)b, strlen(b));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"|", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)c, strlen(c));
    crypto_auth_hmacsha256_final(&st, h);
    sodium_bin2base64(out, cap, h, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* 1 when v is a cookie we issued that is usable at now; its age into *age. */
static int cookie_valid(const char *v, int64_t now_ms, int64_t *age)
{
    if (!v || strlen(v) > 96 || strncmp(v, "1.", 2)) return 0;
    char *end;
    errno = 0;
    long long ts = strtoll(v + 2, &end, 10);
    if (errno || end == v + 2 || *end != '.') return 0;
    const char *sig = strrchr(v, '.');
    if (sig == end) return 0;
    char body[96], want[40];
    snprintf(body, sizeof body, "%.*s", (int)(sig - v), v);
    mac("cookie", body, "", 16, want, sizeof want);
    if (!crypto_str_equal(sig + 1, want)) return 0;
    *age = now_ms / 1000 - ts;
    return *age >= -CLOCK_SKEW && *age <= COOKIE_MAX_AGE;
}

/* The cookie this response already sets (a second form on one page), or NULL. */
static const char *cookie_being_set(const http_req *req, char *out, size_t cap)
{
    const char *name = cookie_name();
    size_t n = strlen(name);
    for (int i = 0; i < req->nheaders; i++) {
        const char *v = req->headers[i].value;
        if (!strcasecmp(req->headers[i].name, "Set-Cookie") && !strncmp(v, name, n) &&
            v[n] == '=') {
            snprintf(out, cap, "%.*s", (int)strcspn(v + n + 1, ";"), v + n + 1);
            return out;
        }
    }
    return NULL;
}

static void issue_cookie(portal_ctx *c, char *out, size_t cap)
{
    char nonce[32], body[64], sig[40], header[256];
    crypto_token(nonce, sizeof nonce, 16);
    snprintf(body, sizeof body, "1.%" PRId64 ".%s", c->now / 1000, nonce);
    mac("cookie", body, "", 16, sig, sizeof sig);
    snprintf(out, cap, "%s.%s", body, sig);
    snprintf(header, sizeof header, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
             cookie_name(), out, COOKIE_MAX_AGE, site && site->secure_cookies ? "; Secure" : "");
    http_set_header(c->req, "Set-Cookie", header);
}

void portal_form_token(portal_ctx *c, const char *purpose, char *out, size_t cap)
{
    char value[128];
    int64_t age = 0;
    const char *cookie = cookie_being_set(c->req, value, sizeof value);
    if (!cookie) {
        cookie = http_cookie(c->req, cookie_name());
        if (!cookie_valid(cookie, c->now, &age) || age > COOKIE_RENEW_AGE) {
            issue_cookie(c, value, sizeof value);
            cookie = value;
        }
    }
    mac("form", purpose, cookie, 24, out, cap);
    http_set_header(c->req, "Vary", "Cookie");
}

/* When the browser says where the form was, it must be here: our public URL's origin, or
 * (without one) the host this request was sent to. */
static int origin_ok(portal_ctx *c)
{
    const char *origin = http_header_get(c->req, "Origin");
    if (!origin) return 1;
    if (site && site->public_url[0]) {
        const char *pu = site->public_url, *host = strstr(pu, "://");
        size_t n = host ? (size_t)(host + 3 - pu) + strcspn(host + 3, "/") : strlen(pu);
        return strlen(origin) == n && !strncasecmp(origin, pu, n);
    }
    const char *host = http_header_get(c->req, "Host"), *o = strstr(origin, "://");
    return host && o && !strcasecmp(o + 3, host);
}

int portal_form_check(portal_ctx *c, const char *purpose, const char *token, sn_err *e)
{
    const char *cookie = http_cookie(c->req, cookie_name());
    int64_t age;
    char want[PORTAL_TOKEN_SIZE];
    int ok = token && cookie_valid(cookie, c->now, &age) && origin_ok(c);
    if (ok) {
        mac("form", purpose, cookie, 24, want, sizeof want);
        ok = crypto_str_equal(token, want);
    }
    if (!ok) return sn_fail_slug(e, SN_EFORBIDDEN, "form_expired", NULL, "form token refused");
    return 0;
}

/* ---- urlencoded bodies ----------------------------------------------------------------------- */

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Decode s[0..len) (+ is a space) into out (≥ len + 1 bytes); -1 on a bad or NUL escape. */
static int url_decode(const char *s, size_t len, char *out, size_t *outlen)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[w++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1, lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return -1;
            out[w++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[w++] = s[i];
        }
    }
    out[w] = '\0';
    *outlen = w;
    return 0;
}

static int content_type_ok(const char *ct)
{
    static const char want[] = "application/x-www-form-urlencoded";
    size_t n = sizeof want - 1;
    return ct && !strncasecmp(ct, want, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int add_pair(json_t *form, const char *pair, size_t len, char *tmp, sn_err *e)
{
    const char *eq = memchr(pair, '=', len);
    size_t nlen = eq ? (size_t)(eq - pair) : len, klen, vlen;
    char *name = tmp, *value = tmp + nlen + 1;
    if (url_decode(pair, nlen, name, &klen) < 0 ||
        url_decode(eq ? eq + 1 : "", eq ? len - nlen - 1 : 0, value, &vlen) < 0)
        return sn_fail(e, SN_EINVALID, NULL, "bad escape in the form");
    json_t *k = json_stringn(name, klen), *v = json_stringn(value, vlen);
    int ok = k && v; /* jansson checks UTF-8 */
    if (ok && !json_object_get(form, name)) json_object_set(form, name, v);
    json_decref(k);
    json_decref(v);
    return ok ? 0 : sn_fail(e, SN_EINVALID, NULL, "the form is not UTF-8");
}

int portal_form_parse(portal_ctx *c, json_t **out, sn_err *e)
{
    const buf *b = &c->req->body;
    return portal_form_parse_body(http_header_get(c->req, "Content-Type"), b->data, b->len, out, e);
}

int portal_form_parse_body(const char *content_type, const char *body, size_t body_len,
                           json_t **out, sn_err *e)
{
    if (!content_type_ok(content_type))
        return sn_fail(e, SN_EMEDIA, NULL, "the form must be application/x-www-form-urlencoded");
    if (body_len > PORTAL_FORM_MAX) return sn_fail(e, SN_ETOOLARGE, NULL, "the form is too large");
    json_t *form = json_object();
    char *tmp = malloc(body_len + 2);
    int rc = form && tmp ? 0 : sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    const char *p = body ? body : "", *end = p + body_len;
    for (int n = 0; rc == 0 && p < end; n++) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t len = amp ? (size_t)(amp - p) : (size_t)(end - p);
        if (n == FORM_FIELDS_MAX)
            rc = sn_fail(e, SN_EINVALID, NULL, "too many fields");
        else if (len)
            rc = add_pair(form, p, len, tmp, e);
        p += len + 1;
    }
    free(tmp);
    if (rc < 0) {
        json_decref(form);
        return rc;
    }
    *out = form;
    return 0;
}
