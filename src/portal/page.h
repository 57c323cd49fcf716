/* page.h — the toolkit of portal page modules (help.c now; contact, tracking next): the module
 * descriptor and route table, page rendering from embedded Mustache templates with the strings of
 * the page's language, validators and caching, error pages, forms with CSRF tokens that need no
 * login, and rate limits.
 *
 * A module is one file with a route table and a descriptor (portal_module), listed in portal.c.
 * Its templates live in templates/<name>/ and are embedded into the binary at build time
 * (scripts/embed-files → portal_files): <name>/layout.mustache (the page shell, which includes
 * {{> content}}), <name>/error.mustache, any other *.mustache (pages and partials, by base name),
 * <name>/strings.ar.json and strings.en.json (every user-facing string, same keys in both), and
 * <name>/assets/FILE (served at /<name>/assets/FILE with a content hash for cache busting).
 *
 * URLs: a module's pages are Arabic at its prefix and English below <prefix>/en, so an unknown
 * path gets its 404 page in the right language.
 *
 * A handler answers with portal_render / portal_redirect / portal_text and returns 0, or
 * returns a negative SN_E* code with e filled; the dispatcher then renders the module's error
 * page in the page's language: 404, 403 (a form token failed), 429 (with Retry-After), 400/413/
 * 415, 500. The page shows the strings err_<slug>_title/_text when the module has them (e.g.
 * err_already_voted_title), else err_<status>_title/_text — never e->message, which is English
 * and for logs. */
#ifndef SANAD_PORTAL_PAGE_H
#define SANAD_PORTAL_PAGE_H

#include "multipart.h"
#include "portal.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* ---- embedded files (generated into build/gen/templates.c) ----------------------------------- */

typedef struct portal_file {
    const char *name; /* path below templates/, e.g. "help/article.mustache"; NULL ends */
    const char *data; /* NUL-terminated */
    size_t len;
} portal_file;

extern const portal_file portal_files[];
extern const int portal_files_count;

/* The embedded file with this name, or NULL. */
const portal_file *portal_file_find(const char *name);

/* The folder below templates/ whose assets/ every module serves as its own (a module's file of
 * the same name wins): the stylesheet all portal pages share. */
#define PORTAL_SHARED "shared"


/* ---- modules and requests -------------------------------------------------------------------- */

typedef struct portal_module portal_module;

/* What a handler gets. */
typedef struct portal_ctx {
    http_req *req;
    store *db;
    const config *cfg;
    const portal_module *module;
    const char *lang; /* "ar" | "en": the page's language, from the route */
    int64_t now;      /* one instant for the whole request */
    char back[1024];  /* where an error page links back to ("": the module's home) */
} portal_ctx;

typedef int (*portal_handler)(portal_ctx *c, sn_err *e);

typedef struct portal_route {
    const char *method;  /* "GET" (answers HEAD too) or "POST" */
    const char *pattern; /* router pattern, e.g. "/help/en/articles/{slug}" */
    portal_handler handler;
    const char *lang; /* "ar" | "en" */
} portal_route;

struct portal_module {
    const char *name;            /* its templates folder and its assets' mount: /<name>/assets/ */
    const char *const *prefixes; /* paths it owns, each with everything below it; NULL ends */
    const portal_route *routes;
    int nroutes;
    /* Optional: append the module's public pages to the sitemap: objects {loc (absolute URL),
     * lastmod ("YYYY-MM-DD" or absent)}. */
    int (*sitemap)(portal_ctx *c, json_t *urls, sn_err *e);
    /* Optional: paths robots should not crawl (e.g. search results); NULL ends. */
    const char *const *robots_disallow;
    /* Optional: called once by portal_init. */
    int (*init)(const config *cfg, sn_err *e);
};

/* ---- pages ----------------------------------------------------------------------------------- */

typedef enum portal_cache {
    PORTAL_CACHE_PUBLIC,     /* the same for everyone: shared caches may keep it a minute */
    PORTAL_CACHE_REVALIDATE, /* per visitor (a form token) or logged (a search): ask every time */
    PORTAL_CACHE_NONE        /* never stored (errors, answers to a POST) */
} portal_cache;

typedef struct portal_page {
    const char *template; /* base name in the module's folder, e.g. "article" */
    int status;           /* 0: 200 */
    portal_cache cache;
    const char *content_type; /* NULL: an HTML page inside the module's layout; otherwise the
                                 template alone is the whole body, e.g. application/xml */
} portal_page;

/* Render page p with data (a JSON object, borrowed; this adds to it: lang, dir, other_lang,
 * is_en, t (the strings of c->lang), assets (URL of each asset by its name with '.' and '-' →
 * '_', e.g. assets.help_css), home (the module's home in this language) and base (absolute URL of the
 * site, no trailing slash)). Sets Content-Type, Content-Language, ETag (a hash of the body) and
 * Cache-Control, and answers 304 without a body when If-None-Match names that ETag. Fails
 * (SN_EINTERNAL / SN_ETOOLARGE) only on a broken template or an oversized page; nothing is sent
 * then. */
int portal_render(portal_ctx *c, const portal_page *p, json_t *data, sn_err *e);
/* The string `key` of the module in c->lang ("" when there is none; keys are checked at start,
 * so a missing one is a programming error, logged). Valid for the process's life. */
const char *portal_string(portal_ctx *c, const char *key);
/* A short text body (robots.txt, sitemap) with ETag/304 and public caching. */
void portal_text(portal_ctx *c, const char *content_type, const char *body, size_t len);
/* 301 (moved for good: canonical URLs) or 303 (after a POST) to location, an absolute path or
 * URL already percent-encoded. */
void portal_redirect(portal_ctx *c, int status, const char *location);
/* The error page for e (see the top of this file), in c->lang. */
void portal_error(portal_ctx *c, const sn_err *e);
/* 1 when the client asked for JSON (Accept names application/json and not text/html): the
 * portal's own scripts. The dispatcher then answers a handler's error with the API's JSON
 * envelope instead of the error page, and handlers that support it answer JSON. */
int portal_wants_json(const portal_ctx *c);

/* The site's absolute base URL (public-url, else http://HOST from a well-formed Host header,
 * else http://LISTEN), without a trailing slash, into out. */
void portal_base_url(portal_ctx *c, char *out, size_t cap);
/* Percent-encode every byte of s outside [A-Za-z0-9-._~/] into out (truncated at a whole
 * escape). */
void portal_path_encode(const char *s, char *out, size_t cap);
/* Write n with the digits of lang (Arabic-Indic for "ar") into out. */
void portal_number(long long n, const char *lang, char *out, size_t cap);

/* ---- forms ----------------------------------------------------------------------------------- */

#define PORTAL_FORM_MAX 16384 /* bytes of a form body */

/* The fields of an application/x-www-form-urlencoded body as a JSON object of strings (the first
 * of repeated names wins); *out is the caller's. SN_EMEDIA for another Content-Type, SN_ETOOLARGE
 * past PORTAL_FORM_MAX, SN_EINVALID for bad escapes or text that is not UTF-8. */
int portal_form_parse(portal_ctx *c, json_t **out, sn_err *e);
/* The same over a Content-Type and body given directly (the fuzz driver; tests). */
int portal_form_parse_body(const char *content_type, const char *body, size_t len, json_t **out,
                           sn_err *e);

/* The fields and files of a multipart/form-data body (see multipart.h for the rules and errors):
 * files over max_file bytes or more than max_files of them are refused (SN_ETOOLARGE), and so is
 * a body the HTTP core cut at upload-request-limit (slug request_too_large). *out is
 * initialised even on error; free it with portal_multipart_fini. */
int portal_multipart_parse(portal_ctx *c, size_t max_file, int max_files, portal_multipart *out,
                           sn_err *e);

/* CSRF protection without a login: a signed double-submit token.
 * The visitor gets a cookie (sanad_form, or __Host-sanad_form with secure-cookies) holding an
 * issue time, a random nonce and the server's signature of both (HttpOnly, SameSite=Lax, 7 days).
 * A form carries HMAC(key, purpose, cookie) as its hidden field. A POST is accepted when the
 * cookie is one we issued, is under 7 days old, and the field matches it for that purpose — which
 * another site can neither read nor forge — and, when the browser sends Origin, it is ours.
 * The key (32 random bytes) is kept in DATA/keys/portal-form.key so every node sharing the data
 * directory, and a restarted server, accept the same tokens.
 *
 * portal_form_token: the field for purpose into out (size ≥ PORTAL_TOKEN_SIZE), issuing the
 * cookie (Set-Cookie) when the request has no valid one — so the page is per visitor: render it
 * with PORTAL_CACHE_REVALIDATE. portal_form_check: SN_EFORBIDDEN (slug form_expired) unless the
 * token is right. */
#define PORTAL_TOKEN_SIZE 64
void portal_form_token(portal_ctx *c, const char *purpose, char *out, size_t cap);
int portal_form_check(portal_ctx *c, const char *purpose, const char *token, sn_err *e);

/* ---- rate limits ----------------------------------------------------------------------------- */

/* One event of `scope` (e.g. "help-feedback") by `client` (an address): a token bucket of `burst`
 * events refilled one per interval_ms. 0 when allowed; SN_ERATE with e->retry_after (seconds)
 * when not. In memory, per process: with several nodes each limits on its own. */
int portal_rate_take(const char *scope, const char *client, int burst, int64_t interval_ms,
                     int64_t now, sn_err *e);

/* ---- the modules ----------------------------------------------------------------------------- */

extern const portal_module help_module;
extern const portal_module contact_module; /* /contact and /track (contact.c, track.c) */
extern const portal_module documents_module;

/* ---- the core's own start-up (portal.c calls these from portal_init) ------------------------- */

/* Build every module's bundle from portal_files; modules ends with NULL. */
int portal_render_init(const config *cfg, const portal_module *const *modules, sn_err *e);
void portal_render_fini(void);
/* Load or create the form-token key. */
int portal_form_init(const config *cfg, sn_err *e);

#endif
