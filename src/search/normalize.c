/* normalize.c — search text normaliser (see normalize.h for the rules).
 *
 * Pipeline of one call, with no allocation per character:
 *
 *   UTF-8 ──u_strFromUTF8──▶ UTF-16 ──NFKC_Casefold──▶ UTF-16 ──fold_pass (in place)──▶
 *   ──u_strToUTF8──▶ one buf_append
 *
 * fold_pass is the one walk over the text: each code point gets a kind (word, mark, drop,
 * separator) and its replacement from one lookup in a table of U+0000–U+06FF (ASCII, Latin,
 * Greek, Cyrillic, Hebrew, Arabic), or from ICU's general category above that. The table is built
 * once from the general categories and `arabic_rules`, which is where the Arabic rules live.
 *
 * Why a second round can be needed: dropping a character can leave its neighbours in a sequence
 * that NFKC would compose or reorder (e + tatweel + U+0301 → e + U+0301 → é). So when a removal
 * put a character that can combine backward next to new neighbours (note_kept) and the output is
 * not normalised, it is normalised and folded once more. The second fold removes nothing
 * (composition only makes letters), so two rounds always suffice. The mapped targets ا ي ه 0–9
 * compose only with marks that are dropped (U+0653–U+0655), so mapping alone never needs the
 * second round. That is what makes text_normalize idempotent. */
#include "search/normalize.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#define NORMALIZE_MAX_INPUT ((size_t)256 << 20) /* keeps every ICU length inside int32_t */
#define SMALL_UNITS 256                         /* inputs up to this many bytes stay on the stack */

/* What fold_pass does with one code point. */
enum kind {
    K_SEP = 0, /* not part of a word: one space between words */
    K_WORD,    /* letter or number: emitted as the table's replacement */
    K_MARK,    /* combining mark: kept when it follows a word character, else dropped */
    K_DROP     /* removed without breaking the word */
};

/* ---- the table of U+0000–U+06FF and the Arabic rules ----------------------------------------- */

/* Rules that override the general category inside the Arabic block. For K_WORD, `to` is the
 * first target and a range maps onto consecutive targets (the digits). */
static const struct arabic_rule {
    UChar lo, hi;
    enum kind kind;
    UChar to;
} arabic_rules[] = {
    {0x0610, 0x061A, K_DROP, 0},      /* Qur'anic honorific signs and small vowels */
    {0x0622, 0x0622, K_WORD, 0x0627}, /* آ → ا */
    {0x0623, 0x0623, K_WORD, 0x0627}, /* أ → ا */
    {0x0625, 0x0625, K_WORD, 0x0627}, /* إ → ا */
    {0x0671, 0x0671, K_WORD, 0x0627}, /* ٱ (alef wasla) → ا */
    {0x0629, 0x0629, K_WORD, 0x0647}, /* ة → ه */
    {0x0649, 0x0649, K_WORD, 0x064A}, /* ى → ي */
    {0x0640, 0x0640, K_DROP, 0},      /* tatweel (a letter by category, a stretch in practice) */
    {0x064B, 0x065F, K_DROP, 0},      /* harakat: tanwin, fatha … sukun, maddah, hamza marks */
    {0x0670, 0x0670, K_DROP, 0},      /* superscript alef */
    {0x0660, 0x0669, K_WORD, '0'},    /* Arabic-Indic digits → 0–9 */
    {0x06F0, 0x06F9, K_WORD, '0'},    /* Persian digits → 0–9 */
    {0x06D6, 0x06DC, K_DROP, 0},      /* Qur'anic annotation marks (U+06DD, U+06DE are not marks) */
    {0x06DF, 0x06E4, K_DROP, 0},      /* (U+06E5, U+06E6 small waw and yeh are letters) */
    {0x06E7, 0x06E8, K_DROP, 0},      /* (U+06E9 is a symbol) */
    {0x06EA, 0x06ED, K_DROP, 0},
};

#define LOW_END 0x0700 /* the table covers code points below this */

static struct {
    unsigned char kind[LOW_END];
    UChar to[LOW_END];
} low;
static pthread_once_t low_once = PTHREAD_ONCE_INIT;

/* The kind of a code point outside the rules, from its general category. */
static enum kind kind_of_category(UChar32 c)
{
    uint32_t gc = (uint32_t)U_GET_GC_MASK(c);
    if (gc & (U_GC_L_MASK | U_GC_N_MASK)) return K_WORD;
    if (gc & U_GC_M_MASK) return K_MARK;
    if (gc & U_GC_CF_MASK) return K_DROP;
    return K_SEP;
}

static void low_build(void)
{
    for (unsigned c = 0; c < LOW_END; c++) {
        low.kind[c] = (unsigned char)kind_of_category((UChar32)c);
        low.to[c] = (UChar)c;
    }
    for (size_t r = 0; r < sizeof arabic_rules / sizeof arabic_rules[0]; r++) {
        const struct arabic_rule *rule = &arabic_rules[r];
        for (unsigned c = rule->lo; c <= rule->hi; c++) {
            low.kind[c] = (unsigned char)rule->kind;
            if (rule->kind == K_WORD) low.to[c] = (UChar)(rule->to + (c - rule->lo));
        }
    }
}

/* The kind of `c`; for K_WORD, *to is the code point to emit. */
static inline enum kind classify(UChar32 c, UChar32 *to)
{
    if (c < LOW_END) {
        *to = low.to[c];
        return (enum kind)low.kind[c];
    }
    *to = c;
    return kind_of_category(c);
}

/* ---- the fold pass --------------------------------------------------------------------------- */

/* After characters were removed, the next kept one `c` meets a new neighbour; unless `c` has a
 * normalisation boundary before it (a starter that never combines backward, as are almost all
 * letters), the text may have stopped being normalised here. */
static inline void note_kept(const UNormalizer2 *nf, UChar32 c, int *removed, int *unsettled)
{
    if (*removed && !unorm2_hasBoundaryBefore(nf, c)) *unsettled = 1;
    *removed = 0;
}

/* Rewrite s[0..n) in place by the kinds above and return the new length. Writing never overtakes
 * reading: each code point writes at most the units it read, and the one space between words is
 * written only after a separator of at least one unit was read and not written. A mark is kept
 * when it continues a word: something was written and no separator came since. Sets *unsettled
 * when a removal may have left the text un-normalised (see note_kept). */
static int32_t fold_pass(const UNormalizer2 *nf, UChar *s, int32_t n, int *unsettled)
{
    int32_t r = 0, w = 0;
    int gap = 0;     /* a separator was read since the last word character */
    int removed = 0; /* characters were removed since the last kept one */
    while (r < n) {
        UChar u = s[r];
        if (u < LOW_END && low.kind[u] == K_WORD) { /* the common case, kept short */
            if (removed) note_kept(nf, u, &removed, unsettled);
            if (gap && w > 0) s[w++] = ' ';
            gap = 0;
            s[w++] = low.to[u];
            r++;
            continue;
        }
        UChar32 c, to;
        U16_NEXT_UNSAFE(s, r, c);
        switch (classify(c, &to)) {
        case K_WORD:
            note_kept(nf, c, &removed, unsettled);
            if (gap && w > 0) s[w++] = ' ';
            gap = 0;
            U16_APPEND_UNSAFE(s, w, to);
            break;
        case K_MARK:
            if (w > 0 && !gap) {
                note_kept(nf, c, &removed, unsettled);
                U16_APPEND_UNSAFE(s, w, c);
            } else {
                removed = 1;
            }
            break;
        case K_DROP:
            removed = 1;
            break;
        case K_SEP:
            gap = 1;
            break;
        }
    }
    return w;
}

/* ---- scratch memory: a stack area, replaced by one heap block when too small ---------------- */

typedef struct scratch {
    void *p;    /* the stack area or `heap` */
    size_t cap; /* bytes at p */
    void *heap; /* owned block, NULL while on the stack area */
} scratch;

/* At least `bytes` at s->p; the previous contents are not kept. NULL when out of memory. */
static void *scratch_reserve(scratch *s, size_t bytes)
{
    if (bytes <= s->cap) return s->p;
    void *q = malloc(bytes);
    if (!q) return NULL;
    free(s->heap);
    s->p = s->heap = q;
    s->cap = bytes;
    return q;
}

/* ---- the ICU steps --------------------------------------------------------------------------- */

/* UTF-8 → UTF-16 into `dst`; -1 on invalid UTF-8. UTF-16 never has more units than UTF-8 bytes. */
static int to_utf16(const char *in, size_t len, scratch *dst, int32_t *n)
{
    UChar *u = scratch_reserve(dst, (len + 1) * sizeof(UChar));
    if (!u) return -1;
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(u, (int32_t)len + 1, n, in, (int32_t)len, &st);
    return U_FAILURE(st) ? -1 : 0;
}

/* NFKC_Casefold of src[0..*n) into `dst`, *n becoming the new length. Sized for twice the input
 * first; the rare text that expands more (U+FDFA is 18 units) is redone at the exact size. */
static int nfkc_cf(const UNormalizer2 *nf, const UChar *src, int32_t *n, scratch *dst)
{
    int32_t cap = 2 * *n + 16;
    for (int attempt = 0; attempt < 2; attempt++) {
        UChar *d = scratch_reserve(dst, (size_t)cap * sizeof(UChar));
        if (!d) return -1;
        UErrorCode st = U_ZERO_ERROR;
        int32_t len = unorm2_normalize(nf, src, *n, d, cap, &st);
        if (st == U_BUFFER_OVERFLOW_ERROR && len < INT32_MAX) {
            cap = len + 1;
            continue;
        }
        if (U_FAILURE(st)) return -1;
        *n = len;
        return 0;
    }
    return -1;
}

static int is_normalized(const UNormalizer2 *nf, const UChar *s, int32_t n)
{
    UErrorCode st = U_ZERO_ERROR;
    UBool yes = unorm2_isNormalized(nf, s, n, &st);
    return U_SUCCESS(st) && yes;
}

/* UTF-16 s[0..n) → UTF-8 through `tmp`, then one append to `out` (all or nothing). */
static int append_utf8(buf *out, const UChar *s, int32_t n, scratch *tmp)
{
    size_t cap = (size_t)n * 3 + 1;
    if (cap > INT32_MAX) return -1;
    char *d = scratch_reserve(tmp, cap);
    if (!d) return -1;
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = 0;
    u_strToUTF8(d, (int32_t)cap, &len, s, n, &st);
    if (U_FAILURE(st)) return -1;
    return buf_append(out, d, (size_t)len);
}

/* ---- public ---------------------------------------------------------------------------------- */

int text_normalize(const char *in, size_t len, buf *out)
{
    UChar small_a[SMALL_UNITS + 1], small_b[2 * SMALL_UNITS + 16];
    scratch a = {small_a, sizeof small_a, NULL}, b = {small_b, sizeof small_b, NULL};
    scratch *src = &a, *dst = &b;
    int rc = -1;
    int32_t n;

    if (len > NORMALIZE_MAX_INPUT || (!in && len)) return -1;
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
    if (U_FAILURE(st) || pthread_once(&low_once, low_build) != 0) return -1;
    if (to_utf16(in ? in : "", len, src, &n) < 0) goto out;

    for (int round = 0;; round++) {
        int unsettled = 0;
        if (nfkc_cf(nf, src->p, &n, dst) < 0) goto out;
        n = fold_pass(nf, dst->p, n, &unsettled);
        if (!unsettled || round == 1 || is_normalized(nf, dst->p, n)) break;
        scratch *t = src; /* fold again from dst's text; src's buffer becomes the target */
        src = dst;
        dst = t;
    }
    /* The text is in dst; src's buffer is free for the UTF-8. */
    rc = append_utf8(out, dst->p, n, src);
out:
    free(a.heap);
    free(b.heap);
    return rc;
}

char *text_normalize_dup(const char *s)
{
    if (!s) return NULL;
    buf b;
    buf_init(&b, (size_t)INT32_MAX);
    if (text_normalize(s, strlen(s), &b) < 0) {
        buf_fini(&b);
        return NULL;
    }
    return buf_steal(&b);
}
