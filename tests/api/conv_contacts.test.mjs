// Contacts (POST /api/v1/contacts, the intake of every channel): one person across channels joins
// one conversation, new identities join the customer, pending → open, the 7-day reopen window,
// received_at in the past, idempotency by external_id, validation.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName } from './lib/harness.mjs';
import { expectError, expectStatus, expectIsoTime } from './lib/expect.mjs';

const backend = backendName();
const DAY_MS = 24 * 3600 * 1000;

// ---- helpers of this file --------------------------------------------------------------------

async function ok(pending, status = 200) {
    const r = await pending;
    expectStatus(r, status);
    return r.json;
}

let phoneSeq = 4000;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

let seq = 0;
function uniq(prefix) {
    seq += 1;
    return `${prefix}${seq}`;
}

function e164(local) {
    return `+966${local.slice(1)}`;
}

// A contact that must be accepted (201); returns the result.
async function contact(client, body) {
    const r = await client.post('/api/v1/contacts', body);
    expectStatus(r, 201);
    assert.equal(typeof r.json.contact_id, 'number', JSON.stringify(r.json));
    assert.equal(typeof r.json.conversation_id, 'number', JSON.stringify(r.json));
    assert.match(r.json.conversation_number, /^SND-\d{6,}$/);
    assert.equal(typeof r.json.joined, 'boolean');
    return r.json;
}

async function conversation(client, id) {
    return ok(client.get(`/api/v1/conversations/${id}`));
}

async function setStatus(client, id, status) {
    const c = await ok(client.patch(`/api/v1/conversations/${id}`, { status }));
    assert.equal(c.status, status);
    return c;
}

// ---- tests -----------------------------------------------------------------------------------

describe(`conversations: contacts intake [${backend}]`, () => {
    let server;
    let admin;
    let agent;
    const LINE = 'contacts_a';
    const OTHER = 'contacts_b';

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'الإعفاءات', name_en: 'Exemptions' }), 201);
        await ok(admin.post('/api/v1/service-lines', { code: OTHER, name_ar: 'الاسترداد', name_en: 'Refunds' }), 201);
    });

    after(async () => {
        await server?.stop();
    });

    test('phone, then email, then X from one person (sharing an identity each time) → one conversation', async () => {
        const phone = newPhone();
        const email = `${uniq('multi')}@example.com`;
        const first = await contact(agent, {
            channel: 'phone', customer: { name: 'نورة السبيعي', phones: [phone] }, service_line: LINE,
            subject: 'استفسار عن الإعفاء', body: 'اتصال هاتفي',
        });
        assert.equal(first.joined, false);

        // The email carries the phone (known) and a new email.
        const second = await contact(agent, {
            channel: 'email', customer: { phones: [phone], emails: [email.toUpperCase()] }, service_line: LINE,
            body: 'رسالة بريد',
        });
        assert.equal(second.joined, true);
        assert.equal(second.conversation_id, first.conversation_id);
        assert.equal(second.conversation_number, first.conversation_number);
        assert.equal(second.customer_id, first.customer_id);
        assert.notEqual(second.contact_id, first.contact_id);

        // The X post carries the email (known since the last contact) and a new handle.
        const third = await contact(agent, {
            channel: 'x', customer: { emails: [email], x_handle: '@Noura_S' }, service_line: LINE, body: 'تغريدة',
        });
        assert.equal(third.joined, true);
        assert.equal(third.conversation_id, first.conversation_id);
        assert.equal(third.customer_id, first.customer_id);

        // The customer gained each new identity, normalised.
        const cust = await ok(agent.get(`/api/v1/customers/${first.customer_id}?reveal=1&reason=test`));
        assert.equal(cust.name, 'نورة السبيعي');
        assert.deepEqual(cust.phones, [e164(phone)]);
        assert.deepEqual(cust.emails, [email]);
        assert.equal(cust.x_handle, '@noura_s');

        const conv = await conversation(agent, first.conversation_id);
        assert.equal(conv.channel, 'phone', 'channel is the first contact\'s');
        assert.equal(conv.contacts_count, 3);
        assert.equal(conv.status, 'open');
        const contacts = conv.timeline.filter((t) => t.type === 'contact');
        assert.deepEqual(contacts.map((t) => t.channel), ['phone', 'email', 'x']);
        assert.deepEqual(contacts.map((t) => t.id), [first.contact_id, second.contact_id, third.contact_id]);
        const inbound = conv.timeline.filter((t) => t.type === 'message' && t.kind === 'inbound');
        assert.deepEqual(inbound.map((t) => t.body), ['اتصال هاتفي', 'رسالة بريد', 'تغريدة']);
        assert.deepEqual(inbound.map((t) => t.channel), ['phone', 'email', 'x']);
    });

    test('contacts arriving at once on five channels for one new person → one customer, one conversation', async () => {
        const phone = newPhone();
        const channels = ['phone', 'email', 'x', 'form', 'chat', 'phone', 'email', 'x'];
        const rs = await Promise.all(channels.map((channel, i) => agent.post('/api/v1/contacts', {
            channel, customer: { phones: [phone] }, service_line: LINE, body: `burst ${i}`,
        })));
        for (const r of rs) {
            expectStatus(r, 201);
        }
        assert.equal(new Set(rs.map((r) => r.json.customer_id)).size, 1, 'more than one customer');
        assert.equal(new Set(rs.map((r) => r.json.conversation_id)).size, 1, 'more than one conversation');
        assert.equal(rs.filter((r) => r.json.joined === false).length, 1, 'exactly one contact opens the conversation');
        const conv = await conversation(agent, rs[0].json.conversation_id);
        assert.equal(conv.contacts_count, channels.length);
        assert.equal(new Set(rs.map((r) => r.json.contact_id)).size, channels.length);
    });

    test('a contact on a different service line opens a new conversation for the same customer', async () => {
        const phone = newPhone();
        const a = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'a' });
        const b = await contact(agent, { channel: 'chat', customer: { phones: [phone] }, service_line: OTHER, body: 'b' });
        assert.equal(b.joined, false);
        assert.notEqual(b.conversation_id, a.conversation_id);
        assert.notEqual(b.conversation_number, a.conversation_number);
        assert.equal(b.customer_id, a.customer_id);
        const conv = await conversation(agent, b.conversation_id);
        assert.equal(conv.service_line, OTHER);
        assert.equal(conv.channel, 'chat');
        // And a third one on the first line joins the first.
        const c = await contact(agent, { channel: 'form', customer: { phones: [phone] }, service_line: LINE, body: 'c' });
        assert.equal(c.joined, true);
        assert.equal(c.conversation_id, a.conversation_id);
    });

    test('different people never share a conversation', async () => {
        const a = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'a' });
        const b = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'b' });
        assert.equal(b.joined, false);
        assert.notEqual(a.customer_id, b.customer_id);
        assert.notEqual(a.conversation_id, b.conversation_id);
    });

    test('a contact on a pending conversation puts it back to open', async () => {
        const phone = newPhone();
        const a = await contact(agent, { channel: 'email', customer: { phones: [phone] }, service_line: LINE, body: 'q' });
        await setStatus(agent, a.conversation_id, 'pending');
        const b = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'answer' });
        assert.equal(b.joined, true);
        assert.equal(b.conversation_id, a.conversation_id);
        const conv = await conversation(agent, a.conversation_id);
        assert.equal(conv.status, 'open');
        const changes = conv.timeline.filter((t) => t.type === 'status_change').map((t) => `${t.from}>${t.to}`);
        assert.deepEqual(changes, ['open>pending', 'pending>open']);
    });

    test('solved, then a contact within 7 days → the same conversation reopens; solved again it is not first-contact', async () => {
        const phone = newPhone();
        const a = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'q' });
        const solved = await setStatus(agent, a.conversation_id, 'solved');
        assert.equal(solved.resolved_first_contact, true);
        expectIsoTime(solved.solved_at, 'solved_at');

        const b = await contact(agent, { channel: 'email', customer: { phones: [phone] }, service_line: LINE, body: 'still broken' });
        assert.equal(b.joined, true);
        assert.equal(b.conversation_id, a.conversation_id);
        let conv = await conversation(agent, a.conversation_id);
        assert.equal(conv.status, 'open');
        assert.equal(conv.solved_at, null);
        assert.equal(conv.resolved_first_contact, null);
        assert.equal(conv.contacts_count, 2);

        conv = await setStatus(agent, a.conversation_id, 'solved');
        assert.equal(conv.resolved_first_contact, false);
    });

    test('a contact after the conversation was closed starts a new conversation', async () => {
        const phone = newPhone();
        const a = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'q' });
        await setStatus(agent, a.conversation_id, 'solved');
        await setStatus(agent, a.conversation_id, 'closed');
        const b = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'new' });
        assert.equal(b.joined, false);
        assert.notEqual(b.conversation_id, a.conversation_id);
        assert.equal(b.customer_id, a.customer_id);
        assert.equal((await conversation(agent, a.conversation_id)).status, 'closed');
    });

    test('a contact 6 days after solving reopens; 8 days after starts a new conversation', async () => {
        const phone = newPhone();
        const a = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'q' });
        await setStatus(agent, a.conversation_id, 'solved');
        // Solved 8 days ago (the clock cannot be moved forward, so the solve is moved back).
        server.sql(`UPDATE conversations SET solved_at = solved_at - ${8 * DAY_MS} WHERE id = ${a.conversation_id}`);
        const b = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'new matter' });
        assert.equal(b.joined, false);
        assert.notEqual(b.conversation_id, a.conversation_id);
        assert.equal(b.customer_id, a.customer_id);
        const old = await conversation(agent, a.conversation_id);
        assert.equal(old.status, 'solved');
        assert.equal(old.contacts_count, 1);

        const c = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'q' });
        await setStatus(agent, c.conversation_id, 'solved');
        server.sql(`UPDATE conversations SET solved_at = solved_at - ${6 * DAY_MS} WHERE id = ${c.conversation_id}`);
        const cust = await ok(agent.get(`/api/v1/customers/${c.customer_id}?reveal=1&reason=test`));
        const d = await contact(agent, { channel: 'x', customer: { phones: cust.phones }, service_line: LINE, body: 'again' });
        assert.equal(d.joined, true);
        assert.equal(d.conversation_id, c.conversation_id);
        assert.equal((await conversation(agent, c.conversation_id)).status, 'open');
    });

    test('received_at 8 days after the solve (an imported contact) starts a new conversation', async () => {
        const phone = newPhone();
        // Solved "now"; a contact received_at 8 days before now would be inside the window, so move the
        // solve back 16 days and send the contact as received 8 days ago: 8 days after the solve.
        const a = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'q' });
        await setStatus(agent, a.conversation_id, 'solved');
        server.sql(`UPDATE conversations SET solved_at = solved_at - ${16 * DAY_MS} WHERE id = ${a.conversation_id}`);
        const at = new Date(Date.now() - 8 * DAY_MS).toISOString();
        const b = await contact(agent, { channel: 'email', customer: { phones: [phone] }, service_line: LINE, body: 'late', received_at: at });
        assert.equal(b.joined, false);
        assert.notEqual(b.conversation_id, a.conversation_id);
    });

    test('received_at in the past is kept as the time of the contact and of the new conversation', async () => {
        const at = '2025-06-15T10:00:00+03:00';
        const a = await contact(agent, {
            channel: 'form', customer: { phones: [newPhone()] }, service_line: LINE, subject: 'old form', body: 'from the archive',
            received_at: at,
        });
        assert.equal(a.joined, false);
        const conv = await conversation(agent, a.conversation_id);
        assert.equal(conv.created_at, '2025-06-15T07:00:00.000Z');
        const c = conv.timeline.find((t) => t.type === 'contact');
        assert.equal(c.at, '2025-06-15T07:00:00.000Z');
        const m = conv.timeline.find((t) => t.type === 'message' && t.kind === 'inbound');
        assert.equal(m.at, '2025-06-15T07:00:00.000Z');
        assert.equal(m.body, 'from the archive');
        assert.equal(conv.subject, 'old form');
    });

    test('received_at in the future or not a time → 422 naming received_at', async () => {
        const future = new Date(Date.now() + 3600 * 1000).toISOString();
        for (const at of [future, 'yesterday', '2026-13-01T00:00:00Z']) {
            expectError(await agent.post('/api/v1/contacts', {
                channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x', received_at: at,
            }), 422, { field: 'received_at' });
        }
    });

    test('the same external_id twice → the second answers 200 duplicate:true and adds nothing', async () => {
        const ext = uniq('ext-');
        const body = { channel: 'email', customer: { phones: [newPhone()] }, service_line: LINE, body: 'once', external_id: ext };
        const first = await contact(agent, body);
        assert.equal(first.duplicate, undefined);
        const r = await agent.post('/api/v1/contacts', { ...body, body: 'twice' });
        expectStatus(r, 200);
        assert.equal(r.json.duplicate, true);
        assert.equal(r.json.contact_id, first.contact_id);
        assert.equal(r.json.conversation_id, first.conversation_id);
        assert.equal(r.json.conversation_number, first.conversation_number);
        const conv = await conversation(agent, first.conversation_id);
        assert.equal(conv.contacts_count, 1);
        assert.equal(conv.timeline.filter((t) => t.type === 'contact').length, 1);
        assert.deepEqual(conv.timeline.filter((t) => t.type === 'message').map((t) => t.body), ['once']);
    });

    test('an unknown channel → 422 naming channel; a missing one → 422', async () => {
        for (const channel of ['fax', 'PHONE', '']) {
            expectError(await agent.post('/api/v1/contacts', {
                channel, customer: { phones: [newPhone()] }, service_line: LINE, body: 'x',
            }), 422, { field: 'channel' });
        }
        expectError(await agent.post('/api/v1/contacts', {
            customer: { phones: [newPhone()] }, service_line: LINE, body: 'x',
        }), 422, { field: 'channel' });
    });

    test('an unknown service line → 422 naming service_line, and nothing is stored', async () => {
        const phone = newPhone();
        expectError(await agent.post('/api/v1/contacts', {
            channel: 'phone', customer: { phones: [phone] }, service_line: 'no_such_line', body: 'x',
        }), 422, { field: 'service_line' });
        const found = await ok(agent.get(`/api/v1/customers?q=${encodeURIComponent(phone)}`));
        assert.deepEqual(found.items, [], 'a refused contact created a customer');
    });

    test('a missing customer object → 422', async () => {
        expectError(await agent.post('/api/v1/contacts', { channel: 'phone', service_line: LINE, body: 'x' }), 422,
            { field: 'customer' });
    });

    test('POST /conversations (an agent opening one) never joins the open conversation', async () => {
        const phone = newPhone();
        const a = await contact(agent, { channel: 'phone', customer: { phones: [phone] }, service_line: LINE, body: 'a' });
        const r = await agent.post('/api/v1/conversations', {
            channel: 'phone', customer: { phones: [phone] }, service_line: LINE, subject: 'outbound call', body: 'called back',
        });
        expectStatus(r, 201);
        assert.equal(r.json.joined, false);
        assert.notEqual(r.json.conversation_id, a.conversation_id);
        assert.equal(r.json.customer_id, a.customer_id);
    });
});
