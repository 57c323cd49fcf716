/* document.h — the documents a service requires and their electronic submission.
 *
 * Owns: the document types of each service line (what to upload, mandatory or not, allowed
 * sniffed types, maximum size); the citizen's one-time codes and signed /documents sessions;
 * submissions (a reference number, the conversation they created or joined) and each document's
 * review. Does not own the bytes (attachment.h stores them) nor delivery (jobs: 'sms' and
 * 'email_notice' carry the one-time codes; review notices are outbound messages of the
 * conversation, on email through outbox.h or on SMS through an 'sms' job).
 *
 * One-time code life cycle (document_otps.state):
 *
 *   docotp_issue ──> open ──docotp_verify (right code, in time)──> used
 *                     │
 *                     └──docotp_verify (5th wrong try, or after expires_at)──> void
 *
 * Document life cycle (documents.status):
 *
 *   docsub_create ──> pending ──doc_review(accept)──> accepted
 *                       │
 *                       └──doc_review(reject + approved reason template)──> rejected
 *                                         rejected ──doc_replace──> replaced (history; the new
 *                                                                   row is pending)
 * Every transition of a document writes a conversation_events row (the timeline). */
#ifndef SANAD_DOCUMENT_H
#define SANAD_DOCUMENT_H

#include "attachment.h"
#include "domain.h"

#include <jansson.h>

#define DOC_OTP_DIGITS 6
#define DOC_OTP_TTL_MS (10 * 60 * 1000)
#define DOC_OTP_TRIES 5
#define DOC_SESSION_MS (30 * 60 * 1000)
#define DOC_HANDLE_SIZE 44
#define DOC_SESSION_SIZE 160

/* ---- document types (admin) ------------------------------------------------------------------ */

typedef struct doctype_fields {
    const char *name_ar, *name_en;
    const char *allowed_types; /* comma-separated; NULL: unchanged (update) */
    int has_mandatory, mandatory;
    int has_max_bytes;
    int64_t max_bytes;
    int has_position, position;
    int has_active, active;
} doctype_fields;

/* Create a type for the service line `line_code`. allowed_types and max_bytes must be given
 * (the API fills the configuration's defaults). *out: the type as JSON. */
int doctype_create(store *db, const actor *who, const char *line_code, const doctype_fields *f,
                   json_t **out, sn_err *e);
int doctype_update(store *db, const actor *who, int64_t id, const doctype_fields *f, json_t **out,
                   sn_err *e);
/* The types of a line (by position), active ones only when active_only. SN_ENOTFOUND for an
 * unknown line. */
int doctype_list_json(store *db, const char *line_code, int active_only, json_t **out, sn_err *e);
/* Service lines with at least one active type: [{code, name_ar, name_en}]. */
int doctype_lines_json(store *db, json_t **out, sn_err *e);
/* Check a comma-separated list of MIME types (type/subtype, lower-case). */
int doctype_types_valid(const char *list);

/* ---- one-time codes and sessions (citizen) --------------------------------------------------- */

typedef struct doc_contact {
    char channel[8]; /* email | sms */
    char value[256]; /* normalised address or E.164 number */
    char masked[64];
} doc_contact;

#define DOC_CONTACTS_MAX 8

/* The customer with this national ID (normalised) and where a code can go. SN_ENOTFOUND when
 * there is no such customer or it has neither email nor phone. */
int docotp_contacts(store *db, const char *national_id, int64_t *customer_id, doc_contact *out,
                    int *n, sn_err *e);

/* Make a code for customer → to, keep only its keyed hash, and queue its delivery (an 'sms' job
 * or an 'email_notice' job whose text is sealed with the data directory's key) in the same
 * transaction. handle (size DOC_HANDLE_SIZE) names the code for docotp_verify. */
int docotp_issue(store *db, const char *data_dir, int64_t customer_id, const doc_contact *to,
                 const char *lang, int64_t now, char *handle, sn_err *e);

typedef struct docotp_result {
    int64_t otp_id, customer_id;
    int tries_left;
} docotp_result;

/* Check code against the open code named by handle. Each wrong try is counted durably. Errors
 * (SN_EUNPROCESSABLE, field "code"): slug wrong_code (out->tries_left says how many remain),
 * code_void (fifth wrong try, or used before), code_expired; SN_ENOTFOUND for an unknown
 * handle. The comparison is constant-time. */
int docotp_verify(store *db, const char *data_dir, const char *handle, const char *code,
                  int64_t now, docotp_result *out, sn_err *e);

/* A signed session value "customer.otp.expires.mac" (size DOC_SESSION_SIZE). */
int doc_session_make(const char *data_dir, int64_t customer_id, int64_t otp_id, int64_t expires,
                     char *out, size_t size);
/* 0 and the ids when value is one we signed and not past its expiry; SN_EUNAUTH otherwise. */
int doc_session_check(const char *data_dir, const char *value, int64_t now, int64_t *customer_id,
                      int64_t *otp_id);

/* ---- submissions (citizen) ------------------------------------------------------------------- */

typedef struct doc_upload {
    int64_t type_id;
    attachment_blob blob; /* checked and written by attachment_accept */
    const char *filename, *declared_type;
} doc_upload;

typedef struct docsub_input {
    int64_t customer_id, otp_id;
    const char *service_line; /* code */
    const char *lang;         /* ar | en */
    const doc_upload *files;
    int nfiles;
    int64_t now;
} docsub_input;

/* One transaction: the contact (channel form, creating or joining the conversation), the
 * submission with its reference number, each document with its attachment row, and the timeline
 * event. SN_EUNPROCESSABLE (field = "doc_<type id>") when a mandatory type has no file or a file
 * names a type of another line. reference: size ≥ 32. */
int docsub_create(store *db, const docsub_input *in, char *reference, int64_t *conversation_id,
                  sn_err *e);

/* The customer's submissions, newest first, with their documents (current and history) as the
 * citizen may see them: [{reference, service_line, created_at, documents:[{id, type, filename,
 * status, reason, replaces_id}]}]. With reference: only that one (SN_ENOTFOUND otherwise). */
int docsub_citizen_json(store *db, int64_t customer_id, const char *reference, const char *lang,
                        json_t **out, sn_err *e);

/* Replace the rejected document doc_id of the customer with `up` (same type): a new pending row,
 * the old one 'replaced', an inbound message and a timeline event, in one transaction. */
int doc_replace(store *db, int64_t customer_id, int64_t doc_id, const doc_upload *up, int64_t now,
                sn_err *e);

/* ---- review (staff) -------------------------------------------------------------------------- */

/* The documents of a conversation the caller may see (as conv_get_json decides), every version:
 * [{id, submission reference, type {id, name_ar, name_en, mandatory}, status, filename,
 * content_type, size, attachment_id, url, reason_template, reason_text, note, reviewed_by,
 * reviewed_at, replaces_id, created_at}]. Audited (a read of citizen documents). */
int doc_list_json(store *db, const actor *who, int64_t conversation_id, json_t **out, sn_err *e);

typedef struct doc_review_input {
    const char *decision;        /* accept | reject */
    const char *reason_template; /* an approved template's code; required to reject */
    const char *note;            /* internal, optional */
    const char *portal_url;      /* absolute URL of /documents for the notice */
} doc_review_input;

/* Review one pending document; notify the citizen (a queued outbound message of the
 * conversation on the submission's channel) and write the timeline event, in one transaction.
 * SN_ECONFLICT (slug not_pending) when it is not pending. *out: the document as JSON. */
int doc_review(store *db, const actor *who, int64_t doc_id, const doc_review_input *in,
               json_t **out, sn_err *e);

/* The attachment of a document for a staff download (who may see its conversation); audited. */
int doc_file_row(store *db, const actor *who, int64_t doc_id, attachment_row *out, sn_err *e);

/* ---- delivery jobs --------------------------------------------------------------------------- */

/* Queue an 'sms' job to `to` inside the caller's transaction: either text (sealed with the data
 * directory's key before it is stored; data_dir needed) or the body of message_id (a queued
 * outbound message whose delivery the job records). */
int docotp_queue_sms(store *db, const char *to, const char *sealed_text, int64_t message_id,
                     int64_t now);

#endif
