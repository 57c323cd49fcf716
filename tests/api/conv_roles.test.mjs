// Who may do what with conversations, customers, contacts and their settings: department staff,
// QA evaluators, service owners, agents and anonymous callers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/expect.mjs';

const backend = backendName();

// ---- helpers of this file --------------------------------------------------------------------

async function ok(pending, status = 200) {
    const r = await pending;
    expectStatus(r, status);
    return r.json;
}

let phoneSeq = 9500;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

// ---- tests -----------------------------------------------------------------------------------

describe(`conversations: roles [${backend}]`, () => {
    let server;
    let admin;
    let agent;
    let staff;
    let qa;
    let owner;
    let anon;
    let conv; // a conversation made by the agent
    let customerId;
    const LINE = 'roles_line';

    const contactBody = () => ({ channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        staff = await server.login('department_staff');
        qa = await server.login('qa_evaluator');
        owner = await server.login('service_owner');
        anon = server.client();
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'الأدوار', name_en: 'Roles' }), 201);
        const k = await ok(agent.post('/api/v1/contacts', contactBody()), 201);
        conv = k.conversation_id;
        customerId = k.customer_id;
    });

    after(async () => {
        await server?.stop();
    });

    test('department_staff cannot record contacts or open conversations (403)', async () => {
        expectError(await staff.post('/api/v1/contacts', contactBody()), 403);
        expectError(await staff.post('/api/v1/conversations', contactBody()), 403);
        expectError(await staff.get('/api/v1/customers'), 403);
        expectError(await staff.get(`/api/v1/customers/${customerId}?reveal=1&reason=curious`), 403);
    });

    test('anonymous callers get 401 everywhere', async () => {
        expectError(await anon.post('/api/v1/contacts', contactBody()), 401);
        expectError(await anon.get('/api/v1/conversations'), 401);
        expectError(await anon.get(`/api/v1/conversations/${conv}`), 401);
        expectError(await anon.patch(`/api/v1/conversations/${conv}`, { status: 'pending' }), 401);
        expectError(await anon.get('/api/v1/customers'), 401);
        expectError(await anon.get(`/api/v1/customers/${customerId}`), 401);
        expectError(await anon.get('/api/v1/escalations'), 401);
        expectError(await anon.get('/api/v1/templates'), 401);
        expectError(await anon.get('/api/v1/calendars/default'), 401);
    });

    test('qa_evaluator can read conversations but not change them', async () => {
        const list = await ok(qa.get('/api/v1/conversations'));
        assert.ok(list.items.some((x) => x.id === conv));
        const one = await ok(qa.get(`/api/v1/conversations/${conv}`));
        assert.equal(one.id, conv);
        assert.equal(one.customer.masked, true);
        expectError(await qa.patch(`/api/v1/conversations/${conv}`, { status: 'pending' }), 403);
        expectError(await qa.patch(`/api/v1/conversations/${conv}`, { tags: ['qa'] }), 403);
        expectError(await qa.post(`/api/v1/conversations/${conv}/messages`, { kind: 'note', body: 'x' }), 403);
        expectError(await qa.post(`/api/v1/conversations/${conv}/escalations`, { department: 'x', note: 'x' }), 403);
        expectError(await qa.post('/api/v1/contacts', contactBody()), 403);
        expectError(await qa.get(`/api/v1/customers/${customerId}`), 403);
        const after = await ok(agent.get(`/api/v1/conversations/${conv}`));
        assert.equal(after.status, 'open');
        assert.deepEqual(after.tags, []);
    });

    test('service_owner cannot read conversations or customers', async () => {
        expectError(await owner.get('/api/v1/conversations'), 403);
        expectError(await owner.get(`/api/v1/conversations/${conv}`), 403);
        expectError(await owner.get('/api/v1/customers'), 403);
        expectError(await owner.post('/api/v1/contacts', contactBody()), 403);
    });

    test('agents cannot change the organisation, calendars, SLA policies, queues or read the audit log', async () => {
        expectError(await agent.post('/api/v1/service-lines', { code: 'x_line', name_ar: 'س', name_en: 'x' }), 403);
        expectError(await agent.post('/api/v1/departments', { code: 'x_dept', name_ar: 'س', name_en: 'x' }), 403);
        expectError(await agent.patch('/api/v1/calendars/default', { holidays: [] }), 403);
        expectError(await agent.post('/api/v1/sla-policies', { service_line: LINE, first_response_minutes: 1, resolution_minutes: 2 }), 403);
        expectError(await agent.post('/api/v1/queues', { service_line: LINE, policy: 'manual' }), 403);
        expectError(await agent.get('/api/v1/audit?action=customer.reveal'), 403);
        expectError(await agent.patch(`/api/v1/users/${agent.user.id}`, { skills: [LINE] }), 403);
        // …but they read the organisation and settings.
        await ok(agent.get('/api/v1/service-lines'));
        await ok(agent.get('/api/v1/calendars/default'));
        await ok(agent.get('/api/v1/sla-policies'));
        await ok(agent.get('/api/v1/queues'));
    });

    test('front-line roles work the conversation: agent, supervisor and admin', async () => {
        for (const role of ['agent', 'supervisor', 'admin']) {
            const c = await server.login(role);
            const k = await ok(c.post('/api/v1/contacts', contactBody()), 201);
            await ok(c.patch(`/api/v1/conversations/${k.conversation_id}`, { status: 'pending' }));
            await ok(c.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'note', body: role }), 201);
            await ok(c.get(`/api/v1/customers/${k.customer_id}`));
        }
    });

    test('unsafe requests without the CSRF token are refused and change nothing', async () => {
        const r = await agent.post('/api/v1/contacts', contactBody(), { csrf: false });
        expectError(r, 403);
        const p = await agent.patch(`/api/v1/conversations/${conv}`, { status: 'solved' }, { csrf: false });
        expectError(p, 403);
        assert.equal((await ok(agent.get(`/api/v1/conversations/${conv}`))).status, 'open');
    });

    test('a bearer token of an agent records contacts; of a qa evaluator it reads only', async () => {
        const t = await ok(agent.post('/api/v1/tokens', { name: 'intake bot' }), 201);
        const bot = server.bearer(t.token);
        await ok(bot.post('/api/v1/contacts', contactBody()), 201);
        const q = await ok(qa.post('/api/v1/tokens', { name: 'qa bot' }), 201);
        const qbot = server.bearer(q.token);
        await ok(qbot.get(`/api/v1/conversations/${conv}`));
        expectError(await qbot.post('/api/v1/contacts', contactBody()), 403);
    });
});
