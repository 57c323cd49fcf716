/* analyzer.c — words, stems and the stop list (see analyzer.h for the rules). */
#include "search/analyzer.h"

#include "search/normalize.h"

#include <libstemmer.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static enum analyzer_arabic arabic_stemmer = AN_ARABIC_LIGHT;

void analyzer_set_arabic(enum analyzer_arabic which)
{
    arabic_stemmer = which;
}

enum analyzer_arabic analyzer_arabic_in_use(void)
{
    return arabic_stemmer;
}

/* ---- characters ------------------------------------------------------------------------------ */

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

/* The longest prefix of s[0..len) of at most `max` bytes that ends at a character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max) return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    return max;
}

enum analyzer_script analyzer_script_of(const char *word, size_t len)
{
    int latin = 0, digit = 0, other = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)word[i];
        if (c == 0xD8 || c == 0xD9 || c == 0xDA || c == 0xDB) return AN_SCRIPT_ARABIC;
        if (c >= 'a' && c <= 'z') latin = 1;
        else if (c >= '0' && c <= '9') digit = 1;
        else if ((c & 0xC0) != 0x80) other = 1;
    }
    if (other) return AN_SCRIPT_OTHER;
    if (digit) return AN_SCRIPT_DIGIT;
    return latin ? AN_SCRIPT_LATIN : AN_SCRIPT_OTHER;
}

/* ---- Arabic light stemming ------------------------------------------------------------------- */

#define AR_MIN_WA 3   /* letters that must remain after a leading و */
#define AR_MIN_ARTICLE 2
#define AR_MIN_STEM 2 /* a suffix is removed only when more than this many letters remain */

static const char *const ar_articles[] = {"وال", "بال", "كال", "فال", "لل", "ال"};
static const char *const ar_suffixes[] = {"ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي"};

static int has_prefix(const char *w, size_t len, const char *p, size_t *plen)
{
    *plen = strlen(p);
    return len > *plen && !memcmp(w, p, *plen);
}

static int has_suffix(const char *w, size_t len, const char *s, size_t *slen)
{
    *slen = strlen(s);
    return len > *slen && !memcmp(w + len - *slen, s, *slen);
}

/* Rules 1 and 2 of analyzer.h: advance *w / shrink *len past و and one article. */
static void ar_strip_prefixes(const char **w, size_t *len)
{
    size_t pl;
    if (has_prefix(*w, *len, "و", &pl) && utf8_chars(*w + pl, *len - pl) >= AR_MIN_WA) {
        /* "وال…" is و + article; a word like "ولد" keeps its و (fewer than 3 letters left). */
        *w += pl;
        *len -= pl;
    }
    for (size_t i = 0; i < sizeof ar_articles / sizeof ar_articles[0]; i++) {
        if (has_prefix(*w, *len, ar_articles[i], &pl) &&
            utf8_chars(*w + pl, *len - pl) >= AR_MIN_ARTICLE) {
            *w += pl;
            *len -= pl;
            break;
        }
    }
}

/* Rule 3: the suffixes, each at most once, in order. */
static void ar_strip_suffixes(const char *w, size_t *len)
{
    size_t sl;
    for (size_t i = 0; i < sizeof ar_suffixes / sizeof ar_suffixes[0]; i++)
        if (has_suffix(w, *len, ar_suffixes[i], &sl) && utf8_chars(w, *len - sl) > AR_MIN_STEM)
            *len -= sl;
}

size_t analyzer_strip_prefixes(const char *word, size_t len, char *dst, size_t cap)
{
    const char *w = word;
    if (analyzer_script_of(word, len) == AN_SCRIPT_ARABIC) ar_strip_prefixes(&w, &len);
    len = utf8_cut(w, len, cap - 1);
    memcpy(dst, w, len);
    dst[len] = '\0';
    return len;
}

/* ---- Snowball, one stemmer per thread and language -------------------------------------------- */

enum { SB_ENGLISH, SB_ARABIC, SB_COUNT };
static const char *const sb_names[SB_COUNT] = {"english", "arabic"};

static pthread_key_t sb_key;
static pthread_once_t sb_once = PTHREAD_ONCE_INIT;

static void sb_free(void *p)
{
    struct sb_stemmer **s = p;
    for (int i = 0; i < SB_COUNT; i++)
        if (s[i]) sb_stemmer_delete(s[i]);
    free(s);
}

static void sb_make_key(void)
{
    pthread_key_create(&sb_key, sb_free);
}

static struct sb_stemmer *sb_get(int lang)
{
    pthread_once(&sb_once, sb_make_key);
    struct sb_stemmer **s = pthread_getspecific(sb_key);
    if (!s) {
        if (!(s = calloc(SB_COUNT, sizeof *s))) return NULL;
        pthread_setspecific(sb_key, s);
    }
    if (!s[lang]) s[lang] = sb_stemmer_new(sb_names[lang], "UTF_8");
    return s[lang];
}

/* Snowball's stem of w into dst; the word itself when the stemmer cannot be had. */
static size_t sb_stem(int lang, const char *w, size_t len, char *dst, size_t cap)
{
    struct sb_stemmer *s = sb_get(lang);
    const sb_symbol *out = s ? sb_stemmer_stem(s, (const sb_symbol *)w, (int)len) : NULL;
    if (out) {
        w = (const char *)out;
        len = (size_t)sb_stemmer_length(s);
    }
    len = utf8_cut(w, len, cap - 1);
    memcpy(dst, w, len);
    dst[len] = '\0';
    return len;
}

/* ---- stems --------------------------------------------------------------------------------- */

size_t analyzer_stem(const char *word, size_t len, char *dst, size_t cap)
{
    const char *w = word;
    switch (analyzer_script_of(word, len)) {
    case AN_SCRIPT_ARABIC:
        if (arabic_stemmer == AN_ARABIC_SNOWBALL) return sb_stem(SB_ARABIC, word, len, dst, cap);
        if (arabic_stemmer == AN_ARABIC_LIGHT) {
            ar_strip_prefixes(&w, &len);
            ar_strip_suffixes(w, &len);
        }
        break;
    case AN_SCRIPT_LATIN:
        return sb_stem(SB_ENGLISH, word, len, dst, cap);
    default:
        break;
    }
    len = utf8_cut(w, len, cap - 1);
    memcpy(dst, w, len);
    dst[len] = '\0';
    return len;
}

/* ---- the stop list --------------------------------------------------------------------------- */

/* Normalised forms (أ→ا, ى→ي, ة→ه), sorted by strcmp for bsearch. Question words, pronouns,
 * prepositions, particles and auxiliaries that carry no topic. Not here on purpose: علي (also
 * the name Ali), words of the service domain. */
static const char *const stop_words[] = {
    "a", "about", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "how",
    "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or",
    "our", "so", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "to", "was", "we", "were", "what", "when", "where", "which", "who", "whom", "why",
    "will", "with", "would", "you", "your",
    "اذا", "الا", "التي", "الذي", "الذين", "الي", "اللتان", "اللذان", "ام", "اما", "او", "اي",
    "ايضا", "اين", "ان", "انا", "انت", "انه", "انها", "بعد", "بعض", "بل", "بها", "به", "بين",
    "تلك", "تم", "ثم", "حتي", "حول", "حين", "ذلك", "عن", "عند", "عندما", "غير", "في", "فيه",
    "فيها", "قبل", "قد", "كان", "كانت", "كل", "كم", "كما", "كيف", "لا", "لقد", "لكن", "لم",
    "لماذا", "لن", "له", "لها", "ما", "ماذا", "متي", "مع", "من", "منذ", "منه", "منها", "نحن",
    "هذا", "هذه", "هل", "هم", "هو", "هي", "هناك", "و", "وهو", "وهي", "يكون", "تكون",
};

static int stop_cmp(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

static pthread_once_t stop_once = PTHREAD_ONCE_INIT;
static const char *stop_sorted[sizeof stop_words / sizeof stop_words[0]];

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void stop_sort(void)
{
    memcpy(stop_sorted, stop_words, sizeof stop_words);
    qsort(stop_sorted, sizeof stop_sorted / sizeof stop_sorted[0], sizeof stop_sorted[0], str_ptr_cmp);
}

static int stop_lookup(const char *w, size_t len)
{
    char key[ANALYZER_MAX_WORD + 1];
    if (len == 0 || len > ANALYZER_MAX_WORD) return 0;
    memcpy(key, w, len);
    key[len] = '\0';
    return bsearch(key, stop_sorted, sizeof stop_sorted / sizeof stop_sorted[0],
                   sizeof stop_sorted[0], stop_cmp) != NULL;
}

int analyzer_is_stop(const char *word, size_t len)
{
    pthread_once(&stop_once, stop_sort);
    if (stop_lookup(word, len)) return 1;
    size_t wl = strlen("و");
    return len > wl && !memcmp(word, "و", wl) && stop_lookup(word + wl, len - wl);
}

/* ---- texts ----------------------------------------------------------------------------------- */

void analyzer_terms_init(analyzer_terms *t)
{
    t->v = NULL;
    t->n = t->cap = 0;
    buf_init(&t->text, (size_t)1 << 30);
}

void analyzer_terms_fini(analyzer_terms *t)
{
    free(t->v);
    buf_fini(&t->text);
    t->v = NULL;
    t->n = t->cap = 0;
}

/* Call fn for each word of normalised text (one space between words). Stops at the first
 * non-zero return and gives it back. */
static int each_word(const char *s, size_t len, int (*fn)(void *, const char *, size_t, int),
                     void *arg)
{
    int pos = 0;
    size_t i = 0;
    while (i < len && pos < ANALYZER_MAX_TERMS) {
        const char *sp = memchr(s + i, ' ', len - i);
        size_t wl = sp ? (size_t)(sp - (s + i)) : len - i;
        if (wl > 0) {
            int rc = fn(arg, s + i, utf8_cut(s + i, wl, ANALYZER_MAX_WORD), pos++);
            if (rc) return rc;
        }
        i += wl + 1;
    }
    return 0;
}

static int normalise(const char *text, size_t len, buf *norm)
{
    buf_init(norm, (size_t)1 << 30);
    if (text_normalize(text, len, norm) < 0) {
        buf_fini(norm);
        return -1;
    }
    return 0;
}

/* One word into the terms. Strings are kept as offsets while the buffer may move, and turned
 * into pointers at the end of analyzer_run. */
struct run_ctx {
    analyzer_terms *out;
    size_t *offsets; /* 2 per term of out: word, term */
    int ocap;        /* terms that fit in offsets */
    int base_pos;
};

static int run_grow(struct run_ctx *c)
{
    analyzer_terms *t = c->out;
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 32;
        analyzer_term *v = realloc(t->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        t->v = v;
        t->cap = cap;
    }
    if (t->n == c->ocap) {
        int cap = c->ocap ? c->ocap * 2 : 32;
        size_t *o = realloc(c->offsets, (size_t)cap * 2 * sizeof *o);
        if (!o) return -1;
        c->offsets = o;
        c->ocap = cap;
    }
    return 0;
}

static int run_word(void *arg, const char *w, size_t wl, int pos)
{
    struct run_ctx *c = arg;
    analyzer_terms *t = c->out;
    if (run_grow(c) < 0) return -1;
    char stem[ANALYZER_MAX_WORD + 1];
    size_t sl = analyzer_stem(w, wl, stem, sizeof stem);
    size_t word_at = t->text.len;
    if (buf_append(&t->text, w, wl) < 0 || buf_append(&t->text, "", 1) < 0) return -1;
    size_t term_at = t->text.len;
    if (buf_append(&t->text, stem, sl) < 0 || buf_append(&t->text, "", 1) < 0) return -1;
    c->offsets[2 * t->n] = word_at;
    c->offsets[2 * t->n + 1] = term_at;
    t->v[t->n++] = (analyzer_term){NULL, NULL, c->base_pos + pos, analyzer_script_of(w, wl),
                                   analyzer_is_stop(w, wl)};
    return 0;
}

int analyzer_run(const char *text, size_t len, analyzer_terms *out)
{
    buf norm;
    if (normalise(text, len, &norm) < 0) return -1;
    struct run_ctx c = {out, NULL, 0, out->n > 0 ? out->v[out->n - 1].pos + 1 : 0};
    int rc = 0;
    /* Terms of earlier calls hold pointers; turn them into offsets too. */
    while (rc == 0 && c.ocap < out->n + 1) {
        int want = c.ocap ? c.ocap * 2 : 32;
        size_t *o = realloc(c.offsets, (size_t)want * 2 * sizeof *o);
        if (!o) rc = -1;
        else {
            c.offsets = o;
            c.ocap = want;
        }
    }
    for (int i = 0; rc == 0 && i < out->n; i++) {
        c.offsets[2 * i] = (size_t)(out->v[i].word - out->text.data);
        c.offsets[2 * i + 1] = (size_t)(out->v[i].term - out->text.data);
    }
    if (rc == 0) rc = each_word(norm.data ? norm.data : "", norm.len, run_word, &c);
    for (int i = 0; c.offsets && i < out->n; i++) {
        out->v[i].word = out->text.data + c.offsets[2 * i];
        out->v[i].term = out->text.data + c.offsets[2 * i + 1];
    }
    free(c.offsets);
    buf_fini(&norm);
    return rc ? -1 : 0;
}

static int index_word(void *arg, const char *w, size_t wl, int pos)
{
    buf *out = arg;
    char stem[ANALYZER_MAX_WORD + 1];
    size_t sl = analyzer_stem(w, wl, stem, sizeof stem);
    if (pos > 0 && buf_append(out, " ", 1) < 0) return -1;
    return buf_append(out, stem, sl) < 0 ? -1 : 0;
}

int analyzer_index_text(const char *text, size_t len, buf *out)
{
    buf norm;
    if (normalise(text, len, &norm) < 0) return -1;
    size_t start = out->len;
    if (start > 0 && buf_append(out, " ", 1) < 0) {
        buf_fini(&norm);
        return -1;
    }
    int rc = each_word(norm.data ? norm.data : "", norm.len, index_word, out);
    buf_fini(&norm);
    return rc ? -1 : 0;
}
