// Knowledge base search: Arabic normalisation and stemming at query time, ranking basics, English
// stemming, synonyms, one typo, type-ahead suggestions, public visibility (drafts and internal
// articles never reach the public), snippets, and the analytics built from the search log.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, backendName, createUser, unique, show } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/expect.mjs';

const backend = backendName();

async function ok(p, status) {
    const r = await p;
    expectStatus(r, status);
    return r.json;
}

const ARTICLES = [
    { key: 'refund', title: 'استرداد المبالغ المدفوعة', body: 'يمكنك طلب استرداد المبالغ المدفوعة بالخطأ خلال ٣٠ يوماً من تاريخ الدفع عبر منصة اعتماد.' },
    { key: 'returns', title: 'تقديم الإقرارات السنوية', body: 'يجب تقديم الإقرار السنوي قبل نهاية السنة المالية، ويترتب على التأخير غرامة.' },
    { key: 'exempt', title: 'متابعة طلبات الإعفاء', body: 'للاستعلام عن حالة طلب الإعفاء أدخل رقم الطلب في صفحة المتابعة.' },
    { key: 'expro', title: 'نزع ملكية العقارات للمنفعة العامة', body: 'يحصل المالك على تعويض عادل عند نزع ملكية العقار، ويُصرف التعويض بعد التقييم.' },
    { key: 'etimad', title: 'التسجيل في منصة اعتماد', body: 'خطوات التسجيل في منصة اعتماد للموردين: إنشاء حساب ثم رفع السجل التجاري.' },
    { key: 'markup', title: 'رسوم الخدمة', body: 'الرسوم < ١٠٠ ريال & تدفع مرة واحدة عند تقديم الطلب.' },
    { key: 'english', title: 'Requesting refunds', body: 'Refunds of payments made by mistake are requested within thirty days.', lang: 'en' },
    { key: 'internal', title: 'إجراءات داخلية لاسترداد المبالغ', body: 'تعليمات للموظفين فقط عن استرداد المبالغ.', visibility: 'internal' },
];

describe(`kb search [${backend}]`, () => {
    let server, admin, agent, owner, supervisor, anon;
    const LINE = unique('pay').toLowerCase();
    const LINE2 = unique('tax').toLowerCase();
    const ids = {};

    const search = async (q, extra = '', client = anon, path = 'search') =>
        ok(client.get(`/api/v1/kb/${path}?q=${encodeURIComponent(q)}${extra}`), 200);

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        supervisor = await server.login('supervisor');
        anon = server.client();
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'المدفوعات', name_en: 'Payments' }), 201);
        await ok(admin.post('/api/v1/service-lines', { code: LINE2, name_ar: 'الإقرارات', name_en: 'Returns' }), 201);
        const o = await createUser(admin, { roles: ['service_owner'] });
        owner = server.client();
        await owner.login(o.email, o.password);
        await ok(admin.patch(`/api/v1/service-lines/${LINE}`, { owners: [o.user.id] }), 200);
        await ok(admin.patch(`/api/v1/service-lines/${LINE2}`, { owners: [o.user.id] }), 200);
        for (const a of ARTICLES) {
            const line = a.key === 'returns' ? LINE2 : LINE;
            const r = await ok(agent.post('/api/v1/kb/articles', {
                title: a.title, body: a.body, lang: a.lang ?? 'ar', service_line: line, visibility: a.visibility ?? 'public',
            }), 201);
            ids[a.key] = r.id;
            await ok(agent.post(`/api/v1/kb/articles/${r.id}/submit`), 200);
            await ok(owner.post(`/api/v1/kb/articles/${r.id}/approve`), 200);
            await ok(owner.post(`/api/v1/kb/articles/${r.id}/publish`, {}), 200);
        }
        const d = await ok(agent.post('/api/v1/kb/articles', {
            title: 'مسودة عن استرداد المبالغ', body: 'لم تنشر بعد: استرداد المبالغ', lang: 'ar', service_line: LINE,
        }), 201);
        ids.draft = d.id;
    });

    after(async () => {
        await server?.stop();
    });

    test('Arabic: the right article first, whatever the hamza, ta marbuta, harakat or digits', async () => {
        for (const q of ['استرداد المبالغ', 'إسترداد المبالغ', 'اسْتِرْدَادُ الْمَبَالِغِ', 'استرداد مبالغ مدفوعه', 'كيف أسترد المبالغ المدفوعة؟']) {
            const r = await search(q);
            assert.equal(r.results[0]?.id, ids.refund, `${q}: ${JSON.stringify(r.results.map((x) => x.title))}`);
        }
        const t = await search('الإقرار السنوي');
        assert.equal(t.results[0].id, ids.returns);
        const n = await search('نزع الملكية والتعويض');
        assert.equal(n.results[0].id, ids.expro);
        const digits = await search('30 يوما');
        assert.equal(digits.results[0].id, ids.refund, JSON.stringify(digits));
    });

    test('results carry title, escaped snippet with the match marked, score and url', async () => {
        const r = await search('رسوم الخدمة');
        const hit = r.results[0];
        assert.equal(hit.id, ids.markup);
        assert.ok(typeof hit.score === 'number' && hit.score > 0);
        assert.match(hit.url, /^\/help\/articles\//);
        assert.match(hit.snippet, /<mark>الرسوم<\/mark>/);
        assert.ok(hit.snippet.includes('&lt;') && hit.snippet.includes('&amp;'), hit.snippet);
        assert.ok(!/<(?!\/?mark>)/.test(hit.snippet), hit.snippet);
        assert.equal(typeof r.search_id, 'string');
    });

    test('public search and suggest never show drafts or internal articles; staff search shows internal', async () => {
        for (const path of ['search', 'suggest']) {
            const r = await search('استرداد المبالغ', '', anon, path);
            const got = r.results.map((x) => x.id);
            assert.ok(!got.includes(ids.internal) && !got.includes(ids.draft), `${path}: ${JSON.stringify(got)}`);
        }
        const staff = await search('إجراءات داخلية لاسترداد', '', agent, 'internal-search');
        assert.equal(staff.results[0].id, ids.internal);
        assert.ok(!staff.results.some((x) => x.id === ids.draft));
        expectError(await anon.get('/api/v1/kb/internal-search?q=x'), 401);
    });

    test('English is stemmed; the page language comes first', async () => {
        const r = await search('refund request');
        assert.equal(r.results[0].id, ids.english);
        const mixed = await search('refund استرداد', '&lang=en');
        assert.equal(mixed.results[0].lang, 'en');
        const ar = await search('refund استرداد', '&lang=ar');
        assert.equal(ar.results[0].lang, 'ar');
    });

    test('service_line filters; an unknown one finds nothing', async () => {
        const r = await search('الإقرار', `&service_line=${LINE2}`);
        assert.ok(r.results.length > 0 && r.results.every((x) => x.id === ids.returns));
        const none = await search('استرداد', `&service_line=${LINE2}`);
        assert.equal(none.results.length, 0);
        const unknown = await search('استرداد', '&service_line=nope');
        assert.equal(unknown.results.length, 0);
    });

    test('one typo in a longer word is forgiven', async () => {
        const r = await search('الاستردد');
        assert.equal(r.results[0]?.id, ids.refund, JSON.stringify(r));
        const e = await search('refnds');
        assert.equal(e.results[0]?.id, ids.english, JSON.stringify(e));
    });

    test('synonyms managed by admins apply at query time', async () => {
        const before = await search('ارجاع الفلوس');
        assert.ok(!before.results.some((x) => x.id === ids.refund), JSON.stringify(before));
        expectError(await supervisor.post('/api/v1/kb/synonyms', { terms: ['ارجاع', 'استرداد'] }), 403);
        expectError(await admin.post('/api/v1/kb/synonyms', { terms: ['وحيد'] }), 422);
        const g1 = await ok(admin.post('/api/v1/kb/synonyms', { terms: ['ارجاع', 'استرداد'] }), 201);
        await ok(admin.post('/api/v1/kb/synonyms', { terms: ['الفلوس', 'المبالغ المدفوعة'] }), 201);
        const list = await ok(supervisor.get('/api/v1/kb/synonyms'), 200);
        assert.equal(list.items.length, 2);
        const after = await search('ارجاع الفلوس');
        assert.equal(after.results[0]?.id, ids.refund, JSON.stringify(after));
        expectStatus(await admin.del(`/api/v1/kb/synonyms/${g1.id}`), 204);
        expectError(await admin.del(`/api/v1/kb/synonyms/${g1.id}`), 404);
    });

    test('suggest: type-ahead on an unfinished word, at most 5, no sign-in', async () => {
        const r = await search('منصة اعتم', '', anon, 'suggest');
        assert.equal(r.results[0]?.id, ids.etimad, JSON.stringify(r));
        assert.ok(!('snippet' in r.results[0]));
        const p = await search('الاستر', '', anon, 'suggest');
        assert.ok(p.results.some((x) => x.id === ids.refund), JSON.stringify(p));
        const many = await search('ال', '&limit=5', anon, 'suggest');
        assert.ok(many.results.length <= 5);
        expectError(await anon.get('/api/v1/kb/suggest?q=x&limit=9'), 400);
        const empty = await search('   ', '', anon, 'suggest');
        assert.deepEqual(empty.results, []);
    });

    // Each server thread keeps what it read of the index (document attributes, frequencies,
    // posting lists) until the index's generation changes; a write by another process (here an
    // import) must show in the very next search on every thread, for a word searched before.
    test('a search sees at once what another process added to the index', async () => {
        const word = 'قنطرةزبرجدية';
        const clients = [anon, server.client(), server.client(), agent];
        for (let i = 0; i < 24; i++) {
            const r = await search(`${word} الجسر`, '', clients[i % clients.length]);
            assert.ok(!r.results.some((x) => /قنطرة/.test(x.title)), JSON.stringify(r));
        }
        const file = path.join(server.dir, 'import-kb.jsonl');
        fs.writeFileSync(file, `${JSON.stringify({
            title: `${word} على الجسر`, body: `مقال عن ${word} يصف الجسر القديم.`, lang: 'ar', service_line: LINE,
            status: 'published', slug: unique('qantara'),
        })}\n`);
        const imp = server.cli(['import', 'articles', '--db', server.db, file]);
        assert.equal(imp.code, 0, imp.stderr);
        for (let i = 0; i < 24; i++) {
            const r = await search(`${word} الجسر`, '', clients[i % clients.length]);
            assert.ok(/قنطرة/.test(r.results[0]?.title ?? ''), `search ${i}: ${JSON.stringify(r)}`);
            const s = await search(word.slice(0, 6), '', clients[i % clients.length], 'suggest');
            assert.ok(s.results.some((x) => /قنطرة/.test(x.title)), `suggest ${i}: ${JSON.stringify(s)}`);
        }
    });

    test('related articles and public reads by slug', async () => {
        const a = await ok(agent.get(`/api/v1/kb/articles/${ids.refund}`), 200);
        const pub = await ok(anon.get(`/api/v1/kb/public/articles/${encodeURIComponent(a.slug)}`), 200);
        assert.ok(Array.isArray(pub.related));
        assert.ok(!pub.related.some((x) => x.id === ids.refund || x.id === ids.internal));
    });

    test('analytics: top and zero-result queries, clicks, helpful ratio, deflection per week', async () => {
        const zero = unique('zz');
        await search(zero);
        await search(zero);
        const s1 = unique('s');
        const s2 = unique('s');
        const r1 = await search('استرداد', `&source=contact_form&session=${s1}`, anon, 'suggest');
        expectStatus(await anon.post('/api/v1/kb/clicks', { search_id: r1.search_id, article_id: r1.results[0].id }), 204);
        const r2 = await search('الإقرار', `&source=chat&session=${s2}`, anon, 'suggest');
        expectStatus(await anon.post('/api/v1/kb/clicks', { search_id: r2.search_id, article_id: r2.results[0].id }), 204);
        expectStatus(await anon.post('/api/v1/kb/submissions', { session: s2 }), 204);
        await search('متابعة', `&source=contact_form&session=${unique('s')}`, anon, 'suggest');
        expectError(await anon.post('/api/v1/kb/clicks', { search_id: 'nope', article_id: 1 }), 404);
        expectStatus(await server.client().post(`/api/v1/kb/articles/${ids.refund}/feedback`, { helpful: true }), 204);
        expectStatus(await server.client().post(`/api/v1/kb/articles/${ids.refund}/feedback`, { helpful: false }), 204);
        expectStatus(await server.client().post(`/api/v1/kb/articles/${ids.refund}/feedback`, { helpful: true }), 204);

        expectError(await agent.get('/api/v1/kb/analytics'), 403);
        const a = await ok(supervisor.get('/api/v1/kb/analytics'), 200);
        assert.ok(a.searches > 5, show({ status: 200, text: JSON.stringify(a) }));
        const z = a.zero_result_queries.find((x) => x.query === zero.toLowerCase());
        assert.equal(z?.count, 2, JSON.stringify(a.zero_result_queries));
        assert.ok(a.top_queries.length > 0);
        const art = a.articles.find((x) => x.id === ids.refund);
        assert.equal(art.helpful, 2);
        assert.equal(art.not_helpful, 1);
        assert.ok(Math.abs(art.ratio - 2 / 3) < 1e-6);
        assert.equal(a.deflection.length, 1, JSON.stringify(a.deflection));
        const w = a.deflection[0];
        assert.match(w.week, /^\d{4}-\d{2}-\d{2}$/);
        assert.equal(w.sessions, 3);
        assert.equal(w.clicked, 2);
        assert.equal(w.deflected, 1);
    });
});
