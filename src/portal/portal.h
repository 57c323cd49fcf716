/* portal.h — the public face of the portal layer: server-rendered public pages (the help center
 * now; the contact form, tracking, booking and survey pages next), for the API's dispatcher.
 *
 * The portal owns some URL prefixes (/help…, /sitemap.xml, /robots.txt — see the modules in
 * portal.c); api_dispatch asks portal_owns first and hands those requests to portal_dispatch
 * with this thread's database connection. Everything the portal answers is HTML (or XML/text),
 * never the JSON error envelope — unless the request says Accept: application/json (the portal's
 * own scripts; see portal_wants_json). Page modules are built with page.h. */
#ifndef SANAD_PORTAL_H
#define SANAD_PORTAL_H

#include "../core/config.h"
#include "../core/err.h"
#include "../http/http.h"
#include "../store/store.h"

/* Load the embedded templates and strings of every module and check them (every template parses,
 * each module has its layout, error page and the same string keys in Arabic and English), load
 * or create the form-token key under cfg->data/keys. cfg is kept (borrowed for the process's
 * life). SN_EINVALID naming the faulty file: the server must not start with broken pages. */
int portal_init(const config *cfg, sn_err *e);
/* Free what portal_init loaded. */
void portal_fini(void);
/* 1 when path (decoded, without the query) belongs to a portal module. */
int portal_owns(const char *path);
/* Answer req (a path portal_owns) with a page; db is this thread's connection (NULL when the
 * database is unavailable: a 503 page). */
void portal_dispatch(http_req *req, store *db);

#endif
