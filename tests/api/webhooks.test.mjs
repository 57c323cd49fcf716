// Webhooks: admin-only CRUD, validation (private targets refused unless --webhook-allow-private),
// the secret never shown, and deliveries through the durable jobs queue: signed POSTs to a local
// receiver, retries with backoff under one delivery id, event filtering, a dead worker's lease
// taken over, giving up after max_attempts, and the delivery-time re-check of the address.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { startServer, backendName, ROLES, show } from './lib/harness.mjs';
import { expectError, expectStatus, expectIsoTime } from './lib/expect.mjs';

const backend = backendName();
const SECRET = 'whsec-0123456789-abcdef';
const WAIT_MS = 15_000;

// ---- helpers of this file --------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function hmac(secret, ts, body) {
    return crypto.createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
}

// A receiver on 127.0.0.1 that records every request. plan(path, [500, 500]) makes the next
// requests to path answer those statuses (then 200).
async function startReceiver() {
    const got = [];
    const plans = new Map();
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            let json = null;
            try {
                json = JSON.parse(body);
            } catch {
                // recorded as is; the test asserting on it will say so
            }
            const plan = plans.get(req.url);
            const status = plan && plan.length ? plan.shift() : 200;
            got.push({ path: req.url, method: req.method, headers: req.headers, body, json, status, at: Date.now() });
            res.writeHead(status, { 'content-type': 'text/plain' });
            res.end(status === 200 ? 'ok' : 'try again');
        });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${server.address().port}`;
    return {
        base,
        got,
        plan: (p, statuses) => plans.set(p, [...statuses]),
        on: (p) => got.filter((r) => r.path === p),
        // Wait until pred(requests on path) holds; returns those requests.
        async waitFor(p, pred, what) {
            const end = Date.now() + WAIT_MS;
            while (Date.now() < end) {
                const list = got.filter((r) => r.path === p);
                if (pred(list)) {
                    return list;
                }
                await sleep(50);
            }
            const list = got.filter((r) => r.path === p);
            throw new Error(`receiver: timed out waiting for ${what} on ${p}; got ` +
                JSON.stringify(list.map((r) => ({ status: r.status, event: r.json?.event, delivery: r.headers['x-sanad-delivery'] }))));
        },
        close: () => new Promise((resolve) => {
            server.close(resolve);
            server.closeAllConnections();
        }),
    };
}

let pathSeq = 0;
function newPath(name) {
    pathSeq += 1;
    return `/hook/${name}-${pathSeq}`;
}

let phoneSeq = 7000;
function newPhone() {
    phoneSeq += 1;
    return `055${String(phoneSeq).padStart(7, '0')}`;
}

async function createHook(admin, body) {
    const r = await admin.post('/api/v1/webhooks', body);
    expectStatus(r, 201);
    return r.json;
}

// A contact from a new phone: always opens a new conversation (conversation.created).
async function newConversation(client, line) {
    const r = await client.post('/api/v1/contacts', {
        channel: 'phone',
        customer: { name: 'Webhook Caller', phones: [newPhone()] },
        service_line: line,
        subject: 's',
        body: 'b',
    });
    expectStatus(r, 201);
    return r.json.conversation_id;
}

const forConversation = (id, event) => (r) =>
    r.json?.data?.conversation_id === id && (!event || r.json?.event === event);

// Poll GET …/deliveries until pred(items) holds.
async function waitDeliveries(admin, hookId, pred, what) {
    const end = Date.now() + WAIT_MS;
    let last;
    while (Date.now() < end) {
        last = await admin.get(`/api/v1/webhooks/${hookId}/deliveries`);
        expectStatus(last, 200);
        if (pred(last.json.items)) {
            return last.json.items;
        }
        await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}: ${show(last)}`);
}

// Every check a receiver can make on one delivery.
function expectSigned(req, secret) {
    assert.equal(req.method, 'POST');
    assert.match(req.headers['content-type'] ?? '', /^application\/json/, JSON.stringify(req.headers));
    const ts = req.headers['x-sanad-timestamp'];
    assert.match(ts ?? '', /^\d{10}$/, `X-Sanad-Timestamp: ${ts}`);
    assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 120, `timestamp ${ts} is not now`);
    assert.equal(req.headers['x-sanad-signature'], hmac(secret, ts, req.body),
        `signature does not verify for body ${req.body}`);
    assert.ok((req.headers['x-sanad-delivery'] ?? '').length >= 8, JSON.stringify(req.headers));
    assert.ok(req.json, `body is not JSON: ${req.body}`);
    assert.equal(req.headers['x-sanad-event'], req.json.event);
    expectIsoTime(req.json.occurred_at, 'occurred_at');
    assert.equal(typeof req.json.data, 'object');
}

// SQLite's CLI does not wait for the server's write lock unless told to.
const busyWait = () => (backend === 'sqlite' ? 'PRAGMA busy_timeout = 10000; ' : '');

// Insert a job row directly (a crashed worker's lease, a short max_attempts).
function insertJob(server, { hookId, delivery, state = 'queued', leasedUntil = null, attempts = 0, maxAttempts = 8 }) {
    const payload = JSON.stringify({
        webhook_id: hookId,
        delivery_id: delivery,
        body: { event: 'conversation.created', occurred_at: new Date().toISOString(), data: { conversation_id: 0 } },
    });
    const now = Date.now();
    server.sql(`${busyWait()}INSERT INTO jobs (kind, payload, state, run_at, attempts, max_attempts, leased_until, ` +
        `created_at, updated_at) VALUES ('webhook', '${payload}', '${state}', ${now}, ${attempts}, ` +
        `${maxAttempts}, ${leasedUntil ?? 'NULL'}, ${now}, ${now})`);
}

// ---- with private targets allowed (the receiver is on 127.0.0.1) -----------------------------

describe(`Webhooks [${backend}]`, () => {
    let server;
    let admin;
    let rx;
    const LINE = 'WEBHOOKS';

    before(async () => {
        rx = await startReceiver();
        server = await startServer({ extraArgs: ['--webhook-allow-private', '--job-backoff-base-ms', '50'] });
        admin = await server.login('admin');
        expectStatus(await admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'الويب', name_en: 'Webhooks' }), 201);
    });

    after(async () => {
        try {
            await server?.stop();
        } finally {
            await rx?.close();
        }
    });

    describe('the API', () => {
        test('create → 201 {id, url, events, enabled, created_at}; the secret is never shown', async () => {
            const url = `${rx.base}${newPath('shape')}`;
            const r = await admin.post('/api/v1/webhooks', { url, events: ['conversation.created', 'escalation.created'], secret: SECRET });
            expectStatus(r, 201);
            const h = r.json;
            assert.ok(Number.isInteger(h.id), show(r));
            assert.equal(h.url, url);
            assert.deepEqual(h.events, ['conversation.created', 'escalation.created']);
            assert.equal(h.enabled, true);
            expectIsoTime(h.created_at, 'created_at');
            assert.ok(!('secret' in h), show(r));
            assert.ok(!r.text.includes(SECRET), show(r));

            const list = await admin.get('/api/v1/webhooks');
            expectStatus(list, 200);
            assert.ok(list.json.items.some((x) => x.id === h.id), show(list));
            assert.equal(list.json.next_cursor, null);
            assert.ok(!list.text.includes(SECRET) && !/"secret"/.test(list.text), show(list));

            const one = await admin.get(`/api/v1/webhooks/${h.id}`);
            expectStatus(one, 200);
            assert.deepEqual(one.json, h);

            const patched = await admin.patch(`/api/v1/webhooks/${h.id}`, { secret: `${SECRET}-new` });
            expectStatus(patched, 200);
            assert.ok(!patched.text.includes(SECRET) && !/"secret"/.test(patched.text), show(patched));
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
        });

        test('"*" subscribes to every event; duplicates are dropped', async () => {
            const h = await createHook(admin, { url: `${rx.base}${newPath('star')}`, events: ['*', '*'], secret: SECRET });
            assert.deepEqual(h.events, ['*']);
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
        });

        test('validation: url must be http(s) with a host', async () => {
            for (const url of ['ftp://example.com/x', 'not a url', 'http://', 'example.com/hook', 'file:///etc/passwd',
                'javascript:alert(1)', 'http:// spaced.example/']) {
                const r = await admin.post('/api/v1/webhooks', { url, events: ['*'], secret: SECRET });
                expectError(r, 422, { field: 'url' });
            }
        });

        test('validation: events must be known names or "*"', async () => {
            const url = `${rx.base}${newPath('ev')}`;
            expectError(await admin.post('/api/v1/webhooks', { url, events: [], secret: SECRET }), 422, { field: 'events' });
            expectError(await admin.post('/api/v1/webhooks', { url, events: ['conversation.exploded'], secret: SECRET }),
                422, { field: 'events' });
            expectError(await admin.post('/api/v1/webhooks', { url, events: ['conversation.created', 'nope'], secret: SECRET }),
                422, { field: 'events' });
            expectError(await admin.post('/api/v1/webhooks', { url, events: 'conversation.created', secret: SECRET }),
                400, { field: 'events' });
            expectError(await admin.post('/api/v1/webhooks', { url, events: [1], secret: SECRET }), 400, { field: 'events' });
        });

        test('validation: secret of at least 16 characters; required fields; unknown fields', async () => {
            const url = `${rx.base}${newPath('sec')}`;
            expectError(await admin.post('/api/v1/webhooks', { url, events: ['*'], secret: 'short-secret' }), 422, { field: 'secret' });
            expectError(await admin.post('/api/v1/webhooks', { url, events: ['*'], secret: '123456789012345' }), 422, { field: 'secret' });
            expectStatus(await admin.post('/api/v1/webhooks', { url, events: ['*'], secret: '1234567890123456', enabled: false }), 201);
            expectError(await admin.post('/api/v1/webhooks', { events: ['*'], secret: SECRET }), 422, { field: 'url' });
            expectError(await admin.post('/api/v1/webhooks', { url, secret: SECRET }), 422, { field: 'events' });
            expectError(await admin.post('/api/v1/webhooks', { url, events: ['*'] }), 422, { field: 'secret' });
            expectError(await admin.post('/api/v1/webhooks', { url, events: ['*'], secret: SECRET, color: 'red' }), 400,
                { field: 'color' });
        });

        test('PATCH validates too; unknown ids are 404', async () => {
            const h = await createHook(admin, { url: `${rx.base}${newPath('patch')}`, events: ['*'], secret: SECRET });
            expectError(await admin.patch(`/api/v1/webhooks/${h.id}`, { url: 'gopher://x.example/' }), 422, { field: 'url' });
            expectError(await admin.patch(`/api/v1/webhooks/${h.id}`, { events: ['bogus'] }), 422, { field: 'events' });
            expectError(await admin.patch(`/api/v1/webhooks/${h.id}`, { secret: 'tiny' }), 422, { field: 'secret' });
            expectError(await admin.patch(`/api/v1/webhooks/${h.id}`, { enabled: 'yes' }), 400, { field: 'enabled' });
            const same = await admin.get(`/api/v1/webhooks/${h.id}`);
            assert.deepEqual(same.json, h, 'a refused PATCH changed nothing');
            const r = await admin.patch(`/api/v1/webhooks/${h.id}`, { events: ['contact.joined'], enabled: false });
            expectStatus(r, 200);
            assert.deepEqual(r.json.events, ['contact.joined']);
            assert.equal(r.json.enabled, false);
            assert.equal(r.json.url, h.url);
            expectError(await admin.patch('/api/v1/webhooks/999999', { enabled: true }), 404);
            expectError(await admin.get('/api/v1/webhooks/999999'), 404);
            expectError(await admin.del('/api/v1/webhooks/999999'), 404);
            expectError(await admin.get('/api/v1/webhooks/999999/deliveries'), 404);
            expectError(await admin.get('/api/v1/webhooks/abc'), 404);
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
            expectError(await admin.get(`/api/v1/webhooks/${h.id}`), 404);
            expectError(await admin.del(`/api/v1/webhooks/${h.id}`), 404);
        });

        test('admin only: every other role gets 403, anonymous 401', async () => {
            const h = await createHook(admin, { url: `${rx.base}${newPath('roles')}`, events: ['*'], secret: SECRET, enabled: false });
            const calls = [
                ['post', '/api/v1/webhooks', { url: `${rx.base}/x`, events: ['*'], secret: SECRET }],
                ['get', '/api/v1/webhooks'],
                ['get', `/api/v1/webhooks/${h.id}`],
                ['patch', `/api/v1/webhooks/${h.id}`, { enabled: true }],
                ['del', `/api/v1/webhooks/${h.id}`],
                ['get', `/api/v1/webhooks/${h.id}/deliveries`],
            ];
            for (const role of ROLES.filter((x) => x !== 'admin')) {
                const c = await server.login(role);
                for (const [m, p, body] of calls) {
                    const r = m === 'get' ? await c.get(p) : await c[m](p, body);
                    expectError(r, 403);
                }
            }
            const anon = server.client();
            for (const [m, p, body] of calls) {
                const r = m === 'get' ? await anon.get(p) : await anon[m](p, body);
                expectError(r, 401);
            }
            const still = await admin.get(`/api/v1/webhooks/${h.id}`);
            expectStatus(still, 200);
            assert.equal(still.json.enabled, false, 'a refused PATCH changed the webhook');
        });

        test('every change is audited, without the secret', async () => {
            const h = await createHook(admin, { url: `${rx.base}${newPath('audit')}`, events: ['*'], secret: SECRET, enabled: false });
            expectStatus(await admin.patch(`/api/v1/webhooks/${h.id}`, { secret: `${SECRET}-rotated`, events: ['contact.joined'] }), 200);
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
            const r = await admin.get(`/api/v1/audit?object_type=webhook&object_id=${h.id}`);
            expectStatus(r, 200);
            const actions = r.json.items.map((x) => x.action).sort();
            assert.deepEqual(actions, ['webhook.create', 'webhook.delete', 'webhook.update'], show(r));
            assert.ok(!r.text.includes(SECRET), `the audit log shows the secret: ${r.text}`);
            const update = r.json.items.find((x) => x.action === 'webhook.update');
            assert.deepEqual(update.detail.events, ['contact.joined']);
            assert.equal(update.detail.secret, 'changed');
            assert.ok(r.json.items.every((x) => x.actor_id === admin.user.id), show(r));
        });
    });

    describe('deliveries', () => {
        test('a new conversation is POSTed as conversation.created, signed with the secret', async () => {
            const p = newPath('signed');
            const h = await createHook(admin, { url: `${rx.base}${p}`, events: ['conversation.created'], secret: SECRET });
            const conv = await newConversation(admin, LINE);
            const [req] = await rx.waitFor(p, (l) => l.some(forConversation(conv)), 'conversation.created');
            expectSigned(req, SECRET);
            assert.equal(req.json.event, 'conversation.created');
            assert.equal(req.json.data.conversation_id, conv);
            assert.match(req.headers['user-agent'] ?? '', /Sanad/);

            const items = await waitDeliveries(admin, h.id, (xs) => xs.some((x) => x.state === 'done'), 'a done delivery');
            const d = items.find((x) => x.delivery_id === req.headers['x-sanad-delivery']);
            assert.ok(d, JSON.stringify(items));
            assert.equal(d.event, 'conversation.created');
            assert.equal(d.attempts, 1);
            assert.equal(d.last_error, '');
            assert.equal(d.next_attempt_at, null);
            expectIsoTime(d.created_at, 'created_at');
            expectIsoTime(d.updated_at, 'updated_at');
            assert.ok(Number.isInteger(d.max_attempts) && d.max_attempts >= 3, JSON.stringify(d));
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
        });

        test('a failing receiver is retried with backoff and one delivery id until it answers 2xx', async () => {
            const p = newPath('flaky');
            rx.plan(p, [500, 503]);
            const h = await createHook(admin, { url: `${rx.base}${p}`, events: ['conversation.created'], secret: SECRET });
            const conv = await newConversation(admin, LINE);
            const reqs = await rx.waitFor(p, (l) => l.filter(forConversation(conv)).length >= 3, 'three attempts');
            const mine = reqs.filter(forConversation(conv));
            assert.deepEqual(mine.map((r) => r.status), [500, 503, 200]);
            const ids = new Set(mine.map((r) => r.headers['x-sanad-delivery']));
            assert.equal(ids.size, 1, `delivery ids differ across retries: ${[...ids]}`);
            for (const r of mine) {
                expectSigned(r, SECRET);
                assert.equal(r.body, mine[0].body, 'the body changed between attempts');
            }
            assert.ok(mine[1].at - mine[0].at >= 20, `no backoff between attempts: ${mine[1].at - mine[0].at} ms`);

            const items = await waitDeliveries(admin, h.id, (xs) => xs.some((x) => x.state === 'done'), 'done');
            const d = items.find((x) => x.delivery_id === [...ids][0]);
            assert.equal(d.state, 'done');
            assert.equal(d.attempts, 3);
            assert.match(d.last_error, /503/);
            await sleep(500);
            assert.equal(rx.on(p).filter(forConversation(conv)).length, 3, 'delivered again after a 2xx');
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
        });

        test('each webhook gets only the events it subscribed to', async () => {
            const pc = newPath('created-only');
            const pu = newPath('updated-only');
            const pa = newPath('all');
            const hc = await createHook(admin, { url: `${rx.base}${pc}`, events: ['conversation.created'], secret: SECRET });
            const hu = await createHook(admin, { url: `${rx.base}${pu}`, events: ['conversation.updated'], secret: SECRET });
            const ha = await createHook(admin, { url: `${rx.base}${pa}`, events: ['*'], secret: SECRET });
            const conv = await newConversation(admin, LINE);
            expectStatus(await admin.patch(`/api/v1/conversations/${conv}`, { priority: 'high' }), 200);
            await rx.waitFor(pc, (l) => l.some(forConversation(conv, 'conversation.created')), 'created on created-only');
            await rx.waitFor(pu, (l) => l.some(forConversation(conv, 'conversation.updated')), 'updated on updated-only');
            await rx.waitFor(pa, (l) => l.some(forConversation(conv, 'conversation.created')) &&
                l.some(forConversation(conv, 'conversation.updated')), 'both on all');
            await sleep(400);
            assert.deepEqual([...new Set(rx.on(pc).filter(forConversation(conv)).map((r) => r.json.event))], ['conversation.created']);
            assert.deepEqual([...new Set(rx.on(pu).filter(forConversation(conv)).map((r) => r.json.event))], ['conversation.updated']);
            // Different events are different deliveries.
            const all = rx.on(pa).filter(forConversation(conv));
            assert.equal(new Set(all.map((r) => r.headers['x-sanad-delivery'])).size, all.length);
            for (const h of [hc, hu, ha]) {
                expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
            }
        });

        test('a disabled webhook gets nothing; PATCH moves it to a new url and secret', async () => {
            const p1 = newPath('paused');
            const p2 = newPath('moved');
            const pw = newPath('witness');
            const h = await createHook(admin, { url: `${rx.base}${p1}`, events: ['conversation.created'], secret: SECRET });
            const w = await createHook(admin, { url: `${rx.base}${pw}`, events: ['conversation.created'], secret: SECRET });
            expectStatus(await admin.patch(`/api/v1/webhooks/${h.id}`, { enabled: false }), 200);
            const c1 = await newConversation(admin, LINE);
            await rx.waitFor(pw, (l) => l.some(forConversation(c1)), 'the witness delivery');
            await sleep(400);
            assert.equal(rx.on(p1).length, 0, 'a disabled webhook was called');

            const secret2 = 'another-secret-0123456789';
            const r = await admin.patch(`/api/v1/webhooks/${h.id}`, { enabled: true, url: `${rx.base}${p2}`, secret: secret2 });
            expectStatus(r, 200);
            assert.equal(r.json.url, `${rx.base}${p2}`);
            const c2 = await newConversation(admin, LINE);
            const [req] = await rx.waitFor(p2, (l) => l.some(forConversation(c2)), 'delivery to the new url');
            expectSigned(req, secret2);
            assert.notEqual(req.headers['x-sanad-signature'], hmac(SECRET, req.headers['x-sanad-timestamp'], req.body));
            assert.equal(rx.on(p1).length, 0);
            for (const x of [h, w]) {
                expectStatus(await admin.del(`/api/v1/webhooks/${x.id}`), 204);
            }
        });

        test('a job left running by a dead worker is taken again when its lease expires', async () => {
            const p = newPath('lease');
            const h = await createHook(admin, { url: `${rx.base}${p}`, events: ['escalation.created'], secret: SECRET });
            insertJob(server, { hookId: h.id, delivery: 'lost-lease-1', state: 'running', leasedUntil: Date.now() - 1000, attempts: 1 });
            const [req] = await rx.waitFor(p, (l) => l.some((r) => r.headers['x-sanad-delivery'] === 'lost-lease-1'), 'the orphaned job');
            expectSigned(req, SECRET);
            const items = await waitDeliveries(admin, h.id, (xs) => xs.some((x) => x.delivery_id === 'lost-lease-1' && x.state === 'done'), 'done');
            assert.equal(items.find((x) => x.delivery_id === 'lost-lease-1').attempts, 2);
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
        });

        test('after max_attempts failures the delivery is failed and left alone', async () => {
            const p = newPath('down');
            rx.plan(p, [500, 500, 500, 500, 500, 500]);
            const h = await createHook(admin, { url: `${rx.base}${p}`, events: ['escalation.created'], secret: SECRET });
            insertJob(server, { hookId: h.id, delivery: 'give-up-1', maxAttempts: 2 });
            const items = await waitDeliveries(admin, h.id, (xs) => xs.some((x) => x.state === 'failed'), 'a failed delivery');
            const d = items.find((x) => x.delivery_id === 'give-up-1');
            assert.equal(d.attempts, 2);
            assert.match(d.last_error, /500/);
            assert.equal(d.next_attempt_at, null);
            await sleep(400);
            assert.equal(rx.on(p).length, 2);
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
        });

        test('deliveries of a deleted webhook fail without a request', async () => {
            const p = newPath('deleted');
            rx.plan(p, [500, 500, 500, 500]);
            const h = await createHook(admin, { url: `${rx.base}${p}`, events: ['escalation.created'], secret: SECRET });
            const w = await createHook(admin, { url: `${rx.base}${newPath('deleted-witness')}`, events: ['escalation.created'], secret: SECRET });
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
            insertJob(server, { hookId: h.id, delivery: 'orphan-1' });
            insertJob(server, { hookId: w.id, delivery: 'orphan-witness' });
            await waitDeliveries(admin, w.id, (xs) => xs.some((x) => x.state === 'done'), 'the witness');
            const state = () => server.sql("SELECT state || ':' || last_error FROM jobs WHERE payload LIKE '%orphan-1%'").trim();
            const end = Date.now() + WAIT_MS;
            while (!state().startsWith('failed') && Date.now() < end) {
                await sleep(100);
            }
            assert.match(state(), /^failed:.*deleted/);
            assert.equal(rx.on(p).length, 0);
            expectStatus(await admin.del(`/api/v1/webhooks/${w.id}`), 204);
        });

        test('deliveries are paged newest first', async () => {
            const p = newPath('paged');
            const h = await createHook(admin, { url: `${rx.base}${p}`, events: ['escalation.created'], secret: SECRET });
            for (let i = 0; i < 3; i++) {
                insertJob(server, { hookId: h.id, delivery: `page-${i}` });
            }
            await waitDeliveries(admin, h.id, (xs) => xs.length === 3 && xs.every((x) => x.state === 'done'), 'three done');
            const first = await admin.get(`/api/v1/webhooks/${h.id}/deliveries?limit=2`);
            expectStatus(first, 200);
            assert.deepEqual(first.json.items.map((x) => x.delivery_id), ['page-2', 'page-1']);
            assert.equal(typeof first.json.next_cursor, 'string');
            const second = await admin.get(`/api/v1/webhooks/${h.id}/deliveries?limit=2&cursor=${first.json.next_cursor}`);
            expectStatus(second, 200);
            assert.deepEqual(second.json.items.map((x) => x.delivery_id), ['page-0']);
            assert.equal(second.json.next_cursor, null);
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
        });
    });
});

// ---- the default: private and loopback targets refused -----------------------------------------

describe(`Webhooks without --webhook-allow-private [${backend}]`, () => {
    let server;
    let admin;
    let rx;
    const LINE = 'WHPRIV';

    before(async () => {
        rx = await startReceiver();
        server = await startServer({ extraArgs: ['--job-backoff-base-ms', '50'] });
        admin = await server.login('admin');
        expectStatus(await admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'خاص', name_en: 'Private' }), 201);
    });

    after(async () => {
        try {
            await server?.stop();
        } finally {
            await rx?.close();
        }
    });

    test('loopback, private, link-local and local names are refused with 422 on "url"', async () => {
        const refused = [
            `${rx.base}/hook`, 'http://127.0.0.1/', 'http://127.9.9.9:8080/x', 'http://localhost:8080/',
            'http://LOCALHOST./', 'http://api.localhost/', 'http://10.0.0.5/', 'http://172.16.3.4/',
            'http://172.31.255.255/', 'http://192.168.1.1/', 'http://169.254.169.254/latest/meta-data',
            'http://[::1]:8080/', 'http://0.0.0.0/', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/',
            'http://[fe80::1]/', 'http://[fd00::1]/', 'https://user:pw@127.0.0.1/',
        ];
        for (const url of refused) {
            const r = await admin.post('/api/v1/webhooks', { url, events: ['*'], secret: SECRET });
            expectError(r, 422, { field: 'url' });
        }
    });

    test('public addresses are accepted; PATCH to a private one is refused', async () => {
        for (const url of ['http://203.0.113.10/hook', 'https://198.51.100.7:8443/x', 'http://172.32.0.1/', 'http://[2001:db8::1]/']) {
            const h = await createHook(admin, { url, events: ['*'], secret: SECRET, enabled: false });
            assert.equal(h.url, url);
            expectError(await admin.patch(`/api/v1/webhooks/${h.id}`, { url: 'http://192.168.0.10/' }), 422, { field: 'url' });
            expectStatus(await admin.del(`/api/v1/webhooks/${h.id}`), 204);
        }
    });

    test('the delivery re-checks the address: a target that became private is not contacted', async () => {
        const p = newPath('rebound');
        // As if the name had resolved publicly when saved and privately now: store the row directly.
        server.sql(`${busyWait()}INSERT INTO webhooks (url, events, secret, enabled, created_at) VALUES ` +
            `('${rx.base}${p}', '["conversation.created"]', '${SECRET}', 1, ${Date.now()})`);
        const id = Number(server.sql(`SELECT MAX(id) FROM webhooks`).trim());
        await newConversation(admin, LINE);
        const items = await waitDeliveries(admin, id, (xs) => xs.some((x) => /private|loopback/.test(x.last_error)),
            'a refused attempt');
        assert.ok(items.every((x) => x.state !== 'done'), JSON.stringify(items));
        await sleep(300);
        assert.equal(rx.on(p).length, 0, 'the private target was contacted');
        expectStatus(await admin.del(`/api/v1/webhooks/${id}`), 204);
    });
});
