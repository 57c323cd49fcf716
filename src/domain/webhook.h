/* webhook.h — outgoing webhooks: who is told of which events, where, and how it is signed.
 *
 * Owns the `webhooks` table (id, url, events JSON array, secret, enabled, created_at), the rules
 * of a valid target and the signature. It does not send anything: events.c queues one job of
 * kind 'webhook' per subscribed webhook in the transaction of the change, and the jobs runner
 * (src/jobs/) delivers it, calling webhook_target_get, webhook_addr_is_private and webhook_sign.
 *
 * A target is refused (422, field "url") unless it is http(s) with a host, and — unless the
 * caller allows private targets — neither the host nor any address it resolves to is loopback,
 * private, link-local or unspecified. The delivery re-checks every address it connects to,
 * because a name may resolve elsewhere later.
 *
 * The secret is write-only: it is stored (HMAC needs it) but never rendered nor audited.
 *
 * `enabled` is 1 (deliver), 0 (paused) or -1 (deleted). Deleting keeps the row as a tombstone
 * with its secret wiped: SQLite reuses the largest rowid, and a reused id would hand the old
 * webhook's queued jobs and delivery history to a new one. Tombstones are invisible here and
 * to events.c (enabled = 1); their jobs fail with "the webhook was deleted".
 *
 * Changes call settings_changed(): events.c caches the subscriptions per thread. */
#ifndef SANAD_WEBHOOK_H
#define SANAD_WEBHOOK_H

#include "domain.h"

#include <jansson.h>
#include <stddef.h>
#include <sys/socket.h>

/* What a create or an update sets; NULL (or enabled < 0) leaves a field unchanged. events is a
 * JSON array of event names or "*", borrowed. */
typedef struct webhook_fields {
    const char *url;
    json_t *events;
    const char *secret;
    int enabled; /* 0, 1, or -1 */
} webhook_fields;

enum { WEBHOOK_SECRET_MIN = 16 };

/* Create (url, events and secret required). allow_private: accept loopback/private targets.
 * *out is the rendered webhook {"id","url","events","enabled","created_at"} (caller decrefs).
 * 422 with the offending field. Audited as webhook.create. */
int webhook_create(store *db, const actor *who, const webhook_fields *in, int allow_private,
                   json_t **out, sn_err *e);
/* Change some fields of one; SN_ENOTFOUND when it does not exist. Audited as webhook.update. */
int webhook_update(store *db, const actor *who, int64_t id, const webhook_fields *in,
                   int allow_private, json_t **out, sn_err *e);
/* Delete one (a tombstone, see above); its queued deliveries then fail. Audited as
 * webhook.delete. */
int webhook_delete(store *db, const actor *who, int64_t id, sn_err *e);
/* One, rendered; SN_ENOTFOUND. */
int webhook_get_json(store *db, int64_t id, json_t **out, sn_err *e);
/* All of them, by id, as a JSON array. */
int webhook_list_json(store *db, json_t **out, sn_err *e);
/* The webhook's deliveries (its jobs), newest first, ids below before_id (0: from the newest);
 * *more is set when another page follows. Items: {"id","delivery_id","event","state",
 * "attempts","max_attempts","last_error","next_attempt_at","created_at","updated_at"}. */
int webhook_deliveries_json(store *db, int64_t id, int64_t before_id, int limit, json_t **out,
                            int *more, sn_err *e);

/* Validate a target URL: syntax, scheme, host and (unless allow_private) its addresses. */
int webhook_check_url(const char *url, int allow_private, sn_err *e);
/* 1 when a socket address is loopback, private, link-local, unspecified (or IPv4-mapped one). */
int webhook_addr_is_private(const struct sockaddr *sa);

/* Where and how to deliver, for the jobs runner. Strings are owned; free with _fini. */
typedef struct webhook_target {
    char *url;
    char *secret;
    int enabled;
} webhook_target;

/* SN_ENOTFOUND when the webhook is gone, SN_EDB on a storage failure. */
int webhook_target_get(store *db, int64_t id, webhook_target *out);
void webhook_target_fini(webhook_target *t);

/* Lower-case hex HMAC-SHA256(secret, timestamp "." body) into out. */
void webhook_sign(const char *secret, const char *timestamp, const char *body, size_t len,
                  char out[65]);

#endif
