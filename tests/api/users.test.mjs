// User administration: create, read, list with cursor pagination, update.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser, unique, ROLES, show } from './lib/harness.mjs';
import { expectError, expectStatus, expectIsoTime, expectUserShape, sameRoles } from './lib/expect.mjs';

const backend = backendName();

async function listAll(admin, limit) {
    const seen = [];
    let cursor = null;
    for (let page = 0; page < 1000; page++) {
        const q = `/api/v1/users?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const r = await admin.get(q);
        expectStatus(r, 200);
        assert.ok(Array.isArray(r.json.items), show(r));
        assert.ok(r.json.items.length <= limit, `page larger than limit ${limit}: ${show(r)}`);
        assert.ok('next_cursor' in r.json, `no next_cursor: ${show(r)}`);
        seen.push(...r.json.items);
        cursor = r.json.next_cursor;
        if (cursor === null) {
            return seen;
        }
        assert.equal(typeof cursor, 'string', show(r));
        assert.ok(r.json.items.length > 0, `empty page with a next_cursor: ${show(r)}`);
    }
    throw new Error('pagination never ended');
}

describe(`users [${backend}]`, () => {
    let server;
    let admin;

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
    });

    after(async () => {
        await server?.stop();
    });

    test('create → 201 with the user object, without secrets', async () => {
        const email = `${unique('new')}@test.sanad`;
        const r = await admin.post('/api/v1/users',
            { email, name: 'نورة العتيبي', password: 'a-good-password', roles: ['agent', 'supervisor'] });
        expectStatus(r, 201);
        expectUserShape(r.json);
        assert.equal(r.json.email, email);
        assert.equal(r.json.name, 'نورة العتيبي');
        assert.ok(sameRoles(r.json.roles, ['agent', 'supervisor']), show(r));
        assert.equal(r.json.disabled, false);
        expectIsoTime(r.json.created_at, 'created_at');
        assert.ok(!r.text.includes('a-good-password'), 'the password is echoed');
    });

    test('the new user can log in with every role given', async () => {
        const { email, password } = await createUser(admin, { roles: ['service_owner', 'department_staff'] });
        const c = server.client();
        const r = await c.login(email, password);
        expectStatus(r, 200);
        assert.ok(sameRoles(r.json.user.roles, ['service_owner', 'department_staff']), show(r));
    });

    test('create with disabled: true', async () => {
        const { user } = await createUser(admin, { disabled: true });
        assert.equal(user.disabled, true);
    });

    test('GET /api/v1/users/{id} returns what was created', async () => {
        const { user } = await createUser(admin, { roles: ['qa_evaluator'], name: 'Read Back' });
        const r = await admin.get(`/api/v1/users/${user.id}`);
        expectStatus(r, 200);
        expectUserShape(r.json);
        assert.deepEqual(r.json, user);
    });

    test('the role users are there, each with its role', async () => {
        const all = await listAll(admin, 100);
        for (const role of ROLES) {
            const u = all.find((x) => x.email === server.users[role].email);
            assert.ok(u, `${role} user missing from the list`);
            assert.deepEqual(u.roles, [role]);
            expectUserShape(u);
        }
    });

    test('cursor pagination walks every user exactly once', async () => {
        for (let i = 0; i < 5; i++) {
            await createUser(admin);
        }
        const full = await listAll(admin, 100);
        assert.ok(full.length >= 11, `only ${full.length} users`);
        for (const limit of [1, 2, 3, 7]) {
            const paged = await listAll(admin, limit);
            const ids = paged.map((u) => String(u.id));
            assert.equal(new Set(ids).size, ids.length, `duplicates with limit=${limit}: ${ids}`);
            assert.deepEqual(ids, full.map((u) => String(u.id)), `limit=${limit} walks a different list`);
        }
    });

    test('a bad limit or cursor → 400', async () => {
        for (const q of ['limit=abc', 'limit=0', 'limit=100000', 'cursor=abc']) {
            expectError(await admin.get(`/api/v1/users?${q}`), 400);
        }
    });

    test('a NUL byte in a query value is refused, not cut off there', async () => {
        for (const q of ['limit=1%00x', 'cursor=%00%01garbage']) {
            expectError(await admin.get(`/api/v1/users?${q}`), 400);
        }
    });

    test('a NUL byte in the id → 404 (or 400), not the user before it', async () => {
        expectError(await admin.get('/api/v1/users/1%00x'), [400, 404]);
    });

    test('a path or query value that is not UTF-8 → 400 naming why, on either database', async () => {
        for (const p of ['/api/v1/service-lines/%FF', '/api/v1/users?q=%C3%28', '/api/v1/users?%FE=1', '/help/%ED%A0%80']) {
            const r = await admin.get(p);
            expectError(r, 400);
            assert.match(r.json.error.message, /not UTF-8/, p);
        }
        expectStatus(await admin.get(`/api/v1/users?q=${encodeURIComponent('نورة')}`), 200);
    });

    test('PATCH name, roles and disabled → 200 with the updated user', async () => {
        const { user } = await createUser(admin, { roles: ['agent'] });
        let r = await admin.patch(`/api/v1/users/${user.id}`, { name: 'New Name' });
        expectStatus(r, 200);
        assert.equal(r.json.name, 'New Name');
        assert.deepEqual(r.json.roles, ['agent']);

        r = await admin.patch(`/api/v1/users/${user.id}`, { roles: ['supervisor', 'qa_evaluator'] });
        expectStatus(r, 200);
        assert.ok(sameRoles(r.json.roles, ['supervisor', 'qa_evaluator']), show(r));
        assert.equal(r.json.name, 'New Name');

        r = await admin.patch(`/api/v1/users/${user.id}`, { disabled: true });
        expectStatus(r, 200);
        assert.equal(r.json.disabled, true);

        const g = await admin.get(`/api/v1/users/${user.id}`);
        expectStatus(g, 200);
        assert.equal(g.json.name, 'New Name');
        assert.ok(sameRoles(g.json.roles, ['supervisor', 'qa_evaluator']), show(g));
        assert.equal(g.json.disabled, true);
        assert.equal(g.json.email, user.email);
        assert.equal(g.json.created_at, user.created_at);
    });

    test('PATCH with an empty object changes nothing', async () => {
        const { user } = await createUser(admin);
        const r = await admin.patch(`/api/v1/users/${user.id}`, {});
        expectStatus(r, [200, 422]);
        const g = await admin.get(`/api/v1/users/${user.id}`);
        assert.deepEqual(g.json, user);
    });

    test('email cannot be changed by PATCH (unknown field)', async () => {
        const { user } = await createUser(admin);
        expectError(await admin.patch(`/api/v1/users/${user.id}`, { email: 'other@test.sanad' }), 400,
            { field: 'email' });
    });

    test('a non-numeric id → 404 or 400', async () => {
        expectError(await admin.get('/api/v1/users/not-a-number'), [400, 404]);
    });
});
