import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Topics } from '@receptionist/contracts';
import { RunningSimulator, StripeState, signStripePayload, startSimulator, stripeSimulator } from '@receptionist/simulators';
import { collectMessages, testInfra, testKafka, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
// Billing owns payments and invoices: the real one consumes what the gateway's webhook edge puts on Kafka.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, startBillingRequester, TestBilling, TestPublisher } from '../../billing/test/billing-app';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { InvoicesService } from '../../billing/src/invoices/invoices.service';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { PricesService } from '../../billing/src/prices/prices.service';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CustomersService } from '../../billing/src/stripe/customers.service';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { TopUpsService } from '../../billing/src/topups/topups.service';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { rateTalkTime } from '../../billing/src/usage/rating';

/**
 * Payment failure and automatic top-ups end to end: the Stripe simulator signs its webhooks, the gateway verifies
 * them on POST /api/webhooks/stripe and puts them on Kafka, billing applies them. Duplicates and late events are
 * real deliveries through the signed route.
 */
jest.setTimeout(180_000);

const WEBHOOK_SECRET = 'whsec_billing_payments_test';
let gw: TestGateway;
let billing: TestBilling;
let stripe: RunningSimulator<StripeState>;
let publisher: TestPublisher;
let db: DataSource;
let collector: Awaited<ReturnType<typeof collectMessages>>;

const mine = (companyId: string, topic: string) =>
  collector.messages.filter((m) => m.topic === topic && m.key?.toString() === companyId).map((m) => JSON.parse(m.value!.toString()));
const count = async (sql: string, params: unknown[]) => Number((await db.query(sql, params))[0].n);
const settle = (ms = 1500) => new Promise((r) => setTimeout(r, ms));

async function balanceOf(companyId: string): Promise<number> {
  const [r] = await db.query(
    'SELECT e.balance_after_minor FROM billing_account a LEFT JOIN ledger_entry e ON e.company_id = a.company_id AND e.seq = a.last_seq WHERE a.company_id = ?',
    [companyId],
  );
  return Number(r?.balance_after_minor ?? 0);
}

/** A Stripe API call as the dashboard or Stripe's customer portal would make it. */
async function stripeApi(path: string, form: Record<string, string> = {}) {
  const res = await fetch(`${stripe.url}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk_test_dashboard', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function withPricing(companyId: string, pricing: Parameters<TestPublisher['billingSetup']>[1]) {
  await publisher.billingSetup(companyId, pricing);
  await waitFor(async () => (await db.query('SELECT 1 FROM company_pricing WHERE company_id = ?', [companyId])).length > 0, { message: 'company pricing' });
}

/** The company's customer in Stripe gets `paymentMethod` as its default card; billing learns it from customer.updated. */
async function saveCard(companyId: string, paymentMethod: string): Promise<string> {
  const customer = await billing.app.get(CustomersService, { strict: false }).ensure(companyId, 'EUR');
  expect((await stripeApi(`/v1/payment_methods/${paymentMethod}/attach`, { customer })).status).toBe(200);
  expect((await stripeApi(`/v1/customers/${customer}`, { 'invoice_settings[default_payment_method]': paymentMethod })).status).toBe(200);
  await waitFor(async () => (await db.query('SELECT default_payment_method_id AS pm FROM billing_account WHERE company_id = ?', [companyId]))[0]?.pm === paymentMethod, {
    message: `saved card ${paymentMethod}`,
  });
  return customer;
}

/** A webhook Stripe could send, signed with the endpoint's secret, posted to the gateway. */
async function deliver(event: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify(event, null, 2);
  const res = await fetch(`${gw.url}/api/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signStripePayload(body, WEBHOOK_SECRET) },
    body,
  });
  return res.status;
}

const autoIntents = (companyId: string) =>
  [...stripe.state.paymentIntents.values()].filter((pi) => (pi.metadata as Record<string, string>).company_id === companyId && pi.description === 'Automatic balance top-up');

beforeAll(async () => {
  gw = await startGateway({ STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
  process.env.SIM_STRIPE_WEBHOOK_URL = `${gw.url}/api/webhooks/stripe`;
  process.env.SIM_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  stripe = await startSimulator(stripeSimulator, { port: 0 });
  delete process.env.SIM_STRIPE_WEBHOOK_URL;
  delete process.env.SIM_STRIPE_WEBHOOK_SECRET;
  collector = await collectMessages(testKafka(), [Topics.paymentFailed.name, Topics.paymentSucceeded.name, Topics.invoicePaid.name, Topics.balanceRestored.name, Topics.balanceLow.name, Topics.balanceExhausted.name], { fromBeginning: false });
  billing = await startBilling({ STRIPE_API_BASE: stripe.url, STRIPE_SECRET: 'sk_test_billing_payments', BILLING_AUTO_TOPUP_RETRY_MS: '1000' });
  db = new DataSource({ type: 'mysql', ...testInfra.db, database: billing.database, timezone: 'Z' });
  await db.initialize();
  publisher = await new TestPublisher().start();
});

afterAll(async () => {
  await collector?.stop();
  await publisher?.stop();
  await db?.destroy();
  await billing?.close();
  await stripe?.close();
  await gw?.close();
});

describe('automatic top-up', () => {
  it('charges the card saved at checkout once when a debit crosses under the threshold, and credits it once', async () => {
    const companyId = randomUUID();
    // 0.60 €/min: a 600 s call costs exactly 6.00 €.
    await withPricing(companyId, { perMinuteMinor: 60, lowBalanceThresholdMinor: 1000, topUpMinor: 5000, autoTopUp: true });
    // A Checkout top-up of a company with auto top-up saves the card for off-session use.
    // Billing's own services directly (not billing.request): other test files' billing instances share that topic.
    const checkout = await billing.app.get(TopUpsService, { strict: false }).createCheckout({ companyId, amount: 2000, currency: 'EUR' });
    stripe.state.completeCheckout(checkout.checkoutSessionId!, 'paid');
    await waitFor(async () => (await balanceOf(companyId)) === 2000, { message: 'checkout credited' });
    await waitFor(async () => (await db.query('SELECT default_payment_method_id AS pm FROM billing_account WHERE company_id = ?', [companyId]))[0]?.pm === 'pm_card_visa', { message: 'card saved' });

    const first = publisher.callCompleted(companyId, `auto_1_${companyId.slice(0, 6)}`, 600);
    await publisher.publish(first);
    await waitFor(async () => (await balanceOf(companyId)) === 1400, { message: 'first debit' });
    expect(autoIntents(companyId)).toHaveLength(0); // still over the threshold
    const second = publisher.callCompleted(companyId, `auto_2_${companyId.slice(0, 6)}`, 600);
    await publisher.publish(second);
    await publisher.publish(second); // redelivered
    // 2000 − 600 − 600 = 800 < 1000 → 5000 charged off-session → 5800.
    await waitFor(async () => (await balanceOf(companyId)) === 5800, { message: 'auto top-up credited' });
    await stripe.state.flushWebhooks();
    const [intent] = autoIntents(companyId);
    expect(intent).toMatchObject({ amount: 5000, currency: 'eur', status: 'succeeded', payment_method: 'pm_card_visa', off_session: true });
    const succeeded = stripe.state.events.find((e) => e.type === 'payment_intent.succeeded' && (e.data as any).object.id === intent.id)!;
    stripe.state.resend(succeeded.id, 2);
    await stripe.state.flushWebhooks();
    await settle();

    expect(autoIntents(companyId)).toHaveLength(1);
    expect(await balanceOf(companyId)).toBe(5800);
    expect(await count(`SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind = 'top_up'`, [companyId])).toBe(2);
    const [topUp] = await db.query(`SELECT * FROM top_up WHERE company_id = ? AND kind = 'auto'`, [companyId]);
    expect(topUp).toMatchObject({ status: 'paid', stripe_payment_intent_id: intent.id });
    expect(await count('SELECT COUNT(*) AS n FROM stripe_event WHERE event_id = ?', [succeeded.id])).toBe(1);
    const payments = mine(companyId, Topics.paymentSucceeded.name).map((e) => e.data);
    expect(payments.filter((p) => p.purpose === 'auto_top_up')).toEqual([expect.objectContaining({ amount: 5000, paymentId: topUp.id, stripeObjectId: intent.id, balanceAfter: 5800 })]);
    expect(mine(companyId, Topics.balanceRestored.name)).toHaveLength(1);
  });

  it('saves the card of a Checkout top-up also when checkout.session.completed came before payment_intent.succeeded', async () => {
    const companyId = randomUUID();
    await withPricing(companyId, { perMinuteMinor: 60, lowBalanceThresholdMinor: 1000, topUpMinor: 5000, autoTopUp: true });
    const checkout = await billing.app.get(TopUpsService, { strict: false }).createCheckout({ companyId, amount: 2000, currency: 'EUR' });
    const session = stripe.state.sessions.get(checkout.checkoutSessionId!)!;
    const metadata = { company_id: companyId, top_up_id: checkout.topUpId };
    const created = Math.floor(Date.now() / 1000);
    const pi = { id: `pi_reorder${Date.now()}`, object: 'payment_intent', amount: 2000, currency: 'eur', customer: session.customer, status: 'succeeded', payment_method: 'pm_card_visa', setup_future_usage: 'off_session', metadata };
    const completed = { id: `evt_cs${Date.now()}`, object: 'event', type: 'checkout.session.completed', created, livemode: false, data: { object: { ...session, status: 'complete', payment_status: 'paid', payment_intent: pi.id } } };
    const succeeded = { id: `evt_pi${Date.now()}`, object: 'event', type: 'payment_intent.succeeded', created, livemode: false, data: { object: pi } };
    expect(await deliver(completed)).toBe(200);
    await waitFor(async () => (await balanceOf(companyId)) === 2000, { message: 'credited from the session' });
    expect(await deliver(succeeded)).toBe(200);
    await waitFor(async () => (await db.query('SELECT default_payment_method_id AS pm FROM billing_account WHERE company_id = ?', [companyId]))[0]?.pm === 'pm_card_visa', { message: 'card saved' });
    await settle(500);
    expect(await balanceOf(companyId)).toBe(2000);
  });

  it('a declined saved card: one payment.failed, no credit, and no new attempt until the balance has recovered', async () => {
    const companyId = randomUUID();
    await withPricing(companyId, { perMinuteMinor: 60, lowBalanceThresholdMinor: 1000, topUpMinor: 5000, autoTopUp: true });
    // A card that attaches fine and declines every charge (Stripe's 4000 0000 0000 0341).
    await saveCard(companyId, 'pm_card_chargeCustomerFail');
    for (let i = 0; i < 4; i++) await publisher.publish(publisher.callCompleted(companyId, `declined_${i}_${companyId.slice(0, 6)}`, 60));
    await waitFor(async () => (await balanceOf(companyId)) === -240, { message: 'four debits' });
    await waitFor(() => mine(companyId, Topics.paymentFailed.name).length > 0, { message: 'payment.failed' });
    await stripe.state.flushWebhooks();
    await settle(3000); // three retry-job periods: nothing may be tried again

    expect(autoIntents(companyId)).toHaveLength(1);
    expect(autoIntents(companyId)[0].status).toBe('requires_payment_method');
    const topUps = await db.query('SELECT * FROM top_up WHERE company_id = ?', [companyId]);
    expect(topUps).toHaveLength(1);
    expect(topUps[0]).toMatchObject({ kind: 'auto', status: 'failed', stripe_payment_intent_id: autoIntents(companyId)[0].id });
    expect(await count(`SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind <> 'usage'`, [companyId])).toBe(0);
    const failed = mine(companyId, Topics.paymentFailed.name).map((e) => e.data);
    expect(failed).toEqual([expect.objectContaining({ invoiceId: null, topUpId: topUps[0].id, stripeObjectId: autoIntents(companyId)[0].id })]);
    // Stripe's own payment_intent.payment_failed came through the gateway and changed nothing more.
    const failedEvent = stripe.state.events.find((e) => e.type === 'payment_intent.payment_failed' && (e.data as any).object.id === autoIntents(companyId)[0].id)!;
    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM stripe_event WHERE event_id = ?', [failedEvent.id])) === 1, { message: 'failed event recorded' });
    expect(mine(companyId, Topics.paymentSucceeded.name)).toHaveLength(0);
  });

  it('charges an automatic top-up Stripe did not answer later, once, when Stripe is back', async () => {
    const companyId = randomUUID();
    await withPricing(companyId, { perMinuteMinor: 60, lowBalanceThresholdMinor: 1000, topUpMinor: 5000, autoTopUp: true });
    await saveCard(companyId, 'pm_card_visa');
    stripe.setFault({ mode: 'down' });
    try {
      await publisher.publish(publisher.callCompleted(companyId, `outage_${companyId.slice(0, 6)}`, 60));
      await waitFor(async () => Number((await db.query(`SELECT attempts FROM top_up WHERE company_id = ? AND kind = 'auto'`, [companyId]))[0]?.attempts ?? 0) >= 1, {
        message: 'first attempt failed',
        timeoutMs: 30_000,
      });
      expect(await balanceOf(companyId)).toBe(-60);
    } finally {
      stripe.setFault({ mode: 'normal' });
    }
    await waitFor(async () => (await balanceOf(companyId)) === 4940, { message: 'credited by the retry job', timeoutMs: 30_000 });
    await stripe.state.flushWebhooks();
    await settle();
    expect(autoIntents(companyId)).toHaveLength(1);
    expect(await balanceOf(companyId)).toBe(4940);
    expect(await count(`SELECT COUNT(*) AS n FROM top_up WHERE company_id = ?`, [companyId])).toBe(1);
    expect(mine(companyId, Topics.paymentSucceeded.name)).toHaveLength(1);
  });
});

describe('partner aggregate invoices and invoice payment state', () => {
  // A month of its own: billing consumes every company's usage on the shared topics (other test runs included), and
  // the monthly run invoices all of a month, so this file's month must be one nobody else uses.
  const year = 2030 + Math.floor(Math.random() * 60);
  const month = 1 + Math.floor(Math.random() * 12);
  const period = `${year}-${String(month).padStart(2, '0')}`;
  const inPeriod = (day: number) => new Date(Date.UTC(year, month - 1, day, 12));
  const runAt = (day: number) => new Date(Date.UTC(year, month, day, 2)); // in the following month
  const partner = randomUUID();
  const otherPartner = randomUUID();
  const managed = [randomUUID(), randomUUID()];
  const otherManaged = randomUUID();
  let invoiceId: string;
  let stripeInvoiceId: string;
  let linesOf: Map<string, number>;
  // managed[0] topped up 20.00 € before the month's usage; managed[1] started at 0.
  const before = new Map([[managed[0], 2000], [managed[1], 0], [otherManaged, 0]]);

  const settlements = (companyId: string): Promise<{ amount_minor: string; reference: string }[]> =>
    db.query(`SELECT amount_minor, reference FROM ledger_entry WHERE company_id = ? AND kind = 'partner_settlement'`, [companyId]);
  /** Crossings recorded by billing (its outbox keeps published rows): deterministic, unlike waiting for absence on Kafka. */
  const crossings = (companyId: string) =>
    count(`SELECT COUNT(*) AS n FROM outbox_message WHERE message_key = ? AND topic IN (?, ?)`, [companyId, Topics.balanceLow.name, Topics.balanceExhausted.name]);

  it('invoices each partner once for the month with a line per managed company and kind, numbered AGG-YYYY-MM-NNN', async () => {
    await withPricing(partner, { perMinuteMinor: 60 });
    await withPricing(otherPartner, { perMinuteMinor: 60 });
    // The partner's own VAT rate (20 %) applies to its invoice, whatever its companies' rates.
    await billing.app.get(PricesService, { strict: false }).setOverride(partner, { vatBasisPoints: 2000 });
    // Thresholds, auto top-up and a saved card: none of it may act for a postpaid (managed) company.
    await withPricing(managed[0], { perMinuteMinor: 29, perBookingMinor: 50, partnerCompanyId: partner, lowBalanceThresholdMinor: 1000, topUpMinor: 5000, autoTopUp: true });
    await withPricing(managed[1], { perMinuteMinor: 12, partnerCompanyId: partner, lowBalanceThresholdMinor: 1000 });
    await withPricing(otherManaged, { perMinuteMinor: 12, partnerCompanyId: otherPartner });
    // The balance view says so: the admin API shows a managed company as postpaid, billed through its partner.
    const requester = await startBillingRequester();
    try {
      const [own, ofPartner] = await Promise.all([managed[0], partner].map((companyId) => requester.ask({ operation: 'balance.get', companyId })));
      expect(own).toMatchObject({ ok: true, data: { postpaid: true, partnerCompanyId: partner } });
      expect(ofPartner).toMatchObject({ ok: true, data: { postpaid: false, partnerCompanyId: null } });
    } finally {
      await requester.stop();
    }
    const checkout = await billing.app.get(TopUpsService, { strict: false }).createCheckout({ companyId: managed[0], amount: 2000, currency: 'EUR' });
    stripe.state.completeCheckout(checkout.checkoutSessionId!, 'paid');
    await waitFor(async () => (await balanceOf(managed[0])) === 2000, { message: 'managed company topped up' });
    await waitFor(async () => (await db.query('SELECT default_payment_method_id AS pm FROM billing_account WHERE company_id = ?', [managed[0]]))[0]?.pm === 'pm_card_visa', { message: 'card saved' });
    await saveCard(partner, 'pm_card_chargeCustomerFail');
    const seconds = [[61, 157, 3723], [5, 600]];
    for (const [c, list] of seconds.entries()) {
      for (const [i, s] of list.entries()) {
        await publisher.publish(publisher.callCompleted(managed[c], `agg_${c}_${i}_${managed[c].slice(0, 6)}`, s, inPeriod(3 + i), c === 0 && i === 1 ? ['appt_1', 'appt_2'] : []));
      }
    }
    await publisher.publish(publisher.callCompleted(otherManaged, `agg_other_${otherManaged.slice(0, 6)}`, 90, inPeriod(20)));
    await waitFor(async () => (await count(`SELECT COUNT(*) AS n FROM usage_charge WHERE company_id IN (?, ?, ?) AND status = 'charged'`, [...managed, otherManaged])) === 7, {
      message: 'usage charged',
    });
    const talk = (perMinute: number, list: number[]) => list.reduce((a, s) => a + rateTalkTime({ seconds: s, perMinuteMinor: perMinute, mode: 'per_second', discountBasisPoints: 0 }), 0);
    const expected = [talk(29, seconds[0]), 100, talk(12, seconds[1])];
    linesOf = new Map([[managed[0], expected[0] + expected[1]], [managed[1], expected[2]], [otherManaged, talk(12, [90])]]);

    // Postpaid: every call debited once (the record of usage), under the threshold and below zero, yet no
    // balance.low / balance.exhausted and no automatic top-up: the partner pays in arrears.
    for (const c of [...managed, otherManaged]) await waitFor(async () => (await balanceOf(c)) === before.get(c)! - linesOf.get(c)!, { message: `debited ${c}` });
    expect(before.get(managed[0])! - linesOf.get(managed[0])!).toBeLessThan(0);
    await stripe.state.flushWebhooks();
    await settle();
    for (const c of [...managed, otherManaged]) {
      expect(await crossings(c)).toBe(0);
      expect(mine(c, Topics.balanceLow.name)).toHaveLength(0);
      expect(mine(c, Topics.balanceExhausted.name)).toHaveLength(0);
      expect((await db.query('SELECT balance_state FROM billing_account WHERE company_id = ?', [c]))[0].balance_state).toBe('ok');
      expect(await count(`SELECT COUNT(*) AS n FROM top_up WHERE company_id = ? AND kind = 'auto'`, [c])).toBe(0);
      expect(autoIntents(c)).toHaveLength(0);
    }
    expect(await count(`SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind IN ('usage', 'fee')`, [managed[0]])).toBe(4); // 3 calls + 1 booking fee

    const invoices = billing.app.get(InvoicesService, { strict: false });
    // A managed company is not invoiced on its own.
    await expect(invoices.createForPeriod(managed[0], period)).rejects.toMatchObject({ code: 'invalid_request', detail: expect.stringMatching(/^companyId: invoiced to its partner/) });

    // Two runs at once (as two billing instances would): one invoice per partner, numbers without gaps or twins.
    await Promise.all([invoices.runMonthly(runAt(1)), invoices.runMonthly(runAt(1))]);
    const rows = await db.query(`SELECT * FROM invoice WHERE period = ? ORDER BY number`, [period]);
    expect(rows.map((r: any) => [r.company_id, r.kind])).toEqual(expect.arrayContaining([[partner, 'aggregate'], [otherPartner, 'aggregate']]));
    expect(rows).toHaveLength(2);
    expect(rows.map((r: any) => r.number).sort()).toEqual([`AGG-${period}-001`, `AGG-${period}-002`]);

    const invoice = await invoices.list(partner);
    expect(invoice).toHaveLength(1);
    invoiceId = invoice[0].invoiceId;
    expect(invoice[0]).toMatchObject({ kind: 'aggregate', period, number: expect.stringMatching(new RegExp(`^AGG-${period}-00[12]$`)), vatBasisPoints: 2000, total: expected[0] + expected[1] + expected[2] });
    const lines = [
      { companyId: managed[0], kind: 'talk_time', amount: expected[0], quantity: 61 + 157 + 3723 },
      { companyId: managed[0], kind: 'booking_fee', amount: 100, quantity: 2 },
      { companyId: managed[1], kind: 'talk_time', amount: expected[2], quantity: 605 },
    ].sort((a, b) => (a.companyId < b.companyId ? -1 : a.companyId > b.companyId ? 1 : 0)); // by company, then talk time first
    expect(invoice[0].lines).toEqual(lines.map((l) => expect.objectContaining(l)));
    const stripeInvoice = [...stripe.state.invoices.values()].find((i) => (i.metadata as any).invoice_id === invoiceId)!;
    stripeInvoiceId = stripeInvoice.id;
    expect(stripeInvoice).toMatchObject({ number: invoice[0].number, total: expected[0] + expected[1] + expected[2], collection_method: 'send_invoice' });
    expect((stripeInvoice.total_taxes as any[]).reduce((a, t) => a + t.amount, 0)).toBe(expected.reduce((a, e) => a + Math.round((e * 20) / 120), 0));
    expect((stripeInvoice.lines as any).data.map((l: any) => l.metadata.managed_company_id).sort()).toEqual([managed[0], managed[0], managed[1]].sort());
    for (const c of [...managed, otherManaged]) expect(await count('SELECT COUNT(*) AS n FROM invoice WHERE company_id = ?', [c])).toBe(0);

    // Re-running the month creates nothing new, here or in Stripe.
    const stripeCount = stripe.state.invoices.size;
    expect(await invoices.runMonthly(runAt(2))).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM invoice WHERE period = ?', [period])).toBe(2);
    expect(stripe.state.invoices.size).toBe(stripeCount);
  });

  it('a declined partner card → payment_failed and one payment.failed, however often Stripe repeats it', async () => {
    await stripe.state.flushWebhooks();
    await waitFor(async () => (await db.query('SELECT status FROM invoice WHERE id = ?', [invoiceId]))[0]?.status === 'payment_failed', { message: 'payment_failed' });
    const failedEvent = stripe.state.events.find((e) => e.type === 'invoice.payment_failed' && (e.data as any).object.id === stripeInvoiceId)!;
    expect(failedEvent).toBeDefined();
    stripe.state.resend(failedEvent.id, 2);
    await stripe.state.flushWebhooks();
    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM stripe_event WHERE event_id = ?', [failedEvent.id])) === 1, { message: 'event recorded' });
    await settle();
    expect(mine(partner, Topics.paymentFailed.name).map((e) => e.data)).toEqual([expect.objectContaining({ invoiceId, stripeObjectId: stripeInvoiceId, topUpId: null })]);
    expect(mine(partner, Topics.invoicePaid.name)).toHaveLength(0);
    // Not paid: the managed companies are credited nothing.
    for (const c of managed) {
      expect(await settlements(c)).toHaveLength(0);
      expect(await balanceOf(c)).toBe(before.get(c)! - linesOf.get(c)!);
    }
    // The other partner has no saved card: its invoice waits, open, for the partner to pay it.
    const [other] = await db.query(`SELECT status, line_items FROM invoice WHERE company_id = ?`, [otherPartner]);
    expect(other.status).toBe('open');
    // One managed company: its line still names it.
    expect(other.line_items).toEqual([expect.objectContaining({ companyId: otherManaged, kind: 'talk_time', quantity: 90 })]);
  });

  it('paid later (a new card) → paid and one invoice.paid; a payment_failed sent after that changes nothing', async () => {
    await saveCard(partner, 'pm_card_visa');
    // Stripe's retry of the invoice with the new default card.
    expect((await stripeApi(`/v1/invoices/${stripeInvoiceId}/pay`)).status).toBe(200);
    await waitFor(async () => (await db.query('SELECT status FROM invoice WHERE id = ?', [invoiceId]))[0]?.status === 'paid', { message: 'paid' });

    // Stripe does not deliver in order: another, older payment_failed arrives after invoice.paid.
    const invoiceObject = { ...structuredClone(stripe.state.invoices.get(stripeInvoiceId)!), status: 'open', paid: false };
    const late = { id: `evt_late${Date.now()}`, object: 'event', type: 'invoice.payment_failed', created: Math.floor(Date.now() / 1000) - 60, livemode: false, data: { object: invoiceObject } };
    expect(await deliver(late)).toBe(200);
    expect(await deliver(late)).toBe(200);
    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM stripe_event WHERE event_id = ?', [late.id])) === 1, { message: 'late event handled' });
    await settle();
    const [row] = await db.query('SELECT status, failure_reason FROM invoice WHERE id = ?', [invoiceId]);
    expect(row).toEqual({ status: 'paid', failure_reason: null });
    expect(mine(partner, Topics.paymentFailed.name)).toHaveLength(1);
    const paid = mine(partner, Topics.invoicePaid.name).map((e) => e.data);
    expect(paid).toEqual([expect.objectContaining({ invoiceId, number: expect.stringMatching(new RegExp(`^AGG-${period}-00[12]$`)), period })]);

    // Paid by the partner: each managed company credited its lines once, back to its balance before the month.
    for (const c of managed) {
      expect(await settlements(c)).toEqual([{ amount_minor: String(linesOf.get(c)), reference: `partner-settlement:${invoiceId}` }]);
      expect(await balanceOf(c)).toBe(before.get(c));
      expect(await crossings(c)).toBe(0);
    }
  });

  it('invoice.paid delivered three times (and replayed) credits each managed company once', async () => {
    const paidEvent = stripe.state.events.find((e) => e.type === 'invoice.paid' && (e.data as any).object.id === stripeInvoiceId)!;
    expect(paidEvent).toBeDefined();
    stripe.state.resend(paidEvent.id, 2); // Stripe's retries: the same event id again, signed, through the gateway
    await stripe.state.flushWebhooks();
    // The same payment announced under other event ids (Stripe does not promise one event per fact).
    const again = [1, 2].map((i) => ({ ...structuredClone(paidEvent), id: `evt_paid_again${i}_${Date.now()}` }));
    for (const e of again) expect(await deliver(e as unknown as Record<string, unknown>)).toBe(200);
    await waitFor(async () => (await count(`SELECT COUNT(*) AS n FROM stripe_event WHERE event_id IN (?, ?)`, again.map((e) => e.id))) === 2, { message: 'redeliveries handled' });
    // A replay straight into the state machine (as after a crash between our pay call and its webhook).
    const invoices = billing.app.get(InvoicesService, { strict: false });
    await db.transaction((manager) => invoices.applyStripeInvoice(manager, structuredClone((paidEvent.data as any).object)));
    await settle();
    for (const c of managed) {
      expect(await settlements(c)).toHaveLength(1);
      expect(await balanceOf(c)).toBe(before.get(c));
    }
    expect(mine(partner, Topics.invoicePaid.name)).toHaveLength(1);
  });

  it('an invoice.paid delivered before its payment_failed ends paid, with no payment.failed', async () => {
    const [other] = await db.query(`SELECT id, stripe_invoice_id FROM invoice WHERE company_id = ?`, [otherPartner]);
    const object = structuredClone(stripe.state.invoices.get(other.stripe_invoice_id)!);
    const created = Math.floor(Date.now() / 1000);
    const paidEvent = { id: `evt_paid${Date.now()}`, object: 'event', type: 'invoice.paid', created, livemode: false, data: { object: { ...object, status: 'paid', paid: true, status_transitions: { ...(object.status_transitions as object), paid_at: created } } } };
    const failedEvent = { id: `evt_failed${Date.now()}`, object: 'event', type: 'invoice.payment_failed', created: created - 30, livemode: false, data: { object: { ...object, attempt_count: 1 } } };
    expect(await deliver(paidEvent)).toBe(200);
    await waitFor(async () => (await db.query('SELECT status FROM invoice WHERE id = ?', [other.id]))[0]?.status === 'paid', { message: 'paid first' });
    expect(await deliver(failedEvent)).toBe(200);
    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM stripe_event WHERE event_id = ?', [failedEvent.id])) === 1, { message: 'failed handled' });
    await settle();
    expect((await db.query('SELECT status FROM invoice WHERE id = ?', [other.id]))[0].status).toBe('paid');
    expect(mine(otherPartner, Topics.paymentFailed.name)).toHaveLength(0);
    expect(mine(otherPartner, Topics.invoicePaid.name)).toHaveLength(1);
    expect(await settlements(otherManaged)).toEqual([{ amount_minor: String(linesOf.get(otherManaged)), reference: `partner-settlement:${other.id}` }]);
    expect(await balanceOf(otherManaged)).toBe(0);
  });

  it('a company no longer managed is prepaid again: its next debit crosses its threshold', async () => {
    const company = managed[1];
    await publisher.billingSetup(company, { perMinuteMinor: 12, lowBalanceThresholdMinor: 1000, partnerCompanyId: null });
    await waitFor(async () => (await db.query('SELECT partner_company_id AS p FROM company_pricing WHERE company_id = ?', [company]))[0]?.p === null, { message: 'no longer managed' });
    await settle(1200); // the consumer's one-second price cache
    await publisher.publish(publisher.callCompleted(company, `unmanaged_${company.slice(0, 6)}`, 60));
    await waitFor(async () => (await balanceOf(company)) === -12, { message: 'debited' });
    // Two topics: Kafka orders neither against the other, so wait for each.
    await waitFor(() => mine(company, Topics.balanceExhausted.name).length === 1, { message: 'balance.exhausted' });
    await waitFor(() => mine(company, Topics.balanceLow.name).length === 1, { message: 'balance.low' });
    await settle();
    expect(mine(company, Topics.balanceLow.name)).toHaveLength(1);
    expect(mine(company, Topics.balanceExhausted.name)).toHaveLength(1);
    expect(await crossings(company)).toBe(2);
  });
});
