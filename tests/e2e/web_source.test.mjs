// web_source.test.mjs — rules of the web app's source that a browser run would not notice: every
// string in both locale files, CSS written with logical properties only (so RTL and LTR both
// work), no inline styles or scripts (the server's CSP forbids them), and a built index.html that
// loads only external files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../api/lib/harness.mjs';

const WEB = path.join(ROOT, 'web');
const SRC = path.join(WEB, 'src');
const PLURAL = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);

function files(dir, exts) {
    const out = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...files(p, exts));
        else if (exts.some((x) => e.name.endsWith(x))) out.push(p);
    }
    return out;
}

function locale(lang) {
    return JSON.parse(fs.readFileSync(path.join(SRC, 'locales', `${lang}.json`), 'utf8'));
}

/* A key without its plural suffix. */
function base(k) {
    const i = k.lastIndexOf('.');
    return i > 0 && PLURAL.has(k.slice(i + 1)) ? k.slice(0, i) : k;
}

describe('web app source', () => {
    const ar = locale('ar');
    const en = locale('en');
    const code = files(SRC, ['.ts', '.tsx']).map((f) => ({ f: path.relative(ROOT, f), text: fs.readFileSync(f, 'utf8') }));

    test('the Arabic and English locale files have the same keys', () => {
        const a = new Set(Object.keys(ar).map(base));
        const e = new Set(Object.keys(en).map(base));
        assert.deepEqual([...a].filter((k) => !e.has(k)), [], 'keys only in ar.json');
        assert.deepEqual([...e].filter((k) => !a.has(k)), [], 'keys only in en.json');
        for (const [k, v] of Object.entries({ ...ar, ...en })) assert.ok(typeof v === 'string' && v.length > 0, `${k} is empty`);
    });

    test('every literal key the code translates exists', () => {
        const keys = new Set([...Object.keys(ar).map(base)]);
        const missing = [];
        for (const { f, text } of code) {
            for (const m of text.matchAll(/\bt(?:Or)?\(\s*'([a-z_][\w.-]*)'/g)) {
                if (!keys.has(m[1])) missing.push(`${f}: ${m[1]}`);
            }
            for (const m of text.matchAll(/\bkey:\s*'([a-z_][\w.-]*\.[\w.-]+)'/g)) {
                if (!keys.has(m[1])) missing.push(`${f}: ${m[1]}`);
            }
        }
        assert.deepEqual(missing, []);
    });

    test('the keys built from values exist for every value', () => {
        const families = {
            'status.': ['open', 'pending', 'solved', 'closed', 'active'],
            'channel.': ['phone', 'email', 'x', 'form', 'chat'],
            'priority.': ['low', 'normal', 'high', 'urgent'],
            'availability.': ['online', 'away', 'offline'],
            'role.': ['admin', 'supervisor', 'agent', 'department_staff', 'service_owner', 'qa_evaluator'],
            'view.': ['mine', 'unassigned', 'all', 'breached', 'escalated'],
            'live.': ['off', 'connecting', 'live', 'polling'],
            'sla.state.': ['breached', 'at_risk', 'on_track', 'none'],
            'escalation.status.': ['open', 'resolved'],
            'calendar.day.': ['0', '1', '2', '3', '4', '5', '6'],
            'templates.state.': ['draft', 'approved', 'retired'],
            'queues.policy.': ['manual', 'round_robin', 'least_open'],
            'settings.': ['users', 'service-lines', 'departments', 'queues', 'calendar', 'sla-policies', 'templates', 'triggers', 'webhooks'],
        };
        for (const [prefix, values] of Object.entries(families)) {
            for (const v of values) {
                assert.ok(ar[prefix + v] && en[prefix + v], `${prefix}${v} missing`);
            }
        }
    });

    test('no text meant for people is written in the components themselves', () => {
        // Arabic letters in code outside the locale files mean a string escaped translation
        // (the brand letter in the logo is the one exception).
        const found = [];
        for (const { f, text } of code) {
            for (const line of text.split('\n')) {
                const stripped = line.replace(/^\s*(\/\/|\*|\/\*).*$/, '');
                if (/[\u0600-\u06FF]/.test(stripped) && !/^\s*س\s*$/.test(stripped)) {
                    found.push(`${f}: ${line.trim()}`);
                }
            }
        }
        assert.deepEqual(found, []);
    });

    test('CSS uses logical properties only', () => {
        const physical = /(^|[\s;{])(margin|padding|border)-(left|right|top|bottom)(-[a-z]+)?\s*:|(^|[\s;{])(left|right|top|bottom)\s*:|text-align\s*:\s*(left|right)|float\s*:\s*(left|right)|clear\s*:\s*(left|right)|(^|[\s;{])(width|height|min-width|min-height|max-width|max-height)\s*:/;
        const fourValues = /(^|[\s;{])(margin|padding|inset)\s*:\s*\S+\s+\S+\s+\S+\s+\S+/;
        const bad = [];
        for (const f of files(path.join(SRC, 'styles'), ['.css'])) {
            fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
                if (/^\s*(\/\*|\*)/.test(line) || /@media/.test(line)) return;
                if (physical.test(line) || fourValues.test(line)) bad.push(`${path.relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
            });
        }
        assert.deepEqual(bad, []);
    });

    test('no inline styles, no raw HTML, no eval', () => {
        const bad = [];
        for (const { f, text } of code) {
            if (/\sstyle=\{?["'`{]/.test(text)) bad.push(`${f}: style attribute`);
            if (/dangerouslySetInnerHTML|innerHTML\s*=|\beval\(|new Function\(/.test(text)) bad.push(`${f}: raw HTML or eval`);
        }
        assert.deepEqual(bad, []);
    });

    test('the built page loads only external scripts and styles', { skip: !fs.existsSync(path.join(WEB, 'dist', 'index.html')) && 'web/dist not built' }, () => {
        const html = fs.readFileSync(path.join(WEB, 'dist', 'index.html'), 'utf8');
        assert.match(html, /<html lang="ar" dir="rtl">/);
        for (const m of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
            assert.match(m[0], /\ssrc="\/app\/assets\/[^"]+\.js"/, `inline script: ${m[0].slice(0, 80)}`);
            assert.equal(m[1].trim(), '');
        }
        assert.doesNotMatch(html, /<style\b|\sstyle="/);
        assert.match(html, /<link rel="stylesheet"[^>]+href="\/app\/assets\/[^"]+\.css"/);
    });
});
