import { randomBytes } from 'node:crypto';
import { startSimulator, RunningSimulator, stripeSimulator, StripeState } from '@receptionist/simulators';
import { waitFor } from '@receptionist/testing';
import { createTestTenant, startGateway, TestGateway } from './gateway-app';
// Billing owns invoices and the ledger: the real one answers over billing.request and consumes the Stripe events.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling, TestPublisher } from '../../billing/test/billing-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { rateTalkTime } from '../../billing/src/usage/rating';

/**
 * Refunds end to end: `POST …/billing/invoices/:invoiceId/credit-notes` (gateway → billing → Stripe credit note,
 * its signed `credit_note.created` webhook back through the gateway), and a top-up refunded in Stripe's dashboard
 * (`charge.refunded`).
 */
jest.setTimeout(120_000);

const ADMIN = { email: 'root@credit-notes.test', password: 'correct horse battery staple' };
const WEBHOOK_SECRET = 'whsec_credit_notes_test';

let gw: TestGateway;
let billing: TestBilling;
let stripe: RunningSimulator<StripeState>;
let publisher: TestPublisher;
/** The platform admin's token: refunds are the platform's (`billing.refund`), never a company admin's. */
let platform: string;
const tenants: Record<'A' | 'B', { companyId: string; admin: string; staff: string }> = {} as never;

const call = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => gw.call(method, path, { token, body, headers });
const base = (key: 'A' | 'B') => `/api/v1/companies/${tenants[key].companyId}/billing`;
const balanceOf = async (key: 'A' | 'B') => (await call('GET', `${base(key)}/balance`, tenants[key].admin)).body.balance as number;
const ledgerOf = async (key: 'A' | 'B') => (await call('GET', `${base(key)}/ledger?limit=200`, tenants[key].admin)).body.data as { kind: string; amount: number; reference: string }[];

beforeAll(async () => {
  gw = await startGateway({ PLATFORM_ADMIN_EMAIL: ADMIN.email, PLATFORM_ADMIN_PASSWORD: ADMIN.password, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, RATE_LIMIT_GENERAL: '10000', RATE_LIMIT_SENSITIVE: '1000' });
  process.env.SIM_STRIPE_WEBHOOK_URL = `${gw.url}/api/webhooks/stripe`;
  process.env.SIM_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  stripe = await startSimulator(stripeSimulator, { port: 0 });
  delete process.env.SIM_STRIPE_WEBHOOK_URL;
  delete process.env.SIM_STRIPE_WEBHOOK_SECRET;
  platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
  for (const key of ['A', 'B'] as const) tenants[key] = await createTestTenant(gw, platform, `Refunds ${key}`);
  billing = await startBilling({ STRIPE_API_BASE: stripe.url, STRIPE_SECRET: 'sk_test_credit_notes' }, { companies: [tenants.A.companyId, tenants.B.companyId] });
  publisher = await new TestPublisher().start();
  for (const key of ['A', 'B'] as const) await publisher.billingSetup(tenants[key].companyId, { perMinuteMinor: 29, lowBalanceThresholdMinor: 0 });
  await waitFor(async () => (await call('GET', `${base('B')}/prices`, tenants.B.admin)).status === 200 && (await call('GET', `${base('A')}/prices`, tenants.A.admin)).status === 200, {
    message: 'billing set up',
    timeoutMs: 30_000,
  });
});

afterAll(async () => {
  await publisher?.stop();
  await billing?.close();
  await stripe?.close();
  await gw?.close();
});

describe('credit notes for refunds', () => {
  let invoiceId: string;
  let total: number;

  it('refunds part of a paid invoice to the prepaid balance once per Idempotency-Key, through a Stripe credit note', async () => {
    const companyId = tenants.A.companyId;
    const seconds = [61, 157, 3723];
    for (const [i, s] of seconds.entries()) await publisher.publish(publisher.callCompleted(companyId, `cn_${i}_${randomBytes(4).toString('hex')}`, s, new Date(Date.UTC(2026, 9, 5 + i, 12))));
    total = seconds.reduce((a, s) => a + rateTalkTime({ seconds: s, perMinuteMinor: 29, mode: 'per_second', discountBasisPoints: 0 }), 0);
    await waitFor(async () => (await balanceOf('A')) === -total, { message: 'usage debited', timeoutMs: 30_000 });
    const invoice = await call('POST', `${base('A')}/invoices`, tenants.A.admin, { period: '2026-10' });
    expect(invoice.status).toBe(200);
    invoiceId = invoice.body.invoiceId;
    await waitFor(async () => (await call('GET', `${base('A')}/invoices/${invoiceId}`, tenants.A.admin)).body.status === 'paid', { message: 'invoice paid' });
    const path = `${base('A')}/invoices/${invoiceId}/credit-notes`;

    // Refused, naming the field, and nothing changed.
    for (const [body, field] of [
      [{ amount: 0, reason: 'x' }, 'amount'],
      [{ amount: -100, reason: 'x' }, 'amount'],
      [{ amount: 1.5, reason: 'x' }, 'amount'],
      [{ amount: total + 1, reason: 'x' }, 'amount'], // more than the invoice
      [{ amount: 100, reason: '' }, 'reason'],
      [{ amount: 100 }, 'reason'],
    ] as const) {
      const res = await call('POST', path, platform, body);
      expect([JSON.stringify(body), res.status, res.body.field]).toEqual([JSON.stringify(body), 400, field]);
    }
    expect((await call('POST', path, tenants.A.staff, { amount: 100, reason: 'x' })).status).toBe(403);
    expect((await call('POST', `${base('B')}/invoices/${invoiceId}/credit-notes`, platform, { amount: 100, reason: 'x' })).status).toBe(404);
    expect((await call('POST', path, tenants.B.admin, { amount: 100, reason: 'x' })).status).toBe(404);
    expect(stripe.state.creditNotes.size).toBe(0);
    expect(await balanceOf('A')).toBe(-total);

    const key = { 'idempotency-key': `cn-${randomBytes(4).toString('hex')}` };
    const created = await call('POST', path, platform, { amount: 100, reason: 'Dropped call on the 5th' }, key);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ invoiceId, amount: 100, currency: 'EUR', status: 'issued', source: 'admin', refundedTo: 'prepaid_balance', invoiceRefunded: 100 });
    const again = await call('POST', path, platform, { amount: 100, reason: 'Dropped call on the 5th' }, key);
    expect(again.body.creditNoteId).toBe(created.body.creditNoteId);
    const notes = [...stripe.state.creditNotes.values()];
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ amount: 100, out_of_band_amount: 100, memo: 'Dropped call on the 5th', number: created.body.number });

    // Stripe's credit_note.created (signed, through the gateway) is ours: it credits nothing more.
    await stripe.state.flushWebhooks();
    const event = stripe.state.events.find((e) => e.type === 'credit_note.created')!;
    stripe.state.resend(event.id, 2);
    await stripe.state.flushWebhooks();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await balanceOf('A')).toBe(-total + 100);
    expect((await ledgerOf('A')).filter((e) => e.kind === 'refund')).toEqual([expect.objectContaining({ amount: 100, reference: `credit-note:${created.body.creditNoteId}` })]);

    // What is left can be refunded, and then nothing more.
    const rest = await call('POST', path, platform, { amount: total - 100, reason: 'Goodwill' });
    expect(rest.status).toBe(201);
    expect(rest.body.invoiceRefunded).toBe(total);
    const more = await call('POST', path, platform, { amount: 1, reason: 'Too much' });
    expect([more.status, more.body.field]).toEqual([400, 'amount']);
    expect(await balanceOf('A')).toBe(0);
    expect((await call('GET', `${base('A')}/invoices/${invoiceId}`, tenants.A.admin)).body).toMatchObject({ refunded: total, status: 'paid' });

    const audit = await call('GET', `/api/v1/companies/${companyId}/audit-log?action=billing.credit_note.created`, tenants.A.admin);
    expect(audit.body.data).toHaveLength(3);
  });

  it("refuses a company admin's refund of its own paid invoice (403): refunds are the platform's, billing.refund", async () => {
    const companyId = tenants.B.companyId;
    await publisher.publish(publisher.callCompleted(companyId, `cn_self_${randomBytes(4).toString('hex')}`, 600, new Date(Date.UTC(2026, 8, 7, 12))));
    const debited = rateTalkTime({ seconds: 600, perMinuteMinor: 29, mode: 'per_second', discountBasisPoints: 0 });
    await waitFor(async () => (await balanceOf('B')) === -debited, { message: 'usage debited', timeoutMs: 30_000 });
    const invoice = await call('POST', `${base('B')}/invoices`, tenants.B.admin, { period: '2026-09' });
    expect(invoice.status).toBe(200);
    const path = `${base('B')}/invoices/${invoice.body.invoiceId}/credit-notes`;
    await waitFor(async () => (await call('GET', `${base('B')}/invoices/${invoice.body.invoiceId}`, tenants.B.admin)).body.status === 'paid', { message: 'invoice paid' });
    const notesBefore = stripe.state.creditNotes.size;

    const self = await call('POST', path, tenants.B.admin, { amount: debited, reason: 'We refund ourselves' });
    expect([self.status, self.body.message]).toEqual([403, expect.any(String)]);
    // A token the company admin creates cannot carry the ability either.
    const token = await call('POST', '/api/v1/tokens', tenants.B.admin, { name: 'refunds', abilities: ['billing.refund'] });
    expect(token.status).not.toBe(201);
    expect(stripe.state.creditNotes.size).toBe(notesBefore);
    expect(await balanceOf('B')).toBe(-debited);

    // The platform admin may.
    const refunded = await call('POST', path, platform, { amount: debited, reason: 'Goodwill from the platform' });
    expect(refunded.status).toBe(201);
    await waitFor(async () => (await balanceOf('B')) === 0, { message: 'refund credited' });
  });

  it('takes a top-up refunded in the Stripe dashboard off the prepaid balance, once per refund, in any order', async () => {
    const created = await call('POST', `${base('B')}/top-ups`, tenants.B.admin, { amount: 5000, currency: 'EUR' });
    expect(created.status).toBe(201);
    stripe.state.completeCheckout(created.body.checkoutSessionId, 'paid');
    await waitFor(async () => (await balanceOf('B')) === 5000, { message: 'top-up credited', timeoutMs: 30_000 });
    const session = stripe.state.sessions.get(created.body.checkoutSessionId)!;
    const dashboard = async (form: Record<string, string>) =>
      fetch(`${stripe.url}/v1/refunds`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk_test_dashboard', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      }).then((r) => r.status);

    expect(await dashboard({ payment_intent: session.payment_intent as string, amount: '2000' })).toBe(200);
    await waitFor(async () => (await balanceOf('B')) === 3000, { message: 'first refund', timeoutMs: 30_000 });
    await stripe.state.flushWebhooks();
    const first = stripe.state.events.find((e) => e.type === 'charge.refunded')!;
    expect(await dashboard({ payment_intent: session.payment_intent as string })).toBe(200); // the rest
    await waitFor(async () => (await balanceOf('B')) === 0, { message: 'second refund', timeoutMs: 30_000 });
    // Duplicates and the first (older, smaller) event again after the second: nothing more.
    stripe.state.resend(first.id, 2);
    const second = stripe.state.events.filter((e) => e.type === 'charge.refunded')[1];
    stripe.state.resend(second.id, 1);
    await stripe.state.flushWebhooks();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await balanceOf('B')).toBe(0);
    // (the platform's credit note of the test before is B's other refund entry)
    expect((await ledgerOf('B')).filter((e) => e.kind === 'refund' && e.reference.startsWith('refund:')).map((e) => e.amount).sort()).toEqual([-2000, -3000].sort());
  });
});
