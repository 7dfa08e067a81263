import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { startSimulator, RunningSimulator, stripeSimulator, StripeState } from '@receptionist/simulators';
import { collectMessages, testInfra, testKafka, waitFor } from '@receptionist/testing';
import { rateTalkTime } from '../src/usage/rating';
import { UsageService } from '../src/usage/usage.service';
import { PricesService } from '../src/prices/prices.service';
import { startBilling, startBillingRequester, TestBilling, TestPublisher } from './billing-app';

jest.setTimeout(120_000);

let billing: TestBilling;
let db: DataSource;
let publisher: TestPublisher;
let requester: Awaited<ReturnType<typeof startBillingRequester>>;
let stripe: RunningSimulator<StripeState>;
let forwarder: http.Server;

const shuffle = <T>(items: T[]): T[] => {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};

async function balanceOf(companyId: string): Promise<{ balance: number; bonus: number; seq: number }> {
  const [r] = await db.query(
    `SELECT a.last_seq, e.balance_after_minor, e.bonus_after_minor FROM billing_account a
     LEFT JOIN ledger_entry e ON e.company_id = a.company_id AND e.seq = a.last_seq WHERE a.company_id = ?`,
    [companyId],
  );
  return { balance: Number(r?.balance_after_minor ?? 0), bonus: Number(r?.bonus_after_minor ?? 0), seq: Number(r?.last_seq ?? 0) };
}

const count = async (sql: string, params: unknown[]) => Number((await db.query(sql, params))[0].n);

async function withPricing(companyId: string, pricing: Parameters<TestPublisher['billingSetup']>[1], currency: 'EUR' | 'USD' | 'GBP' = 'EUR') {
  await publisher.billingSetup(companyId, pricing, currency);
  await waitFor(async () => (await db.query('SELECT 1 FROM company_pricing WHERE company_id = ?', [companyId])).length > 0, { message: 'company pricing' });
}

beforeAll(async () => {
  publisher = await new TestPublisher().start();
  // Stands in for the gateway's edge (tested in apps/gateway/test/stripe-webhook.int-spec.ts): every webhook the
  // simulator sends is forwarded to Kafka as the gateway forwards a verified one.
  forwarder = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      publisher.stripeEvent(JSON.parse(raw)).then(
        () => res.writeHead(200).end('{"received":true}'),
        () => res.writeHead(503).end(),
      );
    });
  });
  await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', () => r()));
  const hookUrl = `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}/api/webhooks/stripe`;
  process.env.SIM_STRIPE_WEBHOOK_URL = hookUrl;
  process.env.SIM_STRIPE_WEBHOOK_SECRET = 'whsec_test';
  stripe = await startSimulator(stripeSimulator, { port: 0 });
  delete process.env.SIM_STRIPE_WEBHOOK_URL;
  billing = await startBilling({ STRIPE_API_BASE: stripe.url, STRIPE_SECRET: 'sk_test_billing', BILLING_TOPUP_BONUS_TIERS: '10000:10' });
  db = new DataSource({ type: 'mysql', ...testInfra.db, database: billing.database, timezone: 'Z' });
  await db.initialize();
  requester = await startBillingRequester();
});

afterAll(async () => {
  await requester?.stop();
  await db?.destroy();
  await billing?.close();
  await stripe?.close();
  await publisher?.stop();
  await new Promise((r) => forwarder?.close(r));
});

describe('usage debits', () => {
  it('debits 100 calls delivered twice each, shuffled, exactly once each and to the cent; balance.low once per crossing', async () => {
    const companyId = randomUUID();
    await withPricing(companyId, { perMinuteMinor: 29, lowBalanceThresholdMinor: 1000 });
    const collector = await collectMessages(testKafka(), [Topics.balanceLow.name, Topics.balanceExhausted.name], { fromBeginning: false });
    // A new account starts at 0 in state ok; the first debit crosses the threshold and zero, once each.
    const seconds = Array.from({ length: 100 }, (_, i) => 5 + ((i * 37) % 600));
    const calls = seconds.map((s, i) => publisher.callCompleted(companyId, `call_${companyId.slice(0, 8)}_${i}`, s));
    const expected = seconds.reduce((sum, s) => sum + rateTalkTime({ seconds: s, perMinuteMinor: 29, mode: 'per_second', discountBasisPoints: 0 }), 0);
    // The same call again under a new envelope id (a producer that published twice) must not debit either.
    const republished = { ...calls[7], id: randomUUID() };
    for (const envelope of shuffle([...calls, ...calls, republished])) await publisher.publish(envelope);

    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind = ?', [companyId, 'usage'])) === 100, {
      timeoutMs: 60_000,
      message: '100 usage debits',
    });
    await new Promise((r) => setTimeout(r, 1500)); // let any (wrong) extra debit land
    expect(await count('SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind = ?', [companyId, 'usage'])).toBe(100);
    const { balance, seq } = await balanceOf(companyId);
    expect(balance).toBe(-expected);
    expect(seq).toBe(100);
    // The ledger is consistent with itself: the running balance is the sum of the entries.
    const [sum] = await db.query('SELECT SUM(amount_minor) AS s FROM ledger_entry WHERE company_id = ?', [companyId]);
    expect(Number(sum.s)).toBe(-expected);
    const lows = await waitFor(() => {
      const mine = collector.messages.filter((m) => m.key?.toString() === companyId);
      return mine.length >= 2 ? mine : null;
    }, { message: 'balance events' });
    await new Promise((r) => setTimeout(r, 500));
    await collector.stop();
    const mine = collector.messages.filter((m) => m.key?.toString() === companyId).map((m) => m.topic);
    expect(lows.length).toBeGreaterThan(0);
    expect(mine.filter((t) => t === Topics.balanceLow.name)).toHaveLength(1);
    expect(mine.filter((t) => t === Topics.balanceExhausted.name)).toHaveLength(1);
  });

  it('keeps the balance exact under concurrent debits of one company', async () => {
    const companyId = randomUUID();
    await withPricing(companyId, { perMinuteMinor: 12, lowBalanceThresholdMinor: 0 });
    const usage = billing.app.get(UsageService, { strict: false });
    const prices = (await billing.app.get(PricesService, { strict: false }).effective(companyId))!;
    const inputs = Array.from({ length: 40 }, (_, i) => ({ companyId, callId: `conc_${i}`, billableSeconds: 157, bookings: 0, endedAt: new Date() }));
    // Each call charged twice at the same time: the row lock serialises them and the second finds the first.
    await Promise.all([...inputs, ...inputs].map((input) => usage.chargeOnce(input, prices)));
    const { balance, seq } = await balanceOf(companyId);
    expect(seq).toBe(40);
    expect(balance).toBe(-40 * 31);
    const seqs = (await db.query('SELECT seq FROM ledger_entry WHERE company_id = ? ORDER BY seq', [companyId])).map((r: any) => Number(r.seq));
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('keeps a call for a company without prices and charges it once the prices arrive', async () => {
    const companyId = randomUUID();
    await publisher.publish(publisher.callCompleted(companyId, `late_${companyId.slice(0, 6)}`, 157));
    await waitFor(async () => (await count(`SELECT COUNT(*) AS n FROM usage_charge WHERE company_id = ? AND status = 'unpriced'`, [companyId])) === 1, { message: 'unrated usage' });
    expect(await count('SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ?', [companyId])).toBe(0);
    await withPricing(companyId, { perMinuteMinor: 12 });
    await waitFor(async () => (await balanceOf(companyId)).balance === -31, { message: 'late debit' });
  });
});

describe('top-ups through Stripe Checkout', () => {
  it('creates a checkout session and credits the top-up (and its bonus) once, even when Stripe sends the webhook three times', async () => {
    const companyId = randomUUID();
    await withPricing(companyId, { perMinuteMinor: 12, lowBalanceThresholdMinor: 500 });
    const succeeded = await collectMessages(testKafka(), [Topics.paymentSucceeded.name], { fromBeginning: false });

    const reply = await requester.ask({ operation: 'topup.create', companyId, amount: 10000, currency: 'EUR', idempotencyKey: 'first' });
    expect(reply.ok).toBe(true);
    const topUp = (reply.data as any).topUp;
    expect(topUp.checkoutUrl).toMatch(/\/c\/pay\/cs_test_/);
    expect(topUp.bonus).toBe(1000);
    // The same request again (a retried POST) gives the same session.
    const again = await requester.ask({ operation: 'topup.create', companyId, amount: 10000, currency: 'EUR', idempotencyKey: 'first' });
    expect((again.data as any).topUp.checkoutSessionId).toBe(topUp.checkoutSessionId);
    expect([...stripe.state.sessions.values()].filter((s) => s.client_reference_id === topUp.topUpId)).toHaveLength(1);

    stripe.state.completeCheckout(topUp.checkoutSessionId, 'paid');
    await stripe.state.flushWebhooks();
    const completed = stripe.state.events.find((e) => e.type === 'checkout.session.completed' && (e.data as any).object.id === topUp.checkoutSessionId)!;
    stripe.state.resend(completed.id, 3);
    await stripe.state.flushWebhooks();

    await waitFor(async () => (await balanceOf(companyId)).balance === 11000, { message: 'credited balance' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(await balanceOf(companyId)).toMatchObject({ balance: 11000, bonus: 1000, seq: 2 });
    expect(await count(`SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind IN ('top_up', 'bonus')`, [companyId])).toBe(2);
    const events = await db.query(`SELECT outcome FROM stripe_event WHERE event_id = ?`, [completed.id]);
    expect(events).toHaveLength(1);
    await succeeded.stop();
    const mine = succeeded.messages.filter((m) => m.key?.toString() === companyId);
    expect(mine).toHaveLength(1);
    expect(JSON.parse(mine[0].value!.toString()).data).toMatchObject({ paymentId: topUp.topUpId, amount: 10000, bonus: 1000, balanceAfter: 11000, purpose: 'top_up' });

    // Bonus credit is spent first.
    await publisher.publish(publisher.callCompleted(companyId, `after_topup_${companyId.slice(0, 6)}`, 157));
    await waitFor(async () => (await balanceOf(companyId)).balance === 11000 - 31, { message: 'debit after top-up' });
    expect((await balanceOf(companyId)).bonus).toBe(1000 - 31);
  });

  it('refuses a zero amount or another currency, naming the field, and records nothing', async () => {
    const companyId = randomUUID();
    await withPricing(companyId, { perMinuteMinor: 12 });
    const zero = await requester.ask({ operation: 'topup.create', companyId, amount: 0, currency: 'EUR' });
    expect(zero).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(zero.detail).toMatch(/^amount/);
    const usd = await requester.ask({ operation: 'topup.create', companyId, amount: 5000, currency: 'USD' });
    expect(usd).toMatchObject({ ok: false, code: 'invalid_request' });
    expect(usd.detail).toMatch(/^currency/);
    const bad = await requester.ask({ operation: 'topup.create', companyId, amount: 5000, currency: 'CHF' } as any);
    expect(bad.detail).toMatch(/^currency/);
    expect(await count('SELECT COUNT(*) AS n FROM top_up WHERE company_id = ?', [companyId])).toBe(0);
  });

  it('records an event for an unknown customer as unmatched without failing', async () => {
    const eventId = `evt_unknown${Date.now()}`;
    await publisher.stripeEvent({ id: eventId, object: 'event', type: 'payment_intent.succeeded', created: Math.floor(Date.now() / 1000), data: { object: { id: 'pi_nobody', object: 'payment_intent', customer: 'cus_nobody', metadata: {} } } });
    await waitFor(async () => (await db.query('SELECT outcome FROM stripe_event WHERE event_id = ?', [eventId]))[0]?.outcome === 'unmatched', { message: 'unmatched event' });
  });
});

describe('invoices', () => {
  it('invoices a month with exactly its usage, VAT included, and marks it paid from Stripe', async () => {
    const companyId = randomUUID();
    await withPricing(companyId, { perMinuteMinor: 29, perBookingMinor: 50 });
    const paid = await collectMessages(testKafka(), [Topics.invoicePaid.name], { fromBeginning: false });
    const inMonth = [61, 157, 3723, 5];
    for (const [i, s] of inMonth.entries()) {
      await publisher.publish(publisher.callCompleted(companyId, `inv_${i}_${companyId.slice(0, 6)}`, s, new Date(Date.UTC(2026, 9, 10 + i, 12)), i === 1 ? ['appt_1'] : []));
    }
    // Another month's call must not be on the invoice.
    await publisher.publish(publisher.callCompleted(companyId, `inv_next_${companyId.slice(0, 6)}`, 600, new Date(Date.UTC(2026, 10, 1, 0, 0, 5))));
    await waitFor(async () => (await count(`SELECT COUNT(*) AS n FROM usage_charge WHERE company_id = ? AND status = 'charged'`, [companyId])) === 6, { message: 'usage charged' });
    const talk = inMonth.reduce((a, s) => a + rateTalkTime({ seconds: s, perMinuteMinor: 29, mode: 'per_second', discountBasisPoints: 0 }), 0);

    const reply = await requester.ask({ operation: 'invoice.create', companyId, period: '2026-10' });
    expect(reply.ok).toBe(true);
    const invoice = (reply.data as any).invoice;
    expect(invoice.total).toBe(talk + 50);
    expect(invoice.lines).toEqual([
      expect.objectContaining({ kind: 'talk_time', amount: talk, quantity: inMonth.reduce((a, b) => a + b, 0) }),
      expect.objectContaining({ kind: 'booking_fee', amount: 50, quantity: 1 }),
    ]);
    const stripeInvoice = [...stripe.state.invoices.values()].find((i) => (i.metadata as any).invoice_id === invoice.invoiceId)!;
    expect(stripeInvoice.total).toBe(talk + 50);
    expect(stripeInvoice.status).toBe('paid');
    const vat = (stripeInvoice.total_taxes as any[]).reduce((a, t) => a + t.amount, 0);
    expect(vat).toBe(Math.round((talk * 19) / 119) + Math.round((50 * 19) / 119));

    await waitFor(async () => (await db.query('SELECT status FROM invoice WHERE id = ?', [invoice.invoiceId]))[0]?.status === 'paid', { message: 'invoice paid' });
    // The same month again is the same invoice.
    const again = await requester.ask({ operation: 'invoice.create', companyId, period: '2026-10' });
    expect((again.data as any).invoice.invoiceId).toBe(invoice.invoiceId);
    expect([...stripe.state.invoices.values()].filter((i) => (i.metadata as any).company_id === companyId)).toHaveLength(1);
    await waitFor(() => paid.messages.some((m) => m.key?.toString() === companyId), { message: 'invoice.paid' });
    await new Promise((r) => setTimeout(r, 500));
    await paid.stop();
    expect(paid.messages.filter((m) => m.key?.toString() === companyId)).toHaveLength(1);
  });
});
