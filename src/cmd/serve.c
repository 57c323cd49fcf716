/* serve.c — `sanad serve`: migrate, start the HTTP server, wait for SIGTERM/SIGINT, stop
 * gracefully (stop accepting, finish in-flight requests, close the databases). */
#include "cmd.h"

#include "../api/api.h"
#include "../channels/email/email.h"
#include "../core/log.h"
#include "../http/http.h"
#include "../hub/hub.h"
#include "../jobs/jobs.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int cmd_serve(int argc, char **argv)
{
    config cfg;
    store *db;
    int rc = cmd_open(argc, argv, NULL, &cfg, &db);
    if (rc) return rc;
    store_close(db); /* migrations done; workers open their own connections */
    mkdir(cfg.data, 0750);
    log_set_quiet(0);

    /* Block the stop signals in every thread; this one waits for them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    sn_err e;
    http_server *server;
    static config shared;
    shared = cfg;
    http_server_options opt = {
        .listen = cfg.listen,
        .threads = cfg.threads,
        .body_limit = (size_t)cfg.body_limit,
        .upload_limit = (size_t)cfg.upload_request_limit,
        .access_log = cfg.access_log,
        .trusted_proxies = cfg.trusted_proxies,
        .app = api_dispatch,
        .route_patterns = api_route_patterns(),
        .nroutes = api_route_count,
    };
    jobs_runner *jobs = NULL; /* background jobs (webhook deliveries), own connection */
    hub *live = NULL;         /* the live-update hub (GET /api/v1/stream), own thread */
    email_poller *mail = NULL; /* IMAP polling of the mailboxes, own thread and connection */
    email_init();              /* GMime, before any thread parses or composes mail */
    hub_options hub_opt = {
        .db = cfg.db,
        .ring_size = cfg.stream_ring,
        .queue_limit = cfg.stream_queue_limit,
        .ping_ms = cfg.stream_ping_seconds * 1000,
        .max_conns = 50000,
        .session_idle_ms = (int64_t)cfg.session_idle_minutes * 60000,
        .session_absolute_ms = (int64_t)cfg.session_absolute_hours * 3600000,
        .recheck_ms = cfg.stream_ping_seconds * 1000,
        .bench_rate = cfg.stream_bench_rate,
        .threads = cfg.stream_threads,
    };
    if (api_init(&shared, &e) < 0 || jobs_start(&shared, &jobs, &e) < 0 ||
        hub_start(&hub_opt, &live, &e) < 0 || email_poller_start(&shared, &mail, &e) < 0 ||
        http_server_start(&opt, &server, &e) < 0) {
        fprintf(stderr, "sanad: %s\n", e.message);
        email_poller_stop(mail);
        hub_stop(live);
        hub_free(live);
        jobs_stop(jobs);
        return 1;
    }
    const char *host = cfg.listen;
    char hostonly[128];
    snprintf(hostonly, sizeof hostonly, "%.*s", (int)(strrchr(host, ':') - host), host);
    printf("sanad: listening on http://%s:%d\n", hostonly, http_server_port(server));
    fflush(stdout);
    log_info("serving on %s:%d with %s", hostonly, http_server_port(server),
             strncmp(cfg.db, "sqlite:", 7) ? "postgres" : "sqlite");

    int sig;
    sigwait(&stop, &sig);
    log_info("signal %d: stopping", sig);
    hub_stop(live); /* closes the upgraded sockets, which HTTP stop would wait for */
    http_server_stop(server, 10000);
    email_poller_stop(mail);
    jobs_stop(jobs);
    api_fini();
    hub_free(live);
    email_fini();
    log_info("stopped");
    return 0;
}
