/* normalize.h — the one text normaliser of search, used when text is stored and when it is queried.
 *
 * Owns: turning UTF-8 text into the folded form that the full-text index sees, so that a query
 * typed without diacritics, with another alef or hamza form, with Arabic-Indic digits or in
 * capitals finds the stored text. Does not own: tokenising (words are separated by one ASCII
 * space in the output), stemming, or anything that depends on the language of the text.
 *
 * Both sides must use the same function: changing a rule here changes what stored text matches,
 * so a rule change means re-normalising stored text (a migration), not just a deploy. */
#ifndef SANAD_SEARCH_NORMALIZE_H
#define SANAD_SEARCH_NORMALIZE_H

#include "core/buf.h"

#include <stddef.h>

/* Append the normalised form of the UTF-8 text `in` (`len` bytes, NUL bytes allowed) to `out`.
 * Rules, in this order:
 *   - NFKC with full case folding (ICU's NFKC_Casefold): folds Arabic presentation forms
 *     (U+FB50–U+FDFF, U+FE70–U+FEFF), full-width Latin, ligatures; lower-cases (ß → ss);
 *   - removes Arabic harakat U+064B–U+065F, superscript alef U+0670, tatweel U+0640, the
 *     Qur'anic annotation marks U+0610–U+061A and U+06D6–U+06ED, and every format character
 *     (bidi marks and isolates U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF, U+061C …);
 *   - maps أ إ آ ٱ (U+0623 U+0625 U+0622 U+0671) → ا, ى (U+0649) → ي, ة (U+0629) → ه, and the
 *     Arabic-Indic U+0660–U+0669 and Persian U+06F0–U+06F9 digits → ASCII 0–9;
 *   - keeps letters and numbers, and combining marks that follow one inside a word; every run of
 *     anything else (spaces, controls, punctuation incl. ، ؛ ؟, symbols, emoji) becomes one ASCII
 *     space, with no space at either end.
 * The result is valid UTF-8 in NFKC_Casefold form, and normalising it again gives it back.
 * Returns 0; -1 on invalid UTF-8 (overlong, surrogate, truncated, > U+10FFFF), on input longer
 * than 256 MiB, when `out` would pass its maximum, or when out of memory — on -1 nothing is
 * appended. Thread-safe; keeps no state between calls. */
int text_normalize(const char *in, size_t len, buf *out);

/* Normalise the NUL-terminated `s` into a new string the caller frees with free().
 * NULL when `s` is NULL, on invalid UTF-8 or when out of memory. */
char *text_normalize_dup(const char *s);

#endif
