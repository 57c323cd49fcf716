// "Was this helpful?" on the public help center: a POST form that needs no login, protected by a
// signed double-submit token (cookie + hidden field), rate-limited per address, recorded for the
// knowledge base analytics; one vote per address and article a day; 403/404/429 answers are HTML
// pages in the page's language.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, show } from './lib/harness.mjs';
import { expectStatus } from './lib/expect.mjs';
import { ok, serviceLine, article, page, langDir, formCookie, formToken, postForm } from './lib/help.mjs';

const backend = backendName();

describe(`help center feedback [${backend}]`, () => {
    let server, admin, agent, line;
    const art = {};

    // A visitor (own address) who opened the article page: {client, cookie, token}.
    async function visitor(a) {
        const client = server.client();
        const r = await page(client, a.url);
        const cookie = formCookie(r), token = formToken(r.text);
        assert.ok(cookie && token, `no form cookie or token: ${show(r)}`);
        return { client, cookie, token };
    }

    async function helpful(articleId) {
        const a = await ok(admin.get('/api/v1/kb/analytics'), 200);
        return a.articles.find((x) => x.id === articleId) ?? { helpful: 0, not_helpful: 0 };
    }

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        line = await serviceLine(server, admin, { name_ar: 'الإعفاءات', name_en: 'Exemptions' });
        const pub = (fields, opts) => article(agent, line.owner, { service_line: line.code, ...fields }, opts);
        art.a = await pub({ title: 'متابعة طلب الإعفاء', body: 'أدخل رقم الطلب في صفحة المتابعة.' });
        art.b = await pub({ title: 'شروط الإعفاء من الرسوم', body: 'تنطبق الشروط على المنشآت الصغيرة.' });
        art.en = await pub({ title: 'Tracking an exemption request', body: 'Enter the request number.', lang: 'en' });
        art.internal = await pub({ title: 'إجراء داخلي للإعفاء', body: 'للموظفين.', visibility: 'internal' });
        art.draft = await pub({ title: 'مسودة الإعفاء', body: 'مسودة.' }, { publish: false });
    });

    after(async () => {
        await server?.stop();
    });

    test('a vote with a comment: 303 back to the article, thanks shown, counted in analytics', async () => {
        const v = await visitor(art.a);
        const before0 = await helpful(art.a.id);
        const r = await postForm(v.client, `${art.a.url}/feedback`, { form_token: v.token, helpful: 'yes', comment: 'واضحة ومفيدة <b>شكرا</b>' },
            { cookie: v.cookie, headers: { origin: server.url } });
        expectStatus(r, 303);
        assert.equal(r.headers.get('location'), `${art.a.url}?feedback=thanks#feedback`);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        const thanks = await page(v.client, `${art.a.url}?feedback=thanks`, 200, { headers: { cookie: v.cookie } });
        assert.match(thanks.text, /<p class="notice" role="status">شكرًا لك/);
        assert.equal(formToken(thanks.text), null, 'no form after the vote');
        const after1 = await helpful(art.a.id);
        assert.equal(after1.helpful, before0.helpful + 1);
        const w = await visitor(art.a);
        expectStatus(await postForm(w.client, `${art.a.url}/feedback`, { form_token: w.token, helpful: 'no' }, { cookie: w.cookie }), 303);
        const after2 = await helpful(art.a.id);
        assert.equal(after2.not_helpful, before0.not_helpful + 1);
        assert.equal(after2.helpful, after1.helpful);
        const comments = server.sql(`SELECT comment FROM kb_feedback WHERE article_id = ${art.a.id} ORDER BY id`);
        assert.ok(comments.includes('واضحة ومفيدة <b>شكرا</b>'), comments);
    });

    test('English article: the vote works the same and its pages are English', async () => {
        const v = await visitor(art.en);
        const r = await postForm(v.client, `${art.en.url}/feedback`, { form_token: v.token, helpful: 'yes' }, { cookie: v.cookie });
        expectStatus(r, 303);
        const again = await postForm(v.client, `${art.en.url}/feedback`, { form_token: v.token, helpful: 'yes' }, { cookie: v.cookie });
        expectStatus(again, 429);
        assert.deepEqual(langDir(again.text), { lang: 'en', dir: 'ltr' });
        assert.match(again.text, /You have already rated this article/);
    });

    test('one vote per address and article a day: the second is a 429 page linking back', async () => {
        const v = await visitor(art.b);
        expectStatus(await postForm(v.client, `${art.b.url}/feedback`, { form_token: v.token, helpful: 'yes' }, { cookie: v.cookie }), 303);
        const r = await postForm(v.client, `${art.b.url}/feedback`, { form_token: v.token, helpful: 'no' }, { cookie: v.cookie });
        expectStatus(r, 429);
        assert.match(r.headers.get('content-type'), /^text\/html/);
        assert.ok(Number(r.headers.get('retry-after')) > 0, show(r));
        assert.match(r.text, /data-error="already_voted"/);
        assert.match(r.text, /<h1>سبق أن قيّمت هذه المقالة<\/h1>/);
        assert.ok(r.text.includes(`<a href="${art.b.url}">العودة إلى المقالة</a>`));
        const counts = await helpful(art.b.id);
        assert.equal(counts.helpful + counts.not_helpful, 1);
    });

    test('CSRF: no cookie, a wrong or borrowed token, a foreign Origin are refused (403 page)', async () => {
        const v = await visitor(art.a);
        const other = await visitor(art.a);
        const url = `${art.a.url}/feedback`;
        const cases = [
            ['no cookie', { form_token: v.token, helpful: 'yes' }, {}],
            ['no token', { helpful: 'yes' }, { cookie: v.cookie }],
            ['wrong token', { form_token: `${v.token.slice(0, -2)}AA`, helpful: 'yes' }, { cookie: v.cookie }],
            ['another visitor\'s token', { form_token: other.token, helpful: 'yes' }, { cookie: v.cookie }],
            ['a forged cookie', { form_token: v.token, helpful: 'yes' }, { cookie: v.cookie.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAA') }],
            ['a foreign Origin', { form_token: v.token, helpful: 'yes' }, { cookie: v.cookie, headers: { origin: 'https://evil.example' } }],
        ];
        for (const [what, fields, opts] of cases) {
            const r = await postForm(server.client(), url, fields, opts);
            expectStatus(r, 403);
            assert.match(r.text, /data-error="form_expired"/, what);
            assert.match(r.text, /انتهت صلاحية النموذج/, what);
        }
        // The genuine pair still works (from its own address).
        expectStatus(await postForm(v.client, url, { form_token: v.token, helpful: 'no' }, { cookie: v.cookie }), 303);
    });

    test('bad forms: not urlencoded (415 page), helpful not yes/no (400 page), comment too long', async () => {
        const v = await visitor(art.b);
        const url = `${art.b.url}/feedback`;
        const json = await v.client.post(url, { helpful: true }, { headers: { cookie: v.cookie } });
        expectStatus(json, 415);
        assert.match(json.headers.get('content-type'), /^text\/html/);
        const bad = await postForm(v.client, url, { form_token: v.token, helpful: 'maybe' }, { cookie: v.cookie });
        expectStatus(bad, 400);
        assert.match(bad.text, /تعذّر قبول الطلب/);
        const long = await postForm(v.client, url, { form_token: v.token, helpful: 'yes', comment: 'م'.repeat(1500) }, { cookie: v.cookie });
        expectStatus(long, 422);
        const escape = await v.client.post(url, undefined, {
            raw: `form_token=${v.token}&helpful=yes&comment=%ZZ`, contentType: 'application/x-www-form-urlencoded',
            headers: { cookie: v.cookie },
        });
        expectStatus(escape, 400);
    });

    test('feedback on a draft, an internal or an unknown article is a 404 page', async () => {
        const v = await visitor(art.a);
        for (const a of [art.internal, art.draft]) {
            const r = await postForm(v.client, `${a.url}/feedback`, { form_token: v.token, helpful: 'yes' }, { cookie: v.cookie });
            expectStatus(r, 404);
            assert.match(r.text, /الصفحة غير موجودة/);
        }
        expectStatus(await postForm(v.client, '/help/articles/no-such-article/feedback', { form_token: v.token, helpful: 'yes' }, { cookie: v.cookie }), 404);
        const internal = await page(v.client, art.internal.url, 404);
        assert.equal(formToken(internal.text), null);
    });

    test('rate limit: an address sending many forms at once gets a 429 page with Retry-After', async () => {
        const v = await visitor(art.a);
        const statuses = [];
        let last;
        for (let i = 0; i < 8; i++) {
            last = await postForm(v.client, `${art.a.url}/feedback`, { form_token: 'not-a-token', helpful: 'yes' }, { cookie: v.cookie });
            statuses.push(last.status);
        }
        assert.deepEqual(statuses.slice(0, 6), [403, 403, 403, 403, 403, 403]);
        assert.deepEqual(statuses.slice(6), [429, 429]);
        assert.match(last.text, /data-error="rate_limited"/);
        assert.match(last.text, /محاولات كثيرة/);
        assert.ok(Number(last.headers.get('retry-after')) >= 1);
        // Other addresses are not affected.
        const w = await visitor(art.b);
        expectStatus(await postForm(w.client, `${art.b.url}/feedback`, { form_token: w.token, helpful: 'yes' }, { cookie: w.cookie }), 303);
    });

    test('the form cookie is reused while valid and the token is stable for it', async () => {
        const v = await visitor(art.a);
        const again = await page(v.client, art.b.url, 200, { headers: { cookie: v.cookie } });
        assert.equal(formCookie(again), null);
        const t2 = formToken(again.text);
        const again2 = await page(v.client, art.b.url, 200, { headers: { cookie: v.cookie } });
        assert.equal(formToken(again2.text), t2);
        assert.match(again.headers.get('vary') || '', /Cookie/);
    });
});
