/* multipart.c — unit tests of portal/multipart: fields and files, several files, quoted and
 * escaped names, UTF-8/Arabic and RFC 5987 file names, path stripping, preamble/epilogue, empty
 * file inputs, and every refusal (no/short boundary, missing final boundary, oversized part, too
 * many files, too many fields, bad UTF-8, garbage). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "portal/multipart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CT "multipart/form-data; boundary=XyZ"
#define B "--XyZ"

static int parse(const char *ct, const char *body, size_t len, size_t max_file, int max_files,
                 portal_multipart *m, sn_err *e)
{
    sn_err_clear(e);
    return portal_multipart_parse_body(ct, body, len, max_file, max_files, m, e);
}

static int parse_s(const char *body, portal_multipart *m, sn_err *e)
{
    return parse(CT, body, strlen(body), 1024, 4, m, e);
}

static const char *field(const portal_multipart *m, const char *name)
{
    return json_string_value(json_object_get(m->fields, name));
}

static void normal(void **state)
{
    (void)state;
    const char body[] = B "\r\n"
                          "Content-Disposition: form-data; name=\"name\"\r\n\r\n"
                          "Ali\r\n" B "\r\n"
                          "Content-Disposition: form-data; name=\"message\"\r\n\r\n"
                          "line one\r\nline two\r\n" B "\r\n"
                          "Content-Disposition: form-data; name=\"attachments\"; "
                          "filename=\"scan.pdf\"\r\n"
                          "Content-Type: application/pdf\r\n\r\n"
                          "%PDF-1.4 bytes\r\n" B "--\r\n";
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse_s(body, &m, &e), 0);
    assert_string_equal(field(&m, "name"), "Ali");
    assert_string_equal(field(&m, "message"), "line one\r\nline two");
    assert_int_equal(m.nfiles, 1);
    assert_string_equal(m.files[0].field, "attachments");
    assert_string_equal(m.files[0].filename, "scan.pdf");
    assert_string_equal(m.files[0].declared_type, "application/pdf");
    assert_int_equal(m.files[0].len, 14);
    assert_memory_equal(m.files[0].data, "%PDF-1.4 bytes", 14);
    portal_multipart_fini(&m);
    portal_multipart_fini(&m); /* twice is harmless */
}

static void several_files_binary_and_preamble(void **state)
{
    (void)state;
    /* binary bytes including CR, LF, NUL and a near-boundary "\r\n--XY" inside the file */
    static const char bin[] = {'\x89', 'P', 'N',  'G',  '\r', '\n', '\0', '-', '-',
                               'X',    'y', '\r', '\n', '-',  '-',  'X',  'Y', 'Z'};
    char body[1024];
    size_t n = 0;
    n += (size_t)snprintf(body + n, sizeof body - n,
                          "preamble to ignore\r\n" B "\r\n"
                          "Content-Disposition: form-data; name=\"attachments\"; "
                          "filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n");
    memcpy(body + n, bin, sizeof bin);
    n += sizeof bin;
    n += (size_t)snprintf(body + n, sizeof body - n,
                          "\r\n" B "  \r\n" /* transport padding after a delimiter */
                          "content-disposition: FORM-DATA; name=attachments; filename=b.jpg\r\n"
                          "\r\n"
                          "JPEG\r\n" B "--\r\nepilogue, also ignored\r\n" B "\r\n");
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse(CT, body, n, 1024, 4, &m, &e), 0);
    assert_int_equal(m.nfiles, 2);
    assert_int_equal(m.files[0].len, sizeof bin);
    assert_memory_equal(m.files[0].data, bin, sizeof bin);
    assert_string_equal(m.files[1].filename, "b.jpg");
    assert_string_equal(m.files[1].declared_type, "application/octet-stream");
    assert_string_equal(m.files[1].data, "JPEG");
    portal_multipart_fini(&m);
}

static void quoted_names_and_boundary(void **state)
{
    (void)state;
    const char body[] = "--a b:c\r\n"
                        "Content-Disposition: form-data; name=\"we;ird\\\"name\"; "
                        "filename=\"C:\\\\Users\\\\me\\\\re\\\"port.pdf\"\r\n\r\n"
                        "x\r\n--a b:c\r\n"
                        "Content-Disposition: form-data; name=\"dup\"\r\n\r\nfirst\r\n--a b:c\r\n"
                        "Content-Disposition: form-data; name=\"dup\"\r\n\r\nsecond\r\n"
                        "--a b:c--";
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse("Multipart/Form-Data ; charset=utf-8; boundary=\"a b:c\"", body,
                           strlen(body), 10, 2, &m, &e),
                     0);
    assert_int_equal(m.nfiles, 1);
    assert_string_equal(m.files[0].field, "we;ird\"name");
    assert_string_equal(m.files[0].filename, "re\"port.pdf"); /* path stripped */
    assert_string_equal(field(&m, "dup"), "first");           /* the first wins */
    portal_multipart_fini(&m);
}

static void arabic_filenames(void **state)
{
    (void)state;
    /* raw UTF-8 (what browsers send), RFC 5987 filename* (preferred), ISO-8859-1 filename*,
     * and a name that is not UTF-8 (read as ISO-8859-1) with a control character */
    const char body[] = B "\r\n"
                          "Content-Disposition: form-data; name=\"f\"; "
                          "filename=\"\xd8\xb5\xd9\x83 \xd8\xa7\xd9\x84\xd9\x85\xd9\x84\xd9\x83"
                          "\xd9\x8a\xd8\xa9.pdf\"\r\n\r\n1\r\n" B "\r\n"
                          "Content-Disposition: form-data; name=\"f\"; filename=\"fallback.pdf\"; "
                          "filename*=UTF-8''%D9%87%D9%88%D9%8A%D8%A9.pdf\r\n\r\n2\r\n" B "\r\n"
                          "Content-Disposition: form-data; name=\"f\"; "
                          "filename*=iso-8859-1'en'caf%E9.png\r\n\r\n3\r\n" B "\r\n"
                          "Content-Disposition: form-data; name=\"f\"; "
                          "filename=\"r\xe9sum\xe9\x01.pdf\"\r\n\r\n4\r\n" B "--\r\n";
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse_s(body, &m, &e), 0);
    assert_int_equal(m.nfiles, 4);
    assert_string_equal(m.files[0].filename,
                        "\xd8\xb5\xd9\x83 \xd8\xa7\xd9\x84\xd9\x85\xd9\x84\xd9\x83\xd9\x8a\xd8\xa9"
                        ".pdf");
    assert_string_equal(m.files[1].filename, "\xd9\x87\xd9\x88\xd9\x8a\xd8\xa9.pdf");
    assert_string_equal(m.files[2].filename, "caf\xc3\xa9.png");
    assert_string_equal(m.files[3].filename, "r\xc3\xa9sum\xc3\xa9_.pdf");
    portal_multipart_fini(&m);
}

static void long_filename_cut_on_character(void **state)
{
    (void)state;
    char body[2048], name[600];
    size_t k = 0;
    for (int i = 0; i < 150; i++) { /* 300 bytes of Arabic: ع = d8 b9 */
        name[k++] = '\xd8';
        name[k++] = '\xb9';
    }
    name[k] = '\0';
    snprintf(body, sizeof body,
             B "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"%s\"\r\n\r\nx\r\n" B
               "--",
             name);
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse_s(body, &m, &e), 0);
    assert_int_equal(strlen(m.files[0].filename), 254); /* 255 would split a character */
    portal_multipart_fini(&m);
}

static void empty_file_input_skipped(void **state)
{
    (void)state;
    const char body[] = B "\r\n"
                          "Content-Disposition: form-data; name=\"attachments\"; filename=\"\"\r\n"
                          "Content-Type: application/octet-stream\r\n\r\n\r\n" B "\r\n"
                          "Content-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n" B "--";
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse_s(body, &m, &e), 0);
    assert_int_equal(m.nfiles, 0);
    assert_string_equal(field(&m, "empty"), "");
    portal_multipart_fini(&m);
}

static void missing_final_boundary(void **state)
{
    (void)state;
    const char *cut[] = {
        B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue",       /* no delimiter */
        B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n" B, /* no -- */
        B "\r\nContent-Disposition: form-data; name=\"a\"\r\n",                /* cut in headers */
        B,
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        portal_multipart m;
        sn_err e;
        assert_int_equal(parse_s(cut[i], &m, &e), SN_EINVALID);
        assert_string_equal(e.slug, "bad_multipart");
        portal_multipart_fini(&m);
    }
}

static void oversized_part(void **state)
{
    (void)state;
    char body[4096];
    char big[1100];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(body, sizeof body,
             B "\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"big.pdf\"\r\n"
               "\r\n%s\r\n" B "--",
             big);
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse_s(body, &m, &e), SN_ETOOLARGE); /* max_file 1024 */
    assert_string_equal(e.slug, "file_too_large");
    assert_string_equal(e.field, "attachments");
    portal_multipart_fini(&m);
    /* exactly at the cap is fine */
    big[1024] = '\0';
    snprintf(body, sizeof body,
             B "\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"ok.pdf\"\r\n"
               "\r\n%s\r\n" B "--",
             big);
    assert_int_equal(parse_s(body, &m, &e), 0);
    assert_int_equal(m.files[0].len, 1024);
    portal_multipart_fini(&m);
    /* a text field has its own cap */
    char *huge = malloc(PORTAL_MULTIPART_FIELD_MAX + 200);
    assert_non_null(huge);
    int n = snprintf(huge, 200, B "\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n");
    memset(huge + n, 'b', PORTAL_MULTIPART_FIELD_MAX + 1);
    memcpy(huge + n + PORTAL_MULTIPART_FIELD_MAX + 1, "\r\n" B "--", 9);
    assert_int_equal(parse(CT, huge, (size_t)n + PORTAL_MULTIPART_FIELD_MAX + 10, 1024, 4, &m, &e),
                     SN_ETOOLARGE);
    assert_string_equal(e.field, "message");
    portal_multipart_fini(&m);
    free(huge);
}

static void too_many_files(void **state)
{
    (void)state;
    char body[4096];
    size_t n = 0;
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(body + n, sizeof body - n,
                              B "\r\nContent-Disposition: form-data; name=\"attachments\"; "
                                "filename=\"%d.pdf\"\r\n\r\nx\r\n",
                              i);
    snprintf(body + n, sizeof body - n, B "--");
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse_s(body, &m, &e), SN_ETOOLARGE); /* max_files 4 */
    assert_string_equal(e.slug, "too_many_files");
    portal_multipart_fini(&m);
}

static void too_many_fields(void **state)
{
    (void)state;
    size_t cap = 200 * (PORTAL_MULTIPART_FIELDS + 2);
    char *body = malloc(cap);
    assert_non_null(body);
    size_t n = 0;
    for (int i = 0; i <= PORTAL_MULTIPART_FIELDS; i++)
        n += (size_t)snprintf(body + n, cap - n,
                              B "\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
    snprintf(body + n, cap - n, B "--");
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse_s(body, &m, &e), SN_EINVALID);
    portal_multipart_fini(&m);
    free(body);
}

static void wrong_content_type_or_boundary(void **state)
{
    (void)state;
    const char body[] = B "--";
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse("application/x-www-form-urlencoded", body, 7, 10, 1, &m, &e), SN_EMEDIA);
    portal_multipart_fini(&m);
    assert_int_equal(parse(NULL, body, 7, 10, 1, &m, &e), SN_EMEDIA);
    portal_multipart_fini(&m);
    assert_int_equal(parse("multipart/form-data", body, 7, 10, 1, &m, &e), SN_EMEDIA);
    portal_multipart_fini(&m);
    assert_int_equal(parse("multipart/form-data; boundary=", body, 7, 10, 1, &m, &e), SN_EMEDIA);
    portal_multipart_fini(&m);
    char ct[200];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%071d", 0); /* 71 characters */
    assert_int_equal(parse(ct, body, 7, 10, 1, &m, &e), SN_EMEDIA);
    portal_multipart_fini(&m);
    assert_int_equal(parse("multipart/form-data; boundary=\"unterminated", body, 7, 10, 1, &m, &e),
                     SN_EMEDIA);
    portal_multipart_fini(&m);
    assert_int_equal(portal_multipart_is("multipart/form-dataX"), 0);
    assert_int_equal(portal_multipart_is("multipart/form-data; boundary=a"), 1);
}

static void garbage(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "no boundary anywhere",
        B "garbage-after-delimiter\r\n",
        B "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n" B "--", /* not form-data */
        B "\r\nContent-Type: text/plain\r\n\r\nv\r\n" B "--",                    /* no name */
        B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n" B "--",    /* open quote */
        B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\xfe\r\n" B
          "--", /* not UTF-8 */
        B "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xc0\xaf\r\n" B
          "--",                   /* overlong */
        B "\r\n\r\nv\r\n" B "--", /* no headers at all: no name */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        portal_multipart m;
        sn_err e;
        int rc = parse_s(bad[i], &m, &e);
        assert_int_equal(rc, SN_EINVALID);
        portal_multipart_fini(&m);
    }
    /* headers longer than the cap */
    char *body = malloc(PORTAL_MULTIPART_HEADERS + 200);
    assert_non_null(body);
    int n = snprintf(body, 100, B "\r\nX-Pad: ");
    memset(body + n, 'p', PORTAL_MULTIPART_HEADERS);
    n += PORTAL_MULTIPART_HEADERS;
    n += snprintf(body + n, 100, "\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n" B "--");
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse(CT, body, (size_t)n, 10, 1, &m, &e), SN_EINVALID);
    portal_multipart_fini(&m);
    free(body);
}

/* A body of many small parts parses in linear time (a quadratic scan would take seconds). */
static void many_parts_fast(void **state)
{
    (void)state;
    size_t cap = (size_t)8 << 20;
    char *body = malloc(cap);
    assert_non_null(body);
    size_t n = 0;
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(body + n, cap - n,
                              B "\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
    n += (size_t)snprintf(body + n, cap - n,
                          B "\r\nContent-Disposition: form-data; name=\"file\"; "
                            "filename=\"x.bin\"\r\n\r\n");
    size_t blob = cap - n - 64;
    for (size_t i = 0; i < blob; i++)
        body[n + i] = (i % 7 == 0) ? '-' : (i % 5 == 0) ? '\r' : 'X';
    n += blob;
    n += (size_t)snprintf(body + n, cap - n, "\r\n" B "--\r\n");
    portal_multipart m;
    sn_err e;
    assert_int_equal(parse(CT, body, n, cap, 1, &m, &e), 0);
    assert_int_equal(m.nfiles, 1);
    assert_int_equal(m.files[0].len, blob);
    assert_int_equal(json_object_size(m.fields), 60);
    portal_multipart_fini(&m);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal),
        cmocka_unit_test(several_files_binary_and_preamble),
        cmocka_unit_test(quoted_names_and_boundary),
        cmocka_unit_test(arabic_filenames),
        cmocka_unit_test(long_filename_cut_on_character),
        cmocka_unit_test(empty_file_input_skipped),
        cmocka_unit_test(missing_final_boundary),
        cmocka_unit_test(oversized_part),
        cmocka_unit_test(too_many_files),
        cmocka_unit_test(too_many_fields),
        cmocka_unit_test(wrong_content_type_or_boundary),
        cmocka_unit_test(garbage),
        cmocka_unit_test(many_parts_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
