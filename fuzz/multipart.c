/* multipart.c — libFuzzer driver of the portal's multipart/form-data parser
 * (portal_multipart_parse_body, src/portal/multipart.c).
 *
 * Input: the Content-Type header up to the first '\n', then the body. The first byte of the
 * Content-Type line also picks the caps (max_file, max_files), so the size and count refusals are
 * reached as well as the happy path. Every successful parse is checked against the promises of
 * multipart.h: file names ≤ 255 bytes with no '/' or control character, data NUL-terminated,
 * fields within their caps. */
#include "portal/multipart.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const portal_multipart *m)
{
    if (!json_is_object(m->fields) || json_object_size(m->fields) > PORTAL_MULTIPART_FIELDS)
        abort();
    const char *k;
    json_t *v;
    json_object_foreach(m->fields, k, v)
    {
        if (!json_is_string(v) || json_string_length(v) > PORTAL_MULTIPART_FIELD_MAX) abort();
    }
    for (int i = 0; i < m->nfiles; i++) {
        const portal_upload *u = &m->files[i];
        if (!u->field || !u->filename || !u->declared_type || !u->data) abort();
        size_t n = strlen(u->filename);
        if (n > PORTAL_MULTIPART_FILENAME_MAX || strchr(u->filename, '/')) abort();
        for (size_t j = 0; j < n; j++)
            if ((unsigned char)u->filename[j] < 0x20 || u->filename[j] == 0x7f) abort();
        if (u->data[u->len] != '\0') abort();
        json_t *utf8 = json_string(u->filename); /* NULL when not UTF-8 */
        if (!utf8) abort();
        json_decref(utf8);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl) return 0;
    size_t ct_len = (size_t)(nl - data);
    char *ct = malloc(ct_len + 1);
    if (!ct) return 0;
    memcpy(ct, data, ct_len);
    ct[ct_len] = '\0';
    /* The body in its own allocation of exactly its size, so ASan sees any read past it. */
    size_t len = size - ct_len - 1;
    char *body = malloc(len ? len : 1);
    if (!body) {
        free(ct);
        return 0;
    }
    memcpy(body, nl + 1, len);

    unsigned sel = ct_len ? (unsigned char)ct[0] : 0;
    size_t max_file = (sel & 1) ? 16 : 1 << 20;
    int max_files = (sel & 2) ? 1 : 5;
    portal_multipart m;
    sn_err e;
    sn_err_clear(&e);
    if (portal_multipart_parse_body(ct, body, len, max_file, max_files, &m, &e) == 0) {
        check(&m);
        if (m.nfiles > max_files) abort();
        for (int i = 0; i < m.nfiles; i++)
            if (m.files[i].len > max_file) abort();
    }
    portal_multipart_fini(&m);
    portal_multipart_fini(&m); /* promised safe on an already-freed value */
    free(body);
    free(ct);
    return 0;
}
