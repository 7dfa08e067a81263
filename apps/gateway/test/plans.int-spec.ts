import Stripe from 'stripe';
import { Topics } from '@receptionist/contracts';
import { RequestResponder, createKafka, ensureTopics } from '@receptionist/messaging';
import { RunningSimulator, startSimulator, StripeState, stripeSimulator } from '@receptionist/simulators';
import { PrivateKafka, collectMessages, silentLogger, testKafkaOn, uniqueName, waitFor } from '@receptionist/testing';
import { startGateway, TestGateway } from './gateway-app';
import { signRetell } from '../src/retell/retell-signature';
// Billing owns plans, subscriptions and the ledger: the real one, against the Stripe simulator.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startBilling, TestBilling, TestPublisher } from '../../billing/test/billing-app';

/**
 * Plans and subscriptions end to end, over a month of Stripe's clock moved forward (the simulator's clock; billing's
 * grace period is set to seconds): trial → paid → overage → failed payment → grace with reminders → calls refused
 * with the company's message → paid in the customer portal → calls taken again. Stripe's webhooks go signed through
 * the gateway; every ledger entry and the Stripe objects are checked, then every event is delivered again twice
 * in reverse order and nothing changes. On a broker of its own: billing instances of other runs on the shared broker
 * would answer this gateway's billing requests too.
 */
jest.setTimeout(240_000);

const ADMIN = { email: 'root@plans.test', password: 'correct horse battery staple' };
const API_KEY = 'key_plans_test';
const WEBHOOK_SECRET = 'whsec_plans_test';
const DAY = 86_400;
const BASIC = {
  code: 'basic',
  name: 'Basic',
  interval: 'month',
  includedMinutes: 10,
  includedBookings: 2,
  trialDays: 14,
  prices: { EUR: { fee: 2900, overagePerMinute: 40, overagePerBooking: 150 }, USD: { fee: 3200, overagePerMinute: 45, overagePerBooking: 160 } },
};
const PRO = { code: 'pro', name: 'Pro', interval: 'month', includedMinutes: 60, includedBookings: 20, prices: { EUR: { fee: 7900, overagePerMinute: 30, overagePerBooking: 100 } } };
const REFUSAL = 'Praxis Tarif: Wir sind gerade nicht erreichbar. Bitte rufen Sie morgen wieder an.';

let kafka: PrivateKafka;
let gw: TestGateway;
let billing: TestBilling;
let stripe: RunningSimulator<StripeState>;
let sdk: Stripe;
let publisher: TestPublisher;
let responder: RequestResponder;
let collector: Awaited<ReturnType<typeof collectMessages>>;
let platform: string;
let companyId: string;
const number = `+4930${Math.floor(1e7 + Math.random() * 8e7)}`;

const signed = async (path: string, body: unknown) => {
  const raw = JSON.stringify(body);
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': signRetell(raw, API_KEY) }, body: raw });
  return { status: res.status, body: (await res.json()) as any };
};
const inboundCall = () => signed('/api/webhooks/retell', { event: 'call_inbound', call_inbound: { from_number: '+491701234567', to_number: number } });
const accepted = async () => (await inboundCall()).body.call_inbound.dynamic_variables.call_accepted as string;
const base = () => `/api/v1/companies/${companyId}/billing`;
const api = (method: string, path: string, body?: unknown) => gw.call(method, `${base()}${path}`, { token: platform, body });
const subscription = async () => {
  const res = await api('GET', '/subscription');
  if (res.status !== 200) throw new Error(`GET subscription: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.subscription;
};
const ledger = async () => ((await api('GET', '/ledger?limit=200')).body.data as { seq: number; kind: string; amount: number; reference: string; balanceAfter: number }[]).reverse();
const moveClock = async (seconds: number) => {
  const res = await fetch(`${stripe.url}/__sim/stripe/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance_seconds: seconds }) });
  expect(res.status).toBe(200);
  await stripe.state.flushWebhooks();
};
const ofCompany = (topic: string) =>
  collector.messages
    .filter((m) => m.topic === topic && m.key?.toString() === companyId)
    .map((m) => JSON.parse(m.value!.toString()))
    .filter((e, i, all) => e.source === billing.service && all.findIndex((o) => o.id === e.id) === i);
const stripeSub = () => [...stripe.state.subscriptions.values()].find((s) => (s.metadata as Record<string, string>).company_id === companyId)!;
const period = (s: Record<string, any>) => ({ start: s.items.data[0].current_period_start as number, end: s.items.data[0].current_period_end as number });

beforeAll(async () => {
  kafka = new PrivateKafka();
  await kafka.start();
  await ensureTopics(createKafka({ brokers: kafka.brokers, clientId: 'plans-test', logger: silentLogger }));
  const onPrivateKafka = { KAFKA_BROKERS: kafka.brokers.join(',') };
  gw = await startGateway({
    ...onPrivateKafka,
    PLATFORM_ADMIN_EMAIL: ADMIN.email,
    PLATFORM_ADMIN_PASSWORD: ADMIN.password,
    RETELLAI_API_KEY: API_KEY,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    VOICE_FUNCTION_DEADLINE_MS: '3000',
    RATE_LIMIT_GENERAL: '100000',
    RATE_LIMIT_SENSITIVE: '1000',
  });
  platform = (await gw.call('POST', '/api/v1/auth/login', { body: ADMIN })).body.token;
  const company = await gw.call('POST', '/api/v1/companies', { token: platform, body: { name: 'Praxis Tarif', timeZone: 'Europe/Berlin', currency: 'EUR', language: 'de' } });
  companyId = company.body.id;
  expect((await gw.call('POST', `/api/v1/companies/${companyId}/phone-numbers`, { token: platform, body: { number } })).status).toBe(201);

  process.env.SIM_STRIPE_WEBHOOK_URL = `${gw.url}/api/webhooks/stripe`;
  process.env.SIM_STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  stripe = await startSimulator(stripeSimulator, { port: 0 });
  delete process.env.SIM_STRIPE_WEBHOOK_URL;
  delete process.env.SIM_STRIPE_WEBHOOK_SECRET;
  const url = new URL(stripe.url);
  sdk = new Stripe('sk_test_plans_portal', { host: url.hostname, port: Number(url.port), protocol: 'http', telemetry: false });
  billing = await startBilling(
    {
      ...onPrivateKafka,
      STRIPE_API_BASE: stripe.url,
      STRIPE_SECRET: 'sk_test_plans',
      BILLING_PLANS: JSON.stringify([BASIC]),
      BILLING_DUNNING_GRACE_MS: '4000',
      BILLING_DUNNING_REMINDER_MS: '1500',
      BILLING_PLAN_JOBS_INTERVAL_MS: '200',
    },
    // `platform`: the operator's plan requests (not a company's) are answered by this instance.
    { companies: [companyId, 'platform'] },
  );
  publisher = await new TestPublisher(testKafkaOn(kafka.brokers)).start();
  collector = await collectMessages(testKafkaOn(kafka.brokers), [Topics.planPaymentOverdue.name, Topics.planSuspended.name, Topics.planReinstated.name], { fromBeginning: false });

  const groupId = uniqueName('voice-agent-standin');
  responder = new RequestResponder(testKafkaOn(kafka.brokers), {
    groupId,
    topic: Topics.voiceFunctionCall.name,
    logger: silentLogger,
    handler: async (envelope) => {
      const data = envelope.data as any;
      if (data.company?.id !== companyId) return undefined;
      return { success: true, message: 'Guten Tag', data: { dynamicVariables: {} } };
    },
  });
  await responder.start();

  // Pay-as-you-go prices (0.60 €/min) until a plan is in force; prepaid 20 € through Stripe Checkout.
  await publisher.billingSetup(companyId, { perMinuteMinor: 60, lowBalanceThresholdMinor: 0 });
  await waitFor(async () => (await api('GET', '/prices')).status === 200, { message: 'billing set up', timeoutMs: 30_000 });
  const topUp = await api('POST', '/top-ups', { amount: 2000, currency: 'EUR' });
  expect(topUp.status).toBe(201);
  stripe.state.completeCheckout(topUp.body.checkoutSessionId, 'paid');
  await waitFor(async () => (await api('GET', '/balance')).body.balance === 2000, { message: 'top-up credited', timeoutMs: 30_000 });
});

afterAll(async () => {
  await responder?.stop();
  await collector?.stop();
  await publisher?.stop();
  await billing?.close();
  await stripe?.close();
  await gw?.close();
  await kafka?.destroy();
});

describe('plans and subscriptions over a simulated month', () => {
  it('lets the operator define plans and refuses bad input naming the field', async () => {
    const pro = await gw.call('POST', '/api/v1/plans', { token: platform, body: PRO });
    expect(pro.status).toBe(200);
    expect(pro.body).toMatchObject({ code: 'pro', includedMinutes: 60, trialDays: 0, postpaid: false, active: true, prices: { EUR: { fee: 7900, overagePerMinute: 30, overagePerBooking: 100 } } });
    const plans = await gw.call('GET', '/api/v1/plans', { token: platform });
    expect(plans.body.data.map((p: { code: string }) => p.code)).toEqual(['basic', 'pro']);
    expect(plans.body.data[0]).toMatchObject({ code: 'basic', trialDays: 14, prices: { USD: { fee: 3200 } } });

    const noPrices = await gw.call('POST', '/api/v1/plans', { token: platform, body: { ...PRO, prices: {} } });
    expect([noPrices.status, noPrices.headers.get('content-type'), noPrices.body.field]).toEqual([400, expect.stringContaining('application/problem+json'), 'prices']);
    const unknown = await api('POST', '/subscription', { planCode: 'platinum', currency: 'EUR' });
    expect([unknown.status, unknown.body.field]).toEqual([400, 'planCode']);
    const noGbp = await api('POST', '/subscription', { planCode: 'basic', currency: 'GBP' });
    expect([noGbp.status, noGbp.body.field, noGbp.body.detail]).toEqual([400, 'currency', expect.stringContaining('no price in GBP')]);
    const mismatch = await api('POST', '/subscription', { planCode: 'basic', currency: 'USD' });
    expect([mismatch.status, mismatch.body.field, mismatch.body.detail]).toEqual([400, 'currency', expect.stringContaining('account is in EUR')]);
    const noSub = await api('PATCH', '/subscription', { planCode: 'pro' });
    expect([noSub.status, noSub.body.field]).toEqual([409, 'planCode']);
    // Nothing of it reached Stripe.
    expect(stripe.state.subscriptions.size + stripe.state.products.size).toBe(0);
  });

  it('runs trial → paid → overage → failed payment → grace → refusal → payment → restored, exact to the cent', async () => {
    // Subscribe: a 14-day trial, a 0 € first invoice paid at once.
    const created = await api('POST', '/subscription', { planCode: 'basic', currency: 'EUR', refusalMessage: REFUSAL });
    expect(created.status).toBe(201);
    expect(created.body.subscription).toMatchObject({ planCode: 'basic', currency: 'EUR', status: 'trialing', refusalMessage: REFUSAL, dunning: { state: 'ok', callsRefused: false } });
    expect((await api('POST', '/subscription', { planCode: 'pro', currency: 'EUR' })).status).toBe(409);
    const sub0 = stripeSub();
    expect(sub0).toMatchObject({ status: 'trialing', currency: 'eur', metadata: { company_id: companyId, plan_code: 'basic' } });
    const trial = period(sub0); // (the simulator's object changes as Stripe's clock moves)
    expect(trial.end - trial.start).toBe(14 * DAY);
    expect([...stripe.state.products.values()].map((p) => p.metadata)).toEqual([{ plan_code: 'basic' }]);
    expect([...stripe.state.prices.values()].map((p) => [p.unit_amount, p.currency, (p.recurring as { interval: string }).interval])).toEqual([[2900, 'eur', 'month']]);

    // Trial usage: 5 min within the 10 included minutes, nothing debited.
    await publisher.publish(publisher.callCompleted(companyId, uniqueName('trial'), 300));
    await waitFor(async () => (await subscription()).currentPeriod?.usedSeconds === 300, { message: 'trial usage counted', timeoutMs: 30_000 });
    expect((await subscription()).currentPeriod).toMatchObject({ includedMinutes: 10, overageSeconds: 0, overage: 0 });

    // The business saves a card in the customer portal (Stripe: attach + default payment method).
    const portal = await api('POST', '/portal-session', { returnUrl: 'https://praxis.example/billing' });
    expect([portal.status, portal.body.url]).toEqual([201, expect.stringContaining('/p/session/bps_')]);
    const customer = sub0.customer as string;
    await sdk.paymentMethods.attach('pm_card_visa', { customer });
    await sdk.customers.update(customer, { invoice_settings: { default_payment_method: 'pm_card_visa' } });

    // Day 11: invoice.upcoming (the trial ends in 3 days). Day 15: the trial ended, 29 € charged, a new period.
    await moveClock(11 * DAY);
    await waitFor(async () => (await subscription()).upcomingAmount === 2900, { message: 'invoice.upcoming', timeoutMs: 30_000 });
    await moveClock(4 * DAY);
    await waitFor(async () => (await subscription()).status === 'active', { message: 'trial ended', timeoutMs: 30_000 });
    const sub1 = stripeSub();
    expect(period(sub1).start).toBe(trial.end);
    const cycle1 = [...stripe.state.invoices.values()].find((i) => i.billing_reason === 'subscription_cycle')!;
    expect(cycle1).toMatchObject({ status: 'paid', total: 2900, amount_paid: 2900 });
    await waitFor(async () => (await subscription()).invoices.some((i: any) => i.stripeInvoiceId === cycle1.id && i.status === 'paid'), { message: 'renewal paid', timeoutMs: 30_000 });
    // The trial's period is closed; the new one starts from zero.
    await waitFor(async () => {
      const periods = (await api('GET', '/plan-usage')).body.data;
      return periods.length === 1 && periods[0].closed && periods[0].usedSeconds === 300;
    }, { message: 'trial period closed', timeoutMs: 30_000 });

    // Overage: 12 min (2 beyond 10 at 0.40 €/min = 0.80 €), then 1.5 min and 3 bookings (2 included, 1 at 1.50 €).
    await publisher.publish(publisher.callCompleted(companyId, 'call_over_1', 720));
    await publisher.publish(publisher.callCompleted(companyId, 'call_over_2', 90, new Date(), ['b1', 'b2', 'b3']));
    await waitFor(async () => (await ledger()).length === 4, { message: 'overage debited', timeoutMs: 30_000 });
    expect((await ledger()).map((e) => [e.kind, e.amount, e.reference, e.balanceAfter])).toEqual([
      ['top_up', 2000, expect.stringMatching(/^topup:/), 2000],
      ['usage', -80, 'call:call_over_1:talk_time', 1920],
      ['usage', -60, 'call:call_over_2:talk_time', 1860],
      ['fee', -150, 'call:call_over_2:booking_fee', 1710],
    ]);
    const usage = (await api('GET', '/plan-usage')).body.data[0];
    expect(usage).toMatchObject({ planCode: 'basic', usedSeconds: 810, overageSeconds: 210, usedBookings: 3, overageBookings: 1, overage: 290, closed: false });

    // A downgrade would fall below this period's usage; an upgrade is prorated by Stripe and invoiced at once.
    const down = await api('PATCH', '/subscription', { planCode: 'basic' });
    expect(down.status).toBe(200); // the same plan: nothing to do
    await moveClock(10 * DAY);
    const up = await api('PATCH', '/subscription', { planCode: 'pro', refusalMessage: REFUSAL });
    expect(up.status).toBe(200);
    expect(up.body.subscription).toMatchObject({ planCode: 'pro', currentPeriod: { includedMinutes: 60 } });
    const proration = [...stripe.state.invoices.values()].find((i) => i.billing_reason === 'subscription_update')!;
    const lines = (proration.lines as { data: { amount: number; period: { start: number; end: number } }[] }).data;
    const { start, end } = period(stripeSub());
    const changedAt = lines[0].period.start;
    const remaining = (amount: number) => Math.round((amount * (end - changedAt)) / (end - start));
    expect(lines.map((l) => l.amount)).toEqual([-remaining(2900), remaining(7900)]);
    expect(proration).toMatchObject({ status: 'paid', total: remaining(7900) - remaining(2900) });
    const back = await api('PATCH', '/subscription', { planCode: 'basic' });
    expect([back.status, back.body.field, back.body.detail]).toEqual([409, 'planCode', expect.stringContaining('14 min')]);

    // The card stops working; the renewal fails: grace period, reminders, then calls refused with the company's words.
    await sdk.paymentMethods.attach('pm_card_chargeCustomerFail', { customer });
    await sdk.customers.update(customer, { invoice_settings: { default_payment_method: 'pm_card_chargeCustomerFail' } });
    await moveClock(end - changedAt + 60);
    const failed = [...stripe.state.invoices.values()].filter((i) => i.billing_reason === 'subscription_cycle').at(-1)!;
    expect(failed).toMatchObject({ status: 'open', total: 7900, attempt_count: 1 });
    expect(stripeSub().status).toBe('past_due');
    await waitFor(async () => (await subscription()).dunning.state === 'grace', { message: 'grace period', timeoutMs: 30_000 });
    expect(await accepted()).toBe('true');
    await waitFor(async () => (await subscription()).dunning.state === 'refusing', { message: 'grace over', timeoutMs: 30_000 });
    await waitFor(async () => (await accepted()) === 'false', { message: 'calls refused', timeoutMs: 30_000 });
    const refused = (await inboundCall()).body.call_inbound;
    expect(refused.dynamic_variables).toMatchObject({ call_refused_reason: 'plan_unpaid', call_refusal_message: REFUSAL });
    const reminders = ofCompany(Topics.planPaymentOverdue.name).map((e) => e.data);
    expect(reminders.length).toBeGreaterThanOrEqual(2);
    expect(reminders.map((r) => r.reminder)).toEqual(reminders.map((_r, i) => i + 1));
    expect(reminders[0]).toMatchObject({ stripeInvoiceId: failed.id, amountDue: 7900, currency: 'EUR', planCode: 'pro' });
    expect(ofCompany(Topics.planSuspended.name).map((e) => e.data)).toEqual([{ stripeInvoiceId: failed.id, message: REFUSAL }]);

    // Paid in the customer portal with a working card: calls are taken again at once.
    await sdk.paymentMethods.attach('pm_card_visa', { customer });
    await sdk.customers.update(customer, { invoice_settings: { default_payment_method: 'pm_card_visa' } });
    const portal2 = await api('POST', '/portal-session', {});
    const paid = await fetch(`${portal2.body.url}/pay/${failed.id}`, { method: 'POST' });
    expect(paid.status).toBe(200);
    await stripe.state.flushWebhooks();
    await waitFor(async () => (await accepted()) === 'true', { message: 'calls taken again', timeoutMs: 30_000 });
    expect(await subscription()).toMatchObject({ status: 'active', dunning: { state: 'ok', callsRefused: false } });
    expect(ofCompany(Topics.planReinstated.name).map((e) => e.data)).toEqual([{ stripeInvoiceId: failed.id }]);
    // The plan fee never touched the prepaid balance: only the overage did.
    expect((await ledger()).map((e) => e.amount)).toEqual([2000, -80, -60, -150]);
  });

  it('applies held-back events delivered in reverse order the same, and every event again twice changes nothing', async () => {
    // Another renewal whose events reach us only after the payment, newest first: invoice.paid before payment_failed.
    const customer = stripeSub().customer as string;
    const endpoints = stripe.state.endpoints;
    stripe.state.endpoints = [];
    const firstHeld = stripe.state.events.length;
    await sdk.paymentMethods.attach('pm_card_chargeCustomerFail', { customer });
    await sdk.customers.update(customer, { invoice_settings: { default_payment_method: 'pm_card_chargeCustomerFail' } });
    const now = Math.floor(Date.now() / 1000) + stripe.state.clockOffset;
    await moveClock(period(stripeSub()).end - now + 60);
    const failed = [...stripe.state.invoices.values()].filter((i) => i.billing_reason === 'subscription_cycle').at(-1)!;
    expect(failed).toMatchObject({ status: 'open', total: 7900 });
    await sdk.paymentMethods.attach('pm_card_visa', { customer });
    await sdk.customers.update(customer, { invoice_settings: { default_payment_method: 'pm_card_visa' } });
    expect(await sdk.invoices.pay(failed.id)).toMatchObject({ status: 'paid' });
    const held = stripe.state.events.slice(firstHeld);
    const types = held.map((e) => e.type);
    expect(types.indexOf('invoice.payment_failed')).toBeLessThan(types.indexOf('invoice.paid'));
    stripe.state.endpoints = endpoints;
    for (const event of [...held].reverse()) {
      stripe.state.resend(event.id);
      await stripe.state.flushWebhooks();
    }
    const newPeriod = new Date(period(stripeSub()).start * 1000).toISOString();
    await waitFor(async () => {
      const sub = await subscription();
      return sub.currentPeriodStart === newPeriod && sub.invoices.some((i: any) => i.stripeInvoiceId === failed.id && i.status === 'paid');
    }, { message: 'held events applied', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await subscription()).toMatchObject({ status: 'active', planCode: 'pro', dunning: { state: 'ok', reminders: expect.any(Number), callsRefused: false } });
    expect(ofCompany(Topics.planPaymentOverdue.name).filter((e) => e.data.stripeInvoiceId === failed.id)).toEqual([]);
    expect(ofCompany(Topics.planSuspended.name)).toHaveLength(1);
    expect(await accepted()).toBe('true');

    // Every event of the month again, twice, newest first.
    await waitFor(async () => (await api('GET', '/plan-usage')).body.data.every((p: { closed: boolean }) => p.closed), { message: 'periods closed', timeoutMs: 30_000 });
    const before = { sub: await subscription(), ledger: await ledger(), usage: (await api('GET', '/plan-usage')).body.data };
    const events = [...stripe.state.events].reverse();
    expect(events.length).toBeGreaterThan(30);
    for (const event of events) stripe.state.resend(event.id, 2);
    await stripe.state.flushWebhooks();
    const deliveries = stripe.state.deliveries.filter((d) => events.some((e) => e.id === d.eventId));
    expect(deliveries.every((d) => d.statusCode !== null && d.statusCode < 300)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await subscription()).toEqual(before.sub);
    expect(await ledger()).toEqual(before.ledger);
    expect((await api('GET', '/plan-usage')).body.data).toEqual(before.usage);
    expect(await accepted()).toBe('true');
    expect(ofCompany(Topics.planSuspended.name)).toHaveLength(1);
    expect(ofCompany(Topics.planReinstated.name)).toHaveLength(1);
  });

  it('cancels at period end: the plan ends with the period and calls are pay-as-you-go again', async () => {
    const cancel = await api('PATCH', '/subscription', { cancelAtPeriodEnd: true });
    expect([cancel.status, cancel.body.subscription.cancelAtPeriodEnd]).toEqual([200, true]);
    expect(stripeSub()).toMatchObject({ cancel_at_period_end: true, status: 'active' });
    await moveClock(32 * DAY);
    await waitFor(async () => (await subscription()).status === 'canceled', { message: 'canceled', timeoutMs: 30_000 });
    expect(stripeSub().status).toBe('canceled');
    // 1 min at the pay-as-you-go 0.60 €.
    await publisher.publish(publisher.callCompleted(companyId, 'call_after_plan', 60));
    await waitFor(async () => (await ledger()).length === 5, { message: 'pay-as-you-go debit', timeoutMs: 30_000 });
    expect((await ledger()).at(-1)).toMatchObject({ kind: 'usage', amount: -60, reference: 'call:call_after_plan:talk_time' });
  });
  it("invoices a postpaid plan's overage with the next subscription invoice and credits the ledger once it is paid", async () => {
    const flex = { code: 'flex', name: 'Flex', interval: 'month', includedMinutes: 1, trialDays: 1, postpaid: true, prices: { EUR: { fee: 1000, overagePerMinute: 50 } } };
    expect((await gw.call('POST', '/api/v1/plans', { token: platform, body: flex })).status).toBe(200);
    // Subscribing again after the cancellation is a new Stripe subscription.
    const again = await api('POST', '/subscription', { planCode: 'flex', currency: 'EUR' });
    expect([again.status, again.body.subscription.status, again.body.subscription.planCode]).toEqual([201, 'trialing', 'flex']);
    expect([...stripe.state.subscriptions.values()].filter((x) => (x.metadata as Record<string, string>).company_id === companyId)).toHaveLength(2);
    // 2.5 min: 1 included, 1.5 beyond at 0.50 €/min = 0.75 €, debited without refusing calls (postpaid).
    await publisher.publish(publisher.callCompleted(companyId, 'call_postpaid', 150));
    await waitFor(async () => (await ledger()).length === 6, { message: 'postpaid overage debited', timeoutMs: 30_000 });
    expect((await ledger()).at(-1)).toMatchObject({ kind: 'usage', amount: -75, reference: 'call:call_postpaid:talk_time', balanceAfter: 1575 });
    // The trial ends: its period closes and the overage becomes one Stripe invoice item for the next invoice.
    await moveClock(2 * DAY);
    const closed = await waitFor(async () => (await api('GET', '/plan-usage')).body.data.find((p: any) => p.planCode === 'flex' && p.closed && p.stripeInvoiceItemId), { message: 'postpaid period closed', timeoutMs: 30_000 });
    expect(closed).toMatchObject({ overageSeconds: 90, overage: 75, postpaid: true });
    expect(stripe.state.invoiceItems.get(closed.stripeInvoiceItemId)).toMatchObject({ amount: 75, currency: 'eur', invoice: null, metadata: { company_id: companyId, kind: 'plan_overage' } });
    // The next renewal charges the fee and the overage; paid, the overage is credited back on the ledger, once.
    await moveClock(32 * DAY);
    const renewal = [...stripe.state.invoices.values()].find((i) => (i.lines as { data: { invoice_item?: string }[] }).data.some((l) => l.invoice_item === closed.stripeInvoiceItemId))!;
    expect(renewal).toMatchObject({ status: 'paid', total: 1075, billing_reason: 'subscription_cycle' });
    await waitFor(async () => (await ledger()).length === 7, { message: 'overage settled', timeoutMs: 30_000 });
    expect((await ledger()).at(-1)).toMatchObject({ kind: 'plan_settlement', amount: 75, reference: `plan-invoice:${renewal.id}`, balanceAfter: 1650 });
    for (const event of stripe.state.events.filter((e) => e.type === 'invoice.paid')) stripe.state.resend(event.id, 2);
    await stripe.state.flushWebhooks();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await ledger()).toHaveLength(7);
  });
});
