// Helpers of the contact form and tracking tests (tests/api/portal_*.test.mjs): multipart bodies
// built byte by byte (so file names, declared types and contents are exactly what a test says),
// opening the form (cookie, CSRF token, kb_session), submitting it, and sample files.
import assert from 'node:assert/strict';
import { show } from './harness.mjs';

// A small but real PDF, PNG and JPEG (libmagic recognises each by its content).
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
export const PNG = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
    'base64',
);
export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);

// fields: {name: value}; files: [{field?, filename, type?, data}] → {raw, contentType}.
export function multipart(fields, files = [], { boundary = `----sanadtest${Math.random().toString(16).slice(2)}` } = {}) {
    const parts = [];
    for (const [k, v] of Object.entries(fields)) {
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n`));
        parts.push(Buffer.from(String(v)));
        parts.push(Buffer.from('\r\n'));
    }
    for (const f of files) {
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field ?? 'attachments'}"; ` +
            `filename="${f.filename}"\r\nContent-Type: ${f.type ?? 'application/octet-stream'}\r\n\r\n`));
        parts.push(Buffer.from(f.data));
        parts.push(Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return { raw: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

// The sanad_form cookie a response sets ("name=value"), or null.
export function formCookie(r) {
    const c = (r.setCookies || []).find((s) => /^(__Host-)?sanad_form=/.test(s));
    return c ? c.split(';')[0] : null;
}

export function hidden(html, name) {
    const m = html.match(new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`));
    return m ? m[1] : null;
}

// GET the form page: {cookie, token, session, html, r}.
export async function openForm(client, path = '/contact') {
    const r = await client.get(path);
    assert.equal(r.status, 200, show(r));
    const cookie = formCookie(r), token = hidden(r.text, 'csrf_token'), session = hidden(r.text, 'kb_session');
    assert.ok(cookie && token && session, `no cookie, token or session: ${show(r)}`);
    return { cookie, token, session, html: r.text, r };
}

// A valid submission's fields (Arabic), overridden by `over`.
export function citizen(over = {}) {
    return {
        name: 'نورة عبدالله القحطاني',
        national_id: '1000000008',
        mobile: '0512345678',
        email: 'noura@example.com',
        subject: 'استرداد رسوم مدفوعة مرتين',
        message: 'دفعت رسوم الخدمة مرتين، وأرجو استرداد المبلغ الزائد.\nشكرًا لكم.',
        ...over,
    };
}

// A citizen no earlier test has used (a new customer, so a new conversation): own mobile and
// email, no national ID.
let citizens = 0;
export function newCitizen(over = {}) {
    citizens += 1;
    const digits = String(10000000 + ((Date.now() % 1000000) * 37 + citizens * 7919) % 90000000).slice(0, 8);
    return citizen({ national_id: '', mobile: `05${digits}`, email: `citizen${citizens}.${digits}@example.com`, ...over });
}

// POST the form. opts: json (Accept: application/json, default true), path, headers.
export function send(client, form, fields, files = [], { json = true, path = '/contact', headers = {}, token } = {}) {
    const body = { csrf_token: token ?? form.token, kb_session: form.session, website: '', ...fields };
    for (const [k, v] of Object.entries(body)) {
        if (v === undefined) {
            delete body[k];
        }
    }
    const { raw, contentType } = multipart(body, files);
    return client.post(path, undefined, {
        raw,
        contentType,
        headers: { cookie: form.cookie, ...(json ? { accept: 'application/json' } : {}), ...headers },
    });
}

// The error message shown beside a field of a rendered form, or null.
export function fieldError(html, field) {
    const m = html.match(new RegExp(`<p class="error" id="${field}-error">([^<]*)</p>`));
    return m ? m[1] : null;
}

// The value= of an input, or a textarea's text.
export function fieldValue(html, field) {
    const i = html.match(new RegExp(`<input id="${field}" name="${field}"[^>]* value="([^"]*)"`));
    if (i) {
        return i[1];
    }
    const t = html.match(new RegExp(`<textarea id="${field}" name="${field}"[^>]*>([^<]*)</textarea>`));
    return t ? t[1] : null;
}

// HTML text with &amp; &lt; &gt; &quot; &#39; decoded.
export function unescape(s) {
    return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
        .replace(/&#x27;/g, "'").replace(/&amp;/g, '&');
}
