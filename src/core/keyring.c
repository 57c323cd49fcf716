/* keyring.c — the master key in the data directory and the sub-keys derived from it. */
#include "keyring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char loaded_dir[PATH_MAX];
static unsigned char master[crypto_kdf_KEYBYTES];
static int have_master;

static int read_all(int fd, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Create the key file atomically (write a temporary file, then link it into place so two
 * processes starting together agree on one key). */
static int create_master(const char *dir, const char *path)
{
    char tmp[PATH_MAX + 64];
    unsigned char key[crypto_kdf_KEYBYTES];
    crypto_kdf_keygen(key);
    snprintf(tmp, sizeof tmp, "%s/.master.%d.tmp", dir, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int ok = write(fd, key, sizeof key) == (ssize_t)sizeof key && fsync(fd) == 0;
    close(fd);
    sodium_memzero(key, sizeof key);
    if (ok && link(tmp, path) < 0 && errno != EEXIST) ok = 0;
    unlink(tmp);
    return ok ? 0 : -1;
}

static int load_master(const char *data_dir, sn_err *e)
{
    if (have_master && !strcmp(loaded_dir, data_dir)) return 0;
    char dir[PATH_MAX - 64], path[PATH_MAX];
    if ((size_t)snprintf(dir, sizeof dir, "%s/keys", data_dir) >= sizeof dir)
        return sn_fail(e, SN_EINTERNAL, NULL, "data directory path too long");
    snprintf(path, sizeof path, "%s/master.key", dir);
    mkdir(data_dir, 0750);
    mkdir(dir, 0700);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if (create_master(dir, path) < 0)
            return sn_fail(e, SN_EINTERNAL, NULL, "cannot create the key file in the data directory");
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) return sn_fail(e, SN_EINTERNAL, NULL, "cannot read the key file in the data directory");
    int rc = read_all(fd, master, sizeof master);
    close(fd);
    if (rc < 0) return sn_fail(e, SN_EINTERNAL, NULL, "the key file in the data directory is damaged");
    snprintf(loaded_dir, sizeof loaded_dir, "%s", data_dir);
    have_master = 1;
    return 0;
}

int keyring_get(const char *data_dir, enum keyring_purpose purpose,
                unsigned char out[KEYRING_KEY_BYTES], sn_err *e)
{
    pthread_mutex_lock(&lock);
    int rc = load_master(data_dir, e);
    if (rc == 0 && crypto_kdf_derive_from_key(out, KEYRING_KEY_BYTES, (uint64_t)purpose,
                                              "sanadkey", master) != 0)
        rc = sn_fail(e, SN_EINTERNAL, NULL, "cannot derive a key");
    pthread_mutex_unlock(&lock);
    return rc;
}

int keyring_seal(const char *data_dir, const char *plain, char **out, sn_err *e)
{
    unsigned char key[KEYRING_KEY_BYTES];
    int rc = keyring_get(data_dir, KEY_MAILBOX_SECRETS, key, e);
    if (rc < 0) return rc;
    size_t n = strlen(plain), boxlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
    unsigned char *box = malloc(boxlen);
    size_t b64len = sodium_base64_ENCODED_LEN(boxlen, sodium_base64_VARIANT_ORIGINAL);
    *out = malloc(b64len);
    if (!box || !*out) {
        free(box);
        free(*out);
        *out = NULL;
        sodium_memzero(key, sizeof key);
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    }
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, n, box,
                          key);
    sodium_bin2base64(*out, b64len, box, boxlen, sodium_base64_VARIANT_ORIGINAL);
    free(box);
    sodium_memzero(key, sizeof key);
    return 0;
}

int keyring_open(const char *data_dir, const char *sealed, char **out, sn_err *e)
{
    *out = NULL;
    unsigned char key[KEYRING_KEY_BYTES];
    int rc = keyring_get(data_dir, KEY_MAILBOX_SECRETS, key, e);
    if (rc < 0) return rc;
    size_t cap = strlen(sealed), len = 0;
    unsigned char *box = malloc(cap + 1);
    char *plain = NULL;
    rc = SN_EINVALID;
    if (box && sodium_base642bin(box, cap + 1, sealed, cap, NULL, &len, NULL,
                                 sodium_base64_VARIANT_ORIGINAL) == 0 &&
        len >= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES &&
        (plain = malloc(len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES + 1)) &&
        crypto_secretbox_open_easy((unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, box, key) == 0) {
        plain[len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES] = '\0';
        *out = plain;
        rc = 0;
    }
    free(box);
    sodium_memzero(key, sizeof key);
    if (rc < 0) {
        free(plain);
        return sn_fail(e, SN_EINVALID, NULL, "a stored secret cannot be decrypted (key changed?)");
    }
    return 0;
}
