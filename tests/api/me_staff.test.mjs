// The signed-in user's own settings (availability, interface language) and the staff directory
// the workspace shows names from.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, show } from './lib/harness.mjs';
import { expectError } from './lib/expect.mjs';

describe(`me and staff [${backendName()}]`, () => {
    let server;
    let admin;
    let agent;
    let staff;

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        staff = await server.login('department_staff');
        let r = await admin.post('/api/v1/departments', { code: 'legal', name_ar: 'القانونية', name_en: 'Legal' });
        assert.equal(r.status, 201, show(r));
        r = await admin.get('/api/v1/users?limit=200');
        const id = r.json.items.find((u) => u.roles.includes('department_staff')).id;
        r = await admin.patch(`/api/v1/users/${id}`, { departments: ['legal'] });
        assert.equal(r.status, 200, show(r));
    });

    after(async () => {
        await server?.stop();
    });

    test('GET /me tells availability, language, departments and skills', async () => {
        const r = await staff.get('/api/v1/me');
        assert.equal(r.status, 200, show(r));
        assert.equal(r.json.user.availability, 'offline');
        assert.equal(r.json.user.locale, 'ar');
        assert.deepEqual(r.json.user.departments, ['legal']);
        assert.deepEqual(r.json.user.skills, []);
    });

    test('PATCH /me remembers the interface language and availability', async () => {
        let r = await agent.patch('/api/v1/me', { locale: 'en', availability: 'away' });
        assert.equal(r.status, 200, show(r));
        assert.equal(r.json.user.locale, 'en');
        assert.equal(r.json.user.availability, 'away');
        const again = await server.login('agent');
        r = await again.get('/api/v1/me');
        assert.equal(r.json.user.locale, 'en', 'a new session of the same user keeps the language');
        r = await agent.patch('/api/v1/me', { locale: 'fr' });
        expectError(r, 422, { field: 'locale' });
        r = await agent.patch('/api/v1/me', { availability: 'busy' });
        expectError(r, 422, { field: 'availability' });
    });

    test('the staff directory lists names, roles, availability and departments, never emails', async () => {
        const r = await agent.get('/api/v1/staff');
        assert.equal(r.status, 200, show(r));
        assert.ok(r.json.items.length >= 6, show(r));
        for (const s of r.json.items) {
            assert.deepEqual(Object.keys(s).sort(), ['availability', 'departments', 'id', 'name', 'roles']);
            assert.ok(!JSON.stringify(s).includes('@'), 'no email in the directory');
        }
        const dept = r.json.items.find((s) => s.roles.includes('department_staff'));
        assert.deepEqual(dept.departments, ['legal']);
        const anon = server.client();
        expectError(await anon.get('/api/v1/staff'), 401);
    });
});
