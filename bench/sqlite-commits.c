/* sqlite-commits.c — the baseline of bench/contacts-http: how many single-row transactions per
 * second SQLite commits on this disk in WAL mode with synchronous=FULL (one fsync each).
 * usage: sqlite-commits DB_PATH [SECONDS] */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 3.0;
    sqlite3 *db;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) return 1;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, x TEXT)", 0, 0, 0);
    long n = 0;
    double start = now();
    while (now() - start < seconds) {
        if (sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO t (x) VALUES ('contact'); COMMIT", 0, 0,
                         0) != SQLITE_OK)
            return 1;
        n++;
    }
    printf("%.0f\n", (double)n / (now() - start));
    sqlite3_close(db);
    return 0;
}
