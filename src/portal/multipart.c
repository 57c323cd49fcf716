/* multipart.c — multipart/form-data parsing for portal forms (the contract is in multipart.h).
 *
 * One pass over the body: each boundary is found with memmem starting where the previous part
 * ended, so the work is linear in the body whatever it holds. Part headers are looked for only
 * within PORTAL_MULTIPART_HEADERS bytes. */
#include "multipart.h"

#include "page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BOUNDARY_MAX 70

/* ---- small text helpers ---------------------------------------------------------------------- */

/* Length of the valid UTF-8 prefix of s[0..len) (strict: no overlongs, surrogates or > U+10FFFF).
 */
static size_t utf8_prefix(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80)
            n = 1;
        else if (c >= 0xC2 && c <= 0xDF)
            n = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else
            return i;
        if (i + n > len) return i;
        for (size_t k = 1; k < n; k++) {
            unsigned b = s[i + k];
            if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return i;
        }
        i += n;
    }
    return i;
}

static int utf8_valid(const char *s, size_t len)
{
    return utf8_prefix((const unsigned char *)s, len) == len;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* ISO-8859-1 bytes → UTF-8 into out (≥ 2·len + 1). */
static size_t latin1_to_utf8(const unsigned char *s, size_t len, char *out)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x80) {
            out[w++] = (char)s[i];
        } else {
            out[w++] = (char)(0xC0 | (s[i] >> 6));
            out[w++] = (char)(0x80 | (s[i] & 0x3F));
        }
    }
    out[w] = '\0';
    return w;
}

/* ---- header parameters ----------------------------------------------------------------------- */

/* A header value's parameters: `type; a=token; b="quoted \" string"`. */
typedef struct param_iter {
    const char *p, *end;
} param_iter;

/* The next parameter: its name [*name, *nlen) and its value (unquoted) into val (cap bytes).
 * 1 when one was read, 0 at the end, -1 when malformed (unterminated quote, value too long). */
static int param_next(param_iter *it, const char **name, size_t *nlen, char *val, size_t cap,
                      size_t *vlen)
{
    const char *p = it->p, *end = it->end;
    while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
        p++;
    if (p == end) return 0;
    *name = p;
    while (p < end && *p != '=' && *p != ';')
        p++;
    *nlen = (size_t)(p - *name);
    while (*nlen && ((*name)[*nlen - 1] == ' ' || (*name)[*nlen - 1] == '\t'))
        (*nlen)--;
    size_t w = 0;
    if (p < end && *p == '=') {
        p++;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (p < end && *p == '"') {
            for (p++;; p++) {
                if (p == end) return -1;
                if (*p == '"') break;
                if (*p == '\\' && p + 1 < end) p++;
                if (w + 1 >= cap) return -1;
                val[w++] = *p;
            }
            p++;
            while (p < end && *p != ';')
                p++; /* junk after a quoted value is ignored */
        } else {
            while (p < end && *p != ';') {
                if (w + 1 >= cap) return -1;
                val[w++] = *p++;
            }
            while (w && (val[w - 1] == ' ' || val[w - 1] == '\t'))
                w--;
        }
    }
    val[w] = '\0';
    *vlen = w;
    it->p = p;
    return 1;
}

static int name_is(const char *name, size_t nlen, const char *want)
{
    return nlen == strlen(want) && !strncasecmp(name, want, nlen);
}

int portal_multipart_is(const char *ct)
{
    static const char want[] = "multipart/form-data";
    size_t n = sizeof want - 1;
    if (!ct) return 0;
    while (*ct == ' ')
        ct++;
    return !strncasecmp(ct, want, n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The boundary of a multipart/form-data Content-Type into out (≥ BOUNDARY_MAX + 1). */
static int boundary_of(const char *ct, char *out, sn_err *e)
{
    if (!portal_multipart_is(ct))
        return sn_fail(e, SN_EMEDIA, NULL, "the form must be multipart/form-data");
    const char *semi = strchr(ct, ';');
    param_iter it = {semi ? semi : "", semi ? ct + strlen(ct) : ""};
    const char *name;
    size_t nlen, vlen;
    char val[BOUNDARY_MAX + 2];
    int r;
    while ((r = param_next(&it, &name, &nlen, val, sizeof val, &vlen)) == 1) {
        if (!name_is(name, nlen, "boundary")) continue;
        if (vlen == 0 || vlen > BOUNDARY_MAX || strpbrk(val, "\r\n")) break;
        memcpy(out, val, vlen + 1);
        return 0;
    }
    return sn_fail_slug(e, SN_EMEDIA, "bad_multipart", NULL,
                        "multipart/form-data needs a boundary of 1 to 70 characters");
}

/* ---- file names ------------------------------------------------------------------------------ */

/* RFC 5987 ext-value: charset'language'pct-encoded, as UTF-8 into out (cap ≥ 2·len + 1).
 * -1 for an unknown charset or a bad escape (the plain filename is used then). */
static int ext_value(const char *v, size_t len, char *out, size_t cap)
{
    const char *q1 = memchr(v, '\'', len);
    const char *q2 = q1 ? memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - v)) : NULL;
    if (!q2) return -1;
    size_t clen = (size_t)(q1 - v);
    int utf8 = name_is(v, clen, "utf-8"), latin1 = name_is(v, clen, "iso-8859-1");
    if (!utf8 && !latin1) return -1;
    unsigned char *raw = malloc(len + 1);
    if (!raw) return -1;
    size_t w = 0;
    for (const char *p = q2 + 1; p < v + len; p++) {
        if (*p == '%') {
            int hi = v + len - p >= 3 ? hexval(p[1]) : -1;
            int lo = hi >= 0 ? hexval(p[2]) : -1;
            if (hi < 0 || lo < 0) {
                free(raw);
                return -1;
            }
            raw[w++] = (unsigned char)(hi * 16 + lo);
            p += 2;
        } else {
            raw[w++] = (unsigned char)*p;
        }
    }
    int rc = 0;
    if (utf8) {
        if (!utf8_valid((const char *)raw, w) || w + 1 > cap)
            rc = -1;
        else {
            memcpy(out, raw, w);
            out[w] = '\0';
        }
    } else if (2 * w + 1 > cap) {
        rc = -1;
    } else {
        latin1_to_utf8(raw, w, out);
    }
    free(raw);
    return rc;
}

/* Make a client's file name harmless metadata: last path segment, UTF-8 (bytes that are not
 * are read as ISO-8859-1), control characters → '_', at most PORTAL_MULTIPART_FILENAME_MAX
 * bytes cut on a character boundary. Returns a malloc'd string or NULL. */
static char *clean_filename(const char *name)
{
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    size_t len = strlen(base);
    char *out = malloc(2 * len + 1);
    if (!out) return NULL;
    if (utf8_valid(base, len)) {
        memcpy(out, base, len + 1);
    } else {
        len = latin1_to_utf8((const unsigned char *)base, len, out);
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) out[i] = '_';
    if (len > PORTAL_MULTIPART_FILENAME_MAX) {
        len = utf8_prefix((const unsigned char *)out, PORTAL_MULTIPART_FILENAME_MAX);
        out[len] = '\0';
    }
    return out;
}

/* ---- one part -------------------------------------------------------------------------------- */

typedef struct part_head {
    char name[256];
    int has_name, is_file;
    char filename[1024];     /* as sent (plain filename parameter) */
    char filename_ext[2048]; /* decoded filename*, "" when absent or undecodable */
    char type[128];
} part_head;

static int disposition(const char *v, size_t len, part_head *h, sn_err *e)
{
    size_t tlen = strcspn(v, "; \t");
    if (tlen > len || !name_is(v, tlen, "form-data"))
        return sn_fail_slug(e, SN_EINVALID, "bad_multipart", NULL,
                            "a part's Content-Disposition is not form-data");
    param_iter it = {v + tlen, v + len};
    const char *name;
    size_t nlen, vlen;
    char val[1024];
    int r;
    while ((r = param_next(&it, &name, &nlen, val, sizeof val, &vlen)) == 1) {
        if (name_is(name, nlen, "name")) {
            if (vlen >= sizeof h->name) break;
            memcpy(h->name, val, vlen + 1);
            h->has_name = 1;
        } else if (name_is(name, nlen, "filename")) {
            memcpy(h->filename, val, vlen + 1);
            h->is_file = 1;
        } else if (name_is(name, nlen, "filename*")) {
            if (ext_value(val, vlen, h->filename_ext, sizeof h->filename_ext) < 0)
                h->filename_ext[0] = '\0';
            h->is_file = 1;
        }
    }
    if (r != 0)
        return sn_fail_slug(e, SN_EINVALID, "bad_multipart", NULL,
                            "a part's Content-Disposition is malformed");
    return 0;
}

/* Parse the header block [p, end) (lines ending CRLF, no blank line) into h. */
static int part_headers(const char *p, const char *end, part_head *h, sn_err *e)
{
    memset(h, 0, sizeof *h);
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol) eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            size_t nlen = (size_t)(colon - p);
            const char *v = colon + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            size_t vlen = (size_t)(eol - v);
            char tmp[PORTAL_MULTIPART_HEADERS + 8];
            if (vlen >= sizeof tmp) vlen = sizeof tmp - 1;
            memcpy(tmp, v, vlen);
            tmp[vlen] = '\0';
            if (name_is(p, nlen, "content-disposition")) {
                int rc = disposition(tmp, vlen, h, e);
                if (rc < 0) return rc;
            } else if (name_is(p, nlen, "content-type")) {
                size_t tl = strcspn(tmp, " \t");
                if (tl >= sizeof h->type) tl = sizeof h->type - 1;
                memcpy(h->type, tmp, tl);
                h->type[tl] = '\0';
            }
        }
        p = eol + 2;
    }
    if (!h->has_name)
        return sn_fail_slug(e, SN_EINVALID, "bad_multipart", NULL, "a part has no form-data name");
    return 0;
}

static int add_field(portal_multipart *m, const part_head *h, const char *data, size_t len,
                     int *nfields, sn_err *e)
{
    if (++*nfields > PORTAL_MULTIPART_FIELDS)
        return sn_fail_slug(e, SN_EINVALID, "bad_multipart", NULL, "too many form fields");
    if (len > PORTAL_MULTIPART_FIELD_MAX)
        return sn_fail_slug(e, SN_ETOOLARGE, "field_too_large", h->name,
                            "the field %s is too large", h->name);
    if (memchr(data, '\0', len) || !utf8_valid(data, len))
        return sn_fail_slug(e, SN_EINVALID, "not_utf8", h->name, "the field %s is not UTF-8",
                            h->name);
    if (json_object_get(m->fields, h->name)) return 0;
    json_t *v = json_stringn(data, len);
    if (!v || json_object_set_new(m->fields, h->name, v) < 0)
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    return 0;
}

static int add_file(portal_multipart *m, const part_head *h, const char *data, size_t len,
                    size_t max_file, int max_files, sn_err *e)
{
    if (!h->filename[0] && !h->filename_ext[0] && len == 0) return 0; /* an empty file input */
    if (len > max_file)
        return sn_fail_slug(e, SN_ETOOLARGE, "file_too_large", h->name,
                            "a file is larger than %zu bytes", max_file);
    if (m->nfiles >= max_files)
        return sn_fail_slug(e, SN_ETOOLARGE, "too_many_files", h->name,
                            "at most %d files may be sent", max_files);
    portal_upload *grown = realloc(m->files, sizeof *grown * (size_t)(m->nfiles + 1));
    if (!grown) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    m->files = grown;
    portal_upload *u = &m->files[m->nfiles];
    memset(u, 0, sizeof *u);
    m->nfiles++;
    u->field = strdup(h->name);
    u->filename = clean_filename(h->filename_ext[0] ? h->filename_ext : h->filename);
    u->declared_type = strdup(h->type[0] ? h->type : "application/octet-stream");
    u->data = malloc(len + 1);
    if (!u->field || !u->filename || !u->declared_type || !u->data)
        return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    memcpy(u->data, data, len);
    u->data[len] = '\0';
    u->len = len;
    return 0;
}

/* ---- the body -------------------------------------------------------------------------------- */

static int malformed(sn_err *e, const char *what)
{
    return sn_fail_slug(e, SN_EINVALID, "bad_multipart", NULL, "malformed multipart body: %s",
                        what);
}

int portal_multipart_parse_body(const char *content_type, const char *body, size_t len,
                                size_t max_file, int max_files, portal_multipart *out, sn_err *e)
{
    memset(out, 0, sizeof *out);
    char boundary[BOUNDARY_MAX + 1], delim[BOUNDARY_MAX + 5];
    int rc = boundary_of(content_type, boundary, e);
    if (rc < 0) return rc;
    /* delim = CRLF "--" boundary; a body may also start with the delimiter minus its CRLF. */
    int dl = snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    if (!(out->fields = json_object())) return sn_fail(e, SN_EINTERNAL, NULL, "out of memory");
    if (!body) body = "";
    const char *end = body + len, *p;
    if (len >= (size_t)dl - 2 && !memcmp(body, delim + 2, (size_t)dl - 2)) {
        p = body + dl - 2;
    } else {
        const char *first = memmem(body, len, delim, (size_t)dl);
        if (!first) return malformed(e, "no boundary");
        p = first + dl;
    }
    int nfields = 0;
    for (;;) {
        /* p is just past a delimiter: "--" closes, else padding and CRLF open a part. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') return 0;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') return malformed(e, "missing CRLF");
        p += 2;
        const char *hend;
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            hend = p; /* no headers at all */
        } else {
            size_t window = (size_t)(end - p);
            if (window > PORTAL_MULTIPART_HEADERS + 4) window = PORTAL_MULTIPART_HEADERS + 4;
            const char *blank = memmem(p, window, "\r\n\r\n", 4);
            if (!blank) return malformed(e, "part headers too long or unterminated");
            hend = blank + 2;
        }
        part_head h;
        if ((rc = part_headers(p, hend, &h, e)) < 0) return rc;
        const char *data = hend + 2;
        const char *next = memmem(data, (size_t)(end - data), delim, (size_t)dl);
        if (!next) return malformed(e, "missing final boundary");
        size_t dlen = (size_t)(next - data);
        rc = h.is_file ? add_file(out, &h, data, dlen, max_file, max_files, e)
                       : add_field(out, &h, data, dlen, &nfields, e);
        if (rc < 0) return rc;
        p = next + dl;
    }
}

void portal_multipart_fini(portal_multipart *m)
{
    if (!m) return;
    for (int i = 0; i < m->nfiles; i++) {
        free(m->files[i].field);
        free(m->files[i].filename);
        free(m->files[i].declared_type);
        free(m->files[i].data);
    }
    free(m->files);
    json_decref(m->fields);
    memset(m, 0, sizeof *m);
}

/* ---- the portal's request -------------------------------------------------------------------- */

int portal_multipart_parse(portal_ctx *c, size_t max_file, int max_files, portal_multipart *out,
                           sn_err *e)
{
    memset(out, 0, sizeof *out);
    if (c->req->body_too_large)
        return sn_fail_slug(e, SN_ETOOLARGE, "request_too_large", NULL,
                            "the request body is too large");
    const buf *b = &c->req->body;
    return portal_multipart_parse_body(http_header_get(c->req, "Content-Type"), b->data, b->len,
                                       max_file, max_files, out, e);
}
