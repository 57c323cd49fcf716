// Helpers of the help center tests (tests/api/help_*.test.mjs): publishing articles through the
// workflow, and reading the server-rendered pages without a DOM library.
import assert from 'node:assert/strict';
import { createUser, unique, show } from './harness.mjs';
import { expectStatus } from './expect.mjs';

export async function ok(p, status) {
    const r = await p;
    expectStatus(r, status);
    return r.json;
}

// A service line owned by a new service owner; returns {code, owner (a logged-in Client)}.
export async function serviceLine(server, admin, names) {
    const code = unique('line').toLowerCase();
    await ok(admin.post('/api/v1/service-lines', { code, ...names }), 201);
    const o = await createUser(admin, { roles: ['service_owner'] });
    const owner = server.client();
    await owner.login(o.email, o.password);
    await ok(admin.patch(`/api/v1/service-lines/${code}`, { owners: [o.user.id] }), 200);
    return { code, owner };
}

// Draft by `agent`; with publish (default) submitted, approved and published by `owner`.
export async function article(agent, owner, fields, { publish = true } = {}) {
    const a = await ok(agent.post('/api/v1/kb/articles', { lang: 'ar', ...fields }), 201);
    if (!publish) {
        return a;
    }
    await ok(agent.post(`/api/v1/kb/articles/${a.id}/submit`), 200);
    await ok(owner.post(`/api/v1/kb/articles/${a.id}/approve`), 200);
    return ok(owner.post(`/api/v1/kb/articles/${a.id}/publish`, {}), 200);
}

// An HTML page: 200 (or `status`), text/html; returns the response.
export async function page(client, path, status = 200, opts) {
    const r = await client.get(path, opts);
    expectStatus(r, status);
    assert.match(r.headers.get('content-type') || '', /^text\/html; charset=utf-8$/, show(r));
    return r;
}

// <html lang dir> of a page.
export function langDir(html) {
    const m = html.match(/<html lang="([^"]*)" dir="([^"]*)">/);
    assert.ok(m, `no <html lang dir> in ${html.slice(0, 300)}`);
    return { lang: m[1], dir: m[2] };
}

// The href of <link rel=REL [hreflang=L]>, every one of them.
export function links(html, rel) {
    const out = [];
    for (const m of html.matchAll(/<link rel="([^"]+)"(?: hreflang="([^"]+)")? href="([^"]+)">/g)) {
        if (m[1] === rel) {
            out.push({ hreflang: m[2] ?? null, href: m[3] });
        }
    }
    return out;
}

export function canonical(html) {
    const l = links(html, 'canonical');
    assert.equal(l.length, 1, `one canonical link expected in ${html.slice(0, 800)}`);
    return l[0].href;
}

// The text inside the first match of an element's opening-tag pattern up to its closing tag.
export function section(html, open, close) {
    const i = html.indexOf(open);
    if (i < 0) {
        return null;
    }
    const j = html.indexOf(close, i);
    return html.slice(i, j < 0 ? undefined : j + close.length);
}

// The sanad_form cookie a response sets ("name=value"), or null.
export function formCookie(r) {
    const c = (r.setCookies || []).find((s) => /^(__Host-)?sanad_form=/.test(s));
    return c ? c.split(';')[0] : null;
}

export function formToken(html) {
    const m = html.match(/<input type="hidden" name="form_token" value="([^"]+)">/);
    return m ? m[1] : null;
}

// Arabic-Indic digits → ASCII.
export function latinDigits(s) {
    return s.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x660));
}

// POST an urlencoded form with an explicit cookie header.
export function postForm(client, path, fields, { cookie, headers = {} } = {}) {
    const raw = new URLSearchParams(fields).toString();
    return client.post(path, undefined, {
        raw,
        contentType: 'application/x-www-form-urlencoded',
        headers: { ...(cookie ? { cookie } : {}), ...headers },
    });
}
