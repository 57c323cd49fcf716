/* doc_otp.c — how a citizen proves who they are to /documents: the contacts on file for a
 * national ID, one-time codes (issue, durable try counting, constant-time check) and the signed
 * session value the portal keeps in a cookie once a code was right.
 *
 * A code is 6 random digits; only HMAC-SHA256(KEY_DOCUMENT_OTP, handle ":" code) is stored, so a
 * copy of the database does not give the codes (a plain hash of 10^6 values would). The code's
 * text travels in its delivery job sealed with the data directory's key. */
#include "document.h"

#include "customer.h"
#include "identity.h"

#include "../core/crypto.h"
#include "../core/keyring.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SMS_MAX_ATTEMPTS = 8, NOTICE_MAX_ATTEMPTS = 8 };

static int mac_hex(const char *data_dir, enum keyring_purpose purpose, const char *msg,
                   char out[65])
{
    unsigned char key[KEYRING_KEY_BYTES], mac[crypto_auth_hmacsha256_BYTES];
    sn_err e;
    if (keyring_get(data_dir, purpose, key, &e) < 0) return SN_EINTERNAL;
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, strlen(msg), key);
    sodium_memzero(key, sizeof key);
    sodium_bin2hex(out, 65, mac, sizeof mac);
    return 0;
}

/* ---- contacts on file ------------------------------------------------------------------------ */

int docotp_contacts(store *db, const char *national_id, int64_t *customer_id, doc_contact *out,
                    int *n, sn_err *e)
{
    *n = 0;
    *customer_id = 0;
    store_stmt *st;
    int rc = store_prepare(db,
                           "SELECT i.kind, i.value, i.customer_id FROM customer_identities i "
                           "WHERE i.customer_id = (SELECT customer_id FROM customer_identities "
                           "WHERE kind = 'national_id' AND value = ?) AND i.kind IN ('email', "
                           "'phone') ORDER BY i.kind, i.id",
                           &st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    store_bind_text(st, 1, national_id);
    while ((rc = store_step(st)) == STORE_ROW && *n < DOC_CONTACTS_MAX) {
        doc_contact *c = &out[(*n)++];
        int email = !strcmp(store_col_text(st, 0), "email");
        snprintf(c->channel, sizeof c->channel, "%s", email ? "email" : "sms");
        snprintf(c->value, sizeof c->value, "%s", store_col_text(st, 1));
        identity_mask(email ? ID_EMAIL : ID_PHONE, c->value, c->masked, sizeof c->masked);
        *customer_id = store_col_int(st, 2);
    }
    store_finish(st);
    if (rc < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    return *n ? 0 : sn_fail(e, SN_ENOTFOUND, "national_id", "no contact details on file");
}

/* ---- delivery jobs --------------------------------------------------------------------------- */

static int insert_job(store *db, const char *kind, json_t *payload, int max_attempts, int64_t now)
{
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    store_stmt *st;
    int rc = text ? store_prepare(db,
                                  "INSERT INTO jobs (kind, payload, run_at, max_attempts, "
                                  "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                                  &st)
                  : SN_EINTERNAL;
    if (rc == 0) {
        store_bind_text(st, 1, kind);
        store_bind_text(st, 2, text);
        store_bind_int(st, 3, now);
        store_bind_int(st, 4, max_attempts);
        store_bind_int(st, 5, now);
        store_bind_int(st, 6, now);
        rc = store_step(st);
        store_finish(st);
    }
    free(text);
    return rc < 0 ? rc : 0;
}

int docotp_queue_sms(store *db, const char *to, const char *sealed_text, int64_t message_id,
                     int64_t now)
{
    json_t *p = json_pack("{s:s}", "to", to);
    if (sealed_text) json_object_set_new(p, "text_sealed", json_string(sealed_text));
    if (message_id) json_object_set_new(p, "message_id", json_integer(message_id));
    return insert_job(db, "sms", p, SMS_MAX_ATTEMPTS, now);
}

/* ---- one-time codes -------------------------------------------------------------------------- */

static void code_text(const char *lang, const char *code, char *out, size_t size)
{
    if (!strcmp(lang, "en"))
        snprintf(out, size,
                 "Your code to submit documents to Sanad is %s. It is valid for 10 "
                 "minutes. Never share it with anyone.",
                 code);
    else
        snprintf(out, size,
                 "رمز التحقق لتقديم المستندات في سند هو %s، صالح لمدة 10 دقائق. لا "
                 "تشاركه مع أحد.",
                 code);
}

static int queue_code(store *db, const char *data_dir, const doc_contact *to, const char *lang,
                      const char *code, int64_t now)
{
    char text[512];
    code_text(lang, code, text, sizeof text);
    char *sealed = NULL;
    sn_err e;
    int rc = keyring_seal(data_dir, text, &sealed, &e);
    sodium_memzero(text, sizeof text);
    if (rc < 0) return rc;
    if (!strcmp(to->channel, "sms"))
        rc = docotp_queue_sms(db, to->value, sealed, 0, now);
    else
        rc = insert_job(db, "email_notice",
                        json_pack("{s:s, s:s, s:s}", "to", to->value, "subject",
                                  !strcmp(lang, "en") ? "Your verification code"
                                                      : "رمز التحقق لتقديم المستندات",
                                  "text_sealed", sealed),
                        NOTICE_MAX_ATTEMPTS, now);
    free(sealed);
    return rc;
}

static int insert_otp(store *db, int64_t customer_id, const doc_contact *to, const char *lang,
                      const char *handle, const char *hash, int64_t now)
{
    int64_t args[] = {now, customer_id};
    store_stmt *st;
    /* A new code voids the ones before it: only the latest can open a session. */
    int rc = store_exec_ints(db,
                             "UPDATE document_otps SET state = 'void' WHERE state = 'open' AND "
                             "(expires_at < ? OR customer_id = ?)",
                             2, args);
    if (rc < 0) return rc;
    if ((rc = store_prepare(db,
                            "INSERT INTO document_otps (handle, customer_id, channel, "
                            "destination, lang, code_hash, expires_at, created_at) VALUES (?, "
                            "?, ?, ?, ?, ?, ?, ?)",
                            &st)) < 0)
        return rc;
    store_bind_text(st, 1, handle);
    store_bind_int(st, 2, customer_id);
    store_bind_text(st, 3, to->channel);
    store_bind_text(st, 4, to->value);
    store_bind_text(st, 5, lang);
    store_bind_text(st, 6, hash);
    store_bind_int(st, 7, now + DOC_OTP_TTL_MS);
    store_bind_int(st, 8, now);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

static int code_hash(const char *data_dir, const char *handle, const char *code, char out[65])
{
    char msg[128];
    snprintf(msg, sizeof msg, "%s:%s", handle, code);
    int rc = mac_hex(data_dir, KEY_DOCUMENT_OTP, msg, out);
    sodium_memzero(msg, sizeof msg);
    return rc;
}

int docotp_issue(store *db, const char *data_dir, int64_t customer_id, const doc_contact *to,
                 const char *lang, int64_t now, char *handle, sn_err *e)
{
    char code[8], hash[65];
    snprintf(code, sizeof code, "%06" PRIu32, randombytes_uniform(1000000));
    crypto_token(handle, DOC_HANDLE_SIZE, 24);
    if (code_hash(data_dir, handle, code, hash) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "no key");
    int rc = store_begin_write(db);
    if (rc == 0) rc = insert_otp(db, customer_id, to, lang, handle, hash, now);
    if (rc == 0) rc = queue_code(db, data_dir, to, lang, code, now);
    if (rc == 0) rc = store_commit(db);
    sodium_memzero(code, sizeof code);
    if (rc < 0) {
        store_rollback(db);
        return sn_fail(e, SN_EDB, NULL, "cannot send the code");
    }
    return 0;
}

typedef struct otp_state {
    int64_t id, customer_id, expires_at;
    int attempts;
    char state[8], hash[65];
} otp_state;

static int otp_read(store *db, const char *handle, otp_state *o)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           store_kind_of(db) == STORE_POSTGRES
                               ? "SELECT id, customer_id, expires_at, attempts, state, "
                                 "code_hash FROM document_otps WHERE handle = ? FOR UPDATE"
                               : "SELECT id, customer_id, expires_at, attempts, state, "
                                 "code_hash FROM document_otps WHERE handle = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, handle);
    if ((rc = store_step(st)) == STORE_ROW) {
        o->id = store_col_int(st, 0);
        o->customer_id = store_col_int(st, 1);
        o->expires_at = store_col_int(st, 2);
        o->attempts = (int)store_col_int(st, 3);
        snprintf(o->state, sizeof o->state, "%s", store_col_text(st, 4));
        snprintf(o->hash, sizeof o->hash, "%s", store_col_text(st, 5));
    }
    store_finish(st);
    return rc < 0 ? rc : (rc == STORE_ROW ? 0 : SN_ENOTFOUND);
}

static int otp_set(store *db, int64_t id, const char *state, int attempts, int64_t used_at)
{
    store_stmt *st;
    int rc = store_prepare(db,
                           "UPDATE document_otps SET state = ?, attempts = ?, used_at = ? "
                           "WHERE id = ?",
                           &st);
    if (rc < 0) return rc;
    store_bind_text(st, 1, state);
    store_bind_int(st, 2, attempts);
    if (used_at)
        store_bind_int(st, 3, used_at);
    else
        store_bind_null(st, 3);
    store_bind_int(st, 4, id);
    rc = store_step(st);
    store_finish(st);
    return rc < 0 ? rc : 0;
}

/* The outcome of one try on an open code: 0 right; a slug's error otherwise. The new state is
 * written by the caller's transaction. */
static int judge(const char *data_dir, otp_state *o, const char *handle, const char *code,
                 int64_t now, const char **state, int *attempts, docotp_result *out, sn_err *e)
{
    *attempts = o->attempts;
    *state = o->state;
    if (strcmp(o->state, "open") != 0)
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "code_void", "code",
                            "the code is no longer valid");
    if (now > o->expires_at) {
        *state = "void";
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "code_expired", "code", "the code has expired");
    }
    char want[65] = "";
    int wellformed = strlen(code) == DOC_OTP_DIGITS && strspn(code, "0123456789") == DOC_OTP_DIGITS;
    if (code_hash(data_dir, handle, wellformed ? code : "x", want) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "no key");
    if (wellformed && sodium_memcmp(want, o->hash, 64) == 0) {
        *state = "used";
        return 0;
    }
    *attempts = o->attempts + 1;
    out->tries_left = DOC_OTP_TRIES - *attempts;
    if (out->tries_left <= 0) {
        *state = "void";
        return sn_fail_slug(e, SN_EUNPROCESSABLE, "code_void", "code",
                            "too many wrong tries: the code is void");
    }
    return sn_fail_slug(e, SN_EUNPROCESSABLE, "wrong_code", "code", "the code is not right");
}

int docotp_verify(store *db, const char *data_dir, const char *handle, const char *code,
                  int64_t now, docotp_result *out, sn_err *e)
{
    memset(out, 0, sizeof *out);
    if (!handle || !*handle || strlen(handle) >= DOC_HANDLE_SIZE)
        return sn_fail(e, SN_ENOTFOUND, NULL, "no such code");
    if (store_begin_write(db) < 0) return sn_fail(e, SN_EDB, NULL, "cannot read");
    otp_state o;
    int rc = otp_read(db, handle, &o);
    if (rc < 0) {
        store_rollback(db);
        return rc == SN_ENOTFOUND ? sn_fail(e, rc, NULL, "no such code")
                                  : sn_fail(e, SN_EDB, NULL, "cannot read");
    }
    const char *state;
    int attempts;
    int verdict = judge(data_dir, &o, handle, code ? code : "", now, &state, &attempts, out, e);
    /* Every try is counted before the answer is given, whatever it is. */
    if (strcmp(state, o.state) || attempts != o.attempts) {
        if (otp_set(db, o.id, state, attempts, verdict == 0 ? now : 0) < 0 ||
            store_commit(db) < 0) {
            store_rollback(db);
            return sn_fail(e, SN_EDB, NULL, "cannot save");
        }
    } else {
        store_rollback(db);
    }
    if (verdict < 0) return verdict;
    out->otp_id = o.id;
    out->customer_id = o.customer_id;
    return 0;
}

/* ---- sessions -------------------------------------------------------------------------------- */

int doc_session_make(const char *data_dir, int64_t customer_id, int64_t otp_id, int64_t expires,
                     char *out, size_t size)
{
    char msg[80], mac[65];
    snprintf(msg, sizeof msg, "%" PRId64 ".%" PRId64 ".%" PRId64, customer_id, otp_id, expires);
    if (mac_hex(data_dir, KEY_DOCUMENT_SESSION, msg, mac) < 0) return SN_EINTERNAL;
    size_t n = (size_t)snprintf(out, size, "%s.%s", msg, mac);
    return n < size ? 0 : SN_EINTERNAL;
}

int doc_session_check(const char *data_dir, const char *value, int64_t now, int64_t *customer_id,
                      int64_t *otp_id)
{
    if (!value || strlen(value) >= DOC_SESSION_SIZE) return SN_EUNAUTH;
    const char *last = strrchr(value, '.');
    if (!last || strlen(last + 1) != 64) return SN_EUNAUTH;
    char msg[DOC_SESSION_SIZE], want[65];
    snprintf(msg, sizeof msg, "%.*s", (int)(last - value), value);
    if (mac_hex(data_dir, KEY_DOCUMENT_SESSION, msg, want) < 0) return SN_EUNAUTH;
    if (sodium_memcmp(want, last + 1, 64) != 0) return SN_EUNAUTH;
    long long c = 0, o = 0, x = 0;
    char tail;
    if (sscanf(msg, "%lld.%lld.%lld%c", &c, &o, &x, &tail) != 3 || c <= 0 || o <= 0)
        return SN_EUNAUTH;
    if (now > x) return SN_EUNAUTH;
    *customer_id = c;
    *otp_id = o;
    return 0;
}
