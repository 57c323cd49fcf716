/* query.c — from the user's text to clauses of alternatives (see query.h). */
#include "search/query.h"
#include "search/rank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SYN_WEIGHT 0.9
#define PREFIX_WEIGHT 0.8
#define PREFIX_MIN_CHARS 2

/* ---- synonyms ------------------------------------------------------------------------------ */

void search_synonyms_init(search_synonyms *s)
{
    s->n = s->cap = 0;
    s->g = NULL;
}

void search_synonyms_fini(search_synonyms *s)
{
    for (int i = 0; i < s->n; i++) {
        for (int j = 0; j < s->g[i].n; j++) free(s->g[i].members[j]);
        free(s->g[i].members);
    }
    free(s->g);
    search_synonyms_init(s);
}

/* The analysed form of a raw text: its terms separated by one space; NULL when it has none. */
static char *analysed(const char *raw)
{
    buf b;
    buf_init(&b, SEARCH_MAX_TERM - 1);
    if (analyzer_index_text(raw, strlen(raw), &b) < 0 || b.len == 0) {
        buf_fini(&b);
        return NULL;
    }
    return buf_steal(&b);
}

int search_synonyms_add(search_synonyms *s, const char *const *members, int n)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        struct search_syn_group *g = realloc(s->g, (size_t)cap * sizeof *g);
        if (!g) return -1;
        s->g = g;
        s->cap = cap;
    }
    struct search_syn_group *g = &s->g[s->n];
    g->n = 0;
    if (!(g->members = calloc((size_t)(n > 0 ? n : 1), sizeof *g->members))) return -1;
    for (int i = 0; i < n; i++) {
        char *m = analysed(members[i]);
        if (m) g->members[g->n++] = m;
    }
    s->n++;
    return 0;
}

/* ---- clauses ------------------------------------------------------------------------------- */

void search_clause_add(search_clause *c, enum search_alt_kind kind, const char *term, double w)
{
    if (!*term || strlen(term) >= SEARCH_MAX_TERM) return;
    for (int i = 0; i < c->nalt; i++) {
        if (c->alt[i].kind == kind && !strcmp(c->alt[i].term, term)) {
            if (w > c->alt[i].weight) c->alt[i].weight = w;
            return;
        }
    }
    if (c->nalt == SEARCH_MAX_ALTS) return;
    search_alt *a = &c->alt[c->nalt++];
    a->kind = kind;
    snprintf(a->term, sizeof a->term, "%s", term);
    a->len = (int)strlen(a->term);
    a->hash = rank_hash(a->term, (size_t)a->len);
    a->weight = w;
    a->df = 0;
}

/* Whether member (terms separated by spaces) equals the terms t[from..] one by one; *len gets
 * how many terms it spans. */
static int member_at(const char *member, const analyzer_terms *t, int from, int *len)
{
    const char *p = member;
    int k = from;
    while (*p) {
        if (k >= t->n) return 0;
        size_t tl = strlen(t->v[k].term);
        if (strncmp(p, t->v[k].term, tl) != 0 || (p[tl] != ' ' && p[tl] != '\0')) return 0;
        p += tl;
        if (*p == ' ') p++;
        k++;
    }
    *len = k - from;
    return k > from;
}

static enum search_alt_kind kind_of_member(const char *m)
{
    return strchr(m, ' ') ? ALT_PHRASE : ALT_TERM;
}

/* The synonym group member that matches the most terms at t[from..]; *len its span. */
static const struct search_syn_group *synonym_at(const search_synonyms *syn, const analyzer_terms *t,
                                                 int from, int *len, int *which)
{
    const struct search_syn_group *best = NULL;
    *len = 0;
    for (int g = 0; syn && g < syn->n; g++) {
        for (int m = 0; m < syn->g[g].n; m++) {
            int l;
            if (member_at(syn->g[g].members[m], t, from, &l) && l > *len) {
                best = &syn->g[g];
                *len = l;
                *which = m;
            }
        }
    }
    return best;
}

/* One clause for the terms t[from..from+span): the words themselves (a phrase when several)
 * and the other members of a synonym group that matched them. */
static void clause_for(search_clause *c, const analyzer_terms *t, int from, int span,
                       const struct search_syn_group *g, int member)
{
    memset(c, 0, sizeof *c);
    snprintf(c->word, sizeof c->word, "%s", t->v[from].word);
    if (span == 1) {
        search_clause_add(c, ALT_TERM, t->v[from].term, 1.0);
    } else {
        char phrase[SEARCH_MAX_TERM] = "";
        size_t n = 0;
        for (int k = from; k < from + span; k++)
            n += (size_t)snprintf(phrase + n, n < sizeof phrase ? sizeof phrase - n : 0, "%s%s",
                                  k > from ? " " : "", t->v[k].term);
        if (n < sizeof phrase) search_clause_add(c, ALT_PHRASE, phrase, 1.0);
    }
    for (int m = 0; g && m < g->n; m++)
        if (m != member) search_clause_add(c, kind_of_member(g->members[m]), g->members[m], SYN_WEIGHT);
}

/* The word still being typed: also any term starting with it (Arabic prefixes stripped). */
static void add_prefix(search_clause *c, const analyzer_term *last)
{
    char p[SEARCH_MAX_TERM];
    size_t n = analyzer_strip_prefixes(last->word, strlen(last->word), p, sizeof p);
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80) chars++;
    if (chars >= PREFIX_MIN_CHARS) search_clause_add(c, ALT_PREFIX, p, PREFIX_WEIGHT);
}

int search_query_build(const char *text, int prefix_last, const search_synonyms *syn,
                       search_query *q)
{
    analyzer_terms t;
    analyzer_terms_init(&t);
    size_t len = strlen(text);
    if (len > SEARCH_MAX_QUERY) len = SEARCH_MAX_QUERY;
    while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--; /* whole characters */
    q->n = 0;
    if (analyzer_run(text, len, &t) < 0) {
        analyzer_terms_fini(&t);
        return -1;
    }
    int content = 0;
    for (int i = 0; i < t.n; i++)
        if (!t.v[i].stop || (prefix_last && i == t.n - 1)) content++;
    for (int i = 0; i < t.n && q->n < SEARCH_MAX_CLAUSES;) {
        int span, member = -1;
        const struct search_syn_group *g = synonym_at(syn, &t, i, &span, &member);
        if (!g) span = 1;
        int last = i + span == t.n;
        int keep = g || content == 0 || !t.v[i].stop || (prefix_last && last);
        if (keep) {
            search_clause *c = &q->c[q->n++];
            clause_for(c, &t, i, span, g, member);
            if (prefix_last && last && span == 1) add_prefix(c, &t.v[i]);
        }
        i += span;
    }
    analyzer_terms_fini(&t);
    return 0;
}

/* ---- edit distance --------------------------------------------------------------------------- */

#define ED_MAX_CHARS 64

/* Decode up to ED_MAX_CHARS code points; -1 when longer. */
static int decode(const char *s, unsigned *out)
{
    int n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (n == ED_MAX_CHARS) return -1;
        unsigned c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (more) c &= 0x3Fu >> more;
        while (more-- > 0 && (*p & 0xC0) == 0x80) c = c << 6 | (*p++ & 0x3Fu);
        out[n++] = c;
    }
    return n;
}

int search_edit_distance(const char *a, const char *b, int max)
{
    unsigned x[ED_MAX_CHARS], y[ED_MAX_CHARS];
    int n = decode(a, x), m = decode(b, y);
    if (n < 0 || m < 0 || abs(n - m) > max) return max + 1;
    int prev2[ED_MAX_CHARS + 1], prev[ED_MAX_CHARS + 1], cur[ED_MAX_CHARS + 1];
    for (int j = 0; j <= m; j++) prev[j] = j;
    for (int i = 1; i <= n; i++) {
        cur[0] = i;
        int row_min = cur[0];
        for (int j = 1; j <= m; j++) {
            int cost = x[i - 1] != y[j - 1];
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] && prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < row_min) row_min = v;
        }
        if (row_min > max) return max + 1;
        memcpy(prev2, prev, sizeof prev);
        memcpy(prev, cur, sizeof cur);
    }
    return prev[m] > max ? max + 1 : prev[m];
}
