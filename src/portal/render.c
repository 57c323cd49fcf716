/* render.c — pages from the embedded templates: each module's bundle (templates, strings per
 * language, asset URLs), rendering inside the layout, validators and caching, error pages,
 * redirects, absolute URLs.
 *
 * Bundles are built once by portal_render_init and never change afterwards, so worker threads
 * read them without a lock (jansson's reference counts are atomic). */
#include "page.h"

#include "../core/buf.h"
#include "../core/crypto.h"
#include "../core/log.h"
#include "../core/mustache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX ((size_t)4 << 20) /* bytes of one rendered page */
#define MAX_MODULES 16

typedef struct bundle {
    const portal_module *m;
    json_t *partials;   /* base name → template text: every <name>/NAME.mustache */
    json_t *strings[2]; /* [0] Arabic, [1] English */
    json_t *assets;     /* asset_key → "/<name>/assets/FILE?v=HASH" */
} bundle;

static bundle bundles[MAX_MODULES];
static int nbundles;
static const config *site;

const portal_file *portal_file_find(const char *name)
{
    for (int i = 0; i < portal_files_count; i++)
        if (!strcmp(portal_files[i].name, name)) return &portal_files[i];
    return NULL;
}

static const bundle *bundle_of(const portal_module *m)
{
    for (int i = 0; i < nbundles; i++)
        if (bundles[i].m == m) return &bundles[i];
    return NULL;
}

/* ---- loading --------------------------------------------------------------------------------- */

static void name_noop(const char *name, void *arg)
{
    (void)name;
    (void)arg;
}

/* "help.css" → "help_css": a name Mustache can look up with a dot path (assets.help_css). */
static void asset_key(const char *file, char *out, size_t cap)
{
    snprintf(out, cap, "%s", file);
    for (char *p = out; *p; p++)
        if (*p == '.' || *p == '-') *p = '_';
}

static int load_strings(bundle *b, int i, const portal_file *f, sn_err *e)
{
    json_error_t jerr;
    json_t *s = json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(s)) {
        json_decref(s);
        return sn_fail(e, SN_EINVALID, NULL, "templates/%s: not a JSON object (%s, line %d)",
                       f->name, jerr.text, jerr.line);
    }
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v)
    {
        if (!json_is_string(v)) {
            json_decref(s);
            return sn_fail(e, SN_EINVALID, NULL, "templates/%s: \"%s\" is not a string", f->name,
                           k);
        }
    }
    b->strings[i] = s;
    return 0;
}

/* One file of the module's folder (rel: the path below it) into the bundle. */
static int load_file(bundle *b, const portal_file *f, const char *rel, sn_err *e)
{
    size_t n = strlen(rel);
    if (!strncmp(rel, "assets/", 7) && !strchr(rel + 7, '/')) {
        char key[128], hash[65], url[256];
        asset_key(rel + 7, key, sizeof key);
        crypto_sha256_hex(f->data, f->len, hash);
        snprintf(url, sizeof url, "/%s/%s?v=%.12s", b->m->name, rel, hash);
        json_object_set_new(b->assets, key, json_string(url));
        return 0;
    }
    if (strchr(rel, '/')) return 0;
    if (!strcmp(rel, "strings.ar.json")) return load_strings(b, 0, f, e);
    if (!strcmp(rel, "strings.en.json")) return load_strings(b, 1, f, e);
    if (n > 9 && !strcmp(rel + n - 9, ".mustache")) {
        sn_err pe;
        if (mustache_names(f->data, name_noop, NULL, &pe) < 0)
            return sn_fail(e, SN_EINVALID, NULL, "templates/%s: %s", f->name, pe.message);
        json_object_setn_new(b->partials, rel, n - 9, json_string(f->data));
    }
    return 0;
}

/* Both languages have exactly the same keys. */
static int same_keys(const bundle *b, sn_err *e)
{
    for (int i = 0; i < 2; i++) {
        const char *k;
        json_t *v;
        json_object_foreach(b->strings[i], k, v)
        {
            if (!json_object_get(b->strings[1 - i], k))
                return sn_fail(e, SN_EINVALID, NULL, "templates/%s/strings.%s.json lacks \"%s\"",
                               b->m->name, i ? "ar" : "en", k);
        }
    }
    return 0;
}

static int load_bundle(bundle *b, const portal_module *m, sn_err *e)
{
    b->m = m;
    b->partials = json_object();
    b->assets = json_object();
    size_t nl = strlen(m->name), sl = strlen(PORTAL_SHARED);
    for (int i = 0; i < portal_files_count; i++) {
        const portal_file *f = &portal_files[i];
        /* The module's own files, and the shared assets (served under every module). */
        const char *rel = NULL;
        if (!strncmp(f->name, m->name, nl) && f->name[nl] == '/')
            rel = f->name + nl + 1;
        else if (!strncmp(f->name, PORTAL_SHARED "/assets/", sl + 8))
            rel = f->name + sl + 1;
        int rc = rel ? load_file(b, f, rel, e) : 0;
        if (rc < 0) return rc;
    }
    static const char *const required[] = {"layout", "error"};
    for (size_t i = 0; i < 2; i++)
        if (!json_object_get(b->partials, required[i]))
            return sn_fail(e, SN_EINVALID, NULL, "templates/%s/%s.mustache is missing", m->name,
                           required[i]);
    if (!b->strings[0] || !b->strings[1])
        return sn_fail(e, SN_EINVALID, NULL,
                       "templates/%s/strings.ar.json and strings.en.json "
                       "are both required",
                       m->name);
    return same_keys(b, e);
}

int portal_render_init(const config *cfg, const portal_module *const *modules, sn_err *e)
{
    site = cfg;
    for (int i = 0; modules[i]; i++) {
        if (nbundles == MAX_MODULES)
            return sn_fail(e, SN_EINVALID, NULL, "too many portal modules");
        int rc = load_bundle(&bundles[nbundles++], modules[i], e);
        if (rc < 0) return rc;
    }
    return 0;
}

void portal_render_fini(void)
{
    for (int i = 0; i < nbundles; i++) {
        json_decref(bundles[i].partials);
        json_decref(bundles[i].assets);
        json_decref(bundles[i].strings[0]);
        json_decref(bundles[i].strings[1]);
    }
    memset(bundles, 0, sizeof bundles);
    nbundles = 0;
}

const char *portal_string(portal_ctx *c, const char *key)
{
    const bundle *b = bundle_of(c->module);
    const char *v =
        b ? json_string_value(json_object_get(b->strings[!strcmp(c->lang, "en")], key)) : NULL;
    if (!v) log_warn("portal: no string \"%s\" in %s", key, c->module->name);
    return v ? v : "";
}

/* ---- URLs and numbers ------------------------------------------------------------------------ */

/* A Host header we are willing to print into links: a name or address and maybe a port. */
static int host_ok(const char *h)
{
    size_t n = h ? strlen(h) : 0;
    if (n == 0 || n > 200) return 0;
    for (const char *p = h; *p; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']';
        if (!ok) return 0;
    }
    return 1;
}

void portal_base_url(portal_ctx *c, char *out, size_t cap)
{
    const char *host = http_header_get(c->req, "Host");
    if (site && site->public_url[0])
        snprintf(out, cap, "%s", site->public_url);
    else if (host_ok(host))
        snprintf(out, cap, "http://%s", host);
    else
        snprintf(out, cap, "http://%s", site ? site->listen : "localhost");
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
}

void portal_path_encode(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    if (cap == 0) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~/", *p);
        if (w + (plain ? 1 : 3) >= cap) break;
        if (plain) {
            out[w++] = (char)*p;
        } else {
            out[w++] = '%';
            out[w++] = hex[*p >> 4];
            out[w++] = hex[*p & 15];
        }
    }
    out[w] = '\0';
}

void portal_number(long long n, const char *lang, char *out, size_t cap)
{
    char ascii[32];
    snprintf(ascii, sizeof ascii, "%lld", n);
    if (strcmp(lang, "ar") != 0) {
        snprintf(out, cap, "%s", ascii);
        return;
    }
    size_t w = 0;
    for (const char *p = ascii; *p && w + 3 <= cap - 1; p++) {
        if (*p >= '0' && *p <= '9') { /* U+0660..U+0669: D9 A0..D9 A9 */
            out[w++] = (char)0xD9;
            out[w++] = (char)(0xA0 + (*p - '0'));
        } else {
            out[w++] = *p;
        }
    }
    out[w] = '\0';
}

/* ---- responses ------------------------------------------------------------------------------- */

/* Whether an If-None-Match list names etag (weak or strong, or "*"). */
static int etag_listed(const char *header, const char *etag)
{
    if (!header) return 0;
    size_t n = strlen(etag);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p) break;
        if (*p == '*') return 1;
        if (!strncmp(p, "W/", 2)) p += 2;
        size_t len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == n && !memcmp(p, etag, n)) return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

static const char *cache_value(portal_cache cache)
{
    switch (cache) {
    case PORTAL_CACHE_PUBLIC:
        return "public, max-age=60";
    case PORTAL_CACHE_REVALIDATE:
        return "private, no-cache";
    default:
        return "no-store";
    }
}

/* Send body (taken over: malloc'd) with validators; 304 when the client has it. */
static void send_body(portal_ctx *c, int status, const char *type, portal_cache cache, char *body,
                      size_t len)
{
    http_req *req = c->req;
    http_set_header(req, "Cache-Control", cache_value(cache));
    if (status == 200 && cache != PORTAL_CACHE_NONE) {
        char hash[65], etag[40];
        crypto_sha256_hex(body, len, hash);
        snprintf(etag, sizeof etag, "\"%.32s\"", hash);
        http_set_header(req, "ETag", etag);
        if (etag_listed(http_header_get(req, "If-None-Match"), etag)) {
            free(body);
            http_respond_empty(req, 304);
            return;
        }
    }
    free(req->resp_body);
    req->resp_body = body;
    req->resp_len = len;
    req->status = status;
    req->content_type = type;
}

void portal_text(portal_ctx *c, const char *content_type, const char *body, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy) {
        http_respond(c->req, 500, "text/plain; charset=utf-8", "", 0);
        return;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    send_body(c, 200, content_type, PORTAL_CACHE_PUBLIC, copy, len);
}

void portal_redirect(portal_ctx *c, int status, const char *location)
{
    http_set_header(c->req, "Location", location);
    http_set_header(c->req, "Cache-Control", status == 301 ? "public, max-age=3600" : "no-store");
    http_respond(c->req, status, "text/plain; charset=utf-8", "", 0);
}

/* The keys added to every page's data (see portal_render). */
static void add_site_keys(portal_ctx *c, const bundle *b, json_t *data)
{
    int en = !strcmp(c->lang, "en");
    char base[300], home[80];
    portal_base_url(c, base, sizeof base);
    snprintf(home, sizeof home, "%s%s", b->m->prefixes[0], en ? "/en" : "");
    json_object_set_new(data, "lang", json_string(en ? "en" : "ar"));
    json_object_set_new(data, "dir", json_string(en ? "ltr" : "rtl"));
    json_object_set_new(data, "other_lang", json_string(en ? "ar" : "en"));
    json_object_set_new(data, "is_en", json_boolean(en));
    json_object_set(data, "t", b->strings[en]);
    json_object_set(data, "assets", b->assets);
    json_object_set_new(data, "home", json_string(home));
    json_object_set_new(data, "base", json_string(base));
    if (!json_object_get(data, "switch_href")) { /* the other language's home */
        snprintf(home, sizeof home, "%s%s", b->m->prefixes[0], en ? "" : "/en");
        json_object_set_new(data, "switch_href", json_string(home));
    }
}

int portal_render(portal_ctx *c, const portal_page *p, json_t *data, sn_err *e)
{
    const bundle *b = bundle_of(c->module);
    const char *page = b ? json_string_value(json_object_get(b->partials, p->template)) : NULL;
    if (!page) return sn_fail(e, SN_EINTERNAL, NULL, "no template %s", p->template);
    add_site_keys(c, b, data);
    json_t *partials = b->partials;
    const char *root = page;
    if (!p->content_type) {
        partials = json_copy(b->partials); /* shallow: the texts are shared */
        if (!partials) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
        json_object_set_new(partials, "content", json_string(page));
        root = json_string_value(json_object_get(b->partials, "layout"));
    }
    buf out;
    buf_init(&out, PAGE_MAX);
    int rc = mustache_render(root, data, partials, 0, &out, e);
    if (partials != b->partials) json_decref(partials);
    if (rc < 0) {
        log_error("portal: rendering %s/%s: %s", b->m->name, p->template, e->message);
        buf_fini(&out);
        return sn_fail(e, SN_EINTERNAL, NULL, "cannot render the page");
    }
    size_t len = out.len;
    char *body = buf_steal(&out);
    if (!body) body = calloc(1, 1);
    if (!body) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    http_set_header(c->req, "Content-Language", c->lang);
    send_body(c, p->status ? p->status : 200,
              p->content_type ? p->content_type : "text/html; charset=utf-8", p->cache, body, len);
    return 0;
}

/* ---- error pages ----------------------------------------------------------------------------- */

static int error_status(const sn_err *e)
{
    int s = sn_err_http_status(e->code);
    return s == 413 || s == 415 || s == 422 ? 400 : s >= 500 && s != 503 ? 500 : s;
}

/* The text of key `<prefix>_title` / `_text`, if the strings have it. */
static const char *string_of(const bundle *b, const char *lang, const char *prefix,
                             const char *part)
{
    char key[96];
    snprintf(key, sizeof key, "%s_%s", prefix, part);
    return json_string_value(json_object_get(b->strings[!strcmp(lang, "en")], key));
}

void portal_error(portal_ctx *c, const sn_err *e)
{
    const bundle *b = bundle_of(c->module);
    int status = error_status(e), shown = sn_err_http_status(e->code);
    char by_slug[64], by_status[32];
    snprintf(by_slug, sizeof by_slug, "err_%s", e->slug);
    snprintf(by_status, sizeof by_status, "err_%d", status);
    const char *title = e->slug[0] ? string_of(b, c->lang, by_slug, "title") : NULL;
    const char *text = e->slug[0] ? string_of(b, c->lang, by_slug, "text") : NULL;
    if (!title || !text) {
        title = string_of(b, c->lang, by_status, "title");
        text = string_of(b, c->lang, by_status, "text");
    }
    if (shown == 429 && e->retry_after > 0) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", e->retry_after);
        http_set_header(c->req, "Retry-After", secs);
    }
    json_t *data = json_pack("{s:s, s:s, s:i, s:s, s:b}", "title", title ? title : "Error", "text",
                             text ? text : "", "status", shown, "code",
                             e->slug[0] ? e->slug : sn_err_default_slug(e->code), "noindex", 1);
    if (data && c->back[0]) json_object_set_new(data, "back", json_string(c->back));
    portal_page p = {"error", shown, PORTAL_CACHE_NONE, NULL};
    sn_err again;
    if (!data || portal_render(c, &p, data, &again) < 0) {
        static const char plain[] = "error\n";
        http_respond(c->req, shown, "text/plain; charset=utf-8", plain, sizeof plain - 1);
    }
    json_decref(data);
}
