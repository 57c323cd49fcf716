// Assertions shared by the API tests. Every failure message shows the request and the response.
import assert from 'node:assert/strict';
import { show } from './harness.mjs';

export function expectStatus(r, status) {
    const want = Array.isArray(status) ? status : [status];
    assert.ok(want.includes(r.status), `expected ${want.join(' or ')}, got ${show(r)}`);
}

// Things that must never reach a client in an error message.
const LEAKS = /\b(select|insert|update|delete)\b .*\b(from|into|set)\b|sqlite|postgres|constraint|duplicate key|syntax error|\/tmp\/|\/work\/|\/home\/|\.c:\d+|segfault|stack/i;

// The error envelope {"error":{"code","message","field"?}} with the given status, and field when
// given (field: null means "no check").
export function expectError(r, status, { code, field } = {}) {
    expectStatus(r, status);
    assert.ok(r.json && typeof r.json === 'object', `error body is not JSON: ${show(r)}`);
    const e = r.json.error;
    assert.ok(e && typeof e === 'object', `no "error" object in ${show(r)}`);
    assert.equal(typeof e.code, 'string', `error.code is not a string: ${show(r)}`);
    assert.match(e.code, /^[a-z][a-z0-9_.-]*$/, `error.code is not a slug: ${show(r)}`);
    assert.equal(typeof e.message, 'string', `error.message is not a string: ${show(r)}`);
    assert.ok(e.message.length > 0, `error.message is empty: ${show(r)}`);
    assert.doesNotMatch(e.message, LEAKS, `error message leaks internals: ${show(r)}`);
    if (code !== undefined) {
        assert.equal(e.code, code, `error.code: ${show(r)}`);
    }
    if (field !== undefined && field !== null) {
        assert.equal(e.field, field, `error.field: ${show(r)}`);
    }
    return e;
}

// The headers every response carries.
export function expectSecurityHeaders(r) {
    const h = r.headers;
    const rid = h.get('x-request-id');
    assert.ok(rid && rid.trim().length > 0, `no X-Request-Id: ${show(r)}`);
    const csp = h.get('content-security-policy');
    assert.ok(csp, `no Content-Security-Policy: ${show(r)}`);
    assert.match(csp, /frame-ancestors\s+'none'/, `CSP without frame-ancestors 'none' (${csp}): ${show(r)}`);
    assert.equal((h.get('x-content-type-options') || '').toLowerCase(), 'nosniff',
        `X-Content-Type-Options: ${show(r)}`);
    assert.ok(h.get('referrer-policy'), `no Referrer-Policy: ${show(r)}`);
}

export function expectIsoTime(v, what) {
    assert.equal(typeof v, 'string', `${what} is not a string: ${JSON.stringify(v)}`);
    assert.match(v, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]00:?00)$/,
        `${what} is not an ISO 8601 UTC time: ${v}`);
    assert.ok(!Number.isNaN(Date.parse(v)), `${what} does not parse: ${v}`);
}

// The public user object {id, email, name, roles[, disabled, created_at]} without secrets.
export function expectUserShape(u, what = 'user') {
    assert.ok(u && typeof u === 'object', `${what} is not an object: ${JSON.stringify(u)}`);
    assert.ok(Number.isInteger(u.id) || (typeof u.id === 'string' && u.id.length > 0),
        `${what}.id: ${JSON.stringify(u)}`);
    assert.equal(typeof u.email, 'string', `${what}.email: ${JSON.stringify(u)}`);
    assert.equal(typeof u.name, 'string', `${what}.name: ${JSON.stringify(u)}`);
    assert.ok(Array.isArray(u.roles), `${what}.roles: ${JSON.stringify(u)}`);
    for (const k of Object.keys(u)) {
        assert.doesNotMatch(k, /password|hash|secret/i, `${what} exposes ${k}: ${JSON.stringify(u)}`);
    }
}

export function sameRoles(a, b) {
    return [...a].sort().join(',') === [...b].sort().join(',');
}
