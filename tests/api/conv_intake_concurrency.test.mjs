// Contacts arriving together (POST /api/v1/contacts under group commit): a request waits for its
// commit without holding an HTTP worker, so with ONE worker thread many contacts are in flight
// at once and share commits. Each answer comes after its data is durable and readable; a bad
// contact among them gets its own error and leaves no trace; repeat callers racing each other
// still end up in one conversation per person.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, serveNode, Client } from './lib/harness.mjs';
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

// Several group committers (PostgreSQL; SQLite always has one) write in parallel transactions.
// Contacts are spread over them by the customer's first identity, so the same phone always goes
// to the same one; a known customer reached by different identities (phone, email, X) can still
// be in several at once. Racing on a line where that customer has no conversation yet, they must
// make one conversation: the transactions deciding it take turns on the customer's row.
describe(`conversations: concurrent intake over four group committers [${backend}]`, () => {
    let server;
    let agent;

    before(async () => {
        server = await startServer({ extraArgs: ['--group-commit-writers', '4'] });
        const admin = await server.login('admin');
        agent = await server.login('agent');
        for (const code of ['race_first', 'race_second']) {
            expectStatus(await admin.post('/api/v1/service-lines', { code, name_ar: 'سباق', name_en: 'Race' }), 201);
        }
    });

    after(async () => {
        await server?.stop();
    });

    test('a known customer by three identities: contacts racing on a new line make one conversation', async () => {
        const people = 6;
        const ids = (p) => ({
            phones: [`05${String(72000000 + p).padStart(8, '0')}`],
            emails: [`race${p}@example.com`],
            x_handle: `race_${p}`,
        });
        for (let p = 0; p < people; p += 1) { // known customers, with a conversation elsewhere
            expectStatus(await agent.post('/api/v1/contacts', {
                channel: 'phone', customer: { name: `مواطن ${p}`, ...ids(p) },
                service_line: 'race_first', body: 'أول اتصال',
            }), 201);
        }
        const posts = [];
        for (let i = 0; i < 60; i += 1) {
            const p = i % people;
            const all = ids(p);
            const by = [{ phones: all.phones }, { emails: all.emails }, { x_handle: all.x_handle }][Math.floor(i / people) % 3];
            posts.push(agent.post('/api/v1/contacts', {
                channel: ['phone', 'email', 'x'][Math.floor(i / people) % 3],
                customer: by, service_line: 'race_second', body: `رسالة ${i}`,
            }));
        }
        const results = await Promise.all(posts);
        for (const r of results) {
            expectStatus(r, 201);
        }
        for (let p = 0; p < people; p += 1) {
            const mine = results.filter((_, i) => i % people === p);
            assert.equal(new Set(mine.map((r) => r.json.customer_id)).size, 1, `person ${p}: one customer`);
            assert.equal(new Set(mine.map((r) => r.json.conversation_id)).size, 1,
                `person ${p}: one conversation on the new line`);
            assert.equal(mine.filter((r) => !r.json.joined).length, 1, `person ${p}: opened once`);
        }
        const stored = Number(server.sql(`SELECT COUNT(*) FROM conversations v JOIN service_lines s `
            + `ON s.id = v.service_line_id WHERE s.code = 'race_second'`).trim());
        assert.equal(stored, people, 'one stored conversation per person on the new line');
    });
});

// Two nodes of one installation on one database (PostgreSQL; SQLite's single writer serialises
// them anyway): nothing routes a person's contacts to one of them, so a known customer's contacts
// racing on a new line are decided in parallel transactions. They still make one conversation.
describe(`conversations: a known customer's contacts racing over two nodes [${backend}]`, () => {
    let server;
    let node;
    let nodes;

    before(async () => {
        server = await startServer();
        const admin = await server.login('admin');
        for (const code of ['node_first', 'node_second']) {
            expectStatus(await admin.post('/api/v1/service-lines', { code, name_ar: 'عقدتان', name_en: 'Nodes' }), 201);
        }
        const t = await admin.post('/api/v1/tokens', { name: 'nodes' });
        expectStatus(t, 201);
        node = serveNode(server);
        nodes = [server.bearer(t.json.token), new Client(await node.url, { token: t.json.token })];
    });

    after(async () => {
        node?.child.kill('SIGTERM');
        await node?.exited;
        await server?.stop();
    });

    test('one conversation per person, whichever node took each contact', async () => {
        for (let p = 0; p < 4; p += 1) { // one person at a time: every race is about one customer
            const phone = `05${String(73000000 + p).padStart(8, '0')}`;
            expectStatus(await nodes[0].post('/api/v1/contacts', {
                channel: 'phone', customer: { name: `مواطن ${p}`, phones: [phone] }, service_line: 'node_first', body: 'أول',
            }), 201);
            const results = await Promise.all(Array.from({ length: 24 }, (_, i) => nodes[i % 2].post('/api/v1/contacts', {
                channel: 'chat', customer: { phones: [phone] }, service_line: 'node_second', body: `رسالة ${i}`,
            })));
            for (const r of results) {
                expectStatus(r, 201);
            }
            assert.equal(new Set(results.map((r) => r.json.conversation_id)).size, 1, `person ${p}: one conversation`);
            assert.equal(results.filter((r) => !r.json.joined).length, 1, `person ${p}: opened once`);
        }
    });
});
