/* identity.c — unit tests of domain/identity: normalisation of every identity kind (including
 * Arabic-Indic and Persian digits), each validation error, and every mask shape down to odd
 * short inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "domain/identity.h"

#include <string.h>

struct ok_case {
    enum identity_kind kind;
    const char *in;
    const char *want;
};

struct bad_case {
    enum identity_kind kind;
    const char *in;
};

/* Normalise `in` and require success with `want`; names the input on failure. */
static void expect_ok(enum identity_kind k, const char *in, const char *want)
{
    char out[IDENTITY_MAX];
    sn_err e = {0};
    int rc = identity_normalize(k, in, out, sizeof out, &e);
    if (rc != 0)
        fail_msg("%s \"%s\": rc %d, %s", identity_kind_name(k), in, rc, e.message);
    if (strcmp(out, want) != 0)
        fail_msg("%s \"%s\": got \"%s\", want \"%s\"", identity_kind_name(k), in, out, want);
}

/* Normalise `in` and require a 422 on the kind's field with a message and an emptied out. */
static void expect_bad(enum identity_kind k, const char *in)
{
    char out[IDENTITY_MAX] = "junk";
    sn_err e = {0};
    int rc = identity_normalize(k, in, out, sizeof out, &e);
    if (rc != SN_EUNPROCESSABLE)
        fail_msg("%s \"%s\": rc %d (out \"%s\"), want SN_EUNPROCESSABLE", identity_kind_name(k),
                 in ? in : "(null)", rc, out);
    assert_string_equal(e.field, identity_kind_name(k));
    assert_true(e.message[0] != '\0');
    assert_string_equal(out, "");
}

static void expect_mask(enum identity_kind k, const char *value, const char *want)
{
    char out[IDENTITY_MAX];
    memset(out, 'x', sizeof out);
    identity_mask(k, value, out, sizeof out);
    if (strcmp(out, want) != 0)
        fail_msg("mask %s \"%s\": got \"%s\", want \"%s\"", identity_kind_name(k),
                 value ? value : "(null)", out, want);
}

static void run_ok(const struct ok_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) expect_ok(c[i].kind, c[i].in, c[i].want);
}

static void run_bad(const struct bad_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) expect_bad(c[i].kind, c[i].in);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_kind_names(void **state)
{
    assert_string_equal(identity_kind_name(ID_NATIONAL_ID), "national_id");
    assert_string_equal(identity_kind_name(ID_CR_NUMBER), "cr_number");
    assert_string_equal(identity_kind_name(ID_PHONE), "phone");
    assert_string_equal(identity_kind_name(ID_EMAIL), "email");
    assert_string_equal(identity_kind_name(ID_X_HANDLE), "x_handle");
    assert_string_equal(identity_kind_name((enum identity_kind)99), "unknown");
}

/* Check digits worked by hand (Saudi scheme: double the digits at positions 1,3,5,7,9 from the
 * left, add the digits of each product and the undoubled digits 2,4,6,8; the 10th digit tops the
 * total up to a multiple of 10):
 *   100000000? : 1×2 = 2                                  → 2, check 8  → 1000000008
 *   200000000? : 2×2 = 4                                  → 4, check 6  → 2000000006
 *   123456789? : doubled 1,3,5,7,9 → 2,6,10→1,14→5,18→9 = 23; kept 2+4+6+8 = 20
 *                                                         → 43, check 7 → 1234567897
 *   234567890? : doubled 2,4,6,8,0 → 4,8,12→3,16→7,0 = 22; kept 3+5+7+9 = 24
 *                                                         → 46, check 4 → 2345678904
 *   109876543? : doubled 1,9,7,5,3 → 2,18→9,14→5,10→1,6 = 23; kept 0+8+6+4 = 18
 *                                                         → 41, check 9 → 1098765439 */
static const struct ok_case national_ok[] = {
    {ID_NATIONAL_ID, "1000000008", "1000000008"},
    {ID_NATIONAL_ID, "2000000006", "2000000006"},
    {ID_NATIONAL_ID, "1234567897", "1234567897"},
    {ID_NATIONAL_ID, "2345678904", "2345678904"},
    {ID_NATIONAL_ID, "1098765439", "1098765439"},
    {ID_NATIONAL_ID, "  1000000008\t", "1000000008"},
    {ID_NATIONAL_ID, "1-234-567-897", "1234567897"},
    {ID_NATIONAL_ID, "1 234 567 897", "1234567897"},
    /* Arabic-Indic ١٠٠٠٠٠٠٠٠٨ and Persian ۲۰۰۰۰۰۰۰۰۶ */
    {ID_NATIONAL_ID, "\xd9\xa1\xd9\xa0\xd9\xa0\xd9\xa0\xd9\xa0\xd9\xa0\xd9\xa0\xd9\xa0\xd9\xa0"
                     "\xd9\xa8",
     "1000000008"},
    {ID_NATIONAL_ID, "\xdb\xb2\xdb\xb0\xdb\xb0\xdb\xb0\xdb\xb0\xdb\xb0\xdb\xb0\xdb\xb0\xdb\xb0"
                     "\xdb\xb6",
     "2000000006"},
    /* mixed: ١٢٣ 456 ٧٨٩-7 */
    {ID_NATIONAL_ID, "\xd9\xa1\xd9\xa2\xd9\xa3 456 \xd9\xa7\xd9\xa8\xd9\xa9-7", "1234567897"},
};

static void test_national_id_valid(void **state) { run_ok(national_ok, COUNT(national_ok)); }

static const struct bad_case national_bad[] = {
    {ID_NATIONAL_ID, NULL},
    {ID_NATIONAL_ID, ""},
    {ID_NATIONAL_ID, "   "},
    {ID_NATIONAL_ID, "---"},
    {ID_NATIONAL_ID, "100000008"},     /* 9 digits */
    {ID_NATIONAL_ID, "10000000080"},   /* 11 digits */
    {ID_NATIONAL_ID, "3000000004"},    /* Luhn-valid, but neither citizen nor resident */
    {ID_NATIONAL_ID, "0000000000"},    /* Luhn-valid, first digit 0 */
    {ID_NATIONAL_ID, "1000000007"},    /* check digit off by one */
    {ID_NATIONAL_ID, "1000000009"},
    {ID_NATIONAL_ID, "2000000008"},    /* the citizen's check digit on a resident prefix */
    {ID_NATIONAL_ID, "1234567879"},    /* two digits swapped */
    {ID_NATIONAL_ID, "10000000a8"},
    {ID_NATIONAL_ID, "+1000000008"},
    {ID_NATIONAL_ID, "1000000008."},
    {ID_NATIONAL_ID, "\xd9\xa1\xd9"},  /* truncated UTF-8 */
    {ID_NATIONAL_ID, "123456789012345678901234567890123456789012345678901234567890"},
};

static void test_national_id_errors(void **state) { run_bad(national_bad, COUNT(national_bad)); }

/* A reference Luhn, written independently of the module: for several 9-digit prefixes exactly one
 * check digit is accepted, and it is the one the reference says makes the number valid. */
static int reference_luhn(const char *s)
{
    int sum = 0, len = (int)strlen(s);
    for (int i = 0; i < len; i++) {
        int d = s[len - 1 - i] - '0';
        if (i & 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return sum % 10 == 0;
}

static void test_national_id_matches_standard_luhn(void **state)
{
    static const char *prefixes[] = {"100000000", "200000000", "123456789", "298765432",
                                     "111111111", "299999999", "105050505", "270000001"};
    for (size_t p = 0; p < COUNT(prefixes); p++) {
        int accepted = 0;
        for (char c = '0'; c <= '9'; c++) {
            char id[11], out[IDENTITY_MAX];
            memcpy(id, prefixes[p], 9);
            id[9] = c;
            id[10] = '\0';
            int rc = identity_normalize(ID_NATIONAL_ID, id, out, sizeof out, NULL);
            assert_int_equal(rc == 0, reference_luhn(id));
            accepted += rc == 0;
        }
        assert_int_equal(accepted, 1);
    }
}

static const struct ok_case cr_ok[] = {
    {ID_CR_NUMBER, "1010123456", "1010123456"},
    {ID_CR_NUMBER, "4030 123 456", "4030123456"},
    {ID_CR_NUMBER, "0000000000", "0000000000"},
    /* ٤٠٣٠١٢٣٤٥٦ */
    {ID_CR_NUMBER, "\xd9\xa4\xd9\xa0\xd9\xa3\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5"
                   "\xd9\xa6",
     "4030123456"},
};

static const struct bad_case cr_bad[] = {
    {ID_CR_NUMBER, NULL},         {ID_CR_NUMBER, ""},           {ID_CR_NUMBER, "101012345"},
    {ID_CR_NUMBER, "10101234567"}, {ID_CR_NUMBER, "CR1010123456"}, {ID_CR_NUMBER, "1010/123456"},
};

static void test_cr_number(void **state)
{
    run_ok(cr_ok, COUNT(cr_ok));
    run_bad(cr_bad, COUNT(cr_bad));
}

static const struct ok_case phone_ok[] = {
    /* the five Saudi mobile forms */
    {ID_PHONE, "0512345678", "+966512345678"},
    {ID_PHONE, "512345678", "+966512345678"},
    {ID_PHONE, "966512345678", "+966512345678"},
    {ID_PHONE, "00966512345678", "+966512345678"},
    {ID_PHONE, "+966512345678", "+966512345678"},
    /* spacing, dashes, Arabic-Indic ٠٥٠١٢٣٤٥٦٧ and Persian ۰۵۵۹۸۷۶۵۴۳ digits */
    {ID_PHONE, " +966 51 234 5678 ", "+966512345678"},
    {ID_PHONE, "050-123-4567", "+966501234567"},
    {ID_PHONE, "\xd9\xa0\xd9\xa5\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7",
     "+966501234567"},
    {ID_PHONE, "\xdb\xb0\xdb\xb5\xdb\xb5\xdb\xb9\xdb\xb8\xdb\xb7\xdb\xb6\xdb\xb5\xdb\xb4\xdb\xb3",
     "+966559876543"},
    {ID_PHONE, "+\xd9\xa9\xd9\xa6\xd9\xa6 512345678", "+966512345678"},
    /* a stray trunk 0 after the country code */
    {ID_PHONE, "+966 0 512345678", "+966512345678"},
    {ID_PHONE, "00966 0512345678", "+966512345678"},
    /* landlines: 0 + area code 1A + 7 digits */
    {ID_PHONE, "0112345678", "+966112345678"},
    {ID_PHONE, "012-654-3210", "+966126543210"},
    {ID_PHONE, "0138001234", "+966138001234"},
    {ID_PHONE, "+966 11 234 5678", "+966112345678"},
    {ID_PHONE, "966112345678", "+966112345678"},
    /* international */
    {ID_PHONE, "+44 20 7946 0958", "+442079460958"},
    {ID_PHONE, "0044 20 7946 0958", "+442079460958"},
    {ID_PHONE, "+1-202-555-0143", "+12025550143"},
    {ID_PHONE, "+971 50 123 4567", "+971501234567"},
    {ID_PHONE, "+12345678", "+12345678"},               /* 8 digits, the least */
    {ID_PHONE, "+123456789012345", "+123456789012345"}, /* 15 digits, the most */
};

static void test_phone_valid(void **state) { run_ok(phone_ok, COUNT(phone_ok)); }

static const struct bad_case phone_bad[] = {
    {ID_PHONE, NULL},
    {ID_PHONE, ""},
    {ID_PHONE, "+"},
    {ID_PHONE, "-"},
    {ID_PHONE, "19990"},            /* unified short number */
    {ID_PHONE, "\xd9\xa1\xd9\xa9\xd9\xa9\xd9\xa9\xd9\xa0"}, /* ١٩٩٩٠ */
    {ID_PHONE, "937"},
    {ID_PHONE, "920012345"},        /* unified 9200 number */
    {ID_PHONE, "8001244444"},       /* toll-free, not a subscriber */
    {ID_PHONE, "05123456789"},      /* 11 digits */
    {ID_PHONE, "051234567"},        /* 9 digits */
    {ID_PHONE, "51234567"},
    {ID_PHONE, "0412345678"},       /* 04 is neither mobile nor landline */
    {ID_PHONE, "0152345678"},       /* no area code 15 */
    {ID_PHONE, "966412345678"},
    {ID_PHONE, "+966412345678"},
    {ID_PHONE, "+96651234567"},     /* Saudi mobile one digit short */
    {ID_PHONE, "+9665123456789"},   /* one digit long */
    {ID_PHONE, "00966"},
    {ID_PHONE, "+1234567"},         /* 7 digits */
    {ID_PHONE, "+1234567890123456"}, /* 16 digits */
    {ID_PHONE, "+0012345678"},      /* country code 0 */
    {ID_PHONE, "000012345678"},
    {ID_PHONE, "442079460958"},     /* international without + or 00 */
    {ID_PHONE, "++966512345678"},
    {ID_PHONE, "0512+345678"},
    {ID_PHONE, "(05) 12345678"},
    {ID_PHONE, "0512345678 ext 2"},
    {ID_PHONE, "phone"},
    {ID_PHONE, "+123456789012345678901234567890123456789012345678901234567890"},
};

static void test_phone_errors(void **state) { run_bad(phone_bad, COUNT(phone_bad)); }

static const struct ok_case email_ok[] = {
    {ID_EMAIL, "ahmed@example.com", "ahmed@example.com"},
    {ID_EMAIL, "  Ahmed.AlQahtani@MOF.gov.SA \t", "ahmed.alqahtani@mof.gov.sa"},
    {ID_EMAIL, "a@b.co", "a@b.co"},
    {ID_EMAIL, "first+tag@sub.example.org", "first+tag@sub.example.org"},
};

static const struct bad_case email_bad[] = {
    {ID_EMAIL, NULL},
    {ID_EMAIL, ""},
    {ID_EMAIL, "  "},
    {ID_EMAIL, "ahmed"},
    {ID_EMAIL, "ahmed.example.com"},
    {ID_EMAIL, "a@b@example.com"},
    {ID_EMAIL, "@example.com"},
    {ID_EMAIL, "ahmed@"},
    {ID_EMAIL, "ahmed@localhost"},
    {ID_EMAIL, "ahmed @example.com"},
    {ID_EMAIL, "ahmed@exa mple.com"},
    {ID_EMAIL, "ahmed@example.com\nBcc: x@y.z"},
    {ID_EMAIL, "ahmed@.example.com"},
    {ID_EMAIL, "ahmed@example.com."},
    {ID_EMAIL, "ahmed@example..com"},
};

/* An address of `n` bytes: a local part of n - 12 'a's and "@example.com". */
static void long_email(char *buf, size_t n)
{
    memset(buf, 'a', n - 12);
    memcpy(buf + n - 12, "@example.com", 13);
}

static void test_email(void **state)
{
    run_ok(email_ok, COUNT(email_ok));
    run_bad(email_bad, COUNT(email_bad));

    char in[300], out[IDENTITY_MAX];
    long_email(in, 254);
    expect_ok(ID_EMAIL, in, in);
    long_email(in, 255);
    expect_bad(ID_EMAIL, in);

    /* a 200-byte address is valid but does not fit a 128-byte buffer: rejected, out emptied */
    sn_err e = {0};
    long_email(in, 200);
    assert_int_equal(identity_normalize(ID_EMAIL, in, out, 128, &e), SN_EUNPROCESSABLE);
    assert_string_equal(e.field, "email");
    assert_string_equal(out, "");
}

static const struct ok_case handle_ok[] = {
    {ID_X_HANDLE, "@MOFcare", "@mofcare"},
    {ID_X_HANDLE, "mofcare", "@mofcare"},
    {ID_X_HANDLE, "  @Saudi_Gov1 ", "@saudi_gov1"},
    {ID_X_HANDLE, "x", "@x"},
    {ID_X_HANDLE, "@_", "@_"},
    {ID_X_HANDLE, "@abcdefghijklmno", "@abcdefghijklmno"}, /* 15 */
};

static const struct bad_case handle_bad[] = {
    {ID_X_HANDLE, NULL},
    {ID_X_HANDLE, ""},
    {ID_X_HANDLE, "@"},
    {ID_X_HANDLE, "@@mofcare"},
    {ID_X_HANDLE, "@abcdefghijklmnop"}, /* 16 */
    {ID_X_HANDLE, "@moh-care"},
    {ID_X_HANDLE, "@moh care"},
    {ID_X_HANDLE, "@moh.care"},
    {ID_X_HANDLE, "mofcare@"},
    {ID_X_HANDLE, "@\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"}, /* @مرحبا */
    {ID_X_HANDLE, "@\xd9\xa1\xd9\xa2"},                       /* Arabic-Indic digits */
};

static void test_x_handle(void **state)
{
    run_ok(handle_ok, COUNT(handle_ok));
    run_bad(handle_bad, COUNT(handle_bad));
}

static void test_normalize_bad_arguments(void **state)
{
    char out[IDENTITY_MAX];
    sn_err e = {0};
    assert_int_equal(identity_normalize((enum identity_kind)42, "x", out, sizeof out, &e),
                     SN_EINTERNAL);
    assert_int_equal(identity_normalize(ID_PHONE, "0512345678", NULL, 64, &e), SN_EINTERNAL);
    assert_int_equal(identity_normalize(ID_PHONE, "0512345678", out, 0, &e), SN_EINTERNAL);
    /* a NULL error struct is allowed */
    assert_int_equal(identity_normalize(ID_PHONE, "19990", out, sizeof out, NULL),
                     SN_EUNPROCESSABLE);
    /* an output buffer too small for the value */
    assert_int_equal(identity_normalize(ID_PHONE, "0512345678", out, 13, &e), SN_EUNPROCESSABLE);
    assert_string_equal(out, "");
    assert_int_equal(identity_normalize(ID_PHONE, "0512345678", out, 14, &e), 0);
    assert_string_equal(out, "+966512345678");
}

static void test_mask_id_numbers(void **state)
{
    expect_mask(ID_NATIONAL_ID, "1234567890", "1******890");
    expect_mask(ID_NATIONAL_ID, "2000000006", "2******006");
    expect_mask(ID_CR_NUMBER, "4030123456", "4******456");
    /* odd lengths */
    expect_mask(ID_NATIONAL_ID, "1234567", "1******567");
    expect_mask(ID_NATIONAL_ID, "123456", "******");
    expect_mask(ID_NATIONAL_ID, "1", "******");
    expect_mask(ID_CR_NUMBER, "12", "******");
}

static void test_mask_phones(void **state)
{
    expect_mask(ID_PHONE, "+966512345678", "+9665*****78");
    expect_mask(ID_PHONE, "+966559876543", "+9665*****43");
    expect_mask(ID_PHONE, "+966112345678", "+966*******78");
    expect_mask(ID_PHONE, "+442079460958", "+442*******58");
    expect_mask(ID_PHONE, "+12025550143", "+120******43");
    expect_mask(ID_PHONE, "+12345678", "+123***78");
    /* odd short values: the Saudi shape needs all 13 characters */
    expect_mask(ID_PHONE, "+9665", "*****");
    expect_mask(ID_PHONE, "+96651", "******");
    expect_mask(ID_PHONE, "+966512", "+966*12");
    expect_mask(ID_PHONE, "+1", "**");
    expect_mask(ID_PHONE, "7", "*");
}

static void test_mask_emails(void **state)
{
    expect_mask(ID_EMAIL, "ahmed@example.com", "a***@example.com");
    expect_mask(ID_EMAIL, "ab@example.com", "a***@example.com");
    expect_mask(ID_EMAIL, "a@example.com", "*@example.com");
    /* odd: no local part, no @, a multi-byte first character (é) alone and followed */
    expect_mask(ID_EMAIL, "@example.com", "*@example.com");
    expect_mask(ID_EMAIL, "@", "*@");
    expect_mask(ID_EMAIL, "noatsign", "***");
    expect_mask(ID_EMAIL, "\xc3\xa9@x.com", "*@x.com");
    expect_mask(ID_EMAIL, "\xc3\xa9ric@x.com", "\xc3\xa9***@x.com");
}

static void test_mask_handles(void **state)
{
    expect_mask(ID_X_HANDLE, "@someone", "@s***e");
    expect_mask(ID_X_HANDLE, "@mofcare", "@m***e");
    expect_mask(ID_X_HANDLE, "@abc", "@a***c");
    expect_mask(ID_X_HANDLE, "@ab", "@***");
    expect_mask(ID_X_HANDLE, "@a", "@***");
    expect_mask(ID_X_HANDLE, "@", "@***");
    expect_mask(ID_X_HANDLE, "someone", "@s***e"); /* odd: stored without its @ */
}

static void test_mask_empty_and_null(void **state)
{
    for (int k = ID_NATIONAL_ID; k <= ID_X_HANDLE; k++) {
        expect_mask((enum identity_kind)k, "", "");
        expect_mask((enum identity_kind)k, NULL, "");
    }
    expect_mask((enum identity_kind)42, "1234567890", "");
}

/* A short buffer gets a truncated, terminated mask; a zero size or NULL buffer is left alone. */
static void test_mask_small_buffers(void **state)
{
    char out[8];
    memset(out, 'x', sizeof out);
    identity_mask(ID_PHONE, "+966512345678", out, 6);
    assert_string_equal(out, "+9665");
    assert_int_equal(out[6], 'x');

    identity_mask(ID_EMAIL, "ahmed@example.com", out, 1);
    assert_string_equal(out, "");

    memset(out, 'x', sizeof out);
    identity_mask(ID_NATIONAL_ID, "1234567890", out, 0);
    assert_int_equal(out[0], 'x');
    identity_mask(ID_NATIONAL_ID, "1234567890", NULL, 16);
}

/* What the API does: normalise what the customer typed, then mask it for the response. */
static void test_normalize_then_mask(void **state)
{
    static const struct ok_case flow[] = {
        {ID_NATIONAL_ID, "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8\xd9\xa9"
                         "\xd9\xa7",
         "1******897"},
        {ID_PHONE, "05 1234 5678", "+9665*****78"},
        {ID_EMAIL, " Ahmed@Example.com", "a***@example.com"},
        {ID_X_HANDLE, "SomeOne", "@s***e"},
    };
    for (size_t i = 0; i < COUNT(flow); i++) {
        char norm[IDENTITY_MAX], masked[IDENTITY_MAX];
        assert_int_equal(identity_normalize(flow[i].kind, flow[i].in, norm, sizeof norm, NULL), 0);
        identity_mask(flow[i].kind, norm, masked, sizeof masked);
        assert_string_equal(masked, flow[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_national_id_valid),
        cmocka_unit_test(test_national_id_errors),
        cmocka_unit_test(test_national_id_matches_standard_luhn),
        cmocka_unit_test(test_cr_number),
        cmocka_unit_test(test_phone_valid),
        cmocka_unit_test(test_phone_errors),
        cmocka_unit_test(test_email),
        cmocka_unit_test(test_x_handle),
        cmocka_unit_test(test_normalize_bad_arguments),
        cmocka_unit_test(test_mask_id_numbers),
        cmocka_unit_test(test_mask_phones),
        cmocka_unit_test(test_mask_emails),
        cmocka_unit_test(test_mask_handles),
        cmocka_unit_test(test_mask_empty_and_null),
        cmocka_unit_test(test_mask_small_buffers),
        cmocka_unit_test(test_normalize_then_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
