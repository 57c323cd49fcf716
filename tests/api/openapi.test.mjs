// The OpenAPI document: valid by a standard validator (Redocly CLI, from npm), generated from
// the route table, so every route the server answers is described with its roles.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, backendName, ROOT, show } from './lib/harness.mjs';
import { ROUTES } from './lib/routes.mjs';

const backend = backendName();
const REDOCLY = path.join(ROOT, 'node_modules', '.bin', 'redocly');

describe(`openapi [${backend}]`, () => {
    let server;
    let doc;

    before(async () => {
        server = await startServer();
        const r = await server.client().get('/api/v1/openapi.json');
        assert.equal(r.status, 200, show(r));
        doc = r.json;
    });

    after(async () => {
        await server?.stop();
    });

    test('redocly lint accepts the document with no errors', { skip: !fs.existsSync(REDOCLY) && 'npm ci first' }, () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanad-openapi-'));
        const file = path.join(dir, 'openapi.json');
        fs.writeFileSync(file, JSON.stringify(doc));
        const out = spawnSync(REDOCLY, ['lint', '--config', path.join(ROOT, 'redocly.yaml'), file],
            { encoding: 'utf8', timeout: 60_000 });
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(out.status, 0, `${out.stdout}\n${out.stderr}`);
        assert.match(out.stdout + out.stderr, /valid/i);
    });

    test('every route the tests know is documented with its method and roles', () => {
        for (const r of ROUTES) {
            const item = doc.paths[r.path];
            assert.ok(item, `missing path ${r.path}`);
            const op = item[r.method.toLowerCase()];
            assert.ok(op, `missing ${r.method} ${r.path}`);
            assert.ok(Array.isArray(op['x-roles']), `${r.method} ${r.path} has no x-roles`);
        }
    });

    test('every documented operation answers (never 404 or 405 for its method)', async () => {
        const anon = server.client();
        for (const [p, item] of Object.entries(doc.paths)) {
            for (const method of Object.keys(item)) {
                const url = p.replace(/\{[^}]+\}/g, '1');
                const r = await anon.request(method.toUpperCase(), url, undefined);
                assert.ok(r.status !== 405, `${method} ${p} → 405`);
                if (!p.includes('{')) assert.ok(r.status !== 404, `${method} ${p} → 404`);
            }
        }
    });
});
