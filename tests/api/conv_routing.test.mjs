// Routing: queues (service line × channel) with a policy — manual, round_robin, least_open; new
// conversations go to online agents with the skill and spare capacity, else wait; an agent coming
// online takes waiting conversations up to capacity. Each test uses its own service line and its
// own agents, so their loads never mix.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/expect.mjs';

const backend = backendName();

// ---- helpers of this file --------------------------------------------------------------------

async function ok(pending, status = 200) {
    const r = await pending;
    expectStatus(r, status);
    return r.json;
}

let phoneSeq = 9000;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

// ---- tests -----------------------------------------------------------------------------------

describe(`conversations: routing [${backend}]`, () => {
    let server;
    let admin;
    let intake; // the front-line agent who records contacts (never routed: no skills, offline)

    async function line(code, policy, channel) {
        await ok(admin.post('/api/v1/service-lines', { code, name_ar: `خط ${code}`, name_en: `Line ${code}` }), 201);
        if (policy) {
            const body = { service_line: code, policy };
            if (channel !== undefined) {
                body.channel = channel;
            }
            const q = await ok(admin.post('/api/v1/queues', body), 201);
            assert.equal(q.service_line, code);
            assert.equal(q.policy, policy);
            return q;
        }
        return null;
    }

    // A new agent with these skills (and capacity); returns {id, client}.
    async function newAgent(skills, { capacity, availability } = {}) {
        const u = await createUser(admin, { roles: ['agent'] });
        const body = { skills };
        if (capacity !== undefined) {
            body.capacity = capacity;
        }
        const p = await ok(admin.patch(`/api/v1/users/${u.user.id}`, body));
        assert.deepEqual(p.skills, skills);
        const client = await server.login({ email: u.email, password: u.password });
        if (availability) {
            await ok(client.patch('/api/v1/me', { availability }));
        }
        return { id: u.user.id, client };
    }

    // A new conversation (a new customer) on `code`; returns its assignee_id.
    async function arrive(code, channel = 'phone') {
        const k = await ok(intake.post('/api/v1/contacts', {
            channel, customer: { phones: [newPhone()] }, service_line: code, body: 'x',
        }), 201);
        assert.equal(k.joined, false);
        const c = await ok(intake.get(`/api/v1/conversations/${k.conversation_id}`));
        return { id: k.conversation_id, assignee: c.assignee_id, conversation: c };
    }

    async function assigneeOf(id) {
        return (await ok(intake.get(`/api/v1/conversations/${id}`))).assignee_id;
    }

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        intake = await server.login('agent');
    });

    after(async () => {
        await server?.stop();
    });

    test('queues: create, list, validation', async () => {
        const q = await line('rt_queues', 'round_robin');
        assert.equal(q.channel, '');
        assert.ok(Number.isInteger(q.id));
        const list = await ok(intake.get('/api/v1/queues'));
        assert.deepEqual(list.items.find((x) => x.id === q.id), q);
        expectError(await admin.post('/api/v1/queues', { service_line: 'rt_queues', policy: 'random' }), 422, { field: 'policy' });
        expectError(await admin.post('/api/v1/queues', { service_line: 'no_such_line', policy: 'manual' }), 422, { field: 'service_line' });
        expectError(await admin.post('/api/v1/queues', { policy: 'manual' }), 422, { field: 'service_line' });
        expectError(await admin.post('/api/v1/queues', { service_line: 'rt_queues', channel: 'fax' }), 422, { field: 'channel' });
        expectError(await admin.post('/api/v1/queues', { service_line: 'rt_queues', policy: 'manual' }), 409);
        const u = await ok(admin.patch(`/api/v1/queues/${q.id}`, { policy: 'least_open' }));
        assert.equal(u.policy, 'least_open');
        assert.equal(u.service_line, 'rt_queues');
        expectError(await intake.post('/api/v1/queues', { service_line: 'rt_queues', channel: 'email' }), 403);
    });

    test('availability: online | away | offline; anything else → 422', async () => {
        const a = await newAgent([]);
        for (const v of ['online', 'away', 'offline']) {
            await ok(a.client.patch('/api/v1/me', { availability: v }));
            const users = await ok(admin.get(`/api/v1/users/${a.id}`));
            assert.equal(users.availability, v);
        }
        expectError(await a.client.patch('/api/v1/me', { availability: 'busy' }), 422, { field: 'availability' });
    });

    test('round_robin: new conversations alternate between the two online agents with the skill', async () => {
        const code = 'rt_rr';
        await line(code, 'round_robin');
        const a = await newAgent([code], { availability: 'online' });
        const b = await newAgent([code], { availability: 'online' });
        const got = [];
        for (let i = 0; i < 6; i++) {
            got.push((await arrive(code)).assignee);
        }
        assert.ok(got.every((x) => x === a.id || x === b.id), `assigned outside the two agents: ${got}`);
        assert.notEqual(got[0], got[1]);
        for (let i = 2; i < got.length; i++) {
            assert.equal(got[i], got[i - 2], `not alternating: ${got}`);
        }
        // The assignment is in the timeline, done by routing.
        const c = await arrive(code);
        const entry = c.conversation.timeline.find((t) => t.type === 'assignment');
        assert.equal(entry.to, c.assignee);
        assert.equal(entry.from, null);
    });

    test('a contact joining an assigned conversation keeps its assignee', async () => {
        const code = 'rt_join';
        await line(code, 'round_robin');
        const a = await newAgent([code], { availability: 'online' });
        const b = await newAgent([code], { availability: 'online' });
        const phone = newPhone();
        const k = await ok(intake.post('/api/v1/contacts', { channel: 'phone', customer: { phones: [phone] }, service_line: code, body: 'x' }), 201);
        const first = await assigneeOf(k.conversation_id);
        assert.ok([a.id, b.id].includes(first));
        const j = await ok(intake.post('/api/v1/contacts', { channel: 'email', customer: { phones: [phone] }, service_line: code, body: 'y' }), 201);
        assert.equal(j.joined, true);
        assert.equal(await assigneeOf(k.conversation_id), first);
    });

    test('least_open: the agent with fewer open conversations gets the next one', async () => {
        const code = 'rt_least';
        await line(code, 'least_open');
        const busy = await newAgent([code], { availability: 'online' });
        // Alone online, busy takes the first two.
        assert.equal((await arrive(code)).assignee, busy.id);
        assert.equal((await arrive(code)).assignee, busy.id);
        const fresh = await newAgent([code], { availability: 'online' });
        // fresh: 0 open, busy: 2 → fresh; then fresh 1 vs busy 2 → fresh.
        assert.equal((await arrive(code)).assignee, fresh.id);
        assert.equal((await arrive(code)).assignee, fresh.id);
        // Solving one of busy's lowers their load below fresh's: busy gets the next.
        const list = await ok(intake.get(`/api/v1/conversations?service_line=${code}&assignee_id=${busy.id}`));
        assert.equal(list.items.length, 2);
        await ok(busy.client.patch(`/api/v1/conversations/${list.items[0].id}`, { status: 'solved' }));
        await ok(busy.client.patch(`/api/v1/conversations/${list.items[1].id}`, { status: 'solved' }));
        assert.equal((await arrive(code)).assignee, busy.id);
    });

    test('manual: conversations stay unassigned even with an online skilled agent', async () => {
        const code = 'rt_manual';
        await line(code, 'manual');
        await newAgent([code], { availability: 'online' });
        for (let i = 0; i < 2; i++) {
            const c = await arrive(code);
            assert.equal(c.assignee, null);
            assert.ok(!c.conversation.timeline.some((t) => t.type === 'assignment'));
        }
        const waiting = await ok(intake.get(`/api/v1/conversations?service_line=${code}&assignee_id=none`));
        assert.equal(waiting.items.length, 2);
    });

    test('no queue for the service line: conversations wait unassigned', async () => {
        const code = 'rt_noqueue';
        await line(code, null);
        await newAgent([code], { availability: 'online' });
        assert.equal((await arrive(code)).assignee, null);
    });

    test('offline or away agents, and agents without the skill, get none', async () => {
        const code = 'rt_offline';
        await line(code, 'round_robin');
        const on = await newAgent([code], { availability: 'online' });
        const off = await newAgent([code], { availability: 'offline' });
        const away = await newAgent([code], { availability: 'away' });
        const unskilled = await newAgent(['rt_rr'], { availability: 'online' });
        const got = [];
        for (let i = 0; i < 4; i++) {
            got.push((await arrive(code)).assignee);
        }
        assert.deepEqual(got, [on.id, on.id, on.id, on.id]);
        for (const who of [off, away, unskilled]) {
            const l = await ok(intake.get(`/api/v1/conversations?service_line=${code}&assignee_id=${who.id}`));
            assert.deepEqual(l.items, []);
        }
        // Going offline stops new work.
        await ok(on.client.patch('/api/v1/me', { availability: 'offline' }));
        assert.equal((await arrive(code)).assignee, null);
    });

    test('a disabled agent gets none even while marked online', async () => {
        const code = 'rt_disabled';
        await line(code, 'round_robin');
        const gone = await newAgent([code], { availability: 'online' });
        await ok(admin.patch(`/api/v1/users/${gone.id}`, { disabled: true }));
        assert.equal((await arrive(code)).assignee, null);
        const stays = await newAgent([code], { availability: 'online' });
        assert.equal((await arrive(code)).assignee, stays.id);
    });

    test('an agent coming online takes waiting conversations, oldest first, up to capacity', async () => {
        const code = 'rt_drain';
        await line(code, 'round_robin');
        const late = await newAgent([code], { capacity: 2 });
        const w1 = await arrive(code);
        const w2 = await arrive(code);
        const w3 = await arrive(code);
        for (const w of [w1, w2, w3]) {
            assert.equal(w.assignee, null, 'assigned while nobody was online');
        }
        await ok(late.client.patch('/api/v1/me', { availability: 'online' }));
        assert.equal(await assigneeOf(w1.id), late.id);
        assert.equal(await assigneeOf(w2.id), late.id);
        assert.equal(await assigneeOf(w3.id), null, 'assigned beyond capacity');
        // At capacity, new ones wait too.
        assert.equal((await arrive(code)).assignee, null);
        // Solving one frees a slot; coming online again pulls the oldest waiting one.
        await ok(late.client.patch(`/api/v1/conversations/${w1.id}`, { status: 'solved' }));
        await ok(late.client.patch('/api/v1/me', { availability: 'online' }));
        assert.equal(await assigneeOf(w3.id), late.id);
    });

    test('a channel queue takes precedence over the service line\'s general queue', async () => {
        const code = 'rt_channel';
        await line(code, 'round_robin');
        const q = await ok(admin.post('/api/v1/queues', { service_line: code, channel: 'email', policy: 'manual' }), 201);
        assert.equal(q.channel, 'email');
        const a = await newAgent([code], { availability: 'online' });
        assert.equal((await arrive(code, 'phone')).assignee, a.id);
        assert.equal((await arrive(code, 'email')).assignee, null);
    });

    test('a bad capacity or unknown skill on the user → 422', async () => {
        const u = await createUser(admin, { roles: ['agent'] });
        expectError(await admin.patch(`/api/v1/users/${u.user.id}`, { skills: ['no_such_line'] }), 422, { field: 'skills' });
        expectError(await admin.patch(`/api/v1/users/${u.user.id}`, { capacity: 0 }), 422, { field: 'capacity' });
    });
});
