import { DataSource } from 'typeorm';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(90000);

const ADMIN = { email: 'root@token-cache.test', password: 'token cache admin password' };

/**
 * Issue 19: the token check is cached briefly per gateway instance, and revoking is still immediate everywhere —
 * two gateway instances on one database and Redis, as in production behind a load balancer.
 */
describe('token cache across two gateway instances', () => {
  let a: TestGateway;
  let b: TestGateway;
  let admin: string;
  let companyId: string;

  beforeAll(async () => {
    a = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password });
    b = await startGateway({}, { database: a.database });
    admin = (await a.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    const company = await a.call('POST', '/api/v1/companies', { token: admin, body: { name: 'Token Cache GmbH', timeZone: 'Europe/Berlin' } });
    expect(company.status).toBe(201);
    companyId = company.body.id;
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function staffUser(tag: string) {
    const email = `${tag}-${Date.now()}@token-cache.test`;
    const password = `password of ${tag} staff`;
    const user = await a.call('POST', `/api/v1/companies/${companyId}/users`, { token: admin, body: { email, name: tag, password, role: 'company_staff' } });
    expect(user.status).toBe(201);
    const token = (await a.call('POST', '/api/v1/auth/login', { body: { email, password } })).body.token as string;
    return { id: user.body.id as string, token };
  }

  it('serves a token from the cache (a database change nobody announced is not seen), and a revocation on one instance ends it on the other at once', async () => {
    const user = await staffUser('revoke');
    const second = await a.call('POST', '/api/v1/tokens', { token: user.token, body: { name: 'second', abilities: ['companies.read'] } });
    expect(second.status).toBe(201);
    const token = second.body.token as string;
    expect((await b.call('GET', `/api/v1/companies/${companyId}`, { token })).status).toBe(200); // cached on b now

    // Evidence that b answers from its cache: an expiry written straight into the database is not seen within the TTL.
    const db = a.app.get(DataSource);
    await db.query('UPDATE personal_access_token SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000), second.body.id]);
    expect((await b.call('GET', `/api/v1/companies/${companyId}`, { token })).status).toBe(200);
    await db.query('UPDATE personal_access_token SET expires_at = ? WHERE id = ?', [new Date(Date.now() + 3600_000), second.body.id]);

    // Revoked through the API on a: b refuses on the very next request.
    expect((await a.call('DELETE', `/api/v1/tokens/${second.body.id}`, { token: user.token })).status).toBe(204);
    expect((await b.call('GET', `/api/v1/companies/${companyId}`, { token })).status).toBe(401);
    expect((await a.call('GET', `/api/v1/companies/${companyId}`, { token })).status).toBe(401);
    // The user's other token is untouched.
    expect((await b.call('GET', `/api/v1/companies/${companyId}`, { token: user.token })).status).toBe(200);
  });

  it('a disabled user and a changed role take effect on the other instance at once', async () => {
    const demoted = await staffUser('role');
    const promoted = await a.call('PATCH', `/api/v1/companies/${companyId}/users/${demoted.id}`, { token: admin, body: { role: 'company_admin' } });
    expect(promoted.status).toBe(200);
    const relogin = await a.call('POST', '/api/v1/auth/login', { body: { email: promoted.body.email, password: 'password of role staff' } });
    const token = relogin.body.token as string;
    expect((await b.call('GET', '/api/v1/auth/me', { token })).body.abilities).toContain('users.manage');
    expect((await a.call('PATCH', `/api/v1/companies/${companyId}/users/${demoted.id}`, { token: admin, body: { role: 'company_staff' } })).status).toBe(200);
    expect((await b.call('GET', '/api/v1/auth/me', { token })).body.abilities ?? []).not.toContain('users.manage');

    const disabled = await staffUser('disabled');
    expect((await b.call('GET', `/api/v1/companies/${companyId}`, { token: disabled.token })).status).toBe(200);
    expect((await a.call('PATCH', `/api/v1/companies/${companyId}/users/${disabled.id}`, { token: admin, body: { disabled: true } })).status).toBe(200);
    expect((await b.call('GET', `/api/v1/companies/${companyId}`, { token: disabled.token })).status).toBe(401);
  });
});
