// A crash at any point of IMAP ingestion loses nothing and creates no duplicate. The server is
// started with the test-only --mail-fault POINT, which kills it (SIGKILL, no cleanup) right after
// the fetch, after the raw message is on disk, or after the commit but before \Seen is set on
// Dovecot; then it is started again without the fault and must take the message in exactly once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, backendName, Client, serveNode } from './lib/harness.mjs';
import { startMailServers, MAIL_PASSWORD, waitFor, mail } from './lib/mailservers.mjs';

const backend = backendName();

describe(`email: a crash between fetch and commit loses nothing (${backend})`, () => {
    let base;
    let ms;
    const running = [];

    before(async () => {
        ms = await startMailServers({ users: ['support'] });
        base = await startServer();
        const admin = await base.login('admin');
        const r = await admin.post('/api/v1/mailboxes', {
            name: 'support', address: 'support@sanad.test', imap_url: ms.imapUrl(),
            username: 'support@sanad.test', password: MAIL_PASSWORD,
        });
        assert.equal(r.status, 201, r.text);
        await base.terminate(); // the tests run their own servers on its database
    });

    after(async () => {
        for (const s of running) {
            s.child.kill('SIGKILL');
        }
        await base?.stop();
        ms?.stop();
    });

    const rows = (id) => Number(base.sql(`SELECT COUNT(*) FROM mail_inbound WHERE message_id = '${id}'`).trim());
    const contacts = (id) => Number(base.sql(`SELECT COUNT(*) FROM contacts WHERE external_id = 'mail:${id}'`).trim());
    const seen = (id) => ms.flagsOf('support', id).some((f) => f.flags.includes('S'));
    const rawFiles = () => {
        const root = path.join(base.dir, 'data', 'files');
        let n = 0;
        const walk = (d) => {
            for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
                if (e.isDirectory()) {
                    walk(path.join(d, e.name));
                } else if (!e.name.startsWith('.')) {
                    n += 1;
                }
            }
        };
        walk(root);
        return n;
    };

    for (const point of ['after-fetch', 'after-raw', 'after-commit']) {
        test(`killed ${point}: restarted, the message is taken in once and only then marked \\Seen`, async () => {
            const id = `crash-${point}@example.test`;
            const filesBefore = rawFiles();
            ms.deliver('support', mail({ from: `sender-${point}@example.test`, messageId: id, subject: `crash ${point}`, body: 'رسالة لا تضيع' }));
            const doomed = serveNode(base, ['--mail-poll-seconds', '1', '--mail-fault', point]);
            running.push(doomed);
            await doomed.url;
            const end = await Promise.race([doomed.exited, new Promise((r) => setTimeout(() => r(null), 30_000))]);
            assert.ok(end, `the server did not crash at ${point}: ${doomed.output().slice(-2000)}`);
            assert.equal(end.signal, 'SIGKILL');
            assert.equal(seen(id), false, 'not marked seen before the restart');
            assert.equal(rows(id), point === 'after-commit' ? 1 : 0);
            if (point !== 'after-fetch') {
                assert.ok(rawFiles() > filesBefore, 'the raw message is on disk');
            }

            const again = serveNode(base, ['--mail-poll-seconds', '1']);
            running.push(again);
            const url = await again.url;
            await waitFor(() => seen(id), `${id} marked \\Seen after the restart`, 30_000);
            assert.equal(rows(id), 1, 'one mail log row');
            assert.equal(contacts(id), 1, 'one contact');
            const admin = new Client(url, { ip: '203.0.113.9' });
            await admin.login(base.users.admin.email, base.users.admin.password);
            const log = (await admin.get('/api/v1/mail/inbound')).json.items.filter((e) => e.message_id === id);
            assert.deepEqual(log.map((e) => e.kind), ['message']);
            const conv = (await admin.get(`/api/v1/conversations/${log[0].conversation_id}`)).json;
            const msgs = conv.timeline.filter((t) => t.type === 'message');
            assert.deepEqual(msgs.map((m) => m.body_text), ['رسالة لا تضيع']);
            again.child.kill('SIGTERM');
            const stopped = await again.exited;
            assert.equal(stopped.code, 0, again.output().slice(-2000));
        });
    }
});
