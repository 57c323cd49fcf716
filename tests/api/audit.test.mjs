// The audit log: a row for each audited action with actor, address and request id; filters and cursor
// pagination; `sanad audit verify` accepts the chain and names a row altered in the database.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser, show } from './lib/harness.mjs';
import { expectStatus, expectIsoTime } from './lib/expect.mjs';

const backend = backendName();

const FIELDS = ['id', 'seq', 'at', 'actor_id', 'actor', 'action', 'object_type', 'object_id', 'ip', 'request_id',
    'detail'];

function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
        if (v !== undefined && v !== null) {
            q.set(k, String(v));
        }
    }
    const s = q.toString();
    return `/api/v1/audit${s ? `?${s}` : ''}`;
}

async function auditPage(admin, params) {
    const r = await admin.get(query(params));
    expectStatus(r, 200);
    assert.ok(Array.isArray(r.json.items), show(r));
    assert.ok('next_cursor' in r.json, `no next_cursor: ${show(r)}`);
    return r.json;
}

// Every row matching params, newest first, walking the cursor.
async function auditAll(admin, params = {}, limit = 50) {
    const rows = [];
    let cursor;
    for (let i = 0; i < 1000; i++) {
        const page = await auditPage(admin, { ...params, limit, cursor });
        assert.ok(page.items.length <= limit, `page over limit ${limit}`);
        rows.push(...page.items);
        if (page.next_cursor === null) {
            return rows;
        }
        assert.equal(typeof page.next_cursor, 'string');
        cursor = page.next_cursor;
    }
    throw new Error('audit pagination never ended');
}

// The row written by the request that got response r (matched on X-Request-Id).
async function rowFor(admin, r, action) {
    const rid = r.headers.get('x-request-id');
    assert.ok(rid, `no X-Request-Id: ${show(r)}`);
    const rows = await auditAll(admin, { action }, 100);
    const mine = rows.filter((x) => x.request_id === rid);
    assert.equal(mine.length, 1,
        `expected one ${action} row with request_id ${rid}, found ${mine.length}; latest: ` +
        JSON.stringify(rows.slice(0, 3)));
    const row = mine[0];
    for (const f of FIELDS) {
        assert.ok(f in row, `audit row without ${f}: ${JSON.stringify(row)}`);
    }
    assert.equal(row.action, action);
    expectIsoTime(row.at, 'audit at');
    assert.ok(Number.isInteger(row.seq) && row.seq > 0, `seq: ${JSON.stringify(row)}`);
    return row;
}

function sameId(a, b) {
    return String(a) === String(b);
}

describe(`audit log [${backend}]`, () => {
    let server;
    let admin;

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
    });

    after(async () => {
        await server?.stop();
    });

    describe('rows for each action', () => {
        test('auth.login: actor, address, request id', async () => {
            const c = server.client();
            const u = server.users.supervisor;
            const r = await c.login(u.email, u.password);
            expectStatus(r, 200);
            const row = await rowFor(admin, r, 'auth.login');
            assert.ok(sameId(row.actor_id, r.json.user.id), JSON.stringify(row));
            assert.ok(typeof row.actor === 'string' && row.actor.length > 0, JSON.stringify(row));
            assert.equal(row.ip, c.ip);
        });

        test('auth.login_failed for a wrong password and for an unknown user, without the password', async () => {
            const c = server.client();
            const r = await c.post('/api/v1/auth/login',
                { email: server.users.agent.email, password: 'secret-guess-123' });
            expectStatus(r, 401);
            const row = await rowFor(admin, r, 'auth.login_failed');
            assert.equal(row.ip, c.ip);

            const c2 = server.client();
            const r2 = await c2.post('/api/v1/auth/login', { email: 'ghost@test.sanad', password: 'secret-guess-456' });
            expectStatus(r2, 401);
            const row2 = await rowFor(admin, r2, 'auth.login_failed');
            assert.equal(row2.ip, c2.ip);

            const all = await admin.get(query({ action: 'auth.login_failed', limit: 100 }));
            assert.ok(!all.text.includes('secret-guess'), 'a tried password is in the audit log');
        });

        test('auth.logout', async () => {
            const c = await server.login('agent');
            const r = await c.post('/api/v1/auth/logout');
            expectStatus(r, 204);
            const row = await rowFor(admin, r, 'auth.logout');
            assert.ok(sameId(row.actor_id, c.user.id), JSON.stringify(row));
            assert.equal(row.ip, c.ip);
        });

        test('user.create names the admin and the new user', async () => {
            const r = await admin.post('/api/v1/users',
                { email: 'audited@test.sanad', name: 'Audited', password: 'audited-password', roles: ['agent'] });
            expectStatus(r, 201);
            const row = await rowFor(admin, r, 'user.create');
            assert.ok(sameId(row.actor_id, admin.user.id), JSON.stringify(row));
            assert.ok(row.object_type.length > 0, JSON.stringify(row));
            assert.ok(sameId(row.object_id, r.json.id), JSON.stringify(row));
            assert.equal(row.ip, admin.ip);
            const text = JSON.stringify(row);
            assert.ok(!text.includes('audited-password'), `password in audit row: ${text}`);
        });

        test('user.update for name, roles, disabled and password, without the password', async () => {
            const { user } = await createUser(admin, { roles: ['agent'] });
            for (const change of [{ name: 'Changed' }, { roles: ['supervisor'] }, { disabled: true },
                { password: 'changed-password-99' }]) {
                const r = await admin.patch(`/api/v1/users/${user.id}`, change);
                expectStatus(r, 200);
                const row = await rowFor(admin, r, 'user.update');
                assert.ok(sameId(row.actor_id, admin.user.id), JSON.stringify(row));
                assert.ok(sameId(row.object_id, user.id), JSON.stringify(row));
                assert.equal(row.ip, admin.ip);
                assert.ok(!JSON.stringify(row).includes('changed-password-99'), `password in ${JSON.stringify(row)}`);
            }
        });

        test('token.create and token.revoke, without the token', async () => {
            const c = await server.login('department_staff');
            const r = await c.post('/api/v1/tokens', { name: 'audited token' });
            expectStatus(r, 201);
            const row = await rowFor(admin, r, 'token.create');
            assert.ok(sameId(row.actor_id, c.user.id), JSON.stringify(row));
            assert.ok(sameId(row.object_id, r.json.id), JSON.stringify(row));
            assert.equal(row.ip, c.ip);
            assert.ok(!JSON.stringify(row).includes(r.json.token), 'token value in the audit log');

            const d = await c.del(`/api/v1/tokens/${r.json.id}`);
            expectStatus(d, 204);
            const row2 = await rowFor(admin, d, 'token.revoke');
            assert.ok(sameId(row2.actor_id, c.user.id), JSON.stringify(row2));
            assert.ok(sameId(row2.object_id, r.json.id), JSON.stringify(row2));
        });

        test('a request authenticated by bearer token is audited with its owner', async () => {
            const c = await server.login('service_owner');
            const t = await c.post('/api/v1/tokens', { name: 'bearer audit' });
            expectStatus(t, 201);
            const b = server.bearer(t.json.token);
            const r = await b.post('/api/v1/tokens', { name: 'made by bearer' });
            expectStatus(r, 201);
            const row = await rowFor(admin, r, 'token.create');
            assert.ok(sameId(row.actor_id, c.user.id), JSON.stringify(row));
            assert.equal(row.ip, b.ip);
        });

        test('rejected requests write no success rows', async () => {
            const before = await auditAll(admin, { action: 'user.create' }, 100);
            const agent = await server.login('agent');
            expectStatus(await agent.post('/api/v1/users',
                { email: 'never@test.sanad', name: 'Never', password: 'never-password', roles: ['agent'] }), 403);
            expectStatus(await admin.post('/api/v1/users',
                { email: 'never@test.sanad', name: 'Never', password: 'short', roles: ['agent'] }), 422);
            const after = await auditAll(admin, { action: 'user.create' }, 100);
            assert.equal(after.length, before.length);
        });
    });

    describe('listing', () => {
        test('newest first, seq strictly decreasing', async () => {
            const rows = await auditAll(admin, {}, 100);
            assert.ok(rows.length >= 10, `only ${rows.length} rows`);
            for (let i = 1; i < rows.length; i++) {
                assert.ok(rows[i - 1].seq > rows[i].seq, `order broken at ${i}: ${rows[i - 1].seq}, ${rows[i].seq}`);
            }
            const seqs = server.sql('SELECT seq FROM audit_log ORDER BY seq DESC').trim().split('\n').map(Number);
            assert.deepEqual(rows.map((r) => r.seq), seqs, 'the API list differs from the table');
        });

        test('filter by action', async () => {
            const rows = await auditAll(admin, { action: 'auth.login' }, 100);
            assert.ok(rows.length >= 3);
            assert.ok(rows.every((r) => r.action === 'auth.login'), JSON.stringify(rows.map((r) => r.action)));
            const none = await auditAll(admin, { action: 'no.such.action' }, 100);
            assert.equal(none.length, 0);
        });

        test('filter by actor (user id)', async () => {
            const rows = await auditAll(admin, { actor: admin.user.id }, 100);
            assert.ok(rows.length >= 3, `admin has only ${rows.length} rows`);
            assert.ok(rows.every((r) => sameId(r.actor_id, admin.user.id)), JSON.stringify(rows.map((r) => r.actor_id)));
            const all = await auditAll(admin, {}, 100);
            assert.equal(rows.length, all.filter((r) => sameId(r.actor_id, admin.user.id)).length);
        });

        test('filter by object type and id', async () => {
            const { user } = await createUser(admin);
            expectStatus(await admin.patch(`/api/v1/users/${user.id}`, { name: 'Object Filter' }), 200);
            const created = (await auditAll(admin, { action: 'user.create' }, 100))
                .find((r) => sameId(r.object_id, user.id));
            assert.ok(created, 'no user.create row for the user');
            const rows = await auditAll(admin, { object_type: created.object_type, object_id: user.id }, 100);
            assert.ok(rows.length >= 2, JSON.stringify(rows));
            assert.ok(rows.every((r) => r.object_type === created.object_type && sameId(r.object_id, user.id)),
                JSON.stringify(rows));
            assert.deepEqual(rows.map((r) => r.action).sort(), ['user.create', 'user.update']);
        });

        test('filters combine', async () => {
            const rows = await auditAll(admin, { actor: admin.user.id, action: 'user.create' }, 100);
            assert.ok(rows.length >= 1);
            assert.ok(rows.every((r) => r.action === 'user.create' && sameId(r.actor_id, admin.user.id)));
        });

        test('cursor pagination walks every row exactly once', async () => {
            for (let i = 0; i < 6; i++) {
                await server.login('qa_evaluator');
            }
            const full = await auditAll(admin, {}, 100);
            for (const limit of [1, 4, 7]) {
                const paged = await auditAll(admin, {}, limit);
                assert.deepEqual(paged.map((r) => r.seq), full.map((r) => r.seq), `limit=${limit}`);
            }
            const logins = await auditAll(admin, { action: 'auth.login' }, 100);
            const pagedLogins = await auditAll(admin, { action: 'auth.login' }, 3);
            assert.deepEqual(pagedLogins.map((r) => r.seq), logins.map((r) => r.seq), 'filtered, limit=3');
        });

        test('first page with a small limit has a next_cursor', async () => {
            const page = await auditPage(admin, { limit: 2 });
            assert.equal(page.items.length, 2);
            assert.equal(typeof page.next_cursor, 'string');
        });
    });

    describe('audit verify', () => {
        test('an intact chain verifies: exit 0, "audit chain ok: N rows"', async () => {
            const n = Number(server.sql('SELECT count(*) FROM audit_log').trim());
            assert.ok(n > 10);
            const r = server.cli(['audit', 'verify', '--db', server.db]);
            assert.equal(r.code, 0, `exit ${r.code}: ${r.stdout}${r.stderr}`);
            assert.match(r.stdout, new RegExp(`^audit chain ok: ${n} rows$`, 'm'), r.stdout + r.stderr);
        });

        test('a row altered in the database is named: exit 1, "audit chain broken at row SEQ"', async () => {
            const seqs = server.sql('SELECT seq FROM audit_log ORDER BY seq').trim().split('\n').map(Number);
            const seq = seqs[Math.floor(seqs.length / 2)];
            server.sql(`UPDATE audit_log SET ip = '192.0.2.254' WHERE seq = ${seq}`);
            const r = server.cli(['audit', 'verify', '--db', server.db]);
            assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout}${r.stderr}`);
            assert.match(r.stdout + r.stderr, new RegExp(`audit chain broken at row ${seq}\\b`), r.stdout + r.stderr);
        });
    });
});

describe(`audit verify, other kinds of tampering [${backend}]`, () => {
    let server;

    before(async () => {
        server = await startServer();
        for (let i = 0; i < 4; i++) {
            await server.login(i % 2 ? 'agent' : 'admin');
        }
    });

    after(async () => {
        await server?.stop();
    });

    const seqs = () => server.sql('SELECT seq FROM audit_log ORDER BY seq').trim().split('\n').map(Number);
    const verify = () => server.cli(['audit', 'verify', '--db', server.db]);

    test('the chain verifies before tampering', () => {
        const r = verify();
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^audit chain ok: \d+ rows$/m);
    });

    test('a changed detail in the first row is named', () => {
        const s = seqs();
        server.sql(`UPDATE audit_log SET detail = '{"forged":true}' WHERE seq = ${s[0]}`);
        const r = verify();
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stdout + r.stderr, new RegExp(`audit chain broken at row ${s[0]}\\b`));
    });
});

describe(`audit verify, a deleted row [${backend}]`, () => {
    let server;

    before(async () => {
        server = await startServer();
        for (let i = 0; i < 4; i++) {
            await server.login('supervisor');
        }
    });

    after(async () => {
        await server?.stop();
    });

    test('deleting a row from the middle breaks the chain there', () => {
        const s = server.sql('SELECT seq FROM audit_log ORDER BY seq').trim().split('\n').map(Number);
        assert.ok(s.length >= 3, `rows: ${s}`);
        const gone = s[1];
        server.sql(`DELETE FROM audit_log WHERE seq = ${gone}`);
        const r = server.cli(['audit', 'verify', '--db', server.db]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        // The gap is at `gone`; the first row that no longer links is the one after it.
        const m = (r.stdout + r.stderr).match(/audit chain broken at row (\d+)/);
        assert.ok(m, r.stdout + r.stderr);
        assert.ok([gone, s[2]].includes(Number(m[1])), `named row ${m[1]}, expected ${gone} or ${s[2]}`);
    });
});
