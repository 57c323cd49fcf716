// settings.test.mjs — the admin screens in the browser: API errors land beside the field they
// name, what is saved shows up, templates go from draft to approved, and a section whose API
// route does not exist (404) is not offered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../api/lib/harness.mjs';
import { appMissing, chromiumMissing, launch, newPage, screenshot, signIn, unlabelled } from './lib/browser.mjs';
import { seedOrg } from './lib/seed.mjs';

const skip = chromiumMissing() || appMissing();

describe('admin settings', { skip: skip ?? false }, () => {
    let server;
    let browser;
    let closeBrowser;
    let page;
    let problems;

    before(async () => {
        server = await startServer();
        await seedOrg(await server.login('admin'));
        ({ browser, close: closeBrowser } = await launch());
        ({ page, problems } = await newPage(browser, { width: 1280, height: 800 }));
        await signIn(page, server.url, server.users.admin);
    });

    after(async () => {
        await closeBrowser?.();
        await server?.stop();
    });

    test('the settings open on users and list every section', async () => {
        await page.goto(`${server.url}/app/settings`);
        await page.waitForURL(/\/app\/settings\/users$/);
        await page.waitForSelector('#users-table');
        const sections = await page.$$eval('.settings-nav a', (as) => as.map((a) => a.getAttribute('data-section')));
        for (const s of ['users', 'service-lines', 'departments', 'queues', 'calendar', 'sla-policies', 'templates']) {
            assert.ok(sections.includes(s), `${s} in ${sections}`);
        }
    });

    test('a service line: the error sits beside its field, then it is created', async () => {
        await page.click('.settings-nav a[data-section="service-lines"]');
        await page.click('#settings-new');
        await page.waitForSelector('#unit-dialog[open]');
        await page.fill('#unit-ar', 'الجمارك');
        await page.fill('#unit-en', 'Customs');
        await page.click('#unit-dialog button[type=submit]');
        await page.waitForSelector('#unit-dialog .field.has-error #unit-code');
        assert.deepEqual(await unlabelled(page), []);
        await page.fill('#unit-code', 'customs');
        await page.click('#unit-dialog button[type=submit]');
        await page.waitForSelector('#unit-dialog', { state: 'detached' });
        await page.waitForSelector('td:text("customs")');
    });

    test('a new department-staff user with a department', async () => {
        await page.click('.settings-nav a[data-section="users"]');
        await page.click('#settings-new');
        await page.waitForSelector('#user-dialog[open]');
        await page.fill('#u-email', 'finance.clerk@test.sanad');
        await page.fill('#u-name', 'موظف المالية Finance');
        await page.fill('#u-password', 'short');
        await page.click('#user-dialog button[type=submit]');
        await page.waitForSelector('#user-dialog .field.has-error #u-password');
        await page.fill('#u-password', 'a-long-enough-password');
        await page.locator('#user-dialog fieldset').nth(0).locator('label', { hasText: 'موظف إدارة' }).locator('input').check();
        await page.locator('#user-dialog fieldset').nth(0).locator('label', { hasText: 'موظف خدمة' }).locator('input').uncheck();
        await page.locator('#user-dialog fieldset').nth(1).locator('label', { hasText: 'الإدارة المالية' }).locator('input').check();
        await page.click('#user-dialog button[type=submit]');
        await page.waitForSelector('#user-dialog', { state: 'detached' });
        await page.waitForSelector('#users-table td:text("finance.clerk@test.sanad")');
        const admin = await server.login('admin');
        const users = await admin.get('/api/v1/users?limit=200');
        const u = users.json.items.find((x) => x.email === 'finance.clerk@test.sanad');
        assert.deepEqual(u.roles, ['department_staff']);
        assert.deepEqual(u.departments, ['finance']);
    });

    test('a template is written, previewed and approved', async () => {
        await page.click('.settings-nav a[data-section="templates"]');
        await page.click('#settings-new');
        await page.waitForSelector('#template-dialog[open]');
        await page.fill('#tpl-code', 'closing_note');
        await page.fill('#tpl-title', 'إغلاق الطلب');
        await page.fill('#tpl-ar', 'عزيزي {{customer.name}}، أُغلق طلبك {{conversation.number}}.');
        await page.fill('#tpl-en', 'Dear {{customer.name}}, {{conversation.number}} is closed.');
        assert.match(await page.textContent('#template-dialog .preview-text[lang="ar"]'), /SND-000123/);
        await page.click('#template-dialog button[type=submit]');
        await page.waitForSelector('#template-dialog', { state: 'detached' });
        const row = page.locator('#templates-table tr[data-code="closing_note"]');
        await row.locator('.tpl-draft').waitFor();
        await row.locator('button.primary').click();
        await row.locator('.tpl-approved').waitFor();
        await screenshot(page, 'ar-settings-templates');
    });

    test('a trigger row: edit opens its dialog, disable dims it, delete asks first and removes it', async () => {
        const admin = await server.login('admin');
        const made = await admin.post('/api/v1/triggers', {
            name: 'وسم الشكاوى', event: 'contact.created',
            conditions: { all: [{ field: 'text', op: 'contains', value: 'شكوى' }] }, actions: [{ type: 'add_tag', tag: 'complaint' }],
        });
        assert.equal(made.status, 201, made.text);
        await page.goto(`${server.url}/app/settings/triggers`);
        const row = page.locator('tr', { hasText: 'وسم الشكاوى' });
        await row.waitFor();
        await row.locator('button', { hasText: /تعديل|Edit/ }).click();
        await page.waitForSelector('dialog[open]');
        await page.keyboard.press('Escape');
        await page.waitForSelector('dialog[open]', { state: 'detached' });
        await row.locator('button', { hasText: /إيقاف|Disable/ }).click();
        await page.waitForSelector('tr.muted:has-text("وسم الشكاوى")');
        assert.equal((await admin.get(`/api/v1/triggers/${made.json.id}`)).json.enabled, false);
        let asked = '';
        page.once('dialog', (d) => {
            asked = d.message();
            void d.accept();
        });
        await row.locator('button.danger').click();
        await page.waitForSelector('tr:has-text("وسم الشكاوى")', { state: 'detached' });
        assert.match(asked, /وسم الشكاوى/);
        assert.equal((await admin.get(`/api/v1/triggers/${made.json.id}`)).status, 404);
    });

    test('a section whose route answers 404 is not offered', async () => {
        await page.route('**/api/v1/webhooks', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"not_found","message":"no such resource","field":""}}' }));
        await page.goto(`${server.url}/app/settings/users`);
        await page.waitForSelector('.settings-nav a[data-section="users"]');
        const sections = await page.$$eval('.settings-nav a', (as) => as.map((a) => a.getAttribute('data-section')));
        assert.ok(!sections.includes('webhooks'), sections.join(','));
        await page.unroute('**/api/v1/webhooks');
        assert.deepEqual(problems, []);
    });
});
