// workspace.test.mjs — the agent workspace in a real browser (Debian's chromium, headless),
// against a server of its own: an agent signs in (Arabic, right to left, by default), switches
// language, sees a conversation created through the API appear (live over the stream, or by the
// 10 s poll), opens it, replies with an approved template, escalates; the department answers and
// resolves; the agent solves the conversation; the supervisor's counts follow. Screenshots of the
// main screens in Arabic and English go to test-artifacts/e2e/ (and, with
// SANAD_DOCS_SCREENSHOTS=1, the Arabic inbox and conversation to docs/screenshots/ for the README).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, startServer } from '../api/lib/harness.mjs';
import { appMissing, chromiumMissing, fillSignIn, launch, newPage, screenshot, setLanguage, signIn, unlabelled } from './lib/browser.mjs';
import { seedContacts, seedOrg } from './lib/seed.mjs';

const skip = chromiumMissing() || appMissing();
const LIVE_WAIT = 30_000; // the poll is every 10 s; the stream is immediate
const DOCS = path.join(ROOT, 'docs', 'screenshots');

describe('agent workspace, end to end', { skip: skip ?? false }, () => {
    let server;
    let browser;
    let closeBrowser;
    let admin;
    let supervisor;
    let agentApi;
    let agent; // the agent's page
    let staff; // the department's page
    let boss; // the supervisor's page
    let conv; // the conversation created during the test
    const problems = [];
    const subject = 'طلب استرداد رقم 2024-77 — Refund check';

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        supervisor = await server.login('supervisor');
        agentApi = await server.login('agent');
        await seedOrg(admin);
        // The department user answers for the finance department.
        const users = await admin.get('/api/v1/users?limit=200');
        const staffUser = users.json.items.find((u) => u.email === server.users.department_staff.email);
        const r = await admin.patch(`/api/v1/users/${staffUser.id}`, { departments: ['finance'] });
        assert.equal(r.status, 200, r.text);
        // An approved template, created and approved by the supervisor.
        const tpl = await supervisor.post('/api/v1/templates', {
            code: 'refund_followup',
            title: 'متابعة طلب الاسترداد',
            bodies: {
                ar: 'مرحبًا {{customer.name}}، استلمنا طلبك {{conversation.number}} وأحلناه إلى الإدارة المالية. {{agent.name}}',
                en: 'Hello {{customer.name}}, we received {{conversation.number}} and passed it to Finance. {{agent.name}}',
            },
        });
        assert.equal(tpl.status, 201, tpl.text);
        assert.equal((await supervisor.post('/api/v1/templates/refund_followup/approve')).status, 200);
        await seedContacts(agentApi, 14);
        ({ browser, close: closeBrowser } = await launch());
    });

    after(async () => {
        await closeBrowser?.();
        await server?.stop();
    });

    async function page(label) {
        const p = await newPage(browser, { width: 1280, height: 800 });
        p.label = label;
        problems.push(p.problems);
        return p.page;
    }

    test('the sign-in page is Arabic and right to left by default', async () => {
        agent = await page('agent');
        await agent.goto(`${server.url}/app/`);
        await agent.waitForSelector('#login-email');
        const html = await agent.evaluate(() => ({ lang: document.documentElement.lang, dir: document.documentElement.dir }));
        assert.deepEqual(html, { lang: 'ar', dir: 'rtl' });
        assert.equal(await agent.textContent('label[for="login-email"]'), 'البريد الإلكتروني');
        await screenshot(agent, 'ar-login');
    });

    test('a wrong password is refused with the message beside the form', async () => {
        await agent.fill('#login-email', server.users.agent.email);
        await agent.fill('#login-password', 'not-the-password');
        await agent.click('form button[type=submit]');
        const err = await agent.waitForSelector('.form-error');
        assert.match(await err.textContent(), /غير صحيحة/);
    });

    test('the agent signs in and sees the unified inbox', async () => {
        await signIn(agent, server.url, server.users.agent);
        await agent.waitForURL(/\/app\/inbox/);
        await agent.waitForSelector('.conv-row');
        const count = await agent.getAttribute('.view-btn[data-view="all"] .count', 'data-count');
        assert.equal(count, '14');
        // channel icons are labelled
        const labels = await agent.$$eval('.conv-row .channel-icon', (els) => [...new Set(els.map((e) => e.getAttribute('aria-label')))]);
        assert.ok(labels.includes('البريد الإلكتروني') && labels.includes('الهاتف'), labels.join(','));
        // in Arabic the list sits on the right, the conversation on the left
        const [list, detail] = await Promise.all([agent.locator('.list-pane').boundingBox(), agent.locator('.detail-pane').boundingBox()]);
        assert.ok(list.x > detail.x, `list at ${list.x}, conversation at ${detail.x}`);
        await screenshot(agent, 'ar-inbox', { quiet: true });
    });

    test('the language switches to English and stays so for this user', async () => {
        await setLanguage(agent, 'en');
        assert.equal(await agent.evaluate(() => document.documentElement.dir), 'ltr');
        assert.equal(await agent.textContent('.view-btn[data-view="all"] span'), 'All');
        await agent.reload();
        await agent.waitForSelector('.conv-row');
        assert.equal(await agent.evaluate(() => document.documentElement.lang), 'en');
        const [list, detail] = await Promise.all([agent.locator('.list-pane').boundingBox(), agent.locator('.detail-pane').boundingBox()]);
        assert.ok(list.x < detail.x, 'the list on the left in English');
        await screenshot(agent, 'en-inbox');
        await setLanguage(agent, 'ar');
    });

    test('a conversation created through the API appears without reloading', async (t) => {
        const r = await agentApi.post('/api/v1/contacts', {
            channel: 'email',
            customer: { name: 'عبدالرحمن Al-Harbi', emails: ['a.harbi@example.sa'], phones: ['+966512345678'] },
            service_line: 'payment_refund',
            subject,
            body: 'السلام عليكم، خُصم مبلغ 1,250.50 ريال مرتين. Reference RF-2024-77',
        });
        assert.equal(r.status, 201, r.text);
        conv = r.json;
        await agent.waitForFunction(() => document.querySelector('.view-btn[data-view="all"] .count')?.getAttribute('data-count') === '15', null, { timeout: LIVE_WAIT });
        // The list is sorted by SLA due time: the newest is last, below the fold of the virtual list.
        await agent.$eval('#conv-list', (el) => {
            el.scrollTop = el.scrollHeight;
        });
        await agent.locator(`.conv-row[data-number="${conv.conversation_number}"]`).waitFor({ timeout: 5_000 });
        const mode = await agent.getAttribute('.live-state', 'class');
        t.diagnostic(`live state: ${mode}`);
    });

    test('the search (key /) finds it by Arabic text and the agent opens it', async () => {
        await agent.click('#list-title'); // no field focused
        await agent.keyboard.press('/');
        assert.equal(await agent.evaluate(() => document.activeElement?.id), 'inbox-search');
        await agent.keyboard.type('استرداد رقم 2024-77');
        await agent.waitForFunction(() => document.querySelector('#list-title')?.getAttribute('data-count') === '1', null, { timeout: 10_000 });
        await agent.click(`.conv-row[data-number="${conv.conversation_number}"]`);
        await agent.waitForURL(new RegExp(`/app/inbox/${conv.conversation_id}$`));
        await agent.fill('#inbox-search', '');
        await agent.waitForFunction(() => document.querySelector('#list-title')?.getAttribute('data-count') === '15', null, { timeout: 10_000 });
    });

    test('the agent replies with an approved template, previewed first', async () => {
        assert.equal((await agent.textContent('#conv-subject')).trim(), subject);
        // masked identities in the customer panel
        assert.match(await agent.textContent('[data-identity="phones"] dd'), /\*/);
        await agent.selectOption('#composer-template', 'refund_followup');
        const preview = await agent.textContent('#template-preview');
        assert.ok(preview.includes('عبدالرحمن Al-Harbi'), preview);
        assert.ok(preview.includes(conv.conversation_number), preview);
        assert.ok(preview.includes('Test agent'), preview);
        await agent.click('#template-insert');
        assert.equal(await agent.inputValue('#composer-text'), preview);
        await screenshot(agent, 'ar-composer');
        await agent.click('#composer-send');
        await agent.waitForSelector('.tl-item[data-type="message"][data-kind="reply"]');
        const got = await agentApi.get(`/api/v1/conversations/${conv.conversation_id}`);
        const reply = got.json.timeline.find((e) => e.type === 'message' && e.kind === 'reply');
        assert.equal(reply.template, 'refund_followup');
        assert.equal(reply.body, preview);
    });

    test("the customer's other conversation is merged into this one", async () => {
        // The same customer writes again about another service line: a second conversation.
        const r = await agentApi.post('/api/v1/contacts', {
            channel: 'x',
            customer: { name: 'عبدالرحمن Al-Harbi', phones: ['+966512345678'], x_handle: '@harbi_77' },
            service_line: 'etimad',
            subject: 'نفس المشكلة عبر منصة X',
            body: 'أرسلت بريدًا بخصوص RF-2024-77',
        });
        assert.equal(r.status, 201, r.text);
        assert.notEqual(r.json.conversation_id, conv.conversation_id);
        await agent.click('#btn-merge');
        await agent.waitForSelector('#merge-dialog[open]');
        const option = agent.locator(`#merge-dialog input[name="merge-other"][value="${r.json.conversation_id}"]`);
        await option.waitFor({ timeout: 10_000 });
        await option.check();
        await agent.click('#merge-dialog button[type=submit]');
        await agent.waitForSelector('.tl-item[data-type="merge"]');
        const other = await agentApi.get(`/api/v1/conversations/${r.json.conversation_id}`);
        assert.equal(other.json.merged_into, conv.conversation_id);
    });

    test('every control on the conversation screen has a name', async () => {
        assert.deepEqual(await unlabelled(agent), []);
    });

    test('the customer data is revealed only with a reason', async () => {
        await agent.click('#btn-reveal');
        await agent.waitForSelector('#reveal-dialog[open]');
        await agent.click('#reveal-dialog button[type=submit]');
        await agent.waitForSelector('#reveal-dialog .field-error');
        await agent.fill('#reveal-reason', 'التحقق من هوية المتصل');
        await agent.click('#reveal-dialog button[type=submit]');
        await agent.waitForSelector('.identities.revealed');
        assert.equal((await agent.textContent('[data-identity="phones"] dd')).trim(), '+966512345678');
        await agent.click('#btn-hide');
    });

    test('an internal note, and the draft kept when the session is lost', async () => {
        await agent.keyboard.press('n');
        await agent.waitForFunction(() => document.activeElement?.id === 'composer-text', null, { timeout: 5_000 });
        await agent.keyboard.type('ملاحظة: العميل اتصل مرتين. Draft kept?');
        await agent.waitForTimeout(500); // the draft is saved 300 ms after typing stops
        await agent.context().clearCookies(); // the session ends under the agent's feet
        await agent.selectOption('#prop-priority', 'high'); // the next call answers 401
        await agent.waitForSelector('#login-email');
        assert.ok(await agent.isVisible('.login .notice'));
        await fillSignIn(agent, server.users.agent); // back where the agent was
        await agent.waitForSelector('#composer-text');
        await agent.click('#mode-note');
        assert.equal(await agent.inputValue('#composer-text'), 'ملاحظة: العميل اتصل مرتين. Draft kept?');
        await agent.click('#composer-send');
        await agent.waitForSelector('.tl-item[data-type="note"]');
    });

    test('the agent escalates to the finance department with a note (key e)', async () => {
        await agent.click('#timeline'); // focus outside any field
        await agent.keyboard.press('e');
        await agent.waitForSelector('#escalate-dialog[open]');
        await agent.selectOption('#esc-dept', 'finance');
        await agent.fill('#esc-note', 'يرجى التحقق من الخصم المكرر للمبلغ 1,250.50 ريال (RF-2024-77).');
        await agent.click('#escalate-dialog button[type=submit]');
        await agent.waitForSelector('.tl-item[data-type="escalation"]');
        await screenshot(agent, 'ar-conversation', { quiet: true });
    });

    test('the supervisor sees the floor', async () => {
        boss = await page('supervisor');
        await signIn(boss, server.url, server.users.supervisor);
        await boss.goto(`${server.url}/app/supervisor`);
        await boss.waitForFunction(() => Number(document.querySelector('[data-stat="open"] .stat-value')?.getAttribute('data-value')) === 15, null, { timeout: 15_000 });
        assert.equal(await boss.getAttribute('[data-stat="escalated"] .stat-value', 'data-value'), '1');
        // The agent goes online from the header; over the stream the supervisor sees it at once.
        await agent.selectOption('#availability', 'online');
        await agent.waitForSelector('.toast');
        const live = (await boss.getAttribute('.live-state', 'class')).includes('live-live');
        if (live) await boss.waitForSelector('#agents-table .avail-online', { timeout: 10_000 });
        assert.deepEqual(await unlabelled(boss), []);
        await screenshot(boss, 'ar-supervisor');
    });

    test('the department user sees only their escalation and answers it', async () => {
        staff = await page('department');
        await signIn(staff, server.url, server.users.department_staff);
        await staff.waitForURL(/\/app\/escalations/);
        const rows = staff.locator('.esc-list .conv-row');
        await rows.first().waitFor();
        assert.equal(await rows.count(), 1);
        await rows.first().click();
        await staff.waitForSelector('#esc-title');
        assert.match(await staff.textContent('.esc-note'), /RF-2024-77/);
        await staff.fill('#esc-reply', 'تم التحقق: سيُعاد مبلغ 1,250.50 ريال خلال 5 أيام عمل.');
        await staff.click('#esc-send');
        await staff.waitForSelector('#esc-replies .bubble');
        assert.deepEqual(await unlabelled(staff), []);
        await screenshot(staff, 'ar-escalation');
        await staff.click('#esc-resolve');
        await staff.waitForSelector('#esc-reopen');
    });

    test("the agent sees the department's answer and solves the conversation", async () => {
        await agent.waitForSelector('.tl-item[data-type="escalation_reply"]', { timeout: LIVE_WAIT });
        await agent.selectOption('#prop-status', 'solved');
        await agent.waitForSelector('.conv-badges .status-solved');
    });

    test("the supervisor's counts follow", async () => {
        await boss.waitForFunction(() => Number(document.querySelector('[data-stat="open"] .stat-value')?.getAttribute('data-value')) === 14, null, { timeout: LIVE_WAIT });
        assert.equal(await boss.getAttribute('[data-stat="escalated"] .stat-value', 'data-value'), '0');
    });

    test('English screenshots of the main screens', async () => {
        await setLanguage(agent, 'en');
        await agent.waitForSelector('.tl-item[data-type="escalation_reply"]');
        await screenshot(agent, 'en-conversation');
        await setLanguage(boss, 'en');
        await screenshot(boss, 'en-supervisor');
        await setLanguage(staff, 'en');
        await screenshot(staff, 'en-escalation');
        const adminPage = await page('admin');
        await signIn(adminPage, server.url, server.users.admin);
        await adminPage.goto(`${server.url}/app/settings/templates`);
        await adminPage.waitForSelector('#templates-table');
        await screenshot(adminPage, 'ar-settings');
        await setLanguage(adminPage, 'en');
        await screenshot(adminPage, 'en-settings');
    });

    test('no script errors and no CSP violations on any page', () => {
        const all = problems.flat();
        assert.deepEqual(all, []);
    });

    // scripts/screenshots sets SANAD_DOCS_SCREENSHOTS=1; a plain test run leaves docs/ alone.
    test('the README screenshots are refreshed', { skip: !process.env.SANAD_DOCS_SCREENSHOTS && 'SANAD_DOCS_SCREENSHOTS not set' }, () => {
        fs.mkdirSync(DOCS, { recursive: true });
        for (const name of ['ar-inbox', 'ar-conversation']) {
            fs.copyFileSync(path.join(ROOT, 'test-artifacts', 'e2e', `${name}.png`), path.join(DOCS, `${name}.png`));
        }
    });
});
