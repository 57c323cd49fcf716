// The public help center's pages (server-rendered HTML, no JavaScript needed): Arabic and English
// homes by service line, service line pages, article pages with breadcrumb, Gregorian and Hijri
// dates, related articles and translations; what the public may see (only published, public
// articles — drafts, internal and archived ones are 404 pages); escaping of titles, queries and
// snippets; search over Arabic spelling variants; validators (ETag → 304) and caching; canonical
// URLs and hreflang; sitemap.xml and robots.txt; accessibility landmarks and the CSP (no inline
// scripts or styles).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, backendName, unique, show, ROOT } from './lib/harness.mjs';
import { expectStatus, expectSecurityHeaders } from './lib/expect.mjs';
import {
    ok, serviceLine, article, page, langDir, links, canonical, section, formCookie, formToken,
    latinDigits,
} from './lib/help.mjs';

const backend = backendName();

const XSS_TITLE = '<script>alert(1)</script> رسوم الخدمة الإلكترونية';
const XSS_QUERY = '"><img src=x onerror=alert(1)>';

describe(`help center pages [${backend}]`, () => {
    let server, admin, agent, anon, line, other;
    const art = {};

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        anon = server.client();
        line = await serviceLine(server, admin, { name_ar: 'استرداد المدفوعات', name_en: 'Payment refunds' });
        other = await serviceLine(server, admin, { name_ar: 'الإقرارات السنوية', name_en: 'Annual returns' });
        const pub = (fields, opts) => article(agent, line.owner, { service_line: line.code, ...fields }, opts);
        art.refund = await pub({
            title: 'استرداد المبالغ المدفوعة بالخطأ',
            body: 'يمكنك طلب **استرداد** المبالغ المدفوعة بالخطأ خلال ثلاثين يوماً من تاريخ الدفع.\n\n- ادخل إلى المنصة\n- اختر الطلب',
            topic: 'الاسترداد', tags: ['استرداد', 'مدفوعات'],
        });
        art.refundEn = await pub({
            title: 'Refunds of payments made by mistake', lang: 'en', translation_of: art.refund.id,
            body: 'You can ask for a **refund** of a payment made by mistake within thirty days.',
        });
        art.refund2 = await pub({ title: 'مدة استرداد المبالغ المدفوعة', body: 'تصرف المبالغ المستردة خلال أسبوعين من قبول الطلب.' });
        art.xss = await pub({ title: XSS_TITLE, body: 'الرسوم < ١٠٠ ريال & تدفع مرة واحدة عند تقديم الطلب.' });
        art.returns = await article(agent, other.owner, {
            service_line: other.code, title: 'تقديم الإقرار السنوي', body: 'يقدم الإقرار السنوي قبل نهاية السنة المالية.',
        });
        art.internal = await pub({ title: 'تعليمات داخلية لاسترداد المبالغ', body: 'للموظفين فقط.', visibility: 'internal' });
        art.draft = await pub({ title: 'مسودة عن استرداد المبالغ', body: 'لم تنشر.' }, { publish: false });
        art.archived = await pub({ title: 'مقالة مؤرشفة عن الاسترداد', body: 'كانت منشورة.' });
        await ok(line.owner.post(`/api/v1/kb/articles/${art.archived.id}/archive`), 200);
    });

    after(async () => {
        await server?.stop();
    });

    const hidden = () => [art.internal, art.draft, art.archived];

    test('Arabic home: rtl, landmarks, skip link, service lines with their articles, nothing hidden', async () => {
        const r = await page(anon, '/help');
        expectSecurityHeaders(r);
        assert.deepEqual(langDir(r.text), { lang: 'ar', dir: 'rtl' });
        assert.equal(r.headers.get('content-language'), 'ar');
        const html = r.text;
        assert.match(html, /<a class="skip-link" href="#main">تخطَّ إلى المحتوى<\/a>/);
        assert.match(html, /<header class="site-header">/);
        assert.match(html, /<main id="main"[^>]*>/);
        assert.match(html, /<footer class="site-footer">/);
        assert.match(html, /<form class="search" role="search" action="\/help\/search" method="get"/);
        assert.match(html, /<label for="q">/);
        assert.equal((html.match(/<h1[ >]/g) || []).length, 1, 'one h1');
        assert.ok(html.includes('استرداد المدفوعات') && html.includes('الإقرارات السنوية'), 'both lines');
        assert.ok(html.includes(`href="${art.refund.url}"`), 'the article is linked');
        assert.ok(html.includes(`href="/help/lines/${line.code}"`), 'the line page is linked');
        assert.ok(!html.includes(art.refundEn.title), 'English articles are on the English home');
        for (const h of hidden()) {
            assert.ok(!html.includes(h.title), `${h.title} must not show`);
        }
        assert.match(html, /<a class="lang-switch" href="\/help\/en" hreflang="en" lang="en">English<\/a>/);
    });

    test('English home: ltr, English strings and articles', async () => {
        const r = await page(anon, '/help/en');
        assert.deepEqual(langDir(r.text), { lang: 'en', dir: 'ltr' });
        assert.equal(r.headers.get('content-language'), 'en');
        assert.ok(r.text.includes('How can we help you?'));
        assert.ok(r.text.includes('Payment refunds'));
        assert.ok(r.text.includes(`href="${art.refundEn.url}"`));
        assert.ok(!r.text.includes(art.refund.title));
        assert.match(r.text, /action="\/help\/en\/search"/);
    });

    test('article page: breadcrumb, body, dates (Gregorian and Hijri), translation, related, feedback form', async () => {
        const r = await page(anon, art.refund.url);
        const html = r.text;
        assert.deepEqual(langDir(html), { lang: 'ar', dir: 'rtl' });
        assert.match(html, /<title>استرداد المبالغ المدفوعة بالخطأ — مركز المساعدة \| سند<\/title>/);
        assert.match(html, /<h1 id="article-title">استرداد المبالغ المدفوعة بالخطأ<\/h1>/);
        assert.match(html, /<strong>استرداد<\/strong>/);
        assert.match(html, /<li>ادخل إلى المنصة<\/li>/);
        // Breadcrumb: help center › line › this article (current).
        const crumbs = section(html, '<nav class="breadcrumb', '</nav>');
        assert.ok(crumbs, 'breadcrumb');
        assert.match(crumbs, /aria-label="مسار التنقل"/);
        assert.match(crumbs, /<li><a href="\/help">مركز المساعدة<\/a><\/li>/);
        assert.ok(crumbs.includes(`<li><a href="/help/lines/${line.code}">استرداد المدفوعات</a></li>`), crumbs);
        assert.match(crumbs, /<li><span aria-current="page">استرداد المبالغ المدفوعة بالخطأ<\/span><\/li>/);
        // Dates: the day of publication in Riyadh, Gregorian and Umm al-Qura.
        const pub = await ok(anon.get(`/api/v1/kb/public/articles/${encodeURIComponent(art.refund.slug)}`), 200);
        const when = Date.parse(pub.published_at);
        const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Riyadh' }).format(when);
        assert.ok(html.includes(`<time datetime="${day}">`), `no <time datetime="${day}"> in ${section(html, '<p class="meta">', '</p>')}`);
        const hijri = html.match(/<span class="hijri">\(الموافق ([^)]+)\)<\/span>/);
        assert.ok(hijri, `no Hijri date in ${section(html, '<p class="meta">', '</p>')}`);
        const parts = Object.fromEntries(new Intl.DateTimeFormat('ar-SA-u-ca-islamic-umalqura-nu-latn', {
            timeZone: 'Asia/Riyadh', day: 'numeric', month: 'long', year: 'numeric',
        }).formatToParts(when).map((p) => [p.type, p.value]));
        const shown = latinDigits(hijri[1]);
        assert.ok(shown.includes(`${Number(parts.day)} ${parts.month} ${parts.year}`), `${shown} vs ${JSON.stringify(parts)}`);
        assert.match(hijri[1], /هـ$/);
        // The translation, linked and in its own language.
        assert.ok(html.includes(`<a href="${art.refundEn.url}" hreflang="en" lang="en" dir="ltr">${art.refundEn.title}</a>`));
        assert.match(html, new RegExp(`<a class="lang-switch" href="${art.refundEn.url}"`));
        // Related: the other refund article of the line, not this one, not hidden ones.
        const related = section(html, '<aside class="related"', '</aside>');
        assert.ok(related && related.includes(art.refund2.title), `related: ${related}`);
        assert.ok(!related.includes(`href="${art.refund.url}"`));
        for (const h of hidden()) {
            assert.ok(!html.includes(h.title), `${h.title} must not show`);
        }
        // "Was this helpful?": a POST form with a token, per visitor (cookie), so revalidated.
        assert.match(html, /<h2 id="feedback-heading">هل كانت هذه المقالة مفيدة؟<\/h2>/);
        assert.ok(html.includes(`<form method="post" action="${art.refund.url}/feedback">`));
        assert.ok(formToken(html));
        assert.ok(formCookie(r));
        assert.match(r.setCookies.join('\n'), /HttpOnly/);
        assert.match(r.setCookies.join('\n'), /SameSite=Lax/);
        assert.equal(r.headers.get('cache-control'), 'private, no-cache');
    });

    test('English article: ltr, English dates with AH, hreflang both ways', async () => {
        const r = await page(anon, art.refundEn.url);
        assert.deepEqual(langDir(r.text), { lang: 'en', dir: 'ltr' });
        assert.match(r.text, /<span class="hijri">\(\d{1,2} [A-Za-z‘’' -]+ \d{4} AH\)<\/span>/);
        assert.match(r.text, /Published <time datetime="\d{4}-\d{2}-\d{2}">\d{1,2} [A-Z][a-z]+ \d{4}<\/time>/);
        const alt = links(r.text, 'alternate');
        const base = server.url;
        assert.deepEqual(alt.map((l) => [l.hreflang, l.href]).sort(), [
            ['ar', base + art.refund.url], ['en', base + art.refundEn.url], ['x-default', base + art.refund.url],
        ].sort());
        assert.equal(canonical(r.text), base + art.refundEn.url);
    });

    test('canonical URLs: an article under the other language\'s prefix is moved there; trailing slashes go', async () => {
        const wrong = art.refundEn.url.replace('/help/en/', '/help/');
        const r = await anon.get(wrong);
        expectStatus(r, 301);
        assert.equal(r.headers.get('location'), art.refundEn.url);
        const ar = await anon.get(art.refund.url.replace('/help/', '/help/en/'));
        expectStatus(ar, 301);
        assert.equal(ar.headers.get('location'), art.refund.url);
        const slash = await anon.get('/help/');
        expectStatus(slash, 301);
        assert.equal(slash.headers.get('location'), '/help');
        const a = await page(anon, art.refund.url);
        assert.equal(canonical(a.text), server.url + art.refund.url);
        assert.match(art.refund.url, /^\/help\/articles\/[a-z0-9%-]+$/i);
    });

    test('only published public articles: drafts, internal, archived and unknown slugs are 404 pages', async () => {
        for (const h of hidden()) {
            const r = await page(anon, h.url, 404);
            assert.deepEqual(langDir(r.text), { lang: 'ar', dir: 'rtl' });
            assert.match(r.text, /<h1>الصفحة غير موجودة<\/h1>/);
            assert.match(r.text, /<meta name="robots" content="noindex">/);
            assert.ok(!r.text.includes(h.title));
        }
        const en = await page(anon, '/help/en/articles/no-such-article', 404);
        assert.deepEqual(langDir(en.text), { lang: 'en', dir: 'ltr' });
        assert.match(en.text, /<h1>Page not found<\/h1>/);
        await page(anon, '/help/no/such/page', 404);
        await page(anon, `/help/lines/${unique('none')}`, 404);
        const m = await anon.post('/help/search', {});
        expectStatus(m, 405);
        assert.match(m.headers.get('allow') || '', /GET/);
        assert.match(m.headers.get('content-type'), /text\/html/);
    });

    test('an article appears after publish, not before', async () => {
        const a = await article(agent, line.owner, { service_line: line.code, title: `جدول صرف ${unique('p')}`, body: 'نص.' }, { publish: false });
        await page(anon, a.url, 404);
        await ok(agent.post(`/api/v1/kb/articles/${a.id}/submit`), 200);
        await ok(line.owner.post(`/api/v1/kb/articles/${a.id}/approve`), 200);
        await page(anon, a.url, 404);
        await ok(line.owner.post(`/api/v1/kb/articles/${a.id}/publish`, {}), 200);
        const r = await page(anon, a.url);
        assert.ok(r.text.includes(a.title));
        const home = await page(server.client(), '/help');
        assert.ok(home.text.includes(a.title));
    });

    test('service line page lists the line\'s articles in the page language', async () => {
        const r = await page(anon, `/help/lines/${line.code}`);
        assert.match(r.text, /<h1>استرداد المدفوعات<\/h1>/);
        assert.ok(r.text.includes(art.refund.title) && r.text.includes(art.refund2.title));
        assert.ok(!r.text.includes(art.returns.title));
        assert.match(r.text, /<span aria-current="page">استرداد المدفوعات<\/span>/);
        const en = await page(anon, `/help/en/lines/${line.code}`);
        assert.match(en.text, /<h1>Payment refunds<\/h1>/);
        assert.ok(en.text.includes(art.refundEn.title));
    });

    test('titles are escaped everywhere they are shown', async () => {
        const escaped = '&lt;script&gt;alert(1)&lt;/script&gt;';
        for (const p of ['/help', art.xss.url, `/help/lines/${line.code}`, `/help/search?q=${encodeURIComponent('رسوم الخدمة')}`]) {
            const r = await page(anon, p);
            assert.ok(!r.text.includes('<script>alert(1)'), `${p} has the raw title`);
            assert.ok(r.text.includes(escaped), `${p} lacks the escaped title`);
        }
        const a = await page(anon, art.xss.url);
        assert.ok(a.text.includes(`<title>${escaped} رسوم الخدمة الإلكترونية — مركز المساعدة | سند</title>`));
        assert.ok(a.text.includes('&lt; ١٠٠ ريال &amp; تدفع'), 'the body is escaped by the Markdown renderer');
    });

    test('search: Arabic variants find the article; the snippet is escaped and highlighted', async () => {
        for (const q of ['استرداد المبالغ', 'الاسترداد', 'إسترداد المبالغ', 'اِسْتِرْدَاد المَبَالِغ', 'وبالاسترداد']) {
            const r = await page(anon, `/help/search?q=${encodeURIComponent(q)}`);
            assert.ok(r.text.includes(`href="${art.refund.url}?s=`), `${q}: ${section(r.text, '<main', '</main>')}`);
            for (const h of hidden()) {
                assert.ok(!r.text.includes(h.title), `${q}: ${h.title} must not show`);
            }
        }
        const r = await page(anon, `/help/search?q=${encodeURIComponent('الرسوم')}`);
        const results = section(r.text, '<ol class="results">', '</ol>');
        assert.ok(results, r.text);
        assert.match(results, /<mark>الرسوم<\/mark>/);
        assert.ok(results.includes('&lt; ١٠٠ ريال &amp;'), results);
        assert.doesNotMatch(results.replace(/<\/?(mark|li|h2|p|a|ol)\b[^>]*>/g, ''), /<[a-z]/i);
        assert.equal(r.headers.get('cache-control'), 'private, no-cache');
        assert.match(r.text, /<meta name="robots" content="noindex">/);
        assert.match(r.text, /<p class="meta" role="status">عدد النتائج: [٠-٩]+<\/p>/);
        const en = await page(anon, `/help/en/search?q=${encodeURIComponent('refunds')}`);
        assert.ok(en.text.includes(`href="${art.refundEn.url}?s=`));
        assert.deepEqual(langDir(en.text), { lang: 'en', dir: 'ltr' });
        const none = await page(anon, `/help/search?q=${encodeURIComponent('كلمةغيرموجودةاطلاقا')}`);
        assert.match(none.text, /<p class="notice" role="status">لم نجد نتائج مطابقة/);
        const empty = await page(anon, '/help/search');
        assert.match(empty.text, /اكتب ما تبحث عنه/);
    });

    test('search: the query is escaped in the page, the box and the language link', async () => {
        const r = await page(anon, `/help/search?q=${encodeURIComponent(XSS_QUERY)}`);
        assert.ok(!r.text.includes('<img'), section(r.text, '<main', '</main>'));
        assert.ok(r.text.includes('value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"'));
        assert.ok(r.text.includes('<q>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</q>'));
        const sw = r.text.match(/<a class="lang-switch" href="([^"]+)"/)[1];
        assert.equal(sw, `/help/en/search?q=${encodeURIComponent(XSS_QUERY).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`);
    });

    test('searches from the help center are logged (source help) and result clicks counted', async () => {
        const q = 'مدة استرداد المبالغ';
        const r = await page(anon, `/help/search?q=${encodeURIComponent(q)}`);
        const href = r.text.match(new RegExp(`href="(${art.refund2.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\?s=[^"]+)"`));
        assert.ok(href, section(r.text, '<ol class="results">', '</ol>'));
        await page(anon, href[1]);
        const rows = server.sql(`SELECT source, results, clicked_article_id FROM kb_search_log WHERE query LIKE '%مده%'`).trim();
        assert.match(rows, new RegExp(`^help\\|\\d+\\|${art.refund2.id}$`, 'm'), rows);
    });

    test('validators: ETag and If-None-Match → 304; Cache-Control per page', async () => {
        const r = await page(anon, '/help');
        const etag = r.headers.get('etag');
        assert.match(etag, /^"[0-9a-f]{32}"$/);
        assert.equal(r.headers.get('cache-control'), 'public, max-age=60');
        const again = await anon.get('/help', { headers: { 'if-none-match': etag } });
        expectStatus(again, 304);
        assert.equal(again.text, '');
        assert.equal(again.headers.get('etag'), etag);
        expectStatus(await anon.get('/help', { headers: { 'if-none-match': `"x", W/${etag}` } }), 304);
        expectStatus(await anon.get('/help', { headers: { 'if-none-match': '"0000"' } }), 200);
        // A page with a form: the same visitor (cookie) gets 304, another one a page of its own.
        const a = await page(anon, art.refund.url);
        const cookie = formCookie(a);
        const tag = a.headers.get('etag');
        const same = await anon.get(art.refund.url, { headers: { cookie, 'if-none-match': tag } });
        expectStatus(same, 304);
        assert.equal(formCookie(same), null, 'a valid cookie is not reissued');
        const stranger = await server.client().get(art.refund.url, { headers: { 'if-none-match': tag } });
        expectStatus(stranger, 200);
        // HEAD: headers only.
        const head = await anon.request('HEAD', '/help');
        expectStatus(head, 200);
        assert.equal(head.text, '');
        assert.equal(head.headers.get('etag'), etag);
    });

    test('assets: the shared stylesheet then the help center\'s, versioned and immutable; pages have no inline script or style', async () => {
        const home = await page(anon, '/help');
        const links = [...home.text.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]);
        assert.equal(links.length, 2, links.join(' '));
        assert.match(links[0], /^\/help\/assets\/base\.css\?v=[0-9a-f]{12}$/);
        assert.match(links[1], /^\/help\/assets\/help\.css\?v=[0-9a-f]{12}$/);
        const texts = [];
        for (const href of links) {
            const r = await anon.get(href);
            expectStatus(r, 200);
            assert.match(r.headers.get('content-type'), /^text\/css/);
            assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
            assert.match(r.text, /margin-inline|padding-inline|inset-inline/);
            assert.doesNotMatch(r.text.replace(/\/\*[^]*?\*\//g, ""), /\b(margin|padding)-(left|right)\b|\bfloat:\s*(left|right)|text-align:\s*(left|right)/);
            texts.push(r.text);
        }
        assert.match(texts[0], /\.site-header/); // the header, footer and colours are shared
        assert.doesNotMatch(texts[1], /\.site-header|--ink:/);
        // The contact pages link the same shared file (same version), under their own path.
        const contact = await anon.get('/contact');
        expectStatus(contact, 200);
        const version = links[0].split('?v=')[1];
        assert.ok(contact.text.includes(`<link rel="stylesheet" href="/contact/assets/base.css?v=${version}">`), 'contact links base.css');
        expectStatus(await anon.get(`/contact/assets/base.css?v=${version}`), 200);
        const js = home.text.match(/<script src="(\/help\/assets\/help\.js\?v=[0-9a-f]{12})" defer><\/script>/);
        assert.ok(js, 'script tag');
        const j = await anon.get(js[1]);
        expectStatus(j, 200);
        assert.match(j.headers.get('content-type'), /^text\/javascript/);
        expectStatus(await anon.get('/help/assets/nope.css'), 404);
        expectStatus(await anon.get('/help/assets/../strings.ar.json'), [301, 404]);
        for (const p of ['/help', '/help/en', art.refund.url, `/help/search?q=x`]) {
            const t = (await page(anon, p)).text;
            assert.doesNotMatch(t, /<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=/i, p);
        }
    });

    test('sitemap.xml lists exactly the published public articles (and the homes and line pages)', async () => {
        const r = await anon.get('/sitemap.xml');
        expectStatus(r, 200);
        assert.match(r.headers.get('content-type'), /^application\/xml/);
        assert.match(r.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<urlset xmlns="http:\/\/www.sitemaps.org\/schemas\/sitemap\/0.9">/);
        const locs = [...r.text.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
        const base = server.url;
        const articles = locs.filter((l) => l.includes('/articles/')).sort();
        const list = await ok(anon.get('/api/v1/kb/public/articles'), 200);
        const want = list.items.map((a) => base + a.url).sort();
        assert.deepEqual(articles, want);
        assert.ok(want.includes(base + art.refund.url) && want.includes(base + art.refundEn.url));
        for (const h of hidden()) {
            assert.ok(!articles.includes(base + h.url), `${h.url} must not be listed`);
        }
        assert.ok(locs.includes(`${base}/help`) && locs.includes(`${base}/help/en`));
        assert.ok(locs.includes(`${base}/help/lines/${line.code}`));
        assert.match(r.text, /<lastmod>\d{4}-\d{2}-\d{2}<\/lastmod>/);
    });

    test('robots.txt: the sitemap, search results and the API kept out', async () => {
        const r = await anon.get('/robots.txt');
        expectStatus(r, 200);
        assert.match(r.headers.get('content-type'), /^text\/plain/);
        assert.match(r.text, /^User-agent: \*$/m);
        assert.match(r.text, /^Disallow: \/api\/$/m);
        assert.match(r.text, /^Disallow: \/help\/search$/m);
        assert.match(r.text, new RegExp(`^Sitemap: ${server.url}/sitemap.xml$`, 'm'));
    });

    test('home hreflang and canonical links; error pages too in both languages', async () => {
        const r = await page(anon, '/help');
        const base = server.url;
        assert.equal(canonical(r.text), `${base}/help`);
        assert.deepEqual(links(r.text, 'alternate').map((l) => `${l.hreflang} ${l.href}`), [
            `ar ${base}/help`, `en ${base}/help/en`, `x-default ${base}/help`,
        ]);
        const en = await page(anon, '/help/en');
        assert.equal(canonical(en.text), `${base}/help/en`);
    });

    test('every user-facing string exists in Arabic and English', () => {
        const dir = path.join(ROOT, 'templates', 'help');
        const ar = JSON.parse(fs.readFileSync(path.join(dir, 'strings.ar.json'), 'utf8'));
        const en = JSON.parse(fs.readFileSync(path.join(dir, 'strings.en.json'), 'utf8'));
        assert.deepEqual(Object.keys(ar).sort(), Object.keys(en).sort());
        for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.mustache'))) {
            const t = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\{\{![^]*?\}\}/g, '');
            for (const m of t.matchAll(/\{\{[#^/]?t\.([a-z0-9_]+)\}\}/g)) {
                assert.ok(m[1] in ar, `${f} uses t.${m[1]}, which is not in the strings`);
            }
            // No words outside tags and mustaches: every text comes from the strings.
            const text = t.replace(/\{\{[^}]*\}\}\}?/g, '').replace(/<[^>]*>/g, '').replace(/[\s():·|—,]+/g, '');
            assert.equal(text, '', `${f} has text of its own: ${text}`);
        }
    });

    test('the JSON API keeps its error envelope (portal pages do not catch /api paths)', async () => {
        const r = await anon.get('/api/v1/no-such-thing');
        expectStatus(r, 404);
        assert.ok(r.json?.error, show(r));
    });
});
