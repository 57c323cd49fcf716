/* identity.h — the identities that tie one customer together across channels (phone, email, X,
 * web form, chat): validation, normalisation and masking of national ID / iqama, commercial
 * registration number, phone, email and X handle.
 *
 * Pure code: no store, no allocation, no global state. Normalised values are the only form that
 * may be stored or compared, so the same person is recognised whichever channel they use; masked
 * values are the only form that may leave the API unless a reveal is authorised (that decision
 * belongs to the caller, not here).
 *
 * Normalised forms:
 *   national_id  10 ASCII digits, first 1 (citizen) or 2 (resident), Luhn-valid   "1000000008"
 *   cr_number    10 ASCII digits                                                  "1010123456"
 *   phone        E.164: "+9665XXXXXXXX" (Saudi mobile), "+9661AXXXXXXX" (Saudi landline,
 *                area code 1A), or "+" and 8–15 digits (international)           "+966512345678"
 *   email        trimmed, lower-case, at most IDENTITY_EMAIL_MAX bytes            "a@example.com"
 *   x_handle     "@" and 1–15 of [a-z0-9_]                                        "@mofcare" */
#ifndef SANAD_IDENTITY_H
#define SANAD_IDENTITY_H

#include "../core/err.h"

#include <stddef.h>

enum identity_kind { ID_NATIONAL_ID, ID_CR_NUMBER, ID_PHONE, ID_EMAIL, ID_X_HANDLE };

#define IDENTITY_KIND_COUNT 5
#define IDENTITY_EMAIL_MAX 254 /* bytes, RFC 5321 path limit */
#define IDENTITY_MAX 256       /* bytes: an `out` this large holds every normalised value */

/* The kind's name: "national_id", "cr_number", "phone", "email", "x_handle" — also its JSON
 * field name and the `field` of its validation errors. "unknown" for a value outside the enum.
 * The string is static. */
const char *identity_kind_name(enum identity_kind k);

/* Validate `in` (UTF-8, NUL-terminated, may be NULL) as an identity of kind `k` and write its
 * normalised form (see the table above) into `out`, which holds `size` bytes.
 *
 * Digits may be ASCII, Arabic-Indic (U+0660–0669) or Persian (U+06F0–06F9); spaces and dashes
 * between digits are dropped. `size` ≥ 128 holds every value except emails longer than 127
 * bytes; IDENTITY_MAX holds them all. A value that does not fit is rejected as too long.
 *
 * Returns 0, or SN_EUNPROCESSABLE with e->field = identity_kind_name(k) (callers may rename it,
 * e.g. "phones[2]") and an English message fit for the client; `out` is then "" (if size > 0).
 * SN_EINTERNAL for a `k` outside the enum or a NULL/empty `out`. */
int identity_normalize(enum identity_kind k, const char *in, char *out, size_t size, sn_err *e);

/* Write the display mask of a normalised value into `out` (`size` bytes; truncated to fit and
 * always NUL-terminated when size > 0; nothing is written when out is NULL or size is 0):
 *   national_id, cr_number  first digit + "******" + last 3    "1234567890"    → "1******890"
 *                           (under 7 chars: "******")
 *   phone   Saudi mobile    "+9665" + "*****" + last 2         "+966512345678" → "+9665*****78"
 *           other           first 4 + one "*" per hidden char + last 2
 *                                                              "+442079460958" → "+442*******58"
 *                           (under 7 chars: one "*" per char)
 *   email                   first char of the local part + "***" + "@domain"
 *                                                              "ahmed@x.com"   → "a***@x.com"
 *                           (1-char local part: "*@domain"; no "@": "***")
 *   x_handle                "@" + first + "***" + last         "@someone"      → "@s***e"
 *                           (2 chars or fewer after "@": "@***")
 * NULL or "" gives "". Never reads past the terminating NUL of `normalized`. */
void identity_mask(enum identity_kind k, const char *normalized, char *out, size_t size);

#endif
