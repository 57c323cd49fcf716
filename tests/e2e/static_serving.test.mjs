// static_serving.test.mjs — `sanad serve` hands out the built app under /app/: / redirects there,
// files carry their Content-Type, an ETag (If-None-Match → 304) and a cache policy (hashed assets
// immutable, the rest revalidated), client-side routes get index.html, and nothing outside
// web/dist can be reached.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, rawRequest, startServer } from '../api/lib/harness.mjs';
import { expectSecurityHeaders } from '../api/lib/expect.mjs';

const DIST = path.join(ROOT, 'web', 'dist');
const built = fs.existsSync(path.join(DIST, 'index.html'));

describe('the web app served by sanad', { skip: !built && 'web/dist is not built (npm run build)' }, () => {
    let server;
    let anon;
    let asset;

    before(async () => {
        server = await startServer();
        anon = server.client();
        asset = fs.readdirSync(path.join(DIST, 'assets')).find((f) => f.endsWith('.js'));
    });

    after(async () => {
        await server?.stop();
    });

    test('/ and /app redirect to /app/', async () => {
        for (const p of ['/', '/app']) {
            const r = await anon.get(p);
            assert.equal(r.status, 302, p);
            assert.equal(r.headers.get('location'), '/app/');
            expectSecurityHeaders(r);
        }
    });

    test('index.html with the strict CSP, revalidated on every load', async () => {
        const r = await anon.get('/app/');
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.equal(r.headers.get('cache-control'), 'no-cache');
        assert.match(r.headers.get('content-security-policy'), /script-src 'self'; style-src 'self'/);
        assert.ok(r.headers.get('etag'));
        assert.equal(r.text, fs.readFileSync(path.join(DIST, 'index.html'), 'utf8'));
        const again = await anon.get('/app/', { headers: { 'if-none-match': r.headers.get('etag') } });
        assert.equal(again.status, 304);
        assert.equal(again.text, '');
    });

    test('hashed assets are immutable and typed', async () => {
        const r = await anon.get(`/app/assets/${asset}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8');
        assert.match(r.headers.get('cache-control'), /max-age=31536000, immutable/);
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
        const css = fs.readdirSync(path.join(DIST, 'assets')).find((f) => f.endsWith('.css'));
        assert.equal((await anon.get(`/app/assets/${css}`)).headers.get('content-type'), 'text/css; charset=utf-8');
        assert.equal((await anon.get('/app/favicon.svg')).headers.get('content-type'), 'image/svg+xml');
    });

    test('client-side routes get index.html; missing files are 404', async () => {
        for (const p of ['/app/inbox', '/app/inbox/42', '/app/settings/users']) {
            const r = await anon.get(p);
            assert.equal(r.status, 200, p);
            assert.match(r.text, /<div id="app">/);
        }
        const r = await anon.get('/app/assets/nope.js');
        assert.equal(r.status, 404);
        assert.equal(r.json?.error?.code, 'not_found');
    });

    test('no way out of web/dist', async () => {
        const u = new URL(server.url);
        for (const p of ['/app/../README.md', '/app/%2e%2e/README.md', '/app/assets/..%2f..%2fREADME.md', '/app/.%2e/.%2e/Makefile',
            '/app//etc/passwd', '/app/.hidden', '/app/assets/%5c..%5cREADME.md', '/app/%00index.html']) {
            const r = await rawRequest(`http://${u.host}`, 'GET', p);
            assert.ok(r.status === 404 || r.status === 400, `${p} → ${r.status}`);
            assert.doesNotMatch(r.text, /Sanad|sanad/i, p);
        }
    });

    test('only GET and HEAD', async () => {
        const r = await anon.post('/app/inbox', {});
        assert.equal(r.status, 405);
        assert.match(r.headers.get('allow'), /GET/);
        const h = await anon.request('HEAD', '/app/');
        assert.equal(h.status, 200);
    });
});
