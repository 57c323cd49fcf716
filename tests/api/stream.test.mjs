// The live stream (GET /api/v1/stream): WebSocket upgrade only for a signed-in caller from an
// allowed Origin; events of committed changes arrive as JSON frames; a reconnect with ?since=
// resumes without loss or duplicates (or asks for a resync); department staff hear only their
// departments; ping/pong both ways and dead peers dropped; a logout or a revoked token closes
// with 4401; the server's stop closes with 1001. (The slow-consumer close needs megabytes of
// backlog to fill the socket buffers: bench/ws-fanout exercises that path, not this file.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/expect.mjs';
import { openWs } from './lib/wsclient.mjs';

const backend = backendName();
const EXTRA_ORIGIN = 'https://desk.example.sa';

async function ok(pending, status = 200) {
    const r = await pending;
    expectStatus(r, status);
    return r.json;
}

let phoneSeq = 3000;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe(`live stream [${backend}]`, () => {
    let server;
    let admin;
    let agent;
    let legal; // department_staff of LEGAL
    let finance; // department_staff of FINANCE
    const LINE = 'stream_line';
    const LEGAL = 'st_legal';
    const FINANCE = 'st_finance';
    const open = [];

    // Open the stream as `client` (its cookie), with our own Origin unless told otherwise.
    async function connect(client, { since, origin, headers = {}, autoPong = true } = {}) {
        const h = { ...headers };
        if (client?.cookie) {
            h.cookie = client.cookie;
        }
        if (origin !== null) {
            h.origin = origin ?? server.url;
        }
        const q = since === undefined ? '' : `?since=${since}`;
        const ws = await openWs(server.url, `/api/v1/stream${q}`, { headers: h, autoPong });
        if (ws.messages) {
            open.push(ws);
        }
        return ws;
    }

    async function connectReady(client, opts) {
        const ws = await connect(client, opts);
        assert.ok(ws.messages, `no upgrade: ${ws.status} ${ws.text}`);
        await ws.next((m) => m.type === 'ready' || m.type === 'resync', 5_000, 'the first message');
        return ws;
    }

    async function newContact(subject = 'stream') {
        return ok(agent.post('/api/v1/contacts', {
            channel: 'phone', customer: { name: 'Live Customer', phones: [newPhone()] }, service_line: LINE,
            subject, body: 'b',
        }), 201);
    }

    const createdFor = (convId) => (m) => m.type === 'conversation.created' && m.data?.conversation_id === convId;

    async function staffOf(dept, name) {
        const u = await createUser(admin, { roles: ['department_staff'], name });
        await ok(admin.patch(`/api/v1/users/${u.user.id}`, { departments: [dept] }));
        return server.login({ email: u.email, password: u.password });
    }

    before(async () => {
        server = await startServer({
            // Two hub threads (the default is one): connections are spread over both, so
            // every test here also covers the hand-over of events between threads.
            extraArgs: ['--stream-ping-seconds', '1', '--allowed-origins', EXTRA_ORIGIN, '--stream-threads', '2'],
        });
        admin = await server.login('admin');
        agent = await server.login('agent');
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'مباشر', name_en: 'Live' }), 201);
        await ok(admin.post('/api/v1/departments', { code: LEGAL, name_ar: 'القانونية', name_en: 'Legal' }), 201);
        await ok(admin.post('/api/v1/departments', { code: FINANCE, name_ar: 'المالية', name_en: 'Finance' }), 201);
        legal = await staffOf(LEGAL, 'Legal Staff');
        finance = await staffOf(FINANCE, 'Finance Staff');
    });

    after(async () => {
        for (const ws of open) {
            ws.destroy();
        }
        await server?.stop();
    });

    test('without a session → 401 and no upgrade; a bearer token may connect without Origin', async () => {
        const anon = await connect(null);
        expectError(anon, 401);
        const wrongCookie = await openWs(server.url, '/api/v1/stream', {
            headers: { cookie: 'sanad_session=nope', origin: server.url },
        });
        expectError(wrongCookie, 401);
        const tok = await ok(agent.post('/api/v1/tokens', { name: 'stream' }), 201);
        const secret = tok.token;
        assert.ok(secret, JSON.stringify(tok));
        const ws = await openWs(server.url, '/api/v1/stream', { headers: { authorization: `Bearer ${secret}` } });
        assert.ok(ws.messages, `bearer: ${ws.status} ${ws.text}`);
        open.push(ws);
        await ws.next((m) => m.type === 'ready', 5_000, 'ready');
    });

    test('a role without conversations (service owner) → 403', async () => {
        const owner = await server.login('service_owner');
        expectError(await connect(owner), 403);
    });

    test('a wrong or missing Origin → 403 before any upgrade; our own and configured ones pass', async () => {
        expectError(await connect(agent, { origin: 'http://evil.example' }), 403, { code: 'origin_not_allowed' });
        expectError(await connect(agent, { origin: `${server.url}.evil.example` }), 403);
        expectError(await connect(agent, { origin: 'null' }), 403);
        expectError(await connect(agent, { origin: null }), 403, { code: 'origin_required' });
        for (const origin of [server.url, EXTRA_ORIGIN, EXTRA_ORIGIN.toUpperCase()]) {
            const ws = await connect(agent, { origin });
            assert.ok(ws.messages, `${origin}: ${ws.status} ${ws.text}`);
            ws.destroy();
        }
    });

    test('a plain GET or a bad handshake → 400; a bad since → 400', async () => {
        expectError(await agent.get('/api/v1/stream', { headers: { origin: server.url } }), 400);
        const v8 = await connect(agent, { headers: { 'sec-websocket-version': '8' } });
        expectError(v8, 400);
        assert.equal(v8.headers['sec-websocket-version'], '13');
        expectError(await connect(agent, { since: 'abc' }), 400, { field: 'since' });
        expectError(await connect(agent, { since: '-5' }), 400, { field: 'since' });
    });

    test('a contact created through the API arrives as conversation.created', async () => {
        const ws = await connectReady(agent);
        const ready = ws.messages[0];
        assert.equal(ready.type, 'ready');
        assert.ok(Number.isSafeInteger(ready.id), JSON.stringify(ready));
        const k = await newContact();
        const ev = await ws.next(createdFor(k.conversation_id), 5_000, 'conversation.created');
        assert.ok(Number.isSafeInteger(ev.id) && ev.id > ready.id, JSON.stringify(ev));
        assert.equal(ev.data.conversation_id, k.conversation_id);
        assert.match(ev.at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        assert.ok(Math.abs(Date.parse(ev.at) - Date.now()) < 60_000);
        assert.deepEqual(Object.keys(ev).sort(), ['at', 'data', 'id', 'type']);
        // A message on it follows with a larger id.
        await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'note', body: 'n' }), 201);
        const msg = await ws.next((m) => m.type === 'message.created' && m.data?.conversation_id === k.conversation_id,
            5_000, 'message.created');
        assert.ok(msg.id > ev.id);
    });

    test('ids increase by one; two clients see the same events in the same order', async () => {
        const a = await connectReady(agent);
        const b = await connectReady(admin);
        const ks = [];
        for (let i = 0; i < 5; i++) {
            ks.push(await newContact(`order ${i}`));
        }
        const last = ks[ks.length - 1].conversation_id;
        await a.next(createdFor(last), 5_000, 'the last event on a');
        await b.next(createdFor(last), 5_000, 'the last event on b');
        const ea = a.events();
        const eb = b.events();
        const ids = ea.map((e) => e.id);
        for (let i = 1; i < ids.length; i++) {
            assert.equal(ids[i], ids[i - 1] + 1, `ids ${ids}`);
        }
        assert.deepEqual(eb.slice(0, ea.length).map((e) => e.id), ids.slice(0, eb.length));
        for (const k of ks) {
            assert.ok(ea.some(createdFor(k.conversation_id)), `a missed ${k.conversation_id}`);
        }
    });

    // Connections are spread over the hub threads (two here) and a burst reaches each
    // socket as several frames in one write (adjacent frames merged): every connection still
    // hears every event once, whole, in id order; a department's staff, whose events are not
    // adjacent in the burst, hear exactly theirs.
    test('a burst of concurrent contacts reaches every connection whole, once and in order', async () => {
        const kl = await newContact('burst for legal');
        await ok(agent.post(`/api/v1/conversations/${kl.conversation_id}/escalations`,
            { department: LEGAL, note: 'burst' }), 201);
        const conns = [];
        for (let i = 0; i < 6; i++) {
            conns.push(await connectReady(i % 2 ? admin : agent));
        }
        const legalWs = await connectReady(legal);
        const ks = [];
        const notes = [];
        for (let round = 0; round < 4; round++) {
            const batch = [];
            const noteBatch = [];
            for (let i = 0; i < 10; i++) {
                batch.push(newContact(`burst ${round}.${i}`));
                if (i % 3 === 0) {
                    noteBatch.push(ok(agent.post(`/api/v1/conversations/${kl.conversation_id}/messages`,
                        { kind: 'note', body: `burst note ${round}.${i}` }), 201));
                }
            }
            ks.push(...(await Promise.all(batch)));
            notes.push(...(await Promise.all(noteBatch)));
        }
        const isNote = (m) => m.type === 'message.created' && m.data?.conversation_id === kl.conversation_id;
        // Late joiners replaying the burst get it in a few large writes.
        const since = legalWs.messages[0].id;
        const legalLate = await connectReady(legal, { since });
        const agentLate = await connectReady(agent, { since });
        for (const ws of [legalWs, legalLate]) {
            await ws.waitFor((c) => c.events().filter(isNote).length >= notes.length, 10_000,
                `legal hears the ${notes.length} notes`);
            const ids = ws.events().map((e) => e.id);
            assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'legal: out of order');
            assert.equal(new Set(ids).size, ids.length, 'legal: an event twice');
            assert.ok(ws.events().every((e) => e.data?.conversation_id === kl.conversation_id),
                `legal heard others' events: ${JSON.stringify(ws.events()).slice(0, 500)}`);
        }
        conns.push(agentLate);
        const want = new Set(ks.map((k) => k.conversation_id));
        const heardAll = (c) => {
            const got = new Set(c.events().filter((e) => e.type === 'conversation.created')
                .map((e) => e.data.conversation_id));
            return [...want].every((id) => got.has(id));
        };
        const seqs = [];
        for (const ws of conns) {
            await ws.waitFor(heardAll, 10_000, 'all 40 conversation.created events');
            const ids = ws.events().map((e) => e.id);
            for (let i = 1; i < ids.length; i++) {
                assert.equal(ids[i], ids[i - 1] + 1, `ids not consecutive: ${ids}`);
            }
            const created = ws.events().filter((e) => e.type === 'conversation.created').map((e) => e.data.conversation_id);
            assert.equal(new Set(created).size, created.length, 'an event arrived twice');
            seqs.push(ws.events().map((e) => `${e.id}:${e.type}:${JSON.stringify(e.data)}`));
        }
        // All connections started before the burst: from its first event on, they agree.
        const firstBurstId = Math.min(...conns.map((ws) => ws.events()
            .find((e) => e.type === 'conversation.created' && want.has(e.data.conversation_id)).id));
        const fromBurst = (seq) => seq.filter((s) => Number(s.split(':')[0]) >= firstBurstId);
        for (const seq of seqs.slice(1)) {
            assert.deepEqual(fromBurst(seq).slice(0, 40), fromBurst(seqs[0]).slice(0, 40));
        }
        for (const ws of [...conns, legalWs, legalLate]) {
            ws.destroy();
        }
    });

    test('a reconnect with ?since= gets exactly the missed events: no loss, no duplicates', async () => {
        const watcher = await connectReady(agent); // stays connected: the reference
        const ws1 = await connectReady(agent);
        const first = await newContact('before');
        const seen = await ws1.next(createdFor(first.conversation_id), 5_000, 'the first event');
        const before = ws1.events();
        await ws1.close();

        const missed = [];
        for (let i = 0; i < 4; i++) {
            missed.push(await newContact(`missed ${i}`));
        }
        const lastMissed = missed[missed.length - 1].conversation_id;
        await watcher.next(createdFor(lastMissed), 5_000, 'the watcher to see the missed events');

        const since = before[before.length - 1].id;
        assert.ok(since >= seen.id);
        const ws2 = await connectReady(agent, { since });
        assert.deepEqual(ws2.messages[0], { type: 'ready', id: since });
        const after1 = await newContact('after');
        await ws2.next(createdFor(after1.conversation_id), 5_000, 'the live event after the replay');
        await watcher.next(createdFor(after1.conversation_id), 5_000, 'the watcher to see it');

        const got = [...before, ...ws2.events()].map((e) => e.id);
        assert.equal(new Set(got).size, got.length, `duplicates in ${got}`);
        const from = before[0].id;
        const upto = ws2.events().at(-1).id;
        const expected = watcher.events().filter((e) => e.id >= from && e.id <= upto).map((e) => e.id);
        assert.deepEqual(got, expected);
        for (const k of missed) {
            assert.ok(ws2.events().some(createdFor(k.conversation_id)), `missed event of ${k.conversation_id} not replayed`);
        }
    });

    test('a since older than the ring, or not from this server, gets a resync', async () => {
        const old = await connectReady(agent, { since: 1 });
        assert.equal(old.messages[0].type, 'resync');
        assert.ok(Number.isSafeInteger(old.messages[0].id));
        const future = await connectReady(agent, { since: Number.MAX_SAFE_INTEGER - 1 });
        assert.equal(future.messages[0].type, 'resync');
        // After a resync, new events still flow.
        const k = await newContact('after resync');
        await old.next(createdFor(k.conversation_id), 5_000, 'an event after the resync');
    });

    test('department staff hear only their departments\' escalations and conversations', async () => {
        const agentWs = await connectReady(agent);
        const legalWs = await connectReady(legal);
        const financeWs = await connectReady(finance);

        const quiet = await newContact('not escalated');
        const kl = await newContact('for legal');
        const kf = await newContact('for finance');
        const el = await ok(agent.post(`/api/v1/conversations/${kl.conversation_id}/escalations`,
            { department: LEGAL, note: 'legal?' }), 201);
        const ef = await ok(agent.post(`/api/v1/conversations/${kf.conversation_id}/escalations`,
            { department: FINANCE, note: 'finance?' }), 201);
        // A change on each escalated conversation after the escalation.
        await ok(agent.patch(`/api/v1/conversations/${kl.conversation_id}`, { priority: 'high' }));
        await ok(agent.patch(`/api/v1/conversations/${kf.conversation_id}`, { priority: 'high' }));
        // Staff answer their own ticket.
        await ok(legal.post(`/api/v1/escalations/${el.id}/replies`, { body: 'رد' }), 201);
        await ok(finance.post(`/api/v1/escalations/${ef.id}/replies`, { body: 'رد' }), 201);

        const isEsc = (id, type) => (m) => m.type === type && m.data?.escalation_id === id;
        const isConvUpdate = (id) => (m) => m.type === 'conversation.updated' && m.data?.conversation_id === id;
        // Each side gets its own…
        await legalWs.next(isEsc(el.id, 'escalation.created'), 5_000, 'legal escalation.created');
        await legalWs.next(isConvUpdate(kl.conversation_id), 5_000, 'legal conversation.updated');
        await legalWs.next(isEsc(el.id, 'escalation.updated'), 5_000, 'legal escalation.updated');
        await financeWs.next(isEsc(ef.id, 'escalation.created'), 5_000, 'finance escalation.created');
        await financeWs.next(isConvUpdate(kf.conversation_id), 5_000, 'finance conversation.updated');
        await financeWs.next(isEsc(ef.id, 'escalation.updated'), 5_000, 'finance escalation.updated');
        // …the agent everything (the last event published is finance's reply).
        await agentWs.next(isEsc(ef.id, 'escalation.updated'), 5_000, 'agent sees the last event');
        for (const k of [quiet, kl, kf]) {
            assert.ok(agentWs.events().some(createdFor(k.conversation_id)), `agent missed ${k.conversation_id}`);
        }
        // Streams are ordered, so an event a stream hears that was published after everything
        // of the other department is a barrier: what it would have wrongly heard is there by
        // then. Finance's reply came after all of legal's events; for legal, one more reply.
        const barrier = await ok(legal.post(`/api/v1/escalations/${el.id}/replies`, { body: 'ثانٍ' }), 201);
        assert.equal(barrier.id, el.id);
        await legalWs.waitFor((c) => c.events().filter(isEsc(el.id, 'escalation.updated')).length >= 2,
            5_000, 'legal hears its second reply');
        const about = (ws) => ws.events().map((e) => e.data?.conversation_id);
        assert.ok(!about(legalWs).includes(kf.conversation_id), `legal heard finance's: ${JSON.stringify(legalWs.events())}`);
        assert.ok(!about(financeWs).includes(kl.conversation_id), `finance heard legal's: ${JSON.stringify(financeWs.events())}`);
        for (const ws of [legalWs, financeWs]) {
            assert.ok(!about(ws).includes(quiet.conversation_id), 'staff heard an unescalated conversation');
            assert.ok(!ws.events().some((e) => e.type === 'agent.availability'), 'staff heard agent availability');
        }
        // Replays are filtered the same way.
        const replay = await connectReady(finance, { since: legalWs.messages[0].id });
        await replay.next(isEsc(ef.id, 'escalation.updated'), 5_000, 'finance replay');
        assert.ok(!about(replay).includes(kl.conversation_id), 'finance replay has legal events');
    });

    test('ping → pong; the server pings; a peer that never answers is dropped', async () => {
        const ws = await connectReady(agent);
        await ws.ping('are-you-there');
        await ws.waitFor((c) => c.pings >= 1, 5_000, 'a server ping');
        // Still open after a few ping intervals, because we answer.
        await sleep(2_500);
        assert.equal(ws.ended, false);
        const mute = await connectReady(agent, { autoPong: false });
        await mute.waitFor((c) => c.ended, 8_000, 'the server to drop a peer that does not answer pings');
        assert.ok(mute.pings >= 1);
    });

    test('logging out closes that session\'s streams with 4401; a revoked token\'s too', async () => {
        const mine = await server.login('agent'); // a session of its own
        const ws = await connectReady(mine);
        const other = await connectReady(agent);
        await ok(mine.post('/api/v1/auth/logout'), 204);
        await ws.waitFor((c) => c.ended, 8_000, 'the stream of the ended session to close');
        assert.equal(ws.closeInfo?.code, 4401);
        const tok = await ok(agent.post('/api/v1/tokens', { name: 'revoked' }), 201);
        const byToken = await openWs(server.url, '/api/v1/stream', { headers: { authorization: `Bearer ${tok.token}` } });
        open.push(byToken);
        await byToken.next((m) => m.type === 'ready', 5_000, 'ready');
        await ok(agent.del(`/api/v1/tokens/${tok.id}`), 204);
        await byToken.waitFor((c) => c.ended, 8_000, 'the stream of the revoked token to close');
        assert.equal(byToken.closeInfo?.code, 4401);
        assert.equal(other.ended, false, 'another session\'s stream was closed');
    });

    test('a close from the client is answered and the socket ends', async () => {
        const ws = await connectReady(agent);
        await ws.close(1000);
        assert.equal(ws.closeInfo?.code, 1000);
        // The server still serves others afterwards.
        const again = await connectReady(agent);
        const k = await newContact('after a close');
        await again.next(createdFor(k.conversation_id), 5_000, 'an event after a close');
    });

    test('garbage from the client closes that connection only', async () => {
        const bad = await connectReady(agent);
        bad.socket.write(Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f])); // unmasked: forbidden
        await bad.waitFor((c) => c.ended, 5_000, 'the server to close a protocol breaker');
        assert.equal(bad.closeInfo?.code, 1002);
        const good = await connectReady(agent);
        const k = await newContact('after garbage');
        await good.next(createdFor(k.conversation_id), 5_000, 'an event after garbage');
    });

    test('stopping the server closes live streams with 1001', async () => {
        const ws = await connectReady(agent);
        const end = await server.terminate();
        assert.equal(end.forced, false, 'the server needed SIGKILL');
        await ws.closed;
        assert.equal(ws.closeInfo?.code, 1001);
    });
});

// With the default settings (pings every 30 s, one hub thread) and nothing published, a new
// connection still hears its 'ready' at once: the intro is written when the hub takes the
// connection, not at the next event or ping (the tests above ping every second, which hid that).
describe(`live stream, default settings [${backend}]`, () => {
    let server;
    before(async () => {
        server = await startServer();
    });
    after(async () => {
        await server?.stop();
    });

    test('the first message arrives at once', async () => {
        const admin = await server.login('admin');
        const started = Date.now();
        const ws = await openWs(server.url, '/api/v1/stream', { headers: { origin: server.url, cookie: admin.cookie } });
        try {
            const first = await ws.next(() => true, 2_000, 'the first message');
            assert.equal(first.type, 'ready', JSON.stringify(first));
            assert.ok(Date.now() - started < 2_000);
        } finally {
            await ws.close();
        }
    });
});
