/* portal.c — the portal's front door: the list of page modules, start-up checks, which paths are
 * ours, dispatch to a module's route table, the modules' static assets, and the site-wide
 * /robots.txt and /sitemap.xml built from what the modules declare.
 *
 * To add a module (contact form, tracking…): write it with page.h, put its templates under
 * templates/<name>/, and list its descriptor in `modules` below. */
#include "portal.h"

#include "page.h"

#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const portal_module *const modules[] = {&help_module, &contact_module, &documents_module,
                                                    NULL};

#define MAX_ROUTES 64

typedef struct module_keys {
    http_route_key keys[MAX_ROUTES];
} module_keys;

static module_keys route_keys[sizeof modules / sizeof modules[0]];
static const config *site;

/* ---- start-up -------------------------------------------------------------------------------- */

int portal_init(const config *cfg, sn_err *e)
{
    site = cfg;
    int rc = portal_render_init(cfg, modules, e);
    if (rc == 0) rc = portal_form_init(cfg, e);
    for (int m = 0; rc == 0 && modules[m]; m++) {
        const portal_module *mod = modules[m];
        if (mod->nroutes > MAX_ROUTES)
            return sn_fail(e, SN_EINVALID, NULL, "portal module %s: too many routes", mod->name);
        for (int i = 0; i < mod->nroutes; i++)
            route_keys[m].keys[i] = (http_route_key){mod->routes[i].method, mod->routes[i].pattern};
        if (mod->init) rc = mod->init(cfg, e);
    }
    return rc;
}

void portal_fini(void)
{
    portal_render_fini();
}

/* ---- which paths are ours -------------------------------------------------------------------- */

static int is_site_path(const char *path)
{
    return !strcmp(path, "/robots.txt") || !strcmp(path, "/sitemap.xml");
}

/* path is prefix or below it; the length of the prefix matched, else 0. */
static size_t under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/') ? n : 0;
}

static int module_of(const char *path, size_t *prefix_len)
{
    for (int m = 0; modules[m]; m++)
        for (const char *const *p = modules[m]->prefixes; *p; p++)
            if ((*prefix_len = under(path, *p)) > 0) return m;
    return -1;
}

int portal_owns(const char *path)
{
    size_t n;
    return is_site_path(path) || module_of(path, &n) >= 0;
}

/* ---- site-wide files ------------------------------------------------------------------------- */

static int robots(portal_ctx *c, sn_err *e)
{
    char base[300];
    portal_base_url(c, base, sizeof base);
    buf b;
    buf_init(&b, 64 * 1024);
    buf_puts(&b, "# Sanad public portal\nUser-agent: *\nDisallow: /api/\nDisallow: /app/\n");
    for (int m = 0; modules[m]; m++)
        for (const char *const *d = modules[m]->robots_disallow; d && *d; d++)
            buf_printf(&b, "Disallow: %s\n", *d);
    buf_printf(&b, "Allow: /\n\nSitemap: %s/sitemap.xml\n", base);
    portal_text(c, "text/plain; charset=utf-8", b.data ? b.data : "", b.len);
    buf_fini(&b);
    return 0;
}

static void xml_escaped(buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&apos;");
            break;
        default:
            buf_append(b, s, 1);
        }
    }
}

static int sitemap(portal_ctx *c, sn_err *e)
{
    json_t *urls = json_array();
    int rc = 0;
    for (int m = 0; rc == 0 && modules[m]; m++) {
        portal_ctx mc = *c;
        mc.module = modules[m];
        if (modules[m]->sitemap) rc = modules[m]->sitemap(&mc, urls, e);
    }
    buf b;
    buf_init(&b, (size_t)16 << 20);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                 "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    size_t i;
    json_t *u;
    json_array_foreach(urls, i, u)
    {
        const char *lastmod = json_string_value(json_object_get(u, "lastmod"));
        buf_puts(&b, "<url><loc>");
        xml_escaped(&b, json_string_value(json_object_get(u, "loc")));
        buf_puts(&b, "</loc>");
        if (lastmod) {
            buf_puts(&b, "<lastmod>");
            xml_escaped(&b, lastmod);
            buf_puts(&b, "</lastmod>");
        }
        buf_puts(&b, "</url>\n");
    }
    if (buf_puts(&b, "</urlset>\n") < 0 && rc == 0)
        rc = sn_fail(e, SN_EINTERNAL, NULL, "the sitemap is too large");
    if (rc == 0) portal_text(c, "application/xml; charset=utf-8", b.data, b.len);
    buf_fini(&b);
    json_decref(urls);
    return rc;
}

/* ---- assets ---------------------------------------------------------------------------------- */

static const struct {
    const char *ext, *type;
} asset_types[] = {
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
};

/* GET /<module>/assets/FILE: the module's embedded file, else the shared one (templates/shared/
 * assets); immutable for a year when ?v= is its hash. */
static int asset(portal_ctx *c, const char *file, sn_err *e)
{
    char name[256], shared[256];
    snprintf(name, sizeof name, "%s/assets/%s", c->module->name, file);
    snprintf(shared, sizeof shared, PORTAL_SHARED "/assets/%s", file);
    const portal_file *f = strchr(file, '/') ? NULL : portal_file_find(name);
    if (!f && !strchr(file, '/')) f = portal_file_find(shared);
    const char *dot = strrchr(file, '.'), *type = NULL;
    for (size_t i = 0; dot && i < sizeof asset_types / sizeof asset_types[0]; i++)
        if (!strcmp(dot, asset_types[i].ext)) type = asset_types[i].type;
    if (!f || !type) return sn_fail(e, SN_ENOTFOUND, NULL, "no such asset");
    if (strcmp(c->req->method, "GET") && strcmp(c->req->method, "HEAD")) {
        http_set_header(c->req, "Allow", "GET, HEAD");
        return sn_fail(e, SN_EMETHOD, NULL, "method not allowed");
    }
    char hash[65];
    crypto_sha256_hex(f->data, f->len, hash);
    const char *v = http_query(c->req, "v");
    int current = v && strlen(v) == 12 && !strncmp(v, hash, 12);
    portal_text(c, type, f->data, f->len);
    http_set_header(c->req, "Cache-Control",
                    current ? "public, max-age=31536000, immutable" : "public, max-age=300");
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

/* A path ending in '/' (other than the root) is 301'd to the same path without it. */
static int strip_slash(portal_ctx *c)
{
    const char *path = c->req->path;
    size_t n = strlen(path);
    if (n < 2 || path[n - 1] != '/') return 0;
    char trimmed[1024], location[3072];
    snprintf(trimmed, sizeof trimmed, "%.*s", (int)(n - 1), path);
    portal_path_encode(trimmed, location, sizeof location);
    portal_redirect(c, 301, location);
    return 1;
}

static int site_file(portal_ctx *c, sn_err *e)
{
    if (strcmp(c->req->method, "GET") && strcmp(c->req->method, "HEAD")) {
        http_set_header(c->req, "Allow", "GET, HEAD");
        return sn_fail(e, SN_EMETHOD, NULL, "method not allowed");
    }
    if (!c->db) return sn_fail(e, SN_EUNAVAILABLE, NULL, "database unavailable");
    return strcmp(c->req->path, "/robots.txt") ? sitemap(c, e) : robots(c, e);
}

static int route(portal_ctx *c, int m, size_t prefix_len, sn_err *e)
{
    const char *rest = c->req->path + prefix_len;
    if (strip_slash(c)) return 0;
    if (!strncmp(rest, "/assets/", 8)) return asset(c, rest + 8, e);
    char allow[64];
    int r = router_match(c->req, route_keys[m].keys, modules[m]->nroutes, allow, sizeof allow);
    int index = c->req->route;
    c->req->route = -1; /* the metrics' route labels are the API table's */
    if (r == ROUTER_NOT_FOUND) return sn_fail(e, SN_ENOTFOUND, NULL, "no such page");
    if (r == ROUTER_METHOD) {
        http_set_header(c->req, "Allow", allow);
        return sn_fail(e, SN_EMETHOD, NULL, "method not allowed; use %s", allow);
    }
    const portal_route *pr = &modules[m]->routes[index];
    c->lang = pr->lang;
    if (c->req->body_too_large) /* past upload-request-limit (or body-limit) */
        return sn_fail_slug(e, SN_ETOOLARGE, "request_too_large", NULL,
                            "the request body is too large");
    if (!c->db) return sn_fail(e, SN_EUNAVAILABLE, NULL, "database unavailable");
    return pr->handler(c, e);
}

void portal_dispatch(http_req *req, store *db)
{
    size_t prefix_len = 0;
    int m = module_of(req->path, &prefix_len);
    portal_ctx c = {req, db, site, modules[m < 0 ? 0 : m], "ar", clock_now_ms(), ""};
    /* Until a route says otherwise, the language is the path's: <prefix>/en… is English. */
    if (m >= 0 && under(req->path + prefix_len, "/en")) c.lang = "en";
    sn_err e;
    sn_err_clear(&e);
    int rc = m < 0 ? site_file(&c, &e) : route(&c, m, prefix_len, &e);
    if (rc < 0 && portal_wants_json(&c))
        http_respond_error(req, &e);
    else if (rc < 0)
        portal_error(&c, &e);
}

int portal_wants_json(const portal_ctx *c)
{
    const char *accept = http_header_get(c->req, "Accept");
    return accept && strstr(accept, "application/json") && !strstr(accept, "text/html");
}
