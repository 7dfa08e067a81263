import Stripe from 'stripe';
import { RunningSimulator, startSimulator } from './simulator';
import { decodeStripeForm, stripeSimulator, StripeState } from './providers/stripe';

/** The official SDK against the simulator: wire format, errors, Idempotency-Key. */
let sim: RunningSimulator<StripeState>;
let stripe: Stripe;

beforeAll(async () => {
  sim = await startSimulator(stripeSimulator, { port: 0 });
  const url = new URL(sim.url);
  stripe = new Stripe('sk_test_sim', { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0 });
});
afterAll(() => sim.close());

it('decodes Stripe bracket notation', () => {
  expect(decodeStripeForm({ 'metadata[a]': '1', 'line_items[0][price_data][currency]': 'eur', 'line_items[1][quantity]': '2', 'expand[]': ['x', 'y'] })).toEqual({
    metadata: { a: '1' },
    line_items: [{ price_data: { currency: 'eur' } }, { quantity: '2' }],
    expand: ['x', 'y'],
  });
});

it('replays a request with the same Idempotency-Key and refuses the key with other parameters', async () => {
  const a = await stripe.customers.create({ metadata: { company_id: 'c1' } }, { idempotencyKey: 'k1' });
  const b = await stripe.customers.create({ metadata: { company_id: 'c1' } }, { idempotencyKey: 'k1' });
  expect(b.id).toBe(a.id);
  expect(sim.state.customers.size).toBe(1);
  await expect(stripe.customers.create({ metadata: { company_id: 'c2' } }, { idempotencyKey: 'k1' })).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
});

it('answers in Stripe error shapes: 401, resource_missing, parameter_missing, card_declined', async () => {
  const url = new URL(sim.url);
  const wrong = new Stripe('pk_live_nope', { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0 });
  await expect(wrong.customers.create({})).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing' });
  await expect(stripe.paymentIntents.create({ currency: 'eur' } as never)).rejects.toMatchObject({ code: 'parameter_missing', param: 'amount' });
  const customer = await stripe.customers.create({});
  await stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: customer.id });
  await expect(
    stripe.paymentIntents.create({ amount: 5000, currency: 'eur', customer: customer.id, payment_method: 'pm_card_chargeDeclined', off_session: true, confirm: true }),
  ).rejects.toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
  const raw = await fetch(`${sim.url}/v1/customers/cus_missing`, { headers: { authorization: 'Bearer sk_test_sim' } }).then((r) => r.json());
  expect(raw).toMatchObject({ error: { type: 'invalid_request_error', code: 'resource_missing', message: "No such customer: 'cus_missing'" } });
});

it('sums an invoice with an exclusive tax rate and finalizes it with a number', async () => {
  const customer = await stripe.customers.create({});
  const rate = await stripe.taxRates.create({ display_name: 'VAT', percentage: 19, inclusive: false });
  const draft = await stripe.invoices.create({ customer: customer.id, currency: 'eur', pending_invoice_items_behavior: 'exclude' });
  await stripe.invoiceItems.create({ customer: customer.id, invoice: draft.id!, amount: 1000, currency: 'eur', tax_rates: [rate.id] });
  const invoice = await stripe.invoices.finalizeInvoice(draft.id!);
  expect(invoice).toMatchObject({ status: 'open', subtotal: 1000, total: 1190 });
  expect(invoice.number).toMatch(/-0001$/);
});

it('the hosted checkout page pays in a browser and sends it on to the success URL (or back to the cancel URL)', async () => {
  const create = () =>
    stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ quantity: 1, price_data: { currency: 'eur', unit_amount: 2500, product_data: { name: 'Top-up' } } }],
      success_url: 'https://console.example/billing?topup=done&session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://console.example/billing?topup=cancelled',
    });
  const session = await create();
  const page = await fetch(session.url!);
  expect(await page.text()).toContain(`<form method="post" action="/c/pay/${session.id}">`);
  const pay = (id: string, outcome: string) =>
    fetch(`${sim.url}/c/pay/${id}`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `outcome=${outcome}` });
  const paid = await pay(session.id, 'paid');
  expect(paid.status).toBe(303);
  expect(paid.headers.get('location')).toBe(`https://console.example/billing?topup=done&session=${session.id}`);
  expect((await stripe.checkout.sessions.retrieve(session.id)).payment_status).toBe('paid');
  expect(sim.state.events.some((e: any) => e.type === 'checkout.session.completed' && e.data.object.id === session.id)).toBe(true);

  const other = await create();
  const back = await pay(other.id, 'cancel');
  expect(back.headers.get('location')).toBe('https://console.example/billing?topup=cancelled');
  expect((await stripe.checkout.sessions.retrieve(other.id)).status).toBe('open');
});
