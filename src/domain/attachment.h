/* attachment.h — stored files of every channel (email attachments, contact-form uploads,
 * required documents): content-addressed bytes under the data directory and their metadata rows.
 *
 * Bytes live at DATA/files/ab/<sha256> — outside any served folder, named by their hash, so
 * the same bytes are stored once and a client's file name never becomes a path. The type is what
 * libmagic finds in the bytes, never the name or the declared type. A policy (size limit, allowed
 * types, optional clamd INSTREAM scan) decides what may be kept; rows record the sniffed type,
 * the client's name (metadata only), the scan result and the message the file came with.
 *
 * Life of an upload:  attachment_accept (check + write the file)
 *                     ──> attachment_insert (row, in the caller's transaction)
 *                     ──> attachment_link_message (once the message row exists)
 * Served back only to staff who may see the conversation (attachment_get), as a download. */
#ifndef SANAD_ATTACHMENT_H
#define SANAD_ATTACHMENT_H

#include "domain.h"

#include <jansson.h>
#include <stddef.h>

typedef struct attachment_policy {
    const char *data_dir;
    int64_t max_bytes;         /* 0: no limit */
    const char *allowed_types; /* comma-separated sniffed types; NULL or "": any */
    const char *clamd;         /* "unix:/path" or "host:port"; NULL or "": no scan */
    int clamd_timeout_ms;      /* 0: 10000 */
} attachment_policy;

typedef struct attachment_blob {
    char sha256[65];
    int64_t size;
    char content_type[128]; /* sniffed */
    char scan[16];          /* skipped | clean | infected */
    char scan_detail[128];  /* the signature clamd named */
} attachment_blob;

/* The sniffed MIME type of data ("application/octet-stream" when unknown). Uses a libmagic
 * cookie per thread (freed at thread exit, or by attachment_thread_fini on the main thread). */
void attachment_sniff(const void *data, size_t len, char *out, size_t size);
void attachment_thread_fini(void);

/* Whether a sniffed type is in a comma-separated list (NULL or "": every type is). */
int attachment_type_allowed(const char *allowed, const char *type);

/* Fill `out` from data under the policy without writing anything. Errors: SN_ETOOLARGE (size),
 * SN_EMEDIA (type not allowed), SN_EUNPROCESSABLE with slug "infected" (clamd found a
 * signature; out->scan_detail names it), SN_EUNAVAILABLE (clamd configured but unreachable). */
int attachment_check(const attachment_policy *p, const void *data, size_t len,
                     attachment_blob *out, sn_err *e);

/* Write bytes content-addressed (idempotent: existing bytes are kept). durable: fsync the file
 * and its folder before returning. sha256 receives the name. */
int attachment_write_file(const char *data_dir, const void *data, size_t len, int durable,
                          char sha256[65], sn_err *e);
/* attachment_check, then attachment_write_file. */
int attachment_accept(const attachment_policy *p, const void *data, size_t len, int durable,
                      attachment_blob *out, sn_err *e);
/* Flush every file written without `durable` (one syncfs for a batch). */
int attachment_sync(const char *data_dir);
/* DATA/files/ab/<sha256>. */
int attachment_path(const char *data_dir, const char *sha256, char *out, size_t size);
/* Read a stored file whole (at most max bytes); *out malloc'd. */
int attachment_read_file(const char *data_dir, const char *sha256, size_t max, char **out,
                         size_t *len, sn_err *e);

/* clamd INSTREAM: 0 = clean, 1 = infected (signature in detail), < 0 = scanner unavailable. */
int attachment_scan_clamd(const char *addr, int timeout_ms, const void *data, size_t len,
                          char *detail, size_t detail_size);

typedef struct attachment_meta {
    const char *filename;      /* the client's name: metadata only */
    const char *declared_type; /* what the client said (kept, never trusted) */
    const char *content_id;    /* MIME Content-ID (cid: images), or NULL */
    int is_inline;
    int64_t message_id;        /* 0: linked later */
} attachment_meta;

/* Insert the row (no transaction of its own). */
int attachment_insert(store *db, const attachment_blob *b, const attachment_meta *m, int64_t now,
                      int64_t *id);
int attachment_link_message(store *db, int64_t id, int64_t message_id);

typedef struct attachment_row {
    int64_t id, size, message_id, conversation_id;
    char sha256[65], content_type[128], filename[256];
} attachment_row;

/* One attachment for download by `who`: staff who may see its conversation (department staff:
 * conversations escalated to their departments). SN_ENOTFOUND otherwise. */
int attachment_get(store *db, const actor *who, int64_t id, attachment_row *out, sn_err *e);
/* The Content-Type to serve a sniffed type with (a static string; unknown or active types such
 * as HTML or SVG become application/octet-stream). */
const char *attachment_serve_type(const char *sniffed);
/* The attachments of a message as [{id, filename, content_type, size, url, inline}]. */
int attachment_list_json(store *db, int64_t message_id, json_t **out);

#endif
