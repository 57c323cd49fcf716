/* analyzer.h — the one analyzer of search: text → terms, the same at index time and at query
 * time, on every database backend, so a query finds what was stored and both backends rank alike.
 *
 * Owns: splitting normalised text into words, stemming each word by its script, and the stop
 * list. Does not own: normalisation (search/normalize.h does it first), the index (search_index.h),
 * ranking (rank.h) or synonyms (kept by the knowledge base, applied by query.h).
 *
 * Pipeline of analyzer_run:
 *
 *   UTF-8 ─text_normalize─▶ words separated by one space ─split─▶ word ─stem by script─▶ term
 *
 *   - Arabic words (any letter U+0600–U+06FF): the light stemmer below (chosen over Snowball's
 *     Arabic stemmer by measurement on ARCD, see bench/search-quality/README.md);
 *   - Latin-letter words (a–z only): Snowball's English stemmer (libstemmer);
 *   - words with digits, or in other scripts: kept as they are.
 * Words longer than ANALYZER_MAX_WORD bytes are cut (at a character boundary).
 *
 * Arabic light stemming, on normalised text (so ة is already ه, ى is ي, أ إ آ are ا):
 *   1. prefix و when at least 3 letters remain (ANALYZER_AR_MIN_WA);
 *   2. one article prefix of وال بال كال فال لل ال, longest first, when at least 2 letters remain;
 *   3. suffixes ها ان ات ون ين يه ه ي, each at most once in that order, while more than
 *      ANALYZER_AR_MIN_STEM letters would remain.
 * Stop words (analyzer_is_stop) are terms like any other in the index — stored text keeps every
 * word so positions line up with the text — and are dropped from queries by query.h.
 *
 * Thread-safe: Snowball stemmers are kept one per thread (freed when the thread ends). */
#ifndef SANAD_SEARCH_ANALYZER_H
#define SANAD_SEARCH_ANALYZER_H

#include "core/buf.h"

#include <stddef.h>

#define ANALYZER_MAX_WORD 64   /* bytes of one word; longer ones are cut */
#define ANALYZER_MAX_TERMS 100000 /* words of one text; the rest is not analysed */

/* How a word was classified. */
enum analyzer_script { AN_SCRIPT_OTHER = 0, AN_SCRIPT_ARABIC, AN_SCRIPT_LATIN, AN_SCRIPT_DIGIT };

/* One analysed word. Strings point into the owning analyzer_terms and live as long as it. */
typedef struct analyzer_term {
    const char *term;  /* the stemmed term (what the index holds) */
    const char *word;  /* the normalised word it came from */
    int pos;           /* 0-based word position in the text */
    enum analyzer_script script;
    int stop;          /* the word is on the stop list */
} analyzer_term;

/* The terms of one text. Initialise with analyzer_terms_init, free with analyzer_terms_fini. */
typedef struct analyzer_terms {
    analyzer_term *v;
    int n, cap;
    buf text;          /* storage of the strings */
} analyzer_terms;

void analyzer_terms_init(analyzer_terms *t);
void analyzer_terms_fini(analyzer_terms *t);

/* Analyse UTF-8 `text` (`len` bytes) into `out` (appending). Returns 0, or -1 on invalid UTF-8 or
 * when out of memory (then `out` holds what was analysed before). */
int analyzer_run(const char *text, size_t len, analyzer_terms *out);

/* Append the index form of `text` to `out`: every term, stop words included, separated by one
 * space. This is what the full-text index stores. 0, or -1 as analyzer_run. */
int analyzer_index_text(const char *text, size_t len, buf *out);

/* Stem one normalised word (as text_normalize writes it) into `dst` (`cap` bytes, NUL-terminated);
 * returns the term's length. Used by analyzer_run and by the snippet highlighter. */
size_t analyzer_stem(const char *word, size_t len, char *dst, size_t cap);

/* The script of a normalised word. */
enum analyzer_script analyzer_script_of(const char *word, size_t len);

/* Whether the normalised word is on the stop list (Arabic and English), also after a leading و. */
int analyzer_is_stop(const char *word, size_t len);

/* Strip only the Arabic prefixes (rules 1 and 2) of a normalised word into dst, for prefix
 * matching of a word still being typed, where suffix rules would cut a partial word. */
size_t analyzer_strip_prefixes(const char *word, size_t len, char *dst, size_t cap);

/* The Arabic stemmer in use. The index stores terms of one stemmer, so this is a constant of a
 * deployment; the quality benchmark switches it to compare. Not thread-safe: set before use. */
enum analyzer_arabic { AN_ARABIC_LIGHT = 0, AN_ARABIC_SNOWBALL, AN_ARABIC_NONE };
void analyzer_set_arabic(enum analyzer_arabic which);
enum analyzer_arabic analyzer_arabic_in_use(void);

#endif
