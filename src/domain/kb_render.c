/* kb_render.c — article Markdown to safe HTML (md4c, raw HTML off) and to the plain text that is
 * indexed; slugs and public URLs. */
#include "kb.h"

#include "../search/normalize.h"

#include <md4c-html.h>
#include <md4c.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MD_FLAGS (MD_FLAG_NOHTML | MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_PERMISSIVEURLAUTOLINKS)

struct html_out {
    buf *out;
    int failed;
};

static void html_chunk(const MD_CHAR *text, MD_SIZE size, void *arg)
{
    struct html_out *h = arg;
    if (!h->failed && buf_append(h->out, text, size) < 0) h->failed = 1;
}

/* Whether an attribute value is a link target we allow: http(s), mailto, tel, or a relative
 * reference (no scheme before the first / ? #). */
static int safe_target(const char *v, size_t len)
{
    static const char *const ok[] = {"http://", "https://", "mailto:", "tel:"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (len >= strlen(ok[i]) && !strncasecmp(v, ok[i], strlen(ok[i]))) return 1;
    for (size_t i = 0; i < len; i++) {
        if (v[i] == '/' || v[i] == '?' || v[i] == '#') return 1;
        if (v[i] == ':' || v[i] == '&') return 0; /* a scheme, or an entity hiding one */
    }
    return 1;
}

/* Replace disallowed href/src values of md4c's output (the only attributes it writes from
 * user input) with "#". */
static void neutralise_links(buf *b, size_t from)
{
    static const char *const attrs[] = {"href=\"", "src=\""};
    for (size_t a = 0; a < 2; a++) {
        char *p = b->data + from;
        while ((p = strstr(p, attrs[a])) != NULL) {
            char *v = p + strlen(attrs[a]), *end = strchr(v, '"');
            if (!end) break;
            if (!safe_target(v, (size_t)(end - v))) {
                *v = '#';
                memmove(v + 1, end, strlen(end) + 1);
                b->len -= (size_t)(end - v) - 1;
                end = v + 1;
            }
            p = end;
        }
    }
}

int kb_markdown_html(const char *md, buf *out)
{
    struct html_out h = {out, 0};
    size_t start = out->len;
    if (md_html(md, (MD_SIZE)strlen(md), html_chunk, &h, MD_FLAGS, 0) != 0 || h.failed) return -1;
    if (out->data) neutralise_links(out, start);
    return 0;
}

/* ---- plain text ----------------------------------------------------------------------------- */

static int text_block(MD_BLOCKTYPE type, void *detail, void *arg)
{
    struct html_out *h = arg;
    if (!h->failed && h->out->len && buf_append(h->out, "\n", 1) < 0) h->failed = 1;
    return 0;
}

static int text_span(MD_SPANTYPE type, void *detail, void *arg)
{
    return 0;
}

static int text_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *arg)
{
    struct html_out *h = arg;
    int rc = 0;
    if (type == MD_TEXT_BR || type == MD_TEXT_SOFTBR) rc = buf_append(h->out, " ", 1);
    else if (type == MD_TEXT_NULLCHAR || type == MD_TEXT_ENTITY) rc = buf_append(h->out, " ", 1);
    else rc = buf_append(h->out, text, size);
    if (rc < 0) h->failed = 1;
    return 0;
}

int kb_markdown_text(const char *md, buf *out)
{
    struct html_out h = {out, 0};
    MD_PARSER p = {0, MD_FLAGS, text_block, text_block, text_span, text_span, text_text, NULL, NULL};
    if (md_parse(md, (MD_SIZE)strlen(md), &p, &h) != 0 || h.failed) return -1;
    if (!out->data) return buf_puts(out, "");
    return 0;
}

/* ---- slugs and URLs ------------------------------------------------------------------------- */

void kb_slugify(const char *title, char *out, size_t cap)
{
    char *n = text_normalize_dup(title);
    size_t w = 0;
    size_t max = cap - 1 < 80 ? cap - 1 : 80;
    if (n) {
        for (const char *p = n; *p && w < max;) {
            const char *sp = strchr(p, ' ');
            size_t l = sp ? (size_t)(sp - p) : strlen(p);
            if (w + l + (w > 0) > max) break;
            if (w > 0) out[w++] = '-';
            memcpy(out + w, p, l);
            w += l;
            p += l + (sp != NULL);
        }
    }
    free(n);
    if (w == 0) w = (size_t)snprintf(out, cap, "article");
    out[w < cap ? w : cap - 1] = '\0';
}

void kb_public_url(const char *lang, const char *slug, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t w = (size_t)snprintf(out, cap, "%s", strcmp(lang, "en") ? "/help/articles/" : "/help/en/articles/");
    for (const unsigned char *p = (const unsigned char *)slug; *p && w + 4 < cap; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-') {
            out[w++] = (char)*p;
        } else {
            out[w++] = '%';
            out[w++] = hex[*p >> 4];
            out[w++] = hex[*p & 15];
        }
    }
    out[w < cap ? w : cap - 1] = '\0';
}
