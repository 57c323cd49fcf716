/* mustache.c — Mustache templates: a one-pass parser into a flat node list, and a renderer that
 * walks that list against a stack of jansson contexts.
 *
 * Owns: the parser (delimiters, tag kinds, standalone lines, section matching, syntax errors with
 * positions), value lookup on the context stack, interpolation and HTML escaping, partials with
 * indentation and a depth limit. Does not own: template storage or which names are allowed.
 *
 * Parsed form. A template becomes an array of nodes in source order. A section or inverted
 * section node is followed by the nodes of its body and records in `end` the index of the first
 * node after that body, so a body is the index range (i + 1, end) and skipping a section is
 * `i = end`. Nodes point into the source text (nothing is copied), so the source must outlive
 * the node array.
 *
 * Standalone lines (spec): a section, inverted, closing, comment, partial or set-delimiter tag
 * that is the only thing on its line apart from spaces and tabs takes the whole line with it:
 * the blanks before it and the line ending after it are not rendered. For a standalone partial
 * those blanks become the partial's indentation, prepended to each of its lines. */
#include "core/mustache.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Parsed template. */

enum node_kind { NODE_TEXT, NODE_VAR, NODE_RAW, NODE_SECTION, NODE_INVERTED, NODE_PARTIAL };

typedef struct node {
    enum node_kind kind;
    const char *str;    /* text, or the tag's name; not NUL-terminated */
    size_t len;
    const char *indent; /* partial: blanks before a standalone partial tag */
    size_t indent_len;
    size_t end;         /* section: index of the first node after its body */
    size_t at;          /* source offset of the tag, for messages */
} node;

typedef struct tree {
    node *v;
    size_t n, cap;
} tree;

static int tree_push(tree *t, const node *n)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        node *v = realloc(t->v, cap * sizeof *v);
        if (!v) return -1;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *n;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Parser. */

typedef struct parser {
    const char *src;
    const char *what;                /* "template" or "partial 'x'", for messages */
    size_t pos;                      /* next source byte not yet turned into nodes */
    char otag[MUSTACHE_DELIM_MAX + 1];
    char ctag[MUSTACHE_DELIM_MAX + 1];
    size_t open[MUSTACHE_NEST_MAX];  /* node indexes of the sections still open */
    int depth;
    tree *t;
    sn_err *e;
} parser;

/* One tag as scanned from the source. */
typedef struct tag {
    char type;           /* 0 for a variable, else one of # ^ / ! > & { = */
    size_t start, end;   /* first byte of the opening delimiter, byte after the closing one */
    const char *body;    /* between the sigil and the closing delimiter, blanks trimmed */
    size_t body_len;
} tag;

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *len)
{
    while (*len && is_space((*s)[0])) (*s)++, (*len)--;
    while (*len && is_space((*s)[*len - 1])) (*len)--;
}

/* Line and column (in UTF-8 characters), both from 1, of source offset `off`. */
static void position(const char *src, size_t off, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < off; i++) {
        if (src[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)src[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int syntax_error(parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int syntax_error(parser *p, size_t off, const char *fmt, ...)
{
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    int line, col;
    position(p->src, off, &line, &col);
    return sn_fail(p->e, SN_EINVALID, NULL, "%s in %s at line %d, column %d", detail, p->what,
                   line, col);
}

static int out_of_memory(sn_err *e)
{
    return sn_fail(e, SN_EINTERNAL, NULL, "out of memory while processing a template");
}

/* Names shown in messages are cut short so the message always fits. */
static int shown(size_t len)
{
    return len > 60 ? 60 : (int)len;
}

/* Scan the tag whose opening delimiter starts at `start`. */
static int scan_tag(parser *p, size_t start, tag *tg)
{
    const char *s = p->src;
    size_t i = start + strlen(p->otag);
    char type = (s[i] && strchr("#^/!>&{=", s[i])) ? s[i] : 0;
    if (type) i++;
    char close[MUSTACHE_DELIM_MAX + 2];
    snprintf(close, sizeof close, "%s%s", type == '{' ? "}" : type == '=' ? "=" : "", p->ctag);
    const char *hit = strstr(s + i, close);
    if (!hit) return syntax_error(p, start, "unclosed tag (no \"%s\")", close);
    tg->type = type;
    tg->start = start;
    tg->end = (size_t)(hit - s) + strlen(close);
    tg->body = s + i;
    tg->body_len = (size_t)(hit - (s + i));
    trim(&tg->body, &tg->body_len);
    return 0;
}

/* A tag name: not empty, not too long, no blanks inside. */
static int check_name(parser *p, const tag *tg)
{
    if (tg->body_len == 0) return syntax_error(p, tg->start, "empty tag name");
    if (tg->body_len > MUSTACHE_NAME_MAX)
        return syntax_error(p, tg->start, "tag name longer than %d bytes", MUSTACHE_NAME_MAX);
    for (size_t i = 0; i < tg->body_len; i++)
        if (is_space(tg->body[i]))
            return syntax_error(p, tg->start, "space inside tag name \"%.*s\"",
                                shown(tg->body_len), tg->body);
    return 0;
}

/* Copy one delimiter token of a set-delimiter tag into `dst`; 0 or -1 if it is unusable. */
static int take_delim(char *dst, const char *s, size_t len)
{
    if (len == 0 || len > MUSTACHE_DELIM_MAX) return -1;
    for (size_t i = 0; i < len; i++)
        if (is_space(s[i]) || s[i] == '=') return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

/* {{=open close=}}: the body holds two blank-separated delimiters. */
static int set_delims(parser *p, const tag *tg)
{
    size_t first = 0;
    while (first < tg->body_len && !is_space(tg->body[first])) first++;
    const char *rest = tg->body + first;
    size_t rest_len = tg->body_len - first;
    trim(&rest, &rest_len);
    char o[MUSTACHE_DELIM_MAX + 1], c[MUSTACHE_DELIM_MAX + 1];
    if (take_delim(o, tg->body, first) < 0 || take_delim(c, rest, rest_len) < 0)
        return syntax_error(p, tg->start, "bad delimiter change \"%.*s\" (want two delimiters "
                            "of 1-%d characters without spaces or '=')",
                            shown(tg->body_len), tg->body, MUSTACHE_DELIM_MAX);
    memcpy(p->otag, o, sizeof o);
    memcpy(p->ctag, c, sizeof c);
    return 0;
}

/* Whether the tag stands alone on its line. If so, `*line_start` is where its line begins and
 * `*next` the byte after its line ending (or the end of the source). */
static int standalone(const char *s, const tag *tg, size_t *line_start, size_t *next)
{
    if (!tg->type || !strchr("#^/!>=", tg->type)) return 0;
    size_t a = tg->start;
    while (a > 0 && is_blank(s[a - 1])) a--;
    if (a > 0 && s[a - 1] != '\n') return 0;
    size_t b = tg->end;
    while (is_blank(s[b])) b++;
    if (s[b] == '\r' && s[b + 1] == '\n') b += 2;
    else if (s[b] == '\n') b++;
    else if (s[b] != '\0') return 0;
    *line_start = a;
    *next = b;
    return 1;
}

static int push(parser *p, enum node_kind kind, const char *str, size_t len, size_t at)
{
    node n = {.kind = kind, .str = str, .len = len, .at = at};
    if (tree_push(p->t, &n) < 0) return out_of_memory(p->e);
    return 0;
}

static int push_text(parser *p, size_t from, size_t to)
{
    if (to <= from) return 0;
    return push(p, NODE_TEXT, p->src + from, to - from, from);
}

static int open_section(parser *p, const tag *tg)
{
    if (p->depth == MUSTACHE_NEST_MAX)
        return syntax_error(p, tg->start, "sections nested deeper than %d", MUSTACHE_NEST_MAX);
    enum node_kind kind = tg->type == '#' ? NODE_SECTION : NODE_INVERTED;
    int rc = push(p, kind, tg->body, tg->body_len, tg->start);
    if (rc) return rc;
    p->open[p->depth++] = p->t->n - 1;
    return 0;
}

static int close_section(parser *p, const tag *tg)
{
    if (p->depth == 0)
        return syntax_error(p, tg->start, "closing tag \"/%.*s\" without an open section",
                            shown(tg->body_len), tg->body);
    node *n = &p->t->v[p->open[p->depth - 1]];
    if (n->len != tg->body_len || memcmp(n->str, tg->body, n->len) != 0)
        return syntax_error(p, tg->start, "section \"%.*s\" closed by \"/%.*s\"",
                            shown(n->len), n->str, shown(tg->body_len), tg->body);
    n->end = p->t->n;
    p->depth--;
    return 0;
}

/* Turn one scanned tag into nodes. `indent_from` is where a partial's indentation starts. */
static int handle_tag(parser *p, const tag *tg, size_t indent_from)
{
    if (tg->type == '!') return 0;
    if (tg->type == '=') return set_delims(p, tg);
    int rc = check_name(p, tg);
    if (rc) return rc;
    switch (tg->type) {
    case '#':
    case '^': return open_section(p, tg);
    case '/': return close_section(p, tg);
    case '&':
    case '{': return push(p, NODE_RAW, tg->body, tg->body_len, tg->start);
    case '>':
        rc = push(p, NODE_PARTIAL, tg->body, tg->body_len, tg->start);
        if (rc) return rc;
        p->t->v[p->t->n - 1].indent = p->src + indent_from;
        p->t->v[p->t->n - 1].indent_len = tg->start - indent_from;
        return 0;
    default: return push(p, NODE_VAR, tg->body, tg->body_len, tg->start);
    }
}

static int finish(parser *p)
{
    int rc = push_text(p, p->pos, strlen(p->src));
    if (rc) return rc;
    if (p->depth > 0) {
        const node *n = &p->t->v[p->open[p->depth - 1]];
        return syntax_error(p, n->at, "unclosed section \"%.*s\"", shown(n->len), n->str);
    }
    return 0;
}

static int parse(parser *p)
{
    for (;;) {
        const char *hit = strstr(p->src + p->pos, p->otag);
        if (!hit) return finish(p);
        tag tg = {0};
        int rc = scan_tag(p, (size_t)(hit - p->src), &tg);
        if (rc) return rc;
        size_t line_start = tg.start, next = tg.end;
        standalone(p->src, &tg, &line_start, &next);
        rc = push_text(p, p->pos, line_start);
        if (!rc) rc = handle_tag(p, &tg, line_start);
        if (rc) return rc;
        p->pos = next;
    }
}

/* Parse `src` into `t` (which the caller frees with free(t->v), also on error). */
static int parse_source(const char *src, const char *what, tree *t, sn_err *e)
{
    parser p = {.src = src, .what = what, .t = t, .e = e};
    memcpy(p.otag, "{{", 3);
    memcpy(p.ctag, "}}", 3);
    return parse(&p);
}

/* ---------------------------------------------------------------------------------------------
 * Renderer. */

/* The context stack: innermost first, linked through the C stack of the renderer. */
typedef struct ctx {
    json_t *v;
    const struct ctx *up;
} ctx;

typedef struct render {
    json_t *partials;
    int flags;
    buf *out;
    sn_err *e;
    int depth;  /* partials currently being rendered inside one another */
} render;

static int render_nodes(render *r, const tree *t, size_t from, size_t to, const ctx *c);

static int emit(render *r, const char *s, size_t len)
{
    if (buf_append(r->out, s, len) < 0)
        return sn_fail(r->e, SN_ETOOLARGE, NULL, "rendered template exceeds %zu bytes",
                       r->out->max);
    return 0;
}

static const char *entity(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static int emit_escaped(render *r, const char *s, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        const char *ent = entity(s[i]);
        if (!ent) continue;
        int rc = emit(r, s + run, i - run);
        if (!rc) rc = emit(r, ent, strlen(ent));
        if (rc) return rc;
        run = i + 1;
    }
    return emit(r, s + run, len - run);
}

/* The shortest %g form of `d` that reads back as `d`: 1.5 → "1.5", 0.1 → "0.1". */
static void format_real(double d, char *dst, size_t size)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(dst, size, "%.*g", prec, d);
        if (strtod(dst, NULL) == d) return;
    }
}

/* Interpolate a non-null value; `esc` asks for HTML escaping. */
static int emit_value(render *r, json_t *v, int esc)
{
    char num[40];
    char *dump = NULL;
    const char *s = num;
    size_t len;
    if (json_is_string(v)) {
        s = json_string_value(v);
        len = json_string_length(v);
    } else if (json_is_integer(v)) {
        len = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        format_real(json_real_value(v), num, sizeof num);
        len = strlen(num);
    } else if (json_is_boolean(v)) {
        s = json_is_true(v) ? "true" : "false";
        len = strlen(s);
    } else {
        dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!dump) return out_of_memory(r->e);
        s = dump;
        len = strlen(dump);
    }
    int rc = esc ? emit_escaped(r, s, len) : emit(r, s, len);
    free(dump);
    return rc;
}

/* Resolve a (dotted) name: "." is the innermost context; otherwise the first part is looked up
 * from the innermost context outwards, and the other parts only inside what it found. NULL when
 * the name resolves to nothing. */
static json_t *lookup(const ctx *c, const char *name, size_t len)
{
    if (len == 1 && name[0] == '.') return c->v;
    const char *dot = memchr(name, '.', len);
    size_t part = dot ? (size_t)(dot - name) : len;
    json_t *v = NULL;
    for (; c && !v; c = c->up)
        if (json_is_object(c->v)) v = json_object_getn(c->v, name, part);
    while (v && part < len) {
        name += part + 1;
        len -= part + 1;
        dot = memchr(name, '.', len);
        part = dot ? (size_t)(dot - name) : len;
        v = json_is_object(v) ? json_object_getn(v, name, part) : NULL;
    }
    return v;
}

static int truthy(json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v)) return 0;
    if (json_is_array(v)) return json_array_size(v) > 0;
    if (json_is_string(v)) return json_string_length(v) > 0;
    return 1;
}

static int render_var(render *r, const node *n, const ctx *c)
{
    json_t *v = lookup(c, n->str, n->len);
    if (!v || json_is_null(v)) {
        if (!(r->flags & MUSTACHE_STRICT)) return 0;
        char field[MUSTACHE_NAME_MAX + 1];
        snprintf(field, sizeof field, "%.*s", (int)n->len, n->str);
        return sn_fail(r->e, SN_EUNPROCESSABLE, field, "template variable \"%.*s\" has no value",
                       shown(n->len), n->str);
    }
    int esc = n->kind == NODE_VAR && !(r->flags & MUSTACHE_NO_ESCAPE);
    return emit_value(r, v, esc);
}

/* The section node at index i: its body once per element of a non-empty list, once for another
 * truthy value (pushed as context), or — inverted — once when the value is falsey. */
static int render_section(render *r, const tree *t, size_t i, const ctx *c)
{
    const node *n = &t->v[i];
    json_t *v = lookup(c, n->str, n->len);
    if (n->kind == NODE_INVERTED)
        return truthy(v) ? 0 : render_nodes(r, t, i + 1, n->end, c);
    if (!truthy(v)) return 0;
    if (!json_is_array(v)) {
        ctx inner = {v, c};
        return render_nodes(r, t, i + 1, n->end, &inner);
    }
    for (size_t k = 0; k < json_array_size(v); k++) {
        ctx inner = {json_array_get(v, k), c};
        int rc = render_nodes(r, t, i + 1, n->end, &inner);
        if (rc) return rc;
    }
    return 0;
}

/* Copy `s` into `b` with `ind` before each of its lines. */
static int indent_source(const char *s, const char *ind, size_t ind_len, buf *b)
{
    size_t len = strlen(s), lines = 1;
    for (size_t i = 0; i < len; i++) lines += s[i] == '\n';
    buf_init(b, len + lines * ind_len);
    for (size_t ls = 0; ls < len;) {
        const char *nl = memchr(s + ls, '\n', len - ls);
        size_t le = nl ? (size_t)(nl - s) + 1 : len;
        if (buf_append(b, ind, ind_len) < 0 || buf_append(b, s + ls, le - ls) < 0) return -1;
        ls = le;
    }
    return 0;
}

static int render_partial(render *r, const node *n, const ctx *c)
{
    json_t *p = json_is_object(r->partials) ? json_object_getn(r->partials, n->str, n->len) : NULL;
    if (!json_is_string(p)) return 0;
    if (r->depth == MUSTACHE_PARTIAL_DEPTH)
        return sn_fail(r->e, SN_EINVALID, NULL, "partials nested deeper than %d at \"%.*s\" "
                       "(a partial including itself?)", MUSTACHE_PARTIAL_DEPTH, shown(n->len),
                       n->str);
    int rc = 0;
    tree t = {0};
    buf indented;
    buf_init(&indented, 0);
    const char *src = json_string_value(p);
    if (n->indent_len) {
        if (indent_source(src, n->indent, n->indent_len, &indented) < 0) {
            rc = out_of_memory(r->e);
            goto out;
        }
        src = indented.data ? indented.data : "";
    }
    char what[96];
    snprintf(what, sizeof what, "partial \"%.*s\"", shown(n->len), n->str);
    rc = parse_source(src, what, &t, r->e);
    if (rc) goto out;
    r->depth++;
    rc = render_nodes(r, &t, 0, t.n, c);
    r->depth--;
out:
    free(t.v);
    buf_fini(&indented);
    return rc;
}

static int render_nodes(render *r, const tree *t, size_t from, size_t to, const ctx *c)
{
    for (size_t i = from; i < to;) {
        const node *n = &t->v[i];
        size_t next = i + 1;
        int rc;
        switch (n->kind) {
        case NODE_TEXT: rc = emit(r, n->str, n->len); break;
        case NODE_VAR:
        case NODE_RAW: rc = render_var(r, n, c); break;
        case NODE_PARTIAL: rc = render_partial(r, n, c); break;
        default:
            rc = render_section(r, t, i, c);
            next = n->end;
            break;
        }
        if (rc) return rc;
        i = next;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Public API. */

int mustache_render(const char *tmpl, json_t *data, json_t *partials, int flags, buf *out,
                    sn_err *e)
{
    if (!tmpl) return sn_fail(e, SN_EINVALID, NULL, "no template");
    size_t mark = out->len;
    tree t = {0};
    int rc = parse_source(tmpl, "template", &t, e);
    if (rc) goto out;
    render r = {.partials = partials, .flags = flags, .out = out, .e = e};
    ctx root = {data, NULL};
    rc = render_nodes(&r, &t, 0, t.n, &root);
out:
    free(t.v);
    if (rc && out->data) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}

/* Whether node i's name already appeared on an earlier variable or section node. */
static int seen_before(const tree *t, size_t i)
{
    for (size_t k = 0; k < i; k++) {
        const node *a = &t->v[k];
        if (a->kind == NODE_TEXT || a->kind == NODE_PARTIAL) continue;
        if (a->len == t->v[i].len && memcmp(a->str, t->v[i].str, a->len) == 0) return 1;
    }
    return 0;
}

int mustache_names(const char *tmpl, void (*fn)(const char *name, void *arg), void *arg,
                   sn_err *e)
{
    if (!tmpl) return sn_fail(e, SN_EINVALID, NULL, "no template");
    tree t = {0};
    int rc = parse_source(tmpl, "template", &t, e);
    if (rc) goto out;
    for (size_t i = 0; i < t.n; i++) {
        const node *n = &t.v[i];
        if (n->kind == NODE_TEXT || n->kind == NODE_PARTIAL) continue;
        if ((n->len == 1 && n->str[0] == '.') || seen_before(&t, i)) continue;
        char name[MUSTACHE_NAME_MAX + 1];
        memcpy(name, n->str, n->len);
        name[n->len] = '\0';
        fn(name, arg);
    }
out:
    free(t.v);
    return rc;
}
