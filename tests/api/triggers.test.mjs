// Triggers (admin): the definition validated on save, CRUD in position order with audit, and what a
// run really does to a conversation — every action type, every condition field, order, disabled
// triggers, the loop guard, and the role check.
//
// Triggers apply to every conversation of the server, so each test works on a service line of its
// own and scopes its triggers to it with a `service_line is …` condition.
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

let lineSeq = 0;
// A fresh service line; returns its code.
async function newLine(admin, prefix = 'trg') {
    lineSeq += 1;
    const code = `${prefix}_${lineSeq}`;
    await ok(admin.post('/api/v1/service-lines', { code, name_ar: `خدمة ${lineSeq}`, name_en: `Line ${lineSeq}` }), 201);
    return code;
}

const onLine = (line) => ({ field: 'service_line', op: 'is', value: line });

async function createTrigger(admin, body) {
    return ok(admin.post('/api/v1/triggers', body), 201);
}

// A contact from a new customer (so a new conversation); returns the intake result.
async function contact(client, line, { channel = 'phone', subject = 'استفسار', body = 'السلام عليكم', phone } = {}) {
    const customer = { name: 'عميل الاختبار', phones: [phone ?? newPhone()] };
    if (channel === 'email') {
        customer.emails = [`c${phoneSeq}@example.com`];
    }
    return ok(client.post('/api/v1/contacts', { channel, customer, service_line: line, subject, body }), 201);
}

async function conversation(client, id) {
    return ok(client.get(`/api/v1/conversations/${id}`));
}

const firings = (conv) => conv.timeline.filter((t) => t.type === 'trigger');

// ---- tests -----------------------------------------------------------------------------------

describe(`triggers [${backend}]`, () => {
    let server;
    let admin;
    let supervisor;
    let agent;
    let dept;

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        supervisor = await server.login('supervisor');
        agent = await server.login('agent');
        dept = 'trg_legal';
        await ok(admin.post('/api/v1/departments', { code: dept, name_ar: 'الشؤون القانونية', name_en: 'Legal' }), 201);
    });

    after(async () => {
        await server?.stop();
    });

    describe('definitions', () => {
        test('create → 201 with the stored shape; GET returns it; defaults position and enabled', async () => {
            const line = await newLine(admin);
            const t = await createTrigger(admin, {
                name: 'أولوية عالية للإعفاءات',
                event: 'conversation.created',
                conditions: { all: [onLine(line)] },
                actions: [{ type: 'set_priority', priority: 'high' }],
            });
            assert.equal(typeof t.id, 'number');
            assert.equal(t.name, 'أولوية عالية للإعفاءات');
            assert.equal(t.event, 'conversation.created');
            assert.equal(t.enabled, true);
            assert.equal(typeof t.position, 'number');
            assert.deepEqual(t.conditions, { all: [onLine(line)], any: [] });
            assert.deepEqual(t.actions, [{ type: 'set_priority', priority: 'high' }]);
            expectIsoTime(t.created_at, 'created_at');
            expectIsoTime(t.updated_at, 'updated_at');
            assert.deepEqual(await ok(admin.get(`/api/v1/triggers/${t.id}`)), t);

            const next = await createTrigger(admin, {
                name: 'after it', event: 'contact.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'x' }],
            });
            assert.ok(next.position > t.position, `a trigger without position goes last: ${JSON.stringify([t, next])}`);
        });

        test('GET /api/v1/triggers lists by position, then id', async () => {
            const line = await newLine(admin);
            const base = { event: 'contact.created', conditions: { all: [onLine(line)] }, actions: [{ type: 'add_tag', tag: 'o' }] };
            const c = await createTrigger(admin, { ...base, name: 'c', position: 900002 });
            const a = await createTrigger(admin, { ...base, name: 'a', position: 900000 });
            const b1 = await createTrigger(admin, { ...base, name: 'b1', position: 900001 });
            const b2 = await createTrigger(admin, { ...base, name: 'b2', position: 900001 });
            const list = await ok(admin.get('/api/v1/triggers'));
            assert.ok(Array.isArray(list.items), JSON.stringify(list));
            assert.equal(list.next_cursor, null);
            const positions = list.items.map((x) => x.position);
            assert.deepEqual(positions, [...positions].sort((x, y) => x - y), 'not ordered by position');
            const mine = list.items.filter((x) => [a.id, b1.id, b2.id, c.id].includes(x.id)).map((x) => x.id);
            assert.deepEqual(mine, [a.id, b1.id, b2.id, c.id]);
        });

        test('PATCH changes only what it names, re-validates, and DELETE removes (204, then 404)', async () => {
            const line = await newLine(admin);
            const t = await createTrigger(admin, {
                name: 'to change', event: 'contact.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'one' }],
            });
            const p = await ok(admin.patch(`/api/v1/triggers/${t.id}`, { name: 'changed', position: 5, enabled: false }));
            assert.equal(p.name, 'changed');
            assert.equal(p.position, 5);
            assert.equal(p.enabled, false);
            assert.deepEqual(p.actions, t.actions);
            assert.deepEqual(p.conditions, t.conditions);

            const bad = await admin.patch(`/api/v1/triggers/${t.id}`, { actions: [{ type: 'set_priority', priority: 'sky-high' }] });
            expectError(bad, 422, { field: 'actions[0].priority' });
            assert.deepEqual((await ok(admin.get(`/api/v1/triggers/${t.id}`))).actions, t.actions, 'a refused PATCH changed the trigger');

            const r = await admin.del(`/api/v1/triggers/${t.id}`);
            expectStatus(r, 204);
            expectError(await admin.get(`/api/v1/triggers/${t.id}`), 404);
            expectError(await admin.patch(`/api/v1/triggers/${t.id}`, { name: 'x' }), 404);
            expectError(await admin.del(`/api/v1/triggers/${t.id}`), 404);
            expectError(await admin.get('/api/v1/triggers/999999'), 404);
        });

        test('create, update and delete are audited', async () => {
            const line = await newLine(admin);
            const t = await createTrigger(admin, {
                name: 'audited', event: 'contact.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'a' }],
            });
            await ok(admin.patch(`/api/v1/triggers/${t.id}`, { name: 'audited 2' }));
            expectStatus(await admin.del(`/api/v1/triggers/${t.id}`), 204);
            // Newest first. (SQLite may give a deleted trigger's id to the next one, so older rows
            // about the same id can exist: look at the three newest.)
            const rows = (await ok(admin.get(`/api/v1/audit?object_type=trigger&object_id=${t.id}`))).items.slice(0, 3);
            assert.deepEqual(rows.map((x) => x.action), ['trigger.delete', 'trigger.update', 'trigger.create'], JSON.stringify(rows));
            assert.deepEqual(rows.map((x) => x.detail.name), ['audited 2', 'audited 2', 'audited']);
            for (const row of rows) {
                assert.equal(row.actor_id, admin.user.id, JSON.stringify(row));
            }
        });

        test('a non-admin may not list, read, create, change or delete triggers (403)', async () => {
            const line = await newLine(admin);
            const t = await createTrigger(admin, {
                name: 'admins only', event: 'contact.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'a' }],
            });
            const body = { name: 'x', event: 'contact.created', actions: [{ type: 'add_tag', tag: 'a' }] };
            for (const who of [supervisor, agent, await server.login('department_staff')]) {
                expectError(await who.get('/api/v1/triggers'), 403);
                expectError(await who.get(`/api/v1/triggers/${t.id}`), 403);
                expectError(await who.post('/api/v1/triggers', body), 403);
                expectError(await who.patch(`/api/v1/triggers/${t.id}`, { name: 'y' }), 403);
                expectError(await who.del(`/api/v1/triggers/${t.id}`), 403);
            }
            expectError(await server.client().get('/api/v1/triggers'), 401);
            assert.equal((await ok(admin.get(`/api/v1/triggers/${t.id}`))).name, 'admins only');
        });
    });

    describe('validation on save: 422 naming the bad part', () => {
        let line;
        let draft;
        const good = () => ({ name: 'v', event: 'contact.created', conditions: { all: [onLine(line)] }, actions: [{ type: 'add_tag', tag: 'ok' }] });

        before(async () => {
            line = await newLine(admin);
            draft = 'trg_draft_only';
            await ok(supervisor.post('/api/v1/templates', { code: draft, title: 'draft', bodies: { ar: 'نص', en: 'text' } }), 201);
        });

        const cases = [
            ['unknown event', (b) => ({ ...b, event: 'ticket.created' }), 'event'],
            ['no actions', (b) => ({ ...b, actions: [] }), 'actions'],
            ['unknown action type', (b) => ({ ...b, actions: [{ type: 'delete_everything' }] }), 'actions[0].type'],
            ['action without type', (b) => ({ ...b, actions: [{ tag: 'x' }] }), 'actions[0].type'],
            ['action missing its value', (b) => ({ ...b, actions: [{ type: 'set_priority' }] }), 'actions[0].priority'],
            ['bad priority', (b) => ({ ...b, actions: [{ type: 'set_priority', priority: 'asap' }] }), 'actions[0].priority'],
            ['unknown key in an action', (b) => ({ ...b, actions: [{ type: 'add_tag', tag: 'x', colour: 'red' }] }), 'actions[0].colour'],
            ['empty tag', (b) => ({ ...b, actions: [{ type: 'add_tag', tag: '' }] }), 'actions[0].tag'],
            ['unknown template', (b) => ({ ...b, actions: [{ type: 'send_template', template: 'no_such_tpl' }] }), 'actions[0].template'],
            ['bad template language', (b) => ({ ...b, actions: [{ type: 'send_template', template: draft, lang: 'fr' }] }), 'actions[0].lang'],
            ['unknown department', (b) => ({ ...b, actions: [{ type: 'escalate', department: 'nowhere' }] }), 'actions[0].department'],
            ['unknown service line (queue)', (b) => ({ ...b, actions: [{ type: 'assign_queue', service_line: 'nowhere' }] }), 'actions[0].service_line'],
            ['unknown user', (b) => ({ ...b, actions: [{ type: 'add_tag', tag: 'x' }, { type: 'assign_agent', user_id: 999999 }] }), 'actions[1].user_id'],
            ['user id not a number', (b) => ({ ...b, actions: [{ type: 'assign_agent', user_id: 'me' }] }), 'actions[0].user_id'],
            ['unknown condition field', (b) => ({ ...b, conditions: { all: [{ field: 'colour', op: 'is', value: 'red' }] } }), 'conditions.all[0].field'],
            ['unknown op', (b) => ({ ...b, conditions: { all: [{ field: 'channel', op: 'like', value: 'phone' }] } }), 'conditions.all[0].op'],
            ['op that does not fit the field', (b) => ({ ...b, conditions: { all: [{ field: 'channel', op: 'contains', value: 'ph' }] } }), 'conditions.all[0].op'],
            ['missing value', (b) => ({ ...b, conditions: { any: [{ field: 'priority', op: 'is' }] } }), 'conditions.any[0].value'],
            ['unknown channel', (b) => ({ ...b, conditions: { all: [onLine(line), { field: 'channel', op: 'is', value: 'fax' }] } }), 'conditions.all[1].value'],
            ['unknown service line in a list', (b) => ({ ...b, conditions: { all: [{ field: 'service_line', op: 'in', value: [line, 'nowhere'] }] } }), 'conditions.all[0].value[1]'],
            ['in without a list', (b) => ({ ...b, conditions: { all: [{ field: 'priority', op: 'in', value: 'high' }] } }), 'conditions.all[0].value'],
            ['boolean field with a string', (b) => ({ ...b, conditions: { all: [{ field: 'customer_verified', op: 'is', value: 'yes' }] } }), 'conditions.all[0].value'],
            ['text with nothing to look for', (b) => ({ ...b, conditions: { all: [{ field: 'text', op: 'contains', value: '؟!' }] } }), 'conditions.all[0].value'],
            ['unknown key in a condition', (b) => ({ ...b, conditions: { all: [{ ...onLine(line), extra: 1 }] } }), 'conditions.all[0].extra'],
            ['unknown list in conditions', (b) => ({ ...b, conditions: { none: [] } }), 'conditions.none'],
            ['conditions.all not a list', (b) => ({ ...b, conditions: { all: onLine(line) } }), 'conditions.all'],
            ['condition not an object', (b) => ({ ...b, conditions: { all: ['channel is phone'] } }), 'conditions.all[0]'],
            ['position out of range', (b) => ({ ...b, position: -1 }), 'position'],
        ];
        for (const [what, make, field] of cases) {
            test(`${what} → 422 field ${field}`, async () => {
                expectError(await admin.post('/api/v1/triggers', make(good())), 422, { field });
            });
        }

        test('missing name, event or actions → 422 naming it; unknown top-level field or wrong type → 400', async () => {
            for (const key of ['name', 'event', 'actions']) {
                const b = good();
                delete b[key];
                expectError(await admin.post('/api/v1/triggers', b), 422, { field: key });
            }
            expectError(await admin.post('/api/v1/triggers', { ...good(), colour: 'red' }), 400, { code: 'unknown_field', field: 'colour' });
            expectError(await admin.post('/api/v1/triggers', { ...good(), actions: {} }), 400, { field: 'actions' });
        });

        test('a good definition is accepted; nothing of the refused ones was stored', async () => {
            await createTrigger(admin, good());
            const list = (await ok(admin.get('/api/v1/triggers'))).items;
            assert.equal(list.filter((t) => t.name === 'v').length, 1, JSON.stringify(list));
        });
    });

    describe('actions', () => {
        test('set_priority, add_tag, and the firing on the timeline', async () => {
            const line = await newLine(admin);
            const t = await createTrigger(admin, {
                name: 'urgent + vip', event: 'conversation.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'set_priority', priority: 'urgent' }, { type: 'add_tag', tag: 'vip' }, { type: 'add_tag', tag: 'عاجل' }],
            });
            const r = await contact(agent, line);
            const conv = await conversation(admin, r.conversation_id);
            assert.equal(conv.priority, 'urgent');
            assert.deepEqual(conv.tags, ['vip', 'عاجل']);
            const f = firings(conv);
            assert.equal(f.length, 1, JSON.stringify(conv.timeline));
            assert.equal(f[0].trigger_id, t.id);
            assert.equal(f[0].name, 'urgent + vip');
            assert.deepEqual(f[0].actions, t.actions);
            assert.ok(conv.timeline.some((x) => x.type === 'priority' && x.to === 'urgent'), JSON.stringify(conv.timeline));
        });

        test('assign_agent', async () => {
            const line = await newLine(admin);
            const { user } = await createUser(admin, { roles: ['agent'], name: 'وكيل المحفزات' });
            await createTrigger(admin, {
                name: 'to the specialist', event: 'conversation.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'assign_agent', user_id: user.id }],
            });
            const conv = await conversation(admin, (await contact(agent, line)).conversation_id);
            assert.equal(conv.assignee_id, user.id);
            assert.ok(conv.timeline.some((x) => x.type === 'assignment' && x.to === user.id), JSON.stringify(conv.timeline));
        });

        test('assign_queue moves the conversation to the queue, whose policy then assigns it', async () => {
            const from = await newLine(admin);
            const to = await newLine(admin);
            const { user, email, password } = await createUser(admin, { roles: ['agent'] });
            await ok(admin.patch(`/api/v1/users/${user.id}`, { skills: [to] }));
            await ok(admin.post('/api/v1/queues', { service_line: to, policy: 'round_robin' }), 201);
            const specialist = server.client();
            expectStatus(await specialist.login(email, password), 200);
            await ok(specialist.patch('/api/v1/me', { availability: 'online' }));
            await createTrigger(admin, {
                name: 'refunds queue', event: 'contact.created', conditions: { all: [onLine(from)] },
                actions: [{ type: 'assign_queue', service_line: to }],
            });
            const conv = await conversation(admin, (await contact(agent, from)).conversation_id);
            assert.equal(conv.service_line, to);
            assert.equal(conv.assignee_id, user.id);
        });

        test('send_template sends the approved template, rendered, as an automatic reply', async () => {
            const line = await newLine(admin);
            const code = 'trg_ack';
            await ok(supervisor.post('/api/v1/templates', {
                code, title: 'إشعار الاستلام',
                bodies: { ar: 'شكراً {{customer.name}}، رقم طلبك {{conversation.number}}', en: 'Thanks {{customer.name}}, case {{conversation.number}}' },
            }), 201);
            await ok(supervisor.post(`/api/v1/templates/${code}/approve`));
            await createTrigger(admin, {
                name: 'acknowledge', event: 'conversation.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'send_template', template: code }],
            });
            const r = await contact(agent, line);
            const conv = await conversation(admin, r.conversation_id);
            const sent = conv.timeline.filter((x) => x.type === 'message' && x.template === code);
            assert.equal(sent.length, 1, JSON.stringify(conv.timeline));
            assert.equal(sent[0].body, `شكراً عميل الاختبار، رقم طلبك ${r.conversation_number}`);
            assert.equal(sent[0].channel, 'phone');
            assert.equal(sent[0].delivery, 'queued');

            const en = await createTrigger(admin, {
                name: 'acknowledge en', event: 'conversation.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'send_template', template: code, lang: 'en' }],
            });
            const r2 = await contact(agent, line);
            const conv2 = await conversation(admin, r2.conversation_id);
            const bodies = conv2.timeline.filter((x) => x.template === code).map((x) => x.body);
            assert.ok(bodies.includes(`Thanks عميل الاختبار, case ${r2.conversation_number}`), JSON.stringify(bodies));
            await ok(admin.patch(`/api/v1/triggers/${en.id}`, { enabled: false }));
        });

        test('a template that is not approved is skipped, named in the firing, and the contact is stored', async () => {
            const line = await newLine(admin);
            const code = 'trg_unapproved';
            await ok(supervisor.post('/api/v1/templates', { code, title: 'not yet', bodies: { ar: 'نص', en: 'text' } }), 201);
            await createTrigger(admin, {
                name: 'too early', event: 'conversation.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'send_template', template: code }, { type: 'add_tag', tag: 'after-skip' }],
            });
            const conv = await conversation(admin, (await contact(agent, line)).conversation_id);
            assert.equal(conv.timeline.filter((x) => x.template === code).length, 0, JSON.stringify(conv.timeline));
            const f = firings(conv);
            assert.equal(f.length, 1);
            assert.equal(typeof f[0].actions[0].skipped, 'string', JSON.stringify(f[0]));
            assert.equal(f[0].actions[1].skipped, undefined);
            assert.deepEqual(conv.tags, ['after-skip']);
        });

        test('escalate opens a department ticket with the note', async () => {
            const line = await newLine(admin);
            await createTrigger(admin, {
                name: 'legal review', event: 'conversation.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'escalate', department: dept, note: 'مراجعة قانونية' }],
            });
            const r = await contact(agent, line);
            const conv = await conversation(admin, r.conversation_id);
            const esc = conv.timeline.filter((x) => x.type === 'escalation');
            assert.equal(esc.length, 1, JSON.stringify(conv.timeline));
            assert.equal(esc[0].department, dept);
            assert.equal(esc[0].note, 'مراجعة قانونية');
            const list = (await ok(admin.get('/api/v1/escalations?status=open&limit=200'))).items;
            assert.ok(list.some((x) => x.conversation_id === r.conversation_id && x.department === dept), JSON.stringify(list));
        });
    });

    describe('conditions', () => {
        test('channel is / in', async () => {
            const line = await newLine(admin);
            await createTrigger(admin, {
                name: 'written', event: 'contact.created',
                conditions: { all: [onLine(line), { field: 'channel', op: 'in', value: ['email', 'x'] }] },
                actions: [{ type: 'add_tag', tag: 'written' }],
            });
            await createTrigger(admin, {
                name: 'not phone', event: 'contact.created',
                conditions: { all: [onLine(line), { field: 'channel', op: 'is_not', value: 'phone' }] },
                actions: [{ type: 'add_tag', tag: 'not-phone' }],
            });
            const phone = await conversation(admin, (await contact(agent, line, { channel: 'phone' })).conversation_id);
            const mail = await conversation(admin, (await contact(agent, line, { channel: 'email' })).conversation_id);
            assert.deepEqual(phone.tags, []);
            assert.deepEqual(mail.tags, ['written', 'not-phone']);
        });

        test('service line is / is_not', async () => {
            const line = await newLine(admin);
            const other = await newLine(admin);
            await createTrigger(admin, {
                name: 'line only', event: 'contact.created',
                conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'line' }],
            });
            await createTrigger(admin, {
                name: 'other than line', event: 'contact.created',
                conditions: { all: [{ field: 'service_line', op: 'in', value: [line, other] }, { field: 'service_line', op: 'is_not', value: line }] },
                actions: [{ type: 'add_tag', tag: 'other' }],
            });
            assert.deepEqual((await conversation(admin, (await contact(agent, line)).conversation_id)).tags, ['line']);
            assert.deepEqual((await conversation(admin, (await contact(agent, other)).conversation_id)).tags, ['other']);
        });

        test('text contains matches Arabic across hamza and taa marbuta forms, in subject or body', async () => {
            const line = await newLine(admin);
            await createTrigger(admin, {
                name: 'private schools', event: 'contact.created',
                conditions: { all: [onLine(line), { field: 'text', op: 'contains', value: 'مدرسة أهلية' }] },
                actions: [{ type: 'add_tag', tag: 'schools' }],
            });
            const body = await conversation(admin, (await contact(agent, line, { subject: 'طلب', body: 'أرغب في إعفاء مدرسه اهليه من الرسوم' })).conversation_id);
            const subject = await conversation(admin, (await contact(agent, line, { subject: 'بخصوص مدرسة اهلية', body: 'تفاصيل' })).conversation_id);
            const none = await conversation(admin, (await contact(agent, line, { subject: 'طلب', body: 'مدرسة حكومية' })).conversation_id);
            assert.deepEqual(body.tags, ['schools']);
            assert.deepEqual(subject.tags, ['schools']);
            assert.deepEqual(none.tags, []);
        });

        test('priority, after an earlier trigger set it', async () => {
            const line = await newLine(admin);
            await createTrigger(admin, {
                name: 'raise', event: 'contact.created', position: 1,
                conditions: { all: [onLine(line), { field: 'text', op: 'contains', value: 'عاجل' }] },
                actions: [{ type: 'set_priority', priority: 'high' }],
            });
            await createTrigger(admin, {
                name: 'high seen', event: 'contact.created', position: 2,
                conditions: { all: [onLine(line), { field: 'priority', op: 'is', value: 'high' }] },
                actions: [{ type: 'add_tag', tag: 'high' }],
            });
            await createTrigger(admin, {
                name: 'normal seen', event: 'contact.created', position: 3,
                conditions: { all: [onLine(line), { field: 'priority', op: 'in', value: ['low', 'normal'] }] },
                actions: [{ type: 'add_tag', tag: 'normal' }],
            });
            const hot = await conversation(admin, (await contact(agent, line, { body: 'طلب عاجل جدا' })).conversation_id);
            const calm = await conversation(admin, (await contact(agent, line, { body: 'طلب عادي' })).conversation_id);
            assert.equal(hot.priority, 'high');
            assert.deepEqual(hot.tags, ['high']);
            assert.equal(calm.priority, 'normal');
            assert.deepEqual(calm.tags, ['normal']);
        });

        test('customer_verified', async () => {
            const line = await newLine(admin);
            for (const v of [true, false]) {
                await createTrigger(admin, {
                    name: `verified ${v}`, event: 'contact.created',
                    conditions: { all: [onLine(line), { field: 'customer_verified', op: 'is', value: v }] },
                    actions: [{ type: 'add_tag', tag: `verified-${v}` }],
                });
            }
            const phone = newPhone();
            const first = await contact(agent, line, { phone });
            assert.deepEqual((await conversation(admin, first.conversation_id)).tags, ['verified-false']);
            server.sql(`UPDATE customers SET verified = 1 WHERE id = ${Number(first.customer_id)}`);
            const second = await contact(agent, line, { phone });
            assert.equal(second.conversation_id, first.conversation_id, 'the second contact should join');
            assert.deepEqual((await conversation(admin, first.conversation_id)).tags, ['verified-false', 'verified-true']);
        });

        test('business_hours (default calendar: every day 08:00–20:00 Asia/Riyadh)', async () => {
            const line = await newLine(admin);
            await createTrigger(admin, {
                name: 'in hours', event: 'contact.created',
                conditions: { all: [onLine(line), { field: 'business_hours', op: 'is', value: true }] },
                actions: [{ type: 'add_tag', tag: 'in-hours' }],
            });
            await createTrigger(admin, {
                name: 'after hours', event: 'contact.created',
                conditions: { all: [onLine(line), { field: 'business_hours', op: 'is_not', value: true }] },
                actions: [{ type: 'add_tag', tag: 'after-hours' }],
            });
            const before = Date.now();
            const conv = await conversation(admin, (await contact(agent, line)).conversation_id);
            const after = Date.now();
            assert.equal(conv.tags.length, 1, JSON.stringify(conv.tags));
            const riyadhMinute = (ms) => Math.floor((ms / 60000 + 180) % 1440);
            const [m1, m2] = [riyadhMinute(before), riyadhMinute(after)];
            if ((m1 >= 480 && m1 < 1200) === (m2 >= 480 && m2 < 1200)) {
                assert.deepEqual(conv.tags, [m1 >= 480 && m1 < 1200 ? 'in-hours' : 'after-hours']);
            }
        });

        test('"any" needs one of its conditions; "all" and "any" together', async () => {
            const line = await newLine(admin);
            await createTrigger(admin, {
                name: 'any', event: 'contact.created',
                conditions: {
                    all: [onLine(line)],
                    any: [{ field: 'text', op: 'contains', value: 'شكوى' }, { field: 'channel', op: 'is', value: 'email' }],
                },
                actions: [{ type: 'add_tag', tag: 'any' }],
            });
            const tags = async (opts) => (await conversation(admin, (await contact(agent, line, opts)).conversation_id)).tags;
            assert.deepEqual(await tags({ body: 'لدي شكوى' }), ['any']);
            assert.deepEqual(await tags({ channel: 'email', body: 'سؤال' }), ['any']);
            assert.deepEqual(await tags({ body: 'سؤال' }), []);
        });

        test('status, on conversation.updated', async () => {
            const line = await newLine(admin);
            await createTrigger(admin, {
                name: 'waiting', event: 'conversation.updated',
                conditions: { all: [onLine(line), { field: 'status', op: 'is', value: 'pending' }] },
                actions: [{ type: 'add_tag', tag: 'waiting-on-customer' }],
            });
            const r = await contact(agent, line);
            assert.deepEqual((await conversation(admin, r.conversation_id)).tags, []);
            await ok(agent.patch(`/api/v1/conversations/${r.conversation_id}`, { priority: 'low' }));
            assert.deepEqual((await conversation(admin, r.conversation_id)).tags, []);
            const c = await ok(agent.patch(`/api/v1/conversations/${r.conversation_id}`, { status: 'pending' }));
            assert.deepEqual(c.tags, ['waiting-on-customer'], 'the PATCH answer shows what the trigger did');
        });
    });

    describe('events, order and guards', () => {
        test('conversation.created fires once per conversation, contact.created once per contact', async () => {
            const line = await newLine(admin);
            const created = await createTrigger(admin, {
                name: 'new', event: 'conversation.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'new' }],
            });
            const each = await createTrigger(admin, {
                name: 'each contact', event: 'contact.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'contact' }],
            });
            const phone = newPhone();
            const a = await contact(agent, line, { phone });
            const b = await contact(agent, line, { phone, channel: 'email' });
            assert.equal(b.joined, true);
            const conv = await conversation(admin, a.conversation_id);
            const f = firings(conv);
            assert.equal(f.filter((x) => x.trigger_id === created.id).length, 1, JSON.stringify(f));
            assert.equal(f.filter((x) => x.trigger_id === each.id).length, 2, JSON.stringify(f));
            assert.deepEqual(conv.tags, ['new', 'contact']);
        });

        test('triggers run in position order; PATCHing positions changes the outcome', async () => {
            const line = await newLine(admin);
            const low = await createTrigger(admin, {
                name: 'low', event: 'contact.created', position: 10, conditions: { all: [onLine(line)] },
                actions: [{ type: 'set_priority', priority: 'low' }],
            });
            const high = await createTrigger(admin, {
                name: 'high', event: 'contact.created', position: 20, conditions: { all: [onLine(line)] },
                actions: [{ type: 'set_priority', priority: 'high' }],
            });
            let conv = await conversation(admin, (await contact(agent, line)).conversation_id);
            assert.equal(conv.priority, 'high');
            assert.deepEqual(firings(conv).map((x) => x.trigger_id), [low.id, high.id]);

            await ok(admin.patch(`/api/v1/triggers/${low.id}`, { position: 30 }));
            conv = await conversation(admin, (await contact(agent, line)).conversation_id);
            assert.equal(conv.priority, 'low');
            assert.deepEqual(firings(conv).map((x) => x.trigger_id), [high.id, low.id]);
        });

        test('a disabled trigger is skipped until enabled again', async () => {
            const line = await newLine(admin);
            const t = await createTrigger(admin, {
                name: 'off', event: 'contact.created', enabled: false, conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'off' }],
            });
            assert.equal(t.enabled, false);
            let conv = await conversation(admin, (await contact(agent, line)).conversation_id);
            assert.deepEqual(conv.tags, []);
            assert.equal(firings(conv).length, 0);
            await ok(admin.patch(`/api/v1/triggers/${t.id}`, { enabled: true }));
            conv = await conversation(admin, (await contact(agent, line)).conversation_id);
            assert.deepEqual(conv.tags, ['off']);
        });

        test('loop guard: two triggers that feed each other fire once each; their changes start no update run', async () => {
            const line = await newLine(admin);
            // to_normal comes first but matches only after to_high has run: the second pass.
            const toNormal = await createTrigger(admin, {
                name: 'to normal', event: 'contact.created', position: 1,
                conditions: { all: [onLine(line), { field: 'priority', op: 'is', value: 'high' }] },
                actions: [{ type: 'set_priority', priority: 'normal' }, { type: 'add_tag', tag: 'to-normal' }],
            });
            const toHigh = await createTrigger(admin, {
                name: 'to high', event: 'contact.created', position: 2,
                conditions: { all: [onLine(line), { field: 'priority', op: 'is', value: 'normal' }] },
                actions: [{ type: 'set_priority', priority: 'high' }, { type: 'add_tag', tag: 'to-high' }],
            });
            const onUpdate = await createTrigger(admin, {
                name: 'on update', event: 'conversation.updated', conditions: { all: [onLine(line)] },
                actions: [{ type: 'add_tag', tag: 'updated' }, { type: 'set_priority', priority: 'urgent' }],
            });
            const r = await contact(agent, line);
            let conv = await conversation(admin, r.conversation_id);
            assert.deepEqual(firings(conv).map((x) => x.trigger_id), [toHigh.id, toNormal.id]);
            assert.equal(conv.priority, 'normal');
            assert.deepEqual(conv.tags, ['to-high', 'to-normal']);

            // An agent's change is an update: the update trigger fires once, and neither its own
            // changes nor the contact triggers fire again.
            conv = await ok(agent.patch(`/api/v1/conversations/${r.conversation_id}`, { status: 'pending' }));
            assert.deepEqual(firings(conv).map((x) => x.trigger_id), [toHigh.id, toNormal.id, onUpdate.id]);
            assert.equal(conv.priority, 'urgent');
            assert.deepEqual(conv.tags, ['to-high', 'to-normal', 'updated']);
        });

        test('the contact is stored with the trigger changes in one answer (no partial state)', async () => {
            const line = await newLine(admin);
            await createTrigger(admin, {
                name: 'everything', event: 'conversation.created', conditions: { all: [onLine(line)] },
                actions: [{ type: 'set_priority', priority: 'high' }, { type: 'add_tag', tag: 't' }, { type: 'escalate', department: dept }],
            });
            const r = await contact(agent, line);
            const list = await ok(admin.get(`/api/v1/conversations?service_line=${line}`));
            const item = list.items.find((x) => x.id === r.conversation_id);
            assert.ok(item, JSON.stringify(list));
            assert.equal(item.priority, 'high');
            assert.equal(item.escalated, true);
        });
    });
});
