/* form.c — libFuzzer driver of the portal's application/x-www-form-urlencoded parser
 * (portal_form_parse_body, src/portal/form.c).
 *
 * Input: the body. The first byte picks the Content-Type among a few real and wrong ones so the
 * media-type check is reached too; the body is the rest, in an allocation of exactly its size.
 * A successful parse must give an object of UTF-8 strings (jansson checks UTF-8). */
#include "portal/page.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const types[] = {
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "Application/X-WWW-Form-Urlencoded",
    "application/x-www-form-urlencodedX",
    "text/plain",
    NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *ct = types[data[0] % (sizeof types / sizeof types[0])];
    size_t len = size - 1;
    char *body = malloc(len ? len : 1);
    if (!body) return 0;
    memcpy(body, data + 1, len);
    json_t *form = NULL;
    sn_err e;
    sn_err_clear(&e);
    if (portal_form_parse_body(ct, body, len, &form, &e) == 0) {
        if (!json_is_object(form)) abort();
        const char *k;
        json_t *v;
        json_object_foreach(form, k, v)
        {
            if (!json_is_string(v)) abort();
        }
        json_decref(form);
    }
    free(body);
    return 0;
}
