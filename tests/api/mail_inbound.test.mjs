// Email in, against real mail servers: mailboxes (admin, password write-only and encrypted),
// Dovecot IMAP polled by Sanad, and every parsing, sanitising, classification and duplicate rule
// with the fixtures of tests/fixtures/mail (Arabic in UTF-8, windows-1256 and ISO-8859-6,
// English), the mail log, attachment downloads and the \Seen flag set only after the commit.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName } from './lib/harness.mjs';
import { startMailServers, MAIL_PASSWORD, fixture, waitFor, waitLogged, mailLog, mail } from './lib/mailservers.mjs';

const backend = backendName();

describe(`email in (${backend})`, () => {
    let server;
    let ms;
    let admin;
    let supervisor;
    let agent;
    let staff;
    const log = {}; // Message-ID → mail log entry

    const conv = async (id) => {
        const r = await admin.get(`/api/v1/conversations/${id}`);
        assert.equal(r.status, 200, r.text);
        return r.json;
    };
    const emailMessages = (c) => c.timeline.filter((t) => t.type === 'message' && t.channel === 'email');

    before(async () => {
        ms = await startMailServers({ users: ['support'] });
        server = await startServer({ extraArgs: ['--mail-poll-seconds', '1'] });
        admin = await server.login('admin');
        supervisor = await server.login('supervisor');
        agent = await server.login('agent');
        staff = await server.login('department_staff');
        const sl = await admin.post('/api/v1/service-lines', { code: 'annual_returns', name_ar: 'العوائد السنوية', name_en: 'Annual returns' });
        assert.equal(sl.status, 201, sl.text);
    });

    after(async () => {
        await server?.stop();
        ms?.stop();
    });

    test('mailboxes: admin only, password write-only and stored encrypted, validation', async () => {
        const body = {
            name: 'support', address: 'Support@Sanad.test', service_line: 'annual_returns',
            imap_url: ms.imapUrl(), username: 'support@sanad.test', password: MAIL_PASSWORD, smtp_url: ms.smtpUrl(),
        };
        assert.equal((await agent.post('/api/v1/mailboxes', body)).status, 403);
        assert.equal((await supervisor.get('/api/v1/mailboxes')).status, 403);
        const bad = [
            [{ ...body, name: 'x1', address: 'x1@sanad.test', imap_url: 'http://host/' }, 'imap_url'],
            [{ ...body, name: 'x2', address: 'x2@sanad.test', imap_url: 'imap://u:p@host/' }, 'imap_url'],
            [{ ...body, name: 'x3', address: 'x3@sanad.test', smtp_url: 'ftp://host' }, 'smtp_url'],
            [{ ...body, name: 'x4', address: 'not an address' }, 'address'],
            [{ ...body, name: 'x5', address: 'x5@sanad.test', service_line: 'nope' }, 'service_line'],
            [{ ...body, name: 'Bad Name', address: 'x6@sanad.test' }, 'name'],
            [{ ...body, name: 'x7', address: 'x7@sanad.test', password: 'a\r\nb' }, 'password'],
        ];
        for (const [b, field] of bad) {
            const r = await admin.post('/api/v1/mailboxes', b);
            assert.equal(r.status, 422, `${JSON.stringify(b)} → ${r.status} ${r.text}`);
            assert.equal(r.json.error.field, field);
        }
        const r = await admin.post('/api/v1/mailboxes', body);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.address, 'support@sanad.test');
        assert.equal(r.json.has_password, true);
        assert.equal(r.json.service_line, 'annual_returns');
        assert.ok(!('password' in r.json) && !r.text.includes(MAIL_PASSWORD), r.text);
        const stored = server.sql(`SELECT password_enc FROM mailboxes WHERE id = ${r.json.id}`).trim();
        assert.ok(stored.length > 20 && !stored.includes(MAIL_PASSWORD), 'password stored encrypted');
        assert.equal((await admin.post('/api/v1/mailboxes', body)).status, 409);
        const list = await admin.get('/api/v1/mailboxes');
        assert.equal(list.status, 200);
        assert.ok(!list.text.includes(MAIL_PASSWORD));
        const patched = await admin.patch(`/api/v1/mailboxes/${r.json.id}`, { enabled: true, username: 'support@sanad.test' });
        assert.equal(patched.status, 200, patched.text);
        assert.equal(patched.json.has_password, true);
        assert.equal((await admin.patch('/api/v1/mailboxes/999999', { enabled: false })).status, 404);
        const audit = await admin.get('/api/v1/audit?action=mailbox.create');
        assert.ok(!audit.text.includes(MAIL_PASSWORD), 'the audit log never holds the password');
    });

    test('every fixture is polled from Dovecot, taken in once and marked \\Seen after the commit', async () => {
        const names = ['ar-utf8', 'ar-1256', 'ar-iso88596', 'en-html', 'html-only', 'related-cid', 'attachments',
            'forward', 'broken-boundary', 'bad-base64', 'wrong-charset', 'unknown-charset', 'raw-header',
            'auto-submitted', 'x-autoreply', 'precedence-auto-reply', 'precedence-bulk', 'precedence-list',
            'display-spoof'];
        for (const n of names) {
            ms.deliver('support', fixture(`${n}.eml`));
        }
        ms.deliver('support', fixture('garbage.eml'));
        ms.deliver('support', mail({ from: 'Agent <agent@test.sanad>', messageId: 'from-agent-1@test.sanad', subject: 'from an agent address', body: 'written by a staff address' }));
        const ids = ['ar-utf8-1', 'ar-1256-1', 'ar-88596-1', 'en-html-1', 'html-only-1', 'related-1', 'attach-1',
            'forward-1', 'broken-1', 'badb64-1', 'wrong-cs-1', 'unknown-cs-1', 'raw-header-1', 'auto-submitted-1',
            'x-autoreply-1', 'precedence-auto-reply-1', 'precedence-bulk-1', 'precedence-list-1', 'spoof-1']
            .map((x) => `${x}@example.test`);
        ids.push('from-agent-1@test.sanad');
        const entries = await waitFor(async () => {
            const l = await mailLog(admin);
            return l.length >= ids.length + 1 ? l : null;
        }, 'every delivered message in the mail log', 60_000);
        for (const e of entries) {
            log[e.message_id] = e;
        }
        for (const id of ids) {
            assert.ok(log[id], `${id} is in the mail log`);
        }
        assert.equal(entries.filter((e) => e.kind === 'unparseable').length, 1);
        assert.equal(entries.length, ids.length + 1, 'one log row per message');
        // \Seen is set on the server once committed.
        await waitFor(() => ms.mailbox('support').every((m) => m.name.includes(':2,') && m.name.split(':2,')[1].includes('S')),
            'every message flagged \\Seen in the Maildir');
        const mb = (await admin.get('/api/v1/mailboxes')).json.items[0];
        assert.equal(mb.last_error, '');
        assert.ok(mb.last_poll_at);
    });

    test('Arabic UTF-8: split RFC 2047 words, quoted-printable body, service line of the mailbox', async () => {
        const e = log['ar-utf8-1@example.test'];
        assert.equal(e.kind, 'message');
        assert.equal(e.subject, 'طلب صرف العوائد السنوية');
        assert.equal(e.from, 'mohammed@example.test');
        assert.equal(e.from_name, 'محمد العتيبي');
        const c = await conv(e.conversation_id);
        assert.equal(c.channel, 'email');
        assert.equal(c.service_line, 'annual_returns');
        assert.equal(c.subject, 'طلب صرف العوائد السنوية');
        const [m] = emailMessages(c);
        assert.equal(m.kind, 'inbound');
        assert.match(m.body_text, /أرجو إفادتي بموعد صرف العوائد السنوية/);
        assert.deepEqual(m.flags, []);
        assert.equal(m.body_html, null);
        assert.deepEqual(m.attachments, []);
        // The display name is not an identity: the customer is known by the address only.
        const cust = await admin.get(`/api/v1/customers/${c.customer_id}?reveal=1&reason=test`);
        assert.equal(cust.json.name, '');
        assert.deepEqual(cust.json.emails, ['mohammed@example.test']);
    });

    test('windows-1256 body and subject, RFC 2231 file name, attachment downloads for staff only', async () => {
        const e = log['ar-1256-1@example.test'];
        assert.equal(e.subject, 'طلب إعفاء');
        const [m] = emailMessages(await conv(e.conversation_id));
        assert.match(m.body_text, /مرفق صورة الهوية الوطنية لطلب الإعفاء/);
        assert.equal(m.attachments.length, 1);
        const a = m.attachments[0];
        assert.equal(a.filename, 'هوية.pdf');
        assert.equal(a.content_type, 'application/pdf');
        assert.equal(a.url, `/api/v1/attachments/${a.id}`);
        const d = await agent.get(a.url);
        assert.equal(d.status, 200);
        assert.equal(d.headers.get('content-type'), 'application/pdf');
        assert.match(d.headers.get('content-disposition'), /^attachment; filename="attachment"; filename\*=UTF-8''%D9%87%D9%88%D9%8A%D8%A9\.pdf$/);
        assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
        assert.ok(d.text.startsWith('%PDF-1.4'));
        assert.equal((await staff.get(a.url)).status, 404, 'department staff see only escalated conversations');
        assert.equal((await server.client().get(a.url)).status, 401);
        assert.equal((await agent.get('/api/v1/attachments/999999')).status, 404);
    });

    test('ISO-8859-6 and the other charset repairs are flagged, never dropped', async () => {
        const iso = emailMessages(await conv(log['ar-88596-1@example.test'].conversation_id))[0];
        assert.equal(log['ar-88596-1@example.test'].subject, 'استفسار');
        assert.equal(iso.body_text, 'متى يتم الصرف؟');
        const wrong = emailMessages(await conv(log['wrong-cs-1@example.test'].conversation_id))[0];
        assert.equal(wrong.body_text, 'مرحبا بكم');
        assert.ok(wrong.flags.includes('charset_mismatch'));
        const unknown = emailMessages(await conv(log['unknown-cs-1@example.test'].conversation_id))[0];
        assert.equal(unknown.body_text, 'plain words');
        assert.ok(unknown.flags.includes('unknown_charset'));
        const b64 = emailMessages(await conv(log['badb64-1@example.test'].conversation_id))[0];
        assert.ok(b64.flags.includes('bad_base64'));
        assert.match(b64.body_text, /^نص مرمز بشكل/);
        const broken = emailMessages(await conv(log['broken-1@example.test'].conversation_id))[0];
        assert.ok(broken.flags.includes('missing_boundary'));
        assert.equal(broken.body_text, 'The body survives a missing closing boundary.');
        const raw = log['raw-header-1@example.test'];
        assert.equal(raw.subject, 'سؤال عن  الخدمة');
        assert.ok(raw.flags.includes('raw_8bit_header'));
    });

    test('HTML is sanitised: no script, handler, javascript:/data: URL, SVG, CSS expression; remote images blocked; dir kept', async () => {
        const e = log['en-html-1@example.test'];
        const m = emailMessages(await conv(e.conversation_id))[0];
        assert.equal(m.body_text, 'Hello team (plain text part)');
        const h = m.body_html;
        for (const bad of [/<script/i, /alert\(/, /onload/i, /onclick/i, /javascript:/i, /java\s*script/i, /data:/i,
            /<svg/i, /<math/i, /<iframe/i, /<form/i, /<input/i, /expression/i, /url\(/i, /<style/i, /track\.example/]) {
            assert.doesNotMatch(h, bad, `${bad} in ${h}`);
        }
        assert.match(h, /^<div dir="rtl">/);
        assert.match(h, /<p style="color: red">Hello <b>team<\/b><\/p>/);
        assert.match(h, /<a href="https:\/\/example\.test\/help" rel="noopener noreferrer nofollow" target="_blank">help<\/a>/);
        assert.match(h, /<img data-remote-src="https:\/\/tracker\.example\/pixel\.gif" alt="pixel">/);
        assert.match(h, /<div title="t">رسالة<\/div>/);
        assert.ok(m.flags.includes('remote_images_blocked'));
        assert.ok(m.flags.includes('active_content_removed'));
        const only = emailMessages(await conv(log['html-only-1@example.test'].conversation_id))[0];
        assert.equal(only.body_text, 'شكرا لكم\nتم حل المشكلة', 'the text alternative comes from the HTML');
        assert.match(only.body_html, /^<div dir="rtl"><p>شكرا لكم<\/p>/);
    });

    test('multipart/related: cid images point at the staff download of the inline part', async () => {
        const m = emailMessages(await conv(log['related-1@example.test'].conversation_id))[0];
        assert.equal(m.attachments.length, 1);
        const img = m.attachments[0];
        assert.equal(img.content_type, 'image/png');
        assert.equal(img.inline, true);
        assert.match(m.body_html, new RegExp(`<img src="/api/v1/attachments/${img.id}" alt="shot">`));
        assert.equal((await agent.get(img.url)).headers.get('content-type'), 'image/png');
    });

    test('attachments obey the upload rules: type by content, not by name', async () => {
        const m = emailMessages(await conv(log['attach-1@example.test'].conversation_id))[0];
        assert.deepEqual(m.attachments.map((a) => a.filename), ['statement.pdf']);
        const rejected = m.meta.email.rejected_attachments;
        assert.deepEqual(rejected.map((r) => [r.filename, r.reason, r.content_type]), [
            ['notreally.pdf', 'type_not_allowed', 'text/plain'],
            ['tool.exe', 'type_not_allowed', rejected[1].content_type],
        ]);
        assert.ok(m.flags.includes('attachment_type_rejected'));
    });

    test('a forwarded message (message/rfc822) is read with its headers', async () => {
        const m = emailMessages(await conv(log['forward-1@example.test'].conversation_id))[0];
        assert.ok(m.flags.includes('forwarded'));
        assert.match(m.body_text, /Please see the notice below\.\n---------- Forwarded message ----------\nFrom: Ministry <noreply@gov\.example>\nSubject: إشعار\n\nYour request was received\./);
    });

    test('auto-replies and bulk mail are logged and flagged, never a conversation, never answered', async () => {
        const expect = {
            'auto-submitted-1@example.test': ['auto_reply', 'auto_submitted'],
            'x-autoreply-1@example.test': ['auto_reply', 'x_autoreply'],
            'precedence-auto-reply-1@example.test': ['auto_reply', 'precedence_auto_reply'],
            'precedence-bulk-1@example.test': ['bulk', 'precedence_bulk'],
            'precedence-list-1@example.test': ['bulk', 'precedence_bulk'],
        };
        for (const [id, [kind, flag]] of Object.entries(expect)) {
            assert.equal(log[id].kind, kind, id);
            assert.ok(log[id].flags.includes(flag), `${id}: ${log[id].flags}`);
            assert.equal(log[id].conversation_id, null, id);
        }
        const outbound = server.sql("SELECT COUNT(*) FROM messages WHERE kind IN ('reply', 'auto_reply')").trim();
        assert.equal(outbound, '0', 'nothing was sent in answer to anything');
    });

    test('a message that cannot be parsed is kept raw and shown to agents as such', async () => {
        const e = Object.values(log).find((x) => x.kind === 'unparseable');
        assert.ok(e.conversation_id);
        const c = await conv(e.conversation_id);
        assert.equal(c.subject, '(unreadable email)');
        const m = emailMessages(c)[0];
        assert.ok(m.flags.includes('unparseable'));
        assert.equal(m.attachments[0].filename, 'message.eml');
        const raw = await admin.get(`/api/v1/mail/inbound/${e.id}/raw`);
        assert.equal(raw.status, 200);
        assert.equal(raw.headers.get('content-disposition'), 'attachment; filename="attachment"; filename*=UTF-8\'\'message.eml');
        const download = async (u) => Buffer.from(await (await fetch(`${server.url}${u}`, {
            headers: { cookie: admin.cookie },
        })).arrayBuffer());
        const bytes = await download(m.attachments[0].url);
        assert.ok(bytes.equals(await download(`/api/v1/mail/inbound/${e.id}/raw`)));
        // Kept exactly as IMAP served it (Dovecot sends NUL as 0x80 and line ends as CRLF).
        const printable = Buffer.from(Array.from({ length: 95 }, (_, i) => i + 32));
        assert.ok(bytes.includes(printable) && bytes.length >= fixture('garbage.eml').length, 'the raw bytes are kept');
        assert.equal((await agent.get(`/api/v1/mail/inbound/${e.id}/raw`)).status, 403);
    });

    test('the display name is never an identity; a staff address is not an agent action', async () => {
        const spoof = log['spoof-1@example.test'];
        assert.equal(spoof.from, 'attacker@example.test');
        assert.equal(spoof.from_name, 'admin@test.sanad');
        const c = await conv(spoof.conversation_id);
        const cust = await admin.get(`/api/v1/customers/${c.customer_id}?reveal=1&reason=test`);
        assert.deepEqual(cust.json.emails, ['attacker@example.test']);
        const fromAgent = log['from-agent-1@test.sanad'];
        assert.equal(fromAgent.kind, 'message');
        assert.ok(fromAgent.flags.includes('from_staff_address'));
        const ac = await conv(fromAgent.conversation_id);
        const [m] = emailMessages(ac);
        assert.equal(m.kind, 'inbound');
        assert.equal(m.author_id, null);
        assert.equal(ac.first_response_at, null, 'not a reply by the agent');
    });

    test('a duplicate Message-ID is logged as such and changes nothing', async () => {
        const first = log['ar-utf8-1@example.test'];
        const before1 = emailMessages(await conv(first.conversation_id)).length;
        ms.deliver('support', fixture('ar-utf8.eml'));
        await waitFor(async () => (await mailLog(admin)).find((e) => e.kind === 'duplicate'), 'the duplicate in the log');
        const dup = (await mailLog(admin)).find((e) => e.kind === 'duplicate');
        assert.equal(dup.message_id, 'ar-utf8-1@example.test');
        assert.equal(dup.conversation_id, first.conversation_id);
        assert.equal(emailMessages(await conv(first.conversation_id)).length, before1);
        const contacts = server.sql("SELECT COUNT(*) FROM contacts WHERE external_id = 'mail:ar-utf8-1@example.test'").trim();
        assert.equal(contacts, '1');
    });

    test('mail log: admin and supervisor, filtered by mailbox, cursor pagination', async () => {
        assert.equal((await agent.get('/api/v1/mail/inbound')).status, 403);
        const all = await mailLog(supervisor);
        const page = await supervisor.get('/api/v1/mail/inbound?limit=5');
        assert.equal(page.json.items.length, 5);
        assert.ok(page.json.next_cursor);
        const next = await supervisor.get(`/api/v1/mail/inbound?limit=5&cursor=${page.json.next_cursor}`);
        assert.equal(next.json.items[0].id, all[5].id);
        assert.equal((await mailLog(admin, 'support')).length, all.length);
        assert.equal((await mailLog(admin, 'other')).length, 0);
        const e = all[0];
        for (const k of ['message_id', 'from', 'subject', 'received_at', 'kind', 'conversation_id', 'flags', 'mailbox']) {
            assert.ok(k in e, `${k} in ${JSON.stringify(e)}`);
        }
        assert.match(e.received_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    });

    test('a message delivered by SMTP through Postfix arrives too', async () => {
        await ms.smtp('postfix-sender@example.test', 'support@sanad.test',
            mail({ from: 'postfix-sender@example.test', messageId: 'via-postfix-1@example.test', subject: 'عبر البريد', body: 'رسالة عبر Postfix' }));
        const e = await waitLogged(admin, 'via-postfix-1@example.test', 'message');
        assert.equal(e.subject, 'عبر البريد');
        const [m] = emailMessages(await conv(e.conversation_id));
        assert.equal(m.body_text, 'رسالة عبر Postfix');
    });
});
