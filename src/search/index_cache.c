/* index_cache.c — what one thread keeps of the index between searches (document attributes,
 * frequencies, posting lists, texts as term ids, other answers), keyed by the index's generation
 * (see index_cache.h). */
#include "search/index_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMO_MAX 65536 /* remembered frequencies and posting lists; past this, start again empty */

/* One remembered fact about a term: its df, or the documents holding it. */
typedef struct df_entry {
    char *key; /* what (MEMO_DF, MEMO_ANY, MEMO_TITLE), the kind, then the term; NULL: free slot */
    int64_t df;
    uint32_t *post; /* MEMO_ANY / MEMO_TITLE: indexes into doc, ascending */
    int npost;
    void *blob; /* other answers (icache_memo_put) */
    size_t nblob;
} df_entry;

enum { MEMO_DF = 'd', MEMO_ANY = 'a', MEMO_TITLE = 't' };

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

struct icache {
    store *db;
    int loaded;
    int64_t gen, writes;                 /* the state the contents belong to */
    int64_t docs, title_terms, body_terms; /* search_stats as read */
    rank_stats stats;
    icache_doc *doc;
    int ndoc;
    int32_t *scratch; /* ndoc entries, all zero between searches (icache_scratch) */
    int32_t *by_id; /* index into doc + 1 by id (dense ids), or NULL and then: */
    size_t nby_id;
    int32_t *slot; /* open addressing: index into doc + 1, 0 when free */
    size_t nslot;  /* a power of two, at least twice ndoc */
    df_entry *df;
    size_t ndf, dfcap; /* dfcap: a power of two (or 0) */
    /* texts: text[i] is doc[i]'s {title terms, body terms, ids…}, NULL until read */
    uint32_t **text;
    rank_term *term; /* the dictionary: id → term (bytes in the arena) */
    uint32_t nterm, termcap;
    uint32_t *tslot; /* open addressing by hash: id + 1, 0 when free */
    size_t ntslot;
    arena_block *arena;
    size_t text_bytes, post_bytes;
};

static _Atomic int64_t writes; /* index writes made by this process */
static __thread icache *mine;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void df_clear(icache *c)
{
    for (size_t i = 0; i < c->dfcap; i++) {
        free(c->df[i].key);
        free(c->df[i].post);
        free(c->df[i].blob);
    }
    free(c->df);
    c->df = NULL;
    c->ndf = c->dfcap = 0;
    c->post_bytes = 0;
}

static void texts_clear(icache *c)
{
    for (int i = 0; c->text && i < c->ndoc; i++) free(c->text[i]);
    free(c->text);
    free(c->term);
    free(c->tslot);
    while (c->arena) {
        arena_block *next = c->arena->next;
        free(c->arena);
        c->arena = next;
    }
    c->text = NULL;
    c->term = NULL;
    c->tslot = NULL;
    c->nterm = c->termcap = 0;
    c->ntslot = 0;
    c->text_bytes = 0;
}

static void clear(icache *c)
{
    texts_clear(c);
    df_clear(c);
    free(c->doc);
    free(c->slot);
    free(c->by_id);
    free(c->scratch);
    c->scratch = NULL;
    c->doc = NULL;
    c->slot = NULL;
    c->by_id = NULL;
    c->nby_id = 0;
    c->ndoc = 0;
    c->nslot = 0;
    c->loaded = 0;
}

static void cache_free(void *p)
{
    icache *c = p;
    if (!c) return;
    clear(c);
    free(c);
}

static void make_key(void)
{
    pthread_key_create(&cache_key, cache_free);
}

void icache_invalidate(void)
{
    atomic_fetch_add(&writes, 1);
}

static size_t id_hash(int64_t id, size_t nslot)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 17) & (nslot - 1);
}

const icache_doc *icache_doc_find(const icache *c, int64_t id)
{
    if (c->by_id) {
        if (id < 0 || (uint64_t)id >= c->nby_id) return NULL;
        int32_t s = c->by_id[id];
        return s ? &c->doc[s - 1] : NULL;
    }
    if (!c->nslot) return NULL;
    for (size_t h = id_hash(id, c->nslot);; h = (h + 1) & (c->nslot - 1)) {
        int32_t s = c->slot[h];
        if (!s) return NULL;
        if (c->doc[s - 1].id == id) return &c->doc[s - 1];
    }
}

/* Ids are usually dense (1…n, a few gaps from deletions): then an array indexed by id, else a
 * hash table. */
static int index_docs(icache *c)
{
    int64_t max = 0;
    for (int i = 0; i < c->ndoc; i++)
        if (c->doc[i].id > max) max = c->doc[i].id;
    if (max < 4 * (int64_t)c->ndoc + 1024) {
        if (!(c->by_id = calloc((size_t)max + 1, sizeof *c->by_id))) return SN_EINTERNAL;
        c->nby_id = (size_t)max + 1;
        for (int i = 0; i < c->ndoc; i++)
            if (c->doc[i].id >= 0) c->by_id[c->doc[i].id] = i + 1;
        return 0;
    }
    size_t n = 64;
    while (n < 2 * (size_t)c->ndoc) n *= 2;
    if (!(c->slot = calloc(n, sizeof *c->slot))) return SN_EINTERNAL;
    c->nslot = n;
    for (int i = 0; i < c->ndoc; i++) {
        size_t h = id_hash(c->doc[i].id, n);
        while (c->slot[h]) h = (h + 1) & (n - 1);
        c->slot[h] = i + 1;
    }
    return 0;
}

static void read_doc(store_stmt *st, icache_doc *d)
{
    d->id = store_col_int(st, 0);
    d->ref_id = store_col_int(st, 1);
    d->version = (int)store_col_int(st, 2);
    snprintf(d->lang, sizeof d->lang, "%s", store_col_text(st, 3));
    d->group_id = store_col_int(st, 4);
    d->is_public = store_col_int(st, 5) != 0;
    d->valid_from = store_col_int(st, 6);
    d->valid_to = store_col_is_null(st, 7) ? 0 : store_col_int(st, 7);
    d->title_len = (int)store_col_int(st, 8);
    d->body_len = (int)store_col_int(st, 9);
}

static int load_docs(icache *c, store *db)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT id, ref_id, version, lang, group_id, is_public, valid_from, "
                               "valid_to, title_len, body_len FROM search_docs", &st);
    if (rc < 0) return rc;
    int cap = c->docs > 0 && c->docs < (1 << 24) ? (int)c->docs + 16 : 64;
    c->doc = malloc((size_t)cap * sizeof *c->doc);
    rc = c->doc ? 0 : SN_EINTERNAL;
    while (rc == 0 && (rc = store_step(st)) == STORE_ROW) {
        if (c->ndoc == cap) {
            icache_doc *g = realloc(c->doc, (size_t)cap * 2 * sizeof *g);
            if (!g) {
                rc = SN_EINTERNAL;
                break;
            }
            c->doc = g;
            cap *= 2;
        }
        read_doc(st, &c->doc[c->ndoc++]);
        rc = 0;
    }
    store_finish(st);
    if (rc < 0) return rc;
    return index_docs(c);
}

static int read_stats(store *db, icache *c, int64_t *gen)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT docs, title_terms, body_terms, gen FROM search_stats WHERE id = 1", &st);
    if (rc < 0) return rc;
    rc = store_step(st);
    c->docs = rc == STORE_ROW ? store_col_int(st, 0) : 0;
    c->title_terms = rc == STORE_ROW ? store_col_int(st, 1) : 0;
    c->body_terms = rc == STORE_ROW ? store_col_int(st, 2) : 0;
    *gen = rc == STORE_ROW ? store_col_int(st, 3) : 0;
    store_finish(st);
    return rc < 0 ? rc : 0;
}

int icache_get(store *db, rank_stats *s, icache **out)
{
    pthread_once(&cache_once, make_key);
    if (!mine) {
        if (!(mine = calloc(1, sizeof *mine))) return SN_EINTERNAL;
        pthread_setspecific(cache_key, mine);
    }
    icache *c = mine;
    int64_t was_docs = c->docs, was_t = c->title_terms, was_b = c->body_terms, gen;
    int64_t w = atomic_load(&writes);
    int rc = read_stats(db, c, &gen);
    if (rc < 0) {
        clear(c);
        return rc;
    }
    double t = (double)c->title_terms, b = (double)c->body_terms, n = (double)c->docs;
    c->stats.docs = c->docs;
    c->stats.avg_title = c->docs > 0 && t > n ? t / n : 1;
    c->stats.avg_body = c->docs > 0 && b > n ? b / n : 1;
    *s = c->stats;
    *out = c;
    if (c->loaded && c->db == db && c->gen == gen && c->writes == w && was_docs == c->docs &&
        was_t == c->title_terms && was_b == c->body_terms) {
        if (c->text_bytes > ICACHE_TEXT_MAX) texts_clear(c);
        if (c->ndf >= MEMO_MAX || c->post_bytes > ICACHE_TEXT_MAX) df_clear(c);
        return 0;
    }
    clear(c);
    if ((rc = load_docs(c, db)) < 0) {
        clear(c);
        return rc;
    }
    c->db = db;
    c->gen = gen;
    c->writes = w;
    c->loaded = 1;
    return 0;
}

/* ---- document frequencies ----------------------------------------------------------------- */

static size_t str_hash(int what, int kind, const char *s)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(what * 31 + kind);
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

static df_entry *df_slot(const icache *c, int what, int kind, const char *term)
{
    for (size_t h = str_hash(what, kind, term) & (c->dfcap - 1);; h = (h + 1) & (c->dfcap - 1)) {
        df_entry *e = &c->df[h];
        if (!e->key || (e->key[0] == (char)what && e->key[1] == (char)('0' + kind) && !strcmp(e->key + 2, term)))
            return e;
    }
}

static const df_entry *memo_find(const icache *c, int what, int kind, const char *term)
{
    if (!c->dfcap) return NULL;
    const df_entry *e = df_slot(c, what, kind, term);
    return e->key ? e : NULL;
}

int icache_df_get(const icache *c, int kind, const char *term, int64_t *df)
{
    const df_entry *e = memo_find(c, MEMO_DF, kind, term);
    if (e) *df = e->df;
    return e != NULL;
}

static int df_grow(icache *c)
{
    size_t cap = c->dfcap ? c->dfcap * 2 : 1024;
    df_entry *old = c->df;
    size_t oldcap = c->dfcap;
    if (!(c->df = calloc(cap, sizeof *c->df))) {
        c->df = old;
        return -1;
    }
    c->dfcap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key) *df_slot(c, old[i].key[0], old[i].key[1] - '0', old[i].key + 2) = old[i];
    free(old);
    return 0;
}

/* The entry for (what, kind, term), added when new; NULL when out of memory. Never empties the
 * map (that happens in icache_get only), so entries found earlier in a search stay valid. */
static df_entry *memo_put(icache *c, int what, int kind, const char *term)
{
    if (2 * (c->ndf + 1) > c->dfcap && df_grow(c) < 0) return NULL;
    df_entry *e = df_slot(c, what, kind, term);
    if (!e->key) {
        size_t l = strlen(term);
        if (!(e->key = malloc(l + 3))) return NULL;
        e->key[0] = (char)what;
        e->key[1] = (char)('0' + kind);
        memcpy(e->key + 2, term, l + 1);
        c->ndf++;
    }
    return e;
}

void icache_df_put(icache *c, int kind, const char *term, int64_t df)
{
    df_entry *e = memo_put(c, MEMO_DF, kind, term);
    if (e) e->df = df;
}

int icache_memo_get(const icache *c, int what, const char *key, const void **data, size_t *len)
{
    const df_entry *e = memo_find(c, what, 0, key);
    if (!e) return 0;
    *data = e->blob;
    *len = e->nblob;
    return 1;
}

void icache_memo_put(icache *c, int what, const char *key, const void *data, size_t len)
{
    void *copy = malloc(len ? len : 1);
    df_entry *e = copy ? memo_put(c, what, 0, key) : NULL;
    if (!e) {
        free(copy);
        return;
    }
    memcpy(copy, data, len);
    free(e->blob);
    e->blob = copy;
    e->nblob = len;
    c->post_bytes += len + 64;
}

/* ---- posting lists ------------------------------------------------------------------------- */

int32_t *icache_scratch(icache *c)
{
    if (!c->scratch) c->scratch = calloc((size_t)(c->ndoc ? c->ndoc : 1), sizeof *c->scratch);
    return c->scratch;
}

const icache_doc *icache_doc_at(const icache *c, uint32_t i)
{
    return i < (uint32_t)c->ndoc ? &c->doc[i] : NULL;
}

int icache_postings_get(const icache *c, int kind, const char *term, int title_only, const uint32_t **idx,
                        int *n)
{
    const df_entry *e = memo_find(c, title_only ? MEMO_TITLE : MEMO_ANY, kind, term);
    if (!e) return 0;
    *idx = e->post;
    *n = e->npost;
    return 1;
}

struct collect {
    const icache *c;
    uint32_t *v;
    int n, cap, oom;
};

static int collect_one(void *arg, int64_t id)
{
    struct collect *k = arg;
    const icache_doc *d = icache_doc_find(k->c, id);
    if (!d) return 0; /* added after the view was taken */
    if (k->n == k->cap) {
        int cap = k->cap ? k->cap * 2 : 64;
        uint32_t *v = realloc(k->v, (size_t)cap * sizeof *v);
        if (!v) {
            k->oom = 1;
            return 1;
        }
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = (uint32_t)(d - k->c->doc);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int icache_postings_fill(icache *c, int kind, const char *term, int title_only,
                         int (*list)(void *arg, int (*fn)(void *, int64_t), void *fn_arg), void *arg,
                         const uint32_t **idx, int *n)
{
    struct collect k = {c, NULL, 0, 0, 0};
    int rc = list(arg, collect_one, &k);
    if (rc == 0 && k.oom) rc = SN_EINTERNAL;
    df_entry *e = rc == 0 ? memo_put(c, title_only ? MEMO_TITLE : MEMO_ANY, kind, term) : NULL;
    if (rc == 0 && !e) rc = SN_EINTERNAL;
    if (rc < 0) {
        free(k.v);
        return rc;
    }
    if (k.n > 1) qsort(k.v, (size_t)k.n, sizeof *k.v, cmp_u32);
    free(e->post);
    e->post = k.v;
    e->npost = k.n;
    c->post_bytes += (size_t)k.cap * sizeof *k.v + 64;
    *idx = e->post;
    *n = e->npost;
    return 0;
}

/* ---- texts ---------------------------------------------------------------------------------- */

static const char *arena_copy(icache *c, const char *s, size_t len)
{
    arena_block *b = c->arena;
    if (!b || b->cap - b->used < len) {
        size_t cap = len > 65536 ? len : 65536;
        if (!(b = malloc(sizeof *b + cap))) return NULL;
        b->next = c->arena;
        b->used = 0;
        b->cap = cap;
        c->arena = b;
        c->text_bytes += sizeof *b + cap;
    }
    char *p = b->data + b->used;
    memcpy(p, s, len);
    b->used += len;
    return p;
}

static int terms_grow(icache *c)
{
    uint32_t cap = c->termcap ? c->termcap * 2 : 4096;
    rank_term *t = realloc(c->term, (size_t)cap * sizeof *t);
    if (!t) return -1;
    c->term = t;
    c->termcap = cap;
    size_t nslot = (size_t)cap * 2;
    uint32_t *slot = calloc(nslot, sizeof *slot);
    if (!slot) return -1;
    for (uint32_t i = 0; i < c->nterm; i++) {
        size_t h = c->term[i].hash & (nslot - 1);
        while (slot[h]) h = (h + 1) & (nslot - 1);
        slot[h] = i + 1;
    }
    free(c->tslot);
    c->tslot = slot;
    c->ntslot = nslot;
    c->text_bytes += (size_t)(cap / 2) * (sizeof *t + 2 * sizeof *slot);
    return 0;
}

/* The id of a term, added to the dictionary when new; -1 when out of memory. */
static int64_t term_id(icache *c, const char *s, int len)
{
    unsigned hash = rank_hash(s, (size_t)len);
    if (c->ntslot) {
        for (size_t h = hash & (c->ntslot - 1);; h = (h + 1) & (c->ntslot - 1)) {
            uint32_t id = c->tslot[h];
            if (!id) break;
            const rank_term *t = &c->term[id - 1];
            if (t->hash == hash && t->len == len && !memcmp(t->p, s, (size_t)len)) return id - 1;
        }
    }
    if (c->nterm == c->termcap && terms_grow(c) < 0) return -1;
    const char *p = arena_copy(c, s, (size_t)len);
    if (!p) return -1;
    c->term[c->nterm] = (rank_term){p, len, hash};
    size_t h = hash & (c->ntslot - 1);
    while (c->tslot[h]) h = (h + 1) & (c->ntslot - 1);
    c->tslot[h] = c->nterm + 1;
    return c->nterm++;
}

/* Append the ids of analysed text s to ids; returns the count or -1. */
static int add_ids(icache *c, const char *s, uint32_t *ids)
{
    int n = 0;
    for (const char *p = s, *start = s;; p++) {
        if (*p != ' ' && *p != '\0') continue;
        if (p > start) {
            int64_t id = term_id(c, start, (int)(p - start));
            if (id < 0) return -1;
            ids[n++] = (uint32_t)id;
        }
        if (!*p) break;
        start = p + 1;
    }
    return n;
}

static int count_words(const char *s)
{
    int n = 1;
    for (; *s; s++) n += *s == ' ';
    return n;
}

static int load_text(icache *c, store *db, int i)
{
    store_stmt *st;
    int rc = store_prepare(db, "SELECT title_terms, body_terms FROM search_doc_text WHERE id = ?", &st);
    if (rc < 0) return rc;
    store_bind_int(st, 1, c->doc[i].id);
    rc = store_step(st);
    uint32_t *v = NULL;
    if (rc == STORE_ROW) {
        const char *tt = store_col_text(st, 0), *bt = store_col_text(st, 1);
        size_t cap = 2 + (size_t)count_words(tt) + (size_t)count_words(bt);
        int nt = -1, nb = -1;
        if ((v = malloc(cap * sizeof *v)) != NULL && (nt = add_ids(c, tt, v + 2)) >= 0)
            nb = add_ids(c, bt, v + 2 + nt);
        if (v && nb >= 0) {
            v[0] = (uint32_t)nt;
            v[1] = (uint32_t)nb;
            c->text_bytes += cap * sizeof *v;
        } else {
            free(v);
            v = NULL;
        }
    }
    store_finish(st);
    if (rc != STORE_ROW) return rc < 0 ? rc : SN_ENOTFOUND;
    if (!v) return SN_EINTERNAL;
    c->text[i] = v;
    return 0;
}

int icache_text(icache *c, store *db, const icache_doc *d, rank_field *title, rank_field *body)
{
    int i = (int)(d - c->doc), rc;
    *title = *body = (rank_field){NULL, NULL, 0};
    if (!c->text && !(c->text = calloc((size_t)(c->ndoc ? c->ndoc : 1), sizeof *c->text))) return SN_EINTERNAL;
    if (!c->text[i] && (rc = load_text(c, db, i)) < 0) return rc;
    const uint32_t *v = c->text[i];
    *title = (rank_field){c->term, v + 2, (int)v[0]};
    *body = (rank_field){c->term, v + 2 + v[0], (int)v[1]};
    return 0;
}

const rank_term *icache_dict(const icache *c)
{
    return c->term;
}
