/* config.h — the one configuration table of Sanad.
 *
 * Every setting is one row of config_table (name, type, default, bounds, help). From that table
 * come the command-line flags (--name), the environment variables (SANAD_NAME), the INI file
 * (`name = value`, optional [sanad] section) and `sanad config-sample`. Precedence:
 * flags > environment > INI file > default. */
#ifndef SANAD_CONFIG_H
#define SANAD_CONFIG_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct config {
    char listen[128];          /* HOST:PORT */
    char db[512];              /* sqlite:PATH | postgres://… | postgresql://… */
    char data[512];            /* data directory (files, keys) */
    char config_file[512];
    int threads;               /* HTTP worker threads */
    int64_t body_limit;        /* bytes of a request body */
    int secure_cookies;
    int session_idle_minutes;
    int session_absolute_hours;
    char sqlite_synchronous[16]; /* FULL | NORMAL | OFF */
    int access_log;
    char public_url[256];      /* how clients reach us, for Origin checks and links */
    char trusted_proxies[512]; /* addresses whose X-Forwarded-For is believed */
    int group_commit;          /* contacts share transactions (one fsync for many) */
    int group_commit_writers;  /* parallel group committers on PostgreSQL (SQLite: always 1) */
    int housekeeping_seconds;  /* interval of periodic tasks (closing solved conversations) */
    int webhook_allow_private; /* webhooks may target loopback/private addresses */
    int job_backoff_base_ms;   /* first retry delay of a failed job; doubles each attempt */
    char allowed_origins[1024]; /* extra Origins allowed on the live stream */
    int stream_ring;           /* events kept for `?since=` resumes */
    int stream_queue_limit;    /* events a blocked stream client may fall behind before closing */
    int stream_ping_seconds;   /* keepalive ping interval; a peer silent for two is dropped */
    int stream_bench_rate;     /* test only: synthetic bench.tick events per second (0: off) */
    int stream_threads;        /* live-stream hub threads */
    int mail_poll_seconds;     /* IMAP polling interval */
    int64_t mail_max_bytes;    /* largest raw email accepted */
    int64_t attachment_max_bytes; /* largest stored attachment */
    char attachment_types[512]; /* comma-separated content types (sniffed) that may be stored */
    char clamd[256];           /* clamd address (unix:/path or host:port); "" = no scan */
    int remote_images;         /* keep remote images in sanitised email HTML */
    char mail_fault[32];       /* test only: crash at a named point of IMAP ingestion */
    char sms_gateway_url[512]; /* SMS adapter: POST {"to","text"} JSON here; "" = no SMS */
    int64_t upload_request_limit; /* bytes of a multipart/form-data request body */
} config;

enum config_type { CONFIG_STR, CONFIG_INT, CONFIG_BOOL };

typedef struct config_option {
    const char *name;     /* flag and INI key, e.g. "listen"; env is SANAD_LISTEN */
    enum config_type type;
    size_t offset;        /* into struct config */
    size_t size;          /* of a CONFIG_STR field */
    const char *def;
    int64_t min, max;     /* bounds of CONFIG_INT */
    const char *help;
} config_option;

extern const config_option config_table[];

void config_defaults(config *c);
/* Apply the INI file, the environment and argv (in that order) onto c. `argv` is scanned for
 * `--name value` and `--name=value`; arguments it does not know are reported as SN_EINVALID
 * unless they are listed in `extra` (NULL-terminated names the command parses itself). */
int config_load(config *c, int argc, char **argv, const char *const *extra, sn_err *e);
/* Set one option by name from text. */
int config_set(config *c, const char *name, const char *value, sn_err *e);
/* Print the options as --help text, or as a commented INI sample. */
void config_print_help(void);
void config_print_sample(void);

#endif
