/* mustache.c — libFuzzer driver of the strict Mustache engine (src/core/mustache.c): templates
 * and partials are written by staff (reply templates) and rendered with data that holds what
 * citizens wrote, so both sides are fuzzed.
 *
 * Input: three NUL-separated pieces — the template, a JSON context, a partial (named "p" and,
 * for recursion, "q" = "{{>p}}"). The first byte of the template picks the flags (strict, no
 * escape) and a small or large output cap. mustache_names runs on the template too; both must
 * only ever return 0 or one of their documented errors, and leave `out` as it was on error. */
#include "core/mustache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *piece(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *z = memchr(*p, '\0', (size_t)(end - *p));
    size_t n = z ? (size_t)(z - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = z ? z + 1 : end;
    return s;
}

static void count(const char *name, void *arg)
{
    if (!name || !name[0]) abort();
    ++*(int *)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16) return 0;
    const uint8_t *p = data, *end = data + size;
    unsigned sel = data[0];
    char *tmpl = piece(&p, end), *ctx = piece(&p, end), *part = piece(&p, end);

    json_t *d = ctx[0] ? json_loads(ctx, JSON_DECODE_ANY, NULL) : NULL;
    if (!d)
        d = json_pack("{s:s, s:{s:s, s:i}, s:[{s:s},{s:s}], s:b, s:n, s:f}", "name",
                      "<علي & \"x\">", "customer", "name", "منى", "age", 30, "items", "n", "a", "n",
                      "b", "ok", 1, "none", "pi", 3.25);
    json_t *partials = json_pack("{s:s, s:s}", "p", part, "q", "{{>p}}");
    int flags = (sel & 1 ? MUSTACHE_STRICT : 0) | (sel & 2 ? MUSTACHE_NO_ESCAPE : 0);

    buf out;
    buf_init(&out, sel & 4 ? 64 : 1 << 20);
    buf_puts(&out, "kept");
    sn_err e;
    sn_err_clear(&e);
    int rc = mustache_render(tmpl, d, partials, flags, &out, &e);
    if (rc != 0 && rc != SN_EINVALID && rc != SN_EUNPROCESSABLE && rc != SN_ETOOLARGE &&
        rc != SN_EINTERNAL)
        abort();
    if (rc != 0 && (out.len != 4 || memcmp(out.data, "kept", 4) != 0)) abort();
    buf_fini(&out);

    int names = 0;
    rc = mustache_names(tmpl, count, &names, &e);
    if (rc != 0 && rc != SN_EINVALID && rc != SN_EINTERNAL) abort();
    if (rc != 0 && names) abort(); /* fn is never called on a syntax error */

    json_decref(partials);
    json_decref(d);
    free(tmpl);
    free(ctx);
    free(part);
    return 0;
}
