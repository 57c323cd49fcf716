/* customers.c — customers: create, search, read (masked; revealed with a reason, audited),
 * update, merge. */
#include "api.h"

#include "../domain/customer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUSTOMER_FIELDS                                                                          \
    {"name", FT_STRING, 0, 0, 200, "Full name"},                                                 \
        {"national_id", FT_STRING, 0, 0, 32, "Saudi national ID or iqama (10 digits, Luhn)"},   \
        {"cr_number", FT_STRING, 0, 0, 32, "Commercial registration number"},                    \
        {"phones", FT_STRING_ARRAY, 0, 0, 0, "Phone numbers (normalised to E.164)"},             \
        {"emails", FT_STRING_ARRAY, 0, 0, 0, "Email addresses"},                                 \
        {"x_handle", FT_STRING, 0, 0, 32, "X (Twitter) handle"}

const field_spec customer_fields[] = {CUSTOMER_FIELDS, {NULL, 0, 0, 0, 0, NULL}};

const field_spec merge_fields[] = {
    {"other_id", FT_INTEGER, 1, 0, 0, "The record merged into this one"},
    {NULL, 0, 0, 0, 0, NULL},
};

const query_spec customer_query[] = {
    {"q", FT_STRING, "Name (Arabic-normalised), phone, email, national id or CR number"},
    {"limit", FT_INTEGER, "Page size, 1 to 200 (default 50)"},
    {"cursor", FT_STRING, "The next_cursor of the previous page"},
    {NULL, 0, NULL},
};

const query_spec reveal_query[] = {
    {"reveal", FT_INTEGER, "1 to show personal data unmasked (needs reason; audited)"},
    {"reason", FT_STRING, "Why the data is needed"},
    {NULL, 0, NULL},
};

int api_customers_create(api_ctx *c, sn_err *e)
{
    customer_input in;
    customer cust;
    int rc = customer_input_parse(c->body, &in, e);
    if (rc == 0) rc = customer_create(c->db, &c->act, &in, &cust, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 201, customer_json(&cust, 0));
    return 0;
}

int api_customers_list(api_ctx *c, sn_err *e)
{
    int64_t cursor;
    int limit, n;
    customer *list;
    const char *q = http_query(c->req, "q");
    int rc = api_page(c, &cursor, &limit, e);
    if (rc == 0) rc = customer_search(c->db, q ? q : "", cursor, limit + 1, &list, &n, e);
    if (rc < 0) return rc;
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++) json_array_append_new(items, customer_json(&list[i], 0));
    json_t *out = json_pack("{s:o}", "items", items);
    if (n > limit) {
        char next[24];
        snprintf(next, sizeof next, "%" PRId64, list[limit - 1].id);
        json_object_set_new(out, "next_cursor", json_string(next));
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    free(list);
    http_respond_json(c->req, 200, out);
    return 0;
}

int api_customers_get(api_ctx *c, sn_err *e)
{
    int64_t id;
    customer cust;
    const char *reveal = http_query(c->req, "reveal"), *reason = http_query(c->req, "reason");
    int want = reveal && (!strcmp(reveal, "1") || !strcmp(reveal, "true"));
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0 && want && (!reason || !*reason))
        rc = sn_fail_slug(e, SN_EUNPROCESSABLE, "reason_required", "reason",
                          "say why the personal data is needed (reason)");
    if (rc == 0) rc = customer_get(c->db, id, &cust, e);
    if (rc == 0 && want) rc = customer_audit_reveal(c->db, &c->act, &cust, reason, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, customer_json(&cust, want));
    return 0;
}

int api_customers_update(api_ctx *c, sn_err *e)
{
    int64_t id;
    customer_input in;
    customer cust;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0) rc = customer_input_parse(c->body, &in, e);
    if (rc == 0) rc = customer_update(c->db, &c->act, id, &in, &cust, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, customer_json(&cust, 0));
    return 0;
}

int api_customers_merge(api_ctx *c, sn_err *e)
{
    int64_t id;
    customer cust;
    int rc = api_param_id(c, 0, &id, e);
    if (rc == 0)
        rc = customer_merge(c->db, &c->act, id, json_integer_value(json_object_get(c->body, "other_id")), e);
    if (rc == 0) rc = customer_get(c->db, id, &cust, e);
    if (rc < 0) return rc;
    http_respond_json(c->req, 200, customer_json(&cust, 0));
    return 0;
}
