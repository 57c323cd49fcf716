// mail_view.test.mjs — an email in the agent's timeline: the receipt notes (flags) as labelled
// chips in the page's language, and the sanitised HTML body only on request, inside a sandboxed
// frame that runs nothing and loads no remote image.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from '../api/lib/harness.mjs';
import { appMissing, chromiumMissing, launch, newPage, screenshot, signIn } from './lib/browser.mjs';

const skip = chromiumMissing() || appMissing();
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'mail');

describe('email in the timeline', { skip: skip ?? false }, () => {
    let server;
    let browser;
    let closeBrowser;
    let page;
    let problems;
    let conversationId;

    before(async () => {
        server = await startServer();
        const admin = await server.login('admin');
        assert.equal((await admin.post('/api/v1/service-lines', { code: 'refunds', name_ar: 'الاسترداد', name_en: 'Refunds' })).status, 201);
        const mb = await admin.post('/api/v1/mailboxes', { name: 'support', address: 'support@sanad.test', service_line: 'refunds' });
        assert.equal(mb.status, 201, mb.text);
        const raw = fs.readFileSync(path.join(FIXTURES, 'en-html.eml'));
        const r = server.cli(['mail-ingest', '--db', server.db, '--data', path.join(server.dir, 'data'), '--mailbox', 'support'], { input: raw });
        const m = /conversation (\d+)/.exec(r.stdout);
        assert.ok(r.code === 0 && m, `mail-ingest: ${r.code} ${r.stdout} ${r.stderr}`);
        conversationId = Number(m[1]);
        ({ browser, close: closeBrowser } = await launch());
        ({ page, problems } = await newPage(browser, { width: 1280, height: 900 }));
        await signIn(page, server.url, server.users.agent);
    });

    after(async () => {
        await closeBrowser?.();
        await server?.stop();
    });

    test('flags are shown as Arabic labels and the HTML opens in a sandboxed frame', async () => {
        await page.goto(`${server.url}/app/inbox/${conversationId}`);
        const chip = await page.waitForSelector('.mail-flags li[data-flag="remote_images_blocked"]');
        assert.equal((await chip.textContent()).trim(), 'حُجبت الصور الخارجية');
        assert.ok(await page.$('.mail-flags li[data-flag="active_content_removed"]'), 'active content flagged');
        // Closed until asked for; then a frame with an empty sandbox (no scripts, no same origin).
        assert.equal(await page.$eval('details.mail-html', (d) => d.open), false);
        await page.click('details.mail-html summary');
        const frame = await page.waitForSelector('details.mail-html iframe');
        assert.equal(await frame.getAttribute('sandbox'), '');
        const doc = await frame.getAttribute('srcdoc');
        assert.match(doc, /<b>team<\/b>/);
        // A remote image keeps its address only as data-remote-src: never loaded.
        assert.doesNotMatch(doc, /<script|onload|javascript:|expression\(|\ssrc="https?:/i);
        const inner = await frame.contentFrame();
        await inner.waitForSelector('b');
        assert.equal(await inner.$eval('b', (b) => b.textContent), 'team');
        assert.equal(await inner.$$eval('img', (imgs) => imgs.filter((i) => /^https?:/.test(i.getAttribute('src') ?? '')).length), 0);
        await screenshot(page, 'mail-view-ar', { quiet: true });
        assert.deepEqual(problems.filter((p) => !/Content Security Policy|Refused to/.test(p)), []);
    });
});
