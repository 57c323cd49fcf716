// Bulk import (`sanad import contacts`) and the KPI summary (GET /api/v1/reports/summary): a small
// JSON-lines file with good and bad lines goes through the command line into the test server's
// database; bad lines are reported with their line numbers and the others imported; importing it
// again changes nothing; then the summary's figures are checked against a hand-computed dataset
// (channels, Riyadh months across a month boundary, first-contact resolution, escalation and
// first-response SLA rates, backlog), with from/to filtering, roles and bad dates.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer, backendName, show, SANAD } from './lib/harness.mjs';
import { expectError, expectStatus } from './lib/expect.mjs';

const backend = backendName();
const LINE = 'import_line';
const DEPT = 'import_dept';

// ---- the dataset -----------------------------------------------------------------------------
// Times are UTC; the center's day is Asia/Riyadh (UTC+3), open 08:00–20:00 every day (the
// default calendar) with a 60-business-minute first-response SLA (the default policy). So a
// contact at 06:00Z (09:00 Riyadh) is due a first response by 07:00Z.

const person = (n, extra = {}) => ({ name: `عميل ${n}`, phones: [`05${String(70000000 + n)}`], ...extra });

// id: the conversation each imported line ends up in (for the hand computation below).
const GOOD = [
    // C1 Jan 10: solved, answered in 30 min → first contact, SLA met.
    { conv: 'C1', line: { external_id: 't-1', channel: 'phone', customer: person(1), service_line: LINE,
        subject: 'استفسار', body: 'اتصال', received_at: '2021-01-10T06:00:00Z', status: 'solved',
        solved_at: '2021-01-10T07:00:00Z', first_response_at: '2021-01-10T06:30:00Z' } },
    // C2 Jan 15: escalated, answered after 90 min (due 08:00Z) → missed; solved Jan 20.
    { conv: 'C2', line: { external_id: 't-2', channel: 'email', customer: person(2, { emails: ['p2@example.com'] }),
        service_line: LINE, body: 'بريد', received_at: '2021-01-15T07:00:00Z', escalated_to: DEPT,
        status: 'solved', solved_at: '2021-01-20T07:00:00Z', first_response_at: '2021-01-15T08:30:00Z' } },
    // C3 Jan 31 23:30 Riyadh (still January there): after hours, due Feb 1 09:00 Riyadh = 06:00Z;
    // answered 21:00Z → met; solved Feb 1 06:30Z.
    { conv: 'C3', line: { external_id: 't-3', channel: 'x', customer: person(3, { x_handle: '@person3' }),
        service_line: LINE, body: 'تغريدة', received_at: '2021-01-31T20:30:00Z', status: 'solved',
        solved_at: '2021-02-01T06:30:00Z', first_response_at: '2021-01-31T21:00:00Z' } },
    // C4 Feb 1 00:30 Riyadh (already February there): pending.
    { conv: 'C4', line: { external_id: 't-4', channel: 'form', customer: person(4, { national_id: '1000000008' }),
        service_line: LINE, body: 'نموذج', received_at: '2021-01-31T21:30:00Z', status: 'pending' } },
    // C5 Feb 2: left open.
    { conv: 'C5', line: { external_id: 't-5', channel: 'chat', customer: person(5), service_line: LINE,
        body: 'محادثة', received_at: '2021-02-02T06:00:00Z', first_response_at: '2021-02-02T06:10:00Z' } },
    // C6 Feb 5: person 1 again, 26 days after C1 was solved → a new conversation; solved without
    // any first response → SLA not met, but first contact.
    { conv: 'C6', line: { external_id: 't-6', channel: 'phone', customer: person(1), service_line: LINE,
        body: 'اتصال ثان', received_at: '2021-02-05T06:00:00Z', status: 'solved', solved_at: '2021-02-05T09:00:00Z' } },
    // C7 Feb 10: solved in 20 min, answered in 5 (met) …
    { conv: 'C7', line: { external_id: 't-7', channel: 'phone', customer: person(6), service_line: LINE,
        body: 'اتصال', received_at: '2021-02-10T06:00:00Z', status: 'solved', solved_at: '2021-02-10T06:20:00Z',
        first_response_at: '2021-02-10T06:05:00Z' } },
    // … and Feb 12 the same person writes again within 7 days: C7 reopens (not first contact),
    // solved again at 07:00Z; its first response stays the first one.
    { conv: 'C7', line: { external_id: 't-8', channel: 'email', customer: person(6, { emails: ['p6@example.com'] }),
        service_line: LINE, body: 'متابعة', received_at: '2021-02-12T06:00:00Z', status: 'solved',
        solved_at: '2021-02-12T07:00:00Z', first_response_at: '2021-02-12T06:30:00Z' } },
    // C9 Mar 1: closed (solved at 06:40Z), answered in 10 min.
    { conv: 'C9', line: { external_id: 't-9', channel: 'phone', customer: person(7), service_line: LINE,
        body: 'اتصال', received_at: '2021-03-01T06:00:00Z', status: 'closed', solved_at: '2021-03-01T06:40:00Z',
        first_response_at: '2021-03-01T06:10:00Z' } },
];

// Bad lines, each with the field its message must name.
const BAD = [
    { raw: '{"channel":"phone"', why: /JSON/ },
    { line: { channel: 'fax', customer: person(20), received_at: '2021-01-05T06:00:00Z' }, why: /channel/ },
    { line: { channel: 'phone', customer: person(21), received_at: '2021-13-01T06:00:00Z' }, why: /received_at/ },
    { line: { channel: 'phone', customer: person(22), service_line: 'no_such_line' }, why: /service line|service_line/ },
    { line: { channel: 'email', customer: person(23), escalated_to: 'no_such_dept', status: 'solved' }, why: /department|escalated_to/ },
    { line: { channel: 'form', customer: person(24, { national_id: '1000000000' }) }, why: /national/ },
    { line: { channel: 'chat', customer: person(25), status: 'open', solved_at: '2021-01-05T06:00:00Z' }, why: /solved_at/ },
];

// The file: good and bad lines interleaved, a blank line, and t-1 once more (a duplicate).
function buildFile() {
    const rows = [];
    const bad = [];
    const push = (text) => rows.push(text);
    GOOD.forEach((g, i) => {
        push(JSON.stringify(g.line));
        if (i < BAD.length) {
            const b = BAD[i];
            push(b.raw ?? JSON.stringify(b.line));
            bad.push({ lineNo: rows.length, why: b.why });
        }
        if (i === 3) {
            push('');
        }
    });
    push(JSON.stringify({ ...GOOD[0].line, body: 'the same external id again' }));
    return { text: `${rows.join('\n')}\n`, bad, lines: rows.filter((r) => r !== '').length };
}

// The hand computation of the whole range.
const ALL = {
    contacts_total: 9,
    by_channel: { phone: 4, email: 2, x: 1, form: 1, chat: 1 },
    by_month: [{ month: '2021-01', total: 3 }, { month: '2021-02', total: 5 }, { month: '2021-03', total: 1 }],
    conversations_solved: 6, // C1 C2 C3 C6 C7 C9
    resolved_first_contact_rate: 4 / 6, // C1 C3 C6 C9 (C2 escalated, C7 reopened)
    escalation_rate: 1 / 6, // C2
    first_response_sla_met_rate: 4 / 6, // C1 C3 C7 C9 (C2 late, C6 never answered)
    open_backlog: 2, // C4 pending, C5 open
};

// February in Riyadh: [2021-01-31T21:00Z, 2021-02-28T21:00Z).
const FEBRUARY = {
    contacts_total: 5,
    by_channel: { phone: 2, email: 1, x: 0, form: 1, chat: 1 },
    by_month: [{ month: '2021-02', total: 5 }],
    conversations_solved: 3, // C3 (Feb 1 06:30Z), C6, C7
    resolved_first_contact_rate: 2 / 3,
    escalation_rate: 0,
    first_response_sla_met_rate: 2 / 3,
    open_backlog: 2,
};

function figures(json) {
    const { from, to, ...rest } = json;
    return rest;
}

describe(`import and reports [${backend}]`, () => {
    let server;
    let supervisor;
    let file;
    let expected;

    const cli = (args, opts) => server.cli(args, opts);
    const out = (r) => `exit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    const importFile = (p = file) => cli(['import', 'contacts', '--db', server.db, p]);
    const summary = (query = '') => supervisor.get(`/api/v1/reports/summary${query}`);

    before(async () => {
        // No housekeeping during the file: its sweep would close the imported solved conversations.
        server = await startServer({ extraArgs: ['--housekeeping-seconds', '86400'] });
        const admin = await server.login('admin');
        for (const [kind, code] of [['service-lines', LINE], ['departments', DEPT]]) {
            const r = await admin.post(`/api/v1/${kind}`, { code, name_ar: 'اختبار', name_en: 'Test' });
            expectStatus(r, 201);
        }
        supervisor = await server.login('supervisor');
        expected = buildFile();
        file = path.join(server.dir, 'contacts.jsonl');
        fs.writeFileSync(file, expected.text);
    });

    after(async () => {
        await server?.stop();
    });

    test('an empty database: zeros, no months, rates 0', async () => {
        const r = await summary();
        expectStatus(r, 200);
        assert.deepEqual(figures(r.json), {
            contacts_total: 0, by_channel: { phone: 0, email: 0, x: 0, form: 0, chat: 0 }, by_month: [],
            conversations_solved: 0, resolved_first_contact_rate: 0, escalation_rate: 0,
            first_response_sla_met_rate: 0, open_backlog: 0,
        });
    });

    test('import: bad lines are listed with their line numbers, the others imported', () => {
        const r = importFile();
        assert.equal(r.code, 0, out(r));
        const reported = [...r.stdout.matchAll(/^line (\d+): (.+)$/gm)].map((m) => ({ lineNo: Number(m[1]), text: m[2] }));
        assert.deepEqual(reported.map((x) => x.lineNo), expected.bad.map((b) => b.lineNo), out(r));
        reported.forEach((x, i) => assert.match(x.text, expected.bad[i].why, out(r)));
        const m = r.stdout.match(/(\d+) imported, (\d+) duplicates, (\d+) rejected \((\d+) lines\) in [\d.]+ s, \d+ lines\/s/);
        assert.ok(m, out(r));
        assert.deepEqual(m.slice(1).map(Number), [9, 1, BAD.length, expected.lines], out(r));
        assert.doesNotMatch(r.stderr, /\r|\u001b\[/, 'a progress bar on a stderr that is not a terminal');
    });

    test('the imported rows: conversations, statuses, escalation, timeline', () => {
        const q = (sql) => server.sql(sql).trim();
        assert.equal(q('SELECT COUNT(*) FROM contacts'), '9');
        assert.equal(q("SELECT COUNT(*) FROM contacts WHERE external_id LIKE 't-%'"), '9');
        assert.equal(q('SELECT COUNT(*) FROM conversations'), '8');
        assert.equal(q('SELECT COUNT(*) FROM customers'), '7');
        // Solved in 2021, long past close_after_days (4): the import closed them as the sweep
        // would have, 4 days after they were solved; C9 came closed.
        assert.equal(q("SELECT status || ' ' || reopened || ' ' || escalated || ' ' || " +
            "COALESCE(closed_at - solved_at, -1) FROM conversations ORDER BY id"),
        ['closed 0 0 345600000', 'closed 0 1 345600000', 'closed 0 0 345600000', 'pending 0 0 -1',
            'open 0 0 -1', 'closed 0 0 345600000', 'closed 1 0 345600000', 'closed 0 0 0'].join('\n'));
        assert.equal(q("SELECT e.status FROM escalations e JOIN departments d ON d.id = e.department_id " +
            `WHERE d.code = '${DEPT}'`), 'resolved');
        assert.ok(Number(q("SELECT COUNT(*) FROM conversation_events WHERE kind = 'status'")) >= 7);
        assert.equal(q("SELECT COUNT(*) FROM conversation_events WHERE kind = 'escalated'"), '1');
        // A historical import fires no automation: no webhook jobs, no routing, no auto-replies.
        assert.equal(q('SELECT COUNT(*) FROM jobs'), '0');
        // The run itself is audited once, with its counts.
        const audit = q("SELECT detail FROM audit_log WHERE action = 'import.contacts'");
        assert.deepEqual(JSON.parse(audit), { duplicates: 1, file, imported: 9, lines: expected.lines,
            rejected: BAD.length });
    });

    test('each conversation is written as of its lines: times, search text, timeline', async () => {
        const q = (sql) => server.sql(sql).trim();
        const ms = (iso) => String(Date.parse(iso));
        const conv = (ext, cols) => q(`SELECT ${cols} FROM conversations WHERE id = ` +
            `(SELECT conversation_id FROM contacts WHERE external_id = '${ext}')`);
        const times = "status || ' ' || COALESCE(solved_at, -1) || ' ' || COALESCE(pending_since, -1) || ' ' || " +
            'COALESCE(first_response_at, -1)';
        // New conversations, written in their final state at once.
        assert.equal(conv('t-4', times), `pending -1 ${ms('2021-01-31T21:30:00Z')} -1`);
        assert.equal(conv('t-5', times), `open -1 -1 ${ms('2021-02-02T06:10:00Z')}`);
        assert.equal(conv('t-9', times + " || ' ' || closed_at"),
            `closed ${ms('2021-03-01T06:40:00Z')} -1 ${ms('2021-03-01T06:10:00Z')} ${ms('2021-03-01T06:40:00Z')}`);
        // A line joining (and reopening) C7: solved again later, the first response kept.
        assert.equal(conv('t-8', times + " || ' ' || contacts_count"),
            `closed ${ms('2021-02-12T07:00:00Z')} -1 ${ms('2021-02-10T06:05:00Z')} 2`);
        // The search text is normalised (ة → ه) and covers the joined line's body too.
        assert.match(conv('t-5', 'search_text'), /محادثه/);
        assert.match(conv('t-8', 'search_text'), /اتصال.*متابعه/);
        const r = await supervisor.get(`/api/v1/conversations?q=${encodeURIComponent('محادثة')}&status=open`);
        expectStatus(r, 200);
        assert.deepEqual(r.json.items.map((x) => x.number), [conv('t-5', 'number')]);
        // The timeline holds the imported move from open, at the time it happened.
        assert.equal(conv('t-4', 'id') && q("SELECT at || ' ' || detail FROM conversation_events WHERE kind = 'status' " +
            `AND conversation_id = ${conv('t-4', 'id')}`),
        `${ms('2021-01-31T21:30:00Z')} {"from":"open","imported":true,"to":"pending"}`);
    });

    test('importing the file again is idempotent: all duplicates, nothing written', async () => {
        const before = server.sql('SELECT COUNT(*) FROM contacts').trim();
        const r = importFile();
        assert.equal(r.code, 0, out(r));
        assert.match(r.stdout, /0 imported, 10 duplicates, 7 rejected/, out(r));
        assert.equal(server.sql('SELECT COUNT(*) FROM contacts').trim(), before);
        assert.equal(server.sql('SELECT COUNT(*) FROM conversations').trim(), '8');
        const s = await summary();
        expectStatus(s, 200);
        assert.deepEqual(figures(s.json), ALL);
    });

    test('summary over all time: the hand-computed figures', async () => {
        const r = await summary();
        expectStatus(r, 200);
        assert.deepEqual(figures(r.json), ALL, show(r));
        assert.equal(r.json.from, null);
        assert.equal(r.json.to, null);
    });

    test('from/to as dates are Riyadh days: February holds the contact of Feb 1 00:30 Riyadh', async () => {
        const r = await summary('?from=2021-02-01&to=2021-03-01');
        expectStatus(r, 200);
        assert.deepEqual(figures(r.json), FEBRUARY, show(r));
        assert.equal(r.json.from, '2021-01-31T21:00:00.000Z');
        assert.equal(r.json.to, '2021-02-28T21:00:00.000Z');
        const same = await summary(`?from=${encodeURIComponent('2021-02-01T00:00:00+03:00')}&to=2021-02-28T21:00:00Z`);
        assert.deepEqual(figures(same.json), FEBRUARY, show(same));
    });

    test('from is inclusive and to exclusive, to the millisecond', async () => {
        const at = '2021-01-31T20:30:00Z'; // the X contact of C3
        const withIt = await summary(`?from=${at}&to=2021-01-31T21:00:00Z`);
        expectStatus(withIt, 200);
        assert.equal(withIt.json.contacts_total, 1, show(withIt));
        assert.deepEqual(withIt.json.by_month, [{ month: '2021-01', total: 1 }]);
        const without = await summary(`?from=2021-01-01&to=${at}`);
        assert.equal(without.json.contacts_total, 2, show(without));
        assert.deepEqual(without.json.by_channel, { phone: 1, email: 1, x: 0, form: 0, chat: 0 });
        assert.equal(without.json.conversations_solved, 2, show(without)); // C1, C2
        assert.equal(without.json.escalation_rate, 0.5);
    });

    test('only from, only to, a range with no data, from = to', async () => {
        const tail = await summary('?from=2021-02-10');
        assert.equal(tail.json.contacts_total, 3, show(tail)); // Feb 10, Feb 12, Mar 1
        assert.deepEqual(tail.json.by_month, [{ month: '2021-02', total: 2 }, { month: '2021-03', total: 1 }]);
        assert.equal(tail.json.to, null);
        const head = await summary('?to=2021-01-16');
        assert.equal(head.json.contacts_total, 2, show(head));
        assert.equal(head.json.conversations_solved, 1, show(head)); // C1 (C2 solved Jan 20)
        assert.equal(head.json.first_response_sla_met_rate, 1);
        const none = await summary('?from=2019-01-01&to=2019-02-01');
        expectStatus(none, 200);
        assert.deepEqual(figures(none.json), { ...figures(ALL), contacts_total: 0,
            by_channel: { phone: 0, email: 0, x: 0, form: 0, chat: 0 }, by_month: [], conversations_solved: 0,
            resolved_first_contact_rate: 0, escalation_rate: 0, first_response_sla_met_rate: 0 });
        const empty = await summary('?from=2021-02-01&to=2021-02-01');
        expectStatus(empty, 200);
        assert.equal(empty.json.contacts_total, 0);
    });

    test('bad dates and from after to → 422 naming the field', async () => {
        expectError(await summary('?from=2021-02-30'), 422, { field: 'from' });
        expectError(await summary('?to=yesterday'), 422, { field: 'to' });
        expectError(await summary('?from=2021-01-01T25:00:00Z'), 422, { field: 'from' });
        expectError(await summary('?from=2021-03-01&to=2021-02-01'), 422, { field: 'from' });
    });

    test('roles: supervisors and admins read it; agents and others 403; anonymous 401', async () => {
        expectStatus(await (await server.login('admin')).get('/api/v1/reports/summary'), 200);
        for (const role of ['agent', 'department_staff', 'service_owner', 'qa_evaluator']) {
            const c = await server.login(role);
            expectError(await c.get('/api/v1/reports/summary'), 403);
        }
        expectError(await server.client().get('/api/v1/reports/summary'), 401);
    });

    test('import from stdin; a conversation solved within close_after_days stays solved', () => {
        const line = JSON.stringify({ external_id: 't-stdin', channel: 'chat', customer: person(30),
            received_at: '2021-03-02T06:00:00Z' });
        const hour = 3600 * 1000;
        const recent = JSON.stringify({ external_id: 't-recent', channel: 'chat', customer: person(31),
            received_at: new Date(Date.now() - 2 * hour).toISOString(), status: 'solved',
            solved_at: new Date(Date.now() - hour).toISOString() });
        const r = cli(['import', 'contacts', '--db', server.db, '-'], { input: `${line}\n${recent}\n` });
        assert.equal(r.code, 0, out(r));
        assert.match(r.stdout, /2 imported, 0 duplicates, 0 rejected/, out(r));
        assert.equal(server.sql("SELECT v.status FROM conversations v JOIN contacts c ON c.conversation_id = v.id " +
            "WHERE c.external_id = 't-recent'").trim(), 'solved');
    });

    test('the command line errors', () => {
        const missing = importFile(path.join(server.dir, 'no-such-file.jsonl'));
        assert.equal(missing.code, 1, out(missing));
        const kind = cli(['import', 'nonsense', '--db', server.db, file]);
        assert.equal(kind.code, 2, out(kind));
        assert.match(kind.stderr, /unknown import kind/);
        const batch = cli(['import', 'contacts', '--db', server.db, '--batch', '0', file]);
        assert.equal(batch.code, 2, out(batch));
    });

    test('a line that fails inside the database: the batch is rolled back and replayed without it', () => {
        // A trigger makes the database refuse one contact that validation accepts.
        const boom = backend === 'sqlite'
            ? ["CREATE TRIGGER import_boom BEFORE INSERT ON contacts WHEN NEW.external_id = 't-boom' " +
                "BEGIN SELECT RAISE(ABORT, 'boom'); END"]
            : ['CREATE FUNCTION import_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ' +
                "IF NEW.external_id = 't-boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$",
            'CREATE TRIGGER import_boom BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION import_boom()'];
        boom.forEach((q) => server.sql(q));
        try {
            const ids = ['t-db-1', 't-db-2', 't-boom', 't-db-3'];
            const p = path.join(server.dir, 'boom.jsonl');
            fs.writeFileSync(p, ids.map((id, i) => JSON.stringify({ external_id: id, channel: 'email',
                customer: person(50 + i), received_at: '2021-04-02T06:00:00Z', status: 'solved' })).join('\n'));
            const r = cli(['import', 'contacts', '--db', server.db, p]);
            assert.equal(r.code, 0, out(r));
            assert.match(r.stdout, /^line 3: /m, out(r));
            assert.match(r.stdout, /3 imported, 0 duplicates, 1 rejected \(4 lines\)/, out(r));
            assert.equal(server.sql("SELECT COUNT(*) FROM contacts WHERE external_id LIKE 't-db-%'").trim(), '3');
            assert.equal(server.sql("SELECT COUNT(*) FROM contacts WHERE external_id = 't-boom'").trim(), '0');
        } finally {
            server.sql('DROP TRIGGER import_boom' + (backend === 'sqlite' ? '' : ' ON contacts'));
        }
    });

    test('a batch size of 1 and of 2 gives the same result as one batch', async () => {
        const lines = [0, 1, 2].map((i) => JSON.stringify({ external_id: `t-small-${i}`, channel: 'phone',
            customer: person(40 + i), received_at: `2021-03-0${3 + i}T06:00:00Z` }));
        const p = path.join(server.dir, 'small.jsonl');
        fs.writeFileSync(p, `${lines[0]}\n{bad\n${lines[1]}\n${lines[2]}\n`);
        const r = cli(['import', 'contacts', '--db', server.db, '--batch', '2', p]);
        assert.equal(r.code, 0, out(r));
        assert.match(r.stdout, /3 imported, 0 duplicates, 1 rejected \(4 lines\)/, out(r));
        assert.match(r.stdout, /^line 2: /m, out(r));
        const again = cli(['import', 'contacts', '--db', server.db, '--batch', '1', p]);
        assert.match(again.stdout, /0 imported, 3 duplicates, 1 rejected/, out(again));
        const march = await summary('?from=2021-03-01&to=2021-04-01');
        assert.equal(march.json.contacts_total, 5, show(march)); // C9, stdin, three here
    });

    test('a merge committed by the server between two batches: the next line finds the survivor', async () => {
        // The import remembers which customer each identity belongs to (SQLite); another
        // connection's commit (here the server's merge, which moves the identity) must make it
        // ask the database again.
        const agent = await server.login('agent');
        const email = 'import.merge@example.com';
        const child = spawn(SANAD, ['import', 'contacts', '--db', server.db, '--batch', '1', '-'],
            { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        child.stdout.on('data', (d) => { stdout += d; });
        const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
        const line = (id, body) => `${JSON.stringify({ external_id: id, channel: 'email', service_line: LINE,
            customer: { name: 'دمج', emails: [email] }, body, received_at: '2021-06-01T06:00:00Z' })}\n`;
        child.stdin.write(line('t-merge-1', 'first'));
        const customerOf = (id) => server.sql(`SELECT customer_id FROM contacts WHERE external_id = '${id}'`).trim();
        for (let i = 0; i < 200 && !customerOf('t-merge-1'); i++) {
            await new Promise((r) => setTimeout(r, 50));
        }
        const before = customerOf('t-merge-1');
        assert.ok(before, 'the first line was committed');
        const survivor = await agent.post('/api/v1/customers', { name: 'الباقي', phones: ['0551234987'] });
        expectStatus(survivor, 201);
        expectStatus(await agent.post(`/api/v1/customers/${survivor.json.id}/merge`, { other_id: Number(before) }), 200);
        child.stdin.end(line('t-merge-2', 'second'));
        assert.equal(await exited, 0, stdout);
        assert.match(stdout, /2 imported/, stdout);
        assert.equal(customerOf('t-merge-2'), String(survivor.json.id));
    });

    test('written closed at once, yet reopened by a later line within reopen_days; closed for good is final', () => {
        // Person 60: solved May 1 → the import writes it closed (closed_at May 5), but a contact on
        // May 6 — after close_after_days (4), within reopen_days (7) — still reopens it, as when
        // the closing sweep ran only after the whole file; solved again, it is closed again.
        // Person 61: the source says closed → final: a contact the next day starts a new one.
        // Person 62: solved May 1, the next contact May 9 (past reopen_days) → a new one.
        const day = (d, h = 6) => `2021-05-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`;
        const line = (id, n, received, extra) => JSON.stringify({ external_id: id, channel: 'phone',
            customer: person(n), service_line: LINE, body: id, received_at: received, ...extra });
        const p = path.join(server.dir, 'closing.jsonl');
        // Once in one batch, once a line per batch (other people, other ids).
        for (const [batch, base] of [['100', 60], ['1', 70]]) {
            const ext = (id) => `${id}-b${batch}`;
            const rows = [
                line(ext('t-early-1'), base, day(1), { status: 'solved', solved_at: day(1, 7) }),
                line(ext('t-final-1'), base + 1, day(1), { status: 'closed', solved_at: day(1, 7) }),
                line(ext('t-late-1'), base + 2, day(1), { status: 'solved', solved_at: day(1, 7) }),
                line(ext('t-early-2'), base, day(6), { status: 'solved', solved_at: day(6, 7) }),
                line(ext('t-final-2'), base + 1, day(2)),
                line(ext('t-late-2'), base + 2, day(9)),
            ];
            fs.writeFileSync(p, `${rows.join('\n')}\n`);
            const r = cli(['import', 'contacts', '--db', server.db, '--batch', batch, p]);
            assert.equal(r.code, 0, out(r));
            assert.match(r.stdout, /6 imported, 0 duplicates, 0 rejected/, out(r));
            const conv = (id) => server.sql('SELECT conversation_id FROM contacts WHERE external_id = ' +
                `'${ext(id)}'`).trim();
            const row = (id) => server.sql("SELECT status || ' ' || reopened || ' ' || contacts_count || ' ' || " +
                `COALESCE(closed_at, -1) FROM conversations WHERE id = ${conv(id)}`).trim();
            const ms = (iso) => Date.parse(iso);
            assert.equal(conv('t-early-2'), conv('t-early-1'), `batch ${batch}`);
            assert.equal(row('t-early-1'), `closed 1 2 ${ms(day(6, 7)) + 4 * 86400000}`, `batch ${batch}`);
            assert.notEqual(conv('t-final-2'), conv('t-final-1'), `batch ${batch}`);
            assert.equal(row('t-final-1'), `closed 0 1 ${ms(day(1, 7))}`, `batch ${batch}`);
            assert.notEqual(conv('t-late-2'), conv('t-late-1'), `batch ${batch}`);
            assert.equal(row('t-late-1'), `closed 0 1 ${ms(day(1, 7)) + 4 * 86400000}`, `batch ${batch}`);
            // The reopening is on the timeline as a move from solved, as before the sweep.
            assert.match(server.sql(`SELECT detail FROM conversation_events WHERE kind = 'status' AND ` +
                `conversation_id = ${conv('t-early-1')} ORDER BY id`), /"from":"solved".*"to":"open"/s);
        }
    });

    // The SQLite import remembers, per customer and service line, the conversation the next
    // contact would join (joinable_cache.h). These three are where that memory must not answer.
    test('a line received before the remembered one: the database answers (a file out of order)', () => {
        // A: solved May 1 (written closed early). B: May 20, closed for good → remembered as
        // "never joinable" from May 20. A line of May 3 must still reopen A (within reopen_days).
        const at = (d, h = 6) => `2021-05-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`;
        const line = (id, received, extra) => JSON.stringify({ external_id: id, channel: 'phone',
            customer: person(80), service_line: LINE, body: id, received_at: received, ...extra });
        const p = path.join(server.dir, 'unordered.jsonl');
        fs.writeFileSync(p, [line('t-order-a', at(1), { status: 'solved', solved_at: at(1, 7) }),
            line('t-order-b', at(20), { status: 'closed', solved_at: at(20, 7) }),
            line('t-order-c', at(3))].join('\n') + '\n');
        const r = cli(['import', 'contacts', '--db', server.db, p]);
        assert.equal(r.code, 0, out(r));
        const conv = (id) => server.sql(`SELECT conversation_id FROM contacts WHERE external_id = '${id}'`).trim();
        assert.notEqual(conv('t-order-b'), conv('t-order-a'));
        assert.equal(conv('t-order-c'), conv('t-order-a'));
    });

    test('two open conversations: solving the one joined leaves the other to join next', async () => {
        // An agent opened two for one customer (POST /conversations never joins). A line joins
        // the newer and solves it; the next line joins the older, still open — not the newer.
        const agent = await server.login('agent');
        const ids = [];
        for (const body of ['first call', 'second call']) {
            const r = await agent.post('/api/v1/conversations', { channel: 'phone', customer: person(81),
                service_line: LINE, subject: 'outbound', body });
            expectStatus(r, 201);
            ids.push(String(r.json.conversation_id));
        }
        const now = Date.now();
        const line = (id, ms, extra) => JSON.stringify({ external_id: id, channel: 'phone', customer: person(81),
            service_line: LINE, body: id, received_at: new Date(ms).toISOString(), ...extra });
        const p = path.join(server.dir, 'two-open.jsonl');
        fs.writeFileSync(p, [line('t-two-1', now - 7200000, { status: 'solved', solved_at: new Date(now - 3600000).toISOString() }),
            line('t-two-2', now - 1800000)].join('\n') + '\n');
        const r = cli(['import', 'contacts', '--db', server.db, p]);
        assert.equal(r.code, 0, out(r));
        const conv = (id) => server.sql(`SELECT conversation_id FROM contacts WHERE external_id = '${id}'`).trim();
        assert.equal(conv('t-two-1'), ids[1]);
        assert.equal(conv('t-two-2'), ids[0]);
    });

    test('the server closes the remembered conversation between two batches: the next line starts anew', async () => {
        const agent = await server.login('agent');
        const child = spawn(SANAD, ['import', 'contacts', '--db', server.db, '--batch', '1', '-'],
            { stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        child.stdout.on('data', (d) => { stdout += d; });
        const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
        const line = (id, ms) => `${JSON.stringify({ external_id: id, channel: 'phone', customer: person(82),
            service_line: LINE, body: id, received_at: new Date(ms).toISOString() })}\n`;
        const now = Date.now();
        child.stdin.write(line('t-closed-1', now - 60000));
        const conv = (id) => server.sql(`SELECT conversation_id FROM contacts WHERE external_id = '${id}'`).trim();
        for (let i = 0; i < 200 && !conv('t-closed-1'); i++) {
            await new Promise((r) => setTimeout(r, 50));
        }
        const first = conv('t-closed-1');
        assert.ok(first, 'the first line was committed');
        for (const status of ['solved', 'closed']) {
            expectStatus(await agent.patch(`/api/v1/conversations/${first}`, { status }), 200);
        }
        child.stdin.end(line('t-closed-2', now - 30000));
        assert.equal(await exited, 0, stdout);
        assert.match(stdout, /2 imported/, stdout);
        assert.notEqual(conv('t-closed-2'), first);
    });

    // The SQLite import writes without checking foreign keys (import_contacts.c says why): every
    // reference the runs above wrote — new, joined, reopened, escalated, merged — must resolve.
    test('every row the imports wrote refers to rows that exist', { skip: backend !== 'sqlite' }, () => {
        assert.ok(Number(server.sql('SELECT COUNT(*) FROM contacts').trim()) > 20);
        assert.equal(server.sql('PRAGMA foreign_key_check').trim(), '');
    });
});
