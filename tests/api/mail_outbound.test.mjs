// Email out and threading, against real mail servers: agents' replies leave through Sanad's
// durable queue and Postfix (read back from the Maildir Postfix delivers to), carry a Message-ID
// with an HMAC, In-Reply-To/References, the [#NUMBER] token, an RTL HTML part and a text part, and
// no injected header; replies thread by reference (ours verified, forged ones refused), by token
// (only from the conversation's customer), never by subject; bounces (a real Postfix DSN through
// Dovecot, and a synchronous 5xx) mark the message failed; a down SMTP server is retried.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, backendName } from './lib/harness.mjs';
import { startMailServers, MAIL_PASSWORD, waitFor, waitLogged, mail, headerOf } from './lib/mailservers.mjs';

const backend = backendName();

function decodeWords(v) {
    return v.replace(/\?=\s+=\?/g, '?==?').replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc, text) => (
        enc.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8')
            : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')));
}

// The parts of a multipart message: [{type, body}] with base64 / quoted-printable undone.
function parts(text) {
    const raw = text.replace(/\r\n/g, '\n'); // Postfix's Maildir files end lines with LF
    const ct = headerOf(raw, 'Content-Type') || '';
    const boundary = (ct.match(/boundary="?([^";]+)"?/) || [])[1];
    if (!boundary) {
        return [];
    }
    return raw.split(`--${boundary}`).slice(1, -1).map((p) => {
        const [head, ...rest] = p.replace(/^\n/, '').split('\n\n');
        const body = rest.join('\n\n');
        const type = (head.match(/Content-Type:\s*([^;\r\n]+)/i) || [])[1];
        const b64 = /Content-Transfer-Encoding:\s*base64/i.test(head);
        return { head, type, body: b64 ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : body };
    });
}

describe(`email out and threading (${backend})`, () => {
    let server;
    let ms;
    let admin;
    let agent;
    let seq = 0;

    const conv = async (id) => (await admin.get(`/api/v1/conversations/${id}`)).json;
    const emailMessages = (c) => c.timeline.filter((t) => t.type === 'message' && t.channel === 'email');
    const uid = (p) => `${p}-${++seq}@example.test`;

    // A customer writes; returns the mail log entry once Sanad has taken the message in.
    async function inbound(user, opts) {
        const messageId = opts.messageId ?? uid('in');
        ms.deliver(user, mail({ ...opts, messageId, to: `${user}@sanad.test` }));
        return waitLogged(admin, messageId);
    }

    async function reply(convId, body) {
        const r = await agent.post(`/api/v1/conversations/${convId}/messages`, { kind: 'reply', body });
        assert.equal(r.status, 201, r.text);
        return r.json;
    }

    // Wait until the latest reply of a conversation has a final delivery state.
    async function delivered(convId, state = 'sent') {
        return waitFor(async () => {
            const msgs = emailMessages(await conv(convId)).filter((m) => m.kind === 'reply');
            const last = msgs[msgs.length - 1];
            return last && last.delivery === state ? last : null;
        }, `a ${state} reply in conversation ${convId}`, 40_000);
    }

    before(async () => {
        ms = await startMailServers({ users: ['support', 'refunds'] });
        server = await startServer({ extraArgs: ['--mail-poll-seconds', '1', '--job-backoff-base-ms', '300'] });
        admin = await server.login('admin');
        agent = await server.login('agent');
        for (const [code, ar, en] of [['annual_returns', 'العوائد السنوية', 'Annual returns'], ['refunds', 'استرداد المدفوعات', 'Refunds']]) {
            const r = await admin.post('/api/v1/service-lines', { code, name_ar: ar, name_en: en });
            assert.equal(r.status, 201, r.text);
        }
        const boxes = [['support', 'annual_returns'], ['refunds', 'refunds']];
        for (const [name, line] of boxes) {
            const r = await admin.post('/api/v1/mailboxes', {
                name, address: `${name}@sanad.test`, service_line: line, imap_url: ms.imapUrl(),
                username: `${name}@sanad.test`, password: MAIL_PASSWORD, smtp_url: ms.smtpUrl(),
            });
            assert.equal(r.status, 201, r.text);
        }
        const flaky = await admin.post('/api/v1/mailboxes', { name: 'flaky', address: 'flaky@sanad.test', smtp_url: 'smtp://127.0.0.1:1' });
        assert.equal(flaky.status, 201, flaky.text);
    });

    after(async () => {
        await server?.stop();
        ms?.stop();
    });

    let first; // {conversation, message id of the customer's mail, our reply's Message-ID}

    test('a reply leaves through Postfix: Message-ID with HMAC, In-Reply-To, References, token, RTL HTML and text parts', async () => {
        const e = await inbound('support', { from: 'Ali <ali@example.test>', messageId: 'ali-1@example.test', subject: 'موعد صرف العوائد', body: 'متى الصرف؟' });
        assert.equal(e.kind, 'message');
        const c = await conv(e.conversation_id);
        await reply(c.id, 'السلام عليكم،\nسيتم الصرف خلال أسبوع.');
        const m = await delivered(c.id);
        const [out] = await ms.waitOutbox((x) => x.raw.includes('ali-1@example.test'), 'the reply to Ali');
        const raw = out.raw;
        const msgid = headerOf(raw, 'Message-ID');
        assert.match(msgid, /^<sanad\.\d+\.[0-9a-f]{8}\.[0-9a-f]{16}@sanad\.test>$/);
        assert.equal(m.meta.email.message_id, msgid.slice(1, -1));
        assert.equal(m.meta.email.to, 'ali@example.test');
        assert.equal(headerOf(raw, 'In-Reply-To'), '<ali-1@example.test>');
        assert.match(headerOf(raw, 'References'), /<ali-1@example\.test>/);
        assert.match(headerOf(raw, 'From'), /<support@sanad\.test>/);
        assert.equal(headerOf(raw, 'To'), 'ali@example.test');
        const subject = decodeWords(headerOf(raw, 'Subject'));
        assert.equal(subject, `Re: موعد صرف العوائد [#${c.number}]`);
        assert.match(headerOf(raw, 'Content-Type'), /^multipart\/alternative/);
        const p = parts(raw);
        assert.deepEqual(p.map((x) => x.type), ['text/plain', 'text/html']);
        assert.equal(p[0].body.trim(), 'السلام عليكم،\nسيتم الصرف خلال أسبوع.');
        assert.match(p[1].body, /<html dir="rtl" lang="ar">/);
        assert.match(p[1].body, /سيتم الصرف خلال أسبوع/);
        assert.equal(headerOf(raw, 'Auto-Submitted'), null);
        first = { conv: c, msgid: msgid.slice(1, -1) };
        // Sent once.
        assert.equal(ms.outbox().filter((x) => headerOf(x.raw, 'Message-ID') === msgid).length, 1);
        const state = server.sql(`SELECT state, attempts FROM mail_outbound WHERE message_id = '${first.msgid}'`).trim();
        assert.match(state, /^sent\|/);
    });

    test('an English reply gets a left-to-right HTML part', async () => {
        const e = await inbound('support', { from: 'eve@example.test', subject: 'Refund status', body: 'Any news?' });
        await reply(e.conversation_id, 'Hello, your refund was approved.');
        await delivered(e.conversation_id);
        const [out] = await ms.waitOutbox((x) => /^To: eve@example\.test/m.test(x.raw));
        assert.match(parts(out.raw)[1].body, /<html dir="ltr" lang="en">/);
    });

    test('a reply referencing our Message-ID threads to its conversation, whoever sends it', async () => {
        const e = await inbound('refunds', { from: 'ali.colleague@example.test', subject: 'Re: something else', inReplyTo: first.msgid, body: 'رد على رسالتكم' });
        assert.equal(e.conversation_id, first.conv.id);
        const c = await conv(first.conv.id);
        const last = emailMessages(c).filter((m) => m.kind === 'inbound').pop();
        assert.equal(last.meta.email.threaded_by, 'reference');
        assert.equal(last.body_text, 'رد على رسالتكم');
    });

    test('a forged Sanad Message-ID does not attach mail to someone else\'s conversation', async () => {
        const forged = first.msgid.replace(/\.([0-9a-f]{16})@/, (_, mac) => `.${mac.split('').reverse().join('')}@`);
        const e = await inbound('support', { from: 'mallory@example.test', subject: 'Re: x', inReplyTo: forged, references: [`sanad.${first.conv.id}.00000000.0000000000000000@sanad.test`], body: 'let me in' });
        assert.notEqual(e.conversation_id, first.conv.id);
        assert.ok(e.flags.includes('forged_reference'), JSON.stringify(e.flags));
    });

    test('the [#NUMBER] token threads only for the conversation\'s own customer; subject text never threads', async () => {
        const n = first.conv.number;
        // Same customer, other mailbox (another service line): the token joins.
        const t = await inbound('refunds', { from: 'ali@example.test', subject: `استفسار إضافي [#${n}]`, body: 'بالإشارة إلى الطلب' });
        assert.equal(t.conversation_id, first.conv.id);
        const joined = emailMessages(await conv(first.conv.id)).filter((m) => m.kind === 'inbound').pop();
        assert.equal(joined.meta.email.threaded_by, 'token');
        // Another sender with the token: a new conversation, flagged.
        const o = await inbound('refunds', { from: 'stranger@example.test', subject: `Re: [#${n}]`, body: 'guessing numbers' });
        assert.notEqual(o.conversation_id, first.conv.id);
        assert.ok(o.flags.includes('token_ignored'));
        // The same subject text, no token, no reference: never threaded by subject.
        const s = await inbound('refunds', { from: 'ali@example.test', subject: 'Re: موعد صرف العوائد', body: 'نفس الموضوع' });
        assert.notEqual(s.conversation_id, first.conv.id);
    });

    test('References to a customer\'s own earlier message thread; someone else\'s do not', async () => {
        const own = await inbound('refunds', { from: 'ali@example.test', subject: 'continuing', references: ['ali-1@example.test'], body: 'متابعة' });
        assert.equal(own.conversation_id, first.conv.id);
        const other = await inbound('refunds', { from: 'bystander@example.test', subject: 'continuing', references: ['ali-1@example.test'], body: 'hijack' });
        assert.notEqual(other.conversation_id, first.conv.id);
        assert.ok(other.flags.includes('reference_ignored'));
    });

    test('an auto-reply in a thread is kept on it, flagged, not a contact and never answered', async () => {
        const before1 = await conv(first.conv.id);
        const queuedBefore = server.sql("SELECT COUNT(*) FROM mail_outbound").trim();
        const e = await inbound('support', {
            from: 'ali@example.test', subject: 'Automatic reply: out of office', inReplyTo: first.msgid,
            headers: { 'Auto-Submitted': 'auto-replied' }, body: 'أنا خارج المكتب',
        });
        assert.equal(e.kind, 'auto_reply');
        assert.equal(e.conversation_id, first.conv.id);
        const after1 = await conv(first.conv.id);
        assert.equal(after1.contacts_count, before1.contacts_count);
        const last = emailMessages(after1).filter((m) => m.kind === 'inbound').pop();
        assert.equal(last.body_text, 'أنا خارج المكتب');
        assert.ok(last.flags.includes('auto_reply'));
        assert.equal(server.sql("SELECT COUNT(*) FROM mail_outbound").trim(), queuedBefore);
    });

    test('a real bounce (Postfix DSN delivered to the mailbox) marks the outbound message failed', async () => {
        const e = await inbound('support', { from: 'bob@bounce.test', subject: 'طلب', body: 'مرحبا' });
        await reply(e.conversation_id, 'شكرا لتواصلك');
        // Postfix accepts it, its error transport bounces it to support@sanad.test, Sanad polls the DSN.
        const m = await delivered(e.conversation_id, 'failed');
        assert.match(m.meta.email.error, /bounced: bob@bounce\.test 5\.1\.1/);
        const log = (await admin.get('/api/v1/mail/inbound?limit=50')).json.items;
        const bounce = log.find((x) => x.kind === 'bounce' && x.conversation_id === e.conversation_id);
        assert.ok(bounce, JSON.stringify(log.map((x) => [x.kind, x.subject])));
        assert.ok(bounce.flags.includes('bounce'));
        assert.equal(server.sql(`SELECT COUNT(*) FROM messages WHERE conversation_id = ${e.conversation_id} AND kind = 'reply'`).trim(), '1', 'never answered');
    });

    test('an SMTP 5xx refusal fails the message at once, with the reason', async () => {
        const e = await inbound('support', { from: 'carl@reject.test', subject: 'question', body: 'hi' });
        await reply(e.conversation_id, 'hello');
        const m = await delivered(e.conversation_id, 'failed');
        assert.match(m.meta.email.error, /SMTP 5\d\d/);
        const attempts = server.sql(`SELECT attempts FROM jobs WHERE kind = 'email' AND payload LIKE '%:${m.id}}'`).trim();
        assert.equal(attempts, '1');
    });

    test('an unreachable SMTP server is retried with backoff, then the message is sent once', async () => {
        const dataDir = path.join(server.dir, 'data');
        const r = server.cli(['mail-ingest', '--db', server.db, '--data', dataDir, '--mailbox', 'flaky'], {
            input: mail({ from: 'dana@example.test', to: 'flaky@sanad.test', messageId: 'dana-1@example.test', subject: 'flaky', body: 'hello' }),
        });
        assert.equal(r.code, 0, r.stderr);
        const e = await waitLogged(admin, 'dana-1@example.test');
        const sent = await reply(e.conversation_id, 'we are on it');
        const id = emailMessages(sent).filter((m) => m.kind === 'reply').pop().id;
        await waitFor(() => Number(server.sql(`SELECT attempts FROM jobs WHERE kind = 'email' AND payload LIKE '%:${id}}'`).trim()) >= 2, 'two failed attempts');
        assert.equal(emailMessages(await conv(e.conversation_id)).find((m) => m.id === id).delivery, 'queued');
        assert.match(server.sql(`SELECT error FROM mail_outbound WHERE message_row = ${id}`), /SMTP/);
        const mb = (await admin.get('/api/v1/mailboxes')).json.items.find((x) => x.name === 'flaky');
        assert.equal((await admin.patch(`/api/v1/mailboxes/${mb.id}`, { smtp_url: ms.smtpUrl() })).status, 200);
        const m = await delivered(e.conversation_id);
        const copies = await ms.waitOutbox((x) => headerOf(x.raw, 'Message-ID') === `<${m.meta.email.message_id}>`);
        assert.equal(copies.length, 1);
    });

    test('no header injection from any field', async () => {
        const r = await agent.post('/api/v1/conversations', {
            channel: 'email', customer: { emails: ['inj@example.test'] }, service_line: 'annual_returns',
            subject: 'Hi\r\nBcc: victim@example.test\r\nX-Evil: 1', body: 'opened by an agent',
        });
        assert.equal(r.status, 201, r.text);
        await reply(r.json.conversation_id, 'line one\r\nBcc: victim2@example.test\r\n\r\n<script>alert(1)</script>');
        await delivered(r.json.conversation_id);
        const [out] = await ms.waitOutbox((x) => /^To: inj@example\.test/m.test(x.raw));
        const head = out.raw.split(/\r?\n\r?\n/)[0];
        assert.doesNotMatch(head, /^(Bcc|X-Evil):/im);
        assert.match(decodeWords(headerOf(out.raw, 'Subject')), /^Re: Hi +Bcc: victim@example\.test +X-Evil: 1 \[#SND-\d+\]$/);
        assert.doesNotMatch(parts(out.raw)[1].body, /<script>/);
        assert.doesNotMatch(ms.postfixLog(), /to=<victim2?@example\.test>/);
    });
});
