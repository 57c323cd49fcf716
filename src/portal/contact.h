/* contact.h — what the contact-us form (contact.c) and the tracking pages (track.c) share: one
 * portal module ("contact", templates/contact/) owning /contact and /track, the page language
 * (?lang=en, or the /en paths), reading a form body (multipart/form-data or urlencoded), checking
 * uploads against the attachment policy, text field rules, and answering with the JSON envelope
 * when the page's own scripts ask for JSON. Internal to the portal. */
#ifndef SANAD_PORTAL_CONTACT_H
#define SANAD_PORTAL_CONTACT_H

#include "page.h"

#include "../domain/form_contact.h"

#define CONTACT_MAX_FILES 5    /* attachments kept per submission or reply */
#define CONTACT_PARSE_FILES 20 /* file parts read before the body is refused outright */

/* The body's fields (strings) and, for multipart, its files. */
typedef struct contact_body {
    json_t *fields; /* borrowed from mp, or owned when urlencoded */
    portal_multipart mp;
    int multipart;
} contact_body;

/* Read the POST body: multipart/form-data or application/x-www-form-urlencoded. */
int contact_body_read(portal_ctx *c, contact_body *b, sn_err *e);
void contact_body_fini(contact_body *b);
/* A field of the body, "" when absent. */
const char *contact_field(const contact_body *b, const char *name);

/* ?lang=en / ?lang=ar over the route's language. */
void contact_set_lang(portal_ctx *c);
/* path (e.g. "/track") with ?lang=en when the page is English, into out. */
void contact_href(portal_ctx *c, const char *path, char *out, size_t cap);

/* The uploads of field `name` checked against the attachment policy (cfg): at most
 * CONTACT_MAX_FILES; out[i].blob filled, nothing written yet. On a refusal: *status (413, 415,
 * 422, 503) and *msg (a string key of the module) say why, and the return is the SN_E* code. */
int contact_files_check(portal_ctx *c, const contact_body *b, const char *name, form_file *out,
                        int *n, int *status, const char **msg, sn_err *e);
/* Write checked files to the store (durably) before the transaction that refers to them. */
int contact_files_write(portal_ctx *c, const contact_body *b, const char *name, int n, sn_err *e);

/* A text field trimmed into a malloc'd string (NULL when out of memory); *chars its length in
 * characters. Control characters other than newline and tab are dropped. */
char *contact_text(const char *in, int multiline, size_t *chars);

/* The /track handlers (track.c). */
int track_page(portal_ctx *c, sn_err *e);
int track_lookup(portal_ctx *c, sn_err *e);
int track_reply(portal_ctx *c, sn_err *e);

#endif
