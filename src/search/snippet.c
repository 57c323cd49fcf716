/* snippet.c — the part of a document shown under a hit: the window of the body richest in the
 * query's words, HTML-escaped, with each matching word in <mark>…</mark>.
 *
 * The window is chosen on the analysed terms (cheap: no normalising), then found in the plain
 * body by counting words the way text_normalize splits them (letters, digits and marks make
 * words; format characters do not break them; a word of marks, format characters or tatweel
 * alone gives no term). A word shown is normalised and stemmed, to decide whether to mark it,
 * only when its analysed term matches, so a long body costs a scan, not an analysis. */
#include "search/search.h"

#include "search/normalize.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

/* Whether a term (hash: rank_hash of it) matches any alternative of q (a phrase's terms count
 * one by one): the clause's number + 1, or 0. */
static int term_hits(const search_query *q, const char *t, size_t len, unsigned hash)
{
    for (int i = 0; i < q->n; i++)
        for (int a = 0; a < q->c[i].nalt; a++) {
            const search_alt *alt = &q->c[i].alt[a];
            if (alt->kind == ALT_TERM) {
                if (alt->hash == hash && (size_t)alt->len == len && !memcmp(alt->term, t, len)) return i + 1;
                continue;
            }
            if (alt->kind == ALT_PREFIX) {
                if (len >= (size_t)alt->len && !memcmp(t, alt->term, (size_t)alt->len)) return i + 1;
                continue;
            }
            for (const char *p = alt->term; *p;) {
                const char *sp = strchr(p, ' ');
                size_t l = sp ? (size_t)(sp - p) : strlen(p);
                if (l == len && !memcmp(p, t, l)) return i + 1;
                p += l + (sp != NULL);
            }
        }
    return 0;
}

int search_best_window(const search_query *q, const char *terms, int width)
{
    int n;
    rank_term *t = rank_split(terms, &n);
    rank_field f = {t, NULL, n};
    int best = search_best_window_terms(q, &f, width);
    free(t);
    return best;
}

int search_best_window_terms(const search_query *q, const rank_field *f, int width)
{
    int best = 0, best_score = 0, n = f->n;
    int clause_at[4096];
    if (n > 4096) n = 4096;
    for (int i = 0; i < n; i++) {
        const rank_term *t = rank_field_term(f, i);
        clause_at[i] = term_hits(q, t->p, (size_t)t->len, t->hash);
    }
    for (int i = 0; i < n; i++) {
        if (!clause_at[i]) continue;
        unsigned seen = 0;
        int hits = 0;
        for (int j = i; j < n && j < i + width; j++)
            if (clause_at[j]) {
                seen |= 1u << ((clause_at[j] - 1) & 31);
                hits++;
            }
        int score = __builtin_popcount(seen) * 100 + hits;
        if (score > best_score) {
            best_score = score;
            best = i;
        }
    }
    return best > 3 ? best - 3 : 0;
}

/* ---- walking the plain text ----------------------------------------------------------------- */

static int is_word_char(UChar32 c)
{
    if (c < 0x80) return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (c >= 0x0621 && c <= 0x063A) return 1; /* Arabic letters: most of a body, no ICU call */
    uint32_t m = (uint32_t)U_GET_GC_MASK(c);
    return (m & (U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK | U_GC_CF_MASK)) != 0;
}

/* Whether c survives normalisation (marks, format characters and tatweel do not): a word
 * without one gives no analysed term. */
static int is_lasting_char(UChar32 c)
{
    if (c < 0x80 || (c >= 0x0621 && c <= 0x063A)) return is_word_char(c);
    uint32_t m = (uint32_t)U_GET_GC_MASK(c);
    return (m & (U_GC_L_MASK | U_GC_N_MASK)) != 0 && c != 0x0640;
}

/* The next word at or after *i: [*ws, *we); *lasting: whether it gives an analysed term.
 * Returns 0 at the end. */
static int next_word(const char *s, int32_t len, int32_t *i, int32_t *ws, int32_t *we, int *lasting)
{
    UChar32 c;
    int32_t at;
    for (;;) {
        if (*i >= len) return 0;
        at = *i;
        U8_NEXT(s, *i, len, c);
        if (c >= 0 && is_word_char(c)) break;
    }
    *ws = at;
    *lasting = is_lasting_char(c);
    while (*i < len) {
        at = *i;
        U8_NEXT(s, *i, len, c);
        if (c < 0 || !is_word_char(c)) {
            *i = at;
            break;
        }
        *lasting |= is_lasting_char(c);
    }
    *we = *i;
    return 1;
}

static int put_escaped(buf *out, const char *s, size_t len)
{
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;"
                        : s[i] == '"' ? "&quot;" : s[i] == '\'' ? "&#39;" : NULL;
        if (!rep) continue;
        if (buf_append(out, s + from, i - from) < 0 || buf_puts(out, rep) < 0) return -1;
        from = i + 1;
    }
    return buf_append(out, s + from, len - from);
}

/* Whether the plain word matches q once normalised and stemmed. */
static int word_hits(const search_query *q, const char *w, size_t len)
{
    char stem[ANALYZER_MAX_WORD + 1];
    buf norm;
    buf_init(&norm, 1024);
    if (len > 200 || text_normalize(w, len, &norm) < 0 || !norm.data) {
        buf_fini(&norm);
        return 0;
    }
    int hit = 0;
    for (const char *p = norm.data; !hit && *p;) {
        const char *sp = strchr(p, ' ');
        size_t l = sp ? (size_t)(sp - p) : strlen(p);
        size_t sl = analyzer_stem(p, l, stem, sizeof stem);
        hit = term_hits(q, stem, sl, rank_hash(stem, sl)) != 0;
        p += l + (sp != NULL);
    }
    buf_fini(&norm);
    return hit;
}

int search_snippet(const char *body, const search_query *q, int start, buf *out)
{
    return search_snippet_terms(body, q, NULL, start, out);
}

/* Whether plain word number `word` (from the start of the body) matches q. The analysed term
 * at the same position, when given, answers "no" cheaply for most words: analysis keeps one
 * term per word, in order. A "yes" is confirmed on the word itself, so a word is never marked
 * wrongly even where the two were to drift apart. */
static int word_matches(const search_query *q, const rank_field *terms, int word, const char *w, size_t len)
{
    const rank_term *t = terms && word < terms->n ? rank_field_term(terms, word) : NULL;
    if (t && !term_hits(q, t->p, (size_t)t->len, t->hash)) return 0;
    return word_hits(q, w, len);
}

int search_snippet_terms(const char *body, const search_query *q, const rank_field *terms, int start,
                         buf *out)
{
    int32_t len = (int32_t)strnlen(body, (size_t)1 << 30), i = 0, ws, we, prev_end = -1;
    int term = 0, shown = 0, lasting;
    while (next_word(body, len, &i, &ws, &we, &lasting)) {
        int at = term; /* the analysed term of this word, when lasting */
        term += lasting;
        if (at < start) continue;
        if (shown == SEARCH_SNIPPET_WORDS) {
            return buf_puts(out, " …");
        }
        if (shown == 0 && start > 0 && buf_puts(out, "… ") < 0) return -1;
        if (prev_end >= 0) {
            /* The separator as it is, unless it holds a line break or runs long: then a space. */
            int32_t gap = ws - prev_end;
            int plain = gap <= 4 && !memchr(body + prev_end, '\n', (size_t)gap);
            if ((plain ? put_escaped(out, body + prev_end, (size_t)gap) : buf_puts(out, " ")) < 0) return -1;
        }
        int hit = lasting && word_matches(q, terms, at, body + ws, (size_t)(we - ws));
        if ((hit && buf_puts(out, "<mark>") < 0) || put_escaped(out, body + ws, (size_t)(we - ws)) < 0 ||
            (hit && buf_puts(out, "</mark>") < 0))
            return -1;
        prev_end = we;
        shown++;
    }
    return 0;
}
