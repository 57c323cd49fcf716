// Test harness for the API suite: starts a real `build/sanad serve` on a free loopback port against
// a fresh SQLite file or a fresh database in the throw-away PostgreSQL cluster (tests/pg-cluster.sh),
// with one user per role, and gives HTTP clients that keep their session cookie and CSRF token.
//
// Environment:
//   SANAD_TEST_BACKEND   sqlite (default) | postgres
//   SANAD_TEST_PG_HOST   socket directory of the PostgreSQL cluster (needed for postgres)
//   SANAD_BIN            the binary (default: build/sanad in the repository)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SANAD = process.env.SANAD_BIN || path.join(ROOT, 'build', 'sanad');

export const ROLES = ['admin', 'supervisor', 'agent', 'department_staff', 'service_owner', 'qa_evaluator'];

export function backendName() {
    const b = process.env.SANAD_TEST_BACKEND || 'sqlite';
    if (b !== 'sqlite' && b !== 'postgres') {
        throw new Error(`SANAD_TEST_BACKEND must be sqlite or postgres, not '${b}'`);
    }
    return b;
}

export function roleEmail(role) {
    return `${role}@test.sanad`;
}

export function rolePassword(role) {
    return `${role}-pass-Wd9!`;
}

// ---------------------------------------------------------------------------------------------
// Child processes are killed when this process goes away, whether the tests passed or not.

const live = new Set();

function killAll() {
    for (const child of live) {
        try {
            child.kill('SIGKILL');
        } catch {
            // already gone
        }
    }
    live.clear();
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
        killAll();
        process.exit(128 + (os.constants.signals[sig] || 1));
    });
}

// ---------------------------------------------------------------------------------------------
// Running the command line.

export function run(args, { input = '', timeout = 60_000, env } = {}) {
    const r = spawnSync(SANAD, args, {
        input,
        timeout,
        encoding: 'utf8',
        env: env ?? process.env,
        maxBuffer: 16 * 1024 * 1024,
    });
    if (r.error) {
        throw new Error(`sanad ${args.join(' ')}: ${r.error.message}`);
    }
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function mustRun(args, opts) {
    const r = run(args, opts);
    if (r.code !== 0) {
        throw new Error(
            `sanad ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
        );
    }
    return r;
}

function tool(cmd, args, { input, timeout = 30_000 } = {}) {
    const r = spawnSync(cmd, args, { input, timeout, encoding: 'utf8' });
    if (r.error) {
        throw new Error(`${cmd}: ${r.error.message}`);
    }
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
    }
    return r.stdout;
}

let dbCounter = 0;

function createDatabase(backend, dir) {
    if (backend === 'sqlite') {
        const file = path.join(dir, 'sanad.db');
        return {
            url: `sqlite:${file}`,
            sql: (q) => tool('sqlite3', ['-batch', '-bail', file, q]),
            drop: () => {},
        };
    }
    const host = process.env.SANAD_TEST_PG_HOST;
    if (!host) {
        throw new Error('SANAD_TEST_BACKEND=postgres needs SANAD_TEST_PG_HOST (start tests/pg-cluster.sh)');
    }
    dbCounter += 1;
    const name = `sanad_t${process.pid}_${dbCounter}_${Math.floor(Math.random() * 1e6)}`;
    tool('createdb', ['-h', host, '-U', 'postgres', name]);
    return {
        url: `postgresql:///${name}?host=${host}&user=postgres`,
        name,
        sql: (q) => tool('psql', ['-h', host, '-U', 'postgres', '-d', name, '-X', '-q', '-A', '-t',
            '-v', 'ON_ERROR_STOP=1', '-c', q]),
        drop: () => {
            spawnSync('dropdb', ['-h', host, '-U', 'postgres', '--if-exists', '--force', name],
                { timeout: 30_000 });
        },
    };
}

// ---------------------------------------------------------------------------------------------
// HTTP clients.

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function parseBody(headers, text) {
    const ct = headers.get('content-type') || '';
    if (!/json/i.test(ct) || text === '') {
        return null;
    }
    try {
        return JSON.parse(text);
    } catch {
        return null;
    }
}

export class Client {
    // base: server URL; ip: the address sent in X-Forwarded-For (the server trusts 127.0.0.1).
    constructor(base, { ip, token, diag } = {}) {
        this.base = base;
        this.diag = diag ?? null; // () → text about the server, added to transport errors
        this.ip = ip;
        this.cookie = null; // "sanad_session=…"
        this.csrf = null;
        this.token = token ?? null; // bearer token
        this.user = null;
        this.last = null;
    }

    // opts: headers, raw (string/Buffer sent as is), contentType, csrf (false: omit; string: send
    // that value), cookie (false: omit).
    async request(method, p, body, opts = {}) {
        const headers = {};
        if (this.ip) {
            headers['x-forwarded-for'] = this.ip;
        }
        if (this.cookie && opts.cookie !== false) {
            headers.cookie = this.cookie;
        }
        if (this.token && opts.bearer !== false) {
            headers.authorization = `Bearer ${this.token}`;
        }
        if (UNSAFE.has(method)) {
            if (typeof opts.csrf === 'string') {
                headers['x-csrf-token'] = opts.csrf;
            } else if (opts.csrf !== false && this.csrf && this.cookie) {
                headers['x-csrf-token'] = this.csrf;
            }
        }
        let payload;
        // Bodies go out as bytes: fetch adds no Content-Type of its own to those, so
        // contentType: null really sends none.
        const contentType = 'contentType' in opts ? opts.contentType : 'application/json';
        if (opts.raw !== undefined) {
            payload = Buffer.from(opts.raw);
            headers['content-type'] = contentType;
        } else if (body !== undefined) {
            payload = Buffer.from(JSON.stringify(body));
            headers['content-type'] = contentType;
        }
        for (const [k, v] of Object.entries(opts.headers || {})) {
            headers[k.toLowerCase()] = v;
        }
        for (const [k, v] of Object.entries(headers)) {
            if (v === undefined || v === null) {
                delete headers[k];
            }
        }
        let res;
        try {
            res = await fetch(this.base + p, { method, headers, body: payload, redirect: 'manual' });
        } catch (e) {
            const cause = e.cause ? ` (${e.cause.code ?? ''} ${e.cause.message ?? e.cause})` : '';
            throw new Error(`${method} ${p}: ${e.message}${cause}${this.diag ? `\n${this.diag()}` : ''}`);
        }
        const text = await res.text();
        const setCookies = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [];
        const out = {
            method,
            path: p,
            status: res.status,
            headers: res.headers,
            setCookies,
            text,
            json: parseBody(res.headers, text),
        };
        this.last = out;
        return out;
    }

    // get(path, opts) or, like the others, get(path, undefined, opts).
    get(p, opts, opts2) {
        return this.request('GET', p, undefined, opts2 ?? opts);
    }

    post(p, body, opts) {
        return this.request('POST', p, body, opts);
    }

    put(p, body, opts) {
        return this.request('PUT', p, body, opts);
    }

    patch(p, body, opts) {
        return this.request('PATCH', p, body, opts);
    }

    del(p, body, opts) {
        return this.request('DELETE', p, body, opts);
    }

    // Log in with email + password; on 200 keep the session cookie and CSRF token.
    async login(email, password, opts = {}) {
        const r = await this.post('/api/v1/auth/login', { email, password }, { csrf: false, cookie: false, ...opts });
        if (r.status === 200) {
            const c = r.setCookies.map((s) => s.split(';')[0].trim()).find((s) => s.startsWith('sanad_session='));
            if (c) {
                this.cookie = c;
            }
            this.csrf = r.json?.csrf_token ?? null;
            this.user = r.json?.user ?? null;
        }
        return r;
    }
}

// A request through node:http, for cases fetch handles badly (a server answering before it has read
// a large body). Resolves with the response even when writing the rest of the body then fails.
export function rawRequest(base, method, p, { headers = {}, body } = {}) {
    const u = new URL(base + p);
    return new Promise((resolve, reject) => {
        let done = false;
        const req = http.request({
            host: u.hostname,
            port: u.port,
            path: u.pathname + u.search,
            method,
            headers,
            agent: false,
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            const finish = () => {
                if (done) {
                    return;
                }
                done = true;
                const text = Buffer.concat(chunks).toString('utf8');
                const h = new Headers();
                for (const [k, v] of Object.entries(res.headers)) {
                    h.set(k, Array.isArray(v) ? v.join(', ') : String(v));
                }
                resolve({ status: res.statusCode, headers: h, text, json: parseBody(h, text) });
            };
            res.on('end', finish);
            res.on('close', finish);
            res.on('error', finish);
        });
        req.on('error', (e) => {
            if (!done) {
                // Give a response that is already on its way a moment to be parsed.
                setTimeout(() => {
                    if (!done) {
                        done = true;
                        reject(e);
                    }
                }, 200);
            }
        });
        req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
        if (body !== undefined) {
            req.write(body);
        }
        req.end();
    });
}

// ---------------------------------------------------------------------------------------------
// The server.

function waitForListening(child, timeoutMs) {
    return new Promise((resolve, reject) => {
        let out = '';
        let settled = false;
        const timer = setTimeout(() => {
            if (!settled) {
                settled = true;
                reject(new Error(`sanad serve did not print its listening line within ${timeoutMs} ms;` +
                    ` stdout so far: ${JSON.stringify(out)}`));
            }
        }, timeoutMs);
        const onData = (chunk) => {
            out += chunk.toString('utf8');
            const m = out.match(/^sanad: listening on (http:\/\/\S+)\s*$/m);
            if (m && !settled) {
                settled = true;
                clearTimeout(timer);
                resolve(m[1].replace(/\/$/, ''));
            }
        };
        child.stdout.on('data', onData);
        child.once('exit', (code, sig) => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                reject(new Error(`sanad serve exited (${code ?? sig}) before listening; stdout: ${out}`));
            }
        });
    });
}

// Starts a server with one user per role. Returns:
//   url, backend, db (URL), dir, users {role: {email, password, name}},
//   client(opts) → anonymous Client with a fresh address, login(role | {email,password}) → Client,
//   bearer(token) → Client, newIp(), sql(query) → text, cli(args, opts) → {code, stdout, stderr},
//   logs() → the server's stderr/stdout so far, terminate() → {code, signal, forced} (the server
//   only), stop() (the server, its database and its directory).
// A backtrace of every thread of a hung process, when gdb is there (diagnostics only).
function backtrace(pid) {
    const r = spawnSync('gdb', ['-p', String(pid), '-batch', '-nx', '-ex', 'thread apply all bt 30'],
        { encoding: 'utf8', timeout: 20_000 });
    if (r.error || !r.stdout) {
        return '(no backtrace: gdb unavailable)';
    }
    return r.stdout.split('\n').filter((l) => /^Thread|^#/.test(l)).join('\n');
}

// Another `sanad serve` on a started server's database and data directory — a second node of
// the same installation. Returns { child, url (a promise, resolved once listening), exited (a
// promise of {code, signal}), output() }. The caller ends the child.
export function serveNode(base, extra = []) {
    const child = spawn(SANAD, ['serve', '--listen', '127.0.0.1:0', '--db', base.db, '--data', path.join(base.dir, 'data'),
        '--trusted-proxies', '127.0.0.1', '--access-log', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => {
        out += c;
    });
    child.stderr.on('data', (c) => {
        out += c;
    });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const url = new Promise((resolve, reject) => {
        const t = setInterval(() => {
            const m = out.match(/sanad: listening on (http:\/\/\S+)/);
            if (m) {
                clearInterval(t);
                resolve(m[1]);
            }
        }, 50);
        exited.then((r) => {
            clearInterval(t);
            const m = out.match(/sanad: listening on (http:\/\/\S+)/);
            if (m) {
                resolve(m[1]); // it listened, then went down (e.g. a test fault fired)
            } else {
                reject(new Error(`serve exited (${r.code ?? r.signal}) before listening: ${out}`));
            }
        });
    });
    return { child, url, exited, output: () => out };
}

// accessLog: true turns the server's JSON access log on (it is off by default here).
// trustedProxies: the proxies whose X-Forwarded-For is believed ('' for none).
export async function startServer({ backend = backendName(), extraArgs = [], accessLog = false,
    trustedProxies = '127.0.0.1' } = {}) {
    if (!fs.existsSync(SANAD)) {
        throw new Error(`${SANAD} does not exist; run make first`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sanad-api-'));
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    const db = createDatabase(backend, dir);

    let child = null;
    let logText = '';
    let stopped = false;
    // SIGTERM, then SIGKILL after 10 s. Resolves with how the server ended.
    let ended = null; // what terminate() saw
    const terminate = async () => {
        if (ended) {
            return ended;
        }
        let forced = false;
        const wasRunning = Boolean(child && child.exitCode === null && child.signalCode === null);
        if (wasRunning) {
            const exited = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGTERM');
            const t = setTimeout(() => {
                forced = true;
                child.kill('SIGKILL');
            }, 10_000);
            await exited;
            clearTimeout(t);
        }
        if (child) {
            live.delete(child);
        }
        ended = { code: child?.exitCode ?? null, signal: child?.signalCode ?? null, forced, wasRunning };
        return ended;
    };
    // Stops the server and removes its database and directory. Throws (failing the `after` hook of the
    // file) when the server crashed, needed SIGKILL, exited non-zero, or a sanitizer reported.
    const stop = async () => {
        if (stopped) {
            return;
        }
        stopped = true;
        const end = await terminate();
        const crashedBefore = child && !end.wasRunning ? `${child.exitCode ?? child.signalCode}` : null;
        db.drop();
        if (!process.env.SANAD_TEST_KEEP) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        const problems = [];
        if (crashedBefore !== null) {
            problems.push(`the server ended on its own during the tests (${crashedBefore})`);
        } else if (child) {
            if (end.forced) {
                problems.push('the server did not stop within 10 s of SIGTERM');
            } else if (end.signal || end.code !== 0) {
                problems.push(`the server exited with ${end.signal ?? end.code} on SIGTERM`);
            }
        }
        const san = logText.match(/(ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|runtime error:)[^]{0,3000}/);
        if (san) {
            problems.push(`sanitizer report:\n${san[0]}`);
        }
        if (problems.length) {
            throw new Error(`${problems.join('\n')}\nserver output ends with:\n${logText.slice(-3000)}`);
        }
    };

    try {
        mustRun(['migrate', '--db', db.url]);
        const users = {};
        for (const role of ROLES) {
            const u = { email: roleEmail(role), password: rolePassword(role), name: `Test ${role}` };
            mustRun(['user', 'add', '--db', db.url, '--email', u.email, '--name', u.name, '--role', role],
                { input: `${u.password}\n` });
            users[role] = u;
        }

        child = spawn(SANAD, ['serve', '--listen', '127.0.0.1:0', '--db', db.url, '--data', dataDir,
            '--trusted-proxies', trustedProxies, '--access-log', accessLog ? '1' : '0', ...extraArgs], {
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        live.add(child);
        // Keep draining both pipes so the server never blocks on a full pipe; keep the tail for
        // diagnostics.
        const keep = (chunk) => {
            logText += chunk.toString('utf8');
            if (logText.length > 256 * 1024) {
                logText = logText.slice(-128 * 1024);
            }
        };
        child.stderr.on('data', keep);
        child.stdout.on('data', keep);
        child.once('exit', () => live.delete(child));
        const url = await waitForListening(child, 20_000).catch((e) => {
            const bt = child.exitCode === null && child.signalCode === null ? `\nthreads:\n${backtrace(child.pid)}` : '';
            throw new Error(`${e.message}\nserver output:\n${logText}${bt}`);
        });

        const diag = () => {
            const st = child.exitCode !== null || child.signalCode !== null
                ? `server exited (${child.exitCode ?? child.signalCode})` : 'server still running';
            return `${st}; its output ends with:\n${logText.slice(-4000)}`;
        };

        let ipCounter = 0;
        const newIp = () => {
            ipCounter += 1;
            // Documentation ranges (RFC 5737): never real addresses, only header values here.
            const nets = ['203.0.113', '198.51.100', '192.0.2'];
            const n = ipCounter - 1;
            if (n >= nets.length * 254) {
                throw new Error('out of fake client addresses');
            }
            return `${nets[Math.floor(n / 254)]}.${(n % 254) + 1}`;
        };

        const server = {
            url,
            backend,
            db: db.url,
            dir,
            users,
            newIp,
            client: (opts = {}) => new Client(url, { ip: opts.ip ?? newIp(), diag }),
            bearer: (token, opts = {}) => new Client(url, { ip: opts.ip ?? newIp(), token, diag }),
            async login(who, opts = {}) {
                const cred = typeof who === 'string' ? users[who] : who;
                if (!cred) {
                    throw new Error(`no test user for ${who}`);
                }
                const c = new Client(url, { ip: opts.ip ?? newIp(), diag });
                const r = await c.login(cred.email, cred.password);
                if (r.status !== 200 || !c.cookie || !c.csrf) {
                    throw new Error(`login as ${cred.email} failed: ${r.status} ${r.text}` +
                        ` set-cookie=${JSON.stringify(r.setCookies)}`);
                }
                return c;
            },
            sql: (q) => db.sql(q),
            cli: (args, opts) => run(args, opts),
            pid: child.pid,
            logs: () => logText,
            terminate,
            stop,
        };
        return server;
    } catch (e) {
        await stop().catch(() => {});
        throw e;
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the test files.

let uniq = 0;
export function unique(prefix = 'u') {
    uniq += 1;
    return `${prefix}${process.pid}x${uniq}x${Date.now().toString(36)}`;
}

// Creates a user through the API as `admin` (a logged-in admin Client). Returns {user, email, password}.
export async function createUser(admin, { roles = ['agent'], name, password, email, disabled } = {}) {
    email = email ?? `${unique('user')}@test.sanad`;
    password = password ?? `pw-${unique('p')}`;
    const body = { email, name: name ?? `User ${email}`, password, roles };
    if (disabled !== undefined) {
        body.disabled = disabled;
    }
    const r = await admin.post('/api/v1/users', body);
    if (r.status !== 201) {
        throw new Error(`creating user ${email}: ${r.status} ${r.text}`);
    }
    return { user: r.json, email, password };
}

// Describes a response for assertion messages.
export function show(r) {
    const h = {};
    for (const k of ['content-type', 'allow', 'retry-after', 'x-request-id']) {
        const v = r.headers?.get?.(k);
        if (v) {
            h[k] = v;
        }
    }
    const body = r.text && r.text.length > 500 ? `${r.text.slice(0, 500)}…` : r.text;
    return `${r.method ?? ''} ${r.path ?? ''} → ${r.status} ${JSON.stringify(h)} ${body}`;
}
