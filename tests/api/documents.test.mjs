// Documents a service requires (/documents): the admin's document types; the citizen's one-time
// code by SMS (a FAKE gateway, tests/api/lib/documents.mjs) or by email (real Postfix through the
// outbound queue); wrong, expired and five wrong codes; uploads judged by content (files renamed
// to .pdf refused), size (413 next to the field), a FAKE clamd (EICAR refused), CSRF missing
// (403); the reference number and the form conversation; the agent's review (reject needs an
// approved reason template), the citizen's notice and replacement, every step in the timeline,
// audited staff reads, and roles.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, show } from './lib/harness.mjs';
import { expectStatus, expectError } from './lib/expect.mjs';
import { startMailServers, MAIL_PASSWORD } from './lib/mailservers.mjs';
import {
    startFakeSms, startFakeClamd, Citizen, contactChoices, challengeOf, newNationalId, newMobile,
    PDF, PNG, EXE, HTML, EICAR,
} from './lib/documents.mjs';

const backend = backendName();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ok(p, status = 200) {
    const r = await p;
    expectStatus(r, status);
    return r.json;
}

function codeIn(text) {
    const m = text.match(/\b(\d{6})\b/);
    assert.ok(m, `no 6-digit code in ${text}`);
    return m[1];
}

describe(`documents a service requires [${backend}]`, () => {
    let server, sms, clamd, ms, admin, agent, supervisor, qa, dept;
    const LINE = 'annual_returns_docs';
    const types = {};

    // A citizen on file: national ID, a mobile and an email (at example.test: Postfix delivers it).
    async function citizenOnFile({ phone = true, email = true, otherEmail = false } = {}) {
        const nid = newNationalId();
        const mobile = newMobile();
        const mail = `c${nid}@example.test`;
        const body = { name: 'مواطن للاختبار', national_id: nid };
        if (phone) {
            body.phones = [mobile];
        }
        if (email) {
            // otherEmail: an older address first, so a notice must follow the one chosen.
            body.emails = otherEmail ? [`old${nid}@example.test`, mail] : [mail];
        }
        const c = await ok(agent.post('/api/v1/customers', body), 201);
        return { nid, mobile, mail, id: c.id };
    }

    // Identify and ask for a code by `channel` (sms | email); returns {citizen, challenge, page}.
    async function askCode(who, channel = 'sms') {
        const citizen = new Citizen(server);
        const home = await citizen.get('/documents');
        expectStatus(home, 200);
        const choose = await citizen.post('/documents/identify', { national_id: who.nid });
        expectStatus(choose, 200);
        const choices = contactChoices(choose.text);
        const pick = choices.find((c) => (channel === 'sms' ? /جوال/ : /البريد/).test(c.via));
        assert.ok(pick, `no ${channel} choice in ${JSON.stringify(choices)}`);
        const from = sms.messages.length;
        const page = await citizen.post('/documents/send', { national_id: who.nid, via: pick.value });
        expectStatus(page, 200);
        return { citizen, challenge: challengeOf(page.text), page, from, choices };
    }

    async function smsCode(who, from) {
        const m = await sms.waitFor(who.mobile, { from, pred: (x) => /\d{6}/.test(x.json.text) });
        return codeIn(m.json.text);
    }

    // A signed-in citizen (code by SMS).
    async function signedIn(who) {
        const a = await askCode(who, 'sms');
        const code = await smsCode(who, a.from);
        const r = await a.citizen.post('/documents/verify', { challenge: a.challenge, code });
        expectStatus(r, 303);
        assert.ok(a.citizen.signedIn(), show(r));
        return a.citizen;
    }

    async function uploadPage(citizen) {
        const r = await citizen.get(`/documents/services/${LINE}`);
        expectStatus(r, 200);
        return r;
    }

    // A full submission: returns {citizen, reference, conversationId, documents}.
    async function submit(who, files) {
        const citizen = await signedIn(who);
        await uploadPage(citizen);
        const r = await citizen.upload(`/documents/services/${LINE}`, files ?? [
            { name: `doc_${types.id.id}`, filename: 'هويتي.pdf', data: PDF },
            { name: `doc_${types.photo.id}`, filename: 'photo.png', type: 'image/png', data: PNG },
        ]);
        expectStatus(r, 303);
        const loc = r.headers.get('location');
        const m = loc.match(/^\/documents\/submissions\/(DOC-\d+)\?done=submitted$/);
        assert.ok(m, loc);
        const reference = m[1];
        const conversationId = Number(server.sql(`SELECT conversation_id FROM document_submissions WHERE reference = '${reference}'`).trim());
        return { citizen, reference, conversationId };
    }

    async function timeline(id) {
        return (await ok(agent.get(`/api/v1/conversations/${id}`))).timeline;
    }

    before(async () => {
        sms = await startFakeSms();
        clamd = await startFakeClamd();
        ms = await startMailServers({ users: ['notices'] });
        server = await startServer({
            extraArgs: ['--sms-gateway-url', sms.url, '--clamd', clamd.addr, '--job-backoff-base-ms', '100'],
        });
        admin = await server.login('admin');
        agent = await server.login('agent');
        supervisor = await server.login('supervisor');
        qa = await server.login('qa_evaluator');
        dept = await server.login('department_staff');
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'العوائد السنوية', name_en: 'Annual returns' }), 201);
        await ok(admin.post('/api/v1/mailboxes', {
            name: 'notices', address: 'notices@sanad.test', username: 'notices@sanad.test', password: MAIL_PASSWORD,
            smtp_url: ms.smtpUrl(),
        }), 201);
        types.id = await ok(admin.post(`/api/v1/service-lines/${LINE}/document-types`, {
            name_ar: 'صورة الهوية الوطنية', name_en: 'National ID copy', position: 1,
        }), 201);
        types.photo = await ok(admin.post(`/api/v1/service-lines/${LINE}/document-types`, {
            name_ar: 'صورة شخصية', name_en: 'Photo', allowed_types: ['image/jpeg', 'image/png'], position: 2,
        }), 201);
        types.extra = await ok(admin.post(`/api/v1/service-lines/${LINE}/document-types`, {
            name_ar: 'مستند إضافي', name_en: 'Extra document', mandatory: false, max_bytes: 4096, position: 3,
        }), 201);
        await ok(supervisor.post('/api/v1/templates', {
            code: 'doc_unclear', title: 'Unclear document',
            bodies: { ar: 'الصورة غير واضحة، يرجى رفع نسخة أوضح.', en: 'The image is not clear; please upload a clearer copy.' },
        }), 201);
        await ok(supervisor.post('/api/v1/templates/doc_unclear/approve'));
        await ok(supervisor.post('/api/v1/templates', { code: 'doc_draft_reason', title: 'Draft', bodies: { ar: 'مسودة', en: 'Draft' } }), 201);
    });

    after(async () => {
        await server?.stop();
        await sms?.close();
        await clamd?.close();
        ms?.stop();
    });

    // ---- document types ---------------------------------------------------------------------

    test('document types: defaults from the configuration, validation, list, update', async () => {
        assert.deepEqual(types.id.allowed_types, ['application/pdf', 'image/jpeg', 'image/png']);
        assert.equal(types.id.max_bytes, 10 * 1024 * 1024);
        assert.equal(types.id.mandatory, true);
        assert.equal(types.extra.mandatory, false);
        expectError(await admin.post(`/api/v1/service-lines/${LINE}/document-types`, { name_ar: 'x', allowed_types: ['pdf'] }), 422, { field: 'allowed_types' });
        expectError(await admin.post(`/api/v1/service-lines/${LINE}/document-types`, { name_ar: 'x', max_bytes: 0 }), 422, { field: 'max_bytes' });
        expectError(await admin.post(`/api/v1/service-lines/${LINE}/document-types`, { name_en: 'x' }), 422);
        expectError(await admin.post('/api/v1/service-lines/no_such_line/document-types', { name_ar: 'x' }), 404);
        expectError(await agent.post(`/api/v1/service-lines/${LINE}/document-types`, { name_ar: 'x' }), 403);
        const list = await ok(agent.get(`/api/v1/service-lines/${LINE}/document-types`));
        assert.deepEqual(list.items.map((t) => t.id), [types.id.id, types.photo.id, types.extra.id]);
        const tmp = await ok(admin.post(`/api/v1/service-lines/${LINE}/document-types`, { name_ar: 'مؤقت', position: 9 }), 201);
        const upd = await ok(admin.patch(`/api/v1/document-types/${tmp.id}`, { active: false, name_en: 'Temporary' }));
        assert.equal(upd.active, false);
        assert.equal(upd.name_en, 'Temporary');
        const active = await ok(agent.get(`/api/v1/service-lines/${LINE}/document-types`));
        assert.ok(!active.items.some((t) => t.id === tmp.id), 'inactive types are not listed by default');
        const all = await ok(agent.get(`/api/v1/service-lines/${LINE}/document-types?all=true`));
        assert.ok(all.items.some((t) => t.id === tmp.id));
        expectError(await admin.patch('/api/v1/document-types/999999', { name_en: 'x' }), 404);
    });

    // ---- identification ---------------------------------------------------------------------

    test('the start page is Arabic (rtl) by default and English with ?lang=en', async () => {
        const c = new Citizen(server);
        const ar = await c.get('/documents');
        expectStatus(ar, 200);
        assert.match(ar.text, /<html lang="ar" dir="rtl">/);
        assert.match(ar.text, /رقم الهوية الوطنية/);
        assert.match(ar.headers.get('cache-control') || '', /no-store/);
        const en = await c.get('/documents?lang=en');
        assert.match(en.text, /<html lang="en" dir="ltr">/);
        assert.match(en.text, /National ID/);
        assert.match(en.text, /action="\/documents\/identify\?lang=en"/);
    });

    test('contacts on file are offered masked, never in full', async () => {
        const who = await citizenOnFile();
        const c = new Citizen(server);
        await c.get('/documents');
        const r = await c.post('/documents/identify', { national_id: who.nid });
        expectStatus(r, 200);
        const choices = contactChoices(r.text);
        assert.equal(choices.length, 2, r.text);
        assert.ok(!r.text.includes(who.mobile) && !r.text.includes(who.mail), 'full contact details leaked');
        assert.ok(choices.some((x) => x.masked === `+9665*****${who.mobile.slice(-2)}`), JSON.stringify(choices));
        assert.ok(choices.some((x) => x.masked === `c***@example.test`), JSON.stringify(choices));
    });

    test('an invalid national ID → 422 next to the field; an unknown one → the same page, 404, no choices', async () => {
        const c = new Citizen(server);
        await c.get('/documents');
        const bad = await c.post('/documents/identify', { national_id: '12345' });
        expectStatus(bad, 422);
        assert.match(bad.text, /رقم الهوية غير صحيح/);
        assert.match(bad.text, /aria-invalid="true"/);
        const unknown = await c.post('/documents/identify', { national_id: newNationalId() });
        expectStatus(unknown, 404);
        assert.match(unknown.text, /تعذّر إرسال رمز لهذا الرقم/);
        assert.equal(contactChoices(unknown.text).length, 0);
    });

    test('identify is rate-limited per address: 429 page in Arabic with Retry-After', async () => {
        const c = new Citizen(server);
        await c.get('/documents');
        let last;
        for (let i = 0; i < 8; i++) {
            last = await c.post('/documents/identify', { national_id: newNationalId() });
            if (last.status === 429) {
                break;
            }
        }
        expectStatus(last, 429);
        assert.ok(Number(last.headers.get('retry-after')) > 0);
        assert.match(last.text, /محاولات كثيرة/);
    });

    test('CSRF missing or forged → 403 page, nothing sent', async () => {
        const who = await citizenOnFile();
        const c = new Citizen(server);
        await c.get('/documents');
        const before0 = sms.messages.length;
        const r = await c.post('/documents/identify', { national_id: who.nid }, { csrf: false });
        expectStatus(r, 403);
        assert.match(r.text, /انتهت صلاحية النموذج|غير مسموح/);
        const r2 = await c.post('/documents/send', { national_id: who.nid, via: '0' }, { csrf: 'forged-token' });
        expectStatus(r2, 403);
        await sleep(300);
        assert.equal(sms.messages.length, before0);
    });

    // ---- one-time codes ---------------------------------------------------------------------

    test('code by SMS: the gateway gets JSON {to, text} with 6 digits; only a keyed hash is stored; right code → session', async () => {
        const who = await citizenOnFile();
        const a = await askCode(who, 'sms');
        assert.match(a.page.text, /أدخل رمز التحقق/);
        assert.match(a.page.text, new RegExp(`\\+9665\\*{5}${who.mobile.slice(-2)}`));
        const m = await sms.waitFor(who.mobile, { from: a.from });
        assert.match(m.contentType, /^application\/json/);
        assert.deepEqual(Object.keys(m.json).sort(), ['text', 'to']);
        assert.equal(m.method, 'POST');
        const code = codeIn(m.json.text);
        assert.match(m.json.text, /رمز التحقق/);
        const row = server.sql(`SELECT code_hash || '|' || state || '|' || channel FROM document_otps WHERE handle = '${a.challenge}'`).trim();
        const [hash, state, channel] = row.split('|');
        assert.equal(state, 'open');
        assert.equal(channel, 'sms');
        assert.match(hash, /^[0-9a-f]{64}$/);
        assert.ok(!hash.includes(code));
        const jobs = server.sql("SELECT payload FROM jobs WHERE kind = 'sms'");
        assert.ok(!jobs.includes(code), 'the code is in clear in the jobs table');
        const r = await a.citizen.post('/documents/verify', { challenge: a.challenge, code });
        expectStatus(r, 303);
        assert.equal(r.headers.get('location'), '/documents');
        const cookie = r.setCookies.find((s) => /sanad_docs=/.test(s));
        assert.match(cookie, /HttpOnly/);
        assert.match(cookie, /SameSite=Strict/);
        assert.match(cookie, /Max-Age=1800/);
        const home = await a.citizen.get('/documents');
        assert.match(home.text, /اختر الخدمة/);
        assert.match(home.text, /العوائد السنوية/);
        // A used code does not open a second session.
        const again = new Citizen(server);
        await again.get('/documents');
        const r2 = await again.post('/documents/verify', { challenge: a.challenge, code });
        expectStatus(r2, 422);
        assert.ok(!again.signedIn());
    });

    test('a wrong code five times voids it: tries left shown, then even the right code is refused', async () => {
        const who = await citizenOnFile();
        const a = await askCode(who, 'sms');
        const code = await smsCode(who, a.from);
        const wrong = code === '000000' ? '111111' : '000000';
        for (let i = 1; i <= 4; i++) {
            const r = await a.citizen.post('/documents/verify', { challenge: a.challenge, code: wrong });
            expectStatus(r, 422);
            assert.match(r.text, /رمز التحقق غير صحيح/);
            assert.match(r.text, new RegExp(`المحاولات المتبقية: ${'٠١٢٣٤'[5 - i]}`), r.text.slice(0, 3000));
        }
        const fifth = await a.citizen.post('/documents/verify', { challenge: a.challenge, code: wrong });
        expectStatus(fifth, 422);
        assert.match(fifth.text, /لم يعد هذا الرمز صالحًا/);
        const right = await a.citizen.post('/documents/verify', { challenge: a.challenge, code });
        expectStatus(right, 422);
        assert.ok(!a.citizen.signedIn(), 'a void code opened a session');
        const row = server.sql(`SELECT state || '|' || attempts FROM document_otps WHERE handle = '${a.challenge}'`).trim();
        assert.equal(row, 'void|5');
    });

    test('an expired code is refused; a new code voids the one before', async () => {
        const who = await citizenOnFile();
        const a = await askCode(who, 'sms');
        const code = await smsCode(who, a.from);
        server.sql(`UPDATE document_otps SET expires_at = 1000 WHERE handle = '${a.challenge}'`);
        const r = await a.citizen.post('/documents/verify', { challenge: a.challenge, code });
        expectStatus(r, 422);
        assert.match(r.text, /انتهت صلاحية الرمز/);
        const b = await askCode(who, 'sms');
        const first = await smsCode(who, b.from);
        const c2 = await askCode(who, 'sms');
        await smsCode(who, c2.from);
        const stale = await b.citizen.post('/documents/verify', { challenge: b.challenge, code: first });
        expectStatus(stale, 422);
    });

    test('the SMS adapter retries a gateway failure (5xx) with backoff', async () => {
        const who = await citizenOnFile({ email: false });
        sms.failNext(2, 503);
        const a = await askCode(who, 'sms');
        const code = await smsCode(who, a.from);
        assert.ok(sms.messages.slice(a.from).filter((x) => x.refused === 503).length >= 2);
        const r = await a.citizen.post('/documents/verify', { challenge: a.challenge, code });
        expectStatus(r, 303);
    });

    test('code by email: through the outbound queue and real SMTP (Postfix), English page', async () => {
        const who = await citizenOnFile();
        const citizen = new Citizen(server);
        await citizen.get('/documents?lang=en');
        const choose = await citizen.post('/documents/identify?lang=en', { national_id: who.nid });
        expectStatus(choose, 200);
        assert.match(choose.text, /<html lang="en" dir="ltr">/);
        const pick = contactChoices(choose.text).find((c) => /Email/.test(c.via));
        assert.ok(pick, choose.text);
        const page = await citizen.post('/documents/send?lang=en', { national_id: who.nid, via: pick.value });
        expectStatus(page, 200);
        assert.match(page.text, /c\*\*\*@example\.test/);
        const mails = await ms.waitOutbox((m) => m.raw.includes(`To: ${who.mail}`), `the code to ${who.mail}`, 30_000);
        const raw = mails[0].raw.replace(/\r\n/g, '\n');
        const b64 = raw.split('\n\n').slice(1).join('\n\n').match(/Content-Type: text\/plain[^]*?\n\n([A-Za-z0-9+/=\n]+)/);
        assert.ok(b64, raw);
        const text = Buffer.from(b64[1].replace(/\s+/g, ''), 'base64').toString('utf8');
        const code = codeIn(text);
        assert.match(raw, /^From: .*notices@sanad\.test/m);
        const r = await citizen.post('/documents/verify?lang=en', { challenge: challengeOf(page.text), code });
        expectStatus(r, 303);
        assert.equal(r.headers.get('location'), '/documents?lang=en');
    });

    // ---- uploads ----------------------------------------------------------------------------

    test('without a session the upload pages send the citizen to /documents', async () => {
        const c = new Citizen(server);
        const r = await c.get(`/documents/services/${LINE}`);
        expectStatus(r, 303);
        assert.equal(r.headers.get('location'), '/documents');
        const forged = await c.client.get(`/documents/services/${LINE}`, { headers: { cookie: 'sanad_docs=1.1.99999999999999.' + 'a'.repeat(64) } });
        expectStatus(forged, 303);
    });

    test('the upload form lists each type with its limits; CSRF missing → 403', async () => {
        const who = await citizenOnFile();
        const citizen = await signedIn(who);
        const page = await uploadPage(citizen);
        assert.match(page.text, /enctype="multipart\/form-data"/);
        assert.match(page.text, new RegExp(`name="doc_${types.id.id}" accept="application/pdf,image/jpeg,image/png" required`));
        assert.match(page.text, /صورة الهوية الوطنية/);
        assert.match(page.text, /PDF, JPEG, PNG/);
        assert.match(page.text, /١٠ ميغابايت/);
        const r = await citizen.upload(`/documents/services/${LINE}`, [{ name: `doc_${types.id.id}`, filename: 'a.pdf', data: PDF }], { csrf: false });
        expectStatus(r, 403);
    });

    test('files renamed to .pdf are judged by content: an executable and an HTML page → 415 next to the field', async () => {
        const who = await citizenOnFile();
        const citizen = await signedIn(who);
        await uploadPage(citizen);
        for (const data of [EXE, HTML]) {
            const r = await citizen.upload(`/documents/services/${LINE}`, [
                { name: `doc_${types.id.id}`, filename: 'الهوية.pdf', type: 'application/pdf', data },
                { name: `doc_${types.photo.id}`, filename: 'p.png', type: 'image/png', data: PNG },
            ]);
            expectStatus(r, 415);
            assert.match(r.text, /نوع الملف غير مسموح/);
            assert.match(r.text, new RegExp(`id="doc_${types.id.id}_error"`));
        }
        // A PDF where only images are allowed is refused too.
        const r = await citizen.upload(`/documents/services/${LINE}`, [
            { name: `doc_${types.id.id}`, filename: 'a.pdf', data: PDF },
            { name: `doc_${types.photo.id}`, filename: 'photo.png', type: 'image/png', data: PDF },
        ]);
        expectStatus(r, 415);
        assert.match(r.text, new RegExp(`id="doc_${types.photo.id}_error"`));
        assert.equal(server.sql(`SELECT COUNT(*) FROM document_submissions s JOIN customers c ON c.id = s.customer_id WHERE c.id = ${who.id}`).trim(), '0');
    });

    test('an oversized file → 413 with the message next to its field (default 10 MB and a 4 KB type)', async () => {
        const who = await citizenOnFile();
        const citizen = await signedIn(who);
        await uploadPage(citizen);
        const big = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024 + 10, 0x20)]);
        const r = await citizen.upload(`/documents/services/${LINE}`, [
            { name: `doc_${types.id.id}`, filename: 'big.pdf', data: big },
            { name: `doc_${types.photo.id}`, filename: 'p.png', type: 'image/png', data: PNG },
        ]);
        expectStatus(r, 413);
        assert.match(r.text, /حجم الملف أكبر من الحد المسموح/);
        assert.match(r.text, new RegExp(`id="doc_${types.id.id}_error"`));
        const small = Buffer.concat([PDF, Buffer.alloc(5000, 0x20)]);
        const r2 = await citizen.upload(`/documents/services/${LINE}`, [
            { name: `doc_${types.id.id}`, filename: 'a.pdf', data: PDF },
            { name: `doc_${types.photo.id}`, filename: 'p.png', type: 'image/png', data: PNG },
            { name: `doc_${types.extra.id}`, filename: 'extra.pdf', data: small },
        ]);
        expectStatus(r2, 413);
        assert.match(r2.text, new RegExp(`id="doc_${types.extra.id}_error"`));
    });

    test('an infected file (EICAR, fake clamd) → 422 refused; a missing mandatory document → 422', async () => {
        const who = await citizenOnFile();
        const citizen = await signedIn(who);
        await uploadPage(citizen);
        const scans = clamd.scans();
        const infected = Buffer.concat([PDF, Buffer.from(`\n% ${EICAR}\n`)]);
        const r = await citizen.upload(`/documents/services/${LINE}`, [
            { name: `doc_${types.id.id}`, filename: 'a.pdf', data: infected },
            { name: `doc_${types.photo.id}`, filename: 'p.png', type: 'image/png', data: PNG },
        ]);
        expectStatus(r, 422);
        assert.match(r.text, /برمجية ضارة/);
        assert.ok(clamd.scans() > scans, 'clamd was not asked');
        const r2 = await citizen.upload(`/documents/services/${LINE}`, [
            { name: `doc_${types.id.id}`, filename: 'a.pdf', data: PDF },
        ]);
        expectStatus(r2, 422);
        assert.match(r2.text, /هذا المستند مطلوب/);
        assert.match(r2.text, new RegExp(`id="doc_${types.photo.id}_error"`));
    });

    test('a submission: reference number, a form conversation with every step, documents listed for staff (audited)', async () => {
        const who = await citizenOnFile();
        const { citizen, reference, conversationId } = await submit(who);
        const page = await citizen.get(`/documents/submissions/${reference}?done=submitted`);
        expectStatus(page, 200);
        assert.match(page.text, new RegExp(`id="reference">${reference}<`));
        assert.match(page.text, /تم إرسال مستنداتك بنجاح/);
        assert.match(page.text, /قيد المراجعة/);
        const conv = await ok(agent.get(`/api/v1/conversations/${conversationId}`));
        assert.equal(conv.channel, 'form');
        assert.equal(conv.service_line, LINE);
        const ev = conv.timeline.find((t) => t.type === 'documents_submitted');
        assert.ok(ev, JSON.stringify(conv.timeline));
        const docs = await ok(agent.get(`/api/v1/conversations/${conversationId}/documents`));
        assert.equal(docs.items.length, 2);
        const idDoc = docs.items.find((d) => d.type.id === types.id.id);
        assert.equal(idDoc.status, 'pending');
        assert.equal(idDoc.filename, 'هويتي.pdf');
        assert.equal(idDoc.content_type, 'application/pdf');
        assert.equal(idDoc.reference, reference);
        assert.equal(idDoc.scan, 'clean');
        const audit = await ok(admin.get('/api/v1/audit?action=documents.list&limit=50'));
        assert.ok(audit.items.some((a) => a.object_id === String(conversationId) && a.actor_id === agent.user.id), JSON.stringify(audit.items.slice(0, 3)));
        // Download: the bytes as an attachment, nosniff, audited.
        const f = await agent.get(idDoc.url);
        expectStatus(f, 200);
        assert.match(f.headers.get('content-disposition'), /^attachment;/);
        assert.equal(f.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(f.text, PDF.toString('latin1'));
        const dl = await ok(admin.get('/api/v1/audit?action=document.download&limit=50'));
        assert.ok(dl.items.some((a) => a.object_id === String(idDoc.id)));
        // Not staff of the conversation, or not allowed at all.
        expectError(await qa.get(`/api/v1/conversations/${conversationId}/documents`), 403);
        expectError(await dept.get(`/api/v1/conversations/${conversationId}/documents`), 404);
        expectError(await dept.get(idDoc.url), 404);
        expectError(await server.client().get(idDoc.url), 401);
        // Department staff see them once the conversation is escalated to their department: the
        // list and the file, audited; reviewing stays with the front office.
        const deptCode = `docs_${Date.now()}`;
        await ok(admin.post('/api/v1/departments', { code: deptCode, name_ar: 'إدارة المستندات', name_en: 'Documents' }), 201);
        await ok(admin.patch(`/api/v1/users/${dept.user.id}`, { departments: [deptCode] }));
        await ok(agent.post(`/api/v1/conversations/${conversationId}/escalations`, { department: deptCode, note: 'تحقق من الهوية' }), 201);
        const seen = await ok(dept.get(`/api/v1/conversations/${conversationId}/documents`));
        assert.deepEqual(seen.items.map((d) => d.id).sort(), docs.items.map((d) => d.id).sort());
        const df = await dept.get(idDoc.url);
        expectStatus(df, 200);
        assert.equal(df.text, PDF.toString('latin1'));
        const byDept = await ok(admin.get('/api/v1/audit?action=document.download&limit=50'));
        assert.ok(byDept.items.some((a) => a.object_id === String(idDoc.id) && a.actor_id === dept.user.id));
        expectError(await dept.post(`/api/v1/documents/${idDoc.id}/review`, { decision: 'accept' }), 403);
        // Another citizen cannot open the submission.
        const other = await signedIn(await citizenOnFile());
        expectStatus(await other.get(`/documents/submissions/${reference}`), 404);
    });

    test('review: reject needs an approved reason; the citizen is notified by SMS, replaces, the agent accepts', async () => {
        const who = await citizenOnFile();
        const { citizen, reference, conversationId } = await submit(who);
        const docs = (await ok(agent.get(`/api/v1/conversations/${conversationId}/documents`))).items;
        const idDoc = docs.find((d) => d.type.id === types.id.id);
        const photo = docs.find((d) => d.type.id === types.photo.id);
        const url = `/api/v1/documents/${idDoc.id}/review`;
        expectError(await agent.post(url, { decision: 'reject' }), 422, { field: 'reason_template' });
        expectError(await agent.post(url, { decision: 'reject', reason_template: 'doc_draft_reason' }), 422, { field: 'reason_template' });
        expectError(await agent.post(url, { decision: 'reject', reason_template: 'no_such' }), 422, { field: 'reason_template' });
        expectError(await agent.post(url, { decision: 'maybe' }), 422, { field: 'decision' });
        expectError(await qa.post(url, { decision: 'accept' }), 403);
        expectError(await agent.post('/api/v1/documents/999999/review', { decision: 'accept' }), 404);
        const from = sms.messages.length;
        const rej = await ok(agent.post(url, { decision: 'reject', reason_template: 'doc_unclear', note: 'blurry scan' }));
        assert.equal(rej.status, 'rejected');
        assert.equal(rej.reason_template, 'doc_unclear');
        assert.equal(rej.reason_text, 'الصورة غير واضحة، يرجى رفع نسخة أوضح.');
        assert.equal(rej.reviewed_by, agent.user.id);
        expectError(await agent.post(url, { decision: 'accept' }), 409);
        const notice = await sms.waitFor(who.mobile, { from, pred: (m) => /لم يُقبل/.test(m.json.text) });
        assert.match(notice.json.text, /الصورة غير واضحة/);
        assert.match(notice.json.text, new RegExp(reference));
        assert.match(notice.json.text, /\/documents/);
        // The citizen sees the reason and replaces the document; wrong type first.
        const page = await citizen.get(`/documents/submissions/${reference}`);
        assert.match(page.text, /مرفوض/);
        assert.match(page.text, /الصورة غير واضحة/);
        const action = `/documents/submissions/${reference}/replace/${idDoc.id}`;
        assert.ok(page.text.includes(`action="${action}"`), page.text);
        const bad = await citizen.upload(action, [{ name: 'file', filename: 'new.pdf', data: EXE }]);
        expectStatus(bad, 415);
        assert.match(bad.text, /نوع الملف غير مسموح/);
        const noCsrf = await citizen.upload(action, [{ name: 'file', filename: 'new.pdf', data: PDF }], { csrf: false });
        expectStatus(noCsrf, 403);
        const rep = await citizen.upload(action, [{ name: 'file', filename: 'هوية-واضحة.pdf', data: Buffer.concat([PDF, Buffer.from('%clear\n')]) }]);
        expectStatus(rep, 303);
        assert.equal(rep.headers.get('location'), `/documents/submissions/${reference}?done=replaced`);
        const again = await citizen.upload(action, [{ name: 'file', filename: 'x.pdf', data: PDF }]);
        expectStatus(again, 409);
        const after1 = (await ok(agent.get(`/api/v1/conversations/${conversationId}/documents`))).items;
        const old = after1.find((d) => d.id === idDoc.id);
        const repl = after1.find((d) => d.replaces_id === idDoc.id);
        assert.equal(old.status, 'replaced', 'the rejected one is kept as history');
        assert.equal(repl.status, 'pending');
        assert.equal(repl.filename, 'هوية-واضحة.pdf');
        const from2 = sms.messages.length;
        await ok(supervisor.post(`/api/v1/documents/${repl.id}/review`, { decision: 'accept' }));
        await ok(agent.post(`/api/v1/documents/${photo.id}/review`, { decision: 'accept' }));
        await sms.waitFor(who.mobile, { from: from2, pred: (m) => /تم قبول/.test(m.json.text) });
        const tl = await timeline(conversationId);
        const kinds = tl.map((t) => t.type);
        for (const k of ['documents_submitted', 'document_rejected', 'document_replaced', 'document_accepted']) {
            assert.ok(kinds.includes(k), `${k} missing from ${JSON.stringify(kinds)}`);
        }
        const notices = tl.filter((t) => t.type === 'message' && t.kind === 'reply');
        assert.ok(notices.length >= 3, JSON.stringify(notices));
        const final = await citizen.get(`/documents/submissions/${reference}`);
        assert.match(final.text, /مقبول/);
        assert.match(final.text, /استُبدل/);
        // The SMS notices end up recorded as sent.
        const deadline = Date.now() + 10_000;
        let states = '';
        while (Date.now() < deadline) {
            states = server.sql(`SELECT delivery FROM messages WHERE conversation_id = ${conversationId} AND kind = 'reply' ORDER BY id`).trim();
            if (!states.split('\n').includes('queued')) {
                break;
            }
            await sleep(100);
        }
        assert.deepEqual([...new Set(states.split('\n'))], ['sent']);
    });

    test('a citizen who chose email gets the review notice by email, at the address chosen', async () => {
        const who = await citizenOnFile({ otherEmail: true });
        const a = new Citizen(server);
        await a.get('/documents');
        const choose = await a.post('/documents/identify', { national_id: who.nid });
        const pick = contactChoices(choose.text).filter((c) => /البريد/.test(c.via)).at(-1);
        const page = await a.post('/documents/send', { national_id: who.nid, via: pick.value });
        const mails = await ms.waitOutbox((m) => m.raw.includes(`To: ${who.mail}`), 'the code', 30_000);
        const raw = mails[0].raw.replace(/\r\n/g, '\n');
        const b64 = raw.match(/Content-Type: text\/plain[^]*?\n\n([A-Za-z0-9+/=\n]+)/);
        const code = codeIn(Buffer.from(b64[1].replace(/\s+/g, ''), 'base64').toString('utf8'));
        expectStatus(await a.post('/documents/verify', { challenge: challengeOf(page.text), code }), 303);
        await uploadPage(a);
        const r = await a.upload(`/documents/services/${LINE}`, [
            { name: `doc_${types.id.id}`, filename: 'id.pdf', data: PDF },
            { name: `doc_${types.photo.id}`, filename: 'p.png', type: 'image/png', data: PNG },
        ]);
        expectStatus(r, 303);
        const reference = r.headers.get('location').match(/DOC-\d+/)[0];
        const conv = Number(server.sql(`SELECT conversation_id FROM document_submissions WHERE reference = '${reference}'`).trim());
        const doc = (await ok(agent.get(`/api/v1/conversations/${conv}/documents`))).items[0];
        await ok(agent.post(`/api/v1/documents/${doc.id}/review`, { decision: 'reject', reason_template: 'doc_unclear' }));
        await ms.waitOutbox((m) => m.raw.includes(`To: ${who.mail}`) && m.raw.includes(reference), 'the review notice', 30_000);
        const toOld = (await ms.outbox()).filter((m) => m.raw.includes(`To: old${who.nid}@`));
        assert.equal(toOld.length, 0, 'nothing goes to the address not chosen');
    });
});
