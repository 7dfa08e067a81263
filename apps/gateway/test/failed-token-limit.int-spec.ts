import { uniqueName } from '@receptionist/testing';
import { createGatewayDatabase, startGateway, TestGateway } from './gateway-app';

jest.setTimeout(120000);

const ADMIN = { email: 'root@failed-token.test', password: 'correct horse battery staple' };
const LIMIT = 5;

describe('failed bearer tokens count against the sensitive limit per client IP (two instances)', () => {
  let db: { database: string; drop: () => Promise<void> };
  let a: TestGateway;
  let b: TestGateway;
  let adminToken: string;
  let revokedToken: string;

  beforeAll(async () => {
    db = await createGatewayDatabase();
    const env = {
      PLATFORM_ADMIN_EMAIL: ADMIN.email,
      PLATFORM_ADMIN_PASSWORD: ADMIN.password,
      RATE_LIMIT_SENSITIVE: String(LIMIT),
      RATE_LIMIT_KEY_PREFIX: uniqueName('rl-failed-token'),
    };
    a = await startGateway(env, { database: db.database });
    b = await startGateway(env, { database: db.database });
    adminToken = (await a.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    const created = await a.call('POST', '/api/v1/tokens', { token: adminToken, body: { name: 'to revoke', expiresInDays: 1 } });
    revokedToken = created.body.token;
    expect((await a.call('DELETE', `/api/v1/tokens/${created.body.id}`, { token: adminToken })).status).toBe(204);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it(`answers ${LIMIT} bad tokens with 401, then 429 with Retry-After on either instance, whatever the token`, async () => {
    const [, rest] = adminToken.split('_');
    const wrongSecret = `rcp_${rest.split('.')[0]}.${'A'.repeat(43)}`; // an existing token id
    const unknown = `rcp_00000000-0000-4000-8000-000000000000.${'B'.repeat(43)}`;
    const bad = [revokedToken, wrongSecret, unknown, 'not-even-a-token', unknown];

    const first = [];
    for (let i = 0; i < LIMIT; i++) {
      const gw = i % 2 === 0 ? a : b;
      first.push(await gw.call('GET', '/api/v1/companies', { token: bad[i] }));
    }
    expect(first.map((r) => r.status)).toEqual(Array(LIMIT).fill(401));
    // One body for every kind of bad token: nothing tells a revoked or existing token from an unknown one.
    expect(new Set(first.map((r) => JSON.stringify({ ...r.body, traceId: undefined }))).size).toBe(1);

    const limitedRevoked = await b.call('GET', '/api/v1/companies', { token: revokedToken });
    const limitedUnknown = await a.call('GET', '/api/v1/companies', { token: unknown });
    const limitedExisting = await b.call('GET', '/api/v1/companies', { token: wrongSecret });
    for (const res of [limitedRevoked, limitedUnknown, limitedExisting]) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res.body.message).toMatch(new RegExp(`${LIMIT} requests per minute`));
    }
    const shape = (r: { body: Record<string, unknown> }) => Object.keys(r.body).filter((k) => k !== 'traceId').sort().join(',');
    expect(shape(limitedRevoked)).toBe(shape(limitedUnknown));
    expect(limitedRevoked.body.error).toBe(limitedUnknown.body.error);
  });

  it('leaves valid tokens from the same address alone, on both instances', async () => {
    for (const gw of [a, b]) {
      const res = await gw.call('GET', '/api/v1/companies', { token: adminToken });
      expect(res.status).toBe(200);
    }
  });

  it('does not count requests without credentials (plain 401)', async () => {
    const res = await a.call('GET', '/api/v1/companies');
    expect(res.status).toBe(401);
  });
});
