/* crypto.c — libsodium wrappers: tokens, SHA-256, argon2id. */
#include "crypto.h"

#include <sodium.h>
#include <string.h>

int crypto_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void crypto_token(char *out, size_t out_size, size_t bytes)
{
    unsigned char raw[64];
    if (bytes > sizeof raw) bytes = sizeof raw;
    randombytes_buf(raw, bytes);
    sodium_bin2base64(out, out_size, raw, bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void crypto_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* Interactive limits: about 64 MiB and 2 passes — the login path stays well under a second. */
int crypto_password_hash(const char *password, char *out, size_t out_size)
{
    if (out_size < crypto_pwhash_STRBYTES) return -1;
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

int crypto_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int crypto_str_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb) return 0;
    return sodium_memcmp(a, b, la) == 0;
}
