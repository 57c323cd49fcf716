// The command line beside a running server: migrate, user add / disable / passwd.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, backendName, unique, show } from './lib/harness.mjs';
import { expectError, expectStatus, sameRoles } from './lib/expect.mjs';

const backend = backendName();

describe(`command line [${backend}]`, () => {
    let server;
    let admin;

    before(async () => {
        server = await startServer();
        admin = await server.login('admin');
    });

    after(async () => {
        await server?.stop();
    });

    const cli = (args, input = '') => server.cli([...args, '--db', server.db], { input });
    const out = (r) => `exit ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

    test('migrate again is a no-op', () => {
        const before = server.sql('SELECT version FROM schema_migrations ORDER BY version');
        const r = cli(['migrate']);
        assert.equal(r.code, 0, out(r));
        assert.equal(server.sql('SELECT version FROM schema_migrations ORDER BY version'), before);
    });

    test('user add: the user can log in with the roles given', async () => {
        const email = `${unique('cli')}@test.sanad`;
        const r = cli(['user', 'add', '--email', email, '--name', 'CLI User', '--role', 'agent', '--role', 'qa_evaluator'],
            'cli-password-123\n');
        assert.equal(r.code, 0, out(r));
        const c = server.client();
        const l = await c.login(email, 'cli-password-123');
        expectStatus(l, 200);
        assert.ok(sameRoles(l.json.user.roles, ['agent', 'qa_evaluator']), show(l));
        assert.equal(l.json.user.name, 'CLI User');
    });

    test('user add refuses a short password, a duplicate email and an unknown role', async () => {
        const email = `${unique('clibad')}@test.sanad`;
        let r = cli(['user', 'add', '--email', email, '--name', 'X', '--role', 'agent'], 'short\n');
        assert.notEqual(r.code, 0, out(r));
        r = cli(['user', 'add', '--email', email, '--name', 'X', '--role', 'wizard'], 'long-enough-password\n');
        assert.notEqual(r.code, 0, out(r));
        r = cli(['user', 'add', '--email', server.users.agent.email, '--name', 'X', '--role', 'agent'],
            'long-enough-password\n');
        assert.notEqual(r.code, 0, out(r));
        expectError(await server.client().post('/api/v1/auth/login', { email, password: 'long-enough-password' }), 401);
    });

    test('user add --generate-password prints a password that works', async () => {
        const email = `${unique('gen')}@test.sanad`;
        const r = cli(['user', 'add', '--email', email, '--name', 'Gen', '--role', 'supervisor', '--generate-password']);
        assert.equal(r.code, 0, out(r));
        // Whatever the wording, one of the printed words is the password.
        const words = `${r.stdout} ${r.stderr}`.split(/[\s"':,]+/).filter((w) => w.length >= 10);
        let ok = false;
        for (const w of words) {
            const l = await server.client().post('/api/v1/auth/login', { email, password: w });
            if (l.status === 200) {
                ok = true;
                break;
            }
        }
        assert.ok(ok, `no printed word logs in: ${out(r)}`);
    });

    test('user disable ends the sessions and stops logins', async () => {
        const email = `${unique('dis')}@test.sanad`;
        assert.equal(cli(['user', 'add', '--email', email, '--name', 'D', '--role', 'agent'], 'disable-me-please\n').code, 0);
        const c = server.client();
        expectStatus(await c.login(email, 'disable-me-please'), 200);
        const r = cli(['user', 'disable', '--email', email]);
        assert.equal(r.code, 0, out(r));
        expectError(await c.get('/api/v1/me'), 401);
        expectError(await server.client().post('/api/v1/auth/login', { email, password: 'disable-me-please' }), 401);
        const u = (await admin.get('/api/v1/users?limit=100')).json.items.find((x) => x.email === email);
        assert.equal(u?.disabled, true, JSON.stringify(u));
    });

    test('user passwd sets the password from stdin and ends the sessions', async () => {
        const email = `${unique('pw')}@test.sanad`;
        assert.equal(cli(['user', 'add', '--email', email, '--name', 'P', '--role', 'agent'], 'first-password-1\n').code, 0);
        const c = server.client();
        expectStatus(await c.login(email, 'first-password-1'), 200);
        const r = cli(['user', 'passwd', '--email', email], 'second-password-2\n');
        assert.equal(r.code, 0, out(r));
        expectError(await c.get('/api/v1/me'), 401);
        expectError(await server.client().post('/api/v1/auth/login', { email, password: 'first-password-1' }), 401);
        expectStatus(await server.client().login(email, 'second-password-2'), 200);
    });

    test('user commands on an unknown email fail', () => {
        for (const cmd of ['disable', 'passwd']) {
            const r = cli(['user', cmd, '--email', 'nobody-here@test.sanad'], 'some-long-password\n');
            assert.notEqual(r.code, 0, `${cmd}: ${out(r)}`);
        }
    });

    test('a database newer than the binary is refused with a clear message', () => {
        server.sql(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99999, 'from the future', 0)`);
        try {
            const r = cli(['migrate']);
            assert.notEqual(r.code, 0, out(r));
            assert.match(r.stdout + r.stderr, /newer|99999|version/i, out(r));
            assert.doesNotMatch(r.stdout + r.stderr, /segmentation|core dumped|assert/i, out(r));
        } finally {
            server.sql('DELETE FROM schema_migrations WHERE version = 99999');
        }
    });

    test('import --help: its own usage, the kinds and their default batches', () => {
        for (const flag of ['--help', '-h']) {
            const r = server.cli(['import', flag]);
            assert.equal(r.code, 0, out(r));
            assert.match(r.stdout, /usage: sanad import KIND/, out(r));
            assert.match(r.stdout, /contacts[\s\S]*--batch 50000 by default[\s\S]*articles[\s\S]*--batch 2000/, out(r));
            assert.doesNotMatch(r.stdout, /--listen/, out(r));
        }
    });

    test('an unknown command or option fails with usage', () => {
        let r = server.cli(['no-such-command']);
        assert.notEqual(r.code, 0, out(r));
        r = server.cli(['migrate', '--no-such-option', '--db', server.db]);
        assert.notEqual(r.code, 0, out(r));
    });
});
