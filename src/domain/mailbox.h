/* mailbox.h — the email channel's records: mailboxes (one per service line or more), the inbound
 * mail log (every received email and what became of it), the Message-IDs of each conversation
 * (threading), and outbound email deliveries.
 *
 * A mailbox's password is sealed with the data directory's key (core/keyring.h) on write and
 * opened only by the IMAP poller and the SMTP deliverer; no JSON ever carries it (has_password
 * tells whether one is set). Protocol work (IMAP, SMTP, MIME) is not here: it lives in
 * src/channels/email/. */
#ifndef SANAD_MAILBOX_H
#define SANAD_MAILBOX_H

#include "domain.h"

#include <jansson.h>

typedef struct mailbox_fields {
    const char *name, *address, *service_line, *imap_url, *username, *password, *smtp_url;
    int has_service_line; /* service_line given (NULL or "": none) */
    int enabled;          /* -1: unchanged */
} mailbox_fields;

int mailbox_create(store *db, const actor *who, const char *data_dir, const mailbox_fields *in,
                   json_t **out, sn_err *e);
int mailbox_update(store *db, const actor *who, const char *data_dir, int64_t id,
                   const mailbox_fields *in, json_t **out, sn_err *e);
int mailbox_get_json(store *db, int64_t id, json_t **out, sn_err *e);
int mailbox_list_json(store *db, json_t **out, sn_err *e);

/* A mailbox as the channel uses it. password_enc is the sealed form (keyring_open opens it). */
typedef struct mailbox {
    int64_t id, service_line_id;
    int enabled;
    char name[65], address[256], service_line[65], imap_url[512], username[256],
        password_enc[1024], smtp_url[512];
} mailbox;

int mailbox_by_name(store *db, const char *name, mailbox *out);       /* SN_ENOTFOUND */
int mailbox_by_id(store *db, int64_t id, mailbox *out);               /* SN_ENOTFOUND */
/* The enabled mailboxes that have an imap_url; *out malloc'd. */
int mailbox_pollable(store *db, mailbox **out, int *n);
int mailbox_poll_status(store *db, int64_t id, int64_t now, const char *error);

/* One row of the mail log. */
typedef struct mail_log_entry {
    int64_t mailbox_id;               /* 0: none */
    int64_t uidvalidity, uid;         /* 0: not from IMAP */
    const char *raw_sha256;
    int64_t raw_size;
    const char *message_id, *from_addr, *from_name, *subject;
    const char *kind; /* message | auto_reply | bounce | bulk | duplicate | unparseable */
    int64_t conversation_id, message_row; /* 0: none */
    const char *flags_json;           /* JSON array text */
    const char *detail;
    int64_t received_at;
} mail_log_entry;

/* Insert inside the caller's transaction. SN_ECONFLICT when (mailbox, uidvalidity, uid) exists. */
int mail_log_insert(store *db, const mail_log_entry *m);
/* Whether an IMAP message was already taken in. 1 yes, 0 no, < 0 error. */
int mail_log_has_uid(store *db, int64_t mailbox_id, int64_t uidvalidity, int64_t uid);
/* Newest first; mailbox NULL or "": every mailbox. Cursor: rows with id below it (0: newest). */
int mail_log_list_json(store *db, const char *mailbox_name, int64_t cursor, int limit, json_t **items,
                       int *more, sn_err *e);
/* The raw message of a log row (its sha256), for admins. */
int mail_log_raw_sha(store *db, int64_t id, char sha256[65], sn_err *e);

/* Threading: remember a Message-ID (without <>) of a conversation; an existing one is kept. */
int mail_ids_add(store *db, const char *message_id, int64_t conversation_id, int64_t message_row,
                 const char *direction, int64_t now);
/* The conversation (and direction) a stored Message-ID belongs to; *conv 0 when unknown. */
int mail_ids_find(store *db, const char *message_id, int64_t *conv, int64_t *message_row,
                  char direction[8]);
/* The conversation's Message-IDs in order (oldest first, at most max), JSON array of strings. */
int mail_ids_of_conversation(store *db, int64_t conversation_id, int max, json_t **out);

/* An inbound email kept on a conversation without being a contact (auto-replies and bulk mail
 * that thread to it): no automation, no answer, no KPI count. */
int mail_record_message(store *db, int64_t conversation_id, const char *body, const char *meta,
                        int64_t at, int64_t *id);
/* A bounce names an outbound message: delivery → failed, with the reason in the delivery row
 * and the message's meta. *conversation_id receives its conversation (0 when unknown). */
int mail_mark_bounced(store *db, int64_t message_row, const char *reason, int64_t now,
                      int64_t *conversation_id);
/* The customer an email address identifies (0: none); whether it is a staff user's address. */
int mail_customer_of(store *db, const char *address, int64_t *customer_id);
int mail_is_staff_address(store *db, const char *address);

/* Outbound: the deliverer's record of one message row. */
int mail_outbound_mark(store *db, int64_t message_row, const char *state, const char *error,
                       int64_t now);

#endif
