import { Topics } from '@receptionist/contracts';
import { MessagingRuntime } from '@receptionist/service-runtime';
import { calcomSimulator, CalcomState, RunningSimulator, startSimulator } from '@receptionist/simulators';
import { collectMessages, testKafka, uniqueName, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
import { ServiceStatusRepository } from '../src/platform-health/service-status.repository';

jest.setTimeout(120000);

const ADMIN = { email: 'ops@metrics.test', password: 'operator password 123' };
const SERVICES = ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync'];

describe('operator health views: metrics and Cal.com', () => {
  let gw: TestGateway;
  let sim: RunningSimulator<CalcomState>;
  let adminToken: string;
  let companyId: string;
  let statuses: ServiceStatusRepository;

  const heartbeat = (service: string, checks: Record<string, { ok: boolean; detail?: string }> = {}, outboxBacklog = 0) =>
    statuses.record({ service, instanceId: `${service}-test`, ready: true, checks, outboxBacklog, at: new Date().toISOString() });

  beforeAll(async () => {
    sim = await startSimulator(calcomSimulator, { port: 0 });
    gw = await startGateway({
      PLATFORM_ADMIN_EMAIL: ADMIN.email,
      PLATFORM_ADMIN_PASSWORD: ADMIN.password,
      PLATFORM_HEALTH_KEY: uniqueName('hb'),
      CALCOM_BASE_URL: sim.url,
      CALCOM_API_KEY: 'cal_test_key',
      CALCOM_HEALTH_CACHE_MS: '0',
      CALCOM_HEALTH_TIMEOUT_MS: '500',
    });
    statuses = gw.app.get(ServiceStatusRepository);
    adminToken = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
    const company = await gw.call('POST', '/api/v1/companies', { token: adminToken, body: { name: 'Salon M', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
    companyId = company.body.id;
  });

  afterAll(async () => {
    await gw?.close();
    await sim?.close();
  });

  it('needs a token with health.read for metrics and Cal.com health', async () => {
    for (const path of ['/api/health/metrics', '/api/health/calcom']) {
      expect([path, (await gw.call('GET', path)).status]).toEqual([path, 401]);
    }
    const reader = await gw.call('POST', '/api/v1/tokens', { token: adminToken, body: { name: 'no health', abilities: ['companies.read'] } });
    for (const path of ['/api/health/metrics', '/api/health/calcom']) {
      expect([path, (await gw.call('GET', path, { token: reader.body.token })).status]).toEqual([path, 403]);
    }
  });

  it('reports request figures by route class, guard timings, rejections, services and the process', async () => {
    for (const service of SERVICES) await heartbeat(service, {}, service === 'notification' ? 4 : 0);
    for (let i = 0; i < 20; i++) expect((await gw.call('GET', `/api/v1/companies/${companyId}/branches`, { token: adminToken })).status).toBe(200);
    expect((await gw.call('GET', `/api/v1/companies/${companyId}/branches/00000000-0000-4000-8000-000000000000`, { token: adminToken })).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/companies', { token: 'rcp_nope.nope' })).status).toBe(401);

    const res = await gw.call('GET', '/api/health/metrics', { token: adminToken });
    expect(res.status).toBe(200);
    const m = res.body;
    expect(m.http.admin.count).toBeGreaterThanOrEqual(22);
    expect(m.http.admin.status4xx).toBeGreaterThanOrEqual(2);
    expect(m.http.admin.status5xx).toBe(0);
    expect(m.http.admin.p50Ms).toBeGreaterThan(0);
    expect(m.http.admin.p99Ms).toBeGreaterThanOrEqual(m.http.admin.p50Ms);
    expect(m.http.auth.count).toBeGreaterThanOrEqual(2); // the logins
    expect(m.guards.auth.count).toBeGreaterThanOrEqual(22);
    expect(m.guards.rateLimit.count).toBeGreaterThanOrEqual(21);
    expect(m.guards.shareOfRequestTime).toBeGreaterThan(0);
    expect(m.guards.shareOfRequestTime).toBeLessThan(1);
    expect(m.rateLimits.failedTokens.unauthorized).toBeGreaterThanOrEqual(1);
    expect(m.services.notification).toEqual({ instances: 1, ready: 1, outboxBacklog: 4 });
    expect(m.services.booking.instances).toBe(1);
    expect(m.process.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(m.process.rssMb).toBeGreaterThan(10);
    expect(m.process.heapUsedMb).toBeGreaterThan(1);
    expect(m.kafka.available).toBe(true);
    expect(typeof m.kafka.totalLag).toBe('number');
    expect(m.instance).toBe(gw.app.get(MessagingRuntime).instanceId);
    // Useful, not huge: no per-path fan-out, no raw series.
    expect(JSON.stringify(m).length).toBeLessThan(20_000);
    expect(JSON.stringify(m)).not.toContain(companyId);
  });

  it('reports Cal.com reachable with its latency while the API answers', async () => {
    await heartbeat('booking', { 'calcom.breaker': { ok: true, detail: 'closed' } });
    const res = await gw.call('GET', '/api/health/calcom', { token: adminToken });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('healthy');
    expect(res.body.api).toMatchObject({ reachable: true, authenticated: true, ok: true, statusCode: 200, cached: false });
    expect(res.body.api.latencyMs).toBeGreaterThan(0);
    expect(res.body.api.latencyMs).toBeLessThan(500);
    expect(res.body.breaker.state).toBe('closed');
    // The probe used the configured key and the API version booking uses for event types.
    const probe = sim.requests().filter((r) => r.path.startsWith('/v2/event-types')).pop()!;
    expect(probe.headers['cal-api-version']).toBe('2024-06-14');
    expect(probe.statusCode).toBe(200);
  });

  it('reports a slow Cal.com as timed out and a stopped one as unreachable, with 503, then recovers', async () => {
    sim.setFault({ mode: 'slow', delayMs: 1500 });
    const slow = await gw.call('GET', '/api/health/calcom', { token: adminToken });
    expect([slow.status, slow.body.api.reachable, slow.body.api.detail]).toEqual([503, false, 'timed out']);
    sim.setFault({ mode: 'normal' });

    const port = sim.port;
    await sim.close();
    const down = await gw.call('GET', '/api/health/calcom', { token: adminToken });
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unreachable');
    expect(down.body.api).toMatchObject({ reachable: false, ok: false, statusCode: null, detail: 'unreachable' });
    expect(JSON.stringify(down.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|Error/);

    sim = await startSimulator(calcomSimulator, { port });
    const back = await gw.call('GET', '/api/health/calcom', { token: adminToken });
    expect([back.status, back.body.api.reachable]).toEqual([200, true]);
  });

  it('shows booking’s Cal.com breaker from its heartbeat in both views; open or half-open is 503', async () => {
    for (const service of SERVICES) await heartbeat(service);
    await heartbeat('booking', { 'calcom.breaker': { ok: false, detail: 'open' } });
    const calcom = await gw.call('GET', '/api/health/calcom', { token: adminToken });
    expect([calcom.status, calcom.body.status, calcom.body.breaker.state]).toEqual([503, 'degraded', 'open']);
    expect(calcom.body.breaker.instances).toEqual([expect.objectContaining({ instanceId: 'booking-test', state: 'open' })]);
    const detailed = await gw.call('GET', '/api/health/detailed', { token: adminToken });
    expect([detailed.status, detailed.body.calcom.breaker]).toEqual([503, 'open']);
    expect(detailed.body.services.booking.ready).toBe(true); // informational: booking itself stays ready

    await heartbeat('booking', { 'calcom.breaker': { ok: false, detail: 'half-open' } });
    expect((await gw.call('GET', '/api/health/calcom', { token: adminToken })).body.breaker.state).toBe('half-open');

    await heartbeat('booking', { 'calcom.breaker': { ok: true, detail: 'closed' } });
    const closed = await gw.call('GET', '/api/health/detailed', { token: adminToken });
    expect([closed.status, closed.body.calcom.breaker]).toEqual([200, 'closed']);
  });

  it('carries a check a service registers in its real heartbeat over Kafka, without touching readiness', async () => {
    const runtime = gw.app.get(MessagingRuntime);
    const collector = await collectMessages(testKafka(), [Topics.serviceHeartbeat.name], { fromBeginning: false });
    try {
      runtime.registerCheck('calcom.breaker', () => ({ ok: false, detail: 'open' }));
      const mine = () =>
        collector.messages
          .map((m) => JSON.parse(m.value!.toString()).data)
          .find((d) => d.instanceId === runtime.instanceId && d.checks['calcom.breaker']);
      const hb = await waitFor(mine, { timeoutMs: 25_000 });
      expect(hb.checks['calcom.breaker']).toEqual({ ok: false, detail: 'open' });
      expect(hb.ready).toBe(true);
      expect(runtime.status()['calcom.breaker']).toBeUndefined();
    } finally {
      await collector.stop();
    }
  });
});
