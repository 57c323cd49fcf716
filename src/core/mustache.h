/* mustache.h — the Mustache template engine behind Sanad's approved reply templates and its
 * server-rendered portal pages.
 *
 * Owns: parsing Mustache source (the spec's core modules: interpolation, sections, inverted
 * sections, comments, partials, set-delimiter tags, standalone-line whitespace) and rendering it
 * against a jansson value. Does not own: where templates are stored, which names a template is
 * allowed to use (callers check the list from mustache_names), or lambdas / inheritance / dynamic
 * names (optional spec modules, not supported).
 *
 * Data model, JSON → Mustache:
 *   - falsey (an inverted section renders, a section does not): missing, null, false, [] and "";
 *     every other value, including 0 and {}, is truthy;
 *   - a section over a non-empty array renders once per element with the element pushed on the
 *     context stack; over any other truthy value, once with that value pushed;
 *   - interpolation: strings as they are, integers without decimals, reals in the shortest form
 *     that reads back the same (1.5 → "1.5"), true/false as "true"/"false", null as nothing,
 *     arrays and objects as compact JSON;
 *   - escaped interpolation ({{x}}) turns & < > " ' into &amp; &lt; &gt; &quot; &#39; (the spec
 *     requires the first four; the apostrophe is escaped too so single-quoted HTML attributes are
 *     safe). Every other byte, UTF-8 included, passes through untouched.
 *
 * Limits (exceeding one is SN_EINVALID with a message): section nesting MUSTACHE_NEST_MAX per
 * template, partial nesting MUSTACHE_PARTIAL_DEPTH, a tag name MUSTACHE_NAME_MAX bytes, a
 * delimiter MUSTACHE_DELIM_MAX bytes. The output is capped by the `buf` maximum the caller chose
 * (exceeding it is SN_ETOOLARGE). */
#ifndef SANAD_MUSTACHE_H
#define SANAD_MUSTACHE_H

#include "core/buf.h"
#include "core/err.h"

#include <jansson.h>

enum {
    MUSTACHE_STRICT = 1,    /* a variable resolving to nothing (missing or null) is an error */
    MUSTACHE_NO_ESCAPE = 2  /* {{x}} is not HTML-escaped (plain-text channels such as SMS) */
};

enum {
    MUSTACHE_NEST_MAX = 64,       /* open sections at one time within one template */
    MUSTACHE_PARTIAL_DEPTH = 16,  /* partials included inside partials (stops recursion loops) */
    MUSTACHE_NAME_MAX = 128,      /* bytes of a tag name, dots included */
    MUSTACHE_DELIM_MAX = 16       /* bytes of a custom delimiter */
};

/* Render `tmpl` (NUL-terminated UTF-8) with the context `data` (any jansson value, may be NULL =
 * empty context) and `partials` (a JSON object name → template string, or NULL), appending to
 * `out`. Nothing is retained: `data` and `partials` are borrowed for the call.
 *
 * Flags (OR-ed): MUSTACHE_STRICT — a variable tag ({{x}}, {{{x}}}, {{&x}}, {{.}}) whose name
 * resolves to nothing (missing or null) fails with SN_EUNPROCESSABLE, e->field = the dotted name;
 * an empty string is a value and renders empty. Sections over missing names stay falsey and a
 * missing partial renders empty, as the spec says, in both modes. MUSTACHE_NO_ESCAPE — {{x}}
 * renders like {{{x}}}.
 *
 * Errors: SN_EINVALID for syntax (unclosed tag, unclosed or mismatched section, bad delimiter
 * change, bad tag name — message gives line and column, and the partial's name when the error is
 * in one) and for partials nested deeper than MUSTACHE_PARTIAL_DEPTH; SN_EUNPROCESSABLE as above;
 * SN_ETOOLARGE when `out` would pass its maximum; SN_EINTERNAL when memory runs out. On error
 * `out` is left as it was before the call. Returns 0 or the negative code. */
int mustache_render(const char *tmpl, json_t *data, json_t *partials, int flags, buf *out,
                    sn_err *e);

/* List the names `tmpl` uses, for validating placeholders when a template is saved: calls
 * fn(name, arg) once per distinct variable or section name (dotted names whole, e.g.
 * "customer.name"), in order of first use. The implicit iterator "." and partial names are not
 * reported. `name` is valid only during the call. The whole template is parsed first, so on a
 * syntax error (the same SN_EINVALID errors as mustache_render) fn is never called; SN_EINTERNAL
 * when memory runs out. Partials are not followed. Returns 0 or the negative code. */
int mustache_names(const char *tmpl, void (*fn)(const char *name, void *arg), void *arg,
                   sn_err *e);

#endif
