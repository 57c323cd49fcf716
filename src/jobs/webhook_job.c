/* webhook_job.c — the handler of jobs of kind 'webhook': POST the event body to the webhook's
 * URL, signed, and report 2xx as delivered and anything else as a failure to retry.
 *
 * The job payload (written by events.c) is {"webhook_id","delivery_id","body":{"event",
 * "occurred_at","data"}}. Headers: Content-Type: application/json, X-Sanad-Event,
 * X-Sanad-Delivery (the same on every attempt), X-Sanad-Timestamp (unix seconds, this attempt)
 * and X-Sanad-Signature = hex HMAC-SHA256(secret, timestamp "." body).
 *
 * Guards: 10 s for the whole exchange, no redirects, http and https only, no proxy from the
 * environment, the response body read and dropped up to RESPONSE_CAP; unless private targets
 * are allowed, every address curl is about to connect to is checked (names may resolve
 * elsewhere than when the webhook was saved). */
#include "jobs.h"

#include "../core/clock.h"
#include "../domain/webhook.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SANAD_VERSION
#define SANAD_VERSION "dev"
#endif

enum { TIMEOUT_MS = 10000, RESPONSE_CAP = 64 * 1024 };

/* State of one transfer, shared with curl's callbacks. */
typedef struct transfer {
    const job_ctx *ctx;
    size_t received; /* bytes of response body seen */
    int capped;      /* we stopped reading at RESPONSE_CAP */
    int refused;     /* an address was private */
} transfer;

static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    transfer *t = arg;
    if (!t->ctx->cfg->webhook_allow_private && webhook_addr_is_private(&a->addr)) {
        t->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static size_t drop_body(char *data, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    t->received += size * n;
    if (t->received <= RESPONSE_CAP) return size * n;
    t->capped = 1;
    return 0; /* ends the transfer; the status line is already known */
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    return atomic_load(((transfer *)arg)->ctx->stopping); /* non-zero aborts */
}

/* The request headers; NULL when out of memory. */
static struct curl_slist *headers_for(const char *event, const char *delivery, const char *ts,
                                      const char *signature)
{
    char line[4][160];
    snprintf(line[0], sizeof line[0], "X-Sanad-Event: %s", event);
    snprintf(line[1], sizeof line[1], "X-Sanad-Delivery: %s", delivery);
    snprintf(line[2], sizeof line[2], "X-Sanad-Timestamp: %s", ts);
    snprintf(line[3], sizeof line[3], "X-Sanad-Signature: %s", signature);
    const char *all[] = {
        "Content-Type: application/json", "Expect:", line[0], line[1], line[2], line[3]};
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        struct curl_slist *next = curl_slist_append(list, all[i]);
        if (!next) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = next;
    }
    return list;
}

static void set_options(CURL *h, transfer *t, const char *url, const char *body,
                        struct curl_slist *headers, char *errbuf)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "Sanad-Webhook/" SANAD_VERSION);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, drop_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
}

/* One POST. 0 on a 2xx answer; SN_EUNAVAILABLE (retry) otherwise, with the reason in e. */
static int post(const job_ctx *ctx, const char *url, const char *body, struct curl_slist *headers,
                sn_err *e)
{
    transfer t = {ctx, 0, 0, 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *h = curl_easy_init();
    if (!h) return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot start a transfer");
    set_options(h, &t, url, body, headers, errbuf);
    CURLcode res = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    int rc = 0;
    if (res == CURLE_OK || (res == CURLE_WRITE_ERROR && t.capped)) {
        if (status < 200 || status > 299)
            rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "the receiver answered HTTP %ld", status);
    } else if (t.refused) {
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL,
                     "refused: the target resolves to a private or "
                     "loopback address");
    } else if (res == CURLE_ABORTED_BY_CALLBACK) {
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "interrupted by shutdown");
    } else {
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "%s", errbuf[0] ? errbuf : curl_easy_strerror(res));
    }
    return rc;
}

int job_webhook_deliver(const job_ctx *ctx, const job *j, sn_err *e)
{
    json_int_t id = json_integer_value(json_object_get(j->payload, "webhook_id"));
    const char *delivery = json_string_value(json_object_get(j->payload, "delivery_id"));
    json_t *body = json_object_get(j->payload, "body");
    const char *event = json_string_value(json_object_get(body, "event"));
    if (id <= 0 || !delivery || !event || strlen(delivery) > 100 || strlen(event) > 100)
        return sn_fail(e, SN_EINVALID, NULL, "malformed webhook job");

    webhook_target target;
    int rc = webhook_target_get(ctx->db, id, &target);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_ENOTFOUND, NULL, "the webhook was deleted");
    if (rc < 0) return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot read the webhook");
    char *text = NULL;
    struct curl_slist *headers = NULL;
    if (!target.enabled) {
        rc = sn_fail(e, SN_ECONFLICT, NULL, "the webhook is disabled");
        goto out;
    }
    char ts[24], signature[65];
    snprintf(ts, sizeof ts, "%" PRId64, clock_now_ms() / 1000);
    if (!(text = json_dumps(body, JSON_COMPACT))) {
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "out of memory");
        goto out;
    }
    webhook_sign(target.secret, ts, text, strlen(text), signature);
    if (!(headers = headers_for(event, delivery, ts, signature))) {
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "out of memory");
        goto out;
    }
    rc = post(ctx, target.url, text, headers, e);
out:
    curl_slist_free_all(headers);
    free(text);
    webhook_target_fini(&target);
    return rc;
}
