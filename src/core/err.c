/* err.c — code → HTTP status/slug table and the sn_fail helpers. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    int status;
    const char *slug;
} err_table[] = {
    {SN_EINVALID, 400, "invalid_request"},
    {SN_EUNAUTH, 401, "unauthenticated"},
    {SN_EFORBIDDEN, 403, "forbidden"},
    {SN_ENOTFOUND, 404, "not_found"},
    {SN_EMETHOD, 405, "method_not_allowed"},
    {SN_ECONFLICT, 409, "conflict"},
    {SN_ETOOLARGE, 413, "payload_too_large"},
    {SN_EMEDIA, 415, "unsupported_media_type"},
    {SN_EUNPROCESSABLE, 422, "validation_failed"},
    {SN_ERATE, 429, "rate_limited"},
    {SN_EDB, 500, "internal_error"},
    {SN_EINTERNAL, 500, "internal_error"},
    {SN_EUNAVAILABLE, 503, "unavailable"},
};

int sn_err_http_status(int code)
{
    for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
        if (err_table[i].code == code) return err_table[i].status;
    return 500;
}

const char *sn_err_default_slug(int code)
{
    for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
        if (err_table[i].code == code) return err_table[i].slug;
    return "internal_error";
}

/* Cut a UTF-8 sequence that snprintf's truncation split at the end of s: the envelope is JSON,
 * and jansson refuses a string that is not UTF-8 (the client would get a 500 instead of its 400
 * for, say, an unknown field with a long Arabic name). Found by fuzz/json_body.c. */
static void utf8_cut_tail(char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && n - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0) return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (need > n - (i - 1)) s[i - 1] = '\0';
}

static void err_vfill(sn_err *e, int code, const char *slug, const char *field, const char *fmt,
                      va_list ap)
{
    e->code = code;
    e->retry_after = 0;
    snprintf(e->slug, sizeof e->slug, "%s", slug ? slug : sn_err_default_slug(code));
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    utf8_cut_tail(e->slug);
    utf8_cut_tail(e->field);
    utf8_cut_tail(e->message);
}

int sn_fail(sn_err *e, int code, const char *field, const char *fmt, ...)
{
    if (!e) return code;
    va_list ap;
    va_start(ap, fmt);
    err_vfill(e, code, NULL, field, fmt, ap);
    va_end(ap);
    return code;
}

int sn_fail_slug(sn_err *e, int code, const char *slug, const char *field, const char *fmt, ...)
{
    if (!e) return code;
    va_list ap;
    va_start(ap, fmt);
    err_vfill(e, code, slug, field, fmt, ap);
    va_end(ap);
    return code;
}

void sn_err_clear(sn_err *e)
{
    memset(e, 0, sizeof *e);
}
