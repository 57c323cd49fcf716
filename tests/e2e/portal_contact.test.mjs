// portal_contact.test.mjs — the contact form and tracking in the browser, in Arabic: help-article
// suggestions while typing the subject, validation messages beside the fields with values kept,
// a PDF that is not one (415) and an oversized file (413), an expired form token (403), the
// submission with an Arabic-named attachment, then tracking by number + code and a reply with a
// file. No script errors or CSP violations; screenshots in test-artifacts/e2e/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../api/lib/harness.mjs';
import { serviceLine, article } from '../api/lib/help.mjs';
import { PDF, PNG } from '../api/lib/contact.mjs';
import { appMissing, chromiumMissing, launch, newPage, screenshot, signIn } from './lib/browser.mjs';

const skip = chromiumMissing();

describe('contact form and tracking in the browser', { skip: skip ?? false }, () => {
    let server;
    let browser;
    let closeBrowser;
    let line;
    let submittedNumber = null;

    before(async () => {
        server = await startServer();
        ({ browser, close: closeBrowser } = await launch());
        const admin = await server.login('admin');
        const agent = await server.login('agent');
        line = await serviceLine(server, admin, { name_ar: 'استرداد المدفوعات', name_en: 'Payment refunds' });
        await article(agent, line.owner, {
            service_line: line.code,
            title: 'كيف أسترد رسومًا دفعتها مرتين',
            body: 'قدّم طلب الاسترداد من صفحة المدفوعات وأرفق الإيصال.',
        });
    });

    after(async () => {
        await closeBrowser?.();
        await server?.stop();
    });

    const errorOf = (page, field) => page.textContent(`#${field}-error`);

    async function submit(page) {
        const [res] = await Promise.all([
            page.waitForNavigation(),
            page.click('form.contact-form button[type=submit]'),
        ]);
        return res;
    }

    test('fill the form, see suggestions and validation, submit, track, reply', async () => {
        const { page, context, problems } = await newPage(browser);
        await page.goto(`${server.url}/contact`);
        assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'ar');
        const hp = await page.locator('#website').boundingBox();
        assert.ok(!hp || hp.x + hp.width <= 0 || hp.x >= 1440, `the honeypot is off screen: ${JSON.stringify(hp)}`);

        // suggestions appear while typing the subject
        await page.type('#subject', 'استرداد رسوم', { delay: 30 });
        await page.waitForSelector('#suggestions:not([hidden]) li a', { timeout: 10_000 });
        const link = page.locator('#suggestions li a').first();
        assert.equal(await link.textContent(), 'كيف أسترد رسومًا دفعتها مرتين');
        assert.match(await link.getAttribute('href'), /^\/help\/articles\/.+\?s=/);
        assert.equal(await link.getAttribute('target'), '_blank');
        await screenshot(page, 'contact-suggestions-ar');

        // validation: messages beside the fields, values kept
        await page.fill('#message', 'دفعت الرسوم مرتين وأرجو إعادة المبلغ الزائد.');
        await page.fill('#mobile', '123');
        await page.selectOption('#service_line', line.code);
        let res = await submit(page);
        assert.equal(res.status(), 422);
        assert.equal(await errorOf(page, 'name'), 'هذا الحقل مطلوب.');
        assert.match(await errorOf(page, 'mobile'), /رقم جوال صحيحًا/);
        assert.equal(await page.inputValue('#subject'), 'استرداد رسوم');
        assert.equal(await page.inputValue('#message'), 'دفعت الرسوم مرتين وأرجو إعادة المبلغ الزائد.');
        assert.equal(await page.inputValue('#service_line'), line.code);
        await screenshot(page, 'contact-validation-ar');

        // a file that is not a PDF, renamed to .pdf
        await page.fill('#name', 'عبدالرحمن الشهري');
        await page.fill('#mobile', '0551234567');
        await page.fill('#email', 'abdulrahman@example.com');
        await page.setInputFiles('#attachments', [{ name: 'الإيصال.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html>ليس PDF</html>') }]);
        res = await submit(page);
        assert.equal(res.status(), 415);
        assert.match(await errorOf(page, 'attachments'), /PDF/);
        assert.ok(await page.isVisible('#files-dropped'));
        assert.equal(await page.inputValue('#name'), 'عبدالرحمن الشهري');

        // an oversized file
        const big = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024 + 100, 0x20)]);
        await page.setInputFiles('#attachments', [{ name: 'كبير.pdf', mimeType: 'application/pdf', buffer: big }]);
        res = await submit(page);
        assert.equal(res.status(), 413);
        assert.match(await errorOf(page, 'attachments'), /١٠ ميجابايت/);
        assert.equal(await page.inputValue('#email'), 'abdulrahman@example.com');

        // the form's token lost (cookies cleared): 403, the form again with the values
        await context.clearCookies();
        res = await submit(page);
        assert.equal(res.status(), 403);
        assert.match(await page.textContent('#error-summary'), /انتهت صلاحية هذه الصفحة/);
        assert.equal(await page.inputValue('#name'), 'عبدالرحمن الشهري');

        // the real submission with an Arabic-named attachment
        await page.setInputFiles('#attachments', [{ name: 'الإيصال.pdf', mimeType: 'application/pdf', buffer: PDF }]);
        res = await submit(page);
        assert.equal(res.status(), 201);
        const number = (await page.textContent('#conversation-number')).trim();
        const code = (await page.textContent('#tracking-code')).trim();
        assert.match(number, /^SND-\d+$/);
        assert.match(code, /^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
        assert.ok(await page.isVisible('#email-sent'));
        await screenshot(page, 'contact-done-ar');

        // track it
        await page.click('.done a.button');
        await page.waitForSelector('form.track-form');
        await page.fill('#number', number);
        await page.fill('#code', 'AAAA-BBBB-CCCC');
        await Promise.all([page.waitForNavigation(), page.click('form.track-form button[type=submit]')]);
        assert.match(await page.textContent('#not-found'), /لا يوجد طلب/);
        await page.fill('#code', code.toLowerCase());
        await Promise.all([page.waitForNavigation(), page.click('form.track-form button[type=submit]')]);
        assert.equal((await page.textContent('#case-number')).trim(), number);
        assert.match(await page.textContent('#case-status'), /تم الاستلام/);
        assert.match(await page.textContent('.message.from-citizen .body'), /أرجو إعادة المبلغ الزائد/);
        assert.match(await page.textContent('.message.from-citizen .files'), /الإيصال\.pdf/);

        // reply with a file
        await page.fill('.reply-form #message', 'أرفقت صورة كشف الحساب أيضًا.');
        await page.setInputFiles('.reply-form #attachments', [{ name: 'كشف.png', mimeType: 'image/png', buffer: PNG }]);
        const [reply] = await Promise.all([page.waitForNavigation(), page.click('.reply-form button[type=submit]')]);
        assert.equal(reply.status(), 201);
        assert.ok(await page.isVisible('#reply-added'));
        const bodies = await page.locator('.message.from-citizen .body').allTextContents();
        assert.deepEqual(bodies.map((b) => b.trim()), ['دفعت الرسوم مرتين وأرجو إعادة المبلغ الزائد.', 'أرفقت صورة كشف الحساب أيضًا.']);
        await screenshot(page, 'track-case-ar');

        assert.deepEqual(problems, []);
        await context.close();
        submittedNumber = number;
    });

    test('the agent sees the form conversation with its files as downloads', { skip: appMissing() ?? false }, async () => {
        assert.ok(submittedNumber, 'the first test submitted a form');
        const id = Number(server.sql(`SELECT id FROM conversations WHERE number = '${submittedNumber}'`).trim());
        const { page, context, problems } = await newPage(browser);
        await signIn(page, server.url, server.users.agent);
        await page.goto(`${server.url}/app/inbox/${id}`);
        await page.waitForSelector('.bubble-files a');
        const names = await page.locator('.bubble-files a').allTextContents();
        assert.deepEqual(names, ['الإيصال.pdf', 'كشف.png']);
        assert.match(await page.locator('.bubble-files a').first().getAttribute('href'), /^\/api\/v1\/attachments\/\d+$/);
        await screenshot(page, 'agent-form-files-ar');
        assert.deepEqual(problems, []);
        await context.close();
    });
});
