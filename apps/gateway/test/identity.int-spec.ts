import { DataSource } from 'typeorm';
import { startGateway, TestGateway } from './gateway-app';
import { PlatformAdminBootstrap } from '../src/identity/platform-admin.bootstrap';

jest.setTimeout(90000);

const ADMIN = { email: 'root@platform.test', password: 'correct horse battery staple' };

describe('gateway identity: sign-in, personal access tokens, abilities, audit', () => {
  let gw: TestGateway;
  let db: DataSource;
  let adminToken: string;
  let companyId: string;

  const login = (email: string, password: string) => gw.call('POST', '/api/v1/auth/login', { body: { email, password } });

  beforeAll(async () => {
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password });
    db = gw.app.get(DataSource);
    const res = await login(ADMIN.email, ADMIN.password);
    expect(res.status).toBe(200);
    adminToken = res.body.token;
    const company = await gw.call('POST', '/api/v1/companies', { token: adminToken, body: { name: 'Praxis Dr. A', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
    expect([company.status, company.body]).toEqual([201, expect.anything()]);
    companyId = company.body.id;
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('creates the first platform admin once, from the environment', async () => {
    await gw.app.get(PlatformAdminBootstrap).onApplicationBootstrap();
    const admins = await db.query(`SELECT email FROM app_user WHERE role = 'platform_admin'`);
    expect(admins).toEqual([{ email: ADMIN.email }]);
  });

  it('keeps health probes public and everything else behind a token', async () => {
    for (const path of ['/health/live', '/health/ready', '/api/health']) {
      expect([path, (await gw.call('GET', path)).status]).toEqual([path, 200]);
    }
    expect((await gw.call('GET', '/api/v1/companies')).status).toBe(401);
    expect((await gw.call('GET', '/api/v1/companies', { token: 'nonsense' })).status).toBe(401);
    const [, rest] = adminToken.split('_');
    const forged = `rcp_${rest.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await gw.call('GET', '/api/v1/companies', { token: forged })).status).toBe(401);
    expect((await gw.call('GET', '/api/v1/companies', { headers: { authorization: `Basic ${adminToken}` } })).status).toBe(401);
  });

  it('serves Prometheus metrics only on METRICS_PORT, never on the public port', async () => {
    expect((await gw.call('GET', '/metrics')).status).toBe(404);
    expect((await gw.call('GET', '/metrics', { token: adminToken })).status).toBe(404);
    const scraped = await fetch(`${gw.metricsUrl}/metrics`);
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(text).toMatch(/^http_server_request_duration_seconds_bucket\{.*service="gateway"/m);
    expect((await fetch(`${gw.metricsUrl}/api/health`)).status).toBe(404); // the metrics port serves nothing else
    // Without METRICS_PORT the gateway serves no metrics at all rather than on its public port.
    const bare = await startGateway({ METRICS_PORT: '' }, { database: gw.database });
    try {
      expect((await bare.call('GET', '/metrics')).status).toBe(404);
      expect((await bare.call('GET', '/health/live')).status).toBe(200);
    } finally {
      await bare.close();
    }
  });

  it('signs in: a token shown once, resolving to the principal', async () => {
    const res = await login('ROOT@platform.test ', ADMIN.password);
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(/^rcp_[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
    const me = await gw.call('GET', '/api/v1/auth/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'token', tokenId: res.body.tokenId, companyId: null, role: 'platform_admin' });
    expect(me.body.abilities).toEqual(expect.arrayContaining(['companies.create', 'companies.read', 'tokens.manage']));
    const [row] = await db.query('SELECT token_hash FROM personal_access_token WHERE id = ?', [res.body.tokenId]);
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.token).not.toContain(row.token_hash);
    const list = await gw.call('GET', '/api/v1/tokens', { token: res.body.token });
    expect(JSON.stringify(list.body)).not.toContain(res.body.token.split('.')[1]);
  });

  it('answers a wrong password and an unknown e-mail with the same 401 body, and audits both', async () => {
    const wrongPassword = await login(ADMIN.email, 'not the password');
    const unknownEmail = await login('nobody@platform.test', ADMIN.password);
    const malformed = await login('not-an-email', '');
    expect(wrongPassword.status).toBe(401);
    expect(unknownEmail.status).toBe(401);
    expect(malformed.status).toBe(401);
    const withoutTrace = ({ traceId: _t, ...rest }: Record<string, unknown>) => rest;
    expect(withoutTrace(wrongPassword.body)).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Invalid credentials', statusCode: 401, error: 'Unauthorized', message: 'Invalid credentials' });
    expect(withoutTrace(unknownEmail.body)).toEqual(withoutTrace(wrongPassword.body));
    expect(withoutTrace(malformed.body)).toEqual(withoutTrace(wrongPassword.body));
    const failures = await db.query(`SELECT changes FROM audit_log WHERE action = 'auth.login' AND outcome = 'failure' ORDER BY id`);
    expect(failures.map((f: { changes: string }) => JSON.parse(f.changes).email)).toEqual([ADMIN.email, 'nobody@platform.test', 'not-an-email']);
    const successes = await db.query(`SELECT COUNT(*) AS n FROM audit_log WHERE action = 'auth.login' AND outcome = 'success'`);
    expect(Number(successes[0].n)).toBeGreaterThanOrEqual(2);
  });

  it('never stores a password in plain text', async () => {
    const created = await gw.call('POST', `/api/v1/companies/${companyId}/users`, {
      token: adminToken,
      body: { email: 'staff@a.test', name: 'Staff', password: 'staff password 123', role: 'company_staff' },
    });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain('staff password 123');
    const users: { password_hash: string }[] = await db.query('SELECT password_hash FROM app_user');
    for (const u of users) expect(u.password_hash).toMatch(/^\$scrypt\$v=1\$n=\d+,r=\d+,p=\d+\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    const salts = users.map((u) => u.password_hash.split('$')[4]);
    expect(new Set(salts).size).toBe(salts.length);
    const dump = JSON.stringify(await db.query('SELECT * FROM app_user')) + JSON.stringify(await db.query('SELECT * FROM audit_log'));
    expect(dump).not.toContain('staff password 123');
    expect(dump).not.toContain(ADMIN.password);
    expect((await login('staff@a.test', 'staff password 123')).status).toBe(200);
  });

  it('rejects bad input with 400 naming the field', async () => {
    const res = await gw.call('POST', '/api/v1/companies', { token: adminToken, body: { name: 'X', timeZone: 'Mars/Olympus', currency: 'CHF' } });
    expect(res.status).toBe(400);
    expect(res.body.field.split(',').sort()).toEqual(['currency', 'timeZone']);
    expect(res.body.message).toMatch(/timeZone: must be an IANA time zone/);
    const phone = await gw.call('POST', `/api/v1/companies/${companyId}/phone-numbers`, { token: adminToken, body: { number: '0301234' } });
    expect(phone.status).toBe(400);
    expect(phone.body.field).toBe('number');
  });

  it('limits a token to its abilities (403) and never beyond the caller', async () => {
    const created = await gw.call('POST', '/api/v1/tokens', { token: adminToken, body: { name: 'read only', abilities: ['companies.read'] } });
    expect(created.status).toBe(201);
    const readOnly = created.body.token as string;
    expect((await gw.call('GET', '/api/v1/companies', { token: readOnly })).status).toBe(200);
    const denied = await gw.call('POST', '/api/v1/companies', { token: readOnly, body: { name: 'Nope' } });
    expect(denied.status).toBe(403);
    expect((await gw.call('PATCH', `/api/v1/companies/${companyId}`, { token: readOnly, body: { name: 'Nope' } })).status).toBe(403);
    expect((await gw.call('POST', '/api/v1/tokens', { token: readOnly, body: { name: 'escalate' } })).status).toBe(403);

    const staff = (await login('staff@a.test', 'staff password 123')).body.token as string;
    const escalate = await gw.call('POST', '/api/v1/tokens', { token: staff, body: { name: 'more', abilities: ['users.manage'] } });
    expect(escalate.status).toBe(422);
    expect(escalate.body.field).toBe('abilities');
    expect((await gw.call('POST', `/api/v1/companies/${companyId}/users`, { token: staff, body: { email: 'x@a.test', name: 'X', password: 'x password 1234', role: 'company_staff' } })).status).toBe(403);
  });

  it('expires tokens', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = await gw.call('POST', '/api/v1/tokens', { token: adminToken, body: { name: 'short', expiresAt } });
    expect(created.status).toBe(201);
    expect(created.body.expiresAt).toBe(expiresAt);
    expect((await gw.call('GET', '/api/v1/companies', { token: created.body.token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(expiresAt) - Date.now() + 100));
    expect((await gw.call('GET', '/api/v1/companies', { token: created.body.token })).status).toBe(401);
    const past = await gw.call('POST', '/api/v1/tokens', { token: adminToken, body: { name: 'past', expiresAt: '2001-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    expect(past.body.field).toBe('expiresAt');
  });

  it('revokes tokens, and records when a token was last used', async () => {
    const created = await gw.call('POST', '/api/v1/tokens', { token: adminToken, body: { name: 'ci', expiresInDays: 7 } });
    const { id, token } = created.body;
    expect(created.body.lastUsedAt).toBeNull();
    const before = Date.now();
    expect((await gw.call('GET', '/api/v1/companies', { token })).status).toBe(200);
    const listed = await gw.call('GET', '/api/v1/tokens', { token: adminToken });
    const entry = listed.body.data.find((t: { id: string }) => t.id === id);
    expect(Date.parse(entry.lastUsedAt)).toBeGreaterThanOrEqual(before - 5);

    expect((await gw.call('DELETE', `/api/v1/tokens/${id}`, { token: adminToken })).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/companies', { token })).status).toBe(401);
    expect((await gw.call('DELETE', `/api/v1/tokens/${id}`, { token })).status).toBe(401);
    const audit = await db.query(`SELECT action, target_id FROM audit_log WHERE target_id = ? ORDER BY id`, [id]);
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['token.created', 'token.revoked']);
  });

  it('ends every session of a user whose password is changed, except the token that changed it', async () => {
    const email = 'rotating@a.test';
    const created = await gw.call('POST', `/api/v1/companies/${companyId}/users`, { token: adminToken, body: { email, name: 'Rotating', password: 'the old password 1', role: 'company_admin' } });
    expect(created.status).toBe(201);
    const stolen = (await login(email, 'the old password 1')).body.token as string;
    const own = (await login(email, 'the old password 1')).body.token as string;
    const derived = await gw.call('POST', '/api/v1/tokens', { token: stolen, body: { name: 'made with the old password' } });
    expect(derived.status).toBe(201);
    for (const token of [stolen, own, derived.body.token]) expect((await gw.call('GET', '/api/v1/companies', { token })).status).toBe(200);

    // The user changes their own password with one of their sessions.
    const changed = await gw.call('PATCH', `/api/v1/companies/${companyId}/users/${created.body.id}`, { token: own, body: { password: 'the new password 2' } });
    expect(changed.status).toBe(200);
    expect((await gw.call('GET', '/api/v1/companies', { token: stolen })).status).toBe(401);
    expect((await gw.call('GET', '/api/v1/companies', { token: derived.body.token })).status).toBe(401);
    expect((await gw.call('GET', '/api/v1/companies', { token: own })).status).toBe(200);
    expect((await login(email, 'the old password 1')).status).toBe(401);

    // An admin resets it: every session of the user ends, the admin's own stays.
    const fresh = (await login(email, 'the new password 2')).body.token as string;
    const reset = await gw.call('PATCH', `/api/v1/companies/${companyId}/users/${created.body.id}`, { token: adminToken, body: { password: 'the third password 3' } });
    expect(reset.status).toBe(200);
    for (const token of [own, fresh]) expect((await gw.call('GET', '/api/v1/companies', { token })).status).toBe(401);
    expect((await gw.call('GET', '/api/v1/companies', { token: adminToken })).status).toBe(200);
    const [audit] = await db.query(`SELECT changes FROM audit_log WHERE action = 'user.updated' AND target_id = ? ORDER BY id DESC LIMIT 1`, [created.body.id]);
    expect(JSON.stringify(audit.changes)).toContain('tokensRevoked');
  });

  it('audits role and settings changes, readable per company', async () => {
    const users = await gw.call('GET', `/api/v1/companies/${companyId}/users`, { token: adminToken });
    const staff = users.body.data.find((u: { email: string }) => u.email === 'staff@a.test');
    const promoted = await gw.call('PATCH', `/api/v1/companies/${companyId}/users/${staff.id}`, { token: adminToken, body: { role: 'company_admin' } });
    expect(promoted.status).toBe(200);
    expect(promoted.body.role).toBe('company_admin');
    const settings = await gw.call('PATCH', `/api/v1/companies/${companyId}`, { token: adminToken, body: { settings: { greeting: 'Hallo', apiKey: 'sk_live_x' }, timeZone: 'europe/vienna' } });
    expect(settings.status).toBe(200);
    expect(settings.body.timeZone).toBe('Europe/Vienna');

    const companyAdmin = (await login('staff@a.test', 'staff password 123')).body.token as string;
    const log = await gw.call('GET', `/api/v1/companies/${companyId}/audit-log`, { token: companyAdmin });
    expect(log.status).toBe(200);
    const actions = log.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.role_changed', 'company.settings_changed', 'company.created', 'user.created']));
    const roleChange = log.body.data.find((e: { action: string }) => e.action === 'user.role_changed');
    expect(roleChange).toMatchObject({ target: { type: 'user', id: staff.id }, changes: { role: { from: 'company_staff', to: 'company_admin' } } });
    expect(roleChange.actor.userId).toBeTruthy();
    expect(roleChange.requestId).toBeTruthy();
    const settingsChange = log.body.data.find((e: { action: string }) => e.action === 'company.settings_changed');
    expect(JSON.stringify(settingsChange.changes)).not.toContain('sk_live_x');
    // company admins may not make platform admins
    const denied = await gw.call('PATCH', `/api/v1/companies/${companyId}/users/${staff.id}`, { token: companyAdmin, body: { role: 'platform_admin' } });
    expect(denied.status).toBe(403);
  });
});
