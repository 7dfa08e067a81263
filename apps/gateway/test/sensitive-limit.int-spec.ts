import { startGateway, TestGateway } from './gateway-app';
import { uniqueName } from '@receptionist/testing';

jest.setTimeout(90000);

describe('sign-in is a sensitive operation', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ RATE_LIMIT_SENSITIVE: '3', RATE_LIMIT_KEY_PREFIX: uniqueName('rl-login') });
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('refuses the fourth login attempt in a window with 429 and Retry-After', async () => {
    const attempt = () => gw.call('POST', '/api/v1/auth/login', { body: { email: 'nobody@example.test', password: 'guess guess guess' } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401]);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body.message).toMatch(/3 requests per minute/);
  });
});
