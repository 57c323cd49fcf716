/* err.h — the one error convention of Sanad.
 *
 * Functions that can fail return int: 0 (SN_OK) or a negative SN_E* code, and describe the
 * failure in a caller-owned `sn_err`. The HTTP layer maps the code to a status and renders the
 * JSON envelope {"error":{"code","message","field"}}. errno never crosses a layer; SQL text,
 * paths and stack never reach a client (SN_EDB and SN_EINTERNAL carry a generic message and the
 * detail only goes to the log). */
#ifndef SANAD_ERR_H
#define SANAD_ERR_H

enum sn_code {
    SN_OK = 0,
    SN_EINVALID = -1,     /* 400 bad input: malformed JSON, unknown field, wrong type */
    SN_EUNAUTH = -2,      /* 401 not authenticated */
    SN_EFORBIDDEN = -3,   /* 403 authenticated but not allowed (or CSRF missing) */
    SN_ENOTFOUND = -4,    /* 404 */
    SN_EMETHOD = -5,      /* 405 */
    SN_ECONFLICT = -6,    /* 409 duplicate or state conflict */
    SN_ETOOLARGE = -7,    /* 413 */
    SN_EMEDIA = -8,       /* 415 */
    SN_EUNPROCESSABLE = -9, /* 422 well-formed but semantically wrong, missing required */
    SN_ERATE = -10,       /* 429 */
    SN_EDB = -11,         /* 500 storage failure (detail logged only) */
    SN_EINTERNAL = -12,   /* 500 */
    SN_EUNAVAILABLE = -13 /* 503 */
};

typedef struct sn_err {
    int code;            /* one of enum sn_code */
    int retry_after;     /* seconds, for SN_ERATE */
    char slug[40];       /* machine code in the envelope, e.g. "validation_failed" */
    char field[64];      /* offending field, "" when none */
    char message[256];   /* human text, never contains secrets or SQL */
} sn_err;

/* Fill `e` (may be NULL) and return `code`, so callers can write `return sn_fail(e, ...)`. */
int sn_fail(sn_err *e, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Same, with an explicit slug instead of the code's default one. */
int sn_fail_slug(sn_err *e, int code, const char *slug, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

void sn_err_clear(sn_err *e);

/* The HTTP status and default slug of a code. */
int sn_err_http_status(int code);
const char *sn_err_default_slug(int code);

#endif
