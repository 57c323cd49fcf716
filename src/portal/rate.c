/* rate.c — token buckets for public forms, keyed by (scope, client), in memory.
 *
 * A fixed table of RATE_SLOTS buckets addressed by a keyed hash (SipHash with a random key, so
 * nobody can aim many clients at one slot). A client's bucket is looked for among RATE_PROBE
 * neighbouring slots; a new client takes a free or already full-again slot there, else the
 * least recently used one — so memory stays fixed under a flood of addresses, and what is lost
 * is the memory of a quiet client, who is then treated as new. One mutex: a form POST is rare
 * next to page views, and the critical section is a few arithmetic operations. */
#include "page.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define RATE_SLOTS 8192
#define RATE_PROBE 8

typedef struct bucket {
    uint64_t key; /* 0: free */
    double tokens;
    int64_t at; /* when tokens was computed, ms */
} bucket;

static bucket slots[RATE_SLOTS];
static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    randombytes_buf(hash_key, sizeof hash_key);
}

static uint64_t hash_of(const char *scope, const char *client)
{
    unsigned char h[crypto_shorthash_BYTES];
    char text[256];
    size_t n = (size_t)snprintf(text, sizeof text, "%s%c%s", scope, 0, client ? client : "");
    crypto_shorthash(h, (const unsigned char *)text, n < sizeof text ? n : sizeof text - 1,
                     hash_key);
    uint64_t k;
    memcpy(&k, h, sizeof k);
    return k ? k : 1;
}

static double refilled(const bucket *b, int burst, int64_t interval_ms, int64_t now)
{
    double t = b->tokens + (double)(now > b->at ? now - b->at : 0) / (double)interval_ms;
    return t > burst ? burst : t;
}

/* The bucket of k, or the slot it should take (tokens full). Called under the lock. */
static bucket *find(uint64_t k, int burst, int64_t interval_ms, int64_t now)
{
    bucket *victim = NULL;
    int best = 3; /* 0: free, 1: full again (forgettable), 2: in use — the oldest goes */
    for (int i = 0; i < RATE_PROBE; i++) {
        bucket *b = &slots[(k + (uint64_t)i) % RATE_SLOTS];
        if (b->key == k) return b;
        int score = !b->key ? 0 : refilled(b, burst, interval_ms, now) >= burst ? 1 : 2;
        if (score < best || (score == best && b->at < victim->at)) {
            victim = b;
            best = score;
        }
    }
    *victim = (bucket){k, burst, now};
    return victim;
}

int portal_rate_take(const char *scope, const char *client, int burst, int64_t interval_ms,
                     int64_t now, sn_err *e)
{
    pthread_once(&key_once, make_key);
    uint64_t k = hash_of(scope, client);
    pthread_mutex_lock(&lock);
    bucket *b = find(k, burst, interval_ms, now);
    double t = refilled(b, burst, interval_ms, now);
    int allowed = t >= 1.0;
    b->tokens = allowed ? t - 1.0 : t;
    b->at = now;
    pthread_mutex_unlock(&lock);
    if (allowed) return 0;
    int wait = (int)(((1.0 - t) * (double)interval_ms + 999.0) / 1000.0);
    sn_fail_slug(e, SN_ERATE, "rate_limited", NULL, "too many requests");
    e->retry_after = wait > 0 ? wait : 1;
    return SN_ERATE;
}
