// Contacts arriving together (POST /api/v1/contacts under group commit): a request waits for its
// commit without holding an HTTP worker, so with ONE worker thread many contacts are in flight
// at once and share commits. Each answer comes after its data is durable and readable; a bad
// contact among them gets its own error and leaves no trace; repeat callers racing each other
// still end up in one conversation per person.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName } from './lib/harness.mjs';
import { expectStatus, expectError } from './lib/expect.mjs';

const backend = backendName();
const LINE = 'intake_burst';

describe(`conversations: concurrent intake on one worker thread [${backend}]`, () => {
    let server;
    let agent;

    before(async () => {
        server = await startServer({ extraArgs: ['--threads', '1'] });
        const admin = await server.login('admin');
        agent = await server.login('agent');
        const r = await admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'دفعة', name_en: 'Burst' });
        expectStatus(r, 201);
    });

    after(async () => {
        await server?.stop();
    });

    test('60 contacts at once: all answered after commit, one bad one refused alone', async () => {
        const people = 20;
        const bodies = [];
        for (let i = 0; i < 60; i += 1) {
            const p = i % people; // three contacts per person, racing each other
            bodies.push({
                channel: ['phone', 'email', 'chat'][Math.floor(i / people)],
                customer: { name: `مواطن ${p}`, phones: [`05${String(71000000 + p).padStart(8, '0')}`] },
                service_line: LINE,
                subject: `طلب ${p}`,
                body: `رسالة رقم ${i}`,
            });
        }
        bodies.splice(30, 0, { channel: 'phone', customer: { name: 'خطأ', phones: ['0579999999'] },
            service_line: 'no_such_line', body: 'x' });
        const results = await Promise.all(bodies.map((b) => agent.post('/api/v1/contacts', b)));

        expectError(results[30], 422, { field: 'service_line' });
        const good = results.filter((_, i) => i !== 30);
        for (const r of good) {
            expectStatus(r, 201);
        }
        const ids = new Set(good.map((r) => r.json.contact_id));
        assert.equal(ids.size, 60, 'every contact has its own id');

        // Each person's three contacts are one conversation, whatever order they committed in.
        const byPerson = new Map();
        good.forEach((r, i) => {
            const p = i % people;
            if (!byPerson.has(p)) byPerson.set(p, new Set());
            byPerson.get(p).add(r.json.conversation_id);
        });
        for (const [p, convs] of byPerson) {
            assert.equal(convs.size, 1, `person ${p} has one conversation`);
        }
        assert.equal(good.filter((r) => r.json.joined === false).length, people, 'one new conversation a person');

        // Answered means stored: every conversation holds its three contacts and messages.
        for (const convs of byPerson.values()) {
            const [id] = [...convs];
            const c = await agent.get(`/api/v1/conversations/${id}`);
            expectStatus(c, 200);
            assert.equal(c.json.contacts_count, 3);
            assert.equal(c.json.timeline.filter((t) => t.type === 'contact').length, 3);
            assert.equal(c.json.timeline.filter((t) => t.type === 'message' && t.kind === 'inbound').length, 3);
        }

        // The refused contact left nothing behind: its phone is no customer.
        const s = await agent.get(`/api/v1/customers?q=${encodeURIComponent('+966579999999')}`);
        expectStatus(s, 200);
        const { items } = s.json;
        assert.equal(items.length, 0);
    });

    test('answered means committed: frozen right after the answers, another process reads them all', async () => {
        const tag = `frozen${Date.now()}`;
        const posts = [];
        for (let i = 0; i < 40; i += 1) {
            posts.push(agent.post('/api/v1/contacts', {
                channel: 'chat', customer: { name: `زائر ${i}`, emails: [`${tag}.${i}@example.com`] },
                service_line: LINE, subject: tag, body: `محادثة ${i}`,
            }));
        }
        const results = await Promise.all(posts);
        process.kill(server.pid, 'SIGSTOP'); // nothing more happens in the server from here
        try {
            for (const r of results) {
                expectStatus(r, 201);
            }
            const ids = results.map((r) => r.json.contact_id).join(',');
            const stored = Number(server.sql(`SELECT COUNT(*) FROM contacts c JOIN conversations v ON v.id = `
                + `c.conversation_id JOIN messages m ON m.contact_id = c.id WHERE c.id IN (${ids}) `
                + `AND v.subject = '${tag}'`).trim());
            assert.equal(stored, 40, 'every answered contact, its conversation and message are committed');
        } finally {
            process.kill(server.pid, 'SIGCONT');
        }
    });

    test('the worker answers other requests while contacts wait on their commit', async () => {
        const posts = [];
        for (let i = 0; i < 30; i += 1) {
            posts.push(agent.post('/api/v1/contacts', {
                channel: 'form', customer: { name: `زائر ${i}`, emails: [`burst${i}@example.com`] },
                service_line: LINE, body: 'نموذج',
            }));
        }
        const me = await agent.get('/api/v1/me');
        expectStatus(me, 200);
        for (const r of await Promise.all(posts)) {
            expectStatus(r, 201);
        }
    });
});
