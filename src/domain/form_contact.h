/* form_contact.h — the contact-us form's business: a submission becomes a contact on the form
 * channel (the same intake as every channel, conversation.h), its files attach to the message,
 * the citizen gets a tracking code (only a salted hash is stored) and, when they gave an email,
 * a confirmation through the outbound queue; with the conversation's number and that code they
 * can later read the case's status and the messages meant for them, and reply.
 *
 *   form_submit ──> contact (channel form) + attachments + tracking code + confirmation email
 *   form_track_find(number, code) ──> conversation id  (a wrong number and a wrong code are the
 *                                      same SN_ENOTFOUND, and cost the same)
 *   form_track_view_json ──> {status, number, messages: citizen's and the center's replies}
 *   form_track_reply ──> another contact on that conversation (joined, or reopened by the usual
 *                        rules; a closed one starts a new conversation with a new code)
 *
 * The HTTP side (validation messages, CSRF, rate limits, pages) is src/portal/contact.c and
 * track.c. Every write runs in one transaction of its own; files are written (durably,
 * content-addressed) before it, so the 201 means everything is on disk. */
#ifndef SANAD_FORM_CONTACT_H
#define SANAD_FORM_CONTACT_H

#include "attachment.h"
#include "domain.h"

#include <jansson.h>
#include <stddef.h>

#define FORM_CODE_SIZE 16 /* "XXXX-XXXX-XXXX" and its NUL */

/* A file of a submission, already accepted by attachment_accept (so written, sniffed, scanned). */
typedef struct form_file {
    attachment_blob blob;
    const char *filename;      /* the client's name (metadata only) */
    const char *declared_type; /* what the client said (kept, never trusted) */
} form_file;

typedef struct form_submission {
    const char *name;         /* required */
    const char *national_id;  /* normalised (identity.h), or NULL */
    const char *mobile;       /* E.164, or NULL */
    const char *email;        /* normalised, or NULL */
    const char *service_line; /* a code of service_lines, or NULL */
    const char *subject;
    const char *message;
    const char *lang;      /* ar | en: of the page, and of the confirmation */
    const char *track_url; /* absolute URL of the tracking page, for the confirmation */
    const form_file *files;
    int nfiles;
    const char *ip; /* the sender's address (kept in logs, not with the message) */
} form_submission;

typedef struct form_receipt {
    int64_t conversation_id, message_id;
    char number[32];
    char code[FORM_CODE_SIZE]; /* "" when no new code was issued (a reply that joined) */
    int confirmation;          /* a confirmation email was queued */
} form_receipt;

/* The submission as a new contact. SN_EUNPROCESSABLE (field service_line) for an unknown
 * service line; SN_EDB on storage failure. */
int form_submit(store *db, const form_submission *in, int64_t now, form_receipt *out, sn_err *e);

/* The conversation a number and code open (a merged conversation leads to where it went).
 * number and code are compared case-insensitively with spaces and dashes ignored in the code.
 * SN_ENOTFOUND for any mismatch. */
int form_track_find(store *db, const char *number, const char *code, int64_t *conversation_id,
                    sn_err *e);

/* What the citizen may see: {"status","number","subject","created_at","messages":[{"body",
 * "from":"citizen|center","at", "attachments":[{"filename","size"}]}]} — their own inbound
 * messages and the center's replies and automatic replies, never internal notes. */
int form_track_view_json(store *db, int64_t conversation_id, json_t **out, sn_err *e);

/* The citizen replies from the tracking page: a contact on that conversation, files attached.
 * out->conversation_id/number are where it went (a new conversation, with a new code in
 * out->code, when the old one was closed). */
typedef struct form_reply {
    const char *message;
    const char *lang;
    const form_file *files;
    int nfiles;
    const char *ip;
} form_reply;
int form_track_reply(store *db, int64_t conversation_id, const form_reply *in, int64_t now,
                     form_receipt *out, sn_err *e);

/* The tracking code of a string, normalised: upper case, no spaces or dashes, only the code's
 * alphabet, at most 32 characters; "" when it cannot be a code. */
void form_code_normalize(const char *in, char *out, size_t cap);

#endif
