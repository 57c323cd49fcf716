/* keyring.h — secret keys kept in the data directory.
 *
 * One master key, DATA/keys/master.key (32 random bytes, mode 0600, created on first use), from
 * which every purpose gets its own sub-key (libsodium crypto_kdf), so a key for one purpose
 * (encrypting mailbox passwords, signing Message-IDs) says nothing about another. Every node and
 * every command that shares the data directory derives the same keys.
 *
 * Thread-safe; the master key is read once per process and kept in locked memory. */
#ifndef SANAD_KEYRING_H
#define SANAD_KEYRING_H

#include "err.h"

#include <stddef.h>

#define KEYRING_KEY_BYTES 32

enum keyring_purpose {
    KEY_MAILBOX_SECRETS = 1, /* secretbox of mailbox passwords */
    KEY_MAIL_MESSAGE_ID = 2, /* HMAC in outbound Message-IDs */
    KEY_DOCUMENT_OTP = 3,     /* HMAC of one-time codes (/documents) */
    KEY_DOCUMENT_SESSION = 4, /* HMAC of /documents session cookies */
};

/* The sub-key of `purpose` derived from DATA/keys/master.key (created when missing). */
int keyring_get(const char *data_dir, enum keyring_purpose purpose,
                unsigned char out[KEYRING_KEY_BYTES], sn_err *e);

/* Encrypt text with the KEY_MAILBOX_SECRETS key into base64 (nonce ‖ box); *out is malloc'd. */
int keyring_seal(const char *data_dir, const char *plain, char **out, sn_err *e);
/* The reverse; *out is malloc'd (caller frees and should wipe it). */
int keyring_open(const char *data_dir, const char *sealed, char **out, sn_err *e);

#endif
