/* sanitize.c — unit tests of the email channel's pure parts: the HTML allow-list walker, HTML to
 * text, RFC 2047 subjects (split and folded words, raw 8-bit), classification, the [#NUMBER]
 * token and the Message-ID MAC. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "channels/email/email.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *clean(const char *html, json_t *flags)
{
    email_html_opts o = {0, NULL, NULL, 1 << 20};
    char *out = NULL;
    assert_int_equal(email_html_sanitize(html, &o, flags, &out), 0);
    return out;
}

static int has_flag(json_t *flags, const char *f)
{
    size_t i;
    json_t *v;
    json_array_foreach(flags, i, v) if (!strcmp(json_string_value(v), f)) return 1;
    return 0;
}

static void test_active_content(void **state)
{
    static const char *const attacks[] = {
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\" JaVa\tScRiPt:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
        "<svg onload=alert(1)><script>alert(1)</script></svg>",
        "<math><a xlink:href=\"javascript:alert(1)\">x</a></math>",
        "<p style=\"width: expression(alert(1))\">x</p>",
        "<p style=\"background: url(javascript:alert(1))\">x</p>",
        "<p style=\"color: red; -moz-binding: url(x.xml#y)\">x</p>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
        "<form action=\"https://evil.example\"><input name=p><button>go</button></form>",
        "<base href=\"https://evil.example/\"><meta http-equiv=refresh content=0>",
        "<div style=\"color: re\\64\">x</div>",
        "<scr<script>ipt>alert(1)</script>",
    };
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        json_t *flags = json_array();
        char *out = clean(attacks[i], flags);
        const char *bad[] = {"<script", "onerror", "onload", "javascript", "vbscript", "data:",
                             "<svg", "<math", "expression", "url(", "<iframe", "<object", "<embed",
                             "<form", "<input", "<base", "<meta", "binding", "\\"};
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++)
            if (strcasestr(out, bad[j])) fail_msg("%s → %s (has %s)", attacks[i], out, bad[j]);
        free(out);
        json_decref(flags);
    }
}

static void test_kept(void **state)
{
    json_t *flags = json_array();
    char *out = clean("<html dir=\"rtl\"><body><p style=\"color: #333; text-align: right\" "
                      "class=\"x\" id=\"y\">مرحبا <b>بكم</b></p><a href=\"https://x.test/a?b=1&amp;c=2\">"
                      "رابط</a><img src=\"https://t.example/p.gif\" alt=\"p\"><br></body></html>",
                      flags);
    assert_string_equal(out, "<div dir=\"rtl\"><p style=\"color: #333; text-align: right\">مرحبا "
                             "<b>بكم</b></p><a href=\"https://x.test/a?b=1&amp;c=2\" rel=\"noopener "
                             "noreferrer nofollow\" target=\"_blank\">رابط</a><img "
                             "data-remote-src=\"https://t.example/p.gif\" alt=\"p\"><br></div>");
    assert_true(has_flag(flags, "remote_images_blocked"));
    assert_false(has_flag(flags, "active_content_removed"));
    free(out);
    json_decref(flags);
}

static void test_html_to_text(void **state)
{
    char *t = NULL;
    assert_int_equal(email_html_to_text("<p>سطر  أول</p><div>second<br>third</div><script>x()"
                                        "</script><table><tr><td>a</td><td>b</td></tr></table>",
                                        4096, &t),
                     0);
    assert_string_equal(t, "سطر أول\nsecond\nthird\na b");
    free(t);
}

static email_parsed parse(const char *raw)
{
    email_limits lim = {1 << 20, 1 << 20};
    email_parsed p;
    assert_int_equal(email_parse(raw, strlen(raw), &lim, &p), 0);
    return p;
}

static void test_subject_words(void **state)
{
    /* "مرحبا" split inside its second letter across two B words; a folded Q word after raw text. */
    email_parsed p = parse("From: a@example.test\r\nSubject: =?utf-8?B?2YXY?=\r\n =?utf-8?B?sdit2KjYpw==?="
                           "\r\nMessage-ID: <s1@x>\r\n\r\nbody\r\n");
    assert_string_equal(p.subject, "مرحبا");
    email_parsed_fini(&p);
    p = parse("From: a@example.test\r\nSubject: =?windows-1256?Q?=E3=D1=CD=C8=C7?= and more\r\n\r\nb\r\n");
    assert_string_equal(p.subject, "مرحبا and more");
    email_parsed_fini(&p);
}

static void test_classify(void **state)
{
    static const struct {
        const char *header, *kind;
    } cases[] = {
        {"Auto-Submitted: auto-replied", "auto_reply"}, {"Auto-Submitted: no", "message"},
        {"X-Autoreply: yes", "auto_reply"},             {"Precedence: bulk", "bulk"},
        {"Precedence: list", "bulk"},                   {"Precedence: auto_reply", "auto_reply"},
        {"List-Id: <news.example>", "bulk"},            {"X-Other: 1", "message"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char raw[256];
        snprintf(raw, sizeof raw, "From: a@example.test\r\n%s\r\nSubject: s\r\n\r\nbody\r\n", cases[i].header);
        email_parsed p = parse(raw);
        if (strcmp(p.kind, cases[i].kind)) fail_msg("%s → %s", cases[i].header, p.kind);
        email_parsed_fini(&p);
    }
}

static void test_token(void **state)
{
    char n[32];
    email_subject_token("Re: طلب [#SND-000123] شكرا", n, sizeof n);
    assert_string_equal(n, "SND-000123");
    email_subject_token("Re: SND-000123 [#] [#x]", n, sizeof n);
    assert_string_equal(n, "");
}

static void test_msgid(void **state)
{
    char dir[] = "/tmp/sanad-unit-mail.XXXXXX", id[200];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(email_msgid_make(dir, 42, "sanad.test", id, sizeof id), 0);
    assert_int_equal(email_msgid_verify(dir, id), 42);
    char forged[200];
    snprintf(forged, sizeof forged, "%s", id);
    forged[strlen("sanad.")] = '7'; /* another row, same MAC */
    assert_int_equal(email_msgid_verify(dir, forged), 0);
    assert_int_equal(email_msgid_verify(dir, "sanad.42.00000000.0000000000000000@sanad.test"), 0);
    assert_int_equal(email_msgid_verify(dir, "someone@example.test"), 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Valid UTF-8 (no stray continuation, no cut sequence) — what jansson and PostgreSQL demand. */
static int utf8_ok(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

/* Past max_bytes the output is cut where a character or a tag ended: never inside an Arabic
 * letter (invalid UTF-8: PostgreSQL refuses the message, the JSON API cannot show it) nor inside
 * a tag. Found by fuzz/email_html.c. */
static void test_cap_keeps_whole_characters(void **state)
{
    char html[4096] = "<p dir=\"rtl\"><b>";
    for (int i = 0; i < 300; i++)
        strncat(html, i % 40 == 39 ? "<a href=\"https://x.test/\">\xd8\xb9</a>" : "\xd8\xb9",
                sizeof html - strlen(html) - 1);
    for (size_t cap = 40; cap < 300; cap++) {
        email_html_opts o = {0, NULL, NULL, cap};
        json_t *flags = json_array();
        char *out = NULL, *text = NULL;
        assert_int_equal(email_html_sanitize(html, &o, flags, &out), 0);
        assert_true(strlen(out) <= cap);
        assert_true(utf8_ok(out));
        assert_true(has_flag(flags, "truncated"));
        const char *lt = strrchr(out, '<'), *gt = strrchr(out, '>');
        assert_true(!lt || (gt && gt > lt)); /* no tag left open */
        assert_int_equal(email_html_to_text(html, cap, &text), 0);
        assert_true(strlen(text) <= cap);
        assert_true(utf8_ok(text));
        free(out);
        free(text);
        json_decref(flags);
    }
}

/* An attachment with no bytes: kept with len 0 and a buffer (memcpy from GMime's NULL data was
 * undefined behaviour, fatal under `make asan`). Found by fuzz/email_mime.c. */
static void test_empty_attachment(void **state)
{
    email_parsed p =
        parse("From: a@example.test\r\nSubject: empty\r\nMessage-ID: <e1@x>\r\n"
              "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
              "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
              "--b\r\nContent-Type: application/pdf\r\n"
              "Content-Disposition: attachment; filename=\"empty.pdf\"\r\n\r\n"
              "--b--\r\n");
    assert_int_equal(p.nfiles, 1);
    assert_string_equal(p.files[0].filename, "empty.pdf");
    assert_int_equal(p.files[0].len, 0);
    assert_non_null(p.files[0].data);
    email_parsed_fini(&p);
}

/* Declared UTF-8 holding a code point past U+10FFFF (F6 BC 90 91): iconv let it through as
 * "converted", and the text and subject were not UTF-8. Found by fuzz/email_mime.c. */
static void test_declared_utf8_beyond_unicode(void **state)
{
    email_parsed p =
        parse("From: a@example.test\r\nSubject: =?utf-8?B?2LnZhfa8kJE=?= x\r\n"
              "Message-ID: <u1@x>\r\nMIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n\r\n"
              "\xd8\xb9\xd9\x85\xf6\xbc\x90\x91 \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7\r\n");
    assert_non_null(p.text);
    assert_true(utf8_ok(p.text));
    assert_non_null(p.subject);
    assert_true(utf8_ok(p.subject));
    email_parsed_fini(&p);
}

/* A multipart with no boundary and 8-bit bytes in a parameter name: asking GMime for the
 * boundary made one up and re-encoded the header, which took minutes and gigabytes for these 110
 * bytes. Parsed in a child with a deadline so the test fails rather than hangs. Found by
 * fuzz/email_mime.c. */
static void test_multipart_without_boundary(void **state)
{
    static const char raw[] = "From: reem@e_xample.test\r\nContent-Type: multipart/related; bound"
                              "\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3"
                              "\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3\xb3"
                              "ary=\"rel1\xa2\r\n\r\n";
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(5);
        email_limits lim = {1 << 20, 1 << 20};
        email_parsed p;
        int ok = email_parse(raw, sizeof raw - 1, &lim, &p) == 0 &&
                 has_flag(p.flags, "missing_boundary");
        email_parsed_fini(&p);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    email_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_active_content), cmocka_unit_test(test_kept),
        cmocka_unit_test(test_html_to_text),   cmocka_unit_test(test_subject_words),
        cmocka_unit_test(test_classify),       cmocka_unit_test(test_token),
        cmocka_unit_test(test_msgid),
        cmocka_unit_test(test_cap_keeps_whole_characters),
        cmocka_unit_test(test_empty_attachment),
        cmocka_unit_test(test_declared_utf8_beyond_unicode),
        cmocka_unit_test(test_multipart_without_boundary),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    email_fini();
    return rc;
}
