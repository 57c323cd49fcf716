/* search_query.c — libFuzzer driver of the search analyzer and query parser (src/search/):
 * text_normalize, search_query_build (with synonyms and type-ahead prefixes), analyzer_index_text,
 * and the snippet builder that reads a stored body against the query (search_best_window,
 * search_snippet) — the path a visitor's search text takes through the help center.
 *
 * Input: the query up to the first '\n', then a document body. The first byte also picks
 * prefix_last. Checks the promises of normalize.h (UTF-8 out, idempotent) and query.h (bounded
 * clauses and alternatives, NUL-terminated terms). */
#include "search/normalize.h"
#include "search/query.h"
#include "search/search.h"

#include <jansson.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static search_synonyms syn;
static search_query q; /* large: keep it off the stack */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char *const g1[] = {"تجديد", "تحديث", "إصدار جديد"};
    static const char *const g2[] = {"استرداد", "إرجاع المبلغ", "refund"};
    static const char *const g3[] = {"passport", "جواز السفر", "جواز"};
    search_synonyms_init(&syn);
    search_synonyms_add(&syn, g1, 3);
    search_synonyms_add(&syn, g2, 3);
    search_synonyms_add(&syn, g3, 3);
    return 0;
}

static void need_utf8(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (!j) abort();
    json_decref(j);
}

static void check_normalize(const char *s, size_t n)
{
    buf a, b;
    buf_init(&a, 1 << 20);
    buf_init(&b, 1 << 20);
    if (text_normalize(s, n, &a) == 0 && a.len) {
        need_utf8(a.data, a.len);
        if (text_normalize(a.data, a.len, &b) != 0 || b.len != a.len ||
            memcmp(a.data, b.data, a.len) != 0)
            abort(); /* normalising again must give it back */
    }
    buf_fini(&a);
    buf_fini(&b);
}

static void check_query(const search_query *sq)
{
    if (sq->n < 0 || sq->n > SEARCH_MAX_CLAUSES) abort();
    for (int i = 0; i < sq->n; i++) {
        const search_clause *c = &sq->c[i];
        if (c->nalt < 1 || c->nalt > SEARCH_MAX_ALTS) abort();
        if (!memchr(c->word, '\0', sizeof c->word)) abort();
        for (int j = 0; j < c->nalt; j++)
            if (!memchr(c->alt[j].term, '\0', sizeof c->alt[j].term) || !c->alt[j].term[0] ||
                c->alt[j].weight <= 0 || c->alt[j].weight > 1)
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16) return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t qlen = nl ? (size_t)(nl - data) : size;
    char *text = malloc(qlen + 1);
    size_t blen = nl ? size - qlen - 1 : 0;
    char *body = malloc(blen + 1);
    if (!text || !body) abort();
    memcpy(text, data, qlen);
    text[qlen] = '\0';
    memcpy(body, nl ? nl + 1 : data, blen);
    body[blen] = '\0';

    check_normalize(text, qlen);
    memset(&q, 0, sizeof q);
    if (search_query_build(text, data[0] & 1, &syn, &q) == 0) {
        check_query(&q);
        if (q.n >= 2) (void)search_edit_distance(q.c[0].word, q.c[1].word, 2);
        buf terms, snip;
        buf_init(&terms, 1 << 20);
        buf_init(&snip, 8192);
        if (analyzer_index_text(body, strlen(body), &terms) == 0) {
            int start = search_best_window(&q, terms.data ? terms.data : "", SEARCH_SNIPPET_WORDS);
            if (start < 0) abort();
            /* analyzer_index_text refused invalid UTF-8, so the body is valid here */
            if (search_snippet(body, &q, start, &snip) == 0 && snip.len)
                need_utf8(snip.data, snip.len);
        }
        buf_fini(&terms);
        buf_fini(&snip);
    }
    free(text);
    free(body);
    return 0;
}
