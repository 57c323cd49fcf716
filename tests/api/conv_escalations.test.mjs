// Escalations to back-office departments: the agent escalates, the department's staff (and only
// theirs) see the ticket and its conversation, answer and resolve; the agent sees the trail.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser } from './lib/harness.mjs';
import { expectError, expectStatus, expectIsoTime } from './lib/expect.mjs';

const backend = backendName();

// ---- helpers of this file --------------------------------------------------------------------

async function ok(pending, status = 200) {
    const r = await pending;
    expectStatus(r, status);
    return r.json;
}

let phoneSeq = 7000;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

async function escalationIds(client, query = '') {
    const ids = [];
    let cursor = null;
    for (let i = 0; i < 100; i++) {
        const sep = query ? '&' : '';
        const body = await ok(client.get(`/api/v1/escalations?${query}${sep}limit=200${cursor ? `&cursor=${cursor}` : ''}`));
        assert.ok(Array.isArray(body.items), JSON.stringify(body));
        ids.push(...body.items.map((x) => x.id));
        cursor = body.next_cursor;
        if (cursor === null) {
            return ids;
        }
    }
    throw new Error('pagination never ended');
}

// ---- tests -----------------------------------------------------------------------------------

describe(`conversations: escalations to departments [${backend}]`, () => {
    let server;
    let admin;
    let agent;
    let supervisor;
    let legal; // department_staff of LEGAL
    let finance; // department_staff of FINANCE
    let nobody; // department_staff of no department (the harness's role user)
    const LINE = 'esc_line';
    const LEGAL = 'legal';
    const FINANCE = 'finance';

    async function staffOf(dept, name) {
        const u = await createUser(admin, { roles: ['department_staff'], name });
        const patched = await ok(admin.patch(`/api/v1/users/${u.user.id}`, { departments: [dept] }));
        assert.deepEqual(patched.departments, [dept]);
        return server.login({ email: u.email, password: u.password });
    }

    async function newConversation(subject = 'طلب') {
        const k = await ok(agent.post('/api/v1/contacts', {
            channel: 'phone', customer: { name: 'Escalated Customer', phones: [newPhone()] }, service_line: LINE,
            subject, body: 'x',
        }), 201);
        return k;
    }

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        supervisor = await server.login('supervisor');
        nobody = await server.login('department_staff');
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'الاعتراضات', name_en: 'Objections' }), 201);
        await ok(admin.post('/api/v1/departments', { code: LEGAL, name_ar: 'الإدارة القانونية', name_en: 'Legal' }), 201);
        await ok(admin.post('/api/v1/departments', { code: FINANCE, name_ar: 'الإدارة المالية', name_en: 'Finance' }), 201);
        legal = await staffOf(LEGAL, 'Legal Staff');
        finance = await staffOf(FINANCE, 'Finance Staff');
    });

    after(async () => {
        await server?.stop();
    });

    test('the agent escalates → 201 with the ticket; the conversation is marked escalated', async () => {
        const k = await newConversation('اعتراض على قرار');
        const e = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, {
            department: LEGAL, note: 'هل القرار نظامي؟',
        }), 201);
        assert.ok(Number.isInteger(e.id));
        assert.equal(e.conversation_id, k.conversation_id);
        assert.equal(e.conversation_number, k.conversation_number);
        assert.equal(e.department, LEGAL);
        assert.equal(e.status, 'open');
        assert.equal(e.note, 'هل القرار نظامي؟');
        assert.equal(e.subject, 'اعتراض على قرار');
        assert.equal(e.created_by, agent.user.id);
        expectIsoTime(e.created_at, 'created_at');
        expectIsoTime(e.due_at, 'due_at');
        // The department's SLA (1440 business minutes by default) is never shorter in wall-clock time.
        assert.ok(Date.parse(e.due_at) - Date.parse(e.created_at) >= 1440 * 60000,
            `due_at ${e.due_at} is less than 1440 minutes after ${e.created_at}`);
        assert.equal(e.resolved_at, null);
        assert.equal(e.sla_breached, false);
        assert.deepEqual(e.replies, []);
        const c = await ok(agent.get(`/api/v1/conversations/${k.conversation_id}`));
        assert.equal(c.escalated, true);
    });

    test('an unknown or missing department → 422; an unknown conversation → 404; a closed one → 409', async () => {
        const k = await newConversation();
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: 'nope', note: 'x' }),
            422, { field: 'department' });
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { note: 'x' }),
            422, { field: 'department' });
        expectError(await agent.post('/api/v1/conversations/99999999/escalations', { department: LEGAL, note: 'x' }), 404);
        for (const s of ['solved', 'closed']) {
            await ok(agent.patch(`/api/v1/conversations/${k.conversation_id}`, { status: s }));
        }
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: LEGAL, note: 'x' }), 409);
        assert.equal((await ok(agent.get(`/api/v1/conversations/${k.conversation_id}`))).escalated, false);
    });

    test('staff of the department see the ticket and its conversation; staff of another department do not', async () => {
        const k = await newConversation('مطالبة مالية');
        const e = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: LEGAL, note: 'n' }), 201);

        assert.ok((await escalationIds(legal)).includes(e.id), 'legal staff miss their ticket');
        const seen = await ok(legal.get(`/api/v1/escalations/${e.id}`));
        assert.equal(seen.id, e.id);
        assert.equal(seen.department, LEGAL);
        const conv = await ok(legal.get(`/api/v1/conversations/${k.conversation_id}`));
        assert.equal(conv.id, k.conversation_id);
        const list = await ok(legal.get('/api/v1/conversations?limit=200'));
        assert.ok(list.items.some((x) => x.id === k.conversation_id), 'legal staff miss the conversation in the list');

        for (const other of [finance, nobody]) {
            assert.ok(!(await escalationIds(other)).includes(e.id), 'another department sees the ticket');
            expectError(await other.get(`/api/v1/escalations/${e.id}`), 404);
            expectError(await other.get(`/api/v1/conversations/${k.conversation_id}`), 404);
            const l = await ok(other.get('/api/v1/conversations?limit=200'));
            assert.ok(!l.items.some((x) => x.id === k.conversation_id), 'another department lists the conversation');
            expectError(await other.post(`/api/v1/escalations/${e.id}/replies`, { body: 'not mine' }), 404);
            expectError(await other.patch(`/api/v1/escalations/${e.id}`, { status: 'resolved' }), 404);
        }
        // Nothing of those attempts reached the ticket.
        const after = await ok(legal.get(`/api/v1/escalations/${e.id}`));
        assert.equal(after.status, 'open');
        assert.deepEqual(after.replies, []);
    });

    test('department staff see only conversations escalated to them (not the rest of the center\'s)', async () => {
        const plain = await newConversation('not escalated');
        expectError(await legal.get(`/api/v1/conversations/${plain.conversation_id}`), 404);
        const l = await ok(legal.get('/api/v1/conversations?limit=200'));
        assert.ok(!l.items.some((x) => x.id === plain.conversation_id));
        // Front-line roles see every escalation.
        const k = await newConversation();
        const e = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: FINANCE, note: 'n' }), 201);
        for (const c of [agent, supervisor, admin]) {
            assert.ok((await escalationIds(c)).includes(e.id));
            await ok(c.get(`/api/v1/escalations/${e.id}`));
        }
    });

    test('staff answer (201) and resolve (200); the list filters by status', async () => {
        const k = await newConversation();
        const e = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: FINANCE, note: 'refund?' }), 201);
        const replied = await ok(finance.post(`/api/v1/escalations/${e.id}/replies`, { body: 'الاسترداد معتمد' }), 201);
        assert.equal(replied.replies.length, 1);
        assert.equal(replied.replies[0].body, 'الاسترداد معتمد');
        assert.equal(replied.replies[0].author_id, finance.user.id);
        expectIsoTime(replied.replies[0].created_at, 'reply created_at');
        assert.equal(replied.status, 'open');

        expectError(await finance.post(`/api/v1/escalations/${e.id}/replies`, { body: '' }), 422, { field: 'body' });
        expectError(await finance.patch(`/api/v1/escalations/${e.id}`, { status: 'done' }), 422, { field: 'status' });

        assert.ok((await escalationIds(finance, 'status=open')).includes(e.id));
        const resolved = await ok(finance.patch(`/api/v1/escalations/${e.id}`, { status: 'resolved' }));
        assert.equal(resolved.status, 'resolved');
        expectIsoTime(resolved.resolved_at, 'resolved_at');
        assert.equal(resolved.replies.length, 1);
        assert.ok((await escalationIds(finance, 'status=resolved')).includes(e.id));
        assert.ok(!(await escalationIds(finance, 'status=open')).includes(e.id));

        // Reopen and resolve again.
        const reopened = await ok(finance.patch(`/api/v1/escalations/${e.id}`, { status: 'open' }));
        assert.equal(reopened.status, 'open');
        assert.equal(reopened.resolved_at, null);
    });

    test('the agent sees escalation, reply and resolution in the conversation timeline, in order', async () => {
        const k = await newConversation();
        const e = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: LEGAL, note: 'review' }), 201);
        await ok(legal.post(`/api/v1/escalations/${e.id}/replies`, { body: 'reviewed: fine' }), 201);
        await ok(legal.patch(`/api/v1/escalations/${e.id}`, { status: 'resolved' }));

        const c = await ok(agent.get(`/api/v1/conversations/${k.conversation_id}`));
        const tl = c.timeline;
        const escIdx = tl.findIndex((t) => t.type === 'escalation' && t.id === e.id);
        assert.ok(escIdx >= 0, `no escalation entry: ${JSON.stringify(tl)}`);
        assert.equal(tl[escIdx].department, LEGAL);
        assert.equal(tl[escIdx].note, 'review');
        assert.equal(tl[escIdx].actor_id, agent.user.id);

        const replies = tl.filter((t) => t.type === 'escalation_reply');
        assert.equal(replies.length, 1, JSON.stringify(tl));
        assert.equal(replies[0].body, 'reviewed: fine');
        assert.equal(replies[0].escalation_id, e.id);
        assert.equal(replies[0].author_id, legal.user.id);
        const replyIdx = tl.indexOf(replies[0]);

        const resIdx = tl.findIndex((t) => t.type === 'escalation_resolved');
        assert.ok(resIdx >= 0, `no resolution entry: ${JSON.stringify(tl)}`);
        assert.equal(tl[resIdx].department, LEGAL);
        assert.ok(escIdx < replyIdx && replyIdx < resIdx, `order escalation < reply < resolution: ${JSON.stringify(tl)}`);
    });

    test('each escalation act appears once in the timeline (no duplicate entries)', async () => {
        const k = await newConversation();
        const e = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: LEGAL, note: 'once' }), 201);
        await ok(legal.patch(`/api/v1/escalations/${e.id}`, { status: 'resolved' }));
        const tl = (await ok(agent.get(`/api/v1/conversations/${k.conversation_id}`))).timeline;
        const mine = (t) => t.escalation_id === e.id || (t.id === e.id && t.type.startsWith('escalation'));
        const created = tl.filter((t) => mine(t) && (t.type === 'escalation' || t.type === 'escalated'));
        const resolved = tl.filter((t) => mine(t) && t.type === 'escalation_resolved');
        assert.equal(resolved.length, 1, `the resolution is shown ${resolved.length} times: ${JSON.stringify(resolved)}`);
        assert.equal(created.length, 1, `the escalation is shown ${created.length} times: ${JSON.stringify(created)}`);
    });

    test('department staff cannot change the conversation itself, nor open contacts', async () => {
        const k = await newConversation();
        await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: LEGAL, note: 'n' }), 201);
        expectError(await legal.patch(`/api/v1/conversations/${k.conversation_id}`, { status: 'solved' }), 403);
        expectError(await legal.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', body: 'x' }), 403);
        expectError(await legal.post('/api/v1/contacts', {
            channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x',
        }), 403);
    });

    test('a conversation escalated to two departments: each department sees only its own ticket', async () => {
        const k = await newConversation();
        const a = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: LEGAL, note: 'a' }), 201);
        const b = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: FINANCE, note: 'b' }), 201);
        const legalIds = await escalationIds(legal);
        const financeIds = await escalationIds(finance);
        assert.ok(legalIds.includes(a.id) && !legalIds.includes(b.id));
        assert.ok(financeIds.includes(b.id) && !financeIds.includes(a.id));
        expectError(await legal.get(`/api/v1/escalations/${b.id}`), 404);
        expectError(await finance.get(`/api/v1/escalations/${a.id}`), 404);
        // Both see the conversation (escalated to each of them).
        await ok(legal.get(`/api/v1/conversations/${k.conversation_id}`));
        await ok(finance.get(`/api/v1/conversations/${k.conversation_id}`));
    });

    test('a department changed on the user takes effect: moved staff lose the old tickets', async () => {
        const u = await createUser(admin, { roles: ['department_staff'], name: 'Mover' });
        await ok(admin.patch(`/api/v1/users/${u.user.id}`, { departments: [LEGAL] }));
        const mover = await server.login({ email: u.email, password: u.password });
        const k = await newConversation();
        const e = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: LEGAL, note: 'n' }), 201);
        await ok(mover.get(`/api/v1/escalations/${e.id}`));
        await ok(admin.patch(`/api/v1/users/${u.user.id}`, { departments: [FINANCE] }));
        expectError(await mover.get(`/api/v1/escalations/${e.id}`), 404);
        expectError(await mover.get(`/api/v1/conversations/${k.conversation_id}`), 404);
        expectError(await admin.patch(`/api/v1/users/${u.user.id}`, { departments: ['no_such_dept'] }), 422, { field: 'departments' });
    });
});
