// Every route × every role, by session cookie and by bearer token: an allowed role gets the route's
// 2xx (or 101), any other role 403, and anonymous 401 — all with the error envelope. Where an allowed
// role is limited to its own data (route.outside), it gets that error on someone else's.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, ROLES, createUser, show } from './lib/harness.mjs';
import { ROUTES, allowed } from './lib/routes.mjs';
import { expectError, expectStatus } from './lib/expect.mjs';

const backend = backendName();

describe(`route × role matrix [${backend}]`, () => {
    let server;
    let admin;
    const ids = {};
    const cookieClients = {};
    const bearerClients = {};

    before(async () => {
        server = await startServer();
        for (const role of ROLES) {
            const c = await server.login(role);
            cookieClients[role] = c;
            ids[role] = c.user.id;
            const t = await c.post('/api/v1/tokens', { name: `matrix-${role}` });
            if (t.status !== 201) {
                throw new Error(`set-up: token for ${role}: ${show(t)}`);
            }
            bearerClients[role] = server.bearer(t.json.token);
        }
        admin = cookieClients.admin;
        ids.scratch = (await createUser(admin, { roles: ['agent'] })).user.id;
    });

    after(async () => {
        await server?.stop();
    });

    // A route the server serves but the matrix does not walk would go unchecked: the served
    // OpenAPI document (made from the server's route table) names every one.
    test('the matrix walks every route of the server', async () => {
        const r = await server.client().get('/api/v1/openapi.json');
        expectStatus(r, 200);
        const known = new Set(ROUTES.map((x) => `${x.method} ${x.path}`));
        const missing = [];
        for (const [p, item] of Object.entries(r.json.paths)) {
            for (const method of Object.keys(item)) {
                if (!known.has(`${method.toUpperCase()} ${p}`)) {
                    missing.push(`${method.toUpperCase()} ${p}`);
                }
            }
        }
        assert.deepEqual(missing, [], `routes missing from tests/api/lib/routes.mjs: ${missing.join(', ')}`);
    });

    for (const route of ROUTES) {
        const callers = [];
        for (const role of ROLES) {
            callers.push({ role, via: 'cookie' });
            if (route.bearer !== false) {
                callers.push({ role, via: 'bearer' });
            }
        }
        callers.push({ role: null, via: 'anonymous' });

        for (const { role, via } of callers) {
            const ok = allowed(route, role);
            const want = ok ? route.expect : role === null ? 401 : 403;
            const who = role === null ? 'anonymous' : `${role} (${via})`;
            test(`${route.method} ${route.path} as ${who} → ${want}`, async () => {
                let caller = null;
                if (role !== null) {
                    caller = via === 'cookie' ? cookieClients[role] : bearerClients[role];
                }
                const ctx = { server, admin, caller, role, ids, via };
                const prep = route.prepare ? await route.prepare(ctx) : {};
                const client = prep.client ?? caller ?? server.client();
                const r = route.call ? await route.call({ ...ctx, caller: client }, prep)
                    : await client.request(route.method, prep.path ?? route.path, prep.body);
                if (ok) {
                    expectStatus(r, want);
                } else {
                    expectError(r, want);
                }
            });
        }

        for (const out of route.outside ?? []) {
            for (const role of out.roles) {
                for (const via of ['cookie', 'bearer']) {
                    test(`${route.method} ${route.path} as ${role} (${via}) on ${out.why} → ${out.expect}`, async () => {
                        assert.ok(allowed(route, role), `${role} is not allowed on ${route.path} at all`);
                        const caller = via === 'cookie' ? cookieClients[role] : bearerClients[role];
                        const ctx = { server, admin, caller, role, ids, via };
                        const prep = await out.prepare(ctx);
                        const r = route.call ? await route.call(ctx, prep)
                            : await caller.request(route.method, prep.path ?? route.path, prep.body);
                        expectError(r, out.expect);
                    });
                }
            }
        }
    }
});
