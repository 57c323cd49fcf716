/* cpu.c — the search-speed benchmark without HTTP: CPU time per kb_search_json in this process,
 * which a loaded machine hardly disturbs (wall-clock latency it does), and a quality check at
 * that scale. Driven by bench/search-speed/cpu.
 *
 *   cpu DB_URL ARCD.json N [search|suggest]
 *
 * Sends the same queries as speed.mjs (ARCD questions in order; for suggest, their first 4–15
 * characters), 200 warm-up queries first, on one connection, and prints the CPU time per query
 * and "own-paragraph MRR": article i of speed.mjs is made from paragraph i mod P, so a question's
 * own articles are known, and the reciprocal rank of the first of them among the results says
 * whether a change to the candidate stage lost them (it is not ARCD's MRR@10: an article holds
 * only the first sentences of its paragraph, and P articles share each). */
#include "domain/kb.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WARM_UP 200

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct question {
    const char *text;
    int para;
} question;

/* ARCD's questions in speed.mjs's order, each with its paragraph's index; *paras gets P. */
static question *load(json_t *root, int *n, int *paras)
{
    size_t i, j, k, cap = 0;
    json_t *a, *p, *qa;
    json_array_foreach(json_object_get(root, "data"), i, a)
        json_array_foreach(json_object_get(a, "paragraphs"), j, p) cap += json_array_size(json_object_get(p, "qas"));
    question *q = calloc(cap ? cap : 1, sizeof *q);
    *n = *paras = 0;
    json_array_foreach(json_object_get(root, "data"), i, a)
        json_array_foreach(json_object_get(a, "paragraphs"), j, p)
        {
            json_array_foreach(json_object_get(p, "qas"), k, qa)
                q[(*n)++] = (question){json_string_value(json_object_get(qa, "question")), *paras};
            (*paras)++;
        }
    return q;
}

/* The query text: the question without leading spaces and dashes; for suggest, its first
 * 4 + (i mod 12) characters. */
static void query_text(const char *q, int i, int suggest, char *out, size_t cap)
{
    while (*q == ' ' || *q == '-') q++;
    snprintf(out, cap, "%s", q);
    if (!suggest) return;
    int want = 4 + i % 12, chars = 0;
    char *s = out;
    while (*s && chars < want) {
        s++;
        while ((*s & 0xC0) == 0x80) s++;
        chars++;
    }
    *s = '\0';
}

/* 1/rank of the first result made from paragraph `para` ("Title i": i mod paras), else 0. */
static double own_rank(json_t *results, int para, int paras)
{
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r)
    {
        const char *t = json_string_value(json_object_get(r, "title"));
        const char *sp = t ? strrchr(t, ' ') : NULL;
        long art = sp ? strtol(sp + 1, NULL, 10) : -1;
        if (art >= 0 && art % paras == para) return 1.0 / (double)(i + 1);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: cpu DB_URL ARCD.json N [search|suggest]\n");
        return 2;
    }
    int n = atoi(argv[3]), suggest = argc > 4 && !strcmp(argv[4], "suggest");
    json_error_t err;
    json_t *root = json_load_file(argv[2], 0, &err);
    if (!root) {
        fprintf(stderr, "cpu: %s: %s\n", argv[2], err.text);
        return 1;
    }
    int nq, paras;
    question *qs = load(root, &nq, &paras);
    store *db;
    sn_err e;
    if (nq == 0 || store_open(argv[1], NULL, &db, &e) < 0) {
        fprintf(stderr, "cpu: %s\n", nq ? e.message : "no questions");
        return 1;
    }
    double mrr = 0, t0 = 0;
    int with_results = 0;
    for (int i = 0; i < n + WARM_UP; i++) {
        if (i == WARM_UP) t0 = cpu_seconds();
        char text[2048];
        query_text(qs[i % nq].text, i, suggest, text, sizeof text);
        kb_search_opts o = {text, "ar", NULL, suggest ? KB_SUGGEST_MAX : 10, 0, suggest, "api", NULL, 0,
                            (int64_t)time(NULL) * 1000};
        json_t *out;
        if (kb_search_json(db, &o, &out, &e) < 0) {
            fprintf(stderr, "cpu: search: %s\n", e.message);
            return 1;
        }
        json_t *results = json_object_get(out, "results");
        if (i >= WARM_UP) {
            with_results += json_array_size(results) > 0;
            mrr += own_rank(results, qs[i % nq].para, paras);
        }
        json_decref(out);
    }
    double t = cpu_seconds() - t0;
    printf("%s: %d queries in process, CPU %.3f ms per query, %d with results, own-paragraph MRR@%d %.4f\n",
           suggest ? "suggest" : "search", n, n ? t * 1000 / n : 0, with_results, suggest ? KB_SUGGEST_MAX : 10,
           n ? mrr / n : 0);
    store_close(db);
    free(qs);
    json_decref(root);
    return 0;
}
