// browser.mjs — Debian's chromium driven by playwright-core for the end-to-end tests: headless,
// sandbox off (containers), a fresh profile per launch, and helpers the tests share (sign in,
// switch language, screenshots into test-artifacts/).
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT } from '../../api/lib/harness.mjs';

export const CHROMIUM = process.env.SANAD_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');

export function chromiumMissing() {
    return fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
}

export function appMissing() {
    return fs.existsSync(path.join(ROOT, 'web', 'dist', 'index.html')) ? null : 'web/dist is not built (npm run build)';
}

/* A headless chromium. Playwright gives every launch a fresh temporary --user-data-dir of its
 * own (it refuses one in args) and removes it on close; each newContext() is a clean profile. */
export async function launch() {
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-quic'],
    });
    const close = async () => {
        await browser.close().catch(() => {});
    };
    return { browser, close };
}

/* A page whose console errors and page errors are collected (CSP violations show up there). */
export async function newPage(browser, { width = 1440, height = 900 } = {}) {
    const context = await browser.newContext({ viewport: { width, height }, locale: 'ar-SA', timezoneId: 'Asia/Riyadh' });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        if (m.type() !== 'error') return;
        const text = m.text();
        // API answers 4xx on purpose in some steps (the tests check what the page shows); the
        // stream's connection attempts are expected while it reconnects. CSP violations
        // ("Refused to …") and script errors are kept.
        if (/Failed to load resource: the server responded with a status of 4\d\d|\/api\/v1\/stream|WebSocket/.test(text)) return;
        problems.push(`console: ${text}`);
    });
    return { page, context, problems };
}

export async function signIn(page, base, user) {
    await page.goto(`${base}/app/`);
    await fillSignIn(page, user);
}

/* Sign in on the page as it is (after a lost session the app keeps its route). */
export async function fillSignIn(page, { email, password }) {
    await page.waitForSelector('#login-email');
    await page.fill('#login-email', email);
    await page.fill('#login-password', password);
    await page.click('form button[type=submit]');
    await page.waitForSelector('header.topbar', { timeout: 15_000 });
}

export async function setLanguage(page, lang) {
    const now = await page.evaluate(() => document.documentElement.lang);
    if (now !== lang) await page.click('.topbar .lang-switch, .login .lang-switch');
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

/* test-artifacts/e2e/NAME.png; quiet: first let the notices (toasts) fade. */
export async function screenshot(page, name, { quiet = false } = {}) {
    if (quiet) await page.waitForSelector('.toast', { state: 'detached', timeout: 10_000 }).catch(() => {});
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
}

/* Form controls on the page without an accessible name (label, aria-label, aria-labelledby). */
export function unlabelled(page) {
    return page.$$eval('input:not([type=hidden]), select, textarea, button', (els) => els
        .filter((el) => {
            if (el.closest('[hidden]') || el.offsetParent === null) return false;
            if (el.tagName === 'BUTTON') return !(el.textContent.trim() || el.getAttribute('aria-label'));
            return !(el.labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'));
        })
        .map((el) => el.outerHTML.slice(0, 120)));
}
