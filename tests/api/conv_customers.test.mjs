// Customers: Saudi national ID validation, phone and email normalisation, masking by default, the
// audited reveal, search (Arabic-normalised names, phones in any format) and merging two customers.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, show } from './lib/harness.mjs';
import { expectError, expectStatus, expectIsoTime } from './lib/expect.mjs';

const backend = backendName();

// ---- helpers of this file --------------------------------------------------------------------

async function ok(pending, status = 200) {
    const r = await pending;
    expectStatus(r, status);
    return r.json;
}

// Saudi mobile numbers in local form, one new number per call.
let phoneSeq = 3000;
function newPhone() {
    phoneSeq += 1;
    return `05${String(phoneSeq).padStart(8, '0')}`;
}

// 05XXXXXXXX → +9665XXXXXXXX
function e164(local) {
    return `+966${local.slice(1)}`;
}

// The Luhn check digit that makes a 10-digit ID starting with `nine` valid.
function nationalId(nine) {
    const digits = nine.split('').map(Number);
    let sum = 0;
    digits.forEach((d, i) => {
        if (i % 2 === 0) {
            const x = d * 2;
            sum += x > 9 ? x - 9 : x;
        } else {
            sum += d;
        }
    });
    return nine + String((10 - (sum % 10)) % 10);
}

let idSeq = 10000;
function newNationalId(first = '1') {
    idSeq += 1;
    return nationalId(`${first}${String(idSeq).padStart(8, '0')}`);
}

async function reveal(client, id, reason = 'test') {
    return ok(client.get(`/api/v1/customers/${id}?reveal=1&reason=${encodeURIComponent(reason)}`));
}

async function search(client, q) {
    const body = await ok(client.get(`/api/v1/customers?q=${encodeURIComponent(q)}`));
    assert.ok(Array.isArray(body.items), JSON.stringify(body));
    return body.items;
}

// Every customer.reveal audit row, newest first.
async function revealRows(admin) {
    const rows = [];
    let cursor = null;
    for (let i = 0; i < 100; i++) {
        const body = await ok(admin.get(`/api/v1/audit?action=customer.reveal&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
        rows.push(...body.items);
        cursor = body.next_cursor;
        if (cursor === null) {
            return rows;
        }
    }
    throw new Error('audit pagination never ended');
}

// ---- tests -----------------------------------------------------------------------------------

describe(`conversations: customers [${backend}]`, () => {
    let server;
    let admin;
    let agent;
    let line;

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
        agent = await server.login('agent');
        line = 'cust_line';
        await ok(admin.post('/api/v1/service-lines', { code: line, name_ar: 'خدمة العملاء', name_en: 'Customers' }), 201);
    });

    after(async () => {
        await server?.stop();
    });

    test('valid Saudi national IDs (citizen and resident) are accepted and stored as given', async () => {
        const masks = { 1000000008: '1******008', 2000000006: '2******006', 1234567897: '1******897' };
        for (const nid of ['1000000008', '2000000006', '1234567897']) {
            const c = await ok(agent.post('/api/v1/customers', { name: `Holder ${nid}`, national_id: nid }), 201);
            assert.equal(c.national_id, masks[nid], JSON.stringify(c));
            const full = await reveal(agent, c.id);
            assert.equal(full.national_id, nid);
            // Found by its number, shown masked.
            const items = await search(agent, nid);
            assert.deepEqual(items.map((x) => [x.id, x.national_id]), [[c.id, masks[nid]]]);
        }
    });

    test('a national ID with a wrong check digit → 422 naming national_id', async () => {
        for (const nid of ['1000000009', '2000000007', '1234567890']) {
            expectError(await agent.post('/api/v1/customers', { name: 'Bad ID', national_id: nid }), 422,
                { field: 'national_id' });
        }
    });

    test('a national ID not starting with 1 or 2, or not 10 digits → 422 naming national_id', async () => {
        // 3000000004 passes Luhn but 3 is neither citizen nor resident.
        for (const nid of ['3000000004', '100000008', '10000000080', '10000000a8']) {
            expectError(await agent.post('/api/v1/customers', { name: 'Bad ID', national_id: nid }), 422,
                { field: 'national_id' });
        }
    });

    test('a contact bringing a bad national ID is refused with 422 naming national_id', async () => {
        expectError(await agent.post('/api/v1/contacts', {
            channel: 'phone', customer: { name: 'x', national_id: '1000000009', phones: [newPhone()] },
            service_line: line, body: 'hello',
        }), 422, { field: 'national_id' });
    });

    test('phones are normalised to E.164 (05XXXXXXXX → +9665XXXXXXXX), emails lower-cased', async () => {
        const local = newPhone();
        const c = await ok(agent.post('/api/v1/customers', {
            name: 'Normal Form', phones: [local], emails: ['Ahmed.Ali@Example.COM'],
        }), 201);
        const full = await reveal(agent, c.id, 'checking normalisation');
        assert.deepEqual(full.phones, [e164(local)]);
        assert.deepEqual(full.emails, ['ahmed.ali@example.com']);
        assert.equal(full.masked, false);
    });

    test('phones with spaces, dashes, +966 or Arabic-Indic digits normalise to the same number', async () => {
        const forms = [
            ['0 5 0 0 0 0 7 7 0 1', '+966500007701'],
            ['050-000-7702', '+966500007702'],
            ['+966 50 000 7703', '+966500007703'],
            ['٠٥٠٠٠٠٧٧٠٤', '+966500007704'],
        ];
        const c = await ok(agent.post('/api/v1/customers', { name: 'Many Forms', phones: forms.map((f) => f[0]) }), 201);
        const full = await reveal(agent, c.id);
        assert.deepEqual(full.phones, forms.map((f) => f[1]));
    });

    test('international phones keep their country code; CR numbers and international numbers are masked', async () => {
        const c = await ok(agent.post('/api/v1/customers', {
            name: 'Abroad', phones: ['+44 20 7946 0958'], cr_number: '1010123456',
        }), 201);
        assert.deepEqual(c.phones, ['+442*******58']);
        assert.equal(c.cr_number, '1******456');
        const full = await reveal(agent, c.id);
        assert.deepEqual(full.phones, ['+442079460958']);
        assert.equal(full.cr_number, '1010123456');
    });

    test('a bad phone, email or X handle → 422 whose field names the request field', async () => {
        let e = expectError(await agent.post('/api/v1/customers', { name: 'x', phones: [newPhone(), 'abc'] }), 422);
        assert.match(e.field, /^phones(\[1\])?$/, `field of a bad phones[1]: ${JSON.stringify(e)}`);
        e = expectError(await agent.post('/api/v1/customers', { name: 'x', emails: ['not-an-email'] }), 422);
        assert.match(e.field, /^emails(\[0\])?$/, `field of a bad emails[0]: ${JSON.stringify(e)}`);
        expectError(await agent.post('/api/v1/customers', { name: 'x', x_handle: '@this_handle_is_too_long_16' }), 422,
            { field: 'x_handle' });
    });

    test('personal data is masked by default in create, read and search', async () => {
        const nid = newNationalId('2');
        const local = newPhone();
        const created = await ok(agent.post('/api/v1/customers', {
            name: 'Masked Person', national_id: nid, phones: [local], emails: ['masked.person@example.com'],
            x_handle: '@MaskedPerson',
        }), 201);
        const expected = {
            national_id: `2******${nid.slice(-3)}`,
            phones: [`+9665*****${local.slice(-2)}`],
            emails: ['m***@example.com'],
            x_handle: '@m***n',
            masked: true,
        };
        for (const c of [created, await ok(agent.get(`/api/v1/customers/${created.id}`))]) {
            for (const [k, v] of Object.entries(expected)) {
                assert.deepEqual(c[k], v, `${k}: ${JSON.stringify(c)}`);
            }
            assert.equal(c.name, 'Masked Person');
            assert.ok(!JSON.stringify(c).includes(nid), `national id leaks: ${JSON.stringify(c)}`);
            assert.ok(!JSON.stringify(c).includes(local.slice(1)), `phone leaks: ${JSON.stringify(c)}`);
        }
        const found = (await search(agent, e164(local))).find((x) => x.id === created.id);
        assert.ok(found, 'not found by phone');
        assert.equal(found.national_id, expected.national_id);
        assert.deepEqual(found.phones, expected.phones);
        assert.equal(found.masked, true);
    });

    test('reveal without a reason (or an empty one) → 422, and no audit row is written', async () => {
        const c = await ok(agent.post('/api/v1/customers', { name: 'No Reason', phones: [newPhone()] }), 201);
        const before = (await revealRows(admin)).length;
        expectError(await agent.get(`/api/v1/customers/${c.id}?reveal=1`), 422, { field: 'reason' });
        expectError(await agent.get(`/api/v1/customers/${c.id}?reveal=1&reason=`), 422, { field: 'reason' });
        assert.equal((await revealRows(admin)).length, before, 'a refused reveal was audited');
    });

    test('reveal with a reason shows the data unmasked and writes an audit row (actor, customer, fields, reason)', async () => {
        const nid = newNationalId('1');
        const local = newPhone();
        const c = await ok(agent.post('/api/v1/customers', {
            name: 'Revealed', national_id: nid, phones: [local], emails: ['revealed@example.com'],
        }), 201);
        const reason = 'caller asked to confirm her ID';
        const r = await agent.get(`/api/v1/customers/${c.id}?reveal=1&reason=${encodeURIComponent(reason)}`);
        expectStatus(r, 200);
        assert.equal(r.json.masked, false);
        assert.equal(r.json.national_id, nid);
        assert.deepEqual(r.json.phones, [e164(local)]);
        assert.deepEqual(r.json.emails, ['revealed@example.com']);

        const rid = r.headers.get('x-request-id');
        const rows = (await revealRows(admin)).filter((x) => x.request_id === rid);
        assert.equal(rows.length, 1, `one customer.reveal row for request ${rid}: ${JSON.stringify(rows)}`);
        const row = rows[0];
        assert.equal(row.action, 'customer.reveal');
        assert.equal(row.object_type, 'customer');
        assert.equal(String(row.object_id), String(c.id));
        assert.equal(row.actor, server.users.agent.email);
        assert.equal(row.actor_id, agent.user.id);
        expectIsoTime(row.at, 'audit at');
        assert.equal(row.detail.reason, reason);
        assert.deepEqual([...row.detail.fields].sort(), ['emails', 'national_id', 'phones']);
        assert.ok(!JSON.stringify(row).includes(nid), `the audit row holds the national id: ${JSON.stringify(row)}`);
    });

    test('search by name ignores hamza/alef forms: "أحمد" is found by "احمد", "إبراهيم" by "ابراهيم"', async () => {
        const ahmad = await ok(agent.post('/api/v1/customers', { name: 'أحمد الزهراني', phones: [newPhone()] }), 201);
        const ibrahim = await ok(agent.post('/api/v1/customers', { name: 'إبراهيم القحطاني', phones: [newPhone()] }), 201);
        const other = await ok(agent.post('/api/v1/customers', { name: 'خالد العتيبي', phones: [newPhone()] }), 201);

        let ids = (await search(agent, 'احمد')).map((x) => x.id);
        assert.ok(ids.includes(ahmad.id), `"احمد" misses أحمد: ${ids}`);
        assert.ok(!ids.includes(other.id) && !ids.includes(ibrahim.id), `"احمد" finds others: ${ids}`);

        ids = (await search(agent, 'ابراهيم')).map((x) => x.id);
        assert.ok(ids.includes(ibrahim.id), `"ابراهيم" misses إبراهيم: ${ids}`);
        assert.ok(!ids.includes(ahmad.id), `"ابراهيم" finds أحمد: ${ids}`);

        ids = (await search(agent, 'أحمد')).map((x) => x.id);
        assert.ok(ids.includes(ahmad.id), `the stored spelling misses: ${ids}`);

        // Diacritics in the query are ignored too.
        ids = (await search(agent, 'أَحْمَد')).map((x) => x.id);
        assert.ok(ids.includes(ahmad.id), `"أَحْمَد" misses أحمد: ${ids}`);
    });

    test('search by phone in another format, by email in another case, by national id', async () => {
        const local = newPhone();
        const nid = newNationalId('2');
        const c = await ok(agent.post('/api/v1/customers', {
            name: 'Search Me', phones: [local], emails: ['search.me@example.com'], national_id: nid,
        }), 201);
        const digits = local.slice(1); // 5XXXXXXXX
        const arabic = local.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)));
        for (const q of [local, `+966${digits}`, `+966 ${digits.slice(0, 2)} ${digits.slice(2, 5)} ${digits.slice(5)}`,
            arabic, 'SEARCH.ME@Example.com', nid]) {
            const items = await search(agent, q);
            assert.deepEqual(items.map((x) => x.id), [c.id], `q=${q}: ${JSON.stringify(items)}`);
        }
    });

    test('an identity belongs to one customer: adding another customer\'s phone → 409', async () => {
        const local = newPhone();
        await ok(agent.post('/api/v1/customers', { name: 'First Owner', phones: [local] }), 201);
        expectError(await agent.post('/api/v1/customers', { name: 'Second', phones: [local] }), 409);
        const second = await ok(agent.post('/api/v1/customers', { name: 'Second', phones: [newPhone()] }), 201);
        expectError(await agent.patch(`/api/v1/customers/${second.id}`, { phones: [local] }), 409);
    });

    test('PATCH renames and adds identities (normalised)', async () => {
        const local = newPhone();
        const c = await ok(agent.post('/api/v1/customers', { name: 'Old Name', phones: [local] }), 201);
        const extra = newPhone();
        const u = await ok(agent.patch(`/api/v1/customers/${c.id}`, { name: 'New Name', phones: [extra], emails: ['NEW@X.ORG'] }));
        assert.equal(u.name, 'New Name');
        assert.equal(u.masked, true);
        const full = await reveal(agent, c.id);
        assert.deepEqual([...full.phones].sort(), [e164(local), e164(extra)].sort());
        assert.deepEqual(full.emails, ['new@x.org']);
    });

    test('merge: identities and conversations move to the surviving customer', async () => {
        const pa = newPhone();
        const eb = 'merge.b@example.com';
        const ka = await ok(agent.post('/api/v1/contacts', {
            channel: 'phone', customer: { name: 'Merge A', phones: [pa] }, service_line: line, body: 'from A',
        }), 201);
        const kb = await ok(agent.post('/api/v1/contacts', {
            channel: 'email', customer: { name: 'Merge B', emails: [eb] }, service_line: line, body: 'from B',
        }), 201);
        assert.notEqual(ka.customer_id, kb.customer_id);

        const merged = await ok(agent.post(`/api/v1/customers/${ka.customer_id}/merge`, { other_id: kb.customer_id }));
        assert.equal(merged.id, ka.customer_id);
        assert.equal(merged.name, 'Merge A');
        assert.equal(merged.masked, true);

        const full = await reveal(agent, ka.customer_id);
        assert.deepEqual(full.phones, [e164(pa)]);
        assert.deepEqual(full.emails, [eb]);

        // B's conversation now belongs to A.
        const conv = await ok(agent.get(`/api/v1/conversations/${kb.conversation_id}`));
        assert.equal(conv.customer_id, ka.customer_id);
        assert.equal(conv.customer.id, ka.customer_id);

        // Searching B's email finds A only; B is no longer listed on its own.
        assert.deepEqual((await search(agent, eb)).map((x) => x.id), [ka.customer_id]);
        assert.ok(!(await search(agent, 'Merge B')).some((x) => x.id === kb.customer_id), 'merged customer still listed');

        // A new contact with B's email is A's.
        const later = await ok(agent.post('/api/v1/contacts', {
            channel: 'email', customer: { emails: [eb] }, service_line: line, body: 'again',
        }), 201);
        assert.equal(later.customer_id, ka.customer_id);
    });

    test('merge into itself → 422 (other_id); merging a merged customer again → 409; unknown → 404/422', async () => {
        const a = await ok(agent.post('/api/v1/customers', { name: 'Self', phones: [newPhone()] }), 201);
        const b = await ok(agent.post('/api/v1/customers', { name: 'Gone', phones: [newPhone()] }), 201);
        expectError(await agent.post(`/api/v1/customers/${a.id}/merge`, { other_id: a.id }), 422, { field: 'other_id' });
        await ok(agent.post(`/api/v1/customers/${a.id}/merge`, { other_id: b.id }));
        expectError(await agent.post(`/api/v1/customers/${a.id}/merge`, { other_id: b.id }), 409);
        expectError(await agent.post(`/api/v1/customers/${a.id}/merge`, { other_id: 99999999 }), [404, 422]);
    });

    test('conversation payloads embed the masked customer', async () => {
        const local = newPhone();
        const nid = newNationalId('1');
        const k = await ok(agent.post('/api/v1/contacts', {
            channel: 'phone', customer: { name: 'Embedded', phones: [local], national_id: nid },
            service_line: line, body: 'x',
        }), 201);
        const conv = await ok(agent.get(`/api/v1/conversations/${k.conversation_id}`));
        assert.equal(conv.customer.masked, true);
        assert.deepEqual(conv.customer.phones, [`+9665*****${local.slice(-2)}`]);
        assert.equal(conv.customer.national_id, `1******${nid.slice(-3)}`);
        const list = await ok(agent.get(`/api/v1/conversations?service_line=${line}&limit=200`));
        const item = list.items.find((x) => x.id === k.conversation_id);
        assert.ok(item, show({ status: 200, text: JSON.stringify(list) }));
        assert.equal(item.customer.national_id, `1******${nid.slice(-3)}`);
        const text = JSON.stringify(conv) + JSON.stringify(list);
        assert.ok(!text.includes(nid) && !text.includes(local.slice(1)), 'unmasked data in a conversation payload');
    });
});
