import { Body, Controller, Get, Post } from '@nestjs/common';
import { Public } from '@receptionist/service-runtime';
import { startGateway, TestGateway } from './gateway-app';

jest.setTimeout(90000);

@Public()
@Controller('api/v1/hardening-test')
class HardeningTestController {
  @Post('echo')
  echo(@Body() body: unknown) {
    return { received: body };
  }

  @Get('boom')
  boom() {
    throw new Error('connect ECONNREFUSED mysql://root:hunter2@10.0.0.7:3306');
  }
}

const ALLOWED = 'https://portal.example.com';
const noLeak = (text: string) => {
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(text).not.toMatch(/stack|hunter2|ECONNREFUSED|SyntaxError|Unexpected token/i);
};

describe('gateway hardening', () => {
  let gw: TestGateway;
  const post = (body: string, contentType = 'application/json') =>
    fetch(`${gw.url}/api/v1/hardening-test/echo`, { method: 'POST', headers: { 'content-type': contentType }, body });

  beforeAll(async () => {
    gw = await startGateway({ CORS_ORIGINS: `${ALLOWED}, https://admin.example.com` }, { controllers: [HardeningTestController] });
  });
  afterAll(async () => gw?.close());

  it('sends security headers with an API content security policy', async () => {
    const res = await fetch(`${gw.url}/api/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('allows CORS only for the configured origins', async () => {
    const allowed = await fetch(`${gw.url}/api/health`, { headers: { origin: ALLOWED } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(allowed.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
    const preflight = await fetch(`${gw.url}/api/v1/hardening-test/echo`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

    const refused = await fetch(`${gw.url}/api/health`, { headers: { origin: 'https://evil.example.net' } });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const refusedPreflight = await fetch(`${gw.url}/api/v1/hardening-test/echo`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(refusedPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('accepts a JSON object and answers 413 for a body over 1 MiB', async () => {
    const ok = await post(JSON.stringify({ hello: 'world' }));
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ received: { hello: 'world' } });

    const big = await post(JSON.stringify({ blob: 'x'.repeat(1024 * 1024 + 10) }));
    expect(big.status).toBe(413);
    const text = await big.text();
    noLeak(text);
    expect(JSON.parse(text)).toMatchObject({ statusCode: 413, error: 'Payload Too Large', message: 'Request body is too large' });
  });

  it('answers malformed or non-object JSON with a plain 400 and the trace id', async () => {
    const bad = await post('{"name": "x",');
    expect(bad.status).toBe(400);
    const text = await bad.text();
    noLeak(text);
    const body = JSON.parse(text);
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: 'Malformed JSON body' });
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(bad.headers.get('x-trace-id')).toBe(body.traceId);

    for (const payload of ['[1,2]', '"text"', '42', 'null']) {
      const res = await post(payload);
      expect([payload, res.status]).toEqual([payload, 400]);
      expect(((await res.json()) as any).message).toBe('JSON body must be an object');
    }
    expect((await post('{"__proto__": {"admin": true}}')).status).toBe(400);
  });

  it('refuses ambiguous content types with 415', async () => {
    for (const contentType of ['application/json, text/plain', 'text/plain; application/json', 'application/json; charset=utf-16', 'application/json; charset=utf-8; charset=latin1']) {
      const res = await post('{"a":1}', contentType);
      expect([contentType, res.status]).toEqual([contentType, 415]);
      noLeak(await res.text());
    }
    expect((await post('{"a":1}', 'application/json; charset=UTF-8')).status).toBe(201);
  });

  it('hides internal errors behind a generic 500 with the trace id; 404s have the same shape', async () => {
    const res = await fetch(`${gw.url}/api/v1/hardening-test/boom`, {
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    expect(res.status).toBe(500);
    const text = await res.text();
    noLeak(text);
    // an RFC 9457 problem, with the classic fields beside its members
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(text)).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Internal server error',
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
    expect(res.headers.get('x-trace-id')).toBe('0af7651916cd43dd8448eb211c80319c');

    const missing = await fetch(`${gw.url}/api/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });
});
