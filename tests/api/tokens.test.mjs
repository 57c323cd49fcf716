// API tokens: created once with the value shown once, used as bearer, listed without values, revoked.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser, show } from './lib/harness.mjs';
import { expectError, expectStatus, expectIsoTime, sameRoles } from './lib/expect.mjs';

const backend = backendName();

describe(`API tokens [${backend}]`, () => {
    let server;
    let agent;

    before(async () => {
        server = await startServer();
        agent = await server.login('agent');
    });

    after(async () => {
        await server?.stop();
    });

    test('create → 201 with id, name, token and created_at', async () => {
        const r = await agent.post('/api/v1/tokens', { name: 'integration one' });
        expectStatus(r, 201);
        const t = r.json;
        assert.ok(t.id !== undefined && t.id !== null, show(r));
        assert.equal(t.name, 'integration one');
        assert.equal(typeof t.token, 'string');
        assert.ok(t.token.length >= 20, `token too short: ${t.token}`);
        expectIsoTime(t.created_at, 'created_at');
    });

    test('two tokens differ', async () => {
        const a = await agent.post('/api/v1/tokens', { name: 'a' });
        const b = await agent.post('/api/v1/tokens', { name: 'b' });
        expectStatus(a, 201);
        expectStatus(b, 201);
        assert.notEqual(a.json.token, b.json.token);
        assert.notEqual(a.json.id, b.json.id);
    });

    test('the token authenticates as its owner, with the owner\'s roles only', async () => {
        const r = await agent.post('/api/v1/tokens', { name: 'as-agent' });
        expectStatus(r, 201);
        const b = server.bearer(r.json.token);
        const me = await b.get('/api/v1/me');
        expectStatus(me, 200);
        assert.equal(me.json.user.id, agent.user.id);
        assert.equal(me.json.user.email, server.users.agent.email);
        assert.ok(sameRoles(me.json.user.roles, ['agent']), show(me));
        expectError(await b.get('/api/v1/users'), 403);
        expectError(await b.get('/api/v1/audit'), 403);
    });

    test('a bearer request sets no session cookie', async () => {
        const r = await agent.post('/api/v1/tokens', { name: 'no-cookie' });
        const b = server.bearer(r.json.token);
        const me = await b.get('/api/v1/me');
        expectStatus(me, 200);
        assert.ok(!me.setCookies.some((s) => s.startsWith('sanad_session=')), JSON.stringify(me.setCookies));
    });

    test('list shows the caller\'s tokens without their values', async () => {
        const made = [];
        for (const name of ['list-1', 'list-2']) {
            const r = await agent.post('/api/v1/tokens', { name });
            expectStatus(r, 201);
            made.push(r.json);
        }
        const r = await agent.get('/api/v1/tokens');
        expectStatus(r, 200);
        assert.ok(Array.isArray(r.json.items), show(r));
        for (const t of made) {
            const item = r.json.items.find((i) => String(i.id) === String(t.id));
            assert.ok(item, `token ${t.id} not listed: ${show(r)}`);
            assert.equal(item.name, t.name);
            assert.equal(item.token, undefined, `listed token has its value: ${JSON.stringify(item)}`);
            assert.ok(!r.text.includes(t.token), 'a token value appears in the list');
        }
        for (const item of r.json.items) {
            for (const k of Object.keys(item)) {
                assert.doesNotMatch(k, /hash|secret/i, `listed token exposes ${k}`);
            }
        }
    });

    test('another user\'s list does not show them', async () => {
        const r = await agent.post('/api/v1/tokens', { name: 'private-one' });
        expectStatus(r, 201);
        const sup = await server.login('supervisor');
        const l = await sup.get('/api/v1/tokens');
        expectStatus(l, 200);
        assert.ok(!l.json.items.some((i) => String(i.id) === String(r.json.id)), show(l));
    });

    test('revoke → 204, then the token is refused (401)', async () => {
        const r = await agent.post('/api/v1/tokens', { name: 'to-revoke' });
        expectStatus(r, 201);
        const b = server.bearer(r.json.token);
        expectStatus(await b.get('/api/v1/me'), 200);
        expectStatus(await agent.del(`/api/v1/tokens/${r.json.id}`), 204);
        expectError(await b.get('/api/v1/me'), 401);
        expectError(await b.post('/api/v1/tokens', { name: 'after-revoke' }), 401);
    });

    test('a token can revoke itself', async () => {
        const r = await agent.post('/api/v1/tokens', { name: 'self-revoke' });
        const b = server.bearer(r.json.token);
        expectStatus(await b.del(`/api/v1/tokens/${r.json.id}`), 204);
        expectError(await b.get('/api/v1/me'), 401);
    });

    test('a user cannot revoke another user\'s token', async () => {
        const r = await agent.post('/api/v1/tokens', { name: 'not-yours' });
        expectStatus(r, 201);
        const sup = await server.login('supervisor');
        expectError(await sup.del(`/api/v1/tokens/${r.json.id}`), [403, 404]);
        expectStatus(await server.bearer(r.json.token).get('/api/v1/me'), 200);
    });

    test('garbage, empty and malformed Authorization headers → 401', async () => {
        const c = server.client();
        for (const h of ['Bearer nonsense-token-value-0000000000', 'Bearer ', 'Bearer', 'Basic YWRtaW46YWRtaW4=',
            'bearer']) {
            expectError(await c.get('/api/v1/me', { headers: { authorization: h } }), 401);
        }
    });

    test('a token of a user who is then disabled stops working', async () => {
        const admin = await server.login('admin');
        const { user, email, password } = await createUser(admin, { roles: ['agent'] });
        const c = server.client();
        expectStatus(await c.login(email, password), 200);
        const t = await c.post('/api/v1/tokens', { name: 'soon-disabled' });
        expectStatus(t, 201);
        const b = server.bearer(t.json.token);
        expectStatus(await b.get('/api/v1/me'), 200);
        expectStatus(await admin.patch(`/api/v1/users/${user.id}`, { disabled: true }), 200);
        expectError(await b.get('/api/v1/me'), 401);
    });

    test('the token value is not stored in the database', async () => {
        const r = await agent.post('/api/v1/tokens', { name: 'hash-only' });
        expectStatus(r, 201);
        const out = server.sql(`SELECT token_hash FROM api_tokens WHERE id = ${Number(r.json.id)}`).trim();
        assert.ok(out.length > 0, 'token row not found');
        assert.ok(!out.includes(r.json.token), 'token stored in clear');
    });
});
