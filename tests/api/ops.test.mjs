// Operations: /healthz, /metrics, the OpenAPI document, graceful shutdown.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, show } from './lib/harness.mjs';
import { expectStatus } from './lib/expect.mjs';
import { ROUTES } from './lib/routes.mjs';

const backend = backendName();

describe(`operations [${backend}]`, () => {
    let server;
    let anon;

    before(async () => {
        server = await startServer();
        anon = server.client();
    });

    after(async () => {
        await server?.stop();
    });

    test('GET /healthz reports ok, the backend and a version', async () => {
        const r = await anon.get('/healthz');
        expectStatus(r, 200);
        assert.equal(r.json?.status, 'ok', show(r));
        assert.equal(r.json.db, backend, show(r));
        assert.equal(typeof r.json.version, 'string', show(r));
        assert.ok(r.json.version.length > 0, show(r));
    });

    describe('/metrics', () => {
        test('Prometheus text with requests, latency histogram and open connections', async () => {
            // Some traffic of known kinds first.
            await anon.get('/healthz');
            await anon.get('/api/v1/me');
            await anon.get('/no-such-path');
            const r = await anon.get('/metrics');
            expectStatus(r, 200);
            assert.match(r.headers.get('content-type') || '', /^text\/plain/, show(r));
            const t = r.text;
            for (const name of ['sanad_http_requests_total', 'sanad_http_request_duration_seconds_bucket',
                'sanad_http_open_connections']) {
                assert.match(t, new RegExp(`^${name}(\\{[^}]*\\})? [0-9.eE+-]+$`, 'm'), `no ${name} sample in:\n${t}`);
            }
            assert.match(t, /^# TYPE sanad_http_requests_total counter$/m, t);
            assert.match(t, /^# TYPE sanad_http_request_duration_seconds histogram$/m, t);
            assert.match(t, /^# TYPE sanad_http_open_connections gauge$/m, t);
            assert.match(t, /^sanad_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/m, t);
            assert.match(t, /^sanad_http_request_duration_seconds_count(\{[^}]*\})? \d+/m, t);
            assert.match(t, /^sanad_http_request_duration_seconds_sum(\{[^}]*\})? [0-9.eE+-]+/m, t);
        });

        test('requests are counted by route and status', async () => {
            const sum = (text, re) => text.split('\n').filter((l) => l.startsWith('sanad_http_requests_total'))
                .filter((l) => re.test(l)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
            await anon.get('/api/v1/users/12345');
            await anon.get('/unknown-path-zzz');
            const before = (await anon.get('/metrics')).text;
            for (let i = 0; i < 3; i++) {
                await anon.get('/healthz');
            }
            const after = (await anon.get('/metrics')).text;
            const re = /healthz.*(status|code)="200"|(status|code)="200".*healthz/;
            assert.ok(sum(after, re) - sum(before, re) >= 3,
                `healthz 200 count did not grow by 3:\n${after.split('\n').filter((l) => /requests_total/.test(l)).join('\n')}`);
            const notFound = /(status|code)="404"/;
            assert.ok(sum(after, notFound) >= 1, 'no 404 counted');
            // Labels carry route patterns, never raw ids or unknown paths (unbounded label values).
            assert.doesNotMatch(after, /\/api\/v1\/users\/\d+/, 'a raw id in a metric label');
            assert.doesNotMatch(after, /unknown-path-zzz/, 'an unknown path as a metric label');
        });

        test('all label values are quoted and lines are well formed', async () => {
            const t = (await anon.get('/metrics')).text;
            for (const line of t.split('\n')) {
                if (line === '' || line.startsWith('#')) {
                    continue;
                }
                assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? [^ ]+( \d+)?$/,
                    `malformed line: ${line}`);
            }
        });
    });

    describe('/api/v1/openapi.json', () => {
        let doc;

        before(async () => {
            const r = await anon.get('/api/v1/openapi.json');
            expectStatus(r, 200);
            assert.match(r.headers.get('content-type') || '', /json/);
            doc = r.json;
        });

        test('is an OpenAPI 3.1 document', () => {
            assert.ok(doc && typeof doc === 'object', 'not JSON');
            assert.match(String(doc.openapi), /^3\.1\.\d+$/, `openapi: ${doc.openapi}`);
            assert.equal(typeof doc.info?.title, 'string');
            assert.equal(typeof doc.info?.version, 'string');
            assert.ok(doc.paths && typeof doc.paths === 'object');
        });

        test('lists every route the tests use, with its method', () => {
            const missing = [];
            for (const r of ROUTES) {
                const item = doc.paths[r.path];
                if (!item || !item[r.method.toLowerCase()]) {
                    missing.push(`${r.method} ${r.path}`);
                }
            }
            assert.deepEqual(missing, [], `not in openapi.json: ${missing.join(', ')}; it has: ` +
                Object.keys(doc.paths).join(', '));
        });

        test('every operation has responses, and paths use {param} templates', () => {
            const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
            for (const [p, item] of Object.entries(doc.paths)) {
                assert.ok(p.startsWith('/'), `path ${p}`);
                assert.doesNotMatch(p, /:[a-z]/, `path ${p} uses :param instead of {param}`);
                const params = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
                for (const m of methods) {
                    const op = item[m];
                    if (!op) {
                        continue;
                    }
                    assert.ok(op.responses && Object.keys(op.responses).length > 0, `${m} ${p} has no responses`);
                    for (const name of params) {
                        const declared = [...(item.parameters || []), ...(op.parameters || [])]
                            .some((x) => x.$ref || (x.in === 'path' && x.name === name));
                        assert.ok(declared, `${m} ${p}: path parameter ${name} not declared`);
                    }
                }
            }
        });

        test('$refs resolve inside the document', () => {
            const refs = [];
            const walk = (v) => {
                if (Array.isArray(v)) {
                    v.forEach(walk);
                } else if (v && typeof v === 'object') {
                    for (const [k, x] of Object.entries(v)) {
                        if (k === '$ref' && typeof x === 'string') {
                            refs.push(x);
                        } else {
                            walk(x);
                        }
                    }
                }
            };
            walk(doc);
            for (const ref of refs) {
                assert.match(ref, /^#\//, `external ref ${ref}`);
                let node = doc;
                for (const part of ref.slice(2).split('/')) {
                    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
                }
                assert.ok(node !== undefined, `unresolved $ref ${ref}`);
            }
        });

        test('describes the error envelope', () => {
            const text = JSON.stringify(doc);
            assert.match(text, /"error"/, 'no error schema');
            assert.match(text, /"code"/);
            assert.match(text, /"message"/);
        });

        test('every documented operation is routed (not 404/405)', async () => {
            const methods = ['get', 'put', 'post', 'delete', 'patch'];
            for (const [p, item] of Object.entries(doc.paths)) {
                for (const m of methods) {
                    if (!item[m]) {
                        continue;
                    }
                    const concrete = p.replace(/\{[^}]+\}/g, '1');
                    const r = await server.client().request(m.toUpperCase(), concrete, m === 'get' || m === 'delete' ? undefined : {});
                    assert.notEqual(r.status, 405, `${m.toUpperCase()} ${p} is documented but not routed: ${show(r)}`);
                    if (concrete === p) {
                        assert.notEqual(r.status, 404, `${m.toUpperCase()} ${p} is documented but not routed: ${show(r)}`);
                    }
                }
            }
        });
    });
});

describe(`access log [${backend}]`, () => {
    let server;

    before(async () => {
        server = await startServer({ accessLog: true });
    });

    after(async () => {
        await server?.stop();
    });

    test('one JSON line per request, without secrets, personal data or query values', async () => {
        const admin = await server.login('admin');
        const t = await admin.post('/api/v1/tokens', { name: 'log-token' });
        expectStatus(t, 201);
        const b = server.bearer(t.json.token);
        const responses = [
            admin.last,
            t,
            await b.get('/api/v1/me'),
            await admin.get('/api/v1/users?limit=2&cursor=c2VjcmV0LXF1ZXJ5LXZhbHVl'),
            await server.client().post('/api/v1/auth/login',
                { email: 'someone.private@test.sanad', password: 'wrong-secret-password' }),
            await server.client().get('/no-such-path?name=private-query-value'),
        ];
        // The log is written after the response; give it a moment.
        let lines = [];
        for (let i = 0; i < 50; i++) {
            lines = server.logs().split('\n').filter((l) => l.startsWith('{'))
                .map((l) => { try { return JSON.parse(l); } catch { return null; } })
                .filter((x) => x && x.request_id);
            if (responses.every((r) => lines.some((x) => x.request_id === r.headers.get('x-request-id')))) {
                break;
            }
            await new Promise((res) => setTimeout(res, 100));
        }
        for (const r of responses) {
            const rid = r.headers.get('x-request-id');
            const mine = lines.filter((x) => x.request_id === rid);
            assert.equal(mine.length, 1, `access-log lines for ${show(r)}: ${JSON.stringify(mine)}`);
            const l = mine[0];
            assert.equal(l.method, r.method);
            assert.equal(l.status, r.status);
            assert.equal(typeof l.path, 'string');
            assert.equal(l.path, r.path.split('?')[0], `path in ${JSON.stringify(l)}`);
            const dur = l.ms ?? l.duration_ms ?? l.duration;
            assert.equal(typeof dur, 'number', `no duration in ${JSON.stringify(l)}`);
        }
        const authed = lines.find((x) => x.request_id === responses[2].headers.get('x-request-id'));
        assert.ok(String(authed.user_id) === String(admin.user.id), `user id in ${JSON.stringify(authed)}`);
        const text = server.logs();
        const secrets = [server.users.admin.password, server.users.admin.email, 'someone.private', 'wrong-secret-password',
            t.json.token, admin.cookie.split('=')[1], admin.csrf, 'c2VjcmV0LXF1ZXJ5LXZhbHVl', 'private-query-value'];
        for (const sec of secrets) {
            assert.ok(!text.includes(sec), `the server log contains ${JSON.stringify(sec)}`);
        }
    });
});

describe(`graceful shutdown [${backend}]`, () => {
    test('SIGTERM stops the server with exit 0 and the database stays consistent', async () => {
        const server = await startServer();
        try {
            const admin = await server.login('admin');
            expectStatus(await admin.get('/api/v1/me'), 200);
            const { code, signal, forced } = await server.terminate();
            assert.equal(forced, false, `needed SIGKILL after SIGTERM; output:\n${server.logs()}`);
            assert.equal(signal, null, `killed by ${signal}; output:\n${server.logs()}`);
            assert.equal(code, 0, `exit ${code}; output:\n${server.logs()}`);
            const v = server.cli(['audit', 'verify', '--db', server.db]);
            assert.equal(v.code, 0, v.stdout + v.stderr);
        } finally {
            await server.stop();
        }
    });
});
