/* email.h — the email channel: adapts mail (RFC 5322 / MIME, IMAP, SMTP) to domain calls and
 * delivers the outbound email the domain queues. The public face of src/channels/email/.
 *
 *   mime.c      GMime parse of one raw message → email_parsed (lenient; every repair flagged)
 *   sanitize.c  gumbo allow-list walker: untrusted HTML → safe HTML, and HTML → text
 *   msgid.c     Message-IDs Sanad can recognise (HMAC), the [#NUMBER] subject token
 *   ingest.c    raw → stored raw (content-addressed) → parsed → threaded → committed + mail log
 *   imap.c      the IMAP poller thread (libcurl connection, UID FETCH BODY.PEEK, then \Seen)
 *   deliver.c   the 'email' job: compose (GMime) and send over SMTP (libcurl)
 *
 * Inbound life of one IMAP message (each arrow durable before the next starts):
 *   UNSEEN on the server ──fetch──> raw bytes ──attachment_write_file──> raw on disk
 *   ──email_ingest (one transaction: log row with (mailbox, uidvalidity, uid), conversation,
 *   message, attachments, Message-ID)──> committed ──UID STORE +FLAGS (\Seen)──> seen.
 * A crash before the commit leaves the message unseen (fetched again, same raw file); a crash
 * after it finds the (mailbox, uidvalidity, uid) row or the Message-ID and only marks it seen. */
#ifndef SANAD_EMAIL_H
#define SANAD_EMAIL_H

#include "../../core/config.h"
#include "../../domain/mailbox.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* GMime's global state: once per process, before any other call here. */
void email_init(void);
void email_fini(void);

/* ---- mime.c ---------------------------------------------------------------------------------- */

typedef struct email_file {
    char *filename, *declared_type, *content_id;
    int is_inline;
    char *data;
    size_t len;
} email_file;

typedef struct email_parsed {
    int parsed;            /* 0: not a message at all (kept raw, shown as unparseable) */
    char *message_id;      /* without <>; NULL when absent */
    char *in_reply_to;     /* first id of In-Reply-To */
    json_t *references;    /* array of ids, oldest first */
    char *from_addr;       /* lower-case address; NULL when none */
    char *from_name;       /* display name: shown, never trusted */
    char *subject;         /* decoded */
    char *text;            /* the text body (UTF-8, \n line ends) */
    char *html;            /* the HTML body as sent (UTF-8), NULL when none */
    email_file *files;
    int nfiles;
    json_t *flags;         /* array of strings: every repair and classification */
    const char *kind;      /* message | auto_reply | bulk | bounce */
    /* A delivery status report (kind bounce). */
    char *bounce_ref;      /* the Message-ID of the message that bounced */
    char *bounce_recipient, *bounce_status, *bounce_diagnostic;
    int bounce_failed;     /* Action: failed (not delayed/delivered) */
} email_parsed;

typedef struct email_limits {
    size_t max_part_bytes; /* bigger attachments are dropped and flagged */
    size_t max_text_bytes; /* bodies are cut there and flagged */
} email_limits;

/* Parse raw bytes. Never fails on bad input (out->parsed = 0 when nothing could be read); < 0
 * only when out of memory. Free with email_parsed_fini. */
int email_parse(const char *raw, size_t len, const email_limits *lim, email_parsed *out);
void email_parsed_fini(email_parsed *p);
void email_flag(email_parsed *p, const char *flag); /* add once */

/* ---- sanitize.c ------------------------------------------------------------------------------ */

/* Resolves cid: references to URLs (or NULL: the image is dropped). */
typedef const char *(*email_cid_fn)(void *arg, const char *cid);

typedef struct email_html_opts {
    int remote_images;   /* keep http(s) images (default: blocked, kept as data-remote-src) */
    email_cid_fn cid;
    void *cid_arg;
    size_t max_bytes;    /* cap of the output */
} email_html_opts;

/* Untrusted HTML → safe HTML (allow-listed elements and attributes, no script, no event
 * handler, no javascript:/data: URL, no SVG/MathML, no CSS expression or url(); dir kept).
 * *flags gets "remote_images_blocked" / "active_content_removed" when that happened. *out is
 * malloc'd. */
int email_html_sanitize(const char *html, const email_html_opts *o, json_t *flags, char **out);
/* The readable text of HTML (block elements become line breaks). *out malloc'd. */
int email_html_to_text(const char *html, size_t max_bytes, char **out);

/* ---- msgid.c --------------------------------------------------------------------------------- */

/* A new Message-ID (without <>) for outbound message `row`: sanad.ROW.NONCE.MAC@domain, MAC an
 * HMAC-SHA256 under the data directory's key. */
int email_msgid_make(const char *data_dir, int64_t row, const char *domain, char *out, size_t size);
/* The message row a Message-ID names when its MAC is valid; 0 when it is not ours or forged. */
int64_t email_msgid_verify(const char *data_dir, const char *message_id);
/* The conversation number of a "[#SND-000123]" token in a subject into out ("" when none). */
void email_subject_token(const char *subject, char *out, size_t size);

/* ---- ingest.c -------------------------------------------------------------------------------- */

typedef struct email_source {
    const mailbox *mb;          /* the mailbox it came to (NULL: none) */
    int64_t uidvalidity, uid;   /* IMAP identity; 0 otherwise */
    int durable;                /* fsync the raw file (off in batches that sync once) */
} email_source;

typedef struct email_outcome {
    const char *kind;           /* message | auto_reply | bounce | bulk | duplicate | unparseable */
    int64_t conversation_id;    /* 0: none */
    int already;                /* this IMAP uid was taken in before: nothing written */
} email_outcome;

/* Take in one raw message: store it raw, parse, thread and commit in one transaction (its own).
 * Errors mean nothing was committed and the message must be offered again: SN_EUNAVAILABLE /
 * SN_EDB (retry later). Bad mail is never an error: it is logged as unparseable. */
int email_ingest(store *db, const config *cfg, const email_source *src, const char *raw,
                 size_t len, email_outcome *out, sn_err *e);
/* The same inside the caller's write transaction (batches). The raw file and attachments are
 * written before; the caller commits. */
int email_ingest_in_tx(store *db, const config *cfg, const email_source *src, const char *raw,
                       size_t len, email_outcome *out, sn_err *e);

/* ---- imap.c ---------------------------------------------------------------------------------- */

typedef struct email_poller email_poller;
/* Start the polling thread (own connection to cfg->db). cfg must outlive it. */
int email_poller_start(const config *cfg, email_poller **out, sn_err *e);
void email_poller_stop(email_poller *p); /* NULL: no-op */

#endif
