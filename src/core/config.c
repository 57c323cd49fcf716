/* config.c — the configuration table and its three sources (INI, environment, flags). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR(field) CONFIG_STR, offsetof(config, field), sizeof(((config *)0)->field)
#define INT(field) CONFIG_INT, offsetof(config, field), sizeof(int)
#define I64(field) CONFIG_INT, offsetof(config, field), sizeof(int64_t)
#define BOOL(field) CONFIG_BOOL, offsetof(config, field), sizeof(int)

const config_option config_table[] = {
    {"listen", STR(listen), "127.0.0.1:8080", 0, 0, "address and port to serve on (port 0: any free)"},
    {"db", STR(db), "sqlite:var/sanad.db", 0, 0,
     "database: sqlite:PATH, postgres://USER@HOST/NAME or postgresql:///NAME?host=SOCKETDIR"},
    {"data", STR(data), "var", 0, 0, "data directory for uploaded files and keys"},
    {"config", STR(config_file), "", 0, 0, "INI file with any of these settings"},
    {"threads", INT(threads), "8", 1, 256,
     "HTTP worker threads (one database connection each; requests waiting on a group commit hold one)"},
    {"body-limit", I64(body_limit), "1048576", 1024, 1073741824, "largest JSON request body, bytes"},
    {"secure-cookies", BOOL(secure_cookies), "0", 0, 1, "mark cookies Secure (serve behind TLS)"},
    {"session-idle-minutes", INT(session_idle_minutes), "30", 1, 10080,
     "a session ends after this many idle minutes"},
    {"session-absolute-hours", INT(session_absolute_hours), "12", 1, 720,
     "a session ends this many hours after login"},
    {"sqlite-synchronous", STR(sqlite_synchronous), "FULL", 0, 0,
     "SQLite durability: FULL (fsync every commit), NORMAL or OFF"},
    {"access-log", BOOL(access_log), "1", 0, 1, "write one JSON access-log line per request"},
    {"public-url", STR(public_url), "", 0, 0,
     "external base URL (default http://LISTEN); its origin is the allowed Origin"},
    {"housekeeping-seconds", INT(housekeeping_seconds), "60", 1, 86400,
     "how often periodic tasks run (closing solved conversations after close_after_days)"},
    {"group-commit-writers", INT(group_commit_writers), "4", 1, 16,
     "PostgreSQL: group committers in parallel, each on its own connection; a person's contacts "
     "always go to the same one (SQLite: always 1)"},
    {"group-commit", BOOL(group_commit), "1", 0, 1,
     "contacts arriving together share one transaction and one fsync (answered after commit)"},
    {"trusted-proxies", STR(trusted_proxies), "", 0, 0,
     "comma-separated proxy addresses whose X-Forwarded-For names the client"},
    {"webhook-allow-private", BOOL(webhook_allow_private), "0", 0, 1,
     "let webhooks target loopback and private networks (tests, internal receivers)"},
    {"job-backoff-base-ms", INT(job_backoff_base_ms), "2000", 1, 3600000,
     "wait before a failed background job's first retry, ms; doubles each attempt (max 1 h)"},
    {"allowed-origins", STR(allowed_origins), "", 0, 0,
     "comma-separated Origins (scheme://host[:port]) that may open the live stream besides our "
     "own (the origin of public-url; when that is empty, http://HOST of the request's Host)"},
    {"stream-ring", INT(stream_ring), "10000", 16, 1000000,
     "live-stream events kept in memory for clients resuming with ?since= (older: resync)"},
    {"stream-queue-limit", INT(stream_queue_limit), "2000", 1, 1000000,
     "events a stream client that stopped reading may fall behind before it is closed (1008)"},
    {"stream-ping-seconds", INT(stream_ping_seconds), "25", 1, 3600,
     "live-stream keepalive: ping this often; a peer silent for two intervals is dropped"},
    {"stream-threads", INT(stream_threads), "1", 1, 8,
     "live-stream hub threads; connections are spread over them. A busy hub thread takes a "
     "whole core: raise it only where cores are to spare (bench/README.md)"},
    {"stream-bench-rate", INT(stream_bench_rate), "0", 0, 100000,
     "TEST ONLY: publish this many synthetic bench.tick events per second to every live stream "
     "(bench/ws-fanout); 0 = off"},
    {"mail-poll-seconds", INT(mail_poll_seconds), "30", 1, 3600,
     "how often each mailbox with an imap_url is polled for unseen messages"},
    {"mail-max-bytes", I64(mail_max_bytes), "26214400", 1024, 1073741824,
     "largest raw email accepted (IMAP or mail-ingest); larger ones are logged and skipped"},
    {"attachment-max-bytes", I64(attachment_max_bytes), "10485760", 1, 1073741824,
     "largest attachment stored (email, form, document upload)"},
    {"attachment-types", STR(attachment_types), "application/pdf,image/jpeg,image/png", 0, 0,
     "comma-separated content types that may be stored, decided by content (libmagic)"},
    {"clamd", STR(clamd), "", 0, 0,
     "scan attachments with clamd's INSTREAM: unix:/run/clamav/clamd.ctl or HOST:PORT; "
     "empty = no scan"},
    {"remote-images", BOOL(remote_images), "0", 0, 1,
     "keep remote images in sanitised email HTML (off: blocked, as they track the reader)"},
    {"mail-fault", STR(mail_fault), "", 0, 0,
     "TEST ONLY: kill the process at a point of IMAP ingestion (after-fetch, after-raw, "
     "after-commit) to prove nothing is lost or duplicated; never set in production"},
    {"sms-gateway-url", STR(sms_gateway_url), "", 0, 0,
     "SMS adapter: POST {\"to\",\"text\"} as JSON to this http(s) URL (one-time codes, "
     "document review notices); empty = no SMS"},
    {"upload-request-limit", I64(upload_request_limit), "33554432", 1024, 4294967296,
     "largest multipart/form-data request body (portal file uploads), bytes; other bodies keep "
     "body-limit"},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL},
};

static const config_option *config_find(const char *name)
{
    for (const config_option *o = config_table; o->name; o++)
        if (strcmp(o->name, name) == 0) return o;
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
             !strcasecmp(v, "off"))
        *out = 0;
    else
        return -1;
    return 0;
}

int config_set(config *c, const char *name, const char *value, sn_err *e)
{
    const config_option *o = config_find(name);
    if (!o) return sn_fail(e, SN_EINVALID, name, "unknown setting '%s'", name);
    char *field = (char *)c + o->offset;
    if (o->type == CONFIG_STR) {
        if (strlen(value) >= o->size)
            return sn_fail(e, SN_EINVALID, name, "value of '%s' is too long", name);
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    if (o->type == CONFIG_BOOL) {
        if (parse_bool(value, (int *)field) < 0)
            return sn_fail(e, SN_EINVALID, name, "'%s' expects true or false", name);
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    if (errno || end == value || *end || v < o->min || v > o->max)
        return sn_fail(e, SN_EINVALID, name, "'%s' expects an integer in [%lld, %lld]", name,
                       (long long)o->min, (long long)o->max);
    if (o->size == sizeof(int64_t))
        *(int64_t *)field = v;
    else
        *(int *)field = (int)v;
    return 0;
}

void config_defaults(config *c)
{
    memset(c, 0, sizeof *c);
    for (const config_option *o = config_table; o->name; o++) config_set(c, o->name, o->def, NULL);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
    return s;
}

static int config_load_ini(config *c, const char *path, sn_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f) return sn_fail(e, SN_EINVALID, "config", "cannot open config file %s", path);
    char line[1024];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';' || *s == '[') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = sn_fail(e, SN_EINVALID, "config", "%s:%d: expected name = value", path, lineno);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        for (char *p = key; *p; p++)
            if (*p == '_') *p = '-';
        if (!strcmp(key, "config")) continue;
        rc = config_set(c, key, val, e);
    }
    fclose(f);
    return rc;
}

static void env_name(const char *opt, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "SANAD_%s", opt);
    for (size_t i = 6; i < n && i < size; i++)
        out[i] = out[i] == '-' ? '_' : (char)toupper((unsigned char)out[i]);
}

static int is_extra(const char *name, const char *const *extra)
{
    for (; extra && *extra; extra++)
        if (!strcmp(*extra, name)) return 1;
    return 0;
}

/* The config file may be named on the command line or in the environment; find it first. */
static const char *config_file_arg(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) return argv[i + 1];
        if (!strncmp(argv[i], "--config=", 9)) return argv[i] + 9;
    }
    return getenv("SANAD_CONFIG");
}

int config_load(config *c, int argc, char **argv, const char *const *extra, sn_err *e)
{
    int rc;
    const char *file = config_file_arg(argc, argv);
    if (file && *file && (rc = config_load_ini(c, file, e)) < 0) return rc;
    for (const config_option *o = config_table; o->name; o++) {
        char name[64];
        env_name(o->name, name, sizeof name);
        const char *v = getenv(name);
        if (v && (rc = config_set(c, o->name, v, e)) < 0) return rc;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) continue;
        char name[64];
        const char *arg = argv[i] + 2, *eq = strchr(arg, '='), *val;
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        if (n >= sizeof name) return sn_fail(e, SN_EINVALID, NULL, "unknown option %s", argv[i]);
        memcpy(name, arg, n);
        name[n] = '\0';
        if (is_extra(name, extra)) continue;
        const config_option *o = config_find(name);
        if (!o) return sn_fail(e, SN_EINVALID, name, "unknown option --%s", name);
        if (eq)
            val = eq + 1;
        else if (o->type == CONFIG_BOOL && (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2)))
            val = "1";
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return sn_fail(e, SN_EINVALID, name, "option --%s needs a value", name);
        if ((rc = config_set(c, name, val, e)) < 0) return rc;
    }
    return 0;
}

void config_print_help(void)
{
    for (const config_option *o = config_table; o->name; o++) {
        char env[64];
        env_name(o->name, env, sizeof env);
        printf("  --%-24s %s\n  %-26s (env %s, default \"%s\")\n", o->name, o->help, "", env,
               o->def);
    }
}

void config_print_sample(void)
{
    printf("# Sanad configuration. Every setting may also be given as --name on the command\n"
           "# line or as SANAD_NAME in the environment; flags win over the environment, which\n"
           "# wins over this file.\n[sanad]\n");
    for (const config_option *o = config_table; o->name; o++)
        if (strcmp(o->name, "config") != 0) printf("\n# %s\n%s = %s\n", o->help, o->name, o->def);
}
