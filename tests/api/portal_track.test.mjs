// Request tracking (/track): number + tracking code → status and the messages meant for the
// citizen (their own and the center's replies, never internal notes) as JSON or a page; a wrong
// code and a wrong number give the same 404; replies with files from the page join the
// conversation (reopening a solved one; a closed one starts anew with a new code); lookups are
// audited and rate-limited.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, show } from './lib/harness.mjs';
import { expectStatus, expectError } from './lib/expect.mjs';
import { ok, langDir } from './lib/help.mjs';
import { PDF, PNG, openForm, newCitizen, send, hidden, formCookie, multipart, unescape } from './lib/contact.mjs';

const backend = backendName();

describe(`request tracking [${backend}]`, () => {
    let server, agent, admin;

    // A new submission from its own address: {number, code, id}.
    async function submitted(over = {}) {
        const c = server.client();
        const f = await openForm(c);
        const r = await send(c, f, newCitizen(over));
        expectStatus(r, 201);
        const number = r.json.conversation_number;
        const id = Number(server.sql(`SELECT id FROM conversations WHERE number = '${number}'`).trim());
        return { number, code: r.json.tracking_code, id };
    }

    const lookup = (client, number, code) =>
        client.get(`/track?number=${encodeURIComponent(number)}&code=${encodeURIComponent(code)}`, { headers: { accept: 'application/json' } });

    // The case page for number + code (GET), with the reply form's cookie and token.
    async function casePage(client, number, code, lang = '') {
        const r = await client.get(`/track?number=${encodeURIComponent(number)}&code=${encodeURIComponent(code)}${lang}`);
        expectStatus(r, 200);
        return { r, cookie: formCookie(r), token: hidden(r.text, 'csrf_token') };
    }

    function reply(client, page, fields, files = [], { json = false, path = '/track/reply' } = {}) {
        const { raw, contentType } = multipart({ csrf_token: page.token, ...fields }, files);
        return client.post(path, undefined, {
            raw,
            contentType,
            headers: { cookie: page.cookie, ...(json ? { accept: 'application/json' } : {}) },
        });
    }

    before(async () => {
        server = await startServer();
        agent = await server.login('agent');
        admin = await server.login('admin');
    });

    after(async () => {
        await server?.stop();
    });

    test('JSON: status and messages {body, from, at}: the citizen\'s and the center\'s replies, never notes', async () => {
        const s = await submitted();
        const c = server.client();
        let r = await lookup(c, s.number, s.code);
        expectStatus(r, 200);
        assert.equal(r.json.status, 'open');
        assert.ok(Array.isArray(r.json.messages));
        assert.equal(r.json.messages[0].from, 'citizen');
        assert.ok(r.json.messages[0].body.includes('أرجو استرداد المبلغ الزائد'));
        assert.match(r.json.messages[0].at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
        for (const m of r.json.messages) {
            assert.deepEqual(Object.keys(m).sort(), ['at', 'body', 'from']);
        }
        await ok(agent.post(`/api/v1/conversations/${s.id}/messages`, { kind: 'note', body: 'ملاحظة داخلية سرية' }), 201);
        await ok(agent.post(`/api/v1/conversations/${s.id}/messages`, { kind: 'reply', body: 'تم تحويل طلبك إلى الإدارة المختصة.' }), 201);
        r = await lookup(c, s.number, s.code);
        expectStatus(r, 200);
        assert.ok(!r.text.includes('ملاحظة داخلية سرية'), 'internal notes never shown');
        const center = r.json.messages.filter((m) => m.from === 'center').map((m) => m.body);
        assert.ok(center.includes('تم تحويل طلبك إلى الإدارة المختصة.'), JSON.stringify(r.json));
        assert.equal(r.headers.get('cache-control'), 'no-store');
        // the code is read loosely: lower case, no dashes, spaces; Arabic-Indic digits in the number
        const loose = s.code.toLowerCase().replace(/-/g, ' ');
        const arabicNumber = s.number.replace(/\d/g, (d) => String.fromCharCode(0x660 + Number(d)));
        expectStatus(await lookup(c, arabicNumber, loose), 200);
    });

    test('a wrong code and a wrong number give the same 404', async () => {
        const s = await submitted();
        const t = await submitted();
        const c = server.client();
        const wrongCode = await lookup(c, s.number, t.code);
        const wrongNumber = await lookup(c, 'SND-999999', s.code);
        const garbage = await lookup(c, s.number, 'AAAA-AAAA-AAAA');
        const empty = await lookup(c, s.number, '');
        for (const r of [wrongCode, wrongNumber, garbage, empty]) {
            expectError(r, 404);
        }
        assert.equal(wrongCode.text, wrongNumber.text);
        assert.equal(garbage.text, wrongNumber.text);
        // pages: the lookup form again, the same text for both
        const p1 = await c.post('/track', undefined, { raw: new URLSearchParams({ number: s.number, code: t.code }).toString(), contentType: 'application/x-www-form-urlencoded' });
        const p2 = await c.post('/track', undefined, { raw: new URLSearchParams({ number: 'SND-999999', code: s.code }).toString(), contentType: 'application/x-www-form-urlencoded' });
        expectStatus(p1, 404);
        expectStatus(p2, 404);
        assert.match(p1.headers.get('content-type'), /^text\/html/);
        const msg = (h) => h.match(/<div class="alert" role="alert" id="not-found"><p>([^<]+)<\/p>/)[1];
        assert.equal(msg(p1.text), msg(p2.text));
        assert.ok(msg(p1.text).includes('لا يوجد طلب'));
    });

    test('pages: the lookup form, then the case with its status in Arabic and English', async () => {
        const s = await submitted();
        const c = server.client();
        const form = await c.get('/track');
        expectStatus(form, 200);
        assert.deepEqual(langDir(form.text), { lang: 'ar', dir: 'rtl' });
        assert.match(form.text, /<form class="track-form" method="post" action="\/track">/);
        const r = await c.post('/track', undefined, { raw: new URLSearchParams({ number: s.number, code: s.code }).toString(), contentType: 'application/x-www-form-urlencoded' });
        expectStatus(r, 200);
        assert.ok(r.text.includes('id="case-status" data-status="open">تم الاستلام'), r.text);
        assert.ok(r.text.includes('data-from="citizen"'));
        // Each message's time is shown on Riyadh's clock; its datetime keeps the instant.
        const t = r.text.match(/<time datetime="([^"]+)" dir="ltr">([^<]+)<\/time>/);
        assert.ok(t, 'a message time');
        const riyadh = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Riyadh', year: 'numeric', month: '2-digit',
            day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(Date.parse(t[1]));
        assert.equal(t[2], riyadh);
        assert.equal(r.headers.get('cache-control'), 'no-store');
        const en = await c.post('/track?lang=en', undefined, { raw: new URLSearchParams({ number: s.number, code: s.code }).toString(), contentType: 'application/x-www-form-urlencoded' });
        expectStatus(en, 200);
        assert.deepEqual(langDir(en.text), { lang: 'en', dir: 'ltr' });
        assert.ok(en.text.includes('Received — in progress'));
        assert.match(en.text, /action="\/track\/reply\?lang=en"/);
    });

    test('a reply with a file joins the conversation and reaches the agent timeline', async () => {
        const s = await submitted();
        const c = server.client();
        const p = await casePage(c, s.number, s.code);
        const r = await reply(c, p, { number: s.number, code: s.code, message: 'أرفقت صورة الإيصال كما طلبتم.' },
            [{ filename: 'الإيصال.png', type: 'image/png', data: PNG }]);
        expectStatus(r, 201);
        assert.ok(r.text.includes('id="reply-added"'));
        assert.ok(r.text.includes('أرفقت صورة الإيصال كما طلبتم.'));
        assert.ok(r.text.includes('الإيصال.png'));
        const conv = await ok(agent.get(`/api/v1/conversations/${s.id}`), 200);
        const msgs = conv.timeline.filter((m) => m.type === 'message' && m.kind === 'inbound');
        assert.equal(msgs.length, 2);
        const last = msgs[msgs.length - 1];
        assert.equal(last.channel, 'form');
        assert.equal(last.attachments.length, 1);
        assert.equal(last.attachments[0].content_type, 'image/png');
        assert.equal(last.attachments[0].filename, 'الإيصال.png');
        const json = await lookup(c, s.number, s.code);
        assert.equal(json.json.messages.filter((m) => m.from === 'citizen').length, 2);
        // JSON reply
        const rj = await reply(c, p, { number: s.number, code: s.code, message: 'رد ثالث' }, [], { json: true });
        expectStatus(rj, 201);
        assert.equal(rj.json.conversation_number, s.number);
    });

    test('reply refusals: CSRF missing 403, wrong code 404, empty message 422 (text kept), wrong file type 415', async () => {
        const s = await submitted();
        const c = server.client();
        const p = await casePage(c, s.number, s.code);
        expectError(await reply(c, { ...p, token: '' }, { number: s.number, code: s.code, message: 'x' }, [], { json: true }), 403);
        expectError(await reply(c, p, { number: s.number, code: 'ZZZZ-ZZZZ-ZZZZ', message: 'x' }, [], { json: true }), 404);
        expectError(await reply(c, p, { number: s.number, code: s.code, message: '  ' }, [], { json: true }), 422, { field: 'message' });
        const bad = await reply(c, p, { number: s.number, code: s.code, message: 'نص محفوظ' },
            [{ filename: 'x.pdf', type: 'application/pdf', data: Buffer.from('#!/bin/sh\necho hi\n') }]);
        expectStatus(bad, 415);
        assert.ok(bad.text.includes('نص محفوظ'));
        assert.ok(bad.text.includes('id="reply-error"'));
        const before = Number(server.sql(`SELECT count(*) FROM messages WHERE conversation_id = ${s.id} AND kind = 'inbound'`).trim());
        assert.equal(before, 1);
    });

    test('a reply reopens a solved conversation; on a closed one it starts a new request with a new code', async () => {
        const s = await submitted();
        await ok(agent.patch(`/api/v1/conversations/${s.id}`, { status: 'solved' }), 200);
        expectStatus(await lookup(server.client(), s.number, s.code), 200);
        const c = server.client();
        let p = await casePage(c, s.number, s.code);
        assert.ok(p.r.text.includes('data-status="solved"'));
        expectStatus(await reply(c, p, { number: s.number, code: s.code, message: 'لم تُحل المشكلة بعد' }), 201);
        assert.equal((await lookup(c, s.number, s.code)).json.status, 'open');

        await ok(agent.patch(`/api/v1/conversations/${s.id}`, { status: 'solved' }), 200);
        await ok(agent.patch(`/api/v1/conversations/${s.id}`, { status: 'closed' }), 200);
        p = await casePage(c, s.number, s.code);
        const r = await reply(c, p, { number: s.number, code: s.code, message: 'عندي سؤال جديد' }, [{ filename: 'a.pdf', type: 'application/pdf', data: PDF }]);
        expectStatus(r, 201);
        const number = r.text.match(/id="new-number" dir="ltr">([^<]+)</)[1];
        const code = unescape(r.text.match(/id="new-code" dir="ltr">([^<]+)</)[1]);
        assert.notEqual(number, s.number);
        const fresh = await lookup(c, number, code);
        expectStatus(fresh, 200);
        assert.equal(fresh.json.status, 'open');
        assert.ok(fresh.json.messages.some((m) => m.body === 'عندي سؤال جديد'));
        assert.equal((await lookup(c, s.number, s.code)).json.status, 'closed');
    });

    test('lookups are audited (tracking.lookup, no code) and rate-limited per address', async () => {
        const s = await submitted();
        const ip = server.newIp();
        const c = server.client({ ip });
        expectStatus(await lookup(c, s.number, s.code), 200);
        const audit = await ok(admin.get('/api/v1/audit?action=tracking.lookup'), 200);
        const rows = audit.items ?? audit.entries ?? audit.rows ?? audit;
        const mine = rows.find((x) => x.object_id === String(s.id) && x.ip === ip);
        assert.ok(mine, show({ status: 200, text: JSON.stringify(audit).slice(0, 2000) }));
        assert.ok(!JSON.stringify(rows).includes(s.code));
        let last;
        for (let i = 0; i < 40; i++) {
            last = await lookup(c, s.number, 'WRNG-CODE-XXXX');
            if (last.status === 429) {
                break;
            }
            expectError(last, 404);
        }
        expectError(last, 429);
        assert.ok(Number(last.headers.get('retry-after')) > 0);
        // the right code is refused too while the limit lasts, so guessing gains nothing
        expectError(await lookup(c, s.number, s.code), 429);
        const page429 = await c.get(`/track?number=${s.number}&code=${s.code}`);
        expectStatus(page429, 429);
        assert.ok(page429.text.includes('محاولات كثيرة'));
        expectStatus(await lookup(server.client(), s.number, s.code), 200);
    });
});
