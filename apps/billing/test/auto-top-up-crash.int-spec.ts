import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { RunningSimulator, startSimulator, stripeSimulator, StripeState } from '@receptionist/simulators';
import { testInfra, waitFor } from '@receptionist/testing';
import { CustomersService } from '../src/stripe/customers.service';
import { createBillingDatabase, spawnBilling, startBilling, startBillingGroupsAtEnd, TestBilling, TestPublisher } from './billing-app';

jest.setTimeout(300_000);

/**
 * Billing SIGKILLed while its off-session PaymentIntent for an automatic top-up is with Stripe: Stripe has charged
 * the card, but its answer is held back until after the caller died (the answer is lost).
 * The replacement's retry job asks again with the same Idempotency-Key: one PaymentIntent, one credit.
 */
it('never charges an automatic top-up twice when billing dies during the charge', async () => {
  const { database, drop } = await createBillingDatabase();
  const service = `billing-autocrash-${randomBytes(3).toString('hex')}`;
  await startBillingGroupsAtEnd(service);
  const publisher = await new TestPublisher().start();
  // Stands in for the gateway's edge (tested in apps/gateway/test/billing-payments.int-spec.ts); `edgeDown` refuses
  // webhooks (Stripe would deliver them again hours later), so only billing's own retry can settle the top-up.
  let edgeDown = false;
  const forwarder = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (edgeDown) return void res.writeHead(503).end();
      void publisher.stripeEvent(JSON.parse(raw)).then(() => res.writeHead(200).end('{}'), () => res.writeHead(503).end());
    });
  });
  await new Promise<void>((r) => forwarder.listen(0, '127.0.0.1', () => r()));
  process.env.SIM_STRIPE_WEBHOOK_URL = `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}/api/webhooks/stripe`;
  process.env.SIM_STRIPE_WEBHOOK_SECRET = 'whsec_autocrash';
  const stripe: RunningSimulator<StripeState> = await startSimulator(stripeSimulator, { port: 0 });
  delete process.env.SIM_STRIPE_WEBHOOK_URL;
  delete process.env.SIM_STRIPE_WEBHOOK_SECRET;
  const env = { STRIPE_API_BASE: stripe.url, STRIPE_SECRET: 'sk_test_autocrash', BILLING_AUTO_TOPUP_RETRY_MS: '1000' };
  const db = new DataSource({ type: 'mysql', ...testInfra.db, database, timezone: 'Z' });
  await db.initialize();
  const companyId = randomUUID();
  const balance = async () =>
    Number(
      (await db.query('SELECT e.balance_after_minor AS b FROM billing_account a LEFT JOIN ledger_entry e ON e.company_id = a.company_id AND e.seq = a.last_seq WHERE a.company_id = ?', [companyId]))[0]?.b ?? 0,
    );
  const intents = () => [...stripe.state.paymentIntents.values()].filter((pi) => (pi.metadata as Record<string, string>).company_id === companyId);
  let setup: TestBilling | undefined;
  let replacement: TestBilling | undefined;
  let first: Awaited<ReturnType<typeof spawnBilling>> | undefined;
  try {
    // Set-up with an instance of the same service: prices with auto top-up, a customer and its saved card.
    setup = await startBilling(env, { database, service });
    await publisher.billingSetup(companyId, { perMinuteMinor: 60, lowBalanceThresholdMinor: 1000, topUpMinor: 5000, autoTopUp: true });
    await waitFor(async () => (await db.query('SELECT 1 FROM company_pricing WHERE company_id = ?', [companyId])).length > 0, { message: 'pricing' });
    const customer = await setup.app.get(CustomersService, { strict: false }).ensure(companyId, 'EUR');
    const api = (path: string, form: Record<string, string>) =>
      fetch(`${stripe.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer sk_test_dashboard', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    expect((await api('/v1/payment_methods/pm_card_visa/attach', { customer })).status).toBe(200);
    expect((await api(`/v1/customers/${customer}`, { 'invoice_settings[default_payment_method]': 'pm_card_visa' })).status).toBe(200);
    await waitFor(async () => (await db.query('SELECT default_payment_method_id AS pm FROM billing_account WHERE company_id = ?', [companyId]))[0]?.pm === 'pm_card_visa', { message: 'saved card' });
    await setup.app.close();
    setup = undefined;

    first = await spawnBilling(database, service, env);
    stripe.state.answerDelayMs = 6000;
    edgeDown = true;
    await publisher.publish(publisher.callCompleted(companyId, `autocrash_${companyId.slice(0, 6)}`, 60));
    await waitFor(async () => (await db.query(`SELECT 1 FROM top_up WHERE company_id = ? AND kind = 'auto'`, [companyId])).length > 0, { message: 'auto top-up recorded', timeoutMs: 60_000 });
    // The PaymentIntent is created right after that commit; its answer is held back.
    await waitFor(() => intents().length > 0, { message: 'charged in Stripe', timeoutMs: 30_000 });
    first.child.kill('SIGKILL');
    await first.exited;
    stripe.state.answerDelayMs = 0;
    expect(await balance()).toBe(-60);
    expect((await db.query(`SELECT status, stripe_payment_intent_id AS pi FROM top_up WHERE company_id = ?`, [companyId]))[0]).toEqual({ status: 'pending', pi: null });

    replacement = await startBilling(env, { database, service });
    await waitFor(async () => (await balance()) === 4940, { message: 'credited once by the replacement', timeoutMs: 60_000 });
    expect(intents()).toHaveLength(1);
    // Stripe's webhook for that charge, delivered late, changes nothing.
    edgeDown = false;
    await stripe.state.flushWebhooks();
    const succeeded = stripe.state.events.find((e) => e.type === 'payment_intent.succeeded' && (e.data as any).object.id === intents()[0].id)!;
    stripe.state.resend(succeeded.id, 2);
    await stripe.state.flushWebhooks();
    await waitFor(async () => (await db.query('SELECT 1 FROM stripe_event WHERE event_id = ?', [succeeded.id])).length > 0, { message: 'late webhook handled', timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(intents()).toHaveLength(1);
    expect(intents()[0]).toMatchObject({ status: 'succeeded', amount: 5000 });
    expect(await balance()).toBe(4940);
    expect(Number((await db.query(`SELECT COUNT(*) AS n FROM ledger_entry WHERE company_id = ? AND kind = 'top_up'`, [companyId]))[0].n)).toBe(1);
    expect((await db.query(`SELECT status, stripe_payment_intent_id AS pi FROM top_up WHERE company_id = ?`, [companyId]))[0]).toEqual({ status: 'paid', pi: intents()[0].id });
  } finally {
    if (first && first.child.exitCode === null) first.child.kill('SIGKILL');
    await setup?.app.close();
    await replacement?.app.close();
    await db.destroy();
    await stripe.close();
    await publisher.stop();
    await new Promise((r) => forwarder.close(r));
    await drop();
  }
});
