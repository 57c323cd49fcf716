/* customer.h — one person across every channel.
 *
 * A customer is recognised by identities (national_id, cr_number, phone, email, x_handle), each
 * normalised (identity.h) and owned by exactly one customer (customer_identities UNIQUE(kind,
 * value)). A contact that arrives with a known identity joins that customer and adds the new
 * identities it brings. Merging moves identities and conversations to the surviving customer
 * and leaves the other pointing at it (merged_into).
 *
 * Personal data is masked unless revealed; every reveal is audited with its reason. */
#ifndef SANAD_CUSTOMER_H
#define SANAD_CUSTOMER_H

#include "domain.h"
#include "identity.h"

#include <jansson.h>

#define CUSTOMER_MAX_IDS 16

typedef struct customer_identity {
    enum identity_kind kind;
    char value[128]; /* normalised */
} customer_identity;

/* A customer as given by a caller (all optional). Values are raw; customer_input_parse
 * validates and normalises them. */
typedef struct customer_input {
    char name[256];
    int has_name;
    int nids;
    customer_identity ids[CUSTOMER_MAX_IDS];
} customer_input;

typedef struct customer {
    int64_t id;
    char name[256];
    int verified;
    int64_t created_at, updated_at;
    int nids;
    customer_identity ids[CUSTOMER_MAX_IDS];
} customer;

/* Read {"name","national_id","cr_number","phones":[…],"emails":[…],"x_handle"} (already
 * type-checked by the API layer) into `in`, validating and normalising each identity. */
int customer_input_parse(json_t *obj, customer_input *in, sn_err *e);
/* A 64-bit hash of an identity's kind and value (FNV-1a). */
uint64_t customer_identity_hash(const customer_identity *id);

int customer_create(store *db, const actor *who, const customer_input *in, customer *out,
                    sn_err *e);
int customer_get(store *db, int64_t id, customer *out, sn_err *e);
/* Replace name and/or add identities (an identity of another customer → SN_ECONFLICT). */
int customer_update(store *db, const actor *who, int64_t id, const customer_input *in,
                    customer *out, sn_err *e);
typedef struct customer_cache customer_cache; /* customer_cache.h */

/* Find the customer an input's identities name, or create one; add the new identities.
 * Runs inside the caller's write transaction. *created tells which. cache: what a bulk writer
 * remembers of earlier look-ups (read first, filled after), or NULL. */
int customer_resolve(store *db, const customer_input *in, int64_t now, customer_cache *cache,
                     int64_t *id, int *created);
/* The existing customer the first known of in's identities belongs to (following merges), or
 * 0 when none is known. */
int customer_owner(store *db, const customer_input *in, int64_t *id);
/* Hold customer *id's row lock until the transaction ends (PostgreSQL), following merges:
 * *id becomes the customer it was merged into, if any. Transactions deciding which conversation
 * a customer's contact joins take turns this way — several group committers or several nodes
 * on one database would otherwise both find none and both open one. SQLite has one writer at a
 * time: nothing to lock there. */
int customer_lock(store *db, int64_t *id);
/* Move other's identities and conversations to `into`; other becomes merged_into. */
int customer_merge(store *db, const actor *who, int64_t into, int64_t other, sn_err *e);
/* Search by name (Arabic-normalised), phone, email, national id or CR number. */
int customer_search(store *db, const char *q, int64_t after_id, int limit, customer **out, int *n,
                    sn_err *e);
/* Write the audit row of a reveal: which fields, why. */
int customer_audit_reveal(store *db, const actor *who, const customer *c, const char *reason,
                          sn_err *e);
/* The customer as JSON, masked unless `reveal`. */
json_t *customer_json(const customer *c, int reveal);

#endif
