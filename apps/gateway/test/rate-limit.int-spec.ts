import { Controller, Get, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Public } from '@receptionist/service-runtime';
import { registry } from '@receptionist/observability';
import { uniqueName } from '@receptionist/testing';
import { RateLimit } from '../src/rate-limit';
import { createGatewayDatabase, freePort, startGateway, TestGateway } from './gateway-app';

jest.setTimeout(120000);

@Public()
@Controller('api/v1/rl-test')
class RateLimitTestController {
  @Get('general')
  general() {
    return { ok: true };
  }

  @RateLimit('sensitive')
  @Post('login')
  login() {
    return { ok: true };
  }
}

/** Stands in for the auth guard: `x-test-company` becomes request.principal (the guard reads nothing else). */
async function fakePrincipal(app: NestFastifyApplication) {
  app.getHttpAdapter().getInstance().addHook('onRequest', async (request) => {
    const companyId = request.headers['x-test-company'];
    if (typeof companyId === 'string') {
      (request as any).principal = { kind: 'token', companyId, userId: `u-${companyId}`, role: 'company_admin', abilities: [] };
    }
  });
}

const WINDOW_MS = 2000;

describe('gateway rate limits (Redis, two instances)', () => {
  let db: { database: string; drop: () => Promise<void> };
  let a: TestGateway;
  let b: TestGateway;
  const env = {
    RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
    RATE_LIMIT_GENERAL: '5',
    RATE_LIMIT_SENSITIVE: '3',
    RATE_LIMIT_KEY_PREFIX: uniqueName('rltest'),
  };
  const get = (gw: TestGateway, company?: string) =>
    fetch(`${gw.url}/api/v1/rl-test/general`, { headers: company ? { 'x-test-company': company } : {} });

  beforeAll(async () => {
    db = await createGatewayDatabase();
    const opts = { database: db.database, controllers: [RateLimitTestController], configure: fakePrincipal };
    a = await startGateway(env, opts);
    b = await startGateway(env, opts);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('holds one limit across both instances, with decreasing headers, then 429 with Retry-After and body', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await get(i % 2 === 0 ? a : b, 'company-1');
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBe('5');
      expect(res.headers.get('ratelimit-policy')).toBe('5;w=2');
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
      remaining.push(res.headers.get('ratelimit-remaining')!);
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);

    for (const gw of [a, b]) {
      const res = await get(gw, 'company-1');
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(2);
      expect(res.headers.get('ratelimit-remaining')).toBe('0');
      const body: any = await res.json();
      expect(body).toMatchObject({
        statusCode: 429,
        error: 'Too Many Requests',
        message: `Rate limit of 5 requests per 2 seconds exceeded; retry in ${retryAfter} seconds`,
        retryAfterSeconds: retryAfter,
      });
      expect(typeof body.traceId).toBe('string');
    }

    // another company and an anonymous caller (keyed by IP) have their own windows
    const other = await get(b, 'company-2');
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit-remaining')).toBe('4');
    expect((await get(a)).headers.get('ratelimit-remaining')).toBe('4');

    expect(await registry.metrics()).toMatch(/gateway_rate_limited_requests_total\{[^}]*category="general"[^}]*\} 2/);
  });

  it('allows again once the window has moved on', async () => {
    for (let i = 0; i < 5; i++) expect((await get(a, 'company-3')).status).toBe(200);
    const limited = await get(b, 'company-3');
    expect(limited.status).toBe(429);
    await new Promise((r) => setTimeout(r, Number(limited.headers.get('retry-after')) * 1000 + 50));
    const again = await get(b, 'company-3');
    expect(again.status).toBe(200);
  });

  it('never overshoots under concurrent requests on both instances', async () => {
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => get(i % 2 ? a : b, 'company-4')));
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(11);
  });

  it('limits sensitive routes by client IP and by account; routes outside /api/v1 are not limited', async () => {
    const login = (gw: TestGateway, email: string) =>
      fetch(`${gw.url}/api/v1/rl-test/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
    expect((await login(a, 'x@example.com')).status).toBe(201);
    expect((await login(b, 'y@example.com')).status).toBe(201);
    const third = await login(a, 'z@example.com');
    expect(third.status).toBe(201);
    expect(third.headers.get('ratelimit-remaining')).toBe('0');
    const fourth = await login(b, 'w@example.com');
    expect(fourth.status).toBe(429);
    expect(((await fourth.json()) as any).message).toMatch(/^Rate limit of 3 requests per 2 seconds exceeded; retry in \d seconds$/);

    const health = await fetch(`${a.url}/api/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('ratelimit-limit')).toBeNull();
  });

  it('fails open for general and closed (503) for sensitive when Redis is unreachable', async () => {
    const down = await startGateway(
      { ...env, REDIS_PORT: String(await freePort()) },
      { database: db.database, controllers: [RateLimitTestController], configure: fakePrincipal },
    );
    try {
      const general = await get(down, 'company-5');
      expect(general.status).toBe(200);
      expect(general.headers.get('ratelimit-limit')).toBeNull();

      const login = await fetch(`${down.url}/api/v1/rl-test/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'x@example.com' }),
      });
      expect(login.status).toBe(503);
      expect(login.headers.get('retry-after')).toBe('5');
      expect(await login.json()).toMatchObject({ statusCode: 503, error: 'Service Unavailable', retryAfterSeconds: 5 });

      const metrics = await registry.metrics();
      expect(metrics).toMatch(/gateway_rate_limit_backend_errors_total\{[^}]*category="general"[^}]*outcome="allowed"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/gateway_rate_limit_backend_errors_total\{[^}]*category="sensitive"[^}]*outcome="rejected"[^}]*\} [1-9]/);
    } finally {
      await down.close();
    }
  });
});
