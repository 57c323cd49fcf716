// login.test.mjs — the sign-in screen in the browser: after too many failures the API's lockout
// (429 + Retry-After) disables the button with a countdown, in the page's language.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../api/lib/harness.mjs';
import { appMissing, chromiumMissing, launch, newPage, setLanguage } from './lib/browser.mjs';

const skip = chromiumMissing() || appMissing();

describe('signing in', { skip: skip ?? false }, () => {
    let server;
    let browser;
    let closeBrowser;

    before(async () => {
        server = await startServer();
        ({ browser, close: closeBrowser } = await launch());
    });

    after(async () => {
        await closeBrowser?.();
        await server?.stop();
    });

    test('a locked account counts down before the next try', async () => {
        const { page } = await newPage(browser);
        await page.goto(`${server.url}/app/`);
        await page.waitForSelector('#login-email');
        await setLanguage(page, 'en');
        await page.fill('#login-email', 'nobody-here@test.sanad');
        await page.fill('#login-password', 'wrong-password-1');
        let status = 0;
        for (let i = 0; i < 12 && status !== 429; i++) {
            const [res] = await Promise.all([
                page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login')),
                page.click('form button[type=submit]'),
            ]);
            status = res.status();
            await page.waitForFunction(() => !document.querySelector('form button[type=submit]')?.textContent?.includes('…'));
        }
        assert.equal(status, 429);
        const button = page.locator('form button[type=submit]');
        assert.ok(await button.isDisabled());
        assert.match(await button.textContent(), /Try again in \d+ s/);
        assert.match(await page.textContent('.form-error'), /Too many attempts/);
        await setLanguage(page, 'ar');
        assert.match(await button.textContent(), /أعد المحاولة بعد \d+ ث/);
    });
});
