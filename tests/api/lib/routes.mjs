// The route table the tests know, in one place: the route × role matrix walks it, and the OpenAPI test
// checks that the served document lists every one of these (method, path).
//
// allow: 'public' (anyone, signed in or not), 'any' (every signed-in role), or a list of roles.
// expect: the status an allowed caller gets.
// prepare(ctx) → {path?, body?, client?}: per-call set-up; ctx = {server, admin, caller, role, ids,
//   via}, caller is null for anonymous. A returned client replaces the caller (fresh sessions).
// bearer: false when the route has no meaning for a bearer token (logout ends a cookie session).
import { ROLES, unique } from './harness.mjs';
import { matrixDocument } from './documents.mjs';

export const ROUTES = [
    { method: 'GET', path: '/healthz', allow: 'public', expect: 200 },
    { method: 'GET', path: '/metrics', allow: 'public', expect: 200 },
    { method: 'GET', path: '/api/v1/openapi.json', allow: 'public', expect: 200 },
    {
        method: 'POST',
        path: '/api/v1/auth/login',
        allow: 'public',
        expect: 200,
        bearer: false,
        prepare: ({ server, role }) => {
            const u = server.users[role ?? 'agent'];
            return { body: { email: u.email, password: u.password }, client: server.client() };
        },
    },
    {
        method: 'POST',
        path: '/api/v1/auth/logout',
        allow: 'any',
        expect: 204,
        bearer: false,
        // A session of its own, so the shared one of this role lives on.
        prepare: async ({ server, role }) => (role ? { client: await server.login(role) } : {}),
    },
    { method: 'GET', path: '/api/v1/me', allow: 'any', expect: 200 },
    { method: 'GET', path: '/api/v1/staff', allow: 'any', expect: 200 },
    { method: 'GET', path: '/api/v1/reports/summary', allow: ['admin', 'supervisor'], expect: 200 },
    {
        method: 'POST',
        path: '/api/v1/tokens',
        allow: 'any',
        expect: 201,
        prepare: () => ({ body: { name: unique('matrix-token-') } }),
    },
    { method: 'GET', path: '/api/v1/tokens', allow: 'any', expect: 200 },
    {
        method: 'DELETE',
        path: '/api/v1/tokens/{id}',
        allow: 'any',
        expect: 204,
        // The caller revokes a token of its own (anonymous: someone's real token).
        prepare: async ({ caller, admin }) => {
            const owner = caller ?? admin;
            const r = await owner.post('/api/v1/tokens', { name: unique('to-revoke-') });
            if (r.status !== 201) {
                throw new Error(`set-up: creating a token: ${r.status} ${r.text}`);
            }
            return { path: `/api/v1/tokens/${r.json.id}` };
        },
    },
    {
        method: 'POST',
        path: '/api/v1/users',
        allow: ['admin'],
        expect: 201,
        prepare: () => ({
            body: {
                email: `${unique('matrix')}@test.sanad`,
                name: 'Matrix User',
                password: 'matrix-password-1',
                roles: ['agent'],
            },
        }),
    },
    { method: 'GET', path: '/api/v1/users', allow: ['admin'], expect: 200 },
    {
        method: 'GET',
        path: '/api/v1/users/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: ({ ids }) => ({ path: `/api/v1/users/${ids.agent}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/users/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: ({ ids }) => ({ path: `/api/v1/users/${ids.scratch}`, body: { name: unique('Renamed ') } }),
    },
    { method: 'GET', path: '/api/v1/audit', allow: ['admin'], expect: 200 },
    // Knowledge base (the workflow's per-role rules are in kb_workflow.test.mjs).
    { method: 'GET', path: '/api/v1/kb/articles', allow: 'any', expect: 200 },
    { method: 'GET', path: '/api/v1/kb/internal-search', allow: 'any', expect: 200, prepare: () => ({ path: '/api/v1/kb/internal-search?q=x' }) },
    { method: 'GET', path: '/api/v1/kb/search', allow: 'public', expect: 200, prepare: () => ({ path: '/api/v1/kb/search?q=x' }) },
    { method: 'GET', path: '/api/v1/kb/suggest', allow: 'public', expect: 200, prepare: () => ({ path: '/api/v1/kb/suggest?q=x' }) },
    { method: 'GET', path: '/api/v1/kb/public/articles', allow: 'public', expect: 200 },
    { method: 'GET', path: '/api/v1/kb/synonyms', allow: ['admin', 'supervisor'], expect: 200 },
    { method: 'GET', path: '/api/v1/kb/analytics', allow: ['admin', 'supervisor', 'service_owner'], expect: 200 },
    { method: 'GET', path: '/api/v1/kb/export', allow: ['admin', 'supervisor', 'service_owner'], expect: 200 },
    // Email channel (the rules are in mail_*.test.mjs).
    { method: 'GET', path: '/api/v1/mailboxes', allow: ['admin'], expect: 200 },
    {
        method: 'POST',
        path: '/api/v1/mailboxes',
        allow: ['admin'],
        expect: 201,
        prepare: () => {
            const name = unique('mb').toLowerCase();
            return { body: { name, address: `${name}@sanad.test` } };
        },
    },
    { method: 'GET', path: '/api/v1/mail/inbound', allow: ['admin', 'supervisor'], expect: 200 },
    // Required documents (the rules are in documents.test.mjs).
    {
        method: 'POST',
        path: '/api/v1/service-lines/{code}/document-types',
        allow: ['admin'],
        expect: 201,
        prepare: async ({ server, admin, ids }) => {
            ids.docs ??= await matrixDocument(server, admin);
            return { path: `/api/v1/service-lines/${ids.docs.line}/document-types`, body: { name_ar: 'شهادة' } };
        },
    },
    {
        method: 'GET',
        path: '/api/v1/service-lines/{code}/document-types',
        allow: 'any',
        expect: 200,
        prepare: async ({ server, admin, ids }) => {
            ids.docs ??= await matrixDocument(server, admin);
            return { path: `/api/v1/service-lines/${ids.docs.line}/document-types` };
        },
    },
    {
        method: 'PATCH',
        path: '/api/v1/document-types/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async ({ server, admin, ids }) => {
            ids.docs ??= await matrixDocument(server, admin);
            return { path: `/api/v1/document-types/${ids.docs.typeId}`, body: { name_en: 'ID copy' } };
        },
    },
    {
        method: 'GET',
        path: '/api/v1/conversations/{id}/documents',
        allow: ['admin', 'supervisor', 'agent'],
        expect: 200,
        prepare: async ({ server, admin, ids }) => {
            ids.docs ??= await matrixDocument(server, admin);
            return { path: `/api/v1/conversations/${ids.docs.conversationId}/documents` };
        },
    },
    {
        method: 'GET',
        path: '/api/v1/documents/{id}/file',
        allow: ['admin', 'supervisor', 'agent'],
        expect: 200,
        prepare: async ({ server, admin, ids }) => {
            ids.docs ??= await matrixDocument(server, admin);
            return { path: `/api/v1/documents/${ids.docs.documentId}/file` };
        },
    },
    {
        method: 'POST',
        path: '/api/v1/documents/{id}/review',
        allow: ['admin', 'supervisor', 'agent'],
        expect: 200,
        // A pending document of its own for each call (a reviewed one answers 409).
        prepare: async ({ server, admin }) => {
            const d = await matrixDocument(server, admin);
            return { path: `/api/v1/documents/${d.documentId}/review`, body: { decision: 'accept' } };
        },
    },
];

export function allowed(route, role) {
    if (route.allow === 'public') {
        return true;
    }
    if (role === null) {
        return false;
    }
    if (route.allow === 'any') {
        return true;
    }
    return route.allow.includes(role);
}

export { ROLES };
