// Hostile input on every route: each API route of the server (tests/api/lib/routes.mjs walks them
// all) is called by an admin with malformed ids in its path, odd query strings, and bodies that are not
// JSON, not objects, truncated, nested too deep, not UTF-8, full of NULs or far too long. Whatever
// the route, the answer is never a 5xx: it is a 4xx with the JSON error envelope (or a 2xx when the
// input happens to be acceptable). The public pages get the same, anonymously, with broken forms.
// The server is still healthy at the end.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName } from './lib/harness.mjs';
import { ROUTES } from './lib/routes.mjs';

const backend = backendName();

// Values for a {param} path segment, already URL-encoded where they need it.
const IDS = ['0', '-1', '18446744073709551616', '1e3', 'abc', '%00', '%FF', encodeURIComponent('١٢٣'), 'x'.repeat(3000), '1%2F2'];

// Query strings for a GET.
const QUERIES = [
    '?limit=-1', '?limit=99999999999999999999', '?cursor=%FF%FE', `?q=${encodeURIComponent('أ'.repeat(1000))}`,
    '?from=2026-13-45&to=abc', '?status=open&status=nope', '?%00=1', '?reveal=1&reason=', '?since=-5', '?q=%FF', '?%FE=1',
];

// Bodies for a write: bytes, with the Content-Type they are sent under.
const BODIES = [
    { raw: 'not json' },
    { raw: '[]' },
    { raw: '{"a":' },
    { raw: '['.repeat(5000) },
    { raw: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, // {"name":"\xff\xfe"}
    { raw: '{"name":"a\\u0000b","code":"x\\u0000","body":"\\u0000"}' },
    { raw: JSON.stringify({ name: 'ا'.repeat(200000), code: 'x'.repeat(5000), email: 'a@b.c'.repeat(1000) }) },
    { raw: '{"limit":1e400,"priority":99999999999999999999999,"id":-1,"enabled":"yes"}' },
    { raw: '{"name":"x"}', contentType: 'text/plain' },
    { raw: '', contentType: 'application/json' },
];

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// Routes whose side effects would end the caller's own access (sign-out) or that upgrade the
// connection: their hostile input is covered by auth.test.mjs and stream.test.mjs.
const SKIP = /^\/api\/v1\/(auth\/|stream$)/;

function fill(pattern, value) {
    return pattern.replace(/\{[^}]+\}/g, value);
}

describe(`hostile input on every route [${backend}]`, () => {
    let server;
    let admin;

    before(async () => {
        server = await startServer();
        const session = await server.login('admin');
        const t = await session.post('/api/v1/tokens', { name: 'hostile' });
        assert.equal(t.status, 201);
        admin = server.bearer(t.json.token);
    });

    after(async () => {
        await server?.stop();
    });

    for (const route of ROUTES) {
        if (SKIP.test(route.path)) {
            continue;
        }
        test(`${route.method} ${route.path}`, async () => {
            const calls = [];
            const hasParams = route.path.includes('{');
            for (const id of hasParams ? IDS : ['']) {
                const p = hasParams ? fill(route.path, id) : route.path;
                if (WRITES.has(route.method)) {
                    for (const b of BODIES) {
                        calls.push({ p, raw: b.raw, contentType: b.contentType ?? 'application/json' });
                    }
                } else {
                    calls.push({ p });
                    if (!hasParams || id === IDS[0]) {
                        for (const q of QUERIES) {
                            calls.push({ p: p + q });
                        }
                    }
                }
            }
            const bad = [];
            for (const c of calls) {
                const r = await admin.request(route.method, c.p, undefined, c.raw === undefined ? {} : { raw: c.raw, contentType: c.contentType });
                const what = `${route.method} ${c.p.slice(0, 120)}${c.raw === undefined ? '' : ` body ${String(c.raw).slice(0, 40)}`} → ${r.status}`;
                if (r.status >= 500) {
                    bad.push(`${what} ${r.text.slice(0, 200)}`);
                } else if (r.status >= 400 && !(r.json && r.json.error && typeof r.json.error.code === 'string')) {
                    bad.push(`${what} without the error envelope: ${r.text.slice(0, 200)}`);
                }
            }
            assert.deepEqual(bad, []);
        });
    }

    // The public pages (HTML, no envelope; anonymous): never a 5xx either.
    const PORTAL = [
        'GET /contact', 'POST /contact', 'GET /track', 'POST /track', 'POST /track/reply', 'GET /documents',
        'POST /documents/identify', 'POST /documents/send', 'POST /documents/verify', 'GET /documents/services/{code}',
        'POST /documents/services/{code}', 'GET /documents/submissions/{ref}', 'POST /documents/submissions/{ref}/replace/{id}',
        'GET /help', 'GET /help/search', 'GET /help/lines/{code}', 'GET /help/articles/{slug}', 'POST /help/articles/{slug}/feedback',
    ];
    const FORMS = [
        { raw: 'a=%ZZ&b&=&%FF=%FE', contentType: 'application/x-www-form-urlencoded' },
        { raw: `message=${'ا'.repeat(100000)}`, contentType: 'application/x-www-form-urlencoded' },
        { raw: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb', contentType: 'multipart/form-data; boundary=x' },
        { raw: '--\r\n\r\n--', contentType: 'multipart/form-data' },
        { raw: '{"message":"x"}', contentType: 'application/json' },
    ];
    test('the public pages', async () => {
        const anon = server.client();
        const bad = [];
        for (const entry of PORTAL) {
            const [method, pattern] = entry.split(' ');
            const hasParams = pattern.includes('{');
            for (const id of hasParams ? IDS : ['']) {
                const p = hasParams ? fill(pattern, id) : pattern;
                const calls = method === 'GET'
                    ? [{ p }, ...QUERIES.map((q) => ({ p: p + q }))]
                    : FORMS.map((f) => ({ p, ...f }));
                for (const c of calls) {
                    const r = await anon.request(method, c.p, undefined, c.raw === undefined ? {} : { raw: c.raw, contentType: c.contentType });
                    if (r.status >= 500) {
                        bad.push(`${method} ${c.p.slice(0, 120)} → ${r.status} ${r.text.slice(0, 200)}`);
                    }
                }
            }
        }
        assert.deepEqual(bad, []);
    });

    test('the server is still healthy', async () => {
        const r = await server.client().get('/healthz');
        assert.equal(r.status, 200);
        assert.equal(r.json.status, 'ok');
    });
});
