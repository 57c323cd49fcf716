// Knowledge base articles: who may draft, submit, approve and publish (service line owners and
// admins only), versions and diff, scheduled publish and unpublish, what the public may see
// (never drafts, internal articles, or anything outside its publication window), export.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser, unique, show } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/expect.mjs';

const backend = backendName();

async function ok(p, status) {
    const r = await p;
    expectStatus(r, status);
    return r.json;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

describe(`kb workflow [${backend}]`, () => {
    let server, admin, agent, supervisor, owner, otherOwner, anon;
    const LINE = unique('refunds').toLowerCase();
    const OTHER = unique('returns').toLowerCase();

    // Draft → submitted → approved → published by the line's owner; returns the article.
    async function published(fields = {}) {
        const a = await ok(agent.post('/api/v1/kb/articles', {
            title: `استرداد المبالغ ${unique('t')}`, body: 'نص المقالة عن **الاسترداد**.', lang: 'ar',
            service_line: LINE, ...fields,
        }), 201);
        await ok(agent.post(`/api/v1/kb/articles/${a.id}/submit`), 200);
        await ok(owner.post(`/api/v1/kb/articles/${a.id}/approve`), 200);
        return ok(owner.post(`/api/v1/kb/articles/${a.id}/publish`, {}), 200);
    }

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        supervisor = await server.login('supervisor');
        anon = server.client();
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'استرداد المدفوعات', name_en: 'Refunds' }), 201);
        await ok(admin.post('/api/v1/service-lines', { code: OTHER, name_ar: 'الإقرارات', name_en: 'Returns' }), 201);
        const o1 = await createUser(admin, { roles: ['service_owner'] });
        const o2 = await createUser(admin, { roles: ['service_owner'] });
        owner = server.client();
        await owner.login(o1.email, o1.password);
        otherOwner = server.client();
        await otherOwner.login(o2.email, o2.password);
        const line = await ok(admin.patch(`/api/v1/service-lines/${LINE}`, { owners: [o1.user.id] }), 200);
        assert.deepEqual(line.owners, [o1.user.id]);
        await ok(admin.patch(`/api/v1/service-lines/${OTHER}`, { owners: [o2.user.id] }), 200);
    });

    after(async () => {
        await server?.stop();
    });

    test('owners: PATCH sets them, GET shows them, unknown user ids are refused', async () => {
        const l = await ok(admin.get(`/api/v1/service-lines/${LINE}`), 200);
        assert.equal(l.owners.length, 1);
        expectError(await admin.patch(`/api/v1/service-lines/${LINE}`, { owners: [999999] }), 422, { field: 'owners' });
        expectError(await admin.patch(`/api/v1/service-lines/${LINE}`, { owners: ['x'] }), 422, { field: 'owners' });
        expectError(await supervisor.patch(`/api/v1/service-lines/${LINE}`, { owners: [] }), 403);
    });

    test('create: a draft, version 1, with a slug, HTML rendered without raw HTML', async () => {
        const a = await ok(agent.post('/api/v1/kb/articles', {
            title: 'كيف أسترد رسوم الخدمة؟', body: '# عنوان\n\n<script>alert(1)</script>\n\n[رابط](javascript:alert(1)) و[موقع](https://example.org)',
            lang: 'ar', service_line: LINE, tags: ['رسوم'], topic: 'الرسوم',
        }), 201);
        assert.equal(a.status, 'draft');
        assert.equal(a.version, 1);
        assert.equal(a.visibility, 'public');
        assert.ok(a.slug.length > 0);
        assert.match(a.url, /^\/help\/articles\//);
        assert.ok(!a.body_html.includes('<script>'), a.body_html);
        assert.ok(!a.body_html.includes('javascript:'), a.body_html);
        assert.ok(a.body_html.includes('href="https://example.org"'), a.body_html);
        assert.equal(a.live, null);
    });

    test('validation: required fields, language, service line, visibility', async () => {
        expectError(await agent.post('/api/v1/kb/articles', { title: 'x', body: 'y', lang: 'fr', service_line: LINE }), 422, { field: 'lang' });
        expectError(await agent.post('/api/v1/kb/articles', { title: 'x', body: 'y', lang: 'ar', service_line: 'nope' }), 422, { field: 'service_line' });
        expectError(await agent.post('/api/v1/kb/articles', { title: 'x', body: 'y', lang: 'ar', service_line: LINE, visibility: 'secret' }), 422, { field: 'visibility' });
        expectError(await agent.post('/api/v1/kb/articles', { body: 'y', lang: 'ar', service_line: LINE }), 422);
    });

    test('roles: department staff and QA may not draft; agents may not approve or publish', async () => {
        const staff = await server.login('department_staff');
        expectError(await staff.post('/api/v1/kb/articles', { title: 'x', body: 'y', lang: 'ar', service_line: LINE }), 403);
        const a = await ok(agent.post('/api/v1/kb/articles', { title: 'مسودة', body: 'نص', lang: 'ar', service_line: LINE }), 201);
        await ok(agent.post(`/api/v1/kb/articles/${a.id}/submit`), 200);
        expectError(await agent.post(`/api/v1/kb/articles/${a.id}/approve`), 403);
        expectError(await supervisor.post(`/api/v1/kb/articles/${a.id}/approve`), 403);
    });

    test('only an owner of the article\'s line (or an admin) approves and publishes', async () => {
        const a = await ok(supervisor.post('/api/v1/kb/articles', { title: 'مقالة للمراجعة', body: 'نص', lang: 'ar', service_line: LINE }), 201);
        expectError(await owner.post(`/api/v1/kb/articles/${a.id}/approve`), 409, { code: 'wrong_state' });
        await ok(supervisor.post(`/api/v1/kb/articles/${a.id}/submit`), 200);
        expectError(await otherOwner.post(`/api/v1/kb/articles/${a.id}/approve`), 403, { code: 'not_owner' });
        expectError(await owner.post(`/api/v1/kb/articles/${a.id}/publish`, {}), 409, { code: 'wrong_state' });
        const approved = await ok(owner.post(`/api/v1/kb/articles/${a.id}/approve`), 200);
        assert.equal(approved.status, 'approved');
        expectError(await otherOwner.post(`/api/v1/kb/articles/${a.id}/publish`, {}), 403);
        const p = await ok(owner.post(`/api/v1/kb/articles/${a.id}/publish`, {}), 200);
        assert.equal(p.status, 'published');
        assert.equal(p.live.version, 1);
        // An admin may do it for any line.
        const b = await ok(agent.post('/api/v1/kb/articles', { title: 'مقالة أخرى', body: 'نص', lang: 'ar', service_line: OTHER }), 201);
        await ok(agent.post(`/api/v1/kb/articles/${b.id}/submit`), 200);
        await ok(admin.post(`/api/v1/kb/articles/${b.id}/approve`), 200);
        await ok(admin.post(`/api/v1/kb/articles/${b.id}/publish`, {}), 200);
    });

    test('public visibility: drafts, in review, internal and archived articles are 404 to the public', async () => {
        const draft = await ok(agent.post('/api/v1/kb/articles', { title: 'مسودة خاصة', body: 'نص', lang: 'ar', service_line: LINE }), 201);
        expectError(await anon.get(`/api/v1/kb/public/articles/${encodeURIComponent(draft.slug)}`), 404);
        const internal = await published({ visibility: 'internal' });
        expectError(await anon.get(`/api/v1/kb/public/articles/${encodeURIComponent(internal.slug)}`), 404);
        const pub = await published();
        const seen = await ok(anon.get(`/api/v1/kb/public/articles/${encodeURIComponent(pub.slug)}`), 200);
        assert.equal(seen.id, pub.id);
        assert.match(seen.body_html, /<strong>الاسترداد<\/strong>/);
        assert.equal(seen.service_line.code, LINE);
        const list = await ok(anon.get(`/api/v1/kb/public/articles?service_line=${LINE}`), 200);
        const ids = list.items.map((x) => x.id);
        assert.ok(ids.includes(pub.id));
        assert.ok(!ids.includes(internal.id) && !ids.includes(draft.id));
        await ok(owner.post(`/api/v1/kb/articles/${pub.id}/archive`), 200);
        expectError(await anon.get(`/api/v1/kb/public/articles/${encodeURIComponent(pub.slug)}`), 404);
        expectError(await anon.post(`/api/v1/kb/articles/${pub.id}/feedback`, { helpful: true }), 404);
    });

    test('an edit makes a version; the live version stays until the new one is published; diff', async () => {
        const a = await published({ body: 'السطر الأول\nالسطر الثاني' });
        const e = await ok(agent.patch(`/api/v1/kb/articles/${a.id}`, { body: 'السطر الأول\nالسطر الثالث', note: 'تصحيح' }), 200);
        assert.equal(e.version, 2);
        assert.equal(e.status, 'draft');
        assert.equal(e.live.version, 1);
        const pubBefore = await ok(anon.get(`/api/v1/kb/public/articles/${encodeURIComponent(a.slug)}`), 200);
        assert.match(pubBefore.body_html, /الثاني/);
        const versions = await ok(agent.get(`/api/v1/kb/articles/${a.id}/versions`), 200);
        assert.deepEqual(versions.items.map((v) => v.version), [2, 1]);
        assert.equal(versions.items[0].note, 'تصحيح');
        const d = await ok(agent.get(`/api/v1/kb/articles/${a.id}/diff?from=1&to=2`), 200);
        assert.deepEqual(d.changes, [
            { op: '=', text: 'السطر الأول' }, { op: '-', text: 'السطر الثاني' }, { op: '+', text: 'السطر الثالث' },
        ]);
        assert.equal(d.title, null);
        expectError(await agent.get(`/api/v1/kb/articles/${a.id}/diff?from=1&to=9`), 404);
        await ok(agent.post(`/api/v1/kb/articles/${a.id}/submit`), 200);
        await ok(owner.post(`/api/v1/kb/articles/${a.id}/approve`), 200);
        const p = await ok(owner.post(`/api/v1/kb/articles/${a.id}/publish`, {}), 200);
        assert.equal(p.live.version, 2);
        const pubAfter = await ok(anon.get(`/api/v1/kb/public/articles/${encodeURIComponent(a.slug)}`), 200);
        assert.match(pubAfter.body_html, /الثالث/);
    });

    test('scheduled publish and unpublish: visibility follows the clock', async () => {
        const a = await ok(agent.post('/api/v1/kb/articles', {
            title: `موعد صرف ${unique('s')}`, body: 'يصرف المبلغ في الموعد الجديد', lang: 'ar', service_line: LINE,
        }), 201);
        await ok(agent.post(`/api/v1/kb/articles/${a.id}/submit`), 200);
        await ok(owner.post(`/api/v1/kb/articles/${a.id}/approve`), 200);
        const at = new Date(Date.now() + 1500).toISOString();
        const until = new Date(Date.now() + 3500).toISOString();
        expectError(await owner.post(`/api/v1/kb/articles/${a.id}/publish`, { publish_at: until, unpublish_at: at }), 422);
        const p = await ok(owner.post(`/api/v1/kb/articles/${a.id}/publish`, { publish_at: at, unpublish_at: until }), 200);
        assert.equal(p.live, null);
        assert.equal(p.scheduled.version, 1);
        const path = `/api/v1/kb/public/articles/${encodeURIComponent(a.slug)}`;
        expectError(await anon.get(path), 404);
        const before = await ok(anon.get(`/api/v1/kb/search?q=${encodeURIComponent('موعد صرف المبلغ')}`), 200);
        assert.ok(!before.results.some((x) => x.id === a.id), 'found before publish_at');
        await sleep(1800);
        await ok(anon.get(path), 200);
        const during = await ok(anon.get(`/api/v1/kb/search?q=${encodeURIComponent('موعد صرف المبلغ')}`), 200);
        assert.ok(during.results.some((x) => x.id === a.id), show({ status: 200, text: JSON.stringify(during) }));
        await sleep(2000);
        expectError(await anon.get(path), 404);
        const afterS = await ok(anon.get(`/api/v1/kb/search?q=${encodeURIComponent('موعد صرف المبلغ')}`), 200);
        assert.ok(!afterS.results.some((x) => x.id === a.id), 'found after unpublish_at');
    });

    test('translations are linked both ways', async () => {
        const ar = await published();
        const en = await ok(agent.post('/api/v1/kb/articles', {
            title: 'How to get a refund', body: 'Refund steps', lang: 'en', service_line: LINE, translation_of: ar.id,
        }), 201);
        assert.equal(en.translations[0].id, ar.id);
        assert.match(en.url, /^\/help\/en\/articles\//);
        const back = await ok(agent.get(`/api/v1/kb/articles/${ar.id}`), 200);
        assert.ok(back.translations.some((t) => t.id === en.id && t.lang === 'en'));
    });

    test('helpful votes: one per address and day, counted on the article', async () => {
        const a = await published();
        const voter = server.client();
        expectStatus(await voter.post(`/api/v1/kb/articles/${a.id}/feedback`, { helpful: true, comment: 'واضح' }), 204);
        expectError(await voter.post(`/api/v1/kb/articles/${a.id}/feedback`, { helpful: false }), 429);
        expectStatus(await server.client().post(`/api/v1/kb/articles/${a.id}/feedback`, { helpful: false }), 204);
        const back = await ok(agent.get(`/api/v1/kb/articles/${a.id}`), 200);
        assert.equal(back.helpful_yes, 1);
        assert.equal(back.helpful_no, 1);
    });

    test('export as JSON lines and as CSV with formula guard', async () => {
        await ok(agent.post('/api/v1/kb/articles', { title: '=HYPERLINK("x")', body: 'نص', lang: 'ar', service_line: LINE }), 201);
        const j = await supervisor.get('/api/v1/kb/export?format=jsonl');
        expectStatus(j, 200);
        const lines = j.text.trim().split('\n').map((l) => JSON.parse(l));
        assert.ok(lines.length >= 5);
        assert.ok(lines.every((l) => typeof l.body === 'string' && l.slug));
        const c = await supervisor.get('/api/v1/kb/export?format=csv');
        expectStatus(c, 200);
        assert.match(c.headers.get('content-type'), /text\/csv/);
        assert.ok(c.text.includes('"\'=HYPERLINK(""x"")"'), c.text.slice(0, 500));
        expectError(await agent.get('/api/v1/kb/export'), 403);
    });

    test('list with filters and cursor pagination', async () => {
        const all = [];
        let cursor = null;
        for (let i = 0; i < 100; i++) {
            const r = await ok(agent.get(`/api/v1/kb/articles?limit=3&service_line=${LINE}${cursor ? `&cursor=${cursor}` : ''}`), 200);
            all.push(...r.items);
            cursor = r.next_cursor;
            if (!cursor) break;
        }
        assert.ok(all.length >= 5);
        assert.equal(new Set(all.map((a) => a.id)).size, all.length);
        const drafts = await ok(agent.get('/api/v1/kb/articles?status=draft&limit=200'), 200);
        assert.ok(drafts.items.every((a) => a.status === 'draft'));
    });
});
