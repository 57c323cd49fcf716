/* identity.c — validation, normalisation and masking of customer identities (identity.h).
 *
 * Owns: the rules of each identity kind, kept in the `kinds` table at the bottom (name, label,
 * normaliser, masker). Does not own: storage, matching customers, or deciding who may see an
 * unmasked value. Everything works on caller buffers; nothing here allocates. */
#include "identity.h"

#include <string.h>

#define DIGITS_MAX 32 /* digits kept while folding; longer input is too long for any kind */

/* A bounded writer over a caller buffer: appends what fits, always NUL-terminates. */
typedef struct outbuf {
    char *p;
    size_t size, len;
} outbuf;

static void ob_init(outbuf *o, char *p, size_t size)
{
    o->p = p;
    o->size = size;
    o->len = 0;
    if (size > 0) p[0] = '\0';
}

static void ob_putn(outbuf *o, const char *s, size_t n)
{
    if (o->size == 0) return;
    size_t room = o->size - 1 - o->len;
    if (n > room) n = room;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void ob_puts(outbuf *o, const char *s) { ob_putn(o, s, strlen(s)); }

static void ob_repeat(outbuf *o, char c, size_t n)
{
    while (n-- > 0) ob_putn(o, &c, 1);
}

/* ---- character helpers ---------------------------------------------------------------------- */

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int is_ascii_digit(int c) { return c >= '0' && c <= '9'; }

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* The value of the digit at *s — ASCII, Arabic-Indic (U+0660–0669, UTF-8 D9 A0–A9) or Persian
 * (U+06F0–06F9, UTF-8 DB B0–B9) — advancing *s past it; -1 (and *s untouched) for a non-digit.
 * Reads s[1] only when s[0] is a lead byte, so never past the NUL. */
static int digit_at(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    if (is_ascii_digit(p[0])) {
        *s += 1;
        return p[0] - '0';
    }
    if (p[0] == 0xD9 && p[1] >= 0xA0 && p[1] <= 0xA9) {
        *s += 2;
        return p[1] - 0xA0;
    }
    if (p[0] == 0xDB && p[1] >= 0xB0 && p[1] <= 0xB9) {
        *s += 2;
        return p[1] - 0xB0;
    }
    return -1;
}

enum { FOLD_BAD_CHAR = -1, FOLD_TOO_LONG = -2 };

/* Fold `in` to ASCII digits in d (cap bytes), dropping whitespace and dashes. When `plus` is not
 * NULL one "+" is accepted before the first digit and reported through *plus. Returns the number
 * of digits, FOLD_BAD_CHAR for any other character, FOLD_TOO_LONG past cap - 1 digits. */
static int fold_digits(const char *in, char *d, size_t cap, int *plus)
{
    size_t n = 0;
    if (plus) *plus = 0;
    while (*in) {
        int v = digit_at(&in);
        if (v >= 0) {
            if (n + 1 >= cap) return FOLD_TOO_LONG;
            d[n++] = (char)('0' + v);
        } else if (is_space((unsigned char)*in) || *in == '-') {
            in++;
        } else if (*in == '+' && plus && !*plus && n == 0) {
            *plus = 1;
            in++;
        } else {
            return FOLD_BAD_CHAR;
        }
    }
    d[n] = '\0';
    return (int)n;
}

/* `in` without leading and trailing ASCII whitespace: its start, and its length in *len. */
static const char *trim(const char *in, size_t *len)
{
    while (is_space((unsigned char)*in)) in++;
    size_t n = strlen(in);
    while (n > 0 && is_space((unsigned char)in[n - 1])) n--;
    *len = n;
    return in;
}

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- national ID and commercial registration ------------------------------------------------ */

/* Standard Luhn over n ASCII digits: from the right, every second digit is doubled (its digits
 * summed) and the total must be a multiple of 10. For a 10-digit Saudi ID these are positions
 * 1,3,5,7,9 from the left, which is the published iqama/national-ID scheme. */
static int luhn_valid(const char *d, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)(d[n - 1 - i] - '0');
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9) v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

static int norm_national_id(const char *in, outbuf *o, sn_err *e)
{
    char d[DIGITS_MAX];
    int n = fold_digits(in, d, sizeof d, NULL);
    if (n == FOLD_BAD_CHAR)
        return sn_fail(e, SN_EUNPROCESSABLE, "national_id", "national ID may contain only digits");
    if (n != 10)
        return sn_fail(e, SN_EUNPROCESSABLE, "national_id",
                       "national ID must have exactly 10 digits");
    if (d[0] != '1' && d[0] != '2')
        return sn_fail(e, SN_EUNPROCESSABLE, "national_id",
                       "national ID must start with 1 (citizen) or 2 (resident)");
    if (!luhn_valid(d, 10))
        return sn_fail(e, SN_EUNPROCESSABLE, "national_id",
                       "national ID is not valid (wrong check digit)");
    ob_puts(o, d);
    return 0;
}

static int norm_cr_number(const char *in, outbuf *o, sn_err *e)
{
    char d[DIGITS_MAX];
    int n = fold_digits(in, d, sizeof d, NULL);
    if (n == FOLD_BAD_CHAR)
        return sn_fail(e, SN_EUNPROCESSABLE, "cr_number",
                       "commercial registration number may contain only digits");
    if (n != 10)
        return sn_fail(e, SN_EUNPROCESSABLE, "cr_number",
                       "commercial registration number must have exactly 10 digits");
    ob_puts(o, d);
    return 0;
}

/* ---- phone ---------------------------------------------------------------------------------- */

/* Saudi landline area codes after the trunk 0: 11 Riyadh, 12 Makkah, 13 Eastern, 14 Madinah,
 * 16 Qassim, 17 Asir. */
static int is_saudi_area(char c) { return c != '\0' && strchr("123467", c) != NULL; }

/* s = "5" + 8 digits (mobile) or "1" + area digit + 7 digits (landline). */
static int is_saudi_subscriber(const char *s)
{
    size_t n = strlen(s);
    if (s[0] == '5') return n == 9;
    return s[0] == '1' && n == 9 && is_saudi_area(s[1]);
}

/* Digits after country code 966 (a stray trunk 0, "+966 0 5…", is forgiven). */
static int phone_saudi(const char *s, outbuf *o, sn_err *e)
{
    if (s[0] == '0') s++;
    if (!is_saudi_subscriber(s))
        return sn_fail(e, SN_EUNPROCESSABLE, "phone",
                       "phone number is not a valid Saudi mobile (+9665XXXXXXXX) or landline");
    ob_puts(o, "+966");
    ob_puts(o, s);
    return 0;
}

/* Digits after "+" or "00": country code and subscriber number. */
static int phone_international(const char *s, outbuf *o, sn_err *e)
{
    if (has_prefix(s, "966")) return phone_saudi(s + 3, o, e);
    size_t n = strlen(s);
    if (s[0] == '0')
        return sn_fail(e, SN_EUNPROCESSABLE, "phone", "phone country code cannot start with 0");
    if (n < 8 || n > 15)
        return sn_fail(e, SN_EUNPROCESSABLE, "phone",
                       "international phone number must have 8 to 15 digits");
    ob_puts(o, "+");
    ob_puts(o, s);
    return 0;
}

/* Digits dialled without "+" or "00": the Saudi national forms. */
static int phone_national(const char *d, outbuf *o, sn_err *e)
{
    size_t n = strlen(d);
    if (n == 10 && d[0] == '0' && is_saudi_subscriber(d + 1)) return phone_saudi(d + 1, o, e);
    if (n == 9 && d[0] == '5') return phone_saudi(d, o, e);
    if (n == 12 && has_prefix(d, "966")) return phone_saudi(d + 3, o, e);
    if (n <= 7)
        return sn_fail(e, SN_EUNPROCESSABLE, "phone",
                       "short service numbers (such as 19990) are not phone numbers");
    return sn_fail(e, SN_EUNPROCESSABLE, "phone",
                   "phone number must be a Saudi mobile (05XXXXXXXX) or landline (01XXXXXXXX), "
                   "or start with + or 00 and a country code");
}

static int norm_phone(const char *in, outbuf *o, sn_err *e)
{
    char d[DIGITS_MAX];
    int plus;
    int n = fold_digits(in, d, sizeof d, &plus);
    if (n == FOLD_TOO_LONG)
        return sn_fail(e, SN_EUNPROCESSABLE, "phone", "phone number is too long");
    if (n == FOLD_BAD_CHAR)
        return sn_fail(e, SN_EUNPROCESSABLE, "phone",
                       "phone number may contain only digits, spaces, dashes and a leading +");
    if (n == 0) return sn_fail(e, SN_EUNPROCESSABLE, "phone", "phone number has no digits");
    if (plus) return phone_international(d, o, e);
    if (has_prefix(d, "00")) return phone_international(d + 2, o, e);
    return phone_national(d, o, e);
}

/* ---- email ---------------------------------------------------------------------------------- */

/* The complaint about a lower-cased domain, or NULL when it is acceptable. */
static const char *email_domain_problem(const char *dom)
{
    size_t n = strlen(dom);
    if (n == 0) return "email needs a domain after the @";
    if (!strchr(dom, '.')) return "email domain must contain a dot";
    if (dom[0] == '.' || dom[n - 1] == '.' || strstr(dom, ".."))
        return "email domain is not valid";
    return NULL;
}

static int norm_email(const char *in, outbuf *o, sn_err *e)
{
    size_t n;
    const char *s = trim(in, &n);
    if (n > IDENTITY_EMAIL_MAX)
        return sn_fail(e, SN_EUNPROCESSABLE, "email", "email must be at most %d bytes",
                       IDENTITY_EMAIL_MAX);
    char v[IDENTITY_EMAIL_MAX + 1];
    size_t ats = 0, at = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f)
            return sn_fail(e, SN_EUNPROCESSABLE, "email", "email must not contain spaces");
        if (c == '@') {
            ats++;
            at = i;
        }
        v[i] = ascii_lower((char)c);
    }
    v[n] = '\0';
    if (ats != 1)
        return sn_fail(e, SN_EUNPROCESSABLE, "email", "email must contain exactly one @");
    if (at == 0) return sn_fail(e, SN_EUNPROCESSABLE, "email", "email needs a name before the @");
    const char *problem = email_domain_problem(v + at + 1);
    if (problem) return sn_fail(e, SN_EUNPROCESSABLE, "email", "%s", problem);
    ob_puts(o, v);
    return 0;
}

/* ---- X handle ------------------------------------------------------------------------------- */

static int is_handle_char(char c)
{
    return is_ascii_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int norm_x_handle(const char *in, outbuf *o, sn_err *e)
{
    size_t n;
    const char *s = trim(in, &n);
    if (n > 0 && s[0] == '@') {
        s++;
        n--;
    }
    if (n < 1 || n > 15)
        return sn_fail(e, SN_EUNPROCESSABLE, "x_handle", "X handle must have 1 to 15 characters");
    char v[16];
    for (size_t i = 0; i < n; i++) {
        if (!is_handle_char(s[i]))
            return sn_fail(e, SN_EUNPROCESSABLE, "x_handle",
                           "X handle may contain only letters, digits and _");
        v[i] = ascii_lower(s[i]);
    }
    ob_puts(o, "@");
    ob_putn(o, v, n);
    return 0;
}

/* ---- masks ---------------------------------------------------------------------------------- */

static void mask_id_number(const char *v, outbuf *o)
{
    size_t n = strlen(v);
    if (n < 7) {
        ob_repeat(o, '*', 6);
        return;
    }
    ob_putn(o, v, 1);
    ob_repeat(o, '*', 6);
    ob_putn(o, v + n - 3, 3);
}

static void mask_phone(const char *v, outbuf *o)
{
    size_t n = strlen(v);
    if (n == 13 && has_prefix(v, "+9665")) {
        ob_puts(o, "+9665");
        ob_repeat(o, '*', 5);
        ob_putn(o, v + n - 2, 2);
    } else if (n >= 7) {
        ob_putn(o, v, 4);
        ob_repeat(o, '*', n - 6);
        ob_putn(o, v + n - 2, 2);
    } else {
        ob_repeat(o, '*', n);
    }
}

/* Bytes of the UTF-8 sequence starting at s, at most max (a broken sequence counts its bytes). */
static size_t utf8_char_len(const char *s, size_t max)
{
    size_t n = 1;
    while (n < max && ((unsigned char)s[n] & 0xC0) == 0x80) n++;
    return n;
}

static void mask_email(const char *v, outbuf *o)
{
    const char *at = strchr(v, '@');
    if (!at) {
        ob_repeat(o, '*', 3);
        return;
    }
    size_t local = (size_t)(at - v);
    size_t first = local > 0 ? utf8_char_len(v, local) : 0;
    if (first < local) {
        ob_putn(o, v, first);
        ob_repeat(o, '*', 3);
    } else {
        ob_putn(o, "*", 1);
    }
    ob_puts(o, at);
}

static void mask_x_handle(const char *v, outbuf *o)
{
    const char *h = v[0] == '@' ? v + 1 : v;
    size_t n = strlen(h);
    ob_putn(o, "@", 1);
    if (n <= 2) {
        ob_repeat(o, '*', 3);
        return;
    }
    ob_putn(o, h, 1);
    ob_repeat(o, '*', 3);
    ob_putn(o, h + n - 1, 1);
}

/* ---- the kinds table and the public face ----------------------------------------------------- */

static const struct kind_desc {
    const char *name;  /* JSON field name, and the field of its errors */
    const char *label; /* English noun for "… is required" */
    int (*normalize)(const char *in, outbuf *o, sn_err *e);
    void (*mask)(const char *normalized, outbuf *o);
} kinds[IDENTITY_KIND_COUNT] = {
    [ID_NATIONAL_ID] = {"national_id", "national ID", norm_national_id, mask_id_number},
    [ID_CR_NUMBER] = {"cr_number", "commercial registration number", norm_cr_number,
                      mask_id_number},
    [ID_PHONE] = {"phone", "phone number", norm_phone, mask_phone},
    [ID_EMAIL] = {"email", "email", norm_email, mask_email},
    [ID_X_HANDLE] = {"x_handle", "X handle", norm_x_handle, mask_x_handle},
};

static const struct kind_desc *kind_of(enum identity_kind k)
{
    return ((unsigned)k < IDENTITY_KIND_COUNT) ? &kinds[k] : NULL;
}

const char *identity_kind_name(enum identity_kind k)
{
    const struct kind_desc *d = kind_of(k);
    return d ? d->name : "unknown";
}

static int is_blank(const char *s)
{
    while (is_space((unsigned char)*s)) s++;
    return *s == '\0';
}

int identity_normalize(enum identity_kind k, const char *in, char *out, size_t size, sn_err *e)
{
    const struct kind_desc *d = kind_of(k);
    if (!d || !out || size == 0)
        return sn_fail(e, SN_EINTERNAL, "", "identity_normalize: bad kind or output buffer");
    out[0] = '\0';
    if (!in || is_blank(in))
        return sn_fail(e, SN_EUNPROCESSABLE, d->name, "%s is required", d->label);
    char v[IDENTITY_MAX];
    outbuf o;
    ob_init(&o, v, sizeof v);
    int rc = d->normalize(in, &o, e);
    if (rc != 0) return rc;
    if (o.len >= size)
        return sn_fail(e, SN_EUNPROCESSABLE, d->name, "%s is too long", d->label);
    memcpy(out, v, o.len + 1);
    return 0;
}

void identity_mask(enum identity_kind k, const char *normalized, char *out, size_t size)
{
    const struct kind_desc *d = kind_of(k);
    outbuf o;
    if (!out || size == 0) return;
    ob_init(&o, out, size);
    if (!d || !normalized || normalized[0] == '\0') return;
    d->mask(normalized, &o);
}
