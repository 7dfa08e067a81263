import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { SIMULATORS, startSimulators, stopSimulators } from './registry';
import type { RatesState } from './providers/rates';
import type { TranslateState } from './providers/translate';
import { REQUEST_LOG_SIZE, RunningSimulator } from './simulator';

const ROOT = path.resolve(__dirname, '../../..');

let sims: RunningSimulator[] = [];
const sim = (name: string) => {
  const found = sims.find((s) => s.name === name);
  if (!found) throw new Error(`simulator ${name} not running`);
  return found;
};
const url = (name: string, p: string) => `${sim(name).url}${p}`;

async function getJson(target: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(target, init);
  const text = await res.text();
  let body: any = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text; // Slack answers errors as bare strings
  }
  return { status: res.status, body };
}
const postJson = (target: string, body: unknown, headers: Record<string, string> = {}) =>
  getJson(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  // Port 0: each simulator on a free port, so the test never collides with a running local stack.
  sims = await startSimulators(SIMULATORS, { port: () => 0 });
});
afterAll(() => stopSimulators(sims));
beforeEach(() => sims.forEach((s) => s.reset()));

describe('shared controls', () => {
  it('every simulator answers its health check', async () => {
    expect(sims.map((s) => s.name)).toEqual(['calcom', 'retell', 'stripe', 'twilio', 'samedi', 'rates', 'translate', 'slack', 's3', 'smtp']);
    for (const s of sims) {
      const { status, body } = await getJson(`${s.url}/__sim/health`);
      expect(status).toBe(200);
      expect(body).toEqual({ status: 'ok', simulator: s.name, fault: 'normal' });
    }
  });

  it('answers unknown routes with 404 in each provider’s error shape', async () => {
    const expectations: Record<string, (body: any) => void> = {
      calcom: (b) =>
        expect(b).toMatchObject({ status: 'error', path: '/v2/nope', error: { code: 'NotFoundException', message: 'Cannot GET /v2/nope' } }),
      retell: (b) => expect(b).toEqual({ status: 'error', message: 'Cannot GET /v2/nope' }),
      stripe: (b) =>
        expect(b.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('Unrecognized request URL (GET: /v2/nope)') }),
      twilio: (b) =>
        expect(b).toEqual({
          code: 20404,
          message: 'The requested resource /v2/nope was not found',
          more_info: 'https://www.twilio.com/docs/errors/20404',
          status: 404,
        }),
      samedi: (b) => expect(b).toEqual({ error: 'Not found' }),
      rates: (b) => expect(b).toEqual({ message: 'not found' }),
      translate: (b) => expect(b).toEqual({ error: 'Cannot GET /v2/nope' }),
      slack: (b) => expect(b).toBe('no_service'),
      s3: (b) => expect(b).toMatch(/<Error><Code>NoSuchBucket<\/Code>/), // path-style: "v2" is read as a bucket
      smtp: (b) => expect(b).toEqual({ error: 'Cannot GET /v2/nope' }),
    };
    for (const s of sims) {
      const { status, body } = await getJson(`${s.url}/v2/nope`);
      expect(status).toBe(404);
      expectations[s.name](body);
    }
  });

  it('fault injection: down answers 503 (health stays up), normal restores service', async () => {
    const rates = url('rates', '/latest?symbols=USD');
    expect((await fetch(rates)).status).toBe(200);

    expect(await postJson(url('rates', '/__sim/faults'), { mode: 'down' })).toEqual({ status: 200, body: { mode: 'down', delayMs: 0 } });
    const down = await getJson(rates);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ message: expect.any(String) });
    expect((await getJson(url('rates', '/__sim/health'))).body).toMatchObject({ status: 'ok', fault: 'down' });
    // Unknown routes are down too: the whole provider is unreachable.
    expect((await fetch(url('rates', '/whatever'))).status).toBe(503);
    // Other simulators are unaffected.
    expect((await fetch(url('translate', '/languages'))).status).toBe(200);

    await postJson(url('rates', '/__sim/faults'), { mode: 'normal' });
    expect((await fetch(rates)).status).toBe(200);
  });

  it('fault injection: down uses the provider’s error shape', async () => {
    await postJson(url('stripe', '/__sim/faults'), { mode: 'down' });
    const { status, body } = await getJson(url('stripe', '/v1/customers'));
    expect(status).toBe(503);
    expect(body.error.type).toBe('api_error');
  });

  it('fault injection: slow delays provider requests but not the controls', async () => {
    expect((await postJson(url('translate', '/__sim/faults'), { mode: 'slow', delayMs: 400 })).body).toEqual({ mode: 'slow', delayMs: 400 });
    let t0 = Date.now();
    expect((await fetch(url('translate', '/languages'))).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    t0 = Date.now();
    expect((await fetch(url('translate', '/__sim/health'))).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(300);
  });

  it('rejects a malformed fault setting', async () => {
    expect((await postJson(url('rates', '/__sim/faults'), { mode: 'broken' })).status).toBe(400);
    expect((await postJson(url('rates', '/__sim/faults'), { mode: 'slow', delayMs: -1 })).status).toBe(400);
    expect((await getJson(url('rates', '/__sim/faults'))).body).toEqual({ mode: 'normal', delayMs: 0 });
  });

  it('logs provider requests with Authorization redacted, and not the control calls', async () => {
    await postJson(url('calcom', '/v2/bookings?x=1'), { start: '2050-09-05T09:00:00Z' }, {
      authorization: 'Bearer cal_live_secret',
      'cal-api-version': '2024-08-13',
    });
    await fetch(url('twilio', '/2010-04-01/Accounts/AC123/Messages.json'), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('AC123:token').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ To: '+4915112345678', From: '+4930123456', Body: 'Hallo' }),
    });
    await fetch(url('calcom', '/__sim/health'));

    const { body } = await getJson(url('calcom', '/__sim/requests'));
    expect(body.simulator).toBe('calcom');
    expect(body.requests).toHaveLength(1);
    const [entry] = body.requests;
    expect(entry).toMatchObject({
      method: 'POST',
      path: '/v2/bookings',
      query: { x: '1' },
      body: { start: '2050-09-05T09:00:00Z' },
      statusCode: 400,
    });
    expect(entry.headers.authorization).toBe('Bearer [redacted]');
    expect(entry.headers['cal-api-version']).toBe('2024-08-13');
    expect(JSON.stringify(body)).not.toContain('cal_live_secret');

    const twilio = (await getJson(url('twilio', '/__sim/requests'))).body.requests;
    expect(twilio[0].headers.authorization).toBe('Basic [redacted]');
    expect(twilio[0].body).toEqual({ To: '+4915112345678', From: '+4930123456', Body: 'Hallo' });
  });

  it('keeps only the last 200 requests', async () => {
    for (let i = 0; i < REQUEST_LOG_SIZE + 5; i++) await fetch(url('samedi', `/r/${i}`));
    const { requests } = (await getJson(url('samedi', '/__sim/requests'))).body;
    expect(requests).toHaveLength(REQUEST_LOG_SIZE);
    expect(requests[0].path).toBe('/r/5');
    expect(requests[REQUEST_LOG_SIZE - 1].path).toBe(`/r/${REQUEST_LOG_SIZE + 4}`);
  });

  it('reset clears the request log, the faults and the provider state', async () => {
    const rates = sim('rates') as RunningSimulator<RatesState>;
    rates.state.rates.USD = 2;
    await fetch(url('rates', '/latest'));
    await postJson(url('rates', '/__sim/faults'), { mode: 'down' });

    expect(await postJson(url('rates', '/__sim/reset'), {})).toEqual({ status: 200, body: { status: 'reset', simulator: 'rates' } });
    expect((await getJson(url('rates', '/__sim/requests'))).body.requests).toEqual([]);
    expect((await getJson(url('rates', '/__sim/faults'))).body).toEqual({ mode: 'normal', delayMs: 0 });
    expect((await getJson(url('rates', '/latest?symbols=USD'))).body.rates).toEqual({ USD: 1.085 });
  });
});

describe('exchange rates (Frankfurter API)', () => {
  it('GET /latest returns fixed EUR rates in Frankfurter’s shape', async () => {
    const { status, body } = await getJson(url('rates', '/latest?base=EUR&symbols=USD,GBP'));
    expect(status).toBe(200);
    expect(body).toEqual({ amount: 1, base: 'EUR', date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), rates: { GBP: 0.855, USD: 1.085 } });
    expect(Object.keys(body.rates)).toEqual(['GBP', 'USD']);
    expect([0, 6]).not.toContain(new Date(`${body.date}T00:00:00Z`).getUTCDay());
  });

  it('serves the /v1 path of api.frankfurter.dev too', async () => {
    const root = await getJson(url('rates', '/latest?base=EUR&symbols=USD,GBP'));
    const v1 = await getJson(url('rates', '/v1/latest?base=EUR&symbols=USD,GBP'));
    expect(v1).toEqual(root);
  });

  it('computes cross rates and amounts, and lists currencies', async () => {
    const usd = (await getJson(url('rates', '/latest?base=USD&symbols=EUR,GBP'))).body;
    expect(usd.base).toBe('USD');
    expect(usd.rates).toEqual({ EUR: Math.round(1e5 / 1.085) / 1e5, GBP: Math.round((0.855 / 1.085) * 1e5) / 1e5 });
    const ten = (await getJson(url('rates', '/latest?symbols=USD&amount=10'))).body;
    expect(ten).toMatchObject({ amount: 10, base: 'EUR', rates: { USD: 10.85 } });
    const all = (await getJson(url('rates', '/latest'))).body;
    expect(all.rates).not.toHaveProperty('EUR');
    expect(all.rates).toMatchObject({ USD: 1.085, GBP: 0.855 });
    expect((await getJson(url('rates', '/currencies'))).body).toMatchObject({ EUR: 'Euro', USD: 'United States Dollar' });
  });

  it('answers an unknown currency with 404 { message: "not found" }', async () => {
    expect(await getJson(url('rates', '/latest?base=XXX'))).toEqual({ status: 404, body: { message: 'not found' } });
    expect(await getJson(url('rates', '/latest?symbols=USD,ZZZ'))).toEqual({ status: 404, body: { message: 'not found' } });
  });
});

describe('translation (LibreTranslate API)', () => {
  it('POST /translate returns a deterministic translation', async () => {
    const { status, body } = await postJson(url('translate', '/translate'), { q: 'Ihr Termin ist morgen', source: 'de', target: 'en', format: 'text' });
    expect(status).toBe(200);
    expect(body).toEqual({ translatedText: '[en] Ihr Termin ist morgen' });
    expect((sim('translate') as RunningSimulator<TranslateState>).state.translatedTexts).toBe(1);
  });

  it('accepts form bodies, arrays of texts and source "auto"', async () => {
    const form = await fetch(url('translate', '/translate'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ q: 'Hello', source: 'en', target: 'de' }),
    });
    expect(await form.json()).toEqual({ translatedText: '[de] Hello' });

    const many = await postJson(url('translate', '/translate'), { q: ['Guten Tag', 'See you'], source: 'auto', target: 'fr' });
    expect(many.body).toEqual({
      translatedText: ['[fr] Guten Tag', '[fr] See you'],
      detectedLanguage: [
        { confidence: 90, language: 'de' },
        { confidence: 90, language: 'en' },
      ],
    });
    const same = await postJson(url('translate', '/translate'), { q: 'Hallo', source: 'de', target: 'de' });
    expect(same.body).toEqual({ translatedText: 'Hallo' });
  });

  it('rejects missing parameters and unsupported languages with 400 { error }', async () => {
    expect(await postJson(url('translate', '/translate'), { source: 'de', target: 'en' })).toEqual({
      status: 400,
      body: { error: 'Invalid request: missing q parameter' },
    });
    expect(await postJson(url('translate', '/translate'), { q: 'x', source: 'de', target: 'xx' })).toEqual({
      status: 400,
      body: { error: 'xx is not supported' },
    });
  });

  it('lists languages', async () => {
    const { body } = await getJson(url('translate', '/languages'));
    expect(body).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'de', name: 'German' })]));
  });
});

describe('main.ts (the one-process runner)', () => {
  const runMain = (env: Record<string, string>): ChildProcess =>
    spawn(process.execPath, ['-r', '@swc-node/register', 'apps/simulators/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exitCode = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  it('starts the selected simulators, prints their URLs and exits 0 on SIGTERM', async () => {
    const child = runMain({ SIMULATORS: 'rates,translate', SIM_RATES_PORT: '0', SIM_TRANSLATE_PORT: '0' });
    const exited = exitCode(child);
    let out = '';
    const urls = await new Promise<Record<string, string>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URLs printed: ${out}`)), 20000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = Object.fromEntries([...out.matchAll(/^\[simulators\] (\S+)\s+(http:\S+)$/gm)].map((m) => [m[1], m[2]]));
        if (Object.keys(found).length === 2) {
          clearTimeout(timer);
          resolve(found);
        }
      });
    });
    expect(Object.keys(urls).sort()).toEqual(['rates', 'translate']);
    expect((await getJson(`${urls.rates}/__sim/health`)).body).toMatchObject({ simulator: 'rates' });
    expect((await getJson(`${urls.translate}/__sim/health`)).body).toMatchObject({ simulator: 'translate' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30000);

  it('refuses an unknown simulator name, naming it', async () => {
    const child = runMain({ SIMULATORS: 'rates,nosuch' });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    expect(await exitCode(child)).toBe(1);
    expect(err).toContain('nosuch');
  }, 30000);
});
