// Real mail servers for the email channel's tests: a Dovecot IMAP server and a Postfix MTA from
// Debian's packages, each the test's own instance with its own configuration in a temp
// directory, listening on free loopback ports.
//
//   Postfix  127.0.0.1:SMTP — accepts mail for sanad.test (the center's mailboxes) and
//            example.test (customers) and delivers it with its virtual(8) agent into Maildirs
//            under DIR/mail; relays bounce.test to its error(8) transport, so mail sent there
//            comes back as a real delivery status notification to the envelope sender; refuses
//            mail for reject.test at RCPT time (a synchronous 5xx).
//   Dovecot  127.0.0.1:IMAP — serves the same Maildirs (passwd-file users NAME@sanad.test).
//
// startMailServers({users}) → {imapPort, smtpPort, dir, imapUrl(user), deliver(user, raw),
//   smtp(from, to, raw), outbox(), waitOutbox(pred), flagsOf(user, messageIdOrNeedle), stop()}.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const NOBODY = 65534;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const MAIL_PASSWORD = 'imap-pass-0123';

async function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
        s.on('error', reject);
    });
}

async function waitPort(port, ms = 15_000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        const ok = await new Promise((resolve) => {
            const c = net.connect(port, '127.0.0.1');
            c.once('connect', () => {
                c.destroy();
                resolve(true);
            });
            c.once('error', () => resolve(false));
        });
        if (ok) {
            return;
        }
        await sleep(100);
    }
    throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

// Daemons inherit the pipes of whoever starts them: start them with a log file as output, so
// spawnSync does not wait for pipes the daemon keeps open.
function startDaemon(cmd, args, logFile) {
    const fd = fs.openSync(logFile, 'a');
    try {
        const r = spawnSync(cmd, args, { stdio: ['ignore', fd, fd], timeout: 60_000 });
        if (r.error || r.status !== 0) {
            throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.error?.message}`);
        }
    } finally {
        fs.closeSync(fd);
    }
}

function sh(cmd, args, opts = {}) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });
    if (r.error || r.status !== 0) {
        throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? ''} ${r.stdout} ${r.stderr}`);
    }
    return r.stdout;
}

const running = new Set();
process.on('exit', () => {
    for (const stop of running) {
        try {
            stop();
        } catch {
            // best effort
        }
    }
});

function dovecotConf(dir, port) {
    return `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/dovecot/run
state_dir = ${dir}/dovecot/state
instance_name = sanad-test-${port}
log_path = ${dir}/dovecot/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:${dir}/mail/%d/%n
first_valid_uid = 100
passdb {
  driver = passwd-file
  args = ${dir}/dovecot/users
}
userdb {
  driver = passwd-file
  args = ${dir}/dovecot/users
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  chroot =
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
`;
}

function postfixMain(dir) {
    return `compatibility_level = 3.6
queue_directory = ${dir}/postfix/queue
data_directory = ${dir}/postfix/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.sanad.test
mydomain = sanad.test
myorigin = sanad.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = bounce.test
transport_maps = texthash:${dir}/postfix/etc/transport
virtual_mailbox_domains = sanad.test example.test
virtual_mailbox_base = ${dir}/mail
virtual_mailbox_maps = texthash:${dir}/postfix/etc/vmailbox
virtual_uid_maps = static:${NOBODY}
virtual_gid_maps = static:${NOBODY}
virtual_minimum_uid = 100
maillog_file_prefixes = /tmp, ${dir}
maillog_file = ${dir}/postfix/postfix.log
smtpd_banner = $myhostname ESMTP
biff = no
append_dot_mydomain = no
smtputf8_enable = no
alias_maps =
alias_database =
local_recipient_maps =
smtpd_reject_unlisted_recipient = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:${dir}/postfix/etc/access, permit_mynetworks, reject_unauth_destination
delay_warning_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
message_size_limit = 52428800
virtual_mailbox_limit = 0
`;
}

function postfixMaster(port) {
    return `127.0.0.1:${port} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
virtual   unix - n n - - virtual
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`;
}

// users: local parts of NAME@sanad.test that get an IMAP login (password MAIL_PASSWORD).
export async function startMailServers({ users = ['support'] } = {}) {
    for (const bin of ['/usr/sbin/dovecot', '/usr/sbin/postfix']) {
        if (!fs.existsSync(bin)) {
            throw new Error(`${bin} is missing: run scripts/bootstrap (dovecot-imapd, postfix)`);
        }
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanad-mail-'));
    fs.chmodSync(dir, 0o755);
    const imapPort = await freePort();
    const smtpPort = await freePort();
    for (const d of ['dovecot/run', 'dovecot/state', 'postfix/etc', 'postfix/queue', 'postfix/data', 'mail']) {
        fs.mkdirSync(path.join(dir, d), { recursive: true });
    }
    fs.chmodSync(path.join(dir, 'postfix'), 0o755);
    fs.chmodSync(path.join(dir, 'postfix/etc'), 0o755);
    sh('chown', ['postfix', path.join(dir, 'postfix/data')]);
    fs.chownSync(path.join(dir, 'mail'), NOBODY, NOBODY);

    const lines = users.map((u) => `${u}@sanad.test:{PLAIN}${MAIL_PASSWORD}:${NOBODY}:${NOBODY}::${dir}/mail/sanad.test/${u}::`);
    fs.writeFileSync(path.join(dir, 'dovecot/users'), `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'dovecot/dovecot.conf'), dovecotConf(dir, imapPort));
    const vmail = users.map((u) => `${u}@sanad.test sanad.test/${u}/`);
    vmail.push('@sanad.test sanad.test/other/', '@example.test example.test/outbox/');
    fs.writeFileSync(path.join(dir, 'postfix/etc/vmailbox'), `${vmail.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'postfix/etc/transport'), 'bounce.test error:5.1.1 mailbox unavailable\n');
    fs.writeFileSync(path.join(dir, 'postfix/etc/access'), 'reject.test REJECT 5.1.1 mailbox rejected here\n');
    fs.writeFileSync(path.join(dir, 'postfix/etc/main.cf'), postfixMain(dir));
    fs.writeFileSync(path.join(dir, 'postfix/etc/master.cf'), postfixMaster(smtpPort));
    // Every Maildir exists before the first delivery, owned as virtual(8) and Dovecot write it.
    for (const u of [...users.map((x) => `sanad.test/${x}`), 'sanad.test/other', 'example.test/outbox']) {
        for (const sub of ['new', 'cur', 'tmp']) {
            fs.mkdirSync(path.join(dir, 'mail', u, sub), { recursive: true });
        }
    }
    sh('chown', ['-R', `${NOBODY}:${NOBODY}`, path.join(dir, 'mail')]);

    const conf = path.join(dir, 'dovecot/dovecot.conf');
    const pfconf = path.join(dir, 'postfix/etc');
    const stopAll = () => {
        spawnSync('/usr/sbin/dovecot', ['-c', conf, 'stop'], { stdio: 'ignore', timeout: 20_000 });
        spawnSync('/usr/sbin/postfix', ['-c', pfconf, 'abort'], { stdio: 'ignore', timeout: 20_000 });
        if (!process.env.SANAD_TEST_KEEP) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    };
    running.add(stopAll);
    try {
        startDaemon('/usr/sbin/dovecot', ['-c', conf], path.join(dir, 'dovecot/start.log'));
        startDaemon('/usr/sbin/postfix', ['-c', pfconf, 'start'], path.join(dir, 'postfix/start.log'));
        await waitPort(imapPort);
        await waitPort(smtpPort);
    } catch (e) {
        const logs = ['dovecot/dovecot.log', 'postfix/postfix.log'].map((f) => {
            try {
                return fs.readFileSync(path.join(dir, f), 'utf8').slice(-2000);
            } catch {
                return '';
            }
        }).join('\n');
        stopAll();
        running.delete(stopAll);
        throw new Error(`${e.message}\n${logs}`);
    }

    let seq = 0;
    const maildir = (who) => path.join(dir, 'mail', who.includes('/') ? who : `sanad.test/${who}`);
    const readAll = (who) => {
        const out = [];
        for (const sub of ['new', 'cur']) {
            const d = path.join(maildir(who), sub);
            for (const f of fs.existsSync(d) ? fs.readdirSync(d) : []) {
                if (f.startsWith('.')) {
                    continue;
                }
                const file = path.join(d, f);
                out.push({ file, name: f, sub, raw: fs.readFileSync(file, 'latin1') });
            }
        }
        return out;
    };

    return {
        dir,
        imapPort,
        smtpPort,
        imapUrl: () => `imap://127.0.0.1:${imapPort}/INBOX`,
        smtpUrl: () => `smtp://127.0.0.1:${smtpPort}`,
        // Put a raw message (string or Buffer) into USER's Maildir as an MTA would (tmp → new).
        deliver(user, raw) {
            seq += 1;
            const name = `${Date.now()}.M${seq}P${process.pid}.sanad-test`;
            const tmp = path.join(maildir(user), 'tmp', name);
            fs.writeFileSync(tmp, Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8'));
            fs.chownSync(tmp, NOBODY, NOBODY);
            fs.renameSync(tmp, path.join(maildir(user), 'new', name));
            return name;
        },
        // Send through Postfix's SMTP server (a real MTA transaction).
        smtp: (from, to, raw) => smtpSend(smtpPort, from, to, raw),
        // Messages Postfix delivered to customers (example.test), as latin1 text (bytes kept).
        outbox: () => readAll('example.test/outbox'),
        mailbox: (user) => readAll(user),
        async waitOutbox(pred, what = 'an outbound message', ms = 20_000) {
            const end = Date.now() + ms;
            while (Date.now() < end) {
                const hit = readAll('example.test/outbox').filter(pred);
                if (hit.length) {
                    return hit;
                }
                await sleep(100);
            }
            throw new Error(`timed out waiting for ${what} in the Postfix outbox;` +
                ` log: ${fs.readFileSync(path.join(dir, 'postfix/postfix.log'), 'utf8').slice(-3000)}`);
        },
        // The Maildir flags of USER's messages containing needle ("" when none yet).
        flagsOf(user, needle) {
            return readAll(user).filter((m) => m.raw.includes(needle)).map((m) => ({
                sub: m.sub,
                flags: m.name.includes(':2,') ? m.name.split(':2,')[1] : '',
            }));
        },
        postfixLog: () => fs.readFileSync(path.join(dir, 'postfix/postfix.log'), 'utf8'),
        stop() {
            stopAll();
            running.delete(stopAll);
        },
    };
}

// A minimal SMTP client (RFC 5321) for delivering test messages through Postfix.
export function smtpSend(port, from, to, raw) {
    const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'utf8');
    const body = Buffer.from(data.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..'), 'latin1');
    const steps = [
        [null, 220],
        ['EHLO test.client', 250],
        [`MAIL FROM:<${from}>`, 250],
        [`RCPT TO:<${to}>`, 250],
        ['DATA', 354],
        [Buffer.concat([body, Buffer.from(body.toString('latin1').endsWith('\r\n') ? '.\r\n' : '\r\n.\r\n')]), 250],
        ['QUIT', 221],
    ];
    return new Promise((resolve, reject) => {
        const sock = net.connect(port, '127.0.0.1');
        let buf = '';
        let i = 0;
        const next = () => {
            const [cmd] = steps[i];
            if (cmd !== null) {
                sock.write(Buffer.isBuffer(cmd) ? cmd : `${cmd}\r\n`);
            }
        };
        sock.on('data', (chunk) => {
            buf += chunk.toString('latin1');
            // A complete reply: its last line has a space after the code.
            const m = buf.match(/(^|\r\n)(\d{3}) [^\r\n]*\r\n$/);
            if (!m) {
                return;
            }
            const code = Number(m[2]);
            const reply = buf;
            buf = '';
            if (code !== steps[i][1]) {
                sock.destroy();
                reject(new Error(`SMTP: expected ${steps[i][1]}, got ${reply.trim()}`));
                return;
            }
            i += 1;
            if (i === steps.length) {
                sock.end();
                resolve();
                return;
            }
            next();
        });
        sock.on('error', reject);
    });
}

// ---------------------------------------------------------------------------------------------
// Helpers of the mail_*.test.mjs files.

const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'fixtures', 'mail');

export function fixture(name) {
    return fs.readFileSync(path.join(FIXTURES, name));
}

// Poll fn() until it returns a truthy value (returned), or fail after ms with what().
export async function waitFor(fn, what, ms = 30_000) {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
        last = await fn();
        if (last) {
            return last;
        }
        await sleep(150);
    }
    throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
}

// The mail log (newest first), every page.
export async function mailLog(client, mailbox) {
    const items = [];
    let cursor = '';
    for (;;) {
        const q = new URLSearchParams({ limit: '200' });
        if (mailbox) {
            q.set('mailbox', mailbox);
        }
        if (cursor) {
            q.set('cursor', cursor);
        }
        const r = await client.get(`/api/v1/mail/inbound?${q}`);
        if (r.status !== 200) {
            throw new Error(`mail log: ${r.status} ${r.text}`);
        }
        items.push(...r.json.items);
        if (!r.json.next_cursor) {
            return items;
        }
        cursor = r.json.next_cursor;
    }
}

// Wait until the mail log has an entry with this Message-ID (and kind, when given).
export async function waitLogged(client, messageId, kind, ms = 30_000) {
    return waitFor(async () => {
        const log = await mailLog(client);
        return log.find((e) => e.message_id === messageId && (!kind || e.kind === kind));
    }, () => `mail log entry ${messageId}${kind ? ` (${kind})` : ''}`, ms);
}

// A header of a raw message (unfolded), or null.
export function headerOf(raw, name) {
    const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
    const m = head.match(new RegExp(`^${name}:[ \\t]*(.*)$`, 'im'));
    return m ? m[1].trim() : null;
}

// A plain message as an email client would send it (CRLF line ends).
export function mail({ from, to = 'support@sanad.test', subject = 'Hello', messageId, inReplyTo, references,
    headers = {}, body = 'Hello', contentType = 'text/plain; charset=utf-8' }) {
    const enc = (s) => (/^[\x20-\x7e]*$/.test(s) ? s : `=?utf-8?B?${Buffer.from(s).toString('base64')}?=`);
    const lines = [`From: ${from}`, `To: ${to}`, `Subject: ${enc(subject)}`, `Message-ID: <${messageId}>`,
        'MIME-Version: 1.0', `Content-Type: ${contentType}`, 'Content-Transfer-Encoding: 8bit'];
    if (inReplyTo) {
        lines.push(`In-Reply-To: <${inReplyTo}>`);
    }
    if (references) {
        lines.push(`References: ${references.map((r) => `<${r}>`).join(' ')}`);
    }
    for (const [k, v] of Object.entries(headers)) {
        lines.push(`${k}: ${v}`);
    }
    return `${lines.join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;
}
