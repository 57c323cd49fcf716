// The route table the tests know, in one place: the route × role matrix walks it, and the OpenAPI test
// checks that the served document lists every one of these (method, path).
//
// allow: 'public' (anyone, signed in or not), 'any' (every signed-in role), or a list of roles.
// expect: the status an allowed caller gets.
// prepare(ctx) → {path?, body?, client?}: per-call set-up; ctx = {server, admin, caller, role, ids,
//   via}, caller is null for anonymous. A returned client replaces the caller (fresh sessions).
// bearer: false when the route has no meaning for a bearer token (logout ends a cookie session).
// call(ctx, prep) → a response-like {status, text, json, headers}: replaces the plain HTTP request
//   (the WebSocket stream answers its upgrade with 101).
// outside: [{roles, expect, why, prepare(ctx)}]: an allowed role on data it may not touch (department
//   staff on another department's escalation → 404, a service owner on another line's article →
//   403); the matrix calls the route as each of these roles on that data and wants that error.
import path from 'node:path';
import { ROLES, unique } from './harness.mjs';
import { matrixDocument, newMobile } from './documents.mjs';
import { openWs } from './wsclient.mjs';

// ---- set-up for the matrix: what the routes need, made through the API as the admin ----------

async function must(pending, status, what) {
    const r = await pending;
    if (r.status !== status) {
        throw new Error(`set-up: ${what}: ${r.status} ${r.text}`);
    }
    return r.json;
}

const code = (prefix) => unique(prefix).toLowerCase();

// The organisation every call shares, made once: a service line the service_owner owns and one it
// does not, the department_staff user's department and another department, a mailbox for the
// mail-ingest pipe. ids.org = {line, otherLine, dept, otherDept, mailbox}.
async function org({ admin, ids }) {
    if (ids.org) {
        return ids.org;
    }
    const o = { line: code('mx_line'), otherLine: code('mx_other'), dept: code('mx_dept'), otherDept: code('mx_dept') };
    for (const c of [o.line, o.otherLine]) {
        await must(admin.post('/api/v1/service-lines', { code: c, name_ar: 'خط المصفوفة', name_en: 'Matrix line' }), 201, 'service line');
    }
    await must(admin.patch(`/api/v1/service-lines/${o.line}`, { owners: [ids.service_owner] }), 200, 'line owners');
    for (const c of [o.dept, o.otherDept]) {
        await must(admin.post('/api/v1/departments', { code: c, name_ar: 'إدارة المصفوفة', name_en: 'Matrix department' }), 201, 'department');
    }
    await must(admin.patch(`/api/v1/users/${ids.department_staff}`, { departments: [o.dept] }), 200, 'staff department');
    const mb = code('mxpipe');
    o.mailbox = await must(admin.post('/api/v1/mailboxes', { name: mb, address: `${mb}@sanad.test` }), 201, 'mailbox');
    ids.org = o;
    return o;
}

function contactBody(line, extra = {}) {
    return { channel: 'phone', customer: { name: 'عميل المصفوفة', phones: [newMobile()] }, service_line: line, body: 'استفسار', ...extra };
}

// A new conversation of a new customer: {conversation_id, customer_id, …}.
async function newConversation(ctx) {
    const o = await org(ctx);
    return must(ctx.admin.post('/api/v1/contacts', contactBody(o.line)), 201, 'contact');
}

// A new conversation escalated to `dept` (default: the department_staff user's): the escalation.
async function newEscalation(ctx, dept) {
    const o = await org(ctx);
    const k = await newConversation(ctx);
    return must(ctx.admin.post(`/api/v1/conversations/${k.conversation_id}/escalations`,
        { department: dept ?? o.dept, note: 'للمراجعة' }), 201, 'escalation');
}

async function newCustomer({ admin }) {
    return must(admin.post('/api/v1/customers', { name: 'عميل المصفوفة', phones: [newMobile()] }), 201, 'customer');
}

async function newTemplate({ admin }) {
    return must(admin.post('/api/v1/templates', { code: code('mx_tpl'), title: 'قالب', bodies: { ar: 'مرحبا {{customer.name}}', en: 'Hello {{customer.name}}' } }), 201, 'template');
}

// A knowledge base article on `line` (default: the one the service_owner owns), taken as far as
// `until` in the workflow: draft, in_review, approved or published.
async function newArticle(ctx, { until = 'draft', line } = {}) {
    const o = await org(ctx);
    const { admin } = ctx;
    const a = await must(admin.post('/api/v1/kb/articles', { title: `مقالة ${unique('')}`, body: 'نص المقالة', lang: 'ar', service_line: line ?? o.line }), 201, 'article');
    const steps = ['submit', 'approve', 'publish'];
    const upto = { draft: 0, in_review: 1, approved: 2, published: 3 }[until];
    let out = a;
    for (const step of steps.slice(0, upto)) {
        out = await must(admin.post(`/api/v1/kb/articles/${a.id}/${step}`, step === 'publish' ? {} : undefined), 200, `article ${step}`);
    }
    return { ...a, ...out, id: a.id, slug: a.slug };
}

// One mail through `sanad mail-ingest` (the MTA pipe), with a PDF attached; → {conversationId, inboundId, attachmentId}.
async function ingestMail(ctx, { dept } = {}) {
    const { server, admin } = ctx;
    const o = await org(ctx);
    const id = unique('mx');
    const mail = [
        `From: citizen-${id}@example.test`, `To: ${o.mailbox.address}`, 'Subject: =?UTF-8?B?2LfZhNio?=',
        `Message-ID: <${id}@example.test>`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
        '--b', 'Content-Type: text/plain; charset=utf-8', '', 'مرفق', '--b', 'Content-Type: application/pdf',
        'Content-Disposition: attachment; filename="doc.pdf"', 'Content-Transfer-Encoding: base64', '',
        Buffer.from(`%PDF-1.4\n% ${id}\n%%EOF\n`, 'latin1').toString('base64'), '--b--', '',
    ].join('\r\n');
    const r = server.cli(['mail-ingest', '--db', server.db, '--data', path.join(server.dir, 'data'), '--mailbox', o.mailbox.name], { input: mail });
    const m = /conversation (\d+)/.exec(r.stdout);
    if (r.code !== 0 || !m) {
        throw new Error(`set-up: mail-ingest exited ${r.code}: ${r.stdout} ${r.stderr}`);
    }
    const conversationId = Number(m[1]);
    const log = await must(admin.get('/api/v1/mail/inbound?limit=200'), 200, 'mail log');
    const entry = (log.items ?? []).find((x) => x.conversation_id === conversationId);
    const conv = await must(admin.get(`/api/v1/conversations/${conversationId}`), 200, 'mail conversation');
    const att = conv.timeline.flatMap((t) => t.attachments ?? [])[0];
    if (!entry || !att) {
        throw new Error(`set-up: no mail log entry or attachment for conversation ${conversationId}`);
    }
    if (dept) {
        await must(admin.post(`/api/v1/conversations/${conversationId}/escalations`, { department: dept, note: 'مرفق' }), 201, 'escalation');
    }
    return { conversationId, inboundId: entry.id, attachmentId: att.id };
}

// A submitted document on a conversation escalated to dept (the department_staff user's, or
// another), made once per department: ids.deptDocs[dept].
async function escalatedDocument(ctx, dept) {
    const { server, admin, ids } = ctx;
    ids.deptDocs ??= {};
    if (!ids.deptDocs[dept]) {
        const d = await matrixDocument(server, admin);
        await must(admin.post(`/api/v1/conversations/${d.conversationId}/escalations`, { department: dept, note: 'مستندات' }), 201, 'escalation');
        ids.deptDocs[dept] = d;
    }
    return ids.deptDocs[dept];
}

// Shared, read-only things made once per server: ids.shared.
async function shared(ctx) {
    const { admin, ids } = ctx;
    if (ids.shared) {
        return ids.shared;
    }
    const o = await org(ctx);
    const s = {};
    s.customer = await newCustomer(ctx);
    s.escalation = await newEscalation(ctx);
    s.otherEscalation = await newEscalation(ctx, o.otherDept);
    s.template = await newTemplate(ctx);
    s.policy = await must(admin.post('/api/v1/sla-policies', { service_line: o.line, first_response_minutes: 60, resolution_minutes: 1440 }), 201, 'SLA policy');
    s.queue = await must(admin.post('/api/v1/queues', { service_line: o.line, policy: 'manual' }), 201, 'queue');
    s.webhook = await must(admin.post('/api/v1/webhooks', { url: 'http://203.0.113.10/hook', events: ['conversation.created'], secret: 'matrix-secret-0123456789', enabled: false }), 201, 'webhook');
    s.trigger = await must(admin.post('/api/v1/triggers', newTriggerBody(o)), 201, 'trigger');
    s.article = await newArticle(ctx);
    await must(admin.patch(`/api/v1/kb/articles/${s.article.id}`, { body: 'نص المقالة المعدل' }), 200, 'article edit');
    s.published = await newArticle(ctx, { until: 'published' });
    s.mail = await ingestMail(ctx, { dept: o.dept });
    s.otherMail = await ingestMail(ctx, { dept: o.otherDept });
    ids.shared = s;
    return s;
}

function newTriggerBody(o) {
    // On a service line no matrix contact uses, so it never fires.
    return { name: unique('mx trigger '), event: 'contact.created', conditions: { all: [{ field: 'service_line', op: 'is', value: o.otherLine }] }, actions: [{ type: 'add_tag', tag: 'matrix' }] };
}

const FRONT = ['admin', 'supervisor', 'agent'];
const READERS = [...FRONT, 'department_staff', 'qa_evaluator'];
const DESK = [...FRONT, 'department_staff'];
const LEADS = ['admin', 'supervisor'];
const AUTHORS = ['admin', 'supervisor', 'service_owner'];
const KB_WRITERS = [...FRONT, 'service_owner'];
const KB_OWNERS = ['admin', 'service_owner'];

// Department staff on another department's escalation: it does not exist for them.
const otherDepartment = (prepare) => [{ roles: ['department_staff'], expect: 404, why: "another department's", prepare }];
// A service owner on an article of a line it does not own.
const notOwnedLine = (until, tail, body) => [{
    roles: ['service_owner'],
    expect: 403,
    why: "a line it does not own",
    prepare: async (ctx) => {
        const o = await org(ctx);
        const a = await newArticle(ctx, { until, line: o.otherLine });
        return { path: `/api/v1/kb/articles/${a.id}/${tail}`, body };
    },
}];

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
        allow: DESK,
        expect: 200,
        // Escalated to the department_staff user's department, so they may read it too.
        prepare: async (ctx) => ({ path: `/api/v1/conversations/${(await escalatedDocument(ctx, (await org(ctx)).dept)).conversationId}/documents` }),
        outside: otherDepartment(async (ctx) => ({ path: `/api/v1/conversations/${(await escalatedDocument(ctx, (await org(ctx)).otherDept)).conversationId}/documents` })),
    },
    {
        method: 'GET',
        path: '/api/v1/documents/{id}/file',
        allow: DESK,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/documents/${(await escalatedDocument(ctx, (await org(ctx)).dept)).documentId}/file` }),
        outside: otherDepartment(async (ctx) => ({ path: `/api/v1/documents/${(await escalatedDocument(ctx, (await org(ctx)).otherDept)).documentId}/file` })),
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
    // ---- Session and organisation (issue 3) ----
    { method: 'PATCH', path: '/api/v1/me', allow: 'any', expect: 200, prepare: () => ({ body: { locale: 'ar' } }) },
    {
        method: 'POST',
        path: '/api/v1/service-lines',
        allow: ['admin'],
        expect: 201,
        prepare: () => ({ body: { code: code('mx_sl'), name_ar: 'خدمة', name_en: 'Service' } }),
    },
    { method: 'GET', path: '/api/v1/service-lines', allow: 'any', expect: 200 },
    {
        method: 'GET',
        path: '/api/v1/service-lines/{code}',
        allow: 'any',
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/service-lines/${(await org(ctx)).line}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/service-lines/{code}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/service-lines/${(await org(ctx)).otherLine}`, body: { name_en: unique('Renamed ') } }),
    },
    {
        method: 'POST',
        path: '/api/v1/departments',
        allow: ['admin'],
        expect: 201,
        prepare: () => ({ body: { code: code('mx_d'), name_ar: 'إدارة', name_en: 'Department' } }),
    },
    { method: 'GET', path: '/api/v1/departments', allow: 'any', expect: 200 },
    {
        method: 'GET',
        path: '/api/v1/departments/{code}',
        allow: 'any',
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/departments/${(await org(ctx)).dept}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/departments/{code}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/departments/${(await org(ctx)).otherDept}`, body: { name_en: unique('Renamed ') } }),
    },
    // ---- Customers, contacts, conversations (issue 3; the rules are in conv_*.test.mjs) ----
    {
        method: 'POST',
        path: '/api/v1/customers',
        allow: FRONT,
        expect: 201,
        prepare: () => ({ body: { name: 'عميل جديد', phones: [newMobile()] } }),
    },
    { method: 'GET', path: '/api/v1/customers', allow: FRONT, expect: 200 },
    {
        method: 'GET',
        path: '/api/v1/customers/{id}',
        allow: FRONT,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/customers/${(await shared(ctx)).customer.id}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/customers/{id}',
        allow: FRONT,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/customers/${(await newCustomer(ctx)).id}`, body: { emails: [`${unique('c')}@example.test`] } }),
    },
    {
        method: 'POST',
        path: '/api/v1/customers/{id}/merge',
        allow: FRONT,
        expect: 200,
        prepare: async (ctx) => {
            const [a, b] = [await newCustomer(ctx), await newCustomer(ctx)];
            return { path: `/api/v1/customers/${a.id}/merge`, body: { other_id: b.id } };
        },
    },
    {
        method: 'POST',
        path: '/api/v1/contacts',
        allow: FRONT,
        expect: 201,
        prepare: async (ctx) => ({ body: contactBody((await org(ctx)).line) }),
    },
    {
        method: 'POST',
        path: '/api/v1/conversations',
        allow: FRONT,
        expect: 201,
        prepare: async (ctx) => ({ body: contactBody((await org(ctx)).line, { channel: 'phone', subject: 'اتصال صادر' }) }),
    },
    { method: 'GET', path: '/api/v1/conversations', allow: READERS, expect: 200 },
    {
        method: 'GET',
        path: '/api/v1/conversations/{id}',
        allow: READERS,
        expect: 200,
        // Escalated to the department_staff user's department, so they may read it too.
        prepare: async (ctx) => ({ path: `/api/v1/conversations/${(await shared(ctx)).escalation.conversation_id}` }),
        outside: otherDepartment(async (ctx) => ({ path: `/api/v1/conversations/${(await shared(ctx)).otherEscalation.conversation_id}` })),
    },
    {
        method: 'PATCH',
        path: '/api/v1/conversations/{id}',
        allow: FRONT,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/conversations/${(await newConversation(ctx)).conversation_id}`, body: { priority: 'high', tags: ['matrix'] } }),
    },
    {
        method: 'POST',
        path: '/api/v1/conversations/{id}/messages',
        allow: FRONT,
        expect: 201,
        prepare: async (ctx) => ({ path: `/api/v1/conversations/${(await newConversation(ctx)).conversation_id}/messages`, body: { kind: 'note', body: 'ملاحظة' } }),
    },
    {
        method: 'POST',
        path: '/api/v1/conversations/{id}/merge',
        allow: FRONT,
        expect: 200,
        prepare: async (ctx) => {
            const [a, b] = [await newConversation(ctx), await newConversation(ctx)];
            return { path: `/api/v1/conversations/${a.conversation_id}/merge`, body: { other_id: b.conversation_id } };
        },
    },
    {
        method: 'POST',
        path: '/api/v1/conversations/{id}/escalations',
        allow: FRONT,
        expect: 201,
        prepare: async (ctx) => {
            const o = await org(ctx);
            return { path: `/api/v1/conversations/${(await newConversation(ctx)).conversation_id}/escalations`, body: { department: o.dept, note: 'للإدارة' } };
        },
    },
    // ---- Escalations: department staff see only their departments' (another's → 404) ----
    { method: 'GET', path: '/api/v1/escalations', allow: DESK, expect: 200 },
    {
        method: 'GET',
        path: '/api/v1/escalations/{id}',
        allow: DESK,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/escalations/${(await shared(ctx)).escalation.id}` }),
        outside: otherDepartment(async (ctx) => ({ path: `/api/v1/escalations/${(await shared(ctx)).otherEscalation.id}` })),
    },
    {
        method: 'POST',
        path: '/api/v1/escalations/{id}/replies',
        allow: DESK,
        expect: 201,
        prepare: async (ctx) => ({ path: `/api/v1/escalations/${(await newEscalation(ctx)).id}/replies`, body: { body: 'تمت المراجعة' } }),
        outside: otherDepartment(async (ctx) => ({
            path: `/api/v1/escalations/${(await newEscalation(ctx, (await org(ctx)).otherDept)).id}/replies`,
            body: { body: 'ليست لنا' },
        })),
    },
    {
        method: 'PATCH',
        path: '/api/v1/escalations/{id}',
        allow: DESK,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/escalations/${(await newEscalation(ctx)).id}`, body: { status: 'resolved' } }),
        outside: otherDepartment(async (ctx) => ({
            path: `/api/v1/escalations/${(await newEscalation(ctx, (await org(ctx)).otherDept)).id}`,
            body: { status: 'resolved' },
        })),
    },
    // ---- Settings: business hours, SLA policies, queues (admin changes, staff read) ----
    { method: 'GET', path: '/api/v1/calendars/{id}', allow: READERS, expect: 200, prepare: () => ({ path: '/api/v1/calendars/default' }) },
    {
        method: 'PATCH',
        path: '/api/v1/calendars/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: () => ({ path: '/api/v1/calendars/default', body: { timezone: 'Asia/Riyadh' } }),
    },
    { method: 'GET', path: '/api/v1/sla-policies', allow: READERS, expect: 200 },
    {
        method: 'POST',
        path: '/api/v1/sla-policies',
        allow: ['admin'],
        expect: 201,
        prepare: async (ctx) => ({ body: { service_line: (await org(ctx)).otherLine, priority: 'urgent', first_response_minutes: 15, resolution_minutes: 240 } }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/sla-policies/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/sla-policies/${(await shared(ctx)).policy.id}`, body: { first_response_minutes: 45 } }),
    },
    { method: 'GET', path: '/api/v1/queues', allow: READERS, expect: 200 },
    {
        method: 'POST',
        path: '/api/v1/queues',
        allow: ['admin'],
        expect: 201,
        // A service line of its own per call (one queue per line and channel).
        prepare: async ({ admin }) => {
            const c = code('mx_q');
            await must(admin.post('/api/v1/service-lines', { code: c, name_ar: 'طابور', name_en: 'Queue line' }), 201, 'service line');
            return { body: { service_line: c, policy: 'round_robin' } };
        },
    },
    {
        method: 'PATCH',
        path: '/api/v1/queues/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/queues/${(await shared(ctx)).queue.id}`, body: { policy: 'least_open' } }),
    },
    // ---- Approved templates: authors draft, supervisors and admins approve ----
    // Service owners author templates (POST/PATCH), so they read them too.
    { method: 'GET', path: '/api/v1/templates', allow: [...READERS, 'service_owner'], expect: 200 },
    {
        method: 'POST',
        path: '/api/v1/templates',
        allow: AUTHORS,
        expect: 201,
        prepare: () => ({ body: { code: code('mx_t'), title: 'قالب', bodies: { ar: 'مرحبا', en: 'Hello' } } }),
    },
    {
        method: 'GET',
        path: '/api/v1/templates/{code}',
        allow: [...READERS, 'service_owner'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/templates/${(await shared(ctx)).template.code}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/templates/{code}',
        allow: AUTHORS,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/templates/${(await newTemplate(ctx)).code}`, body: { title: 'قالب معدل' } }),
    },
    {
        method: 'POST',
        path: '/api/v1/templates/{code}/approve',
        allow: LEADS,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/templates/${(await newTemplate(ctx)).code}/approve` }),
    },
    // ---- Webhooks and triggers (admin only) ----
    {
        method: 'POST',
        path: '/api/v1/webhooks',
        allow: ['admin'],
        expect: 201,
        prepare: () => ({ body: { url: 'https://198.51.100.7/hook', events: ['escalation.created'], secret: 'matrix-secret-0123456789', enabled: false } }),
    },
    { method: 'GET', path: '/api/v1/webhooks', allow: ['admin'], expect: 200 },
    {
        method: 'GET',
        path: '/api/v1/webhooks/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/webhooks/${(await shared(ctx)).webhook.id}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/webhooks/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/webhooks/${(await shared(ctx)).webhook.id}`, body: { events: ['conversation.created', 'escalation.updated'] } }),
    },
    {
        method: 'DELETE',
        path: '/api/v1/webhooks/{id}',
        allow: ['admin'],
        expect: 204,
        prepare: async ({ admin }) => {
            const h = await must(admin.post('/api/v1/webhooks', { url: 'http://203.0.113.11/gone', events: ['*'], secret: 'matrix-secret-0123456789', enabled: false }), 201, 'webhook');
            return { path: `/api/v1/webhooks/${h.id}` };
        },
    },
    {
        method: 'GET',
        path: '/api/v1/webhooks/{id}/deliveries',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/webhooks/${(await shared(ctx)).webhook.id}/deliveries` }),
    },
    {
        method: 'POST',
        path: '/api/v1/triggers',
        allow: ['admin'],
        expect: 201,
        prepare: async (ctx) => ({ body: newTriggerBody(await org(ctx)) }),
    },
    { method: 'GET', path: '/api/v1/triggers', allow: ['admin'], expect: 200 },
    {
        method: 'GET',
        path: '/api/v1/triggers/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/triggers/${(await shared(ctx)).trigger.id}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/triggers/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/triggers/${(await shared(ctx)).trigger.id}`, body: { name: unique('mx renamed ') } }),
    },
    {
        method: 'DELETE',
        path: '/api/v1/triggers/{id}',
        allow: ['admin'],
        expect: 204,
        prepare: async (ctx) => {
            const t = await must(ctx.admin.post('/api/v1/triggers', newTriggerBody(await org(ctx))), 201, 'trigger');
            return { path: `/api/v1/triggers/${t.id}` };
        },
    },
    // ---- The live stream: a WebSocket upgrade (101), then the first message ----
    {
        method: 'GET',
        path: '/api/v1/stream',
        allow: READERS,
        expect: 101,
        call: async ({ server, caller }) => {
            const headers = { origin: server.url };
            if (caller?.cookie) {
                headers.cookie = caller.cookie;
            }
            if (caller?.token) {
                headers.authorization = `Bearer ${caller.token}`;
            }
            const ws = await openWs(server.url, '/api/v1/stream', { headers });
            if (!ws.messages) {
                return { method: 'GET', path: '/api/v1/stream', ...ws };
            }
            try {
                await ws.next((m) => m.type === 'ready' || m.type === 'resync', 5_000, 'the first message');
            } finally {
                await ws.close();
            }
            return { method: 'GET', path: '/api/v1/stream', status: 101, text: '', json: null };
        },
    },
    // ---- Knowledge base workflow: writers draft and submit; owners of the line (or admins) approve,
    //      publish and archive ----
    {
        method: 'POST',
        path: '/api/v1/kb/articles',
        allow: KB_WRITERS,
        expect: 201,
        prepare: async (ctx) => ({ body: { title: `مقالة ${unique('')}`, body: 'نص', lang: 'ar', service_line: (await org(ctx)).line } }),
    },
    {
        method: 'GET',
        path: '/api/v1/kb/articles/{id}',
        allow: 'any',
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await shared(ctx)).article.id}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/kb/articles/{id}',
        allow: KB_WRITERS,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await newArticle(ctx)).id}`, body: { body: 'نص جديد', note: 'تعديل' } }),
    },
    {
        method: 'POST',
        path: '/api/v1/kb/articles/{id}/submit',
        allow: KB_WRITERS,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await newArticle(ctx)).id}/submit` }),
    },
    {
        method: 'POST',
        path: '/api/v1/kb/articles/{id}/approve',
        allow: KB_OWNERS,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await newArticle(ctx, { until: 'in_review' })).id}/approve` }),
        outside: notOwnedLine('in_review', 'approve'),
    },
    {
        method: 'POST',
        path: '/api/v1/kb/articles/{id}/publish',
        allow: KB_OWNERS,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await newArticle(ctx, { until: 'approved' })).id}/publish`, body: {} }),
        outside: notOwnedLine('approved', 'publish', {}),
    },
    {
        method: 'POST',
        path: '/api/v1/kb/articles/{id}/archive',
        allow: KB_OWNERS,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await newArticle(ctx, { until: 'published' })).id}/archive` }),
        outside: notOwnedLine('published', 'archive'),
    },
    {
        method: 'GET',
        path: '/api/v1/kb/articles/{id}/versions',
        allow: 'any',
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await shared(ctx)).article.id}/versions` }),
    },
    {
        method: 'GET',
        path: '/api/v1/kb/articles/{id}/diff',
        allow: 'any',
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await shared(ctx)).article.id}/diff?from=1&to=2` }),
    },
    {
        method: 'POST',
        path: '/api/v1/kb/articles/{id}/feedback',
        allow: 'public',
        expect: 204,
        // One vote per address and article a day: every caller has an address of its own.
        prepare: async (ctx) => ({ path: `/api/v1/kb/articles/${(await shared(ctx)).published.id}/feedback`, body: { helpful: true } }),
    },
    {
        method: 'POST',
        path: '/api/v1/kb/clicks',
        allow: 'public',
        expect: 204,
        prepare: async (ctx) => {
            const s = await shared(ctx);
            const r = await must(ctx.server.client().get('/api/v1/kb/search?q=%D9%85%D9%82%D8%A7%D9%84%D8%A9'), 200, 'search');
            return { body: { search_id: r.search_id, article_id: s.published.id } };
        },
    },
    {
        method: 'POST',
        path: '/api/v1/kb/submissions',
        allow: 'public',
        expect: 204,
        prepare: async ({ server }) => {
            const session = unique('mxs');
            await must(server.client().get(`/api/v1/kb/suggest?q=x&source=contact_form&session=${session}`), 200, 'suggest');
            return { body: { session } };
        },
    },
    {
        method: 'GET',
        path: '/api/v1/kb/public/articles/{slug}',
        allow: 'public',
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/kb/public/articles/${encodeURIComponent((await shared(ctx)).published.slug)}` }),
    },
    {
        method: 'POST',
        path: '/api/v1/kb/synonyms',
        allow: ['admin'],
        expect: 201,
        prepare: () => ({ body: { terms: [unique('mxa'), unique('mxb')] } }),
    },
    {
        method: 'DELETE',
        path: '/api/v1/kb/synonyms/{id}',
        allow: ['admin'],
        expect: 204,
        prepare: async ({ admin }) => {
            const g = await must(admin.post('/api/v1/kb/synonyms', { terms: [unique('mxc'), unique('mxd')] }), 201, 'synonyms');
            return { path: `/api/v1/kb/synonyms/${g.id}` };
        },
    },
    // ---- Email: mailboxes and the raw mail are the admin's; attachments are for staff who may see
    //      the conversation (department staff: escalated to their department) ----
    {
        method: 'GET',
        path: '/api/v1/mailboxes/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/mailboxes/${(await org(ctx)).mailbox.id}` }),
    },
    {
        method: 'PATCH',
        path: '/api/v1/mailboxes/{id}',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/mailboxes/${(await org(ctx)).mailbox.id}`, body: { service_line: (await org(ctx)).line } }),
    },
    {
        method: 'GET',
        path: '/api/v1/mail/inbound/{id}/raw',
        allow: ['admin'],
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/mail/inbound/${(await shared(ctx)).mail.inboundId}/raw` }),
    },
    {
        method: 'GET',
        path: '/api/v1/attachments/{id}',
        allow: READERS,
        expect: 200,
        prepare: async (ctx) => ({ path: `/api/v1/attachments/${(await shared(ctx)).mail.attachmentId}` }),
        outside: otherDepartment(async (ctx) => ({ path: `/api/v1/attachments/${(await shared(ctx)).otherMail.attachmentId}` })),
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
