// documents.test.mjs — required documents in the browser, in Arabic: a citizen opens /documents,
// identifies with a national ID and a one-time code sent by SMS (a FAKE gateway records it,
// tests/api/lib/documents.mjs), has a file renamed to .pdf refused, uploads the documents and gets
// a reference number; an agent rejects one in the conversation view with an approved reason; the
// citizen is told by SMS, sees the reason and uploads a replacement; the agent accepts it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../api/lib/harness.mjs';
import { startFakeSms, newNationalId, newMobile, PDF, PNG, EXE } from '../api/lib/documents.mjs';
import { appMissing, chromiumMissing, launch, newPage, screenshot, signIn, unlabelled } from './lib/browser.mjs';

const skip = chromiumMissing() || appMissing();
const LINE = 'annual_returns';

describe('documents a service requires (browser, Arabic)', { skip: skip ?? false }, () => {
    let server, sms, browser, closeBrowser;
    let citizen, citizenProblems, agent, agentProblems;
    let admin, idType, photoType, who, reference, conversationId;

    async function json(p, status) {
        const r = await p;
        assert.equal(r.status, status, r.text);
        return r.json;
    }

    before(async () => {
        sms = await startFakeSms();
        server = await startServer({ extraArgs: ['--sms-gateway-url', sms.url, '--job-backoff-base-ms', '100'] });
        admin = await server.login('admin');
        const supervisor = await server.login('supervisor');
        await json(admin.post('/api/v1/service-lines', { code: LINE, name_ar: 'العوائد السنوية', name_en: 'Annual returns' }), 201);
        idType = await json(admin.post(`/api/v1/service-lines/${LINE}/document-types`, { name_ar: 'صورة الهوية الوطنية', name_en: 'National ID copy', position: 1 }), 201);
        photoType = await json(admin.post(`/api/v1/service-lines/${LINE}/document-types`, { name_ar: 'صورة شخصية', name_en: 'Photo', position: 2, allowed_types: ['image/png', 'image/jpeg'] }), 201);
        await json(supervisor.post('/api/v1/templates', {
            code: 'doc_unclear', title: 'مستند غير واضح',
            bodies: { ar: 'الصورة غير واضحة، يرجى رفع نسخة أوضح.', en: 'The image is not clear; please upload a clearer copy.' },
        }), 201);
        await json(supervisor.post('/api/v1/templates/doc_unclear/approve'), 200);
        who = { nid: newNationalId(), mobile: newMobile() };
        await json(admin.post('/api/v1/customers', { name: 'نورة العتيبي', national_id: who.nid, phones: [who.mobile] }), 201);
        ({ browser, close: closeBrowser } = await launch());
        ({ page: citizen, problems: citizenProblems } = await newPage(browser, { width: 1100, height: 900 }));
        ({ page: agent, problems: agentProblems } = await newPage(browser, { width: 1440, height: 900 }));
    });

    after(async () => {
        await closeBrowser?.();
        await server?.stop();
        await sms?.close();
    });

    test('the citizen signs in with a code sent by SMS', async () => {
        await citizen.goto(`${server.url}/documents`);
        assert.equal(await citizen.getAttribute('html', 'dir'), 'rtl');
        assert.deepEqual(await unlabelled(citizen), []);
        await citizen.fill('#national_id', who.nid);
        await citizen.click('main button[type=submit]');
        await citizen.waitForSelector('input[name=via]');
        const label = await citizen.textContent('label[for=via_0]');
        assert.match(label, /جوال/);
        assert.ok(!label.includes(who.mobile), 'the full mobile number is shown');
        const from = sms.messages.length;
        await citizen.click('main button[type=submit]');
        await citizen.waitForSelector('#code');
        const m = await sms.waitFor(who.mobile, { from });
        const code = m.json.text.match(/\d{6}/)[0];
        // One wrong try first: the page says so and how many remain.
        await citizen.fill('#code', code === '123456' ? '654321' : '123456');
        await citizen.click('main button[type=submit]');
        await citizen.waitForSelector('.error:has-text("رمز التحقق غير صحيح")');
        await citizen.fill('#code', code);
        await citizen.click('main button[type=submit]');
        await citizen.waitForSelector('text=اختر الخدمة');
        await screenshot(citizen, 'documents-services-ar');
    });

    test('a file renamed to .pdf is refused by its content; the documents give a reference number', async () => {
        await citizen.click('a:has-text("العوائد السنوية")');
        await citizen.waitForSelector(`#doc_${idType.id}`);
        assert.deepEqual(await unlabelled(citizen), []);
        await citizen.setInputFiles(`#doc_${idType.id}`, { name: 'الهوية.pdf', mimeType: 'application/pdf', buffer: EXE });
        await citizen.setInputFiles(`#doc_${photoType.id}`, { name: 'صورة.png', mimeType: 'image/png', buffer: PNG });
        await citizen.click('main form button[type=submit]');
        await citizen.waitForSelector(`#doc_${idType.id}_error`);
        assert.match(await citizen.textContent(`#doc_${idType.id}_error`), /نوع الملف غير مسموح/);
        await screenshot(citizen, 'documents-wrong-type-ar');
        await citizen.setInputFiles(`#doc_${idType.id}`, { name: 'الهوية.pdf', mimeType: 'application/pdf', buffer: PDF });
        await citizen.setInputFiles(`#doc_${photoType.id}`, { name: 'صورة.png', mimeType: 'image/png', buffer: PNG });
        await citizen.click('main form button[type=submit]');
        await citizen.waitForSelector('#reference');
        reference = (await citizen.textContent('#reference')).trim();
        assert.match(reference, /^DOC-\d{6}$/);
        assert.match(await citizen.textContent('.notice'), /تم إرسال مستنداتك بنجاح/);
        await screenshot(citizen, 'documents-reference-ar');
        conversationId = Number(server.sql(`SELECT conversation_id FROM document_submissions WHERE reference = '${reference}'`).trim());
        assert.ok(conversationId > 0);
    });

    test('the agent rejects the ID copy with an approved reason in the conversation view', async () => {
        await signIn(agent, server.url, server.users.agent);
        await agent.goto(`${server.url}/app/inbox/${conversationId}`);
        await agent.waitForSelector('#documents-panel');
        const docs = (await (await server.login('agent')).get(`/api/v1/conversations/${conversationId}/documents`)).json.items;
        const idDoc = docs.find((d) => d.type.id === idType.id);
        const row = `.doc[data-document="${idDoc.id}"]`;
        assert.match(await agent.textContent(`${row} .doc-type`), /صورة الهوية الوطنية/);
        assert.equal(await agent.getAttribute(`${row} a.doc-download`, 'href'), `/api/v1/documents/${idDoc.id}/file`);
        await agent.click(`${row} .doc-reject-open`);
        await agent.selectOption(`#reason-${idDoc.id}`, 'doc_unclear');
        await agent.fill(`#note-${idDoc.id}`, 'الصورة مشوشة');
        assert.deepEqual(await unlabelled(agent), []);
        const from = sms.messages.length;
        await agent.click(`${row} .doc-reject button[type=submit]`);
        await agent.waitForSelector(`${row}[data-status="rejected"]`);
        await agent.waitForSelector('#timeline [data-type="document_rejected"]');
        await screenshot(agent, 'documents-agent-review-ar');
        const notice = await sms.waitFor(who.mobile, { from, pred: (x) => /لم يُقبل/.test(x.json.text) });
        assert.match(notice.json.text, /الصورة غير واضحة/);
        assert.match(notice.json.text, new RegExp(reference));
    });

    test('the citizen sees the reason and uploads a replacement; the agent accepts it', async () => {
        await citizen.goto(`${server.url}/documents/submissions/${reference}`);
        await citizen.waitForSelector('tr[data-status="rejected"]');
        assert.match(await citizen.textContent('tr[data-status="rejected"]'), /الصورة غير واضحة/);
        const docId = await citizen.getAttribute('tr[data-status="rejected"]', 'data-document');
        await citizen.setInputFiles(`#file_${docId}`, { name: 'هوية-واضحة.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([PDF, Buffer.from('%clear\n')]) });
        await citizen.click(`tr[data-document="${docId}"] form button[type=submit]`);
        await citizen.waitForSelector('.notice:has-text("تم استلام المستند البديل")');
        await citizen.waitForSelector(`tr[data-document="${docId}"][data-status="replaced"]`);
        await screenshot(citizen, 'documents-replaced-ar');

        await agent.reload();
        await agent.waitForSelector('#documents-panel');
        const pending = '.doc-list > .doc[data-status="pending"]';
        await agent.waitForSelector(pending);
        const n = await agent.locator(pending).count();
        for (let i = 0; i < n; i++) {
            await agent.locator(`${pending} .doc-accept`).first().click();
            await agent.waitForFunction(([sel, left]) => document.querySelectorAll(sel).length <= left, [pending, n - i - 1]);
        }
        await agent.waitForSelector('#timeline [data-type="document_replaced"]');
        await agent.waitForSelector('#timeline [data-type="document_accepted"]');
        assert.equal(await agent.locator('.doc-history .doc').count(), 1);
        await citizen.reload();
        await citizen.waitForSelector('tr[data-status="accepted"]');
        assert.deepEqual(citizenProblems, []);
        assert.deepEqual(agentProblems, []);
    });

    test('department staff, on the conversation escalated to them, see the documents without review', async () => {
        await json(admin.post('/api/v1/departments', { code: 'identity', name_ar: 'إدارة الهويات', name_en: 'Identity' }), 201);
        const staff = await server.login('department_staff');
        await json(admin.patch(`/api/v1/users/${staff.user.id}`, { departments: ['identity'] }), 200);
        await json((await server.login('agent')).post(`/api/v1/conversations/${conversationId}/escalations`, { department: 'identity', note: 'مطابقة الهوية' }), 201);
        const { page, problems } = await newPage(browser, { width: 1440, height: 900 });
        await signIn(page, server.url, server.users.department_staff);
        await page.goto(`${server.url}/app/inbox/${conversationId}`);
        await page.waitForSelector('#documents-panel .doc[data-status="accepted"] a.doc-download');
        assert.equal(await page.locator('#documents-panel .doc-accept, #documents-panel .doc-reject-open').count(), 0);
        assert.deepEqual(problems, []);
    });
});
