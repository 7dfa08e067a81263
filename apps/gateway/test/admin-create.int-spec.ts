/**
 * `npm run admin:create` (apps/gateway/src/admin-create.ts) run as an operator runs it, as its own process against
 * a throwaway gateway database: the admin it creates signs in through the gateway's POST /api/v1/auth/login; a
 * second run resets the password and ends every session of the old one; a weak password or a company user's
 * e-mail changes nothing.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { testInfra } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(120000);

const root = resolve(__dirname, '../../..');
const EMAIL = 'Ops@Platform.test';

/** Runs the command with the password on stdin (as `… | npm run admin:create`) or in ADMIN_PASSWORD. */
function adminCreate(database: string, args: string[], password: { stdin?: string; env?: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, 'apps/gateway/src/admin-create.ts'), ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DB_HOST: testInfra.db.host,
      DB_PORT: String(testInfra.db.port),
      DB_USERNAME: testInfra.db.username,
      DB_PASSWORD: testInfra.db.password,
      DB_DATABASE: database,
      ...(password.env !== undefined ? { ADMIN_PASSWORD: password.env } : {}),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(password.stdin ?? '');
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

describe('admin:create', () => {
  let gw: TestGateway;
  const login = (email: string, password: string) => gw.call('POST', '/api/v1/auth/login', { body: { email, password } });

  beforeAll(async () => {
    gw = await startGateway(); // no PLATFORM_ADMIN_*: nobody can sign in yet
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('creates a platform admin (password on stdin) who signs in through the gateway', async () => {
    expect((await login(EMAIL, 'first password 123')).status).toBe(401);
    const run = await adminCreate(gw.database, ['--email', EMAIL], { stdin: 'first password 123\n' });
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('created platform admin ops@platform.test')]);
    const res = await login(EMAIL, 'first password 123');
    expect([res.status, res.body.user?.role, res.body.user?.companyId]).toEqual([200, 'platform_admin', null]);
    const companies = await gw.call('GET', '/api/v1/companies', { token: res.body.token });
    expect(companies.status).toBe(200);
  });

  it('a second run resets the password (ADMIN_PASSWORD) and revokes every token of the old one', async () => {
    const before = await login(EMAIL, 'first password 123');
    expect(before.status).toBe(200);
    const run = await adminCreate(gw.database, ['--email', EMAIL.toLowerCase()], { env: 'second password 456' });
    expect([run.code, run.stdout]).toEqual([0, expect.stringMatching(/reset the password of platform admin ops@platform\.test .*; 2 token\(s\) revoked/)]);
    expect((await gw.call('GET', '/api/v1/companies', { token: before.body.token })).status).toBe(401);
    expect((await login(EMAIL, 'first password 123')).status).toBe(401);
    const after = await login(EMAIL, 'second password 456');
    expect(after.status).toBe(200);
    expect((await gw.call('GET', '/api/v1/companies', { token: after.body.token })).status).toBe(200);
    const admins = await gw.app.get(DataSource).query(`SELECT email FROM app_user WHERE role = 'platform_admin'`);
    expect(admins).toEqual([{ email: 'ops@platform.test' }]);
  });

  it.each([
    ['short', 'short pw 1', /password must be at least 12 characters; nothing changed/],
    ['one character repeated', 'aaaaaaaaaaaaaaaa', /password is too simple: use at least 5 different characters; nothing changed/],
  ])('refuses a weak password (%s) with a clear message and changes nothing', async (_case, weak, message) => {
    const run = await adminCreate(gw.database, ['--email', EMAIL], { env: weak });
    expect([run.code, run.stderr]).toEqual([1, expect.stringMatching(message)]);
    expect(run.stderr).not.toContain(weak);
    expect((await login(EMAIL, 'second password 456')).status).toBe(200);
  });

  it('refuses without --email, or with the password as an argument', async () => {
    const missing = await adminCreate(gw.database, [], { env: 'third password 789' });
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('--email is required')]);
    const asFlag = await adminCreate(gw.database, ['--email', EMAIL, '--password', 'third password 789'], { env: 'third password 789' });
    expect([asFlag.code, asFlag.stderr]).toEqual([1, expect.stringContaining("Unknown option '--password'")]);
    expect((await login(EMAIL, 'third password 789')).status).toBe(401);
  });

  it('never turns a company user into a platform admin', async () => {
    const admin = (await login(EMAIL, 'second password 456')).body.token;
    const company = await gw.call('POST', '/api/v1/companies', { token: admin, body: { name: 'Praxis Dr. B', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
    const user = await gw.call('POST', `/api/v1/companies/${company.body.id}/users`, {
      token: admin,
      body: { email: 'staff@praxis.test', name: 'Staff', password: 'staff password 123', role: 'company_admin' },
    });
    expect(user.status).toBe(201);
    const run = await adminCreate(gw.database, ['--email', 'staff@praxis.test'], { env: 'taken over 12345' });
    expect([run.code, run.stderr]).toEqual([1, expect.stringContaining('staff@praxis.test belongs to a company user (role company_admin); not changed')]);
    expect((await login('staff@praxis.test', 'taken over 12345')).status).toBe(401);
    expect((await login('staff@praxis.test', 'staff password 123')).body.user.role).toBe('company_admin');
  });
});
