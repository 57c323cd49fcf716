/* multipart.h — multipart/form-data bodies (RFC 7578 over RFC 2046) for portal forms with file
 * uploads (the contact form, tracking replies, required documents).
 *
 * The HTTP core hands the app the whole body (capped by upload-request-limit for this content
 * type, body-limit for any other); this parses it in one linear pass:
 *   - the boundary comes from the Content-Type (token or quoted, 1–70 characters);
 *   - a preamble and an epilogue are ignored; the final "--BOUNDARY--" is required (a body cut
 *     short is refused, never half-accepted);
 *   - each part needs Content-Disposition: form-data; name="…"; a part with a filename (or
 *     filename*, RFC 5987/2231: UTF-8''%D9%85… or ISO-8859-1) is a file, any other is a field;
 *   - quoted strings honour backslash escapes; a file name keeps only its last path segment,
 *     control characters become '_', it must be (or is converted to) UTF-8 and is cut at 255
 *     bytes on a character boundary — it is metadata only, never a path;
 *   - an empty file input (filename="" and no bytes) is skipped;
 *   - hard caps: max_file bytes per file, max_files files, PORTAL_MULTIPART_FIELDS fields of at
 *     most PORTAL_MULTIPART_FIELD_MAX bytes each, PORTAL_MULTIPART_HEADERS bytes of headers per
 *     part.
 *
 * Errors: SN_EMEDIA (not multipart/form-data, or no boundary), SN_ETOOLARGE (a file over
 * max_file — e->field is the part's name, slug "file_too_large"; more than max_files files —
 * slug "too_many_files"; a field over its cap), SN_EINVALID (malformed: slug "bad_multipart",
 * or a field that is not UTF-8). Nothing is kept on error. */
#ifndef SANAD_PORTAL_MULTIPART_H
#define SANAD_PORTAL_MULTIPART_H

#include "../core/err.h"

#include <jansson.h>
#include <stddef.h>

#define PORTAL_MULTIPART_FIELDS 64        /* non-file parts */
#define PORTAL_MULTIPART_FIELD_MAX 65536  /* bytes of one non-file part */
#define PORTAL_MULTIPART_HEADERS 8192     /* bytes of one part's header block */
#define PORTAL_MULTIPART_FILENAME_MAX 255 /* bytes of a kept file name */

/* One uploaded file. Every pointer is owned by the portal_multipart it belongs to. */
typedef struct portal_upload {
    char *field;         /* the form field's name, e.g. "attachments" */
    char *filename;      /* the client's name, sanitised (see above); may be "" */
    char *declared_type; /* the part's Content-Type ("application/octet-stream" when absent);
                            never trusted — sniff the bytes */
    char *data;          /* the bytes (malloc'd, NUL-terminated after len for convenience) */
    size_t len;
} portal_upload;

typedef struct portal_multipart {
    json_t *fields;       /* object: name → string (UTF-8); the first of repeated names wins */
    portal_upload *files; /* in body order */
    int nfiles;
} portal_multipart;

/* Parse body[0..len) sent with content_type into *out (which this initialises; free it with
 * portal_multipart_fini, also after an error — safe on a zeroed or already-freed value).
 * max_file: bytes per file (0: no file parts allowed beyond size 0); max_files: files kept. */
int portal_multipart_parse_body(const char *content_type, const char *body, size_t len,
                                size_t max_file, int max_files, portal_multipart *out, sn_err *e);
void portal_multipart_fini(portal_multipart *m);

/* 1 when content_type is multipart/form-data (any parameters). */
int portal_multipart_is(const char *content_type);

#endif
