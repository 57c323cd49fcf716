// Test fakes and helpers for required documents (/documents, tests/api/documents.test.mjs and
// tests/e2e/documents.test.mjs).
//
//   startFakeSms()    A FAKE SMS gateway (no operator is reachable from tests): an HTTP server on
//                     loopback that records every POST {"to","text"} Sanad's SMS adapter sends.
//                     failNext(n, status) answers the next n requests with that status (retries).
//   startFakeClamd()  A FAKE clamd (signature databases cannot be downloaded here): speaks the
//                     INSTREAM protocol on loopback and answers "stream: Eicar-Test-Signature
//                     FOUND" when the stream holds the EICAR test string, else "stream: OK".
//   Citizen           A browser without a DOM: keeps its cookies, reads csrf_token fields, posts
//                     urlencoded and multipart forms from its own address.
//   newNationalId()   A fresh Luhn-valid national ID.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n', 'latin1');
// The smallest valid PNG (1×1 pixel).
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
// A Windows executable's start and an HTML page: what "renamed to .pdf" tries to slip in.
export const EXE = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00', 'latin1'), Buffer.alloc(200, 0)]);
export const HTML = Buffer.from('<!DOCTYPE html><html><head><title>x</title></head><body><script>alert(1)</script></body></html>\n');
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let idSeq = 20000 + Math.floor(Math.random() * 10000) * 10;
function luhn(nine) {
    let sum = 0;
    nine.split('').map(Number).forEach((d, i) => {
        if (i % 2 === 0) {
            const x = d * 2;
            sum += x > 9 ? x - 9 : x;
        } else {
            sum += d;
        }
    });
    return nine + String((10 - (sum % 10)) % 10);
}
export function newNationalId() {
    idSeq += 1;
    return luhn(`1${String(idSeq).padStart(8, '0')}`);
}
let phoneSeq = 1000000 + Math.floor(Math.random() * 1000000);
export function newMobile() {
    phoneSeq += 1;
    return `+9665${String(phoneSeq).padStart(8, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// FAKE SMS gateway.

export async function startFakeSms() {
    const messages = [];
    let fail = { n: 0, status: 500 };
    const server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const entry = { method: req.method, path: req.url, contentType: req.headers['content-type'],
                job: req.headers['x-sanad-job'], raw: body, at: Date.now() };
            try {
                entry.json = JSON.parse(body);
            } catch {
                entry.json = null;
            }
            if (fail.n > 0) {
                fail.n -= 1;
                entry.refused = fail.status;
                messages.push(entry);
                res.writeHead(fail.status, { 'content-type': 'application/json' });
                res.end('{"error":"try later"}');
                return;
            }
            messages.push(entry);
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"status":"queued"}');
        });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${server.address().port}/sms/send`;
    return {
        url,
        messages,
        failNext(n, status = 500) {
            fail = { n, status };
        },
        // The first accepted message to `to` after index `from` that matches pred.
        async waitFor(to, { from = 0, pred = () => true, timeout = 15_000 } = {}) {
            const end = Date.now() + timeout;
            while (Date.now() < end) {
                const m = messages.slice(from).find((x) => !x.refused && x.json?.to === to && pred(x));
                if (m) {
                    return m;
                }
                await sleep(50);
            }
            throw new Error(`no SMS to ${to} within ${timeout} ms; got ${JSON.stringify(messages.map((x) => x.json))}`);
        },
        close: () => new Promise((r) => server.close(r)),
    };
}

// ---------------------------------------------------------------------------------------------
// FAKE clamd (INSTREAM).

export async function startFakeClamd() {
    let scans = 0;
    const server = net.createServer((sock) => {
        let buf = Buffer.alloc(0);
        sock.on('error', () => {});
        sock.on('data', (c) => {
            buf = Buffer.concat([buf, c]);
            const cmd = buf.subarray(0, 10).toString('latin1');
            if (cmd !== 'zINSTREAM\0' && cmd !== 'nINSTREAM\n') {
                return;
            }
            let off = 10;
            const chunks = [];
            while (off + 4 <= buf.length) {
                const n = buf.readUInt32BE(off);
                if (n === 0) {
                    scans += 1;
                    const data = Buffer.concat(chunks).toString('latin1');
                    const end = cmd[0] === 'z' ? '\0' : '\n';
                    sock.end(data.includes('EICAR-STANDARD-ANTIVIRUS-TEST-FILE')
                        ? `stream: Eicar-Test-Signature FOUND${end}` : `stream: OK${end}`);
                    return;
                }
                if (off + 4 + n > buf.length) {
                    return;
                }
                chunks.push(buf.subarray(off + 4, off + 4 + n));
                off += 4 + n;
            }
        });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    return {
        addr: `127.0.0.1:${server.address().port}`,
        scans: () => scans,
        close: () => new Promise((r) => server.close(r)),
    };
}

// ---------------------------------------------------------------------------------------------
// A citizen's browser.

export function csrfToken(html) {
    const m = html.match(/name="csrf_token" value="([^"]+)"/);
    return m ? m[1] : null;
}

export function multipart(fields, files) {
    const boundary = `----sanadtest${Math.random().toString(16).slice(2)}`;
    const parts = [];
    for (const [k, v] of Object.entries(fields)) {
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    }
    for (const f of files) {
        parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\n` +
            `Content-Type: ${f.type ?? 'application/pdf'}\r\n\r\n`));
        parts.push(Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data));
        parts.push(Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export class Citizen {
    constructor(server) {
        this.server = server;
        this.client = server.client();
        this.jar = new Map();
        this.token = null;
    }

    cookies() {
        return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') || undefined;
    }

    absorb(r) {
        for (const s of r.setCookies || []) {
            const kv = s.split(';')[0];
            const i = kv.indexOf('=');
            const k = kv.slice(0, i).trim(), v = kv.slice(i + 1).trim();
            if (v === '' || /max-age=0\b/i.test(s)) {
                this.jar.delete(k);
            } else {
                this.jar.set(k, v);
            }
        }
        const t = typeof r.text === 'string' ? csrfToken(r.text) : null;
        if (t) {
            this.token = t;
        }
        return r;
    }

    async get(p) {
        return this.absorb(await this.client.get(p, { headers: { cookie: this.cookies() } }));
    }

    // fields: an object; csrf: false leaves the token out, a string sends that one.
    async post(p, fields = {}, { csrf = true } = {}) {
        const all = { ...fields };
        if (csrf === true && this.token) {
            all.csrf_token = this.token;
        } else if (typeof csrf === 'string') {
            all.csrf_token = csrf;
        }
        const raw = new URLSearchParams(all).toString();
        return this.absorb(await this.client.request('POST', p, undefined, {
            raw, contentType: 'application/x-www-form-urlencoded',
            headers: { cookie: this.cookies(), origin: this.server.url },
        }));
    }

    async upload(p, files, { csrf = true, fields = {} } = {}) {
        const all = { ...fields };
        if (csrf === true && this.token) {
            all.csrf_token = this.token;
        }
        const m = multipart(all, files);
        return this.absorb(await this.client.request('POST', p, undefined, {
            raw: m.body, contentType: m.contentType,
            headers: { cookie: this.cookies(), origin: this.server.url },
        }));
    }

    signedIn() {
        return [...this.jar.keys()].some((k) => /sanad_docs$/.test(k));
    }
}

// The radio choices of the "where to send the code" page: [{value, label}].
export function contactChoices(html) {
    const out = [];
    for (const m of html.matchAll(/<input type="radio" id="via_(\d+)" name="via" value="\d+"[^>]*>\s*<label for="via_\d+">([^<]*)<bdi dir="ltr">([^<]*)<\/bdi>/g)) {
        out.push({ value: m[1], via: m[2].trim(), masked: m[3] });
    }
    return out;
}

export function challengeOf(html) {
    const m = html.match(/name="challenge" value="([^"]+)"/);
    return m ? m[1] : null;
}

// ---------------------------------------------------------------------------------------------
// For the route × role matrix: a pending document written straight into the database (the
// citizen's flow needs an SMS gateway the matrix server has not), with its file in the data
// directory. Returns {conversationId, documentId, typeId, line}.
export async function matrixDocument(server, admin) {
    const line = 'matrix_docs';
    await admin.post('/api/v1/service-lines', { code: line, name_ar: 'مستندات', name_en: 'Documents' });
    const t = await admin.post(`/api/v1/service-lines/${line}/document-types`, { name_ar: 'صورة الهوية' });
    if (t.status !== 201) {
        throw new Error(`set-up: document type: ${t.status} ${t.text}`);
    }
    const k = await admin.post('/api/v1/contacts', { channel: 'phone', customer: { phones: [newMobile()] }, body: 'x' });
    if (k.status !== 201) {
        throw new Error(`set-up: contact: ${k.status} ${k.text}`);
    }
    const conv = k.json.conversation_id;
    const bytes = Buffer.concat([PDF, Buffer.from(crypto.randomBytes(8).toString('hex'))]);
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    const dir = path.join(server.dir, 'data', 'files', sha.slice(0, 2));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, sha), bytes);
    // SQLite: wait for the server's own writers (its jobs runner) instead of failing at once.
    const one = (q) => Number(server.sql(server.backend === 'sqlite' ? `PRAGMA busy_timeout = 10000; ${q}` : q)
        .trim().split('\n').pop());
    const att = one(`INSERT INTO attachments (sha256, size, content_type, filename, created_at) VALUES ('${sha}', ${bytes.length}, 'application/pdf', 'id.pdf', 1) RETURNING id`);
    const ref = `M-${crypto.randomBytes(6).toString('hex')}`;
    const sub = one(`INSERT INTO document_submissions (reference, customer_id, service_line_id, conversation_id, notify_channel, notify_to, created_at, updated_at) SELECT '${ref}', customer_id, (SELECT id FROM service_lines WHERE code = '${line}'), id, 'sms', '+966500000001', 1, 1 FROM conversations WHERE id = ${conv} RETURNING id`);
    const doc = one(`INSERT INTO documents (submission_id, document_type_id, attachment_id, created_at) VALUES (${sub}, ${t.json.id}, ${att}, 1) RETURNING id`);
    return { conversationId: conv, documentId: doc, typeId: t.json.id, line };
}
