/* webhook.c — webhooks: validation of targets and events, their rows, their deliveries, the
 * signature. Delivery itself is the jobs runner's (src/jobs/webhook_job.c). */
#include "webhook.h"

#include "audit.h"
#include "settings.h"
#include "../core/clock.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The events a webhook may subscribe to (events.h emits these), and "*" for all. */
static const char *const known_events[] = {
    "conversation.created", "conversation.updated", "contact.joined",     "message.created",
    "escalation.created",   "escalation.updated",   "agent.availability", "*",
};

enum { MAX_EVENTS = 32, MAX_HOST = 256 };

/* ---------------------------------------------------------------------------------------------
 * Validation. These run before any transaction: resolving a name may take seconds. */

static int event_known(const char *name)
{
    for (size_t i = 0; i < sizeof known_events / sizeof known_events[0]; i++)
        if (!strcmp(known_events[i], name)) return 1;
    return 0;
}

/* A non-empty array of known names; duplicates are dropped into *out (a new array). */
static int check_events(json_t *events, json_t **out, sn_err *e)
{
    if (!json_is_array(events) || json_array_size(events) == 0)
        return sn_fail(e, SN_EUNPROCESSABLE, "events", "events must list at least one event");
    if (json_array_size(events) > MAX_EVENTS)
        return sn_fail(e, SN_EUNPROCESSABLE, "events", "events may list at most %d names",
                       MAX_EVENTS);
    json_t *list = json_array();
    size_t i, j;
    json_t *ev, *seen;
    json_array_foreach(events, i, ev)
    {
        const char *name = json_string_value(ev);
        if (!name || !event_known(name)) {
            json_decref(list);
            return sn_fail(e, SN_EUNPROCESSABLE, "events", "unknown event '%s'",
                           name ? name : "(not a string)");
        }
        int dup = 0;
        json_array_foreach(list, j, seen) dup |= !strcmp(json_string_value(seen), name);
        if (!dup) json_array_append(list, ev);
    }
    *out = list;
    return 0;
}

static int check_secret(const char *secret, sn_err *e)
{
    if (strlen(secret) < WEBHOOK_SECRET_MIN)
        return sn_fail(e, SN_EUNPROCESSABLE, "secret", "secret must have at least %d characters",
                       WEBHOOK_SECRET_MIN);
    return 0;
}

static int ipv4_is_private(uint32_t a) /* host byte order */
{
    return (a >> 24) == 0 ||      /* 0.0.0.0/8: "this network", reaches localhost */
           (a >> 24) == 10 ||     /* 10/8 */
           (a >> 24) == 127 ||    /* loopback */
           (a >> 22) == 0x191 ||  /* 100.64/10, carrier-grade NAT */
           (a >> 16) == 0xa9fe || /* 169.254/16, link-local (cloud metadata) */
           (a >> 20) == 0xac1 ||  /* 172.16/12 */
           (a >> 16) == 0xc0a8 || /* 192.168/16 */
           (a >> 28) >= 0xe;      /* multicast, reserved, broadcast */
}

int webhook_addr_is_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ipv4_is_private(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family != AF_INET6) return 1;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    const unsigned char *b = a->s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a))
        return ipv4_is_private((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
                               (uint32_t)b[14] << 8 | b[15]);
    return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
           (b[0] & 0xfe) == 0xfc ||                   /* fc00::/7, unique local */
           (b[0] == 0xfe && (b[1] & 0x80) == 0x80) || /* fe80::/10 link-local, fec0::/10 */
           b[0] == 0xff;                              /* multicast */
}

/* "localhost" and anything under .localhost always mean this machine (RFC 6761). */
static int name_is_local(const char *host)
{
    size_t n = strlen(host);
    if (n && host[n - 1] == '.') n--;
    return (n == 9 && !strncasecmp(host, "localhost", 9)) ||
           (n > 10 && !strncasecmp(host + n - 10, ".localhost", 10));
}

/* 1 when any address the name resolves to now is private. A name that does not resolve is
 * let through: the delivery checks the addresses it really connects to. */
static int resolves_private(const char *host)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) return 0;
    int bad = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        bad |= webhook_addr_is_private(ai->ai_addr);
    freeaddrinfo(res);
    return bad;
}

static int check_host(const char *host, sn_err *e)
{
    if (name_is_local(host) || resolves_private(host))
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "private_target", "url",
                            "url points to a private or loopback address");
    return 0;
}

/* The scheme and host of an absolute URL, by libcurl's own parser (the one that will send). */
static int url_parts(const char *url, char *host, size_t size, sn_err *e)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *h = NULL;
    int rc = 0;
    if (!u) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !*h)
        rc =
            sn_fail(e, SN_EUNPROCESSABLE, "url", "url must be an absolute http(s) URL with a host");
    else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
        rc = sn_fail(e, SN_EUNPROCESSABLE, "url", "url must use http or https");
    else if (strlen(h) >= size)
        rc = sn_fail(e, SN_EUNPROCESSABLE, "url", "the host of url is too long");
    else if (h[0] == '[') /* IPv6 literal: drop the brackets (and any zone) for the resolver */
        snprintf(host, size, "%.*s", (int)strcspn(h + 1, "]%"), h + 1);
    else
        snprintf(host, size, "%s", h);
    curl_free(scheme);
    curl_free(h);
    curl_url_cleanup(u);
    return rc;
}

int webhook_check_url(const char *url, int allow_private, sn_err *e)
{
    char host[MAX_HOST];
    if (strpbrk(url, " \t\r\n"))
        return sn_fail(e, SN_EUNPROCESSABLE, "url", "url must not contain spaces");
    int rc = url_parts(url, host, sizeof host, e);
    if (rc < 0 || allow_private) return rc;
    return check_host(host, e);
}

/* Check what `in` sets, the URL last (it may wait on DNS); *events gets the normalised event
 * list (NULL when not given; the caller decrefs it on success). */
static int check_fields(const webhook_fields *in, int allow_private, json_t **events, sn_err *e)
{
    int rc = 0;
    *events = NULL;
    if (in->secret) rc = check_secret(in->secret, e);
    if (rc == 0 && in->events) rc = check_events(in->events, events, e);
    if (rc == 0 && in->url) rc = webhook_check_url(in->url, allow_private, e);
    if (rc < 0) {
        json_decref(*events);
        *events = NULL;
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Rows. */

#define WH_COLUMNS "id, url, events, enabled, created_at"

static json_t *row_json(store_stmt *st)
{
    json_t *events = json_loads(store_col_text(st, 2), 0, NULL);
    if (!json_is_array(events)) {
        json_decref(events);
        events = json_array();
    }
    char iso[32];
    clock_iso8601(store_col_int(st, 4), iso, sizeof iso);
    return json_pack("{s:I, s:s, s:o, s:b, s:s}", "id", (json_int_t)store_col_int(st, 0), "url",
                     store_col_text(st, 1), "events", events, "enabled", (int)store_col_int(st, 3),
                     "created_at", iso);
}

static int read_one(store *db, int64_t id, json_t **out)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT " WH_COLUMNS " FROM webhooks WHERE id = ? AND "
                           "enabled >= 0",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    if (rc == STORE_ROW) *out = row_json(st);
    store_finish(st);
    if (rc < 0) return rc;
    return rc == STORE_ROW ? 0 : SN_ENOTFOUND;
}

int webhook_get_json(store *db, int64_t id, json_t **out, sn_err *e)
{
    int rc = read_one(db, id, out);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_ENOTFOUND, NULL, "no such webhook");
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot read the webhook") : 0;
}

int webhook_list_json(store *db, json_t **out, sn_err *e)
{
    store_stmt *st;
    if (store_prepare(db, "SELECT " WH_COLUMNS " FROM webhooks WHERE enabled >= 0 ORDER BY id",
                      &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list webhooks");
    json_t *list = json_array();
    int rc;
    while ((rc = store_step(st)) == STORE_ROW)
        json_array_append_new(list, row_json(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list webhooks");
    }
    *out = list;
    return 0;
}

/* The audit detail of a change: what was set, never the secret itself. */
static int audit_change(store *db, const actor *who, const char *action, int64_t id,
                        const webhook_fields *in, json_t *events)
{
    json_t *d = json_object();
    if (in->url) json_object_set_new(d, "url", json_string(in->url));
    if (events) json_object_set(d, "events", events);
    if (in->enabled >= 0) json_object_set_new(d, "enabled", json_boolean(in->enabled));
    if (in->secret) json_object_set_new(d, "secret", json_string("changed"));
    char oid[24], *text = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    if (!text) return SN_EINTERNAL;
    snprintf(oid, sizeof oid, "%" PRId64, id);
    int rc = audit_append(db, who, action, "webhook", oid, text);
    free(text);
    return rc;
}

static int insert_row(store *db, const webhook_fields *in, const char *events, int64_t *id)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "INSERT INTO webhooks (url, events, secret, enabled, created_at) "
                           "VALUES (?, ?, ?, ?, ?) RETURNING id",
                           &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, in->url);
    store_bind_text(st, 2, events);
    store_bind_text(st, 3, in->secret);
    store_bind_int(st, 4, in->enabled != 0);
    store_bind_int(st, 5, clock_now_ms());
    rc = store_step(st);
    *id = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    store_finish(st);
    return rc == STORE_ROW ? 0 : rc < 0 ? rc : SN_EDB;
}

int webhook_create(store *db, const actor *who, const webhook_fields *in, int allow_private,
                   json_t **out, sn_err *e)
{
    if (!in->url || !in->events || !in->secret)
        return sn_fail(e, SN_EUNPROCESSABLE,
                       !in->url      ? "url"
                       : !in->events ? "events"
                                     : "secret",
                       "url, events and secret are required");
    json_t *events;
    int rc = check_fields(in, allow_private, &events, e);
    if (rc < 0) return rc;
    char *text = json_dumps(events, JSON_COMPACT);
    int64_t id = 0;
    if (!text || (rc = store_begin_write(db)) < 0) {
        rc = SN_EDB;
        goto out;
    }
    if ((rc = insert_row(db, in, text, &id)) < 0 ||
        (rc = audit_change(db, who, "webhook.create", id, in, events)) < 0 ||
        (rc = store_commit(db)) < 0) {
        store_rollback(db);
        goto out;
    }
    settings_changed(); /* events.c caches the subscriptions */
    rc = read_one(db, id, out);
out:
    free(text);
    json_decref(events);
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot save the webhook") : 0;
}

/* UPDATE one column set; NULL text or enabled < 0 keeps the old value. */
static int update_row(store *db, int64_t id, const webhook_fields *in, const char *events)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "UPDATE webhooks SET url = COALESCE(?, url), events = "
                           "COALESCE(?, events), secret = COALESCE(?, secret), enabled = "
                           "CASE WHEN ? < 0 THEN enabled ELSE ? END WHERE id = ? AND enabled >= 0",
                           &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, in->url);
    store_bind_text(st, 2, events);
    store_bind_text(st, 3, in->secret);
    store_bind_int(st, 4, in->enabled);
    store_bind_int(st, 5, in->enabled);
    store_bind_int(st, 6, id);
    rc = store_step(st);
    int64_t changed = rc == STORE_DONE ? store_changes(st) : 0;
    store_finish(st);
    if (rc < 0) return rc;
    return changed ? 0 : SN_ENOTFOUND;
}

int webhook_update(store *db, const actor *who, int64_t id, const webhook_fields *in,
                   int allow_private, json_t **out, sn_err *e)
{
    json_t *events;
    int rc = check_fields(in, allow_private, &events, e);
    if (rc < 0) return rc;
    char *text = events ? json_dumps(events, JSON_COMPACT) : NULL;
    if ((events && !text) || (rc = store_begin_write(db)) < 0) {
        rc = SN_EDB;
        goto out;
    }
    if ((rc = update_row(db, id, in, text)) < 0 ||
        (rc = audit_change(db, who, "webhook.update", id, in, events)) < 0 ||
        (rc = store_commit(db)) < 0) {
        store_rollback(db);
        goto out;
    }
    settings_changed();
    rc = read_one(db, id, out);
out:
    free(text);
    json_decref(events);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_ENOTFOUND, NULL, "no such webhook");
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot save the webhook") : 0;
}

/* Tombstone the row (see webhook.h) and give back the URL it had (caller frees), for the
 * audit row. */
static int delete_row(store *db, int64_t id, char **url)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "UPDATE webhooks SET enabled = -1, secret = '' WHERE id = ? AND "
                           "enabled >= 0 RETURNING url",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    *url = rc == STORE_ROW ? strdup(store_col_text(st, 0)) : NULL;
    store_finish(st);
    if (rc < 0) return rc;
    if (rc != STORE_ROW) return SN_ENOTFOUND;
    return *url ? 0 : SN_EINTERNAL;
}

int webhook_delete(store *db, const actor *who, int64_t id, sn_err *e)
{
    webhook_fields gone = {NULL, NULL, NULL, -1};
    char *url = NULL;
    int rc = store_begin_write(db);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot delete the webhook");
    if ((rc = delete_row(db, id, &url)) == 0) {
        gone.url = url;
        rc = audit_change(db, who, "webhook.delete", id, &gone, NULL);
    }
    if (rc == 0) rc = store_commit(db);
    if (rc < 0)
        store_rollback(db);
    else
        settings_changed();
    free(url);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_ENOTFOUND, NULL, "no such webhook");
    return rc < 0 ? sn_fail(e, SN_EDB, NULL, "cannot delete the webhook") : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Deliveries: the webhook's jobs. The job payload is {"webhook_id","delivery_id","body"} (see
 * events.c); its webhook id is read with each engine's JSON function, so key order is free. */

#define DELIVERY_SELECT                                                                            \
    "SELECT id, payload, state, attempts, max_attempts, last_error, run_at, created_at, "          \
    "updated_at FROM jobs WHERE kind = 'webhook' AND "
#define DELIVERY_PAGE " AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?"

static const char *deliveries_sql(store *db)
{
    if (store_kind_of(db) == STORE_POSTGRES)
        return DELIVERY_SELECT "(CAST(payload AS jsonb) ->> 'webhook_id') = ?" DELIVERY_PAGE;
    return DELIVERY_SELECT
        "json_extract(payload, '$.webhook_id') = CAST(? AS INTEGER)" DELIVERY_PAGE;
}

static void set_time(json_t *o, const char *key, int64_t ms)
{
    char iso[32];
    clock_iso8601(ms, iso, sizeof iso);
    json_object_set_new(o, key, ms > 0 ? json_string(iso) : json_null());
}

static json_t *delivery_json(store_stmt *st)
{
    json_t *payload = json_loads(store_col_text(st, 1), 0, NULL);
    const char *delivery = json_string_value(json_object_get(payload, "delivery_id"));
    const char *event =
        json_string_value(json_object_get(json_object_get(payload, "body"), "event"));
    const char *state = store_col_text(st, 2);
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:s}", "id", (json_int_t)store_col_int(st, 0),
                  "delivery_id", delivery ? delivery : "", "event", event ? event : "", "state",
                  state, "attempts", (json_int_t)store_col_int(st, 3), "max_attempts",
                  (json_int_t)store_col_int(st, 4), "last_error", store_col_text(st, 5));
    json_decref(payload);
    set_time(o, "next_attempt_at", strcmp(state, "queued") ? 0 : store_col_int(st, 6));
    set_time(o, "created_at", store_col_int(st, 7));
    set_time(o, "updated_at", store_col_int(st, 8));
    return o;
}

int webhook_deliveries_json(store *db, int64_t id, int64_t before_id, int limit, json_t **out,
                            int *more, sn_err *e)
{
    json_t *hook;
    int rc = webhook_get_json(db, id, &hook, e);
    if (rc < 0) return rc;
    json_decref(hook);
    store_stmt *st;
    if (store_prepare(db, deliveries_sql(db), &st) < 0)
        return sn_fail(e, SN_EDB, NULL, "cannot list deliveries");
    store_bind_int(st, 1, id);
    store_bind_int(st, 2, before_id);
    store_bind_int(st, 3, before_id);
    store_bind_int(st, 4, limit + 1);
    json_t *list = json_array();
    int n = 0;
    while ((rc = store_step(st)) == STORE_ROW)
        if (n++ < limit) json_array_append_new(list, delivery_json(st));
    store_finish(st);
    if (rc < 0) {
        json_decref(list);
        return sn_fail(e, SN_EDB, NULL, "cannot list deliveries");
    }
    *out = list;
    *more = n > limit;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Delivery helpers. */

int webhook_target_get(store *db, int64_t id, webhook_target *out)
{
    memset(out, 0, sizeof *out);
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT url, secret, enabled FROM webhooks WHERE id = ? AND "
                           "enabled >= 0",
                           &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, id);
    rc = store_step(st);
    if (rc == STORE_ROW) {
        out->url = strdup(store_col_text(st, 0));
        out->secret = strdup(store_col_text(st, 1));
        out->enabled = (int)store_col_int(st, 2);
    }
    store_finish(st);
    if (rc == STORE_ROW && (!out->url || !out->secret)) {
        webhook_target_fini(out);
        return SN_EINTERNAL;
    }
    if (rc < 0) return rc;
    return rc == STORE_ROW ? 0 : SN_ENOTFOUND;
}

void webhook_target_fini(webhook_target *t)
{
    free(t->url);
    if (t->secret) sodium_memzero(t->secret, strlen(t->secret));
    free(t->secret);
    memset(t, 0, sizeof *t);
}

void webhook_sign(const char *secret, const char *timestamp, const char *body, size_t len,
                  char out[65])
{
    crypto_auth_hmacsha256_state h;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&h, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)timestamp, strlen(timestamp));
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&h, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&h, mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
    sodium_memzero(&h, sizeof h);
}
