// Conversations: the full read shape with its timeline, the status machine, assignee, priority and
// service line (recomputing the SLA), tags, list filters with Arabic-normalised text search, the
// default order by SLA due time, merging, and first-contact resolution.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser, show } from './lib/harness.mjs';
import { expectError, expectStatus, expectIsoTime } from './lib/expect.mjs';

const backend = backendName();

// ---- helpers of this file --------------------------------------------------------------------

async function ok(pending, status = 200) {
    const r = await pending;
    expectStatus(r, status);
    return r.json;
}

let phoneSeq = 5000;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

async function contact(client, body) {
    return ok(client.post('/api/v1/contacts', body), 201);
}

async function conversation(client, id) {
    return ok(client.get(`/api/v1/conversations/${id}`));
}

async function patch(client, id, body) {
    return ok(client.patch(`/api/v1/conversations/${id}`, body));
}

// The ids a list query returns, walking every page.
async function listIds(client, query) {
    const ids = [];
    let cursor = null;
    for (let i = 0; i < 100; i++) {
        const body = await ok(client.get(`/api/v1/conversations?${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`));
        assert.ok(Array.isArray(body.items), JSON.stringify(body));
        ids.push(...body.items.map((x) => x.id));
        cursor = body.next_cursor;
        if (cursor === null) {
            return ids;
        }
    }
    throw new Error('pagination never ended');
}

function sorted(a) {
    return [...a].sort((x, y) => x - y);
}

async function serviceLine(admin, code) {
    await ok(admin.post('/api/v1/service-lines', { code, name_ar: `خط ${code}`, name_en: `Line ${code}` }), 201);
    return code;
}

// ---- tests -----------------------------------------------------------------------------------

describe(`conversations [${backend}]`, () => {
    let server;
    let admin;
    let agent;
    let supervisor;
    let staff; // department_staff of DEPT
    const LINE = 'conv_main';
    const DEPT = 'conv_dept';

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        supervisor = await server.login('supervisor');
        await serviceLine(admin, LINE);
        await ok(admin.post('/api/v1/departments', { code: DEPT, name_ar: 'الشؤون القانونية', name_en: 'Legal' }), 201);
        const s = await createUser(admin, { roles: ['department_staff'], name: 'Legal Staff' });
        await ok(admin.patch(`/api/v1/users/${s.user.id}`, { departments: [DEPT] }));
        staff = await server.login({ email: s.email, password: s.password });
    });

    after(async () => {
        await server?.stop();
    });

    test('GET one: number, status, first channel, masked customer, service line, assignee, priority, tags, SLA, FCR', async () => {
        const phone = newPhone();
        const k = await contact(agent, {
            channel: 'phone', customer: { name: 'عبدالله الشمري', phones: [phone], national_id: '1234567897' },
            service_line: LINE, subject: 'استفسار', body: 'مرحبا',
        });
        await contact(agent, { channel: 'email', customer: { phones: [phone] }, service_line: LINE, body: 'بريد' });
        const c = await conversation(agent, k.conversation_id);
        assert.equal(c.id, k.conversation_id);
        assert.equal(c.number, k.conversation_number);
        assert.match(c.number, /^SND-\d{6,}$/);
        assert.equal(c.status, 'open');
        assert.equal(c.channel, 'phone');
        assert.equal(c.subject, 'استفسار');
        assert.equal(c.service_line, LINE);
        assert.equal(c.assignee_id, null);
        assert.equal(c.priority, 'normal');
        assert.deepEqual(c.tags, []);
        assert.equal(c.contacts_count, 2);
        expectIsoTime(c.first_response_due_at, 'first_response_due_at');
        expectIsoTime(c.resolution_due_at, 'resolution_due_at');
        assert.ok(Date.parse(c.resolution_due_at) > Date.parse(c.first_response_due_at));
        assert.equal(c.sla_breached, false);
        assert.equal(c.resolved_first_contact, null, 'an open conversation is not yet resolved at first contact or not');
        assert.equal(c.first_response_at, null);
        assert.equal(c.customer_id, k.customer_id);
        assert.equal(c.customer.id, k.customer_id);
        assert.equal(c.customer.name, 'عبدالله الشمري');
        assert.equal(c.customer.masked, true);
        assert.deepEqual(c.customer.phones, [`+9665*****${phone.slice(-2)}`]);
        assert.equal(c.customer.national_id, '1******897');
        assert.ok(Array.isArray(c.timeline));
        assert.deepEqual(c.timeline.map((t) => t.type), ['contact', 'message', 'contact', 'message']);
    });

    test('GET an unknown conversation → 404; a non-numeric id → 404 or 400', async () => {
        expectError(await agent.get('/api/v1/conversations/99999999'), 404);
        expectError(await agent.get('/api/v1/conversations/abc'), [400, 404]);
    });

    test('the timeline holds contact, message, status change, assignment, escalation and its reply, in order', async () => {
        const k = await contact(agent, {
            channel: 'email', customer: { name: 'Timeline', phones: [newPhone()] }, service_line: LINE, body: 'first words',
        });
        const id = k.conversation_id;
        await ok(agent.post(`/api/v1/conversations/${id}/messages`, { kind: 'reply', body: 'we are on it' }), 201);
        await ok(agent.post(`/api/v1/conversations/${id}/messages`, { kind: 'note', body: 'internal only' }), 201);
        await patch(agent, id, { status: 'pending' });
        await patch(agent, id, { assignee_id: agent.user.id });
        const esc = await ok(agent.post(`/api/v1/conversations/${id}/escalations`, { department: DEPT, note: 'please check' }), 201);
        await ok(staff.post(`/api/v1/escalations/${esc.id}/replies`, { body: 'checked: approved' }), 201);

        const c = await conversation(agent, id);
        const times = c.timeline.map((t) => Date.parse(t.at));
        for (let i = 1; i < times.length; i++) {
            assert.ok(times[i] >= times[i - 1], `timeline out of time order at ${i}: ${JSON.stringify(c.timeline)}`);
        }
        for (const t of c.timeline) {
            expectIsoTime(t.at, `${t.type}.at`);
        }
        const wanted = new Set(['contact', 'message', 'note', 'status_change', 'assignment', 'escalation', 'escalation_reply']);
        const seen = c.timeline.filter((t) => wanted.has(t.type));
        assert.deepEqual(seen.map((t) => t.type),
            ['contact', 'message', 'message', 'note', 'status_change', 'assignment', 'escalation', 'escalation_reply'],
            JSON.stringify(c.timeline));
        const [ct, inbound, reply, note, status, assign, escalation, escReply] = seen;
        assert.equal(ct.id, k.contact_id);
        assert.equal(ct.channel, 'email');
        assert.equal(inbound.kind, 'inbound');
        assert.equal(inbound.body, 'first words');
        assert.equal(reply.kind, 'reply');
        assert.equal(reply.body, 'we are on it');
        assert.equal(reply.channel, 'email', 'a reply goes out on the conversation\'s channel');
        // Queued for the email deliverer, which fails it at once: this customer has no address.
        assert.ok(['queued', 'failed'].includes(reply.delivery), reply.delivery);
        assert.equal(reply.author_id, agent.user.id);
        assert.equal(note.body, 'internal only');
        assert.equal(status.from, 'open');
        assert.equal(status.to, 'pending');
        assert.equal(status.actor_id, agent.user.id);
        assert.equal(assign.from, null);
        assert.equal(assign.to, agent.user.id);
        assert.equal(escalation.department, DEPT);
        assert.equal(escalation.note, 'please check');
        assert.equal(escReply.body, 'checked: approved');
        assert.equal(escReply.escalation_id, esc.id);
        assert.equal(escReply.author_id, staff.user.id);
    });

    test('status: open → pending → open → solved → closed; closed → open refused with 409', async () => {
        const k = await contact(agent, { channel: 'chat', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
        const id = k.conversation_id;
        for (const s of ['pending', 'open', 'solved', 'closed']) {
            const c = await patch(agent, id, { status: s });
            assert.equal(c.status, s);
        }
        const c = await conversation(agent, id);
        expectIsoTime(c.solved_at, 'solved_at');
        expectIsoTime(c.closed_at, 'closed_at');
        expectError(await agent.patch(`/api/v1/conversations/${id}`, { status: 'open' }), 409, { field: 'status' });
        expectError(await agent.patch(`/api/v1/conversations/${id}`, { status: 'pending' }), 409, { field: 'status' });
        expectError(await agent.patch(`/api/v1/conversations/${id}`, { status: 'solved' }), 409, { field: 'status' });
        assert.equal((await conversation(agent, id)).status, 'closed');
        // Replying to a closed conversation is refused too.
        expectError(await agent.post(`/api/v1/conversations/${id}/messages`, { kind: 'reply', body: 'late' }), 409);
        const changes = c.timeline.filter((t) => t.type === 'status_change').map((t) => `${t.from}>${t.to}`);
        assert.deepEqual(changes, ['open>pending', 'pending>open', 'open>solved', 'solved>closed']);
    });

    test('status: open → closed directly → 409; an unknown status → 422 naming status', async () => {
        const k = await contact(agent, { channel: 'chat', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
        expectError(await agent.patch(`/api/v1/conversations/${k.conversation_id}`, { status: 'closed' }), 409);
        expectError(await agent.patch(`/api/v1/conversations/${k.conversation_id}`, { status: 'archived' }), 422, { field: 'status' });
        assert.equal((await conversation(agent, k.conversation_id)).status, 'open');
    });

    test('assignee: set, change, unassign with 0; an unknown user → 422 naming assignee_id', async () => {
        const k = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
        const id = k.conversation_id;
        let c = await patch(agent, id, { assignee_id: agent.user.id });
        assert.equal(c.assignee_id, agent.user.id);
        c = await patch(supervisor, id, { assignee_id: supervisor.user.id });
        assert.equal(c.assignee_id, supervisor.user.id);
        c = await patch(agent, id, { assignee_id: 0 });
        assert.equal(c.assignee_id, null);
        expectError(await agent.patch(`/api/v1/conversations/${id}`, { assignee_id: 99999999 }), 422, { field: 'assignee_id' });
        const moves = c.timeline.filter((t) => t.type === 'assignment').map((t) => [t.from, t.to]);
        assert.deepEqual(moves, [[null, agent.user.id], [agent.user.id, supervisor.user.id], [supervisor.user.id, null]]);
    });

    test('priority and service line changes recompute the due times from the start', async () => {
        const r1 = await serviceLine(admin, 'conv_sla_a');
        const r2 = await serviceLine(admin, 'conv_sla_b');
        await ok(admin.post('/api/v1/sla-policies', { service_line: r2, first_response_minutes: 30, resolution_minutes: 120 }), 201);
        await ok(admin.post('/api/v1/sla-policies', {
            service_line: r2, priority: 'urgent', first_response_minutes: 15, resolution_minutes: 60,
        }), 201);
        // 10:00 Riyadh on Sunday 1 March 2026; business hours 08:00–20:00 every day.
        const k = await contact(agent, {
            channel: 'phone', customer: { phones: [newPhone()] }, service_line: r1, body: 'x',
            received_at: '2026-03-01T10:00:00+03:00',
        });
        const id = k.conversation_id;
        let c = await conversation(agent, id);
        // Default 60 / 1440 business minutes: 11:00; 10 h + 12 h + 2 h → 3 March 10:00.
        assert.equal(c.first_response_due_at, '2026-03-01T08:00:00.000Z');
        assert.equal(c.resolution_due_at, '2026-03-03T07:00:00.000Z');

        c = await patch(agent, id, { priority: 'high' });
        assert.equal(c.priority, 'high');
        assert.equal(c.first_response_due_at, '2026-03-01T08:00:00.000Z', 'no policy for high: unchanged');

        c = await patch(agent, id, { service_line: r2 });
        assert.equal(c.service_line, r2);
        assert.equal(c.first_response_due_at, '2026-03-01T07:30:00.000Z');
        assert.equal(c.resolution_due_at, '2026-03-01T09:00:00.000Z');

        c = await patch(agent, id, { priority: 'urgent' });
        assert.equal(c.first_response_due_at, '2026-03-01T07:15:00.000Z');
        assert.equal(c.resolution_due_at, '2026-03-01T08:00:00.000Z');

        c = await patch(agent, id, { priority: 'low', service_line: r1 });
        assert.equal(c.first_response_due_at, '2026-03-01T08:00:00.000Z');
        assert.equal(c.resolution_due_at, '2026-03-03T07:00:00.000Z');

        expectError(await agent.patch(`/api/v1/conversations/${id}`, { priority: 'critical' }), 422, { field: 'priority' });
        expectError(await agent.patch(`/api/v1/conversations/${id}`, { service_line: 'no_such_line' }), 422, { field: 'service_line' });
    });

    test('tags: set, replace, clear; an empty tag → 422 naming tags', async () => {
        const k = await contact(agent, { channel: 'x', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
        const id = k.conversation_id;
        let c = await patch(agent, id, { tags: ['vip', 'استرداد'] });
        assert.deepEqual(c.tags, ['vip', 'استرداد']);
        c = await patch(agent, id, { tags: ['refund'] });
        assert.deepEqual(c.tags, ['refund']);
        expectError(await agent.patch(`/api/v1/conversations/${id}`, { tags: [''] }), 422, { field: 'tags' });
        expectError(await agent.patch(`/api/v1/conversations/${id}`, { tags: 'vip' }), 400, { field: 'tags' });
        assert.deepEqual((await conversation(agent, id)).tags, ['refund']);
        c = await patch(agent, id, { tags: [] });
        assert.deepEqual(c.tags, []);
    });

    describe('list filters and search', () => {
        const F = 'conv_filters';
        const ids = {};

        before(async () => {
            await serviceLine(admin, F);
            await serviceLine(admin, 'conv_filters_other');
            ids.f1 = (await contact(agent, {
                channel: 'phone', customer: { name: 'سالم', phones: [newPhone()] }, service_line: F,
                subject: 'طلب تسجيل مدرسة', body: 'السلام عليكم',
            })).conversation_id;
            ids.f2 = (await contact(agent, {
                channel: 'email', customer: { name: 'منى', phones: [newPhone()] }, service_line: F,
                subject: 'رسوم', body: 'أرغب في إعفاء من رسوم المستشفى',
            })).conversation_id;
            ids.f3 = (await contact(agent, {
                channel: 'x', customer: { name: 'فاطِمة الزَّهراء', phones: [newPhone()] }, service_line: F,
                subject: 'شكوى', body: 'تأخر',
            })).conversation_id;
            ids.f4 = (await contact(agent, {
                channel: 'chat', customer: { name: 'Chat Person', phones: [newPhone()] }, service_line: F,
                subject: 'رقم الطلب ١٢٣٤٥', body: 'متابعة',
            })).conversation_id;
            ids.other = (await contact(agent, {
                channel: 'phone', customer: { name: 'Other', phones: [newPhone()] }, service_line: 'conv_filters_other',
                subject: 'مدرسة أخرى', body: 'x',
            })).conversation_id;
            await patch(agent, ids.f1, { status: 'pending' });
            await patch(agent, ids.f3, { assignee_id: agent.user.id });
            await ok(agent.post(`/api/v1/conversations/${ids.f2}/messages`, { kind: 'reply', body: 'تمت المعالجة بنجاح' }), 201);
        });

        test('service_line', async () => {
            assert.deepEqual(sorted(await listIds(agent, `service_line=${F}`)), sorted([ids.f1, ids.f2, ids.f3, ids.f4]));
        });

        test('channel', async () => {
            assert.deepEqual(await listIds(agent, `service_line=${F}&channel=email`), [ids.f2]);
            assert.deepEqual(await listIds(agent, `service_line=${F}&channel=x`), [ids.f3]);
            assert.deepEqual(await listIds(agent, `service_line=${F}&channel=form`), []);
        });

        test('status', async () => {
            assert.deepEqual(await listIds(agent, `service_line=${F}&status=pending`), [ids.f1]);
            assert.deepEqual(sorted(await listIds(agent, `service_line=${F}&status=open`)), sorted([ids.f2, ids.f3, ids.f4]));
            assert.deepEqual(await listIds(agent, `service_line=${F}&status=solved`), []);
        });

        test('assignee_id (a user, or none)', async () => {
            assert.deepEqual(await listIds(agent, `service_line=${F}&assignee_id=${agent.user.id}`), [ids.f3]);
            assert.deepEqual(sorted(await listIds(agent, `service_line=${F}&assignee_id=none`)), sorted([ids.f1, ids.f2, ids.f4]));
            expectError(await agent.get('/api/v1/conversations?assignee_id=abc'), 400, { field: 'assignee_id' });
        });

        test('q on the subject: "مدرسة" found by "مدرسه", with diacritics and with tatweel', async () => {
            for (const q of ['مدرسه', 'مدرسة', 'مَدْرَسَة', 'مــدرســة', 'تسجيل مدرسه']) {
                assert.deepEqual(await listIds(agent, `service_line=${F}&q=${encodeURIComponent(q)}`), [ids.f1], `q=${q}`);
            }
            // Without the service-line filter the other line's مدرسة is found as well.
            assert.deepEqual(sorted(await listIds(agent, `q=${encodeURIComponent('مدرسه')}`)), sorted([ids.f1, ids.other]));
        });

        test('q on the messages: "إعفاء" found by "اعفاء", ى/ي folded, agent replies searched', async () => {
            for (const q of ['اعفاء', 'إعفاء', 'أعفاء', 'المستشفي', 'المعالجه']) {
                assert.deepEqual(await listIds(agent, `service_line=${F}&q=${encodeURIComponent(q)}`), [ids.f2], `q=${q}`);
            }
        });

        test('q on the customer name (stored with diacritics) and Arabic-Indic digits', async () => {
            for (const q of ['فاطمه', 'الزهراء', 'فاطِمة']) {
                assert.deepEqual(await listIds(agent, `service_line=${F}&q=${encodeURIComponent(q)}`), [ids.f3], `q=${q}`);
            }
            for (const q of ['12345', '١٢٣٤٥']) {
                assert.deepEqual(await listIds(agent, `service_line=${F}&q=${encodeURIComponent(q)}`), [ids.f4], `q=${q}`);
            }
            assert.deepEqual(await listIds(agent, `service_line=${F}&q=${encodeURIComponent('غير موجود إطلاقا')}`), []);
        });

        test('filters combine', async () => {
            assert.deepEqual(await listIds(agent, `service_line=${F}&status=open&channel=email&q=${encodeURIComponent('اعفاء')}`), [ids.f2]);
            assert.deepEqual(await listIds(agent, `service_line=${F}&status=pending&q=${encodeURIComponent('اعفاء')}`), []);
        });

        test('cursor pagination walks every conversation once', async () => {
            const all = await listIds(agent, `service_line=${F}`);
            const paged = [];
            let cursor = null;
            for (let i = 0; i < 20; i++) {
                const body = await ok(agent.get(`/api/v1/conversations?service_line=${F}&limit=1${cursor ? `&cursor=${cursor}` : ''}`));
                assert.ok(body.items.length <= 1);
                paged.push(...body.items.map((x) => x.id));
                cursor = body.next_cursor;
                if (cursor === null) {
                    break;
                }
            }
            assert.deepEqual(paged, all);
        });
    });

    test('the list is sorted by SLA due time (first response until answered, then resolution)', async () => {
        const S = await serviceLine(admin, 'conv_sorted');
        const at = async (time) => (await contact(agent, {
            channel: 'phone', customer: { phones: [newPhone()] }, service_line: S, body: 'x', received_at: time,
        })).conversation_id;
        const c10 = await at('2026-03-02T10:00:00+03:00');
        const c09 = await at('2026-03-02T09:00:00+03:00');
        const c11 = await at('2026-03-02T11:00:00+03:00');
        assert.deepEqual(await listIds(agent, `service_line=${S}`), [c09, c10, c11]);
        // Answering c09 stops its first-response clock; what is due next is its resolution (4 March).
        await ok(agent.post(`/api/v1/conversations/${c09}/messages`, { kind: 'reply', body: 'answer' }), 201);
        assert.deepEqual(await listIds(agent, `service_line=${S}`), [c10, c11, c09]);
        const body = await ok(agent.get(`/api/v1/conversations?service_line=${S}`));
        const due = body.items.map((x) => Date.parse(x.first_response_at === null ? x.first_response_due_at : x.resolution_due_at));
        assert.deepEqual(due, [...due].sort((a, b) => a - b));
    });

    test('merge: the other\'s contacts and messages move; the other shows merged_into and leaves the list', async () => {
        const M = await serviceLine(admin, 'conv_merge');
        const a = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: M, body: 'from a' });
        const b = await contact(agent, { channel: 'email', customer: { phones: [newPhone()] }, service_line: M, body: 'from b' });
        const merged = await ok(agent.post(`/api/v1/conversations/${a.conversation_id}/merge`, { other_id: b.conversation_id }));
        assert.equal(merged.id, a.conversation_id);
        assert.equal(merged.contacts_count, 2);
        assert.equal(merged.merged_into, null);
        const contacts = merged.timeline.filter((t) => t.type === 'contact');
        assert.deepEqual(contacts.map((t) => t.id), [a.contact_id, b.contact_id]);
        assert.deepEqual(merged.timeline.filter((t) => t.type === 'message').map((t) => t.body), ['from a', 'from b']);

        const other = await conversation(agent, b.conversation_id);
        assert.equal(other.merged_into, a.conversation_id);
        assert.equal(other.status, 'closed');
        assert.equal(other.timeline.filter((t) => t.type === 'contact').length, 0);
        assert.deepEqual(await listIds(agent, `service_line=${M}`), [a.conversation_id]);

        expectError(await agent.patch(`/api/v1/conversations/${b.conversation_id}`, { status: 'open' }), 409);
        expectError(await agent.post(`/api/v1/conversations/${a.conversation_id}/merge`, { other_id: b.conversation_id }), 409);
        expectError(await agent.post(`/api/v1/conversations/${a.conversation_id}/merge`, { other_id: a.conversation_id }), 422,
            { field: 'other_id' });
        expectError(await agent.post(`/api/v1/conversations/${a.conversation_id}/merge`, { other_id: 99999999 }), 422,
            { field: 'other_id' });
    });

    describe('first-contact resolution', () => {
        test('solved with no escalation and never reopened → resolved_first_contact true', async () => {
            const k = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
            assert.equal((await conversation(agent, k.conversation_id)).resolved_first_contact, null);
            await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply', body: 'done' }), 201);
            let c = await patch(agent, k.conversation_id, { status: 'solved' });
            assert.equal(c.resolved_first_contact, true);
            c = await patch(agent, k.conversation_id, { status: 'closed' });
            assert.equal(c.resolved_first_contact, true);
        });

        test('pending on the way does not spoil it', async () => {
            const k = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
            await patch(agent, k.conversation_id, { status: 'pending' });
            const c = await patch(agent, k.conversation_id, { status: 'solved' });
            assert.equal(c.resolved_first_contact, true);
        });

        test('escalated → false', async () => {
            const k = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
            await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/escalations`, { department: DEPT, note: 'n' }), 201);
            const c = await patch(agent, k.conversation_id, { status: 'solved' });
            assert.equal(c.escalated, true);
            assert.equal(c.resolved_first_contact, false);
        });

        test('reopened by the agent → false', async () => {
            const k = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
            await patch(agent, k.conversation_id, { status: 'solved' });
            await patch(agent, k.conversation_id, { status: 'open' });
            const c = await patch(agent, k.conversation_id, { status: 'solved' });
            assert.equal(c.resolved_first_contact, false);
        });

        test('merged with an escalated conversation → false', async () => {
            const a = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
            const b = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'y' });
            await ok(agent.post(`/api/v1/conversations/${b.conversation_id}/escalations`, { department: DEPT, note: 'n' }), 201);
            await ok(agent.post(`/api/v1/conversations/${a.conversation_id}/merge`, { other_id: b.conversation_id }));
            const c = await patch(agent, a.conversation_id, { status: 'solved' });
            assert.equal(c.resolved_first_contact, false);
        });
    });

    test('notes and replies: kind must be reply or note; a reply needs a body or a template', async () => {
        const k = await contact(agent, { channel: 'phone', customer: { phones: [newPhone()] }, service_line: LINE, body: 'x' });
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'shout', body: 'x' }), 422,
            { field: 'kind' });
        expectError(await agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'reply' }), 422,
            { field: 'body' });
        expectError(await agent.post('/api/v1/conversations/99999999/messages', { kind: 'reply', body: 'x' }), 404);
        const c = await ok(agent.post(`/api/v1/conversations/${k.conversation_id}/messages`, { kind: 'note', body: 'private' }), 201);
        assert.equal(typeof c.message_id, 'number');
        assert.equal(c.first_response_at, null, 'a note is not a response to the customer');
    });
});

describe(`conversations: closing solved ones automatically [${backendName()}]`, () => {
    let server;
    let admin;
    let agent;

    before(async () => {
        server = await startServer({ extraArgs: ['--housekeeping-seconds', '1'] });
        admin = await server.login('admin');
        agent = await server.login('agent');
        const r = await admin.post('/api/v1/service-lines', { code: 'autoclose', name_ar: 'إغلاق', name_en: 'Close' });
        assert.equal(r.status, 201, show(r));
    });

    after(async () => {
        await server?.stop();
    });

    test('a conversation solved more than close_after_days ago becomes closed; a recent one stays solved', async () => {
        const make = async (phone) => {
            const r = await agent.post('/api/v1/contacts', {
                channel: 'phone', customer: { name: 'م', phones: [phone] }, service_line: 'autoclose',
                subject: 's', body: 'b',
            });
            assert.equal(r.status, 201, show(r));
            const id = r.json.conversation_id;
            const p = await agent.patch(`/api/v1/conversations/${id}`, { status: 'solved' });
            assert.equal(p.status, 200, show(p));
            return id;
        };
        const old = await make('0553000001');
        const recent = await make('0553000002');
        const fiveDaysAgo = Date.now() - 5 * 24 * 3600 * 1000;
        await server.sql(`UPDATE conversations SET solved_at = ${fiveDaysAgo} WHERE id = ${old}`);
        let status;
        for (let i = 0; i < 40; i++) {
            status = (await agent.get(`/api/v1/conversations/${old}`)).json.status;
            if (status === 'closed') break;
            await new Promise((res) => setTimeout(res, 100));
        }
        assert.equal(status, 'closed');
        assert.equal((await agent.get(`/api/v1/conversations/${recent}`)).json.status, 'solved');
    });
});
