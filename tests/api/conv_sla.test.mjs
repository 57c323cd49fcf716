// SLA on business hours: the default calendar (every day 08:00–20:00 Asia/Riyadh = UTC+3), due times
// across a night, a holiday and a weekend, SLA policies (most specific wins), time spent pending
// added back, and the first reply stopping the first-response clock.
//
// Contacts carry received_at in the past (March 2026), so the arithmetic never depends on when the
// test runs; only the pending test uses the wall clock, and it asserts strictly only when the wall
// clock is inside business hours.
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

let phoneSeq = 6000;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: '08:00', end: '20:00' }));

// Whether an instant is inside 08:00–20:00 Riyadh (UTC+3, no DST) with no holiday configured.
function riyadhOpen(ms) {
    const h = new Date(ms + 3 * 3600 * 1000).getUTCHours();
    return h >= 8 && h < 20;
}

// ---- tests -----------------------------------------------------------------------------------

describe(`conversations: SLA and business hours [${backend}]`, () => {
    let server;
    let admin;
    let agent;
    const LINE = 'sla_plain';

    // A new conversation (new customer) received at `at` on `line`; returns the conversation.
    async function received(at, line = LINE) {
        const k = await ok(agent.post('/api/v1/contacts', {
            channel: 'phone', customer: { phones: [newPhone()] }, service_line: line, body: 'x',
            ...(at ? { received_at: at } : {}),
        }), 201);
        return ok(agent.get(`/api/v1/conversations/${k.conversation_id}`));
    }

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        await ok(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'عام', name_en: 'General' }), 201);
    });

    after(async () => {
        await server?.stop();
    });

    test('the default calendar: every day 08:00–20:00 Asia/Riyadh, no holidays', async () => {
        const cal = await ok(agent.get('/api/v1/calendars/default'));
        assert.equal(cal.id, 'default');
        assert.equal(cal.timezone, 'Asia/Riyadh');
        assert.deepEqual(cal.weekly, EVERY_DAY);
        assert.deepEqual(cal.holidays, []);
        expectError(await agent.get('/api/v1/calendars/no_such_calendar'), 404);
    });

    test('the built-in policy is 60 / 1440 business minutes on the default calendar', async () => {
        const body = await ok(agent.get('/api/v1/sla-policies'));
        assert.deepEqual(body.default, { first_response_minutes: 60, resolution_minutes: 1440, calendar: 'default' });
    });

    test('a contact at 19:30 is due for a first response at 08:30 the next day; resolution 1440 business minutes later', async () => {
        const c = await received('2026-03-01T19:30:00+03:00');
        assert.equal(c.created_at, '2026-03-01T16:30:00.000Z');
        // 30 minutes on 1 March, the night skipped, 30 minutes on 2 March.
        assert.equal(c.first_response_due_at, '2026-03-02T05:30:00.000Z');
        // 30 min (1 March) + 720 (2 March) + 690 (3 March, 08:00–19:30) = 1440.
        assert.equal(c.resolution_due_at, '2026-03-03T16:30:00.000Z');
    });

    test('a contact at night or before opening starts the clock at 08:00', async () => {
        let c = await received('2026-03-01T22:00:00+03:00');
        assert.equal(c.first_response_due_at, '2026-03-02T06:00:00.000Z');
        assert.equal(c.resolution_due_at, '2026-03-03T17:00:00.000Z');
        c = await received('2026-03-02T06:15:00+03:00');
        assert.equal(c.first_response_due_at, '2026-03-02T06:00:00.000Z');
        assert.equal(c.resolution_due_at, '2026-03-03T17:00:00.000Z');
    });

    test('a contact inside hours is due 60 business minutes later the same day', async () => {
        const c = await received('2026-03-02T10:20:00+03:00');
        assert.equal(c.first_response_due_at, '2026-03-02T08:20:00.000Z');
        // 9 h 40 min on 2 March, 12 h on 3 March, 2 h 20 min on 4 March.
        assert.equal(c.resolution_due_at, '2026-03-04T07:20:00.000Z');
    });

    test('a holiday is skipped: 19:30 the day before → 08:30 the day after', async () => {
        try {
            const cal = await ok(admin.patch('/api/v1/calendars/default', { holidays: [{ date: '2026-03-02', name: 'يوم التأسيس' }] }));
            assert.deepEqual(cal.holidays, [{ date: '2026-03-02', name: 'يوم التأسيس' }]);
            assert.deepEqual(cal.weekly, EVERY_DAY, 'changing holidays keeps the weekly hours');
            assert.deepEqual((await ok(agent.get('/api/v1/calendars/default'))).holidays, cal.holidays);

            const c = await received('2026-03-01T19:30:00+03:00');
            assert.equal(c.first_response_due_at, '2026-03-03T05:30:00.000Z');
            // 30 min (1 March), 2 March off, 720 (3 March), 690 (4 March).
            assert.equal(c.resolution_due_at, '2026-03-04T16:30:00.000Z');

            // A contact on the holiday itself waits for the next working day.
            const h = await received('2026-03-02T11:00:00+03:00');
            assert.equal(h.first_response_due_at, '2026-03-03T06:00:00.000Z');
        } finally {
            await ok(admin.patch('/api/v1/calendars/default', { holidays: [] }));
        }
        const again = await received('2026-03-01T19:30:00+03:00');
        assert.equal(again.first_response_due_at, '2026-03-02T05:30:00.000Z', 'the holiday was removed');
    });

    test('a weekend (Friday and Saturday closed) is skipped', async () => {
        try {
            const sunToThu = [0, 1, 2, 3, 4].map((day) => ({ day, start: '08:00', end: '20:00' }));
            const cal = await ok(admin.patch('/api/v1/calendars/default', { weekly: sunToThu }));
            assert.deepEqual(cal.weekly, sunToThu);
            // Thursday 5 March 2026, 19:30 → Sunday 8 March, 08:30.
            const c = await received('2026-03-05T19:30:00+03:00');
            assert.equal(c.first_response_due_at, '2026-03-08T05:30:00.000Z');
            // 30 min (Thu) + 720 (Sun) + 690 (Mon) → Monday 9 March, 19:30.
            assert.equal(c.resolution_due_at, '2026-03-09T16:30:00.000Z');
        } finally {
            await ok(admin.patch('/api/v1/calendars/default', { weekly: EVERY_DAY }));
        }
    });

    test('a bad calendar change → 4xx and the calendar is unchanged', async () => {
        for (const body of [
            { timezone: 'Mars/Olympus' },
            { weekly: [{ day: 9, start: '08:00', end: '20:00' }] },
            { weekly: [{ day: 1, start: '20:00', end: '08:00' }] },
            { holidays: [{ date: '2026-02-30', name: 'x' }] },
        ]) {
            expectError(await admin.patch('/api/v1/calendars/default', body), [400, 422]);
        }
        const cal = await ok(agent.get('/api/v1/calendars/default'));
        assert.equal(cal.timezone, 'Asia/Riyadh');
        assert.deepEqual(cal.weekly, EVERY_DAY);
        assert.deepEqual(cal.holidays, []);
    });

    test('an SLA policy for a service line overrides the default', async () => {
        const line = 'sla_fast';
        await ok(admin.post('/api/v1/service-lines', { code: line, name_ar: 'سريع', name_en: 'Fast' }), 201);
        const p = await ok(admin.post('/api/v1/sla-policies', {
            service_line: line, first_response_minutes: 30, resolution_minutes: 120,
        }), 201);
        assert.equal(p.service_line, line);
        assert.equal(p.priority, null);
        assert.equal(p.first_response_minutes, 30);
        assert.equal(p.resolution_minutes, 120);
        assert.equal(p.calendar, 'default');
        assert.ok(Number.isInteger(p.id));
        const list = await ok(agent.get('/api/v1/sla-policies'));
        assert.deepEqual(list.items.find((x) => x.id === p.id), p);

        // 19:00: first response 19:30; resolution 60 min that evening + 60 the next morning → 09:00.
        const c = await received('2026-03-01T19:00:00+03:00', line);
        assert.equal(c.first_response_due_at, '2026-03-01T16:30:00.000Z');
        assert.equal(c.resolution_due_at, '2026-03-02T06:00:00.000Z');
        // Other lines keep the default.
        const d = await received('2026-03-01T18:00:00+03:00');
        assert.equal(d.first_response_due_at, '2026-03-01T16:00:00.000Z');

        // PATCH the policy: later conversations follow it.
        const u = await ok(admin.patch(`/api/v1/sla-policies/${p.id}`, { first_response_minutes: 45 }));
        assert.equal(u.first_response_minutes, 45);
        assert.equal(u.resolution_minutes, 120);
        const e = await received('2026-03-01T19:00:00+03:00', line);
        assert.equal(e.first_response_due_at, '2026-03-01T16:45:00.000Z');
    });

    test('a service line + priority policy beats the service line one', async () => {
        const line = 'sla_prio';
        await ok(admin.post('/api/v1/service-lines', { code: line, name_ar: 'أولوية', name_en: 'Priority' }), 201);
        await ok(admin.post('/api/v1/sla-policies', { service_line: line, first_response_minutes: 120, resolution_minutes: 600 }), 201);
        await ok(admin.post('/api/v1/sla-policies', {
            service_line: line, priority: 'urgent', first_response_minutes: 10, resolution_minutes: 20,
        }), 201);
        const c = await received('2026-03-02T10:00:00+03:00', line);
        assert.equal(c.first_response_due_at, '2026-03-02T09:00:00.000Z');
        assert.equal(c.resolution_due_at, '2026-03-02T17:00:00.000Z');
        const u = await ok(agent.patch(`/api/v1/conversations/${c.id}`, { priority: 'urgent' }));
        assert.equal(u.first_response_due_at, '2026-03-02T07:10:00.000Z');
        assert.equal(u.resolution_due_at, '2026-03-02T07:20:00.000Z');
    });

    test('SLA policy validation', async () => {
        const bad = [
            [{ service_line: 'no_such_line', first_response_minutes: 10, resolution_minutes: 20 }, 'service_line'],
            [{ service_line: LINE, priority: 'whenever', first_response_minutes: 10, resolution_minutes: 20 }, 'priority'],
            [{ service_line: LINE, first_response_minutes: 0, resolution_minutes: 20 }, 'first_response_minutes'],
            [{ service_line: LINE, first_response_minutes: 10, resolution_minutes: -5 }, 'resolution_minutes'],
            [{ service_line: LINE, first_response_minutes: 10, resolution_minutes: 20, calendar: 'nope' }, 'calendar'],
        ];
        for (const [body, field] of bad) {
            expectError(await admin.post('/api/v1/sla-policies', body), 422, { field });
        }
        expectError(await admin.patch('/api/v1/sla-policies/99999999', { first_response_minutes: 5 }), 404);
        // None of them changed the line's terms.
        const c = await received('2026-03-02T10:00:00+03:00');
        assert.equal(c.first_response_due_at, '2026-03-02T08:00:00.000Z');
    });

    test('time spent pending is added back: due times never move earlier, and move later inside hours', async () => {
        const c = await received(null);
        const first0 = Date.parse(c.first_response_due_at);
        const res0 = Date.parse(c.resolution_due_at);
        const t0 = Date.now();
        await ok(agent.patch(`/api/v1/conversations/${c.id}`, { status: 'pending' }));
        await sleep(1200);
        const back = await ok(agent.patch(`/api/v1/conversations/${c.id}`, { status: 'open' }));
        const t1 = Date.now();
        const first1 = Date.parse(back.first_response_due_at);
        const res1 = Date.parse(back.resolution_due_at);
        assert.ok(first1 >= first0, `first response due moved earlier: ${c.first_response_due_at} → ${back.first_response_due_at}`);
        assert.ok(res1 >= res0, `resolution due moved earlier: ${c.resolution_due_at} → ${back.resolution_due_at}`);
        assert.ok(first1 - first0 <= t1 - t0 + 50, 'more time added back than was spent pending');
        const openBefore = riyadhOpen(t0 - 1000);
        const openAfter = riyadhOpen(t1 + 1000);
        if (openBefore && openAfter) {
            // The whole pause was business time: at least the 1.2 s slept.
            assert.ok(first1 - first0 >= 1150, `pause not added to the first response: +${first1 - first0} ms`);
            assert.ok(res1 - res0 >= 1150, `pause not added to the resolution: +${res1 - res0} ms`);
        } else if (!openBefore && !openAfter) {
            // The whole pause was outside business hours: it costs no business time, nothing to add.
            assert.equal(first1, first0);
            assert.equal(res1, res0);
        } // else the pause straddled opening or closing time: only the bounds above hold.
    });

    test('a customer answering a pending conversation also adds the pause back', async () => {
        const phone = newPhone();
        const k = await ok(agent.post('/api/v1/contacts', {
            channel: 'email', customer: { phones: [phone] }, service_line: LINE, body: 'q',
        }), 201);
        const c = await ok(agent.get(`/api/v1/conversations/${k.conversation_id}`));
        await ok(agent.patch(`/api/v1/conversations/${c.id}`, { status: 'pending' }));
        await sleep(300);
        await ok(agent.post('/api/v1/contacts', { channel: 'email', customer: { phones: [phone] }, service_line: LINE, body: 'a' }), 201);
        const back = await ok(agent.get(`/api/v1/conversations/${c.id}`));
        assert.equal(back.status, 'open');
        assert.ok(Date.parse(back.first_response_due_at) >= Date.parse(c.first_response_due_at));
        assert.ok(Date.parse(back.resolution_due_at) >= Date.parse(c.resolution_due_at));
    });

    test('the first reply sets first_response_at (a note does not; a later reply does not move it)', async () => {
        const c = await received(null);
        assert.equal(c.first_response_at, null);
        const n = await ok(agent.post(`/api/v1/conversations/${c.id}/messages`, { kind: 'note', body: 'thinking' }), 201);
        assert.equal(n.first_response_at, null);
        const t0 = Date.now();
        const r = await ok(agent.post(`/api/v1/conversations/${c.id}/messages`, { kind: 'reply', body: 'hello' }), 201);
        expectIsoTime(r.first_response_at, 'first_response_at');
        const at = Date.parse(r.first_response_at);
        assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000, `first_response_at ${r.first_response_at} is not now`);
        assert.ok(at <= Date.parse(r.first_response_due_at), 'answered at once, yet late');
        assert.equal(r.sla_breached, false);
        const r2 = await ok(agent.post(`/api/v1/conversations/${c.id}/messages`, { kind: 'reply', body: 'again' }), 201);
        assert.equal(r2.first_response_at, r.first_response_at);
    });

    test('sla_breached: an old unanswered conversation is breached, and stays so when answered late', async () => {
        const c = await received('2026-03-01T10:00:00+03:00');
        assert.equal(c.sla_breached, true);
        const r = await ok(agent.post(`/api/v1/conversations/${c.id}/messages`, { kind: 'reply', body: 'sorry for the wait' }), 201);
        assert.equal(r.sla_breached, true);
    });

    test('a breach already incurred is not undone by setting the conversation pending', async () => {
        // Received in March, never answered: both clocks ran out long ago.
        const c = await received('2026-03-01T10:00:00+03:00');
        assert.equal(c.sla_breached, true);
        const p = await ok(agent.patch(`/api/v1/conversations/${c.id}`, { status: 'pending' }));
        assert.equal(p.status, 'pending');
        assert.equal(p.sla_breached, true, 'pending cleared a breach that happened before the pause');
    });

    test('solved before the due times → not breached', async () => {
        const c = await received(null);
        await ok(agent.post(`/api/v1/conversations/${c.id}/messages`, { kind: 'reply', body: 'done' }), 201);
        const s = await ok(agent.patch(`/api/v1/conversations/${c.id}`, { status: 'solved' }));
        assert.ok(Date.parse(s.solved_at) <= Date.parse(s.resolution_due_at));
        assert.equal(s.sla_breached, false);
    });
});
