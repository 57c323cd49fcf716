/* api.c — dispatch: per-thread database, authentication, CSRF, roles, body validation. */
#include "api.h"

#include "../core/clock.h"
#include "../core/crypto.h"
#include "../core/log.h"
#include "../domain/events.h"
#include "../portal/portal.h"
#include "../store/committer.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const config *api_cfg;
static http_route_key route_keys[256];
static const char *route_patterns[256];

/* One database connection per worker thread, opened on first use and closed by api_fini. */
static __thread store *thread_db;
static pthread_mutex_t dbs_lock = PTHREAD_MUTEX_INITIALIZER;
static store *all_dbs[512];
static int ndbs;
/* Group committers: one on SQLite (a single writer), several on PostgreSQL, where the round
 * trips of one connection, not the fsync, limit a lone committer. */
#define MAX_GROUPS 16
static committer *groups[MAX_GROUPS];
static int ngroups;
static unsigned next_group;

static const committer_hooks group_hooks = {events_unit_begin, events_unit_abort, events_flush,
                                            events_discard,    events_take,       events_publish};

int api_init(const config *cfg, sn_err *e)
{
    api_cfg = cfg;
    if (api_route_count > (int)(sizeof route_keys / sizeof route_keys[0]))
        return sn_fail(e, SN_EINTERNAL, NULL, "route table too large");
    for (int i = 0; i < api_route_count; i++) {
        route_keys[i].method = api_routes[i].method;
        route_keys[i].pattern = api_routes[i].pattern;
        route_patterns[i] = api_routes[i].pattern;
    }
    int prc = portal_init(cfg, e);
    if (prc < 0) return prc;
    if (cfg->group_commit) {
        store_options opt = {cfg->sqlite_synchronous, 10000};
        int want = strncmp(cfg->db, "sqlite:", 7) ? cfg->group_commit_writers : 1;
        for (ngroups = 0; ngroups < want && ngroups < MAX_GROUPS; ngroups++) {
            int rc = committer_start(cfg->db, &opt, &group_hooks, 512, &groups[ngroups], e);
            if (rc < 0) return rc;
        }
    }
    return 0;
}

/* The group committer for a unit: key's (api_group_defer), or the next in turn for key 0. */
static committer *group_for(uint64_t key)
{
    if (!key) key = __atomic_fetch_add(&next_group, 1, __ATOMIC_RELAXED);
    return groups[key % (uint64_t)ngroups];
}

int api_group_run(api_ctx *c, int (*fn)(store *db, void *arg, sn_err *e), void *arg, sn_err *e)
{
    if (ngroups) return committer_run(group_for(0), fn, arg, e);
    if (store_begin_write(c->db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot store now");
    int rc = fn(c->db, arg, e);
    if (rc == 0 && store_commit(c->db) < 0) rc = sn_fail(e, SN_EDB, NULL, "cannot store now");
    if (rc < 0) {
        store_rollback(c->db);
        events_discard();
    } else {
        events_flush();
    }
    return rc;
}

/* A request waiting on a submitted group-commit unit (api_group_defer). */
typedef struct deferred {
    http_req *req;
    api_finish_fn finish;
    void *arg;
    sn_err e;
    int rc;
} deferred;

static void deferred_done(void *arg, int rc)
{
    deferred *d = arg;
    d->rc = rc;
    http_resume(d->req);
}

static void deferred_finish(http_req *req, void *arg)
{
    deferred *d = arg;
    d->finish(req, d->arg, d->rc, &d->e);
    free(d);
}

int api_group_defer(api_ctx *c, uint64_t key, int (*fn)(store *db, void *arg, sn_err *e),
                    void *arg, api_finish_fn finish, sn_err *e)
{
    if (!ngroups) {
        int rc = api_group_run(c, fn, arg, e);
        finish(c->req, arg, rc, e);
        return 0;
    }
    deferred *d = calloc(1, sizeof *d);
    if (!d) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    *d = (deferred){c->req, finish, arg, {0}, 0};
    http_defer(c->req, deferred_finish, d);
    int rc = committer_submit(group_for(key), fn, arg, &d->e, deferred_done, d);
    if (rc < 0) deferred_done(d, rc); /* nothing queued: answer with d->e at once */
    return 0;
}

int api_group_writers(void)
{
    return ngroups;
}

const char *const *api_route_patterns(void)
{
    return route_patterns;
}

void api_fini(void)
{
    for (int i = 0; i < ngroups; i++) committer_stop(groups[i]);
    ngroups = 0;
    portal_fini();
    pthread_mutex_lock(&dbs_lock);
    for (int i = 0; i < ndbs; i++) store_close(all_dbs[i]);
    ndbs = 0;
    pthread_mutex_unlock(&dbs_lock);
}

static store *api_db(sn_err *e)
{
    if (thread_db) return thread_db;
    store_options opt = {api_cfg->sqlite_synchronous, 10000};
    store *db;
    if (store_open(api_cfg->db, &opt, &db, e) < 0) {
        log_error("cannot open database: %s", e->message);
        return NULL;
    }
    pthread_mutex_lock(&dbs_lock);
    if (ndbs < (int)(sizeof all_dbs / sizeof all_dbs[0])) all_dbs[ndbs++] = db;
    pthread_mutex_unlock(&dbs_lock);
    return thread_db = db;
}

static int is_unsafe(const char *method)
{
    return strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "OPTIONS");
}

static int authenticate(api_ctx *c, sn_err *e)
{
    session_policy policy = {(int64_t)c->cfg->session_idle_minutes * 60000,
                             (int64_t)c->cfg->session_absolute_hours * 3600000};
    const char *authz = http_header_get(c->req, "Authorization");
    int rc;
    if (authz && !strncasecmp(authz, "Bearer ", 7)) {
        rc = token_lookup(c->db, authz + 7, &c->who);
    } else {
        const char *cookie = http_cookie(c->req, "sanad_session");
        rc = cookie ? session_lookup(c->db, cookie, &policy, &c->who) : SN_EUNAUTH;
        if (rc == 0 && is_unsafe(c->req->method)) {
            const char *csrf = http_header_get(c->req, "X-CSRF-Token");
            if (!csrf || !crypto_str_equal(csrf, c->who.csrf))
                return sn_fail_slug(e, SN_EFORBIDDEN, "csrf_failed", NULL,
                                    "missing or wrong X-CSRF-Token header");
        }
    }
    if (rc == SN_EUNAUTH) return sn_fail(e, SN_EUNAUTH, NULL, "sign in first");
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot check the session");
    c->authenticated = 1;
    c->req->user_id = c->who.user_id;
    c->act.user_id = c->who.user_id;
    c->act.email = c->who.email;
    c->act.roles = c->who.roles;
    return 0;
}

static int parse_body(api_ctx *c, const api_route *r, sn_err *e)
{
    if (!r->body) return 0;
    const char *ctype = http_header_get(c->req, "Content-Type");
    if (!ctype || strncasecmp(ctype, "application/json", 16) != 0 ||
        (ctype[16] && ctype[16] != ';' && ctype[16] != ' '))
        return sn_fail(e, SN_EMEDIA, NULL, "the body must be application/json");
    json_error_t jerr;
    c->body = json_loadb(c->req->body.data ? c->req->body.data : "", c->req->body.len,
                         JSON_REJECT_DUPLICATES, &jerr);
    if (!c->body)
        return sn_fail_slug(e, SN_EINVALID, "invalid_json", NULL, "the body is not valid JSON: %s",
                            jerr.text);
    return api_validate_body(c->body, r->body, e);
}

void api_dispatch(http_req *req)
{
    char allow[64];
    sn_err e;
    sn_err_clear(&e);
    if (req->body_too_large && !portal_owns(req->path)) { /* portal pages answer 413 as pages */
        sn_fail(&e, SN_ETOOLARGE, NULL, "the request body is larger than %zu bytes", req->body.max);
        http_respond_error(req, &e);
        return;
    }
    if (http_static_owns(req->path)) {
        http_static_serve(req);
        return;
    }
    if (portal_owns(req->path)) { /* public pages: HTML, never the JSON envelope */
        portal_dispatch(req, api_db(&e));
        return;
    }
    int m = router_match(req, route_keys, api_route_count, allow, sizeof allow);
    if (m == ROUTER_NOT_FOUND) {
        sn_fail(&e, SN_ENOTFOUND, NULL, "no such resource");
        http_respond_error(req, &e);
        return;
    }
    if (m == ROUTER_METHOD) {
        http_set_header(req, "Allow", allow);
        sn_fail(&e, SN_EMETHOD, NULL, "method not allowed; use %s", allow);
        http_respond_error(req, &e);
        return;
    }
    const api_route *r = &api_routes[req->route];
    api_ctx c = {0};
    c.req = req;
    c.cfg = api_cfg;
    c.act.email = "";
    c.act.ip = req->ip;
    c.act.request_id = req->request_id;
    int rc = 0;
    if (!(c.db = api_db(&e))) rc = sn_fail(&e, SN_EUNAVAILABLE, NULL, "database unavailable");
    if (rc == 0 && r->roles != ROLES_PUBLIC) {
        rc = authenticate(&c, &e);
        if (rc == 0 && !(c.who.roles & r->roles))
            rc = sn_fail(&e, SN_EFORBIDDEN, NULL, "your role may not do this");
    }
    if (rc == 0) rc = parse_body(&c, r, &e);
    if (rc == 0) rc = r->handler(&c, &e);
    if (rc < 0) http_respond_error(req, &e);
    json_decref(c.body);
}

int api_param_id(api_ctx *c, int i, int64_t *out, sn_err *e)
{
    if (i >= c->req->nparams) return sn_fail(e, SN_ENOTFOUND, NULL, "no such resource");
    char *end;
    errno = 0;
    long long v = strtoll(c->req->params[i], &end, 10);
    if (errno || *end || v <= 0) return sn_fail(e, SN_ENOTFOUND, NULL, "no such resource");
    *out = v;
    return 0;
}

int api_page(api_ctx *c, int64_t *cursor, int *limit, sn_err *e)
{
    const char *l = http_query(c->req, "limit"), *cur = http_query(c->req, "cursor");
    char *end;
    *limit = 50;
    *cursor = 0;
    if (l && *l) {
        long v = strtol(l, &end, 10);
        if (*end || v < 1 || v > 200)
            return sn_fail(e, SN_EINVALID, "limit", "limit must be an integer from 1 to 200");
        *limit = (int)v;
    }
    if (cur && *cur) {
        long long v = strtoll(cur, &end, 10);
        if (*end || v < 0) return sn_fail(e, SN_EINVALID, "cursor", "cursor is not valid");
        *cursor = v;
    }
    return 0;
}

const char *api_body_str(api_ctx *c, const char *name)
{
    json_t *v = c->body ? json_object_get(c->body, name) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

void api_iso_time(json_t *obj, const char *key, int64_t ms)
{
    if (ms <= 0) {
        json_object_set_new(obj, key, json_null());
        return;
    }
    char iso[32];
    clock_iso8601(ms, iso, sizeof iso);
    json_object_set_new(obj, key, json_string(iso));
}

json_t *api_roles_json(unsigned roles)
{
    json_t *a = json_array();
    for (int i = 0; i < ROLE_COUNT; i++)
        if (roles & (1u << i)) json_array_append_new(a, json_string(role_name(1u << i)));
    return a;
}
