// Approved templates: create (draft) with Arabic and English bodies, placeholders checked on save,
// approval by supervisor or admin only, only approved templates sent (409 otherwise), rendering with
// the conversation's values, uses counted, edits needing approval again, a placeholder without a
// value refused, channel variants, retirement, and the after-hours automatic reply.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName } from './lib/harness.mjs';
import { expectError, expectStatus, expectIsoTime } from './lib/expect.mjs';

const backend = backendName();

// ---- helpers of this file --------------------------------------------------------------------

async function ok(pending, status = 200) {
    const r = await pending;
    expectStatus(r, status);
    return r.json;
}

let phoneSeq = 8000;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

const AR = 'مرحباً {{customer.name}}، رقم طلبك {{conversation.number}}';
const EN = 'Hello {{customer.name}}, your request number is {{conversation.number}}';

function bodiesOf(code) {
    return { code, title: `Template ${code}`, bodies: { ar: AR, en: EN } };
}

// ---- tests -----------------------------------------------------------------------------------

describe(`conversations: approved templates [${backend}]`, () => {
    let server;
    let admin;
    let agent;
    let supervisor;
    let owner; // service_owner
    const LINE = 'tpl_line';

    async function newConversation({ name = 'ريم الدوسري', channel = 'email', at } = {}) {
        const customer = { phones: [newPhone()] };
        if (name !== null) {
            customer.name = name;
        }
        const k = await ok(agent.post('/api/v1/contacts', {
            channel, customer, service_line: LINE, body: 'x', ...(at ? { received_at: at } : {}),
        }), 201);
        return k;
    }

    async function approved(code, body = bodiesOf(code)) {
        await ok(supervisor.post('/api/v1/templates', { ...body, code }), 201);
        return ok(supervisor.post(`/api/v1/templates/${code}/approve`));
    }

    async function messagesOf(conversationId) {
        const c = await ok(agent.get(`/api/v1/conversations/${conversationId}`));
        return c.timeline.filter((t) => t.type === 'message' && t.kind !== 'inbound');
    }

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        supervisor = await server.login('supervisor');
        owner = await server.login('service_owner');
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'القوالب', name_en: 'Templates' }), 201);
    });

    after(async () => {
        await server?.stop();
    });

    test('create → 201 draft with both bodies; read back; listed', async () => {
        const t = await ok(supervisor.post('/api/v1/templates', bodiesOf('greeting')), 201);
        assert.equal(t.code, 'greeting');
        assert.equal(t.title, 'Template greeting');
        assert.deepEqual(t.bodies, { ar: AR, en: EN });
        assert.deepEqual(t.variants, {});
        assert.equal(t.state, 'draft');
        assert.equal(t.uses, 0);
        assert.equal(t.approved_at, null);
        assert.equal(t.approved_by, null);
        expectIsoTime(t.created_at, 'created_at');
        assert.deepEqual(await ok(agent.get('/api/v1/templates/greeting')), t);
        const drafts = await ok(agent.get('/api/v1/templates?state=draft'));
        assert.ok(drafts.items.some((x) => x.code === 'greeting'));
        const approvedList = await ok(agent.get('/api/v1/templates?state=approved'));
        assert.ok(!approvedList.items.some((x) => x.code === 'greeting'));
        expectError(await agent.get('/api/v1/templates/no_such_template'), 404);
    });

    test('who may author: supervisor, admin, service owner; not an agent', async () => {
        await ok(owner.post('/api/v1/templates', bodiesOf('by_owner')), 201);
        await ok(admin.post('/api/v1/templates', bodiesOf('by_admin')), 201);
        expectError(await agent.post('/api/v1/templates', bodiesOf('by_agent')), 403);
        expectError(await agent.patch('/api/v1/templates/by_owner', { title: 'x' }), 403);
    });

    test('an unknown placeholder → 422 naming the body; nothing is stored', async () => {
        const e = expectError(await supervisor.post('/api/v1/templates', {
            code: 'bad_ar', title: 'x', bodies: { ar: 'عمرك {{customer.age}}', en: 'ok' },
        }), 422, { field: 'bodies.ar' });
        assert.match(e.message, /customer\.age/);
        expectError(await supervisor.post('/api/v1/templates', {
            code: 'bad_en', title: 'x', bodies: { ar: 'تمام', en: 'Hi {{customer.nickname}}' },
        }), 422, { field: 'bodies.en' });
        expectError(await supervisor.post('/api/v1/templates', {
            code: 'bad_variant', title: 'x', bodies: { ar: 'a', en: 'b' }, variants: { x: '{{secret}}' },
        }), 422, { field: 'variants.x' });
        expectError(await agent.get('/api/v1/templates/bad_ar'), 404);
        expectError(await agent.get('/api/v1/templates/bad_en'), 404);
    });

    test('template validation: both languages required, code format, duplicate code', async () => {
        expectError(await supervisor.post('/api/v1/templates', { code: 'only_ar', title: 'x', bodies: { ar: 'نص' } }), 422,
            { field: 'bodies.en' });
        expectError(await supervisor.post('/api/v1/templates', { code: 'Bad Code!', title: 'x', bodies: { ar: 'a', en: 'b' } }), 422,
            { field: 'code' });
        expectError(await supervisor.post('/api/v1/templates', { title: 'x', bodies: { ar: 'a', en: 'b' } }), 422,
            { field: 'code' });
        expectError(await supervisor.post('/api/v1/templates', { code: 'unclosed', title: 'x', bodies: { ar: '{{customer.name', en: 'b' } }),
            422);
        await ok(supervisor.post('/api/v1/templates', bodiesOf('twice')), 201);
        expectError(await supervisor.post('/api/v1/templates', bodiesOf('twice')), 409, { field: 'code' });
    });

    test('a draft template cannot be sent → 409; nothing is added to the conversation', async () => {
        await ok(supervisor.post('/api/v1/templates', bodiesOf('draft_only')), 201);
        const k = await newConversation();
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'draft_only' }),
            409, { field: 'template' });
        assert.deepEqual(await messagesOf(k.conversation_id), []);
        assert.equal((await ok(agent.get('/api/v1/templates/draft_only'))).uses, 0);
    });

    test('approve: agent → 403, service owner → 403, supervisor → 200 approved', async () => {
        await ok(owner.post('/api/v1/templates', bodiesOf('to_approve')), 201);
        expectError(await agent.post('/api/v1/templates/to_approve/approve'), 403);
        expectError(await owner.post('/api/v1/templates/to_approve/approve'), 403);
        assert.equal((await ok(agent.get('/api/v1/templates/to_approve'))).state, 'draft');
        const t = await ok(supervisor.post('/api/v1/templates/to_approve/approve'));
        assert.equal(t.state, 'approved');
        assert.equal(t.approved_by, supervisor.user.id);
        expectIsoTime(t.approved_at, 'approved_at');
        expectError(await supervisor.post('/api/v1/templates/no_such_template/approve'), 404);
    });

    test('a reply with an approved template renders the values (Arabic by default, English on request); uses are counted', async () => {
        await approved('rendered');
        // Phone has no deliverer yet: the reply stays queued (the email one may fail at once,
        // as this customer has no address).
        const k = await newConversation({ name: 'ريم الدوسري', channel: 'phone' });
        let r = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'rendered' }), 201);
        let sent = r.timeline.find((t) => t.id === r.message_id);
        assert.equal(sent.type, 'message');
        assert.equal(sent.kind, 'reply');
        assert.equal(sent.template, 'rendered');
        assert.equal(sent.body, `مرحباً ريم الدوسري، رقم طلبك ${k.conversation_number}`);
        assert.equal(sent.delivery, 'queued');
        expectIsoTime(r.first_response_at, 'first_response_at');

        r = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'rendered', lang: 'en' }), 201);
        sent = r.timeline.find((t) => t.id === r.message_id);
        assert.equal(sent.body, `Hello ريم الدوسري, your request number is ${k.conversation_number}`);

        assert.equal((await ok(agent.get('/api/v1/templates/rendered'))).uses, 2);
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'rendered', lang: 'fr' }),
            422, { field: 'lang' });
        assert.equal((await ok(agent.get('/api/v1/templates/rendered'))).uses, 2);
    });

    test('{{agent.name}} is the replying agent; values are not HTML-escaped', async () => {
        await approved('signed', { title: 'Signed', bodies: { ar: 'مع تحيات {{agent.name}}', en: 'Regards, {{agent.name}} <{{customer.name}}>' } });
        const k = await newConversation({ name: 'A & B <Co>' });
        const r = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'signed', lang: 'en' }), 201);
        const sent = r.timeline.find((t) => t.id === r.message_id);
        assert.equal(sent.body, `Regards, ${server.users.agent.name} <A & B <Co>>`);
    });

    test('editing an approved template returns it to draft (not sendable until approved again)', async () => {
        await approved('edited');
        const k = await newConversation();
        await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'edited' }), 201);
        const e = await ok(supervisor.patch('/api/v1/templates/edited', { bodies: { ar: 'نص جديد {{conversation.number}}', en: 'New {{conversation.number}}' } }));
        assert.equal(e.state, 'draft');
        assert.equal(e.approved_at, null);
        assert.equal(e.uses, 1, 'uses survive an edit');
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'edited' }), 409);
        await ok(supervisor.post('/api/v1/templates/edited/approve'));
        const r = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'edited' }), 201);
        assert.equal(r.timeline.find((t) => t.id === r.message_id).body, `نص جديد ${k.conversation_number}`);
        // A title-only edit needs approval again as well.
        assert.equal((await ok(supervisor.patch('/api/v1/templates/edited', { title: 'Renamed' }))).state, 'draft');
        expectError(await supervisor.patch('/api/v1/templates/edited', { code: 'other' }), 422, { field: 'code' });
        expectError(await supervisor.patch('/api/v1/templates/edited', { state: 'approved' }), 422, { field: 'state' });
    });

    test('a placeholder without a value (a customer with no name) → 422, never an empty hole', async () => {
        await approved('needs_name');
        const k = await newConversation({ name: null });
        const c = await ok(agent.get(`/api/v1/conversations/${k.conversation_id}`));
        assert.equal(c.customer.name, '', 'the customer has no name');
        const r = await agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'needs_name' });
        expectError(r, 422, { field: 'template' });
        assert.deepEqual(await messagesOf(k.conversation_id), [], 'a message was stored anyway');
        assert.equal((await ok(agent.get('/api/v1/templates/needs_name'))).uses, 0);
        // A template that does not need the name can be sent to the same customer.
        await approved('number_only', { title: 'N', bodies: { ar: 'رقم طلبك {{conversation.number}}', en: 'Number {{conversation.number}}' } });
        const ok2 = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'number_only' }), 201);
        assert.equal(ok2.timeline.find((t) => t.id === ok2.message_id).body, `رقم طلبك ${k.conversation_number}`);
    });

    test('an unknown template → 422 naming template', async () => {
        const k = await newConversation();
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'no_such_template' }),
            422, { field: 'template' });
    });

    test('the X variant is used on the X channel', async () => {
        await approved('with_variant', {
            title: 'V', bodies: { ar: 'نص طويل {{conversation.number}}', en: 'Long text {{conversation.number}}' },
            variants: { x: 'قصير {{conversation.number}}' },
        });
        const onX = await newConversation({ channel: 'x' });
        let r = await ok(agent.post(`/api/v1/conversations/${onX.conversation_id}/messages`, { kind: 'reply', template: 'with_variant' }), 201);
        assert.equal(r.timeline.find((t) => t.id === r.message_id).body, `قصير ${onX.conversation_number}`);
        const onEmail = await newConversation({ channel: 'email' });
        r = await ok(agent.post(`/api/v1/conversations/${onEmail.conversation_id}/messages`, { kind: 'reply', template: 'with_variant' }), 201);
        assert.equal(r.timeline.find((t) => t.id === r.message_id).body, `نص طويل ${onEmail.conversation_number}`);
    });

    test('a retired template cannot be approved (409) nor sent (409)', async () => {
        await approved('retiring');
        const t = await ok(supervisor.patch('/api/v1/templates/retiring', { state: 'retired' }));
        assert.equal(t.state, 'retired');
        expectError(await supervisor.post('/api/v1/templates/retiring/approve'), 409);
        const k = await newConversation();
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', template: 'retiring' }), 409);
    });

    test('a contact outside business hours gets the approved after-hours template as an automatic reply', async () => {
        // Before approval: no automatic reply.
        await ok(supervisor.post('/api/v1/templates', {
            code: 'after_hours', title: 'After hours',
            bodies: { ar: 'شكراً {{customer.name}}، استلمنا طلبك {{conversation.number}} وسنرد في أوقات الدوام', en: 'Thanks {{customer.name}}' },
        }), 201);
        // On the phone channel, which has no deliverer yet, the reply stays queued (on email the
        // deliverer may already have failed it: these customers have no address).
        const early = await newConversation({ name: 'هند', channel: 'phone', at: '2026-03-01T22:00:00+03:00' });
        assert.deepEqual(await messagesOf(early.conversation_id), []);

        await ok(supervisor.post('/api/v1/templates/after_hours/approve'));
        const night = await newConversation({ name: 'هند', channel: 'phone', at: '2026-03-01T23:30:00+03:00' });
        const auto = await messagesOf(night.conversation_id);
        assert.equal(auto.length, 1, JSON.stringify(auto));
        assert.equal(auto[0].kind, 'auto_reply');
        assert.equal(auto[0].template, 'after_hours');
        assert.equal(auto[0].body, `شكراً هند، استلمنا طلبك ${night.conversation_number} وسنرد في أوقات الدوام`);
        assert.equal(auto[0].delivery, 'queued');
        const c = await ok(agent.get(`/api/v1/conversations/${night.conversation_id}`));
        assert.equal(c.first_response_at, null, 'an automatic reply is not the first response');

        // Inside business hours: none.
        const day = await newConversation({ name: 'هند', at: '2026-03-01T12:00:00+03:00' });
        assert.deepEqual(await messagesOf(day.conversation_id), []);
        await ok(supervisor.patch('/api/v1/templates/after_hours', { state: 'retired' }));
    });
});
