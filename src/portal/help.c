/* help.c — the public help center: the home by service line, a service line's articles, article
 * pages (related articles, translations, "was this helpful?"), search results, and the help
 * center's part of the sitemap. Arabic at /help, English at /help/en.
 *
 * Everything shown comes from the knowledge base's public reads (domain/kb.h), which only ever
 * return published, public articles inside their publication window; anything else is a 404
 * page. Article bodies are HTML the domain rendered from Markdown with raw HTML off and links
 * checked (kb_markdown_html), and search snippets are HTML-escaped with <mark> by the domain: the
 * templates insert those two, and only those, with triple mustaches.
 *
 * Canonical URLs: an article is at kb_public_url (its language's prefix + its slug); asked for
 * under the other language's prefix it answers 301 to that URL. */
#include "page.h"

#include "../core/clock.h"
#include "../core/hijri.h"
#include "../domain/kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_PREVIEW 5 /* articles of a line shown on the home page */
#define RELATED_MAX 5
#define SEARCH_LIMIT 20
#define SEARCH_Q_MAX 200 /* bytes of a query; longer ones are cut at a character */
#define COMMENT_MAX 2000 /* bytes of a feedback comment */
#define FEEDBACK_PURPOSE "help-feedback"
#define FEEDBACK_BURST 6         /* votes one address may send at once… */
#define FEEDBACK_REFILL_MS 10000 /* …then one per 10 s */

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static int is_en(const char *lang)
{
    return !strcmp(lang, "en");
}

/* ---- URLs ------------------------------------------------------------------------------------ */

static void home_path(const char *lang, char *out, size_t cap)
{
    snprintf(out, cap, "%s", is_en(lang) ? "/help/en" : "/help");
}

static void line_path(const char *lang, const char *code, char *out, size_t cap)
{
    char enc[256];
    portal_path_encode(code, enc, sizeof enc);
    snprintf(out, cap, "%s/lines/%s", is_en(lang) ? "/help/en" : "/help", enc);
}

static void absolute(portal_ctx *c, const char *path, char *out, size_t cap)
{
    char base[300];
    portal_base_url(c, base, sizeof base);
    snprintf(out, cap, "%s%s", base, path);
}

/* A query string value: everything but unreserved characters escaped. */
static void query_encode(const char *s, char *out, size_t cap)
{
    portal_path_encode(s, out, cap);
    /* portal_path_encode keeps '/', harmless in a query; nothing else needs escaping. */
}

/* ---- pieces every page has ------------------------------------------------------------------- */

/* The breadcrumb: the help center, then (label, url) pairs, the last one the current page. */
static json_t *crumbs(portal_ctx *c, const char *label1, const char *url1, const char *label2)
{
    char home[32];
    home_path(c->lang, home, sizeof home);
    json_t *a = json_array();
    json_array_append_new(
        a, json_pack("{s:s, s:s}", "label", portal_string(c, "site_name"), "url", home));
    if (label1) json_array_append_new(a, json_pack("{s:s, s:s*}", "label", label1, "url", url1));
    if (label2) json_array_append_new(a, json_pack("{s:s}", "label", label2));
    return json_pack("{s:o}", "items", a); /* an object, so the template wraps it once */
}

/* The link to the same page in the other language (or that language's home). */
static void set_switch(portal_ctx *c, json_t *data, const char *href)
{
    char home[32];
    home_path(is_en(c->lang) ? "ar" : "en", home, sizeof home);
    json_object_set_new(data, "switch_href", json_string(href ? href : home));
}

static void add_alternate(portal_ctx *c, json_t *list, const char *hreflang, const char *path)
{
    char url[1200];
    absolute(c, path, url, sizeof url);
    json_array_append_new(list, json_pack("{s:s, s:s}", "hreflang", hreflang, "href", url));
}

static void set_canonical(portal_ctx *c, json_t *data, const char *path)
{
    char url[1200];
    absolute(c, path, url, sizeof url);
    json_object_set_new(data, "canonical", json_string(url));
}

/* Long Gregorian and Hijri dates of an ISO time, and its day for <time datetime> — all three
 * in Riyadh, where the day may already be the next one in UTC terms (from 21:00 UTC). */
static void set_dates(portal_ctx *c, json_t *o, const char *iso)
{
    int64_t ms;
    if (!iso || clock_parse_iso8601(iso, &ms) < 0) return;
    char g[128], h[128], day[16];
    hijri_date d;
    if (hijri_date_of(ms, HIJRI_ZONE, HIJRI_GREGORIAN, &d) == 0) {
        snprintf(day, sizeof day, "%04d-%02d-%02d", d.year, d.month, d.day);
        json_object_set_new(o, "date_iso", json_string(day));
    }
    if (hijri_format(ms, HIJRI_ZONE, c->lang, HIJRI_GREGORIAN, g, sizeof g) > 0)
        json_object_set_new(o, "date_gregorian", json_string(g));
    if (hijri_format(ms, HIJRI_ZONE, c->lang, HIJRI_UMALQURA, h, sizeof h) > 0)
        json_object_set_new(o, "date_hijri", json_string(h));
}

/* lang and dir of an item in whatever language it is written. */
static void set_item_lang(json_t *o, const char *lang)
{
    json_object_set_new(o, "lang", json_string(lang));
    json_object_set_new(o, "dir", json_string(is_en(lang) ? "ltr" : "rtl"));
}

static const char *line_name(portal_ctx *c, json_t *line)
{
    const char *en = str(line, "name_en");
    return is_en(c->lang) && *en ? en : str(line, "name_ar");
}

/* ---- home and service lines ------------------------------------------------------------------ */

static int by_name(const void *a, const void *b)
{
    return strcmp(str(*(json_t *const *)a, "name"), str(*(json_t *const *)b, "name"));
}

/* Public articles (newest first) grouped by service line, lines by name, at most `preview`
 * articles each (0: all). */
static json_t *group_by_line(portal_ctx *c, json_t *articles, size_t preview)
{
    json_t *by_code = json_object();
    size_t i;
    json_t *a;
    json_array_foreach(articles, i, a)
    {
        json_t *sl = json_object_get(a, "service_line");
        const char *code = str(sl, "code");
        json_t *line = json_object_get(by_code, code);
        if (!line) {
            char url[300];
            line_path(c->lang, code, url, sizeof url);
            line = json_pack("{s:s, s:s, s:s, s:[]}", "code", code, "name", line_name(c, sl), "url",
                             url, "articles", "articles");
            json_object_set_new(by_code, code, line);
        }
        json_t *list = json_object_get(line, "articles");
        if (!preview || json_array_size(list) < preview)
            json_array_append_new(
                list, json_pack("{s:s, s:s}", "title", str(a, "title"), "url", str(a, "url")));
        json_object_set_new(line, "total",
                            json_integer(json_integer_value(json_object_get(line, "total")) + 1));
    }
    size_t n = json_object_size(by_code), k = 0;
    json_t **lines = calloc(n ? n : 1, sizeof *lines);
    const char *code;
    json_t *line;
    json_object_foreach(by_code, code, line)
    {
        if (lines) lines[k++] = line;
    }
    if (lines) qsort(lines, k, sizeof *lines, by_name);
    json_t *out = json_array();
    for (size_t j = 0; j < k; j++) {
        char count[32];
        json_int_t total = json_integer_value(json_object_get(lines[j], "total"));
        portal_number(total, c->lang, count, sizeof count);
        json_object_set_new(lines[j], "count", json_string(count));
        json_object_set_new(lines[j], "more", json_boolean(preview && (size_t)total > preview));
        json_array_append(out, lines[j]);
    }
    free(lines);
    json_decref(by_code);
    return out;
}

static int home(portal_ctx *c, sn_err *e)
{
    json_t *articles;
    int rc = kb_public_list_json(c->db, NULL, c->lang, c->now, &articles, e);
    if (rc < 0) return rc;
    json_t *lines = group_by_line(c, articles, LINE_PREVIEW);
    json_decref(articles);
    json_t *data =
        json_pack("{s:s, s:o, s:b, s:b, s:[]}", "title", portal_string(c, "site_name"), "lines",
                  lines, "empty", json_array_size(lines) == 0, "is_home", 1, "alternates");
    json_t *alt = json_object_get(data, "alternates");
    add_alternate(c, alt, "ar", "/help");
    add_alternate(c, alt, "en", "/help/en");
    add_alternate(c, alt, "x-default", "/help");
    char self[32];
    home_path(c->lang, self, sizeof self);
    set_canonical(c, data, self);
    set_switch(c, data, NULL);
    portal_page p = {"home", 200, PORTAL_CACHE_PUBLIC, NULL};
    rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

static int line(portal_ctx *c, sn_err *e)
{
    const char *code = c->req->params[0];
    json_t *articles;
    int rc = kb_public_list_json(c->db, code, c->lang, c->now, &articles, e);
    if (rc < 0) return rc;
    json_t *lines = group_by_line(c, articles, 0);
    json_decref(articles);
    json_t *one = json_array_get(lines, 0);
    if (!one) {
        json_decref(lines);
        return sn_fail(e, SN_ENOTFOUND, NULL, "no public articles in this line");
    }
    const char *name = str(one, "name");
    json_t *data = json_pack("{s:s, s:O, s:o}", "title", name, "line", one, "breadcrumb",
                             crumbs(c, name, NULL, NULL));
    json_decref(lines);
    char self[300], other[300];
    line_path(c->lang, code, self, sizeof self);
    line_path(is_en(c->lang) ? "ar" : "en", code, other, sizeof other);
    set_canonical(c, data, self);
    set_switch(c, data, other);
    portal_page p = {"line", 200, PORTAL_CACHE_PUBLIC, NULL};
    rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

/* ---- articles -------------------------------------------------------------------------------- */

/* Items {title, url, lang, dir} of related articles or translations. */
static json_t *links(json_t *items)
{
    json_t *out = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_t *o = json_pack("{s:s, s:s}", "title", str(it, "title"), "url", str(it, "url"));
        set_item_lang(o, str(it, "lang"));
        json_array_append_new(out, o);
    }
    return out;
}

/* hreflang links between an article and its visible translations (none when it has none). */
static void article_alternates(portal_ctx *c, json_t *data, json_t *a, json_t *translations)
{
    if (json_array_size(translations) == 0) return;
    json_t *alt = json_array();
    const char *ar_url = is_en(str(a, "lang")) ? NULL : str(a, "url");
    add_alternate(c, alt, str(a, "lang"), str(a, "url"));
    size_t i;
    json_t *t;
    json_array_foreach(translations, i, t)
    {
        add_alternate(c, alt, str(t, "lang"), str(t, "url"));
        if (!ar_url && !is_en(str(t, "lang"))) ar_url = str(t, "url");
    }
    add_alternate(c, alt, "x-default", ar_url ? ar_url : str(a, "url"));
    json_object_set_new(data, "alternates", alt);
}

/* The "was this helpful?" block: thanks after a vote, else the form with its token. */
static json_t *feedback_block(portal_ctx *c, const char *url)
{
    const char *state = http_query(c->req, "feedback");
    char action[1100], token[PORTAL_TOKEN_SIZE];
    snprintf(action, sizeof action, "%s/feedback", url);
    if (state && !strcmp(state, "thanks")) return json_pack("{s:b}", "thanks", 1);
    portal_form_token(c, FEEDBACK_PURPOSE, token, sizeof token);
    return json_pack("{s:s, s:s}", "action", action, "token", token);
}

static json_t *article_data(portal_ctx *c, json_t *a)
{
    json_t *sl = json_object_get(a, "service_line");
    char lpath[300];
    line_path(c->lang, str(sl, "code"), lpath, sizeof lpath);
    json_t *translations = json_object_get(a, "translations");
    json_t *art =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:O?}", "title", str(a, "title"), "body_html",
                  str(a, "body_html"), "topic", str(a, "topic"), "line_name", line_name(c, sl),
                  "line_url", lpath, "tags", json_object_get(a, "tags"));
    set_dates(c, art, json_string_value(json_object_get(a, "published_at")));
    json_t *related = NULL;
    sn_err ignored;
    if (kb_related_json(c->db, json_integer_value(json_object_get(a, "id")), c->now, RELATED_MAX,
                        &related, &ignored) < 0)
        related = json_array();
    json_object_set_new(art, "has_tags", json_boolean(json_array_size(json_object_get(a, "tags"))));
    json_t *data = json_pack("{s:s, s:o, s:o, s:b, s:o, s:o, s:o}", "title", str(a, "title"),
                             "article", art, "related", links(related), "has_related",
                             json_array_size(related) > 0, "translations", links(translations),
                             "breadcrumb", crumbs(c, line_name(c, sl), lpath, str(a, "title")),
                             "feedback", feedback_block(c, str(a, "url")));
    json_decref(related);
    set_canonical(c, data, str(a, "url"));
    article_alternates(c, data, a, translations);
    json_t *first = json_array_get(translations, 0);
    set_switch(c, data, first ? str(first, "url") : NULL);
    return data;
}

/* A result link followed from the help center's search: count the click for analytics. */
static void note_click(portal_ctx *c, json_t *a)
{
    const char *sid = http_query(c->req, "s");
    if (!sid || !*sid || strlen(sid) > 40) return;
    sn_err ignored;
    kb_search_click(c->db, sid, json_integer_value(json_object_get(a, "id")), c->now, &ignored);
}

static int article(portal_ctx *c, sn_err *e)
{
    json_t *a;
    int rc = kb_public_get_json(c->db, c->req->params[0], c->now, &a, e);
    if (rc < 0) return rc;
    if (strcmp(str(a, "lang"), c->lang)) { /* asked under the other language's prefix */
        portal_redirect(c, 301, str(a, "url"));
        json_decref(a);
        return 0;
    }
    note_click(c, a);
    json_t *data = article_data(c, a);
    json_decref(a);
    portal_page p = {"article", 200, PORTAL_CACHE_REVALIDATE, NULL};
    rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

/* ---- "was this helpful?" --------------------------------------------------------------------- */

static int helpful_value(const char *v)
{
    return !strcmp(v, "yes") ? 1 : !strcmp(v, "no") ? 0 : -1;
}

static int feedback(portal_ctx *c, sn_err *e)
{
    int rc = portal_rate_take(FEEDBACK_PURPOSE, c->req->ip, FEEDBACK_BURST, FEEDBACK_REFILL_MS,
                              c->now, e);
    json_t *form = NULL, *a = NULL;
    if (rc == 0) rc = portal_form_parse(c, &form, e);
    if (rc == 0)
        rc = portal_form_check(c, FEEDBACK_PURPOSE,
                               json_string_value(json_object_get(form, "form_token")), e);
    int helpful = rc == 0 ? helpful_value(str(form, "helpful")) : -1;
    const char *comment = form ? str(form, "comment") : "";
    if (rc == 0 && helpful < 0)
        rc = sn_fail(e, SN_EINVALID, "helpful", "helpful must be yes or no");
    if (rc == 0 && strlen(comment) > COMMENT_MAX)
        rc = sn_fail(e, SN_EUNPROCESSABLE, "comment", "the comment is too long");
    if (rc == 0) rc = kb_public_get_json(c->db, c->req->params[0], c->now, &a, e);
    if (rc == 0) {
        snprintf(c->back, sizeof c->back, "%s", str(a, "url"));
        rc = kb_feedback_record(c->db, json_integer_value(json_object_get(a, "id")), helpful,
                                comment, c->req->ip, c->now, e);
    }
    if (rc == 0) {
        char to[1200];
        snprintf(to, sizeof to, "%s?feedback=thanks#feedback", str(a, "url"));
        portal_redirect(c, 303, to);
    }
    json_decref(form);
    json_decref(a);
    return rc;
}

/* ---- search ---------------------------------------------------------------------------------- */

/* The query, trimmed, at most SEARCH_Q_MAX bytes cut at a character boundary, into out. */
static void clean_query(const char *q, char *out, size_t cap)
{
    while (q && (*q == ' ' || *q == '\t'))
        q++;
    snprintf(out, cap, "%s", q ? q : "");
    size_t n = strlen(out);
    if (n > SEARCH_Q_MAX) {
        n = SEARCH_Q_MAX;
        while (n > 0 && ((unsigned char)out[n] & 0xC0) == 0x80)
            n--;
        out[n] = '\0';
    }
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
}

static json_t *result_items(json_t *found)
{
    const char *sid = str(found, "search_id");
    json_t *out = json_array();
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(found, "results"), i, h)
    {
        char url[1200];
        snprintf(url, sizeof url, "%s?s=%s", str(h, "url"), sid);
        json_t *o = json_pack("{s:s, s:s, s:s}", "title", str(h, "title"), "url", url, "snippet",
                              str(h, "snippet"));
        set_item_lang(o, str(h, "lang"));
        json_array_append_new(out, o);
    }
    return out;
}

static int search(portal_ctx *c, sn_err *e)
{
    char q[SEARCH_Q_MAX + 8], title[400], enc[3 * SEARCH_Q_MAX + 8], other[4 * SEARCH_Q_MAX];
    clean_query(http_query(c->req, "q"), q, sizeof q);
    snprintf(title, sizeof title, "%s%s%s", portal_string(c, "search_title"), *q ? ": " : "", q);
    json_t *data = json_pack("{s:s, s:s, s:b, s:b, s:o}", "title", title, "q", q, "noindex", 1,
                             "has_query", *q != '\0', "breadcrumb",
                             crumbs(c, NULL, NULL, portal_string(c, "search_title")));
    int rc = 0;
    if (*q) {
        kb_search_opts o = {q, c->lang, NULL, SEARCH_LIMIT, 0, 0, "help", NULL, 0, c->now};
        json_t *found;
        if ((rc = kb_search_json(c->db, &o, &found, e)) == 0) {
            json_t *items = result_items(found);
            char count[32];
            portal_number((long long)json_array_size(items), c->lang, count, sizeof count);
            json_object_set_new(data, "none", json_boolean(json_array_size(items) == 0));
            json_object_set_new(data, "count", json_string(count));
            json_object_set_new(data, "results", items);
            json_decref(found);
        }
    }
    query_encode(q, enc, sizeof enc);
    snprintf(other, sizeof other, "%s/search%s%s", is_en(c->lang) ? "/help" : "/help/en",
             *q ? "?q=" : "", enc);
    set_switch(c, data, other);
    portal_page p = {"search", 200, PORTAL_CACHE_REVALIDATE, NULL};
    if (rc == 0) rc = portal_render(c, &p, data, e);
    json_decref(data);
    return rc;
}

/* ---- sitemap, start-up ----------------------------------------------------------------------- */

static void add_url(portal_ctx *c, json_t *urls, const char *path, const char *iso)
{
    char loc[1200], day[16];
    absolute(c, path, loc, sizeof loc);
    json_t *u = json_pack("{s:s}", "loc", loc);
    if (iso && strlen(iso) >= 10) {
        snprintf(day, sizeof day, "%.10s", iso);
        json_object_set_new(u, "lastmod", json_string(day));
    }
    json_array_append_new(urls, u);
}

/* The two homes, every line page with public articles and every published public article. */
static int help_sitemap(portal_ctx *c, json_t *urls, sn_err *e)
{
    json_t *articles;
    int rc = kb_public_list_json(c->db, NULL, NULL, c->now, &articles, e);
    if (rc < 0) return rc;
    add_url(c, urls, "/help", NULL);
    add_url(c, urls, "/help/en", NULL);
    json_t *lines = json_object();
    size_t i;
    json_t *a;
    json_array_foreach(articles, i, a)
    {
        char lpath[300];
        line_path(str(a, "lang"), str(json_object_get(a, "service_line"), "code"), lpath,
                  sizeof lpath);
        if (!json_object_get(lines, lpath)) {
            json_object_set_new(lines, lpath, json_true());
            add_url(c, urls, lpath, NULL);
        }
    }
    json_array_foreach(articles, i, a)
    {
        add_url(c, urls, str(a, "url"), str(a, "published_at"));
    }
    json_decref(lines);
    json_decref(articles);
    return 0;
}

static int help_init(const config *cfg, sn_err *e)
{
    kb_search_log_init(cfg->db); /* searches from these pages are logged like the API's */
    return 0;
}

/* ---- the module ------------------------------------------------------------------------------ */

static const portal_route routes[] = {
    {"GET", "/help", home, "ar"},
    {"GET", "/help/en", home, "en"},
    {"GET", "/help/search", search, "ar"},
    {"GET", "/help/en/search", search, "en"},
    {"GET", "/help/lines/{code}", line, "ar"},
    {"GET", "/help/en/lines/{code}", line, "en"},
    {"GET", "/help/articles/{slug}", article, "ar"},
    {"GET", "/help/en/articles/{slug}", article, "en"},
    {"POST", "/help/articles/{slug}/feedback", feedback, "ar"},
    {"POST", "/help/en/articles/{slug}/feedback", feedback, "en"},
};

static const char *const prefixes[] = {"/help", NULL};
static const char *const disallow[] = {"/help/search", "/help/en/search", NULL};

const portal_module help_module = {
    "help", prefixes, routes, sizeof routes / sizeof routes[0], help_sitemap, disallow, help_init,
};
