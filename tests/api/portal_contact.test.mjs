// The contact-us form (/contact): the page in Arabic and English, a multipart submission that
// becomes a form-channel conversation with its files (typed by content) and a tracking code
// stored only hashed, the confirmation email queued, validation beside each field with values
// kept, CSRF, honeypot, wrong file type renamed to .pdf (415), oversized file (413), the
// upload-request-limit (413 page / envelope) beside the JSON 1 MiB cap, the per-address rate
// limit (429), and KB suggestions counted toward deflection.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName } from './lib/harness.mjs';
import { expectStatus, expectError } from './lib/expect.mjs';
import { ok, serviceLine, article, page, langDir } from './lib/help.mjs';
import { PDF, PNG, multipart, openForm, citizen, send, fieldError, fieldValue, unescape } from './lib/contact.mjs';

const backend = backendName();

describe(`contact form [${backend}]`, () => {
    let server, admin, agent, supervisor, line;

    // The conversation with this number, as staff see it (with its timeline).
    async function conversation(number) {
        const id = Number(server.sql(`SELECT id FROM conversations WHERE number = '${number}'`).trim());
        assert.ok(id > 0, `no conversation ${number}`);
        return ok(agent.get(`/api/v1/conversations/${id}`), 200);
    }

    const count = (table) => Number(server.sql(`SELECT count(*) FROM ${table}`).trim());

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        supervisor = await server.login('supervisor');
        line = await serviceLine(server, admin, { name_ar: 'استرداد المدفوعات', name_en: 'Payment refunds' });
    });

    after(async () => {
        await server?.stop();
    });

    describe('the page', () => {
        test('Arabic by default: rtl, every field, CSRF token, honeypot, service lines from the database', async () => {
            const c = server.client();
            const f = await openForm(c);
            assert.deepEqual(langDir(f.html), { lang: 'ar', dir: 'rtl' });
            assert.match(f.r.headers.get('content-type'), /^text\/html; charset=utf-8$/);
            assert.match(f.html, /<form class="contact-form" method="post" action="\/contact" enctype="multipart\/form-data"/);
            for (const name of ['name', 'national_id', 'mobile', 'email', 'subject', 'website']) {
                assert.match(f.html, new RegExp(`<input id="${name}" name="${name}"`), name);
            }
            assert.match(f.html, /<textarea id="message" name="message"/);
            assert.match(f.html, /<input id="attachments" name="attachments" type="file" multiple/);
            assert.match(f.html, /<select id="service_line" name="service_line"/);
            assert.ok(f.html.includes(`<option value="${line.code}">استرداد المدفوعات</option>`), f.html);
            assert.ok(f.html.includes('تواصل معنا'));
            assert.match(f.html, /<div class="hp" aria-hidden="true">/);
            // the suggestions script is a module asset
            const src = f.html.match(/<script type="module" src="([^"]+)"><\/script>/)[1];
            const js = await c.get(src);
            expectStatus(js, 200);
            assert.match(js.headers.get('content-type'), /^text\/javascript/);
            assert.ok(js.text.includes('/api/v1/kb/suggest') || f.html.includes('data-suggest="/api/v1/kb/suggest"'));
        });

        test('English with ?lang=en (and /contact/en): ltr, English labels and service line names', async () => {
            const r = await page(server.client(), '/contact?lang=en');
            assert.deepEqual(langDir(r.text), { lang: 'en', dir: 'ltr' });
            assert.ok(r.text.includes('Contact us'));
            assert.ok(r.text.includes(`<option value="${line.code}">Payment refunds</option>`));
            assert.match(r.text, /action="\/contact\?lang=en"/);
            const r2 = await page(server.client(), '/contact/en');
            assert.deepEqual(langDir(r2.text), { lang: 'en', dir: 'ltr' });
        });
    });

    test('the form is in the sitemap; tracking pages are kept out of robots', async () => {
        const c = server.client();
        const map = await c.get('/sitemap.xml');
        expectStatus(map, 200);
        assert.ok(map.text.includes(`<loc>${server.url}/contact</loc>`) && map.text.includes(`<loc>${server.url}/contact/en</loc>`));
        const robots = await c.get('/robots.txt');
        assert.match(robots.text, /^Disallow: \/track$/m);
    });

    describe('a submission', () => {
        test('JSON: 201 with number and code; a form conversation with the files; code stored hashed; confirmation queued', async () => {
            const c = server.client();
            const f = await openForm(c);
            const r = await send(c, f, citizen({ service_line: line.code, email: 'Noura.Q@Example.com' }), [
                { filename: 'إيصال السداد.pdf', type: 'application/pdf', data: PDF },
                { filename: 'صورة.png', type: 'image/png', data: PNG },
            ]);
            expectStatus(r, 201);
            assert.deepEqual(Object.keys(r.json).sort(), ['conversation_number', 'tracking_code']);
            const { conversation_number: number, tracking_code: code } = r.json;
            assert.match(number, /^SND-\d+$/);
            assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

            const conv = await conversation(number);
            assert.equal(conv.channel, 'form');
            assert.equal(conv.subject, 'استرداد رسوم مدفوعة مرتين');
            assert.equal(conv.service_line, line.code);
            const inbound = conv.timeline.find((m) => m.type === 'message' && m.kind === 'inbound');
            assert.equal(inbound.channel, 'form');
            assert.ok(inbound.body.includes('أرجو استرداد المبلغ الزائد'));
            assert.equal(inbound.attachments.length, 2, JSON.stringify(inbound));
            const pdf = inbound.attachments.find((a) => a.filename === 'إيصال السداد.pdf');
            assert.equal(pdf.content_type, 'application/pdf');
            assert.equal(pdf.size, PDF.length);
            assert.equal(inbound.attachments.find((a) => a.filename === 'صورة.png').content_type, 'image/png');
            // staff download, byte for byte
            const dl = await agent.get(pdf.url);
            expectStatus(dl, 200);
            assert.equal(dl.text, PDF.toString());
            assert.match(dl.headers.get('content-disposition') || '', /^attachment/);
            // the customer: mobile in E.164, email normalised, national id
            const cust = Number(server.sql(`SELECT customer_id FROM conversations WHERE number = '${number}'`).trim());
            const ids = server.sql(`SELECT kind || '=' || value FROM customer_identities WHERE customer_id = ${cust} ORDER BY kind`);
            assert.ok(ids.includes('phone=+966512345678'), ids);
            assert.ok(ids.includes('email=noura.q@example.com'), ids);
            assert.ok(ids.includes('national_id=1000000008'), ids);
            // the code is nowhere in clear
            const stored = server.sql(`SELECT salt || ' ' || code_hash FROM form_tracking t JOIN conversations v ON v.id = t.conversation_id WHERE v.number = '${number}'`);
            assert.match(stored.trim(), /^\S+ [0-9a-f]{64}$/);
            const plain = code.replace(/-/g, '');
            assert.ok(!stored.includes(code) && !stored.includes(plain));
            assert.equal(Number(server.sql(`SELECT count(*) FROM messages WHERE body LIKE '%${plain.slice(0, 4)}-${plain.slice(4, 8)}%'`).trim()), 0);
            // the confirmation: an automatic reply on the email channel to the address given, in Arabic
            const conf = conv.timeline.find((m) => m.type === 'message' && m.kind === 'auto_reply' && m.channel === 'email');
            assert.ok(conf, JSON.stringify(conv.timeline));
            assert.ok(conf.body.includes(number) && conf.body.includes('استلمنا طلبك'), conf.body);
            const to = server.sql(`SELECT to_addr FROM mail_outbound o JOIN messages m ON m.id = o.message_row WHERE m.conversation_id = ${conv.id}`).trim();
            assert.equal(to, 'noura.q@example.com');
            assert.ok(Number(server.sql(`SELECT count(*) FROM jobs WHERE kind = 'email' AND payload LIKE '%${conf.id}%'`).trim()) >= 1);
        });

        test('HTML: 201 receipt page in Arabic with the number and the code; English confirmation for an English page', async () => {
            const c = server.client();
            const f = await openForm(c);
            const r = await send(c, f, citizen({ email: '' }), [], { json: false });
            expectStatus(r, 201);
            assert.match(r.headers.get('content-type'), /^text\/html/);
            assert.equal(r.headers.get('cache-control'), 'no-store');
            assert.deepEqual(langDir(r.text), { lang: 'ar', dir: 'rtl' });
            const number = r.text.match(/id="conversation-number" dir="ltr">([^<]+)</)[1];
            const code = r.text.match(/id="tracking-code" dir="ltr">([^<]+)</)[1];
            assert.match(number, /^SND-\d+$/);
            assert.match(code, /^[A-Z2-9-]{14}$/);
            assert.ok(r.text.includes('استلمنا طلبك'));
            assert.ok(!r.text.includes('id="email-sent"'), 'no email given: no confirmation promised');
            const conv = await conversation(number);
            assert.ok(!conv.timeline.some((m) => m.kind === 'auto_reply' && m.channel === 'email'));

            const e = server.client();
            const fe = await openForm(e, '/contact?lang=en');
            const re = await send(e, fe, citizen({ subject: 'Refund of a double payment', email: 'sara@example.org' }), [],
                { json: false, path: '/contact?lang=en' });
            expectStatus(re, 201);
            assert.deepEqual(langDir(re.text), { lang: 'en', dir: 'ltr' });
            assert.ok(re.text.includes('id="email-sent"'));
            const n2 = re.text.match(/id="conversation-number" dir="ltr">([^<]+)</)[1];
            const conf = (await conversation(n2)).timeline.find((m) => m.kind === 'auto_reply' && m.channel === 'email');
            assert.ok(conf.body.startsWith('Thank you for contacting us'), conf.body);
        });

        test('Arabic-Indic digits and spaces in the national ID and mobile are normalised', async () => {
            const c = server.client();
            const f = await openForm(c);
            const r = await send(c, f, citizen({ national_id: '١٠٠٠٠٠٠٠٠٨', mobile: '٠٥٠ ١٢٣ ٤٥٦٧', email: '' }));
            expectStatus(r, 201);
            const cust = Number(server.sql(`SELECT customer_id FROM conversations WHERE number = '${r.json.conversation_number}'`).trim());
            const ids = server.sql(`SELECT value FROM customer_identities WHERE customer_id = ${cust} AND kind = 'phone'`);
            assert.ok(ids.includes('+966501234567'), ids);
        });
    });

    describe('validation', () => {
        test('JSON: 422 naming the field, for each rule', async () => {
            const c = server.client();
            const f = await openForm(c);
            const cases = [
                [{ name: '  ' }, 'name'],
                [{ national_id: '1234567890' }, 'national_id'],
                [{ mobile: '12' }, 'mobile'],
                [{ mobile: '', email: '' }, 'mobile'],
                [{ email: 'not-an-email' }, 'email'],
                [{ service_line: 'no-such-line' }, 'service_line'],
                [{ subject: '' }, 'subject'],
                [{ subject: 'ع'.repeat(201) }, 'subject'],
                [{ message: '\n \n' }, 'message'],
            ];
            const before = count('conversations');
            for (const [over, field] of cases) {
                const r = await send(c, f, citizen(over));
                expectError(r, 422, { field });
            }
            assert.equal(count('conversations'), before, 'nothing was created');
        });

        test('HTML: 422 page with the message beside each field, every value kept, files must be chosen again', async () => {
            const c = server.client();
            const f = await openForm(c);
            const r = await send(c, f, citizen({ name: '', mobile: '123', subject: 'سؤال عن "الرسوم" & <المهلة>', service_line: line.code }),
                [{ filename: 'a.pdf', type: 'application/pdf', data: PDF }], { json: false });
            expectStatus(r, 422);
            assert.deepEqual(langDir(r.text), { lang: 'ar', dir: 'rtl' });
            assert.equal(fieldError(r.text, 'name'), 'هذا الحقل مطلوب.');
            assert.ok(fieldError(r.text, 'mobile').includes('رقم جوال'));
            assert.equal(fieldError(r.text, 'subject'), null);
            assert.equal(unescape(fieldValue(r.text, 'subject')), 'سؤال عن "الرسوم" & <المهلة>');
            assert.ok(!r.text.includes('<المهلة>'), 'values are escaped');
            assert.equal(fieldValue(r.text, 'mobile'), '123');
            assert.equal(fieldValue(r.text, 'national_id'), '1000000008');
            assert.equal(fieldValue(r.text, 'email'), 'noura@example.com');
            assert.ok(unescape(fieldValue(r.text, 'message')).includes('أرجو استرداد المبلغ الزائد'));
            assert.ok(r.text.includes(`<option value="${line.code}" selected>`));
            assert.match(r.text, /<p id="files-dropped">/);
            assert.match(r.text, /aria-invalid="true" aria-describedby="name-error"/);
            // the kb_session is kept, so suggestions and the later submission stay tied
            assert.ok(r.text.includes(`name="kb_session" value="${f.session}"`));
            // in English
            const e = server.client();
            const fe = await openForm(e, '/contact?lang=en');
            const re = await send(e, fe, citizen({ email: 'x@', mobile: '' }), [], { json: false, path: '/contact?lang=en' });
            expectStatus(re, 422);
            assert.equal(fieldError(re.text, 'email'), 'Enter a valid email address, for example name@example.com.');
        });

        test('more than five files → 422 on attachments', async () => {
            const c = server.client();
            const f = await openForm(c);
            const files = Array.from({ length: 6 }, (_, i) => ({ filename: `${i}.pdf`, type: 'application/pdf', data: PDF }));
            expectError(await send(c, f, citizen(), files), 422, { field: 'attachments' });
        });
    });

    describe('refusals', () => {
        test('CSRF token missing, wrong, or from another visitor → 403; nothing created', async () => {
            const c = server.client();
            const f = await openForm(c);
            const other = await openForm(server.client());
            const before = count('conversations');
            expectError(await send(c, f, citizen(), [], { token: '' }), 403);
            expectError(await send(c, f, citizen(), [], { token: 'x'.repeat(32) }), 403);
            expectError(await send(c, f, citizen(), [], { token: other.token }), 403);
            expectError(await send(c, { ...f, cookie: '' }, citizen()), 403);
            const fields = { ...citizen(), kb_session: f.session };
            const { raw, contentType } = multipart(fields); // no csrf_token field at all
            expectError(await c.post('/contact', undefined, { raw, contentType, headers: { cookie: f.cookie, accept: 'application/json' } }), 403);
            // a page: 403, the form again with the values and a fresh token
            const r = await send(c, f, citizen({ subject: 'موضوع محفوظ' }), [], { token: '', json: false });
            expectStatus(r, 403);
            assert.match(r.headers.get('content-type'), /^text\/html/);
            assert.equal(fieldValue(r.text, 'subject'), 'موضوع محفوظ');
            assert.ok(r.text.includes('انتهت صلاحية هذه الصفحة'));
            assert.equal(count('conversations'), before);
        });

        test('honeypot filled → 422 (website) and nothing created', async () => {
            const c = server.client();
            const f = await openForm(c);
            const before = count('conversations');
            expectError(await send(c, f, citizen({ website: 'http://spam.example' })), 422, { field: 'website' });
            assert.equal(count('conversations'), before);
        });

        test('a file of another type renamed to .pdf → 415, decided by content', async () => {
            const c = server.client();
            const f = await openForm(c);
            const before = count('conversations');
            const html = Buffer.from('<html><body><script>alert(1)</script></body></html>');
            const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), Buffer.alloc(200, 0)]);
            for (const data of [html, exe, Buffer.from('نص عادي وليس ملف PDF')]) {
                const r = await send(c, f, citizen(), [{ filename: 'مستند.pdf', type: 'application/pdf', data }]);
                expectError(r, 415, { field: 'attachments' });
            }
            const r = await send(c, f, citizen(), [{ filename: 'مستند.pdf', type: 'application/pdf', data: html }], { json: false });
            expectStatus(r, 415);
            assert.ok(fieldError(r.text, 'attachments').includes('PDF'));
            assert.equal(fieldValue(r.text, 'name'), 'نورة عبدالله القحطاني');
            assert.equal(count('conversations'), before);
        });

        test('a file over 10 MB → 413 (JSON envelope; page with the fields kept)', async () => {
            const c = server.client();
            const f = await openForm(c);
            const big = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024 + 1 - PDF.length, 0x20)]);
            expectError(await send(c, f, citizen(), [{ filename: 'كبير.pdf', type: 'application/pdf', data: big }]), 413, { field: 'attachments' });
            const r = await send(c, f, citizen(), [{ filename: 'كبير.pdf', type: 'application/pdf', data: big }], { json: false });
            expectStatus(r, 413);
            assert.ok(fieldError(r.text, 'attachments').includes('١٠ ميجابايت'));
            assert.equal(fieldValue(r.text, 'mobile'), '0512345678');
            // exactly 10 MB is accepted, and several such files fit in one request
            const max = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024 - PDF.length, 0x20)]);
            const ok2 = await send(c, f, citizen(), [
                { filename: '1.pdf', type: 'application/pdf', data: max },
                { filename: '2.pdf', type: 'application/pdf', data: max },
            ]);
            expectStatus(ok2, 201);
        });

        test('malformed multipart (no final boundary) → 400', async () => {
            const c = server.client();
            const f = await openForm(c);
            const { raw, contentType } = multipart({ csrf_token: f.token, ...citizen() });
            const cut = raw.subarray(0, raw.length - 30);
            expectError(await c.post('/contact', undefined, { raw: cut, contentType, headers: { cookie: f.cookie, accept: 'application/json' } }), 400);
            const p = await c.post('/contact', undefined, { raw: cut, contentType, headers: { cookie: f.cookie } });
            expectStatus(p, 400);
            assert.match(p.headers.get('content-type'), /^text\/html/);
        });
    });

    describe('upload-request-limit', () => {
        let small;
        before(async () => {
            small = await startServer({ extraArgs: ['--upload-request-limit', String(3 * 1024 * 1024)] });
        });
        after(async () => {
            await small?.stop();
        });

        test('multipart bodies over the limit → 413 page (or envelope); under it pass the 1 MiB JSON cap', async () => {
            const c = small.client();
            const f = await openForm(c);
            const two = Buffer.concat([PDF, Buffer.alloc(2 * 1024 * 1024, 0x20)]);
            expectStatus(await send(c, f, citizen(), [{ filename: 'a.pdf', type: 'application/pdf', data: two }]), 201);
            const files = [1, 2].map((i) => ({ filename: `${i}.pdf`, type: 'application/pdf', data: two }));
            const page413 = await send(c, f, citizen(), files, { json: false });
            expectStatus(page413, 413);
            assert.match(page413.headers.get('content-type'), /^text\/html/);
            assert.ok(page413.text.includes('الملفات كبيرة جدًا'), page413.text.slice(0, 2000));
            expectError(await send(c, f, citizen(), files), 413);
            // JSON bodies keep body-limit (1 MiB), even at 1.5 MiB
            const agent2 = await small.login('agent');
            const big = { channel: 'phone', customer: { name: 'x'.repeat(1536 * 1024) }, subject: 's', body: 'b' };
            expectError(await agent2.post('/api/v1/contacts', big), 413);
            // a multipart body sent to the API is capped by upload-request-limit but still refused there
            const { raw, contentType } = multipart({ a: 'b' }, [{ filename: 'x.pdf', data: two }]);
            const api = await agent2.post('/api/v1/contacts', undefined, { raw, contentType });
            expectError(api, 415);
        });
    });

    describe('rate limit', () => {
        test('one address sending many forms gets 429 with Retry-After (page in Arabic), others are not affected', async () => {
            const ip = server.newIp();
            const c = server.client({ ip });
            const f = await openForm(c);
            let last;
            for (let i = 0; i < 40; i++) {
                last = await send(c, f, citizen({ name: '' }), [], { json: false });
                if (last.status === 429) {
                    break;
                }
                expectStatus(last, 422);
            }
            expectStatus(last, 429);
            assert.ok(Number(last.headers.get('retry-after')) > 0);
            assert.deepEqual(langDir(last.text), { lang: 'ar', dir: 'rtl' });
            assert.ok(last.text.includes('محاولات كثيرة'));
            expectError(await send(c, f, citizen()), 429);
            const other = server.client();
            expectStatus(await send(other, await openForm(other), citizen()), 201);
        });
    });

    describe('deflection', () => {
        test('a suggestion opened from the form and no form sent counts as deflected; sending the form does not', async () => {
            await article(agent, line.owner, { service_line: line.code, title: 'استرداد الرسوم المدفوعة مرتين', body: 'يمكنك طلب استرداد الرسوم من صفحة المدفوعات.' });
            const a0 = await ok(supervisor.get('/api/v1/kb/analytics'), 200);
            const base = a0.deflection.reduce((s, w) => s + w.deflected, 0);
            const sessions0 = a0.deflection.reduce((s, w) => s + w.sessions, 0);

            // visitor 1: suggestions, opens one, leaves (deflected)
            const v1 = server.client();
            const f1 = await openForm(v1);
            const s1 = await ok(v1.get(`/api/v1/kb/suggest?q=${encodeURIComponent('استرداد الرسوم')}&source=contact_form&lang=ar&session=${f1.session}`), 200);
            assert.ok(s1.results.length > 0, JSON.stringify(s1));
            await page(v1, `${s1.results[0].url}?s=${s1.search_id}`);
            // visitor 2: suggestions, opens one, sends the form anyway (not deflected)
            const v2 = server.client();
            const f2 = await openForm(v2);
            const s2 = await ok(v2.get(`/api/v1/kb/suggest?q=${encodeURIComponent('استرداد')}&source=contact_form&lang=ar&session=${f2.session}`), 200);
            await page(v2, `${s2.results[0].url}?s=${s2.search_id}`);
            expectStatus(await send(v2, f2, citizen()), 201);

            const a = await ok(supervisor.get('/api/v1/kb/analytics'), 200);
            const deflected = a.deflection.reduce((s, w) => s + w.deflected, 0);
            const sessions = a.deflection.reduce((s, w) => s + w.sessions, 0);
            assert.equal(deflected - base, 1, JSON.stringify(a.deflection));
            assert.equal(sessions - sessions0, 2, JSON.stringify(a.deflection));
        });
    });
});
