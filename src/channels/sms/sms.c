/* sms.c — the handler of 'sms' jobs: the SMS adapter. It POSTs {"to","text"} as JSON to the
 * configured --sms-gateway-url (an HTTP gateway in front of the operator) with libcurl.
 *
 * Payload: {"to", "text_sealed"} (a one-time code: the text is sealed with the data directory's
 * key so the jobs table never holds it in clear) or {"to", "message_id"} (a queued outbound
 * message of a conversation, e.g. a document review notice; its delivery is recorded here).
 *
 *   queued ──2xx──> sent (message delivery 'sent')
 *     ├──4xx, no gateway configured, bad payload──> failed at once (delivery 'failed')
 *     └──5xx, network: retried with the runner's backoff; failed after the last attempt
 *
 * A retry after a crash may send the same text twice: the gateway sees the same job id in
 * X-Sanad-Job and can drop duplicates. */
#include "../../core/clock.h"
#include "../../core/keyring.h"
#include "../../jobs/jobs.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SMS_TIMEOUT_MS = 15000, SMS_TEXT_MAX = 2000 };

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    return size * n;
}

static int load_body(store *db, int64_t message_id, char **text, char *delivery, size_t cap)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT body, delivery FROM messages WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, message_id);
    if ((rc = store_step(st)) == STORE_ROW) {
        *text = strdup(store_col_text(st, 0));
        snprintf(delivery, cap, "%s", store_col_text(st, 1));
    }
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

static void record(store *db, int64_t message_id, const char *state, const char *error)
{
    if (!message_id) return;
    store_stmt *st;
    if (store_prepare(db, "UPDATE messages SET delivery = ? WHERE id = ?", &st) < 0) return;
    store_bind_text(st, 1, state);
    store_bind_int(st, 2, message_id);
    store_step(st);
    store_finish(st);
    (void)error;
}

/* 0 sent; SN_EUNPROCESSABLE refused for good (4xx); SN_EUNAVAILABLE otherwise. */
static int post(const job_ctx *ctx, const job *j, const char *to, const char *text, sn_err *e)
{
    json_t *body = json_pack("{s:s, s:s}", "to", to, "text", text);
    char *json = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char jobid[64], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(jobid, sizeof jobid, "X-Sanad-Job: %" PRId64, j->id);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = h ? curl_slist_append(h, jobid) : NULL;
    CURL *c = curl_easy_init();
    int rc = 0;
    if (!json || !h || !c) {
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot start a transfer");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, ctx->cfg->sms_gateway_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)SMS_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode res = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (res != CURLE_OK)
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "SMS gateway: %s",
                     errbuf[0] ? errbuf : curl_easy_strerror(res));
    else if (code >= 400 && code < 500)
        rc =
            sn_fail(e, SN_EUNPROCESSABLE, NULL, "SMS gateway refused the message (HTTP %ld)", code);
    else if (code < 200 || code >= 300)
        rc = sn_fail(e, SN_EUNAVAILABLE, NULL, "SMS gateway answered HTTP %ld", code);
out:
    if (c) curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(json);
    return rc;
}

/* The text to send into *text (malloc'd); 1 when there is nothing left to do. */
static int text_of(const job_ctx *ctx, const job *j, int64_t message_id, char **text, sn_err *e)
{
    const char *sealed = json_string_value(json_object_get(j->payload, "text_sealed"));
    if (sealed) {
        if (keyring_open(ctx->cfg->data, sealed, text, e) < 0)
            return sn_fail(e, SN_EUNPROCESSABLE, NULL, "the text cannot be unsealed");
        return 0;
    }
    char delivery[16] = "";
    int rc = load_body(ctx->db, message_id, text, delivery, sizeof delivery);
    if (rc == SN_ENOTFOUND) return sn_fail(e, SN_ENOTFOUND, NULL, "the message is gone");
    if (rc < 0 || !*text) return sn_fail(e, SN_EUNAVAILABLE, NULL, "cannot read the message");
    return strcmp(delivery, "queued") ? 1 : 0;
}

int job_sms_deliver(const job_ctx *ctx, const job *j, sn_err *e)
{
    const char *to = json_string_value(json_object_get(j->payload, "to"));
    int64_t message_id = json_integer_value(json_object_get(j->payload, "message_id"));
    if (!to || !*to || (!message_id && !json_object_get(j->payload, "text_sealed")))
        return sn_fail(e, SN_EINVALID, NULL, "malformed sms job");
    if (!ctx->cfg->sms_gateway_url[0]) {
        record(ctx->db, message_id, "failed", "no SMS gateway");
        return sn_fail(e, SN_EUNPROCESSABLE, NULL,
                       "no SMS gateway is configured (--sms-gateway-url)");
    }
    char *text = NULL;
    int rc = text_of(ctx, j, message_id, &text, e);
    if (rc == 0 && strlen(text) > SMS_TEXT_MAX) text[SMS_TEXT_MAX] = '\0';
    if (rc == 0) rc = post(ctx, j, to, text, e);
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    if (rc > 0) return 0;
    if (rc == 0)
        record(ctx->db, message_id, "sent", "");
    else if (rc == SN_EUNPROCESSABLE || j->attempt >= j->max_attempts)
        record(ctx->db, message_id, "failed", e->message);
    return rc;
}
