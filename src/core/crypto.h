/* crypto.h — random tokens, hashing and password hashing (libsodium). Call crypto_init() once. */
#ifndef SANAD_CRYPTO_H
#define SANAD_CRYPTO_H

#include <stddef.h>

int crypto_init(void);
/* A random URL-safe token of `bytes` random bytes, base64url without padding, into out. */
void crypto_token(char *out, size_t out_size, size_t bytes);
/* Lower-case hex SHA-256 of data into out (size ≥ 65). */
void crypto_sha256_hex(const void *data, size_t len, char out[65]);
/* argon2id hash of a password (libsodium's string format) into out (size ≥ 128). */
int crypto_password_hash(const char *password, char *out, size_t out_size);
/* 1 when the password matches, 0 otherwise. */
int crypto_password_verify(const char *hash, const char *password);
/* Constant-time equality of two NUL-terminated strings of equal length. */
int crypto_str_equal(const char *a, const char *b);

#endif
