/* email_html.c — libFuzzer driver of the gumbo allow-list sanitiser alone
 * (email_html_sanitize and email_html_to_text, src/channels/email/sanitize.c).
 *
 * Input: untrusted HTML. The first byte picks the options (remote images kept or blocked, a cid:
 * resolver or none, a small or large output cap). A sanitised result must be UTF-8 and must not
 * carry what the allow-list promises to remove: <script, on* event handlers, javascript: URLs. */
#include "channels/email/email.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *cid_url(void *arg, const char *cid)
{
    (void)arg;
    return cid[0] && cid[0] != 'x' ? "/api/v1/attachments/7/content" : NULL;
}

static void need_utf8(const char *s)
{
    json_t *j = json_string(s);
    if (!j) abort();
    json_decref(j);
}

/* What the allow-list promises to remove must not survive. The sanitiser writes every tag itself
 * (text '<' is escaped, attribute values are double-quoted with '"' escaped), so the output can
 * be scanned simply: no <script/<iframe/<svg/<style/<math tag, no on… attribute, no href/src
 * value starting with javascript:, vbscript: or data:. */
static int url_attr(const char *name, size_t n)
{
    return (n == 4 && !strncasecmp(name, "href", 4)) || (n == 3 && !strncasecmp(name, "src", 3)) ||
           (n == 6 && !strncasecmp(name, "action", 6)) ||
           (n == 10 && !strncasecmp(name, "background", 10));
}

static void check_value(const char *v)
{
    /* The scheme as a browser reads it: controls and spaces ignored, case folded. */
    char scheme[16];
    size_t n = 0;
    for (; *v && *v != '"' && *v != ':' && n < sizeof scheme - 1; v++)
        if ((unsigned char)*v > ' ' && *v != 0x7f) scheme[n++] = (char)(*v | 0x20);
    scheme[n] = '\0';
    if (*v == ':' &&
        (!strcmp(scheme, "javascript") || !strcmp(scheme, "vbscript") || !strcmp(scheme, "data")))
        abort();
}

static const char *check_tag(const char *p) /* p after '<'; returns where the tag ends */
{
    static const char *const banned[] = {"script", "iframe", "svg",  "style", "math",
                                         "object", "embed",  "form", "input", "base",
                                         "meta",   "link",   NULL};
    size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    for (int i = 0; banned[i]; i++)
        if (n == strlen(banned[i]) && !strncasecmp(p, banned[i], n)) abort();
    p += n;
    while (*p && *p != '>') {
        if (*p == ' ' || *p == '/' || *p == '\t' || *p == '\n') {
            p++;
            continue;
        }
        const char *name = p;
        while (*p && *p != '=' && *p != ' ' && *p != '>' && *p != '/')
            p++;
        size_t len = (size_t)(p - name);
        if (len > 2 && !strncasecmp(name, "on", 2)) abort();
        if (*p != '=') continue;
        p++;
        if (*p != '"') abort(); /* values are always quoted */
        const char *v = ++p, *close = strchr(v, '"');
        if (!close) abort();
        if (url_attr(name, len)) check_value(v);
        p = close + 1;
    }
    return p;
}

static void check_safe(const char *html)
{
    for (const char *p = html; (p = strchr(p, '<'));) {
        p++;
        if (*p == '/') continue;
        p = check_tag(p);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    email_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned sel = data[0];
    char *html = malloc(size);
    if (!html) return 0;
    memcpy(html, data + 1, size - 1);
    html[size - 1] = '\0';

    email_html_opts o = {sel & 1, (sel & 2) ? cid_url : NULL, NULL, (sel & 4) ? 256 : 1 << 20};
    json_t *flags = json_array();
    char *safe = NULL, *text = NULL;
    if (email_html_sanitize(html, &o, flags, &safe) == 0) {
        need_utf8(safe);
        check_safe(safe);
    }
    if (email_html_to_text(html, o.max_bytes, &text) == 0) need_utf8(text);
    free(safe);
    free(text);
    json_decref(flags);
    free(html);
    return 0;
}
