// Login, sessions, CSRF, brute-force limits, and the ways a session ends.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, createUser, unique, show } from './lib/harness.mjs';
import { expectError, expectStatus, expectUserShape, sameRoles } from './lib/expect.mjs';

const backend = backendName();

function retryAfterSeconds(r) {
    const v = r.headers.get('retry-after');
    assert.ok(v, `no Retry-After: ${show(r)}`);
    assert.match(v, /^\d+$/, `Retry-After is not a number of seconds: ${show(r)}`);
    return Number(v);
}

describe(`auth [${backend}]`, () => {
    let server;
    let admin;

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
    });

    after(async () => {
        await server?.stop();
    });

    describe('login', () => {
        test('returns the user and a CSRF token, and sets the session cookie', async () => {
            const c = server.client();
            const u = server.users.supervisor;
            const r = await c.login(u.email, u.password);
            expectStatus(r, 200);
            expectUserShape(r.json.user);
            assert.equal(r.json.user.email, u.email);
            assert.equal(r.json.user.name, u.name);
            assert.deepEqual(r.json.user.roles, ['supervisor']);
            assert.equal(typeof r.json.csrf_token, 'string');
            assert.ok(r.json.csrf_token.length >= 16, `short csrf token: ${r.json.csrf_token}`);
            const cookie = r.setCookies.find((s) => s.startsWith('sanad_session='));
            assert.ok(cookie, `no sanad_session cookie: ${JSON.stringify(r.setCookies)}`);
            const value = cookie.split(';')[0].slice('sanad_session='.length);
            assert.ok(value.length >= 16, `short session id: ${cookie}`);
            const attrs = cookie.split(';').slice(1).map((s) => s.trim().toLowerCase());
            assert.ok(attrs.includes('httponly'), `cookie not HttpOnly: ${cookie}`);
            assert.ok(attrs.includes('samesite=lax'), `cookie not SameSite=Lax: ${cookie}`);
            assert.ok(attrs.includes('path=/'), `cookie without Path=/: ${cookie}`);
            assert.ok(!attrs.includes('secure'), `Secure cookie without --secure-cookies: ${cookie}`);
            assert.ok(!r.text.includes(value), 'the session id appears in the body');
        });

        test('GET /api/v1/me gives the same user and CSRF token', async () => {
            const c = await server.login('qa_evaluator');
            const r = await c.get('/api/v1/me');
            expectStatus(r, 200);
            expectUserShape(r.json.user);
            assert.equal(r.json.user.email, server.users.qa_evaluator.email);
            assert.deepEqual(r.json.user.roles, ['qa_evaluator']);
            assert.equal(r.json.user.id, c.user.id);
            assert.equal(r.json.csrf_token, c.csrf);
        });

        test('a user with several roles sees them all', async () => {
            const { email, password } = await createUser(admin, { roles: ['agent', 'qa_evaluator'] });
            const c = server.client();
            const r = await c.login(email, password);
            expectStatus(r, 200);
            assert.ok(sameRoles(r.json.user.roles, ['agent', 'qa_evaluator']), show(r));
        });

        test('every login gets a new session id and both sessions work', async () => {
            const a = await server.login('agent');
            const b = await server.login('agent');
            assert.notEqual(a.cookie, b.cookie);
            expectStatus(await a.get('/api/v1/me'), 200);
            expectStatus(await b.get('/api/v1/me'), 200);
        });

        test('a session cookie sent to login is replaced, not reused', async () => {
            const a = await server.login('agent');
            const before = a.cookie;
            const r = await a.post('/api/v1/auth/login', { email: server.users.agent.email,
                password: server.users.agent.password }, { cookie: true });
            expectStatus(r, 200);
            const c = r.setCookies.find((s) => s.startsWith('sanad_session='));
            assert.ok(c, show(r));
            assert.notEqual(c.split(';')[0], before, 'login kept the old session id (session fixation)');
        });

        test('wrong password and unknown user give the same 401', async () => {
            const u = server.users.service_owner;
            const wrong = await server.client().post('/api/v1/auth/login',
                { email: u.email, password: 'not-the-password' });
            const unknown = await server.client().post('/api/v1/auth/login',
                { email: 'nobody-at-all@test.sanad', password: 'not-the-password' });
            const e1 = expectError(wrong, 401);
            const e2 = expectError(unknown, 401);
            assert.deepEqual(e1, e2, `responses differ:\n${show(wrong)}\n${show(unknown)}`);
            assert.equal(wrong.text, unknown.text);
            assert.ok(!wrong.setCookies.some((s) => /sanad_session=[^;]+/.test(s) && !/sanad_session=;/.test(s)),
                `failed login set a session: ${wrong.setCookies}`);
        });

        test('a garbage or forged cookie is anonymous (401)', async () => {
            const c = server.client();
            c.cookie = 'sanad_session=not-a-real-session-id-0123456789';
            expectError(await c.get('/api/v1/me'), 401);
            c.cookie = 'sanad_session=';
            expectError(await c.get('/api/v1/me'), 401);
        });

        test('anonymous GET /api/v1/me → 401', async () => {
            expectError(await server.client().get('/api/v1/me'), 401);
        });
    });

    describe('CSRF', () => {
        let c;
        before(async () => {
            c = await server.login('agent');
        });

        test('cookie POST without X-CSRF-Token → 403 csrf_failed', async () => {
            const r = await c.post('/api/v1/tokens', { name: 'no-csrf' }, { csrf: false });
            expectError(r, 403, { code: 'csrf_failed' });
        });

        test('cookie POST with a wrong X-CSRF-Token → 403 csrf_failed', async () => {
            const r = await c.post('/api/v1/tokens', { name: 'bad-csrf' }, { csrf: `${c.csrf}x` });
            expectError(r, 403, { code: 'csrf_failed' });
            const r2 = await c.post('/api/v1/tokens', { name: 'empty-csrf' }, { csrf: '' });
            expectError(r2, 403, { code: 'csrf_failed' });
        });

        test('the CSRF token of another session is refused', async () => {
            const other = await server.login('agent');
            const r = await c.post('/api/v1/tokens', { name: 'foreign-csrf' }, { csrf: other.csrf });
            expectError(r, 403, { code: 'csrf_failed' });
        });

        test('nothing was created by the refused requests', async () => {
            const r = await c.get('/api/v1/tokens');
            expectStatus(r, 200);
            const names = r.json.items.map((t) => t.name);
            for (const n of ['no-csrf', 'bad-csrf', 'empty-csrf', 'foreign-csrf']) {
                assert.ok(!names.includes(n), `token ${n} was created: ${JSON.stringify(names)}`);
            }
        });

        test('cookie POST with the right X-CSRF-Token succeeds', async () => {
            expectStatus(await c.post('/api/v1/tokens', { name: 'good-csrf' }), 201);
        });

        test('cookie DELETE and PATCH need it too', async () => {
            const t = await c.post('/api/v1/tokens', { name: 'to-delete' });
            expectStatus(t, 201);
            expectError(await c.del(`/api/v1/tokens/${t.json.id}`, undefined, { csrf: false }), 403,
                { code: 'csrf_failed' });
            expectStatus(await c.del(`/api/v1/tokens/${t.json.id}`), 204);

            const { user } = await createUser(admin);
            expectError(await admin.patch(`/api/v1/users/${user.id}`, { name: 'No Csrf' }, { csrf: false }), 403,
                { code: 'csrf_failed' });
            const ok = await admin.patch(`/api/v1/users/${user.id}`, { name: 'With Csrf' });
            expectStatus(ok, 200);
            assert.equal(ok.json.name, 'With Csrf');
        });

        test('logout needs it too', async () => {
            const s = await server.login('agent');
            expectError(await s.post('/api/v1/auth/logout', undefined, { csrf: false }), 403, { code: 'csrf_failed' });
            expectStatus(await s.get('/api/v1/me'), 200);
        });

        test('GET needs no CSRF token', async () => {
            expectStatus(await c.get('/api/v1/me', { headers: { 'x-csrf-token': undefined } }), 200);
        });

        test('a bearer token needs no CSRF token', async () => {
            const t = await c.post('/api/v1/tokens', { name: 'bearer-no-csrf' });
            expectStatus(t, 201);
            const b = server.bearer(t.json.token);
            const r = await b.post('/api/v1/tokens', { name: 'made-by-bearer' });
            expectStatus(r, 201);
            expectStatus(await b.del(`/api/v1/tokens/${r.json.id}`), 204);
        });
    });

    describe('brute-force limits', () => {
        test('10 failed logins lock the account: the 11th try, even right, → 429 + Retry-After', async () => {
            const { email, password } = await createUser(admin, { roles: ['agent'] });
            // Each try from its own address, so only the per-account limit can bite.
            for (let i = 1; i <= 10; i++) {
                const r = await server.client().post('/api/v1/auth/login', { email, password: `wrong-${i}-password` });
                expectError(r, 401);
            }
            const r = await server.client().post('/api/v1/auth/login', { email, password });
            expectError(r, 429);
            const s = retryAfterSeconds(r);
            assert.ok(s >= 1 && s <= 15 * 60, `Retry-After ${s} outside 1..900: ${show(r)}`);
            // Other accounts are not affected, from any address.
            const other = await server.client().login(server.users.supervisor.email, server.users.supervisor.password);
            expectStatus(other, 200);
        });

        test('fewer than 10 failures do not lock the account', async () => {
            const { email, password } = await createUser(admin, { roles: ['agent'] });
            for (let i = 1; i <= 9; i++) {
                expectError(await server.client().post('/api/v1/auth/login', { email, password: `nope-${i}-nope` }), 401);
            }
            expectStatus(await server.client().login(email, password), 200);
        });

        test('30 failed logins from one address: the 31st try from it → 429 + Retry-After', async () => {
            const ip = server.newIp();
            // Each try names a different unknown account, so only the per-address limit can bite.
            for (let i = 1; i <= 30; i++) {
                const r = await server.client({ ip }).post('/api/v1/auth/login',
                    { email: `${unique('ghost')}@test.sanad`, password: 'wrong-password' });
                expectError(r, 401);
            }
            const u = server.users.service_owner;
            const r = await server.client({ ip }).post('/api/v1/auth/login', { email: u.email, password: u.password });
            expectError(r, 429);
            const s = retryAfterSeconds(r);
            assert.ok(s >= 1 && s <= 60, `Retry-After ${s} outside 1..60: ${show(r)}`);
            // The same account from another address is fine: it was the address that was limited.
            expectStatus(await server.client().login(u.email, u.password), 200);
        });
    });

    describe('session lifetime (clock moved back in the database)', () => {
        const MIN = 60 * 1000;

        async function sessionOf(roles = ['agent']) {
            const { user, email, password } = await createUser(admin, { roles });
            const c = server.client();
            expectStatus(await c.login(email, password), 200);
            return { c, id: Number(user.id) };
        }

        test('idle for 29 minutes: still signed in', async () => {
            const { c, id } = await sessionOf();
            server.sql(`UPDATE sessions SET last_seen_at = last_seen_at - ${29 * MIN} WHERE user_id = ${id}`);
            expectStatus(await c.get('/api/v1/me'), 200);
        });

        test('idle for 31 minutes: the session has ended (401)', async () => {
            const { c, id } = await sessionOf();
            server.sql(`UPDATE sessions SET last_seen_at = last_seen_at - ${31 * MIN} WHERE user_id = ${id}`);
            expectError(await c.get('/api/v1/me'), 401);
        });

        test('12 hours after login the session has ended even when active (401)', async () => {
            const { c, id } = await sessionOf();
            server.sql(`UPDATE sessions SET created_at = created_at - ${12 * 60 * MIN + MIN} WHERE user_id = ${id}`);
            expectError(await c.get('/api/v1/me'), 401);
        });
    });

    describe('client address', () => {
        async function loggedIp(r) {
            const rid = r.headers.get('x-request-id');
            const a = await admin.get(`/api/v1/audit?action=auth.login&limit=100`);
            expectStatus(a, 200);
            const row = a.json.items.find((x) => x.request_id === rid);
            assert.ok(row, `no auth.login row for ${rid}`);
            return row.ip;
        }

        test('X-Forwarded-For from the trusted proxy names the client', async () => {
            const c = server.client({ ip: '203.0.113.201' });
            const r = await c.login(server.users.agent.email, server.users.agent.password);
            expectStatus(r, 200);
            assert.equal(await loggedIp(r), '203.0.113.201');
        });

        test('an address the client forged in front of the proxy\'s is not believed', async () => {
            // The client sent "X-Forwarded-For: 198.51.100.99"; the proxy appended the real address.
            const c = server.client({ ip: '198.51.100.99, 203.0.113.202' });
            const r = await c.login(server.users.agent.email, server.users.agent.password);
            expectStatus(r, 200);
            assert.equal(await loggedIp(r), '203.0.113.202');
        });
    });

    describe('ending sessions', () => {
        test('logout → 204, and the cookie no longer works', async () => {
            const c = await server.login('agent');
            const cookie = c.cookie;
            const r = await c.post('/api/v1/auth/logout');
            expectStatus(r, 204);
            c.cookie = cookie; // keep sending the old cookie even if the server cleared it
            expectError(await c.get('/api/v1/me'), 401);
            expectError(await c.post('/api/v1/tokens', { name: 'after-logout' }), 401);
        });

        test('logout ends only that session', async () => {
            const a = await server.login('agent');
            const b = await server.login('agent');
            expectStatus(await a.post('/api/v1/auth/logout'), 204);
            expectStatus(await b.get('/api/v1/me'), 200);
        });

        test('disabling a user ends their sessions and stops their logins', async () => {
            const { user, email, password } = await createUser(admin, { roles: ['agent'] });
            const c1 = server.client();
            expectStatus(await c1.login(email, password), 200);
            const c2 = server.client();
            expectStatus(await c2.login(email, password), 200);
            const r = await admin.patch(`/api/v1/users/${user.id}`, { disabled: true });
            expectStatus(r, 200);
            assert.equal(r.json.disabled, true, show(r));
            expectError(await c1.get('/api/v1/me'), 401);
            expectError(await c2.get('/api/v1/me'), 401);
            expectError(await server.client().post('/api/v1/auth/login', { email, password }), 401);
            // Enabled again, they can log in again.
            expectStatus(await admin.patch(`/api/v1/users/${user.id}`, { disabled: false }), 200);
            expectStatus(await server.client().login(email, password), 200);
        });

        test('a user created disabled cannot log in', async () => {
            const { email, password } = await createUser(admin, { roles: ['agent'], disabled: true });
            expectError(await server.client().post('/api/v1/auth/login', { email, password }), 401);
        });

        test('a password change ends their sessions; the old password stops working', async () => {
            const { user, email, password } = await createUser(admin, { roles: ['supervisor'] });
            const c = server.client();
            expectStatus(await c.login(email, password), 200);
            const newPassword = 'a-brand-new-password';
            expectStatus(await admin.patch(`/api/v1/users/${user.id}`, { password: newPassword }), 200);
            expectError(await c.get('/api/v1/me'), 401);
            expectError(await server.client().post('/api/v1/auth/login', { email, password }), 401);
            expectStatus(await server.client().login(email, newPassword), 200);
        });

        test('a name change does not end sessions', async () => {
            const { user, email, password } = await createUser(admin, { roles: ['agent'] });
            const c = server.client();
            expectStatus(await c.login(email, password), 200);
            expectStatus(await admin.patch(`/api/v1/users/${user.id}`, { name: 'Still Signed In' }), 200);
            const me = await c.get('/api/v1/me');
            expectStatus(me, 200);
            assert.equal(me.json.user.name, 'Still Signed In');
        });

        test('a role change applies to the live session at once', async () => {
            const { user, email, password } = await createUser(admin, { roles: ['agent'] });
            const c = server.client();
            expectStatus(await c.login(email, password), 200);
            expectError(await c.get('/api/v1/users'), 403);
            expectStatus(await admin.patch(`/api/v1/users/${user.id}`, { roles: ['admin'] }), 200);
            // Either the session now carries admin rights, or it was ended; never stale rights.
            const r = await c.get('/api/v1/users');
            expectStatus(r, [200, 401]);
            expectStatus(await admin.patch(`/api/v1/users/${user.id}`, { roles: ['agent'] }), 200);
            const r2 = await c.get('/api/v1/users');
            expectStatus(r2, [401, 403]);
        });
    });
});

describe(`client address without a trusted proxy [${backend}]`, () => {
    let server;

    before(async () => {
        server = await startServer({ trustedProxies: '' });
    });

    after(async () => {
        await server?.stop();
    });

    test('X-Forwarded-For is ignored: the address is the peer\'s', async () => {
        const c = server.client({ ip: '203.0.113.77' });
        const r = await c.login(server.users.admin.email, server.users.admin.password);
        expectStatus(r, 200);
        const a = await c.get('/api/v1/audit?action=auth.login&limit=100');
        expectStatus(a, 200);
        const row = a.json.items.find((x) => x.request_id === r.headers.get('x-request-id'));
        assert.ok(row, show(a));
        assert.equal(row.ip, '127.0.0.1');
    });
});
