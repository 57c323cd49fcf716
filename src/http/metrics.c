/* metrics.c — request counters by route and status, a latency histogram, open connections;
 * rendered in the Prometheus text format. */
#include "http.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#define METRICS_ROUTES 256
#define METRICS_STATUSES 12

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5, 5, 10};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct route_stats {
    int status[METRICS_STATUSES];
    uint64_t count[METRICS_STATUSES];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct route_stats routes[METRICS_ROUTES + 1]; /* last slot: unmatched */
static uint64_t bucket_count[NBUCKETS + 1];
static uint64_t duration_count;
static double duration_sum;
static long open_connections;

void metrics_observe(int route, int status, int64_t duration_us)
{
    double secs = (double)duration_us / 1e6;
    struct route_stats *r = &routes[route >= 0 && route < METRICS_ROUTES ? route : METRICS_ROUTES];
    pthread_mutex_lock(&lock);
    for (int i = 0; i < METRICS_STATUSES; i++) {
        if (r->status[i] == status || r->status[i] == 0) {
            r->status[i] = status;
            r->count[i]++;
            break;
        }
    }
    size_t b = 0;
    while (b < NBUCKETS && secs > buckets[b]) b++;
    bucket_count[b]++;
    duration_count++;
    duration_sum += secs;
    pthread_mutex_unlock(&lock);
}

void metrics_connection(int delta)
{
    __atomic_add_fetch(&open_connections, delta, __ATOMIC_RELAXED);
}

int metrics_render(buf *out, const char *const *patterns, int nroutes)
{
    int rc = 0;
    pthread_mutex_lock(&lock);
    rc |= buf_puts(out, "# HELP sanad_http_requests_total HTTP requests by route and status.\n"
                        "# TYPE sanad_http_requests_total counter\n");
    for (int r = 0; r <= METRICS_ROUTES; r++) {
        if (r < METRICS_ROUTES && r >= nroutes) continue;
        const char *label = r < nroutes ? patterns[r] : "unmatched";
        for (int i = 0; i < METRICS_STATUSES && routes[r].status[i]; i++)
            rc |= buf_printf(out, "sanad_http_requests_total{route=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                             label, routes[r].status[i], routes[r].count[i]);
    }
    rc |= buf_puts(out, "# HELP sanad_http_request_duration_seconds Request latency.\n"
                        "# TYPE sanad_http_request_duration_seconds histogram\n");
    uint64_t cumulative = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        cumulative += bucket_count[b];
        rc |= buf_printf(out, "sanad_http_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                         buckets[b], cumulative);
    }
    rc |= buf_printf(out,
                     "sanad_http_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
                     "sanad_http_request_duration_seconds_sum %.6f\n"
                     "sanad_http_request_duration_seconds_count %" PRIu64 "\n",
                     duration_count, duration_sum, duration_count);
    pthread_mutex_unlock(&lock);
    rc |= buf_printf(out,
                     "# HELP sanad_http_open_connections Open client connections.\n"
                     "# TYPE sanad_http_open_connections gauge\n"
                     "sanad_http_open_connections %ld\n",
                     __atomic_load_n(&open_connections, __ATOMIC_RELAXED));
    return rc ? -1 : 0;
}
