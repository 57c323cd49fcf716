/* msgid.c — Message-IDs Sanad can recognise, and the [#NUMBER] subject token.
 *
 * An outbound Message-ID is  sanad.ROW.NONCE.MAC@DOMAIN  where ROW is the message row, NONCE 8
 * random hex digits and MAC the first 16 hex digits of HMAC-SHA256(key, "ROW.NONCE") under the
 * data directory's KEY_MAIL_MESSAGE_ID key. A reply that references it threads to that message's
 * conversation without any lookup an outsider could guess: changing ROW breaks the MAC. */
#include "email.h"

#include "../../core/keyring.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mac_hex(const unsigned char key[KEYRING_KEY_BYTES], const char *msg, char out[17])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, KEYRING_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 17, mac, 8);
}

int email_msgid_make(const char *data_dir, int64_t row, const char *domain, char *out, size_t size)
{
    unsigned char key[KEYRING_KEY_BYTES];
    sn_err e;
    if (keyring_get(data_dir, KEY_MAIL_MESSAGE_ID, key, &e) < 0) return SN_EINTERNAL;
    char msg[64], mac[17];
    snprintf(msg, sizeof msg, "%" PRId64 ".%08" PRIx32, row, randombytes_random());
    mac_hex(key, msg, mac);
    sodium_memzero(key, sizeof key);
    size_t n = (size_t)snprintf(out, size, "sanad.%s.%s@%s", msg, mac, domain);
    return n < size ? 0 : SN_EINTERNAL;
}

int64_t email_msgid_verify(const char *data_dir, const char *message_id)
{
    char row[24], nonce[16], mac[24];
    if (!message_id || strncmp(message_id, "sanad.", 6) != 0) return 0;
    const char *p = message_id + 6, *dot1 = strchr(p, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    const char *at = dot2 ? strchr(dot2 + 1, '@') : NULL;
    if (!at || dot1 - p < 1 || dot1 - p > 19 || dot2 - dot1 - 1 != 8 || at - dot2 - 1 != 16) return 0;
    snprintf(row, sizeof row, "%.*s", (int)(dot1 - p), p);
    snprintf(nonce, sizeof nonce, "%.*s", 8, dot1 + 1);
    snprintf(mac, sizeof mac, "%.*s", 16, dot2 + 1);
    if (strspn(row, "0123456789") != strlen(row)) return 0;
    unsigned char key[KEYRING_KEY_BYTES];
    sn_err e;
    if (keyring_get(data_dir, KEY_MAIL_MESSAGE_ID, key, &e) < 0) return 0;
    char msg[64], want[17];
    snprintf(msg, sizeof msg, "%s.%s", row, nonce);
    mac_hex(key, msg, want);
    sodium_memzero(key, sizeof key);
    if (sodium_memcmp(want, mac, 16) != 0) return 0;
    return strtoll(row, NULL, 10);
}

void email_subject_token(const char *subject, char *out, size_t size)
{
    out[0] = '\0';
    for (const char *p = subject ? strstr(subject, "[#") : NULL; p; p = strstr(p + 2, "[#")) {
        const char *q = p + 2;
        size_t n = strspn(q, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
        if (n >= 3 && n < size && q[n] == ']') {
            snprintf(out, size, "%.*s", (int)n, q);
            return;
        }
    }
}
