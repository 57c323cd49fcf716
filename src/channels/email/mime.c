/* mime.c — one raw RFC 5322 message → email_parsed, with GMime. Lenient by design: whatever can
 * be read is read, and every repair (broken MIME, wrong or unknown charset, bad base64, raw 8-bit
 * headers) becomes a flag; classification (auto-reply, bulk, bounce) is decided here from the
 * headers and the report parts. */
#include "email.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MAX_DEPTH = 16 };

void email_init(void)
{
    g_mime_init();
}

void email_fini(void)
{
    g_mime_shutdown();
}

void email_flag(email_parsed *p, const char *flag)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->flags, i, v) if (!strcmp(json_string_value(v), flag)) return;
    json_array_append_new(p->flags, json_string(flag));
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

void email_parsed_fini(email_parsed *p)
{
    char *strs[] = {p->message_id, p->in_reply_to, p->from_addr, p->from_name, p->subject,
                    p->text, p->html, p->bounce_ref, p->bounce_recipient, p->bounce_status,
                    p->bounce_diagnostic};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) free(strs[i]);
    for (int i = 0; i < p->nfiles; i++) {
        free(p->files[i].filename);
        free(p->files[i].declared_type);
        free(p->files[i].content_id);
        free(p->files[i].data);
    }
    free(p->files);
    json_decref(p->references);
    json_decref(p->flags);
    memset(p, 0, sizeof *p);
}

/* ---------------------------------------------------------------------------------------------
 * The walk over the MIME tree. */

typedef struct walk {
    email_parsed *p;
    const email_limits *lim;
    const char *raw;
    size_t rawlen;
    GString *text, *html;
    GMimeParserOptions *opts;
    int in_report;
} walk;

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer arg)
{
    email_parsed *p = arg;
    switch (code) {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_WARN_PART_WITHOUT_CONTENT:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        email_flag(p, "broken_mime");
        break;
    case GMIME_WARN_UNENCODED_8BIT_HEADER:
        email_flag(p, "raw_8bit_header");
        break;
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
        email_flag(p, "bad_encoded_word");
        break;
    case GMIME_WARN_INVALID_CONTENT_TYPE:
        email_flag(p, "bad_content_type");
        break;
    case GMIME_CRIT_NESTING_OVERFLOW:
        email_flag(p, "nesting_overflow");
        break;
    case GMIME_CRIT_INVALID_HEADER_NAME:
        email_flag(p, "bad_header");
        break;
    default:
        break;
    }
}

/* The decoded (transfer-encoding undone) bytes of a part, capped at max (then *capped = 1). */
static GByteArray *part_bytes(GMimePart *part, size_t max, int *capped)
{
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    if (!w) return NULL;
    GMimeStream *mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, mem);
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    GByteArray *out = g_byte_array_new();
    *capped = ba->len > max;
    g_byte_array_append(out, ba->data, *capped ? (guint)max : ba->len);
    g_object_unref(mem);
    return out;
}

/* Base64 content with characters outside the alphabet, or cut short, is decoded leniently and
 * flagged. */
static void check_base64(walk *w, GMimePart *part)
{
    if (g_mime_part_get_content_encoding(part) != GMIME_CONTENT_ENCODING_BASE64) return;
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    GMimeStream *raw = dw ? g_mime_data_wrapper_get_stream(dw) : NULL;
    if (!raw) return;
    g_mime_stream_reset(raw);
    char buf[4096];
    ssize_t n;
    size_t sig = 0;
    int bad = 0, pad = 0;
    while (!bad && (n = g_mime_stream_read(raw, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)buf[i];
            if (c == '=') pad++;
            else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/')
                sig += pad ? (bad = 1) : 1;
            else if (c != '\r' && c != '\n' && c != ' ' && c != '\t')
                bad = 1;
        }
    }
    g_mime_stream_reset(raw);
    if (bad || (sig + (size_t)pad) % 4 != 0) email_flag(w->p, "bad_base64");
}

static int valid_utf8(const char *s, size_t n)
{
    return g_utf8_validate(s, (gssize)n, NULL);
}

static int has_8bit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 1;
    return 0;
}

/* Bytes in `charset` → UTF-8. A charset iconv does not know, or bytes it cannot convert, fall
 * back to UTF-8 (when valid), then windows-1256 (Arabic-first), then ISO-8859-1; flagged. */
/* Mostly UTF-8 (a damaged byte here and there): keep it, with U+FFFD for what is broken. */
static char *lossy_utf8(const char *data, size_t n)
{
    char *fixed = g_utf8_make_valid(data, (gssize)n);
    size_t bad = 0, chars = (size_t)g_utf8_strlen(fixed, -1);
    for (const char *p = fixed; (p = strstr(p, "\xEF\xBF\xBD")); p += 3) bad++;
    if (bad * 50 <= chars + 50) return fixed;
    g_free(fixed);
    return NULL;
}

static int charset_known(const char *name)
{
    GIConv cd = g_iconv_open("UTF-8", name);
    if (cd == (GIConv)-1) return 0;
    g_iconv_close(cd);
    return 1;
}

static char *to_utf8_flags(email_parsed *p, const char *data, size_t n, const char *charset)
{
    gsize rd, wr;
    char *out = NULL;
    int declared_utf8 = 0;
    if (charset && *charset) {
        char cs[64];
        snprintf(cs, sizeof cs, "%.*s", (int)strcspn(charset, "*"), charset); /* RFC 2231 lang */
        const char *name = g_mime_charset_iconv_name(cs);
        declared_utf8 = !g_ascii_strcasecmp(name, "UTF-8");
        if (!charset_known(name)) {
            email_flag(p, "unknown_charset");
        } else {
            out = g_convert(data, (gssize)n, "UTF-8", name, &rd, &wr, NULL);
            /* iconv's UTF-8 → UTF-8 lets code points past U+10FFFF (F5..F7 leads) through */
            if (out && rd == n && g_utf8_validate(out, -1, NULL)) return out;
            g_free(out);
            out = NULL;
            email_flag(p, "charset_mismatch");
        }
    } else if (has_8bit(data, n)) {
        email_flag(p, "charset_guessed");
    }
    if (valid_utf8(data, n)) return g_strndup(data, n);
    if (declared_utf8 && (out = lossy_utf8(data, n))) return out;
    out = g_convert(data, (gssize)n, "UTF-8", "WINDOWS-1256", &rd, &wr, NULL);
    if (out && rd == n) return out;
    g_free(out);
    return g_convert_with_fallback(data, (gssize)n, "UTF-8", "ISO-8859-1", "?", &rd, &wr, NULL);
}

static char *to_utf8(walk *w, const char *data, size_t n, const char *charset)
{
    return to_utf8_flags(w->p, data, n, charset);
}

/* ---------------------------------------------------------------------------------------------
 * RFC 2047 words, decoded here rather than by GMime so that adjacent words of one charset are
 * joined before conversion (a character split between two words survives), whitespace between
 * words is dropped, and raw 8-bit text is read as UTF-8 or windows-1256 (flagged). */

typedef struct segment {
    int encoded;
    char charset[64];
    GByteArray *bytes;
} segment;

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One encoded word at s ("=?cs?E?text?="): its end, charset and decoded bytes; NULL if none. */
static const char *encoded_word(const char *s, char *charset, size_t csize, GByteArray *out)
{
    if (s[0] != '=' || s[1] != '?') return NULL;
    const char *cs = s + 2, *q1 = strchr(cs, '?');
    if (!q1 || q1 == cs || (size_t)(q1 - cs) >= csize || !q1[1] || q1[2] != '?') return NULL;
    char enc = (char)toupper((unsigned char)q1[1]);
    const char *text = q1 + 3, *end = strstr(text, "?=");
    if (!end || (enc != 'B' && enc != 'Q')) return NULL;
    for (const char *p = cs; p < q1; p++)
        if (isspace((unsigned char)*p)) return NULL;
    for (const char *p = text; p < end; p++)
        if (isspace((unsigned char)*p)) return NULL;
    snprintf(charset, csize, "%.*s", (int)(q1 - cs), cs);
    if (enc == 'B') {
        gint state = 0;
        guint save = 0;
        size_t n = (size_t)(end - text);
        guchar *buf = g_malloc(n + 3);
        gsize got = g_base64_decode_step(text, n, buf, &state, &save);
        g_byte_array_append(out, buf, (guint)got);
        g_free(buf);
    } else {
        for (const char *p = text; p < end; p++) {
            if (*p == '_') g_byte_array_append(out, (const guint8 *)" ", 1);
            else if (*p == '=' && p + 2 < end + 2 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
                guint8 b = (guint8)(hexval(p[1]) * 16 + hexval(p[2]));
                g_byte_array_append(out, &b, 1);
                p += 2;
            } else g_byte_array_append(out, (const guint8 *)p, 1);
        }
    }
    return end + 2;
}

/* Header text that is not an encoded word: UTF-8 when valid, else windows-1256 (flagged). */
static void flush_segment(email_parsed *p, segment *cur, GString *out)
{
    if (!cur->bytes->len) return;
    const char *data = (const char *)cur->bytes->data;
    size_t n = cur->bytes->len;
    char *u = NULL;
    if (cur->encoded) {
        u = to_utf8_flags(p, data, n, cur->charset);
    } else if (has_8bit(data, n)) {
        email_flag(p, "raw_8bit_header");
        gsize rd, wr;
        u = valid_utf8(data, n) ? g_strndup(data, n)
                                : g_convert(data, (gssize)n, "UTF-8", "WINDOWS-1256", &rd, &wr, NULL);
    } else {
        u = g_strndup(data, n);
    }
    if (u) g_string_append(out, u);
    g_free(u);
    g_byte_array_set_size(cur->bytes, 0);
}

static char *decode_header_value(email_parsed *p, const char *raw)
{
    GString *out = g_string_new(NULL), *gap = g_string_new(NULL);
    segment cur = {0, "", g_byte_array_new()};
    GByteArray *word = g_byte_array_new();
    for (const char *s = raw; *s;) {
        char cs[64];
        g_byte_array_set_size(word, 0);
        const char *next = encoded_word(s, cs, sizeof cs, word);
        if (next) { /* whitespace between two encoded words is dropped */
            if (!cur.encoded || g_ascii_strcasecmp(cur.charset, cs)) {
                flush_segment(p, &cur, out);
                g_string_append(out, gap->str);
                cur.encoded = 1;
                snprintf(cur.charset, sizeof cur.charset, "%s", cs);
            }
            g_string_truncate(gap, 0);
            g_byte_array_append(cur.bytes, word->data, word->len);
            s = next;
        } else if (*s == '\r' || *s == '\n') { /* unfold */
            s++;
        } else if (cur.encoded && (*s == ' ' || *s == '\t')) {
            g_string_append_c(gap, *s++);
        } else {
            if (cur.encoded) {
                flush_segment(p, &cur, out);
                g_string_append(out, gap->str);
                g_string_truncate(gap, 0);
                cur.encoded = 0;
            }
            g_byte_array_append(cur.bytes, (const guint8 *)s++, 1);
        }
    }
    flush_segment(p, &cur, out);
    g_byte_array_unref(word);
    g_byte_array_unref(cur.bytes);
    g_string_free(gap, TRUE);
    char *text = g_string_free(out, FALSE);
    /* No control character survives into a subject or a name. */
    for (char *c = text; *c; c++)
        if ((unsigned char)*c < ' ') *c = ' ';
    return g_strstrip(text);
}

/* The raw value of a header as received (folded, encoded), or NULL. */
static const char *raw_header(GMimeObject *obj, const char *name)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);
    GMimeHeader *h = list ? g_mime_header_list_get_header(list, name) : NULL;
    return h ? g_mime_header_get_raw_value(h) : NULL;
}

/* A text part as UTF-8 with \n line ends and no NUL. */
static char *part_text(walk *w, GMimePart *part)
{
    int capped = 0;
    check_base64(w, part);
    GByteArray *ba = part_bytes(part, w->lim->max_text_bytes, &capped);
    if (!ba) return NULL;
    if (capped) email_flag(w->p, "truncated");
    const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    char *u = to_utf8(w, (const char *)ba->data, ba->len, charset);
    g_byte_array_unref(ba);
    if (!u) return NULL;
    char *o = u;
    for (const char *s = u; *s; s++)
        if (*s != '\r') *o++ = *s;
    *o = '\0';
    return u;
}

static void add_file(walk *w, GMimePart *part, GMimeContentType *ct)
{
    int capped = 0;
    check_base64(w, part);
    size_t max = w->lim->max_part_bytes;
    GByteArray *ba = part_bytes(part, max + 1, &capped);
    if (!ba) return;
    email_file *grown = realloc(w->p->files, (size_t)(w->p->nfiles + 1) * sizeof *grown);
    if (!grown) {
        g_byte_array_unref(ba);
        return;
    }
    w->p->files = grown;
    email_file *f = &w->p->files[w->p->nfiles++];
    memset(f, 0, sizeof *f);
    const char *name = g_mime_part_get_filename(part);
    f->filename = strdup(name && *name ? name : "");
    char *type = g_mime_content_type_get_mime_type(ct);
    f->declared_type = strdup(type ? type : "application/octet-stream");
    g_free(type);
    f->content_id = dup_or_null(g_mime_object_get_content_id(GMIME_OBJECT(part)));
    GMimeContentDisposition *d = g_mime_object_get_content_disposition(GMIME_OBJECT(part));
    f->is_inline = f->content_id && (!d || !g_mime_content_disposition_is_attachment(d));
    if (ba->len > max) {
        f->len = ba->len; /* kept as a flag and a name, not as bytes */
        f->data = NULL;
    } else {
        f->data = malloc(ba->len ? ba->len : 1);
        if (f->data && ba->len) memcpy(f->data, ba->data, ba->len); /* empty: data may be NULL */
        f->len = ba->len;
    }
    g_byte_array_unref(ba);
}

static void append(GString *s, const char *text)
{
    if (!text || !*text) return;
    if (s->len && s->str[s->len - 1] != '\n') g_string_append_c(s, '\n');
    g_string_append(s, text);
}

/* "Field: value" of a header block, first occurrence (unfolded), into a new string. */
static char *header_field(const char *block, const char *field)
{
    size_t fn = strlen(field);
    for (const char *l = block; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncasecmp(l, field, fn) || l[fn] != ':') continue;
        const char *v = l + fn + 1;
        GString *out = g_string_new(NULL);
        for (;;) {
            const char *end = v + strcspn(v, "\r\n");
            g_string_append_len(out, v, end - v);
            v = end;
            if (*v == '\r') v++;
            if (*v == '\n') v++;
            if (*v != ' ' && *v != '\t') break;
        }
        return g_strstrip(g_string_free(out, FALSE));
    }
    return NULL;
}

static char *angle_id(const char *v)
{
    if (!v) return NULL;
    const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt && gt > lt + 1) return strndup(lt + 1, (size_t)(gt - lt - 1));
    return NULL;
}

/* message/delivery-status: the first recipient block with its action, status, diagnostic. */
static void parse_dsn(walk *w, GMimePart *part)
{
    char *text = part_text(w, part);
    if (!text) return;
    email_parsed *p = w->p;
    /* Per-recipient blocks follow the per-message block, separated by blank lines. */
    for (char *block = text; block && *block;) {
        char *next = strstr(block, "\n\n");
        if (next) *next = '\0';
        char *action = header_field(block, "Action");
        if (action) {
            int failed = !strncasecmp(action, "failed", 6);
            if (!p->bounce_status || (failed && !p->bounce_failed)) {
                free(p->bounce_recipient);
                free(p->bounce_status);
                free(p->bounce_diagnostic);
                char *r = header_field(block, "Final-Recipient");
                char *semi = r ? strchr(r, ';') : NULL;
                p->bounce_recipient = r ? strdup(g_strstrip(semi ? semi + 1 : r)) : NULL;
                g_free(r);
                char *s = header_field(block, "Status"), *d = header_field(block, "Diagnostic-Code");
                p->bounce_status = s ? strdup(s) : NULL;
                p->bounce_diagnostic = d ? strdup(d) : NULL;
                g_free(s);
                g_free(d);
                p->bounce_failed = failed;
            }
            g_free(action);
        }
        block = next ? next + 2 : NULL;
    }
    free(text);
}

static void walk_object(walk *w, GMimeObject *obj, int depth);

static void walk_message(walk *w, GMimeMessage *inner, int depth)
{
    if (w->in_report) {
        if (!w->p->bounce_ref) w->p->bounce_ref = dup_or_null(g_mime_message_get_message_id(inner));
        return;
    }
    email_flag(w->p, "forwarded");
    GString *head = g_string_new("---------- Forwarded message ----------");
    InternetAddressList *from = g_mime_message_get_from(inner);
    char *f = from ? internet_address_list_to_string(from, NULL, FALSE) : NULL;
    if (f) g_string_append_printf(head, "\nFrom: %s", f);
    g_free(f);
    const char *subject = g_mime_message_get_subject(inner);
    if (subject) g_string_append_printf(head, "\nSubject: %s", subject);
    g_string_append(head, "\n\n");
    append(w->text, head->str);
    g_string_free(head, TRUE);
    GMimeObject *body = g_mime_message_get_mime_part(inner);
    if (body) walk_object(w, body, depth + 1);
}

static void walk_part(walk *w, GMimePart *part)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    GMimeContentDisposition *d = g_mime_object_get_content_disposition(obj);
    int attached = (d && g_mime_content_disposition_is_attachment(d)) ||
                   (g_mime_part_get_filename(part) && *g_mime_part_get_filename(part));
    if (g_mime_content_type_is_type(ct, "message", "delivery-status")) {
        parse_dsn(w, part);
    } else if (g_mime_content_type_is_type(ct, "text", "rfc822-headers")) {
        char *text = part_text(w, part), *v = text ? header_field(text, "Message-ID") : NULL;
        if (!w->p->bounce_ref) w->p->bounce_ref = angle_id(v);
        g_free(v);
        free(text);
    } else if (!attached && g_mime_content_type_is_type(ct, "text", "plain")) {
        char *t = part_text(w, part);
        append(w->text, t);
        free(t);
    } else if (!attached && g_mime_content_type_is_type(ct, "text", "html")) {
        char *t = part_text(w, part);
        append(w->html, t);
        free(t);
    } else {
        add_file(w, part, ct);
    }
}

/* A multipart whose closing boundary never comes was cut short or is broken: flagged. */
static void check_boundary(walk *w, GMimeMultipart *mp)
{
    /* The parameter as sent, read only: g_mime_multipart_get_boundary makes one up when there is
     * none and re-encodes the Content-Type, which with some 8-bit parameter names runs for minutes
     * and gigabytes (found by fuzz/email_mime.c: a 1.3 KB message). */
    const char *b = g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "boundary");
    if (!b || !*b) {
        email_flag(w->p, "missing_boundary");
        return;
    }
    char close[200];
    int n = snprintf(close, sizeof close, "--%s--", b);
    if (n > 0 && (size_t)n < sizeof close && !memmem(w->raw, w->rawlen, close, (size_t)n))
        email_flag(w->p, "missing_boundary");
}

static void walk_object(walk *w, GMimeObject *obj, int depth)
{
    if (depth > MAX_DEPTH) {
        email_flag(w->p, "nesting_overflow");
        return;
    }
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (inner) walk_message(w, inner, depth);
    } else if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        check_boundary(w, mp);
        if (g_mime_content_type_is_type(ct, "multipart", "encrypted")) email_flag(w->p, "encrypted");
        int report = g_mime_content_type_is_type(ct, "multipart", "report");
        int count = g_mime_multipart_get_count(mp);
        if (g_mime_content_type_is_type(ct, "multipart", "signed") && count > 1) count = 1;
        for (int i = 0; i < count; i++) {
            int saved = w->in_report;
            w->in_report = report && i > 0; /* the first part of a report is for people */
            walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
            w->in_report = saved;
        }
    } else if (GMIME_IS_PART(obj)) {
        walk_part(w, GMIME_PART(obj));
    }
}

/* ---------------------------------------------------------------------------------------------
 * Headers and classification. */

static void read_from(email_parsed *p, GMimeMessage *m)
{
    InternetAddressList *list = g_mime_message_get_from(m);
    for (int i = 0; list && i < internet_address_list_length(list); i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            InternetAddressList *members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
            if (!members || internet_address_list_length(members) == 0) continue;
            ia = internet_address_list_get_address(members, 0);
        }
        if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) continue;
        const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        if (!addr || !strchr(addr, '@')) continue;
        p->from_addr = g_ascii_strdown(addr, -1);
        p->from_name = dup_or_null(internet_address_get_name(ia));
        if (p->from_name)
            for (char *c = p->from_name; *c; c++)
                if ((unsigned char)*c < ' ') *c = ' ';
        return;
    }
}

static void read_references(walk *w, GMimeMessage *m)
{
    email_parsed *p = w->p;
    p->references = json_array();
    const char *irt = g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To");
    GMimeReferences *r = irt ? g_mime_references_parse(w->opts, irt) : NULL;
    if (r && g_mime_references_length(r) > 0)
        p->in_reply_to = dup_or_null(g_mime_references_get_message_id(r, 0));
    if (r) g_mime_references_free(r);
    const char *refs = g_mime_object_get_header(GMIME_OBJECT(m), "References");
    r = refs ? g_mime_references_parse(w->opts, refs) : NULL;
    for (int i = 0; r && i < g_mime_references_length(r) && i < 100; i++)
        json_array_append_new(p->references, json_string(g_mime_references_get_message_id(r, i)));
    if (r) g_mime_references_free(r);
}

static const char *header(GMimeMessage *m, const char *name)
{
    return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

static int starts_word(const char *v, const char *word)
{
    while (v && (*v == ' ' || *v == '\t')) v++;
    size_t n = strlen(word);
    return v && !strncasecmp(v, word, n) && !isalnum((unsigned char)v[n]) && v[n] != '-';
}

/* message | auto_reply | bulk | bounce, with the flag that decided it. */
static void classify(email_parsed *p, GMimeMessage *m)
{
    GMimeObject *body = g_mime_message_get_mime_part(m);
    GMimeContentType *ct = body ? g_mime_object_get_content_type(body) : NULL;
    const char *report = ct ? g_mime_content_type_get_parameter(ct, "report-type") : NULL;
    int is_report = ct && g_mime_content_type_is_type(ct, "multipart", "report");
    const char *auto_sub = header(m, "Auto-Submitted"), *prec = header(m, "Precedence");
    const char *local = p->from_addr ? p->from_addr : "";
    p->kind = "message";
    if (is_report && report && !strcasecmp(report, "delivery-status")) {
        p->kind = "bounce";
        email_flag(p, "bounce");
    } else if (!strncmp(local, "mailer-daemon@", 14) || (!p->from_addr && p->bounce_ref)) {
        p->kind = "bounce";
        email_flag(p, "bounce");
    } else if (is_report && report && !strcasecmp(report, "disposition-notification")) {
        p->kind = "auto_reply";
        email_flag(p, "read_receipt");
    } else if (auto_sub && !starts_word(auto_sub, "no")) {
        p->kind = "auto_reply";
        email_flag(p, "auto_submitted");
    } else if (header(m, "X-Autoreply") || header(m, "X-Autorespond")) {
        p->kind = "auto_reply";
        email_flag(p, "x_autoreply");
    } else if (prec && starts_word(prec, "auto_reply")) {
        p->kind = "auto_reply";
        email_flag(p, "precedence_auto_reply");
    } else if (prec && (starts_word(prec, "bulk") || starts_word(prec, "list") ||
                        starts_word(prec, "junk"))) {
        p->kind = "bulk";
        email_flag(p, "precedence_bulk");
    } else if (header(m, "List-Id")) {
        p->kind = "bulk";
        email_flag(p, "mailing_list");
    }
    if (!strcmp(p->kind, "auto_reply")) email_flag(p, "auto_reply");
    if (!strcmp(p->kind, "bulk")) email_flag(p, "bulk");
}

static GMimeParserOptions *parser_options(email_parsed *p)
{
    static const char *fallback[] = {"utf-8", "windows-1256", "iso-8859-6", "iso-8859-1", NULL};
    GMimeParserOptions *o = g_mime_parser_options_new();
    g_mime_parser_options_set_fallback_charsets(o, fallback);
    g_mime_parser_options_set_rfc2047_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_address_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_parameter_compliance_mode(o, GMIME_RFC_COMPLIANCE_LOOSE);
    g_mime_parser_options_set_warning_callback(o, on_warning, p);
    return o;
}

/* A message is readable when it has at least one header GMime recognised. */
static int looks_like_mail(GMimeMessage *m)
{
    GMimeHeaderList *h = g_mime_object_get_header_list(GMIME_OBJECT(m));
    return h && g_mime_header_list_get_count(h) > 0 &&
           (g_mime_message_get_from(m) && internet_address_list_length(g_mime_message_get_from(m)) > 0
            ? 1 : (header(m, "Subject") || header(m, "Message-ID") || header(m, "Date")));
}

int email_parse(const char *raw, size_t len, const email_limits *lim, email_parsed *out)
{
    memset(out, 0, sizeof *out);
    out->flags = json_array();
    out->references = json_array();
    out->kind = "message";
    walk w = {out, lim, raw, len, g_string_new(NULL), g_string_new(NULL), NULL, 0};
    w.opts = parser_options(out);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_object_unref(stream);
    GMimeMessage *m = g_mime_parser_construct_message(parser, w.opts);
    g_object_unref(parser);
    if (m && looks_like_mail(m)) {
        out->parsed = 1;
        json_decref(out->references);
        out->references = NULL;
        out->message_id = dup_or_null(g_mime_message_get_message_id(m));
        const char *raw_subject = raw_header(GMIME_OBJECT(m), "Subject");
        out->subject = raw_subject ? decode_header_value(out, raw_subject) : strdup("");
        read_from(out, m);
        read_references(&w, m);
        GMimeObject *body = g_mime_message_get_mime_part(m);
        if (body) walk_object(&w, body, 0);
        classify(out, m);
    }
    if (m) g_object_unref(m);
    g_mime_parser_options_free(w.opts);
    while (w.text->len && strchr(" \t\n", w.text->str[w.text->len - 1]))
        g_string_truncate(w.text, w.text->len - 1);
    out->text = g_string_free(w.text, FALSE);
    out->html = w.html->len ? g_string_free(w.html, FALSE) : (g_string_free(w.html, TRUE), NULL);
    if (!out->subject) out->subject = strdup("");
    if (!out->parsed) email_flag(out, "unparseable");
    return out->text && out->subject ? 0 : SN_EINTERNAL;
}
