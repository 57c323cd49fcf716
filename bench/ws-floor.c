/* ws-floor.c — the floor under bench/ws-fanout: what one small send on a loopback TCP socket
 * costs this machine when N sockets are in use. A thread writes `bytes` to each of N connected
 * sockets in turn (as a hub pass does), `rounds` times; another thread reads them all with
 * epoll. Prints the sender's CPU (user + system) per send: a pass of the hub over N
 * connections cannot cost less than N times that, whatever the hub does in user space.
 *
 *   ws-floor [--conns 10000] [--bytes 1000] [--rounds 10]
 *
 * Build: cc -O2 -pthread -o ws-floor ws-floor.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int nconns = 10000, nbytes = 1000, rounds = 10;
static int *server_fd, *client_fd;
static volatile int stop;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static double thread_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void *reader(void *arg)
{
    (void)arg;
    int ep = epoll_create1(0);
    for (int i = 0; i < nconns; i++) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, client_fd[i], &ev) < 0) die("epoll_ctl");
    }
    static char buf[1 << 16];
    struct epoll_event evs[1024];
    while (!stop) {
        int n = epoll_wait(ep, evs, 1024, 50);
        for (int k = 0; k < n; k++)
            while (recv(client_fd[evs[k].data.u32], buf, sizeof buf, 0) == (ssize_t)sizeof buf) {
            }
    }
    close(ep);
    return NULL;
}

static void connect_all(void)
{
    int lst = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t alen = sizeof addr;
    setsockopt(lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lst, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lst, 4096) < 0 ||
        getsockname(lst, (struct sockaddr *)&addr, &alen) < 0)
        die("listen");
    for (int i = 0; i < nconns; i++) {
        client_fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000001 + (uint32_t)(i % 4 + 1)); /* ports per source */
        if (client_fd[i] < 0 || bind(client_fd[i], (struct sockaddr *)&src, sizeof src) < 0 ||
            connect(client_fd[i], (struct sockaddr *)&addr, sizeof addr) < 0)
            die("connect");
        if ((server_fd[i] = accept(lst, NULL, NULL)) < 0) die("accept");
        setsockopt(server_fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(client_fd[i], F_SETFL, fcntl(client_fd[i], F_GETFL) | O_NONBLOCK);
    }
    close(lst);
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        int v = (int)strtol(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--conns"))
            nconns = v;
        else if (!strcmp(argv[i], "--bytes"))
            nbytes = v;
        else if (!strcmp(argv[i], "--rounds"))
            rounds = v;
    }
    if (nconns < 1 || nbytes < 1 || rounds < 1) {
        fprintf(stderr, "usage: ws-floor [--conns N] [--bytes B] [--rounds R]\n");
        return 2;
    }
    server_fd = calloc((size_t)nconns, sizeof *server_fd);
    client_fd = calloc((size_t)nconns, sizeof *client_fd);
    char *data = malloc((size_t)nbytes);
    if (!server_fd || !client_fd || !data) die("calloc");
    memset(data, 'x', (size_t)nbytes);
    connect_all();
    pthread_t rt;
    pthread_create(&rt, NULL, reader, NULL);
    double cpu0 = thread_cpu();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nconns; i++)
            if (send(server_fd[i], data, (size_t)nbytes, MSG_NOSIGNAL) != nbytes) die("send");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double cpu = thread_cpu() - cpu0;
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    double sends = (double)nconns * rounds;
    printf("loopback floor:  one %d-byte send costs %.2f µs of CPU (%.2f µs wall) with %d "
           "sockets: a pass over them ≥ %.0f ms of CPU\n",
           nbytes, cpu * 1e6 / sends, wall * 1e6 / sends, nconns, cpu * 1e3 / rounds);
    stop = 1;
    pthread_join(rt, NULL);
    return 0;
}
