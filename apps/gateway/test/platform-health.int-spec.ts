import { uniqueName } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
import { ServiceStatusRepository } from '../src/platform-health/service-status.repository';

jest.setTimeout(90000);

const ADMIN = { email: 'ops@platform.test', password: 'operator password 123' };

describe('operator health view', () => {
  let gw: TestGateway;
  let adminToken: string;

  beforeAll(async () => {
    // Its own heartbeat hash: instances of an earlier run (or of a platform started on this machine) don't count.
    gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, PLATFORM_HEALTH_KEY: uniqueName('hb') });
    adminToken = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('needs a token with health.read', async () => {
    expect((await gw.call('GET', '/api/health/detailed')).status).toBe(401);
    const company = await gw.call('POST', '/api/v1/companies', { token: adminToken, body: { name: 'Salon B', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
    const user = await gw.call('POST', `/api/v1/companies/${company.body.id}/users`, {
      token: adminToken,
      body: { email: 'owner@salon.test', password: 'owner password 123', name: 'Owner', role: 'company_admin' },
    });
    expect(user.status).toBe(201);
    const ownerToken = (await gw.call('POST', '/api/v1/auth/login', { body: { email: 'owner@salon.test', password: 'owner password 123' } })).body.token;
    expect((await gw.call('GET', '/api/health/detailed', { token: ownerToken })).status).toBe(403);
  });

  it('reports dependencies and each service’s readiness as heard over Kafka', async () => {
    const statuses = gw.app.get(ServiceStatusRepository);
    const now = new Date().toISOString();
    for (const service of ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync']) {
      await statuses.record({ service, instanceId: `${service}-test`, ready: service !== 'billing', checks: {}, outboxBacklog: service === 'booking' ? 3 : 0, at: now });
    }
    const res = await gw.call('GET', '/api/health/detailed', { token: adminToken });
    expect(res.status).toBe(503); // billing is not ready
    expect(res.body.dependencies.mysql.ok && res.body.dependencies.redis.ok && res.body.dependencies.kafka.ok).toBe(true);
    expect(res.body.services.booking.ready).toBe(true);
    expect(res.body.services.billing.ready).toBe(false);
    expect(res.body.outboxBacklog.booking).toBeGreaterThanOrEqual(3);

    await statuses.record({ service: 'billing', instanceId: 'billing-test', ready: true, checks: {}, outboxBacklog: 0, at: new Date().toISOString() });
    const healthy = await gw.call('GET', '/api/health/detailed', { token: adminToken });
    expect(healthy.body.services.billing.ready).toBe(true);
    expect(JSON.stringify(healthy.body)).not.toMatch(/password|Error:|at \//);
  });

  it('drops an instance that announces it is leaving', async () => {
    const statuses = gw.app.get(ServiceStatusRepository);
    const at = new Date().toISOString();
    await statuses.record({ service: 'sync', instanceId: 'sync-leaving', ready: true, checks: {}, outboxBacklog: 0, at });
    expect((await statuses.all()).some((i) => i.instanceId === 'sync-leaving')).toBe(true);
    await statuses.record({ service: 'sync', instanceId: 'sync-leaving', ready: false, checks: {}, outboxBacklog: 0, at, leaving: true });
    expect((await statuses.all()).some((i) => i.instanceId === 'sync-leaving')).toBe(false);
  });
});
