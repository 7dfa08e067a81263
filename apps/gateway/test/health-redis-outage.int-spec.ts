import { PrivateRedis, uniqueName, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
import { ServiceStatusRepository } from '../src/platform-health/service-status.repository';

jest.setTimeout(120000);

const ADMIN = { email: 'ops@redis-outage.test', password: 'operator password 123' };
const SERVICES = ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync'];

describe('detailed health with Redis stopped and restarted', () => {
  let redis: PrivateRedis;
  let gw: TestGateway;
  let token: string;

  const heartbeats = async () => {
    const statuses = gw.app.get(ServiceStatusRepository);
    for (const service of SERVICES) {
      await statuses.record({ service, instanceId: `${service}-outage`, ready: true, checks: {}, outboxBacklog: 0, at: new Date().toISOString() });
    }
  };
  const detailed = () => gw.call('GET', '/api/health/detailed', { token });

  beforeAll(async () => {
    redis = new PrivateRedis();
    await redis.start();
    gw = await startGateway({
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      PLATFORM_ADMIN_EMAIL: ADMIN.email,
      PLATFORM_ADMIN_PASSWORD: ADMIN.password,
      PLATFORM_HEALTH_KEY: uniqueName('hb'),
    });
    token = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
  });

  afterAll(async () => {
    await gw?.close();
    await redis?.destroy();
  });

  it('is healthy with Redis up', async () => {
    await heartbeats();
    const res = await detailed();
    expect([res.status, res.body.status, res.body.dependencies.redis.ok]).toEqual([200, 'healthy', true]);
  });

  it('reports Redis unhealthy (503) while it is stopped, without leaking the driver error', async () => {
    await redis.stop();
    const res = await waitFor(async () => {
      const r = await detailed();
      return r.body?.dependencies?.redis?.ok === false ? r : undefined;
    }, { timeoutMs: 10_000, message: 'redis reported down' });
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.dependencies.redis).toMatchObject({ ok: false, detail: expect.stringMatching(/^(unreachable|timed out)$/) });
    expect(res.body.dependencies.mysql.ok).toBe(true);
    expect(res.body.dependencies.kafka.ok).toBe(true);
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|Connection is closed|Stream isn't writeable|\d+\.\d+\.\d+\.\d+:\d+/);
    // The token still works: authentication does not depend on Redis.
    expect((await gw.call('GET', '/api/v1/companies', { token })).status).toBe(200);
  });

  it('recovers once Redis is back and the services’ heartbeats arrive again', async () => {
    await redis.start();
    await waitFor(async () => (await detailed()).body?.dependencies?.redis?.ok === true, { timeoutMs: 20_000, message: 'redis reported up' });
    await heartbeats(); // what the services' next heartbeats (every 10 s) do; the restarted Redis came back empty
    const res = await detailed();
    expect([res.status, res.body.status, res.body.dependencies.redis.ok]).toEqual([200, 'healthy', true]);
  });
});
