import { randomBytes } from 'node:crypto';
import { startSimulator, RunningSimulator, stripeSimulator, StripeState } from '@receptionist/simulators';
import { waitFor } from '@receptionist/testing';
import { createTestTenant, startGateway, TestGateway } from './gateway-app';
// Billing owns the data behind /billing: the real one answers over billing.request, scoped by company.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling, TestPublisher } from '../../billing/test/billing-app';

jest.setTimeout(120_000);

const ADMIN = { email: 'root@billing-api.test', password: 'correct horse battery staple' };
const WEBHOOK_SECRET = 'whsec_billing_api_test';

let gw: TestGateway;
let billing: TestBilling;
let stripe: RunningSimulator<StripeState>;
let publisher: TestPublisher;
let platform: string;
const tenants: Record<'A' | 'B', { companyId: string; admin: string; staff: string }> = {} as never;

const call = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => gw.call(method, path, { token, body, headers });
const base = (key: 'A' | 'B') => `/api/v1/companies/${tenants[key].companyId}/billing`;

beforeAll(async () => {
  // Limits high enough for polling (rate limiting has tests of its own).
  gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, RATE_LIMIT_GENERAL: '10000', RATE_LIMIT_SENSITIVE: '1000' });
  // Stripe's webhooks go to the gateway's edge, exactly as in production.
  process.env.SIM_STRIPE_WEBHOOK_URL = `${gw.url}/api/webhooks/stripe`;
  process.env.SIM_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  stripe = await startSimulator(stripeSimulator, { port: 0 });
  delete process.env.SIM_STRIPE_WEBHOOK_URL;
  delete process.env.SIM_STRIPE_WEBHOOK_SECRET;
  platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
  for (const key of ['A', 'B'] as const) tenants[key] = await createTestTenant(gw, platform, `Billing ${key}`);
  billing = await startBilling({ STRIPE_API_BASE: stripe.url, STRIPE_SECRET: 'sk_test_billing_api' }, { companies: [tenants.A.companyId, tenants.B.companyId] });
  publisher = await new TestPublisher().start();
  // What onboarding sends billing for each company (its plan): 0.12 €/min, per second.
  for (const key of ['A', 'B'] as const) await publisher.billingSetup(tenants[key].companyId, { perMinuteMinor: 12, lowBalanceThresholdMinor: 500 });
  await waitFor(async () => (await call('GET', `${base('B')}/prices`, tenants.B.admin)).status === 200, { message: 'billing set up', timeoutMs: 30_000 });
});

afterAll(async () => {
  await publisher?.stop();
  await billing?.close();
  await stripe?.close();
  await gw?.close();
});

describe('billing admin API (gateway → billing.request → billing)', () => {
  const callIds: string[] = [];

  it('shows each call debited in the ledger (with its call id), pages it, and sums it into the balance', async () => {
    const companyId = tenants.A.companyId;
    for (const seconds of [157, 60, 30]) {
      const callId = `call_${randomBytes(6).toString('hex')}`;
      callIds.push(callId);
      await publisher.publish(publisher.callCompleted(companyId, callId, seconds));
    }
    const ledger = await waitFor(async () => {
      const res = await call('GET', `${base('A')}/ledger`, tenants.A.admin);
      return res.status === 200 && res.body.data.length === 3 ? res.body : null;
    }, { message: 'three debits in the ledger', timeoutMs: 30_000 });
    const entry = ledger.data.find((e: unknown) => JSON.stringify(e).includes(callIds[0]));
    expect(entry).toMatchObject({ kind: 'usage', amount: -31, currency: 'EUR', reference: `call:${callIds[0]}:talk_time` });
    expect(ledger.next).toBeNull();
    // Newest first, two per page; `next` leads to the rest.
    const first = await call('GET', `${base('A')}/ledger?limit=2`, tenants.A.admin);
    expect(first.body.data.map((e: { seq: number }) => e.seq)).toEqual([3, 2]);
    expect(first.body.next).toBe(2);
    const second = await call('GET', `${base('A')}/ledger?limit=2&before=${first.body.next}`, tenants.A.admin);
    expect(second.body.data.map((e: { seq: number }) => e.seq)).toEqual([1]);
    expect((await call('GET', `${base('A')}/ledger?limit=500`, tenants.A.admin))).toMatchObject({ status: 400, body: { field: 'limit' } });

    const balance = await call('GET', `${base('A')}/balance`, tenants.A.admin);
    expect(balance.status).toBe(200);
    expect(balance.body).toMatchObject({ currency: 'EUR', balance: -(31 + 12 + 6), bonus: 0, state: 'exhausted', lowBalanceThreshold: 500 });
    const prices = await call('GET', `${base('A')}/prices`, tenants.A.admin);
    expect(prices.body).toMatchObject({ currency: 'EUR', perMinuteMinor: 12, billingMode: 'per_second' });
    // B's books are its own.
    expect((await call('GET', `${base('B')}/ledger`, tenants.B.admin)).body.data).toEqual([]);
  });

  it('refuses bad top-ups naming the field, creates a Checkout session once per key, audits it, and credits it once paid', async () => {
    for (const [body, field] of [
      [{ amount: 0, currency: 'EUR' }, 'amount'],
      [{ amount: -500, currency: 'EUR' }, 'amount'],
      [{ amount: 12.5, currency: 'EUR' }, 'amount'],
      [{ amount: 5000, currency: 'CHF' }, 'currency'],
      [{ amount: 5000, currency: 'USD' }, 'currency'], // supported, but not the company's
    ] as const) {
      const res = await call('POST', `${base('A')}/top-ups`, tenants.A.admin, body);
      expect([JSON.stringify(body), res.status, res.body.field]).toEqual([JSON.stringify(body), 400, field]);
    }
    expect((await call('POST', `${base('A')}/top-ups`, tenants.A.staff, { amount: 5000, currency: 'EUR' })).status).toBe(403);

    const key = { 'idempotency-key': `topup-${randomBytes(4).toString('hex')}` };
    const created = await call('POST', `${base('A')}/top-ups`, tenants.A.admin, { amount: 5000, currency: 'EUR' }, key);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'checkout', status: 'pending', amount: 5000, currency: 'EUR' });
    expect(created.body.checkoutUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/c\/pay\/cs_test_/);
    const again = await call('POST', `${base('A')}/top-ups`, tenants.A.admin, { amount: 5000, currency: 'EUR' }, key);
    expect(again.body).toMatchObject({ topUpId: created.body.topUpId });
    expect(again.body.checkoutSessionId).toBe(created.body.checkoutSessionId);
    expect([...stripe.state.sessions.values()].filter((s) => s.client_reference_id === created.body.topUpId)).toHaveLength(1);

    const audit = await call('GET', `/api/v1/companies/${tenants.A.companyId}/audit-log?action=billing.top_up.created`, tenants.A.admin);
    // Each POST is recorded (who asked, when); both name the one top-up.
    expect(audit.body.data).toHaveLength(2);
    for (const entry of audit.body.data) expect(entry).toMatchObject({ action: 'billing.top_up.created', target: { type: 'top_up', id: created.body.topUpId }, changes: { amount: 5000, currency: 'EUR' } });

    const before = (await call('GET', `${base('A')}/balance`, tenants.A.admin)).body.balance as number;
    stripe.state.completeCheckout(created.body.checkoutSessionId, 'paid');
    await stripe.state.flushWebhooks();
    const completed = stripe.state.events.find((e) => e.type === 'checkout.session.completed' && (e.data as { object: { id: string } }).object.id === created.body.checkoutSessionId)!;
    stripe.state.resend(completed.id, 2);
    await stripe.state.flushWebhooks();
    await waitFor(async () => (await call('GET', `${base('A')}/balance`, tenants.A.admin)).body.balance === before + 5000, { message: 'credited', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    const ledger = (await call('GET', `${base('A')}/ledger`, tenants.A.admin)).body.data as { kind: string; amount: number }[];
    expect(ledger.filter((e) => e.kind === 'top_up')).toEqual([expect.objectContaining({ kind: 'top_up', amount: 5000 })]);
    expect((await call('GET', `${base('A')}/balance`, tenants.A.admin)).body).toMatchObject({ balance: before + 5000, state: 'ok' });
  });

  it("invoices the month's usage on demand, lists it and shows it with its PDF link; another company's invoice is 404", async () => {
    const now = new Date();
    const period = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect((await call('POST', `${base('A')}/invoices`, tenants.A.admin, { period: '2024-13' })).body.field).toBe('period');
    expect((await call('POST', `${base('B')}/invoices`, tenants.B.admin, { period })).status).toBe(409); // nothing used
    const created = await call('POST', `${base('A')}/invoices`, tenants.A.admin, { period });
    expect([created.status, created.body.message]).toEqual([200, undefined]);
    expect(created.body).toMatchObject({ period, currency: 'EUR', total: 31 + 12 + 6, lines: [expect.objectContaining({ kind: 'talk_time', quantity: 157 + 60 + 30, amount: 49 })] });
    expect(created.body.pdfUrl).toMatch(/^http/);
    const list = await call('GET', `${base('A')}/invoices`, tenants.A.admin);
    expect(list.body.data.map((i: { invoiceId: string }) => i.invoiceId)).toEqual([created.body.invoiceId]);
    const one = await call('GET', `${base('A')}/invoices/${created.body.invoiceId}`, tenants.A.staff);
    expect(one.status).toBe(403); // staff has no billing.read
    expect((await call('GET', `${base('A')}/invoices/${created.body.invoiceId}`, tenants.A.admin)).body).toMatchObject({ invoiceId: created.body.invoiceId, status: created.body.status });
    expect((await call('GET', `${base('B')}/invoices/${created.body.invoiceId}`, tenants.B.admin)).status).toBe(404);
    expect((await call('GET', `${base('A')}/invoices/not-a-uuid`, tenants.A.admin)).status).toBe(404);
    expect((await call('GET', `${base('A')}/balance`, tenants.B.admin)).status).toBe(404);
  });

  it("lets only a platform admin override a company's prices; new calls are charged at them, past debits stay", async () => {
    const companyId = tenants.B.companyId;
    const patch = (token: string, body: unknown) => call('PATCH', `${base('B')}/prices`, token, body);
    expect((await patch(tenants.B.admin, { perMinuteMinor: 1 })).status).toBe(403); // the platform's terms, not the company's
    for (const [body, field] of [
      [{ perMinuteMinor: -1 }, 'perMinuteMinor'],
      [{ perMinuteMinor: 2.5 }, 'perMinuteMinor'],
      [{ discountBasisPoints: 10001 }, 'discountBasisPoints'],
      [{ billingMode: 'per_hour' }, 'billingMode'],
      [{ perMinute: 20 }, 'perMinute'], // unknown keys are refused, not ignored
    ] as const) {
      const res = await patch(platform, body);
      expect([JSON.stringify(body), res.status, res.body.field]).toEqual([JSON.stringify(body), 400, field]);
    }
    expect((await patch(platform, {})).status).toBe(400);

    await publisher.publish(publisher.callCompleted(companyId, `call_${randomBytes(6).toString('hex')}`, 60));
    await waitFor(async () => (await call('GET', `${base('B')}/ledger`, tenants.B.admin)).body.data.length === 1, { message: 'first debit' });
    const set = await patch(platform, { perMinuteMinor: 20, discountBasisPoints: 2500 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ prices: { perMinuteMinor: 20, discountBasisPoints: 2500 }, overrides: { perMinuteMinor: 20, discountBasisPoints: 2500 } });
    expect((await call('GET', `${base('B')}/prices`, tenants.B.admin)).body).toMatchObject({ perMinuteMinor: 20, discountBasisPoints: 2500 });
    await publisher.publish(publisher.callCompleted(companyId, `call_${randomBytes(6).toString('hex')}`, 60));
    const ledger = await waitFor(async () => {
      const data = (await call('GET', `${base('B')}/ledger`, tenants.B.admin)).body.data as { kind: string; amount: number }[];
      return data.length === 2 ? data : null;
    }, { message: 'second debit' });
    // One minute at 0.12 before; at 0.20 less 25 % = 0.15 after. The first debit is untouched.
    expect(ledger.map((e) => e.amount)).toEqual([-15, -12]);
    const audit = await call('GET', `/api/v1/companies/${companyId}/audit-log?action=billing.prices.updated`, platform);
    expect(audit.body.data).toEqual([expect.objectContaining({ changes: { perMinuteMinor: 20, discountBasisPoints: 2500 } })]);
    // null clears an override: back to the plan's rate.
    expect((await patch(platform, { perMinuteMinor: null, discountBasisPoints: null })).body).toMatchObject({ prices: { perMinuteMinor: 12 } });
  });
});
