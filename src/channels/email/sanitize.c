/* sanitize.c — untrusted email HTML → safe HTML, by an allow-list walk over gumbo's HTML5 tree.
 *
 * What comes out: only the elements of `allowed_tags` (others are unwrapped: their text stays),
 * only the attributes of `allowed_attrs` (plus href on a, src/alt on img), URLs only with the
 * schemes http, https, mailto, tel (cid: for images, resolved to our download URL), inline CSS
 * only for listed properties with plain values (no url(), expression(), escapes or comments).
 * Dropped with their content: script, style, iframe, object, embed, form controls, every SVG and
 * MathML subtree, head. Remote images are blocked unless allowed (their URL is kept in
 * data-remote-src so the agent may choose to load it). dir="rtl|ltr|auto" is kept, and a dir on
 * <html> or <body> wraps the output. */
#include "email.h"

#include "../../core/buf.h"

#include <ctype.h>
#include <gumbo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const allowed_tags[] = {
    "a", "abbr", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "samp", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "tt", "u", "ul", "wbr"};

/* Dropped with everything inside. The first group is active content (flagged). */
static const char *const active_tags[] = {"script", "iframe", "frame", "frameset", "object", "embed",
                                          "applet", "form", "input", "button", "select", "textarea",
                                          "meta", "link", "base", "noscript", "template", "svg",
                                          "math", "audio", "video", "source", "track", "portal"};
static const char *const silent_tags[] = {"style", "head", "title", "noembed", "noframes", "xml"};

static const char *const void_tags[] = {"br", "col", "hr", "img", "wbr"};

static const char *const allowed_attrs[] = {
    "align", "alt", "bgcolor", "border", "cellpadding", "cellspacing", "color", "colspan", "dir",
    "face", "height", "lang", "rowspan", "size", "span", "start", "style", "summary", "title",
    "type", "valign", "width"};

static const char *const css_props[] = {
    "background-color", "border", "border-bottom", "border-collapse", "border-color",
    "border-left", "border-right", "border-spacing", "border-style", "border-top", "border-width",
    "color", "direction", "font", "font-family", "font-size", "font-style", "font-weight",
    "height", "letter-spacing", "line-height", "list-style-type", "margin", "margin-bottom",
    "margin-left", "margin-right", "margin-top", "max-width", "min-width", "padding",
    "padding-bottom", "padding-left", "padding-right", "padding-top", "text-align",
    "text-decoration", "text-indent", "text-transform", "unicode-bidi", "vertical-align",
    "white-space", "width", "word-spacing"};

#define IN(list, s) in_list(list, sizeof list / sizeof list[0], s)

static int in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(list[i], s)) return 1;
    return 0;
}

typedef struct san {
    const email_html_opts *o;
    json_t *flags;
    buf out;
    int overflow;
    size_t mark; /* out.len at the end of the last whole tag or character of text: where the
                    output is cut when it passes max_bytes, so it never ends inside a tag or a
                    UTF-8 sequence */
} san;

static void flag(san *s, const char *f)
{
    size_t i;
    json_t *v;
    if (!s->flags) return;
    json_array_foreach(s->flags, i, v) if (!strcmp(json_string_value(v), f)) return;
    json_array_append_new(s->flags, json_string(f));
}

static void put(san *s, const char *text)
{
    if (!s->overflow && buf_puts(&s->out, text) < 0) s->overflow = 1;
}

static void set_mark(san *s)
{
    if (!s->overflow) s->mark = s->out.len;
}

/* Bytes of the UTF-8 sequence starting at t (1 for a stray byte), never past its NUL. */
static size_t utf8_seq(const char *t)
{
    unsigned char c = (unsigned char)*t;
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1, i = 1;
    while (i < n && ((unsigned char)t[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* Text (attr 0) or an attribute value (attr 1), escaped; whole characters at a time. */
static void put_escaped(san *s, const char *t, int attr)
{
    while (*t && !s->overflow) {
        size_t n = 1;
        switch (*t) {
        case '&': put(s, "&amp;"); break;
        case '<': put(s, "&lt;"); break;
        case '>': put(s, "&gt;"); break;
        case '"': put(s, attr ? "&quot;" : "\""); break;
        default:
            n = utf8_seq(t);
            if (buf_append(&s->out, t, n) < 0) s->overflow = 1;
        }
        t += n;
        if (!attr) set_mark(s);
    }
}

static const char *tag_name(const GumboNode *n, char *tmp, size_t size)
{
    if (n->v.element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(n->v.element.tag);
    GumboStringPiece p = n->v.element.original_tag;
    gumbo_tag_from_original_text(&p);
    size_t len = p.length < size - 1 ? p.length : size - 1;
    for (size_t i = 0; i < len; i++) tmp[i] = (char)tolower((unsigned char)p.data[i]);
    tmp[len] = '\0';
    return tmp;
}

/* The scheme of a URL as a browser reads it (tabs, newlines and controls ignored, case folded);
 * "" when the URL has none (relative). */
static void url_scheme(const char *url, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = url; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == 0x7f) continue;
        if (c == ':') {
            out[n] = '\0';
            return;
        }
        if (c == '/' || c == '?' || c == '#') break;
        if (n + 1 < size) out[n++] = (char)tolower(c);
    }
    out[0] = '\0';
}

static int scheme_is(const char *url, const char *a, const char *b, const char *c, const char *d)
{
    char s[32];
    url_scheme(url, s, sizeof s);
    const char *ok[] = {a, b, c, d};
    for (size_t i = 0; i < 4; i++)
        if (ok[i] && !strcmp(s, ok[i])) return 1;
    return 0;
}

static int is_active_scheme(const char *url)
{
    char s[32];
    url_scheme(url, s, sizeof s);
    return !strcmp(s, "javascript") || !strcmp(s, "vbscript") || !strcmp(s, "data") ||
           !strcmp(s, "livescript") || !strcmp(s, "mocha");
}

/* Every "(" must open rgb()/rgba()/hsl()/hsla(); no escapes, comments, url, expression. */
static int css_value_ok(const char *v, int *active)
{
    char low[512];
    size_t n = strlen(v);
    if (n >= sizeof low) return 0;
    for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)v[i]);
    static const char *const bad[] = {"expression", "url", "script", "behavior", "behaviour",
                                      "binding", "import", "\\", "/*", "<", "&", "@", "{", "}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strstr(low, bad[i])) {
            *active = 1;
            return 0;
        }
    for (const char *p = strchr(low, '('); p; p = strchr(p + 1, '(')) {
        const char *q = p;
        while (q > low && isalpha((unsigned char)q[-1])) q--;
        size_t len = (size_t)(p - q);
        if (!((len == 3 && (!strncmp(q, "rgb", 3) || !strncmp(q, "hsl", 3))) ||
              (len == 4 && (!strncmp(q, "rgba", 4) || !strncmp(q, "hsla", 4)))))
            return 0;
    }
    return 1;
}

/* The allowed declarations of a style attribute, re-serialised; "" when none is left. */
static void clean_style(san *s, const char *style, buf *out)
{
    char *copy = strdup(style);
    if (!copy) return;
    int active = 0;
    for (char *decl = copy, *next; decl; decl = next) {
        next = strchr(decl, ';');
        if (next) *next++ = '\0';
        char *colon = strchr(decl, ':');
        if (!colon) continue;
        *colon = '\0';
        char *prop = decl, *val = colon + 1;
        while (isspace((unsigned char)*prop)) prop++;
        for (char *e = prop + strlen(prop); e > prop && isspace((unsigned char)e[-1]);) *--e = '\0';
        while (isspace((unsigned char)*val)) val++;
        for (char *e = val + strlen(val); e > val && isspace((unsigned char)e[-1]);) *--e = '\0';
        for (char *p = prop; *p; p++) *p = (char)tolower((unsigned char)*p);
        if (!IN(css_props, prop) || !*val || !css_value_ok(val, &active)) continue;
        buf_printf(out, "%s%s: %s", out->len ? "; " : "", prop, val);
    }
    free(copy);
    if (active) flag(s, "active_content_removed");
}

static void put_attr(san *s, const char *name, const char *value)
{
    put(s, " ");
    put(s, name);
    put(s, "=\"");
    put_escaped(s, value, 1);
    put(s, "\"");
}

static int dir_ok(const char *v)
{
    return !strcasecmp(v, "rtl") || !strcasecmp(v, "ltr") || !strcasecmp(v, "auto");
}

static void img_src(san *s, const char *src)
{
    if (scheme_is(src, "cid", NULL, NULL, NULL)) {
        const char *cid = strchr(src, ':') + 1;
        const char *url = s->o->cid ? s->o->cid(s->o->cid_arg, cid) : NULL;
        if (url) put_attr(s, "src", url);
    } else if (scheme_is(src, "http", "https", NULL, NULL)) {
        if (s->o->remote_images) {
            put_attr(s, "src", src);
        } else {
            put_attr(s, "data-remote-src", src);
            flag(s, "remote_images_blocked");
        }
    } else if (is_active_scheme(src)) {
        flag(s, "active_content_removed");
    }
}

static void put_attrs(san *s, const char *tag, const GumboVector *attrs)
{
    int is_a = !strcmp(tag, "a"), href = 0;
    for (unsigned i = 0; i < attrs->length; i++) {
        const GumboAttribute *a = attrs->data[i];
        const char *name = a->name, *value = a->value;
        if (!strncasecmp(name, "on", 2)) {
            flag(s, "active_content_removed");
        } else if (is_a && !strcmp(name, "href")) {
            if (scheme_is(value, "http", "https", "mailto", "tel")) {
                put_attr(s, "href", value);
                href = 1;
            } else if (is_active_scheme(value)) {
                flag(s, "active_content_removed");
            }
        } else if (!strcmp(tag, "img") && !strcmp(name, "src")) {
            img_src(s, value);
        } else if (!strcmp(name, "style")) {
            buf css;
            buf_init(&css, 4096);
            clean_style(s, value, &css);
            if (css.len) put_attr(s, "style", css.data);
            buf_fini(&css);
        } else if (!strcmp(name, "dir")) {
            if (dir_ok(value)) put_attr(s, "dir", value);
        } else if (IN(allowed_attrs, name)) {
            put_attr(s, name, value);
        } else if (!strcmp(name, "href") || !strcmp(name, "src") || !strcmp(name, "background") ||
                   !strcmp(name, "action") || !strcmp(name, "formaction")) {
            if (is_active_scheme(value)) flag(s, "active_content_removed");
        }
    }
    if (href) put(s, " rel=\"noopener noreferrer nofollow\" target=\"_blank\"");
}

static void walk(san *s, const GumboNode *n, int depth);

static void walk_children(san *s, const GumboVector *children, int depth)
{
    for (unsigned i = 0; i < children->length && !s->overflow; i++)
        walk(s, children->data[i], depth + 1);
}

static void walk_element(san *s, const GumboNode *n, int depth)
{
    char tmp[64];
    const GumboElement *el = &n->v.element;
    if (el->tag_namespace != GUMBO_NAMESPACE_HTML) { /* an SVG or MathML subtree */
        flag(s, "active_content_removed");
        return;
    }
    const char *tag = tag_name(n, tmp, sizeof tmp);
    if (IN(active_tags, tag)) {
        flag(s, "active_content_removed");
        return;
    }
    if (IN(silent_tags, tag)) return;
    if (!IN(allowed_tags, tag)) { /* html, body, unknown: keep what they contain */
        walk_children(s, &el->children, depth);
        return;
    }
    put(s, "<");
    put(s, tag);
    put_attrs(s, tag, &el->attributes);
    put(s, ">");
    set_mark(s);
    if (IN(void_tags, tag)) return;
    walk_children(s, &el->children, depth);
    put(s, "</");
    put(s, tag);
    put(s, ">");
    set_mark(s);
}

static void walk(san *s, const GumboNode *n, int depth)
{
    if (depth > 200) return;
    switch (n->type) {
    case GUMBO_NODE_DOCUMENT:
        walk_children(s, &n->v.document.children, depth);
        break;
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE:
        walk_element(s, n, depth);
        break;
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_WHITESPACE:
    case GUMBO_NODE_CDATA:
        put_escaped(s, n->v.text.text, 0);
        break;
    default: /* comments */
        break;
    }
}

/* dir of <body>, else of <html>; NULL when neither says. */
static const char *document_dir(const GumboOutput *g)
{
    const GumboNode *html = g->root;
    const GumboAttribute *a = gumbo_get_attribute(&html->v.element.attributes, "dir");
    const char *dir = a && dir_ok(a->value) ? a->value : NULL;
    const GumboVector *kids = &html->v.element.children;
    for (unsigned i = 0; i < kids->length; i++) {
        const GumboNode *k = kids->data[i];
        if (k->type == GUMBO_NODE_ELEMENT && k->v.element.tag == GUMBO_TAG_BODY) {
            a = gumbo_get_attribute(&k->v.element.attributes, "dir");
            if (a && dir_ok(a->value)) dir = a->value;
        }
    }
    return dir;
}

int email_html_sanitize(const char *html, const email_html_opts *o, json_t *flags, char **out)
{
    san s = {o, flags, {0}, 0, 0};
    buf_init(&s.out, o->max_bytes ? o->max_bytes : (4u << 20));
    GumboOutput *g = gumbo_parse_with_options(&kGumboDefaultOptions, html, strlen(html));
    if (!g) return SN_EINTERNAL;
    const char *dir = document_dir(g);
    if (dir) {
        put(&s, "<div dir=\"");
        put(&s, dir);
        put(&s, "\">");
        set_mark(&s);
    }
    walk(&s, g->document, 0);
    if (dir) put(&s, "</div>");
    gumbo_destroy_output(&kGumboDefaultOptions, g);
    if (s.overflow) { /* cut where a tag or a character ended, never inside one */
        flag(&s, "truncated");
        s.out.len = s.mark;
        if (s.out.data) s.out.data[s.mark] = '\0';
    }
    *out = buf_steal(&s.out);
    if (!*out) *out = strdup("");
    return *out ? 0 : SN_EINTERNAL;
}

/* ---------------------------------------------------------------------------------------------
 * HTML → text. */

static const char *const block_tags[] = {"address", "article", "blockquote", "br", "dd", "div",
                                         "dl", "dt", "footer", "h1", "h2", "h3", "h4", "h5",
                                         "h6", "header", "hr", "li", "ol", "p", "pre", "section",
                                         "table", "tr", "ul"};

typedef struct text_walk {
    buf *out;
    int space; /* a space is pending */
    int full;  /* the cap was reached: the text ends at the last whole character */
} text_walk;

static void text_newline(text_walk *t)
{
    if (t->out->len && t->out->data[t->out->len - 1] != '\n') buf_puts(t->out, "\n");
    t->space = 0;
}

static void text_node(text_walk *t, const char *s)
{
    for (; *s; s++) {
        if (isspace((unsigned char)*s)) {
            t->space = 1;
            continue;
        }
        if (t->space && t->out->len && t->out->data[t->out->len - 1] != '\n') buf_puts(t->out, " ");
        t->space = 0;
        size_t n = utf8_seq(s); /* whole characters: the cap never splits one */
        if (buf_append(t->out, s, n) < 0) {
            t->full = 1;
            return;
        }
        s += n - 1;
    }
}

static void text_walk_node(text_walk *t, const GumboNode *n, int depth)
{
    if (depth > 200 || t->full) return;
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
        text_node(t, n->v.text.text);
        return;
    }
    if (n->type == GUMBO_NODE_WHITESPACE) {
        t->space = 1;
        return;
    }
    const GumboVector *kids = n->type == GUMBO_NODE_DOCUMENT ? &n->v.document.children
                              : (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
                                  ? &n->v.element.children
                                  : NULL;
    if (!kids) return;
    char tmp[64];
    const char *tag = n->type == GUMBO_NODE_DOCUMENT ? "" : tag_name(n, tmp, sizeof tmp);
    if (n->type != GUMBO_NODE_DOCUMENT &&
        (n->v.element.tag_namespace != GUMBO_NAMESPACE_HTML || IN(active_tags, tag) ||
         IN(silent_tags, tag)))
        return;
    int block = IN(block_tags, tag);
    if (block) text_newline(t);
    for (unsigned i = 0; i < kids->length; i++) text_walk_node(t, kids->data[i], depth + 1);
    if (block || !strcmp(tag, "td") || !strcmp(tag, "th")) {
        if (!strcmp(tag, "td") || !strcmp(tag, "th")) t->space = 1;
        else text_newline(t);
    }
}

int email_html_to_text(const char *html, size_t max_bytes, char **out)
{
    buf b;
    buf_init(&b, max_bytes ? max_bytes : (4u << 20));
    text_walk t = {&b, 0, 0};
    GumboOutput *g = gumbo_parse_with_options(&kGumboDefaultOptions, html, strlen(html));
    if (!g) return SN_EINTERNAL;
    text_walk_node(&t, g->document, 0);
    gumbo_destroy_output(&kGumboDefaultOptions, g);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' ')) b.data[--b.len] = '\0';
    *out = buf_steal(&b);
    if (!*out) *out = strdup("");
    return *out ? 0 : SN_EINTERNAL;
}
