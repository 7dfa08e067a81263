import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ratesSimulator, RatesState, RunningSimulator, startSimulator } from '@receptionist/simulators';
import { MessagingRuntime } from '@receptionist/service-runtime';
import { testInfra, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
// Billing owns the rates and the books: the real one answers over billing.request, scoped by company.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling, TestPublisher } from '../../billing/test/billing-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { exchangeRatesKeys } from '../../billing/src/rates/exchange-rates.service';

jest.setTimeout(120_000);

const ADMIN = { email: 'root@exchange-rates.test', password: 'correct horse battery staple' };
const RETRY_AFTER_MS = 1500;

let gw: TestGateway;
let rates: RunningSimulator<RatesState>;
let redis: Redis;
let keys: ReturnType<typeof exchangeRatesKeys>;
/** Two billing instances on one Redis: the first answers for company A (EUR), the second for B (USD). */
let billingA: TestBilling;
let billingB: TestBilling;
let publisher: TestPublisher;
const tenants: Record<'A' | 'B', { companyId: string; admin: string }> = {} as never;

const get = (path: string, token: string) => gw.call('GET', path, { token });
const base = (key: 'A' | 'B') => `/api/v1/companies/${tenants[key].companyId}/billing`;
const fetchesOfRates = () => rates.requests().filter((r) => r.path.endsWith('/latest')).length;
/** Lets the shared "source failed lately" pause (EXCHANGE_RATES_RETRY_AFTER_MS) run out. */
const afterRetryPause = () => new Promise((r) => setTimeout(r, RETRY_AFTER_MS + 100));
type Entry = { seq: number; amount: number; balanceAfter: number; currency: string; reference: string; display?: { currency: string; amount: number; balanceAfter: number } };
const withoutDisplay = (entries: Entry[]) => entries.map(({ display: _d, ...e }) => e);

beforeAll(async () => {
  gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, RATE_LIMIT_GENERAL: '10000' });
  rates = await startSimulator(ratesSimulator, { port: 0 });
  rates.state.date = '2026-11-24';
  const sourceUrl = `${rates.url}/v1`;
  // The cache is keyed by source URL; a port reused from an earlier run must not leave its rates behind.
  redis = new Redis({ host: testInfra.redis.host, port: testInfra.redis.port, lazyConnect: true });
  await redis.connect();
  keys = exchangeRatesKeys(sourceUrl);
  await redis.del(keys.current, keys.lastGood, keys.retryAt);

  const platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token as string;
  for (const key of ['A', 'B'] as const) {
    const company = await gw.call('POST', '/api/v1/companies', { token: platform, body: { name: `Rates ${key}`, timeZone: 'Europe/Berlin' } });
    expect(company.status).toBe(201);
    const companyId = company.body.id as string;
    const email = `admin@rates-${key.toLowerCase()}-${randomBytes(3).toString('hex')}.test`;
    const user = await gw.call('POST', `/api/v1/companies/${companyId}/users`, { token: platform, body: { email, name: `${key} admin`, password: `${key} admin password`, role: 'company_admin' } });
    expect(user.status).toBe(201);
    tenants[key] = { companyId, admin: (await gw.call('POST', '/api/v1/auth/login', { body: { email, password: `${key} admin password` } })).body.token };
  }
  const ratesEnv = { EXCHANGE_RATES_URL: sourceUrl, EXCHANGE_RATES_RETRY_AFTER_MS: String(RETRY_AFTER_MS), EXCHANGE_RATES_TIMEOUT_MS: '400' };
  billingA = await startBilling(ratesEnv, { companies: [tenants.A.companyId] });
  billingB = await startBilling(ratesEnv, { companies: [tenants.B.companyId] });
  publisher = await new TestPublisher().start();
  await publisher.billingSetup(tenants.A.companyId, { perMinuteMinor: 12, lowBalanceThresholdMinor: 500 }, 'EUR');
  await publisher.billingSetup(tenants.B.companyId, { perMinuteMinor: 12, lowBalanceThresholdMinor: 500 }, 'USD');
  for (const key of ['A', 'B'] as const) {
    await waitFor(async () => (await get(`${base(key)}/prices`, tenants[key].admin)).status === 200, { message: `billing set up for ${key}`, timeoutMs: 30_000 });
  }
  // One call each: A is debited 157 s × 0.12 €/min = 31 ct, B 60 s × $0.12/min = 12 ¢.
  await publisher.publish(publisher.callCompleted(tenants.A.companyId, `call_${randomBytes(6).toString('hex')}`, 157));
  await publisher.publish(publisher.callCompleted(tenants.B.companyId, `call_${randomBytes(6).toString('hex')}`, 60));
  for (const key of ['A', 'B'] as const) {
    await waitFor(async () => (await get(`${base(key)}/ledger`, tenants[key].admin)).body.data?.length === 1, { message: `debit for ${key}`, timeoutMs: 30_000 });
  }
});

afterAll(async () => {
  if (keys) await redis?.del(keys.current, keys.lastGood, keys.retryAt);
  redis?.disconnect();
  await publisher?.stop();
  await billingA?.close();
  await billingB?.close();
  await rates?.close();
  await gw?.close();
});

describe('exchange rates (gateway → billing → Frankfurter-shaped source, cached in Redis)', () => {
  let ledgerBefore: Entry[];
  // A failed step must not leave the source down or slow for the next one.
  afterEach(() => void rates.setFault({ mode: 'normal' }));

  it('answers 503 "exchange rates unavailable" while the source is down and there never were rates; amounts in the account currency still work', async () => {
    ledgerBefore = (await get(`${base('A')}/ledger`, tenants.A.admin)).body.data;
    rates.setFault({ mode: 'down' });
    const res = await get(`${base('A')}/exchange-rates`, tenants.A.admin);
    expect([res.status, res.body.message]).toEqual([503, expect.stringMatching(/exchange rates unavailable/)]);
    expect((await get(`${base('A')}/balance?currency=USD`, tenants.A.admin)).status).toBe(503);
    expect((await get(`${base('A')}/balance`, tenants.A.admin)).body).toMatchObject({ currency: 'EUR', balance: -31 });
    // Asking for the account's own currency needs no rates.
    const own = await get(`${base('A')}/balance?currency=EUR`, tenants.A.admin);
    expect([own.status, own.body.display]).toEqual([200, expect.objectContaining({ currency: 'EUR', balance: -31, exchangeRate: expect.objectContaining({ rate: 1, stale: false }) })]);
    rates.setFault({ mode: 'normal' });
  });

  it("shows the ECB rates and converts the balance, prices and ledger at exactly the source's rate", async () => {
    await afterRetryPause();
    const shown = await get(`${base('A')}/exchange-rates`, tenants.A.admin);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ base: 'EUR', date: '2026-11-24', rates: { EUR: 1, USD: rates.state.rates.USD, GBP: rates.state.rates.GBP }, stale: false });
    expect(rates.state.rates).toMatchObject({ USD: 1.085, GBP: 0.855 }); // the figures below are computed from these

    const balance = await get(`${base('A')}/balance?currency=USD`, tenants.A.admin);
    expect(balance.status).toBe(200);
    expect(balance.body).toMatchObject({
      currency: 'EUR',
      balance: -31,
      lowBalanceThreshold: 500,
      // −31 × 1.085 = −33.635 → −34; 500 × 1.085 = 542.5, a tie → 543 (half away from zero)
      display: { currency: 'USD', balance: -34, bonus: 0, paid: -34, lowBalanceThreshold: 543, exchangeRate: { from: 'EUR', to: 'USD', rate: 1.085, date: '2026-11-24', stale: false } },
    });

    const prices = await get(`${base('A')}/prices?currency=GBP`, tenants.A.admin);
    // 12 × 0.855 = 10.26 → 10; 5000 × 0.855 = 4275
    expect(prices.body).toMatchObject({ currency: 'EUR', perMinuteMinor: 12, display: { currency: 'GBP', perMinuteMinor: 10, topUpMinor: 4275, exchangeRate: { rate: 0.855, stale: false } } });

    const ledger = await get(`${base('A')}/ledger?currency=USD`, tenants.A.admin);
    expect(ledger.body.data).toEqual([expect.objectContaining({ amount: -31, currency: 'EUR', display: { currency: 'USD', amount: -34, balanceAfter: -34 } })]);
    expect(ledger.body.exchangeRate).toEqual({ from: 'EUR', to: 'USD', rate: 1.085, date: '2026-11-24', stale: false });

    // Same currency: the identity, still with the rate's date.
    expect((await get(`${base('A')}/balance?currency=EUR`, tenants.A.admin)).body.display).toMatchObject({ balance: -31, exchangeRate: { rate: 1 } });
  });

  it('lets a second billing instance use the rates cached in Redis without asking the source; cross rates go through EUR', async () => {
    const fetches = fetchesOfRates();
    const balance = await get(`${base('B')}/balance?currency=GBP`, tenants.B.admin);
    expect(balance.status).toBe(200);
    expect(balance.body).toMatchObject({
      currency: 'USD',
      balance: -12,
      // −12 × 0.855 / 1.085 = −9.456… → −9; 500 × 0.855 / 1.085 = 394.009… → 394
      display: { currency: 'GBP', balance: -9, lowBalanceThreshold: 394, exchangeRate: { from: 'USD', to: 'GBP', rate: 0.7880184332, date: '2026-11-24', stale: false } },
    });
    // 500 / 1.085 = 460.829… → 461
    expect((await get(`${base('B')}/balance?currency=EUR`, tenants.B.admin)).body.display).toMatchObject({ lowBalanceThreshold: 461, exchangeRate: { rate: 0.9216589862 } });
    expect(fetchesOfRates()).toBe(fetches);
  });

  it('serves the last good rates flagged stale while the source is down, and fresh ones once it is back', async () => {
    rates.setFault({ mode: 'down' });
    rates.state.rates.USD = 1.2; // published meanwhile; unseen while the source is down
    await redis.del(keys.current); // the refresh period has run out
    const down = await get(`${base('A')}/exchange-rates`, tenants.A.admin);
    expect(down.body).toMatchObject({ date: '2026-11-24', rates: { USD: 1.085 }, stale: true });
    expect((await get(`${base('A')}/balance?currency=USD`, tenants.A.admin)).body.display).toMatchObject({ balance: -34, exchangeRate: { rate: 1.085, date: '2026-11-24', stale: true } });
    // The other instance sees the same shared state: stale, without asking the source again within the pause.
    const fetches = fetchesOfRates();
    expect((await get(`${base('B')}/exchange-rates`, tenants.B.admin)).body).toMatchObject({ stale: true, rates: { USD: 1.085 } });
    expect(fetchesOfRates()).toBe(fetches);
    // Each instance's heartbeat says so (informational; an outside source down is no reason to restart billing).
    expect(billingB.app.get(MessagingRuntime).contributedChecks().exchange_rates).toEqual({ ok: false, detail: 'stale rates of 2026-11-24' });
    const metrics = await fetch(`${billingA.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^billing_exchange_rates_stale(\{[^}]*\})? 1$/m);
    expect(metrics).toMatch(/^exchange_rates_request_errors_total\{[^}]*reason="server_error"[^}]*\} [1-9]/m);

    rates.setFault({ mode: 'normal' });
    rates.state.date = '2026-11-25';
    await afterRetryPause();
    const back = await get(`${base('A')}/exchange-rates`, tenants.A.admin);
    expect(back.body).toMatchObject({ date: '2026-11-25', rates: { USD: 1.2 }, stale: false });
    // −31 × 1.2 = −37.2 → −37
    expect((await get(`${base('A')}/balance?currency=USD`, tenants.A.admin)).body.display).toMatchObject({ balance: -37, exchangeRate: { rate: 1.2, date: '2026-11-25', stale: false } });
    expect(await fetch(`${billingA.url}/metrics`).then((r) => r.text())).toMatch(/^billing_exchange_rates_stale(\{[^}]*\})? 0$/m);
    expect(billingA.app.get(MessagingRuntime).contributedChecks().exchange_rates).toEqual({ ok: true, detail: 'current rates of 2026-11-25' });
  });

  it('treats a garbage answer (a zero rate) like an outage: the last good rates, flagged stale', async () => {
    await afterRetryPause();
    rates.state.rates.GBP = 0;
    await redis.del(keys.current);
    const res = await get(`${base('A')}/exchange-rates`, tenants.A.admin);
    expect(res.body).toMatchObject({ date: '2026-11-25', rates: { USD: 1.2, GBP: 0.855 }, stale: true });
    expect(await fetch(`${billingA.url}/metrics`).then((r) => r.text())).toMatch(/^exchange_rates_request_errors_total\{[^}]*reason="garbage"[^}]*\} [1-9]/m);
    rates.state.rates.GBP = 0.855;
  });

  it('gives up on a source slower than EXCHANGE_RATES_TIMEOUT_MS and serves the last good rates, flagged stale', async () => {
    await afterRetryPause();
    rates.setFault({ mode: 'slow', delayMs: 3000 });
    await redis.del(keys.current);
    const res = await get(`${base('A')}/exchange-rates`, tenants.A.admin);
    expect(res.body).toMatchObject({ date: '2026-11-25', rates: { USD: 1.2 }, stale: true });
    expect(await fetch(`${billingA.url}/metrics`).then((r) => r.text())).toMatch(/^exchange_rates_request_errors_total\{[^}]*reason="timeout"[^}]*\} [1-9]/m);
    rates.setFault({ mode: 'normal' });
  });

  it('refuses an unsupported currency with 400 naming `currency`, and answers 404 to another company', async () => {
    for (const path of ['balance?currency=CHF', 'prices?currency=JPY', 'ledger?currency=usd', 'ledger?limit=5&currency=', 'balance?currency=USD&currency=GBP']) {
      const res = await get(`${base('A')}/${path}`, tenants.A.admin);
      expect([path, res.status, res.body.field]).toEqual([path, 400, 'currency']);
    }
    for (const path of ['exchange-rates', 'balance?currency=USD', 'prices?currency=GBP', 'ledger?currency=USD']) {
      expect([path, (await get(`${base('B')}/${path}`, tenants.A.admin)).status]).toEqual([path, 404]);
    }
  });

  it('never changes what was charged: the ledger is untouched and a new call costs the same at any rate', async () => {
    expect(withoutDisplay((await get(`${base('A')}/ledger`, tenants.A.admin)).body.data)).toEqual(ledgerBefore);
    await afterRetryPause();
    rates.state.rates.USD = 2.5;
    await redis.del(keys.current);
    await get(`${base('A')}/exchange-rates`, tenants.A.admin);
    await publisher.publish(publisher.callCompleted(tenants.A.companyId, `call_${randomBytes(6).toString('hex')}`, 157));
    const entries: Entry[] = await waitFor(async () => {
      const res = await get(`${base('A')}/ledger?currency=USD`, tenants.A.admin);
      return res.body.data?.length === 2 ? res.body.data : null;
    }, { message: 'second debit', timeoutMs: 30_000 });
    // Both debits in EUR, 31 ct each; only the display moved with the rate (−31 × 2.5 = −77.5 → −78).
    expect(withoutDisplay(entries)).toEqual([expect.objectContaining({ amount: -31, currency: 'EUR', balanceAfter: -62 }), ...ledgerBefore]);
    expect(entries.map((e) => e.display)).toEqual([
      { currency: 'USD', amount: -78, balanceAfter: -155 },
      { currency: 'USD', amount: -78, balanceAfter: -78 },
    ]);
    expect((await get(`${base('A')}/balance`, tenants.A.admin)).body).toMatchObject({ currency: 'EUR', balance: -62 });
  });
});
